// Router: an IPv4 stack that forwards, with N interfaces (Ethernet with ARP, or ATM with
// LLC/SNAP), static routes and an optional RIP-like distance-vector protocol. It shares the
// links, ARP, fragmentation and ICMP error code with IpHost; the forwarding plane
// (ip-forward.ts) and the routing protocol (distance-vector.ts) are its own.
//
// Contract:
// - A Device with one port per interface (router-interface.ts); each port is the interface's
//   NIC ("<router>.<interface>"), so links, captures and onDrop see router ports like any
//   other device port. trace[port] is that NIC's trace points.
// - Routes (router-routes.ts): connected, static (prefix, via, interface) and learned; the
//   longest prefix wins; connected and static beat learned ones for the same prefix.
// - Every IPv4 datagram received: header checked in place (bad: dropped, counted by
//   Ipv4ParseError name). To one of our addresses (or RIP's group when the protocol runs):
//   delivered here (echo requests answered, RIP updates read, the rest counted). Broadcasts
//   are not forwarded; class D and unicast datagrams go to the forwarding plane.
// - ICMP errors (icmp-errors.ts, RFC 1122 3.2.2 limits, never to a directed broadcast of ours)
//   come from the address of the interface the datagram arrived on; datagrams the router
//   originates are routed like forwarded ones but never fragmented (LOCAL_TOO_BIG).
// - Ownership: every received frame is consumed exactly once.
// - Frames held: only datagrams waiting for ARP, at most ARP_MAX_QUEUED per interface and
//   ARP_MAX_QUEUED_PER_DEVICE (or the frame store's deviceShare, if smaller) over all of them
//   (DEVICE_QUEUE_FULL past it); forwarded frames go straight to the outgoing link's queue.
// - Timers are events of the router: EV_ROUTER_ARP_RETRY (a = neighbour, b = interface) and
//   EV_ROUTER_DV_PERIOD. Deterministic: no randomness.
// - State: Up -> Destroyed (destroy()); a destroyed router consumes and counts what arrives
//   (ROUTER_DESTROYED) and sends nothing.
// - Crashes (Crashable): Up -> Crashed -> Up. crash() loses the volatile state: every ARP cache
//   and the frames waiting in it (counted CRASHED), the learned routes (dvEvents CRASHED), the
//   distance-vector timer; every interface's NIC crashes (drops both ways as CRASHED, its link
//   queue flushed). The router holds no reassembly or ICMP state. Connected and static routes
//   are configuration and stay. restart() boots with those alone and restarts the protocol:
//   neighbours are told nothing, their routes through it expire by their own timeout.
// Not handled: multicast routing protocols (DVMRP, PIM, IGMP; flooding only), redirects, IP
// options in fragments, ICMP rate limiting, reassembly of datagrams for the router itself.

import { ErrorCode, NetloomError, checkInteger } from "../../base/errors.js";
import { FrameBudget, NO_FRAME } from "../../buf/frames.js";
import type { AtmIpStats } from "./atm-ip-link.js";
import type { AtmNicStats } from "../../devices/atm-nic.js";
import type { Crashable } from "../../devices/crashable.js";
import { Device, type Channel } from "../../devices/device.js";
import type { NicStats } from "../../devices/nic.js";
import type { Simulation } from "../../engine/simulation.js";
import { ETH_FCS_LEN } from "../../wire/ethernet.js";
import {
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_HEADER_LEN,
  ICMP_TIME_EXCEEDED,
  ICMP_UNREACH_NET,
  IcmpParseError,
  IcmpView,
  createIcmpRepr,
  emitIcmp,
  parseIcmpInto,
  type IcmpRepr,
} from "../../wire/icmp.js";
import {
  IPV4_BROADCAST,
  IPV4_DEFAULT_TTL,
  IPV4_HEADER_LEN,
  IP_PROTO_ICMP,
  IP_PROTO_UDP,
  Ipv4ParseError,
  Ipv4View,
  createIpv4Repr,
  emitIpv4,
  ipv4FromString,
  ipv4InPrefix,
  ipv4MulticastMac,
  ipv4PrefixFromString,
  ipv4ToString,
  isMulticastIpv4,
  parseIpv4Into,
  type Ipv4Repr,
} from "../../wire/ipv4.js";
import { ARP_MAX_QUEUED_PER_DEVICE, DEFAULT_ARP_OPTIONS, type ArpStats } from "./arp-cache.js";
import { DistanceVector, EV_ROUTER_DV_PERIOD, RIP_GROUP, type DvRouter } from "./distance-vector.js";
import { EV_ARP_RETRY } from "./ethernet-ip-link.js";
import { IcmpErrorWriter, icmpErrorForbidden, icmpErrorLength } from "./icmp-errors.js";
import { IpForward, type ForwardingRouter } from "./ip-forward.js";
import { HEADROOM, ipv4ErrorName } from "./ip-link.js";
import { toNs } from "./ip-options.js";
import {
  createRouterInterface,
  type InterfaceOwner,
  type InterfaceShared,
  type RouterInterface,
  type RouterInterfaceOptions,
} from "./router-interface.js";
import { RouterRoutes } from "./router-routes.js";
import type { RoutingTable } from "./routing-table.js";

