// Test helpers for kernel suites: one runtime per Wasm build, each over its own memory
// (different builds' static data cannot share a memory), plus seeded random bytes.

import { KernelRuntime, createKernelMemory, type WasmBuild } from "../../src/kernels/runtime.js";
import { FRAME_VEC_ARG, FRAME_VEC_LEN, FRAME_VEC_OUT, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "../../src/kernels/abi.js";

export const ALL_BUILDS: readonly WasmBuild[] = ["debug", "release", "scalar"];

const runtimes = new Map<WasmBuild, KernelRuntime>();

/** A runtime of the given build, private to this test file (not the thread's default). */
export function runtimeFor(build: WasmBuild): KernelRuntime {
  let rt = runtimes.get(build);
  if (rt === undefined) {
    rt = new KernelRuntime(createKernelMemory(64), build);
    runtimes.set(build, rt);
  }
  return rt;
}

/** Sizes the differential tests cover (issue 2 / STYLE.md boundary sizes). */
export const BOUNDARY_SIZES: readonly number[] = [0, 1, 2, 3, 7, 8, 15, 16, 63, 64, 65, 1499, 1500, 9000, 65535];

export { seededBytes } from "../../src/base/seeded-bytes.js";

/** Copies `bytes` into a fresh heap region of `rt` at `offset` bytes past a 64-byte boundary. */
export function placeInMemory(rt: KernelRuntime, bytes: Uint8Array, offset = 0): { ptr: number; free: () => void } {
  const region = rt.heap.alloc(bytes.length + offset + 16);
  const ptr = region + offset;
  rt.u8.fill(0xa5, region, region + bytes.length + offset + 16);
  rt.u8.set(bytes, ptr);
  return { ptr, free: () => rt.heap.free(region) };
}

/**
 * Fills the frame vector at `vec` with one entry per frame (ptr, len, arg) and poisons each
 * entry's out word, so a kernel that skips an entry shows.
 */
export function writeFrameVector(
  rt: KernelRuntime,
  vec: number,
  entries: readonly { ptr: number; len: number; arg: number }[],
): void {
  entries.forEach((entry, i) => {
    const e = (vec + i * FRAME_VEC_STRIDE) / 4;
    rt.u32[e + FRAME_VEC_PTR / 4] = entry.ptr;
    rt.u32[e + FRAME_VEC_LEN / 4] = entry.len;
    rt.u32[e + FRAME_VEC_ARG / 4] = entry.arg;
    rt.u32[e + FRAME_VEC_OUT / 4] = 0xdeadbeef;
  });
}
