// EthernetNic: a one-port Ethernet interface. Generates the FCS on transmit, checks it on
// receive, filters by destination address and holds received frames in a finite chain of
// receive buffers until the host hands them back.
//
// Contract:
// - Up or Down (NicState), changed only by setUp()/setDown(); a Down NIC drops both ways
//   (NOT_ATTACHED), while frames already handed to the receiver stay the receiver's.
// - crash() (Crashable): Down, and frames queued for the wire on its channel are dropped; it
//   drops both ways as CRASHED until restart(). The host stack above releases what it held.
// - Transmit: send(frame) takes ownership of an Ethernet header + payload (no FCS), zero-pads it
//   to 60 bytes, appends the FCS (IEEE 802.3 clause 3.2.9), counts macTx and hands it to the
//   channel. Drops, counted at macTxDrop and released: NOT_ATTACHED, RUNT (< 14 bytes), TOO_LONG
//   (> mtu + 14, + 4 with an 802.1Q tag), NO_SLOT (a shared frame could not be copied).
// - Receive (EV_FRAME_RX): drops RUNT, TOO_LONG, FCS_ERROR, ADDRESS_FILTER and NO_RX_BUFFER at
//   phyRxDrop; frames with a good FCS pass the sniffer point, accepted ones pass macRx and go to
//   the receiver with the FCS still on (length - 4 ends the payload). The frame may be shared
//   (a flooded broadcast): read-only, write only through frames.writable().
// - The receive chain holds at most effectiveRxBuffers frames: rxBuffers, cut to half the frame
//   store's deviceShare, so a host whose application never reads cannot take the pool.
// - Ownership on receive: the receiver owns the frame and calls nic.consume(frame) exactly once,
//   which releases it and frees its receive buffer; retain() first to keep it longer. The
//   default receiver consumes at once.
// - Jumbo frames: `mtu` (1500 to 9000) bounds the payload both ways; frames stay Ethernet II.
// - Hot paths allocate nothing and cross into Wasm once per frame or once per batch. API misuse
//   throws NetloomError; frames never do. destroy() frees the batch vector on the shared heap.
// - Not handled: a transmit queue and serialization (the link's), collisions (the CSMA/CD
//   segment's), VLAN membership (802.1Q tags count only for the size limit).

