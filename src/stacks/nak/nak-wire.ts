// NAK transport wire format: the 20-byte header that follows the UDP header (layout on NakView).
//
// Contract:
// - NakView is a thin, reusable view (wrap() re-points it, no allocation) over the UDP payload;
//   checkLength() is the checked entry for untrusted bytes and returns a NakParseError (OK = 0).
//   Emitting never re-checks. Integers are big-endian (wire order), like every netloom format.
// - The UDP checksum (RFC 768, pseudo-header included) covers header and payload; this module
//   adds no checksum of its own: a corrupted datagram is refused by the UDP layer.
// - Sequence numbers count bytes of the stream (like TCP) and wrap at 2^32 (compare them with
//   src/kernels/seq.ts). Ranges are half-open [start, end).
// - Timestamps are microseconds of virtual time modulo 2^32 (wrap after ~71 minutes); an echo
//   of 0 means "no echo" (a real timestamp of 0 is sent as 1).
// - Not handled: options, a version other than 1 (refused as BAD_VERSION).

import { readU16, readU32, writeU16, writeU32, ByteView } from "../../wire/byte-view.js";

export const NAK_HEADER_LEN = 20;
export const NAK_VERSION = 1;
/** Bytes of the range list header (count + reserved) in NAK/STATUS packets. */
export const NAK_RANGES_HEADER_LEN = 4;
export const NAK_RANGE_LEN = 8;

export const NakType = { DATA: 1, NAK: 2, STATUS: 3, DONE: 4 } as const;
export type NakType = (typeof NakType)[keyof typeof NakType];

export const NAK_FLAG_FIN = 0x01;
export const NAK_FLAG_SREQ = 0x02;
export const NAK_FLAG_RETX = 0x04;
const KNOWN_FLAGS = NAK_FLAG_FIN | NAK_FLAG_SREQ | NAK_FLAG_RETX;

/** Why a packet was refused (0 = accepted). Stable numbers: callers index drop counters by them. */
export const NakParseError = {
  OK: 0,
  /** Fewer bytes than the header, or than the range list says. */
  TRUNCATED: 1,
  BAD_VERSION: 2,
  BAD_TYPE: 3,
  /** Unknown flag bits, or flags on a control packet. */
  BAD_FLAGS: 4,
  /** A control packet with payload bytes beyond its range list, or a NAK without ranges. */
  BAD_LENGTH: 5,
  /** A range whose end does not follow its start (empty or >= 2^31 long). */
  BAD_RANGE: 6,
} as const;
export type NakParseError = (typeof NakParseError)[keyof typeof NakParseError];

export const NAK_PARSE_ERROR_NAMES: string[] = [];
for (const [name, value] of Object.entries(NakParseError)) NAK_PARSE_ERROR_NAMES[value] = name;

/**
 *    0        7 8       15 16                      31
 *   +----------+----------+--------------------------+
 *   | ver|type |  flags   |        stream id         |  0   ver = 1 (high nibble)
 *   +----------+----------+--------------------------+
 *   |  DATA: sequence of the first payload byte       |  4
 *   |  NAK/STATUS/DONE: cumulative point (next byte   |
 *   |  expected; every byte below it was delivered)   |
 *   +-------------------------------------------------+
 *   |  DATA: sender's current rate, kbit/s            |  8
 *   |  NAK/STATUS/DONE: receive window, bytes         |
 *   +-------------------------------------------------+
 *   |  tsval: sender of this packet's clock, us       | 12
 *   +-------------------------------------------------+
 *   |  tsecr: echo of a tsval from the peer (0: none) | 16
 *   +-------------------------------------------------+
 *   |  DATA: payload bytes ...                        | 20
 *   |  NAK/STATUS: count (u16) | reserved (u16, 0)    |
 *   |    then count x { start u32, end u32 }          |
 *   +-------------------------------------------------+
 *
 *   types: 1 DATA, 2 NAK (missing ranges, count >= 1), 3 STATUS (answer to a status request;
 *   may list ranges), 4 DONE (final ack: cumulative = end of stream).
 *   flags (DATA): 0x01 FIN (seq + payload length is the end of the stream), 0x02 SREQ (status
 *   requested: answer with STATUS at once), 0x04 RETX (a retransmission; informational).
 */
