// netloom Wasm kernels: the module's export list.
//
// Contract for every kernel (see README "Kernel ABI"):
// - Arguments and results are integers. Pointers are byte offsets into the one shared,
//   fixed-size linear memory that every thread imports; the TypeScript side owns all
//   allocation (src/kernels/heap.unsafe.ts). Kernels never allocate, so the stub runtime's
//   per-instance bump pointer is never used and instances in different threads cannot collide.
// - Static data in this module is constant (lookup tables). Re-instantiating the module in
//   another thread re-writes identical bytes; mutable state lives only in regions the caller
//   allocated and passes in.
// - Batch kernels take a pointer to a frame vector (FRAME_VEC_* in ./abi.ts) and a count.

export { heapBase, hasSimd, abiVersion } from "./abi";
export * from "./checksum/index";
export * from "./switch/index";
export * from "./atm/index";
export * from "./window/index";
export * from "./mem/index";
