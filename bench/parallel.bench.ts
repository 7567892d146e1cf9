// Parallel execution benchmark (issue 5): four 64-host stars, each on its own learning switch,
// the switches chained by 100 us links (the cut the partitioner picks); every host sends 1000-byte
// UDP datagrams at 20 Mbit/s to its neighbour in the same star, and one host per star sends to a
// host of the next star, so frames do cross partitions.
// Figures (medians of three interleaved rounds): wall-clock time of the whole run (build
// included) with the plain single-threaded engine, with runScenario({ workers: 1 }) and with 2
// workers; targets: 2 workers at least 1.6x
// faster than 1, and 1 worker no more than 5% slower than the plain engine. Also printed: the
// number of windows and of frames that crossed partitions. Every run must give the same
// fingerprint, else the suite throws (a fast wrong answer is no result).

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Scenario } from "../src/api/scenario.js";
import type * as ScenarioModule from "../src/api/scenario.js";
import type * as BuildModule from "../src/api/build-scenario.js";
import type * as ReportModule from "../src/api/run-report.js";
import type * as RunModule from "../src/api/run-scenario.js";
import type { BenchSuite, Figure } from "./harness.js";

// The compiled dist/ (what `npx netloom run --workers` runs; its workers load compiled JS too),
// else the TypeScript sources (workers then load them through tsx, which adds start-up time).
const DIST = new URL("../dist/src/api/", import.meta.url);
const fromDist = existsSync(fileURLToPath(new URL("run-scenario.js", DIST)));
const load = async <T>(name: string): Promise<T> =>
  (await import(fromDist ? new URL(`${name}.js`, DIST).href : `../src/api/${name}.js`)) as T;
const { parseScenario } = await load<typeof ScenarioModule>("scenario");
const { buildScenario } = await load<typeof BuildModule>("build-scenario");
const { reportOf } = await load<typeof ReportModule>("run-report");
const { runScenario } = await load<typeof RunModule>("run-scenario");
const CODE = fromDist ? "dist" : "tsx";

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
  for (let s = 0; s + 1 < STARS; s++) lines.push(`  - { name: trunk${s}, a: "sw${s}:${HOSTS}", b: "sw${s + 1}:${HOSTS + 1}", rate: 1Gbps, delay: 100us }`);
  lines.push("traffic:");
  for (let s = 0; s < STARS; s++) {
    for (let i = 0; i < HOSTS; i++) {
      lines.push(`  - { name: f${s}_${i}, type: cbr, from: ${name(s, i)}, to: ${name(s, (i + 1) % HOSTS)}, size: 1000, rate: 20Mbps, start: 1ms }`);
    }
    lines.push(`  - { name: x${s}, type: cbr, from: ${name(s, 0)}, to: ${name((s + 1) % STARS, HOSTS / 2)}, size: 1000, rate: 20Mbps, start: 1ms }`);
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
    // Warm the JIT and the module cache once, so neither side pays for it.
    await runScenario(scenario(20), { workers: 1 });
    const plainRun = () =>
      timed(() => {
        const built = buildScenario(scenario(durationMs));
        built.network.run(built.scenario.durationNs);
        const r = reportOf(built, 0);
        built.network.dispose();
        return r;
      });
    // Three rounds of plain, 1 worker, 2 workers, interleaved, and the median of each: on a
    // shared 2-core machine a single run swings by a third, and the ratio with it.
    const rounds: Awaited<ReturnType<typeof plainRun>>[][] = [[], [], []];
    for (let k = 0; k < (quick ? 1 : 3); k++) {
      rounds[0]!.push(await plainRun());
      rounds[1]!.push(await timed(() => runScenario(scenario(durationMs), { workers: 1 })));
      rounds[2]!.push(await timed(() => runScenario(scenario(durationMs), { workers: 2 })));
    }
    const mid = <T extends { ms: number }>(xs: T[]): T => [...xs].sort((a, b) => a.ms - b.ms)[xs.length >> 1]!;
    const plain = mid(rounds[0]!);
    const one = mid(rounds[1]!);
    const two = mid(rounds[2]!);
    const allRuns = rounds.map((xs) => xs.map((x) => x.ms.toFixed(0)).join("/")).join(", ");
    for (const r of [...rounds[1]!, ...rounds[2]!].map((x) => x.value)) {
      if (r.fingerprint !== plain.value.fingerprint || r.events !== plain.value.events) {
        throw new Error(`a run diverged: ${r.fingerprint}/${r.events} vs plain ${plain.value.fingerprint}/${plain.value.events}`);
      }
    }
    const par = two.value.parallel!;
    const delivered = plain.value.flows.reduce((n, f) => n + f.receivedPackets, 0);
    const figures: Figure[] = [
      {
        name: `four 64-host stars, ${durationMs} ms (${CODE}): speedup of 2 workers over 1 (medians of 3)`,
        value: one.ms / two.ms,
        unit: "x",
        target: { min: 1.6 },
      },
      {
        name: "1 worker vs the plain engine (plain time / 1-worker time)",
        value: plain.ms / one.ms,
        unit: "x",
        target: { min: 0.95 },
      },
      { name: "plain engine: delivered datagrams per wall-clock second", value: delivered / (plain.ms / 1000), unit: "dgram/s" },
      { name: `2 workers: windows (lookahead ${par.lookaheadNs / 1000} us)`, value: par.windows, unit: "windows" },
      { name: "2 workers: frames that crossed partitions", value: par.crossPartitionFrames, unit: "frames" },
      { name: "wall time (medians): plain / 1 worker / 2 workers", value: plain.ms, unit: `ms (1w ${one.ms.toFixed(0)} ms, 2w ${two.ms.toFixed(0)} ms; all runs ${allRuns})` },
      {
        name: "2 workers: slowest partition's build / window loop",
        value: par.buildMs,
        unit: `ms / ${par.runMs.toFixed(0)} ms (thread start-up is the rest)`,
      },
    ];
    return figures;
  },
};

export default suite;
