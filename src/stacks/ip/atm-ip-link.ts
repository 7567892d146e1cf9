// AtmIpLink: IPv4 over an AtmNic, RFC 2684 LLC/SNAP encapsulation (routed non-ISO PDUs), with a
// configured next-hop-address -> circuit table (the static mapping RFC 2225 allows in place of
// ATMARP). The IP side of an IpHost or a Router interface whose NIC is an AtmNic.
//
// Contract:
// - Circuits: map(address, vc) says that next hop `address` is reached on NIC circuit `vc`
//   (a PVC the caller opened with nic.openVc, or an SVC's circuit once it is set up); unmap()
//   forgets it. Several addresses may share a circuit. API misuse throws NetloomError.
// - Send: send(frame, nextHop) takes ownership of a frame holding one IPv4 datagram at its head
//   (the owner pushed the IPv4 header; at least 8 bytes of headroom left), pushes the 8-byte
//   LLC/SNAP header (AA-AA-03 00-00-00 08-00) and hands the frame to nic.send(vc): one AAL5
//   CPCS-PDU per datagram. No circuit for the next hop: released, counted NO_CIRCUIT. The NIC's
//   own refusals (queue full, too long...) are the NIC's counted drops. Broadcast and multicast
//   have no circuit either (no MARS/LANE here): sendGroup releases them, the owner counts them.
// - Receive (AtmReceiver): a PDU from any open circuit whose LLC/SNAP header says IPv4 is
//   copied once out of the reassembly buffer (the buffer goes back to the NIC at once) into a
//   new frame with `headroom` bytes in front, tagged with the birth and flow of the cell train
//   that ended it (AtmNic.rxTrain), and handed to owner.linkInput (released unless kept).
//   Bad header / other EtherType / too long for a slot / no slot: dropped, counted by reason.
// - As an IpLink (ip-link.ts): allocFrame/releaseFrame are plain frame slots with `headroom`
//   in front, consume() releases a received frame, sendGroup refuses; default MTU 9180, at
//   most nic.maxPdu - 8.
// - No allocation per datagram (one Map lookup per send, one copy per receive).
// - Not handled: VC multiplexing (null encapsulation), ATMARP (RFC 2225 InATMARP), bridged PDUs,
//   broadcast/multicast emulation.

import { ErrorCode, NetloomError, checkInteger } from "../../base/errors.js";
import { NO_FRAME } from "../../buf/frames.js";
import type { AtmNic } from "../../devices/atm-nic.js";
import type { AtmReceiver } from "../../devices/atm-nic-receive.js";
import type { Simulation } from "../../engine/simulation.js";
import { ETHERTYPE_IPV4 } from "../../wire/ethernet.js";
import { LLC_SNAP_HEADER_LEN, llcSnapEtherType, writeLlcSnap } from "../../wire/llc-snap.js";
import { ipv4FromString, ipv4ToString } from "../../wire/ipv4.js";
import type { IpLink, IpLinkOwner } from "./ip-link.js";

/** RFC 2225 section 5: the default IP MTU on an ATM LIS. */
export const ATM_IP_MTU = 9180;

export interface AtmIpStats {
  txPdus: number;
  rxPdus: number;
  /** Drops by reason: NO_CIRCUIT, LLC_SNAP_BAD, NOT_IPV4, TOO_LONG, NO_SLOT. */
  drops: Record<string, number>;
  /** "10.0.0.2 -> vc 3", in the order the mapping was made. */
  circuits: string[];
}

export class AtmIpLink implements AtmReceiver, IpLink {
  readonly kind = "atm";
  readonly nic: AtmNic;
  readonly defaultMtu: number;
  readonly maxMtu: number;
  private readonly sim: Simulation;
  private readonly owner: IpLinkOwner;
  private readonly headroom: number;
  private readonly u8: Uint8Array;
  private readonly circuits = new Map<number, number>();
  private txPdus = 0;
  private rxPdus = 0;
  private readonly drops: Record<string, number> = {};

