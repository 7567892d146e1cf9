// Benchmark harness: every bench/*.bench.ts default-exports a suite; bench/run.ts runs them and
// prints one table. A figure carries its unit, the TypeScript reference measured in the same run
// (for the ratio) and the target it must meet, so the table says plainly what is met.

import { join } from "node:path";
import { Bench } from "tinybench";
import { packageRoot } from "../src/base/package-root.js";

/** A path under the package root (examples/, bench/results/, ...), from bench/ or dist/bench/. */
export function fromRoot(...parts: string[]): string {
  const root = packageRoot(import.meta.url);
  if (root === undefined) throw new Error(`no netloom package root above ${import.meta.url}`);
  return join(root, ...parts);
}

/**
 * True when the suites run as the compiled JavaScript in dist/bench (what `npm run bench`
 * does), under plain node like `npx netloom`; false when run from the TypeScript sources
 * through tsx, whose loader makes the same engine code measurably slower.
 */
export const COMPILED = import.meta.url.endsWith(".js");

export interface Figure {
  /** What was measured, e.g. "inet checksum 1500 B (Wasm SIMD)". */
  name: string;
  value: number;
  /** Unit of value and reference, e.g. "GB/s", "Mcells/s". */
  unit: string;
  /** The plain-TypeScript (or other baseline) figure from the same run, same unit. */
  reference?: number;
  /** Name of the baseline, printed in the ratio column (default "TS ref"). */
  referenceName?: string;
  /** Targets: value >= min, value / reference >= minRatio. */
  target?: { min?: number; minRatio?: number };
}

export interface BenchSuite {
  name: string;
  run(options: { quick: boolean }): Promise<Figure[]>;
}

/**
 * Operations per second of `fn`, measured with tinybench. Each call to fn does `opsPerCall`
 * operations (e.g. a batch of 64 frames counts 64).
 */
export async function opsPerSecond(
  fn: () => void,
  options: { quick: boolean; opsPerCall?: number; setup?: () => void },
): Promise<number> {
  options.setup?.();
  const bench = new Bench({ time: options.quick ? 100 : 1000, warmupTime: options.quick ? 20 : 200 });
  bench.add("x", fn);
  await bench.run();
  const task = bench.tasks[0]!;
  const result = task.result as unknown as {
    throughput?: { mean: number };
    hz?: number;
    state?: string;
    error?: unknown;
  };
  if (result.error) throw result.error;
  const hz = result.throughput?.mean ?? result.hz;
  if (hz === undefined) throw new Error("tinybench returned no throughput");
  return hz * (options.opsPerCall ?? 1);
}

export function formatFigure(f: Figure): string[] {
  const num = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const ratio = f.reference !== undefined && f.reference > 0 ? f.value / f.reference : undefined;
  const verdicts: string[] = [];
  if (f.target?.min !== undefined)
    verdicts.push(f.value >= f.target.min ? `>= ${f.target.min} ok` : `< ${f.target.min} MISSED`);
  if (f.target?.minRatio !== undefined && ratio !== undefined) {
    verdicts.push(ratio >= f.target.minRatio ? `>= ${f.target.minRatio}x ok` : `< ${f.target.minRatio}x MISSED`);
  }
  return [
    f.name,
    `${num(f.value)} ${f.unit}`,
    f.reference !== undefined ? `${num(f.reference)} ${f.unit} (${f.referenceName ?? "TS ref"})` : "",
    ratio !== undefined ? `${ratio.toFixed(1)}x` : "",
    verdicts.join(", "),
  ];
}

export function missed(f: Figure): boolean {
  const ratio = f.reference !== undefined && f.reference > 0 ? f.value / f.reference : undefined;
  return (
    (f.target?.min !== undefined && f.value < f.target.min) ||
    (f.target?.minRatio !== undefined && ratio !== undefined && ratio < f.target.minRatio)
  );
}
