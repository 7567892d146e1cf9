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

import { ErrorCode, NetloomError } from "../api/errors.js";
import type { AtmNic } from "../devices/atm-nic.js";
import type { EthernetNic } from "../devices/nic.js";
import type { Simulation } from "../engine/simulation.js";
import type { HostCpu } from "../stacks/cost.js";
import { LayeredStack } from "../stacks/layered/stack.js";
import type { MessageStack } from "../stacks/message-stack.js";
import type { CompareConfiguration } from "./compare-file.js";

export type StackAttachment =
  | { kind: "ethernet"; nic: EthernetNic; members: readonly number[] }
  | { kind: "atm"; nic: AtmNic; vcs: readonly number[] };

export interface StackSpec {
  configuration: Pick<CompareConfiguration, "stack" | "layers">;
  cpu: HostCpu;
  rank: number;
  attachment: StackAttachment;
}

export function createMessageStack(sim: Simulation, name: string, spec: StackSpec): MessageStack {
  const { configuration, cpu, rank, attachment } = spec;
  switch (configuration.stack) {
    case "socket":
    case "layered":
    case "fbufs": {
      const common = { layers: configuration.layers, variant: configuration.stack, cpu, rank };
      return attachment.kind === "ethernet"
        ? new LayeredStack(sim, name, { ...common, nic: attachment.nic, members: attachment.members })
        : new LayeredStack(sim, name, { ...common, atm: { nic: attachment.nic, vcs: attachment.vcs } } as never);
    }
    default:
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${JSON.stringify(configuration.stack)} is not a stack configuration`, {
        path: `${name}.stack`,
      });
  }
}
