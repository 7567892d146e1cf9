// netloom's public facade: what an embedding program imports. Internal modules stay private;
// everything here is a stable name.

// Errors
export { NetloomError, ErrorCode } from "./base/errors.js";

// Kernel runtime: one Wasm instance per thread over one shared memory.
export {
  KernelRuntime,
  getRuntime,
  attachRuntime,
  createKernelMemory,
  simdSupported,
  type RuntimeOptions,
  type WasmBuild,
} from "./kernels/runtime.js";
export { FRAME_VEC_PTR, FRAME_VEC_LEN, FRAME_VEC_ARG, FRAME_VEC_OUT, FRAME_VEC_STRIDE } from "./kernels/abi.js";

// Checksums, CRCs and HEC (issue 2: these four keep exactly their documented meanings).
export {
  internetChecksum,
  crc32,
  crc32Aal5,
  atmHec,
  internetSum,
  combineInternetSums,
  finishInternetChecksum,
  ipv4PseudoHeaderSum,
  updateInternetChecksum,
  internetChecksumAt,
  internetSumAt,
  internetChecksumBatch,
  crc32At,
  crc32Aal5At,
  crc32Batch,
  crc32ZeroRun,
  crc32Aal5ZeroRun,
  crc32Combine,
  hecCheck,
  hecCheckAt,
  hecCheckBatch,
  HecStatus,
  HEC_MODE_CORRECTION,
  HEC_MODE_DETECTION,
  ChecksumKernels,
  checksumKernels,
} from "./kernels/checksum.js";

// Frame switching: MAC forwarding database and ATM VC table.
export {
  ForwardingDatabase,
  VcTable,
  FDB_FLOOD,
  FDB_FILTER,
  FDB_DROP_RUNT,
  FDB_DROP_BAD_PORT,
  FDB_MAX_CAPACITY,
  FDB_MAX_PORTS,
  FDB_DEFAULT_AGING_NS,
  VC_UNKNOWN,
  VC_MALFORMED,
  VC_MAX_CAPACITY,
  VC_MAX_PORTS,
  type FdbOptions,
  type FdbStats,
  type LearnResult,
  type VcTableOptions,
  type VcRoute,
  type VcMatch,
  type VcStats,
  type CellFormat,
} from "./kernels/switching.js";

// AAL5 segmentation and reassembly.
export {
  aal5Segment,
  aal5SegmentInto,
  aal5SegmentBatch,
  aal5CellCount,
  aal5StatusName,
  Aal5Reassembler,
  AAL5_STATUS,
  AAL5_MAX_PAYLOAD,
  ARG_DISCARD,
  CELL_END,
  CELL_BYTES,
  CELL_PAYLOAD_BYTES,
  packCellHeader,
  unpackCellHeader,
  type Aal5Completion,
  type Aal5ReassemblerOptions,
  type Aal5Counters,
  type Aal5Totals,
  type CellHeaderFields,
} from "./kernels/aal5.js";

// Sliding windows and sequence arithmetic.
export {
  WindowTable,
  MarkStatus,
  SendStatus,
  WINDOW_UNCHANGED,
  type WindowTableOptions,
  type OpenOptions,
  type WindowStats,
  type RttState,
} from "./kernels/window.js";
export { seqLt, seqLeq, seqGt, seqGeq, seqDiff, seqAdd } from "./kernels/seq.js";

// Frame buffers and wire formats.
export { SlotPool, type SlotPoolOptions, type SlotPoolStats } from "./buf/slot-pool.unsafe.js";
export * as ethernet from "./wire/ethernet.js";
export * as llcSnap from "./wire/llc-snap.js";
export * as ipv4 from "./wire/ipv4.js";
export * as udp from "./wire/udp.js";
export * as icmp from "./wire/icmp.js";
export * as arp from "./wire/arp.js";
export * as tcp from "./wire/tcp.js";
export { FrameStore, FRAME_FCS_VALID, FRAME_CORRUPTED, NO_FRAME } from "./buf/frames.js";

// Building and running networks.
export {
  Network,
  type NetworkOptions,
  type NetworkStats,
  type RunResult,
  type DropEvent,
  type Endpoint,
} from "./run/network.js";
export {
  parseBitRate,
  parseDuration,
  parseByteSize,
  formatBitRate,
  formatDuration,
  formatByteSize,
} from "./base/units.js";

