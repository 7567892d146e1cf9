// The standard microprotocol interface of the layered (x-Kernel / Horus) stack, the properties
// layers provide and require, and the context a layer reaches the rest of its stack through.
//
// Contract:
// - A layer is a small object with one interface (Horus HCPI, reduced): downcalls send(msg,
//   dst) and control(op, arg); upcalls deliver(msg, src) and event(ev, a, b); plus timer(arg)
//   for its own timers. `msg` is a frame id in the simulation's FrameStore: ownership passes
//   with every call (the callee releases it or hands it on). Headers are pushed on the way down
//   and popped on the way up in place (StackContext.push / frames.pop); no layer copies a
//   message except where its protocol needs a second buffer (FRAG reassembly).
// - dst/src are member ranks in the group (0 .. members - 1); ALL (0xff) is the whole group.
// - A layer talks to its neighbours only through the StackContext (down, up, raise): that is
//   where the variant's costs are charged (a layer crossing on every call; a copy between
//   layers in the socket variant) and where headroom is known.
// - Properties: each layer declares what it requires from the layers below it (the union of
//   what they provide) and what it adds. A composition that leaves a requirement unmet is
//   refused when the stack is built (see stack.ts).
// - Hot paths never throw: malformed or unexpected messages are released and counted in the
//   layer's own counters (stats()).

import type { FrameStore } from "../../buf/frames.js";
import type { HostCpu } from "../cost.js";
import type { KernelRuntime } from "../../kernels/runtime.js";

/** Destination "the whole group". */
export const ALL = 0xff;

/** Properties of a stack, as bits. */
export const Prop = {
  /** Messages can be sent and may arrive (unreliable, unordered datagrams). */
  DATAGRAM: 1,
  /** Every message sent is delivered (while members live). */
  RELIABLE: 2,
  /** Messages from one sender are delivered in the order sent. */
  FIFO: 4,
  /** Messages larger than the network's MTU. */
  LARGE: 8,
  /** The sender is held back to what receivers can take. */
  FLOW: 16,
  /** Every member delivers all messages in one order. */
  TOTAL: 32,
  /** Members learn which messages every member has delivered. */
  STABLE: 64,
} as const;
const PROP_NAMES: [number, string][] = [
  [Prop.DATAGRAM, "datagram"],
  [Prop.RELIABLE, "reliable"],
  [Prop.FIFO, "fifo"],
  [Prop.LARGE, "large messages"],
  [Prop.FLOW, "flow control"],
  [Prop.TOTAL, "total order"],
  [Prop.STABLE, "stability"],
];

/** "reliable, fifo" for Prop.RELIABLE | Prop.FIFO ("nothing" for 0). */
export function propNames(bits: number): string {
  const names = PROP_NAMES.filter(([b]) => (bits & b) !== 0).map(([, n]) => n);
  return names.length === 0 ? "nothing" : names.join(", ");
}

/** Upcall events a layer may raise (StackContext.raise). */
export const StackEvent = {
  /** STABLE: messages 0 .. b - 1 of sender a are now delivered at every member. */
  STABLE: 1,
  /** FC: sending is blocked (a = messages waiting in the backlog). */
  FLOW_BLOCKED: 2,
  /** FC: sending may resume. */
  FLOW_RESUMED: 3,
} as const;

