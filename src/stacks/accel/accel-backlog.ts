// AccelBacklog: the messages waiting while the send prediction is not ready, the window is
// closed or the NIC is busy, and their packing (Birman ch. 18.7.3) into one frame when they can
// go: one filter and one post-processing for up to maxPack messages.
//
// Contract:
// - A bounded FIFO ring (nak.backlog messages): push() refuses beyond it (the caller counts
//   and releases).
// - next(room) takes what the next frame carries: the oldest message as it is when it goes
//   alone (or is too large to share a frame), else up to min(room, maxPack) messages that fit
//   maxMessage with a u16 length each, copied into a new PACKED body (the copy is charged and
//   counted bytesCopied; the receiver unpacks in place). `count` says how many; NO_FRAME when
//   no frame slot is free (counted noSlot; the messages stay queued).

import { NO_FRAME } from "../../buf/frames.js";
import { putU16 } from "../layered/layer.js";
import { ACCEL_PACK_OPS, type AccelCore } from "./accel-core.js";
import { PACKED_ITEM_HEADER } from "./mini-header.js";

export class AccelBacklog {
  readonly limit: number;
  /** Messages the frame next() returned carries. */
  count = 0;
  private readonly core: AccelCore;
  private readonly q: Int32Array;
  private head = 0;
  private len = 0;

  constructor(core: AccelCore) {
    this.core = core;
    this.limit = core.config.backlogLimit;
    this.q = new Int32Array(this.limit);
  }

  get length(): number {
    return this.len;
  }

  push(msg: number): boolean {
    if (this.len === this.limit) return false;
    let i = this.head + this.len;
    if (i >= this.limit) i -= this.limit;
    this.q[i] = msg;
    this.len++;
    return true;
  }

  take(): number {
    const msg = this.q[this.head]!;
    this.head = this.head + 1 === this.limit ? 0 : this.head + 1;
    this.len--;
    return msg;
  }

  /** The body of the next frame, at most `room` messages (see the contract). */
  next(room: number): number {
    const core = this.core;
    const frames = core.frames;
    const limit = core.maxMessage;
    // How many fit in one frame: as a single DATA message, or packed with a length each.
    let n = 0;
    let bytes = 0;
    while (n < this.len && n < room && n < core.config.maxPack) {
      const len = frames.length[this.q[(this.head + n) % this.limit]!]!;
      if (n > 0 && bytes + PACKED_ITEM_HEADER + len > limit) break;
      bytes += PACKED_ITEM_HEADER + len;
      n++;
    }
    if (n === 1 || bytes > limit) {
      this.count = 1;
      return this.take();
    }
    const packed = frames.alloc(core.headroom, core.now);
    if (packed === NO_FRAME) {
      // Try again when something frees a slot: the next ack or post-processing.
      core.d.noSlot++;
      return NO_FRAME;
    }
    const u8 = core.u8;
    let at = frames.offset(packed);
    for (let k = 0; k < n; k++) {
      const msg = this.take();
      const len = frames.length[msg]!;
      putU16(u8, at, len);
      core.sim.runtime.copy(at + PACKED_ITEM_HEADER, frames.offset(msg), len);
      at += PACKED_ITEM_HEADER + len;
      core.cpu.chargeCopy(len);
      core.c.bytesCopied += len;
      frames.release(msg);
    }
    frames.setLength(packed, bytes);
    core.chargeOps(ACCEL_PACK_OPS * (n - 1));
    core.c.packedFrames++;
    core.c.packedMessages += n;
    this.count = n;
    return packed;
  }

  /** Releases every queued message. */
  releaseAll(): void {
    while (this.len > 0) this.core.frames.release(this.take());
  }
}
