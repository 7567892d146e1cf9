// What a commit protocol party (coordinator or participant) is given: the host it runs on, the
// workload's resolved options, and the counters it reports. Plain types and their checks only.
//
// Contract:
// - CommitHost is the part of an IpHost (src/stacks/ip/ip-host.ts) the parties use: a UDP
//   socket, the host's stable storage, and the crash and restart hooks (fn runs at the crash
//   before the stack is torn down; at the restart once the host is up with empty volatile
//   state). An IpHost satisfies it.
// - CommitOptions are resolved (times in ns): checkCommitOptions() throws a NetloomError naming
//   the option for anything a party cannot run with, before anything is built.
// - CommitFault is a test hook only (never read from a scenario file): a deliberately broken
//   party, for showing that the atomicity checker catches what it breaks.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import type { Simulation } from "../../engine/simulation.js";
import { COMMIT_MAX_PARTICIPANTS, CommitProtocol } from "../../wire/commit.js";
import type { UdpSocket, UdpSocketOptions } from "../ip/udp-layer.js";
import type { LogDevice } from "./commit-log.js";

export interface CommitHost {
  readonly name: string;
  readonly sim: Simulation;
  /** The host's IPv4 address. */
  readonly ip: number;
  readonly crashed: boolean;
  readonly storage: LogDevice;
  bind(port: number, options?: UdpSocketOptions): UdpSocket;
  onCrash(fn: () => void): () => void;
  onRestart(fn: () => void): () => void;
}

export type CommitProtocolName = "2pc" | "2pc-cooperative" | "3pc";
export const COMMIT_PROTOCOLS: readonly CommitProtocolName[] = ["2pc", "2pc-cooperative", "3pc"];

export function protocolCode(p: CommitProtocolName): CommitProtocol {
  return p === "2pc"
    ? CommitProtocol.TWO_PHASE
    : p === "3pc"
      ? CommitProtocol.THREE_PHASE
      : CommitProtocol.TWO_PHASE_COOPERATIVE;
}

export interface CommitTimeouts {
  /** A participant that joined and hears no vote request for this long aborts on its own. */
  voteRequestNs: number;
  /** The coordinator waits this long for votes (three-phase commit: and pre-commit acks). */
  votesNs: number;
  /** A participant that voted yes and hears no decision for this long is in doubt: it asks. */
  decisionNs: number;
  /** Requests without an answer go again after this long (doubling, at most 8 times as long). */
  retransmitNs: number;
}

/** A deliberately broken party (tests only). */
export type CommitFault =
  /** The coordinator sends ABORT to the last participant of a transaction it committed. */
  | "split-decision"
  /** The coordinator sends its decision before the decision record is durable. */
  | "unforced-decision"
  /** A participant votes yes before its prepared record is durable. */
  | "unforced-prepare";

export interface CommitOptions {
  /** The workload's name (device names and messages). */
  name: string;
  protocol: CommitProtocolName;
  /** UDP port every party binds. */
  port: number;
  /** The coordinator's address. */
  coordinator: number;
  /** Participants' addresses, by index (at most 32). */
  participants: readonly number[];
  timeouts: CommitTimeouts;
  /** Transaction ids are 0 .. transactions - 1 (tables are sized by it). */
  transactions: number;
  /** Transactions a party keeps in progress at once; more are refused (coordinator) or voted no. */
  maxActive: number;
  /** Time between BEGIN and the vote request (the transaction's work); 0: no BEGIN, PREPARE joins. */
  workNs: number;
  fault?: CommitFault;
}

/** Most transactions a workload may number (tables hold a few bytes per transaction per party). */
export const MAX_COMMIT_TRANSACTIONS = 10_000_000;
export const MAX_COMMIT_ACTIVE = 1 << 16;

function bad(path: string, problem: string): NetloomError {
  return new NetloomError(ErrorCode.INVALID_ARGUMENT, problem, { path });
}

/** Throws for the first option a party cannot run with. */
export function checkCommitOptions(o: CommitOptions): void {
  if (!COMMIT_PROTOCOLS.includes(o.protocol))
    throw bad("protocol", `${String(o.protocol)} is not one of ${COMMIT_PROTOCOLS.join(", ")}`);
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 0xffff) throw bad("port", `${o.port} is not a UDP port`);
  const n = o.participants.length;
  if (n < 1 || n > COMMIT_MAX_PARTICIPANTS)
    throw bad("participants", `${n} participants; a transaction has 1 to ${COMMIT_MAX_PARTICIPANTS}`);
  if (new Set(o.participants).size !== n || o.participants.includes(o.coordinator))
    throw bad("participants", "every participant and the coordinator need an address of their own");
  for (const [k, v] of Object.entries(o.timeouts)) {
    if (!Number.isInteger(v) || v <= 0)
      throw bad(`timeouts.${k.replace(/Ns$/, "")}`, `${v} is not a positive duration`);
  }
  if (!Number.isInteger(o.transactions) || o.transactions < 1 || o.transactions > MAX_COMMIT_TRANSACTIONS)
    throw bad("transactions", `${o.transactions} is not a transaction count (1 to ${MAX_COMMIT_TRANSACTIONS})`);
  if (!Number.isInteger(o.maxActive) || o.maxActive < 1 || o.maxActive > MAX_COMMIT_ACTIVE)
    throw bad("maxActive", `${o.maxActive} is not an integer in [1, ${MAX_COMMIT_ACTIVE}]`);
  if (!Number.isInteger(o.workNs) || o.workNs < 0) throw bad("work", `${o.workNs} is not a duration`);
}

/** The retransmission delay after `attempts` tries: doubling, capped at 8 times the base. */
export function backoff(retransmitNs: number, attempts: number): number {
  return retransmitNs * (attempts >= 3 ? 8 : 1 << attempts);
}
