import { describe, expect, it } from "vitest";
import { Network } from "../../src/run/network.js";
import { ErrorCode, NetloomError } from "../../src/base/errors.js";
import type { EthernetNic } from "../../src/devices/nic.js";
import type { CbrSource } from "../../src/traffic/frame-source.js";
import { FlowStats } from "../../src/trace/flow-stats.js";

const mac = (i: number): string => `02:00:00:00:00:${i.toString(16).padStart(2, "0")}`;

interface Star {
  net: Network;
  hosts: EthernetNic[];
  sources: CbrSource[];
  flows: FlowStats;
}

/**
 * n hosts on one switch (1 Gbit/s, 5 us links); host i sends CBR to host (i + 1) mod n as
 * flow 100 + i (only the hosts in `senders`). FlowStats counts at every NIC's macTx / macRx.
 */
function star(opts: {
  n?: number;
  seed?: number;
  senders?: number[];
  rate?: string;
  frameSize?: number;
  stop?: string;
  loss?: number;
  maxFlows?: number;
}): Star {
  const n = opts.n ?? 4;
  const net = new Network({ seed: opts.seed ?? 1, frameSlots: 2048 });
  net.addSwitch("sw", { ports: n });
  const hosts: EthernetNic[] = [];
  for (let i = 0; i < n; i++) {
    hosts.push(net.addHost(`h${i}`, { mac: mac(i + 1) }));
    const lossy = i === 0 && opts.loss !== undefined;
    net.connect(`h${i}`, `sw:${i}`, {
      rate: "1Gbps",
      delay: "5us",
      ...(lossy ? { faults: { loss: opts.loss! } } : {}),
    });
  }
  const flows = new FlowStats(net.sim, opts.maxFlows !== undefined ? { maxFlows: opts.maxFlows } : {});
  const sources: CbrSource[] = [];
  for (const i of opts.senders ?? [...Array(n).keys()]) {
    const dst = (i + 1) % n;
    sources.push(
      net.addCbrSource(`h${i}`, {
        dst: mac(dst + 1),
        frameSize: opts.frameSize ?? 1000,
        rate: opts.rate ?? "100Mbps",
        start: i * 1000,
        stop: opts.stop ?? "10ms",
        flow: 100 + i,
      }),
    );
    flows.defineFlow(100 + i, { src: `h${i}`, dst: `h${dst}` });
  }
  for (const h of hosts) {
    flows.attachSender(h.trace[0]!.macTx);
    flows.attachReceiver(h.trace[0]!.macRx);
  }
  for (const point of net.dropPoints()) flows.attachDrops(point);
  return { net, hosts, sources, flows };
}

function finish(net: Network): void {
  net.runToIdle();
  expect(net.sim.frames.leaks()).toEqual([]);
  net.destroy();
}

// Hand computation for one hop: ceil((1000 + 20 overhead) * 8 bit / 1 Gbit/s) = 8160 ns of
// serialization, then 5000 ns of propagation. Store-and-forward switch with no processing
// delay: host -> switch -> host is two such hops.
const HOP_NS = 8160 + 5000;
const IDLE_PATH_NS = 2 * HOP_NS;

