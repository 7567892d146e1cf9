// The receive side of one TCP connection: the acceptability test, the receive ring with
// reassembly of out-of-order data, delivery to the application, window advertisement and the
// ACK policy (immediate, every `ackEvery` segments, delayed, or one per burst train).
//
// Contract:
// - The ring (shared Wasm heap, allocated at open, freed at close) holds the undelivered in-order
//   bytes and room for out-of-order ones up to the advertised window. Which sequence ranges
//   beyond rcv.nxt are held is the window kernel's record (src/kernels/window.ts); the ring only
//   holds their bytes. The FIN's sequence number enters the kernel's ack point, never the ring.
// - Delivery: onData(bytes, offset, length) gets in-order bytes exactly once, the view valid only
//   during the call; a segment that is next in order with nothing held goes to the application
//   straight from the frame. A paused reader keeps bytes in the ring, which shrinks the window.
//   onEnd fires after the peer's FIN and every byte before it.
// - Window: receiver SWS avoidance (RFC 1122 4.2.3.3) in advertiseWindow(); a reader that
//   catches up reopens the window with an ACK of its own.
// - Frames held: none. In-order and out-of-order bytes are copied out of each segment's frame
//   into the ring (bounded by the advertised window), and the frame is consumed at once.
// - Nothing here throws: unacceptable or clipped segments are counted in the connection's drops.

import { seqGt, seqLeq, seqLt } from "../../kernels/seq.js";
import { MarkStatus } from "../../kernels/window.js";
import { TCP_FLAG_FIN, TCP_FLAG_RST, TCP_FLAG_SYN, type TcpRepr } from "../../wire/tcp.js";
import type { ResolvedTcpOptions, TcpNegotiated } from "./tcp-options.js";
import type { TcpEndpoint, TcpLayerPort } from "./tcp-port.js";
import type { TcpTimers } from "./tcp-timers.js";
import { ConnDrop, type DataListener, TcpState, type TcpCounters } from "./tcp-types.js";

/** Outcome of the acceptability test (RFC 9293 3.10.7.4). */
export const Acceptance = { REJECT: 0, ACCEPT: 1, ACK_ONLY: 2 } as const;

/** Bits of receive()'s result: the FIN arrived with this segment; the segment is acked at once. */
export const Received = { FIN: 1, ACK_NOW: 2 } as const;

export class TcpReceiver {
  /** Initial receive sequence number (the peer's ISN). */
  irs = 0;
  /** Heap address and size of the ring (address 0 while not allocated). */
  ring = 0;
  cap = 0;
  /** Ring index of the byte at `read`. */
  head = 0;
  /** Sequence number of the first undelivered byte, and rcv.nxt (the kernel's ack point). */
  read = 0;
  nxt = 0;
  finSeq = 0;
  finSeen = false;
  finReceived = false;
  endDelivered = false;
  paused = false;
  /** Right edge of the window last advertised. */
  advRight = 0;
  /** Segments received since the last ack we sent. */
  ackPending = 0;
  /** A burst train is being received: its ack waits for the train's last segment. */
  trainHeld = false;
  dataCb: DataListener | undefined;
  endCb: (() => void) | undefined;
  private readonly ep: TcpEndpoint;
  private readonly port: TcpLayerPort;
  private readonly slot: number;
  private readonly opt: ResolvedTcpOptions;
  private readonly neg: TcpNegotiated;
  private readonly timers: TcpTimers;
  private readonly c: TcpCounters;
  private readonly drops: Uint32Array;

  constructor(
    ep: TcpEndpoint,
    port: TcpLayerPort,
    opt: ResolvedTcpOptions,
    neg: TcpNegotiated,
    timers: TcpTimers,
    c: TcpCounters,
    drops: Uint32Array,
  ) {
    this.ep = ep;
    this.port = port;
    this.slot = ep.slot;
    this.opt = opt;
    this.neg = neg;
    this.timers = timers;
    this.c = c;
    this.drops = drops;
  }

  alloc(cap: number): void {
    this.cap = cap;
    this.ring = this.port.sim.runtime.heap.alloc(cap);
  }

  free(): void {
    if (this.ring !== 0) this.port.sim.runtime.heap.free(this.ring);
    this.ring = 0;
  }

  /** The SYN exchange is done: rcv.nxt is the byte after the peer's SYN. */
  open(): void {
    this.nxt = this.read = this.advRight = (this.irs + 1) >>> 0;
  }

