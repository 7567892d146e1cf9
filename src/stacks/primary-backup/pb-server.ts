// PbServer: one server of a primary-backup service (Birman figs. 4-7 to 4-9). The primary
// forwards every update to the backups and answers the client only once each backup it still
// counts has applied it; backups watch the primary's heartbeats and take over when they stop,
// or when a client asks them to. Failure detection is by timeouts only, so it can be wrong: a
// partition can leave two servers each acting as primary (the split the report looks for).
//
// Contract:
// - Roles: Backup --heartbeats stop (takeoverOnSilence) / TAKEOVER (takeoverOnRequest)-->
//   Primary (epoch + 1); Primary --a message from a newer primary--> Backup; any --crash-->
//   Down --restart--> Backup (empty state, no known primary). "Newer" orders (epoch, server):
//   the higher epoch, then the lower server index. Server 0 starts as primary of epoch 1.
// - Backups that must wait for their heartbeat timeout are ranked: the k-th server after the
//   primary in list order waits k timeouts, so after a crash one backup takes over first and
//   the others follow it.
// - Updates: the primary gives each new request the next log index, forwards it to every
//   backup in its backup set and retransmits every updateTimeout; a backup that has not
//   applied an update after updateRetries retransmissions is dropped from the set (it is
//   added back once its acks show it caught up). Updates commit in index order; the reply
//   goes out at commit. Backups apply updates in order and ack cumulatively; updates that
//   arrive ahead of a missing one wait in a bounded reorder buffer (REORDER_FULL beyond it).
// - Heartbeats (every heartbeatPeriod, to every other server) carry the committed index and
//   digest: a backup behind it, or that just changed primary, takes the state from it.
// - A retransmitted request is answered from the client table, not executed again; backups keep
//   the table too, so a new primary answers requests its predecessor committed. A state taken
//   from a heartbeat does not carry the table (documented limit).
// - Every timer is an event of this node; everything it records is bounded (pb-history.ts).

import { EV_DEVICE_BASE } from "../../devices/device.js";
import type { Simulation } from "../../engine/simulation.js";
import { PB_NONE, PbStatus, PbType } from "../../wire/primary-backup.js";
import type { AnyIpHost } from "../ip/ip-host.js";
import type { UdpMessage } from "../ip/udp-layer.js";
import {
  CommitLog,
  DEFAULT_HISTORY_LIMIT,
  Timeline,
  type PbCommit,
  type PbRole,
  type PbRoleChange,
} from "./pb-history.js";
import { PbNode } from "./pb-node.js";
import { ClientTable, PendingUpdates, ReorderBuffer, mixDigest } from "./pb-pending.js";

export const EV_PB_START = EV_DEVICE_BASE;
export const EV_PB_HEARTBEAT = EV_DEVICE_BASE + 1;
export const EV_PB_WATCH = EV_DEVICE_BASE + 2;
export const EV_PB_SWEEP = EV_DEVICE_BASE + 3;
const T_START = 0;
const T_HEARTBEAT = 1;
const T_WATCH = 2;
const T_SWEEP = 3;

export const MAX_PB_SERVERS = 31;

/** The service as every server and client of it sees it. */
export interface PbServiceConfig {
  /** Device names are "<service>:<host>". */
  service: string;
  /** Server addresses, the first primary at start. */
  servers: readonly number[];
  /** Number of clients (client ids 0..clients-1). */
  clients: number;
  port: number;
  startNs: number;
  heartbeatPeriodNs: number;
  heartbeatTimeoutNs: number;
  updateTimeoutNs: number;
  updateRetries: number;
  /** A backup takes over when the primary's heartbeats stop. */
  takeoverOnSilence: boolean;
  /** A backup takes over when a client asks it to. */
  takeoverOnRequest: boolean;
  /** Entries per timeline and commit log (default 65,536). */
  historyLimit?: number;
}

export interface PbServerCounters {
  requests: number;
  /** Retransmitted requests answered from the client table. */
  reanswered: number;
  /** Retransmissions of a request still being forwarded (ignored). */
  inProgress: number;
  notPrimary: number;
  updatesSent: number;
  updateRetransmits: number;
  updatesApplied: number;
  acksSent: number;
  backupsDropped: number;
  backupsReadded: number;
  heartbeatsSent: number;
  heartbeatsReceived: number;
  statesAdopted: number;
  takeovers: number;
  stepDowns: number;
  /** Updates forwarded but dropped uncommitted when this primary stepped down or crashed. */
  abandoned: number;
}

