// PartitionExchange: how frames and time cross between partitions of a parallel run.
//
// Contract:
// - One single-producer/single-consumer ring per ordered pair of partitions (p -> q), in the
//   shared Wasm memory, holding frame descriptors (never bytes). The producer writes entries
//   with plain stores and publishes them with one Atomics.store of the tail per ring at the
//   window's end; the consumer drains after the barrier and publishes its head the same way.
//   No postMessage, no lock per frame. Layouts: see the control block and ring constants.
// - send() (the sending partition's FrameCrossing) takes ownership of the frame and keeps it
//   until the consumer has copied it: window k's frames are released when the producer leaves
//   barrier k + 1. The one copy per crossing is the receiving side's into its own frame store.
// - drain() rebuilds each frame in this partition's store (same headroom, length, flags, birth,
//   flow, bytes) and schedules its EV_FRAME_RX with the key the sender assigned, so dispatch
//   order and fingerprint match an unpartitioned run.
// - Windows are conservative, [T, min(T + lookahead, end)): a cut link's delay is at least the
//   lookahead, so draining at the barrier is always in time. After each barrier every partition
//   computes the same next window start, the earliest pending event anywhere, so idle stretches
//   cost one window.
// - Bounded: a ring holds `capacity` descriptors (sized by the caller from the cut links'
//   rates). A full ring ends the run with QUEUE_FULL naming the two partitions, never a lost
//   frame; a receiver with no free frame slot loses the frame and counts it (lostNoSlot).
// - Failure: a partition that throws sets the abort flag and wakes the others; every barrier
//   wait checks it (and times out periodically to look), so no partition waits forever.

import { ErrorCode, NetloomError } from "../base/errors.js";
import { NO_FRAME } from "../buf/frames.js";
import { EV_FRAME_RX } from "./event-kinds.js";
import type { FrameCrossing, Simulation } from "./simulation.js";

// Control block (a SharedArrayBuffer of its own, Int32 words then Float64 words):
//
//   i32[kArrived]  partitions arrived at the current barrier
//   i32[kGeneration] barrier generation (waited on)
//   i32[kAbort]    1 once any partition failed
//   i32[kFailed]   index of the first partition that failed (-1 none)
//   i32[kStopRequest]  1 once the coordinator asked the run to stop early (an interrupt)
//   i32[kStopDecision] the request as the last partition to reach a barrier saw it: every
//                  partition reads it after that barrier, so all stop after the same window
//                  (no partition can write it again before all have read it: the next writer
//                  is the last to reach the next barrier)
//   f64[kNextTime + parity * MAX + p]  partition p's earliest pending event after a window
//                  (double-buffered by window parity: a fast partition may write window k + 1's
//                  value while a slow one still reads window k's)
//   f64[kProgress] end of the last window partition 0 finished (for progress bars)
//   f64[kEvents + p], f64[kCaptureBytes + p]  partition p's events dispatched and capture bytes
//                  written, as of its last window (for progress bars)
export const kArrived = 0;
export const kGeneration = 1;
export const kAbort = 2;
export const kFailed = 3;
export const kStopRequest = 4;
export const kStopDecision = 5;
const CONTROL_I32_WORDS = 16;
const kNextTime = CONTROL_I32_WORDS / 2;
/** Partitions a control block has room for. */
export const MAX_PARTITIONS = 64;
const kProgress = kNextTime + 2 * MAX_PARTITIONS;
const kEvents = kProgress + 1;
const kCaptureBytes = kEvents + MAX_PARTITIONS;
const CONTROL_F64_WORDS = kCaptureBytes + MAX_PARTITIONS;

// Ring (at `ptr` in the Wasm memory, 64-byte aligned):
//
//   +0    head (i32, consumer)      +64   tail (i32, producer)      (separate cache lines)
//   +128  capacity x 64-byte entries:
//         f64 time | f64 seq | f64 birth | i32 origin | i32 target | i32 port | i32 len |
//         i32 ptr (absolute address of the frame's first byte) | i32 flags | i32 flow | i32 headroom
export const RING_HEADER_BYTES = 128;
export const RING_ENTRY_BYTES = 64;
const HEAD = 0;
const TAIL = 64;

