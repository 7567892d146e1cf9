// Differential test: the Wasm reassembly kernel of every build against the plain-TypeScript
// reference, cell by cell, on seeded random traffic with faults (lost cells, flipped payload
// and header bits, partial packet discard flags, bad circuits, malformed entries, buffer
// exhaustion, discard/abort calls between batches).

import { describe, expect, it } from "vitest";
import {
  ARG_DISCARD,
  Aal5Reassembler,
  CELL_BYTES,
  aal5Segment,
  type Aal5Implementation,
} from "../../src/kernels/aal5.js";
import { FRAME_VEC_STRIDE } from "../../src/kernels/abi.js";
import { ALL_BUILDS, runtimeFor, seededBytes } from "../support/runtimes.js";

function prng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

interface Entry {
  cell: Uint8Array;
  len: number;
  arg: number;
}

const CIRCUITS = 5;

function traffic(seed: number): Entry[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const queues: Entry[][] = Array.from({ length: CIRCUITS }, () => []);
  for (let p = 0; p < 80; p++) {
    const circuit = Math.floor(rnd() * CIRCUITS);
    const len = rnd() < 0.5 ? pick([1, 40, 41, 48, 88, 89, 2000, 3000]) : 1 + Math.floor(rnd() * 4000);
    const cells = aal5Segment(seededBytes(seed + p, len), { vpi: 1, vci: 32 + circuit }, { uu: p & 0xff, cpi: 0 });
    for (let i = 0; i < cells.length / CELL_BYTES; i++) {
      queues[circuit]!.push({ cell: cells.slice(i * CELL_BYTES, (i + 1) * CELL_BYTES), len: CELL_BYTES, arg: circuit });
    }
  }
  const out: Entry[] = [];
  for (;;) {
    const ready = queues.filter((q) => q.length > 0);
    if (ready.length === 0) break;
    const e = pick(ready).shift()!;
    const f = rnd();
    if (f < 0.01) continue; // lost cell
    if (f < 0.02) e.cell[5 + Math.floor(rnd() * 48)]! ^= 1 << Math.floor(rnd() * 8);
    else if (f < 0.025) e.cell[Math.floor(rnd() * 5)]! ^= 1 << Math.floor(rnd() * 8);
    else if (f < 0.03) e.arg |= ARG_DISCARD;
    else if (f < 0.033) e.arg = CIRCUITS + 2;
    else if (f < 0.035) e.len = 52;
    out.push(e);
  }
  return out;
}

interface Trace {
  consumed: number[];
  outs: number[];
  completions: string[];
  calls: number[];
  totals: unknown;
  stats: unknown[];
}

function replay(
  build: (typeof ALL_BUILDS)[number],
  impl: Aal5Implementation,
  entries: Entry[],
  seed: number,
  deliverErrors: boolean,
): Trace {
  const rt = runtimeFor(build);
  const r = Aal5Reassembler.create({
    runtime: rt,
    circuits: CIRCUITS,
    buffers: 6,
    maxPduBytes: 3000,
    deliverErrors,
    implementation: impl,
  });
  const cells = rt.heap.alloc(entries.length * CELL_BYTES);
  const vec = rt.heap.alloc(entries.length * FRAME_VEC_STRIDE);
  entries.forEach((e, i) => {
    rt.u8.set(e.cell, cells + i * CELL_BYTES);
    const w = (vec + i * FRAME_VEC_STRIDE) >>> 2;
    rt.u32[w] = cells + i * CELL_BYTES;
    rt.u32[w + 1] = e.len;
    rt.u32[w + 2] = e.arg >>> 0;
  });
  const rnd = prng(seed ^ 0x5bd1e995);
  const trace: Trace = { consumed: [], outs: [], completions: [], calls: [], totals: undefined, stats: [] };
  const held: number[] = [];
  let at = 0;
  while (at < entries.length) {
    const n = Math.min(entries.length - at, 1 + Math.floor(rnd() * 64));
    trace.consumed.push(r.pushCells(vec + at * FRAME_VEC_STRIDE, n));
    at += n;
    const a = rnd();
    if (a < 0.1) trace.calls.push(r.discard(Math.floor(rnd() * CIRCUITS)) ? 1 : 0);
    else if (a < 0.2) trace.calls.push(r.abort(Math.floor(rnd() * CIRCUITS)) ? 1 : 0);
    // Drain only sometimes, and hold some buffers a while, so the free stack runs dry.
    if (rnd() < 0.6) {
      for (const c of r.completions()) {
        trace.completions.push(
          `${c.circuit} ${c.length} ${c.status} ${c.uu} ${c.cpi} ${Buffer.from(c.bytes).toString("hex")}`,
        );
        held.push(c.ptr);
      }
      while (held.length > (rnd() < 0.5 ? 0 : 3)) r.returnBuffer(held.shift()!);
    }
  }
  for (let i = 0; i < entries.length; i++) trace.outs.push(rt.i32[((vec + i * FRAME_VEC_STRIDE) >>> 2) + 3]!);
  trace.totals = r.totals();
  for (let c = 0; c < CIRCUITS; c++) trace.stats.push(r.stats(c));
  r.free();
  rt.heap.free(cells);
  rt.heap.free(vec);
  return trace;
}

describe("AAL5 reassembly: Wasm against the reference on every build", () => {
  for (const build of ALL_BUILDS) {
    for (const [seed, deliverErrors] of [
      [104, true],
      [202, false],
      [303, true],
    ] as const) {
      it(`${build}, seed ${seed}${deliverErrors ? ", errored PDUs delivered" : ""}: same outcomes, completions and counters`, () => {
        const entries = traffic(seed);
        const wasm = replay(build, "wasm", entries, seed, deliverErrors);
        const ref = replay(build, "reference", entries, seed, deliverErrors);
        expect(wasm.outs).toEqual(ref.outs);
        expect(wasm.consumed).toEqual(ref.consumed);
        expect(wasm.calls).toEqual(ref.calls);
        expect(wasm.completions).toEqual(ref.completions);
        expect(wasm.stats).toEqual(ref.stats);
        expect(wasm.totals).toEqual(ref.totals);
        // The scenario must actually exercise the failure paths it claims to.
        const t = ref.totals as Record<string, number>;
        expect(t["pdus"]).toBeGreaterThan(10);
        for (const k of ["noBuffer", "oversize", "hecErrors", "discardedCells", "badCircuit", "badCell"]) {
          expect(t[k], k).toBeGreaterThan(0);
        }
        expect(t["lostCells"]! + t["badLength"]! + t["badCrc"]!).toBeGreaterThan(0);
      });
    }
  }
});
