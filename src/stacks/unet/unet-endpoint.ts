// UnetEndpoint: a U-Net endpoint (von Eicken et al., Birman ch. 8.4): a process's
// communication segment plus its send, receive and free queues, on a UnetDevice (the emulated
// NIC firmware), charged on the host's HostCpu. It is also a MessageStack (configuration
// "unet"), so the comparison workloads drive it like any other stack.
//
// Contract:
// - Registration (the only kernel work): creating the endpoint is a system call that pins and
//   maps the segment (CPU job: SYSTEM_CALL + PAGE_REMAP of the segment's pages); each
//   openChannel(peer, spec) is a system call that programs the NIC's channel table (SYSTEM_CALL
//   + DRIVER). State machines:
//     endpoint: Registering --job done--> Ready --destroy()--> Destroyed
//     channel:  Registering --job done--> Open --closeChannel()/destroy()--> (row freed)
//   A message for a channel that is still Registering is dropped by the firmware (counted).
// - Communication segment: `segmentBuffers` send buffers, each a frame slot the endpoint holds
//   for its whole life (bounded; released by destroy()). allocMessage(len) hands a free one to
//   the application (NO_FRAME and counted when none is free); send(frame, peer) takes it back.
// - Send (no system call, no copy): send() checks the send queue bound (sendQueue descriptors,
//   counting sends not yet pushed) and queues a CPU job; the job is the user-level library
//   pushing a send descriptor: one DRIVER charge of driverNs + userNs (the profile's per-frame
//   descriptor cost plus a few hundred ns of queue work). The NIC takes the descriptor when the
//   job gets there (start + CPU time) and reads the message out of the segment buffer itself
//   (UnetDevice.transmit: the NIC's DMA). The descriptor, and the buffer, stay on the send
//   queue until the NIC has read the buffer (ATM: its last cell has left), then the buffer is
//   free again (retired lazily at the next allocMessage/send). While the ATM NIC's transmit
//   backlog is full the firmware leaves descriptors queued (txWaits) instead of overrunning it.
//   Message sizes: minMessage of the device (ATM 1: no empty PDU) to maxMessage; others are
//   refused by send() (tooLong).
// - Receive: the firmware deposits a message for an Open channel straight into this endpoint:
//   a buffer comes off the free queue (rxBuffers of them: each is a NIC receive buffer lent to
//   the endpoint, ATM reassembly buffer or Ethernet receive-chain buffer, held until freed) and
//   a descriptor goes on the receive queue (recvQueue). Dropped and counted, never thrown: free
//   queue empty (noFreeBuffer; "discarded silently", ch. 8.4), receive queue full
//   (recvQueueFull). Small-message fast path (inline, default on): a message of at most
//   UNET_INLINE_MAX (40) bytes is written by the NIC into the receive descriptor itself (the
//   emulator's copy is that DMA, counted inlineBytes) and its NIC buffer is given back at once;
//   it takes no free buffer.
// - Noticing messages, `receive`:
//     "poll" (default): the process polls the receive queue; pollInterval 0 spins (a message
//       is seen when it lands), otherwise polls at creation + k * pollInterval. A poll that
//       finds descriptors is a CPU job: per descriptor one DRIVER charge (driverNs + userNs).
//       Empty polls are not simulated and not charged (the poller is assumed to own an
//       otherwise idle CPU). No INTERRUPT.
//     "interrupt": the NIC interrupts and the process takes an upcall: one INTERRUPT per job,
//       plus the same DRIVER charge per descriptor the job drains.
//   Each message reaches the consumer at the moment of its job where it was taken (start + CPU
//   time so far). The application reads it in place (u8[ptr, ptr + length): the NIC buffer or
//   the descriptor), zero copies. MessageStack apps (setApp) get onMessage and the buffer goes
//   back on the free queue when onMessage returns; a UnetConsumer (setConsumer) may keep it by
//   returning true and give it back later with free(token). During the call, messageBirth is
//   the birth tag of the sender's frame (emulator metadata, for latency) and
//   bufferHandle(token) names the NIC buffer (Ethernet: the NIC's frame id).
// - Client protocols (UnetConsumer) charge their own user-level work in the endpoint's jobs:
//   chargeReceive per message in the receive job, chargeSend per message in the send job
//   (before the descriptor push: the NIC takes the message after the client's work).
// - Copies: the host copies no message byte (stats().bytesCopied stays 0, and nothing is
//   charged as COPY). The emulator moves bytes only where the real NIC DMAs: segmentation /
//   the Ethernet NIC's transmit copy (device nicDmaBytes) and inline descriptors (inlineBytes).
// - Every buffer the endpoint holds (segment, kept receive buffers, queued descriptors) is given
//   back by destroy(); jobs still queued on the CPU are then dropped.
// Not handled: sending small messages from the descriptor (the MessageStack hands frames),
// multicast channels, messages larger than one PDU/frame, endpoint emulation in the kernel.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { parseDuration } from "../../base/units.js";
import { NO_FRAME, FRAME_FCS_VALID, type FrameStore } from "../../buf/frames.js";
import type { EventHandler } from "../../engine/scheduler.js";
import type { Simulation } from "../../engine/simulation.js";
import { CpuOp, type CpuClient, type HostCpu } from "../cost.js";
import type { MessageApp, MessageStack, MessageStackCounters, StackConfiguration } from "../message-stack.js";
import { UnetChannelState, type UnetChannelSpec, type UnetDepositTarget, type UnetDevice } from "./unet-device.js";
import { UNET_INLINE_MAX } from "./unet-wire.js";