  /** Room in the ring past rcv.nxt: the window we may offer. */
  freeBytes(): number {
    return this.cap - ((this.nxt - this.read) >>> 0);
  }

  /** The ack number we send: rcv.nxt, past the peer's FIN once it arrived. */
  ackNumber(): number {
    return this.nxt + (this.finReceived ? 1 : 0);
  }

  /** RFC 9293 3.10.7.4 step 1 for a segment of `segLen` sequence numbers at `seq`. */
  acceptance(seq: number, segLen: number, flags: number): number {
    const wnd = this.freeBytes();
    const rn = this.nxt;
    let ok: boolean;
    if (segLen === 0) ok = wnd === 0 ? seq === rn : seqLeq(rn, seq) && seqLt(seq, rn + wnd);
    else if (wnd === 0) ok = false;
    else {
      const last = (seq + segLen - 1) >>> 0;
      ok = (seqLeq(rn, seq) && seqLt(seq, rn + wnd)) || (seqLeq(rn, last) && seqLt(last, rn + wnd));
    }
    if (ok) return Acceptance.ACCEPT;
    // A zero window refuses data, but its ACK and window still count (RFC 9293 3.10.7.4).
    if (wnd === 0 && seq === rn && (flags & (TCP_FLAG_RST | TCP_FLAG_SYN)) === 0) return Acceptance.ACK_ONLY;
    return Acceptance.REJECT;
  }

  /**
   * Window field of an outgoing segment (scaled), with receiver SWS avoidance: the right edge
   * moves only by at least min(buffer / 2, MSS); until then the last advertised edge stands.
   * The ack it goes with answers every pending segment.
   */
  advertiseWindow(free: number): number {
    let wnd = free;
    const prev = (this.advRight - this.nxt) | 0;
    if (wnd - Math.max(prev, 0) < Math.min(this.cap >>> 1, this.neg.smss)) wnd = Math.max(0, Math.min(prev, free));
    const scale = this.neg.rcvScale;
    let w = wnd >>> scale;
    if (w > 0xffff) w = 0xffff;
    this.advRight = (this.nxt + (w << scale)) >>> 0;
    this.ackPending = 0;
    return w;
  }

