// SlotPool: fixed-size frame slots (fbufs) in the shared Wasm memory.
//
// Contract:
// - A pool owns `count` slots of `slotBytes` each, carved from one heap region, plus one
//   32-bit reference count per slot. Slot i's bytes are at dataOffset(i) .. + slotBytes.
//   A frame inside a slot is described by (slot, head, length): `head` is the frame's first
//   byte relative to the slot start; headers are pushed by moving head left into headroom and
//   popped by moving it right. The descriptor travels by value; nothing here allocates per frame.
// - alloc() returns a slot with refcount 1, or -1 when the pool is exhausted; exhaustion is
//   counted (allocFailures), never thrown, because it happens on hot paths (a NIC with no
//   receive buffer drops the frame). retain() adds a holder (flooding, broadcast): a slot
//   held more than once is read-only; a writer copies first (isShared()). release() drops a
//   holder and returns the slot to the free stack when the last one lets go.
// - Ownership: after handing a slot on (send), the sender must not touch it. Only the thread
//   that owns the pool allocates from it and pushes onto its free stack; reference counts use
//   Atomics so that holders in other threads (partitions) can retain/release, and a release
//   that reaches zero in another thread hands the slot back through that thread's return path
//   (the partition rings), not by touching the free stack.
// - Accounting: inUse, highWater, allocFailures; leaks() lists slots still held, so tests can
//   fail any test that leaks.
// - Memory layout of the pool's heap region:
//     +0                      refcounts: Int32 x count
//     +align64(4 * count)     slot 0 | slot 1 | ... | slot count-1   (slotBytes each, 64-aligned)

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import { getRuntime, type KernelRuntime } from "../kernels/runtime.js";
import { alignUp } from "../kernels/heap.unsafe.js";

export interface SlotPoolOptions {
  /** Bytes per slot, a multiple of 64 (e.g. 2048 for Ethernet frames, 65536 + 128 for AAL5 PDUs). */
  slotBytes: number;
  /** Number of slots; fixed for the pool's life. */
  count: number;
  /** Runtime whose memory holds the pool (default: this thread's). */
  runtime?: KernelRuntime;
  /** Name for error messages and stats, e.g. "host3.rx". */
  name?: string;
}

export interface SlotPoolStats {
  capacity: number;
  inUse: number;
  highWater: number;
  allocFailures: number;
}

export class SlotPool {
  readonly runtime: KernelRuntime;
  readonly name: string;
  readonly slotBytes: number;
  readonly count: number;
  /** Byte offset of the pool's heap region (refcounts first). */
  readonly region: number;
  /** Byte offset of slot 0's first byte. */
  readonly slotsBase: number;
  private readonly refIndex: number;
  private readonly i32: Int32Array;
  private readonly freeStack: Int32Array;
  private freeTop: number;
  private highWater = 0;
  private allocFailures = 0;
  private released = false;

  constructor(options: SlotPoolOptions) {
    checkInteger("slotBytes", options.slotBytes, 64, 1 << 24);
    if (options.slotBytes % 64 !== 0) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${options.slotBytes} is not a multiple of 64`, {
        path: "slotBytes",
      });
    }
    checkInteger("count", options.count, 1, 1 << 22);
    this.runtime = options.runtime ?? getRuntime();
    this.name = options.name ?? "pool";
    this.slotBytes = options.slotBytes;
    this.count = options.count;
    const refBytes = alignUp(4 * options.count, 64);
    this.region = this.runtime.heap.alloc(refBytes + options.slotBytes * options.count);
    this.slotsBase = this.region + refBytes;
    this.refIndex = this.region >> 2;
    this.i32 = this.runtime.i32;
    this.freeStack = new Int32Array(options.count);
    // Lowest slot on top: the first frames of a run use the lowest addresses (easier to read dumps).
    for (let i = 0; i < options.count; i++) this.freeStack[i] = options.count - 1 - i;
    this.freeTop = options.count;
  }

  /** A slot with refcount 1, or -1 when none is free (counted). */
  alloc(): number {
    if (this.freeTop === 0) {
      this.allocFailures++;
      return -1;
    }
    const slot = this.freeStack[--this.freeTop]!;
    Atomics.store(this.i32, this.refIndex + slot, 1);
    const inUse = this.count - this.freeTop;
    if (inUse > this.highWater) this.highWater = inUse;
    return slot;
  }

  /** Adds a holder to a live slot (e.g. one more output port of a flood). */
  retain(slot: number): void {
    Atomics.add(this.i32, this.refIndex + slot, 1);
  }

  /**
   * Drops a holder. Returns true when this was the last one and the slot is free again.
   * Must run on the pool's own thread; other threads return slots through their ring.
   */
  release(slot: number): boolean {
    const before = Atomics.sub(this.i32, this.refIndex + slot, 1);
    if (before === 1) {
      this.freeStack[this.freeTop++] = slot;
      return true;
    }
    if (before <= 0) {
      // Restore and report: a double release is a bug in the caller, never silently absorbed.
      Atomics.add(this.i32, this.refIndex + slot, 1);
      throw new NetloomError(ErrorCode.USE_AFTER_FREE, `slot ${slot} of ${this.name} released while free`);
    }
    return false;
  }

  /** Current number of holders of a slot (0 = free). */
  refcount(slot: number): number {
    return Atomics.load(this.i32, this.refIndex + slot);
  }

  /** True when more than one holder shares the slot: its bytes are read-only. */
  isShared(slot: number): boolean {
    return Atomics.load(this.i32, this.refIndex + slot) > 1;
  }

  /** Byte offset in linear memory of a slot's first byte. */
  dataOffset(slot: number): number {
    return this.slotsBase + slot * this.slotBytes;
  }

  /** A view of `length` bytes at `head` inside a slot (no copy). */
  bytes(slot: number, head: number, length: number): Uint8Array {
    const start = this.slotsBase + slot * this.slotBytes + head;
    return this.runtime.u8.subarray(start, start + length);
  }

  stats(): SlotPoolStats {
    return {
      capacity: this.count,
      inUse: this.count - this.freeTop,
      highWater: this.highWater,
      allocFailures: this.allocFailures,
    };
  }

  /** Slots still held, lowest first (empty when nothing leaked). */
  leaks(): number[] {
    const held: number[] = [];
    for (let i = 0; i < this.count; i++) if (Atomics.load(this.i32, this.refIndex + i) !== 0) held.push(i);
    return held;
  }

  /** Returns the pool's memory to the heap. Every slot must be free. */
  /**
   * Frees the pool's memory. Slots still in use are an error (a leak), unless `force`: a run
   * torn down mid-flight (frames still queued or propagating) frees them with it.
   */
  destroy(force = false): void {
    if (this.released) return;
    const held = force ? [] : this.leaks();
    if (held.length > 0) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${this.name} still has ${held.length} slot(s) in use (first: ${held.slice(0, 8).join(", ")})`,
      );
    }
    this.runtime.heap.free(this.region);
    this.released = true;
  }
}
