// UnetIpLink: IPv4 over a U-Net endpoint of its own (Birman ch. 8.4: "versions of UDP and TCP
// have been layered over U-Net"), an IpLink (ip-link.ts): the host's IP, UDP, ICMP and TCP run
// at user level, with no system call and no kernel on the data path (unet-device.ts).
//
// Contract:
// - Setup: new UnetIpLink(sim, name, {device, cpu, peers, ...endpoint options}) registers the
//   endpoint (its system calls, as in U-Net) with one channel per next hop (peers: IPv4
//   address -> ATM {vpi, vci} or Ethernet {mac, tag, remoteTag}; addPeer() adds one later);
//   new IpHost(link.nic, {address, link}) attaches the host, once. Until a channel is
//   registered (isOpen) the firmware drops. API misuse throws NetloomError naming the path.
// - Wire: ATM "llc-snap" (default) = | LLC/SNAP AA-AA-03 00-00-00 08-00 | IPv4 datagram |
//   (RFC 2684 routed PDU, AtmIpLink's bytes: captures dissect as IP); ATM "null" = | IPv4
//   datagram | (VC multiplexing); Ethernet = | Ethernet II 0x88B6 | U-Net header (8: the
//   receiver's channel tag, length) | IPv4 datagram | (the channel says IPv4).
// - MTU: at most the endpoint's maxMessage + 20 (see the constructor); the default also fits
//   the frame slots and, on ATM, RFC 2225's 9180.
// - Send is zero copy (allocFrame); receive copies only where the host needs a frame of its
//   own (onReceive); what the endpoint's CPU is charged: chargeSend/chargeReceive.
// - Hot paths never throw; drops are counted by reason (NO_CHANNEL, NO_SEGMENT_BUFFER,
//   NOT_SEGMENT_BUFFER, ENDPOINT_DESTROYED, LLC_SNAP_BAD, NOT_IPV4, NO_SLOT, DETACHED); the
//   endpoint's own refusals (send queue full, ...) are its drops.
// - destroy() destroys the endpoint (every buffer it holds goes back); destroy the IpHost first.
// Not handled: broadcast and multicast (channels are point to point: sendGroup refuses,
// NO_BROADCAST_ON_UNET), ARP (next hops are configured), IP over ATM with a path MTU.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { NO_FRAME, type FrameStore } from "../../buf/frames.js";
import type { Simulation } from "../../engine/simulation.js";
import { ETHERTYPE_IPV4 } from "../../wire/ethernet.js";
import { IPV4_HEADER_LEN, IPV4_MIN_MTU, ipv4FromString, ipv4ToString } from "../../wire/ipv4.js";
import { LLC_SNAP_HEADER_LEN, llcSnapEtherType, writeLlcSnap } from "../../wire/llc-snap.js";
import { UDP_HEADER_LEN } from "../../wire/udp.js";
import type { HostCpu } from "../cost.js";
import { ATM_IP_MTU } from "../ip/atm-ip-link.js";
import { HEADROOM, slotBytesForMtu, type AttachableIpLink, type IpLinkOwner, type IpLinkStats } from "../ip/ip-link.js";
import type { UnetChannelSpec, UnetDevice, UnetNic } from "./unet-device.js";
import {
  UnetEndpoint,
  UnetEndpointState,
  type UnetConsumer,
  type UnetEndpointOptions,
  type UnetEndpointStats,
} from "./unet-endpoint.js";
import { UNET_INLINE_MAX } from "./unet-wire.js";

export const UNET_IP_ENCAPSULATIONS = ["llc-snap", "null"] as const;
export type UnetIpEncapsulation = (typeof UNET_IP_ENCAPSULATIONS)[number];

/** Bytes IpHost pushes in front of a payload frame: a UDP and an IPv4 header (no IP options). */
const IP_PUSH = IPV4_HEADER_LEN + UDP_HEADER_LEN;

export interface UnetIpLinkOptions
  extends Omit<UnetEndpointOptions, "channels" | "clientHeadroom" | "rank" | "configuration"> {
  device: UnetDevice;
  cpu: HostCpu;
  /** Next-hop IPv4 address -> channel address (one channel per peer). */
  peers?: Record<string, UnetChannelSpec>;
  /** ATM only: "llc-snap" (RFC 2684 routed, default) or "null" (VC multiplexed). */
  encapsulation?: UnetIpEncapsulation;
}

