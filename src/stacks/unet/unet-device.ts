// UnetDevice: the emulated U-Net NIC firmware on one host's NIC (an AtmNic or an EthernetNic):
// the channel table, the receive demultiplexer that drops each message straight into the
// right endpoint, and the transmit side that takes messages out of an endpoint's segment.
//
// Contract:
// - One device per NIC; it owns the NIC's receiver (setReceiver). Endpoints (unet-endpoint.ts)
//   attach to it; each channel is a row of the device's bounded channel table (maxChannels,
//   default 64), bound to one endpoint and one peer:
//     ATM:      a VC (vpi, vci) opened on the AtmNic; the VCI is the channel (no header).
//     Ethernet: (tag, peer MAC, remoteTag): frames of the device's EtherType (0x88B6 by
//               default) whose U-Net header (unet-wire.ts) carries `tag` and whose source MAC
//               is the peer's belong to the channel; sends carry `remoteTag`.
//   openChannel() (called by the endpoint's registration, a system call it charges) adds the
//   row in state Registering; the endpoint marks it Open when its registration job is done.
//   Duplicate VCI/tag or a full table throw NetloomError (setup misuse, not a hot path).
// - Receive, per message, no host CPU (the firmware runs on the NIC): ATM PDUs arrive from the
//   AtmNic zero-copy in its reassembly buffer; Ethernet frames in the NIC's receive buffer.
//   Dropped and counted (never thrown): unknownChannel (no channel row, or not Open, or an
//   Ethernet frame from a MAC the channel is not bound to), otherEtherType, badHeader (U-Net
//   header truncated/bad version). Cells on a VCI the AtmNic never opened are dropped by the
//   NIC's own VCI lookup (its unknownVc, in cells; reported here as nicUnknownVcCells). A
//   message for an Open channel goes to the endpoint (deposit), which keeps the NIC buffer
//   (ATM: returnBuffer(ptr) later; Ethernet: consume(frame) later) or refuses it (it is given
//   back at once): free queue empty, receive queue full. During a deposit, rxBirth(handle)
//   reads the birth tag of the sender's frame (ATM: the cell train that ended the PDU).
// - Transmit: transmit(ch, frame) puts the message on the wire. The endpoint keeps its
//   reference to the segment buffer: the NIC's read of it is the one place bytes move, as a
//   real NIC DMAs them (ATM: AAL5 segmentation of the segment buffer into cells; Ethernet: the
//   NIC's copy of the segment buffer into its transmit frame, frames.writable() on the shared
//   slot). Those are counted as nicDmaBytes, never as host copies. Returns when the NIC has
//   finished reading the buffer (ATM: its last cell leaves; Ethernet: at once, the NIC made
//   its own copy), or -1 when the NIC refused it (counted nicRefused). txDelay() says how long
//   to leave a message on the send queue before the ATM NIC's transmit backlog has room.
// - No allocation per message; one Map lookup per Ethernet frame (tag -> channel).
// Not handled: several devices on one NIC, broadcast channels, switched-circuit signalling.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { AtmNic } from "../../devices/atm-nic.js";
import type { EthernetNic } from "../../devices/nic.js";
import type { Simulation } from "../../engine/simulation.js";
import { ETH_FCS_LEN, ETH_HEADER_LEN, isGroupMac, macFromString, readMac, writeMac } from "../../wire/ethernet.js";
import { readU16, writeU16 } from "../../wire/byte-view.js";
import { NO_FRAME } from "../../buf/frames.js";
import { UNET_ETHERTYPE, UNET_HEADER_LEN, UnetHeaderView, UnetParseError } from "./unet-wire.js";

export type UnetNic = AtmNic | EthernetNic;

/** A channel's address: an ATM VC, or an Ethernet (tag, peer MAC, peer's tag). */
export type UnetChannelSpec = { vpi?: number; vci: number } | { mac: number | string; tag: number; remoteTag: number };

export const UnetChannelState = { Free: 0, Registering: 1, Open: 2 } as const;
export type UnetChannelState = (typeof UnetChannelState)[keyof typeof UnetChannelState];

/** What a device needs from an endpoint (implemented by UnetEndpoint). */
export interface UnetDepositTarget {
  /**
   * A message for channel `ch` at u8[ptr, ptr + length) in a NIC buffer named by `handle`
   * (ATM: the buffer pointer; Ethernet: the frame id). True = the endpoint keeps the buffer
   * and gives it back through device.freeBuffer(handle) later.
   */
  deposit(ch: number, ptr: number, length: number, handle: number): boolean;
}

