// Time series for the HTML report (src/run/sampler.ts) and the flow-monitor figures: the same
// report data at 1 and 2 workers, bounded, and unchanged events and fingerprint.
import { describe, expect, it } from "vitest";
import { loadScenario, type Scenario } from "../../src/scenario/scenario.js";
import { runScenario } from "../../src/run/run-scenario.js";
import type { RunReport } from "../../src/run/run-report.js";
import { MAX_SAMPLE_VALUES, samplingOf } from "../../src/run/sampler.js";

function shortened(file: string, durationNs: number): Scenario {
  const s = loadScenario(file);
  s.durationNs = durationNs;
  return s;
}

function comparable(r: RunReport): unknown {
  const { wallTimeMs: _w, parallel: _p, partitioning: _q, ...rest } = r;
  return rest;
}

describe("sampled time series", () => {
  for (const [file, duration] of [
    ["examples/star16.yaml", 20e6],
    ["examples/tcp-chain-lossy.yaml", 1e9],
  ] as const) {
    it(`${file}: the same samples and figures at 1 and 2 workers`, async () => {
      const one = await runScenario(shortened(file, duration), { workers: 1, samples: true, linkStats: true });
      const two = await runScenario(shortened(file, duration), {
        workers: 2,
        forceWorkers: true,
        samples: true,
        linkStats: true,
      });
      expect(two.parallel?.partitions).toBe(2);
      expect(comparable(two)).toEqual(comparable(one));
      const plain = await runScenario(shortened(file, duration), { workers: 1 });
      expect(plain.samples).toBeUndefined();
      expect(plain.fingerprint).toBe(one.fingerprint);
      expect(plain.events).toBe(one.events);
      // Link figures only on request: they cost per-frame calls at every link.
      expect(one.links[0]!.directions[0]).toHaveProperty("delayNs");
      expect(plain.links[0]!.directions[0]).not.toHaveProperty("delayNs");
    }, 120_000);
  }
});

describe("sampling plan", () => {
  it("takes at most 1001 samples at a 1-2-5 interval, fewer when series are many", () => {
    const s = loadScenario("examples/star16.yaml");
    expect(samplingOf(s)).toEqual({ intervalNs: 1e6, count: 1001 });
    s.durationNs = 3e9;
    expect(samplingOf(s)).toEqual({ intervalNs: 5e6, count: 601 });
    s.durationNs = 7;
    expect(samplingOf(s)).toEqual({ intervalNs: 1, count: 8 });
    // 100,000 links: 200,000 queue series; 8,000,000 values leave 40 samples per series.
    s.durationNs = 1e9;
    s.links = Array.from({ length: 100_000 }, () => s.links[0]!);
    const plan = samplingOf(s);
    expect(plan.intervalNs).toBe(5e7);
    expect(plan.count * (2 * 100_000 + 16 + 1)).toBeLessThanOrEqual(MAX_SAMPLE_VALUES);
  });

  it("reads the configured rate of CBR flows, and nothing received at time 0", async () => {
    const r = await runScenario(shortened("examples/star16.yaml", 50e6), { samples: true });
    const s = r.samples!;
    expect(s.intervalNs).toBe(50_000);
    expect(s.timesNs).toHaveLength(1001);
    expect(s.throughput).toHaveLength(16);
    // One datagram every 80 us: over the last 40 ms (samples 201 to 1000) each flow received
    // 500 datagrams' bytes, the configured rate.
    for (const f of s.throughput) {
      expect(f.bps[0]).toBe(0);
      const bytes = f.bps.slice(201).reduce((a, b) => a + (b * 50_000) / 8e9, 0);
      expect(bytes / 40e6).toBeCloseTo(r.flows[f.flow]!.receivedBytes / r.flows[f.flow]!.receivedPackets / 80e3, 2);
    }
    expect(s.drops.every((d) => d === 0)).toBe(true);
    expect(s.queues).toHaveLength(32);
  }, 60_000);
});
