// TcpConnection: one TCP connection (RFC 9293 / 793 state machine) of a TcpLayer.
//
// Contract:
// - Sequence bookkeeping lives in the Wasm window kernel (src/kernels/window.ts), one record per
//   connection: the in-flight ring (SACK marks, Karn's rule), the RFC 6298 RTO with backoff, and
//   the received ranges beyond rcv.nxt. The connection decides what to send (congestion control,
//   flow control, Nagle, SWS avoidance) and sets the kernel's send window to what may be in
//   flight; it reads the kernel's state through WindowPeek/RingWalker (read-only) on recovery.
// - Buffers are rings in the shared Wasm heap, allocated when the connection opens and freed
//   when it closes: the send ring holds [snd.una, written) (unacked and unsent bytes), the
//   receive ring holds the undelivered in-order bytes and room for out-of-order ones up to the
//   advertised window. Bytes move ring <-> frame with rt.copy (the memCopy kernel): no
//   allocation per segment.
// - Application: write(bytes) / writeGenerated(n) accept what fits below the high-water mark and
//   return the count; when a write was cut short, onWritable fires once the buffer drains to the
//   low-water mark. onData(bytes, offset, length) hands in-order bytes exactly once (the view is
//   valid only during the call); pause()/resume()/read(max) let a slow reader hold them, which
//   shrinks the advertised window. onEnd fires after the peer's FIN and every byte before it;
//   onClose(reason) fires once when the connection is gone ("closed" for an orderly close);
//   onError(reason) before it when the connection failed (reset, timeout, keep-alive, abort).
// - Sending: SYN/SYN-ACK carry MSS, window scale (RFC 7323) and SACK-permitted (RFC 2018). Data
//   segments carry no options; pure ACKs carry up to 4 SACK blocks, most recent first. Slow
//   start with RFC 3465 byte counting (L = 2 SMSS), congestion avoidance, fast retransmit on 3
//   duplicate acks or on 3 SMSS SACKed above a hole, then SACK-guided recovery that counts the
//   pipe (RFC 6675, simplified) and ends NewReno-style at `recover` (RFC 6582); partial acks
//   retransmit the next hole. An RTO sets cwnd to 1 SMSS and walks the in-flight ring again.
// - Receiving: acceptability test of RFC 9293 3.10.7.4; out-of-order or hole-filling segments
//   are acked at once (RFC 5681 4.2), in-order ones every `ackEvery` full segments or after the
//   delayed-ack time; data we send piggybacks the ack.
// - Burst trains (option `burst`): the segments a sender emits back to back form trains of at
//   most `train` segments; every segment but a train's last carries TCP_BURST_BIT (0x08 of
//   header byte 12, a reserved bit: netloom's own convention, not a standard). A receiver that
//   sees the bit on holds its ack until the train's last segment or the delayed-ack timer: one
//   ack per train.
// - Timers are events of the TcpLayer (kind = timer, a = connection slot, b = generation) and
//   lazy: a timer pushed back (the RTO on every ack) moves a deadline, and the pending event
//   re-arms itself when it fires early, so the hot path does not cancel and reschedule.
// - Nothing from the wire throws: unacceptable segments are counted and answered as RFC 9293
//   says. API misuse (writing after end(), bad options) throws NetloomError.
// - Not handled: urgent data, timestamps/PAWS, D-SACK, ECN, RFC 5961 challenge acks, path MTU
//   discovery, a FIN-WAIT-2 timeout, data on SYN segments (ignored), SYN cookies.
//
// State machine (RFC 9293 figure 5; `t` = transition name used in the code):
//
//   CLOSED --connect: send SYN--> SYN_SENT --rcv SYN,ACK: send ACK--> ESTABLISHED
//   LISTEN --rcv SYN: send SYN,ACK--> SYN_RECEIVED --rcv ACK of SYN--> ESTABLISHED
//   SYN_SENT --rcv SYN (simultaneous open): send SYN,ACK--> SYN_RECEIVED
//   ESTABLISHED --end(), FIN sent--> FIN_WAIT_1 --ACK of FIN--> FIN_WAIT_2 --rcv FIN--> TIME_WAIT
//   FIN_WAIT_1 --rcv FIN (simultaneous close)--> CLOSING --ACK of FIN--> TIME_WAIT
//   ESTABLISHED --rcv FIN--> CLOSE_WAIT --end(), FIN sent--> LAST_ACK --ACK of FIN--> CLOSED
//   TIME_WAIT --2 MSL--> CLOSED;   any --RST / abort() / timeout / keep-alive failure--> CLOSED

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { NO_FRAME } from "../../buf/frames.js";
import { seqGeq, seqGt, seqLeq, seqLt } from "../../kernels/seq.js";
import { MAX_WINDOW, MarkStatus, SendStatus } from "../../kernels/window.js";
import {
  TCP_FLAG_ACK,
  TCP_FLAG_FIN,
  TCP_FLAG_PSH,
  TCP_FLAG_RST,
  TCP_FLAG_SYN,
  TCP_MAX_WINDOW_SCALE,
  emitTcp,
  tcpHeaderLength,
  type TcpRepr,
} from "../../wire/tcp.js";
import { PATTERN_PERIOD, PATTERN_SLACK } from "./pattern.js";
import { NS_PER_MS, type ResolvedTcpOptions } from "./tcp-options.js";
import type { TcpLayerPort } from "./tcp-port.js";
import {
  CONN_DROP_NAMES,
  ConnDrop,
  type DataListener,
  TCP_BURST_BIT,
  TCP_STATE_NAMES,
  TcpCounters,
  TcpState,
  type TcpConnectionStats,
  type TcpStateName,
  TcpTimer,
} from "./tcp-types.js";

