// ATM signalling: switched virtual circuits opened along a route of output port numbers
// ("4.3.0.7": at each switch on the path, the output port to take), with the messages of
// src/wire/atm-signalling.ts sent as real AAL5 PDUs on the signalling channel (VPI 0, VCI 5)
// between a host and its switch and between switches. This module holds what every signalling
// entity shares; the two kinds are SwitchSignalling (atm-switch-signalling.ts), the control
// plane of an AtmSwitch, and HostSignalling (atm-host-signalling.ts), the agent of an AtmNic.
//
// Contract:
// - An entity parses a message on arrival (a malformed one is dropped and counted by
//   SigParseError reason), queues it (bounded: queueLimit; overflow counted) and processes it
//   `delay` ns of virtual time later (the per-hop processing time), in order.
// - VCIs: each side of a link allocates the VCI it RECEIVES on (no glare between switches); on
//   a host's link the switch allocates and the host uses the same VCI both ways, as a UNI. Only
//   VPI 0 is used.
// - Everything is bounded (calls, VCIs, the message queue, reassembly buffers). Message
//   processing never throws; API misuse (a bad route, a failed host, too many calls) throws
//   NetloomError.
// - A RELEASE waits for its RELEASE COMPLETE under Q.2931's T308 (atm-signalling-release.ts):
//   sent once more, then the call reference is cleared and counted.
// - A crash of an entity (crashQueue) loses the messages waiting to be processed.
// - RESTART (Q.2931 5.5, all circuits of a link): sent once by a host or switch that booted
//   again after a crash; the neighbour releases every call through that link.
// - Not handled: link-down detection (AtmLink has no down state), retransmission of lost
//   signalling messages (SSCOP) other than the caller's timeout and T308 (a lost RESTART
//   included), recovery of a failed host, point-to-multipoint, traffic contracts (every
//   circuit is UBR).

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import { parseDuration } from "../base/units.js";
import type { EventHandler } from "../engine/scheduler.js";
import type { Simulation } from "../engine/simulation.js";
import {
  AtmSignalView,
  SIG_MAX_LEN,
  SIG_PARSE_ERROR_NAMES,
  SIG_TYPES,
  SIG_TYPE_NAMES,
  emitAtmSignal,
  parseAtmSignal,
  sigCauseName,
  type AtmSignalRepr,
} from "../wire/atm-signalling.js";

/** Self events of a signalling entity (its own handler id). */
export const EV_SIG_PROCESS = 1;
export const EV_SIG_KEEPALIVE = 2;
export const EV_SIG_TIMEOUT = 3;
/** T308 ran out for a pending release (atm-signalling-release.ts; a = its id). */
export const EV_SIG_T308 = 4;

export const DEFAULT_SIG_DELAY_NS = 50_000;
export const DEFAULT_SIG_QUEUE = 64;

export interface SignallingOptions {
  /** Processing time per message, ns or a duration string (default 50us). */
  delay?: number | string;
  /** Messages waiting to be processed (default 64); more are dropped and counted. */
  queueLimit?: number;
  /** T308: wait for RELEASE COMPLETE before RELEASE is sent again, then cleared (default 20ms). */
  releaseTimeout?: number | string;
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

/** A duration option in ns (zero allowed only if `allowZero`); throws NetloomError otherwise. */
export function checkDelay(
  value: number | string | undefined,
  fallback: number,
  path: string,
  allowZero: boolean,
): number {
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
export abstract class SignallingEntity implements EventHandler {
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  readonly delayNs: number;
  protected stopped = false;
  /** Process events of messages a crash dropped: they still come, first, and do nothing. */
  private staleProcess = 0;
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
      // The delay is the same for every message, so process events come in queue order.
      if (this.staleProcess > 0) {
        this.staleProcess--;
        return;
      }
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

  /** A crash loses the messages waiting to be processed; their events are ignored when they come. */
  protected crashQueue(): void {
    this.staleProcess += this.qCount;
    this.clearQueue();
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
