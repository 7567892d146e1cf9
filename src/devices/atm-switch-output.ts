// The output side of an AtmSwitch: per output port a FIFO cell queue served at the link's cell
// rate, the congestion policy's verdict on each cell, and the output trains that carry the
// admitted cells to the link.
//
// Contract:
// - Each output is a FIFO server of one cell time per cell (CellSerializer): a cell arriving
//   at a finds occupancy(a) cells queued or in service, the policy (OutputDiscard) decides, and
//   an admitted cell departs at max(a, busyUntil) + cell time. Counts are per cell and exact.
//   A cell offered with an arrival before the last one offered to its output is taken as
//   arriving then (clamped), so the queue stays FIFO.
// - Output trains: admitted cells that are back to back on an output (one busy period,
//   consecutive slots) form one output train. A contiguous run of one input train (the common
//   case) is that frame itself, forwarded trimmed and without a copy; otherwise the cells are
//   copied (53 bytes each) into a new frame. A cell with no frame slot for its output train is
//   dropped (NO_SLOT). The owner sends open trains with flush() at the end of every pass.
// - Frames held: admitted trains are on their output link until their cells arrive, at most
//   the port's queueLimit cells (OutputDiscard; default 1024) per output, one frame per train.
//   Not cut to the frame store's deviceShare: the bound is in cells, and a train carries up
//   to a slot's worth of them.
// - No allocation per cell; never throws.
//
// State machine per output port: the CellSerializer (Idle | Busy until busyUntil), and the
// open output train None --cell--> Ref (cells of one input frame) --other frame / gap--> Own
// (copied); Ref | Own --flush--> None.

import { NO_FRAME } from "../buf/frames.js";
import type { Simulation } from "../engine/simulation.js";
import { FRAME_VEC_OUT, FRAME_VEC_STRIDE } from "../kernels/abi.js";
import type { KernelRuntime } from "../kernels/runtime.js";
import type { TracePoints } from "../trace/trace-point.js";
import { ATM_CELL_LEN } from "../wire/atm-cell.js";
import { type AtmLink, type CellClock, CellSerializer, type TrainTable } from "./atm-link.js";
import { CircuitDiscard, type OutputDiscard } from "./atm-switch-discard.js";
import { CELL_DROP_COUNT, CellDrop, type SwitchCounters } from "./atm-switch-stats.js";

/** State of an output port's open train. */
const OT_NONE = 0;
const OT_REF = 1;
const OT_OWN = 2;

/** What the output side works with (made by the switch). */
export interface SwitchOutputsParts {
  sim: Simulation;
  table: TrainTable;
  /** Cells per frame slot. */
  trainCap: number;
  /** The switch's per-port links (filled in on attach) and the end of each it holds. */
  links: readonly (AtmLink | undefined)[];
  linkEnd: Int32Array;
  trace: readonly TracePoints[];
  counters: SwitchCounters;
  discard: OutputDiscard;
}

export class SwitchOutputs {
  private readonly sim: Simulation;
  private readonly rt: KernelRuntime;
  private readonly table: TrainTable;
  private readonly trainCap: number;
  private readonly links: readonly (AtmLink | undefined)[];
  private readonly linkEnd: Int32Array;
  private readonly trace: readonly TracePoints[];
  private readonly counters: SwitchCounters;
  private readonly discard: OutputDiscard;
  private readonly sers: CellSerializer[];
  /** Latest arrival offered to each output. */
  private readonly lastArr: Float64Array;
  // The open output train of each port: a run of one frame (Ref) or a frame of its own (Own),
  // starting at slot otJ0 of the busy period that began at otBase.
  private readonly otMode: Uint8Array;
  private readonly otFrame: Int32Array;
  private readonly otFirst: Int32Array;
  private readonly otCount: Int32Array;
  private readonly otBase: Float64Array;
  private readonly otJ0: Float64Array;

  constructor(parts: SwitchOutputsParts) {
    const P = parts.links.length;
    this.sim = parts.sim;
    this.rt = parts.sim.runtime;
    this.table = parts.table;
    this.trainCap = parts.trainCap;
    this.links = parts.links;
    this.linkEnd = parts.linkEnd;
    this.trace = parts.trace;
    this.counters = parts.counters;
    this.discard = parts.discard;
    this.sers = Array.from(
      { length: P },
      () => new CellSerializer({ num: 1, den: 1, cellsPerSecond: 1e9, bitsPerSecond: 424e9, label: "" }),
    );
    this.lastArr = new Float64Array(P);
    this.otMode = new Uint8Array(P);
    this.otFrame = new Int32Array(P);
    this.otFirst = new Int32Array(P);
    this.otCount = new Int32Array(P);
    this.otBase = new Float64Array(P);
    this.otJ0 = new Float64Array(P);
  }

