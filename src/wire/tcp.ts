// TCP segments (RFC 793 header; options of RFC 793, RFC 7323, RFC 2018; ECE/CWR of RFC 3168).
//
// Contract:
// - TcpView is a thin, reusable view over the IP payload at (buffer, offset, length): getters and
//   setters only, no allocation; wrap() re-points it. checkLength() is the checked entry for
//   untrusted bytes and returns a TcpParseError (OK = 0). The segment is the whole view: TCP has
//   no length field, so wrap it with the IP view's payloadOffset/payloadLength, never the frame
//   length (Ethernet padding is not part of the segment).
// - parseTcpInto() checks the structure, verifies the checksum over the IPv4 pseudo-header, then
//   walks the options; it never throws and never loops past the data offset.
// - TcpRepr carries the options it understands; absent ones are `undefined` (sackPermitted:
//   false, sackCount: 0). The window is the raw 16-bit field: scaling (and clamping a shift above
//   14, RFC 7323 2.3) belongs to the connection, which knows whether scaling was agreed.
// - emitTcp() writes header and options for a segment whose payload is already in place at
//   view.offset + tcpHeaderLength(repr), and fills the checksum.
// - Not handled: TCP-AO/MD5, Fast Open, multipath options (skipped as unknown); sequence
//   arithmetic (src/kernels/seq.ts owns wraparound comparisons).

import { ipv4PseudoHeaderSum } from "../kernels/checksum.js";
import { IP_PROTO_TCP, inetChecksumRange, inetSumRange, readU16, readU32, writeU16, writeU32 } from "./ipv4.js";
import { TransportPortsView } from "./byte-view.js";

export const TCP_HEADER_LEN = 20;
export const TCP_MAX_HEADER_LEN = 60;
export const TCP_MAX_OPTIONS_LEN = 40;

export const TCP_FLAG_FIN = 0x01;
export const TCP_FLAG_SYN = 0x02;
export const TCP_FLAG_RST = 0x04;
export const TCP_FLAG_PSH = 0x08;
export const TCP_FLAG_ACK = 0x10;
export const TCP_FLAG_URG = 0x20;
export const TCP_FLAG_ECE = 0x40;
export const TCP_FLAG_CWR = 0x80;

export const TCP_OPT_EOL = 0;
export const TCP_OPT_NOP = 1;
export const TCP_OPT_MSS = 2;
export const TCP_OPT_WINDOW_SCALE = 3;
export const TCP_OPT_SACK_PERMITTED = 4;
export const TCP_OPT_SACK = 5;
export const TCP_OPT_TIMESTAMPS = 8;

/** Largest window shift a receiver honours (RFC 7323 section 2.3). */
export const TCP_MAX_WINDOW_SCALE = 14;
/** SACK blocks that fit the option space without timestamps (RFC 2018 section 3). */
export const TCP_MAX_SACK_BLOCKS = 4;
/** Default MSS when the option is absent (RFC 1122 4.2.2.6 / RFC 879). */
export const TCP_DEFAULT_MSS = 536;

/** Why a TCP segment was refused (0 = accepted). Stable numbers: callers index drop counters by them. */
export const TcpParseError = {
  OK: 0,
  /** Fewer bytes than the fixed header or than the data offset says. */
  TRUNCATED: 1,
  /** Data offset below 5. */
  BAD_DATA_OFFSET: 2,
  /** Malformed option list. */
  BAD_OPTION: 3,
  BAD_CHECKSUM: 4,
} as const;
export type TcpParseError = (typeof TcpParseError)[keyof typeof TcpParseError];

/**
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |  0
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        Sequence Number                        |  4
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Acknowledgment Number                      |  8
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Data |       |C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             | 12
 *   |       |       |R|E|G|K|H|T|N|N|                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Checksum            |         Urgent Pointer        | 16
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options (data offset > 5) ...              | 20
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *   Options: EOL(0) | NOP(1) | MSS(2,4,mss16) | WS(3,3,shift) | SACKP(4,2) |
 *            SACK(5,2+8n,{left32,right32}*n) | TS(8,10,tsval32,tsecr32)
 *   Pseudo-header summed with it: src addr (4) | dst addr (4) | 0 | 6 | TCP length (2)
 */
export class TcpView extends TransportPortsView {
  /** Structural check for untrusted bytes: fixed header and data offset fit. Options are checked by parse. */
  checkLength(): TcpParseError {
    if (this.length < TCP_HEADER_LEN) return TcpParseError.TRUNCATED;
    const headerLength = this.headerLength;
    if (headerLength < TCP_HEADER_LEN) return TcpParseError.BAD_DATA_OFFSET;
    if (headerLength > this.length) return TcpParseError.TRUNCATED;
    return TcpParseError.OK;
  }

