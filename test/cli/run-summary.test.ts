// The human summary of `netloom run`: what it says about flows, and with how many digits.
import { describe, expect, it } from "vitest";
import { runSummary } from "../../src/cli/run-summary.js";
import type { RunReport } from "../../src/run/run-report.js";

function report(flows: Partial<RunReport["flows"][number]>[]): RunReport {
  return {
    scenario: "s",
    seed: 1,
    simTimeNs: 1e9,
    wallTimeMs: 12.3,
    events: 10,
    fingerprint: "f",
    flows: flows.map((f, id) => ({
      id,
      src: "a",
      dst: "b",
      label: `f${id}`,
      sentPackets: 10,
      receivedPackets: 10,
      sentBytes: 1000,
      receivedBytes: 1000,
      loss: 0,
      throughputBps: 0,
      latencyNs: { p50: 1500, p90: 2000, p99: 2500, max: 3000 },
      droppedPackets: 0,
      drops: {},
      inFlightPackets: 0,
      ...f,
    })) as RunReport["flows"],
    links: [],
    hosts: [],
    switches: [],
    routers: [],
  };
}

const outputs = { workers: 1, pcapDir: undefined, pcapFiles: 0, csvDir: undefined };

describe("runSummary", () => {
  it("prints measured rates with three significant digits", () => {
    const lines = runSummary("s", report([{ throughputBps: 6_249_398.38 }, { throughputBps: 999_960_000 }]), outputs);
    const flows = lines.filter((l) => l.startsWith("  f"));
    expect(flows[0]).toMatch(/, 6\.25 Mbps, latency/);
    expect(flows[1]).toMatch(/, 1 Gbps, latency/);
  });

  it("says what was dropped, by reason, and what was still in flight, apart from what was received", () => {
    const lines = runSummary(
      "s",
      report([
        {
          sentPackets: 10,
          receivedPackets: 6,
          droppedPackets: 3,
          drops: { LOSS_RANDOM: 2, QUEUE_FULL: 1 },
          inFlightPackets: 1,
        },
        { sentPackets: 10, receivedPackets: 10 },
      ]),
      outputs,
    );
    const flows = lines.filter((l) => l.startsWith("  f"));
    expect(flows[0]).toMatch(
      /: sent 10, received 6, dropped 3 \(LOSS_RANDOM 2, QUEUE_FULL 1\), in flight 1, 0 bps, latency/,
    );
    expect(flows[1]).toMatch(/: sent 10, received 10, 0 bps, latency/);
  });
});
