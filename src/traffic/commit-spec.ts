// The normalised spec of a `two-phase-commit` workload (the scenario's `workloads:` entry, or an
// embedder's code): hosts by name, times in ns, every default filled in.

import type { CommitFault, CommitProtocolName, CommitTimeouts } from "../stacks/commit/commit-config.js";

export interface TwoPhaseCommitSpec {
  type: "two-phase-commit";
  name: string;
  /** Host that coordinates (and generates the transactions). */
  coordinator: string;
  /** Participant hosts, by index (at most 32). */
  participants: string[];
  protocol: CommitProtocolName;
  /** How messages travel: "udp" (datagrams with the parties' own retransmission). */
  transport: "udp";
  /** UDP port every party binds. */
  port: number;
  /** The first transaction starts here. */
  startNs: number;
  /** No transaction starts at or after this time. */
  stopNs: number;
  /** Time between transaction starts (1 / rate). */
  intervalNs: number;
  /** Most transactions; undefined = until stopNs. */
  count: number | undefined;
  /** Participants each transaction touches, chosen at random (seeded); all of them by default. */
  fanout: number;
  /** Probability that a participant votes no. */
  voteNo: number;
  /** Time between BEGIN and the vote request; 0: no BEGIN, the vote request comes first. */
  workNs: number;
  timeouts: CommitTimeouts;
  /** Transactions a party keeps in progress at once. */
  maxActive: number;
  /** Test hook: a deliberately broken party (never set from a scenario file). */
  fault?: CommitFault;
}

/** Transactions the workload numbers: count, or as many as fit between start and stop. */
export function commitTransactions(spec: TwoPhaseCommitSpec): number {
  const fit = Math.max(0, Math.ceil((spec.stopNs - spec.startNs) / spec.intervalNs));
  return spec.count === undefined ? fit : Math.min(spec.count, fit);
}