export class TcpConnection {
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
  // --- sequence space ---
  private iss = 0;
  private irs = 0;
  private kernelOpen = false;
  private una = 0;
  private nxt = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  /** Peer's window in bytes (scaled), and the largest seen. */
  private rwnd = 0;
  private maxRwnd = 0;
  private sndScale = 0;
  private rcvScale = 0;
  private sackOk = false;
  private smss = 536;
  // --- congestion control ---
  private cwnd = 0;
  private ssthresh = MAX_WINDOW;
  private caAcc = 0;
  private inRecovery = false;
  private rtoRecovery = false;
  private recover = 0;
  /** `recover` marks a recovery not yet passed (a stale one must not compare across 2^31). */
  private recoverLive = false;
  private rtxNext = 0;
  private dupAcks = 0;
  private retries = 0;
  // --- send buffer ---
  private sndRing = 0;
  private sndCap = 0;
  /** Ring index of the byte at snd.una. */
  private sndHead = 0;
  /** Bytes in the ring: [snd.una, snd.una + sndLen). */
  private sndLen = 0;
  /** Data bytes ever written (the generated pattern is keyed by this stream offset). */
  private written = 0;
  /**
   * Every byte written so far came from writeGenerated(): the send ring's bytes are then not
   * stored (they are a function of the stream offset) and transmit() copies them from the
   * pattern straight into the segment, one copy instead of two. The first write() of real
   * bytes fills the ring with what it holds and ends this mode.
   */
  private generatedOnly = true;
  private writerBlocked = false;
  private finQueued = false;
  private finSent = false;
  private finSeq = 0;
  private finAcked = false;
  // --- receive buffer ---
  private rcvRing = 0;
  private rcvCap = 0;
  private rcvHead = 0;
  /** Sequence number of the first undelivered byte, and rcv.nxt (the kernel's ack point). */
  private rcvRead = 0;
  private rcvNxt = 0;
  private rcvFinSeq = 0;
  private rcvFinSeen = false;
  private finReceived = false;
  private endDelivered = false;
  private paused = false;
  private advRight = 0;
  private ackPending = 0;
  // --- handshake ---
  private synSentAt = 0;
  private synRetransmitted = false;
  private synCount = 0;
  private synRto = 0;
  // --- timers (handles -1 = none pending; deadlines 0 = off) ---
  private rtxHandle = -1;
  private rtxEventAt = 0;
  private rtxDeadline = 0;
  private delackHandle = -1;
  private delackDeadline = 0;
  private persistHandle = -1;
  private persistBackoff = 0;
  private keepHandle = -1;
  private lastRx = 0;
  private keepProbes = 0;
  private twHandle = -1;
  private trainLeft = 0;
  private trainHeld = false;
  private wsAgreed = false;
  // --- application ---
  private dataCb: DataListener | undefined;
  private endCb: (() => void) | undefined;
  private closeCb: ((reason: string) => void) | undefined;
  private errorCb: ((reason: string) => void) | undefined;
  private writableCb: (() => void) | undefined;
  private closedReason: string | undefined;
  /** Called by the layer when a passive connection is established. */
  onEstablishedHook: ((c: TcpConnection) => void) | undefined;
  // --- counters ---
  private c = new TcpCounters();
  private readonly drops = new Uint32Array(CONN_DROP_NAMES.length);

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
    this.dataCb = cb;
    if (!this.paused && this.rcvRing !== 0) this.deliver(Infinity, true);
    return this;
  }
  onEnd(cb: () => void): this {
    this.endCb = cb;
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
    return this.sndCap === 0 ? 0 : this.opt.sendBuffer - this.sndLen;
  }

  /** Bytes written but not yet acknowledged (or not yet sent). */
  get bufferedBytes(): number {
    return this.sndLen;
  }

  /** Received in-order bytes not yet handed to onData (a paused reader's backlog). */
  get readableBytes(): number {
    return (this.rcvNxt - this.rcvRead) >>> 0;
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
    const n = Math.min(length, this.opt.sendBuffer - this.sndLen);
    if (this.generatedOnly) this.materializeGenerated();
    const u8 = this.layer.u8;
    let done = 0;
    while (done < n) {
      const at = (this.sndHead + this.sndLen + done) % this.sndCap;
      const chunk = Math.min(n - done, this.sndCap - at);
      u8.set(bytes.subarray(offset + done, offset + done + chunk), this.sndRing + at);
      done += chunk;
    }
    return this.accepted(n, length);
  }

  /** Leaves generated-only mode: writes the pattern bytes the ring stands for into it. */
  private materializeGenerated(): void {
    this.generatedOnly = false;
    this.copyPattern(this.written - this.sndLen, this.sndLen, this.sndHead);
  }

  /** Copies `n` pattern bytes from stream offset `from` into the send ring at `at`. */
  private copyPattern(from: number, n: number, at: number): void {
    const rt = this.layer.rt;
    let done = 0;
    while (done < n) {
      const pos = (at + done) % this.sndCap;
      const p = (from + done) % PATTERN_PERIOD;
      const chunk = Math.min(n - done, this.sndCap - pos, PATTERN_SLACK);
      const pat = this.layer.patternPtr;
      rt.copy(this.sndRing + pos, pat + p, chunk);
      done += chunk;
    }
  }

  /** Writes `length` bytes of the generated pattern (see pattern.ts; keyed by stream offset). */
  writeGenerated(length: number): number {
    this.checkWritable();
    if (!Number.isInteger(length) || length < 0) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(length)} is not a byte count`, { path: "length" });
    }
    const n = Math.min(length, this.opt.sendBuffer - this.sndLen);
    if (!this.generatedOnly) this.copyPattern(this.written, n, this.sndHead + this.sndLen);
    return this.accepted(n, length);
  }

  /** Half-closes: a FIN follows the buffered data. Idempotent. */
  end(): void {
    const s = this.stateValue;
    if (
      this.finQueued ||
      (s !== TcpState.ESTABLISHED &&
        s !== TcpState.CLOSE_WAIT &&
        s !== TcpState.SYN_RECEIVED &&
        s !== TcpState.SYN_SENT)
    )
      return;
    this.finQueued = true;
    this.output();
  }

  /** Aborts: sends RST (when synchronized) and closes at once. */
  abort(reason = "aborted by the application"): void {
    const s = this.stateValue;
    if (s === TcpState.CLOSED) return;
    if (s !== TcpState.SYN_SENT && s !== TcpState.TIME_WAIT) {
      this.layer.sendRst(this.remoteAddress, this.localPort, this.remotePort, this.nxt, 0, false);
    }
    this.finish(reason, true);
  }

  /** Holds received data in the buffer (the advertised window shrinks as it fills). */
  pause(): void {
    this.paused = true;
  }

  /** Delivers held data and keeps delivering. */
  resume(): void {
    this.paused = false;
    this.deliver(Infinity, true);
  }

  /** Delivers at most `max` held bytes to onData now (while paused); returns how many. */
  read(max: number): number {
    if (!(max >= 0))
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(max)} is not a byte count`, { path: "max" });
    return this.deliver(max, true);
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
      cwnd: this.cwnd,
      ssthresh: this.ssthresh,
      srtt,
      rto,
      peerWindow: this.rwnd,
      mss: this.smss,
      sackEnabled: this.sackOk,
    };
  }

  // =============================================================================================
  // Opening (called by the layer)

  /** CLOSED -> SYN_SENT (t: activeOpen). */
  openActive(iss: number): void {
    this.iss = iss >>> 0;
    this.allocBuffers();
    this.synRto = this.opt.initialRto;
    this.stateValue = TcpState.SYN_SENT;
    this.sendSyn();
    this.armKeepAlive();
  }

  /** LISTEN -> SYN_RECEIVED (t: passiveOpen) for a SYN `r`. */
  openPassive(iss: number, r: TcpRepr): void {
    this.iss = iss >>> 0;
    this.allocBuffers();
    this.synRto = this.opt.initialRto;
    this.takeSynOptions(r);
    this.irs = r.seqNumber;
    this.openKernel();
    this.stateValue = TcpState.SYN_RECEIVED;
    this.sndWl1 = r.seqNumber;
    this.sndWl2 = this.iss;
    this.rwnd = this.maxRwnd = r.window; // never scaled in a SYN (RFC 7323 2.2)
    this.sendSyn();
    this.armKeepAlive();
  }

  // =============================================================================================
  // Segment arrival (RFC 9293 3.10.7). `pay` = absolute index of the payload in `bytes`.

  input(r: TcpRepr, bytes: Uint8Array, pay: number, burst: boolean): void {
    this.c.segmentsReceived++;
    this.lastRx = this.layer.sim.now;
    this.keepProbes = 0;
    const flags = r.flags;
    const s = this.stateValue;
    if (s === TcpState.SYN_SENT) return this.inputSynSent(r);
    if (s === TcpState.CLOSED) return;

    // 1. Sequence acceptability.
    const segLen = r.payloadLength + ((flags & TCP_FLAG_SYN) !== 0 ? 1 : 0) + ((flags & TCP_FLAG_FIN) !== 0 ? 1 : 0);
    const seq = r.seqNumber;
    const wnd = this.rcvCap - ((this.rcvNxt - this.rcvRead) >>> 0);
    const rn = this.rcvNxt;
    let ok: boolean;
    if (segLen === 0) ok = wnd === 0 ? seq === rn : seqLeq(rn, seq) && seqLt(seq, rn + wnd);
    else if (wnd === 0) ok = false;
    else {
      const last = (seq + segLen - 1) >>> 0;
      ok = (seqLeq(rn, seq) && seqLt(seq, rn + wnd)) || (seqLeq(rn, last) && seqLt(last, rn + wnd));
    }
    // A zero window refuses data, but its ACK and window still count (RFC 9293 3.10.7.4).
    const ackOnly = !ok && wnd === 0 && seq === rn && (flags & (TCP_FLAG_RST | TCP_FLAG_SYN)) === 0;
    if (!ok && !ackOnly) {
      this.drops[ConnDrop.UNACCEPTABLE]!++;
      if ((flags & TCP_FLAG_RST) === 0) {
        if (s === TcpState.TIME_WAIT && (flags & TCP_FLAG_FIN) !== 0) this.armTimeWait();
        this.sendAck();
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
      this.layer.sendRst(this.remoteAddress, this.localPort, this.remotePort, this.nxt, 0, false);
      return this.finish("SYN received in the window: connection reset", true);
    }
    // 5. ACK.
    if ((flags & TCP_FLAG_ACK) === 0) {
      this.drops[ConnDrop.NO_ACK_FLAG]!++;
      return;
    }
    const ack = r.ackNumber;
    if (s === TcpState.SYN_RECEIVED) {
      if (seqLeq(ack, this.iss) || seqGt(ack, this.nxt)) {
        this.drops[ConnDrop.BAD_ACK]!++;
        this.layer.sendRst(this.remoteAddress, this.localPort, this.remotePort, ack, 0, false);
        return;
      }
      if (!this.synRetransmitted) this.layer.table.rttSample(this.slot, this.layer.sim.now - this.synSentAt);
      this.retries = 0;
      this.stateValue = TcpState.ESTABLISHED; // t: synAcked
      this.rtxDeadline = 0;
      this.rwnd = this.maxRwnd = r.window << this.sndScale;
      this.sndWl1 = seq;
      this.sndWl2 = ack;
      const hook = this.onEstablishedHook;
      this.onEstablishedHook = undefined;
      hook?.(this);
      if (this.stateValue !== TcpState.ESTABLISHED) return;
    }
    if (!this.processAck(r)) return;
    if (ackOnly) {
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
      this.armTimeWait();
      this.sendAck();
    }
    if (this.isClosed()) return;
    this.output();
  }

  private inputSynSent(r: TcpRepr): void {
    const flags = r.flags;
    const hasAck = (flags & TCP_FLAG_ACK) !== 0;
    if (hasAck && r.ackNumber !== (this.iss + 1) >>> 0) {
      if ((flags & TCP_FLAG_RST) === 0)
        this.layer.sendRst(this.remoteAddress, this.localPort, this.remotePort, r.ackNumber, 0, false);
      this.drops[ConnDrop.BAD_ACK]!++;
      return;
    }
    if ((flags & TCP_FLAG_RST) !== 0) {
      if (hasAck) this.finish("connection refused (RST)", true);
      return;
    }
    if ((flags & TCP_FLAG_SYN) === 0) return;
    this.takeSynOptions(r);
    this.irs = r.seqNumber;
    this.openKernel();
    this.sndWl1 = r.seqNumber;
    this.sndWl2 = r.ackNumber;
    if (hasAck) {
      if (!this.synRetransmitted) this.layer.table.rttSample(this.slot, this.layer.sim.now - this.synSentAt);
      this.rtxDeadline = 0;
      this.retries = 0;
      this.rwnd = this.maxRwnd = r.window << this.sndScale;
      this.stateValue = TcpState.ESTABLISHED; // t: synAckReceived
      this.sendAck();
      this.output();
    } else {
      // Simultaneous open: t: simultaneousOpen.
      this.stateValue = TcpState.SYN_RECEIVED;
      this.rwnd = this.maxRwnd = r.window;
      this.synRetransmitted = true; // no RTT sample from an exchange that crossed
      this.sendSyn();
    }
  }

  /** RFC 9293 3.10.7.4 step 5 in synchronized states. False: stop processing the segment. */
  private processAck(r: TcpRepr): boolean {
    const ack = r.ackNumber;
    const t = this.layer.table;
    const k = this.layer.k;
    const ptr = this.layer.tablePtr;
    const now = this.layer.sim.now;
    if (seqGt(ack, this.nxt)) {
      // Acks something not yet sent: ack and drop.
      this.drops[ConnDrop.BAD_ACK]!++;
      this.sendAck();
      return false;
    }
    const oldUna = this.una;
    const newData = seqGt(ack, oldUna);
    // Window update (SND.WL1/WL2 rule).
    let windowChanged = false;
    if (seqLt(this.sndWl1, r.seqNumber) || (this.sndWl1 === r.seqNumber && seqLeq(this.sndWl2, ack))) {
      const w = Math.min(r.window * (1 << this.sndScale), MAX_WINDOW);
      windowChanged = w !== this.rwnd;
      this.rwnd = w;
      if (w > this.maxRwnd) this.maxRwnd = w;
      this.sndWl1 = r.seqNumber;
      this.sndWl2 = ack;
      if (w > 0) this.stopPersist();
    }
    if (!seqGeq(ack, oldUna)) return true; // old duplicate ack: ignored
    // SACK blocks (only those inside the flight).
    let sackedNew = 0;
    if (this.sackOk && r.sackCount > 0) {
      for (let i = 0; i < r.sackCount; i++) {
        const a = r.sackBlocks[2 * i]!;
        const b = r.sackBlocks[2 * i + 1]!;
        if (seqLt(a, b) && seqGeq(a, ack) && seqLeq(b, this.nxt))
          sackedNew += k.windowOnSack(ptr, this.slot, a, (b - a) >>> 0) >>> 0;
      }
    }
    const flight = (this.nxt - this.una) >>> 0;
    if (!newData) {
      // Duplicate ack (RFC 5681 section 2): no data, no window change, outstanding data.
      if (
        flight > 0 &&
        r.payloadLength === 0 &&
        (r.flags & (TCP_FLAG_SYN | TCP_FLAG_FIN)) === 0 &&
        (!windowChanged || sackedNew > 0)
      ) {
        this.dupAcks++;
        this.c.dupAcks++;
        if (
          !this.inRecovery &&
          !this.rtoRecovery &&
          this.lossDetected() &&
          (!this.recoverLive || seqGt(this.una, this.recover))
        )
          this.enterRecovery();
      }
      return true;
    }
    // New data acked.
    const acked = k.windowOnAck(ptr, this.slot, ack, 0xffff_ffff, now) >>> 0;
    this.una = ack;
    this.dupAcks = 0;
    this.retries = 0;
    this.c.bytesAcked += acked;
    let dataAcked = acked;
    if (this.finSent && seqGt(ack, this.finSeq)) {
      dataAcked--;
      this.finAcked = true;
    }
    this.sndHead = (this.sndHead + dataAcked) % this.sndCap;
    this.sndLen -= dataAcked;
    // Congestion control.
    if (this.recoverLive && seqGeq(ack, this.recover)) this.recoverLive = false;
    if (this.inRecovery) {
      if (!this.recoverLive) {
        this.inRecovery = false; // full ack: t: recoveryDone (RFC 6582 3.2 step 3)
        this.cwnd = Math.max(this.ssthresh, this.smss);
      } else if (seqLt(this.rtxNext, ack)) {
        this.rtxNext = ack; // partial ack: the next hole is retransmitted by output()
      }
    } else {
      if (this.rtoRecovery && !this.recoverLive) this.rtoRecovery = false;
      if (seqLt(this.rtxNext, ack)) this.rtxNext = ack;
      if (this.cwnd < this.ssthresh)
        this.cwnd += Math.min(acked, 2 * this.smss); // RFC 3465, L = 2
      else {
        this.caAcc += acked;
        if (this.caAcc >= this.cwnd) {
          this.caAcc -= this.cwnd;
          this.cwnd += this.smss;
        }
      }
      if (this.cwnd > MAX_WINDOW) this.cwnd = MAX_WINDOW;
    }
    // RFC 6298 5.2/5.3.
    if (this.nxt === this.una) this.rtxDeadline = 0;
    else this.armRtx(now + t.rto(this.slot));
    // Writer wake-up at the low-water mark.
    if (this.writerBlocked && this.sndLen <= this.opt.lowWater && !this.finQueued) {
      this.writerBlocked = false;
      this.writableCb?.();
      if (this.isClosed()) return false;
    }
    if (this.finAcked) {
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

  private lossDetected(): boolean {
    if (this.dupAcks >= 3) return true;
    return this.sackOk && this.layer.peek.sackedBytes(this.slot) >= 3 * this.smss;
  }

  /** t: fastRetransmit (RFC 5681 3.2, RFC 6582). */
  private enterRecovery(): void {
    const flight = (this.nxt - this.una) >>> 0;
    this.ssthresh = Math.max(flight >>> 1, 2 * this.smss);
    this.cwnd = this.ssthresh;
    this.caAcc = 0;
    this.recover = this.nxt;
    this.recoverLive = true;
    this.inRecovery = true;
    this.rtxNext = this.una;
    this.c.fastRetransmits++;
  }

  private receiveData(r: TcpRepr, bytes: Uint8Array, pay: number, burst: boolean): void {
    const t = this.layer;
    const seq = r.seqNumber;
    const len = r.payloadLength;
    const fin = (r.flags & TCP_FLAG_FIN) !== 0;
    const before = this.rcvNxt;
    const free = this.rcvCap - ((before - this.rcvRead) >>> 0);
    // Bytes before rcv.nxt are old; bytes past the window are not kept.
    let skip = ((before - seq) | 0) > 0 ? (before - seq) >>> 0 : 0;
    if (skip > len) skip = len;
    const offInWnd = (seq + skip - before) >>> 0;
    let keep = len - skip;
    if (offInWnd + keep > free) keep = Math.max(0, free - offInWnd);
    const hadRanges = t.peekRanges(this.slot);
    // In order, nothing buffered, nothing out of order held, a listener reading: the bytes go
    // to the application straight from the segment, as they would have left the ring at once.
    const direct =
      keep > 0 &&
      offInWnd === 0 &&
      !fin &&
      this.rcvRead === before &&
      !hadRanges &&
      !this.paused &&
      this.dataCb !== undefined;
    if (keep > 0 && !direct) this.storeInRing(bytes, pay + skip, keep, seq + skip);
    // Record what was stored, plus the FIN's sequence number when every byte before it was
    // stored (the kernel clips it when the window is exactly full: the peer resends the FIN).
    const allKept = keep === len - skip;
    const markLen = keep + (fin && allKept ? 1 : 0);
    let newNxt = before;
    if (markLen > 0) {
      newNxt = t.k.windowMark(t.tablePtr, this.slot, (seq + skip) >>> 0, markLen) >>> 0;
      const st = t.table.lastMarkStatus(this.slot);
      if (st === MarkStatus.REFUSED) this.drops[ConnDrop.RANGES_FULL]!++;
      else if (st === MarkStatus.BEYOND || st === MarkStatus.CLIPPED) this.drops[ConnDrop.OUT_OF_WINDOW]!++;
    }
    if (fin && allKept) {
      this.rcvFinSeq = (seq + len) >>> 0;
      this.rcvFinSeen = true;
    }
    // The FIN's sequence number is in the kernel's ack point, never in the ring.
    let finNow = false;
    if (this.rcvFinSeen && !this.finReceived && seqGt(newNxt, this.rcvFinSeq)) {
      finNow = true;
      this.finReceived = true;
    }
    this.rcvNxt = this.finReceived ? this.rcvFinSeq : newNxt;
    if (direct && newNxt === (before + keep) >>> 0) {
      this.rcvHead = (this.rcvHead + keep) % this.rcvCap;
      this.rcvRead = newNxt;
      this.c.bytesDelivered += keep;
      this.updateKernelWindow();
      this.dataCb!(bytes, pay + skip, keep);
      if (this.isClosed()) return;
      this.maybeEnd();
    } else {
      // Not taken whole by the kernel after all (clipped): store them like any other segment.
      if (direct) this.storeInRing(bytes, pay + skip, keep, seq + skip);
      this.updateKernelWindow();
      if (!this.paused) this.deliver(Infinity);
    }
    if (this.isClosed()) return;
    if (finNow) this.onFinReceived();
    if (this.isClosed()) return;
    // Ack policy (RFC 5681 4.2, RFC 1122 4.2.3.2): out-of-order, duplicate or hole-filling
    // segments and FINs are acked at once; in-order data every ackEvery segments or after the
    // delayed-ack time; a train member (burst bit) waits for its train's last segment.
    const immediate = seqGt(seq, before) || newNxt === before || hadRanges || finNow || this.opt.delayedAck === 0;
    this.ackPending++;
    if (burst && !finNow) {
      this.trainHeld = true;
      this.armDelack();
    } else if (immediate || this.trainHeld || this.ackPending >= this.opt.ackEvery) {
      this.trainHeld = false;
      this.sendAck();
    } else {
      this.armDelack();
    }
  }

  /** t: finReceived. */
  private onFinReceived(): void {
    const s = this.stateValue;
    if (s === TcpState.ESTABLISHED) this.stateValue = TcpState.CLOSE_WAIT;
    else if (s === TcpState.FIN_WAIT_1) {
      if (this.finAcked) this.enterTimeWait();
      else this.stateValue = TcpState.CLOSING;
    } else if (s === TcpState.FIN_WAIT_2) this.enterTimeWait();
    this.maybeEnd();
  }

  /** Copies `len` received bytes (sequence number `seq`) from bytes[src..] into the receive ring. */
  private storeInRing(bytes: Uint8Array, src: number, len: number, seq: number): void {
    const u8 = this.layer.u8;
    let at = (this.rcvHead + ((seq - this.rcvRead) >>> 0)) % this.rcvCap;
    let left = len;
    const own = bytes === u8;
    while (left > 0) {
      const chunk = Math.min(left, this.rcvCap - at);
      if (own) this.layer.rt.copy(this.rcvRing + at, src, chunk);
      else u8.set(bytes.subarray(src, src + chunk), this.rcvRing + at);
      src += chunk;
      left -= chunk;
      at = 0;
    }
  }

  private maybeEnd(): void {
    if (this.finReceived && !this.endDelivered && this.rcvRead === this.rcvNxt) {
      this.endDelivered = true;
      this.endCb?.();
    }
  }

  /** Hands up to `max` in-order bytes to onData; returns how many. */
  private deliver(max: number, fromApp = false): number {
    let done = 0;
    const u8 = this.layer.u8;
    if (this.dataCb === undefined) return 0; // held until a listener is set (like unread socket data)
    while (done < max && this.rcvRead !== this.rcvNxt && this.stateValue !== TcpState.CLOSED) {
      const unread = (this.rcvNxt - this.rcvRead) >>> 0;
      const chunk = Math.min(unread, this.rcvCap - this.rcvHead, max - done);
      const at = this.rcvRing + this.rcvHead;
      this.rcvHead = (this.rcvHead + chunk) % this.rcvCap;
      this.rcvRead = (this.rcvRead + chunk) >>> 0;
      this.c.bytesDelivered += chunk;
      done += chunk;
      this.dataCb?.(u8, at, chunk);
      if (this.paused && max === Infinity) break;
    }
    if (done > 0 && !this.isClosed()) {
      this.updateKernelWindow();
      // A reader that catches up reopens the window: tell the peer once the window we last
      // advertised is below min(buffer / 2, MSS) and the new one is larger by at least that
      // (RFC 1122 4.2.3.3). Deliveries during a segment's processing need no update: the ack
      // that follows carries the window.
      if (fromApp && this.kernelOpen && !this.finReceived) {
        const thresh = Math.min(this.rcvCap >>> 1, this.smss);
        const advertised = (this.advRight - this.rcvNxt) | 0;
        const free = this.rcvCap - ((this.rcvNxt - this.rcvRead) >>> 0);
        const s = this.stateValue;
        if (
          advertised < thresh &&
          free - Math.max(advertised, 0) >= thresh &&
          (s === TcpState.ESTABLISHED || s === TcpState.FIN_WAIT_1 || s === TcpState.FIN_WAIT_2)
        )
          this.sendAck();
      }
      this.maybeEnd();
    }
    return done;
  }

  private updateKernelWindow(): void {
    if (!this.kernelOpen) return;
    const free = this.rcvCap - ((this.rcvNxt - this.rcvRead) >>> 0);
    this.layer.k.windowSetReceiveWindow(this.layer.tablePtr, this.slot, free);
  }

  // =============================================================================================
  // Output

  /** Sends what congestion, flow control, Nagle and recovery allow; then FIN if due. */
  output(): void {
    const s = this.stateValue;
    if (
      s !== TcpState.ESTABLISHED &&
      s !== TcpState.CLOSE_WAIT &&
      s !== TcpState.FIN_WAIT_1 &&
      s !== TcpState.CLOSING &&
      s !== TcpState.LAST_ACK
    ) {
      return;
    }
    const t = this.layer;
    const k = t.k;
    const ptr = t.tablePtr;
    const now = t.sim.now;
    const walker = t.walker;
    const recovering = this.inRecovery || this.rtoRecovery;
    let pipe = 0;
    let limit = 0;
    const flight0 = (this.nxt - this.una) >>> 0;
    const sacked = this.sackOk ? t.peek.sackedBytes(this.slot) : 0;
    if (recovering) {
      if (seqLt(this.rtxNext, this.una)) this.rtxNext = this.una;
      if (this.rtoRecovery) limit = this.recover;
      else {
        const hs = walker.highSack(this.slot);
        limit = hs >= 0 && seqGt(hs, this.una) ? hs : (this.una + 1) >>> 0;
      }
      walker.scan(this.slot, this.rtxNext, limit, true);
      pipe = flight0 - sacked - walker.len;
    } else {
      pipe = flight0 - sacked;
    }
    let sentAny = false;
    // 1. Retransmissions of lost segments (recovery only), while the pipe has room.
    while (recovering && pipe < this.cwnd) {
      if (!walker.scan(this.slot, this.rtxNext, limit, false)) break;
      const seq = walker.seq;
      const len = walker.len;
      const status = k.windowOnSend(ptr, this.slot, seq, len, now);
      if (status !== SendStatus.RETRANSMIT) break;
      this.rtxNext = (seq + len) >>> 0;
      this.c.retransmits++;
      this.sendRange(seq, len, false);
      pipe += len;
      sentAny = true;
      if (this.isClosed()) return;
    }
    // 2. New data.
    const dataEnd = (this.una + this.sndLen) >>> 0; // one past the last buffered byte
    const eff = Math.min(this.rwnd, Math.max(0, flight0 + this.cwnd - pipe), MAX_WINDOW);
    k.windowSetSendWindow(ptr, this.slot, eff);
    const train = this.opt.burstTrain;
    while (!this.finSent) {
      const unsent = (dataEnd - this.nxt) | 0;
      if (unsent <= 0) break;
      const room = eff - ((this.nxt - this.una) >>> 0);
      let len = Math.min(unsent, this.smss);
      if (room < len) {
        // Sender SWS avoidance (RFC 1122 4.2.3.4): a part segment only when it is at least half
        // the largest window the peer offered; otherwise wait for acks or the persist timer.
        if (room <= 0 || room < this.maxRwnd >>> 1) break;
        len = room;
      }
      if (len < this.smss && this.nxt !== this.una && !this.opt.noDelay && !(this.finQueued && len === unsent)) break; // Nagle
      const status = k.windowOnSend(ptr, this.slot, this.nxt, len, now);
      if (status !== SendStatus.NEW) break;
      const seq = this.nxt;
      this.nxt = (seq + len) >>> 0;
      let more = false;
      if (train > 0) {
        if (this.trainLeft <= 0) this.trainLeft = train;
        this.trainLeft--;
        const nextUnsent = (dataEnd - this.nxt) | 0;
        more = this.trainLeft > 0 && nextUnsent >= this.smss && eff - ((this.nxt - this.una) >>> 0) >= this.smss;
        if (!more) this.trainLeft = 0;
      }
      this.sendRange(seq, len, more);
      sentAny = true;
      if (this.isClosed()) return;
    }
    // 3. FIN once every byte is out.
    if (this.finQueued && !this.finSent && this.nxt === dataEnd) {
      k.windowSetSendWindow(ptr, this.slot, Math.max(eff, ((this.nxt - this.una) >>> 0) + 1));
      const status = k.windowOnSend(ptr, this.slot, this.nxt, 1, now);
      if (status === SendStatus.NEW) {
        this.finSeq = this.nxt;
        this.finSent = true;
        this.nxt = (this.nxt + 1) >>> 0;
        if (this.stateValue === TcpState.ESTABLISHED || this.stateValue === TcpState.SYN_RECEIVED)
          this.stateValue = TcpState.FIN_WAIT_1; // t: close
        else if (this.stateValue === TcpState.CLOSE_WAIT) this.stateValue = TcpState.LAST_ACK; // t: close
        this.sendRange(this.finSeq, 1, false);
        sentAny = true;
      }
    }
    if (sentAny && this.rtxDeadline === 0 && this.nxt !== this.una) this.armRtx(now + t.table.rto(this.slot));
    // A window too small to use, data waiting and nothing in flight: the persist timer probes
    // (it also serves as RFC 1122's SWS override timer).
    if (this.nxt === this.una && (dataEnd !== this.nxt || (this.finQueued && !this.finSent))) this.armPersist();
  }

  /** Emits [seq, seq + len) from the send ring (the FIN if it is the range's last number). */
  private sendRange(seq: number, len: number, burst: boolean): void {
    let flags = TCP_FLAG_ACK;
    let dataLen = len;
    if (this.finSent && (seq + len - 1) >>> 0 === this.finSeq) {
      flags |= TCP_FLAG_FIN;
      dataLen--;
    }
    if (dataLen > 0 && (seq + len) >>> 0 === (this.una + this.sndLen) >>> 0) flags |= TCP_FLAG_PSH;
    this.transmit(seq, flags, dataLen, (seq - this.una) >>> 0, false, burst);
    if (dataLen > 0) {
      this.c.dataSegmentsSent++;
      this.c.bytesSent += dataLen;
    }
  }

  private sendSyn(): void {
    this.synSentAt = this.layer.sim.now;
    this.synCount++;
    const flags = this.stateValue === TcpState.SYN_SENT ? TCP_FLAG_SYN : TCP_FLAG_SYN | TCP_FLAG_ACK;
    this.transmit(this.iss, flags, 0, 0, true, false);
    this.armRtx(this.layer.sim.now + this.synRto);
  }

  /** A pure ACK now (SACK blocks when out-of-order data is held). */
  sendAck(): void {
    if (!this.kernelOpen) return;
    this.c.acksSent++;
    this.transmit(this.nxt, TCP_FLAG_ACK, 0, 0, false, false);
  }

  /**
   * Builds and sends one segment: header from the layer's shared repr, `dataLen` bytes from the
   * send ring at `ringOff` bytes past snd.una. The ack (and window) it carries clear ackPending.
   */
  private transmit(seq: number, flags: number, dataLen: number, ringOff: number, syn: boolean, burst: boolean): void {
    const t = this.layer;
    const r = t.txRepr;
    r.srcPort = this.localPort;
    r.dstPort = this.remotePort;
    r.seqNumber = seq >>> 0;
    r.urgentPointer = 0;
    r.tsVal = undefined;
    r.tsEcr = undefined;
    r.payloadLength = dataLen;
    const free = this.rcvCap - ((this.rcvNxt - this.rcvRead) >>> 0);
    if (syn) {
      r.flags = flags;
      r.ackNumber = (flags & TCP_FLAG_ACK) !== 0 ? (this.irs + 1) >>> 0 : 0;
      r.window = Math.min(free, 0xffff);
      r.mss = this.opt.mss;
      const active = this.stateValue === TcpState.SYN_SENT;
      r.windowScale = active
        ? this.opt.windowScale
          ? this.ourScale()
          : undefined
        : this.wsAgreed
          ? this.rcvScale
          : undefined;
      r.sackPermitted = active ? this.opt.sack : this.sackOk;
      r.sackCount = 0;
    } else {
      r.flags = flags;
      r.ackNumber = this.rcvNxt + (this.finReceived ? 1 : 0);
      r.mss = undefined;
      r.windowScale = undefined;
      r.sackPermitted = false;
      r.sackCount = 0;
      if (dataLen === 0 && this.sackOk && (flags & TCP_FLAG_FIN) === 0) r.sackCount = t.fillSackBlocks(this.slot, r);
      // Receiver SWS avoidance (RFC 1122 4.2.3.3): the right edge moves only by at least
      // min(buffer / 2, MSS); until then the last advertised edge stands.
      let wnd = free;
      const prev = (this.advRight - this.rcvNxt) | 0;
      if (wnd - Math.max(prev, 0) < Math.min(this.rcvCap >>> 1, this.smss)) wnd = Math.max(0, Math.min(prev, free));
      let w = wnd >>> this.rcvScale;
      if (w > 0xffff) w = 0xffff;
      r.window = w;
      this.advRight = (this.rcvNxt + (w << this.rcvScale)) >>> 0;
      this.ackPending = 0;
      this.delackDeadline = 0;
    }
    const hl = tcpHeaderLength(r);
    const host = t.host;
    const f = host.allocPayloadFrame(hl + dataLen);
    if (f === NO_FRAME) {
      this.drops[ConnDrop.NO_SLOT]!++;
      return;
    }
    const frames = t.sim.frames;
    const off = frames.offset(f);
    const u8 = t.u8;
    if (dataLen > 0 && this.generatedOnly) {
      // The ring stands for pattern bytes: copy them from the pattern at their stream offset.
      const from = this.written - this.sndLen + ringOff;
      let dst = off + hl;
      let left = dataLen;
      let p = from % PATTERN_PERIOD;
      const pat = t.patternPtr;
      while (left > 0) {
        const chunk = Math.min(left, PATTERN_SLACK);
        t.rt.copy(dst, pat + p, chunk);
        dst += chunk;
        left -= chunk;
        p = (p + chunk) % PATTERN_PERIOD;
      }
    } else if (dataLen > 0) {
      let at = (this.sndHead + ringOff) % this.sndCap;
      let dst = off + hl;
      let left = dataLen;
      while (left > 0) {
        const chunk = Math.min(left, this.sndCap - at);
        t.rt.copy(dst, this.sndRing + at, chunk);
        dst += chunk;
        left -= chunk;
        at = 0;
      }
    }
    emitTcp(r, t.view.wrap(u8, off, hl + dataLen), this.localAddress, this.remoteAddress);
    if (burst) {
      // Reserved bit on: fix the checksum incrementally (RFC 1624 eqn. 3).
      const oldWord = (u8[off + 12]! << 8) | u8[off + 13]!;
      u8[off + 12] = u8[off + 12]! | TCP_BURST_BIT;
      const newWord = oldWord | (TCP_BURST_BIT << 8);
      let sum = (~((u8[off + 16]! << 8) | u8[off + 17]!) & 0xffff) + (~oldWord & 0xffff) + newWord;
      sum = (sum & 0xffff) + (sum >>> 16);
      sum = (sum & 0xffff) + (sum >>> 16);
      const cs = ~sum & 0xffff;
      u8[off + 16] = cs >>> 8;
      u8[off + 17] = cs & 0xff;
    }
    this.c.segmentsSent++;
    host.sendIp(f, 6, this.remoteAddress, true);
  }

  // =============================================================================================
  // Timers

  handleTimer(kind: number): void {
    const now = this.layer.sim.now;
    switch (kind) {
      case TcpTimer.RTX:
        this.rtxHandle = -1;
        if (this.rtxDeadline === 0) return;
        if (now < this.rtxDeadline) return this.scheduleRtxEvent(this.rtxDeadline);
        this.rtxDeadline = 0;
        return this.onRetransmitTimeout();
      case TcpTimer.DELACK:
        this.delackHandle = -1;
        if (this.delackDeadline === 0 || this.ackPending === 0) return;
        if (now < this.delackDeadline) {
          this.delackHandle = this.layer.schedule(this, this.delackDeadline - now, TcpTimer.DELACK);
          return;
        }
        this.sendAck();
        return;
      case TcpTimer.PERSIST:
        this.persistHandle = -1;
        return this.onPersist();
      case TcpTimer.KEEPALIVE:
        this.keepHandle = -1;
        return this.onKeepAlive();
      case TcpTimer.TIME_WAIT:
        this.twHandle = -1;
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
    if (this.nxt === this.una) return;
    this.retries++;
    this.c.timeouts++;
    if (this.retries > this.opt.maxRetries) {
      return this.finish(
        `retransmission timeout: ${this.opt.maxRetries} retransmissions of ${this.una} went unanswered`,
        true,
      );
    }
    const t = this.layer;
    t.table.onTimeout(this.slot);
    // RFC 5681 (4) and 3.1: ssthresh from the flight, cwnd = loss window; RFC 6582: recover.
    const flight = (this.nxt - this.una) >>> 0;
    this.ssthresh = Math.max(flight >>> 1, 2 * this.smss);
    this.cwnd = this.smss;
    this.caAcc = 0;
    this.inRecovery = false;
    this.rtoRecovery = true;
    this.recover = this.nxt;
    this.recoverLive = true;
    this.rtxNext = this.una;
    this.dupAcks = 0;
    this.armRtx(t.sim.now + t.table.rto(this.slot));
    this.output();
  }

  private onPersist(): void {
    const s = this.stateValue;
    if (s === TcpState.CLOSED || this.nxt !== this.una) {
      this.persistBackoff = 0;
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
    this.transmit((this.una - 1) >>> 0, TCP_FLAG_ACK, 0, 0, false, false);
    this.persistBackoff++;
    this.armPersist();
  }

  private onKeepAlive(): void {
    const o = this.opt;
    const s = this.stateValue;
    if (s === TcpState.CLOSED || s === TcpState.TIME_WAIT) return;
    const now = this.layer.sim.now;
    const due = this.lastRx + o.keepIdle + this.keepProbes * o.keepInterval;
    if (now < due) {
      this.keepHandle = this.layer.schedule(this, due - now, TcpTimer.KEEPALIVE);
      return;
    }
    if (this.keepProbes >= o.keepCount) {
      return this.finish(`keep-alive: no answer to ${o.keepCount} probes after ${o.keepIdle} ns idle`, true);
    }
    this.keepProbes++;
    this.c.keepAliveProbes++;
    if (this.kernelOpen) this.transmit((this.una - 1) >>> 0, TCP_FLAG_ACK, 0, 0, false, false);
    this.keepHandle = this.layer.schedule(this, o.keepInterval, TcpTimer.KEEPALIVE);
  }

  private armKeepAlive(): void {
    if (!this.opt.keepAlive) return;
    this.lastRx = this.layer.sim.now;
    this.keepHandle = this.layer.schedule(this, this.opt.keepIdle, TcpTimer.KEEPALIVE);
  }

  private armRtx(deadline: number): void {
    this.rtxDeadline = deadline;
    if (this.rtxHandle >= 0 && this.rtxEventAt <= deadline) return; // fires early, then re-arms
    if (this.rtxHandle >= 0) this.layer.cancel(this.rtxHandle);
    this.scheduleRtxEvent(deadline);
  }

  private scheduleRtxEvent(at: number): void {
    this.rtxEventAt = at;
    this.rtxHandle = this.layer.schedule(this, at - this.layer.sim.now, TcpTimer.RTX);
  }

  private armDelack(): void {
    if (this.delackDeadline !== 0) return;
    this.delackDeadline = this.layer.sim.now + this.opt.delayedAck;
    if (this.delackHandle < 0) this.delackHandle = this.layer.schedule(this, this.opt.delayedAck, TcpTimer.DELACK);
  }

  private armPersist(): void {
    if (this.persistHandle >= 0) return;
    const base = this.kernelOpen ? this.layer.table.rto(this.slot) : this.opt.initialRto;
    const delay = Math.min(base * 2 ** Math.min(this.persistBackoff, 20), this.opt.maxRto);
    this.persistHandle = this.layer.schedule(this, delay, TcpTimer.PERSIST);
  }

  private stopPersist(): void {
    this.persistBackoff = 0;
    if (this.persistHandle >= 0) {
      this.layer.cancel(this.persistHandle);
      this.persistHandle = -1;
    }
  }

  private armTimeWait(): void {
    if (this.twHandle >= 0) this.layer.cancel(this.twHandle);
    this.twHandle = this.layer.schedule(this, this.opt.timeWait, TcpTimer.TIME_WAIT);
  }

  /** t: timeWait (from FIN_WAIT_2 or CLOSING, or FIN_WAIT_1 with our FIN acked). */
  private enterTimeWait(): void {
    this.stateValue = TcpState.TIME_WAIT;
    this.rtxDeadline = 0;
    this.stopPersist();
    this.maybeEnd();
    this.armTimeWait();
  }

  // =============================================================================================
  // Internals

  /** A callback may have closed the connection: re-read the state (defeats TS narrowing). */
  private isClosed(): boolean {
    return this.stateValue === TcpState.CLOSED;
  }

  private checkWritable(): void {
    const s = this.stateValue;
    if (
      this.finQueued ||
      (s !== TcpState.ESTABLISHED &&
        s !== TcpState.CLOSE_WAIT &&
        s !== TcpState.SYN_SENT &&
        s !== TcpState.SYN_RECEIVED)
    ) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `cannot write on a connection in state ${this.state}${this.finQueued ? " after end()" : ""}`,
        {
          path: "write",
        },
      );
    }
  }

  private accepted(n: number, asked: number): number {
    this.sndLen += n;
    this.written += n;
    if (n < asked) this.writerBlocked = true;
    this.output();
    return n;
  }

  private ourScale(): number {
    let shift = 0;
    while (shift < TCP_MAX_WINDOW_SCALE && this.opt.receiveBuffer >>> shift > 0xffff) shift++;
    return shift;
  }

  /** Options of a received SYN: MSS, window scale (both sides or neither), SACK-permitted. */
  private takeSynOptions(r: TcpRepr): void {
    const mtuMss = this.layer.host.mtu - 40;
    this.smss = Math.max(64, Math.min(r.mss ?? 536, mtuMss, this.opt.mss));
    this.wsAgreed = this.opt.windowScale && r.windowScale !== undefined;
    this.sndScale = this.wsAgreed ? Math.min(r.windowScale!, TCP_MAX_WINDOW_SCALE) : 0;
    this.rcvScale = this.wsAgreed ? this.ourScale() : 0;
    this.sackOk = this.opt.sack && r.sackPermitted;
  }

  private openKernel(): void {
    const t = this.layer;
    const sendNext = (this.iss + 1) >>> 0;
    this.una = this.nxt = sendNext;
    this.rcvNxt = this.rcvRead = this.advRight = (this.irs + 1) >>> 0;
    this.recover = this.iss;
    t.table.open(this.slot, {
      receiveNext: this.rcvNxt,
      receiveWindow: this.rcvCap,
      sendNext,
      sendWindow: 0,
      minRto: this.opt.minRto,
      maxRto: this.opt.maxRto,
      initialRto: this.opt.initialRto,
      granularity: NS_PER_MS,
    });
    this.kernelOpen = true;
    const iw =
      this.opt.initialWindow > 0
        ? this.opt.initialWindow * this.smss
        : this.smss > 2190
          ? 2 * this.smss
          : this.smss > 1095
            ? 3 * this.smss
            : 4 * this.smss;
    this.cwnd = iw;
  }

  private allocBuffers(): void {
    const heap = this.layer.sim.runtime.heap;
    this.sndCap = this.opt.sendBuffer;
    this.rcvCap = this.opt.receiveBuffer;
    this.sndRing = heap.alloc(this.sndCap);
    this.rcvRing = heap.alloc(this.rcvCap);
  }

  /** Any state -> CLOSED: timers off, kernel record and buffers released, callbacks. */
  finish(reason: string, error: boolean): void {
    if (this.stateValue === TcpState.CLOSED && this.closedReason !== undefined) return;
    this.stateValue = TcpState.CLOSED;
    this.closedReason = reason;
    const t = this.layer;
    for (const h of [this.rtxHandle, this.delackHandle, this.persistHandle, this.keepHandle, this.twHandle])
      if (h >= 0) t.cancel(h);
    this.rtxHandle = this.delackHandle = this.persistHandle = this.keepHandle = this.twHandle = -1;
    this.rtxDeadline = 0;
    this.delackDeadline = 0;
    if (this.kernelOpen) {
      t.table.reset(this.slot);
      this.kernelOpen = false;
    }
    const heap = t.sim.runtime.heap;
    if (this.sndRing !== 0) heap.free(this.sndRing);
    if (this.rcvRing !== 0) heap.free(this.rcvRing);
    this.sndRing = this.rcvRing = 0;
    this.sndCap = 0;
    t.release(this);
    if (error) this.errorCb?.(reason);
    this.closeCb?.(reason);
  }
}
