// runSweep: every point of a scenario's parameter ranges as an independent piscina task, in
// parallel, one row per point.
//
// Contract:
// - Points are the cartesian product of `parameters` (first parameter varying slowest), each
//   validated again at its point (a combination can be invalid when each value alone is not).
// - Each point runs single-threaded on one worker; threads = min(points, available cores)
//   unless given. Rows come back in point order whatever order they finish in, so the table
//   is deterministic (wall times aside).
// - A failed point (invalid combination, a run error) is a row with status "error" and the
//   error's code and message; the other points still run.
// - sweepCsv(result) flattens the rows: one column per parameter ("param:<name>"), then the
//   summary columns.

import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import type { ParameterValue, ScenarioSweep } from "../scenario/scenario.js";
import { csvRow } from "../base/csv.js";
import type { SweepRow, SweepTask } from "./sweep-worker.js";
import { workerEntry } from "./worker-entry.js";

export interface SweepOptions {
  threads?: number;
  /** Called as each point finishes (in completion order), with the number done so far. */
  onPoint?: (row: SweepRow, done: number, total: number) => void;
}

export interface SweepResult {
  scenario: string;
  parameters: Record<string, ParameterValue[]>;
  /** Parameters that set the run's seed (the file's `seed: "${name}"`): repetitions, not a figure's axis. */
  seedParameters: string[];
  wallTimeMs: number;
  rows: SweepRow[];
}

export async function runSweep(sweep: ScenarioSweep, options: SweepOptions = {}): Promise<SweepResult> {
  const started = performance.now();
  const total = sweep.points.length;
  const threads = Math.max(1, Math.min(total, options.threads ?? availableParallelism()));
  const entry = workerEntry(import.meta.url, "sweep-worker");
  const pool = new Piscina({
    filename: entry.filename,
    execArgv: entry.execArgv,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 1000,
  });
  let done = 0;
  try {
    const rows = await Promise.all(
      sweep.points.map(async (point, index): Promise<SweepRow> => {
        const task: SweepTask = {
          document: sweep.document,
          point,
          index,
          ...(sweep.source !== undefined ? { source: sweep.source } : {}),
        };
        let row: SweepRow;
        try {
          row = (await pool.run(task)) as SweepRow;
        } catch (err) {
          row = {
            index,
            point,
            status: "error",
            error: { message: `the worker running this point died: ${(err as Error)?.message ?? String(err)}` },
          };
        }
        done++;
        options.onPoint?.(row, done, total);
        return row;
      }),
    );
    return {
      scenario: sweep.base.name,
      parameters: sweep.base.parameters,
      seedParameters: seedParametersOf(sweep),
      wallTimeMs: performance.now() - started,
      rows,
    };
  } finally {
    await pool.destroy();
  }
}

/** The parameters the document's top-level `seed` refers to. */
export function seedParametersOf(sweep: ScenarioSweep): string[] {
  return [...new Set(sweep.base.parameterRefs.filter((r) => r.path === "seed").flatMap((r) => r.names))];
}

const SUMMARY_COLUMNS = [
  "status",
  "error",
  "seed",
  "simTimeNs",
  "wallTimeMs",
  "events",
  "fingerprint",
  "sentPackets",
  "receivedPackets",
  "sentBytes",
  "receivedBytes",
  "droppedPackets",
  "inFlightPackets",
  "loss",
  "throughputBps",
  "latencyP50Ns",
  "latencyP99Ns",
  "latencyMaxNs",
  "latencyMeanNs",
  "jitterMeanNs",
] as const;

/** The sweep as CSV: one row per point, parameter columns first. */
export function sweepCsv(result: SweepResult): string {
  const names = Object.keys(result.parameters);
  // Parameter columns are prefixed: a parameter may be called "seed" or "loss" like a summary column.
  let out = csvRow(["point", ...names.map((n) => `param:${n}`), ...SUMMARY_COLUMNS]);
  for (const r of result.rows) {
    out += csvRow([
      r.index,
      ...names.map((n) => r.point[n] ?? ""),
      ...SUMMARY_COLUMNS.map((c) => {
        if (c === "error")
          return r.error !== undefined
            ? `${r.error.code !== undefined ? `${r.error.code}: ` : ""}${r.error.message}`
            : "";
        const v = r[c];
        return v === undefined || v === null ? "" : v;
      }),
    ]);
  }
  return out;
}
