// UnetIpLink: IPv4 over a U-Net endpoint (Birman ch. 8.4: "versions of UDP and TCP have been
// layered over U-Net"). The IpHost's link seam (IpLink, ip-host.ts) on a UnetEndpoint of its
// own, so the host's IP, UDP, ICMP and TCP (TcpLayer) run at user level: no system call and no
// kernel on the data path, only the endpoint's queues and the NIC firmware (unet-device.ts).
//
// Contract:
// - Setup: new UnetIpLink(sim, name, {device, cpu, peers, ...endpoint options}) creates the
//   endpoint (registration: the endpoint's system calls, as in U-Net) with one channel per
//   next hop: peers maps an IPv4 address to a channel address (ATM: {vpi, vci}, one VC per
//   peer; Ethernet: {mac, tag, remoteTag}); addPeer() adds one later. Then
//   new IpHost(link.nic, {address, link}) attaches the host (once). Send only after the
//   channels are registered (isOpen(address)); before that the firmware drops (counted by the
//   endpoint/device). API misuse throws NetloomError naming the path.
// - Wire, byte for byte (encapsulation, ATM only):
//     ATM "llc-snap" (default): AAL5 PDU = | LLC/SNAP AA-AA-03 00-00-00 08-00 | IPv4 datagram |
//       (RFC 2684 routed PDU, the same bytes as AtmIpLink: captures dissect as IP)
//     ATM "null": AAL5 PDU = | IPv4 datagram |  (RFC 2684 VC multiplexing: the VC says IPv4)
//     Ethernet: | Ethernet II, EtherType of the device (0x88B6) | U-Net header (8: the
//       receiver's channel tag, length) | IPv4 datagram |  (the channel says IPv4: no LLC)
// - MTU: maxMtu = the endpoint's largest message - encapsulation - 8, because the segment
//   buffer's room in front is sized for a UDP + IPv4 header (28) and a TCP segment carries its
//   own header inside the payload (Ethernet 1500: 1484). defaultMtu also fits the IpHost's
//   frame slots (slotBytesForMtu) and, on ATM, RFC 2225's 9180.
// - Send, zero copy: allocFrame(len) hands the host a segment buffer (endpoint.allocMessage)
//   with room for the UDP/IPv4 headers and the LLC/SNAP header; UDP/TCP write their payload and
//   headers into it in place, send() pushes the LLC/SNAP header and endpoint.send(frame, peer)
//   takes it back; the NIC reads it out of the segment (its DMA). A payload larger than one
//   message (the host fragments it, copying each fragment into a segment buffer of its own)
//   gets a plain frame slot, released by releaseFrame. Dropped and counted, never thrown:
//   no channel for the next hop (NO_CHANNEL), segment exhausted (NO_SEGMENT_BUFFER; the host
//   counts NO_SLOT too), a frame not from allocFrame (NOT_SEGMENT_BUFFER), destroyed endpoint
//   (ENDPOINT_DESTROYED); the endpoint's refusals (send queue full, ...) are its own drops.
// - Receive: the endpoint's receive job hands each message to this link (UnetConsumer).
//   LLC/SNAP checked (LLC_SNAP_BAD, NOT_IPV4). Copies happen only where the IpHost needs a
//   frame of its own:
//     Ethernet, message in a NIC receive buffer: none. The buffer is the NIC's receive frame,
//       so the host parses the datagram in place in it; if a UDP mailbox keeps it, the endpoint
//       keeps the buffer off its free queue until the host consumes the frame (consume() ->
//       endpoint.free): an application that does not read fills the free queue, and the
//       firmware then drops (endpoint drops.noFreeBuffer), as U-Net does.
//     ATM (the buffer is AAL5 reassembly memory, not a frame) and inline messages (<= 40
//       bytes, in the descriptor): one copy of the datagram into a new frame slot (counted:
//       stats().rxCopies, bytesCopied), and the receive buffer goes back at once.
//   The birth tag of the sender's frame travels to the datagram (endpoint.messageBirth), so
//   one-way latency works as on the other links.
// - CPU costs (the endpoint's HostCpu; workstation-1995 e.g.): no SYSTEM_CALL, no user/kernel
//   COPY, no INTERRUPT in poll mode. Per message sent: the endpoint's DRIVER (descriptor push)
//   plus CHECKSUM over the datagram (the UDP/TCP and IPv4 checksums read it once); per message
//   received: DRIVER plus CHECKSUM over the datagram, plus COPY of it where the copy above
//   happens. Not charged: the IP/UDP/TCP header processing itself, TCP's copies between its
//   buffers and segments, timers; so the charges are a lower bound on the real user-level work.
// - destroy() destroys the endpoint (every buffer it holds goes back); destroy the IpHost first.
// Not handled: broadcast and multicast (U-Net channels are point to point: the host drops
// group destinations, NO_BROADCAST_ON_UNET), ARP (next hops are configured), several IP
// addresses behind one channel other than by mapping each to it, IP over ATM with a path MTU.

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
    // A TCP segment fills the whole payload (its header is inside it), so the payload limit of
    // a segment buffer (maxMessage) bounds the datagram at maxMessage + 20.
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

  chargeSend(_ep: UnetEndpoint, _frame: number, length: number): void {
    this.cpu.chargeChecksum(length - this.encap);
  }

  chargeReceive(ep: UnetEndpoint, _ptr: number, length: number): void {
    const n = length - this.encap;
    if (n <= 0) return;
    this.cpu.chargeChecksum(n);
    if (this.overAtm || (ep.inline && length <= UNET_INLINE_MAX)) this.cpu.chargeCopy(n);
  }

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