describe("FlowStats on real devices", () => {
  it("counts per flow exactly what the sources and NICs count (4 hosts on a switch)", () => {
    const { net, hosts, sources, flows } = star({});
    net.run("10ms");
    for (const s of sources) s.stop();
    finish(net);
    const report = flows.toJSON();
    expect(report.map((f) => f.id)).toEqual([100, 101, 102, 103]);
    for (let i = 0; i < 4; i++) {
      const f = report[i]!;
      const dst = (i + 1) % 4;
      const src = sources[i]!.stats();
      expect(f.src).toBe(`h${i}`);
      expect(f.dst).toBe(`h${dst}`);
      expect(f.sentPackets).toBe(src.frames);
      expect(f.sentBytes).toBe(src.bytes);
      expect(f.sentPackets).toBe(hosts[i]!.stats().txFrames);
      // Each host receives exactly one flow: its NIC's accepted frames are that flow's.
      expect(f.receivedPackets).toBe(hosts[dst]!.stats().rxFrames);
      expect(f.receivedBytes).toBe(hosts[dst]!.stats().rxBytes);
      expect(f.receivedPackets).toBe(f.sentPackets); // drained, lossless
      expect(f.sentPackets).toBe(125); // 10 ms / 80 us
      expect(f.loss).toBe(0);
      // Idle path except for the first frames (floods before the switch learned): the
      // median and minimum are the hand-computed path latency.
      expect(f.latencyNs.p50).toBe(IDLE_PATH_NS);
      expect(flows.flow(100 + i)!.latency!.min).toBe(IDLE_PATH_NS);
      expect(f.latencyNs.max!).toBeGreaterThanOrEqual(IDLE_PATH_NS);
      expect(Math.abs(f.throughputBps - 100e6) / 100e6).toBeLessThan(0.01);
    }
    expect(flows.summary()).toMatchObject({ flows: 4, untrackedSent: 0, untrackedReceived: 0, noFlow: 0 });
  });

  it("latency and throughput are exact on an idle path (one CBR flow)", () => {
    const { net, flows } = star({ senders: [0] });
    net.run("10ms");
    finish(net);
    const f = flows.toJSON()[0]!;
    expect(f.sentPackets).toBe(125);
    expect(f.receivedPackets).toBe(125);
    expect(f.latencyNs).toEqual({
      p50: IDLE_PATH_NS,
      p90: IDLE_PATH_NS,
      p99: IDLE_PATH_NS,
      max: IDLE_PATH_NS,
      mean: IDLE_PATH_NS,
      min: IDLE_PATH_NS,
      p95: IDLE_PATH_NS,
      samples: 125,
    });
    // Every packet took the same time: no delay variation.
    expect(f.jitterNs).toEqual({ mean: 0, samples: 124 });
    expect(f.timesNs).toEqual({
      firstTx: 0,
      lastTx: 124 * 80_000,
      firstRx: IDLE_PATH_NS,
      lastRx: 124 * 80_000 + IDLE_PATH_NS,
    });
    // 124 gaps of exactly 80 us carrying 124 * 1000 bytes: exactly the configured rate.
    expect(f.throughputBps).toBe(100e6);
    const rec = flows.flow(100)!;
    expect(rec.firstReceivedNs).toBe(IDLE_PATH_NS);
    expect(rec.lastReceivedNs).toBe(124 * 80_000 + IDLE_PATH_NS);
  });

  it("measures loss on a lossy link within tolerance; unaffected flows lose nothing", () => {
    // Link h0 <-> sw drops 10% each way: flow 100 (h0 -> h1) and flow 103 (h3 -> h0) cross it.
    const { net, flows } = star({ loss: 0.1, rate: "500Mbps", frameSize: 200, stop: "20ms" });
    net.run("20ms");
    net.runToIdle();
    const wire = net.stats().links.find((l) => l.name.startsWith("h0:"))!.directions;
    finish(net);
    const byId = new Map(flows.toJSON().map((f) => [f.id, f]));
    for (const id of [100, 103]) {
      const f = byId.get(id)!;
      expect(f.sentPackets).toBe(6250); // 20 ms / 3.2 us
      expect(Math.abs(f.loss! - 0.1)).toBeLessThan(0.02);
      expect(f.receivedPackets).toBe(Math.round(f.sentPackets * (1 - f.loss!)));
      expect(f.inFlightPackets).toBe(0); // drained
      expect(f.drops).toEqual({ LOSS_RANDOM: f.droppedPackets });
    }
    expect(byId.get(100)!.droppedPackets).toBe(wire[0].drops["LOSS_RANDOM"]);
    expect(byId.get(103)!.droppedPackets).toBe(wire[1].drops["LOSS_RANDOM"]);
    expect(byId.get(100)!.sentPackets - byId.get(100)!.receivedPackets).toBe(wire[0].drops["LOSS_RANDOM"]);
    expect(byId.get(103)!.sentPackets - byId.get(103)!.receivedPackets).toBe(wire[1].drops["LOSS_RANDOM"]);
    for (const id of [101, 102]) {
      expect(byId.get(id)!.loss).toBe(0);
      expect(byId.get(id)!.drops).toEqual({});
    }
  });

  it("is deterministic: same seed, same report", () => {
    const run = (seed: number): string => {
      const { net, flows } = star({ seed, loss: 0.05, stop: "5ms" });
      net.run("5ms");
      finish(net);
      return JSON.stringify(flows);
    };
    const a = run(3);
    expect(run(3)).toBe(a);
    expect(run(4)).not.toBe(a);
  });

  it("counts packets still in flight at the end apart: in flight, not lost", () => {
    const { net, sources, flows } = star({ senders: [0] });
    net.run(5 * 80_000 + 1000); // frames sent at 0, 80, ..., 400 us; the last one is in flight
    const f = flows.toJSON()[0]!;
    expect(f.sentPackets).toBe(6);
    expect(f.receivedPackets).toBe(5);
    expect(f.droppedPackets).toBe(0);
    expect(f.inFlightPackets).toBe(1);
    expect(f.loss).toBe(0);
    for (const s of sources) s.stop();
    finish(net);
    expect(flows.toJSON()[0]).toMatchObject({ loss: 0, inFlightPackets: 0, receivedPackets: 6 });
  });

  it("frames an address filter or a switch's same-port rule turns away are not losses", () => {
    // Before the switch learns h1's MAC, h0's first frames are flooded to every port: h2 and
    // h3 drop their copies (ADDRESS_FILTER) while h1 receives its own.
    const { net, sources, hosts, flows } = star({ senders: [0] });
    net.run("1ms");
    for (const s of sources) s.stop();
    const filtered = hosts.reduce((n, h) => n + (h.stats().rxDrops["ADDRESS_FILTER"] ?? 0), 0);
    finish(net);
    expect(filtered).toBeGreaterThan(0);
    expect(flows.toJSON()[0]).toMatchObject({ droppedPackets: 0, drops: {}, loss: 0 });
  });
});

