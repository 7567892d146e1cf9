// Shared ABI constants and module-level queries.
//
// Frame vector entry (FRAME_VEC_STRIDE bytes, little-endian u32 words), the unit of every
// batch call:
//
//   +0  ptr   byte offset of the frame's first byte in linear memory
//   +4  len   length in bytes
//   +8  arg   kernel-specific input (initial partial sum, in port, ...)
//   +12 out   kernel-specific result (checksum, out port, status, ...)

export const FRAME_VEC_PTR: u32 = 0;
export const FRAME_VEC_LEN: u32 = 4;
export const FRAME_VEC_ARG: u32 = 8;
export const FRAME_VEC_OUT: u32 = 12;
export const FRAME_VEC_STRIDE: u32 = 16;

/** Bumped whenever an export's meaning changes; the TS loader refuses a mismatched build. */
const ABI_VERSION: u32 = 1;

/** First byte past this module's static data; the TS heap starts at or above it. */
export function heapBase(): usize {
  return __heap_base;
}

/** 1 when this build uses Wasm SIMD, 0 for the scalar fallback build. */
export function hasSimd(): u32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}

export function abiVersion(): u32 {
  return ABI_VERSION;
}