  /** A link was attached to `port`: its queue runs on the link's clock from now, empty. */
  attach(port: number, clock: CellClock): void {
    const s = this.sers[port]!;
    s.num = clock.num;
    s.den = clock.den;
    s.base = this.sim.now;
    s.busyUntil = this.sim.now;
    s.count = 0;
  }

  /** Occupancy (cells queued or in service) of output `port` now. */
  occupancy(port: number): number {
    return this.sers[port]!.occupancy(this.sim.now);
  }

  /** True when output o's open train is a run of frame f (fastRun() may extend it). */
  isRunOf(o: number, f: number): boolean {
    return this.otMode[o] === OT_REF && this.otFrame[o] === f;
  }

  /**
   * The common case of offer(), for a run of cells: from cell i0 on, every cell of this input
   * frame (cells at `off`, switching results in `vec`) that has arrived by `limit`, goes to
   * output o and extends o's open train (a run of the same input frame ending at the cell
   * before, in the same busy period, with the occupancy below every threshold of o and its
   * circuit not discarding) is admitted exactly as offer() would admit it, without its general
   * bookkeeping. Cell i arrives at base + ceil((j0 + i + 1) * num / den). The run's state stays
   * in locals and is written back once. Returns the first cell not admitted (i0: none; the
   * caller takes the general path for it).
   */
  fastRun(
    o: number,
    i0: number,
    n: number,
    vec: number,
    off: number,
    base: number,
    j0: number,
    num: number,
    den: number,
    limit: number,
    inclusive: boolean,
  ): number {
    const ser = this.sers[o]!;
    const sBase = ser.base;
    let count = this.otCount[o]!;
    let sCount = ser.count;
    if (sBase !== this.otBase[o] || this.otFirst[o]! + count !== i0 || sCount !== this.otJ0[o]! + count) return i0;
    const sNum = ser.num;
    const sDen = ser.den;
    let busy = ser.busyUntil;
    let last = this.lastArr[o]!;
    const highWater = this.counters.highWater;
    let high = highWater[o]!;
    const discard = this.discard;
    const fast = discard.fastLimit[o]!;
    const cap = this.trainCap;
    const key = discard.lastStateKey[o]!;
    const mask = discard.keyMask[o]!;
    const st = discard.lastStateIdx[o]!;
    const vcDrop = discard.vcDrop;
    const vcFirst = discard.vcFirst;
    const u8 = this.rt.u8;
    const u32 = this.rt.u32;
    let i = i0;
    for (; i < n; i++) {
      const a = base + Math.ceil(((j0 + i + 1) * num) / den);
      if (inclusive ? a > limit : a >= limit) break;
      if (u32[((vec + i * FRAME_VEC_STRIDE) >>> 2) + FRAME_VEC_OUT / 4] !== o) break;
      if (a < last || a > busy || count === cap) break;
      const occ = sCount - Math.floor(((a - sBase) * sDen) / sNum);
      if (occ >= fast) break;
      const c = off + i * ATM_CELL_LEN;
      const b3 = u8[c + 3]!;
      if ((b3 & 0x08) === 0) {
        const w = ((u8[c]! << 24) | (u8[c + 1]! << 16) | (u8[c + 2]! << 8) | b3) >>> 0;
        if (((w >>> 4) & mask) !== key) break;
        if (st >= 0) {
          if (vcDrop[st] !== CircuitDiscard.NONE) break;
          vcFirst[st] = (b3 & 0x02) !== 0 ? 1 : 0;
        }
      }
      last = a;
      if (occ > high) high = occ;
      count++;
      sCount++;
      busy = sBase + Math.ceil((sCount * sNum) / sDen);
    }
    const k = i - i0;
    if (k > 0) {
      this.lastArr[o] = last;
      highWater[o] = high;
      this.otCount[o] = count;
      ser.count = sCount;
      ser.busyUntil = busy;
      this.counters.txCells[o]! += k;
    }
    return i;
  }

  /** The output side for one cell (cell i of frame f at c, arrived at a) on output o. */
  offer(o: number, f: number, i: number, c: number, a: number): void {
    const counters = this.counters;
    if (this.links[o] === undefined) {
      counters.drops[o * CELL_DROP_COUNT + CellDrop.NOT_ATTACHED]!++;
      return;
    }
    const ser = this.sers[o]!;
    if (a < this.lastArr[o]!) a = this.lastArr[o]!;
    else this.lastArr[o] = a;
    let occ = 0;
    if (a < ser.busyUntil) {
      // done may be negative: rebase() can move the base past a while the queue is long.
      occ = ser.count - Math.floor(((a - ser.base) * ser.den) / ser.num);
    }
    if (occ > counters.highWater[o]!) counters.highWater[o] = occ;
    let drop = this.discard.decide(o, occ, this.rt.u8, c);
    if (drop < 0) {
      if (this.append(o, f, i, a)) {
        counters.txCells[o]!++;
        return;
      }
      drop = CellDrop.NO_SLOT;
      this.discard.noSlot(o);
    }
    counters.drops[o * CELL_DROP_COUNT + drop]!++;
  }

