// The input side of an AtmSwitch: the trains announced on each input port, their header check
// and switching in one kernel batch each, and the pass that offers every arrived cell to its
// output in arrival order.
//
// Contract:
// - Cells come in trains (see atm-link.ts): a train is announced on its input port when its
//   first cell has arrived. announce() then, in one pass over the train: builds its frame
//   vector (kept while the train is pending), runs the I.432.1 HEC check (hecCheckBatch, only
//   when the link flipped bits in the train; the port's mode word: single-bit errors corrected,
//   others discarded) and switches every cell in one VcTable.switchBatch call (VPI/VCI
//   rewritten, HEC recomputed, out port per cell). It returns the train's last-cell time, at
//   which the owner calls advance().
// - advance(now) offers every announced cell that has arrived by `now` to its output
//   (SwitchOutputs), in arrival order over all inputs, then sends the open output trains.
// - Input drops: HEC, UNKNOWN_VC (idle and unassigned cells are counted apart) and
//   TRAIN_OVERRUN (more than `ring` trains pending on a port, no link, or stopped). User cells
//   of VPI 0 / VCI 5 that have no table entry go to the control plane when one is set.
// - Loss of signal (signalLoss(), atm-signal-loss.ts): cells arriving inside a port's window
//   were never sent by its crashed neighbour; they are skipped (SIGNAL_LOSS), off the fast path.
// - dropPending(p) / dropCrashed(f, p): the switch crashed; cells not yet offered are CRASHED.
// - No allocation per cell or train. Kernel calls: one HEC batch (dirty trains only) and one VC
//   batch per train.
//
// State machine per input port: a FIFO of announced trains, each Pending --all cells arrived
// and processed--> released (or forwarded by an output).

import type { Simulation } from "../engine/simulation.js";
import { FRAME_VEC_ARG, FRAME_VEC_LEN, FRAME_VEC_OUT, FRAME_VEC_STRIDE } from "../kernels/abi.js";
import { ChecksumKernels, HecStatus } from "../kernels/checksum.js";
import type { KernelRuntime } from "../kernels/runtime.js";
import { VC_MALFORMED, type VcTable } from "../kernels/switching.js";
import { DropReason, type TracePoints } from "../trace/trace-point.js";
import { ATM_CELL_LEN, IDLE_HEADER_WORD } from "../wire/atm-cell.js";
import { SIG_VCI, SIG_VPI } from "../wire/atm-signalling.js";
import { type AtmLink, type CellClock, TRAIN_HEADERS_DIRTY, type TrainTable } from "./atm-link.js";
import type { SwitchOutputs } from "./atm-switch-output.js";
import { SignalLossWindows } from "./atm-signal-loss.js";
import { CELL_DROP_COUNT, CellDrop, type SwitchCounters } from "./atm-switch-stats.js";

/**
 * The switch's control plane (signalling): receives the cells of the signalling channel that
 * reach the ATM layer on any port. cell() must not send synchronously (it runs inside the
 * input pass); it queues work for an event of its own.
 */
export interface AtmControlPlane {
  /** A user cell on VPI 0 / VCI 5 arrived on `port`: 53 bytes at runtime.u8[ptr], header word w. */
  cell(port: number, ptr: number, w: number): void;
  /** The switch crashed: forget every call silently (no message leaves a crashed switch). */
  crash(): void;
  /** The switch restarted: answer again, with no calls. */
  restart(): void;
  destroy(): void;
}

/** (VPI << 16 | VCI) & key mask of the signalling channel, VPI 0 / VCI 5. */
const SIGNALLING_KEY = (SIG_VPI << 16) | SIG_VCI;

/** What the input side works with (made by the switch). */
export interface SwitchInputsParts {
  sim: Simulation;
  vcTable: VcTable;
  table: TrainTable;
  /** Trains pending per input port at most. */
  ring: number;
  /** Cells per frame slot. */
  trainCap: number;
  /** The switch's per-port links (filled in on attach). */
  links: readonly (AtmLink | undefined)[];
  /** Per port: VPI/VCI bits of a header word >>> 4. */
  keyMask: Int32Array;
  trace: readonly TracePoints[];
  counters: SwitchCounters;
  outputs: SwitchOutputs;
}

