// AtmSwitch: an output-queued ATM cell switch with per-port VPI/VCI tables (the Wasm VcTable),
// header rewrite with HEC, I.432.1 header error control, bounded per-output cell queues served
// at each port's link cell rate, and per-output congestion policies: drop-tail, random cell
// discard above a threshold, early packet discard (EPD) and partial packet discard (PPD).
//
// Contract:
// - Cells come and go in trains (see atm-link.ts): EV_FRAME_RX announces a train on an input
//   port when its first cell has arrived. The switch then, in one pass over the train: builds
//   its frame vector (kept per pending train), runs the HEC check (hecCheckBatch, only when the
//   link flipped bits in it; the port's I.432.1 mode word: single-bit errors corrected, others
//   discarded) and switches every cell in ONE VcTable.switchBatch call (VPI/VCI rewritten, HEC
//   recomputed, out port per cell). It then waits: a self event at the train's last-cell time.
// - Queueing (the part that depends on time) happens in advance(now), run at every train's
//   last-cell time: every announced cell that has arrived by `now`, from all input ports, is
//   taken in arrival order (ties: lower input port first) and offered to its output, exactly as
//   per-cell interleaving would: because a train is announced at its first cell, no cell that
//   arrived before `now` can still be unknown. Each output is a FIFO server of one cell time
//   per cell (CellSerializer): a cell arriving at a finds occupancy(a) cells queued or in
//   service, the congestion policy decides, and an admitted cell departs at
//   max(a, busyUntil) + cell time. Counts are per cell and exact.
// - Approximation (documented per the brief): a switch only forwards cells once it has
//   processed them, at the end of the input train. Its output trains therefore reach the next
//   device at max(now, first cell's true arrival): the cells keep their true times (metadata),
//   but the announcement can be up to one input train late. A downstream switch that meanwhile
//   processed cells of another input arriving after them takes the late cells as arriving at
//   the last arrival it processed for that output (arrival clamped), so FIFO order and
//   occupancy at that output are off by at most one train's duration there. With one merging
//   switch (sources on NICs, whose trains are announced on time) the merge is exact; the chain
//   of the throughput benchmark has no merging, so its timing is exact too.
// - Output trains: admitted cells that are back to back on an output (one busy period,
//   consecutive slots) form one output train. When they are a contiguous run of one input
//   train (the common case) that frame itself is forwarded (trimmed if need be, zero copy);
//   otherwise cells are copied (53 bytes each) into a new frame. Trains are sent at the end of
//   advance() (or when full / when the busy period breaks). A cell with no slot for its output
//   train is dropped (NO_SLOT).
// - Policies per output port (setPolicy): queueLimit in cells (drop-tail, always on);
//   randomDiscard {threshold, probability}: above threshold cells each arriving cell is dropped
//   with that probability (stream `atm-switch:${name}:out${port}`); epdThreshold: a user cell
//   that STARTS a PDU (first cell after an end-of-PDU cell on that circuit) is refused when
//   occupancy >= epdThreshold, and with it the whole PDU, end cell included; ppd: after any cell
//   of a PDU is dropped, the rest of it is dropped except its end-of-PDU cell (kept if there is
//   room), so the receiver can delimit. State per output circuit (out VPI/VCI), keyed by the
//   PTI end-of-PDU bit. Non-user cells (PTI 4..7: OAM, RM, netloom parity) are only drop-tail.
// - Drops are counted per port by reason (CellDrop): at the input HEC, UNKNOWN_VC (idle and
//   unassigned cells are counted apart, not as drops), TRAIN_OVERRUN (more than pendingTrains
//   trains pending on one port); at the output QUEUE_FULL, RANDOM, EPD, PPD, NO_SLOT,
//   NOT_ATTACHED. Hot paths never throw.
// - Circuits: addPvc / addPvp / removePvc / removePvp (API misuse throws). Per input port a
//   circuit count and a circuit limit (setCircuitLimit; default unlimited): signalling
//   (src/devices/atm-signalling.ts) refuses a switched circuit from a host whose port is at its
//   limit; permanent circuits are counted but not refused. addSvcEntry / removeSvcEntry are
//   the signalling's non-throwing table calls (a full table is a status, counted by it).
// - Control plane (setControlPlane): with one set, user cells on VPI 0 / VCI 5 that have no
//   table entry (the signalling channel) go to it (cell(), during the input pass, in arrival
//   order) instead of being counted as unknownVc; sendLocalCells() puts cells the switch
//   itself made (signalling PDUs) on an output now, through the same queue and policy as
//   switched cells. Without a control plane nothing changes (the PVC-only trajectory).
// - No allocation per cell or train. Kernel calls: one HEC batch (dirty trains only) and one VC
//   batch per train.
// - Not handled: VC merging, multicast circuits, priorities/CLP-selective discard, output
//   shaping, OAM processing.
//
// State machines:
//   per output circuit (EPD/PPD):
//     Idle(expect first) --cell accepted, not end--> InPdu --end cell--> Idle
//     Idle --start cell refused by EPD, not end--> EpdDiscard --end cell (dropped)--> Idle
//     Idle | InPdu --cell dropped (tail/random/no slot) and PPD on, not end--> PpdDiscard
//     PpdDiscard --end cell (kept if room)--> Idle
//   per input port: a FIFO of announced trains, each Pending --all cells arrived and
//     processed--> released (or forwarded).
//   per output port: the CellSerializer (Idle | Busy until busyUntil), and an open output train
//     None --cell--> Ref (cells of one input frame) --other frame / gap--> Own (copied) ;
//     Ref | Own --flush--> None.

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import { NO_FRAME } from "../buf/frames.js";
import type { Rng } from "../engine/rng.js";
import type { Simulation } from "../engine/simulation.js";
import { FRAME_VEC_ARG, FRAME_VEC_LEN, FRAME_VEC_OUT, FRAME_VEC_STRIDE } from "../kernels/abi.js";
import { ChecksumKernels, HecStatus } from "../kernels/checksum.js";
import { VC_MALFORMED, VcTable, type CellFormat, type VcStats } from "../kernels/switching.js";
import type { KernelRuntime } from "../kernels/runtime.js";
import { DropReason } from "../trace/trace-point.js";
import { ATM_CELL_LEN, IDLE_HEADER_WORD } from "../wire/atm-cell.js";
import { SIG_VCI, SIG_VPI } from "../wire/atm-signalling.js";
import { AtmLink, CellSerializer, TRAIN_HEADERS_DIRTY, trainTable, type TrainTable } from "./atm-link.js";
import { Device, EV_DEVICE_BASE, EV_FRAME_RX, type Channel } from "./device.js";

