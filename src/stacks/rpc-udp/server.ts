// RpcUdpServer: the server side of RPC over UDP, with selectable failure semantics (Birman
// ch. 4.6): at-least-once, at-most-once or exactly-once, orphan extermination, and operations
// that take modelled time and may change state kept on the host's stable storage.
//
// Contract:
// - A request is screened on its first fragment (client-table.ts): a request from an older
//   incarnation of its client is dropped; one from a newer incarnation makes the older one's
//   executions orphans, exterminated (cancelled before their effect) unless told not to, all
//   counted. Under at-most-once a request bound to another server incarnation is answered
//   RESTARTED (the call may have run before the crash); under at-most-once and exactly-once a
//   duplicate never runs: one in progress is answered with an ACK, one answered is replayed
//   from the cached reply, an older one is dropped. Under at-least-once every request that
//   arrives whole runs (a duplicate runs again: counted).
// - A whole request runs for the operation's execution time (an event); an ACK goes after
//   ackDelayNs while it runs. A state change, and under exactly-once each call's id and result
//   (binding operations excepted), is forced to stable storage before the reply; a full log
//   answers LOG_FULL and nothing changes. Replies are kept until acknowledged.
// - crash() loses everything volatile; restart() recovers the app (and, under exactly-once, the
//   replies) from the durable log and runs under the host's new incarnation.
// - An execution counts once its effect is made (durable when logged); a ledger (observer data,
//   kept across crashes, bounded) counts them per call for the executions-per-call histogram.
// - Bounded: clients, executions at once (BUSY beyond), assemblies, message bytes, the ledger.

import { EV_DEVICE_BASE } from "../../devices/device.js";
import type { EventHandler } from "../../engine/scheduler.js";
import type { Simulation } from "../../engine/simulation.js";
import { RpcUdpStatus, RpcUdpType, type RpcUdpRepr } from "../../wire/rpc-udp.js";
import type { AnyIpHost } from "../ip/ip-host.js";
import { AssemblyTable, type AssemblyCounters } from "./assembly.js";
import { ClientTable, EntryState, type ClientEntry } from "./client-table.js";
import { failureHooks, type FailureHooks } from "./host-failures.js";
import { PacketIo, type PacketCounters, type PacketSink } from "./packet-io.js";
import { RpcOp, type RpcSemantics, type RpcUdpEndpointOptions } from "./rpc-udp-types.js";
import { encodeCallRecord, encodeStateRecord, readServerLog } from "./server-log.js";

export const EV_EXEC_DONE = EV_DEVICE_BASE;
export const EV_EXEC_ACK = EV_DEVICE_BASE + 1;
export const EV_REQUEST_NAK = EV_DEVICE_BASE + 2;

/** What an operation produced; `state` is the change to make durable (undefined: none). */
export interface Prepared {
  status: number;
  result: Uint8Array;
  state: Uint8Array | undefined;
}

/** The application a server runs. */
export interface ServerApp {
  /** Modelled execution time of `op`, ns; -1 when there is no such operation. */
  execNs(op: number): number;
  /** The result of `op` on the current state; changes nothing (apply() does). */
  prepare(op: number, args: Uint8Array): Prepared;
  /** Makes a prepared change (its log record, if any, is appended: it is in order). */
  apply(p: Prepared): void;
  /** Rebuilds the state from the durable state changes, oldest first. */
  recover(states: readonly Uint8Array[]): void;
  /** Forgets the volatile state (a crash). */
  reset(): void;
}

export interface RpcUdpServerOptions extends RpcUdpEndpointOptions {
  port: number;
  semantics: RpcSemantics;
  maxClients: number;
  maxExecuting: number;
  maxAssemblies: number;
  exterminateOrphans: boolean;
  ledgerCapacity: number;
}

export interface ServerCounters {
  requests: number;
  executions: number;
  duplicatesSuppressed: number;
  repliesReplayed: number;
  duplicatesExecuted: number;
  restartedRejects: number;
  staleIncarnation: number;
  orphansDetected: number;
  orphansExterminated: number;
  orphansCompleted: number;
  busy: number;
  noSuchOperation: number;
  tooLarge: number;
  logFull: number;
  logWrites: number;
  acksReceived: number;
  naksReceived: number;
  fragmentsRepaired: number;
  recoveredCalls: number;
  restarts: number;
  untrackedCalls: number;
  /** Replies, and acks or NAKs of no reply held: counted and dropped. */
  strayPackets: number;
}

