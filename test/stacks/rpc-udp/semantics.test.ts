// RPC over UDP failure semantics, each with its failure paths: reply loss (a link outage while
// the call runs), server crash mid-call, client crash (orphans), random loss, duplication.
// Every world checks on teardown that the frame pool came back empty.
import { describe, expect, it } from "vitest";
import { MS, rpcWorld, workloadSpec } from "./support.js";

describe("no failures", () => {
  for (const semantics of ["at-least-once", "at-most-once", "exactly-once"] as const) {
    it(`${semantics}: ten increments, each run once, every reply the ack of its request`, () => {
      const r = rpcWorld(workloadSpec({ semantics })).finish(500 * MS);
      expect(r.outcomes).toEqual({ ok: 10, failed: 0, unknown: 0, pending: 0 });
      expect(r.executionsPerCall).toEqual({ "0": 0, "1": 10 });
      expect(r.counters).toEqual({ s0: 10 });
      expect(r.retransmissions).toBe(0);
      // Calls 10 ms apart, ack delay 5 ms: every reply is acknowledged explicitly.
      expect(r.acks.explicit).toBe(10);
      expect(r.logWrites).toBe(10);
    });
  }

  it("closed loop with the next call acknowledging the last reply", () => {
    const r = rpcWorld(workloadSpec({ intervalNs: undefined, count: 20 })).finish(500 * MS);
    expect(r.outcomes.ok).toBe(20);
    // The lookup's reply and 19 replies are acknowledged by the request after them.
    expect(r.acks.implicit).toBe(20);
    expect(r.acks.explicit).toBe(1);
  });
});

// The call, sent at ~5.9 ms once bound (ARP and the lookup first), reaches s0 at ~6.2 ms and runs
// 3 ms; s0's link is down from 8 to 30 ms, so its reply is lost, the retransmission at ~26 ms
// too, and the one at ~46 ms gets through.
const OUTAGE = { outages: [["s0", 8 * MS, 30 * MS]] as [string, number, number][] };
const ONE_SLOW_CALL = { count: 1, executionNs: 3 * MS, retries: 6 };

describe("a lost reply: the classic anomaly", () => {
  it("at-least-once runs the retransmitted increment again: twice, and the counter says 2", () => {
    const r = rpcWorld(workloadSpec({ ...ONE_SLOW_CALL, semantics: "at-least-once" }), OUTAGE).finish(500 * MS);
    expect(r.outcomes).toEqual({ ok: 1, failed: 0, unknown: 0, pending: 0 });
    expect(r.executionsPerCall).toEqual({ "0": 0, "2": 1 });
    expect(r.counters).toEqual({ s0: 2 });
    expect(r.duplicatesExecuted).toBe(1);
  });

  it("at-most-once answers the retransmission from its reply cache: once", () => {
    const r = rpcWorld(workloadSpec({ ...ONE_SLOW_CALL, semantics: "at-most-once" }), OUTAGE).finish(500 * MS);
    expect(r.outcomes).toEqual({ ok: 1, failed: 0, unknown: 0, pending: 0 });
    expect(r.executionsPerCall).toEqual({ "0": 0, "1": 1 });
    expect(r.counters).toEqual({ s0: 1 });
    expect(r.repliesReplayed).toBe(1);
    expect(r.duplicatesSuppressed).toBeGreaterThanOrEqual(1);
  });
});

// One 40 ms call from ~6.2 ms; s0 crashes at 20 ms (mid-call) and restarts at 50 ms; the client's
// retransmissions (every 20 ms, the server acked the request at ~11 ms) reach the new
// incarnation at ~66 ms.
const CRASH_MID_CALL = { crashes: [["s0", 20 * MS, 50 * MS]] as [string, number, number?][] };
const LONG_CALL = { count: 1, executionNs: 40 * MS, retries: 6 };

