import { afterEach, describe, expect, it } from "vitest";
import { Network } from "../../src/run/network.js";
import type { LinkOptions } from "../../src/devices/link.js";
import type { UdpScenarioTraffic as ScenarioTraffic } from "../../src/scenario/scenario.js";
import type { IpHost } from "../../src/stacks/ip/ip-host.js";
import { FlowStats } from "../../src/trace/flow-stats.js";
import { demuxStats } from "../../src/traffic/udp-port-demux.js";
import { startUdpTraffic, type UdpTrafficFlow } from "../../src/traffic/udp-traffic.js";

const MS = 1_000_000;
const LINK: LinkOptions = { rate: 1e9, delay: 5000 };

/** One hop of a store-and-forward path: serialization (frame + 20 bytes overhead) + delay. */
function hopNs(frameLen: number, rate = 1e9, delay = 5000): number {
  return Math.ceil(((frameLen + 20) * 8 * 1e9) / rate) + delay;
}
/** Ethernet frame of a UDP datagram with `payload` bytes (FCS included). */
const frameOf = (payload: number): number => Math.max(64, 14 + 20 + 8 + payload + 4);

interface Lab {
  net: Network;
  flows: FlowStats;
  host: (name: string) => IpHost;
  traffic: UdpTrafficFlow[];
  hosts: string[];
}
const live: Lab[] = [];

afterEach(() => {
  for (const { net, traffic, hosts } of live.splice(0)) {
    for (const t of traffic) t.destroy();
    net.run(net.now + 50 * MS); // what is in the links and switch arrives
    for (const h of hosts) net.ipHost(h).destroy(); // releases datagrams still waiting for ARP
    expect(net.sim.frames.leaks()).toEqual([]);
    net.destroy(); // throws on leaks too
  }
});

/** `n` IP hosts h0..h(n-1) (10.0.0.1..) on one learning switch; `links[i]` overrides host i's link. */
function lab(n: number, seed = 1, links: Record<number, LinkOptions> = {}): Lab {
  const net = new Network({ seed, frameSlots: 1024 });
  net.addSwitch("sw", { ports: n });
  for (let i = 0; i < n; i++) {
    net.addHost(`h${i}`, {
      mac: `02:00:00:00:00:${(i + 1).toString(16).padStart(2, "0")}`,
      ip: { address: `10.0.0.${i + 1}/24` },
    });
    net.connect(`h${i}`, `sw:${i}`, links[i] ?? LINK);
  }
  const l: Lab = { net, flows: new FlowStats(net.sim), host: (name) => net.ipHost(name), traffic: [], hosts: [] };
  for (let i = 0; i < n; i++) l.hosts.push(`h${i}`);
  live.push(l);
  return l;
}

type Extra<T> = T extends unknown
  ? Omit<T, "name" | "from" | "to" | "protocol" | "srcPort" | "dstPort" | "startNs" | "stopNs" | "count">
  : never;

function spec(
  extra: Extra<ScenarioTraffic>,
  common: Partial<{
    name: string;
    from: string;
    to: string;
    host: string | undefined;
    srcPort: number;
    dstPort: number;
    startNs: number;
    stopNs: number;
    count: number;
  }> = {},
): ScenarioTraffic {
  const to = common.to ?? "10.0.0.2";
  return {
    name: common.name ?? "f",
    from: common.from ?? "h0",
    to: { address: to, host: "host" in common ? common.host : "h1", multicast: to.startsWith("239.") },
    protocol: "udp",
    srcPort: common.srcPort ?? 10000,
    dstPort: common.dstPort ?? 9000,
    startNs: common.startNs ?? 0,
    stopNs: common.stopNs ?? 100 * MS,
    count: common.count,
    ...extra,
  } as ScenarioTraffic;
}

function start(l: Lab, flowId: number, s: ScenarioTraffic, from: string, to: string[]): UdpTrafficFlow {
  const t = startUdpTraffic(l.net.sim, l.flows, flowId, s, l.host(from), to.map(l.host));
  l.traffic.push(t);
  return t;
}

