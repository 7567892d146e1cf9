// 32-bit wrapping sequence numbers: the ONE sequence comparison of the Wasm kernels.
//
// Contract: a and b are sequence numbers in a 2^32 space (bytes for TCP, messages for NAK
// protocols; the caller picks the unit). a "precedes" b when the forward distance from a to b
// is in (0, 2^31): serial number arithmetic as RFC 1982 section 3.2 and RFC 793 section 3.3
// define it. Two numbers exactly 2^31 apart are unordered in RFC 1982; here the sign bit
// decides and each then "precedes" the other, so callers keep every live distance below
// 2^31 (windows are limited to 2^31 - 1 for that reason). Mirrors src/kernels/seq.ts.

// @ts-ignore: decorator
@inline export function seqLt(a: u32, b: u32): bool {
  return <i32>(a - b) < 0;
}

// @ts-ignore: decorator
@inline export function seqLeq(a: u32, b: u32): bool {
  return <i32>(a - b) <= 0;
}

// @ts-ignore: decorator
@inline export function seqGt(a: u32, b: u32): bool {
  return <i32>(a - b) > 0;
}

// @ts-ignore: decorator
@inline export function seqGeq(a: u32, b: u32): bool {
  return <i32>(a - b) >= 0;
}

/** a - b as a signed 32-bit number: positive when a follows b. */
// @ts-ignore: decorator
@inline export function seqDiff(a: u32, b: u32): i32 {
  return <i32>(a - b);
}

// @ts-ignore: decorator
@inline export function seqAdd(a: u32, n: u32): u32 {
  return a + n;
}
