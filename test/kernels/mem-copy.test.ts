// memCopy (assembly/mem) through KernelRuntime.copy: differential against the reference,
// Uint8Array.prototype.copyWithin, for every build, overlapping ranges in both directions
// included; and the bounds errors of the wrapper.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ALL_BUILDS, BOUNDARY_SIZES, runtimeFor, seededBytes } from "../support/runtimes.js";
import { NetloomError } from "../../src/base/errors.js";

const AREA = 3 * 65536;

describe.each(ALL_BUILDS)("memCopy kernel (%s build)", (build) => {
  const rt = runtimeFor(build);
  const base = rt.heap.alloc(AREA);

  /** Runs copy and the reference on the same random area; both areas must end identical. */
  function check(seed: number, dst: number, src: number, len: number): void {
    const start = seededBytes(seed, AREA);
    const expected = start.slice();
    expected.copyWithin(dst, src, src + len);
    rt.u8.set(start, base);
    rt.copy(base + dst, base + src, len);
    // First differing byte, -1 if none (toEqual on 192 KiB arrays is far too slow here).
    const got = rt.u8.subarray(base, base + AREA);
    let first = -1;
    for (let i = 0; i < AREA && first < 0; i++) if (got[i] !== expected[i]) first = i;
    expect(first, `copy(${dst}, ${src}, ${len})`).toBe(-1);
  }

  it.each(BOUNDARY_SIZES)("copies %i bytes apart, forwards and backwards, unaligned", (len) => {
    check(len + 1, 1, 65536 + 3, len);
    check(len + 2, 65536 + 5, 7, len);
  });

  it("equals copyWithin for random ranges, overlapping ones included (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1 << 30 }),
        fc.integer({ min: 0, max: 65536 }),
        fc.integer({ min: 0, max: 65536 }),
        fc.integer({ min: 0, max: 65536 }),
        (seed, dst, src, len) => check(seed, dst, src, len),
      ),
      { numRuns: 200 },
    );
  });

  it("copies onto itself without change, and a zero length is a no-op even at the very end", () => {
    check(9, 100, 100, 4000);
    expect(() => rt.copy(rt.u8.byteLength, rt.u8.byteLength, 0)).not.toThrow();
  });

  it("refuses ranges outside linear memory, or not whole non-negative numbers, naming the range", () => {
    const size = rt.u8.byteLength;
    // dst, src, len, and the range the error must name.
    const bad: [number, number, number, "dst" | "src"][] = [
      [size - 10, base, 11, "dst"],
      [base, size - 10, 11, "src"],
      [-1, base, 4, "dst"],
      [base, -4, 4, "src"],
      [base, base, -1, "dst"],
      [base + 0.5, base, 4, "dst"],
      [base, base + 0.5, 4, "src"],
      [base, base, Number.NaN, "dst"],
    ];
    for (const [dst, src, len, which] of bad) {
      let err: unknown;
      try {
        rt.copy(dst, src, len);
      } catch (e) {
        err = e;
      }
      expect(err, `copy(${dst}, ${src}, ${len})`).toBeInstanceOf(NetloomError);
      expect((err as NetloomError).code).toBe("OUT_OF_BOUNDS");
      expect((err as NetloomError).path).toBe(which);
      const ptr = which === "dst" ? dst : src;
      expect((err as NetloomError).message).toBe(
        `${which}: [${ptr}, ${ptr} + ${len}) is not inside the ${size}-byte kernel memory`,
      );
    }
  });
});
