// AtmNic: an ATM host interface with AAL5 (ITU-T I.363.5) on virtual circuits, over an AtmLink.
//
// Contract:
// - Circuits: openVc(vpi, vci, options) gives a circuit index (0 .. vcs - 1) used to send and
//   reported on receive; closeVc() releases it (aborting a PDU in reassembly). The port is UNI
//   (default) or NNI; VPI/VCI ranges follow the format. Table: atm-nic-circuits.ts.
// - Send: send(vc, frame) takes ownership of one PDU; a refused one is counted by reason and
//   gives false (never a throw); a vc that is not a circuit index throws NetloomError.
//   Segmentation and pacing: atm-nic-transmit.ts; the optional parity cell: atm-nic-parity.ts.
// - Receive: trains from the link are reassembled in arrival order (atm-nic-receive.ts, with
//   the reassembly timer) and delivered to the receiver (setReceiver) as (vc, ptr, length, uu):
//   the bytes stay in the reassembler's buffer (no copy, U-Net style); a receiver that keeps one
//   gives it back with returnBuffer(ptr). The signalling circuit's PDUs go to its agent.
// - Tap (setPduTap, atm-nic-tap.ts): one observer of every PDU sent and delivered. During a
//   delivery, rxTrain is the train that carried the last cell (IP over ATM keeps its tags).
// - Host failure (fail()): the host stops for good; arriving trains are released and counted
//   (failedTrains), send() refuses (hostDown); circuits stay so stats still read.
// - Crashes (crash()/restart(), fail-stop): pending trains, PDUs in reassembly and parked for
//   parity are lost, the reassembly timer stops, the cells the transmitter had scheduled are
//   never sent (the far end drops them: AtmLink.signalLoss); while crashed, arriving trains are
//   dropped (CRASHED, crashedTrains) and send() refuses (crashed). Circuits stay open: they are
//   configuration (PVCs); a signalling agent closes its switched ones itself. restart() boots
//   the NIC empty. Cells a crashed far end never sent are skipped (signalLossCells).
// - destroy() releases pending trains and frees the heap regions.
// - Not handled: traffic shaping per circuit (cells leave at the link rate), OAM processing,
//   CLP tagging, AAL1/2/3-4.
//
// State machine: host Up --fail()--> Failed (final); Up --crash()--> Crashed --restart()--> Up; those of the circuits, the reassembly
// timer and the transmitter are in the module comments named above.

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import { parseDuration } from "../base/units.js";
import { NO_FRAME } from "../buf/frames.js";
import type { Simulation } from "../engine/simulation.js";
import { Aal5Reassembler, type Aal5Counters } from "../kernels/aal5.js";
import { ChecksumKernels } from "../kernels/checksum.js";
import { ATM_CELL_LEN, type AtmHeaderFormat } from "../wire/atm-cell.js";
import { AtmLink, trainTable, type CellClock } from "./atm-link.js";
import {
  type AtmVcOptions,
  NicCircuits,
  VC_COUNTERS,
  VC_PARITY_FAILED,
  VC_PARITY_MISSING,
  VC_REBUILT,
  VC_RX_BYTES,
  VC_RX_CELLS,
  VC_RX_PDUS,
  VC_TIMEOUTS,
  VC_TX_BYTES,
  VC_TX_CELLS,
  VC_TX_PDUS,
} from "./atm-nic-circuits.js";
import { NicParity } from "./atm-nic-parity.js";
import {
  type AtmReceiver,
  type AtmSignallingAgent,
  EV_ATM_NIC_TIMER,
  EV_ATM_NIC_TRAIN_END,
  NicReceiver,
  type ReassemblyTimerState,
} from "./atm-nic-receive.js";
import { type AtmPduTap, PduTapPoint } from "./atm-nic-tap.js";
import { AtmTxDrop, NicTransmitter, TX_DROP_NAMES } from "./atm-nic-transmit.js";
import type { Crashable } from "./crashable.js";
import { Device, EV_FRAME_RX, EV_SIGNAL_LOSS, type Channel } from "./device.js";

