// The send side of one TCP connection: the send sequence space, segmentation and output
// (congestion and flow control, Nagle, sender SWS avoidance, burst trains), the FIN, ack
// processing, retransmission after a timeout and the persist probe.
//
// Contract:
// - Sequence bookkeeping lives in the Wasm window kernel (src/kernels/window.ts), one record per
//   connection: the in-flight ring, the RFC 6298 RTO with backoff. The sender decides what to
//   send and sets the kernel's send window to what may be in flight; windowOnSend() then says
//   whether a range is NEW or a RETRANSMIT.
// - output() sends, in order: retransmissions of lost segments while recovering and the pipe
//   has room, new data, then the FIN once every byte is out. It arms the RTO when something went
//   out and the persist timer when data waits behind a window too small to use.
// - onAck() applies an acceptable segment's ACK (RFC 9293 3.10.7.4 step 5): window update
//   (SND.WL1/WL2), SACK blocks, duplicate-ack counting and fast retransmit (3 duplicate acks or
//   3 SMSS SACKed above a hole), acked bytes, congestion window, RTO. What that means for the
//   state machine (the FIN acked, a writer to wake) is the connection's.
// - Burst trains: segments emitted back to back form trains of at most opt.burstTrain; all but a
//   train's last carry TCP_BURST_BIT, so the receiver acks once per train.

import { seqGeq, seqGt, seqLeq, seqLt } from "../../kernels/seq.js";
import { MAX_WINDOW, SendStatus } from "../../kernels/window.js";
import { TCP_FLAG_ACK, TCP_FLAG_FIN, TCP_FLAG_PSH, TCP_FLAG_SYN, type TcpRepr } from "../../wire/tcp.js";
import type { TcpCongestion } from "./tcp-congestion.js";
import type { ResolvedTcpOptions, TcpNegotiated } from "./tcp-options.js";
import type { TcpEndpoint, TcpLayerPort } from "./tcp-port.js";
import type { TcpSackRecovery } from "./tcp-sack.js";
import type { TcpSendBuffer } from "./tcp-send-buffer.js";
import type { TcpTimers } from "./tcp-timers.js";
import type { TcpTransmitter } from "./tcp-transmit.js";
import { ConnDrop, TcpState, type TcpCounters } from "./tcp-types.js";

/** What onAck() found: STOP (bad ack, answered: drop the segment), OLD (nothing new), NEW data acked. */
export const AckResult = { STOP: 0, OLD: 1, NEW: 2 } as const;

/** The parts a sender works with (created once per connection). */
export interface TcpSenderParts {
  readonly buf: TcpSendBuffer;
  readonly cc: TcpCongestion;
  readonly sack: TcpSackRecovery;
  readonly tx: TcpTransmitter;
  readonly timers: TcpTimers;
}

export class TcpSender {
  /** Initial send sequence number. */
  iss = 0;
  una = 0;
  nxt = 0;
  wl1 = 0;
  wl2 = 0;
  /** Peer's window in bytes (scaled), and the largest seen. */
  rwnd = 0;
  maxRwnd = 0;
  /** Retransmission timeouts in a row. */
  retries = 0;
  /** A write was cut short: onWritable is owed at the low-water mark. */
  writerBlocked = false;
  finQueued = false;
  finSent = false;
  finSeq = 0;
  finAcked = false;
  /** Segments left in the current burst train. */
  private trainLeft = 0;
  /** One output() pass: bytes deemed in the network, and whether anything was sent. */
  private pipe = 0;
  private sentAny = false;
  private readonly ep: TcpEndpoint;
  private readonly port: TcpLayerPort;
  private readonly slot: number;
  private readonly opt: ResolvedTcpOptions;
  private readonly neg: TcpNegotiated;
  private readonly buf: TcpSendBuffer;
  private readonly cc: TcpCongestion;
  private readonly sack: TcpSackRecovery;
  private readonly tx: TcpTransmitter;
  private readonly timers: TcpTimers;
  private readonly c: TcpCounters;
  private readonly drops: Uint32Array;

