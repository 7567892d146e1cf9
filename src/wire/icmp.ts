// ICMP messages (RFC 792) for IPv4: echo request/reply, destination unreachable (with the
// next-hop MTU of "fragmentation needed", RFC 1191) and time exceeded.
//
// Contract:
// - IcmpView is a thin, reusable view over the IP payload at (buffer, offset, length): getters and
//   setters only, no allocation; wrap() re-points it. checkLength() is the checked entry for
//   untrusted bytes and returns an IcmpParseError (OK = 0). The message is the whole view: ICMP
//   has no length field, so wrap it with the IP view's payloadOffset/payloadLength, never the
//   frame length (Ethernet padding is not part of the message).
// - parseIcmpInto() checks, verifies the checksum (over the whole message) and fills a
//   caller-owned repr; it never throws. Types other than the four above are refused
//   (UNSUPPORTED_TYPE): a host has nothing to do with them.
// - Error messages (unreachable, time exceeded) quote the offending datagram's IP header and at
//   least its first 8 payload bytes; parse requires that quote to hold a whole IPv4 header so the
//   caller can wrap an Ipv4View at payloadOffset and find the flow. icmpQuoteLength() gives the
//   quote to send.
// - emitIcmp() writes the 8-byte header of a message whose data (echo data or the quote) is
//   already in place at view.offset + 8, and fills the checksum.

import {
  IPV4_HEADER_LEN,
  IPV4_VERSION,
  inetChecksumRange,
  inetSumRange,
  readU16,
  writeU16,
  type Ipv4View,
} from "./ipv4.js";
import { ByteView } from "./byte-view.js";

export const ICMP_HEADER_LEN = 8;

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;

/** Destination unreachable codes (RFC 792, RFC 1122). */
export const ICMP_UNREACH_NET = 0;
export const ICMP_UNREACH_HOST = 1;
export const ICMP_UNREACH_PROTOCOL = 2;
export const ICMP_UNREACH_PORT = 3;
/** "Fragmentation needed and DF set": bytes 6-7 carry the next-hop MTU (RFC 1191). */
export const ICMP_UNREACH_FRAG_NEEDED = 4;
export const ICMP_UNREACH_SOURCE_ROUTE = 5;

/** Time exceeded codes. */
export const ICMP_TIME_EXCEEDED_TTL = 0;
export const ICMP_TIME_EXCEEDED_REASSEMBLY = 1;

/** Payload bytes quoted after the offending datagram's header (RFC 792: 64 bits). */
export const ICMP_QUOTE_PAYLOAD_LEN = 8;

/** Why an ICMP message was refused (0 = accepted). Stable numbers: callers index drop counters by them. */
export const IcmpParseError = {
  OK: 0,
  TRUNCATED: 1,
  BAD_CHECKSUM: 2,
  /** A type this module does not model. */
  UNSUPPORTED_TYPE: 3,
  /** An error message whose quote does not hold a whole IPv4 header. */
  BAD_QUOTE: 4,
} as const;
export type IcmpParseError = (typeof IcmpParseError)[keyof typeof IcmpParseError];

function isErrorType(type: number): boolean {
  return type === ICMP_DEST_UNREACHABLE || type === ICMP_TIME_EXCEEDED;
}

/**
 *    0                   1                   2                   3
 *   +---------------+---------------+-------------------------------+
 *   |     Type      |     Code      |          Checksum             |  0
 *   +---------------+---------------+-------------------------------+
 *   | echo:         Identifier      |        Sequence Number        |  4
 *   | unreachable:  unused (0)      |  Next-Hop MTU (code 4, else 0)|
 *   | time exceeded:            unused (0)                          |
 *   +---------------+---------------+-------------------------------+
 *   | echo data ... | or: quoted IP header (IHL * 4) + 8 bytes ...  |  8
 */
export class IcmpView extends ByteView {
  /** Structural check for untrusted bytes: header present, type modelled, error quotes whole. */
  checkLength(): IcmpParseError {
    if (this.length < ICMP_HEADER_LEN) return IcmpParseError.TRUNCATED;
    const type = this.type;
    if (type === ICMP_ECHO_REQUEST || type === ICMP_ECHO_REPLY) return IcmpParseError.OK;
    if (!isErrorType(type)) return IcmpParseError.UNSUPPORTED_TYPE;
    const quoteLength = this.length - ICMP_HEADER_LEN;
    if (quoteLength < IPV4_HEADER_LEN) return IcmpParseError.BAD_QUOTE;
    const vihl = this.bytes[this.offset + ICMP_HEADER_LEN]!;
    const quotedHeader = (vihl & 0x0f) * 4;
    if (vihl >>> 4 !== IPV4_VERSION || quotedHeader < IPV4_HEADER_LEN || quotedHeader > quoteLength) {
      return IcmpParseError.BAD_QUOTE;
    }
    return IcmpParseError.OK;
  }