// Scenario files, runs (one thread or partitions on worker threads) and sweeps.
export {
  loadScenario,
  parseScenario,
  validateScenario,
  loadSweep,
  scenarioAtPoint,
  ScenarioError,
  parseStructured,
  scenarioSchema,
  scenarioAtmSchema,
  type Scenario,
  type ScenarioSweep,
  type ParameterValue,
  type ScenarioStackHost,
  type ScenarioHostStack,
  type MessageScenarioTraffic,
  type PingPongTraffic,
  type MessageStreamTraffic,
} from "./scenario/scenario.js";
export { buildScenario, type BuiltScenario, type BuildOptions, type BuiltHostStack } from "./run/build-scenario.js";
export { MessageFlow, type MessageFlowState } from "./traffic/message-traffic.js";
export { runScenario, type RunScenarioOptions } from "./run/run-scenario.js";
export { closePartitionPool, WARM_POOL_IDLE_MS } from "./run/partition-pool.js";
export {
  reportOf,
  type RunReport,
  type LinkReport,
  type ParallelSummary,
  type HostReport,
  type HostStackReport,
  type RunFlowReport,
} from "./run/run-report.js";
export { planPartitions, type PartitionPlan, type CutLink } from "./run/partition.js";
export { runSweep, sweepCsv, type SweepResult, type SweepOptions } from "./run/sweep.js";
export type { SweepRow } from "./run/sweep-worker.js";

// Engine (for programs that build their own devices).
export { Simulation, type SimulationOptions } from "./engine/simulation.js";
export { Scheduler, type EventHandler, type SchedulerOptions } from "./engine/scheduler.js";
export { Rng, deriveSeed } from "./engine/rng.js";
export { Fingerprint } from "./engine/fingerprint.js";

// Devices and traffic.
export { Device, EV_FRAME_RX, EV_DEVICE_BASE, type Channel, type PortAttachment } from "./devices/device.js";
export { CaptureChannel, type CapturedFrame } from "./devices/capture-channel.js";
export {
  PointToPointLink,
  LinkState,
  type LinkOptions,
  type LinkFaults,
  type LinkDirectionStats,
} from "./devices/link.js";
export {
  EthernetNic,
  NicState,
  ETH_JUMBO_MTU,
  type EthernetNicOptions,
  type NicReceiver,
  type NicStats,
} from "./devices/nic.js";
export {
  EthernetSwitch,
  PortState,
  type EthernetSwitchOptions,
  type EthernetSwitchStats,
  type SwitchPortStats,
} from "./devices/ethernet-switch.js";
export {
  CsmaSegment,
  CsmaState,
  metcalfeBoggsEfficiency,
  type CsmaSegmentOptions,
  type CsmaSegmentStats,
  type CsmaStationStats,
} from "./devices/csma-segment.js";
export {
  AtmCellView,
  parseAtmCell,
  emitAtmCell,
  emitIdleCell,
  packAtmHeader,
  hecOfBytes,
  ATM_CELL_LEN,
  ATM_PAYLOAD_LEN,
  PTI_END_OF_PDU,
  PTI_RESERVED,
  IDLE_HEADER_WORD,
  type AtmCellRepr,
  type AtmHeaderFormat,
} from "./wire/atm-cell.js";
export { Aal5TrailerView, aal5PadLength, aal5TrailerOffset, AAL5_CRC_CHECK } from "./wire/aal5.js";
export {
  AtmLink,
  parseCellRate,
  CellSerializer,
  trainTable,
  cellArrival,
  type AtmLinkOptions,
  type AtmLinkFaults,
  type CellClock,
} from "./devices/atm-link.js";
export {
  AtmNic,
  type AtmNicOptions,
  type AtmVcOptions,
  type AtmReceiver,
  type AtmNicStats,
  type AtmVcStats,
} from "./devices/atm-nic.js";
export {
  AtmSwitch,
  CellDrop,
  CELL_DROP_NAMES,
  type AtmSwitchOptions,
  type AtmDiscardPolicy,
  type AtmSwitchStats,
} from "./devices/atm-switch.js";
// ATM signalling: switched circuits opened along a route of output ports (Q.2931-style, VCI 5).
export {
  SwitchSignalling,
  HostSignalling,
  HostSignallingState,
  HostCallState,
  SwitchCallState,
  type SignallingOptions,
  type SwitchSignallingOptions,
  type HostSignallingOptions,
  type SwitchSignallingStats,
  type HostSignallingStats,
  type AtmCallHandlers,
  type AtmCallOptions,
  type AtmIncomingCall,
  type AtmCallAcceptor,
  type AtmCallInfo,
} from "./devices/atm-signalling.js";
export {
  SigType,
  SigCause,
  SigParseError,
  sigCauseName,
  AtmSignalView,
  parseAtmSignal,
  emitAtmSignal,
  atmSignalLength,
  parseSigRoute,
  SIG_VPI,
  SIG_VCI,
  type AtmSignalRepr,
} from "./wire/atm-signalling.js";
export { Aal5Source, type Aal5SourceOptions } from "./traffic/aal5-source.js";
export {
  CbrSource,
  PoissonSource,
  FrameSource,
  SourceState,
  type FrameSourceOptions,
  type FrameSourceStats,
} from "./traffic/frame-source.js";

