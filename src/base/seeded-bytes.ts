// Deterministic pseudo-random bytes (xorshift32) for test vectors, benchmarks and examples:
// the same seed always gives the same bytes, on every platform, with no dependency on the
// simulation's random streams.

/** xorshift32: a tiny deterministic generator for test data (not the engine's PRNG). */
export function seededBytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 0 || 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
