// TOTAL: totally ordered delivery in the group by a fixed sequencer (member 0).
//
// Contract:
// - Wire format, 12 bytes, big-endian:
//     0: u8 type (1 DATA, 2 ORDER)  1: u8 sender rank (ORDER: whose message is ordered)
//     2: u16 flags (DATA: 0x0001 ORDERED, the global number is valid)
//     4: u32 sender sequence (the message's number in its sender's stream)
//     8: u32 global sequence
// - Every member delivers every message, its own included, in the one order the sequencer
//   assigns. The sequencer numbers its own messages as it sends them (DATA with ORDERED); for
//   each message from another member it multicasts an ORDER (sender, sender sequence, global
//   number) as soon as the message reaches it. Members hold messages per sender (bounded
//   queues) and orders (bounded ring) until both are there, then deliver in global order.
// - Requires RELIABLE and FIFO below (per sender order lets an ORDER name a message by its
//   sender sequence); provides TOTAL. Overflow of a queue or of the order ring drops and counts
//   (and stalls the order: keep FC above, or size the queues to the window).
// - A member's own message is kept (one reference) until its turn; layers below push their
//   headers on a private copy, so the kept frame is unchanged.
// - Frames held: at most `queue` (default 256) per sender, the member's own messages included.
// Not handled: sequencer failure (no membership layer), the token-passing variant.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { NO_FRAME } from "../../buf/frames.js";
import { seqAdd, seqDiff } from "../../kernels/seq.js";
import { ALL, BaseLayer, Prop, getU16, getU32, putU16, putU32, type StackContext } from "./layer.js";

export const TOTAL_HEADER_LEN = 12;
export const TotalMsg = { DATA: 1, ORDER: 2 } as const;
const ORDERED = 1;
export const SEQUENCER = 0;

export interface TotalLayerOptions {
  /** Messages held per sender awaiting their order (power of two, default 256). */
  queue?: number;
  /** Orders held awaiting their message (power of two, default 1024). */
  orders?: number;
}

interface TotalCounters {
  sent: number;
  delivered: number;
  ordersSent: number;
  ordersReceived: number;
  queueOverflow: number;
  orderOverflow: number;
  outOfSequence: number;
  badHeader: number;
  noSlot: number;
}

