// Internet checksum kernels (RFC 1071, RFC 1624).
//
// Contract:
// - A "partial sum" is the 16-bit one's-complement sum of a byte range read as big-endian
//   16-bit words starting at the range's first byte, folded into [0, 0xffff]: 0 only when every
//   word is zero, otherwise the unique value in [1, 0xffff] (so equal sums compare equal).
//   Partials of consecutive ranges add with inetCombine; a range that starts at an odd offset
//   of the whole is byte-swapped first (RFC 1071 section 2(B), byte-order independence).
// - The checksum written into an IPv4/UDP/TCP header is the complement of the partial sum of
//   everything it covers. (UDP's "send 0 as 0xffff" rule belongs to the UDP layer.)
// - Reads only [ptr, ptr + len), at any alignment and any length; the caller guarantees the
//   range lies in linear memory (batch forms check each entry). No state, no allocation.

import { FRAME_VEC_ARG, FRAME_VEC_LEN, FRAME_VEC_OUT, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "../abi";

/** Folds a sum of 16-bit words into [0, 0xffff] with end-around carry (RFC 1071 section 4.1). */
// @ts-ignore: decorator
@inline function fold64(s: u64): u32 {
  s = (s & 0xffffffff) + (s >> 32); // < 2^33
  s = (s & 0xffff) + (s >> 16); // < 2^18
  s = (s & 0xffff) + (s >> 16); // <= 0x10002
  s = (s & 0xffff) + (s >> 16); // <= 0xffff
  return <u32>s;
}

// @ts-ignore: decorator
@inline function swap16(v: u32): u32 {
  return ((v >>> 8) | (v << 8)) & 0xffff;
}

/** Vectors per accumulator between folds: each i32 lane gains <= 2 * 0xffff per vector. */
const SIMD_BLOCK_VECTORS: usize = 16384;

/**
 * Sum of the range read as LITTLE-endian 16-bit words (an odd last byte is the low byte of a
 * final word), not folded. Little-endian lanes are what the hardware adds cheaply; the folded
 * result is byte-swapped once at the end to get the network-order sum (RFC 1071 section 2(B)).
 */
function sumLe(ptr: usize, len: usize): u64 {
  let total: u64 = 0;
  let p = ptr;
  let n = len;
  if (ASC_FEATURE_SIMD) {
    // i32x4.extadd_pairwise_i16x8_u adds adjacent 16-bit lanes into 32-bit lanes; four
    // independent accumulators hide the add latency. Lanes are spilled into the 64-bit total
    // every SIMD_BLOCK_VECTORS iterations (16384 * 131070 < 2^32), so no length overflows.
    while (n >= 64) {
      let vectors = n >> 6;
      if (vectors > SIMD_BLOCK_VECTORS) vectors = SIMD_BLOCK_VECTORS;
      const end = p + (vectors << 6);
      let a0 = i32x4.splat(0);
      let a1 = i32x4.splat(0);
      let a2 = i32x4.splat(0);
      let a3 = i32x4.splat(0);
      do {
        a0 = i32x4.add(a0, i32x4.extadd_pairwise_i16x8_u(v128.load(p)));
        a1 = i32x4.add(a1, i32x4.extadd_pairwise_i16x8_u(v128.load(p, 16)));
        a2 = i32x4.add(a2, i32x4.extadd_pairwise_i16x8_u(v128.load(p, 32)));
        a3 = i32x4.add(a3, i32x4.extadd_pairwise_i16x8_u(v128.load(p, 48)));
        p += 64;
      } while (p < end);
      n -= vectors << 6;
      const w0 = i64x2.add(i64x2.extend_low_i32x4_u(a0), i64x2.extend_high_i32x4_u(a0));
      const w1 = i64x2.add(i64x2.extend_low_i32x4_u(a1), i64x2.extend_high_i32x4_u(a1));
      const w2 = i64x2.add(i64x2.extend_low_i32x4_u(a2), i64x2.extend_high_i32x4_u(a2));
      const w3 = i64x2.add(i64x2.extend_low_i32x4_u(a3), i64x2.extend_high_i32x4_u(a3));
      const w = i64x2.add(i64x2.add(w0, w1), i64x2.add(w2, w3));
      total += <u64>i64x2.extract_lane(w, 0) + <u64>i64x2.extract_lane(w, 1);
    }
    if (n >= 16) {
      let a = i32x4.splat(0);
      do {
        a = i32x4.add(a, i32x4.extadd_pairwise_i16x8_u(v128.load(p)));
        p += 16;
        n -= 16;
      } while (n >= 16);
      const w = i64x2.add(i64x2.extend_low_i32x4_u(a), i64x2.extend_high_i32x4_u(a));
      total += <u64>i64x2.extract_lane(w, 0) + <u64>i64x2.extract_lane(w, 1);
    }
  } else {
    // Scalar: 64-bit loads split into 32-bit halves (a sum of 32-bit little-endian words folds
    // to the same 16-bit sum, since 2^16 = 1 mod 0xffff); four accumulators, each below 2^33
    // per step, cannot overflow within 4 GiB.
    let s0: u64 = 0;
    let s1: u64 = 0;
    let s2: u64 = 0;
    let s3: u64 = 0;
    while (n >= 32) {
      const v0 = load<u64>(p);
      const v1 = load<u64>(p, 8);
      const v2 = load<u64>(p, 16);
      const v3 = load<u64>(p, 24);
      s0 += (v0 & 0xffffffff) + (v0 >> 32);
      s1 += (v1 & 0xffffffff) + (v1 >> 32);
      s2 += (v2 & 0xffffffff) + (v2 >> 32);
      s3 += (v3 & 0xffffffff) + (v3 >> 32);
      p += 32;
      n -= 32;
    }
    total = s0 + s1 + s2 + s3;
    while (n >= 8) {
      const v = load<u64>(p);
      total += (v & 0xffffffff) + (v >> 32);
      p += 8;
      n -= 8;
    }
  }
  if (n >= 8) {
    const v = load<u64>(p);
    total += (v & 0xffffffff) + (v >> 32);
    p += 8;
    n -= 8;
  }
  if (n >= 4) {
    total += <u64>load<u32>(p);
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    total += <u64>load<u16>(p);
    p += 2;
    n -= 2;
  }
  if (n != 0) total += <u64>load<u8>(p);
  return total;
}

/** Partial sum of [ptr, ptr+len) added to the partial `initial` (0 to start). */
export function inetSum(ptr: usize, len: usize, initial: u32): u32 {
  return fold64(<u64>swap16(fold64(sumLe(ptr, len))) + <u64>(initial & 0xffff));
}

/** Checksum to write into a header: complement of the partial sum of the range plus `initial`. */
export function inetChecksum(ptr: usize, len: usize, initial: u32): u32 {
  return ~inetSum(ptr, len, initial) & 0xffff;
}

/**
 * Adds partial b to partial a, where b's range starts `offsetB` bytes into the whole that a
 * starts; only the parity of offsetB matters (RFC 1071 section 2(B)).
 */
export function inetCombine(a: u32, b: u32, offsetB: u32): u32 {
  const bb = offsetB & 1 ? swap16(b) : b & 0xffff;
  return fold64(<u64>(a & 0xffff) + <u64>bb);
}

/** New checksum after one 16-bit field changes from oldWord to newWord (RFC 1624 eqn. 3). */
export function inetUpdate16(checksum: u32, oldWord: u32, newWord: u32): u32 {
  const s = <u64>(~checksum & 0xffff) + <u64>(~oldWord & 0xffff) + <u64>(newWord & 0xffff);
  return ~fold64(s) & 0xffff;
}

/**
 * Internet checksum of `count` frame-vector entries in one call: out = checksum of
 * [ptr, ptr+len) with arg as the initial partial sum (e.g. a pseudo-header's). Returns the
 * number of entries done; a result below count means entry [result] does not lie inside
 * linear memory (it and later entries untouched).
 */
export function inetChecksumBatchRun(vec: usize, count: u32): u32 {
  const limit = <u64>memory.size() << 16;
  for (let i: u32 = 0; i < count; i++) {
    const e = vec + <usize>i * FRAME_VEC_STRIDE;
    const ptr = load<u32>(e, FRAME_VEC_PTR);
    const len = load<u32>(e, FRAME_VEC_LEN);
    if (<u64>ptr + <u64>len > limit) return i;
    store<u32>(e, inetChecksum(ptr, len, load<u32>(e, FRAME_VEC_ARG)), FRAME_VEC_OUT);
  }
  return count;
}
