// AccelReceiver: the receive side of the accelerator's connection (NAK's receiver, TOTAL's
// order at member 1), the fast delivery path and its post-processing (Birman ch. 18.7.2).
//
// Contract:
// - A received PDU (in the CPU job: interrupt and driver charged) becomes a frame of the stack
//   (LinkBottom.takeFrame), is classified by its connection (accel-headers.ts), parsed and
//   checksummed (charged per byte); drops are counted by reason, never thrown.
// - Fast path: a data frame whose flags and sequence number match the receive prediction is
//   delivered at once (filter, an upcall per message); post-processing (the stateful layers'
//   bookkeeping, ack decisions, the next prediction) is a separate CPU job queued behind what
//   the application did in reaction. A miss (gap, duplicate, retransmission, or a frame before
//   the prediction is ready: notReady) takes the slow path: every layer crossing charged
//   before delivery, predictionMisses.
// - Reliable FIFO: a bounded reorder window (nak.window), NAKs for gaps (at once, then every
//   nakRetry), standalone acks (GOSSIP) after ackEvery deliveries or ackDelay.
// - TOTAL, member 1: a frame's ack is member 0's order point; its own messages are delivered
//   to itself (AccelSender.selfDeliver) once member 0's stream before that point is delivered.
//   State machine: Ready --fast delivery--> PostProcessing --post job done--> Ready.

import { NO_FRAME } from "../../buf/frames.js";
import { seqAdd, seqDiff, seqGt, seqLt } from "../../kernels/seq.js";
import { CpuOp } from "../cost.js";
import { getU16, getU32 } from "../layered/layer.js";
import {
  ACCEL_FILTER_OPS,
  ACCEL_TEMPLATE_OPS,
  type AccelCore,
  type AccelCounters,
  type AccelDropName,
  type AccelGossip,
  EV_POST_RX,
  EV_POST_RX_DONE,
  T_ACK,
  T_NAK,
} from "./accel-core.js";
import { type AccelConnection, PredictedHeader } from "./accel-headers.js";
import type { AccelSender } from "./accel-sender.js";
import { ACCEL_HEADER_LEN, type AccelHeaderRepr, AccelKind, parseAccelHeader } from "./mini-header.js";

/** Drop counters of LinkTake codes and AccelClass codes, by -code. */
const TAKE_DROPS: readonly AccelDropName[] = ["noSlot", "noSlot", "tooLong", "badEtherType"];
const CLASS_DROPS: readonly AccelDropName[] = ["badHeader", "badHeader", "badByteOrder", "badConnId", "unknownCookie"];

export class AccelReceiver implements AccelGossip {
  readonly prediction = new PredictedHeader();
  expected = 0;
  unacked = 0;
  private readonly core: AccelCore;
  private readonly c: AccelCounters;
  private readonly conn: AccelConnection;
  private readonly snd: AccelSender;
  private readonly reorder: Int32Array;
  private readonly windowMask: number;
  private highest = 0;
  private nakHandle = -1;
  private ackHandle = -1;
  /** TOTAL, member 1: order point of the newest GOSSIP frame and the peer sequence it follows. */
  private orderHint = 0;
  private orderHintSeq = 0;

  constructor(core: AccelCore, conn: AccelConnection, snd: AccelSender) {
    this.core = core;
    this.c = core.c;
    this.conn = conn;
    this.snd = snd;
    this.reorder = new Int32Array(core.config.window).fill(NO_FRAME);
    this.windowMask = core.config.window - 1;
    this.prediction.build(0);
  }

