// The options of an IpHost, checked: what the constructor builds from, and the host's stats
// shape. Every refusal is a NetloomError naming the option's path, in a fixed order (the first
// bad option is the one reported).
//
// Contract:
// - The link: options.link (its nic must be the host's), else an AtmNic's LLC/SNAP link
//   (options.circuits maps next hops to circuits; only there), else Ethernet with ARP.
// - MTU: 68 up to the link's largest (Ethernet: 9000, jumbo frames; ATM: nic.maxPdu - 8;
//   a given link: its maxMtu), default 1500 / 9180 (RFC 2225) / the link's. It must fit the
//   frame slots (checkMtuFitsSlots). An Ethernet MTU above the NIC's raises the NIC's
//   (EthernetNic.setMtu) while the options are checked.

import { ErrorCode, NetloomError, checkInteger } from "../../base/errors.js";
import { AtmNic } from "../../devices/atm-nic.js";
import { ETH_JUMBO_MTU, type EthernetNic } from "../../devices/nic.js";
import { ETH_MTU } from "../../wire/ethernet.js";
import {
  IPV4_BROADCAST,
  IPV4_DEFAULT_TTL,
  IPV4_MIN_MTU,
  ipv4FromString,
  ipv4InPrefix,
  ipv4PrefixFromString,
  ipv4ToString,
  isMulticastIpv4,
} from "../../wire/ipv4.js";
import { LLC_SNAP_HEADER_LEN } from "../../wire/llc-snap.js";
import { DEFAULT_ARP_OPTIONS, type ArpOptions, type ArpStats } from "./arp-cache.js";
import { ATM_IP_MTU, type AtmIpStats } from "./atm-ip-link.js";
import type { IcmpStats } from "./icmp-layer.js";
import { checkMtuFitsSlots, type AttachableIpLink, type IpLinkStats } from "./ip-link.js";
import { toAddress, toNs } from "./ip-options.js";
import { DEFAULT_REASSEMBLY_OPTIONS, type ReassemblyOptions, type ReassemblyStats } from "./reassembly.js";
import { UDP_DEFAULT_MAX_DATAGRAM, type UdpStats } from "./udp-layer.js";

export interface IpHostOptions {
  /** "10.0.0.1/24", or "10.0.0.1" / a number with prefixLength. */
  address: string | number;
  /** Default 24 (ignored when address carries "/n"). */
  prefixLength?: number;
  /** Default gateway (a 0.0.0.0/0 route), optional. */
  gateway?: string | number;
  /** Largest IP datagram on the link (default 1500, at least 68, at most 9000: jumbo frames). */
  mtu?: number;
  /** TTL of datagrams we send (default 64). */
  ttl?: number;
  arp?: {
    timeout?: number | string;
    queueLimit?: number;
    retries?: number;
    retryInterval?: number | string;
  };
  reassembly?: {
    timeout?: number | string;
    maxDatagramBytes?: number;
    maxBytes?: number;
  };
  /** Largest UDP payload (default 65507). */
  maxDatagramSize?: number;
  /** Over ATM only: next-hop address -> NIC circuit index (PVCs the caller opened). */
  circuits?: Record<string, number>;
  /** A link layer of its own (e.g. a UnetIpLink) instead of the NIC's default; on link.nic. */
  link?: AttachableIpLink;
}

export interface IpStats {
  txPackets: number;
  txFragments: number;
  rxPackets: number;
  rxDelivered: number;
  rxFragments: number;
  drops: Record<string, number>;
}

export interface IpHostStats {
  name: string;
  address: string;
  ip: IpStats;
  arp: ArpStats;
  udp: UdpStats;
  icmp: IcmpStats;
  reassembly: ReassemblyStats;
  eth: { rxFrames: number; drops: Record<string, number> };
  /** Over ATM: the LLC/SNAP link's counters and circuit table. */
  atm?: AtmIpStats;
  /** Over a link given in options.link: its stats. */
  link?: IpLinkStats;
}

/** Which link the host runs on. */
export type IpHostMedium = "ethernet" | "atm" | "link";

/** The options, checked and with their defaults. */
export interface IpHostConfig {
  medium: IpHostMedium;
  address: number;
  prefixLength: number;
  mtu: number;
  ttl: number;
  /** Checked to be on the host's subnet. */
  gateway: number | undefined;
  maxDatagramSize: number;
  arp: ArpOptions;
  reassembly: ReassemblyOptions;
}

/** Throws NetloomError (path "ip") unless `options` is an options object: callers check it before building anything. */
export function checkIpOptionsObject(options: unknown): asserts options is IpHostOptions {
  if (typeof options === "object" && options !== null && !Array.isArray(options)) return;
  const got = Array.isArray(options) ? "a list" : (JSON.stringify(options) ?? String(options));
  throw new NetloomError(
    ErrorCode.INVALID_ARGUMENT,
    `expected the IP options as an object like { address: "10.0.0.1/24" }, got ${got}`,
    { path: "ip" },
  );
}

