// The accelerator's options, checked in a fixed order (so the first problem reported does not
// depend on how the code is split), with their defaults applied.
//
// Contract:
// - accelConfig() checks the composition (checkComposition's errors, then the layers the
//   accelerator implements and NAK's presence), the network's shape (nic or atm, two members),
//   the rank, then NAK's, FC's and packing options; each problem is a NetloomError
//   INVALID_ARGUMENT with the path of the option (`<name>.nak.ringSize`, ...). The medium's
//   own checks (MACs, circuits, EtherType) come after, in accel-link.ts.
// - The config says how many layer crossings each kind of work costs: crossAll (a miss: every
//   layer), crossCtl (control traffic: NAK and below), crossPost (post-processing: the layers
//   with protocol state, NAK, FC and TOTAL).

import { ErrorCode, NetloomError } from "../../base/errors.js";
import type { EthernetNic } from "../../devices/nic.js";
import type { AtmComOptions } from "../layered/com-atm.js";
import type { FcLayerOptions } from "../layered/fc.js";
import type { NakLayerOptions } from "../layered/nak.js";
import { checkComposition, type LayerName } from "../layered/stack.js";
import type { HostCpu } from "../cost.js";
import { stackSignature } from "./mini-header.js";

export const DEFAULT_MAX_PACK = 64;

export interface AcceleratedStackOptions {
  /** The layered composition accelerated, top to bottom (e.g. ["TOTAL", "FC", "NAK", "FRAG", "COM"]). */
  layers: readonly string[];
  cpu: HostCpu;
  /** This member's rank (0 or 1). */
  rank: number;
  /** Ethernet: the NIC and the MAC of each member by rank. */
  nic?: EthernetNic;
  members?: readonly (number | string)[];
  etherType?: number;
  /** ATM instead: the NIC and the circuit to the peer (vcs[rank] = -1). */
  atm?: AtmComOptions;
  /** NAK's options (ringSize, window, backlog, ackEvery, ackDelay, probe, nakRetry). */
  nak?: NakLayerOptions;
  /** FC's window (messages not yet consumed by the peer; default 32). */
  fc?: FcLayerOptions;
  /** Most messages packed into one frame (default 64, at most 255). */
  maxPack?: number;
}

export interface AccelConfig {
  readonly layerNames: readonly LayerName[];
  readonly rank: number;
  readonly peer: number;
  readonly total: boolean;
  /** TOTAL's member 1: it delivers its own messages in the order member 0's acks give them. */
  readonly follower: boolean;
  readonly hasFc: boolean;
  readonly crossAll: number;
  readonly crossCtl: number;
  readonly crossPost: number;
  readonly ringSize: number;
  readonly window: number;
  readonly backlogLimit: number;
  readonly fcWindow: number;
  readonly ackEvery: number;
  readonly ackDelay: number;
  readonly probe: number;
  readonly nakRetry: number;
  readonly maxPack: number;
  /** FNV-1a of the layer list and the options that change the protocol (connection id). */
  readonly signature: number;
}

const SUPPORTED: readonly LayerName[] = ["COM", "FRAG", "NAK", "FC", "TOTAL"];

function pow2(v: number, path: string): number {
  if (!Number.isInteger(v) || v < 2 || v > 65536 || (v & (v - 1)) !== 0) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(v)} is not a power of two from 2 to 65536`, { path });
  }
  return v;
}

function whole(v: number, lo: number, hi: number, path: string): number {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(v)} is not a whole number from ${lo} to ${hi}`, {
      path,
    });
  }
  return v;
}

function checkLayers(name: string, layers: readonly string[]): LayerName[] {
  const names = checkComposition(layers, name);
  names.forEach((n, i) => {
    if (!SUPPORTED.includes(n)) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${n} is not accelerated (the accelerator implements ${SUPPORTED.join(", ")})`,
        { path: `${name}.layers[${i}]` },
      );
    }
  });
  if (!names.includes("NAK")) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      "the accelerator predicts NAK's sequence numbers: the composition needs NAK (reliable, fifo) to accelerate",
      { path: `${name}.layers` },
    );
  }
  return names;
}

function checkNetwork(name: string, options: AcceleratedStackOptions): void {
  if ((options.atm === undefined) === (options.nic === undefined)) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      options.atm === undefined
        ? "a stack needs a network: nic (Ethernet, with members) or atm"
        : "give either nic (Ethernet) or atm, not both",
      { path: `${name}.${options.atm === undefined ? "nic" : "atm"}` },
    );
  }
  const n = options.atm !== undefined ? options.atm.vcs?.length : options.members?.length;
  if (n !== 2) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `the accelerator runs one connection between 2 members, not ${String(n)}`,
      { path: `${name}.${options.atm !== undefined ? "atm.vcs" : "members"}` },
    );
  }
  if (options.rank !== 0 && options.rank !== 1) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(options.rank)} is not a rank in a group of 2`, {
      path: `${name}.rank`,
    });
  }
}

export function accelConfig(name: string, options: AcceleratedStackOptions): AccelConfig {
  const names = checkLayers(name, options.layers);
  checkNetwork(name, options);
  const total = names.includes("TOTAL");
  const hasFc = names.includes("FC");
  const nak = options.nak ?? {};
  const ringSize = pow2(nak.ringSize ?? 256, `${name}.nak.ringSize`);
  const window = pow2(nak.window ?? 256, `${name}.nak.window`);
  const backlogLimit = whole(nak.backlog ?? 1024, 1, 1 << 20, `${name}.nak.backlog`);
  const fcWindow = hasFc ? whole(options.fc?.window ?? 32, 2, 65535, `${name}.fc.window`) : Infinity;
  // Acks must come back before the credit window closes.
  const ackDefault = Math.max(1, Math.min(window >>> 2, hasFc ? fcWindow >>> 1 : Infinity));
  return {
    layerNames: names,
    rank: options.rank,
    peer: 1 - options.rank,
    total,
    follower: total && options.rank === 1,
    hasFc,
    crossAll: names.length,
    crossCtl: names.length - names.indexOf("NAK"),
    crossPost: names.filter((l) => l === "NAK" || l === "FC" || l === "TOTAL").length,
    ringSize,
    window,
    backlogLimit,
    fcWindow,
    ackEvery: whole(nak.ackEvery ?? ackDefault, 1, 1 << 20, `${name}.nak.ackEvery`),
    ackDelay: whole(nak.ackDelay ?? 1_000_000, 1, Number.MAX_SAFE_INTEGER, `${name}.nak.ackDelay`),
    probe: whole(nak.probe ?? 10_000_000, 1, Number.MAX_SAFE_INTEGER, `${name}.nak.probe`),
    nakRetry: whole(nak.nakRetry ?? 5_000_000, 1, Number.MAX_SAFE_INTEGER, `${name}.nak.nakRetry`),
    maxPack: whole(options.maxPack ?? DEFAULT_MAX_PACK, 1, 255, `${name}.maxPack`),
    signature: stackSignature(`${names.join(",")};fc=${hasFc ? fcWindow : 0}`),
  };
}
