// netloom/wire: wire formats (one namespace or set of names per format: view, repr, parse, emit) and the
// frame buffers they live in (the frame store and slot pools in the shared memory).

export { SlotPool, type SlotPoolOptions, type SlotPoolStats } from "../buf/slot-pool.unsafe.js";
export * as ethernet from "../wire/ethernet.js";
export * as llcSnap from "../wire/llc-snap.js";
export * as ipv4 from "../wire/ipv4.js";
export * as udp from "../wire/udp.js";
export * as icmp from "../wire/icmp.js";
export * as arp from "../wire/arp.js";
export * as tcp from "../wire/tcp.js";
export * as rpcUdp from "../wire/rpc-udp.js";
export * as commit from "../wire/commit.js";
export * as primaryBackup from "../wire/primary-backup.js";
export { FrameStore, FRAME_FCS_VALID, FRAME_CORRUPTED, NO_FRAME } from "../buf/frames.js";
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
} from "../wire/atm-cell.js";
export { Aal5TrailerView, aal5PadLength, aal5TrailerOffset, AAL5_CRC_CHECK } from "../wire/aal5.js";
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
} from "../wire/atm-signalling.js";
export { sigCauseMeaning, sigCauseText } from "../wire/atm-signalling-causes.js";
