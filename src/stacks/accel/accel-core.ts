// AccelCore: what the accelerator's send side, receive side and facade share: the stack's
// identity on the scheduler and its CPU, its link, its counters, the frames held by events not
// yet run, and the CPU charges of the accelerator's kinds of work.
//
// Contract:
// - Effects of a CPU job happen at the moment the job has reached (HostCpu.deferDelay()):
//   later() schedules an event on the stack then; transmit() and deliverLater() hold a
//   reference to the frame for the event (releasePending() gives them all back).
// - Event and job kinds, timers and the CPU-work constants are this module's; the facade
//   (accelerator.ts) dispatches them.
// - ownAccelAt() finds the accelerated header of a frame this stack built (link header,
//   mini-header and, while announcing, the connection identification in front of it).

import type { FrameStore } from "../../buf/frames.js";
import type { Simulation } from "../../engine/simulation.js";
import type { ChecksumKernels } from "../../kernels/checksum.js";
import { CpuOp, type HostCpu } from "../cost.js";
import type { LinkBottom } from "../link-bottom/link-bottom.js";
import type { AccelConfig } from "./accel-config.js";
import { CONN_ID_LEN, MINI_CONN, MINI_HEADER_LEN } from "./mini-header.js";

/** Handler-sized operations of the packet filter on the fast path (per frame, each way). */
export const ACCEL_FILTER_OPS = 8;
/** Handler-sized operations to precompute the next predicted header (post-processing). */
export const ACCEL_TEMPLATE_OPS = 4;
/** Handler-sized operations per message packed or unpacked beyond the first. */
export const ACCEL_PACK_OPS = 2;

export const JOB_SEND = 1;
export const JOB_RX = 2;
export const JOB_POST_SEND = 3;
export const JOB_POST_RX = 4;
export const JOB_DRAIN = 5;
export const JOB_TIMER = 6;

export const EV_TX = 16;
export const EV_DELIVER = 17;
export const EV_POST_SEND = 18;
export const EV_POST_SEND_DONE = 19;
export const EV_POST_RX = 20;
export const EV_POST_RX_DONE = 21;
export const EV_TIMER = 22;
export const EV_DRAIN = 23;

export const T_PROBE = 0;
export const T_NAK = 1;
export const T_ACK = 2;
/** An event whose job found the CPU queue full tries again this much later. */
export const RETRY_NS = 100_000;
/** EV_DELIVER b: the frame is one of ours (headers still on), not a received one. */
export const OWN = 0x8000;

export function newAccelCounters() {
  return {
    sent: 0,
    delivered: 0,
    bytesCopied: 0,
    framesSent: 0,
    framesReceived: 0,
    fastSends: 0,
    predictionHits: 0,
    predictionMisses: 0,
    notReady: 0,
    postSendJobs: 0,
    postReceiveJobs: 0,
    backlogged: 0,
    backlogDrops: 0,
    packedFrames: 0,
    packedMessages: 0,
    connIdSent: 0,
    connIdReceived: 0,
    selfDelivered: 0,
    retransmitted: 0,
    probes: 0,
    naksSent: 0,
    naksReceived: 0,
    gossipSent: 0,
    gossipReceived: 0,
    duplicates: 0,
    beyondWindow: 0,
  };
}

export function newAccelDrops() {
  return {
    unknownCookie: 0,
    badConnId: 0,
    badByteOrder: 0,
    badHeader: 0,
    badChecksum: 0,
    badEtherType: 0,
    unknownVc: 0,
    tooLong: 0,
    noSlot: 0,
    cpuQueue: 0,
    rxCpuQueue: 0,
    txRefused: 0,
  };
}

export type AccelCounters = ReturnType<typeof newAccelCounters>;
export type AccelDrops = ReturnType<typeof newAccelDrops>;
export type AccelDropName = keyof AccelDrops;

/** What every frame's gossip carries: the receive side's cumulative ack. */
export interface AccelGossip {
  /** Every message of the peer's stream below this was delivered. */
  readonly expected: number;
  /** Deliveries not yet acknowledged to the peer (a frame's gossip resets it). */
  unacked: number;
}

export interface AccelCoreParts {
  /** The stack's device id on the scheduler and its client index on the CPU. */
  id: number;
  client: number;
  cpu: HostCpu;
  bottom: LinkBottom;
  kernels: ChecksumKernels;
  config: AccelConfig;
  headroom: number;
  maxMessage: number;
}

