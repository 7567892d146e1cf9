// U-Net over Ethernet: the header that carries a U-Net channel tag in an Ethernet II frame of
// its own EtherType. (Over ATM U-Net has no header at all: the channel is the VCI, and the AAL5
// PDU is the message.)
//
// Contract:
// - Frame: Ethernet II header (14 bytes, EtherType UNET_ETHERTYPE = 0x88B6, IEEE 802 "local
//   experimental 2"; configurable per device), then this 8-byte header, big-endian, then the
//   message. Ethernet pads frames to 60 bytes, so the header carries the message length.
//
//     0        8        16       24       32
//     +--------+--------+--------+--------+
//     |ver |flg|  rsvd  |   channel tag   |   ver = 1 (high nibble), flg = 0 (low nibble,
//     +--------+--------+--------+--------+   reserved); rsvd = 0; tag: the receiver's channel
//     |     length      |    reserved     |   length: message bytes after this header
//     +--------+--------+--------+--------+   reserved = 0 (sent as 0, ignored on receive)
//
//   The receiving NIC firmware demultiplexes on (tag, source MAC): the tag names a channel of
//   one endpoint, and the channel is bound to the one peer MAC that may use it.
// - UnetHeaderView is a reusable view (wrap()); checkLength() is the checked entry for
//   untrusted bytes (the Ethernet payload without FCS) and returns a UnetParseError (OK = 0).
//   parseUnetHeaderInto() fills a caller-owned repr without allocating or throwing;
//   emitUnetHeader() writes the header in front of a message already in place.
// Not handled: a checksum (the Ethernet FCS covers the frame), fragmentation (a message is one
// frame), VLAN tags.

import { ByteView, readU16, writeU16 } from "../../wire/byte-view.js";

export const UNET_ETHERTYPE = 0x88b6;
export const UNET_HEADER_LEN = 8;
export const UNET_VERSION = 1;
/** U-Net's small-message fast path: a message up to this size travels in the descriptor. */
export const UNET_INLINE_MAX = 40;

/** Why a header was refused (0 = accepted). Stable numbers: drop counters are indexed by them. */
export const UnetParseError = {
  OK: 0,
  /** Fewer bytes than the header, or than the length field says. */
  TRUNCATED: 1,
  BAD_VERSION: 2,
} as const;
export type UnetParseError = (typeof UnetParseError)[keyof typeof UnetParseError];

export class UnetHeaderView extends ByteView {
  /** Structural check for untrusted bytes: the header and the message it describes fit. */
  checkLength(): UnetParseError {
    if (this.length < UNET_HEADER_LEN) return UnetParseError.TRUNCATED;
    if (this.version !== UNET_VERSION) return UnetParseError.BAD_VERSION;
    if (UNET_HEADER_LEN + this.messageLength > this.length) return UnetParseError.TRUNCATED;
    return UnetParseError.OK;
  }

  get version(): number {
    return this.bytes[this.offset]! >>> 4;
  }
  get flags(): number {
    return this.bytes[this.offset]! & 0x0f;
  }
  get channel(): number {
    return readU16(this.bytes, this.offset + 2);
  }
  set channel(tag: number) {
    writeU16(this.bytes, this.offset + 2, tag);
  }
  get messageLength(): number {
    return readU16(this.bytes, this.offset + 4);
  }
  set messageLength(length: number) {
    writeU16(this.bytes, this.offset + 4, length);
  }
  /** Absolute index in `bytes` of the first message byte. */
  get messageOffset(): number {
    return this.offset + UNET_HEADER_LEN;
  }
}

export interface UnetHeaderRepr {
  /** The receiver's channel tag (0 .. 65535). */
  channel: number;
  /** Message bytes after the header. */
  length: number;
}

export function createUnetHeaderRepr(): UnetHeaderRepr {
  return { channel: 0, length: 0 };
}

/** Checks untrusted bytes and fills `repr` in place (no allocation, never throws). */
export function parseUnetHeaderInto(view: UnetHeaderView, repr: UnetHeaderRepr): UnetParseError {
  const status = view.checkLength();
  if (status !== UnetParseError.OK) return status;
  repr.channel = view.channel;
  repr.length = view.messageLength;
  return UnetParseError.OK;
}

/** parseUnetHeaderInto into a new repr: the repr, or the error code (a number). */
export function parseUnetHeader(view: UnetHeaderView): UnetHeaderRepr | UnetParseError {
  const repr = createUnetHeaderRepr();
  const status = parseUnetHeaderInto(view, repr);
  return status === UnetParseError.OK ? repr : status;
}

/** Writes the header at view.offset; the message must already be at view.offset + 8. */
export function emitUnetHeader(repr: UnetHeaderRepr, view: UnetHeaderView): void {
  const b = view.bytes;
  const o = view.offset;
  b[o] = UNET_VERSION << 4;
  b[o + 1] = 0;
  writeU16(b, o + 2, repr.channel);
  writeU16(b, o + 4, repr.length);
  b[o + 6] = 0;
  b[o + 7] = 0;
}
