// Typed wrappers for the AAL5 kernels (assembly/atm/sar.ts): segmentation of a PDU into
// 53-byte cells and per-circuit reassembly with a U-Net style free/receive queue.
//
// Contract:
// - Validation happens here: API misuse (zero-length or over-65535-byte PDUs, bad header
//   fields, bad circuit indexes, ranges outside kernel memory, returning a buffer that is not
//   lent out) throws NetloomError naming the argument. The kernels themselves never throw:
//   per-cell and per-PDU problems are status codes and counters.
// - Aal5Reassembler owns its heap regions (context + circuit records + free stack + completion
//   queue in one region, the PDU buffers in another) until free(). A completed PDU's buffer is
//   lent to the caller from drainCompletions()/completions() until returnBuffer(ptr); the
//   views handed out are over kernel memory (no copy) and go stale once returned.
// - Frame slots held: none; PDU buffers are the reassembler's own heap region (`buffers` of
//   maxPduBytes each), so reassembly can never take the frame pool.
// - One reassembler is used from one thread at a time.
// - `implementation: "reference"` runs the plain-TypeScript twin over the same memory layout
//   (differential tests, benchmark baseline).

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import { FRAME_VEC_ARG, FRAME_VEC_LEN, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "./abi.js";
import { getRuntime, type KernelRuntime } from "./runtime.js";
import { CELL_BYTES, CELL_PAYLOAD_BYTES, packCellHeader, type CellHeaderFields } from "./reference/cell.js";
import {
  AAL5_COUNTERS,
  AAL5_MAX_PAYLOAD,
  AAL5_STATUS,
  ARG_CIRCUIT_MASK,
  ARG_DISCARD,
  CELL_END,
  CIRCUIT_STRIDE,
  COMPLETION_STRIDE,
  CONTEXT_BYTES,
  FLAG_CHECK_HEC,
  FLAG_DELIVER_ERRORS,
  S_COUNTERS,
  S_LIMIT,
  X_BAD_CELL,
  X_BAD_CIRCUIT,
  X_CIRCUITS,
  X_COMPL,
  X_COMPL_CAP,
  X_COMPL_COUNT,
  X_FLAGS,
  X_FREE,
  X_FREE_COUNT,
  X_STATES,
  aal5AbortRef,
  aal5CellCount,
  aal5DiscardRef,
  aal5ReassembleRef,
  aal5SegmentBatchRef,
  aal5SegmentRef,
  type Aal5Counter,
} from "./reference/aal5.js";

export { AAL5_STATUS, AAL5_COUNTERS, AAL5_MAX_PAYLOAD, ARG_DISCARD, CELL_END, aal5CellCount, type Aal5Counter };
export { SEG_BAD_HEADER, SEG_BAD_RANGE, SEG_NO_ROOM, SEG_TOO_LONG, SEG_ZERO_LENGTH } from "./reference/aal5.js";
export {
  CELL_BYTES,
  CELL_PAYLOAD_BYTES,
  packCellHeader,
  unpackCellHeader,
  type CellHeaderFields,
} from "./reference/cell.js";

export type Aal5Implementation = "wasm" | "reference";

const STATUS_NAMES = Object.fromEntries(Object.entries(AAL5_STATUS).map(([k, v]) => [v, k])) as Record<number, string>;

/** Name of a status code ("OK", "BAD_CRC", ...). */
export function aal5StatusName(status: number): string {
  return STATUS_NAMES[status & 0xff] ?? `UNKNOWN(${status})`;
}

export interface Aal5SegmentOptions {
  /** CPCS-UU octet (default 0). */
  uu?: number;
  /** Common part indicator (default 0; I.363.5 allows only 0). */
  cpi?: number;
  runtime?: KernelRuntime;
  implementation?: Aal5Implementation;
}

/** The big-endian header word for `header` (a word or UNI fields); throws on bad fields. */
export function aal5HeaderWord(header: number | CellHeaderFields, name = "header"): number {
  if (typeof header === "number") {
    checkInteger(name, header, 0, 0xffff_ffff);
    if (header & 0x8) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "PTI of an AAL5 user-data cell must be 0..3", { path: name });
    }
    return header >>> 0;
  }
  checkInteger(`${name}.gfc`, header.gfc ?? 0, 0, 15);
  checkInteger(`${name}.vpi`, header.vpi, 0, 255);
  checkInteger(`${name}.vci`, header.vci, 0, 65535);
  checkInteger(`${name}.pti`, header.pti ?? 0, 0, 3);
  checkInteger(`${name}.clp`, header.clp ?? 0, 0, 1);
  return packCellHeader(header);
}

