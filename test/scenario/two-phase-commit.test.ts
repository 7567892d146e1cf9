// The two-phase-commit workload in scenario files: normalisation and defaults, every option
// refused with its path when it cannot act, the example's pinned trajectory and figures, the
// same report at 1 and 2 workers, a clean capture in tshark, and a broken coordinator failing
// the run.
import { afterAll, describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, NetloomError } from "../../src/base/errors.js";
import { loadScenario, parseScenario, ScenarioError } from "../../src/scenario/scenario.js";
import { runScenario } from "../../src/run/run-scenario.js";
import { closePartitionPool } from "../../src/run/partition-pool.js";
import { workloadLines } from "../../src/cli/workload-summary.js";
import { EXIT_FAILED, exitCodeOf } from "../../src/cli/output.js";
import type { RunReport } from "../../src/run/run-report.js";
import { CHECK_ALL_PREFS, requireTshark, tempDir, tsharkFields } from "../support/tshark.js";

const BASE = `
name: tpc
seed: 5
duration: 200ms
hosts:
  - { name: c, ip: 10.0.0.1/24 }
  - { name: p0, ip: 10.0.0.2/24, storage: { disk: disk-1995 } }
  - { name: p1, ip: 10.0.0.3/24 }
  - { name: p2, ip: 10.0.0.4/24 }
  - { name: h, mac: "02:00:00:00:00:99", hostStack: { configuration: unet } }
switches:
  - { name: sw, ports: 5 }
links:
  - { a: c, b: "sw:0", rate: 100Mbps, delay: 50us }
  - { a: p0, b: "sw:1", rate: 100Mbps, delay: 50us }
  - { a: p1, b: "sw:2", rate: 100Mbps, delay: 50us }
  - { a: p2, b: "sw:3", rate: 100Mbps, delay: 50us }
`;

const workload = (extra: string, pace = "rate: 100"): string =>
  `${BASE}workloads:\n  - { name: bank, type: two-phase-commit, coordinator: c, participants: [p0, p1, p2]${pace === "" ? "" : `, ${pace}`}${extra} }\n`;

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