/** What a layer sees of its stack. */
export interface StackContext {
  readonly frames: FrameStore;
  readonly u8: Uint8Array;
  /** The kernel runtime: runtime.copy moves message bytes inside linear memory. */
  readonly runtime: KernelRuntime;
  readonly cpu: HostCpu;
  /** This member's rank and the group size. */
  readonly rank: number;
  readonly members: number;
  /** Headroom every message frame is allocated with (all headers of the stack). */
  readonly headroom: number;
  readonly name: string;
  /** Hands `msg` to the layer below layer `index` (ownership passes). */
  down(index: number, msg: number, dst: number): void;
  /** Hands `msg` to the layer above layer `index`, or to the application (ownership passes). */
  up(index: number, msg: number, src: number): void;
  /** Passes control operation `op` to the layer below `index` (COM ends it). */
  controlDown(index: number, op: number, arg: number): void;
  /** Raises an event to the layer above `index` (or to the application). */
  raise(index: number, ev: number, a: number, b: number): void;
  /** A new message frame of `length` bytes with the stack's headroom, or -1 (counted). */
  alloc(length: number): number;
  /**
   * Pushes an n-byte header onto `msg` and returns the frame to go on with: `msg` itself, or a
   * private copy when `msg` is shared (a layer kept a reference, as NAK does for retransmission:
   * the writer copies, as the frame store's rule says). -1 when no slot was free for the copy
   * (`msg` was released and the drop counted).
   */
  push(msg: number, n: number): number;
  /** Arms a timer of layer `index` firing after `delay` ns with `arg`; returns its handle. */
  setTimer(index: number, delay: number, arg: number): number;
  cancelTimer(handle: number): void;
  /**
   * COM only: hands a complete link frame (an Ethernet frame, or an AAL5 PDU for circuit
   * `channel`) to the NIC when the running job reaches it.
   */
  transmit(frame: number, channel?: number): void;
  /** Current virtual time. */
  readonly now: number;
}

/** One microprotocol. */
export interface Layer {
  readonly name: string;
  /** Header bytes pushed on every message sent through this layer. */
  readonly headerBytes: number;
  readonly requires: number;
  readonly provides: number;
  /** Called once, top to bottom, after the stack is composed. */
  init(ctx: StackContext, index: number): void;
  /** Largest message this layer accepts from above, given the largest the layer below takes. */
  maxMessage(below: number): number;
  send(msg: number, dst: number): void;
  control(op: number, arg: number): void;
  deliver(msg: number, src: number): void;
  event(ev: number, a: number, b: number): void;
  timer(arg: number): void;
  /** Counters by name. */
  stats(): Record<string, number>;
  /** Releases every frame held and cancels timers. */
  destroy(): void;
}

/** Shared do-nothing parts for layers. */
export abstract class BaseLayer implements Layer {
  abstract readonly name: string;
  abstract readonly headerBytes: number;
  abstract readonly requires: number;
  abstract readonly provides: number;
  protected ctx!: StackContext;
  protected index = 0;

  init(ctx: StackContext, index: number): void {
    this.ctx = ctx;
    this.index = index;
  }

  maxMessage(below: number): number {
    return below - this.headerBytes;
  }

  abstract send(msg: number, dst: number): void;
  abstract deliver(msg: number, src: number): void;

  control(op: number, arg: number): void {
    // Layers that have nothing to do with an operation pass it on.
    this.ctx.controlDown(this.index, op, arg);
  }

  event(ev: number, a: number, b: number): void {
    this.ctx.raise(this.index, ev, a, b);
  }

  timer(_arg: number): void {}

  abstract stats(): Record<string, number>;

  destroy(): void {}

  /** Releases `msg` (a drop the caller has counted). */
  protected release(msg: number): void {
    this.ctx.frames.release(msg);
  }
}

// Big-endian field access on linear memory (wire order, like every netloom format).
export function getU16(u8: Uint8Array, at: number): number {
  return (u8[at]! << 8) | u8[at + 1]!;
}
export function putU16(u8: Uint8Array, at: number, v: number): void {
  u8[at] = v >>> 8;
  u8[at + 1] = v;
}
export function getU32(u8: Uint8Array, at: number): number {
  return ((u8[at]! << 24) | (u8[at + 1]! << 16) | (u8[at + 2]! << 8) | u8[at + 3]!) >>> 0;
}
export function putU32(u8: Uint8Array, at: number, v: number): void {
  u8[at] = v >>> 24;
  u8[at + 1] = v >>> 16;
  u8[at + 2] = v >>> 8;
  u8[at + 3] = v;
}
