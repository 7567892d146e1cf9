// Simulation: what the devices of one partition share: the scheduler (time, events, random
// streams, fingerprint), the frame store (fbuf slots in the shared Wasm memory) and the device
// registry with its id allocation.
//
// Contract:
// - Device ids are handed out in creation order, so a topology built in the same order gets
//   the same ids, hence the same event keys and random streams, on every run.
// - One FrameStore per simulation: every frame slot returns to it, and a test can ask for its
//   leaks() after a run. Its size bounds the frames in flight: exhaustion is counted (a source
//   or NIC that finds no slot drops and counts), never thrown.
// - Partitions: with `partition`, this simulation is one partition of a network that
//   every partition builds whole. While the builder constructs a device it sets `owner` to the
//   partition that runs it; every id registered meanwhile belongs there, and ids owned elsewhere
//   are marked foreign in the scheduler (they never run here). A channel whose two ends run in
//   different partitions hands frames over through `partition.crossing`.
// - allocBytes() hands out linear memory that lives until destroy(), which frees it with the
//   frame store.
// - Sizing defaults keep small scenarios small: 16,384 slots of 2 KiB (32 MiB of the shared
//   memory) and a 65,536-event queue; builders of large topologies pass bigger numbers.

import { ErrorCode, NetloomError } from "../base/errors.js";
import { FrameStore } from "../buf/frames.js";
import { getRuntime, type KernelRuntime } from "../kernels/runtime.js";
import { Scheduler, type EventHandler } from "./scheduler.js";

export interface SimulationOptions {
  seed: number;
  /** Frame slots (default 16,384). */
  frameSlots?: number;
  /** Bytes per frame slot, a multiple of 64 (default 2,048: a 1,522-byte frame plus headroom). */
  slotBytes?: number;
  /** Most events pending at once (default 65,536). */
  queueCapacity?: number;
  runtime?: KernelRuntime;
  /** This simulation is partition `index` of a partitioned run. */
  partition?: PartitionRole;
}

/** Hands a frame to a device in another partition (see src/engine/partition-exchange.ts). */
export interface FrameCrossing {
  /**
   * Takes ownership of `frame`: it arrives at `target` port `port` as EV_FRAME_RX at `time`
   * with the event key (time, origin, seq) already assigned by the sending partition.
   */
  send(time: number, origin: number, seq: number, target: number, port: number, frame: number, len: number): void;
}

export interface PartitionRole {
  index: number;
  crossing: FrameCrossing;
}

export const DEFAULT_FRAME_SLOTS = 16_384;
export const DEFAULT_SLOT_BYTES = 2_048;

export class Simulation {
  readonly scheduler: Scheduler;
  readonly frames: FrameStore;
  readonly runtime: KernelRuntime;
  private readonly names = new Map<string, number>();
  private nextId = 0;
  /** Partition that runs each device id (all 0 when not partitioned). */
  private readonly owners: number[] = [];
  /** Partition that owns devices registered from now on (set by the topology builder). */
  owner = 0;
  readonly partition: PartitionRole | undefined;
  /** Linear-memory regions from allocBytes(), freed by destroy(). */
  private readonly regions: number[] = [];

  constructor(options: SimulationOptions) {
    this.scheduler = new Scheduler({
      seed: options.seed,
      ...(options.queueCapacity !== undefined ? { queueCapacity: options.queueCapacity } : {}),
    });
    this.runtime = options.runtime ?? getRuntime();
    this.partition = options.partition;
    this.frames = new FrameStore({
      count: options.frameSlots ?? DEFAULT_FRAME_SLOTS,
      slotBytes: options.slotBytes ?? DEFAULT_SLOT_BYTES,
      runtime: this.runtime,
      name: "frames",
    });
  }

  get now(): number {
    return this.scheduler.now;
  }

  /** Registers a device or channel under a unique name; returns its id. */
  register(name: string, handler: EventHandler): number {
    if (name.length === 0)
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "a device needs a name", { path: "name" });
    if (this.names.has(name)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `there is already a device named "${name}"`, { path: name });
    }
    const id = this.nextId++;
    this.names.set(name, id);
    this.scheduler.register(id, name, handler);
    this.setOwner(id, this.owner);
    return id;
  }

  /** Partition that runs device `id`. */
  ownerOf(id: number): number {
    return this.owners[id] ?? 0;
  }

  /** Moves device `id` to partition `owner` (a link direction follows its sending device). */
  setOwner(id: number, owner: number): void {
    this.owners[id] = owner;
    if (this.partition !== undefined) this.scheduler.setForeign(id, owner !== this.partition.index);
  }

  /** True when device `id` runs in another partition. */
  isRemote(id: number): boolean {
    return this.partition !== undefined && this.ownerOf(id) !== this.partition.index;
  }

  /** Id of the device registered under `name`; throws naming it when there is none. */
  idOf(name: string): number {
    const id = this.names.get(name);
    if (id === undefined) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `there is no device named "${name}"`, { path: name });
    }
    return id;
  }

  /**
   * `bytes` (> 0) of zeroed linear memory that live as long as this simulation (destroy()
   * frees them), as a view. For bytes that a device or source hands to the kernels per packet:
   * a traffic source's payload, say, which the UDP layer then copies into each frame with the
   * memCopy kernel instead of TypedArray.set (much slower into shared memory).
   */
  allocBytes(bytes: number): Uint8Array {
    const ptr = this.runtime.heap.alloc(bytes);
    this.regions.push(ptr);
    return this.runtime.u8.subarray(ptr, ptr + bytes);
  }

  /**
   * Returns the frame store's memory and the allocBytes() regions; every frame must have been
   * released, unless `force` (a run torn down with frames still in flight).
   */
  destroy(force = false): void {
    this.frames.destroy(force);
    for (const ptr of this.regions.splice(0)) this.runtime.heap.free(ptr);
  }
}
