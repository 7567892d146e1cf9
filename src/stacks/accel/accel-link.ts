// The accelerator's link: its options' network (an EthernetNic with the members' MACs, or an
// AtmNic with the circuit to the peer) turned into a LinkBottom with one circuit, ACCEL_CIRCUIT,
// to the peer. Past this point nothing in the accelerator asks which medium it runs on.
//
// Contract:
// - Ethernet: frames of etherType (default ACCEL_ETHERTYPE) at COM's 1500-byte MTU whatever
//   the NIC's; members[rank] must be the NIC's MAC. A plain NIC: the host checks the EtherType
//   of every frame it is interrupted for. ATM: vcs[rank] is -1 and vcs[peer] a circuit the
//   caller opened on the NIC (left open by the accelerator).
// - Errors are NetloomError INVALID_ARGUMENT with the option's path; the shape of the network
//   options (which one, two members) was checked before (accel-config.ts).

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { ETH_MTU } from "../../wire/ethernet.js";
import { AtmLinkBottom } from "../link-bottom/atm-link-bottom.js";
import { EthernetLinkBottom } from "../link-bottom/ethernet-link-bottom.js";
import { type LinkBottom, checkEtherType, checkUnicastMac } from "../link-bottom/link-bottom.js";
import type { AcceleratedStackOptions } from "./accel-config.js";
import { ACCEL_ETHERTYPE } from "./mini-header.js";

/** The accelerator's one circuit: to the other member. */
export const ACCEL_CIRCUIT = 0;

export function openAccelLink(name: string, options: AcceleratedStackOptions, rank: number): LinkBottom {
  const peer = 1 - rank;
  if (options.atm !== undefined) {
    const a = options.atm;
    const vc = a.vcs[peer]!;
    if (a.vcs[rank] !== -1) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `this member (rank ${rank}) needs -1, not a circuit`, {
        path: `${name}.atm.vcs[${rank}]`,
      });
    }
    const bottom = new AtmLinkBottom(a.nic, 1);
    bottom.adoptVc(ACCEL_CIRCUIT, vc, `${name}.atm.vcs[${peer}]`);
    return bottom;
  }
  const nic = options.nic!;
  const macs = options.members!.map((m, i) => checkUnicastMac(m, `${name}.members[${i}]`));
  if (macs[rank] !== nic.mac) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `members[${rank}] is not the MAC of ${nic.name}, the NIC of member ${rank}`,
      { path: `${name}.members` },
    );
  }
  const etherType = checkEtherType(options.etherType ?? ACCEL_ETHERTYPE, `${name}.etherType`);
  const bottom = new EthernetLinkBottom(nic, { name, etherType, demux: "driver", mtu: ETH_MTU });
  bottom.openCircuit(ACCEL_CIRCUIT, { mac: macs[peer]! }, `${name}.members[${peer}]`);
  return bottom;
}
