// The failures section and host storage in scenario files: what is accepted, what it builds,
// the same report at 1 and 2 workers, and a clear error naming the path for each bad input.
import { afterAll, describe, expect, it } from "vitest";
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
  const { wallTimeMs: _w, parallel: _p, ...rest } = r;
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
    const two = await runScenario(parseScenario(BASE + FAILURES), { workers: 2 });
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
    ["a switch", "failures: [{ device: sw, at: 1ms }]", '"sw" is a switch, which cannot crash'],
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

  it.each([
    ["an unknown disk", "floppy", 'hosts[1].storage.disk: unknown disk "floppy"'],
    ["a log larger than its bound", "disk-1995, maxBytes: 2GiB", "hosts[1].storage.maxBytes"],
    ["too many records", "disk-1995, maxRecords: 2000000", "hosts[1].storage.maxRecords"],
  ])("refuses storage with %s", (_what, disk, message) => {
    expect(errorOf(BASE.replace("disk: disk-1995, maxRecords: 100", `disk: ${disk}`))).toContain(message);
  });
});
