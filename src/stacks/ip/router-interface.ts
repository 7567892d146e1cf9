// RouterInterface: one interface of a Router, its address and subnet, its MTU and its link
// (Ethernet with ARP or ATM with LLC/SNAP), built from the interface's options.
//
// Contract:
// - createRouterInterface() checks one interface's options (name unique, "a.b.c.d/n" unicast,
//   MTU 68 up to the link's largest and fitting the frame slots) and makes its NIC on the
//   simulation as "<router>.<interface>": an EthernetNic (given MAC, jumbo MTU above 1500,
//   every group address accepted: the router floods multicast) or an AtmNic (default MTU 9180,
//   RFC 2225; next hops mapped to circuits). Refusals are NetloomErrors naming the path.
// - Every datagram the link delivers goes to the router (InterfaceOwner.datagramIn), which
//   consumes the frame through consume() itself.
// - output(frame, nextHop) takes an IPv4 frame: a class D next hop goes out as a group (an ATM
//   link has none: released, NO_BROADCAST_ON_ATM in the router's drops), the rest by ARP or
//   circuit. As a FragmentOutput it allocates fragments with the datagram's birth tag.

import { ErrorCode, NetloomError, checkInteger } from "../../base/errors.js";
import { type FrameBudget, NO_FRAME } from "../../buf/frames.js";
import { AtmNic, type AtmNicOptions } from "../../devices/atm-nic.js";
import { ETH_JUMBO_MTU, EthernetNic } from "../../devices/nic.js";
import type { Simulation } from "../../engine/simulation.js";
import { ETH_MTU, macFromString } from "../../wire/ethernet.js";
import {
  IPV4_BROADCAST,
  IPV4_MIN_MTU,
  ipv4DirectedBroadcast,
  ipv4FromString,
  ipv4PrefixFromString,
  ipv4PrefixMask,
  ipv4ToString,
  isMulticastIpv4,
} from "../../wire/ipv4.js";
import { LLC_SNAP_HEADER_LEN } from "../../wire/llc-snap.js";
import { type ArpCache, type ArpOptions, unusedArpCache } from "./arp-cache.js";
import { ATM_IP_MTU, AtmIpLink } from "./atm-ip-link.js";
import { EthernetIpLink } from "./ethernet-ip-link.js";
import type { FragmentOutput } from "./fragmenter.js";
import { HEADROOM, checkMtuFitsSlots, type IpLink, type IpLinkOwner } from "./ip-link.js";

/** The Ethernet I/G bit as a 48-bit number (01:00:00:00:00:00): every group address has it. */
const MAC_GROUP_BIT = 0x0100_0000_0000;

export interface RouterInterfaceOptions {
  name: string;
  /** "10.0.1.1/24". */
  address: string;
  /** Default: the NIC's automatic address. */
  mac?: number | string;
  /** Largest IP datagram on this interface (default 1500, at least 68, at most 9000: jumbo frames). */
  mtu?: number;
  rxBuffers?: number;
  /**
   * An ATM interface: its AtmNic's options, and next-hop address -> circuit index of circuits
   * opened later with iface(name).atm.nic.openVc (or mapped then with atm.map()).
   */
  atm?: { nic?: AtmNicOptions; circuits?: Record<string, number> };
}

/** What an interface asks of its router. */
export interface InterfaceOwner {
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  /** A datagram at u8[at, at + length) of `frame` arrived on `f`; the router consumes the frame. */
  datagramIn(f: RouterInterface, frame: number, at: number, length: number): void;
}

/** What interfaces share: the router's ARP options and its one drop table. */
export interface InterfaceShared {
  arp: ArpOptions;
  /** Frames waiting for ARP over all the router's interfaces. */
  arpBudget: FrameBudget;
  drops: Record<string, number>;
}

/** One interface: its NIC, addresses and link. Forwards everything to the router. */
export class RouterInterface implements IpLinkOwner, FragmentOutput {
  readonly ip: number;
  /** The port's device: the EthernetNic, or the AtmNic of an ATM interface. */
  readonly device: EthernetNic | AtmNic;
  readonly link: IpLink;
  /** IP over ATM (undefined on Ethernet). */
  readonly atm: AtmIpLink | undefined;
  /** The Ethernet NIC (undefined on ATM). */
  readonly nic: EthernetNic | undefined;
  readonly mac: number;
  readonly network: number;
  readonly directedBroadcast: number;
  /** The interface's ARP cache (on ATM: one that stays empty). */
  readonly arp: ArpCache;
  private readonly owner: InterfaceOwner;
  private readonly eth: EthernetIpLink | undefined;
  private readonly drops: Record<string, number>;
  private readonly noGroupReason: string;

  constructor(
    owner: InterfaceOwner,
    readonly index: number,
    readonly name: string,
    device: EthernetNic | AtmNic,
    ip: number,
    readonly prefixLength: number,
    readonly mtu: number,
    shared: InterfaceShared,
  ) {
    this.owner = owner;
    this.ip = ip;
    this.device = device;
    this.drops = shared.drops;
    if (device instanceof AtmNic) {
      this.nic = undefined;
      this.atm = new AtmIpLink(device, this, HEADROOM);
      this.link = this.atm;
      this.mac = 0;
      this.eth = undefined;
      this.arp = unusedArpCache(ip, owner.sim.frames, () => owner.sim.scheduler.now, shared.arp);
    } else {
      this.nic = device;
      this.atm = undefined;
      this.mac = device.mac;
      const eth = new EthernetIpLink(device, this, {
        ip,
        arp: shared.arp,
        timerOwner: owner.id,
        index,
        ethDrops: shared.drops,
        ipDrops: shared.drops,
        arpBudget: shared.arpBudget,
      });
      this.eth = eth;
      this.link = eth;
      this.arp = eth.arp;
    }
    this.network = (ip & ipv4PrefixMask(prefixLength)) >>> 0;
    this.directedBroadcast = ipv4DirectedBroadcast(ip, prefixLength);
    this.noGroupReason = `NO_BROADCAST_ON_${this.link.kind.toUpperCase()}`;
  }

