// AtmSwitch: an output-queued ATM cell switch. Each port has a VPI/VCI table in the Wasm
// VcTable (header rewrite with a fresh HEC), an I.432.1 header check, and a bounded output cell
// queue served at its link's cell rate under a congestion policy (drop-tail, random, EPD, PPD).
//
// Contract:
// - The switch owns its ports' links, circuits and counters. The cell path: SwitchInputs
//   (atm-switch-input.ts: announced trains, HEC and VC kernels, the arrival-order pass, and the
//   train model's one approximation), SwitchOutputs (atm-switch-output.ts: queues, output
//   trains), OutputDiscard (atm-switch-discard.ts), SwitchCounters (atm-switch-stats.ts).
// - Events: EV_FRAME_RX announces a train on an input port (its first cell has arrived); a self
//   event at the train's last-cell time runs the pass that offers arrived cells to outputs.
// - Circuits: addPvc / addPvp / removePvc / removePvp (API misuse throws). Per input port a
//   circuit count and a limit (setCircuitLimit; default unlimited) that signalling enforces for
//   switched circuits (permanent ones are counted, never refused). addSvcEntry /
//   removeSvcEntry are signalling's non-throwing table calls.
// - Control plane (setControlPlane): user cells of VPI 0 / VCI 5 with no table entry go to it
//   instead of counting as unknownVc; sendLocalCells() puts cells the switch made itself on an
//   output through the same queue and policy. Without one nothing changes.
// - Crashes (Crashable, fail-stop): crash() drops the cells inside the switch (pending input
//   trains: CRASHED), makes the cells its outputs had scheduled never leave (their links'
//   far ends skip them: AtmLink.signalLoss), resets the EPD/PPD state and tells the control
//   plane, which forgets its calls, their table entries and the keep-alive. Permanent circuits
//   stay (configuration). While crashed, arriving trains are dropped (CRASHED) and nothing is
//   sent. restart() boots with the permanent circuits alone. Neighbours are told nothing.
// - No allocation per cell or train; hot paths never throw. Not handled: VC merging, multicast,
//   priorities/CLP-selective discard, output shaping, OAM processing.
//
// State machines: per input port (pending trains), per output port (queue, open train) and per
// output circuit (EPD/PPD), in the module comments of the files named above.

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import type { Simulation } from "../engine/simulation.js";
import { VcTable, type CellFormat, type VcStats } from "../kernels/switching.js";
import { ATM_CELL_LEN } from "../wire/atm-cell.js";
import { AtmLink, trainTable } from "./atm-link.js";
import { type AtmDiscardPolicy, OutputDiscard } from "./atm-switch-discard.js";
import { type AtmControlPlane, SwitchInputs } from "./atm-switch-input.js";
import { SwitchOutputs } from "./atm-switch-output.js";
import { CELL_DROP_COUNT, CellDrop, SwitchCounters, type AtmSwitchPortStats } from "./atm-switch-stats.js";
import type { Crashable } from "./crashable.js";
import { Device, EV_DEVICE_BASE, EV_FRAME_RX, EV_SIGNAL_LOSS, type Channel } from "./device.js";

/** The last cell of a train announced on port b has arrived. */
export const EV_ATM_SWITCH_TRAIN_END = EV_DEVICE_BASE;

export const DEFAULT_VC_CAPACITY = 4096;
const DEFAULT_PENDING_TRAINS = 16;

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

export interface AtmSwitchStats {
  /** Crashed now (see crash()). */
  crashed: boolean;
  ports: AtmSwitchPortStats[];
  /** Cells admitted to an output over all ports. */
  switchedCells: number;
  vc: VcStats;
}

/** Status of addSvcEntry (stable numbers). */
export const SvcEntryStatus = { OK: 0, DUPLICATE: 1, FULL: 2 } as const;
export type SvcEntryStatus = (typeof SvcEntryStatus)[keyof typeof SvcEntryStatus];

