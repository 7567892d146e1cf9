// ATM signalling: switched virtual circuits opened along a route of output port numbers
// ("4.3.0.7": at each switch along the path, the output port to take), with the messages of
// src/wire/atm-signalling.ts sent as real AAL5 PDUs on the signalling channel (VPI 0, VCI 5)
// between a host and its switch and between switches.
//
// Contract:
// - SwitchSignalling(sw) is the control plane of one AtmSwitch (setControlPlane): it receives
//   every user cell of VCI 5 on any port, reassembles it with its own Aal5Reassembler (one
//   circuit per port, bounded buffers; CRC/length errors are the kernel's counted drops) and
//   sends its messages through sw.sendLocalCells (same output queues and policies as data).
//   HostSignalling(nic) is the agent of one AtmNic: it opens VPI 0 / VCI 5 on the NIC and
//   takes its PDUs (nic.setSignalling).
// - Every entity parses a message on arrival (a malformed one is dropped and counted by
//   SigParseError reason), queues it (bounded: queueLimit; overflow counted) and processes it
//   `delay` ns of virtual time later (the per-hop signalling processing time), in order.
// - Opening (host.open(route)): the host sends SETUP (VCI 0: "assign"). Each switch consumes
//   one route entry: the output port. It refuses with RELEASE COMPLETE and a cause when the
//   route is empty (ROUTE_TOO_SHORT: the route ended at a switch), the port does not exist
//   (PORT_OUT_OF_RANGE) or has no link (NOTHING_ATTACHED), the SETUP comes straight from a
//   host (hops 0) whose port is at its circuit limit (CIRCUIT_LIMIT; sw.setCircuitLimit), its
//   call table or VC table has no room for two entries (TABLE_FULL), or no VCI is free on the
//   input or output link (NO_VCI). Otherwise it allocates one VCI on each of the two links
//   from its own range (firstVci .. firstVci + vcis - 1, skipping any VCI its table already
//   uses on that port, e.g. PVCs), installs the backward entry, answers CALL PROCEEDING with
//   the VCI it receives on, and forwards SETUP with the rest of the route and the VCI it will
//   receive the backward cells on. A host that receives a SETUP with route entries left
//   refuses ROUTE_TOO_LONG; otherwise its acceptor decides (REFUSED) and it opens the NIC
//   circuit on the VCI offered (VCI_UNAVAILABLE / TABLE_FULL if the NIC cannot) and answers
//   CONNECT. A switch installs the forward entry when its downstream neighbour names its VCI
//   (CALL PROCEEDING or CONNECT) and passes CONNECT upstream. The caller opens its NIC circuit
//   at CALL PROCEEDING (so cells the callee sends right away find it) and reports
//   connected(call, vc) at CONNECT; failed(call, cause) on any refusal, or TIMEOUT when no
//   CONNECT came within setupTimeout (it then releases what was set up).
// - VCIs: each side of a link allocates the VCI it RECEIVES on (no glare between switches);
//   on a host's link the switch allocates and the host uses the same VCI both ways, as a UNI.
//   Only VPI 0 is used.
// - Release: either end's close(call) sends RELEASE(NORMAL); every switch removes both of
//   its entries, frees the VCIs, answers RELEASE COMPLETE and sends RELEASE on toward the other
//   end, whose application hears released(call, cause). A RELEASE COMPLETE in answer to a
//   SETUP (a refusal further on) tears down the same way back to the caller. Records are freed
//   when RELEASE is sent (the RELEASE COMPLETE that follows finds no call and is ignored).
// - Liveness: a switch polls each port that is the host end of one of its calls with STATUS
//   ENQUIRY every keepAliveInterval (only while such calls exist, so a switch with no calls
//   schedules nothing); a host answers STATUS. After keepAliveMisses polls without an answer
//   the host is declared failed: every call with that host as an end is torn down and
//   RELEASE(HOST_FAILED) goes along each path to the other end (counted: hostFailures,
//   releasedOnHostFailure). host.fail() makes a host (and its NIC) stop answering anything.
// - Bounded: calls per switch (maxCalls) and per host (maxCalls, also bounded by the NIC's
//   circuits), VCIs per port, the message queue, reassembly buffers. Message processing never
//   throws; API misuse (a bad route, a failed host, too many calls) throws NetloomError.
// - Not handled: link-down detection (AtmLink has no down state), retransmission of lost
//   signalling messages (SSCOP) other than the caller's timeout, recovery of a failed host,
//   point-to-multipoint, traffic contracts (every circuit is UBR).
//
// State machines:
//   switch call:  (SETUP accepted) Proceeding --CALL PROCEEDING from downstream--> Routed
//                 Proceeding | Routed --CONNECT from downstream--> Active
//                 any --RELEASE / RELEASE COMPLETE from either side, host failure--> freed
//   host call (caller): Calling --CALL PROCEEDING--> Proceeding --CONNECT--> Active
//                 Calling | Proceeding --timeout / RELEASE (COMPLETE)--> freed (failed)
//                 Active --RELEASE--> freed (released) ; any --close()--> freed
//   host call (callee): (SETUP accepted, CONNECT sent) Active --RELEASE / close()--> freed
//   host:         Up --fail()--> Failed (final)
//   keep-alive (switch): Idle --a call with a host end--> Polling --no such call left--> Idle

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import { parseDuration } from "../base/units.js";
import { NO_FRAME } from "../buf/frames.js";
import type { EventHandler } from "../engine/scheduler.js";
import type { Simulation } from "../engine/simulation.js";
import { FRAME_VEC_ARG, FRAME_VEC_LEN, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "../kernels/abi.js";
import { AAL5_STATUS, Aal5Reassembler, aal5SegmentInto, type Aal5Totals } from "../kernels/aal5.js";
import { ATM_CELL_LEN, HDR_NOT_USER_DATA } from "../wire/atm-cell.js";
import {
  AtmSignalView,
  SIG_MAX_CALL_REF,
  SIG_MAX_LEN,
  SIG_MAX_PORT,
  SIG_MAX_ROUTE,
  SIG_PARSE_ERROR_NAMES,
  SIG_TYPES,
  SIG_TYPE_NAMES,
  SIG_VCI,
  SIG_VPI,
  SigCause,
  SigType,
  emitAtmSignal,
  parseAtmSignal,
  parseSigRoute,
  sigCauseName,
  sigRepr,
  type AtmSignalRepr,
} from "../wire/atm-signalling.js";
import type { AtmNic } from "./atm-nic.js";
import type { AtmVcOptions } from "./atm-nic-circuits.js";
import type { AtmSignallingAgent } from "./atm-nic-receive.js";
import { SvcEntryStatus, type AtmSwitch } from "./atm-switch.js";
import type { AtmControlPlane } from "./atm-switch-input.js";

/** Self events of a signalling entity (its own handler id). */
export const EV_SIG_PROCESS = 1;
export const EV_SIG_KEEPALIVE = 2;
export const EV_SIG_TIMEOUT = 3;

export const DEFAULT_SIG_DELAY_NS = 50_000;
export const DEFAULT_SIG_QUEUE = 64;
export const DEFAULT_KEEPALIVE_NS = 5_000_000;
export const DEFAULT_KEEPALIVE_MISSES = 3;
export const DEFAULT_SETUP_TIMEOUT_NS = 20_000_000;
export const DEFAULT_SVC_FIRST_VCI = 256;
export const DEFAULT_SVC_VCIS = 1024;
export const DEFAULT_SWITCH_CALLS = 1024;
export const DEFAULT_HOST_CALLS = 32;

/** Header word of signalling cells (VPI 0, VCI 5; the same in the UNI and NNI formats). */
const SIG_HEADER_WORD = ((SIG_VPI << 20) | (SIG_VCI << 4)) >>> 0;

export interface SignallingOptions {
  /** Processing time per message, ns or a duration string (default 50us). */
  delay?: number | string;
  /** Messages waiting to be processed (default 64); more are dropped and counted. */
  queueLimit?: number;
}

export interface SwitchSignallingOptions extends SignallingOptions {
  /** Keep-alive poll interval towards host ends (default 5ms). */
  keepAliveInterval?: number | string;
  /** Unanswered polls after which the host is declared failed (default 3). */
  keepAliveMisses?: number;
  /** First VCI of the switched-circuit range of every port (default 256). */
  firstVci?: number;
  /** VCIs in the range (default 1024). */
  vcis?: number;
  /** Calls the switch holds at once (default 1024). */
  maxCalls?: number;
}

export interface HostSignallingOptions extends SignallingOptions {
  /** Time from SETUP to CONNECT before the caller gives up with TIMEOUT (default 20ms). */
  setupTimeout?: number | string;
  /** Calls the host holds at once (default 32). */
  maxCalls?: number;
}

/** Counts by cause; JSON: { causeName: n } in cause order. */
export class CauseCounts {
  private readonly counts = new Map<number, number>();
  add(cause: number): void {
    this.counts.set(cause, (this.counts.get(cause) ?? 0) + 1);
  }
  get(cause: number): number {
    return this.counts.get(cause) ?? 0;
  }
  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }
  toJSON(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of [...this.counts.keys()].sort((a, b) => a - b)) out[sigCauseName(c)] = this.counts.get(c)!;
    return out;
  }
}

