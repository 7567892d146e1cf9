// NAK: reliable FIFO multicast to the group by negative acknowledgement (Horus NAK layer;
// Birman ch. 5.2 "negative-acknowledgement only", with cumulative acks to free buffers).
//
// Contract:
// - Wire format: an 8-byte header (see NakMsg). NAK and ACK go to the sender only; a
//   retransmission goes to the member that asked.
// - Sender: each message sent gets the next sequence number and a reference kept in a bounded
//   retransmit ring (ringSize, a power of two). A slot is freed when every other member has
//   acknowledged it. A message that finds the ring full waits in a bounded backlog (backlog
//   limit; beyond it the message is dropped and counted). A probe timer resends the newest
//   message (flag RETX) when nothing was acknowledged for `probe` ns, which repairs a lost
//   tail and lost acks.
// - Receiver, per sender: delivers in sequence order, exactly once; holds out-of-order messages
//   in a reorder ring of `window` slots (beyond it: dropped, counted, repaired later). A message
//   beyond everything seen opens a gap that is NAKed at once; a NAK timer re-NAKs the first gap
//   every `nakRetry` ns while gaps remain. Acks go back after `ackEvery` deliveries, on a
//   duplicate (the sender is probing) and `ackDelay` after the last delivery.
// - Requires DATAGRAM; provides RELIABLE and FIFO (while members live: there is no membership
//   layer, so a member that never acks fills the ring and the backlog, which then drop).
// - The retransmit ring keeps a reference to the frame it sent; layers below push their
//   headers on a private copy (StackContext.push), so the kept frame is never changed.
// - No allocation per message; timers are per layer (one probe, one NAK, one ack timer).

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { NO_FRAME } from "../../buf/frames.js";
import { seqAdd, seqDiff, seqGeq, seqGt, seqLt } from "../../kernels/seq.js";
import { ALL, BaseLayer, Prop, getU16, getU32, putU16, putU32, type StackContext } from "./layer.js";

export const NAK_LAYER_HEADER_LEN = 8;
/**
 * Header types. Wire format, 8 bytes, big-endian:
 *     0: u8 type (1 DATA, 2 NAK, 3 ACK)   1: u8 flags (DATA: 0x01 RETX)   2: u16 count
 *     4: u32 sequence
 * DATA: sequence of the message in its sender's stream (one stream per sender, to the whole
 * group). NAK: `count` messages from `sequence` on are missing. ACK: every message below
 * `sequence` was delivered (a NAK is not an ack: the gap it names may lie beyond other gaps).
 */
export const NakMsg = { DATA: 1, NAK: 2, ACK: 3 } as const;
export const NAK_RETX = 0x01;

export interface NakLayerOptions {
  /** Retransmit ring slots per sender (power of two, default 256). */
  ringSize?: number;
  /** Reorder slots per sender at the receiver (power of two, default 256). */
  window?: number;
  /** Messages waiting for ring space (default 1024). */
  backlog?: number;
  /** Deliveries between acks (default window / 4). */
  ackEvery?: number;
  /** ns: ack after this long without one (default 1 ms). */
  ackDelay?: number;
  /** ns: resend the newest message after this long without progress (default 10 ms). */
  probe?: number;
  /** ns: re-NAK interval (default 5 ms). */
  nakRetry?: number;
}

const T_PROBE = 0;
const T_NAK = 1;
const T_ACK = 2;

interface NakCounters {
  sent: number;
  retransmitted: number;
  probes: number;
  delivered: number;
  duplicates: number;
  beyondWindow: number;
  naksSent: number;
  naksReceived: number;
  acksSent: number;
  acksReceived: number;
  backlogged: number;
  backlogDrops: number;
  badHeader: number;
  noSlot: number;
}

function pow2(name: string, v: number, path: string): number {
  if (!Number.isInteger(v) || v < 2 || v > 65536 || (v & (v - 1)) !== 0) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(v)} is not a power of two from 2 to 65536`, {
      path: `${path}.${name}`,
    });
  }
  return v;
}

function positive(name: string, v: number, path: string): number {
  if (!Number.isInteger(v) || v < 1) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(v)} is not a whole number > 0`, {
      path: `${path}.${name}`,
    });
  }
  return v;
}

