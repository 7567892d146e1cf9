// UnetEndpoint: a U-Net endpoint (von Eicken et al., Birman ch. 8.4): a process's
// communication segment plus its send, receive and free queues, on a UnetDevice (the emulated
// NIC firmware), charged on the host's HostCpu; also a MessageStack (configuration "unet").
//
// Contract:
// - Registration is the only kernel work: creating the endpoint (SYSTEM_CALL + PAGE_REMAP of
//   the segment) and each openChannel() (SYSTEM_CALL + DRIVER) are CPU jobs; the firmware drops
//   messages for a channel still Registering.
//     endpoint: Registering --job done--> Ready --destroy()--> Destroyed
//     channel:  Registering --job done--> Open --closeChannel()/destroy()--> (row freed)
// - The segment is `segmentBuffers` frame slots held for the endpoint's life: allocMessage()
//   lends one to the application, send() takes it back onto the send queue, where the NIC
//   reads it itself (its DMA); it is free again once the NIC has read it.
// - Data path costs are user-level queue work only (DRIVER, driverNs + userNs per descriptor;
//   INTERRUPT per receive job in "interrupt" mode): no system call, and the host copies no
//   message byte (bytesCopied 0). The emulator moves bytes only where a real NIC DMAs.
// - Received messages are read in place (NIC buffer, or the descriptor for inline ones) at the
//   moment of the receive job that took them; a UnetConsumer may keep the buffer and give it
//   back later (free(token)).
// - Every queue is bounded: a full queue or empty free list drops and counts, never throws; API
//   misuse throws NetloomError. destroy() gives back every buffer; queued jobs are then dropped.
// Not handled: sending small messages from the descriptor (the MessageStack hands frames),
// multicast channels, messages larger than one PDU/frame, endpoint emulation in the kernel.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { FRAME_FCS_VALID, type FrameStore, NO_FRAME } from "../../buf/frames.js";
import type { EventHandler } from "../../engine/scheduler.js";
import type { Simulation } from "../../engine/simulation.js";
import { CpuOp, type CpuClient, type HostCpu } from "../cost.js";
import type { MessageApp, MessageStack, StackConfiguration } from "../message-stack.js";
import { type UnetChannelSpec, UnetChannelState, type UnetDepositTarget, type UnetDevice } from "./unet-device.js";
import {
  type UnetEndpointConfig,
  type UnetEndpointOptions,
  type UnetEndpointStateName,
  type UnetEndpointStats,
  type UnetReceiveMode,
  unetEndpointConfig,
} from "./unet-endpoint-config.js";
import { UNET_INLINE_MAX } from "./unet-wire.js";

export {
  DEFAULT_RX_BUFFERS,
  DEFAULT_SEGMENT_BUFFERS,
  DEFAULT_UNET_QUEUE,
  UNET_RECEIVE_MODES,
  type UnetEndpointOptions,
  type UnetEndpointStats,
  type UnetReceiveMode,
} from "./unet-endpoint-config.js";

export const UnetEndpointState = { Registering: 0, Ready: 1, Destroyed: 2 } as const;
export type UnetEndpointState = (typeof UnetEndpointState)[keyof typeof UnetEndpointState];
const STATE_NAMES = ["Registering", "Ready", "Destroyed"] as const satisfies readonly UnetEndpointStateName[];

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

/** The segment's frame slots, held for the endpoint's life (pinned, in U-Net's terms). */
function pinSegment(
  frames: FrameStore,
  count: number,
  headroom: number,
  now: number,
  path: string,
  index: Map<number, number>,
): Int32Array {
  const seg = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const f = frames.alloc(headroom, now);
    if (f === NO_FRAME) {
      for (let k = 0; k < i; k++) frames.release(seg[k]!);
      throw new NetloomError(ErrorCode.OUT_OF_MEMORY, `no frame slot for segment buffer ${i} of ${count}`, { path });
    }
    seg[i] = f;
    index.set(f, i);
  }
  return seg;
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
    const config: UnetEndpointConfig = unetEndpointConfig(sim, name, options);
    const device = options.device;
    const cpu = options.cpu;
    const frames = sim.frames;
    this.sim = sim;
    this.name = name;
    this.configuration = options.configuration ?? "unet";
    this.frames = frames;
    this.u8 = sim.runtime.u8;
    this.cpu = cpu;
    this.device = device;
    this.rank = config.rank;
    this.maxMessage = config.maxMessage;
    this.receiveMode = config.receive;
    this.pollInterval = config.pollInterval;
    this.inline = config.inline;
    this.headroom = config.headroom;
    this.clientHeadroom = config.clientHeadroom;
    this.userNs = config.userNs;
    this.createdAt = sim.now;
    this.channelPeer = new Int32Array(device.maxChannels).fill(-1);
    const nSeg = config.segmentBuffers;
    const nSq = config.sendQueue;
    const nRq = config.recvQueue;
    const nBuf = config.rxBuffers;
    this.segFrames = pinSegment(frames, nSeg, config.headroom, sim.now, `${name}.segmentBuffers`, this.segIndex);
    this.segState = new Uint8Array(nSeg);
    this.segFree = new Int32Array(nSeg);
    for (let i = 0; i < nSeg; i++) this.segFree[nSeg - 1 - i] = i;
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
   * Messages are minMessage of the device (ATM 1: no empty PDU) to maxMessage bytes. The send
   * queue bound (sendQueue descriptors) counts sends whose job has not pushed them yet. The job
   * is the user-level library pushing the descriptor; the NIC takes it when the job gets there
   * (start + CPU time). Descriptor and buffer stay queued until the NIC has read the buffer
   * (ATM: its last cell has left), and are retired lazily at the next allocMessage/send.
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

  /**
   * The firmware drops a message for an Open channel straight into the endpoint: a NIC buffer
   * comes off the free queue (rxBuffers of them, each lent until freed) and a descriptor goes on
   * the receive queue. Free queue empty: noFreeBuffer ("discarded silently", ch. 8.4); receive
   * queue full: recvQueueFull. Small-message fast path (inline): a message of at most
   * UNET_INLINE_MAX bytes is written into the descriptor itself (the emulator's copy is that
   * DMA, counted inlineBytes), takes no free buffer, and its NIC buffer goes back at once.
   */
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

  /**
   * JOB_SEND: the descriptor push (DRIVER: driverNs + userNs, after the consumer's chargeSend).
   * JOB_RX: the receive job. "poll" (default): the process polls the receive queue (pollInterval
   * 0 spins: a message is seen when it lands; otherwise at creation + k * pollInterval); empty
   * polls are not simulated and not charged (the poller owns an otherwise idle CPU).
   * "interrupt": one INTERRUPT per job. Either way one DRIVER charge per descriptor taken, plus
   * the consumer's chargeReceive, and each message reaches the consumer at its moment of the job.
   * JOB_REGISTER / JOB_OPEN: the registration system calls.
   */
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