/** A server as plain data (crosses worker threads). */
export interface PbServerState {
  host: string;
  index: number;
  role: PbRole;
  epoch: number;
  /** The primary this server follows (itself when primary); -1: none known. */
  primary: number;
  applied: number;
  digest: number;
  roles: PbRoleChange[];
  rolesOverflow: number;
  /** Updates committed as primary (the first historyLimit of them). */
  commits: PbCommit[];
  committed: number;
  commitsOverflow: number;
  counters: PbServerCounters;
  drops: Record<string, number>;
}

export class PbServer extends PbNode {
  readonly index: number;
  readonly cfg: PbServiceConfig;
  private role: PbRole = "backup";
  private epoch = 1;
  private primary = 0;
  /** Highest epoch seen in any message. */
  private maxEpoch = 1;
  private applied = 0;
  private digest = 0;
  /** Primary: last index handed out. */
  private assigned = 0;
  /** Backup: its state is stale (new primary, restart) until a heartbeat brings one. */
  private needState = false;
  private lastHeard = 0;
  /** Primary: bit s set = server s is in the backup set. */
  private backups = 0;
  private readonly pending: PendingUpdates;
  private readonly table: ClientTable;
  private readonly ahead: ReorderBuffer;
  private readonly roles: Timeline<PbRoleChange>;
  private readonly commitLog: CommitLog;
  readonly counters: PbServerCounters = {
    requests: 0,
    reanswered: 0,
    inProgress: 0,
    notPrimary: 0,
    updatesSent: 0,
    updateRetransmits: 0,
    updatesApplied: 0,
    acksSent: 0,
    backupsDropped: 0,
    backupsReadded: 0,
    heartbeatsSent: 0,
    heartbeatsReceived: 0,
    statesAdopted: 0,
    takeovers: 0,
    stepDowns: 0,
    abandoned: 0,
  };

  constructor(sim: Simulation, host: AnyIpHost, index: number, cfg: PbServiceConfig) {
    super(sim, host, cfg.service, cfg.port);
    this.index = index;
    this.cfg = cfg;
    this.pending = new PendingUpdates(Math.max(16, 2 * cfg.clients));
    this.table = new ClientTable(cfg.clients);
    this.ahead = new ReorderBuffer(Math.max(16, 2 * cfg.clients));
    const limit = cfg.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    this.roles = new Timeline(limit);
    this.commitLog = new CommitLog(limit);
    this.role = index === 0 ? "primary" : "backup";
    this.backups = index === 0 ? this.othersMask() : 0;
    this.roles.push({ atNs: sim.now, role: this.role, epoch: 1, cause: "start" });
    this.arm(T_START, EV_PB_START, cfg.startNs - sim.now);
  }

  get roleName(): PbRole {
    return this.role;
  }

  handleEvent(kind: number, _a: number, _b: number, _len: number): void {
    if (kind === EV_PB_START) {
      this.fired(T_START);
      this.lastHeard = this.sim.now;
      if (this.role === "primary") this.heartbeat();
      else if (this.role === "backup") this.watch();
    } else if (kind === EV_PB_HEARTBEAT) {
      this.fired(T_HEARTBEAT);
      if (this.role === "primary") this.heartbeat();
    } else if (kind === EV_PB_WATCH) {
      this.fired(T_WATCH);
      if (this.role === "backup") this.watch();
    } else if (kind === EV_PB_SWEEP) {
      this.fired(T_SWEEP);
      if (this.role === "primary") this.sweep();
    }
  }

  state(): PbServerState {
    return {
      host: this.host.name.replace(/\.ip$/, ""),
      index: this.index,
      role: this.role,
      epoch: this.epoch,
      primary: this.primary === PB_NONE ? -1 : this.primary,
      applied: this.applied,
      digest: this.digest,
      roles: this.roles.entries.map((r) => ({ ...r })),
      rolesOverflow: this.roles.overflow,
      commits: this.commitLog.entries(),
      committed: this.commitLog.count,
      commitsOverflow: this.commitLog.overflow,
      counters: { ...this.counters },
      drops: { ...this.drops },
    };
  }

  // --- messages ---

