// DistanceVector: a router's RIP-like routing protocol (RIPv2 message format, RFC 2453).
//
// Contract:
// - Every period each Ethernet interface sends a RIPv2 response (UDP 520 to 224.0.0.9, TTL 1,
//   TOS network control) listing every route with its metric (connected 1 hop ... infinity
//   16), at most 25 entries a message, split horizon with poisoned reverse (routes learned
//   through an interface are sent back on it with metric 16). ATM interfaces are skipped (no
//   multicast there). The first advertisement goes at once: neighbours learn within one link
//   delay.
// - A learned route is refreshed by each update from its gateway, replaced by a shorter one
//   from another neighbour, withdrawn when its gateway says 16 or when it has not been heard
//   of for `timeout` (checked each period). Connected and static routes always win over
//   learned ones for the same prefix. Withdrawals are counted in `events` by why (a crash of
//   the router forgets them all: CRASHED; start() again after a restart). At most
//   DV_MAX_ROUTES routes are learned: a new prefix beyond them is refused (DV_TABLE_FULL), so
//   a neighbour cannot grow the table (scanned per forwarded datagram) without bound.
// - The period timer is an event of the router (EV_ROUTER_DV_PERIOD); deterministic, no jitter.
// - Malformed or foreign updates are dropped and counted in the router's drops
//   (DV_NOT_NEIGHBOUR, DV_BAD_MESSAGE, and DV_BAD_ENTRY for each entry that fails the RFC 2453
//   3.9.2 checks: see validEntryPrefix); nothing from the wire throws.
// Not handled: RIP requests (only periodic responses), triggered updates, authentication.