  get seqNumber(): number {
    return readU32(this.bytes, this.offset + 4);
  }
  set seqNumber(value: number) {
    writeU32(this.bytes, this.offset + 4, value);
  }
  get ackNumber(): number {
    return readU32(this.bytes, this.offset + 8);
  }
  set ackNumber(value: number) {
    writeU32(this.bytes, this.offset + 8, value);
  }
  /** Header length in bytes (data offset * 4). */
  get headerLength(): number {
    return (this.bytes[this.offset + 12]! >>> 4) * 4;
  }
  /** Writes data offset = bytes / 4 (bytes: 20..60, a multiple of 4); the reserved bits become 0. */
  set headerLength(bytes: number) {
    this.bytes[this.offset + 12] = ((bytes >>> 2) & 0x0f) << 4;
  }
  /** The eight flag bits (TCP_FLAG_*), CWR and ECE included. */
  get flags(): number {
    return this.bytes[this.offset + 13]!;
  }
  set flags(value: number) {
    this.bytes[this.offset + 13] = value;
  }
  get fin(): boolean {
    return (this.bytes[this.offset + 13]! & TCP_FLAG_FIN) !== 0;
  }
  get syn(): boolean {
    return (this.bytes[this.offset + 13]! & TCP_FLAG_SYN) !== 0;
  }
  get rst(): boolean {
    return (this.bytes[this.offset + 13]! & TCP_FLAG_RST) !== 0;
  }
  get psh(): boolean {
    return (this.bytes[this.offset + 13]! & TCP_FLAG_PSH) !== 0;
  }
  get ack(): boolean {
    return (this.bytes[this.offset + 13]! & TCP_FLAG_ACK) !== 0;
  }
  get urg(): boolean {
    return (this.bytes[this.offset + 13]! & TCP_FLAG_URG) !== 0;
  }
  get ece(): boolean {
    return (this.bytes[this.offset + 13]! & TCP_FLAG_ECE) !== 0;
  }
  get cwr(): boolean {
    return (this.bytes[this.offset + 13]! & TCP_FLAG_CWR) !== 0;
  }
  /** The raw (unscaled) window field. */
  get window(): number {
    return readU16(this.bytes, this.offset + 14);
  }
  set window(value: number) {
    writeU16(this.bytes, this.offset + 14, value);
  }
  get checksum(): number {
    return readU16(this.bytes, this.offset + 16);
  }
  set checksum(value: number) {
    writeU16(this.bytes, this.offset + 16, value);
  }
  get urgentPointer(): number {
    return readU16(this.bytes, this.offset + 18);
  }
  set urgentPointer(value: number) {
    writeU16(this.bytes, this.offset + 18, value);
  }
  /** Absolute index in `bytes` of the first option byte. */
  get optionsOffset(): number {
    return this.offset + TCP_HEADER_LEN;
  }
  get optionsLength(): number {
    return this.headerLength - TCP_HEADER_LEN;
  }
  /** Absolute index in `bytes` of the first payload byte. */
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }
  get payloadLength(): number {
    return this.length - this.headerLength;
  }

  /** Computes and writes the checksum over pseudo-header, header and payload (the view's length). */
  fillChecksum(src: number, dst: number): void {
    this.checksum = 0;
    this.checksum = inetChecksumRange(
      this.bytes,
      this.offset,
      this.length,
      ipv4PseudoHeaderSum(src, dst, IP_PROTO_TCP, this.length),
    );
  }

  verifyChecksum(src: number, dst: number): boolean {
    const len = this.length;
    return inetSumRange(this.bytes, this.offset, len, ipv4PseudoHeaderSum(src, dst, IP_PROTO_TCP, len)) === 0xffff;
  }
}

export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  seqNumber: number;
  ackNumber: number;
  /** TCP_FLAG_* bits. */
  flags: number;
  /** Raw 16-bit window field (unscaled). */
  window: number;
  urgentPointer: number;
  /** MSS option, when present. */
  mss: number | undefined;
  /** Window scale shift as sent (not clamped), when present. */
  windowScale: number | undefined;
  sackPermitted: boolean;
  /** Timestamp value and echo reply: both present or both undefined. */
  tsVal: number | undefined;
  tsEcr: number | undefined;
  /** Number of SACK blocks in sackBlocks (0..4). */
  sackCount: number;
  /** SACK blocks as flat pairs: [left0, right0, left1, right1, ...]; room for 4 blocks. */
  sackBlocks: number[];
  /** Bytes after the header. */
  payloadLength: number;
}