export interface UnetDeviceOptions {
  nic: UnetNic;
  /** Channel table rows (default 64). */
  maxChannels?: number;
  /** EtherType of U-Net frames on Ethernet (default 0x88B6). */
  etherType?: number;
}

export interface UnetDeviceStats {
  kind: "atm" | "ethernet";
  rxMessages: number;
  txMessages: number;
  nicDmaBytes: number;
  drops: { unknownChannel: number; otherEtherType: number; badHeader: number; nicRefused: number };
  /** ATM: cells the AtmNic dropped for a VPI/VCI it has not opened. */
  nicUnknownVcCells: number;
}

export const DEFAULT_UNET_CHANNELS = 64;

export class UnetDevice {
  readonly name: string;
  readonly sim: Simulation;
  readonly nic: UnetNic;
  readonly kind: "atm" | "ethernet";
  readonly etherType: number;
  /** Bytes the device writes in front of a message (Ethernet + U-Net headers; 0 on ATM). */
  readonly headroom: number;
  /** Largest message the NIC carries in one PDU/frame. */
  readonly maxMessage: number;
  /** Smallest message (ATM: 1, the AtmNic sends no empty PDU; Ethernet: 0). */
  readonly minMessage: number;
  readonly maxChannels: number;
  private readonly atm: AtmNic | undefined;
  private readonly eth: EthernetNic | undefined;
  private readonly u8: Uint8Array;
  // Channel table.
  private readonly chState: Uint8Array;
  private readonly chTarget: (UnetDepositTarget | undefined)[];
  private readonly chVc: Int32Array;
  private readonly chPeerMac: Float64Array;
  private readonly chTag: Int32Array;
  private readonly chRemoteTag: Int32Array;
  /** ATM circuit index -> channel (-1: none). */
  private readonly vcChannel: Int32Array;
  /** Ethernet rx tag -> channel. */
  private readonly tagChannel = new Map<number, number>();
  private readonly view = new UnetHeaderView(new Uint8Array(0));
  private readonly c = {
    rxMessages: 0,
    txMessages: 0,
    nicDmaBytes: 0,
    unknownChannel: 0,
    otherEtherType: 0,
    badHeader: 0,
    nicRefused: 0,
  };
  private destroyed = false;

