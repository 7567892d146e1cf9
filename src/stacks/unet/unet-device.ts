// UnetDevice: the emulated U-Net NIC firmware on one host's NIC: the channel table, the
// receive demultiplexer that drops each message straight into the right endpoint, and the
// transmit side that takes messages out of an endpoint's segment. The medium is its LinkBottom's
// (link-bottom/): a channel is one of the bottom's circuits (an ATM VC, or on Ethernet a
// (tag, peer MAC, remoteTag) triple carried in U-Net's channel header, unet-wire.ts).
//
// Contract:
// - One device per NIC; it owns the NIC's receiver. Endpoints (unet-endpoint.ts) attach to it;
//   each channel is a row of a bounded table (maxChannels, default 64), bound to one endpoint
//   and one peer. openChannel() (the endpoint's registration system call) adds the row in
//   state Registering; markOpen() makes it Open. Duplicate VCI/tag or a full table throw.
// - Receive, per message, no host CPU (the firmware runs on the NIC). Dropped and counted,
//   never thrown: unknownChannel (no row, not Open, or an Ethernet frame from a MAC the channel
//   is not bound to), otherEtherType and badHeader (the bottom's checks); cells on a VCI the
//   AtmNic never opened are the NIC's own drops (nicUnknownVcCells). A message for an Open
//   channel goes to its endpoint (deposit), which keeps the NIC buffer (freeBuffer later) or
//   refuses it (given back at once). During a deposit, rxBirth(handle) is the sender frame's
//   birth tag.
// - Transmit: transmit(ch, frame) hands the message to the NIC, which reads the segment buffer
//   itself (its DMA: ATM segmentation, the Ethernet NIC's copy of the shared slot; counted
//   nicDmaBytes, never host copies). It returns when the NIC has finished reading it, or -1 if
//   refused (nicRefused). txDelay() is how long to leave a message queued while the NIC's
//   transmit backlog is full.
// - No allocation per message; one Map lookup per Ethernet frame (tag -> channel).
// Not handled: several devices on one NIC, broadcast channels, switched-circuit signalling.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import type { Simulation } from "../../engine/simulation.js";
import { type LinkBottom, type LinkNic, type LinkReceiver, checkEtherType } from "../link-bottom/link-bottom.js";
import { openLinkBottom } from "../link-bottom/open-link-bottom.js";
import { UNET_ETHERTYPE } from "./unet-wire.js";

export type UnetNic = LinkNic;

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

export class UnetDevice implements LinkReceiver {
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
  private readonly bottom: LinkBottom;
  // Channel table (the addresses are the bottom's circuits of the same index).
  private readonly chState: Uint8Array;
  private readonly chTarget: (UnetDepositTarget | undefined)[];
  private readonly c = { rxMessages: 0, txMessages: 0, nicDmaBytes: 0, unknownChannel: 0, nicRefused: 0 };
  private destroyed = false;

  constructor(sim: Simulation, name: string, options: UnetDeviceOptions) {
    const max = options.maxChannels ?? DEFAULT_UNET_CHANNELS;
    if (!Number.isInteger(max) || max < 1 || max > 4096) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(max)} is not a channel table size (1 to 4096)`, {
        path: `${name}.maxChannels`,
      });
    }
    const et = checkEtherType(options.etherType ?? UNET_ETHERTYPE, `${name}.etherType`);
    this.sim = sim;
    this.name = name;
    this.nic = options.nic;
    this.etherType = et;
    this.maxChannels = max;
    this.chState = new Uint8Array(max);
    this.chTarget = new Array<UnetDepositTarget | undefined>(max).fill(undefined);
    const bottom = openLinkBottom(options.nic, { name, circuits: max, etherType: et, demux: "firmware" });
    this.bottom = bottom;
    this.kind = bottom.medium;
    this.headroom = bottom.headroom;
    this.maxMessage = bottom.maxPdu;
    this.minMessage = bottom.minPdu;
    bottom.attach(this);
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
    this.bottom.openCircuit(ch, spec, path);
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
    this.bottom.closeCircuit(ch);
    this.chState[ch] = UnetChannelState.Free;
    this.chTarget[ch] = undefined;
  }

  // --- receive (hot path: never throws) ---

  /** From the bottom: a message on channel `ch` (NO_CIRCUIT: none). */
  onPdu(ch: number, ptr: number, length: number, handle: number): boolean {
    if (ch < 0 || this.chState[ch] !== UnetChannelState.Open) {
      this.c.unknownChannel++;
      return false;
    }
    this.c.rxMessages++;
    return this.chTarget[ch]!.deposit(ch, ptr, length, handle);
  }

  /**
   * During a deposit: the birth tag of the sender's frame (ATM: of the cell train that ended
   * the PDU; Ethernet: of the received frame `handle`). Emulator metadata, not bytes.
   */
  rxBirth(handle: number): number {
    return this.bottom.rxBirth(handle);
  }

  /** Gives a kept receive buffer back to the NIC (the free hook of a U-Net receive buffer). */
  freeBuffer(handle: number): void {
    if (this.destroyed) return;
    this.bottom.freeBuffer(handle);
  }

  // --- transmit ---

  /**
   * Virtual ns until the NIC can take a `length`-byte message without refusing it for a full
   * transmit backlog (0 = now). The firmware leaves the descriptor on the send queue meanwhile,
   * as U-Net's does while the NIC's cell buffers are full (Ethernet: the link queues).
   */
  txDelay(length: number): number {
    return this.destroyed ? 0 : this.bottom.txDelay(length);
  }

  /**
   * Sends the message in segment buffer `frame` (the endpoint keeps its reference) on `ch`.
   * Returns the time the NIC has finished reading the buffer, or -1 when it refused it.
   */
  transmit(ch: number, frame: number): number {
    const frames = this.sim.frames;
    const len = frames.length[frame]!;
    if (this.destroyed || this.chState[ch] !== UnetChannelState.Open) {
      this.c.nicRefused++;
      return -1;
    }
    const bottom = this.bottom;
    // The NIC's reference: the segment buffer is shared now, so an Ethernet NIC copies it.
    frames.retain(frame);
    bottom.pushHeader(frame, ch);
    const ok = bottom.send(ch, frame);
    frames.pop(frame, bottom.headroom);
    if (!ok) {
      this.c.nicRefused++;
      return -1;
    }
    this.c.txMessages++;
    this.c.nicDmaBytes += len + bottom.headroom;
    return bottom.txBusyUntil();
  }

  stats(): UnetDeviceStats {
    const c = this.c;
    const link = this.bottom.stats();
    return {
      kind: this.kind,
      rxMessages: c.rxMessages,
      txMessages: c.txMessages,
      nicDmaBytes: c.nicDmaBytes,
      drops: {
        unknownChannel: c.unknownChannel,
        otherEtherType: link.foreign,
        badHeader: link.badHeader,
        nicRefused: c.nicRefused,
      },
      nicUnknownVcCells: link.nicUnknownCircuitCells,
    };
  }

  /** Closes every channel and gives the NIC its default receiver back. */
  destroy(): void {
    if (this.destroyed) return;
    for (let ch = 0; ch < this.maxChannels; ch++) this.closeChannel(ch);
    this.destroyed = true;
    this.bottom.detach();
  }
}
