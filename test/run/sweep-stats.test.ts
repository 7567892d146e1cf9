// Sweep statistics across seeds: mean and Student-t 95% interval, grouping by the non-seed
// parameters, a repeated seed counted once, failed points left out.
import { describe, expect, it } from "vitest";
import { meanCi, summariseSweep } from "../../src/run/sweep-stats.js";
import type { SweepResult } from "../../src/run/sweep.js";
import type { SweepRow } from "../../src/run/sweep-worker.js";

describe("meanCi", () => {
  it("is the mean and t(0.975, n - 1) * s / sqrt(n)", () => {
    // n = 4, s^2 = 5/3: t(0.975, 3) = 3.18245; half = 3.18245 * sqrt(5/12).
    const r = meanCi([1, 2, 3, 4])!;
    expect(r.mean).toBe(2.5);
    expect(r.half!).toBeCloseTo(3.182446305 * Math.sqrt(5 / 12), 6);
    // n = 2: t(0.975, 1) = 12.7062.
    expect(meanCi([10, 12])!.half!).toBeCloseTo(12.70620474 * (Math.SQRT2 / Math.sqrt(2)), 5);
    expect(meanCi([7])).toEqual({ mean: 7, half: null, n: 1 });
    expect(meanCi([])).toBeNull();
    expect(meanCi([3, 3, 3])).toEqual({ mean: 3, half: 0, n: 3 });
  });
});

function row(index: number, point: Record<string, number>, seed: number, throughputBps: number): SweepRow {
  return { index, point, status: "ok", seed, throughputBps, loss: 0, latencyMeanNs: null };
}

describe("summariseSweep", () => {
  it("groups by the non-seed parameters, counts a repeated seed once and leaves failures out", () => {
    const result: SweepResult = {
      scenario: "s",
      parameters: { size: [64, 512], seed: [1, 2, 2] },
      seedParameters: ["seed"],
      wallTimeMs: 1,
      rows: [
        row(0, { size: 64, seed: 1 }, 1, 10),
        row(1, { size: 64, seed: 2 }, 2, 20),
        row(2, { size: 64, seed: 2 }, 2, 20),
        row(3, { size: 512, seed: 1 }, 1, 30),
        { index: 4, point: { size: 512, seed: 2 }, status: "error", error: { message: "boom" } },
        row(5, { size: 512, seed: 2 }, 2, 50),
      ],
    };
    const s = summariseSweep(result);
    expect(s.axes).toEqual(["size"]);
    expect(s.failed).toBe(1);
    // Row 2 repeats row 1's seed; row 5 is seed 2's only successful run at size 512.
    expect(s.repeats).toBe(1);
    expect(s.groups.map((g) => [g.point, g.seeds])).toEqual([
      [{ size: 64 }, [1, 2]],
      [{ size: 512 }, [1, 2]],
    ]);
    expect(s.groups[0]!.figures.throughputBps).toEqual(meanCi([10, 20]));
    expect(s.groups[1]!.figures.throughputBps).toEqual(meanCi([30, 50]));
    // A figure no run gave is null, not zero.
    expect(s.groups[0]!.figures.latencyMeanNs).toBeNull();
  });

  it("without a seed parameter every parameter is an axis", () => {
    const result: SweepResult = {
      scenario: "s",
      parameters: { a: [1], b: [2, 3] },
      seedParameters: [],
      wallTimeMs: 1,
      rows: [row(0, { a: 1, b: 2 }, 5, 1), row(1, { a: 1, b: 3 }, 5, 2)],
    };
    const s = summariseSweep(result);
    expect(s.axes).toEqual(["a", "b"]);
    expect(s.groups.map((g) => g.figures.throughputBps?.mean)).toEqual([1, 2]);
  });
});