export interface ServerStats extends ServerCounters {
  incarnation: number;
  clients: number;
  tableEvictions: number;
  executionsByOperation: Record<number, number>;
  packets: PacketCounters;
  assembly: AssemblyCounters;
}

const FREE = 0;
const EXECUTING = 1;
const LOGGING = 2;

export class RpcUdpServer implements EventHandler, PacketSink {
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  readonly host: AnyIpHost;
  readonly io: PacketIo;
  readonly semantics: RpcSemantics;
  private readonly o: RpcUdpServerOptions;
  private readonly app: ServerApp;
  private readonly hooks: FailureHooks;
  private readonly table: ClientTable;
  private readonly assembly: AssemblyTable;
  private incarnationValue = 0;
  private up = false;
  // Executions, by slot.
  private readonly xPhase: Uint8Array;
  private readonly xGen: Int32Array;
  private readonly xTimer: Float64Array;
  private readonly xAckTimer: Float64Array;
  private readonly xClient: Float64Array;
  private readonly xInc: Float64Array;
  private readonly xSeq: Float64Array;
  private readonly xOp: Int32Array;
  private readonly xPeer: Float64Array;
  private readonly xPort: Int32Array;
  private readonly xOrphan: Uint8Array;
  /** The request's fragment count and length (what an ACK names). */
  private readonly xCount: Int32Array;
  private readonly xLength: Float64Array;
  private readonly xArgs: (Uint8Array | undefined)[];
  private readonly xFree: number[] = [];
  private readonly byOp: Record<number, number> = {};
  /** Executions per call, "client:incarnation:sequence" -> count (observer data). */
  private readonly ledger = new Map<string, number>();
  readonly counters: ServerCounters = {
    requests: 0,
    executions: 0,
    duplicatesSuppressed: 0,
    repliesReplayed: 0,
    duplicatesExecuted: 0,
    restartedRejects: 0,
    staleIncarnation: 0,
    orphansDetected: 0,
    orphansExterminated: 0,
    orphansCompleted: 0,
    busy: 0,
    noSuchOperation: 0,
    tooLarge: 0,
    logFull: 0,
    logWrites: 0,
    acksReceived: 0,
    naksReceived: 0,
    fragmentsRepaired: 0,
    recoveredCalls: 0,
    restarts: 0,
    untrackedCalls: 0,
    strayPackets: 0,
  };

  constructor(host: AnyIpHost, name: string, app: ServerApp, options: RpcUdpServerOptions) {
    this.host = host;
    this.sim = host.sim;
    this.name = name;
    this.app = app;
    this.o = options;
    this.semantics = options.semantics;
    this.hooks = failureHooks(host, true);
    this.id = this.sim.register(name, this);
    this.io = new PacketIo(host, this, options.fragmentBytes);
    this.table = new ClientTable(options.maxClients);
    this.assembly = new AssemblyTable(this.sim, this.id, EV_REQUEST_NAK, this.io, {
      slots: options.maxAssemblies,
      maxBytes: options.maxAssemblies * Math.min(options.maxMessageBytes, 1 << 20),
      nakDelayNs: options.nakDelayNs,
      nakLimit: options.nakLimit,
    });
    const n = options.maxExecuting;
    this.xPhase = new Uint8Array(n);
    this.xGen = new Int32Array(n);
    this.xTimer = new Float64Array(n).fill(-1);
    this.xAckTimer = new Float64Array(n).fill(-1);
    this.xClient = new Float64Array(n);
    this.xInc = new Float64Array(n);
    this.xSeq = new Float64Array(n);
    this.xOp = new Int32Array(n);
    this.xPeer = new Float64Array(n);
    this.xPort = new Int32Array(n);
    this.xOrphan = new Uint8Array(n);
    this.xCount = new Int32Array(n);
    this.xLength = new Float64Array(n);
    this.xArgs = new Array<Uint8Array | undefined>(n).fill(undefined);
    for (let i = n - 1; i >= 0; i--) this.xFree.push(i);
  }

