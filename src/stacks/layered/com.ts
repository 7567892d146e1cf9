// COM: the bottom layer of a layered stack; sends messages as Ethernet frames through an
// EthernetNic and takes received frames from it.
//
// Contract:
// - Wire format (after a 14-byte Ethernet II header with EtherType 0x88B5, IEEE 802 "local
//   experimental 1", configurable), 8 bytes, big-endian:
//
//     0        8        16       24       32
//     +--------+--------+--------+--------+
//     |ver 1|0 |  src   |  dst   |   0    |   src/dst: member ranks; dst 0xff = the group
//     +--------+--------+--------+--------+
//     |     length      |    checksum     |   length: COM header + payload (Ethernet pads
//     +--------+--------+--------+--------+   short frames); checksum: RFC 1071 over both
//
//   The checksum (Wasm kernel) is charged per byte on both sides, as the layer really does it.
// - Send: dst ALL goes to the group MAC when the group has more than two members (each member's
//   NIC joins it), else to the other member's MAC; dst = rank goes to that member's MAC. The
//   frame reaches the NIC when the running CPU job gets there (StackContext.transmit).
// - Receive (run as a CPU job, the interrupt already charged): the frame is taken from the NIC's
//   receive buffer (retain + consume, so a busy CPU keeps NIC buffers occupied and the NIC drops
//   with NO_RX_BUFFER, as real hosts do); a frame shared with other receivers (a flooded
//   multicast) is copied before its head moves. Dropped and counted: other EtherType, bad
//   version, bad length, bad checksum, unknown source, not for us, our own frame.
// - Provides DATAGRAM (unreliable, unordered); requires nothing; bottom only; messages <= 1492.
// - Not handled: VLAN tags, more than 254 members. COM over an AtmNic is com-atm.ts.

import { NetloomError, ErrorCode } from "../../base/errors.js";
import { NO_FRAME } from "../../buf/frames.js";
import type { EthernetNic } from "../../devices/nic.js";
import { ChecksumKernels } from "../../kernels/checksum.js";
import type { KernelRuntime } from "../../kernels/runtime.js";
import { CpuOp } from "../cost.js";
import {
  ETH_FCS_LEN,
  ETH_HEADER_LEN,
  isGroupMac,
  macFromString,
  MAC_BROADCAST,
  writeMac,
} from "../../wire/ethernet.js";
import { ALL, BaseLayer, Prop, getU16, putU16, type Layer, type StackContext } from "./layer.js";

export const COM_HEADER_LEN = 8;
export const COM_VERSION = 1;
export const COM_ETHERTYPE = 0x88b5;
/** Ethernet payload limit. */
export const ETH_MTU = 1500;
/** Default group address: locally administered multicast. */
export const COM_GROUP_MAC = 0x0300_0000_88b5;

/**
 * What the stack needs from its bottom layer, whatever the NIC (Ethernet: ComLayer here; ATM:
 * AtmComLayer in com-atm.ts).
 */
export interface ComBottom extends Layer {
  /** Link header bytes in front of the COM header (Ethernet 14, ATM 0: the VC names the peer). */
  readonly linkHeaderBytes: number;
  /**
   * Installs the NIC receiver: every received unit goes to rx(a, b) (a, b as receive() takes
   * them); when rx returns false the unit is given back to the NIC at once.
   */
  attachReceiver(rx: (a: number, b: number) => boolean): void;
  /** A received unit, inside a CPU job (the interrupt already charged). */
  receive(a: number, b: number): void;
  /** Gives back a received unit whose job was refused or discarded. */
  dropReceived(a: number, b: number): void;
  /** Hands `frame` to the NIC now (ownership passes); `channel` as given to ctx.transmit. */
  transmitNow(frame: number, channel: number): void;
  /** Uninstalls the receiver (the NIC's default takes over). */
  detach(): void;
}

export interface ComOptions {
  nic: EthernetNic;
  /** MAC address of each member, by rank (this member's must be its NIC's). */
  members: readonly (number | string)[];
  etherType?: number;
  /** Group address for groups of more than two (default 03:00:00:00:88:b5). */
  groupMac?: number | string;
}

export interface ComStats {
  txFrames: number;
  rxFrames: number;
  badEtherType: number;
  badHeader: number;
  badChecksum: number;
  notForUs: number;
  noSlot: number;
}

