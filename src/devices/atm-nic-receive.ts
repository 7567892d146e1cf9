// The receive side of an AtmNic: the trains its link announces, their cells processed in
// arrival order (HEC check, demultiplexing by VPI/VCI, AAL5 reassembly in the Wasm kernel),
// PDUs delivered without a copy, and the reassembly timer.
//
// Contract:
// - announce() keeps a train in a bounded FIFO (pendingTrains; overflow drops it, counted) and
//   schedules the owner's EV_ATM_NIC_TRAIN_END at its last-cell time. Cells are looked at only
//   once arrived: at that event and before a timer check, every pending cell with arrival <= now
//   is processed, in order.
// - Per chunk of cells: the I.432.1 HEC check (one Wasm call, only if the link flipped bits in
//   the train; single-bit errors corrected, others discarded), idle/unassigned cells dropped,
//   unknown VPI/VCI counted, OAM/RM cells counted and dropped, parity cells to NicParity, user
//   cells to the Aal5Reassembler in one call (CRC, length, lost-cell and no-buffer errors are
//   its counted drops). A PDU is delivered when the train that carried its end cell is
//   processed: exact on paths without merging, where NIC trains end on a PDU end.
// - Reassembly timeout: a PDU in progress (or parked for parity) whose last cell is older than
//   the timeout is aborted (counted: timeouts). One timer, armed at the earliest deadline.
// - Loss of signal (signalLoss(), atm-signal-loss.ts): the far sender crashed; cells arriving
//   inside the window are skipped, counted in signalLossCells.
// - crash(): pending trains dropped (CRASHED, crashedTrains), PDUs in reassembly and parked for
//   parity aborted, the timer stopped; trains arriving while the NIC is crashed go the same way.
// - No allocation per cell, train or PDU.
//
// State machines:
//   per circuit: Idle --user cell--> Assembling --end cell (OK / error)--> Idle
//                Assembling --timeout--> Idle (aborted); [parity] Assembling --end cell,
//                LOST_CELLS--> AwaitParity --parity cell--> Idle (rebuilt or parityFailed);
//                AwaitParity --user cell / timeout--> Idle (parityMissing)
//   reassembly timer: Idle --a circuit starts assembling--> Armed --fire--> Armed | Idle

