// AccelSender: the send side of the accelerator's connection (NAK's sender, FC's credit,
// TOTAL's own messages), the fast send path and its post-processing (Birman ch. 18.7.2).
//
// Contract:
// - Fast send: when the send prediction is ready, nothing is backlogged, the window is open
//   and the NIC is free, the packet filter fills the predicted header, the message fields
//   (checksum charged per byte) and the gossip, and the frame goes out (driver charged); its
//   post-processing (the stateful layers' bookkeeping, the next prediction) is a CPU job of
//   its own. Otherwise the message waits in the backlog, sent packed when the post-processing
//   completes, the window opens or the NIC is free (accel-backlog.ts).
// - Window: at most fc.window messages not yet acknowledged, and the retransmit ring
//   (nak.ringSize frames, freed by the peer's cumulative ack). A NAK resends what it names (a
//   clone of the kept frame, RETX set, checksum recomputed and charged; its gossip as first
//   sent: for TOTAL the ack is the frame's place in the order); a probe resends the newest
//   frame after `probe` ns without progress.
// - TOTAL: member 0 delivers its own messages as it sends them; member 1 delivers its own as
//   member 0's order points cover them (selfDeliver), keeping them in the ring until then.
//   State machine: Ready --fast send--> PostProcessing --post job done--> Ready (drain).

import { NO_FRAME } from "../../buf/frames.js";
import { seqAdd, seqDiff, seqGt, seqLt } from "../../kernels/seq.js";
import { CpuOp } from "../cost.js";
import { getU16, getU32, putU16 } from "../layered/layer.js";
import { AccelBacklog } from "./accel-backlog.js";
import {
  ACCEL_FILTER_OPS,
  ACCEL_PACK_OPS,
  ACCEL_TEMPLATE_OPS,
  type AccelCore,
  type AccelCounters,
  type AccelGossip,
  EV_DRAIN,
  EV_POST_SEND,
  EV_POST_SEND_DONE,
  JOB_DRAIN,
  OWN,
  T_PROBE,
} from "./accel-core.js";
import { type AccelConnection, PredictedHeader } from "./accel-headers.js";
import { ACCEL_HEADER_LEN, ACCEL_RETX, AccelKind, emitAccelHeader } from "./mini-header.js";

const NO_GOSSIP: AccelGossip = { expected: 0, unacked: 0 };

export class AccelSender {
  readonly backlog: AccelBacklog;
  readonly prediction = new PredictedHeader();
  /** The receive side, whose cumulative ack every frame carries (bound by the facade). */
  gossip: AccelGossip = NO_GOSSIP;
  private readonly core: AccelCore;
  private readonly c: AccelCounters;
  private readonly conn: AccelConnection;
  private readonly ring: Int32Array;
  private readonly ringMask: number;
  private seqNext = 0;
  /** Every message below `acked` was delivered by the peer (gossip). */
  private acked = 0;
  /** Ring slots below `base` are free. */
  private base = 0;
  private drainQueued = false;
  private probeHandle = -1;
  private progress = false;
  /** TOTAL, member 1: own messages below this were delivered to ourselves. */
  private selfNext = 0;

  constructor(core: AccelCore, conn: AccelConnection) {
    this.core = core;
    this.c = core.c;
    this.conn = conn;
    this.backlog = new AccelBacklog(core);
    this.ring = new Int32Array(core.config.ringSize).fill(NO_FRAME);
    this.ringMask = core.config.ringSize - 1;
    this.prediction.build(0);
  }

  /** Sequence number of the next message sent. */
  get nextSeq(): number {
    return this.seqNext;
  }

  /** Messages sent and not yet acknowledged by the peer. */
  get unacknowledged(): number {
    return seqDiff(this.seqNext, this.acked);
  }

  /** JOB_SEND: the application's message `msg`. */
  onAppSend(msg: number): void {
    const core = this.core;
    this.c.sent++;
    core.chargeOps(ACCEL_FILTER_OPS);
    if (this.backlog.length === 0 && this.prediction.ready && this.room() > 0 && !this.nicBusy()) {
      this.transmitData(msg, 1);
      return;
    }
    if (!this.backlog.push(msg)) {
      this.c.backlogDrops++;
      core.frames.release(msg);
      return;
    }
    this.c.backlogged++;
    if (this.prediction.ready) this.wakeDrain();
  }

  /** Messages the window (FC credit, retransmit ring) lets go now. */
  private room(): number {
    const out = seqDiff(this.seqNext, this.acked);
    const ring = this.core.config.ringSize - seqDiff(this.seqNext, this.base);
    return Math.max(0, Math.min(this.core.config.fcWindow - out, ring));
  }

  /** Cells of earlier PDUs still wait in the transmitter (ATM; the backlog packs meanwhile). */
  private nicBusy(): boolean {
    return this.core.bottom.txBusyUntil() > this.core.now;
  }

