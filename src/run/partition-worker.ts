// One partition of a parallel run, as a piscina task: builds the whole topology over the shared
// memory, runs the devices this partition owns window by window, and returns its partial report.
//
// Contract:
// - The task runs synchronously from start to end on its worker thread (a long-lived task:
//   the window loop blocks in Atomics waits between windows, never on the event loop).
// - It never throws across the worker boundary: the result is { ok: true, partial } or
//   { ok: false, aborted, error } with the error's code and message as plain data, so codes
//   survive the crossing. A partition that fails marks the run aborted first, so the others
//   stop at their next barrier instead of waiting for it.
// - Windows are [T, T + lookahead) (run() is exclusive); after the last one, runUntil(end)
//   dispatches the events at `end` itself, as Network.run(end) does in an unpartitioned run.
// - The worker may be reused by a later run (src/run/partition-pool.ts): the task detaches
//   from this run's memory when it ends, whatever the outcome.
// - pcap: the partition writes the files of the ports it runs (captureScenario with a device
//   filter; file names are chosen over the whole topology, so they equal an unpartitioned run's).
// - Stop: when the coordinator asks (requestStop), every partition leaves its window loop after
//   the same window (PartitionExchange.stopDecided) and reports what it has: an interrupted run.

import { buildScenario } from "./build-scenario.js";
import { NetloomError } from "../base/errors.js";
import { partialOf, type PartialReport } from "./run-report.js";
import type { Scenario } from "../scenario/scenario.js";
import { attachRuntime, detachRuntime, type KernelRuntime, type WasmBuild } from "../kernels/runtime.js";
import { captureScenario, type ScenarioCaptureOptions } from "./scenario-capture.js";
import { startSampler } from "./sampler.js";
import type { PartitionPlan } from "./partition.js";
import { PartitionAborted, PartitionExchange, type ExchangeLayout } from "../engine/partition-exchange.unsafe.js";

export interface PartitionTask {
  memory: WebAssembly.Memory;
  build: WasmBuild;
  scenario: Scenario;
  plan: PartitionPlan;
  index: number;
  layout: Omit<ExchangeLayout, "index">;
  /** Frames this partition may hold for others (its share of the rings, twice). */
  extraFrameSlots: number;
  /** Captures: the directory and which ports, snap length, limit (scenario-capture.ts). */
  pcap?: ScenarioCaptureOptions & { dir: string };
  /** Sample time series of the devices this partition runs (src/run/sampler.ts). */
  samples?: boolean;
  /** Follow the link directions' delay, jitter and frames in flight. */
  linkStats?: boolean;
  /** Test hook: after this many windows, throw ("throw") or end the worker thread ("exit"). */
  injectFailure?: { windows: number; kind: "throw" | "exit" };
}

export type PartitionOutcome =
  | { ok: true; partial: PartialReport }
  | { ok: false; index: number; aborted: boolean; error: { code?: string; message: string; stack?: string } };

export default function runPartition(task: PartitionTask): PartitionOutcome {
  const { scenario, plan, index } = task;
  const exchange = new PartitionExchange({ ...task.layout, index });
  const t0 = performance.now();
  let runtime: KernelRuntime | undefined;
  try {
    runtime = attachRuntime(task.memory, { build: task.build });
    const built = buildScenario(scenario, {
      runtime,
      partition: { index, crossing: exchange, ownerOf: (name) => plan.owner[name] ?? 0 },
      extraFrameSlots: task.extraFrameSlots,
      ...(task.linkStats === true ? { linkStats: true } : {}),
    });
    exchange.bind(built.network.sim);
    const captures =
      task.pcap !== undefined
        ? captureScenario(built, task.pcap.dir, { ...task.pcap, devices: (n) => plan.owner[n] === index })
        : undefined;
    const samples = task.samples === true ? startSampler(built, (n) => plan.owner[n] === index) : undefined;
    const sched = built.network.sim.scheduler;
    const end = scenario.durationNs;
    const t1 = performance.now();
    const lookahead = plan.lookaheadNs;
    let start = 0;
    let stopped = false;
    try {
      for (;;) {
        const windowEnd = Math.min(start + lookahead, end);
        sched.run(windowEnd);
        const inject = task.injectFailure;
        if (inject !== undefined && exchange.stats.windows >= inject.windows) {
          if (inject.kind === "exit") process.exit(3);
          throw new Error(`injected failure after ${inject.windows} windows`);
        }
        // For progress only: a sum over every file, so not every window.
        if (captures !== undefined && (exchange.stats.windows & 63) === 0) exchange.captureBytes = captures.bytes;
        const next = exchange.closeWindow(windowEnd);
        // Asked to stop (an interrupt): every partition stops after this same window.
        if (exchange.stopDecided) {
          stopped = true;
          break;
        }
        if (windowEnd >= end) break;
        start = Math.max(windowEnd, Math.min(next, end));
      }
      // Network.run(end) includes events at `end` itself: those are all here now (anything
      // they send to another partition arrives after the end and is not needed).
      if (!stopped) sched.runUntil(end);
    } finally {
      captures?.close();
    }
    exchange.finish();
    const partial = partialOf(built, index, exchange.stats);
    if (captures !== undefined) partial.captures = captures.summary();
    if (samples !== undefined) partial.samples = samples();
    partial.buildMs = t1 - t0;
    partial.runMs = performance.now() - t1;
    return { ok: true, partial };
  } catch (err) {
    const aborted = err instanceof PartitionAborted;
    if (!aborted) exchange.fail();
    const e = err as Error;
    return {
      ok: false,
      index,
      aborted,
      error: {
        ...(err instanceof NetloomError ? { code: err.code } : {}),
        message: e?.message ?? String(err),
        ...(e?.stack !== undefined ? { stack: e.stack } : {}),
      },
    };
  } finally {
    // The thread may be pooled for the next run, which brings a fresh memory.
    if (runtime !== undefined) detachRuntime(runtime);
  }
}
