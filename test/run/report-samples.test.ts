// Time series for the HTML report (src/run/sampler.ts) and the flow-monitor figures: the same
// report data at 1 and 2 workers, bounded, and unchanged events and fingerprint.
import { describe, expect, it } from "vitest";
import { loadScenario, type Scenario } from "../../src/scenario/scenario.js";
import { runScenario } from "../../src/run/run-scenario.js";
import type { RunReport } from "../../src/run/run-report.js";

function shortened(file: string, durationNs: number): Scenario {
  const s = loadScenario(file);
  s.durationNs = durationNs;
  for (const t of s.traffic) t.stopNs = Math.min(t.stopNs, durationNs);
  return s;
}

function comparable(r: RunReport): unknown {
  const { wallTimeMs: _w, parallel: _p, ...rest } = r;
  return rest;
}

describe("sampled time series", () => {
  for (const [file, duration] of [
    ["examples/star16.yaml", 20e6],
    ["examples/tcp-chain-lossy.yaml", 1e9],
  ] as const) {
    it(`${file}: the same samples and figures at 1 and 2 workers`, async () => {
      const one = await runScenario(shortened(file, duration), { workers: 1, samples: true });
      const two = await runScenario(shortened(file, duration), { workers: 2, samples: true });
      expect(two.parallel?.partitions).toBe(2);
      expect(comparable(two)).toEqual(comparable(one));
      const plain = await runScenario(shortened(file, duration), { workers: 1 });
      expect(plain.samples).toBeUndefined();
      expect(plain.fingerprint).toBe(one.fingerprint);
      expect(plain.events).toBe(one.events);
    }, 120_000);
  }
});