export const UnetEndpointState = { Registering: 0, Ready: 1, Destroyed: 2 } as const;
export type UnetEndpointState = (typeof UnetEndpointState)[keyof typeof UnetEndpointState];
const STATE_NAMES = ["Registering", "Ready", "Destroyed"] as const;

export const UNET_RECEIVE_MODES = ["poll", "interrupt"] as const;
export type UnetReceiveMode = (typeof UNET_RECEIVE_MODES)[number];

export const DEFAULT_SEGMENT_BUFFERS = 64;
export const DEFAULT_UNET_QUEUE = 64;
export const DEFAULT_RX_BUFFERS = 32;
/** A receive job the CPU refused (queue full) is tried again this much later. */
const RX_RETRY_NS = 100_000;

const JOB_REGISTER = 1;
const JOB_OPEN = 2;
const JOB_SEND = 3;
const JOB_RX = 4;
const EV_READY = 16;
const EV_OPEN = 17;
const EV_TX = 18;
const EV_DELIVER = 19;
const EV_POLL = 20;

// Segment buffer states.
const SEG_FREE = 0;
const SEG_APP = 1;
const SEG_SENDING = 2;
// Receive buffer states.
const BUF_FREE = 0;
const BUF_QUEUED = 1;
const BUF_KEPT = 2;

/** Takes received messages instead of a MessageApp (Active Messages, tests of the free queue). */
export interface UnetConsumer {
  /** In the receive job, per message: charge the CPU work the consumer will do on it. */
  chargeReceive?(ep: UnetEndpoint, ptr: number, length: number): void;
  /** In the send job, per message (segment buffer `frame`): charge the work that built it. */
  chargeSend?(ep: UnetEndpoint, frame: number, length: number): void;
  /**
   * Message u8[ptr, ptr + length) from member `src`. Return true to keep the receive buffer
   * (token >= 0; give it back with ep.free(token)); an inline message (token -1) is valid
   * during the call only.
   */
  onReceive(ep: UnetEndpoint, src: number, ptr: number, length: number, token: number): boolean;
}

export interface UnetEndpointOptions {
  device: UnetDevice;
  cpu: HostCpu;
  /** This member's rank (MessageStack src of its messages at the peers). Default 0. */
  rank?: number;
  /** Channels to open at creation: peer rank -> channel address. */
  channels?: Record<number, UnetChannelSpec>;
  segmentBuffers?: number;
  sendQueue?: number;
  recvQueue?: number;
  /** Free queue: receive buffers the endpoint may hold at once. */
  rxBuffers?: number;
  receive?: UnetReceiveMode;
  /** Poll period (ns or "20us"); 0 = spin (default). */
  pollInterval?: number | string;
  /** Small messages in the receive descriptor (default true). */
  inline?: boolean;
  /** Bytes a client protocol (Active Messages) writes in front of each message. */
  clientHeadroom?: number;
  /** User-level queue work per descriptor (default 2 x the profile's handlerDispatch). */
  userNs?: number;
  configuration?: StackConfiguration;
}

