// RunSampler: time series of a run, read from counters at fixed virtual-time intervals, for the
// HTML report: throughput per flow, queue length per link direction, congestion window per
// tcp-bulk flow, drops per interval.
//
// Contract:
// - Sample times are k * intervalNs for k = 0 .. count - 1 (count - 1 = floor(duration /
//   interval)), taken through Scheduler.setObserver: each reads the state once every event at
//   or before its time has run, so values do not depend on slicing, windows or workers. No
//   event is scheduled: fingerprint and event count are those of a run without samples.
// - Bounded: intervalNs is the smallest 1-2-5 step giving at most MAX_SAMPLES samples, larger
//   when the scenario has many series (at most MAX_SAMPLE_VALUES values in all). Decimation is
//   thus fixed by the scenario before the run, the same on every thread and worker count.
// - A partition samples what it runs: the flows' receive counts it saw (they add up over
//   partitions), the link directions whose sending device it owns, the tcp-bulk flows whose
//   sender it owns, the drops of its devices (they add up too). mergeSamples() rebuilds what
//   one thread samples; samplesReport() turns cumulative counts into per-interval rates.
// - State is plain data (crosses worker threads); counts are exact integers in f64.

import type { Scenario } from "../scenario/scenario.js";
import type { TracePoint } from "../trace/trace-point.js";
import type { BuiltScenario } from "./build-scenario.js";
import type { PartitionPlan } from "./partition.js";

/** Most samples per series. */
export const MAX_SAMPLES = 1001;
/** Most sampled values over all series of a run (memory bound). */
export const MAX_SAMPLE_VALUES = 8_000_000;

/** What one thread or partition sampled: cumulative counts and instantaneous values. */
export interface SamplerState {
  intervalNs: number;
  count: number;
  /** Per flow (flow-id order): received bytes so far at each sample. */
  receivedBytes: { flow: number; values: number[] }[];
  /** Per link direction owned here: frames waiting at each sample. */
  queues: { link: string; direction: 0 | 1; values: number[] }[];
  /** Per tcp-bulk flow whose sender runs here: its congestion window, bytes. */
  cwnd: { flow: number; values: number[] }[];
  /** Frames dropped so far anywhere in this partition's devices at each sample. */
  drops: number[];
}

/** The report's `samples` section: per-interval figures, ready to plot. */
export interface RunSamples {
  intervalNs: number;
  /** Time of each sample, ns (the end of each interval for the rates). */
  timesNs: number[];
  /** Received throughput over each interval (the first entry: up to time 0). */
  throughput: { flow: number; label: string; bps: number[] }[];
  queues: { link: string; direction: "a->b" | "b->a"; frames: number[] }[];
  cwnd: { flow: number; label: string; bytes: number[] }[];
  /** Frames dropped in each interval, all devices and links together. */
  drops: number[];
}

