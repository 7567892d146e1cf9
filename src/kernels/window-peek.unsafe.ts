// Read-only peeks into a WindowTable's connection records (raw Wasm heap offsets: review twice).
//
// Contract:
// - The TCP sender needs three per-connection facts on every ack that the typed wrapper only
//   hands out through allocating calls (stats()) or not at all: the bytes currently SACKed, whether
//   the last event was a timeout, and the first in-flight segment (seq, len) for a NewReno
//   partial-ack retransmission when the peer does not SACK. This module reads them straight from
//   the record, using the layout of assembly/window/window.ts as src/kernels/window.ts mirrors
//   it (WINDOW_LAYOUT): one copy of the offsets beside the typed wrapper.
// - It never writes. It checks nothing: callers pass an open connection of a live table.
// - If the kernel layout changes, the TCP tests (recovery without SACK, pipe accounting) fail.

import { WINDOW_LAYOUT, type WindowTable } from "./window.js";

const {
  T_RING_CAP,
  T_STRIDE,
  T_RING_OFF,
  TABLE_HEADER,
  R_COUNT,
  S_HEAD,
  S_COUNT,
  S_FLAGS,
  S_SACKED_BYTES,
  S_HIGH_SACK,
  SEG_BYTES,
  SEG_LEN,
  SEG_FLAGS,
  SEG_SACKED,
  F_HAS_SACK,
  F_TIMED_OUT,
} = WINDOW_LAYOUT;

export class WindowPeek {
  protected readonly u32: Uint32Array;
  protected readonly base: number;
  protected readonly stride: number;
  protected readonly ringOff: number;
  protected readonly ringCap: number;

  constructor(table: WindowTable) {
    this.u32 = table.runtime.u32;
    const t = table.ptr;
    this.base = t + TABLE_HEADER;
    this.stride = this.u32[(t + T_STRIDE) >>> 2]!;
    this.ringOff = this.u32[(t + T_RING_OFF) >>> 2]!;
    this.ringCap = this.u32[(t + T_RING_CAP) >>> 2]!;
  }

  protected rec(conn: number): number {
    return this.base + conn * this.stride;
  }

  /** Bytes of in-flight segments marked SACKed. */
  sackedBytes(conn: number): number {
    return this.u32[(this.rec(conn) + S_SACKED_BYTES) >>> 2]!;
  }

  /** Out-of-order ranges held beyond rcv.nxt (record +8 R_COUNT). */
  rangeCount(conn: number): number {
    return this.u32[(this.rec(conn) + R_COUNT) >>> 2]!;
  }

  /** Segments in flight. */
  segments(conn: number): number {
    return this.u32[(this.rec(conn) + S_COUNT) >>> 2]!;
  }

  timedOut(conn: number): boolean {
    return (this.u32[(this.rec(conn) + S_FLAGS) >>> 2]! & F_TIMED_OUT) !== 0;
  }

  /** Length of the first in-flight segment (it starts at snd.una), 0 when none. */
  firstSegmentLength(conn: number): number {
    const r = this.rec(conn);
    if (this.u32[(r + S_COUNT) >>> 2]! === 0) return 0;
    const head = this.u32[(r + S_HEAD) >>> 2]! % this.ringCap;
    return this.u32[(r + this.ringOff + head * SEG_BYTES + SEG_LEN) >>> 2]!;
  }
}

/**
 * Walks the in-flight ring of one connection for loss recovery: the first un-SACKed segment at
 * or after `from` and before `limit`, and the un-SACKed bytes in that span. Read-only.
 */
export class RingWalker extends WindowPeek {
  /** Result of scan(): the segment found. */
  seq = 0;
  len = 0;

  /** One past the highest SACKed sequence number, or -1 when nothing in flight is SACKed. */
  highSack(conn: number): number {
    const r = this.rec(conn);
    if ((this.u32[(r + S_FLAGS) >>> 2]! & F_HAS_SACK) === 0) return -1;
    return this.u32[(r + S_HIGH_SACK) >>> 2]!;
  }

  /**
   * Finds the first un-SACKed segment with from <= seq < limit (sequence order, wrapping);
   * true and this.seq/this.len set when there is one. When `sumOnly`, walks the whole span and
   * returns false, leaving in this.len the un-SACKed bytes found.
   */
  scan(conn: number, from: number, limit: number, sumOnly: boolean): boolean {
    const u32 = this.u32;
    const r = this.rec(conn);
    const count = u32[(r + S_COUNT) >>> 2]!;
    let slot = u32[(r + S_HEAD) >>> 2]!;
    const ring = r + this.ringOff;
    let sum = 0;
    for (let k = 0; k < count; k++) {
      const s = ring + slot * SEG_BYTES;
      const seq = u32[s >>> 2]!;
      if (((seq - limit) | 0) >= 0) break;
      if (((seq - from) | 0) >= 0 && (u32[(s + SEG_FLAGS) >>> 2]! & SEG_SACKED) === 0) {
        const len = u32[(s + SEG_LEN) >>> 2]!;
        if (!sumOnly) {
          this.seq = seq;
          this.len = len;
          return true;
        }
        sum += len;
      }
      slot++;
      if (slot === this.ringCap) slot = 0;
    }
    this.len = sum;
    return false;
  }
}
