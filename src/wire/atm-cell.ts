// ATM cells (ITU-T I.361): the 53-byte cell, its 5-byte header in the UNI and NNI formats,
// the payload type (PTI) bits and the header error control (I.432.1 HEC).
//
// Contract:
// - AtmCellView is a thin, reusable view over a cell at (bytes, offset): getters and setters,
//   no copies, no allocation; wrap() re-points it. The header format (UNI or NNI) is a property
//   of the view (of the port the cell is on), not of the bytes. checkLength() is the checked
//   entry for untrusted bytes; accessors do not re-check. Setters do not touch the HEC: call
//   updateHec() (the Wasm HEC kernel) after changing header fields.
// - AtmCellRepr is the parsed header. parseAtmCell() never throws (receive path) and returns
//   undefined for a cell shorter than 53 bytes; it does not check the HEC (hecValid() does,
//   the I.432.1 correction is the receiver's business: src/kernels/checksum.ts hecCheck*).
//   emitAtmCell() writes the header with a correct HEC; misuse (a field out of range) throws.
// - Header word: the first four header octets read big-endian.
//
//     UNI:  | GFC(4) | VPI(8)  | VCI(16) | PTI(3) | CLP(1) | HEC(8) |
//     NNI:  |     VPI(12)      | VCI(16) | PTI(3) | CLP(1) | HEC(8) |
//
//   PTI (I.361 table 2): bit 2 clear = user data; then bit 1 = congestion experienced (EFCI)
//   and bit 0 = ATM-user-to-ATM-user indication, which AAL5 uses as end of PDU (I.363.5).
//   PTI 4/5 = OAM F5 segment/end-to-end, 6 = resource management, 7 = reserved (netloom's
//   AAL5 parity cell uses it, see src/devices/atm-nic.ts).
// - Physical-layer cells (I.432.1): the idle cell header 00 00 00 01 (HEC 0x52) fills empty
//   slots and is discarded by the receiver's PHY; the unassigned cell (00 00 00 00 with CLP 0)
//   is an ATM-layer cell that carries nothing.

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import { checksumKernels } from "../kernels/checksum.js";
import { getRuntime } from "../kernels/runtime.js";
import { ByteView, readU32, writeU32 } from "./byte-view.js";

export const ATM_CELL_LEN = 53;
export const ATM_HEADER_LEN = 5;
export const ATM_PAYLOAD_LEN = 48;

/** PTI values and bits (3-bit field). */
export const PTI_USER_DATA_MASK = 0x4; // clear: user data cell
export const PTI_CONGESTION = 0x2;
export const PTI_END_OF_PDU = 0x1; // ATM-user-to-ATM-user indication
export const PTI_OAM_SEGMENT = 4;
export const PTI_OAM_END_TO_END = 5;
export const PTI_RESOURCE_MANAGEMENT = 6;
export const PTI_RESERVED = 7;

/** Header-word bits (header word = first 4 octets big-endian). */
export const HDR_PTI_SHIFT = 1;
export const HDR_END_OF_PDU = PTI_END_OF_PDU << HDR_PTI_SHIFT; // 0x2
export const HDR_CONGESTION = PTI_CONGESTION << HDR_PTI_SHIFT; // 0x4
export const HDR_NOT_USER_DATA = PTI_USER_DATA_MASK << HDR_PTI_SHIFT; // 0x8
export const HDR_CLP = 0x1;

/** Idle cell (I.432.1 section 6.1.3): header word 0x00000001, HEC 0x52, payload 0x6A. */
export const IDLE_HEADER_WORD = 0x00000001;
export const IDLE_HEC = 0x52;
export const IDLE_PAYLOAD_BYTE = 0x6a;

export type AtmHeaderFormat = "uni" | "nni";

/** True when the header word is the idle cell's (a PHY cell, never passed to the ATM layer). */
export function isIdleHeader(word: number): boolean {
  return word === IDLE_HEADER_WORD;
}

/** True when the header word is the unassigned cell's (VPI 0, VCI 0, PTI 0, CLP 0; GFC any). */
export function isUnassignedHeader(word: number): boolean {
  return (word & 0x0fffffff) === 0;
}

