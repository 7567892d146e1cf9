// SlotTable: the bounded table of transactions a commit party has in progress, in typed arrays
// (no allocation per transaction but the id map's entry), each slot with one timer.
//
// Contract:
// - alloc(tx) takes a free slot for transaction tx (-1 when all `capacity` are in use: the
//   caller refuses the transaction and counts it); find(tx) returns its slot or -1; free(slot)
//   cancels the slot's timer and bumps its generation.
// - arm(slot, delay) (re)schedules the slot's one timer as an event of the owning device
//   (kind EV_COMMIT_TIMER, a = slot, b = generation); current(slot, gen) tells a live timer
//   from one of a freed or re-armed slot. clear() frees every slot (a crash).
// - Per-slot fields are the parties' business: phase, three participant masks and a mask of
//   waiting askers, a deadline, an attempt count for the retransmission back-off, and flags.

import { EV_DEVICE_BASE } from "../../engine/event-kinds.js";
import type { Scheduler } from "../../engine/scheduler.js";

/** The one timer kind of a commit party: a = slot, b = slot generation. */
export const EV_COMMIT_TIMER = EV_DEVICE_BASE + 1;
/** A transaction generator's tick (src/traffic/two-phase-commit.ts). */
export const EV_COMMIT_TICK = EV_DEVICE_BASE + 2;

export class SlotTable {
  readonly capacity: number;
  readonly tx: Int32Array;
  readonly phase: Uint8Array;
  readonly mask: Uint32Array;
  readonly m1: Uint32Array;
  readonly m2: Uint32Array;
  readonly m3: Uint32Array;
  /** Parties waiting for an answer (a mask of participant indices). */
  readonly waiters: Uint32Array;
  readonly deadline: Float64Array;
  readonly attempts: Uint8Array;
  readonly flag: Uint8Array;
  private readonly timer: Float64Array;
  private readonly gen: Int32Array;
  private readonly freeList: Int32Array;
  private freeTop: number;
  private readonly byTx = new Map<number, number>();

  constructor(
    capacity: number,
    private readonly sched: Scheduler,
    private readonly owner: number,
  ) {
    this.capacity = capacity;
    this.tx = new Int32Array(capacity).fill(-1);
    this.phase = new Uint8Array(capacity);
    this.mask = new Uint32Array(capacity);
    this.m1 = new Uint32Array(capacity);
    this.m2 = new Uint32Array(capacity);
    this.m3 = new Uint32Array(capacity);
    this.waiters = new Uint32Array(capacity);
    this.deadline = new Float64Array(capacity);
    this.attempts = new Uint8Array(capacity);
    this.flag = new Uint8Array(capacity);
    this.timer = new Float64Array(capacity).fill(-1);
    this.gen = new Int32Array(capacity);
    this.freeList = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.freeList[i] = capacity - 1 - i;
    this.freeTop = capacity;
  }

  get inUse(): number {
    return this.capacity - this.freeTop;
  }

  find(tx: number): number {
    return this.byTx.get(tx) ?? -1;
  }

  alloc(tx: number): number {
    if (this.freeTop === 0) return -1;
    const s = this.freeList[--this.freeTop]!;
    this.tx[s] = tx;
    this.phase[s] = 0;
    this.mask[s] = 0;
    this.m1[s] = 0;
    this.m2[s] = 0;
    this.m3[s] = 0;
    this.waiters[s] = 0;
    this.deadline[s] = 0;
    this.attempts[s] = 0;
    this.flag[s] = 0;
    this.byTx.set(tx, s);
    return s;
  }

  free(s: number): void {
    if (this.tx[s] === -1) return;
    this.cancel(s);
    this.byTx.delete(this.tx[s]!);
    this.tx[s] = -1;
    this.gen[s] = (this.gen[s]! + 1) | 0;
    this.freeList[this.freeTop++] = s;
  }

  /** (Re)schedules the slot's timer `delay` ns from now. */
  arm(s: number, delay: number): void {
    this.cancel(s);
    this.timer[s] = this.sched.schedule(this.owner, delay, this.owner, EV_COMMIT_TIMER, s, this.gen[s]!, 0);
  }

  cancel(s: number): void {
    const h = this.timer[s]!;
    if (h >= 0) this.sched.cancel(h);
    this.timer[s] = -1;
  }

  /** True when a timer event (slot s, generation g) is the slot's live timer; marks it fired. */
  fired(s: number, g: number): boolean {
    if (s < 0 || s >= this.capacity || this.gen[s] !== g || this.tx[s] === -1) return false;
    this.timer[s] = -1;
    return true;
  }

  /** Slots in use, in slot order (a copy: callers may free while walking it). */
  active(): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.capacity; s++) if (this.tx[s] !== -1) out.push(s);
    return out;
  }

  /** Frees every slot (cancelling every timer). */
  clear(): void {
    for (const s of this.active()) this.free(s);
  }
}

/** Bits set in a participants mask. */
export function popcount(m: number): number {
  let n = 0;
  for (let x = m >>> 0; x !== 0; x &= x - 1) n++;
  return n;
}
