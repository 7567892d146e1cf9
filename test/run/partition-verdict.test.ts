// Whether partitioning pays (the planner's cost model), and what a run asked for more workers
// than pay does: one thread, one line saying why, the report saying which.
import { describe, expect, it } from "vitest";
import { fourStarsYaml } from "../../bench/parallel.bench.js";
import { partitioningVerdict, planPartitions } from "../../src/run/partition.js";
import { runScenario } from "../../src/run/run-scenario.js";
import { loadScenario, parseScenario } from "../../src/scenario/scenario.js";
import { runMain } from "../support/cli.js";

describe("partitioningVerdict", () => {
  it("star16 at 2 workers: 5 us links make too many windows for the work; one thread wins", () => {
    const plan = planPartitions(loadScenario("examples/star16.yaml"), 2);
    expect(plan.count).toBe(2);
    const v = partitioningVerdict(plan);
    expect(v.pays).toBe(false);
    expect(v.reason).toMatch(
      /^the shortest cut link \(5 us\) makes 200,000 windows, whose synchronisation costs more than 2 threads save; estimated [\d.]+x slower than one thread$/,
    );
    expect(plan.estimate.partitionedSeconds).toBeGreaterThan(plan.estimate.oneThreadSeconds);
  });

  it("four busy stars joined by 100 us trunks (the parallel bench): partitioning pays", () => {
    const plan = planPartitions(parseScenario(fourStarsYaml(1000)), 2);
    const v = partitioningVerdict(plan);
    expect(v.pays).toBe(true);
    expect(plan.lookaheadNs).toBe(100_000);
    expect(v.reason).toMatch(/^estimated [\d.]+x faster than one thread$/);
  });

  it("one partition with nearly all the load does not pay, and says so", () => {
    // All the traffic inside one star; the other star is idle. Manual partitions, one per star.
    const s = parseScenario(`
duration: 1s
hosts:
  - { name: a0, ip: 10.0.0.1/24 }
  - { name: a1, ip: 10.0.0.2/24 }
  - { name: b0, ip: 10.0.0.3/24 }
switches:
  - { name: sa, ports: 3 }
  - { name: sb, ports: 2 }
links:
  - { a: a0, b: "sa:0", rate: 10Gbps, delay: 1us }
  - { a: a1, b: "sa:1", rate: 10Gbps, delay: 1us }
  - { a: "sa:2", b: "sb:1", rate: 1Gbps, delay: 10ms }
  - { a: b0, b: "sb:0", rate: 1Gbps, delay: 1us }
traffic:
  - { name: f, type: cbr, from: a0, to: a1, size: 100, rate: 2Gbps }
  - { name: g, type: cbr, from: a1, to: a0, size: 100, rate: 2Gbps }
partitions: [[a0, a1, sa], [b0, sb]]
`);
    const plan = planPartitions(s, 2);
    const v = partitioningVerdict(plan);
    expect(v.pays).toBe(false);
    expect(v.reason).toMatch(/^one partition carries 100% of the load; estimated [\d.]+x slower than one thread$/);
  });
});

describe("a run asked for workers that do not pay", () => {
  it("runs on one thread, says why in one line, and the report's partitioning section says which", async () => {
    const notices: string[] = [];
    const s = loadScenario("examples/star16.yaml");
    s.durationNs = 2_000_000;
    const r = await runScenario(s, { workers: 2, onNotice: (m) => notices.push(m) });
    expect(r.parallel).toBeUndefined();
    expect(r.partitioning).toMatchObject({ workers: 2, partitions: 1, ran: "one thread" });
    expect(r.partitioning!.estimatedSpeedup).toBeLessThan(1);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      /^--workers 2: the shortest cut link \(5 us\) makes .* windows, .*; running on one thread \(--force-workers to partition anyway\)$/,
    );
  });

  it("netloom run says it on stderr and in the summary", async () => {
    const r = await runMain(["run", "examples/star16.yaml", "--duration", "2ms", "--workers", "2"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(
      /^netloom: --workers 2: the shortest cut link \(5 us\) .*; running on one thread \(--force-workers to partition anyway\)\n$/,
    );
    expect(r.stdout).toMatch(/\none thread: the shortest cut link \(5 us\) makes /);
  });
});
