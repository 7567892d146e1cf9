// Scheduler: virtual time and event dispatch for one partition of a network.
//
// Contract:
// - Time is an integer number of nanoseconds in a JS number (exact to 2^53). `now` only moves
//   forward; model code reads it and never the wall clock.
// - Every event carries the key (time, originDevice, originSeq). originSeq is a counter per
//   origin device kept here, so the key is a property of the model: the same scenario and seed
//   give the same event order whatever the partitioning, the insertion order or Map iteration.
//   Device ids are global and assigned by the topology builder in declaration order.
// - An event's payload is (kind, a, b, len): kind and two int32 words are the target device's
//   business; `len` is the frame length for frame events (0 otherwise) and feeds the run
//   fingerprint, which hashes (time, origin, seq, target, kind, len) of every dispatched event.
//   Cancelled events are not dispatched and leave no trace in the fingerprint.
// - run(end) dispatches events with time < end (exclusive, so a conservative window [T, T+L)
//   is exactly run(T + L)); runUntil(t) includes time t; runToIdle() empties the queue.
//   A handler may call stop() to end the current run() after the event in hand.
// - Bounded: an event that does not fit the fixed-capacity queue ends the run with NetloomError
//   QUEUE_FULL naming the device, rather than being lost silently.
// - No allocation per event: handlers by device id in an array, payloads as numbers, timers
//   cancelled through integer handles.
// - Partitions: every partition builds the whole topology, so device ids agree, but only runs
//   the devices it owns. What a foreign device (setForeign) schedules is dropped here (handle
//   -1): its owner schedules the same event. Events from other partitions enter through
//   scheduleRemote() with their key already assigned; takeSeq() hands out the next key of an
//   event that leaves for another partition.
// - Observer: setObserver(at, observe) calls observe(t) once the state at virtual time t is
//   final (every event with time <= t dispatched, none yet after it) and before any later
//   event, for t = at, then the time observe returns, and so on (Infinity stops). It schedules
//   no event, so neither the fingerprint nor the event count changes, and since state only
//   changes at events, what it reads equals the state at t whatever the run's slicing or
//   partition windows. Its checks sit outside the per-event loop.
// - Not thread-safe: one scheduler per partition, on that partition's thread.

import { ErrorCode, NetloomError } from "../base/errors.js";
import { EventQueue, NO_SLOT } from "./event-queue.js";
import { Fingerprint } from "./fingerprint.js";
import { Rng } from "./rng.js";

/** A device or channel that receives events. */
export interface EventHandler {
  /** Handles one event addressed to this device, at scheduler.now. */
  handleEvent(kind: number, a: number, b: number, len: number): void;
}

export interface SchedulerOptions {
  /** Scenario seed: every random stream derives from it and a stable id. */
  seed: number;
  /** Most events pending at once (default 65,536; about 70 bytes each, preallocated). */
  queueCapacity?: number;
}

export const DEFAULT_QUEUE_CAPACITY = 1 << 16;
/** Largest device id + 1 (ids index plain arrays). */
export const MAX_DEVICES = 1 << 24;

export class Scheduler {
  /** Current virtual time in ns. */
  now = 0;
  /** Events dispatched so far. */
  dispatched = 0;
  readonly seed: number;
  readonly queue: EventQueue;
  readonly fingerprint = new Fingerprint();
  private readonly handlers: (EventHandler | undefined)[] = [];
  private readonly names: (string | undefined)[] = [];
  private readonly nextSeq: number[] = [];
  /** 1 for devices another partition runs (their events are not scheduled here). */
  private readonly foreign: number[] = [];
  private stopRequested = false;
  private running = false;
  /** Next observation time (Infinity: none) and the observer (see setObserver). */
  private observeAt = Infinity;
  private observer: ((t: number) => number) | undefined;

