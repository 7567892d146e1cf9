// LatencyHistogram: a bounded log-linear histogram of integer nanosecond values
// (HdrHistogram-style), for one-way latencies and other durations.
//
// Contract:
// - Fixed memory, chosen at construction: no allocation in record(). With the default
//   precision (subBucketBits 6: 64 sub-buckets per power of two) and range (values up to
//   2^42 - 1 ns, about 73 minutes) that is 2368 buckets, one Float64Array of ~19 KB.
// - Count, sum (mean), min and max are exact (over the values as recorded). Values above
//   maxValue are counted in the top bucket and in `overflow`; min/max/mean still see the true
//   value. Fractions are truncated to integer ns; negative or NaN values are not recorded and
//   are counted in `rejected` (the hot path never throws).
// - percentile(q) is exact below 2H (128 by default) and within a relative error of 1/(2H)
//   (1/128 by default) above, up to maxValue; percentile(0) = min and percentile(1) = max exactly.
// - Empty histogram: count 0; min, max, mean and every percentile are NaN; toJSON() gives
//   null for them (JSON has no NaN), so "no sample" never reads as "zero latency".
// - merge(other) adds another histogram of the same layout (same subBucketBits and
//   maxValueBits): the result is identical to recording both sets of values into one.

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";

export interface LatencyHistogramOptions {
  /** log2 of the sub-buckets per power of two (1 to 10; default 6 = 64 sub-buckets). */
  subBucketBits?: number;
  /** Values up to 2^maxValueBits - 1 are bucketed normally (subBucketBits + 2 to 52; default 42). */
  maxValueBits?: number;
}

export interface LatencySummary {
  count: number;
  min: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

const TWO_32 = 0x1_0000_0000;

/** floor(log2(v)) for an integer 1 <= v < 2^53, without floating-point log. */
function log2Floor(v: number): number {
  if (v >= TWO_32) return 63 - Math.clz32(Math.floor(v / TWO_32));
  return 31 - Math.clz32(v);
}

/** A histogram as plain data (LatencyHistogram.toState / fromState). */
export interface LatencyHistogramState {
  subBucketBits: number;
  maxValueBits: number;
  counts: Float64Array;
  count: number;
  overflow: number;
  rejected: number;
  sum: number;
  min: number;
  max: number;
}

export class LatencyHistogram {
  readonly subBucketBits: number;
  readonly maxValueBits: number;
  /** Largest value bucketed without clamping. */
  readonly maxValue: number;
  /** Worst relative error of percentile() for values in (2H, maxValue]: 1 / (2H). */
  readonly relativeErrorBound: number;
  /** Values recorded (overflowed ones included). */
  count = 0;
  /** Values above maxValue (clamped into the top bucket). */
  overflow = 0;
  /** Negative or NaN values given to record() and ignored. */
  rejected = 0;
  private sum = 0;
  private minValue = Infinity;
  private maxSeen = -Infinity;
  private readonly counts: Float64Array;
  /** H = 2^subBucketBits. */
  private readonly half: number;

  constructor(options: LatencyHistogramOptions = {}) {
    const s = options.subBucketBits ?? 6;
    checkInteger("subBucketBits", s, 1, 10);
    const m = options.maxValueBits ?? 42;
    checkInteger("maxValueBits", m, s + 2, 52);
    this.subBucketBits = s;
    this.maxValueBits = m;
    this.half = 2 ** s;
    this.maxValue = 2 ** m - 1;
    this.relativeErrorBound = 1 / (2 * this.half);
    // Exact range 0 .. 2H - 1, then H buckets for each magnitude e = S + 1 .. m - 1.
    this.counts = new Float64Array(2 * this.half + (m - s - 1) * this.half);
  }

  /** Number of buckets (memory: 8 bytes each). */
  get bucketCount(): number {
    return this.counts.length;
  }

  get min(): number {
    return this.count === 0 ? NaN : this.minValue;
  }

  get max(): number {
    return this.count === 0 ? NaN : this.maxSeen;
  }

  get mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }

  /** Records one value (integer ns; fractions truncated). Never throws, never allocates. */
  record(valueNs: number): void {
    if (!(valueNs >= 0)) {
      this.rejected++;
      return;
    }
    const v = Math.floor(valueNs);
    let b: number;
    if (v > this.maxValue) {
      this.overflow++;
      b = this.counts.length - 1;
    } else {
      b = this.indexOf(v);
    }
    this.counts[b]!++;
    this.count++;
    this.sum += v;
    if (v < this.minValue) this.minValue = v;
    if (v > this.maxSeen) this.maxSeen = v;
  }