// Tracing and capture.
export {
  TracePoint,
  TracePoints,
  DropReason,
  dropReasonName,
  TRACE_POINT_NAMES,
  type TracePointName,
} from "./trace/trace-point.js";
export {
  PcapWriter,
  readPcap,
  LINKTYPE_ETHERNET,
  LINKTYPE_SUNATM,
  type PcapFile,
  type PcapRecord,
} from "./trace/pcap.js";

// IP host stack.
export { IpHost, type IpHostOptions, type IpHostStats } from "./stacks/ip/ip-host.js";
export { UdpSocket, type UdpMessage, type UdpSocketOptions, type UdpStats } from "./stacks/ip/udp-layer.js";
export type { PingResult } from "./stacks/ip/icmp-layer.js";
export { RoutingTable, type Route } from "./stacks/ip/routing-table.js";
export {
  slotBytesForMtu,
  type IpProtocolHandler,
  type RxContext,
  type AnyIpHost,
  type IpLink,
  type IpLinkOwner,
  type IpLinkStats,
  type AttachableIpLink,
} from "./stacks/ip/ip-host.js";
export { AtmIpLink, ATM_IP_MTU } from "./stacks/ip/atm-ip-link.js";
export { captureAtmNic, AtmCapture } from "./run/atm-capture.js";
export {
  startTransportTraffic,
  applyTransport,
  type TransportFlow,
  type TransportState,
  type TransportFlowReport,
} from "./traffic/transport-traffic.js";

