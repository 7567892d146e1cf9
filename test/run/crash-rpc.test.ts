// examples/crash-rpc.yaml: the classic anomaly of RPC failure semantics, as the run reports it;
// the same report and the same capture bytes at 1 and 2 workers; every capture clean in tshark.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closePartitionPool } from "../../src/run/partition-pool.js";
import type { RunReport } from "../../src/run/run-report.js";
import { runScenario } from "../../src/run/run-scenario.js";
import { loadScenario } from "../../src/scenario/scenario.js";
import { CHECK_ALL_PREFS, tempDir, tsharkFields } from "../support/tshark.js";

afterAll(() => closePartitionPool());

const comparable = (r: RunReport): unknown => {
  const { wallTimeMs: _w, parallel: _p, partitioning: _q, ...rest } = r;
  return rest;
};

describe("examples/crash-rpc.yaml", () => {
  it("at-least-once runs retried increments twice, at-most-once never twice, exactly-once each once", async () => {
    const tmp = tempDir();
    try {
      const one = await runScenario(loadScenario("examples/crash-rpc.yaml"), { pcapDir: tmp.path("one") });
      const two = await runScenario(loadScenario("examples/crash-rpc.yaml"), {
        workers: 2,
        forceWorkers: true,
        pcapDir: tmp.path("two"),
      });
      expect(two.parallel?.partitions).toBe(2);
      expect(comparable(two)).toEqual(comparable(one));
      const [alo, amo, eo] = one.rpcUdp!;
      // at-least-once: every call ok, but six lost replies made six calls run twice, and the
      // counter on the disk shows it.
      expect(alo).toMatchObject({
        semantics: "at-least-once",
        outcomes: { ok: 200, failed: 0, unknown: 0, pending: 0 },
        executionsPerCall: { "0": 0, "1": 194, "2": 6 },
        counters: { s1: 206 },
        duplicatesExecuted: 6,
      });
      // at-most-once: nothing runs twice; the call in progress at the crash is unknown (here it
      // had not run: the crash cut it short).
      expect(amo).toMatchObject({
        semantics: "at-most-once",
        outcomes: { ok: 199, failed: 0, unknown: 1, pending: 0 },
        reasons: { "ok:OK": 199, "unknown:RESTARTED": 1 },
        executionsPerCall: { "0": 1, "1": 199 },
        counters: { s2: 199 },
        duplicatesSuppressed: 15,
      });
      // exactly-once: every call ok and run once; retransmissions after the restart were
      // answered from the log.
      expect(eo).toMatchObject({
        semantics: "exactly-once",
        outcomes: { ok: 200, failed: 0, unknown: 0, pending: 0 },
        executionsPerCall: { "0": 0, "1": 200 },
        counters: { s3: 200 },
      });
      for (const w of one.rpcUdp!) {
        expect(w.servers[0]).toMatchObject({ incarnation: 1, restarts: 1 });
        // Registered at boot and again after the restart, under incarnation 1.
        expect(w.binding.registrations).toBe(2);
        expect(w.registry).toEqual([expect.objectContaining({ incarnation: 1 })]);
      }
      expect(one.failures!.devices.map((d) => d.crashes)).toEqual([1, 1, 1]);

      const files = readdirSync(tmp.path("one")).sort();
      expect(readdirSync(tmp.path("two")).sort()).toEqual(files);
      for (const f of files) {
        expect(readFileSync(join(tmp.path("two"), f)).equals(readFileSync(join(tmp.path("one"), f))), f).toBe(true);
      }
      let udp = 0;
      for (const f of ["s1-0.pcap", "s2-0.pcap", "s3-0.pcap", "ns-0.pcap", "sw-1.pcap"]) {
        const rows = tsharkFields(
          join(tmp.path("one"), f),
          ["_ws.malformed", "frame.protocols", "udp.checksum.status"],
          {
            prefs: CHECK_ALL_PREFS,
          },
        );
        for (const row of rows) {
          expect(row["_ws.malformed"], f).toBe("");
          if (!row["frame.protocols"]!.includes("udp")) continue;
          udp++;
          expect(row["frame.protocols"]).toBe("eth:ethertype:ip:udp:data");
          expect(row["udp.checksum.status"]).toBe("1");
        }
      }
      expect(udp).toBeGreaterThan(1000);
    } finally {
      tmp.remove();
    }
  }, 120_000);
});
