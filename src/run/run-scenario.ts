// runScenario: runs a validated scenario to its duration, on one thread or as partitions on
// worker threads, and returns its RunReport (the same document either way).
//
// Contract:
// - workers = 1 (default): the plain single-threaded engine, in this thread.
// - workers > 1: the topology is partitioned (the scenario's `partitions`, else automatically:
//   src/run/partition.ts) and each partition runs on its own worker thread. Per-flow stats,
//   counters, fingerprint and pcap bytes equal the single-threaded run's. A plan that cannot
//   be split (one group of devices), or one the planner's cost model says would be slower than
//   one thread (a lookahead too short for the duration, one partition with most of the load),
//   runs on one thread unless forceWorkers; onNotice hears why in one line, and the report's
//   `partitioning` section says which way it ran and why. `report.parallel` says what ran.
// - pcap / pcapDir: a pcap file per port (scenario-capture.ts), written by whichever thread runs
//   the port; closed on whole records whatever ends the run.
// - onProgress(simTimeNs, { events, captureBytes }) now and then while the run lasts (with it
//   or a signal, a one-thread run goes in slices: run-progress.ts). An aborted signal stops the
//   run at the next event boundary (the next window's end when partitioned); the report is
//   then what was done, marked `interrupted` with the signal's reason.
// - samples: time series for the HTML report (src/run/sampler.ts) in report.samples, the same
//   at any worker count; they change neither the events nor the fingerprint. linkStats: per
//   link direction delay, jitter and frames in flight in the report.
// - Errors: bad plans throw INVALID_ARGUMENT naming the link; a failed partition rejects with
//   PARTITION_FAILED naming it and the cause.

import { buildScenario } from "./build-scenario.js";
import { reportOf, type RunReport } from "./run-report.js";
import type { Scenario } from "../scenario/scenario.js";
import { runPartitioned, type PartitionedRunOptions } from "./parallel-run.js";
import { partitioningVerdict, planPartitions, type PartitionPlan } from "./partition.js";
import { type RunProgress, runInSlices } from "./run-progress.js";
import { captureScenario, type ScenarioCaptureOptions } from "./scenario-capture.js";
import type { CaptureSet } from "./capture.js";

export type { RunProgress } from "./run-progress.js";
import { startSampler } from "./sampler.js";

export interface RunScenarioOptions {
  /** Worker threads (partitions); default 1. */
  workers?: number;
  /** Partition even when the cost model says one thread would be faster (default false). */
  forceWorkers?: boolean;
  /** Capture every port into this directory (shorthand for pcap: { dir }). */
  pcapDir?: string;
  /** Captures: the directory, which ports, snap length and size or packet limit. */
  pcap?: ScenarioCaptureOptions & { dir: string };
  /** Called with the virtual time reached and what was done, now and then (progress bars). */
  onProgress?: (simTimeNs: number, progress: RunProgress) => void;
  /** Aborting it stops the run at the next event boundary; the report says interrupted. */
  signal?: AbortSignal;
  /** One line when the run does not partition as asked (workers > 1 running on one thread), and why. */
  onNotice?: (message: string) => void;
  /** Sample time series into report.samples (default false). */
  samples?: boolean;
  /** Per link direction delay, jitter and frames in flight in the report (default false). */
  linkStats?: boolean;
  /** Test hook for failure handling (see PartitionedRunOptions.injectFailure). */
  injectFailure?: PartitionedRunOptions["injectFailure"];
}

export async function runScenario(scenario: Scenario, options: RunScenarioOptions = {}): Promise<RunReport> {
  const workers = options.workers ?? 1;
  const pcap = options.pcap ?? (options.pcapDir !== undefined ? { dir: options.pcapDir } : undefined);
  const { plan, partitioning } = choosePlan(scenario, workers, options);
  let report: RunReport;
  if (plan.count > 1) {
    report = await runPartitioned(scenario, plan, {
      ...(pcap !== undefined ? { pcap } : {}),
      ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      ...(options.injectFailure !== undefined ? { injectFailure: options.injectFailure } : {}),
      ...(options.samples === true ? { samples: true } : {}),
      ...(options.linkStats === true ? { linkStats: true } : {}),
    });
  } else {
    report = await runOneThread(scenario, pcap, options);
  }
  if (partitioning !== undefined) report.partitioning = partitioning;
  if (options.signal?.aborted === true && report.simTimeNs < scenario.durationNs) {
    report.interrupted = { reason: reasonOf(options.signal), durationNs: scenario.durationNs };
  }
  return report;
}

/** The plan to run, and (when workers > 1 were asked for) what was decided and why. */
function choosePlan(
  scenario: Scenario,
  workers: number,
  options: RunScenarioOptions,
): { plan: PartitionPlan; partitioning: RunReport["partitioning"] } {
  const plan = planPartitions(scenario, workers);
  if (workers <= 1) return { plan, partitioning: undefined };
  const verdict = partitioningVerdict(plan);
  const estimate = plan.estimate;
  const estimatedSpeedup = plan.count > 1 ? estimate.oneThreadSeconds / estimate.partitionedSeconds : 1;
  if (plan.count > 1 && (verdict.pays || options.forceWorkers === true)) {
    return {
      plan,
      partitioning: {
        workers,
        partitions: plan.count,
        ran: "partitioned",
        reason: verdict.pays ? verdict.reason : `forced (--force-workers): ${verdict.reason}`,
        estimatedSpeedup,
      },
    };
  }
  const one = planPartitions(scenario, 1);
  options.onNotice?.(
    `--workers ${workers}: ${verdict.reason}; running on one thread` +
      (plan.count > 1 ? " (--force-workers to partition anyway)" : ""),
  );
  return {
    plan: one,
    partitioning: { workers, partitions: 1, ran: "one thread", reason: verdict.reason, estimatedSpeedup },
  };
}

async function runOneThread(
  scenario: Scenario,
  pcap: (ScenarioCaptureOptions & { dir: string }) | undefined,
  options: RunScenarioOptions,
): Promise<RunReport> {
  const started = performance.now();
  const built = buildScenario(scenario, options.linkStats === true ? { linkStats: true } : {});
  try {
    let captures: CaptureSet | undefined;
    const samples = options.samples === true ? startSampler(built, () => true) : undefined;
    try {
      captures = pcap !== undefined ? captureScenario(built, pcap.dir, pcap) : undefined;
      if (options.onProgress !== undefined || options.signal !== undefined) {
        await runInSlices(built.network, scenario.durationNs, {
          ...(options.signal !== undefined ? { signal: options.signal } : {}),
          ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
          ...(captures !== undefined ? { captureBytes: () => captures!.bytes } : {}),
        });
      } else {
        built.network.run(scenario.durationNs);
      }
    } finally {
      captures?.close();
    }
    const report = reportOf(built, performance.now() - started, samples?.());
    if (captures !== undefined) report.captures = captures.summary();
    return report;
  } finally {
    built.network.dispose();
  }
}

function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (typeof r === "string") return r;
  if (r instanceof Error && r.name !== "AbortError") return r.message;
  return "aborted";
}
