// Client crashes and their orphans; binding through a name service and rebinding to a backup;
// random loss, duplication and large messages (bursts of fragments, NAKs). Every world checks
// on teardown that the frame pool came back empty.
import { describe, expect, it } from "vitest";
import { MS, rpcWorld, workloadSpec } from "./support.js";

// Calls arrive at 5, 15 and 25 ms and run 100 ms each. The first reaches s0 at ~6.2 ms; c0
// crashes at 20 ms (the call at 15 ms is still waiting its turn) and restarts at 30 ms; its next
// call arrives at 40 ms, and the lookup before it comes from the new incarnation.
const CLIENT_CRASH = { crashes: [["c0", 20 * MS, 30 * MS]] as [string, number, number?][] };
const ORPHAN_MAKER = { count: 3, executionNs: 100 * MS };

describe("a client crash leaves an orphan", () => {
  it("the newer incarnation's first request exterminates it before its effect", () => {
    const r = rpcWorld(workloadSpec(ORPHAN_MAKER), CLIENT_CRASH).finish(500 * MS);
    expect(r.orphans).toEqual({ detected: 1, exterminated: 1, completed: 0 });
    expect(r.reasons).toEqual({ "failed:CLIENT_CRASHED": 1, "ok:OK": 1, "unknown:CLIENT_CRASHED": 1 });
    expect(r.calls).toBe(3);
    // The orphan never ran to its end: only the new incarnation's call did.
    expect(r.executionsPerCall).toEqual({ "0": 2, "1": 1 });
    expect(r.counters).toEqual({ s0: 1 });
    expect(r.clients[0]).toMatchObject({ incarnation: 1, ok: 1 });
  });

  it("left alone (exterminateOrphans false), the orphan runs to its end and its reply is not sent", () => {
    const r = rpcWorld(workloadSpec({ ...ORPHAN_MAKER, exterminateOrphans: false }), CLIENT_CRASH).finish(500 * MS);
    expect(r.orphans).toEqual({ detected: 1, exterminated: 0, completed: 1 });
    expect(r.executionsPerCall).toEqual({ "0": 1, "1": 2 });
    expect(r.counters).toEqual({ s0: 2 });
  });

  it("a client that never comes back leaves an orphan nobody detects", () => {
    const r = rpcWorld(workloadSpec(ORPHAN_MAKER), { crashes: [["c0", 20 * MS]] }).finish(500 * MS);
    expect(r.orphans).toEqual({ detected: 0, exterminated: 0, completed: 0 });
    expect(r.executionsPerCall).toEqual({ "0": 1, "1": 1 });
    expect(r.calls).toBe(2);
  });
});

const BACKUP = { clients: ["c0"], servers: ["s0", "s1"], nameService: "ns", count: 20, retries: 2 };

describe("binding through the name service", () => {
  it("servers register at boot; the client binds to the primary", () => {
    const r = rpcWorld(workloadSpec(BACKUP)).finish(400 * MS);
    expect(r.outcomes.ok).toBe(20);
    expect(r.registry).toEqual([
      { address: 0x0a000002, port: 7200, rank: 0, incarnation: 0 },
      { address: 0x0a000003, port: 7200, rank: 1, incarnation: 0 },
    ]);
    expect(r.binding).toMatchObject({ lookups: 1, rebinds: 0, registrations: 2 });
    expect(r.servers.map((s) => s.executions)).toEqual([20, 0]);
  });

  it("the primary dies: the call in progress times out, the client rebinds to the backup", () => {
    // Calls every 10 ms from 5 ms; s0 crashes at 52 ms for good. The call at 55 ms is
    // retransmitted twice (20 ms apart) and times out at ~115 ms; the client suspects s0, looks
    // up again and binds to s1; the calls queued meanwhile go there.
    const r = rpcWorld(workloadSpec({ ...BACKUP, semantics: "at-most-once" }), {
      crashes: [["s0", 52 * MS]],
    }).finish(600 * MS);
    expect(r.reasons).toEqual({ "ok:OK": 19, "unknown:TIMEOUT": 1 });
    expect(r.binding).toMatchObject({ lookups: 2, rebinds: 1, reissued: 0 });
    expect(r.servers.map((s) => s.executions)).toEqual([5, 14]);
    expect(r.clients[0]!.boundTo).toBe("10.0.0.3:7200");
  });

  it("at-least-once sends the timed-out call again, to the backup", () => {
    const r = rpcWorld(workloadSpec({ ...BACKUP, semantics: "at-least-once" }), {
      crashes: [["s0", 52 * MS]],
    }).finish(600 * MS);
    expect(r.reasons).toEqual({ "ok:OK": 20 });
    expect(r.binding).toMatchObject({ reissued: 1 });
    expect(r.servers.map((s) => s.executions)).toEqual([5, 15]);
    expect(r.executionsPerCall).toEqual({ "0": 0, "1": 20 });
  });

  it("a restarted server registers again under its new incarnation", () => {
    const r = rpcWorld(workloadSpec(BACKUP), { crashes: [["s0", 52 * MS, 150 * MS]] }).finish(600 * MS);
    expect(r.registry).toEqual([
      { address: 0x0a000002, port: 7200, rank: 0, incarnation: 1 },
      { address: 0x0a000003, port: 7200, rank: 1, incarnation: 0 },
    ]);
    expect(r.binding.registrations).toBe(3);
  });

  it("a name service that restarts keeps its registry (forced to its disk)", () => {
    const w = rpcWorld(workloadSpec(BACKUP), { crashes: [["ns", 30 * MS, 40 * MS]] });
    const r = w.finish(400 * MS);
    expect(r.registry).toHaveLength(2);
    expect(r.outcomes.ok).toBe(20);
  });
});
