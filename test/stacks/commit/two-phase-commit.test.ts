// Two-phase commit on a LAN (support.ts: c and p0..p3 on one switch, links of 50 us, syncs of
// 100 us), the happy path and each failure path. Transaction k starts at T = 1 ms + k ms; its
// timeline when nothing fails (measured, and the sum of its parts: a hop 56.7 us, two hops
// 113.4 us, a forced write 101 us):
//   T            BEGIN to p0..p3
//   T + 100 us   PREPARE (work = 100 us); it reaches p0..p3 at ~T + 213..234 us
//   T + ~315..335 us  each participant's PREPARED record is durable: VOTE_YES
//   T + ~448 us  the last vote is in; the COMMIT record is forced
//   T + 549 us   the decision is durable (the commit point): COMMIT to p0..p3
//   T + ~785 us  the participants' COMMIT records are durable: ACK; then END at c
// Every test ends by draining the network and destroying it, which fails on a leaked frame slot.
import { describe, expect, it } from "vitest";
import { CommitState } from "../../../src/wire/commit.js";
import { commitSpec, commitWorld } from "./support.js";

const T = (k: number, us: number): number => 1_000_000 + k * 1_000_000 + us * 1000;

describe("two-phase commit: no failure", () => {
  it("commits every transaction at every participant: 9 forced writes, 20 messages each", () => {
    const w = commitWorld(commitSpec());
    const r = w.finish("100ms");
    expect(r.transactions).toEqual({
      due: 20,
      started: 20,
      notStarted: 0,
      refused: 0,
      committed: 20,
      aborted: 0,
      undecided: 0,
    });
    expect(r.atomicity).toMatchObject({ transactions: 20, committed: 20, violations: 0 });
    // The first transaction waits for ARP; the others take the timeline above to the ns.
    expect(r.commitLatencyNs).toMatchObject({ count: 20, p50: 549_328, p90: 549_328, max: 702_992 });
    // Per transaction: PREPARED and COMMIT forced at each participant, COMMIT forced at c; END lazy.
    expect(r.log).toEqual({ forced: 180, lazy: 20 });
    expect(r.messages.total).toBe(400);
    expect(r.messages.sent).toEqual({ BEGIN: 80, PREPARE: 80, VOTE_YES: 80, COMMIT: 80, ACK: 80 });
    expect(r.messages.retransmissions).toBe(0);
    for (const p of r.perParticipant) expect([p.commits, p.blockedNs, p.blockedTransactions]).toEqual([20, 0, 0]);
  });

  it("with no work phase there is no BEGIN: four messages per participant, the textbook 2PC", () => {
    const r = commitWorld(commitSpec({ workNs: 0 })).finish("100ms");
    expect(r.transactions.committed).toBe(20);
    expect(r.messages.sent).toEqual({ PREPARE: 80, VOTE_YES: 80, COMMIT: 80, ACK: 80 });
    // The timeline above without the 100 us of work.
    expect(r.commitLatencyNs.p50).toBe(449_328);
  });

  it("votes of no abort: every transaction is decided the same everywhere", () => {
    const w = commitWorld(commitSpec({ voteNo: 0.1, count: 40 }), { seed: 3 });
    const r = w.finish("100ms");
    const votesNo = r.perParticipant.reduce((n, p) => n + p.votesNo, 0);
    expect(r.transactions.committed + r.transactions.aborted).toBe(40);
    expect(r.transactions.aborted).toBe(r.decisions.abortVotedNo);
    expect(r.decisions.abortVotedNo).toBeGreaterThan(5);
    expect(votesNo).toBeGreaterThanOrEqual(r.decisions.abortVotedNo);
    expect(r.atomicity.violations).toBe(0);
  });

  it("a fanout of 2 touches two participants a transaction, drawn at random", () => {
    const w = commitWorld(commitSpec({ fanout: 2, count: 30 }));
    const r = w.finish("100ms");
    expect(r.transactions.committed).toBe(30);
    const commits = r.perParticipant.map((p) => p.commits);
    expect(commits.reduce((a, b) => a + b, 0)).toBe(60);
    expect(Math.min(...commits)).toBeGreaterThan(0);
    expect(r.messages.sent["PREPARE"]).toBe(60);
  });
});

describe("two-phase commit: participant crashes", () => {
  it("before its vote: its work is lost, it votes no when asked again, the transaction aborts", () => {
    const w = commitWorld(commitSpec({ count: 5 }));
    // p2 crashes while its PREPARED record of transaction 2 is being forced; back before
    // transaction 3 starts.
    w.net.crash("p2", T(2, 250), T(2, 700));
    const r = w.finish("100ms");
    expect(r.transactions).toMatchObject({ committed: 4, aborted: 1, undecided: 0 });
    expect(r.atomicity.violations).toBe(0);
    const p2 = r.perParticipant[2]!;
    // The coordinator resent PREPARE until p2 was back: p2 had not joined (its BEGIN died with it).
    expect([p2.noNotJoined, p2.crashes, p2.restarts, p2.inDoubtAtRestart]).toEqual([1, 1, 1, 0]);
    expect(r.decisions.abortVotedNo).toBe(1);
    for (const p of r.perParticipant) expect(p.blockedNs).toBe(0);
  });

  it("after its yes vote: back up, it is in doubt from its log, asks, and commits", () => {
    const w = commitWorld(commitSpec({ count: 5 }));
    // p2 crashes after its vote; the COMMIT reaches its NIC while it is down.
    w.net.crash("p2", T(2, 350), T(2, 700));
    const r = w.finish("100ms");
    expect(r.transactions).toMatchObject({ committed: 5, aborted: 0, undecided: 0 });
    const p2 = r.perParticipant[2]!;
    expect([p2.inDoubtAtRestart, p2.blockedTransactions, p2.commits]).toEqual([1, 1, 5]);
    // Blocked from the restart until the coordinator's answer: one round trip and a forced write.
    expect(p2.blockedNs).toBeGreaterThan(100_000);
    expect(p2.blockedNs).toBeLessThan(1_000_000);
    expect(r.messages.sent["STATE_REQUEST"]).toBe(1);
    expect(r.atomicity.violations).toBe(0);
  });
});