function uuCpiOf(options: Aal5SegmentOptions): number {
  checkInteger("uu", options.uu ?? 0, 0, 255);
  checkInteger("cpi", options.cpi ?? 0, 0, 255);
  return ((options.uu ?? 0) << 8) | (options.cpi ?? 0);
}

function checkPduLength(name: string, len: number): void {
  if (len === 0) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "an AAL5 PDU cannot be empty (Length 0 means abort)", {
      path: name,
    });
  }
  checkInteger(name, len, 1, AAL5_MAX_PAYLOAD);
}

/**
 * Segments `pdu` into AAL5 cells carrying `header` (end of PDU set on the last cell, HEC
 * filled in). Convenience form: stages the bytes and returns a fresh array of
 * aal5CellCount(pdu.length) * 53 bytes. aal5SegmentInto is the zero-staging form.
 */
export function aal5Segment(
  pdu: Uint8Array,
  header: number | CellHeaderFields,
  options: Aal5SegmentOptions = {},
): Uint8Array {
  checkPduLength("pdu.length", pdu.length);
  const word = aal5HeaderWord(header);
  const uuCpi = uuCpiOf(options);
  const rt = options.runtime ?? getRuntime();
  // Payload at the start of the scratch area, cells right after the largest payload.
  const src = rt.scratchPtr;
  const out = rt.scratchPtr + 65536;
  rt.u8.set(pdu, src);
  const n = aal5CellCount(pdu.length);
  const got =
    options.implementation === "reference"
      ? aal5SegmentRef(rt.u8, src, pdu.length, word, uuCpi, out, n)
      : rt.exports.aal5Segment(src, pdu.length, word, uuCpi, out, n);
  return rt.u8.slice(out, out + got * CELL_BYTES);
}

/**
 * Segments the `len`-byte PDU at `pduPtr` into cells at `outPtr` (room for `capCells`), all in
 * kernel memory; returns the number of cells. Throws on misuse, including too little room.
 */
export function aal5SegmentInto(
  rt: KernelRuntime,
  pduPtr: number,
  len: number,
  header: number | CellHeaderFields,
  outPtr: number,
  capCells: number,
  options: Omit<Aal5SegmentOptions, "runtime"> = {},
): number {
  checkPduLength("len", len);
  rt.checkRange("pduPtr", pduPtr, len);
  const word = aal5HeaderWord(header);
  const uuCpi = uuCpiOf(options);
  checkInteger("capCells", capCells, 0, 0x7fff_ffff);
  const n = aal5CellCount(len);
  if (n > capCells) {
    throw new NetloomError(ErrorCode.OUT_OF_BOUNDS, `a ${len}-byte PDU needs ${n} cells; room for ${capCells}`, {
      path: "capCells",
    });
  }
  rt.checkRange("outPtr", outPtr, n * CELL_BYTES);
  if (pduPtr < outPtr + n * CELL_BYTES && outPtr < pduPtr + len) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "the PDU and the cells it goes into overlap", {
      path: "outPtr",
    });
  }
  return options.implementation === "reference"
    ? aal5SegmentRef(rt.u8, pduPtr, len, word, uuCpi, outPtr, n)
    : rt.exports.aal5Segment(pduPtr, len, word, uuCpi, outPtr, n);
}

