// What the run records about each commit party: the measurements of the run, kept outside the
// party's volatile state, so a crash of the host loses the protocol's memory but not the run's.
//
// Contract:
// - CoordinatorRecord: per transaction (arrays indexed by id) when it started, which
//   participants it touched, the coordinator's decision and when that decision was durable
//   (the commit point: a client could be told). Counters of starts, refusals and decisions.
// - ParticipantRecord: votes, unilateral aborts, decisions, log writes, and blocked time: the
//   union of the intervals in which at least one transaction the participant voted yes on was
//   in doubt past the decision timeout (or since a restart found it in doubt). An interval
//   ends when the last such transaction is decided, at a crash (a crashed host is down, not
//   blocked), or at the end of the run (blockedNs(endNs)).
// - Both are plain data plus counters; state() forms are structured-clone safe (they cross
//   worker threads in partitioned runs).

import { CommitState } from "../../wire/commit.js";
import { MessageCounters, type MessageCountersJson } from "./commit-channel.js";

export interface CoordinatorCounters {
  /** Transactions begun. */
  started: number;
  /** Transactions due while the coordinator was down. */
  notStarted: number;
  /** Transactions due while maxActive were in progress. */
  refused: number;
  commits: number;
  aborts: number;
  /** Why aborts were decided. */
  abortVotedNo: number;
  abortVoteTimeout: number;
  /** The decision record found the log full: abort, with no record (presumed abort). */
  abortLogFull: number;
  /** Decisions adopted from the participants by a recovering three-phase coordinator. */
  adopted: number;
  /** Votes for a transaction the coordinator no longer knows, answered with ABORT (presumed abort). */
  presumedAborts: number;
  /** Transactions found decided but not ended in the log at a restart, driven again. */
  recovered: number;
  /** END records written (every participant acknowledged). */
  ended: number;
  forcedWrites: number;
  lazyWrites: number;
  crashes: number;
  restarts: number;
}

export interface ParticipantCounters {
  votesYes: number;
  votesNo: number;
  /** No vote: no request came within the vote-request timeout. */
  unilateralAborts: number;
  /** Aborted on its own when asked for its state before it had voted. */
  abortsOnRequest: number;
  /** Votes of no for a transaction not joined (BEGIN lost, table full, work lost in a crash). */
  noNotJoined: number;
  /** Votes of no for want of log room for the transaction's records. */
  noForLackOfRoom: number;
  /** Records that found the log full after the vote (another workload took the room): applied, not durable. */
  notLogged: number;
  commits: number;
  aborts: number;
  /** Decisions learnt from another participant (cooperative termination, 3PC termination). */
  decisionsFromPeers: number;
  /** Decisions made as the 3PC termination protocol's leader. */
  ledTerminations: number;
  /** A decision that contradicts the one already made (a broken coordinator): ignored. */
  conflictingDecisions: number;
  /** Transactions that were blocked at some point. */
  blockedTransactions: number;
  /** Transactions in doubt in the log at restarts. */
  inDoubtAtRestart: number;
  forcedWrites: number;
  lazyWrites: number;
  crashes: number;
  restarts: number;
}

export class CoordinatorRecord {
  /** Start time of each transaction, ns (-1: not started). */
  readonly start: Float64Array;
  /** Participants mask of each transaction. */
  readonly participants: Uint32Array;
  /** The coordinator's decision (CommitState.COMMITTED / ABORTED, 0 = none). */
  readonly decision: Uint8Array;
  /** When the decision was durable (the commit point), ns. */
  readonly decidedAt: Float64Array;
  readonly counters: CoordinatorCounters = {
    started: 0,
    notStarted: 0,
    refused: 0,
    commits: 0,
    aborts: 0,
    abortVotedNo: 0,
    abortVoteTimeout: 0,
    abortLogFull: 0,
    adopted: 0,
    presumedAborts: 0,
    recovered: 0,
    ended: 0,
    forcedWrites: 0,
    lazyWrites: 0,
    crashes: 0,
    restarts: 0,
  };
  readonly messages = new MessageCounters();

  constructor(transactions: number) {
    this.start = new Float64Array(transactions).fill(-1);
    this.participants = new Uint32Array(transactions);
    this.decision = new Uint8Array(transactions);
    this.decidedAt = new Float64Array(transactions);
  }

  /** The coordinator's decision of `tx` became durable at `now` (the first decision counts). */
  decided(tx: number, d: number, now: number): void {
    if (this.decision[tx] !== 0) return;
    this.decision[tx] = d;
    this.decidedAt[tx] = now;
    if (d === CommitState.COMMITTED) this.counters.commits++;
    else this.counters.aborts++;
  }

  state(): CoordinatorState {
    return {
      start: this.start,
      participants: this.participants,
      decision: this.decision,
      decidedAt: this.decidedAt,
      counters: { ...this.counters },
      messages: this.messages.toJSON(),
    };
  }
}

export interface CoordinatorState {
  start: Float64Array;
  participants: Uint32Array;
  decision: Uint8Array;
  decidedAt: Float64Array;
  counters: CoordinatorCounters;
  messages: MessageCountersJson;
}

export class ParticipantRecord {
  readonly counters: ParticipantCounters = {
    votesYes: 0,
    votesNo: 0,
    unilateralAborts: 0,
    abortsOnRequest: 0,
    noNotJoined: 0,
    noForLackOfRoom: 0,
    notLogged: 0,
    commits: 0,
    aborts: 0,
    decisionsFromPeers: 0,
    ledTerminations: 0,
    conflictingDecisions: 0,
    blockedTransactions: 0,
    inDoubtAtRestart: 0,
    forcedWrites: 0,
    lazyWrites: 0,
    crashes: 0,
    restarts: 0,
  };
  readonly messages = new MessageCounters();
  private blocked = 0;
  private since = 0;
  private total = 0;
  private longest = 0;

  /** One more transaction is blocked at `now`. */
  block(now: number): void {
    this.counters.blockedTransactions++;
    if (this.blocked++ === 0) this.since = now;
  }

  /** One blocked transaction was decided at `now`. */
  unblock(now: number): void {
    if (this.blocked === 0) return;
    if (--this.blocked === 0) this.close(now);
  }

  /** A crash at `now`: every blocked interval ends. */
  crashed(now: number): void {
    if (this.blocked > 0) this.close(now);
    this.blocked = 0;
  }

  private close(now: number): void {
    const d = now - this.since;
    this.total += d;
    if (d > this.longest) this.longest = d;
  }

  /** Blocked time up to `endNs` (an interval still open counts up to it). */
  blockedNs(endNs: number): { total: number; longest: number; blockedAtEnd: number } {
    const open = this.blocked > 0 ? Math.max(0, endNs - this.since) : 0;
    return { total: this.total + open, longest: Math.max(this.longest, open), blockedAtEnd: this.blocked };
  }
}