export interface UnetEndpointStats extends MessageStackCounters {
  state: (typeof STATE_NAMES)[number];
  receive: UnetReceiveMode;
  sends: number;
  receives: number;
  inlineReceives: number;
  inlineBytes: number;
  drops: {
    noFreeBuffer: number;
    recvQueueFull: number;
    sendQueueFull: number;
    noSegmentBuffer: number;
    closedChannel: number;
    nicRefused: number;
    tooLong: number;
    cpuQueue: number;
  };
  rxRetries: number;
  txWaits: number;
  segmentFree: number;
  freeQueue: number;
  sendQueueHighWater: number;
  recvQueueHighWater: number;
}

function checkCount(name: string, path: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 1 || v > max) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(v)} is not a count from 1 to ${max}`, {
      path: `${name}.${path}`,
    });
  }
  return v;
}

export class UnetEndpoint implements MessageStack, CpuClient, EventHandler, UnetDepositTarget {
  readonly id: number;
  readonly name: string;
  readonly configuration: StackConfiguration;
  readonly sim: Simulation;
  readonly frames: FrameStore;
  readonly u8: Uint8Array;
  readonly cpu: HostCpu;
  readonly device: UnetDevice;
  readonly rank: number;
  readonly maxMessage: number;
  readonly receiveMode: UnetReceiveMode;
  readonly pollInterval: number;
  readonly inline: boolean;
  /** Headroom of a segment buffer: the device's headers plus the client's. */
  readonly headroom: number;
  readonly clientHeadroom: number;
  readonly userNs: number;
  private stateValue: UnetEndpointState = UnetEndpointState.Registering;
  private readonly client: number;
  private readonly createdAt: number;
  private app: MessageApp | undefined;
  private consumer: UnetConsumer | undefined;
  // Channels: peer rank -> device channel, and back.
  private readonly peerChannel = new Map<number, number>();
  private readonly channelPeer: Int32Array;
  // Communication segment.
  private readonly segFrames: Int32Array;
  private readonly segIndex = new Map<number, number>();
  private readonly segState: Uint8Array;
  private readonly segFree: Int32Array;
  private segFreeCount: number;
  // Send queue: [head, head + taken) handed to the NIC, then pushed but not yet taken.
  private readonly sqFrame: Int32Array;
  private readonly sqDone: Float64Array;
  private readonly sqChannel: Int32Array;
  private sqHead = 0;
  private sqCount = 0;
  private sqTaken = 0;
  private sqHigh = 0;
  /** Sends accepted by send() whose job has not pushed them yet (they hold send-queue room). */
  private sendJobs = 0;
  /** Times the firmware left a descriptor queued because the NIC's transmit backlog was full. */
  private txWaits = 0;
  // Receive queue: [head, head + polled) taken by a receive job, then waiting for one.
  private readonly rqChannel: Int32Array;
  private readonly rqPtr: Int32Array;
  private readonly rqLen: Int32Array;
  private readonly rqBuf: Int32Array;
  /** Birth tag of each queued message (the sender frame's, read from the NIC at deposit). */
  private readonly rqBirth: Float64Array;
  private deliveringBirth = 0;
  private rqHead = 0;
  private rqCount = 0;
  private rqPolled = 0;
  private rqHigh = 0;
  private rxPending = false;
  // Free queue: receive buffers (NIC buffers lent to the endpoint).
  private readonly bufHandle: Int32Array;
  private readonly bufState: Uint8Array;
  private readonly bufFree: Int32Array;
  private bufFreeCount: number;
  /** Inline descriptor payloads, UNET_INLINE_MAX bytes per receive-queue entry (heap). */
  private inlineBase = 0;
  private readonly c = { sends: 0, receives: 0, inlineReceives: 0, inlineBytes: 0, rxRetries: 0 };
  private readonly drops = {
    noFreeBuffer: 0,
    recvQueueFull: 0,
    sendQueueFull: 0,
    noSegmentBuffer: 0,
    closedChannel: 0,
    nicRefused: 0,
    tooLong: 0,
    cpuQueue: 0,
  };

  constructor(sim: Simulation, name: string, options: UnetEndpointOptions) {
    const device = options.device;
    const rank = options.rank ?? 0;
    if (!Number.isInteger(rank) || rank < 0 || rank > 0xffff) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(rank)} is not a rank (0 to 65535)`, {
        path: `${name}.rank`,
      });
    }
    const nSeg = checkCount(
      name,
      "segmentBuffers",
      options.segmentBuffers ?? DEFAULT_SEGMENT_BUFFERS,
      sim.frames.pool.count,
    );
    const nSq = checkCount(name, "sendQueue", options.sendQueue ?? DEFAULT_UNET_QUEUE, 1 << 16);
    const nRq = checkCount(name, "recvQueue", options.recvQueue ?? DEFAULT_UNET_QUEUE, 1 << 16);
    const nBuf = checkCount(name, "rxBuffers", options.rxBuffers ?? DEFAULT_RX_BUFFERS, 1 << 16);
    const mode = options.receive ?? "poll";
    if (!(UNET_RECEIVE_MODES as readonly string[]).includes(mode)) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${JSON.stringify(mode)} is not a receive mode (${UNET_RECEIVE_MODES.join(", ")})`,
        {
          path: `${name}.receive`,
        },
      );
    }
    const interval = parseDuration(options.pollInterval ?? 0, `${name}.pollInterval`);
    if (!Number.isInteger(interval) || interval < 0) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(options.pollInterval)} is not a poll interval (whole ns >= 0)`,
        {
          path: `${name}.pollInterval`,
        },
      );
    }
    const extra = options.clientHeadroom ?? 0;
    if (!Number.isInteger(extra) || extra < 0 || extra > 256) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(extra)} is not a headroom (0 to 256 bytes)`, {
        path: `${name}.clientHeadroom`,
      });
    }
    const cpu = options.cpu;
    const userNs = options.userNs ?? 2 * cpu.profile.handlerDispatchNs;
    if (!Number.isInteger(userNs) || userNs < 0) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(userNs)} is not a duration in whole ns`, {
        path: `${name}.userNs`,
      });
    }
    const frames = sim.frames;
    const headroom = device.headroom + extra;
    const max = Math.min(device.maxMessage, frames.pool.slotBytes - device.headroom) - extra;
    if (max < 1) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `the frame slots (${frames.pool.slotBytes} bytes) leave no room for a message`,
        {
          path: `${name}.clientHeadroom`,
        },
      );
    }
    this.sim = sim;
    this.name = name;
    this.configuration = options.configuration ?? "unet";
    this.frames = frames;
    this.u8 = sim.runtime.u8;
    this.cpu = cpu;
    this.device = device;
    this.rank = rank;
    this.maxMessage = max;
    this.receiveMode = mode;
    this.pollInterval = interval;
    this.inline = options.inline ?? true;
    this.headroom = headroom;
    this.clientHeadroom = extra;
    this.userNs = userNs;
    this.createdAt = sim.now;
    this.channelPeer = new Int32Array(device.maxChannels).fill(-1);
    // The segment: held for the endpoint's life (pinned, in U-Net's terms).
    this.segFrames = new Int32Array(nSeg);
    this.segState = new Uint8Array(nSeg);
    this.segFree = new Int32Array(nSeg);
    for (let i = 0; i < nSeg; i++) {
      const f = frames.alloc(headroom, sim.now);
      if (f === NO_FRAME) {
        for (let k = 0; k < i; k++) frames.release(this.segFrames[k]!);
        throw new NetloomError(ErrorCode.OUT_OF_MEMORY, `no frame slot for segment buffer ${i} of ${nSeg}`, {
          path: `${name}.segmentBuffers`,
        });
      }
      this.segFrames[i] = f;
      this.segIndex.set(f, i);
      this.segFree[nSeg - 1 - i] = i;
    }
    this.segFreeCount = nSeg;
    this.sqFrame = new Int32Array(nSq);
    this.sqDone = new Float64Array(nSq);
    this.sqChannel = new Int32Array(nSq);
    this.rqChannel = new Int32Array(nRq);
    this.rqPtr = new Int32Array(nRq);
    this.rqLen = new Int32Array(nRq);
    this.rqBuf = new Int32Array(nRq);
    this.rqBirth = new Float64Array(nRq);
    this.bufHandle = new Int32Array(nBuf);
    this.bufState = new Uint8Array(nBuf);
    this.bufFree = new Int32Array(nBuf);
    for (let i = 0; i < nBuf; i++) this.bufFree[i] = nBuf - 1 - i;
    this.bufFreeCount = nBuf;
    if (this.inline) this.inlineBase = sim.runtime.heap.alloc(nRq * UNET_INLINE_MAX);
    this.id = sim.register(name, this);
    this.client = cpu.addClient(this);
    if (!cpu.submit(this.client, JOB_REGISTER, 0, 0)) this.setupRefused(`${name}`);
    if (options.channels !== undefined) {
      try {
        for (const [peer, spec] of Object.entries(options.channels)) this.openChannel(Number(peer), spec);
      } catch (err) {
        // A half-built endpoint would keep its segment: give everything back first.
        this.destroy();
        throw err;
      }
    }
  }

  get state(): UnetEndpointState {
    return this.stateValue;
  }

  get now(): number {
    return this.sim.scheduler.now;
  }

  private setupRefused(path: string): never {
    throw new NetloomError(ErrorCode.QUEUE_FULL, `${this.cpu.name} refused the registration (CPU queue full)`, {
      path,
    });
  }

  /** Registers a channel to member `peer` (a system call; usable once its job is done). */
  openChannel(peer: number, spec: UnetChannelSpec): number {
    const path = `${this.name}.channels[${String(peer)}]`;
    if (this.stateValue === UnetEndpointState.Destroyed)
      throw new NetloomError(ErrorCode.USE_AFTER_FREE, `${this.name} was destroyed`, { path });
    if (!Number.isInteger(peer) || peer < 0 || peer > 0xffff || peer === this.rank) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(peer)} is not another member's rank`, { path });
    }
    if (this.peerChannel.has(peer))
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `member ${peer} already has a channel`, { path });
    const ch = this.device.openChannel(this, spec, path);
    if (!this.cpu.submit(this.client, JOB_OPEN, ch, 0)) {
      this.device.closeChannel(ch);
      this.setupRefused(path);
    }
    this.peerChannel.set(peer, ch);
    this.channelPeer[ch] = peer;
    return ch;
  }

  /** Closes the channel to `peer` (its messages are then unknown-channel drops). */
  closeChannel(peer: number): void {
    const ch = this.peerChannel.get(peer);
    if (ch === undefined)
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `member ${String(peer)} has no channel`, {
        path: `${this.name}.channels`,
      });
    this.device.closeChannel(ch);
    this.peerChannel.delete(peer);
    this.channelPeer[ch] = -1;
  }

  /** True when the endpoint and its channel to `peer` are registered. */
  isReady(peer: number): boolean {
    return this.isOpen(peer);
  }

  isOpen(peer: number): boolean {
    const ch = this.peerChannel.get(peer);
    return (
      this.stateValue === UnetEndpointState.Ready &&
      ch !== undefined &&
      this.device.channelState(ch) === UnetChannelState.Open
    );
  }

  setApp(app: MessageApp | undefined): void {
    this.app = app;
  }

  /** Takes messages instead of the app (see UnetConsumer); undefined gives them back to the app. */
  setConsumer(consumer: UnetConsumer | undefined): void {
    this.consumer = consumer;
  }

  // --- send side ---

  /** A free segment buffer with room for `length` message bytes, or NO_FRAME (counted). */
  allocMessage(length: number): number {
    if (!Number.isInteger(length) || length < 0 || length > this.maxMessage) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(length)} is not a message length (0 to ${this.maxMessage})`,
        { path: "length" },
      );
    }
    if (this.stateValue === UnetEndpointState.Destroyed)
      throw new NetloomError(ErrorCode.USE_AFTER_FREE, `${this.name} was destroyed`);
    this.retire();
    if (this.segFreeCount === 0) {
      this.drops.noSegmentBuffer++;
      return NO_FRAME;
    }
    const i = this.segFree[--this.segFreeCount]!;
    this.segState[i] = SEG_APP;
    const f = this.segFrames[i]!;
    const frames = this.frames;
    frames.head[f] = this.headroom;
    frames.setLength(f, length);
    frames.flags[f]! &= ~FRAME_FCS_VALID;
    frames.birth[f] = this.sim.scheduler.now;
    return f;
  }

  /**
   * Sends segment buffer `frame` (from allocMessage, possibly grown by clientHeadroom) to member
   * `dst` (default: the one peer when there is exactly one channel). Takes it back; false =
   * refused (send queue full, too long, CPU queue full: counted, the buffer is free again).
   */
  send(frame: number, dst?: number): boolean {
    const i = this.appBuffer(frame);
    const ch = this.channelFor(dst);
    const len = this.frames.length[frame]!;
    if (len > this.maxMessage + this.clientHeadroom || len < this.device.minMessage) {
      this.drops.tooLong++;
      this.segBack(i);
      return false;
    }
    this.retire();
    if (this.sqCount + this.sendJobs >= this.sqFrame.length) {
      this.drops.sendQueueFull++;
      this.segBack(i);
      return false;
    }
    this.segState[i] = SEG_SENDING;
    if (!this.cpu.submit(this.client, JOB_SEND, frame, ch)) {
      this.drops.cpuQueue++;
      this.segBack(i);
      return false;
    }
    this.sendJobs++;
    return true;
  }

  /** Gives back a segment buffer from allocMessage without sending it. */
  discard(frame: number): void {
    this.segBack(this.appBuffer(frame));
  }

  /** True when `frame` is a segment buffer this endpoint handed to the application. */
  isAppBuffer(frame: number): boolean {
    const i = this.segIndex.get(frame);
    return i !== undefined && this.segState[i] === SEG_APP;
  }

  private appBuffer(frame: number): number {
    const i = this.segIndex.get(frame);
    if (i === undefined || this.segState[i] !== SEG_APP) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `frame ${frame} is not a segment buffer of ${this.name} handed out by allocMessage`,
        {
          path: "frame",
        },
      );
    }
    return i;
  }

  private channelFor(dst: number | undefined): number {
    if (dst === undefined) {
      if (this.peerChannel.size === 1) for (const ch of this.peerChannel.values()) return ch;
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${this.name} has ${this.peerChannel.size} channels: name the member (U-Net has no broadcast)`,
        {
          path: "dst",
        },
      );
    }
    const ch = this.peerChannel.get(dst);
    if (ch === undefined)
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(dst)} is not a member ${this.name} has a channel to`,
        { path: "dst" },
      );
    return ch;
  }

  private segBack(i: number): void {
    this.segState[i] = SEG_FREE;
    this.segFree[this.segFreeCount++] = i;
  }

  /** Send descriptors whose buffer the NIC has finished reading give their buffer back. */
  private retire(): void {
    const now = this.sim.scheduler.now;
    const cap = this.sqFrame.length;
    while (this.sqTaken > 0 && this.sqDone[this.sqHead]! <= now) {
      this.segBack(this.segIndex.get(this.sqFrame[this.sqHead]!)!);
      this.sqHead = this.sqHead + 1 === cap ? 0 : this.sqHead + 1;
      this.sqCount--;
      this.sqTaken--;
    }
  }

  // --- receive side (called by the device: never throws) ---

  deposit(ch: number, ptr: number, length: number, handle: number): boolean {
    if (this.stateValue === UnetEndpointState.Destroyed) return false;
    const cap = this.rqPtr.length;
    if (this.rqCount === cap) {
      this.drops.recvQueueFull++;
      return false;
    }
    let slot = this.rqHead + this.rqCount;
    if (slot >= cap) slot -= cap;
    if (this.inline && length <= UNET_INLINE_MAX) {
      const at = this.inlineBase + slot * UNET_INLINE_MAX;
      this.sim.runtime.copy(at, ptr, length);
      this.c.inlineReceives++;
      this.c.inlineBytes += length;
      this.rqBirth[slot] = this.device.rxBirth(handle);
      this.push(slot, ch, at, length, -1);
      return false;
    }
    if (this.bufFreeCount === 0) {
      this.drops.noFreeBuffer++;
      return false;
    }
    const b = this.bufFree[--this.bufFreeCount]!;
    this.bufHandle[b] = handle;
    this.bufState[b] = BUF_QUEUED;
    this.rqBirth[slot] = this.device.rxBirth(handle);
    this.push(slot, ch, ptr, length, b);
    return true;
  }

  private push(slot: number, ch: number, ptr: number, length: number, buf: number): void {
    this.rqChannel[slot] = ch;
    this.rqPtr[slot] = ptr;
    this.rqLen[slot] = length;
    this.rqBuf[slot] = buf;
    if (++this.rqCount > this.rqHigh) this.rqHigh = this.rqCount;
    if (this.rxPending) return;
    this.rxPending = true;
    if (this.receiveMode === "poll" && this.pollInterval > 0) {
      const now = this.sim.scheduler.now;
      const k = Math.ceil((now - this.createdAt) / this.pollInterval);
      this.sim.scheduler.scheduleAt(this.id, this.createdAt + k * this.pollInterval, this.id, EV_POLL, 0, 0, 0);
    } else {
      this.submitRx();
    }
  }

  private submitRx(): void {
    if (!this.cpu.submit(this.client, JOB_RX, this.receiveMode === "interrupt" ? 1 : 0, 0)) {
      this.c.rxRetries++;
      this.sim.scheduler.schedule(this.id, RX_RETRY_NS, this.id, EV_POLL, 0, 0, 0);
    }
  }

  /** During onReceive/onMessage: the birth tag of the message's sender frame (virtual ns). */
  get messageBirth(): number {
    return this.deliveringBirth;
  }

  /**
   * The NIC buffer behind receive token `token` (queued or kept): ATM the reassembly buffer's
   * address, Ethernet the NIC's receive frame id (the message lies inside that frame).
   */
  bufferHandle(token: number): number {
    if (!Number.isInteger(token) || token < 0 || token >= this.bufState.length || this.bufState[token] === BUF_FREE) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(token)} is not a receive buffer ${this.name} holds`,
        { path: "token" },
      );
    }
    return this.bufHandle[token]!;
  }

  /** Gives a kept receive buffer back: to the NIC, and onto the free queue. */
  free(token: number): void {
    if (!Number.isInteger(token) || token < 0 || token >= this.bufState.length || this.bufState[token] !== BUF_KEPT) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(token)} is not a receive buffer ${this.name} handed out and kept`,
        { path: "token" },
      );
    }
    this.freeBuf(token);
  }

  private freeBuf(b: number): void {
    this.device.freeBuffer(this.bufHandle[b]!);
    this.bufState[b] = BUF_FREE;
    this.bufFree[this.bufFreeCount++] = b;
  }

  // --- CPU jobs and events ---

  runJob(kind: number, a: number, b: number): void {
    if (this.stateValue === UnetEndpointState.Destroyed) return this.dropJob(kind, a, b);
    const cpu = this.cpu;
    const p = cpu.profile;
    const sched = this.sim.scheduler;
    if (kind === JOB_SEND) {
      this.sendJobs--;
      cpu.charge(CpuOp.DRIVER, p.driverNs + this.userNs);
      this.consumer?.chargeSend?.(this, a, this.frames.length[a]!);
      // FIFO jobs: the registration jobs of the endpoint and of this channel ran before this
      // one (their "open" events may fire at this very instant, after this job). Only a
      // channel closed meanwhile is gone.
      if (this.device.channelState(b) === UnetChannelState.Free) {
        this.drops.closedChannel++;
        this.segBack(this.segIndex.get(a)!);
        return;
      }
      this.retire();
      const cap = this.sqFrame.length;
      let slot = this.sqHead + this.sqCount;
      if (slot >= cap) slot -= cap;
      this.sqFrame[slot] = a;
      this.sqChannel[slot] = b;
      this.sqDone[slot] = Infinity;
      if (++this.sqCount > this.sqHigh) this.sqHigh = this.sqCount;
      this.c.sends++;
      sched.schedule(this.id, cpu.deferDelay(), this.id, EV_TX, 0, 0, this.frames.length[a]!);
    } else if (kind === JOB_RX) {
      this.rxPending = false;
      if (a === 1) cpu.chargeOp(CpuOp.INTERRUPT);
      const cap = this.rqPtr.length;
      const consumer = this.consumer;
      while (this.rqPolled < this.rqCount) {
        let slot = this.rqHead + this.rqPolled;
        if (slot >= cap) slot -= cap;
        cpu.charge(CpuOp.DRIVER, p.driverNs + this.userNs);
        consumer?.chargeReceive?.(this, this.rqPtr[slot]!, this.rqLen[slot]!);
        this.rqPolled++;
        sched.schedule(this.id, cpu.deferDelay(), this.id, EV_DELIVER, 0, 0, this.rqLen[slot]!);
      }
    } else if (kind === JOB_REGISTER) {
      cpu.chargeOp(CpuOp.SYSTEM_CALL);
      cpu.chargeRemap(this.segFrames.length * this.frames.pool.slotBytes);
      sched.schedule(this.id, cpu.deferDelay(), this.id, EV_READY, 0, 0, 0);
    } else if (kind === JOB_OPEN) {
      cpu.chargeOp(CpuOp.SYSTEM_CALL);
      cpu.chargeOp(CpuOp.DRIVER);
      sched.schedule(this.id, cpu.deferDelay(), this.id, EV_OPEN, a, 0, 0);
    }
  }

  dropJob(kind: number, a: number, _b: number): void {
    if (kind === JOB_SEND) {
      this.sendJobs--;
      if (this.stateValue !== UnetEndpointState.Destroyed) {
        this.drops.cpuQueue++;
        this.segBack(this.segIndex.get(a)!);
      }
    } else if (kind === JOB_RX) {
      this.rxPending = false;
    }
  }

  handleEvent(kind: number, a: number, _b: number, _len: number): void {
    if (this.stateValue === UnetEndpointState.Destroyed) return;
    if (kind === EV_TX) {
      // Descriptors are taken in the order the jobs pushed them.
      const cap = this.sqFrame.length;
      let slot = this.sqHead + this.sqTaken;
      if (slot >= cap) slot -= cap;
      // Every untaken descriptor has one EV_TX; whichever fires takes the oldest, so order holds.
      const wait = this.device.txDelay(this.frames.length[this.sqFrame[slot]!]!);
      if (wait > 0) {
        this.txWaits++;
        this.sim.scheduler.schedule(this.id, wait, this.id, EV_TX, 0, 0, 0);
        return;
      }
      const done = this.device.transmit(this.sqChannel[slot]!, this.sqFrame[slot]!);
      if (done < 0) this.drops.nicRefused++;
      this.sqDone[slot] = done < 0 ? this.sim.scheduler.now : done;
      this.sqTaken++;
    } else if (kind === EV_DELIVER) {
      this.deliverHead();
    } else if (kind === EV_POLL) {
      this.submitRx();
    } else if (kind === EV_READY) {
      this.stateValue = UnetEndpointState.Ready;
    } else if (kind === EV_OPEN) {
      this.device.markOpen(a);
    }
  }

  private deliverHead(): void {
    const slot = this.rqHead;
    const ch = this.rqChannel[slot]!;
    const ptr = this.rqPtr[slot]!;
    const length = this.rqLen[slot]!;
    const buf = this.rqBuf[slot]!;
    const src = this.channelPeer[ch]!;
    this.c.receives++;
    if (buf >= 0) this.bufState[buf] = BUF_KEPT;
    this.deliveringBirth = this.rqBirth[slot]!;
    let keep = false;
    // The descriptor stays on the queue while the consumer reads it (an inline message lives in it).
    const consumer = this.consumer;
    if (consumer !== undefined) keep = consumer.onReceive(this, src, ptr, length, buf);
    else this.app?.onMessage(this, ptr, length, src);
    this.rqHead = slot + 1 === this.rqPtr.length ? 0 : slot + 1;
    this.rqCount--;
    this.rqPolled--;
    if (buf >= 0 && (!keep || this.stateValue === UnetEndpointState.Destroyed) && this.bufState[buf] === BUF_KEPT)
      this.freeBuf(buf);
  }

  stats(): UnetEndpointStats {
    this.retire();
    return {
      name: this.name,
      configuration: this.configuration,
      state: STATE_NAMES[this.stateValue],
      receive: this.receiveMode,
      sent: this.c.sends,
      delivered: this.c.receives,
      bytesCopied: 0,
      sends: this.c.sends,
      receives: this.c.receives,
      inlineReceives: this.c.inlineReceives,
      inlineBytes: this.c.inlineBytes,
      drops: { ...this.drops },
      rxRetries: this.c.rxRetries,
      txWaits: this.txWaits,
      segmentFree: this.segFreeCount,
      freeQueue: this.bufFreeCount,
      sendQueueHighWater: this.sqHigh,
      recvQueueHighWater: this.rqHigh,
    };
  }

  /** Receive buffers the consumer holds (kept) right now. */
  get keptBuffers(): number {
    let n = 0;
    for (let i = 0; i < this.bufState.length; i++) if (this.bufState[i] === BUF_KEPT) n++;
    return n;
  }

  /**
   * Gives back everything: receive buffers (queued and kept) to the NIC, the segment's frame
   * slots to the pool, the inline descriptor memory; closes the channels.
   */
  destroy(): void {
    if (this.stateValue === UnetEndpointState.Destroyed) return;
    for (let b = 0; b < this.bufState.length; b++) if (this.bufState[b] !== BUF_FREE) this.freeBuf(b);
    for (const ch of this.peerChannel.values()) this.device.closeChannel(ch);
    this.peerChannel.clear();
    this.stateValue = UnetEndpointState.Destroyed;
    for (let i = 0; i < this.segFrames.length; i++) this.frames.release(this.segFrames[i]!);
    this.segIndex.clear();
    if (this.inlineBase !== 0) this.sim.runtime.heap.free(this.inlineBase);
    this.inlineBase = 0;
  }
}