describe("cbr", () => {
  it("sends exactly rate x time, at the configured throughput, with the hand-computed path latency after ARP", () => {
    const l = lab(2);
    const t = start(l, 0, spec({ type: "cbr", size: 1000, rateBps: 100e6 }), "h0", ["h1"]);
    l.net.run(100 * MS + 1 * MS);
    expect(t.state).toBe("done");
    const f = l.flows.flow(0)!;
    // One datagram every 8000 bits / 100 Mbit/s = 80 us: k = 0..1249 fall before 100 ms.
    expect(f.sentPackets).toBe(1250);
    expect(f.sentBytes).toBe(1_250_000);
    expect(f.receivedPackets).toBe(1250);
    expect(f.receivedBytes).toBe(1_250_000);
    expect(f.loss).toBe(0);
    // The first datagram waited for ARP: the measured span is a little shorter than 1249 gaps.
    expect(Math.abs(f.throughputBps / 100e6 - 1)).toBeLessThan(1e-3);
    const path = 2 * hopNs(frameOf(1000)); // host -> switch -> host, store and forward
    expect(f.latency!.min).toBe(path);
    const arp = 4 * hopNs(64); // request and reply across the switch
    expect(f.latency!.max).toBe(path + arp);
    const rep = l.flows.toJSON()[0]!;
    expect(Math.abs(rep.latencyNs.p50! - path)).toBeLessThanOrEqual(path / 128);
    expect(rep.src).toBe("h0");
    expect(rep.label).toBe("f");
    const s = t.stats();
    expect(s.datagramsSent).toBe(1250);
    expect(s.sendFailures).toBe(0);
    expect(s.receivers).toEqual([{ host: "h1", packets: 1250, bytes: 1_250_000 }]);
    expect(l.host("h0").stats().arp.requestsSent).toBe(1);
  });

  it("stops after count datagrams, and stop() ends a flow early", () => {
    const l = lab(3);
    const a = start(l, 0, spec({ type: "cbr", size: 100, rateBps: 8e6 }, { count: 7 }), "h0", ["h1"]);
    const b = start(
      l,
      1,
      spec({ type: "cbr", size: 100, rateBps: 8e6 }, { name: "g", to: "10.0.0.3", host: "h2", srcPort: 10001 }),
      "h0",
      ["h2"],
    );
    l.net.run(1 * MS);
    b.stop();
    expect(b.state).toBe("done");
    l.net.run(3 * MS);
    expect(a.stats().datagramsSent).toBe(7);
    expect(l.flows.flow(0)!.receivedPackets).toBe(7);
    // 100 us period: datagrams at 0, 100, ..., 900 us, up to and including t = 1 ms itself.
    expect(b.stats().datagramsSent).toBe(11);
    expect(l.flows.flow(1)!.receivedPackets).toBe(11);
  });

  it("counts a send the stack refuses at once as a drop of the flow", () => {
    const l = lab(2);
    // No route: 192.168.1.1 is off-link and the host has no gateway.
    const t = start(
      l,
      0,
      spec({ type: "cbr", size: 64, rateBps: 8e6 }, { to: "192.168.1.1", host: undefined, count: 5 }),
      "h0",
      [],
    );
    l.net.run(1 * MS);
    expect(t.stats().sendFailures).toBe(5);
    expect(l.flows.flow(0)!.sentPackets).toBe(5);
    expect(l.flows.flow(0)!.loss).toBe(1);
    expect(l.host("h0").stats().ip.drops).toEqual({ NO_ROUTE: 5 });
  });

  it("shares one receiving socket between flows to the same host and port (demultiplexed by flow id)", () => {
    const l = lab(3);
    start(l, 0, spec({ type: "cbr", size: 200, rateBps: 16e6 }, { count: 20 }), "h0", ["h1"]);
    start(l, 1, spec({ type: "cbr", size: 300, rateBps: 24e6 }, { name: "g", from: "h2", count: 30 }), "h2", ["h1"]);
    l.net.run(5 * MS);
    expect(l.flows.flow(0)!.receivedBytes).toBe(20 * 200);
    expect(l.flows.flow(1)!.receivedBytes).toBe(30 * 300);
    expect(demuxStats(l.host("h1"))).toEqual([{ host: "h1.ip", port: 9000, flows: 2, short: 0, unknownFlow: 0 }]);
  });

  it("a flow that leaves a shared socket stops being counted there; the other flow goes on", () => {
    const l = lab(3);
    const a = start(l, 0, spec({ type: "cbr", size: 200, rateBps: 16e6 }), "h0", ["h1"]);
    // Flow 1 starts later, so flow 0 is the last one the shared socket saw before it leaves.
    start(l, 1, spec({ type: "cbr", size: 300, rateBps: 24e6 }, { name: "g", from: "h2", startNs: 6 * MS }), "h2", [
      "h1",
    ]);
    l.net.run(5 * MS);
    const before = l.flows.flow(0)!.receivedPackets;
    expect(before).toBe(50);
    // Flow 0 goes: the receiving socket must forget it, even though it was the last flow seen.
    a.destroy();
    const sent = l.flows.flow(0)!.sentPackets;
    l.net.run(10 * MS);
    expect(l.flows.flow(0)!.sentPackets).toBe(sent);
    const [d] = demuxStats(l.host("h1"));
    expect(d!.flows).toBe(1);
    // What flow 0 had in flight (its datagram of t = 5 ms) arrived for a flow the socket no
    // longer knows: a stale cache would have counted it for flow 0.
    expect(d!.unknownFlow).toBe(1);
    expect(l.flows.flow(0)!.receivedPackets + d!.unknownFlow).toBe(sent);
    const g = l.flows.flow(1)!;
    expect(g.receivedPackets).toBeGreaterThan(30); // 10 per ms from 6 ms on
    expect(g.sentPackets - g.receivedPackets).toBeLessThanOrEqual(1); // its datagram of t = 10 ms
  });

  it("refuses a bad rate naming it", () => {
    const l = lab(2);
    expect(() => start(l, 0, spec({ type: "cbr", size: 100, rateBps: -5 }), "h0", ["h1"])).toThrow(/traffic\.f\.rate/);
  });
});

