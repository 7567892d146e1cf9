// IpHost: an IPv4 host stack (ARP, IPv4 with fragmentation and reassembly, UDP, ICMP) on one
// EthernetNic, on one AtmNic (IP over ATM), or on any other IpLink (a U-Net endpoint channel:
// src/stacks/unet/unet-ip-link.ts). On plain Ethernet the host is the NIC's NicReceiver and
// sends through nic.send().
//
// Contract:
// - Link seam (IpLink, below): everything the host needs from a link layer that is not its own
//   Ethernet NIC: frames to send from (allocFrame/releaseFrame), send(frame, nextHop) taking
//   ownership, received datagrams into linkInput() (kept frames given back with consume()),
//   the MTU range, stats, detach. Over an AtmNic without options.link the link is an AtmIpLink;
//   options.link attaches any other (its nic must be the host's). The host has no other
//   link-specific code: ARP and multicast are Ethernet-only, and a link has no broadcast
//   (group destinations dropped, counted NO_BROADCAST_ON_<KIND>).
// - Over ATM (constructed with an AtmNic): the link layer is an AtmIpLink (atm-ip-link.ts):
//   RFC 2684 LLC/SNAP over AAL5, next hop -> circuit from the configured table (options.circuits
//   or host.atm.map(); no ARP), default MTU 9180 (RFC 2225), at most nic.maxPdu - 8. Broadcast
//   and multicast destinations have no circuit: dropped, counted NO_BROADCAST_ON_ATM; joinGroup
//   throws. Received datagrams come copied into frames of their own (consumeFrame releases
//   them). Everything above the link (routing, fragmentation, UDP, ICMP) is the same code.
// - Send: a layer allocates a frame with HEADROOM bytes in front (Ethernet 14 + IPv4 20 + UDP 8
//   = 42, rounded up to 48), writes its payload, pushes and emits its header, then sendIp()
//   pushes and emits the IPv4 header (checksum included), routes (longest-prefix match:
//   connected subnet, static routes, default gateway), resolves the next hop through ARP (the
//   frame waits in the ARP queue if needed), pushes the Ethernet header and calls nic.send().
//   Limited/directed broadcasts go to ff:ff:ff:ff:ff:ff, class D groups to 01:00:5e + low 23 bits.
//   Over a link the frame comes from link.allocFrame (U-Net: a segment buffer, so the payload is
//   written once, in place) and goes to link.send(frame, nextHop) instead of ARP and the NIC.
// - MTU: 68 to 9000 (jumbo frames; over a link: its defaultMtu, at most its maxMtu); an MTU above the NIC's raises the NIC's (EthernetNic.setMtu),
//   and the frame slots must hold HEADROOM + MTU + FCS bytes (Simulation slotBytes), else the
//   constructor refuses the MTU, naming the slot size it needs.
// - Fragmentation: a datagram whose total length passes the MTU (default 1500) is cut into
//   fragments of floor((MTU - 20) / 8) * 8 data bytes, each in its own frame, with the same
//   identification. With DF set it is dropped and counted (FRAG_NEEDED_DF; a router would send
//   ICMP fragmentation needed). Payloads larger than a frame slot go through sendIpBytes(),
//   which fragments straight from a byte array.
// - Receive (onFrame): Ethernet header, then ARP or IPv4 by EtherType; the IPv4 header is
//   parsed in place (parseIpv4Into: version, IHL, lengths, checksum; options skipped) and a bad
//   one is counted by its Ipv4ParseError name. Accepted destinations: our address, the limited
//   broadcast, the subnet's directed broadcast, joined groups. Fragments go to the Reassembler;
//   whole datagrams to UDP or ICMP; other protocols are counted (UNKNOWN_PROTOCOL).
// - Ownership: every received frame is consumed exactly once: at once, or later by a UDP
//   socket's recv()/close() when the socket's mailbox kept it (zero-copy, see udp-layer.ts).
//   Frames waiting for ARP are the ARP cache's until sent or released.
// - Nothing from the wire throws; every drop is counted by reason in stats().
// - Timers (ARP retries, reassembly timeouts) are events of this host (it registers itself
//   with the simulation as "<nic name>.ip"): kinds EV_ARP_RETRY and EV_REASM_TIMEOUT.
// - destroy() closes sockets, releases frames waiting for ARP, cancels timers; call it before
//   checking sim.frames.leaks().
//
// State machine of the host itself: Up -> Destroyed (destroy()); a destroyed host drops what
// arrives (consumed, counted HOST_DESTROYED) and refuses sends. The per-neighbour ARP and
// per-datagram reassembly machines are drawn in arp-cache.ts and reassembly.ts.
// Not handled: multiple interfaces, forwarding (a host never routes), IP options on send,
// IGMP reports, loopback delivery to our own address, path MTU discovery.