  /** JOB_RX: the PDU `handle` (`length` bytes) the link reported. */
  onReceive(handle: number, length: number): void {
    const core = this.core;
    const cpu = core.cpu;
    const frames = core.frames;
    cpu.chargeOp(CpuOp.INTERRUPT);
    cpu.chargeOp(CpuOp.DRIVER);
    const f = core.bottom.takeFrame(handle, length);
    if (f < 0) {
      core.d[TAKE_DROPS[-f]!]++;
      return;
    }
    const u8 = core.u8;
    const wire = frames.length[f]!;
    const skip = this.conn.classify(u8, frames.offset(f), wire);
    if (skip < 0) return core.drop(f, CLASS_DROPS[-skip]!);
    const off = frames.offset(f) + skip;
    const h = parseAccelHeader(u8, off, wire - skip, core.bottom.exactLength);
    if (h === null) return core.drop(f, "badHeader");
    cpu.chargeChecksum(ACCEL_HEADER_LEN + h.length);
    if (core.kernels.internetChecksumAt(off, ACCEL_HEADER_LEN + h.length) !== 0) return core.drop(f, "badChecksum");
    if (this.conn.accept()) this.c.connIdReceived++;
    // From here on the frame is the accelerated header and its body.
    frames.pop(f, skip);
    frames.setLength(f, ACCEL_HEADER_LEN + h.length);
    this.c.framesReceived++;
    if (h.kind === AccelKind.DATA || h.kind === AccelKind.PACKED) return this.onData(f, off, h);
    core.chargeCrossings(core.config.crossCtl);
    frames.release(f);
    if (h.kind === AccelKind.GOSSIP) return this.onGossip(h);
    this.c.naksReceived++;
    this.snd.onNak(h.seq, h.count);
  }

  /** A data frame: the packet filter against the prediction, then the fast or the slow path. */
  private onData(f: number, off: number, h: AccelHeaderRepr): void {
    const core = this.core;
    core.chargeOps(ACCEL_FILTER_OPS);
    const p = this.prediction;
    if (p.ready && p.matches(core.u8, off)) {
      this.c.predictionHits++;
      this.snd.onAck(h.ack);
      this.deliverInOrder(f, h.count, h.ack);
      p.ready = false;
      core.later(EV_POST_RX, 0, 0, 0);
      return;
    }
    this.c.predictionMisses++;
    if (!p.ready) this.c.notReady++;
    core.chargeCrossings(core.config.crossAll);
    this.snd.onAck(h.ack);
    this.onDataSlow(f, h.seq, h.count, h.ack);
    this.ackPolicy();
    p.build(this.expected);
  }

  private onGossip(h: AccelHeaderRepr): void {
    this.c.gossipReceived++;
    this.snd.onAck(h.ack);
    if (this.core.config.follower) {
      this.orderHint = h.ack;
      this.orderHintSeq = h.seq;
      this.applyOrderHint();
    }
    // A gossip frame from beyond what we have means its sender's tail was lost: ask.
    if (seqGt(h.seq, this.highest)) {
      const from = seqGt(this.highest, this.expected) ? this.highest : this.expected;
      this.highest = h.seq;
      this.snd.sendControl(AccelKind.NAK, from, seqDiff(h.seq, from));
      this.armNak();
    }
  }

  /** Slow path of a data frame: duplicates, gaps (NAK), the reorder window, in-order delivery. */
  private onDataSlow(f: number, seq: number, count: number, ack: number): void {
    const frames = this.core.frames;
    const d = seqDiff(seq, this.expected);
    if (d < 0) {
      this.c.duplicates++;
      frames.release(f);
      this.snd.sendControl(AccelKind.GOSSIP, this.snd.nextSeq, 0); // the sender is probing or repairing: tell it
      return;
    }
    if (d + count > this.core.config.window) {
      this.c.beyondWindow++;
      frames.release(f);
      return;
    }
    const end = seqAdd(seq, count);
    if (seqGt(end, this.highest)) {
      const from = seqGt(this.highest, this.expected) ? this.highest : this.expected;
      if (seqGt(seq, from)) this.snd.sendControl(AccelKind.NAK, from, seqDiff(seq, from));
      this.highest = end;
    }
    if (d > 0) {
      const slot = seq & this.windowMask;
      if (this.reorder[slot] !== NO_FRAME) {
        this.c.duplicates++;
        frames.release(f);
        return;
      }
      this.reorder[slot] = f;
      this.armNak();
      return;
    }
    this.deliverInOrder(f, count, ack);
    const u8 = this.core.u8;
    for (;;) {
      const slot = this.expected & this.windowMask;
      const g = this.reorder[slot]!;
      if (g === NO_FRAME) break;
      this.reorder[slot] = NO_FRAME;
      const at = frames.offset(g);
      this.deliverInOrder(g, getU16(u8, at + 2), getU32(u8, at + 8));
    }
  }

