// ATM cell layout (ITU-T I.361) and the 48-byte payload moves the SAR kernels share.
//
// Contract: constants and inline helpers only; nothing here owns memory or state. A cell is
// 53 bytes: a 5-byte header followed by a 48-byte payload. The header's first four octets,
// read in wire order as a big-endian u32, are (UNI):
//
//   bits 31..28 GFC | 27..20 VPI | 19..4 VCI | 3..1 PTI | 0 CLP      octet 4: HEC
//
// PTI bit 0x1 of a user-data cell (header32 bit 1, mask 0x2) is the ATM-user-to-ATM-user
// indication that AAL5 uses to mark the last cell of a CPCS-PDU. Cells are byte-packed, so
// every access here is unaligned-safe (Wasm loads/stores allow any alignment).

export const CELL_BYTES: usize = 53;
export const CELL_HEADER_BYTES: usize = 5;
export const CELL_PAYLOAD_BYTES: usize = 48;
/** header32 bit carrying the end-of-PDU (AUU) indication: PTI 0b0x1. */
export const HDR_END_OF_PDU: u32 = 0x2;

/** Writes the header (big-endian `header32` plus its HEC) at `cell`. */
// @ts-ignore: decorator
@inline
export function writeCellHeader(cell: usize, header32: u32, hec: u32): void {
  store<u32>(cell, bswap<u32>(header32));
  store<u8>(cell, <u8>hec, 4);
}

/** Copies one 48-byte payload; `dst` and `src` must not overlap. */
// @ts-ignore: decorator
@inline
export function copy48(dst: usize, src: usize): void {
  if (ASC_FEATURE_SIMD) {
    const a = v128.load(src);
    const b = v128.load(src, 16);
    const c = v128.load(src, 32);
    v128.store(dst, a);
    v128.store(dst, b, 16);
    v128.store(dst, c, 32);
  } else {
    const a = load<u64>(src);
    const b = load<u64>(src, 8);
    const c = load<u64>(src, 16);
    const d = load<u64>(src, 24);
    const e = load<u64>(src, 32);
    const f = load<u64>(src, 40);
    store<u64>(dst, a);
    store<u64>(dst, b, 8);
    store<u64>(dst, c, 16);
    store<u64>(dst, d, 24);
    store<u64>(dst, e, 32);
    store<u64>(dst, f, 40);
  }
}

/** Zero-fills one 48-byte payload. */
// @ts-ignore: decorator
@inline
export function zero48(dst: usize): void {
  store<u64>(dst, 0);
  store<u64>(dst, 0, 8);
  store<u64>(dst, 0, 16);
  store<u64>(dst, 0, 24);
  store<u64>(dst, 0, 32);
  store<u64>(dst, 0, 40);
}
