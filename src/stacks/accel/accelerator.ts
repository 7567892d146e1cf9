// AcceleratedStack: the Horus Protocol Accelerator (Birman ch. 18.7) over a layered stack's
// composition (COM, FRAG, NAK, FC, TOTAL; two members), as the "accelerated" configuration of
// the host-stack comparison (MessageStack).
//
// Contract:
// - Semantics of the layers it accelerates, for one connection between two members: reliable
//   FIFO (NAK), FC's window, TOTAL (member 0 the sequencer: every member delivers every message,
//   its own included, in one order). FRAG: no fragmentation, as in the Horus PA (ch. 18.7.4):
//   the largest message is what one frame carries. Refused with NetloomError INVALID_ARGUMENT
//   and the option's path (accel-config.ts): STABLE, a composition without NAK, other groups.
// - Who does what: accel-config.ts (options), accel-link.ts (the network, on a LinkBottom),
//   accel-headers.ts (connection cookie, classification, predicted headers), accel-sender.ts
//   and accel-backlog.ts (send side, packing), accel-receiver.ts (receive side), accel-core.ts
//   (what they share). This facade owns the public API, the CPU jobs and events, the upcalls.
// - Host: a user-level stack, as the Horus PA over U-Net was: no system call, no context
//   switch, no user/kernel copy; driver work per frame and an interrupt per received frame.
//   Messages reach app.onMessage(stack, ptr, length, src), bytes in the frame, valid during the
//   call. Protocol state is updated when a frame is handled; CPU time is charged where the
//   accelerator runs it (fast path, or the post-processing job).
// - Hot paths never throw; API misuse throws NetloomError. destroy() releases every frame.
// Not handled: more than two members, STABLE, membership changes, several connections per
// NIC, jobs of one stack on several CPUs at once (upcall order assumes one CPU per stack).

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { type FrameStore, NO_FRAME } from "../../buf/frames.js";
import type { Simulation } from "../../engine/simulation.js";
import { ChecksumKernels } from "../../kernels/checksum.js";
import { CpuOp, type CpuClient, type HostCpu } from "../cost.js";
import { ALL, getU16 } from "../layered/layer.js";
import type { LayerName } from "../layered/stack.js";
import type { LinkReceiver } from "../link-bottom/link-bottom.js";
import type { MessageApp, MessageStack, MessageStackCounters } from "../message-stack.js";
import { type AcceleratedStackOptions, accelConfig } from "./accel-config.js";
import {
  AccelCore,
  EV_DELIVER,
  EV_DRAIN,
  EV_POST_RX,
  EV_POST_RX_DONE,
  EV_POST_SEND,
  EV_POST_SEND_DONE,
  EV_TIMER,
  EV_TX,
  JOB_DRAIN,
  JOB_POST_RX,
  JOB_POST_SEND,
  JOB_RX,
  JOB_SEND,
  JOB_TIMER,
  OWN,
  T_ACK,
  T_NAK,
  T_PROBE,
} from "./accel-core.js";
import { AccelConnection } from "./accel-headers.js";
import { ACCEL_CIRCUIT, openAccelLink } from "./accel-link.js";
import { AccelReceiver } from "./accel-receiver.js";
import { AccelSender } from "./accel-sender.js";
import { ACCEL_HEADER_LEN, AccelKind, CONN_ID_LEN, MINI_HEADER_LEN, PACKED_ITEM_HEADER } from "./mini-header.js";

export { DEFAULT_MAX_PACK, type AcceleratedStackOptions } from "./accel-config.js";

export interface AcceleratedStackStats extends MessageStackCounters {
  layers: string[];
  maxMessage: number;
  headroom: number;
  framesSent: number;
  framesReceived: number;
  fastSends: number;
  predictionHits: number;
  predictionMisses: number;
  /** Misses because the frame came before the receive prediction was ready. */
  notReady: number;
  postSendJobs: number;
  postReceiveJobs: number;
  backlogged: number;
  backlogDrops: number;
  packedFrames: number;
  packedMessages: number;
  connIdSent: number;
  connIdReceived: number;
  selfDelivered: number;
  retransmitted: number;
  probes: number;
  naksSent: number;
  naksReceived: number;
  gossipSent: number;
  gossipReceived: number;
  duplicates: number;
  beyondWindow: number;
  unacknowledged: number;
  backlog: number;
  emulatorCopyBytes: number;
  drops: {
    unknownCookie: number;
    badConnId: number;
    badByteOrder: number;
    badHeader: number;
    badChecksum: number;
    badEtherType: number;
    unknownVc: number;
    tooLong: number;
    noSlot: number;
    cpuQueue: number;
    rxCpuQueue: number;
    txRefused: number;
  };
}