  /** Delivers the next frame of the peer's stream (its order point applied first, for TOTAL). */
  private deliverInOrder(f: number, count: number, ack: number): void {
    const core = this.core;
    const follower = core.config.follower;
    if (follower) this.snd.selfDeliver(ack);
    this.expected = seqAdd(this.expected, count);
    if (!seqLt(this.expected, this.highest)) this.highest = this.expected;
    this.unacked += count;
    core.deliverLater(f, core.config.peer, 0, count);
    if (follower) this.applyOrderHint();
  }

  /** TOTAL member 1: a gossip order point applies once the peer's stream before it is delivered. */
  private applyOrderHint(): void {
    if (!seqLt(this.expected, this.orderHintSeq)) this.snd.selfDeliver(this.orderHint);
  }

  /** JOB_POST_RX: the layers' bookkeeping of the delivery, ack decisions, the next prediction. */
  postReceive(): void {
    const core = this.core;
    this.c.postReceiveJobs++;
    core.chargePostProcessing(core.config.crossPost);
    core.chargeOps(ACCEL_TEMPLATE_OPS);
    this.ackPolicy();
    this.prediction.build(this.expected);
    core.later(EV_POST_RX_DONE, 0, 0, 0);
  }

  /** NAK's ack decisions: an ack frame after ackEvery deliveries, else after ackDelay. */
  private ackPolicy(): void {
    const config = this.core.config;
    if (this.unacked >= config.ackEvery) this.snd.sendControl(AccelKind.GOSSIP, this.snd.nextSeq, 0);
    else if (this.unacked > 0 && this.ackHandle < 0) this.ackHandle = this.core.setTimer(config.ackDelay, T_ACK);
  }

  private armNak(): void {
    if (this.nakHandle < 0) this.nakHandle = this.core.setTimer(this.core.config.nakRetry, T_NAK);
  }

  /** T_NAK: asks again for the gap at the head of the reorder window. */
  onNakTimer(): void {
    this.nakHandle = -1;
    if (!seqLt(this.expected, this.highest)) return;
    const window = this.core.config.window;
    let n = 1;
    while (
      n < window &&
      seqLt(seqAdd(this.expected, n), this.highest) &&
      this.reorder[(this.expected + n) & this.windowMask] === NO_FRAME
    )
      n++;
    this.snd.sendControl(AccelKind.NAK, this.expected, n);
    this.armNak();
  }

  /** T_ACK: the ack owed since ackDelay. */
  onAckTimer(): void {
    this.ackHandle = -1;
    if (this.unacked > 0) this.snd.sendControl(AccelKind.GOSSIP, this.snd.nextSeq, 0);
  }

  cancelTimers(): void {
    const scheduler = this.core.sim.scheduler;
    if (this.nakHandle >= 0) scheduler.cancel(this.nakHandle);
    if (this.ackHandle >= 0) scheduler.cancel(this.ackHandle);
    this.nakHandle = this.ackHandle = -1;
  }

  /** Releases the frames of the reorder window. */
  releaseAll(): void {
    const frames = this.core.frames;
    const reorder = this.reorder;
    for (let i = 0; i < reorder.length; i++) {
      if (reorder[i]! !== NO_FRAME) frames.release(reorder[i]!);
      reorder[i] = NO_FRAME;
    }
  }
}
