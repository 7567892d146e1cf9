// ClientTable: what an RPC server remembers per client (Birrell and Nelson's scheme): the
// client's incarnation, the highest call sequence it has seen from it, that call's state and,
// until the client acknowledges it, its reply. It is the duplicate table of at-most-once and
// exactly-once and the orphan detector of every semantics.
//
// Contract:
// - Keyed by client id; one entry names (client, incarnation, sequence) of the latest call, so
//   a call is recognised by all three. Calls of one client are sequential, so older sequence
//   numbers are duplicates and a newer one acknowledges the reply before it.
// - Bounded: `capacity` clients. take() makes room by forgetting the least recently used client
//   with no call executing (counted in `evictions`: a long-delayed duplicate of its last call
//   would look new); when every entry has calls executing it gives undefined (the server answers
//   BUSY). clear() forgets everything (a crash).

export const EntryState = { NONE: 0, EXECUTING: 1, REPLIED: 2, ACKED: 3 } as const;
export type EntryState = (typeof EntryState)[keyof typeof EntryState];

export class ClientEntry {
  incarnation = 0;
  seq = 0;
  state: EntryState = EntryState.NONE;
  /** The latest call's reply, kept until acknowledged. */
  reply: Uint8Array | undefined = undefined;
  replyStatus = 0;
  replyOp = 0;
  /** The server incarnation the reply was sent under. */
  replySinc = 0;
  replyTo = 0;
  replyPort = 0;
  lastUse = 0;
  /** Executions of this client in progress (any incarnation). */
  running = 0;

  constructor(readonly clientId: number) {}

  /** A new incarnation of the client: nothing of the old one is kept but the running count. */
  renew(incarnation: number): void {
    this.incarnation = incarnation;
    this.seq = 0;
    this.state = EntryState.NONE;
    this.reply = undefined;
  }
}

export class ClientTable {
  readonly capacity: number;
  evictions = 0;
  private readonly entries = new Map<number, ClientEntry>();

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.entries.size;
  }

  get(clientId: number): ClientEntry | undefined {
    return this.entries.get(clientId);
  }

  /** The entry of `clientId` (made for `incarnation` when new), or undefined when full. */
  take(clientId: number, incarnation: number, now: number): ClientEntry | undefined {
    let e = this.entries.get(clientId);
    if (e === undefined) {
      if (this.entries.size >= this.capacity && !this.evictOne()) return undefined;
      e = new ClientEntry(clientId);
      e.renew(incarnation);
      this.entries.set(clientId, e);
    }
    e.lastUse = now;
    return e;
  }

  clear(): void {
    this.entries.clear();
  }

  values(): IterableIterator<ClientEntry> {
    return this.entries.values();
  }

  private evictOne(): boolean {
    let victim: ClientEntry | undefined;
    for (const e of this.entries.values()) {
      if (e.running > 0) continue;
      if (victim === undefined || e.lastUse < victim.lastUse) victim = e;
    }
    if (victim === undefined) return false;
    this.entries.delete(victim.clientId);
    this.evictions++;
    return true;
  }
}
