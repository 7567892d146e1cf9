// SwitchSignalling: the control plane of one AtmSwitch (sw.setControlPlane). It takes every
// user cell of VCI 5 on any port, reassembles it with its own Aal5Reassembler (one circuit per
// port, bounded buffers; CRC/length errors are the kernel's counted drops), and sends its
// messages through sw.sendLocalCells (the same output queues and policies as data).
//
// Contract:
// - A SETUP consumes one route entry, the output port, and is refused or forwarded (onSetup);
//   the forward entry goes into the VC table when the downstream neighbour names its VCI (CALL
//   PROCEEDING or CONNECT), and CONNECT is passed upstream.
// - Release: a RELEASE from either side removes both entries and frees both VCIs; the switch
//   answers RELEASE COMPLETE and sends RELEASE on towards the other end. A RELEASE COMPLETE in
//   answer to a SETUP (a refusal further on) tears down the same way back to the caller.
//   Records are freed when RELEASE is sent; the RELEASE waits for its RELEASE COMPLETE under T308
//   (releaseTimeout; atm-signalling-release.ts): sent once more, then cleared and counted, so a
//   RELEASE lost on a link does not leave the calls further on for good.
// - Liveness of host ends: KeepAlive (atm-switch-keepalive.ts); a failed host's calls are torn
//   down with RELEASE(HOST_FAILED) along each path to the other end. A RESTART from a port (a
//   host or a switch that booted again) tears down every call through that link the same way
//   (TEMPORARY_FAILURE when the neighbour is a switch) and is answered RESTART ACKNOWLEDGE.
// - Calls and their VCIs: SwitchCallTable (atm-switch-calls.ts).
// - A crash of the switch (crash(), from AtmSwitch.crash) forgets every call silently: its
//   table entries and VCIs are freed, the keep-alive stops, messages waiting and PDUs in
//   reassembly are lost, nothing is sent. The neighbours are not told while it is down
//   (switch-to-switch links have no keep-alive here): they keep the calls through it. restart()
//   answers again with no calls and sends RESTART on every link: the neighbours release the
//   calls through it (RESTART is sent once; a lost one is not repeated).
//
// State machine per call:
//   (SETUP accepted) Proceeding --CALL PROCEEDING from downstream--> Routed
//   Proceeding | Routed --CONNECT from downstream--> Active
//   any --RELEASE / RELEASE COMPLETE from either side, host failure--> freed

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import { NO_FRAME } from "../buf/frames.js";
import { FRAME_VEC_ARG, FRAME_VEC_LEN, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "../kernels/abi.js";
import { AAL5_STATUS, Aal5Reassembler, aal5SegmentInto, type Aal5Totals } from "../kernels/aal5.js";
import { ATM_CELL_LEN, HDR_NOT_USER_DATA } from "../wire/atm-cell.js";
import {
  SIG_MAX_LEN,
  SIG_VCI,
  SIG_VPI,
  SigCause,
  SigType,
  sigRepr,
  type AtmSignalRepr,
} from "../wire/atm-signalling.js";
import {
  CauseCounts,
  EV_SIG_KEEPALIVE,
  EV_SIG_T308,
  SignallingEntity,
  checkDelay,
  type SignallingCounters,
  type SignallingOptions,
} from "./atm-signalling.js";
import {
  DEFAULT_RELEASE_TIMEOUT_NS,
  PendingReleases,
  releaseCounters,
  type ReleaseCounters,
} from "./atm-signalling-release.js";
import { type AtmSwitch, SvcEntryStatus } from "./atm-switch.js";
import { type SwitchCall, SwitchCallState, SwitchCallTable, callKey } from "./atm-switch-calls.js";
import type { AtmControlPlane } from "./atm-switch-input.js";
import { KeepAlive } from "./atm-switch-keepalive.js";

export const DEFAULT_KEEPALIVE_NS = 5_000_000;
export const DEFAULT_KEEPALIVE_MISSES = 3;
export const DEFAULT_SVC_FIRST_VCI = 256;
export const DEFAULT_SVC_VCIS = 1024;
export const DEFAULT_SWITCH_CALLS = 1024;

/** Header word of signalling cells (VPI 0, VCI 5; the same in the UNI and NNI formats). */
const SIG_HEADER_WORD = ((SIG_VPI << 20) | (SIG_VCI << 4)) >>> 0;

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

export interface SwitchSignallingStats extends SignallingCounters, ReleaseCounters {
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
  /** Calls the switch held when it crashed (forgotten silently). */
  callsLostInCrashes: number;
  /** RESTARTs from neighbours that booted again (the calls through them released). */
  restartsHeard: number;
  /** The signalling reassembler's counters (badCrc, badLength, ...). */
  reassembly: Aal5Totals;
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
  private readonly calls: SwitchCallTable;
  private readonly keepAlive: KeepAlive;
  private readonly releases: PendingReleases;
  private readonly onPduBound: (circuit: number, ptr: number, length: number, status: number) => void;
  // Counters.
  private setups = 0;
  private connects = 0;
  private readonly refused = new CauseCounts();
  private readonly released = new CauseCounts();
  private vcTableFull = 0;
  private callTableFull = 0;
  private hostFailures = 0;
  private releasedOnHostFailure = 0;
  private nonUserCells = 0;
  private callsLostInCrashes = 0;
  private restartsHeard = 0;
  private down = false;

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
    this.calls = new SwitchCallTable(sw, this.firstVci, this.vcis, this.maxCalls);
    const t308 = checkDelay(options.releaseTimeout, DEFAULT_RELEASE_TIMEOUT_NS, `${name}.releaseTimeout`, false);
    this.releases = new PendingReleases(sw.sim, this.id, t308, this.maxCalls, (port, ref, flag, cause) =>
      this.send(port, sigRepr(SigType.RELEASE, ref, flag, { cause })),
    );
    this.calls.refBusy = (key) => this.releases.has(key);
    this.keepAlive = new KeepAlive(sw.sim, this.id, P, this.keepAliveNs, this.keepAliveMisses, {
      poll: (port, seq) => this.send(port, sigRepr(SigType.STATUS_ENQUIRY, 0, 0, { seq })),
      hostFailed: (port) => this.hostFailed(port),
    });
    this.onPduBound = this.onPdu.bind(this);
    sw.setControlPlane(this);
  }

  // --- receive (AtmControlPlane) ----------------------------------------------------------

  cell(port: number, ptr: number, w: number): void {
    if (this.stopped || this.down) return;
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
        this.keepAlive.answered(port);
        return;
      case SigType.RESTART:
        if (m.callRef !== 0 || m.flag !== 0) this.protocolErrors++;
        else this.onRestart(port);
        return;
      case SigType.RESTART_ACKNOWLEDGE:
        return;
    }
  }

  /**
   * The host or switch on `port` booted again: every call through that link goes (as if the
   * host had failed, or TEMPORARY_FAILURE when it is a switch), RELEASE towards the other end;
   * then the answer.
   */
  private onRestart(port: number): void {
    this.restartsHeard++;
    for (const c of this.calls.callsOnPort(port)) {
      const viaUp = c.up === port;
      const cause = (viaUp ? c.upUser : c.downUser) ? SigCause.HOST_FAILED : SigCause.TEMPORARY_FAILURE;
      this.teardown(c, cause);
      if (viaUp) this.send(c.down, sigRepr(SigType.RELEASE, c.downRef, 0, { cause }));
      else this.send(c.up, sigRepr(SigType.RELEASE, c.upRef, 1, { cause }));
    }
    this.send(port, sigRepr(SigType.RESTART_ACKNOWLEDGE, 0, 1));
  }

  private refuse(port: number, m: AtmSignalRepr, cause: SigCause): void {
    this.refused.add(cause);
    this.send(port, sigRepr(SigType.RELEASE_COMPLETE, m.callRef, 1, { cause }));
  }

  /**
   * A SETUP from port p. Refused with RELEASE COMPLETE and a cause when the route is empty
   * (ROUTE_TOO_SHORT: it ended at a switch), its port does not exist (PORT_OUT_OF_RANGE) or has
   * no link (NOTHING_ATTACHED), the SETUP comes straight from a host (hops 0) whose port is at
   * its circuit limit (CIRCUIT_LIMIT; sw.setCircuitLimit), the call table or the VC table has
   * no room for two entries (TABLE_FULL), or no VCI is free on the input or output link
   * (NO_VCI). Otherwise one VCI is allocated on each link, the backward entry installed, CALL
   * PROCEEDING answered with the VCI the switch receives on, and SETUP forwarded with the rest
   * of the route and the VCI the backward cells will arrive on.
   */
  private onSetup(p: number, m: AtmSignalRepr): void {
    const calls = this.calls;
    if (calls.get(p, false, m.callRef) !== undefined) {
      this.protocolErrors++; // a repeated SETUP
      return;
    }
    if (m.route.length === 0) return this.refuse(p, m, SigCause.ROUTE_TOO_SHORT);
    const out = m.route[0]!;
    if (out >= this.nPorts) return this.refuse(p, m, SigCause.PORT_OUT_OF_RANGE);
    if (!this.sw.isAttached(out)) return this.refuse(p, m, SigCause.NOTHING_ATTACHED);
    const upUser = m.hops === 0;
    // The limit counts the host's circuits in the table and its calls still being set up.
    if (upUser && this.sw.circuitCount(p) + calls.reservedOn(p) >= this.sw.circuitLimit(p))
      return this.refuse(p, m, SigCause.CIRCUIT_LIMIT);
    if (m.vpi !== 0) return this.refuse(p, m, SigCause.VCI_UNAVAILABLE);
    if (calls.isFull()) {
      this.callTableFull++;
      return this.refuse(p, m, SigCause.TABLE_FULL);
    }
    const table = this.sw.vcTable;
    if (table.size + calls.reservedEntries + 2 > table.capacity) {
      this.vcTableFull++;
      return this.refuse(p, m, SigCause.TABLE_FULL);
    }
    const fwdIn = calls.allocVci(p);
    if (fwdIn < 0) return this.refuse(p, m, SigCause.NO_VCI);
    const bwdIn = calls.allocVci(out);
    if (bwdIn < 0) {
      calls.freeVci(p, fwdIn);
      return this.refuse(p, m, SigCause.NO_VCI);
    }
    // A calling host left the VCI to us: it uses the one it sends on for receiving too.
    const bwdOut = m.vci === 0 ? fwdIn : m.vci;
    if (this.sw.addSvcEntry(out, bwdIn, p, bwdOut) !== SvcEntryStatus.OK) {
      calls.freeVci(p, fwdIn);
      calls.freeVci(out, bwdIn);
      this.vcTableFull++;
      return this.refuse(p, m, SigCause.TABLE_FULL);
    }
    const call = calls.add(p, m.callRef, out, fwdIn, bwdIn, bwdOut, upUser, m.route.length === 1);
    if (upUser) this.keepAlive.addUserCall(p);
    if (call.downUser) this.keepAlive.addUserCall(out);
    this.setups++;
    this.send(p, sigRepr(SigType.CALL_PROCEEDING, m.callRef, 1, { vci: fwdIn }));
    this.send(
      out,
      sigRepr(SigType.SETUP, call.downRef, 0, {
        vci: bwdIn,
        tag: m.tag,
        hops: Math.min(255, m.hops + 1),
        route: m.route.slice(1),
      }),
    );
  }

  /** CALL PROCEEDING or CONNECT from downstream port q: it names its VCI; CONNECT goes up. */
  private onDownstreamReply(q: number, m: AtmSignalRepr): void {
    const call = this.calls.get(q, true, m.callRef);
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
      this.calls.unreserve(call);
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

  /** RELEASE or RELEASE COMPLETE on port x: tear the call down and pass RELEASE on. */
  private onRelease(x: number, m: AtmSignalRepr): void {
    const mine = m.flag === 1;
    const call = this.calls.get(x, mine, m.callRef);
    if (call === undefined) {
      // The answer to a RELEASE of ours (or a RELEASE crossing it): T308 stops, nothing is sent.
      if (this.releases.complete(callKey(x, mine, m.callRef))) return;
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
    if (mine) this.releaseUp(call, m.cause);
    else this.releaseDown(call, m.cause);
  }

  private releaseBoth(call: SwitchCall, cause: SigCause): void {
    this.teardown(call, cause);
    this.releaseUp(call, cause);
    this.releaseDown(call, cause);
  }

  /** RELEASE towards the caller (its reference), with T308 running until it is answered. */
  private releaseUp(call: SwitchCall, cause: number): void {
    this.send(call.up, sigRepr(SigType.RELEASE, call.upRef, 1, { cause }));
    this.releases.start(callKey(call.up, false, call.upRef), call.up, call.upRef, 1, cause);
  }

  /** RELEASE towards the called end (our reference), with T308 running until it is answered. */
  private releaseDown(call: SwitchCall, cause: number): void {
    this.send(call.down, sigRepr(SigType.RELEASE, call.downRef, 0, { cause }));
    this.releases.start(callKey(call.down, true, call.downRef), call.down, call.downRef, 0, cause);
  }

  /** Frees the call: its record, table entries (or reservation), VCIs and keep-alive interest. */
  private teardown(call: SwitchCall, cause: number): void {
    this.free(call);
    this.released.add(cause);
  }

  private free(call: SwitchCall): void {
    const calls = this.calls;
    calls.remove(call);
    if (call.fwdOut >= 0) this.sw.removeSvcEntry(call.up, call.fwdIn);
    else calls.unreserve(call);
    this.sw.removeSvcEntry(call.down, call.bwdIn);
    calls.freeVci(call.up, call.fwdIn);
    calls.freeVci(call.down, call.bwdIn);
    if (call.upUser) this.keepAlive.dropUserCall(call.up);
    if (call.downUser) this.keepAlive.dropUserCall(call.down);
  }

  // --- crashes ------------------------------------------------------------------------------

  /** The switch crashed: every call is forgotten, silently (see the module contract). */
  crash(): void {
    if (this.stopped || this.down) return;
    this.down = true;
    for (const c of this.calls.all()) {
      this.free(c);
      this.callsLostInCrashes++;
    }
    this.keepAlive.stop();
    this.releases.clear();
    this.crashQueue();
    for (let p = 0; p < this.nPorts; p++) this.reassembler.abort(p);
  }

  /**
   * The switch restarted: no calls, answering again, and RESTART on every link, so that the
   * neighbours release what they still hold of calls through it.
   */
  restart(): void {
    if (!this.down) return;
    this.down = false;
    for (let p = 0; p < this.nPorts; p++) if (this.sw.isAttached(p)) this.send(p, sigRepr(SigType.RESTART, 0, 0));
  }

  // --- keep-alive ---------------------------------------------------------------------------

  protected timer(kind: number, a: number): void {
    if (this.down) return;
    if (kind === EV_SIG_KEEPALIVE) this.keepAlive.fire();
    else if (kind === EV_SIG_T308) this.releases.fire(a);
  }

  /** The host on `p` stopped answering: release every call it is an end of. */
  private hostFailed(p: number): void {
    this.hostFailures++;
    this.releaseHostCalls(p);
  }

  /** Every call the host on `p` is an end of is torn down, RELEASE(HOST_FAILED) to the other end. */
  private releaseHostCalls(p: number): void {
    for (const c of this.calls.callsOfHost(p)) {
      const upDead = c.upUser && c.up === p;
      const downDead = c.downUser && c.down === p;
      this.teardown(c, SigCause.HOST_FAILED);
      this.releasedOnHostFailure++;
      if (!upDead) this.releaseUp(c, SigCause.HOST_FAILED);
      if (!downDead) this.releaseDown(c, SigCause.HOST_FAILED);
    }
  }

  // --- stats and lifecycle ------------------------------------------------------------------

  /** Calls held now. */
  get callsHeld(): number {
    return this.calls.count;
  }

  stats(): SwitchSignallingStats {
    return {
      ...this.counters(),
      ...releaseCounters(this.releases),
      calls: this.calls.count,
      callsHighWater: this.calls.highWater,
      setups: this.setups,
      connects: this.connects,
      refused: this.refused.toJSON(),
      released: this.released.toJSON(),
      vcTableFull: this.vcTableFull,
      callTableFull: this.callTableFull,
      vcisInUse: this.calls.vcisInUse,
      keepAlivesSent: this.keepAlive.sent,
      keepAliveAnswers: this.keepAlive.answers,
      hostFailures: this.hostFailures,
      releasedOnHostFailure: this.releasedOnHostFailure,
      nonUserCells: this.nonUserCells,
      callsLostInCrashes: this.callsLostInCrashes,
      restartsHeard: this.restartsHeard,
      reassembly: this.reassembler.totals(),
    };
  }

  /** Stops the control plane and frees its heap regions (the switch's destroy() calls it). */
  destroy(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clearQueue();
    this.releases.clear();
    this.keepAlive.stop();
    this.sw.setControlPlane(undefined);
    this.reassembler.free();
    this.sim.runtime.heap.free(this.region);
  }
}
