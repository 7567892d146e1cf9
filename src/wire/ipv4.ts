// IPv4 headers (RFC 791), addresses, prefixes, and the Internet-checksum glue that the other
// IP-family formats (udp, tcp, icmp) share.
//
// Contract:
// - Ipv4View is a thin, reusable view over bytes at (buffer, offset, length): getters and setters
//   only, no copies, no allocation; wrap() re-points it. checkLength() is the checked entry for
//   untrusted bytes and returns an Ipv4ParseError (OK = 0); accessors do not re-check.
// - parseIpv4Into() checks and parses in one call and never throws: a malformed or corrupt header
//   yields an Ipv4ParseError the caller counts as a drop reason. parseIpv4() is the same but
//   returns a fresh Ipv4Repr (or the error code).
// - Options (IHL 6..15) are skipped, never interpreted: the payload starts at IHL * 4. Bytes
//   after the total length (Ethernet padding) are ignored. emitIpv4() always writes a 20-byte
//   header (IHL 5) with its checksum; a router that forwards a packet with options rewrites the
//   fields it changes in place (decrementTtl) instead of re-emitting.
// - fragmentOffset in Ipv4Repr and on the view is in bytes (the wire holds 8-byte units; the
//   setter and emit drop the low 3 bits).
// - Addresses are unsigned 32-bit numbers (a.b.c.d = a<<24 | b<<16 | c<<8 | d): comparisons and
//   table keys without allocation. ipv4FromString/ipv4ToString convert for people.
// - Checksums over more than 64 bytes run in the Wasm kernels (by pointer when the bytes are on
//   the kernel's linear memory, else staged through its scratch area); shorter ranges (the IPv4
//   header) are summed in JS, cheaper than the call. Both give the RFC 1071 partial of
//   kernels/reference/inet.ts.
// - Not handled: fragmentation and reassembly, option semantics (source route, record route).

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import { ipv4FromText, ipv4ToText as ipv4ToString, splitIpv4Prefix } from "../base/ipv4-text.js";
import { checksumKernels, updateInternetChecksum } from "../kernels/checksum.js";
import { ByteView, readU16, readU32, writeU16, writeU32 } from "./byte-view.js";

export const IPV4_VERSION = 4;
export const IPV4_HEADER_LEN = 20;
export const IPV4_MAX_HEADER_LEN = 60;
/** Largest total length the 16-bit field can carry. */
export const IPV4_MAX_TOTAL_LEN = 0xffff;
/** Smallest datagram every host must accept whole (RFC 791). */
export const IPV4_MIN_MTU = 68;
export const IPV4_DEFAULT_TTL = 64;

export const IPV4_FLAG_DF = 0x4000;
export const IPV4_FLAG_MF = 0x2000;
export const IPV4_FRAG_OFFSET_MASK = 0x1fff;

export const IP_PROTO_ICMP = 1;
export const IP_PROTO_IGMP = 2;
export const IP_PROTO_TCP = 6;
export const IP_PROTO_UDP = 17;

export const IPV4_ANY = 0;
export const IPV4_BROADCAST = 0xffff_ffff;

/** Why an IPv4 header was refused (0 = accepted). Stable numbers: callers index drop counters by them. */
export const Ipv4ParseError = {
  OK: 0,
  /** Fewer bytes than the fixed header or than IHL says. */
  TRUNCATED: 1,
  /** Version field is not 4. */
  BAD_VERSION: 2,
  /** IHL below 5. */
  BAD_IHL: 3,
  /** Total length smaller than the header, or larger than the bytes that arrived. */
  BAD_TOTAL_LENGTH: 4,
  BAD_CHECKSUM: 5,
} as const;
export type Ipv4ParseError = (typeof Ipv4ParseError)[keyof typeof Ipv4ParseError];

// Byte helpers live beside ByteView; re-exported here for the modules that import them from ipv4.
export { readU16, writeU16, readU32, writeU32 } from "./byte-view.js";

