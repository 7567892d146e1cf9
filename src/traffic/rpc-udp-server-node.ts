// The serving side of rpc-udp workloads: a server host runs the workload's counter server and,
// with a name service, registers it there at boot and again after every restart; a name-service
// host runs the registry (one per host and port, shared by the workloads that name it).
//
// Contract:
// - Servers and name services boot at time 0 (an event: nothing is sent while building). A
//   registration is an RPC to the name service (rank = the server's place in the workload's
//   list, incarnation = the host's); one that fails is tried again after rebindDelayNs.
// - A crash of the host crashes the server (and the registration in progress); the restart
//   recovers the server from stable storage, then registers again.
// - The name service runs at-least-once: lookup and register are idempotent.
// - state() is plain data (the server's counters, its counter value, its executions ledger).

import { EV_DEVICE_BASE } from "../devices/device.js";
import type { EventHandler } from "../engine/scheduler.js";
import type { Simulation } from "../engine/simulation.js";
import type { AnyIpHost } from "../stacks/ip/ip-host.js";
import { RpcUdpCaller, type CallerStats } from "../stacks/rpc-udp/caller.js";
import { CounterApp } from "../stacks/rpc-udp/counter-app.js";
import { encodeRegister, NameServiceApp, SelfLookup, type Binding } from "../stacks/rpc-udp/name-service.js";
import { ENDPOINT_DEFAULTS, RpcOp } from "../stacks/rpc-udp/rpc-udp-types.js";
import { RpcUdpServer, type RpcUdpServerOptions, type ServerStats } from "../stacks/rpc-udp/server.js";
import type { RpcUdpWorkload } from "./rpc-udp-spec.js";

const EV_BOOT = EV_DEVICE_BASE;
const EV_REGISTER = EV_DEVICE_BASE + 1;

/** Calls tracked per server for the executions-per-call histogram. */
export const LEDGER_CAPACITY = 1 << 20;
const NAME_SERVICE_ENTRIES = 1024;

export interface ServerNodeState {
  host: string;
  rank: number;
  incarnation: number;
  counter: number;
  registrations: number;
  server: ServerStats;
  registrar: CallerStats | null;
  /** Executions per call: [client id:incarnation:sequence, count], key order. */
  ledger: [string, number][];
}

export interface NameServiceState {
  host: string;
  port: number;
  registry: Record<string, Binding[]>;
  lookups: number;
  registrations: number;
  server: ServerStats;
}

function serverOptions(spec: RpcUdpWorkload, port: number): RpcUdpServerOptions {
  return {
    ...ENDPOINT_DEFAULTS,
    ackDelayNs: spec.ackDelayNs,
    nakDelayNs: spec.nakDelayNs,
    fragmentBytes: spec.fragmentBytes,
    maxMessageBytes: Math.max(spec.argumentBytes, spec.resultBytes, ENDPOINT_DEFAULTS.maxMessageBytes),
    port,
    semantics: spec.semantics,
    maxClients: spec.duplicateTable,
    maxExecuting: spec.maxExecuting,
    maxAssemblies: 16,
    exterminateOrphans: spec.exterminateOrphans,
    ledgerCapacity: LEDGER_CAPACITY,
  };
}

export class RpcUdpServerNode implements EventHandler {
  readonly id: number;
  readonly name: string;
  readonly server: RpcUdpServer;
  readonly app: CounterApp;
  private readonly sim: Simulation;
  private readonly host: AnyIpHost;
  private readonly spec: RpcUdpWorkload;
  private readonly rank: number;
  private readonly registrar: RpcUdpCaller | undefined;
  private readonly nameService: number | undefined;
  private registrations = 0;
  private epoch = 0;
  private readonly unsubscribe: (() => void)[];

