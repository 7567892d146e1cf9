import { describe, expect, it } from "vitest";
import { Simulation } from "../../src/engine/simulation.js";
import { getRuntime } from "../../src/kernels/runtime.js";

describe("Simulation.allocBytes", () => {
  it("hands out zeroed linear memory that destroy() returns to the shared heap", () => {
    const heap = getRuntime().heap;
    const start = heap.stats().inUseBytes;
    const sim = new Simulation({ seed: 1, frameSlots: 16 });
    const withFrames = heap.stats().inUseBytes;
    const a = sim.allocBytes(1000);
    const b = sim.allocBytes(3);
    expect(sim.runtime.owns(a)).toBe(true); // a view on linear memory: the kernels take it by pointer
    expect(a.length).toBe(1000);
    expect(b.length).toBe(3);
    expect(a.every((x) => x === 0)).toBe(true);
    a.fill(0xaa);
    expect(b.every((x) => x === 0)).toBe(true); // disjoint regions
    expect(heap.stats().inUseBytes).toBeGreaterThanOrEqual(withFrames + 1003);
    sim.destroy();
    expect(heap.stats().inUseBytes).toBe(start); // the frame store and both regions
  });
});