/**
 * Segments `count` PDUs (frame vector at `vecPtr`: ptr, len, arg = header index | UU << 24 |
 * CPI << 16, out = cells or a negative SEG_* status) into consecutive cells at `outPtr`.
 * `headersPtr` holds `nHeaders` big-endian header words as little-endian u32. Returns the
 * total cells written. Per-PDU problems are statuses, not exceptions.
 */
export function aal5SegmentBatch(
  rt: KernelRuntime,
  vecPtr: number,
  count: number,
  headersPtr: number,
  nHeaders: number,
  outPtr: number,
  capCells: number,
  implementation: Aal5Implementation = "wasm",
): number {
  checkInteger("count", count, 0, 0x00ff_ffff);
  rt.checkRange("vecPtr", vecPtr, count * FRAME_VEC_STRIDE);
  checkInteger("nHeaders", nHeaders, 0, 65536);
  rt.checkRange("headersPtr", headersPtr, nHeaders * 4);
  checkInteger("capCells", capCells, 0, 0x7fff_ffff);
  rt.checkRange("outPtr", outPtr, capCells * CELL_BYTES);
  return implementation === "reference"
    ? aal5SegmentBatchRef(rt.u8, vecPtr, count, headersPtr, nHeaders, outPtr, capCells)
    : rt.exports.aal5SegmentBatch(vecPtr, count, headersPtr, nHeaders, outPtr, capCells);
}

// --- reassembly ---

export interface Aal5ReassemblerOptions {
  /** Number of circuits (indexes 0..circuits-1; the caller maps VPI/VCI to an index). */
  circuits: number;
  /** Largest payload a circuit accepts (default 65535); rounded up to whole cells. */
  maxPduBytes?: number;
  /** Number of PDU buffers on the free stack, each big enough for maxPduBytes. */
  buffers: number;
  /** Verify every cell's HEC (default true); a bad one drops the cell. */
  checkHec?: boolean;
  /** Also hand errored PDUs (BAD_CRC, BAD_LENGTH, LOST_CELLS) to the caller (default false). */
  deliverErrors?: boolean;
  /** Cells pushCellBytes stages per kernel call (default 256). */
  batchCells?: number;
  runtime?: KernelRuntime;
  implementation?: Aal5Implementation;
}

export interface Aal5Completion {
  circuit: number;
  /** Offset of the buffer in kernel memory: give it back with returnBuffer(ptr). */
  ptr: number;
  /** Payload length when OK; bytes received (whole cells) for an errored PDU. */
  length: number;
  status: number;
  uu: number;
  cpi: number;
  /** View over kernel memory (no copy): valid until the buffer is returned. */
  bytes: Uint8Array;
}

export type Aal5Counters = Record<Aal5Counter, number>;
export interface Aal5Totals extends Aal5Counters {
  /** Cells whose arg named no circuit. */
  badCircuit: number;
  /** Entries whose len was not 53 or whose cell lay outside memory. */
  badCell: number;
  freeBuffers: number;
  lentBuffers: number;
  queuedCompletions: number;
}

export class Aal5Reassembler {
  readonly runtime: KernelRuntime;
  readonly circuits: number;
  readonly maxPduBytes: number;
  readonly buffers: number;
  /** Bytes per buffer: whole cells for maxPduBytes plus the trailer. */
  readonly bufferBytes: number;
  readonly implementation: Aal5Implementation;
  /** The context region (pass to the kernels directly on hot paths that build their own vectors). */
  readonly ctx: number;
  private readonly statesPtr: number;
  private readonly freePtr: number;
  private readonly complPtr: number;
  private readonly bufBase: number;
  private readonly lent: Uint8Array;
  private lentCount = 0;
  private readonly batchCells: number;
  private stagingPtr = 0;
  private freed = false;