/** A partition gave up because another one failed (not the root cause). */
export class PartitionAborted extends Error {
  constructor() {
    super("another partition failed");
    this.name = "PartitionAborted";
  }
}

export function createControlBlock(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(CONTROL_F64_WORDS * 8);
  new Int32Array(sab)[kFailed] = -1;
  return sab;
}

/** Ends a run from outside (the coordinator, when a worker died): wakes every waiter. */
export function abortRun(control: SharedArrayBuffer, partition: number): void {
  const i32 = new Int32Array(control, 0, CONTROL_I32_WORDS);
  Atomics.compareExchange(i32, kFailed, -1, partition);
  Atomics.store(i32, kAbort, 1);
  Atomics.add(i32, kGeneration, 1);
  Atomics.notify(i32, kGeneration);
}

/** End of the last finished window (for progress), ns. */
export function progressOf(control: SharedArrayBuffer): number {
  return new Float64Array(control)[kProgress]!;
}

/** Events dispatched and capture bytes written by all partitions, as of their last windows. */
export function totalsOf(control: SharedArrayBuffer, count: number): { events: number; captureBytes: number } {
  const f64 = new Float64Array(control);
  let events = 0;
  let captureBytes = 0;
  for (let p = 0; p < count; p++) {
    events += f64[kEvents + p]!;
    captureBytes += f64[kCaptureBytes + p]!;
  }
  return { events, captureBytes };
}

/** Asks every partition to stop after the window they are in (all after the same one). */
export function requestStop(control: SharedArrayBuffer): void {
  Atomics.store(new Int32Array(control, 0, CONTROL_I32_WORDS), kStopRequest, 1);
}

export function ringBytes(capacity: number): number {
  return RING_HEADER_BYTES + capacity * RING_ENTRY_BYTES;
}

export interface ExchangeLayout {
  index: number;
  count: number;
  /** rings[p][q]: address of the ring p -> q (0 on the diagonal and where nothing crosses). */
  rings: number[][];
  capacities: number[][];
  control: SharedArrayBuffer;
  /** Spin briefly before sleeping at a barrier (only when every partition has a core of its own). */
  spin: boolean;
}

export interface ExchangeStats {
  windows: number;
  /** Frames this partition sent to others. */
  framesOut: number;
  framesIn: number;
  /** Frames that arrived here with no free slot to copy them into. */
  lostNoSlot: number;
  /** Wall time spent at window barriers waiting for the other partitions, ms. */
  barrierWaitMs: number;
}

export class PartitionExchange implements FrameCrossing {
  readonly index: number;
  readonly count: number;
  private sim!: Simulation;
  private readonly control: Int32Array;
  private readonly times: Float64Array;
  private readonly outRings: number[];
  private readonly outCaps: number[];
  private readonly inRings: number[];
  private readonly inCaps: number[];
  private readonly outTail: number[];
  private readonly outHead: number[];
  private outMinTime = Infinity;
  private sentNow: Int32Array;
  private sentNowCount = 0;
  private sentPrev: Int32Array;
  private sentPrevCount = 0;
  private parity = 0;
  private readonly spinLimit: number;
  private i32!: Int32Array;
  private f64!: Float64Array;
  readonly stats: ExchangeStats = { windows: 0, framesOut: 0, framesIn: 0, lostNoSlot: 0, barrierWaitMs: 0 };
  /** True once the run was asked to stop and the last barrier decided it (see kStopDecision). */
  stopDecided = false;
  /** Capture bytes this partition has written (set by its owner; published at each window for progress). */
  captureBytes = 0;

