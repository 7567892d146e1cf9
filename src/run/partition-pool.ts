// Partition worker pool: the piscina pool that runs a parallel run's partitions, kept warm
// between runs in one process.
//
// Contract:
// - leasePartitionPool(threads) hands out a pool of exactly `threads` workers for one run.
//   When the process's warm pool has that size and is free, the lease reuses it: its threads
//   keep their isolates, so their JIT-compiled code and compiled Wasm module, and a second run
//   does not start cold. Otherwise the lease gets a fresh pool.
// - One run at a time per pool. Every task of a run must be running at once (they wait for
//   each other at every window barrier), so two runs sharing a pool could deadlock: a run that
//   finds the warm pool busy gets a private pool, destroyed when its lease ends.
// - lease.end(healthy): a healthy pool becomes the warm pool (replacing any other, which is
//   destroyed) and is destroyed after WARM_POOL_IDLE_MS without a run. A run that failed ends
//   with healthy = false and its pool is destroyed: a thread that died or was left mid-task is
//   never reused.
// - prewarmPartitionPool(threads) starts a warm pool before anything runs (the CLI, while it
//   reads the scenario): thread start-up and module loading overlap that work. Its threads
//   count as warm (lease.reused) only once they have run a partition.
// - Idle workers and the idle timer are unref'd (piscina unrefs idle workers): a warm pool
//   never keeps the process alive. closePartitionPool() destroys it at once (tests, embedders
//   that want a clean shutdown).

import { Piscina } from "piscina";
import type { WorkerEntry } from "./worker-entry.js";

/** How long a warm pool outlives its last run. */
export const WARM_POOL_IDLE_MS = 15_000;

interface WarmPool {
  pool: Piscina;
  threads: number;
  filename: string;
  busy: boolean;
  /** The threads have run a partition (their JIT-compiled code is warm). */
  hasRun: boolean;
  idleTimer: NodeJS.Timeout | undefined;
}

let warm: WarmPool | undefined;

export interface PoolLease {
  readonly pool: Piscina;
  /** True when the pool's threads had already run a partition in this process. */
  readonly reused: boolean;
  end(healthy: boolean): Promise<void>;
}

function createPool(entry: WorkerEntry, threads: number): Piscina {
  return new Piscina({
    filename: entry.filename,
    execArgv: entry.execArgv,
    minThreads: threads,
    maxThreads: threads,
    concurrentTasksPerWorker: 1,
    // minThreads = maxThreads: no thread is ever idle beyond the minimum, so piscina's own
    // idle timeout never applies; the warm pool's lifetime is WARM_POOL_IDLE_MS below.
    idleTimeout: 0,
  });
}

export function leasePartitionPool(entry: WorkerEntry, threads: number): PoolLease {
  if (warm !== undefined && !warm.busy && warm.threads === threads && warm.filename === entry.filename) {
    const w = warm;
    w.busy = true;
    if (w.idleTimer !== undefined) clearTimeout(w.idleTimer);
    w.idleTimer = undefined;
    return lease(w, w.hasRun);
  }
  return lease(
    {
      pool: createPool(entry, threads),
      threads,
      filename: entry.filename,
      busy: true,
      hasRun: false,
      idleTimer: undefined,
    },
    false,
  );
}

/** Starts a warm pool of `threads` workers now, unless one of that width is already there. */
export function prewarmPartitionPool(entry: WorkerEntry, threads: number): void {
  if (warm !== undefined && warm.threads === threads && warm.filename === entry.filename) return;
  const w: WarmPool = {
    pool: createPool(entry, threads),
    threads,
    filename: entry.filename,
    busy: false,
    hasRun: false,
    idleTimer: undefined,
  };
  void makeWarm(w).catch(() => undefined);
  armIdleTimer(w);
}

function lease(w: WarmPool, reused: boolean): PoolLease {
  let ended = false;
  return {
    pool: w.pool,
    reused,
    async end(healthy: boolean): Promise<void> {
      if (ended) return;
      ended = true;
      w.busy = false;
      if (!healthy) return retire(w);
      w.hasRun = true;
      await makeWarm(w);
      armIdleTimer(w);
    },
  };
}

/** Makes `w` the warm pool; the one it replaces goes now unless a run still holds it. */
async function makeWarm(w: WarmPool): Promise<void> {
  const previous = warm;
  warm = w;
  if (previous !== undefined && previous !== w && !previous.busy) await retire(previous);
}

/** Destroys `w` after WARM_POOL_IDLE_MS unless a run takes it first. */
function armIdleTimer(w: WarmPool): void {
  w.idleTimer = setTimeout(() => {
    // Nobody awaits this timer: a failure to tear idle threads down must not surface as an
    // unhandled rejection in the embedding process (the threads are unref'd anyway).
    if (warm === w && !w.busy) retire(w).catch(() => undefined);
  }, WARM_POOL_IDLE_MS);
  w.idleTimer.unref();
}

/** Destroys `w` (and stops being the warm pool if it was). */
async function retire(w: WarmPool): Promise<void> {
  if (warm === w) warm = undefined;
  if (w.idleTimer !== undefined) clearTimeout(w.idleTimer);
  w.idleTimer = undefined;
  await w.pool.destroy();
}

/** Destroys the warm partition pool now (no-op when there is none or it is running). */
export async function closePartitionPool(): Promise<void> {
  const w = warm;
  if (w === undefined || w.busy) return;
  await retire(w);
}
