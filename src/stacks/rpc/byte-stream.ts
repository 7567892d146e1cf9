// ByteStream: the minimal reliable byte stream RPC runs over, and an in-memory stream pair.
//
// Contract of a ByteStream (a TCP connection satisfies it as planned: write/end/abort,
// onData, onEnd, onClose(reason), onWritable):
// - write(bytes) queues bytes in order and returns how many it took (a number), or true (all)
//   / false (none). Bytes not taken must be offered again after onWritable fires.
// - onData(cb): in-order bytes (bytes[offset, offset + length)); valid only during the call.
// - onEnd(cb) (optional): the peer finished sending (half close).
// - onClose(cb): the stream is gone, with a text that says why ("closed" or undefined for an
//   orderly close; reset, timeout, aborted ...). Called at most once.
// - end(): no more writes from us; abort(reason) (optional): tear down now.
//
// MemoryStreamPair: two connected ends (a, b) for tests, driven by the simulation's scheduler so
// delivery is an event like any other (no re-entrant calls into the peer from write()).
// - Each end has a bounded outbound buffer (`capacity` bytes): write() takes what fits;
//   onWritable fires when a short write can continue (half the buffer free).
// - Bytes written while no delivery is pending reach the peer `delay` ns later, in pieces of at
//   most `chunk` bytes (one delivery event per piece, back to back at that time), so receivers
//   see messages cut anywhere; bytes written meanwhile join the pieces in progress.
// - end(): after the buffered bytes, the peer's onEnd (or, without one, onClose(undefined))
//   runs; when both ends have ended, both get onClose(undefined).
// - breakWith(reason) / abort(reason): both ends' onClose(reason) at once; buffered bytes are
//   discarded. Afterwards write() returns 0.
// - Allocation: one copy per delivered piece (test double, not a hot path).

import { checkInteger } from "../../base/errors.js";
import { parseDuration } from "../../base/units.js";
import type { Simulation } from "../../engine/simulation.js";
import { EV_DEVICE_BASE } from "../../devices/device.js";

export interface ByteStream {
  write(bytes: Uint8Array): number | boolean;
  end(): void;
  abort?(reason: string): void;
  onData(cb: (bytes: Uint8Array, offset: number, length: number) => void): void;
  onEnd?(cb: () => void): void;
  onClose(cb: (reason: string | undefined) => void): void;
  onWritable(cb: () => void): void;
}

/** Bytes accepted by a write() result (number or boolean) for a write of `length` bytes. */
export function acceptedCount(result: number | boolean, length: number): number {
  if (result === true) return length;
  if (result === false) return 0;
  return result;
}

const EV_DELIVER = EV_DEVICE_BASE;

export interface MemoryStreamOptions {
  /** One-way delay (ns or "1ms"; default 0). */
  delay?: number | string;
  /** Outbound buffer per end (default 64 KiB). */
  capacity?: number;
  /** Largest piece delivered per event (default 65536). */
  chunk?: number;
}

export class MemoryStreamEnd implements ByteStream {
  private readonly pair: MemoryStreamPair;
  readonly side: 0 | 1;
  readonly buf: Uint8Array;
  private head = 0;
  private count = 0;
  ended = false;
  endDelivered = false;
  closed = false;
  private wantWritable = false;
  dataCb: ((bytes: Uint8Array, offset: number, length: number) => void) | undefined;
  endCb: (() => void) | undefined;
  closeCb: ((reason: string | undefined) => void) | undefined;
  writableCb: (() => void) | undefined;
  /** Pending delivery events for this direction. */
  deliveries = 0;

  constructor(pair: MemoryStreamPair, side: 0 | 1, capacity: number) {
    this.pair = pair;
    this.side = side;
    this.buf = new Uint8Array(capacity);
  }

  write(bytes: Uint8Array): number {
    if (this.closed || this.ended) return 0;
    const cap = this.buf.length;
    const n = Math.min(bytes.length, cap - this.count);
    if (n < bytes.length) this.wantWritable = true;
    for (let i = 0; i < n; i++) this.buf[(this.head + this.count + i) % cap] = bytes[i]!;
    this.count += n;
    if (n > 0) this.pair.scheduleDelivery(this.side);
    return n;
  }

