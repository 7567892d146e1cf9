// Partitioned runs (issue 5): every example gives the same report, fingerprint and pcap bytes
// with 1, 2 and 4 workers; failures end the run with the partition named; bad plans are refused.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadScenario, parseScenario, type Scenario } from "../../src/scenario/scenario.js";
import { runScenario } from "../../src/run/run-scenario.js";
import type { RunReport } from "../../src/run/run-report.js";
import { ErrorCode, NetloomError } from "../../src/base/errors.js";
import { planPartitions } from "../../src/run/partition.js";
import { closePartitionPool } from "../../src/run/partition-pool.js";
import { prewarmPartitionWorkers } from "../../src/run/parallel-run.js";

function shortened(file: string, durationNs: number): Scenario {
  const s = loadScenario(file);
  s.durationNs = durationNs;
  for (const t of s.traffic) t.stopNs = Math.min(t.stopNs ?? durationNs, durationNs);
  return s;
}

/** The report without what legitimately differs between runs (wall time, the parallel and partitioning sections). */
function comparable(r: RunReport): unknown {
  const { wallTimeMs: _w, parallel: _p, partitioning: _q, ...rest } = r;
  return rest;
}

// Durations keep CI short while covering each example's point: star16's ARP and steady state,
// campus's link failure at 2 s and reconvergence, the WAN's fragments and bursty loss, the
// multicast groups.
const EXAMPLES: [string, number][] = [
  ["examples/star16.yaml", 20e6],
  ["examples/campus.yaml", 2.2e9],
  ["examples/lossy-wan.yaml", 2e9],
  ["examples/multicast.yaml", 1e9],
  // Transport flows: the TCP sender and receiver, the RPC client and server in different
  // partitions; the report's transport sections merge from both.
  ["examples/tcp-chain.yaml", 150e6],
  ["examples/tcp-chain-lossy.yaml", 2e9],
  ["examples/rpc.yaml", 1e9],
  // ATM: the ATM network (switches, hosts, router r) stays in one partition, e1 in the other.
  ["examples/atm-mixed.yaml", 300e6],
  // Host stacks: each message pair (its stacks and workload) in one partition, the switch in
  // another with 4 workers; the full run, both workloads complete.
  ["examples/host-stacks.yaml", 300e6],
  // RPC over UDP with server crashes: clients, servers and the name service in different
  // partitions; the rpcUdp section merges from each host's owner.
  ["examples/crash-rpc.yaml", 3e9],
  // Workloads: the primary-backup service's clients and servers and the stream-breaks ends in
  // different partitions (the trunk the partition cuts stays inside one); the whole run.
  ["examples/primary-backup.yaml", 5e9],
];

// Examples made only of the ATM section: ATM links are never cut (partition.ts), so every
// worker count runs one partition, and the report is the single-threaded one.
const ONE_PARTITION: string[] = ["examples/atm-star.yaml", "examples/atm-svc.yaml"];