  constructor(options: SchedulerOptions) {
    if (!Number.isSafeInteger(options.seed) || options.seed < 0) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(options.seed)} is not a seed (an integer >= 0)`, {
        path: "seed",
      });
    }
    this.seed = options.seed;
    this.queue = new EventQueue(options.queueCapacity ?? DEFAULT_QUEUE_CAPACITY);
  }

  /** Registers the handler of device `id` (unique, 0 <= id < MAX_DEVICES). */
  register(id: number, name: string, handler: EventHandler): void {
    if (!Number.isInteger(id) || id < 0 || id >= MAX_DEVICES) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(id)} is not a device id`, { path: name });
    }
    if (this.handlers[id] !== undefined) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `device id ${id} is already taken by "${this.names[id]}"`, {
        path: name,
      });
    }
    // Fill holes so the arrays stay packed (and monomorphic) for the dispatch loop.
    for (let i = this.handlers.length; i < id; i++) {
      this.handlers.push(undefined);
      this.names.push(undefined);
      this.nextSeq.push(0);
      this.foreign.push(0);
    }
    if (id < this.handlers.length) {
      this.handlers[id] = handler;
      this.names[id] = name;
    } else {
      this.handlers.push(handler);
      this.names.push(name);
      this.nextSeq.push(0);
      this.foreign.push(0);
    }
  }

  /** Marks device `id` as run by another partition: its events are not scheduled here. */
  setForeign(id: number, foreign: boolean): void {
    if (this.handlers[id] === undefined) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(id)} is not a registered device id`, { path: "id" });
    }
    this.foreign[id] = foreign ? 1 : 0;
  }

  /** True when another partition runs device `id`. */
  isForeign(id: number): boolean {
    return this.foreign[id] === 1;
  }

  /** The key sequence number of `origin`'s next event, for an event sent to another partition. */
  takeSeq(origin: number): number {
    const seq = this.nextSeq[origin]!;
    this.nextSeq[origin] = seq + 1;
    return seq;
  }

  /** Name a device was registered under (for messages and reports). */
  nameOf(id: number): string {
    return this.names[id] ?? `device ${id}`;
  }

  /** A random stream private to `stableId` (e.g. "link:3:a->b"), derived from the seed. */
  rng(stableId: string): Rng {
    return Rng.forStream(this.seed, stableId);
  }

  /**
   * Schedules an event from `origin` to `target` at now + delay (delay: integer ns >= 0).
   * Returns a handle for cancel() (-1, which cancels nothing, when `origin` is foreign).
   * Throws QUEUE_FULL when the queue has no room.
   */
  schedule(origin: number, delay: number, target: number, kind: number, a: number, b: number, len: number): number {
    return this.scheduleAt(origin, this.now + delay, target, kind, a, b, len);
  }

  /** As schedule(), at an absolute time >= now. */
  scheduleAt(origin: number, time: number, target: number, kind: number, a: number, b: number, len: number): number {
    const slot = this.enqueue(origin, time, target, kind, a, b, len);
    return slot === NO_SLOT ? -1 : this.queue.handleOf(slot);
  }

  /**
   * scheduleAt() for an event nobody cancels by handle (a frame's arrival, say): the same key
   * and the same QUEUE_FULL error, but no handle. Why a second entry: a handle is a number past
   * 2^31, and returning one from a call V8 does not inline boxes it, an allocation per event.
   */
  post(origin: number, time: number, target: number, kind: number, a: number, b: number, len: number): void {
    this.enqueue(origin, time, target, kind, a, b, len);
  }

  /** Queues the event under the origin's next sequence number; its slot, or NO_SLOT when foreign. */
  private enqueue(
    origin: number,
    time: number,
    target: number,
    kind: number,
    a: number,
    b: number,
    len: number,
  ): number {
    if (this.foreign[origin] === 1) return NO_SLOT; // its own partition schedules this event
    const seq = this.nextSeq[origin]!;
    this.nextSeq[origin] = seq + 1;
    const slot = this.queue.push(time, origin, seq, target, kind, a, b, len);
    if (slot === NO_SLOT) this.queueFull(origin, time);
    return slot;
  }

  private queueFull(origin: number, time: number): never {
    throw new NetloomError(
      ErrorCode.QUEUE_FULL,
      `the event queue (${this.queue.capacity} events) is full: ${this.nameOf(origin)} could not schedule ` +
        `an event at ${time} ns; raise queueCapacity or look for a device that schedules without bound`,
    );
  }

  /**
   * Schedules an event that arrives from another partition with its key already assigned.
   * The origin's own counter is not touched: that partition owns it.
   */
  scheduleRemote(
    time: number,
    origin: number,
    originSeq: number,
    target: number,
    kind: number,
    a: number,
    b: number,
    len: number,
  ): void {
    const slot = this.queue.push(time, origin, originSeq, target, kind, a, b, len);
    if (slot === NO_SLOT) {
      throw new NetloomError(
        ErrorCode.QUEUE_FULL,
        `the event queue (${this.queue.capacity} events) is full: an event from ${this.nameOf(origin)} ` +
          `for ${this.nameOf(target)} at ${time} ns does not fit`,
      );
    }
  }

  /** Cancels a pending event (a stopped timer). Returns false if it already ran or was cancelled. */
  cancel(handle: number): boolean {
    return this.queue.cancel(handle);
  }

  /**
   * Cancels every pending event that `origin` scheduled with kind `kind`, oldest first, and
   * gives each one's payload to `taken`: a device taking back what it put in flight (a link
   * that goes down and the frames on its wire). Returns how many. O(pending events).
   */
  cancelFrom(origin: number, kind: number, taken: (a: number, b: number, len: number) => void): number {
    const q = this.queue;
    const slots = q.queuedFrom(origin, kind);
    for (const slot of slots) {
      const a = q.a[slot]!;
      const b = q.b[slot]!;
      const len = q.c[slot]!;
      q.cancel(q.handleOf(slot));
      taken(a, b, len);
    }
    return slots.length;
  }

  isPending(handle: number): boolean {
    return this.queue.isPending(handle);
  }

  /** Ends the current run() after the event being handled. */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Calls observe(t) when the state at `at` is final, then at each time it returns (see the
   * module comment); a time at or before the previous one, or Infinity, ends the observations.
   */
  setObserver(at: number, observe: (t: number) => number): void {
    if (!(at >= this.now)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${at} ns is before the current time ${this.now} ns`, {
        path: "at",
      });
    }
    this.observeAt = at;
    this.observer = observe;
  }

  /** Time of the next pending event (Infinity when none). */
  nextEventTime(): number {
    return this.queue.peekTime();
  }

  /**
   * Dispatches every event with time < end, in key order, then sets now = end (unless a
   * handler stopped the run: then now stays at the stopping event's time). Returns the number
   * of events dispatched.
   */
  run(end: number): number {
    const n = this.dispatchBefore(end);
    if (!this.stopRequested && end !== Infinity) this.now = end;
    return n;
  }

  /**
   * Dispatches every event with time <= t, then sets now = t (unless stopped). With maxEvents,
   * at most that many: when they run out first, now stays at the last event's time and a later
   * call goes on from there, so running in such slices dispatches the same events in the same
   * order as one call (done() says whether the slice reached t).
   */
  runUntil(t: number, maxEvents = Infinity): number {
    const n = this.dispatchBefore(t + 1, maxEvents);
    if (!this.stopRequested && (n < maxEvents || this.queue.peekTime() > t)) this.now = t;
    return n;
  }

  /** Whether a run to `t` is over: now is t and no event at or before t is left. */
  done(t: number): boolean {
    return this.now === t && this.queue.peekTime() > t;
  }

  /** Dispatches events until none is left (or a handler calls stop()); now = last event's time. */
  runToIdle(): number {
    return this.dispatchBefore(Infinity);
  }

  private dispatchBefore(end: number, maxEvents = Infinity): number {
    if (this.observeAt >= end) return this.dispatchSlice(end, maxEvents);
    // Observations due in this run: dispatch up to each one (inclusive), observe, go on. A
    // budget that runs out first leaves the observation to the next call.
    let count = 0;
    while (this.observeAt < end) {
      const t = this.observeAt;
      count += this.dispatchSlice(t + 1, maxEvents - count);
      if (this.stopRequested || count >= maxEvents) return count;
      const next = this.observer!(t);
      this.observeAt = next > t ? next : Infinity;
    }
    return count + this.dispatchSlice(end, maxEvents - count);
  }

  private dispatchSlice(end: number, maxEvents = Infinity): number {
    if (this.running) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "the scheduler was asked to run from inside an event handler");
    }
    if (!(end >= this.now)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${end} ns is before the current time ${this.now} ns`, {
        path: "end",
      });
    }
    const q = this.queue;
    const handlers = this.handlers;
    const fp = this.fingerprint;
    let count = 0;
    this.running = true;
    this.stopRequested = false;
    try {
      for (;;) {
        const time = q.peekTime(); // Infinity when empty
        if (time >= end || count >= maxEvents) break;
        // The slot is free again at once: its fields are copied out before the handler runs
        // (and may push into it).
        const slot = q.popFree();
        const target = q.target[slot]!;
        const kind = q.kind[slot]!;
        const a = q.a[slot]!;
        const b = q.b[slot]!;
        const len = q.c[slot]!;
        fp.record(time, q.originDevice[slot]!, q.originSeq[slot]!, target, kind, len);
        this.now = time;
        count++;
        const handler = handlers[target];
        if (handler === undefined) {
          throw new NetloomError(
            ErrorCode.INVALID_ARGUMENT,
            `an event was sent to device ${target}, which does not exist`,
          );
        }
        handler.handleEvent(kind, a, b, len);
        if (this.stopRequested) break;
      }
    } finally {
      this.running = false;
      this.dispatched += count;
    }
    return count;
  }
}