describe("the server crashes while the call runs", () => {
  it("at-most-once: the new incarnation refuses the old binding: the outcome is unknown", () => {
    const r = rpcWorld(workloadSpec({ ...LONG_CALL, semantics: "at-most-once" }), CRASH_MID_CALL).finish(500 * MS);
    expect(r.outcomes).toEqual({ ok: 0, failed: 0, unknown: 1, pending: 0 });
    expect(r.reasons).toEqual({ "unknown:RESTARTED": 1 });
    expect(r.restartedRejects).toBe(1);
    // The crash cut the execution short: it never ran to its end.
    expect(r.executionsPerCall).toEqual({ "0": 1 });
    expect(r.servers[0]).toMatchObject({ incarnation: 1, restarts: 1, counter: 0 });
    expect(r.acks.fromServers).toBe(1);
  });

  it("exactly-once: the retransmission runs it on the new incarnation: ok, once", () => {
    const r = rpcWorld(workloadSpec({ ...LONG_CALL, semantics: "exactly-once" }), CRASH_MID_CALL).finish(500 * MS);
    expect(r.outcomes).toEqual({ ok: 1, failed: 0, unknown: 0, pending: 0 });
    expect(r.executionsPerCall).toEqual({ "0": 0, "1": 1 });
    expect(r.counters).toEqual({ s0: 1 });
    // Retransmissions while it ran (at ~86 and ~106 ms) were answered with ACKs, not run again.
    expect(r.duplicatesSuppressed).toBe(2);
  });

  it("at-least-once: every retransmission that arrives while it runs runs it again: three times", () => {
    const r = rpcWorld(workloadSpec({ ...LONG_CALL, semantics: "at-least-once" }), CRASH_MID_CALL).finish(500 * MS);
    // At ~66 ms the first retransmission to reach the new incarnation starts it; those at ~86 and
    // ~106 ms (the first run ends at ~106.2 ms) start it again; every run completes.
    expect(r.outcomes).toEqual({ ok: 1, failed: 0, unknown: 0, pending: 0 });
    expect(r.executionsPerCall).toEqual({ "0": 0, "3": 1 });
    expect(r.counters).toEqual({ s0: 3 });
    expect(r.duplicatesExecuted).toBe(2);
  });
});

// The call runs 3 ms and commits (~9.2 ms) while s0's link is down (8-30 ms): the reply is lost;
// then s0 crashes at 20 ms and restarts at 40 ms, and the retransmission at ~46 ms meets the
// new incarnation.
const DONE_THEN_CRASH = { ...OUTAGE, crashes: [["s0", 20 * MS, 40 * MS]] as [string, number, number?][] };

describe("the call ran, its reply was lost, then the server crashed", () => {
  it("at-least-once runs it again: twice", () => {
    const r = rpcWorld(workloadSpec({ ...ONE_SLOW_CALL, semantics: "at-least-once" }), DONE_THEN_CRASH).finish(
      500 * MS,
    );
    expect(r.outcomes.ok).toBe(1);
    expect(r.executionsPerCall).toEqual({ "0": 0, "2": 1 });
    // The counter is on stable storage: both increments survive.
    expect(r.counters).toEqual({ s0: 2 });
  });

  it("at-most-once cannot tell: unknown, although it ran once", () => {
    const r = rpcWorld(workloadSpec({ ...ONE_SLOW_CALL, semantics: "at-most-once" }), DONE_THEN_CRASH).finish(500 * MS);
    expect(r.outcomes).toEqual({ ok: 0, failed: 0, unknown: 1, pending: 0 });
    expect(r.executionsPerCall).toEqual({ "0": 0, "1": 1 });
    expect(r.counters).toEqual({ s0: 1 });
  });

  it("exactly-once answers from the log it forced before replying: ok, once", () => {
    const w = rpcWorld(workloadSpec({ ...ONE_SLOW_CALL, semantics: "exactly-once" }), DONE_THEN_CRASH);
    const r = w.finish(500 * MS);
    expect(r.outcomes).toEqual({ ok: 1, failed: 0, unknown: 0, pending: 0 });
    expect(r.executionsPerCall).toEqual({ "0": 0, "1": 1 });
    expect(r.counters).toEqual({ s0: 1 });
    expect(r.repliesReplayed).toBe(1);
  });

  it("exactly-once, crash during the forced write: the record is lost, the call runs again, once in effect", () => {
    // A 1995 disk: the sync takes ~14.6 ms, so the crash at 15 ms (the call committed its record
    // at ~9.2 ms) finds it not yet durable.
    const w = rpcWorld(workloadSpec({ ...ONE_SLOW_CALL, semantics: "exactly-once" }), {
      crashes: [["s0", 15 * MS, 40 * MS]],
      disks: { s0: "disk-1995" },
    });
    const disk = w.net.ipHost("s0").storage;
    const r = w.finish(500 * MS);
    expect(r.outcomes).toEqual({ ok: 1, failed: 0, unknown: 0, pending: 0 });
    expect(r.executionsPerCall).toEqual({ "0": 0, "1": 1 });
    expect(r.counters).toEqual({ s0: 1 });
    expect(disk.stats()).toMatchObject({ lost: 1, synced: 1 });
  });
});