  constructor(
    ep: TcpEndpoint,
    port: TcpLayerPort,
    opt: ResolvedTcpOptions,
    neg: TcpNegotiated,
    parts: TcpSenderParts,
    c: TcpCounters,
    drops: Uint32Array,
  ) {
    this.ep = ep;
    this.port = port;
    this.slot = ep.slot;
    this.opt = opt;
    this.neg = neg;
    this.buf = parts.buf;
    this.cc = parts.cc;
    this.sack = parts.sack;
    this.tx = parts.tx;
    this.timers = parts.timers;
    this.c = c;
    this.drops = drops;
  }

  /** The SYN exchange is done: the first data byte follows our SYN. */
  open(): void {
    this.una = this.nxt = (this.iss + 1) >>> 0;
  }

  // =============================================================================================
  // Output

  /** Sends what congestion, flow control, Nagle and recovery allow; then the FIN if due. */
  output(): void {
    const s = this.ep.stateValue;
    if (
      s !== TcpState.ESTABLISHED &&
      s !== TcpState.CLOSE_WAIT &&
      s !== TcpState.FIN_WAIT_1 &&
      s !== TcpState.CLOSING &&
      s !== TcpState.LAST_ACK
    ) {
      return;
    }
    const cc = this.cc;
    const port = this.port;
    const recovering = cc.inRecovery || cc.rtoRecovery;
    const flight0 = (this.nxt - this.una) >>> 0;
    const sacked = this.neg.sackOk ? this.sack.sackedBytes() : 0;
    if (recovering) {
      if (seqLt(cc.rtxNext, this.una)) cc.rtxNext = this.una;
      this.pipe = this.sack.estimatePipe(flight0, sacked, cc.rtxNext, this.una, cc.rtoRecovery, cc.recover);
    } else {
      this.pipe = flight0 - sacked;
    }
    this.sentAny = false;
    if (recovering && !this.retransmitLost()) return;
    const dataEnd = (this.una + this.buf.len) >>> 0; // one past the last buffered byte
    const eff = Math.min(this.rwnd, Math.max(0, flight0 + cc.cwnd - this.pipe), MAX_WINDOW);
    port.k.windowSetSendWindow(port.tablePtr, this.slot, eff);
    if (!this.sendNewData(dataEnd, eff)) return;
    if (this.finQueued && !this.finSent && this.nxt === dataEnd) this.sendFin(eff);
    if (this.sentAny && this.timers.rtxDeadline === 0 && this.nxt !== this.una)
      this.timers.armRtx(port.sim.now + port.table.rto(this.slot));
    // A window too small to use, data waiting and nothing in flight: the persist timer probes
    // (it also serves as RFC 1122's SWS override timer).
    if (this.nxt === this.una && (dataEnd !== this.nxt || (this.finQueued && !this.finSent))) this.timers.armPersist();
  }

  /** Output step 1: retransmits lost segments while the pipe has room. False: the connection closed. */
  private retransmitLost(): boolean {
    const cc = this.cc;
    const port = this.port;
    const walker = port.walker;
    const now = port.sim.now;
    while (this.pipe < cc.cwnd) {
      if (!this.sack.nextLost(cc.rtxNext)) break;
      const seq = walker.seq;
      const len = walker.len;
      const status = port.k.windowOnSend(port.tablePtr, this.slot, seq, len, now);
      if (status !== SendStatus.RETRANSMIT) break;
      cc.rtxNext = (seq + len) >>> 0;
      this.c.retransmits++;
      this.sendRange(seq, len, false);
      this.pipe += len;
      this.sentAny = true;
      if (this.ep.isClosed()) return false;
    }
    return true;
  }

