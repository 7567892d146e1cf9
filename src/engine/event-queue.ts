// EventQueue: the pending-event set of one discrete-event scheduler (one per partition).
//
// Contract:
// - Events are ordered by the key (time, originDevice, originSeq), compared lexicographically.
//   originSeq is a per-origin-device counter kept by the caller, so the key is a property of the
//   model and identical whatever the partitioning or insertion order. Keys must be unique (the
//   same origin never reuses a sequence number); the order of two events with equal keys is
//   unspecified, and that is a model bug, not a queue bug.
// - No allocation per event: an event lives in a slot of struct-of-arrays typed arrays (the
//   public readonly fields of the class); a 4-ary heap orders slot indices; free slots form a
//   stack. Capacity is fixed at creation: push() on a full queue returns NO_SLOT (-1) and
//   changes nothing (the scheduler decides: count a drop, or end the run with an error).
// - pop() removes the earliest event from the heap and returns its slot. The slot stays owned
//   by the caller, and its fields stay valid, until the caller passes it to release(); pushes
//   made in between never reuse it. popFree() is pop() + release() for the scheduler, which
//   copies the fields out before it runs the handler.
// - cancel(handle) removes a pending event (a stopped timer) in O(log n) and frees its slot at
//   once, so timers restarted on every ack cannot fill the queue with dead entries. A handle
//   is slot + generation; a stale handle (event already popped, slot reused) is refused.
// - The hot path does not validate: time must be an integer number of ns in [0, 2^53), target,
//   kind, a and b int32, originDevice int32, originSeq an integer in [0, 2^53). pushChecked()
//   is the validated entry for API boundaries and debug builds; it throws NetloomError.
// - Not thread-safe; one queue belongs to one scheduler on one thread.

import { ErrorCode, NetloomError } from "../base/errors.js";

/** Returned by push() when the queue is full. */
export const NO_SLOT = -1;

/** Largest capacity: slot indices must fit the low bits of a cancel handle. */
export const MAX_QUEUE_CAPACITY = 1 << 24;

const HANDLE_SLOT_SPAN = MAX_QUEUE_CAPACITY; // handle = gen * HANDLE_SLOT_SPAN + slot
const GEN_LIMIT = 1 << 29; // gen * 2^24 + slot stays below 2^53
/**
 * Generations start (and wrap back) here, not at 0, so every handle is at least 2^32: never an
 * int32. Why: handles made from small generations were small integers, V8 compiled
 * scheduleAt() and its callers for int32 arithmetic, and the first handle past 2^31 (a slot's
 * 128th reuse, a few milliseconds into a busy run) deoptimised all of them at once.
 */
const GEN_FIRST = 1 << 8;

const ARITY = 4;

const STATE_FREE = 0;
const STATE_QUEUED = 1;
const STATE_POPPED = 2;

export class EventQueue {
  readonly capacity: number;

  // Event fields, indexed by slot. Read them after pop(); never write them directly.
  //
  //   time[s] originDevice[s] originSeq[s] | target[s] kind[s] a[s] b[s] c[s] | gen[s] state[s]
  //   \________ ordering key __________/     \______ payload (caller-defined) ____/   \_ bookkeeping _/
  readonly time: Float64Array;
  readonly originDevice: Int32Array;
  /** Float64 so that a device may emit more than 2^32 events in a long run. */
  readonly originSeq: Float64Array;
  readonly target: Int32Array;
  readonly kind: Int32Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
  readonly c: Float64Array;

  /** Bumped each time a slot leaves the queue, so old cancel handles stop matching. */
  private readonly gen: Uint32Array;
  private readonly state: Uint8Array;
  /** Heap position of each queued slot (for cancel). */
  private readonly pos: Int32Array;

  private readonly heapSlot: Int32Array;
  /**
   * Each heap entry's time beside its slot index, so the primary key comparison, which decides
   * almost every step, reads one contiguous array.
   */
  private readonly heapTime: Float64Array;
  private count = 0;

