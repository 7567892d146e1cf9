// CommitParticipant: a participant of two-phase commit (plain, or with the cooperative
// termination protocol) and of three-phase commit, on one host, over CommitChannel.
//
// Contract:
// - BEGIN (the transaction's work) makes it join and wait `voteRequest` for the vote request;
//   with none by then it aborts on its own (a lazy ABORT record: nobody was told). With no work
//   phase (workNs 0) there is no BEGIN and the vote request is where it joins. PREPARE: a vote
//   of no for a transaction it has not joined (BEGIN lost, no room in its table, or the work
//   lost in a crash), with probability `voteNo` (its own seeded stream), or when its log
//   has no room for the transaction's records (PREPARED, PRECOMMIT in 3PC, the decision); a
//   vote of yes only once its PREPARED record is durable (forced write). Repeated requests
//   repeat the answer.
// - A decision (COMMIT/ABORT, from the coordinator or, in 3PC, a termination leader) is forced
//   to the log before the ACK goes; a decision that contradicts one already made is ignored and
//   counted (only a broken coordinator sends one). 3PC: PRE_COMMIT is forced (PRECOMMIT) before
//   its ack.
// - In doubt (voted yes, no decision within `decision`): the participant is blocked and asks.
//   2pc: the coordinator only (STATE_REQUEST, resent with back-off) until it answers with a
//   decision. 2pc-cooperative: the coordinator and every other participant; any decision
//   settles it, and a participant that has not voted aborts on its own (forced) and says so;
//   if all are in doubt, it stays blocked and asks again. 3pc: the termination protocol: collect
//   the states of the coordinator and the participants for `decision`; if the coordinator
//   answers (coordinating) keep waiting; else the lowest-indexed participant that answered is
//   the leader: any pre-committed -> it pre-commits the uncertain ones (acks for `decision`)
//   and commits; all uncertain -> it aborts; it sends the decision to every participant.
//   Others wait for the leader and run the protocol again if nothing comes.
// - crash(): every timer, slot and volatile table is gone (blocked intervals end). restart():
//   replays the durable log; transactions in doubt there are blocked at once and asked about.
// - Test hook (CommitFault "unforced-prepare"): votes yes before PREPARED is durable.

import type { EventHandler } from "../../engine/scheduler.js";
import type { Rng } from "../../engine/rng.js";
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
import type { ParticipantRecord } from "./commit-record.js";
import { EV_COMMIT_TIMER, SlotTable, popcount } from "./commit-slots.js";

const Phase = {
  WAIT_PREPARE: 1,
  /** The PREPARED record is being forced. */
  PREPARING: 2,
  WAIT_DECISION: 3,
  /** A decision, unilateral abort or PRECOMMIT record is being forced. */
  LOGGING: 4,
  ASKING: 5,
  TERM_COLLECT: 6,
  TERM_PRECOMMIT: 7,
} as const;

/** Slot flag bits. */
const BLOCKED = 1;
const COORDINATOR_ALIVE = 2;
/** The coordinator asked for our state while a record was being forced. */
const COORDINATOR_ASKED = 4;

const isDecided = (s: number): boolean => s === CommitState.COMMITTED || s === CommitState.ABORTED;

export class CommitParticipant implements EventHandler {
  readonly id: number;
  private readonly slots: SlotTable;
  private readonly channel: CommitChannel;
  private readonly selfBit: number;
  /** Volatile: what the participant knows of each transaction (CommitState) and its participants. */
  private readonly state: Uint8Array;
  private readonly txMask: Uint32Array;
  private readonly rng: Rng;
  private down = false;
  /** In-doubt transactions found at a restart that wait for a free slot. */
  private pending: number[] = [];
  private pendingAt = 0;
  private readonly unsubscribe: (() => void)[];
  /** One record buffer, reused: the log keeps a copy of each record it is given. */
  private readonly logBuffer = new Uint8Array(LOG_RECORD_LEN);