/** True for a user-data cell (PTI bit 2 clear). */
export function isUserDataHeader(word: number): boolean {
  return (word & HDR_NOT_USER_DATA) === 0;
}

/** True for an OAM F5 cell (PTI 4 or 5) or an F4 OAM cell (VCI 3 or 4 on a VP). */
export function isOamHeader(word: number): boolean {
  const pti = (word >>> 1) & 7;
  const vci = (word >>> 4) & 0xffff;
  return pti === PTI_OAM_SEGMENT || pti === PTI_OAM_END_TO_END || vci === 3 || vci === 4;
}

/** Header word of (format, fields); fields are assumed in range (emitAtmCell checks). */
export function packAtmHeader(
  format: AtmHeaderFormat,
  gfc: number,
  vpi: number,
  vci: number,
  pti: number,
  clp: number,
): number {
  const top = format === "uni" ? ((gfc & 0xf) << 28) | ((vpi & 0xff) << 20) : (vpi & 0xfff) << 20;
  return (top | ((vci & 0xffff) << 4) | ((pti & 7) << 1) | (clp & 1)) >>> 0;
}

export class AtmCellView extends ByteView {
  format: AtmHeaderFormat;

  constructor(bytes: Uint8Array, offset = 0, format: AtmHeaderFormat = "uni") {
    super(bytes, offset, Math.min(ATM_CELL_LEN, bytes.length - offset));
    this.format = format;
  }

  /** True when the bytes hold a whole 53-byte cell. */
  checkLength(): boolean {
    return this.length >= ATM_CELL_LEN && this.offset + ATM_CELL_LEN <= this.bytes.length;
  }

  /** The first four header octets, big-endian. */
  get headerWord(): number {
    return readU32(this.bytes, this.offset);
  }
  set headerWord(word: number) {
    writeU32(this.bytes, this.offset, word);
  }
  /** Generic flow control (UNI only; 0 on NNI). */
  get gfc(): number {
    return this.format === "uni" ? this.bytes[this.offset]! >>> 4 : 0;
  }
  set gfc(value: number) {
    if (this.format === "uni") this.bytes[this.offset] = ((value & 0xf) << 4) | (this.bytes[this.offset]! & 0x0f);
  }
  get vpi(): number {
    const w = this.headerWord;
    return (w >>> 20) & (this.format === "uni" ? 0xff : 0xfff);
  }
  set vpi(value: number) {
    const w = this.headerWord;
    const mask = this.format === "uni" ? 0x0ff00000 : 0xfff00000;
    this.headerWord = ((w & ~mask) | ((value << 20) & mask)) >>> 0;
  }
  get vci(): number {
    return (this.headerWord >>> 4) & 0xffff;
  }
  set vci(value: number) {
    this.headerWord = ((this.headerWord & ~0x000ffff0) | ((value & 0xffff) << 4)) >>> 0;
  }
  get pti(): number {
    return (this.bytes[this.offset + 3]! >>> 1) & 7;
  }
  set pti(value: number) {
    const o = this.offset + 3;
    this.bytes[o] = (this.bytes[o]! & 0xf1) | ((value & 7) << 1);
  }
  get clp(): number {
    return this.bytes[this.offset + 3]! & 1;
  }
  set clp(value: number) {
    const o = this.offset + 3;
    this.bytes[o] = (this.bytes[o]! & 0xfe) | (value & 1);
  }
  get hec(): number {
    return this.bytes[this.offset + 4]!;
  }
  set hec(value: number) {
    this.bytes[this.offset + 4] = value;
  }
  /** AAL5 end of PDU: the ATM-user-to-ATM-user bit of a user-data cell. */
  get endOfPdu(): boolean {
    return isUserDataHeader(this.headerWord) && (this.pti & PTI_END_OF_PDU) !== 0;
  }
  get congestion(): boolean {
    return isUserDataHeader(this.headerWord) && (this.pti & PTI_CONGESTION) !== 0;
  }
  get isUserData(): boolean {
    return isUserDataHeader(this.headerWord);
  }
  get isIdle(): boolean {
    return isIdleHeader(this.headerWord);
  }
  get isUnassigned(): boolean {
    return isUnassignedHeader(this.headerWord);
  }
  get isOam(): boolean {
    return isOamHeader(this.headerWord);
  }
  /** Offset of the 48-byte payload in `bytes`. */
  get payloadOffset(): number {
    return this.offset + ATM_HEADER_LEN;
  }
  /** The HEC the header octets call for (Wasm kernel). */
  computeHec(): number {
    return hecOfBytes(this.bytes, this.offset);
  }
  /** True when the HEC octet matches the header (no correction attempted). */
  hecValid(): boolean {
    return this.computeHec() === this.hec;
  }
  /** Recomputes the HEC after header fields changed. */
  updateHec(): void {
    this.hec = this.computeHec();
  }
}