  private constructor(rt: KernelRuntime, o: Required<Omit<Aal5ReassemblerOptions, "runtime">>) {
    this.runtime = rt;
    this.circuits = o.circuits;
    this.maxPduBytes = o.maxPduBytes;
    this.buffers = o.buffers;
    this.implementation = o.implementation;
    this.batchCells = o.batchCells;
    this.bufferBytes = aal5CellCount(o.maxPduBytes) * CELL_PAYLOAD_BYTES;
    const statesBytes = o.circuits * CIRCUIT_STRIDE;
    const freeBytes = Math.ceil((o.buffers * 4) / 64) * 64;
    const complBytes = o.buffers * COMPLETION_STRIDE;
    const total = CONTEXT_BYTES + statesBytes + freeBytes + complBytes;
    const bufStride = this.bufferBytes;
    this.ctx = rt.heap.alloc(total);
    try {
      this.bufBase = rt.heap.alloc(o.buffers * bufStride);
    } catch (err) {
      rt.heap.free(this.ctx);
      throw err;
    }
    this.statesPtr = this.ctx + CONTEXT_BYTES;
    this.freePtr = this.statesPtr + statesBytes;
    this.complPtr = this.freePtr + freeBytes;
    const u32 = rt.u32;
    const c = this.ctx >>> 2;
    u32[c + X_CIRCUITS / 4] = o.circuits;
    u32[c + X_FLAGS / 4] = (o.checkHec ? FLAG_CHECK_HEC : 0) | (o.deliverErrors ? FLAG_DELIVER_ERRORS : 0);
    u32[c + X_STATES / 4] = this.statesPtr;
    u32[c + X_FREE / 4] = this.freePtr;
    u32[c + X_COMPL / 4] = this.complPtr;
    // Every queued completion holds a distinct buffer, so a queue as long as the buffer pool
    // never fills and a batch is always consumed whole.
    u32[c + X_COMPL_CAP / 4] = o.buffers;
    // Free stack: buffer 0 on top, so PDUs fill buffers in address order.
    for (let i = 0; i < o.buffers; i++) u32[(this.freePtr >>> 2) + i] = this.bufBase + (o.buffers - 1 - i) * bufStride;
    u32[c + X_FREE_COUNT / 4] = o.buffers;
    for (let k = 0; k < o.circuits; k++) u32[(this.statesPtr + k * CIRCUIT_STRIDE + S_LIMIT) >>> 2] = this.bufferBytes;
    this.lent = new Uint8Array(o.buffers);
  }

