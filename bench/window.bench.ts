// Window kernels: mark/advance operations per second through the batch call (target: at least
// 50 million per second), and the send side's onSend+onAck rate, each beside the plain-TS
// reference measured in the same run over the same frame vectors.
//
// Workload: 1024 connections, 1460-byte segments, entries interleaved across connections at
// random, and 1 segment in 32 swapped with its successor (a range is recorded, then the gap
// fills and the ack jumps). A cycle of 2^20 entries is prepared outside the timed functions;
// each timed call processes one 256-entry batch. When the cycle restarts, the connections are
// re-opened (1024 calls per 2^20 operations, included in the timing, well under 1%).

import { opsPerSecond, type BenchSuite, type Figure } from "./harness.js";
import { getRuntime } from "../src/kernels/runtime.js";
import { FRAME_VEC_STRIDE } from "../src/kernels/abi.js";
import { WINDOW_UNCHANGED, WindowTable, type OpenOptions } from "../src/kernels/window.js";
import { ReferenceWindowTable } from "../src/kernels/reference/window.js";

const CONNS = 1024;
const SEG = 1460;
const BATCH = 256;
const CYCLE = 1 << 20;
const BATCHES = CYCLE / BATCH;
const ISS = 0xfff0_0000; // every connection crosses the 2^32 wrap during a cycle

function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

const openOptions: OpenOptions = { receiveNext: ISS, receiveWindow: 1 << 20, sendNext: ISS, sendWindow: 1 << 20 };

function openAll(t: { open(c: number, o: OpenOptions): void }): void {
  for (let c = 0; c < CONNS; c++) t.open(c, openOptions);
}

const suite: BenchSuite = {
  name: "window",
  async run({ quick }) {
    const rt = getRuntime();
    const words = rt.u32;
    const figures: Figure[] = [];

    // --- receive: mark/advance ---
    const markVec = rt.heap.alloc(CYCLE * FRAME_VEC_STRIDE);
    {
      const rnd = rng(12345);
      const next = new Array<number>(CONNS).fill(ISS);
      const held = new Array<number>(CONNS).fill(-1); // a segment swapped behind its successor
      const w0 = markVec >>> 2;
      for (let i = 0; i < CYCLE; i++) {
        const c = rnd() % CONNS;
        let seq: number;
        if (held[c]! >= 0) {
          seq = held[c]!;
          held[c] = -1;
        } else if (rnd() % 32 === 0) {
          held[c] = next[c]!;
          seq = (next[c]! + SEG) >>> 0;
          next[c] = (next[c]! + 2 * SEG) >>> 0;
        } else {
          seq = next[c]!;
          next[c] = (next[c]! + SEG) >>> 0;
        }
        words.set([seq, SEG, c, 0], w0 + 4 * i);
      }
    }
    const wasm = WindowTable.create({ connections: CONNS, maxRanges: 32, inFlightCapacity: 64, runtime: rt });
    const ref = new ReferenceWindowTable({ connections: CONNS, maxRanges: 32, inFlightCapacity: 64 });

    let wb = 0;
    let lostWasm = 0;
    const markWasm = (): void => {
      if (wb === BATCHES) {
        wb = 0;
        openAll(wasm);
      }
      lostWasm += wasm.markBatch(markVec + wb * BATCH * FRAME_VEC_STRIDE, BATCH);
      wb++;
    };
    let rb = 0;
    let lostRef = 0;
    const markRef = (): void => {
      if (rb === BATCHES) {
        rb = 0;
        openAll(ref);
      }
      lostRef += ref.markBatch(words, (markVec >>> 2) + rb * BATCH * 4, BATCH);
      rb++;
    };
    const markOps = await opsPerSecond(markWasm, { quick, opsPerCall: BATCH, setup: () => openAll(wasm) });
    const markRefOps = await opsPerSecond(markRef, { quick, opsPerCall: BATCH, setup: () => openAll(ref) });
    if (lostWasm !== 0 || lostRef !== 0) throw new Error(`window bench: ${lostWasm}/${lostRef} marks lost bytes`);
    figures.push({
      name: "window mark/advance, batch of 256, 1024 conns, 1/32 reordered",
      value: markOps / 1e6,
      unit: "Mops/s",
      reference: markRefOps / 1e6,
      target: { min: 50 },
    });
    rt.heap.free(markVec);

    // --- send: onSend + onAck ---
    // Each round sends one segment on each of 256 connections, then acks them all, so every
    // ring holds at most one segment and the vectors repeat per connection group.
    const ROUNDS = CYCLE / BATCH / 4;
    const sendVec = rt.heap.alloc(ROUNDS * BATCH * FRAME_VEC_STRIDE);
    const ackVec = rt.heap.alloc(ROUNDS * BATCH * FRAME_VEC_STRIDE);
    {
      const next = new Array<number>(CONNS).fill(ISS);
      for (let r = 0; r < ROUNDS; r++) {
        const group = (r % (CONNS / BATCH)) * BATCH;
        for (let k = 0; k < BATCH; k++) {
          const c = group + k;
          const seq = next[c]!;
          next[c] = (seq + SEG) >>> 0;
          const i = r * BATCH + k;
          words.set([seq, SEG, c, 0], (sendVec >>> 2) + 4 * i);
          words.set([next[c]!, k % 8 === 0 ? 1 << 20 : WINDOW_UNCHANGED, c, 0], (ackVec >>> 2) + 4 * i);
        }
      }
    }
    let now = 0;
    let ws = 0;
    let refusedWasm = 0;
    const sendAckWasm = (): void => {
      if (ws === ROUNDS) {
        ws = 0;
        openAll(wasm);
      }
      now += 1000;
      const off = ws * BATCH * FRAME_VEC_STRIDE;
      refusedWasm += wasm.sendBatch(sendVec + off, BATCH, now);
      now += 50_000;
      refusedWasm += wasm.ackBatch(ackVec + off, BATCH, now);
      ws++;
    };
    let rs = 0;
    let refusedRef = 0;
    const sendAckRef = (): void => {
      if (rs === ROUNDS) {
        rs = 0;
        openAll(ref);
      }
      now += 1000;
      const off = rs * BATCH * 4;
      refusedRef += ref.sendBatch(words, (sendVec >>> 2) + off, BATCH, now);
      now += 50_000;
      refusedRef += ref.ackBatch(words, (ackVec >>> 2) + off, BATCH, now);
      rs++;
    };
    const sendOps = await opsPerSecond(sendAckWasm, { quick, opsPerCall: 2 * BATCH, setup: () => openAll(wasm) });
    const sendRefOps = await opsPerSecond(sendAckRef, { quick, opsPerCall: 2 * BATCH, setup: () => openAll(ref) });
    if (refusedWasm !== 0 || refusedRef !== 0)
      throw new Error(`window bench: ${refusedWasm}/${refusedRef} send/ack refused`);
    figures.push({
      name: "window onSend+onAck (RTT sample each), batches of 256",
      value: sendOps / 1e6,
      unit: "Mops/s",
      reference: sendRefOps / 1e6,
    });
    rt.heap.free(sendVec);
    rt.heap.free(ackVec);
    wasm.free();
    return figures;
  },
};

export default suite;