  constructor(sim: Simulation, name: string, options: UnetDeviceOptions) {
    const max = options.maxChannels ?? DEFAULT_UNET_CHANNELS;
    if (!Number.isInteger(max) || max < 1 || max > 4096) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(max)} is not a channel table size (1 to 4096)`, {
        path: `${name}.maxChannels`,
      });
    }
    const et = options.etherType ?? UNET_ETHERTYPE;
    if (!Number.isInteger(et) || et < 0x0600 || et > 0xffff) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(et)} is not an EtherType (0x0600 to 0xffff)`, {
        path: `${name}.etherType`,
      });
    }
    this.sim = sim;
    this.name = name;
    this.nic = options.nic;
    this.etherType = et;
    this.maxChannels = max;
    this.u8 = sim.runtime.u8;
    this.chState = new Uint8Array(max);
    this.chTarget = new Array<UnetDepositTarget | undefined>(max).fill(undefined);
    this.chVc = new Int32Array(max).fill(-1);
    this.chPeerMac = new Float64Array(max);
    this.chTag = new Int32Array(max).fill(-1);
    this.chRemoteTag = new Int32Array(max);
    this.view.wrap(this.u8, 0, 0);
    if (options.nic instanceof AtmNic) {
      const nic = options.nic;
      this.kind = "atm";
      this.atm = nic;
      this.eth = undefined;
      this.headroom = 0;
      this.maxMessage = nic.maxPdu;
      this.minMessage = 1;
      this.vcChannel = new Int32Array(nic.maxVcs).fill(-1);
      nic.setReceiver({ deliver: (vc, ptr, length) => this.onPdu(vc, ptr, length) });
    } else {
      const nic = options.nic;
      this.kind = "ethernet";
      this.atm = undefined;
      this.eth = nic;
      this.headroom = ETH_HEADER_LEN + UNET_HEADER_LEN;
      this.maxMessage = nic.mtu - UNET_HEADER_LEN;
      this.minMessage = 0;
      this.vcChannel = new Int32Array(0);
      nic.setReceiver({ onFrame: (_nic, frame) => this.onFrame(frame) });
    }
  }

  // --- channel table (setup path: may throw) ---

  /** Adds a channel row for `target` (state Registering); returns its index. */
  openChannel(target: UnetDepositTarget, spec: UnetChannelSpec, path: string): number {
    if (this.destroyed) throw new NetloomError(ErrorCode.USE_AFTER_FREE, `${this.name} was destroyed`, { path });
    let ch = -1;
    for (let i = 0; i < this.maxChannels; i++) {
      if (this.chState[i] === UnetChannelState.Free) {
        ch = i;
        break;
      }
    }
    if (ch < 0)
      throw new NetloomError(ErrorCode.TABLE_FULL, `${this.name} has all ${this.maxChannels} channels in use`, {
        path,
      });
    if (this.atm !== undefined) {
      if (!("vci" in spec))
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "an ATM channel needs a vci (and vpi)", { path });
      // openVc checks the ranges and refuses a VC already open: the same VCI cannot name two channels.
      const vc = this.atm.openVc(spec.vpi ?? 0, spec.vci);
      this.chVc[ch] = vc;
      this.vcChannel[vc] = ch;
    } else {
      if (!("tag" in spec))
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "an Ethernet channel needs mac, tag and remoteTag", {
          path,
        });
      const mac = typeof spec.mac === "string" ? macFromString(spec.mac, `${path}.mac`) : spec.mac;
      if (!Number.isInteger(mac) || mac < 0 || mac >= 2 ** 48 || isGroupMac(mac)) {
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(spec.mac)} is not a unicast MAC address`, {
          path: `${path}.mac`,
        });
      }
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
      if (this.tagChannel.has(spec.tag)) {
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `tag ${spec.tag} is already a channel of ${this.name}`, {
          path: `${path}.tag`,
        });
      }
      this.chPeerMac[ch] = mac;
      this.chTag[ch] = spec.tag;
      this.chRemoteTag[ch] = spec.remoteTag;
      this.tagChannel.set(spec.tag, ch);
    }
    this.chState[ch] = UnetChannelState.Registering;
    this.chTarget[ch] = target;
    return ch;
  }

  /** The registration of `ch` is done: the firmware now accepts and sends its messages. */
  markOpen(ch: number): void {
    if (this.chState[ch] === UnetChannelState.Registering) this.chState[ch] = UnetChannelState.Open;
  }

  channelState(ch: number): UnetChannelState {
    return this.chState[ch] as UnetChannelState;
  }

  /** Removes a channel row (its VC is closed on ATM). */
  closeChannel(ch: number): void {
    if (this.chState[ch] === UnetChannelState.Free) return;
    if (this.atm !== undefined) {
      const vc = this.chVc[ch]!;
      this.vcChannel[vc] = -1;
      if (!this.destroyed) this.atm.closeVc(vc);
      this.chVc[ch] = -1;
    } else {
      this.tagChannel.delete(this.chTag[ch]!);
      this.chTag[ch] = -1;
    }
    this.chState[ch] = UnetChannelState.Free;
    this.chTarget[ch] = undefined;
  }

  // --- receive (hot path: never throws) ---

  private onPdu(vc: number, ptr: number, length: number): boolean {
    const ch = vc < this.vcChannel.length ? this.vcChannel[vc]! : -1;
    if (ch < 0 || this.chState[ch] !== UnetChannelState.Open) {
      this.c.unknownChannel++;
      return false;
    }
    this.c.rxMessages++;
    return this.chTarget[ch]!.deposit(ch, ptr, length, ptr);
  }

  private onFrame(frame: number): void {
    const nic = this.eth!;
    const frames = this.sim.frames;
    const u8 = this.u8;
    const off = frames.offset(frame);
    const wire = frames.length[frame]! - ETH_FCS_LEN;
    if (wire < ETH_HEADER_LEN || readU16(u8, off + 12) !== this.etherType) {
      this.c.otherEtherType++;
      nic.consume(frame);
      return;
    }
    const v = this.view.wrap(u8, off + ETH_HEADER_LEN, wire - ETH_HEADER_LEN);
    if (v.checkLength() !== UnetParseError.OK) {
      this.c.badHeader++;
      nic.consume(frame);
      return;
    }
    const ch = this.tagChannel.get(v.channel) ?? -1;
    if (ch < 0 || this.chState[ch] !== UnetChannelState.Open || readMac(u8, off + 6) !== this.chPeerMac[ch]) {
      this.c.unknownChannel++;
      nic.consume(frame);
      return;
    }
    this.c.rxMessages++;
    if (!this.chTarget[ch]!.deposit(ch, v.messageOffset, v.messageLength, frame)) nic.consume(frame);
  }

  /**
   * During a deposit: the birth tag of the sender's frame (ATM: of the cell train that ended
   * the PDU; Ethernet: of the received frame `handle`). Emulator metadata, not bytes.
   */
  rxBirth(handle: number): number {
    const frames = this.sim.frames;
    if (this.atm !== undefined) {
      const train = this.atm.rxTrain;
      return train === NO_FRAME ? this.sim.now : frames.birth[train]!;
    }
    return frames.birth[handle]!;
  }

  /** Gives a kept receive buffer back to the NIC (the free hook of a U-Net receive buffer). */
  freeBuffer(handle: number): void {
    if (this.destroyed) return;
    if (this.atm !== undefined) this.atm.returnBuffer(handle);
    else this.eth!.consume(handle);
  }

  // --- transmit ---

  /**
   * Virtual ns until the NIC can take a `length`-byte message without refusing it for a full
   * transmit backlog (0 = now). The firmware leaves the descriptor on the send queue meanwhile,
   * as U-Net's does while the NIC's cell buffers are full. ATM only (Ethernet: the link queues).
   */
  txDelay(length: number): number {
    const nic = this.atm;
    if (nic === undefined || this.destroyed) return 0;
    const clock = nic.cellClock;
    if (clock === undefined) return 0;
    const excess = nic.txBacklog() + Math.ceil((length + 8) / 48) - nic.txQueueLimit;
    return excess <= 0 ? 0 : Math.ceil((excess * clock.num) / clock.den);
  }

  /**
   * Sends the message in segment buffer `frame` (the endpoint keeps its reference) on `ch`.
   * Returns the time the NIC has finished reading the buffer, or -1 when it refused it.
   */
  transmit(ch: number, frame: number): number {
    const frames = this.sim.frames;
    const now = this.sim.now;
    const len = frames.length[frame]!;
    if (this.destroyed || this.chState[ch] !== UnetChannelState.Open) {
      this.c.nicRefused++;
      return -1;
    }
    frames.retain(frame);
    if (this.atm !== undefined) {
      if (!this.atm.send(this.chVc[ch]!, frame)) {
        this.c.nicRefused++;
        return -1;
      }
      this.c.txMessages++;
      this.c.nicDmaBytes += len;
      return this.atm.txBusyUntil();
    }
    const u8 = this.u8;
    const h = frames.push(frame, UNET_HEADER_LEN);
    u8[h] = 1 << 4;
    u8[h + 1] = 0;
    writeU16(u8, h + 2, this.chRemoteTag[ch]!);
    writeU16(u8, h + 4, len);
    u8[h + 6] = 0;
    u8[h + 7] = 0;
    const e = frames.push(frame, ETH_HEADER_LEN);
    writeMac(u8, e, this.chPeerMac[ch]!);
    writeMac(u8, e + 6, this.eth!.mac);
    writeU16(u8, e + 12, this.etherType);
    // The segment buffer is shared now, so the NIC copies it into its own frame (its DMA).
    const ok = this.eth!.send(frame);
    frames.pop(frame, ETH_HEADER_LEN + UNET_HEADER_LEN);
    if (!ok) {
      this.c.nicRefused++;
      return -1;
    }
    this.c.txMessages++;
    this.c.nicDmaBytes += len + ETH_HEADER_LEN + UNET_HEADER_LEN;
    return now;
  }

  stats(): UnetDeviceStats {
    const c = this.c;
    return {
      kind: this.kind,
      rxMessages: c.rxMessages,
      txMessages: c.txMessages,
      nicDmaBytes: c.nicDmaBytes,
      drops: {
        unknownChannel: c.unknownChannel,
        otherEtherType: c.otherEtherType,
        badHeader: c.badHeader,
        nicRefused: c.nicRefused,
      },
      nicUnknownVcCells: this.atm !== undefined ? this.atm.stats().unknownVc : 0,
    };
  }

  /** Closes every channel and gives the NIC its default receiver back. */
  destroy(): void {
    if (this.destroyed) return;
    for (let ch = 0; ch < this.maxChannels; ch++) this.closeChannel(ch);
    this.destroyed = true;
    if (this.atm !== undefined) this.atm.setReceiver(undefined);
    else this.eth!.setReceiver(undefined);
  }
}
