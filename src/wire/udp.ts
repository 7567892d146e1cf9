// UDP datagrams (RFC 768) over IPv4.
//
// Contract:
// - UdpView is a thin, reusable view over the IP payload at (buffer, offset, length): getters and
//   setters only, no allocation; wrap() re-points it. checkLength() is the checked entry for
//   untrusted bytes and returns a UdpParseError (OK = 0). The view's length is the IP payload
//   length; the datagram is the first `length` bytes of it (the UDP length field).
// - parseUdpInto() checks, verifies the checksum over the IPv4 pseudo-header and fills a
//   caller-owned repr; it never throws. A received checksum of 0 means "not computed" (RFC 768)
//   and is accepted.
// - emitUdp() writes the 8-byte header of a datagram whose payload is already in place at
//   view.offset + 8 (layers push headers into headroom; payload bytes never move). The checksum
//   is always computed unless the caller asks for none (0 on the wire); a computed 0 is sent as
//   0xFFFF, because 0 would mean "no checksum".
// Not handled here: UDP-Lite, IPv6 pseudo-headers, port demultiplexing.
//
//    0      7 8     15 16    23 24    31
//   +--------+--------+--------+--------+
//   |   Source Port   |    Dest Port    |  0
//   +--------+--------+--------+--------+
//   |     Length      |    Checksum     |  4
//   +--------+--------+--------+--------+
//   |          data octets ...             8
//
//   Pseudo-header summed with it: src addr (4) | dst addr (4) | 0 | 17 | UDP length (2)

import { ipv4PseudoHeaderSum } from "../kernels/checksum.js";
import { IP_PROTO_UDP, inetSumRange, readU16, writeU16 } from "./ipv4.js";
import { TransportPortsView } from "./byte-view.js";

export const UDP_HEADER_LEN = 8;
/** Largest datagram the 16-bit length can describe (header included). */
export const UDP_MAX_LEN = 0xffff;

/** Why a UDP datagram was refused (0 = accepted). Stable numbers: callers index drop counters by them. */
export const UdpParseError = {
  OK: 0,
  /** Fewer bytes than the header, or than the length field says. */
  TRUNCATED: 1,
  /** Length field below 8. */
  BAD_LENGTH: 2,
  BAD_CHECKSUM: 3,
} as const;
export type UdpParseError = (typeof UdpParseError)[keyof typeof UdpParseError];

export class UdpView extends TransportPortsView {
  // Its own wrap(), not ByteView's: V8 keeps type feedback per function, so the one inherited
  // wrap() saw every view class and its stores went megamorphic on the per-packet path.
  override wrap(bytes: Uint8Array, offset: number, length: number): this {
    this.bytes = bytes;
    this.offset = offset;
    this.length = length;
    return this;
  }

  /** Structural check for untrusted bytes: the header and the datagram the length field describes fit. */
  checkLength(): UdpParseError {
    if (this.length < UDP_HEADER_LEN) return UdpParseError.TRUNCATED;
    const declared = this.datagramLength;
    if (declared < UDP_HEADER_LEN) return UdpParseError.BAD_LENGTH;
    if (declared > this.length) return UdpParseError.TRUNCATED;
    return UdpParseError.OK;
  }

  /** The length field: header plus payload. */
  get datagramLength(): number {
    return readU16(this.bytes, this.offset + 4);
  }
  set datagramLength(value: number) {
    writeU16(this.bytes, this.offset + 4, value);
  }
  get checksum(): number {
    return readU16(this.bytes, this.offset + 6);
  }
  set checksum(value: number) {
    writeU16(this.bytes, this.offset + 6, value);
  }
  /** Absolute index in `bytes` of the first payload byte. */
  get payloadOffset(): number {
    return this.offset + UDP_HEADER_LEN;
  }
  get payloadLength(): number {
    return this.datagramLength - UDP_HEADER_LEN;
  }

  /** Computes and writes the checksum over the pseudo-header, header and payload (a computed 0 becomes 0xFFFF). */
  fillChecksum(src: number, dst: number): void {
    this.checksum = 0;
    this.checksum = udpChecksum(this.bytes, this.offset, this.datagramLength, src, dst);
  }

  /** True when the checksum is absent (0) or correct. */
  verifyChecksum(src: number, dst: number): boolean {
    if (this.checksum === 0) return true;
    const len = this.datagramLength;
    return inetSumRange(this.bytes, this.offset, len, ipv4PseudoHeaderSum(src, dst, IP_PROTO_UDP, len)) === 0xffff;
  }
}

/** The value for the checksum field of a datagram whose checksum field is currently 0. */
function udpChecksum(bytes: Uint8Array, offset: number, length: number, src: number, dst: number): number {
  const sum = inetSumRange(bytes, offset, length, ipv4PseudoHeaderSum(src, dst, IP_PROTO_UDP, length));
  // RFC 768: an all-zero computed checksum is transmitted as all ones.
  return ~sum & 0xffff || 0xffff;
}

export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  payloadLength: number;
}

export function createUdpRepr(): UdpRepr {
  return { srcPort: 0, dstPort: 0, payloadLength: 0 };
}

/**
 * Checks untrusted bytes (the IPv4 payload) and fills `repr` in place, no allocation. `src` and
 * `dst` are the IPv4 addresses of the enclosing header. verifyChecksum = false skips the sum.
 */
export function parseUdpInto(
  view: UdpView,
  repr: UdpRepr,
  src: number,
  dst: number,
  verifyChecksum = true,
): UdpParseError {
  const status = view.checkLength();
  if (status !== UdpParseError.OK) return status;
  if (verifyChecksum && !view.verifyChecksum(src, dst)) return UdpParseError.BAD_CHECKSUM;
  repr.srcPort = view.srcPort;
  repr.dstPort = view.dstPort;
  repr.payloadLength = view.datagramLength - UDP_HEADER_LEN;
  return UdpParseError.OK;
}

/** parseUdpInto into a new repr: the repr, or the error code (a number). */
export function parseUdp(view: UdpView, src: number, dst: number, verifyChecksum = true): UdpRepr | UdpParseError {
  const repr = createUdpRepr();
  const status = parseUdpInto(view, repr, src, dst, verifyChecksum);
  return status === UdpParseError.OK ? repr : status;
}

/** Header plus payload: the IPv4 payload length of this datagram. */
export function udpLength(repr: UdpRepr): number {
  return UDP_HEADER_LEN + repr.payloadLength;
}

/**
 * Writes the header of `repr` at the start of the view; the payload must already be in place
 * at view.offset + 8. `checksum = false` sends 0 ("no checksum"), which RFC 768 allows.
 */
export function emitUdp(repr: UdpRepr, view: UdpView, src: number, dst: number, checksum = true): void {
  const b = view.bytes;
  const o = view.offset;
  const length = UDP_HEADER_LEN + repr.payloadLength;
  writeU16(b, o, repr.srcPort);
  writeU16(b, o + 2, repr.dstPort);
  writeU16(b, o + 4, length);
  b[o + 6] = 0;
  b[o + 7] = 0;
  if (checksum) writeU16(b, o + 6, udpChecksum(b, o, length, src, dst));
}