  /**
   * Schedules the cell on output o's serializer and adds it to o's open train. False (nothing
   * scheduled) when a new train frame was needed and no slot was free.
   */
  private append(o: number, f: number, i: number, a: number): boolean {
    const ser = this.sers[o]!;
    const frames = this.sim.frames;
    // Index the cell would get; a new busy period or a full train closes the open one.
    const newPeriod = a > ser.busyUntil;
    let mode = this.otMode[o]!;
    if (mode !== OT_NONE) {
      const j = newPeriod ? -1 : ser.count;
      if (
        newPeriod ||
        j !== this.otJ0[o]! + this.otCount[o]! ||
        ser.base !== this.otBase[o] ||
        this.otCount[o] === this.trainCap
      ) {
        this.send(o);
        mode = OT_NONE;
      }
    }
    if (mode === OT_NONE) {
      if (!newPeriod) ser.rebase();
      frames.retain(f);
      this.otMode[o] = OT_REF;
      this.otFrame[o] = f;
      this.otFirst[o] = i;
      this.otCount[o] = 1;
      const j = ser.schedule(a);
      this.otBase[o] = ser.base;
      this.otJ0[o] = j;
      return true;
    }
    if (mode === OT_REF && this.otFrame[o] === f && this.otFirst[o]! + this.otCount[o]! === i) {
      this.otCount[o]!++;
      ser.schedule(a);
      return true;
    }
    const u8 = this.rt.u8;
    if (mode === OT_REF) {
      const src = this.otFrame[o]!;
      // Copies keep the source train's birth and flow tags (IP over ATM reads them at the end).
      const g = frames.alloc(0, frames.birth[src]!, frames.flow[src]!);
      if (g === NO_FRAME) return false;
      const from = frames.offset(src) + this.otFirst[o]! * ATM_CELL_LEN;
      u8.copyWithin(frames.offset(g), from, from + this.otCount[o]! * ATM_CELL_LEN);
      frames.release(src);
      this.otFrame[o] = g;
      this.otMode[o] = OT_OWN;
    }
    const g = this.otFrame[o]!;
    const from = frames.offset(f) + i * ATM_CELL_LEN;
    u8.copyWithin(frames.offset(g) + this.otCount[o]! * ATM_CELL_LEN, from, from + ATM_CELL_LEN);
    this.otCount[o]!++;
    ser.schedule(a);
    return true;
  }

  /** Sends output o's open train, if it has one. */
  flush(o: number): void {
    if (this.otMode[o] !== OT_NONE) this.send(o);
  }

  /** Sends every open train (the end of a pass). */
  flushAll(): void {
    for (let o = 0; o < this.otMode.length; o++) if (this.otMode[o] !== OT_NONE) this.send(o);
  }

  /** When output o's last scheduled cell has been sent (ns). */
  busyUntil(o: number): number {
    return this.sers[o]!.busyUntil;
  }

  /** Releases output o's open train unsent (the switch is destroyed). */
  discardOpen(o: number): void {
    if (this.otMode[o] === OT_NONE) return;
    this.sim.frames.release(this.otFrame[o]!);
    this.otMode[o] = OT_NONE;
  }

  /** Sends output o's open train (there is one) to its link. */
  private send(o: number): void {
    const frames = this.sim.frames;
    const counters = this.counters;
    const mode = this.otMode[o]!;
    this.otMode[o] = OT_NONE;
    let t = this.otFrame[o]!;
    const count = this.otCount[o]!;
    if (mode === OT_REF) {
      const whole = this.otFirst[o] === 0 && count * ATM_CELL_LEN === frames.length[t];
      if (!frames.isShared(t)) {
        if (!whole) {
          if (this.otFirst[o]! > 0) frames.pop(t, this.otFirst[o]! * ATM_CELL_LEN);
          frames.setLength(t, count * ATM_CELL_LEN);
        }
        counters.zeroCopy[o]!++;
      } else {
        const g = frames.alloc(0, frames.birth[t]!, frames.flow[t]!);
        const from = frames.offset(t) + this.otFirst[o]! * ATM_CELL_LEN;
        if (g === NO_FRAME) {
          // The cells were counted as sent; take them back as drops.
          frames.release(t);
          counters.txCells[o]! -= count;
          counters.drops[o * CELL_DROP_COUNT + CellDrop.NO_SLOT]! += count;
          return;
        }
        this.rt.u8.copyWithin(frames.offset(g), from, from + count * ATM_CELL_LEN);
        frames.release(t);
        t = g;
      }
    }
    frames.setLength(t, count * ATM_CELL_LEN);
    this.table.base[t] = this.otBase[o]!;
    this.table.index[t] = this.otJ0[o]!;
    counters.txTrains[o]!++;
    this.trace[o]!.macTx.hit(this.sim.now, t, count * ATM_CELL_LEN);
    this.links[o]!.transmit(this.linkEnd[o]!, t);
  }
}
