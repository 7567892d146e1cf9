// Fingerprint: a 64-bit hash of a run's event trajectory, for determinism tests.
//
// Contract:
// - record(time, originDevice, originSeq, device, kind, frameLength) once per executed event.
//   toString() gives 16 lowercase hex digits; the same trajectory gives the same string on every
//   platform and Node version: only Math.imul, shifts, xors and additions on 32-bit integers
//   (two 32-bit lanes, no BigInt, no floating point in the hash).
// - The fingerprint is a function of the SET of executed events, each identified by its global
//   ordering key (time, originDevice, originSeq), and not of the order in which record() is
//   called. Because keys are unique and totally ordered, that set is exactly the global event
//   sequence: an event that moves in time, moves past another in key order, changes device,
//   kind or frame length, appears or disappears changes the string (with probability
//   1 - 2^-64 for accidental changes).
// - Partitions each record the events they execute into their own Fingerprint; add(other) (or
//   addState) folds one partition's accumulator into another. The result is bit-identical to
//   the single-threaded run for ANY partitioning, window length or worker count, because every
//   event contributes a value that depends only on the event itself (see the class comment).
// - Not handled: it says THAT trajectories differ, not where. To find the first divergent event,
//   compare per-window fingerprints or event logs of the two runs.

const TWO_32 = 4294967296;

/**
 * Each event is hashed to 64 bits (murmur3-style mixing of all eight input words, the two lanes
 * cross-mixed) and the hashes are summed lane-wise modulo 2^32: a commutative, associative fold,
 * so the partial sums of any partitioning add up to the same total. The order information a
 * chained hash (h = mix(h, event)) would carry is carried by the key inside each event's hash.
 * A chain merged in key order would need every partition to log (key, contribution) per event
 * and a serial k-way merge at each window barrier, on the critical path of a parallel run; a
 * chain over per-partition fingerprints or windows would depend on the partitioning. The
 * weakness of an additive multiset hash is adversarial (crafted cancellations), not accidental;
 * a test fingerprint only needs to catch accidents.
 */
export class Fingerprint {
  /** Lane sums modulo 2^32, as int32. */
  private lo = 0;
  private hi = 0;
  /** Events recorded (exact to 2^53). */
  private n = 0;
  /** The eight input words of the event being recorded (scratch, no allocation per event). */
  private readonly words = new Int32Array(8);

  /** Number of events folded in. */
  get count(): number {
    return this.n;
  }

  /**
   * Folds in one executed event. time and originSeq are integers in [0, 2^53); originDevice,
   * device, kind and frameLength are int32 (frameLength 0 for events without a frame).
   */
  record(
    time: number,
    originDevice: number,
    originSeq: number,
    device: number,
    kind: number,
    frameLength: number,
  ): void {
    const w = this.words;
    w[0] = time | 0;
    w[1] = (time / TWO_32) | 0;
    w[2] = originDevice;
    w[3] = originSeq | 0;
    w[4] = (originSeq / TWO_32) | 0;
    w[5] = device;
    w[6] = kind;
    w[7] = frameLength;
    // Two murmur3-x86-style lanes over the eight words, with distinct seeds and constants. Lane 1
    // is the murmur3 x86_32 block step (Appleby, MurmurHash3.cpp, public domain); lane 2 the
    // same step with the murmur3 x86_128 constants, so the lanes are not copies of each other.
    // Written out in one loop rather than as two helper calls per word: V8 did not inline the
    // sixteen calls.
    let h1 = 0x3c6ef372;
    let h2 = 0xa54ff53a;
    for (let i = 0; i < 8; i++) {
      const x = w[i]!;
      let k = Math.imul(x, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h1 ^= k;
      h1 = (h1 << 13) | (h1 >>> 19);
      h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
      let k2 = Math.imul(x, 0x239b961b);
      k2 = (k2 << 16) | (k2 >>> 16);
      k2 = Math.imul(k2, 0xab0e9789);
      h2 ^= k2;
      h2 = (h2 << 17) | (h2 >>> 15);
      h2 = (Math.imul(h2, 5) + 0x0bcaa747) | 0;
    }
    // Cross the lanes so each output bit depends on both (murmur3 x86_64 finalisation).
    h1 = (h1 + h2) | 0;
    h2 = (h2 + h1) | 0;
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 = (h1 + h2) | 0;
    h2 = (h2 + h1) | 0;
    this.lo = (this.lo + h1) | 0;
    this.hi = (this.hi + h2) | 0;
    this.n++;
  }

  /** Adds another accumulator (a partition's partial fingerprint) into this one. */
  add(other: Fingerprint): void {
    this.addState(other.getState());
  }

  /** The accumulator, as plain numbers that survive structured clone (worker -> coordinator). */
  getState(): { lo: number; hi: number; count: number } {
    return { lo: this.lo >>> 0, hi: this.hi >>> 0, count: this.n };
  }

  /** Adds a getState() value (e.g. posted by a worker) into this accumulator. */
  addState(state: { lo: number; hi: number; count: number }): void {
    this.lo = (this.lo + state.lo) | 0;
    this.hi = (this.hi + state.hi) | 0;
    this.n += state.count;
  }

  /** Back to the empty run. */
  reset(): void {
    this.lo = 0;
    this.hi = 0;
    this.n = 0;
  }

  /**
   * 16 lowercase hex digits. The sums are finalised with the event count so the string looks
   * random and the empty run has a fixed, non-zero value.
   */
  toString(): string {
    const cLo = this.n | 0;
    const cHi = (this.n / TWO_32) | 0;
    let a = fmix(this.lo ^ cLo ^ 0x1b873593);
    let b = fmix(this.hi ^ Math.imul(cHi ^ 0x5bd1e995, 0xcc9e2d51));
    a = (a + b) | 0;
    b = (b + a) | 0;
    a = fmix(a);
    b = fmix(b);
    a = (a + b) | 0;
    b = (b + a) | 0;
    return hex8(b) + hex8(a);
  }
}

function hex8(v: number): string {
  return (v >>> 0).toString(16).padStart(8, "0");
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}
