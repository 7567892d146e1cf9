// runPartitioned: runs one scenario as several partitions on worker threads and merges their
// reports into the one an unpartitioned run gives.
//
// Contract:
// - One fresh shared Wasm memory per run. The threads come from a pool of exactly partition
//   count workers (every task waits on the others at each window barrier, so there are never
//   fewer threads than tasks), leased from src/run/partition-pool.ts: a later run of the
//   same width in this process reuses the warm threads of the last one. Each partition is one
//   long-lived task (src/run/partition-worker.ts).
// - Rings between partitions are allocated here, in that memory, sized from the cut links:
//   the most frames a direction can finish serialising in one window (minimum 64-byte frames)
//   plus two, doubled for duplication, summed per pair of partitions, rounded up to a power
//   of two.
// - Failure: when a task fails or its worker dies, the run is aborted at once (every partition
//   stops at its next barrier) and runPartitioned rejects with NetloomError PARTITION_FAILED
//   naming the partition, its first devices and the cause (the root cause, not the partitions
//   that merely stopped because of it). It never hangs.
// - Progress: onProgress(simTimeNs, { events, captureBytes }) about ten times a second while the
//   run lasts. Stop: an aborted signal makes every partition stop after the same window.

import { availableParallelism } from "node:os";
import { ErrorCode, NetloomError } from "../base/errors.js";
import { mergePartials, type RunReport } from "./run-report.js";
import type { Scenario } from "../scenario/scenario.js";
import { createKernelMemory, defaultBuild, DEFAULT_MEMORY_MIB, KernelRuntime } from "../kernels/runtime.js";
import type { PartitionPlan } from "./partition.js";
import {
  abortRun,
  createControlBlock,
  MAX_PARTITIONS,
  progressOf,
  requestStop,
  ringBytes,
  totalsOf,
} from "../engine/partition-exchange.unsafe.js";
import type { ScenarioCaptureOptions } from "./scenario-capture.js";
import type { RunProgress } from "./run-progress.js";
import type { PartitionOutcome, PartitionTask } from "./partition-worker.js";
import { leasePartitionPool, prewarmPartitionPool } from "./partition-pool.js";
import { workerEntry } from "./worker-entry.js";

export interface PartitionedRunOptions {
  /** Captures: the directory and which ports, snap length, limit. */
  pcap?: ScenarioCaptureOptions & { dir: string };
  onProgress?: (simTimeNs: number, progress: RunProgress) => void;
  /** Aborted: every partition stops after the same window; the report is what they had (interrupted). */
  signal?: AbortSignal;
  /** Shared memory for the run, MiB (default NETLOOM_MEMORY_MIB or 256, times the partition count, at most 4095). */
  memoryMiB?: number;
  /** Sample time series (src/run/sampler.ts) in every partition and merge them. */
  samples?: boolean;
  /** Per link direction delay, jitter and frames in flight (src/trace/link-monitor.ts). */
  linkStats?: boolean;
  /** Test hook: partition `partition` throws (or its thread exits) after `windows` windows. */
  injectFailure?: { partition: number; windows: number; kind: "throw" | "exit" };
}

function nextPowerOfTwo(n: number): number {
  let p = 64;
  while (p < n) p *= 2;
  return p;
}

/** Ring capacity per ordered pair of partitions. */
function ringCapacities(scenario: Scenario, plan: PartitionPlan): number[][] {
  const caps = Array.from({ length: plan.count }, () => new Array<number>(plan.count).fill(0));
  const byName = new Map(scenario.links.map((l) => [l.name, l]));
  for (const c of plan.cut) {
    const l = byName.get(c.name)!;
    const minSer = Math.max(1, Math.floor(((64 + l.overheadBytes) * 8e9) / l.rateBps));
    const perWindow = 2 * (Math.ceil(plan.lookaheadNs / minSer) + 2);
    caps[c.a]![c.b]! += perWindow;
    caps[c.b]![c.a]! += perWindow;
  }
  return caps.map((row) => row.map((n) => (n === 0 ? 0 : nextPowerOfTwo(n))));
}

function envMemoryMiB(): number {
  const v = Number(process.env["NETLOOM_MEMORY_MIB"]);
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_MEMORY_MIB;
}

