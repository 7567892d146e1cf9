import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { LatencyHistogram } from "../../src/trace/latency-histogram.js";
import { NetloomError } from "../../src/base/errors.js";

/** The nearest-rank percentile of a sorted array: the definition the histogram approximates. */
function oracle(sorted: readonly number[], q: number): number {
  if (q === 0) return sorted[0]!;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

const QUANTILES = [0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1];

describe("LatencyHistogram", () => {
  it("is exact for small integers (below 2 * 64)", () => {
    const h = new LatencyHistogram();
    const values = [5, 1, 127, 0, 64, 64, 100, 3, 99, 126];
    for (const v of values) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of QUANTILES) expect(h.percentile(q), `q=${q}`).toBe(oracle(sorted, q));
    expect(h.count).toBe(values.length);
    expect(h.min).toBe(0);
    expect(h.max).toBe(127);
    expect(h.mean).toBe(values.reduce((a, b) => a + b, 0) / values.length);
    expect(h.toJSON()).toEqual({ count: 10, min: 0, p50: 64, p90: 126, p99: 127, max: 127, mean: 58.9 });
  });

  it("has the documented layout and error bound", () => {
    const h = new LatencyHistogram();
    expect(h.bucketCount).toBe(128 + 35 * 64);
    expect(h.relativeErrorBound).toBe(1 / 128);
    expect(h.maxValue).toBe(2 ** 42 - 1); // about 73 minutes in ns
    const coarse = new LatencyHistogram({ subBucketBits: 3, maxValueBits: 20 });
    expect(coarse.relativeErrorBound).toBe(1 / 16);
  });

  it("stays within the relative error bound of a sorted-array oracle on random data", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: 0, max: 200 }),
            fc.integer({ min: 0, max: 100_000 }),
            fc.integer({ min: 0, max: 2 ** 42 - 1 }),
            // Log-uniform: exercises every magnitude, including bucket edges.
            fc.integer({ min: 0, max: 41 }).chain((e) => fc.integer({ min: 2 ** e, max: 2 ** (e + 1) - 1 })),
          ),
          { minLength: 1, maxLength: 400 },
        ),
        fc.constantFrom(4, 6, 7),
        (values, bits) => {
          const h = new LatencyHistogram({ subBucketBits: bits });
          for (const v of values) h.record(v);
          const sorted = [...values].sort((a, b) => a - b);
          const bound = 1 / 2 ** (bits + 1);
          for (const q of QUANTILES) {
            const exact = oracle(sorted, q);
            const got = h.percentile(q);
            expect(Number.isInteger(got)).toBe(true);
            if (exact < 2 ** (bits + 1)) expect(got).toBe(exact);
            else expect(Math.abs(got - exact)).toBeLessThanOrEqual(exact * bound);
          }
          expect(h.min).toBe(sorted[0]);
          expect(h.max).toBe(sorted[sorted.length - 1]);
          expect(h.count).toBe(values.length);
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });

  it("merge equals recording everything into one histogram", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000_000 }), { maxLength: 200 }),
        fc.array(fc.integer({ min: 0, max: 10_000_000 }), { maxLength: 200 }),
        (a, b) => {
          const ha = new LatencyHistogram();
          const hb = new LatencyHistogram();
          const all = new LatencyHistogram();
          for (const v of a) {
            ha.record(v);
            all.record(v);
          }
          for (const v of b) {
            hb.record(v);
            all.record(v);
          }
          ha.merge(hb);
          expect(ha.toJSON()).toEqual(all.toJSON());
          for (const q of QUANTILES) expect(Object.is(ha.percentile(q), all.percentile(q))).toBe(true);
        },
      ),
      { numRuns: 200, seed: 7 },
    );
    expect(() => new LatencyHistogram().merge(new LatencyHistogram({ subBucketBits: 5 }))).toThrow(/cannot merge/);
  });

  it("empty: count 0, NaN statistics, nulls in JSON; merging an empty one changes nothing", () => {
    const h = new LatencyHistogram();
    expect(h.count).toBe(0);
    expect(h.min).toBeNaN();
    expect(h.max).toBeNaN();
    expect(h.mean).toBeNaN();
    for (const q of QUANTILES) expect(h.percentile(q)).toBeNaN();
    expect(h.toJSON()).toEqual({ count: 0, min: null, p50: null, p90: null, p99: null, max: null, mean: null });
    expect(JSON.stringify(h)).toBe('{"count":0,"min":null,"p50":null,"p90":null,"p99":null,"max":null,"mean":null}');
    const one = new LatencyHistogram();
    one.record(1000);
    one.merge(h);
    expect(one.toJSON()).toEqual({ count: 1, min: 1000, p50: 1000, p90: 1000, p99: 1000, max: 1000, mean: 1000 });
    h.merge(one);
    expect(h.toJSON()).toEqual(one.toJSON());
    h.reset();
    expect(h.count).toBe(0);
    expect(h.percentile(0.5)).toBeNaN();
  });

  it("clamps values beyond the range into the top bucket and counts them as overflow", () => {
    const h = new LatencyHistogram({ subBucketBits: 6, maxValueBits: 20 });
    h.record(10);
    h.record(2 ** 30);
    h.record(2 ** 20 - 1);
    expect(h.overflow).toBe(1);
    expect(h.count).toBe(3);
    expect(h.max).toBe(2 ** 30); // exact, even though bucketed at the top
    expect(h.percentile(1)).toBe(2 ** 30);
    // The top bucket's midpoint: within the bound of maxValue.
    expect(Math.abs(h.percentile(0.9) - (2 ** 20 - 1))).toBeLessThanOrEqual((2 ** 20 - 1) / 128);
  });

  it("ignores bad values without throwing (hot path), truncates fractions, rejects bad quantiles", () => {
    const h = new LatencyHistogram();
    h.record(-1);
    h.record(NaN);
    h.record(12.9);
    expect(h.rejected).toBe(2);
    expect(h.count).toBe(1);
    expect(h.min).toBe(12);
    expect(() => h.percentile(1.5)).toThrow(NetloomError);
    expect(() => h.percentile(NaN)).toThrow(/quantile/);
    expect(() => new LatencyHistogram({ subBucketBits: 0 })).toThrow(/subBucketBits/);
    expect(() => new LatencyHistogram({ maxValueBits: 60 })).toThrow(/maxValueBits/);
  });
});