  constructor(
    readonly host: CommitHost,
    readonly options: CommitOptions,
    /** This participant's index in options.participants. */
    readonly index: number,
    /** Probability of a vote of no. */
    readonly voteNo: number,
    readonly record: ParticipantRecord,
  ) {
    const sim = host.sim;
    this.id = sim.register(`${options.name}.participant${index}@${host.name}`, this);
    this.slots = new SlotTable(options.maxActive, sim.scheduler, this.id);
    this.selfBit = 1 << index;
    this.state = new Uint8Array(options.transactions);
    this.txMask = new Uint32Array(options.transactions);
    this.rng = sim.scheduler.rng(`commit:${options.name}:vote:${index}`);
    const parts = options.participants;
    this.channel = new CommitChannel(
      host,
      options.port,
      protocolCode(options.protocol),
      index,
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

  /** The participant's volatile state of `tx` (CommitState). */
  stateOf(tx: number): State {
    return this.state[tx] as State;
  }

  handleEvent(kind: number, a: number, b: number, _len: number): void {
    if (kind !== EV_COMMIT_TIMER || this.down || !this.slots.fired(a, b)) return;
    this.onTimer(a);
  }

  destroy(): void {
    this.slots.clear();
    this.channel.close();
    for (const u of this.unsubscribe) u();
  }

  // --- messages ---

  private input(r: CommitRepr, src: number): void {
    const tx = r.transaction;
    if (tx >= this.options.transactions) {
      this.record.messages.drop("BAD_TRANSACTION");
      return;
    }
    switch (r.type) {
      case CommitType.BEGIN:
        this.onBegin(tx, r.participants);
        return;
      case CommitType.PREPARE:
        this.onPrepare(tx, r.participants);
        return;
      case CommitType.PRE_COMMIT:
        this.onPrecommit(tx, src);
        return;
      case CommitType.COMMIT:
      case CommitType.ABORT:
        this.onDecision(tx, r.type === CommitType.COMMIT ? CommitState.COMMITTED : CommitState.ABORTED, src, r.sender);
        return;
      case CommitType.STATE_REQUEST:
        this.onStateRequest(tx, r.sender);
        return;
      case CommitType.STATE:
        this.onState(tx, r.state, r.sender);
        return;
      case CommitType.PRE_COMMIT_ACK:
        this.onPrecommitAck(tx, r.sender);
        return;
      case CommitType.ACK:
        return; // acks of a termination leader's decision: nothing waits for them
      default:
        this.record.messages.drop("UNEXPECTED");
    }
  }

  /** True while a record for slot s is being forced: the answer comes when it is durable. */
  private busy(s: number): boolean {
    const p = this.slots.phase[s];
    return s !== -1 && (p === Phase.PREPARING || p === Phase.LOGGING);
  }

  private onBegin(tx: number, mask: number): void {
    if (this.state[tx] !== CommitState.NONE || this.slots.find(tx) !== -1) return;
    const s = this.slots.alloc(tx);
    if (s === -1) return; // no room: the vote request will be answered no
    this.state[tx] = CommitState.WORKING;
    this.txMask[tx] = mask;
    this.slots.mask[s] = mask;
    this.slots.phase[s] = Phase.WAIT_PREPARE;
    this.slots.arm(s, this.options.timeouts.voteRequestNs);
  }

  private onPrepare(tx: number, mask: number): void {
    const st = this.state[tx]!;
    let s = this.slots.find(tx);
    if (this.busy(s)) return;
    if (st === CommitState.ABORTED) {
      this.send(this.options.coordinator, CommitType.VOTE_NO, tx, CommitState.ABORTED);
      return;
    }
    if (st === CommitState.UNCERTAIN || st === CommitState.PRECOMMITTED) {
      this.record.messages.retransmissions++;
      this.send(this.options.coordinator, CommitType.VOTE_YES, tx, st as State);
      return;
    }
    if (st === CommitState.COMMITTED) return;
    this.txMask[tx] = mask;
    // With no work phase there is no BEGIN: the vote request is where a participant joins.
    if (st === CommitState.NONE && s === -1 && this.options.workNs === 0) {
      s = this.slots.alloc(tx);
      if (s !== -1) this.state[tx] = CommitState.WORKING;
    }
    if (this.state[tx] === CommitState.NONE || s === -1) {
      // Not joined: its BEGIN was lost, found no room, or the work died in a crash of this host.
      this.record.counters.noNotJoined++;
      this.sayNo(s, tx);
      return;
    }
    this.slots.mask[s] = mask;
    if (this.voteNo > 0 && this.rng.bernoulli(this.voteNo)) {
      this.sayNo(s, tx);
      return;
    }
    // The PREPARED record, the decision and (3PC) PRECOMMIT: room for all of them, or vote no.
    if (!this.logHasRoom(this.options.protocol === "3pc" ? 3 : 2)) {
      this.record.counters.noForLackOfRoom++;
      this.sayNo(s, tx);
      return;
    }
    this.slots.phase[s] = Phase.PREPARING;
    this.slots.cancel(s);
    const record = this.logRecord(LogKind.PREPARED, tx, mask);
    if (this.options.fault === "unforced-prepare") {
      this.record.counters.lazyWrites++;
      this.host.storage.append(record);
      this.prepared(s, tx);
      return;
    }
    if (!this.force(s, tx, record, () => this.prepared(s, tx), true)) {
      this.record.counters.noForLackOfRoom++;
      this.sayNo(s, tx);
    }
  }

  private sayNo(s: number, tx: number): void {
    this.state[tx] = CommitState.ABORTED;
    this.record.counters.votesNo++;
    this.lazy(LogKind.ABORT, tx);
    this.send(this.options.coordinator, CommitType.VOTE_NO, tx, CommitState.ABORTED);
    if (s !== -1) this.release(s);
  }

  private prepared(s: number, tx: number): void {
    this.state[tx] = CommitState.UNCERTAIN;
    this.record.counters.votesYes++;
    this.send(this.options.coordinator, CommitType.VOTE_YES, tx, CommitState.UNCERTAIN);
    this.slots.phase[s] = Phase.WAIT_DECISION;
    this.slots.arm(s, this.options.timeouts.decisionNs);
  }

  private onPrecommit(tx: number, src: number): void {
    const st = this.state[tx]!;
    if (st === CommitState.PRECOMMITTED) {
      this.channel.send(src, CommitType.PRE_COMMIT_ACK, tx, CommitState.PRECOMMITTED, this.txMask[tx]!);
      return;
    }
    const s = this.slots.find(tx);
    if (st !== CommitState.UNCERTAIN || s === -1 || this.busy(s)) return;
    this.slots.phase[s] = Phase.LOGGING;
    this.slots.cancel(s);
    this.force(s, tx, this.logRecord(LogKind.PRECOMMIT, tx, this.txMask[tx]!), () => {
      this.state[tx] = CommitState.PRECOMMITTED;
      this.channel.send(src, CommitType.PRE_COMMIT_ACK, tx, CommitState.PRECOMMITTED, this.txMask[tx]!);
      this.slots.phase[s] = Phase.WAIT_DECISION;
      this.slots.arm(s, this.options.timeouts.decisionNs);
    });
  }

  private onDecision(tx: number, d: State, src: number, sender: number): void {
    const st = this.state[tx]!;
    if (isDecided(st)) {
      if (st === d) this.channel.send(src, CommitType.ACK, tx, d, this.txMask[tx]!);
      else this.record.counters.conflictingDecisions++;
      return;
    }
    let s = this.slots.find(tx);
    if (this.busy(s)) return;
    if (st === CommitState.NONE || st === CommitState.WORKING) {
      if (d === CommitState.COMMITTED) {
        this.record.messages.drop("COMMIT_NOT_PREPARED");
        return;
      }
      this.state[tx] = CommitState.ABORTED;
      this.record.counters.aborts++;
      this.lazy(LogKind.ABORT, tx);
      this.channel.send(src, CommitType.ACK, tx, d, this.txMask[tx]!);
      if (s !== -1) this.release(s);
      return;
    }
    if (s === -1) s = this.slots.alloc(tx);
    if (s === -1) return; // no room now: the decision is resent
    if (sender !== COORDINATOR_INDEX) this.record.counters.decisionsFromPeers++;
    this.learn(s, tx, d, src);
  }

  /** Forces decision d, then applies it and acknowledges to `ackTo` (-1: nobody). */
  private learn(s: number, tx: number, d: State, ackTo: number): void {
    this.slots.phase[s] = Phase.LOGGING;
    this.slots.cancel(s);
    const kind = d === CommitState.COMMITTED ? LogKind.COMMIT : LogKind.ABORT;
    this.force(s, tx, this.logRecord(kind, tx, this.txMask[tx]!), () => {
      this.applyDecision(s, tx, d);
      if (ackTo !== -1) this.channel.send(ackTo, CommitType.ACK, tx, d, this.txMask[tx]!);
    });
  }

  private applyDecision(s: number, tx: number, d: State): void {
    this.state[tx] = d;
    if (d === CommitState.COMMITTED) this.record.counters.commits++;
    else this.record.counters.aborts++;
    if ((this.slots.flag[s]! & BLOCKED) !== 0) this.record.unblock(this.host.sim.now);
    this.release(s);
  }

  private onStateRequest(tx: number, sender: number): void {
    const st = this.state[tx]!;
    let s = this.slots.find(tx);
    if (this.busy(s)) {
      this.wait(s, sender); // answered once the record being forced is durable
      return;
    }
    if (st !== CommitState.NONE && st !== CommitState.WORKING) {
      this.answer(tx, sender);
      return;
    }
    // Not voted: abort now, durably (the asker may act on it), then say so.
    if (s === -1) s = this.slots.alloc(tx);
    if (s === -1) return;
    this.slots.phase[s] = Phase.LOGGING;
    this.slots.cancel(s);
    this.wait(s, sender);
    this.force(s, tx, this.logRecord(LogKind.ABORT, tx, this.txMask[tx]!), () => {
      this.record.counters.abortsOnRequest++;
      this.applyDecision(s, tx, CommitState.ABORTED);
    });
  }

  /** Remembers a STATE_REQUEST that came while slot s forces a record. */
  private wait(s: number, sender: number): void {
    if (sender === COORDINATOR_INDEX) this.slots.flag[s]! |= COORDINATOR_ASKED;
    else if (sender < 32) this.slots.waiters[s]! |= 1 << sender;
  }

  /** STATE (our state of tx) to `sender`, a participant index or COORDINATOR_INDEX. */
  private answer(tx: number, sender: number): void {
    const dst = sender === COORDINATOR_INDEX ? this.options.coordinator : this.options.participants[sender];
    if (dst !== undefined) this.channel.send(dst, CommitType.STATE, tx, this.state[tx] as State, this.txMask[tx]!);
  }

  private onState(tx: number, state: number, sender: number): void {
    if (isDecided(this.state[tx]!)) return;
    const s = this.slots.find(tx);
    if (s === -1 || this.busy(s)) return;
    const t = this.slots;
    if (isDecided(state)) {
      if (sender !== COORDINATOR_INDEX) this.record.counters.decisionsFromPeers++;
      this.learn(s, tx, state as State, -1);
      return;
    }
    if (t.phase[s] !== Phase.TERM_COLLECT) return;
    if (sender === COORDINATOR_INDEX) {
      if (state === CommitState.COORDINATING) t.flag[s]! |= COORDINATOR_ALIVE;
      return;
    }
    t.m1[s]! |= 1 << sender;
    if (state === CommitState.PRECOMMITTED) t.m2[s]! |= 1 << sender;
  }

  private onPrecommitAck(tx: number, sender: number): void {
    const s = this.slots.find(tx);
    if (s === -1 || this.slots.phase[s] !== Phase.TERM_PRECOMMIT || sender >= 32) return;
    const t = this.slots;
    t.m3[s]! |= 1 << sender;
    if ((t.m1[s]! & ~t.m2[s]! & ~t.m3[s]!) === 0) this.leaderDecide(s, CommitState.COMMITTED);
  }

  // --- timers ---

  private onTimer(s: number): void {
    const t = this.slots;
    const tx = t.tx[s]!;
    switch (t.phase[s]) {
      case Phase.WAIT_PREPARE:
        // No vote request in time: abort on our own; nobody was told, so a lazy record will do.
        this.state[tx] = CommitState.ABORTED;
        this.record.counters.unilateralAborts++;
        this.lazy(LogKind.ABORT, tx);
        this.release(s);
        return;
      case Phase.WAIT_DECISION:
        this.inDoubt(s);
        return;
      case Phase.ASKING:
        this.ask(s);
        return;
      case Phase.TERM_COLLECT:
        this.collectTimer(s);
        return;
      case Phase.TERM_PRECOMMIT:
        this.precommitTimer(s);
        return;
    }
  }

  /** No decision in time: blocked; ask (2PC) or run the termination protocol (3PC). */
  private inDoubt(s: number): void {
    const t = this.slots;
    if ((t.flag[s]! & BLOCKED) === 0) {
      t.flag[s]! |= BLOCKED;
      this.record.block(this.host.sim.now);
    }
    if (this.options.protocol === "3pc") {
      this.startTermination(s);
      return;
    }
    t.phase[s] = Phase.ASKING;
    t.attempts[s] = 0;
    this.ask(s);
  }

  private ask(s: number): void {
    const t = this.slots;
    const tx = t.tx[s]!;
    const st = this.state[tx] as State;
    if (t.attempts[s]! > 0) this.record.messages.retransmissions++;
    this.send(this.options.coordinator, CommitType.STATE_REQUEST, tx, st);
    if (this.options.protocol === "2pc-cooperative") this.toPeers(t.mask[s]!, CommitType.STATE_REQUEST, tx, st);
    t.arm(s, backoff(this.options.timeouts.retransmitNs, t.attempts[s]!));
    if (t.attempts[s]! < 255) t.attempts[s]!++;
  }

  // --- three-phase commit: the termination protocol ---

  private startTermination(s: number): void {
    const t = this.slots;
    const tx = t.tx[s]!;
    t.phase[s] = Phase.TERM_COLLECT;
    t.m1[s] = 0;
    t.m2[s] = this.state[tx] === CommitState.PRECOMMITTED ? this.selfBit : 0;
    t.flag[s]! &= ~COORDINATOR_ALIVE;
    t.deadline[s] = this.host.sim.now + this.options.timeouts.decisionNs;
    this.send(this.options.coordinator, CommitType.STATE_REQUEST, tx, this.state[tx] as State);
    this.toPeers(t.mask[s]!, CommitType.STATE_REQUEST, tx, this.state[tx] as State);
    t.arm(s, Math.min(this.options.timeouts.retransmitNs, this.options.timeouts.decisionNs));
  }

  private collectTimer(s: number): void {
    const t = this.slots;
    const tx = t.tx[s]!;
    const now = this.host.sim.now;
    if (now < t.deadline[s]!) {
      const st = this.state[tx] as State;
      if ((t.flag[s]! & COORDINATOR_ALIVE) === 0) this.send(this.options.coordinator, CommitType.STATE_REQUEST, tx, st);
      const missing = t.mask[s]! & ~t.m1[s]!;
      this.record.messages.retransmissions += popcount(missing & ~this.selfBit);
      this.toPeers(missing, CommitType.STATE_REQUEST, tx, st);
      t.arm(s, Math.min(this.options.timeouts.retransmitNs, t.deadline[s]! - now));
      return;
    }
    const responders = t.m1[s]! | this.selfBit;
    const leader = 31 - Math.clz32(responders & -responders);
    if ((t.flag[s]! & COORDINATOR_ALIVE) !== 0 || leader !== this.index) {
      // The coordinator is alive, or a lower-indexed participant leads: wait for the decision.
      t.phase[s] = Phase.WAIT_DECISION;
      t.arm(s, this.options.timeouts.decisionNs);
      return;
    }
    if (t.m2[s] === 0) {
      this.leaderDecide(s, CommitState.ABORTED);
      return;
    }
    if (this.state[tx] === CommitState.PRECOMMITTED) {
      this.leaderPrecommit(s);
      return;
    }
    t.phase[s] = Phase.LOGGING;
    this.force(s, tx, this.logRecord(LogKind.PRECOMMIT, tx, this.txMask[tx]!), () => {
      this.state[tx] = CommitState.PRECOMMITTED;
      this.leaderPrecommit(s);
    });
  }

  /** The leader moves the uncertain participants that answered to pre-committed, then commits. */
  private leaderPrecommit(s: number): void {
    const t = this.slots;
    t.phase[s] = Phase.TERM_PRECOMMIT;
    t.m3[s] = 0;
    const targets = t.m1[s]! & ~t.m2[s]!;
    if (targets === 0) {
      this.leaderDecide(s, CommitState.COMMITTED);
      return;
    }
    t.deadline[s] = this.host.sim.now + this.options.timeouts.decisionNs;
    this.toPeers(targets, CommitType.PRE_COMMIT, t.tx[s]!, CommitState.PRECOMMITTED);
    t.arm(s, Math.min(this.options.timeouts.retransmitNs, this.options.timeouts.decisionNs));
  }

  private precommitTimer(s: number): void {
    const t = this.slots;
    const now = this.host.sim.now;
    const missing = t.m1[s]! & ~t.m2[s]! & ~t.m3[s]!;
    if (missing === 0 || now >= t.deadline[s]!) {
      this.leaderDecide(s, CommitState.COMMITTED);
      return;
    }
    this.record.messages.retransmissions += popcount(missing);
    this.toPeers(missing, CommitType.PRE_COMMIT, t.tx[s]!, CommitState.PRECOMMITTED);
    t.arm(s, Math.min(this.options.timeouts.retransmitNs, t.deadline[s]! - now));
  }

  private leaderDecide(s: number, d: State): void {
    const t = this.slots;
    const tx = t.tx[s]!;
    const mask = t.mask[s]!;
    t.phase[s] = Phase.LOGGING;
    t.cancel(s);
    const kind = d === CommitState.COMMITTED ? LogKind.COMMIT : LogKind.ABORT;
    this.force(s, tx, this.logRecord(kind, tx, mask), () => {
      this.record.counters.ledTerminations++;
      this.applyDecision(s, tx, d);
      this.toPeers(mask, d === CommitState.COMMITTED ? CommitType.COMMIT : CommitType.ABORT, tx, d);
    });
  }

  // --- helpers ---

  /**
   * Forces `record`; `then` runs once it is durable, if the slot still holds tx. A full log:
   * false when `vote` (the PREPARED record: the caller votes no); otherwise `then` runs at once
   * and the record is counted as not logged (room was checked at the vote, so only another
   * workload sharing the log can have taken it; a crash would leave the transaction in doubt,
   * which the check reports as undecided, never as decided).
   */
  private force(s: number, tx: number, record: Uint8Array, then: () => void, vote = false): boolean {
    const t = this.slots;
    const done = (): void => {
      if (this.down || t.tx[s] !== tx) return;
      // Questions that came while the record was being forced are answered with the new state.
      const waiters = t.waiters[s]!;
      const coordinator = (t.flag[s]! & COORDINATOR_ASKED) !== 0;
      t.waiters[s] = 0;
      t.flag[s]! &= ~COORDINATOR_ASKED;
      then();
      if (coordinator) this.answer(tx, COORDINATOR_INDEX);
      for (let m = waiters; m !== 0; m &= m - 1) this.answer(tx, 31 - Math.clz32(m & -m));
    };
    if (this.host.storage.write(record, done) !== -1) {
      this.record.counters.forcedWrites++;
      return true;
    }
    if (vote) return false;
    this.record.counters.notLogged++;
    done();
    return true;
  }

  /** Room in the log for the `n` records a transaction still needs here. */
  private logHasRoom(n: number): boolean {
    const d = this.host.storage;
    return d.records.length + n <= d.maxRecords && d.stats().bytes + n * LOG_RECORD_LEN <= d.maxBytes;
  }

  private lazy(kind: LogKind, tx: number): void {
    if (this.host.storage.append(this.logRecord(kind, tx, this.txMask[tx]!)) !== -1) this.record.counters.lazyWrites++;
  }

  private send(dst: number, type: CommitType, tx: number, state: State): void {
    this.channel.send(dst, type, tx, state, this.txMask[tx]!);
  }

  /** Sends to every participant in `mask` but this one. */
  private toPeers(mask: number, type: CommitType, tx: number, state: State): void {
    const parts = this.options.participants;
    for (let m = mask & ~this.selfBit; m !== 0; m &= m - 1) {
      const i = 31 - Math.clz32(m & -m);
      this.send(parts[i]!, type, tx, state);
    }
  }

  private release(s: number): void {
    this.slots.free(s);
    this.drainPending();
  }

  private logRecord(kind: LogKind, tx: number, participants: number): Uint8Array {
    return fillLogRecord(this.logBuffer, this.options.port, kind, tx, participants);
  }

  // --- crash and recovery ---

  private crash(): void {
    this.record.counters.crashes++;
    this.record.crashed(this.host.sim.now);
    this.down = true;
    this.slots.clear();
    this.channel.close();
    this.state.fill(0);
    this.txMask.fill(0);
    this.pending = [];
    this.pendingAt = 0;
  }

  private restart(): void {
    this.record.counters.restarts++;
    this.down = false;
    this.channel.open();
    const k = emptyKnowledge(this.options.transactions);
    replayLog(this.host.storage.durable, this.options.port, k);
    this.state.set(k.state);
    this.txMask.set(k.participants);
    const todo: number[] = [];
    for (let tx = 0; tx < k.state.length; tx++) {
      const st = k.state[tx]!;
      if (st === CommitState.UNCERTAIN || st === CommitState.PRECOMMITTED) todo.push(tx);
    }
    this.record.counters.inDoubtAtRestart += todo.length;
    this.pending = todo;
    this.pendingAt = 0;
    this.drainPending();
  }

  /** In-doubt transactions from the log take free slots: blocked at once, asked about. */
  private drainPending(): void {
    const t = this.slots;
    while (this.pendingAt < this.pending.length && t.inUse < t.capacity) {
      const tx = this.pending[this.pendingAt++]!;
      if (isDecided(this.state[tx]!) || t.find(tx) !== -1) continue;
      const s = t.alloc(tx);
      t.mask[s] = this.txMask[tx]!;
      t.phase[s] = Phase.WAIT_DECISION;
      this.inDoubt(s);
    }
  }
}
