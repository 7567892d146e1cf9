// The seams of an IPv4 stack: the link an IP stack sends through and receives from (Ethernet
// with ARP, ATM with LLC/SNAP, a U-Net channel), and what the layers above IP (UDP, ICMP, TCP)
// need from the stack. Interfaces and frame-size rules only: every module of the IP stack
// depends on this one, and this one on none of them.
//
// Contract:
// - IpLink: frames to send come from allocFrame (HEADROOM in front, or the link's own buffers)
//   and go out by send(frame, nextHop) or sendGroup(frame, group), which take the frame.
//   Received datagrams go to IpLinkOwner.linkInput; a kept frame comes back through consume().
//   Hot-path methods never throw; drops are counted by the link (or the table its owner gave).
// - IpStackPort: the IP stack as its upper layers see it (one address, frames, sendIp).
// - RxContext: what the receive path knows about a datagram handed up; valid during the call.
// - Frame slots hold HEADROOM + a whole datagram + the FCS (slotBytesForMtu); an MTU whose
//   datagram would not fit is refused (checkMtuFitsSlots) naming the slot size it needs.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import type { AtmNic } from "../../devices/atm-nic.js";
import type { EthernetNic } from "../../devices/nic.js";
import type { Simulation } from "../../engine/simulation.js";
import { ETH_FCS_LEN, ETH_HEADER_LEN } from "../../wire/ethernet.js";
import { IPV4_HEADER_LEN, Ipv4ParseError } from "../../wire/ipv4.js";
import { UDP_HEADER_LEN } from "../../wire/udp.js";

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

const IPV4_ERROR_NAMES: string[] = [];
for (const [name, value] of Object.entries(Ipv4ParseError)) IPV4_ERROR_NAMES[value] = name;

/** The drop reason of a header that parseIpv4Into refused: its Ipv4ParseError name. */
export function ipv4ErrorName(status: number): string {
  return IPV4_ERROR_NAMES[status] ?? `ERROR_${status}`;
}

/** Counters every IpLink reports (AtmIpStats and the U-Net link's stats extend these). */
export interface IpLinkStats {
  txPdus: number;
  rxPdus: number;
  drops: Record<string, number>;
}

/** Who takes received IPv4 datagrams from an IpLink (an IpHost, a Router interface). */
export interface IpLinkOwner {
  /**
   * One IPv4 datagram at u8[at, at + length) in `frame` (not necessarily at its head). True =
   * the owner kept the frame and gives it back with link.consume(frame) (later, or already);
   * false = the link takes it back now.
   */
  linkInput(frame: number, at: number, length: number): boolean;
}

/** The link layer under an IP stack: its whole dependency on the medium. */
export interface IpLink {
  /** Names the link in drop reasons and errors ("ethernet", "atm", "unet"). */
  readonly kind: string;
  /** The NIC underneath. */
  readonly nic: EthernetNic | AtmNic;
  /** MTU when the stack names none, and the largest the link carries. */
  readonly defaultMtu: number;
  readonly maxMtu: number;
  /**
   * A frame with `length` (unwritten) payload bytes and room in front for a UDP and an IPv4
   * header plus the link's own, or NO_FRAME (the link counts why). The stack sends it with
   * send()/sendGroup() or gives it back with releaseFrame().
   */
  allocFrame(length: number): number;
  /** Gives back a frame from allocFrame that will not be sent. */
  releaseFrame(frame: number): void;
  /** Sends the IPv4 datagram at the head of `frame` to unicast `nextHop`; takes the frame. */
  send(frame: number, nextHop: number): boolean;
  /**
   * Sends the datagram to broadcast or class D address `group`; takes the frame. False = the
   * link has no broadcast (the frame is released; the stack counts NO_BROADCAST_ON_<KIND>).
   */
  sendGroup(frame: number, group: number): boolean;
  /** Gives back a received frame that linkInput kept. */
  consume(frame: number): void;
  stats(): IpLinkStats;
  /** Stops delivering to the owner (IpHost.destroy). */
  detach(): void;
}

/** An IpLink built apart from its host, which attaches itself once (IpHost options.link). */
export interface AttachableIpLink extends IpLink {
  attach(owner: IpLinkOwner): void;
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

/** The IP stack as UDP and ICMP use it: one address, frames to fill, datagrams to send. */
export interface IpStackPort {
  readonly name: string;
  readonly sim: Simulation;
  /** The shared Wasm memory the frames live in. */
  readonly u8: Uint8Array;
  /** Source address for a datagram to `dst`. */
  sourceFor(dst: number): number;
  /** True when `payloadLen` bytes plus headroom and FCS fit one frame slot. */
  fitsInFrame(payloadLen: number): boolean;
  /** A frame with HEADROOM in front and `len` payload bytes (unwritten), or NO_FRAME (counted). */
  allocPayloadFrame(len: number): number;
  /** Gives back a received frame a layer kept. */
  consumeFrame(frame: number): void;
  /** Sends the IP payload in `frame` to `dst`; takes the frame. False = dropped now (counted). */
  sendIp(frame: number, protocol: number, dst: number, dontFragment: boolean, multicastTtl?: number): boolean;
  /** Sends an IP payload held in bytes[off, off + len), fragmenting to the MTU. */
  sendIpBytes(
    protocol: number,
    dst: number,
    bytes: Uint8Array,
    off: number,
    len: number,
    dontFragment: boolean,
    multicastTtl?: number,
  ): boolean;
}