describe("two-phase-commit in scenario files", () => {
  it("normalises the entry with its defaults", () => {
    const s = parseScenario(workload(""));
    expect(s.workloads).toEqual([
      {
        type: "two-phase-commit",
        name: "bank",
        coordinator: "c",
        participants: ["p0", "p1", "p2"],
        protocol: "2pc",
        transport: "udp",
        port: 7200,
        startNs: 0,
        stopNs: 200e6,
        intervalNs: 10e6,
        count: undefined,
        fanout: 3,
        voteNo: 0,
        workNs: 0,
        timeouts: { voteRequestNs: 100e6, votesNs: 50e6, decisionNs: 50e6, retransmitNs: 10e6 },
        maxActive: 1024,
      },
    ]);
    const t = parseScenario(
      workload(
        ", protocol: 3pc, interval: 5ms, count: 7, start: 1ms, stop: 100ms, fanout: 2, voteNo: 0.25, work: 1ms, port: 9100, maxActive: 8, timeouts: { voteRequest: 1s, votes: 2s, decision: 3s, retransmit: 4ms }",
      ).replace("rate: 100, ", ""),
    );
    expect(t.workloads[0]).toMatchObject({
      protocol: "3pc",
      intervalNs: 5e6,
      count: 7,
      startNs: 1e6,
      stopNs: 100e6,
      fanout: 2,
      voteNo: 0.25,
      workNs: 1e6,
      port: 9100,
      maxActive: 8,
      timeouts: { voteRequestNs: 1e9, votesNs: 2e9, decisionNs: 3e9, retransmitNs: 4e6 },
    });
  });

  it.each([
    [", protocl: 3pc", 'workloads[0]: unknown key "protocl" (did you mean "protocol"?)'],
    [", protocol: 4pc", 'workloads[0].protocol: "4pc" is not one of "2pc", "2pc-cooperative", "3pc"'],
    [", transport: tcp", 'workloads[0].transport: "tcp" is not built for two-phase-commit'],
    [", interval: 5ms", "workloads[0].interval: give rate or interval, not both"],
    [", fanout: 4", "workloads[0].fanout: 4 is more than the 3 participants"],
    [", voteNo: 1.5", "workloads[0].voteNo:"],
    [", count: 0", "workloads[0].count:"],
    [", start: 300ms", "workloads[0].start: the workload must start before it stops (and before the run ends)"],
    [", start: 50ms, stop: 20ms", "workloads[0].stop: the workload must start before it stops"],
    [", timeouts: { votes: 0 }", "workloads[0].timeouts.votes: must be longer than 0"],
    [", timeouts: { vote: 1s }", 'workloads[0].timeouts: unknown key "vote" (did you mean "votes"?)'],
    [", maxActive: 0", "workloads[0].maxActive:"],
    [", port: 70000", "workloads[0].port:"],
  ])("refuses %s", (extra, message) => {
    expect(errorOf(workload(extra))).toContain(message);
  });

  it.each([
    ["coordinator: x", "coordinator: c", 'workloads[0].coordinator: there is no host named "x"'],
    [
      "coordinator: sw",
      "coordinator: c",
      'workloads[0].coordinator: "sw" is a switch; a commit party runs on an IP host',
    ],
    [
      "coordinator: h",
      "coordinator: c",
      "workloads[0].coordinator: host h is not an IP host (a commit party needs an IP stack and stable storage)",
    ],
    ["participants: [p0, c]", "participants: [p0, p1, p2]", "workloads[0].participants[1]: c is the coordinator"],
    ["participants: [p0, p0]", "participants: [p0, p1, p2]", "workloads[0].participants[1]: p0 is listed twice"],
    [
      "participants: []",
      "participants: [p0, p1, p2]",
      "workloads[0].participants: 0 participants; a workload has 1 to 32",
    ],
    [
      "participants: [p0, p9]",
      "participants: [p0, p1, p2]",
      'workloads[0].participants[1]: there is no host named "p9"',
    ],
    [
      "type: two-phase",
      "type: two-phase-commit",
      'workloads[0].type: "two-phase" is not a workload type (primary-backup, stream-breaks, rpc-udp, two-phase-commit)',
    ],
  ])("refuses %s", (bad, good, message) => {
    expect(errorOf(workload("").replace(good, bad))).toContain(message);
  });

  it("refuses an entry with neither rate nor interval, a name taken, a port taken", () => {
    expect(errorOf(workload("", "rate: -1"))).toContain(
      "workloads[0].rate: -1 is not a rate in transactions per second (a number above 0)",
    );
    expect(errorOf(workload("", ""))).toContain(
      'workloads[0]: missing required key "rate" (transactions per second) or "interval"',
    );
    expect(errorOf(workload("").replace("name: bank", "name: sw"))).toContain('workloads[0].name: duplicate name "sw"');
    const twice = `${workload("")}  - { name: b2, type: two-phase-commit, coordinator: p2, participants: [p1], rate: 10 }\n`;
    expect(errorOf(twice)).toContain("workloads[1].port: UDP port 7200 of p2 is already used by workloads[0] (bank)");
    const traffic = `${workload("")}traffic:\n  - { name: t, type: cbr, from: c, to: p1, size: 100, rate: 1Mbps, dstPort: 7200 }\n`;
    expect(errorOf(traffic)).toContain("workloads[0].port: UDP port 7200 of p1 is already used by traffic[0] (t)");
    expect(errorOf(workload(", count: 20000000", "rate: 1e9"))).toContain("workloads[0].count:");
    expect(errorOf(workload("", "rate: 1e9").replace("duration: 200ms", "duration: 200s"))).toContain(
      "workloads[0].rate: 200000000000 transactions between start and stop",
    );
  });

  it("runs: the disk of a host with storage is its own, the others get the default", async () => {
    const s = parseScenario(workload(", count: 3, start: 1ms", "rate: 20"));
    const r = await runScenario(s);
    const w = r.twoPhaseCommit![0]!;
    expect(w.transactions).toMatchObject({ due: 3, started: 3, committed: 3, aborted: 0, undecided: 0 });
    // p0 syncs on the 1995 disk (14.6 ms), the others on NVMe (20 us): the commit waits for p0.
    expect(w.commitLatencyNs.p50!).toBeGreaterThan(14_600_000);
    expect(w.commitLatencyNs.p50!).toBeLessThan(16_000_000);
  });

  it("a broken coordinator (test hook) fails the run with the atomicity check's error", async () => {
    const s = parseScenario(workload(", count: 3, start: 1ms"));
    const spec = s.workloads[0]!;
    if (spec.type !== "two-phase-commit") throw new Error("expected the two-phase-commit entry");
    spec.fault = "split-decision";
    const err = await runScenario(s).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NetloomError);
    expect((err as NetloomError).code).toBe(ErrorCode.CHECK_FAILED);
    expect((err as NetloomError).message).toBe(
      "workloads[0]: bank: atomicity violated: transaction 0 is committed at p0, p1 but aborted at p2 in the participants' durable logs (2 more transactions violate atomicity)",
    );
    // The CLI: a run that fails its own check exits 1, not 2 (the scenario was fine).
    const write = process.stderr.write;
    process.stderr.write = () => true;
    try {
      expect(exitCodeOf(err)).toBe(EXIT_FAILED);
    } finally {
      process.stderr.write = write;
    }
  });
});

