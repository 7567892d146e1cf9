// The IPv4 router: forwarding between subnets, ICMP errors, fragmentation, checksum drops,
// determinism and distance-vector convergence around a failed link.
import { afterEach, describe, expect, it } from "vitest";
import type { Simulation } from "../../../src/engine/simulation.js";
import { PointToPointLink, type LinkOptions } from "../../../src/devices/link.js";
import { EthernetSwitch } from "../../../src/devices/ethernet-switch.js";
import type { EthernetNic } from "../../../src/devices/nic.js";
import { DV_MAX_ROUTES } from "../../../src/stacks/ip/distance-vector.js";
import { Router, type RouterOptions } from "../../../src/stacks/ip/router.js";
import { IP_PROTO_UDP, IPV4_FLAG_DF, ipv4FromString } from "../../../src/wire/ipv4.js";
import { LINK, hopNs, injectIpv4, pattern, world } from "./support.js";

const routers: Router[] = [];
// Runs before support.ts's afterEach (hooks unwind in reverse): routers release their frames first.
afterEach(() => {
  for (const r of routers.splice(0)) r.destroy();
});

function router(sim: Simulation, name: string, options: RouterOptions): Router {
  const r = new Router(sim, name, options);
  routers.push(r);
  return r;
}

function connect(
  sim: Simulation,
  a: EthernetNic | Router,
  ap: number,
  b: EthernetNic | Router,
  bp: number,
  options: LinkOptions = LINK,
) {
  const l = new PointToPointLink(sim, `${a.name}:${ap}-${b.name}:${bp}`, options);
  a.attach(ap, l, 0);
  b.attach(bp, l, 1);
  return l;
}

const B_IP = ipv4FromString("10.0.2.10");

/** A (10.0.1.10) -- R -- B (10.0.2.10); R's second interface has MTU `mtu`. */
function twoSubnets(seed = 1, mtu = 1500, aTtl = 64) {
  const w = world(seed);
  const A = w.host("a", { address: "10.0.1.10/24", gateway: "10.0.1.1", ttl: aTtl });
  const B = w.host("b", { address: "10.0.2.10/24", gateway: "10.0.2.1" });
  const R = router(w.sim, "r", {
    interfaces: [
      { name: "lan1", address: "10.0.1.1/24" },
      { name: "lan2", address: "10.0.2.1/24", mtu },
    ],
  });
  connect(w.sim, A.nic, 0, R, 0);
  connect(w.sim, R, 1, B.nic, 0);
  return { ...w, A, B, R };
}

