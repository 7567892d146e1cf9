// Rng: seeded pseudo-random streams, one per device and per link direction.
//
// Contract:
// - Generator: xoshiro128** 1.0 (Blackman and Vigna, https://prng.di.unimi.it/xoshiro128starstar.c),
//   128-bit state, period 2^128 - 1, 32-bit outputs from 32-bit integer arithmetic (Math.imul,
//   shifts), so every platform produces the same numbers and a draw allocates nothing.
// - Streams: deriveSeed(scenarioSeed, stableId) hashes the object's stable id ("dev:h3",
//   "link:3:a->b") together with the scenario seed into a 53-bit seed. A stream depends only on
//   (scenarioSeed, stableId): adding, removing or renaming another object never shifts it, and
//   neither does the order in which objects are created or the partition they run in.
// - Seeds are integers in [0, 2^53). The seed expands into the state through murmur3's fmix32
//   finaliser, so nearby seeds (0, 1, 2...) give unrelated streams.
// - Draw counts are fixed per method (documented on each) so that a stream's position never
//   depends on the value of an argument such as a probability.
// - getState()/setState() save and restore a stream exactly (checkpoints, replay tests).
// - Misuse (bad seed, n out of range, p not a probability) throws NetloomError; these checks are
//   a few comparisons and never fire on correct code.

import { ErrorCode, NetloomError } from "../base/errors.js";

const TWO_32 = 4294967296;
const TWO_53 = 9007199254740992;
const INV_2_32 = 1 / TWO_32;
const INV_2_53 = 1 / TWO_53;

/** murmur3 fmix32: a bijective avalanche on 32 bits. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function checkSeed(path: string, seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(seed)} is not an integer seed in [0, 2^53)`, { path });
  }
}

/**
 * The seed of the stream named `stableId` in a scenario seeded with `scenarioSeed`: an integer
 * in [0, 2^53). Two lanes of FNV-1a over the id's UTF-16 code units (different offset bases and
 * primes), each mixed with both halves of the scenario seed and finalised with fmix32.
 */
export function deriveSeed(scenarioSeed: number, stableId: string): number {
  checkSeed("scenarioSeed", scenarioSeed);
  if (typeof stableId !== "string" || stableId.length === 0) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "a stream id must be a non-empty string", { path: "stableId" });
  }
  const sLo = scenarioSeed >>> 0;
  const sHi = (scenarioSeed / TWO_32) >>> 0;
  const k1 = fmix32((sLo ^ 0x9e3779b9) + Math.imul(sHi ^ 0x7f4a7c15, 0x85ebca6b));
  const k2 = fmix32(k1 ^ sHi ^ 0xc2b2ae35);
  let h1 = 0x811c9dc5; // FNV-1a 32 offset basis
  let h2 = 0x6a09e667;
  for (let i = 0; i < stableId.length; i++) {
    const c = stableId.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193); // FNV-1a 32 prime
    h2 = Math.imul(h2 ^ c, 0x0100012b); // another FNV-style prime, so the lanes decorrelate
  }
  // The length separates ids that are prefixes of one another in lane 2.
  const hi = fmix32(h1 ^ k1);
  const lo = fmix32((h2 ^ k2) + Math.imul(stableId.length, 0x27d4eb2f) + hi);
  return (hi & 0x1fffff) * TWO_32 + lo;
}

export class Rng {
  /** xoshiro128** state words s0..s3 (int32 view of the uint32 state). */
  private readonly s = new Int32Array(4);

  /** A stream from an integer seed in [0, 2^53) (usually from deriveSeed). */
  constructor(seed: number) {
    checkSeed("seed", seed);
    const lo = seed >>> 0;
    const hi = (seed / TWO_32) >>> 0;
    // (lo, hi) -> (s0, s1) is injective, so distinct seeds give distinct states.
    const s0 = fmix32(lo ^ 0x243f6a88);
    const s1 = fmix32(hi ^ 0x85a308d3);
    const s2 = fmix32((s0 + Math.imul(s1, 0x9e3779b9)) ^ 0x13198a2e);
    const s3 = fmix32((s1 + Math.imul(s2, 0x7f4a7c15)) ^ 0x03707344);
    this.s[0] = s0;
    this.s[1] = s1;
    this.s[2] = s2;
    this.s[3] = s3;
    if ((s0 | s1 | s2 | s3) === 0) this.s[0] = 1; // the all-zero state is a fixed point
  }

