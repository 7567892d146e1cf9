// Fail-stop crashes of IP hosts through the Network API: what a crash loses, what it counts,
// what survives (stable storage), how peers find out (only by timeouts), partitions and heals,
// random failures from a seeded MTBF/MTTR, and the pool coming back whole after every crash.
import { describe, expect, it } from "vitest";
import { NetloomError } from "../../src/base/errors.js";
import { Network } from "../../src/run/network.js";
import { TcpLayer } from "../../src/stacks/tcp/tcp-layer.js";

const LINK = { rate: 100e6, delay: 50_000 };

/** a -- sw -- b, c on the switch too. */
function lan() {
  const net = new Network({ seed: 7, frameSlots: 1024 });
  for (const [i, n] of ["a", "b", "c"].entries()) net.addHost(n, { ip: { address: `10.0.0.${i + 1}/24` } });
  net.addSwitch("sw", { ports: 4 });
  net.connect("a", "sw:0", { ...LINK, name: "a-sw" });
  net.connect("b", "sw:1", { ...LINK, name: "b-sw" });
  net.connect("c", "sw:2", { ...LINK, name: "c-sw" });
  return { net, a: net.ipHost("a"), b: net.ipHost("b"), c: net.ipHost("c") };
}

describe("IP host crashes", () => {
  it("a crashed host drops what arrives (CRASHED), loses its sockets and comes back empty", () => {
    const { net, a, b } = lan();
    const got: number[] = [];
    const bind = () => b.bind(9000).onMessage((m) => got.push(m.length));
    bind();
    b.onRestart(bind);
    const tx = a.bind(9001);
    const send = (n: number) => tx.send("10.0.0.2", 9000, new Uint8Array(n));
    net.crash("b", "10ms", "20ms");
    send(100);
    net.run("12ms");
    send(101); // b is down: the datagram dies at b's NIC
    net.run("15ms");
    expect(b.crashed).toBe(true);
    expect(b.state).toBe("crashed");
    expect(b.udp.stats().sockets).toBe(0);
    send(102);
    net.run("30ms");
    expect(b.crashed).toBe(false);
    expect(b.incarnation).toBe(1);
    send(103);
    net.runToIdle();
    expect(got).toEqual([100, 103]);
    const nic = net.stats().hosts.find((h) => h.name === "b")!;
    expect(nic.rxDrops).toEqual({ CRASHED: 2 });
    expect(net.failureStats()).toEqual([{ device: "b", crashes: 1, restarts: 1, downNs: 10_000_000, crashed: false }]);
    net.destroy(); // throws on a leaked frame slot
  });

  it("frames waiting for ARP at the crash are dropped and counted, and none leaks", () => {
    const { net, a } = lan();
    const tx = a.bind(9001);
    // 10.0.0.9 does not exist: the datagrams wait for ARP until the crash.
    for (let i = 0; i < 5; i++) tx.send("10.0.0.9", 9, new Uint8Array(64));
    expect(a.arp.stats().entries).toBe(1);
    net.crash("a", 1_000_000);
    net.run("2ms");
    // The API's ARP queue holds 3 per neighbour: 2 overflowed before the crash took the rest.
    expect(a.arp.stats()).toMatchObject({ entries: 0, drops: { QUEUE_OVERFLOW: 2, CRASHED: 3 } });
    // Sends from the crashed host die with it, counted: through a socket the crash closed, or a new one.
    expect(tx.send("10.0.0.2", 9, new Uint8Array(8))).toBe(false);
    expect(a.bind(9002).send("10.0.0.2", 9, new Uint8Array(8))).toBe(false);
    expect(a.udp.stats().drops).toEqual({ HOST_CRASHED: 1 });
    expect(a.stats().ip.drops).toEqual({ HOST_CRASHED: 1 });
    expect(net.sim.frames.stats().inUse).toBe(0);
    net.destroy();
  });

  it("TCP: the crashed side ends silently; the peer finds out only by its own timeout", () => {
    const { net, a, b } = lan();
    const ta = new TcpLayer(a);
    const tb = new TcpLayer(b);
    const errors: string[] = [];
    tb.listen(80, (conn) => conn.onError((r) => errors.push(`b:${r}`)));
    const conn = ta.connect("10.0.0.2", 80, { maxRetries: 3, minRto: 10_000_000, initialRto: 10_000_000 });
    conn.onError((r) => errors.push(`a:${r}`));
    net.run("5ms");
    expect(conn.state).toBe("ESTABLISHED");
    net.crash("b", "6ms");
    net.run("7ms");
    expect(errors).toEqual(["b:host crashed"]);
    conn.write(new Uint8Array(1000));
    net.run("10s");
    expect(errors).toHaveLength(2);
    expect(errors[1]).toMatch(/^a:retransmission timeout/);
    net.onDispose(() => {
      ta.destroy();
      tb.destroy();
    });
    net.destroy();
  });

  it("stable storage survives a crash; what was not synced is lost", () => {
    const { net, a } = lan();
    const disk = a.ensureStorage({ disk: "disk-1995" });
    expect(a.ensureStorage()).toBe(disk);
    disk.write(Uint8Array.of(1));
    net.run("100ms");
    disk.write(Uint8Array.of(2)); // a 1995 sync takes ~15 ms: the crash at +1 ms comes first
    net.crash("a", net.now + 1_000_000, net.now + 2_000_000);
    net.run("200ms");
    expect(disk.durable.map((r) => r[0])).toEqual([1]);
    expect(disk.stats()).toMatchObject({ written: 2, synced: 1, lost: 1 });
    net.destroy();
  });

  it("random failures from MTBF/MTTR are seeded: the same seed gives the same crashes", () => {
    const run = (seed: number) => {
      const net = new Network({ seed, frameSlots: 64 });
      net.addHost("a", { ip: { address: "10.0.0.1/24" } });
      const times: string[] = [];
      net.failRandomly("a", { mtbf: "1s", mttr: "100ms", until: "20s" });
      net.ipHost("a").onCrash(() => times.push(`c${net.now}`));
      net.ipHost("a").onRestart(() => times.push(`r${net.now}`));
      net.run("30s");
      const s = net.failureStats()[0]!;
      net.destroy();
      return { times, s };
    };
    const x = run(1);
    expect(run(1)).toEqual(x);
    expect(run(2).times).not.toEqual(x.times);
    // About 20 up periods of mean 1 s in 20 s; each crash is followed by its restart.
    expect(x.s.crashes).toBeGreaterThan(8);
    expect(x.s.crashes).toBeLessThan(40);
    expect(x.s.restarts).toBe(x.s.crashes);
    expect(x.times.filter((t) => t.startsWith("c")).every((t) => Number(t.slice(1)) < 20e9)).toBe(true);
  });

  it("a partition cuts the links between its groups until it heals", () => {
    const { net, a, b, c } = lan();
    const got: string[] = [];
    b.bind(9000).onMessage(() => got.push(`b${net.now}`));
    c.bind(9000).onMessage(() => got.push(`c${net.now}`));
    const p = net.partition("split", [["a", "sw", "c"], ["b"]], "10ms", "20ms");
    expect(p.links).toEqual(["b-sw"]);
    const tx = a.bind(1);
    a.ping("10.0.0.2");
    a.ping("10.0.0.3");
    net.run("5ms");
    for (const at of ["12ms", "25ms"]) {
      net.run(at);
      tx.send("10.0.0.2", 9000, new Uint8Array(10));
      tx.send("10.0.0.3", 9000, new Uint8Array(10));
    }
    net.runToIdle();
    expect(got.map((g) => g[0])).toEqual(["c", "b", "c"]);
    expect(net.stats().partitions).toEqual([
      { name: "split", groups: [["a", "sw", "c"], ["b"]], atNs: 10_000_000, healAtNs: 20_000_000, links: ["b-sw"] },
    ]);
    net.destroy();
  });

  it("refuses what cannot be: unknown devices, restarts before crashes, partitions that cut nothing", () => {
    const { net } = lan();
    expect(() => net.crash("nope", "1s")).toThrow(/there is no device named "nope" that can crash/);
    expect(() => net.crash("a", "2s", "1s")).toThrow(/a restarts at 1000000000 ns, not after its crash/);
    expect(() => net.crash("a-sw", "1s")).toThrow(/is a link/);
    expect(() => net.partition("p", [["a"], ["b"]], "1s")).toThrow(/p cuts no link/);
    expect(() => net.partition("p", [["a"], ["a", "sw"]], "1s")).toThrow(/a is in more than one group/);
    expect(() => net.partition("p", [["a"], ["sw"]], "2s", "1s")).toThrow(NetloomError);
    expect(() => net.failRandomly("a", { mtbf: "0s", mttr: "1s" })).toThrow(/mtbf must be a positive time/);
    net.destroy();
  });
});