import { ErrorCode, NetloomError } from "../base/errors.js";
import { FRAME_FCS_VALID, NO_FRAME } from "../buf/frames.js";
import type { Simulation } from "../engine/simulation.js";
import { FRAME_VEC_ARG, FRAME_VEC_LEN, FRAME_VEC_OUT, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "../kernels/abi.js";
import { ChecksumKernels } from "../kernels/checksum.js";
import { DropReason } from "../trace/trace-point.js";
import {
  ETH_FCS_LEN,
  ETH_HEADER_LEN,
  ETH_MAX_FRAME,
  ETH_MIN_FRAME,
  ETH_MTU,
  MAC_BROADCAST,
  isGroupMac,
  macFromString,
  macToString,
} from "../wire/ethernet.js";
import { Device, EV_FRAME_RX } from "./device.js";

export const NicState = { Down: 0, Up: 1 } as const;
export type NicState = (typeof NicState)[keyof typeof NicState];
const STATE_NAMES = ["Down", "Up"] as const;

/**
 * "auto" skips the receive CRC when FRAME_FCS_VALID says the bytes have not changed since the FCS
 * was computed (anything that writes a frame clears the flag); "always" runs it on every frame.
 * Both give the same counters and deliveries; stats().fcsComputed shows the work saved.
 */
export type VerifyFcs = "auto" | "always";

export interface EthernetNicOptions {
  /** Station address: a 48-bit number or "02:00:00:00:00:01" (default 02:00:00:00:00:00 + id + 1). */
  mac?: number | string;
  /** Receive buffers in the chain (default 64). */
  rxBuffers?: number;
  promiscuous?: boolean;
  acceptBroadcast?: boolean;
  verifyFcs?: VerifyFcs;
  /** Start Up (default true). */
  up?: boolean;
  /**
   * Largest payload sent and accepted, bytes: 1500 (default) to 9000 (jumbo frames). The type
   * field is never read as an 802.3 length, so a jumbo frame needs no other change to its bytes.
   */
  mtu?: number;
}

/** Whoever takes received frames from a NIC (a host stack, a test). */
export interface NicReceiver {
  /** Owns `frame` from here on: must call nic.consume(frame) exactly once, now or later. */
  onFrame(nic: EthernetNic, frame: number): void;
}

export interface NicStats {
  state: (typeof STATE_NAMES)[number];
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  /** Receive drops by reason name (phyRxDrop). */
  rxDrops: Record<string, number>;
  /** Transmit drops by reason name (macTxDrop). */
  txDrops: Record<string, number>;
  rxBuffers: number;
  rxBuffersInUse: number;
  rxBuffersHighWater: number;
  /** Frames handed back through consume(). */
  rxConsumed: number;
  /** CRCs actually computed on receive (lower under verifyFcs "auto"). */
  fcsComputed: number;
  filterEntries: number;
}

/** Most (mask, value) pairs in the address filter. */
export const NIC_FILTER_ENTRIES = 64;
/** Frames per crc32Batch call: the size of the NIC's frame vector. */
export const NIC_BATCH_MAX = 256;
/** Largest jumbo-frame payload a NIC accepts (the common 9000-byte jumbo MTU). */
export const ETH_JUMBO_MTU = 9000;
/** Ethernet header + FCS around the payload: a frame is at most mtu + this many bytes. */
const ETH_FRAMING = ETH_MAX_FRAME - ETH_MTU;
const MIN_NO_FCS = ETH_MIN_FRAME - ETH_FCS_LEN;
const VLAN_EXTRA = 4;
const TWO_32 = 0x1_0000_0000;
const MAC_LIMIT = 0x1_0000_0000_0000;

/** The default receiver: hands every frame straight back. */
const CONSUME_AT_ONCE: NicReceiver = {
  onFrame(nic: EthernetNic, frame: number): void {
    nic.consume(frame);
  },
};

function checkMac(value: number | string, path: string): number {
  if (typeof value === "string") return macFromString(value, path);
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= MAC_LIMIT) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(value)} is not a 48-bit MAC address`, { path });
  }
  return value;
}

export class EthernetNic extends Device {
  /** The station address (48-bit number). */
  readonly mac: number;
  readonly rxBuffers: number;
  /** rxBuffers, cut to half the frame store's deviceShare: a receive chain never takes the pool. */
  readonly effectiveRxBuffers: number;
  promiscuous: boolean;
  acceptBroadcast: boolean;
  verifyFcs: VerifyFcs;
  private stateValue: NicState;
  private receiver: NicReceiver = CONSUME_AT_ONCE;
  private readonly crc: ChecksumKernels;
  private readonly u8: Uint8Array;
  private readonly u32: Uint32Array;
  // Station address split into 16 + 32 bits, so matching is int32 arithmetic.
  private readonly macHi: number;
  private readonly macLo: number;
  // Address filter: (mask, value) pairs, each split into 16 + 32 bits.
  private readonly fMaskHi = new Uint32Array(NIC_FILTER_ENTRIES);
  private readonly fMaskLo = new Uint32Array(NIC_FILTER_ENTRIES);
  private readonly fValHi = new Uint32Array(NIC_FILTER_ENTRIES);
  private readonly fValLo = new Uint32Array(NIC_FILTER_ENTRIES);
  private fCount = 0;
  // Receive buffer chain: held[i] = frame in buffer i, or NO_FRAME when the buffer is free.
  // Buffers are taken round-robin from `rxNext` and searched from `rxOldest`, so a host that
  // consumes in arrival order finds both in O(1).
  private readonly held: Int32Array;
  private rxNext = 0;
  private rxOldest = 0;
  private rxInUse = 0;
  private rxHighWater = 0;
  private rxConsumed = 0;
  private fcsComputed = 0;
  private mtuValue = ETH_MTU;
  /** Largest frame with FCS (mtu + 18) and without it (mtu + 14), untagged. */
  private maxFrame = ETH_MAX_FRAME;
  private maxNoFcs = ETH_MAX_FRAME - ETH_FCS_LEN;
  // Frame vector for crc32Batch (NIC_BATCH_MAX entries on the shared heap), made on first use.
  private vec = 0;
  private readonly batchIds = new Int32Array(NIC_BATCH_MAX);

  constructor(sim: Simulation, name: string, options: EthernetNicOptions = {}) {
    super(sim, name, 1);
    this.mac = options.mac === undefined ? 0x0200_0000_0000 + this.id + 1 : checkMac(options.mac, `${name}.mac`);
    if (isGroupMac(this.mac)) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${macToString(this.mac)} is a group address; a station address must be unicast`,
        { path: `${name}.mac` },
      );
    }
    const rxBuffers = options.rxBuffers ?? 64;
    if (!Number.isInteger(rxBuffers) || rxBuffers < 1 || rxBuffers > 1 << 20) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(rxBuffers)} is not a buffer count (1 to 2^20)`, {
        path: `${name}.rxBuffers`,
      });
    }
    const verify = options.verifyFcs ?? "auto";
    if (verify !== "auto" && verify !== "always") {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${JSON.stringify(verify)} is not "auto" or "always"`, {
        path: `${name}.verifyFcs`,
      });
    }
    this.rxBuffers = rxBuffers;
    this.effectiveRxBuffers = Math.min(rxBuffers, Math.max(1, sim.frames.deviceShare >> 1));
    if (options.mtu !== undefined) this.setMtu(options.mtu);
    this.held = new Int32Array(rxBuffers).fill(NO_FRAME);
    this.promiscuous = options.promiscuous ?? false;
    this.acceptBroadcast = options.acceptBroadcast ?? true;
    this.verifyFcs = verify;
    this.stateValue = options.up === false ? NicState.Down : NicState.Up;
    this.macHi = Math.floor(this.mac / TWO_32);
    this.macLo = this.mac >>> 0;
    this.crc = new ChecksumKernels(sim.runtime);
    this.u8 = sim.runtime.u8;
    this.u32 = sim.runtime.u32;
  }

  /** Why a Down NIC drops: NOT_ATTACHED, or CRASHED after crash(). */
  private downReason: number = DropReason.NOT_ATTACHED;

  get state(): NicState {
    return this.stateValue;
  }

  get stateName(): (typeof STATE_NAMES)[number] {
    return STATE_NAMES[this.stateValue];
  }

  // --- state transitions ---

  /** Down -> Up. Returns false when already Up. */
  setUp(): boolean {
    if (this.stateValue === NicState.Up || this.crashed) return false;
    this.stateValue = NicState.Up;
    return true;
  }

  /** Up -> Down: frames in flight to this NIC and frames sent to it are dropped from now on. */
  setDown(): boolean {
    if (this.stateValue === NicState.Down) return false;
    this.stateValue = NicState.Down;
    return true;
  }

  /** True between crash() and restart(). */
  get crashed(): boolean {
    return this.downReason === DropReason.CRASHED;
  }

  /** Fail-stop: Down, frames queued on the channel dropped, everything after counted CRASHED. */
  crash(): boolean {
    if (this.crashed) return false;
    this.stateValue = NicState.Down;
    this.downReason = DropReason.CRASHED;
    const at = this.ports[0];
    at?.channel.flushQueued?.(at.end, DropReason.CRASHED);
    return true;
  }

  /** Up again after a crash. False when it had not crashed. */
  restart(): boolean {
    if (!this.crashed) return false;
    this.downReason = DropReason.NOT_ATTACHED;
    this.stateValue = NicState.Up;
    return true;
  }

  // --- receiver and address filter ---

  /** Who gets accepted frames; undefined restores the default (consume at once). */
  setReceiver(receiver: NicReceiver | undefined): void {
    this.receiver = receiver ?? CONSUME_AT_ONCE;
  }

  /**
   * Accepts destinations with (dst & mask) === value. Returns false when the pair is already
   * there (it is not added twice); throws TABLE_FULL for a 65th pair.
   */
  addFilter(mask: number | string, value: number | string): boolean {
    const m = checkMac(mask, `${this.name}.filter.mask`);
    const v = checkMac(value, `${this.name}.filter.value`);
    const mHi = Math.floor(m / TWO_32);
    const mLo = m >>> 0;
    const vHi = Math.floor(v / TWO_32);
    const vLo = v >>> 0;
    if ((vHi & ~mHi) !== 0 || (vLo & ~mLo) !== 0) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${macToString(v)} has bits outside the mask ${macToString(m)}, so it could never match`,
        { path: `${this.name}.filter.value` },
      );
    }
    if (this.findFilter(mHi, mLo, vHi, vLo) >= 0) return false;
    if (this.fCount === NIC_FILTER_ENTRIES) {
      throw new NetloomError(
        ErrorCode.TABLE_FULL,
        `the address filter of ${this.name} holds ${NIC_FILTER_ENTRIES} entries already`,
        { path: `${this.name}.filter` },
      );
    }
    const i = this.fCount++;
    this.fMaskHi[i] = mHi;
    this.fMaskLo[i] = mLo;
    this.fValHi[i] = vHi;
    this.fValLo[i] = vLo;
    return true;
  }

  /** Removes a (mask, value) pair; false when it was not there. */
  removeFilter(mask: number | string, value: number | string): boolean {
    const m = checkMac(mask, `${this.name}.filter.mask`);
    const v = checkMac(value, `${this.name}.filter.value`);
    const i = this.findFilter(Math.floor(m / TWO_32), m >>> 0, Math.floor(v / TWO_32), v >>> 0);
    if (i < 0) return false;
    // Order of entries does not matter to matching: move the last one into the hole.
    const last = --this.fCount;
    this.fMaskHi[i] = this.fMaskHi[last]!;
    this.fMaskLo[i] = this.fMaskLo[last]!;
    this.fValHi[i] = this.fValHi[last]!;
    this.fValLo[i] = this.fValLo[last]!;
    return true;
  }

  /** Accepts frames to the group address `group` (a full-mask filter entry). */
  joinMulticast(group: number | string): boolean {
    return this.addFilter(MAC_BROADCAST, this.checkGroup(group));
  }

  /** Stops accepting frames to `group`; false when it had not been joined. */
  leaveMulticast(group: number | string): boolean {
    return this.removeFilter(MAC_BROADCAST, this.checkGroup(group));
  }

  /** Largest payload sent and accepted (1500, or up to 9000 with jumbo frames). */
  get mtu(): number {
    return this.mtuValue;
  }

  /** Sets the largest payload, 1500 to ETH_JUMBO_MTU (9000); frames up to mtu + 18 bytes pass. */
  setMtu(mtu: number): void {
    if (!Number.isInteger(mtu) || mtu < ETH_MTU || mtu > ETH_JUMBO_MTU) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(mtu)} is not an Ethernet MTU (${ETH_MTU} to ${ETH_JUMBO_MTU})`,
        {
          path: `${this.name}.mtu`,
        },
      );
    }
    this.mtuValue = mtu;
    this.maxFrame = mtu + ETH_FRAMING;
    this.maxNoFcs = this.maxFrame - ETH_FCS_LEN;
  }

  get filterEntries(): number {
    return this.fCount;
  }

  // --- receive ---

  handleEvent(kind: number, a: number, _b: number, _len: number): void {
    if (kind === EV_FRAME_RX) this.receive(a);
  }

  /**
   * The EV_FRAME_RX path: checks, filter, buffer, receiver. Owns `frame`. phyRxEnd counts every
   * arrival at an Up NIC; then, in order: RUNT (< 64 bytes with FCS), TOO_LONG (> mtu + 18, + 4
   * tagged), FCS_ERROR, ADDRESS_FILTER, NO_RX_BUFFER.
   */
  private receive(frame: number): void {
    const frames = this.sim.frames;
    const len = frames.length[frame]!;
    const now = this.sim.scheduler.now;
    const tp = this.trace[0]!;
    if (this.stateValue !== NicState.Up) return this.dropRx(frame, len, this.downReason);
    tp.phyRxEnd.hit(now, frame, len);
    if (len < ETH_MIN_FRAME) return this.dropRx(frame, len, DropReason.RUNT);
    const u8 = this.u8;
    const off = frames.offset(frame);
    const tagged = u8[off + 12] === 0x81 && u8[off + 13] === 0x00;
    const max = tagged ? this.maxFrame + VLAN_EXTRA : this.maxFrame;
    if (len > max) return this.dropRx(frame, len, DropReason.TOO_LONG);
    if (this.verifyFcs === "always" || (frames.flags[frame]! & FRAME_FCS_VALID) === 0) {
      this.fcsComputed++;
      const body = len - ETH_FCS_LEN;
      const crc = this.crc.crc32Bits(off, body);
      const p = off + body;
      const stored = u8[p]! | (u8[p + 1]! << 8) | (u8[p + 2]! << 16) | (u8[p + 3]! << 24); // int32, as crc
      if (crc !== stored) return this.dropRx(frame, len, DropReason.FCS_ERROR);
      // Verified against the current bytes: later hops may skip the check until someone writes.
      frames.flags[frame]! |= FRAME_FCS_VALID;
    }
    tp.sniffer.hit(now, frame, len);
    if (!this.accepts(off)) return this.dropRx(frame, len, DropReason.ADDRESS_FILTER);
    if (this.rxInUse >= this.effectiveRxBuffers) return this.dropRx(frame, len, DropReason.NO_RX_BUFFER);
    this.takeBuffer(frame);
    tp.macRx.hit(now, frame, len);
    this.receiver.onFrame(this, frame);
  }

  /**
   * Destination address filter over the 6 bytes at `off`, in order: promiscuous accepts all; the
   * broadcast address when acceptBroadcast; the station address; then the (mask, value) pairs
   * (dst & mask === value; joinMulticast(g) is the full-mask entry for g).
   */
  private accepts(off: number): boolean {
    if (this.promiscuous) return true;
    const u8 = this.u8;
    const hi = (u8[off]! << 8) | u8[off + 1]!;
    const lo = ((u8[off + 2]! << 24) | (u8[off + 3]! << 16) | (u8[off + 4]! << 8) | u8[off + 5]!) >>> 0;
    if (hi === 0xffff && lo === 0xffffffff) return this.acceptBroadcast;
    if (hi === this.macHi && lo === this.macLo) return true;
    const n = this.fCount;
    for (let i = 0; i < n; i++) {
      if ((hi & this.fMaskHi[i]!) === this.fValHi[i]! && (lo & this.fMaskLo[i]!) >>> 0 === this.fValLo[i]!) return true;
    }
    return false;
  }

  private takeBuffer(frame: number): void {
    const held = this.held;
    const n = held.length;
    let i = this.rxNext;
    while (held[i] !== NO_FRAME) i = i + 1 === n ? 0 : i + 1; // a free one exists: rxInUse < n
    held[i] = frame;
    this.rxNext = i + 1 === n ? 0 : i + 1;
    if (++this.rxInUse > this.rxHighWater) this.rxHighWater = this.rxInUse;
  }

  /**
   * The receiver is done with `frame`: releases it and returns its buffer to the chain.
   * Throws when the frame is not in one of this NIC's receive buffers (consumed twice, or never
   * received here): that is a bug in the receiver.
   */
  consume(frame: number): void {
    const held = this.held;
    const n = held.length;
    let i = this.rxOldest;
    for (let k = 0; k < n; k++) {
      if (held[i] === frame) {
        held[i] = NO_FRAME;
        this.rxOldest = i + 1 === n ? 0 : i + 1;
        this.rxInUse--;
        this.rxConsumed++;
        this.sim.frames.release(frame);
        return;
      }
      i = i + 1 === n ? 0 : i + 1;
    }
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `frame ${frame} is not held in a receive buffer of ${this.name} (consumed twice, or not received here)`,
      { path: "frame" },
    );
  }

  /** Receive buffers held by the receiver right now. */
  get rxBuffersInUse(): number {
    return this.rxInUse;
  }

  private dropRx(frame: number, len: number, reason: number): void {
    this.trace[0]!.phyRxDrop.hit(this.sim.scheduler.now, frame, len, reason);
    this.sim.frames.release(frame);
  }

  // --- transmit ---

  /**
   * Pads, appends the FCS and hands `frame` (Ethernet header + payload, no FCS) to the channel.
   * Takes ownership whatever happens; false = dropped (counted and released) here or by the channel.
   */
  send(frame: number): boolean {
    if (!this.canTransmit()) return this.dropTx(frame, this.sim.frames.length[frame]!, this.downReason);
    const f = this.pad(frame);
    if (f === NO_FRAME) return false;
    const frames = this.sim.frames;
    const off = frames.offset(f);
    const len = frames.length[f]!;
    this.writeFcs(f, off, len, this.crc.crc32Bits(off, len));
    return this.transmitPrepared(f);
  }

  /**
   * send() for frameIds[0..count): one crc32Batch call per NIC_BATCH_MAX frames. Takes ownership
   * of every frame; returns how many the channel accepted.
   */
  sendBatch(frameIds: Int32Array, count: number): number {
    this.checkBatch(frameIds, count);
    if (!this.canTransmit()) {
      const frames = this.sim.frames;
      for (let i = 0; i < count; i++) {
        const f = frameIds[i]!;
        this.dropTx(f, frames.length[f]!, this.downReason);
      }
      return 0;
    }
    const ids = this.batchIds;
    let accepted = 0;
    for (let start = 0; start < count; start += NIC_BATCH_MAX) {
      const n = Math.min(NIC_BATCH_MAX, count - start);
      for (let i = 0; i < n; i++) ids[i] = frameIds[start + i]!;
      this.prepareBatch(ids, n);
      for (let i = 0; i < n; i++) {
        const f = ids[i]!;
        if (f !== NO_FRAME && this.transmitPrepared(f)) accepted++;
      }
    }
    return accepted;
  }

  /**
   * The first half of sendBatch for up to NIC_BATCH_MAX frames: pads each, computes every FCS
   * in one crc32Batch call, appends it and sets FRAME_FCS_VALID. The caller keeps ownership of
   * the prepared frames (to send later with transmitPrepared). A frame that cannot be sent
   * (RUNT, TOO_LONG, NO_SLOT) is dropped, counted at macTxDrop and its entry set to NO_FRAME; a
   * shared frame's entry is replaced by its private copy. Returns the frames prepared.
   */
  prepareBatch(frameIds: Int32Array, count: number): number {
    this.checkBatch(frameIds, count);
    if (count > NIC_BATCH_MAX) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${count} frames exceed a batch of ${NIC_BATCH_MAX}`, {
        path: "count",
      });
    }
    if (this.vec === 0) this.vec = this.sim.runtime.heap.alloc(NIC_BATCH_MAX * FRAME_VEC_STRIDE);
    const frames = this.sim.frames;
    const u32 = this.u32;
    // Entries are packed: dropped frames leave no hole in the vector, so one call covers all.
    let n = 0;
    for (let i = 0; i < count; i++) {
      const f = this.pad(frameIds[i]!);
      frameIds[i] = f;
      if (f === NO_FRAME) continue;
      const e = (this.vec + n * FRAME_VEC_STRIDE) >>> 2;
      u32[e + (FRAME_VEC_PTR >> 2)] = frames.offset(f);
      u32[e + (FRAME_VEC_LEN >> 2)] = frames.length[f]!;
      u32[e + (FRAME_VEC_ARG >> 2)] = 0; // arg: CRC continues from 0 (whole frame)
      n++;
    }
    if (n > 0) this.crc.crc32Batch(this.vec, n);
    let k = 0;
    for (let i = 0; i < count; i++) {
      const f = frameIds[i]!;
      if (f === NO_FRAME) continue;
      const e = (this.vec + k * FRAME_VEC_STRIDE) >>> 2;
      this.writeFcs(f, u32[e + (FRAME_VEC_PTR >> 2)]!, u32[e + (FRAME_VEC_LEN >> 2)]!, u32[e + (FRAME_VEC_OUT >> 2)]!);
      k++;
    }
    return n;
  }

  /**
   * Hands a frame that already ends in its FCS (from prepareBatch) to the channel, counting
   * macTx. If its bytes changed since (FRAME_FCS_VALID clear), the FCS is recomputed first, as
   * a real NIC computes it at transmission. Takes ownership; false = dropped.
   */
  transmitPrepared(frame: number): boolean {
    const frames = this.sim.frames;
    const len = frames.length[frame]!;
    if (!this.canTransmit()) return this.dropTx(frame, len, this.downReason);
    if ((frames.flags[frame]! & FRAME_FCS_VALID) === 0) {
      if (len < ETH_MIN_FRAME) return this.dropTx(frame, len, DropReason.RUNT);
      const f = frames.writable(frame);
      if (f === NO_FRAME) return this.dropTx(frame, len, DropReason.NO_SLOT);
      const off = frames.offset(f);
      this.writeFcs(f, off, len - ETH_FCS_LEN, this.crc.crc32Bits(off, len - ETH_FCS_LEN));
      frame = f;
    }
    const tp = this.trace[0]!;
    const now = this.sim.scheduler.now;
    tp.macTx.hit(now, frame, len);
    tp.sniffer.hit(now, frame, len);
    const port = this.ports[0]!;
    return port.channel.transmit(port.end, frame);
  }

  private canTransmit(): boolean {
    return this.stateValue === NicState.Up && this.ports[0] !== undefined;
  }

  /**
   * Checks the size of a frame without FCS, makes it private and zero-pads it to 60 bytes.
   * Returns the frame to write (a copy when it was shared) or NO_FRAME when it was dropped.
   */
  private pad(frame: number): number {
    const frames = this.sim.frames;
    const len = frames.length[frame]!;
    if (len < ETH_HEADER_LEN) {
      this.dropTx(frame, len, DropReason.RUNT);
      return NO_FRAME;
    }
    const off0 = frames.offset(frame);
    const tagged = this.u8[off0 + 12] === 0x81 && this.u8[off0 + 13] === 0x00;
    if (len > (tagged ? this.maxNoFcs + VLAN_EXTRA : this.maxNoFcs)) {
      this.dropTx(frame, len, DropReason.TOO_LONG);
      return NO_FRAME;
    }
    const f = frames.writable(frame);
    if (f === NO_FRAME) {
      this.dropTx(frame, len, DropReason.NO_SLOT);
      return NO_FRAME;
    }
    if (len < MIN_NO_FCS) {
      frames.setLength(f, MIN_NO_FCS);
      const off = frames.offset(f);
      this.u8.fill(0, off + len, off + MIN_NO_FCS);
    }
    return f;
  }

  /** Writes `crc` after the `len` bytes at `off` (LSB first) and marks the FCS valid. */
  private writeFcs(frame: number, off: number, len: number, crc: number): void {
    const u8 = this.u8;
    const p = off + len;
    u8[p] = crc;
    u8[p + 1] = crc >>> 8;
    u8[p + 2] = crc >>> 16;
    u8[p + 3] = crc >>> 24;
    this.sim.frames.setLength(frame, len + ETH_FCS_LEN);
    this.sim.frames.flags[frame]! |= FRAME_FCS_VALID;
  }

  private dropTx(frame: number, len: number, reason: number): false {
    this.trace[0]!.macTxDrop.hit(this.sim.scheduler.now, frame, len, reason);
    this.sim.frames.release(frame);
    return false;
  }

  private checkBatch(frameIds: Int32Array, count: number): void {
    if (!(frameIds instanceof Int32Array)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "frame ids must be an Int32Array", { path: "frameIds" });
    }
    if (!Number.isInteger(count) || count < 0 || count > frameIds.length) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(count)} is not a frame count in [0, ${frameIds.length}]`,
        { path: "count" },
      );
    }
  }

  private findFilter(mHi: number, mLo: number, vHi: number, vLo: number): number {
    for (let i = 0; i < this.fCount; i++) {
      if (this.fMaskHi[i] === mHi && this.fMaskLo[i] === mLo && this.fValHi[i] === vHi && this.fValLo[i] === vLo) {
        return i;
      }
    }
    return -1;
  }

  private checkGroup(group: number | string): number {
    const g = checkMac(group, `${this.name}.multicast`);
    if (!isGroupMac(g) || g === MAC_BROADCAST) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${macToString(g)} is not a multicast group address (I/G bit of octet 0 set, not broadcast)`,
        { path: `${this.name}.multicast` },
      );
    }
    return g;
  }

  // --- stats and teardown ---

  stats(): NicStats {
    const tp = this.trace[0]!;
    return {
      state: this.stateName,
      rxFrames: tp.macRx.frames,
      rxBytes: tp.macRx.bytes,
      txFrames: tp.macTx.frames,
      txBytes: tp.macTx.bytes,
      rxDrops: tp.phyRxDrop.dropsByReason(),
      txDrops: tp.macTxDrop.dropsByReason(),
      rxBuffers: this.rxBuffers,
      rxBuffersInUse: this.rxInUse,
      rxBuffersHighWater: this.rxHighWater,
      rxConsumed: this.rxConsumed,
      fcsComputed: this.fcsComputed,
      filterEntries: this.fCount,
    };
  }

  /** Frees the batch vector. Frames still held by the receiver stay the receiver's to consume. */
  destroy(): void {
    if (this.vec !== 0) {
      this.sim.runtime.heap.free(this.vec);
      this.vec = 0;
    }
  }
}
