// Parameter sweeps (issue 5): every point runs as its own task, rows come back in point order,
// a failed point is a row with its error and the others still run, and a point's result is
// the same as running that point's scenario directly.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSweep, scenarioAtPoint } from "../../src/scenario/scenario.js";
import { runScenario } from "../../src/run/run-scenario.js";
import { runSweep, sweepCsv } from "../../src/run/sweep.js";

// ports x port: (4, 0), (2, 0) and (4, 3) are valid, so the loader accepts the file; the
// combination (2, 3) names port 3 of a 2-port switch and can only fail when its point runs.
const SWEEP = `
name: ports
duration: 20ms
parameters:
  ports: [4, 2]
  port: [0, 3]
hosts:
  - { name: a, ip: 10.0.0.1/24 }
  - { name: b, ip: 10.0.0.2/24 }
switches:
  - { name: s, ports: "\${ports}" }
links:
  - { a: a, b: "s:1", rate: 100Mbps, delay: 5us }
  - { a: b, b: "s:\${port}", rate: 100Mbps, delay: 5us }
traffic:
  - { name: ab, type: cbr, from: a, to: b, size: 200, rate: 1Mbps }
`;

describe("netloom sweep", () => {
  it("runs every point, in point order, and reports a failed point without stopping the others", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nl-sweep-"));
    try {
      const file = join(dir, "ports.yaml");
      writeFileSync(file, SWEEP);
      const sweep = loadSweep(file);
      expect(sweep.points).toEqual([
        { ports: 4, port: 0 },
        { ports: 4, port: 3 },
        { ports: 2, port: 0 },
        { ports: 2, port: 3 },
      ]);
      const seen: number[] = [];
      const result = await runSweep(sweep, { threads: 2, onPoint: (_r, done) => seen.push(done) });
      expect(seen).toEqual([1, 2, 3, 4]);
      expect(result.rows.map((r) => r.index)).toEqual([0, 1, 2, 3]);
      expect(result.rows.map((r) => r.status)).toEqual(["ok", "ok", "ok", "error"]);
      expect(result.rows[3]!.error!.message).toMatch(/links\[1\]\.b.*port 3/);
      expect(result.rows.slice(0, 3).map((r) => r.receivedPackets)).toEqual([13, 13, 13]);

      // A point's row is what running that point's scenario directly gives.
      const direct = await runScenario(scenarioAtPoint(sweep.document, sweep.points[1]!, file));
      expect(result.rows[1]!.fingerprint).toBe(direct.fingerprint);
      expect(result.rows[1]!.flows).toEqual(direct.flows);

      const csv = sweepCsv(result).trimEnd().split("\r\n");
      expect(csv).toHaveLength(5);
      expect(csv[0]).toMatch(/^point,param:ports,param:port,status,error,seed,/);
      expect(csv[4]).toMatch(/^3,2,3,error,/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("the bundled example sweeps size x loss x seed", () => {
    const sweep = loadSweep("examples/sweep-loss.yaml");
    expect(sweep.names).toEqual(["size", "loss", "seed"]);
    expect(sweep.points).toHaveLength(18);
    expect(readFileSync("examples/sweep-loss.yaml", "utf8")).toContain("netloom sweep");
  });
});
