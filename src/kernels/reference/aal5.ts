// Plain-TypeScript twin of assembly/atm/sar.ts: AAL5 segmentation and reassembly
// (ITU-T I.363.5) over the same linear-memory layouts (context, circuit records, free stack,
// completion queue, frame vector), with the same return codes and counters.
//
// Contract: the oracle of the differential tests and the baseline of bench/aal5.bench.ts.
// Written for clarity: byte by byte, with the AAL5 CRC of ./crc32.ts and the HEC of ./cell.ts.
// Functions take the memory as a Uint8Array plus byte offsets, exactly as the
// kernels take pointers. Never throws on bad data (the typed wrapper validates arguments).
// See assembly/atm/sar.ts for the layouts; the constants below mirror it.

import { CELL_BYTES, CELL_HEADER_BYTES, CELL_PAYLOAD_BYTES, HDR_END_OF_PDU, hecOfHeader } from "./cell.js";
import { crc32Aal5 } from "./crc32.js";

export const AAL5_STATUS = {
  OK: 0,
  BAD_CRC: 1,
  BAD_LENGTH: 2,
  LOST_CELLS: 3,
  OVERSIZE: 4,
  NO_BUFFER: 5,
  HEC_ERROR: 6,
  DISCARDED: 7,
  BAD_CIRCUIT: 8,
  BAD_CELL: 9,
} as const;
/** Set in a frame vector entry's out when the cell carried the end-of-PDU indication. */
export const CELL_END = 0x100;

export const SEG_ZERO_LENGTH = -1;
export const SEG_TOO_LONG = -2;
export const SEG_NO_ROOM = -3;
export const SEG_BAD_HEADER = -4;
export const SEG_BAD_RANGE = -5;

export const AAL5_MAX_PAYLOAD = 65535;
export const AAL5_TRAILER_BYTES = 8;

// Context layout (byte offsets).
export const X_CIRCUITS = 0;
export const X_FLAGS = 4;
export const X_STATES = 8;
export const X_FREE = 12;
export const X_FREE_COUNT = 16;
export const X_COMPL = 20;
export const X_COMPL_COUNT = 24;
export const X_COMPL_CAP = 28;
export const X_BAD_CIRCUIT = 32;
export const X_BAD_CELL = 36;
export const CONTEXT_BYTES = 64;

export const FLAG_CHECK_HEC = 1;
export const FLAG_DELIVER_ERRORS = 2;
export const ARG_DISCARD = 0x8000_0000;
export const ARG_CIRCUIT_MASK = 0x00ff_ffff;

export const CIRCUIT_STRIDE = 128;
export const S_BUF = 0;
export const S_BYTES = 4;
export const S_CRC = 8;
export const S_MODE = 12;
export const S_LIMIT = 16;
export const S_COUNTERS = 32;

/** Per-circuit counters, in their word order after S_COUNTERS. */
export const AAL5_COUNTERS = [
  "cells",
  "pdus",
  "bytes",
  "badCrc",
  "badLength",
  "lostCells",
  "oversize",
  "noBuffer",
  "hecErrors",
  "discardedCells",
  "partialDiscards",
  "aborts",
] as const;
export type Aal5Counter = (typeof AAL5_COUNTERS)[number];
const K = Object.fromEntries(AAL5_COUNTERS.map((name, i) => [name, i])) as Record<Aal5Counter, number>;

export const COMPLETION_STRIDE = 16;
const VEC_STRIDE = 16;

/** Number of cells the CPCS-PDU of a `len`-byte payload occupies. */
export function aal5CellCount(len: number): number {
  return Math.ceil((len + AAL5_TRAILER_BYTES) / CELL_PAYLOAD_BYTES);
}

/** AAL5 CRC of mem[ptr, ptr + len), continuing from the finished value `crc` (0 to start). */
export function crc32Aal5Ref(crc: number, mem: Uint8Array, ptr: number, len: number): number {
  return crc32Aal5(mem.subarray(ptr, ptr + len), crc);
}

// --- little-endian words of the layouts, big-endian fields of the wire ---

function word(mem: Uint8Array, at: number): number {
  return (mem[at]! | (mem[at + 1]! << 8) | (mem[at + 2]! << 16) | (mem[at + 3]! << 24)) >>> 0;
}
function setWord(mem: Uint8Array, at: number, value: number): void {
  mem[at] = value & 0xff;
  mem[at + 1] = (value >>> 8) & 0xff;
  mem[at + 2] = (value >>> 16) & 0xff;
  mem[at + 3] = (value >>> 24) & 0xff;
}
function wireWord(mem: Uint8Array, at: number): number {
  return ((mem[at]! << 24) | (mem[at + 1]! << 16) | (mem[at + 2]! << 8) | mem[at + 3]!) >>> 0;
}
function setWireWord(mem: Uint8Array, at: number, value: number): void {
  mem[at] = value >>> 24;
  mem[at + 1] = (value >>> 16) & 0xff;
  mem[at + 2] = (value >>> 8) & 0xff;
  mem[at + 3] = value & 0xff;
}

