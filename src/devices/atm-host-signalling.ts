// HostSignalling: the signalling agent of one AtmNic. It opens VPI 0 / VCI 5 on the NIC and
// takes its PDUs (nic.setSignalling); it opens switched circuits for the application (open),
// accepts or refuses incoming ones (setIncoming), and answers its switch's keep-alive polls.
//
// Contract:
// - The caller opens its NIC circuit at CALL PROCEEDING (so cells the callee sends at once find
//   it) and reports connected(call, vc) at CONNECT; failed(call, cause) on any refusal, or
//   TIMEOUT when no CONNECT came within setupTimeout (it then releases what was set up).
// - The callee opens its NIC circuit on the VCI its switch offers and answers CONNECT; its
//   application hears connected() at once.
// - close(call) sends RELEASE(NORMAL) from either end; the other end's application hears
//   released(call, cause). Every RELEASE the host sends waits for RELEASE COMPLETE under T308
//   (releaseTimeout): sent once more, then cleared and counted (atm-signalling-release.ts).
// - Calls are bounded by maxCalls and by the NIC's circuits. fail() makes the host (and its NIC)
//   stop answering anything, for good, without RELEASE or callbacks: its switch notices through
//   the keep-alive.
// - crash() (the host crashed; its NIC crashes apart) forgets every call silently: timers
//   stopped, the calls' NIC circuits closed, waiting messages lost, no RELEASE, no callbacks.
//   restart() answers again (polls, incoming calls) with no calls and sends RESTART (Q.2931
//   5.5, all circuits of the interface): its switch clears what it still held for it. Sooner,
//   the switch clears them when it has missed enough polls. RESTART is sent once (a lost one
//   is not repeated). A RESTART from the switch (it booted again) ends every call of the host
//   (TEMPORARY_FAILURE, to the application) and is answered RESTART ACKNOWLEDGE.
//
// State machines:
//   caller call: Calling --CALL PROCEEDING--> Proceeding --CONNECT--> Active
//                Calling | Proceeding --timeout / RELEASE (COMPLETE)--> freed (failed)
//                Active --RELEASE--> freed (released); any --close()--> freed
//   callee call: (SETUP accepted, CONNECT sent) Active --RELEASE / close()--> freed
//   host:        Up --fail()--> Failed (final); Up --crash()--> Crashed --restart()--> Up

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import {
  SIG_MAX_CALL_REF,
  SIG_MAX_PORT,
  SIG_MAX_ROUTE,
  SIG_VCI,
  SIG_VPI,
  SigCause,
  SigType,
  parseSigRoute,
  sigRepr,
  type AtmSignalRepr,
} from "../wire/atm-signalling.js";
import type { AtmNic } from "./atm-nic.js";
import type { AtmVcOptions } from "./atm-nic-circuits.js";
import type { AtmSignallingAgent } from "./atm-nic-receive.js";
import {
  CauseCounts,
  EV_SIG_T308,
  EV_SIG_TIMEOUT,
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

export const DEFAULT_SETUP_TIMEOUT_NS = 20_000_000;
export const DEFAULT_HOST_CALLS = 32;

export interface HostSignallingOptions extends SignallingOptions {
  /** Time from SETUP to CONNECT before the caller gives up with TIMEOUT (default 20ms). */
  setupTimeout?: number | string;
  /** Calls the host holds at once (default 32). */
  maxCalls?: number;
}

export interface HostSignallingStats extends SignallingCounters, ReleaseCounters {
  state: "up" | "failed" | "crashed";
  /** When the host failed (ns), or null. */
  failedAt: number | null;
  /** Calls held when the host crashed (forgotten silently). */
  callsLostInCrashes: number;
  /** RESTARTs from its switch (it booted again: every call of the host ended). */
  restartsHeard: number;
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

export const HostCallState = { Calling: 0, Proceeding: 1, Active: 2 } as const;
export type HostCallState = (typeof HostCallState)[keyof typeof HostCallState];
const HOST_CALL_STATE_NAMES = ["calling", "proceeding", "active"] as const;

export const HostSignallingState = { Up: 0, Failed: 1, Crashed: 2 } as const;
const HOST_STATE_NAMES = ["up", "failed", "crashed"] as const;
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
  private readonly releases: PendingReleases;
  private callsLostInCrashes = 0;
  private restartsHeard = 0;

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
    const t308 = checkDelay(options.releaseTimeout, DEFAULT_RELEASE_TIMEOUT_NS, `${this.name}.releaseTimeout`, false);
    this.releases = new PendingReleases(this.sim, this.id, t308, this.maxCalls, (_port, ref, flag, cause) =>
      this.send(0, sigRepr(SigType.RELEASE, ref, flag, { cause })),
    );
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
   * one, a failed host, or too many calls. The SETUP carries VCI 0: the switch assigns one.
   */
  open(route: string | readonly number[], handlers: AtmCallHandlers = {}, options: AtmCallOptions = {}): number {
    const path = `${this.name}.open`;
    if (this.stopped) throw new NetloomError(ErrorCode.USE_AFTER_FREE, `${this.name} was destroyed`, { path });
    if (this.state !== HostSignallingState.Up) {
      const how = this.state === HostSignallingState.Crashed ? "is crashed" : "has failed";
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${this.nic.name} ${how}: it opens no circuits`, { path });
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
    this.sendRelease(c, SigCause.NORMAL);
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
    this.releases.clear();
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

  /** The host crashed: every call forgotten silently (see the module contract). False when not up. */
  crash(): boolean {
    if (this.state !== HostSignallingState.Up) return false;
    this.state = HostSignallingState.Crashed;
    for (const c of [...this.byId.values()]) {
      if (c.timer >= 0) this.sim.scheduler.cancel(c.timer);
      c.timer = -1;
      if (c.vc >= 0) this.nic.closeVc(c.vc);
      this.callsLostInCrashes++;
    }
    this.byId.clear();
    this.outByRef.clear();
    this.inByRef.clear();
    this.releases.clear();
    this.crashQueue();
    return true;
  }

  /** Up again with no calls. False when not crashed. */
  restart(): boolean {
    if (this.state !== HostSignallingState.Crashed) return false;
    this.state = HostSignallingState.Up;
    this.send(0, sigRepr(SigType.RESTART, 0, 0));
    return true;
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
      case SigType.RESTART_ACKNOWLEDGE:
        return;
      case SigType.RESTART:
        if (m.callRef !== 0 || m.flag !== 0) this.protocolErrors++;
        else this.onSwitchRestart();
        return;
    }
  }

  /**
   * The switch booted again (RESTART): it holds none of our calls, so each ends here, released
   * (or failed, when not yet connected) with TEMPORARY_FAILURE and no RELEASE; then the answer.
   */
  private onSwitchRestart(): void {
    this.restartsHeard++;
    for (const c of [...this.byId.values()].sort((a, b) => a.id - b.id)) this.finish(c, SigCause.TEMPORARY_FAILURE);
    this.send(0, sigRepr(SigType.RESTART_ACKNOWLEDGE, 0, 1));
  }

  private refuseIncoming(m: AtmSignalRepr, cause: SigCause): void {
    this.refused.add(cause);
    this.send(0, sigRepr(SigType.RELEASE_COMPLETE, m.callRef, 1, { cause }));
  }

  /**
   * A SETUP from the switch. Refused with RELEASE COMPLETE when route entries are left
   * (ROUTE_TOO_LONG), the acceptor says no (REFUSED), or the NIC cannot open the VCI offered
   * (VCI_UNAVAILABLE / TABLE_FULL); otherwise the NIC circuit opens and CONNECT goes back.
   */
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

  /** CALL PROCEEDING (opens the NIC circuit on the VCI named) or CONNECT for a call we placed. */
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
        this.sendRelease(call, -vc);
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
      // The answer to a RELEASE of ours (or a RELEASE crossing it): T308 stops, nothing is sent.
      if (this.releases.complete(releaseKey(m.callRef, m.flag === 1))) return;
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

  /** RELEASE for `call`, from our side of its reference, with T308 running until it is answered. */
  private sendRelease(call: HostCall, cause: number): void {
    const flag = call.caller ? 0 : 1;
    this.send(0, sigRepr(SigType.RELEASE, call.ref, flag, { cause }));
    this.releases.start(releaseKey(call.ref, call.caller), 0, call.ref, flag, cause);
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
    if (this.state !== HostSignallingState.Up) return;
    if (kind === EV_SIG_T308) return this.releases.fire(a);
    if (kind !== EV_SIG_TIMEOUT) return;
    const call = this.byId.get(a);
    if (call === undefined || call.state === HostCallState.Active) return;
    call.timer = -1;
    this.sendRelease(call, SigCause.TIMEOUT);
    this.finish(call, SigCause.TIMEOUT);
  }

  /** A reference of ours is not given out again while its RELEASE is still unanswered. */
  private allocRef(): number {
    for (;;) {
      const ref = this.nextRef;
      this.nextRef = ref === SIG_MAX_CALL_REF ? 1 : ref + 1;
      if (!this.outByRef.has(ref) && !this.releases.has(releaseKey(ref, true))) return ref;
    }
  }

  stats(): HostSignallingStats {
    return {
      ...this.counters(),
      ...releaseCounters(this.releases),
      state: HOST_STATE_NAMES[this.state],
      failedAt: this.failedAt,
      callsLostInCrashes: this.callsLostInCrashes,
      restartsHeard: this.restartsHeard,
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
    this.releases.clear();
    this.clearQueue();
  }
}

/** A pending release's key: the reference and whose it is (ours: we sent the SETUP). */
function releaseKey(ref: number, ours: boolean): number {
  return ref * 2 + (ours ? 1 : 0);
}
