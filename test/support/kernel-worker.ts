// Worker used by test/threads.test.ts: joins the kernel memory it is given, then either
// hammers the CRC kernel (checking every result against the expected value) until told to
// stop, or just instantiates and allocates, to show that doing so disturbs no other thread;
// or ("rejoin") moves from one memory to a second one the way a pooled partition worker does.

import { parentPort, workerData } from "node:worker_threads";
import { attachRuntime, detachRuntime, getRuntime } from "../../src/kernels/runtime.js";
import { crc32 } from "../../src/kernels/checksum.js";

interface Job {
  memory: WebAssembly.Memory;
  mode: "hammer" | "attach" | "rejoin";
  /** rejoin: the memory to move to. */
  next?: WebAssembly.Memory;
  /** Int32Array index 0 of this SharedArrayBuffer: 1 = stop hammering. */
  control: SharedArrayBuffer;
  dataPtr: number;
  dataLen: number;
  expectedCrc: number;
}

const job = workerData as Job;
const rt = attachRuntime(job.memory);
const region = rt.heap.alloc(4096);
rt.u8.fill(0x5a, region, region + 4096);

if (job.mode === "rejoin") {
  const outcome = (f: () => unknown): string => {
    try {
      f();
      return "ok";
    } catch (err) {
      return String((err as { code?: string }).code);
    }
  };
  const bytes = new TextEncoder().encode("123456789");
  const whileAttached = outcome(() => attachRuntime(job.next!));
  const crcOnFirst = crc32(bytes);
  detachRuntime(rt);
  const next = attachRuntime(job.next!);
  parentPort!.postMessage({
    whileAttached,
    crcOnFirst,
    // The module-level kernels follow the thread onto the new memory.
    crcOnNext: crc32(bytes),
    onNext: getRuntime() === next && next.memory === job.next,
    nextRegion: next.heap.alloc(4096),
  });
} else if (job.mode === "attach") {
  parentPort!.postMessage({ region, heapBase: rt.exports.heapBase() });
} else {
  const control = new Int32Array(job.control);
  let rounds = 0;
  let mismatches = 0;
  parentPort!.postMessage({ ready: true });
  while (Atomics.load(control, 0) === 0) {
    if (rt.exports.crc32(0, job.dataPtr, job.dataLen) >>> 0 !== job.expectedCrc) mismatches++;
    rounds++;
  }
  let ownRegionIntact = true;
  for (let i = region; i < region + 4096; i++) if (rt.u8[i] !== 0x5a) ownRegionIntact = false;
  parentPort!.postMessage({ rounds, mismatches, ownRegionIntact, region });
}