  /**
   * Takes the data (and FIN) of an acceptable segment: stores or delivers the bytes and records
   * them in the kernel. Returns Received bits; the caller handles the FIN, then the ack follows
   * with ackAfterData() unless the connection closed meanwhile.
   */
  receive(r: TcpRepr, bytes: Uint8Array, pay: number): number {
    const port = this.port;
    const seq = r.seqNumber;
    const len = r.payloadLength;
    const fin = (r.flags & TCP_FLAG_FIN) !== 0;
    const before = this.nxt;
    const free = this.cap - ((before - this.read) >>> 0);
    // Bytes before rcv.nxt are old; bytes past the window are not kept.
    let skip = ((before - seq) | 0) > 0 ? (before - seq) >>> 0 : 0;
    if (skip > len) skip = len;
    const offInWnd = (seq + skip - before) >>> 0;
    let keep = len - skip;
    if (offInWnd + keep > free) keep = Math.max(0, free - offInWnd);
    const hadRanges = port.peekRanges(this.slot);
    // In order, nothing buffered, nothing out of order held, a listener reading: the bytes go
    // to the application straight from the segment, as they would have left the ring at once.
    const direct =
      keep > 0 &&
      offInWnd === 0 &&
      !fin &&
      this.read === before &&
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
      newNxt = port.k.windowMark(port.tablePtr, this.slot, (seq + skip) >>> 0, markLen) >>> 0;
      const st = port.table.lastMarkStatus(this.slot);
      if (st === MarkStatus.REFUSED) this.drops[ConnDrop.RANGES_FULL]!++;
      else if (st === MarkStatus.BEYOND || st === MarkStatus.CLIPPED) this.drops[ConnDrop.OUT_OF_WINDOW]!++;
    }
    if (fin && allKept) {
      this.finSeq = (seq + len) >>> 0;
      this.finSeen = true;
    }
    let finNow = false;
    if (this.finSeen && !this.finReceived && seqGt(newNxt, this.finSeq)) {
      finNow = true;
      this.finReceived = true;
    }
    this.nxt = this.finReceived ? this.finSeq : newNxt;
    // Out-of-order, duplicate or hole-filling segments and FINs are acked at once (RFC 5681 4.2).
    const ackNow = seqGt(seq, before) || newNxt === before || hadRanges || finNow || this.opt.delayedAck === 0;
    const result = (finNow ? Received.FIN : 0) | (ackNow ? Received.ACK_NOW : 0);
    if (direct && newNxt === (before + keep) >>> 0) {
      this.head = (this.head + keep) % this.cap;
      this.read = newNxt;
      this.c.bytesDelivered += keep;
      this.updateKernelWindow();
      this.dataCb!(bytes, pay + skip, keep);
      if (this.ep.isClosed()) return result;
      this.maybeEnd();
    } else {
      // Not taken whole by the kernel after all (clipped): store them like any other segment.
      if (direct) this.storeInRing(bytes, pay + skip, keep, seq + skip);
      this.updateKernelWindow();
      if (!this.paused) this.deliver(Infinity);
    }
    return result;
  }

  /**
   * Ack policy after a segment's data (RFC 5681 4.2, RFC 1122 4.2.3.2), given receive()'s
   * result: at once when it says so; in-order data every ackEvery segments or after the
   * delayed-ack time; a train member (burst bit) waits for its train's last segment.
   */
  ackAfterData(received: number, burst: boolean): void {
    this.ackPending++;
    if (burst && (received & Received.FIN) === 0) {
      this.trainHeld = true;
      this.timers.armDelack();
    } else if ((received & Received.ACK_NOW) !== 0 || this.trainHeld || this.ackPending >= this.opt.ackEvery) {
      this.trainHeld = false;
      this.ep.sendAck();
    } else {
      this.timers.armDelack();
    }
  }

  /** Copies `len` received bytes (sequence number `seq`) from bytes[src..] into the ring. */
  private storeInRing(bytes: Uint8Array, src: number, len: number, seq: number): void {
    const u8 = this.port.u8;
    let at = (this.head + ((seq - this.read) >>> 0)) % this.cap;
    let left = len;
    const own = bytes === u8;
    while (left > 0) {
      const chunk = Math.min(left, this.cap - at);
      if (own) this.port.rt.copy(this.ring + at, src, chunk);
      else u8.set(bytes.subarray(src, src + chunk), this.ring + at);
      src += chunk;
      left -= chunk;
      at = 0;
    }
  }

  /** onEnd once the FIN arrived and every byte before it was delivered. */
  maybeEnd(): void {
    if (this.finReceived && !this.endDelivered && this.read === this.nxt) {
      this.endDelivered = true;
      this.endCb?.();
    }
  }

  /** Hands up to `max` in-order bytes to onData; returns how many. */
  deliver(max: number, fromApp = false): number {
    let done = 0;
    const u8 = this.port.u8;
    if (this.dataCb === undefined) return 0; // held until a listener is set (like unread socket data)
    while (done < max && this.read !== this.nxt && this.ep.stateValue !== TcpState.CLOSED) {
      const unread = (this.nxt - this.read) >>> 0;
      const chunk = Math.min(unread, this.cap - this.head, max - done);
      const at = this.ring + this.head;
      this.head = (this.head + chunk) % this.cap;
      this.read = (this.read + chunk) >>> 0;
      this.c.bytesDelivered += chunk;
      done += chunk;
      this.dataCb?.(u8, at, chunk);
      if (this.paused && max === Infinity) break;
    }
    if (done > 0 && !this.ep.isClosed()) {
      this.updateKernelWindow();
      if (fromApp && this.ep.kernelOpen && !this.finReceived) this.reopenWindow();
      this.maybeEnd();
    }
    return done;
  }

  /**
   * A reader that catches up reopens the window: tell the peer once the window we last
   * advertised is below min(buffer / 2, MSS) and the new one is larger by at least that (RFC
   * 1122 4.2.3.3). Deliveries during a segment's processing need no update: the ack that
   * follows carries the window.
   */
  private reopenWindow(): void {
    const thresh = Math.min(this.cap >>> 1, this.neg.smss);
    const advertised = (this.advRight - this.nxt) | 0;
    const free = this.freeBytes();
    const s = this.ep.stateValue;
    if (
      advertised < thresh &&
      free - Math.max(advertised, 0) >= thresh &&
      (s === TcpState.ESTABLISHED || s === TcpState.FIN_WAIT_1 || s === TcpState.FIN_WAIT_2)
    )
      this.ep.sendAck();
  }

  updateKernelWindow(): void {
    if (!this.ep.kernelOpen) return;
    const port = this.port;
    port.k.windowSetReceiveWindow(port.tablePtr, this.slot, this.freeBytes());
  }
}
