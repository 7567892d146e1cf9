// The run report's section of an rpc-udp workload: outcome counts, the histogram of executions
// per call, orphans, retransmissions, duplicates, fragments and NAKs, binding, latency.
//
// Contract:
// - mergeRpcUdpStates() rebuilds a workload's state from a partitioned run: each client,
//   server and the name service from the partition that ran its host.
// - rpcUdpReport(spec, state) is a pure function of the state: the same document at any
//   worker count.
// - executionsPerCall["k"] is the number of calls that ran k times, summed over every server
//   (a call sent again to a backup keeps its number): "0" counts every call made that no
//   server ran (refused, lost, never sent, or still pending at the end).
// - outcomes: ok, failed, unknown as the clients saw them (rpc-udp-types.ts), and pending: calls
//   with no outcome when the run ended; `reasons` splits them ("unknown:TIMEOUT", ...).

import { WORKLOAD_OPERATIONS } from "../stacks/rpc-udp/rpc-udp-types.js";
import { LatencyHistogram, type LatencySummary } from "../trace/latency-histogram.js";
import type { RpcUdpWorkload } from "./rpc-udp-spec.js";
import type { RpcUdpWorkloadState } from "./rpc-udp-workload.js";

export interface RpcUdpReport {
  name: string;
  type: "rpc-udp";
  semantics: RpcUdpWorkload["semantics"];
  operation: RpcUdpWorkload["operation"];
  calls: number;
  outcomes: { ok: number; failed: number; unknown: number; pending: number };
  reasons: Record<string, number>;
  executionsPerCall: Record<string, number>;
  /** Executions of the workload's operation, all servers. */
  executions: number;
  /** Calls a server ran but could not track (its ledger was full). */
  untrackedCalls: number;
  /** Each server's counter at the end, by host. */
  counters: Record<string, number>;
  orphans: { detected: number; exterminated: number; completed: number };
  retransmissions: number;
  duplicatesSuppressed: number;
  repliesReplayed: number;
  duplicatesExecuted: number;
  restartedRejects: number;
  /** Clients the servers' duplicate tables forgot to make room (their next old duplicate would look new). */
  tableEvictions: number;
  /** Calls refused BUSY (every execution slot taken, or the duplicate table full of running calls). */
  busy: number;
  fragments: { sent: number; repaired: number };
  naks: { sent: number; received: number };
  acks: { explicit: number; implicit: number; fromServers: number };
  binding: { lookups: number; lookupFailures: number; rebinds: number; reissued: number; registrations: number };
  logWrites: number;
  logFull: number;
  /** Arrival to reply of ok calls, ns. */
  latency: LatencySummary;
  clients: {
    host: string;
    incarnation: number;
    calls: number;
    ok: number;
    failed: number;
    unknown: number;
    boundTo: string | null;
  }[];
  servers: { host: string; rank: number; incarnation: number; counter: number; executions: number; restarts: number }[];
  /** This service's entries at the name service when the run ended (null: no name service). */
  registry: { address: number; port: number; rank: number; incarnation: number }[] | null;
}

export function mergeRpcUdpStates(
  specs: readonly RpcUdpWorkload[],
  parts: readonly (readonly RpcUdpWorkloadState[])[],
  ownerOf: (host: string) => number,
): RpcUdpWorkloadState[] {
  return specs.map((spec, w) => {
    const pick = (host: string): RpcUdpWorkloadState => parts[ownerOf(host)]![w]!;
    const first = parts[0]![w]!;
    return {
      ...first,
      clients: spec.clients.map((h, i) => pick(h).clients[i]!),
      servers: spec.servers.map((h, i) => pick(h).servers[i]!),
      nameService: spec.nameService === undefined ? null : pick(spec.nameService).nameService,
    };
  });
}

function sum<T>(xs: readonly T[], f: (x: T) => number): number {
  let n = 0;
  for (const x of xs) n += f(x);
  return n;
}

function histogram(state: RpcUdpWorkloadState, calls: number): Record<string, number> {
  const perCall = new Map<string, number>();
  for (const s of state.servers) for (const [key, n] of s.ledger) perCall.set(key, (perCall.get(key) ?? 0) + n);
  const out: Record<string, number> = { "0": Math.max(0, calls - perCall.size) };
  for (const n of perCall.values()) out[String(n)] = (out[String(n)] ?? 0) + 1;
  // Integer-like keys iterate in numeric order: 0, 1, 2, ...
  return out;
}