export class NakLayer extends BaseLayer {
  readonly name = "NAK";
  readonly headerBytes = NAK_LAYER_HEADER_LEN;
  readonly requires = Prop.DATAGRAM;
  readonly provides = Prop.RELIABLE | Prop.FIFO;
  readonly ringSize: number;
  readonly window: number;
  readonly backlogLimit: number;
  readonly ackEvery: number;
  readonly ackDelay: number;
  readonly probe: number;
  readonly nakRetry: number;
  private readonly c: NakCounters = {
    sent: 0,
    retransmitted: 0,
    probes: 0,
    delivered: 0,
    duplicates: 0,
    beyondWindow: 0,
    naksSent: 0,
    naksReceived: 0,
    acksSent: 0,
    acksReceived: 0,
    backlogged: 0,
    backlogDrops: 0,
    badHeader: 0,
    noSlot: 0,
  };
  // Sender.
  private nextSeq = 0;
  private base = 0;
  private ring!: Int32Array;
  private acked!: Float64Array;
  private readonly backlog: Int32Array;
  private blHead = 0;
  private blLen = 0;
  private probeHandle = -1;
  private progress = false;
  // Receiver (per sender s: slots [s * window, (s + 1) * window)).
  private expected!: Float64Array;
  private highest!: Float64Array;
  private unacked!: Int32Array;
  private reorder!: Int32Array;
  private nakHandle = -1;
  private ackHandle = -1;

  constructor(options: NakLayerOptions = {}, path = "NAK") {
    super();
    this.ringSize = pow2("ringSize", options.ringSize ?? 256, path);
    this.window = pow2("window", options.window ?? 256, path);
    this.backlogLimit = positive("backlog", options.backlog ?? 1024, path);
    this.ackEvery = positive("ackEvery", options.ackEvery ?? Math.max(1, this.window >>> 2), path);
    this.ackDelay = positive("ackDelay", options.ackDelay ?? 1_000_000, path);
    this.probe = positive("probe", options.probe ?? 10_000_000, path);
    this.nakRetry = positive("nakRetry", options.nakRetry ?? 5_000_000, path);
    this.backlog = new Int32Array(this.backlogLimit);
  }

  override init(ctx: StackContext, index: number): void {
    super.init(ctx, index);
    const n = ctx.members;
    this.ring = new Int32Array(this.ringSize).fill(NO_FRAME);
    this.acked = new Float64Array(n);
    this.expected = new Float64Array(n);
    this.highest = new Float64Array(n);
    this.unacked = new Int32Array(n);
    this.reorder = new Int32Array(n * this.window).fill(NO_FRAME);
  }

  // --- sender ---

  send(msg: number, _dst: number): void {
    // Every DATA message goes to the whole group: one sequence space per sender.
    if (this.blLen > 0 || seqDiff(this.nextSeq, this.base) >= this.ringSize) {
      if (this.blLen === this.backlogLimit) {
        this.c.backlogDrops++;
        this.ctx.frames.release(msg);
        return;
      }
      let i = this.blHead + this.blLen;
      if (i >= this.backlogLimit) i -= this.backlogLimit;
      this.backlog[i] = msg;
      this.blLen++;
      this.c.backlogged++;
      return;
    }
    this.transmitNew(msg);
  }

  private transmitNew(msg: number): void {
    const ctx = this.ctx;
    msg = ctx.push(msg, NAK_LAYER_HEADER_LEN);
    if (msg === NO_FRAME) {
      this.c.noSlot++;
      return;
    }
    const seq = this.nextSeq;
    const u8 = ctx.u8;
    const off = ctx.frames.offset(msg);
    u8[off] = NakMsg.DATA;
    u8[off + 1] = 0;
    putU16(u8, off + 2, 0);
    putU32(u8, off + 4, seq);
    ctx.frames.retain(msg);
    this.ring[seq & (this.ringSize - 1)] = msg;
    this.nextSeq = seqAdd(seq, 1);
    this.c.sent++;
    if (this.probeHandle < 0) {
      this.progress = false;
      this.probeHandle = ctx.setTimer(this.index, this.probe, T_PROBE);
    }
    ctx.down(this.index, msg, ALL);
  }

