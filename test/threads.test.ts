// One shared memory, one instance per thread: a thread that instantiates the module later must
// not disturb the static tables or the heap regions other threads are using (issue 2).

import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { zlibSync } from "./support/zlib.js";
import { describe, expect, it } from "vitest";
import { KernelRuntime, createKernelMemory, defaultBuild } from "../src/kernels/runtime.js";
import { seededBytes } from "./support/runtimes.js";

const bootstrap = new URL("./support/ts-worker.mjs", import.meta.url);
const entry = new URL("./support/kernel-worker.ts", import.meta.url).href;

function startWorker(data: unknown): Worker {
  return new Worker(bootstrap, { workerData: data, argv: [entry] });
}

describe("kernel runtime across threads", () => {
  it("a second thread instantiating the module leaves static tables and live regions intact", async () => {
    const memory = createKernelMemory(16);
    const main = new KernelRuntime(memory, "debug");
    const data = seededBytes(42, 1500);
    const dataPtr = main.heap.alloc(data.length);
    main.u8.set(data, dataPtr);
    const expectedCrc = zlibSync.crc32(data);

    // A mutable table this thread owns: it must survive the other instantiations bit for bit.
    const table = main.heap.alloc(64 * 1024);
    const pattern = seededBytes(7, 64 * 1024);
    main.u8.set(pattern, table);

    const control = new SharedArrayBuffer(4);
    const hammer = startWorker({ memory, mode: "hammer", control, dataPtr, dataLen: data.length, expectedCrc });
    const [ready] = (await once(hammer, "message")) as [{ ready: boolean }];
    expect(ready.ready).toBe(true);

    // Two more threads instantiate the module over the same memory while the first is working.
    const regions: number[] = [];
    for (let i = 0; i < 2; i++) {
      const late = startWorker({ memory, mode: "attach", control, dataPtr, dataLen: 0, expectedCrc: 0 });
      const [msg] = (await once(late, "message")) as [{ region: number; heapBase: number }];
      expect(msg.heapBase).toBe(main.exports.heapBase());
      regions.push(msg.region);
      await late.terminate();
    }

    Atomics.store(new Int32Array(control), 0, 1);
    const [result] = (await once(hammer, "message")) as [
      { rounds: number; mismatches: number; ownRegionIntact: boolean; region: number },
    ];
    await hammer.terminate();

    expect(result.rounds).toBeGreaterThan(0);
    expect(result.mismatches).toBe(0);
    expect(result.ownRegionIntact).toBe(true);
    expect(Buffer.compare(Buffer.from(main.u8.subarray(table, table + pattern.length)), Buffer.from(pattern))).toBe(0);
    expect(main.exports.crc32(0, dataPtr, data.length) >>> 0).toBe(expectedCrc);
    // Every thread got its own, distinct regions from the one shared heap.
    const all = new Set([dataPtr, table, result.region, ...regions]);
    expect(all.size).toBe(3 + regions.length);
  });

  it("a pooled worker leaves one run's memory and joins the next one's (detachRuntime)", async () => {
    const first = createKernelMemory(16);
    const next = createKernelMemory(16);
    new KernelRuntime(first, defaultBuild());
    const w = startWorker({
      memory: first,
      next,
      mode: "rejoin",
      control: new SharedArrayBuffer(4),
      dataPtr: 0,
      dataLen: 0,
      expectedCrc: 0,
    });
    const [msg] = (await once(w, "message")) as [
      { whileAttached: string; crcOnFirst: number; crcOnNext: number; onNext: boolean; nextRegion: number },
    ];
    await w.terminate();
    expect(msg.whileAttached).toBe("MEMORY_MISMATCH");
    expect(msg.crcOnFirst).toBe(0xcbf43926);
    expect(msg.crcOnNext).toBe(0xcbf43926);
    expect(msg.onNext).toBe(true);
    expect(msg.nextRegion).toBeGreaterThan(0);
  });
});