export function rpcUdpReport(spec: RpcUdpWorkload, state: RpcUdpWorkloadState): RpcUdpReport {
  const cs = state.clients;
  const ss = state.servers;
  const op = WORKLOAD_OPERATIONS[spec.operation];
  const calls = sum(cs, (c) => c.calls);
  const reasons: Record<string, number> = {};
  for (const c of cs) for (const [k, n] of Object.entries(c.reasons)) reasons[k] = (reasons[k] ?? 0) + n;
  const latency = new LatencyHistogram();
  for (const c of cs) latency.merge(LatencyHistogram.fromState(c.latency));
  const counters: Record<string, number> = {};
  for (const s of ss) counters[s.host] = s.counter;
  const registry = state.nameService === null ? null : (state.nameService.registry[spec.name] ?? []);
  return {
    name: spec.name,
    type: "rpc-udp",
    semantics: spec.semantics,
    operation: spec.operation,
    calls,
    outcomes: {
      ok: sum(cs, (c) => c.outcomes.ok),
      failed: sum(cs, (c) => c.outcomes.failed),
      unknown: sum(cs, (c) => c.outcomes.unknown),
      pending: sum(cs, (c) => c.outcomes.pending),
    },
    reasons: Object.fromEntries(Object.entries(reasons).sort(([a], [b]) => (a < b ? -1 : 1))),
    executionsPerCall: histogram(state, calls),
    executions: sum(ss, (s) => s.server.executionsByOperation[op] ?? 0),
    untrackedCalls: sum(ss, (s) => s.server.untrackedCalls),
    counters,
    orphans: {
      detected: sum(ss, (s) => s.server.orphansDetected),
      exterminated: sum(ss, (s) => s.server.orphansExterminated),
      completed: sum(ss, (s) => s.server.orphansCompleted),
    },
    retransmissions: sum(cs, (c) => c.caller.retransmissions),
    duplicatesSuppressed: sum(ss, (s) => s.server.duplicatesSuppressed),
    repliesReplayed: sum(ss, (s) => s.server.repliesReplayed),
    duplicatesExecuted: sum(ss, (s) => s.server.duplicatesExecuted),
    restartedRejects: sum(ss, (s) => s.server.restartedRejects),
    tableEvictions: sum(ss, (s) => s.server.tableEvictions),
    busy: sum(ss, (s) => s.server.busy),
    fragments: {
      sent: sum(cs, (c) => c.caller.packets.fragmentsSent) + sum(ss, (s) => s.server.packets.fragmentsSent),
      repaired: sum(cs, (c) => c.caller.fragmentsRepaired) + sum(ss, (s) => s.server.fragmentsRepaired),
    },
    naks: {
      sent: sum(cs, (c) => c.caller.packets.naksSent) + sum(ss, (s) => s.server.packets.naksSent),
      received: sum(cs, (c) => c.caller.naksReceived) + sum(ss, (s) => s.server.naksReceived),
    },
    acks: {
      explicit: sum(cs, (c) => c.caller.explicitAcks),
      implicit: sum(cs, (c) => c.caller.implicitAcks),
      fromServers: sum(cs, (c) => c.caller.acksReceived),
    },
    binding: {
      lookups: sum(cs, (c) => c.lookups),
      lookupFailures: sum(cs, (c) => c.lookupFailures),
      rebinds: sum(cs, (c) => c.rebinds),
      reissued: sum(cs, (c) => c.reissued),
      registrations: sum(ss, (s) => s.registrations),
    },
    logWrites: sum(ss, (s) => s.server.logWrites),
    logFull: sum(ss, (s) => s.server.logFull),
    latency: latency.toJSON(),
    clients: cs.map((c) => ({
      host: c.host,
      incarnation: c.incarnation,
      calls: c.calls,
      ok: c.outcomes.ok,
      failed: c.outcomes.failed,
      unknown: c.outcomes.unknown,
      boundTo: c.boundTo,
    })),
    servers: ss.map((s) => ({
      host: s.host,
      rank: s.rank,
      incarnation: s.incarnation,
      counter: s.counter,
      executions: s.server.executionsByOperation[op] ?? 0,
      restarts: s.server.restarts,
    })),
    registry,
  };
}