  protected onPb(m: UdpMessage): void {
    const r = this.rx;
    if (r.epoch > this.maxEpoch) this.maxEpoch = r.epoch;
    switch (r.type) {
      case PbType.REQUEST:
        return this.onRequest(m);
      case PbType.TAKEOVER:
        return this.onTakeover(m);
      case PbType.UPDATE:
        return this.onUpdate(m);
      case PbType.ACK:
        return this.onAck();
      case PbType.HEARTBEAT:
        return this.onHeartbeat(m);
      default:
        return this.drop("UNEXPECTED_TYPE");
    }
  }

  private onRequest(m: UdpMessage): void {
    const r = this.rx;
    if (r.client >= this.cfg.clients) return this.drop("BAD_CLIENT");
    this.counters.requests++;
    if (this.role !== "primary") return this.replyNotPrimary(m);
    const t = this.table;
    const c = r.client;
    if (r.seq < t.lastSeq[c]!) return this.drop("STALE_REQUEST");
    if (t.lastSeq[c] === r.seq) {
      if (t.done[c] === 1) {
        this.counters.reanswered++;
        this.reply(m.src, m.srcPort, c, r.seq, t.doneIndex[c]!);
      } else this.counters.inProgress++;
      return;
    }
    const slot = this.pending.push(++this.assigned, c, r.seq, r.value, m.src, m.srcPort, this.sim.now);
    if (slot === -1) {
      this.assigned--;
      return this.drop("PENDING_FULL");
    }
    t.record(c, r.seq, false, 0);
    if (this.backups === 0) return this.commitReady();
    this.forward(slot, this.backups);
    if (this.pending.count === 1) this.arm(T_SWEEP, EV_PB_SWEEP, this.cfg.updateTimeoutNs);
  }

  private onTakeover(m: UdpMessage): void {
    const r = this.rx;
    if (r.client >= this.cfg.clients) return this.drop("BAD_CLIENT");
    if (this.role === "backup" && this.cfg.takeoverOnRequest) this.becomePrimary("takeover-request");
    if (this.role !== "primary") return this.replyNotPrimary(m);
    this.reply(m.src, m.srcPort, r.client, r.seq, this.applied);
  }

  /**
   * A server message: follows a newer primary first; true when it comes from ours, false when
   * from an older one, undefined when its sender is no other server (dropped, BAD_SENDER).
   */
  private fromLeader(): boolean | undefined {
    const r = this.rx;
    if (r.sender >= this.cfg.servers.length || r.sender === this.index) {
      this.drop("BAD_SENDER");
      return undefined;
    }
    const leader = r.type === PbType.ACK ? r.hint : r.sender;
    if (leader < this.cfg.servers.length && this.newer(r.epoch, leader)) this.follow(leader, r.epoch);
    return r.epoch === this.epoch && leader === this.primary;
  }

  private onUpdate(m: UdpMessage): void {
    const ours = this.fromLeader();
    if (ours === undefined) return;
    if (!ours) return this.stale(m, "STALE_UPDATE");
    const r = this.rx;
    if (r.client >= this.cfg.clients) return this.drop("BAD_CLIENT");
    this.lastHeard = this.sim.now;
    if (r.index > this.applied + 1 || this.needState) {
      if (!this.ahead.hold(r.index, r.client, r.seq, r.value)) this.drop("REORDER_FULL");
      if (this.needState) return;
    } else if (r.index === this.applied + 1) {
      this.apply(r.index, r.client, r.seq, r.value);
      this.applyHeld();
    }
    this.ack(m.src);
  }

  private apply(index: number, client: number, seq: number, value: number): void {
    this.digest = mixDigest(this.digest, client, seq, value);
    this.applied = index;
    this.table.record(client, seq, true, index);
    this.counters.updatesApplied++;
  }

  /** Applies held updates that now follow in order. */
  private applyHeld(): void {
    const a = this.ahead;
    for (let i = a.find(this.applied + 1); i !== -1; i = a.find(this.applied + 1)) {
      this.apply(a.index[i]!, a.client[i]!, a.seq[i]!, a.value[i]!);
      a.remove(i);
    }
    a.dropUpTo(this.applied);
  }

  /**
   * An update or heartbeat from a primary older than ours: dropped, and answered with an ack
   * naming our primary, so a deposed primary learns of its successor without waiting.
   */
  private stale(m: UdpMessage, reason: string): void {
    this.drop(reason);
    if (this.primary !== PB_NONE && !this.needState) this.ack(m.src);
  }

