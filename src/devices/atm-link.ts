// AtmLink: a full-duplex ATM link (a SONET/SDH fibre pair) that carries cell TRAINS, plus the
// cell-time arithmetic every ATM device shares (CellClock, CellSerializer) and the train
// metadata side table.
//
// Contract:
// - A train is one frame (FrameStore slot) of N contiguous 53-byte cells in back-to-back cell
//   slots of the link, carried by one event. Trains are an emulator device, not a wire concept:
//   receivers and captures see cells, and every cell keeps its exact time (cellArrival()).
// - transmit(end, frame) takes ownership of a train whose metadata (trainTable) the sender has
//   set. The link applies that direction's faults and schedules EV_FRAME_RX (a = frame, b = far
//   port, len = bytes) to the far device at the arrival of the train's FIRST cell (or now, if a
//   late sender already passed it): the announcement. The far device decides when to look at
//   the cells (see atm-switch.ts).
// - Faults per direction (AtmLinkFaults) draw from the direction's own stream
//   `atm-link:${name}:0->1` / `...:1->0`.
// - Counters per direction: trains, cells, lost cells, flipped bits, overlaps (a train whose
//   first cell starts before the previous one's last ends: a sender bug, counted, never thrown).
//   Trace points per direction (trace[d]): macTx when a train is accepted, phyRxEnd when it is
//   announced; a hit is a whole train (length = cells * 53).
// - signalLoss(end, sentUntil): the device at `end` crashed with cells scheduled until
//   sentUntil; the far device hears EV_SIGNAL_LOSS when the light stops reaching it and drops
//   those cells as they arrive (atm-signal-loss.ts).
// - Not handled: link down/up, bursty loss, duplication, reordering (cells on a fibre do not
//   reorder), partitions.

import { ErrorCode, NetloomError } from "../base/errors.js";
import { parseBitRate, parseDuration } from "../base/units.js";
import { FRAME_CORRUPTED, NO_FRAME, type FrameStore } from "../buf/frames.js";
import type { Rng } from "../engine/rng.js";
import type { Simulation } from "../engine/simulation.js";
import { DropReason, TracePoints } from "../trace/trace-point.js";
import { ATM_CELL_LEN, IDLE_HEADER_WORD, IDLE_HEC, IDLE_PAYLOAD_BYTE } from "../wire/atm-cell.js";
import { EV_FRAME_RX, EV_SIGNAL_LOSS, type Channel } from "./device.js";

export const CELL_BITS = ATM_CELL_LEN * 8;
/** STS-3c payload: the cell bit rate of OC-3 (155.52 Mbit/s line). */
export const OC3_CELL_BITS_PER_S = 149_760_000;
/** Flag in FrameStore.flags: some bit of this train changed since its HECs were computed. */
export const TRAIN_HEADERS_DIRTY = 0x40;
/** Largest num * den of a CellClock, so (j + 1) * num stays exact for j up to ~den * 8. */
const MAX_CLOCK_PRODUCT = 2 ** 49;

// ---------------------------------------------------------------------------------------------
// Cell clock

/**
 * A cell time of num/den ns (integers, reduced). OC-3 carries 149.76 Mbit/s of cells (155.52
 * Mbit/s line rate less SONET overhead), so a cell takes 424/149.76e6 s = 331250/117 ns. Within
 * a busy period that started at integer time B, cell j (0-based) ends its serialization at
 * B + ceil((j + 1) * num / den): integer ns, no drift, exact long-run rate. Senders rebase
 * (B, j) between trains so products stay below 2^53.
 */
