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

describe("generated writes on a connection", () => {
  it("deliver the pattern at its stream offsets, also mixed with real bytes and retransmissions", async () => {
    const { tcpPair, sink } = await import("./support.js");
    const { sim, ta, tb, B, link } = tcpPair({ link: { rate: 1e8, delay: 50_000 } });
    const got: ReturnType<typeof sink>[] = [];
    tb.listen(80, (c) => got.push(sink(c, true)));
    const c = ta.connect(B.ip, 80);
    // Generated only (the ring holds no bytes), then real bytes (the ring is filled from the
    // pattern first), then generated again (copied into the ring from then on).
    const expected: number[] = [];
    let offset = 0;
    const gen = (n: number): void => {
      let left = n;
      while (left > 0) {
        const k = c.writeGenerated(left);
        for (let i = 0; i < k; i++) expected.push(patternByte(offset + i));
        offset += k;
        left -= k;
        if (k === 0) sim.scheduler.runUntil(sim.now + 1_000_000);
      }
    };
    gen(150_000);
    sim.scheduler.runUntil(sim.now + 2_000_000); // part of it in flight, part unsent
    link.setFaults({ loss: 0.02 }); // retransmissions of generated and real bytes
    const real = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7 + 1) & 0xff);
    let w = 0;
    while (w < real.length) {
      const k = c.write(real, w);
      for (let i = 0; i < k; i++) expected.push(real[w + i]!);
      w += k;
      offset += k;
      if (k === 0) sim.scheduler.runUntil(sim.now + 1_000_000);
    }
    gen(100_000);
    c.end();
    sim.scheduler.runUntil(sim.now + 20e9);
    expect(got).toHaveLength(1);
    expect(got[0]!.ended).toBe(true);
    expect(Buffer.compare(got[0]!.data(), Buffer.from(expected))).toBe(0);
  });
});
