// Memory kernels: byte moves inside the shared linear memory (typed wrapper: src/kernels/runtime.ts,
// KernelRuntime.copy).
//
// Why a kernel for a copy: V8 implements TypedArray.prototype.copyWithin on a SharedArrayBuffer
// with relaxed-atomic moves, an order of magnitude slower than memmove for packet-sized ranges;
// Wasm's memory.copy is a plain memmove even on shared memory. Overlapping ranges are
// allowed (memmove semantics, like copyWithin). Out-of-range pointers trap; the wrapper checks
// them first so callers get an error that names the range.

/** Copies [src, src + len) to dst inside linear memory; the ranges may overlap. */
export function memCopy(dst: usize, src: usize, len: usize): void {
  memory.copy(dst, src, len);
}
