// Reference MAC forwarding database: the plain-TypeScript twin of assembly/switch/fdb.ts.
//
// Contract: the same observable behaviour as the Wasm kernel (decisions, learn results and every
// counter), written for clarity over a Map; it is the oracle of the differential tests and the
// baseline of the benchmarks. It does not validate arguments (the typed wrapper does).
// Semantics (shared with the kernel):
// - An entry last seen at t is live for now in [t, t + agingTimeNs); afterwards it is absent.
// - Group sources (I/G bit, the low bit of the first octet) are never learned.
// - A new address finding maxEntries entries stored makes the table drop every expired entry
//   first (counted in aged); if still full it is not learned (learnFailures).
// - An expired entry for a relearned address is replaced (aged and learned both count).
// - A batch learns each frame's source, then looks up its destination, in vector order.

import { FRAME_VEC_ARG, FRAME_VEC_LEN, FRAME_VEC_OUT, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "../abi.js";

export const REF_FDB_FLOOD = 0xffffffff;
export const REF_FDB_FILTER = 0xfffffffe;
export const REF_FDB_DROP_RUNT = 0xfffffffd;
export const REF_FDB_DROP_BAD_PORT = 0xfffffffc;

export type RefLearnResult = "learned" | "refreshed" | "moved" | "full" | "group";

export interface RefFdbCounters {
  learned: number;
  moved: number;
  learnFailures: number;
  lookups: number;
  hits: number;
  floods: number;
  filtered: number;
  aged: number;
  dropped: number;
}

/** A MAC address as a number: octet 0 in the high bits (48 bits, exact in a double). */
export function macKey(mac: ArrayLike<number>, offset = 0): number {
  let k = 0;
  for (let i = 0; i < 6; i++) k = k * 256 + mac[offset + i]!;
  return k;
}

function isGroup(key: number): boolean {
  // The I/G bit is the least significant bit of the first octet.
  return Math.floor(key / 2 ** 40) % 2 === 1;
}

export class ReferenceFdb {
  private readonly table = new Map<number, { port: number; seen: number }>();
  readonly counters: RefFdbCounters = {
    learned: 0,
    moved: 0,
    learnFailures: 0,
    lookups: 0,
    hits: 0,
    floods: 0,
    filtered: 0,
    aged: 0,
    dropped: 0,
  };

  constructor(
    readonly maxEntries: number,
    public agingTimeNs: number,
    readonly ports: number = 65535,
  ) {}

  /** Stored entries, expired ones not yet swept included. */
  get size(): number {
    return this.table.size;
  }

  private live(seen: number, now: number): boolean {
    return now - seen < this.agingTimeNs;
  }

  learn(key: number, port: number, now: number): RefLearnResult {
    if (isGroup(key)) return "group";
    const entry = this.table.get(key);
    if (entry !== undefined) {
      const wasLive = this.live(entry.seen, now);
      entry.seen = now;
      if (!wasLive) {
        entry.port = port;
        this.counters.aged++;
        this.counters.learned++;
        return "learned";
      }
      if (entry.port === port) return "refreshed";
      entry.port = port;
      this.counters.moved++;
      return "moved";
    }
    if (this.table.size >= this.maxEntries && this.age(now) === 0) {
      this.counters.learnFailures++;
      return "full";
    }
    this.table.set(key, { port, seen: now });
    this.counters.learned++;
    return "learned";
  }

  /** Port of a live entry, or undefined; no counters. */
  get(key: number, now: number): number | undefined {
    const entry = this.table.get(key);
    return entry !== undefined && this.live(entry.seen, now) ? entry.port : undefined;
  }

  lookup(key: number, inPort: number, now: number): number {
    this.counters.lookups++;
    const port = isGroup(key) ? undefined : this.get(key, now);
    if (port === undefined) {
      this.counters.floods++;
      return REF_FDB_FLOOD;
    }
    this.counters.hits++;
    if (port === inPort) {
      this.counters.filtered++;
      return REF_FDB_FILTER;
    }
    return port;
  }

  remove(key: number): boolean {
    return this.table.delete(key);
  }

  age(now: number): number {
    let removed = 0;
    for (const [key, entry] of this.table) {
      if (!this.live(entry.seen, now)) {
        this.table.delete(key);
        removed++;
      }
    }
    this.counters.aged += removed;
    return removed;
  }

  clear(): void {
    this.table.clear();
  }

  /** The batch step over a frame vector in `mem` (see fdbProcessBatch); returns unicast count. */
  processBatch(mem: Uint8Array, vec: number, count: number, now: number): number {
    const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
    let unicast = 0;
    for (let k = 0; k < count; k++) {
      const d = vec + k * FRAME_VEC_STRIDE;
      const ptr = dv.getUint32(d + FRAME_VEC_PTR, true);
      const len = dv.getUint32(d + FRAME_VEC_LEN, true);
      const inPort = dv.getUint32(d + FRAME_VEC_ARG, true);
      let out: number;
      if (len < 14) {
        out = REF_FDB_DROP_RUNT;
        this.counters.dropped++;
      } else if (inPort >= this.ports) {
        out = REF_FDB_DROP_BAD_PORT;
        this.counters.dropped++;
      } else {
        this.learn(macKey(mem, ptr + 6), inPort, now);
        out = this.lookup(macKey(mem, ptr), inPort, now);
        if (out < REF_FDB_DROP_BAD_PORT) unicast++;
      }
      dv.setUint32(d + FRAME_VEC_OUT, out, true);
    }
    return unicast;
  }
}