export class SwitchInputs {
  /** Takes the signalling channel's cells (undefined: they count as unknownVc). */
  control: AtmControlPlane | undefined;
  private readonly sim: Simulation;
  private readonly rt: KernelRuntime;
  private readonly kernels: ChecksumKernels;
  private readonly vcTable: VcTable;
  private readonly table: TrainTable;
  private readonly nPorts: number;
  private readonly ring: number;
  private readonly trainCap: number;
  private readonly links: readonly (AtmLink | undefined)[];
  private readonly keyMask: Int32Array;
  private readonly trace: readonly TracePoints[];
  private readonly counters: SwitchCounters;
  private readonly outputs: SwitchOutputs;
  /** Cell clock of each input's link. */
  private readonly num: Float64Array;
  private readonly den: Float64Array;
  // Pending trains: a ring of `ring` slots per port (slot = port * ring + k).
  private readonly pendHead: Int32Array;
  private readonly pendCount: Int32Array;
  private readonly pendFrame: Int32Array;
  private readonly pendNext: Int32Array;
  private readonly pendCells: Int32Array;
  private readonly pendBase: Float64Array;
  private readonly pendJ0: Float64Array;
  /** The one output every switched cell of a pending train goes to; -1 mixed, -2 none. */
  private readonly trainOut: Int32Array;
  // advance()'s scratch: inputs per output, and inputs with a mixed train.
  private readonly outUsers: Int32Array;
  private readonly outMark: Int32Array;
  private readonly inputMixed: Uint8Array;
  // Heap: a frame vector per pending slot, then one HEC mode word per port.
  private readonly region: number;
  private readonly vecBase: number;
  private readonly modeBase: number;
  private stopped = false;
  private readonly dark: SignalLossWindows;
  /** Ports with a loss-of-signal window open. */
  private darkPorts = 0;

  /** Allocates the frame vectors on the Wasm heap (throws when it is full). */
  constructor(parts: SwitchInputsParts) {
    const { sim, ring, trainCap } = parts;
    const P = parts.links.length;
    this.sim = sim;
    this.rt = sim.runtime;
    this.kernels = new ChecksumKernels(sim.runtime);
    this.vcTable = parts.vcTable;
    this.table = parts.table;
    this.nPorts = P;
    this.ring = ring;
    this.trainCap = trainCap;
    this.links = parts.links;
    this.keyMask = parts.keyMask;
    this.trace = parts.trace;
    this.counters = parts.counters;
    this.outputs = parts.outputs;
    const vecBytes = P * ring * trainCap * FRAME_VEC_STRIDE;
    this.region = sim.runtime.heap.alloc(vecBytes + P * 4);
    this.vecBase = this.region;
    this.modeBase = this.region + vecBytes;
    // Every vector entry: len 53, arg = its in port; ptr is written per train.
    const u32 = this.rt.u32;
    for (let p = 0; p < P; p++) {
      for (let k = 0; k < ring * trainCap; k++) {
        const e = (this.vecBase + (p * ring * trainCap + k) * FRAME_VEC_STRIDE) >>> 2;
        u32[e + FRAME_VEC_LEN / 4] = ATM_CELL_LEN;
        u32[e + FRAME_VEC_ARG / 4] = p;
      }
    }
    this.num = new Float64Array(P).fill(1);
    this.den = new Float64Array(P).fill(1);
    this.pendHead = new Int32Array(P);
    this.pendCount = new Int32Array(P);
    this.pendFrame = new Int32Array(P * ring);
    this.pendNext = new Int32Array(P * ring);
    this.pendCells = new Int32Array(P * ring);
    this.pendBase = new Float64Array(P * ring);
    this.pendJ0 = new Float64Array(P * ring);
    this.trainOut = new Int32Array(P * ring);
    this.outUsers = new Int32Array(P);
    this.outMark = new Int32Array(P);
    this.inputMixed = new Uint8Array(P);
    this.dark = new SignalLossWindows(P);
  }

  /** A link was attached to `port`: its cells arrive on the link's clock. */
  attach(port: number, clock: CellClock): void {
    this.num[port] = clock.num;
    this.den[port] = clock.den;
  }

