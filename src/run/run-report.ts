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
// - Message flows (ping-pong, message-stream over hostStack hosts) carry a `messages`
//   section (MessageFlowState: configuration, layers, rounds or messages asked and completed,
//   refused, mismatches, mean round trip); hostStack hosts' entries carry `hostStack`: the
//   configuration, layers, profile, the HostCpu's stats (CPU time and count by operation in
//   `cpu.ops`) and the stack's own counters. Both come from the partition that runs the flow's
//   hosts (the planner keeps the two ends of a flow together).
// - Workloads (the scenario's `workloads`): `primaryBackup` (per service: totals, the split-brain
//   report over the whole run, servers and clients) and `streamBreaks` (per stream set: each
//   stream's break times at both ends, the spread) and `twoPhaseCommit` (per workload: outcomes,
//   commit latency, blocking, log writes, messages, the atomicity check, which throws
//   CHECK_FAILED on a violation). Across partitions each server, client, stream end and commit
//   party comes from the partition that runs its host, and the reports are made from the merged
//   states, as an unpartitioned run makes them.

import type { Scenario } from "../scenario/scenario.js";
import { flowCapacity, type BuiltScenario } from "./build-scenario.js";
import type { MessageFlowState } from "../traffic/message-traffic.js";
import type { HostCpuStats } from "../stacks/cost.js";
import type { MessageStackCounters } from "../stacks/message-stack.js";
import type { NetworkStats } from "./network.js";
import { Fingerprint } from "../engine/fingerprint.js";
import type { PartitionPlan } from "./partition.js";
import type { ExchangeStats } from "../engine/partition-exchange.unsafe.js";
import { FlowStats, type FlowReport, type FlowStatsState } from "../trace/flow-stats.js";
import { atmReport, type AtmReport } from "./atm-report.js";
import type { CaptureSummary } from "./capture.js";
import { applyTransport, type TransportFlowReport, type TransportState } from "../traffic/transport-traffic.js";
import { mergeRpcUdpStates, rpcUdpReport, type RpcUdpReport } from "../traffic/rpc-udp-report.js";
import type { RpcUdpWorkloadState } from "../traffic/rpc-udp-workload.js";
import type { RpcUdpWorkload } from "../traffic/rpc-udp-spec.js";
import type { LinkMonitorReport } from "../trace/link-monitor.js";
import { mergeSamples, type RunSamples, type SamplerState, samplesReport } from "./sampler.js";
import {
  commitReport,
  failOnViolation,
  mergeCommitStates,
  type TwoPhaseCommitReport,
} from "../traffic/commit-report.js";
import type { TwoPhaseCommitState } from "../traffic/two-phase-commit.js";
import {
  mergePrimaryBackup,
  primaryBackupReport,
  type PrimaryBackupReport,
  type PrimaryBackupState,
} from "../traffic/primary-backup-workload.js";
import {
  streamBreaksReport,
  type StreamBreaksReport,
  type StreamBreaksState,
  type StreamBreaksSpec,
} from "../traffic/stream-breaks.js";

export interface LinkReport {
  id: string;
  /** The link's counters; delay, jitter and in-flight figures from the LinkMonitor beside them. */
  directions: ({ direction: "a->b" | "b->a" } & NetworkStats["links"][number]["directions"][number] &
    Partial<LinkMonitorReport>)[];
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
  /** Per partition: build and window-loop wall times, the part of the loop spent waiting at barriers, events dispatched. */
  perPartition: { buildMs: number; runMs: number; barrierWaitMs: number; events: number }[];
  /** True when the worker threads had run an earlier run in this process (warm JIT), false on a cold start. */
  warmThreads: boolean;
}

/** A hostStack host's section of its `hosts` entry. */
export interface HostStackReport {
  configuration: string;
  /** Top to bottom; [] for unet and active-messages. */
  layers: string[];
  /** The profile as the scenario names it. */
  profile: string;
  /** Virtual CPU time by operation (ops), jobs, queue waits, busy time per CPU. */
  cpu: HostCpuStats;
  /** The stack's own counters (null for a host in no message flow: it has no stack). */
  stack: MessageStackCounters | null;
}