describe("partitioned runs give the single-threaded results", () => {
  for (const file of ONE_PARTITION) {
    it(`${file} with 1, 2 and 4 workers (one partition: the ATM network is never cut)`, async () => {
      const full = (): Scenario => loadScenario(file);
      const one = await runScenario(full(), { workers: 1 });
      expect(one.parallel).toBeUndefined();
      for (const workers of [2, 4]) {
        const par = await runScenario(full(), { workers });
        expect(par.parallel).toBeUndefined();
        expect(comparable(par)).toEqual(comparable(one));
      }
      expect(planPartitions(full(), 4).count).toBe(1);
    }, 120_000);
  }

  for (const [file, duration] of EXAMPLES) {
    it(`${file} with 1, 2 and 4 workers`, async () => {
      const one = await runScenario(shortened(file, duration), { workers: 1 });
      expect(one.parallel).toBeUndefined();
      // Something got through: a flow, a primary-backup service's calls or an rpc-udp workload's.
      const served =
        (one.primaryBackup ?? []).some((w) => w.summary.ok > 0) || (one.rpcUdp ?? []).some((w) => w.outcomes.ok > 0);
      expect(one.flows.some((f) => f.receivedPackets > 0) || served).toBe(true);
      for (const workers of [2, 4]) {
        const par = await runScenario(shortened(file, duration), { workers, forceWorkers: true });
        expect(par.parallel?.partitions).toBeGreaterThan(1);
        expect(par.parallel!.crossPartitionFrames).toBeGreaterThan(0);
        expect(comparable(par)).toEqual(comparable(one));
      }
    }, 120_000);
  }

  it("writes byte-identical pcap files", async () => {
    const dirs = [mkdtempSync(join(tmpdir(), "nl-pcap1-")), mkdtempSync(join(tmpdir(), "nl-pcap2-"))];
    try {
      await runScenario(shortened("examples/star16.yaml", 5e6), { workers: 1, pcapDir: dirs[0]! });
      await runScenario(shortened("examples/star16.yaml", 5e6), { workers: 2, forceWorkers: true, pcapDir: dirs[1]! });
      const names = readdirSync(dirs[0]!).sort();
      expect(names.length).toBe(32); // 16 host ports + 16 switch ports
      expect(readdirSync(dirs[1]!).sort()).toEqual(names);
      for (const n of names) {
        expect(readFileSync(join(dirs[1]!, n)).equals(readFileSync(join(dirs[0]!, n))), n).toBe(true);
      }
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  }, 60_000);

  it("same seed, same result; another seed, another trajectory", async () => {
    const a = await runScenario(shortened("examples/lossy-wan.yaml", 1e9), { workers: 2, forceWorkers: true });
    const b = await runScenario(shortened("examples/lossy-wan.yaml", 1e9), { workers: 2, forceWorkers: true });
    const s = shortened("examples/lossy-wan.yaml", 1e9);
    s.seed += 1;
    const c = await runScenario(s, { workers: 2, forceWorkers: true });
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(c.fingerprint).not.toBe(a.fingerprint);
  }, 60_000);
});

describe("ATM networks stay whole", () => {
  it("an all-ATM scenario runs on one thread whatever the worker count, with the same report", async () => {
    const one = await runScenario(shortened("examples/atm-star.yaml", 50e6), { workers: 1 });
    const two = await runScenario(shortened("examples/atm-star.yaml", 50e6), { workers: 2, forceWorkers: true });
    expect(two.parallel).toBeUndefined();
    expect(comparable(two)).toEqual(comparable(one));
    expect(one.atm!.switches["sw"]!.switchedCells).toBe(23883);
  }, 60_000);

  it("the plan never puts ATM devices, or a router with an ATM interface, apart", () => {
    const s = loadScenario("examples/atm-mixed.yaml");
    const plan = planPartitions(s, 2);
    const atm = ["r", "s1", "s2", "s3", "a1", "cam1", "cam2", "display"];
    expect(new Set(atm.map((n) => plan.owner[n]))).toEqual(new Set([plan.owner["r"]]));
    expect(plan.owner["e1"]).not.toBe(plan.owner["r"]);
    s.partitions = [["e1", "a1"], ["r"]];
    expect(() => planPartitions(s, 2)).toThrow(
      /the ATM network \(.*\) is split over partitions 0 and 1; ATM links cannot be cut/,
    );
  });
});

describe("failures end the run with the partition named", () => {
  it("a partition that throws", async () => {
    const run = runScenario(shortened("examples/star16.yaml", 10e6), {
      workers: 2,
      forceWorkers: true,
      injectFailure: { partition: 1, windows: 5, kind: "throw" },
    });
    await expect(run).rejects.toThrow(
      /partition 1 \(h1, h3, h5, \.\.\. \(8 devices\)\) failed: injected failure after 5 windows/,
    );
    await expect(run).rejects.toMatchObject({ code: ErrorCode.PARTITION_FAILED });
  }, 60_000);

  it("a worker thread that dies", async () => {
    const run = runScenario(shortened("examples/star16.yaml", 10e6), {
      workers: 2,
      forceWorkers: true,
      injectFailure: { partition: 0, windows: 3, kind: "exit" },
    });
    await expect(run).rejects.toThrow(/partition 0 \(h0, h2, h4, .*\) failed/);
  }, 60_000);
});

describe("the worker pool stays warm between runs", () => {
  const scenario = (): Scenario => shortened("examples/star16.yaml", 10e6);

  it("a second run of the same width reuses the threads and gives the same report", async () => {
    await closePartitionPool();
    const one = await runScenario(scenario(), { workers: 1 });
    const first = await runScenario(scenario(), { workers: 2, forceWorkers: true });
    const second = await runScenario(scenario(), { workers: 2, forceWorkers: true });
    expect(first.parallel!.warmThreads).toBe(false);
    expect(second.parallel!.warmThreads).toBe(true);
    expect(comparable(first)).toEqual(comparable(one));
    expect(comparable(second)).toEqual(comparable(one));
    const p = second.parallel!.perPartition;
    expect(p).toHaveLength(2);
    expect(p[0]!.events + p[1]!.events).toBe(one.events);
    for (const q of p) expect(q.barrierWaitMs).toBeLessThanOrEqual(q.runMs);
    // Another width gets threads of its own; the 2-thread pool is replaced, not shared.
    const four = await runScenario(scenario(), { workers: 4, forceWorkers: true });
    expect(four.parallel!.warmThreads).toBe(false);
    expect(comparable(four)).toEqual(comparable(one));
    expect((await runScenario(scenario(), { workers: 2, forceWorkers: true })).parallel!.warmThreads).toBe(false);
  }, 60_000);

  it("prewarmed threads serve the next run, and count as warm only once they have run one", async () => {
    await closePartitionPool();
    const one = await runScenario(scenario(), { workers: 1 });
    prewarmPartitionWorkers(2);
    prewarmPartitionWorkers(2); // the same width again: keeps the pool it started
    const first = await runScenario(scenario(), { workers: 2, forceWorkers: true });
    const second = await runScenario(scenario(), { workers: 2, forceWorkers: true });
    expect(first.parallel!.warmThreads).toBe(false);
    expect(second.parallel!.warmThreads).toBe(true);
    expect(comparable(first)).toEqual(comparable(one));
    // Another width replaces the warm pool; a run of the old width then starts afresh.
    prewarmPartitionWorkers(4);
    const afterSwap = await runScenario(scenario(), { workers: 2, forceWorkers: true });
    expect(afterSwap.parallel!.warmThreads).toBe(false);
    expect(comparable(afterSwap)).toEqual(comparable(one));
    await closePartitionPool();
  }, 60_000);

  it("runs at the same time never share threads (their barriers would deadlock)", async () => {
    const one = await runScenario(scenario(), { workers: 1 });
    await runScenario(scenario(), { workers: 2, forceWorkers: true }); // leaves a warm pool
    const both = await Promise.all([
      runScenario(scenario(), { workers: 2, forceWorkers: true }),
      runScenario(scenario(), { workers: 2, forceWorkers: true }),
    ]);
    expect(both.map((r) => r.parallel!.warmThreads).sort()).toEqual([false, true]);
    for (const r of both) expect(comparable(r)).toEqual(comparable(one));
  }, 60_000);

  it("threads that saw a failure are not reused, and the next run is right", async () => {
    const one = await runScenario(scenario(), { workers: 1 });
    await runScenario(scenario(), { workers: 2, forceWorkers: true });
    for (const kind of ["throw", "exit"] as const) {
      await expect(
        runScenario(scenario(), { workers: 2, forceWorkers: true, injectFailure: { partition: 1, windows: 2, kind } }),
      ).rejects.toMatchObject({
        code: ErrorCode.PARTITION_FAILED,
      });
      const next = await runScenario(scenario(), { workers: 2, forceWorkers: true });
      expect(next.parallel!.warmThreads).toBe(false);
      expect(comparable(next)).toEqual(comparable(one));
    }
    await closePartitionPool();
    expect((await runScenario(scenario(), { workers: 2, forceWorkers: true })).parallel!.warmThreads).toBe(false);
    await closePartitionPool();
  }, 60_000);
});

const TWO_HOSTS = (delay: string, extra = ""): string => `
name: pair
duration: 10ms
hosts:
  - { name: a, ip: 10.0.0.1/24 }
  - { name: b, ip: 10.0.0.2/24 }
links:
  - { name: ab, a: a, b: b, rate: 1Gbps, delay: ${delay}${extra} }
traffic:
  - { name: f, type: cbr, from: a, to: b, size: 500, rate: 10Mbps }
`;

describe("partition plans", () => {
  it("cut the highest-latency links and balance the stars (the benchmark's shape)", () => {
    const s = loadScenario("examples/star16.yaml");
    const plan = planPartitions(s, 2);
    expect(plan.count).toBe(2);
    expect(plan.lookaheadNs).toBe(5000);
    expect(plan.members.flat().sort()).toEqual([...s.hosts.map((h) => h.name), "sw"].sort());
  });

  it("never cut a link that goes down and up", () => {
    const s = loadScenario("examples/campus.yaml");
    for (const n of [2, 3, 4]) expect(planPartitions(s, n).cut.map((c) => c.name)).not.toContain("r1-r2");
  });

  it("leave a zero-delay link whole, so two hosts on one run single-threaded", async () => {
    const s = parseScenario(TWO_HOSTS("0"));
    expect(planPartitions(s, 2).count).toBe(1);
    const r = await runScenario(s, { workers: 2, forceWorkers: true });
    expect(r.parallel).toBeUndefined();
    expect(r.flows[0]!.receivedPackets).toBe(25);
  });

  it("refuse manual partitions that cut a link with a schedule", () => {
    const s = parseScenario(TWO_HOSTS("10us", ", schedule: [{ at: 5ms, state: down }]") + "partitions: [[a], [b]]\n");
    expect(() => planPartitions(s, 2)).toThrow(
      /link ab goes down and up \(its schedule or a partition in failures\), so it cannot join partitions 0 and 1/,
    );
  });

  it("refuse manual partitions that cut a link a network partition takes down", () => {
    const failures = "failures: [{ partition: p, groups: [[a], [b]], at: 5ms }]\n";
    const s = parseScenario(TWO_HOSTS("10us") + failures + "partitions: [[a], [b]]\n");
    expect(() => planPartitions(s, 2)).toThrow(/link ab goes down and up \(its schedule or a partition in failures\)/);
    // Automatic plans keep its ends together.
    expect(planPartitions(parseScenario(TWO_HOSTS("10us") + failures), 2).count).toBe(1);
  });

  it("refuse manual partitions that cut a zero-delay link (scenario check)", () => {
    expect(() => parseScenario(TWO_HOSTS("0") + "partitions: [[a], [b]]\n")).toThrow(/link ab has no delay/);
  });

  it("use manual partitions as given, and only with their worker count", async () => {
    const s = parseScenario(TWO_HOSTS("10us") + "partitions: [[b], [a]]\n");
    const plan = planPartitions(s, 2);
    expect(plan.automatic).toBe(false);
    expect(plan.owner).toEqual({ a: 1, b: 0 });
    expect(() => planPartitions(s, 3)).toThrow(/lists 2 partitions; run it with 2 workers/);
    const one = await runScenario(s, { workers: 1 });
    const two = await runScenario(s, { workers: 2, forceWorkers: true });
    expect(comparable(two)).toEqual(comparable(one));
  }, 60_000);

  it("reject a bad worker count", () => {
    const s = parseScenario(TWO_HOSTS("10us"));
    for (const bad of [0, -1, 1.5, 65]) {
      expect(() => planPartitions(s, bad)).toThrow(NetloomError);
    }
  });
});
