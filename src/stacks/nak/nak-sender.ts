// NakSender: the sending end of the NAK-only, rate-based stream transport (Birman ch. 5.2).
//
// Contract:
// - write(bytes) copies what fits into the send buffer (a power-of-two byte ring in the shared
//   memory) and returns the count accepted; when it accepted less, onWritable fires once a
//   quarter of the buffer is free again. end() marks the end of the stream: the packet that
//   carries the last byte (or an empty packet) has FIN, so the receiver knows the total.
// - Nothing is acknowledged per packet: the receiver NAKs holes and answers status requests
//   with its cumulative point, which frees the buffer. Pacing (one timer event per packet at the
//   RateController's rate, no closure or object per packet) is described on tick(), probing of
//   an idle sender on probe().
// - Completion: a DONE whose cumulative point is the end of the stream -> DONE, onClose({ ok:
//   true }). No feedback for `timeout` while data is unconfirmed -> FAILED, onClose({ ok: false,
//   reason: "NO_FEEDBACK: ..." }). close() aborts (CLOSED). See NakSenderState.
// - Bounded: the send buffer and the repair queue (`repairQueue` ranges; a NAK range that does
//   not fit is dropped and counted, the receiver NAKs it again).
// - Frames held: none; packets are built from the send buffer when they go.
// - API misuse (bad options, write after end/close) throws NetloomError; received packets never
//   throw: bad ones are dropped and counted by reason in stats().drops.
// - Not handled: several receivers (multicast), connection setup (both ends agree on the stream
//   id and initial sequence number out of band), a NAK delay to absorb reordering (a reordered
//   packet causes one spurious repair, counted as a duplicate at the receiver).

import { ErrorCode, NetloomError, checkInteger } from "../../base/errors.js";
import { parseByteSize } from "../../base/units.js";
import { EV_DEVICE_BASE } from "../../devices/device.js";
import { seqAdd, seqDiff, seqGeq, seqGt, seqLeq, seqLt } from "../../kernels/seq.js";
import { MAX_WINDOW } from "../../kernels/window.js";
import { ipv4FromString } from "../../wire/ipv4.js";
import type { AnyIpHost } from "../ip/ip-host.js";
import { NAK_OVERHEAD, NakEndpoint, positiveDuration } from "./nak-endpoint.js";
import { NAK_FLAG_FIN, NAK_FLAG_RETX, NAK_FLAG_SREQ, NakType, nakEchoAge, type NakView } from "./nak-wire.js";
import { RateController, type RateControlOptions, type RateStats } from "./rate-control.js";

/** Pacer tick: send the next packet. */
export const EV_NAK_PACE = EV_DEVICE_BASE;
/** Probe timer: status request while idle with data unconfirmed; feedback timeout. */
export const EV_NAK_PROBE = EV_DEVICE_BASE + 1;

/**
 * OPEN --end()--> ENDING --DONE--> DONE
 * OPEN/ENDING --no feedback for timeout--> FAILED
 * any --close()--> CLOSED
 */
export const NakSenderState = { OPEN: 0, ENDING: 1, DONE: 2, FAILED: 3, CLOSED: 4 } as const;
export type NakSenderState = (typeof NakSenderState)[keyof typeof NakSenderState];
const STATE_NAMES = ["open", "ending", "done", "failed", "closed"] as const;
/** Repairs remembered for NAK suppression. */
const RECENT_REPAIRS = 256;

export interface NakSenderOptions {
  /** Receiver address and UDP port. */
  dst: string | number;
  dstPort: number;
  /** Our UDP port (default 0: ephemeral). */
  port?: number;
  /** Stream id both ends agree on (default 1). */
  streamId?: number;
  /** Sequence number of the first byte; the receiver must use the same (default 0). */
  initialSequence?: number;
  /** Payload bytes per packet (default: MTU - 48, i.e. 1452 on Ethernet). */
  segmentSize?: number;
  /** Send buffer, a power of two (default 1 MiB). */
  sendBuffer?: number | string;
  /** Receiver window assumed until the first feedback (default 64 KiB). */
  initialPeerWindow?: number | string;
  /** Bytes per packet counted by the pacer beyond the IP datagram (default 0). */
  overheadBytes?: number;
  rate?: RateControlOptions;
  /** No feedback for this long with data unconfirmed: FAILED (default 2 s). */
  timeout?: number | string;
  /** Probe RTO bounds (defaults 5 ms, 1 s; initial 100 ms). */
  minRto?: number | string;
  maxRto?: number | string;
  initialRto?: number | string;
  /** NAK ranges queued for repair (default 256). */
  repairQueue?: number;
  /** Largest number of ranges the window kernel record keeps (unused by the sender; default 8). */
  maxRanges?: number;
}

