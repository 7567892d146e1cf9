// runScenario: runs a validated scenario to its duration, on one thread or as partitions on
// worker threads, and returns its RunReport (the same document either way).
//
// Contract:
// - workers = 1 (default): the plain single-threaded engine, in this thread.
// - workers > 1: the topology is partitioned (the scenario's `partitions`, else automatically:
//   src/run/partition.ts) and each partition runs on its own worker thread. Per-flow stats,
//   counters, fingerprint and pcap bytes equal the single-threaded run's. A plan that cannot
//   be split (one group of devices) runs single-threaded. `report.parallel` says what ran.
// - pcapDir: a pcap file per host and switch port (captureAll), written by whichever thread
//   runs the port.
// - samples: time series for the HTML report (src/run/sampler.ts) in report.samples, the same
//   at any worker count; they change neither the events nor the fingerprint.
// - Errors: bad plans throw INVALID_ARGUMENT naming the link; a failed partition rejects with
//   PARTITION_FAILED naming it and the cause.

import { buildScenario } from "./build-scenario.js";
import { reportOf, type RunReport } from "./run-report.js";
import type { Scenario } from "../scenario/scenario.js";
import { runPartitioned, type PartitionedRunOptions } from "./parallel-run.js";
import { planPartitions } from "./partition.js";
import { captureAll } from "./capture.js";
import type { Network } from "./network.js";
import { startSampler } from "./sampler.js";

export interface RunScenarioOptions {
  /** Worker threads (partitions); default 1. */
  workers?: number;
  pcapDir?: string;
  /** Called with the virtual time reached, now and then (progress bars). */
  onProgress?: (simTimeNs: number) => void;
  /** Single-threaded runs: how to run the network to its end (e.g. with a progress bar). */
  runSingle?: (network: Network, endNs: number) => void;
  /** Sample time series into report.samples (default false). */
  samples?: boolean;
  /** Per link direction delay, jitter and frames in flight in the report (default false). */
  linkStats?: boolean;
  /** Test hook for failure handling (see PartitionedRunOptions.injectFailure). */
  injectFailure?: PartitionedRunOptions["injectFailure"];
}

export async function runScenario(scenario: Scenario, options: RunScenarioOptions = {}): Promise<RunReport> {
  const plan = planPartitions(scenario, options.workers ?? 1);
  if (plan.count > 1) {
    return runPartitioned(scenario, plan, {
      ...(options.pcapDir !== undefined ? { pcapDir: options.pcapDir } : {}),
      ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
      ...(options.injectFailure !== undefined ? { injectFailure: options.injectFailure } : {}),
      ...(options.samples === true ? { samples: true } : {}),
      ...(options.linkStats === true ? { linkStats: true } : {}),
    });
  }
  const started = performance.now();
  const built = buildScenario(scenario, options.linkStats === true ? { linkStats: true } : {});
  try {
    const captures = options.pcapDir !== undefined ? captureAll(built.network, options.pcapDir) : undefined;
    const samples = options.samples === true ? startSampler(built, () => true) : undefined;
    try {
      if (options.runSingle !== undefined) options.runSingle(built.network, scenario.durationNs);
      else built.network.run(scenario.durationNs);
    } finally {
      captures?.close();
    }
    return reportOf(built, performance.now() - started, samples?.());
  } finally {
    built.network.dispose();
  }
}
