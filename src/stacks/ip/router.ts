// Router: an IPv4 router with N Ethernet interfaces, static routes and an optional RIP-like
// distance-vector protocol.
//
// Contract:
// - The router is a Device with one port per interface; each port is an EthernetNic (created
//   on the simulation as "<router>.<interface>", with the interface's MAC) whose receiver is the
//   router. attach(port, ...) connects that NIC, and trace[port] is that NIC's trace points, so
//   links, captures and onDrop see router ports like any other device port.
// - Each interface has an address/prefix, an MTU (68 to 9000: above 1500 its NIC takes jumbo
//   frames, and the frame slots must hold one; see checkMtuFitsSlots) and its own ArpCache (arp-cache.ts). The
//   RoutingTable (routing-table.ts) holds the connected routes, the static routes (prefix, via,
//   interface) and the routes the distance-vector protocol learns; longest prefix wins.
// - Forwarding, for every IPv4 datagram received: the header is parsed in place and its
//   checksum verified (bad: dropped, counted by Ipv4ParseError name). Addressed to one of our
//   addresses: delivered here (ICMP echo answered, RIP updates on UDP 520 read; the rest
//   counted). Broadcasts are not forwarded; class D destinations: see multicast below.
//   Otherwise: TTL <= 1 -> dropped, ICMP time exceeded to the source;
//   no route -> dropped, ICMP destination unreachable (net); longer than the outgoing MTU
//   with DF -> dropped, ICMP fragmentation needed carrying the next-hop MTU (RFC 1191),
//   without DF -> cut into fragments (new 20-byte headers: options are not copied). A datagram
//   that fits is forwarded in place: TTL decremented with the RFC 1624 incremental checksum
//   (Ipv4View.decrementTtl), the Ethernet header rewritten (src = outgoing interface MAC,
//   dst = the next hop's MAC from ARP, or the frame waits in the ARP queue), nic.send() (the
//   NIC recomputes the FCS). A frame shared with other holders is copied first
//   (frames.writable). Next hop = the route's gateway, or the destination when on-link.
// - Multicast: a simple FLOODING multicast router, not DVMRP or PIM: no group membership
//   (IGMP), no reverse-path check, no pruning. Every NIC accepts every group MAC (one address-
//   filter entry, mask = value = 01:00:00:00:00:00). A class D datagram that is not link-local
//   (224.0.0.0/24, RIP's 224.0.0.9 included: never forwarded) and has TTL > 1 is sent out of
//   every interface except the one it came in on, TTL decremented (RFC 1624), to the group's
//   Ethernet address (ipv4MulticastMac), fragmented when an interface's MTU needs it (DF set and
//   too big: dropped there, MULTICAST_FRAG_NEEDED_DF). No ICMP error is ever sent about a
//   multicast datagram (TTL expired: MULTICAST_TTL_EXPIRED; link-local: MULTICAST_LINK_LOCAL).
//   The last interface gets the received frame itself (retain + copy-on-write, as unicast); each
//   other interface needs its own copy, since the Ethernet source MAC and the slot's head
//   differ per interface (counted in ip.multicastCopies). ip.multicastForwarded counts
//   datagrams sent per outgoing interface. In a cyclic topology flooding loops: copies
//   circulate until their TTL runs out (the sender's TTL bounds the storm), and members may
//   receive duplicates; use it on trees.
// - ICMP errors (RFC 792, quoting the header and 8 payload bytes; RFC 1122 3.2.2 limits):
//   never about an ICMP error, a non-first fragment, or a datagram from/to a non-unicast
//   address. Their source is the address of the interface the datagram arrived on.
// - Ownership: every received frame is consumed exactly once; forwarded frames are retained
//   before consume() and handed to nic.send() or the ARP queue.
// - Hot path: no allocation per forwarded datagram (reused views and reprs); the route lookup
//   is a linear scan (routing-table.ts) plus one Map lookup for the route's interface.
// - Timers are events of the router: EV_ARP_RETRY (a = neighbour, b = interface) and
//   EV_DV_PERIOD (periodic advertisements and route ageing). Deterministic: no randomness.
// - Distance vector (routing "distance-vector"): every period each interface sends a RIPv2
//   response (RFC 2453 format: UDP 520 to 224.0.0.9, TTL 1) listing every route with its
//   metric (connected 1 hop... infinity 16), split horizon with poisoned reverse (routes learned
//   through an interface are sent back on it with metric 16). A learned route is refreshed by
//   each update from its gateway, replaced by a shorter one from another neighbour, withdrawn
//   when its gateway says 16 or when it has not been heard of for `timeout`. Connected and
//   static routes always win over learned ones for the same prefix.
//
// - ATM interfaces (interface option `atm`): the port is an AtmNic ("<router>.<interface>")
//   and the interface's link layer an AtmIpLink (atm-ip-link.ts): RFC 2684 LLC/SNAP on AAL5,
//   next hop -> circuit from the interface's configured table (iface(name).atm.map, or
//   `circuits`), default MTU 9180 (RFC 2225). Datagrams from it arrive alone in their frames
//   and take the same forwarding path (ethLen 0); no ARP, no multicast or broadcast out of it
//   (NO_BROADCAST_ON_ATM; RIP advertisements skip it).
//
// State machine of the router: Up -> Destroyed (destroy()); a destroyed router consumes and
// counts what arrives (ROUTER_DESTROYED) and sends nothing. Per-neighbour ARP: arp-cache.ts.
// Not handled: multicast routing protocols (DVMRP, PIM, IGMP; flooding only), redirects, IP options in fragments, triggered updates,
// ICMP rate limiting, RIP requests (only periodic responses).

