// Running a network to its end in slices, so that a long run reports progress as it goes and an
// interrupt stops it at an event boundary, whatever the scale of its time and events.
//
// Contract:
// - runInSlices(network, end, options) runs in slices of at most a number of events (not of
//   virtual time: a slice of time can hold any number of events), sized to take about
//   SLICE_TARGET_MS of wall time each; between slices it reports progress and yields to the
//   event loop, where signal handlers run. Slicing does not change the trajectory (see
//   Scheduler.runUntil): the events, their order and the fingerprint are one call's.
// - An aborted signal ends the run after the slice in hand: the network stays at the time of
//   the last event dispatched, and runInSlices resolves false. It resolves true when the run
//   reached `end`.
// - Wall time decides only where slices end, never what happens in the model.

import type { Network } from "./network.js";

/** What a run has done so far, for progress bars. */
export interface RunProgress {
  /** Events dispatched so far. */
  events: number;
  /** Capture file bytes written so far (0 without captures). */
  captureBytes: number;
}

export interface SliceOptions {
  signal?: AbortSignal;
  onProgress?: (simTimeNs: number, progress: RunProgress) => void;
  /** Capture bytes so far, for progress. */
  captureBytes?: () => number;
}

/** Wall time a slice aims at: short enough for a live bar and a quick stop, long enough to cost nothing. */
export const SLICE_TARGET_MS = 50;
const MIN_SLICE_EVENTS = 1_000;
const MAX_SLICE_EVENTS = 4_000_000;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function runInSlices(network: Network, end: number, options: SliceOptions = {}): Promise<boolean> {
  const { signal, onProgress } = options;
  let budget = 20_000;
  for (;;) {
    if (signal?.aborted) return false;
    const started = performance.now();
    network.run(end, { maxEvents: budget });
    const took = performance.now() - started;
    onProgress?.(network.now, {
      events: network.sim.scheduler.dispatched,
      captureBytes: options.captureBytes?.() ?? 0,
    });
    if (network.done(end)) return true;
    if (took < SLICE_TARGET_MS / 2) budget = Math.min(MAX_SLICE_EVENTS, budget * 2);
    else if (took > SLICE_TARGET_MS * 2) budget = Math.max(MIN_SLICE_EVENTS, Math.floor(budget / 2));
    await nextTurn();
  }
}
