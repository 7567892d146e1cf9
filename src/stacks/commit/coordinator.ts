// CommitCoordinator: the coordinator of two-phase commit (plain or with cooperative termination
// at the participants) and of three-phase commit, on one host, over CommitChannel.
//
// Contract:
// - begin(tx, participants) starts transaction tx: BEGIN to each participant and the vote
//   request (PREPARE) `workNs` later (with no work, PREPARE alone, at once: the textbook four
//   messages a participant), resent until every vote is in or `votes` has passed (then: abort).
//   One no vote aborts at once. All yes: two-phase commit decides commit; three-phase commit
//   first forces a PRECOMMIT record and collects PRE_COMMIT acks (a participant that does not
//   ack within `votes` is taken for crashed: commit anyway, it learns on recovery).
// - A decision is a forced write (commit and abort alike); only once it is durable does it go
//   to the participants, resent with back-off until each acknowledges; then a lazy END record
//   and the transaction is forgotten. A full log at the decision means abort without a record
//   (presumed abort). Both are counted in the CoordinatorRecord, which outlives crashes.
// - Presumed abort: a vote or STATE_REQUEST for a transaction the coordinator neither has in
//   progress nor finds decided is answered ABORTED (it crashed before deciding it).
// - crash(): every timer, slot and volatile table is gone; pending log callbacks never run.
//   restart(): replays the durable log; decided but not ended transactions are driven again
//   (the decision resent until acknowledged); three-phase transactions with a PRECOMMIT record
//   and no decision are RECOVERING: the coordinator asks the participants (STATE_REQUEST) and
//   adopts the decision they reached by their termination protocol.
// - Test hooks (CommitFault): "split-decision" sends ABORT to the last participant of a
//   committed transaction; "unforced-decision" sends the decision before it is durable.
// Not handled: read-only participants, presumed commit, log truncation (checkpoints).

import type { EventHandler } from "../../engine/scheduler.js";
import {
  COORDINATOR_INDEX,
  CommitState,
  CommitType,
  type CommitRepr,
  type CommitState as State,
} from "../../wire/commit.js";
import { CommitChannel } from "./commit-channel.js";
import { backoff, type CommitHost, type CommitOptions, protocolCode } from "./commit-config.js";
import { LOG_RECORD_LEN, LogKind, emptyKnowledge, fillLogRecord, replayLog } from "./commit-log.js";
import type { CoordinatorRecord } from "./commit-record.js";
import { EV_COMMIT_TIMER, SlotTable, popcount } from "./commit-slots.js";

/** Phases of a coordinator slot. */
const Phase = {
  WORK: 1,
  VOTING: 2,
  PRECOMMIT_LOG: 3,
  PRECOMMITTING: 4,
  DECISION_LOG: 5,
  DECIDED: 6,
  RECOVERING: 7,
} as const;

export class CommitCoordinator implements EventHandler {
  readonly id: number;
  private readonly slots: SlotTable;
  private readonly channel: CommitChannel;
  /** Volatile: decisions known (from the log at a restart, then as made). */
  private readonly decided: Uint8Array;
  /** Transactions found at a restart still to be taken into a slot (decided, or 3PC pre-committed). */
  private pending: number[] = [];
  private pendingAt = 0;
  /** Participants and states of the transactions being recovered (from the last replay). */
  private recovery: Uint32Array = new Uint32Array(0);
  private recoveryState: Uint8Array = new Uint8Array(0);
  private down = false;
  private readonly three: boolean;
  private readonly unsubscribe: (() => void)[];
  /** One record buffer, reused: the log keeps a copy of each record it is given. */
  private readonly logBuffer = new Uint8Array(LOG_RECORD_LEN);

  constructor(
    readonly host: CommitHost,
    readonly options: CommitOptions,
    readonly record: CoordinatorRecord,
  ) {
    const sim = host.sim;
    this.id = sim.register(`${options.name}.coordinator@${host.name}`, this);
    this.slots = new SlotTable(options.maxActive, sim.scheduler, this.id);
    this.decided = new Uint8Array(options.transactions);
    this.three = options.protocol === "3pc";
    const parts = options.participants;
    this.channel = new CommitChannel(
      host,
      options.port,
      protocolCode(options.protocol),
      COORDINATOR_INDEX,
      (i) => (i === COORDINATOR_INDEX ? options.coordinator : (parts[i] ?? -1)),
      (r, src) => this.input(r, src),
      record.messages,
    );
    this.channel.open();
    this.unsubscribe = [host.onCrash(() => this.crash()), host.onRestart(() => this.restart())];
  }

  get crashed(): boolean {
    return this.down;
  }

  /** Transactions in progress. */
  get active(): number {
    return this.slots.inUse;
  }