export interface SignallingCounters {
  /** Messages sent / received (parsed) by type. */
  tx: Record<string, number>;
  rx: Record<string, number>;
  /** Messages dropped unparsed, by SigParseError reason. */
  malformed: Record<(typeof SIG_PARSE_ERROR_NAMES)[number], number>;
  /** Messages dropped because the processing queue was full. */
  queueDrops: number;
  /** Messages that could not be sent (no frame slot, NIC refused, no link). */
  sendFailures: number;
  /** Well-formed messages that made no sense in the call's state (ignored). */
  protocolErrors: number;
  /** Messages for a call the entity does not have (answered with INVALID_CALL_REF or ignored). */
  unknownCall: number;
}

export interface SwitchSignallingStats extends SignallingCounters {
  /** Calls held now, and the most held at once. */
  calls: number;
  callsHighWater: number;
  /** SETUPs accepted and forwarded; CONNECTs passed upstream. */
  setups: number;
  connects: number;
  /** SETUPs this switch refused, by cause. */
  refused: Record<string, number>;
  /** Calls torn down here, by cause (normal, hostFailed, refusals from further on, ...). */
  released: Record<string, number>;
  /** Refusals for want of room: VC table, call table. */
  vcTableFull: number;
  callTableFull: number;
  /** Switched-circuit VCIs allocated now (all ports). */
  vcisInUse: number;
  keepAlivesSent: number;
  keepAliveAnswers: number;
  /** Host ends declared failed (missed keep-alives), and the calls released because of it. */
  hostFailures: number;
  releasedOnHostFailure: number;
  /** Cells on VCI 5 that were not user data (OAM), ignored. */
  nonUserCells: number;
  /** The signalling reassembler's counters (badCrc, badLength, ...). */
  reassembly: Aal5Totals;
}

export interface HostSignallingStats extends SignallingCounters {
  state: "up" | "failed";
  /** When the host failed (ns), or null. */
  failedAt: number | null;
  calls: number;
  /** Calls this host opened; those that connected; those that failed, by cause. */
  opened: number;
  connected: number;
  failed: Record<string, number>;
  /** Connected calls released by the network or the far end, by cause. */
  released: Record<string, number>;
  /** Calls this host closed itself. */
  closed: number;
  /** Incoming calls accepted; refused by cause. */
  accepted: number;
  refused: Record<string, number>;
  keepAliveAnswers: number;
}

function checkDelay(value: number | string | undefined, fallback: number, path: string, allowZero: boolean): number {
  const ns = parseDuration(value ?? fallback, path);
  if (ns < 0 || (!allowZero && ns === 0)) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `${ns} ns: the duration must be ${allowZero ? "zero or positive" : "positive"}`,
      { path },
    );
  }
  return ns;
}

/** What every signalling entity shares: parse, bounded queue + processing delay, emit, counters. */
abstract class SignallingEntity implements EventHandler {
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  readonly delayNs: number;
  protected stopped = false;
  private readonly qPort: Int32Array;
  private readonly qMsg: (AtmSignalRepr | undefined)[];
  private qHead = 0;
  private qCount = 0;
  private readonly rxView = new AtmSignalView(new Uint8Array(0));
  protected readonly scratch = new Uint8Array(SIG_MAX_LEN);
  private readonly txView = new AtmSignalView(this.scratch);
  protected readonly txByType = new Float64Array(256);
  protected readonly rxByType = new Float64Array(256);
  protected readonly malformed = new Float64Array(SIG_PARSE_ERROR_NAMES.length);
  protected queueDrops = 0;
  protected sendFailures = 0;
  protected protocolErrors = 0;
  protected unknownCall = 0;

