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
export {
  AtmNic,
  type AtmNicOptions,
  type AtmVcOptions,
  type AtmReceiver,
  type AtmNicStats,
  type AtmVcStats,
} from "../devices/atm-nic.js";
export {
  AtmSwitch,
  CellDrop,
  CELL_DROP_NAMES,
  type AtmSwitchOptions,
  type AtmDiscardPolicy,
  type AtmSwitchStats,
} from "../devices/atm-switch.js";
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
} from "../devices/atm-signalling.js";
