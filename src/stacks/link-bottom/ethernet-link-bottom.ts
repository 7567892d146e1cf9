// EthernetLinkBottom: the LinkBottom of an EthernetNic. A PDU is the payload of an Ethernet II
// frame of the bottom's EtherType (FCS added by the NIC), at most the MTU.
//
// Contract:
// - demux "driver" (a plain NIC; the accelerator): one circuit, 0, to one peer MAC. Every frame
//   the NIC accepts comes up on circuit 0 unchecked, as a plain NIC interrupts for each; the
//   host driver's takeFrame() checks the length and EtherType (LinkTake.FOREIGN otherwise).
// - demux "firmware" (U-Net's NIC firmware): circuits are U-Net channels (unet-wire.ts): the
//   frame carries a channel header with the receiver's tag after the Ethernet header, so
//   headroom is 14 + 8 and maxPdu the MTU less 8. The NIC drops, before any host work, frames
//   of another EtherType (stats().foreign) and bad channel headers (badHeader); a frame whose
//   tag names no circuit, or whose source MAC is not the circuit's peer, comes up on
//   NO_CIRCUIT. onPdu's ptr/length are the message after the channel header.
// - Handles are frame ids: freeBuffer() and a refused onPdu consume() the frame at the NIC.
// - The NIC copies a shared frame when it sends it (its DMA), so txBusyUntil() is now.
// Not handled: VLAN tags, group addresses, several bottoms on one NIC.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { type FrameStore, NO_FRAME } from "../../buf/frames.js";
import type { EthernetNic } from "../../devices/nic.js";
import type { Simulation } from "../../engine/simulation.js";
import { readU16, writeU16 } from "../../wire/byte-view.js";
import { ETH_FCS_LEN, ETH_HEADER_LEN, readMac, writeMac } from "../../wire/ethernet.js";
import {
  UNET_HEADER_LEN,
  UnetHeaderView,
  UnetParseError,
  createUnetHeaderRepr,
  emitUnetHeader,
} from "../unet/unet-wire.js";
import {
  type LinkBottom,
  type LinkBottomStats,
  type LinkCircuitSpec,
  type LinkReceiver,
  LinkTake,
  NO_CIRCUIT,
  checkUnicastMac,
} from "./link-bottom.js";

export type EthernetDemux = "driver" | "firmware";

export interface EthernetLinkBottomOptions {
  /** The owner's name (errors say "tag 5 is already a channel of <name>"). */
  name: string;
  etherType: number;
  demux: EthernetDemux;
  /** Circuit table size (firmware; the driver has one circuit). */
  circuits?: number;
  /** Largest payload (default the NIC's MTU). */
  mtu?: number;
}

export class EthernetLinkBottom implements LinkBottom {
  readonly medium = "ethernet" as const;
  readonly nic: EthernetNic;
  readonly sim: Simulation;
  readonly name: string;
  readonly etherType: number;
  readonly demux: EthernetDemux;
  readonly headroom: number;
  readonly maxPdu: number;
  readonly minPdu = 0;
  readonly exactLength = false;
  private readonly frames: FrameStore;
  private readonly u8: Uint8Array;
  private readonly peerMac: Float64Array;
  private readonly localTag: Int32Array;
  private readonly remoteTag: Int32Array;
  /** Firmware: rx tag -> circuit. */
  private readonly tagCircuit = new Map<number, number>();
  private readonly view = new UnetHeaderView(new Uint8Array(0));
  private readonly txView = new UnetHeaderView(new Uint8Array(0));
  private readonly txRepr = createUnetHeaderRepr();
  private receiver: LinkReceiver | undefined;
  private foreign = 0;
  private badHeader = 0;

  constructor(nic: EthernetNic, options: EthernetLinkBottomOptions) {
    const tagged = options.demux === "firmware";
    const circuits = tagged ? (options.circuits ?? 1) : 1;
    this.nic = nic;
    this.sim = nic.sim;
    this.name = options.name;
    this.etherType = options.etherType;
    this.demux = options.demux;
    this.frames = nic.sim.frames;
    this.u8 = nic.sim.runtime.u8;
    this.headroom = ETH_HEADER_LEN + (tagged ? UNET_HEADER_LEN : 0);
    this.maxPdu = (options.mtu ?? nic.mtu) - (tagged ? UNET_HEADER_LEN : 0);
    this.peerMac = new Float64Array(circuits);
    this.localTag = new Int32Array(circuits).fill(-1);
    this.remoteTag = new Int32Array(circuits);
    this.view.wrap(this.u8, 0, 0);
    this.txView.wrap(this.u8, 0, 0);
  }

  // --- circuits (setup: may throw) ---