  /** Output step 2: new data up to the effective window `eff`. False: the connection closed. */
  private sendNewData(dataEnd: number, eff: number): boolean {
    const port = this.port;
    const now = port.sim.now;
    const smss = this.neg.smss;
    const train = this.opt.burstTrain;
    while (!this.finSent) {
      const unsent = (dataEnd - this.nxt) | 0;
      if (unsent <= 0) break;
      const room = eff - ((this.nxt - this.una) >>> 0);
      let len = Math.min(unsent, smss);
      if (room < len) {
        // Sender SWS avoidance (RFC 1122 4.2.3.4): a part segment only when it is at least half
        // the largest window the peer offered; otherwise wait for acks or the persist timer.
        if (room <= 0 || room < this.maxRwnd >>> 1) break;
        len = room;
      }
      if (len < smss && this.nxt !== this.una && !this.opt.noDelay && !(this.finQueued && len === unsent)) break; // Nagle
      const status = port.k.windowOnSend(port.tablePtr, this.slot, this.nxt, len, now);
      if (status !== SendStatus.NEW) break;
      const seq = this.nxt;
      this.nxt = (seq + len) >>> 0;
      let more = false;
      if (train > 0) {
        if (this.trainLeft <= 0) this.trainLeft = train;
        this.trainLeft--;
        const nextUnsent = (dataEnd - this.nxt) | 0;
        more = this.trainLeft > 0 && nextUnsent >= smss && eff - ((this.nxt - this.una) >>> 0) >= smss;
        if (!more) this.trainLeft = 0;
      }
      this.sendRange(seq, len, more);
      this.sentAny = true;
      if (this.ep.isClosed()) return false;
    }
    return true;
  }

  /** Output step 3: the FIN, once every byte is out (t: close). */
  private sendFin(eff: number): void {
    const port = this.port;
    const k = port.k;
    k.windowSetSendWindow(port.tablePtr, this.slot, Math.max(eff, ((this.nxt - this.una) >>> 0) + 1));
    const status = k.windowOnSend(port.tablePtr, this.slot, this.nxt, 1, port.sim.now);
    if (status !== SendStatus.NEW) return;
    this.finSeq = this.nxt;
    this.finSent = true;
    this.nxt = (this.nxt + 1) >>> 0;
    const ep = this.ep;
    if (ep.stateValue === TcpState.ESTABLISHED || ep.stateValue === TcpState.SYN_RECEIVED)
      ep.stateValue = TcpState.FIN_WAIT_1; // t: close
    else if (ep.stateValue === TcpState.CLOSE_WAIT) ep.stateValue = TcpState.LAST_ACK; // t: close
    this.sendRange(this.finSeq, 1, false);
    this.sentAny = true;
  }

  /** Emits [seq, seq + len) from the send buffer (the FIN if it is the range's last number). */
  private sendRange(seq: number, len: number, burst: boolean): void {
    let flags = TCP_FLAG_ACK;
    let dataLen = len;
    if (this.finSent && (seq + len - 1) >>> 0 === this.finSeq) {
      flags |= TCP_FLAG_FIN;
      dataLen--;
    }
    if (dataLen > 0 && (seq + len) >>> 0 === (this.una + this.buf.len) >>> 0) flags |= TCP_FLAG_PSH;
    this.tx.transmit(seq, flags, dataLen, (seq - this.una) >>> 0, false, burst);
    if (dataLen > 0) {
      this.c.dataSegmentsSent++;
      this.c.bytesSent += dataLen;
    }
  }

  // =============================================================================================
  // Acks

