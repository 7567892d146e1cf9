// Birman fig. 5-2 on the Network API: a link flap breaks N TCP streams, each at its own time
// (its own retransmission or keep-alive timer), and the report gives the spread.
import { describe, expect, it } from "vitest";
import { Network } from "../../src/run/network.js";
import { TcpLayer } from "../../src/stacks/tcp/tcp-layer.js";
import type { LinkScheduleEntry } from "../../src/devices/link.js";
import { StreamBreaksRun, streamBreaksReport, type StreamBreaksSpec } from "../../src/traffic/stream-breaks.js";

const MS = 1_000_000;
const S = 1_000 * MS;

const SPEC: StreamBreaksSpec = {
  name: "flap",
  type: "stream-breaks",
  from: "a",
  to: "b",
  streams: 8,
  port: 9000,
  startNs: 10 * MS,
  stopNs: Number.POSITIVE_INFINITY,
  intervalNs: 400 * MS,
  size: 100,
  keepAlive: undefined,
  timeouts: { minRtoNs: 200 * MS, maxRtoNs: 2 * S, initialRtoNs: 1 * S, maxRetries: 5 },
};

function world(spec: Partial<StreamBreaksSpec>, trunk: LinkScheduleEntry[]) {
  const net = new Network({ seed: 3, frameSlots: 2048 });
  net.addSwitch("s1", { ports: 2 });
  net.addSwitch("s2", { ports: 2 });
  net.addHost("a", { mac: "02:00:00:00:00:01", ip: { address: "10.0.0.1/24" } });
  net.addHost("b", { mac: "02:00:00:00:00:02", ip: { address: "10.0.0.2/24" } });
  net.connect("a", "s1:0", { rate: "100Mbps", delay: "10us" });
  net.connect("b", "s2:0", { rate: "100Mbps", delay: "10us" });
  net.connect("s1:1", "s2:1", { rate: "100Mbps", delay: "1ms", name: "trunk", schedule: trunk });
  const tcp = new Map([
    ["a", new TcpLayer(net.ipHost("a"))],
    ["b", new TcpLayer(net.ipHost("b"))],
  ]);
  const full = { ...SPEC, ...spec };
  const run = new StreamBreaksRun(
    { sim: net.sim, ipHost: (n) => net.ipHost(n), tcp: (n) => tcp.get(n)!, own: () => {} },
    full,
  );
  const done = (): void => {
    run.destroy();
    for (const l of tcp.values()) l.destroy();
    net.runToIdle();
    expect(net.sim.frames.leaks()).toEqual([]);
    net.destroy();
  };
  const report = () => {
    const st = run.state();
    return streamBreaksReport(full, st.from, st.to);
  };
  return { net, run, report, done };
}

describe("stream-breaks: a link flap breaks N streams, each at its own time", () => {
  it("retransmission timeouts: every stream that writes into the outage breaks, spread over the write phases", () => {
    const w = world({}, [
      { at: "2s", state: "down" },
      { at: "30s", state: "up" },
    ]);
    w.net.run(40 * S);
    const r = w.report();
    expect(r.broken).toBe(8);
    expect(r.intact).toBe(0);
    // Writes are staggered by 400 ms / 8 = 50 ms: the breaks span 7 of those steps.
    expect(r.spreadNs).toBe(350 * MS);
    expect(r.firstBreakNs).toBe(8_960 * MS);
    expect(r.lastBreakNs).toBe(9_310 * MS);
    for (const row of r.streams) {
      expect(row.from.reason).toMatch(/^retransmission timeout: 5 retransmissions/);
      expect(row.brokeAtNs).toBe(row.from.brokeAtNs);
      // The receiving end never hears of it: a half-open connection (no keep-alive).
      expect(row.to.brokeAtNs).toBe(null);
      expect(row.to.state).toBe("ESTABLISHED");
    }
    w.done();
  });

  it("a short flap breaks some streams and not others", () => {
    const w = world({ timeouts: { minRtoNs: 200 * MS, maxRtoNs: 2 * S, initialRtoNs: 1 * S, maxRetries: 3 } }, [
      { at: "2s", state: "down" },
      { at: "3.6s", state: "up" },
    ]);
    w.net.run(10 * S);
    const r = w.report();
    const broken = r.streams.filter((x) => x.brokeAtNs !== null).map((x) => x.stream);
    const intact = r.streams.filter((x) => x.brokeAtNs === null).map((x) => x.stream);
    // Streams whose first write into the outage came before 2.2 s retransmit for the last time
    // (1.4 s later) while the link is still down and give up 3 s after that write; the others'
    // last retransmission finds the link back, and they stay open at both ends.
    expect(broken).toEqual([0, 1, 2, 7]);
    expect(intact).toEqual([3, 4, 5, 6]);
    expect([r.broken, r.firstBreakNs, r.lastBreakNs, r.spreadNs]).toEqual([4, 5_010 * MS, 5_160 * MS, 150 * MS]);
    for (const x of r.streams.filter((y) => y.brokeAtNs === null))
      expect([x.from.state, x.to.state]).toEqual(["ESTABLISHED", "ESTABLISHED"]);
    w.done();
  });

  it("keep-alives: idle streams break at both ends, staggered by their last activity", () => {
    const w = world(
      {
        timeouts: undefined,
        intervalNs: 4 * S,
        stopNs: 4 * S,
        keepAlive: { idleNs: 2 * S, intervalNs: 500 * MS, count: 3 },
      },
      [
        { at: "5s", state: "down" },
        { at: "30s", state: "up" },
      ],
    );
    w.net.run(40 * S);
    const r = w.report();
    expect(r.broken).toBe(8);
    for (const row of r.streams) {
      expect(row.from.reason).toMatch(/^keep-alive/);
      expect(row.to.reason).toMatch(/^keep-alive/);
    }
    expect(r.spreadNs).toBe(1_502_051_040);
    w.done();
  });

  it("a crash of the receiving host: its ends die at once, the sender's on their own timers; no frame leaks", () => {
    const w = world({ timeouts: { minRtoNs: 200 * MS, maxRtoNs: 2 * S, initialRtoNs: 1 * S, maxRetries: 3 } }, []);
    w.net.crash("b", 2 * S);
    w.net.run(10 * S);
    const r = w.report();
    expect(r.broken).toBe(8);
    for (const row of r.streams) {
      expect([row.to.brokeAtNs, row.to.reason]).toEqual([2 * S, "host crashed"]);
      expect(row.from.reason).toMatch(/^retransmission timeout: 3 retransmissions/);
      expect(row.brokeAtNs).toBe(2 * S);
    }
    // Every stream's first break is the crash itself: no spread at the crashed end, while the
    // sender's ends notice over the write phases.
    expect(r.spreadNs).toBe(0);
    const fromBreaks = r.streams.map((x) => x.from.brokeAtNs!);
    expect(Math.max(...fromBreaks) - Math.min(...fromBreaks)).toBe(350 * MS);
    w.done();
  });

  it("no flap: nothing breaks", () => {
    const w = world({}, []);
    w.net.run(5 * S);
    const r = w.report();
    expect([r.broken, r.intact, r.spreadNs, r.firstBreakNs]).toEqual([0, 8, null, null]);
    for (const row of r.streams) expect(row.to.bytes).toBe(row.from.bytes);
    w.done();
  });
});