/** The last cell of a train announced on port b has arrived. */
export const EV_ATM_SWITCH_TRAIN_END = EV_DEVICE_BASE;

/** Cell drop reasons (stable numbers; names in CELL_DROP_NAMES). */
export const CellDrop = {
  HEC: 0,
  UNKNOWN_VC: 1,
  QUEUE_FULL: 2,
  RANDOM: 3,
  EPD: 4,
  PPD: 5,
  NO_SLOT: 6,
  NOT_ATTACHED: 7,
  TRAIN_OVERRUN: 8,
} as const;
export type CellDrop = (typeof CellDrop)[keyof typeof CellDrop];
export const CELL_DROP_NAMES = [
  "hec",
  "unknownVc",
  "queueFull",
  "random",
  "epd",
  "ppd",
  "noSlot",
  "notAttached",
  "trainOverrun",
] as const;
const NREASONS = CELL_DROP_NAMES.length;

/** EPD/PPD state of an output circuit. */
export const CircuitDiscard = { NONE: 0, EPD: 1, PPD: 2 } as const;

export const DEFAULT_ATM_QUEUE_LIMIT = 1024;
export const DEFAULT_VC_CAPACITY = 4096;
const DEFAULT_PENDING_TRAINS = 16;

export interface AtmDiscardPolicy {
  /** Most cells queued (in service included) on the output; default 1024. */
  queueLimit?: number;
  /** Early packet discard threshold in cells (default: off). */
  epdThreshold?: number;
  /** Partial packet discard (default false). */
  ppd?: boolean;
  /** Random cell discard: above `threshold` cells, drop with `probability` (default: off). */
  randomDiscard?: { threshold: number; probability: number };
}

export interface AtmSwitchOptions {
  ports: number;
  /** Header format of every port (default "uni"), or one per port. */
  format?: CellFormat | readonly CellFormat[];
  /** VC table entries (VC and VP entries), default 4096; also bounds the EPD/PPD state. */
  vcCapacity?: number;
  /** Policy of every output port (setPolicy changes one). */
  policy?: AtmDiscardPolicy;
  /** Trains announced but not yet processed per input port (default 16). */
  pendingTrains?: number;
}

export interface AtmSwitchPortStats {
  attached: boolean;
  /** Cells that reached the ATM layer on this input (HEC ok, not idle/unassigned). */
  rxCells: number;
  rxTrains: number;
  idleCells: number;
  unassignedCells: number;
  hecCorrected: number;
  /** Cells admitted to this output (and sent). */
  txCells: number;
  txTrains: number;
  /** Output trains that were input frames forwarded without a copy. */
  zeroCopyTrains: number;
  /** Drops by reason (input reasons at the input port, output reasons at the output port). */
  drops: Record<(typeof CELL_DROP_NAMES)[number], number>;
  /** PDUs refused whole by EPD, and PDUs cut by PPD, on this output. */
  epdPdus: number;
  ppdPdus: number;
  /** Highest occupancy (cells) an arriving cell found on this output. */
  queueHighWater: number;
  circuits: number;
  circuitLimit: number;
}

/**
 * The switch's control plane (signalling): receives the cells of the signalling channel that
 * reach the ATM layer on any port. cell() must not send synchronously (it runs inside the
 * input pass); it queues work for an event of its own.
 */