describe("examples/two-phase-commit.yaml", () => {
  it("blocks while the coordinator is down, then recovers; same report at 1 and 2 workers", async () => {
    const s = loadScenario("examples/two-phase-commit.yaml");
    const one = await runScenario(s);
    const w = one.twoPhaseCommit![0]!;
    // 38 due (50 ms apart from 10 ms to 1.9 s); 25 of them while c was down (230 ms to 1.5 s).
    // Transaction 4 was prepared everywhere when c crashed: aborted by presumed abort; 3, ended
    // but with its lazy END record lost in the crash, driven again from c's log.
    expect(w.transactions).toEqual({
      due: 38,
      started: 13,
      notStarted: 25,
      refused: 0,
      committed: 12,
      aborted: 1,
      undecided: 0,
    });
    expect(w.atomicity.violations).toBe(0);
    expect(w.decisions).toMatchObject({ presumedAborts: 4, recovered: 1, crashes: 1, restarts: 1 });
    // Two forced writes on the 1995 disk (14.6 ms each) and two round trips on the LAN.
    expect(w.commitLatencyNs).toMatchObject({ count: 12, p50: 30_514_240, max: 34_578_320 });
    for (const p of w.perParticipant) {
      // Blocked from ~326 ms (vote at ~226 ms + the 100 ms decision timeout) to the first
      // question after c's restart at 1.5 s (they ask every 160 ms by then): 1.27 s.
      expect([p.blockedTransactions, p.blockedNs, p.commits, p.aborts]).toEqual([1, 1_274_859_280, 12, 1]);
    }
    expect(workloadLines(one)).toEqual([
      "",
      "two-phase-commit bank (2pc, c -> p0, p1, p2, p3): 38 due, 13 started (25 not: coordinator down), 12 committed, 1 aborted, 0 undecided",
      "  commit latency p50 30.5 ms p90 30.5 ms p99 34.6 ms; log writes 117 forced, 13 lazy; 312 messages (44 resent)",
      "  blocked: p0 1.275 s, p1 1.275 s, p2 1.275 s, p3 1.275 s",
      "  atomicity: 13 transactions checked on the participants' durable logs, no violation",
    ]);
    const two = await runScenario(loadScenario("examples/two-phase-commit.yaml"), { workers: 2, forceWorkers: true });
    expect(two.parallel?.partitions).toBe(2);
    expect(two.parallel!.crossPartitionFrames).toBeGreaterThan(0);
    expect(comparable(two)).toEqual(comparable(one));
  }, 60_000);

  it("its capture is clean in tshark: every frame ARP or a 16-byte commit message over UDP", async () => {
    requireTshark();
    const tmp = tempDir("netloom-tpc-");
    try {
      await runScenario(loadScenario("examples/two-phase-commit.yaml"), { pcapDir: tmp.dir });
      const files = readdirSync(tmp.dir).filter((f) => f.endsWith(".pcap"));
      expect(files.length).toBe(10);
      let udp = 0;
      for (const f of files) {
        const rows = tsharkFields(
          join(tmp.dir, f),
          [
            "frame.protocols",
            "eth.fcs.status",
            "udp.checksum.status",
            "udp.length",
            "_ws.malformed",
            "_ws.expert.message",
          ],
          { prefs: CHECK_ALL_PREFS },
        );
        for (const r of rows) {
          expect(r["_ws.malformed"], f).toBe("");
          expect(r["_ws.expert.message"], f).toBe("");
          expect(["1", "Good"], f).toContain(r["eth.fcs.status"]);
          if (r["frame.protocols"] === "eth:ethertype:arp") continue;
          expect(r["frame.protocols"], f).toBe("eth:ethertype:ip:udp:data");
          expect(["1", "Good"], f).toContain(r["udp.checksum.status"]);
          expect(r["udp.length"], f).toBe("24");
          udp++;
        }
      }
      expect(udp).toBeGreaterThan(500);
      // With netloom's Wireshark dissectors (wireshark/netloom.lua) the header's fields show.
      const lua = join(import.meta.dirname, "../../wireshark/netloom.lua");
      const rows = tsharkFields(
        join(tmp.dir, "c-0.pcap"),
        ["_ws.col.Protocol", "_ws.col.Info", "_ws.malformed", "_ws.expert"],
        {
          prefs: CHECK_ALL_PREFS,
          args: ["-X", `lua_script:${lua}`],
        },
      );
      const infos = rows.filter((r) => r["_ws.col.Protocol"] === "netloom commit").map((r) => r["_ws.col.Info"]);
      for (const r of rows) expect([r["_ws.malformed"], r["_ws.expert"]]).toEqual(["", ""]);
      expect(infos.length).toBe(rows.filter((r) => r["_ws.col.Protocol"] !== "ARP").length);
      expect(infos).toContain("PREPARE tx 4 from coordinator");
      expect(infos).toContain("VOTE_YES tx 4 from participant 3");
      // After the restart: p0 asks about transaction 4, the coordinator presumes abort.
      expect(infos).toContain("STATE_REQUEST tx 4 from participant 0");
      expect(infos).toContain("STATE tx 4 from coordinator aborted");
    } finally {
      tmp.remove();
    }
  }, 60_000);
});