/**
 * Fills the COM header just pushed at the head of `msg` (`payload` bytes after it) with its
 * RFC 1071 checksum, charging the checksummed bytes: the send half both COM bottoms share.
 */
export function writeComHeader(
  ctx: StackContext,
  kernels: ChecksumKernels,
  msg: number,
  dst: number,
  payload: number,
): void {
  const u8 = ctx.u8;
  const off = ctx.frames.offset(msg);
  const len = payload + COM_HEADER_LEN;
  u8[off] = COM_VERSION << 4;
  u8[off + 1] = ctx.rank;
  u8[off + 2] = dst;
  u8[off + 3] = 0;
  putU16(u8, off + 4, len);
  putU16(u8, off + 6, 0);
  putU16(u8, off + 6, kernels.internetChecksumAt(off, len));
  ctx.cpu.chargeChecksum(len);
}

/**
 * Checks a received COM header at `off`: version, a length field from minLen to maxLen, and the
 * checksum over that length (charged). The reason to drop it, or undefined when it is good.
 */
export function checkComHeader(
  ctx: StackContext,
  kernels: ChecksumKernels,
  off: number,
  minLen: number,
  maxLen: number,
): "badHeader" | "badChecksum" | undefined {
  const u8 = ctx.u8;
  const len = getU16(u8, off + 4);
  if (u8[off]! >>> 4 !== COM_VERSION || len < minLen || len > maxLen) return "badHeader";
  ctx.cpu.chargeChecksum(len);
  return kernels.internetChecksumAt(off, len) !== 0 ? "badChecksum" : undefined;
}

/**
 * What the two COM bottoms (Ethernet here, ATM in com-atm.ts) share: the layer's identity, its
 * counters and the checksum kernels, the counted drop, and the upcalls a bottom layer ignores.
 */
export abstract class ComBase<C extends { [K in keyof C]: number } & { noSlot: number }> extends BaseLayer {
  readonly name = "COM";
  readonly headerBytes = COM_HEADER_LEN;
  readonly requires = 0;
  readonly provides = Prop.DATAGRAM;
  protected readonly kernels: ChecksumKernels;

  constructor(
    protected readonly c: C,
    runtime: KernelRuntime,
  ) {
    super();
    this.kernels = new ChecksumKernels(runtime);
  }

  /**
   * Pushes and fills the COM header on message `msg` (taking ownership): the frame to hand to
   * the link, or NO_FRAME (counted noSlot) when a shared message needed a copy and no slot was free.
   */
  protected pushHeader(msg: number, dst: number): number {
    const ctx = this.ctx;
    const payload = ctx.frames.length[msg]!;
    const f = ctx.push(msg, COM_HEADER_LEN);
    if (f === NO_FRAME) {
      this.c.noSlot++;
      return NO_FRAME;
    }
    writeComHeader(ctx, this.kernels, f, dst, payload);
    return f;
  }

  protected drop(f: number, why: keyof C): void {
    (this.c[why] as number)++;
    this.ctx.frames.release(f);
  }

  override control(_op: number, _arg: number): void {}

  deliver(msg: number, _src: number): void {
    // Nothing is below COM; the stack calls receive() instead.
    this.ctx.frames.release(msg);
  }

  stats(): Record<string, number> {
    return { ...this.c };
  }
}

export class ComLayer extends ComBase<ComStats> implements ComBottom {
  readonly linkHeaderBytes = ETH_HEADER_LEN;
  readonly nic: EthernetNic;
  readonly etherType: number;
  private readonly macs: Float64Array;
  private readonly groupMac: number;