  /** Starts transaction `tx` over the participants in `mask` (see the module comment). */
  begin(tx: number, mask: number): boolean {
    const rec = this.record;
    if (this.down) {
      rec.counters.notStarted++;
      return false;
    }
    const s = this.slots.alloc(tx);
    if (s === -1) {
      rec.counters.refused++;
      return false;
    }
    rec.counters.started++;
    rec.start[tx] = this.host.sim.now;
    rec.participants[tx] = mask;
    this.slots.mask[s] = mask;
    if (this.options.workNs > 0) {
      this.sendTo(s, mask, CommitType.BEGIN, CommitState.NONE);
      this.slots.phase[s] = Phase.WORK;
      this.slots.arm(s, this.options.workNs);
    } else this.startVoting(s);
    return true;
  }

  handleEvent(kind: number, a: number, b: number, _len: number): void {
    if (kind !== EV_COMMIT_TIMER || this.down || !this.slots.fired(a, b)) return;
    this.onTimer(a);
  }

  /** Ends the party at the end of a run: timers cancelled, socket closed, hooks removed. */
  destroy(): void {
    this.slots.clear();
    this.channel.close();
    for (const u of this.unsubscribe) u();
  }

  // --- phases ---

  private startVoting(s: number): void {
    const t = this.slots;
    t.phase[s] = Phase.VOTING;
    t.deadline[s] = this.host.sim.now + this.options.timeouts.votesNs;
    this.sendTo(s, t.mask[s]!, CommitType.PREPARE, CommitState.NONE);
    this.armRetransmit(s);
  }

  /** All voted yes in three-phase commit: force PRECOMMIT, then send PRE_COMMIT. */
  private startPrecommit(s: number): void {
    const t = this.slots;
    t.phase[s] = Phase.PRECOMMIT_LOG;
    t.cancel(s);
    const tx = t.tx[s]!;
    const at = this.host.storage.write(this.logRecord(LogKind.PRECOMMIT, tx, t.mask[s]!), () => {
      if (this.down || t.tx[s] !== tx || t.phase[s] !== Phase.PRECOMMIT_LOG) return;
      t.phase[s] = Phase.PRECOMMITTING;
      t.m3[s] = 0; // pre-commit acks
      t.attempts[s] = 0;
      t.deadline[s] = this.host.sim.now + this.options.timeouts.votesNs;
      this.sendTo(s, t.mask[s]!, CommitType.PRE_COMMIT, CommitState.NONE);
      this.armRetransmit(s);
    });
    if (at !== -1) this.record.counters.forcedWrites++;
    else {
      this.record.counters.abortLogFull++;
      this.decide(s, CommitState.ABORTED);
    }
  }

  /** Makes decision `d` durable, then sends it (see the module comment). */
  private decide(s: number, d: State): void {
    const t = this.slots;
    t.phase[s] = Phase.DECISION_LOG;
    t.cancel(s);
    const tx = t.tx[s]!;
    const record = this.logRecord(d === CommitState.COMMITTED ? LogKind.COMMIT : LogKind.ABORT, tx, t.mask[s]!);
    if (this.options.fault === "unforced-decision") {
      this.record.counters.lazyWrites++;
      this.host.storage.append(record);
      this.decisionDurable(s, d);
      return;
    }
    const at = this.host.storage.write(record, () => {
      if (!this.down && t.tx[s] === tx && t.phase[s] === Phase.DECISION_LOG) this.decisionDurable(s, d);
    });
    if (at !== -1) {
      this.record.counters.forcedWrites++;
      return;
    }
    // Log full: no decision record can be made durable; abort is what a restart would presume.
    this.record.counters.abortLogFull++;
    this.decisionDurable(s, CommitState.ABORTED);
  }

  private decisionDurable(s: number, d: State): void {
    const t = this.slots;
    const tx = t.tx[s]!;
    this.decided[tx] = d;
    this.record.decided(tx, d, this.host.sim.now);
    t.phase[s] = Phase.DECIDED;
    t.m2[s] = 0; // acks
    t.attempts[s] = 0;
    // Participants that voted no have aborted on their own: they need no ABORT.
    if (d === CommitState.ABORTED) t.m2[s] = t.m1[s]!;
    this.sendDecision(s);
  }

  private sendDecision(s: number): void {
    const t = this.slots;
    const missing = t.mask[s]! & ~t.m2[s]!;
    if (missing === 0) {
      this.finish(s);
      return;
    }
    const d = this.decided[t.tx[s]!] as State;
    const type = d === CommitState.COMMITTED ? CommitType.COMMIT : CommitType.ABORT;
    if (this.options.fault === "split-decision" && d === CommitState.COMMITTED) {
      const last = 31 - Math.clz32(t.mask[s]!);
      this.sendTo(s, missing & ~(1 << last), type, d);
      if ((missing >>> last) & 1) this.sendTo(s, 1 << last, CommitType.ABORT, CommitState.ABORTED);
    } else this.sendTo(s, missing, type, d);
    this.armRetransmit(s);
  }

