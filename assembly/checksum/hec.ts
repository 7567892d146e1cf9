// ATM header error control (ITU-T I.432.1 section 7.3.2): CRC-8 with generator
// x^8 + x^2 + x + 1 over the first four header octets, XORed with the coset 0x55, plus the
// receiver's single-bit correction with its two modes.
//
// Contract: hecOf is pure. hecCheck reads the 5 header octets at ptr, may flip one bit of them
// (a corrected header), and reads/writes the caller-owned mode word at statePtr (one per
// receiving port; the caller allocates it, zero = correction mode). Never throws: statuses.
// Not handled: cell delineation (HUNT/PRESYNC/SYNC), which also uses the HEC.

import { CRC8_ATM, HEC_SYNDROME } from "./tables";
import { FRAME_VEC_LEN, FRAME_VEC_OUT, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "../abi";

/** Receiver mode word values (I.432.1 figure 13). */
export const HEC_MODE_CORRECTION: u32 = 0;
export const HEC_MODE_DETECTION: u32 = 1;

/** hecCheck statuses. */
export const HEC_VALID: u32 = 0;
export const HEC_CORRECTED: u32 = 1;
export const HEC_DISCARDED: u32 = 2;
/** Batch only: the entry is shorter than 5 bytes (discarded, mode word untouched). */
export const HEC_TOO_SHORT: u32 = 3;

/** HEC of a header whose first four octets, in wire order, form the big-endian `header32`. */
// @ts-ignore: decorator
@inline export function hecOf(header32: u32): u32 {
  // The CRC starts at 0, so it is linear in the message: four independent lookups in tables
  // that each account for the zero bytes following the octet (slicing-by-4).
  return (
    <u32>load<u8>(CRC8_ATM + (header32 >>> 24), 3 * 256) ^
    <u32>load<u8>(CRC8_ATM + ((header32 >>> 16) & 0xff), 2 * 256) ^
    <u32>load<u8>(CRC8_ATM + ((header32 >>> 8) & 0xff), 256) ^
    <u32>load<u8>(CRC8_ATM + (header32 & 0xff)) ^
    0x55
  );
}

/**
 * Checks (and in correction mode corrects) the 5-octet header at ptr; updates the mode word.
 * I.432.1 7.3.2.2: in correction mode a single-bit error is corrected and a multi-bit error
 * discarded, both moving to detection mode; in detection mode every errored header is
 * discarded; a valid header returns to correction mode.
 */
export function hecCheck(ptr: usize, statePtr: usize): u32 {
  const syndrome = (<u32>load<u8>(ptr, 4) ^ hecOf(bswap<u32>(load<u32>(ptr)))) & 0xff;
  if (syndrome == 0) {
    store<u32>(statePtr, HEC_MODE_CORRECTION);
    return HEC_VALID;
  }
  const mode = load<u32>(statePtr);
  store<u32>(statePtr, HEC_MODE_DETECTION);
  if (mode != HEC_MODE_CORRECTION) return HEC_DISCARDED;
  const code = <u32>load<u8>(HEC_SYNDROME + syndrome);
  if (code == 0) return HEC_DISCARDED;
  const at = ptr + ((code - 1) >>> 3);
  store<u8>(at, <u8>(<u32>load<u8>(at) ^ (<u32>1 << ((code - 1) & 7))));
  return HEC_CORRECTED;
}

/**
 * hecCheck over `count` frame-vector entries (ptr = cell header, len >= 5) in arrival order,
 * sharing one mode word; out = status. Returns the number of entries done; a result below
 * count means entry [result] does not lie inside linear memory.
 */
export function hecCheckBatchRun(vec: usize, count: u32, statePtr: usize): u32 {
  const limit = <u64>memory.size() << 16;
  for (let i: u32 = 0; i < count; i++) {
    const e = vec + <usize>i * FRAME_VEC_STRIDE;
    const ptr = load<u32>(e, FRAME_VEC_PTR);
    const len = load<u32>(e, FRAME_VEC_LEN);
    if (<u64>ptr + <u64>len > limit) return i;
    store<u32>(e, len < 5 ? HEC_TOO_SHORT : hecCheck(ptr, statePtr), FRAME_VEC_OUT);
  }
  return count;
}
