// netloom/run: building a scenario into a network, running it (serial or partitioned), reports,
// captures, sweeps and the worker pool.

export {
  Network,
  type NetworkOptions,
  type NetworkStats,
  type NetworkPartition,
  type RunResult,
  type DropEvent,
  type Endpoint,
} from "../run/network.js";
export { buildScenario, type BuiltScenario, type BuildOptions, type BuiltHostStack } from "../run/build-scenario.js";
export { runScenario, type RunScenarioOptions } from "../run/run-scenario.js";
export { closePartitionPool, WARM_POOL_IDLE_MS } from "../run/partition-pool.js";
export {
  reportOf,
  type RunReport,
  type LinkReport,
  type ParallelSummary,
  type HostReport,
  type HostStackReport,
  type RunFlowReport,
} from "../run/run-report.js";
export { planPartitions, type PartitionPlan, type CutLink } from "../run/partition.js";
export { runSweep, sweepCsv, type SweepResult, type SweepOptions } from "../run/sweep.js";
export type { SweepRow } from "../run/sweep-worker.js";
export { captureAtmNic, AtmCapture } from "../run/atm-capture.js";
export type { RunSamples } from "../run/sampler.js";
export { runHtml } from "../run/html/run-page.js";
export { sweepHtml } from "../run/html/sweep-page.js";
export { meanCi, summariseSweep, type MeanCi, type SweepSummary, type SweepGroup } from "../run/sweep-stats.js";
export {
  traceNetwork,
  TRACE_KINDS,
  DEFAULT_TRACE_MAX_LINES,
  type EventTraceOptions,
} from "../run/event-trace.js";