  private retransmit(seq: number, dst: number): void {
    const f = this.ring[seq & (this.ringSize - 1)]!;
    if (f === NO_FRAME) return;
    const ctx = this.ctx;
    ctx.u8[ctx.frames.offset(f) + 1] = NAK_RETX;
    ctx.frames.retain(f);
    this.c.retransmitted++;
    ctx.down(this.index, f, dst);
  }

  /** Member `m` has delivered everything below `cum`: free what every member has. */
  private onAck(m: number, cum: number): void {
    if (!seqGt(cum, this.acked[m]!) || seqGt(cum, this.nextSeq)) return;
    this.acked[m] = cum;
    let low = this.nextSeq;
    for (let i = 0; i < this.acked.length; i++) {
      if (i !== this.ctx.rank && seqLt(this.acked[i]!, low)) low = this.acked[i]!;
    }
    if (!seqGt(low, this.base)) return;
    this.progress = true;
    const frames = this.ctx.frames;
    const mask = this.ringSize - 1;
    while (this.base !== low) {
      const i = this.base & mask;
      frames.release(this.ring[i]!);
      this.ring[i] = NO_FRAME;
      this.base = seqAdd(this.base, 1);
    }
    while (this.blLen > 0 && seqDiff(this.nextSeq, this.base) < this.ringSize) {
      const msg = this.backlog[this.blHead]!;
      this.blHead = this.blHead + 1 === this.backlogLimit ? 0 : this.blHead + 1;
      this.blLen--;
      this.transmitNew(msg);
    }
  }

  // --- receiver ---

  deliver(msg: number, src: number): void {
    const ctx = this.ctx;
    const frames = ctx.frames;
    if (frames.length[msg]! < NAK_LAYER_HEADER_LEN) return this.drop(msg, "badHeader");
    const u8 = ctx.u8;
    const off = frames.offset(msg);
    const type = u8[off]!;
    const count = getU16(u8, off + 2);
    const seq = getU32(u8, off + 4);
    if (type === NakMsg.DATA) {
      frames.pop(msg, NAK_LAYER_HEADER_LEN);
      this.onData(msg, src, seq);
      return;
    }
    frames.release(msg);
    if (type === NakMsg.ACK) {
      this.c.acksReceived++;
      this.onAck(src, seq);
    } else if (type === NakMsg.NAK && count > 0) {
      this.c.naksReceived++;
      const n = Math.min(count, this.ringSize);
      for (let k = 0; k < n; k++) {
        const q = seqAdd(seq, k);
        if (seqGeq(q, this.base) && seqLt(q, this.nextSeq)) this.retransmit(q, src);
      }
    } else {
      this.c.badHeader++;
    }
  }

  private onData(msg: number, src: number, seq: number): void {
    const ctx = this.ctx;
    const w = this.window;
    const exp = this.expected[src]!;
    const d = seqDiff(seq, exp);
    if (d < 0) {
      this.drop(msg, "duplicates");
      this.sendCtl(NakMsg.ACK, src, exp, 0); // the sender is probing or repairing: tell it
      return;
    }
    if (d >= w) return this.drop(msg, "beyondWindow");
    if (seqGeq(seq, this.highest[src]!)) {
      const from = seqGt(this.highest[src]!, exp) ? this.highest[src]! : exp;
      if (seqGt(seq, from)) this.sendCtl(NakMsg.NAK, src, from, seqDiff(seq, from));
      this.highest[src] = seqAdd(seq, 1);
    }
    if (d > 0) {
      const slot = src * w + (seq & (w - 1));
      if (this.reorder[slot] !== NO_FRAME) return this.drop(msg, "duplicates");
      this.reorder[slot] = msg;
      if (this.nakHandle < 0) this.nakHandle = ctx.setTimer(this.index, this.nakRetry, T_NAK);
      return;
    }
    // In order: deliver it and whatever it unblocks.
    let next = seqAdd(exp, 1);
    this.expected[src] = next;
    this.unacked[src]!++;
    this.c.delivered++;
    ctx.up(this.index, msg, src);
    for (;;) {
      const slot = src * w + (next & (w - 1));
      const f = this.reorder[slot]!;
      if (f === NO_FRAME) break;
      this.reorder[slot] = NO_FRAME;
      next = seqAdd(next, 1);
      this.expected[src] = next;
      this.unacked[src]!++;
      this.c.delivered++;
      ctx.up(this.index, f, src);
    }
    if (this.unacked[src]! >= this.ackEvery) this.sendCtl(NakMsg.ACK, src, this.expected[src]!, 0);
    else if (this.ackHandle < 0) this.ackHandle = ctx.setTimer(this.index, this.ackDelay, T_ACK);
  }

