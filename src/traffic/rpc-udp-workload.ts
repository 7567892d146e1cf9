// An rpc-udp workload: its name services, servers and clients made on their hosts, and its
// state as plain data for the report.
//
// Contract:
// - startRpcUdpWorkload(ctx, spec, names) makes, in this order, the name service (one per host
//   and port: `names` shares them between workloads), the servers (rank = place in the list)
//   and the clients, each registered under ctx.own(its host), so in a partitioned run each runs
//   where its host does. Nothing is sent while building: servers boot and clients start by
//   events.
// - Client ids are stable across crashes and unique in a scenario: (workload index + 1) << 16
//   with the client's place + 1 below; a server's registrar uses 0x8000 + its rank.
// - state() gives every node's state as this partition sees it (mergeRpcUdpStates picks each
//   from its owner); destroy() closes every socket and unsubscribes from the hosts.

import type { Simulation } from "../engine/simulation.js";
import type { AnyIpHost } from "../stacks/ip/ip-host.js";
import { RpcUdpClientNode, type ClientNodeState } from "./rpc-udp-client.js";
import {
  NameServiceNode,
  RpcUdpServerNode,
  type NameServiceState,
  type ServerNodeState,
} from "./rpc-udp-server-node.js";
import type { RpcUdpWorkload } from "./rpc-udp-spec.js";

export interface RpcUdpContext {
  sim: Simulation;
  ipHost(name: string): AnyIpHost;
  /** Registrations from now on belong to `name`'s partition. */
  own(name: string): void;
}

export interface RpcUdpWorkloadState {
  name: string;
  index: number;
  clients: ClientNodeState[];
  servers: ServerNodeState[];
  nameService: NameServiceState | null;
}

export function clientIdOf(workloadIndex: number, clientIndex: number): number {
  return (((workloadIndex + 1) << 16) | (clientIndex + 1)) >>> 0;
}

export function registrarIdOf(workloadIndex: number, rank: number): number {
  return (((workloadIndex + 1) << 16) | (0x8000 + rank)) >>> 0;
}

export class RpcUdpWorkloadRun {
  readonly spec: RpcUdpWorkload;
  readonly clients: RpcUdpClientNode[] = [];
  readonly servers: RpcUdpServerNode[] = [];
  readonly nameService: NameServiceNode | undefined;

  constructor(ctx: RpcUdpContext, spec: RpcUdpWorkload, names: Map<string, NameServiceNode>) {
    this.spec = spec;
    const { sim } = ctx;
    let nsAddress: number | undefined;
    if (spec.nameService !== undefined) {
      const host = ctx.ipHost(spec.nameService);
      nsAddress = host.ip;
      const key = `${spec.nameService}:${spec.nameServicePort}`;
      let ns = names.get(key);
      if (ns === undefined) {
        ctx.own(spec.nameService);
        ns = new NameServiceNode(sim, host, spec.nameService, spec.nameServicePort, spec);
        names.set(key, ns);
      }
      this.nameService = ns;
    }
    spec.servers.forEach((name, rank) => {
      ctx.own(name);
      const host = ctx.ipHost(name);
      this.servers.push(new RpcUdpServerNode(sim, host, name, rank, spec, nsAddress, registrarIdOf(spec.index, rank)));
    });
    const addresses = spec.servers.map((name) => ({ host: name, address: ctx.ipHost(name).ip }));
    spec.clients.forEach((name, k) => {
      ctx.own(name);
      const host = ctx.ipHost(name);
      this.clients.push(new RpcUdpClientNode(sim, host, name, clientIdOf(spec.index, k), spec, addresses, nsAddress));
    });
  }

  state(): RpcUdpWorkloadState {
    return {
      name: this.spec.name,
      index: this.spec.index,
      clients: this.clients.map((c) => c.state()),
      servers: this.servers.map((s) => s.state()),
      nameService: this.nameService?.state() ?? null,
    };
  }

  /** Closes what this workload made (a shared name service: by its last user, see destroyNames). */
  destroy(): void {
    for (const c of this.clients) c.destroy();
    for (const s of this.servers) s.destroy();
  }
}

export function startRpcUdpWorkload(
  ctx: RpcUdpContext,
  spec: RpcUdpWorkload,
  names: Map<string, NameServiceNode>,
): RpcUdpWorkloadRun {
  return new RpcUdpWorkloadRun(ctx, spec, names);
}
