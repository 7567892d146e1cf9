// The calling side of an rpc-udp workload on one client host: calls arrive (fixed or Poisson
// gaps, or one after another), wait their turn, and go one at a time through an RpcUdpCaller to
// the server the client is bound to; every outcome is counted.
//
// Contract:
// - Binding: with a name service, a LOOKUP there gives the servers that registered (primary
//   first) and their incarnations; without one, the client looks up each listed server's own
//   entry. The client binds to the first server it does not suspect. When a call times out at a
//   server, the client suspects it and binds again (a new lookup), so later calls go to a backup;
//   under at-least-once the timed-out call itself goes again to the next server (same sequence
//   number: one call, executions counted together), under the other semantics it ends unknown.
//   A RESTARTED answer gives the server's new incarnation. A suspected server is trusted again
//   when a lookup shows a newer incarnation, or when every server is suspected (after
//   rebindDelayNs).
// - Failures: at a crash of the host the outstanding call ends unknown (CLIENT_CRASHED), calls
//   waiting their turn fail (never sent), arrivals stop; at the restart (a new incarnation)
//   the client binds again and calls resume. A call that arrives while the queue is full fails.
// - Everything is an event of this device ("<workload>.<host>"), so a partitioned run gives
//   the same trajectory. state() is plain data.

import { EV_DEVICE_BASE } from "../devices/device.js";
import type { Rng } from "../engine/rng.js";
import type { EventHandler } from "../engine/scheduler.js";
import type { Simulation } from "../engine/simulation.js";
import type { AnyIpHost } from "../stacks/ip/ip-host.js";
import { RpcUdpCaller, type CallerStats, type CallSpec } from "../stacks/rpc-udp/caller.js";
import { encodeCallArgs, readResultValue } from "../stacks/rpc-udp/counter-app.js";
import { decodeLookupResult, encodeLookup } from "../stacks/rpc-udp/name-service.js";
import {
  ENDPOINT_DEFAULTS,
  RpcOp,
  WORKLOAD_OPERATIONS,
  type CallOutcome,
  type OutcomeKind,
} from "../stacks/rpc-udp/rpc-udp-types.js";
import { ipv4ToString } from "../wire/ipv4.js";
import { LatencyHistogram, type LatencyHistogramState } from "../trace/latency-histogram.js";
import type { RpcUdpWorkload } from "./rpc-udp-spec.js";

const EV_START = EV_DEVICE_BASE;
const EV_ARRIVAL = EV_DEVICE_BASE + 1;
const EV_REBIND = EV_DEVICE_BASE + 2;

export interface ServerAddress {
  host: string;
  address: number;
}

interface Candidate {
  address: number;
  port: number;
  rank: number;
  /** -1: not known yet (look it up before calling). */
  incarnation: number;
  /** The incarnation it had when it timed out; -1: trusted. */
  suspectedAt: number;
}

interface WorkloadCall {
  arrival: number;
  /** 0 until first sent. */
  sequence: number;
  /** Servers it was sent to. */
  tried: number;
}

export interface ClientNodeState {
  host: string;
  clientId: number;
  incarnation: number;
  calls: number;
  outcomes: Record<OutcomeKind, number> & { pending: number };
  reasons: Record<string, number>;
  /** Calls sent again to another server after a timeout (at-least-once). */
  reissued: number;
  lookups: number;
  lookupFailures: number;
  rebinds: number;
  /** The server bound to at the end ("address:port"), or null. */
  boundTo: string | null;
  /** The last counter value a reply carried (null: none). */
  lastValue: number | null;
  latency: LatencyHistogramState;
  caller: CallerStats;
}

export class RpcUdpClientNode implements EventHandler {
  readonly id: number;
  readonly name: string;
  readonly caller: RpcUdpCaller;
  private readonly sim: Simulation;
  private readonly host: AnyIpHost;
  private readonly spec: RpcUdpWorkload;
  private readonly rng: Rng;
  private readonly nameService: { address: number; port: number } | undefined;
  private readonly listed: Candidate[];
  private candidates: Candidate[];
  private current = -1;
  private up = true;
  private epoch = 0;
  private binding = false;
  private rebindPending = false;
  private arrived = 0;
  private readonly queue: WorkloadCall[] = [];
  private inFlight: WorkloadCall | undefined;
  private readonly latency = new LatencyHistogram();
  private readonly outcomes = { ok: 0, failed: 0, unknown: 0 };
  private readonly reasons: Record<string, number> = {};
  private readonly c = { reissued: 0, lookups: 0, lookupFailures: 0, rebinds: 0 };
  private lastValue: number | null = null;
  private readonly op: number;
  private readonly unsubscribe: (() => void)[];

