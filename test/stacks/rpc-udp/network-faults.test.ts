// Random loss, duplication and large messages (bursts of fragments, one NAK for the missing
// ones) under each semantics. Figures are pinned: the runs are deterministic for a seed (the
// trajectories differ by semantics only after the first lost reply or duplicated request).
import { describe, expect, it } from "vitest";
import { MS, rpcWorld, workloadSpec } from "./support.js";

const LOSSY = { faults: { c0: { loss: 0.1 }, s0: { loss: 0.1 } }, seed: 3 };

describe("10% loss each way, 50 increments", () => {
  it("at-least-once: every call ok, but a lost reply means another run: 62 increments for 50 calls", () => {
    const r = rpcWorld(workloadSpec({ semantics: "at-least-once", count: 50, retries: 8 }), LOSSY).finish(2000 * MS);
    expect(r.reasons).toEqual({ "ok:OK": 50 });
    expect(r.executionsPerCall).toEqual({ "0": 0, "1": 42, "2": 5, "3": 2, "4": 1 });
    expect(r.duplicatesExecuted).toBe(12);
    expect(r.counters).toEqual({ s0: 62 });
    expect(r.retransmissions).toBe(35);
  });

  for (const semantics of ["at-most-once", "exactly-once"] as const) {
    it(`${semantics}: the same retransmissions, answered from the reply cache: each call once`, () => {
      const r = rpcWorld(workloadSpec({ semantics, count: 50, retries: 8 }), LOSSY).finish(2000 * MS);
      expect(r.reasons).toEqual({ "ok:OK": 50 });
      expect(r.executionsPerCall).toEqual({ "0": 0, "1": 50 });
      expect(r.counters).toEqual({ s0: 50 });
      expect(r.retransmissions).toBe(35);
      expect(r.duplicatesSuppressed).toBe(12);
      expect(r.repliesReplayed).toBe(12);
    });
  }
});

describe("the client's link duplicates 20% of frames", () => {
  it("at-least-once runs each duplicated request twice", () => {
    const r = rpcWorld(workloadSpec({ semantics: "at-least-once", count: 50 }), {
      faults: { c0: { duplicate: 0.2 } },
      seed: 5,
    }).finish(2000 * MS);
    expect(r.executionsPerCall).toEqual({ "0": 0, "1": 43, "2": 7 });
    expect(r.counters).toEqual({ s0: 57 });
    expect(r.retransmissions).toBe(0);
  });

  it("at-most-once recognises each copy (acked while the call runs): once", () => {
    const r = rpcWorld(workloadSpec({ semantics: "at-most-once", count: 50 }), {
      faults: { c0: { duplicate: 0.2 } },
      seed: 5,
    }).finish(2000 * MS);
    expect(r.executionsPerCall).toEqual({ "0": 0, "1": 50 });
    expect(r.duplicatesSuppressed).toBe(15);
    expect(r.counters).toEqual({ s0: 50 });
  });
});

describe("large messages: bursts of fragments", () => {
  const BIG = { count: 20, argumentBytes: 20_000, resultBytes: 12_000, operation: "echo" as const, retries: 8 };

  it("no loss: 14 request and 9 reply fragments a call, no NAK, no retransmission", () => {
    const r = rpcWorld(workloadSpec(BIG), { seed: 9 }).finish(3000 * MS);
    expect(r.reasons).toEqual({ "ok:OK": 20 });
    // 20 x (14 + 9) fragments, plus the lookup and its reply.
    expect(r.fragments).toEqual({ sent: 462, repaired: 0 });
    expect(r.naks).toEqual({ sent: 0, received: 0 });
    expect(r.retransmissions).toBe(0);
  });

  it("5% loss each way: NAKs name the missing fragments and only those go again", () => {
    const r = rpcWorld(workloadSpec(BIG), { faults: { c0: { loss: 0.05 }, s0: { loss: 0.05 } }, seed: 9 }).finish(
      3000 * MS,
    );
    expect(r.reasons).toEqual({ "ok:OK": 20 });
    expect(r.executionsPerCall).toEqual({ "0": 0, "1": 20 });
    expect(r.fragments).toEqual({ sent: 502, repaired: 38 });
    expect(r.naks).toEqual({ sent: 28, received: 25 });
    // And once the retransmission timer went off first: the whole request went again.
    expect(r.retransmissions).toBe(1);
  });
});
