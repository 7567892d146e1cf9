// CRC-32 kernels: Ethernet FCS (reflected, zlib-compatible) and AAL5 (MSB-first).
//
// Contract: every function takes and returns the *finished* CRC (pre/post inversion handled
// inside), so a computation continues across chunks:
//   update(update(0, a), b) == update(0, a ++ b).
// Reads only [ptr, ptr + len); the caller guarantees the range lies in linear memory (the TS
// wrapper checks it; the batch form checks each entry itself). No state, no allocation.
// Not handled: other CRC-32 polynomials (CRC-32C), bit-granular lengths.
//
// Ethernet CRC-32 by length: below 64 bytes slicing-by-16 tables; from 64 bytes the message is
// first reduced modulo sparse multiples of the generator (shifts and XORs on 64-bit words, no
// lookups; see "Sparse reduction" below) and only its last 40 bytes go through the tables.
// Scalar i64 only (the SIMD and scalar builds run the same code): an i64x2 variant (Q2 below,
// two words per vector) was latency-bound (each vector needs the previous one through a lane
// shuffle) and slower than the scalar reduction. AAL5 keeps slicing-by-16.

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
// @ts-ignore: decorator
@inline function crc32Tables(crc: u32, ptr: usize, len: usize): u32 {
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

// --- Sparse reduction: the tables see only the last 40 bytes ---
//
// The CRC register after a message M of n bits (zero start, no final XOR) is M(x) x^32 mod P.
// Adding any multiple of P to M leaves it unchanged, so M may first be reduced modulo a sparse
// multiple Q of P: cancelling the message's leading bits with Q is a few shifts and XORs per
// 64-bit word, and the CRC tables only see what is left, the last D bits. Reflected order:
// stream bit i is bit i % 64 of little-endian word i / 64 and has degree n - 1 - i, so
// cancelling a bit with Q = x^D + sum x^d XORs it forward by s = D - d bits, each s = 64 q + r
// landing in words k + q (<< r) and k + q + 1 (>> 64 - r). Two multiples, found by
// scripts/crc32-sparse-multiple.mjs (test/kernels/checksum-crc32.test.ts checks Q mod P == 0
// on the two lines below):
//
//   Q1 = x^724 + x^606 + x^519 + x^384 + 1
//     the only weight-5 multiple below degree 800. s = 118, 205, 340, 724: (q, r) = (1, 54),
//     (3, 13), (5, 20), (11, 20); the two r = 20 terms share their shifts: 14-15 operations
//     per word. Leaves 12 words.
//   Q2 = x^274 + x^93 + x^75 + x^19 + x^11 + 1
//     the lowest-degree weight-6 multiple with every shift >= 64 bits (a word never feeds
//     itself). s = 181, 199, 255, 263, 274: (q, r) = (2, 53), (3, 7), (3, 63), (4, 7), (4, 18);
//     18 operations per word. Leaves 5 words.
//
// 64..191 bytes cancel with Q2 alone; from 192 bytes with Q1, then exactly 7 of the 12 words
// Q1 leaves with Q2, then tables (the bounds are measured crossovers: SPARSE_MIN_LEN,
// SPARSE_Q1_MIN_LEN). Q1's 12-word state does not fit x64 registers; V8 spills a couple.

// e[k] by Q1 from the word w[k] and m1..m12 = e[k-1]..e[k-12] (m7..m10 are not used):
//   e[k] = w[k] ^ e[k-1] << 54 ^ e[k-2] >> 10 ^ e[k-3] << 13 ^ e[k-4] >> 51
//               ^ (e[k-5] ^ e[k-11]) << 20 ^ (e[k-6] ^ e[k-12]) >> 44
// The latest word enters last: one shift + XOR per word on the loop-carried path.
// @ts-ignore: decorator
@inline function q1Step(w: u64, m1: u64, m2: u64, m3: u64, m4: u64, m5: u64, m6: u64, m11: u64, m12: u64): u64 {
  const far = (((m5 ^ m11) << 20) ^ ((m6 ^ m12) >> 44)) ^ (m4 >> 51) ^ (m2 >> 10);
  return ((w ^ far) ^ (m3 << 13)) ^ (m1 << 54);
}

// e[k] by Q2 from w[k] and m2..m5 = e[k-2]..e[k-5]:
//   e[k] = w[k] ^ e[k-2] << 53 ^ e[k-3] >> 11 ^ (e[k-3] ^ e[k-4]) << 7 ^ (e[k-4] ^ e[k-5]) >> 57
//               ^ e[k-3] << 63 ^ e[k-4] >> 1 ^ e[k-4] << 18 ^ e[k-5] >> 46
// @ts-ignore: decorator
@inline function q2Step(w: u64, m2: u64, m3: u64, m4: u64, m5: u64): u64 {
  const far = (((m4 ^ m5) >> 57) ^ (m5 >> 46)) ^ ((m4 >> 1) ^ (m4 << 18));
  const near = (((m3 ^ m4) << 7) ^ (m3 >> 11)) ^ (m3 << 63);
  return ((w ^ far) ^ near) ^ (m2 << 53);
}

// Table steps on words held in registers (the reduced tail); same tables as stepReflected.
// @ts-ignore: decorator
@inline function step16Words(c: u32, lo: u64, hi: u64): u32 {
  const w = <u32>lo ^ c;
  const w1 = <u32>(lo >> 32);
  const w2 = <u32>hi;
  const w3 = <u32>(hi >> 32);
  let x = load<u32>((<usize>w1 << 2) & 0x3fc, CRC32_REFLECTED + 11 * 1024);
  x ^= load<u32>((<usize>w1 >>> 6) & 0x3fc, CRC32_REFLECTED + 10 * 1024);
  x ^= load<u32>((<usize>w1 >>> 14) & 0x3fc, CRC32_REFLECTED + 9 * 1024);
  x ^= load<u32>((<usize>w1 >>> 22) & 0x3fc, CRC32_REFLECTED + 8 * 1024);
  x ^= load<u32>((<usize>w2 << 2) & 0x3fc, CRC32_REFLECTED + 7 * 1024);
  x ^= load<u32>((<usize>w2 >>> 6) & 0x3fc, CRC32_REFLECTED + 6 * 1024);
  x ^= load<u32>((<usize>w2 >>> 14) & 0x3fc, CRC32_REFLECTED + 5 * 1024);
  x ^= load<u32>((<usize>w2 >>> 22) & 0x3fc, CRC32_REFLECTED + 4 * 1024);
  x ^= load<u32>((<usize>w3 << 2) & 0x3fc, CRC32_REFLECTED + 3 * 1024);
  x ^= load<u32>((<usize>w3 >>> 6) & 0x3fc, CRC32_REFLECTED + 2 * 1024);
  x ^= load<u32>((<usize>w3 >>> 14) & 0x3fc, CRC32_REFLECTED + 1 * 1024);
  x ^= load<u32>((<usize>w3 >>> 22) & 0x3fc, CRC32_REFLECTED + 0 * 1024);
  const a = load<u32>((<usize>w << 2) & 0x3fc, CRC32_REFLECTED + 15 * 1024) ^ load<u32>((<usize>w >>> 6) & 0x3fc, CRC32_REFLECTED + 14 * 1024);
  const b = load<u32>((<usize>w >>> 14) & 0x3fc, CRC32_REFLECTED + 13 * 1024) ^ load<u32>((<usize>w >>> 22) & 0x3fc, CRC32_REFLECTED + 12 * 1024);
  return (x ^ a) ^ b;
}

// @ts-ignore: decorator
@inline function step8Word(c: u32, v: u64): u32 {
  const w = <u32>v ^ c;
  const w1 = <u32>(v >> 32);
  let x = load<u32>((<usize>w1 << 2) & 0x3fc, CRC32_REFLECTED + 3 * 1024);
  x ^= load<u32>((<usize>w1 >>> 6) & 0x3fc, CRC32_REFLECTED + 2 * 1024);
  x ^= load<u32>((<usize>w1 >>> 14) & 0x3fc, CRC32_REFLECTED + 1 * 1024);
  x ^= load<u32>((<usize>w1 >>> 22) & 0x3fc, CRC32_REFLECTED + 0 * 1024);
  const a = load<u32>((<usize>w << 2) & 0x3fc, CRC32_REFLECTED + 7 * 1024) ^ load<u32>((<usize>w >>> 6) & 0x3fc, CRC32_REFLECTED + 6 * 1024);
  const b = load<u32>((<usize>w >>> 14) & 0x3fc, CRC32_REFLECTED + 5 * 1024) ^ load<u32>((<usize>w >>> 22) & 0x3fc, CRC32_REFLECTED + 4 * 1024);
  return (x ^ a) ^ b;
}

/** Shortest input for Q2 (measured crossover against the tables; >= 48 so that K >= 1). */
const SPARSE_MIN_LEN: usize = 64;
/** Shortest input for Q1 (measured crossover against Q2 alone; >= 104 so that K >= 1). */
const SPARSE_Q1_MIN_LEN: usize = 192;

// Both sparse paths run on a whole number of words: the message is taken as z = -len mod 8
// zero bytes followed by its len bytes (leading zeros change no CRC). Word 0 is then the first
// 8 - z bytes shifted up by 8 z bits, word k >= 1 the 8 bytes at ptr - z + 8 k, so nothing
// outside [ptr, ptr + len) is read (len >= 8), and what is left after cancelling is a fixed
// number of whole words. ~crc lands on the message's first 32 bits: in word 0, and for z > 4
// partly in word 1 (`inj`). The word about to be cancelled is loaded one step ahead (`w`).

/** Q2 alone: len >= 48. */
function crc32SparseQ2(crc: u32, ptr: usize, len: usize): u32 {
  const z = (<usize>0 - len) & 7; // -len mod 8
  const words = ((len + z) >>> 3) - 5; // K = floor((8 (len + z) - 274) / 64): leaves 5 words
  const sh = <u64>(z << 3);
  let w: u64 = (load<u64>(ptr) ^ <u64>~crc) << sh;
  let inj: u64 = sh > 32 ? <u64>~crc >> (64 - sh) : 0;
  let p = ptr + 8 - z;
  // e[k] lives in b[(k + skip) % 5]: the first block is entered at step `skip`, as if the
  // message had `skip` more leading zero words (they cancel to zero), so every later block runs
  // all five steps with no register moves.
  let b0: u64 = 0, b1: u64 = 0, b2: u64 = 0, b3: u64 = 0, b4: u64 = 0;
  switch (4 - <i32>((words - 1) % 5)) {
    case 0: b0 = q2Step(w, b3, b2, b1, b0); w = load<u64>(p) ^ inj; inj = 0; p += 8;
    case 1: b1 = q2Step(w, b4, b3, b2, b1); w = load<u64>(p) ^ inj; inj = 0; p += 8;
    case 2: b2 = q2Step(w, b0, b4, b3, b2); w = load<u64>(p) ^ inj; inj = 0; p += 8;
    case 3: b3 = q2Step(w, b1, b0, b4, b3); w = load<u64>(p) ^ inj; inj = 0; p += 8;
    default: b4 = q2Step(w, b2, b1, b0, b4); w = load<u64>(p) ^ inj; p += 8;
  }
  const wordEnd = ptr + len - 32; // p of word K + 1
  while (p < wordEnd) {
    b0 = q2Step(w, b3, b2, b1, b0);
    b1 = q2Step(load<u64>(p), b4, b3, b2, b1);
    b2 = q2Step(load<u64>(p, 8), b0, b4, b3, b2);
    b3 = q2Step(load<u64>(p, 16), b1, b0, b4, b3);
    b4 = q2Step(load<u64>(p, 24), b2, b1, b0, b4);
    w = load<u64>(p, 32);
    p += 40;
  }
  // The last 5 words get what the cancelled ones (b4 = e[K-1] .. b0 = e[K-5]) pushed into them:
  // the recurrence with zeros for e[K..]; the fifth only bits 0..17.
  const u0 = q2Step(w, b3, b2, b1, b0);
  const u1 = q2Step(load<u64>(p), b4, b3, b2, b1);
  const u2 = q2Step(load<u64>(p, 8), 0, b4, b3, b2);
  const u3 = q2Step(load<u64>(p, 16), 0, 0, b4, b3);
  const u4 = q2Step(load<u64>(p, 24), 0, 0, 0, b4);
  return ~step8Word(step16Words(step16Words(0, u0, u1), u2, u3), u4);
}

/** Q1, then Q2 on the 12 words Q1 leaves: len >= 104. */
function crc32SparseQ1(crc: u32, ptr: usize, len: usize): u32 {
  const z = (<usize>0 - len) & 7; // -len mod 8
  const words = ((len + z) >>> 3) - 12; // K = floor((8 (len + z) - 724) / 64): leaves 12 words
  const sh = <u64>(z << 3);
  let w: u64 = (load<u64>(ptr) ^ <u64>~crc) << sh;
  let inj: u64 = sh > 32 ? <u64>~crc >> (64 - sh) : 0;
  let p = ptr + 8 - z;
  // e[k] lives in a[(k + skip) % 12], entered as in crc32SparseQ2.
  let a0: u64 = 0, a1: u64 = 0, a2: u64 = 0, a3: u64 = 0, a4: u64 = 0, a5: u64 = 0;
  let a6: u64 = 0, a7: u64 = 0, a8: u64 = 0, a9: u64 = 0, a10: u64 = 0, a11: u64 = 0;
  switch (11 - <i32>((words - 1) % 12)) {
    case 0: a0 = q1Step(w, a11, a10, a9, a8, a7, a6, a1, a0); w = load<u64>(p) ^ inj; inj = 0; p += 8;
    case 1: a1 = q1Step(w, a0, a11, a10, a9, a8, a7, a2, a1); w = load<u64>(p) ^ inj; inj = 0; p += 8;
    case 2: a2 = q1Step(w, a1, a0, a11, a10, a9, a8, a3, a2); w = load<u64>(p) ^ inj; inj = 0; p += 8;
    case 3: a3 = q1Step(w, a2, a1, a0, a11, a10, a9, a4, a3); w = load<u64>(p) ^ inj; inj = 0; p += 8;
    case 4: a4 = q1Step(w, a3, a2, a1, a0, a11, a10, a5, a4); w = load<u64>(p) ^ inj; inj = 0; p += 8;
    case 5: a5 = q1Step(w, a4, a3, a2, a1, a0, a11, a6, a5); w = load<u64>(p) ^ inj; inj = 0; p += 8;
    case 6: a6 = q1Step(w, a5, a4, a3, a2, a1, a0, a7, a6); w = load<u64>(p) ^ inj; inj = 0; p += 8;
    case 7: a7 = q1Step(w, a6, a5, a4, a3, a2, a1, a8, a7); w = load<u64>(p) ^ inj; inj = 0; p += 8;
    case 8: a8 = q1Step(w, a7, a6, a5, a4, a3, a2, a9, a8); w = load<u64>(p) ^ inj; inj = 0; p += 8;
    case 9: a9 = q1Step(w, a8, a7, a6, a5, a4, a3, a10, a9); w = load<u64>(p) ^ inj; inj = 0; p += 8;
    case 10: a10 = q1Step(w, a9, a8, a7, a6, a5, a4, a11, a10); w = load<u64>(p) ^ inj; inj = 0; p += 8;
    default: a11 = q1Step(w, a10, a9, a8, a7, a6, a5, a0, a11); w = load<u64>(p) ^ inj; p += 8;
  }
  const wordEnd = ptr + len - 88; // p of word K + 1
  while (p < wordEnd) {
    a0 = q1Step(w, a11, a10, a9, a8, a7, a6, a1, a0);
    a1 = q1Step(load<u64>(p), a0, a11, a10, a9, a8, a7, a2, a1);
    a2 = q1Step(load<u64>(p, 8), a1, a0, a11, a10, a9, a8, a3, a2);
    a3 = q1Step(load<u64>(p, 16), a2, a1, a0, a11, a10, a9, a4, a3);
    a4 = q1Step(load<u64>(p, 24), a3, a2, a1, a0, a11, a10, a5, a4);
    a5 = q1Step(load<u64>(p, 32), a4, a3, a2, a1, a0, a11, a6, a5);
    a6 = q1Step(load<u64>(p, 40), a5, a4, a3, a2, a1, a0, a7, a6);
    a7 = q1Step(load<u64>(p, 48), a6, a5, a4, a3, a2, a1, a8, a7);
    a8 = q1Step(load<u64>(p, 56), a7, a6, a5, a4, a3, a2, a9, a8);
    a9 = q1Step(load<u64>(p, 64), a8, a7, a6, a5, a4, a3, a10, a9);
    a10 = q1Step(load<u64>(p, 72), a9, a8, a7, a6, a5, a4, a11, a10);
    a11 = q1Step(load<u64>(p, 80), a10, a9, a8, a7, a6, a5, a0, a11);
    w = load<u64>(p, 88);
    p += 96;
  }
  // The last 12 words get what the cancelled ones (a11 = e[K-1] .. a0 = e[K-12]) pushed into
  // them: the recurrence with zeros for e[K..]; the twelfth only bits 0..19.
  const t0 = q1Step(w, a11, a10, a9, a8, a7, a6, a1, a0);
  const t1 = q1Step(load<u64>(p), 0, a11, a10, a9, a8, a7, a2, a1);
  const t2 = q1Step(load<u64>(p, 8), 0, 0, a11, a10, a9, a8, a3, a2);
  const t3 = q1Step(load<u64>(p, 16), 0, 0, 0, a11, a10, a9, a4, a3);
  const t4 = q1Step(load<u64>(p, 24), 0, 0, 0, 0, a11, a10, a5, a4);
  const t5 = q1Step(load<u64>(p, 32), 0, 0, 0, 0, 0, a11, a6, a5);
  const t6 = q1Step(load<u64>(p, 40), 0, 0, 0, 0, 0, 0, a7, a6);
  const t7 = q1Step(load<u64>(p, 48), 0, 0, 0, 0, 0, 0, a8, a7);
  const t8 = q1Step(load<u64>(p, 56), 0, 0, 0, 0, 0, 0, a9, a8);
  const t9 = q1Step(load<u64>(p, 64), 0, 0, 0, 0, 0, 0, a10, a9);
  const t10 = q1Step(load<u64>(p, 72), 0, 0, 0, 0, 0, 0, a11, a10);
  const t11 = q1Step(load<u64>(p, 80), 0, 0, 0, 0, 0, 0, 0, a11);
  // Q2 on those 12 words cancels 7 (floor((768 - 274) / 64)): e2..e6 (e[0], e[1] = t0, t1).
  const e2 = q2Step(t2, t0, 0, 0, 0);
  const e3 = q2Step(t3, t1, t0, 0, 0);
  const e4 = q2Step(t4, e2, t1, t0, 0);
  const e5 = q2Step(t5, e3, e2, t1, t0);
  const e6 = q2Step(t6, e4, e3, e2, t1);
  const u7 = q2Step(t7, e5, e4, e3, e2);
  const u8 = q2Step(t8, e6, e5, e4, e3);
  const u9 = q2Step(t9, 0, e6, e5, e4);
  const u10 = q2Step(t10, 0, 0, e6, e5);
  const u11 = q2Step(t11, 0, 0, 0, e6);
  return ~step8Word(step16Words(step16Words(0, u7, u8), u9, u10), u11);
}

/** Ethernet / zlib CRC-32 of [ptr, ptr+len), continuing from `crc` (0 to start). */
export function crc32Update(crc: u32, ptr: usize, len: usize): u32 {
  if (len < SPARSE_MIN_LEN) return crc32Tables(crc, ptr, len);
  if (len < SPARSE_Q1_MIN_LEN) return crc32SparseQ2(crc, ptr, len);
  return crc32SparseQ1(crc, ptr, len);
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