/** A repr with no options and room for 4 SACK blocks (one stable shape for parseTcpInto). */
export function createTcpRepr(): TcpRepr {
  return {
    srcPort: 0,
    dstPort: 0,
    seqNumber: 0,
    ackNumber: 0,
    flags: 0,
    window: 0,
    urgentPointer: 0,
    mss: undefined,
    windowScale: undefined,
    sackPermitted: false,
    tsVal: undefined,
    tsEcr: undefined,
    sackCount: 0,
    sackBlocks: [0, 0, 0, 0, 0, 0, 0, 0],
    payloadLength: 0,
  };
}

/**
 * Walks the options of a structurally checked view into `repr`. Every step advances by at least
 * one byte and stays inside the data offset. A malformed list (a length of 0 or 1, an option
 * running past the header, a known option with the wrong length) is BAD_OPTION. Unknown options
 * are skipped; EOL ends the list; a repeated option keeps its last value.
 */
function parseOptions(view: TcpView, repr: TcpRepr): TcpParseError {
  const b = view.bytes;
  const end = view.offset + view.headerLength;
  repr.mss = undefined;
  repr.windowScale = undefined;
  repr.sackPermitted = false;
  repr.tsVal = undefined;
  repr.tsEcr = undefined;
  repr.sackCount = 0;
  let i = view.offset + TCP_HEADER_LEN;
  while (i < end) {
    const kind = b[i]!;
    if (kind === TCP_OPT_EOL) break;
    if (kind === TCP_OPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) return TcpParseError.BAD_OPTION;
    const len = b[i + 1]!;
    // len >= 2 is what guarantees progress: a 0 or 1 would loop forever or misread.
    if (len < 2 || i + len > end) return TcpParseError.BAD_OPTION;
    switch (kind) {
      case TCP_OPT_MSS:
        if (len !== 4) return TcpParseError.BAD_OPTION;
        repr.mss = readU16(b, i + 2);
        break;
      case TCP_OPT_WINDOW_SCALE:
        if (len !== 3) return TcpParseError.BAD_OPTION;
        repr.windowScale = b[i + 2]!;
        break;
      case TCP_OPT_SACK_PERMITTED:
        if (len !== 2) return TcpParseError.BAD_OPTION;
        repr.sackPermitted = true;
        break;
      case TCP_OPT_SACK: {
        // 40 option bytes bound n to 4, so the blocks always fit the repr's 8 slots.
        if (len < 10 || (len - 2) % 8 !== 0) return TcpParseError.BAD_OPTION;
        const n = (len - 2) >>> 3;
        for (let k = 0; k < n; k++) {
          repr.sackBlocks[2 * k] = readU32(b, i + 2 + 8 * k);
          repr.sackBlocks[2 * k + 1] = readU32(b, i + 6 + 8 * k);
        }
        repr.sackCount = n;
        break;
      }
      case TCP_OPT_TIMESTAMPS:
        if (len !== 10) return TcpParseError.BAD_OPTION;
        repr.tsVal = readU32(b, i + 2);
        repr.tsEcr = readU32(b, i + 6);
        break;
      default:
        break;
    }
    i += len;
  }
  return TcpParseError.OK;
}

/**
 * Checks untrusted bytes (the IPv4 payload), verifies the checksum with the enclosing header's
 * `src`/`dst`, parses the options, and fills `repr` in place (no allocation when repr came from
 * createTcpRepr). On an error `repr` is partly written and must not be used.
 */
export function parseTcpInto(
  view: TcpView,
  repr: TcpRepr,
  src: number,
  dst: number,
  verifyChecksum = true,
): TcpParseError {
  const status = view.checkLength();
  if (status !== TcpParseError.OK) return status;
  // The checksum first: a corrupted segment counts as corrupted even when its options look bad.
  if (verifyChecksum && !view.verifyChecksum(src, dst)) return TcpParseError.BAD_CHECKSUM;
  const options = parseOptions(view, repr);
  if (options !== TcpParseError.OK) return options;
  repr.srcPort = view.srcPort;
  repr.dstPort = view.dstPort;
  repr.seqNumber = view.seqNumber;
  repr.ackNumber = view.ackNumber;
  repr.flags = view.flags;
  repr.window = view.window;
  repr.urgentPointer = view.urgentPointer;
  repr.payloadLength = view.length - view.headerLength;
  return TcpParseError.OK;
}

/** parseTcpInto into a new repr: the repr, or the error code (a number). */
export function parseTcp(view: TcpView, src: number, dst: number, verifyChecksum = true): TcpRepr | TcpParseError {
  const repr = createTcpRepr();
  const status = parseTcpInto(view, repr, src, dst, verifyChecksum);
  return status === TcpParseError.OK ? repr : status;
}

/** Option bytes before SACK blocks, in the emitted layout. */
function fixedOptionsLength(repr: TcpRepr): number {
  let n = 0;
  if (repr.mss !== undefined) n += 4;
  if (repr.windowScale !== undefined) n += 4;
  if (repr.tsVal !== undefined)
    n += 12; // SACKP,TS or NOP,NOP,TS
  else if (repr.sackPermitted) n += 4; // NOP,NOP,SACKP
  return n;
}

