// FrameStore: frames in fbuf slots, with the descriptor fields and emulator metadata beside them.
//
// Contract:
// - A frame is identified by its slot index in the store's SlotPool (an int32: it travels in
//   event payloads and descriptor vectors by value). Its bytes are at offset(id) .. + length(id)
//   in the shared linear memory; head and length are per slot, so every holder of a shared slot
//   sees the same frame (a shared slot is read-only).
//
//     slot:  | headroom | head ... head + length | tailroom |
//             push(n) moves head left (a header goes on); pop(n) moves it right.
//
// - Emulator-only metadata (birth time, flow id, flags such as FCS_VALID) lives in typed-array
//   side tables indexed by frame id, never in the frame bytes. A frame allocated without a flow
//   gets `txFlow`: a traffic source sets it around a send, so every frame the stacks build for
//   that send (the datagram, its fragments) carries the flow (its drops are the flow's).
// - FCS_VALID says the last 4 bytes are an Ethernet FCS computed over the current bytes. A
//   writer (a corrupting link, a rewriting router) must call touch() or use writable(), which
//   clear it, so the real CRC check runs where it matters; a frame whose bytes did not change
//   may skip re-verification without changing any result.
// - Ownership: alloc() and clone() hand out one reference; retain() adds a holder (flooding),
//   release() drops one. After handing a frame on, the sender must not touch it.
// - Exhaustion is counted, never thrown (a NIC with no buffer drops the frame); misuse (pushing
//   past the headroom, popping past the frame) throws NetloomError: it is a bug in a layer.
// - deviceShare is the most frames one device may hold in its queues and buffers together: half
//   the pool. Stores that hold frames for a while (link queues, receive chains, CSMA station
//   queues, ARP queues across a router's interfaces, ...) clamp their limits to it, so no single
//   device can take every slot and starve the rest. It depends on the pool's size only, never on
//   what is in use, so the same scenario drops the same frames in every partitioning.

import { ErrorCode, NetloomError } from "../base/errors.js";
import { SlotPool, type SlotPoolOptions } from "./slot-pool.unsafe.js";

/** The frame ends in an FCS known to match its bytes. */
export const FRAME_FCS_VALID = 1;
/** The frame's bytes were damaged on the way (set by fault injection, for statistics only). */
export const FRAME_CORRUPTED = 2;

export const NO_FRAME = -1;

/**
 * Frames one device holds across several stores of its own (a router's ARP queues, one per
 * interface): the stores count what they take and give back, and refuse while it is full.
 */
export class FrameBudget {
  held = 0;
  constructor(readonly limit: number) {}

  get full(): boolean {
    return this.held >= this.limit;
  }
}

export class FrameStore {
  readonly pool: SlotPool;
  /** Offset of the first frame byte within its slot. */
  readonly head: Int32Array;
  readonly length: Int32Array;
  readonly flags: Uint8Array;
  /** Virtual time (ns) the frame was created, for latency statistics. */
  readonly birth: Float64Array;
  /** Flow the frame belongs to (-1 when none). */
  readonly flow: Int32Array;
  /** Flow of the frames allocated without one (-1: none); set by a traffic source around a send. */
  txFlow = -1;
  private readonly u8: Uint8Array;
  private readonly slotsBase: number;
  private readonly slotBytes: number;

  constructor(options: SlotPoolOptions) {
    this.pool = new SlotPool(options);
    const n = options.count;
    this.head = new Int32Array(n);
    this.length = new Int32Array(n);
    this.flags = new Uint8Array(n);
    this.birth = new Float64Array(n);
    this.flow = new Int32Array(n);
    this.u8 = this.pool.runtime.u8;
    this.slotsBase = this.pool.slotsBase;
    this.slotBytes = this.pool.slotBytes;
  }

  /**
   * A new empty frame whose first byte will be at `headroom` (headers are pushed in front of
   * it), or NO_FRAME when no slot is free (counted in pool.stats().allocFailures).
   */
  alloc(headroom: number, birth: number, flow = this.txFlow): number {
    const id = this.pool.alloc();
    if (id === NO_FRAME) return NO_FRAME;
    this.head[id] = headroom;
    this.length[id] = 0;
    this.flags[id] = 0;
    this.birth[id] = birth;
    this.flow[id] = flow;
    return id;
  }

