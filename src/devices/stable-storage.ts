// StableStorage: a host's disk holding one append-only log that survives crashes: the stable
// storage the reliability protocols force their decisions to.
//
// Contract:
// - append(record) puts a copy of the record in the volatile buffer (the page cache) at once:
//   it is in `records` but not yet in `durable`. sync(done) asks the disk to make everything
//   appended so far durable; the disk serves syncs one at a time, each taking the profile's
//   sync latency plus the bytes it carries at the disk's bandwidth, and a sync asked for while
//   another runs waits for it and then covers everything appended by its own start (group
//   commit). write(record, done) is a forced write: append then sync.
// - Appends cost the profile's write latency: a sync cannot start before the last append it
//   covers has reached the buffer.
// - crash(): records not yet durable are lost (counted), syncs in progress or waiting never
//   complete and their callbacks never run. The durable log is what a restarting application
//   reads; restart() opens the disk again.
// - Bounded: at most maxRecords records and maxBytes bytes; an append past either returns -1
//   and is counted as refused (the log is never silently truncated).
// - The disk is an event handler of its own ("<host>.disk"), owned by its host's partition.

import { ErrorCode, NetloomError } from "../base/errors.js";
import type { EventHandler } from "../engine/scheduler.js";
import type { Simulation } from "../engine/simulation.js";
import { EV_DEVICE_BASE } from "./device.js";

export interface DiskProfile {
  name: string;
  /** Time for an append to reach the volatile buffer, ns. */
  writeNs: number;
  /** Time of one sync (a forced write to the medium), ns, before the transfer time. */
  syncNs: number;
  /** Transfer rate to the medium, bit/s. */
  bandwidthBps: number;
}

/**
 * The two defaults. A 1995 SCSI disk at 5,400 rpm: a sync is a seek (~9 ms average) plus half a
 * rotation (5.6 ms); about 5 MB/s sustained. A 2025 NVMe drive with power-loss protection: a
 * flush is acknowledged in about 20 us; about 3 GB/s.
 */
export const DISK_PROFILES: Readonly<Record<"disk-1995" | "nvme-2025", DiskProfile>> = {
  "disk-1995": { name: "disk-1995", writeNs: 30_000, syncNs: 14_600_000, bandwidthBps: 40_000_000 },
  "nvme-2025": { name: "nvme-2025", writeNs: 1_000, syncNs: 20_000, bandwidthBps: 24_000_000_000 },
};
export type DiskProfileName = keyof typeof DISK_PROFILES;

export const STABLE_LOG_MAX_RECORDS = 1 << 20;
export const STABLE_LOG_MAX_BYTES = 1 << 30;

export interface StableStorageOptions {
  /** A default profile's name or a profile (default "nvme-2025"). */
  disk?: DiskProfileName | DiskProfile;
  /** Most records the log holds (default and limit 2^20). */
  maxRecords?: number;
  /** Most bytes the log holds (default 64 MiB, limit 1 GiB). */
  maxBytes?: number;
}

export interface StableStorageStats {
  disk: string;
  /** Records appended. */
  written: number;
  /** Records made durable. */
  synced: number;
  /** Records lost at crashes (appended, not yet durable). */
  lost: number;
  /** Appends refused because the log was full. */
  refused: number;
  /** Syncs completed. */
  syncs: number;
  /** Bytes appended and not lost. */
  bytes: number;
  durableBytes: number;
}

const EV_SYNC_DONE = EV_DEVICE_BASE;

export class StableStorage implements EventHandler {
  readonly id: number;
  readonly name: string;
  readonly profile: DiskProfile;
  readonly maxRecords: number;
  readonly maxBytes: number;
  private readonly sim: Simulation;
  private readonly log: Uint8Array[] = [];
  /** Records [0, durableCount) are durable. */
  private durableCount = 0;
  private bytesHeld = 0;
  private durableBytesHeld = 0;
  /** Time the last append reaches the buffer. */
  private appendedAt = 0;
  /** The sync in progress covers records up to this count; -1 = the disk is idle. */
  private syncCovers = -1;
  private syncHandle = -1;
  private readonly syncDone: (() => void)[] = [];
  /** Callbacks of syncs asked for while one runs: served by the next sync. */
  private readonly waiting: (() => void)[] = [];
  private syncWanted = false;
  private isCrashed = false;
  private readonly counters = { written: 0, synced: 0, lost: 0, refused: 0, syncs: 0 };

  /** `ownerId`: the device whose partition runs this disk. */
  constructor(sim: Simulation, name: string, ownerId: number, options: StableStorageOptions = {}) {
    this.sim = sim;
    this.name = name;
    this.profile = resolveDisk(options.disk, `${name}.disk`);
    this.maxRecords = limit(options.maxRecords, STABLE_LOG_MAX_RECORDS, STABLE_LOG_MAX_RECORDS, `${name}.maxRecords`);
    this.maxBytes = limit(options.maxBytes, 64 << 20, STABLE_LOG_MAX_BYTES, `${name}.maxBytes`);
    this.id = sim.register(name, this);
    sim.setOwner(this.id, sim.ownerOf(ownerId));
  }

