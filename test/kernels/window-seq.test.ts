import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { seqAdd, seqDiff, seqGeq, seqGt, seqLeq, seqLt } from "../../src/kernels/seq.js";

describe("sequence number comparison (RFC 1982)", () => {
  it("orders numbers across the 2^32 wrap", () => {
    expect(seqLt(0xfffffff0, 0x10)).toBe(true);
    expect(seqGt(0x10, 0xfffffff0)).toBe(true);
    expect(seqLt(0x10, 0xfffffff0)).toBe(false);
    expect(seqDiff(0x10, 0xfffffff0)).toBe(0x20);
    expect(seqDiff(0xfffffff0, 0x10)).toBe(-0x20);
    expect(seqAdd(0xfffffff0, 0x20)).toBe(0x10);
  });

  it("treats equal numbers as neither less nor greater", () => {
    expect(seqLt(7, 7)).toBe(false);
    expect(seqGt(7, 7)).toBe(false);
    expect(seqLeq(7, 7)).toBe(true);
    expect(seqGeq(7, 7)).toBe(true);
  });

  it("decides the 2^31 tie by the sign bit", () => {
    // Undefined in RFC 1982: both directions read as "precedes"; windows stay below 2^31.
    expect(seqLt(0, 0x80000000)).toBe(true);
    expect(seqLt(0x80000000, 0)).toBe(true);
    expect(seqDiff(0, 0x80000000)).toBe(-(2 ** 31));
    expect(seqLt(0, 0x7fffffff)).toBe(true);
  });

  it("agrees with unwrapped integer order for distances below 2^31", () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }), (a, d) => {
        const b = seqAdd(a, d);
        expect(seqLt(a, b)).toBe(d > 0);
        expect(seqGt(a, b)).toBe(d < 0);
        expect(seqLeq(a, b)).toBe(d >= 0);
        expect(seqGeq(a, b)).toBe(d <= 0);
        expect(seqDiff(b, a)).toBe(d);
      }),
      { numRuns: 500 },
    );
  });
});
