// Checksum kernels vs their plain-TypeScript twins (and Node's zlib.crc32), measured in one run.
//
// Data already sits in linear memory and the raw Wasm exports are called with (ptr, len): the
// figures are kernel + one JS->Wasm crossing per call (per batch for the batch forms). Each
// timed function repeats its call a fixed number of times so tinybench's per-sample timer
// overhead does not swamp sub-microsecond calls. 1 GB = 1e9 bytes.

import zlib from "node:zlib";
import { opsPerSecond, type BenchSuite, type Figure } from "./harness.js";
import { getRuntime } from "../src/kernels/runtime.js";
import { FRAME_VEC_ARG, FRAME_VEC_LEN, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "../src/kernels/abi.js";
import * as inetRef from "../src/kernels/reference/inet.js";
import * as crcRef from "../src/kernels/reference/crc32.js";
import * as hecRef from "../src/kernels/reference/hec.js";

function fill(bytes: Uint8Array, seed: number): void {
  let x = seed | 1;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
}

let sink = 0;

const suite: BenchSuite = {
  name: "checksum",
  async run({ quick }) {
    const rt = getRuntime();
    const x = rt.exports;
    const figures: Figure[] = [];
    const regions: number[] = [];
    const alloc = (n: number): number => {
      const p = rt.heap.alloc(n);
      regions.push(p);
      return p;
    };
    const gbps = (opsPerSec: number, bytes: number): number => (opsPerSec * bytes) / 1e9;

    // One buffer in linear memory, and a plain copy for the references.
    const BIG = 65536;
    const dataPtr = alloc(BIG);
    fill(rt.u8.subarray(dataPtr, dataPtr + BIG), 0x1234);
    const plain = Buffer.from(rt.u8.slice(dataPtr, dataPtr + BIG));

    const timed = async (fn: () => void, reps: number, bytesPerCall: number): Promise<number> =>
      gbps(await opsPerSecond(fn, { quick, opsPerCall: reps }), bytesPerCall);

    // --- Internet checksum ---
    for (const [size, reps, target] of [
      [1500, 200, { min: 15, minRatio: 6 }],
      [65536, 4, { min: 20 }],
    ] as const) {
      const ptr = dataPtr;
      const view = plain.subarray(0, size);
      const wasm = await timed(
        () => {
          let s = 0;
          for (let i = 0; i < reps; i++) s ^= x.inetChecksum(ptr, size, 0);
          sink ^= s;
        },
        reps,
        size,
      );
      const refReps = Math.max(1, reps >> 3);
      const reference = await timed(
        () => {
          let s = 0;
          for (let i = 0; i < refReps; i++) s ^= inetRef.internetChecksum(view);
          sink ^= s;
        },
        refReps,
        size,
      );
      figures.push({
        name: `inet checksum ${size} B (Wasm ${rt.exports.hasSimd() ? "SIMD" : "scalar"}, raw export)`,
        value: wasm,
        unit: "GB/s",
        reference,
        target,
      });
    }

    // Frame vectors of `frames` entries over the big buffer.
    const makeVector = (frames: number, frameLen: number): number => {
      const vec = alloc(frames * FRAME_VEC_STRIDE);
      const frameBytes = alloc(frames * frameLen);
      fill(rt.u8.subarray(frameBytes, frameBytes + frames * frameLen), frames * 7 + frameLen);
      for (let i = 0; i < frames; i++) {
        const e = (vec + i * FRAME_VEC_STRIDE) >> 2;
        rt.u32[e + FRAME_VEC_PTR / 4] = frameBytes + i * frameLen;
        rt.u32[e + FRAME_VEC_LEN / 4] = frameLen;
        rt.u32[e + FRAME_VEC_ARG / 4] = 0;
      }
      return vec;
    };

    {
      const frames = 64;
      const vec = makeVector(frames, 1500);
      const base = rt.u32[(vec >> 2) + FRAME_VEC_PTR / 4]!;
      const copies = Array.from({ length: frames }, (_, i) => rt.u8.slice(base + i * 1500, base + (i + 1) * 1500));
      const wasm = await timed(() => x.inetChecksumBatch(vec, frames), frames, 1500);
      const reference = await timed(
        () => {
          let s = 0;
          for (const c of copies) s ^= inetRef.internetChecksum(c);
          sink ^= s;
        },
        frames,
        1500,
      );
      figures.push({
        name: "inet checksum batch 64 x 1500 B (one call)",
        value: wasm,
        unit: "GB/s",
        reference,
        target: { min: 15 },
      });
    }

    // --- CRC-32 (Ethernet) ---
    // Frame sizes: minimum frame, a frame with a 1000-byte UDP payload, a 1500-byte payload,
    // and a full-size frame (the kernel picks tables / Q2 / Q1 by length; crc32.ts).
    for (const size of [64, 1042, 1500, 1518]) {
      const reps = Math.max(50, Math.round(75000 / size));
      const ptr = dataPtr;
      const view = plain.subarray(0, size);
      const wasm = await timed(
        () => {
          let s = 0;
          for (let i = 0; i < reps; i++) s ^= x.crc32(0, ptr, size);
          sink ^= s;
        },
        reps,
        size,
      );
      const z = await timed(
        () => {
          let s = 0;
          for (let i = 0; i < reps; i++) s ^= zlib.crc32(view);
          sink ^= s;
        },
        reps,
        size,
      );
      figures.push({
        name: `CRC-32 ${size} B (Wasm sparse multiple, raw export)`,
        value: wasm,
        unit: "GB/s",
        reference: z,
        referenceName: "zlib.crc32",
        target: { minRatio: 1 },
      });
      if (size === 1500) {
        const ts = await timed(
          () => {
            sink ^= crcRef.crc32(view);
          },
          1,
          size,
        );
        figures.push({ name: "CRC-32 1500 B vs TS reference", value: wasm, unit: "GB/s", reference: ts });
      }
    }
    {
      const frames = 64;
      const vec = makeVector(frames, 64);
      const base = rt.u32[(vec >> 2) + FRAME_VEC_PTR / 4]!;
      const copies = Array.from({ length: frames }, (_, i) =>
        Buffer.from(rt.u8.slice(base + i * 64, base + (i + 1) * 64)),
      );
      const wasm = await opsPerSecond(() => x.crc32Batch(vec, frames), { quick, opsPerCall: frames });
      const z = await opsPerSecond(
        () => {
          let s = 0;
          for (const c of copies) s ^= zlib.crc32(c);
          sink ^= s;
        },
        { quick, opsPerCall: frames },
      );
      figures.push({
        name: "CRC-32 batch 64 x 64 B frames (one call)",
        value: wasm / 1e6,
        unit: "Mframes/s",
        reference: z / 1e6,
        referenceName: "zlib.crc32 per frame",
        target: { minRatio: 4 },
      });
    }

    // --- CRC-32 (AAL5) ---
    for (const size of [1500, 9180]) {
      const reps = size === 1500 ? 50 : 10;
      const ptr = dataPtr;
      const view = plain.subarray(0, size);
      const wasm = await timed(
        () => {
          let s = 0;
          for (let i = 0; i < reps; i++) s ^= x.crc32Aal5(0, ptr, size);
          sink ^= s;
        },
        reps,
        size,
      );
      const ts = await timed(
        () => {
          sink ^= crcRef.crc32Aal5(view);
        },
        1,
        size,
      );
      figures.push({ name: `CRC-32 AAL5 ${size} B (raw export)`, value: wasm, unit: "GB/s", reference: ts });
    }

    // --- ATM HEC ---
    {
      const cells = 256;
      const vec = makeVector(cells, 53);
      const state = alloc(4);
      const base = rt.u32[(vec >> 2) + FRAME_VEC_PTR / 4]!;
      for (let i = 0; i < cells; i++) {
        const h = base + i * 53;
        rt.u8[h + 4] = hecRef.atmHec(rt.u8.subarray(h, h + 4));
      }
      const copies = Array.from({ length: cells }, (_, i) => rt.u8.slice(base + i * 53, base + i * 53 + 5));
      const wasm = await opsPerSecond(() => x.hecCheckBatch(vec, cells, state), { quick, opsPerCall: cells });
      const refState = { mode: 0 };
      const ts = await opsPerSecond(
        () => {
          let s = 0;
          for (const c of copies) s ^= hecRef.hecCheck(c, refState);
          sink ^= s;
        },
        { quick, opsPerCall: cells },
      );
      figures.push({
        name: "HEC check batch 256 valid cells (one call)",
        value: wasm / 1e6,
        unit: "Mcells/s",
        reference: ts / 1e6,
      });
    }

    for (const p of regions) rt.heap.free(p);
    if (sink === 0x7fffffff) console.log("");
    return figures;
  },
};

export default suite;
