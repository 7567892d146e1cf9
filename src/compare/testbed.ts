// Testbed: the two-host network one point of a comparison runs on, built fresh for every
// point so that no point's state leaks into another's figures.
//
// Contract:
// - ethernet: two EthernetNics joined by a full-duplex PointToPointLink (rate, delay);
//   atm: two AtmNics joined by an AtmLink (OC-3 by default); the stacks open one circuit,
//   VPI 0 / VCI 32 at both ends (a point-to-point fibre needs no switch to translate).
// - Each host has a HostCpu with the comparison's profile. The stacks are made by
//   createMessageStack (stack-factory.ts) over the host's attachment.
// - destroy() tears everything down and throws if a frame slot leaked: a comparison whose
//   stacks lose frames is not a fair one.

import { AtmLink } from "../devices/atm-link.js";
import { AtmNic } from "../devices/atm-nic.js";
import { PointToPointLink } from "../devices/link.js";
import { EthernetNic } from "../devices/nic.js";
import { Simulation } from "../engine/simulation.js";
import { ErrorCode, NetloomError } from "../base/errors.js";
import { HostCpu, type CpuProfile } from "../stacks/cost.js";
import type { MessageStack } from "../stacks/message-stack.js";
import type { CompareConfiguration, CompareLink, CompareNetwork } from "./comparison.js";
import { createMessageStack, type StackAttachment } from "./stack-factory.js";

/** Frame slots hold an 8 KiB message with every header, and a 9180-byte AAL5 PDU's train. */
const SLOT_BYTES = 10_240;
const FRAME_SLOTS = 2048;
const RX_BUFFERS = 256;
export const COMPARE_VCI = 32;

export interface Testbed {
  sim: Simulation;
  stacks: [MessageStack, MessageStack];
  cpus: [HostCpu, HostCpu];
  destroy(): void;
}

export function buildTestbed(
  network: CompareNetwork,
  link: CompareLink,
  configuration: CompareConfiguration,
  profile: CpuProfile,
  seed: number,
): Testbed {
  const sim = new Simulation({ seed, frameSlots: FRAME_SLOTS, slotBytes: SLOT_BYTES });
  const teardown: (() => void)[] = [];
  try {
    const attachments: StackAttachment[] = [];
    if (network === "ethernet") {
      const macs = [0x0200_0000_0a01, 0x0200_0000_0a02];
      const nics = macs.map((mac, i) => new EthernetNic(sim, `h${i}`, { mac, rxBuffers: RX_BUFFERS }));
      const l = new PointToPointLink(sim, "l0", { rate: link.rateBps, delay: link.delayNs, queueLimit: 1024 });
      nics[0]!.attach(0, l, 0);
      nics[1]!.attach(0, l, 1);
      teardown.push(() => nics.forEach((n) => n.destroy()));
      for (const nic of nics) attachments.push({ kind: "ethernet", nic, members: macs });
    } else {
      const nics = [0, 1].map((i) => new AtmNic(sim, `h${i}`, { rxBuffers: RX_BUFFERS, txQueueLimit: 1 << 16 }));
      const l = new AtmLink(sim, "l0", { rate: link.rate, delay: link.delayNs });
      nics[0]!.attach(0, l, 0);
      nics[1]!.attach(0, l, 1);
      teardown.push(() => nics.forEach((n) => n.destroy()));
      for (const nic of nics) attachments.push({ kind: "atm", nic, vpi: 0, vci: COMPARE_VCI });
    }
    const cpus = [0, 1].map((i) => new HostCpu(sim, `h${i}.cpu`, profile)) as [HostCpu, HostCpu];
    teardown.push(() => cpus.forEach((c) => c.destroy()));
    const built = [0, 1].map((rank) =>
      createMessageStack(sim, `h${rank}.stack`, {
        configuration,
        cpu: cpus[rank]!,
        rank,
        attachment: attachments[rank]!,
      }),
    );
    teardown.push(() => built.forEach((b) => b.destroy()));
    return {
      sim,
      stacks: [built[0]!.stack, built[1]!.stack],
      cpus,
      destroy() {
        // Stacks first (they hold frames), then CPUs (queued jobs), drain, then the devices.
        teardown[2]?.();
        teardown[1]?.();
        sim.scheduler.runToIdle();
        teardown[0]?.();
        const leaks = sim.frames.leaks().length;
        sim.destroy(true);
        if (leaks > 0) {
          throw new NetloomError(
            ErrorCode.INVALID_ARGUMENT,
            `${configuration.name} on ${network}: ${leaks} frame slot(s) were not returned by the stacks`,
          );
        }
      },
    };
  } catch (err) {
    for (const t of teardown.reverse()) t();
    throw err;
  }
}