  end(): void {
    if (this.closed || this.ended) return;
    this.ended = true;
    this.pair.scheduleDelivery(this.side);
  }

  abort(reason: string): void {
    this.pair.breakWith(reason);
  }

  onData(cb: (bytes: Uint8Array, offset: number, length: number) => void): void {
    this.dataCb = cb;
  }

  onEnd(cb: () => void): void {
    this.endCb = cb;
  }

  onClose(cb: (reason: string | undefined) => void): void {
    this.closeCb = cb;
  }

  onWritable(cb: () => void): void {
    this.writableCb = cb;
  }

  get buffered(): number {
    return this.count;
  }

  /** Takes up to `max` buffered bytes (a copy). */
  take(max: number): Uint8Array {
    const n = Math.min(max, this.count);
    const out = new Uint8Array(n);
    const cap = this.buf.length;
    for (let i = 0; i < n; i++) out[i] = this.buf[(this.head + i) % cap]!;
    this.head = (this.head + n) % cap;
    this.count -= n;
    if (this.wantWritable && this.count <= cap >>> 1) {
      this.wantWritable = false;
      this.writableCb?.();
    }
    return out;
  }

  discard(): void {
    this.head = 0;
    this.count = 0;
  }
}

export class MemoryStreamPair {
  readonly a: MemoryStreamEnd;
  readonly b: MemoryStreamEnd;
  readonly sim: Simulation;
  readonly id: number;
  readonly delay: number;
  readonly chunk: number;
  private broken = false;

  constructor(sim: Simulation, name: string, options: MemoryStreamOptions = {}) {
    this.sim = sim;
    this.delay = options.delay === undefined ? 0 : parseDuration(options.delay, "delay");
    const capacity = options.capacity ?? 65536;
    checkInteger("capacity", capacity, 1, 1 << 28);
    this.chunk = options.chunk ?? 65536;
    checkInteger("chunk", this.chunk, 1, 1 << 28);
    this.a = new MemoryStreamEnd(this, 0, capacity);
    this.b = new MemoryStreamEnd(this, 1, capacity);
    this.id = sim.register(name, this);
  }

  end(side: 0 | 1): MemoryStreamEnd {
    return side === 0 ? this.a : this.b;
  }

  /** Both ends close with `reason`; buffered bytes are lost. */
  breakWith(reason: string): void {
    if (this.broken) return;
    this.broken = true;
    for (const e of [this.a, this.b]) {
      e.discard();
      if (!e.closed) {
        e.closed = true;
        e.closeCb?.(reason);
      }
    }
  }

  scheduleDelivery(side: 0 | 1, delay = this.delay): void {
    const e = this.end(side);
    if (e.deliveries > 0) return;
    e.deliveries++;
    this.sim.scheduler.schedule(this.id, delay, this.id, EV_DELIVER, side, 0, 0);
  }

  handleEvent(_kind: number, side: number, _b: number, _len: number): void {
    const from = this.end(side as 0 | 1);
    const to = this.end((1 - side) as 0 | 1);
    from.deliveries--;
    if (this.broken) return;
    if (from.buffered > 0) {
      const piece = from.take(this.chunk);
      to.dataCb?.(piece, 0, piece.length);
      if (this.broken) return;
      // The next piece follows at once (same time, next event).
      if (from.buffered > 0 || from.ended) this.scheduleDelivery(side as 0 | 1, 0);
      return;
    }
    if (from.ended && !from.endDelivered) {
      from.endDelivered = true;
      if (to.endCb !== undefined) to.endCb();
      else if (!to.closed) {
        to.closed = true;
        to.closeCb?.(undefined);
      }
      if (from.endDelivered && to.endDelivered) {
        for (const e of [this.a, this.b]) {
          if (!e.closed) {
            e.closed = true;
            e.closeCb?.(undefined);
          }
        }
      }
    }
  }
}
