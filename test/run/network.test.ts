import { describe, expect, it } from "vitest";
import { Network } from "../../src/run/network.js";
import { ErrorCode, NetloomError } from "../../src/base/errors.js";

const mac = (i: number): string => `02:00:00:00:00:${i.toString(16).padStart(2, "0")}`;

/** n hosts on one switch; host i sends CBR frames to host (i+1) mod n. */
function star(n: number, seed = 1, extra: { loss?: number } = {}): Network {
  const net = new Network({ seed, frameSlots: 4096 });
  const sw = net.addSwitch("sw", { ports: n });
  for (let i = 0; i < n; i++) {
    net.addHost(`h${i}`, { mac: mac(i + 1) });
    net.connect(`h${i}`, `sw:${i}`, {
      rate: "1Gbps",
      delay: "5us",
      ...(extra.loss !== undefined ? { faults: { loss: extra.loss } } : {}),
    });
  }
  for (let i = 0; i < n; i++) {
    net.addCbrSource(`h${i}`, {
      dst: mac(((i + 1) % n) + 1),
      frameSize: 1000,
      rate: "100Mbps",
      start: i * 1000,
      stop: "10ms",
    });
  }
  void sw;
  return net;
}

describe("Network (embedding API)", () => {
  it("runs a star to a virtual time and reports per-host, per-link and per-switch counters", () => {
    const net = star(4);
    const result = net.run("10ms");
    expect(result.simTimeNs).toBe(10_000_000);
    expect(result.events).toBe(1512);
    const stats = net.stats();
    // 100 Mbit/s of 1000-byte frames = 12,500 frames/s = 125 per host in 10 ms (give or take the first).
    for (const s of stats.sources) expect(s.frames).toBeGreaterThanOrEqual(124);
    const sent = stats.sources.reduce((a, s) => a + s.frames, 0);
    const received = stats.hosts.reduce((a, h) => a + h.rxFrames, 0);
    // Everything sent more than one path latency before the end has arrived.
    expect(received).toBeGreaterThanOrEqual(sent - 4 * 2);
    expect(received).toBeLessThanOrEqual(sent);
    expect(stats.links).toHaveLength(4);
    expect(stats.links[0]!.directions[0].frames).toBe(125);
    expect(stats.switches[0]!.name).toBe("sw");
    expect(stats.frames.allocFailures).toBe(0);
    net.runToIdle();
    net.destroy();
  });

  it("gives identical counters and fingerprints for the same seed, and reports drops by reason", () => {
    const a = star(4, 7, { loss: 0.05 });
    const b = star(4, 7, { loss: 0.05 });
    const drops: string[] = [];
    a.onDrop((d) => drops.push(d.reason));
    const ra = a.run("5ms");
    const rb = b.run("5ms");
    expect(ra.fingerprint).toBe(rb.fingerprint);
    expect(JSON.stringify(a.stats().hosts)).toBe(JSON.stringify(b.stats().hosts));
    expect(drops.length).toBe(24);
    // Wire loss, and floods of not-yet-learned destinations that other hosts' NICs filter out.
    expect(drops).toContain("LOSS_RANDOM");
    expect(new Set(drops)).toEqual(new Set(["LOSS_RANDOM", "ADDRESS_FILTER"]));
    const c = star(4, 8, { loss: 0.05 });
    expect(c.run("5ms").fingerprint).not.toBe(ra.fingerprint);
    for (const n of [a, b, c]) {
      n.runToIdle();
      n.destroy();
    }
  });

  it("rejects misuse with named errors", () => {
    const net = new Network({ frameSlots: 64 });
    net.addHost("h1");
    net.addHost("h2");
    net.addSwitch("sw", { ports: 2 });
    net.connect("h1", "sw:0", { rate: "1Gbps" });
    const code = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        return `${(e as NetloomError).code}: ${(e as Error).message}`;
      }
      return "no error";
    };
    expect(code(() => net.connect("h9", "sw:1", { rate: "1Gbps" }))).toMatch(
      /INVALID_ARGUMENT: .*no device named "h9"/,
    );
    expect(code(() => net.connect("h2", "sw:0", { rate: "1Gbps" }))).toMatch(/port 0 of sw is already connected/);
    expect(code(() => net.connect("h2", "sw:5", { rate: "1Gbps" }))).toMatch(/sw has no port 5/);
    expect(code(() => net.connect("h2", "sw:1", { rate: -5 }))).toMatch(/rate/);
    expect(code(() => net.addHost("h1"))).toMatch(/already a device named "h1"/);
    expect(code(() => net.run(-1))).toMatch(/until/);
    expect(code(() => net.addCbrSource("nobody", { dst: mac(1), frameSize: 100, rate: "1Mbps" }))).toMatch(
      new RegExp(`${ErrorCode.INVALID_ARGUMENT}: .*no host named "nobody"`),
    );
    net.destroy();
  });
});

