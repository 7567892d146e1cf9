import { describe, expect, it } from "vitest";
import { Rng, deriveSeed, fmix32 } from "../../src/engine/rng.js";
import { NetloomError } from "../../src/base/errors.js";

function chiSquare(counts: ArrayLike<number>, expected: number): number {
  let x = 0;
  for (let i = 0; i < counts.length; i++) x += (counts[i]! - expected) ** 2 / expected;
  return x;
}

// 255 degrees of freedom: mean 255, sd about 22.6. Fixed seeds make these deterministic; the
// bounds are loose (about 6 sd) so they catch a broken generator, not bad luck.
const CHI_255_MAX = 390;
const CHI_255_MIN = 150;

describe("Rng: xoshiro128** known answers", () => {
  it("matches the reference C implementation from a raw state", () => {
    // From prng.di.unimi.it/xoshiro128starstar.c compiled with gcc, state {1, 2, 3, 4}.
    const r = new Rng(0);
    r.setState([1, 2, 3, 4]);
    expect([1, 2, 3, 4, 5, 6].map(() => r.nextU32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
    r.setState([0xdeadbeef, 0x01234567, 0x89abcdef, 0xfedcba98]);
    expect([1, 2, 3, 4, 5, 6].map(() => r.nextU32())).toEqual([
      2576977298, 1162350735, 558593417, 7144843, 2523195487, 3129381430,
    ]);
  });

  it("pins seeding and stream derivation (a change here changes every run's trajectory)", () => {
    const r = new Rng(1);
    expect([1, 2, 3, 4, 5, 6].map(() => r.nextU32())).toEqual([
      1303881186, 1342448762, 1418332581, 3518641075, 1729099574, 3708254431,
    ]);
    expect(deriveSeed(0, "dev:0")).toBe(5350024775186772);
    expect(deriveSeed(42, "link:3:a->b")).toBe(5949390965237756);
    expect(deriveSeed(2 ** 53 - 1, "x")).toBe(8542031606198736);
    const s = Rng.forStream(42, "link:3:a->b");
    expect([1, 2, 3, 4].map(() => s.nextU32())).toEqual([1713877533, 3270725174, 2705936887, 3713480715]);
    expect(s.nextFloat()).toBe(0.02287989705338389);
    expect(s.nextBelow(10)).toBe(6);
  });

  it("fmix32 is the murmur3 finaliser", () => {
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).toBe(0x514e28b7);
  });
});

describe("Rng: distribution", () => {
  it("nextU32 top byte and bottom byte are uniform (chi-square)", () => {
    const r = Rng.forStream(7, "chi:u32");
    const hi = new Float64Array(256);
    const lo = new Float64Array(256);
    const n = 256 * 2000;
    for (let i = 0; i < n; i++) {
      const u = r.nextU32();
      hi[u >>> 24]!++;
      lo[u & 255]!++;
    }
    for (const counts of [hi, lo]) {
      const x = chiSquare(counts, n / 256);
      expect(x).toBeLessThan(CHI_255_MAX);
      expect(x).toBeGreaterThan(CHI_255_MIN);
    }
  });

  it("nextFloat and nextFloat32 are in [0, 1) and uniform", () => {
    const r = Rng.forStream(7, "chi:float");
    for (const draw of [() => r.nextFloat(), () => r.nextFloat32()]) {
      const counts = new Float64Array(256);
      const n = 256 * 2000;
      let min = 1;
      let max = 0;
      for (let i = 0; i < n; i++) {
        const f = draw();
        min = Math.min(min, f);
        max = Math.max(max, f);
        counts[Math.floor(f * 256)]!++;
      }
      // In [0, 1), and reaching both ends: P(no draw below 1e-4) over 512,000 draws is e^-51.
      expect(min).toBeGreaterThanOrEqual(0);
      expect(min).toBeLessThan(1e-4);
      expect(max).toBeLessThan(1);
      expect(max).toBeGreaterThan(1 - 1e-4);
      expect(chiSquare(counts, n / 256)).toBeLessThan(CHI_255_MAX);
    }
    // 53-bit floats use the low bits too: values are not all multiples of 2^-32.
    let fine = 0;
    for (let i = 0; i < 100; i++) if ((r.nextFloat() * 2 ** 32) % 1 !== 0) fine++;
    expect(fine).toBeGreaterThan(90);
  });

  it("nextBelow is unbiased where plain modulo is badly biased", () => {
    // n = 3 * 2^30: r % n would hit [0, 2^30) twice as often as the other two thirds.
    const r = Rng.forStream(11, "below:big");
    const n = 3 * 2 ** 30;
    const thirds = [0, 0, 0];
    const draws = 300_000;
    let max = 0;
    for (let i = 0; i < draws; i++) {
      const v = r.nextBelow(n);
      max = Math.max(max, v);
      thirds[Math.floor(v / 2 ** 30)]!++;
    }
    expect(max).toBeLessThan(n);
    for (const t of thirds) expect(Math.abs(t / draws - 1 / 3)).toBeLessThan(0.005);
  });

  it("nextBelow small n is uniform, covers the range, and handles n = 1 and 2^32", () => {
    const r = Rng.forStream(11, "below:small");
    const counts = new Float64Array(7);
    for (let i = 0; i < 70_000; i++) counts[r.nextBelow(7)]!++;
    // 6 degrees of freedom: mean 6, 99.99th percentile about 27.9.
    expect(chiSquare(counts, 10_000)).toBeLessThan(28);
    expect(r.nextBelow(1)).toBe(0);
    const v = r.nextBelow(2 ** 32);
    expect(Number.isInteger(v) && v >= 0 && v < 2 ** 32).toBe(true);
  });

  it("bernoulli, exponential and geometric have the configured means", () => {
    const r = Rng.forStream(3, "moments");
    const n = 200_000;
    let hits = 0;
    let sum = 0;
    let gsum = 0;
    for (let i = 0; i < n; i++) {
      if (r.bernoulli(0.1)) hits++;
      sum += r.exponential(250);
      gsum += r.geometric(0.2);
    }
    expect(Math.abs(hits / n - 0.1)).toBeLessThan(0.003);
    expect(Math.abs(sum / n - 250) / 250).toBeLessThan(0.01);
    expect(Math.abs(gsum / n - 4) / 4).toBeLessThan(0.02); // (1 - p) / p
    expect(r.bernoulli(0)).toBe(false);
    expect(r.bernoulli(1)).toBe(true);
    expect(r.geometric(1)).toBe(0);
  });

  it("draw counts do not depend on argument values", () => {
    const a = new Rng(5);
    const b = new Rng(5);
    a.bernoulli(0);
    b.bernoulli(0.999);
    a.geometric(1);
    b.geometric(0.001);
    expect(a.nextU32()).toBe(b.nextU32());
  });
});

describe("Rng: streams", () => {
  it("a stream depends only on (scenario seed, id): creation order and other devices do not matter", () => {
    const first = (ids: string[]): Map<string, number[]> => {
      const m = new Map<string, number[]>();
      for (const id of ids) {
        const r = Rng.forStream(99, id);
        m.set(id, [r.nextU32(), r.nextU32(), r.nextU32()]);
      }
      return m;
    };
    const small = first(["dev:0", "dev:1", "link:0:a->b"]);
    const big = first(["dev:7", "link:0:b->a", "link:0:a->b", "dev:1", "dev:0", "dev:2"]);
    for (const [id, v] of small) expect(big.get(id)).toEqual(v);
  });

  it("derived seeds are distinct across 100,000 ids and both link directions differ", () => {
    const seen = new Set<number>();
    let bad = 0;
    for (let i = 0; i < 100_000; i++) {
      const s = deriveSeed(1, `dev:${i}`);
      if (!(Number.isSafeInteger(s) && s >= 0)) bad++;
      seen.add(s);
    }
    expect(bad).toBe(0);
    expect(seen.size).toBe(100_000);
    expect(deriveSeed(1, "link:3:a->b")).not.toBe(deriveSeed(1, "link:3:b->a"));
    expect(deriveSeed(1, "dev:1")).not.toBe(deriveSeed(2, "dev:1"));
    expect(deriveSeed(1, "dev:1")).not.toBe(deriveSeed(1 + 2 ** 32, "dev:1"));
  });

  it("neighbouring streams are uncorrelated", () => {
    const n = 100_000;
    const pairs: [Rng, Rng][] = [
      [Rng.forStream(1, "dev:0"), Rng.forStream(1, "dev:1")],
      [Rng.forStream(1, "link:3:a->b"), Rng.forStream(1, "link:3:b->a")],
      [Rng.forStream(1, "dev:0"), Rng.forStream(2, "dev:0")],
      [new Rng(0), new Rng(1)],
    ];
    for (const [x, y] of pairs) {
      let sx = 0;
      let sy = 0;
      let sxy = 0;
      let sxx = 0;
      let syy = 0;
      let sameBits = 0;
      for (let i = 0; i < n; i++) {
        const ux = x.nextU32();
        const uy = y.nextU32();
        const a = ux / 2 ** 32;
        const b = uy / 2 ** 32;
        sx += a;
        sy += b;
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
        let d = ~(ux ^ uy);
        d -= (d >>> 1) & 0x55555555;
        d = (d & 0x33333333) + ((d >>> 2) & 0x33333333);
        sameBits += Math.imul((d + (d >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
      }
      const corr = (n * sxy - sx * sy) / Math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
      expect(Math.abs(corr)).toBeLessThan(0.015); // sd is about 0.003
      expect(Math.abs(sameBits / (32 * n) - 0.5)).toBeLessThan(0.002);
    }
  });
});

describe("Rng: state and misuse", () => {
  it("save and restore reproduce the stream exactly; clone is independent", () => {
    const r = Rng.forStream(5, "ckpt");
    for (let i = 0; i < 17; i++) r.nextU32();
    const saved = r.getState();
    const c = r.clone();
    const after = [r.nextU32(), r.nextFloat(), r.nextBelow(1000)];
    r.setState(saved);
    expect([r.nextU32(), r.nextFloat(), r.nextBelow(1000)]).toEqual(after);
    expect([c.nextU32(), c.nextFloat(), c.nextBelow(1000)]).toEqual(after);
    expect(saved.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)).toBe(true);
  });

  it("throws NetloomError INVALID_ARGUMENT on misuse", () => {
    const r = new Rng(1);
    const cases: [() => unknown, RegExp][] = [
      [() => new Rng(-1), /^seed: -1 is not an integer seed/],
      [() => new Rng(1.5), /^seed:/],
      [() => new Rng(2 ** 53), /^seed:/],
      [() => deriveSeed(NaN, "x"), /^scenarioSeed:/],
      [() => deriveSeed(1, ""), /^stableId:/],
      [() => r.nextBelow(0), /^n: 0 is not an integer in \[1, 2\^32\]/],
      [() => r.nextBelow(2.5), /^n:/],
      [() => r.nextBelow(2 ** 32 + 1), /^n:/],
      [() => r.bernoulli(1.1), /^p: 1.1 is not a probability/],
      [() => r.bernoulli(NaN), /^p:/],
      [() => r.exponential(0), /^mean:/],
      [() => r.geometric(0), /^p:/],
      [() => r.setState([0, 0, 0, 0]), /^state:/],
      [() => r.setState([1, 2, 3]), /^state:/],
      [() => r.setState([1, 2, 3, 2 ** 32]), /^state:/],
    ];
    for (const [fn, msg] of cases) {
      expect(fn).toThrow(NetloomError);
      expect(fn).toThrow(msg);
    }
  });
});