export interface NakResult {
  ok: boolean;
  /** Why the stream failed (absent when ok). */
  reason?: string;
}

export interface NakSenderStats {
  state: (typeof STATE_NAMES)[number];
  reason: string | undefined;
  bytesWritten: number;
  bytesConfirmed: number;
  /** Data packets sent (new and repairs; probes not included). */
  packetsSent: number;
  packetsRetransmitted: number;
  bytesRetransmitted: number;
  probes: number;
  naksReceived: number;
  statusReceived: number;
  /** Packets' worth of bytes NAKs and statuses asked for (the rate controller's numerator). */
  nakedPackets: number;
  repairQueueDrops: number;
  repairQueueHighWater: number;
  /** NAKed ranges ignored because a repair of them left less than a holdoff (1.5 SRTT) ago. */
  repairsSuppressed: number;
  sendFailures: number;
  drops: Record<string, number>;
  /** Smoothed RTT from status echoes, ns (0 before a sample). */
  srttNs: number;
  rate: RateStats;
  /** Confirmed bytes x 8 / (completion or now - first packet), bit/s. */
  goodputBps: number;
  startNs: number;
  endNs: number;
}

function pow2(name: string, value: number, min: number, max: number): number {
  checkInteger(name, value, min, max);
  if ((value & (value - 1)) !== 0) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${value} is not a power of two`, { path: name });
  }
  return value;
}

export class NakSender extends NakEndpoint {
  readonly dst: number;
  readonly dstPort: number;
  readonly streamId: number;
  readonly segmentSize: number;
  readonly overheadBytes: number;
  readonly timeoutNs: number;
  readonly rate: RateController;
  private stateValue: NakSenderState = NakSenderState.OPEN;
  private reason: string | undefined;
  private readonly mask: number;
  // Sequence numbers: una <= nxt <= wr; [una, wr) lives in the ring at seq & mask.
  private una: number;
  private nxt: number;
  private wr: number;
  private finSent = false;
  private peerWindow: number;
  private sinceSreq = 0;
  private firstPacket = true;
  private pendingEcho = 0;
  private paceHandle = -1;
  private probeHandle = -1;
  private nextSendAt = 0;
  private lastFeedback = 0;
  private startNs = -1;
  private endNs = -1;
  private writableWanted = false;
  // Repair queue: a ring of [start, end) ranges.
  private readonly qStart: Uint32Array;
  private readonly qEnd: Uint32Array;
  private qHead = 0;
  private qCount = 0;
  // Recent repairs (ring of the last RECENT_REPAIRS): [start, end) and when they left.
  private readonly rStart = new Uint32Array(RECENT_REPAIRS);
  private readonly rEnd = new Uint32Array(RECENT_REPAIRS);
  private readonly rTime = new Float64Array(RECENT_REPAIRS);
  private rCount = 0;
  private readonly initialRtoNs: number;
  private onWritableCb: (() => void) | undefined;
  private onCloseCb: ((r: NakResult) => void) | undefined;
  private readonly c = {
    bytesWritten: 0,
    bytesConfirmed: 0,
    packetsSent: 0,
    packetsRetransmitted: 0,
    bytesRetransmitted: 0,
    probes: 0,
    naksReceived: 0,
    statusReceived: 0,
    nakedPackets: 0,
    repairQueueDrops: 0,
    repairQueueHighWater: 0,
    repairsSuppressed: 0,
  };

  constructor(host: AnyIpHost, options: NakSenderOptions) {
    const dst = typeof options.dst === "string" ? ipv4FromString(options.dst, "dst") : options.dst;
    checkInteger("dst", dst, 0, 0xffff_ffff);
    checkInteger("dstPort", options.dstPort, 1, 0xffff);
    const port = options.port ?? 0;
    checkInteger("port", port, 0, 0xffff);
    const streamId = options.streamId ?? 1;
    checkInteger("streamId", streamId, 0, 0xffff);
    const iss = options.initialSequence ?? 0;
    checkInteger("initialSequence", iss, 0, 0xffff_ffff);
    const maxSegment = host.mtu - NAK_OVERHEAD;
    const segmentSize = options.segmentSize ?? maxSegment;
    checkInteger("segmentSize", segmentSize, 1, maxSegment);
    const sendBuffer = pow2(
      "sendBuffer",
      options.sendBuffer === undefined ? 1 << 20 : parseByteSize(options.sendBuffer, "sendBuffer"),
      4096,
      1 << 30,
    );
    const peerWindow =
      options.initialPeerWindow === undefined ? 65536 : parseByteSize(options.initialPeerWindow, "initialPeerWindow");
    checkInteger("initialPeerWindow", peerWindow, 1, MAX_WINDOW);
    const overhead = options.overheadBytes ?? 0;
    checkInteger("overheadBytes", overhead, 0, 1024);
    const repairQueue = options.repairQueue ?? 256;
    checkInteger("repairQueue", repairQueue, 1, 1 << 16);
    const maxRanges = options.maxRanges ?? 8;
    const timeoutNs = positiveDuration("timeout", options.timeout, 2e9);
    const minRto = positiveDuration("minRto", options.minRto, 5e6);
    const maxRto = positiveDuration("maxRto", options.maxRto, 1e9);
    const initialRto = positiveDuration("initialRto", options.initialRto, 100e6);
    if (maxRto < minRto || initialRto < minRto || initialRto > maxRto) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "RTO bounds must satisfy minRto <= initialRto <= maxRto", {
        path: "initialRto",
      });
    }
    const rate = new RateController(options.rate ?? {}, "rate");
    super(host, `${host.name}.nak-tx`, port, sendBuffer, maxRanges, {
      min: minRto,
      max: maxRto,
      initial: initialRto,
    });
    this.dst = dst >>> 0;
    this.dstPort = options.dstPort;
    this.streamId = streamId;
    this.segmentSize = segmentSize;
    this.overheadBytes = overhead;
    this.timeoutNs = timeoutNs;
    this.rate = rate;
    this.initialRtoNs = initialRto;
    this.mask = sendBuffer - 1;
    this.una = iss;
    this.nxt = iss;
    this.wr = iss;
    this.peerWindow = peerWindow;
    this.qStart = new Uint32Array(repairQueue);
    this.qEnd = new Uint32Array(repairQueue);
  }

  get state(): (typeof STATE_NAMES)[number] {
    return STATE_NAMES[this.stateValue];
  }

  /** Bytes the send buffer can take now. */
  get writable(): number {
    if (this.stateValue !== NakSenderState.OPEN) return 0;
    return this.ringBytes - seqDiff(this.wr, this.una);
  }

  /** Called when a short write can continue (a quarter of the buffer is free). */
  onWritable(cb: (() => void) | undefined): void {
    this.onWritableCb = cb;
  }

  /** Called once when the stream completes (ok) or fails/closes (reason). */
  onClose(cb: ((r: NakResult) => void) | undefined): void {
    this.onCloseCb = cb;
  }

  /** Copies what fits of bytes[offset, offset + length) into the send buffer; returns the count. */
  write(bytes: Uint8Array, offset = 0, length = bytes.length - offset): number {
    if (this.stateValue === NakSenderState.ENDING) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${this.name}: write after end()`, { path: "write" });
    }
    if (this.stateValue === NakSenderState.CLOSED || this.destroyed) {
      throw new NetloomError(ErrorCode.USE_AFTER_FREE, `${this.name} is closed`, { path: "write" });
    }
    checkInteger("offset", offset, 0, bytes.length);
    checkInteger("length", length, 0, bytes.length - offset);
    if (this.stateValue !== NakSenderState.OPEN) return 0;
    const n = Math.min(length, this.writable);
    if (n < length) this.writableWanted = true;
    if (n === 0) return 0;
    const pos = this.wr & this.mask;
    const first = Math.min(n, this.ringBytes - pos);
    this.u8.set(bytes.subarray(offset, offset + first), this.ringPtr + pos);
    if (first < n) this.u8.set(bytes.subarray(offset + first, offset + n), this.ringPtr);
    this.wr = seqAdd(this.wr, n);
    this.c.bytesWritten += n;
    this.kick();
    return n;
  }

  /** Marks the end of the stream: no more writes; the sender finishes when the receiver confirms. */
  end(): void {
    if (this.stateValue === NakSenderState.CLOSED || this.destroyed) {
      throw new NetloomError(ErrorCode.USE_AFTER_FREE, `${this.name} is closed`, { path: "end" });
    }
    if (this.stateValue !== NakSenderState.OPEN) return;
    this.stateValue = NakSenderState.ENDING;
    this.kick();
  }

  /** Aborts the stream (CLOSED) and releases everything; onClose reports "CLOSED". */
  close(): void {
    if (this.destroyed) return;
    const active = this.stateValue === NakSenderState.OPEN || this.stateValue === NakSenderState.ENDING;
    if (active) this.finish(NakSenderState.CLOSED, "CLOSED: closed by the application");
    else this.stateValue = NakSenderState.CLOSED;
    this.destroy();
  }

  stats(): NakSenderStats {
    const end = this.endNs >= 0 ? this.endNs : this.sim.now;
    const span = this.startNs >= 0 ? end - this.startNs : 0;
    return {
      state: STATE_NAMES[this.stateValue],
      reason: this.reason,
      ...this.c,
      sendFailures: this.sendFailures,
      drops: { ...this.drops },
      srttNs: this.destroyed ? 0 : this.srtt(),
      rate: this.rate.stats(),
      goodputBps: span > 0 ? (this.c.bytesConfirmed * 8 * 1e9) / span : 0,
      startNs: this.startNs,
      endNs: this.endNs,
    };
  }

  // --- timers ---

  protected onTimer(kind: number): void {
    if (kind === EV_NAK_PACE) {
      this.paceHandle = -1;
      this.tick();
    } else if (kind === EV_NAK_PROBE) {
      this.probeHandle = -1;
      this.probe();
    }
  }

  protected cancelTimers(): void {
    this.cancel(this.paceHandle);
    this.cancel(this.probeHandle);
    this.paceHandle = -1;
    this.probeHandle = -1;
  }

  private get active(): boolean {
    return this.stateValue === NakSenderState.OPEN || this.stateValue === NakSenderState.ENDING;
  }

  /** Starts the pacer if it is idle (respecting the spacing of the last packet). */
  private kick(): void {
    if (!this.active || this.paceHandle >= 0) return;
    this.paceHandle = this.schedule(Math.max(0, this.nextSendAt - this.sim.now), EV_NAK_PACE);
  }

  /**
   * One pacer tick: sends one packet (sendOne: the oldest queued repair, else new data while the
   * bytes in flight stay within min(send buffer, receiver window), else the FIN) and schedules
   * the next at interval = (IP length + overhead) x 8 / rate. The rate comes from the
   * RateController, fed with every data packet sent and with the packets' worth of bytes each
   * NAK/STATUS asks for. With nothing to send the pacer stops; write(), end() and feedback
   * restart it.
   */
  private tick(): void {
    if (!this.active) return;
    const ipLen = this.sendOne();
    if (ipLen > 0) {
      const now = this.sim.now;
      if (this.startNs < 0) {
        this.startNs = now;
        this.lastFeedback = now;
      }
      const interval = Math.ceil(((ipLen + this.overheadBytes) * 8e9) / this.rate.rate);
      this.nextSendAt = now + interval;
      this.paceHandle = this.schedule(interval, EV_NAK_PACE);
      return;
    }
    this.armProbe();
  }

  /** Sends one packet (repair, new data or FIN); returns its IP length, 0 when nothing is due. */
  private sendOne(): number {
    const seg = this.segmentSize;
    // 1. Repairs, oldest first; parts confirmed meanwhile are skipped.
    while (this.qCount > 0) {
      const i = this.qHead;
      let s = this.qStart[i]!;
      const e = this.qEnd[i]!;
      if (seqLt(s, this.una)) s = this.una;
      if (seqGeq(s, e)) {
        this.popRepair();
        continue;
      }
      const n = Math.min(seg, seqDiff(e, s));
      const end = seqAdd(s, n);
      if (end === e) this.popRepair();
      else this.qStart[i] = end;
      const echo = this.pendingEcho;
      this.pendingEcho = 0;
      this.rememberRepair(s, end);
      const len = this.sendData(s, n, NAK_FLAG_RETX, echo);
      this.c.packetsRetransmitted++;
      this.c.bytesRetransmitted += n;
      return len;
    }
    // 2. New data within min(send buffer, receiver window).
    const limit = Math.min(this.ringBytes, this.peerWindow);
    const avail = seqDiff(this.wr, this.nxt);
    const room = limit - seqDiff(this.nxt, this.una);
    const n = Math.min(seg, avail, room);
    if (n > 0) {
      const s = this.nxt;
      this.nxt = seqAdd(s, n);
      return this.sendData(s, n, 0, 0);
    }
    // 3. The FIN alone, when the last data went out before end().
    if (this.stateValue === NakSenderState.ENDING && !this.finSent && this.nxt === this.wr) {
      return this.sendData(this.nxt, 0, 0, 0);
    }
    return 0;
  }

  private sendData(seq: number, n: number, flags: number, echo: number): number {
    const end = seqAdd(seq, n);
    const limit = Math.min(this.ringBytes, this.peerWindow);
    if (this.stateValue === NakSenderState.ENDING && end === this.wr) {
      flags |= NAK_FLAG_FIN | NAK_FLAG_SREQ;
      this.finSent = true;
    }
    this.sinceSreq += n;
    if (this.firstPacket || this.sinceSreq >= limit >>> 2) flags |= NAK_FLAG_SREQ;
    if ((flags & NAK_FLAG_SREQ) !== 0) this.sinceSreq = 0;
    this.firstPacket = false;
    const kbps = Math.min(0xffff_ffff, Math.round(this.rate.rate / 1000));
    const len = this.sendPacket(
      this.dst,
      this.dstPort,
      NakType.DATA,
      flags,
      this.streamId,
      seq,
      kbps,
      echo,
      seq & this.mask,
      n,
    );
    if (n > 0) {
      this.c.packetsSent++;
      this.rate.packetSent(this.sim.now, this.srtt());
    }
    // A packet that could not leave is lost like one dropped on the wire: NAKs repair it. The
    // pacer still spaces by its size so a slot shortage cannot spin.
    return len > 0 ? len : NAK_OVERHEAD + n;
  }

  private armProbe(): void {
    if (!this.active || this.probeHandle >= 0) return;
    const outstanding = this.una !== this.wr || (this.stateValue === NakSenderState.ENDING && this.startNs >= 0);
    if (!outstanding) return;
    this.probeHandle = this.schedule(this.window.rto(0), EV_NAK_PROBE);
  }

  /**
   * Status requests (SREQ) ride on data every quarter of the flight limit and on the FIN. When
   * the pacer is idle with data unconfirmed, the sender probes with an empty SREQ packet every
   * RTO (RFC 6298 estimator of the window kernel, fed by the echo of the status request; backed
   * off per probe). That is also how losses at the tail of the stream are found: the status
   * lists the missing tail as a range.
   */
  private probe(): void {
    if (!this.active || this.paceHandle >= 0) return; // the pacer re-arms when it goes idle
    const now = this.sim.now;
    if (now - this.lastFeedback >= this.timeoutNs) {
      this.finish(
        NakSenderState.FAILED,
        `NO_FEEDBACK: nothing heard from the receiver for ${Math.round((now - this.lastFeedback) / 1e6)} ms ` +
          `with ${seqDiff(this.wr, this.una)} bytes unconfirmed`,
      );
      return;
    }
    if (this.startNs < 0) {
      this.startNs = now;
      this.lastFeedback = now;
    }
    const ending = this.stateValue === NakSenderState.ENDING && this.nxt === this.wr;
    const flags = NAK_FLAG_SREQ | (ending ? NAK_FLAG_FIN : 0);
    if (ending) this.finSent = true;
    const kbps = Math.min(0xffff_ffff, Math.round(this.rate.rate / 1000));
    this.sendPacket(this.dst, this.dstPort, NakType.DATA, flags, this.streamId, this.nxt, kbps, 0, 0, 0);
    this.c.probes++;
    this.window.onTimeout(0);
    this.probeHandle = this.schedule(Math.min(this.window.rto(0), this.timeoutNs), EV_NAK_PROBE);
  }

  // --- feedback ---

  protected onPacket(v: NakView, src: number, srcPort: number): void {
    if (src !== this.dst || srcPort !== this.dstPort) return this.drop("OTHER_PEER");
    if (v.streamId !== this.streamId) return this.drop("OTHER_STREAM");
    const type = v.type;
    if (type === NakType.DATA) return this.drop("UNEXPECTED_DATA");
    if (!this.active) return this.drop("NOT_ACTIVE");
    const cum = v.seq;
    if (seqGt(cum, this.nxt) && !(this.stateValue === NakSenderState.ENDING && cum === this.wr && this.finSent)) {
      return this.drop("BAD_CUMULATIVE");
    }
    const now = this.sim.now;
    this.lastFeedback = now;
    const age = nakEchoAge(now, v.tsecr);
    if (age >= 0) this.window.rttSample(0, age);
    if (seqGt(cum, this.una)) {
      this.c.bytesConfirmed += seqDiff(cum, this.una);
      this.una = cum;
    }
    this.peerWindow = Math.max(1, Math.min(v.info, MAX_WINDOW));
    if (type === NakType.DONE) {
      if (this.stateValue === NakSenderState.ENDING && cum === this.wr) {
        this.finish(NakSenderState.DONE, undefined);
      } else {
        this.drop("EARLY_DONE");
      }
      return;
    }
    if (type === NakType.NAK) this.c.naksReceived++;
    else this.c.statusReceived++;
    const count = v.rangeCount;
    let naked = 0;
    for (let i = 0; i < count; i++) naked += this.queueRepair(v.rangeStart(i), v.rangeEnd(i));
    if (naked > 0) {
      this.c.nakedPackets += naked;
      this.rate.naked(naked);
      if (this.pendingEcho === 0) this.pendingEcho = v.tsval;
    }
    if (this.writableWanted && this.stateValue === NakSenderState.OPEN && this.writable >= this.ringBytes >>> 2) {
      this.writableWanted = false;
      this.onWritableCb?.();
    }
    if (this.active) {
      // Feedback re-opens the window or brings repairs: the pacer runs again; an idle sender
      // with data unconfirmed restarts its probe clock from this moment.
      this.cancel(this.probeHandle);
      this.probeHandle = -1;
      this.kick();
    }
  }

  /**
   * Queues the part of [s, e) inside [una, nxt) not already queued (a NAK range outside is
   * clipped; parts already queued are not queued twice); returns packets' worth queued.
   */
  private queueRepair(s: number, e: number): number {
    const hi = this.finSent ? this.wr : this.nxt;
    if (seqLt(s, this.una)) s = this.una;
    if (seqGt(e, hi)) e = hi;
    if (seqGeq(s, e)) return 0;
    const cap = this.qStart.length;
    // Trim against queued ranges that overlap an end of [s, e).
    for (let k = 0; k < this.qCount && seqLt(s, e); k++) {
      const i = (this.qHead + k) % cap;
      const qs = this.qStart[i]!;
      const qe = this.qEnd[i]!;
      if (seqLeq(qs, s) && seqLt(s, qe)) s = qe;
      if (seqLt(qs, e) && seqLeq(e, qe)) e = qs;
    }
    if (seqGeq(s, e)) return 0;
    // ... and against repairs sent less than a holdoff ago: a NAK or status written before the
    // repair arrived still lists the hole, and must not cause a second repair.
    const holdoff = this.holdoff();
    const now = this.sim.now;
    const rcap = this.rStart.length;
    const first = this.rCount > rcap ? this.rCount - rcap : 0;
    for (let k = first; k < this.rCount && seqLt(s, e); k++) {
      const i = k % rcap;
      if (now - this.rTime[i]! >= holdoff) continue;
      const rs = this.rStart[i]!;
      const re = this.rEnd[i]!;
      if (seqLeq(rs, s) && seqLt(s, re)) s = re;
      if (seqLt(rs, e) && seqLeq(e, re)) e = rs;
    }
    if (seqGeq(s, e)) {
      this.c.repairsSuppressed++;
      return 0;
    }
    if (this.qCount === cap) {
      this.c.repairQueueDrops++;
      return 0;
    }
    const i = (this.qHead + this.qCount) % cap;
    this.qStart[i] = s;
    this.qEnd[i] = e;
    this.qCount++;
    if (this.qCount > this.c.repairQueueHighWater) this.c.repairQueueHighWater = this.qCount;
    return Math.ceil(seqDiff(e, s) / this.segmentSize);
  }

  /** Smoothed RTT from status echoes (0 before the first sample). */
  private srtt(): number {
    return this.window.rttState(0).srtt8 / 8;
  }

  /** How long a sent repair suppresses NAKs of the same bytes: 1.5 SRTT (the initial RTO before a sample). */
  private holdoff(): number {
    const srtt = this.srtt();
    return srtt > 0 ? srtt * 1.5 : this.initialRtoNs;
  }

  private rememberRepair(s: number, e: number): void {
    const i = this.rCount % this.rStart.length;
    this.rStart[i] = s;
    this.rEnd[i] = e;
    this.rTime[i] = this.sim.now;
    this.rCount++;
  }

  private popRepair(): void {
    this.qHead = (this.qHead + 1) % this.qStart.length;
    this.qCount--;
  }

  private finish(state: NakSenderState, reason: string | undefined): void {
    this.stateValue = state;
    this.reason = reason;
    this.endNs = this.sim.now;
    this.cancelTimers();
    this.qCount = 0;
    const cb = this.onCloseCb;
    this.onCloseCb = undefined;
    cb?.(reason === undefined ? { ok: true } : { ok: false, reason });
  }
}