  constructor(layout: ExchangeLayout) {
    if (layout.count > MAX_PARTITIONS) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${layout.count} partitions is more than ${MAX_PARTITIONS}`, {
        path: "workers",
      });
    }
    this.index = layout.index;
    this.count = layout.count;
    this.control = new Int32Array(layout.control, 0, CONTROL_I32_WORDS);
    this.times = new Float64Array(layout.control);
    this.outRings = layout.rings[layout.index]!.slice();
    this.outCaps = layout.capacities[layout.index]!.slice();
    this.inRings = layout.rings.map((row) => row[layout.index]!);
    this.inCaps = layout.capacities.map((row) => row[layout.index]!);
    this.spinLimit = layout.spin ? 4000 : 0;
    this.outTail = new Array<number>(this.count).fill(0);
    this.outHead = new Array<number>(this.count).fill(0);
    const total = this.outCaps.reduce((a, b) => a + b, 0);
    this.sentNow = new Int32Array(Math.max(1, total));
    this.sentPrev = new Int32Array(Math.max(1, total));
  }

  /** Binds the simulation whose frames and scheduler this partition uses (after it exists). */
  bind(sim: Simulation): void {
    this.sim = sim;
    const buf = sim.runtime.memory.buffer as unknown as ArrayBuffer;
    this.i32 = new Int32Array(buf);
    this.f64 = new Float64Array(buf);
  }

  // ---- FrameCrossing (hot path: the sending partition, inside a window) --------------------

  send(time: number, origin: number, seq: number, target: number, port: number, frame: number, len: number): void {
    const q = this.sim.ownerOf(target);
    const ring = this.outRings[q]!;
    const cap = this.outCaps[q]!;
    const tail = this.outTail[q]!;
    if (ring === 0 || ((tail - this.outHead[q]!) | 0) >= cap) {
      throw new NetloomError(
        ErrorCode.QUEUE_FULL,
        `the exchange ring from partition ${this.index} to partition ${q} is full (${cap} frames in one window); ` +
          `a cut link carries more frames per window than its rate allows`,
      );
    }
    const frames = this.sim.frames;
    const e = ring + RING_HEADER_BYTES + (tail & (cap - 1)) * RING_ENTRY_BYTES;
    const f = e >> 3;
    const w = e >> 2;
    this.f64[f] = time;
    this.f64[f + 1] = seq;
    this.f64[f + 2] = frames.birth[frame]!;
    this.i32[w + 6] = origin;
    this.i32[w + 7] = target;
    this.i32[w + 8] = port;
    this.i32[w + 9] = len;
    const at = frames.offset(frame);
    this.i32[w + 10] = at;
    this.i32[w + 11] = frames.flags[frame]!;
    this.i32[w + 12] = frames.flow[frame]!;
    this.i32[w + 13] = at - frames.pool.dataOffset(frame);
    this.outTail[q] = (tail + 1) | 0;
    if (time < this.outMinTime) this.outMinTime = time;
    this.sentNow[this.sentNowCount++] = frame;
    this.stats.framesOut++;
  }

  // ---- Window protocol -----------------------------------------------------------------------

  /**
   * Closes a window that ended at `windowEnd`: publishes what was sent, waits for every
   * partition, releases what the others have copied, takes in what they sent. Returns the
   * start of the next window (the earliest pending event anywhere).
   */
  closeWindow(windowEnd: number): number {
    for (let q = 0; q < this.count; q++) {
      const ring = this.outRings[q]!;
      if (ring !== 0) Atomics.store(this.i32, (ring + TAIL) >> 2, this.outTail[q]! | 0);
    }
    const slot = kNextTime + this.parity * MAX_PARTITIONS;
    this.times[slot + this.index] = Math.min(this.sim.scheduler.nextEventTime(), this.outMinTime);
    this.outMinTime = Infinity;
    if (this.index === 0) this.times[kProgress] = windowEnd;
    this.times[kEvents + this.index] = this.sim.scheduler.dispatched;
    this.times[kCaptureBytes + this.index] = this.captureBytes;
    this.barrier();
    this.stats.windows++;
    this.stopDecided = Atomics.load(this.control, kStopDecision) === 1;
    // Window k - 1's frames: every consumer drained them before arriving here.
    const frames = this.sim.frames;
    for (let i = 0; i < this.sentPrevCount; i++) frames.release(this.sentPrev[i]!);
    const t = this.sentPrev;
    this.sentPrev = this.sentNow;
    this.sentPrevCount = this.sentNowCount;
    this.sentNow = t;
    this.sentNowCount = 0;
    for (let q = 0; q < this.count; q++) {
      const ring = this.outRings[q]!;
      if (ring !== 0) this.outHead[q] = Atomics.load(this.i32, (ring + HEAD) >> 2);
    }
    this.drain();
    let next = Infinity;
    for (let p = 0; p < this.count; p++) next = Math.min(next, this.times[slot + p]!);
    this.parity ^= 1;
    return next;
  }

  /**
   * After the last window: waits until every partition has drained it, then releases the
   * frames still held for consumers.
   */
  finish(): void {
    this.barrier();
    this.releaseAll();
  }

  /** Releases the frames still held for consumers (after the last window, before teardown). */
  releaseAll(): void {
    const frames = this.sim.frames;
    for (let i = 0; i < this.sentPrevCount; i++) frames.release(this.sentPrev[i]!);
    for (let i = 0; i < this.sentNowCount; i++) frames.release(this.sentNow[i]!);
    this.sentPrevCount = 0;
    this.sentNowCount = 0;
  }

  /** Marks this run failed by this partition and wakes everyone. */
  fail(): void {
    const c = this.control;
    Atomics.compareExchange(c, kFailed, -1, this.index);
    Atomics.store(c, kAbort, 1);
    Atomics.add(c, kGeneration, 1);
    Atomics.notify(c, kGeneration);
  }

  private drain(): void {
    const sched = this.sim.scheduler;
    const frames = this.sim.frames;
    const i32 = this.i32;
    const f64 = this.f64;
    for (let p = 0; p < this.count; p++) {
      const ring = this.inRings[p]!;
      if (ring === 0) continue;
      const cap = this.inCaps[p]!;
      let head = i32[(ring + HEAD) >> 2]!;
      const tail = Atomics.load(i32, (ring + TAIL) >> 2);
      while (head !== tail) {
        const e = ring + RING_HEADER_BYTES + (head & (cap - 1)) * RING_ENTRY_BYTES;
        const f = e >> 3;
        const w = e >> 2;
        const len = i32[w + 9]!;
        const fr = frames.alloc(i32[w + 13]!, f64[f + 2]!, i32[w + 12]!);
        head = (head + 1) | 0;
        if (fr === NO_FRAME) {
          this.stats.lostNoSlot++;
          continue;
        }
        frames.setLength(fr, len);
        const src = i32[w + 10]!;
        this.sim.runtime.copy(frames.offset(fr), src, len);
        frames.flags[fr] = i32[w + 11]!;
        sched.scheduleRemote(f64[f]!, i32[w + 6]!, f64[f + 1]!, i32[w + 7]!, EV_FRAME_RX, fr, i32[w + 8]!, len);
        this.stats.framesIn++;
      }
      Atomics.store(i32, (ring + HEAD) >> 2, head);
    }
  }

  private barrier(): void {
    const arrived = performance.now();
    try {
      this.awaitOthers();
    } finally {
      this.stats.barrierWaitMs += performance.now() - arrived;
    }
  }

  private awaitOthers(): void {
    const c = this.control;
    const gen = Atomics.load(c, kGeneration);
    if (Atomics.load(c, kAbort) === 1) throw new PartitionAborted();
    if (Atomics.add(c, kArrived, 1) === this.count - 1) {
      Atomics.store(c, kArrived, 0);
      Atomics.store(c, kStopDecision, Atomics.load(c, kStopRequest));
      Atomics.add(c, kGeneration, 1);
      Atomics.notify(c, kGeneration);
    } else {
      // Spin briefly (windows are short and the other side is usually close) when every
      // partition has a core, then sleep; the timed wait re-checks the abort flag so a dead
      // peer cannot hang us. Spinning with more partitions than cores would steal the time
      // of the partition being waited for.
      let spins = 0;
      while (Atomics.load(c, kGeneration) === gen) {
        if (spins < this.spinLimit) {
          spins++;
          continue;
        }
        Atomics.wait(c, kGeneration, gen, 100);
        if (Atomics.load(c, kAbort) === 1) break;
      }
    }
    if (Atomics.load(c, kAbort) === 1) throw new PartitionAborted();
  }
}
