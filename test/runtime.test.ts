import { describe, expect, it } from "vitest";
import { KernelRuntime, createKernelMemory, getRuntime, simdSupported } from "../src/kernels/runtime.js";
import { NetloomError } from "../src/base/errors.js";
import { ALL_BUILDS } from "./support/runtimes.js";

describe("kernel runtime", () => {
  it.each(ALL_BUILDS)("loads the %s build over a shared fixed-size memory", (build) => {
    const memory = createKernelMemory(8);
    const rt = new KernelRuntime(memory, build);
    expect(rt.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(rt.exports.hasSimd()).toBe(build === "scalar" ? 0 : 1);
    expect(rt.heap.base % 64).toBe(0);
    expect(rt.heap.base).toBeGreaterThanOrEqual(rt.exports.heapBase());
  });

  it("reports SIMD support on this engine", () => {
    expect(simdSupported()).toBe(true);
  });

  it("the thread runtime uses the build the tests ask for", () => {
    expect(getRuntime().build).toBe("debug");
  });

  it("refuses a second build over the same memory", () => {
    const memory = createKernelMemory(8);
    new KernelRuntime(memory, "release");
    expect(() => new KernelRuntime(memory, "scalar")).toThrow(/different Wasm build/);
  });

  it("refuses a memory that is not shared", () => {
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 2 });
    expect(() => new KernelRuntime(memory, "release")).toThrow(NetloomError);
  });

  it("rejects absurd memory sizes with a named error", () => {
    expect(() => createKernelMemory(0)).toThrow(/memoryMiB/);
    expect(() => createKernelMemory(5000)).toThrow(/memoryMiB/);
  });

  it("stages foreign bytes and passes views on linear memory through without a copy", () => {
    const rt = getRuntime();
    const foreign = new Uint8Array([1, 2, 3]);
    const ptr = rt.stage(foreign);
    expect(Array.from(rt.u8.subarray(ptr, ptr + 3))).toEqual([1, 2, 3]);
    const inside = rt.u8.subarray(rt.scratchPtr + 100, rt.scratchPtr + 110);
    expect(rt.stage(inside)).toBe(rt.scratchPtr + 100);
    expect(() => rt.stage(new Uint8Array(rt.scratchBytes + 1))).toThrow(/staging area/);
  });
});