// --- segmentation ---

/** Twin of the aal5Segment kernel. */
export function aal5SegmentRef(
  mem: Uint8Array,
  pdu: number,
  len: number,
  header32: number,
  uuCpi: number,
  out: number,
  capCells: number,
): number {
  if (len === 0) return SEG_ZERO_LENGTH;
  if (len > AAL5_MAX_PAYLOAD) return SEG_TOO_LONG;
  const n = aal5CellCount(len);
  if (n > capCells) return SEG_NO_ROOM;
  segmentInto(mem, pdu, len, header32, uuCpi, out, n);
  return n;
}

function segmentInto(
  mem: Uint8Array,
  pdu: number,
  len: number,
  header32: number,
  uuCpi: number,
  out: number,
  n: number,
): void {
  // Build the CPCS-PDU conceptually: payload ++ pad ++ UU CPI Length, then the CRC over all of it.
  const cpcs = new Uint8Array(n * CELL_PAYLOAD_BYTES);
  cpcs.set(mem.subarray(pdu, pdu + len));
  const t = cpcs.length - AAL5_TRAILER_BYTES;
  cpcs[t] = (uuCpi >>> 8) & 0xff;
  cpcs[t + 1] = uuCpi & 0xff;
  cpcs[t + 2] = len >>> 8;
  cpcs[t + 3] = len & 0xff;
  setWireWord(cpcs, t + 4, crc32Aal5Ref(0, cpcs, 0, t + 4));
  for (let i = 0; i < n; i++) {
    const cell = out + i * CELL_BYTES;
    const hdr = i === n - 1 ? (header32 | HDR_END_OF_PDU) >>> 0 : (header32 & ~HDR_END_OF_PDU) >>> 0;
    setWireWord(mem, cell, hdr);
    mem[cell + 4] = hecOfHeader(hdr);
    mem.set(cpcs.subarray(i * CELL_PAYLOAD_BYTES, (i + 1) * CELL_PAYLOAD_BYTES), cell + CELL_HEADER_BYTES);
  }
}

/** Twin of the aal5SegmentBatch kernel. */
export function aal5SegmentBatchRef(
  mem: Uint8Array,
  vec: number,
  count: number,
  headers: number,
  nHeaders: number,
  out: number,
  capCells: number,
): number {
  let used = 0;
  let i = 0;
  for (; i < count; i++) {
    const e = vec + i * VEC_STRIDE;
    const ptr = word(mem, e);
    const len = word(mem, e + 4);
    const arg = word(mem, e + 8);
    const h = arg & 0xffff;
    let status: number;
    if (len === 0) status = SEG_ZERO_LENGTH;
    else if (len > AAL5_MAX_PAYLOAD) status = SEG_TOO_LONG;
    else if (h >= nHeaders) status = SEG_BAD_HEADER;
    else if (ptr + len > mem.length) status = SEG_BAD_RANGE;
    else {
      const n = aal5CellCount(len);
      if (n > capCells - used) break;
      segmentInto(mem, ptr, len, word(mem, headers + h * 4), arg >>> 16, out + used * CELL_BYTES, n);
      used += n;
      status = n;
    }
    setWord(mem, e + 12, status >>> 0);
  }
  for (; i < count; i++) setWord(mem, vec + i * VEC_STRIDE + 12, SEG_NO_ROOM >>> 0);
  return used;
}

// --- reassembly ---

function bump(mem: Uint8Array, st: number, counter: Aal5Counter, by = 1): void {
  const at = st + S_COUNTERS + K[counter] * 4;
  setWord(mem, at, (word(mem, at) + by) >>> 0);
}

function pushFree(mem: Uint8Array, ctx: number, buf: number): void {
  const n = word(mem, ctx + X_FREE_COUNT);
  setWord(mem, word(mem, ctx + X_FREE) + n * 4, buf);
  setWord(mem, ctx + X_FREE_COUNT, n + 1);
}

function popFree(mem: Uint8Array, ctx: number): number {
  const n = word(mem, ctx + X_FREE_COUNT);
  if (n === 0) return 0;
  setWord(mem, ctx + X_FREE_COUNT, n - 1);
  return word(mem, word(mem, ctx + X_FREE) + (n - 1) * 4);
}

function resetPdu(mem: Uint8Array, st: number): void {
  setWord(mem, st + S_BUF, 0);
  setWord(mem, st + S_BYTES, 0);
  setWord(mem, st + S_CRC, 0);
}

