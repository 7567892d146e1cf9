// The atomicity check: its classification on hand-made durable states, and deliberately broken
// parties (CommitFault) whose runs it must fail, each beside the correct party in the same
// situation, which it must pass. Timeline of transaction k as in two-phase-commit.test.ts.
import { describe, expect, it } from "vitest";
import { ErrorCode, NetloomError } from "../../../src/base/errors.js";
import { atomicityError, checkAtomicity } from "../../../src/stacks/commit/atomicity.js";
import type { CommitFault } from "../../../src/stacks/commit/commit-config.js";
import { failOnViolation } from "../../../src/traffic/commit-report.js";
import { CommitState } from "../../../src/wire/commit.js";
import { commitSpec, commitWorld } from "./support.js";

const T = (k: number, us: number): number => 1_000_000 + k * 1_000_000 + us * 1000;
const { NONE, UNCERTAIN, PRECOMMITTED, COMMITTED: C, ABORTED: A } = CommitState;

describe("checkAtomicity", () => {
  const names = ["p0", "p1", "p2"];
  // Seven transactions over three participants; tx 5 touches p0 and p1 only; tx 6 never started.
  const started = Float64Array.from([0, 1, 2, 3, 4, 5, -1]);
  const mask = Uint32Array.from([7, 7, 7, 7, 7, 3, 7]);
  const durable = [
    Uint8Array.from([C, A, C, UNCERTAIN, C, A, C]),
    Uint8Array.from([C, NONE, PRECOMMITTED, UNCERTAIN, A, A, C]),
    Uint8Array.from([C, A, C, NONE, C, C, A]),
  ];

  it("classifies each started transaction from the participants it touched", () => {
    const r = checkAtomicity(started, mask, durable, names);
    expect(r).toEqual({
      transactions: 6,
      committed: 1, // tx 0
      aborted: 2, // tx 1 (no record at p1: presumed abort), tx 5 (p2 is not in it)
      undecided: 2, // tx 2 (p1 pre-committed), tx 3 (p0, p1 prepared)
      violations: 1, // tx 4
      undecidedExamples: [
        { transaction: 2, inDoubtAt: ["p1"] },
        { transaction: 3, inDoubtAt: ["p0", "p1"] },
      ],
      violationExamples: [{ transaction: 4, committedAt: ["p0", "p2"], abortedAt: ["p1"], notPreparedAt: [] }],
    });
  });

  it("a commit beside a participant with no durable yes vote is a violation too", () => {
    const r = checkAtomicity(Float64Array.of(0), Uint32Array.of(3), [Uint8Array.of(C), Uint8Array.of(NONE)], names);
    expect(r.violationExamples).toEqual([
      { transaction: 0, committedAt: ["p0"], abortedAt: [], notPreparedAt: ["p1"] },
    ]);
  });

  it("the error names the transaction, the participants and the path", () => {
    const err = atomicityError("workloads[2]", "bank", checkAtomicity(started, mask, durable, names));
    expect(err).toBeInstanceOf(NetloomError);
    expect(err!.code).toBe(ErrorCode.CHECK_FAILED);
    expect(err!.message).toBe(
      "workloads[2]: bank: atomicity violated: transaction 4 is committed at p0, p2 but aborted at p1 in the participants' durable logs",
    );
    expect(
      atomicityError(
        "workloads[0]",
        "bank",
        checkAtomicity(
          started,
          mask,
          durable.map(() => Uint8Array.of(C)),
          names,
        ),
      ),
    ).toBeUndefined();
  });
});

function run(fault: CommitFault | undefined, setup: (w: ReturnType<typeof commitWorld>) => void) {
  const w = commitWorld(commitSpec({ count: 5, ...(fault !== undefined ? { fault } : {}) }));
  setup(w);
  return w.finish("200ms");
}

describe("broken parties, caught", () => {
  it("split-decision: COMMIT to three participants, ABORT to the last one", () => {
    const r = run("split-decision", () => {});
    expect(r.atomicity).toMatchObject({ transactions: 5, committed: 0, violations: 5 });
    expect(r.atomicity.violationExamples[0]).toEqual({
      transaction: 0,
      committedAt: ["p0", "p1", "p2"],
      abortedAt: ["p3"],
      notPreparedAt: [],
    });
    expect(() => failOnViolation(r, 0)).toThrow(
      "workloads[0]: tx: atomicity violated: transaction 0 is committed at p0, p1, p2 but aborted at p3 in the participants' durable logs (4 more transactions violate atomicity)",
    );
    const correct = run(undefined, () => {});
    expect(correct.atomicity).toMatchObject({ committed: 5, violations: 0 });
  });

  // p3 is cut off once it has voted on transaction 2, until T + 25 ms; the coordinator crashes at
  // T + 500 us and is back at T + 30 ms (after the heal: its ARP requests then find p3). A correct coordinator sends nothing before its COMMIT
  // record is durable (T + 549 us), so the crash aborts the transaction everywhere. One that
  // sends COMMIT at once (T + 448 us) loses the record it never forced: p0..p2 commit, p3 (in
  // doubt) asks the restarted coordinator, which presumes abort.
  const unforcedDecision = (w: ReturnType<typeof commitWorld>) => {
    w.net.partition("cut-p3", [["p3"], ["sw"]], T(2, 400), T(2, 25_000));
    w.net.crash("c", T(2, 500), T(2, 30_000));
  };

  it("unforced-decision: the decision is sent before it is durable, and a crash loses it", () => {
    const r = run("unforced-decision", unforcedDecision);
    expect(r.atomicity.violations).toBe(1);
    expect(r.atomicity.violationExamples[0]).toEqual({
      transaction: 2,
      committedAt: ["p0", "p1", "p2"],
      abortedAt: ["p3"],
      notPreparedAt: [],
    });
    expect(() => failOnViolation(r, 0)).toThrow(/transaction 2 is committed at p0, p1, p2 but aborted at p3/);
    const correct = run(undefined, unforcedDecision);
    expect(correct.atomicity).toMatchObject({ violations: 0, undecided: 0 });
    expect(correct.transactions.aborted).toBe(1);
  });

  // p2 crashes at T + 240 us, after its PREPARE arrives (~T + 227 us) and before a PREPARED
  // record could be durable (~T + 328 us); back at T + 700 us.
  const p2Crash = (w: ReturnType<typeof commitWorld>) => w.net.crash("p2", T(2, 240), T(2, 700));

  it("unforced-prepare: a yes vote before the prepared record is durable, and a crash loses it", () => {
    const r = run("unforced-prepare", p2Crash);
    expect(r.atomicity.violationExamples[0]).toEqual({
      transaction: 2,
      committedAt: ["p0", "p1", "p3"],
      abortedAt: [],
      notPreparedAt: ["p2"],
    });
    expect(() => failOnViolation(r, 0)).toThrow(/never durably prepared at p2/);
    const correct = run(undefined, p2Crash);
    expect(correct.atomicity).toMatchObject({ violations: 0, committed: 4, aborted: 1 });
  });
});
