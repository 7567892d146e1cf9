// TcpConnection: one TCP connection of a TcpLayer, the endpoint that owns its parts and runs the
// RFC 9293 state machine (open, segment arrival, close, timer dispatch).
//
// Contract:
// - The parts, created once per connection: TcpSender (tcp-send.ts) with its send buffer,
//   congestion control and SACK recovery, TcpReceiver (tcp-receive.ts), TcpTransmitter
//   (tcp-transmit.ts), TcpTimers (tcp-timers.ts) and the negotiated options (tcp-options.ts).
//   They see this connection only as a TcpEndpoint and the layer only as a TcpLayerPort.
// - Application: write(bytes) / writeGenerated(n) accept what fits below the high-water mark and
//   return the count; when a write was cut short, onWritable fires once the buffer drains to the
//   low-water mark. onData(bytes, offset, length) hands in-order bytes exactly once (the view is
//   valid only during the call); pause()/resume()/read(max) let a slow reader hold them, which
//   shrinks the advertised window. onEnd fires after the peer's FIN and every byte before it;
//   onClose(reason) fires once when the connection is gone ("closed" for an orderly close);
//   onError(reason) before it when the connection failed (reset, timeout, keep-alive, abort).
// - Buffers and the window kernel's record are held from open to CLOSED and released by finish().
// - Nothing from the wire throws: unacceptable segments are counted and answered as RFC 9293
//   says, except that the answer to one without data (and to an ACK of unsent data) goes out
//   at most once per CHALLENGE_ACK_INTERVAL (RFC 5961 section 7's limit, Linux's 500 ms): two
//   ends that disagree about the stream (a spoofed segment) cannot trade ACKs for ever.
//   API misuse (writing after end(), bad options) throws NetloomError.
// - Not handled: urgent data, timestamps/PAWS, D-SACK, ECN, RFC 5961's narrower acceptance
//   tests, path MTU discovery, a FIN-WAIT-2 timeout, data on SYN segments (ignored), SYN cookies.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { seqGt, seqLeq } from "../../kernels/seq.js";
import { TCP_FLAG_ACK, TCP_FLAG_FIN, TCP_FLAG_RST, TCP_FLAG_SYN, type TcpRepr } from "../../wire/tcp.js";
import { TcpCongestion } from "./tcp-congestion.js";
import { NS_PER_MS, TcpNegotiated, initialWindow, type ResolvedTcpOptions } from "./tcp-options.js";
import type { TcpEndpoint, TcpLayerPort } from "./tcp-port.js";
import { Acceptance, Received, TcpReceiver } from "./tcp-receive.js";
import { TcpSackRecovery } from "./tcp-sack.js";
import { AckResult, TcpSender } from "./tcp-send.js";
import { TcpSendBuffer } from "./tcp-send-buffer.js";
import { TcpTimers } from "./tcp-timers.js";
import { TcpTransmitter } from "./tcp-transmit.js";
import {
  CONN_DROP_NAMES,
  ConnDrop,
  type DataListener,
  TCP_STATE_NAMES,
  TcpCounters,
  TcpState,
  type TcpConnectionStats,
  type TcpStateName,
  TcpTimer,
} from "./tcp-types.js";

/** Least time between two challenge ACKs of one connection, ns (Linux: tcp_invalid_ratelimit). */
const CHALLENGE_ACK_INTERVAL = 500 * NS_PER_MS;

/**
 * One connection. State machine (RFC 9293 figure 5; `t` = transition name used in the code):
 *
 *   CLOSED --connect: send SYN--> SYN_SENT --rcv SYN,ACK: send ACK--> ESTABLISHED
 *   LISTEN --rcv SYN: send SYN,ACK--> SYN_RECEIVED --rcv ACK of SYN--> ESTABLISHED
 *   SYN_SENT --rcv SYN (simultaneous open): send SYN,ACK--> SYN_RECEIVED
 *   ESTABLISHED --end(), FIN sent--> FIN_WAIT_1 --ACK of FIN--> FIN_WAIT_2 --rcv FIN--> TIME_WAIT
 *   FIN_WAIT_1 --rcv FIN (simultaneous close)--> CLOSING --ACK of FIN--> TIME_WAIT
 *   ESTABLISHED --rcv FIN--> CLOSE_WAIT --end(), FIN sent--> LAST_ACK --ACK of FIN--> CLOSED
 *   TIME_WAIT --2 MSL--> CLOSED;   any --RST / abort() / timeout / keep-alive failure--> CLOSED
 */
