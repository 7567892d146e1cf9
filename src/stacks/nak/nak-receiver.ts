// NakReceiver: the receiving end of the NAK-only stream transport.
//
// Contract:
// - Listens on a UDP port; the first valid DATA packet locks the stream (sender address, port
//   and stream id); packets of any other stream are dropped and counted (OTHER_STREAM).
// - Reorders with a receive window the size of its byte ring (a power of two, in the shared
//   memory): the window kernel's receive ranges (src/kernels/window.ts) record what arrived,
//   the bytes go to ring position seq & (window - 1). Bytes below the cumulative point or
//   already held are duplicates (counted, never delivered twice); bytes beyond the window are
//   dropped (BEYOND_WINDOW) and repaired later like losses. Every byte is delivered exactly
//   once, in order, through onData(bytes, offset, length), a view into the shared memory valid
//   only during the call (copy it to keep it): the application consumes at once, so the window
//   stays fully open.
// - A new hole is NAKed at once; a NAK timer re-NAKs every hole still open (onTimer). A packet
//   with SREQ is answered at once with STATUS (sendStatus).
// - Completion: once the cumulative point reaches the end the FIN announced, onEnd() runs and a
//   DONE packet (final ack) goes back; in COMPLETE every further packet of the stream is answered
//   with DONE again (the first may be lost) until `linger` passes (then CLOSED). Nothing from the
//   sender for `timeout` while RECEIVING -> FAILED, onFail(reason). See NakReceiverState.
// - Bounded: ring, range set (maxRanges; a range that needs a new slot when the set is full is
//   refused and counted, and repaired later), NAK size. Hot path: no allocation per packet
//   (the NAK timer reads the hole list from the kernel, one small array per timer).
// - Frames held: none; each packet's bytes are copied into the ring and the frame consumed.
// - Not handled: several senders per port, a NAK delay for reordering (see nak-sender.ts).

import { ErrorCode, NetloomError, checkInteger } from "../../base/errors.js";
import { parseByteSize } from "../../base/units.js";
import { EV_DEVICE_BASE } from "../../devices/device.js";
import { seqAdd, seqDiff, seqGt, seqLt } from "../../kernels/seq.js";
import { MarkStatus } from "../../kernels/window.js";
import type { AnyIpHost } from "../ip/ip-host.js";
import { NAK_OVERHEAD, NakEndpoint, positiveDuration } from "./nak-endpoint.js";
import {
  NAK_FLAG_FIN,
  NAK_FLAG_SREQ,
  NAK_RANGES_HEADER_LEN,
  NAK_RANGE_LEN,
  NakType,
  nakEchoAge,
  type NakView,
} from "./nak-wire.js";

/** NAK retry timer. */
export const EV_NAK_RETRY = EV_DEVICE_BASE;
/** Silence check. */
export const EV_NAK_IDLE = EV_DEVICE_BASE + 1;
/** End of the linger period after completion. */
export const EV_NAK_LINGER = EV_DEVICE_BASE + 2;

/**
 * LISTEN --first DATA--> RECEIVING --all bytes up to FIN--> COMPLETE --linger--> CLOSED
 * RECEIVING --silence for timeout--> FAILED;  any --close()--> CLOSED
 */
export const NakReceiverState = { LISTEN: 0, RECEIVING: 1, COMPLETE: 2, FAILED: 3, CLOSED: 4 } as const;
export type NakReceiverState = (typeof NakReceiverState)[keyof typeof NakReceiverState];
const STATE_NAMES = ["listen", "receiving", "complete", "failed", "closed"] as const;

export interface NakReceiverOptions {
  /** UDP port to listen on. */
  port: number;
  /** Sequence number of the stream's first byte, as the sender's (default 0). */
  initialSequence?: number;
  /** Receive window = ring size, a power of two (default 1 MiB). */
  window?: number | string;
  /** Out-of-order ranges remembered (default 256). */
  maxRanges?: number;
  /** Ranges per NAK packet (default: as many as fit the MTU, at most maxRanges + 1). */
  maxNakRanges?: number;
  /** Silence that fails a stream being received (default 2 s). */
  timeout?: number | string;
  /** How long a completed stream answers with DONE (default 1 s). */
  linger?: number | string;
  /** NAK retry RTO bounds (defaults 2 ms, 1 s; initial 50 ms). */
  minRto?: number | string;
  maxRto?: number | string;
  initialRto?: number | string;
}

