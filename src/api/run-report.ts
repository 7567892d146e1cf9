// RunReport: what one run of a scenario produced, the same document whether one thread ran it
// or several partitions did (the CLI's --json output, the sweep's rows, the API's result).
//
// Contract:
// - reportOf(built, wallTimeMs) reads a finished unpartitioned run.
// - partialOf(built, index) is what one partition sends back: its counters for everything (the
//   devices it does not run read zero), its fingerprint accumulator and its flow statistics.
// - mergePartials(scenario, plan, partials, wallTimeMs) rebuilds the unpartitioned report:
//   events and fingerprints add (the fingerprint is a sum of per-event hashes, see
//   src/engine/fingerprint.ts), flows merge (FlowStats.mergeState), and every host, switch,
//   router and link direction is taken from the partition that ran it (a link direction runs
//   with its sending device). The result equals reportOf() of an unpartitioned run of the same
//   scenario and seed, wall time and the `parallel` section aside.
// - Transport flows (tcp-bulk, nak-bulk, rpc: src/traffic/transport-traffic.ts) carry a
//   `transport` section; across partitions its `sender` half comes from the partition that runs
//   the flow's sending host and its `receiver` half from the one that runs the receiving host,
//   then applyTransport() sets the sender-owned standard fields as an unpartitioned run does.

import type { Scenario } from "./scenario.js";
import type { BuiltScenario } from "./build-scenario.js";
import type { NetworkStats } from "./network.js";
import { Fingerprint } from "../engine/fingerprint.js";
import type { PartitionPlan } from "../engine/partition.js";
import type { ExchangeStats } from "../engine/partition-exchange.unsafe.js";
import { FlowStats, type FlowReport, type FlowStatsState } from "../trace/flow-stats.js";
import { atmReport, type AtmReport } from "./scenario-atm.js";
import { applyTransport, type TransportFlowReport, type TransportState } from "../traffic/transport-traffic.js";

export interface LinkReport {
  id: string;
  directions: ({ direction: "a->b" | "b->a" } & NetworkStats["links"][number]["directions"][number])[];
}

export interface ParallelSummary {
  partitions: number;
  automatic: boolean;
  lookaheadNs: number;
  windows: number;
  crossPartitionFrames: number;
  members: string[][];
  cutLinks: string[];
  /** Slowest partition's build (thread start not included) and window-loop wall times, ms. */
  buildMs: number;
  runMs: number;
}

export interface RunReport {
  scenario: string;
  seed: number;
  simTimeNs: number;
  wallTimeMs: number;
  events: number;
  fingerprint: string;
  /** Per flow; transport flows add their `transport` section. */
  flows: TransportFlowReport[];
  links: LinkReport[];
  hosts: NetworkStats["hosts"];
  switches: NetworkStats["switches"];
  routers: NetworkStats["routers"];
  /** ATM switches, NICs and AAL5 sources (scenarios with an atm section). */
  atm?: AtmReport;
  /** Present for partitioned runs only. */
  parallel?: ParallelSummary;
}

export interface PartialReport {
  index: number;
  atm?: AtmReport;
  events: number;
  fingerprint: { lo: number; hi: number; count: number };
  stats: NetworkStats;
  flows: FlowStatsState;
  /** Transport flows' counters as this partition saw them (both halves; the merge picks). */
  transports: TransportState[];
  exchange: ExchangeStats;
  /** Wall time this partition spent building its topology, and running its windows, ms. */
  buildMs: number;
  runMs: number;
}

function linkReports(links: NetworkStats["links"]): LinkReport[] {
  return links.map((l) => ({
    id: l.name,
    directions: l.directions.map((d, i) => ({ direction: i === 0 ? ("a->b" as const) : ("b->a" as const), ...d })),
  }));
}

/** Flow reports with each transport flow's section applied (flows are in flow-id order). */
function withTransports(flows: FlowReport[], transports: TransportState[]): TransportFlowReport[] {
  if (transports.length === 0) return flows;
  const byFlow = new Map(transports.map((t) => [t.flow, t]));
  return flows.map((f) => {
    const t = byFlow.get(f.id);
    return t === undefined ? f : applyTransport(f, t);
  });
}