import { NO_FRAME } from "../buf/frames.js";
import type { Simulation } from "../engine/simulation.js";
import { FRAME_VEC_ARG, FRAME_VEC_LEN, FRAME_VEC_OUT, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "../kernels/abi.js";
import { AAL5_STATUS, type Aal5Reassembler } from "../kernels/aal5.js";
import { type ChecksumKernels, HecStatus } from "../kernels/checksum.js";
import type { KernelRuntime } from "../kernels/runtime.js";
import { DropReason, type TracePoints } from "../trace/trace-point.js";
import { ATM_CELL_LEN, HDR_END_OF_PDU, HDR_NOT_USER_DATA, IDLE_HEADER_WORD, PTI_RESERVED } from "../wire/atm-cell.js";
import { type CellClock, TRAIN_HEADERS_DIRTY, type TrainTable } from "./atm-link.js";
import {
  type NicCircuits,
  VC_COUNTERS,
  VC_PARITY_FAILED,
  VC_REBUILT,
  VC_RX_BYTES,
  VC_RX_CELLS,
  VC_RX_PDUS,
  VC_TIMEOUTS,
} from "./atm-nic-circuits.js";
import type { NicParity } from "./atm-nic-parity.js";
import type { PduTapPoint } from "./atm-nic-tap.js";
import { SignalLossWindows, cellsArrivedBy } from "./atm-signal-loss.js";
import { EV_DEVICE_BASE } from "./device.js";

/** The last cell of the pending train at the head has arrived (a = unused). */
export const EV_ATM_NIC_TRAIN_END = EV_DEVICE_BASE;
/** The reassembly timer. */
export const EV_ATM_NIC_TIMER = EV_DEVICE_BASE + 1;

export const ReassemblyTimerState = { Idle: 0, Armed: 1 } as const;
export type ReassemblyTimerState = (typeof ReassemblyTimerState)[keyof typeof ReassemblyTimerState];

/** Receives reassembled PDUs (zero-copy: the bytes stay in the NIC's buffer). */
export interface AtmReceiver {
  /**
   * A PDU on circuit `vc`: runtime.u8[ptr, ptr + length), CPCS-UU `uu`. Return true to keep the
   * buffer (then call nic.returnBuffer(ptr) when done), false to let the NIC take it back now.
   */
  deliver(vc: number, ptr: number, length: number, uu: number): boolean;
}

/** The host's signalling agent: takes the PDUs of the signalling circuit. */
export interface AtmSignallingAgent {
  /** A signalling PDU: runtime.u8[ptr, ptr + length); valid only during the call. */
  deliverSignal(ptr: number, length: number): void;
}

/** What a NicReceiver works with (made by the NIC). */
export interface NicReceiverParts {
  sim: Simulation;
  /** The NIC's handler id: the receiver's events go to it. */
  owner: number;
  kernels: ChecksumKernels;
  table: TrainTable;
  circuits: NicCircuits;
  parity: NicParity;
  reassembler: Aal5Reassembler;
  tap: PduTapPoint;
  trace: TracePoints;
  /** Cells per frame slot. */
  trainCap: number;
  pendingTrains: number;
  timeoutNs: number;
}

export class NicReceiver {
  /** Takes the PDUs of every circuit but the signalling one (undefined: they are dropped). */
  receiver: AtmReceiver | undefined;
  timerState: ReassemblyTimerState = ReassemblyTimerState.Idle;
  /** During a delivery, the train that carried the PDU's last cell; NO_FRAME otherwise. */
  rxTrainFrame = NO_FRAME;
  // Counters (read by the NIC's stats).
  rxTrains = 0;
  idleCells = 0;
  hecCorrected = 0;
  hecDiscarded = 0;
  unknownVc = 0;
  unassigned = 0;
  oamCells = 0;
  parityCells = 0;
  parityUnused = 0;
  trainOverruns = 0;
  failedTrains = 0;
  /** Trains pending at a crash of the NIC, or arriving while it was crashed. */
  crashedTrains = 0;
  /** Cells the far end had scheduled when it crashed (never sent): skipped on arrival. */
  signalLossCells = 0;
  private readonly sim: Simulation;
  private readonly dark = new SignalLossWindows(1);
  private readonly owner: number;
  private readonly rt: KernelRuntime;
  private readonly kernels: ChecksumKernels;
  private readonly table: TrainTable;
  private readonly circuits: NicCircuits;
  private readonly parity: NicParity;
  private readonly reassembler: Aal5Reassembler;
  private readonly tap: PduTapPoint;
  private readonly trace: TracePoints;
  private readonly timeoutNs: number;
  private clock: CellClock | undefined;
  private sigVc = -1;
  private sigAgent: AtmSignallingAgent | undefined;
  // Per circuit: user cells since the last end cell, and the arrival of the last one.
  private readonly sinceEnd: Int32Array;
  private readonly lastCell: Float64Array;
  /** Circuits with sinceEnd > 0. */
  private inProgress = 0;
  // Pending trains (announced, not yet fully processed): a ring.
  private readonly pendFrame: Int32Array;
  private readonly pendNext: Int32Array;
  private pendHead = 0;
  private pendCount = 0;
  private timerHandle = -1;
  // Heap: HEC vector, reassembly vector (+1 entry for an injected cell), scratch cell, mode word.
  private readonly region: number;
  private readonly hecVec: number;
  private readonly rxVec: number;
  private readonly injectVec: number;
  private readonly scratchCell: number;
  private readonly modeWord: number;
  /** The circuit whose rebuilt end cell is being fed to the reassembler, and whether it completed. */
  private injecting = -1;
  private injectedOk = false;
  private readonly onCompletionBound: (
    circuit: number,
    ptr: number,
    length: number,
    status: number,
    uuCpi: number,
  ) => void;
  private stopped = false;

  /** Allocates the vectors on the Wasm heap (throws when it is full). */
  constructor(parts: NicReceiverParts) {
    const { sim, circuits, trainCap, pendingTrains } = parts;
    this.sim = sim;
    this.owner = parts.owner;
    this.rt = sim.runtime;
    this.kernels = parts.kernels;
    this.table = parts.table;
    this.circuits = circuits;
    this.parity = parts.parity;
    this.reassembler = parts.reassembler;
    this.tap = parts.tap;
    this.trace = parts.trace;
    this.timeoutNs = parts.timeoutNs;
    this.sinceEnd = new Int32Array(circuits.count);
    this.lastCell = new Float64Array(circuits.count);
    this.pendFrame = new Int32Array(pendingTrains);
    this.pendNext = new Int32Array(pendingTrains);
    const vecBytes = (trainCap + 1) * FRAME_VEC_STRIDE;
    this.region = sim.runtime.heap.alloc(vecBytes * 2 + FRAME_VEC_STRIDE + 64 + 64);
    this.hecVec = this.region;
    this.rxVec = this.region + vecBytes;
    this.injectVec = this.rxVec + vecBytes;
    this.scratchCell = this.injectVec + FRAME_VEC_STRIDE;
    this.modeWord = this.scratchCell + 64;
    const u32 = this.rt.u32;
    for (let i = 0; i <= trainCap; i++) {
      u32[(this.hecVec + i * FRAME_VEC_STRIDE + FRAME_VEC_LEN) >>> 2] = ATM_CELL_LEN;
      u32[(this.rxVec + i * FRAME_VEC_STRIDE + FRAME_VEC_LEN) >>> 2] = ATM_CELL_LEN;
    }
    u32[(this.injectVec + FRAME_VEC_PTR) >>> 2] = this.scratchCell;
    u32[(this.injectVec + FRAME_VEC_LEN) >>> 2] = ATM_CELL_LEN;
    this.onCompletionBound = this.onCompletion.bind(this);
  }

  /** The link is attached: its cells arrive on `clock`. */
  attach(clock: CellClock): void {
    this.clock = clock;
  }

  /** Circuit vc was opened: nothing in progress on it. */
  openCircuit(vc: number): void {
    this.sinceEnd[vc] = 0;
    this.parity.restart(vc);
  }

  /** Open circuit vc closes: a PDU in reassembly is aborted, a parked one returned. */
  closeCircuit(vc: number): void {
    if (vc === this.sigVc) {
      this.sigVc = -1;
      this.sigAgent = undefined;
    }
    this.reassembler.abort(vc);
    if (this.sinceEnd[vc]! > 0) this.inProgress--;
    this.sinceEnd[vc] = 0;
    this.parity.dropParked(vc, false);
  }

  /** Routes PDUs of circuit `vc` to `agent`; undefined clears it. */
  setSignalling(vc: number, agent: AtmSignallingAgent | undefined): void {
    this.sigVc = agent === undefined ? -1 : vc;
    this.sigAgent = agent;
  }

  /** A train was announced (its first cell arrived): queue it until its cells have arrived. */
  announce(frame: number): void {
    const frames = this.sim.frames;
    if (this.pendCount === this.pendFrame.length || this.stopped || this.clock === undefined) {
      this.dropTrain(frame, false);
      return;
    }
    const slot = (this.pendHead + this.pendCount) % this.pendFrame.length;
    this.pendFrame[slot] = frame;
    this.pendNext[slot] = 0;
    this.pendCount++;
    this.rxTrains++;
    const n = (frames.length[frame]! / ATM_CELL_LEN) | 0;
    const clock = this.clock;
    const last = this.table.base[frame]! + Math.ceil(((this.table.index[frame]! + n) * clock.num) / clock.den);
    const now = this.sim.now;
    this.sim.scheduler.scheduleAt(this.owner, last > now ? last : now, this.owner, EV_ATM_NIC_TRAIN_END, 0, 0, 0);
  }

  /** Releases an announced train unread: the host has failed, or there is no room for it. */
  dropTrain(frame: number, hostFailed: boolean): void {
    const frames = this.sim.frames;
    if (hostFailed) this.failedTrains++;
    else this.trainOverruns++;
    this.trace.phyRxDrop.hit(this.sim.now, frame, frames.length[frame]!, DropReason.NO_RX_BUFFER);
    frames.release(frame);
  }

  /** Releases a train that reached the NIC while it was crashed (CRASHED). */
  dropCrashedTrain(frame: number): void {
    const frames = this.sim.frames;
    this.crashedTrains++;
    this.trace.phyRxDrop.hit(this.sim.now, frame, frames.length[frame]!, DropReason.CRASHED);
    frames.release(frame);
  }

  /**
   * EV_SIGNAL_LOSS: the far sender crashed; cells arriving from now until `until` were never
   * sent. Everything arrived by now is processed first.
   */
  signalLoss(until: number): void {
    const now = this.sim.now;
    this.advance(now);
    this.dark.open(0, now, until);
    this.armTimer();
  }

  /** EV_ATM_NIC_TRAIN_END. */
  trainEnd(): void {
    this.advance(this.sim.now);
    this.armTimer();
  }

  /** EV_ATM_NIC_TIMER. */
  timerFired(): void {
    this.timerState = ReassemblyTimerState.Idle;
    this.timerHandle = -1;
    this.advance(this.sim.now);
    this.expire(this.sim.now);
    this.armTimer();
  }

  /** Processes, in order, every pending cell that has fully arrived by `now`. */
  private advance(now: number): void {
    const frames = this.sim.frames;
    const cap = this.pendFrame.length;
    const num = this.clock!.num;
    const den = this.clock!.den;
    while (this.pendCount > 0) {
      const slot = this.pendHead;
      const f = this.pendFrame[slot]!;
      const n = (frames.length[f]! / ATM_CELL_LEN) | 0;
      const arrived = Math.floor(((now - this.table.base[f]!) * den) / num) - this.table.index[f]!;
      const upto = arrived < n ? arrived : n;
      const from = this.pendNext[slot]!;
      if (upto > from) {
        if (this.dark.isOpen(0)) this.processAround(f, from, upto, n);
        else this.processCells(f, from, upto);
        this.pendNext[slot] = upto;
      }
      if (upto < n) break;
      frames.release(f);
      this.pendHead = (slot + 1) % cap;
      this.pendCount--;
    }
    if (this.dark.isOpen(0)) this.dark.closeIfPast(0, now);
  }

  /** Cells from..to - 1 of train f (n cells), skipping those inside the loss-of-signal window. */
  private processAround(f: number, from: number, to: number, n: number): void {
    const base = this.table.base[f]!;
    const j0 = this.table.index[f]!;
    const num = this.clock!.num;
    const den = this.clock!.den;
    const lo = cellsArrivedBy(this.dark.from[0]!, base, j0, num, den, n);
    const hi = cellsArrivedBy(this.dark.until[0]!, base, j0, num, den, n);
    const a = from > lo ? from : lo;
    const b = to < hi ? to : hi;
    if (b <= a) {
      this.processCells(f, from, to);
      return;
    }
    if (a > from) this.processCells(f, from, a);
    this.signalLossCells += b - a;
    if (to > b) this.processCells(f, b, to);
  }

  /** Cells from..to - 1 of train f, in order. */
  private processCells(f: number, from: number, to: number): void {
    const frames = this.sim.frames;
    const u8 = this.rt.u8;
    const u32 = this.rt.u32;
    const off = frames.offset(f);
    const dirty = (frames.flags[f]! & TRAIN_HEADERS_DIRTY) !== 0;
    const m = to - from;
    this.rxTrainFrame = f;
    if (dirty) {
      for (let k = 0; k < m; k++)
        u32[(this.hecVec + k * FRAME_VEC_STRIDE + FRAME_VEC_PTR) >>> 2] = off + (from + k) * ATM_CELL_LEN;
      this.kernels.hecCheckBatch(this.hecVec, m, this.modeWord);
    } else {
      // Every cell of a clean train is valid: the mode ends (or stays) in correction mode.
      u32[this.modeWord >>> 2] = 0;
    }
    const base = this.table.base[f]!;
    const j0 = this.table.index[f]!;
    const num = this.clock!.num;
    const den = this.clock!.den;
    const circuits = this.circuits;
    const keyMask = circuits.keyMask;
    const parityOn = circuits.parity;
    const vcCounters = circuits.counters;
    const parity = this.parity;
    const parked = parity.parked;
    const rxVec = this.rxVec;
    let nv = 0;
    for (let i = from; i < to; i++) {
      const c = off + i * ATM_CELL_LEN;
      if (dirty) {
        const st = u32[(this.hecVec + (i - from) * FRAME_VEC_STRIDE + FRAME_VEC_OUT) >>> 2]!;
        if (st === HecStatus.DISCARDED || st === HecStatus.TOO_SHORT) {
          this.hecDiscarded++;
          continue;
        }
        if (st === HecStatus.CORRECTED) this.hecCorrected++;
      }
      const w = ((u8[c]! << 24) | (u8[c + 1]! << 16) | (u8[c + 2]! << 8) | u8[c + 3]!) >>> 0;
      if (w === IDLE_HEADER_WORD) {
        this.idleCells++;
        continue;
      }
      const vc = circuits.lookup((w >>> 4) & keyMask);
      if (vc < 0) {
        if ((w & 0x0fffffff) === 0) this.unassigned++;
        else this.unknownVc++;
        continue;
      }
      vcCounters[vc * VC_COUNTERS + VC_RX_CELLS]!++;
      if ((w & HDR_NOT_USER_DATA) !== 0) {
        if (((w >>> 1) & 7) === PTI_RESERVED && parityOn[vc] === 1) {
          if (nv > 0) this.pushCells(nv);
          nv = 0;
          this.onParityCell(vc, c + 5);
        } else {
          this.oamCells++;
        }
        continue;
      }
      if (parked[vc] !== 0) parity.dropParked(vc, true);
      this.lastCell[vc] = base + Math.ceil(((j0 + i + 1) * num) / den);
      const end = (w & HDR_END_OF_PDU) !== 0;
      if (parityOn[vc] === 1) parity.accumulate(vc, c, end);
      if (end) {
        if (this.sinceEnd[vc]! > 0) this.inProgress--;
        this.sinceEnd[vc] = 0;
      } else if (this.sinceEnd[vc]!++ === 0) {
        this.inProgress++;
      }
      const e = (rxVec + nv * FRAME_VEC_STRIDE) >>> 2;
      u32[e + FRAME_VEC_PTR / 4] = c;
      u32[e + FRAME_VEC_ARG / 4] = vc;
      nv++;
    }
    if (nv > 0) this.pushCells(nv);
    this.rxTrainFrame = NO_FRAME;
  }

  private pushCells(n: number): void {
    this.reassembler.pushCells(this.rxVec, n);
    if (this.reassembler.queuedCompletions > 0) this.reassembler.drainCompletions(this.onCompletionBound);
  }

  private onCompletion(circuit: number, ptr: number, length: number, status: number, uuCpi: number): void {
    if (status === AAL5_STATUS.OK) {
      if (circuit === this.injecting) this.injectedOk = true;
      this.deliver(circuit, ptr, length, uuCpi >>> 8);
      return;
    }
    if (status === AAL5_STATUS.LOST_CELLS && this.circuits.parity[circuit] === 1 && circuit !== this.injecting) {
      this.parity.park(circuit, ptr, length);
      return;
    }
    // Counted by the kernel (badCrc, badLength, lostCells, ...).
    this.reassembler.returnBuffer(ptr);
  }

  private deliver(vc: number, ptr: number, length: number, uu: number): void {
    const c = vc * VC_COUNTERS;
    const vcCounters = this.circuits.counters;
    vcCounters[c + VC_RX_PDUS]!++;
    vcCounters[c + VC_RX_BYTES]! += length;
    if (this.tap.tap !== undefined) this.tap.hit(this.circuits.header[vc]!, ptr, length, false);
    if (vc === this.sigVc) {
      this.sigAgent!.deliverSignal(ptr, length);
      this.reassembler.returnBuffer(ptr);
      return;
    }
    const r = this.receiver;
    if (r === undefined || !r.deliver(vc, ptr, length, uu)) this.reassembler.returnBuffer(ptr);
  }

  /** A parity cell for `vc` whose payload is at `payload` in kernel memory. */
  private onParityCell(vc: number, payload: number): void {
    this.parityCells++;
    const parity = this.parity;
    parity.takeMissing(vc, payload);
    if (parity.parked[vc] !== 0) {
      const ptr = parity.rebuildParked(vc);
      if (ptr !== 0) this.deliver(vc, ptr, parity.rebuiltLength, parity.rebuiltUu);
    } else if (this.sinceEnd[vc]! > 0) {
      // The end-of-PDU cell was lost: rebuild it and let the reassembler finish the PDU.
      this.inProgress--;
      this.sinceEnd[vc] = 0;
      parity.writeEndCell(this.scratchCell, (this.circuits.header[vc]! | HDR_END_OF_PDU) >>> 0);
      this.rt.u32[(this.injectVec + FRAME_VEC_ARG) >>> 2] = vc;
      this.injecting = vc;
      this.injectedOk = false;
      this.reassembler.pushCells(this.injectVec, 1);
      if (this.reassembler.queuedCompletions > 0) this.reassembler.drainCompletions(this.onCompletionBound);
      this.injecting = -1;
      this.circuits.counters[vc * VC_COUNTERS + (this.injectedOk ? VC_REBUILT : VC_PARITY_FAILED)]!++;
    } else {
      this.parityUnused++;
    }
  }

  /** Aborts every PDU in progress whose last cell is older than the timeout. */
  private expire(now: number): void {
    const timeout = this.timeoutNs;
    const open = this.circuits.open;
    for (let vc = 0; vc < this.circuits.count; vc++) {
      if (open[vc] === 0 || this.lastCell[vc]! + timeout > now) continue;
      if (this.sinceEnd[vc]! > 0) {
        this.reassembler.abort(vc);
        this.sinceEnd[vc] = 0;
        this.inProgress--;
        this.parity.restart(vc);
        this.circuits.counters[vc * VC_COUNTERS + VC_TIMEOUTS]!++;
      }
      if (this.parity.parked[vc] !== 0) this.parity.dropParked(vc, true);
    }
  }

  private armTimer(): void {
    if (this.timerState === ReassemblyTimerState.Armed || (this.inProgress === 0 && this.parity.parkedCount === 0))
      return;
    let earliest = Infinity;
    const open = this.circuits.open;
    const parked = this.parity.parked;
    for (let vc = 0; vc < this.circuits.count; vc++) {
      if (open[vc] === 1 && (this.sinceEnd[vc]! > 0 || parked[vc] !== 0)) {
        const d = this.lastCell[vc]! + this.timeoutNs;
        if (d < earliest) earliest = d;
      }
    }
    if (earliest === Infinity) return;
    const now = this.sim.now;
    this.timerState = ReassemblyTimerState.Armed;
    this.timerHandle = this.sim.scheduler.scheduleAt(
      this.owner,
      earliest > now ? earliest : now,
      this.owner,
      EV_ATM_NIC_TIMER,
      0,
      0,
      0,
    );
  }

  /** The NIC crashed: pending trains dropped (CRASHED), PDUs in reassembly aborted, the timer stopped. */
  crash(): void {
    const frames = this.sim.frames;
    const now = this.sim.now;
    while (this.pendCount > 0) {
      const f = this.pendFrame[this.pendHead]!;
      this.crashedTrains++;
      this.trace.phyRxDrop.hit(now, f, frames.length[f]!, DropReason.CRASHED);
      frames.release(f);
      this.pendHead = (this.pendHead + 1) % this.pendFrame.length;
      this.pendCount--;
    }
    this.fail();
  }

  /** The host failed: pending trains and PDUs in reassembly are dropped, the timer stops. */
  fail(): void {
    this.releasePending();
    if (this.timerHandle >= 0) this.sim.scheduler.cancel(this.timerHandle);
    this.timerHandle = -1;
    this.timerState = ReassemblyTimerState.Idle;
    const open = this.circuits.open;
    for (let vc = 0; vc < this.circuits.count; vc++) {
      if (open[vc] === 0) continue;
      if (this.sinceEnd[vc]! > 0) this.reassembler.abort(vc);
      this.sinceEnd[vc] = 0;
      this.parity.dropParked(vc, false);
    }
    this.inProgress = 0;
  }

  /** Stops: pending trains released, the timer cancelled, later trains dropped (overruns). */
  stop(): void {
    this.stopped = true;
    this.releasePending();
    if (this.timerHandle >= 0) this.sim.scheduler.cancel(this.timerHandle);
  }

  /** Frees the heap region (after stop()). */
  free(): void {
    this.rt.heap.free(this.region);
  }

  private releasePending(): void {
    const frames = this.sim.frames;
    while (this.pendCount > 0) {
      frames.release(this.pendFrame[this.pendHead]!);
      this.pendHead = (this.pendHead + 1) % this.pendFrame.length;
      this.pendCount--;
    }
  }
}
