// PbClient: a client of a primary-backup service. It sends each request to the server it
// believes is primary, over UDP, with a timeout and retransmissions; when they run out it fails
// over to the next server in the list and asks it to take over (Birman fig. 4-8), then sends
// the request there. A NOT_PRIMARY answer redirects it to the primary the server names.
//
// Contract:
// - One call outstanding at a time. Calls start at startNs, then each at the later of the
//   previous call's start + intervalNs and its end; none starts at or after stopNs or after
//   `count` calls.
// - A call attempt waits timeoutNs; after `retries` retransmissions the client fails over (or,
//   with failover off, the call fails). A call fails once the client has tried every server
//   without an answer; the next call starts where it left off.
// - Request numbers count up from incarnation x 2^24 (a restarted client starts a new range, so
//   servers do not take its first requests for old ones); a TAKEOVER carries a number with the
//   top bit set, so its answer is never mistaken for a request's.
// - The client's view of the primary is recorded as a timeline: a server from its first OK
//   answer, -1 from the moment the client gives up on it (pb-history.ts).
// - A crash of the client's host ends the call in progress (counted as lost) and forgets the
//   primary; after a restart the client starts again from the first server.

import { EV_DEVICE_BASE } from "../../devices/device.js";
import type { Simulation } from "../../engine/simulation.js";
import { PB_NONE, PbStatus, PbType } from "../../wire/primary-backup.js";
import type { AnyIpHost } from "../ip/ip-host.js";
import type { UdpMessage } from "../ip/udp-layer.js";
import { DEFAULT_HISTORY_LIMIT, Timeline, type PbBelief } from "./pb-history.js";
import { PbNode } from "./pb-node.js";
import type { PbServiceConfig } from "./pb-server.js";

export const EV_PB_CALL = EV_DEVICE_BASE;
export const EV_PB_TIMEOUT = EV_DEVICE_BASE + 1;
const T_CALL = 0;
const T_TIMEOUT = 1;
const TAKEOVER_BIT = 0x8000_0000;

export interface PbClientOptions {
  /** This client's id (0..clients-1). */
  id: number;
  timeoutNs: number;
  retries: number;
  /** Least time between call starts (0: the next call when the previous ends). */
  intervalNs: number;
  /** Calls to make (Infinity: until stopNs). */
  count: number;
  stopNs: number;
  /** Fail over to the next server when the primary stops answering (false: the call fails). */
  failover: boolean;
}

export interface PbClientCounters {
  calls: number;
  ok: number;
  failed: number;
  /** Calls cut short by a crash of the client's host. */
  lost: number;
  retransmits: number;
  failovers: number;
  takeoverRequests: number;
  redirects: number;
  /** Answers to a call that had already ended, or from a server not asked. */
  stale: number;
}

/** A client as plain data (crosses worker threads). */
export interface PbClientState {
  host: string;
  id: number;
  /** The server the client treats as primary now (-1: none). */
  primary: number;
  beliefs: PbBelief[];
  beliefsOverflow: number;
  counters: PbClientCounters;
  /** Round trip of successful calls (start to OK), ns. */
  latency: { count: number; meanNs: number; maxNs: number };
  drops: Record<string, number>;
}

