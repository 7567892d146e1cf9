// The accelerator's header classes of Birman ch. 18.7.1 that are not per message: the
// connection class (AccelConnection: the cookie, the connection identification, and the
// classification of what arrives by them) and the predicted protocol header of each direction
// (PredictedHeader). Wire format: mini-header.ts.
//
// Contract:
// - A frame carries the connection identification behind the 62-bit cookie while the peer has
//   not acknowledged anything (so a lost first frame is repaired: its retransmission carries it
//   again), then only the cookie. The cookie comes from the stack's own random stream and is
//   never 0, so a zeroed header is not one.
// - classify() checks a received mini-header and connection identification and says how many
//   bytes they take, or why the frame is dropped (AccelClass). A connection identification that
//   does not match this stack is badConnId, a little-endian mini-header badByteOrder, a cookie
//   not yet learnt unknownCookie. Only a frame whose checksum is good installs the peer's cookie
//   (accept(); a newer one replaces the old).
// - PredictedHeader: kind, flags, count, seq of the next message, prepared by the previous
//   message's post-processing; `ready` is false while that post-processing runs.

import type { FrameStore } from "../../buf/frames.js";
import type { Rng } from "../../engine/rng.js";
import { getU32, putU16, putU32 } from "../layered/layer.js";
import type { LinkBottom } from "../link-bottom/link-bottom.js";
import { ACCEL_CIRCUIT } from "./accel-link.js";
import {
  AccelKind,
  AccelLink,
  CONN_ID_LEN,
  CONN_ID_VERSION,
  MINI_HEADER_LEN,
  emitConnId,
  emitMiniHeader,
  parseConnId,
  parseMiniHeader,
} from "./mini-header.js";

/** classify() results below 0: why a frame is dropped. */
export const AccelClass = { BAD_HEADER: -1, BAD_BYTE_ORDER: -2, BAD_CONN_ID: -3, UNKNOWN_COOKIE: -4 } as const;

const LINK_CODE = { ethernet: AccelLink.ETHERNET, atm: AccelLink.ATM } as const;

export class AccelConnection {
  readonly rank: number;
  readonly peer: number;
  readonly signature: number;
  readonly cookieHi: number;
  readonly cookieLo: number;
  /** The peer has acknowledged one of our frames, so it holds our cookie. */
  peerHasCookie = false;
  private readonly bottom: LinkBottom;
  private readonly link: number;
  private readonly srcAddress = new Uint8Array(6);
  private readonly dstAddress = new Uint8Array(6);
  private peerCookieKnown = false;
  private peerCookieHi = 0;
  private peerCookieLo = 0;
  /** The frame classify() passed last: did it announce a connection, with which cookie. */
  private rxConn = false;
  private rxCookieHi = 0;
  private rxCookieLo = 0;

  constructor(bottom: LinkBottom, rank: number, signature: number, rng: Rng) {
    this.bottom = bottom;
    this.rank = rank;
    this.peer = 1 - rank;
    this.signature = signature;
    this.link = LINK_CODE[bottom.medium];
    bottom.circuitAddresses(ACCEL_CIRCUIT, this.srcAddress, this.dstAddress);
    this.cookieHi = (rng.nextU32() & 0x3fff_ffff) | 1;
    this.cookieLo = rng.nextU32();
  }

  /**
   * Pushes the connection identification (while the peer may not know our cookie) and the
   * mini-header in front of frame `f`. True when the identification went on.
   */
  push(u8: Uint8Array, frames: FrameStore, f: number): boolean {
    const conn = !this.peerHasCookie;
    if (conn) {
      const off = frames.push(f, CONN_ID_LEN);
      emitConnId(u8, off, {
        version: CONN_ID_VERSION,
        src: this.rank,
        dst: this.peer,
        members: 2,
        signature: this.signature,
        link: this.link,
        srcAddress: this.srcAddress,
        dstAddress: this.dstAddress,
      });
    }
    emitMiniHeader(u8, frames.push(f, MINI_HEADER_LEN), conn, this.cookieHi, this.cookieLo);
    return conn;
  }

  /** The bytes of mini-header and connection identification at u8[off], or an AccelClass. */
  classify(u8: Uint8Array, off: number, wire: number): number {
    const mini = parseMiniHeader(u8, off, wire);
    if (mini === null) return AccelClass.BAD_HEADER;
    if (mini.littleEndian) return AccelClass.BAD_BYTE_ORDER;
    this.rxConn = mini.conn;
    if (!mini.conn) {
      if (!this.peerCookieKnown || mini.cookieHi !== this.peerCookieHi || mini.cookieLo !== this.peerCookieLo)
        return AccelClass.UNKNOWN_COOKIE;
      return MINI_HEADER_LEN;
    }
    const id = parseConnId(u8, off + MINI_HEADER_LEN, wire - MINI_HEADER_LEN);
    if (
      id === null ||
      id.src !== this.peer ||
      id.dst !== this.rank ||
      id.members !== 2 ||
      id.signature !== this.signature ||
      id.link !== this.link ||
      !this.bottom.isPeerAddress(ACCEL_CIRCUIT, id.srcAddress)
    ) {
      return AccelClass.BAD_CONN_ID;
    }
    this.rxCookieHi = mini.cookieHi;
    this.rxCookieLo = mini.cookieLo;
    return MINI_HEADER_LEN + CONN_ID_LEN;
  }

  /** The frame classify() passed is intact: its connection identification defines the peer's cookie. */
  accept(): boolean {
    if (!this.rxConn) return false;
    // Only an intact frame may (re)define the cookie -> connection mapping.
    this.peerCookieKnown = true;
    this.peerCookieHi = this.rxCookieHi;
    this.peerCookieLo = this.rxCookieLo;
    return true;
  }
}

export class PredictedHeader {
  /** kind, flags, count (u16), seq (u32): the first 8 bytes of the accelerated header. */
  readonly bytes = new Uint8Array(8);
  /** False while the post-processing that prepares the prediction runs. */
  ready = true;

  /** Predicts one DATA message with sequence number `seq`, no flags. */
  build(seq: number): void {
    const t = this.bytes;
    t[0] = AccelKind.DATA;
    t[1] = 0;
    putU16(t, 2, 1);
    putU32(t, 4, seq);
  }

  get seq(): number {
    return getU32(this.bytes, 4);
  }

  /** The packet filter: the accelerated header at u8[at] has the predicted flags and sequence number. */
  matches(u8: Uint8Array, at: number): boolean {
    return u8[at + 1] === this.bytes[1] && getU32(u8, at + 4) === getU32(this.bytes, 4);
  }
}