/** The context words the kernel reads once per batch. */
interface Batch {
  readonly mem: Uint8Array;
  readonly ctx: number;
  readonly nCircuits: number;
  readonly flags: number;
  readonly states: number;
}

/** Twin of the aal5Reassemble kernel: returns the number of entries consumed (all). */
export function aal5ReassembleRef(mem: Uint8Array, ctx: number, vec: number, count: number): number {
  const batch: Batch = {
    mem,
    ctx,
    nCircuits: word(mem, ctx + X_CIRCUITS),
    flags: word(mem, ctx + X_FLAGS),
    states: word(mem, ctx + X_STATES),
  };
  let i = 0;
  for (; i < count; i++) {
    const e = vec + i * VEC_STRIDE;
    setWord(mem, e + 12, reassembleCell(batch, word(mem, e), word(mem, e + 4), word(mem, e + 8)));
  }
  return i;
}

/**
 * One frame vector entry, in the kernel's order: entry checks, HEC, discard mode (partial
 * packet discard), a buffer for a new PDU, the size bound, then the payload; an end-of-PDU
 * cell finishes the PDU. Returns the entry's out.
 */
function reassembleCell(b: Batch, ptr: number, len: number, arg: number): number {
  const mem = b.mem;
  const circuit = arg & ARG_CIRCUIT_MASK;
  if (circuit >= b.nCircuits) {
    setWord(mem, b.ctx + X_BAD_CIRCUIT, word(mem, b.ctx + X_BAD_CIRCUIT) + 1);
    return AAL5_STATUS.BAD_CIRCUIT;
  }
  if (len !== CELL_BYTES || ptr + CELL_BYTES > mem.length) {
    setWord(mem, b.ctx + X_BAD_CELL, word(mem, b.ctx + X_BAD_CELL) + 1);
    return AAL5_STATUS.BAD_CELL;
  }
  const st = b.states + circuit * CIRCUIT_STRIDE;
  bump(mem, st, "cells");
  const header = wireWord(mem, ptr);
  if (b.flags & FLAG_CHECK_HEC && hecOfHeader(header) !== mem[ptr + 4]) {
    bump(mem, st, "hecErrors");
    return AAL5_STATUS.HEC_ERROR;
  }
  const end = (header & HDR_END_OF_PDU) !== 0;
  const endFlag = end ? CELL_END : 0;

  if (arg & ARG_DISCARD && word(mem, st + S_MODE) === 0) startPartialDiscard(b, st);
  if (word(mem, st + S_MODE) !== 0) return discardCell(mem, st, end) | endFlag;

  let buf = word(mem, st + S_BUF);
  if (buf === 0) {
    buf = startPdu(b, st);
    if (buf === 0) return dropForNoBuffer(mem, st, end) | endFlag;
  }
  const bytesBefore = word(mem, st + S_BYTES);
  if (bytesBefore + CELL_PAYLOAD_BYTES > word(mem, st + S_LIMIT)) return cutOversize(b, st, buf, end) | endFlag;

  const payload = ptr + CELL_HEADER_BYTES;
  mem.copyWithin(buf + bytesBefore, payload, payload + CELL_PAYLOAD_BYTES);
  const bytes = bytesBefore + CELL_PAYLOAD_BYTES;
  if (!end) {
    setWord(mem, st + S_CRC, crc32Aal5Ref(word(mem, st + S_CRC), mem, payload, CELL_PAYLOAD_BYTES));
    setWord(mem, st + S_BYTES, bytes);
    return AAL5_STATUS.OK;
  }
  return finishPdu(b, st, circuit, buf, payload, bytes) | CELL_END;
}

/** Partial packet discard asked by the caller: the PDU in progress (if any) is dropped. */
function startPartialDiscard(b: Batch, st: number): void {
  const buf = word(b.mem, st + S_BUF);
  if (buf !== 0) pushFree(b.mem, b.ctx, buf);
  setWord(b.mem, st + S_BUF, 0);
  setWord(b.mem, st + S_MODE, AAL5_STATUS.DISCARDED);
  bump(b.mem, st, "partialDiscards");
}

/** A cell of a PDU being discarded; its end-of-PDU cell leaves discard mode. */
function discardCell(mem: Uint8Array, st: number, end: boolean): number {
  bump(mem, st, "discardedCells");
  if (end) setWord(mem, st + S_MODE, 0);
  return AAL5_STATUS.DISCARDED;
}

/** The first cell of a PDU takes a buffer from the free stack; returns it, 0 when empty. */
function startPdu(b: Batch, st: number): number {
  const buf = popFree(b.mem, b.ctx);
  if (buf === 0) return 0;
  resetPdu(b.mem, st);
  setWord(b.mem, st + S_BUF, buf);
  return buf;
}