  private readonly freeStack: Int32Array;
  private freeTop: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_QUEUE_CAPACITY) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(capacity)} is not an integer in [1, ${MAX_QUEUE_CAPACITY}]`,
        { path: "capacity" },
      );
    }
    this.capacity = capacity;
    this.time = new Float64Array(capacity);
    this.originDevice = new Int32Array(capacity);
    this.originSeq = new Float64Array(capacity);
    this.target = new Int32Array(capacity);
    this.kind = new Int32Array(capacity);
    this.a = new Int32Array(capacity);
    this.b = new Int32Array(capacity);
    this.c = new Float64Array(capacity);
    this.gen = new Uint32Array(capacity).fill(GEN_FIRST);
    this.state = new Uint8Array(capacity);
    this.pos = new Int32Array(capacity).fill(-1);
    this.heapSlot = new Int32Array(capacity);
    this.heapTime = new Float64Array(capacity);
    this.freeStack = new Int32Array(capacity);
    // Slot 0 on top, so a fresh queue hands out slots in ascending order (easier to debug).
    for (let i = 0; i < capacity; i++) this.freeStack[i] = capacity - 1 - i;
    this.freeTop = capacity;
  }

  /** Number of pending (queued, not cancelled) events. */
  get size(): number {
    return this.count;
  }

  /** Slots not in use (neither queued nor popped-and-unreleased). */
  get freeSlots(): number {
    return this.freeTop;
  }

  /**
   * Queues an event. Returns its slot, or NO_SLOT if the queue is full (nothing changes).
   * Hot path: arguments are not validated (see pushChecked).
   */
  push(
    time: number,
    originDevice: number,
    originSeq: number,
    target: number,
    kind: number,
    a: number,
    b: number,
    c: number,
  ): number {
    if (this.freeTop === 0) return NO_SLOT;
    const slot = this.freeStack[--this.freeTop]!;
    this.time[slot] = time;
    this.originDevice[slot] = originDevice;
    this.originSeq[slot] = originSeq;
    this.target[slot] = target;
    this.kind[slot] = kind;
    this.a[slot] = a;
    this.b[slot] = b;
    this.c[slot] = c;
    this.state[slot] = STATE_QUEUED;
    this.siftUp(this.count++, slot, time);
    return slot;
  }

  /**
   * push() with validation, for API boundaries and debug builds: throws NetloomError
   * INVALID_ARGUMENT on a bad time, key or payload word. Full queue still returns NO_SLOT.
   */
  pushChecked(
    time: number,
    originDevice: number,
    originSeq: number,
    target: number,
    kind: number,
    a: number,
    b: number,
    c: number,
  ): number {
    checkSafeUint("time", time);
    checkInt32("originDevice", originDevice);
    checkSafeUint("originSeq", originSeq);
    checkInt32("target", target);
    checkInt32("kind", kind);
    checkInt32("a", a);
    checkInt32("b", b);
    if (Number.isNaN(c)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "NaN is not a payload value", { path: "c" });
    }
    return this.push(time, originDevice, originSeq, target, kind, a, b, c);
  }

  /** Time of the earliest pending event, or Infinity when the queue is empty. */
  peekTime(): number {
    return this.count === 0 ? Infinity : this.heapTime[0]!;
  }

  /** Slot of the earliest pending event without removing it, or NO_SLOT when empty. */
  peekSlot(): number {
    return this.count === 0 ? NO_SLOT : this.heapSlot[0]!;
  }

  /**
   * Removes the earliest event and returns its slot (NO_SLOT when empty). The caller owns the
   * slot, and may read its fields, until it calls release(slot).
   */
  pop(): number {
    const slot = this.takeRoot();
    if (slot !== NO_SLOT) this.state[slot] = STATE_POPPED;
    return slot;
  }

  /**
   * pop() and release() in one, for a dispatcher that copies the fields out before anything
   * else touches the queue: the slot is already free on return, and its fields stay valid only
   * until the next push() (which may reuse it). NO_SLOT when empty.
   */
  popFree(): number {
    const slot = this.takeRoot();
    if (slot !== NO_SLOT) this.freeSlot(slot);
    return slot;
  }

  /** Returns a popped slot to the free list. Its fields become garbage for the caller. */
  release(slot: number): void {
    if (this.state[slot] !== STATE_POPPED) {
      throw new NetloomError(
        ErrorCode.USE_AFTER_FREE,
        `slot ${String(slot)} is not a popped event (released twice, still queued, or out of range)`,
        { path: "slot" },
      );
    }
    this.freeSlot(slot);
  }

  /** A cancel handle for a queued slot: valid until the event is popped or cancelled. */
  handleOf(slot: number): number {
    return this.gen[slot]! * HANDLE_SLOT_SPAN + slot;
  }

  /**
   * Cancels a pending event by handle. Returns true if it was pending and is now gone (its slot
   * is free again), false if the handle is stale: the event already fired or was cancelled.
   */
  cancel(handle: number): boolean {
    const slot = handle % HANDLE_SLOT_SPAN;
    const gen = (handle - slot) / HANDLE_SLOT_SPAN;
    if (!(slot >= 0 && slot < this.capacity)) return false;
    if (this.gen[slot] !== gen || this.state[slot] !== STATE_QUEUED) return false;
    this.removeAt(this.pos[slot]!);
    this.freeSlot(slot);
    return true;
  }

  /**
   * Slots of the queued events from `originDevice` of kind `kind`, in the order the origin
   * scheduled them (its sequence numbers). For a device taking back what it put in flight;
   * O(pending events) and it allocates: not for the per-event path.
   */
  queuedFrom(originDevice: number, kind: number): number[] {
    const found: number[] = [];
    for (let i = 0; i < this.count; i++) {
      const s = this.heapSlot[i]!;
      if (this.originDevice[s] === originDevice && this.kind[s] === kind) found.push(s);
    }
    return found.sort((x, y) => this.originSeq[x]! - this.originSeq[y]!);
  }

  /** True if the handle still names a pending event. */
  isPending(handle: number): boolean {
    const slot = handle % HANDLE_SLOT_SPAN;
    const gen = (handle - slot) / HANDLE_SLOT_SPAN;
    return slot >= 0 && slot < this.capacity && this.gen[slot] === gen && this.state[slot] === STATE_QUEUED;
  }

  /** Drops every pending and popped event; all slots become free and all handles stale. */
  clear(): void {
    for (let s = 0; s < this.capacity; s++) {
      if (this.state[s] !== STATE_FREE) {
        this.gen[s] = nextGen(this.gen[s]!);
        this.state[s] = STATE_FREE;
        this.pos[s] = -1;
      }
      this.freeStack[s] = this.capacity - 1 - s;
    }
    this.freeTop = this.capacity;
    this.count = 0;
  }

  /** Takes the earliest event out of the heap; its slot (state untouched), or NO_SLOT. */
  private takeRoot(): number {
    if (this.count === 0) return NO_SLOT;
    const slot = this.heapSlot[0]!;
    this.pos[slot] = -1;
    const last = --this.count;
    if (last > 0) this.refillRoot(this.heapSlot[last]!, this.heapTime[last]!);
    return slot;
  }

  private freeSlot(slot: number): void {
    this.state[slot] = STATE_FREE;
    this.gen[slot] = nextGen(this.gen[slot]!);
    this.freeStack[this.freeTop++] = slot;
  }

  /** Removes the heap entry at position i and restores the heap property. */
  private removeAt(i: number): void {
    const removed = this.heapSlot[i]!;
    this.pos[removed] = -1;
    const last = --this.count;
    if (i === last) return;
    const slot = this.heapSlot[last]!;
    const time = this.heapTime[last]!;
    // The moved entry may belong above or below i (cancel removes from the middle).
    if (i > 0 && this.less(time, slot, this.heapTime[(i - 1) >> 2]!, this.heapSlot[(i - 1) >> 2]!)) {
      this.siftUp(i, slot, time);
    } else {
      this.siftDown(i, slot, time);
    }
  }

  /** True if event (t1, s1) orders before (t2, s2). */
  private less(t1: number, s1: number, t2: number, s2: number): boolean {
    if (t1 !== t2) return t1 < t2;
    const o1 = this.originDevice[s1]!;
    const o2 = this.originDevice[s2]!;
    if (o1 !== o2) return o1 < o2;
    return this.originSeq[s1]! < this.originSeq[s2]!;
  }

  /**
   * Fills the hole at the root with (slot, time), the former last entry. Floyd's bottom-up
   * variant: walk the hole down to a leaf along the smallest children, then sift the entry up
   * from there. The former last entry nearly always belongs near the bottom, so this skips the
   * comparison against it at every level that a plain sift-down would make.
   */
  private refillRoot(slot: number, time: number): void {
    const hs = this.heapSlot;
    const ht = this.heapTime;
    const pos = this.pos;
    const n = this.count;
    let i = 0;
    for (;;) {
      const first = i * ARITY + 1;
      if (first >= n) break;
      let best = first;
      let bt = ht[first]!;
      const end = first + ARITY < n ? first + ARITY : n;
      for (let c = first + 1; c < end; c++) {
        const ct = ht[c]!;
        if (ct < bt || (ct === bt && this.less(ct, hs[c]!, bt, hs[best]!))) {
          best = c;
          bt = ct;
        }
      }
      const bs = hs[best]!;
      hs[i] = bs;
      ht[i] = bt;
      pos[bs] = i;
      i = best;
    }
    this.siftUp(i, slot, time);
  }

  // Both sifts move a hole instead of swapping: one write per level.
  private siftUp(i: number, slot: number, time: number): void {
    const hs = this.heapSlot;
    const ht = this.heapTime;
    const pos = this.pos;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pt = ht[p]!;
      const ps = hs[p]!;
      if (!(time < pt || (time === pt && this.less(time, slot, pt, ps)))) break;
      hs[i] = ps;
      ht[i] = pt;
      pos[ps] = i;
      i = p;
    }
    hs[i] = slot;
    ht[i] = time;
    pos[slot] = i;
  }

  private siftDown(i: number, slot: number, time: number): void {
    const hs = this.heapSlot;
    const ht = this.heapTime;
    const pos = this.pos;
    const n = this.count;
    for (;;) {
      const first = i * ARITY + 1;
      if (first >= n) break;
      // Smallest of up to four children. The same scan is in refillRoot(): a shared helper made
      // push+pop slower (bench/engine.bench.ts), so it stays inline.
      let best = first;
      let bt = ht[first]!;
      const end = first + ARITY < n ? first + ARITY : n;
      for (let c = first + 1; c < end; c++) {
        const ct = ht[c]!;
        if (ct < bt || (ct === bt && this.less(ct, hs[c]!, bt, hs[best]!))) {
          best = c;
          bt = ct;
        }
      }
      const bs = hs[best]!;
      if (!(bt < time || (bt === time && this.less(bt, bs, time, slot)))) break;
      hs[i] = bs;
      ht[i] = bt;
      pos[bs] = i;
      i = best;
    }
    hs[i] = slot;
    ht[i] = time;
    pos[slot] = i;
  }
}

function nextGen(gen: number): number {
  return gen + 1 < GEN_LIMIT ? gen + 1 : GEN_FIRST;
}

function checkSafeUint(path: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(v)} is not an integer in [0, 2^53)`, { path });
  }
}

function checkInt32(path: string, v: number): void {
  if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(v)} is not a 32-bit integer`, { path });
  }
}
