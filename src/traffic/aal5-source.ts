// Aal5Source: a traffic source that sends AAL5 PDUs on one circuit of an AtmNic, either at a
// constant PDU rate or greedily (keeping the NIC's transmitter busy).
//
// Contract:
// - Each PDU is a new frame of `pduBytes` bytes: a 4-byte big-endian sequence number followed by
//   a fixed pattern (copied from a template in one native copy, no per-byte work), handed to
//   nic.send() (which takes ownership). A PDU the NIC refuses is counted there (txDrops) and
//   here (refused).
// - Greedy mode keeps at most `backlogPdus` PDUs' worth of cells in the transmitter: it wakes
//   when the backlog has drained to one PDU, so the link never idles and the source never
//   overruns the NIC's queue. Constant rate: one PDU every 1e9 / pdusPerSecond ns (rounded).
// - Runs from `start` until `stop` (exclusive) or `count` PDUs, whichever comes first. One
//   self event per wake-up; no allocation per PDU.
// - destroy() cancels the pending wake-up and frees the template.

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import { parseDuration } from "../base/units.js";
import { NO_FRAME } from "../buf/frames.js";
import { aal5CellCount } from "../kernels/aal5.js";
import type { EventHandler } from "../engine/scheduler.js";
import type { Simulation } from "../engine/simulation.js";
import type { AtmNic } from "../devices/atm-nic.js";

export const EV_AAL5_SOURCE_WAKE = 1;

export interface Aal5SourceOptions {
  vc: number;
  /** PDU size in bytes (1 .. the NIC's maxPdu). */
  pduBytes: number;
  /** PDUs per second; omit for greedy. */
  pdusPerSecond?: number;
  /** Greedy mode: PDUs kept in the transmitter (default 2). */
  backlogPdus?: number;
  start?: number | string;
  stop?: number | string;
  count?: number;
}

export class Aal5Source implements EventHandler {
  readonly id: number;
  readonly name: string;
  sent = 0;
  refused = 0;
  private readonly sim: Simulation;
  private readonly nic: AtmNic;
  private readonly vc: number;
  private readonly pduBytes: number;
  private readonly intervalNs: number;
  private readonly backlogCells: number;
  private readonly pduCells: number;
  private readonly stopNs: number;
  private readonly count: number;
  private readonly template: number;
  private handle = -1;
  private destroyed = false;

  constructor(sim: Simulation, name: string, nic: AtmNic, options: Aal5SourceOptions) {
    checkInteger(`${name}.pduBytes`, options.pduBytes, 1, nic.maxPdu);
    if (options.pduBytes > sim.frames.pool.slotBytes) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `a ${options.pduBytes}-byte PDU does not fit a frame slot`, {
        path: `${name}.pduBytes`,
      });
    }
    if (options.pdusPerSecond !== undefined && !(options.pdusPerSecond > 0 && options.pdusPerSecond < Infinity)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(options.pdusPerSecond)} is not a PDU rate`, {
        path: `${name}.pdusPerSecond`,
      });
    }
    const backlog = options.backlogPdus ?? 2;
    checkInteger(`${name}.backlogPdus`, backlog, 1, 1 << 16);
    this.sim = sim;
    this.name = name;
    this.nic = nic;
    this.vc = options.vc;
    this.pduBytes = options.pduBytes;
    this.pduCells = aal5CellCount(options.pduBytes) + 1; // + a possible parity cell
    this.intervalNs = options.pdusPerSecond === undefined ? 0 : Math.max(1, Math.round(1e9 / options.pdusPerSecond));
    this.backlogCells = backlog * this.pduCells;
    this.stopNs = options.stop === undefined ? Infinity : parseDuration(options.stop, `${name}.stop`);
    this.count = options.count ?? Infinity;
    if (this.count !== Infinity) checkInteger(`${name}.count`, this.count, 0, Number.MAX_SAFE_INTEGER);
    const start = parseDuration(options.start ?? 0, `${name}.start`);
    this.template = sim.runtime.heap.alloc(options.pduBytes);
    const u8 = sim.runtime.u8;
    for (let i = 0; i < options.pduBytes; i++) u8[this.template + i] = (i * 13 + 7) & 0xff;
    this.id = sim.register(name, this);
    this.handle = sim.scheduler.scheduleAt(this.id, Math.max(start, sim.now), this.id, EV_AAL5_SOURCE_WAKE, 0, 0, 0);
  }

  handleEvent(_kind: number, _a: number, _b: number, _len: number): void {
    this.handle = -1;
    const now = this.sim.now;
    if (this.destroyed || now >= this.stopNs || this.sent + this.refused >= this.count) return;
    if (this.intervalNs > 0) {
      this.sendOne();
      this.handle = this.sim.scheduler.schedule(this.id, this.intervalNs, this.id, EV_AAL5_SOURCE_WAKE, 0, 0, 0);
      return;
    }
    while (this.nic.txBacklog() + this.pduCells <= this.backlogCells && this.sent + this.refused < this.count) {
      if (!this.sendOne()) break;
    }
    // Wake when one PDU's worth of cells is left.
    const busy = this.nic.txBusyUntil();
    const cellNs = Math.ceil(1e9 / this.nicCellRate());
    const wake = Math.max(now + 1, busy - this.pduCells * cellNs);
    this.handle = this.sim.scheduler.scheduleAt(this.id, wake, this.id, EV_AAL5_SOURCE_WAKE, 0, 0, 0);
  }

  private nicCellRate(): number {
    return this.nic.cellClock?.cellsPerSecond ?? 1e6;
  }

  private sendOne(): boolean {
    const frames = this.sim.frames;
    const f = frames.alloc(0, this.sim.now);
    if (f === NO_FRAME) {
      this.refused++;
      return false;
    }
    const off = frames.offset(f);
    const u8 = this.sim.runtime.u8;
    u8.copyWithin(off, this.template, this.template + this.pduBytes);
    const seq = this.sent + this.refused;
    if (this.pduBytes >= 4) {
      u8[off] = seq >>> 24;
      u8[off + 1] = (seq >>> 16) & 0xff;
      u8[off + 2] = (seq >>> 8) & 0xff;
      u8[off + 3] = seq & 0xff;
    }
    frames.setLength(f, this.pduBytes);
    if (this.nic.send(this.vc, f)) {
      this.sent++;
      return true;
    }
    this.refused++;
    return false;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.handle >= 0) this.sim.scheduler.cancel(this.handle);
    this.sim.runtime.heap.free(this.template);
  }
}
