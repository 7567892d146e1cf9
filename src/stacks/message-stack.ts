// MessageStack: the face every host stack configuration shows an application, so that one
// workload (ping-pong round trips, one-way streams) drives a socket kernel, a layered stack,
// fbufs, U-Net endpoints, Active Messages and the Horus protocol accelerator alike.
//
// Contract:
// - allocMessage(length) gives a frame id in the simulation's FrameStore with `length` payload
//   bytes at frames.offset(frame) (the application writes them: its own buffer in copying
//   configurations, the buffer the stack will send in zero-copy ones), or NO_FRAME when no
//   slot is free. It throws NetloomError INVALID_ARGUMENT for a length over maxMessage.
// - send(frame, dst) takes ownership (do not touch the frame after the call); false means the
//   stack refused it (counted in its stats and released).
// - Messages arrive at app.onMessage(stack, ptr, length, src): the bytes are
//   u8[ptr, ptr + length), valid during the call only. src is the sender's rank.
// - Every operation the configuration does is charged on its HostCpu (src/stacks/cost.ts), so
//   the configuration changes latency and throughput in virtual time. bytesCopied counts the
//   bytes the emulator really copied for the model's copies: the zero-copy configurations copy
//   none, and do less real work.
// - destroy() releases every frame the stack holds and detaches it from its NIC.

import type { FrameStore } from "../buf/frames.js";
import type { Simulation } from "../engine/simulation.js";
import type { HostCpu } from "./cost.js";

/** The host stack configurations a scenario or the comparison can choose per host. */
export const STACK_CONFIGURATIONS = ["socket", "layered", "fbufs", "unet", "active-messages", "accelerated"] as const;
export type StackConfiguration = (typeof STACK_CONFIGURATIONS)[number];

export interface MessageApp {
  /** A message from member `src`: stack.u8[ptr, ptr + length), valid during the call. */
  onMessage(stack: MessageStack, ptr: number, length: number, src: number): void;
  /** A stack event (layered stacks: STABLE, FLOW_BLOCKED / FLOW_RESUMED). */
  onEvent?(stack: MessageStack, ev: number, a: number, b: number): void;
}

/** The counters every configuration reports (each adds its own beside them). */
export interface MessageStackCounters {
  name: string;
  configuration: StackConfiguration;
  /** Messages the application handed to send() and the stack accepted. */
  sent: number;
  /** Messages given to the application. */
  delivered: number;
  /** Real bytes copied by the emulator for the model's copies. */
  bytesCopied: number;
}

export interface MessageStack {
  readonly name: string;
  readonly configuration: StackConfiguration;
  readonly sim: Simulation;
  readonly frames: FrameStore;
  readonly u8: Uint8Array;
  readonly cpu: HostCpu;
  /** This member's rank. */
  readonly rank: number;
  /** Largest message send() takes. */
  readonly maxMessage: number;
  /** Virtual time now (ns). */
  readonly now: number;
  /**
   * False while the stack is still setting up its path to member `peer` (U-Net registers its
   * endpoint and channels with system calls first); layered stacks are ready at once.
   */
  isReady(peer: number): boolean;
  setApp(app: MessageApp | undefined): void;
  allocMessage(length: number): number;
  send(frame: number, dst?: number): boolean;
  stats(): MessageStackCounters;
  destroy(): void;
}
