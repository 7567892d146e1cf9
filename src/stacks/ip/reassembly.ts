// Reassembler: IPv4 reassembly (RFC 791 section 3.2, RFC 815 hole bookkeeping, simplified) with
// a timeout and memory caps.
//
// Contract:
// - Fragments are keyed by (src, dst, protocol, identification). Each datagram in progress is
//   one buffer (grown as needed, never past maxDatagramBytes) plus the list of received
//   (start, end) ranges; it completes when the last fragment (MF clear) fixed the total length
//   and the ranges add up to it (ranges never overlap, see below, so that is full coverage).
// - Per datagram state machine:
//
//      first fragment            more fragments            ranges cover total
//   absent ------------> Collecting ---------------> Collecting ---------------> delivered
//                            | timeout (default 30 s) -> dropped, TIMEOUT      (absent)
//                            | malformed / overlap / over the cap -> dropped, by reason
//
// - Malformed input never throws; it is counted by reason and dropped (see add()).
// - Memory accounting counts fragment bytes held; a completed or dropped datagram frees them.
// - The datagram payload handed back on completion is a fresh Uint8Array (the copy a real
//   stack makes into its reassembly buffer); fragments are copied out of their frames, so the
//   caller consumes each fragment frame at once.
// - Timers go through the owner (a = datagram serial), so expiry is a deterministic event.
// Not handled: ICMP time exceeded (reassembly) on timeout.

export interface ReassemblyOptions {
  /** ns before an incomplete datagram is dropped (default 30 s). */
  timeout: number;
  /** Largest reassembled payload (default 64 KiB). */
  maxDatagramBytes: number;
  /** Fragment bytes held at once by the host (default 256 KiB). */
  maxBytes: number;
}

export const DEFAULT_REASSEMBLY_OPTIONS: ReassemblyOptions = {
  timeout: 30e9,
  maxDatagramBytes: 64 * 1024,
  maxBytes: 256 * 1024,
};

export interface ReassemblyOwner {
  scheduleReassemblyTimer(delay: number, serial: number): number;
  cancelTimer(handle: number): void;
}

export interface ReassemblyStats {
  inProgress: number;
  bytesHeld: number;
  fragmentsReceived: number;
  reassembled: number;
  timeouts: number;
  drops: Record<string, number>;
}

class Partial {
  buf: Uint8Array = new Uint8Array(0);
  /** (start, end) pairs in arrival order. */
  readonly ranges: number[] = [];
  held = 0;
  total = -1;
  timer = -1;
  birth = Infinity;
  constructor(
    readonly key: string,
    readonly serial: number,
    readonly src: number,
    readonly dst: number,
    readonly protocol: number,
  ) {}
}

/** A completed datagram. */
export interface Reassembled {
  src: number;
  dst: number;
  protocol: number;
  payload: Uint8Array;
  /** Earliest birth tag of its fragments: when the sender made the datagram. */
  birth: number;
}

export class Reassembler {
  private readonly byKey = new Map<string, Partial>();
  private readonly bySerial = new Map<number, Partial>();
  private nextSerial = 1;
  private bytesHeld = 0;
  private readonly counters = { fragmentsReceived: 0, reassembled: 0, timeouts: 0 };
  readonly drops: Record<string, number> = {};

  constructor(
    private readonly owner: ReassemblyOwner,
    private readonly opts: ReassemblyOptions,
  ) {}

