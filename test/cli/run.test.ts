// `netloom run` as a user runs it: a child process, stdout/stderr and exit codes.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CHECK_ALL_PREFS, tempDir, tsharkFields } from "../support/tshark.js";
import { WARM_POOL_IDLE_MS } from "../../src/run/partition-pool.js";

function netloom(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return netloomWithin(120_000, ...args);
}

function netloomWithin(
  timeoutMs: number,
  ...args: string[]
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
    timeout: timeoutMs,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("netloom", () => {
  it("--version prints the package version and exits 0", () => {
    const r = netloomWithin(60_000, "--version");
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
  });
});

describe("netloom run", () => {
  it("runs star16 and prints one JSON document with the documented keys", () => {
    const r = netloom("run", "examples/star16.yaml", "--duration", "20ms", "--json");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    for (const key of ["simTimeNs", "wallTimeMs", "events", "fingerprint", "flows", "links"])
      expect(doc).toHaveProperty(key);
    expect(doc.simTimeNs).toBe(20_000_000);
    expect(doc.flows).toHaveLength(16);
    const f = doc.flows[0];
    for (const key of [
      "id",
      "src",
      "dst",
      "sentPackets",
      "receivedPackets",
      "sentBytes",
      "receivedBytes",
      "throughputBps",
    ]) {
      expect(f).toHaveProperty(key);
    }
    expect(Object.keys(f.latencyNs).sort()).toEqual(["max", "mean", "min", "p50", "p90", "p95", "p99", "samples"]);
    expect(Object.keys(f.jitterNs).sort()).toEqual(["mean", "samples"]);
    expect(f.src).toBe("h0");
    expect(f.dst).toBe("h1");
    // 100 Mbit/s of 1000-byte payloads: 12,500/s, so 250 in 20 ms.
    expect(f.sentPackets).toBe(250);
    expect(f.receivedPackets).toBeGreaterThanOrEqual(249);
    expect(doc.links).toHaveLength(16);
    expect(doc.links[0]).toHaveProperty("id");
    expect(doc.links[0].directions[0]).toHaveProperty("drops");
    // Same scenario and seed: same fingerprint; another seed changes nothing here but the
    // random streams, which this loss-free scenario does not draw from, so compare a rerun.
    const again = JSON.parse(netloom("run", "examples/star16.yaml", "--duration", "20ms", "--json").stdout);
    expect(again.fingerprint).toBe(doc.fingerprint);
  });

  it("prints a human summary by default", () => {
    const r = netloom("run", "examples/star16.yaml", "--duration", "5ms");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^star16: 5 ms simulated in \d+ ms wall time/);
    expect(r.stdout).toMatch(/flow0 +h0 -> h1: sent 63/);
    expect(r.stderr).toBe(""); // no progress bar when CI is set
  });

  it("writes pcaps that tshark dissects with every checksum good, and CSV files", () => {
    const tmp = tempDir("netloom-cli-");
    try {
      const r = netloom(
        "run",
        "examples/star16.yaml",
        "--duration",
        "2ms",
        "--pcap",
        tmp.path("pcap"),
        "--csv",
        tmp.path("csv"),
        "--quiet",
      );
      expect(r.status).toBe(0);
      const files = readdirSync(tmp.path("pcap")).filter((f) => f.endsWith(".pcap"));
      expect(files.length).toBeGreaterThanOrEqual(32); // 16 hosts + 16 switch ports
      for (const file of ["h0-0.pcap", "sw-3.pcap"]) {
        const rows = tsharkFields(
          join(tmp.path("pcap"), file),
          ["frame.protocols", "eth.fcs.status", "ip.checksum.status", "udp.checksum.status", "_ws.malformed"],
          {
            prefs: CHECK_ALL_PREFS,
          },
        );
        expect(rows.length).toBe(68);
        for (const row of rows) {
          expect(row["_ws.malformed"] ?? "").toBe("");
          // Wireshark's checksum status: 0 Bad, 1 Good, 2 Unverified (names in newer versions).
          const good = (v: string | undefined): boolean => v === "1" || v === "Good";
          expect(good(row["eth.fcs.status"])).toBe(true);
          if (row["frame.protocols"]!.includes("udp")) {
            expect(good(row["ip.checksum.status"])).toBe(true);
            expect(good(row["udp.checksum.status"])).toBe(true);
          }
        }
      }
      const flowsCsv = readFileSync(tmp.path("csv/flows.csv"), "utf8").split("\n");
      expect(flowsCsv[0]).toMatch(/^id,src,dst,/);
      expect(flowsCsv.filter((l) => l.length > 0)).toHaveLength(17);
      expect(existsSync(tmp.path("csv/links.csv"))).toBe(true);
    } finally {
      tmp.remove();
    }
  });

  it("refuses a bad scenario with exit code 2 and the path of every problem", () => {
    const tmp = tempDir("netloom-cli-");
    try {
      const file = tmp.path("bad.yaml");
      writeFileSync(
        file,
        [
          "name: bad",
          "duration: 1s",
          "hosts:",
          "  - { name: a, ip: 10.0.0.1/24 }",
          "links:",
          '  - { a: a, b: "zz:1", rate: 10 Gbs }',
          "",
        ].join("\n"),
      );
      const r = netloom("run", file);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/links\[0\]\.b: there is no device named "zz"/);
      expect(r.stderr).toMatch(/links\[0\]\.rate: "10 Gbs" is not a bit rate/);
      expect(netloom("run", tmp.path("missing.yaml")).status).toBe(2);
      expect(netloom("run").status).toBe(2);
    } finally {
      tmp.remove();
    }
  });

  it("runs the routed campus: flows cross the routers", () => {
    const r = netloom("run", "examples/campus.yaml", "--duration", "1500ms", "--json");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.flows).toHaveLength(3);
    // Traffic starts at 1 s; distance-vector routes are in place by then.
    expect(doc.flows.map((f: { sentPackets: number }) => f.sentPackets)).toEqual([1221, 1242, 50]);
    for (const f of doc.flows) expect(f.receivedPackets).toBeGreaterThanOrEqual(f.sentPackets * 0.95);
  });
});