import { ErrorCode, NetloomError, checkInteger } from "../../base/errors.js";
import { parseDuration } from "../../base/units.js";
import { NO_FRAME } from "../../buf/frames.js";
import type { Simulation } from "../../engine/simulation.js";
import { Device, EV_DEVICE_BASE, type Channel } from "../../devices/device.js";
import { ETH_JUMBO_MTU, EthernetNic, type NicReceiver, type NicStats } from "../../devices/nic.js";
import { AtmNic, type AtmNicOptions, type AtmNicStats } from "../../devices/atm-nic.js";
import { LLC_SNAP_HEADER_LEN } from "../../wire/llc-snap.js";
import { ATM_IP_MTU, AtmIpLink, type AtmIpStats } from "./atm-ip-link.js";
import { ArpParseError, ArpView, createArpRepr, parseArpInto, type ArpRepr } from "../../wire/arp.js";
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETH_FCS_LEN,
  ETH_MTU,
  EthernetView,
  macFromString,
} from "../../wire/ethernet.js";
import {
  ICMP_DEST_UNREACHABLE,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_HEADER_LEN,
  ICMP_TIME_EXCEEDED,
  ICMP_UNREACH_FRAG_NEEDED,
  ICMP_UNREACH_NET,
  IcmpView,
  createIcmpRepr,
  emitIcmp,
  icmpQuoteLength,
  parseIcmpInto,
  IcmpParseError,
  type IcmpRepr,
} from "../../wire/icmp.js";
import {
  IPV4_BROADCAST,
  IPV4_DEFAULT_TTL,
  IPV4_HEADER_LEN,
  IPV4_MIN_MTU,
  IP_PROTO_ICMP,
  IP_PROTO_UDP,
  Ipv4ParseError,
  Ipv4View,
  createIpv4Repr,
  emitIpv4,
  ipv4DirectedBroadcast,
  ipv4FromString,
  ipv4InPrefix,
  ipv4MulticastMac,
  ipv4PrefixFromString,
  ipv4PrefixMask,
  ipv4ToString,
  isMulticastIpv4,
  parseIpv4Into,
  readU16,
  readU32,
  writeU16,
  writeU32,
  type Ipv4Repr,
} from "../../wire/ipv4.js";
import {
  UDP_HEADER_LEN,
  UdpParseError,
  UdpView,
  createUdpRepr,
  emitUdp,
  parseUdpInto,
  type UdpRepr,
} from "../../wire/udp.js";
import { ArpCache, DEFAULT_ARP_OPTIONS, type ArpOwner, type ArpStats } from "./arp-cache.js";
import { HEADROOM, checkMtuFitsSlots, type IpLinkOwner } from "./ip-link.js";
import { EthernetOutput } from "./ethernet-output.js";
import { RouteKind, RoutingTable, type Route } from "./routing-table.js";

/** ARP retry timer: a = neighbour IPv4 address (int32), b = interface index. */
export const EV_ROUTER_ARP_RETRY = EV_DEVICE_BASE;
/** Distance-vector period: advertise on every interface, age learned routes. */
export const EV_ROUTER_DV_PERIOD = EV_DEVICE_BASE + 1;

export const RIP_PORT = 520;
export const RIP_INFINITY = 16;
/** 224.0.0.0/24: link-local groups (RFC 5771), never forwarded. */
const MULTICAST_LINK_LOCAL = 0xe0000000;
/** The Ethernet I/G bit as a 48-bit number (01:00:00:00:00:00): every group address has it. */
const MAC_GROUP_BIT = 0x0100_0000_0000;
/** RIPv2 routers' group (RFC 2453). */
export const RIP_GROUP = 0xe0000009;
const RIP_HEADER_LEN = 4;
const RIP_ENTRY_LEN = 20;
/** RFC 2453: at most 25 entries per message. */
const RIP_MAX_ENTRIES = 25;

export const RouterState = { UP: 0, DESTROYED: 1 } as const;
export type RouterState = (typeof RouterState)[keyof typeof RouterState];

const IPV4_ERROR_NAMES: string[] = [];
for (const [name, value] of Object.entries(Ipv4ParseError)) IPV4_ERROR_NAMES[value] = name;
const ARP_ERROR_NAMES: string[] = [];
for (const [name, value] of Object.entries(ArpParseError)) ARP_ERROR_NAMES[value] = name;

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

export interface RouterRouteOptions {
  /** "10.0.3.0/24"; "0.0.0.0/0" is the default route. */
  prefix: string;
  /** Next hop; omitted: the prefix is on-link through `interface`. */
  via?: string | number;
  /** Outgoing interface name; omitted: the interface whose subnet holds `via`. */
  interface?: string;
}

export interface RouterOptions {
  interfaces: RouterInterfaceOptions[];
  routes?: RouterRouteOptions[];
  /** TTL of datagrams the router originates (ICMP), default 64. */
  ttl?: number;
  arp?: { timeout?: number | string; queueLimit?: number; retries?: number; retryInterval?: number | string };
  /** Enables the distance-vector protocol. */
  distanceVector?: { period: number | string; timeout: number | string };
}

export interface RouterInterfaceStats {
  name: string;
  address: string;
  mtu: number;
  /** Ethernet interfaces. */
  nic?: NicStats;
  arp: ArpStats;
  /** ATM interfaces: the AtmNic's and the LLC/SNAP link's counters. */
  atm?: { nic: AtmNicStats; ip: AtmIpStats };
}

export interface RouterStats {
  name: string;
  state: "up" | "destroyed";
  interfaces: RouterInterfaceStats[];
  ip: {
    rxPackets: number;
    forwarded: number;
    fragmented: number;
    fragmentsSent: number;
    delivered: number;
    /** Class D datagrams sent, one per outgoing interface (fragmented ones included). */
    multicastForwarded: number;
    /** Frame copies the multicast flooding made (one per outgoing interface but the last). */
    multicastCopies: number;
    icmpSent: Record<string, number>;
    dvUpdatesSent: number;
    dvUpdatesReceived: number;
    dvEvents: Record<string, number>;
    drops: Record<string, number>;
  };
  /** "10.0.2.0/24 via 192.168.12.2 dev to-r2 (rip 2)", longest prefix first. */
  routes: string[];
}

/** Where a route leads: interface index, and for learned routes the metric and last update. */
interface RouteInfo {
  iface: number;
  kind: "connected" | "static" | "dv";
  metric: number;
  heardAt: number;
}