  constructor(
    sim: Simulation,
    host: AnyIpHost,
    hostName: string,
    rank: number,
    spec: RpcUdpWorkload,
    nameService: number | undefined,
    registrarId: number,
  ) {
    this.sim = sim;
    this.host = host;
    this.spec = spec;
    this.rank = rank;
    this.nameService = nameService;
    this.name = `${spec.name}.${hostName}`;
    this.id = sim.register(this.name, this);
    this.app = new CounterApp(spec.initialValue, spec.executionNs, Math.max(spec.resultBytes, 8));
    const self = (): Binding => ({ address: host.ip, port: spec.port, rank, incarnation: host.incarnation });
    this.server = new RpcUdpServer(
      host,
      `${this.name}.server`,
      new SelfLookup(this.app, spec.name, self),
      serverOptions(spec, spec.port),
    );
    this.registrar =
      nameService === undefined
        ? undefined
        : new RpcUdpCaller(host, `${this.name}.registrar`, registrarId, {
            ...ENDPOINT_DEFAULTS,
            ackDelayNs: spec.ackDelayNs,
            nakDelayNs: spec.nakDelayNs,
          });
    this.unsubscribe = [host.onCrash(() => this.crash()), host.onRestart(() => this.restart())];
    sim.scheduler.scheduleAt(this.id, 0, this.id, EV_BOOT, 0, 0, 0);
  }

  handleEvent(kind: number, _a: number, b: number): void {
    if (this.host.crashed) return;
    if (kind === EV_BOOT) {
      this.server.start();
      this.registrar?.open();
      this.register();
    } else if (kind === EV_REGISTER && b === this.epoch) this.register();
  }

  destroy(): void {
    for (const u of this.unsubscribe) u();
    this.server.destroy();
    this.registrar?.destroy();
  }

  state(): ServerNodeState {
    return {
      host: this.host.nic.name,
      rank: this.rank,
      incarnation: this.server.incarnation,
      counter: this.app.value,
      registrations: this.registrations,
      server: this.server.stats(),
      registrar: this.registrar?.stats() ?? null,
      ledger: this.server.ledgerEntries(),
    };
  }

  private register(): void {
    const r = this.registrar;
    if (r === undefined || this.nameService === undefined || !r.isUp || r.busy) return;
    const epoch = this.epoch;
    const args = encodeRegister(this.spec.name, {
      address: this.host.ip,
      port: this.spec.port,
      rank: this.rank,
      incarnation: this.host.incarnation,
    });
    r.call(
      {
        dst: this.nameService,
        dstPort: this.spec.nameServicePort,
        serverIncarnation: 0,
        operation: RpcOp.REGISTER,
        args,
        retransmitNs: this.spec.retransmitNs,
        retries: this.spec.retries,
      },
      (o) => {
        if (epoch !== this.epoch || this.host.crashed) return;
        if (o.kind === "ok") this.registrations++;
        else this.sim.scheduler.schedule(this.id, this.spec.rebindDelayNs, this.id, EV_REGISTER, 0, this.epoch, 0);
      },
    );
  }

  private crash(): void {
    this.epoch = (this.epoch + 1) | 0;
    this.server.crash();
    this.registrar?.crash();
  }

  private restart(): void {
    this.server.restart();
    this.registrar?.restart();
    this.register();
  }
}

/** The registry on one (host, port), shared by the workloads that name it. */
export class NameServiceNode implements EventHandler {
  readonly id: number;
  readonly server: RpcUdpServer;
  readonly app: NameServiceApp;
  private readonly host: AnyIpHost;
  private readonly port: number;
  private readonly unsubscribe: (() => void)[];

  constructor(sim: Simulation, host: AnyIpHost, hostName: string, port: number, spec: RpcUdpWorkload) {
    this.host = host;
    this.port = port;
    this.id = sim.register(`names.${hostName}:${port}`, this);
    this.app = new NameServiceApp(NAME_SERVICE_ENTRIES, 0);
    this.server = new RpcUdpServer(host, `names.${hostName}:${port}.server`, this.app, {
      ...serverOptions(spec, port),
      semantics: "at-least-once",
      fragmentBytes: 0,
      maxClients: 1024,
      maxExecuting: 64,
    });
    this.unsubscribe = [host.onCrash(() => this.server.crash()), host.onRestart(() => this.server.restart())];
    sim.scheduler.scheduleAt(this.id, 0, this.id, EV_BOOT, 0, 0, 0);
  }

  handleEvent(kind: number): void {
    if (kind === EV_BOOT && !this.host.crashed) this.server.start();
  }

  destroy(): void {
    for (const u of this.unsubscribe) u();
    this.server.destroy();
  }

  state(): NameServiceState {
    return {
      host: this.host.nic.name,
      port: this.port,
      registry: this.app.snapshot(),
      lookups: this.app.lookups,
      registrations: this.app.registrations,
      server: this.server.stats(),
    };
  }
}