// --- checksum glue ---

/**
 * Ranges up to this many bytes are summed in JS: for an IPv4 header (20 bytes), the JS loop is
 * cheaper than the call into Wasm and its argument checks. Same result: the sum is the one of
 * kernels/reference/inet.ts, the oracle the Wasm kernel is tested against.
 */
const JS_SUM_MAX_BYTES = 64;

/**
 * One's-complement partial sum of bytes[offset, offset + length) plus partial `initial`. Short
 * ranges are summed in JS; longer ones in Wasm, by pointer when the bytes are in the kernel's
 * linear memory (no copy, no allocation), otherwise staged.
 */
export function inetSumRange(bytes: Uint8Array, offset: number, length: number, initial = 0): number {
  if (
    length <= JS_SUM_MAX_BYTES &&
    (length | 0) === length &&
    length >= 0 &&
    (offset | 0) === offset &&
    offset >= 0 &&
    offset + length <= bytes.length &&
    (initial & 0xffff) === initial
  ) {
    return shortSum(bytes, offset, length, initial);
  }
  return checksumKernels().internetSumRange(bytes, offset, length, initial);
}

/** RFC 1071 sum of a short in-bounds range (at most JS_SUM_MAX_BYTES: no overflow before the fold). */
function shortSum(bytes: Uint8Array, offset: number, length: number, initial: number): number {
  let sum = initial;
  const end = offset + (length & ~1);
  for (let i = offset; i < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if ((length & 1) !== 0) sum += bytes[end]! << 8;
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum & 0xffff) + (sum >>> 16);
}

/** The checksum-field value for bytes[offset, offset + length) with partial `initial` (e.g. a pseudo-header). */
export function inetChecksumRange(bytes: Uint8Array, offset: number, length: number, initial = 0): number {
  return ~inetSumRange(bytes, offset, length, initial) & 0xffff;
}

// --- addresses and prefixes ---

/** The API has always read octets with leading zeros as decimal (scenario files refuse them). */
const API_OCTETS = { leadingZeros: true } as const;

/** Parses dotted-quad text ("192.168.0.1"); throws NetloomError INVALID_ARGUMENT naming `path`. */
export function ipv4FromString(text: string, path = "address"): number {
  const addr = ipv4FromText(text, API_OCTETS);
  if (addr === undefined) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `"${text}" is not an IPv4 address (like 192.168.0.1)`, { path });
  }
  return addr;
}

/** Dotted quad of an address (src/base/ipv4-text.ts). */
export { ipv4ToString };

/** Class D (224.0.0.0/4). */
export function isMulticastIpv4(addr: number): boolean {
  return addr >>> 28 === 0xe;
}

/** The limited broadcast 255.255.255.255 (directed broadcasts need the prefix: ipv4DirectedBroadcast). */
export function isBroadcastIpv4(addr: number): boolean {
  return addr >>> 0 === IPV4_BROADCAST;
}

/** Ethernet group address of an IPv4 multicast group (RFC 1112 section 6.4: 01:00:5e + low 23 bits). */
export function ipv4MulticastMac(group: number): number {
  return 0x01005e000000 + (group & 0x7fffff);
}

/** Netmask of a prefix length: 24 -> 255.255.255.0. Throws INVALID_ARGUMENT outside 0..32. */
export function ipv4PrefixMask(prefixLength: number): number {
  checkInteger("prefixLength", prefixLength, 0, 32);
  // A shift by 32 is a shift by 0 in JS, hence the special case.
  return prefixLength === 0 ? 0 : (0xffff_ffff << (32 - prefixLength)) >>> 0;
}