export class AccelCore {
  readonly sim: Simulation;
  readonly frames: FrameStore;
  readonly u8: Uint8Array;
  readonly cpu: HostCpu;
  readonly bottom: LinkBottom;
  readonly kernels: ChecksumKernels;
  readonly config: AccelConfig;
  readonly id: number;
  readonly client: number;
  readonly headroom: number;
  readonly maxMessage: number;
  readonly c: AccelCounters = newAccelCounters();
  readonly d: AccelDrops = newAccelDrops();
  /** References held by scheduled EV_TX / EV_DELIVER events, per frame. */
  private readonly pending = new Map<number, number>();

  constructor(sim: Simulation, parts: AccelCoreParts) {
    this.sim = sim;
    this.frames = sim.frames;
    this.u8 = sim.runtime.u8;
    this.cpu = parts.cpu;
    this.bottom = parts.bottom;
    this.kernels = parts.kernels;
    this.config = parts.config;
    this.id = parts.id;
    this.client = parts.client;
    this.headroom = parts.headroom;
    this.maxMessage = parts.maxMessage;
  }

  get now(): number {
    return this.sim.scheduler.now;
  }

  chargeOps(n: number): void {
    this.cpu.charge(CpuOp.HANDLER_DISPATCH, n * this.cpu.profile.handlerDispatchNs);
  }

  chargeCrossings(n: number): void {
    for (let i = 0; i < n; i++) this.cpu.chargeOp(CpuOp.LAYER_CROSSING);
  }

  /**
   * Post-processing runs each stateful layer's state update only (profile layerState): the
   * header work and the call through the layer interface are what the accelerator removed.
   */
  chargePostProcessing(n: number): void {
    this.cpu.charge(CpuOp.LAYER_CROSSING, n * this.cpu.profile.layerStateNs);
  }

  /** Schedules event `kind` on this stack at the moment the running job has reached. */
  later(kind: number, a: number, b: number, len: number): number {
    return this.sim.scheduler.schedule(this.id, this.cpu.deferDelay(), this.id, kind, a, b, len);
  }

  /** Schedules `kind` again after RETRY_NS (its job found the CPU queue full). */
  retry(kind: number, a: number): void {
    this.sim.scheduler.schedule(this.id, RETRY_NS, this.id, kind, a, 0, 0);
  }

  /** Hands `f` (headers on) to the link when the running job gets there. */
  transmit(f: number): void {
    this.hold(f);
    this.later(EV_TX, f, 0, this.frames.length[f]!);
  }

  /**
   * Schedules the upcalls of `count` messages of frame `f` (from message `b & 0x7fff`; b & OWN:
   * one of our frames, headers still on) at the moment the running job reaches them; one
   * reference to the frame goes with it.
   */
  deliverLater(f: number, src: number, b: number, count: number): void {
    this.chargeOps(count);
    this.hold(f);
    this.later(EV_DELIVER, f, (src << 16) | b, count);
  }

  setTimer(delay: number, arg: number): number {
    const d = delay + (this.cpu.inJob ? this.cpu.deferDelay() : 0);
    return this.sim.scheduler.schedule(this.id, d, this.id, EV_TIMER, arg, 0, 0);
  }

  hold(f: number): void {
    this.pending.set(f, (this.pending.get(f) ?? 0) + 1);
  }

  unhold(f: number): void {
    const n = this.pending.get(f)!;
    if (n === 1) this.pending.delete(f);
    else this.pending.set(f, n - 1);
  }

  /** Releases every reference held for events that will not run. */
  releasePending(): void {
    for (const [f, n] of this.pending) for (let k = 0; k < n; k++) this.frames.release(f);
    this.pending.clear();
  }

  drop(f: number, why: AccelDropName): void {
    this.d[why]++;
    this.frames.release(f);
  }

  /** Offset of the accelerated header of a frame we built (link and mini-header in front). */
  ownAccelAt(f: number): number {
    const at = this.frames.offset(f) + this.bottom.headroom;
    return at + MINI_HEADER_LEN + ((this.u8[at]! & MINI_CONN) !== 0 ? CONN_ID_LEN : 0);
  }
}
