// The transmit side of an AtmNic: AAL5 segmentation of each PDU straight into a cell train, and
// the pacing of its cells on the link at the link's cell rate.
//
// Contract:
// - send(vc, frame) takes ownership of a frame holding one PDU (1 .. maxPdu bytes). The AAL5
//   kernel segments it straight into a train frame (CPCS pad + trailer + CRC-32, HEC of every
//   cell, end of PDU on the last cell), followed by the parity cell when the circuit has one;
//   the PDU frame is released. The train's cells are scheduled on the transmitter
//   (CellSerializer) back to back after whatever is already queued, and the train goes to the
//   link at once with its timing metadata (the link announces it to the far end when its first
//   cell arrives there).
// - A PDU whose cells do not fit one frame slot is segmented into a scratch region (allocated on
//   first use) and copied into several trains; every slot is taken before any is sent.
// - A refused PDU (closed circuit, too long, backlog above txQueueLimit cells, no slot, host
//   down or crashed) is released, counted by reason (AtmTxDrop) and traced at macTxDrop; send() then
//   returns false. Nothing here throws.
// - Frames held: none here; trains go to the link at once, which holds them until their cells
//   arrive: at most txQueueLimit cells' worth, one frame per train.
//
// State machine: the CellSerializer, Idle (busyUntil <= now) | Busy; no events.

import { NO_FRAME } from "../buf/frames.js";
import type { Simulation } from "../engine/simulation.js";
import { aal5CellCount, aal5SegmentInto } from "../kernels/aal5.js";
import type { KernelRuntime } from "../kernels/runtime.js";
import { DropReason, type TracePoints } from "../trace/trace-point.js";
import { ATM_CELL_LEN } from "../wire/atm-cell.js";
import { type AtmLink, CellSerializer, type TrainTable } from "./atm-link.js";
import { type NicCircuits, VC_COUNTERS, VC_TX_BYTES, VC_TX_CELLS, VC_TX_PDUS } from "./atm-nic-circuits.js";
import type { NicParity } from "./atm-nic-parity.js";
import type { PduTapPoint } from "./atm-nic-tap.js";

/** Why the NIC refused a PDU (counter names in TX_DROP_NAMES). */
export const AtmTxDrop = { CLOSED_VC: 0, TOO_LONG: 1, QUEUE_FULL: 2, NO_SLOT: 3, HOST_DOWN: 4, CRASHED: 5 } as const;
export const TX_DROP_NAMES = ["closedVc", "tooLong", "queueFull", "noSlot", "hostDown", "crashed"] as const;
const TX_DROP_REASON = [
  DropReason.NOT_ATTACHED,
  DropReason.TOO_LONG,
  DropReason.QUEUE_FULL,
  DropReason.NO_SLOT,
  DropReason.NOT_ATTACHED,
  DropReason.CRASHED,
];

/** What a NicTransmitter works with (made by the NIC). */
export interface NicTransmitterParts {
  sim: Simulation;
  table: TrainTable;
  circuits: NicCircuits;
  parity: NicParity;
  tap: PduTapPoint;
  trace: TracePoints;
  /** Cells per frame slot. */
  trainCap: number;
  maxPdu: number;
  /** Most cells in the transmitter's backlog. */
  queueLimit: number;
}

export class NicTransmitter {
  /** Refused PDUs by AtmTxDrop reason. */
  readonly drops = new Float64Array(TX_DROP_NAMES.length);
  private readonly sim: Simulation;
  private readonly rt: KernelRuntime;
  private readonly table: TrainTable;
  private readonly circuits: NicCircuits;
  private readonly parity: NicParity;
  private readonly tap: PduTapPoint;
  private readonly trace: TracePoints;
  private readonly trainCap: number;
  private readonly maxPdu: number;
  private readonly queueLimit: number;
  private link: AtmLink | undefined;
  private linkEnd = 0;
  private ser: CellSerializer | undefined;
  /** Cells of a PDU larger than a frame slot (0 until one is sent). */
  private segScratch = 0;

  constructor(parts: NicTransmitterParts) {
    this.sim = parts.sim;
    this.rt = parts.sim.runtime;
    this.table = parts.table;
    this.circuits = parts.circuits;
    this.parity = parts.parity;
    this.tap = parts.tap;
    this.trace = parts.trace;
    this.trainCap = parts.trainCap;
    this.maxPdu = parts.maxPdu;
    this.queueLimit = parts.queueLimit;
  }

  /** The link is attached at `end`: cells leave at its rate from now. */
  attach(link: AtmLink, end: number): void {
    this.link = link;
    this.linkEnd = end;
    this.ser = new CellSerializer(link.clock);
    this.ser.busyUntil = this.sim.now;
    this.ser.base = this.sim.now;
  }