  /** Sends a NAK or ACK to member `dst`. */
  private sendCtl(type: number, dst: number, seq: number, count: number): void {
    const ctx = this.ctx;
    let f = ctx.alloc(0);
    if (f === NO_FRAME) {
      this.c.noSlot++;
      return;
    }
    f = ctx.push(f, NAK_LAYER_HEADER_LEN);
    if (f === NO_FRAME) return;
    const u8 = ctx.u8;
    const off = ctx.frames.offset(f);
    u8[off] = type;
    u8[off + 1] = 0;
    putU16(u8, off + 2, Math.min(count, 0xffff));
    putU32(u8, off + 4, seq);
    if (type === NakMsg.ACK) {
      this.unacked[dst] = 0;
      this.c.acksSent++;
    } else {
      this.c.naksSent++;
    }
    ctx.down(this.index, f, dst);
  }

  override timer(arg: number): void {
    const ctx = this.ctx;
    if (arg === T_PROBE) {
      this.probeHandle = -1;
      if (this.base === this.nextSeq) return;
      if (!this.progress) {
        this.c.probes++;
        this.retransmit(seqAdd(this.nextSeq, -1), ALL);
      }
      this.progress = false;
      this.probeHandle = ctx.setTimer(this.index, this.probe, T_PROBE);
    } else if (arg === T_NAK) {
      this.nakHandle = -1;
      let open = false;
      const w = this.window;
      for (let s = 0; s < ctx.members; s++) {
        const exp = this.expected[s]!;
        if (!seqLt(exp, this.highest[s]!)) continue;
        open = true;
        let n = 1;
        while (
          n < w &&
          seqLt(seqAdd(exp, n), this.highest[s]!) &&
          this.reorder[s * w + ((exp + n) & (w - 1))] === NO_FRAME
        )
          n++;
        this.sendCtl(NakMsg.NAK, s, exp, n);
      }
      if (open) this.nakHandle = ctx.setTimer(this.index, this.nakRetry, T_NAK);
    } else if (arg === T_ACK) {
      this.ackHandle = -1;
      for (let s = 0; s < ctx.members; s++) {
        if (this.unacked[s]! > 0) this.sendCtl(NakMsg.ACK, s, this.expected[s]!, 0);
      }
    }
  }

  private drop(msg: number, why: keyof NakCounters): void {
    this.c[why]++;
    this.ctx.frames.release(msg);
  }

  /** Messages sent and not yet acknowledged by every member. */
  get unacknowledged(): number {
    return seqDiff(this.nextSeq, this.base);
  }

  stats(): Record<string, number> {
    return { ...this.c, unacknowledged: this.unacknowledged, backlog: this.blLen };
  }

  override destroy(): void {
    if (this.ctx === undefined) return;
    const frames = this.ctx.frames;
    for (const arr of [this.ring, this.reorder]) {
      for (let i = 0; i < arr.length; i++) {
        if (arr[i]! !== NO_FRAME) frames.release(arr[i]!);
        arr[i] = NO_FRAME;
      }
    }
    while (this.blLen > 0) {
      frames.release(this.backlog[this.blHead]!);
      this.blHead = this.blHead + 1 === this.backlogLimit ? 0 : this.blHead + 1;
      this.blLen--;
    }
    for (const h of [this.probeHandle, this.nakHandle, this.ackHandle]) if (h >= 0) this.ctx.cancelTimer(h);
    this.probeHandle = this.nakHandle = this.ackHandle = -1;
  }
}