/** Prefix length of a contiguous netmask; throws INVALID_ARGUMENT for a mask like 255.0.255.0. */
export function ipv4MaskToPrefixLength(mask: number, path = "mask"): number {
  checkInteger(path, mask, 0, IPV4_BROADCAST);
  const inverted = ~mask >>> 0;
  // A contiguous mask inverts to 2^k - 1: adding one leaves a single bit (or zero, for /0).
  if ((inverted & (inverted + 1)) !== 0) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${ipv4ToString(mask)} is not a contiguous netmask`, { path });
  }
  return Math.clz32(inverted);
}

/** True when `addr` lies in network/prefixLength (host bits of `network` are ignored). */
export function ipv4InPrefix(addr: number, network: number, prefixLength: number): boolean {
  const mask = prefixLength <= 0 ? 0 : prefixLength >= 32 ? IPV4_BROADCAST : (0xffff_ffff << (32 - prefixLength)) >>> 0;
  return ((addr ^ network) & mask) === 0;
}

/** The all-ones-host address of a prefix (e.g. 10.1.2.255 for 10.1.2.0/24). */
export function ipv4DirectedBroadcast(network: number, prefixLength: number): number {
  return (network | ~ipv4PrefixMask(prefixLength)) >>> 0;
}

export interface Ipv4Prefix {
  /** Network address with host bits cleared. */
  network: number;
  prefixLength: number;
}

/** Parses "10.0.0.0/8" (host bits are cleared); throws INVALID_ARGUMENT naming `path`. */
export function ipv4PrefixFromString(text: string, path = "prefix"): Ipv4Prefix {
  const parts = splitIpv4Prefix(text);
  if (parts === undefined) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `"${text}" is not an IPv4 prefix (like 10.0.0.0/8)`, { path });
  }
  const addr = ipv4FromString(parts.addressText, path);
  return { network: (addr & ipv4PrefixMask(parts.prefixLength)) >>> 0, prefixLength: parts.prefixLength };
}

export function ipv4PrefixToString(prefix: Ipv4Prefix): string {
  return `${ipv4ToString(prefix.network)}/${prefix.prefixLength}`;
}

// --- header view ---

export class Ipv4View extends ByteView {
  // Its own wrap(), not ByteView's: V8 keeps type feedback per function, so the one inherited
  // wrap() saw every view class and its stores went megamorphic on the per-packet path.
  override wrap(bytes: Uint8Array, offset: number, length: number): this {
    this.bytes = bytes;
    this.offset = offset;
    this.length = length;
    return this;
  }

  /**
   * Structural check for untrusted bytes: version, IHL, the header and the total length all fit.
   * The checksum is verified by parseIpv4Into (or verifyChecksum()).
   */
  checkLength(): Ipv4ParseError {
    if (this.length < IPV4_HEADER_LEN) return Ipv4ParseError.TRUNCATED;
    if (this.version !== IPV4_VERSION) return Ipv4ParseError.BAD_VERSION;
    const headerLength = this.headerLength;
    if (headerLength < IPV4_HEADER_LEN) return Ipv4ParseError.BAD_IHL;
    if (this.length < headerLength) return Ipv4ParseError.TRUNCATED;
    const total = this.totalLength;
    if (total < headerLength || total > this.length) return Ipv4ParseError.BAD_TOTAL_LENGTH;
    return Ipv4ParseError.OK;
  }

  get version(): number {
    return this.bytes[this.offset]! >>> 4;
  }
  /** Header length in bytes (IHL * 4). */
  get headerLength(): number {
    return (this.bytes[this.offset]! & 0x0f) * 4;
  }
  /** Writes version 4 and IHL = bytes / 4 (bytes: 20..60, a multiple of 4). */
  set headerLength(bytes: number) {
    this.bytes[this.offset] = (IPV4_VERSION << 4) | ((bytes >>> 2) & 0x0f);
  }
  /** The whole second byte: DSCP (6 bits) and ECN (2 bits). */
  get tos(): number {
    return this.bytes[this.offset + 1]!;
  }
  set tos(value: number) {
    this.bytes[this.offset + 1] = value;
  }
  get dscp(): number {
    return this.bytes[this.offset + 1]! >>> 2;
  }
  get ecn(): number {
    return this.bytes[this.offset + 1]! & 3;
  }
  get totalLength(): number {
    return readU16(this.bytes, this.offset + 2);
  }
  set totalLength(value: number) {
    writeU16(this.bytes, this.offset + 2, value);
  }
  get identification(): number {
    return readU16(this.bytes, this.offset + 4);
  }
  set identification(value: number) {
    writeU16(this.bytes, this.offset + 4, value);
  }
  /** Flags and fragment offset as one 16-bit word. */
  get fragmentWord(): number {
    return readU16(this.bytes, this.offset + 6);
  }
  set fragmentWord(value: number) {
    writeU16(this.bytes, this.offset + 6, value);
  }
  get dontFragment(): boolean {
    return (this.bytes[this.offset + 6]! & 0x40) !== 0;
  }
  set dontFragment(on: boolean) {
    const at = this.offset + 6;
    this.bytes[at] = on ? this.bytes[at]! | 0x40 : this.bytes[at]! & ~0x40;
  }
  get moreFragments(): boolean {
    return (this.bytes[this.offset + 6]! & 0x20) !== 0;
  }
  set moreFragments(on: boolean) {
    const at = this.offset + 6;
    this.bytes[at] = on ? this.bytes[at]! | 0x20 : this.bytes[at]! & ~0x20;
  }
  /** Fragment offset in bytes (the wire holds 8-byte units). */
  get fragmentOffset(): number {
    return (this.fragmentWord & IPV4_FRAG_OFFSET_MASK) * 8;
  }
  set fragmentOffset(bytes: number) {
    this.fragmentWord = (this.fragmentWord & ~IPV4_FRAG_OFFSET_MASK) | ((bytes >>> 3) & IPV4_FRAG_OFFSET_MASK);
  }
  /** True for any piece of a fragmented datagram (MF set or a non-zero offset). */
  get isFragment(): boolean {
    return (this.fragmentWord & (IPV4_FLAG_MF | IPV4_FRAG_OFFSET_MASK)) !== 0;
  }
  get ttl(): number {
    return this.bytes[this.offset + 8]!;
  }
  set ttl(value: number) {
    this.bytes[this.offset + 8] = value;
  }
  get protocol(): number {
    return this.bytes[this.offset + 9]!;
  }
  set protocol(value: number) {
    this.bytes[this.offset + 9] = value;
  }
  get checksum(): number {
    return readU16(this.bytes, this.offset + 10);
  }
  set checksum(value: number) {
    writeU16(this.bytes, this.offset + 10, value);
  }
  get src(): number {
    return readU32(this.bytes, this.offset + 12);
  }
  set src(addr: number) {
    writeU32(this.bytes, this.offset + 12, addr);
  }
  get dst(): number {
    return readU32(this.bytes, this.offset + 16);
  }
  set dst(addr: number) {
    writeU32(this.bytes, this.offset + 16, addr);
  }
  /** Absolute index in `bytes` where the payload starts (after any options). */
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }
  /** Payload bytes according to the header (total length minus header length). */
  get payloadLength(): number {
    return this.totalLength - this.headerLength;
  }

  /** Computes and writes the header checksum (over the IHL * 4 bytes, options included). */
  fillChecksum(): void {
    this.checksum = 0;
    this.checksum = inetChecksumRange(this.bytes, this.offset, this.headerLength);
  }

  /** True when the header (options included) sums to all ones. */
  verifyChecksum(): boolean {
    return inetSumRange(this.bytes, this.offset, this.headerLength) === 0xffff;
  }

  /**
   * Router forwarding step: TTL minus one with the checksum patched incrementally (RFC 1624), so
   * options are kept and not re-summed. Returns the new TTL; the caller drops at 0 (and sends
   * ICMP time exceeded). A TTL already 0 is left alone.
   */
  decrementTtl(): number {
    const ttl = this.ttl;
    if (ttl === 0) return 0;
    const oldWord = readU16(this.bytes, this.offset + 8);
    this.ttl = ttl - 1;
    this.checksum = updateInternetChecksum(this.checksum, oldWord, oldWord - 0x100);
    return ttl - 1;
  }
}

export interface Ipv4Repr {
  src: number;
  dst: number;
  protocol: number;
  /** Bytes after the header (total length minus header length). */
  payloadLength: number;
  ttl: number;
  /** DSCP and ECN byte. */
  tos: number;
  identification: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In bytes, a multiple of 8. */
  fragmentOffset: number;
}

/** A zeroed repr with every field present (one stable object shape for parseIpv4Into). */
export function createIpv4Repr(): Ipv4Repr {
  return {
    src: 0,
    dst: 0,
    protocol: 0,
    payloadLength: 0,
    ttl: IPV4_DEFAULT_TTL,
    tos: 0,
    identification: 0,
    dontFragment: false,
    moreFragments: false,
    fragmentOffset: 0,
  };
}

/**
 * Checks untrusted bytes and fills `repr` in place (no allocation). On an error `repr` is left
 * partly written and must not be used. verifyChecksum = false skips the checksum when the
 * caller knows the bytes are unchanged since they were checked (ARCHITECTURE 5).
 */
export function parseIpv4Into(view: Ipv4View, repr: Ipv4Repr, verifyChecksum = true): Ipv4ParseError {
  const status = view.checkLength();
  if (status !== Ipv4ParseError.OK) return status;
  if (verifyChecksum && !view.verifyChecksum()) return Ipv4ParseError.BAD_CHECKSUM;
  const word = view.fragmentWord;
  repr.src = view.src;
  repr.dst = view.dst;
  repr.protocol = view.protocol;
  repr.payloadLength = view.totalLength - view.headerLength;
  repr.ttl = view.ttl;
  repr.tos = view.tos;
  repr.identification = view.identification;
  repr.dontFragment = (word & IPV4_FLAG_DF) !== 0;
  repr.moreFragments = (word & IPV4_FLAG_MF) !== 0;
  repr.fragmentOffset = (word & IPV4_FRAG_OFFSET_MASK) * 8;
  return Ipv4ParseError.OK;
}

/** parseIpv4Into into a new repr: the repr, or the error code (a number). */
export function parseIpv4(view: Ipv4View, verifyChecksum = true): Ipv4Repr | Ipv4ParseError {
  const repr = createIpv4Repr();
  const status = parseIpv4Into(view, repr, verifyChecksum);
  return status === Ipv4ParseError.OK ? repr : status;
}

/** Length of the header emitIpv4() writes (no options are emitted). */
export function ipv4HeaderLength(_repr?: Ipv4Repr): number {
  return IPV4_HEADER_LEN;
}

/**
 * Writes the 20-byte header of `repr` at the start of the view (which must hold it), checksum
 * included. The payload is not touched: it belongs at view.offset + 20.
 */
export function emitIpv4(repr: Ipv4Repr, view: Ipv4View): void {
  const b = view.bytes;
  const o = view.offset;
  b[o] = (IPV4_VERSION << 4) | (IPV4_HEADER_LEN >>> 2);
  b[o + 1] = repr.tos;
  writeU16(b, o + 2, IPV4_HEADER_LEN + repr.payloadLength);
  writeU16(b, o + 4, repr.identification);
  writeU16(
    b,
    o + 6,
    (repr.dontFragment ? IPV4_FLAG_DF : 0) |
      (repr.moreFragments ? IPV4_FLAG_MF : 0) |
      ((repr.fragmentOffset >>> 3) & IPV4_FRAG_OFFSET_MASK),
  );
  b[o + 8] = repr.ttl;
  b[o + 9] = repr.protocol;
  b[o + 10] = 0;
  b[o + 11] = 0;
  writeU32(b, o + 12, repr.src);
  writeU32(b, o + 16, repr.dst);
  writeU16(b, o + 10, inetChecksumRange(b, o, IPV4_HEADER_LEN));
}
