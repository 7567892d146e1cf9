// The commit protocols' log on a host's stable storage: the record format, and the replay that
// turns a durable log back into what a party knew (at a restart, and for the atomicity check).
//
// Contract:
// - A record is 12 bytes: kind (u8), LOG_MARK (u8), the workload's tag (u16 BE: its port, which
//   is unique per host, so several workloads can share a host's log), transaction id (u32 BE),
//   participants mask (u32 BE). encodeLogRecord() makes a fresh array, fillLogRecord() writes
//   into a given one (the log keeps a copy of what it is given);
//   readLogKind() checks one and never throws: a record that is not ours (another protocol's,
//   another workload's) is skipped and counted by the replay.
// - replayLog() applies records in log order to per-transaction arrays: a decision (COMMIT,
//   ABORT) wins over PRECOMMIT, which wins over PREPARED; END marks a coordinator's transaction
//   finished. Transaction ids at or above the arrays' length are skipped and counted.
// - LogDevice is the part of the host's StableStorage (src/devices/stable-storage.ts) the
//   protocols use: write = a forced write (append + sync), append = a lazy one.

import { CommitState, type CommitState as State } from "../../wire/commit.js";

export const LOG_RECORD_LEN = 12;
/** Second byte of every commit-log record. */
export const LOG_MARK = 0xc7;

/** Record kinds. */
export const LogKind = {
  /** Participant: voted yes (forced before the vote goes). */
  PREPARED: 1,
  /** Three-phase commit: pre-committed (forced before the acknowledgement goes). */
  PRECOMMIT: 2,
  COMMIT: 3,
  ABORT: 4,
  /** Coordinator: every participant acknowledged the decision (lazy). */
  END: 5,
} as const;
export type LogKind = (typeof LogKind)[keyof typeof LogKind];

/** What the protocols need of the host's stable storage. */
export interface LogDevice {
  /** A forced write: `done` runs once the record is durable (never, when the host crashes first). -1 = log full. */
  write(record: Uint8Array, done?: () => void): number;
  /** A lazy write: durable with the next sync. -1 = log full. */
  append(record: Uint8Array): number;
  /** The records that survive a crash. */
  readonly durable: readonly Uint8Array[];
  /** Every record appended and not lost (durable or not), and the log's bounds. */
  readonly records: readonly Uint8Array[];
  readonly maxRecords: number;
  readonly maxBytes: number;
  stats(): { bytes: number };
}

export function encodeLogRecord(tag: number, kind: LogKind, transaction: number, participants: number): Uint8Array {
  return fillLogRecord(new Uint8Array(LOG_RECORD_LEN), tag, kind, transaction, participants);
}

/**
 * Writes a record into `r` (LOG_RECORD_LEN bytes) and returns it. The parties reuse one buffer:
 * StableStorage.append keeps a copy, so the per-record allocation is the log's own.
 */
export function fillLogRecord(
  r: Uint8Array,
  tag: number,
  kind: LogKind,
  transaction: number,
  participants: number,
): Uint8Array {
  r[0] = kind;
  r[1] = LOG_MARK;
  r[2] = tag >>> 8;
  r[3] = tag;
  r[4] = transaction >>> 24;
  r[5] = transaction >>> 16;
  r[6] = transaction >>> 8;
  r[7] = transaction;
  r[8] = participants >>> 24;
  r[9] = participants >>> 16;
  r[10] = participants >>> 8;
  r[11] = participants;
  return r;
}

/** The kind of a well-formed record of workload `tag`, or 0 when the record is not one of its. */
export function readLogKind(r: Uint8Array, tag: number): number {
  if (r.length !== LOG_RECORD_LEN || r[1] !== LOG_MARK || ((r[2]! << 8) | r[3]!) !== tag) return 0;
  const k = r[0]!;
  return k >= LogKind.PREPARED && k <= LogKind.END ? k : 0;
}

export function readLogTransaction(r: Uint8Array): number {
  return ((r[4]! << 24) | (r[5]! << 16) | (r[6]! << 8) | r[7]!) >>> 0;
}

export function readLogParticipants(r: Uint8Array): number {
  return ((r[8]! << 24) | (r[9]! << 16) | (r[10]! << 8) | r[11]!) >>> 0;
}

/** Per-transaction knowledge rebuilt from a log (arrays indexed by transaction id). */
export interface LogKnowledge {
  /** CommitState: NONE, UNCERTAIN (prepared), PRECOMMITTED, COMMITTED or ABORTED. */
  state: Uint8Array;
  /** Participants mask from the records that carry one. */
  participants: Uint32Array;
  /** 1 where an END record was read. */
  ended: Uint8Array;
}

export interface ReplayStats {
  records: number;
  /** Records that are not this workload's commit-log records. */
  foreign: number;
  /** Records naming a transaction id beyond the arrays. */
  outOfRange: number;
}

const STATE_OF_KIND: readonly State[] = [
  CommitState.NONE,
  CommitState.UNCERTAIN,
  CommitState.PRECOMMITTED,
  CommitState.COMMITTED,
  CommitState.ABORTED,
];

/** Rank of a state in the replay: a decision beats a pre-commit beats a prepare. */
function rank(s: number): number {
  return s === CommitState.COMMITTED || s === CommitState.ABORTED ? 3 : s === CommitState.PRECOMMITTED ? 2 : s;
}

export function emptyKnowledge(transactions: number): LogKnowledge {
  return {
    state: new Uint8Array(transactions),
    participants: new Uint32Array(transactions),
    ended: new Uint8Array(transactions),
  };
}

/** Applies workload `tag`'s records among `records`, in order, to `into` (see the module comment). */
export function replayLog(records: readonly Uint8Array[], tag: number, into: LogKnowledge): ReplayStats {
  const stats: ReplayStats = { records: 0, foreign: 0, outOfRange: 0 };
  const n = into.state.length;
  for (const r of records) {
    stats.records++;
    const kind = readLogKind(r, tag);
    if (kind === 0) {
      stats.foreign++;
      continue;
    }
    const tx = readLogTransaction(r);
    if (tx >= n) {
      stats.outOfRange++;
      continue;
    }
    if (kind === LogKind.END) {
      into.ended[tx] = 1;
      continue;
    }
    const mask = readLogParticipants(r);
    if (mask !== 0) into.participants[tx] = mask;
    const s = STATE_OF_KIND[kind]!;
    // The first decision stands: a second, different one in the same log is a protocol bug the
    // atomicity check reports from the participants' side; replay keeps what was decided first.
    const cur = into.state[tx]!;
    if (rank(s) > rank(cur) || (rank(cur) < 3 && rank(s) === rank(cur))) into.state[tx] = s;
  }
  return stats;
}
