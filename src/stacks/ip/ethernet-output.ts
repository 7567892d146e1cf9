// EthernetOutput: the Ethernet side of IP output, shared by hosts and routers (one per
// device, reused for every frame: no allocation per packet).
//
// Contract:
// - pushEthernet() puts an Ethernet II header (dst, src, type) in front of a frame's bytes by
//   moving its head into the headroom; the NIC pads and appends the FCS when it sends.
// - sendArp() builds an ARP packet in a new frame and hands it to the NIC (ownership moves).
//   It returns false, sending nothing, when no frame slot is free: the caller counts that
//   drop in its own statistics.

import { NO_FRAME } from "../../buf/frames.js";
import type { EthernetNic } from "../../devices/nic.js";
import type { Simulation } from "../../engine/simulation.js";
import { ARP_LEN, ArpView, createArpRepr, emitArp, type ArpRepr } from "../../wire/arp.js";
import { ETHERTYPE_ARP, ETH_HEADER_LEN, writeMac } from "../../wire/ethernet.js";

export class EthernetOutput {
  private readonly sim: Simulation;
  private readonly u8: Uint8Array;
  private readonly headroom: number;
  private readonly arpView = new ArpView(new Uint8Array(0));
  private readonly arpRepr: ArpRepr = createArpRepr();

  /** `headroom`: bytes reserved in front of new frames (Ethernet and what rides above it). */
  constructor(sim: Simulation, headroom: number) {
    this.sim = sim;
    this.u8 = sim.runtime.u8;
    this.headroom = headroom;
  }

  pushEthernet(frame: number, dstMac: number, srcMac: number, etherType: number): void {
    const at = this.sim.frames.push(frame, ETH_HEADER_LEN);
    const u8 = this.u8;
    writeMac(u8, at, dstMac);
    writeMac(u8, at + 6, srcMac);
    u8[at + 12] = etherType >>> 8;
    u8[at + 13] = etherType & 0xff;
  }

  /** Sends an ARP packet from (senderMac, senderIp) on `nic`; false when no frame slot was free. */
  sendArp(
    nic: EthernetNic,
    senderMac: number,
    senderIp: number,
    op: number,
    targetMac: number,
    targetIp: number,
    ethDst: number,
  ): boolean {
    const frames = this.sim.frames;
    const f = frames.alloc(this.headroom, this.sim.now);
    if (f === NO_FRAME) return false;
    frames.setLength(f, ARP_LEN);
    const r = this.arpRepr;
    r.operation = op;
    r.senderMac = senderMac;
    r.senderIp = senderIp;
    r.targetMac = targetMac;
    r.targetIp = targetIp;
    emitArp(r, this.arpView.wrap(this.u8, frames.offset(f), ARP_LEN));
    this.pushEthernet(f, ethDst, senderMac, ETHERTYPE_ARP);
    nic.send(f);
    return true;
  }
}
