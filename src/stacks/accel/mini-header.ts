// Wire format of the Horus protocol accelerator (Birman ch. 18.7; van Renesse, "Masking the
// overhead of protocol layering", SIGCOMM 1996): the 64-bit mini-header, the connection
// identification it may announce, and the packed accelerated header that replaces the layers'
// headers. One frame (after a 14-byte Ethernet II header, EtherType 0x88B6, or as the whole
// AAL5 PDU on ATM), big-endian throughout:
//
//   0       8      16      24      32      40      48      56      64
//   +-+-+-----------------------------------------------------------+
//   |C|L|                   connection cookie (62 bits)             |   mini-header (8)
//   +-+-+-----------------------------------------------------------+
//   C = the connection identification (24 bytes, ConnIdRepr) follows; L = little-endian fields
//   (never emitted: such frames are dropped, counted badByteOrder).
//   accelerated header (16):
//     0: u8 kind        protocol  DATA 1 (one message), PACKED 2 (count messages), GOSSIP 3,
//                                  NAK 4 (count messages from seq are missing)
//     1: u8 flags       protocol  0x01 RETX (a retransmission)
//     2: u16 count      message   messages in the frame (NAK: missing)
//     4: u32 seq        protocol  sequence number of the first message (NAK: first missing)
//     8: u32 ack        gossip    every message of the receiver's stream below ack was delivered
//                                 (NAK's cumulative ack, FC's consumed count, TOTAL's order)
//    12: u16 length     message   bytes after this header
//    14: u16 checksum   message   RFC 1071 over this header and the bytes after it
//   body: DATA the message; PACKED count x (u16 length, bytes); GOSSIP and NAK nothing.
// Contract: emit* write without checking (the caller sized the frame); parse* check lengths and
// values and return null (or a negative code) for bytes that are not a valid header, never throw.

import { getU16, getU32, putU16, putU32 } from "../layered/layer.js";

export const MINI_HEADER_LEN = 8;
export const CONN_ID_LEN = 24;
export const ACCEL_HEADER_LEN = 16;
export const ACCEL_ETHERTYPE = 0x88b6;
export const CONN_ID_VERSION = 1;
export const MINI_CONN = 0x80;
export const MINI_LITTLE_ENDIAN = 0x40;
/** The cookie's high word has 30 bits. */
export const COOKIE_HI_MASK = 0x3fff_ffff;

export const AccelKind = { DATA: 1, PACKED: 2, GOSSIP: 3, NAK: 4 } as const;
export const ACCEL_RETX = 0x01;
export const AccelLink = { ETHERNET: 1, ATM: 2 } as const;
/** Per message inside a PACKED body. */
export const PACKED_ITEM_HEADER = 2;

export interface MiniHeaderRepr {
  conn: boolean;
  littleEndian: boolean;
  /** Cookie bits 61..32. */
  cookieHi: number;
  /** Cookie bits 31..0. */
  cookieLo: number;
}

export function emitMiniHeader(u8: Uint8Array, at: number, conn: boolean, cookieHi: number, cookieLo: number): void {
  putU32(u8, at, ((conn ? MINI_CONN << 24 : 0) | (cookieHi & COOKIE_HI_MASK)) >>> 0);
  putU32(u8, at + 4, cookieLo >>> 0);
}

export function parseMiniHeader(u8: Uint8Array, at: number, available: number): MiniHeaderRepr | null {
  if (available < MINI_HEADER_LEN) return null;
  const b0 = u8[at]!;
  return {
    conn: (b0 & MINI_CONN) !== 0,
    littleEndian: (b0 & MINI_LITTLE_ENDIAN) !== 0,
    cookieHi: getU32(u8, at) & COOKIE_HI_MASK,
    cookieLo: getU32(u8, at + 4),
  };
}

/**
 * The connection identification (24 bytes), the connection class of fields:
 *   0: u8 version (1)   1: u8 source rank   2: u8 destination rank   3: u8 members
 *   4: u32 stack signature (FNV-1a of the layer list and the options that change the protocol)
 *   8: u8 link (1 Ethernet, 2 ATM)   9: u8 0   10: 6 bytes source address (MAC, or on ATM
 *   0, 0, u16 VPI, u16 VCI of the sender's circuit)   16: 6 bytes destination address (MAC, or
 *   zeros on ATM)   22: u16 0
 */
