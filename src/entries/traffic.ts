// netloom/traffic: traffic sources and workloads, and the normalised traffic specs they take.

export { MessageFlow, type MessageFlowState } from "../traffic/message-traffic.js";
export { Aal5Source, type Aal5SourceOptions } from "../traffic/aal5-source.js";
export {
  CbrSource,
  PoissonSource,
  FrameSource,
  SourceState,
  type FrameSourceOptions,
  type FrameSourceStats,
} from "../traffic/frame-source.js";
export {
  startTransportTraffic,
  applyTransport,
  type TransportFlow,
  type TransportState,
  type TransportFlowReport,
} from "../traffic/transport-traffic.js";
export {
  RpcUdpWorkloadRun,
  startRpcUdpWorkload,
  type RpcUdpContext,
  type RpcUdpWorkloadState,
} from "../traffic/rpc-udp-workload.js";
export { rpcUdpReport, mergeRpcUdpStates, type RpcUdpReport } from "../traffic/rpc-udp-report.js";
export type { RpcUdpWorkload } from "../traffic/rpc-udp-spec.js";
export {
  PrimaryBackupRun,
  startPrimaryBackup,
  mergePrimaryBackup,
  primaryBackupReport,
  type PrimaryBackupSpec,
  type PrimaryBackupState,
  type PrimaryBackupReport,
  type PbServerReport,
  type PbTakeover,
  type WorkloadContext,
} from "../traffic/primary-backup-workload.js";
export {
  StreamBreaksRun,
  startStreamBreaks,
  streamBreaksReport,
  type StreamBreaksSpec,
  type StreamBreaksState,
  type StreamBreaksHalf,
  type StreamBreaksReport,
  type StreamBreakRow,
  type StreamEnd,
  type StreamsContext,
} from "../traffic/stream-breaks.js";
export {
  TwoPhaseCommitWorkload,
  type TwoPhaseCommitState,
  type CommitBuildContext,
} from "../traffic/two-phase-commit.js";
export type { TwoPhaseCommitSpec } from "../traffic/commit-spec.js";
export { commitReport, type TwoPhaseCommitReport } from "../traffic/commit-report.js";
