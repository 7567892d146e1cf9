// CRC-32 kernels: Ethernet FCS (reflected, zlib-compatible) and AAL5 (MSB-first).
//
// Both take and return the *finished* CRC value (pre/post inversion handled inside), so a
// computation continues across chunks: crc = update(update(0, a), b) == update(0, a ++ b).

import { CRC32_REFLECTED, CRC32_MSB } from "./tables";

/** Ethernet / zlib CRC-32 of [ptr, ptr+len), continuing from `crc` (0 to start). */
export function crc32Update(crc: u32, ptr: usize, len: usize): u32 {
  let c = ~crc;
  const end = ptr + len;
  for (let p = ptr; p < end; p++) {
    c = load<u32>(CRC32_REFLECTED + (((c ^ load<u8>(p)) & 0xff) << 2)) ^ (c >>> 8);
  }
  return ~c;
}

/** AAL5 CRC-32 (MSB-first, ITU-T I.363.5) of [ptr, ptr+len), continuing from `crc` (0 to start). */
export function crc32Aal5Update(crc: u32, ptr: usize, len: usize): u32 {
  let c = ~crc;
  const end = ptr + len;
  for (let p = ptr; p < end; p++) {
    c = load<u32>(CRC32_MSB + ((((c >>> 24) ^ load<u8>(p)) & 0xff) << 2)) ^ (c << 8);
  }
  return ~c;
}
