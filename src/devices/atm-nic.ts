// AtmNic: an ATM host interface with AAL5 (ITU-T I.363.5) on virtual circuits, over an AtmLink.
//
// Contract:
// - Circuits: openVc(vpi, vci, options) gives a circuit index (0 .. vcs - 1) used to send and
//   reported on receive; closeVc() releases it (aborting a PDU in reassembly). The NIC's port is
//   UNI (default) or NNI; VPI/VCI ranges follow the format.
// - Send: send(vc, frame) takes ownership of a frame holding one PDU (1 .. maxPdu bytes). The
//   AAL5 kernel segments it straight into a train frame (CPCS pad + trailer + CRC-32, HEC of
//   every cell, end of PDU on the last cell); the PDU frame is released. The train's cells are
//   scheduled on the transmitter (CellSerializer) back to back at the link's cell rate after
//   whatever is already queued, and the train goes to the link at once with its timing
//   metadata (the link announces it to the far end when its first cell arrives there). A PDU
//   whose cells do not fit one slot is segmented into a scratch region and copied into several
//   trains. Refused PDUs (closed circuit, too long, transmit backlog above txQueueLimit cells,
//   no slot) are released and counted by reason; send() then returns false. Never throws on
//   these; it throws NetloomError for a vc that is not a circuit index.
// - Optional parity cell (openVc parity: true): after a PDU's last data cell the NIC sends one
//   cell on the same circuit with PTI = 7 (reserved in I.361; marks "netloom parity") whose
//   payload is the XOR of the PDU's cell payloads. The receiver keeps a running XOR per
//   circuit; with it and the parity cell it rebuilds exactly one lost cell: a lost end-of-PDU
//   cell is rebuilt and fed to the reassembler (the parity cell delimits the PDU), a lost
//   middle cell is inserted at the position whose AAL5 CRC-32 matches (tried in order; a false
//   match has probability about N * 2^-32). Two lost cells cannot be rebuilt (parityFailed).
//   Switches treat PTI 4..7 cells as non-user-data: queued, never subject to EPD/PPD.
// - Receive: EV_FRAME_RX announces a train (first cell arrived); the NIC keeps it in a bounded
//   FIFO (pendingTrains; overflow drops the train, counted) and looks at cells only once they
//   have arrived: at the train's last-cell time (one self event) and before a reassembly-timer
//   check, cells with arrival <= now are processed in order. Per chunk of cells: the I.432.1
//   HEC check (Wasm, one call, only if the link flipped bits in this train; single-bit errors
//   corrected, multi-bit discarded, per-port mode word), idle/unassigned cells discarded (PHY),
//   unknown VPI/VCI counted, OAM/RM cells counted and dropped, user data cells handed to the
//   Aal5Reassembler kernel in one call (bounded buffers, per-circuit bound maxPdu). CRC, length,
//   lost-cell and no-buffer errors are the kernel's counted drops. Delivery time is the end of
//   the train that carried the end-of-PDU cell (up to one train after the end cell: trains
//   from NICs end on a PDU end, so on a path without merging it is exact).
// - Reassembly timeout: a circuit with a PDU in progress whose last cell is older than
//   reassemblyTimeout has it aborted (kernel abort, counted as timeouts). One timer per NIC,
//   armed at the earliest deadline while any circuit is in progress.
// - Delivery: to the receiver (setReceiver) as (vc, ptr, length, uu): the PDU's bytes are
//   runtime.u8[ptr, ptr + length) in the reassembler's buffer (no copy, U-Net style). If
//   deliver() returns true the receiver keeps the buffer and must give it back with
//   returnBuffer(ptr); false (or no receiver) returns it at once. Held buffers are taken from
//   the bounded pool: a receiver that never returns them makes the NIC drop (noBuffer).
// - No allocation per cell, train or PDU on these paths; kernel calls are per chunk of cells.
// - destroy() frees the heap regions; pending trains are released.
// - Signalling hook (setSignalling): PDUs delivered on the signalling circuit (the agent
//   opens VPI 0 / VCI 5, src/devices/atm-signalling.ts) go to the agent, not to the
//   receiver; the buffer is returned as soon as the agent has parsed it.
// - Host failure (fail()): the host stops. Trains that arrive are released and counted
//   (failedTrains), send() refuses (txDrops.hostDown), pending trains and PDUs in reassembly
//   are dropped. A failed host never comes back (no recovery); circuits stay as they were so
//   stats still read.
// - Not handled: traffic shaping per circuit (cells leave at the link rate), OAM processing,
//   CLP tagging, AAL1/2/3-4.
// - Tap (setPduTap): one observer of every PDU sent (accepted by send(), with its macTx hit) and
//   delivered (its bytes in the reassembly buffer): LINKTYPE_SUNATM captures hang on it
//   (src/run/atm-capture.ts). During a delivery, rxTrain is the train that carried the last
//   cell (its birth/flow tags: IP over ATM keeps them on the datagram it rebuilds).
//
// State machines:
//   per circuit (receive):  Idle --user cell--> Assembling --end cell (OK / error)--> Idle
//                           Assembling --timeout--> Idle (aborted)
//                           [parity] end cell with LOST_CELLS --> AwaitParity
//                           AwaitParity --parity cell--> Idle (rebuilt or parityFailed)
//                           AwaitParity --user cell / timeout--> Idle (parityMissing)
//   reassembly timer:       Idle --a circuit starts assembling--> Armed --fire--> Armed | Idle
//   transmitter:            the CellSerializer: Idle (busyUntil <= now) | Busy; no events.
//   host:                   Up --fail()--> Failed (final).

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import { parseDuration } from "../base/units.js";
import { NO_FRAME } from "../buf/frames.js";
import type { Simulation } from "../engine/simulation.js";
import { FRAME_VEC_ARG, FRAME_VEC_LEN, FRAME_VEC_OUT, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "../kernels/abi.js";
import { AAL5_STATUS, Aal5Reassembler, aal5CellCount, aal5SegmentInto, type Aal5Counters } from "../kernels/aal5.js";
import { ChecksumKernels, HecStatus } from "../kernels/checksum.js";
import type { KernelRuntime } from "../kernels/runtime.js";
import { DropReason } from "../trace/trace-point.js";
import {
  ATM_CELL_LEN,
  ATM_PAYLOAD_LEN,
  HDR_END_OF_PDU,
  HDR_NOT_USER_DATA,
  IDLE_HEADER_WORD,
  PTI_RESERVED,
  packAtmHeader,
  type AtmHeaderFormat,
} from "../wire/atm-cell.js";
import {
  AtmLink,
  CellSerializer,
  TRAIN_HEADERS_DIRTY,
  trainTable,
  type CellClock,
  type TrainTable,
} from "./atm-link.js";
import { Device, EV_DEVICE_BASE, EV_FRAME_RX, type Channel } from "./device.js";

/** The last cell of the pending train at the head has arrived (a = unused). */
export const EV_ATM_NIC_TRAIN_END = EV_DEVICE_BASE;
/** The reassembly timer. */
export const EV_ATM_NIC_TIMER = EV_DEVICE_BASE + 1;

export const ReassemblyTimerState = { Idle: 0, Armed: 1 } as const;
export const AtmHostState = { Up: 0, Failed: 1 } as const;
export type AtmHostState = (typeof AtmHostState)[keyof typeof AtmHostState];
export type ReassemblyTimerState = (typeof ReassemblyTimerState)[keyof typeof ReassemblyTimerState];

/** Why the NIC refused a PDU or dropped cells (counter names in stats). */
export const AtmTxDrop = { CLOSED_VC: 0, TOO_LONG: 1, QUEUE_FULL: 2, NO_SLOT: 3, HOST_DOWN: 4 } as const;
const TX_DROP_NAMES = ["closedVc", "tooLong", "queueFull", "noSlot", "hostDown"] as const;
const TX_DROP_REASON = [
  DropReason.NOT_ATTACHED,
  DropReason.TOO_LONG,
  DropReason.QUEUE_FULL,
  DropReason.NO_SLOT,
  DropReason.NOT_ATTACHED,
];

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

export interface AtmVcOptions {
  /** Send a parity cell after each PDU and rebuild one lost cell on receive (default false). */
  parity?: boolean;
  /** CPCS-UU octet of PDUs sent (default 0). */
  uu?: number;
}

/**
 * Sees every PDU the NIC sends (tx = true, at send(), before segmentation) and every PDU it
 * delivers (tx = false): bytes u8[ptr, ptr + length), the CPCS-PDU payload without pad and
 * trailer. For captures (LINKTYPE_SUNATM); it must not keep or change the bytes.
 */
export interface AtmPduTap {
  pdu(time: number, vpi: number, vci: number, u8: Uint8Array, ptr: number, length: number, tx: boolean): void;
}

/** The host's signalling agent: takes the PDUs of the signalling circuit. */
export interface AtmSignallingAgent {
  /** A signalling PDU: runtime.u8[ptr, ptr + length); valid only during the call. */
  deliverSignal(ptr: number, length: number): void;
}

/** Receives reassembled PDUs (zero-copy: the bytes stay in the NIC's buffer). */
export interface AtmReceiver {
  /**
   * A PDU on circuit `vc`: runtime.u8[ptr, ptr + length), CPCS-UU `uu`. Return true to keep the
   * buffer (then call nic.returnBuffer(ptr) when done), false to let the NIC take it back now.
   */
  deliver(vc: number, ptr: number, length: number, uu: number): boolean;
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
  rxPdus: number;
  rxBytes: number;
  rebuilt: number;
  parityFailed: number;
  parityMissing: number;
  timeouts: number;
  /** Reassembly kernel totals (badCrc, badLength, lostCells, noBuffer, ...). */
  reassembly: ReturnType<Aal5Reassembler["totals"]>;
}

export class AtmNic extends Device {
  readonly format: AtmHeaderFormat;
  readonly maxVcs: number;
  readonly maxPdu: number;
  readonly reassemblyTimeoutNs: number;
  readonly txQueueLimit: number;
  readonly reassembler: Aal5Reassembler;
  private readonly rt: KernelRuntime;
  private readonly kernels: ChecksumKernels;
  private readonly table: TrainTable;
  private receiver: AtmReceiver | undefined;
  private tap: AtmPduTap | undefined;
  private rxTrainFrame = NO_FRAME;
  private link: AtmLink | undefined;
  private linkEnd = 0;
  private clock: CellClock | undefined;
  private tx: CellSerializer | undefined;
  private readonly trainCap: number;

  // Circuits (index = circuit = reassembler circuit).
  private readonly vcMap = new Map<number, number>();
  private readonly vcOpen: Uint8Array;
  private readonly vcHeader: Uint32Array;
  private readonly vcParity: Uint8Array;
  private readonly vcUu: Uint8Array;
  private readonly keyMask: number;
  private lastKey = -1;
  private lastVc = -1;

  // Per-circuit receive state.
  private readonly sinceEnd: Int32Array;
  private readonly lastCell: Float64Array;
  private readonly xor: Uint8Array;
  private readonly xorClosed: Uint8Array;
  private readonly parked: Uint32Array;
  private readonly parkedLen: Int32Array;
  private inProgress = 0;
  private parkedCount = 0;

  // Per-circuit counters: [txPdus, txCells, txBytes, rxCells, rxPdus, rxBytes, rebuilt,
  // parityFailed, parityMissing, timeouts].
  private readonly vcCounters: Float64Array;

  // Totals.
  private readonly txDrops = new Float64Array(TX_DROP_NAMES.length);
  private rxTrains = 0;
  private idleCells = 0;
  private hecCorrected = 0;
  private hecDiscarded = 0;
  private unknownVc = 0;
  private unassigned = 0;
  private oamCells = 0;
  private parityCells = 0;
  private parityUnused = 0;
  private trainOverruns = 0;
  private failedTrains = 0;
  private hostState: AtmHostState = AtmHostState.Up;
  private sigVc = -1;
  private sigAgent: AtmSignallingAgent | undefined;

  // Pending trains (announced, not yet fully processed).
  private readonly pendFrame: Int32Array;
  private readonly pendNext: Int32Array;
  private pendHead = 0;
  private pendCount = 0;

  // Reassembly timer.
  timerState: ReassemblyTimerState = ReassemblyTimerState.Idle;
  private timerHandle = -1;

  // Heap: HEC vector, reassembly vector (+1 entry for an injected cell), scratch cell, mode word.
  private readonly region: number;
  private readonly hecVec: number;
  private readonly rxVec: number;
  private readonly injectVec: number;
  private readonly scratchCell: number;
  private readonly modeWord: number;
  private segScratch = 0;
  private injecting = -1;
  private injectedOk = false;
  private readonly parityAcc = new Uint8Array(ATM_PAYLOAD_LEN);
  private readonly repair = new Uint8Array(ATM_PAYLOAD_LEN);
  private readonly onCompletionBound: (
    circuit: number,
    ptr: number,
    length: number,
    status: number,
    uuCpi: number,
  ) => void;
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
    this.keyMask = format === "uni" ? 0xffffff : 0xfffffff;
    this.rt = sim.runtime;
    this.kernels = new ChecksumKernels(sim.runtime);
    this.table = trainTable(sim.frames);
    this.trainCap = Math.floor(sim.frames.pool.slotBytes / ATM_CELL_LEN);
    if (this.trainCap < 2) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "frame slots must hold at least two cells (106 bytes)", {
        path: name,
      });
    }
    this.vcOpen = new Uint8Array(vcs);
    this.vcHeader = new Uint32Array(vcs);
    this.vcParity = new Uint8Array(vcs);
    this.vcUu = new Uint8Array(vcs);
    this.sinceEnd = new Int32Array(vcs);
    this.lastCell = new Float64Array(vcs);
    this.xor = new Uint8Array(vcs * ATM_PAYLOAD_LEN);
    this.xorClosed = new Uint8Array(vcs);
    this.parked = new Uint32Array(vcs);
    this.parkedLen = new Int32Array(vcs);
    this.vcCounters = new Float64Array(vcs * 10);
    this.pendFrame = new Int32Array(pending);
    this.pendNext = new Int32Array(pending);
    this.reassembler = Aal5Reassembler.create({
      circuits: vcs,
      buffers,
      maxPduBytes: maxPdu,
      checkHec: false, // the PHY (hecCheckBatch) already did, with correction
      deliverErrors: true, // errored PDUs come back so a parity cell can repair them
      runtime: sim.runtime,
    });
    const vecBytes = (this.trainCap + 1) * FRAME_VEC_STRIDE;
    try {
      this.region = sim.runtime.heap.alloc(vecBytes * 2 + FRAME_VEC_STRIDE + 64 + 64);
    } catch (err) {
      this.reassembler.free();
      throw err;
    }
    this.hecVec = this.region;
    this.rxVec = this.region + vecBytes;
    this.injectVec = this.rxVec + vecBytes;
    this.scratchCell = this.injectVec + FRAME_VEC_STRIDE;
    this.modeWord = this.scratchCell + 64;
    const u32 = this.rt.u32;
    for (let i = 0; i <= this.trainCap; i++) {
      u32[(this.hecVec + i * FRAME_VEC_STRIDE + FRAME_VEC_LEN) >>> 2] = ATM_CELL_LEN;
      u32[(this.rxVec + i * FRAME_VEC_STRIDE + FRAME_VEC_LEN) >>> 2] = ATM_CELL_LEN;
    }
    u32[(this.injectVec + FRAME_VEC_PTR) >>> 2] = this.scratchCell;
    u32[(this.injectVec + FRAME_VEC_LEN) >>> 2] = ATM_CELL_LEN;
    this.onCompletionBound = this.onCompletion.bind(this);
  }

  override attach(port: number, channel: Channel, end: number): void {
    if (!(channel instanceof AtmLink)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${this.name} attaches only to an AtmLink`, {
        path: channel.name,
      });
    }
    super.attach(port, channel, end);
    this.link = channel;
    this.linkEnd = end;
    this.clock = channel.clock;
    this.tx = new CellSerializer(channel.clock);
    this.tx.busyUntil = this.sim.now;
    this.tx.base = this.sim.now;
  }

  /** Opens a circuit on (vpi, vci); returns its index. Throws on a duplicate or a full table. */
  openVc(vpi: number, vci: number, options: AtmVcOptions = {}): number {
    this.live();
    checkInteger("vpi", vpi, 0, this.format === "uni" ? 0xff : 0xfff);
    checkInteger("vci", vci, 0, 0xffff);
    checkInteger("uu", options.uu ?? 0, 0, 255);
    const key = ((vpi << 16) | vci) & this.keyMask;
    if (this.vcMap.has(key)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `VPI/VCI ${vpi}/${vci} is already open on ${this.name}`, {
        path: "vci",
      });
    }
    let vc = -1;
    for (let i = 0; i < this.maxVcs; i++) {
      if (this.vcOpen[i] === 0) {
        vc = i;
        break;
      }
    }
    if (vc < 0) {
      throw new NetloomError(ErrorCode.TABLE_FULL, `${this.name} has ${this.maxVcs} circuits open`, { path: "vci" });
    }
    this.vcOpen[vc] = 1;
    this.vcHeader[vc] = packAtmHeader(this.format, 0, vpi, vci, 0, 0);
    this.vcParity[vc] = options.parity === true ? 1 : 0;
    this.vcUu[vc] = options.uu ?? 0;
    this.sinceEnd[vc] = 0;
    this.xorClosed[vc] = 1;
    this.vcCounters.fill(0, vc * 10, vc * 10 + 10);
    this.vcMap.set(key, vc);
    this.lastKey = -1;
    return vc;
  }

  /** Closes a circuit: a PDU in reassembly is aborted, a buffer awaiting parity returned. */
  closeVc(vc: number): void {
    this.checkVc(vc);
    // Closing twice must not unmap a circuit that reopened the same VPI/VCI meanwhile.
    if (this.vcOpen[vc] === 0) return;
    if (vc === this.sigVc) {
      this.sigVc = -1;
      this.sigAgent = undefined;
    }
    this.vcMap.delete((this.vcHeader[vc]! >>> 4) & this.keyMask);
    this.lastKey = -1;
    this.reassembler.abort(vc);
    if (this.sinceEnd[vc]! > 0) this.inProgress--;
    this.sinceEnd[vc] = 0;
    this.dropParked(vc, false);
    this.vcOpen[vc] = 0;
  }

  /** True when circuit `vc` is open. */
  isOpen(vc: number): boolean {
    this.checkVc(vc);
    return this.vcOpen[vc] === 1;
  }

  /** Circuit index of (vpi, vci), or -1. */
  vcOf(vpi: number, vci: number): number {
    return this.vcMap.get(((vpi << 16) | vci) & this.keyMask) ?? -1;
  }

  setReceiver(receiver: AtmReceiver | undefined): void {
    this.receiver = receiver;
  }

  /** Routes PDUs of circuit `vc` (the signalling circuit) to `agent`; undefined clears it. */
  setSignalling(vc: number, agent: AtmSignallingAgent | undefined): void {
    this.checkVc(vc);
    this.sigVc = agent === undefined ? -1 : vc;
    this.sigAgent = agent;
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
    const frames = this.sim.frames;
    while (this.pendCount > 0) {
      frames.release(this.pendFrame[this.pendHead]!);
      this.pendHead = (this.pendHead + 1) % this.pendFrame.length;
      this.pendCount--;
    }
    if (this.timerHandle >= 0) this.sim.scheduler.cancel(this.timerHandle);
    this.timerHandle = -1;
    this.timerState = ReassemblyTimerState.Idle;
    for (let vc = 0; vc < this.maxVcs; vc++) {
      if (this.vcOpen[vc] === 0) continue;
      if (this.sinceEnd[vc]! > 0) this.reassembler.abort(vc);
      this.sinceEnd[vc] = 0;
      this.dropParked(vc, false);
    }
    this.inProgress = 0;
    return true;
  }

  get failed(): boolean {
    return this.hostState === AtmHostState.Failed;
  }

  /** Sets (or clears) the PDU tap (one: a capture); see AtmPduTap. */
  setPduTap(tap: AtmPduTap | undefined): void {
    this.tap = tap;
  }

  /**
   * During a delivery: the cell train that carried the PDU's last cell (its birth and flow
   * tags say when and for which flow the sender made it); NO_FRAME otherwise.
   */
  get rxTrain(): number {
    return this.rxTrainFrame;
  }

  /** (vpi, vci) of an open circuit. */
  vcAddress(vc: number): { vpi: number; vci: number } {
    this.checkVc(vc);
    const w = this.vcHeader[vc]!;
    return { vpi: (w >>> 20) & (this.format === "uni" ? 0xff : 0xfff), vci: (w >>> 4) & 0xffff };
  }

  /** Gives back a buffer a receiver kept. Throws if it is not one the NIC lent out. */
  returnBuffer(ptr: number): void {
    this.reassembler.returnBuffer(ptr);
  }

  /** The attached link's cell clock (undefined before attach). */
  get cellClock(): CellClock | undefined {
    return this.clock;
  }

  /** Cells waiting in (or being sent by) the transmitter at time `now`. */
  txBacklog(): number {
    return this.tx === undefined ? 0 : this.tx.occupancy(this.sim.now);
  }

  /** Time the transmitter is busy until (ns). */
  txBusyUntil(): number {
    return this.tx === undefined ? this.sim.now : Math.max(this.sim.now, this.tx.busyUntil);
  }

  // -------------------------------------------------------------------------------------------
  // Send

  /** Sends the PDU in `frame` on circuit `vc`; takes ownership. False = refused (counted). */
  send(vc: number, frame: number): boolean {
    this.checkVc(vc);
    const frames = this.sim.frames;
    const len = frames.length[frame]!;
    if (this.hostState !== AtmHostState.Up) return this.refuse(frame, len, AtmTxDrop.HOST_DOWN);
    if (this.vcOpen[vc] === 0 || this.tx === undefined) return this.refuse(frame, len, AtmTxDrop.CLOSED_VC);
    if (len < 1 || len > this.maxPdu) return this.refuse(frame, len, AtmTxDrop.TOO_LONG);
    const parity = this.vcParity[vc]!;
    const dataCells = aal5CellCount(len);
    const total = dataCells + parity;
    const now = this.sim.now;
    if (this.tx.occupancy(now) + total > this.txQueueLimit) return this.refuse(frame, len, AtmTxDrop.QUEUE_FULL);
    const rt = this.rt;
    const header = this.vcHeader[vc]!;
    const uu = this.vcUu[vc]!;
    if (total <= this.trainCap) {
      const t = frames.alloc(0, now, frames.flow[frame]!);
      if (t === NO_FRAME) return this.refuse(frame, len, AtmTxDrop.NO_SLOT);
      const out = frames.offset(t);
      aal5SegmentInto(rt, frames.offset(frame), len, header, out, this.trainCap, { uu });
      if (parity !== 0) this.writeParityCell(out, 0, dataCells, header);
      frames.setLength(t, total * ATM_CELL_LEN);
      if (this.tap !== undefined) this.tapPdu(header, frames.offset(frame), len, true);
      this.trace[0]!.macTx.hit(now, frame, len);
      frames.release(frame);
      this.sendTrain(t, total);
    } else {
      // Larger than one slot: segment into scratch, then cut into trains (all slots first).
      const trains = Math.ceil(total / this.trainCap);
      if (frames.pool.stats().capacity - frames.pool.stats().inUse < trains)
        return this.refuse(frame, len, AtmTxDrop.NO_SLOT);
      if (this.segScratch === 0) this.segScratch = rt.heap.alloc((aal5CellCount(65535) + 1) * ATM_CELL_LEN);
      aal5SegmentInto(rt, frames.offset(frame), len, header, this.segScratch, aal5CellCount(65535), { uu });
      if (parity !== 0) this.writeParityCell(this.segScratch, 0, dataCells, header);
      if (this.tap !== undefined) this.tapPdu(header, frames.offset(frame), len, true);
      this.trace[0]!.macTx.hit(now, frame, len);
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
    }
    const c = vc * 10;
    this.vcCounters[c]!++;
    this.vcCounters[c + 1]! += total;
    this.vcCounters[c + 2]! += len;
    return true;
  }

  /** Copies `bytes` into a new frame and sends it (a convenience; send() is zero-copy). */
  sendBytes(vc: number, bytes: Uint8Array): boolean {
    this.checkVc(vc);
    const frames = this.sim.frames;
    const f = frames.alloc(0, this.sim.now);
    if (f === NO_FRAME) {
      this.txDrops[AtmTxDrop.NO_SLOT]!++;
      return false;
    }
    if (bytes.length > frames.pool.slotBytes) {
      frames.release(f);
      this.txDrops[AtmTxDrop.TOO_LONG]!++;
      return false;
    }
    this.rt.u8.set(bytes, frames.offset(f));
    frames.setLength(f, bytes.length);
    return this.send(vc, f);
  }

  private refuse(frame: number, len: number, why: number): false {
    this.txDrops[why]!++;
    this.trace[0]!.macTxDrop.hit(this.sim.now, frame, len, TX_DROP_REASON[why]!);
    this.sim.frames.release(frame);
    return false;
  }

  /** Writes the parity cell after `n` data cells at cells[first..]: XOR of their payloads. */
  private writeParityCell(cells: number, first: number, n: number, header: number): void {
    const u8 = this.rt.u8;
    const acc = this.parityAcc;
    acc.fill(0);
    for (let k = 0; k < n; k++) {
      const p = cells + (first + k) * ATM_CELL_LEN + 5;
      for (let b = 0; b < ATM_PAYLOAD_LEN; b++) acc[b]! ^= u8[p + b]!;
    }
    const c = cells + (first + n) * ATM_CELL_LEN;
    const word = (header | (PTI_RESERVED << 1)) >>> 0;
    u8[c] = word >>> 24;
    u8[c + 1] = (word >>> 16) & 0xff;
    u8[c + 2] = (word >>> 8) & 0xff;
    u8[c + 3] = word & 0xff;
    u8[c + 4] = this.kernels.atmHecAt(c);
    u8.set(acc, c + 5);
  }

  private sendTrain(t: number, cells: number): void {
    const tx = this.tx!;
    tx.rebase();
    const j0 = tx.scheduleRun(this.sim.now, cells);
    this.table.base[t] = tx.base;
    this.table.index[t] = j0;
    this.link!.transmit(this.linkEnd, t);
  }

  // -------------------------------------------------------------------------------------------
  // Receive

  handleEvent(kind: number, a: number, _b: number, _len: number): void {
    if (kind === EV_FRAME_RX) {
      this.announce(a);
    } else if (kind === EV_ATM_NIC_TRAIN_END) {
      this.advance(this.sim.now);
      this.armTimer();
    } else if (kind === EV_ATM_NIC_TIMER) {
      this.timerState = ReassemblyTimerState.Idle;
      this.timerHandle = -1;
      this.advance(this.sim.now);
      this.expire(this.sim.now);
      this.armTimer();
    }
  }

  private announce(frame: number): void {
    const frames = this.sim.frames;
    if (
      this.pendCount === this.pendFrame.length ||
      this.destroyed ||
      this.clock === undefined ||
      this.hostState !== AtmHostState.Up
    ) {
      if (this.hostState !== AtmHostState.Up) this.failedTrains++;
      else this.trainOverruns++;
      this.trace[0]!.phyRxDrop.hit(this.sim.now, frame, frames.length[frame]!, DropReason.NO_RX_BUFFER);
      frames.release(frame);
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
    this.sim.scheduler.scheduleAt(this.id, last > now ? last : now, this.id, EV_ATM_NIC_TRAIN_END, 0, 0, 0);
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
        this.processCells(f, from, upto);
        this.pendNext[slot] = upto;
      }
      if (upto < n) break;
      frames.release(f);
      this.pendHead = (slot + 1) % cap;
      this.pendCount--;
    }
  }

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
    const keyMask = this.keyMask;
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
      const key = (w >>> 4) & keyMask;
      if (key !== this.lastKey) {
        this.lastKey = key;
        this.lastVc = this.vcMap.get(key) ?? -1;
      }
      const vc = this.lastVc;
      if (vc < 0) {
        if ((w & 0x0fffffff) === 0) this.unassigned++;
        else this.unknownVc++;
        continue;
      }
      this.vcCounters[vc * 10 + 3]!++;
      if ((w & HDR_NOT_USER_DATA) !== 0) {
        if (((w >>> 1) & 7) === PTI_RESERVED && this.vcParity[vc] === 1) {
          if (nv > 0) this.pushCells(nv);
          nv = 0;
          this.onParityCell(vc, c + 5);
        } else {
          this.oamCells++;
        }
        continue;
      }
      if (this.parked[vc] !== 0) this.dropParked(vc, true);
      this.lastCell[vc] = base + Math.ceil(((j0 + i + 1) * num) / den);
      if (this.vcParity[vc] === 1) {
        const x = vc * ATM_PAYLOAD_LEN;
        const xor = this.xor;
        if (this.xorClosed[vc] === 1) {
          xor.fill(0, x, x + ATM_PAYLOAD_LEN);
          this.xorClosed[vc] = 0;
        }
        for (let b = 0; b < ATM_PAYLOAD_LEN; b++) xor[x + b]! ^= u8[c + 5 + b]!;
        if ((w & HDR_END_OF_PDU) !== 0) this.xorClosed[vc] = 1;
      }
      if ((w & HDR_END_OF_PDU) !== 0) {
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
    if (status === AAL5_STATUS.LOST_CELLS && this.vcParity[circuit] === 1 && circuit !== this.injecting) {
      if (this.parked[circuit] !== 0) this.dropParked(circuit, true);
      this.parked[circuit] = ptr;
      this.parkedLen[circuit] = length;
      this.parkedCount++;
      return;
    }
    // Counted by the kernel (badCrc, badLength, lostCells, ...).
    this.reassembler.returnBuffer(ptr);
  }

  private deliver(vc: number, ptr: number, length: number, uu: number): void {
    const c = vc * 10;
    this.vcCounters[c + 4]!++;
    this.vcCounters[c + 5]! += length;
    if (this.tap !== undefined) this.tapPdu(this.vcHeader[vc]!, ptr, length, false);
    if (vc === this.sigVc) {
      this.sigAgent!.deliverSignal(ptr, length);
      this.reassembler.returnBuffer(ptr);
      return;
    }
    const r = this.receiver;
    if (r === undefined || !r.deliver(vc, ptr, length, uu)) this.reassembler.returnBuffer(ptr);
  }

  private tapPdu(header: number, ptr: number, length: number, tx: boolean): void {
    const vpi = (header >>> 20) & (this.format === "uni" ? 0xff : 0xfff);
    this.tap!.pdu(this.sim.now, vpi, (header >>> 4) & 0xffff, this.rt.u8, ptr, length, tx);
  }

  private dropParked(vc: number, count: boolean): void {
    if (this.parked[vc] === 0) return;
    this.reassembler.returnBuffer(this.parked[vc]!);
    this.parked[vc] = 0;
    this.parkedCount--;
    if (count) this.vcCounters[vc * 10 + 8]!++;
  }

  /** A parity cell for `vc` whose payload is at `payload` in kernel memory. */
  private onParityCell(vc: number, payload: number): void {
    this.parityCells++;
    const u8 = this.rt.u8;
    const missing = this.repair;
    const x = vc * ATM_PAYLOAD_LEN;
    // The running XOR holds this PDU's cells (it is cleared at every parity cell and at the
    // first cell after an end), so parity ^ XOR is the one missing payload.
    for (let b = 0; b < ATM_PAYLOAD_LEN; b++) missing[b] = u8[payload + b]! ^ this.xor[x + b]!;
    this.xor.fill(0, x, x + ATM_PAYLOAD_LEN);
    this.xorClosed[vc] = 0;
    if (this.parked[vc] !== 0) {
      this.insertMissing(vc);
    } else if (this.sinceEnd[vc]! > 0) {
      // The end-of-PDU cell was lost: rebuild it and let the reassembler finish the PDU.
      this.inProgress--;
      this.sinceEnd[vc] = 0;
      const cell = this.scratchCell;
      const word = (this.vcHeader[vc]! | HDR_END_OF_PDU) >>> 0;
      u8[cell] = word >>> 24;
      u8[cell + 1] = (word >>> 16) & 0xff;
      u8[cell + 2] = (word >>> 8) & 0xff;
      u8[cell + 3] = word & 0xff;
      u8[cell + 4] = this.kernels.atmHecAt(cell);
      u8.set(missing, cell + 5);
      this.rt.u32[(this.injectVec + FRAME_VEC_ARG) >>> 2] = vc;
      this.injecting = vc;
      this.injectedOk = false;
      this.reassembler.pushCells(this.injectVec, 1);
      if (this.reassembler.queuedCompletions > 0) this.reassembler.drainCompletions(this.onCompletionBound);
      this.injecting = -1;
      this.vcCounters[vc * 10 + (this.injectedOk ? 6 : 7)]!++;
    } else {
      this.parityUnused++;
    }
  }

  /** Inserts the rebuilt payload into the parked PDU where the AAL5 CRC matches. */
  private insertMissing(vc: number): void {
    const ptr = this.parked[vc]!;
    const got = this.parkedLen[vc]!;
    this.parked[vc] = 0;
    this.parkedCount--;
    const u8 = this.rt.u8;
    const length = (u8[ptr + got - 6]! << 8) | u8[ptr + got - 5]!;
    const n = aal5CellCount(length === 0 ? 1 : length);
    const total = n * ATM_PAYLOAD_LEN;
    if (length === 0 || got !== total - ATM_PAYLOAD_LEN || total > this.reassembler.bufferBytes) {
      this.vcCounters[vc * 10 + 7]!++;
      this.reassembler.returnBuffer(ptr);
      return;
    }
    // Start with the missing cell first, then move it one position at a time; the CRC of the
    // blocks before it is carried forward.
    u8.copyWithin(ptr + ATM_PAYLOAD_LEN, ptr, ptr + got);
    u8.set(this.repair, ptr);
    const trailer = ptr + total - 8;
    const want =
      ((u8[trailer + 4]! << 24) | (u8[trailer + 5]! << 16) | (u8[trailer + 6]! << 8) | u8[trailer + 7]!) >>> 0;
    let prefix = 0;
    for (let p = 0; p < n - 1; p++) {
      const at = ptr + p * ATM_PAYLOAD_LEN;
      const crc = this.kernels.crc32Aal5At(at, total - 4 - p * ATM_PAYLOAD_LEN, prefix);
      if (crc === want) {
        this.vcCounters[vc * 10 + 6]!++;
        this.deliver(vc, ptr, length, u8[trailer]!);
        return;
      }
      // Swap the missing block with the next one.
      u8.copyWithin(at, at + ATM_PAYLOAD_LEN, at + 2 * ATM_PAYLOAD_LEN);
      u8.set(this.repair, at + ATM_PAYLOAD_LEN);
      prefix = this.kernels.crc32Aal5At(at, ATM_PAYLOAD_LEN, prefix);
    }
    this.vcCounters[vc * 10 + 7]!++;
    this.reassembler.returnBuffer(ptr);
  }

  /** Aborts every PDU in progress whose last cell is older than the timeout. */
  private expire(now: number): void {
    const timeout = this.reassemblyTimeoutNs;
    for (let vc = 0; vc < this.maxVcs; vc++) {
      if (this.vcOpen[vc] === 0 || this.lastCell[vc]! + timeout > now) continue;
      if (this.sinceEnd[vc]! > 0) {
        this.reassembler.abort(vc);
        this.sinceEnd[vc] = 0;
        this.inProgress--;
        this.xorClosed[vc] = 1;
        this.vcCounters[vc * 10 + 9]!++;
      }
      if (this.parked[vc] !== 0) this.dropParked(vc, true);
    }
  }

  private armTimer(): void {
    if (this.timerState === ReassemblyTimerState.Armed || (this.inProgress === 0 && this.parkedCount === 0)) return;
    let earliest = Infinity;
    for (let vc = 0; vc < this.maxVcs; vc++) {
      if (this.vcOpen[vc] === 1 && (this.sinceEnd[vc]! > 0 || this.parked[vc] !== 0)) {
        const d = this.lastCell[vc]! + this.reassemblyTimeoutNs;
        if (d < earliest) earliest = d;
      }
    }
    if (earliest === Infinity) return;
    const now = this.sim.now;
    this.timerState = ReassemblyTimerState.Armed;
    this.timerHandle = this.sim.scheduler.scheduleAt(
      this.id,
      earliest > now ? earliest : now,
      this.id,
      EV_ATM_NIC_TIMER,
      0,
      0,
      0,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Stats and lifecycle

  vcStats(vc: number): AtmVcStats {
    this.checkVc(vc);
    const c = vc * 10;
    const k = this.vcCounters;
    const w = this.vcHeader[vc]!;
    return {
      vpi: (w >>> 20) & (this.format === "uni" ? 0xff : 0xfff),
      vci: (w >>> 4) & 0xffff,
      parity: this.vcParity[vc] === 1,
      txPdus: k[c]!,
      txCells: k[c + 1]!,
      txBytes: k[c + 2]!,
      rxCells: k[c + 3]!,
      rxPdus: k[c + 4]!,
      rxBytes: k[c + 5]!,
      rebuilt: k[c + 6]!,
      parityFailed: k[c + 7]!,
      parityMissing: k[c + 8]!,
      timeouts: k[c + 9]!,
      reassembly: this.reassembler.stats(vc),
    };
  }

  stats(): AtmNicStats {
    const sum = (i: number): number => {
      let s = 0;
      for (let vc = 0; vc < this.maxVcs; vc++) s += this.vcCounters[vc * 10 + i]!;
      return s;
    };
    const txDrops = {} as AtmNicStats["txDrops"];
    TX_DROP_NAMES.forEach((name, i) => (txDrops[name] = this.txDrops[i]!));
    return {
      txPdus: sum(0),
      txCells: sum(1),
      txBytes: sum(2),
      txDrops,
      rxTrains: this.rxTrains,
      rxCells: sum(3),
      idleCells: this.idleCells,
      hecCorrected: this.hecCorrected,
      hecDiscarded: this.hecDiscarded,
      unknownVc: this.unknownVc,
      unassigned: this.unassigned,
      oamCells: this.oamCells,
      parityCells: this.parityCells,
      parityUnused: this.parityUnused,
      trainOverruns: this.trainOverruns,
      failed: this.hostState === AtmHostState.Failed,
      failedTrains: this.failedTrains,
      rxPdus: sum(4),
      rxBytes: sum(5),
      rebuilt: sum(6),
      parityFailed: sum(7),
      parityMissing: sum(8),
      timeouts: sum(9),
      reassembly: this.reassembler.totals(),
    };
  }

  /** Releases pending trains and the heap regions. Buffers a receiver kept become invalid. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const frames = this.sim.frames;
    while (this.pendCount > 0) {
      frames.release(this.pendFrame[this.pendHead]!);
      this.pendHead = (this.pendHead + 1) % this.pendFrame.length;
      this.pendCount--;
    }
    if (this.timerHandle >= 0) this.sim.scheduler.cancel(this.timerHandle);
    this.reassembler.free();
    this.rt.heap.free(this.region);
    if (this.segScratch !== 0) this.rt.heap.free(this.segScratch);
  }

  private checkVc(vc: number): void {
    this.live();
    checkInteger("vc", vc, 0, this.maxVcs - 1);
  }

  private live(): void {
    if (this.destroyed) throw new NetloomError(ErrorCode.USE_AFTER_FREE, `${this.name} was destroyed`);
  }
}