describe("FlowStats accounting rules", () => {
  const fakeSim = (): { frames: never } => ({ frames: {} as never });

  it("gives exactly the report keys, in flow-id order, with nulls before any receive", () => {
    const s = new FlowStats(fakeSim());
    s.recordSent(7, 100, 0);
    s.defineFlow(2, { src: "a", dst: "b", label: "x" });
    s.recordReceived(2, 50, 10, 1010);
    s.recordReceived(2, 50, 1020, 2020);
    const [two, seven] = s.toJSON();
    expect(Object.keys(two!)).toEqual([
      "id",
      "src",
      "dst",
      "label",
      "sentPackets",
      "receivedPackets",
      "sentBytes",
      "receivedBytes",
      "loss",
      "throughputBps",
      "latencyNs",
      "jitterNs",
      "timesNs",
      "droppedPackets",
      "drops",
      "inFlightPackets",
    ]);
    expect(Object.keys(two!.latencyNs)).toEqual(["p50", "p90", "p99", "max", "mean", "min", "p95", "samples"]);
    expect(two).toMatchObject({ id: 2, src: "a", dst: "b", label: "x", receivedPackets: 2, loss: null });
    expect(two!.throughputBps).toBe((50 * 8 * 1e9) / 1010);
    expect(two!.latencyNs).toEqual({
      p50: 1000,
      p90: 1000,
      p99: 1000,
      max: 1000,
      mean: 1000,
      min: 1000,
      p95: 1000,
      samples: 2,
    });
    expect(two!.jitterNs).toEqual({ mean: 0, samples: 1 });
    expect(seven).toEqual({
      id: 7,
      src: null,
      dst: null,
      label: null,
      sentPackets: 1,
      receivedPackets: 0,
      sentBytes: 100,
      receivedBytes: 0,
      loss: 0,
      throughputBps: 0,
      latencyNs: { p50: null, p90: null, p99: null, max: null, mean: null, min: null, p95: null, samples: 0 },
      jitterNs: { mean: null, samples: 0 },
      timesNs: { firstTx: 0, lastTx: 0, firstRx: null, lastRx: null },
      droppedPackets: 0,
      drops: {},
      inFlightPackets: 1,
    });
  });

  it("is bounded: flows beyond maxFlows are counted as untracked, never stored", () => {
    const s = new FlowStats(fakeSim(), { maxFlows: 3 });
    for (let id = 0; id < 10; id++) {
      s.recordSent(id, 10, id);
      s.recordReceived(id, 10, id, id + 5);
    }
    expect(s.size).toBe(3);
    expect(s.summary()).toMatchObject({
      flows: 3,
      sentPackets: 3,
      receivedPackets: 3,
      untrackedSent: 7,
      untrackedReceived: 7,
    });
    // Known flows keep counting.
    s.recordSent(1, 10, 20);
    expect(s.flow(1)!.sentPackets).toBe(2);
    expect(() => s.defineFlow(50)).toThrow(NetloomError);
    try {
      s.defineFlow(50);
    } catch (e) {
      expect((e as NetloomError).code).toBe(ErrorCode.TABLE_FULL);
    }
    expect(s.defineFlow(1, { label: "kept" }).label).toBe("kept");
    // Bad ids on the hot path are untracked, not thrown; through the API they throw.
    s.recordSent(-3, 1, 0);
    s.recordSent(1.5, 1, 0);
    expect(s.untrackedSent).toBe(9);
    expect(() => s.defineFlow(-1)).toThrow(/id/);
    expect(() => new FlowStats(fakeSim(), { maxFlows: 0 })).toThrow(/maxFlows/);
  });

  it("counts frames without a flow id apart, and detach() stops counting", () => {
    const net = new Network({ seed: 1, frameSlots: 64 });
    const a = net.addHost("a", { mac: mac(1) });
    const b = net.addHost("b", { mac: mac(2) });
    net.connect("a", "b", { rate: "1Gbps" });
    const flows = new FlowStats(net.sim);
    flows.attachSender(a.trace[0]!.macTx);
    const offRx = flows.attachReceiver(b.trace[0]!.macRx);
    // A frame with no flow id (flow -1), sent by hand.
    const f = net.sim.frames.alloc(64, 0);
    net.sim.frames.setLength(f, 60);
    net.sim.runtime.u8.fill(0, net.sim.frames.offset(f), net.sim.frames.offset(f) + 60);
    net.sim.runtime.u8.set([0x02, 0, 0, 0, 0, 2], net.sim.frames.offset(f));
    a.send(f);
    net.runToIdle();
    expect(flows.noFlow).toBe(2);
    expect(flows.size).toBe(0);
    offRx();
    flows.detach();
    net.addCbrSource("a", { dst: mac(2), frameSize: 64, rate: "1Mbps", count: 3, flow: 5 });
    net.runToIdle();
    expect(flows.size).toBe(0);
    expect(b.stats().rxFrames).toBe(4);
    finish(net);
  });
});

