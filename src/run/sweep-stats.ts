// Sweep statistics across seeds: the mean of each figure at each combination of the other
// parameters, with a 95% confidence interval (Student's t, from jStat), for the sweep report.
//
// Contract:
// - Rows are grouped by their non-seed parameters (result.seedParameters are repetitions);
//   within a group, rows that ran with the same seed are one run counted once (a sweep file can
//   repeat a seed, and the same scenario and seed give the same results: counting a repeat
//   twice would only narrow the interval). Failed rows are left out and counted.
// - meanCi(values): the mean and t(0.975, n - 1) * s / sqrt(n) with the sample standard
//   deviation s; the half-width is null below two values.
// - A figure that a run could not give (null: no delay sample) is left out of that figure only.

import jStatModule from "jstat";
import type { ParameterValue } from "../scenario/scenario.js";
import type { SweepResult } from "./sweep.js";
import type { SweepRow } from "./sweep-worker.js";

const { jStat } = jStatModule;

export type SweepFigureKey =
  | "throughputBps"
  | "loss"
  | "receivedPackets"
  | "latencyMeanNs"
  | "latencyP99Ns"
  | "jitterMeanNs";

export interface SweepFigure {
  key: SweepFigureKey;
  title: string;
  unit: "bps" | "ratio" | "count" | "ns";
}

/** The figures the report charts, in order. */
export const SWEEP_FIGURES: readonly SweepFigure[] = [
  { key: "throughputBps", title: "Throughput (all flows)", unit: "bps" },
  { key: "loss", title: "Loss", unit: "ratio" },
  { key: "receivedPackets", title: "Packets received", unit: "count" },
  { key: "latencyMeanNs", title: "Mean one-way delay", unit: "ns" },
  { key: "latencyP99Ns", title: "Delay p99 (worst flow)", unit: "ns" },
  { key: "jitterMeanNs", title: "Jitter (ns-3 definition)", unit: "ns" },
];

export interface MeanCi {
  mean: number;
  /** Half-width of the 95% confidence interval (null with fewer than two values). */
  half: number | null;
  n: number;
}

export function meanCi(values: readonly number[]): MeanCi | null {
  const n = values.length;
  if (n === 0) return null;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, half: null, n };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { mean, half: jStat.studentt.inv(0.975, n - 1) * Math.sqrt(variance / n), n };
}

export interface SweepGroup {
  /** The non-seed parameters' values. */
  point: Record<string, ParameterValue>;
  /** Distinct seeds of the group's successful runs, in row order. */
  seeds: number[];
  figures: Record<SweepFigureKey, MeanCi | null>;
}

export interface SweepSummary {
  /** Parameters the figures are charted against (the non-seed ones), in declaration order. */
  axes: string[];
  groups: SweepGroup[];
  failed: number;
  /** Rows left out because their seed repeated an earlier row of the same group. */
  repeats: number;
}

export function summariseSweep(result: SweepResult): SweepSummary {
  const seedParams = new Set(result.seedParameters);
  const axes = Object.keys(result.parameters).filter((n) => !seedParams.has(n));
  const byKey = new Map<string, { point: Record<string, ParameterValue>; rows: SweepRow[] }>();
  let failed = 0;
  let repeats = 0;
  for (const r of result.rows) {
    const point: Record<string, ParameterValue> = {};
    for (const a of axes) point[a] = r.point[a]!;
    const key = JSON.stringify(axes.map((a) => point[a]));
    let g = byKey.get(key);
    if (g === undefined) byKey.set(key, (g = { point, rows: [] }));
    if (r.status !== "ok") {
      failed++;
      continue;
    }
    if (g.rows.some((x) => x.seed === r.seed)) {
      repeats++;
      continue;
    }
    g.rows.push(r);
  }
  const groups = [...byKey.values()].map(({ point, rows }) => {
    const figures = {} as Record<SweepFigureKey, MeanCi | null>;
    for (const f of SWEEP_FIGURES) {
      const values = rows.map((r) => r[f.key]).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
      figures[f.key] = meanCi(values);
    }
    return { point, seeds: rows.map((r) => r.seed!), figures };
  });
  return { axes, groups, failed, repeats };
}
