// TwoPhaseCommitWorkload: one atomic-commit workload: a coordinator and its participants on IP
// hosts (src/stacks/commit/), and the generator that starts transactions at a fixed rate.
//
// Contract:
// - Transaction k (its id) is due at startNs + k * intervalNs, for k < commitTransactions(spec).
//   The coordinator's host starts it when up (a transaction due while the coordinator is down
//   is counted as not started: ids are slots of the schedule, so a restarted coordinator never
//   reuses one). It touches `fanout` participants chosen from the workload's own seeded stream
//   (all of them, with no draw, by default).
// - Made in a fixed order (coordinator, then participants by index, then the generator), each
//   a device of its host's partition; each host gets its stable storage (ensureStorage) if it
//   has none yet.
// - state() is what the run report needs from this thread: the coordinator's record, and each
//   participant's record, blocked time up to the run's end and the durable state of every
//   transaction read from its host's durable log (what a crash would leave). In a partitioned
//   run each party's part is taken from the partition that runs its host (commit-report.ts).
// - destroy() cancels timers and closes sockets; the frames in flight are the network's.

import type { Simulation } from "../engine/simulation.js";
import type { EventHandler } from "../engine/scheduler.js";
import type { Rng } from "../engine/rng.js";
import type { AnyIpHost } from "../stacks/ip/ip-host.js";
import type { CommitOptions } from "../stacks/commit/commit-config.js";
import { checkCommitOptions } from "../stacks/commit/commit-config.js";
import { emptyKnowledge, replayLog } from "../stacks/commit/commit-log.js";
import { CoordinatorRecord, type CoordinatorState, ParticipantRecord } from "../stacks/commit/commit-record.js";
import type { MessageCountersJson } from "../stacks/commit/commit-channel.js";
import type { ParticipantCounters } from "../stacks/commit/commit-record.js";
import { CommitCoordinator } from "../stacks/commit/coordinator.js";
import { CommitParticipant } from "../stacks/commit/participant.js";
import { EV_COMMIT_TICK } from "../stacks/commit/commit-slots.js";
import { commitTransactions, type TwoPhaseCommitSpec } from "./commit-spec.js";

export interface ParticipantState {
  host: string;
  counters: ParticipantCounters;
  messages: MessageCountersJson;
  blocked: { total: number; longest: number; blockedAtEnd: number };
  /** CommitState of each transaction in the host's durable log. */
  durable: Uint8Array;
}

export interface TwoPhaseCommitState {
  name: string;
  coordinator: CoordinatorState;
  participants: ParticipantState[];
}

export interface CommitBuildContext {
  sim: Simulation;
  ipHost(name: string): AnyIpHost;
  /** Makes the devices made next belong to `host`'s partition. */
  own(host: string): void;
}

export class TwoPhaseCommitWorkload implements EventHandler {
  readonly id: number;
  readonly transactions: number;
  readonly coordinator: CommitCoordinator;
  readonly participants: CommitParticipant[];
  readonly coordinatorRecord: CoordinatorRecord;
  readonly participantRecords: ParticipantRecord[];
  private readonly hosts: AnyIpHost[];
  private readonly rng: Rng;
  private readonly pick: Int32Array;
  private next = 0;
  private tick = -1;

  constructor(
    ctx: CommitBuildContext,
    readonly spec: TwoPhaseCommitSpec,
  ) {
    const sim = ctx.sim;
    this.transactions = commitTransactions(spec);
    const coord = ctx.ipHost(spec.coordinator);
    this.hosts = spec.participants.map((n) => ctx.ipHost(n));
    const options: CommitOptions = {
      name: spec.name,
      protocol: spec.protocol,
      port: spec.port,
      coordinator: coord.ip,
      participants: this.hosts.map((h) => h.ip),
      timeouts: spec.timeouts,
      transactions: Math.max(1, this.transactions),
      maxActive: spec.maxActive,
      workNs: spec.workNs,
      ...(spec.fault !== undefined ? { fault: spec.fault } : {}),
    };
    checkCommitOptions(options);
    this.coordinatorRecord = new CoordinatorRecord(options.transactions);
    ctx.own(spec.coordinator);
    coord.ensureStorage();
    this.coordinator = new CommitCoordinator(coord, options, this.coordinatorRecord);
    this.participantRecords = [];
    this.participants = this.hosts.map((h, i) => {
      ctx.own(spec.participants[i]!);
      h.ensureStorage();
      const rec = new ParticipantRecord();
      this.participantRecords.push(rec);
      return new CommitParticipant(h, options, i, spec.voteNo, rec);
    });
    ctx.own(spec.coordinator);
    this.id = sim.register(`${spec.name}.transactions`, this);
    this.rng = sim.scheduler.rng(`commit:${spec.name}:fanout`);
    this.pick = new Int32Array(spec.participants.length);
    if (this.transactions > 0) this.schedule(spec.startNs);
  }

  handleEvent(kind: number, _a: number, _b: number, _len: number): void {
    if (kind !== EV_COMMIT_TICK) return;
    this.tick = -1;
    const tx = this.next++;
    this.coordinator.begin(tx, this.maskFor());
    if (this.next < this.transactions) this.schedule(this.spec.startNs + this.next * this.spec.intervalNs);
  }

  /** The participants of the next transaction: all, or `fanout` drawn without replacement. */
  private maskFor(): number {
    const n = this.spec.participants.length;
    const k = this.spec.fanout;
    if (k >= n) return n === 32 ? 0xffffffff : (1 << n) - 1;
    const p = this.pick;
    for (let i = 0; i < n; i++) p[i] = i;
    let mask = 0;
    for (let i = 0; i < k; i++) {
      const j = i + this.rng.nextBelow(n - i);
      const x = p[j]!;
      p[j] = p[i]!;
      p[i] = x;
      mask |= 1 << x;
    }
    return mask >>> 0;
  }

  private schedule(at: number): void {
    const sched = this.coordinator.host.sim.scheduler;
    this.tick = sched.scheduleAt(this.id, at, this.id, EV_COMMIT_TICK, 0, 0, 0);
  }

  /** This thread's view of the workload at the end of a run that lasted `endNs`. */
  state(endNs: number): TwoPhaseCommitState {
    const n = this.coordinatorRecord.start.length;
    return {
      name: this.spec.name,
      coordinator: this.coordinatorRecord.state(),
      participants: this.participantRecords.map((rec, i) => {
        const k = emptyKnowledge(n);
        const host = this.hosts[i]!;
        if (host.hasStorage) replayLog(host.storage.durable, this.spec.port, k);
        return {
          host: this.spec.participants[i]!,
          counters: { ...rec.counters },
          messages: rec.messages.toJSON(),
          blocked: rec.blockedNs(endNs),
          durable: k.state,
        };
      }),
    };
  }

  destroy(): void {
    if (this.tick >= 0) this.coordinator.host.sim.scheduler.cancel(this.tick);
    this.tick = -1;
    this.coordinator.destroy();
    for (const p of this.participants) p.destroy();
  }
}