describe("Router", () => {
  it("forwards UDP between two subnets with exact latency (two hops, no processing delay)", () => {
    const { sim, A, B, R } = twoSubnets();
    // Resolve ARP everywhere first.
    A.ping(B_IP, 8);
    sim.scheduler.runToIdle();
    expect(A.stats().icmp.echoRepliesReceived).toBe(1);
    const rx = B.bind(9);
    const t0 = sim.now;
    A.bind(1).send(B_IP, 9, pattern(100));
    sim.scheduler.runToIdle();
    const m = rx.recv()!;
    expect(Buffer.from(m.payload).equals(Buffer.from(pattern(100)))).toBe(true);
    // 100 + 8 + 20 + 14 + 4 (FCS) = 146 bytes on each hop.
    expect(m.time - t0).toBe(2 * hopNs(146));
    expect(R.stats().ip.forwarded).toBe(3); // echo request, echo reply, the datagram
    expect(R.stats().ip.drops).toEqual({});
    expect(m.src).toBe(A.ip);
  });

  it("answers a ping to its own address", () => {
    const { sim, A } = twoSubnets();
    const p = A.ping("10.0.2.1", 32);
    sim.scheduler.runToIdle();
    // ARP request and reply (64-byte frames), then the echo request and reply (32 + 8 + 20 +
    // 14 + 4 = 78 bytes), each one hop.
    expect(p.rttNs).toBe(2 * hopNs(64) + 2 * hopNs(78));
  });

  it("drops TTL 1 and sends ICMP time exceeded to the source", () => {
    const { sim, A, B, R } = twoSubnets(1, 1500, 1);
    const rx = B.bind(9);
    A.bind(1).send(B_IP, 9, pattern(40));
    sim.scheduler.runToIdle();
    expect(rx.recv()).toBeUndefined();
    expect(R.stats().ip.drops["TTL_EXCEEDED"]).toBe(1);
    expect(R.stats().ip.icmpSent["TIME_EXCEEDED"]).toBe(1);
    expect(A.stats().icmp.timeExceededReceived).toBe(1);
  });

  it("drops a datagram with no route and sends ICMP destination unreachable (net)", () => {
    const { sim, A, R } = twoSubnets();
    A.bind(1).send("10.9.9.9", 9, pattern(40));
    sim.scheduler.runToIdle();
    expect(R.stats().ip.drops["NO_ROUTE"]).toBe(1);
    expect(A.stats().icmp.unreachableReceived).toEqual({ NET: 1 });
  });

  it("fragments onto a small MTU; the destination reassembles the bytes exactly", () => {
    const { sim, A, B, R } = twoSubnets(1, 576);
    A.ping(B_IP, 8);
    sim.scheduler.runToIdle();
    const rx = B.bind(9);
    const data = pattern(1400, 5);
    A.bind(1).send(B_IP, 9, data);
    sim.scheduler.runToIdle();
    const m = rx.recv()!;
    expect(Buffer.from(m.payload).equals(Buffer.from(data))).toBe(true);
    // 1408 bytes of UDP in 552-byte pieces: 3 fragments.
    expect(R.stats().ip.fragmented).toBe(1);
    expect(R.stats().ip.fragmentsSent).toBe(3);
    expect(B.stats().ip.rxFragments).toBe(3);
    expect(B.stats().reassembly.reassembled).toBe(1);
  });

  it("with DF set and a small MTU: drops, and ICMP fragmentation needed carries the next-hop MTU", () => {
    const w = world(1);
    const raw = w.nic("raw");
    const B = w.host("b", { address: "10.0.2.10/24", gateway: "10.0.2.1" });
    const R = router(w.sim, "r", {
      interfaces: [
        { name: "lan1", address: "10.0.1.1/24" },
        { name: "lan2", address: "10.0.2.1/24", mtu: 576 },
      ],
    });
    connect(w.sim, raw, 0, R, 0);
    connect(w.sim, R, 1, B.nic, 0);
    const srcIp = ipv4FromString("10.0.1.10");
    R.iface("lan1").arp.set(srcIp, raw.mac);
    const got: Uint8Array[] = [];
    raw.setReceiver({
      onFrame(nic, f) {
        got.push(w.sim.frames.bytes(f).slice());
        nic.consume(f);
      },
    });
    injectIpv4(
      w.sim,
      raw,
      R.iface("lan1").mac,
      { src: srcIp, dst: B_IP, protocol: IP_PROTO_UDP, dontFragment: true, ttl: 9 },
      pattern(1000),
    );
    w.sim.scheduler.runToIdle();
    expect(R.stats().ip.drops["FRAG_NEEDED_DF"]).toBe(1);
    expect(got).toHaveLength(1);
    const f = got[0]!;
    expect((f[12]! << 8) | f[13]!).toBe(0x0800);
    expect(f[14 + 9]).toBe(1); // ICMP
    const icmp = 14 + 20;
    expect(f[icmp]).toBe(3);
    expect(f[icmp + 1]).toBe(4);
    expect((f[icmp + 6]! << 8) | f[icmp + 7]!).toBe(576);
    // The quote: the original header (TTL as received, DF set) and 8 bytes of payload.
    const q = icmp + 8;
    expect(f[q]).toBe(0x45);
    expect(f[q + 8]).toBe(9);
    expect(((f[q + 6]! << 8) | f[q + 7]!) & IPV4_FLAG_DF).toBe(IPV4_FLAG_DF);
    expect(Array.from(f.subarray(q + 20, q + 28))).toEqual(Array.from(pattern(1000).subarray(0, 8)));
    expect(B.stats().ip.rxPackets).toBe(0);
  });

  it("counts a bad header checksum and forwards nothing", () => {
    const w = world(1);
    const raw = w.nic("raw");
    const B = w.host("b", { address: "10.0.2.10/24", gateway: "10.0.2.1" });
    const R = router(w.sim, "r", {
      interfaces: [
        { name: "lan1", address: "10.0.1.1/24" },
        { name: "lan2", address: "10.0.2.1/24" },
      ],
    });
    connect(w.sim, raw, 0, R, 0);
    connect(w.sim, R, 1, B.nic, 0);
    injectIpv4(
      w.sim,
      raw,
      R.iface("lan1").mac,
      { src: ipv4FromString("10.0.1.10"), dst: B_IP, protocol: IP_PROTO_UDP },
      pattern(60),
      (h, at) => {
        h[at + 10]! ^= 0xff;
      },
    );
    w.sim.scheduler.runToIdle();
    expect(R.stats().ip.drops).toEqual({ BAD_CHECKSUM: 1 });
    expect(R.stats().ip.forwarded).toBe(0);
    expect(R.stats().ip.icmpSent).toEqual({});
  });

  it("is deterministic: same seed, same counters and fingerprint", () => {
    const run = () => {
      const { sim, A, B, R } = twoSubnets(3, 576);
      B.bind(9);
      const s = A.bind(1);
      for (let i = 0; i < 3; i++) s.send(B_IP, 9, pattern(200 + 300 * i, i));
      sim.scheduler.runToIdle();
      return { fp: sim.scheduler.fingerprint.toString(), r: R.stats(), b: B.stats() };
    };
    const a = run();
    const b = run();
    expect(b.fp).toBe(a.fp);
    expect(b.r).toEqual(a.r);
    expect(b.b).toEqual(a.b);
  });

  it("refuses a static route whose next hop is on no interface", () => {
    const w = world(1);
    expect(
      () =>
        new Router(w.sim, "bad", {
          interfaces: [{ name: "x", address: "10.0.0.1/24" }],
          routes: [{ prefix: "10.1.0.0/16", via: "10.2.0.1" }],
        }),
    ).toThrow(/10\.2\.0\.1 is not on the subnet of any interface of bad/);
  });
});