/** HEC of the 4 header octets at bytes[offset..]: no copy when the bytes are kernel memory. */
export function hecOfBytes(bytes: Uint8Array, offset: number): number {
  const k = checksumKernels();
  const rt = getRuntime();
  if (rt.owns(bytes)) return k.atmHecAt(bytes.byteOffset + offset);
  return k.atmHec(bytes.subarray(offset, offset + 4));
}

export interface AtmCellRepr {
  format: AtmHeaderFormat;
  /** UNI only (0 on NNI). */
  gfc: number;
  vpi: number;
  vci: number;
  pti: number;
  clp: number;
}

/** Parses the header of a cell view; undefined when it is shorter than a cell. Never throws. */
export function parseAtmCell(view: AtmCellView): AtmCellRepr | undefined {
  if (!view.checkLength()) return undefined;
  return { format: view.format, gfc: view.gfc, vpi: view.vpi, vci: view.vci, pti: view.pti, clp: view.clp };
}

function checkRepr(repr: AtmCellRepr): void {
  if (repr.format !== "uni" && repr.format !== "nni") {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `"${String(repr.format)}" is not uni or nni`, {
      path: "format",
    });
  }
  checkInteger("gfc", repr.gfc, 0, repr.format === "uni" ? 15 : 0);
  checkInteger("vpi", repr.vpi, 0, repr.format === "uni" ? 0xff : 0xfff);
  checkInteger("vci", repr.vci, 0, 0xffff);
  checkInteger("pti", repr.pti, 0, 7);
  checkInteger("clp", repr.clp, 0, 1);
}

/**
 * Writes the 5-byte header of `repr` (HEC computed by the Wasm kernel) at the view, and the
 * payload when given (48 bytes; shorter is zero-padded). Throws NetloomError on fields out of
 * range or a view too short.
 */
export function emitAtmCell(repr: AtmCellRepr, view: AtmCellView, payload?: Uint8Array): void {
  checkRepr(repr);
  if (!view.checkLength()) {
    throw new NetloomError(ErrorCode.OUT_OF_BOUNDS, `a cell needs ${ATM_CELL_LEN} bytes`, { path: "view" });
  }
  if (payload !== undefined && payload.length > ATM_PAYLOAD_LEN) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `a cell payload is at most 48 bytes, got ${payload.length}`, {
      path: "payload",
    });
  }
  view.format = repr.format;
  view.headerWord = packAtmHeader(repr.format, repr.gfc, repr.vpi, repr.vci, repr.pti, repr.clp);
  view.updateHec();
  if (payload !== undefined) {
    const p = view.payloadOffset;
    view.bytes.set(payload, p);
    view.bytes.fill(0, p + payload.length, p + ATM_PAYLOAD_LEN);
  }
}

/** Writes an idle cell (I.432.1: header 00 00 00 01 52, payload 0x6A repeated) at the view. */
export function emitIdleCell(view: AtmCellView): void {
  const b = view.bytes;
  const o = view.offset;
  writeU32(b, o, IDLE_HEADER_WORD);
  b[o + 4] = IDLE_HEC;
  b.fill(IDLE_PAYLOAD_BYTE, o + ATM_HEADER_LEN, o + ATM_CELL_LEN);
}