describe("Network with a shared segment", () => {
  it("joins hosts to a CSMA/CD segment and counts collisions", () => {
    const net = new Network({ seed: 3, frameSlots: 1024 });
    net.addSegment("coax", { stations: 3 });
    for (let i = 1; i <= 3; i++) {
      net.addHost(`s${i}`, { mac: mac(i) });
      expect(net.joinSegment(`s${i}`, "coax")).toBe(i - 1);
    }
    net.addHost("late");
    expect(() => net.joinSegment("late", "coax")).toThrow(/no free station/);
    expect(() => net.joinSegment("late", "ether")).toThrow(/no segment named "ether"/);
    for (let i = 1; i <= 3; i++) {
      net.addCbrSource(`s${i}`, { dst: mac((i % 3) + 1), frameSize: 1000, rate: "5Mbps", stop: "20ms" });
    }
    net.runToIdle();
    const seg = net.stats().segments[0]!;
    expect(seg.name).toBe("coax");
    const delivered = net.stats().hosts.reduce((a, h) => a + h.rxFrames, 0);
    const sent = net.stats().sources.reduce((a, s) => a + s.frames, 0);
    expect(sent).toBe(39);
    // Every station hears every intact frame; each frame is accepted by exactly one NIC.
    expect(delivered).toBeLessThanOrEqual(sent);
    expect(delivered).toBeGreaterThan(sent * 0.9);
    net.destroy();
  });
});

describe("Network with IP hosts", () => {
  it("sends UDP between IP hosts through a switch and reports IP stats", () => {
    const net = new Network({ seed: 4, frameSlots: 512 });
    net.addSwitch("sw", { ports: 2 });
    net.addHost("a", { mac: mac(1), ip: { address: "10.0.0.1/24" } });
    net.addHost("b", { mac: mac(2), ip: { address: "10.0.0.2/24" } });
    net.addHost("bare");
    net.connect("a", "sw:0", { rate: "1Gbps", delay: "2us" });
    net.connect("b", "sw:1", { rate: "1Gbps", delay: "2us" });
    const rx = net.ipHost("b").bind(9000, { queueLimit: 8 });
    const tx = net.ipHost("a").bind(9001, { queueLimit: 8 });
    tx.send("10.0.0.2", 9000, new TextEncoder().encode("hello over real bytes"));
    net.run("1ms");
    const msg = rx.recv();
    expect(msg?.time).toBe(16080);
    expect(new TextDecoder().decode(msg!.payload)).toBe("hello over real bytes");
    // b answered a's ARP request, then took the one datagram.
    expect(net.stats().hosts.find((h) => h.name === "b")!.ip).toMatchObject({
      name: "b.ip",
      address: "10.0.0.2/24",
      ip: { rxPackets: 1, rxDelivered: 1, drops: {} },
      arp: { requestsReceived: 1, repliesSent: 1, entries: 1 },
      udp: { received: 1, delivered: 1, drops: {} },
    });
    expect(() => net.ipHost("bare")).toThrow(/has no IP stack/);
    expect(() => net.ipHost("zz")).toThrow(/no host named "zz"/);
    net.runToIdle();
    net.destroy();
  });
});

describe("Network API: options checked before anything is built", () => {
  it("addHost with the IP options as a string throws NetloomError naming `ip`, and builds no host", () => {
    const net = new Network({ seed: 1 });
    try {
      expect(() => net.addHost("h", { mac: "02:00:00:00:00:01", ip: "10.0.0.1/8" } as never)).toThrow(
        'ip: expected the IP options as an object like { address: "10.0.0.1/24" }, got "10.0.0.1/8"',
      );
      expect(() => net.addHost("h", { ip: ["10.0.0.1/8"] } as never)).toThrow(NetloomError);
      // Nothing was registered under the name: the corrected call succeeds.
      net.addHost("h", { mac: "02:00:00:00:00:01", ip: { address: "10.0.0.1/8" } });
      expect(net.ipHost("h").constructor.name).toBe("IpHost");
    } finally {
      net.destroy();
    }
  });
});
