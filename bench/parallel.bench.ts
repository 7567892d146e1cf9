// Parallel execution benchmark: four 64-host stars, each on its own learning switch,
// the switches chained by 100 us links (the cut the partitioner picks); every host sends 1000-byte
// UDP datagrams at 20 Mbit/s to its neighbour in the same star, and one host per star sends to a
// host of the next star, so frames do cross partitions.
// Figures (seven mirrored rounds, warm threads on both sides): wall-clock time of the whole
// run (build included) with the plain single-threaded engine, with runScenario({ workers: 1 })
// and with 2 workers; targets: 2 workers at least 1.6x faster than 1, and 1 worker no more
// than 5% slower than the plain engine. Also printed: the first (cold-thread) 2-worker run,
// the number of windows and of frames that crossed partitions, and the barrier waits. Every
// run must give the same fingerprint, else the suite throws (a fast wrong answer is no result).

import type { Scenario } from "../src/scenario/scenario.js";
import { parseScenario } from "../src/scenario/scenario.js";
import { buildScenario } from "../src/run/build-scenario.js";
import { reportOf } from "../src/run/run-report.js";
import { runScenario } from "../src/run/run-scenario.js";
import { COMPILED, type BenchSuite, type Figure } from "./harness.js";

// Compiled under plain node (what `npm run bench` and `npx netloom run --workers` run: the
// main thread and the workers then run the same code the same way); from the sources, the
// main thread runs under tsx's loader while the workers load compiled JS, which skews the ratio.
const CODE = COMPILED ? "compiled, plain node" : "TS sources via tsx";

const STARS = 4;
const HOSTS = 64;

export function fourStarsYaml(durationMs: number): string {
  const lines: string[] = ["name: four-stars", "seed: 7", `duration: ${durationMs}ms`, "hosts:"];
  const name = (s: number, i: number): string => `s${s}h${i}`;
  for (let s = 0; s < STARS; s++) {
    for (let i = 0; i < HOSTS; i++) lines.push(`  - { name: ${name(s, i)}, ip: 10.0.${s}.${i + 1}/16 }`);
  }
  lines.push("switches:");
  for (let s = 0; s < STARS; s++) lines.push(`  - { name: sw${s}, ports: ${HOSTS + 2} }`);
  lines.push("links:");
  for (let s = 0; s < STARS; s++) {
    for (let i = 0; i < HOSTS; i++) lines.push(`  - { a: ${name(s, i)}, b: "sw${s}:${i}", rate: 1Gbps, delay: 5us }`);
  }
  for (let s = 0; s + 1 < STARS; s++)
    lines.push(
      `  - { name: trunk${s}, a: "sw${s}:${HOSTS}", b: "sw${s + 1}:${HOSTS + 1}", rate: 1Gbps, delay: 100us }`,
    );
  lines.push("traffic:");
  for (let s = 0; s < STARS; s++) {
    for (let i = 0; i < HOSTS; i++) {
      lines.push(
        `  - { name: f${s}_${i}, type: cbr, from: ${name(s, i)}, to: ${name(s, (i + 1) % HOSTS)}, size: 1000, rate: 20Mbps, start: 1ms }`,
      );
    }
    lines.push(
      `  - { name: x${s}, type: cbr, from: ${name(s, 0)}, to: ${name((s + 1) % STARS, HOSTS / 2)}, size: 1000, rate: 20Mbps, start: 1ms }`,
    );
  }
  return lines.join("\n") + "\n";
}

function scenario(durationMs: number): Scenario {
  return parseScenario(fourStarsYaml(durationMs), { source: "four-stars" });
}