describe("Router distance vector", () => {
  it("learns routes, and converges around a failed link", () => {
    // A - R1 = R2 - B, with a backup path R1 - R3 - R2. The R1-R2 link fails at 1 s.
    const w = world(4, 512);
    const sim = w.sim;
    const A = w.host("a", { address: "10.0.1.10/24", gateway: "10.0.1.1" });
    const B = w.host("b", { address: "10.0.2.10/24", gateway: "10.0.2.1" });
    const dv = { period: "100ms", timeout: "300ms" };
    const R1 = router(sim, "r1", {
      interfaces: [
        { name: "lan", address: "10.0.1.1/24" },
        { name: "to-r2", address: "192.168.12.1/30" },
        { name: "to-r3", address: "192.168.13.1/30" },
      ],
      distanceVector: dv,
    });
    const R2 = router(sim, "r2", {
      interfaces: [
        { name: "lan", address: "10.0.2.1/24" },
        { name: "to-r1", address: "192.168.12.2/30" },
        { name: "to-r3", address: "192.168.23.1/30" },
      ],
      distanceVector: dv,
    });
    const R3 = router(sim, "r3", {
      interfaces: [
        { name: "to-r1", address: "192.168.13.2/30" },
        { name: "to-r2", address: "192.168.23.2/30" },
      ],
      distanceVector: dv,
    });
    connect(sim, A.nic, 0, R1, 0);
    connect(sim, R2, 0, B.nic, 0);
    connect(sim, R1, 1, R2, 1, { rate: 1e9, delay: 100_000, schedule: [{ at: 1e9, state: "down" }] });
    connect(sim, R1, 2, R3, 0, { rate: 1e9, delay: 200_000 });
    connect(sim, R3, 1, R2, 2, { rate: 1e9, delay: 200_000 });
    const rx = B.bind(9);
    const s = A.bind(1);
    sim.scheduler.runUntil(500e6);
    expect(R1.routeList()).toContain("10.0.2.0/24 via 192.168.12.2 dev to-r2 (rip 2)");
    s.send(B_IP, 9, pattern(64));
    sim.scheduler.runUntil(600e6);
    expect(rx.recv()?.time).toBe(500337152);
    // After the failure and the timeout, the route goes through r3.
    sim.scheduler.runUntil(2e9);
    expect(R1.routeList()).toContain("10.0.2.0/24 via 192.168.13.2 dev to-r3 (rip 3)");
    expect(R1.stats().ip.dvEvents["DV_ROUTE_TIMEOUT"]).toBeGreaterThanOrEqual(1);
    s.send(B_IP, 9, pattern(64));
    sim.scheduler.runUntil(2.1e9);
    const m = rx.recv()!;
    expect(m.time).toBe(2001216848);
    // Through r3: 1 us-scale hops plus 200 + 200 us of delay.
    expect(m.time - 2e9).toBeGreaterThan(400_000);
    s.close();
    rx.close();
  });
});