  /** IpLinkOwner: the router takes every datagram and consumes the frame itself. */
  linkInput(frame: number, at: number, length: number): boolean {
    this.owner.datagramIn(this, frame, at, length);
    return true;
  }

  /**
   * The router is going away: frames arriving on Ethernet are consumed and counted as `reason`
   * before anything reads them (an ATM link's datagrams reach the router, which counts them).
   */
  close(reason: string): void {
    this.eth?.stop(reason);
  }

  /** Gives back a received frame: to the NIC's receive buffers, or released (ATM). */
  consume(frame: number): void {
    this.link.consume(frame);
  }

  /** Sends an IPv4 frame (no link header) towards `nextHop`, a group when class D; takes the frame. */
  output(frame: number, nextHop: number): void {
    if (isMulticastIpv4(nextHop)) {
      if (!this.link.sendGroup(frame, nextHop)) this.drop(this.noGroupReason);
      return;
    }
    this.link.send(frame, nextHop);
  }

  /** FragmentOutput: a plain frame slot carrying the forwarded datagram's birth tag. */
  allocFragment(length: number, birth: number): number {
    const frames = this.owner.sim.frames;
    const f = frames.alloc(HEADROOM, birth);
    if (f !== NO_FRAME) frames.setLength(f, length);
    return f;
  }

  sendFragment(frame: number, _dst: number, nextHop: number): void {
    this.output(frame, nextHop);
  }

  private drop(reason: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }
}

/**
 * Checks the options of interface `i` of `ifaces` and makes it, with its NIC, on `owner`. The
 * router puts the NIC's trace points on its port.
 */
export function createRouterInterface(
  owner: InterfaceOwner,
  ifaces: readonly RouterInterfaceOptions[],
  i: number,
  shared: InterfaceShared,
): RouterInterface {
  const o = ifaces[i]!;
  const path = `interfaces[${i}]`;
  const { ip, prefixLength } = interfaceAddress(o, ifaces, i, path);
  const sim = owner.sim;
  if (o.atm !== undefined) {
    const atmNic = new AtmNic(sim, `${owner.name}.${o.name}`, o.atm.nic ?? {});
    const maxMtu = atmNic.maxPdu - LLC_SNAP_HEADER_LEN;
    const mtu = o.mtu ?? Math.min(ATM_IP_MTU, maxMtu);
    checkInteger(`${path}.mtu`, mtu, IPV4_MIN_MTU, maxMtu);
    checkMtuFitsSlots(mtu, sim.frames.pool.slotBytes, `${path}.mtu`);
    const iface = new RouterInterface(owner, i, o.name, atmNic, ip, prefixLength, mtu, shared);
    for (const [address, vc] of Object.entries(o.atm.circuits ?? {}))
      iface.atm!.map(address, vc, `${path}.atm.circuits.${address}`);
    return iface;
  }
  const mtu = o.mtu ?? ETH_MTU;
  checkInteger(`${path}.mtu`, mtu, IPV4_MIN_MTU, ETH_JUMBO_MTU);
  checkMtuFitsSlots(mtu, sim.frames.pool.slotBytes, `${path}.mtu`);
  const nic = new EthernetNic(sim, `${owner.name}.${o.name}`, {
    ...(mtu > ETH_MTU ? { mtu } : {}),
    ...(o.mac !== undefined ? { mac: typeof o.mac === "string" ? macFromString(o.mac, `${path}.mac`) : o.mac } : {}),
    ...(o.rxBuffers !== undefined ? { rxBuffers: o.rxBuffers } : {}),
  });
  const iface = new RouterInterface(owner, i, o.name, nic, ip, prefixLength, mtu, shared);
  // Every group address (the I/G bit): the router floods multicast.
  nic.addFilter(MAC_GROUP_BIT, MAC_GROUP_BIT);
  return iface;
}

function interfaceAddress(
  o: RouterInterfaceOptions,
  ifaces: readonly RouterInterfaceOptions[],
  i: number,
  path: string,
): { ip: number; prefixLength: number } {
  if (typeof o.name !== "string" || o.name === "") {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(o.name)} is not an interface name`, {
      path: `${path}.name`,
    });
  }
  if (ifaces.findIndex((x) => x.name === o.name) !== i) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `duplicate interface name "${o.name}"`, {
      path: `${path}.name`,
    });
  }
  const slash = typeof o.address === "string" ? o.address.indexOf("/") : -1;
  if (slash < 0) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `${String(o.address)} is not an address/prefix like 10.0.0.1/24`,
      {
        path: `${path}.address`,
      },
    );
  }
  const ip = ipv4FromString(o.address.slice(0, slash), `${path}.address`);
  const prefixLength = ipv4PrefixFromString(o.address, `${path}.address`).prefixLength;
  if (ip === 0 || isMulticastIpv4(ip) || ip === IPV4_BROADCAST) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${ipv4ToString(ip)} is not a unicast address`, {
      path: `${path}.address`,
    });
  }
  return { ip, prefixLength };
}