describe("two-phase commit: coordinator crashes", () => {
  it("after the votes, before its decision is durable: the participants block until it is back, then abort", () => {
    const w = commitWorld(commitSpec({ count: 5 }));
    w.net.crash("c", T(2, 450), T(2, 30_000));
    const r = w.finish("200ms");
    // Transactions 3 and 4 were due while c was down; 2 is aborted by presumed abort.
    expect(r.transactions).toMatchObject({ started: 3, notStarted: 2, committed: 2, aborted: 1, undecided: 0 });
    expect(r.decisions.presumedAborts).toBe(4);
    for (const p of r.perParticipant) {
      expect(p.blockedTransactions).toBe(1);
      // In doubt from ~T + 10.3 ms (vote + decision timeout) to at least the restart at T + 30 ms.
      expect(p.blockedNs).toBeGreaterThan(19_000_000);
      expect(p.blockedNs).toBeLessThan(40_000_000);
      expect(p.aborts).toBe(1);
    }
    expect(r.atomicity.violations).toBe(0);
  });

  it("after its decision is durable: back up, it resends the decision from its log", () => {
    const w = commitWorld(commitSpec({ count: 5 }));
    w.net.crash("c", T(2, 600), T(2, 30_000));
    const r = w.finish("200ms");
    expect(r.transactions).toMatchObject({ started: 3, committed: 3, aborted: 0, undecided: 0 });
    expect(r.decisions.recovered).toBe(1);
    // The participants committed at once; only their acknowledgements waited for c.
    for (const p of r.perParticipant) expect([p.commits, p.blockedNs]).toEqual([3, 0]);
    expect(r.messages.sent["COMMIT"]).toBe(16);
    expect(r.decisions.ended).toBe(3);
  });

  it("before the vote request: the participants give up waiting and abort on their own", () => {
    const w = commitWorld(commitSpec({ count: 5 }));
    w.net.crash("c", T(2, 50), T(2, 30_000));
    const r = w.finish("200ms");
    expect(r.transactions).toMatchObject({ committed: 2, aborted: 1, undecided: 0 });
    for (const p of r.perParticipant) expect([p.unilateralAborts, p.blockedNs]).toEqual([1, 0]);
  });
});

describe("two-phase commit: loss", () => {
  it("5% loss on every link: retransmissions, no violation, every transaction decided", () => {
    const w = commitWorld(commitSpec({ count: 50 }), { loss: 0.05, seed: 11 });
    const r = w.finish("500ms");
    expect(r.transactions.committed + r.transactions.aborted).toBe(50);
    expect(r.transactions.undecided).toBe(0);
    expect(r.messages.retransmissions).toBeGreaterThan(10);
    expect(r.atomicity.violations).toBe(0);
    // A lost BEGIN means a vote of no: the participant never did the work.
    const notJoined = r.perParticipant.reduce((n, p) => n + p.noNotJoined, 0);
    expect(r.transactions.aborted).toBeGreaterThanOrEqual(1);
    expect(notJoined).toBeGreaterThanOrEqual(r.transactions.aborted - r.decisions.abortVoteTimeout);
  });
});

describe("two-phase commit: bounded tables and logs", () => {
  it("a participant whose log is full votes no; a coordinator whose log is full aborts without a record", () => {
    // p1 holds 7 records: room for 3 transactions (PREPARED + COMMIT each), not for a fourth,
    // which would leave it unable to log its decision: it votes no on 3, 4 and 5.
    const p = commitWorld(commitSpec({ count: 6 }), { maxRecords: { p1: 7 } }).finish("100ms");
    expect(p.transactions).toMatchObject({ committed: 3, aborted: 3, undecided: 0 });
    expect([p.perParticipant[1]!.noForLackOfRoom, p.perParticipant[1]!.notLogged]).toEqual([3, 0]);
    expect(p.atomicity.violations).toBe(0);
    // c holds 4 records: COMMIT and END of transactions 0 and 1; then no decision can be logged.
    const c = commitWorld(commitSpec({ count: 4 }), { maxRecords: { c: 4 } }).finish("100ms");
    expect(c.decisions).toMatchObject({ commits: 2, abortLogFull: 2 });
    expect(c.transactions).toMatchObject({ committed: 2, aborted: 2, undecided: 0 });
    expect(c.atomicity.violations).toBe(0);
  });

  it("the coordinator refuses a transaction when maxActive are in progress", () => {
    // Transactions 200 us apart take ~785 us each: with room for 2, some find none.
    const r = commitWorld(commitSpec({ count: 20, intervalNs: 200_000, maxActive: 2 })).finish("100ms");
    expect(r.transactions.refused).toBeGreaterThan(0);
    expect(r.transactions.started + r.transactions.refused).toBe(20);
    expect(r.transactions.committed).toBe(r.transactions.started);
  });
});

describe("durable state", () => {
  it("the checker reads the participants' logs: a participant's volatile state agrees with it", () => {
    const w = commitWorld(commitSpec({ count: 3 }));
    w.net.run("50ms");
    for (const p of w.workload.participants)
      for (let tx = 0; tx < 3; tx++) expect(p.stateOf(tx)).toBe(CommitState.COMMITTED);
    const r = w.finish("60ms");
    expect(r.atomicity.committed).toBe(3);
  });
});