export class AcceleratedStack implements MessageStack, CpuClient, LinkReceiver {
  readonly configuration = "accelerated" as const;
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  readonly frames: FrameStore;
  readonly u8: Uint8Array;
  readonly cpu: HostCpu;
  readonly rank: number;
  readonly peer: number;
  readonly layerNames: readonly LayerName[];
  readonly maxMessage: number;
  /** Headroom of message frames: link header + mini-header + connection id + accelerated header. */
  readonly headroom: number;
  readonly ringSize: number;
  readonly window: number;
  readonly backlogLimit: number;
  readonly ackEvery: number;
  readonly ackDelay: number;
  readonly probe: number;
  readonly nakRetry: number;
  readonly fcWindow: number;
  readonly maxPack: number;
  readonly signature: number;
  private readonly core: AccelCore;
  private readonly snd: AccelSender;
  private readonly rcv: AccelReceiver;
  private readonly client: number;
  private app: MessageApp | undefined;
  private destroyed = false;

  constructor(sim: Simulation, name: string, options: AcceleratedStackOptions) {
    const config = accelConfig(name, options);
    const bottom = openAccelLink(name, options, config.rank);
    const kernels = new ChecksumKernels(bottom.sim.runtime);
    const frames = sim.frames;
    const headers = MINI_HEADER_LEN + CONN_ID_LEN + ACCEL_HEADER_LEN;
    const maxMessage = Math.min(bottom.maxPdu, frames.pool.slotBytes - bottom.headroom) - headers;
    if (maxMessage < 1) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `the frame slots (${frames.pool.slotBytes} bytes) leave no room for a message`,
        { path: `${name}.layers` },
      );
    }
    this.sim = sim;
    this.name = name;
    this.frames = frames;
    this.u8 = sim.runtime.u8;
    this.cpu = options.cpu;
    this.rank = config.rank;
    this.peer = config.peer;
    this.layerNames = config.layerNames;
    this.maxMessage = maxMessage;
    this.headroom = bottom.headroom + headers;
    this.ringSize = config.ringSize;
    this.window = config.window;
    this.backlogLimit = config.backlogLimit;
    this.ackEvery = config.ackEvery;
    this.ackDelay = config.ackDelay;
    this.probe = config.probe;
    this.nakRetry = config.nakRetry;
    this.fcWindow = config.fcWindow;
    this.maxPack = config.maxPack;
    this.signature = config.signature;
    // A 62-bit cookie from this stack's own random stream.
    const conn = new AccelConnection(bottom, config.rank, config.signature, sim.scheduler.rng(`accel:${name}`));
    this.id = sim.register(name, this);
    this.client = this.cpu.addClient(this);
    const { id, client, cpu, headroom } = this;
    this.core = new AccelCore(sim, { id, client, cpu, bottom, kernels, config, headroom, maxMessage });
    this.snd = new AccelSender(this.core, conn);
    this.rcv = new AccelReceiver(this.core, conn, this.snd);
    this.snd.gossip = this.rcv;
    bottom.attach(this);
  }

  get now(): number {
    return this.sim.scheduler.now;
  }

  /** The accelerator needs no set-up before it sends (the cookie travels with the first frames). */
  isReady(_peer: number): boolean {
    return true;
  }

  setApp(app: MessageApp | undefined): void {
    this.app = app;
  }

  /** A message buffer of `length` bytes for send(), or NO_FRAME when no frame slot is free. */
  allocMessage(length: number): number {
    if (!Number.isInteger(length) || length < 0 || length > this.maxMessage) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(length)} is not a message length (0 to ${this.maxMessage})`,
        { path: "length" },
      );
    }
    const f = this.frames.alloc(this.headroom, this.now);
    if (f === NO_FRAME) {
      this.core.d.noSlot++;
      return NO_FRAME;
    }
    this.frames.setLength(f, length);
    return f;
  }

  /** Sends `frame` to the peer (dst ALL or the peer's rank). Takes ownership; false = refused. */
  send(frame: number, dst: number = ALL): boolean {
    if (dst !== ALL && dst !== this.peer) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(dst)} is not the other member's rank or ALL`, {
        path: "dst",
      });
    }
    if (this.frames.length[frame]! > this.maxMessage) {
      this.core.d.tooLong++;
      this.frames.release(frame);
      return false;
    }
    if (this.destroyed || !this.cpu.submit(this.client, JOB_SEND, frame, 0)) {
      this.core.d.cpuQueue++;
      this.frames.release(frame);
      return false;
    }
    return true;
  }

  /** From the link: a PDU on the peer's circuit goes to a receive job (the interrupt). */
  onPdu(circuit: number, _ptr: number, length: number, handle: number): boolean {
    if (circuit !== ACCEL_CIRCUIT) {
      this.core.d.unknownVc++;
      return false;
    }
    if (this.destroyed || !this.cpu.submit(this.client, JOB_RX, handle, length)) {
      this.core.d.rxCpuQueue++;
      return false;
    }
    return true;
  }

  // --- CPU jobs and events ---

  runJob(kind: number, a: number, b: number): void {
    if (this.destroyed) return this.dropJob(kind, a, b);
    switch (kind) {
      case JOB_SEND:
        return this.snd.onAppSend(a);
      case JOB_RX:
        return this.rcv.onReceive(a, b);
      case JOB_POST_SEND:
        return this.snd.postSend(a);
      case JOB_POST_RX:
        return this.rcv.postReceive();
      case JOB_DRAIN:
        return this.snd.onDrainJob();
      case JOB_TIMER:
        this.cpu.chargeOp(CpuOp.LAYER_CROSSING);
        if (a === T_PROBE) this.snd.onProbe();
        else if (a === T_NAK) this.rcv.onNakTimer();
        else if (a === T_ACK) this.rcv.onAckTimer();
        return;
    }
  }

  dropJob(kind: number, a: number, _b: number): void {
    if (kind === JOB_SEND) this.frames.release(a);
    else if (kind === JOB_RX) this.core.bottom.freeBuffer(a);
    else if (kind === JOB_DRAIN) this.snd.dropDrainJob();
  }

  handleEvent(kind: number, a: number, b: number, len: number): void {
    if (this.destroyed) return;
    const core = this.core;
    switch (kind) {
      case EV_TX:
        core.unhold(a);
        if (!core.bottom.send(ACCEL_CIRCUIT, a)) core.d.txRefused++;
        return;
      case EV_DELIVER:
        core.unhold(a);
        this.upcall(a, b >>> 16, b & 0xffff, len);
        this.frames.release(a);
        return;
      case EV_POST_SEND:
        if (!this.cpu.submit(this.client, JOB_POST_SEND, a, 0)) core.retry(EV_POST_SEND, a);
        return;
      case EV_POST_SEND_DONE:
        return this.snd.onPostSendDone();
      case EV_POST_RX:
        if (!this.cpu.submit(this.client, JOB_POST_RX, 0, 0)) core.retry(EV_POST_RX, 0);
        return;
      case EV_POST_RX_DONE:
        this.rcv.prediction.ready = true;
        return;
      case EV_TIMER:
        if (!this.cpu.submit(this.client, JOB_TIMER, a, 0)) core.retry(EV_TIMER, a);
        return;
      case EV_DRAIN:
        return this.snd.onDrainEvent();
    }
  }

  /** Hands messages [first, first + count) of frame `f` to the application. */
  private upcall(f: number, src: number, b: number, count: number): void {
    const u8 = this.u8;
    const at = (b & OWN) !== 0 ? this.core.ownAccelAt(f) : this.frames.offset(f);
    const first = b & 0x7fff;
    const body = at + ACCEL_HEADER_LEN;
    this.core.c.delivered += count;
    if (u8[at] === AccelKind.DATA) {
      this.app?.onMessage(this, body, getU16(u8, at + 12), src);
      return;
    }
    let p = body;
    for (let i = 0; i < first + count; i++) {
      const len = getU16(u8, p);
      if (i >= first) this.app?.onMessage(this, p + PACKED_ITEM_HEADER, len, src);
      p += PACKED_ITEM_HEADER + len;
    }
  }

  // --- stats, lifecycle ---

  /** The predicted header of the next send and of the next delivery (kind, flags, count, seq). */
  predictions(): { send: Uint8Array; receive: Uint8Array; sendReady: boolean; receiveReady: boolean } {
    const tx = this.snd.prediction;
    const rx = this.rcv.prediction;
    return { send: tx.bytes.slice(), receive: rx.bytes.slice(), sendReady: tx.ready, receiveReady: rx.ready };
  }

  stats(): AcceleratedStackStats {
    const core = this.core;
    return {
      name: this.name,
      configuration: this.configuration,
      layers: [...this.layerNames],
      maxMessage: this.maxMessage,
      headroom: this.headroom,
      ...core.c,
      emulatorCopyBytes: core.bottom.stats().rxCopyBytes,
      unacknowledged: this.snd.unacknowledged,
      backlog: this.snd.backlog.length,
      drops: { ...core.d },
    };
  }

  /** Releases every frame held (ring, reorder window, backlog, pending events); detaches. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.snd.releaseAll();
    this.rcv.releaseAll();
    this.snd.backlog.releaseAll();
    this.core.releasePending();
    this.snd.cancelTimer();
    this.rcv.cancelTimers();
    this.core.bottom.detach();
  }
}