  private onAck(): void {
    if (this.fromLeader() === undefined) return;
    const r = this.rx;
    if (this.role !== "primary" || r.epoch !== this.epoch || r.hint !== this.index) return this.drop("STALE_ACK");
    const bit = 1 << r.sender;
    if ((this.backups & bit) === 0) return this.rejoin(r.sender, r.index);
    const p = this.pending;
    for (let k = 0; k < p.count; k++) {
      const i = p.at(k);
      if (p.index[i]! > r.index) break;
      p.acked[i] = p.acked[i]! | bit;
    }
    this.commitReady();
  }

  /**
   * An ack from a server outside the backup set: caught up with the committed state, it joins
   * and gets every pending update; behind it, it gets the state first (a heartbeat, now).
   */
  private rejoin(server: number, index: number): void {
    const dst = this.cfg.servers[server]!;
    if (index < this.applied) return this.heartbeatTo(dst);
    const bit = 1 << server;
    this.backups |= bit;
    this.counters.backupsReadded++;
    const p = this.pending;
    for (let k = 0; k < p.count; k++) {
      const i = p.at(k);
      if (p.index[i]! <= index) p.acked[i] = p.acked[i]! | bit;
      else this.forward(i, bit);
    }
  }

  private onHeartbeat(m: UdpMessage): void {
    this.counters.heartbeatsReceived++;
    const ours = this.fromLeader();
    if (ours === undefined) return;
    if (!ours) return this.stale(m, "STALE_HEARTBEAT");
    const r = this.rx;
    this.lastHeard = this.sim.now;
    if (this.needState || r.index > this.applied) {
      this.applied = r.index;
      this.digest = r.value;
      this.needState = false;
      this.counters.statesAdopted++;
      this.applyHeld();
    }
    this.ack(m.src);
  }

  // --- roles ---

  /** True when (epoch, server) names a newer primary than the one this server follows. */
  private newer(epoch: number, server: number): boolean {
    if (this.primary === PB_NONE) return true;
    return epoch > this.epoch || (epoch === this.epoch && server < this.primary);
  }

  private follow(server: number, epoch: number): void {
    const now = this.sim.now;
    if (this.role === "primary") {
      this.counters.stepDowns++;
      this.counters.abandoned += this.pending.count;
      this.pending.clear();
      this.assigned = this.applied;
      this.disarm(T_HEARTBEAT);
      this.disarm(T_SWEEP);
    }
    const changed = this.role !== "backup" || epoch !== this.epoch || server !== this.primary;
    this.role = "backup";
    this.epoch = epoch;
    this.primary = server;
    this.needState = true;
    this.ahead.clear();
    this.lastHeard = now;
    if (changed) this.roles.push({ atNs: now, role: "backup", epoch, cause: "newer-primary" });
    this.watch();
  }

  private becomePrimary(cause: string): void {
    this.epoch = Math.max(this.epoch, this.maxEpoch) + 1;
    this.maxEpoch = this.epoch;
    this.role = "primary";
    this.primary = this.index;
    this.needState = false;
    this.assigned = this.applied;
    this.backups = this.othersMask();
    this.pending.clear();
    this.ahead.clear();
    this.counters.takeovers++;
    this.roles.push({ atNs: this.sim.now, role: "primary", epoch: this.epoch, cause });
    this.disarm(T_WATCH);
    this.heartbeat();
  }

  /** Backup: takes over once the primary has been silent for its rank's share of timeouts. */
  private watch(): void {
    const n = this.cfg.servers.length;
    const rank = this.primary === PB_NONE ? this.index + 1 : (this.index - this.primary + n) % n || n;
    const due = this.lastHeard + rank * this.cfg.heartbeatTimeoutNs;
    const now = this.sim.now;
    if (now < due) return this.arm(T_WATCH, EV_PB_WATCH, due - now);
    if (this.cfg.takeoverOnSilence) this.becomePrimary("heartbeat-timeout");
  }

  private heartbeat(): void {
    const servers = this.cfg.servers;
    for (let s = 0; s < servers.length; s++) if (s !== this.index) this.heartbeatTo(servers[s]!);
    this.arm(T_HEARTBEAT, EV_PB_HEARTBEAT, this.cfg.heartbeatPeriodNs);
  }

  private heartbeatTo(dst: number): void {
    this.serverMessage(PbType.HEARTBEAT, this.index);
    this.tx.index = this.applied;
    this.tx.value = this.digest;
    this.counters.heartbeatsSent++;
    this.send(dst);
  }

  // --- updates ---