export interface CellClock {
  readonly num: number;
  readonly den: number;
  /** Cells per second (float, for reports). */
  readonly cellsPerSecond: number;
  /** Bits per second of cells (53 * 8 bits each). */
  readonly bitsPerSecond: number;
  /** The rate as given ("OC-3", 353207.5, ...). */
  readonly label: string;
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

function clockOf(numerator: number, denominator: number, label: string): CellClock {
  // cell time = numerator / denominator ns
  let num = numerator;
  let den = denominator;
  if (Number.isSafeInteger(num) && Number.isSafeInteger(den)) {
    const g = gcd(num, den);
    num /= g;
    den /= g;
  }
  if (!Number.isSafeInteger(num) || !Number.isSafeInteger(den) || num * den > MAX_CLOCK_PRODUCT) {
    // Not representable exactly in range: round the cell time to the picosecond.
    num = Math.round((numerator / denominator) * 1000);
    den = 1000;
    const g = gcd(num, den);
    num /= g;
    den /= g;
  }
  const cellsPerSecond = (1e9 * den) / num;
  return { num, den, cellsPerSecond, bitsPerSecond: cellsPerSecond * CELL_BITS, label };
}

const OC_RE = /^(?:OC|STS)-?(\d+)c?$/i;

/**
 * The cell clock of a rate: "OC-3", "OC-12", "OC-48" (also OC-192; STS-Nc payload: 149.76
 * Mbit/s of cells per OC-3), a number = cells per second, or a bit-rate string ("100Mbps") =
 * the bit rate of the cell stream. Throws NetloomError naming `path` otherwise.
 */
export function parseCellRate(value: unknown, path: string): CellClock {
  if (typeof value === "string") {
    const m = OC_RE.exec(value.trim());
    if (m !== null) {
      const n = Number(m[1]);
      if (n < 3 || n % 3 !== 0 || n > 768) {
        throw new NetloomError(
          ErrorCode.INVALID_ARGUMENT,
          `"${value}": ATM runs on OC-3, OC-12, OC-48 or OC-192 (OC-n with n a multiple of 3)`,
          {
            path,
          },
        );
      }
      const bps = (OC3_CELL_BITS_PER_S * n) / 3;
      return clockOf(CELL_BITS * 1e9, bps, `OC-${n}`);
    }
    const bps = parseBitRate(value, path);
    return clockOf(CELL_BITS * 1e9, bps, value);
  }
  if (typeof value === "number") {
    if (!(value > 0 && Number.isFinite(value))) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(value)} is not a cell rate (cells per second > 0)`, {
        path,
      });
    }
    return clockOf(1e9, value, `${value} cells/s`);
  }
  throw new NetloomError(
    ErrorCode.INVALID_ARGUMENT,
    `expected "OC-3", "OC-12", "OC-48", a bit rate string or cells per second`,
    {
      path,
    },
  );
}

/**
 * A FIFO output of one cell time per cell (a NIC's transmitter, a switch output port): keeps the
 * current busy period (base B, cells J scheduled in it) so that each cell's departure and the
 * occupancy at any time are exact arithmetic. All fields public for the devices' hot loops.
 */
export class CellSerializer {
  num: number;
  den: number;
  /** Start of the busy period (integer ns). */
  base = 0;
  /** Cells scheduled in the period. */
  count = 0;
  /** When the last scheduled cell ends (base + ceil(count * num / den)). */
  busyUntil = 0;

  constructor(clock: CellClock) {
    this.num = clock.num;
    this.den = clock.den;
  }

  setClock(clock: CellClock): void {
    this.num = clock.num;
    this.den = clock.den;
    this.count = 0;
    this.base = this.busyUntil;
  }

  /** Cells scheduled and not yet fully sent at time t (t >= every arrival so far). */
  occupancy(t: number): number {
    if (t >= this.busyUntil) return 0;
    // done may be negative: rebase() moves the base past t while the queue is long.
    const done = Math.floor(((t - this.base) * this.den) / this.num);
    return done >= this.count ? 0 : this.count - done;
  }

  /**
   * Schedules one cell available at time t; returns its index in the period (a train's j0 is
   * the first such index; a return of 0 means a new period began at t). A cell available
   * exactly when the last one ends continues the period: same times, and trains stay whole
   * when input and output cell grids are out of phase by a rounding nanosecond.
   */
  schedule(t: number): number {
    if (t > this.busyUntil) {
      this.base = t;
      this.count = 0;
    }
    const j = this.count++;
    this.busyUntil = this.base + Math.ceil((this.count * this.num) / this.den);
    return j;
  }

  /** Schedules n back-to-back cells available at t; returns the first index. */
  scheduleRun(t: number, n: number): number {
    if (t > this.busyUntil) {
      this.base = t;
      this.count = 0;
    }
    const j = this.count;
    this.count += n;
    this.busyUntil = this.base + Math.ceil((this.count * this.num) / this.den);
    return j;
  }

  /**
   * Moves the period base forward by whole multiples of den cells (exactly num * m ns), keeping
   * every time unchanged; call between trains so (j + 1) * num stays far below 2^53.
   */
  rebase(): void {
    if (this.count < this.den) return;
    const m = Math.floor(this.count / this.den);
    this.base += m * this.num;
    this.count -= m * this.den;
  }
}

// ---------------------------------------------------------------------------------------------
// Train metadata

/**
 * Train metadata per frame id: the sender writes the period start B and the index j0 of the
 * train's first cell, in the clock of the link it sends on, then calls transmit(). Cell i of the
 * train then ENDS at B + ceil((j0 + i + 1) num / den). The link adds its propagation delay to B,
 * so at the far device the same formula gives the cell's full ARRIVAL time.
 */
export interface TrainTable {
  /** Period start B (ns) in the clock of the link the train is on. */
  readonly base: Float64Array;
  /** Index j0 of the train's first cell in that period. */
  readonly index: Float64Array;
}

const tables = new WeakMap<FrameStore, TrainTable>();

/** The train side table of a frame store (created on first use). */
export function trainTable(frames: FrameStore): TrainTable {
  let t = tables.get(frames);
  if (t === undefined) {
    const n = frames.length.length;
    t = { base: new Float64Array(n), index: new Float64Array(n) };
    tables.set(frames, t);
  }
  return t;
}

/** Full arrival time of cell i of train `frame` on a link with `clock` (after the link). */
export function cellArrival(table: TrainTable, clock: CellClock, frame: number, i: number): number {
  return table.base[frame]! + Math.ceil(((table.index[frame]! + i + 1) * clock.num) / clock.den);
}

// ---------------------------------------------------------------------------------------------
// The link

/**
 * Faulty trains are made writable first (copy-on-write); with no slot for the copy the train is
 * lost (counted noSlot). Gaps between losses and between errors are drawn geometrically and
 * carried across trains: one draw per fault, not per cell or bit.
 */
export interface AtmLinkFaults {
  /**
   * Independent loss probability per cell. A lost cell becomes an idle cell (I.432.1 header
   * 00 00 00 01), which is what the far PHY sees in an empty slot and discards, so the train
   * stays contiguous in time.
   */
  cellLoss?: number;
  /**
   * Bit error rate: probability that any one bit is flipped. A train with a flipped bit is marked
   * TRAIN_HEADERS_DIRTY, so the receiver runs the HEC check over its cells; clean trains skip
   * it, which cannot change any result.
   */
  ber?: number;
}

export interface AtmLinkOptions {
  /** "OC-3" (default), "OC-12", "OC-48", cells per second, or a bit-rate string. */
  rate?: number | string;
  /** Propagation delay: ns or a string ("5us"); default 0. */
  delay?: number | string;
  faults?: AtmLinkFaults;
}

export interface AtmLinkDirectionStats {
  trains: number;
  cells: number;
  lostCells: number;
  flippedBits: number;
  /** Trains that carried at least one flipped bit. */
  corruptedTrains: number;
  /** Trains lost because a faulty train needed a copy and no slot was free. */
  noSlot: number;
  /** Trains whose first cell started before the previous train's last ended (sender bug). */
  overlaps: number;
  /** Crashes of the sender with cells still scheduled (signalLoss). */
  signalLosses: number;
  /** Cells sent / (elapsed time / cell time): 0..1. */
  utilisation: number;
}

function checkProbability(path: string, value: unknown, allowOne: boolean): number {
  if (typeof value !== "number" || !(value >= 0 && (allowOne ? value <= 1 : value < 1))) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `${String(value)} is not a probability in [0, 1${allowOne ? "]" : ")"}`,
      {
        path,
      },
    );
  }
  return value;
}

class AtmDirection {
  readonly trace = new TracePoints();
  peerDevice = -1;
  peerPort = -1;
  origin = -1;
  cellLoss = 0;
  ber = 0;
  /** Cells to pass before the next lost one, bits before the next flipped one (carried). */
  cellsToLoss = -1;
  bitsToError = -1;
  lastEnd = 0;
  trains = 0;
  cells = 0;
  lostCells = 0;
  flippedBits = 0;
  corruptedTrains = 0;
  noSlot = 0;
  overlaps = 0;
  signalLosses = 0;
  constructor(readonly rng: Rng) {}
}

/** Handler of a direction's own origin id (it never receives events). */
class DirectionOrigin {
  handleEvent(): void {}
}

export class AtmLink implements Channel {
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  readonly clock: CellClock;
  /** Propagation delay in ns. */
  readonly delay: number;
  readonly trace: readonly [TracePoints, TracePoints];
  private readonly dirs: readonly [AtmDirection, AtmDirection];
  private readonly table: TrainTable;
  private readonly createdAt: number;

  constructor(sim: Simulation, name: string, options: AtmLinkOptions = {}) {
    this.sim = sim;
    this.name = name;
    this.clock = parseCellRate(options.rate ?? "OC-3", `${name}.rate`);
    this.delay = parseDuration(options.delay ?? 0, `${name}.delay`);
    this.id = sim.register(name, this);
    const d0 = new AtmDirection(sim.scheduler.rng(`atm-link:${name}:0->1`));
    const d1 = new AtmDirection(sim.scheduler.rng(`atm-link:${name}:1->0`));
    d0.origin = sim.register(`${name}:0->1`, new DirectionOrigin());
    d1.origin = sim.register(`${name}:1->0`, new DirectionOrigin());
    this.dirs = [d0, d1];
    this.trace = [d0.trace, d1.trace];
    this.table = trainTable(sim.frames);
    this.createdAt = sim.now;
    this.setFaults(0, options.faults);
    this.setFaults(1, options.faults);
  }

  handleEvent(): void {}

  /** Sets the faults of direction `direction` (0: end 0 -> end 1). */
  setFaults(direction: number, faults: AtmLinkFaults | undefined): void {
    if (direction !== 0 && direction !== 1) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(direction)} is not a direction (0 or 1)`, {
        path: "direction",
      });
    }
    const d = this.dirs[direction]!;
    d.cellLoss = checkProbability(`${this.name}.faults.cellLoss`, faults?.cellLoss ?? 0, true);
    d.ber = checkProbability(`${this.name}.faults.ber`, faults?.ber ?? 0, false);
    d.cellsToLoss = d.cellLoss > 0 ? d.rng.geometric(d.cellLoss) : -1;
    d.bitsToError = d.ber > 0 ? d.rng.geometric(d.ber) : -1;
  }

  connect(end: number, device: number, port: number): void {
    if (end !== 0 && end !== 1) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(end)} is not a link end (0 or 1)`, {
        path: this.name,
      });
    }
    // Frames sent at the other end arrive here.
    const d = this.dirs[1 - end]!;
    if (d.peerDevice !== -1) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `end ${end} of ${this.name} is already connected`, {
        path: this.name,
      });
    }
    d.peerDevice = device;
    d.peerPort = port;
  }

  /**
   * Takes ownership of the train `frame` sent at `end`, whose metadata (trainTable) the sender
   * has set. Returns false when it was dropped (nothing attached at the far end, or no slot for
   * a faulty copy); the frame is released then.
   */
  transmit(end: number, frame: number): boolean {
    const d = this.dirs[end]!;
    const frames = this.sim.frames;
    const len = frames.length[frame]!;
    const cells = (len / ATM_CELL_LEN) | 0;
    const now = this.sim.now;
    d.trace.macTx.hit(now, frame, len);
    if (d.peerDevice === -1 || cells === 0) {
      d.trace.phyRxDrop.hit(now, frame, len, DropReason.NOT_ATTACHED);
      frames.release(frame);
      return false;
    }
    const t = this.table;
    const num = this.clock.num;
    const den = this.clock.den;
    const j0 = t.index[frame]!;
    const base0 = t.base[frame]!;
    const start = base0 + Math.ceil((j0 * num) / den);
    if (start < d.lastEnd) d.overlaps++;
    d.lastEnd = base0 + Math.ceil(((j0 + cells) * num) / den);
    d.trains++;
    d.cells += cells;

    let f = frame;
    if (d.cellsToLoss >= 0 && d.cellsToLoss < cells) f = this.applyLoss(d, f, cells);
    else if (d.cellsToLoss >= 0) d.cellsToLoss -= cells;
    if (f !== NO_FRAME && d.bitsToError >= 0) {
      const bits = cells * CELL_BITS;
      if (d.bitsToError < bits) f = this.applyBitErrors(d, f, bits);
      else d.bitsToError -= bits;
    }
    if (f === NO_FRAME) return false;

    t.base[f] = base0 + this.delay;
    t.index[f] = j0;
    const first = t.base[f]! + Math.ceil(((j0 + 1) * num) / den);
    d.trace.phyRxEnd.hit(first, f, len);
    this.sim.scheduler.post(d.origin, first > now ? first : now, d.peerDevice, EV_FRAME_RX, f, d.peerPort, len);
    return true;
  }

  /**
   * The device at `end` crashed now with cells scheduled to be sent until `sentUntil` (ns): they
   * never leave. The far device learns it when the light stops reaching it (now + delay) and
   * drops them as they arrive (atm-signal-loss.ts). Nothing to do when nothing was scheduled.
   */
  signalLoss(end: number, sentUntil: number): void {
    const d = this.dirs[end === 1 ? 1 : 0]!;
    const now = this.sim.now;
    if (sentUntil <= now || d.peerDevice === -1) return;
    d.signalLosses++;
    this.sim.scheduler.post(
      d.origin,
      now + this.delay,
      d.peerDevice,
      EV_SIGNAL_LOSS,
      0,
      d.peerPort,
      sentUntil + this.delay,
    );
  }

  /** Replaces every lost cell of the train by an idle cell. */
  private applyLoss(d: AtmDirection, frame: number, cells: number): number {
    const frames = this.sim.frames;
    const f = this.writable(d, frame);
    if (f === NO_FRAME) return NO_FRAME;
    const u8 = this.sim.runtime.u8;
    const base = frames.offset(f);
    let i = d.cellsToLoss;
    while (i < cells) {
      const c = base + i * ATM_CELL_LEN;
      u8[c] = 0;
      u8[c + 1] = 0;
      u8[c + 2] = 0;
      u8[c + 3] = IDLE_HEADER_WORD;
      u8[c + 4] = IDLE_HEC;
      u8.fill(IDLE_PAYLOAD_BYTE, c + 5, c + ATM_CELL_LEN);
      d.lostCells++;
      i += 1 + d.rng.geometric(d.cellLoss);
    }
    d.cellsToLoss = i - cells;
    return f;
  }

  private applyBitErrors(d: AtmDirection, frame: number, bits: number): number {
    const f = this.writable(d, frame);
    if (f === NO_FRAME) return NO_FRAME;
    const frames = this.sim.frames;
    const u8 = this.sim.runtime.u8;
    const base = frames.offset(f);
    let pos = d.bitsToError;
    while (pos < bits) {
      u8[base + (pos >>> 3)]! ^= 0x80 >>> (pos & 7);
      d.flippedBits++;
      pos += 1 + d.rng.geometric(d.ber);
    }
    d.bitsToError = pos - bits;
    d.corruptedTrains++;
    frames.flags[f]! |= TRAIN_HEADERS_DIRTY | FRAME_CORRUPTED;
    return f;
  }

  private writable(d: AtmDirection, frame: number): number {
    const frames = this.sim.frames;
    const f = frames.writable(frame);
    if (f === NO_FRAME) {
      d.noSlot++;
      d.trace.phyRxDrop.hit(this.sim.now, frame, frames.length[frame]!, DropReason.NO_SLOT);
      frames.release(frame);
      return NO_FRAME;
    }
    if (f !== frame) {
      // The copy carries the sender's metadata.
      this.table.base[f] = this.table.base[frame]!;
      this.table.index[f] = this.table.index[frame]!;
    }
    return f;
  }

  /** Counters of direction `direction` (0: end 0 -> end 1). */
  stats(direction: number): AtmLinkDirectionStats {
    const d = this.dirs[direction === 1 ? 1 : 0]!;
    const elapsed = this.sim.now - this.createdAt;
    const capacity = elapsed > 0 ? (elapsed * this.clock.den) / this.clock.num : 0;
    return {
      trains: d.trains,
      cells: d.cells,
      lostCells: d.lostCells,
      flippedBits: d.flippedBits,
      corruptedTrains: d.corruptedTrains,
      noSlot: d.noSlot,
      overlaps: d.overlaps,
      signalLosses: d.signalLosses,
      utilisation: capacity > 0 ? Math.min(1, d.cells / capacity) : 0,
    };
  }
}