  constructor(
    sim: Simulation,
    host: AnyIpHost,
    hostName: string,
    clientId: number,
    spec: RpcUdpWorkload,
    servers: ServerAddress[],
    nameService: number | undefined,
  ) {
    this.sim = sim;
    this.host = host;
    this.spec = spec;
    this.name = `${spec.name}.${hostName}`;
    this.op = WORKLOAD_OPERATIONS[spec.operation];
    this.id = sim.register(this.name, this);
    this.caller = new RpcUdpCaller(host, `${this.name}.caller`, clientId, {
      ...ENDPOINT_DEFAULTS,
      ackDelayNs: spec.ackDelayNs,
      nakDelayNs: spec.nakDelayNs,
      fragmentBytes: spec.fragmentBytes,
      maxMessageBytes: Math.max(spec.argumentBytes, spec.resultBytes, ENDPOINT_DEFAULTS.maxMessageBytes),
    });
    this.rng = sim.scheduler.rng(`rpc-udp:${this.name}`);
    this.nameService = nameService === undefined ? undefined : { address: nameService, port: spec.nameServicePort };
    this.listed = servers.map((s, rank) => ({
      address: s.address,
      port: spec.port,
      rank,
      incarnation: -1,
      suspectedAt: -1,
    }));
    this.candidates = this.nameService === undefined ? this.listed.map((c) => ({ ...c })) : [];
    this.unsubscribe = [host.onCrash(() => this.crash()), host.onRestart(() => this.restart())];
    sim.scheduler.scheduleAt(this.id, spec.startNs, this.id, EV_START, 0, 0, 0);
  }

  handleEvent(kind: number, _a: number, b: number): void {
    if (!this.up) return;
    if (kind === EV_START) {
      this.caller.open();
      this.scheduleArrival(0);
      this.pump();
    } else if (kind === EV_ARRIVAL && b === this.epoch) this.arrival();
    else if (kind === EV_REBIND && b === this.epoch) {
      this.rebindPending = false;
      this.pump();
    }
  }

  destroy(): void {
    for (const u of this.unsubscribe) u();
    this.caller.destroy();
  }

  state(): ClientNodeState {
    const pending = this.queue.length + (this.inFlight !== undefined ? 1 : 0);
    const bound = this.current >= 0 ? this.candidates[this.current] : undefined;
    return {
      host: this.host.nic.name,
      clientId: this.caller.clientId,
      incarnation: this.caller.incarnation,
      calls: this.arrived,
      outcomes: { ...this.outcomes, pending },
      reasons: { ...this.reasons },
      ...this.c,
      boundTo: bound === undefined ? null : `${ipv4ToString(bound.address)}:${bound.port}`,
      lastValue: this.lastValue,
      latency: this.latency.toState(),
      caller: this.caller.stats(),
    };
  }

  // --- calls ---

  private scheduleArrival(afterCalls: number): void {
    const spec = this.spec;
    if (spec.intervalNs === undefined) return;
    if (spec.count !== undefined && this.arrived >= spec.count) return;
    const gap =
      afterCalls === 0 && spec.arrivals === "fixed"
        ? 0
        : spec.arrivals === "poisson"
          ? Math.max(1, Math.round(this.rng.exponential(spec.intervalNs)))
          : spec.intervalNs;
    const at = this.sim.now + gap;
    if (at >= spec.stopNs) return;
    this.sim.scheduler.scheduleAt(this.id, at, this.id, EV_ARRIVAL, 0, this.epoch, 0);
  }

  private arrival(): void {
    this.arrived++;
    if (this.queue.length >= this.spec.queueLimit) this.record("failed", "CLIENT_QUEUE_FULL");
    else this.queue.push({ arrival: this.sim.now, sequence: 0, tried: 0 });
    this.scheduleArrival(this.arrived);
    this.pump();
  }

  /** Closed loop: the next call arrives when the last one ended. */
  private nextClosedLoop(): void {
    const spec = this.spec;
    if (spec.intervalNs !== undefined || this.sim.now >= spec.stopNs) return;
    if (spec.count !== undefined && this.arrived >= spec.count) return;
    this.arrived++;
    this.queue.push({ arrival: this.sim.now, sequence: 0, tried: 0 });
  }

  /** Starts whatever can go now: a binding lookup, or the next call. */
  private pump(): void {
    if (!this.up || this.caller.busy || !this.caller.isUp) return;
    if (this.spec.intervalNs === undefined && this.queue.length === 0 && this.inFlight === undefined)
      this.nextClosedLoop();
    if (this.current < 0) {
      if (!this.binding && !this.rebindPending) this.bind();
      return;
    }
    const call = this.queue.shift();
    if (call === undefined) return;
    const server = this.candidates[this.current]!;
    this.inFlight = call;
    const first = call.sequence === 0;
    const spec: CallSpec = {
      dst: server.address,
      dstPort: server.port,
      serverIncarnation: server.incarnation,
      operation: this.op,
      args: encodeCallArgs(this.spec.argumentBytes, this.spec.resultBytes, this.spec.amount, this.arrived),
      retransmitNs: this.spec.retransmitNs,
      retries: this.spec.retries,
      ...(first ? {} : { sequence: call.sequence }),
    };
    call.tried++;
    this.caller.call(spec, (o) => this.called(call, o));
    if (first) call.sequence = this.caller.sequence;
  }

