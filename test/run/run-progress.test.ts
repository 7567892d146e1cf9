// Running in slices (runInSlices, runScenario with onProgress or a signal): the same trajectory
// as one call, progress that moves at any scale, and a stop at an event boundary.
import { describe, expect, it } from "vitest";
import { Network } from "../../src/run/network.js";
import { runInSlices } from "../../src/run/run-progress.js";
import { runScenario } from "../../src/run/run-scenario.js";
import { parseScenario } from "../../src/scenario/scenario.js";

function star(): Network {
  const net = new Network({ seed: 5, frameSlots: 1024 });
  net.addSwitch("sw", { ports: 3 });
  for (let i = 0; i < 3; i++) {
    net.addHost(`h${i}`, { mac: `02:00:00:00:00:0${i + 1}` });
    net.connect(`h${i}`, `sw:${i}`, { rate: "100Mbps", delay: "1us", faults: { loss: 0.02 } });
    net.addPoissonSource(`h${i}`, {
      dst: `02:00:00:00:00:0${((i + 1) % 3) + 1}`,
      frameSize: 700,
      rate: "20Mbps",
      stop: "3ms",
    });
  }
  return net;
}

describe("runInSlices", () => {
  it("slicing the run by event counts does not change the trajectory", async () => {
    const whole = star();
    const sliced = star();
    whole.run(4_000_000);
    const seen: number[] = [];
    let slices = 0;
    // Slices of at most a few events each: the first slice's budget halves nothing here, so
    // drive the budget from outside by running Network.run with maxEvents as runInSlices does.
    while (!sliced.done(4_000_000)) {
      sliced.run(4_000_000, { maxEvents: 3 });
      slices++;
      seen.push(sliced.now);
    }
    expect(slices).toBeGreaterThan(10);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(sliced.stats().fingerprint).toBe(whole.stats().fingerprint);
    expect(sliced.stats().events).toBe(whole.stats().events);
    expect(sliced.now).toBe(4_000_000);
    expect(JSON.stringify(sliced.stats().hosts)).toBe(JSON.stringify(whole.stats().hosts));
    const again = star();
    expect(await runInSlices(again, 4_000_000)).toBe(true);
    expect(again.stats().fingerprint).toBe(whole.stats().fingerprint);
    for (const n of [whole, sliced, again]) {
      n.runToIdle();
      n.destroy();
    }
  });

  it("events at the end's own instant are all dispatched, however the slices fall", () => {
    const net = new Network({ seed: 1, frameSlots: 64 });
    net.addHost("a", { mac: "02:00:00:00:00:01" });
    net.addHost("b", { mac: "02:00:00:00:00:02" });
    net.connect("a", "b", { rate: "1Gbps", delay: "1us" });
    // 1000-byte frames at 8 Mbit/s: one per ms, the last one exactly at 3 ms.
    net.addCbrSource("a", { dst: "02:00:00:00:00:02", frameSize: 1000, rate: "8Mbps", stop: "4ms" });
    while (!net.done(3_000_000)) net.run(3_000_000, { maxEvents: 1 });
    expect(net.stats().sources[0]!.frames).toBe(4);
    net.runToIdle();
    net.destroy();
  });
});

const LONG = `
name: long
duration: 1000000s
hosts:
  - { name: a, ip: 10.0.0.1/24 }
  - { name: b, ip: 10.0.0.2/24 }
links:
  - { a: a, b: b, rate: 1Gbps, delay: 5us }
traffic:
  - { name: f, type: cbr, from: a, to: b, size: 1000, rate: 100Mbps }
`;

describe("runScenario with progress and a signal", () => {
  it("reports progress that moves with time and events on a run of 10^6 s, and stops when aborted", async () => {
    const controller = new AbortController();
    const progress: { t: number; events: number }[] = [];
    const report = await runScenario(parseScenario(LONG), {
      signal: controller.signal,
      onProgress: (t, p) => {
        progress.push({ t, events: p.events });
        if (progress.length === 5) controller.abort("SIGINT");
      },
    });
    expect(progress).toHaveLength(5);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.t).toBeGreaterThan(progress[i - 1]!.t);
      expect(progress[i]!.events).toBeGreaterThan(progress[i - 1]!.events);
    }
    expect(report.interrupted).toEqual({ reason: "SIGINT", durationNs: 1e15 });
    expect(report.simTimeNs).toBe(progress[4]!.t);
    expect(report.events).toBe(progress[4]!.events);
    const f = report.flows[0]!;
    // 12,500 datagrams per second: as many sent as the time reached allows.
    expect(f.sentPackets).toBe(Math.floor((report.simTimeNs * 12_500) / 1e9) + 1);
  });

  it("an abort before the run starts gives an interrupted report at time 0", async () => {
    const controller = new AbortController();
    controller.abort("SIGTERM");
    const report = await runScenario(parseScenario(LONG), { signal: controller.signal });
    expect(report.simTimeNs).toBe(0);
    expect(report.events).toBe(0);
    expect(report.interrupted?.reason).toBe("SIGTERM");
  });
});