  /**
   * Train f was announced on input p: checks and switches its cells. Returns the time its
   * last cell arrives, or -1 when the train was dropped (counted, traced and released).
   */
  announce(f: number, p: number): number {
    const frames = this.sim.frames;
    const len = frames.length[f]!;
    const n = (len / ATM_CELL_LEN) | 0;
    if (
      this.pendCount[p]! === this.ring ||
      this.links[p] === undefined ||
      this.stopped ||
      n === 0 ||
      n > this.trainCap
    ) {
      this.counters.drops[p * CELL_DROP_COUNT + CellDrop.TRAIN_OVERRUN]! += n;
      this.trace[p]!.phyRxDrop.hit(this.sim.now, f, len, DropReason.NO_RX_BUFFER);
      frames.release(f);
      return -1;
    }
    const k = (this.pendHead[p]! + this.pendCount[p]!) % this.ring;
    const slot = p * this.ring + k;
    this.pendCount[p]!++;
    this.counters.rxTrains[p]!++;
    this.pendFrame[slot] = f;
    this.pendNext[slot] = 0;
    this.pendCells[slot] = n;
    const base = this.table.base[f]!;
    const j0 = this.table.index[f]!;
    this.pendBase[slot] = base;
    this.pendJ0[slot] = j0;
    const vec = this.vecBase + slot * this.trainCap * FRAME_VEC_STRIDE;
    this.switchCells(f, p, vec, n);
    this.trainOut[slot] = this.singleOutput(vec, n);
    return base + Math.ceil(((j0 + n) * this.num[p]!) / this.den[p]!);
  }

  /** Fills the frame vector of train f's n cells and runs the HEC and VC kernels over it. */
  private switchCells(f: number, p: number, vec: number, n: number): void {
    const frames = this.sim.frames;
    const u32 = this.rt.u32;
    const off = frames.offset(f);
    for (let i = 0; i < n; i++) u32[(vec + i * FRAME_VEC_STRIDE) >>> 2] = off + i * ATM_CELL_LEN;
    const mode = this.modeBase + p * 4;
    if ((frames.flags[f]! & TRAIN_HEADERS_DIRTY) !== 0) {
      this.kernels.hecCheckBatch(vec, n, mode);
      for (let i = 0; i < n; i++) {
        const e = (vec + i * FRAME_VEC_STRIDE) >>> 2;
        const st = u32[e + FRAME_VEC_OUT / 4]!;
        // A discarded header must not be switched: len 0 makes the VC kernel mark it malformed.
        if (st === HecStatus.DISCARDED || st === HecStatus.TOO_SHORT) u32[e + FRAME_VEC_LEN / 4] = 0;
        else if (st === HecStatus.CORRECTED) this.counters.hecCorrected[p]!++;
      }
      this.vcTable.switchBatch(vec, n);
      for (let i = 0; i < n; i++) u32[((vec + i * FRAME_VEC_STRIDE) >>> 2) + FRAME_VEC_LEN / 4] = ATM_CELL_LEN;
      // Every header that goes on now has a fresh HEC.
      frames.flags[f]! &= ~TRAIN_HEADERS_DIRTY;
    } else {
      u32[mode >>> 2] = 0; // all valid: correction mode
      this.vcTable.switchBatch(vec, n);
    }
  }

  /** The one output all switched cells in `vec` go to; -1 when several, -2 when none. */
  private singleOutput(vec: number, n: number): number {
    const u32 = this.rt.u32;
    let single = -2;
    for (let i = 0; i < n; i++) {
      const o = u32[((vec + i * FRAME_VEC_STRIDE) >>> 2) + FRAME_VEC_OUT / 4]!;
      if (o >= VC_MALFORMED || o === single) continue;
      if (single === -2) single = o;
      else return -1;
    }
    return single;
  }

  /** Arrival time of the next unprocessed cell on input p (Infinity when none pending). */
  private nextArrival(p: number): number {
    if (this.pendCount[p] === 0) return Infinity;
    const slot = p * this.ring + this.pendHead[p]!;
    return (
      this.pendBase[slot]! + Math.ceil(((this.pendJ0[slot]! + this.pendNext[slot]! + 1) * this.num[p]!) / this.den[p]!)
    );
  }