import { ErrorCode, NetloomError, checkInteger } from "../../base/errors.js";
import { parseDuration } from "../../base/units.js";
import { NO_FRAME } from "../../buf/frames.js";
import type { EventHandler } from "../../engine/scheduler.js";
import type { Simulation } from "../../engine/simulation.js";
import { EV_DEVICE_BASE } from "../../devices/device.js";
import { ETH_JUMBO_MTU, type EthernetNic, type NicReceiver } from "../../devices/nic.js";
import { AtmNic } from "../../devices/atm-nic.js";
import { ATM_IP_MTU, AtmIpLink, type AtmIpOwner, type AtmIpStats } from "./atm-ip-link.js";
import { LLC_SNAP_HEADER_LEN } from "../../wire/llc-snap.js";
import { ArpParseError, ArpView, createArpRepr, parseArpInto, type ArpRepr } from "../../wire/arp.js";
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETH_FCS_LEN,
  ETH_HEADER_LEN,
  ETH_MTU,
  EthernetView,
  MAC_BROADCAST,
} from "../../wire/ethernet.js";
import {
  IPV4_BROADCAST,
  IPV4_DEFAULT_TTL,
  IPV4_HEADER_LEN,
  IPV4_MIN_MTU,
  Ipv4ParseError,
  Ipv4View,
  createIpv4Repr,
  emitIpv4,
  ipv4DirectedBroadcast,
  ipv4FromString,
  ipv4InPrefix,
  ipv4MulticastMac,
  ipv4PrefixFromString,
  ipv4ToString,
  isMulticastIpv4,
  parseIpv4Into,
  type Ipv4Repr,
} from "../../wire/ipv4.js";
import { UDP_HEADER_LEN } from "../../wire/udp.js";
import { EthernetOutput } from "./ethernet-output.js";
import { ArpCache, DEFAULT_ARP_OPTIONS, type ArpOwner, type ArpStats } from "./arp-cache.js";
import { IcmpLayer, type IcmpStats, type PingResult } from "./icmp-layer.js";
import { DEFAULT_REASSEMBLY_OPTIONS, Reassembler, type ReassemblyOwner, type ReassemblyStats } from "./reassembly.js";
import { RouteKind, RoutingTable } from "./routing-table.js";
import {
  UDP_DEFAULT_MAX_DATAGRAM,
  UdpLayer,
  type UdpSocket,
  type UdpSocketOptions,
  type UdpStats,
} from "./udp-layer.js";

/** ARP retry timer of neighbour a (IPv4 address as int32). */
export const EV_ARP_RETRY = EV_DEVICE_BASE;
/** Reassembly timeout of datagram serial a. */
export const EV_REASM_TIMEOUT = EV_DEVICE_BASE + 1;

/** Bytes reserved in front of a payload: Ethernet + IPv4 + UDP headers (42), rounded up to 16. */
export const HEADROOM = (ETH_HEADER_LEN + IPV4_HEADER_LEN + UDP_HEADER_LEN + 15) & ~15;

/** Frame slot bytes an interface of `mtu` needs: headroom, a whole IP datagram and the FCS, 64-aligned. */
export function slotBytesForMtu(mtu: number): number {
  return (HEADROOM + mtu + ETH_FCS_LEN + 63) & ~63;
}

/** Throws (naming `path`) when a datagram of `mtu` bytes cannot sit in one frame slot. */
export function checkMtuFitsSlots(mtu: number, slotBytes: number, path: string): void {
  if (slotBytesForMtu(mtu) > slotBytes) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `MTU ${mtu} needs frame slots of ${slotBytesForMtu(mtu)} bytes; this simulation's are ${slotBytes} (Simulation slotBytes)`,
      { path },
    );
  }
}

/** Counters every IpLink reports (AtmIpStats and the U-Net link's stats extend these). */
export interface IpLinkStats {
  txPdus: number;
  rxPdus: number;
  drops: Record<string, number>;
}