  /** Queues a drain job when the backlog can move (or an event for when the NIC is free). */
  wakeDrain(): void {
    if (this.drainQueued || this.backlog.length === 0 || !this.prediction.ready || this.room() === 0) return;
    const core = this.core;
    this.drainQueued = true;
    if (this.nicBusy()) {
      core.sim.scheduler.scheduleAt(core.id, core.bottom.txBusyUntil(), core.id, EV_DRAIN, 0, 0, 0);
    } else if (!core.cpu.submit(core.client, JOB_DRAIN, 0, 0)) {
      core.retry(EV_DRAIN, 0);
    }
  }

  /** JOB_DRAIN: the packet filter, then the backlog's next frame. */
  onDrainJob(): void {
    this.drainQueued = false;
    this.core.chargeOps(ACCEL_FILTER_OPS);
    this.drain();
  }

  /** EV_DRAIN: the NIC is free, or the CPU queue may have room again. */
  onDrainEvent(): void {
    this.drainQueued = false;
    this.wakeDrain();
  }

  /** A queued drain job was dropped (the stack is destroyed). */
  dropDrainJob(): void {
    this.drainQueued = false;
  }

  private drain(): void {
    if (this.backlog.length === 0 || !this.prediction.ready) return;
    const room = this.room();
    if (room === 0) return;
    if (this.nicBusy()) return this.wakeDrain();
    const body = this.backlog.next(room);
    if (body !== NO_FRAME) this.transmitData(body, this.backlog.count);
  }

  /**
   * The fast send of `body` (one message, or `count` packed): predicted header, message fields,
   * gossip, mini-header; kept in the ring; to the NIC; post-processing queued.
   */
  private transmitData(body: number, count: number): void {
    const core = this.core;
    const seq = this.seqNext;
    // The prediction the post-processing prepared; a stale one would be a bug of this module.
    if (this.prediction.seq !== seq) this.prediction.build(seq);
    const f = this.wrap(body, count === 1 ? AccelKind.DATA : AccelKind.PACKED, count, seq);
    this.seqNext = seqAdd(seq, count);
    const frames = core.frames;
    for (let k = 0; k < count; k++) {
      frames.retain(f);
      this.ring[seqAdd(seq, k) & this.ringMask] = f;
    }
    if (this.probeHandle < 0) {
      this.progress = false;
      this.probeHandle = core.setTimer(core.config.probe, T_PROBE);
    }
    core.cpu.chargeOp(CpuOp.DRIVER);
    this.c.fastSends++;
    core.transmit(f);
    // TOTAL: the sequencer's own messages take their place in the order as they are sent.
    if (core.config.total && core.config.rank === 0) {
      frames.retain(f);
      core.deliverLater(f, core.config.rank, OWN, count);
    }
    this.prediction.ready = false;
    core.later(EV_POST_SEND, count, 0, 0);
  }

  /**
   * Puts the accelerated header (kind, flags, count, seq, gossip, length, checksum), the
   * connection identification while the peer may not know our cookie, the mini-header and
   * the link header in front of `f`'s bytes. Charges the checksum. Returns the frame.
   */
  private wrap(f: number, kind: number, count: number, seq: number): number {
    const core = this.core;
    const frames = core.frames;
    const u8 = core.u8;
    const bodyLen = frames.length[f]!;
    const off = frames.push(f, ACCEL_HEADER_LEN);
    const ack = this.gossip.expected;
    emitAccelHeader(u8, off, { kind, flags: 0, count, seq, ack, length: bodyLen, checksum: 0 });
    putU16(u8, off + 14, core.kernels.internetChecksumAt(off, ACCEL_HEADER_LEN + bodyLen));
    core.cpu.chargeChecksum(ACCEL_HEADER_LEN + bodyLen);
    // The gossip carries the ack: nothing is owed any more.
    this.gossip.unacked = 0;
    if (this.conn.push(u8, frames, f)) this.c.connIdSent++;
    core.bottom.pushHeader(f, 0);
    this.c.framesSent++;
    return f;
  }

  /** JOB_POST_SEND: the layers' bookkeeping of the frame just sent, then the next prediction. */
  postSend(count: number): void {
    const core = this.core;
    this.c.postSendJobs++;
    core.chargePostProcessing(core.config.crossPost);
    core.chargeOps(ACCEL_PACK_OPS * (count - 1) + ACCEL_TEMPLATE_OPS);
    this.prediction.build(this.seqNext);
    core.later(EV_POST_SEND_DONE, 0, 0, 0);
  }

  /** EV_POST_SEND_DONE: the prediction is ready; the backlog may go. */
  onPostSendDone(): void {
    this.prediction.ready = true;
    this.wakeDrain();
  }

