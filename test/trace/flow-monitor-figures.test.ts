// The flow-monitor figures: ns-3's jitter per receiver (and its merge over partitions), the
// exact mean and min of delay, and LinkMonitor's per-direction delay, jitter and frames in
// flight at the end, on a real link.
import { describe, expect, it } from "vitest";
import { FlowStats } from "../../src/trace/flow-stats.js";
import { LinkMonitor } from "../../src/trace/link-monitor.js";
import { Network } from "../../src/run/network.js";

const fakeSim = (): { frames: never } => ({ frames: {} as never });

describe("flow jitter (ns-3 definition)", () => {
  it("is the mean |delay difference| of consecutive received packets", () => {
    const s = new FlowStats(fakeSim());
    const f = s.defineFlow(1);
    // Delays 100, 130, 110, 110: differences 30, 20, 0.
    [100, 130, 110, 110].forEach((d, i) => s.recordReceivedOn(f, 10, i * 1000, i * 1000 + d));
    const r = f.toJSON();
    expect(r.jitterNs).toEqual({ mean: 50 / 3, samples: 3 });
    expect(r.latencyNs.mean).toBe(112.5);
    expect(r.latencyNs.min).toBe(100);
    expect(r.latencyNs.samples).toBe(4);
  });

  it("keeps each receiver's sequence apart (multicast members)", () => {
    const s = new FlowStats(fakeSim());
    const f = s.defineFlow(1);
    // Receiver 0 sees 100 then 140; receiver 1 sees 100, 90, 95, interleaved in time.
    s.recordReceivedOn(f, 10, 0, 100, 0);
    s.recordReceivedOn(f, 10, 0, 100, 1);
    s.recordReceivedOn(f, 10, 1000, 1090, 1);
    s.recordReceivedOn(f, 10, 1000, 1140, 0);
    s.recordReceivedOn(f, 10, 2000, 2095, 1);
    // (40) + (10 + 5) over three differences; mixed together they would be 0,10,50,45.
    expect(f.toJSON().jitterNs).toEqual({ mean: 55 / 3, samples: 3 });
  });

  it("merges over partitions to what one FlowStats counts", () => {
    const one = new FlowStats(fakeSim());
    const parts = [new FlowStats(fakeSim()), new FlowStats(fakeSim())];
    const delays = [
      [100, 150, 120],
      [300, 280, 330, 330],
    ];
    delays.forEach((ds, receiver) =>
      ds.forEach((d, i) => {
        one.recordReceived(4, 8, i * 1000, i * 1000 + d);
        parts[receiver]!.recordReceived(4, 8, i * 1000, i * 1000 + d);
      }),
    );
    // One FlowStats with both receivers as receiver 0 would mix them: give them their indexes.
    const exact = new FlowStats(fakeSim());
    const f = exact.defineFlow(4);
    delays.forEach((ds, receiver) =>
      ds.forEach((d, i) => exact.recordReceivedOn(f, 8, i * 1000, i * 1000 + d, receiver)),
    );
    const merged = new FlowStats(undefined);
    for (const p of parts) merged.mergeState(p.exportState());
    expect(merged.toJSON()[0]!.jitterNs).toEqual(exact.toJSON()[0]!.jitterNs);
    expect(merged.toJSON()[0]!.jitterNs).toEqual({ mean: (50 + 30 + 20 + 50 + 0) / 5, samples: 5 });
    expect(merged.toJSON()[0]!.latencyNs).toEqual(exact.toJSON()[0]!.latencyNs);
  });
});

/** Host a sends `count` 1000-byte frames at 100 Mbit/s over a 10 Mbit/s, 1 us link to b. */
function burst(count: number, schedule?: { at: string; state: "down" | "up" }[]) {
  const net = new Network({ seed: 1, frameSlots: 64 });
  net.addHost("a", { mac: "02:00:00:00:00:01" });
  net.addHost("b", { mac: "02:00:00:00:00:02" });
  net.connect("a", "b", { rate: "10Mbps", delay: "1us", name: "l", ...(schedule ? { schedule } : {}) });
  net.addCbrSource("a", { dst: "02:00:00:00:00:02", frameSize: 1000, rate: "100Mbps", count, flow: 1 });
  const link = net.link("l");
  const monitor = new LinkMonitor();
  monitor.watch(
    "l:0",
    link.trace[0],
    () => link.queueLength(0),
    () => !link.isUp,
  );
  return { net, link, monitor };
}

describe("LinkMonitor", () => {
  it("measures each frame from acceptance to arrival, queueing included", () => {
    const { net, link, monitor } = burst(5);
    net.runToIdle();
    const ser = link.serializationNs(1000);
    expect(ser).toBe(816_000);
    // Frame k is accepted at k * 80 us, starts at k * ser, arrives ser + 1 us later.
    const delays = [0, 1, 2, 3, 4].map((k) => (k + 1) * ser + 1000 - k * 80_000);
    const r = monitor.report("l:0", net.now)!;
    expect(r.delayNs.samples).toBe(5);
    expect(r.delayNs.min).toBe(delays[0]);
    expect(r.delayNs.max).toBe(delays[4]);
    expect(r.delayNs.mean).toBe(delays.reduce((a, b) => a + b, 0) / 5);
    // Each frame waits 736 us longer than the one before.
    expect(r.jitterNs).toEqual({ mean: ser - 80_000, samples: 4 });
    expect(r.inFlight).toEqual({ queued: 0, onWire: 0 });
    expect(r.overflow).toBe(false);
    expect(monitor.report("l:1", net.now)).toBeUndefined();
    net.destroy();
  });

  it("counts the frames queued and on the wire when the run ends", () => {
    const { net, monitor } = burst(5);
    // At 2 ms: frames 0 and 1 have arrived (817 and 1633 us), frame 2 (sent from 1632 us)
    // is on the wire until 2449 us, frames 3 and 4 wait.
    net.run(2_000_000);
    expect(monitor.report("l:0", net.now)!.inFlight).toEqual({ queued: 2, onWire: 1 });
    net.run(3_000_000);
    expect(monitor.report("l:0", net.now)!.inFlight).toEqual({ queued: 1, onWire: 1 });
    net.runToIdle();
    expect(monitor.report("l:0", net.now)!.inFlight).toEqual({ queued: 0, onWire: 0 });
    net.destroy();
  });

  it("a cable going down takes back what was on the wire and in the queue", () => {
    const { net, link, monitor } = burst(5);
    // Frame 2 is handed over at 1632 us (arrival 2449 us); the down, set afterwards, cuts it.
    net.run(1_700_000);
    expect(monitor.report("l:0", net.now)!.inFlight).toEqual({ queued: 2, onWire: 1 });
    link.setDown("1800us");
    net.run(2_000_000);
    const r = monitor.report("l:0", net.now)!;
    expect(r.inFlight).toEqual({ queued: 0, onWire: 0 });
    // Frames 0 to 2 were handed over (and sampled) before the cut.
    expect(r.delayNs.samples).toBe(3);
    net.destroy();
  });

  it("a frame whose arrival falls after a scheduled down is never handed over", () => {
    const { net, monitor } = burst(5, [{ at: "1800us", state: "down" }]);
    net.run(2_000_000);
    const r = monitor.report("l:0", net.now)!;
    expect(r.inFlight).toEqual({ queued: 0, onWire: 0 });
    expect(r.delayNs.samples).toBe(2);
    net.destroy();
  });
});
