// CommitChannel: how a commit party sends and receives its messages: one UDP datagram per
// message (src/wire/commit.ts, 16 bytes), on the workload's port, with push delivery.
//
// Contract:
// - UDP gives no delivery guarantee: the parties make it a request/ack exchange of their own
//   (PREPARE -> vote, PRE_COMMIT -> ack, decision -> ACK, STATE_REQUEST -> STATE), resending a
//   request on their timers until the answer comes. Every request is idempotent, so a
//   duplicate only repeats an answer.
// - open() binds the port (at the start and after every restart: a crash closes the host's
//   sockets); close() forgets the socket. While closed, send() does nothing and returns false.
// - Receive: every datagram is checked (parseCommitInto); a malformed one, one of another
//   protocol, or one whose sender field does not match its source address is dropped and
//   counted by reason, never thrown. The listener gets a reused repr, valid during the call,
//   and the source address to answer to.
// - Counters: messages sent and received by type, drops by reason; they live in a
//   MessageCounters the owner keeps across crashes (they measure the run, not the host).
// - No allocation per message: one reused repr, view and 16-byte send buffer.

import {
  COMMIT_ERROR_NAMES,
  COMMIT_HEADER_LEN,
  COMMIT_TYPE_NAMES,
  COORDINATOR_INDEX,
  CommitParseError,
  CommitView,
  createCommitRepr,
  emitCommit,
  parseCommitInto,
  type CommitProtocol,
  type CommitRepr,
  type CommitState,
  type CommitType,
} from "../../wire/commit.js";
import type { UdpMessage, UdpSocket } from "../ip/udp-layer.js";
import type { CommitHost } from "./commit-config.js";

/** Messages by type (index = CommitType) and drops by reason. */
export class MessageCounters {
  readonly sent = new Float64Array(COMMIT_TYPE_NAMES.length);
  readonly received = new Float64Array(COMMIT_TYPE_NAMES.length);
  /** Requests sent again because no answer came. */
  retransmissions = 0;
  readonly drops: Record<string, number> = {};

  drop(reason: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }

  toJSON(): MessageCountersJson {
    return {
      sent: byType(this.sent),
      received: byType(this.received),
      retransmissions: this.retransmissions,
      drops: { ...this.drops },
    };
  }
}

export interface MessageCountersJson {
  sent: Record<string, number>;
  received: Record<string, number>;
  retransmissions: number;
  drops: Record<string, number>;
}

function byType(a: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  for (let t = 1; t < a.length; t++) if (a[t]! > 0) out[COMMIT_TYPE_NAMES[t]!] = a[t]!;
  return out;
}

/** Adds b's counts into a (plain JSON forms). */
export function addCounters(a: MessageCountersJson, b: MessageCountersJson): MessageCountersJson {
  const add = (x: Record<string, number>, y: Record<string, number>): Record<string, number> => {
    const out = { ...x };
    for (const [k, v] of Object.entries(y)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    sent: add(a.sent, b.sent),
    received: add(a.received, b.received),
    retransmissions: a.retransmissions + b.retransmissions,
    drops: add(a.drops, b.drops),
  };
}

export type CommitListener = (r: CommitRepr, src: number) => void;

export class CommitChannel {
  private socket: UdpSocket | undefined;
  private readonly view = new CommitView(new Uint8Array(0));
  private readonly rx = createCommitRepr();
  private readonly tx = createCommitRepr();
  private readonly out = new Uint8Array(COMMIT_HEADER_LEN);
  private readonly outView = new CommitView(this.out);
  private readonly onDatagram = (m: UdpMessage): void => this.input(m);

  /**
   * `sender` is this party's index (COORDINATOR_INDEX for the coordinator); `addressOf(i)` the
   * address of party i (the coordinator's for COORDINATOR_INDEX), -1 when there is none.
   */
  constructor(
    readonly host: CommitHost,
    readonly port: number,
    readonly protocol: CommitProtocol,
    readonly sender: number,
    private readonly addressOf: (index: number) => number,
    private readonly listener: CommitListener,
    readonly counters: MessageCounters,
  ) {
    this.tx.protocol = protocol;
    this.tx.sender = sender;
  }

  get isOpen(): boolean {
    return this.socket !== undefined;
  }

  open(): void {
    this.socket = this.host.bind(this.port);
    this.socket.onMessage(this.onDatagram);
  }

  /** Forgets the socket (the host closed it at a crash) or closes it (at the end of a run). */
  close(): void {
    const s = this.socket;
    this.socket = undefined;
    if (s !== undefined && !this.host.crashed) s.close();
  }

  /** Sends one message to `dst`; false when it could not go (closed, no route, no frame). */
  send(dst: number, type: CommitType, transaction: number, state: CommitState, participants: number): boolean {
    const s = this.socket;
    if (s === undefined) return false;
    const r = this.tx;
    r.type = type;
    r.transaction = transaction;
    r.state = state;
    r.participants = participants;
    emitCommit(r, this.outView);
    this.counters.sent[type]!++;
    return s.send(dst, this.port, this.out);
  }

  private input(m: UdpMessage): void {
    const c = this.counters;
    const v = this.view.wrap(m.bytes, m.offset, m.length);
    const r = this.rx;
    const status = parseCommitInto(v, r);
    if (status !== CommitParseError.OK) {
      c.drop(COMMIT_ERROR_NAMES[status]!);
      return;
    }
    if (r.protocol !== this.protocol) {
      c.drop("OTHER_PROTOCOL");
      return;
    }
    const from = r.sender === COORDINATOR_INDEX || r.sender < 32 ? this.addressOf(r.sender) : -1;
    if (from !== m.src) {
      c.drop("BAD_SENDER");
      return;
    }
    c.received[r.type]!++;
    this.listener(r, m.src);
  }
}