  get incarnation(): number {
    return this.incarnationValue;
  }

  get isUp(): boolean {
    return this.up;
  }

  /** Boots: recovers from the durable log and binds the port (at start and after a restart). */
  start(): void {
    if (this.up) return;
    this.up = true;
    this.incarnationValue = this.hooks.incarnation;
    this.recover();
    this.io.open(this.o.port);
  }

  crash(): void {
    if (!this.up) return;
    this.up = false;
    this.io.closed();
    this.assembly.clear();
    for (let s = 0; s < this.xPhase.length; s++) if (this.xPhase[s] !== FREE) this.freeSlot(s);
    this.table.clear();
    this.app.reset();
  }

  restart(): void {
    this.counters.restarts++;
    this.start();
  }

  destroy(): void {
    if (this.up) {
      this.crash();
      this.io.close();
    }
  }

  stats(): ServerStats {
    return {
      incarnation: this.incarnationValue,
      ...this.counters,
      clients: this.table.size,
      tableEvictions: this.table.evictions,
      executionsByOperation: { ...this.byOp },
      packets: { ...this.io.counters, drops: { ...this.io.counters.drops } },
      assembly: { ...this.assembly.counters },
    };
  }

  /** Executions per call as [key, count] pairs in key order ("client:incarnation:sequence"). */
  ledgerEntries(): [string, number][] {
    return [...this.ledger.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  handleEvent(kind: number, a: number, b: number): void {
    if (!this.up) return;
    if (kind === EV_REQUEST_NAK) this.assembly.onTimer(a, b);
    else if (this.xGen[a] !== b || this.xPhase[a] === FREE) return;
    else if (kind === EV_EXEC_DONE) {
      this.xTimer[a] = -1;
      this.executed(a);
    } else if (kind === EV_EXEC_ACK) {
      this.xAckTimer[a] = -1;
      if (this.xOrphan[a] === 0) this.ackExecution(a);
    }
  }

  onPacket(r: RpcUdpRepr, bytes: Uint8Array, dataOff: number, src: number, srcPort: number): void {
    if (r.type === RpcUdpType.REQUEST) {
      this.onRequestFragment(r, bytes, dataOff, src, srcPort);
      return;
    }
    const e = this.table.get(r.clientId);
    const reply = e?.reply;
    // A reply, or an ack or NAK of no reply held (or, a NAK, of another message): stray.
    if (
      r.type === RpcUdpType.REPLY ||
      e === undefined ||
      reply === undefined ||
      e.incarnation !== r.clientIncarnation ||
      e.seq !== r.sequence ||
      (r.type === RpcUdpType.NAK &&
        (r.fragmentCount !== this.io.fragmentCount(reply.length) || r.messageLength !== reply.length))
    ) {
      this.counters.strayPackets++;
      return;
    }
    if (r.type === RpcUdpType.ACK) {
      this.counters.acksReceived++;
      e.state = EntryState.ACKED;
      e.reply = undefined;
      return;
    }
    this.counters.naksReceived++;
    this.replyFields(e, r.sequence);
    this.counters.fragmentsRepaired += this.io.sendMessage(src, srcPort, reply, true, bytes, dataOff);
  }

  // --- requests ---

  private onRequestFragment(r: RpcUdpRepr, bytes: Uint8Array, dataOff: number, src: number, srcPort: number): void {
    const e = this.screen(r, src, srcPort);
    if (e === undefined) return;
    if (r.fragmentCount === 1) {
      this.begin(e, r, bytes.slice(dataOff, dataOff + r.dataLength), src, srcPort);
      return;
    }
    const slot = this.assembly.add(r, bytes, dataOff, src, srcPort);
    if (slot < 0) return;
    const a = this.assembly.get(slot);
    const args = a.data;
    this.assembly.release(slot);
    // The entry may have moved on while the burst arrived (a newer incarnation's request).
    if (e.incarnation === r.clientIncarnation) this.begin(e, r, args, src, srcPort);
  }

  /**
   * Decides what a request fragment is before any of it is collected: the entry to run it
   * under, or undefined when it was answered (ACK, replay, RESTARTED, BUSY) or dropped.
   * Only a first fragment is answered, so a retransmitted burst draws one answer.
   */
  private screen(r: RpcUdpRepr, src: number, srcPort: number): ClientEntry | undefined {
    const first = r.fragmentIndex === 0;
    const e = this.table.take(r.clientId, r.clientIncarnation, this.sim.now);
    if (e === undefined) {
      if (first) this.refuse(r, src, srcPort, RpcUdpStatus.BUSY);
      return undefined;
    }
    if (r.clientIncarnation < e.incarnation) {
      if (first) this.counters.staleIncarnation++;
      return undefined;
    }
    if (r.clientIncarnation > e.incarnation) this.newIncarnation(e, r.clientIncarnation);
    // A lookup is how a client learns the incarnation: it is answered whatever it names.
    const bound = r.serverIncarnation === this.incarnationValue || r.operation === RpcOp.LOOKUP;
    if (this.semantics === "at-most-once" && !bound) {
      if (first) {
        this.counters.restartedRejects++;
        this.refuse(r, src, srcPort, RpcUdpStatus.RESTARTED);
      }
      return undefined;
    }
    if (r.messageLength > this.o.maxMessageBytes) {
      if (first) this.refuse(r, src, srcPort, RpcUdpStatus.TOO_LARGE);
      return undefined;
    }
    if (this.semantics === "at-least-once" || r.sequence > e.seq) return e;
    // A duplicate: it never runs again.
    if (!first) return undefined;
    this.counters.duplicatesSuppressed++;
    if (r.sequence < e.seq) return undefined;
    if (e.state === EntryState.EXECUTING) {
      this.io.tx.operation = r.operation;
      this.ack(r.clientId, r.clientIncarnation, r.sequence, src, srcPort, r.fragmentCount, r.messageLength);
    } else if (e.state === EntryState.REPLIED && e.reply !== undefined) {
      this.counters.repliesReplayed++;
      this.replyFields(e, e.seq);
      this.io.sendMessage(src, srcPort, e.reply, true);
    }
    return undefined;
  }

  /** A newer incarnation of a client: the older one's executions are orphans. */
  private newIncarnation(e: ClientEntry, incarnation: number): void {
    for (let s = 0; s < this.xPhase.length; s++) {
      if (this.xPhase[s] === FREE || this.xClient[s] !== e.clientId || this.xInc[s]! >= incarnation) continue;
      if (this.xOrphan[s] === 1) continue;
      this.counters.orphansDetected++;
      if (this.o.exterminateOrphans && this.xPhase[s] === EXECUTING) {
        this.counters.orphansExterminated++;
        this.release(s);
      } else this.xOrphan[s] = 1;
    }
    e.renew(incarnation);
  }

  /** A whole request under entry `e`: runs it (or answers BUSY / NO_SUCH_OPERATION). */
  private begin(e: ClientEntry, r: RpcUdpRepr, args: Uint8Array, src: number, srcPort: number): void {
    this.counters.requests++;
    if (r.sequence <= e.seq) {
      // Only at-least-once gets here with a call it has seen.
      this.counters.duplicatesExecuted++;
    } else {
      e.seq = r.sequence;
      e.reply = undefined;
    }
    e.state = EntryState.EXECUTING;
    const execNs = this.app.execNs(r.operation);
    if (execNs < 0) {
      this.counters.noSuchOperation++;
      this.answer(e, r.clientIncarnation, r.sequence, r.operation, RpcUdpStatus.NO_SUCH_OPERATION, EMPTY, src, srcPort);
      return;
    }
    const s = this.xFree.pop();
    if (s === undefined) {
      this.counters.busy++;
      this.answer(e, r.clientIncarnation, r.sequence, r.operation, RpcUdpStatus.BUSY, EMPTY, src, srcPort);
      return;
    }
    e.running++;
    this.xPhase[s] = EXECUTING;
    this.xClient[s] = r.clientId;
    this.xInc[s] = r.clientIncarnation;
    this.xSeq[s] = r.sequence;
    this.xOp[s] = r.operation;
    this.xPeer[s] = src;
    this.xPort[s] = srcPort;
    this.xOrphan[s] = 0;
    this.xCount[s] = r.fragmentCount;
    this.xLength[s] = r.messageLength;
    this.xArgs[s] = args;
    const sched = this.sim.scheduler;
    this.xTimer[s] = sched.schedule(this.id, execNs, this.id, EV_EXEC_DONE, s, this.xGen[s]!, 0);
    if (execNs > this.o.ackDelayNs)
      this.xAckTimer[s] = sched.schedule(this.id, this.o.ackDelayNs, this.id, EV_EXEC_ACK, s, this.xGen[s]!, 0);
  }

  /** The execution time is over: prepare, log if needed, then commit. */
  private executed(s: number): void {
    const p = this.app.prepare(this.xOp[s]!, this.xArgs[s]!);
    // Binding operations are idempotent and not the workload's calls: never logged.
    const exactly = this.semantics === "exactly-once" && this.xOp[s]! < BINDING_OPS;
    if (!exactly && p.state === undefined) {
      this.app.apply(p);
      this.commit(s, p);
      return;
    }
    const port = this.o.port;
    const rec = exactly ? encodeCallRecord(port, this.loggedCall(s, p), p.state) : encodeStateRecord(port, p.state!);
    const gen = this.xGen[s]!;
    let writing = true;
    let durableAtOnce = false;
    this.xPhase[s] = LOGGING;
    const index = this.hooks.log.write(rec, () => {
      if (writing) durableAtOnce = true;
      else if (this.up && this.xGen[s] === gen) this.commit(s, p);
    });
    writing = false;
    if (index < 0) {
      this.counters.logFull++;
      const peer = this.xPeer[s]!;
      const peerPort = this.xPort[s]!;
      const e = this.table.get(this.xClient[s]!);
      const [inc, seq, op, orphan] = [this.xInc[s]!, this.xSeq[s]!, this.xOp[s]!, this.xOrphan[s]];
      this.release(s);
      if (orphan === 0 && e !== undefined) this.answer(e, inc, seq, op, RpcUdpStatus.LOG_FULL, EMPTY, peer, peerPort);
      return;
    }
    this.counters.logWrites++;
    this.app.apply(p);
    if (durableAtOnce) this.commit(s, p);
  }

  private loggedCall(s: number, p: Prepared) {
    return {
      clientId: this.xClient[s]!,
      clientIncarnation: this.xInc[s]!,
      sequence: this.xSeq[s]!,
      operation: this.xOp[s]!,
      status: p.status,
      result: p.result,
    };
  }

  /** The effect is made (durable if logged): count it and answer. */
  private commit(s: number, p: Prepared): void {
    const clientId = this.xClient[s]!;
    const inc = this.xInc[s]!;
    const seq = this.xSeq[s]!;
    const op = this.xOp[s]!;
    const peer = this.xPeer[s]!;
    const peerPort = this.xPort[s]!;
    const orphan = this.xOrphan[s] === 1;
    this.release(s);
    this.counters.executions++;
    this.byOp[op] = (this.byOp[op] ?? 0) + 1;
    if (op < BINDING_OPS) this.track(`${clientId}:${inc}:${seq}`);
    if (orphan) {
      this.counters.orphansCompleted++;
      return;
    }
    const e = this.table.get(clientId);
    if (e !== undefined) this.answer(e, inc, seq, op, p.status, p.result, peer, peerPort);
  }

  private track(key: string): void {
    const n = this.ledger.get(key);
    if (n !== undefined) this.ledger.set(key, n + 1);
    else if (this.ledger.size < this.o.ledgerCapacity) this.ledger.set(key, 1);
    else this.counters.untrackedCalls++;
  }

  /** Sends a reply and caches it in the entry when the entry is still that call's. */
  private answer(
    e: ClientEntry,
    inc: number,
    seq: number,
    op: number,
    status: number,
    result: Uint8Array,
    peer: number,
    peerPort: number,
  ): void {
    if (e.incarnation === inc && e.seq === seq) {
      e.state = EntryState.REPLIED;
      e.reply = result;
      e.replyStatus = status;
      e.replyOp = op;
      e.replySinc = this.incarnationValue;
      e.replyTo = peer;
      e.replyPort = peerPort;
    }
    const tx = this.io.tx;
    tx.type = RpcUdpType.REPLY;
    tx.status = status as RpcUdpStatus;
    tx.operation = op;
    tx.clientId = e.clientId;
    tx.clientIncarnation = inc;
    tx.serverIncarnation = this.incarnationValue;
    tx.sequence = seq;
    this.io.sendMessage(peer, peerPort, result, false);
  }

  /** A refusal sent without touching the entry (BUSY for a full table, RESTARTED, TOO_LARGE). */
  private refuse(r: RpcUdpRepr, src: number, srcPort: number, status: RpcUdpStatus): void {
    if (status === RpcUdpStatus.BUSY) this.counters.busy++;
    if (status === RpcUdpStatus.TOO_LARGE) this.counters.tooLarge++;
    const tx = this.io.tx;
    tx.type = RpcUdpType.REPLY;
    tx.status = status;
    tx.operation = r.operation;
    tx.clientId = r.clientId;
    tx.clientIncarnation = r.clientIncarnation;
    tx.serverIncarnation = this.incarnationValue;
    tx.sequence = r.sequence;
    this.io.sendMessage(src, srcPort, EMPTY, false);
  }

  private replyFields(e: ClientEntry, seq: number): void {
    const tx = this.io.tx;
    tx.type = RpcUdpType.REPLY;
    tx.status = e.replyStatus as RpcUdpStatus;
    tx.operation = e.replyOp;
    tx.clientId = e.clientId;
    tx.clientIncarnation = e.incarnation;
    tx.serverIncarnation = e.replySinc;
    tx.sequence = seq;
  }

  private ackExecution(s: number): void {
    this.io.tx.operation = this.xOp[s]!;
    this.ack(
      this.xClient[s]!,
      this.xInc[s]!,
      this.xSeq[s]!,
      this.xPeer[s]!,
      this.xPort[s]!,
      this.xCount[s]!,
      this.xLength[s]!,
    );
  }

  private ack(
    clientId: number,
    inc: number,
    seq: number,
    peer: number,
    port: number,
    count: number,
    len: number,
  ): void {
    const tx = this.io.tx;
    tx.clientId = clientId;
    tx.clientIncarnation = inc;
    tx.serverIncarnation = this.incarnationValue;
    tx.sequence = seq;
    this.io.sendAck(peer, port, count, len);
  }

  // --- executions and recovery ---

  private release(s: number): void {
    const e = this.table.get(this.xClient[s]!);
    if (e !== undefined && e.running > 0) e.running--;
    this.freeSlot(s);
  }

  private freeSlot(s: number): void {
    const sched = this.sim.scheduler;
    if (this.xTimer[s]! >= 0) sched.cancel(this.xTimer[s]!);
    if (this.xAckTimer[s]! >= 0) sched.cancel(this.xAckTimer[s]!);
    this.xTimer[s] = -1;
    this.xAckTimer[s] = -1;
    this.xGen[s] = (this.xGen[s]! + 1) | 0;
    this.xPhase[s] = FREE;
    this.xArgs[s] = undefined;
    this.xFree.push(s);
  }

  /** Rebuilds the app's state and (exactly-once) the answered calls from the durable log. */
  private recover(): void {
    const log = readServerLog(this.hooks.log.durable, this.o.port);
    this.app.recover(log.states);
    if (this.semantics !== "exactly-once") return;
    for (const c of log.calls) {
      const e = this.table.take(c.clientId, c.clientIncarnation, this.sim.now);
      if (e === undefined) continue;
      if (c.clientIncarnation > e.incarnation) e.renew(c.clientIncarnation);
      if (c.clientIncarnation < e.incarnation || c.sequence < e.seq) continue;
      e.seq = c.sequence;
      e.state = EntryState.REPLIED;
      e.reply = c.result;
      e.replyStatus = c.status;
      e.replyOp = c.operation;
      e.replySinc = this.incarnationValue;
      this.counters.recoveredCalls++;
    }
  }
}

const EMPTY = new Uint8Array(0);
/** Operations from here up (lookup, register) are binding, not calls of the workload: not in the ledger. */
const BINDING_OPS = 0xff00;