/** Who takes received IPv4 datagrams from an IpLink (an IpHost). */
export interface IpLinkOwner {
  /**
   * One IPv4 datagram at u8[at, at + length) in `frame` (not necessarily at its head). True =
   * the owner kept the frame and gives it back with link.consume(frame) later; false = the
   * link takes it back now.
   */
  linkInput(frame: number, at: number, length: number): boolean;
}

/**
 * The link layer under an IpHost that is not a plain EthernetNic (no ARP, no broadcast): the
 * host's whole dependency on it. Hot-path methods never throw; drops are the link's, counted.
 */
export interface IpLink {
  /** Names the link in drop reasons and errors ("atm", "unet"). */
  readonly kind: string;
  /** The NIC underneath (the host's `nic`). */
  readonly nic: EthernetNic | AtmNic;
  /** MTU when the host names none, and the largest the link carries. */
  readonly defaultMtu: number;
  readonly maxMtu: number;
  /**
   * A frame with `length` (unwritten) payload bytes and room in front for a UDP and an IPv4
   * header plus the link's own, or NO_FRAME (the link counts why). The host sends it with
   * send() or gives it back with releaseFrame().
   */
  allocFrame(length: number): number;
  /** Gives back a frame from allocFrame that will not be sent. */
  releaseFrame(frame: number): void;
  /** Sends the IPv4 datagram at the head of `frame` to `nextHop`; takes the frame. */
  send(frame: number, nextHop: number): boolean;
  /** Gives back a received frame that linkInput kept. */
  consume(frame: number): void;
  stats(): IpLinkStats;
  /** Stops delivering to the owner (IpHost.destroy). */
  detach(): void;
}

/** An IpLink built apart from its host, which attaches itself once (options.link). */
export interface AttachableIpLink extends IpLink {
  attach(owner: IpLinkOwner): void;
}

export const IpHostState = { UP: 0, DESTROYED: 1 } as const;
export type IpHostState = (typeof IpHostState)[keyof typeof IpHostState];

const IPV4_ERROR_NAMES: string[] = [];
for (const [name, value] of Object.entries(Ipv4ParseError)) IPV4_ERROR_NAMES[value] = name;
const ARP_ERROR_NAMES: string[] = [];
for (const [name, value] of Object.entries(ArpParseError)) ARP_ERROR_NAMES[value] = name;

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

/** What the receive path knows about a datagram handed to UDP/ICMP. */
export interface RxContext {
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  identification: number;
  fragmentOffset: number;
  /** Sent to a broadcast or multicast address (no ICMP errors about it). */
  groupDst: boolean;
  /** The frame holding the bytes (NO_FRAME for a reassembled datagram). */
  frame: number;
  /** Where the bytes are: the Wasm memory view for a frame, the reassembly buffer otherwise. */
  bytes: Uint8Array;
  /** Absolute index of the IPv4 header (-1 for a reassembled datagram). */
  hdrOff: number;
  hdrLen: number;
  payOff: number;
  payLen: number;
  /** When the sender made the datagram (the frame's birth tag; emulator metadata, not bytes). */
  birth: number;
}

