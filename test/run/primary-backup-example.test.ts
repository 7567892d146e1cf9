// examples/primary-backup.yaml as a user runs it: the split-brain report and the stream breaks
// it promises (the figures the README quotes), a capture that dissects clean in tshark, the
// CLI's summary lines, and a bad workload refused with exit code 2.
import { spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadScenario } from "../../src/scenario/scenario.js";
import { runScenario } from "../../src/run/run-scenario.js";
import { CHECK_ALL_PREFS, tempDir, tsharkFields } from "../support/tshark.js";

const FILE = "examples/primary-backup.yaml";

function netloom(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("examples/primary-backup.yaml", () => {
  it("reports the split (who saw whom, from when to when, what each side accepted) and the stream breaks", async () => {
    const tmp = tempDir();
    try {
      const r = await runScenario(loadScenario(FILE), { pcapDir: tmp.dir });
      const pb = r.primaryBackup![0]!;
      expect(pb.summary).toEqual({
        calls: 986,
        ok: 986,
        failed: 0,
        lost: 0,
        failovers: 1,
        takeovers: 1,
        stepDowns: 1,
        splits: 1,
        splitNs: 1_540_948_160,
        overlapNs: 1_560_000_000,
      });
      const split = pb.splitBrain.splits[0]!;
      expect([split.fromNs, split.toNs, split.ongoing]).toEqual([1_060_136_960, 2_601_085_120, false]);
      expect(split.views.map((v) => [v.client, v.server])).toEqual([
        ["c1", "b"],
        ["c2", "p"],
      ]);
      expect(split.sides).toEqual([
        {
          server: "p",
          epoch: 1,
          clients: ["c2"],
          accepted: 154,
          acceptedByClient: { c2: 154 },
          steppedDownAtNs: 2_601_085_120,
          discarded: 154,
        },
        {
          server: "b",
          epoch: 2,
          clients: ["c1"],
          accepted: 152,
          acceptedByClient: { c1: 152 },
          steppedDownAtNs: null,
          discarded: 0,
        },
      ]);
      // After the heal: one primary (b), one state on both servers.
      const [p, b] = pb.servers;
      expect([p!.role, b!.role]).toEqual(["backup", "primary"]);
      expect(p!.digest).toBe(b!.digest);
      const sb = r.streamBreaks![0]!;
      expect([sb.broken, sb.intact, sb.firstBreakNs, sb.lastBreakNs, sb.spreadNs]).toEqual([
        4, 4, 4_020_000_000, 4_170_000_000, 150_000_000,
      ]);
      expect(sb.streams.filter((s) => s.brokeAtNs !== null).map((s) => s.stream)).toEqual([3, 4, 5, 6]);
      // p never learns: its ends of the broken streams are half-open.
      for (const s of sb.streams) expect(s.to.state).toBe("ESTABLISHED");

      // Every capture dissects clean: the service's datagrams as UDP, the streams as TCP.
      const files = readdirSync(tmp.dir).sort();
      expect(files.length).toBe(10);
      let udp = 0;
      let tcp = 0;
      for (const f of files) {
        for (const row of tsharkFields(
          tmp.path(f),
          ["_ws.malformed", "eth.fcs.status", "ip.checksum.status", "udp.checksum.status", "tcp.checksum.status"],
          { prefs: { ...CHECK_ALL_PREFS, "tcp.check_checksum": "TRUE" } },
        )) {
          expect(row["_ws.malformed"]).toBe("");
          expect(row["eth.fcs.status"]).toBe("1");
          if (row["udp.checksum.status"] !== "") {
            udp++;
            expect(row["udp.checksum.status"]).toBe("1");
          }
          if (row["tcp.checksum.status"] !== "") {
            tcp++;
            expect(row["tcp.checksum.status"]).toBe("1");
          }
        }
      }
      expect(udp).toBeGreaterThan(5000);
      expect(tcp).toBeGreaterThan(100);
    } finally {
      tmp.remove();
    }
  }, 120_000);

  it("the CLI prints the split and the breaks; a bad workload exits 2 naming the path", () => {
    const r = netloom("run", FILE);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      "primary-backup svc: calls 986 (ok 986, failed 0), failovers 1, takeovers 1, step-downs 1, splits 1 (1.541 s)",
    );
    expect(r.stdout).toContain(
      "  split 1.060 s to 2.601 s: c2 -> p (epoch 1, 154 accepted, stepped down at 2.601 s: 154 discarded); c1 -> b (epoch 2, 152 accepted)",
    );
    expect(r.stdout).toContain(
      "stream-breaks streams c1 -> p: 4 of 8 streams broke, first at 4.020 s, last at 4.170 s, spread 150.0 ms",
    );
    const tmp = tempDir("netloom-cli-");
    try {
      const bad = tmp.path("bad.yaml");
      writeFileSync(
        bad,
        [
          "duration: 1s",
          "hosts:",
          "  - { name: a, ip: 10.0.0.1/24 }",
          "workloads:",
          "  - { name: svc, type: primary-backup, servers: [a, zz], clients: [a], takeover: always }",
          "",
        ].join("\n"),
      );
      const e = netloom("run", bad);
      expect(e.status).toBe(2);
      expect(e.stderr).toMatch(/workloads\[0\]\.servers\[1\]: there is no host named "zz"/);
      expect(e.stderr).toMatch(
        /workloads\[0\]\.takeover: "always" is not one of "both", "heartbeat", "request", "never"/,
      );
    } finally {
      tmp.remove();
    }
  }, 240_000);
});