/** No free buffer: the cell is dropped, and the rest of its PDU with it. */
function dropForNoBuffer(mem: Uint8Array, st: number, end: boolean): number {
  bump(mem, st, "noBuffer");
  bump(mem, st, "discardedCells");
  if (!end) setWord(mem, st + S_MODE, AAL5_STATUS.NO_BUFFER);
  return AAL5_STATUS.NO_BUFFER;
}

/** The PDU outgrew its bound: its buffer goes back, and the rest of it is discarded. */
function cutOversize(b: Batch, st: number, buf: number, end: boolean): number {
  bump(b.mem, st, "oversize");
  bump(b.mem, st, "discardedCells");
  pushFree(b.mem, b.ctx, buf);
  setWord(b.mem, st + S_BUF, 0);
  if (!end) setWord(b.mem, st + S_MODE, AAL5_STATUS.OVERSIZE);
  return AAL5_STATUS.OVERSIZE;
}

/**
 * End of PDU (its last cell already appended): checks the trailer, counts the outcome, queues
 * a completion (OK, or any status with FLAG_DELIVER_ERRORS, while the queue has room) or
 * returns the buffer. Returns the PDU's status.
 */
function finishPdu(b: Batch, st: number, circuit: number, buf: number, payload: number, bytes: number): number {
  const mem = b.mem;
  const crc = crc32Aal5Ref(word(mem, st + S_CRC), mem, payload, CELL_PAYLOAD_BYTES - 4);
  const trailer = buf + bytes - AAL5_TRAILER_BYTES;
  const length = (mem[trailer + 2]! << 8) | mem[trailer + 3]!;
  const status = trailerStatus(length, bytes, crc, wireWord(mem, trailer + 4));

  if (status === AAL5_STATUS.OK) {
    bump(mem, st, "pdus");
    bump(mem, st, "bytes", length);
  } else if (status === AAL5_STATUS.BAD_CRC) bump(mem, st, "badCrc");
  else if (status === AAL5_STATUS.LOST_CELLS) bump(mem, st, "lostCells");
  else bump(mem, st, "badLength");

  const queued = word(mem, b.ctx + X_COMPL_COUNT);
  if ((status === AAL5_STATUS.OK || b.flags & FLAG_DELIVER_ERRORS) && queued < word(mem, b.ctx + X_COMPL_CAP)) {
    const r = word(mem, b.ctx + X_COMPL) + queued * COMPLETION_STRIDE;
    setWord(mem, r, circuit);
    setWord(mem, r + 4, buf);
    setWord(mem, r + 8, status === AAL5_STATUS.OK ? length : bytes);
    setWord(mem, r + 12, status | (mem[trailer + 1]! << 8) | (mem[trailer]! << 16));
    setWord(mem, b.ctx + X_COMPL_COUNT, queued + 1);
  } else {
    pushFree(mem, b.ctx, buf);
  }
  resetPdu(mem, st);
  return status;
}

/** Length checks first (they name lost cells), then the CRC. Length 0 is an abort indication. */
function trailerStatus(length: number, bytes: number, crc: number, trailerCrc: number): number {
  if (length === 0) return AAL5_STATUS.BAD_LENGTH;
  if (length + AAL5_TRAILER_BYTES > bytes) return AAL5_STATUS.LOST_CELLS;
  if (bytes - AAL5_TRAILER_BYTES - length >= CELL_PAYLOAD_BYTES) return AAL5_STATUS.BAD_LENGTH;
  if (crc !== trailerCrc) return AAL5_STATUS.BAD_CRC;
  return AAL5_STATUS.OK;
}

/** Twin of the aal5Discard kernel. */
export function aal5DiscardRef(mem: Uint8Array, ctx: number, circuit: number): number {
  if (circuit >= word(mem, ctx + X_CIRCUITS)) return -1;
  const st = word(mem, ctx + X_STATES) + circuit * CIRCUIT_STRIDE;
  if (word(mem, st + S_MODE) !== 0) return 0;
  const buf = word(mem, st + S_BUF);
  if (buf !== 0) pushFree(mem, ctx, buf);
  resetPdu(mem, st);
  setWord(mem, st + S_MODE, AAL5_STATUS.DISCARDED);
  bump(mem, st, "partialDiscards");
  return 1;
}

/** Twin of the aal5Abort kernel. */
export function aal5AbortRef(mem: Uint8Array, ctx: number, circuit: number): number {
  if (circuit >= word(mem, ctx + X_CIRCUITS)) return -1;
  const st = word(mem, ctx + X_STATES) + circuit * CIRCUIT_STRIDE;
  const buf = word(mem, st + S_BUF);
  const busy = buf !== 0 || word(mem, st + S_MODE) !== 0;
  if (buf !== 0) pushFree(mem, ctx, buf);
  resetPdu(mem, st);
  setWord(mem, st + S_MODE, 0);
  if (!busy) return 0;
  bump(mem, st, "aborts");
  return 1;
}
