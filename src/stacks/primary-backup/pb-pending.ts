// PendingUpdates: a primary's updates that are forwarded but not yet acknowledged by every
// backup, in log-index order; and the client table (last request per client) every server
// keeps so a retransmitted request is answered, not executed twice.
//
// Contract:
// - A bounded ring of typed arrays (capacity fixed at construction): push() returns false when
//   full (the caller drops the request and counts it); nothing is allocated per update.
// - Entries leave from the head only (commits are in index order) or all at once (clear()).
// - Acks are per server bit (servers are at most 31).

export class PendingUpdates {
  readonly index: Float64Array;
  readonly client: Int32Array;
  readonly seq: Float64Array;
  readonly value: Float64Array;
  /** Where the reply goes: the request's source address and port. */
  readonly replyTo: Float64Array;
  readonly replyPort: Int32Array;
  /** Bit s set: server s applied the entry. */
  readonly acked: Int32Array;
  readonly sentAt: Float64Array;
  readonly tries: Int32Array;
  private head = 0;
  count = 0;

  constructor(readonly capacity: number) {
    this.index = new Float64Array(capacity);
    this.client = new Int32Array(capacity);
    this.seq = new Float64Array(capacity);
    this.value = new Float64Array(capacity);
    this.replyTo = new Float64Array(capacity);
    this.replyPort = new Int32Array(capacity);
    this.acked = new Int32Array(capacity);
    this.sentAt = new Float64Array(capacity);
    this.tries = new Int32Array(capacity);
  }

  /** Slot of the k-th entry from the head (0 = oldest). */
  at(k: number): number {
    return (this.head + k) % this.capacity;
  }

  /** Appends an entry; its slot, or -1 when the ring is full. */
  push(
    index: number,
    client: number,
    seq: number,
    value: number,
    replyTo: number,
    replyPort: number,
    now: number,
  ): number {
    if (this.count === this.capacity) return -1;
    const i = this.at(this.count++);
    this.index[i] = index;
    this.client[i] = client;
    this.seq[i] = seq;
    this.value[i] = value;
    this.replyTo[i] = replyTo;
    this.replyPort[i] = replyPort;
    this.acked[i] = 0;
    this.sentAt[i] = now;
    this.tries[i] = 0;
    return i;
  }

  shift(): void {
    this.head = (this.head + 1) % this.capacity;
    this.count--;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}

/** Last request seen from each client: its number, whether it is done, and its log index. */
export class ClientTable {
  readonly lastSeq: Float64Array;
  readonly done: Uint8Array;
  readonly doneIndex: Float64Array;

  constructor(readonly clients: number) {
    this.lastSeq = new Float64Array(clients).fill(-1);
    this.done = new Uint8Array(clients);
    this.doneIndex = new Float64Array(clients);
  }

  record(client: number, seq: number, done: boolean, index: number): void {
    this.lastSeq[client] = seq;
    this.done[client] = done ? 1 : 0;
    this.doneIndex[client] = index;
  }

  clear(): void {
    this.lastSeq.fill(-1);
    this.done.fill(0);
    this.doneIndex.fill(0);
  }
}

/** The state digest after applying (client, seq, value): FNV-1a over the three words' bytes. */
export function mixDigest(d: number, client: number, seq: number, value: number): number {
  return mixWord(mixWord(mixWord(d >>> 0, client), seq), value);
}

function mixWord(h: number, w: number): number {
  for (let s = 0; s < 32; s += 8) h = Math.imul(h ^ ((w >>> s) & 0xff), 16777619) >>> 0;
  return h;
}

/**
 * A backup's updates that arrived ahead of a missing one: held (bounded) until the gap fills,
 * then applied in order, so one lost update costs one retransmission, not one per update.
 */
export class ReorderBuffer {
  readonly index: Float64Array;
  readonly client: Int32Array;
  readonly seq: Float64Array;
  readonly value: Float64Array;
  count = 0;

  constructor(readonly capacity: number) {
    this.index = new Float64Array(capacity);
    this.client = new Int32Array(capacity);
    this.seq = new Float64Array(capacity);
    this.value = new Float64Array(capacity);
  }

  /** Holds an update; false when full (or already held). */
  hold(index: number, client: number, seq: number, value: number): boolean {
    if (this.find(index) !== -1 || this.count === this.capacity) return false;
    const i = this.count++;
    this.index[i] = index;
    this.client[i] = client;
    this.seq[i] = seq;
    this.value[i] = value;
    return true;
  }

  /** Position of the held update with `index`, or -1. */
  find(index: number): number {
    for (let i = 0; i < this.count; i++) if (this.index[i] === index) return i;
    return -1;
  }

  /** Removes the entry at `i` (the last one takes its place). */
  remove(i: number): void {
    const last = --this.count;
    this.index[i] = this.index[last]!;
    this.client[i] = this.client[last]!;
    this.seq[i] = this.seq[last]!;
    this.value[i] = this.value[last]!;
  }

  /** Drops every entry at or below `index`. */
  dropUpTo(index: number): void {
    for (let i = this.count - 1; i >= 0; i--) if (this.index[i]! <= index) this.remove(i);
  }

  clear(): void {
    this.count = 0;
  }
}