  protected constructor(sim: Simulation, name: string, options: SignallingOptions) {
    this.delayNs = checkDelay(options.delay, DEFAULT_SIG_DELAY_NS, `${name}.delay`, true);
    const q = options.queueLimit ?? DEFAULT_SIG_QUEUE;
    checkInteger(`${name}.queueLimit`, q, 1, 1 << 16);
    this.sim = sim;
    this.name = name;
    this.qPort = new Int32Array(q);
    this.qMsg = new Array<AtmSignalRepr | undefined>(q).fill(undefined);
    this.id = sim.register(name, this);
  }

  /** A PDU arrived on `port`: parse now, process after the delay. */
  protected receive(port: number, u8: Uint8Array, ptr: number, length: number): void {
    if (this.stopped) return;
    const r = parseAtmSignal(this.rxView.wrap(u8, ptr, length));
    if (typeof r === "number") {
      this.malformed[r]!++;
      return;
    }
    this.rxByType[r.type]!++;
    const cap = this.qPort.length;
    if (this.qCount === cap) {
      this.queueDrops++;
      return;
    }
    const k = (this.qHead + this.qCount) % cap;
    this.qPort[k] = port;
    this.qMsg[k] = r;
    this.qCount++;
    this.sim.scheduler.scheduleAt(this.id, this.sim.now + this.delayNs, this.id, EV_SIG_PROCESS, 0, 0, 0);
  }

  handleEvent(kind: number, a: number, _b: number, _len: number): void {
    if (this.stopped) return;
    if (kind === EV_SIG_PROCESS) {
      if (this.qCount === 0) return;
      const k = this.qHead;
      const m = this.qMsg[k]!;
      const port = this.qPort[k]!;
      this.qMsg[k] = undefined;
      this.qHead = (k + 1) % this.qPort.length;
      this.qCount--;
      this.process(port, m);
    } else {
      this.timer(kind, a);
    }
  }

  protected clearQueue(): void {
    this.qMsg.fill(undefined);
    this.qCount = 0;
  }

  protected abstract process(port: number, m: AtmSignalRepr): void;
  protected abstract timer(kind: number, a: number): void;
  /** Sends scratch[0, len) on `port` as one AAL5 PDU; false = not sent. */
  protected abstract transmit(port: number, len: number): boolean;

  protected send(port: number, m: AtmSignalRepr): void {
    const len = emitAtmSignal(m, this.txView.wrap(this.scratch, 0, this.scratch.length));
    if (this.transmit(port, len)) this.txByType[m.type]!++;
    else this.sendFailures++;
  }

