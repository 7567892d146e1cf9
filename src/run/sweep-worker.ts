// One point of a parameter sweep, as a piscina task: the scenario at that point, run to its end
// on this worker thread (single-threaded: points are the unit of parallelism), summarised in
// one row. Never throws across the worker boundary: a failed point is a row with its error.

import { NetloomError } from "../base/errors.js";
import { runScenario } from "./run-scenario.js";
import { scenarioAtPoint, type ParameterValue } from "../scenario/scenario.js";
import type { FlowReport } from "../trace/flow-stats.js";

export interface SweepTask {
  document: unknown;
  source?: string;
  point: Record<string, ParameterValue>;
  index: number;
}

export interface SweepRow {
  index: number;
  point: Record<string, ParameterValue>;
  status: "ok" | "error";
  error?: { code?: string; message: string };
  seed?: number;
  simTimeNs?: number;
  wallTimeMs?: number;
  events?: number;
  fingerprint?: string;
  sentPackets?: number;
  receivedPackets?: number;
  sentBytes?: number;
  receivedBytes?: number;
  /** Packets dropped (by reason) and still in flight at the end, over all flows. */
  droppedPackets?: number;
  drops?: Record<string, number>;
  inFlightPackets?: number;
  /** dropped / sent over all flows: packets in flight at the end are not lost (null when nothing was sent). */
  loss?: number | null;
  /** Sum of the flows' throughputs, bit/s. */
  throughputBps?: number;
  /** Worst flow's latency percentiles, ns (null without samples). */
  latencyP50Ns?: number | null;
  latencyP99Ns?: number | null;
  latencyMaxNs?: number | null;
  /** Mean one-way delay and ns-3 jitter over every delay sample of every flow, ns (null without samples). */
  latencyMeanNs?: number | null;
  jitterMeanNs?: number | null;
  flows?: FlowReport[];
}

/** The mean of per-flow means weighted by their sample counts (null when no flow has a sample). */
function pooled(flows: FlowReport[], of: (f: FlowReport) => { mean: number | null; samples: number }): number | null {
  let sum = 0;
  let n = 0;
  for (const f of flows) {
    const { mean, samples } = of(f);
    if (mean === null || samples === 0) continue;
    sum += mean * samples;
    n += samples;
  }
  return n === 0 ? null : sum / n;
}

function worst(flows: FlowReport[], key: "p50" | "p99" | "max"): number | null {
  let w: number | null = null;
  for (const f of flows) {
    const v = f.latencyNs[key];
    if (v !== null && (w === null || v > w)) w = v;
  }
  return w;
}

export default async function runSweepPoint(task: SweepTask): Promise<SweepRow> {
  const base = { index: task.index, point: task.point };
  try {
    const scenario = scenarioAtPoint(task.document, task.point, task.source);
    const r = await runScenario(scenario);
    const sum = (k: "sentPackets" | "receivedPackets" | "sentBytes" | "receivedBytes"): number =>
      r.flows.reduce((n, f) => n + f[k], 0);
    const sent = sum("sentPackets");
    const received = sum("receivedPackets");
    const dropped = r.flows.reduce((n, f) => n + f.droppedPackets, 0);
    const drops: Record<string, number> = {};
    for (const f of r.flows) for (const [k, v] of Object.entries(f.drops)) drops[k] = (drops[k] ?? 0) + v;
    return {
      ...base,
      status: "ok",
      seed: r.seed,
      simTimeNs: r.simTimeNs,
      wallTimeMs: r.wallTimeMs,
      events: r.events,
      fingerprint: r.fingerprint,
      sentPackets: sent,
      receivedPackets: received,
      sentBytes: sum("sentBytes"),
      receivedBytes: sum("receivedBytes"),
      droppedPackets: dropped,
      drops,
      inFlightPackets: r.flows.reduce((n, f) => n + (f.inFlightPackets ?? 0), 0),
      loss: sent === 0 ? null : dropped / sent,
      throughputBps: r.flows.reduce((n, f) => n + f.throughputBps, 0),
      latencyP50Ns: worst(r.flows, "p50"),
      latencyP99Ns: worst(r.flows, "p99"),
      latencyMaxNs: worst(r.flows, "max"),
      latencyMeanNs: pooled(r.flows, (f) => f.latencyNs),
      jitterMeanNs: pooled(r.flows, (f) => f.jitterNs),
      flows: r.flows,
    };
  } catch (err) {
    return {
      ...base,
      status: "error",
      error: {
        ...(err instanceof NetloomError ? { code: err.code } : {}),
        message: (err as Error)?.message ?? String(err),
      },
    };
  }
}
