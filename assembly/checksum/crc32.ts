// CRC-32 kernels: Ethernet FCS (reflected, zlib-compatible) and AAL5 (MSB-first).
//
// Contract: every function takes and returns the *finished* CRC (pre/post inversion handled
// inside), so a computation continues across chunks:
//   update(update(0, a), b) == update(0, a ++ b).
// Reads only [ptr, ptr + len); the caller guarantees the range lies in linear memory (the TS
// wrapper checks it; the batch form checks each entry itself). No state, no allocation.
// Not handled: other CRC-32 polynomials (CRC-32C), bit-granular lengths.

import { CRC32_REFLECTED, CRC32_MSB, CRC32_REFLECTED_X2N, CRC32_MSB_X2N } from "./tables";
import { FRAME_VEC_ARG, FRAME_VEC_LEN, FRAME_VEC_OUT, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "../abi";

// One 16-byte slicing step. Table s holds the CRC contribution of a byte followed by s zero
// bytes, so the block is 16 independent lookups and only the first four depend on the running
// CRC. The tables' addresses are compile-time constants and go into the loads' immediate
// offsets. Bytes 4..7 and 12..15 come out of 32-bit loads by shift+mask, bytes 8..11 are loaded
// one at a time (movzx + shl): under V8 on x64 the loop is bound by ALU uops and load ports
// together (Wasm gets no scaled addressing for the lookups and V8 copies before each shift), and
// this mix measured fastest; all-movzx, all-shift, 64-bit words, two streams over the two halves
// joined by a combine table, and slicing-by-32 were all slower. One step per loop iteration:
// unrolled, V8 hoists the second step's loads and spills.
// @ts-ignore: decorator
@inline function stepReflected(c: u32, p: usize): u32 {
  const w = load<u32>(p) ^ c;
  const w1 = load<u32>(p, 4);
  const w3 = load<u32>(p, 12);
  let x = load<u32>((<usize>w1 << 2) & 0x3fc, CRC32_REFLECTED + 11 * 1024);
  x ^= load<u32>((<usize>w1 >>> 6) & 0x3fc, CRC32_REFLECTED + 10 * 1024);
  x ^= load<u32>((<usize>w1 >>> 14) & 0x3fc, CRC32_REFLECTED + 9 * 1024);
  x ^= load<u32>((<usize>w1 >>> 22) & 0x3fc, CRC32_REFLECTED + 8 * 1024);
  x ^= load<u32>(<usize>load<u8>(p, 8) << 2, CRC32_REFLECTED + 7 * 1024);
  x ^= load<u32>(<usize>load<u8>(p, 9) << 2, CRC32_REFLECTED + 6 * 1024);
  x ^= load<u32>(<usize>load<u8>(p, 10) << 2, CRC32_REFLECTED + 5 * 1024);
  x ^= load<u32>(<usize>load<u8>(p, 11) << 2, CRC32_REFLECTED + 4 * 1024);
  x ^= load<u32>((<usize>w3 << 2) & 0x3fc, CRC32_REFLECTED + 3 * 1024);
  x ^= load<u32>((<usize>w3 >>> 6) & 0x3fc, CRC32_REFLECTED + 2 * 1024);
  x ^= load<u32>((<usize>w3 >>> 14) & 0x3fc, CRC32_REFLECTED + 1 * 1024);
  x ^= load<u32>((<usize>w3 >>> 22) & 0x3fc, CRC32_REFLECTED + 0 * 1024);
  const a = load<u32>((<usize>w << 2) & 0x3fc, CRC32_REFLECTED + 15 * 1024) ^ load<u32>((<usize>w >>> 6) & 0x3fc, CRC32_REFLECTED + 14 * 1024);
  const b = load<u32>((<usize>w >>> 14) & 0x3fc, CRC32_REFLECTED + 13 * 1024) ^ load<u32>((<usize>w >>> 22) & 0x3fc, CRC32_REFLECTED + 12 * 1024);
  return (x ^ a) ^ b;
}

// Partial steps for the 4..15 bytes left after the 16-byte loop: the same slicing with the
// tables shifted down, so e.g. a 1500-byte frame ends in one 12-byte step, not 12 byte steps.
// @ts-ignore: decorator
@inline function step12Reflected(c: u32, p: usize): u32 {
  const w = load<u32>(p) ^ c;
  const w1 = load<u32>(p, 4);
  let x = load<u32>((<usize>w1 << 2) & 0x3fc, CRC32_REFLECTED + 7 * 1024);
  x ^= load<u32>((<usize>w1 >>> 6) & 0x3fc, CRC32_REFLECTED + 6 * 1024);
  x ^= load<u32>((<usize>w1 >>> 14) & 0x3fc, CRC32_REFLECTED + 5 * 1024);
  x ^= load<u32>((<usize>w1 >>> 22) & 0x3fc, CRC32_REFLECTED + 4 * 1024);
  x ^= load<u32>(<usize>load<u8>(p, 8) << 2, CRC32_REFLECTED + 3 * 1024);
  x ^= load<u32>(<usize>load<u8>(p, 9) << 2, CRC32_REFLECTED + 2 * 1024);
  x ^= load<u32>(<usize>load<u8>(p, 10) << 2, CRC32_REFLECTED + 1 * 1024);
  x ^= load<u32>(<usize>load<u8>(p, 11) << 2, CRC32_REFLECTED + 0 * 1024);
  const a = load<u32>((<usize>w << 2) & 0x3fc, CRC32_REFLECTED + 11 * 1024) ^ load<u32>((<usize>w >>> 6) & 0x3fc, CRC32_REFLECTED + 10 * 1024);
  const b = load<u32>((<usize>w >>> 14) & 0x3fc, CRC32_REFLECTED + 9 * 1024) ^ load<u32>((<usize>w >>> 22) & 0x3fc, CRC32_REFLECTED + 8 * 1024);
  return (x ^ a) ^ b;
}

// @ts-ignore: decorator
@inline function step8Reflected(c: u32, p: usize): u32 {
  const w = load<u32>(p) ^ c;
  const w1 = load<u32>(p, 4);
  let x = load<u32>((<usize>w1 << 2) & 0x3fc, CRC32_REFLECTED + 3 * 1024);
  x ^= load<u32>((<usize>w1 >>> 6) & 0x3fc, CRC32_REFLECTED + 2 * 1024);
  x ^= load<u32>((<usize>w1 >>> 14) & 0x3fc, CRC32_REFLECTED + 1 * 1024);
  x ^= load<u32>((<usize>w1 >>> 22) & 0x3fc, CRC32_REFLECTED + 0 * 1024);
  const a = load<u32>((<usize>w << 2) & 0x3fc, CRC32_REFLECTED + 7 * 1024) ^ load<u32>((<usize>w >>> 6) & 0x3fc, CRC32_REFLECTED + 6 * 1024);
  const b = load<u32>((<usize>w >>> 14) & 0x3fc, CRC32_REFLECTED + 5 * 1024) ^ load<u32>((<usize>w >>> 22) & 0x3fc, CRC32_REFLECTED + 4 * 1024);
  return (x ^ a) ^ b;
}

// @ts-ignore: decorator
@inline function step4Reflected(c: u32, p: usize): u32 {
  const w = load<u32>(p) ^ c;
  const a = load<u32>((<usize>w << 2) & 0x3fc, CRC32_REFLECTED + 3 * 1024) ^ load<u32>((<usize>w >>> 6) & 0x3fc, CRC32_REFLECTED + 2 * 1024);
  const b = load<u32>((<usize>w >>> 14) & 0x3fc, CRC32_REFLECTED + 1 * 1024) ^ load<u32>((<usize>w >>> 22) & 0x3fc, CRC32_REFLECTED + 0 * 1024);
  return a ^ b;
}

// The MSB-first steps: the register's top byte meets the first data byte, so the byte-swapped
// register is XORed into the little-endian load and bytes are indexed in memory order.
// @ts-ignore: decorator
@inline function stepMsb(c: u32, p: usize): u32 {
  const w = load<u32>(p) ^ bswap<u32>(c);
  const w1 = load<u32>(p, 4);
  const w3 = load<u32>(p, 12);
  let x = load<u32>((<usize>w1 << 2) & 0x3fc, CRC32_MSB + 11 * 1024);
  x ^= load<u32>((<usize>w1 >>> 6) & 0x3fc, CRC32_MSB + 10 * 1024);
  x ^= load<u32>((<usize>w1 >>> 14) & 0x3fc, CRC32_MSB + 9 * 1024);
  x ^= load<u32>((<usize>w1 >>> 22) & 0x3fc, CRC32_MSB + 8 * 1024);
  x ^= load<u32>(<usize>load<u8>(p, 8) << 2, CRC32_MSB + 7 * 1024);
  x ^= load<u32>(<usize>load<u8>(p, 9) << 2, CRC32_MSB + 6 * 1024);
  x ^= load<u32>(<usize>load<u8>(p, 10) << 2, CRC32_MSB + 5 * 1024);
  x ^= load<u32>(<usize>load<u8>(p, 11) << 2, CRC32_MSB + 4 * 1024);
  x ^= load<u32>((<usize>w3 << 2) & 0x3fc, CRC32_MSB + 3 * 1024);
  x ^= load<u32>((<usize>w3 >>> 6) & 0x3fc, CRC32_MSB + 2 * 1024);
  x ^= load<u32>((<usize>w3 >>> 14) & 0x3fc, CRC32_MSB + 1 * 1024);
  x ^= load<u32>((<usize>w3 >>> 22) & 0x3fc, CRC32_MSB + 0 * 1024);
  const a = load<u32>((<usize>w << 2) & 0x3fc, CRC32_MSB + 15 * 1024) ^ load<u32>((<usize>w >>> 6) & 0x3fc, CRC32_MSB + 14 * 1024);
  const b = load<u32>((<usize>w >>> 14) & 0x3fc, CRC32_MSB + 13 * 1024) ^ load<u32>((<usize>w >>> 22) & 0x3fc, CRC32_MSB + 12 * 1024);
  return (x ^ a) ^ b;
}

// Partial steps for the 4..15 bytes left after the 16-byte loop: the same slicing with the
// tables shifted down, so e.g. a 1500-byte frame ends in one 12-byte step, not 12 byte steps.
// @ts-ignore: decorator
@inline function step12Msb(c: u32, p: usize): u32 {
  const w = load<u32>(p) ^ bswap<u32>(c);
  const w1 = load<u32>(p, 4);
  let x = load<u32>((<usize>w1 << 2) & 0x3fc, CRC32_MSB + 7 * 1024);
  x ^= load<u32>((<usize>w1 >>> 6) & 0x3fc, CRC32_MSB + 6 * 1024);
  x ^= load<u32>((<usize>w1 >>> 14) & 0x3fc, CRC32_MSB + 5 * 1024);
  x ^= load<u32>((<usize>w1 >>> 22) & 0x3fc, CRC32_MSB + 4 * 1024);
  x ^= load<u32>(<usize>load<u8>(p, 8) << 2, CRC32_MSB + 3 * 1024);
  x ^= load<u32>(<usize>load<u8>(p, 9) << 2, CRC32_MSB + 2 * 1024);
  x ^= load<u32>(<usize>load<u8>(p, 10) << 2, CRC32_MSB + 1 * 1024);
  x ^= load<u32>(<usize>load<u8>(p, 11) << 2, CRC32_MSB + 0 * 1024);
  const a = load<u32>((<usize>w << 2) & 0x3fc, CRC32_MSB + 11 * 1024) ^ load<u32>((<usize>w >>> 6) & 0x3fc, CRC32_MSB + 10 * 1024);
  const b = load<u32>((<usize>w >>> 14) & 0x3fc, CRC32_MSB + 9 * 1024) ^ load<u32>((<usize>w >>> 22) & 0x3fc, CRC32_MSB + 8 * 1024);
  return (x ^ a) ^ b;
}

// @ts-ignore: decorator
@inline function step8Msb(c: u32, p: usize): u32 {
  const w = load<u32>(p) ^ bswap<u32>(c);
  const w1 = load<u32>(p, 4);
  let x = load<u32>((<usize>w1 << 2) & 0x3fc, CRC32_MSB + 3 * 1024);
  x ^= load<u32>((<usize>w1 >>> 6) & 0x3fc, CRC32_MSB + 2 * 1024);
  x ^= load<u32>((<usize>w1 >>> 14) & 0x3fc, CRC32_MSB + 1 * 1024);
  x ^= load<u32>((<usize>w1 >>> 22) & 0x3fc, CRC32_MSB + 0 * 1024);
  const a = load<u32>((<usize>w << 2) & 0x3fc, CRC32_MSB + 7 * 1024) ^ load<u32>((<usize>w >>> 6) & 0x3fc, CRC32_MSB + 6 * 1024);
  const b = load<u32>((<usize>w >>> 14) & 0x3fc, CRC32_MSB + 5 * 1024) ^ load<u32>((<usize>w >>> 22) & 0x3fc, CRC32_MSB + 4 * 1024);
  return (x ^ a) ^ b;
}

// @ts-ignore: decorator
@inline function step4Msb(c: u32, p: usize): u32 {
  const w = load<u32>(p) ^ bswap<u32>(c);
  const a = load<u32>((<usize>w << 2) & 0x3fc, CRC32_MSB + 3 * 1024) ^ load<u32>((<usize>w >>> 6) & 0x3fc, CRC32_MSB + 2 * 1024);
  const b = load<u32>((<usize>w >>> 14) & 0x3fc, CRC32_MSB + 1 * 1024) ^ load<u32>((<usize>w >>> 22) & 0x3fc, CRC32_MSB + 0 * 1024);
  return a ^ b;
}

// Slicing-by-16 (Kounavis & Berry, "slicing-by-8", generalised), then one partial step and at
// most three single bytes.
/** Ethernet / zlib CRC-32 of [ptr, ptr+len), continuing from `crc` (0 to start). */
export function crc32Update(crc: u32, ptr: usize, len: usize): u32 {
  let c = ~crc;
  let p = ptr;
  const end = ptr + len;
  const end16 = ptr + (len & ~(<usize>15));
  while (p < end16) {
    c = stepReflected(c, p);
    p += 16;
  }
  const rest = end - p;
  if (rest >= 12) {
    c = step12Reflected(c, p);
    p += 12;
  } else if (rest >= 8) {
    c = step8Reflected(c, p);
    p += 8;
  } else if (rest >= 4) {
    c = step4Reflected(c, p);
    p += 4;
  }
  while (p < end) {
    c = load<u32>((<usize>(c ^ <u32>load<u8>(p)) & 0xff) << 2, CRC32_REFLECTED) ^ (c >>> 8);
    p++;
  }
  return ~c;
}

/** AAL5 CRC-32 (MSB-first, ITU-T I.363.5) of [ptr, ptr+len), continuing from `crc` (0 to start). */
export function crc32Aal5Update(crc: u32, ptr: usize, len: usize): u32 {
  let c = ~crc;
  let p = ptr;
  const end = ptr + len;
  const end16 = ptr + (len & ~(<usize>15));
  while (p < end16) {
    c = stepMsb(c, p);
    p += 16;
  }
  const rest = end - p;
  if (rest >= 12) {
    c = step12Msb(c, p);
    p += 12;
  } else if (rest >= 8) {
    c = step8Msb(c, p);
    p += 8;
  } else if (rest >= 4) {
    c = step4Msb(c, p);
    p += 4;
  }
  while (p < end) {
    c = load<u32>(<usize>(((c >>> 24) ^ <u32>load<u8>(p)) & 0xff) << 2, CRC32_MSB) ^ (c << 8);
    p++;
  }
  return ~c;
}

// --- zero runs and combination (zlib crc32.c: multmodp, x2nmodp, crc32_combine) ---

/** a * b mod P, reflected representation (x^0 is bit 31). */
function multModReflected(a: u32, b: u32): u32 {
  let m: u32 = 0x80000000;
  let p: u32 = 0;
  while (m != 0 && a != 0) {
    if (a & m) {
      p ^= b;
      a ^= m;
    }
    m >>>= 1;
    b = (b >>> 1) ^ (0xedb88320 & (0 - (b & 1)));
  }
  return p;
}

/** a * b mod P, MSB-first representation (x^0 is bit 0). */
function multModMsb(a: u32, b: u32): u32 {
  let p: u32 = 0;
  while (a != 0) {
    if (a & 1) p ^= b;
    a >>>= 1;
    b = (b << 1) ^ (0x04c11db7 & (0 - (b >>> 31)));
  }
  return p;
}

/** x^(8n) mod P: the operator that appends n zero bytes to a CRC register. */
function x8nModReflected(n: u32): u32 {
  let p: u32 = 0x80000000; // x^0
  let k: usize = 3; // 2^3 bits per byte
  while (n != 0) {
    if (n & 1) p = multModReflected(load<u32>(CRC32_REFLECTED_X2N + (k << 2)), p);
    n >>>= 1;
    k++;
  }
  return p;
}

function x8nModMsb(n: u32): u32 {
  let p: u32 = 1;
  let k: usize = 3;
  while (n != 0) {
    if (n & 1) p = multModMsb(load<u32>(CRC32_MSB_X2N + (k << 2)), p);
    n >>>= 1;
    k++;
  }
  return p;
}

/** Ethernet CRC-32 continued over n zero bytes, in O(log n) (for "virtual zero" payloads). */
export function crc32ZeroRunUpdate(crc: u32, n: u32): u32 {
  if (n == 0) return crc;
  return ~multModReflected(x8nModReflected(n), ~crc);
}

/** AAL5 CRC-32 continued over n zero bytes, in O(log n). */
export function crc32Aal5ZeroRunUpdate(crc: u32, n: u32): u32 {
  if (n == 0) return crc;
  return ~multModMsb(x8nModMsb(n), ~crc);
}

/** CRC-32 of a ++ b from crc(a), crc(b) and len(b) (zlib crc32_combine). */
export function crc32CombineValues(crcA: u32, crcB: u32, lenB: u32): u32 {
  return multModReflected(x8nModReflected(lenB), crcA) ^ crcB;
}

/** AAL5 CRC-32 of a ++ b from the two CRCs and len(b). */
export function crc32Aal5CombineValues(crcA: u32, crcB: u32, lenB: u32): u32 {
  return multModMsb(x8nModMsb(lenB), crcA) ^ crcB;
}

/**
 * Ethernet CRC-32 of `count` frame-vector entries in one call: out = CRC of [ptr, ptr+len)
 * continued from arg (0 for a whole frame). Returns the number of entries done; a result below
 * count means entry [result] does not lie inside linear memory (it and later entries untouched).
 */
export function crc32BatchUpdate(vec: usize, count: u32): u32 {
  const limit = <u64>memory.size() << 16;
  for (let i: u32 = 0; i < count; i++) {
    const e = vec + <usize>i * FRAME_VEC_STRIDE;
    const ptr = load<u32>(e, FRAME_VEC_PTR);
    const len = load<u32>(e, FRAME_VEC_LEN);
    if (<u64>ptr + <u64>len > limit) return i;
    store<u32>(e, crc32Update(load<u32>(e, FRAME_VEC_ARG), ptr, len), FRAME_VEC_OUT);
  }
  return count;
}
