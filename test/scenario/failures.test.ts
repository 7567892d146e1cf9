// The failures section and host storage in scenario files: what is accepted, what it builds,
// the same report at 1 and 2 workers, and a clear error naming the path for each bad input.
import { afterAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { parseScenario, ScenarioError } from "../../src/scenario/scenario.js";
import { runScenario } from "../../src/run/run-scenario.js";
import { buildScenario } from "../../src/run/build-scenario.js";
import { closePartitionPool } from "../../src/run/partition-pool.js";
import type { RunReport } from "../../src/run/run-report.js";

const BASE = `
name: failures
seed: 3
duration: 1s
hosts:
  - { name: a, ip: 10.0.0.1/24 }
  - { name: b, ip: 10.0.0.2/24, storage: { disk: disk-1995, maxRecords: 100 } }
  - { name: c, ip: 10.0.0.3/24, multicast: [239.1.1.1] }
switches:
  - { name: sw, ports: 4 }
links:
  - { a: a, b: sw:0, rate: 100Mbps, delay: 50us }
  - { a: b, b: sw:1, rate: 100Mbps, delay: 50us }
  - { a: c, b: sw:2, rate: 100Mbps, delay: 50us }
traffic:
  - { name: ab, type: cbr, from: a, to: b, size: 500, rate: 4Mbps }
  - { name: ac, type: cbr, from: a, to: 239.1.1.1, size: 500, rate: 4Mbps }
`;

const FAILURES = `
failures:
  - { device: b, at: 200ms, restartAt: 400ms }
  - { device: c, at: 300ms, restartAt: 350ms }
  - { device: c, at: 600ms }
  - { partition: split, groups: [[a, sw], [b]], at: 700ms, healAt: 800ms }
`;

function errorOf(text: string): string {
  try {
    parseScenario(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as ScenarioError).message;
  }
  throw new Error("expected a ScenarioError");
}

const comparable = (r: RunReport): unknown => {
  const { wallTimeMs: _w, parallel: _p, partitioning: _q, ...rest } = r;
  return rest;
};

afterAll(() => closePartitionPool());

describe("scenario failures", () => {
  it("normalises crashes, partitions and storage", () => {
    const s = parseScenario(BASE + FAILURES);
    expect(s.failures).toEqual([
      { kind: "crash", device: "b", atNs: 200e6, restartAtNs: 400e6 },
      { kind: "crash", device: "c", atNs: 300e6, restartAtNs: 350e6 },
      { kind: "crash", device: "c", atNs: 600e6, restartAtNs: undefined },
      { kind: "partition", name: "split", groups: [["a", "sw"], ["b"]], atNs: 700e6, healAtNs: 800e6 },
    ]);
    expect(s.hosts[1]!.storage).toEqual({
      disk: "disk-1995",
      writeNs: 30_000,
      syncNs: 14_600_000,
      bandwidthBps: 40e6,
      maxRecords: 100,
      maxBytes: 64 << 20,
    });
    expect(s.hosts[0]!.storage).toBeUndefined();
  });

  it("a disk is one more device, made last: a run without disk writes keeps its fingerprint", async () => {
    const plain = parseScenario(BASE.replace(", storage: { disk: disk-1995, maxRecords: 100 }", ""));
    const withDisk = parseScenario(BASE);
    const built = buildScenario(withDisk);
    expect(built.network.sim.idOf("b.disk")).toBe(built.network.sim.idOf("b.disk"));
    built.network.dispose();
    const [x, y] = [await runScenario(plain, { workers: 1 }), await runScenario(withDisk, { workers: 1 })];
    expect(y.fingerprint).toBe(x.fingerprint);
    expect(y.hosts[1]!.storage).toMatchObject({ disk: "disk-1995", written: 0, syncs: 0 });
    expect(x.hosts[1]!.storage).toBeUndefined();
  });

  it("runs: crashed receivers lose what arrives while down, counted; the same report at 1 and 2 workers", async () => {
    const s = parseScenario(BASE + FAILURES);
    const one = await runScenario(s, { workers: 1 });
    const two = await runScenario(parseScenario(BASE + FAILURES), { workers: 2, forceWorkers: true });
    expect(two.parallel?.partitions).toBe(2);
    expect(comparable(two)).toEqual(comparable(one));
    expect(one.failures).toEqual({
      devices: [
        { device: "b", crashes: 1, restarts: 1, downNs: 200e6, crashed: false },
        { device: "c", crashes: 2, restarts: 1, downNs: 50e6 + 400e6, crashed: true },
      ],
      partitions: [{ name: "split", groups: [["a", "sw"], ["b"]], atNs: 700e6, healAtNs: 800e6, links: ["b:0-sw:1"] }],
    });
    // 4 Mbit/s of 500-byte datagrams: one every 1 ms. b misses its 200 ms down and the 100 ms
    // partition (a few datagrams at each edge are in flight); c misses 50 ms and its last 400 ms.
    const ab = one.flows[0]!;
    const ac = one.flows[1]!;
    expect(ab.sentPackets).toBe(1000);
    expect(ab.receivedPackets).toBeGreaterThanOrEqual(1000 - 300 - 2);
    expect(ab.receivedPackets).toBeLessThanOrEqual(1000 - 300 + 2);
    expect(ac.receivedPackets).toBeGreaterThanOrEqual(1000 - 450 - 2);
    expect(ac.receivedPackets).toBeLessThanOrEqual(1000 - 450 + 2);
    const b = one.hosts.find((h) => h.name === "b")!;
    // While down b's NIC drops every frame that reaches it: its own datagrams and the group's,
    // which the switch floods (an up NIC would have filtered those by address).
    expect(b.rxDrops["CRASHED"]).toBeGreaterThanOrEqual(398);
    expect(b.rxDrops["CRASHED"]).toBeLessThanOrEqual(402);
    expect(b.storage).toMatchObject({ disk: "disk-1995", written: 0 });
  });

  it.each([
    ["an unknown device", "failures: [{ device: zz, at: 1ms }]", 'failures[0].device: there is no device named "zz"'],
    [
      "a traffic flow",
      "failures: [{ device: ab, at: 1ms }]",
      'failures[0].device: "ab" is a traffic flow, which cannot crash (devices that can: hosts, switches, routers',
    ],
    [
      "a restart before its crash",
      "failures: [{ device: a, at: 5ms, restartAt: 2ms }]",
      "failures[0].restartAt: must be after the crash",
    ],
    ["a crash after the run", "failures: [{ device: a, at: 2s }]", "failures[0].at: must be before the end of the run"],
    [
      "overlapping crashes",
      "failures: [{ device: a, at: 1ms, restartAt: 10ms }, { device: a, at: 5ms }]",
      'failures[1].at: "a" is still down from failures[0], which has not restarted by then',
    ],
    [
      "a crash after a permanent one",
      "failures: [{ device: a, at: 1ms }, { device: a, at: 5ms, restartAt: 6ms }]",
      "which never restarts",
    ],
    [
      "random and fixed failures together",
      "failures: [{ device: a, mtbf: 1s, mttr: 1ms }, { device: a, at: 5ms }]",
      "already fails at random",
    ],
    ["a zero mtbf", "failures: [{ device: a, mtbf: 0s, mttr: 1ms }]", "failures[0].mtbf: must be above 0"],
    [
      "a partition that cuts nothing",
      "failures: [{ partition: p, groups: [[a], [b]], at: 1ms }]",
      "failures[0].groups: cuts no link",
    ],
    [
      "a device in two groups",
      "failures: [{ partition: p, groups: [[a, sw], [sw, b]], at: 1ms }]",
      'failures[0].groups[1][0]: "sw" is already in failures[0].groups[0]',
    ],
    ["one group", "failures: [{ partition: p, groups: [[a, sw]], at: 1ms }]", "needs at least two groups"],
    [
      "a heal before the cut",
      "failures: [{ partition: p, groups: [[a], [sw]], at: 5ms, healAt: 1ms }]",
      "healAt: must be after",
    ],
    [
      "two partitions of one name",
      "failures: [{ partition: p, groups: [[a], [sw]], at: 1ms }, { partition: p, groups: [[b], [sw]], at: 2ms }]",
      'failures[1].partition: there is already a partition named "p"',
    ],
    ["an unknown key", "failures: [{ device: a, at: 1ms, when: 2ms }]", "failures[0]"],
  ])("refuses %s, naming the path", (_what, yaml, message) => {
    expect(errorOf(BASE + yaml)).toContain(message);
  });

  it("accepts every kind of device: hosts, switches, routers, ATM switches and ATM hosts", () => {
    const s = parseScenario(`${BASE}
routers:
  - { name: r, interfaces: [{ name: lan, ip: 10.0.0.254/24 }] }
atm:
  switches: [{ name: as1, ports: 2 }]
  hosts: [{ name: ah1 }, { name: ah2, address: 10.9.0.2/24 }]
  links: [{ a: ah1, b: "as1:0" }, { a: "as1:1", b: ah2 }]
failures:
  - { device: sw, at: 1ms, restartAt: 2ms }
  - { device: r, mtbf: 100ms, mttr: 10ms }
  - { device: as1, at: 3ms }
  - { device: ah1, at: 4ms, restartAt: 5ms }
  - { device: ah2, at: 4ms }
`);
    expect(s.failures.map((f) => (f.kind === "partition" ? f.name : f.device))).toEqual([
      "sw",
      "r",
      "as1",
      "ah1",
      "ah2",
    ]);
  });

  it.each([
    [
      "a hostStack host",
      "hosts:\n  - { name: hs, hostStack: { configuration: unet } }\nfailures: [{ device: hs, at: 1ms }]",
      'failures[0].device: "hs" is a host with a hostStack, which cannot crash: its stack\'s endpoints and rings have no restart',
    ],
    [
      "an ATM host that already fails by failAt",
      'atm: { switches: [{ name: as1, ports: 1 }], hosts: [{ name: ah, failAt: 5ms }], links: [{ a: ah, b: "as1:0" }] }\nfailures: [{ device: ah, at: 1ms }]',
      'failures[0].device: "ah" already fails for good at its failAt (atm.hosts[0].failAt): give it a failAt or failures, not both',
    ],
  ])("refuses %s, saying why", (_what, yaml, message) => {
    const text = BASE.replace("hosts:\n", `hosts:\n${yaml.startsWith("hosts:") ? yaml.split("\n")[1]! + "\n" : ""}`);
    const rest = yaml.startsWith("hosts:") ? yaml.split("\n").slice(2).join("\n") : yaml;
    expect(errorOf(`${text}${rest}\n`)).toContain(message);
  });

  it.each([
    ["an unknown disk", "floppy", 'hosts[1].storage.disk: unknown disk "floppy"'],
    ["a log larger than its bound", "disk-1995, maxBytes: 2GiB", "hosts[1].storage.maxBytes"],
    ["too many records", "disk-1995, maxRecords: 2000000", "hosts[1].storage.maxRecords"],
  ])("refuses storage with %s", (_what, disk, message) => {
    expect(errorOf(BASE.replace("disk: disk-1995, maxRecords: 100", `disk: ${disk}`))).toContain(message);
  });

  it("crashes of a host, a router and a switch plus a partition: the same report at 1, 2 and 4 workers", async () => {
    // The routed campus (three subnets, a triangle of routers running distance vector) for 4 s,
    // with b2 failing at random, swC crashing for 300 ms, r2 for a second (its neighbours time
    // its routes out and go round through the third router) and r1 cut from r3 for 300 ms.
    const text = readFileSync("examples/campus.yaml", "utf8")
      .replace("duration: 10s", "duration: 4s")
      .replace(/\noutputs:[\s\S]*$/, "\n");
    const yaml = `${text}
failures:
  - { device: b2, mtbf: 1s, mttr: 100ms }
  - { device: swC, at: 1.5s, restartAt: 1.8s }
  - { device: r2, at: 2.55s, restartAt: 3.55s }
  - { partition: split, groups: [[r1], [r3]], at: 3s, healAt: 3.3s }
`;
    const one = await runScenario(parseScenario(yaml), { workers: 1 });
    expect(one.failures!.devices.map((d) => [d.device, d.restarts > 0])).toEqual([
      ["b2", true],
      ["swC", true],
      ["r2", true],
    ]);
    expect(one.failures!.devices[1]).toMatchObject({ crashes: 1, restarts: 1, downNs: 300e6 });
    expect(one.failures!.devices[2]).toMatchObject({ crashes: 1, restarts: 1, downNs: 1e9 });
    expect(one.failures!.partitions[0]!.links).toEqual(["r1-r3"]);
    // r2 forgot what it had learned; r1 timed its routes through r2 out.
    const r1 = one.routers.find((r) => r.name === "r1")!;
    expect(r1.ip.dvEvents["DV_ROUTE_TIMEOUT"]).toBeGreaterThan(0);
    expect(one.routers.find((r) => r.name === "r2")!.ip.dvEvents["CRASHED"]).toBeGreaterThan(0);
    for (const workers of [2, 4]) {
      const par = await runScenario(parseScenario(yaml), { workers, forceWorkers: true });
      expect(par.parallel?.partitions).toBeGreaterThan(1);
      expect(par.fingerprint).toBe(one.fingerprint);
      expect(comparable(par)).toEqual(comparable(one));
    }
  }, 120_000);
});
