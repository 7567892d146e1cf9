// FRAG: fragmentation and reassembly of messages larger than what the layers below carry.
//
// Contract:
// - Wire format, 4 bytes before each fragment, big-endian:
//     0: u16 message id (per sender, wraps)   2: u8 fragment index   3: u8 fragment count
//   A message that fits goes as one fragment (index 0, count 1), unchanged otherwise.
// - Send: a message of L bytes becomes ceil(L / P) fragments, P = the largest message of the
//   layer below minus 4; at most 255 fragments, and no more than a frame slot holds.
// - Receive: per sender one message in reassembly. Fragments must arrive in order (FRAG over
//   NAK gets them so; directly over COM a loss or reordering abandons the message, counted as
//   incomplete: FRAG provides large messages, not reliability). The message is delivered when
//   its last fragment arrives.
// - Copies: splitting and joining move bytes between frames because a netloom frame is one
//   contiguous slot; the x-Kernel and Horus do both with buffer references. Those copies are
//   emulator work and are NOT charged to the host CPU (FRAG charges its layer crossings only).
// - Requires DATAGRAM; provides LARGE. Bounded: one reassembly frame per member.

import { NO_FRAME } from "../../buf/frames.js";
import { BaseLayer, Prop, getU16, putU16, type StackContext } from "./layer.js";

export const FRAG_HEADER_LEN = 4;
const MAX_FRAGMENTS = 255;

interface FragCounters {
  fragmentsSent: number;
  fragmentsReceived: number;
  messagesReassembled: number;
  incomplete: number;
  outOfOrder: number;
  badHeader: number;
  tooLong: number;
  noSlot: number;
}

export class FragLayer extends BaseLayer {
  readonly name = "FRAG";
  readonly headerBytes = FRAG_HEADER_LEN;
  readonly requires = Prop.DATAGRAM;
  readonly provides = Prop.LARGE;
  private payload = 0;
  private nextId = 0;
  private asmFrame!: Int32Array;
  private asmId!: Int32Array;
  private asmNext!: Int32Array;
  private readonly c: FragCounters = {
    fragmentsSent: 0,
    fragmentsReceived: 0,
    messagesReassembled: 0,
    incomplete: 0,
    outOfOrder: 0,
    badHeader: 0,
    tooLong: 0,
    noSlot: 0,
  };

  override init(ctx: StackContext, index: number): void {
    super.init(ctx, index);
    this.asmFrame = new Int32Array(ctx.members).fill(NO_FRAME);
    this.asmId = new Int32Array(ctx.members);
    this.asmNext = new Int32Array(ctx.members);
  }

  override maxMessage(below: number): number {
    this.payload = below - FRAG_HEADER_LEN;
    return Math.min(MAX_FRAGMENTS * this.payload, this.ctx.frames.pool.slotBytes - this.ctx.headroom);
  }

  send(msg: number, dst: number): void {
    const ctx = this.ctx;
    const frames = ctx.frames;
    const len = frames.length[msg]!;
    const id = this.nextId;
    this.nextId = (id + 1) & 0xffff;
    if (len <= this.payload) {
      this.sendFragment(msg, id, 0, 1, dst);
      return;
    }
    const count = Math.ceil(len / this.payload);
    if (count > MAX_FRAGMENTS) {
      this.c.tooLong++;
      frames.release(msg);
      return;
    }
    const src = frames.offset(msg);
    for (let i = 0; i < count; i++) {
      const start = i * this.payload;
      const n = Math.min(this.payload, len - start);
      const f = ctx.alloc(n);
      if (f === NO_FRAME) {
        // The rest cannot go: the receiver abandons the message when the next one starts.
        this.c.noSlot++;
        break;
      }
      ctx.runtime.copy(frames.offset(f), src + start, n);
      this.sendFragment(f, id, i, count, dst);
    }
    frames.release(msg);
  }

  private sendFragment(f: number, id: number, index: number, count: number, dst: number): void {
    const ctx = this.ctx;
    f = ctx.push(f, FRAG_HEADER_LEN);
    if (f === NO_FRAME) {
      this.c.noSlot++;
      return;
    }
    const u8 = ctx.u8;
    const off = ctx.frames.offset(f);
    putU16(u8, off, id);
    u8[off + 2] = index;
    u8[off + 3] = count;
    this.c.fragmentsSent++;
    ctx.down(this.index, f, dst);
  }

  deliver(msg: number, src: number): void {
    const ctx = this.ctx;
    const frames = ctx.frames;
    if (frames.length[msg]! < FRAG_HEADER_LEN) return this.drop(msg, "badHeader");
    const u8 = ctx.u8;
    const off = frames.offset(msg);
    const id = getU16(u8, off);
    const index = u8[off + 2]!;
    const count = u8[off + 3]!;
    if (count === 0 || index >= count) return this.drop(msg, "badHeader");
    frames.pop(msg, FRAG_HEADER_LEN);
    this.c.fragmentsReceived++;
    if (count === 1) {
      ctx.up(this.index, msg, src);
      return;
    }
    let asm = this.asmFrame[src]!;
    if (index === 0) {
      if (asm !== NO_FRAME) this.abandon(src);
      asm = frames.alloc(0, ctx.now);
      if (asm === NO_FRAME) return this.drop(msg, "noSlot");
      this.asmFrame[src] = asm;
      this.asmId[src] = id;
      this.asmNext[src] = 0;
    } else if (asm === NO_FRAME || this.asmId[src] !== id || this.asmNext[src] !== index) {
      if (asm !== NO_FRAME) this.abandon(src);
      return this.drop(msg, "outOfOrder");
    }
    const have = frames.length[asm]!;
    const n = frames.length[msg]!;
    if (frames.head[asm]! + have + n > frames.pool.slotBytes) {
      this.abandon(src);
      return this.drop(msg, "tooLong");
    }
    const from = frames.offset(msg);
    ctx.runtime.copy(frames.offset(asm) + have, from, n);
    frames.setLength(asm, have + n);
    frames.release(msg);
    this.asmNext[src] = index + 1;
    if (index + 1 === count) {
      this.asmFrame[src] = NO_FRAME;
      this.c.messagesReassembled++;
      ctx.up(this.index, asm, src);
    }
  }

  private abandon(src: number): void {
    this.c.incomplete++;
    this.ctx.frames.release(this.asmFrame[src]!);
    this.asmFrame[src] = NO_FRAME;
  }

  private drop(msg: number, why: keyof FragCounters): void {
    this.c[why]++;
    this.ctx.frames.release(msg);
  }

  stats(): Record<string, number> {
    return { ...this.c };
  }

  override destroy(): void {
    if (this.asmFrame === undefined) return;
    for (let s = 0; s < this.asmFrame.length; s++) {
      if (this.asmFrame[s]! !== NO_FRAME) this.ctx.frames.release(this.asmFrame[s]!);
      this.asmFrame[s] = NO_FRAME;
    }
  }
}