export function reportOf(built: BuiltScenario, wallTimeMs: number): RunReport {
  const stats = built.network.stats();
  return {
    scenario: built.scenario.name,
    seed: built.scenario.seed,
    simTimeNs: stats.simTimeNs,
    wallTimeMs,
    events: stats.events,
    fingerprint: stats.fingerprint,
    flows: withTransports(built.flows.toJSON(), built.transports.map((t) => t.state())),
    links: linkReports(stats.links),
    hosts: stats.hosts,
    switches: stats.switches,
    routers: stats.routers,
    ...(built.atm !== undefined ? { atm: atmReport(built.atm) } : {}),
  };
}

export function partialOf(built: BuiltScenario, index: number, exchange: ExchangeStats): PartialReport {
  const sched = built.network.sim.scheduler;
  return {
    index,
    events: sched.dispatched,
    fingerprint: sched.fingerprint.getState(),
    stats: built.network.stats(),
    ...(built.atm !== undefined ? { atm: atmReport(built.atm) } : {}),
    flows: built.flows.exportState(),
    transports: built.transports.map((t) => t.state()),
    exchange: { ...exchange },
    buildMs: 0,
    runMs: 0,
  };
}

export function mergePartials(scenario: Scenario, plan: PartitionPlan, partials: PartialReport[], wallTimeMs: number): RunReport {
  const byIndex = [...partials].sort((a, b) => a.index - b.index);
  const fp = new Fingerprint();
  const flows = new FlowStats(undefined, { maxFlows: Math.max(16, scenario.traffic.length) });
  let events = 0;
  for (const p of byIndex) {
    fp.addState(p.fingerprint);
    events += p.events;
    flows.mergeState(p.flows);
  }
  const ownerOf = (name: string): PartialReport => byIndex[plan.owner[name] ?? 0]!;
  const transports = byIndex[0]!.transports.map((t, i): TransportState => {
    const spec = scenario.traffic[t.flow]!;
    return {
      ...t,
      sender: ownerOf(spec.from).transports[i]!.sender,
      receiver: ownerOf(spec.to.host ?? spec.from).transports[i]!.receiver,
    };
  });
  const first = byIndex[0]!.stats;
  const linkOwners = new Map(scenario.links.map((l) => [l.name, [l.a.device, l.b.device] as const]));
  const links = first.links.map((l, i) => {
    const ends = linkOwners.get(l.name);
    const directions = l.directions.map((d, dir) => (ends === undefined ? d : ownerOf(ends[dir]!).stats.links[i]!.directions[dir]!));
    return { name: l.name, directions: directions as typeof l.directions };
  });
  return {
    scenario: scenario.name,
    seed: scenario.seed,
    simTimeNs: first.simTimeNs,
    wallTimeMs,
    events,
    fingerprint: fp.toString(),
    flows: withTransports(flows.toJSON(), transports),
    links: linkReports(links),
    hosts: first.hosts.map((h, i) => ownerOf(h.name).stats.hosts[i]!),
    switches: first.switches.map((s, i) => ownerOf(s.name).stats.switches[i]!),
    routers: first.routers.map((r, i) => ownerOf(r.name).stats.routers[i]!),
    // Every ATM device runs in one partition (the planner keeps them together).
    ...(scenario.atm !== undefined
      ? { atm: ownerOf(scenario.atm.switches[0]?.name ?? scenario.atm.hosts[0]?.name ?? "").atm! }
      : {}),
    parallel: {
      partitions: plan.count,
      automatic: plan.automatic,
      lookaheadNs: plan.lookaheadNs,
      windows: byIndex[0]!.exchange.windows,
      crossPartitionFrames: byIndex.reduce((n, p) => n + p.exchange.framesOut, 0),
      members: plan.members,
      cutLinks: plan.cut.map((c) => c.name),
      buildMs: Math.max(...byIndex.map((p) => p.buildMs)),
      runMs: Math.max(...byIndex.map((p) => p.runMs)),
    },
  };
}