export type HostReport = NetworkStats["hosts"][number] & { hostStack?: HostStackReport };

/** A flow of the report: transport flows add `transport`, message flows `messages`. */
export type RunFlowReport = TransportFlowReport & { messages?: MessageFlowState };

export interface RunReport {
  scenario: string;
  seed: number;
  simTimeNs: number;
  wallTimeMs: number;
  events: number;
  fingerprint: string;
  /** Per flow (IP traffic, then message flows); transport flows add `transport`, message flows `messages`. */
  flows: RunFlowReport[];
  links: LinkReport[];
  /** Every host; hostStack hosts add their `hostStack` section. */
  hosts: HostReport[];
  switches: NetworkStats["switches"];
  routers: NetworkStats["routers"];
  /** ATM switches, NICs and AAL5 sources (scenarios with an atm section). */
  atm?: AtmReport;
  /** Crashes, restarts and partitions (scenarios with a failures section). */
  failures?: FailuresReport;
  /** rpc-udp workloads: outcomes, executions per call, orphans, retransmissions (scenarios with some). */
  rpcUdp?: RpcUdpReport[];
  /** primary-backup workloads: calls, failovers, the split-brain report (scenarios with one). */
  primaryBackup?: PrimaryBackupReport[];
  /** stream-breaks workloads: each stream's break times and the spread (scenarios with one). */
  streamBreaks?: StreamBreaksReport[];
  /** two-phase-commit workloads: outcomes, latency, blocking, log writes, the atomicity check. */
  twoPhaseCommit?: TwoPhaseCommitReport[];
  /** Present for partitioned runs only. */
  parallel?: ParallelSummary;
  /** Present when more than one worker was asked for: whether the run partitioned, and why. */
  partitioning?: PartitioningDecision;
  /** Present when the run was stopped before its end (an interrupt): why, and the end it had. */
  interrupted?: { reason: string; durationNs: number };
  /** Present when the run captured to pcap files. */
  captures?: CaptureSummary;
  /** Time series sampled during the run (runs asked for them: the HTML report). */
  samples?: RunSamples;
}

export interface PartitioningDecision {
  /** Workers asked for. */
  workers: number;
  /** Partitions the run had (1: one thread). */
  partitions: number;
  ran: "partitioned" | "one thread";
  /** In words: the planner's verdict (partition.ts partitioningVerdict). */
  reason: string;
  /** One thread's estimated time over the partitioned run's (below 1: partitioning is slower). */
  estimatedSpeedup: number;
}

export interface FailuresReport {
  devices: NetworkStats["failures"];
  partitions: NetworkStats["partitions"];
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
  /** Message flows and hostStack hosts as this partition saw them (the merge takes the owner's). */
  messages: MessageFlowState[];
  hostStacks: Record<string, HostStackReport>;
  /** rpc-udp workloads as this partition saw them (the merge takes each host's part from its owner). */
  rpcUdp: RpcUdpWorkloadState[];
  /** Workloads as this partition saw them (the merge takes each node from its host's owner). */
  primaryBackups: PrimaryBackupState[];
  streamBreaks: StreamBreaksState[];
  /** two-phase-commit workloads (the merge takes each party's part from its host's owner). */
  commits: TwoPhaseCommitState[];
  exchange: ExchangeStats;
  /** This partition's capture files, when it captured. */
  captures?: CaptureSummary;
  /** Wall time this partition spent building its topology, and running its windows, ms. */
  buildMs: number;
  runMs: number;
  /** LinkMonitor figures of every link direction, keyed "<link>:<direction>" (the merge takes the owner's). */
  linkMonitor: Record<string, LinkMonitorReport>;
  samples?: SamplerState;
}

function linkReports(
  links: NetworkStats["links"],
  monitor: (key: string) => LinkMonitorReport | undefined,
): LinkReport[] {
  return links.map((l) => ({
    id: l.name,
    directions: l.directions.map((d, i) => ({
      direction: i === 0 ? ("a->b" as const) : ("b->a" as const),
      ...d,
      ...monitor(`${l.name}:${i}`),
    })),
  }));
}