  /** Sends the PDU in `frame` on circuit `vc` (an index); takes ownership. False = refused. */
  send(vc: number, frame: number): boolean {
    const frames = this.sim.frames;
    const len = frames.length[frame]!;
    if (this.circuits.open[vc] === 0 || this.ser === undefined) return this.refuse(frame, AtmTxDrop.CLOSED_VC);
    if (len < 1 || len > this.maxPdu) return this.refuse(frame, AtmTxDrop.TOO_LONG);
    const parity = this.circuits.parity[vc]!;
    const dataCells = aal5CellCount(len);
    const total = dataCells + parity;
    const now = this.sim.now;
    if (this.ser.occupancy(now) + total > this.queueLimit) return this.refuse(frame, AtmTxDrop.QUEUE_FULL);
    const rt = this.rt;
    const header = this.circuits.header[vc]!;
    const uu = this.circuits.uu[vc]!;
    if (total <= this.trainCap) {
      const t = frames.alloc(0, now, frames.flow[frame]!);
      if (t === NO_FRAME) return this.refuse(frame, AtmTxDrop.NO_SLOT);
      const out = frames.offset(t);
      aal5SegmentInto(rt, frames.offset(frame), len, header, out, this.trainCap, { uu });
      if (parity !== 0) this.parity.writeCell(out, 0, dataCells, header);
      frames.setLength(t, total * ATM_CELL_LEN);
      if (this.tap.tap !== undefined) this.tap.hit(header, frames.offset(frame), len, true);
      this.trace.macTx.hit(now, frame, len);
      frames.release(frame);
      this.sendTrain(t, total);
    } else if (!this.sendLarge(frame, len, header, uu, dataCells, total)) {
      return this.refuse(frame, AtmTxDrop.NO_SLOT);
    }
    const c = vc * VC_COUNTERS;
    const counters = this.circuits.counters;
    counters[c + VC_TX_PDUS]!++;
    counters[c + VC_TX_CELLS]! += total;
    counters[c + VC_TX_BYTES]! += len;
    return true;
  }

  /**
   * A PDU larger than one slot: segments it into scratch, then cuts it into trains. False
   * (nothing done, the frame still ours) when the free slots are too few.
   */
  private sendLarge(frame: number, len: number, header: number, uu: number, dataCells: number, total: number): boolean {
    const frames = this.sim.frames;
    const rt = this.rt;
    const now = this.sim.now;
    const trains = Math.ceil(total / this.trainCap);
    if (frames.pool.stats().capacity - frames.pool.stats().inUse < trains) return false;
    if (this.segScratch === 0) this.segScratch = rt.heap.alloc((aal5CellCount(65535) + 1) * ATM_CELL_LEN);
    aal5SegmentInto(rt, frames.offset(frame), len, header, this.segScratch, aal5CellCount(65535), { uu });
    if (total > dataCells) this.parity.writeCell(this.segScratch, 0, dataCells, header);
    if (this.tap.tap !== undefined) this.tap.hit(header, frames.offset(frame), len, true);
    this.trace.macTx.hit(now, frame, len);
    const flow = frames.flow[frame]!;
    frames.release(frame);
    for (let first = 0; first < total; first += this.trainCap) {
      const n = Math.min(this.trainCap, total - first);
      const t = frames.alloc(0, now, flow);
      // Cannot fail: the free slots were counted above and nothing ran in between.
      const src = this.segScratch + first * ATM_CELL_LEN;
      rt.u8.copyWithin(frames.offset(t), src, src + n * ATM_CELL_LEN);
      frames.setLength(t, n * ATM_CELL_LEN);
      this.sendTrain(t, n);
    }
    return true;
  }

  /**
   * Copies `bytes` into a new frame for send(); NO_FRAME when there is no slot or they do not
   * fit one (refused, counted: not traced, there is no frame to trace).
   */
  copyIn(bytes: Uint8Array): number {
    const frames = this.sim.frames;
    const f = frames.alloc(0, this.sim.now);
    if (f === NO_FRAME) {
      this.drops[AtmTxDrop.NO_SLOT]!++;
      return NO_FRAME;
    }
    if (bytes.length > frames.pool.slotBytes) {
      frames.release(f);
      this.drops[AtmTxDrop.TOO_LONG]!++;
      return NO_FRAME;
    }
    this.rt.u8.set(bytes, frames.offset(f));
    frames.setLength(f, bytes.length);
    return f;
  }

  /** Refuses the PDU in `frame` (AtmTxDrop `why`): counted, traced, released. */
  refuse(frame: number, why: number): false {
    this.drops[why]!++;
    this.trace.macTxDrop.hit(this.sim.now, frame, this.sim.frames.length[frame]!, TX_DROP_REASON[why]!);
    this.sim.frames.release(frame);
    return false;
  }

  /** Cells waiting in (or being sent by) the transmitter now. */
  backlog(): number {
    return this.ser === undefined ? 0 : this.ser.occupancy(this.sim.now);
  }

  /** Time the transmitter is busy until (ns; now when idle). */
  busyUntil(): number {
    return this.ser === undefined ? this.sim.now : Math.max(this.sim.now, this.ser.busyUntil);
  }

  /**
   * The NIC crashed: the cells it had scheduled (its backlog) are never sent. The far end drops
   * them as they arrive (AtmLink.signalLoss); the schedule is kept, so cells sent after a
   * restart follow where the backlog would have ended and the link stays FIFO.
   */
  crash(): void {
    if (this.ser !== undefined) this.link!.signalLoss(this.linkEnd, this.ser.busyUntil);
  }

  /** Frees the scratch region. */
  free(): void {
    if (this.segScratch !== 0) this.rt.heap.free(this.segScratch);
  }

  private sendTrain(t: number, cells: number): void {
    const ser = this.ser!;
    ser.rebase();
    const j0 = ser.scheduleRun(this.sim.now, cells);
    this.table.base[t] = ser.base;
    this.table.index[t] = j0;
    this.link!.transmit(this.linkEnd, t);
  }
}