  protected counters(): SignallingCounters {
    const tx: Record<string, number> = {};
    const rx: Record<string, number> = {};
    for (const t of SIG_TYPES) {
      tx[SIG_TYPE_NAMES[t]] = this.txByType[t]!;
      rx[SIG_TYPE_NAMES[t]] = this.rxByType[t]!;
    }
    const malformed = {} as SignallingCounters["malformed"];
    SIG_PARSE_ERROR_NAMES.forEach((n, i) => (malformed[n] = this.malformed[i]!));
    return {
      tx,
      rx,
      malformed,
      queueDrops: this.queueDrops,
      sendFailures: this.sendFailures,
      protocolErrors: this.protocolErrors,
      unknownCall: this.unknownCall,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Switch

export const SwitchCallState = { Proceeding: 0, Routed: 1, Active: 2 } as const;
export type SwitchCallState = (typeof SwitchCallState)[keyof typeof SwitchCallState];

interface SwitchCall {
  serial: number;
  state: SwitchCallState;
  up: number;
  upRef: number;
  down: number;
  downRef: number;
  /** VCI the forward cells arrive on from upstream (allocated here). */
  fwdIn: number;
  /** VCI the forward cells leave with downstream (the downstream's; -1 until it says). */
  fwdOut: number;
  /** VCI the backward cells arrive on from downstream (allocated here). */
  bwdIn: number;
  /** VCI the backward cells leave with upstream (the upstream's). */
  bwdOut: number;
  /** Upstream is the calling host; downstream is the called host (the route ended here). */
  upUser: boolean;
  downUser: boolean;
}

function callKey(port: number, mine: boolean, ref: number): number {
  return (port * 2 + (mine ? 1 : 0)) * (SIG_MAX_CALL_REF + 1) + ref;
}

export class SwitchSignalling extends SignallingEntity implements AtmControlPlane {
  readonly sw: AtmSwitch;
  readonly keepAliveNs: number;
  readonly keepAliveMisses: number;
  readonly firstVci: number;
  readonly vcis: number;
  readonly maxCalls: number;
  private readonly nPorts: number;
  private readonly reassembler: Aal5Reassembler;
  private readonly region: number;
  private readonly vec: number;
  private readonly pdu: number;
  private readonly trainCap: number;
  private readonly calls = new Map<number, SwitchCall>();
  private callCount = 0;
  private callsHighWater = 0;
  private serial = 0;
  private nextRef = 1;
  /** Per port: accepted calls from the host there whose forward entry is not yet in the table. */
  private readonly reserved: Int32Array;
  /** Forward entries promised to accepted calls (they need room in the VC table). */
  private reservedEntries = 0;
  private readonly vciUsed: (Uint8Array | undefined)[];
  private readonly vciCursor: Int32Array;
  private vcisInUse = 0;
  /** Calls with a host end on each port (keep-alive polls those ports). */
  private readonly userCalls: Int32Array;
  private userCallTotal = 0;
  private readonly awaiting: Uint8Array;
  private readonly missed: Int32Array;
  private readonly pollSeq: Int32Array;
  private kaHandle = -1;
  private readonly onPduBound: (circuit: number, ptr: number, length: number, status: number) => void;
  // Counters.
  private setups = 0;
  private connects = 0;
  private readonly refused = new CauseCounts();
  private readonly released = new CauseCounts();
  private vcTableFull = 0;
  private callTableFull = 0;
  private keepAlivesSent = 0;
  private keepAliveAnswers = 0;
  private hostFailures = 0;
  private releasedOnHostFailure = 0;
  private nonUserCells = 0;

  constructor(sw: AtmSwitch, options: SwitchSignallingOptions = {}) {
    super(sw.sim, `${sw.name}:sig`, options);
    const name = this.name;
    this.keepAliveNs = checkDelay(options.keepAliveInterval, DEFAULT_KEEPALIVE_NS, `${name}.keepAliveInterval`, false);
    this.keepAliveMisses = options.keepAliveMisses ?? DEFAULT_KEEPALIVE_MISSES;
    checkInteger(`${name}.keepAliveMisses`, this.keepAliveMisses, 1, 1000);
    this.firstVci = options.firstVci ?? DEFAULT_SVC_FIRST_VCI;
    checkInteger(`${name}.firstVci`, this.firstVci, 32, 0xffff);
    this.vcis = options.vcis ?? DEFAULT_SVC_VCIS;
    checkInteger(`${name}.vcis`, this.vcis, 1, 0x10000 - this.firstVci);
    this.maxCalls = options.maxCalls ?? DEFAULT_SWITCH_CALLS;
    checkInteger(`${name}.maxCalls`, this.maxCalls, 1, 1 << 20);
    this.sw = sw;
    const P = sw.ports.length;
    this.nPorts = P;
    this.trainCap = Math.floor(sw.sim.frames.pool.slotBytes / ATM_CELL_LEN);
    if (this.trainCap < 2) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "frame slots must hold at least two cells (106 bytes)", {
        path: name,
      });
    }
    const rt = sw.sim.runtime;
    this.reassembler = Aal5Reassembler.create({
      circuits: P,
      buffers: Math.min(P, 64) + 2,
      maxPduBytes: SIG_MAX_LEN,
      checkHec: false, // the switch's PHY already did
      deliverErrors: false,
      runtime: rt,
    });
    try {
      this.region = rt.heap.alloc(FRAME_VEC_STRIDE + 128);
    } catch (err) {
      this.reassembler.free();
      throw err;
    }
    this.vec = this.region;
    this.pdu = this.region + FRAME_VEC_STRIDE;
    rt.u32[(this.vec + FRAME_VEC_LEN) >>> 2] = ATM_CELL_LEN;
    this.reserved = new Int32Array(P);
    this.vciUsed = new Array<Uint8Array | undefined>(P).fill(undefined);
    this.vciCursor = new Int32Array(P);
    this.userCalls = new Int32Array(P);
    this.awaiting = new Uint8Array(P);
    this.missed = new Int32Array(P);
    this.pollSeq = new Int32Array(P);
    this.onPduBound = this.onPdu.bind(this);
    sw.setControlPlane(this);
  }

  // --- receive (AtmControlPlane) ----------------------------------------------------------

  cell(port: number, ptr: number, w: number): void {
    if (this.stopped) return;
    if ((w & HDR_NOT_USER_DATA) !== 0) {
      this.nonUserCells++;
      return;
    }
    // One kernel call per signalling cell: signalling is a few cells per call, not a data path.
    const u32 = this.sim.runtime.u32;
    u32[(this.vec + FRAME_VEC_PTR) >>> 2] = ptr;
    u32[(this.vec + FRAME_VEC_ARG) >>> 2] = port;
    this.reassembler.pushCells(this.vec, 1);
    if (this.reassembler.queuedCompletions > 0) this.reassembler.drainCompletions(this.onPduBound);
  }

  private onPdu(circuit: number, ptr: number, length: number, status: number): void {
    if (status === AAL5_STATUS.OK) this.receive(circuit, this.sim.runtime.u8, ptr, length);
    this.reassembler.returnBuffer(ptr);
  }

  protected transmit(port: number, len: number): boolean {
    if (!this.sw.isAttached(port)) return false;
    const sim = this.sim;
    const rt = sim.runtime;
    const frames = sim.frames;
    const t = frames.alloc(0, sim.now);
    if (t === NO_FRAME) return false;
    rt.u8.set(this.scratch.subarray(0, len), this.pdu);
    const n = aal5SegmentInto(rt, this.pdu, len, SIG_HEADER_WORD, frames.offset(t), this.trainCap);
    frames.setLength(t, n * ATM_CELL_LEN);
    return this.sw.sendLocalCells(port, t);
  }

  // --- processing ---------------------------------------------------------------------------

  protected process(port: number, m: AtmSignalRepr): void {
    switch (m.type) {
      case SigType.SETUP:
        if (m.flag !== 0 || m.callRef === 0) this.protocolErrors++;
        else this.onSetup(port, m);
        return;
      case SigType.CALL_PROCEEDING:
      case SigType.CONNECT:
        if (m.flag !== 1) this.protocolErrors++;
        else this.onDownstreamReply(port, m);
        return;
      case SigType.RELEASE:
      case SigType.RELEASE_COMPLETE:
        this.onRelease(port, m);
        return;
      case SigType.STATUS_ENQUIRY:
        this.send(port, sigRepr(SigType.STATUS, m.callRef, 1, { seq: m.seq }));
        return;
      case SigType.STATUS:
        // Any answer shows the host is alive (a late one too).
        if (this.awaiting[port] === 1) {
          this.awaiting[port] = 0;
          this.missed[port] = 0;
          this.keepAliveAnswers++;
        }
        return;
    }
  }

  private refuse(port: number, m: AtmSignalRepr, cause: SigCause): void {
    this.refused.add(cause);
    this.send(port, sigRepr(SigType.RELEASE_COMPLETE, m.callRef, 1, { cause }));
  }

  private onSetup(p: number, m: AtmSignalRepr): void {
    const upKey = callKey(p, false, m.callRef);
    if (this.calls.has(upKey)) {
      this.protocolErrors++; // a repeated SETUP
      return;
    }
    if (m.route.length === 0) return this.refuse(p, m, SigCause.ROUTE_TOO_SHORT);
    const out = m.route[0]!;
    if (out >= this.nPorts) return this.refuse(p, m, SigCause.PORT_OUT_OF_RANGE);
    if (!this.sw.isAttached(out)) return this.refuse(p, m, SigCause.NOTHING_ATTACHED);
    const upUser = m.hops === 0;
    // The limit counts the host's circuits in the table and its calls still being set up.
    if (upUser && this.sw.circuitCount(p) + this.reserved[p]! >= this.sw.circuitLimit(p))
      return this.refuse(p, m, SigCause.CIRCUIT_LIMIT);
    if (m.vpi !== 0) return this.refuse(p, m, SigCause.VCI_UNAVAILABLE);
    if (this.callCount >= this.maxCalls) {
      this.callTableFull++;
      return this.refuse(p, m, SigCause.TABLE_FULL);
    }
    const table = this.sw.vcTable;
    if (table.size + this.reservedEntries + 2 > table.capacity) {
      this.vcTableFull++;
      return this.refuse(p, m, SigCause.TABLE_FULL);
    }
    const fwdIn = this.allocVci(p);
    if (fwdIn < 0) return this.refuse(p, m, SigCause.NO_VCI);
    const bwdIn = this.allocVci(out);
    if (bwdIn < 0) {
      this.freeVci(p, fwdIn);
      return this.refuse(p, m, SigCause.NO_VCI);
    }
    // A calling host left the VCI to us: it uses the one it sends on for receiving too.
    const bwdOut = m.vci === 0 ? fwdIn : m.vci;
    if (this.sw.addSvcEntry(out, bwdIn, p, bwdOut) !== SvcEntryStatus.OK) {
      this.freeVci(p, fwdIn);
      this.freeVci(out, bwdIn);
      this.vcTableFull++;
      return this.refuse(p, m, SigCause.TABLE_FULL);
    }
    const downRef = this.allocRef(out);
    const call: SwitchCall = {
      serial: this.serial++,
      state: SwitchCallState.Proceeding,
      up: p,
      upRef: m.callRef,
      down: out,
      downRef,
      fwdIn,
      fwdOut: -1,
      bwdIn,
      bwdOut,
      upUser,
      downUser: m.route.length === 1,
    };
    this.calls.set(upKey, call);
    this.calls.set(callKey(out, true, downRef), call);
    this.callCount++;
    this.reservedEntries++;
    if (upUser) this.reserved[p]!++;
    if (this.callCount > this.callsHighWater) this.callsHighWater = this.callCount;
    if (upUser) this.addUserCall(p);
    if (call.downUser) this.addUserCall(out);
    this.setups++;
    this.send(p, sigRepr(SigType.CALL_PROCEEDING, m.callRef, 1, { vci: fwdIn }));
    this.send(
      out,
      sigRepr(SigType.SETUP, downRef, 0, {
        vci: bwdIn,
        tag: m.tag,
        hops: Math.min(255, m.hops + 1),
        route: m.route.slice(1),
      }),
    );
  }

  private onDownstreamReply(q: number, m: AtmSignalRepr): void {
    const call = this.calls.get(callKey(q, true, m.callRef));
    if (call === undefined) {
      this.unknownCall++;
      this.send(q, sigRepr(SigType.RELEASE_COMPLETE, m.callRef, 0, { cause: SigCause.INVALID_CALL_REF }));
      return;
    }
    if (call.fwdOut < 0) {
      if (m.vpi !== 0 || m.vci === 0) return this.releaseBoth(call, SigCause.VCI_UNAVAILABLE);
      const st = this.sw.addSvcEntry(call.up, call.fwdIn, call.down, m.vci);
      if (st !== SvcEntryStatus.OK) {
        this.vcTableFull++;
        return this.releaseBoth(call, SigCause.TABLE_FULL);
      }
      this.unreserve(call);
      call.fwdOut = m.vci;
      call.state = SwitchCallState.Routed;
    }
    if (m.type === SigType.CONNECT) {
      if (call.state === SwitchCallState.Active) {
        this.protocolErrors++;
        return;
      }
      call.state = SwitchCallState.Active;
      this.connects++;
      this.send(call.up, sigRepr(SigType.CONNECT, call.upRef, 1, { vci: call.fwdIn }));
    }
  }

  private onRelease(x: number, m: AtmSignalRepr): void {
    const mine = m.flag === 1;
    const call = this.calls.get(callKey(x, mine, m.callRef));
    if (call === undefined) {
      // The RELEASE COMPLETE after our own RELEASE lands here: the call is already gone.
      if (m.type === SigType.RELEASE) {
        this.unknownCall++;
        this.send(
          x,
          sigRepr(SigType.RELEASE_COMPLETE, m.callRef, m.flag === 1 ? 0 : 1, { cause: SigCause.INVALID_CALL_REF }),
        );
      }
      return;
    }
    this.teardown(call, m.cause);
    if (m.type === SigType.RELEASE)
      this.send(x, sigRepr(SigType.RELEASE_COMPLETE, m.callRef, m.flag === 1 ? 0 : 1, { cause: m.cause }));
    // A key with our own call reference is the downstream side.
    if (mine) this.send(call.up, sigRepr(SigType.RELEASE, call.upRef, 1, { cause: m.cause }));
    else this.send(call.down, sigRepr(SigType.RELEASE, call.downRef, 0, { cause: m.cause }));
  }

  private releaseBoth(call: SwitchCall, cause: SigCause): void {
    this.teardown(call, cause);
    this.send(call.up, sigRepr(SigType.RELEASE, call.upRef, 1, { cause }));
    this.send(call.down, sigRepr(SigType.RELEASE, call.downRef, 0, { cause }));
  }

  private teardown(call: SwitchCall, cause: number): void {
    this.calls.delete(callKey(call.up, false, call.upRef));
    this.calls.delete(callKey(call.down, true, call.downRef));
    this.callCount--;
    if (call.fwdOut >= 0) this.sw.removeSvcEntry(call.up, call.fwdIn);
    else this.unreserve(call);
    this.sw.removeSvcEntry(call.down, call.bwdIn);
    this.freeVci(call.up, call.fwdIn);
    this.freeVci(call.down, call.bwdIn);
    if (call.upUser) this.dropUserCall(call.up);
    if (call.downUser) this.dropUserCall(call.down);
    this.released.add(cause);
  }

  /** The call's forward entry is no longer only promised (installed, or never will be). */
  private unreserve(call: SwitchCall): void {
    this.reservedEntries--;
    if (call.upUser) this.reserved[call.up]!--;
  }

  private allocRef(port: number): number {
    for (;;) {
      const ref = this.nextRef;
      this.nextRef = ref === SIG_MAX_CALL_REF ? 1 : ref + 1;
      if (!this.calls.has(callKey(port, true, ref))) return ref;
    }
  }

  /** A free VCI on `port` from the switched range (skipping any the table uses), or -1. */
  private allocVci(port: number): number {
    const used = (this.vciUsed[port] ??= new Uint8Array(this.vcis));
    const table = this.sw.vcTable;
    const start = this.vciCursor[port]!;
    for (let k = 0; k < this.vcis; k++) {
      const i = (start + k) % this.vcis;
      if (used[i] === 1 || table.lookup(port, 0, this.firstVci + i) !== undefined) continue;
      used[i] = 1;
      this.vciCursor[port] = (i + 1) % this.vcis;
      this.vcisInUse++;
      return this.firstVci + i;
    }
    return -1;
  }

  private freeVci(port: number, vci: number): void {
    const used = this.vciUsed[port];
    const i = vci - this.firstVci;
    if (used === undefined || i < 0 || i >= this.vcis || used[i] === 0) return;
    used[i] = 0;
    this.vcisInUse--;
  }

  // --- keep-alive ---------------------------------------------------------------------------

  private addUserCall(port: number): void {
    this.userCalls[port]!++;
    this.userCallTotal++;
    if (this.kaHandle < 0) {
      this.kaHandle = this.sim.scheduler.scheduleAt(
        this.id,
        this.sim.now + this.keepAliveNs,
        this.id,
        EV_SIG_KEEPALIVE,
        0,
        0,
        0,
      );
    }
  }

  private dropUserCall(port: number): void {
    this.userCalls[port]!--;
    this.userCallTotal--;
    if (this.userCalls[port] === 0) {
      this.awaiting[port] = 0;
      this.missed[port] = 0;
    }
  }

  protected timer(kind: number, _a: number): void {
    if (kind !== EV_SIG_KEEPALIVE) return;
    this.kaHandle = -1;
    for (let p = 0; p < this.nPorts; p++) {
      if (this.userCalls[p] === 0) continue;
      if (this.awaiting[p] === 1 && ++this.missed[p]! >= this.keepAliveMisses) {
        this.hostFailed(p);
        continue;
      }
      this.pollSeq[p] = (this.pollSeq[p]! + 1) & 0xffff;
      this.awaiting[p] = 1;
      this.keepAlivesSent++;
      this.send(p, sigRepr(SigType.STATUS_ENQUIRY, 0, 0, { seq: this.pollSeq[p]! }));
    }
    if (this.userCallTotal > 0) {
      this.kaHandle = this.sim.scheduler.scheduleAt(
        this.id,
        this.sim.now + this.keepAliveNs,
        this.id,
        EV_SIG_KEEPALIVE,
        0,
        0,
        0,
      );
    }
  }

  /** The host on `port` stopped answering: release every call it is an end of. */
  private hostFailed(p: number): void {
    this.hostFailures++;
    const victims = new Set<SwitchCall>();
    for (const c of this.calls.values()) if ((c.upUser && c.up === p) || (c.downUser && c.down === p)) victims.add(c);
    for (const c of [...victims].sort((a, b) => a.serial - b.serial)) {
      const upDead = c.upUser && c.up === p;
      const downDead = c.downUser && c.down === p;
      this.teardown(c, SigCause.HOST_FAILED);
      this.releasedOnHostFailure++;
      if (!upDead) this.send(c.up, sigRepr(SigType.RELEASE, c.upRef, 1, { cause: SigCause.HOST_FAILED }));
      if (!downDead) this.send(c.down, sigRepr(SigType.RELEASE, c.downRef, 0, { cause: SigCause.HOST_FAILED }));
    }
    this.awaiting[p] = 0;
    this.missed[p] = 0;
  }

  // --- stats and lifecycle ------------------------------------------------------------------

  /** Calls held now. */
  get callsHeld(): number {
    return this.callCount;
  }

  stats(): SwitchSignallingStats {
    return {
      ...this.counters(),
      calls: this.callCount,
      callsHighWater: this.callsHighWater,
      setups: this.setups,
      connects: this.connects,
      refused: this.refused.toJSON(),
      released: this.released.toJSON(),
      vcTableFull: this.vcTableFull,
      callTableFull: this.callTableFull,
      vcisInUse: this.vcisInUse,
      keepAlivesSent: this.keepAlivesSent,
      keepAliveAnswers: this.keepAliveAnswers,
      hostFailures: this.hostFailures,
      releasedOnHostFailure: this.releasedOnHostFailure,
      nonUserCells: this.nonUserCells,
      reassembly: this.reassembler.totals(),
    };
  }

  /** Stops the control plane and frees its heap regions (the switch's destroy() calls it). */
  destroy(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clearQueue();
    if (this.kaHandle >= 0) this.sim.scheduler.cancel(this.kaHandle);
    this.kaHandle = -1;
    this.sw.setControlPlane(undefined);
    this.reassembler.free();
    this.sim.runtime.heap.free(this.region);
  }
}

// ---------------------------------------------------------------------------------------------
// Host

export const HostCallState = { Calling: 0, Proceeding: 1, Active: 2 } as const;
export type HostCallState = (typeof HostCallState)[keyof typeof HostCallState];
const HOST_CALL_STATE_NAMES = ["calling", "proceeding", "active"] as const;

export const HostSignallingState = { Up: 0, Failed: 1 } as const;
export type HostSignallingState = (typeof HostSignallingState)[keyof typeof HostSignallingState];

/** What the application hears about a call. */
export interface AtmCallHandlers {
  /** The circuit is open: send and receive on NIC circuit `vc`. */
  connected?(call: number, vc: number): void;
  /** The call could not be opened (cause: SigCause). The NIC circuit, if any, is closed. */
  failed?(call: number, cause: number): void;
  /** The open circuit was released by the far end or the network (cause: SigCause). */
  released?(call: number, cause: number): void;
}

export interface AtmCallOptions extends AtmVcOptions {
  /** End-to-end tag delivered to the called host's acceptor (default 0). */
  tag?: number;
}

export interface AtmIncomingCall {
  /** The local id the call will have. */
  call: number;
  tag: number;
  vci: number;
}

/** Decides on an incoming call: false refuses (REFUSED), true or circuit options accept. */
export type AtmCallAcceptor = (incoming: AtmIncomingCall) => boolean | AtmVcOptions;

export interface AtmCallInfo {
  role: "caller" | "callee";
  state: (typeof HOST_CALL_STATE_NAMES)[number];
  /** NIC circuit (-1 before CALL PROCEEDING). */
  vc: number;
  vci: number;
  tag: number;
}

interface HostCall {
  id: number;
  ref: number;
  caller: boolean;
  state: HostCallState;
  vc: number;
  vci: number;
  tag: number;
  vcOptions: AtmVcOptions;
  handlers: AtmCallHandlers;
  timer: number;
}

export class HostSignalling extends SignallingEntity implements AtmSignallingAgent {
  readonly nic: AtmNic;
  readonly sigVc: number;
  readonly setupTimeoutNs: number;
  readonly maxCalls: number;
  state: HostSignallingState = HostSignallingState.Up;
  private failedAt: number | null = null;
  private readonly byId = new Map<number, HostCall>();
  /** Calls by call reference: ours (we sent SETUP) and the switch's (it sent SETUP). */
  private readonly outByRef = new Map<number, HostCall>();
  private readonly inByRef = new Map<number, HostCall>();
  private nextId = 1;
  private nextRef = 1;
  private acceptor: AtmCallAcceptor | undefined;
  private incomingHandlers: AtmCallHandlers = {};
  // Counters.
  private opened = 0;
  private connectedCalls = 0;
  private readonly failedCalls = new CauseCounts();
  private readonly releasedCalls = new CauseCounts();
  private closed = 0;
  private accepted = 0;
  private readonly refused = new CauseCounts();
  private keepAliveAnswers = 0;

