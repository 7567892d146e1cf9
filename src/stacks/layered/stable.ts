// STABLE: stability tracking (Horus STABLE layer): which messages every member has delivered,
// so buffers holding them (for retransmission, for state transfer) can be garbage-collected.
//
// Contract:
// - Wire format, 4 bytes, big-endian: u8 type (1 DATA, 2 GOSSIP), u8 0, u16 count; a GOSSIP is
//   followed by `count` u32 words: how many messages of each member (by rank) its sender has
//   delivered (its own: how many it sent).
// - Each member keeps the matrix delivered[m][s] (what m reported; its own row is exact) and
//   stable[s] = min over m of delivered[m][s]. When stable[s] grows, the STABLE event (a = s,
//   b = stable[s]) goes up: messages 0 .. b - 1 of sender s are delivered everywhere. Stability
//   is local knowledge, so "stable" here means what the application chooses it to mean (Birman
//   ch. 18 footnote 17): delivered, here.
// - A member gossips its row to the group after `gossipEvery` changes and `gossipDelay` ns after
//   the last change when fewer. Gossip is idempotent (max), so a lost one is repaired by the
//   next; data counting needs RELIABLE below; provides STABLE.
// - A member's own messages delivered back to it (TOTAL below) are not counted twice.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { NO_FRAME } from "../../buf/frames.js";
import { ALL, BaseLayer, Prop, StackEvent, getU16, getU32, putU16, putU32, type StackContext } from "./layer.js";

export const STABLE_HEADER_LEN = 4;
export const StableMsg = { DATA: 1, GOSSIP: 2 } as const;

export interface StableLayerOptions {
  /** Row changes between gossips (default 16). */
  gossipEvery?: number;
  /** ns: gossip this long after the last change (default 2 ms). */
  gossipDelay?: number;
}

interface StableCounters {
  sent: number;
  delivered: number;
  gossipSent: number;
  gossipReceived: number;
  stableEvents: number;
  badHeader: number;
  noSlot: number;
}

export class StableLayer extends BaseLayer {
  readonly name = "STABLE";
  readonly headerBytes = STABLE_HEADER_LEN;
  readonly requires = Prop.RELIABLE;
  readonly provides = Prop.STABLE;
  readonly gossipEvery: number;
  readonly gossipDelay: number;
  private n = 0;
  private matrix!: Float64Array;
  private stableNow!: Float64Array;
  private changes = 0;
  private timer_ = -1;
  private readonly c: StableCounters = {
    sent: 0,
    delivered: 0,
    gossipSent: 0,
    gossipReceived: 0,
    stableEvents: 0,
    badHeader: 0,
    noSlot: 0,
  };

  constructor(options: StableLayerOptions = {}, path = "STABLE") {
    super();
    const e = options.gossipEvery ?? 16;
    const d = options.gossipDelay ?? 2_000_000;
    if (!Number.isInteger(e) || e < 1) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(e)} is not a whole number > 0`, {
        path: `${path}.gossipEvery`,
      });
    }
    if (!Number.isInteger(d) || d < 1) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(d)} is not a duration in ns > 0`, {
        path: `${path}.gossipDelay`,
      });
    }
    this.gossipEvery = e;
    this.gossipDelay = d;
  }

  override init(ctx: StackContext, index: number): void {
    super.init(ctx, index);
    this.n = ctx.members;
    this.matrix = new Float64Array(this.n * this.n);
    this.stableNow = new Float64Array(this.n);
  }

  /** Messages of sender `s` known delivered at every member. */
  stableCount(s: number): number {
    return this.stableNow[s]!;
  }

  send(msg: number, dst: number): void {
    const ctx = this.ctx;
    msg = ctx.push(msg, STABLE_HEADER_LEN);
    if (msg === NO_FRAME) {
      this.c.noSlot++;
      return;
    }
    const off = ctx.frames.offset(msg);
    ctx.u8[off] = StableMsg.DATA;
    ctx.u8[off + 1] = 0;
    putU16(ctx.u8, off + 2, 0);
    this.c.sent++;
    ctx.down(this.index, msg, dst);
    this.bump(ctx.rank, ctx.rank);
  }

  deliver(msg: number, src: number): void {
    const ctx = this.ctx;
    const frames = ctx.frames;
    const len = frames.length[msg]!;
    if (len < STABLE_HEADER_LEN) return this.drop(msg, "badHeader");
    const u8 = ctx.u8;
    const off = frames.offset(msg);
    const type = u8[off]!;
    if (type === StableMsg.DATA) {
      frames.pop(msg, STABLE_HEADER_LEN);
      this.c.delivered++;
      ctx.up(this.index, msg, src);
      if (src !== ctx.rank) this.bump(ctx.rank, src);
      return;
    }
    const count = getU16(u8, off + 2);
    if (type !== StableMsg.GOSSIP || count !== this.n || len < STABLE_HEADER_LEN + 4 * count)
      return this.drop(msg, "badHeader");
    this.c.gossipReceived++;
    const row = src * this.n;
    for (let s = 0; s < this.n; s++) {
      const v = getU32(u8, off + STABLE_HEADER_LEN + 4 * s);
      if (v > this.matrix[row + s]!) this.matrix[row + s] = v;
    }
    frames.release(msg);
    for (let s = 0; s < this.n; s++) this.recompute(s);
  }

  /** Member `m` has one more message of `s`. */
  private bump(m: number, s: number): void {
    this.matrix[m * this.n + s]!++;
    this.recompute(s);
    if (++this.changes >= this.gossipEvery) this.gossip();
    else if (this.timer_ < 0) this.timer_ = this.ctx.setTimer(this.index, this.gossipDelay, 0);
  }

  private recompute(s: number): void {
    let low = Infinity;
    for (let m = 0; m < this.n; m++) if (this.matrix[m * this.n + s]! < low) low = this.matrix[m * this.n + s]!;
    if (low > this.stableNow[s]!) {
      this.stableNow[s] = low;
      this.c.stableEvents++;
      this.ctx.raise(this.index, StackEvent.STABLE, s, low);
    }
  }

  private gossip(): void {
    const ctx = this.ctx;
    this.changes = 0;
    let f = ctx.alloc(4 * this.n);
    if (f === NO_FRAME) {
      this.c.noSlot++;
      return;
    }
    const row = ctx.rank * this.n;
    const base = ctx.frames.offset(f);
    for (let s = 0; s < this.n; s++) putU32(ctx.u8, base + 4 * s, this.matrix[row + s]!);
    f = ctx.push(f, STABLE_HEADER_LEN);
    if (f === NO_FRAME) return;
    const off = ctx.frames.offset(f);
    ctx.u8[off] = StableMsg.GOSSIP;
    ctx.u8[off + 1] = 0;
    putU16(ctx.u8, off + 2, this.n);
    this.c.gossipSent++;
    ctx.down(this.index, f, ALL);
  }

  override timer(_arg: number): void {
    this.timer_ = -1;
    if (this.changes > 0) this.gossip();
  }

  private drop(msg: number, why: keyof StableCounters): void {
    this.c[why]++;
    this.ctx.frames.release(msg);
  }

  stats(): Record<string, number> {
    let minStable = Infinity;
    for (let s = 0; s < this.n; s++) if (this.stableNow[s]! < minStable) minStable = this.stableNow[s]!;
    return { ...this.c, minStable: this.n === 0 ? 0 : minStable };
  }

  override destroy(): void {
    if (this.timer_ >= 0) this.ctx.cancelTimer(this.timer_);
    this.timer_ = -1;
  }
}