function pow2(v: number, path: string): number {
  if (!Number.isInteger(v) || v < 2 || v > 65536 || (v & (v - 1)) !== 0) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(v)} is not a power of two from 2 to 65536`, { path });
  }
  return v;
}

export class TotalLayer extends BaseLayer {
  readonly name = "TOTAL";
  readonly headerBytes = TOTAL_HEADER_LEN;
  readonly requires = Prop.RELIABLE | Prop.FIFO;
  readonly provides = Prop.TOTAL;
  readonly queueSize: number;
  readonly orderSize: number;
  private mySeq = 0;
  private nextGlobal = 0;
  private deliverNext = 0;
  private q!: Int32Array;
  private qHead!: Int32Array;
  private qLen!: Int32Array;
  /** Sender sequence of each queue's head. */
  private qBase!: Float64Array;
  private readonly orderSrc: Int32Array;
  private readonly orderSeq: Float64Array;
  private readonly c: TotalCounters = {
    sent: 0,
    delivered: 0,
    ordersSent: 0,
    ordersReceived: 0,
    queueOverflow: 0,
    orderOverflow: 0,
    outOfSequence: 0,
    badHeader: 0,
    noSlot: 0,
  };

  constructor(options: TotalLayerOptions = {}, path = "TOTAL") {
    super();
    this.queueSize = pow2(options.queue ?? 256, `${path}.queue`);
    this.orderSize = pow2(options.orders ?? 1024, `${path}.orders`);
    this.orderSrc = new Int32Array(this.orderSize).fill(-1);
    this.orderSeq = new Float64Array(this.orderSize);
  }

  override init(ctx: StackContext, index: number): void {
    super.init(ctx, index);
    this.q = new Int32Array(ctx.members * this.queueSize).fill(NO_FRAME);
    this.qHead = new Int32Array(ctx.members);
    this.qLen = new Int32Array(ctx.members);
    this.qBase = new Float64Array(ctx.members);
  }

  send(msg: number, _dst: number): void {
    const ctx = this.ctx;
    const me = ctx.rank;
    if (this.qLen[me] === this.queueSize) return this.drop(msg, "queueOverflow");
    msg = ctx.push(msg, TOTAL_HEADER_LEN);
    if (msg === NO_FRAME) {
      this.c.noSlot++;
      return;
    }
    const seq = this.mySeq;
    this.mySeq = seqAdd(seq, 1);
    const sequencer = me === SEQUENCER;
    const g = this.nextGlobal;
    if (sequencer) this.nextGlobal = seqAdd(g, 1);
    this.writeHeader(msg, TotalMsg.DATA, me, sequencer ? ORDERED : 0, seq, sequencer ? g : 0);
    ctx.frames.retain(msg);
    this.enqueue(me, seq, msg);
    if (sequencer) this.record(g, me, seq);
    this.c.sent++;
    ctx.down(this.index, msg, ALL);
    this.tryDeliver();
  }

  private writeHeader(f: number, type: number, src: number, flags: number, seq: number, g: number): void {
    const u8 = this.ctx.u8;
    const off = this.ctx.frames.offset(f);
    u8[off] = type;
    u8[off + 1] = src;
    putU16(u8, off + 2, flags);
    putU32(u8, off + 4, seq);
    putU32(u8, off + 8, g);
  }

  deliver(msg: number, src: number): void {
    const ctx = this.ctx;
    const frames = ctx.frames;
    if (frames.length[msg]! < TOTAL_HEADER_LEN) return this.drop(msg, "badHeader");
    const u8 = ctx.u8;
    const off = frames.offset(msg);
    const type = u8[off]!;
    const who = u8[off + 1]!;
    const flags = getU16(u8, off + 2);
    const seq = getU32(u8, off + 4);
    const g = getU32(u8, off + 8);
    if (type === TotalMsg.DATA) {
      if (who !== src) return this.drop(msg, "badHeader");
      if (this.qLen[src] === this.queueSize) return this.drop(msg, "queueOverflow");
      if (seqDiff(seq, seqAdd(this.qBase[src]!, this.qLen[src]!)) !== 0) return this.drop(msg, "outOfSequence");
      this.enqueue(src, seq, msg);
      if ((flags & ORDERED) !== 0) {
        this.record(g, src, seq);
      } else if (ctx.rank === SEQUENCER) {
        const global = this.nextGlobal;
        this.nextGlobal = seqAdd(global, 1);
        this.record(global, src, seq);
        this.sendOrder(src, seq, global);
      }
    } else if (type === TotalMsg.ORDER) {
      frames.release(msg);
      if (who >= ctx.members) {
        this.c.badHeader++;
        return;
      }
      this.c.ordersReceived++;
      this.record(g, who, seq);
    } else {
      return this.drop(msg, "badHeader");
    }
    this.tryDeliver();
  }

  private enqueue(src: number, seq: number, f: number): void {
    if (this.qLen[src] === 0) this.qBase[src] = seq;
    let i = this.qHead[src]! + this.qLen[src]!;
    if (i >= this.queueSize) i -= this.queueSize;
    this.q[src * this.queueSize + i] = f;
    this.qLen[src]!++;
  }

  private record(g: number, src: number, seq: number): void {
    if (seqDiff(g, this.deliverNext) >= this.orderSize || seqDiff(g, this.deliverNext) < 0) {
      this.c.orderOverflow++;
      return;
    }
    const slot = g & (this.orderSize - 1);
    this.orderSrc[slot] = src;
    this.orderSeq[slot] = seq;
  }

  private sendOrder(src: number, seq: number, g: number): void {
    const ctx = this.ctx;
    let f = ctx.alloc(0);
    if (f === NO_FRAME) {
      this.c.noSlot++;
      return;
    }
    f = ctx.push(f, TOTAL_HEADER_LEN);
    if (f === NO_FRAME) return;
    this.writeHeader(f, TotalMsg.ORDER, src, 0, seq, g);
    this.c.ordersSent++;
    ctx.down(this.index, f, ALL);
  }

  private tryDeliver(): void {
    const ctx = this.ctx;
    const mask = this.orderSize - 1;
    for (;;) {
      const slot = this.deliverNext & mask;
      const s = this.orderSrc[slot]!;
      if (s < 0 || this.qLen[s] === 0) return;
      if (this.qBase[s] !== this.orderSeq[slot]) {
        // The order names a message that is not at the head of its sender's queue: only after
        // an overflow dropped one. Skip the order so the group does not stall for ever.
        this.c.outOfSequence++;
        this.orderSrc[slot] = -1;
        this.deliverNext = seqAdd(this.deliverNext, 1);
        continue;
      }
      const qi = s * this.queueSize + this.qHead[s]!;
      let f = this.q[qi]!;
      this.q[qi] = NO_FRAME;
      this.qHead[s] = this.qHead[s]! + 1 === this.queueSize ? 0 : this.qHead[s]! + 1;
      this.qLen[s]!--;
      this.qBase[s] = seqAdd(this.qBase[s]!, 1);
      this.orderSrc[slot] = -1;
      this.deliverNext = seqAdd(this.deliverNext, 1);
      // Our own message may still be held below (FC's backlog, not yet sent): popping the
      // header moves the head for every holder, so take a private copy first.
      if (ctx.frames.isShared(f)) {
        const w = ctx.frames.writable(f);
        if (w === NO_FRAME) {
          this.drop(f, "noSlot");
          continue;
        }
        f = w;
      }
      ctx.frames.pop(f, TOTAL_HEADER_LEN);
      this.c.delivered++;
      ctx.up(this.index, f, s);
    }
  }

  private drop(msg: number, why: keyof TotalCounters): void {
    this.c[why]++;
    this.ctx.frames.release(msg);
  }

  stats(): Record<string, number> {
    let held = 0;
    for (let s = 0; s < this.qLen.length; s++) held += this.qLen[s]!;
    return { ...this.c, held };
  }

  override destroy(): void {
    if (this.q === undefined) return;
    for (let i = 0; i < this.q.length; i++) {
      if (this.q[i]! !== NO_FRAME) this.ctx.frames.release(this.q[i]!);
      this.q[i] = NO_FRAME;
    }
    this.qLen.fill(0);
  }
}