describe("poisson", () => {
  it("measures a mean rate within 3% of the configured one", () => {
    const l = lab(2, 3);
    const t = start(l, 0, spec({ type: "poisson", size: 1000, rateBps: 100e6 }, { stopNs: 1000 * MS }), "h0", ["h1"]);
    l.net.run(1000 * MS + MS);
    const n = t.stats().datagramsSent;
    // 12,500 expected; the Poisson standard deviation is ~112 (0.9%).
    expect(Math.abs(n / 12_500 - 1)).toBeLessThan(0.03);
    expect(l.flows.flow(0)!.receivedPackets).toBe(n);
    expect(l.flows.flow(0)!.latency!.min).toBe(2 * hopNs(frameOf(1000)));
  });
});

describe("onoff", () => {
  it("fixed periods: exactly 13 datagrams per 1 ms on period, duty cycle 1/4", () => {
    const l = lab(2);
    const t = start(
      l,
      0,
      spec({ type: "onoff", size: 1000, rateBps: 100e6, onNs: 1 * MS, offNs: 3 * MS, distribution: "fixed" }),
      "h0",
      ["h1"],
    );
    l.net.run(101 * MS);
    // On at [4k, 4k + 1) ms: datagrams at 0, 80, ..., 960 us of each on period; 25 periods.
    expect(t.stats().datagramsSent).toBe(25 * 13);
    expect(l.flows.flow(0)!.receivedPackets).toBe(25 * 13);
  });

  it("exponential periods: duty cycle 1/4 and the on rate, within tolerance", () => {
    const l = lab(2, 5);
    const t = start(
      l,
      0,
      spec(
        { type: "onoff", size: 1000, rateBps: 100e6, onNs: 1 * MS, offNs: 3 * MS, distribution: "exponential" },
        { stopNs: 2000 * MS },
      ),
      "h0",
      ["h1"],
    );
    l.net.run(2001 * MS);
    const s = t.stats();
    // ~500 cycles: the on fraction's relative standard deviation is about 5%.
    expect(Math.abs(s.onTimeNs / (2000 * MS) / 0.25 - 1)).toBeLessThan(0.12);
    // An On period of length L sends ceil(L / 80 us) datagrams; for L exponential with mean
    // 1 ms, E[ceil(L / T)] = 1 / (1 - exp(-T / mean)) = 13.0067 per period.
    expect(Math.abs(s.datagramsSent / s.onPeriods / 13.0067 - 1)).toBeLessThan(0.05);
    // While on, datagrams go at the configured rate: one per 80 us of on time, plus the first.
    expect(Math.abs(s.datagramsSent / (s.onTimeNs / 80_000 + s.onPeriods * 0.5) - 1)).toBeLessThan(0.05);
    expect(l.flows.flow(0)!.receivedPackets).toBe(s.datagramsSent);
  });
});

