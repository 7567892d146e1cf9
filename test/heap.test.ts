import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { KernelRuntime, createKernelMemory } from "../src/kernels/runtime.js";
import type { SharedHeap } from "../src/kernels/heap.unsafe.js";
import { ErrorCode, NetloomError } from "../src/base/errors.js";

function freshHeap(mib = 4): { rt: KernelRuntime; heap: SharedHeap } {
  const rt = new KernelRuntime(createKernelMemory(mib), "debug");
  return { rt, heap: rt.heap };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof NetloomError ? e.code : "not a NetloomError";
  }
  return undefined;
}

describe("shared heap", () => {
  it("hands out 64-byte aligned, zero-filled, disjoint regions", () => {
    const { rt, heap } = freshHeap();
    const a = heap.alloc(100);
    rt.u8.fill(0xff, a, a + 100);
    heap.free(a);
    const b = heap.alloc(100);
    expect(b % 64).toBe(0);
    expect(rt.u8.subarray(b, b + 100).every((x) => x === 0)).toBe(true);
    const c = heap.alloc(1);
    expect(c).toBeGreaterThanOrEqual(b + heap.sizeOf(b));
    expect(heap.sizeOf(c)).toBeGreaterThanOrEqual(1);
  });

  it("coalesces freed neighbours and returns the top to the bump region", () => {
    const { heap } = freshHeap();
    const base = heap.stats().inUseBytes;
    const regions = [heap.alloc(1000), heap.alloc(1000), heap.alloc(1000)];
    const after = heap.stats();
    expect(after.liveRegions).toBe(regions.length + 1);
    heap.free(regions[0]!);
    heap.free(regions[2]!);
    heap.free(regions[1]!);
    expect(heap.stats().inUseBytes).toBe(base);
    // The space is whole again: a region as large as all three fits where the first was.
    expect(heap.alloc(3000)).toBe(regions[0]);
  });

  it("refuses double frees and foreign pointers with USE_AFTER_FREE", () => {
    const { heap } = freshHeap();
    const a = heap.alloc(64);
    heap.free(a);
    expect(codeOf(() => heap.free(a))).toBe(ErrorCode.USE_AFTER_FREE);
    expect(codeOf(() => heap.free(12345))).toBe(ErrorCode.USE_AFTER_FREE);
  });

  it("reports exhaustion as OUT_OF_MEMORY and stays usable", () => {
    const { heap } = freshHeap(2);
    expect(codeOf(() => heap.alloc(4 * 1024 * 1024))).toBe(ErrorCode.OUT_OF_MEMORY);
    expect(codeOf(() => heap.alloc(0))).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(codeOf(() => heap.alloc(1.5))).toBe(ErrorCode.INVALID_ARGUMENT);
    const a = heap.alloc(1024);
    expect(a).toBeGreaterThan(0);
  });

  it("never overlaps live regions under random alloc/free sequences", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 1, max: 20000 }), fc.constant(-1)), { maxLength: 80 }), (ops) => {
        const { heap } = freshHeap(2);
        const base = heap.stats();
        const live: { ptr: number; size: number }[] = [];
        for (const op of ops) {
          if (op === -1 && live.length > 0) {
            heap.free(live.splice(live.length >> 1, 1)[0]!.ptr);
          } else if (op > 0) {
            live.push({ ptr: heap.alloc(op), size: op });
          }
          const sorted = [...live].sort((x, y) => x.ptr - y.ptr);
          for (let i = 1; i < sorted.length; i++) {
            expect(sorted[i]!.ptr).toBeGreaterThanOrEqual(sorted[i - 1]!.ptr + sorted[i - 1]!.size);
          }
        }
        for (const r of live) heap.free(r.ptr);
        expect(heap.stats().inUseBytes).toBe(base.inUseBytes);
        expect(heap.stats().liveRegions).toBe(base.liveRegions);
      }),
      { numRuns: 60 },
    );
  });
  it("every region comes zeroed whatever was written and freed before (fast-check)", () => {
    // Regions carved above everything handed out so far are not cleared (the memory is fresh);
    // every other one is: freed ones reused from the list, and the bump region after its top
    // was given back.
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 20000 })), { maxLength: 60 }), (ops) => {
        const { rt, heap } = freshHeap(8);
        const live: number[] = [];
        for (const [allocate, n] of ops) {
          if (allocate || live.length === 0) {
            const p = heap.alloc(n);
            const size = heap.sizeOf(p);
            for (let i = p; i < p + size; i++) if (rt.u8[i] !== 0) return false;
            rt.u8.fill(0xa5, p, p + size);
            live.push(p);
          } else {
            heap.free(live.splice(n % live.length, 1)[0]!);
          }
        }
        return true;
      }),
      { numRuns: 40 },
    );
  });
});
