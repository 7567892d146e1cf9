// Checksum kernels: the Wasm exports (typed wrappers in src/kernels/checksum.ts).
//
// Internet checksum (RFC 1071/1624), Ethernet CRC-32 (reflected), AAL5 CRC-32 (MSB-first) and
// ATM HEC (CRC-8 + 0x55, I.432.1 correction). Pointer + length in, integer out; batch forms
// take a frame vector (../abi.ts) and return how many entries they completed.

import {
  crc32Update,
  crc32Aal5Update,
  crc32ZeroRunUpdate,
  crc32Aal5ZeroRunUpdate,
  crc32CombineValues,
  crc32Aal5CombineValues,
  crc32BatchUpdate,
} from "./crc32";
import { hecOf, hecCheck as hecCheckOne, hecCheckBatchRun } from "./hec";
import { inetSum as inetSumOf, inetChecksum as inetChecksumOf, inetCombine as inetCombineOf, inetUpdate16 as inetUpdate16Of, inetChecksumBatchRun } from "./inet";

// --- Internet checksum ---

/** Partial one's-complement sum of [ptr, ptr+len) added to the partial `initial`. */
export function inetSum(ptr: usize, len: usize, initial: u32): u32 {
  return inetSumOf(ptr, len, initial);
}
/** Header checksum: ~(partial sum of [ptr, ptr+len) + initial) & 0xffff. */
export function inetChecksum(ptr: usize, len: usize, initial: u32): u32 {
  return inetChecksumOf(ptr, len, initial);
}
/** Partial a + partial b, b starting offsetB bytes into the whole (odd: b byte-swapped). */
export function inetCombine(a: u32, b: u32, offsetB: u32): u32 {
  return inetCombineOf(a, b, offsetB);
}
/** RFC 1624 eqn. 3 update of a checksum after one 16-bit word changes. */
export function inetUpdate16(checksum: u32, oldWord: u32, newWord: u32): u32 {
  return inetUpdate16Of(checksum, oldWord, newWord);
}
/** Frame vector: out = checksum of each entry with arg as its initial partial. Returns entries done. */
export function inetChecksumBatch(vec: usize, count: u32): u32 {
  return inetChecksumBatchRun(vec, count);
}

// --- CRC-32 ---

export function crc32(crc: u32, ptr: usize, len: usize): u32 {
  return crc32Update(crc, ptr, len);
}
export function crc32Aal5(crc: u32, ptr: usize, len: usize): u32 {
  return crc32Aal5Update(crc, ptr, len);
}
/** Ethernet CRC-32 continued over n zero bytes (O(log n)). */
export function crc32ZeroRun(crc: u32, n: u32): u32 {
  return crc32ZeroRunUpdate(crc, n);
}
/** AAL5 CRC-32 continued over n zero bytes (O(log n)). */
export function crc32Aal5ZeroRun(crc: u32, n: u32): u32 {
  return crc32Aal5ZeroRunUpdate(crc, n);
}
/** Ethernet CRC-32 of a ++ b from crc(a), crc(b), len(b). */
export function crc32Combine(crcA: u32, crcB: u32, lenB: u32): u32 {
  return crc32CombineValues(crcA, crcB, lenB);
}
/** AAL5 CRC-32 of a ++ b from crc(a), crc(b), len(b). */
export function crc32Aal5Combine(crcA: u32, crcB: u32, lenB: u32): u32 {
  return crc32Aal5CombineValues(crcA, crcB, lenB);
}
/** Frame vector: out = Ethernet CRC-32 of each entry continued from arg. Returns entries done. */
export function crc32Batch(vec: usize, count: u32): u32 {
  return crc32BatchUpdate(vec, count);
}

// --- ATM HEC ---

/** HEC of the four header octets at ptr. */
export function atmHec(ptr: usize): u32 {
  return hecOf(bswap<u32>(load<u32>(ptr)));
}
/** Checks/corrects the 5-octet header at ptr under the mode word at statePtr; returns a status. */
export function hecCheck(ptr: usize, statePtr: usize): u32 {
  return hecCheckOne(ptr, statePtr);
}
/** Frame vector of cells sharing the mode word at statePtr: out = status. Returns entries done. */
export function hecCheckBatch(vec: usize, count: u32, statePtr: usize): u32 {
  return hecCheckBatchRun(vec, count, statePtr);
}
