// checksum kernels: exports.
import { crc32Update, crc32Aal5Update } from "./crc32";
import { hecOf } from "./hec";

export function crc32(crc: u32, ptr: usize, len: usize): u32 {
  return crc32Update(crc, ptr, len);
}
export function crc32Aal5(crc: u32, ptr: usize, len: usize): u32 {
  return crc32Aal5Update(crc, ptr, len);
}
/** HEC of the four header octets at ptr. */
export function atmHec(ptr: usize): u32 {
  return hecOf(bswap<u32>(load<u32>(ptr)));
}