export interface NakReceiverStats {
  state: (typeof STATE_NAMES)[number];
  reason: string | undefined;
  packetsReceived: number;
  bytesReceived: number;
  bytesDelivered: number;
  /** Packets that brought no new byte. */
  duplicates: number;
  outOfOrder: number;
  naksSent: number;
  nakRetries: number;
  rangesNaked: number;
  statusSent: number;
  doneSent: number;
  beyondWindow: number;
  rangesRefused: number;
  sendFailures: number;
  drops: Record<string, number>;
  /** Delivered bytes x 8 / (completion or last delivery - first packet), bit/s. */
  goodputBps: number;
  firstPacketNs: number;
  completeNs: number;
  /** Total bytes of the stream once the FIN was seen (-1 before). */
  streamLength: number;
}

export class NakReceiver extends NakEndpoint {
  readonly initialSequence: number;
  readonly timeoutNs: number;
  readonly lingerNs: number;
  readonly maxNakRanges: number;
  private stateValue: NakReceiverState = NakReceiverState.LISTEN;
  private reason: string | undefined;
  private readonly mask: number;
  private peer = 0;
  private peerPort = 0;
  private streamId = 0;
  /** Cumulative point = next byte to deliver. */
  private delivered: number;
  private finKnown = false;
  private finSeq = 0;
  private lastHeard = 0;
  private lastDelivery = -1;
  private firstPacketNs = -1;
  private completeNs = -1;
  private nakHandle = -1;
  private idleHandle = -1;
  private lingerHandle = -1;
  // Ranges of the NAK/STATUS being built (start, end pairs).
  private readonly out: Uint32Array;
  private outCount = 0;
  private onDataCb: ((bytes: Uint8Array, offset: number, length: number) => void) | undefined;
  private onEndCb: (() => void) | undefined;
  private onFailCb: ((reason: string) => void) | undefined;
  private readonly c = {
    packetsReceived: 0,
    bytesReceived: 0,
    bytesDelivered: 0,
    duplicates: 0,
    outOfOrder: 0,
    naksSent: 0,
    nakRetries: 0,
    rangesNaked: 0,
    statusSent: 0,
    doneSent: 0,
    beyondWindow: 0,
    rangesRefused: 0,
  };

