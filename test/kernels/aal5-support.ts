// Helpers shared by the AAL5 test files: run cells through a reassembler and copy the
// completions out (returning every buffer), and build raw frame vectors.

import { type Aal5Reassembler, CELL_BYTES } from "../../src/kernels/aal5.js";
import { FRAME_VEC_STRIDE } from "../../src/kernels/abi.js";
import type { KernelRuntime } from "../../src/kernels/runtime.js";

export interface Delivered {
  circuit: number;
  length: number;
  status: number;
  uu: number;
  cpi: number;
  bytes: Uint8Array;
}

/** Drains `r`, copying each PDU out and returning its buffer. */
export function drain(r: Aal5Reassembler): Delivered[] {
  return r.completions().map((c) => {
    const d = { circuit: c.circuit, length: c.length, status: c.status, uu: c.uu, cpi: c.cpi, bytes: c.bytes.slice() };
    r.returnBuffer(c.ptr);
    return d;
  });
}

/** Pushes cell bytes (one arg for all, or one per cell) and drains. */
export function run(r: Aal5Reassembler, cells: Uint8Array, arg: number | ArrayLike<number>): Delivered[] {
  const consumed = r.pushCellBytes(cells, arg);
  if (consumed * CELL_BYTES !== cells.length) throw new Error(`only ${consumed} cells consumed`);
  return drain(r);
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The i-th 53-byte cell of `cells`. */
export function cellAt(cells: Uint8Array, i: number): Uint8Array {
  return cells.subarray(i * CELL_BYTES, (i + 1) * CELL_BYTES);
}

/** Cells of `cells` without the ones at `drop`. */
export function withoutCells(cells: Uint8Array, drop: readonly number[]): Uint8Array {
  const n = cells.length / CELL_BYTES;
  const keep: Uint8Array[] = [];
  for (let i = 0; i < n; i++) if (!drop.includes(i)) keep.push(cellAt(cells, i));
  return concat(keep);
}

export interface RawEntry {
  ptr: number;
  len: number;
  arg: number;
}

/** Writes a frame vector into a fresh heap region; returns it with a reader for the outs. */
export function frameVector(
  rt: KernelRuntime,
  entries: readonly RawEntry[],
): { ptr: number; outs: () => number[]; free: () => void } {
  const ptr = rt.heap.alloc(Math.max(1, entries.length) * FRAME_VEC_STRIDE);
  entries.forEach((e, i) => {
    const w = (ptr + i * FRAME_VEC_STRIDE) >>> 2;
    rt.u32[w] = e.ptr;
    rt.u32[w + 1] = e.len;
    rt.u32[w + 2] = e.arg >>> 0;
  });
  return {
    ptr,
    outs: () => entries.map((_, i) => rt.i32[((ptr + i * FRAME_VEC_STRIDE) >>> 2) + 3]!),
    free: () => rt.heap.free(ptr),
  };
}
