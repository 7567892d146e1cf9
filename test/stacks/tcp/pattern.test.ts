// The bulk-transfer pattern: periodic, the slack repeats the period exactly, and the checker
// catches wrong and misplaced bytes.
import { describe, expect, it } from "vitest";
import { PATTERN_PERIOD, PATTERN_TABLE, PatternChecker, patternByte } from "../../../src/stacks/tcp/pattern.js";

describe("pattern", () => {
  it("the slack repeats the period byte for byte (no zero tail)", () => {
    const tail = Buffer.from(PATTERN_TABLE.subarray(PATTERN_PERIOD));
    expect(tail.equals(Buffer.from(PATTERN_TABLE.subarray(0, tail.length)))).toBe(true);
    expect(patternByte(PATTERN_PERIOD * 3 + 5)).toBe(PATTERN_TABLE[5]);
  });

  it("the checker accepts the stream in any chunking and counts damaged bytes", () => {
    const n = 200_000;
    const s = new Uint8Array(n);
    for (let i = 0; i < n; i++) s[i] = patternByte(i);
    const ok = new PatternChecker();
    for (let o = 0; o < n; o += 1337) ok.update(s, o, Math.min(1337, n - o));
    expect([ok.offset, ok.mismatches]).toEqual([n, 0]);
    s[150_001]! ^= 1;
    s[150_002]! ^= 0xff;
    const bad = new PatternChecker();
    bad.update(s, 0, n);
    expect([bad.mismatches, bad.firstMismatch]).toEqual([2, 150_001]);
    // Shifted by one segment: nearly every byte differs.
    const shifted = new PatternChecker();
    shifted.offset = 1460;
    shifted.update(s, 0, 10_000);
    expect(shifted.mismatches).toBeGreaterThan(9_000);
  });
});