describe("bulk", () => {
  it("unpaced: delivers exactly total bytes back to back at the sender's link rate", () => {
    const l = lab(2);
    const t = start(l, 0, spec({ type: "bulk", size: 1400, total: 100_000, rateBps: undefined }), "h0", ["h1"]);
    l.net.run(10 * MS);
    const f = l.flows.flow(0)!;
    expect(f.sentBytes).toBe(100_000);
    expect(f.receivedBytes).toBe(100_000);
    expect(f.receivedPackets).toBe(72); // 71 x 1400 + 600
    expect(t.stats().bytesRemaining).toBe(0);
    expect(t.state).toBe("done");
    // Back to back: the link carried a full datagram every 1466 + 20 bytes of wire time.
    const wire = hopNs(frameOf(1400)) - 5000;
    expect(f.lastSentNs).toBe(71 * wire);
    // The queue never builds: only the two datagrams that waited for ARP met in it.
    expect(l.net.link("h0:0-sw:0").stats(0).queueHighWater).toBeLessThanOrEqual(2);
  });

  it("a remainder below 8 bytes borrows from the datagram before; paced at the rate", () => {
    const l = lab(2);
    start(l, 0, spec({ type: "bulk", size: 1000, total: 10_003, rateBps: 8e6 }), "h0", ["h1"]);
    l.net.run(20 * MS);
    const f = l.flows.flow(0)!;
    expect(f.receivedBytes).toBe(10_003);
    expect(f.receivedPackets).toBe(11); // 9 x 1000 + 995 + 8
    expect(f.lastSentNs).toBe(10 * 1 * MS); // one per 1000 us
  });

  it("fragments datagrams larger than the MTU and still delivers exactly", () => {
    const l = lab(2);
    start(l, 0, spec({ type: "bulk", size: 4000, total: 20_000, rateBps: undefined }), "h0", ["h1"]);
    l.net.run(10 * MS);
    expect(l.flows.flow(0)!.receivedBytes).toBe(20_000);
    expect(l.host("h0").stats().ip.txFragments).toBe(15);
  });
});

describe("request-response", () => {
  it("measures the exact RTT, one request outstanding at a time", () => {
    const l = lab(2);
    const t = start(
      l,
      0,
      spec(
        { type: "request-response", size: 100, responseSize: 300, intervalNs: undefined, timeoutNs: MS },
        { count: 10 },
      ),
      "h0",
      ["h1"],
    );
    l.net.run(10 * MS);
    const f = l.flows.flow(0)!;
    expect(f.sentPackets).toBe(10);
    expect(f.sentBytes).toBe(1000);
    expect(f.receivedPackets).toBe(10);
    expect(f.receivedBytes).toBe(3000);
    const rtt = 2 * hopNs(frameOf(100)) + 2 * hopNs(frameOf(300));
    expect(f.latency!.min).toBe(rtt);
    expect(f.latency!.max).toBe(rtt + 4 * hopNs(64)); // the first request waited for ARP
    // Closed loop: the 10th response arrives after 9 plain RTTs and one with ARP.
    expect(f.lastReceivedNs).toBe(10 * rtt + 4 * hopNs(64));
    const s = t.stats();
    expect(s.requestsServed).toBe(10);
    expect(s.timeouts).toBe(0);
    expect(t.state).toBe("done");
  });

  it("keeps an RTT sample for every response past the first 1024 requests (the send-time ring grows)", () => {
    const l = lab(2);
    // No count and no rate: the ring cannot be sized up front and doubles as requests go.
    const t = start(
      l,
      0,
      spec(
        { type: "request-response", size: 100, responseSize: 100, intervalNs: undefined, timeoutNs: MS },
        { stopNs: 80 * MS },
      ),
      "h0",
      ["h1"],
    );
    l.net.run(81 * MS);
    const s = t.stats();
    expect(s.received).toBeGreaterThan(2048);
    expect(s.noLatencySample).toBe(0);
    expect(s.timeouts).toBe(0);
    const f = l.flows.flow(0)!;
    expect(f.latency!.count).toBe(s.received);
    expect(f.latency!.max).toBe(2 * 2 * hopNs(frameOf(100)) + 4 * hopNs(64)); // the first one waited for ARP
  });

  it("counts timeouts on a lossy link; every request ends in a response or a timeout", () => {
    const l = lab(2, 1, { 1: { ...LINK, faults: { loss: 0.2 } } });
    const t = start(
      l,
      0,
      spec(
        { type: "request-response", size: 100, responseSize: 100, intervalNs: 200_000, timeoutNs: 100_000 },
        { stopNs: 400 * MS },
      ),
      "h0",
      ["h1"],
    );
    l.net.run(401 * MS);
    const s = t.stats();
    const f = l.flows.flow(0)!;
    expect(s.datagramsSent).toBeGreaterThan(1000);
    expect(f.receivedPackets + s.timeouts).toBe(s.datagramsSent);
    // Request and response each cross the lossy link once: 1 - 0.8^2 = 36% time out.
    expect(Math.abs(s.timeouts / s.datagramsSent - 0.36)).toBeLessThan(0.05);
    expect(s.lateResponses).toBe(0);
    // Requests go on ticks 200 us apart (none skipped: the RTT and timeout fit in a tick).
    expect(f.lastSentNs % 200_000).toBe(0);
  });

  it("a lost ARP request is not hidden: every request times out until the ARP retry 1 s later", () => {
    // Seed 11 loses the first ARP exchange on the lossy link (found by trying seeds).
    const l = lab(2, 11, { 1: { ...LINK, faults: { loss: 0.2 } } });
    const t = start(
      l,
      0,
      spec(
        { type: "request-response", size: 100, responseSize: 100, intervalNs: 200_000, timeoutNs: 100_000 },
        { stopNs: 1200 * MS },
      ),
      "h0",
      ["h1"],
    );
    l.net.run(1201 * MS);
    const f = l.flows.flow(0)!;
    expect(l.host("h0").stats().arp.requestsSent).toBe(2);
    expect(l.host("h0").stats().arp.drops["QUEUE_OVERFLOW"]).toBeGreaterThan(4000);
    expect(f.firstReceivedNs).toBeGreaterThan(1000 * MS);
    expect(f.receivedPackets).toBeGreaterThan(500);
    expect(f.receivedPackets + t.stats().timeouts).toBe(t.stats().datagramsSent);
  });

  it("needs a host to answer", () => {
    const l = lab(2);
    expect(() =>
      start(
        l,
        0,
        spec(
          { type: "request-response", size: 100, responseSize: 100, intervalNs: undefined, timeoutNs: MS },
          { to: "10.0.0.9", host: undefined },
        ),
        "h0",
        [],
      ),
    ).toThrow(/needs the destination host/);
  });
});

