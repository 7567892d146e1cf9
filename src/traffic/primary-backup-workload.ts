// The primary-backup workload: a scenario's `type: primary-backup` entry (or an embedder's spec)
// made into servers and clients (src/stacks/primary-backup/) on IP hosts, and its state as
// plain data for the run report.
//
// Contract:
// - startPrimaryBackup(ctx, spec) makes one PbServer per server host (index = position in
//   spec.servers, the first the primary at start) and one PbClient per client host (id =
//   position in spec.clients), each registered under ctx.own(its host), in that order. Nothing
//   is sent at build time: the first heartbeat and the first call are events at spec.startNs.
// - state() is plain data; in a partitioned run each node's entry is valid in the partition that
//   runs its host (mergePrimaryBackup picks them).
// - destroy() cancels timers and closes sockets; idempotent.
// - primaryBackupReport() is the run report's section: totals, the split-brain report
//   (split-brain.ts) over the whole run, every server and client (commit logs left out).

import type { Simulation } from "../engine/simulation.js";
import type { AnyIpHost } from "../stacks/ip/ip-host.js";
import { PbClient, type PbClientState } from "../stacks/primary-backup/pb-client.js";
import { PbServer, type PbServerState, type PbServiceConfig } from "../stacks/primary-backup/pb-server.js";
import { detectSplits, type PbSplitReport } from "../stacks/primary-backup/split-brain.js";

export type PbTakeover = "both" | "heartbeat" | "request" | "never";

/** A primary-backup workload, normalised (times in ns, every default filled in). */
export interface PrimaryBackupSpec {
  name: string;
  type: "primary-backup";
  /** Server hosts, the primary at start first. */
  servers: string[];
  clients: string[];
  /** UDP port of every server and client. */
  port: number;
  startNs: number;
  /** No call starts at or after this time. */
  stopNs: number;
  /** Least time between a client's call starts (0: closed loop). */
  intervalNs: number;
  /** Calls per client; undefined = until stopNs. */
  count: number | undefined;
  /** A client's wait for each attempt, and its retransmissions before it fails over. */
  timeoutNs: number;
  retries: number;
  heartbeatPeriodNs: number;
  heartbeatTimeoutNs: number;
  /** The primary's wait for a backup's ack, and its retransmissions before it drops the backup. */
  updateTimeoutNs: number;
  updateRetries: number;
  /** Clients fail over to the next server when the primary stops answering. */
  failover: boolean;
  /** When a backup takes over: heartbeats stopped, a client asked, either, or never. */
  takeover: PbTakeover;
}

export interface WorkloadContext {
  sim: Simulation;
  ipHost(name: string): AnyIpHost;
  /** Registrations from now on belong to `name`'s partition. */
  own(name: string): void;
}

export interface PrimaryBackupState {
  name: string;
  servers: PbServerState[];
  clients: PbClientState[];
}

export class PrimaryBackupRun {
  readonly servers: PbServer[] = [];
  readonly clients: PbClient[] = [];

  constructor(
    ctx: WorkloadContext,
    readonly spec: PrimaryBackupSpec,
  ) {
    const cfg: PbServiceConfig = {
      service: `pb:${spec.name}`,
      servers: spec.servers.map((s) => ctx.ipHost(s).ip),
      clients: spec.clients.length,
      port: spec.port,
      startNs: spec.startNs,
      heartbeatPeriodNs: spec.heartbeatPeriodNs,
      heartbeatTimeoutNs: spec.heartbeatTimeoutNs,
      updateTimeoutNs: spec.updateTimeoutNs,
      updateRetries: spec.updateRetries,
      takeoverOnSilence: spec.takeover === "both" || spec.takeover === "heartbeat",
      takeoverOnRequest: spec.takeover === "both" || spec.takeover === "request",
    };
    spec.servers.forEach((name, i) => {
      ctx.own(name);
      this.servers.push(new PbServer(ctx.sim, ctx.ipHost(name), i, cfg));
    });
    spec.clients.forEach((name, id) => {
      ctx.own(name);
      this.clients.push(
        new PbClient(ctx.sim, ctx.ipHost(name), cfg, {
          id,
          timeoutNs: spec.timeoutNs,
          retries: spec.retries,
          intervalNs: spec.intervalNs,
          count: spec.count ?? Number.POSITIVE_INFINITY,
          stopNs: spec.stopNs,
          failover: spec.failover,
        }),
      );
    });
  }

  state(): PrimaryBackupState {
    return {
      name: this.spec.name,
      servers: this.servers.map((s) => s.state()),
      clients: this.clients.map((c) => c.state()),
    };
  }

  destroy(): void {
    for (const c of this.clients) c.destroy();
    for (const s of this.servers) s.destroy();
  }
}

export function startPrimaryBackup(ctx: WorkloadContext, spec: PrimaryBackupSpec): PrimaryBackupRun {
  return new PrimaryBackupRun(ctx, spec);
}

/**
 * The unpartitioned state from the partitions' states: each server's and client's entry from
 * the partition that runs its host (`ownerOf(host)` = index into `parts`).
 */
export function mergePrimaryBackup(
  parts: readonly PrimaryBackupState[],
  ownerOf: (host: string) => number,
): PrimaryBackupState {
  const first = parts[0]!;
  return {
    name: first.name,
    servers: first.servers.map((s, i) => parts[ownerOf(s.host)]!.servers[i]!),
    clients: first.clients.map((c, i) => parts[ownerOf(c.host)]!.clients[i]!),
  };
}

/** A server in the report: its state without the commit log (the split report counts it). */
export type PbServerReport = Omit<PbServerState, "commits">;

/** The run report's section of one primary-backup workload. */
export interface PrimaryBackupReport {
  name: string;
  summary: {
    calls: number;
    ok: number;
    failed: number;
    /** Calls cut short by a crash of their client's host. */
    lost: number;
    failovers: number;
    takeovers: number;
    stepDowns: number;
    /** Splits seen by clients: two primaries serving clients at once. */
    splits: number;
    splitNs: number;
    /** Time two or more servers held the primary role at once. */
    overlapNs: number;
  };
  splitBrain: PbSplitReport;
  servers: PbServerReport[];
  clients: PbClientState[];
}

export function primaryBackupReport(state: PrimaryBackupState, endNs: number): PrimaryBackupReport {
  const split = detectSplits(state.servers, state.clients, endNs);
  const sum = (f: (c: PbClientState) => number): number => state.clients.reduce((n, c) => n + f(c), 0);
  const sumS = (f: (s: PbServerState) => number): number => state.servers.reduce((n, s) => n + f(s), 0);
  return {
    name: state.name,
    summary: {
      calls: sum((c) => c.counters.calls),
      ok: sum((c) => c.counters.ok),
      failed: sum((c) => c.counters.failed),
      lost: sum((c) => c.counters.lost),
      failovers: sum((c) => c.counters.failovers),
      takeovers: sumS((s) => s.counters.takeovers),
      stepDowns: sumS((s) => s.counters.stepDowns),
      splits: split.splits.length,
      splitNs: split.splitNs,
      overlapNs: split.overlaps.reduce((n, o) => n + (o.toNs - o.fromNs), 0),
    },
    splitBrain: split,
    servers: state.servers.map(({ commits: _c, ...rest }) => rest),
    clients: state.clients,
  };
}