  /**
   * Offers every announced cell that has arrived by `now` to its output, in arrival order (ties:
   * lower input port first), exactly as per-cell interleaving would: a train is announced at its
   * first cell, so no cell that arrived before `now` can still be unknown. Then sends every open
   * output train.
   *
   * Approximation: a switch forwards cells only once it has processed them, at the end of the
   * input train, so its output trains reach the next device at max(now, first cell's true
   * arrival): the cells keep their true times (metadata), but the announcement can be up to one
   * input train late. A downstream switch that meanwhile processed cells of another input
   * arriving after them takes the late cells as arriving at the last arrival it processed for
   * that output (arrival clamped), so FIFO order and occupancy at that output are off by at most
   * one train's duration there. With one merging switch (sources on NICs, whose trains are
   * announced on time) the merge is exact; a chain with no merging is exact too.
   */
  advance(now: number): void {
    const P = this.nPorts;
    // Interleaving matters only among inputs that feed the same output: an input whose
    // arrived trains all go to outputs no other input is feeding right now is run alone, in
    // one stretch (long runs keep the fast path and zero-copy forwarding).
    if (this.countFeeders(now) > 1) {
      const users = this.outUsers;
      for (let p = 0; p < P; p++) {
        if (this.pendCount[p] === 0 || this.inputMixed[p] === 1 || this.nextArrival(p) > now) continue;
        let alone = true;
        for (let k = 0; k < this.pendCount[p]!; k++) {
          const slot = p * this.ring + ((this.pendHead[p]! + k) % this.ring);
          const o = this.trainOut[slot]!;
          if (o >= 0 && users[o]! > 1) {
            alone = false;
            break;
          }
        }
        if (alone) this.runInput(p, now, true);
      }
    }
    for (;;) {
      let best = -1;
      let bestT = Infinity;
      let secondT = Infinity;
      let secondP = P;
      for (let p = 0; p < P; p++) {
        if (this.pendCount[p] === 0) continue;
        const t = this.nextArrival(p);
        if (t < bestT) {
          secondT = bestT;
          secondP = best;
          bestT = t;
          best = p;
        } else if (t < secondT) {
          secondT = t;
          secondP = p;
        }
      }
      if (best < 0 || bestT > now) break;
      // Cells of `best` go first while they arrive before the next input's next cell (on a tie
      // the lower port goes first).
      const limit = secondT < now ? secondT : now;
      this.runInput(best, limit, best < secondP || secondT > now);
    }
    this.outputs.flushAll();
    if (this.darkPorts > 0) this.closePastWindows(now);
  }

  /**
   * EV_SIGNAL_LOSS on input p: its neighbour crashed; cells arriving from now until `until`
   * were never sent. Call after advance(now).
   */
  signalLoss(p: number, now: number, until: number): void {
    const was = this.dark.isOpen(p);
    this.dark.open(p, now, until);
    if (!was && this.dark.isOpen(p)) this.darkPorts++;
  }

  private closePastWindows(now: number): void {
    for (let p = 0; p < this.nPorts; p++) {
      if (!this.dark.isOpen(p)) continue;
      this.dark.closeIfPast(p, now);
      if (!this.dark.isOpen(p)) this.darkPorts--;
    }
  }

  /** The switch crashed: input p's pending trains are released, their cells not yet offered CRASHED. */
  dropPending(p: number): void {
    const frames = this.sim.frames;
    const now = this.sim.now;
    while (this.pendCount[p]! > 0) {
      const slot = p * this.ring + this.pendHead[p]!;
      const f = this.pendFrame[slot]!;
      this.counters.drops[p * CELL_DROP_COUNT + CellDrop.CRASHED]! += this.pendCells[slot]! - this.pendNext[slot]!;
      this.trace[p]!.phyRxDrop.hit(now, f, frames.length[f]!, DropReason.CRASHED);
      frames.release(f);
      this.pendHead[p] = (this.pendHead[p]! + 1) % this.ring;
      this.pendCount[p]!--;
    }
  }

  /** Train f reached input p of a crashed switch: released, its cells CRASHED. */
  dropCrashed(f: number, p: number): void {
    const frames = this.sim.frames;
    const len = frames.length[f]!;
    this.counters.drops[p * CELL_DROP_COUNT + CellDrop.CRASHED]! += (len / ATM_CELL_LEN) | 0;
    this.trace[p]!.phyRxDrop.hit(this.sim.now, f, len, DropReason.CRASHED);
    frames.release(f);
  }