  /** A standalone GOSSIP (ack / order point) or NAK frame; slow path (control) costs. */
  sendControl(kind: number, seq: number, count: number): void {
    const core = this.core;
    const f = core.frames.alloc(core.headroom, core.now);
    if (f === NO_FRAME) {
      core.d.noSlot++;
      return;
    }
    core.chargeCrossings(core.config.crossCtl);
    this.wrap(f, kind, count, seq);
    core.cpu.chargeOp(CpuOp.DRIVER);
    if (kind === AccelKind.NAK) this.c.naksSent++;
    else this.c.gossipSent++;
    core.transmit(f);
  }

  /** The peer's NAK: resends the kept frames of messages [seq, seq + count) still in the ring. */
  onNak(seq: number, count: number): void {
    const n = Math.min(count, this.core.config.ringSize);
    let last = NO_FRAME;
    for (let k = 0; k < n; k++) {
      const q = seqAdd(seq, k);
      if (!seqLt(q, this.seqNext) || seqLt(q, this.base)) continue;
      const kept = this.ring[q & this.ringMask]!;
      if (kept === last) continue; // one packed frame covers several
      last = kept;
      this.retransmit(q);
    }
  }

  private retransmit(seq: number): void {
    const core = this.core;
    const kept = this.ring[seq & this.ringMask]!;
    if (kept === NO_FRAME) return;
    const f = core.frames.clone(kept);
    if (f === NO_FRAME) {
      core.d.noSlot++;
      return;
    }
    const u8 = core.u8;
    const at = core.ownAccelAt(f);
    const len = getU16(u8, at + 12);
    // The gossip stays as sent: for TOTAL it is the frame's place in the order, not just an ack.
    u8[at + 1] = ACCEL_RETX;
    putU16(u8, at + 14, 0);
    putU16(u8, at + 14, core.kernels.internetChecksumAt(at, ACCEL_HEADER_LEN + len));
    core.chargeCrossings(core.config.crossCtl);
    core.cpu.chargeChecksum(ACCEL_HEADER_LEN + len);
    core.cpu.chargeOp(CpuOp.DRIVER);
    this.c.retransmitted++;
    this.c.framesSent++;
    core.transmit(f);
  }

  /** T_PROBE: resends the newest frame when nothing moved for a probe period. */
  onProbe(): void {
    const core = this.core;
    this.probeHandle = -1;
    if (this.acked === this.seqNext) return;
    if (!this.progress) {
      this.c.probes++;
      this.retransmit(seqAdd(this.seqNext, -1));
    }
    this.progress = false;
    this.probeHandle = core.setTimer(core.config.probe, T_PROBE);
  }

  /** The peer delivered everything below `ack` (gossip): window, ring, TOTAL's order. */
  onAck(ack: number): void {
    if (!seqGt(ack, this.acked) || seqGt(ack, this.seqNext)) return;
    this.acked = ack;
    this.progress = true;
    this.conn.peerHasCookie = true;
    this.releaseRing();
    this.wakeDrain();
  }

  /**
   * Frees ring slots the peer acknowledged. TOTAL, member 1: our own messages stay until we
   * delivered them to ourselves, which happens in the sequencer's order (selfDeliver), not
   * when an ack arrives (an ack may come ahead of sequencer messages still missing).
   */
  private releaseRing(): void {
    const limit = this.core.config.follower && seqLt(this.selfNext, this.acked) ? this.selfNext : this.acked;
    const frames = this.core.frames;
    while (seqLt(this.base, limit)) {
      const i = this.base & this.ringMask;
      frames.release(this.ring[i]!);
      this.ring[i] = NO_FRAME;
      this.base = seqAdd(this.base, 1);
    }
  }

  /** TOTAL member 1: delivers own messages [selfNext, upTo) to ourselves, in order. */
  selfDeliver(upTo: number): void {
    const core = this.core;
    if (seqGt(upTo, this.acked)) upTo = this.acked;
    while (seqLt(this.selfNext, upTo)) {
      const q = this.selfNext;
      const f = this.ring[q & this.ringMask]!;
      if (f === NO_FRAME) {
        this.selfNext = seqAdd(q, 1);
        continue;
      }
      const at = core.ownAccelAt(f);
      const first = getU32(core.u8, at + 4);
      const count = getU16(core.u8, at + 2);
      const idx = seqDiff(q, first);
      const n = Math.min(count - idx, seqDiff(upTo, q));
      core.frames.retain(f);
      core.deliverLater(f, core.config.rank, OWN | idx, n);
      this.c.selfDelivered += n;
      this.selfNext = seqAdd(q, n);
    }
    this.releaseRing();
    this.wakeDrain();
  }

  cancelTimer(): void {
    if (this.probeHandle >= 0) this.core.sim.scheduler.cancel(this.probeHandle);
    this.probeHandle = -1;
  }

  /** Releases the frames of the retransmit ring. */
  releaseAll(): void {
    const frames = this.core.frames;
    const ring = this.ring;
    for (let i = 0; i < ring.length; i++) {
      if (ring[i]! !== NO_FRAME) frames.release(ring[i]!);
      ring[i] = NO_FRAME;
    }
  }
}