describe("Router distance vector: hostile updates", () => {
  /** A RIPv2 response (UDP 520 -> 224.0.0.9, no UDP checksum) with one entry, from host A to R. */
  function ripResponse(address: string, mask: string, metric: number, family = 2): Uint8Array {
    const rip = new Uint8Array(4 + 20);
    const v = new DataView(rip.buffer);
    rip[0] = 2; // response
    rip[1] = 2; // version 2
    v.setUint16(4, family); // address family: 2 = IP
    v.setUint32(8, ipv4FromString(address));
    v.setUint32(12, ipv4FromString(mask));
    v.setUint32(20, metric);
    const udp = new Uint8Array(8 + rip.length);
    const u = new DataView(udp.buffer);
    u.setUint16(0, 520);
    u.setUint16(2, 520);
    u.setUint16(4, udp.length);
    udp.set(rip, 8);
    return udp;
  }

  it("ignores and counts an entry whose address has bits outside its mask, however often it comes", () => {
    const w = world(5);
    const A = w.host("a", { address: "10.0.1.10/24", gateway: "10.0.1.1" });
    const R = router(w.sim, "r", {
      interfaces: [{ name: "lan", address: "10.0.1.1/24" }],
      distanceVector: { period: "1s", timeout: "3s" },
    });
    connect(w.sim, A.nic, 0, R, 0);
    const group = 0x01005e000009; // 224.0.0.9's MAC
    const send = (address: string, mask: string) =>
      injectIpv4(
        w.sim,
        A.nic,
        group,
        { src: ipv4FromString("10.0.1.10"), dst: ipv4FromString("224.0.0.9"), protocol: 17, ttl: 1 },
        ripResponse(address, mask, 1),
      );
    send("10.3.1.0", "255.255.0.0");
    w.sim.scheduler.runUntil(10e6);
    send("10.3.1.0", "255.255.0.0");
    w.sim.scheduler.runUntil(20e6);
    // A good entry in the same kind of message is still learned: the check is per entry.
    send("10.4.0.0", "255.255.0.0");
    w.sim.scheduler.runUntil(30e6);
    const s = R.stats().ip;
    expect(s.dvUpdatesReceived).toBe(3);
    expect(s.drops["DV_BAD_ENTRY"]).toBe(2);
    expect(R.routeList().filter((l) => l.startsWith("10.3."))).toEqual([]);
    expect(R.routeList()).toContain("10.4.0.0/16 via 10.0.1.10 dev lan (rip 2)");
  });

  it("holds at most DV_MAX_ROUTES learned routes: a flood of new prefixes is refused and counted", () => {
    const w = world(5, 1024);
    const A = w.host("a", { address: "10.0.1.10/24", gateway: "10.0.1.1" });
    const R = router(w.sim, "r", {
      interfaces: [{ name: "lan", address: "10.0.1.1/24" }],
      distanceVector: { period: "1s", timeout: "3s" },
    });
    connect(w.sim, A.nic, 0, R, 0);
    // 170 responses of 25 distinct /16 prefixes each (11.0.0.0/16, 11.1.0.0/16, ...): 4250 routes.
    const messages = 170;
    for (let m = 0; m < messages; m++) {
      const rip = new Uint8Array(4 + 25 * 20);
      const v = new DataView(rip.buffer);
      rip[0] = 2;
      rip[1] = 2;
      for (let k = 0; k < 25; k++) {
        const e = 4 + 20 * k;
        v.setUint16(e, 2);
        v.setUint32(e + 4, (11 << 24) + (m * 25 + k) * 65536);
        v.setUint32(e + 8, 0xffff0000);
        v.setUint32(e + 16, 1);
      }
      const udp = new Uint8Array(8 + rip.length);
      const u = new DataView(udp.buffer);
      u.setUint16(0, 520);
      u.setUint16(2, 520);
      u.setUint16(4, udp.length);
      udp.set(rip, 8);
      injectIpv4(
        w.sim,
        A.nic,
        0x01005e000009,
        { src: ipv4FromString("10.0.1.10"), dst: ipv4FromString("224.0.0.9"), protocol: 17, ttl: 1 },
        udp,
      );
      w.sim.scheduler.runUntil(w.sim.now + 100_000);
    }
    const learned = R.routeList().filter((l) => l.includes("(rip")).length;
    expect(learned).toBe(DV_MAX_ROUTES);
    expect(R.stats().ip.drops["DV_TABLE_FULL"]).toBe(messages * 25 - DV_MAX_ROUTES);
  });

  it("ignores and counts every entry RFC 2453 3.9.2 says to ignore, and still learns the default route", () => {
    const w = world(5);
    const A = w.host("a", { address: "10.0.1.10/24", gateway: "10.0.1.1" });
    const R = router(w.sim, "r", {
      interfaces: [{ name: "lan", address: "10.0.1.1/24" }],
      distanceVector: { period: "1s", timeout: "3s" },
    });
    connect(w.sim, A.nic, 0, R, 0);
    const bad: [string, string, number, number][] = [
      ["10.5.0.0", "255.255.0.0", 1, 0x0102], // another address family (the fuzzer's case)
      ["10.6.0.0", "255.255.0.0", 0, 2], // metric 0
      ["10.7.0.0", "255.255.0.0", 17, 2], // metric above infinity
      ["239.1.0.0", "255.255.0.0", 1, 2], // class D
      ["240.0.0.0", "240.0.0.0", 1, 2], // class E
      ["127.0.0.0", "255.0.0.0", 1, 2], // loopback
      ["0.1.0.0", "255.255.0.0", 1, 2], // net 0
      ["10.8.0.0", "255.0.255.0", 1, 2], // a mask that is not contiguous
    ];
    const entries = [...bad, ["0.0.0.0", "0.0.0.0", 1, 2] as [string, string, number, number]];
    entries.forEach(([address, mask, metric, family], k) => {
      injectIpv4(
        w.sim,
        A.nic,
        0x01005e000009,
        { src: ipv4FromString("10.0.1.10"), dst: ipv4FromString("224.0.0.9"), protocol: 17, ttl: 1 },
        ripResponse(address, mask, metric, family),
      );
      w.sim.scheduler.runUntil((k + 1) * 10e6);
    });
    const s = R.stats().ip;
    expect(s.dvUpdatesReceived).toBe(entries.length);
    expect(s.drops["DV_BAD_ENTRY"]).toBe(bad.length);
    expect(R.routeList()).toEqual(["10.0.1.0/24 dev lan (connected)", "0.0.0.0/0 via 10.0.1.10 dev lan (rip 2)"]);
  });
});