export const AtmHostState = { Up: 0, Failed: 1, Crashed: 2 } as const;
export type AtmHostState = (typeof AtmHostState)[keyof typeof AtmHostState];

export const DEFAULT_ATM_NIC_VCS = 64;
export const DEFAULT_ATM_NIC_BUFFERS = 64;
export const DEFAULT_ATM_MAX_PDU = 9180;
export const DEFAULT_REASSEMBLY_TIMEOUT_NS = 10_000_000;
export const DEFAULT_TX_QUEUE_CELLS = 8192;
const DEFAULT_PENDING_TRAINS = 32;

export interface AtmNicOptions {
  /** Most open circuits (default 64). */
  vcs?: number;
  /** Reassembly buffers shared by all circuits (default 64), each of maxPdu bytes. */
  rxBuffers?: number;
  /** Largest PDU sent or received (default 9180, the RFC 2225 default MTU; at most 65535). */
  maxPdu?: number;
  /** Reassembly timeout: ns or a string ("10ms", the default). */
  reassemblyTimeout?: number | string;
  /** Transmit backlog limit in cells (default 8192). */
  txQueueLimit?: number;
  /** Header format of the port (default "uni"). */
  format?: AtmHeaderFormat;
  /** Trains announced but not yet fully arrived that the NIC holds (default 32). */
  pendingTrains?: number;
}

export interface AtmVcStats {
  vpi: number;
  vci: number;
  parity: boolean;
  txPdus: number;
  txCells: number;
  txBytes: number;
  rxCells: number;
  rxPdus: number;
  rxBytes: number;
  rebuilt: number;
  parityFailed: number;
  parityMissing: number;
  timeouts: number;
  /** The reassembly kernel's counters for this circuit. */
  reassembly: Aal5Counters;
}

export interface AtmNicStats {
  txPdus: number;
  txCells: number;
  txBytes: number;
  /** Refused PDUs by reason. */
  txDrops: Record<(typeof TX_DROP_NAMES)[number], number>;
  rxTrains: number;
  /** Cells that reached the ATM layer (HEC ok, not idle). */
  rxCells: number;
  idleCells: number;
  hecCorrected: number;
  hecDiscarded: number;
  unknownVc: number;
  unassigned: number;
  oamCells: number;
  parityCells: number;
  parityUnused: number;
  trainOverruns: number;
  /** The host failed (fail()); trains that arrived after that, released unread. */
  failed: boolean;
  failedTrains: number;
  /** The NIC is crashed now; trains lost to its crashes; cells a crashed far end never sent. */
  crashed: boolean;
  crashedTrains: number;
  signalLossCells: number;
  rxPdus: number;
  rxBytes: number;
  rebuilt: number;
  parityFailed: number;
  parityMissing: number;
  timeouts: number;
  /** Reassembly kernel totals (badCrc, badLength, lostCells, noBuffer, ...). */
  reassembly: ReturnType<Aal5Reassembler["totals"]>;
}

export class AtmNic extends Device implements Crashable {
  readonly format: AtmHeaderFormat;
  readonly maxVcs: number;
  readonly maxPdu: number;
  readonly reassemblyTimeoutNs: number;
  readonly txQueueLimit: number;
  readonly reassembler: Aal5Reassembler;
  private readonly circuits: NicCircuits;
  private readonly tap: PduTapPoint;
  private readonly tx: NicTransmitter;
  private readonly rx: NicReceiver;
  private clock: CellClock | undefined;
  private hostState: AtmHostState = AtmHostState.Up;
  private destroyed = false;