  /**
   * Bucket index of 0 <= v <= maxValue (S = subBucketBits, H = 2^S):
   *
   *     value v                          index                      bucket width
   *     0 .. 2H - 1                      v                          1 (exact)
   *     2^e .. 2^(e+1) - 1, e >= S + 1   2H + (e - S - 1) * H       2^(e - S)
   *                                        + (v >> (e - S)) - H
   *
   * so every bucket above the exact range starts at low >= H * width.
   */
  private indexOf(v: number): number {
    const h = this.half;
    if (v < 2 * h) return v;
    if (v <= 0x7fff_ffff) {
      // Below 2^31 ns (2.1 s, nearly every latency) integer shifts do it without a division.
      const shift = 31 - Math.clz32(v) - this.subBucketBits;
      return 2 * h + (shift - 1) * h + ((v >>> shift) - h);
    }
    const e = log2Floor(v);
    const shift = e - this.subBucketBits;
    // v / 2^shift is exact in floating point; the floor is the sub-bucket in [H, 2H).
    const sub = Math.floor(v / 2 ** shift);
    return 2 * h + (e - this.subBucketBits - 1) * h + (sub - h);
  }

  /** Midpoint of bucket b (an integer; exact buckets return their value). */
  private midpointOf(b: number): number {
    const h = this.half;
    if (b < 2 * h) return b;
    const k = b - 2 * h;
    const magnitude = Math.floor(k / h); // e - S - 1
    const sub = h + (k - magnitude * h);
    const width = 2 ** (magnitude + 1); // 2^(e - S)
    return sub * width + width / 2;
  }

  /**
   * Value at quantile q in [0, 1], NaN when empty: nearest rank r = max(1, ceil(q * count)); the
   * midpoint of the bucket holding the r-th smallest value, clamped to [min, max]. Above 2H,
   * |result - exact| <= exact / (2H): the exact value lies in the bucket, the midpoint is at most
   * width / 2 from any point of it, and exact >= low >= H * width; clamping only moves the result
   * towards the exact value. Overflowed values have no bound beyond "at least maxValue".
   */
  percentile(q: number): number {
    if (!(q >= 0 && q <= 1)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(q)} is not a quantile in [0, 1]`, { path: "q" });
    }
    if (this.count === 0) return NaN;
    if (q === 0) return this.minValue;
    if (q === 1) return this.maxSeen;
    const rank = Math.max(1, Math.ceil(q * this.count));
    const counts = this.counts;
    let seen = 0;
    for (let b = 0; b < counts.length; b++) {
      seen += counts[b]!;
      if (seen >= rank) return Math.min(this.maxSeen, Math.max(this.minValue, this.midpointOf(b)));
    }
    return this.maxSeen; // unreachable: the counts add up to count
  }

  /** Plain-data copy (structured-clone safe: crosses worker threads). */
  toState(): LatencyHistogramState {
    return {
      subBucketBits: this.subBucketBits,
      maxValueBits: this.maxValueBits,
      counts: this.counts.slice(),
      count: this.count,
      overflow: this.overflow,
      rejected: this.rejected,
      sum: this.sum,
      min: this.minValue,
      max: this.maxSeen,
    };
  }

  /** A histogram holding exactly what `state` (from toState()) held. */
  static fromState(state: LatencyHistogramState): LatencyHistogram {
    const h = new LatencyHistogram({ subBucketBits: state.subBucketBits, maxValueBits: state.maxValueBits });
    if (state.counts.length !== h.counts.length) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `a histogram state with ${state.counts.length} buckets does not fit its layout`,
        {
          path: "state.counts",
        },
      );
    }
    h.counts.set(state.counts);
    h.count = state.count;
    h.overflow = state.overflow;
    h.rejected = state.rejected;
    h.sum = state.sum;
    h.minValue = state.min;
    h.maxSeen = state.max;
    return h;
  }

  /** Adds every value of `other` (same layout) to this histogram. */
  merge(other: LatencyHistogram): this {
    if (other.subBucketBits !== this.subBucketBits || other.maxValueBits !== this.maxValueBits) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `cannot merge a histogram with layout (${other.subBucketBits}, ${other.maxValueBits}) into one with (${this.subBucketBits}, ${this.maxValueBits})`,
        { path: "other" },
      );
    }
    const a = this.counts;
    const b = other.counts;
    for (let i = 0; i < a.length; i++) a[i]! += b[i]!;
    this.count += other.count;
    this.overflow += other.overflow;
    this.rejected += other.rejected;
    this.sum += other.sum;
    if (other.minValue < this.minValue) this.minValue = other.minValue;
    if (other.maxSeen > this.maxSeen) this.maxSeen = other.maxSeen;
    return this;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.overflow = 0;
    this.rejected = 0;
    this.sum = 0;
    this.minValue = Infinity;
    this.maxSeen = -Infinity;
  }

  toJSON(): LatencySummary {
    if (this.count === 0) return { count: 0, min: null, p50: null, p90: null, p99: null, max: null, mean: null };
    return {
      count: this.count,
      min: this.minValue,
      p50: this.percentile(0.5),
      p90: this.percentile(0.9),
      p99: this.percentile(0.99),
      max: this.maxSeen,
      mean: this.sum / this.count,
    };
  }
}