export class TcpConnection implements TcpEndpoint {
  readonly layer: TcpLayerPort;
  /** Slot in the layer's tables and the window kernel's connection index. */
  readonly slot: number;
  readonly localAddress: number;
  readonly localPort: number;
  readonly remoteAddress: number;
  readonly remotePort: number;
  /** Generation of the slot: timers of an earlier connection in the same slot are ignored. */
  readonly gen: number;
  readonly opt: ResolvedTcpOptions;
  /** The listener port this connection was accepted on (-1 for an active open). */
  readonly listenPort: number;

  stateValue: TcpState = TcpState.CLOSED;
  kernelOpen = false;
  /** When the last challenge ACK went out (challengeAck). */
  private lastChallengeAck = -Infinity;
  /** Called by the layer when a passive connection is established. */
  onEstablishedHook: ((c: TcpConnection) => void) | undefined;
  private readonly c = new TcpCounters();
  private readonly drops = new Uint32Array(CONN_DROP_NAMES.length);
  private readonly neg = new TcpNegotiated();
  private readonly timers: TcpTimers;
  private readonly sndBuf: TcpSendBuffer;
  private readonly rcv: TcpReceiver;
  private readonly tx: TcpTransmitter;
  private readonly cc: TcpCongestion;
  private readonly snd: TcpSender;
  // --- handshake ---
  private synSentAt = 0;
  private synRetransmitted = false;
  private synCount = 0;
  private synRto = 0;
  // --- application ---
  private closeCb: ((reason: string) => void) | undefined;
  private errorCb: ((reason: string) => void) | undefined;
  private writableCb: (() => void) | undefined;
  private closedReason: string | undefined;

  constructor(
    layer: TcpLayerPort,
    slot: number,
    gen: number,
    localPort: number,
    remoteAddress: number,
    remotePort: number,
    opt: ResolvedTcpOptions,
    listenPort: number,
  ) {
    this.layer = layer;
    this.slot = slot;
    this.gen = gen;
    this.localAddress = layer.host.ip;
    this.localPort = localPort;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.opt = opt;
    this.listenPort = listenPort;
    const { c, drops, neg } = this;
    this.timers = new TcpTimers(this, layer, opt);
    this.sndBuf = new TcpSendBuffer(layer);
    this.rcv = new TcpReceiver(this, layer, opt, neg, this.timers, c, drops);
    this.tx = new TcpTransmitter(this, layer, opt, neg, this.sndBuf, this.rcv, this.timers, c, drops);
    this.cc = new TcpCongestion();
    const parts = {
      buf: this.sndBuf,
      cc: this.cc,
      sack: new TcpSackRecovery(layer, slot),
      tx: this.tx,
      timers: this.timers,
    };
    this.snd = new TcpSender(this, layer, opt, neg, parts, c, drops);
  }

  // =============================================================================================
  // Public API

  get state(): TcpStateName {
    return TCP_STATE_NAMES[this.stateValue];
  }

  /** Why the connection closed (undefined while open). */
  get closeReason(): string | undefined {
    return this.closedReason;
  }

  /** Sets the data listener; bytes that arrived before it was set are handed over now. */
  onData(cb: DataListener): this {
    this.rcv.dataCb = cb;
    if (!this.rcv.paused && this.rcv.ring !== 0) this.rcv.deliver(Infinity, true);
    return this;
  }
  onEnd(cb: () => void): this {
    this.rcv.endCb = cb;
    return this;
  }
  onClose(cb: (reason: string) => void): this {
    this.closeCb = cb;
    return this;
  }
  onError(cb: (reason: string) => void): this {
    this.errorCb = cb;
    return this;
  }
  onWritable(cb: () => void): this {
    this.writableCb = cb;
    return this;
  }