  /** Every participant acknowledged: a lazy END record, and the transaction is forgotten. */
  private finish(s: number): void {
    const tx = this.slots.tx[s]!;
    this.record.counters.ended++;
    this.record.counters.lazyWrites++;
    this.host.storage.append(this.logRecord(LogKind.END, tx, 0));
    this.slots.free(s);
    this.drainPending();
  }

  // --- timers ---

  private armRetransmit(s: number): void {
    const t = this.slots;
    const now = this.host.sim.now;
    let delay = backoff(this.options.timeouts.retransmitNs, t.attempts[s]!);
    const phase = t.phase[s];
    if (phase === Phase.VOTING || phase === Phase.PRECOMMITTING) {
      delay = Math.min(this.options.timeouts.retransmitNs, Math.max(0, t.deadline[s]! - now));
    }
    t.arm(s, delay);
  }

  private onTimer(s: number): void {
    const t = this.slots;
    const now = this.host.sim.now;
    switch (t.phase[s]) {
      case Phase.WORK:
        this.startVoting(s);
        return;
      case Phase.VOTING:
        if (now >= t.deadline[s]!) {
          this.record.counters.abortVoteTimeout++;
          this.decide(s, CommitState.ABORTED);
          return;
        }
        this.resend(s, t.mask[s]! & ~(t.m1[s]! | t.m3[s]!), CommitType.PREPARE, CommitState.NONE);
        this.armRetransmit(s);
        return;
      case Phase.PRECOMMITTING:
        if (now >= t.deadline[s]!) {
          this.decide(s, CommitState.COMMITTED);
          return;
        }
        this.resend(s, t.mask[s]! & ~t.m3[s]!, CommitType.PRE_COMMIT, CommitState.NONE);
        this.armRetransmit(s);
        return;
      case Phase.DECIDED:
        this.record.messages.retransmissions += popcount(t.mask[s]! & ~t.m2[s]!);
        t.attempts[s]!++;
        this.sendDecision(s);
        return;
      case Phase.RECOVERING:
        this.resend(s, t.mask[s]!, CommitType.STATE_REQUEST, CommitState.RECOVERING);
        t.attempts[s]!++;
        this.armRetransmit(s);
        return;
    }
  }

  // --- messages ---

  private input(r: CommitRepr, src: number): void {
    const tx = r.transaction;
    if (tx >= this.options.transactions) {
      this.record.messages.drop("BAD_TRANSACTION");
      return;
    }
    const bit = r.sender < 32 ? 1 << r.sender : 0;
    const s = this.slots.find(tx);
    switch (r.type) {
      case CommitType.VOTE_YES:
      case CommitType.VOTE_NO:
        if (s === -1) this.staleVote(r, src);
        else this.onVote(s, bit, r.type === CommitType.VOTE_YES);
        return;
      case CommitType.PRE_COMMIT_ACK:
        if (s !== -1 && this.slots.phase[s] === Phase.PRECOMMITTING) this.onPrecommitAck(s, bit);
        return;
      case CommitType.ACK:
        if (s !== -1 && this.slots.phase[s] === Phase.DECIDED && r.state === this.decided[tx]) {
          this.slots.m2[s]! |= bit & this.slots.mask[s]!;
          if ((this.slots.mask[s]! & ~this.slots.m2[s]!) === 0) this.finish(s);
        }
        return;
      case CommitType.STATE_REQUEST:
        this.channel.send(src, CommitType.STATE, tx, this.stateOf(tx, s), s === -1 ? 0 : this.slots.mask[s]!);
        return;
      case CommitType.STATE:
        if (s !== -1 && this.slots.phase[s] === Phase.RECOVERING) this.onRecoveryAnswer(s, r.state);
        return;
      default:
        this.record.messages.drop("UNEXPECTED");
    }
  }

  private onVote(s: number, bit: number, yes: boolean): void {
    const t = this.slots;
    if ((t.mask[s]! & bit) === 0) {
      this.record.messages.drop("NOT_A_PARTICIPANT");
      return;
    }
    const phase = t.phase[s];
    if (phase !== Phase.VOTING && phase !== Phase.WORK) {
      // A late or repeated vote: the decision is on its way (DECIDED resends it).
      if (phase === Phase.DECIDED && !yes) t.m2[s]! |= bit;
      return;
    }
    if (!yes) {
      t.m1[s]! |= bit;
      this.record.counters.abortVotedNo++;
      this.decide(s, CommitState.ABORTED);
      return;
    }
    t.m3[s]! |= bit;
    if (t.m3[s] !== t.mask[s]) return;
    if (this.three) this.startPrecommit(s);
    else this.decide(s, CommitState.COMMITTED);
  }