async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const suite: BenchSuite = {
  name: "parallel",
  async run({ quick }) {
    const durationMs = quick ? 100 : 1000;
    // The first 2-worker run of the process starts cold threads (fresh isolates: thread
    // start-up and JIT warm-up in every worker). It is timed on its own; it also warms the
    // pool, which later runs in this process reuse (src/run/partition-pool.ts). The main
    // thread is warmed with a 1-worker run of the same length, so both sides start warm.
    const cold = await timed(() => runScenario(scenario(durationMs), { workers: 2, forceWorkers: true }));
    await runScenario(scenario(durationMs), { workers: 1 });
    const plainRun = () =>
      timed(() => {
        const built = buildScenario(scenario(durationMs));
        built.network.run(built.scenario.durationNs);
        const r = reportOf(built, 0);
        built.network.dispose();
        return r;
      });
    // Rounds of plain, 1 worker, 2 workers, each round in mirrored order (plain 1w 2w 2w 1w
    // plain). A shared machine's speed drifts within minutes; a mirrored round cancels
    // a drift that is linear over the round, so each round's ratio compares like with like, and
    // the figure is the median of the rounds' ratios (the ratio of the medians is printed
    // too).
    const roundCount = quick ? 1 : 7;
    const rounds: Awaited<ReturnType<typeof plainRun>>[][] = [[], [], []];
    const perRound: { speedup: number; plainRatio: number }[] = [];
    const run1 = () => timed(() => runScenario(scenario(durationMs), { workers: 1 }));
    const run2 = () => timed(() => runScenario(scenario(durationMs), { workers: 2, forceWorkers: true }));
    for (let k = 0; k < roundCount; k++) {
      const p1 = await plainRun();
      const a1 = await run1();
      const a2 = await run2();
      const b2 = await run2();
      const b1 = await run1();
      const p2 = await plainRun();
      rounds[0]!.push(p1, p2);
      rounds[1]!.push(a1, b1);
      rounds[2]!.push(a2, b2);
      perRound.push({ speedup: (a1.ms + b1.ms) / (a2.ms + b2.ms), plainRatio: (p1.ms + p2.ms) / (a1.ms + b1.ms) });
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const mid = <T extends { ms: number }>(xs: T[]): T => [...xs].sort((a, b) => a.ms - b.ms)[xs.length >> 1]!;
    const plain = mid(rounds[0]!);
    const one = mid(rounds[1]!);
    const two = mid(rounds[2]!);
    const pairedSpeedup = median(perRound.map((r) => r.speedup));
    const pairedPlain = median(perRound.map((r) => r.plainRatio));
    const allRuns = rounds.map((xs) => xs.map((x) => x.ms.toFixed(0)).join("/")).join(", ");
    for (const r of [cold.value, ...rounds[1]!.map((x) => x.value), ...rounds[2]!.map((x) => x.value)]) {
      if (r.fingerprint !== plain.value.fingerprint || r.events !== plain.value.events) {
        throw new Error(
          `a run diverged: ${r.fingerprint}/${r.events} vs plain ${plain.value.fingerprint}/${plain.value.events}`,
        );
      }
    }
    const par = two.value.parallel!;
    if (!par.warmThreads) throw new Error("the timed 2-worker runs did not reuse the warm pool");
    const waits = par.perPartition.map((p) => `${p.barrierWaitMs.toFixed(0)}`).join("/");
    const delivered = plain.value.flows.reduce((n, f) => n + f.receivedPackets, 0);
    const figures: Figure[] = [
      {
        name: `four 64-host stars, ${durationMs} ms (${CODE}): speedup of 2 workers over 1 (median of ${roundCount} mirrored rounds: ${perRound.map((r) => r.speedup.toFixed(2)).join(", ")})`,
        value: pairedSpeedup,
        unit: "x",
        target: { min: 1.6 },
      },
      {
        name: `1 worker vs the plain engine (plain time / 1-worker time, median of ${roundCount} mirrored rounds)`,
        value: pairedPlain,
        unit: "x",
        target: { min: 0.95 },
      },
      {
        name: `speedup as the ratio of the medians of ${2 * roundCount} runs each (1-worker median / 2-worker median)`,
        value: one.ms / two.ms,
        unit: "x",
      },
      {
        name: "2 workers, cold threads (first run in the process): speedup over the 1-worker median",
        value: one.ms / cold.ms,
        unit: `x (${cold.ms.toFixed(0)} ms)`,
      },
      {
        name: "plain engine: delivered datagrams per wall-clock second",
        value: delivered / (plain.ms / 1000),
        unit: "dgram/s",
      },
      { name: `2 workers: windows (lookahead ${par.lookaheadNs / 1000} us)`, value: par.windows, unit: "windows" },
      { name: "2 workers: frames that crossed partitions", value: par.crossPartitionFrames, unit: "frames" },
      {
        name: "wall time (medians): plain / 1 worker / 2 workers",
        value: plain.ms,
        unit: `ms (1w ${one.ms.toFixed(0)} ms, 2w ${two.ms.toFixed(0)} ms; all runs ${allRuns})`,
      },
      {
        name: "2 workers (median run): slowest partition's build / window loop",
        value: par.buildMs,
        unit: `ms / ${par.runMs.toFixed(0)} ms, of which ${waits} ms waiting at barriers (thread hand-off is the rest)`,
      },
    ];
    return figures;
  },
};

export default suite;
