// 32-bit wrapping sequence numbers: the ONE sequence comparison of the TypeScript code.
//
// Contract: arguments are sequence numbers in a 2^32 space (any JS number; only the low 32
// bits count). a precedes b when the forward distance from a to b is in (0, 2^31): serial
// number arithmetic per RFC 1982 section 3.2 and RFC 793 section 3.3. Numbers exactly 2^31
// apart are unordered in RFC 1982; here the sign bit decides and each then "precedes" the other
// (seqLt(a, a + 2^31) and seqLt(a + 2^31, a) are both true), so callers keep live distances
// below 2^31 (windows are limited to 2^31 - 1 for that reason). Results of seqAdd
// are unsigned (0 .. 2^32 - 1). Mirrors assembly/window/seq.ts; TCP code imports this module.

/** a precedes b. */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** a precedes or equals b. */
export function seqLeq(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/** a follows b. */
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** a follows or equals b. */
export function seqGeq(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** a - b as a signed 32-bit number: positive when a follows b. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** a + n modulo 2^32, unsigned. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