export interface UnetIpStats extends IpLinkStats {
  kind: "unet";
  nic: "atm" | "ethernet";
  encapsulation: UnetIpEncapsulation;
  /** Received datagrams copied into a frame of their own (ATM, inline), and their bytes. */
  rxCopies: number;
  bytesCopied: number;
  /** Received datagrams the host parsed in the NIC's buffer (Ethernet), and those it kept. */
  rxInPlace: number;
  rxKept: number;
  /** "10.0.0.2 -> rank 1", in the order the peers were added. */
  peers: string[];
  endpoint: UnetEndpointStats;
}

export class UnetIpLink implements AttachableIpLink, UnetConsumer {
  readonly kind = "unet";
  readonly name: string;
  readonly nic: UnetNic;
  readonly endpoint: UnetEndpoint;
  readonly encapsulation: UnetIpEncapsulation;
  readonly defaultMtu: number;
  readonly maxMtu: number;
  private readonly sim: Simulation;
  private readonly frames: FrameStore;
  private readonly u8: Uint8Array;
  private readonly cpu: HostCpu;
  private readonly overAtm: boolean;
  /** Encapsulation bytes in front of the datagram (LLC/SNAP 8, or 0). */
  private readonly encap: number;
  private owner: IpLinkOwner | undefined;
  private attached = false;
  private readonly peerRank = new Map<number, number>();
  private readonly peerOrder: number[] = [];
  /** Received NIC frame (Ethernet) -> the endpoint's receive token, while the host keeps it. */
  private readonly keptToken: Int32Array;
  private readonly c = { txPdus: 0, rxPdus: 0, rxCopies: 0, bytesCopied: 0, rxInPlace: 0, rxKept: 0 };
  private readonly drops: Record<string, number> = {};