import { NO_FRAME } from "../../buf/frames.js";
import { EV_DEVICE_BASE } from "../../devices/device.js";
import type { Simulation } from "../../engine/simulation.js";
import {
  IPV4_HEADER_LEN,
  IP_PROTO_UDP,
  Ipv4View,
  createIpv4Repr,
  emitIpv4,
  ipv4InPrefix,
  ipv4PrefixMask,
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
import { HEADROOM } from "./ip-link.js";
import type { RouterInterface } from "./router-interface.js";
import type { RouterRoutes } from "./router-routes.js";
import type { Route } from "./routing-table.js";

/** Distance-vector period: advertise on every interface, age learned routes. */
export const EV_ROUTER_DV_PERIOD = EV_DEVICE_BASE + 1;

export const RIP_PORT = 520;
export const RIP_INFINITY = 16;
/** RIPv2 routers' group (RFC 2453). */
export const RIP_GROUP = 0xe0000009;
const RIP_HEADER_LEN = 4;
const RIP_ENTRY_LEN = 20;
/** RFC 2453: at most 25 entries per message. */
const RIP_MAX_ENTRIES = 25;
/** Most learned routes a router holds: a new prefix beyond them is refused (DV_TABLE_FULL). */
export const DV_MAX_ROUTES = 4096;

/** What the protocol uses of its router. */
export interface DvRouter {
  readonly id: number;
  readonly sim: Simulation;
  readonly interfaces: readonly RouterInterface[];
  /** The identification of the next datagram the router originates. */
  takeIdent(): number;
}

export class DistanceVector {
  readonly counters = { updatesSent: 0, updatesReceived: 0 };
  /** Learned routes withdrawn, by why (DV_ROUTE_TIMEOUT, DV_ROUTE_WITHDRAWN). */
  readonly events: Record<string, number> = {};
  private readonly router: DvRouter;
  private readonly routes: RouterRoutes;
  private readonly drops: Record<string, number>;
  private readonly period: number;
  private readonly timeout: number;
  private readonly u8: Uint8Array;
  private timer = -1;
  /** Learned routes in the table (bounded by DV_MAX_ROUTES). */
  private learned = 0;
  private readonly udpv = new UdpView(new Uint8Array(0));
  private readonly ipv = new Ipv4View(new Uint8Array(0));
  private readonly udpRx: UdpRepr = createUdpRepr();
  private readonly udpTx: UdpRepr = createUdpRepr();
  private readonly tx: Ipv4Repr = createIpv4Repr();

  /** `drops`: the router's table; `period` and `timeout` in ns. */
  constructor(router: DvRouter, routes: RouterRoutes, drops: Record<string, number>, period: number, timeout: number) {
    this.router = router;
    this.routes = routes;
    this.drops = drops;
    this.period = period;
    this.timeout = timeout;
    this.u8 = router.sim.runtime.u8;
  }

  /** Arms the first period at once. */
  start(): void {
    const id = this.router.id;
    this.timer = this.router.sim.scheduler.schedule(id, 0, id, EV_ROUTER_DV_PERIOD, 0, 0, 0);
  }

  stop(): void {
    if (this.timer >= 0) this.router.sim.scheduler.cancel(this.timer);
    this.timer = -1;
  }

  /** The router crashed: the timer stops and every learned route is forgotten (events CRASHED). */
  crash(): void {
    this.stop();
    for (const r of this.routes.list()) if (this.routes.infoOf(r).kind === "dv") this.withdraw(r, "CRASHED");
  }

  /** Period timer: age learned routes, advertise on every interface, re-arm. */
  tick(): void {
    const sim = this.router.sim;
    const now = sim.now;
    for (const r of this.routes.list()) {
      const i = this.routes.infoOf(r);
      if (i.kind === "dv" && now - i.heardAt >= this.timeout) this.withdraw(r, "DV_ROUTE_TIMEOUT");
    }
    for (const f of this.router.interfaces) this.advertise(f);
    const id = this.router.id;
    this.timer = sim.scheduler.schedule(id, this.period, id, EV_ROUTER_DV_PERIOD, 0, 0, 0);
  }

  /**
   * A UDP datagram for the router (payload at u8[payAt, payAt + payLen)) from `src` to `dst`
   * on `f`: true when it was a RIP update (read here), false when it is someone else's.
   */
  receive(f: RouterInterface, src: number, dst: number, payAt: number, payLen: number): boolean {
    const uv = this.udpv.wrap(this.u8, payAt, payLen);
    if (parseUdpInto(uv, this.udpRx, src, dst) !== UdpParseError.OK || this.udpRx.dstPort !== RIP_PORT) return false;
    this.input(f, src, payAt + UDP_HEADER_LEN, this.udpRx.payloadLength);
    return true;
  }

  private withdraw(r: Route, reason: string): void {
    this.routes.remove(r);
    this.learned--;
    this.events[reason] = (this.events[reason] ?? 0) + 1;
  }

  /** One RIPv2 response on `f` (several when more than 25 routes), poisoned reverse. */
  private advertise(f: RouterInterface): void {
    if (f.atm !== undefined) return; // no multicast on ATM: RIP stays on the Ethernet side
    const list = this.routes.list();
    const sim = this.router.sim;
    const frames = sim.frames;
    for (let start = 0; start < list.length; start += RIP_MAX_ENTRIES) {
      const count = Math.min(RIP_MAX_ENTRIES, list.length - start);
      const len = RIP_HEADER_LEN + count * RIP_ENTRY_LEN;
      const fr = frames.alloc(HEADROOM, sim.now);
      if (fr === NO_FRAME) {
        this.drop("NO_SLOT");
        return;
      }
      frames.setLength(fr, len);
      this.writeEntries(f, list, start, count, frames.offset(fr));
      const u = this.udpTx;
      u.srcPort = RIP_PORT;
      u.dstPort = RIP_PORT;
      u.payloadLength = len;
      const uat = frames.push(fr, UDP_HEADER_LEN);
      emitUdp(u, this.udpv.wrap(this.u8, uat, UDP_HEADER_LEN + len), f.ip, RIP_GROUP);
      const t = this.tx;
      t.src = f.ip;
      t.dst = RIP_GROUP;
      t.protocol = IP_PROTO_UDP;
      t.payloadLength = UDP_HEADER_LEN + len;
      t.ttl = 1;
      t.tos = 0xc0; // network control
      t.identification = this.router.takeIdent();
      t.dontFragment = false;
      t.moreFragments = false;
      t.fragmentOffset = 0;
      const iat = frames.push(fr, IPV4_HEADER_LEN);
      emitIpv4(t, this.ipv.wrap(this.u8, iat, IPV4_HEADER_LEN + UDP_HEADER_LEN + len));
      this.counters.updatesSent++;
      f.output(fr, RIP_GROUP);
    }
  }

  /** The RIP header and entries list[start, start + count) for interface `f`, at u8[at...]. */
  private writeEntries(f: RouterInterface, list: Route[], start: number, count: number, at: number): void {
    const b = this.u8;
    b[at] = 2; // command: response
    b[at + 1] = 2; // version 2
    writeU16(b, at + 2, 0);
    for (let k = 0; k < count; k++) {
      const r = list[start + k]!;
      const i = this.routes.infoOf(r);
      const e = at + RIP_HEADER_LEN + k * RIP_ENTRY_LEN;
      const metric = i.kind !== "connected" && i.iface === f.index ? RIP_INFINITY : Math.min(i.metric, RIP_INFINITY);
      writeU16(b, e, 2); // address family: IP
      writeU16(b, e + 2, 0); // route tag
      writeU32(b, e + 4, r.network);
      writeU32(b, e + 8, r.mask);
      writeU32(b, e + 12, 0); // next hop: the sender
      writeU32(b, e + 16, metric);
    }
  }

  /** A RIPv2 response from neighbour `from` on `f`: Bellman-Ford update of the learned routes. */
  private input(f: RouterInterface, from: number, at: number, len: number): void {
    if (!ipv4InPrefix(from, f.network, f.prefixLength) || from === f.ip) {
      this.drop("DV_NOT_NEIGHBOUR");
      return;
    }
    const b = this.u8;
    if (len < RIP_HEADER_LEN || b[at] !== 2 || b[at + 1] !== 2) {
      this.drop("DV_BAD_MESSAGE");
      return;
    }
    this.counters.updatesReceived++;
    const n = Math.floor((len - RIP_HEADER_LEN) / RIP_ENTRY_LEN);
    for (let k = 0; k < n; k++) {
      const e = at + RIP_HEADER_LEN + k * RIP_ENTRY_LEN;
      const mask = readU32(b, e + 8);
      const network = readU32(b, e + 4);
      const metric = readU32(b, e + 16);
      const prefixLength = validEntryPrefix(readU16(b, e), network, mask, metric);
      if (prefixLength < 0) {
        this.drop("DV_BAD_ENTRY");
        continue;
      }
      this.learn(f, from, network, prefixLength, Math.min(metric + 1, RIP_INFINITY));
    }
  }

  /** One advertised route (metric counted from here): refresh, replace, withdraw or add. */
  private learn(f: RouterInterface, from: number, network: number, prefixLength: number, metric: number): void {
    const existing = this.routes.find(network, prefixLength);
    if (existing !== undefined) {
      const i = this.routes.infoOf(existing);
      if (i.kind !== "dv") return; // connected and static routes win
      if (existing.gateway === from && i.iface === f.index) {
        if (metric >= RIP_INFINITY) this.withdraw(existing, "DV_ROUTE_WITHDRAWN");
        else {
          i.metric = metric;
          i.heardAt = this.router.sim.now;
        }
        return;
      }
      if (metric >= i.metric) return;
      this.routes.remove(existing);
      this.learned--;
    } else if (metric >= RIP_INFINITY) return;
    else if (this.learned >= DV_MAX_ROUTES) {
      this.drop("DV_TABLE_FULL");
      return;
    }
    this.routes.add(network, prefixLength, from, { iface: f.index, kind: "dv", metric, heardAt: this.router.sim.now });
    this.learned++;
  }

  private drop(reason: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }
}

/**
 * The prefix length of a response entry that passes the RFC 2453 3.9.2 checks, else -1: address
 * family IP, metric 1..16, a unicast destination outside nets 0 and 127 (0.0.0.0/0, the default
 * route, excepted), a contiguous mask and no address bits outside it (such an address names no
 * one prefix: installing it masked would alias another entry).
 */
function validEntryPrefix(family: number, network: number, mask: number, metric: number): number {
  if (family !== 2 || metric < 1 || metric > RIP_INFINITY) return -1;
  let prefixLength = 0;
  while (prefixLength < 32 && ((mask << prefixLength) & 0x8000_0000) !== 0) prefixLength++;
  if (ipv4PrefixMask(prefixLength) !== mask || (network & ~mask) !== 0) return -1;
  const first = network >>> 24;
  if (first >= 224 || first === 127 || (first === 0 && prefixLength !== 0)) return -1;
  return prefixLength;
}