  /** Every record appended and not lost, durable or not (what the running host sees). */
  get records(): readonly Uint8Array[] {
    return this.log;
  }

  /** The records that survive a crash, in append order. */
  get durable(): readonly Uint8Array[] {
    return this.log.slice(0, this.durableCount);
  }

  get crashed(): boolean {
    return this.isCrashed;
  }

  /** Appends a copy of `record`; its index, or -1 when the log is full (counted) or the host is down. */
  append(record: Uint8Array): number {
    if (this.isCrashed) return -1;
    if (this.log.length >= this.maxRecords || this.bytesHeld + record.length > this.maxBytes) {
      this.counters.refused++;
      return -1;
    }
    this.log.push(record.slice());
    this.bytesHeld += record.length;
    this.counters.written++;
    this.appendedAt = Math.max(this.appendedAt, this.sim.now) + this.profile.writeNs;
    return this.log.length - 1;
  }

  /** Makes everything appended so far durable; `done` runs when it is. */
  sync(done?: () => void): void {
    if (this.isCrashed) return;
    if (this.syncCovers >= 0) {
      if (done !== undefined) this.waiting.push(done);
      this.syncWanted = true;
      return;
    }
    if (done !== undefined) this.syncDone.push(done);
    this.startSync();
  }

  /** A forced write: append then sync. Returns the record's index or -1 (then `done` never runs). */
  write(record: Uint8Array, done?: () => void): number {
    const i = this.append(record);
    if (i >= 0) this.sync(done);
    return i;
  }

  handleEvent(kind: number): void {
    if (kind !== EV_SYNC_DONE || this.syncCovers < 0) return;
    for (let i = this.durableCount; i < this.syncCovers; i++) this.durableBytesHeld += this.log[i]!.length;
    this.counters.synced += this.syncCovers - this.durableCount;
    this.durableCount = this.syncCovers;
    this.counters.syncs++;
    this.syncCovers = -1;
    this.syncHandle = -1;
    const done = this.syncDone.splice(0);
    if (this.syncWanted) {
      this.syncWanted = false;
      this.syncDone.push(...this.waiting.splice(0));
      this.startSync();
    }
    for (const fn of done) fn();
  }

  /** Fail-stop: the volatile buffer and every pending sync are lost. False when already down. */
  crash(): boolean {
    if (this.isCrashed) return false;
    this.isCrashed = true;
    if (this.syncHandle >= 0) this.sim.scheduler.cancel(this.syncHandle);
    this.syncHandle = -1;
    this.syncCovers = -1;
    this.syncWanted = false;
    this.syncDone.length = 0;
    this.waiting.length = 0;
    this.counters.lost += this.log.length - this.durableCount;
    this.log.length = this.durableCount;
    this.bytesHeld = this.durableBytesHeld;
    return true;
  }

  /** Opens the disk again after a crash. False when it was not down. */
  restart(): boolean {
    if (!this.isCrashed) return false;
    this.isCrashed = false;
    this.appendedAt = this.sim.now;
    return true;
  }

  stats(): StableStorageStats {
    return { disk: this.profile.name, ...this.counters, bytes: this.bytesHeld, durableBytes: this.durableBytesHeld };
  }

  private startSync(): void {
    const now = this.sim.now;
    let bytes = 0;
    for (let i = this.durableCount; i < this.log.length; i++) bytes += this.log[i]!.length;
    const transfer = Math.ceil((bytes * 8 * 1e9) / this.profile.bandwidthBps);
    const end = Math.max(now, this.appendedAt) + this.profile.syncNs + transfer;
    this.syncCovers = this.log.length;
    this.syncHandle = this.sim.scheduler.scheduleAt(this.id, end, this.id, EV_SYNC_DONE, 0, 0, 0);
  }
}

/** A profile by name or as given, checked. */
export function resolveDisk(disk: DiskProfileName | DiskProfile | undefined, path: string): DiskProfile {
  if (disk === undefined) return DISK_PROFILES["nvme-2025"];
  if (typeof disk === "string") {
    const p = (DISK_PROFILES as Record<string, DiskProfile>)[disk];
    if (p === undefined) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `unknown disk "${disk}" (known: ${Object.keys(DISK_PROFILES).join(", ")})`,
        { path },
      );
    }
    return p;
  }
  for (const key of ["writeNs", "syncNs"] as const) {
    if (!Number.isSafeInteger(disk[key]) || disk[key] < 0) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${key} must be a whole number of ns >= 0`, {
        path: `${path}.${key}`,
      });
    }
  }
  if (!Number.isFinite(disk.bandwidthBps) || disk.bandwidthBps <= 0) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "bandwidthBps must be a positive rate", {
      path: `${path}.bandwidthBps`,
    });
  }
  return { ...disk };
}

function limit(value: number | undefined, fallback: number, max: number, path: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `must be a whole number from 1 to ${max}, got ${value}`, {
      path,
    });
  }
  return value;
}
