// What a primary-backup node records as it runs, for the report and the split-brain detector:
// a server's role changes and the updates it committed as primary, a client's view of which
// server is primary. Plain data out (crosses worker threads); bounded in.
//
// Contract:
// - Timelines are piecewise constant: an entry holds from its time until the next entry's.
//   A new entry at the same time as the last one replaces it (no zero-length intervals).
// - Every list is bounded (`limit` entries): what does not fit is counted in `overflow`, never
//   stored, and the report says so (a detector fed a truncated timeline says "truncated").

/** A server's role: primary, backup, or down (crashed, not yet restarted). */
export type PbRole = "primary" | "backup" | "down";

export interface PbRoleChange {
  atNs: number;
  role: PbRole;
  /** The epoch the server follows (as primary: its own). */
  epoch: number;
  /** Why: "start", "heartbeat-timeout", "takeover-request", "newer-primary", "crash", "restart". */
  cause: string;
}

/** One update a primary committed (and answered OK). */
export interface PbCommit {
  atNs: number;
  client: number;
  seq: number;
  index: number;
  epoch: number;
}

/** Which server a client treats as primary from `atNs` (-1: none, it is failing over). */
export interface PbBelief {
  atNs: number;
  server: number;
}

export const DEFAULT_HISTORY_LIMIT = 65_536;

/** A bounded, append-only timeline whose entries replace one made at the same time. */
export class Timeline<T extends { atNs: number }> {
  readonly entries: T[] = [];
  overflow = 0;
  constructor(readonly limit: number) {}

  push(entry: T): void {
    const last = this.entries.at(-1);
    if (last !== undefined && last.atNs === entry.atNs) {
      this.entries[this.entries.length - 1] = entry;
      return;
    }
    if (this.entries.length >= this.limit) {
      this.overflow++;
      return;
    }
    this.entries.push(entry);
  }

  get last(): T | undefined {
    return this.entries.at(-1);
  }
}

/**
 * A bounded log of commits (never replaced: two commits at one time are two entries), kept in
 * typed arrays that double as they fill, so a commit allocates nothing.
 */
export class CommitLog {
  overflow = 0;
  count = 0;
  private length = 0;
  private atNs = new Float64Array(64);
  private client = new Int32Array(64);
  private seq = new Float64Array(64);
  private index = new Float64Array(64);
  private epoch = new Float64Array(64);
  constructor(readonly limit: number) {}

  push(atNs: number, client: number, seq: number, index: number, epoch: number): void {
    this.count++;
    if (this.length >= this.limit) {
      this.overflow++;
      return;
    }
    if (this.length === this.atNs.length) this.grow();
    const i = this.length++;
    this.atNs[i] = atNs;
    this.client[i] = client;
    this.seq[i] = seq;
    this.index[i] = index;
    this.epoch[i] = epoch;
  }

  /** The stored commits as plain data. */
  entries(): PbCommit[] {
    const out: PbCommit[] = [];
    for (let i = 0; i < this.length; i++) {
      out.push({
        atNs: this.atNs[i]!,
        client: this.client[i]!,
        seq: this.seq[i]!,
        index: this.index[i]!,
        epoch: this.epoch[i]!,
      });
    }
    return out;
  }

  private grow(): void {
    const n = Math.min(this.limit, this.atNs.length * 2);
    const f64 = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.atNs = f64(this.atNs);
    this.seq = f64(this.seq);
    this.index = f64(this.index);
    this.epoch = f64(this.epoch);
    const c = new Int32Array(n);
    c.set(this.client);
    this.client = c;
  }
}