describe("netloom run --workers and netloom sweep", () => {
  it("gives the same JSON with 2 workers as with 1, plus the parallel section", () => {
    const one = JSON.parse(netloom("run", "examples/star16.yaml", "--duration", "5ms", "--json").stdout);
    // The run leaves its threads as a warm pool with a WARM_POOL_IDLE_MS timer; neither may keep
    // the process alive, so it must exit well before that timer would fire (else the spawn is
    // killed at the timeout and status is null).
    const r = netloomWithin(
      WARM_POOL_IDLE_MS - 3000,
      "run",
      "examples/star16.yaml",
      "--duration",
      "5ms",
      "--json",
      "--workers",
      "2",
      "--force-workers",
    );
    expect(r.status).toBe(0);
    const two = JSON.parse(r.stdout);
    expect(two.parallel.partitions).toBe(2);
    expect(two.parallel.windows).toBe(196);
    expect(two.partitioning).toMatchObject({ workers: 2, partitions: 2, ran: "partitioned" });
    expect(two.partitioning.reason).toMatch(/^forced \(--force-workers\): /);
    for (const doc of [one, two]) {
      delete doc.wallTimeMs;
      delete doc.parallel;
      delete doc.partitioning;
    }
    expect(two).toEqual(one);
  });

  it("runs --workers 2 under node flags a worker may not be given (V8 options apply to every thread)", () => {
    const r = spawnSync(
      process.execPath,
      [
        "--max-old-space-size=4096",
        "--stack-trace-limit=20",
        "--import",
        "tsx",
        "src/cli/main.ts",
        "run",
        "examples/star16.yaml",
        "--duration",
        "2ms",
        "--json",
        "--workers",
        "2",
        "--force-workers",
      ],
      { encoding: "utf8", env: { ...process.env, CI: "true" }, timeout: 120_000 },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).parallel.partitions).toBe(2);
  });

  it("refuses --workers 0 with exit code 2", () => {
    const r = netloom("run", "examples/star16.yaml", "--workers", "0", "--duration", "1ms");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/workers: 0 is not a worker count/);
  });

  it("refuses --duration 0s with exit code 2", () => {
    const r = netloom("run", "examples/star16.yaml", "--duration", "0s", "--quiet");
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('netloom: --duration: "0s" is no time to run\n');
  });

  it("a --duration that ends before some traffic starts runs, and that traffic sends nothing", () => {
    // campus.yaml's flows start at 50 ms and later.
    const r = netloom("run", "examples/campus.yaml", "--duration", "20ms", "--json");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.simTimeNs).toBe(20_000_000);
    expect(report.flows.map((f: { sentPackets: number }) => f.sentPackets)).toEqual([0, 0, 0]);
  });

  it("sweeps a scenario into one JSON and one CSV table", () => {
    const tmp = tempDir("nl-cli-sweep-");
    try {
      const r = netloom("sweep", "examples/sweep-loss.yaml", "--out", tmp.dir, "--quiet");
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/sweep-loss: 18 points in \d+ ms wall time, 0 failed/);
      const table = JSON.parse(readFileSync(tmp.path("sweep-loss-sweep.json"), "utf8"));
      expect(table.rows).toHaveLength(18);
      expect(readFileSync(tmp.path("sweep-loss-sweep.csv"), "utf8").trimEnd().split("\r\n")).toHaveLength(19);
    } finally {
      tmp.remove();
    }
  });
});