describe("multicast", () => {
  it("delivers to every member and to no other host; one sent packet is owed per member", () => {
    const l = lab(4);
    l.host("h1").joinGroup("239.1.1.1");
    l.host("h2").joinGroup("239.1.1.1");
    const t = start(
      l,
      0,
      spec({ type: "cbr", size: 500, rateBps: 40e6 }, { to: "239.1.1.1", host: undefined, count: 100 }),
      "h0",
      ["h1", "h2"],
    );
    l.net.run(10 * MS);
    const s = t.stats();
    expect(s.datagramsSent).toBe(100);
    expect(s.receivers).toEqual([
      { host: "h1", packets: 100, bytes: 50_000 },
      { host: "h2", packets: 100, bytes: 50_000 },
    ]);
    const f = l.flows.flow(0)!;
    expect(f.sentPackets).toBe(200);
    expect(f.receivedPackets).toBe(200);
    expect(f.loss).toBe(0);
    // No ARP for a group: every datagram sees the plain path latency.
    expect(f.latency!.max).toBe(2 * hopNs(frameOf(500)));
    expect(l.host("h3").stats().udp.received).toBe(0);
  });
});

describe("determinism", () => {
  function run(seed: number): { fingerprint: string; report: string } {
    const l = lab(3, seed, { 2: { ...LINK, faults: { loss: 0.1 } } });
    start(l, 0, spec({ type: "poisson", size: 700, rateBps: 50e6 }, { stopNs: 20 * MS }), "h0", ["h1"]);
    start(
      l,
      1,
      spec(
        { type: "request-response", size: 64, responseSize: 256, intervalNs: 50_000, timeoutNs: 40_000 },
        { name: "rr", from: "h1", to: "10.0.0.3", host: "h2", srcPort: 10001, stopNs: 20 * MS },
      ),
      "h1",
      ["h2"],
    );
    start(
      l,
      2,
      spec(
        { type: "onoff", size: 300, rateBps: 20e6, onNs: 500_000, offNs: 500_000, distribution: "exponential" },
        { name: "oo", from: "h2", to: "10.0.0.1", host: "h0", srcPort: 10002, stopNs: 20 * MS },
      ),
      "h2",
      ["h0"],
    );
    const r = l.net.run(25 * MS);
    return { fingerprint: r.fingerprint, report: JSON.stringify(l.flows.toJSON()) };
  }

  it("same seed, same fingerprint and flow report; another seed differs", () => {
    const a = run(42);
    const b = run(42);
    const c = run(43);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.report).toBe(b.report);
    expect(c.fingerprint).not.toBe(a.fingerprint);
  });
});