  /**
   * For the inputs with a cell arrived by `now`: counts in outUsers how many of them feed each
   * output, and marks in inputMixed those with a train that goes to several. Returns how many
   * inputs have a cell arrived.
   */
  private countFeeders(now: number): number {
    const users = this.outUsers;
    const mark = this.outMark;
    users.fill(0);
    mark.fill(-1);
    let active = 0;
    for (let p = 0; p < this.nPorts; p++) {
      this.inputMixed[p] = 0;
      if (this.pendCount[p] === 0 || this.nextArrival(p) > now) continue;
      active++;
      for (let k = 0; k < this.pendCount[p]!; k++) {
        const slot = p * this.ring + ((this.pendHead[p]! + k) % this.ring);
        if (k > 0 && this.pendBase[slot]! + Math.ceil(((this.pendJ0[slot]! + 1) * this.num[p]!) / this.den[p]!) > now)
          break;
        const o = this.trainOut[slot]!;
        if (o === -1) this.inputMixed[p] = 1;
        else if (o >= 0 && mark[o] !== p) {
          mark[o] = p;
          users[o]!++;
        }
      }
    }
    return active;
  }

  /** Processes cells of input p with arrival < limit (or <= limit when `inclusive`). */
  private runInput(p: number, limit: number, inclusive: boolean): void {
    const frames = this.sim.frames;
    const outputs = this.outputs;
    const u8 = this.rt.u8;
    const u32 = this.rt.u32;
    const num = this.num[p]!;
    const den = this.den[p]!;
    const counters = this.counters;
    // A loss-of-signal window: every cell is checked against it, off the fast path.
    const dark = this.darkPorts > 0 && this.dark.isOpen(p);
    while (this.pendCount[p]! > 0) {
      const k = this.pendHead[p]!;
      const slot = p * this.ring + k;
      const f = this.pendFrame[slot]!;
      const n = this.pendCells[slot]!;
      const base = this.pendBase[slot]!;
      const j0 = this.pendJ0[slot]!;
      const vec = this.vecBase + slot * this.trainCap * FRAME_VEC_STRIDE;
      const off = frames.offset(f);
      let i = this.pendNext[slot]!;
      // Output whose open train is a run of this frame (the fast path below continues it).
      let fastO = -1;
      for (; i < n; i++) {
        const a = base + Math.ceil(((j0 + i + 1) * num) / den);
        if (inclusive ? a > limit : a >= limit) break;
        if (dark && this.dark.covers(p, a)) {
          counters.drops[p * CELL_DROP_COUNT + CellDrop.SIGNAL_LOSS]!++;
          continue;
        }
        const out = u32[((vec + i * FRAME_VEC_STRIDE) >>> 2) + FRAME_VEC_OUT / 4]!;
        if (out === fastO) {
          const j = outputs.fastRun(out, i, n, vec, off, base, j0, num, den, limit, inclusive);
          if (j > i) {
            counters.rxCells[p]! += j - i;
            i = j - 1;
            continue;
          }
        }
        const c = off + i * ATM_CELL_LEN;
        if (out >= VC_MALFORMED) {
          if (out === VC_MALFORMED) {
            counters.drops[p * CELL_DROP_COUNT + CellDrop.HEC]!++;
          } else {
            const w = ((u8[c]! << 24) | (u8[c + 1]! << 16) | (u8[c + 2]! << 8) | u8[c + 3]!) >>> 0;
            if (w === IDLE_HEADER_WORD) counters.idleCells[p]!++;
            else if ((w & 0x0fffffff) === 0) counters.unassignedCells[p]!++;
            else if (this.control !== undefined && ((w >>> 4) & this.keyMask[p]!) === SIGNALLING_KEY) {
              counters.rxCells[p]!++;
              this.control.cell(p, c, w);
            } else counters.drops[p * CELL_DROP_COUNT + CellDrop.UNKNOWN_VC]!++;
          }
          continue;
        }
        counters.rxCells[p]!++;
        outputs.offer(out, f, i, c, a);
        fastO = !dark && outputs.isRunOf(out, f) ? out : -1;
      }
      this.pendNext[slot] = i;
      if (i < n) return;
      frames.release(f);
      this.pendHead[p] = (k + 1) % this.ring;
      this.pendCount[p]!--;
    }
  }

  /** Releases input p's pending trains (the switch is destroyed). */
  releasePending(p: number): void {
    const frames = this.sim.frames;
    while (this.pendCount[p]! > 0) {
      frames.release(this.pendFrame[p * this.ring + this.pendHead[p]!]!);
      this.pendHead[p] = (this.pendHead[p]! + 1) % this.ring;
      this.pendCount[p]!--;
    }
  }

  /** Frees the frame vectors; trains announced from now on are dropped. */
  free(): void {
    this.stopped = true;
    this.rt.heap.free(this.region);
  }
}