/** A transport protocol above IP (TCP, a NAK transport, ...): see IpHost.registerProtocol. */
export interface IpProtocolHandler {
  /**
   * One datagram for this protocol. The bytes are valid only during the call unless the handler
   * returns true, which means it kept `c.frame` and will hand it to `consumeFrame` later.
   */
  input(c: RxContext): boolean;
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

/** A host on either kind of NIC (what traffic generators accept). */
export type AnyIpHost = IpHost<EthernetNic | AtmNic>;

function toAddress(value: string | number, path: string): number {
  if (typeof value === "string") return ipv4FromString(value, path);
  checkInteger(path, value, 0, 0xffff_ffff);
  return value;
}

function toNs(value: number | string | undefined, fallback: number, path: string): number {
  if (value === undefined) return fallback;
  const ns = parseDuration(value, path);
  if (!(ns > 0))
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(value)} is not a positive duration`, { path });
  return ns;
}

export class IpHost<N extends EthernetNic | AtmNic = EthernetNic>
  implements NicReceiver, EventHandler, ArpOwner, ReassemblyOwner, AtmIpOwner, IpLinkOwner
{
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  readonly nic: N;
  /** The IP-over-ATM link (undefined on Ethernet and over options.link). */
  readonly atm: AtmIpLink | undefined;
  /** The link layer when it is not the plain Ethernet NIC: the AtmIpLink or options.link. */
  readonly link: IpLink | undefined;
  /** The Ethernet NIC the host drives itself (ARP, multicast); undefined over a link. */
  private readonly ethNic: EthernetNic | undefined;
  /** Drop reason of a broadcast/multicast datagram over the link. */
  private readonly noGroupReason: string;
  readonly ip: number;
  readonly mac: number;
  readonly prefixLength: number;
  readonly mtu: number;
  readonly ttl: number;
  readonly routes = new RoutingTable();
  readonly arp: ArpCache;
  readonly udp: UdpLayer;
  readonly icmp: IcmpLayer;
  readonly reassembly: Reassembler;
  /** The shared Wasm memory the frames live in. */
  readonly u8: Uint8Array;
  private stateValue: IpHostState = IpHostState.UP;
  private readonly directedBroadcast: number;
  private readonly groups = new Set<number>();
  private nextIdent = 0;
  private readonly slotBytes: number;
  // Reused views and reprs: the per-frame paths allocate nothing.
  private readonly eth = new EthernetView(new Uint8Array(0));
  private readonly ipv = new Ipv4View(new Uint8Array(0));
  private readonly arpv = new ArpView(new Uint8Array(0));
  private readonly rxRepr: Ipv4Repr = createIpv4Repr();
  private readonly txRepr: Ipv4Repr = createIpv4Repr();
  private readonly arpRx: ArpRepr = createArpRepr();
  private readonly ethOut: EthernetOutput;
  private readonly ctx: RxContext;
  readonly ipCounters = { txPackets: 0, txFragments: 0, rxPackets: 0, rxDelivered: 0, rxFragments: 0 };
  /** IP drops by reason; header errors under their Ipv4ParseError names. */
  readonly ipDrops: Record<string, number> = {};
  private ethRx = 0;
  /** Transport handlers by IP protocol number, besides UDP and ICMP. */
  private readonly protocols: (IpProtocolHandler | undefined)[] = [];
  private readonly ethDrops: Record<string, number> = {};

  constructor(nic: N, options: IpHostOptions) {
    this.sim = nic.sim;
    this.nic = nic;
    const given = options.link;
    if (given !== undefined && given.nic !== nic) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `the link is on ${given.nic.name}, not on ${nic.name}`, {
        path: "link",
      });
    }
    const overAtm = given === undefined && nic instanceof AtmNic;
    this.ethNic = overAtm || given !== undefined ? undefined : (nic as EthernetNic);
    this.name = `${nic.name}.ip`;
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
    const atmNic = nic as AtmNic;
    const defaultMtu =
      given !== undefined
        ? given.defaultMtu
        : overAtm
          ? Math.min(ATM_IP_MTU, atmNic.maxPdu - LLC_SNAP_HEADER_LEN)
          : ETH_MTU;
    const maxMtu = given !== undefined ? given.maxMtu : overAtm ? atmNic.maxPdu - LLC_SNAP_HEADER_LEN : ETH_JUMBO_MTU;
    const mtu = options.mtu ?? defaultMtu;
    checkInteger("mtu", mtu, IPV4_MIN_MTU, maxMtu);
    checkMtuFitsSlots(mtu, nic.sim.frames.pool.slotBytes, "mtu");
    if (this.ethNic !== undefined && mtu > this.ethNic.mtu) this.ethNic.setMtu(mtu);
    if (!overAtm && options.circuits !== undefined) {
      const why =
        given !== undefined
          ? `circuits are the AtmIpLink's; a ${given.kind} link maps its own next hops`
          : "circuits need an AtmNic";
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, why, { path: "circuits" });
    }
    const ttl = options.ttl ?? IPV4_DEFAULT_TTL;
    checkInteger("ttl", ttl, 1, 255);
    const maxDatagram = options.maxDatagramSize ?? UDP_DEFAULT_MAX_DATAGRAM;
    checkInteger("maxDatagramSize", maxDatagram, 0, UDP_DEFAULT_MAX_DATAGRAM);
    this.ip = address;
    this.mac = this.ethNic?.mac ?? 0;
    this.prefixLength = prefixLength;
    this.mtu = mtu;
    this.ttl = ttl;
    this.directedBroadcast = ipv4DirectedBroadcast(address, prefixLength);
    this.routes.add(address, prefixLength, 0, RouteKind.CONNECTED);
    if (options.gateway !== undefined) {
      const gw = toAddress(options.gateway, "gateway");
      if (!ipv4InPrefix(gw, address, prefixLength)) {
        throw new NetloomError(
          ErrorCode.INVALID_ARGUMENT,
          `${ipv4ToString(gw)} is not on the subnet ${ipv4ToString(address)}/${prefixLength}`,
          { path: "gateway" },
        );
      }
      if (prefixLength > 0) this.routes.add(0, 0, gw, RouteKind.DEFAULT);
    }
    const a = options.arp ?? {};
    const arpQueue = a.queueLimit ?? DEFAULT_ARP_OPTIONS.queueLimit;
    checkInteger("arp.queueLimit", arpQueue, 0, 1024);
    const retries = a.retries ?? DEFAULT_ARP_OPTIONS.retries;
    checkInteger("arp.retries", retries, 1, 100);
    this.arp = new ArpCache(this, {
      timeout: toNs(a.timeout, DEFAULT_ARP_OPTIONS.timeout, "arp.timeout"),
      queueLimit: arpQueue,
      retries,
      retryInterval: toNs(a.retryInterval, DEFAULT_ARP_OPTIONS.retryInterval, "arp.retryInterval"),
    });
    const r = options.reassembly ?? {};
    const maxDatagramBytes = r.maxDatagramBytes ?? DEFAULT_REASSEMBLY_OPTIONS.maxDatagramBytes;
    checkInteger("reassembly.maxDatagramBytes", maxDatagramBytes, 1, 1 << 20);
    const maxBytes = r.maxBytes ?? DEFAULT_REASSEMBLY_OPTIONS.maxBytes;
    checkInteger("reassembly.maxBytes", maxBytes, 1, 1 << 30);
    this.reassembly = new Reassembler(this, {
      timeout: toNs(r.timeout, DEFAULT_REASSEMBLY_OPTIONS.timeout, "reassembly.timeout"),
      maxDatagramBytes,
      maxBytes,
    });
    this.u8 = this.sim.runtime.u8;
    this.ethOut = new EthernetOutput(this.sim, HEADROOM);
    this.slotBytes = this.sim.frames.pool.slotBytes;
    this.id = this.sim.register(this.name, this);
    this.udp = new UdpLayer(this, maxDatagram);
    this.icmp = new IcmpLayer(this, this.id + 1);
    this.ctx = {
      src: 0,
      dst: 0,
      protocol: 0,
      ttl: 0,
      identification: 0,
      fragmentOffset: 0,
      groupDst: false,
      frame: NO_FRAME,
      bytes: this.u8,
      hdrOff: 0,
      hdrLen: 0,
      payOff: 0,
      payLen: 0,
      birth: 0,
    };
    if (given !== undefined) {
      this.atm = undefined;
      this.link = given;
      given.attach(this);
    } else if (this.ethNic !== undefined) {
      this.ethNic.setReceiver(this);
      this.atm = undefined;
      this.link = undefined;
    } else {
      this.atm = new AtmIpLink(atmNic, this, HEADROOM);
      this.link = this.atm;
      for (const [address, vc] of Object.entries(options.circuits ?? {}))
        this.atm.map(address, vc, `circuits.${address}`);
    }
    this.noGroupReason = `NO_BROADCAST_ON_${this.link?.kind.toUpperCase() ?? "ETHERNET"}`;
  }

  get state(): "up" | "destroyed" {
    return this.stateValue === IpHostState.UP ? "up" : "destroyed";
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
    if (this.ethNic === undefined) {
      const why =
        this.link?.kind === "atm"
          ? "ATM: no multicast (no MARS)"
          : `a ${this.link?.kind ?? "non-Ethernet"} link: no multicast`;
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
    if (!this.macInUse(ipv4MulticastMac(g), g)) this.ethNic.joinMulticast(ipv4MulticastMac(g));
  }

  leaveGroup(group: number | string): boolean {
    const g = toAddress(group, "group");
    if (!this.groups.delete(g)) return false;
    if (!this.macInUse(ipv4MulticastMac(g), g)) this.ethNic!.leaveMulticast(ipv4MulticastMac(g));
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
    return {
      name: this.name,
      address: `${ipv4ToString(this.ip)}/${this.prefixLength}`,
      ip: { ...this.ipCounters, drops: { ...this.ipDrops } },
      arp: this.arp.stats(),
      udp: this.udp.stats(),
      icmp: this.icmp.stats(),
      reassembly: this.reassembly.stats(),
      eth: { rxFrames: this.ethRx, drops: { ...this.ethDrops } },
      ...(this.atm !== undefined ? { atm: this.atm.stats() } : {}),
      ...(this.link !== undefined && this.link !== this.atm ? { link: this.link.stats() } : {}),
    };
  }

  /** Up -> Destroyed: closes sockets, releases frames waiting for ARP, cancels timers. */
  destroy(): void {
    if (this.stateValue === IpHostState.DESTROYED) return;
    this.udp.destroy();
    this.arp.destroy();
    this.reassembly.destroy();
    this.icmp.destroy();
    this.stateValue = IpHostState.DESTROYED;
    if (this.link !== undefined) this.link.detach();
    else this.ethNic!.setReceiver(undefined);
  }

  // --- helpers for the layers ---

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
    const f = this.allocTx(len);
    if (f === NO_FRAME) this.ipDrop("NO_SLOT");
    return f;
  }

  /** Gives back a received frame a layer kept (to the NIC's receive chain or to the link). */
  consumeFrame(frame: number): void {
    if (this.link !== undefined) this.link.consume(frame);
    else this.ethNic!.consume(frame);
  }

  /**
   * Sends the IP payload in `frame` (transport header already on) to `dst`: pushes the IPv4
   * header, routes, fragments when needed, resolves. Takes the frame; false = dropped now.
   * `multicastTtl` is the TTL when `dst` is a group (default 1, RFC 1112); unicast uses `ttl`.
   */
  sendIp(frame: number, protocol: number, dst: number, dontFragment: boolean, multicastTtl = 1): boolean {
    const frames = this.sim.frames;
    if (this.stateValue !== IpHostState.UP) {
      this.releaseTx(frame);
      return this.ipDrop("HOST_DESTROYED");
    }
    const len = frames.length[frame]!;
    if (IPV4_HEADER_LEN + len > this.mtu) {
      if (dontFragment) {
        this.releaseTx(frame);
        return this.ipDrop("FRAG_NEEDED_DF");
      }
      const ok = this.sendIpBytes(protocol, dst, this.u8, frames.offset(frame), len, false, multicastTtl);
      this.releaseTx(frame);
      return ok;
    }
    const nextHop = this.resolveNextHop(dst);
    if (nextHop === -1) {
      this.releaseTx(frame);
      return this.ipDrop("NO_ROUTE");
    }
    const r = this.fillTxRepr(protocol, dst, len, dontFragment, multicastTtl);
    r.identification = this.takeIdent();
    const at = frames.push(frame, IPV4_HEADER_LEN);
    emitIpv4(r, this.ipv.wrap(this.u8, at, IPV4_HEADER_LEN + len));
    this.ipCounters.txPackets++;
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
    if (this.stateValue !== IpHostState.UP) return this.ipDrop("HOST_DESTROYED");
    if (IPV4_HEADER_LEN + len > this.mtu && dontFragment) return this.ipDrop("FRAG_NEEDED_DF");
    if (len > 0xffff - IPV4_HEADER_LEN) return this.ipDrop("TOO_LONG");
    const nextHop = this.resolveNextHop(dst);
    if (nextHop === -1) return this.ipDrop("NO_ROUTE");
    const frames = this.sim.frames;
    const chunk = ((this.mtu - IPV4_HEADER_LEN) >>> 3) << 3;
    const ident = this.takeIdent();
    const single = IPV4_HEADER_LEN + len <= this.mtu;
    this.ipCounters.txPackets++;
    for (let o = 0; o < len || (o === 0 && len === 0); o += chunk) {
      const n = single ? len : Math.min(chunk, len - o);
      const f = this.allocTx(n);
      if (f === NO_FRAME) {
        // The rest of the datagram cannot go: the receiver will time it out.
        this.ipDrop("NO_SLOT");
        return false;
      }
      this.u8.set(bytes.subarray(off + o, off + o + n), frames.offset(f));
      const r = this.fillTxRepr(protocol, dst, n, dontFragment, multicastTtl);
      r.identification = ident;
      r.fragmentOffset = single ? 0 : o;
      r.moreFragments = !single && o + n < len;
      const at = frames.push(f, IPV4_HEADER_LEN);
      emitIpv4(r, this.ipv.wrap(this.u8, at, IPV4_HEADER_LEN + n));
      if (!single) this.ipCounters.txFragments++;
      this.toLink(f, dst, nextHop);
      if (single) break;
    }
    return true;
  }

  // --- ArpOwner / ReassemblyOwner ---

  sendArp(op: number, targetMac: number, targetIp: number, ethDst: number): void {
    if (!this.ethOut.sendArp(this.ethNic!, this.mac, this.ip, op, targetMac, targetIp, ethDst)) {
      this.arp.counters.requestsSent--;
      this.ipDrop("NO_SLOT");
    }
  }

  transmitTo(frame: number, mac: number): void {
    this.ethOut.pushEthernet(frame, mac, this.mac, ETHERTYPE_IPV4);
    this.ethNic!.send(frame);
  }

  releaseFrame(frame: number): void {
    this.sim.frames.release(frame);
  }

  scheduleArpTimer(delay: number, ip: number): number {
    return this.sim.scheduler.schedule(this.id, delay, this.id, EV_ARP_RETRY, ip | 0, 0, 0);
  }

  scheduleReassemblyTimer(delay: number, serial: number): number {
    return this.sim.scheduler.schedule(this.id, delay, this.id, EV_REASM_TIMEOUT, serial | 0, 0, 0);
  }

  cancelTimer(handle: number): void {
    this.sim.scheduler.cancel(handle);
  }

  now(): number {
    return this.sim.scheduler.now;
  }

  handleEvent(kind: number, a: number, _b: number, _len: number): void {
    if (this.stateValue !== IpHostState.UP) return;
    if (kind === EV_ARP_RETRY) this.arp.onTimer(a >>> 0);
    else if (kind === EV_REASM_TIMEOUT) this.reassembly.onTimer(a);
  }

  // --- receive ---

  /** AtmIpOwner: a datagram from the ATM link, alone in its frame (we consume it). */
  atmInput(frame: number): void {
    const frames = this.sim.frames;
    if (!this.linkInput(frame, frames.offset(frame), frames.length[frame]!)) frames.release(frame);
  }

  /** IpLinkOwner: a datagram from the link; true = kept (given back through consumeFrame). */
  linkInput(frame: number, at: number, length: number): boolean {
    if (this.stateValue !== IpHostState.UP) return this.ipDrop("HOST_DESTROYED");
    return this.ipInput(frame, at, length);
  }

  onFrame(nic: EthernetNic, frame: number): void {
    if (this.stateValue !== IpHostState.UP) {
      this.ethDrop("HOST_DESTROYED");
      nic.consume(frame);
      return;
    }
    this.ethRx++;
    const frames = this.sim.frames;
    const off = frames.offset(frame);
    const len = frames.length[frame]! - ETH_FCS_LEN; // the NIC leaves the FCS on
    const eth = this.eth.wrap(this.u8, off, len);
    if (!eth.checkLength()) {
      this.ethDrop("RUNT");
      nic.consume(frame);
      return;
    }
    const hl = eth.headerLength;
    const type = eth.etherType;
    let kept = false;
    if (type === ETHERTYPE_IPV4) kept = this.ipInput(frame, off + hl, len - hl);
    else if (type === ETHERTYPE_ARP) this.arpInput(off + hl, len - hl);
    else this.ethDrop("UNKNOWN_ETHERTYPE");
    if (!kept) nic.consume(frame);
  }

  private arpInput(at: number, len: number): void {
    const status = parseArpInto(this.arpv.wrap(this.u8, at, len), this.arpRx);
    if (status !== ArpParseError.OK) {
      const name = ARP_ERROR_NAMES[status] ?? `ERROR_${status}`;
      this.arp.drops[name] = (this.arp.drops[name] ?? 0) + 1;
      return;
    }
    this.arp.input(this.arpRx);
  }

  /** Returns true when a layer kept the frame (it will consume it later). */
  private ipInput(frame: number, at: number, len: number): boolean {
    this.ipCounters.rxPackets++;
    const v = this.ipv.wrap(this.u8, at, len);
    const r = this.rxRepr;
    const status = parseIpv4Into(v, r);
    if (status !== Ipv4ParseError.OK) {
      this.ipDrop(IPV4_ERROR_NAMES[status] ?? `ERROR_${status}`);
      return false;
    }
    const dst = r.dst;
    let group = false;
    if (dst !== this.ip) {
      if (dst === IPV4_BROADCAST || dst === this.directedBroadcast) group = true;
      else if (isMulticastIpv4(dst)) {
        if (!this.groups.has(dst)) {
          this.ipDrop("NOT_MEMBER");
          return false;
        }
        group = true;
      } else {
        this.ipDrop("NOT_FOR_US");
        return false;
      }
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
      this.ipCounters.rxFragments++;
      const done = this.reassembly.add(
        r.src,
        dst,
        r.protocol,
        r.identification,
        r.fragmentOffset,
        r.moreFragments,
        this.u8,
        at + hdrLen,
        r.payloadLength,
        this.sim.frames.birth[frame]!,
      );
      if (done === undefined) return false;
      c.fragmentOffset = 0;
      c.frame = NO_FRAME;
      c.bytes = done.payload;
      c.hdrOff = -1;
      c.hdrLen = IPV4_HEADER_LEN;
      c.payOff = 0;
      c.payLen = done.payload.length;
      c.birth = done.birth;
      this.deliver(c);
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

  private deliver(c: RxContext): boolean {
    this.ipCounters.rxDelivered++;
    switch (c.protocol) {
      case 17:
        return this.udp.input(c);
      case 1:
        return this.icmp.input(c);
      default: {
        const handler = this.protocols[c.protocol];
        if (handler !== undefined) return handler.input(c);
        this.ipCounters.rxDelivered--;
        this.ipDrop("UNKNOWN_PROTOCOL");
        return false;
      }
    }
  }

  // --- internals ---

  /** Next hop for `dst`: 0xffffffff-style group destinations return dst itself; -1 = no route. */
  private resolveNextHop(dst: number): number {
    if (dst === IPV4_BROADCAST || isMulticastIpv4(dst) || dst === this.directedBroadcast) return dst;
    return this.routes.nextHop(dst);
  }

  /** Hands an IPv4 frame to the link: group MAC, cached MAC, or the ARP queue. */
  private toLink(frame: number, dst: number, nextHop: number): void {
    if (this.link !== undefined) {
      if (dst === IPV4_BROADCAST || dst === this.directedBroadcast || isMulticastIpv4(dst)) {
        this.link.releaseFrame(frame);
        this.ipDrop(this.noGroupReason);
        return;
      }
      this.link.send(frame, nextHop);
      return;
    }
    if (dst === IPV4_BROADCAST || dst === this.directedBroadcast) return this.transmitTo(frame, MAC_BROADCAST);
    if (isMulticastIpv4(dst)) return this.transmitTo(frame, ipv4MulticastMac(dst));
    const mac = this.arp.lookup(nextHop);
    if (mac >= 0) this.transmitTo(frame, mac);
    else this.arp.enqueue(nextHop, frame);
  }

  /** A frame for `len` payload bytes to send: the link's (U-Net: a segment buffer) or a slot. */
  private allocTx(len: number): number {
    if (this.link !== undefined) return this.link.allocFrame(len);
    const frames = this.sim.frames;
    const f = frames.alloc(HEADROOM, this.sim.now);
    if (f !== NO_FRAME) frames.setLength(f, len);
    return f;
  }

  /** Gives back a frame from allocTx that is not sent. */
  private releaseTx(frame: number): void {
    if (this.link !== undefined) this.link.releaseFrame(frame);
    else this.sim.frames.release(frame);
  }

  private fillTxRepr(
    protocol: number,
    dst: number,
    payloadLength: number,
    df: boolean,
    multicastTtl: number,
  ): Ipv4Repr {
    const r = this.txRepr;
    r.src = this.ip;
    r.dst = dst;
    r.protocol = protocol;
    r.payloadLength = payloadLength;
    r.ttl = isMulticastIpv4(dst) ? multicastTtl : this.ttl; // RFC 1112: multicast TTL defaults to 1
    r.tos = 0;
    r.dontFragment = df;
    r.moreFragments = false;
    r.fragmentOffset = 0;
    return r;
  }

  private takeIdent(): number {
    const id = this.nextIdent;
    this.nextIdent = (id + 1) & 0xffff;
    return id;
  }

  private macInUse(mac: number, except: number): boolean {
    for (const g of this.groups) if (g !== except && ipv4MulticastMac(g) === mac) return true;
    return false;
  }

  private ipDrop(reason: string): false {
    this.ipDrops[reason] = (this.ipDrops[reason] ?? 0) + 1;
    return false;
  }

  private ethDrop(reason: string): void {
    this.ethDrops[reason] = (this.ethDrops[reason] ?? 0) + 1;
  }
}

export type { PingResult, UdpSocket };
