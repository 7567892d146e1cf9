// Test doubles for ATM devices: a cell injector (sends crafted cells as one train on an
// AtmLink), a cell sink (records every cell it receives with its arrival time) and a relay that
// forwards trains from one link to another after a test hook has edited them (drop a chosen
// cell, flip bits).

import { NO_FRAME } from "../../src/buf/frames.js";
import {
  type AtmLink,
  CellSerializer,
  TRAIN_HEADERS_DIRTY,
  cellArrival,
  trainTable,
  type TrainTable,
} from "../../src/devices/atm-link.js";
import { Device, EV_DEVICE_BASE, EV_FRAME_RX, type Channel } from "../../src/devices/device.js";
import type { Simulation } from "../../src/engine/simulation.js";
import { ATM_CELL_LEN, emitAtmCell, AtmCellView, type AtmCellRepr } from "../../src/wire/atm-cell.js";

/** 53 bytes of a cell with a correct HEC; payload byte k = fill + k. */
export function craftCell(h: Partial<AtmCellRepr> & { vpi: number; vci: number }, fill = 0): Uint8Array {
  const out = new Uint8Array(ATM_CELL_LEN);
  const payload = new Uint8Array(48).map((_, k) => (fill + k) & 0xff);
  emitAtmCell({ format: "uni", gfc: 0, pti: 0, clp: 0, ...h }, new AtmCellView(out), payload);
  return out;
}

export class CellInjector extends Device {
  private link: AtmLink | undefined;
  private end = 0;
  private ser: CellSerializer | undefined;
  private readonly table: TrainTable;

  constructor(sim: Simulation, name: string) {
    super(sim, name, 1);
    this.table = trainTable(sim.frames);
  }

  override attach(port: number, channel: Channel, end: number): void {
    super.attach(port, channel, end);
    this.link = channel as AtmLink;
    this.end = end;
    this.ser = new CellSerializer(this.link.clock);
  }

  /**
   * Sends the cells (concatenated 53-byte cells) as one train, back to back from now; `dirty`
   * marks it as a link with bit errors would (the receiver then runs the HEC check).
   */
  send(cells: Uint8Array, dirty = false): boolean {
    const frames = this.sim.frames;
    const f = frames.alloc(0, this.sim.now);
    if (f === NO_FRAME) return false;
    this.sim.runtime.u8.set(cells, frames.offset(f));
    frames.setLength(f, cells.length);
    if (dirty) frames.flags[f]! |= TRAIN_HEADERS_DIRTY;
    const n = cells.length / ATM_CELL_LEN;
    this.ser!.rebase();
    const j0 = this.ser!.scheduleRun(this.sim.now, n);
    this.table.base[f] = this.ser!.base;
    this.table.index[f] = j0;
    return this.link!.transmit(this.end, f);
  }

  handleEvent(kind: number, a: number): void {
    if (kind === EV_FRAME_RX) this.sim.frames.release(a);
  }
}

export interface ReceivedCell {
  time: number;
  bytes: Uint8Array;
}

/** Records every cell arriving on port 0 (at the train's end, with each cell's own time). */
export class CellSink extends Device {
  readonly cells: ReceivedCell[] = [];
  private readonly table: TrainTable;
  private link: AtmLink | undefined;

  constructor(sim: Simulation, name: string) {
    super(sim, name, 1);
    this.table = trainTable(sim.frames);
  }

  override attach(port: number, channel: Channel, end: number): void {
    super.attach(port, channel, end);
    this.link = channel as AtmLink;
  }

  handleEvent(kind: number, a: number): void {
    if (kind !== EV_FRAME_RX) return;
    const frames = this.sim.frames;
    const bytes = frames.bytes(a);
    for (let i = 0; i * ATM_CELL_LEN < bytes.length; i++) {
      this.cells.push({
        time: cellArrival(this.table, this.link!.clock, a, i),
        bytes: bytes.slice(i * ATM_CELL_LEN, (i + 1) * ATM_CELL_LEN),
      });
    }
    frames.release(a);
  }
}

export const EV_RELAY_FORWARD = EV_DEVICE_BASE;

/** Port 0 in, port 1 out: edits each train with `edit` (cells may be replaced), then forwards. */
export class CellRelay extends Device {
  edit: ((train: number, cells: Uint8Array, trainIndex: number) => void) | undefined;
  private readonly links: AtmLink[] = [];
  private readonly ends: number[] = [];
  private ser: CellSerializer | undefined;
  private readonly table: TrainTable;
  private trains = 0;

  constructor(sim: Simulation, name: string) {
    super(sim, name, 2);
    this.table = trainTable(sim.frames);
  }

  override attach(port: number, channel: Channel, end: number): void {
    super.attach(port, channel, end);
    this.links[port] = channel as AtmLink;
    this.ends[port] = end;
    if (port === 1) this.ser = new CellSerializer((channel as AtmLink).clock);
  }

  handleEvent(kind: number, a: number): void {
    if (kind !== EV_FRAME_RX) return;
    const frames = this.sim.frames;
    const f = frames.writable(a);
    this.edit?.(f, frames.bytes(f), this.trains++);
    const n = frames.length[f]! / ATM_CELL_LEN;
    this.ser!.rebase();
    const j0 = this.ser!.scheduleRun(this.sim.now, n);
    this.table.base[f] = this.ser!.base;
    this.table.index[f] = j0;
    this.links[1]!.transmit(this.ends[1]!, f);
  }
}

/** Concatenates cells. */
export function cells(...list: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(list.length * ATM_CELL_LEN);
  list.forEach((c, i) => out.set(c, i * ATM_CELL_LEN));
  return out;
}