describe("FlowStats with the record in hand", () => {
  it("recordSentOn / recordReceivedOn count exactly as recordSent / recordReceived do", () => {
    const byId = new FlowStats({ frames: {} as never });
    const byRecord = new FlowStats({ frames: {} as never });
    const f = byRecord.defineFlow(4, { src: "a" });
    byId.defineFlow(4, { src: "a" });
    for (let i = 0; i < 50; i++) {
      byId.recordSent(4, 100 + i, i * 10);
      byRecord.recordSentOn(f, 100 + i, i * 10);
      if (i % 3 !== 0) {
        byId.recordReceived(4, 100 + i, i * 10, i * 10 + 500 + i);
        byRecord.recordReceivedOn(f, 100 + i, i * 10, i * 10 + 500 + i);
      }
    }
    expect(byRecord.flow(4)).toBe(f);
    expect(byRecord.toJSON()).toEqual(byId.toJSON());
    expect(byRecord.exportState()).toEqual(byId.exportState());
  });
});

describe("FlowStats receives without a latency sample", () => {
  it("counts packets and bytes but records no latency", () => {
    const net = new Network({ frameSlots: 64 });
    const s = new FlowStats(net.sim);
    s.defineFlow(1, { src: "a", dst: "b" });
    s.recordSent(1, 100, 0);
    s.recordSent(1, 100, 10);
    s.recordReceived(1, 100, 0, 50);
    s.recordReceivedUnsampled(1, 100, 70);
    s.recordReceivedUnsampled(99_999_999_999, 100, 70); // not a flow id: untracked, never throws
    const [f] = s.toJSON();
    expect(f!.receivedPackets).toBe(2);
    expect(f!.receivedBytes).toBe(200);
    expect(f!.latencyNs.max).toBe(50); // only the sampled packet
    expect(s.untrackedReceived).toBe(1);
    net.destroy();
  });
});