  constructor(sim: Simulation, name: string, options: AtmNicOptions = {}) {
    super(sim, name, 1);
    const vcs = options.vcs ?? DEFAULT_ATM_NIC_VCS;
    checkInteger(`${name}.vcs`, vcs, 1, 1 << 16);
    const buffers = options.rxBuffers ?? DEFAULT_ATM_NIC_BUFFERS;
    checkInteger(`${name}.rxBuffers`, buffers, 1, 1 << 16);
    const maxPdu = options.maxPdu ?? DEFAULT_ATM_MAX_PDU;
    checkInteger(`${name}.maxPdu`, maxPdu, 1, 65535);
    const txLimit = options.txQueueLimit ?? DEFAULT_TX_QUEUE_CELLS;
    checkInteger(`${name}.txQueueLimit`, txLimit, 1, 1 << 24);
    const pending = options.pendingTrains ?? DEFAULT_PENDING_TRAINS;
    checkInteger(`${name}.pendingTrains`, pending, 1, 1 << 12);
    const format = options.format ?? "uni";
    if (format !== "uni" && format !== "nni") {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `"${String(format)}" is not uni or nni`, {
        path: `${name}.format`,
      });
    }
    const timeout = parseDuration(
      options.reassemblyTimeout ?? DEFAULT_REASSEMBLY_TIMEOUT_NS,
      `${name}.reassemblyTimeout`,
    );
    if (timeout <= 0) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "the reassembly timeout must be positive", {
        path: `${name}.reassemblyTimeout`,
      });
    }
    this.format = format;
    this.maxVcs = vcs;
    this.maxPdu = maxPdu;
    this.reassemblyTimeoutNs = timeout;
    this.txQueueLimit = txLimit;
    const kernels = new ChecksumKernels(sim.runtime);
    const table = trainTable(sim.frames);
    const trainCap = Math.floor(sim.frames.pool.slotBytes / ATM_CELL_LEN);
    if (trainCap < 2) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "frame slots must hold at least two cells (106 bytes)", {
        path: name,
      });
    }
    this.circuits = new NicCircuits(format, vcs);
    this.tap = new PduTapPoint(sim, this.circuits);
    this.reassembler = Aal5Reassembler.create({
      circuits: vcs,
      buffers,
      maxPduBytes: maxPdu,
      checkHec: false, // the PHY (hecCheckBatch) already did, with correction
      deliverErrors: true, // errored PDUs come back so a parity cell can repair them
      runtime: sim.runtime,
    });
    const { circuits, reassembler, tap } = this;
    const parity = new NicParity(sim.runtime, kernels, reassembler, vcs, circuits.counters);
    const trace = this.trace[0]!;
    try {
      this.rx = new NicReceiver({
        sim,
        owner: this.id,
        kernels,
        table,
        circuits,
        parity,
        reassembler,
        tap,
        trace,
        trainCap,
        pendingTrains: pending,
        timeoutNs: timeout,
      });
    } catch (err) {
      reassembler.free();
      throw err;
    }
    this.tx = new NicTransmitter({ sim, table, circuits, parity, tap, trace, trainCap, maxPdu, queueLimit: txLimit });
  }

  override attach(port: number, channel: Channel, end: number): void {
    if (!(channel instanceof AtmLink)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${this.name} attaches only to an AtmLink`, {
        path: channel.name,
      });
    }
    super.attach(port, channel, end);
    this.clock = channel.clock;
    this.rx.attach(channel.clock);
    this.tx.attach(channel, end);
  }

  /** State of the reassembly timer. */
  get timerState(): ReassemblyTimerState {
    return this.rx.timerState;
  }

  // -------------------------------------------------------------------------------------------
  // Circuits and hooks

  /** Opens a circuit on (vpi, vci); returns its index. Throws on a duplicate or a full table. */
  openVc(vpi: number, vci: number, options: AtmVcOptions = {}): number {
    this.live();
    const vc = this.circuits.openCircuit(this.name, vpi, vci, options);
    this.rx.openCircuit(vc);
    return vc;
  }

  /** Closes a circuit: a PDU in reassembly is aborted, a buffer awaiting parity returned. */
  closeVc(vc: number): void {
    this.checkVc(vc);
    // Closing twice must not unmap a circuit that reopened the same VPI/VCI meanwhile.
    if (this.circuits.open[vc] === 0) return;
    this.rx.closeCircuit(vc);
    this.circuits.close(vc);
  }

  /** True when circuit `vc` is open. */
  isOpen(vc: number): boolean {
    this.checkVc(vc);
    return this.circuits.open[vc] === 1;
  }

  /** Circuit index of (vpi, vci), or -1. */
  vcOf(vpi: number, vci: number): number {
    return this.circuits.indexOf(vpi, vci);
  }

  /** (vpi, vci) of an open circuit. */
  vcAddress(vc: number): { vpi: number; vci: number } {
    this.checkVc(vc);
    const w = this.circuits.header[vc]!;
    return { vpi: this.circuits.vpiOf(w), vci: this.circuits.vciOf(w) };
  }

  setReceiver(receiver: AtmReceiver | undefined): void {
    this.rx.receiver = receiver;
  }

  /** Routes PDUs of circuit `vc` (the signalling circuit) to `agent`; undefined clears it. */
  setSignalling(vc: number, agent: AtmSignallingAgent | undefined): void {
    this.checkVc(vc);
    this.rx.setSignalling(vc, agent);
  }

  /** Sets (or clears) the PDU tap (one: a capture); see AtmPduTap. */
  setPduTap(tap: AtmPduTap | undefined): void {
    this.tap.tap = tap;
  }

  /**
   * During a delivery: the cell train that carried the PDU's last cell (its birth and flow
   * tags say when and for which flow the sender made it); NO_FRAME otherwise.
   */
  get rxTrain(): number {
    return this.rx.rxTrainFrame;
  }

  /** Gives back a buffer a receiver kept. Throws if it is not one the NIC lent out. */
  returnBuffer(ptr: number): void {
    this.reassembler.returnBuffer(ptr);
  }

  /**
   * The host fails (Up -> Failed, final): pending trains and PDUs in reassembly are dropped,
   * later trains are released unread (failedTrains) and send() refuses (hostDown). False if
   * it had already failed.
   */
  fail(): boolean {
    this.live();
    if (this.hostState === AtmHostState.Failed) return false;
    this.hostState = AtmHostState.Failed;
    this.rx.fail();
    return true;
  }

  get failed(): boolean {
    return this.hostState === AtmHostState.Failed;
  }

  /** True between crash() and restart(). */
  get crashed(): boolean {
    return this.hostState === AtmHostState.Crashed;
  }

  /** Fail-stop, now (see the module contract). False when not up (crashed, or failed for good). */
  crash(): boolean {
    this.live();
    if (this.hostState !== AtmHostState.Up) return false;
    this.hostState = AtmHostState.Crashed;
    this.rx.crash();
    this.tx.crash();
    return true;
  }

  /** Up again with nothing in reassembly. False when not crashed. */
  restart(): boolean {
    this.live();
    if (this.hostState !== AtmHostState.Crashed) return false;
    this.hostState = AtmHostState.Up;
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Send and receive

  /** The attached link's cell clock (undefined before attach). */
  get cellClock(): CellClock | undefined {
    return this.clock;
  }

  /** Cells waiting in (or being sent by) the transmitter at time `now`. */
  txBacklog(): number {
    return this.tx.backlog();
  }

  /** Time the transmitter is busy until (ns). */
  txBusyUntil(): number {
    return this.tx.busyUntil();
  }

  /** Sends the PDU in `frame` on circuit `vc`; takes ownership. False = refused (counted). */
  send(vc: number, frame: number): boolean {
    this.checkVc(vc);
    if (this.hostState !== AtmHostState.Up) {
      return this.tx.refuse(frame, this.hostState === AtmHostState.Crashed ? AtmTxDrop.CRASHED : AtmTxDrop.HOST_DOWN);
    }
    return this.tx.send(vc, frame);
  }

  /** Copies `bytes` into a new frame and sends it (a convenience; send() is zero-copy). */
  sendBytes(vc: number, bytes: Uint8Array): boolean {
    this.checkVc(vc);
    const f = this.tx.copyIn(bytes);
    return f !== NO_FRAME && this.send(vc, f);
  }

  handleEvent(kind: number, a: number, _b: number, len: number): void {
    if (kind === EV_FRAME_RX) {
      if (this.hostState === AtmHostState.Up) this.rx.announce(a);
      else if (this.hostState === AtmHostState.Crashed) this.rx.dropCrashedTrain(a);
      else this.rx.dropTrain(a, true);
    } else if (kind === EV_ATM_NIC_TRAIN_END) {
      this.rx.trainEnd();
    } else if (kind === EV_ATM_NIC_TIMER) {
      this.rx.timerFired();
    } else if (kind === EV_SIGNAL_LOSS) {
      this.rx.signalLoss(len);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Stats and lifecycle

  vcStats(vc: number): AtmVcStats {
    this.checkVc(vc);
    const c = vc * VC_COUNTERS;
    const k = this.circuits.counters;
    const w = this.circuits.header[vc]!;
    return {
      vpi: this.circuits.vpiOf(w),
      vci: this.circuits.vciOf(w),
      parity: this.circuits.parity[vc] === 1,
      txPdus: k[c + VC_TX_PDUS]!,
      txCells: k[c + VC_TX_CELLS]!,
      txBytes: k[c + VC_TX_BYTES]!,
      rxCells: k[c + VC_RX_CELLS]!,
      rxPdus: k[c + VC_RX_PDUS]!,
      rxBytes: k[c + VC_RX_BYTES]!,
      rebuilt: k[c + VC_REBUILT]!,
      parityFailed: k[c + VC_PARITY_FAILED]!,
      parityMissing: k[c + VC_PARITY_MISSING]!,
      timeouts: k[c + VC_TIMEOUTS]!,
      reassembly: this.reassembler.stats(vc),
    };
  }

  stats(): AtmNicStats {
    const sum = (i: number): number => {
      let s = 0;
      for (let vc = 0; vc < this.maxVcs; vc++) s += this.circuits.counters[vc * VC_COUNTERS + i]!;
      return s;
    };
    const txDrops = {} as AtmNicStats["txDrops"];
    TX_DROP_NAMES.forEach((name, i) => (txDrops[name] = this.tx.drops[i]!));
    const rx = this.rx;
    return {
      txPdus: sum(VC_TX_PDUS),
      txCells: sum(VC_TX_CELLS),
      txBytes: sum(VC_TX_BYTES),
      txDrops,
      rxTrains: rx.rxTrains,
      rxCells: sum(VC_RX_CELLS),
      idleCells: rx.idleCells,
      hecCorrected: rx.hecCorrected,
      hecDiscarded: rx.hecDiscarded,
      unknownVc: rx.unknownVc,
      unassigned: rx.unassigned,
      oamCells: rx.oamCells,
      parityCells: rx.parityCells,
      parityUnused: rx.parityUnused,
      trainOverruns: rx.trainOverruns,
      failed: this.hostState === AtmHostState.Failed,
      failedTrains: rx.failedTrains,
      crashed: this.hostState === AtmHostState.Crashed,
      crashedTrains: rx.crashedTrains,
      signalLossCells: rx.signalLossCells,
      rxPdus: sum(VC_RX_PDUS),
      rxBytes: sum(VC_RX_BYTES),
      rebuilt: sum(VC_REBUILT),
      parityFailed: sum(VC_PARITY_FAILED),
      parityMissing: sum(VC_PARITY_MISSING),
      timeouts: sum(VC_TIMEOUTS),
      reassembly: this.reassembler.totals(),
    };
  }

  /** Releases pending trains and the heap regions. Buffers a receiver kept become invalid. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.rx.stop();
    this.reassembler.free();
    this.rx.free();
    this.tx.free();
  }

  private checkVc(vc: number): void {
    this.live();
    checkInteger("vc", vc, 0, this.maxVcs - 1);
  }

  private live(): void {
    if (this.destroyed) throw new NetloomError(ErrorCode.USE_AFTER_FREE, `${this.name} was destroyed`);
  }
}
