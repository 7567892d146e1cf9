// netloom/stacks: host protocol stacks: IP hosts and routers, TCP, the NAK-only transport, RPC, layered
// microprotocol stacks, the Horus protocol accelerator, U-Net, Active Messages, the CPU cost model.

export { IpHost, type IpHostOptions, type IpHostStats } from "../stacks/ip/ip-host.js";
export { UdpSocket, type UdpMessage, type UdpSocketOptions, type UdpStats } from "../stacks/ip/udp-layer.js";
export type { PingResult } from "../stacks/ip/icmp-layer.js";
export { RoutingTable, type Route } from "../stacks/ip/routing-table.js";
export type { AnyIpHost } from "../stacks/ip/ip-host.js";
export {
  slotBytesForMtu,
  type IpProtocolHandler,
  type RxContext,
  type IpLink,
  type IpLinkOwner,
  type IpLinkStats,
  type AttachableIpLink,
} from "../stacks/ip/ip-link.js";
export { AtmIpLink, ATM_IP_MTU } from "../stacks/ip/atm-ip-link.js";
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
} from "../stacks/cost.js";
export {
  LayeredStack,
  checkComposition,
  LAYER_NAMES,
  STACK_VARIANTS,
  type LayeredStackOptions,
  type StackApp,
  type StackVariant,
} from "../stacks/layered/stack.js";
export { ALL, Prop, StackEvent, type Layer, type StackContext } from "../stacks/layered/layer.js";
export { PingPong, OneWay } from "../stacks/layered/ping-pong.js";
export { AtmComLayer, type AtmComOptions } from "../stacks/layered/com-atm.js";
export type { ComBottom } from "../stacks/layered/com.js";
export {
  AcceleratedStack,
  type AcceleratedStackOptions,
  type AcceleratedStackStats,
} from "../stacks/accel/accelerator.js";
export { ACCEL_ETHERTYPE } from "../stacks/accel/mini-header.js";
export {
  STACK_CONFIGURATIONS,
  type StackConfiguration,
  type MessageStack,
  type MessageApp,
  type MessageStackCounters,
} from "../stacks/message-stack.js";
export {
  UnetDevice,
  UnetChannelState,
  DEFAULT_UNET_CHANNELS,
  type UnetChannelSpec,
  type UnetDeviceOptions,
  type UnetDeviceStats,
  type UnetNic,
} from "../stacks/unet/unet-device.js";
export {
  UnetEndpoint,
  UnetEndpointState,
  UNET_RECEIVE_MODES,
  type UnetEndpointOptions,
  type UnetEndpointStats,
  type UnetConsumer,
  type UnetReceiveMode,
} from "../stacks/unet/unet-endpoint.js";
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
} from "../stacks/unet/unet-wire.js";
export {
  UnetIpLink,
  UNET_IP_ENCAPSULATIONS,
  type UnetIpLinkOptions,
  type UnetIpStats,
  type UnetIpEncapsulation,
} from "../stacks/unet/unet-ip-link.js";
export {
  AmStack,
  amDevice,
  AM_DEFAULT_HANDLER,
  AM_HANDLERS,
  type AmHandler,
  type AmMessage,
  type AmStackOptions,
  type AmStackStats,
} from "../stacks/am/am-stack.js";
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
} from "../stacks/am/am-wire.js";
export {
  TcpLayer,
  IP_PROTO_TCP,
  type TcpLayerOptions,
  type TcpListenOptions,
  type TcpListener,
  type TcpLayerStats,
} from "../stacks/tcp/tcp-layer.js";
export { TcpConnection } from "../stacks/tcp/tcp-connection.js";
export { TcpState, TCP_BURST_BIT, type TcpConnectionStats } from "../stacks/tcp/tcp-types.js";
export type { TcpConnectionOptions, KeepAliveOptions } from "../stacks/tcp/tcp-options.js";
export { PatternChecker, patternByte, PATTERN_PERIOD } from "../stacks/tcp/pattern.js";
export {
  NakSender,
  NakSenderState,
  type NakSenderOptions,
  type NakSenderStats,
  type NakResult,
} from "../stacks/nak/nak-sender.js";
export {
  NakReceiver,
  NakReceiverState,
  type NakReceiverOptions,
  type NakReceiverStats,
} from "../stacks/nak/nak-receiver.js";
export { RateController, type RateControlOptions, type RateStats, type RateStep } from "../stacks/nak/rate-control.js";
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
} from "../stacks/nak/nak-wire.js";
export {
  MemoryStreamPair,
  acceptedCount,
  type ByteStream,
  type MemoryStreamOptions,
} from "../stacks/rpc/byte-stream.js";
export {
  RpcClient,
  type RpcClientOptions,
  type RpcClientStats,
  type RpcFailure,
  type RpcFailureCode,
  type RpcCallback,
  type CallOptions,
} from "../stacks/rpc/rpc-client.js";
export {
  RpcServer,
  type RpcServerOptions,
  type RpcServerStats,
  type RpcReply,
  type RpcHandler,
} from "../stacks/rpc/rpc-server.js";
export { encodeRpcMessage, RpcDecoder, RpcKind, RPC_HEADER_LEN } from "../stacks/rpc/rpc-frame.js";
export { RpcUdpCaller, type CallSpec, type CallerCounters, type CallerStats } from "../stacks/rpc-udp/caller.js";
export {
  RpcUdpServer,
  type Prepared,
  type ServerApp,
  type RpcUdpServerOptions,
  type ServerStats,
} from "../stacks/rpc-udp/server.js";
export { CounterApp, encodeCallArgs, readResultValue } from "../stacks/rpc-udp/counter-app.js";
export {
  NameServiceApp,
  SelfLookup,
  encodeLookup,
  encodeRegister,
  decodeLookupResult,
  type Binding,
} from "../stacks/rpc-udp/name-service.js";
export {
  RpcOp,
  RPC_SEMANTICS,
  ENDPOINT_DEFAULTS,
  type RpcSemantics,
  type CallOutcome,
  type OutcomeKind,
  type RpcUdpEndpointOptions,
} from "../stacks/rpc-udp/rpc-udp-types.js";
export {
  PbServer,
  MAX_PB_SERVERS,
  type PbServiceConfig,
  type PbServerState,
  type PbServerCounters,
} from "../stacks/primary-backup/pb-server.js";
export {
  PbClient,
  type PbClientOptions,
  type PbClientState,
  type PbClientCounters,
} from "../stacks/primary-backup/pb-client.js";
export type { PbRole, PbRoleChange, PbCommit, PbBelief } from "../stacks/primary-backup/pb-history.js";
export {
  detectSplits,
  type PbSplitReport,
  type PbSplit,
  type PbSplitSide,
  type PbSplitView,
  type PbOverlap,
} from "../stacks/primary-backup/split-brain.js";
export { CommitCoordinator } from "../stacks/commit/coordinator.js";
export { CommitParticipant } from "../stacks/commit/participant.js";
export {
  COMMIT_PROTOCOLS,
  type CommitHost,
  type CommitOptions,
  type CommitProtocolName,
  type CommitTimeouts,
  type CommitFault,
} from "../stacks/commit/commit-config.js";
export {
  CoordinatorRecord,
  ParticipantRecord,
  type CoordinatorCounters,
  type ParticipantCounters,
} from "../stacks/commit/commit-record.js";
export { LogKind, encodeLogRecord, replayLog, type LogDevice } from "../stacks/commit/commit-log.js";
export { checkAtomicity, type AtomicityResult, type AtomicityViolation } from "../stacks/commit/atomicity.js";
