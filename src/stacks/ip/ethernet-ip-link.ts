// EthernetIpLink: IPv4 over an EthernetNic with ARP (RFC 826), the IpLink of an IpHost on a
// plain Ethernet NIC and of every Ethernet interface of a Router. The one owner of an
// interface's ArpCache: what resolution sends, queues and times is written here once.
//
// Contract:
// - Receive: the link is the NIC's receiver. A frame too short for an Ethernet header is
//   counted RUNT; IPv4 goes to owner.linkInput without the FCS the NIC leaves on (the frame is
//   consumed at once unless the owner kept it); ARP is parsed into the cache (a bad packet is
//   counted in arp.drops by ArpParseError name); other EtherTypes count UNKNOWN_ETHERTYPE.
// - Send: send(frame, nextHop) takes the MAC from the cache, or the frame waits in the cache's
//   queue while a request goes out; sendGroup maps class D to 01:00:5e + low 23 bits and any
//   other group to ff:ff:ff:ff:ff:ff. The Ethernet header goes into the frame's headroom (src
//   = the NIC's MAC); the NIC pads and appends the FCS.
// - ARP packets go out in frames of their own; with no free slot nothing is sent and NO_SLOT
//   is counted in the owner's IP drops. Retry timers are events of the owning device (kind
//   EV_ARP_RETRY, a = neighbour, b = interface index): the owner hands them to arp.onTimer.
// - Drops are counted in tables the owner gives (a host keeps Ethernet and IP drops apart, a
//   router counts both in one). stop(reason) keeps the NIC but consumes and counts every
//   later frame as `reason`; detach() gives the NIC back to its default receiver.

import { type FrameBudget, NO_FRAME } from "../../buf/frames.js";
import { EV_DEVICE_BASE } from "../../devices/device.js";
import { ETH_JUMBO_MTU, type EthernetNic, type NicReceiver } from "../../devices/nic.js";
import type { Simulation } from "../../engine/simulation.js";
import { ARP_LEN, ArpParseError, ArpView, createArpRepr, emitArp, parseArpInto, type ArpRepr } from "../../wire/arp.js";
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETH_FCS_LEN,
  ETH_HEADER_LEN,
  ETH_MTU,
  EthernetView,
  MAC_BROADCAST,
  writeMac,
} from "../../wire/ethernet.js";
import { ipv4MulticastMac, isMulticastIpv4 } from "../../wire/ipv4.js";
import { ArpCache, type ArpOptions, type ArpOwner } from "./arp-cache.js";
import { HEADROOM, type IpLink, type IpLinkOwner, type IpLinkStats } from "./ip-link.js";

/** ARP retry timer of the owning device: a = neighbour IPv4 address (int32), b = interface index. */
export const EV_ARP_RETRY = EV_DEVICE_BASE;

const ARP_ERROR_NAMES: string[] = [];
for (const [name, value] of Object.entries(ArpParseError)) ARP_ERROR_NAMES[value] = name;

export interface EthernetIpLinkOptions {
  /** The interface's IPv4 address (ARP answers for it). */
  ip: number;
  arp: ArpOptions;
  /** The device whose events the ARP timers are, and the interface's index on it. */
  timerOwner: number;
  index: number;
  /** Where RUNT, UNKNOWN_ETHERTYPE and stop() reasons are counted. */
  ethDrops: Record<string, number>;
  /** Where an ARP packet without a frame slot is counted (NO_SLOT). */
  ipDrops: Record<string, number>;
  /** Frames waiting for ARP over every interface of the device (a router's; default: this one's). */
  arpBudget?: FrameBudget;
}

export class EthernetIpLink implements IpLink, NicReceiver, ArpOwner {
  readonly kind = "ethernet";
  readonly nic: EthernetNic;
  readonly defaultMtu = ETH_MTU;
  readonly maxMtu = ETH_JUMBO_MTU;
  readonly ip: number;
  readonly mac: number;
  readonly arp: ArpCache;
  /** Frames the NIC handed up (all EtherTypes). */
  rxFrames = 0;
  private readonly sim: Simulation;
  private readonly u8: Uint8Array;
  private readonly owner: IpLinkOwner;
  private readonly timerOwner: number;
  private readonly index: number;
  private readonly ethDrops: Record<string, number>;
  private readonly ipDrops: Record<string, number>;
  private stopReason: string | undefined;
  private txPdus = 0;
  // Reused views and reprs: the per-frame paths allocate nothing.
  private readonly eth = new EthernetView(new Uint8Array(0));
  private readonly arpv = new ArpView(new Uint8Array(0));
  private readonly arpRx: ArpRepr = createArpRepr();
  private readonly arpTx: ArpRepr = createArpRepr();