function toNs(value: number | string | undefined, fallback: number, path: string): number {
  if (value === undefined) return fallback;
  const ns = parseDuration(value, path);
  if (!(ns > 0))
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(value)} is not a positive duration`, { path });
  return ns;
}

/** One interface: its NIC, addresses and ARP cache. Forwards everything to the router. */
export class RouterInterface implements ArpOwner, NicReceiver, IpLinkOwner {
  readonly ip: number;
  /** The port's device: the EthernetNic, or the AtmNic of an ATM interface. */
  readonly device: EthernetNic | AtmNic;
  /** IP over ATM (undefined on Ethernet). */
  readonly atm: AtmIpLink | undefined;
  /** The Ethernet NIC (undefined on ATM). */
  readonly nic: EthernetNic | undefined;
  readonly mac: number;
  readonly network: number;
  readonly directedBroadcast: number;
  readonly arp: ArpCache;

  constructor(
    readonly router: Router,
    readonly index: number,
    readonly name: string,
    device: EthernetNic | AtmNic,
    ip: number,
    readonly prefixLength: number,
    readonly mtu: number,
    arpOptions: ConstructorParameters<typeof ArpCache>[1],
  ) {
    this.ip = ip;
    this.device = device;
    if (device instanceof AtmNic) {
      this.nic = undefined;
      this.atm = new AtmIpLink(device, this, HEADROOM);
      this.mac = 0;
    } else {
      this.nic = device;
      this.atm = undefined;
      this.mac = device.mac;
      device.setReceiver(this);
    }
    this.network = (ip & ipv4PrefixMask(prefixLength)) >>> 0;
    this.directedBroadcast = ipv4DirectedBroadcast(ip, prefixLength);
    this.arp = new ArpCache(this, arpOptions);
  }

  sendArp(op: number, targetMac: number, targetIp: number, ethDst: number): void {
    this.router.sendArpOn(this, op, targetMac, targetIp, ethDst);
  }

  transmitTo(frame: number, mac: number): void {
    this.router.transmitOn(this, frame, mac);
  }

  releaseFrame(frame: number): void {
    this.router.sim.frames.release(frame);
  }

  scheduleArpTimer(delay: number, ip: number): number {
    const r = this.router;
    return r.sim.scheduler.schedule(r.id, delay, r.id, EV_ROUTER_ARP_RETRY, ip | 0, this.index, 0);
  }

  cancelTimer(handle: number): void {
    this.router.sim.scheduler.cancel(handle);
  }

  now(): number {
    return this.router.sim.scheduler.now;
  }

  onFrame(_nic: EthernetNic, frame: number): void {
    this.router.input(this, frame);
  }

  /** IpLinkOwner: a datagram alone in its frame, from the ATM link (the router consumes it). */
  linkInput(frame: number, _at: number, _length: number): boolean {
    this.router.inputDatagram(this, frame);
    return true;
  }

  /** Gives back a received frame: to the NIC's receive buffers, or released (ATM). */
  consume(frame: number): void {
    if (this.nic !== undefined) this.nic.consume(frame);
    else this.router.sim.frames.release(frame);
  }
}

export class Router extends Device {
  readonly interfaces: RouterInterface[];
  readonly routes = new RoutingTable();
  readonly ttl: number;
  readonly u8: Uint8Array;
  private stateValue: RouterState = RouterState.UP;
  private readonly info = new Map<Route, RouteInfo>();
  private readonly dv: { period: number; timeout: number } | undefined;
  private dvTimer = -1;
  private nextIdent = 0;
  // Reused views and reprs: the per-frame paths allocate nothing.
  private readonly eth = new EthernetView(new Uint8Array(0));
  private readonly ipv = new Ipv4View(new Uint8Array(0));
  private readonly ipv2 = new Ipv4View(new Uint8Array(0));
  private readonly arpv = new ArpView(new Uint8Array(0));
  private readonly icmpv = new IcmpView(new Uint8Array(0));
  private readonly udpv = new UdpView(new Uint8Array(0));
  private readonly rx: Ipv4Repr = createIpv4Repr();
  private readonly tx: Ipv4Repr = createIpv4Repr();
  private readonly arpRx: ArpRepr = createArpRepr();
  private readonly ethOut: EthernetOutput;
  private readonly icmpRx: IcmpRepr = createIcmpRepr();
  private readonly icmpTx: IcmpRepr = createIcmpRepr();
  private readonly udpRx: UdpRepr = createUdpRepr();
  private readonly udpTx: UdpRepr = createUdpRepr();
  readonly counters = {
    rxPackets: 0,
    forwarded: 0,
    fragmented: 0,
    fragmentsSent: 0,
    delivered: 0,
    multicastForwarded: 0,
    multicastCopies: 0,
    dvUpdatesSent: 0,
    dvUpdatesReceived: 0,
  };
  readonly icmpSent: Record<string, number> = {};
  readonly drops: Record<string, number> = {};
  /** Learned routes withdrawn, by why (DV_ROUTE_TIMEOUT, DV_ROUTE_WITHDRAWN). */
  readonly dvEvents: Record<string, number> = {};

  constructor(sim: Simulation, name: string, options: RouterOptions) {
    const ifaces = options.interfaces;
    if (!Array.isArray(ifaces) || ifaces.length === 0) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "a router needs at least one interface", {
        path: `${name}.interfaces`,
      });
    }
    super(sim, name, ifaces.length);
    const ttl = options.ttl ?? IPV4_DEFAULT_TTL;
    checkInteger("ttl", ttl, 1, 255);
    this.ttl = ttl;
    this.u8 = sim.runtime.u8;
    this.ethOut = new EthernetOutput(sim, HEADROOM);
    const a = options.arp ?? {};
    const arpOptions = {
      timeout: toNs(a.timeout, DEFAULT_ARP_OPTIONS.timeout, "arp.timeout"),
      queueLimit: a.queueLimit ?? DEFAULT_ARP_OPTIONS.queueLimit,
      retries: a.retries ?? DEFAULT_ARP_OPTIONS.retries,
      retryInterval: toNs(a.retryInterval, DEFAULT_ARP_OPTIONS.retryInterval, "arp.retryInterval"),
    };
    checkInteger("arp.queueLimit", arpOptions.queueLimit, 0, 1024);
    checkInteger("arp.retries", arpOptions.retries, 1, 100);
    this.interfaces = ifaces.map((o, i) => {
      const path = `interfaces[${i}]`;
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
      if (o.atm !== undefined) {
        const atmNic = new AtmNic(sim, `${name}.${o.name}`, o.atm.nic ?? {});
        const maxMtu = atmNic.maxPdu - LLC_SNAP_HEADER_LEN;
        const mtu = o.mtu ?? Math.min(ATM_IP_MTU, maxMtu);
        checkInteger(`${path}.mtu`, mtu, IPV4_MIN_MTU, maxMtu);
        checkMtuFitsSlots(mtu, sim.frames.pool.slotBytes, `${path}.mtu`);
        this.trace[i] = atmNic.trace[0]!;
        const iface = new RouterInterface(this, i, o.name, atmNic, ip, prefixLength, mtu, arpOptions);
        for (const [address, vc] of Object.entries(o.atm.circuits ?? {}))
          iface.atm!.map(address, vc, `${path}.atm.circuits.${address}`);
        return iface;
      }
      const mtu = o.mtu ?? ETH_MTU;
      checkInteger(`${path}.mtu`, mtu, IPV4_MIN_MTU, ETH_JUMBO_MTU);
      checkMtuFitsSlots(mtu, sim.frames.pool.slotBytes, `${path}.mtu`);
      const nic = new EthernetNic(sim, `${name}.${o.name}`, {
        ...(mtu > ETH_MTU ? { mtu } : {}),
        ...(o.mac !== undefined
          ? { mac: typeof o.mac === "string" ? macFromString(o.mac, `${path}.mac`) : o.mac }
          : {}),
        ...(o.rxBuffers !== undefined ? { rxBuffers: o.rxBuffers } : {}),
      });
      // The port's trace points are the NIC's: captures and drop listeners see the real traffic.
      this.trace[i] = nic.trace[0]!;
      const iface = new RouterInterface(this, i, o.name, nic, ip, prefixLength, mtu, arpOptions);
      // Every group address (the I/G bit): the router floods multicast.
      nic.addFilter(MAC_GROUP_BIT, MAC_GROUP_BIT);
      return iface;
    });
    for (const f of this.interfaces) {
      const route = this.routes.add(f.network, f.prefixLength, 0, RouteKind.CONNECTED);
      this.info.set(route, { iface: f.index, kind: "connected", metric: 1, heardAt: 0 });
    }
    (options.routes ?? []).forEach((r, j) => this.addStaticRoute(r, `routes[${j}]`));
    if (options.distanceVector !== undefined) {
      const period = toNs(options.distanceVector.period, 1e9, "distanceVector.period");
      const timeout = toNs(options.distanceVector.timeout, 3e9, "distanceVector.timeout");
      this.dv = { period, timeout };
      for (const f of this.interfaces) f.nic?.joinMulticast(ipv4MulticastMac(RIP_GROUP));
      // First advertisement at once: neighbours learn routes within one link delay.
      this.dvTimer = sim.scheduler.schedule(this.id, 0, this.id, EV_ROUTER_DV_PERIOD, 0, 0, 0);
    }
  }

  get state(): "up" | "destroyed" {
    return this.stateValue === RouterState.UP ? "up" : "destroyed";
  }

  /** The interface called `name` (throws naming it when there is none). */
  iface(name: string): RouterInterface {
    const f = this.interfaces.find((x) => x.name === name);
    if (f === undefined)
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `router ${this.name} has no interface "${name}"`, {
        path: "interface",
      });
    return f;
  }

  /** Connects port `port` (interface `port`): the interface's NIC takes the channel. */
  override attach(port: number, channel: Channel, end: number): void {
    const f = this.interfaces[port];
    if (f === undefined) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${this.name} has no port ${port} (ports 0 to ${this.ports.length - 1})`,
        {
          path: channel.name,
        },
      );
    }
    f.device.attach(0, channel, end);
    this.ports[port] = { channel, end };
  }

  /** Adds a static route; `via` must be on an interface's subnet. */
  addStaticRoute(r: RouterRouteOptions, path = "route"): void {
    const p = ipv4PrefixFromString(r.prefix, `${path}.prefix`);
    const via =
      r.via === undefined ? 0 : typeof r.via === "string" ? ipv4FromString(r.via, `${path}.via`) : r.via >>> 0;
    let iface: RouterInterface | undefined;
    if (r.interface !== undefined) {
      iface = this.interfaces.find((f) => f.name === r.interface);
      if (iface === undefined) {
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `router ${this.name} has no interface "${r.interface}"`, {
          path: `${path}.interface`,
        });
      }
    } else if (via !== 0) {
      iface = this.interfaces.find((f) => ipv4InPrefix(via, f.network, f.prefixLength));
    }
    if (iface === undefined) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        via === 0
          ? `give "via" or "interface"`
          : `${ipv4ToString(via)} is not on the subnet of any interface of ${this.name}`,
        { path: via === 0 ? path : `${path}.via` },
      );
    }
    const route = this.routes.add(
      p.network,
      p.prefixLength,
      via,
      p.prefixLength === 0 ? RouteKind.DEFAULT : RouteKind.STATIC,
    );
    this.info.set(route, { iface: iface.index, kind: "static", metric: 1, heardAt: 0 });
  }

  stats(): RouterStats {
    return {
      name: this.name,
      state: this.state,
      interfaces: this.interfaces.map((f) => ({
        name: f.name,
        address: `${ipv4ToString(f.ip)}/${f.prefixLength}`,
        mtu: f.mtu,
        ...(f.nic !== undefined ? { nic: f.nic.stats() } : {}),
        arp: f.arp.stats(),
        ...(f.atm !== undefined ? { atm: { nic: f.atm.nic.stats(), ip: f.atm.stats() } } : {}),
      })),
      ip: {
        ...this.counters,
        icmpSent: { ...this.icmpSent },
        dvEvents: { ...this.dvEvents },
        drops: { ...this.drops },
      },
      routes: this.routeList(),
    };
  }

  /** The routing table in words, longest prefix first. */
  routeList(): string[] {
    return this.routes.list().map((r) => {
      const i = this.info.get(r)!;
      const dev = this.interfaces[i.iface]!.name;
      const via = r.gateway === 0 ? "" : ` via ${ipv4ToString(r.gateway)}`;
      const how = i.kind === "dv" ? ` (rip ${i.metric})` : i.kind === "connected" ? " (connected)" : "";
      return `${ipv4ToString(r.network)}/${r.prefixLength}${via} dev ${dev}${how}`;
    });
  }

  /** Up -> Destroyed: cancels timers, releases frames waiting for ARP, frees the NICs' tables. */
  destroy(): void {
    if (this.stateValue === RouterState.DESTROYED) return;
    this.stateValue = RouterState.DESTROYED;
    if (this.dvTimer >= 0) this.sim.scheduler.cancel(this.dvTimer);
    this.dvTimer = -1;
    for (const f of this.interfaces) {
      f.arp.destroy();
      f.device.destroy();
    }
  }

  handleEvent(kind: number, a: number, b: number, _len: number): void {
    if (this.stateValue !== RouterState.UP) return;
    if (kind === EV_ROUTER_ARP_RETRY) this.interfaces[b]?.arp.onTimer(a >>> 0);
    else if (kind === EV_ROUTER_DV_PERIOD) this.dvTick();
  }

  // --- transmit helpers (ArpOwner side of the interfaces) ---

  sendArpOn(f: RouterInterface, op: number, targetMac: number, targetIp: number, ethDst: number): void {
    if (!this.ethOut.sendArp(f.nic!, f.mac, f.ip, op, targetMac, targetIp, ethDst)) {
      f.arp.counters.requestsSent--;
      this.drop("NO_SLOT");
    }
  }

  /** Sends an IPv4 frame (no Ethernet header) out of `f` to `mac`; takes the frame. */
  transmitOn(f: RouterInterface, frame: number, mac: number): void {
    if (f.nic === undefined) {
      // Only group destinations come here for an ATM interface (unicast goes by circuit).
      this.sim.frames.release(frame);
      this.drop("NO_BROADCAST_ON_ATM");
      return;
    }
    this.ethOut.pushEthernet(frame, mac, f.mac, ETHERTYPE_IPV4);
    f.nic.send(frame);
  }

  /** A datagram alone in its frame arrived on ATM interface `f`. */
  inputDatagram(f: RouterInterface, frame: number): void {
    if (this.stateValue !== RouterState.UP) {
      this.drop("ROUTER_DESTROYED");
      f.consume(frame);
      return;
    }
    const frames = this.sim.frames;
    this.ipInput(f, frame, 0, frames.offset(frame), frames.length[frame]!);
  }

  // --- receive and forward ---

  /** A frame arrived on interface `f` (the NIC's receiver callback). */
  input(f: RouterInterface, frame: number): void {
    const nic = f.nic!;
    if (this.stateValue !== RouterState.UP) {
      this.drop("ROUTER_DESTROYED");
      nic.consume(frame);
      return;
    }
    const frames = this.sim.frames;
    const off = frames.offset(frame);
    const len = frames.length[frame]! - ETH_FCS_LEN; // the NIC leaves the FCS on
    const eth = this.eth.wrap(this.u8, off, len);
    if (!eth.checkLength()) {
      this.drop("RUNT");
      nic.consume(frame);
      return;
    }
    const hl = eth.headerLength;
    const type = eth.etherType;
    if (type === ETHERTYPE_IPV4) {
      this.ipInput(f, frame, hl, off + hl, len - hl);
      return;
    }
    if (type === ETHERTYPE_ARP) {
      const status = parseArpInto(this.arpv.wrap(this.u8, off + hl, len - hl), this.arpRx);
      if (status === ArpParseError.OK) f.arp.input(this.arpRx);
      else {
        const name = ARP_ERROR_NAMES[status] ?? `ERROR_${status}`;
        f.arp.drops[name] = (f.arp.drops[name] ?? 0) + 1;
      }
    } else this.drop("UNKNOWN_ETHERTYPE");
    nic.consume(frame);
  }

  private ipInput(f: RouterInterface, frame: number, ethLen: number, at: number, len: number): void {
    const nic = f; // consume(): the NIC's receive buffer, or a release on ATM
    this.counters.rxPackets++;
    const v = this.ipv.wrap(this.u8, at, len);
    const r = this.rx;
    const status = parseIpv4Into(v, r);
    if (status !== Ipv4ParseError.OK) {
      this.drop(IPV4_ERROR_NAMES[status] ?? `ERROR_${status}`);
      nic.consume(frame);
      return;
    }
    const dst = r.dst;
    if (this.isOurs(dst) || (dst === RIP_GROUP && this.dv !== undefined)) {
      this.local(f, v, r);
      nic.consume(frame);
      return;
    }
    if (isMulticastIpv4(dst)) {
      if ((dst & 0xffff_ff00) >>> 0 === MULTICAST_LINK_LOCAL) this.drop("MULTICAST_LINK_LOCAL");
      else if (r.ttl <= 1) this.drop("MULTICAST_TTL_EXPIRED");
      else {
        this.forwardMulticast(f, frame, ethLen, v, r);
        return;
      }
      nic.consume(frame);
      return;
    }
    if (dst === IPV4_BROADCAST || this.isDirectedBroadcast(dst)) {
      this.drop("BROADCAST");
      nic.consume(frame);
      return;
    }
    if (r.ttl <= 1) {
      this.icmpError(f, v, r, ICMP_TIME_EXCEEDED, 0, 0);
      this.drop("TTL_EXCEEDED");
      nic.consume(frame);
      return;
    }
    const route = this.routes.lookup(dst);
    if (route === undefined) {
      this.icmpError(f, v, r, ICMP_DEST_UNREACHABLE, ICMP_UNREACH_NET, 0);
      this.drop("NO_ROUTE");
      nic.consume(frame);
      return;
    }
    const out = this.interfaces[this.info.get(route)!.iface]!;
    const nextHop = route.gateway === 0 ? dst : route.gateway;
    const total = v.totalLength;
    if (total > out.mtu) {
      if (r.dontFragment) {
        this.icmpError(f, v, r, ICMP_DEST_UNREACHABLE, ICMP_UNREACH_FRAG_NEEDED, out.mtu);
        this.drop("FRAG_NEEDED_DF");
      } else {
        this.fragment(out, nextHop, v, r, this.sim.frames.birth[frame]!);
      }
      nic.consume(frame);
      return;
    }
    // Forward in place: keep the frame past the NIC's receive buffer, then copy it only if
    // someone else holds it too (a flooded frame).
    const frames = this.sim.frames;
    frames.retain(frame);
    nic.consume(frame);
    const w = frames.writable(frame);
    if (w === NO_FRAME) {
      frames.release(frame);
      this.drop("NO_SLOT");
      return;
    }
    const ipAt = frames.offset(w) + ethLen;
    this.ipv.wrap(this.u8, ipAt, total).decrementTtl();
    frames.pop(w, ethLen);
    frames.setLength(w, total); // drops the FCS and any minimum-size padding
    this.counters.forwarded++;
    this.toLink(out, w, nextHop);
  }

  /**
   * Floods the class D datagram in `v` (TTL > 1, in `frame` on `f`) out of every other
   * interface. Copies for all but the last interface; the last takes the frame itself.
   */
  private forwardMulticast(f: RouterInterface, frame: number, ethLen: number, v: Ipv4View, r: Ipv4Repr): void {
    const nic = f;
    const frames = this.sim.frames;
    const fs = this.interfaces;
    const total = v.totalLength;
    const mac = ipv4MulticastMac(r.dst);
    let last = fs.length - 1;
    if (last === f.index) last--;
    if (last < 0) {
      this.drop("MULTICAST_NO_INTERFACE");
      nic.consume(frame);
      return;
    }
    for (let i = 0; i <= last; i++) {
      if (i === f.index) continue;
      const out = fs[i]!;
      if (total > out.mtu) {
        if (r.dontFragment) this.drop("MULTICAST_FRAG_NEEDED_DF");
        else {
          this.counters.multicastForwarded++;
          this.fragment(out, r.dst, v, r, this.sim.frames.birth[frame]!);
        }
        if (i === last) nic.consume(frame);
        continue;
      }
      let w: number;
      if (i < last) {
        w = frames.clone(frame);
        if (w === NO_FRAME) {
          this.drop("NO_SLOT");
          continue;
        }
        frames.touch(w);
        this.counters.multicastCopies++;
      } else {
        // The received frame itself: kept past the NIC's buffer, copied only if shared.
        frames.retain(frame);
        nic.consume(frame);
        w = frames.writable(frame);
        if (w === NO_FRAME) {
          frames.release(frame);
          this.drop("NO_SLOT");
          return;
        }
      }
      this.ipv2.wrap(this.u8, frames.offset(w) + ethLen, total).decrementTtl();
      frames.pop(w, ethLen);
      frames.setLength(w, total); // drops the FCS and any minimum-size padding
      this.counters.multicastForwarded++;
      this.transmitOn(out, w, mac);
    }
  }

  /**
   * Cuts the datagram in `v` into fragments for `out` (TTL decremented in each). The fragments
   * keep the datagram's birth tag, so one-way latency still runs from the original send.
   */
  private fragment(out: RouterInterface, nextHop: number, v: Ipv4View, r: Ipv4Repr, birth: number): void {
    const frames = this.sim.frames;
    const u8 = this.u8;
    const chunk = ((out.mtu - IPV4_HEADER_LEN) >>> 3) << 3;
    const payAt = v.offset + v.headerLength;
    const payLen = r.payloadLength;
    const t = this.tx;
    t.src = r.src;
    t.dst = r.dst;
    t.protocol = r.protocol;
    t.tos = r.tos;
    t.ttl = r.ttl - 1;
    t.identification = r.identification;
    t.dontFragment = false;
    this.counters.fragmented++;
    for (let o = 0; o < payLen; o += chunk) {
      const n = Math.min(chunk, payLen - o);
      const fr = frames.alloc(HEADROOM, birth);
      if (fr === NO_FRAME) {
        // The rest cannot go: the receiver's reassembly times the datagram out.
        this.drop("NO_SLOT");
        return;
      }
      frames.setLength(fr, n);
      this.sim.runtime.copy(frames.offset(fr), payAt + o, n);
      t.payloadLength = n;
      t.fragmentOffset = r.fragmentOffset + o;
      t.moreFragments = o + n < payLen || r.moreFragments;
      const hat = frames.push(fr, IPV4_HEADER_LEN);
      emitIpv4(t, this.ipv2.wrap(u8, hat, IPV4_HEADER_LEN + n));
      this.counters.fragmentsSent++;
      this.toLink(out, fr, nextHop);
    }
  }

  /** Hands an IPv4 frame (no Ethernet header) to interface `out`: cached MAC or the ARP queue. */
  private toLink(out: RouterInterface, frame: number, nextHop: number): void {
    if (out.atm !== undefined && !isMulticastIpv4(nextHop)) {
      out.atm.send(frame, nextHop);
      return;
    }
    if (isMulticastIpv4(nextHop)) return this.transmitOn(out, frame, ipv4MulticastMac(nextHop)); // flooded fragments
    const mac = out.arp.lookup(nextHop);
    if (mac >= 0) this.transmitOn(out, frame, mac);
    else out.arp.enqueue(nextHop, frame);
  }

  /** A datagram for the router itself: echo requests answered, RIP read, the rest counted. */
  private local(f: RouterInterface, v: Ipv4View, r: Ipv4Repr): void {
    this.counters.delivered++;
    if (r.moreFragments || r.fragmentOffset !== 0) {
      this.drop("LOCAL_FRAGMENT"); // the router does not reassemble
      return;
    }
    const payAt = v.offset + v.headerLength;
    if (r.protocol === IP_PROTO_ICMP) {
      const iv = this.icmpv.wrap(this.u8, payAt, r.payloadLength);
      const st = parseIcmpInto(iv, this.icmpRx);
      if (st !== IcmpParseError.OK) {
        this.drop("ICMP_BAD");
        return;
      }
      if (this.icmpRx.type !== ICMP_ECHO_REQUEST || !this.isOurs(r.dst)) {
        this.drop("LOCAL_ICMP_IGNORED");
        return;
      }
      this.echoReply(r, payAt);
      return;
    }
    if (r.protocol === IP_PROTO_UDP && this.dv !== undefined) {
      const uv = this.udpv.wrap(this.u8, payAt, r.payloadLength);
      if (parseUdpInto(uv, this.udpRx, r.src, r.dst) === UdpParseError.OK && this.udpRx.dstPort === RIP_PORT) {
        this.dvInput(f, r.src, payAt + UDP_HEADER_LEN, this.udpRx.payloadLength);
        return;
      }
    }
    this.drop("LOCAL_IGNORED");
  }

  private echoReply(r: Ipv4Repr, icmpAt: number): void {
    const frames = this.sim.frames;
    const n = r.payloadLength;
    if (HEADROOM + n + ETH_FCS_LEN > frames.pool.slotBytes) {
      this.drop("ECHO_TOO_LONG");
      return;
    }
    const fr = frames.alloc(HEADROOM, this.sim.now);
    if (fr === NO_FRAME) {
      this.drop("NO_SLOT");
      return;
    }
    frames.setLength(fr, n);
    const at = frames.offset(fr);
    this.sim.runtime.copy(at, icmpAt, n);
    const t = this.icmpTx;
    t.type = ICMP_ECHO_REPLY;
    t.code = 0;
    t.ident = this.icmpRx.ident;
    t.seqNo = this.icmpRx.seqNo;
    t.nextHopMtu = 0;
    t.payloadLength = n - ICMP_HEADER_LEN;
    emitIcmp(t, this.icmpv.wrap(this.u8, at, n));
    this.count(this.icmpSent, "ECHO_REPLY");
    this.originate(fr, IP_PROTO_ICMP, r.src, r.dst);
  }

  /** ICMP error about the datagram in `v` (header + 8 bytes quoted), sent to its source. */
  private icmpError(f: RouterInterface, v: Ipv4View, r: Ipv4Repr, type: number, code: number, mtu: number): void {
    const src = r.src;
    if (src === 0 || src === IPV4_BROADCAST || isMulticastIpv4(src) || this.isDirectedBroadcast(src)) return;
    if (r.fragmentOffset !== 0) return;
    if (r.protocol === IP_PROTO_ICMP && r.payloadLength > 0) {
      const t = this.u8[v.offset + v.headerLength]!;
      if (t !== ICMP_ECHO_REQUEST && t !== ICMP_ECHO_REPLY) return; // never an error about an error
    }
    const frames = this.sim.frames;
    const quote = icmpQuoteLength(v);
    const fr = frames.alloc(HEADROOM, this.sim.now);
    if (fr === NO_FRAME) {
      this.drop("NO_SLOT");
      return;
    }
    frames.setLength(fr, ICMP_HEADER_LEN + quote);
    const at = frames.offset(fr);
    this.sim.runtime.copy(at + ICMP_HEADER_LEN, v.offset, quote);
    const t = this.icmpTx;
    t.type = type;
    t.code = code;
    t.ident = 0;
    t.seqNo = 0;
    t.nextHopMtu = mtu;
    t.payloadLength = quote;
    emitIcmp(t, this.icmpv.wrap(this.u8, at, ICMP_HEADER_LEN + quote));
    this.count(
      this.icmpSent,
      type === ICMP_TIME_EXCEEDED ? "TIME_EXCEEDED" : code === ICMP_UNREACH_NET ? "NET_UNREACHABLE" : "FRAG_NEEDED",
    );
    this.originate(fr, IP_PROTO_ICMP, src, f.ip);
  }

  /** Sends a datagram the router made (payload in `frame`): IPv4 header, route, ARP. */
  private originate(frame: number, protocol: number, dst: number, src: number): void {
    const frames = this.sim.frames;
    const route = this.routes.lookup(dst);
    if (route === undefined) {
      frames.release(frame);
      this.drop("NO_ROUTE_LOCAL");
      return;
    }
    const out = this.interfaces[this.info.get(route)!.iface]!;
    const len = frames.length[frame]!;
    if (IPV4_HEADER_LEN + len > out.mtu) {
      frames.release(frame);
      this.drop("LOCAL_TOO_BIG");
      return;
    }
    const t = this.tx;
    t.src = src;
    t.dst = dst;
    t.protocol = protocol;
    t.payloadLength = len;
    t.ttl = this.ttl;
    t.tos = 0;
    t.identification = this.takeIdent();
    t.dontFragment = false;
    t.moreFragments = false;
    t.fragmentOffset = 0;
    const at = frames.push(frame, IPV4_HEADER_LEN);
    emitIpv4(t, this.ipv2.wrap(this.u8, at, IPV4_HEADER_LEN + len));
    this.toLink(out, frame, route.gateway === 0 ? dst : route.gateway);
  }

  // --- distance vector ---

  /** Period timer: age learned routes, advertise on every interface, re-arm. */
  private dvTick(): void {
    const dv = this.dv!;
    const now = this.sim.now;
    for (const r of this.routes.list()) {
      const i = this.info.get(r)!;
      if (i.kind === "dv" && now - i.heardAt >= dv.timeout) this.withdraw(r, "DV_ROUTE_TIMEOUT");
    }
    for (const f of this.interfaces) this.advertise(f);
    this.dvTimer = this.sim.scheduler.schedule(this.id, dv.period, this.id, EV_ROUTER_DV_PERIOD, 0, 0, 0);
  }

  private withdraw(r: Route, reason: string): void {
    this.routes.remove(r.network, r.prefixLength);
    this.info.delete(r);
    this.count(this.dvEvents, reason);
  }

  /** One RIPv2 response on `f` (several when more than 25 routes), poisoned reverse. */
  private advertise(f: RouterInterface): void {
    if (f.atm !== undefined) return; // no multicast on ATM: RIP stays on the Ethernet side
    const list = this.routes.list();
    const frames = this.sim.frames;
    for (let start = 0; start < list.length; start += RIP_MAX_ENTRIES) {
      const count = Math.min(RIP_MAX_ENTRIES, list.length - start);
      const len = RIP_HEADER_LEN + count * RIP_ENTRY_LEN;
      const fr = frames.alloc(HEADROOM, this.sim.now);
      if (fr === NO_FRAME) {
        this.drop("NO_SLOT");
        return;
      }
      frames.setLength(fr, len);
      const b = this.u8;
      const at = frames.offset(fr);
      b[at] = 2; // command: response
      b[at + 1] = 2; // version 2
      writeU16(b, at + 2, 0);
      for (let k = 0; k < count; k++) {
        const r = list[start + k]!;
        const i = this.info.get(r)!;
        const e = at + RIP_HEADER_LEN + k * RIP_ENTRY_LEN;
        const metric = i.kind !== "connected" && i.iface === f.index ? RIP_INFINITY : Math.min(i.metric, RIP_INFINITY);
        writeU16(b, e, 2); // address family: IP
        writeU16(b, e + 2, 0); // route tag
        writeU32(b, e + 4, r.network);
        writeU32(b, e + 8, r.mask);
        writeU32(b, e + 12, 0); // next hop: the sender
        writeU32(b, e + 16, metric);
      }
      const u = this.udpTx;
      u.srcPort = RIP_PORT;
      u.dstPort = RIP_PORT;
      u.payloadLength = len;
      const uat = frames.push(fr, UDP_HEADER_LEN);
      emitUdp(u, this.udpv.wrap(b, uat, UDP_HEADER_LEN + len), f.ip, RIP_GROUP);
      const t = this.tx;
      t.src = f.ip;
      t.dst = RIP_GROUP;
      t.protocol = IP_PROTO_UDP;
      t.payloadLength = UDP_HEADER_LEN + len;
      t.ttl = 1;
      t.tos = 0xc0; // network control
      t.identification = this.takeIdent();
      t.dontFragment = false;
      t.moreFragments = false;
      t.fragmentOffset = 0;
      const iat = frames.push(fr, IPV4_HEADER_LEN);
      emitIpv4(t, this.ipv2.wrap(b, iat, IPV4_HEADER_LEN + UDP_HEADER_LEN + len));
      this.counters.dvUpdatesSent++;
      this.transmitOn(f, fr, ipv4MulticastMac(RIP_GROUP));
    }
  }

  /** A RIPv2 response from neighbour `from` on `f`: Bellman-Ford update of the learned routes. */
  private dvInput(f: RouterInterface, from: number, at: number, len: number): void {
    if (!ipv4InPrefix(from, f.network, f.prefixLength) || from === f.ip) {
      this.drop("DV_NOT_NEIGHBOUR");
      return;
    }
    const b = this.u8;
    if (len < RIP_HEADER_LEN || b[at] !== 2 || b[at + 1] !== 2) {
      this.drop("DV_BAD_MESSAGE");
      return;
    }
    this.counters.dvUpdatesReceived++;
    const now = this.sim.now;
    const n = Math.floor((len - RIP_HEADER_LEN) / RIP_ENTRY_LEN);
    for (let k = 0; k < n; k++) {
      const e = at + RIP_HEADER_LEN + k * RIP_ENTRY_LEN;
      if (readU16(b, e) !== 2) continue;
      const network = readU32(b, e + 4);
      const mask = readU32(b, e + 8);
      let prefixLength = 0;
      while (prefixLength < 32 && ((mask << prefixLength) & 0x8000_0000) !== 0) prefixLength++;
      if (ipv4PrefixMask(prefixLength) !== mask) continue; // non-contiguous mask
      const metric = Math.min(readU32(b, e + 16) + 1, RIP_INFINITY);
      const existing = this.findRoute(network, prefixLength);
      if (existing !== undefined) {
        const i = this.info.get(existing)!;
        if (i.kind !== "dv") continue; // connected and static routes win
        if (existing.gateway === from && i.iface === f.index) {
          if (metric >= RIP_INFINITY) this.withdraw(existing, "DV_ROUTE_WITHDRAWN");
          else {
            i.metric = metric;
            i.heardAt = now;
          }
          continue;
        }
        if (metric >= i.metric) continue;
        this.routes.remove(existing.network, existing.prefixLength);
        this.info.delete(existing);
      } else if (metric >= RIP_INFINITY) continue;
      const route = this.routes.add(
        network,
        prefixLength,
        from,
        prefixLength === 0 ? RouteKind.DEFAULT : RouteKind.STATIC,
      );
      this.info.set(route, { iface: f.index, kind: "dv", metric, heardAt: now });
    }
  }

  private findRoute(network: number, prefixLength: number): Route | undefined {
    for (const r of this.routes.list()) if (r.network === network && r.prefixLength === prefixLength) return r;
    return undefined;
  }

  // --- internals ---

  private isOurs(dst: number): boolean {
    const fs = this.interfaces;
    for (let i = 0; i < fs.length; i++) if (fs[i]!.ip === dst) return true;
    return false;
  }

  private isDirectedBroadcast(a: number): boolean {
    const fs = this.interfaces;
    for (let i = 0; i < fs.length; i++) if (fs[i]!.directedBroadcast === a && fs[i]!.prefixLength < 31) return true;
    return false;
  }

  private takeIdent(): number {
    const id = this.nextIdent;
    this.nextIdent = (id + 1) & 0xffff;
    return id;
  }

  private drop(reason: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }

  private count(table: Record<string, number>, key: string): void {
    table[key] = (table[key] ?? 0) + 1;
  }
}