  /** `headroom`: bytes left in front of received datagrams (the owner's own HEADROOM). */
  constructor(nic: AtmNic, owner: IpLinkOwner, headroom: number) {
    if (headroom < LLC_SNAP_HEADER_LEN) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `headroom ${headroom} cannot hold the 8-byte LLC/SNAP header`,
        { path: "headroom" },
      );
    }
    this.nic = nic;
    this.sim = nic.sim;
    this.owner = owner;
    this.headroom = headroom;
    this.u8 = nic.sim.runtime.u8;
    this.maxMtu = nic.maxPdu - LLC_SNAP_HEADER_LEN;
    this.defaultMtu = Math.min(ATM_IP_MTU, this.maxMtu);
    nic.setReceiver(this);
  }

  /** IpLink: a plain frame slot with `headroom` in front and `length` payload bytes, or NO_FRAME. */
  allocFrame(length: number): number {
    const frames = this.sim.frames;
    const f = frames.alloc(this.headroom, this.sim.now);
    if (f !== NO_FRAME) frames.setLength(f, length);
    return f;
  }

  releaseFrame(frame: number): void {
    this.sim.frames.release(frame);
  }

  /** IpLink: received frames are the owner's own copies (see deliver). */
  consume(frame: number): void {
    this.sim.frames.release(frame);
  }

  /** Next hop `address` is on NIC circuit `vc` (replaces an earlier mapping of that address). */
  map(address: string | number, vc: number, path = "address"): void {
    const a = typeof address === "string" ? ipv4FromString(address, path) : address >>> 0;
    checkInteger("vc", vc, 0, this.nic.maxVcs - 1);
    this.circuits.set(a, vc);
  }

  /** Forgets the circuit of `address`; false when it had none. */
  unmap(address: string | number): boolean {
    return this.circuits.delete(typeof address === "string" ? ipv4FromString(address, "address") : address >>> 0);
  }

  /** The circuit of next hop `address`, or -1. */
  circuitOf(address: number): number {
    return this.circuits.get(address >>> 0) ?? -1;
  }

  /** Sends the IPv4 datagram at the head of `frame` to `nextHop`; takes the frame. */
  send(frame: number, nextHop: number): boolean {
    const vc = this.circuits.get(nextHop >>> 0);
    const frames = this.sim.frames;
    if (vc === undefined) {
      frames.release(frame);
      return this.drop("NO_CIRCUIT");
    }
    writeLlcSnap(this.u8, frames.push(frame, LLC_SNAP_HEADER_LEN), ETHERTYPE_IPV4);
    this.txPdus++;
    return this.nic.send(vc, frame);
  }

  /** IpLink: no group has a circuit; the frame is released. */
  sendGroup(frame: number, _group: number): boolean {
    this.sim.frames.release(frame);
    return false;
  }

  /** AtmReceiver: one PDU, copied into a frame; the NIC's buffer is returned at once. */
  deliver(_vc: number, ptr: number, length: number, _uu: number): boolean {
    const type = llcSnapEtherType(this.u8, ptr, length);
    if (type < 0) return this.drop("LLC_SNAP_BAD");
    if (type !== ETHERTYPE_IPV4) return this.drop("NOT_IPV4");
    const frames = this.sim.frames;
    const n = length - LLC_SNAP_HEADER_LEN;
    if (this.headroom + n > frames.pool.slotBytes) return this.drop("TOO_LONG");
    const train = this.nic.rxTrain;
    const f =
      train === NO_FRAME
        ? frames.alloc(this.headroom, this.sim.now)
        : frames.alloc(this.headroom, frames.birth[train]!, frames.flow[train]!);
    if (f === NO_FRAME) return this.drop("NO_SLOT");
    frames.setLength(f, n);
    this.sim.runtime.copy(frames.offset(f), ptr + LLC_SNAP_HEADER_LEN, n);
    this.rxPdus++;
    if (!this.owner.linkInput(f, frames.offset(f), n)) frames.release(f);
    return false;
  }

  stats(): AtmIpStats {
    return {
      txPdus: this.txPdus,
      rxPdus: this.rxPdus,
      drops: { ...this.drops },
      circuits: [...this.circuits].map(([a, vc]) => `${ipv4ToString(a)} -> vc ${vc}`),
    };
  }

  /** Stops receiving (the NIC keeps its circuits). */
  detach(): void {
    this.nic.setReceiver(undefined);
  }

  private drop(reason: string): false {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
    return false;
  }
}