  constructor(nic: EthernetNic, owner: IpLinkOwner, options: EthernetIpLinkOptions) {
    this.nic = nic;
    this.sim = nic.sim;
    this.u8 = nic.sim.runtime.u8;
    this.owner = owner;
    this.ip = options.ip;
    this.mac = nic.mac;
    this.timerOwner = options.timerOwner;
    this.index = options.index;
    this.ethDrops = options.ethDrops;
    this.ipDrops = options.ipDrops;
    this.arp = new ArpCache(this, options.arp, options.arpBudget);
    nic.setReceiver(this);
  }

  // --- send ---

  allocFrame(length: number): number {
    const frames = this.sim.frames;
    const f = frames.alloc(HEADROOM, this.sim.now);
    if (f !== NO_FRAME) frames.setLength(f, length);
    return f;
  }

  releaseFrame(frame: number): void {
    this.sim.frames.release(frame);
  }

  send(frame: number, nextHop: number): boolean {
    const mac = this.arp.lookup(nextHop);
    if (mac >= 0) this.transmitTo(frame, mac);
    else this.arp.enqueue(nextHop, frame);
    return true;
  }

  sendGroup(frame: number, group: number): boolean {
    this.transmitTo(frame, isMulticastIpv4(group) ? ipv4MulticastMac(group) : MAC_BROADCAST);
    return true;
  }

  /** ArpOwner: sends a waiting IPv4 frame (no Ethernet header yet) to `mac`; takes the frame. */
  transmitTo(frame: number, mac: number): void {
    this.pushEthernet(frame, mac, ETHERTYPE_IPV4);
    this.txPdus++;
    this.nic.send(frame);
  }

  /** ArpOwner: an ARP packet (op, target) to Ethernet destination `ethDst`, in a frame of its own. */
  sendArp(op: number, targetMac: number, targetIp: number, ethDst: number): void {
    const frames = this.sim.frames;
    // ARP belongs to no flow, even when a flow's datagram asked for it.
    const f = frames.alloc(HEADROOM, this.sim.now, -1);
    if (f === NO_FRAME) {
      this.arp.counters.requestsSent--;
      this.ipDrops["NO_SLOT"] = (this.ipDrops["NO_SLOT"] ?? 0) + 1;
      return;
    }
    frames.setLength(f, ARP_LEN);
    const r = this.arpTx;
    r.operation = op;
    r.senderMac = this.mac;
    r.senderIp = this.ip;
    r.targetMac = targetMac;
    r.targetIp = targetIp;
    emitArp(r, this.arpv.wrap(this.u8, frames.offset(f), ARP_LEN));
    this.pushEthernet(f, ethDst, ETHERTYPE_ARP);
    this.nic.send(f);
  }

  scheduleArpTimer(delay: number, ip: number): number {
    return this.sim.scheduler.schedule(this.timerOwner, delay, this.timerOwner, EV_ARP_RETRY, ip | 0, this.index, 0);
  }

  cancelTimer(handle: number): void {
    this.sim.scheduler.cancel(handle);
  }

  now(): number {
    return this.sim.scheduler.now;
  }

  // --- receive ---

  onFrame(nic: EthernetNic, frame: number): void {
    if (this.stopReason !== undefined) {
      this.ethDrop(this.stopReason);
      nic.consume(frame);
      return;
    }
    this.rxFrames++;
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
    if (type === ETHERTYPE_IPV4) kept = this.owner.linkInput(frame, off + hl, len - hl);
    else if (type === ETHERTYPE_ARP) this.arpInput(off + hl, len - hl);
    else this.ethDrop("UNKNOWN_ETHERTYPE");
    if (!kept) nic.consume(frame);
  }

  consume(frame: number): void {
    this.nic.consume(frame);
  }

  stats(): IpLinkStats {
    return { txPdus: this.txPdus, rxPdus: this.rxFrames, drops: { ...this.ethDrops } };
  }

  /** From now on every frame that arrives is consumed at once and counted as `reason`. */
  stop(reason: string): void {
    this.stopReason = reason;
  }

  detach(): void {
    this.nic.setReceiver(undefined);
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

  private pushEthernet(frame: number, dstMac: number, etherType: number): void {
    const at = this.sim.frames.push(frame, ETH_HEADER_LEN);
    const u8 = this.u8;
    writeMac(u8, at, dstMac);
    writeMac(u8, at + 6, this.mac);
    u8[at + 12] = etherType >>> 8;
    u8[at + 13] = etherType & 0xff;
  }

  private ethDrop(reason: string): void {
    this.ethDrops[reason] = (this.ethDrops[reason] ?? 0) + 1;
  }
}
