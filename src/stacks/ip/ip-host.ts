// IpHost: an IPv4 host stack (IPv4 with fragmentation and reassembly, UDP, ICMP, transports
// registered above) on one link: Ethernet with ARP, ATM with LLC/SNAP, or any IpLink given in
// options (a U-Net channel). One interface; a host never forwards (router.ts does).
//
// Contract:
// - Send: a layer fills a frame from allocPayloadFrame (HEADROOM in front), pushes its header;
//   sendIp() pushes the IPv4 header, routes (longest prefix: connected subnet, static routes,
//   default gateway) and hands the frame to the link, which takes it. A datagram over the MTU
//   is cut (fragmenter.ts; with DF: dropped, FRAG_NEEDED_DF); payloads larger than a frame
//   slot go through sendIpBytes(). Broadcast and class D destinations go to the link as groups
//   (a link without broadcast drops them: NO_BROADCAST_ON_<KIND>).
// - Receive (linkInput): the header is checked in place (a bad one counted by Ipv4ParseError
//   name). Accepted: our address, the limited and the subnet's directed broadcast, joined
//   groups. Fragments go to the Reassembler; datagrams to UDP, ICMP or a registered protocol.
// - Ownership: every received frame is consumed once, at once or by the layer that kept it
//   (consumeFrame). Nothing from the wire throws; every drop is counted by reason in stats().
// - Timers are events of this host ("<nic name>.ip"): EV_ARP_RETRY, EV_REASM_TIMEOUT.
// - State: Up -> Destroyed (destroy(): sockets closed, frames waiting for ARP released, timers
//   cancelled; call it before checking sim.frames.leaks()). A destroyed host drops what
//   arrives (HOST_DESTROYED) and refuses sends.
// - Crashes (Crashable): Up -> Crashed -> Up. crash() runs the onCrash listeners first (the
//   applications and the transports above die with the host), then loses the volatile state:
//   sockets closed, frames waiting for ARP and partial datagrams dropped (counted CRASHED),
//   pending pings and group memberships forgotten, the NIC crashed (Ethernet or ATM: it drops
//   both ways as CRASHED) and the disk's unsynced records lost. A host over a given link
//   (U-Net's) refuses to crash: that link's own state would survive. restart() boots with empty volatile state
//   (configured routes stay: they are configuration), bumps `incarnation` and runs the
//   onRestart listeners, where applications bind again and read their stable storage.
// Not handled: several interfaces, IP options on send, IGMP reports, loopback delivery to our
// own address, path MTU discovery.

import { ErrorCode, NetloomError, checkInteger } from "../../base/errors.js";
import { NO_FRAME } from "../../buf/frames.js";
import { EV_DEVICE_BASE } from "../../devices/device.js";
import type { AtmNic } from "../../devices/atm-nic.js";
import type { EthernetNic } from "../../devices/nic.js";
import type { Crashable } from "../../devices/crashable.js";
import { StableStorage, type StableStorageOptions } from "../../devices/stable-storage.js";
import type { EventHandler } from "../../engine/scheduler.js";
import type { Simulation } from "../../engine/simulation.js";
import { ETH_FCS_LEN } from "../../wire/ethernet.js";
import {
  IPV4_BROADCAST,
  IPV4_HEADER_LEN,
  Ipv4ParseError,
  Ipv4View,
  createIpv4Repr,
  emitIpv4,
  ipv4DirectedBroadcast,
  ipv4MulticastMac,
  ipv4PrefixFromString,
  ipv4ToString,
  isMulticastIpv4,
  parseIpv4Into,
  type Ipv4Repr,
} from "../../wire/ipv4.js";
import { type ArpCache, unusedArpCache } from "./arp-cache.js";
import { AtmIpLink } from "./atm-ip-link.js";
import { EV_ARP_RETRY, EthernetIpLink } from "./ethernet-ip-link.js";
import { Fragmenter, type FragmentOutput } from "./fragmenter.js";
import { IcmpLayer, type PingResult } from "./icmp-layer.js";
import { type IpHostOptions, type IpHostStats, resolveIpHostConfig } from "./ip-host-config.js";
import {
  HEADROOM,
  ipv4ErrorName,
  type IpLink,
  type IpLinkOwner,
  type IpProtocolHandler,
  type IpStackPort,
  type RxContext,
} from "./ip-link.js";
import { toAddress } from "./ip-options.js";
import { Reassembler, type ReassemblyOwner } from "./reassembly.js";
import { RouteKind, RoutingTable } from "./routing-table.js";
import { UdpLayer, type UdpSocket, type UdpSocketOptions } from "./udp-layer.js";

