// Ethernet II frames (IEEE 802.3 clause 3 framing with an EtherType), with optional 802.1Q tag.
//
// Contract:
// - EthernetView is a thin, reusable view over bytes at (buffer, offset, length): getters and
//   setters only, no copies, no allocation; wrap() re-points it, so one view serves a whole run.
//   checkLength() is the checked entry for untrusted bytes; accessors do not re-check.
// - EthernetRepr is the parsed value: parseEthernet() reads a checked view, emitEthernet()
//   writes the header into a view and never re-checks what parse already guarantees.
// - MAC addresses are numbers (48-bit integers, exact in a double): comparisons and table keys
//   without allocation. macFromString/macToString convert for people.
// - The FCS (CRC-32, reflected) follows the payload and padding, least significant byte first
//   on the wire (IEEE 802.3 clause 3.2.9); frames shorter than 60 bytes before the FCS are
//   padded with zeros to the 64-byte minimum.
//
//   0      6      12         14 (or 18 with an 802.1Q tag)
//   | dst  | src  | type/TPID | [TCI | type] | payload ... pad | FCS (4) |

import { ErrorCode, NetloomError } from "../base/errors.js";
import { macFromText, macToText as macToString } from "../base/mac-text.js";
import { ByteView } from "./byte-view.js";

export const ETH_ADDR_LEN = 6;
export const ETH_HEADER_LEN = 14;
export const ETH_VLAN_HEADER_LEN = 18;
export const ETH_FCS_LEN = 4;
/** Smallest frame on the wire, FCS included. */
export const ETH_MIN_FRAME = 64;
/** Largest untagged frame on the wire, FCS included (1500-byte payload). */
export const ETH_MAX_FRAME = 1518;
export const ETH_MTU = 1500;
/** Preamble (7) + start frame delimiter (1): sent before every frame. */
export const ETH_PREAMBLE_LEN = 8;
/** Minimum inter-frame gap, in bit times (96 bits = 12 byte times). */
export const ETH_IFG_BITS = 96;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;

export const MAC_BROADCAST = 0xffff_ffff_ffff;
const TWO_32 = 0x1_0000_0000;

/** True for group (multicast and broadcast) addresses: the I/G bit, lowest bit of octet 0. */
export function isGroupMac(mac: number): boolean {
  return Math.floor(mac / 0x100_0000_0000) % 2 === 1;
}

/** Parses "02:00:00:00:00:01" (or with "-"); throws NetloomError INVALID_ARGUMENT naming `path`. */
export function macFromString(text: string, path = "mac"): number {
  const mac = macFromText(text);
  if (mac === undefined) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `"${text}" is not a MAC address (like 02:00:00:00:00:01)`, {
      path,
    });
  }
  return mac;
}

/** Lower-case, colon-separated text of an address (src/base/mac-text.ts). */
export { macToString };

/** Reads a MAC address at `offset` as a 48-bit number. */
export function readMac(bytes: Uint8Array, offset: number): number {
  const hi = (bytes[offset]! << 8) | bytes[offset + 1]!;
  const lo =
    ((bytes[offset + 2]! << 24) | (bytes[offset + 3]! << 16) | (bytes[offset + 4]! << 8) | bytes[offset + 5]!) >>> 0;
  return hi * TWO_32 + lo;
}

export function writeMac(bytes: Uint8Array, offset: number, mac: number): void {
  const hi = Math.floor(mac / TWO_32);
  const lo = mac >>> 0;
  bytes[offset] = hi >>> 8;
  bytes[offset + 1] = hi;
  bytes[offset + 2] = lo >>> 24;
  bytes[offset + 3] = lo >>> 16;
  bytes[offset + 4] = lo >>> 8;
  bytes[offset + 5] = lo;
}

/** Frame length on the wire (FCS included) for a payload, with minimum-size padding. */
export function ethFrameLength(payloadLength: number, tagged = false): number {
  const header = tagged ? ETH_VLAN_HEADER_LEN : ETH_HEADER_LEN;
  return Math.max(ETH_MIN_FRAME, header + payloadLength + ETH_FCS_LEN);
}

