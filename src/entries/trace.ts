// netloom/trace: trace points, drop reasons, pcap writing and reading, flow statistics.

export {
  TracePoint,
  TracePoints,
  DropReason,
  dropReasonName,
  TRACE_POINT_NAMES,
  type TracePointName,
} from "../trace/trace-point.js";
export {
  PcapWriter,
  readPcap,
  LINKTYPE_ETHERNET,
  LINKTYPE_SUNATM,
  type PcapFile,
  type PcapRecord,
} from "../trace/pcap.js";
export { LinkMonitor, MAX_TRACKED, type LinkMonitorReport } from "../trace/link-monitor.js";