export interface ConnIdRepr {
  version: number;
  src: number;
  dst: number;
  members: number;
  signature: number;
  link: number;
  /** 6 bytes each. */
  srcAddress: Uint8Array;
  dstAddress: Uint8Array;
}

export function emitConnId(u8: Uint8Array, at: number, c: ConnIdRepr): void {
  u8[at] = c.version;
  u8[at + 1] = c.src;
  u8[at + 2] = c.dst;
  u8[at + 3] = c.members;
  putU32(u8, at + 4, c.signature >>> 0);
  u8[at + 8] = c.link;
  u8[at + 9] = 0;
  u8.set(c.srcAddress.subarray(0, 6), at + 10);
  u8.set(c.dstAddress.subarray(0, 6), at + 16);
  putU16(u8, at + 22, 0);
}

export function parseConnId(u8: Uint8Array, at: number, available: number): ConnIdRepr | null {
  if (available < CONN_ID_LEN) return null;
  if (u8[at] !== CONN_ID_VERSION) return null;
  const link = u8[at + 8]!;
  if (link !== AccelLink.ETHERNET && link !== AccelLink.ATM) return null;
  return {
    version: u8[at]!,
    src: u8[at + 1]!,
    dst: u8[at + 2]!,
    members: u8[at + 3]!,
    signature: getU32(u8, at + 4),
    link,
    srcAddress: u8.slice(at + 10, at + 16),
    dstAddress: u8.slice(at + 16, at + 22),
  };
}

export interface AccelHeaderRepr {
  kind: number;
  flags: number;
  count: number;
  seq: number;
  ack: number;
  length: number;
  checksum: number;
}

export function emitAccelHeader(u8: Uint8Array, at: number, h: AccelHeaderRepr): void {
  u8[at] = h.kind;
  u8[at + 1] = h.flags;
  putU16(u8, at + 2, h.count);
  putU32(u8, at + 4, h.seq >>> 0);
  putU32(u8, at + 8, h.ack >>> 0);
  putU16(u8, at + 12, h.length);
  putU16(u8, at + 14, h.checksum);
}

/**
 * The accelerated header at `at` when it is well formed for `available` bytes (kind known,
 * length = the bytes after it, or at most those when not `exact`: Ethernet pads short frames;
 * counts consistent with the kind); null otherwise. The checksum is read, not verified (the
 * caller runs the kernel over the bytes and charges it).
 */
export function parseAccelHeader(u8: Uint8Array, at: number, available: number, exact = true): AccelHeaderRepr | null {
  if (available < ACCEL_HEADER_LEN) return null;
  const h: AccelHeaderRepr = {
    kind: u8[at]!,
    flags: u8[at + 1]!,
    count: getU16(u8, at + 2),
    seq: getU32(u8, at + 4),
    ack: getU32(u8, at + 8),
    length: getU16(u8, at + 12),
    checksum: getU16(u8, at + 14),
  };
  if (exact ? h.length !== available - ACCEL_HEADER_LEN : h.length > available - ACCEL_HEADER_LEN) return null;
  if ((h.flags & ~ACCEL_RETX) !== 0) return null;
  switch (h.kind) {
    case AccelKind.DATA:
      return h.count === 1 ? h : null;
    case AccelKind.PACKED:
      return h.count >= 1 && packedBodyOk(u8, at + ACCEL_HEADER_LEN, h.length, h.count) ? h : null;
    case AccelKind.GOSSIP:
      return h.count === 0 && h.length === 0 ? h : null;
    case AccelKind.NAK:
      return h.count >= 1 && h.length === 0 ? h : null;
    default:
      return null;
  }
}

/** True when `count` (u16 length, bytes) items fill exactly `length` bytes at `at`. */
export function packedBodyOk(u8: Uint8Array, at: number, length: number, count: number): boolean {
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + PACKED_ITEM_HEADER > length) return false;
    p += PACKED_ITEM_HEADER + getU16(u8, at + p);
  }
  return p === length;
}

/** FNV-1a 32 over a string (the stack signature of the connection identification). */
export function stackSignature(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