/** The smallest 1-2-5 multiple of a power of ten, in whole ns, that is >= x. */
function niceStep(x: number): number {
  if (!(x > 1)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

/** Series a scenario's sampler keeps (flows, link directions, tcp-bulk flows, drops). */
function seriesCount(s: Scenario): number {
  const tcp = s.traffic.filter((t) => t.type === "tcp-bulk").length;
  return s.traffic.length + s.messageTraffic.length + 2 * s.links.length + tcp + 1;
}

/** Sampling interval and sample count for a scenario (fixed before the run). */
export function samplingOf(s: Scenario): { intervalNs: number; count: number } {
  const most = Math.max(10, Math.min(MAX_SAMPLES, Math.floor(MAX_SAMPLE_VALUES / seriesCount(s))));
  const intervalNs = niceStep(s.durationNs / (most - 1));
  return { intervalNs, count: Math.floor(s.durationNs / intervalNs) + 1 };
}

/**
 * Starts sampling `built` (before its run); `owns(device)` says which devices this thread
 * runs (all of them when unpartitioned). Returns the function that reads the state at the end.
 */
export function startSampler(built: BuiltScenario, owns: (device: string) => boolean): () => SamplerState {
  const s = built.scenario;
  const { intervalNs, count } = samplingOf(s);
  const flowIds = [...Array(s.traffic.length + s.messageTraffic.length).keys()];
  const state: SamplerState = {
    intervalNs,
    count,
    receivedBytes: flowIds.map((flow) => ({ flow, values: [] })),
    queues: [],
    cwnd: [],
    drops: [],
  };
  const links = s.links.flatMap((l) =>
    ([0, 1] as const)
      .filter((d) => owns(d === 0 ? l.a.device : l.b.device))
      .map((direction) => ({ link: built.network.link(l.name), name: l.name, direction })),
  );
  for (const l of links) state.queues.push({ link: l.name, direction: l.direction, values: [] });
  const tcp = built.transports.filter((t) => t.spec.type === "tcp-bulk" && owns(t.spec.from));
  for (const t of tcp) state.cwnd.push({ flow: t.flowId, values: [] });
  const dropPoints: TracePoint[] = built.network.dropPoints();
  let k = 0;
  const sample = (): number => {
    state.receivedBytes.forEach((r) => r.values.push(built.flows.flow(r.flow)?.receivedBytes ?? 0));
    links.forEach((l, i) => state.queues[i]!.values.push(l.link.queueLength(l.direction)));
    tcp.forEach((t, i) => state.cwnd[i]!.values.push(Number(t.state().sender["cwnd"] ?? 0)));
    let drops = 0;
    for (const p of dropPoints) drops += p.frames;
    state.drops.push(drops);
    k++;
    return k < count ? k * intervalNs : Infinity;
  };
  built.network.sim.scheduler.setObserver(0, sample);
  return () => state;
}

/** One thread's samples from partitions' states: additive counts add, owned series are taken. */
export function mergeSamples(scenario: Scenario, plan: PartitionPlan, parts: SamplerState[]): SamplerState {
  const first = parts[0]!;
  const add = (series: (p: SamplerState) => number[]): number[] =>
    series(first).map((_, k) => parts.reduce((n, p) => n + (series(p)[k] ?? 0), 0));
  const ownerOf = (name: string): SamplerState => parts[plan.owner[name] ?? 0]!;
  const queues = scenario.links.flatMap((l) =>
    ([0, 1] as const).map((direction) => {
      const q = ownerOf(direction === 0 ? l.a.device : l.b.device).queues.find(
        (x) => x.link === l.name && x.direction === direction,
      );
      return { link: l.name, direction, values: q?.values ?? [] };
    }),
  );
  const cwnd = scenario.traffic.flatMap((t, flow) => {
    const c = ownerOf(t.from).cwnd.find((x) => x.flow === flow);
    return c === undefined ? [] : [c];
  });
  return {
    intervalNs: first.intervalNs,
    count: first.count,
    receivedBytes: first.receivedBytes.map((r, i) => ({
      flow: r.flow,
      values: add((p) => p.receivedBytes[i]!.values),
    })),
    queues,
    cwnd,
    drops: add((p) => p.drops),
  };
}

/** The report section: rates per interval from cumulative counts, with labels. */
export function samplesReport(state: SamplerState, labelOf: (flow: number) => string): RunSamples {
  const n = state.drops.length;
  const timesNs = Array.from({ length: n }, (_, k) => k * state.intervalNs);
  const perInterval = (values: number[]): number[] => values.map((v, k) => (k === 0 ? v : v - values[k - 1]!));
  return {
    intervalNs: state.intervalNs,
    timesNs,
    throughput: state.receivedBytes.map((r) => ({
      flow: r.flow,
      label: labelOf(r.flow),
      bps: perInterval(r.values).map((b) => (b * 8e9) / state.intervalNs),
    })),
    queues: state.queues.map((q) => ({
      link: q.link,
      direction: q.direction === 0 ? ("a->b" as const) : ("b->a" as const),
      frames: q.values,
    })),
    cwnd: state.cwnd.map((c) => ({ flow: c.flow, label: labelOf(c.flow), bytes: c.values })),
    drops: perInterval(state.drops),
  };
}
