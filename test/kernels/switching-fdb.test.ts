import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { NetloomError } from "../../src/base/errors.js";
import {
  FDB_DROP_BAD_PORT,
  FDB_DROP_RUNT,
  FDB_FILTER,
  FDB_FLOOD,
  FDB_MAX_CAPACITY,
  ForwardingDatabase,
  type FdbStats,
} from "../../src/kernels/switching.js";
import { ReferenceFdb, macKey } from "../../src/kernels/reference/fdb.js";
import type { KernelRuntime } from "../../src/kernels/runtime.js";
import { ALL_BUILDS, runtimeFor, seededBytes } from "../support/runtimes.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
  // Every table and buffer a test allocated is back: only the runtime's scratch region is live.
  for (const build of ALL_BUILDS) expect(runtimeFor(build).heap.stats().liveRegions).toBe(1);
});

function fdb(rt: KernelRuntime, capacity: number, agingTimeNs = 1000, ports = 16): ForwardingDatabase {
  const t = ForwardingDatabase.create({ capacity, agingTimeNs, ports, runtime: rt });
  cleanups.push(() => t.free());
  return t;
}

const mac = (...b: number[]): Uint8Array => new Uint8Array(b);
const A = mac(0x02, 0, 0, 0, 0, 0x0a);
const B = mac(0x02, 0, 0, 0, 0, 0x0b);
const _C = mac(0x02, 0, 0, 0, 0, 0x0c);
const ZERO = mac(0, 0, 0, 0, 0, 0);
const BROADCAST = mac(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
const MULTICAST = mac(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01);

/** Frames and a frame vector in one heap region; frames at `offset` past 64-byte boundaries. */
class Batch {
  readonly region: number;
  readonly vec: number;
  private readonly frameBase: number;

  constructor(
    readonly rt: KernelRuntime,
    readonly capacity: number,
    readonly frameStride = 64,
  ) {
    this.region = rt.heap.alloc(capacity * 16 + capacity * frameStride);
    this.vec = this.region;
    this.frameBase = this.region + capacity * 16;
    cleanups.push(() => rt.heap.free(this.region));
  }

  set(i: number, dst: Uint8Array, src: Uint8Array, inPort: number, len = 60, offset = 0): void {
    const ptr = this.frameBase + i * this.frameStride + offset;
    this.rt.u8.fill(0xa5, ptr, ptr + Math.min(len, this.frameStride - offset));
    if (len >= 6) this.rt.u8.set(dst, ptr);
    if (len >= 12) this.rt.u8.set(src, ptr + 6);
    const w = (this.vec >>> 2) + i * 4;
    this.rt.u32[w] = ptr;
    this.rt.u32[w + 1] = len;
    this.rt.u32[w + 2] = inPort;
    this.rt.u32[w + 3] = 0x12345678;
  }

  out(i: number): number {
    return this.rt.u32[(this.vec >>> 2) + i * 4 + 3]!;
  }

  outs(count: number): number[] {
    return Array.from({ length: count }, (_, i) => this.out(i));
  }
}

/** The kernel's home slot of a MAC in a table of 2^log2 slots (Fibonacci hashing, as fdb.ts). */
function homeSlot(m: Uint8Array, log2: number): number {
  let k = 0n;
  for (let b = 5; b >= 0; b--) k = (k << 8n) | BigInt(m[b]!);
  return Number(((k * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn) >> BigInt(64 - log2));
}

/** Unicast addresses with the given home slots in a 16-slot table, from a seeded search. */
function crowdedMacs(homes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  const wanted = [...homes];
  for (let seed = 1; wanted.length > 0; seed++) {
    const m = seededBytes(seed, 6);
    m[0] = m[0]! & 0xfe;
    const at = wanted.indexOf(homeSlot(m, 4));
    if (at >= 0) {
      wanted.splice(at, 1);
      out.push(m);
    }
  }
  return out;
}

function refCounters(ref: ReferenceFdb, capacity: number): FdbStats {
  return { ...ref.counters, entries: ref.size, capacity };
}

describe.each(ALL_BUILDS)("forwarding database (%s build)", (build) => {
  const rt = runtimeFor(build);

  it("floods unknown destinations, learns sources and forwards to them", () => {
    const t = fdb(rt, 8);
    expect(t.lookup(B, 1, 0)).toBe(FDB_FLOOD);
    expect(t.learn(A, 3, 0)).toBe("learned");
    expect(t.lookup(A, 1, 10)).toBe(3);
    expect(t.get(A, 10)).toBe(3);
    expect(t.get(B, 10)).toBeUndefined();
    expect(t.learn(ZERO, 0, 0)).toBe("learned"); // the all-zero address is an ordinary unicast address
    expect(t.lookup(ZERO, 1, 0)).toBe(0);
    expect(t.size).toBe(2);
    expect(t.stats()).toMatchObject({ entries: 2, learned: 2, lookups: 3, hits: 2, floods: 1, filtered: 0 });
  });

  it("refreshes a live entry and counts a station move", () => {
    const t = fdb(rt, 8, 1000);
    t.learn(A, 3, 0);
    expect(t.learn(A, 3, 900)).toBe("refreshed");
    expect(t.get(A, 1899)).toBe(3); // refresh at 900 keeps it live until 1900
    expect(t.learn(A, 5, 1000)).toBe("moved");
    expect(t.lookup(A, 1, 1000)).toBe(5);
    expect(t.stats()).toMatchObject({ entries: 1, learned: 1, moved: 1 });
  });

  it("ages an entry out at exactly last-seen + ageing time", () => {
    const t = fdb(rt, 8, 500);
    t.learn(A, 2, 1000);
    t.learn(B, 4, 1200);
    expect(t.lookup(A, 1, 1499)).toBe(2);
    expect(t.lookup(A, 1, 1500)).toBe(FDB_FLOOD);
    expect(t.get(A, 1500)).toBeUndefined();
    expect(t.size).toBe(2); // expired but not yet swept
    expect(t.age(1499)).toBe(0);
    expect(t.age(1500)).toBe(1);
    expect(t.size).toBe(1);
    expect(t.get(B, 1699)).toBe(4);
    expect(t.age(1700)).toBe(1);
    expect(t.stats()).toMatchObject({ entries: 0, aged: 2 });
  });

  it("relearns an expired address as new (aged and learned both count)", () => {
    const t = fdb(rt, 8, 100);
    t.learn(A, 1, 0);
    expect(t.learn(A, 2, 100)).toBe("learned");
    expect(t.get(A, 150)).toBe(2);
    expect(t.stats()).toMatchObject({ entries: 1, learned: 2, aged: 1, moved: 0 });
  });

  it("changing the ageing time applies to stored entries", () => {
    const t = fdb(rt, 8, 1000);
    t.learn(A, 1, 0);
    t.agingTimeNs = 50;
    expect(t.agingTimeNs).toBe(50);
    expect(t.get(A, 50)).toBeUndefined();
    expect(t.age(50)).toBe(1);
    t.agingTimeNs = Infinity;
    t.learn(B, 1, 0);
    expect(t.get(B, Number.MAX_SAFE_INTEGER)).toBe(1);
    expect(t.age(Number.MAX_SAFE_INTEGER)).toBe(0);
  });

  it("never learns group addresses and always floods to them", () => {
    const t = fdb(rt, 8);
    expect(() => t.learn(BROADCAST, 1, 0)).toThrow(/group address/);
    expect(() => t.learn(MULTICAST, 1, 0)).toThrow(NetloomError);
    expect(t.size).toBe(0);
    const b = new Batch(rt, 3);
    b.set(0, A, BROADCAST, 1);
    b.set(1, BROADCAST, A, 2);
    b.set(2, MULTICAST, B, 3);
    expect(t.processBatch(b.vec, 3, 0)).toBe(0);
    expect(b.outs(3)).toEqual([FDB_FLOOD, FDB_FLOOD, FDB_FLOOD]);
    expect(t.size).toBe(2); // A and B, not the broadcast source
    expect(t.get(A, 0)).toBe(2);
    expect(t.stats()).toMatchObject({ lookups: 3, floods: 3, hits: 0 });
  });

  it("filters a frame whose destination sits on its in port", () => {
    const t = fdb(rt, 8);
    t.learn(A, 3, 0);
    expect(t.lookup(A, 3, 0)).toBe(FDB_FILTER);
    expect(t.lookup(A, undefined, 0)).toBe(3);
    const b = new Batch(rt, 2);
    b.set(0, A, B, 3);
    b.set(1, B, A, 4); // learns A moved to 4 first, then forwards to B on 3
    expect(t.processBatch(b.vec, 2, 0)).toBe(1);
    expect(b.outs(2)).toEqual([FDB_FILTER, 3]);
    expect(t.stats()).toMatchObject({ filtered: 2, hits: 4, moved: 1 });
  });

  it("when full: refuses new addresses, still refreshes and moves known ones, reclaims expired ones first", () => {
    const t = fdb(rt, 4, 1000);
    const macs = [1, 2, 3, 4, 5, 6].map((i) => mac(0x02, 0, 0, 0, 1, i));
    for (let i = 0; i < 4; i++) t.learn(macs[i]!, i, i * 100);
    let err: unknown;
    try {
      t.learn(macs[4]!, 0, 500);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NetloomError);
    expect((err as NetloomError).code).toBe("TABLE_FULL");
    expect(t.learn(macs[0]!, 0, 600)).toBe("refreshed");
    expect(t.learn(macs[1]!, 7, 600)).toBe("moved");
    // A batch counts the failure instead of throwing; the unknown station's frames flood.
    const b = new Batch(rt, 2);
    b.set(0, macs[0]!, macs[5]!, 9);
    b.set(1, macs[5]!, macs[0]!, 0);
    t.processBatch(b.vec, 2, 700);
    expect(b.outs(2)).toEqual([0, FDB_FLOOD]);
    expect(t.stats()).toMatchObject({ entries: 4, learnFailures: 2 });
    // At 1300 the entries of macs[2] (seen at 200) and macs[3] (300) have expired.
    expect(t.learn(macs[4]!, 1, 1300)).toBe("learned");
    expect(t.stats()).toMatchObject({ entries: 3, aged: 2, learnFailures: 2 });
    expect(t.get(macs[2]!, 1300)).toBeUndefined();
    expect(t.get(macs[0]!, 1300)).toBe(0);
  });

  it("removes entries and keeps the rest of a crowded table reachable", () => {
    const capacity = 200;
    const t = fdb(rt, capacity, 1e12, 100);
    const macs = Array.from({ length: capacity }, (_, i) => mac(0x00, 0x1b, 0x21, 0, i >> 8, i & 0xff));
    macs.forEach((m, i) => t.learn(m, i % 100, 0));
    for (let i = 0; i < capacity; i += 3) expect(t.remove(macs[i]!)).toBe(true);
    expect(t.remove(macs[0]!)).toBe(false);
    macs.forEach((m, i) => expect(t.get(m, 1)).toBe(i % 3 === 0 ? undefined : i % 100));
    t.clear();
    expect(t.size).toBe(0);
    expect(t.get(macs[1]!, 1)).toBeUndefined();
  });

  it("drops runts and frames from ports out of range, counted", () => {
    const t = fdb(rt, 8, 1000, 4);
    const b = new Batch(rt, 4);
    b.set(0, A, B, 0, 13);
    b.set(1, A, B, 0, 0);
    b.set(2, A, B, 4, 60);
    b.set(3, A, B, 3, 14);
    t.processBatch(b.vec, 4, 0);
    expect(b.outs(4)).toEqual([FDB_DROP_RUNT, FDB_DROP_RUNT, FDB_DROP_BAD_PORT, FDB_FLOOD]);
    expect(t.stats()).toMatchObject({ dropped: 3, entries: 1, lookups: 1 });
    expect(t.processBatch(b.vec, 0, 0)).toBe(0);
  });

  it("agrees with the reference on seeded random traffic, frame by frame and counter by counter", () => {
    for (const [capacity, stations, aging] of [
      [16, 40, 5000],
      [1000, 800, 50_000],
      [64, 64, 1e15],
    ] as const) {
      const ports = 8;
      const t = fdb(rt, capacity, aging, ports);
      const ref = new ReferenceFdb(capacity, aging, ports);
      const rnd = seededBytes(capacity * 7 + stations, 1 << 16);
      let r = 0;
      const next = (): number => rnd[r++ & 0xffff]!;
      // Station addresses; every 16th is a group address.
      const macs = Array.from({ length: stations }, (_, i) => {
        const m = seededBytes(i + 1 + capacity, 6);
        m[0] = i % 16 === 5 ? m[0]! | 1 : m[0]! & 0xfe;
        return m;
      });
      const b = new Batch(rt, 256, 80);
      let now = 0;
      for (let round = 0; round < 40; round++) {
        const count = 1 + (((next() << 8) | next()) % 256);
        for (let i = 0; i < count; i++) {
          const dst = macs[((next() << 8) | next()) % stations]!;
          const src = macs[((next() << 8) | next()) % stations]!;
          const sel = next();
          const len = sel < 8 ? sel % 14 : 14 + next();
          const inPort = sel === 255 ? ports + (next() % 3) : next() % ports;
          b.set(i, dst, src, inPort, len, next() % 16);
        }
        const unicast = t.processBatch(b.vec, count, now);
        const wasmOut = b.outs(count);
        for (let i = 0; i < count; i++) rt.u32[(b.vec >>> 2) + i * 4 + 3] = 0;
        expect(ref.processBatch(rt.u8, b.vec, count, now)).toBe(unicast);
        expect(wasmOut).toEqual(b.outs(count));
        expect(t.stats()).toEqual(refCounters(ref, capacity));
        now += next() * 37;
        if (round % 7 === 6) expect(t.age(now)).toBe(ref.age(now));
      }
    }
  });

  it("agrees with a plain Map model through random learn/lookup/age/remove sequences (property)", () => {
    // Unicast addresses whose home slots (in the 16-slot tables used here) are 15, 0 and 1:
    // long probe runs that wrap around the end, so removal and sweeps must shift entries back.
    const macs = crowdedMacs([15, 15, 15, 15, 0, 0, 0, 1, 1, 1, 15]);
    macs.push(MULTICAST);
    const op = fc.oneof(
      fc.record({ k: fc.constant("learn" as const), m: fc.nat(10), p: fc.nat(3) }),
      fc.record({ k: fc.constant("lookup" as const), m: fc.nat(11), p: fc.nat(3) }),
      fc.record({ k: fc.constant("advance" as const), dt: fc.nat(60) }),
      fc.record({ k: fc.constant("age" as const) }),
      fc.record({ k: fc.constant("remove" as const), m: fc.nat(11) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), fc.integer({ min: 1, max: 8 }), (ops, capacity) => {
        const t = ForwardingDatabase.create({ capacity, agingTimeNs: 100, ports: 4, runtime: rt });
        try {
          const model = new ReferenceFdb(capacity, 100, 4);
          let now = 0;
          for (const o of ops) {
            if (o.k === "learn") {
              const expected = model.learn(macKey(macs[o.m]!), o.p, now);
              let got: string;
              try {
                got = t.learn(macs[o.m]!, o.p, now);
              } catch (e) {
                got = (e as NetloomError).code === "TABLE_FULL" ? "full" : "error";
              }
              expect(got).toBe(expected);
            } else if (o.k === "lookup") {
              expect(t.lookup(macs[o.m]!, o.p, now)).toBe(model.lookup(macKey(macs[o.m]!), o.p, now));
            } else if (o.k === "advance") {
              now += o.dt;
            } else if (o.k === "age") {
              expect(t.age(now)).toBe(model.age(now));
            } else {
              expect(t.remove(macs[o.m]!)).toBe(model.remove(macKey(macs[o.m]!)));
            }
            for (const m of macs) expect(t.get(m, now)).toBe(model.get(macKey(m), now));
          }
          expect(t.stats()).toEqual(refCounters(model, capacity));
        } finally {
          t.free();
        }
      }),
      { numRuns: build === "debug" ? 150 : 50, seed: 0x5eed },
    );
  });
});

describe("forwarding database API errors", () => {
  const rt = runtimeFor("debug");

  it("rejects bad options", () => {
    expect(() => ForwardingDatabase.create({ capacity: 0, runtime: rt })).toThrow(/capacity/);
    expect(() => ForwardingDatabase.create({ capacity: FDB_MAX_CAPACITY + 1, runtime: rt })).toThrow(/capacity/);
    expect(() => ForwardingDatabase.create({ capacity: 1.5, runtime: rt })).toThrow(/capacity/);
    expect(() => ForwardingDatabase.create({ capacity: 8, ports: 0, runtime: rt })).toThrow(/ports/);
    expect(() => ForwardingDatabase.create({ capacity: 8, ports: 65536, runtime: rt })).toThrow(/ports/);
    expect(() => ForwardingDatabase.create({ capacity: 8, agingTimeNs: 0, runtime: rt })).toThrow(/agingTimeNs/);
    expect(() => ForwardingDatabase.create({ capacity: 8, agingTimeNs: NaN, runtime: rt })).toThrow(/agingTimeNs/);
  });

  it("rejects bad arguments with the argument's name", () => {
    const t = fdb(rt, 8, 1000, 4);
    expect(() => t.learn(new Uint8Array(5), 0, 0)).toThrow(/mac: a MAC address is 6 bytes/);
    expect(() => t.lookup(new Uint8Array(7), 0, 0)).toThrow(/mac/);
    expect(() => t.learn(A, 4, 0)).toThrow(/port/);
    expect(() => t.learn(A, -1, 0)).toThrow(/port/);
    expect(() => t.lookup(A, 4, 0)).toThrow(/inPort/);
    expect(() => t.learn(A, 0, -1)).toThrow(/nowNs/);
    expect(() => t.learn(A, 0, 0.5)).toThrow(/nowNs/);
    expect(() => t.age(Infinity)).toThrow(/nowNs/);
    expect(() => (t.agingTimeNs = -5)).toThrow(/agingTimeNs/);
    expect(() => t.processBatch(rt.u8.byteLength - 8, 1, 0)).toThrow(/vecPtr/);
    expect(() => t.processBatch(0, -1, 0)).toThrow(/count/);
    expect(t.size).toBe(0);
  });

  it("refuses use after free", () => {
    const t = ForwardingDatabase.create({ capacity: 8, runtime: rt });
    t.free();
    t.free();
    expect(() => t.lookup(A, 0, 0)).toThrow(expect.objectContaining({ code: "USE_AFTER_FREE" }));
    expect(() => t.stats()).toThrow(/freed/);
  });

  it("a 100,000-entry table fits and learns every address", () => {
    const t = fdb(rt, 100_000, 1e12, 64);
    const b = new Batch(rt, 256);
    let n = 0;
    const dst = mac(0x02, 0xff, 0, 0, 0, 0);
    for (let round = 0; n < 100_000; round++) {
      const count = Math.min(256, 100_000 - n);
      for (let i = 0; i < count; i++, n++) b.set(i, dst, mac(0x02, 0, 0, n >> 16, (n >> 8) & 0xff, n & 0xff), n % 64);
      t.processBatch(b.vec, count, round);
    }
    expect(t.stats()).toMatchObject({ entries: 100_000, learned: 100_000, learnFailures: 0 });
    expect(t.get(mac(0x02, 0, 0, 1, 0x86, 0x9f), 0)).toBe(99_999 % 64);
    expect(t.slots).toBe(262144);
  });
});