  /**
   * One fragment: `len` payload bytes of `bytes` at `at`, at byte `offset` of the datagram.
   * Returns the datagram when this fragment completed it, else undefined. Drops, by reason:
   * EMPTY_FRAGMENT (no data), BAD_FRAGMENT_LENGTH (MF set but not a multiple of 8 bytes),
   * DUPLICATE (exactly the same range again: only the copy is dropped, the datagram goes on),
   * OVERLAP (a range that partly overlaps data already held: the whole datagram is dropped, as
   * RFC 5722 does for IPv6, because overlapping fragments are an attack, never a need),
   * INCONSISTENT_LENGTH (two different last fragments, or data past the last one: datagram
   * dropped), DATAGRAM_TOO_LARGE (would pass maxDatagramBytes: datagram dropped), MEMORY_LIMIT
   * (the host's fragments would pass maxBytes: this fragment dropped).
   */
  add(
    src: number,
    dst: number,
    protocol: number,
    id: number,
    offset: number,
    moreFragments: boolean,
    bytes: Uint8Array,
    at: number,
    len: number,
    birth: number,
  ): Reassembled | undefined {
    this.counters.fragmentsReceived++;
    if (len === 0) return this.drop("EMPTY_FRAGMENT");
    if (moreFragments && len % 8 !== 0) return this.drop("BAD_FRAGMENT_LENGTH");
    const end = offset + len;
    const key = `${src}:${dst}:${protocol}:${id}`;
    let p = this.byKey.get(key);
    if (end > this.opts.maxDatagramBytes) {
      if (p !== undefined) this.discard(p);
      return this.drop("DATAGRAM_TOO_LARGE");
    }
    if (p !== undefined) {
      const r = p.ranges;
      for (let i = 0; i < r.length; i += 2) {
        const s = r[i]!;
        const e = r[i + 1]!;
        if (s === offset && e === end) return this.drop("DUPLICATE");
        if (offset < e && s < end) {
          this.discard(p);
          return this.drop("OVERLAP");
        }
      }
      if ((p.total >= 0 && end > p.total) || (!moreFragments && p.total >= 0 && end !== p.total)) {
        this.discard(p);
        return this.drop("INCONSISTENT_LENGTH");
      }
      if (!moreFragments) {
        for (let i = 1; i < r.length; i += 2) {
          if (r[i]! > end) {
            this.discard(p);
            return this.drop("INCONSISTENT_LENGTH");
          }
        }
      }
    }
    if (this.bytesHeld + len > this.opts.maxBytes) return this.drop("MEMORY_LIMIT");
    if (p === undefined) {
      p = new Partial(key, this.nextSerial++, src, dst, protocol);
      this.byKey.set(key, p);
      this.bySerial.set(p.serial, p);
      p.timer = this.owner.scheduleReassemblyTimer(this.opts.timeout, p.serial);
    }
    if (end > p.buf.length) {
      const grown = new Uint8Array(Math.min(this.opts.maxDatagramBytes, Math.max(end, p.buf.length * 2)));
      grown.set(p.buf);
      p.buf = grown;
    }
    p.buf.set(bytes.subarray(at, at + len), offset);
    p.ranges.push(offset, end);
    p.held += len;
    this.bytesHeld += len;
    if (birth < p.birth) p.birth = birth;
    if (!moreFragments) p.total = end;
    if (p.total >= 0 && p.held === p.total) {
      this.counters.reassembled++;
      const payload = p.buf.length === p.total ? p.buf : p.buf.slice(0, p.total);
      this.discard(p);
      return { src: p.src, dst: p.dst, protocol: p.protocol, payload, birth: p.birth };
    }
    return undefined;
  }

  /** Timer of datagram `serial` fired: drop it if still incomplete. */
  onTimer(serial: number): void {
    const p = this.bySerial.get(serial);
    if (p === undefined) return;
    p.timer = -1;
    this.counters.timeouts++;
    this.drop("TIMEOUT");
    this.discard(p);
  }

  stats(): ReassemblyStats {
    return { inProgress: this.byKey.size, bytesHeld: this.bytesHeld, ...this.counters, drops: { ...this.drops } };
  }

  /** Discards every partial datagram: counted as drops of `reason` (a crash), or not when going away. */
  destroy(reason?: string): void {
    for (const serial of [...this.bySerial.keys()].sort((a, b) => a - b)) {
      if (reason !== undefined) this.drop(reason);
      this.discard(this.bySerial.get(serial)!);
    }
  }

  private discard(p: Partial): void {
    if (p.timer >= 0) this.owner.cancelTimer(p.timer);
    p.timer = -1;
    this.bytesHeld -= p.held;
    p.held = 0;
    this.byKey.delete(p.key);
    this.bySerial.delete(p.serial);
  }

  private drop(reason: string): undefined {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
    return undefined;
  }
}