/** Bits a frame occupies on the medium: preamble + SFD, the frame, and the inter-frame gap. */
export function ethWireBits(frameLength: number): number {
  return (ETH_PREAMBLE_LEN + frameLength) * 8 + ETH_IFG_BITS;
}

export class EthernetView extends ByteView {
  // Its own wrap(), not ByteView's: V8 keeps type feedback per function, so the one inherited
  // wrap() saw every view class and its stores went megamorphic on the per-packet path.
  override wrap(bytes: Uint8Array, offset: number, length: number): this {
    this.bytes = bytes;
    this.offset = offset;
    this.length = length;
    return this;
  }

  /** True when the bytes hold a whole header (tag included when the TPID says there is one). */
  checkLength(): boolean {
    if (this.length < ETH_HEADER_LEN) return false;
    return !this.tagged || this.length >= ETH_VLAN_HEADER_LEN;
  }

  get dst(): number {
    return readMac(this.bytes, this.offset);
  }
  set dst(mac: number) {
    writeMac(this.bytes, this.offset, mac);
  }
  get src(): number {
    return readMac(this.bytes, this.offset + 6);
  }
  set src(mac: number) {
    writeMac(this.bytes, this.offset + 6, mac);
  }
  /** The type field at offset 12 (the TPID 0x8100 when tagged). */
  get outerType(): number {
    return (this.bytes[this.offset + 12]! << 8) | this.bytes[this.offset + 13]!;
  }
  get tagged(): boolean {
    return this.outerType === ETHERTYPE_VLAN;
  }
  /** The EtherType of the payload (after the 802.1Q tag when there is one). */
  get etherType(): number {
    const at = this.offset + (this.tagged ? 16 : 12);
    return (this.bytes[at]! << 8) | this.bytes[at + 1]!;
  }
  /** 802.1Q VLAN id (0 when untagged). */
  get vlanId(): number {
    return this.tagged ? ((this.bytes[this.offset + 14]! << 8) | this.bytes[this.offset + 15]!) & 0x0fff : 0;
  }
  /** 802.1Q priority code point (0 when untagged). */
  get priority(): number {
    return this.tagged ? this.bytes[this.offset + 14]! >>> 5 : 0;
  }
  get headerLength(): number {
    return this.tagged ? ETH_VLAN_HEADER_LEN : ETH_HEADER_LEN;
  }
}

export interface EthernetRepr {
  dst: number;
  src: number;
  etherType: number;
  /** 802.1Q tag, when present. */
  vlan?: { id: number; priority: number; dropEligible: boolean };
}

/** Parses a view that passed checkLength(). */
export function parseEthernet(view: EthernetView): EthernetRepr {
  const repr: EthernetRepr = { dst: view.dst, src: view.src, etherType: view.etherType };
  if (view.tagged) {
    const tci = (view.bytes[view.offset + 14]! << 8) | view.bytes[view.offset + 15]!;
    repr.vlan = { id: tci & 0x0fff, priority: tci >>> 13, dropEligible: (tci & 0x1000) !== 0 };
  }
  return repr;
}

/** Length of the header emitEthernet() writes for a repr. */
export function ethernetHeaderLength(repr: EthernetRepr): number {
  return repr.vlan ? ETH_VLAN_HEADER_LEN : ETH_HEADER_LEN;
}

/** Writes the header of `repr` at the start of the view (which must hold it). */
export function emitEthernet(repr: EthernetRepr, view: EthernetView): void {
  const b = view.bytes;
  const o = view.offset;
  writeMac(b, o, repr.dst);
  writeMac(b, o + 6, repr.src);
  let at = o + 12;
  if (repr.vlan) {
    b[at] = ETHERTYPE_VLAN >>> 8;
    b[at + 1] = ETHERTYPE_VLAN & 0xff;
    const tci = ((repr.vlan.priority & 7) << 13) | (repr.vlan.dropEligible ? 0x1000 : 0) | (repr.vlan.id & 0x0fff);
    b[at + 2] = tci >>> 8;
    b[at + 3] = tci & 0xff;
    at += 4;
  }
  b[at] = repr.etherType >>> 8;
  b[at + 1] = repr.etherType & 0xff;
}