  private onPrecommitAck(s: number, bit: number): void {
    const t = this.slots;
    t.m3[s]! |= bit & t.mask[s]!;
    if (t.m3[s] === t.mask[s]) this.decide(s, CommitState.COMMITTED);
  }

  /** A vote for a transaction not in progress: answer with its decision (presumed abort). */
  private staleVote(r: CommitRepr, src: number): void {
    const tx = r.transaction;
    let d = this.decided[tx]!;
    if (d === 0 && this.recoveryState[tx] === CommitState.PRECOMMITTED) return; // being recovered: not presumed
    if (d === 0) {
      if (r.type === CommitType.VOTE_NO) return;
      d = CommitState.ABORTED;
      this.record.counters.presumedAborts++;
    }
    this.channel.send(src, d === CommitState.COMMITTED ? CommitType.COMMIT : CommitType.ABORT, tx, d as State, 0);
  }

  /** The coordinator's state of `tx` for a STATE reply. */
  private stateOf(tx: number, s: number): State {
    const d = this.decided[tx]!;
    if (d !== 0) return d as State;
    if (s !== -1) return this.slots.phase[s] === Phase.RECOVERING ? CommitState.RECOVERING : CommitState.COORDINATING;
    if (this.recoveryState[tx] === CommitState.PRECOMMITTED) return CommitState.RECOVERING;
    this.record.counters.presumedAborts++;
    return CommitState.ABORTED;
  }

  private onRecoveryAnswer(s: number, state: number): void {
    if (state !== CommitState.COMMITTED && state !== CommitState.ABORTED) return;
    this.record.counters.adopted++;
    this.decide(s, state as State);
  }

  /** Sends to each participant in `targets` of slot s's transaction (the message carries all of them). */
  private sendTo(s: number, targets: number, type: CommitType, state: State): void {
    const parts = this.options.participants;
    const t = this.slots;
    for (let m = targets; m !== 0; m &= m - 1) {
      const i = 31 - Math.clz32(m & -m);
      this.channel.send(parts[i]!, type, t.tx[s]!, state, t.mask[s]!);
    }
  }

  private resend(s: number, targets: number, type: CommitType, state: State): void {
    this.record.messages.retransmissions += popcount(targets);
    this.sendTo(s, targets, type, state);
  }

  private logRecord(kind: LogKind, tx: number, participants: number): Uint8Array {
    return fillLogRecord(this.logBuffer, this.options.port, kind, tx, participants);
  }

  // --- crash and recovery ---

  private crash(): void {
    this.record.counters.crashes++;
    this.down = true;
    this.slots.clear();
    this.channel.close();
    this.decided.fill(0);
    this.recoveryState = new Uint8Array(0);
    this.pending = [];
    this.pendingAt = 0;
  }

  private restart(): void {
    this.record.counters.restarts++;
    this.down = false;
    this.channel.open();
    const k = emptyKnowledge(this.options.transactions);
    replayLog(this.host.storage.durable, this.options.port, k);
    const todo: number[] = [];
    for (let tx = 0; tx < k.state.length; tx++) {
      const st = k.state[tx]!;
      if (st === CommitState.COMMITTED || st === CommitState.ABORTED) {
        this.decided[tx] = st;
        if (k.ended[tx] === 0) todo.push(tx);
      } else if (st === CommitState.PRECOMMITTED) todo.push(tx);
    }
    this.recovery = k.participants;
    this.recoveryState = k.state;
    this.pending = todo;
    this.pendingAt = 0;
    this.drainPending();
  }

  /** Takes recovered transactions into free slots: decided ones are driven, 3PC ones asked. */
  private drainPending(): void {
    const t = this.slots;
    while (this.pendingAt < this.pending.length && t.inUse < t.capacity) {
      const tx = this.pending[this.pendingAt++]!;
      const s = t.alloc(tx);
      t.mask[s] = this.recovery[tx]!;
      this.record.counters.recovered++;
      if (this.recoveryState[tx] === CommitState.PRECOMMITTED) {
        t.phase[s] = Phase.RECOVERING;
        this.sendTo(s, t.mask[s]!, CommitType.STATE_REQUEST, CommitState.RECOVERING);
        this.armRetransmit(s);
      } else {
        t.phase[s] = Phase.DECIDED;
        t.m2[s] = 0;
        this.sendDecision(s);
      }
    }
  }
}
