// The run report's section of a two-phase-commit workload, and the merge of the parts that
// several partitions of a parallel run hold.
//
// Contract:
// - commitReport(spec, state, index) turns a workload's end state into figures: transactions
//   due, started, not started (coordinator down), refused (table full); committed, aborted and
//   undecided as the atomicity check finds them on the participants' durable logs; the
//   coordinator's decisions and why; commit latency (start to the durable commit decision,
//   virtual ns) p50/p90/p99/max by the nearest-rank rule over every committed transaction;
//   per participant its votes, decisions, log writes and blocked time; log writes (forced and
//   lazy) and messages of all parties together; and the atomicity figure itself.
// - failOnViolation(report, index) throws the check's NetloomError (CHECK_FAILED) when any
//   transaction is committed at one participant and aborted (or never durably prepared) at
//   another; the run fails with it.
// - mergeCommitStates(spec, stateOf) takes the coordinator's part from the partition that runs
//   the coordinator's host and each participant's from the one that runs its host.

import { atomicityError, checkAtomicity, type AtomicityResult } from "../stacks/commit/atomicity.js";
import { addCounters, type MessageCountersJson } from "../stacks/commit/commit-channel.js";
import type { CoordinatorCounters, ParticipantCounters } from "../stacks/commit/commit-record.js";
import { CommitState } from "../wire/commit.js";
import { commitTransactions, type TwoPhaseCommitSpec } from "./commit-spec.js";
import type { TwoPhaseCommitState } from "./two-phase-commit.js";

export interface LatencyPercentiles {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

export interface CommitParticipantReport extends ParticipantCounters {
  host: string;
  /** Time with at least one transaction blocked (in doubt past the decision timeout), ns. */
  blockedNs: number;
  /** The longest such interval, ns. */
  longestBlockedNs: number;
  /** Transactions still blocked when the run ended. */
  blockedAtEnd: number;
  messages: MessageCountersJson;
}

export interface TwoPhaseCommitReport {
  name: string;
  type: "two-phase-commit";
  protocol: TwoPhaseCommitSpec["protocol"];
  transport: TwoPhaseCommitSpec["transport"];
  coordinator: string;
  participants: string[];
  transactions: {
    due: number;
    started: number;
    notStarted: number;
    refused: number;
    committed: number;
    aborted: number;
    undecided: number;
  };
  /** The coordinator's counters: decisions and why, recoveries, log writes, crashes. */
  decisions: CoordinatorCounters;
  /** Start to the durable commit decision at the coordinator, virtual ns. */
  commitLatencyNs: LatencyPercentiles;
  perParticipant: CommitParticipantReport[];
  log: { forced: number; lazy: number };
  /** Every party's messages together; `total` = all sent. */
  messages: MessageCountersJson & { total: number };
  /** The coordinator's own. */
  coordinatorMessages: MessageCountersJson;
  atomicity: AtomicityResult;
}

/** Nearest-rank percentiles of `values` (sorted in place). */
export function percentiles(values: Float64Array): LatencyPercentiles {
  const n = values.length;
  if (n === 0) return { count: 0, p50: null, p90: null, p99: null, max: null, mean: null };
  values.sort();
  const at = (q: number): number => values[Math.max(0, Math.ceil(q * n) - 1)]!;
  let sum = 0;
  for (const v of values) sum += v;
  return { count: n, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: values[n - 1]!, mean: sum / n };
}

function commitLatencies(state: TwoPhaseCommitState): Float64Array {
  const c = state.coordinator;
  const out: number[] = [];
  for (let tx = 0; tx < c.decision.length; tx++)
    if (c.decision[tx] === CommitState.COMMITTED && c.start[tx]! >= 0) out.push(c.decidedAt[tx]! - c.start[tx]!);
  return Float64Array.from(out);
}

export function commitReport(spec: TwoPhaseCommitSpec, state: TwoPhaseCommitState): TwoPhaseCommitReport {
  const c = state.coordinator;
  const atomicity = checkAtomicity(
    c.start,
    c.participants,
    state.participants.map((p) => p.durable),
    spec.participants,
  );
  const perParticipant = state.participants.map(
    (p): CommitParticipantReport => ({
      host: p.host,
      ...p.counters,
      blockedNs: p.blocked.total,
      longestBlockedNs: p.blocked.longest,
      blockedAtEnd: p.blocked.blockedAtEnd,
      messages: p.messages,
    }),
  );
  let messages = c.messages;
  for (const p of state.participants) messages = addCounters(messages, p.messages);
  const total = Object.values(messages.sent).reduce((a, b) => a + b, 0);
  return {
    name: spec.name,
    type: "two-phase-commit",
    protocol: spec.protocol,
    transport: spec.transport,
    coordinator: spec.coordinator,
    participants: [...spec.participants],
    transactions: {
      due: commitTransactions(spec),
      started: c.counters.started,
      notStarted: c.counters.notStarted,
      refused: c.counters.refused,
      committed: atomicity.committed,
      aborted: atomicity.aborted,
      undecided: atomicity.undecided,
    },
    decisions: c.counters,
    commitLatencyNs: percentiles(commitLatencies(state)),
    perParticipant,
    log: {
      forced: c.counters.forcedWrites + perParticipant.reduce((n, p) => n + p.forcedWrites, 0),
      lazy: c.counters.lazyWrites + perParticipant.reduce((n, p) => n + p.lazyWrites, 0),
    },
    messages: { total, ...messages },
    coordinatorMessages: c.messages,
    atomicity,
  };
}

/** Throws the atomicity check's error when the report has a violation; `index` is the workload's. */
export function failOnViolation(report: TwoPhaseCommitReport, index: number): void {
  const err = atomicityError(`workloads[${index}]`, report.name, report.atomicity);
  if (err !== undefined) throw err;
}

/** The workload's state from the partitions that run each of its parties. */
export function mergeCommitStates(
  spec: TwoPhaseCommitSpec,
  stateOf: (host: string) => TwoPhaseCommitState,
): TwoPhaseCommitState {
  return {
    name: spec.name,
    coordinator: stateOf(spec.coordinator).coordinator,
    participants: spec.participants.map((h, i) => stateOf(h).participants[i]!),
  };
}
