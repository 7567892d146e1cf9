// Atomic commit messages (two-phase and three-phase commit, src/stacks/commit/): one 16-byte
// header per message, carried as the payload of one UDP datagram (or framed on a TCP stream).
//
// Contract:
// - CommitView is a thin, reusable view over bytes at (buffer, offset, length): getters and
//   setters only, no allocation; wrap() re-points it. checkLength() is the checked entry for
//   untrusted bytes and returns a CommitParseError (OK = 0).
// - parseCommitInto() fills a caller-owned repr without allocation and never throws;
//   emitCommit() writes the 16 bytes of a repr. Bytes after the header are ignored (reserved
//   for a later version; this one never sends any).
// - Every field is big endian. The magic and version make stray datagrams on the port
//   recognisable as someone else's, so they are dropped and counted, not misread.
//
//    0               1               2               3
//   +---------------+---------------+---------------+---------------+
//   |  magic 0x54   |  magic 0x43   |  version (1)  |     type      |  0   "TC"
//   +---------------+---------------+---------------+---------------+
//   |                    transaction id (u32)                       |  4
//   +---------------+---------------+---------------+---------------+
//   |          sender (u16)         |     state     |   protocol    |  8
//   +---------------+---------------+---------------+---------------+
//   |            participants of the transaction (u32 bit mask)     | 12
//   +---------------+---------------+---------------+---------------+  16
//
// sender: the participant's index in the workload (0..31), COORDINATOR_INDEX for the
// coordinator (or a participant acting as the termination protocol's leader sends its own).
// state: the sender's state of the transaction (CommitState) in STATE replies and ACKs, else 0.
// protocol: CommitProtocol; a receiver drops messages of another protocol (counted).

import { ByteView, readU16, readU32, writeU16, writeU32 } from "./byte-view.js";

export const COMMIT_HEADER_LEN = 16;
export const COMMIT_MAGIC = 0x5443;
export const COMMIT_VERSION = 1;
/** The sender field of a message from the coordinator. */
export const COORDINATOR_INDEX = 0xffff;
/** Most participants in one transaction (bits of the participants mask). */
export const COMMIT_MAX_PARTICIPANTS = 32;

/** Message types. */
export const CommitType = {
  /** The transaction's work: the participant joins and waits for the vote request. */
  BEGIN: 1,
  /** The vote request (phase one). */
  PREPARE: 2,
  VOTE_YES: 3,
  VOTE_NO: 4,
  /** Three-phase commit: the decision will be commit (phase two of three). */
  PRE_COMMIT: 5,
  PRE_COMMIT_ACK: 6,
  COMMIT: 7,
  ABORT: 8,
  /** A participant has made the decision durable (the coordinator may forget). */
  ACK: 9,
  /** What is your state of this transaction? (an in-doubt participant, a recovering coordinator) */
  STATE_REQUEST: 10,
  /** The answer: state holds the sender's state. */
  STATE: 11,
} as const;
export type CommitType = (typeof CommitType)[keyof typeof CommitType];
export const COMMIT_TYPE_NAMES: readonly string[] = [
  "",
  "BEGIN",
  "PREPARE",
  "VOTE_YES",
  "VOTE_NO",
  "PRE_COMMIT",
  "PRE_COMMIT_ACK",
  "COMMIT",
  "ABORT",
  "ACK",
  "STATE_REQUEST",
  "STATE",
];
const MAX_TYPE = CommitType.STATE;

/** A party's state of one transaction. */
export const CommitState = {
  /** Never heard of it, or heard of it and has not voted. */
  NONE: 0,
  /** Joined (BEGIN), has not voted. */
  WORKING: 1,
  /** Voted yes, decision unknown: in doubt. */
  UNCERTAIN: 2,
  /** Three-phase commit: pre-committed (the decision will be commit). */
  PRECOMMITTED: 3,
  COMMITTED: 4,
  ABORTED: 5,
  /** The coordinator, alive and still collecting votes or acknowledgements. */
  COORDINATING: 6,
  /** A coordinator that restarted and does not know the outcome (it asks the participants). */
  RECOVERING: 7,
} as const;
export type CommitState = (typeof CommitState)[keyof typeof CommitState];
export const COMMIT_STATE_NAMES: readonly string[] = [
  "none",
  "working",
  "uncertain",
  "precommitted",
  "committed",
  "aborted",
  "coordinating",
  "recovering",
];
const MAX_STATE = CommitState.RECOVERING;

/** The commit protocol a message belongs to. */
export const CommitProtocol = {
  TWO_PHASE: 1,
  /** Two-phase commit with the cooperative termination protocol. */
  TWO_PHASE_COOPERATIVE: 2,
  THREE_PHASE: 3,
} as const;
export type CommitProtocol = (typeof CommitProtocol)[keyof typeof CommitProtocol];