// Host stack configurations (issue 8): the CPU cost model, profiles, layered microprotocol stacks.
export {
  HostCpu,
  CpuOp,
  CPU_OP_NAMES,
  BUNDLED_PROFILES,
  loadCpuProfile,
  parseCpuProfile,
  parseCpuProfileText,
  type CpuProfile,
  type HostCpuStats,
} from "./stacks/cost.js";
export {
  LayeredStack,
  checkComposition,
  LAYER_NAMES,
  STACK_VARIANTS,
  type LayeredStackOptions,
  type StackApp,
  type StackVariant,
} from "./stacks/layered/stack.js";
export { ALL, Prop, StackEvent, type Layer, type StackContext } from "./stacks/layered/layer.js";
export { PingPong, OneWay } from "./stacks/layered/ping-pong.js";
export { AtmComLayer, type AtmComOptions } from "./stacks/layered/com-atm.js";
export type { ComBottom } from "./stacks/layered/com.js";
export {
  AcceleratedStack,
  type AcceleratedStackOptions,
  type AcceleratedStackStats,
} from "./stacks/accel/accelerator.js";
export { ACCEL_ETHERTYPE } from "./stacks/accel/mini-header.js";
export {
  STACK_CONFIGURATIONS,
  type StackConfiguration,
  type MessageStack,
  type MessageApp,
  type MessageStackCounters,
} from "./stacks/message-stack.js";
// U-Net endpoints and Active Messages (zero-copy, kernel-free data paths).
export {
  UnetDevice,
  UnetChannelState,
  DEFAULT_UNET_CHANNELS,
  type UnetChannelSpec,
  type UnetDeviceOptions,
  type UnetDeviceStats,
  type UnetNic,
} from "./stacks/unet/unet-device.js";
export {
  UnetEndpoint,
  UnetEndpointState,
  UNET_RECEIVE_MODES,
  type UnetEndpointOptions,
  type UnetEndpointStats,
  type UnetConsumer,
  type UnetReceiveMode,
} from "./stacks/unet/unet-endpoint.js";
export {
  UNET_ETHERTYPE,
  UNET_HEADER_LEN,
  UNET_INLINE_MAX,
  UnetHeaderView,
  UnetParseError,
  parseUnetHeader,
  parseUnetHeaderInto,
  emitUnetHeader,
  createUnetHeaderRepr,
  type UnetHeaderRepr,
} from "./stacks/unet/unet-wire.js";
export {
  UnetIpLink,
  UNET_IP_ENCAPSULATIONS,
  type UnetIpLinkOptions,
  type UnetIpStats,
  type UnetIpEncapsulation,
} from "./stacks/unet/unet-ip-link.js";
export {
  AmStack,
  amDevice,
  AM_DEFAULT_HANDLER,
  AM_HANDLERS,
  type AmHandler,
  type AmMessage,
  type AmStackOptions,
  type AmStackStats,
} from "./stacks/am/am-stack.js";
export {
  AM_ETHERTYPE,
  AM_HEADER_MIN,
  AM_HEADER_MAX,
  AM_MAX_ARGS,
  AM_KIND_REQUEST,
  AM_KIND_REPLY,
  AmHeaderView,
  AmParseError,
  amHeaderLength,
  parseAmHeader,
  parseAmHeaderInto,
  emitAmHeader,
  createAmHeaderRepr,
  type AmHeaderRepr,
} from "./stacks/am/am-wire.js";
// The host stack comparison (netloom compare) and the per-host stack factory.
export { createMessageStack, type StackAttachment, type StackSpec, type BuiltStack } from "./compare/stack-factory.js";
export {
  loadComparison,
  parseComparison,
  validateComparison,
  COMPARE_NETWORKS,
  DEFAULT_LAYERS,
  type Comparison,
  type CompareConfiguration,
  type CompareLink,
  type CompareNetwork,
} from "./scenario/compare-file.js";
export {
  runComparison,
  linePayloadBps,
  type ComparisonReport,
  type CompareRow,
  type CompareWorkload,
  type CompareOptions,
} from "./compare/run-compare.js";
export { compareCsv, compareHtml, COMPARE_CSV_COLUMNS } from "./compare/report.js";

// Transports: TCP-format streams, the NAK-only rate-based transport, RPC over streams.
export {
  TcpLayer,
  IP_PROTO_TCP,
  type TcpLayerOptions,
  type TcpListenOptions,
  type TcpListener,
  type TcpLayerStats,
} from "./stacks/tcp/tcp-layer.js";
export { TcpConnection } from "./stacks/tcp/tcp-connection.js";
export { TcpState, TCP_BURST_BIT, type TcpConnectionStats } from "./stacks/tcp/tcp-types.js";
export type { TcpConnectionOptions, KeepAliveOptions } from "./stacks/tcp/tcp-options.js";
export { PatternChecker, patternByte, PATTERN_PERIOD } from "./stacks/tcp/pattern.js";
export {
  NakSender,
  NakSenderState,
  type NakSenderOptions,
  type NakSenderStats,
  type NakResult,
} from "./stacks/nak/nak-sender.js";
export {
  NakReceiver,
  NakReceiverState,
  type NakReceiverOptions,
  type NakReceiverStats,
} from "./stacks/nak/nak-receiver.js";
export { RateController, type RateControlOptions, type RateStats, type RateStep } from "./stacks/nak/rate-control.js";
export {
  NakView,
  NakType,
  NakParseError,
  NAK_HEADER_LEN,
  NAK_FLAG_FIN,
  NAK_FLAG_SREQ,
  NAK_FLAG_RETX,
  emitNakHeader,
  nakControlLength,
} from "./stacks/nak/nak-wire.js";
export {
  MemoryStreamPair,
  acceptedCount,
  type ByteStream,
  type MemoryStreamOptions,
} from "./stacks/rpc/byte-stream.js";
export {
  RpcClient,
  type RpcClientOptions,
  type RpcClientStats,
  type RpcFailure,
  type RpcFailureCode,
  type RpcCallback,
  type CallOptions,
} from "./stacks/rpc/rpc-client.js";
export {
  RpcServer,
  type RpcServerOptions,
  type RpcServerStats,
  type RpcReply,
  type RpcHandler,
} from "./stacks/rpc/rpc-server.js";
export { encodeRpcMessage, RpcDecoder, RpcKind, RPC_HEADER_LEN } from "./stacks/rpc/rpc-frame.js";