  private called(call: WorkloadCall, o: CallOutcome): void {
    this.inFlight = undefined;
    if (o.reason === "TIMEOUT") {
      this.suspectCurrent();
      if (this.spec.semantics === "at-least-once" && this.up && call.tried < this.serverCount()) {
        // The same call, at the next server.
        this.c.reissued++;
        this.queue.unshift(call);
        this.pump();
        return;
      }
    }
    if (o.reason === "RESTARTED" && this.current >= 0) this.candidates[this.current]!.incarnation = o.serverIncarnation;
    if (o.kind === "ok") {
      this.latency.record(this.sim.now - call.arrival);
      if (o.result !== undefined) this.lastValue = readResultValue(o.result) ?? this.lastValue;
    }
    this.record(o.kind, o.reason);
    this.pump();
  }

  private record(kind: OutcomeKind, reason: string): void {
    this.outcomes[kind]++;
    const key = `${kind}:${reason}`;
    this.reasons[key] = (this.reasons[key] ?? 0) + 1;
  }

  // --- binding ---

  private serverCount(): number {
    return Math.max(this.candidates.length, this.listed.length);
  }

  private suspectCurrent(): void {
    if (this.current < 0) return;
    const s = this.candidates[this.current]!;
    s.suspectedAt = s.incarnation;
    this.current = -1;
    this.c.rebinds++;
  }

  private bind(): void {
    if (this.nameService !== undefined) {
      this.lookup(this.nameService.address, this.nameService.port, (entries) => {
        if (entries !== undefined) this.merge(entries);
        this.choose();
      });
      return;
    }
    this.choose();
  }

  /** Binds to the first trusted candidate (looking up its incarnation first when unknown). */
  private choose(): void {
    let i = this.candidates.findIndex((c) => c.suspectedAt < 0);
    if (i < 0) {
      // Every server timed out: trust them all again, after a pause.
      for (const c of this.candidates) c.suspectedAt = -1;
      this.waitToRebind();
      return;
    }
    const c = this.candidates[i]!;
    if (c.incarnation >= 0 && this.nameService !== undefined) {
      this.current = i;
      this.pump();
      return;
    }
    this.lookup(c.address, c.port, (entries) => {
      const own = entries?.find((e) => e.address === c.address && e.port === c.port);
      if (own === undefined) {
        c.suspectedAt = c.incarnation;
        this.choose();
        return;
      }
      c.incarnation = own.incarnation;
      i = this.candidates.indexOf(c);
      this.current = i;
      this.pump();
    });
  }

  private merge(entries: { address: number; port: number; rank: number; incarnation: number }[]): void {
    for (const e of entries) {
      const c = this.candidates.find((x) => x.address === e.address && x.port === e.port);
      if (c === undefined) {
        this.candidates.push({ ...e, suspectedAt: -1 });
        continue;
      }
      c.rank = e.rank;
      // A restart since it was suspected: worth trying again.
      if (c.suspectedAt >= 0 && e.incarnation > c.suspectedAt) c.suspectedAt = -1;
      c.incarnation = e.incarnation;
    }
    this.candidates.sort((a, b) => a.rank - b.rank || a.address - b.address);
  }

  private lookup(address: number, port: number, then: (entries: ReturnType<typeof decodeLookupResult>) => void): void {
    if (!this.caller.isUp || this.caller.busy) return;
    this.binding = true;
    this.c.lookups++;
    const epoch = this.epoch;
    this.caller.call(
      {
        dst: address,
        dstPort: port,
        serverIncarnation: 0,
        operation: RpcOp.LOOKUP,
        args: encodeLookup(this.spec.name),
        retransmitNs: this.spec.retransmitNs,
        retries: this.spec.retries,
      },
      (o) => {
        this.binding = false;
        if (epoch !== this.epoch || !this.up) return;
        const entries = o.kind === "ok" && o.result !== undefined ? decodeLookupResult(o.result) : undefined;
        if (entries === undefined) this.c.lookupFailures++;
        then(entries);
        if (this.current < 0 && !this.rebindPending && !this.binding && !this.caller.busy) this.waitToRebind();
      },
    );
  }

  private waitToRebind(): void {
    if (this.rebindPending) return;
    this.rebindPending = true;
    this.sim.scheduler.schedule(this.id, this.spec.rebindDelayNs, this.id, EV_REBIND, 0, this.epoch, 0);
  }

  // --- failures ---

  private crash(): void {
    if (!this.up) return;
    this.up = false;
    this.epoch = (this.epoch + 1) | 0;
    this.caller.crash();
    // The call in flight was reported by the caller (unknown); those waiting were never sent,
    // but for one waiting to go again to a backup (it was sent: it may have run).
    for (const call of this.queue.splice(0)) this.record(call.sequence > 0 ? "unknown" : "failed", "CLIENT_CRASHED");
    this.inFlight = undefined;
    this.binding = false;
    this.rebindPending = false;
    this.current = -1;
    this.candidates = this.nameService === undefined ? this.listed.map((c) => ({ ...c })) : [];
  }

  private restart(): void {
    if (this.up) return;
    this.up = true;
    this.caller.restart();
    if (this.sim.now < this.spec.startNs) return;
    this.scheduleArrival(1);
    this.pump();
  }
}