  static create(options: Aal5ReassemblerOptions): Aal5Reassembler {
    checkInteger("circuits", options.circuits, 1, ARG_CIRCUIT_MASK + 1);
    const maxPduBytes = options.maxPduBytes ?? AAL5_MAX_PAYLOAD;
    checkInteger("maxPduBytes", maxPduBytes, 1, AAL5_MAX_PAYLOAD);
    checkInteger("buffers", options.buffers, 1, 1 << 20);
    const batchCells = options.batchCells ?? 256;
    checkInteger("batchCells", batchCells, 1, 1 << 16);
    const implementation = options.implementation ?? "wasm";
    if (implementation !== "wasm" && implementation !== "reference") {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `"${String(implementation)}" is not wasm or reference`, {
        path: "implementation",
      });
    }
    return new Aal5Reassembler(options.runtime ?? getRuntime(), {
      circuits: options.circuits,
      maxPduBytes,
      buffers: options.buffers,
      checkHec: options.checkHec ?? true,
      deliverErrors: options.deliverErrors ?? false,
      batchCells,
      implementation,
    });
  }

  /**
   * Reassembles `count` cells described by the frame vector at `vecPtr` (ptr = 53-byte cell,
   * len = 53, arg = circuit | ARG_DISCARD). Each entry's out receives the cell's outcome.
   * Returns the entries consumed (all of them: the completion queue cannot fill).
   */
  pushCells(vecPtr: number, count: number): number {
    this.live();
    checkInteger("count", count, 0, 0x00ff_ffff);
    this.runtime.checkRange("vecPtr", vecPtr, count * FRAME_VEC_STRIDE);
    return this.implementation === "reference"
      ? aal5ReassembleRef(this.runtime.u8, this.ctx, vecPtr, count)
      : this.runtime.exports.aal5Reassemble(this.ctx, vecPtr, count);
  }

  /**
   * Reassembles cells given as bytes (a multiple of 53): stages them in batches of
   * `batchCells`. `arg` is one circuit index for all cells, or one arg per cell (circuit
   * index, optionally | ARG_DISCARD). Returns the cells consumed.
   */
  pushCellBytes(cells: Uint8Array, arg: number | ArrayLike<number>): number {
    this.live();
    if (cells.length % CELL_BYTES !== 0) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${cells.length} bytes is not a whole number of cells`, {
        path: "cells",
      });
    }
    const n = cells.length / CELL_BYTES;
    if (typeof arg === "number") checkInteger("arg", arg, 0, 0xffff_ffff);
    else if (arg.length !== n) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${arg.length} args for ${n} cells`, { path: "arg" });
    }
    const rt = this.runtime;
    if (this.stagingPtr === 0) this.stagingPtr = rt.heap.alloc(this.batchCells * (FRAME_VEC_STRIDE + CELL_BYTES));
    const vec = this.stagingPtr;
    const cellBase = vec + this.batchCells * FRAME_VEC_STRIDE;
    let done = 0;
    while (done < n) {
      const m = Math.min(this.batchCells, n - done);
      rt.u8.set(cells.subarray(done * CELL_BYTES, (done + m) * CELL_BYTES), cellBase);
      for (let i = 0; i < m; i++) {
        const e = (vec + i * FRAME_VEC_STRIDE) >>> 2;
        rt.u32[e + FRAME_VEC_PTR / 4] = cellBase + i * CELL_BYTES;
        rt.u32[e + FRAME_VEC_LEN / 4] = CELL_BYTES;
        rt.u32[e + FRAME_VEC_ARG / 4] = typeof arg === "number" ? arg : arg[done + i]!;
      }
      const got = this.pushCells(vec, m);
      done += got;
      if (got < m) break;
    }
    return done;
  }

  /** Completions waiting to be drained. */
  get queuedCompletions(): number {
    this.live();
    return this.runtime.u32[(this.ctx + X_COMPL_COUNT) >>> 2]!;
  }

  /**
   * Hands every queued completion to `visit` (no allocation) and empties the queue; each
   * buffer is lent to the caller until returnBuffer(ptr). Returns the number visited.
   */
  drainCompletions(
    visit: (circuit: number, ptr: number, length: number, status: number, uuCpi: number) => void,
  ): number {
    this.live();
    const u32 = this.runtime.u32;
    const count = u32[(this.ctx + X_COMPL_COUNT) >>> 2]!;
    // Clear first: a throwing visitor must not see the same records twice.
    u32[(this.ctx + X_COMPL_COUNT) >>> 2] = 0;
    for (let i = 0; i < count; i++) this.lendRecord(i);
    for (let i = 0; i < count; i++) {
      const r = (this.complPtr + i * COMPLETION_STRIDE) >>> 2;
      const word = u32[r + 3]!;
      visit(u32[r]!, u32[r + 1]!, u32[r + 2]!, word & 0xff, word >>> 8);
    }
    return count;
  }

  /** Drains the queue into objects with views over the PDU bytes (see drainCompletions). */
  completions(): Aal5Completion[] {
    const out: Aal5Completion[] = [];
    const u8 = this.runtime.u8;
    this.drainCompletions((circuit, ptr, length, status, uuCpi) => {
      out.push({
        circuit,
        ptr,
        length,
        status,
        uu: uuCpi >>> 8,
        cpi: uuCpi & 0xff,
        bytes: u8.subarray(ptr, ptr + length),
      });
    });
    return out;
  }

  /** Gives a buffer from a completion back to the free stack. */
  returnBuffer(ptr: number): void {
    this.live();
    const index = (ptr - this.bufBase) / this.bufferBytes;
    if (!Number.isInteger(index) || index < 0 || index >= this.buffers || this.lent[index] !== 1) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${ptr} is not a buffer lent out by this reassembler`, {
        path: "ptr",
      });
    }
    this.lent[index] = 0;
    this.lentCount--;
    const u32 = this.runtime.u32;
    const fc = (this.ctx + X_FREE_COUNT) >>> 2;
    const n = u32[fc]!;
    u32[(this.freePtr >>> 2) + n] = ptr;
    u32[fc] = n + 1;
  }

  /** Partial packet discard: drop the rest of `circuit`'s current (or next) PDU. */
  discard(circuit: number): boolean {
    this.checkCircuit(circuit);
    const r =
      this.implementation === "reference"
        ? aal5DiscardRef(this.runtime.u8, this.ctx, circuit)
        : this.runtime.exports.aal5Discard(this.ctx, circuit);
    return r === 1;
  }

  /** Drops whatever `circuit` has in progress (reassembly timeout). True if a PDU was dropped. */
  abort(circuit: number): boolean {
    this.checkCircuit(circuit);
    const r =
      this.implementation === "reference"
        ? aal5AbortRef(this.runtime.u8, this.ctx, circuit)
        : this.runtime.exports.aal5Abort(this.ctx, circuit);
    return r === 1;
  }

  /** Lowers `circuit`'s PDU bound (1..maxPduBytes, rounded up to whole cells). */
  setMaxPdu(circuit: number, maxPduBytes: number): void {
    this.checkCircuit(circuit);
    checkInteger("maxPduBytes", maxPduBytes, 1, this.maxPduBytes);
    this.runtime.u32[(this.statesPtr + circuit * CIRCUIT_STRIDE + S_LIMIT) >>> 2] =
      aal5CellCount(maxPduBytes) * CELL_PAYLOAD_BYTES;
  }

  /** Counters of one circuit. */
  stats(circuit: number): Aal5Counters {
    this.checkCircuit(circuit);
    const base = (this.statesPtr + circuit * CIRCUIT_STRIDE + S_COUNTERS) >>> 2;
    const out = {} as Aal5Counters;
    AAL5_COUNTERS.forEach((name, k) => (out[name] = this.runtime.u32[base + k]!));
    return out;
  }

  /** Counters summed over all circuits, plus the context-wide ones. */
  totals(): Aal5Totals {
    this.live();
    const u32 = this.runtime.u32;
    const sums = new Array<number>(AAL5_COUNTERS.length).fill(0);
    for (let c = 0; c < this.circuits; c++) {
      const base = (this.statesPtr + c * CIRCUIT_STRIDE + S_COUNTERS) >>> 2;
      for (let k = 0; k < sums.length; k++) sums[k]! += u32[base + k]!;
    }
    const out = {} as Aal5Totals;
    AAL5_COUNTERS.forEach((name, k) => (out[name] = sums[k]!));
    out.badCircuit = u32[(this.ctx + X_BAD_CIRCUIT) >>> 2]!;
    out.badCell = u32[(this.ctx + X_BAD_CELL) >>> 2]!;
    out.freeBuffers = u32[(this.ctx + X_FREE_COUNT) >>> 2]!;
    out.lentBuffers = this.lentCount;
    out.queuedCompletions = u32[(this.ctx + X_COMPL_COUNT) >>> 2]!;
    return out;
  }

  /** Releases the heap regions; every lent buffer and view becomes invalid. */
  free(): void {
    this.live();
    this.freed = true;
    this.runtime.heap.free(this.bufBase);
    this.runtime.heap.free(this.ctx);
    if (this.stagingPtr !== 0) this.runtime.heap.free(this.stagingPtr);
  }

  private lendRecord(i: number): void {
    const ptr = this.runtime.u32[((this.complPtr + i * COMPLETION_STRIDE) >>> 2) + 1]!;
    const index = (ptr - this.bufBase) / this.bufferBytes;
    if (this.lent[index] === 0) this.lentCount++;
    this.lent[index] = 1;
  }

  private checkCircuit(circuit: number): void {
    this.live();
    checkInteger("circuit", circuit, 0, this.circuits - 1);
  }

  private live(): void {
    if (this.freed) throw new NetloomError(ErrorCode.USE_AFTER_FREE, "this Aal5Reassembler was freed");
  }
}
