// FC: credit-based flow control of each sender to the group (Horus FC layer; Birman ch. 5
// windows as receiver buffers).
//
// Contract:
// - Wire format, 4 bytes, big-endian: u8 type (1 DATA, 2 CREDIT), u8 target rank (CREDIT),
//   u16 grant (CREDIT: messages granted to `target`).
// - Every member may have at most `window` of its messages not yet consumed by each other
//   member: a sender holds one credit per other member, spends one per message (from each),
//   and waits, in a bounded backlog, when any member has none left (FLOW_BLOCKED is raised once;
//   FLOW_RESUMED when the backlog is empty again). Beyond the backlog limit messages are
//   dropped and counted.
// - A receiver grants credits back in batches of window / 2 messages consumed (delivered
//   upward), in a CREDIT message to the group naming the sender.
// - Requires RELIABLE (a lost grant would stall the sender); provides FLOW. No allocation per
//   message.
//
// State machine (sender): Open --no credit from some member--> Blocked --credits, backlog
// drained--> Open.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { NO_FRAME } from "../../buf/frames.js";
import { ALL, BaseLayer, Prop, StackEvent, getU16, putU16, type StackContext } from "./layer.js";

export const FC_HEADER_LEN = 4;
export const FcMsg = { DATA: 1, CREDIT: 2 } as const;

export interface FcLayerOptions {
  /** Messages a sender may have outstanding at each member (default 32, at least 2). */
  window?: number;
  /** Messages waiting for credit (default 1024). */
  backlog?: number;
}

interface FcCounters {
  sent: number;
  delivered: number;
  creditsSent: number;
  creditsReceived: number;
  blocked: number;
  backlogDrops: number;
  badHeader: number;
  noSlot: number;
}

export class FcLayer extends BaseLayer {
  readonly name = "FC";
  readonly headerBytes = FC_HEADER_LEN;
  readonly requires = Prop.RELIABLE;
  readonly provides = Prop.FLOW;
  readonly window: number;
  readonly backlogLimit: number;
  private credits!: Int32Array;
  private consumed!: Int32Array;
  private readonly backlog: Int32Array;
  private blHead = 0;
  private blLen = 0;
  private readonly c: FcCounters = {
    sent: 0,
    delivered: 0,
    creditsSent: 0,
    creditsReceived: 0,
    blocked: 0,
    backlogDrops: 0,
    badHeader: 0,
    noSlot: 0,
  };

  constructor(options: FcLayerOptions = {}, path = "FC") {
    super();
    const w = options.window ?? 32;
    if (!Number.isInteger(w) || w < 2 || w > 65535) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(w)} is not a window (2 to 65535 messages)`, {
        path: `${path}.window`,
      });
    }
    const b = options.backlog ?? 1024;
    if (!Number.isInteger(b) || b < 1 || b > 1 << 20) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(b)} is not a backlog size (1 to 2^20)`, {
        path: `${path}.backlog`,
      });
    }
    this.window = w;
    this.backlogLimit = b;
    this.backlog = new Int32Array(b);
  }

  override init(ctx: StackContext, index: number): void {
    super.init(ctx, index);
    this.credits = new Int32Array(ctx.members).fill(this.window);
    this.consumed = new Int32Array(ctx.members);
  }

  private canSend(): boolean {
    const me = this.ctx.rank;
    for (let m = 0; m < this.credits.length; m++) if (m !== me && this.credits[m]! <= 0) return false;
    return true;
  }

  send(msg: number, dst: number): void {
    if (this.blLen > 0 || !this.canSend()) {
      if (this.blLen === this.backlogLimit) {
        this.c.backlogDrops++;
        this.ctx.frames.release(msg);
        return;
      }
      let i = this.blHead + this.blLen;
      if (i >= this.backlogLimit) i -= this.backlogLimit;
      this.backlog[i] = msg;
      if (this.blLen++ === 0) {
        this.c.blocked++;
        this.ctx.raise(this.index, StackEvent.FLOW_BLOCKED, 1, 0);
      }
      return;
    }
    this.transmit(msg, dst);
  }

  private transmit(msg: number, dst: number): void {
    const ctx = this.ctx;
    const me = ctx.rank;
    for (let m = 0; m < this.credits.length; m++) if (m !== me) this.credits[m]!--;
    msg = ctx.push(msg, FC_HEADER_LEN);
    if (msg === NO_FRAME) {
      this.c.noSlot++;
      return;
    }
    const off = ctx.frames.offset(msg);
    ctx.u8[off] = FcMsg.DATA;
    ctx.u8[off + 1] = 0;
    putU16(ctx.u8, off + 2, 0);
    this.c.sent++;
    ctx.down(this.index, msg, dst);
  }

  deliver(msg: number, src: number): void {
    const ctx = this.ctx;
    const frames = ctx.frames;
    if (frames.length[msg]! < FC_HEADER_LEN) return this.drop(msg, "badHeader");
    const off = frames.offset(msg);
    const type = ctx.u8[off]!;
    if (type === FcMsg.DATA) {
      frames.pop(msg, FC_HEADER_LEN);
      this.c.delivered++;
      ctx.up(this.index, msg, src);
      if (++this.consumed[src]! >= this.window >>> 1) this.grant(src);
      return;
    }
    if (type !== FcMsg.CREDIT) return this.drop(msg, "badHeader");
    const target = ctx.u8[off + 1]!;
    const grant = getU16(ctx.u8, off + 2);
    frames.release(msg);
    if (target !== ctx.rank) return;
    this.c.creditsReceived++;
    this.credits[src] = Math.min(this.credits[src]! + grant, this.window);
    this.drain();
  }

  private grant(src: number): void {
    const ctx = this.ctx;
    let f = ctx.alloc(0);
    if (f === NO_FRAME) {
      this.c.noSlot++;
      return; // granted with the next batch
    }
    f = ctx.push(f, FC_HEADER_LEN);
    if (f === NO_FRAME) return;
    const off = ctx.frames.offset(f);
    ctx.u8[off] = FcMsg.CREDIT;
    ctx.u8[off + 1] = src;
    putU16(ctx.u8, off + 2, this.consumed[src]!);
    this.consumed[src] = 0;
    this.c.creditsSent++;
    ctx.down(this.index, f, ALL);
  }

  private drain(): void {
    while (this.blLen > 0 && this.canSend()) {
      const msg = this.backlog[this.blHead]!;
      this.blHead = this.blHead + 1 === this.backlogLimit ? 0 : this.blHead + 1;
      this.blLen--;
      this.transmit(msg, ALL);
      if (this.blLen === 0) this.ctx.raise(this.index, StackEvent.FLOW_RESUMED, 0, 0);
    }
  }

  private drop(msg: number, why: keyof FcCounters): void {
    this.c[why]++;
    this.ctx.frames.release(msg);
  }

  stats(): Record<string, number> {
    let minCredit = this.window;
    for (let m = 0; m < this.credits.length; m++)
      if (m !== this.ctx.rank && this.credits[m]! < minCredit) minCredit = this.credits[m]!;
    return { ...this.c, backlog: this.blLen, minCredit };
  }

  override destroy(): void {
    while (this.blLen > 0) {
      this.ctx.frames.release(this.backlog[this.blHead]!);
      this.blHead = this.blHead + 1 === this.backlogLimit ? 0 : this.blHead + 1;
      this.blLen--;
    }
  }
}
