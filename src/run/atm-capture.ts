// AtmCapture: LINKTYPE_SUNATM (123) pcap files of the AAL5 PDUs an AtmNic sends and delivers.
//
// Contract:
// - captureAtmNic(nic, path) hangs one PduTap on the NIC (a NIC has one tap: a second capture
//   on the same NIC is an error) and writes one record per PDU: time = virtual time of send()
//   (transmitted: flags SUNATM_FLAG_TX | SUNATM_TYPE_LLC) or of delivery (received:
//   SUNATM_TYPE_LLC), VPI, VCI, then the CPCS-PDU payload without pad and trailer, as pcap.ts
//   explains (Wireshark's atm_truncated dissector expects exactly that). The traffic type is
//   LLC-multiplexed by default (RFC 2684 LLC/SNAP: IP over ATM); pass llc: false for circuits
//   carrying raw AAL5 payloads (flags then say traffic type 0, "raw AAL5"), or "auto" to tell
//   them apart per PDU by the LLC/SNAP header.
// - What a capture shows: PDUs the NIC accepted for sending (refused ones never reach the
//   tap) and PDUs it reassembled correctly (CRC errors, lost cells and timeouts are not PDUs).
//   Cells lost on the way are invisible here; switch and link cell counters show them.
// - A UNI VPI fits the pseudo-header's byte; an NNI VPI above 255 cannot be written: such PDUs
//   are counted in `skipped`, never thrown on (the tap runs on the hot path).
// - Bounded memory: one fixed write buffer (bufferBytes, default 64 KiB), synchronous flushes.
//   close() removes the tap and closes the file; calling it again does nothing.
//
//   captureAtmNic(nic, path, options?)   AtmCapture on one NIC
//   AtmCapture.records / skipped / close()

import { ErrorCode, NetloomError } from "../base/errors.js";
import type { AtmNic } from "../devices/atm-nic.js";
import type { AtmPduTap } from "../devices/atm-nic-tap.js";
import type { CaptureLimit } from "../base/units.js";
import { writerOptions } from "./capture.js";
import { LINKTYPE_SUNATM, PCAP_MAX_SNAPLEN, PcapWriter, SUNATM_FLAG_TX, SUNATM_TYPE_LLC } from "../trace/pcap.js";

export interface AtmCaptureOptions {
  snaplen?: number;
  bufferBytes?: number;
  /** Most the file holds: bytes of file or records (default: no limit). */
  limit?: CaptureLimit;
  /**
   * PDUs are LLC/SNAP encapsulated (default true): the SunATM traffic type says LLC. "auto":
   * per PDU, LLC when it starts with the LLC/SNAP header (AA AA 03), raw AAL5 otherwise, for a
   * NIC that carries IP on some circuits and raw AAL5 payloads on others.
   */
  llc?: boolean | "auto";
}

const tapped = new WeakSet<AtmNic>();

export class AtmCapture implements AtmPduTap {
  readonly path: string;
  readonly writer: PcapWriter;
  /** What is captured, e.g. "h1:0". */
  readonly source: string;
  /** PDUs not written (NNI VPI above 255). */
  skipped = 0;
  private readonly nic: AtmNic;
  private readonly type: number;
  private readonly auto: boolean;
  private closed = false;

  constructor(nic: AtmNic, path: string, options: AtmCaptureOptions = {}) {
    if (tapped.has(nic)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${nic.name} already has a capture`, { path: "nic" });
    }
    this.nic = nic;
    this.path = path;
    this.source = `${nic.name}:0`;
    this.type = options.llc === false ? 0 : SUNATM_TYPE_LLC;
    this.auto = options.llc === "auto";
    this.writer = new PcapWriter(writerOptions(options));
    this.writer.open(path, LINKTYPE_SUNATM, options.snaplen ?? PCAP_MAX_SNAPLEN);
    tapped.add(nic);
    nic.setPduTap(this);
  }

  /** Records written so far (buffered ones included). */
  get records(): number {
    return this.writer.records;
  }

  pdu(time: number, vpi: number, vci: number, u8: Uint8Array, ptr: number, length: number, tx: boolean): void {
    if (vpi > 0xff) {
      this.skipped++;
      return;
    }
    const type = this.auto ? (isLlcSnap(u8, ptr, length) ? SUNATM_TYPE_LLC : 0) : this.type;
    this.writer.writeSunAtm(time, vpi, vci, u8, ptr, length, tx ? type | SUNATM_FLAG_TX : type);
  }

  /** Removes the tap and closes the file. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.nic.setPduTap(undefined);
    tapped.delete(this.nic);
    this.writer.close();
  }
}

/** The PDU starts with an LLC/SNAP header (DSAP AA, SSAP AA, control 03: RFC 2684). */
function isLlcSnap(u8: Uint8Array, ptr: number, length: number): boolean {
  return length >= 8 && u8[ptr] === 0xaa && u8[ptr + 1] === 0xaa && u8[ptr + 2] === 0x03;
}

/** Captures the PDUs of `nic` into `path` (LINKTYPE_SUNATM). */
export function captureAtmNic(nic: AtmNic, path: string, options: AtmCaptureOptions = {}): AtmCapture {
  return new AtmCapture(nic, path, options);
}