function linkMonitorReports(built: BuiltScenario): Record<string, LinkMonitorReport> {
  const out: Record<string, LinkMonitorReport> = {};
  const now = built.network.sim.now;
  for (const l of built.scenario.links) {
    for (const d of [0, 1]) {
      const r = built.linkMonitor?.report(`${l.name}:${d}`, now);
      if (r !== undefined) out[`${l.name}:${d}`] = r;
    }
  }
  return out;
}

function flowLabel(scenario: Scenario): (flow: number) => string {
  const names = [...scenario.traffic.map((t) => t.name), ...scenario.messageTraffic.map((t) => t.name)];
  return (flow) => names[flow] ?? `flow ${flow}`;
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

/** Flow reports with each message flow's section added. */
function withMessages(flows: TransportFlowReport[], messages: MessageFlowState[]): RunFlowReport[] {
  if (messages.length === 0) return flows;
  const byFlow = new Map(messages.map((m) => [m.flow, m]));
  return flows.map((f) => {
    const m = byFlow.get(f.id);
    return m === undefined ? f : { ...f, messages: m };
  });
}

function hostStackReports(built: BuiltScenario): Record<string, HostStackReport> {
  const out: Record<string, HostStackReport> = {};
  for (const [name, h] of built.hostStacks) {
    out[name] = {
      configuration: h.host.hostStack.configuration,
      layers: [...h.host.hostStack.layers],
      profile: h.host.hostStack.profileName,
      cpu: h.cpu.stats(),
      stack: h.stack?.stats() ?? null,
    };
  }
  return out;
}

function withHostStacks(
  hosts: NetworkStats["hosts"],
  sections: (name: string) => HostStackReport | undefined,
): HostReport[] {
  return hosts.map((h) => {
    const hs = sections(h.name);
    return hs === undefined ? h : { ...h, hostStack: hs };
  });
}

export function reportOf(built: BuiltScenario, wallTimeMs: number, samples?: SamplerState): RunReport {
  const stats = built.network.stats();
  const stacks = hostStackReports(built);
  const monitor = linkMonitorReports(built);
  return {
    scenario: built.scenario.name,
    seed: built.scenario.seed,
    simTimeNs: stats.simTimeNs,
    wallTimeMs,
    events: stats.events,
    fingerprint: stats.fingerprint,
    flows: withMessages(
      withTransports(
        built.flows.toJSON(),
        built.transports.map((t) => t.state()),
      ),
      built.messages.map((m) => m.state()),
    ),
    links: linkReports(stats.links, (key) => monitor[key]),
    hosts: withHostStacks(stats.hosts, (n) => stacks[n]),
    switches: stats.switches,
    routers: stats.routers,
    ...(built.atm !== undefined ? { atm: atmReport(built.atm) } : {}),
    ...(built.scenario.failures.length > 0
      ? { failures: { devices: stats.failures, partitions: stats.partitions } }
      : {}),
    ...(built.rpcUdp.length > 0 ? { rpcUdp: built.rpcUdp.map((r) => rpcUdpReport(r.spec, r.state())) } : {}),
    ...commitSection(
      built.scenario,
      built.commits.map((w) => w.state(built.scenario.durationNs)),
    ),
    ...workloadSections(
      built.scenario,
      built.primaryBackups.map((r) => r.state()),
      built.streamBreaks.map((r) => r.state()),
      stats.simTimeNs,
    ),
    ...(samples !== undefined ? { samples: samplesReport(samples, flowLabel(built.scenario)) } : {}),
  };
}

/** The workload sections of a report, from unpartitioned (or merged) workload states. */
function workloadSections(
  scenario: Scenario,
  pb: PrimaryBackupState[],
  sb: StreamBreaksState[],
  endNs: number,
): Pick<RunReport, "primaryBackup" | "streamBreaks"> {
  const specs = scenario.workloads.filter((w): w is StreamBreaksSpec => w.type === "stream-breaks");
  return {
    ...(pb.length > 0 ? { primaryBackup: pb.map((p) => primaryBackupReport(p, endNs)) } : {}),
    ...(sb.length > 0 ? { streamBreaks: sb.map((x, i) => streamBreaksReport(specs[i]!, x.from, x.to)) } : {}),
  };
}

/**
 * The two-phase-commit sections from each workload's (merged) state; throws the first
 * workload's atomicity violation (CHECK_FAILED): a run whose workload breaks its check fails.
 */
function commitSection(scenario: Scenario, commits: TwoPhaseCommitState[]): Pick<RunReport, "twoPhaseCommit"> {
  if (commits.length === 0) return {};
  const reports: TwoPhaseCommitReport[] = [];
  let next = 0;
  scenario.workloads.forEach((spec, index) => {
    if (spec.type !== "two-phase-commit") return;
    const r = commitReport(spec, commits[next++]!);
    failOnViolation(r, index);
    reports.push(r);
  });
  return { twoPhaseCommit: reports };
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
    messages: built.messages.map((m) => m.state()),
    hostStacks: hostStackReports(built),
    rpcUdp: built.rpcUdp.map((r) => r.state()),
    primaryBackups: built.primaryBackups.map((r) => r.state()),
    streamBreaks: built.streamBreaks.map((r) => r.state()),
    commits: built.commits.map((w) => w.state(built.scenario.durationNs)),
    exchange: { ...exchange },
    buildMs: 0,
    runMs: 0,
    linkMonitor: linkMonitorReports(built),
  };
}