export { EV_ARP_RETRY };
/** Reassembly timeout of datagram serial a. */
export const EV_REASM_TIMEOUT = EV_DEVICE_BASE + 1;

export const IpHostState = { UP: 0, DESTROYED: 1, CRASHED: 2 } as const;
export type IpHostState = (typeof IpHostState)[keyof typeof IpHostState];

/** A host on either kind of NIC (what traffic generators accept). */
export type AnyIpHost = IpHost<EthernetNic | AtmNic>;

const STATE_NAMES = ["up", "destroyed", "crashed"] as const;

function subscribe(list: (() => void)[], fn: () => void): () => void {
  list.push(fn);
  return () => {
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
  };
}

export class IpHost<N extends EthernetNic | AtmNic = EthernetNic>
  implements IpStackPort, IpLinkOwner, FragmentOutput, EventHandler, ReassemblyOwner, Crashable
{
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  readonly nic: N;
  /** The link the host sends through and receives from. */
  readonly link: IpLink;
  /** The IP-over-ATM link (undefined on Ethernet and over options.link). */
  readonly atm: AtmIpLink | undefined;
  /** The Ethernet link (ARP, multicast filter); undefined on other links. */
  private readonly eth: EthernetIpLink | undefined;
  /** True when the link came in options.link (its stats are reported as `link`). */
  private readonly givenLink: boolean;
  /** Drop reason of a broadcast/multicast datagram over a link without broadcast. */
  private readonly noGroupReason: string;
  readonly ip: number;
  readonly mac: number;
  readonly prefixLength: number;
  readonly mtu: number;
  readonly ttl: number;
  readonly routes = new RoutingTable();
  /** The interface's ARP cache (on a link without ARP: one that stays empty). */
  readonly arp: ArpCache;
  readonly udp: UdpLayer;
  readonly icmp: IcmpLayer;
  readonly reassembly: Reassembler;
  /** The shared Wasm memory the frames live in. */
  readonly u8: Uint8Array;
  private stateValue: IpHostState = IpHostState.UP;
  private incarnationValue = 0;
  private readonly crashListeners: (() => void)[] = [];
  private readonly restartListeners: (() => void)[] = [];
  private disk: StableStorage | undefined;
  private readonly directedBroadcast: number;
  private readonly groups = new Set<number>();
  private nextIdent = 0;
  private readonly slotBytes: number;
  // Reused views, reprs and context: the per-frame paths allocate nothing.
  private readonly ipv = new Ipv4View(new Uint8Array(0));
  private readonly rxRepr: Ipv4Repr = createIpv4Repr();
  private readonly txRepr: Ipv4Repr = createIpv4Repr();
  private readonly fragmenter: Fragmenter;
  private readonly ctx: RxContext;
  private readonly counters = { txPackets: 0, rxPackets: 0, rxDelivered: 0, rxFragments: 0 };
  /** IP drops by reason; header errors under their Ipv4ParseError names. */
  private readonly ipDrops: Record<string, number> = {};
  private readonly ethDrops: Record<string, number> = {};
  /** Transport handlers by IP protocol number, besides UDP and ICMP. */
  private readonly protocols: (IpProtocolHandler | undefined)[] = [];

  constructor(nic: N, options: IpHostOptions) {
    const c = resolveIpHostConfig(nic, options);
    this.sim = nic.sim;
    this.nic = nic;
    this.name = `${nic.name}.ip`;
    this.ip = c.address;
    this.mac = c.medium === "ethernet" ? (nic as EthernetNic).mac : 0;
    this.prefixLength = c.prefixLength;
    this.mtu = c.mtu;
    this.ttl = c.ttl;
    this.directedBroadcast = ipv4DirectedBroadcast(c.address, c.prefixLength);
    this.routes.add(c.address, c.prefixLength, 0, RouteKind.CONNECTED);
    if (c.gateway !== undefined && c.prefixLength > 0) this.routes.add(0, 0, c.gateway, RouteKind.DEFAULT);
    this.reassembly = new Reassembler(this, c.reassembly);
    this.u8 = this.sim.runtime.u8;
    this.slotBytes = this.sim.frames.pool.slotBytes;
    this.id = this.sim.register(this.name, this);
    this.icmp = new IcmpLayer(this, this.id + 1);
    this.udp = new UdpLayer(this, this.icmp, c.maxDatagramSize);
    this.fragmenter = new Fragmenter(this.sim);
    this.ctx = emptyRxContext(this.u8);
    this.givenLink = c.medium === "link";
    if (c.medium === "ethernet") {
      this.eth = new EthernetIpLink(nic as EthernetNic, this, {
        ip: c.address,
        arp: c.arp,
        timerOwner: this.id,
        index: 0,
        ethDrops: this.ethDrops,
        ipDrops: this.ipDrops,
      });
      this.atm = undefined;
      this.link = this.eth;
      this.arp = this.eth.arp;
    } else {
      this.eth = undefined;
      this.atm = c.medium === "atm" ? new AtmIpLink(nic as AtmNic, this, HEADROOM) : undefined;
      this.link = this.atm ?? options.link!;
      this.arp = unusedArpCache(c.address, this.sim.frames, () => this.sim.scheduler.now, c.arp);
      if (this.atm === undefined) options.link!.attach(this);
      for (const [address, vc] of Object.entries(options.circuits ?? {}))
        this.atm!.map(address, vc, `circuits.${address}`);
    }
    this.noGroupReason = `NO_BROADCAST_ON_${this.link.kind.toUpperCase()}`;
  }

  get state(): "up" | "destroyed" | "crashed" {
    return STATE_NAMES[this.stateValue];
  }

  // --- crashes and stable storage ---

  get crashed(): boolean {
    return this.stateValue === IpHostState.CRASHED;
  }

  /** 0 at the first boot, one more at every restart. */
  get incarnation(): number {
    return this.incarnationValue;
  }

  /** `fn` runs first at every crash; returns the function that unsubscribes it. */
  onCrash(fn: () => void): () => void {
    return subscribe(this.crashListeners, fn);
  }

  /** `fn` runs at every restart, once the host is up with empty volatile state. */
  onRestart(fn: () => void): () => void {
    return subscribe(this.restartListeners, fn);
  }

  /**
   * The host's disk, made by the first call (with `options`) and returned as it is by later
   * ones. Make it while the network is built: it is a device, and every partition must make
   * the same devices in the same order.
   */
  ensureStorage(options: StableStorageOptions = {}): StableStorage {
    this.disk ??= new StableStorage(this.sim, `${this.nic.name}.disk`, this.nic.id, options);
    return this.disk;
  }

  /** The host's disk; a NetloomError when it has none (see ensureStorage). */
  get storage(): StableStorage {
    if (this.disk === undefined) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${this.nic.name} has no stable storage`, {
        path: this.nic.name,
      });
    }
    return this.disk;
  }

  get hasStorage(): boolean {
    return this.disk !== undefined;
  }

  /** Fail-stop, now (see the module contract). False when not up. */
  crash(): boolean {
    if (this.stateValue !== IpHostState.UP) return false;
    const nic = this.nic as EthernetNic | AtmNic;
    if (this.givenLink) {
      // A given link (U-Net's) holds state of its own (endpoints, rings) that no crash here clears.
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${this.nic.name}: an IP host over a given link cannot crash`,
        {
          path: this.nic.name,
        },
      );
    }
    for (const fn of [...this.crashListeners]) fn();
    this.stateValue = IpHostState.CRASHED;
    this.udp.crash();
    this.arp.destroy("CRASHED");
    this.reassembly.destroy("CRASHED");
    this.icmp.destroy();
    for (const g of [...this.groups]) this.leaveGroup(g);
    nic.crash();
    this.disk?.crash();
    return true;
  }

  /** Boots again with empty volatile state. False when not crashed. */
  restart(): boolean {
    if (this.stateValue !== IpHostState.CRASHED) return false;
    (this.nic as EthernetNic | AtmNic).restart();
    this.disk?.restart();
    this.stateValue = IpHostState.UP;
    this.incarnationValue++;
    for (const fn of [...this.restartListeners]) fn();
    return true;
  }

  // --- public API ---

  /**
   * Delivers datagrams of IP protocol `protocol` to `handler`. UDP (17) and ICMP (1) are built
   * in; a number already taken is an error.
   */
  registerProtocol(protocol: number, handler: IpProtocolHandler): void {
    checkInteger("protocol", protocol, 0, 255);
    if (protocol === 17 || protocol === 1 || this.protocols[protocol] !== undefined) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `IP protocol ${protocol} already has a handler on ${this.name}`,
        {
          path: "protocol",
        },
      );
    }
    this.protocols[protocol] = handler;
  }

  /** A UDP socket on `port` (0: an ephemeral port). */
  bind(port: number, options?: UdpSocketOptions): UdpSocket {
    return this.udp.bind(port, options);
  }

  ping(dst: number | string, size = 56, onReply?: (r: PingResult) => void): PingResult {
    return this.icmp.ping(toAddress(dst, "dst"), size, onReply);
  }

  /** Joins class D group `group`: programs the NIC filter with its 01:00:5e address. */
  joinGroup(group: number | string): void {
    const g = toAddress(group, "group");
    if (this.eth === undefined) {
      const why = this.link.kind === "atm" ? "ATM: no multicast (no MARS)" : `a ${this.link.kind} link: no multicast`;
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${this.name} is on ${why}`, { path: "group" });
    }
    if (!isMulticastIpv4(g)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${ipv4ToString(g)} is not a class D (multicast) address`, {
        path: "group",
      });
    }
    if (this.groups.has(g)) return;
    this.groups.add(g);
    // Several groups can share one MAC (23 bits of 28): add the filter entry once.
    if (!this.macInUse(ipv4MulticastMac(g), g)) this.eth.nic.joinMulticast(ipv4MulticastMac(g));
  }

  leaveGroup(group: number | string): boolean {
    const g = toAddress(group, "group");
    if (!this.groups.delete(g)) return false;
    if (!this.macInUse(ipv4MulticastMac(g), g)) this.eth!.nic.leaveMulticast(ipv4MulticastMac(g));
    return true;
  }

  isMember(group: number): boolean {
    return this.groups.has(group >>> 0);
  }

  addRoute(prefix: string, gateway: string | number): void {
    const p = ipv4PrefixFromString(prefix, "prefix");
    const gw = toAddress(gateway, "gateway");
    this.routes.add(p.network, p.prefixLength, gw, p.prefixLength === 0 ? RouteKind.DEFAULT : RouteKind.STATIC);
  }

  stats(): IpHostStats {
    const c = this.counters;
    return {
      name: this.name,
      address: `${ipv4ToString(this.ip)}/${this.prefixLength}`,
      ip: {
        txPackets: c.txPackets,
        txFragments: this.fragmenter.fragments,
        rxPackets: c.rxPackets,
        rxDelivered: c.rxDelivered,
        rxFragments: c.rxFragments,
        drops: { ...this.ipDrops },
      },
      arp: this.arp.stats(),
      udp: this.udp.stats(),
      icmp: this.icmp.stats(),
      reassembly: this.reassembly.stats(),
      eth: { rxFrames: this.eth?.rxFrames ?? 0, drops: { ...this.ethDrops } },
      ...(this.atm !== undefined ? { atm: this.atm.stats() } : {}),
      ...(this.givenLink ? { link: this.link.stats() } : {}),
    };
  }

  private downReason(): string {
    return this.stateValue === IpHostState.CRASHED ? "HOST_CRASHED" : "HOST_DESTROYED";
  }

  /** Up | Crashed -> Destroyed: closes sockets, releases frames waiting for ARP, cancels timers. */
  destroy(): void {
    if (this.stateValue === IpHostState.DESTROYED) return;
    this.udp.destroy();
    this.arp.destroy();
    this.reassembly.destroy();
    this.icmp.destroy();
    this.stateValue = IpHostState.DESTROYED;
    this.link.detach();
  }

  // --- IpStackPort: what the layers above use ---

  /** Source address for a datagram to `dst` (one interface: always ours). */
  sourceFor(_dst: number): number {
    return this.ip;
  }

  /** True when `payloadLen` bytes plus headroom and FCS fit one frame slot. */
  fitsInFrame(payloadLen: number): boolean {
    return HEADROOM + payloadLen + ETH_FCS_LEN <= this.slotBytes;
  }

  /** A frame with HEADROOM in front and `len` payload bytes (unwritten), or NO_FRAME (counted). */
  allocPayloadFrame(len: number): number {
    const f = this.link.allocFrame(len);
    if (f === NO_FRAME) this.ipDrop("NO_SLOT");
    return f;
  }

  /** Gives back a received frame a layer kept (to the link it came from). */
  consumeFrame(frame: number): void {
    this.link.consume(frame);
  }

  /**
   * Sends the IP payload in `frame` (transport header already on) to `dst`: pushes the IPv4
   * header, routes, fragments when needed, resolves. Takes the frame; false = dropped now.
   * `multicastTtl` is the TTL when `dst` is a group (default 1, RFC 1112); unicast uses `ttl`.
   */
  sendIp(frame: number, protocol: number, dst: number, dontFragment: boolean, multicastTtl = 1): boolean {
    const frames = this.sim.frames;
    if (this.stateValue !== IpHostState.UP) {
      this.link.releaseFrame(frame);
      return this.ipDrop(this.downReason());
    }
    const len = frames.length[frame]!;
    if (IPV4_HEADER_LEN + len > this.mtu) {
      if (dontFragment) {
        this.link.releaseFrame(frame);
        return this.ipDrop("FRAG_NEEDED_DF");
      }
      const ok = this.sendIpBytes(protocol, dst, this.u8, frames.offset(frame), len, false, multicastTtl);
      this.link.releaseFrame(frame);
      return ok;
    }
    const nextHop = this.resolveNextHop(dst);
    if (nextHop === -1) {
      this.link.releaseFrame(frame);
      return this.ipDrop("NO_ROUTE");
    }
    const r = this.fillHeader(this.txRepr, protocol, dst, dontFragment, multicastTtl);
    r.payloadLength = len;
    const at = frames.push(frame, IPV4_HEADER_LEN);
    emitIpv4(r, this.ipv.wrap(this.u8, at, IPV4_HEADER_LEN + len));
    this.counters.txPackets++;
    this.toLink(frame, dst, nextHop);
    return true;
  }

  /**
   * Sends an IP payload held in `bytes[off, off + len)` (any array, the Wasm memory included),
   * fragmenting to the MTU. False = dropped now (counted).
   */
  sendIpBytes(
    protocol: number,
    dst: number,
    bytes: Uint8Array,
    off: number,
    len: number,
    dontFragment: boolean,
    multicastTtl = 1,
  ): boolean {
    if (this.stateValue !== IpHostState.UP) return this.ipDrop(this.downReason());
    if (IPV4_HEADER_LEN + len > this.mtu && dontFragment) return this.ipDrop("FRAG_NEEDED_DF");
    if (len > 0xffff - IPV4_HEADER_LEN) return this.ipDrop("TOO_LONG");
    const nextHop = this.resolveNextHop(dst);
    if (nextHop === -1) return this.ipDrop("NO_ROUTE");
    const fr = this.fragmenter;
    this.fillHeader(fr.header, protocol, dst, dontFragment, multicastTtl);
    this.counters.txPackets++;
    const now = this.sim.now;
    const sent =
      IPV4_HEADER_LEN + len <= this.mtu
        ? fr.whole(this, bytes, off, len, now, nextHop)
        : fr.cut(this, bytes, off, len, this.mtu, now, nextHop);
    // Out of frames: the rest of the datagram cannot go; the receiver times it out.
    return sent || this.ipDrop("NO_SLOT");
  }

  /** FragmentOutput: a frame from the link (the birth tag is the link's: now). */
  allocFragment(length: number, _birth: number): number {
    return this.link.allocFrame(length);
  }

  /** FragmentOutput: hands a datagram or fragment to the link. */
  sendFragment(frame: number, dst: number, nextHop: number): void {
    this.toLink(frame, dst, nextHop);
  }

  // --- timers ---

  scheduleReassemblyTimer(delay: number, serial: number): number {
    return this.sim.scheduler.schedule(this.id, delay, this.id, EV_REASM_TIMEOUT, serial | 0, 0, 0);
  }

  cancelTimer(handle: number): void {
    this.sim.scheduler.cancel(handle);
  }

  handleEvent(kind: number, a: number, _b: number, _len: number): void {
    if (this.stateValue !== IpHostState.UP) return;
    if (kind === EV_ARP_RETRY) this.arp.onTimer(a >>> 0);
    else if (kind === EV_REASM_TIMEOUT) this.reassembly.onTimer(a);
  }

  // --- receive ---

  /** IpLinkOwner: a datagram from the link; true = kept (given back through consumeFrame). */
  linkInput(frame: number, at: number, length: number): boolean {
    if (this.stateValue !== IpHostState.UP) return this.ipDrop(this.downReason());
    return this.ipInput(frame, at, length);
  }

  /** Returns true when a layer kept the frame (it will consume it later). */
  private ipInput(frame: number, at: number, len: number): boolean {
    this.counters.rxPackets++;
    const v = this.ipv.wrap(this.u8, at, len);
    const r = this.rxRepr;
    const status = parseIpv4Into(v, r);
    if (status !== Ipv4ParseError.OK) return this.ipDrop(ipv4ErrorName(status));
    const dst = r.dst;
    let group = false;
    if (dst !== this.ip) {
      if (dst === IPV4_BROADCAST || dst === this.directedBroadcast) group = true;
      else if (isMulticastIpv4(dst)) {
        if (!this.groups.has(dst)) return this.ipDrop("NOT_MEMBER");
        group = true;
      } else return this.ipDrop("NOT_FOR_US");
    }
    const c = this.ctx;
    c.src = r.src;
    c.dst = dst;
    c.protocol = r.protocol;
    c.ttl = r.ttl;
    c.identification = r.identification;
    c.fragmentOffset = r.fragmentOffset;
    c.groupDst = group;
    const hdrLen = v.headerLength;
    if (r.moreFragments || r.fragmentOffset !== 0) {
      this.reassemble(c, r, frame, at + hdrLen);
      return false;
    }
    c.frame = frame;
    c.bytes = this.u8;
    c.hdrOff = at;
    c.hdrLen = hdrLen;
    c.payOff = at + hdrLen;
    c.payLen = r.payloadLength;
    c.birth = this.sim.frames.birth[frame]!;
    return this.deliver(c);
  }

  /** A fragment (payload at u8[payAt...]): into the Reassembler; a completed datagram goes up. */
  private reassemble(c: RxContext, r: Ipv4Repr, frame: number, payAt: number): void {
    this.counters.rxFragments++;
    const done = this.reassembly.add(
      r.src,
      r.dst,
      r.protocol,
      r.identification,
      r.fragmentOffset,
      r.moreFragments,
      this.u8,
      payAt,
      r.payloadLength,
      this.sim.frames.birth[frame]!,
    );
    if (done === undefined) return;
    c.fragmentOffset = 0;
    c.frame = NO_FRAME;
    c.bytes = done.payload;
    c.hdrOff = -1;
    c.hdrLen = IPV4_HEADER_LEN;
    c.payOff = 0;
    c.payLen = done.payload.length;
    c.birth = done.birth;
    this.deliver(c);
  }

  private deliver(c: RxContext): boolean {
    this.counters.rxDelivered++;
    switch (c.protocol) {
      case 17:
        return this.udp.input(c);
      case 1:
        return this.icmp.input(c);
      default: {
        const handler = this.protocols[c.protocol];
        if (handler !== undefined) return handler.input(c);
        this.counters.rxDelivered--;
        return this.ipDrop("UNKNOWN_PROTOCOL");
      }
    }
  }

  // --- internals ---

  /** Next hop for `dst`: 0xffffffff-style group destinations return dst itself; -1 = no route. */
  private resolveNextHop(dst: number): number {
    if (dst === IPV4_BROADCAST || isMulticastIpv4(dst) || dst === this.directedBroadcast) return dst;
    return this.routes.nextHop(dst);
  }

  /** Hands an IPv4 frame to the link: a group destination as a group, the rest to `nextHop`. */
  private toLink(frame: number, dst: number, nextHop: number): void {
    if (dst === IPV4_BROADCAST || dst === this.directedBroadcast || isMulticastIpv4(dst)) {
      if (!this.link.sendGroup(frame, dst)) this.ipDrop(this.noGroupReason);
      return;
    }
    this.link.send(frame, nextHop);
  }

  /** Fills the fields of a datagram we originate (all but the payload length) into `r`. */
  private fillHeader(r: Ipv4Repr, protocol: number, dst: number, df: boolean, multicastTtl: number): Ipv4Repr {
    r.src = this.ip;
    r.dst = dst;
    r.protocol = protocol;
    r.ttl = isMulticastIpv4(dst) ? multicastTtl : this.ttl; // RFC 1112: multicast TTL defaults to 1
    r.tos = 0;
    r.dontFragment = df;
    r.moreFragments = false;
    r.fragmentOffset = 0;
    r.identification = this.nextIdent;
    this.nextIdent = (this.nextIdent + 1) & 0xffff;
    return r;
  }

  private macInUse(mac: number, except: number): boolean {
    for (const g of this.groups) if (g !== except && ipv4MulticastMac(g) === mac) return true;
    return false;
  }

  private ipDrop(reason: string): false {
    this.ipDrops[reason] = (this.ipDrops[reason] ?? 0) + 1;
    return false;
  }
}

function emptyRxContext(u8: Uint8Array): RxContext {
  return {
    src: 0,
    dst: 0,
    protocol: 0,
    ttl: 0,
    identification: 0,
    fragmentOffset: 0,
    groupDst: false,
    frame: NO_FRAME,
    bytes: u8,
    hdrOff: 0,
    hdrLen: 0,
    payOff: 0,
    payLen: 0,
    birth: 0,
  };
}

export type { IpHostOptions, IpHostStats, IpStats } from "./ip-host-config.js";
export type { IpProtocolHandler, RxContext } from "./ip-link.js";
export type { PingResult, UdpSocket };