const Phase = { IDLE: 0, REQUEST: 1, TAKEOVER: 2 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

export class PbClient extends PbNode {
  readonly opt: PbClientOptions;
  private readonly cfg: PbServiceConfig;
  private phase: Phase = Phase.IDLE;
  /** Server the current attempt goes to. */
  private target = 0;
  private belief = -1;
  private epoch = 0;
  private seq = 0;
  private takeoverSeq = 0;
  private attempts = 0;
  /** Servers tried without an answer in this call; redirects followed in this call. */
  private tried = 0;
  private redirected = 0;
  private callStart = 0;
  private value = 0;
  private latencySum = 0;
  private latencyMax = 0;
  private readonly beliefs: Timeline<PbBelief>;
  readonly counters: PbClientCounters = {
    calls: 0,
    ok: 0,
    failed: 0,
    lost: 0,
    retransmits: 0,
    failovers: 0,
    takeoverRequests: 0,
    redirects: 0,
    stale: 0,
  };

  constructor(sim: Simulation, host: AnyIpHost, cfg: PbServiceConfig, opt: PbClientOptions) {
    super(sim, host, cfg.service, cfg.port);
    this.cfg = cfg;
    this.opt = opt;
    this.beliefs = new Timeline(cfg.historyLimit ?? DEFAULT_HISTORY_LIMIT);
    this.believe(0);
    this.arm(T_CALL, EV_PB_CALL, cfg.startNs - sim.now);
  }

  handleEvent(kind: number, _a: number, _b: number, _len: number): void {
    if (kind === EV_PB_CALL) {
      this.fired(T_CALL);
      this.startCall();
    } else if (kind === EV_PB_TIMEOUT) {
      this.fired(T_TIMEOUT);
      this.onTimeout();
    }
  }

  state(): PbClientState {
    const ok = this.counters.ok;
    return {
      host: this.host.name.replace(/\.ip$/, ""),
      id: this.opt.id,
      primary: this.belief,
      beliefs: this.beliefs.entries.map((b) => ({ ...b })),
      beliefsOverflow: this.beliefs.overflow,
      counters: { ...this.counters },
      latency: { count: ok, meanNs: ok === 0 ? 0 : Math.round(this.latencySum / ok), maxNs: this.latencyMax },
      drops: { ...this.drops },
    };
  }

  // --- calls ---

  private startCall(): void {
    const now = this.sim.now;
    if (this.counters.calls >= this.opt.count || now >= this.opt.stopNs || this.phase !== Phase.IDLE) return;
    this.counters.calls++;
    this.seq = (this.seq + 1) >>> 0;
    this.value = (this.opt.id * 0x9e37 + this.counters.calls) >>> 0;
    this.callStart = now;
    this.tried = 0;
    this.redirected = 0;
    this.sendRequest();
  }

  private sendRequest(): void {
    this.phase = Phase.REQUEST;
    this.attempts = 0;
    this.transmit();
  }

  private transmit(): void {
    const t = this.tx;
    const takeover = this.phase === Phase.TAKEOVER;
    t.type = takeover ? PbType.TAKEOVER : PbType.REQUEST;
    t.status = PbStatus.OK;
    t.epoch = this.epoch;
    t.sender = PB_NONE;
    t.hint = this.belief === -1 ? PB_NONE : this.belief;
    t.client = this.opt.id;
    t.seq = takeover ? this.takeoverSeq : this.seq;
    t.index = 0;
    t.value = takeover ? 0 : this.value;
    this.send(this.cfg.servers[this.target]!);
    this.arm(T_TIMEOUT, EV_PB_TIMEOUT, this.opt.timeoutNs);
  }

  private onTimeout(): void {
    if (this.phase === Phase.IDLE) return;
    if (this.attempts < this.opt.retries) {
      this.attempts++;
      this.counters.retransmits++;
      return this.transmit();
    }
    this.giveUpOnTarget();
  }

  /** The target did not answer (or cannot serve): the next server, or the call fails. */
  private giveUpOnTarget(): void {
    this.believe(-1);
    this.tried++;
    if (!this.opt.failover || this.tried >= this.cfg.servers.length) return this.endCall(false);
    this.counters.failovers++;
    this.target = (this.target + 1) % this.cfg.servers.length;
    this.askTakeover();
  }

  private askTakeover(): void {
    this.counters.takeoverRequests++;
    this.takeoverSeq = (TAKEOVER_BIT | (this.takeoverSeq + 1)) >>> 0;
    this.phase = Phase.TAKEOVER;
    this.attempts = 0;
    this.transmit();
  }

  private endCall(ok: boolean): void {
    this.disarm(T_TIMEOUT);
    this.phase = Phase.IDLE;
    const now = this.sim.now;
    if (ok) {
      this.counters.ok++;
      const rtt = now - this.callStart;
      this.latencySum += rtt;
      if (rtt > this.latencyMax) this.latencyMax = rtt;
    } else this.counters.failed++;
    const next = Math.max(now, this.callStart + this.opt.intervalNs);
    this.arm(T_CALL, EV_PB_CALL, next - now);
  }

  // --- answers ---

  protected onPb(_m: UdpMessage): void {
    const r = this.rx;
    if (r.type !== PbType.REPLY) return this.drop("UNEXPECTED_TYPE");
    const expected = this.phase === Phase.TAKEOVER ? this.takeoverSeq : this.seq;
    if (this.phase === Phase.IDLE || r.client !== this.opt.id || r.seq !== expected || r.sender !== this.target) {
      this.counters.stale++;
      return;
    }
    if (r.status === PbStatus.NOT_PRIMARY) return this.redirect(r.hint);
    this.epoch = r.epoch;
    this.believe(this.target);
    if (this.phase === Phase.TAKEOVER) return this.sendRequest();
    this.endCall(true);
  }

  /** NOT_PRIMARY: go to the primary the server names, at most once per server per call. */
  private redirect(hint: number): void {
    if (hint === PB_NONE || hint >= this.cfg.servers.length || hint === this.target) {
      this.believe(-1);
      return this.giveUpOnTarget();
    }
    if (this.redirected >= this.cfg.servers.length) return this.giveUpOnTarget();
    this.redirected++;
    this.counters.redirects++;
    this.believe(-1);
    this.target = hint;
    this.sendRequest();
  }

  private believe(server: number): void {
    if (server === this.belief) return;
    this.belief = server;
    this.beliefs.push({ atNs: this.sim.now, server });
  }

  // --- crash and restart ---

  protected onHostCrash(): void {
    if (this.phase !== Phase.IDLE) this.counters.lost++;
    this.phase = Phase.IDLE;
    this.believe(-1);
  }

  protected onHostRestart(): void {
    this.seq = (this.host.incarnation << 24) >>> 0;
    this.target = 0;
    this.epoch = 0;
    this.believe(0);
    this.arm(T_CALL, EV_PB_CALL, 0);
  }
}