  /** The stream of `stableId` under `scenarioSeed`. */
  static forStream(scenarioSeed: number, stableId: string): Rng {
    return new Rng(deriveSeed(scenarioSeed, stableId));
  }

  /** Next 32-bit output in [0, 2^32). One draw. */
  nextU32(): number {
    const s = this.s;
    const s0 = s[0]!;
    const s1 = s[1]!;
    let s2 = s[2]!;
    let s3 = s[3]!;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s[1] = s1 ^ s2;
    s[0] = s0 ^ s3;
    s[2] = s2 ^ t;
    s[3] = (s3 << 11) | (s3 >>> 21);
    return result >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. Two draws. */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) * INV_2_53;
  }

  /** Uniform in [0, 1) with 32 random bits: faster, coarser (steps of 2^-32). One draw. */
  nextFloat32(): number {
    return this.nextU32() * INV_2_32;
  }

  /**
   * Uniform integer in [0, n), exactly unbiased (rejection of the top partial range), for an
   * integer n in [1, 2^32]. Usually one draw; a rejection (probability < n / 2^32) costs another.
   */
  nextBelow(n: number): number {
    if (!(n >= 1 && n <= TWO_32) || n !== Math.floor(n)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(n)} is not an integer in [1, 2^32]`, { path: "n" });
    }
    // Accept r < limit, the largest multiple of n not above 2^32: each residue equally often.
    const limit = TWO_32 - (TWO_32 % n);
    let r = this.nextU32();
    while (r >= limit) r = this.nextU32();
    return r % n;
  }

  /** True with probability p (p in [0, 1]), at 53-bit resolution so tiny p (1e-12) is honest. Two draws. */
  bernoulli(p: number): boolean {
    if (!(p >= 0 && p <= 1)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(p)} is not a probability in [0, 1]`, { path: "p" });
    }
    return this.nextFloat() < p;
  }

  /**
   * Exponentially distributed value with the given mean (> 0): inter-arrival times of a Poisson
   * process. A float; round it to whole ns before scheduling. Two draws.
   */
  exponential(mean: number): number {
    if (!(mean > 0 && mean < Infinity)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(mean)} is not a positive finite mean`, {
        path: "mean",
      });
    }
    return -mean * Math.log(1 - this.nextFloat()); // 1 - u is in (0, 1]: log is finite
  }

  /**
   * Failures before the first success in Bernoulli(p) trials (p in (0, 1]): the gap to the next
   * lost frame or flipped bit, so a bit error rate costs one draw per error, not per bit.
   * Always finite; a count above 2^53 (p below about 1e-15) loses integer precision. Two draws.
   */
  geometric(p: number): number {
    if (!(p > 0 && p <= 1)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(p)} is not a probability in (0, 1]`, { path: "p" });
    }
    const u = 1 - this.nextFloat(); // (0, 1]
    if (p === 1) return 0;
    return Math.floor(Math.log(u) / Math.log1p(-p));
  }

  /** The four state words as unsigned 32-bit integers (a checkpoint). */
  getState(): [number, number, number, number] {
    const s = this.s;
    return [s[0]! >>> 0, s[1]! >>> 0, s[2]! >>> 0, s[3]! >>> 0];
  }

  /** Restores a checkpoint from getState(). */
  setState(state: readonly number[]): void {
    if (
      state.length !== 4 ||
      !state.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_32) ||
      state.every((w) => w === 0)
    ) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "not a saved Rng state (four uint32 words, not all zero)", {
        path: "state",
      });
    }
    for (let i = 0; i < 4; i++) this.s[i] = state[i]! | 0;
  }

  /** An independent copy at the same position. */
  clone(): Rng {
    const r = new Rng(0);
    r.s.set(this.s);
    return r;
  }
}
