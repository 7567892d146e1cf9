// netloom: what an embedding program starts with. Build a network in code (Network) or load a
// scenario file, run it on one thread or on partitions in worker threads, sweep its
// parameters, compare host stacks, and read the reports. Everything else is on a subpath
// entry, by room: netloom/kernels, netloom/wire, netloom/engine, netloom/devices, netloom/trace,
// netloom/stacks, netloom/traffic, netloom/scenario, netloom/run, netloom/compare.

// Errors: one class with a stable string code.
export { ErrorCode, NetloomError } from "./base/errors.js";

// Units as scenario files and the Network API write them.
export {
  formatBitRate,
  formatByteSize,
  formatDuration,
  parseBitRate,
  parseByteSize,
  parseDuration,
} from "./base/units.js";

// The four kernel functions with their documented meanings: the Internet checksum as the header
// field value, the Ethernet FCS CRC-32, the AAL5 CRC-32 and the ATM header's HEC.
export { atmHec, crc32, crc32Aal5, internetChecksum } from "./kernels/checksum.js";

// Building and running a network in code.
export {
  type DropEvent,
  type Endpoint,
  Network,
  type NetworkOptions,
  type NetworkStats,
  type RunResult,
} from "./run/network.js";

// Scenario files, runs and sweeps.
export {
  loadScenario,
  loadSweep,
  type ParameterValue,
  parseScenario,
  type Scenario,
  ScenarioError,
  type ScenarioSweep,
  validateScenario,
} from "./scenario/scenario.js";
export { type RunScenarioOptions, runScenario } from "./run/run-scenario.js";
export { closePartitionPool } from "./run/partition-pool.js";
export { runSweep, type SweepOptions, type SweepResult } from "./run/sweep.js";
export type { SweepRow } from "./run/sweep-worker.js";

// Host-stack comparisons.
export { type Comparison, loadComparison, parseComparison } from "./scenario/compare-file.js";
export {
  type CompareOptions,
  type CompareRow,
  type ComparisonReport,
  runComparison,
} from "./compare/run-compare.js";

// Reports.
export type {
  HostReport,
  HostStackReport,
  LinkReport,
  ParallelSummary,
  RunFlowReport,
  RunReport,
} from "./run/run-report.js";
export type { FlowReport, FlowLatency, FlowJitter, FlowTimes } from "./trace/flow-stats.js";
export type { TransportFlowReport } from "./traffic/transport-traffic.js";
