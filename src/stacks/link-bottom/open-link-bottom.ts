// openLinkBottom: the one place that asks which medium a NIC is, and makes its LinkBottom.

import { AtmNic } from "../../devices/atm-nic.js";
import { AtmLinkBottom } from "./atm-link-bottom.js";
import { type EthernetDemux, EthernetLinkBottom } from "./ethernet-link-bottom.js";
import type { LinkBottom, LinkNic } from "./link-bottom.js";

export interface LinkBottomOptions {
  /** The owner's name, for error messages. */
  name: string;
  /** Circuit table size. */
  circuits: number;
  /** Ethernet: the EtherType of the owner's frames and how they are demultiplexed. */
  etherType: number;
  demux: EthernetDemux;
}

export function openLinkBottom(nic: LinkNic, options: LinkBottomOptions): LinkBottom {
  return nic instanceof AtmNic ? new AtmLinkBottom(nic, options.circuits) : new EthernetLinkBottom(nic, options);
}