/** SACK blocks emitTcp writes: as many of repr.sackCount as fit after the other options. */
function sackBlocksEmitted(repr: TcpRepr, fixed: number): number {
  if (repr.sackCount <= 0) return 0;
  const room = Math.floor((TCP_MAX_OPTIONS_LEN - fixed - 4) / 8);
  return Math.max(0, Math.min(repr.sackCount, room, TCP_MAX_SACK_BLOCKS));
}

/** Length of the header (options included, a multiple of 4) emitTcp() writes for `repr`. */
export function tcpHeaderLength(repr: TcpRepr): number {
  const fixed = fixedOptionsLength(repr);
  const sacks = sackBlocksEmitted(repr, fixed);
  return TCP_HEADER_LEN + fixed + (sacks > 0 ? 4 + 8 * sacks : 0);
}

/** Header plus payload: the IPv4 payload length of this segment. */
export function tcpLength(repr: TcpRepr): number {
  return tcpHeaderLength(repr) + repr.payloadLength;
}

/**
 * Writes header and options of `repr` at the start of the view and fills the checksum over them
 * and the repr.payloadLength payload bytes already in place at view.offset + tcpHeaderLength(repr).
 * `src`/`dst` are the enclosing IPv4 addresses. Options get NOP padding so each ends on a 4-byte
 * boundary (the BSD/Linux layout: MSS | NOP,WS | SACKP,TS or NOP,NOP,TS | NOP,NOP,SACK). SACK
 * blocks that do not fit the 40 option bytes are left out, the first ones kept (RFC 2018
 * section 3 lets a sender send fewer).
 */
export function emitTcp(repr: TcpRepr, view: TcpView, src: number, dst: number): void {
  const b = view.bytes;
  const o = view.offset;
  const fixed = fixedOptionsLength(repr);
  const sacks = sackBlocksEmitted(repr, fixed);
  const headerLength = TCP_HEADER_LEN + fixed + (sacks > 0 ? 4 + 8 * sacks : 0);
  writeU16(b, o, repr.srcPort);
  writeU16(b, o + 2, repr.dstPort);
  writeU32(b, o + 4, repr.seqNumber);
  writeU32(b, o + 8, repr.ackNumber);
  b[o + 12] = (headerLength >>> 2) << 4;
  b[o + 13] = repr.flags;
  writeU16(b, o + 14, repr.window);
  b[o + 16] = 0;
  b[o + 17] = 0;
  writeU16(b, o + 18, repr.urgentPointer);

  let i = o + TCP_HEADER_LEN;
  if (repr.mss !== undefined) {
    b[i] = TCP_OPT_MSS;
    b[i + 1] = 4;
    writeU16(b, i + 2, repr.mss);
    i += 4;
  }
  if (repr.windowScale !== undefined) {
    b[i] = TCP_OPT_NOP;
    b[i + 1] = TCP_OPT_WINDOW_SCALE;
    b[i + 2] = 3;
    b[i + 3] = repr.windowScale;
    i += 4;
  }
  if (repr.tsVal !== undefined) {
    if (repr.sackPermitted) {
      b[i] = TCP_OPT_SACK_PERMITTED;
      b[i + 1] = 2;
    } else {
      b[i] = TCP_OPT_NOP;
      b[i + 1] = TCP_OPT_NOP;
    }
    b[i + 2] = TCP_OPT_TIMESTAMPS;
    b[i + 3] = 10;
    writeU32(b, i + 4, repr.tsVal);
    writeU32(b, i + 8, repr.tsEcr ?? 0);
    i += 12;
  } else if (repr.sackPermitted) {
    b[i] = TCP_OPT_NOP;
    b[i + 1] = TCP_OPT_NOP;
    b[i + 2] = TCP_OPT_SACK_PERMITTED;
    b[i + 3] = 2;
    i += 4;
  }
  if (sacks > 0) {
    b[i] = TCP_OPT_NOP;
    b[i + 1] = TCP_OPT_NOP;
    b[i + 2] = TCP_OPT_SACK;
    b[i + 3] = 2 + 8 * sacks;
    i += 4;
    for (let k = 0; k < sacks; k++) {
      writeU32(b, i, repr.sackBlocks[2 * k] ?? 0);
      writeU32(b, i + 4, repr.sackBlocks[2 * k + 1] ?? 0);
      i += 8;
    }
  }
  const length = headerLength + repr.payloadLength;
  writeU16(b, o + 16, inetChecksumRange(b, o, length, ipv4PseudoHeaderSum(src, dst, IP_PROTO_TCP, length)));
}
