// Fail-stop crashes of routers through the Network API: what a crash loses (ARP caches and
// their queued frames, learned routes, the DV timer, frames queued on its links), what survives
// (connected and static routes), how neighbours find out (only by their route timeout, after
// which traffic reroutes), restarts, random failures, and the pool back whole after each.
import { describe, expect, it } from "vitest";
import { Network } from "../../src/run/network.js";

const DV = { period: "100ms", timeout: "300ms" };

/**
 * A -- r1 = r2 = r4 -- B, and a longer way r1 - r3 - r4. r1 learns B's subnet through r2
 * first (its updates come sooner) and keeps it while r2 is heard of.
 */
function square(seed = 3) {
  const net = new Network({ seed, frameSlots: 2048 });
  net.addHost("a", { ip: { address: "10.0.1.10/24", gateway: "10.0.1.1" } });
  net.addHost("b", { ip: { address: "10.0.2.10/24", gateway: "10.0.2.1" } });
  const r = (name: string, interfaces: [string, string][]) =>
    net.addRouter(name, {
      interfaces: interfaces.map(([n, address]) => ({ name: n, address })),
      distanceVector: DV,
    });
  r("r1", [
    ["lan", "10.0.1.1/24"],
    ["to-r2", "192.168.12.1/30"],
    ["to-r3", "192.168.13.1/30"],
  ]);
  r("r2", [
    ["to-r1", "192.168.12.2/30"],
    ["to-r4", "192.168.24.1/30"],
  ]);
  r("r3", [
    ["to-r1", "192.168.13.2/30"],
    ["to-r4", "192.168.34.1/30"],
  ]);
  r("r4", [
    ["lan", "10.0.2.1/24"],
    ["to-r2", "192.168.24.2/30"],
    ["to-r3", "192.168.34.2/30"],
  ]);
  const fast = { rate: 1e9, delay: 100_000 };
  const slow = { rate: 1e9, delay: 200_000 };
  net.connect("a", "r1:0", { rate: 1e9, delay: 1000, name: "a-r1" });
  net.connect("r1:1", "r2:0", { ...fast, name: "r1-r2" });
  net.connect("r1:2", "r3:0", { ...slow, name: "r1-r3" });
  net.connect("r2:1", "r4:1", { ...fast, name: "r2-r4" });
  net.connect("r3:1", "r4:2", { ...slow, name: "r3-r4" });
  net.connect("r4:0", "b", { rate: 1e9, delay: 1000, name: "r4-b" });
  return { net, a: net.ipHost("a"), b: net.ipHost("b") };
}

const toB = (net: Network) =>
  net
    .router("r1")
    .routeList()
    .find((l) => l.startsWith("10.0.2.0/24"));

