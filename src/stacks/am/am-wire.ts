// Active Messages header (von Eicken et al.; Birman ch. 8.3): the handler to run at the
// receiver and up to four argument words, in front of the message's payload.
//
// Contract:
// - Layout, big-endian, 4 + 4 * nargs bytes:
//
//     0        8        16       24       32
//     +--------+--------+--------+--------+
//     |ver |knd| handler| nargs  |   0    |   ver = 1 (high nibble); knd (low nibble):
//     +--------+--------+--------+--------+   0 request, 1 reply; handler: 0 .. 255 (0 = the
//     |         arg 0 (u32)               |   default handler); nargs: 0 .. 4; byte 3 = 0
//     +--------+--------+--------+--------+
//     |         ... arg nargs-1           |
//     +--------+--------+--------+--------+
//     |  payload (message length - header) ...
//
//   The payload length is what the carrier says (AAL5 PDU length on ATM; the U-Net header's
//   length on Ethernet), so the header does not repeat it.
// - AmHeaderView is a reusable view (wrap()); checkLength() is the checked entry for untrusted
//   bytes, returning an AmParseError (OK = 0). parseAmHeaderInto() fills a caller-owned repr
//   (args into a caller-owned Uint32Array) without allocating or throwing; emitAmHeader()
//   writes the header at view.offset, in front of a payload already in place.
// Not handled: bulk transfer headers (store/get into a remote segment): a message is one
// PDU/frame.

import { ByteView, readU32, writeU32 } from "../../wire/byte-view.js";

export const AM_VERSION = 1;
export const AM_KIND_REQUEST = 0;
export const AM_KIND_REPLY = 1;
export const AM_MAX_ARGS = 4;
export const AM_HEADER_MIN = 4;
export const AM_HEADER_MAX = AM_HEADER_MIN + 4 * AM_MAX_ARGS;
/**
 * EtherType of Active Messages frames on Ethernet: U-Net's (IEEE 802 local experimental 2),
 * since AM frames are U-Net frames (the U-Net header and its channel tag come first). 0x88B7
 * would be the OUI-extended EtherType, which analysers dissect as such.
 */
export const AM_ETHERTYPE = 0x88b6;

export const AmParseError = {
  OK: 0,
  TRUNCATED: 1,
  BAD_VERSION: 2,
  BAD_KIND: 3,
  BAD_NARGS: 4,
} as const;
export type AmParseError = (typeof AmParseError)[keyof typeof AmParseError];

/** Header bytes for `nargs` argument words. */
export function amHeaderLength(nargs: number): number {
  return AM_HEADER_MIN + 4 * nargs;
}

export class AmHeaderView extends ByteView {
  /** Structural check for untrusted bytes (the whole message). */
  checkLength(): AmParseError {
    if (this.length < AM_HEADER_MIN) return AmParseError.TRUNCATED;
    if (this.version !== AM_VERSION) return AmParseError.BAD_VERSION;
    if (this.kind > AM_KIND_REPLY) return AmParseError.BAD_KIND;
    if (this.nargs > AM_MAX_ARGS) return AmParseError.BAD_NARGS;
    if (amHeaderLength(this.nargs) > this.length) return AmParseError.TRUNCATED;
    return AmParseError.OK;
  }

  get version(): number {
    return this.bytes[this.offset]! >>> 4;
  }
  get kind(): number {
    return this.bytes[this.offset]! & 0x0f;
  }
  get handler(): number {
    return this.bytes[this.offset + 1]!;
  }
  get nargs(): number {
    return this.bytes[this.offset + 2]!;
  }
  arg(i: number): number {
    return readU32(this.bytes, this.offset + AM_HEADER_MIN + 4 * i);
  }
  get headerLength(): number {
    return amHeaderLength(this.nargs);
  }
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }
  get payloadLength(): number {
    return this.length - this.headerLength;
  }
}

export interface AmHeaderRepr {
  kind: number;
  handler: number;
  nargs: number;
  /** Argument words (first nargs used): the caller's array, AM_MAX_ARGS long. */
  args: Uint32Array;
  payloadLength: number;
}

export function createAmHeaderRepr(): AmHeaderRepr {
  return { kind: AM_KIND_REQUEST, handler: 0, nargs: 0, args: new Uint32Array(AM_MAX_ARGS), payloadLength: 0 };
}

/** Checks untrusted bytes and fills `repr` in place (no allocation, never throws). */
export function parseAmHeaderInto(view: AmHeaderView, repr: AmHeaderRepr): AmParseError {
  const status = view.checkLength();
  if (status !== AmParseError.OK) return status;
  repr.kind = view.kind;
  repr.handler = view.handler;
  repr.nargs = view.nargs;
  for (let i = 0; i < repr.nargs; i++) repr.args[i] = view.arg(i);
  repr.payloadLength = view.payloadLength;
  return AmParseError.OK;
}

/** parseAmHeaderInto into a new repr: the repr, or the error code. */
export function parseAmHeader(view: AmHeaderView): AmHeaderRepr | AmParseError {
  const repr = createAmHeaderRepr();
  const status = parseAmHeaderInto(view, repr);
  return status === AmParseError.OK ? repr : status;
}

/** Writes the header of `repr` at view.offset (its payload follows at view.offset + length). */
export function emitAmHeader(repr: AmHeaderRepr, view: AmHeaderView): void {
  const b = view.bytes;
  const o = view.offset;
  b[o] = (AM_VERSION << 4) | (repr.kind & 0x0f);
  b[o + 1] = repr.handler;
  b[o + 2] = repr.nargs;
  b[o + 3] = 0;
  for (let i = 0; i < repr.nargs; i++) writeU32(b, o + AM_HEADER_MIN + 4 * i, repr.args[i]!);
}