  /** Bytes the send buffer can take now. */
  get writableBytes(): number {
    return this.sndBuf.cap === 0 ? 0 : this.opt.sendBuffer - this.sndBuf.len;
  }

  /** Bytes written but not yet acknowledged (or not yet sent). */
  get bufferedBytes(): number {
    return this.sndBuf.len;
  }

  /** Received in-order bytes not yet handed to onData (a paused reader's backlog). */
  get readableBytes(): number {
    return (this.rcv.nxt - this.rcv.read) >>> 0;
  }

  /** Copies what fits of bytes[offset, offset + length) into the send buffer; returns the count. */
  write(bytes: Uint8Array, offset = 0, length = bytes.length - offset): number {
    this.checkWritable();
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > bytes.length
    ) {
      throw new NetloomError(
        ErrorCode.OUT_OF_BOUNDS,
        `[${offset}, ${offset + length}) is not inside a ${bytes.length}-byte array`,
        {
          path: "bytes",
        },
      );
    }
    const n = Math.min(length, this.opt.sendBuffer - this.sndBuf.len);
    this.sndBuf.append(bytes, offset, n);
    return this.accepted(n, length);
  }

  /** Writes `length` bytes of the generated pattern (see pattern.ts; keyed by stream offset). */
  writeGenerated(length: number): number {
    this.checkWritable();
    if (!Number.isInteger(length) || length < 0) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(length)} is not a byte count`, { path: "length" });
    }
    const n = Math.min(length, this.opt.sendBuffer - this.sndBuf.len);
    this.sndBuf.appendGenerated(n);
    return this.accepted(n, length);
  }

  /** Half-closes: a FIN follows the buffered data. Idempotent. */
  end(): void {
    const s = this.stateValue;
    if (
      this.snd.finQueued ||
      (s !== TcpState.ESTABLISHED &&
        s !== TcpState.CLOSE_WAIT &&
        s !== TcpState.SYN_RECEIVED &&
        s !== TcpState.SYN_SENT)
    )
      return;
    this.snd.finQueued = true;
    this.output();
  }

  /** Aborts: sends RST (when synchronized) and closes at once. */
  abort(reason = "aborted by the application"): void {
    const s = this.stateValue;
    if (s === TcpState.CLOSED) return;
    if (s !== TcpState.SYN_SENT && s !== TcpState.TIME_WAIT) {
      this.layer.sendRst(this.remoteAddress, this.localPort, this.remotePort, this.snd.nxt, 0, false);
    }
    this.finish(reason, true);
  }

  /** Holds received data in the buffer (the advertised window shrinks as it fills). */
  pause(): void {
    this.rcv.paused = true;
  }

  /** Delivers held data and keeps delivering. */
  resume(): void {
    this.rcv.paused = false;
    this.rcv.deliver(Infinity, true);
  }

  /** Delivers at most `max` held bytes to onData now (while paused); returns how many. */
  read(max: number): number {
    if (!(max >= 0))
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(max)} is not a byte count`, { path: "max" });
    return this.rcv.deliver(max, true);
  }

  stats(): TcpConnectionStats {
    const drops: Record<string, number> = {};
    for (let i = 0; i < CONN_DROP_NAMES.length; i++)
      if (this.drops[i]! > 0) drops[CONN_DROP_NAMES[i]!] = this.drops[i]!;
    let srtt = 0;
    let rto = this.synRto;
    if (this.kernelOpen) {
      const r = this.layer.table.rttState(this.slot);
      srtt = r.hasSample ? Math.floor(r.srtt8 / 8) : 0;
      rto = r.rto;
    }
    return {
      state: this.state,
      ...this.c,
      drops,
      cwnd: this.cc.cwnd,
      ssthresh: this.cc.ssthresh,
      srtt,
      rto,
      peerWindow: this.snd.rwnd,
      mss: this.neg.smss,
      sackEnabled: this.neg.sackOk,
    };
  }

  // =============================================================================================
  // Opening (called by the layer)

  /** CLOSED -> SYN_SENT (t: activeOpen). */
  openActive(iss: number): void {
    this.snd.iss = iss >>> 0;
    this.allocBuffers();
    this.synRto = this.opt.initialRto;
    this.stateValue = TcpState.SYN_SENT;
    this.sendSyn();
    this.timers.armKeepAlive();
  }

  /** LISTEN -> SYN_RECEIVED (t: passiveOpen) for a SYN `r`. */
  openPassive(iss: number, r: TcpRepr): void {
    const snd = this.snd;
    snd.iss = iss >>> 0;
    this.allocBuffers();
    this.synRto = this.opt.initialRto;
    this.neg.takeSynOptions(this.opt, r, this.layer.host.mtu);
    this.rcv.irs = r.seqNumber;
    this.openKernel();
    this.stateValue = TcpState.SYN_RECEIVED;
    snd.wl1 = r.seqNumber;
    snd.wl2 = snd.iss;
    snd.rwnd = snd.maxRwnd = r.window; // never scaled in a SYN (RFC 7323 2.2)
    this.sendSyn();
    this.timers.armKeepAlive();
  }

  // =============================================================================================
  // Segment arrival (RFC 9293 3.10.7). `pay` = absolute index of the payload in `bytes`.

  input(r: TcpRepr, bytes: Uint8Array, pay: number, burst: boolean): void {
    this.c.segmentsReceived++;
    this.timers.lastRx = this.layer.sim.now;
    this.timers.keepProbes = 0;
    const flags = r.flags;
    const s = this.stateValue;
    if (s === TcpState.SYN_SENT) return this.inputSynSent(r);
    if (s === TcpState.CLOSED) return;
    // 1. Sequence acceptability.
    const segLen = r.payloadLength + ((flags & TCP_FLAG_SYN) !== 0 ? 1 : 0) + ((flags & TCP_FLAG_FIN) !== 0 ? 1 : 0);
    const acceptance = this.rcv.acceptance(r.seqNumber, segLen, flags);
    if (acceptance === Acceptance.REJECT) {
      this.drops[ConnDrop.UNACCEPTABLE]!++;
      if ((flags & TCP_FLAG_RST) === 0) {
        if (s === TcpState.TIME_WAIT && (flags & TCP_FLAG_FIN) !== 0) this.timers.armTimeWait();
        // Data (a retransmission) is always answered; a pure ACK or a SYN may be one end of an
        // ACK loop, so its answer is rate-limited (as Linux's tcp_oow_rate_limited).
        if (segLen > 0 && (flags & TCP_FLAG_SYN) === 0) this.sendAck();
        else this.challengeAck();
      }
      return;
    }
    // 2. RST.
    if ((flags & TCP_FLAG_RST) !== 0) {
      if (s === TcpState.SYN_RECEIVED && this.listenPort >= 0) return this.finish("reset during the handshake", false);
      if (s === TcpState.TIME_WAIT || s === TcpState.CLOSING || s === TcpState.LAST_ACK)
        return this.finish("closed", false);
      return this.finish("connection reset by peer", true);
    }
    // 4. SYN in the window: an error (RFC 793; RFC 5961's challenge ACK is not done).
    if ((flags & TCP_FLAG_SYN) !== 0) {
      this.layer.sendRst(this.remoteAddress, this.localPort, this.remotePort, this.snd.nxt, 0, false);
      return this.finish("SYN received in the window: connection reset", true);
    }
    // 5. ACK.
    if ((flags & TCP_FLAG_ACK) === 0) {
      this.drops[ConnDrop.NO_ACK_FLAG]!++;
      return;
    }
    if (s === TcpState.SYN_RECEIVED && !this.ackOfSyn(r)) return;
    if (!this.processAck(r)) return;
    if (acceptance === Acceptance.ACK_ONLY) {
      this.drops[ConnDrop.OUT_OF_WINDOW]!++;
      this.sendAck();
      this.output();
      return;
    }
    // 7. Data and FIN.
    const st = this.stateValue;
    if (
      (r.payloadLength > 0 || (flags & TCP_FLAG_FIN) !== 0) &&
      (st === TcpState.ESTABLISHED || st === TcpState.FIN_WAIT_1 || st === TcpState.FIN_WAIT_2)
    ) {
      this.receiveData(r, bytes, pay, burst);
    } else if ((flags & TCP_FLAG_FIN) !== 0 && st === TcpState.TIME_WAIT) {
      this.timers.armTimeWait();
      this.sendAck();
    }
    if (this.isClosed()) return;
    this.output();
  }

  /** SYN_RECEIVED -> ESTABLISHED (t: synAcked) when `r` acks our SYN. False: stop processing `r`. */
  private ackOfSyn(r: TcpRepr): boolean {
    const ack = r.ackNumber;
    const snd = this.snd;
    if (seqLeq(ack, snd.iss) || seqGt(ack, snd.nxt)) {
      this.drops[ConnDrop.BAD_ACK]!++;
      this.layer.sendRst(this.remoteAddress, this.localPort, this.remotePort, ack, 0, false);
      return false;
    }
    if (!this.synRetransmitted) this.layer.table.rttSample(this.slot, this.layer.sim.now - this.synSentAt);
    snd.retries = 0;
    this.stateValue = TcpState.ESTABLISHED;
    this.timers.rtxDeadline = 0;
    snd.rwnd = snd.maxRwnd = r.window << this.neg.sndScale;
    snd.wl1 = r.seqNumber;
    snd.wl2 = ack;
    const hook = this.onEstablishedHook;
    this.onEstablishedHook = undefined;
    hook?.(this);
    return this.stateValue === TcpState.ESTABLISHED;
  }

  private inputSynSent(r: TcpRepr): void {
    const flags = r.flags;
    const hasAck = (flags & TCP_FLAG_ACK) !== 0;
    const snd = this.snd;
    if (hasAck && r.ackNumber !== (snd.iss + 1) >>> 0) {
      if ((flags & TCP_FLAG_RST) === 0)
        this.layer.sendRst(this.remoteAddress, this.localPort, this.remotePort, r.ackNumber, 0, false);
      this.drops[ConnDrop.BAD_ACK]!++;
      return;
    }
    if ((flags & TCP_FLAG_RST) !== 0) {
      if (hasAck) this.finish("connection refused (RST)", true);
      else this.drops[ConnDrop.NO_ACK_FLAG]!++; // a RST that acks nothing could be anyone's
      return;
    }
    if ((flags & TCP_FLAG_SYN) === 0) {
      this.drops[ConnDrop.NO_SYN]!++;
      return;
    }
    this.neg.takeSynOptions(this.opt, r, this.layer.host.mtu);
    this.rcv.irs = r.seqNumber;
    this.openKernel();
    snd.wl1 = r.seqNumber;
    snd.wl2 = r.ackNumber;
    if (hasAck) {
      if (!this.synRetransmitted) this.layer.table.rttSample(this.slot, this.layer.sim.now - this.synSentAt);
      this.timers.rtxDeadline = 0;
      snd.retries = 0;
      snd.rwnd = snd.maxRwnd = r.window << this.neg.sndScale;
      this.stateValue = TcpState.ESTABLISHED; // t: synAckReceived
      this.sendAck();
      this.output();
    } else {
      // Simultaneous open: t: simultaneousOpen.
      this.stateValue = TcpState.SYN_RECEIVED;
      snd.rwnd = snd.maxRwnd = r.window;
      this.synRetransmitted = true; // no RTT sample from an exchange that crossed
      this.sendSyn();
    }
  }

  /** Step 5 in synchronized states (the sender applies the ACK). False: stop processing the segment. */
  private processAck(r: TcpRepr): boolean {
    const result = this.snd.onAck(r);
    if (result !== AckResult.NEW) return result === AckResult.OLD;
    const snd = this.snd;
    // Writer wake-up at the low-water mark.
    if (snd.writerBlocked && this.sndBuf.len <= this.opt.lowWater && !snd.finQueued) {
      snd.writerBlocked = false;
      this.writableCb?.();
      if (this.isClosed()) return false;
    }
    if (snd.finAcked) {
      const s = this.stateValue;
      if (s === TcpState.FIN_WAIT_1)
        this.stateValue = TcpState.FIN_WAIT_2; // t: finAcked
      else if (s === TcpState.CLOSING) {
        this.enterTimeWait();
        return false;
      } else if (s === TcpState.LAST_ACK) {
        this.finish("closed", false);
        return false;
      }
    }
    return true;
  }

  private receiveData(r: TcpRepr, bytes: Uint8Array, pay: number, burst: boolean): void {
    const received = this.rcv.receive(r, bytes, pay);
    if (this.isClosed()) return;
    if ((received & Received.FIN) !== 0) this.onFinReceived();
    if (this.isClosed()) return;
    this.rcv.ackAfterData(received, burst);
  }

  /** t: finReceived. */
  private onFinReceived(): void {
    const s = this.stateValue;
    if (s === TcpState.ESTABLISHED) this.stateValue = TcpState.CLOSE_WAIT;
    else if (s === TcpState.FIN_WAIT_1) {
      if (this.snd.finAcked) this.enterTimeWait();
      else this.stateValue = TcpState.CLOSING;
    } else if (s === TcpState.FIN_WAIT_2) this.enterTimeWait();
    this.rcv.maybeEnd();
  }

  /** t: timeWait (from FIN_WAIT_2 or CLOSING, or FIN_WAIT_1 with our FIN acked). */
  private enterTimeWait(): void {
    this.stateValue = TcpState.TIME_WAIT;
    this.timers.rtxDeadline = 0;
    this.timers.stopPersist();
    this.rcv.maybeEnd();
    this.timers.armTimeWait();
  }

  // =============================================================================================
  // Output

  /** Sends what congestion, flow control, Nagle and recovery allow; then FIN if due. */
  output(): void {
    this.snd.output();
  }

  /** A pure ACK now (SACK blocks when out-of-order data is held). */
  sendAck(): void {
    if (!this.kernelOpen) return;
    this.c.acksSent++;
    this.tx.transmit(this.snd.nxt, TCP_FLAG_ACK, 0, 0, false, false);
  }

  /** sendAck() unless one went out as a challenge ACK less than CHALLENGE_ACK_INTERVAL ago. */
  challengeAck(): void {
    const now = this.layer.sim.now;
    if (now - this.lastChallengeAck < CHALLENGE_ACK_INTERVAL) return;
    this.lastChallengeAck = now;
    this.sendAck();
  }

  private sendSyn(): void {
    const now = this.layer.sim.now;
    this.synSentAt = now;
    this.synCount++;
    const flags = this.stateValue === TcpState.SYN_SENT ? TCP_FLAG_SYN : TCP_FLAG_SYN | TCP_FLAG_ACK;
    this.tx.transmit(this.snd.iss, flags, 0, 0, true, false);
    this.timers.armRtx(now + this.synRto);
  }

  // =============================================================================================
  // Timers

  handleTimer(kind: number): void {
    const timers = this.timers;
    switch (kind) {
      case TcpTimer.RTX:
        if (timers.rtxDue()) this.onRetransmitTimeout();
        return;
      case TcpTimer.DELACK:
        if (timers.delackDue(this.rcv.ackPending)) this.sendAck();
        return;
      case TcpTimer.PERSIST:
        timers.persistHandle = -1;
        return this.snd.onPersist();
      case TcpTimer.KEEPALIVE:
        timers.keepHandle = -1;
        return this.onKeepAlive();
      case TcpTimer.TIME_WAIT:
        timers.twHandle = -1;
        if (this.stateValue === TcpState.TIME_WAIT) this.finish("closed", false);
        return;
    }
  }

  private onRetransmitTimeout(): void {
    const s = this.stateValue;
    if (s === TcpState.SYN_SENT || s === TcpState.SYN_RECEIVED) {
      if (this.synCount >= this.opt.synRetries) {
        return this.finish(
          `connection timed out: no answer to ${this.synCount} SYN${s === TcpState.SYN_RECEIVED ? "-ACK" : ""} segments`,
          true,
        );
      }
      this.synRetransmitted = true;
      this.synRto = Math.min(this.synRto * 2, this.opt.maxRto);
      this.c.timeouts++;
      this.sendSyn();
      return;
    }
    const snd = this.snd;
    if (snd.nxt === snd.una) return;
    snd.retries++;
    this.c.timeouts++;
    if (snd.retries > this.opt.maxRetries) {
      return this.finish(
        `retransmission timeout: ${this.opt.maxRetries} retransmissions of ${snd.una} went unanswered`,
        true,
      );
    }
    snd.retransmitTimeout();
  }

  private onKeepAlive(): void {
    const o = this.opt;
    const s = this.stateValue;
    if (s === TcpState.CLOSED || s === TcpState.TIME_WAIT) return;
    const timers = this.timers;
    const now = this.layer.sim.now;
    const due = timers.lastRx + o.keepIdle + timers.keepProbes * o.keepInterval;
    if (now < due) {
      timers.scheduleKeepAlive(due - now);
      return;
    }
    if (timers.keepProbes >= o.keepCount) {
      return this.finish(`keep-alive: no answer to ${o.keepCount} probes after ${o.keepIdle} ns idle`, true);
    }
    timers.keepProbes++;
    this.c.keepAliveProbes++;
    if (this.kernelOpen) this.tx.transmit((this.snd.una - 1) >>> 0, TCP_FLAG_ACK, 0, 0, false, false);
    timers.scheduleKeepAlive(o.keepInterval);
  }

  // =============================================================================================
  // Internals

  /** A callback may have closed the connection: re-read the state (defeats TS narrowing). */
  isClosed(): boolean {
    return this.stateValue === TcpState.CLOSED;
  }

  private checkWritable(): void {
    const s = this.stateValue;
    const finQueued = this.snd.finQueued;
    if (
      finQueued ||
      (s !== TcpState.ESTABLISHED &&
        s !== TcpState.CLOSE_WAIT &&
        s !== TcpState.SYN_SENT &&
        s !== TcpState.SYN_RECEIVED)
    ) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `cannot write on a connection in state ${this.state}${finQueued ? " after end()" : ""}`,
        {
          path: "write",
        },
      );
    }
  }

  private accepted(n: number, asked: number): number {
    if (n < asked) this.snd.writerBlocked = true;
    this.output();
    return n;
  }

  /** The SYN exchange is done: the window kernel's record opens with both sequence spaces. */
  private openKernel(): void {
    const snd = this.snd;
    const rcv = this.rcv;
    snd.open();
    rcv.open();
    this.cc.open(initialWindow(this.opt, this.neg.smss), snd.iss);
    this.layer.table.open(this.slot, {
      receiveNext: rcv.nxt,
      receiveWindow: rcv.cap,
      sendNext: snd.nxt,
      sendWindow: 0,
      minRto: this.opt.minRto,
      maxRto: this.opt.maxRto,
      initialRto: this.opt.initialRto,
      granularity: NS_PER_MS,
    });
    this.kernelOpen = true;
  }

  private allocBuffers(): void {
    this.sndBuf.alloc(this.opt.sendBuffer);
    this.rcv.alloc(this.opt.receiveBuffer);
  }

  /** Any state -> CLOSED: timers off, kernel record and buffers released, callbacks. */
  finish(reason: string, error: boolean): void {
    if (this.stateValue === TcpState.CLOSED && this.closedReason !== undefined) return;
    this.stateValue = TcpState.CLOSED;
    this.closedReason = reason;
    this.timers.cancelAll();
    if (this.kernelOpen) {
      this.layer.table.reset(this.slot);
      this.kernelOpen = false;
    }
    this.sndBuf.free();
    this.rcv.free();
    this.layer.release(this);
    if (error) this.errorCb?.(reason);
    this.closeCb?.(reason);
  }
}