  constructor(sim: Simulation, name: string, options: UnetIpLinkOptions) {
    const { peers, encapsulation, ...epOptions } = options;
    const device = options.device;
    const overAtm = device.kind === "atm";
    const enc = encapsulation ?? (overAtm ? "llc-snap" : "null");
    if (!(UNET_IP_ENCAPSULATIONS as readonly string[]).includes(enc)) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${JSON.stringify(enc)} is not an encapsulation (${UNET_IP_ENCAPSULATIONS.join(", ")})`,
        {
          path: `${name}.encapsulation`,
        },
      );
    }
    if (!overAtm && enc !== "null") {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        'on Ethernet the U-Net channel says IPv4: encapsulation must be "null"',
        {
          path: `${name}.encapsulation`,
        },
      );
    }
    const encap = enc === "llc-snap" ? LLC_SNAP_HEADER_LEN : 0;
    this.sim = sim;
    this.name = name;
    this.nic = device.nic;
    this.frames = sim.frames;
    this.u8 = sim.runtime.u8;
    this.cpu = options.cpu;
    this.overAtm = overAtm;
    this.encapsulation = enc;
    this.encap = encap;
    this.keptToken = new Int32Array(sim.frames.pool.count).fill(-1);
    this.endpoint = new UnetEndpoint(sim, `${name}.ep`, {
      ...epOptions,
      rank: 0,
      clientHeadroom: IP_PUSH + encap,
      configuration: "unet",
    });
    const ep = this.endpoint;
    // The segment buffer's room in front is sized for a UDP + IPv4 header (28) plus the
    // encapsulation; a TCP segment carries its own header inside the payload, so the payload
    // limit of a segment buffer (maxMessage) bounds the datagram at maxMessage + 20
    // (Ethernet 1500: 1484).
    const maxMtu = ep.maxMessage + IPV4_HEADER_LEN;
    let fit = Math.min(maxMtu, overAtm ? ATM_IP_MTU : maxMtu, sim.frames.pool.slotBytes - HEADROOM);
    while (fit >= IPV4_MIN_MTU && slotBytesForMtu(fit) > sim.frames.pool.slotBytes) fit--;
    if (fit < IPV4_MIN_MTU) {
      ep.destroy();
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `the endpoint's messages (${ep.maxMessage + ep.clientHeadroom} bytes) or frame slots cannot carry a ${IPV4_MIN_MTU}-byte datagram`,
        {
          path: `${name}.device`,
        },
      );
    }
    this.maxMtu = maxMtu;
    this.defaultMtu = fit;
    ep.setConsumer(this);
    try {
      for (const [address, spec] of Object.entries(peers ?? {})) this.addPeer(address, spec);
    } catch (err) {
      ep.destroy();
      throw err;
    }
  }

  /** Next hop `address` is reached on a new channel `spec` (a registration system call). */
  addPeer(address: string | number, spec: UnetChannelSpec): void {
    const path = `${this.name}.peers.${String(address)}`;
    const a = typeof address === "string" ? ipv4FromString(address, path) : address >>> 0;
    if (this.peerRank.has(a))
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${ipv4ToString(a)} already has a channel`, { path });
    const rank = this.peerOrder.length + 1;
    if (rank > 0xffff)
      throw new NetloomError(ErrorCode.TABLE_FULL, "65535 peers is the most an endpoint names", { path });
    this.endpoint.openChannel(rank, spec);
    this.peerRank.set(a, rank);
    this.peerOrder.push(a);
  }

  /** True when the endpoint and the channel to next hop `address` are registered. */
  isOpen(address: string | number): boolean {
    const a = typeof address === "string" ? ipv4FromString(address, "address") : address >>> 0;
    const rank = this.peerRank.get(a);
    return rank !== undefined && this.endpoint.isOpen(rank);
  }

  attach(owner: IpLinkOwner): void {
    if (this.attached)
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${this.name} already has an IP host`, { path: "link" });
    if (this.endpoint.state === UnetEndpointState.Destroyed)
      throw new NetloomError(ErrorCode.USE_AFTER_FREE, `${this.name} was destroyed`, { path: "link" });
    this.attached = true;
    this.owner = owner;
  }

  detach(): void {
    this.owner = undefined;
  }

  // --- send (hot path: never throws) ---

  /**
   * Zero copy: a segment buffer (endpoint.allocMessage) with room for the UDP/IPv4 headers
   * and the LLC/SNAP header, which UDP/TCP fill in place; send() hands it back to the endpoint
   * and the NIC reads it out of the segment (its DMA). A payload larger than one message (the
   * host fragments it, copying each fragment into a segment buffer of its own) gets a plain
   * frame slot instead.
   */
  allocFrame(length: number): number {
    const ep = this.endpoint;
    if (ep.state === UnetEndpointState.Destroyed) {
      this.drop("ENDPOINT_DESTROYED");
      return NO_FRAME;
    }
    if (length <= ep.maxMessage) {
      const f = ep.allocMessage(length);
      if (f === NO_FRAME) this.drop("NO_SEGMENT_BUFFER");
      return f;
    }
    // Larger than one message: the host fragments it (copying) into segment buffers.
    const frames = this.frames;
    const f = frames.alloc(HEADROOM, this.sim.now);
    if (f !== NO_FRAME) frames.setLength(f, length);
    return f;
  }

  releaseFrame(frame: number): void {
    if (this.endpoint.isAppBuffer(frame)) this.endpoint.discard(frame);
    else this.frames.release(frame);
  }

  /** Channels are point to point: no group reaches anyone; the frame is given back. */
  sendGroup(frame: number, _group: number): boolean {
    this.releaseFrame(frame);
    return false;
  }

  send(frame: number, nextHop: number): boolean {
    const ep = this.endpoint;
    if (!ep.isAppBuffer(frame)) {
      this.frames.release(frame);
      return this.drop(ep.state === UnetEndpointState.Destroyed ? "ENDPOINT_DESTROYED" : "NOT_SEGMENT_BUFFER");
    }
    const rank = this.peerRank.get(nextHop >>> 0);
    if (rank === undefined) {
      ep.discard(frame);
      return this.drop("NO_CHANNEL");
    }
    if (this.encap !== 0) writeLlcSnap(this.u8, this.frames.push(frame, LLC_SNAP_HEADER_LEN), ETHERTYPE_IPV4);
    if (!ep.send(frame, rank)) return false;
    this.c.txPdus++;
    return true;
  }

  // --- receive (UnetConsumer; never throws) ---

  /**
   * CPU costs on the endpoint's HostCpu: no SYSTEM_CALL, no user/kernel COPY, no INTERRUPT in
   * poll mode. Per message sent: the endpoint's DRIVER (descriptor push) plus CHECKSUM over the
   * datagram (the UDP/TCP and IPv4 checksums read it once); per message received: DRIVER plus
   * CHECKSUM, plus COPY where onReceive copies. Not charged: the IP/UDP/TCP header processing
   * itself, TCP's copies between its buffers and segments, timers: a lower bound on the real
   * user-level work.
   */
  chargeSend(_ep: UnetEndpoint, _frame: number, length: number): void {
    this.cpu.chargeChecksum(length - this.encap);
  }

  chargeReceive(ep: UnetEndpoint, _ptr: number, length: number): void {
    const n = length - this.encap;
    if (n <= 0) return;
    this.cpu.chargeChecksum(n);
    if (this.overAtm || (ep.inline && length <= UNET_INLINE_MAX)) this.cpu.chargeCopy(n);
  }

  /**
   * One message: LLC/SNAP checked, then handed to the host.
   * - Ethernet, message in a NIC receive buffer: no copy. The buffer is the NIC's receive
   *   frame, parsed in place; if a UDP mailbox keeps it, the endpoint keeps the buffer off its
   *   free queue until the host consumes the frame (consume() -> endpoint.free): an application
   *   that does not read fills the free queue and the firmware drops (noFreeBuffer), as U-Net.
   * - ATM (AAL5 reassembly memory, not a frame) and inline messages (<= 40 bytes, in the
   *   descriptor): one copy into a new frame slot (stats().rxCopies, bytesCopied); the receive
   *   buffer goes back at once.
   * The sender's birth tag travels with the datagram (endpoint.messageBirth): one-way latency
   * works as on the other links.
   */
  onReceive(ep: UnetEndpoint, _src: number, ptr: number, length: number, token: number): boolean {
    const owner = this.owner;
    if (owner === undefined) return this.drop("DETACHED");
    if (this.encap !== 0) {
      const type = llcSnapEtherType(this.u8, ptr, length);
      if (type < 0) return this.drop("LLC_SNAP_BAD");
      if (type !== ETHERTYPE_IPV4) return this.drop("NOT_IPV4");
    }
    const at = ptr + this.encap;
    const n = length - this.encap;
    this.c.rxPdus++;
    if (!this.overAtm && token >= 0) {
      // The NIC's receive frame holds the datagram: the host works on it in place.
      const frame = ep.bufferHandle(token);
      this.c.rxInPlace++;
      this.keptToken[frame] = token;
      if (owner.linkInput(frame, at, n)) {
        this.c.rxKept++;
        return true;
      }
      this.keptToken[frame] = -1;
      return false;
    }
    // AAL5 reassembly memory or a descriptor is not a frame: one copy into a slot of our own.
    const frames = this.frames;
    const f = frames.alloc(HEADROOM, ep.messageBirth);
    if (f === NO_FRAME) return this.drop("NO_SLOT");
    frames.setLength(f, n);
    const off = frames.offset(f);
    this.sim.runtime.copy(off, at, n);
    this.c.rxCopies++;
    this.c.bytesCopied += n;
    if (!owner.linkInput(f, off, n)) frames.release(f);
    return false;
  }

  consume(frame: number): void {
    const token = this.keptToken[frame]!;
    if (token < 0) {
      this.frames.release(frame);
      return;
    }
    this.keptToken[frame] = -1;
    // A destroyed endpoint already gave every NIC buffer back.
    if (this.endpoint.state !== UnetEndpointState.Destroyed) this.endpoint.free(token);
  }

  stats(): UnetIpStats {
    return {
      kind: "unet",
      nic: this.overAtm ? "atm" : "ethernet",
      encapsulation: this.encapsulation,
      txPdus: this.c.txPdus,
      rxPdus: this.c.rxPdus,
      rxCopies: this.c.rxCopies,
      bytesCopied: this.c.bytesCopied,
      rxInPlace: this.c.rxInPlace,
      rxKept: this.c.rxKept,
      drops: { ...this.drops },
      peers: this.peerOrder.map((a) => `${ipv4ToString(a)} -> rank ${this.peerRank.get(a)!}`),
      endpoint: this.endpoint.stats(),
    };
  }

  /** Destroys the endpoint (its segment, channels and held NIC buffers go back). */
  destroy(): void {
    this.owner = undefined;
    this.endpoint.destroy();
  }

  private drop(reason: string): false {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
    return false;
  }
}
