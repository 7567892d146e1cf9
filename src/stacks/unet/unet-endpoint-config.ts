// A U-Net endpoint's options, checked in a fixed order, with their defaults, and the types of
// its report. Every problem is a NetloomError INVALID_ARGUMENT with the option's path
// (`<name>.segmentBuffers`, ...).

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { parseDuration } from "../../base/units.js";
import type { Simulation } from "../../engine/simulation.js";
import type { HostCpu } from "../cost.js";
import type { MessageStackCounters, StackConfiguration } from "../message-stack.js";
import type { UnetChannelSpec, UnetDevice } from "./unet-device.js";

export const UNET_RECEIVE_MODES = ["poll", "interrupt"] as const;
export type UnetReceiveMode = (typeof UNET_RECEIVE_MODES)[number];

export const DEFAULT_SEGMENT_BUFFERS = 64;
export const DEFAULT_UNET_QUEUE = 64;
export const DEFAULT_RX_BUFFERS = 32;

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

export type UnetEndpointStateName = "Registering" | "Ready" | "Destroyed";

export interface UnetEndpointStats extends MessageStackCounters {
  state: UnetEndpointStateName;
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

/** The options checked, with defaults applied. */
export interface UnetEndpointConfig {
  rank: number;
  segmentBuffers: number;
  sendQueue: number;
  recvQueue: number;
  rxBuffers: number;
  receive: UnetReceiveMode;
  pollInterval: number;
  inline: boolean;
  clientHeadroom: number;
  userNs: number;
  /** Segment buffer headroom: the device's headers plus the client's. */
  headroom: number;
  maxMessage: number;
}

function checkCount(name: string, path: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 1 || v > max) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(v)} is not a count from 1 to ${max}`, {
      path: `${name}.${path}`,
    });
  }
  return v;
}

function checkReceive(name: string, options: UnetEndpointOptions): { receive: UnetReceiveMode; interval: number } {
  const mode = options.receive ?? "poll";
  if (!(UNET_RECEIVE_MODES as readonly string[]).includes(mode)) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `${JSON.stringify(mode)} is not a receive mode (${UNET_RECEIVE_MODES.join(", ")})`,
      { path: `${name}.receive` },
    );
  }
  const interval = parseDuration(options.pollInterval ?? 0, `${name}.pollInterval`);
  if (!Number.isInteger(interval) || interval < 0) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `${String(options.pollInterval)} is not a poll interval (whole ns >= 0)`,
      { path: `${name}.pollInterval` },
    );
  }
  return { receive: mode, interval };
}

export function unetEndpointConfig(sim: Simulation, name: string, options: UnetEndpointOptions): UnetEndpointConfig {
  const device = options.device;
  const rank = options.rank ?? 0;
  if (!Number.isInteger(rank) || rank < 0 || rank > 0xffff) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(rank)} is not a rank (0 to 65535)`, {
      path: `${name}.rank`,
    });
  }
  const slots = sim.frames.pool;
  const segmentBuffers = checkCount(
    name,
    "segmentBuffers",
    options.segmentBuffers ?? DEFAULT_SEGMENT_BUFFERS,
    slots.count,
  );
  const sendQueue = checkCount(name, "sendQueue", options.sendQueue ?? DEFAULT_UNET_QUEUE, 1 << 16);
  const recvQueue = checkCount(name, "recvQueue", options.recvQueue ?? DEFAULT_UNET_QUEUE, 1 << 16);
  const rxBuffers = checkCount(name, "rxBuffers", options.rxBuffers ?? DEFAULT_RX_BUFFERS, 1 << 16);
  const { receive, interval } = checkReceive(name, options);
  const extra = options.clientHeadroom ?? 0;
  if (!Number.isInteger(extra) || extra < 0 || extra > 256) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(extra)} is not a headroom (0 to 256 bytes)`, {
      path: `${name}.clientHeadroom`,
    });
  }
  const userNs = options.userNs ?? 2 * options.cpu.profile.handlerDispatchNs;
  if (!Number.isInteger(userNs) || userNs < 0) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(userNs)} is not a duration in whole ns`, {
      path: `${name}.userNs`,
    });
  }
  const maxMessage = Math.min(device.maxMessage, slots.slotBytes - device.headroom) - extra;
  if (maxMessage < 1) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `the frame slots (${slots.slotBytes} bytes) leave no room for a message`,
      { path: `${name}.clientHeadroom` },
    );
  }
  return {
    rank,
    segmentBuffers,
    sendQueue,
    recvQueue,
    rxBuffers,
    receive,
    pollInterval: interval,
    inline: options.inline ?? true,
    clientHeadroom: extra,
    userNs,
    headroom: device.headroom + extra,
    maxMessage,
  };
}