  /** Most frames one device may hold at once: half the pool (see the contract). */
  get deviceShare(): number {
    return Math.max(1, this.pool.count >> 1);
  }

  /** Byte offset in linear memory of the frame's first byte. */
  offset(id: number): number {
    return this.slotsBase + id * this.slotBytes + this.head[id]!;
  }

  /** A view of the frame's bytes (no copy; valid while the frame is held). */
  bytes(id: number): Uint8Array {
    const start = this.offset(id);
    return this.u8.subarray(start, start + this.length[id]!);
  }

  /** Grows the frame by n bytes at the front (a header goes on); returns the new first byte's offset. */
  push(id: number, n: number): number {
    const head = this.head[id]! - n;
    if (head < 0) {
      throw new NetloomError(
        ErrorCode.OUT_OF_BOUNDS,
        `pushing ${n} bytes onto frame ${id} needs ${-head} bytes more headroom than the slot has`,
      );
    }
    this.head[id] = head;
    this.length[id]! += n;
    this.flags[id]! &= ~FRAME_FCS_VALID;
    return this.slotsBase + id * this.slotBytes + head;
  }

  /** Removes n bytes from the front (a header comes off); returns the new first byte's offset. */
  pop(id: number, n: number): number {
    if (n > this.length[id]!) {
      throw new NetloomError(
        ErrorCode.OUT_OF_BOUNDS,
        `popping ${n} bytes from frame ${id} of ${this.length[id]} bytes`,
      );
    }
    this.head[id]! += n;
    this.length[id]! -= n;
    return this.slotsBase + id * this.slotBytes + this.head[id]!;
  }

  /** Sets the length (payload written, trailer added or trimmed); checks the slot's tailroom. */
  setLength(id: number, length: number): void {
    if (length < 0 || this.head[id]! + length > this.slotBytes) {
      throw new NetloomError(
        ErrorCode.OUT_OF_BOUNDS,
        `frame ${id} cannot be ${length} bytes long at head ${this.head[id]} in a ${this.slotBytes}-byte slot`,
      );
    }
    this.length[id] = length;
  }

  /** Marks the bytes as changed: the FCS must be recomputed or re-verified. */
  touch(id: number): void {
    this.flags[id]! &= ~FRAME_FCS_VALID;
  }

  retain(id: number): void {
    this.pool.retain(id);
  }

  release(id: number): void {
    this.pool.release(id);
  }

  isShared(id: number): boolean {
    return this.pool.isShared(id);
  }

  /**
   * A copy of the frame in a new slot (same head, length and metadata) with one reference, or
   * NO_FRAME when no slot is free. This is the one copy a copy-on-write rewrite costs.
   */
  clone(id: number): number {
    const copy = this.pool.alloc();
    if (copy === NO_FRAME) return NO_FRAME;
    const from = this.slotsBase + id * this.slotBytes;
    const to = this.slotsBase + copy * this.slotBytes;
    const head = this.head[id]!;
    this.u8.copyWithin(to + head, from + head, from + head + this.length[id]!);
    this.head[copy] = head;
    this.length[copy] = this.length[id]!;
    this.flags[copy] = this.flags[id]!;
    this.birth[copy] = this.birth[id]!;
    this.flow[copy] = this.flow[id]!;
    return copy;
  }

  /**
   * The frame made safe to write: itself when this holder is its only one, else a private copy
   * (the caller's reference to the shared one is released). NO_FRAME when a copy was needed
   * and no slot was free (the caller's reference is then kept: it still owns `id`).
   * Either way the FCS is marked stale, since the caller is about to write.
   */
  writable(id: number): number {
    if (!this.pool.isShared(id)) {
      this.flags[id]! &= ~FRAME_FCS_VALID;
      return id;
    }
    const copy = this.clone(id);
    if (copy === NO_FRAME) return NO_FRAME;
    this.pool.release(id);
    this.flags[copy]! &= ~FRAME_FCS_VALID;
    return copy;
  }

  stats(): ReturnType<SlotPool["stats"]> {
    return this.pool.stats();
  }

  /** Frames still held (empty when nothing leaked). */
  leaks(): number[] {
    return this.pool.leaks();
  }

  /** Frees the slots' memory; see SlotPool.destroy (`force` frees frames still in flight). */
  destroy(force = false): void {
    this.pool.destroy(force);
  }
}
