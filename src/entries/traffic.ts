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
