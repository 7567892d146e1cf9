// A view of this thread's kernel runtime whose CRC exports count their calls, to check that
// hot paths cross into Wasm once per batch (the real exports object is frozen, so the
// runtime is wrapped rather than patched).

import { getRuntime, type KernelRuntime } from "../../src/kernels/runtime.js";
import type { KernelExports } from "../../src/kernels/exports.js";

export function countingRuntime(): { runtime: KernelRuntime; calls: { crc32Batch: number; crc32: number } } {
  const rt = getRuntime();
  const calls = { crc32Batch: 0, crc32: 0 };
  const x = rt.exports;
  const exports: KernelExports = {
    ...x,
    crc32Batch(vec: number, count: number): number {
      calls.crc32Batch++;
      return x.crc32Batch(vec, count);
    },
    crc32(crc: number, ptr: number, len: number): number {
      calls.crc32++;
      return x.crc32(crc, ptr, len);
    },
  };
  return { runtime: Object.create(rt, { exports: { value: exports } }) as KernelRuntime, calls };
}
