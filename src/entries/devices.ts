// netloom/devices: NICs, links, the Ethernet switch, the CSMA/CD segment, ATM links, NICs, switches and
// signalling, and the capture channel for tests.

export { Device, EV_FRAME_RX, EV_DEVICE_BASE, type Channel, type PortAttachment } from "../devices/device.js";
export { CaptureChannel, type CapturedFrame } from "../devices/capture-channel.js";
export {
  PointToPointLink,
  LinkState,
  type LinkOptions,
  type LinkFaults,
  type LinkDirectionStats,
} from "../devices/link.js";
export {
  EthernetNic,
  NicState,
  ETH_JUMBO_MTU,
  type EthernetNicOptions,
  type NicReceiver,
  type NicStats,
} from "../devices/nic.js";
export {
  EthernetSwitch,
  PortState,
  type EthernetSwitchOptions,
  type EthernetSwitchStats,
  type SwitchPortStats,
} from "../devices/ethernet-switch.js";
export {
  CsmaSegment,
  CsmaState,
  metcalfeBoggsEfficiency,
  type CsmaSegmentOptions,
  type CsmaSegmentStats,
  type CsmaStationStats,
} from "../devices/csma-segment.js";
export {
  AtmLink,
  parseCellRate,
  CellSerializer,
  trainTable,
  cellArrival,
  type AtmLinkOptions,
  type AtmLinkFaults,
  type CellClock,
} from "../devices/atm-link.js";
export { AtmNic, type AtmNicOptions, type AtmNicStats, type AtmVcStats } from "../devices/atm-nic.js";
export type { AtmVcOptions } from "../devices/atm-nic-circuits.js";
export type { AtmReceiver } from "../devices/atm-nic-receive.js";
export { AtmSwitch, type AtmSwitchOptions, type AtmSwitchStats } from "../devices/atm-switch.js";
export { CellDrop, CELL_DROP_NAMES } from "../devices/atm-switch-stats.js";
export type { AtmDiscardPolicy } from "../devices/atm-switch-discard.js";
export type { SignallingOptions } from "../devices/atm-signalling.js";
export {
  SwitchSignalling,
  type SwitchSignallingOptions,
  type SwitchSignallingStats,
} from "../devices/atm-switch-signalling.js";
export { SwitchCallState } from "../devices/atm-switch-calls.js";
export {
  HostSignalling,
  HostSignallingState,
  HostCallState,
  type HostSignallingOptions,
  type HostSignallingStats,
  type AtmCallHandlers,
  type AtmCallOptions,
  type AtmIncomingCall,
  type AtmCallAcceptor,
  type AtmCallInfo,
} from "../devices/atm-host-signalling.js";
export {
  FailureAgent,
  type Crashable,
  type FailureStats,
  type RandomFailures,
} from "../devices/crashable.js";
export {
  StableStorage,
  DISK_PROFILES,
  STABLE_LOG_MAX_BYTES,
  STABLE_LOG_MAX_RECORDS,
  resolveDisk,
  type DiskProfile,
  type DiskProfileName,
  type StableStorageOptions,
  type StableStorageStats,
} from "../devices/stable-storage.js";
