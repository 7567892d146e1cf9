// The end-of-test teardown the stack harnesses share: destroy what sits above the simulation,
// drain it, check that ATM NICs got every lent reassembly buffer back, destroy the devices, and
// fail the test if a frame slot or a heap region was not returned.

import { expect } from "vitest";
import type { AtmNic } from "../../src/devices/atm-nic.js";
import type { Simulation } from "../../src/engine/simulation.js";
import { getRuntime } from "../../src/kernels/runtime.js";

export interface World {
  sim: Simulation;
  /** Destroyed first, in this order, while the simulation may still hold their events. */
  before: { destroy(): void }[];
  /** NICs whose lent reassembly buffers must all be back once the simulation has drained. */
  atmNics: AtmNic[];
  /** Destroyed after the drain, in this order. */
  after: { destroy(): void }[];
}

/** Live heap regions now: take it when the harness loads, pass it to tearDown. */
export function heapBaseline(): number {
  return getRuntime().heap.stats().liveRegions;
}

/** Tears every world down; then no frame may be leaked and the heap must be back at `baseline`. */
export function tearDown(worlds: World[], baseline: number): void {
  const leaks: number[][] = [];
  for (const w of worlds) {
    for (const x of w.before) x.destroy();
    w.sim.scheduler.runToIdle();
    for (const n of w.atmNics) expect(n.reassembler.totals().lentBuffers).toBe(0);
    for (const x of w.after) x.destroy();
    leaks.push(w.sim.frames.leaks());
    if (leaks.at(-1)!.length === 0) w.sim.destroy();
  }
  for (const l of leaks) expect(l).toEqual([]);
  expect(getRuntime().heap.stats().liveRegions).toBe(baseline);
}