export interface AtmControlPlane {
  /** A user cell on VPI 0 / VCI 5 arrived on `port`: 53 bytes at runtime.u8[ptr], header word w. */
  cell(port: number, ptr: number, w: number): void;
  destroy(): void;
}

/** Status of addSvcEntry (stable numbers). */
export const SvcEntryStatus = { OK: 0, DUPLICATE: 1, FULL: 2 } as const;
export type SvcEntryStatus = (typeof SvcEntryStatus)[keyof typeof SvcEntryStatus];

/** (VPI << 16 | VCI) & key mask of the signalling channel, VPI 0 / VCI 5. */
const SIGNALLING_KEY = (SIG_VPI << 16) | SIG_VCI;

export interface AtmSwitchStats {
  ports: AtmSwitchPortStats[];
  /** Cells admitted to an output over all ports. */
  switchedCells: number;
  vc: VcStats;
}

const OT_NONE = 0;
const OT_REF = 1;
const OT_OWN = 2;

export class AtmSwitch extends Device {
  readonly vcTable: VcTable;
  readonly formats: readonly CellFormat[];
  private readonly rt: KernelRuntime;
  private readonly kernels: ChecksumKernels;
  private readonly table: TrainTable;
  private readonly nPorts: number;
  private readonly trainCap: number;
  private readonly ring: number;

  // Per port: link.
  private readonly links: (AtmLink | undefined)[];
  private readonly linkEnd: Int32Array;
  private readonly num: Float64Array;
  private readonly den: Float64Array;

  // Per input port: pending trains (ring of `ring` slots per port).
  private readonly pendHead: Int32Array;
  private readonly pendCount: Int32Array;
  private readonly pendFrame: Int32Array;
  private readonly pendNext: Int32Array;
  private readonly pendCells: Int32Array;
  private readonly pendBase: Float64Array;
  private readonly pendJ0: Float64Array;
  /** The one output every switched cell of a pending train goes to; -1 mixed, -2 none. */
  private readonly trainOut: Int32Array;
  private readonly outUsers: Int32Array;
  private readonly outMark: Int32Array;
  private readonly inputMixed: Uint8Array;
  private readonly vecBase: number;
  private readonly modeBase: number;
  private readonly region: number;

  // Per output port.
  private readonly sers: CellSerializer[];
  private readonly lastArr: Float64Array;
  private readonly queueLimit: Float64Array;
  private readonly epdThreshold: Float64Array;
  private readonly ppd: Uint8Array;
  private readonly randThreshold: Float64Array;
  private readonly randProb: Float64Array;
  /** min(queueLimit, epdThreshold, random threshold): below it no policy can act. */
  private readonly fastLimit: Float64Array;
  private readonly rngs: (Rng | undefined)[];
  private readonly otMode: Uint8Array;
  private readonly otFrame: Int32Array;
  private readonly otFirst: Int32Array;
  private readonly otCount: Int32Array;
  private readonly otBase: Float64Array;
  private readonly otJ0: Float64Array;

  // Per output circuit (EPD/PPD state), keyed per output port by (vpi << 16 | vci).
  private readonly stateMaps: Map<number, number>[];
  private readonly lastStateKey: Float64Array;
  private readonly keyMask: Int32Array;
  private readonly lastStateIdx: Int32Array;
  private readonly vcFirst: Uint8Array;
  private readonly vcDrop: Uint8Array;
  private stateCount = 0;
  private stateOverflow = 0;

  // Counters.
  private readonly drops: Float64Array;
  private readonly rxCells: Float64Array;
  private readonly rxTrains: Float64Array;
  private readonly idleCells: Float64Array;
  private readonly unassignedCells: Float64Array;
  private readonly hecCorrected: Float64Array;
  private readonly txCells: Float64Array;
  private readonly txTrains: Float64Array;
  private readonly zeroCopy: Float64Array;
  private readonly epdPdus: Float64Array;
  private readonly ppdPdus: Float64Array;
  private readonly highWater: Float64Array;
  private readonly circuits: Int32Array;
  private readonly circuitLimits: Float64Array;
  private control: AtmControlPlane | undefined;
  private destroyed = false;