  constructor(options: ComOptions, path: string) {
    super(
      { txFrames: 0, rxFrames: 0, badEtherType: 0, badHeader: 0, badChecksum: 0, notForUs: 0, noSlot: 0 },
      options.nic.sim.runtime,
    );
    this.nic = options.nic;
    const et = options.etherType ?? COM_ETHERTYPE;
    if (!Number.isInteger(et) || et < 0x0600 || et > 0xffff) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(et)} is not an EtherType (0x0600 to 0xffff)`, {
        path: `${path}.etherType`,
      });
    }
    this.etherType = et;
    const n = options.members.length;
    if (n < 2 || n > 254) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `a group has 2 to 254 members, not ${n}`, {
        path: `${path}.members`,
      });
    }
    this.macs = new Float64Array(n);
    options.members.forEach((m, i) => {
      const mac = typeof m === "string" ? macFromString(m, `${path}.members[${i}]`) : m;
      if (!Number.isInteger(mac) || mac < 0 || mac >= 2 ** 48 || isGroupMac(mac)) {
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(m)} is not a unicast MAC address`, {
          path: `${path}.members[${i}]`,
        });
      }
      this.macs[i] = mac;
    });
    const g = options.groupMac ?? COM_GROUP_MAC;
    const gm = typeof g === "string" ? macFromString(g, `${path}.groupMac`) : g;
    if (!isGroupMac(gm) || gm === MAC_BROADCAST) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(g)} is not a multicast group address`, {
        path: `${path}.groupMac`,
      });
    }
    this.groupMac = gm;
  }

  override init(ctx: StackContext, index: number): void {
    super.init(ctx, index);
    if (this.macs[ctx.rank] !== this.nic.mac) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `members[${ctx.rank}] is not the MAC of ${this.nic.name}, the NIC of member ${ctx.rank}`,
        { path: `${ctx.name}.members` },
      );
    }
    if (ctx.members > 2) this.nic.joinMulticast(this.groupMac);
  }

  override maxMessage(_below: number): number {
    return ETH_MTU - COM_HEADER_LEN;
  }

  send(msg: number, dst: number): void {
    const ctx = this.ctx;
    const frames = ctx.frames;
    msg = this.pushHeader(msg, dst);
    if (msg === NO_FRAME) return;
    const u8 = ctx.u8;
    const off = frames.push(msg, ETH_HEADER_LEN); // private after ctx.push above
    const dmac = dst === ALL ? (ctx.members > 2 ? this.groupMac : this.macs[ctx.rank === 0 ? 1 : 0]!) : this.macs[dst]!;
    writeMac(u8, off, dmac);
    writeMac(u8, off + 6, this.nic.mac);
    putU16(u8, off + 12, this.etherType);
    ctx.cpu.chargeOp(CpuOp.DRIVER);
    this.c.txFrames++;
    ctx.transmit(msg);
  }

  attachReceiver(rx: (a: number, b: number) => boolean): void {
    this.nic.setReceiver({
      onFrame: (_nic, frame) => {
        if (!rx(frame, 0)) this.nic.consume(frame);
      },
    });
  }

  dropReceived(frame: number, _b: number): void {
    this.nic.consume(frame);
  }

  transmitNow(frame: number, _channel: number): void {
    this.nic.send(frame);
  }

  detach(): void {
    this.nic.setReceiver(undefined);
  }

  /** A received frame, owned by the NIC until consumed (run inside a CPU job). */
  receive(frame: number, _b = 0): void {
    const ctx = this.ctx;
    const frames = ctx.frames;
    frames.retain(frame);
    this.nic.consume(frame);
    ctx.cpu.chargeOp(CpuOp.DRIVER);
    let f = frame;
    if (frames.isShared(f)) {
      f = frames.writable(f);
      if (f === NO_FRAME) {
        this.c.noSlot++;
        frames.release(frame);
        return;
      }
    }
    const u8 = ctx.u8;
    let off = frames.offset(f);
    const wire = frames.length[f]! - ETH_FCS_LEN;
    if (getU16(u8, off + 12) !== this.etherType) return this.drop(f, "badEtherType");
    if (wire < ETH_HEADER_LEN + COM_HEADER_LEN) return this.drop(f, "badHeader");
    off += ETH_HEADER_LEN;
    const len = getU16(u8, off + 4);
    const src = u8[off + 1]!;
    const dst = u8[off + 2]!;
    // Ethernet pads short frames: the header's length may be below what arrived.
    const problem = checkComHeader(ctx, this.kernels, off, COM_HEADER_LEN, wire - ETH_HEADER_LEN);
    if (problem !== undefined) return this.drop(f, problem);
    if (src >= ctx.members || src === ctx.rank) return this.drop(f, "badHeader");
    if (dst !== ALL && dst !== ctx.rank) return this.drop(f, "notForUs");
    frames.pop(f, ETH_HEADER_LEN + COM_HEADER_LEN);
    frames.setLength(f, len - COM_HEADER_LEN);
    this.c.rxFrames++;
    ctx.up(this.index, f, src);
  }

  override destroy(): void {
    if (this.ctx !== undefined && this.ctx.members > 2) this.nic.leaveMulticast(this.groupMac);
  }
}