/** Checks `options` for a host on `nic`; may raise an Ethernet NIC's MTU (see the module comment). */
export function resolveIpHostConfig(nic: EthernetNic | AtmNic, options: IpHostOptions): IpHostConfig {
  checkIpOptionsObject(options);
  const given = options.link;
  if (given !== undefined && given.nic !== nic) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `the link is on ${given.nic.name}, not on ${nic.name}`, {
      path: "link",
    });
  }
  const medium: IpHostMedium = given !== undefined ? "link" : nic instanceof AtmNic ? "atm" : "ethernet";
  const { address, prefixLength } = hostAddress(options);
  const mtu = hostMtu(nic, options, medium);
  if (medium !== "atm" && options.circuits !== undefined) {
    const why =
      given !== undefined
        ? `circuits are the AtmIpLink's; a ${given.kind} link maps its own next hops`
        : "circuits need an AtmNic";
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, why, { path: "circuits" });
  }
  const ttl = options.ttl ?? IPV4_DEFAULT_TTL;
  checkInteger("ttl", ttl, 1, 255);
  const maxDatagramSize = options.maxDatagramSize ?? UDP_DEFAULT_MAX_DATAGRAM;
  checkInteger("maxDatagramSize", maxDatagramSize, 0, UDP_DEFAULT_MAX_DATAGRAM);
  let gateway: number | undefined;
  if (options.gateway !== undefined) {
    gateway = toAddress(options.gateway, "gateway");
    if (!ipv4InPrefix(gateway, address, prefixLength)) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${ipv4ToString(gateway)} is not on the subnet ${ipv4ToString(address)}/${prefixLength}`,
        { path: "gateway" },
      );
    }
  }
  const arp = arpOptions(options.arp ?? {});
  const reassembly = reassemblyOptions(options.reassembly ?? {});
  return { medium, address, prefixLength, mtu, ttl, gateway, maxDatagramSize, arp, reassembly };
}

function hostAddress(options: IpHostOptions): { address: number; prefixLength: number } {
  let address: number;
  let prefixLength = options.prefixLength ?? 24;
  if (typeof options.address === "string" && options.address.includes("/")) {
    const slash = options.address.indexOf("/");
    address = ipv4FromString(options.address.slice(0, slash), "address");
    prefixLength = ipv4PrefixFromString(options.address, "address").prefixLength;
  } else {
    address = toAddress(options.address, "address");
  }
  checkInteger("prefixLength", prefixLength, 0, 32);
  if (address === 0 || isMulticastIpv4(address) || address === IPV4_BROADCAST) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${ipv4ToString(address)} is not a unicast host address`, {
      path: "address",
    });
  }
  return { address, prefixLength };
}

function hostMtu(nic: EthernetNic | AtmNic, options: IpHostOptions, medium: IpHostMedium): number {
  const given = options.link;
  const atmMax = medium === "atm" ? (nic as AtmNic).maxPdu - LLC_SNAP_HEADER_LEN : 0;
  const defaultMtu = given !== undefined ? given.defaultMtu : medium === "atm" ? Math.min(ATM_IP_MTU, atmMax) : ETH_MTU;
  const maxMtu = given !== undefined ? given.maxMtu : medium === "atm" ? atmMax : ETH_JUMBO_MTU;
  const mtu = options.mtu ?? defaultMtu;
  checkInteger("mtu", mtu, IPV4_MIN_MTU, maxMtu);
  checkMtuFitsSlots(mtu, nic.sim.frames.pool.slotBytes, "mtu");
  if (medium === "ethernet" && mtu > (nic as EthernetNic).mtu) (nic as EthernetNic).setMtu(mtu);
  return mtu;
}

function arpOptions(a: NonNullable<IpHostOptions["arp"]>): ArpOptions {
  const queueLimit = a.queueLimit ?? DEFAULT_ARP_OPTIONS.queueLimit;
  checkInteger("arp.queueLimit", queueLimit, 0, 1024);
  const retries = a.retries ?? DEFAULT_ARP_OPTIONS.retries;
  checkInteger("arp.retries", retries, 1, 100);
  return {
    timeout: toNs(a.timeout, DEFAULT_ARP_OPTIONS.timeout, "arp.timeout"),
    queueLimit,
    retries,
    retryInterval: toNs(a.retryInterval, DEFAULT_ARP_OPTIONS.retryInterval, "arp.retryInterval"),
  };
}

function reassemblyOptions(r: NonNullable<IpHostOptions["reassembly"]>): ReassemblyOptions {
  const maxDatagramBytes = r.maxDatagramBytes ?? DEFAULT_REASSEMBLY_OPTIONS.maxDatagramBytes;
  checkInteger("reassembly.maxDatagramBytes", maxDatagramBytes, 1, 1 << 20);
  const maxBytes = r.maxBytes ?? DEFAULT_REASSEMBLY_OPTIONS.maxBytes;
  checkInteger("reassembly.maxBytes", maxBytes, 1, 1 << 30);
  return {
    timeout: toNs(r.timeout, DEFAULT_REASSEMBLY_OPTIONS.timeout, "reassembly.timeout"),
    maxDatagramBytes,
    maxBytes,
  };
}
