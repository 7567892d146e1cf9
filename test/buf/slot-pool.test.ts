import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { SlotPool } from "../../src/buf/slot-pool.unsafe.js";
import { ErrorCode, NetloomError } from "../../src/base/errors.js";

const pools: SlotPool[] = [];
function pool(count: number, slotBytes = 2048): SlotPool {
  const p = new SlotPool({ count, slotBytes, name: "test.pool" });
  pools.push(p);
  return p;
}

afterEach(() => {
  // Every test must return every slot: destroy() throws on a leak.
  for (const p of pools.splice(0)) p.destroy();
});

describe("slot pool", () => {
  it("allocates distinct 64-byte aligned slots and counts exhaustion", () => {
    const p = pool(3);
    const slots = [p.alloc(), p.alloc(), p.alloc()];
    expect(new Set(slots).size).toBe(3);
    for (const s of slots) expect(p.dataOffset(s) % 64).toBe(0);
    expect(p.alloc()).toBe(-1);
    expect(p.stats()).toEqual({ capacity: 3, inUse: 3, highWater: 3, allocFailures: 1 });
    for (const s of slots) expect(p.release(s)).toBe(true);
    expect(p.stats().inUse).toBe(0);
  });

  it("shares a slot among holders without copying and frees it with the last one", () => {
    const p = pool(2);
    const s = p.alloc();
    p.bytes(s, 64, 4).set([1, 2, 3, 4]);
    p.retain(s);
    p.retain(s);
    expect(p.isShared(s)).toBe(true);
    expect(p.release(s)).toBe(false);
    expect(p.release(s)).toBe(false);
    expect(p.isShared(s)).toBe(false);
    expect(Array.from(p.bytes(s, 64, 4))).toEqual([1, 2, 3, 4]);
    expect(p.release(s)).toBe(true);
    expect(p.refcount(s)).toBe(0);
  });

  it("refuses a double release", () => {
    const p = pool(1);
    const s = p.alloc();
    p.release(s);
    expect(() => p.release(s)).toThrow(NetloomError);
    expect(p.refcount(s)).toBe(0);
  });

  it("reports leaks by slot and refuses to destroy a pool that leaks", () => {
    const p = new SlotPool({ count: 4, slotBytes: 64 });
    const a = p.alloc();
    const b = p.alloc();
    p.release(a);
    expect(p.leaks()).toEqual([b]);
    try {
      p.destroy();
      expect.unreachable();
    } catch (e) {
      expect((e as NetloomError).code).toBe(ErrorCode.INVALID_ARGUMENT);
      expect((e as Error).message).toMatch(/1 slot\(s\) in use/);
    }
    p.release(b);
    p.destroy();
  });

  it("rejects bad geometry with named errors", () => {
    expect(() => new SlotPool({ count: 0, slotBytes: 2048 })).toThrow(/count/);
    expect(() => new SlotPool({ count: 4, slotBytes: 100 })).toThrow(/slotBytes/);
  });

  it("in-use count matches a model under random alloc/retain/release", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 200 }), (ops) => {
        const p = new SlotPool({ count: 8, slotBytes: 64 });
        const holders = new Map<number, number>();
        for (const op of ops) {
          const live = [...holders.keys()];
          if (op === 0) {
            const s = p.alloc();
            if (s >= 0) holders.set(s, 1);
            else expect(holders.size).toBe(8);
          } else if (live.length > 0) {
            const s = live[live.length - 1]!;
            if (op === 1) {
              p.retain(s);
              holders.set(s, holders.get(s)! + 1);
            } else {
              const n = holders.get(s)! - 1;
              expect(p.release(s)).toBe(n === 0);
              if (n === 0) holders.delete(s);
              else holders.set(s, n);
            }
          }
          expect(p.stats().inUse).toBe(holders.size);
        }
        for (const [s, n] of holders) for (let i = 0; i < n; i++) p.release(s);
        p.destroy();
      }),
      { numRuns: 100 },
    );
  });
});