/**
 * Starts `threads` partition workers now (thread start-up, module loading), so that a
 * partitioned run of that width soon after finds them ready. For callers with other work to do
 * first, such as reading the scenario. A width no partitioned run can have (below 2, above
 * MAX_PARTITIONS, not an integer) starts nothing: the run itself reports a bad count.
 */
export function prewarmPartitionWorkers(threads: number): void {
  if (!Number.isInteger(threads) || threads < 2 || threads > MAX_PARTITIONS) return;
  prewarmPartitionPool(workerEntry(import.meta.url, "partition-worker"), threads);
}

export async function runPartitioned(
  scenario: Scenario,
  plan: PartitionPlan,
  options: PartitionedRunOptions = {},
): Promise<RunReport> {
  if (plan.count < 2)
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "a partitioned run needs at least two partitions", {
      path: "plan",
    });
  const build = defaultBuild();
  const memoryMiB = options.memoryMiB ?? Math.min(4095, envMemoryMiB() * plan.count);
  const memory = createKernelMemory(memoryMiB);
  const caps = ringCapacities(scenario, plan);
  const rt = new KernelRuntime(memory, build);
  const rings = caps.map((row) => row.map((cap) => (cap === 0 ? 0 : rt.heap.alloc(ringBytes(cap)))));
  const control = createControlBlock();
  const started = performance.now();
  const entry = workerEntry(import.meta.url, "partition-worker");
  const lease = leasePartitionPool(entry, plan.count);
  const pool = lease.pool;
  let healthy = false;
  const timer =
    options.onProgress !== undefined
      ? setInterval(() => options.onProgress!(progressOf(control), totalsOf(control, plan.count)), 100)
      : undefined;
  const signal = options.signal;
  const stop = (): void => requestStop(control);
  if (signal?.aborted) stop();
  signal?.addEventListener("abort", stop);
  try {
    const outcomes = await Promise.all(
      plan.members.map(async (_, index): Promise<PartitionOutcome> => {
        const task: PartitionTask = {
          memory,
          build,
          scenario,
          plan,
          index,
          layout: { count: plan.count, rings, capacities: caps, control, spin: plan.count <= availableParallelism() },
          extraFrameSlots: 2 * caps[index]!.reduce((a, b) => a + b, 0),
          ...(options.pcap !== undefined ? { pcap: options.pcap } : {}),
          ...(options.samples === true ? { samples: true } : {}),
          ...(options.linkStats === true ? { linkStats: true } : {}),
          ...(options.injectFailure?.partition === index
            ? { injectFailure: { windows: options.injectFailure.windows, kind: options.injectFailure.kind } }
            : {}),
        };
        try {
          const outcome = (await pool.run(task)) as PartitionOutcome;
          if (!outcome.ok) abortRun(control, index);
          return outcome;
        } catch (err) {
          // The worker died (or could not start): nobody else will wake the others.
          abortRun(control, index);
          return { ok: false, index, aborted: false, error: { message: (err as Error)?.message ?? String(err) } };
        }
      }),
    );
    const failures = outcomes.filter((o): o is Extract<PartitionOutcome, { ok: false }> => !o.ok);
    if (failures.length > 0) {
      const root = failures.find((f) => !f.aborted) ?? failures[0]!;
      const members = plan.members[root.index]!;
      const who = members.slice(0, 3).join(", ") + (members.length > 3 ? `, ... (${members.length} devices)` : "");
      throw new NetloomError(
        ErrorCode.PARTITION_FAILED,
        `partition ${root.index} (${who}) failed: ${root.error.code !== undefined ? `${root.error.code}: ` : ""}${root.error.message}`,
        { path: `partitions[${root.index}]` },
      );
    }
    const partials = outcomes.map((o) => (o as Extract<PartitionOutcome, { ok: true }>).partial);
    const lost = partials.reduce((n, p) => n + p.exchange.lostNoSlot, 0);
    if (lost > 0) {
      throw new NetloomError(
        ErrorCode.PARTITION_FAILED,
        `${lost} frames crossing partitions found no free frame slot; the results would differ from an unpartitioned run`,
      );
    }
    healthy = true;
    return mergePartials(scenario, plan, partials, performance.now() - started, lease.reused);
  } finally {
    if (timer !== undefined) clearInterval(timer);
    signal?.removeEventListener("abort", stop);
    await lease.end(healthy);
  }
}