export class NakView extends ByteView {
  /** Structural check of untrusted bytes (the whole UDP payload is the view). */
  checkLength(): NakParseError {
    if (this.length < NAK_HEADER_LEN) return NakParseError.TRUNCATED;
    const b0 = this.bytes[this.offset]!;
    if (b0 >>> 4 !== NAK_VERSION) return NakParseError.BAD_VERSION;
    const type = b0 & 0x0f;
    if (type < NakType.DATA || type > NakType.DONE) return NakParseError.BAD_TYPE;
    const flags = this.flags;
    if ((flags & ~KNOWN_FLAGS) !== 0 || (type !== NakType.DATA && flags !== 0)) return NakParseError.BAD_FLAGS;
    if (type === NakType.DATA) return NakParseError.OK;
    if (type === NakType.DONE) return this.length === NAK_HEADER_LEN ? NakParseError.OK : NakParseError.BAD_LENGTH;
    if (this.length < NAK_HEADER_LEN + NAK_RANGES_HEADER_LEN) return NakParseError.TRUNCATED;
    const count = this.rangeCount;
    const need = NAK_HEADER_LEN + NAK_RANGES_HEADER_LEN + count * NAK_RANGE_LEN;
    if (this.length < need) return NakParseError.TRUNCATED;
    if (this.length > need) return NakParseError.BAD_LENGTH;
    if (type === NakType.NAK && count === 0) return NakParseError.BAD_LENGTH;
    for (let i = 0; i < count; i++) {
      const len = (this.rangeEnd(i) - this.rangeStart(i)) | 0;
      if (len <= 0) return NakParseError.BAD_RANGE;
    }
    return NakParseError.OK;
  }

  get version(): number {
    return this.bytes[this.offset]! >>> 4;
  }
  get type(): number {
    return this.bytes[this.offset]! & 0x0f;
  }
  set type(value: number) {
    this.bytes[this.offset] = (NAK_VERSION << 4) | (value & 0x0f);
  }
  get flags(): number {
    return this.bytes[this.offset + 1]!;
  }
  set flags(value: number) {
    this.bytes[this.offset + 1] = value;
  }
  get streamId(): number {
    return readU16(this.bytes, this.offset + 2);
  }
  set streamId(value: number) {
    writeU16(this.bytes, this.offset + 2, value);
  }
  /** DATA: first byte's sequence number; control: cumulative point. */
  get seq(): number {
    return readU32(this.bytes, this.offset + 4);
  }
  set seq(value: number) {
    writeU32(this.bytes, this.offset + 4, value);
  }
  /** DATA: sender rate in kbit/s; control: receive window in bytes. */
  get info(): number {
    return readU32(this.bytes, this.offset + 8);
  }
  set info(value: number) {
    writeU32(this.bytes, this.offset + 8, value);
  }
  get tsval(): number {
    return readU32(this.bytes, this.offset + 12);
  }
  set tsval(value: number) {
    writeU32(this.bytes, this.offset + 12, value);
  }
  get tsecr(): number {
    return readU32(this.bytes, this.offset + 16);
  }
  set tsecr(value: number) {
    writeU32(this.bytes, this.offset + 16, value);
  }
  /** Absolute index of the first payload byte (DATA) or of the range list (NAK/STATUS). */
  get payloadOffset(): number {
    return this.offset + NAK_HEADER_LEN;
  }
  get payloadLength(): number {
    return this.length - NAK_HEADER_LEN;
  }
  get rangeCount(): number {
    return readU16(this.bytes, this.offset + NAK_HEADER_LEN);
  }
  set rangeCount(value: number) {
    writeU16(this.bytes, this.offset + NAK_HEADER_LEN, value);
    writeU16(this.bytes, this.offset + NAK_HEADER_LEN + 2, 0);
  }
  rangeStart(i: number): number {
    return readU32(this.bytes, this.offset + NAK_HEADER_LEN + NAK_RANGES_HEADER_LEN + i * NAK_RANGE_LEN);
  }
  rangeEnd(i: number): number {
    return readU32(this.bytes, this.offset + NAK_HEADER_LEN + NAK_RANGES_HEADER_LEN + i * NAK_RANGE_LEN + 4);
  }
  setRange(i: number, start: number, end: number): void {
    const at = this.offset + NAK_HEADER_LEN + NAK_RANGES_HEADER_LEN + i * NAK_RANGE_LEN;
    writeU32(this.bytes, at, start);
    writeU32(this.bytes, at + 4, end);
  }
}

/** Bytes of a NAK/STATUS packet (after UDP) carrying `ranges` ranges. */
export function nakControlLength(ranges: number): number {
  return NAK_HEADER_LEN + NAK_RANGES_HEADER_LEN + ranges * NAK_RANGE_LEN;
}

/** Writes the fixed header; the payload or range list is the caller's. */
export function emitNakHeader(
  v: NakView,
  type: NakType,
  flags: number,
  streamId: number,
  seq: number,
  info: number,
  tsval: number,
  tsecr: number,
): void {
  v.type = type;
  v.flags = flags;
  v.streamId = streamId;
  v.seq = seq >>> 0;
  v.info = info >>> 0;
  v.tsval = tsval >>> 0;
  v.tsecr = tsecr >>> 0;
}

/** Microsecond timestamp of virtual time `ns` for the tsval field (never 0: 0 means "no echo"). */
export function nakTimestamp(ns: number): number {
  const us = Math.floor(ns / 1000) % 0x1_0000_0000;
  return us === 0 ? 1 : us;
}

/** Elapsed ns since an echoed timestamp, or -1 when the echo is absent or from the future. */
export function nakEchoAge(nowNs: number, echo: number): number {
  if (echo === 0) return -1;
  const d = (nakTimestamp(nowNs) - echo) >>> 0;
  return d >= 0x8000_0000 ? -1 : d * 1000;
}