export class AtmSwitch extends Device implements Crashable {
  readonly vcTable: VcTable;
  readonly formats: readonly CellFormat[];
  private readonly nPorts: number;
  // Per port: the link and the end of it the switch holds (AtmLink.transmit's `end`).
  private readonly links: (AtmLink | undefined)[];
  private readonly linkEnd: Int32Array;
  private readonly counters: SwitchCounters;
  private readonly discard: OutputDiscard;
  private readonly outputs: SwitchOutputs;
  private readonly inputs: SwitchInputs;
  // Per input port: circuits in the table, and the most a host there may hold.
  private readonly circuits: Int32Array;
  private readonly circuitLimits: Float64Array;
  private destroyed = false;
  /** 1 while crashed: the receive path's one compare. */
  private down = 0;

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
    const table = trainTable(sim.frames);
    const trainCap = Math.floor(sim.frames.pool.slotBytes / ATM_CELL_LEN);
    this.nPorts = P;
    this.vcTable = VcTable.create({ capacity: vcCapacity, ports: formats, runtime: sim.runtime });
    this.formats = this.vcTable.formats;
    this.links = new Array<AtmLink | undefined>(P).fill(undefined);
    this.linkEnd = new Int32Array(P);
    // VPI/VCI bits of a header word >>> 4: the GFC is masked on a UNI port.
    const keyMask = Int32Array.from(this.formats, (fmt) => (fmt === "nni" ? 0xfffffff : 0xffffff));
    this.counters = new SwitchCounters(P);
    this.discard = new OutputDiscard(sim, name, keyMask, vcCapacity, this.counters);
    const { links, linkEnd, trace, counters, discard } = this;
    this.outputs = new SwitchOutputs({ sim, table, trainCap, links, linkEnd, trace, counters, discard });
    try {
      const outputs = this.outputs;
      const vcTable = this.vcTable;
      this.inputs = new SwitchInputs({ sim, vcTable, table, ring, trainCap, links, keyMask, trace, counters, outputs });
    } catch (err) {
      this.vcTable.free();
      throw err;
    }
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
    this.inputs.attach(port, channel.clock);
    this.outputs.attach(port, channel.clock);
  }

  /** Sets the congestion policy of output `port` (unspecified fields take their defaults). */
  setPolicy(port: number, policy: AtmDiscardPolicy): void {
    checkInteger("port", port, 0, this.nPorts - 1);
    this.discard.set(port, policy);
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
    const current = this.inputs.control;
    if (control !== undefined && current !== undefined && control !== current) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${this.name} already has a control plane`, {
        path: this.name,
      });
    }
    this.inputs.control = control;
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
    if (this.destroyed || this.down !== 0 || this.links[port] === undefined) {
      if (!this.destroyed) {
        const why = this.down !== 0 ? CellDrop.CRASHED : CellDrop.NOT_ATTACHED;
        this.counters.drops[port * CELL_DROP_COUNT + why]! += n;
      }
      frames.release(t);
      return false;
    }
    const now = this.sim.now;
    this.inputs.advance(now);
    const off = frames.offset(t);
    for (let i = 0; i < n; i++) this.outputs.offer(port, t, i, off + i * ATM_CELL_LEN, now);
    // Give up our reference first: an open train that is this frame alone goes out zero-copy.
    frames.release(t);
    this.outputs.flush(port);
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Events

  handleEvent(kind: number, a: number, b: number, len: number): void {
    if (kind === EV_FRAME_RX) {
      if (this.down !== 0) {
        this.inputs.dropCrashed(a, b);
        return;
      }
      const last = this.inputs.announce(a, b);
      if (last < 0) return;
      const now = this.sim.now;
      this.sim.scheduler.scheduleAt(this.id, last > now ? last : now, this.id, EV_ATM_SWITCH_TRAIN_END, 0, b, 0);
    } else if (kind === EV_ATM_SWITCH_TRAIN_END) {
      this.inputs.advance(this.sim.now);
    } else if (kind === EV_SIGNAL_LOSS) {
      const now = this.sim.now;
      this.inputs.advance(now);
      this.inputs.signalLoss(b, now, len);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Crashes

  /** True between crash() and restart(). */
  get crashed(): boolean {
    return this.down !== 0;
  }

  /** Fail-stop, now (see the module contract). False when already crashed or destroyed. */
  crash(): boolean {
    if (this.destroyed || this.down !== 0) return false;
    this.down = 1;
    this.inputs.control?.crash();
    for (let p = 0; p < this.nPorts; p++) {
      this.inputs.dropPending(p);
      this.outputs.discardOpen(p);
      this.links[p]?.signalLoss(this.linkEnd[p]!, this.outputs.busyUntil(p));
    }
    this.discard.resetStates();
    return true;
  }

  /** Boots with the permanent circuits alone. False when not crashed. */
  restart(): boolean {
    if (this.destroyed || this.down === 0) return false;
    this.down = 0;
    this.inputs.control?.restart();
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Stats and lifecycle

  /** Occupancy (cells queued or in service) of output `port` now. */
  queueLength(port: number): number {
    checkInteger("port", port, 0, this.nPorts - 1);
    return this.outputs.occupancy(port);
  }

  portStats(port: number): AtmSwitchPortStats {
    checkInteger("port", port, 0, this.nPorts - 1);
    return this.counters.portStats(
      port,
      this.links[port] !== undefined,
      this.circuits[port]!,
      this.circuitLimits[port]!,
    );
  }

  /** Cells admitted to an output so far, over all ports. */
  get switchedCells(): number {
    return this.counters.switchedCells();
  }

  stats(): AtmSwitchStats {
    return {
      crashed: this.down !== 0,
      ports: Array.from({ length: this.nPorts }, (_, p) => this.portStats(p)),
      switchedCells: this.switchedCells,
      vc: this.vcTable.stats(),
    };
  }

  /** EPD/PPD circuits the state table could not hold (they fall back to drop-tail/random). */
  get stateTableOverflows(): number {
    return this.discard.overflows;
  }

  /** Releases pending trains, open output trains and the heap regions. */
  destroy(): void {
    if (this.destroyed) return;
    const control = this.inputs.control;
    this.inputs.control = undefined;
    control?.destroy();
    this.destroyed = true;
    for (let p = 0; p < this.nPorts; p++) {
      this.inputs.releasePending(p);
      this.outputs.discardOpen(p);
    }
    this.vcTable.free();
    this.inputs.free();
  }
}