export function mergePartials(
  scenario: Scenario,
  plan: PartitionPlan,
  partials: PartialReport[],
  wallTimeMs: number,
  warmThreads = false,
): RunReport {
  const byIndex = [...partials].sort((a, b) => a.index - b.index);
  const fp = new Fingerprint();
  const flows = new FlowStats(undefined, { maxFlows: flowCapacity(scenario) });
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
  // A message flow runs, both ends, where its `from` host runs.
  const messages = scenario.messageTraffic.map((spec, k) => ownerOf(spec.from).messages[k]!);
  const first = byIndex[0]!.stats;
  const linkOwners = new Map(scenario.links.map((l) => [l.name, [l.a.device, l.b.device] as const]));
  const links = first.links.map((l, i) => {
    const ends = linkOwners.get(l.name);
    const directions = l.directions.map((d, dir) =>
      ends === undefined ? d : ownerOf(ends[dir]!).stats.links[i]!.directions[dir]!,
    );
    return { name: l.name, directions: directions as typeof l.directions };
  });
  const monitorOf = (key: string): LinkMonitorReport | undefined => {
    const sep = key.lastIndexOf(":");
    const ends = linkOwners.get(key.slice(0, sep));
    return ends === undefined ? undefined : ownerOf(ends[Number(key.slice(sep + 1))]!).linkMonitor[key];
  };
  const sampled = byIndex.map((p) => p.samples).filter((x): x is SamplerState => x !== undefined);
  return {
    scenario: scenario.name,
    seed: scenario.seed,
    simTimeNs: first.simTimeNs,
    wallTimeMs,
    events,
    fingerprint: fp.toString(),
    flows: withMessages(withTransports(flows.toJSON(), transports), messages),
    links: linkReports(links, monitorOf),
    hosts: withHostStacks(
      first.hosts.map((h, i) => ownerOf(h.name).stats.hosts[i]!),
      (n) => ownerOf(n).hostStacks[n],
    ),
    switches: first.switches.map((s, i) => ownerOf(s.name).stats.switches[i]!),
    routers: first.routers.map((r, i) => ownerOf(r.name).stats.routers[i]!),
    // Every ATM device runs in one partition (the planner keeps them together).
    ...(scenario.atm !== undefined
      ? { atm: ownerOf(scenario.atm.switches[0]?.name ?? scenario.atm.hosts[0]?.name ?? "").atm! }
      : {}),
    ...(scenario.failures.length > 0
      ? {
          failures: {
            devices: first.failures.map((d, i) => ownerOf(d.device).stats.failures[i]!),
            partitions: first.partitions,
          },
        }
      : {}),
    ...(byIndex.some((p) => p.captures !== undefined) ? { captures: sumCaptures(byIndex) } : {}),
    ...rpcUdpSection(scenario, plan, byIndex),
    ...commitSection(
      scenario,
      scenario.workloads
        .filter((w) => w.type === "two-phase-commit")
        .map((spec, k) => mergeCommitStates(spec, (host) => ownerOf(host).commits[k]!)),
    ),
    ...mergedWorkloads(scenario, byIndex, (n) => plan.owner[n] ?? 0, first.simTimeNs),
    parallel: parallelSection(plan, byIndex, warmThreads),
    ...(sampled.length === byIndex.length && sampled.length > 0
      ? { samples: samplesReport(mergeSamples(scenario, plan, sampled), flowLabel(scenario)) }
      : {}),
  };
}