/** ARP retry timer: a = neighbour IPv4 address (int32), b = interface index. */
export const EV_ROUTER_ARP_RETRY = EV_ARP_RETRY;
export { EV_ROUTER_DV_PERIOD, RIP_GROUP };
export { RIP_INFINITY, RIP_PORT } from "./distance-vector.js";
export { RouterInterface, type RouterInterfaceOptions } from "./router-interface.js";

export const RouterState = { UP: 0, DESTROYED: 1, CRASHED: 2 } as const;
export type RouterState = (typeof RouterState)[keyof typeof RouterState];

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
  state: "up" | "destroyed" | "crashed";
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

const STATE_NAMES = ["up", "destroyed", "crashed"] as const;

export class Router extends Device implements InterfaceOwner, ForwardingRouter, DvRouter, Crashable {
  readonly interfaces: RouterInterface[];
  /** The routing table (longest prefix first); what each route leads to is in `rib`. */
  readonly routes: RoutingTable;
  readonly ttl: number;
  readonly u8: Uint8Array;
  private stateValue: RouterState = RouterState.UP;
  private readonly rib = new RouterRoutes();
  private readonly forward: IpForward;
  private readonly dv: DistanceVector | undefined;
  private nextIdent = 0;
  // Reused views and reprs: the per-frame paths allocate nothing.
  private readonly ipv = new Ipv4View(new Uint8Array(0));
  private readonly ipv2 = new Ipv4View(new Uint8Array(0));
  private readonly icmpv = new IcmpView(new Uint8Array(0));
  private readonly rx: Ipv4Repr = createIpv4Repr();
  private readonly tx: Ipv4Repr = createIpv4Repr();
  private readonly icmpRx: IcmpRepr = createIcmpRepr();
  private readonly icmpTx: IcmpRepr = createIcmpRepr();
  private readonly icmpErrors: IcmpErrorWriter;
  private readonly counters = { rxPackets: 0, delivered: 0 };
  private readonly icmpSent: Record<string, number> = {};
  private readonly drops: Record<string, number> = {};

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
    this.routes = this.rib.table;
    this.icmpErrors = new IcmpErrorWriter(sim);
    const a = options.arp ?? {};
    const shared: InterfaceShared = {
      arp: {
        timeout: toNs(a.timeout, DEFAULT_ARP_OPTIONS.timeout, "arp.timeout"),
        queueLimit: a.queueLimit ?? DEFAULT_ARP_OPTIONS.queueLimit,
        retries: a.retries ?? DEFAULT_ARP_OPTIONS.retries,
        retryInterval: toNs(a.retryInterval, DEFAULT_ARP_OPTIONS.retryInterval, "arp.retryInterval"),
      },
      // The interfaces' ARP queues together: a bound of the router as a whole, and never more
      // than its share of the frame pool.
      arpBudget: new FrameBudget(Math.min(ARP_MAX_QUEUED_PER_DEVICE, sim.frames.deviceShare)),
      drops: this.drops,
    };
    checkInteger("arp.queueLimit", shared.arp.queueLimit, 0, 1024);
    checkInteger("arp.retries", shared.arp.retries, 1, 100);
    this.interfaces = ifaces.map((_, i) => {
      const iface = createRouterInterface(this, ifaces, i, shared);
      // The port's trace points are the NIC's: captures and drop listeners see the real traffic.
      this.trace[i] = iface.device.trace[0]!;
      return iface;
    });
    this.forward = new IpForward(this, this.rib, this.drops);
    for (const f of this.interfaces) {
      this.rib.add(f.network, f.prefixLength, 0, { iface: f.index, kind: "connected", metric: 1, heardAt: 0 });
    }
    (options.routes ?? []).forEach((r, j) => this.addStaticRoute(r, `routes[${j}]`));
    if (options.distanceVector !== undefined) {
      const period = toNs(options.distanceVector.period, 1e9, "distanceVector.period");
      const timeout = toNs(options.distanceVector.timeout, 3e9, "distanceVector.timeout");
      this.dv = new DistanceVector(this, this.rib, this.drops, period, timeout);
      for (const f of this.interfaces) f.nic?.joinMulticast(ipv4MulticastMac(RIP_GROUP));
      this.dv.start();
    }
  }

  get state(): "up" | "destroyed" | "crashed" {
    return STATE_NAMES[this.stateValue];
  }

  /** True between a crash and the next restart. */
  get crashed(): boolean {
    return this.stateValue === RouterState.CRASHED;
  }

  /** Fail-stop, now (see the module contract). False when not up. */
  crash(): boolean {
    if (this.stateValue !== RouterState.UP) return false;
    this.stateValue = RouterState.CRASHED;
    this.dv?.crash();
    for (const f of this.interfaces) {
      f.arp.destroy("CRASHED");
      f.device.crash();
    }
    return true;
  }

  /** Boots with the configured routes alone and restarts the routing protocol. False when not crashed. */
  restart(): boolean {
    if (this.stateValue !== RouterState.CRASHED) return false;
    for (const f of this.interfaces) f.device.restart();
    this.stateValue = RouterState.UP;
    this.dv?.start();
    return true;
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
    this.rib.add(p.network, p.prefixLength, via, { iface: iface.index, kind: "static", metric: 1, heardAt: 0 });
  }

  stats(): RouterStats {
    const fw = this.forward.counters;
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
        rxPackets: this.counters.rxPackets,
        forwarded: fw.forwarded,
        fragmented: fw.fragmented,
        fragmentsSent: this.forward.fragmenter.fragments,
        delivered: this.counters.delivered,
        multicastForwarded: fw.multicastForwarded,
        multicastCopies: fw.multicastCopies,
        dvUpdatesSent: this.dv?.counters.updatesSent ?? 0,
        dvUpdatesReceived: this.dv?.counters.updatesReceived ?? 0,
        icmpSent: { ...this.icmpSent },
        dvEvents: { ...this.dv?.events },
        drops: { ...this.drops },
      },
      routes: this.routeList(),
    };
  }

  /** The routing table in words, longest prefix first. */
  routeList(): string[] {
    return this.rib.lines(this.interfaces.map((f) => f.name));
  }

  /** Up -> Destroyed: cancels timers, releases frames waiting for ARP, frees the NICs' tables. */
  destroy(): void {
    if (this.stateValue === RouterState.DESTROYED) return;
    this.stateValue = RouterState.DESTROYED;
    this.dv?.stop();
    for (const f of this.interfaces) {
      f.arp.destroy();
      f.device.destroy();
      f.close("ROUTER_DESTROYED");
    }
  }

  handleEvent(kind: number, a: number, b: number, _len: number): void {
    if (this.stateValue !== RouterState.UP) return;
    if (kind === EV_ROUTER_ARP_RETRY) this.interfaces[b]?.arp.onTimer(a >>> 0);
    else if (kind === EV_ROUTER_DV_PERIOD) this.dv?.tick();
  }

  /** DvRouter: the identification of the next datagram the router originates. */
  takeIdent(): number {
    const id = this.nextIdent;
    this.nextIdent = (id + 1) & 0xffff;
    return id;
  }

  // --- receive ---

  /** InterfaceOwner: a datagram at u8[at, at + len) of `frame` arrived on `f`. */
  datagramIn(f: RouterInterface, frame: number, at: number, len: number): void {
    if (this.stateValue !== RouterState.UP) {
      this.drop(this.stateValue === RouterState.CRASHED ? "ROUTER_CRASHED" : "ROUTER_DESTROYED");
      f.consume(frame);
      return;
    }
    this.counters.rxPackets++;
    const v = this.ipv.wrap(this.u8, at, len);
    const r = this.rx;
    const status = parseIpv4Into(v, r);
    if (status !== Ipv4ParseError.OK) {
      this.drop(ipv4ErrorName(status));
      f.consume(frame);
      return;
    }
    const dst = r.dst;
    if (this.isOurs(dst) || (dst === RIP_GROUP && this.dv !== undefined)) {
      this.local(f, v, r);
      f.consume(frame);
      return;
    }
    const ethLen = at - this.sim.frames.offset(frame);
    if (isMulticastIpv4(dst)) {
      this.forward.multicast(f, frame, ethLen, v, r);
      return;
    }
    if (dst === IPV4_BROADCAST || this.isDirectedBroadcast(dst)) {
      this.drop("BROADCAST");
      f.consume(frame);
      return;
    }
    this.forward.unicast(f, frame, ethLen, v, r);
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
    if (
      r.protocol === IP_PROTO_UDP &&
      this.dv !== undefined &&
      this.dv.receive(f, r.src, r.dst, payAt, r.payloadLength)
    )
      return;
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

  /** ForwardingRouter: ICMP error about the datagram in `v` (header + 8 bytes quoted), to its source. */
  icmpError(f: RouterInterface, v: Ipv4View, r: Ipv4Repr, type: number, code: number, mtu: number): void {
    const src = r.src;
    const payAt = v.offset + v.headerLength;
    if (icmpErrorForbidden(src, r.fragmentOffset, r.protocol, this.u8, payAt, r.payloadLength)) return;
    if (this.isDirectedBroadcast(src)) return;
    const frames = this.sim.frames;
    const hdrLen = v.headerLength;
    const fr = frames.alloc(HEADROOM, this.sim.now);
    if (fr === NO_FRAME) {
      this.drop("NO_SLOT");
      return;
    }
    frames.setLength(fr, icmpErrorLength(hdrLen, r.payloadLength));
    this.icmpErrors.write(
      frames.offset(fr),
      type,
      code,
      mtu,
      this.u8,
      v.offset,
      hdrLen,
      this.u8,
      payAt,
      r.payloadLength,
    );
    this.count(
      this.icmpSent,
      type === ICMP_TIME_EXCEEDED ? "TIME_EXCEEDED" : code === ICMP_UNREACH_NET ? "NET_UNREACHABLE" : "FRAG_NEEDED",
    );
    this.originate(fr, IP_PROTO_ICMP, src, f.ip);
  }

  /** Sends a datagram the router made (payload in `frame`): IPv4 header, route, link. */
  private originate(frame: number, protocol: number, dst: number, src: number): void {
    const frames = this.sim.frames;
    const route = this.rib.lookup(dst);
    if (route === undefined) {
      frames.release(frame);
      this.drop("NO_ROUTE_LOCAL");
      return;
    }
    const out = this.interfaces[this.rib.infoOf(route).iface]!;
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
    out.output(frame, route.gateway === 0 ? dst : route.gateway);
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

  private drop(reason: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }

  private count(table: Record<string, number>, key: string): void {
    table[key] = (table[key] ?? 0) + 1;
  }
}
