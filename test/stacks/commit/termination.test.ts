// What the protocols do when the coordinator is gone: plain 2PC blocks, the cooperative
// termination protocol lets participants learn the outcome from each other, three-phase commit
// decides without the coordinator. Timeline of transaction k as in two-phase-commit.test.ts
// (T = 1 ms + k ms; PREPARE reaches p0..p3 at ~T + 213..234 us, votes are in at ~T + 448 us);
// 3PC goes on: PRECOMMIT durable at c ~T + 549 us, PRE_COMMIT at the participants ~T + 663..683
// us, durable there ~T + 764..785 us.
import { describe, expect, it } from "vitest";
import type { CommitProtocolName } from "../../../src/stacks/commit/commit-config.js";
import { commitSpec, commitWorld } from "./support.js";

const T = (k: number, us: number): number => 1_000_000 + k * 1_000_000 + us * 1000;

/**
 * p3 is cut off after its BEGIN arrives and before its PREPARE does, until T + 8 ms; the
 * coordinator crashes once p0..p2 have voted yes and is back at T + 80 ms. p3 has not voted
 * and waits for a vote request until T + 20.1 ms.
 */
function coordinatorGoneP3Unvoted(protocol: CommitProtocolName) {
  const w = commitWorld(commitSpec({ protocol, count: 3 }));
  w.net.partition("cut-p3", [["p3"], ["sw"]], T(2, 150), T(2, 8000));
  w.net.crash("c", T(2, 450), T(2, 80_000));
  return w.finish("200ms");
}

describe("cooperative termination", () => {
  it("2pc: the participants that voted yes block until the coordinator is back", () => {
    const r = coordinatorGoneP3Unvoted("2pc");
    expect(r.transactions).toMatchObject({ committed: 2, aborted: 1, undecided: 0 });
    for (const p of r.perParticipant.slice(0, 3)) {
      expect(p.blockedNs).toBeGreaterThan(69_000_000); // from ~T + 10.3 ms to after T + 80 ms
      expect(p.decisionsFromPeers).toBe(0);
    }
    // p3 never voted: it gave up waiting for the vote request at T + 20.1 ms.
    expect(r.perParticipant[3]!.unilateralAborts).toBe(1);
    expect(r.atomicity.violations).toBe(0);
  });

  it("2pc-cooperative: they ask each other; p3, which never voted, aborts and tells them", () => {
    const r = coordinatorGoneP3Unvoted("2pc-cooperative");
    expect(r.transactions).toMatchObject({ committed: 2, aborted: 1, undecided: 0 });
    for (const p of r.perParticipant.slice(0, 3)) {
      // From ~T + 10.3 ms for an ARP exchange with p3 (they had never talked), p3's forced
      // ABORT record and its answer: well under a millisecond, against 70 ms in 2pc.
      expect(p.blockedNs).toBeGreaterThan(200_000);
      expect(p.blockedNs).toBeLessThan(1_000_000);
      expect(p.decisionsFromPeers).toBe(1);
    }
    expect(r.perParticipant[3]!.abortsOnRequest).toBe(1);
    expect(r.messages.sent["STATE"]).toBeGreaterThan(0);
    expect(r.atomicity.violations).toBe(0);
  });

  it("2pc-cooperative: when every participant is in doubt, nobody can help: they block as in 2pc", () => {
    const w = commitWorld(commitSpec({ protocol: "2pc-cooperative", count: 3 }));
    w.net.crash("c", T(2, 450), T(2, 80_000));
    const r = w.finish("200ms");
    expect(r.transactions).toMatchObject({ committed: 2, aborted: 1 });
    for (const p of r.perParticipant) expect([p.blockedNs > 69_000_000, p.decisionsFromPeers]).toEqual([true, 0]);
  });
});

