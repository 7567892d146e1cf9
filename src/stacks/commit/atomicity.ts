// The atomicity check a commit workload applies to its own run: at the end, is every
// transaction committed at every participant it touched, or aborted at every one? Judged on
// the participants' DURABLE state (what their logs would give back after a crash), not on what
// their volatile memory or the coordinator believes.
//
// Contract:
// - checkAtomicity(started, participants, durable, names) classifies each started transaction
//   from the durable state at each participant it touched (durable[i][tx], a CommitState from
//   replayLog): committed (committed at all), aborted (no commit anywhere and nobody in doubt:
//   aborted, or no record at all, which presumed abort reads as aborted), undecided (no
//   contradiction, but someone is in doubt: prepared or pre-committed with no decision), or a
//   violation: committed somewhere and aborted somewhere, or committed somewhere while another
//   participant has no durable yes vote (it could never commit).
// - The result counts each class and keeps the first few undecided transactions and
//   violations with the participants by name. atomicityError() turns a result with violations
//   into the NetloomError (CHECK_FAILED) that fails the run, naming the first transaction and
//   its participants.
// - Pure: it reads arrays only, so it runs on a merged partitioned report as on a serial one.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { CommitState } from "../../wire/commit.js";

/** How many undecided transactions and violations a result lists by name. */
export const ATOMICITY_EXAMPLES = 5;

export interface AtomicityViolation {
  transaction: number;
  committedAt: string[];
  abortedAt: string[];
  /** Participants with no durable yes vote for a transaction committed elsewhere. */
  notPreparedAt: string[];
}

export interface AtomicityResult {
  /** Transactions checked (every started one). */
  transactions: number;
  committed: number;
  aborted: number;
  undecided: number;
  violations: number;
  /** The first undecided transactions, with the participants in doubt. */
  undecidedExamples: { transaction: number; inDoubtAt: string[] }[];
  violationExamples: AtomicityViolation[];
}

/**
 * `started[tx] >= 0` for every started transaction; `participants[tx]` its mask; durable[i] the
 * durable state of participant i by transaction; names[i] its name.
 */
export function checkAtomicity(
  started: Float64Array,
  participants: Uint32Array,
  durable: readonly Uint8Array[],
  names: readonly string[],
): AtomicityResult {
  const r: AtomicityResult = {
    transactions: 0,
    committed: 0,
    aborted: 0,
    undecided: 0,
    violations: 0,
    undecidedExamples: [],
    violationExamples: [],
  };
  for (let tx = 0; tx < started.length; tx++) {
    if (started[tx]! < 0) continue;
    r.transactions++;
    let committed = 0;
    let aborted = 0;
    let doubt = 0;
    let none = 0;
    for (let m = participants[tx]!; m !== 0; m &= m - 1) {
      const i = 31 - Math.clz32(m & -m);
      const st = durable[i]?.[tx] ?? CommitState.NONE;
      const bit = 1 << i;
      if (st === CommitState.COMMITTED) committed |= bit;
      else if (st === CommitState.ABORTED) aborted |= bit;
      else if (st === CommitState.UNCERTAIN || st === CommitState.PRECOMMITTED) doubt |= bit;
      else none |= bit;
    }
    if (committed !== 0 && (aborted | none) !== 0) {
      r.violations++;
      if (r.violationExamples.length < ATOMICITY_EXAMPLES) {
        r.violationExamples.push({
          transaction: tx,
          committedAt: namesOf(committed, names),
          abortedAt: namesOf(aborted, names),
          notPreparedAt: namesOf(none, names),
        });
      }
    } else if (doubt !== 0) {
      r.undecided++;
      if (r.undecidedExamples.length < ATOMICITY_EXAMPLES)
        r.undecidedExamples.push({ transaction: tx, inDoubtAt: namesOf(doubt, names) });
    } else if (committed !== 0) r.committed++;
    else r.aborted++;
  }
  return r;
}

function namesOf(mask: number, names: readonly string[]): string[] {
  const out: string[] = [];
  for (let m = mask; m !== 0; m &= m - 1) out.push(names[31 - Math.clz32(m & -m)] ?? "?");
  return out;
}

/** The error that fails a run whose check found violations; undefined when there are none. */
export function atomicityError(path: string, workload: string, r: AtomicityResult): NetloomError | undefined {
  const v = r.violationExamples[0];
  if (r.violations === 0 || v === undefined) return undefined;
  const parts = [`committed at ${v.committedAt.join(", ")}`];
  if (v.abortedAt.length > 0) parts.push(`aborted at ${v.abortedAt.join(", ")}`);
  if (v.notPreparedAt.length > 0) parts.push(`never durably prepared at ${v.notPreparedAt.join(", ")}`);
  const more = r.violations > 1 ? ` (${r.violations - 1} more transactions violate atomicity)` : "";
  return new NetloomError(
    ErrorCode.CHECK_FAILED,
    `${workload}: atomicity violated: transaction ${v.transaction} is ${parts.join(" but ")} in the participants' durable logs${more}`,
    { path },
  );
}