  constructor(nic: AtmNic, options: HostSignallingOptions = {}) {
    super(nic.sim, `${nic.name}:sig`, options);
    this.setupTimeoutNs = checkDelay(
      options.setupTimeout,
      DEFAULT_SETUP_TIMEOUT_NS,
      `${this.name}.setupTimeout`,
      false,
    );
    this.maxCalls = options.maxCalls ?? DEFAULT_HOST_CALLS;
    checkInteger(`${this.name}.maxCalls`, this.maxCalls, 1, 1 << 16);
    this.nic = nic;
    this.sigVc = nic.openVc(SIG_VPI, SIG_VCI);
    nic.setSignalling(this.sigVc, this);
  }

  deliverSignal(ptr: number, length: number): void {
    if (this.state === HostSignallingState.Up) this.receive(0, this.sim.runtime.u8, ptr, length);
  }

  protected transmit(_port: number, len: number): boolean {
    return this.nic.sendBytes(this.sigVc, this.scratch.subarray(0, len));
  }

  /** Decides incoming calls (default: accept all) and hears about them. */
  setIncoming(acceptor: AtmCallAcceptor | undefined, handlers: AtmCallHandlers = {}): void {
    this.acceptor = acceptor;
    this.incomingHandlers = handlers;
  }

  /**
   * Opens a switched circuit along `route` (output ports, "4.3.0.7" or [4, 3, 0, 7]); returns
   * the call id. The outcome comes to `handlers`. Throws NetloomError for a route that is not
   * one, a failed host, or too many calls.
   */
  open(route: string | readonly number[], handlers: AtmCallHandlers = {}, options: AtmCallOptions = {}): number {
    const path = `${this.name}.open`;
    if (this.stopped) throw new NetloomError(ErrorCode.USE_AFTER_FREE, `${this.name} was destroyed`, { path });
    if (this.state !== HostSignallingState.Up) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${this.nic.name} has failed: it opens no circuits`, { path });
    }
    const ports = typeof route === "string" ? parseSigRoute(route) : [...route];
    if (
      ports === undefined ||
      ports.length < 1 ||
      ports.length > SIG_MAX_ROUTE ||
      ports.some((p) => !Number.isInteger(p) || p < 0 || p > SIG_MAX_PORT)
    ) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${JSON.stringify(route)} is not a route: 1 to ${SIG_MAX_ROUTE} output ports (0..${SIG_MAX_PORT}) like "4.3.0.7"`,
        { path: `${path}.route` },
      );
    }
    const tag = options.tag ?? 0;
    checkInteger(`${path}.tag`, tag, 0, 0xffffffff);
    if (this.byId.size >= this.maxCalls) {
      throw new NetloomError(ErrorCode.TABLE_FULL, `${this.name} holds ${this.maxCalls} calls`, { path });
    }
    const ref = this.allocRef();
    const { tag: _tag, ...vcOptions } = options;
    const call: HostCall = {
      id: this.nextId++,
      ref,
      caller: true,
      state: HostCallState.Calling,
      vc: -1,
      vci: 0,
      tag,
      vcOptions,
      handlers,
      timer: -1,
    };
    call.timer = this.sim.scheduler.scheduleAt(
      this.id,
      this.sim.now + this.setupTimeoutNs,
      this.id,
      EV_SIG_TIMEOUT,
      call.id,
      0,
      0,
    );
    this.byId.set(call.id, call);
    this.outByRef.set(ref, call);
    this.opened++;
    this.send(0, sigRepr(SigType.SETUP, ref, 0, { tag, hops: 0, route: ports }));
    return call.id;
  }

  /** Releases call `call` (either end, any state): RELEASE(NORMAL). False if there is no such call. */
  close(call: number): boolean {
    const c = this.byId.get(call);
    if (c === undefined || this.state !== HostSignallingState.Up) return false;
    this.send(0, sigRepr(SigType.RELEASE, c.ref, c.caller ? 0 : 1, { cause: SigCause.NORMAL }));
    this.drop(c);
    this.closed++;
    return true;
  }

  /** The host fails: it stops answering (keep-alives, calls) and its NIC stops (nic.fail()). */
  fail(): boolean {
    if (this.state === HostSignallingState.Failed) return false;
    this.state = HostSignallingState.Failed;
    this.failedAt = this.sim.now;
    for (const c of this.byId.values()) if (c.timer >= 0) this.sim.scheduler.cancel(c.timer);
    // The host's memory is gone: no RELEASE, no callbacks. Its switch notices (keep-alive).
    this.byId.clear();
    this.outByRef.clear();
    this.inByRef.clear();
    this.clearQueue();
    this.nic.fail();
    return true;
  }

  get failed(): boolean {
    return this.state === HostSignallingState.Failed;
  }

  /** State of call `call`, or undefined when it is not (or no longer) held. */
  callInfo(call: number): AtmCallInfo | undefined {
    const c = this.byId.get(call);
    if (c === undefined) return undefined;
    return {
      role: c.caller ? "caller" : "callee",
      state: HOST_CALL_STATE_NAMES[c.state],
      vc: c.vc,
      vci: c.vci,
      tag: c.tag,
    };
  }

  get callsHeld(): number {
    return this.byId.size;
  }

  protected process(_port: number, m: AtmSignalRepr): void {
    if (this.state !== HostSignallingState.Up) return;
    switch (m.type) {
      case SigType.SETUP:
        if (m.flag !== 0 || m.callRef === 0) this.protocolErrors++;
        else this.onIncoming(m);
        return;
      case SigType.CALL_PROCEEDING:
      case SigType.CONNECT:
        this.onProgress(m);
        return;
      case SigType.RELEASE:
      case SigType.RELEASE_COMPLETE:
        this.onRelease(m);
        return;
      case SigType.STATUS_ENQUIRY:
        this.keepAliveAnswers++;
        this.send(0, sigRepr(SigType.STATUS, m.callRef, 1, { seq: m.seq }));
        return;
      case SigType.STATUS:
        return;
    }
  }

  private refuseIncoming(m: AtmSignalRepr, cause: SigCause): void {
    this.refused.add(cause);
    this.send(0, sigRepr(SigType.RELEASE_COMPLETE, m.callRef, 1, { cause }));
  }

  private onIncoming(m: AtmSignalRepr): void {
    if (this.inByRef.has(m.callRef)) {
      this.protocolErrors++;
      return;
    }
    if (m.route.length > 0) return this.refuseIncoming(m, SigCause.ROUTE_TOO_LONG);
    if (m.vpi !== 0 || m.vci === 0) return this.refuseIncoming(m, SigCause.VCI_UNAVAILABLE);
    if (this.byId.size >= this.maxCalls) return this.refuseIncoming(m, SigCause.TABLE_FULL);
    const id = this.nextId;
    const decision = this.acceptor === undefined ? true : this.acceptor({ call: id, tag: m.tag, vci: m.vci });
    if (decision === false) return this.refuseIncoming(m, SigCause.REFUSED);
    const vcOptions = decision === true ? {} : decision;
    const vc = this.openCircuit(m.vci, vcOptions);
    if (vc < 0) return this.refuseIncoming(m, -vc as SigCause);
    this.nextId++;
    const call: HostCall = {
      id,
      ref: m.callRef,
      caller: false,
      state: HostCallState.Active,
      vc,
      vci: m.vci,
      tag: m.tag,
      vcOptions,
      handlers: this.incomingHandlers,
      timer: -1,
    };
    this.byId.set(id, call);
    this.inByRef.set(m.callRef, call);
    this.accepted++;
    this.send(0, sigRepr(SigType.CONNECT, m.callRef, 1, { vci: m.vci }));
    call.handlers.connected?.(id, vc);
  }

  /** Opens the NIC circuit on (0, vci): its index, or -cause when the NIC cannot. */
  private openCircuit(vci: number, options: AtmVcOptions): number {
    if (this.nic.vcOf(0, vci) >= 0) return -SigCause.VCI_UNAVAILABLE;
    try {
      return this.nic.openVc(0, vci, options);
    } catch (err) {
      if (err instanceof NetloomError)
        return err.code === ErrorCode.TABLE_FULL ? -SigCause.TABLE_FULL : -SigCause.VCI_UNAVAILABLE;
      throw err;
    }
  }

  private onProgress(m: AtmSignalRepr): void {
    const call = m.flag === 1 ? this.outByRef.get(m.callRef) : undefined;
    if (call === undefined) {
      this.unknownCall++;
      this.send(
        0,
        sigRepr(SigType.RELEASE_COMPLETE, m.callRef, m.flag === 1 ? 0 : 1, { cause: SigCause.INVALID_CALL_REF }),
      );
      return;
    }
    if (call.state === HostCallState.Calling) {
      const vc = m.vpi === 0 && m.vci !== 0 ? this.openCircuit(m.vci, call.vcOptions) : -SigCause.VCI_UNAVAILABLE;
      if (vc < 0) {
        this.send(0, sigRepr(SigType.RELEASE, call.ref, 0, { cause: -vc }));
        this.finish(call, -vc);
        return;
      }
      call.vc = vc;
      call.vci = m.vci;
      call.state = HostCallState.Proceeding;
    }
    if (m.type === SigType.CONNECT) {
      if (call.state === HostCallState.Active) {
        this.protocolErrors++;
        return;
      }
      call.state = HostCallState.Active;
      if (call.timer >= 0) this.sim.scheduler.cancel(call.timer);
      call.timer = -1;
      this.connectedCalls++;
      call.handlers.connected?.(call.id, call.vc);
    }
  }

  private onRelease(m: AtmSignalRepr): void {
    const call = m.flag === 1 ? this.outByRef.get(m.callRef) : this.inByRef.get(m.callRef);
    if (call === undefined) {
      if (m.type === SigType.RELEASE) {
        this.unknownCall++;
        this.send(
          0,
          sigRepr(SigType.RELEASE_COMPLETE, m.callRef, m.flag === 1 ? 0 : 1, { cause: SigCause.INVALID_CALL_REF }),
        );
      }
      return;
    }
    if (m.type === SigType.RELEASE)
      this.send(0, sigRepr(SigType.RELEASE_COMPLETE, m.callRef, m.flag === 1 ? 0 : 1, { cause: m.cause }));
    this.finish(call, m.cause);
  }

  /** Drops the call and tells the application: released if it was open, failed otherwise. */
  private finish(call: HostCall, cause: number): void {
    const wasActive = call.state === HostCallState.Active;
    this.drop(call);
    if (wasActive) {
      this.releasedCalls.add(cause);
      call.handlers.released?.(call.id, cause);
    } else {
      this.failedCalls.add(cause);
      call.handlers.failed?.(call.id, cause);
    }
  }

  private drop(call: HostCall): void {
    if (call.timer >= 0) this.sim.scheduler.cancel(call.timer);
    call.timer = -1;
    if (call.vc >= 0) this.nic.closeVc(call.vc);
    this.byId.delete(call.id);
    if (call.caller) this.outByRef.delete(call.ref);
    else this.inByRef.delete(call.ref);
  }

  protected timer(kind: number, a: number): void {
    if (kind !== EV_SIG_TIMEOUT || this.state !== HostSignallingState.Up) return;
    const call = this.byId.get(a);
    if (call === undefined || call.state === HostCallState.Active) return;
    call.timer = -1;
    this.send(0, sigRepr(SigType.RELEASE, call.ref, 0, { cause: SigCause.TIMEOUT }));
    this.finish(call, SigCause.TIMEOUT);
  }

  private allocRef(): number {
    for (;;) {
      const ref = this.nextRef;
      this.nextRef = ref === SIG_MAX_CALL_REF ? 1 : ref + 1;
      if (!this.outByRef.has(ref)) return ref;
    }
  }

  stats(): HostSignallingStats {
    return {
      ...this.counters(),
      state: this.state === HostSignallingState.Up ? "up" : "failed",
      failedAt: this.failedAt,
      calls: this.byId.size,
      opened: this.opened,
      connected: this.connectedCalls,
      failed: this.failedCalls.toJSON(),
      released: this.releasedCalls.toJSON(),
      closed: this.closed,
      accepted: this.accepted,
      refused: this.refused.toJSON(),
      keepAliveAnswers: this.keepAliveAnswers,
    };
  }

  /** Stops the agent (pending timers cancelled). The NIC is left as it is. */
  destroy(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const c of this.byId.values()) if (c.timer >= 0) this.sim.scheduler.cancel(c.timer);
    this.clearQueue();
  }
}
