// ARP packets (RFC 826) for IPv4 over Ethernet: the 28-byte request/reply.
//
// Contract:
// - ArpView is a thin, reusable view over bytes at (buffer, offset, length): getters and setters
//   only, no allocation; wrap() re-points it. checkLength() is the checked entry for untrusted
//   bytes and returns an ArpParseError (OK = 0): only hardware type Ethernet (1, length 6) with
//   protocol type IPv4 (0x0800, length 4) and operation request or reply are accepted, because
//   the field offsets (on ArpView) hold only for those lengths.
// - parseArpInto() fills a caller-owned repr without allocation and never throws.
// - MAC addresses are 48-bit numbers (see ethernet.ts), IPv4 addresses 32-bit numbers.
// - Bytes after the 28 (Ethernet minimum-size padding) are ignored.
// - Not handled: RARP, InARP, other hardware or protocol types; the cache (a host concern).

import { ETHERTYPE_IPV4, readMac, writeMac } from "./ethernet.js";
import { readU16, readU32, writeU16, writeU32 } from "./ipv4.js";
import { ByteView } from "./byte-view.js";

export const ARP_LEN = 28;
export const ARP_HTYPE_ETHERNET = 1;
export const ARP_PTYPE_IPV4 = ETHERTYPE_IPV4;
export const ARP_HLEN_ETHERNET = 6;
export const ARP_PLEN_IPV4 = 4;
export const ARP_OP_REQUEST = 1;
export const ARP_OP_REPLY = 2;

/** Why an ARP packet was refused (0 = accepted). Stable numbers: callers index drop counters by them. */
export const ArpParseError = {
  OK: 0,
  TRUNCATED: 1,
  /** Hardware type is not Ethernet, or its length is not 6. */
  BAD_HARDWARE: 2,
  /** Protocol type is not IPv4, or its length is not 4. */
  BAD_PROTOCOL: 3,
  /** Operation is neither request nor reply. */
  BAD_OPERATION: 4,
} as const;
export type ArpParseError = (typeof ArpParseError)[keyof typeof ArpParseError];

/**
 *    0                   1                   2                   3
 *   +-------------------------------+-------------------------------+
 *   |     Hardware type (1)         |     Protocol type (0x0800)    |  0
 *   +---------------+---------------+-------------------------------+
 *   | HW len (6)    | Proto len (4) |     Operation (1 req, 2 rep)  |  4
 *   +---------------+---------------+-------------------------------+
 *   |            Sender hardware address (6 bytes)                  |  8
 *   +                               +-------------------------------+
 *   |                               |  Sender protocol address (4)  | 14
 *   +-------------------------------+-------------------------------+
 *   |            Target hardware address (6 bytes)                  | 18
 *   +                               +-------------------------------+
 *   |                               |  Target protocol address (4)  | 24
 *   +-------------------------------+-------------------------------+  28
 */
export class ArpView extends ByteView {
  /** Checks untrusted bytes: 28 bytes of Ethernet/IPv4 ARP with a known operation. */
  checkLength(): ArpParseError {
    if (this.length < ARP_LEN) return ArpParseError.TRUNCATED;
    if (this.hardwareType !== ARP_HTYPE_ETHERNET || this.hardwareLength !== ARP_HLEN_ETHERNET) {
      return ArpParseError.BAD_HARDWARE;
    }
    if (this.protocolType !== ARP_PTYPE_IPV4 || this.protocolLength !== ARP_PLEN_IPV4)
      return ArpParseError.BAD_PROTOCOL;
    const op = this.operation;
    if (op !== ARP_OP_REQUEST && op !== ARP_OP_REPLY) return ArpParseError.BAD_OPERATION;
    return ArpParseError.OK;
  }

  get hardwareType(): number {
    return readU16(this.bytes, this.offset);
  }
  set hardwareType(value: number) {
    writeU16(this.bytes, this.offset, value);
  }
  get protocolType(): number {
    return readU16(this.bytes, this.offset + 2);
  }
  set protocolType(value: number) {
    writeU16(this.bytes, this.offset + 2, value);
  }
  get hardwareLength(): number {
    return this.bytes[this.offset + 4]!;
  }
  set hardwareLength(value: number) {
    this.bytes[this.offset + 4] = value;
  }
  get protocolLength(): number {
    return this.bytes[this.offset + 5]!;
  }
  set protocolLength(value: number) {
    this.bytes[this.offset + 5] = value;
  }
  get operation(): number {
    return readU16(this.bytes, this.offset + 6);
  }
  set operation(value: number) {
    writeU16(this.bytes, this.offset + 6, value);
  }
  get senderMac(): number {
    return readMac(this.bytes, this.offset + 8);
  }
  set senderMac(mac: number) {
    writeMac(this.bytes, this.offset + 8, mac);
  }
  get senderIp(): number {
    return readU32(this.bytes, this.offset + 14);
  }
  set senderIp(addr: number) {
    writeU32(this.bytes, this.offset + 14, addr);
  }
  get targetMac(): number {
    return readMac(this.bytes, this.offset + 18);
  }
  set targetMac(mac: number) {
    writeMac(this.bytes, this.offset + 18, mac);
  }
  get targetIp(): number {
    return readU32(this.bytes, this.offset + 24);
  }
  set targetIp(addr: number) {
    writeU32(this.bytes, this.offset + 24, addr);
  }
}

export interface ArpRepr {
  /** ARP_OP_REQUEST or ARP_OP_REPLY. */
  operation: number;
  senderMac: number;
  senderIp: number;
  /** 0 in a request (the address being asked for is unknown). */
  targetMac: number;
  targetIp: number;
}

export function createArpRepr(): ArpRepr {
  return { operation: ARP_OP_REQUEST, senderMac: 0, senderIp: 0, targetMac: 0, targetIp: 0 };
}

/** Checks untrusted bytes and fills `repr` in place (no allocation). */
export function parseArpInto(view: ArpView, repr: ArpRepr): ArpParseError {
  const status = view.checkLength();
  if (status !== ArpParseError.OK) return status;
  repr.operation = view.operation;
  repr.senderMac = view.senderMac;
  repr.senderIp = view.senderIp;
  repr.targetMac = view.targetMac;
  repr.targetIp = view.targetIp;
  return ArpParseError.OK;
}

/** parseArpInto into a new repr: the repr, or the error code (a number). */
export function parseArp(view: ArpView): ArpRepr | ArpParseError {
  const repr = createArpRepr();
  const status = parseArpInto(view, repr);
  return status === ArpParseError.OK ? repr : status;
}

/** Writes the 28 bytes of `repr` at the start of the view (which must hold them). */
export function emitArp(repr: ArpRepr, view: ArpView): void {
  const b = view.bytes;
  const o = view.offset;
  writeU16(b, o, ARP_HTYPE_ETHERNET);
  writeU16(b, o + 2, ARP_PTYPE_IPV4);
  b[o + 4] = ARP_HLEN_ETHERNET;
  b[o + 5] = ARP_PLEN_IPV4;
  writeU16(b, o + 6, repr.operation);
  writeMac(b, o + 8, repr.senderMac);
  writeU32(b, o + 14, repr.senderIp);
  writeMac(b, o + 18, repr.targetMac);
  writeU32(b, o + 24, repr.targetIp);
}

/** The reply to a request `request` from the host owning (mac, request.targetIp). */
export function arpReplyTo(request: ArpRepr, mac: number): ArpRepr {
  return {
    operation: ARP_OP_REPLY,
    senderMac: mac,
    senderIp: request.targetIp,
    targetMac: request.senderMac,
    targetIp: request.senderIp,
  };
}