describe("three-phase commit", () => {
  it("commits with one more round and forced write than 2pc", () => {
    const two = commitWorld(commitSpec({ count: 10 })).finish("100ms");
    const three = commitWorld(commitSpec({ protocol: "3pc", count: 10 })).finish("100ms");
    expect(three.transactions.committed).toBe(10);
    expect(three.log.forced - two.log.forced).toBe(5 * 10); // PRECOMMIT at c and at 4 participants
    // Two hops, two forced writes and a hop back more: ~T + 1000 us against ~T + 549 us.
    expect(three.commitLatencyNs.p50! - two.commitLatencyNs.p50!).toBeGreaterThan(400_000);
    expect(three.messages.sent["PRE_COMMIT"]).toBe(40);
  });

  it("coordinator gone before pre-commit: the participants elect p0, which aborts; no blocking past one round", () => {
    const w = commitWorld(commitSpec({ protocol: "3pc", count: 3 }));
    w.net.crash("c", T(2, 450), T(2, 80_000));
    const r = w.finish("200ms");
    expect(r.transactions).toMatchObject({ committed: 2, aborted: 1, undecided: 0 });
    expect(r.perParticipant.map((p) => p.ledTerminations)).toEqual([1, 0, 0, 0]);
    for (const p of r.perParticipant) {
      // One collection round (the decision timeout) and a forced write, not the 80 ms outage.
      expect(p.blockedNs).toBeGreaterThan(9_000_000);
      expect(p.blockedNs).toBeLessThan(12_000_000);
    }
    expect(r.atomicity.violations).toBe(0);
  });

  it("coordinator gone after pre-commit: p0 commits; the coordinator, back, adopts the outcome", () => {
    const w = commitWorld(commitSpec({ protocol: "3pc", count: 3 }));
    w.net.crash("c", T(2, 700), T(2, 80_000));
    const r = w.finish("200ms");
    expect(r.transactions).toMatchObject({ committed: 3, aborted: 0, undecided: 0 });
    expect(r.perParticipant.map((p) => p.ledTerminations)).toEqual([1, 0, 0, 0]);
    expect([r.decisions.recovered, r.decisions.adopted]).toEqual([1, 1]);
    expect(r.atomicity.violations).toBe(0);
  });

  it("coordinator and the would-be leader gone: p1 leads and commits; p0, back, learns it", () => {
    const w = commitWorld(commitSpec({ protocol: "3pc", count: 3 }));
    w.net.crash("c", T(2, 700), T(2, 80_000));
    w.net.crash("p0", T(2, 700), T(2, 40_000));
    const r = w.finish("200ms");
    expect(r.transactions).toMatchObject({ committed: 3, undecided: 0 });
    expect(r.perParticipant.map((p) => p.ledTerminations)).toEqual([0, 1, 0, 0]);
    expect(r.perParticipant[0]!.inDoubtAtRestart).toBe(1);
    expect(r.atomicity.violations).toBe(0);
  });
});

describe("random crashes of every party and 3% loss", () => {
  // Each host fails at random (mean up 150 ms, down 20 ms) until 400 ms while 200 transactions
  // start 2 ms apart; then the run goes on to 2 s. Whatever crashed when, no protocol may
  // commit a transaction at one participant and abort it at another, and nothing may be left
  // in doubt once everyone is back.
  for (const protocol of ["2pc", "2pc-cooperative", "3pc"] as const) {
    it(`${protocol}: no violation, nothing undecided, no frame leaked`, () => {
      for (const seed of [1, 2]) {
        const spec = commitSpec({ protocol, count: 200, intervalNs: 2_000_000, voteNo: 0.05, maxActive: 64 });
        const w = commitWorld(spec, { seed, loss: 0.03 });
        for (const h of ["c", "p0", "p1", "p2", "p3"])
          w.net.failRandomly(h, { mtbf: "150ms", mttr: "20ms", until: "400ms" });
        const r = w.finish("2s");
        const crashes = r.decisions.crashes + r.perParticipant.reduce((n, p) => n + p.crashes, 0);
        expect(crashes).toBeGreaterThan(3);
        expect(r.atomicity.violations).toBe(0);
        expect(r.atomicity.undecided).toBe(0);
        expect(r.transactions.committed).toBeGreaterThan(20);
      }
    }, 60_000);
  }
});
