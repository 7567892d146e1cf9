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
// - Sizing defaults keep small scenarios small: 16,384 slots of 2 KiB (32 MiB of the shared
//   memory) and a 65,536-event queue; builders of large topologies pass bigger numbers.

import { ErrorCode, NetloomError } from "../api/errors.js";
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
}

export const DEFAULT_FRAME_SLOTS = 16_384;
export const DEFAULT_SLOT_BYTES = 2_048;

export class Simulation {
  readonly scheduler: Scheduler;
  readonly frames: FrameStore;
  readonly runtime: KernelRuntime;
  private readonly names = new Map<string, number>();
  private nextId = 0;

  constructor(options: SimulationOptions) {
    this.scheduler = new Scheduler({
      seed: options.seed,
      ...(options.queueCapacity !== undefined ? { queueCapacity: options.queueCapacity } : {}),
    });
    this.runtime = options.runtime ?? getRuntime();
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
    if (name.length === 0) throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "a device needs a name", { path: "name" });
    if (this.names.has(name)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `there is already a device named "${name}"`, { path: name });
    }
    const id = this.nextId++;
    this.names.set(name, id);
    this.scheduler.register(id, name, handler);
    return id;
  }

  /** Id of the device registered under `name`; throws naming it when there is none. */
  idOf(name: string): number {
    const id = this.names.get(name);
    if (id === undefined) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `there is no device named "${name}"`, { path: name });
    }
    return id;
  }

  /** Returns the frame store's memory; every frame must have been released. */
  destroy(): void {
    this.frames.destroy();
  }
}