  get type(): number {
    return this.bytes[this.offset]!;
  }
  set type(value: number) {
    this.bytes[this.offset] = value;
  }
  get code(): number {
    return this.bytes[this.offset + 1]!;
  }
  set code(value: number) {
    this.bytes[this.offset + 1] = value;
  }
  get checksum(): number {
    return readU16(this.bytes, this.offset + 2);
  }
  set checksum(value: number) {
    writeU16(this.bytes, this.offset + 2, value);
  }
  /** Echo identifier (bytes 4-5). */
  get ident(): number {
    return readU16(this.bytes, this.offset + 4);
  }
  set ident(value: number) {
    writeU16(this.bytes, this.offset + 4, value);
  }
  /** Echo sequence number (bytes 6-7). */
  get seqNo(): number {
    return readU16(this.bytes, this.offset + 6);
  }
  set seqNo(value: number) {
    writeU16(this.bytes, this.offset + 6, value);
  }
  /** Next-hop MTU of "fragmentation needed" (bytes 6-7; 0 from pre-RFC 1191 routers). */
  get nextHopMtu(): number {
    return readU16(this.bytes, this.offset + 6);
  }
  set nextHopMtu(value: number) {
    writeU16(this.bytes, this.offset + 6, value);
  }
  /** Absolute index in `bytes` of the echo data or the quoted IPv4 header. */
  get payloadOffset(): number {
    return this.offset + ICMP_HEADER_LEN;
  }
  get payloadLength(): number {
    return this.length - ICMP_HEADER_LEN;
  }

  /** Computes and writes the checksum over the whole message (the view's length). */
  fillChecksum(): void {
    this.checksum = 0;
    this.checksum = inetChecksumRange(this.bytes, this.offset, this.length);
  }

  verifyChecksum(): boolean {
    return inetSumRange(this.bytes, this.offset, this.length) === 0xffff;
  }
}

export interface IcmpRepr {
  type: number;
  code: number;
  /** Echo request/reply only (0 otherwise). */
  ident: number;
  /** Echo request/reply only (0 otherwise). */
  seqNo: number;
  /** Destination unreachable only: the next-hop MTU for ICMP_UNREACH_FRAG_NEEDED (0 otherwise). */
  nextHopMtu: number;
  /** Bytes after the 8-byte header: echo data or the quoted datagram. */
  payloadLength: number;
}

export function createIcmpRepr(): IcmpRepr {
  return { type: ICMP_ECHO_REQUEST, code: 0, ident: 0, seqNo: 0, nextHopMtu: 0, payloadLength: 0 };
}

/** Checks untrusted bytes (the IPv4 payload), verifies the checksum and fills `repr` in place. */
export function parseIcmpInto(view: IcmpView, repr: IcmpRepr, verifyChecksum = true): IcmpParseError {
  const status = view.checkLength();
  if (status !== IcmpParseError.OK) return status;
  if (verifyChecksum && !view.verifyChecksum()) return IcmpParseError.BAD_CHECKSUM;
  const type = view.type;
  const echo = type === ICMP_ECHO_REQUEST || type === ICMP_ECHO_REPLY;
  repr.type = type;
  repr.code = view.code;
  repr.ident = echo ? view.ident : 0;
  repr.seqNo = echo ? view.seqNo : 0;
  repr.nextHopMtu = type === ICMP_DEST_UNREACHABLE ? view.nextHopMtu : 0;
  repr.payloadLength = view.length - ICMP_HEADER_LEN;
  return IcmpParseError.OK;
}

/** parseIcmpInto into a new repr: the repr, or the error code (a number). */
export function parseIcmp(view: IcmpView, verifyChecksum = true): IcmpRepr | IcmpParseError {
  const repr = createIcmpRepr();
  const status = parseIcmpInto(view, repr, verifyChecksum);
  return status === IcmpParseError.OK ? repr : status;
}

/** Header plus payload: the IPv4 payload length of this message. */
export function icmpLength(repr: IcmpRepr): number {
  return ICMP_HEADER_LEN + repr.payloadLength;
}

/**
 * Bytes of `original` to quote in an error about it: its header (options included) and the first
 * 8 payload bytes, or less when the datagram is shorter (RFC 792).
 */
export function icmpQuoteLength(original: Ipv4View): number {
  return Math.min(original.totalLength, original.headerLength + ICMP_QUOTE_PAYLOAD_LEN);
}

/**
 * Writes the 8-byte header of `repr` at the start of the view and fills the checksum over it and
 * the repr.payloadLength data bytes already in place at view.offset + 8.
 */
export function emitIcmp(repr: IcmpRepr, view: IcmpView): void {
  const b = view.bytes;
  const o = view.offset;
  const type = repr.type;
  b[o] = type;
  b[o + 1] = repr.code;
  b[o + 2] = 0;
  b[o + 3] = 0;
  if (type === ICMP_ECHO_REQUEST || type === ICMP_ECHO_REPLY) {
    writeU16(b, o + 4, repr.ident);
    writeU16(b, o + 6, repr.seqNo);
  } else {
    writeU16(b, o + 4, 0);
    writeU16(b, o + 6, type === ICMP_DEST_UNREACHABLE ? repr.nextHopMtu : 0);
  }
  writeU16(b, o + 2, inetChecksumRange(b, o, ICMP_HEADER_LEN + repr.payloadLength));
}
