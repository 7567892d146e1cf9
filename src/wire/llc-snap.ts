// LLC/SNAP encapsulation of routed protocols over AAL5 (RFC 2684 section 5.1, was RFC 1483).
//
// Contract:
// - LlcSnapView is a thin, reusable view over bytes at (buffer, offset, length): getters and
//   setters only, no copies, no allocation; wrap() re-points it. checkLength() is the checked
//   entry for untrusted bytes; accessors do not re-check.
// - LlcSnapRepr is the parsed value. parseLlcSnap() reads a checked view and returns undefined
//   (never throws: it runs on the receive path) when the header is not a routed non-ISO PDU
//   (LLC AA-AA-03, OUI 00-00-00); emitLlcSnap() writes the 8 header bytes and never re-checks.
// - Only routed non-ISO PDUs are handled: IPv4 (EtherType 0x0800) and ARP (0x0806) among
//   them (the EtherType constants live in ./ethernet.ts). Not handled: bridged PDUs (OUI
//   00-80-C2), routed ISO PDUs (LLC FE-FE-03 + NLPID) and VC multiplexing (no header at all),
//   which a NIC configures per circuit instead.
//
//   0      1      2        3                  6              8
//   | DSAP | SSAP | control |  OUI (3 bytes)  |  EtherType   |  payload (e.g. IPv4) ...
//   | 0xAA | 0xAA |  0x03   |   00 00 00      |  08 00       |
//
//   LlcSnapView                  view with dsap/ssap/control/oui/etherType accessors
//   llcSnapEtherType(u8, off, len)  EtherType of a routed LLC/SNAP header, or -1 (no view needed)
//   parseLlcSnap(view) / emitLlcSnap(repr, view)

import { ByteView } from "./byte-view.js";

export const LLC_SNAP_HEADER_LEN = 8;
/** DSAP/SSAP value announcing a SNAP header. */
export const LLC_SAP_SNAP = 0xaa;
/** LLC control field: Unnumbered Information. */
export const LLC_CONTROL_UI = 0x03;
/** SNAP OUI 00-00-00: the protocol id that follows is an EtherType. */
export const SNAP_OUI_ETHERTYPE = 0x000000;

export class LlcSnapView extends ByteView {
  /** True when the bytes hold a whole 8-byte LLC/SNAP header. */
  checkLength(): boolean {
    return this.length >= LLC_SNAP_HEADER_LEN;
  }

  get dsap(): number {
    return this.bytes[this.offset]!;
  }
  set dsap(value: number) {
    this.bytes[this.offset] = value;
  }
  get ssap(): number {
    return this.bytes[this.offset + 1]!;
  }
  set ssap(value: number) {
    this.bytes[this.offset + 1] = value;
  }
  get control(): number {
    return this.bytes[this.offset + 2]!;
  }
  set control(value: number) {
    this.bytes[this.offset + 2] = value;
  }
  /** SNAP organizationally unique identifier (24 bits). */
  get oui(): number {
    const b = this.bytes;
    const o = this.offset;
    return (b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!;
  }
  set oui(value: number) {
    const b = this.bytes;
    const o = this.offset;
    b[o + 3] = value >>> 16;
    b[o + 4] = value >>> 8;
    b[o + 5] = value;
  }
  /** SNAP protocol id: an EtherType when the OUI is 00-00-00. */
  get etherType(): number {
    return (this.bytes[this.offset + 6]! << 8) | this.bytes[this.offset + 7]!;
  }
  set etherType(value: number) {
    this.bytes[this.offset + 6] = value >>> 8;
    this.bytes[this.offset + 7] = value;
  }
  /** True for AA-AA-03 00-00-00: a routed non-ISO PDU whose type is an EtherType. */
  get isRouted(): boolean {
    return (
      this.dsap === LLC_SAP_SNAP &&
      this.ssap === LLC_SAP_SNAP &&
      this.control === LLC_CONTROL_UI &&
      this.oui === SNAP_OUI_ETHERTYPE
    );
  }
  get headerLength(): number {
    return LLC_SNAP_HEADER_LEN;
  }
  /** Offset of the payload in `bytes`. */
  get payloadOffset(): number {
    return this.offset + LLC_SNAP_HEADER_LEN;
  }
}

/**
 * The EtherType of a routed LLC/SNAP header at [offset, offset + length) of u8, or -1 when the
 * bytes are too short or are not AA-AA-03 00-00-00: the receive path's demultiplexing test.
 */
export function llcSnapEtherType(u8: Uint8Array, offset: number, length: number): number {
  if (length < LLC_SNAP_HEADER_LEN || offset < 0 || offset + LLC_SNAP_HEADER_LEN > u8.length) return -1;
  if (u8[offset] !== LLC_SAP_SNAP || u8[offset + 1] !== LLC_SAP_SNAP || u8[offset + 2] !== LLC_CONTROL_UI) return -1;
  if (u8[offset + 3] !== 0 || u8[offset + 4] !== 0 || u8[offset + 5] !== 0) return -1;
  return (u8[offset + 6]! << 8) | u8[offset + 7]!;
}

export interface LlcSnapRepr {
  /** EtherType of the payload (ETHERTYPE_IPV4, ETHERTYPE_ARP, ...). */
  etherType: number;
}

/** Parses a view that passed checkLength(); undefined when it is not a routed LLC/SNAP header. */
export function parseLlcSnap(view: LlcSnapView): LlcSnapRepr | undefined {
  return view.isRouted ? { etherType: view.etherType } : undefined;
}

/** Length of the header emitLlcSnap() writes. */
export function llcSnapHeaderLength(_repr?: LlcSnapRepr): number {
  return LLC_SNAP_HEADER_LEN;
}

/** Writes AA-AA-03 00-00-00 and the EtherType at the start of the view (which must hold 8 bytes). */
export function emitLlcSnap(repr: LlcSnapRepr, view: LlcSnapView): void {
  writeLlcSnap(view.bytes, view.offset, repr.etherType);
}

/**
 * Writes a routed LLC/SNAP header (AA-AA-03 00-00-00, EtherType) at u8[offset, offset + 8): the
 * hot paths' form, with no view or repr, for headers pushed into a frame's headroom.
 */
export function writeLlcSnap(u8: Uint8Array, offset: number, etherType: number): void {
  u8[offset] = LLC_SAP_SNAP;
  u8[offset + 1] = LLC_SAP_SNAP;
  u8[offset + 2] = LLC_CONTROL_UI;
  u8[offset + 3] = 0;
  u8[offset + 4] = 0;
  u8[offset + 5] = 0;
  u8[offset + 6] = etherType >>> 8;
  u8[offset + 7] = etherType & 0xff;
}