  /** Sends the update in pending slot `i` to every server in `mask`. */
  private forward(i: number, mask: number): void {
    const p = this.pending;
    const t = this.tx;
    this.serverMessage(PbType.UPDATE, this.index);
    t.client = p.client[i]!;
    t.seq = p.seq[i]!;
    t.index = p.index[i]!;
    t.value = p.value[i]!;
    const servers = this.cfg.servers;
    for (let s = 0; s < servers.length; s++) {
      if ((mask & (1 << s)) === 0) continue;
      this.counters.updatesSent++;
      this.send(servers[s]!);
    }
  }

  /** Retransmits overdue updates; drops backups that stay silent past updateRetries. */
  private sweep(): void {
    const p = this.pending;
    const now = this.sim.now;
    const timeout = this.cfg.updateTimeoutNs;
    for (let k = 0; k < p.count; k++) {
      const i = p.at(k);
      if (now - p.sentAt[i]! < timeout) continue;
      const missing = this.backups & ~p.acked[i]!;
      if (missing === 0) continue;
      if (++p.tries[i]! > this.cfg.updateRetries) {
        this.backups &= ~missing;
        for (let s = 0; s < 32; s++) if ((missing & (1 << s)) !== 0) this.counters.backupsDropped++;
        continue;
      }
      p.sentAt[i] = now;
      this.counters.updateRetransmits++;
      this.forward(i, missing);
    }
    this.commitReady();
    if (this.role === "primary" && p.count > 0) this.arm(T_SWEEP, EV_PB_SWEEP, timeout);
  }

  /** Commits, in index order, every head update that every counted backup has applied. */
  private commitReady(): void {
    const p = this.pending;
    const now = this.sim.now;
    while (p.count > 0) {
      const i = p.at(0);
      if ((p.acked[i]! & this.backups) !== this.backups) return;
      const client = p.client[i]!;
      const seq = p.seq[i]!;
      const index = p.index[i]!;
      this.digest = mixDigest(this.digest, client, seq, p.value[i]!);
      this.applied = index;
      this.table.record(client, seq, true, index);
      this.commitLog.push(now, client, seq, index, this.epoch);
      this.reply(p.replyTo[i]!, p.replyPort[i]!, client, seq, index);
      p.shift();
    }
    this.disarm(T_SWEEP);
  }

  // --- sending ---

  private serverMessage(type: PbType, hint: number): void {
    const t = this.tx;
    t.type = type;
    t.status = PbStatus.OK;
    t.epoch = this.epoch;
    t.sender = this.index;
    t.hint = hint;
    t.client = 0;
    t.seq = 0;
    t.index = 0;
    t.value = 0;
  }

  private ack(dst: number): void {
    this.serverMessage(PbType.ACK, this.primary);
    this.tx.index = this.applied;
    this.counters.acksSent++;
    this.send(dst);
  }

  private reply(dst: number, port: number, client: number, seq: number, index: number): void {
    const t = this.tx;
    this.serverMessage(PbType.REPLY, this.index);
    t.client = client;
    t.seq = seq;
    t.index = index;
    t.value = this.digest;
    this.send(dst, port);
  }

  private replyNotPrimary(m: UdpMessage): void {
    this.counters.notPrimary++;
    const t = this.tx;
    this.serverMessage(PbType.REPLY, this.primary);
    t.status = PbStatus.NOT_PRIMARY;
    t.client = this.rx.client;
    t.seq = this.rx.seq;
    this.send(m.src, m.srcPort);
  }

  private othersMask(): number {
    return ((1 << this.cfg.servers.length) - 1) & ~(1 << this.index);
  }

  // --- crash and restart ---

  protected onHostCrash(): void {
    if (this.role === "primary") this.counters.abandoned += this.pending.count;
    this.role = "down";
    this.pending.clear();
    this.ahead.clear();
    this.table.clear();
    this.backups = 0;
    this.roles.push({ atNs: this.sim.now, role: "down", epoch: this.epoch, cause: "crash" });
  }

  protected onHostRestart(): void {
    this.role = "backup";
    this.epoch = 0;
    this.maxEpoch = 0;
    this.primary = PB_NONE;
    this.applied = 0;
    this.digest = 0;
    this.assigned = 0;
    this.needState = true;
    this.lastHeard = this.sim.now;
    this.roles.push({ atNs: this.sim.now, role: "backup", epoch: 0, cause: "restart" });
    this.watch();
  }
}