  openCircuit(c: number, spec: LinkCircuitSpec, path: string): void {
    if (this.demux === "driver") {
      if (!("mac" in spec))
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "an Ethernet circuit needs the peer's mac", { path });
      this.peerMac[c] = checkUnicastMac(spec.mac, `${path}.mac`);
      return;
    }
    if (!("tag" in spec))
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "an Ethernet channel needs mac, tag and remoteTag", {
        path,
      });
    const mac = checkUnicastMac(spec.mac, `${path}.mac`);
    for (const [key, v] of [
      ["tag", spec.tag],
      ["remoteTag", spec.remoteTag],
    ] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffff) {
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(v)} is not a channel tag (0 to 65535)`, {
          path: `${path}.${key}`,
        });
      }
    }
    if (this.tagCircuit.has(spec.tag)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `tag ${spec.tag} is already a channel of ${this.name}`, {
        path: `${path}.tag`,
      });
    }
    this.peerMac[c] = mac;
    this.localTag[c] = spec.tag;
    this.remoteTag[c] = spec.remoteTag;
    this.tagCircuit.set(spec.tag, c);
  }

  closeCircuit(c: number): void {
    if (this.localTag[c]! < 0) return;
    this.tagCircuit.delete(this.localTag[c]!);
    this.localTag[c] = -1;
  }

  circuitAddresses(c: number, local: Uint8Array, peer: Uint8Array): void {
    writeMac(local, 0, this.nic.mac);
    writeMac(peer, 0, this.peerMac[c]!);
  }

  isPeerAddress(c: number, bytes: Uint8Array): boolean {
    return bytes.length === 6 && readMac(bytes, 0) === this.peerMac[c];
  }

  // --- send ---

  pushHeader(frame: number, c: number): void {
    const frames = this.frames;
    const u8 = this.u8;
    if (this.demux === "firmware") {
      const repr = this.txRepr;
      repr.channel = this.remoteTag[c]!;
      repr.length = frames.length[frame]!;
      const h = frames.push(frame, UNET_HEADER_LEN);
      emitUnetHeader(repr, this.txView.wrap(u8, h, UNET_HEADER_LEN + repr.length));
    }
    const e = frames.push(frame, ETH_HEADER_LEN);
    writeMac(u8, e, this.peerMac[c]!);
    writeMac(u8, e + 6, this.nic.mac);
    writeU16(u8, e + 12, this.etherType);
  }

  send(_c: number, frame: number): boolean {
    return this.nic.send(frame);
  }

  txBusyUntil(): number {
    return this.sim.now;
  }

  txDelay(_length: number): number {
    return 0;
  }

  // --- receive (hot path: never throws) ---

  attach(receiver: LinkReceiver): void {
    this.receiver = receiver;
    this.nic.setReceiver({
      onFrame:
        this.demux === "firmware" ? (_nic, frame) => this.onFirmwareFrame(frame) : (_nic, frame) => this.onFrame(frame),
    });
  }

  detach(): void {
    this.receiver = undefined;
    this.nic.setReceiver(undefined);
  }

  private onFrame(frame: number): void {
    const frames = this.frames;
    const ptr = frames.offset(frame) + ETH_HEADER_LEN;
    const length = frames.length[frame]! - ETH_FCS_LEN - ETH_HEADER_LEN;
    if (!this.receiver!.onPdu(0, ptr, length, frame)) this.nic.consume(frame);
  }

  private onFirmwareFrame(frame: number): void {
    const nic = this.nic;
    const u8 = this.u8;
    const off = this.frames.offset(frame);
    const wire = this.frames.length[frame]! - ETH_FCS_LEN;
    if (wire < ETH_HEADER_LEN || readU16(u8, off + 12) !== this.etherType) {
      this.foreign++;
      nic.consume(frame);
      return;
    }
    const v = this.view.wrap(u8, off + ETH_HEADER_LEN, wire - ETH_HEADER_LEN);
    if (v.checkLength() !== UnetParseError.OK) {
      this.badHeader++;
      nic.consume(frame);
      return;
    }
    let c = this.tagCircuit.get(v.channel) ?? NO_CIRCUIT;
    if (c !== NO_CIRCUIT && readMac(u8, off + 6) !== this.peerMac[c]) c = NO_CIRCUIT;
    if (!this.receiver!.onPdu(c, v.messageOffset, v.messageLength, frame)) nic.consume(frame);
  }

  /** The frame itself (the NIC's receive buffer goes back), link header checked and popped. */
  takeFrame(handle: number, length: number): number {
    const frames = this.frames;
    frames.retain(handle);
    this.nic.consume(handle);
    let f = handle;
    if (frames.isShared(f)) {
      f = frames.writable(f);
      if (f === NO_FRAME) {
        frames.release(handle);
        return LinkTake.NO_SLOT;
      }
    }
    const wire = frames.length[f]! - ETH_FCS_LEN;
    if (wire < this.headroom || readU16(this.u8, frames.offset(f) + 12) !== this.etherType) {
      frames.release(f);
      return LinkTake.FOREIGN;
    }
    frames.pop(f, this.headroom);
    frames.setLength(f, length);
    return f;
  }

  freeBuffer(handle: number): void {
    this.nic.consume(handle);
  }

  rxBirth(handle: number): number {
    return this.frames.birth[handle]!;
  }

  stats(): LinkBottomStats {
    return {
      medium: this.medium,
      foreign: this.foreign,
      badHeader: this.badHeader,
      nicUnknownCircuitCells: 0,
      rxCopyBytes: 0,
    };
  }
}
