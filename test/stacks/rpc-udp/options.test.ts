// Every rpc-udp option acts: what changes when each is set (the scenario tests show each is read).
import { describe, expect, it } from "vitest";
import { MS, rpcWorld, workloadSpec } from "./support.js";

describe("rpc-udp options act", () => {
  it("amount: each increment adds it", () => {
    const r = rpcWorld(workloadSpec({ amount: 5 })).finish(500 * MS);
    expect(r.counters).toEqual({ s0: 50 });
  });

  it("queueLimit and arrivals: Poisson bursts overflow a one-call queue that fixed gaps never fill", () => {
    const over = { count: 100, executionNs: 7 * MS, queueLimit: 1 };
    const fixed = rpcWorld(workloadSpec({ ...over, arrivals: "fixed" })).finish(3000 * MS);
    const poisson = rpcWorld(workloadSpec({ ...over, arrivals: "poisson" }), { seed: 2 }).finish(3000 * MS);
    expect(fixed.reasons).toEqual({ "ok:OK": 100 });
    expect(poisson.reasons["failed:CLIENT_QUEUE_FULL"]).toBe(25);
    expect(poisson.outcomes.ok + poisson.outcomes.failed).toBe(100);
  });

  it("maxExecuting: a server running one call at a time refuses the others BUSY", () => {
    const r = rpcWorld(
      workloadSpec({ clients: ["c0", "c1", "c2"], count: 3, executionNs: 15 * MS, maxExecuting: 1 }),
    ).finish(500 * MS);
    expect(r.busy).toBe(r.outcomes.failed);
    // The three clients call at the same moments: each time one call runs and two are refused.
    expect(r.reasons).toEqual({ "failed:BUSY": 6, "ok:OK": 3 });
  });

  it("duplicateTable: a table of one client cannot forget a client whose call runs: the other is refused", () => {
    const r = rpcWorld(workloadSpec({ clients: ["c0", "c1"], duplicateTable: 1 })).finish(500 * MS);
    // The two clients call at the same moments; c0's call runs when c1's arrives.
    expect(r.reasons).toEqual({ "failed:BUSY": 10, "ok:OK": 10 });
    expect(r.clients.map((c) => c.ok)).toEqual([10, 0]);
    // Twice a client was forgotten to make room (when the other was idle).
    expect(r.tableEvictions).toBe(2);
  });

  it("fragmentSize: 2,000-byte arguments in 500-byte fragments are bursts of 4", () => {
    const r = rpcWorld(workloadSpec({ argumentBytes: 2000, fragmentBytes: 500 })).finish(500 * MS);
    // 10 calls x (4 request + 1 reply fragments), and the lookup and its reply.
    expect(r.fragments.sent).toBe(52);
  });

  it("ackDelay: an ack delay longer than the gap between calls leaves every ack to the next request", () => {
    const r = rpcWorld(workloadSpec({ ackDelayNs: 50 * MS })).finish(500 * MS);
    expect(r.acks).toEqual({ explicit: 1, implicit: 10, fromServers: 0 });
  });

  it("stop: no call arrives at or after it", () => {
    const r = rpcWorld(workloadSpec({ count: undefined, stopNs: 100 * MS })).finish(500 * MS);
    // From 5 ms every 10 ms: 5, 15, ..., 95 ms.
    expect(r.calls).toBe(10);
  });
});