describe("Router multicast (flooding)", () => {
  const GROUP = ipv4FromString("239.1.2.3");

  /**
   * A (10.0.1.10) -- lan1 R lan2 -- switch -- B, C (members), D (not a member);
   * R lan3 (MTU 576) -- E (member).
   */
  function groupWorld() {
    const w = world(5);
    const A = w.host("a", { address: "10.0.1.10/24", gateway: "10.0.1.1" });
    const B = w.host("b", { address: "10.0.2.10/24", gateway: "10.0.2.1" });
    const C = w.host("c", { address: "10.0.2.11/24", gateway: "10.0.2.1" });
    const D = w.host("d", { address: "10.0.2.12/24", gateway: "10.0.2.1" });
    const E = w.host("e", { address: "10.0.3.10/24", gateway: "10.0.3.1" });
    const R = router(w.sim, "r", {
      interfaces: [
        { name: "lan1", address: "10.0.1.1/24" },
        { name: "lan2", address: "10.0.2.1/24" },
        { name: "lan3", address: "10.0.3.1/24", mtu: 576 },
      ],
    });
    const sw = new EthernetSwitch(w.sim, "sw", { ports: 4 });
    connect(w.sim, A.nic, 0, R, 0);
    const l = new PointToPointLink(w.sim, "r:1-sw:0", LINK);
    R.attach(1, l, 0);
    sw.attach(0, l, 1);
    w.link(sw, 1, B.nic);
    w.link(sw, 2, C.nic);
    w.link(sw, 3, D.nic);
    connect(w.sim, R, 2, E.nic, 0);
    for (const h of [B, C, E]) h.joinGroup(GROUP);
    return { ...w, A, B, C, D, E, R };
  }

  it("floods a group datagram with TTL > 1 to members on the other subnets, not to non-members", () => {
    const { sim, A, B, C, D, E, R } = groupWorld();
    const rx = [B, C, D, E].map((h) => h.bind(6000));
    const data = pattern(1000, 3);
    const tx = A.bind(1);
    expect(tx.send(GROUP, 6000, data, 8)).toBe(true);
    sim.scheduler.runToIdle();
    for (const i of [0, 1, 3]) {
      const m = rx[i]!.recv()!;
      expect(Buffer.from(m.payload).equals(Buffer.from(data))).toBe(true);
      expect(m.src).toBe(A.ip);
    }
    expect(rx[2]!.recv()).toBeUndefined();
    expect(D.nic.stats().rxDrops).toEqual({ ADDRESS_FILTER: 1 });
    const ip = R.stats().ip;
    // Out of lan2 (a copy: not the last interface) and lan3 (fragmented: 1008 bytes of UDP
    // in 552-byte pieces).
    expect(ip.multicastForwarded).toBe(2);
    expect(ip.multicastCopies).toBe(1);
    expect(ip.fragmented).toBe(1);
    expect(ip.fragmentsSent).toBe(2);
    expect(E.stats().reassembly.reassembled).toBe(1);
    expect(ip.forwarded).toBe(0);
    expect(ip.drops).toEqual({});
    expect(ip.icmpSent).toEqual({});
    // Group MACs: nobody ARPs.
    expect(R.stats().interfaces.map((f) => f.arp.requestsSent)).toEqual([0, 0, 0]);
    for (const s of [...rx, tx]) s.close();
  });

  it("does not forward TTL 1 (the RFC 1112 default) nor link-local groups, and sends no ICMP about them", () => {
    const { sim, A, B, R } = groupWorld();
    const rb = B.bind(6000);
    const tx = A.bind(1);
    tx.send(GROUP, 6000, pattern(40)); // default multicast TTL: 1
    B.joinGroup("224.0.0.5");
    tx.send("224.0.0.5", 6000, pattern(40), 8);
    tx.send(0xe0000009, 520, pattern(40), 8); // RIP's group: never forwarded
    sim.scheduler.runToIdle();
    expect(rb.recv()).toBeUndefined();
    const ip = R.stats().ip;
    expect(ip.drops).toEqual({ MULTICAST_TTL_EXPIRED: 1, MULTICAST_LINK_LOCAL: 2 });
    expect(ip.multicastForwarded).toBe(0);
    expect(ip.icmpSent).toEqual({});
    expect(A.stats().icmp.timeExceededReceived).toBe(0);
    rb.close();
    tx.close();
  });

  it("on a tree of two routers, TTL bounds the hops: 2 stops at the second router, 3 gets through", () => {
    const w = world(6);
    const A = w.host("a", { address: "10.0.1.10/24", gateway: "10.0.1.1" });
    const B = w.host("b", { address: "10.0.2.10/24", gateway: "10.0.2.1" });
    const R1 = router(w.sim, "r1", {
      interfaces: [
        { name: "lan", address: "10.0.1.1/24" },
        { name: "core", address: "192.168.12.1/30" },
      ],
    });
    const R2 = router(w.sim, "r2", {
      interfaces: [
        { name: "core", address: "192.168.12.2/30" },
        { name: "lan", address: "10.0.2.1/24" },
      ],
    });
    connect(w.sim, A.nic, 0, R1, 0);
    connect(w.sim, R1, 1, R2, 0);
    connect(w.sim, R2, 1, B.nic, 0);
    B.joinGroup(GROUP);
    const rb = B.bind(6000);
    const tx = A.bind(1);
    tx.send(GROUP, 6000, pattern(40), 2);
    w.sim.scheduler.runToIdle();
    expect(rb.recv()).toBeUndefined();
    expect(R2.stats().ip.drops).toEqual({ MULTICAST_TTL_EXPIRED: 1 });
    tx.send(GROUP, 6000, pattern(40), 3);
    w.sim.scheduler.runToIdle();
    expect(rb.recv()?.time).toBe(29240);
    expect(R1.stats().ip.multicastForwarded).toBe(2);
    expect(R2.stats().ip.multicastForwarded).toBe(1);
    // Nothing came back towards A (flooding never sends out of the arrival interface).
    expect(A.stats().ip.rxPackets).toBe(0);
    rb.close();
    tx.close();
  });
});