  /**
   * RFC 9293 3.10.7.4 step 5 in synchronized states: the ACK of an acceptable segment. The steps
   * read the ack number from `r`: a sequence number passed to a call V8 does not inline is boxed
   * as a heap number, one allocation per segment.
   */
  onAck(r: TcpRepr): number {
    const ack = r.ackNumber;
    if (seqGt(ack, this.nxt)) {
      // Acks something not yet sent: ack (rate-limited) and drop.
      this.drops[ConnDrop.BAD_ACK]!++;
      this.ep.challengeAck();
      return AckResult.STOP;
    }
    const oldUna = this.una;
    // Window update (SND.WL1/WL2 rule).
    let windowChanged = false;
    if (seqLt(this.wl1, r.seqNumber) || (this.wl1 === r.seqNumber && seqLeq(this.wl2, ack))) {
      const w = Math.min(r.window * (1 << this.neg.sndScale), MAX_WINDOW);
      windowChanged = w !== this.rwnd;
      this.rwnd = w;
      if (w > this.maxRwnd) this.maxRwnd = w;
      this.wl1 = r.seqNumber;
      this.wl2 = ack;
      if (w > 0) this.timers.stopPersist();
    }
    if (!seqGeq(ack, oldUna)) return AckResult.OLD; // old duplicate ack: ignored
    // SACK blocks (only those inside the flight).
    const sackedNew = this.neg.sackOk && r.sackCount > 0 ? this.sack.markBlocks(r, ack, this.nxt) : 0;
    if (seqGt(ack, oldUna)) {
      this.onNewAck(r);
      return AckResult.NEW;
    }
    // Duplicate ack (RFC 5681 section 2): no data, no window change, outstanding data.
    if (
      this.nxt !== this.una &&
      r.payloadLength === 0 &&
      (r.flags & (TCP_FLAG_SYN | TCP_FLAG_FIN)) === 0 &&
      (!windowChanged || sackedNew > 0)
    )
      this.onDuplicateAck();
    return AckResult.OLD;
  }

  /** A duplicate ack counted; fast retransmit (t: fastRetransmit) when it signals a loss. */
  private onDuplicateAck(): void {
    const cc = this.cc;
    cc.dupAcks++;
    this.c.dupAcks++;
    if (!cc.inRecovery && !cc.rtoRecovery && this.lossDetected() && (!cc.recoverLive || seqGt(this.una, cc.recover))) {
      cc.enterRecovery(this.una, this.nxt, this.neg.smss);
      this.c.fastRetransmits++;
    }
  }

  /** Loss is assumed after 3 duplicate acks, or 3 SMSS SACKed above snd.una. */
  private lossDetected(): boolean {
    if (this.cc.dupAcks >= 3) return true;
    return this.neg.sackOk && this.sack.sackedBytes() >= 3 * this.neg.smss;
  }

  /** New data acked: the kernel's flight and RTT sample, the send buffer, cwnd, the RTO (RFC 6298 5.2/5.3). */
  private onNewAck(r: TcpRepr): void {
    const ack = r.ackNumber;
    const port = this.port;
    const now = port.sim.now;
    const acked = port.k.windowOnAck(port.tablePtr, this.slot, ack, 0xffff_ffff, now) >>> 0;
    this.una = ack;
    this.retries = 0;
    this.c.bytesAcked += acked;
    let dataAcked = acked;
    if (this.finSent && seqGt(ack, this.finSeq)) {
      dataAcked--;
      this.finAcked = true;
    }
    this.buf.release(dataAcked);
    this.cc.onNewAck(ack, acked, this.neg.smss);
    if (this.nxt === this.una) this.timers.rtxDeadline = 0;
    else this.timers.armRtx(now + port.table.rto(this.slot));
  }

  // =============================================================================================
  // Timers

  /** RTO with data outstanding (the retry budget is checked by the caller): go back to snd.una. */
  retransmitTimeout(): void {
    const port = this.port;
    port.table.onTimeout(this.slot);
    this.cc.onTimeout(this.una, this.nxt, this.neg.smss);
    this.timers.armRtx(port.sim.now + port.table.rto(this.slot));
    this.output();
  }

  /** Persist timer: data waits behind a closed or too-small window and nothing is in flight. */
  onPersist(): void {
    const timers = this.timers;
    if (this.ep.stateValue === TcpState.CLOSED || this.nxt !== this.una) {
      timers.persistBackoff = 0;
      return;
    }
    if (this.rwnd > 0) {
      // SWS override: send what the window allows, even a small segment.
      const before = this.nxt;
      this.maxRwnd = this.rwnd;
      this.output();
      if (this.nxt !== before) return;
    }
    // Probe with an old sequence number: the peer answers with its current window.
    this.c.windowProbes++;
    this.tx.transmit((this.una - 1) >>> 0, TCP_FLAG_ACK, 0, 0, false, false);
    timers.persistBackoff++;
    timers.armPersist();
  }
}