describe("router crashes", () => {
  it("a crashed router loses its learned routes and ARP caches; neighbours reroute only at their timeout", () => {
    const { net, a, b } = square();
    const got: number[] = [];
    b.bind(9).onMessage(() => got.push(net.now));
    const tx = a.bind(1);
    net.crash("r2", "1050ms", "1500ms"); // between two of its periods
    net.run("500ms");
    expect(toB(net)).toBe("10.0.2.0/24 via 192.168.12.2 dev to-r2 (rip 3)");
    const r2 = net.router("r2");
    const learned = r2.routeList().filter((l) => l.includes("(rip")).length;
    expect(learned).toBe(4); // 10.0.1.0/24, 10.0.2.0/24, 192.168.13.0/30, 192.168.34.0/30
    // One datagram a millisecond from A to B, from 500 ms to 2 s.
    let sent = 0;
    for (let t = 500; t < 2000; t++) {
      net.run(t * 1_000_000);
      tx.send("10.0.2.10", 9, new Uint8Array(200));
      sent++;
      if (t === 1050) {
        // Crashed at 1050 ms: only configuration is left.
        expect(r2.state).toBe("crashed");
        expect(r2.routeList()).toEqual([
          "192.168.12.0/30 dev to-r1 (connected)",
          "192.168.24.0/30 dev to-r4 (connected)",
        ]);
        expect(r2.stats().ip.dvEvents).toEqual({ CRASHED: learned });
        expect(r2.stats().interfaces.map((f) => f.arp.entries)).toEqual([0, 0]);
      }
      // r1 is told nothing: it keeps the route through r2 until the route has not been heard
      // of for the timeout (r2's last update left at 1000 ms; r1 checks at each 100 ms period).
      if (t === 1350) expect(toB(net)).toBe("10.0.2.0/24 via 192.168.12.2 dev to-r2 (rip 3)");
      if (t === 1450) expect(toB(net)).toBe("10.0.2.0/24 via 192.168.13.2 dev to-r3 (rip 3)");
      if (t === 1500) {
        // Restarted at 1500 ms: up with its connected routes alone, the protocol running again.
        expect(r2.state).toBe("up");
        expect(r2.routeList()).toHaveLength(2);
      }
    }
    net.run("2150ms"); // between periods: no update in flight
    expect(r2.routeList().filter((l) => l.includes("(rip")).length).toBe(4);
    expect(net.router("r1").stats().ip.dvEvents["DV_ROUTE_TIMEOUT"]).toBeGreaterThanOrEqual(1);
    // Lost: what r1 sent into r2 from the crash (1050 ms) until it withdrew the route at its
    // 1400 ms period (350 datagrams), and the one sent at 1400 ms, between the withdrawal and
    // r3's update (no route: ICMP net unreachable). Everything else arrives.
    expect(sent - got.length).toBe(351);
    expect(net.router("r1").stats().ip.drops).toEqual({ NO_ROUTE: 1 });
    expect(got.some((t) => t > 1050e6 && t < 1400e6)).toBe(false);
    // At r2's port from r1: those 350 datagrams and r1's updates of 1100 to 1400 ms, all
    // dropped as CRASHED.
    const toR1 = r2.stats().interfaces[0]!.nic!;
    expect(toR1.rxDrops).toEqual({ CRASHED: 350 + 4 });
    expect(net.failureStats()).toEqual([{ device: "r2", crashes: 1, restarts: 1, downNs: 450e6, crashed: false }]);
    net.destroy(); // throws on a leaked frame slot
  });

  it("frames queued on its links and waiting for ARP are dropped and counted as CRASHED", () => {
    const net = new Network({ seed: 5, frameSlots: 512 });
    net.addHost("a", { ip: { address: "10.0.1.10/24", gateway: "10.0.1.1" } });
    net.addHost("b", { ip: { address: "10.0.2.10/24", gateway: "10.0.2.1" } });
    const r = net.addRouter("r", {
      interfaces: [
        { name: "lan1", address: "10.0.1.1/24" },
        { name: "lan2", address: "10.0.2.1/24" },
      ],
      routes: [{ prefix: "10.9.0.0/16", via: "10.0.2.99" }],
    });
    net.connect("a", "r:0", { rate: 1e9, delay: 1000 });
    // 1 Mbit/s out of r: a 1000-byte datagram takes ~8.3 ms, so a burst queues there.
    const out = net.connect("r:1", "b", { rate: 1e6, delay: 1000, queueLimit: 64, name: "r-b" });
    const got: number[] = [];
    net
      .ipHost("b")
      .bind(9)
      .onMessage(() => got.push(net.now));
    const tx = net.ipHost("a").bind(1);
    tx.send("10.0.2.10", 9, new Uint8Array(8)); // resolves b first
    net.run("20ms");
    expect(got).toHaveLength(1);
    for (let i = 0; i < 10; i++) tx.send("10.0.2.10", 9, new Uint8Array(1000));
    // 10.0.2.99 never answers: r holds what goes through it until the crash.
    for (let i = 0; i < 2; i++) tx.send("10.9.0.1", 9, new Uint8Array(100));
    net.crash("r", "25ms");
    net.run("200ms");
    // One datagram was on the wire at the crash and arrives; the other nine were queued, with
    // the ARP request for 10.0.2.99 behind them.
    expect(got).toHaveLength(2);
    expect(out.stats(0).drops).toEqual({ CRASHED: 9 + 1 });
    const lan2 = r.stats().interfaces[1]!;
    expect(lan2.arp.drops).toEqual({ CRASHED: 2 });
    expect(r.state).toBe("crashed");
    // Nothing goes through a crashed router: a's datagrams die at its NIC.
    tx.send("10.0.2.10", 9, new Uint8Array(100));
    net.run("300ms");
    expect(r.stats().interfaces[0]!.nic!.rxDrops).toEqual({ CRASHED: 1 });
    expect(got).toHaveLength(2);
    expect(net.sim.frames.stats().inUse).toBe(0);
    net.destroy();
  });

  it("fails at random from a seeded MTBF/MTTR; each restart brings the protocol back", () => {
    const run = (seed: number) => {
      const { net } = square(seed);
      net.failRandomly("r2", { mtbf: "2s", mttr: "300ms", until: "18s" });
      const times: string[] = [];
      const r2 = net.router("r2");
      net.run("20s");
      const s = net.failureStats()[0]!;
      const routes = r2.routeList().filter((l) => l.includes("(rip")).length;
      times.push(net.stats().fingerprint);
      // Updates are always in flight somewhere: crash every router (their timers stop), let
      // the last ones land on crashed ports, and the pool must then be whole.
      for (const n of ["r1", "r2", "r3", "r4"]) net.router(n).crash();
      net.run("20.01s");
      expect(net.sim.frames.stats().inUse).toBe(0);
      net.destroy();
      return { s, routes, times };
    };
    const x = run(11);
    expect(run(11)).toEqual(x);
    expect(run(12).times).not.toEqual(x.times);
    // About 18 s / 2.3 s of cycles; every crash before 18 s is followed by its restart.
    expect(x.s.crashes).toBeGreaterThan(3);
    expect(x.s.crashes).toBeLessThan(20);
    expect(x.s.restarts).toBe(x.s.crashes);
    // Up at the end and relearned: the protocol was started again each time.
    expect(x.s.crashed).toBe(false);
    expect(x.routes).toBe(4);
  });

  it("crash() and restart() say false when there is nothing to do", () => {
    const { net } = square();
    const r2 = net.router("r2");
    expect(r2.restart()).toBe(false);
    expect(r2.crash()).toBe(true);
    expect(r2.crash()).toBe(false);
    expect(r2.restart()).toBe(true);
    expect(r2.restart()).toBe(false);
    net.destroy();
  });
});
