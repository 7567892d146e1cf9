// createMessageStack: builds the host stack of one configuration over a host's NIC attachment,
// so a comparison (and any embedding program) chooses the stack per host by name.
//
// Contract:
// - attachment: an EthernetNic and every member's MAC by rank, or an AtmNic and the circuit
//   (vc index) to each member by rank (-1 for this host).
// - socket, layered, fbufs: LayeredStack with that variant over `layers`; accelerated: the
//   Horus protocol accelerator over the same layers; unet: a U-Net endpoint; active-messages:
//   Active Messages with the application as the default handler.
// - Throws NetloomError INVALID_ARGUMENT for a configuration it does not know; the stacks'
//   own constructors check the rest (layers, ranks) with path-naming errors.

import { ErrorCode, NetloomError } from "../base/errors.js";
import type { AtmNic } from "../devices/atm-nic.js";
import type { EthernetNic } from "../devices/nic.js";
import type { Simulation } from "../engine/simulation.js";
import { AcceleratedStack } from "../stacks/accel/accelerator.js";
import { AmStack, amDevice } from "../stacks/am/am-stack.js";
import type { HostCpu } from "../stacks/cost.js";
import { LayeredStack } from "../stacks/layered/stack.js";
import type { MessageStack } from "../stacks/message-stack.js";
import { UnetDevice, type UnetChannelSpec } from "../stacks/unet/unet-device.js";
import { UnetEndpoint } from "../stacks/unet/unet-endpoint.js";
import type { CompareConfiguration } from "./comparison.js";

/**
 * A host's NIC as a stack sees it: an EthernetNic with every member's MAC by rank (and the
 * U-Net channel tag), or an AtmNic with the VPI/VCI of the circuit to the other member (the
 * same at both ends of a point-to-point fibre).
 */
export type StackAttachment =
  | { kind: "ethernet"; nic: EthernetNic; members: readonly number[]; tag?: number }
  | { kind: "atm"; nic: AtmNic; vpi: number; vci: number };

export interface StackSpec {
  configuration: Pick<CompareConfiguration, "stack" | "layers">;
  cpu: HostCpu;
  /** This host's rank: 0 or 1 (the comparison's stacks are point to point). */
  rank: number;
  attachment: StackAttachment;
  /** Queue and segment sizes of the zero-copy configurations (default 256 messages). */
  queue?: number;
}

export interface BuiltStack {
  stack: MessageStack;
  /** Destroys the stack and whatever it owns besides (a U-Net device's channel table). */
  destroy(): void;
}

/** Two members, point to point: the other member's rank. */
function peerOf(rank: number): number {
  if (rank !== 0 && rank !== 1)
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(rank)} is not a rank of a two-host pair (0 or 1)`, {
      path: "rank",
    });
  return 1 - rank;
}

/**
 * The network of a layered or accelerated stack: the NIC and every member's MAC, or the AtmNic
 * and the circuit to the peer (opened here) by rank.
 */
function networkOptions(
  a: StackAttachment,
  rank: number,
): { nic: EthernetNic; members: readonly number[] } | { atm: { nic: AtmNic; vcs: number[] } } {
  if (a.kind === "ethernet") return { nic: a.nic, members: a.members };
  const vc = a.nic.openVc(a.vpi, a.vci);
  return { atm: { nic: a.nic, vcs: rank === 0 ? [-1, vc] : [vc, -1] } };
}

function channelSpec(a: StackAttachment, peer: number): UnetChannelSpec {
  return a.kind === "atm"
    ? { vpi: a.vpi, vci: a.vci }
    : { mac: a.members[peer]!, tag: a.tag ?? 1, remoteTag: a.tag ?? 1 };
}

export function createMessageStack(sim: Simulation, name: string, spec: StackSpec): BuiltStack {
  const { configuration, cpu, rank, attachment } = spec;
  const peer = peerOf(rank);
  const q = spec.queue ?? 256;
  switch (configuration.stack) {
    case "socket":
    case "layered":
    case "fbufs": {
      const common = { layers: configuration.layers, variant: configuration.stack, cpu, rank };
      const stack = new LayeredStack(sim, name, { ...common, ...networkOptions(attachment, rank) });
      return { stack, destroy: () => stack.destroy() };
    }
    case "accelerated": {
      const common = { layers: configuration.layers, cpu, rank };
      const stack = new AcceleratedStack(sim, name, { ...common, ...networkOptions(attachment, rank) });
      return { stack, destroy: () => stack.destroy() };
    }
    case "unet":
    case "active-messages": {
      const device =
        configuration.stack === "unet"
          ? new UnetDevice(sim, `${name}.unet`, { nic: attachment.nic })
          : amDevice(sim, `${name}.am`, attachment.nic);
      const options = {
        device,
        cpu,
        rank,
        channels: { [peer]: channelSpec(attachment, peer) },
        segmentBuffers: q,
        sendQueue: q,
        recvQueue: q,
        rxBuffers: Math.min(q, 128),
      };
      const stack =
        configuration.stack === "unet" ? new UnetEndpoint(sim, name, options) : new AmStack(sim, name, options);
      return {
        stack,
        destroy: () => {
          stack.destroy();
          device.destroy();
        },
      };
    }
    default:
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${JSON.stringify(configuration.stack)} is not a stack configuration`,
        {
          path: `${name}.stack`,
        },
      );
  }
}