  constructor(sim: Simulation, name: string, options: AtmSwitchOptions) {
    super(sim, name, options.ports);
    const P = options.ports;
    const formats: CellFormat[] =
      typeof options.format === "object" ? [...options.format] : new Array<CellFormat>(P).fill(options.format ?? "uni");
    if (formats.length !== P) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${formats.length} formats for ${P} ports`, {
        path: `${name}.format`,
      });
    }
    const vcCapacity = options.vcCapacity ?? DEFAULT_VC_CAPACITY;
    checkInteger(`${name}.vcCapacity`, vcCapacity, 1, 1 << 20);
    const ring = options.pendingTrains ?? DEFAULT_PENDING_TRAINS;
    checkInteger(`${name}.pendingTrains`, ring, 1, 1024);
    this.rt = sim.runtime;
    this.kernels = new ChecksumKernels(sim.runtime);
    this.table = trainTable(sim.frames);
    this.nPorts = P;
    this.ring = ring;
    this.trainCap = Math.floor(sim.frames.pool.slotBytes / ATM_CELL_LEN);
    this.vcTable = VcTable.create({ capacity: vcCapacity, ports: formats, runtime: sim.runtime });
    this.formats = this.vcTable.formats;
    const vecBytes = P * ring * this.trainCap * FRAME_VEC_STRIDE;
    try {
      this.region = sim.runtime.heap.alloc(vecBytes + P * 4);
    } catch (err) {
      this.vcTable.free();
      throw err;
    }
    this.vecBase = this.region;
    this.modeBase = this.region + vecBytes;
    // Every vector entry: len 53, arg = its in port; ptr is written per train.
    const u32 = this.rt.u32;
    for (let p = 0; p < P; p++) {
      for (let k = 0; k < ring * this.trainCap; k++) {
        const e = (this.vecBase + (p * ring * this.trainCap + k) * FRAME_VEC_STRIDE) >>> 2;
        u32[e + FRAME_VEC_LEN / 4] = ATM_CELL_LEN;
        u32[e + FRAME_VEC_ARG / 4] = p;
      }
    }
    this.links = new Array<AtmLink | undefined>(P).fill(undefined);
    this.linkEnd = new Int32Array(P);
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
    this.sers = Array.from(
      { length: P },
      () => new CellSerializer({ num: 1, den: 1, cellsPerSecond: 1e9, bitsPerSecond: 424e9, label: "" }),
    );
    this.lastArr = new Float64Array(P);
    this.queueLimit = new Float64Array(P);
    this.epdThreshold = new Float64Array(P);
    this.ppd = new Uint8Array(P);
    this.randThreshold = new Float64Array(P);
    this.randProb = new Float64Array(P);
    this.fastLimit = new Float64Array(P);
    this.rngs = new Array<Rng | undefined>(P).fill(undefined);
    this.otMode = new Uint8Array(P);
    this.otFrame = new Int32Array(P);
    this.otFirst = new Int32Array(P);
    this.otCount = new Int32Array(P);
    this.otBase = new Float64Array(P);
    this.otJ0 = new Float64Array(P);
    this.stateMaps = Array.from({ length: P }, () => new Map<number, number>());
    this.lastStateKey = new Float64Array(P).fill(-1);
    this.keyMask = Int32Array.from(this.formats, (fmt) => (fmt === "nni" ? 0xfffffff : 0xffffff));
    this.lastStateIdx = new Int32Array(P).fill(-1);
    this.vcFirst = new Uint8Array(vcCapacity);
    this.vcDrop = new Uint8Array(vcCapacity);
    this.drops = new Float64Array(P * NREASONS);
    this.rxCells = new Float64Array(P);
    this.rxTrains = new Float64Array(P);
    this.idleCells = new Float64Array(P);
    this.unassignedCells = new Float64Array(P);
    this.hecCorrected = new Float64Array(P);
    this.txCells = new Float64Array(P);
    this.txTrains = new Float64Array(P);
    this.zeroCopy = new Float64Array(P);
    this.epdPdus = new Float64Array(P);
    this.ppdPdus = new Float64Array(P);
    this.highWater = new Float64Array(P);
    this.circuits = new Int32Array(P);
    this.circuitLimits = new Float64Array(P).fill(Infinity);
    for (let p = 0; p < P; p++) this.setPolicy(p, options.policy ?? {});
  }

  override attach(port: number, channel: Channel, end: number): void {
    if (!(channel instanceof AtmLink)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${this.name} attaches only to an AtmLink`, {
        path: channel.name,
      });
    }
    super.attach(port, channel, end);
    this.links[port] = channel;
    this.linkEnd[port] = end;
    this.num[port] = channel.clock.num;
    this.den[port] = channel.clock.den;
    const s = this.sers[port]!;
    s.num = channel.clock.num;
    s.den = channel.clock.den;
    s.base = this.sim.now;
    s.busyUntil = this.sim.now;
    s.count = 0;
  }

  /** Sets the congestion policy of output `port` (unspecified fields take their defaults). */
  setPolicy(port: number, policy: AtmDiscardPolicy): void {
    checkInteger("port", port, 0, this.nPorts - 1);
    const limit = policy.queueLimit ?? DEFAULT_ATM_QUEUE_LIMIT;
    checkInteger("queueLimit", limit, 1, 1 << 24);
    let epd = Infinity;
    if (policy.epdThreshold !== undefined) {
      checkInteger("epdThreshold", policy.epdThreshold, 0, limit);
      epd = policy.epdThreshold;
    }
    let rThr = Infinity;
    let rProb = 0;
    if (policy.randomDiscard !== undefined) {
      checkInteger("randomDiscard.threshold", policy.randomDiscard.threshold, 0, limit);
      const p = policy.randomDiscard.probability;
      if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(p)} is not a probability in [0, 1]`, {
          path: "randomDiscard.probability",
        });
      }
      rThr = policy.randomDiscard.threshold;
      rProb = p;
      this.rngs[port] ??= this.sim.scheduler.rng(`atm-switch:${this.name}:out${port}`);
    }
    this.queueLimit[port] = limit;
    this.epdThreshold[port] = epd;
    this.ppd[port] = policy.ppd === true ? 1 : 0;
    this.randThreshold[port] = rThr;
    this.randProb[port] = rProb;
    this.fastLimit[port] = Math.min(limit, epd, rThr);
  }

  // -------------------------------------------------------------------------------------------
  // Circuits

  /** Adds a permanent VC: cells on (inPort, vpi, vci) leave on outPort as (outVpi, outVci). */
  addPvc(inPort: number, vpi: number, vci: number, outPort: number, outVpi: number, outVci: number): void {
    this.vcTable.add({ inPort, vpi, vci, outPort, outVpi, outVci });
    this.circuits[inPort]!++;
  }

  /** Adds a permanent VP: every VCI on (inPort, vpi) leaves on outPort with VPI outVpi. */
  addPvp(inPort: number, vpi: number, outPort: number, outVpi: number): void {
    this.vcTable.add({ inPort, vpi, outPort, outVpi });
    this.circuits[inPort]!++;
  }

  removePvc(inPort: number, vpi: number, vci: number): boolean {
    const ok = this.vcTable.remove(inPort, vpi, vci);
    if (ok) this.circuits[inPort]!--;
    return ok;
  }

  removePvp(inPort: number, vpi: number): boolean {
    const ok = this.vcTable.remove(inPort, vpi);
    if (ok) this.circuits[inPort]!--;
    return ok;
  }

  /** Most circuits a host on `port` may hold (signalling enforces it; Infinity = no limit). */
  setCircuitLimit(port: number, limit: number): void {
    checkInteger("port", port, 0, this.nPorts - 1);
    if (limit !== Infinity) checkInteger("limit", limit, 0, 1 << 24);
    this.circuitLimits[port] = limit;
  }

  circuitLimit(port: number): number {
    return this.circuitLimits[port]!;
  }

  circuitCount(port: number): number {
    return this.circuits[port]!;
  }

  /** True when a host on `port` may open another circuit. */
  mayOpenCircuit(port: number): boolean {
    return this.circuits[port]! < this.circuitLimits[port]!;
  }

  /**
   * A switched-circuit entry (VPI 0 both sides): cells on (inPort, 0, vci) leave on outPort as
   * (0, outVci). Counted like a PVC on inPort. Never throws on a duplicate or a full table: the
   * status says (ports and VCIs must be in range: the caller's own values).
   */
  addSvcEntry(inPort: number, vci: number, outPort: number, outVci: number): SvcEntryStatus {
    if (this.vcTable.size >= this.vcTable.capacity) return SvcEntryStatus.FULL;
    try {
      this.vcTable.add({ inPort, vpi: 0, vci, outPort, outVpi: 0, outVci });
    } catch (err) {
      if (err instanceof NetloomError && err.code === ErrorCode.TABLE_FULL) return SvcEntryStatus.FULL;
      if (err instanceof NetloomError && err.path === "route") return SvcEntryStatus.DUPLICATE;
      throw err;
    }
    this.circuits[inPort]!++;
    return SvcEntryStatus.OK;
  }

  /** Removes a switched-circuit entry; true if there was one. */
  removeSvcEntry(inPort: number, vci: number): boolean {
    return this.removePvc(inPort, 0, vci);
  }

  /** True when a link is attached to `port`. */
  isAttached(port: number): boolean {
    return port >= 0 && port < this.nPorts && this.links[port] !== undefined;
  }

  /** Sets (or clears) the control plane that takes the signalling channel's cells. */
  setControlPlane(control: AtmControlPlane | undefined): void {
    if (control !== undefined && this.control !== undefined && control !== this.control) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${this.name} already has a control plane`, {
        path: this.name,
      });
    }
    this.control = control;
  }

  /**
   * Sends the train `t` (whole cells with valid headers and HECs, made by the switch itself)
   * on output `port` now; takes ownership. Cells that arrived before now are offered first,
   * then these, as arriving now: same queue, policies and counters as switched cells. False
   * when nothing could be offered (no link on the port, or the switch was destroyed).
   */
  sendLocalCells(port: number, t: number): boolean {
    checkInteger("port", port, 0, this.nPorts - 1);
    const frames = this.sim.frames;
    const n = (frames.length[t]! / ATM_CELL_LEN) | 0;
    if (this.destroyed || this.links[port] === undefined) {
      if (!this.destroyed) this.drops[port * NREASONS + CellDrop.NOT_ATTACHED]! += n;
      frames.release(t);
      return false;
    }
    const now = this.sim.now;
    this.advance(now);
    const off = frames.offset(t);
    for (let i = 0; i < n; i++) this.offer(port, t, i, off + i * ATM_CELL_LEN, now);
    // Give up our reference first: an open train that is this frame alone goes out zero-copy.
    frames.release(t);
    if (this.otMode[port] !== OT_NONE) this.flush(port);
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Events

  handleEvent(kind: number, a: number, b: number, _len: number): void {
    if (kind === EV_FRAME_RX) this.announce(a, b);
    else if (kind === EV_ATM_SWITCH_TRAIN_END) this.advance(this.sim.now);
  }

  private announce(f: number, p: number): void {
    const frames = this.sim.frames;
    const len = frames.length[f]!;
    const n = (len / ATM_CELL_LEN) | 0;
    if (
      this.pendCount[p]! === this.ring ||
      this.links[p] === undefined ||
      this.destroyed ||
      n === 0 ||
      n > this.trainCap
    ) {
      this.drops[p * NREASONS + CellDrop.TRAIN_OVERRUN]! += n;
      this.trace[p]!.phyRxDrop.hit(this.sim.now, f, len, DropReason.NO_RX_BUFFER);
      frames.release(f);
      return;
    }
    const k = (this.pendHead[p]! + this.pendCount[p]!) % this.ring;
    const slot = p * this.ring + k;
    this.pendCount[p]!++;
    this.rxTrains[p]!++;
    this.pendFrame[slot] = f;
    this.pendNext[slot] = 0;
    this.pendCells[slot] = n;
    const base = this.table.base[f]!;
    const j0 = this.table.index[f]!;
    this.pendBase[slot] = base;
    this.pendJ0[slot] = j0;
    const u32 = this.rt.u32;
    const vec = this.vecBase + slot * this.trainCap * FRAME_VEC_STRIDE;
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
        else if (st === HecStatus.CORRECTED) this.hecCorrected[p]!++;
      }
      this.vcTable.switchBatch(vec, n);
      for (let i = 0; i < n; i++) u32[((vec + i * FRAME_VEC_STRIDE) >>> 2) + FRAME_VEC_LEN / 4] = ATM_CELL_LEN;
      // Every header that goes on now has a fresh HEC.
      frames.flags[f]! &= ~TRAIN_HEADERS_DIRTY;
    } else {
      u32[mode >>> 2] = 0; // all valid: correction mode
      this.vcTable.switchBatch(vec, n);
    }
    let single = -2;
    for (let i = 0; i < n; i++) {
      const o = u32[((vec + i * FRAME_VEC_STRIDE) >>> 2) + FRAME_VEC_OUT / 4]!;
      if (o >= VC_MALFORMED || o === single) continue;
      if (single === -2) single = o;
      else {
        single = -1;
        break;
      }
    }
    this.trainOut[slot] = single;
    const last = base + Math.ceil(((j0 + n) * this.num[p]!) / this.den[p]!);
    const now = this.sim.now;
    this.sim.scheduler.scheduleAt(this.id, last > now ? last : now, this.id, EV_ATM_SWITCH_TRAIN_END, 0, p, 0);
  }

  /** Arrival time of the next unprocessed cell on input p (Infinity when none pending). */
  private nextArrival(p: number): number {
    if (this.pendCount[p] === 0) return Infinity;
    const slot = p * this.ring + this.pendHead[p]!;
    return (
      this.pendBase[slot]! + Math.ceil(((this.pendJ0[slot]! + this.pendNext[slot]! + 1) * this.num[p]!) / this.den[p]!)
    );
  }

  /** Offers every announced cell that has arrived by `now` to its output, in arrival order. */
  private advance(now: number): void {
    const P = this.nPorts;
    // Interleaving matters only among inputs that feed the same output: an input whose
    // arrived trains all go to outputs no other input is feeding right now is run alone, in
    // one stretch (long runs keep the fast path and zero-copy forwarding).
    const users = this.outUsers;
    const mark = this.outMark;
    users.fill(0);
    mark.fill(-1);
    let active = 0;
    for (let p = 0; p < P; p++) {
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
    if (active > 1) {
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
    for (let o = 0; o < P; o++) if (this.otMode[o] !== OT_NONE) this.flush(o);
  }

  /** Processes cells of input p with arrival < limit (or <= limit when `inclusive`). */
  private runInput(p: number, limit: number, inclusive: boolean): void {
    const frames = this.sim.frames;
    const u8 = this.rt.u8;
    const u32 = this.rt.u32;
    const num = this.num[p]!;
    const den = this.den[p]!;
    const drops = this.drops;
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
        const out = u32[((vec + i * FRAME_VEC_STRIDE) >>> 2) + FRAME_VEC_OUT / 4]!;
        if (out === fastO) {
          const j = this.fastRun(out, p, i, n, vec, off, base, j0, num, den, limit, inclusive);
          if (j > i) {
            i = j - 1;
            continue;
          }
        }
        const c = off + i * ATM_CELL_LEN;
        if (out >= VC_MALFORMED) {
          if (out === VC_MALFORMED) {
            drops[p * NREASONS + CellDrop.HEC]!++;
          } else {
            const w = ((u8[c]! << 24) | (u8[c + 1]! << 16) | (u8[c + 2]! << 8) | u8[c + 3]!) >>> 0;
            if (w === IDLE_HEADER_WORD) this.idleCells[p]!++;
            else if ((w & 0x0fffffff) === 0) this.unassignedCells[p]!++;
            else if (this.control !== undefined && ((w >>> 4) & this.keyMask[p]!) === SIGNALLING_KEY) {
              this.rxCells[p]!++;
              this.control.cell(p, c, w);
            } else drops[p * NREASONS + CellDrop.UNKNOWN_VC]!++;
          }
          continue;
        }
        this.rxCells[p]!++;
        this.offer(out, f, i, c, a);
        fastO = this.otMode[out] === OT_REF && this.otFrame[out] === f ? out : -1;
      }
      this.pendNext[slot] = i;
      if (i < n) return;
      frames.release(f);
      this.pendHead[p] = (k + 1) % this.ring;
      this.pendCount[p]!--;
    }
  }

  /**
   * The common case of offer(), for a run of cells: from cell i0 on, every cell of this input
   * frame that has arrived by `limit`, goes to output o and extends o's open train (a run of
   * the same input frame ending at the cell before, in the same busy period, with the
   * occupancy below every threshold of o and its circuit not discarding) is admitted exactly as
   * offer() would admit it, without its general bookkeeping. The run's state stays in locals
   * and is written back once. Returns the first cell not admitted (i0: none; the caller takes
   * the general path for it).
   */
  private fastRun(
    o: number,
    p: number,
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
    let high = this.highWater[o]!;
    const fast = this.fastLimit[o]!;
    const cap = this.trainCap;
    const key = this.lastStateKey[o]!;
    const mask = this.keyMask[o]!;
    const st = this.lastStateIdx[o]!;
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
          if (this.vcDrop[st] !== CircuitDiscard.NONE) break;
          this.vcFirst[st] = (b3 & 0x02) !== 0 ? 1 : 0;
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
      this.highWater[o] = high;
      this.otCount[o] = count;
      ser.count = sCount;
      ser.busyUntil = busy;
      this.txCells[o]! += k;
      this.rxCells[p]! += k;
    }
    return i;
  }

  /** The output side for one cell (cell i of frame f at c, arrived at a) on output o. */
  private offer(o: number, f: number, i: number, c: number, a: number): void {
    const drops = this.drops;
    if (this.links[o] === undefined) {
      drops[o * NREASONS + CellDrop.NOT_ATTACHED]!++;
      return;
    }
    const u8 = this.rt.u8;
    const ser = this.sers[o]!;
    if (a < this.lastArr[o]!) a = this.lastArr[o]!;
    else this.lastArr[o] = a;
    let occ = 0;
    if (a < ser.busyUntil) {
      // done may be negative: rebase() can move the base past a while the queue is long.
      occ = ser.count - Math.floor(((a - ser.base) * ser.den) / ser.num);
    }
    if (occ > this.highWater[o]!) this.highWater[o] = occ;
    const limit = this.queueLimit[o]!;
    const b3 = u8[c + 3]!;
    let drop = -1;
    let s = -1;
    let end = false;
    if ((b3 & 0x08) === 0) {
      // User data: the circuit's EPD/PPD state.
      end = (b3 & 0x02) !== 0;
      // Output circuit key: VPI and VCI as they leave on o (GFC masked on a UNI port).
      const w = ((u8[c]! << 24) | (u8[c + 1]! << 16) | (u8[c + 2]! << 8) | b3) >>> 0;
      const k2 = (w >>> 4) & this.keyMask[o]!;
      if (k2 === this.lastStateKey[o]) s = this.lastStateIdx[o]!;
      else {
        s = this.stateOf(o, k2);
        this.lastStateKey[o] = k2;
        this.lastStateIdx[o] = s;
      }
      if (s >= 0) {
        const mode = this.vcDrop[s]!;
        if (mode === CircuitDiscard.EPD) {
          drop = CellDrop.EPD;
          if (end) {
            this.vcDrop[s] = CircuitDiscard.NONE;
            this.vcFirst[s] = 1;
          }
        } else if (mode === CircuitDiscard.PPD) {
          if (end) {
            this.vcDrop[s] = CircuitDiscard.NONE;
            this.vcFirst[s] = 1;
            if (occ >= limit) drop = CellDrop.QUEUE_FULL;
          } else {
            drop = CellDrop.PPD;
          }
        } else if (this.vcFirst[s] === 1 && occ >= this.epdThreshold[o]!) {
          drop = CellDrop.EPD;
          this.epdPdus[o]!++;
          if (!end) this.vcDrop[s] = CircuitDiscard.EPD;
        } else {
          drop = this.tailOrRandom(o, occ, limit);
          this.vcFirst[s] = end ? 1 : 0;
          if (drop >= 0 && !end && this.ppd[o] === 1) {
            this.vcDrop[s] = CircuitDiscard.PPD;
            this.ppdPdus[o]!++;
          }
        }
      } else {
        drop = this.tailOrRandom(o, occ, limit);
      }
    } else if (occ >= limit) {
      drop = CellDrop.QUEUE_FULL;
    }
    if (drop < 0) {
      if (this.append(o, f, i, a)) {
        this.txCells[o]!++;
        return;
      }
      drop = CellDrop.NO_SLOT;
      if (s >= 0 && !end && this.ppd[o] === 1 && this.vcDrop[s] === CircuitDiscard.NONE) {
        this.vcDrop[s] = CircuitDiscard.PPD;
        this.ppdPdus[o]!++;
      }
    }
    drops[o * NREASONS + drop]!++;
  }

  private tailOrRandom(o: number, occ: number, limit: number): number {
    if (occ >= limit) return CellDrop.QUEUE_FULL;
    if (occ >= this.randThreshold[o]! && this.rngs[o]!.nextFloat32() < this.randProb[o]!) return CellDrop.RANDOM;
    return -1;
  }

  /** EPD/PPD state index of output circuit `key` on output o (-1 when the table is full). */
  private stateOf(o: number, key: number): number {
    const map = this.stateMaps[o]!;
    const s = map.get(key);
    if (s !== undefined) return s;
    if (this.stateCount === this.vcFirst.length) {
      this.stateOverflow++;
      return -1;
    }
    const idx = this.stateCount++;
    this.vcFirst[idx] = 1;
    this.vcDrop[idx] = CircuitDiscard.NONE;
    map.set(key, idx);
    return idx;
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
        this.flush(o);
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

  /** Sends output o's open train. */
  private flush(o: number): void {
    const frames = this.sim.frames;
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
        this.zeroCopy[o]!++;
      } else {
        const g = frames.alloc(0, frames.birth[t]!, frames.flow[t]!);
        const from = frames.offset(t) + this.otFirst[o]! * ATM_CELL_LEN;
        if (g === NO_FRAME) {
          // The cells were counted as sent; take them back as drops.
          frames.release(t);
          this.txCells[o]! -= count;
          this.drops[o * NREASONS + CellDrop.NO_SLOT]! += count;
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
    this.txTrains[o]!++;
    this.trace[o]!.macTx.hit(this.sim.now, t, count * ATM_CELL_LEN);
    this.links[o]!.transmit(this.linkEnd[o]!, t);
  }

  // -------------------------------------------------------------------------------------------
  // Stats and lifecycle

  /** Occupancy (cells queued or in service) of output `port` now. */
  queueLength(port: number): number {
    checkInteger("port", port, 0, this.nPorts - 1);
    return this.sers[port]!.occupancy(this.sim.now);
  }

  portStats(port: number): AtmSwitchPortStats {
    checkInteger("port", port, 0, this.nPorts - 1);
    const drops = {} as AtmSwitchPortStats["drops"];
    CELL_DROP_NAMES.forEach((name, r) => (drops[name] = this.drops[port * NREASONS + r]!));
    return {
      attached: this.links[port] !== undefined,
      rxCells: this.rxCells[port]!,
      rxTrains: this.rxTrains[port]!,
      idleCells: this.idleCells[port]!,
      unassignedCells: this.unassignedCells[port]!,
      hecCorrected: this.hecCorrected[port]!,
      txCells: this.txCells[port]!,
      txTrains: this.txTrains[port]!,
      zeroCopyTrains: this.zeroCopy[port]!,
      drops,
      epdPdus: this.epdPdus[port]!,
      ppdPdus: this.ppdPdus[port]!,
      queueHighWater: this.highWater[port]!,
      circuits: this.circuits[port]!,
      circuitLimit: this.circuitLimits[port]!,
    };
  }

  /** Cells admitted to an output so far, over all ports. */
  get switchedCells(): number {
    let s = 0;
    for (let p = 0; p < this.nPorts; p++) s += this.txCells[p]!;
    return s;
  }

  stats(): AtmSwitchStats {
    return {
      ports: Array.from({ length: this.nPorts }, (_, p) => this.portStats(p)),
      switchedCells: this.switchedCells,
      vc: this.vcTable.stats(),
    };
  }

  /** EPD/PPD circuits the state table could not hold (they fall back to drop-tail/random). */
  get stateTableOverflows(): number {
    return this.stateOverflow;
  }

  /** Releases pending trains, open output trains and the heap regions. */
  destroy(): void {
    if (this.destroyed) return;
    const control = this.control;
    this.control = undefined;
    control?.destroy();
    this.destroyed = true;
    const frames = this.sim.frames;
    for (let p = 0; p < this.nPorts; p++) {
      while (this.pendCount[p]! > 0) {
        frames.release(this.pendFrame[p * this.ring + this.pendHead[p]!]!);
        this.pendHead[p] = (this.pendHead[p]! + 1) % this.ring;
        this.pendCount[p]!--;
      }
      if (this.otMode[p] !== OT_NONE) {
        frames.release(this.otFrame[p]!);
        this.otMode[p] = OT_NONE;
      }
    }
    this.vcTable.free();
    this.rt.heap.free(this.region);
  }
}