/** Why a message was refused (0 = accepted). Stable numbers: callers index drop counters by them. */
export const CommitParseError = {
  OK: 0,
  TRUNCATED: 1,
  BAD_MAGIC: 2,
  BAD_VERSION: 3,
  BAD_TYPE: 4,
  BAD_STATE: 5,
  BAD_PROTOCOL: 6,
} as const;
export type CommitParseError = (typeof CommitParseError)[keyof typeof CommitParseError];
export const COMMIT_ERROR_NAMES: readonly string[] = [
  "OK",
  "TRUNCATED",
  "BAD_MAGIC",
  "BAD_VERSION",
  "BAD_TYPE",
  "BAD_STATE",
  "BAD_PROTOCOL",
];

export class CommitView extends ByteView {
  override wrap(bytes: Uint8Array, offset: number, length: number): this {
    this.bytes = bytes;
    this.offset = offset;
    this.length = length;
    return this;
  }

  /** Checks untrusted bytes: the header fits, magic and version match, every code is known. */
  checkLength(): CommitParseError {
    if (this.length < COMMIT_HEADER_LEN) return CommitParseError.TRUNCATED;
    if (this.magic !== COMMIT_MAGIC) return CommitParseError.BAD_MAGIC;
    if (this.version !== COMMIT_VERSION) return CommitParseError.BAD_VERSION;
    const t = this.type;
    if (t < 1 || t > MAX_TYPE) return CommitParseError.BAD_TYPE;
    if (this.state > MAX_STATE) return CommitParseError.BAD_STATE;
    const p = this.protocol;
    if (p < CommitProtocol.TWO_PHASE || p > CommitProtocol.THREE_PHASE) return CommitParseError.BAD_PROTOCOL;
    return CommitParseError.OK;
  }

  get magic(): number {
    return readU16(this.bytes, this.offset);
  }
  set magic(value: number) {
    writeU16(this.bytes, this.offset, value);
  }
  get version(): number {
    return this.bytes[this.offset + 2]!;
  }
  set version(value: number) {
    this.bytes[this.offset + 2] = value;
  }
  get type(): number {
    return this.bytes[this.offset + 3]!;
  }
  set type(value: number) {
    this.bytes[this.offset + 3] = value;
  }
  get transaction(): number {
    return readU32(this.bytes, this.offset + 4);
  }
  set transaction(value: number) {
    writeU32(this.bytes, this.offset + 4, value);
  }
  get sender(): number {
    return readU16(this.bytes, this.offset + 8);
  }
  set sender(value: number) {
    writeU16(this.bytes, this.offset + 8, value);
  }
  get state(): number {
    return this.bytes[this.offset + 10]!;
  }
  set state(value: number) {
    this.bytes[this.offset + 10] = value;
  }
  get protocol(): number {
    return this.bytes[this.offset + 11]!;
  }
  set protocol(value: number) {
    this.bytes[this.offset + 11] = value;
  }
  get participants(): number {
    return readU32(this.bytes, this.offset + 12);
  }
  set participants(value: number) {
    writeU32(this.bytes, this.offset + 12, value);
  }
}

export interface CommitRepr {
  type: CommitType;
  transaction: number;
  sender: number;
  state: CommitState;
  protocol: CommitProtocol;
  /** Bit i set: participant i takes part in the transaction. */
  participants: number;
}

export function createCommitRepr(): CommitRepr {
  return {
    type: CommitType.BEGIN,
    transaction: 0,
    sender: 0,
    state: CommitState.NONE,
    protocol: CommitProtocol.TWO_PHASE,
    participants: 0,
  };
}

/** Checks untrusted bytes and fills `repr` in place (no allocation). */
export function parseCommitInto(view: CommitView, repr: CommitRepr): CommitParseError {
  const status = view.checkLength();
  if (status !== CommitParseError.OK) return status;
  repr.type = view.type as CommitType;
  repr.transaction = view.transaction;
  repr.sender = view.sender;
  repr.state = view.state as CommitState;
  repr.protocol = view.protocol as CommitProtocol;
  repr.participants = view.participants;
  return CommitParseError.OK;
}

/** parseCommitInto into a new repr: the repr, or the error code (a number). */
export function parseCommit(view: CommitView): CommitRepr | CommitParseError {
  const repr = createCommitRepr();
  const status = parseCommitInto(view, repr);
  return status === CommitParseError.OK ? repr : status;
}

/** Writes the 16 bytes of `repr` at the start of the view (which must hold them). */
export function emitCommit(repr: CommitRepr, view: CommitView): void {
  const b = view.bytes;
  const o = view.offset;
  writeU16(b, o, COMMIT_MAGIC);
  b[o + 2] = COMMIT_VERSION;
  b[o + 3] = repr.type;
  writeU32(b, o + 4, repr.transaction);
  writeU16(b, o + 8, repr.sender);
  b[o + 10] = repr.state;
  b[o + 11] = repr.protocol;
  writeU32(b, o + 12, repr.participants);
}