  constructor(host: AnyIpHost, options: NakReceiverOptions) {
    checkInteger("port", options.port, 1, 0xffff);
    const iss = options.initialSequence ?? 0;
    checkInteger("initialSequence", iss, 0, 0xffff_ffff);
    const window = options.window === undefined ? 1 << 20 : parseByteSize(options.window, "window");
    checkInteger("window", window, 4096, 1 << 30);
    if ((window & (window - 1)) !== 0)
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${window} is not a power of two`, { path: "window" });
    const maxRanges = options.maxRanges ?? 256;
    checkInteger("maxRanges", maxRanges, 1, 4096);
    const fit = Math.floor((host.mtu - NAK_OVERHEAD - NAK_RANGES_HEADER_LEN) / NAK_RANGE_LEN);
    const maxNakRanges = options.maxNakRanges ?? Math.min(fit, maxRanges + 1);
    checkInteger("maxNakRanges", maxNakRanges, 1, fit);
    const timeoutNs = positiveDuration("timeout", options.timeout, 2e9);
    const lingerNs = positiveDuration("linger", options.linger, 1e9);
    const minRto = positiveDuration("minRto", options.minRto, 2e6);
    const maxRto = positiveDuration("maxRto", options.maxRto, 1e9);
    const initialRto = positiveDuration("initialRto", options.initialRto, 50e6);
    if (maxRto < minRto || initialRto < minRto || initialRto > maxRto) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "RTO bounds must satisfy minRto <= initialRto <= maxRto", {
        path: "initialRto",
      });
    }
    super(host, `${host.name}.nak-rx`, options.port, window, maxRanges, {
      min: minRto,
      max: maxRto,
      initial: initialRto,
    });
    this.initialSequence = iss;
    this.timeoutNs = timeoutNs;
    this.lingerNs = lingerNs;
    this.maxNakRanges = maxNakRanges;
    this.mask = window - 1;
    this.delivered = iss;
    this.out = new Uint32Array(2 * maxNakRanges);
    this.openWindow(iss, window);
  }

  get state(): (typeof STATE_NAMES)[number] {
    return STATE_NAMES[this.stateValue];
  }

  /** In-order bytes: a view of the shared memory valid during the call. */
  onData(cb: ((bytes: Uint8Array, offset: number, length: number) => void) | undefined): void {
    this.onDataCb = cb;
  }

  /** Every byte up to the FIN was delivered. */
  onEnd(cb: (() => void) | undefined): void {
    this.onEndCb = cb;
  }

  onFail(cb: ((reason: string) => void) | undefined): void {
    this.onFailCb = cb;
  }

  /** Stops listening and releases everything. */
  close(): void {
    if (this.destroyed) return;
    this.stateValue = NakReceiverState.CLOSED;
    this.destroy();
  }

  stats(): NakReceiverStats {
    const end = this.completeNs >= 0 ? this.completeNs : this.lastDelivery;
    const span = this.firstPacketNs >= 0 && end >= 0 ? end - this.firstPacketNs : 0;
    return {
      state: STATE_NAMES[this.stateValue],
      reason: this.reason,
      ...this.c,
      sendFailures: this.sendFailures,
      drops: { ...this.drops },
      goodputBps: span > 0 ? (this.c.bytesDelivered * 8 * 1e9) / span : 0,
      firstPacketNs: this.firstPacketNs,
      completeNs: this.completeNs,
      streamLength: this.finKnown ? seqDiff(this.finSeq, this.initialSequence) >>> 0 : -1,
    };
  }

  // --- receive ---

  protected onPacket(v: NakView, src: number, srcPort: number): void {
    if (v.type !== NakType.DATA) return this.drop("UNEXPECTED_CONTROL");
    const state = this.stateValue;
    if (state === NakReceiverState.LISTEN) {
      this.peer = src;
      this.peerPort = srcPort;
      this.streamId = v.streamId;
      this.stateValue = NakReceiverState.RECEIVING;
      this.firstPacketNs = this.sim.now;
      this.lastHeard = this.sim.now;
      this.idleHandle = this.schedule(this.timeoutNs, EV_NAK_IDLE);
    } else if (src !== this.peer || srcPort !== this.peerPort || v.streamId !== this.streamId) {
      return this.drop("OTHER_STREAM");
    }
    if (this.stateValue === NakReceiverState.COMPLETE) {
      this.c.duplicates++;
      this.sendDone(v.tsval);
      return;
    }
    if (this.stateValue !== NakReceiverState.RECEIVING) return this.drop("NOT_RECEIVING");
    const now = this.sim.now;
    this.lastHeard = now;
    this.c.packetsReceived++;
    const seq = v.seq;
    const len = v.payloadLength;
    const end = seqAdd(seq, len);
    const flags = v.flags;
    if ((flags & NAK_FLAG_FIN) !== 0) {
      if (this.finKnown && end !== this.finSeq) return this.drop("FIN_MOVED");
      if (seqLt(end, this.delivered)) return this.drop("FIN_BEHIND");
      this.finKnown = true;
      this.finSeq = end;
    } else if (this.finKnown && seqGt(end, this.finSeq)) {
      return this.drop("BEYOND_FIN");
    }
    const age = nakEchoAge(now, v.tsecr);
    if (age >= 0) this.window.rttSample(0, age);
    const highestBefore = this.window.highestReceived(0);
    let accepted = false;
    if (len > 0) {
      const before = this.delivered;
      const ack = this.window.mark(0, seq, end);
      const status = this.window.lastMarkStatus(0);
      if (status === MarkStatus.NEW || status === MarkStatus.CLIPPED) {
        accepted = true;
        // Copy only the part inside [cumulative point, + window): other ring positions hold
        // other bytes.
        const from = seqLt(seq, before) ? before : seq;
        const winEnd = seqAdd(before, this.ringBytes);
        const to = seqGt(end, winEnd) ? winEnd : end;
        const n = seqDiff(to, from);
        if (n > 0) {
          this.copyIntoRing(v.bytes, v.payloadOffset + seqDiff(from, seq), from & this.mask, n);
          this.c.bytesReceived += n;
        }
        if (status === MarkStatus.CLIPPED) this.c.beyondWindow++;
        if (seq !== before) this.c.outOfOrder++;
        if (ack !== before) this.deliver(ack);
      } else if (status === MarkStatus.DUPLICATE) {
        this.c.duplicates++;
      } else if (status === MarkStatus.BEYOND) {
        this.c.beyondWindow++;
      } else if (status === MarkStatus.REFUSED) {
        this.c.rangesRefused++;
      }
    }
    if (this.finKnown && this.delivered === this.finSeq) {
      this.complete(v.tsval);
      return;
    }
    if ((flags & NAK_FLAG_SREQ) !== 0) {
      this.sendStatus(v.tsval, end);
    } else if (accepted && seqGt(seq, highestBefore)) {
      // A new hole [highest received before, seq): NAK it now.
      this.out[0] = highestBefore;
      this.out[1] = seq;
      this.outCount = 1;
      this.sendControl(NakType.NAK, 0);
      this.c.naksSent++;
      this.c.rangesNaked++;
    }
    if (this.nakHandle < 0 && this.window.highestReceived(0) !== this.delivered) {
      this.nakHandle = this.schedule(this.window.rto(0), EV_NAK_RETRY);
    }
  }

  private deliver(ack: number): void {
    let from = this.delivered;
    let total = seqDiff(ack, from);
    this.delivered = ack;
    this.c.bytesDelivered += total;
    this.lastDelivery = this.sim.now;
    const cb = this.onDataCb;
    while (total > 0) {
      const pos = from & this.mask;
      const n = Math.min(total, this.ringBytes - pos);
      cb?.(this.u8, this.ringPtr + pos, n);
      from = seqAdd(from, n);
      total -= n;
    }
  }

  private complete(tsval: number): void {
    this.stateValue = NakReceiverState.COMPLETE;
    this.completeNs = this.sim.now;
    this.cancel(this.nakHandle);
    this.cancel(this.idleHandle);
    this.nakHandle = -1;
    this.idleHandle = -1;
    this.sendDone(tsval);
    this.lingerHandle = this.schedule(this.lingerNs, EV_NAK_LINGER);
    this.onEndCb?.();
  }

  // --- feedback ---

  /** STATUS: holes plus the tail up to `senderEnd` when the sender is ahead of what arrived. */
  private sendStatus(echo: number, senderEnd: number): void {
    let n = this.fillHoles();
    const highest = this.window.highestReceived(0);
    if (seqGt(senderEnd, highest) && n < this.maxNakRanges) {
      this.out[2 * n] = highest;
      this.out[2 * n + 1] = senderEnd;
      n++;
    }
    this.outCount = n;
    this.sendControl(NakType.STATUS, echo);
    this.c.statusSent++;
    this.c.rangesNaked += n;
  }

  private sendDone(echo: number): void {
    this.sendPacket(this.peer, this.peerPort, NakType.DONE, 0, this.streamId, this.finSeq, this.ringBytes, echo, 0, 0);
    this.c.doneSent++;
  }

  private sendControl(type: NakType, echo: number): void {
    this.sendPacket(
      this.peer,
      this.peerPort,
      type,
      0,
      this.streamId,
      this.delivered,
      this.ringBytes,
      echo,
      0,
      0,
      this.outCount,
    );
  }

  protected override writeRanges(v: NakView, count: number): void {
    for (let i = 0; i < count; i++) v.setRange(i, this.out[2 * i]!, this.out[2 * i + 1]!);
  }

  /** Copies up to maxNakRanges holes from the kernel into `out`; returns the count. */
  private fillHoles(): number {
    if (this.window.highestReceived(0) === this.delivered) return 0;
    const holes = this.window.holes(0);
    const n = Math.min(holes.length, this.maxNakRanges);
    for (let i = 0; i < n; i++) {
      this.out[2 * i] = holes[i]![0];
      this.out[2 * i + 1] = holes[i]![1];
    }
    return n;
  }

  // --- timers ---

  /**
   * EV_NAK_RETRY re-NAKs every hole still open, up to `maxNakRanges` ranges per packet, every RTO
   * of the window kernel's RFC 6298 estimator (fed by the time from a NAK to the repair that
   * echoes it, backed off per retry) until none is left.
   */
  protected onTimer(kind: number): void {
    if (kind === EV_NAK_RETRY) {
      this.nakHandle = -1;
      if (this.stateValue !== NakReceiverState.RECEIVING) return;
      const n = this.fillHoles();
      if (n === 0) return;
      this.outCount = n;
      this.sendControl(NakType.NAK, 0);
      this.c.naksSent++;
      this.c.nakRetries++;
      this.c.rangesNaked += n;
      this.window.onTimeout(0);
      this.nakHandle = this.schedule(this.window.rto(0), EV_NAK_RETRY);
    } else if (kind === EV_NAK_IDLE) {
      this.idleHandle = -1;
      if (this.stateValue !== NakReceiverState.RECEIVING) return;
      const silent = this.sim.now - this.lastHeard;
      if (silent >= this.timeoutNs) {
        this.fail(
          `SENDER_SILENT: nothing from the sender for ${Math.round(silent / 1e6)} ms; ` +
            `${this.c.bytesDelivered} bytes delivered${this.finKnown ? ` of ${seqDiff(this.finSeq, this.initialSequence) >>> 0}` : ""}`,
        );
      } else {
        this.idleHandle = this.schedule(this.timeoutNs - silent, EV_NAK_IDLE);
      }
    } else if (kind === EV_NAK_LINGER) {
      this.lingerHandle = -1;
      if (this.stateValue === NakReceiverState.COMPLETE) this.stateValue = NakReceiverState.CLOSED;
    }
  }

  protected cancelTimers(): void {
    this.cancel(this.nakHandle);
    this.cancel(this.idleHandle);
    this.cancel(this.lingerHandle);
    this.nakHandle = -1;
    this.idleHandle = -1;
    this.lingerHandle = -1;
  }

  private fail(reason: string): void {
    this.stateValue = NakReceiverState.FAILED;
    this.reason = reason;
    this.cancelTimers();
    const cb = this.onFailCb;
    this.onFailCb = undefined;
    cb?.(reason);
  }
}