/** The parallel section of a partitioned run's report. */
function parallelSection(plan: PartitionPlan, byIndex: PartialReport[], warmThreads: boolean): ParallelSummary {
  return {
    partitions: plan.count,
    automatic: plan.automatic,
    lookaheadNs: plan.lookaheadNs,
    windows: byIndex[0]!.exchange.windows,
    crossPartitionFrames: byIndex.reduce((n, p) => n + p.exchange.framesOut, 0),
    members: plan.members,
    cutLinks: plan.cut.map((c) => c.name),
    buildMs: Math.max(...byIndex.map((p) => p.buildMs)),
    runMs: Math.max(...byIndex.map((p) => p.runMs)),
    perPartition: byIndex.map((p) => ({
      buildMs: p.buildMs,
      runMs: p.runMs,
      barrierWaitMs: p.exchange.barrierWaitMs,
      events: p.events,
    })),
    warmThreads,
  };
}

/** The partitions' capture files together. */
function sumCaptures(partials: PartialReport[]): CaptureSummary {
  const out: CaptureSummary = { files: 0, records: 0, bytes: 0, overLimit: 0, filesAtLimit: 0 };
  for (const p of partials) {
    const c = p.captures;
    if (c === undefined) continue;
    out.files += c.files;
    out.records += c.records;
    out.bytes += c.bytes;
    out.overLimit += c.overLimit;
    out.filesAtLimit += c.filesAtLimit;
  }
  return out;
}

/** The rpc-udp reports of a partitioned run: each client, server and name service from its owner. */
function rpcUdpSection(scenario: Scenario, plan: PartitionPlan, byIndex: PartialReport[]): { rpcUdp?: RpcUdpReport[] } {
  const specs = scenario.workloads.filter((w): w is RpcUdpWorkload => w.type === "rpc-udp");
  if (specs.length === 0) return {};
  const states = mergeRpcUdpStates(
    specs,
    byIndex.map((p) => p.rpcUdp),
    (host) => plan.owner[host] ?? 0,
  );
  return { rpcUdp: specs.map((spec, i) => rpcUdpReport(spec, states[i]!)) };
}

/** Workload sections of a partitioned run: each node's, or stream end's, state from its host's owner. */
function mergedWorkloads(
  scenario: Scenario,
  parts: PartialReport[],
  ownerOf: (host: string) => number,
  endNs: number,
): Pick<RunReport, "primaryBackup" | "streamBreaks"> {
  const pb = parts[0]!.primaryBackups.map((_, i) =>
    mergePrimaryBackup(
      parts.map((p) => p.primaryBackups[i]!),
      ownerOf,
    ),
  );
  const specs = scenario.workloads.filter((w): w is StreamBreaksSpec => w.type === "stream-breaks");
  const sb = parts[0]!.streamBreaks.map(
    (x, i): StreamBreaksState => ({
      name: x.name,
      from: parts[ownerOf(specs[i]!.from)]!.streamBreaks[i]!.from,
      to: parts[ownerOf(specs[i]!.to)]!.streamBreaks[i]!.to,
    }),
  );
  return workloadSections(scenario, pb, sb, endNs);
}
