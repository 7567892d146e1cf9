// AAL5 segmentation and reassembly (ITU-T I.363.5 CPCS over the SAR sublayer).
//
// Contract:
// - Segmentation writes the CPCS-PDU (payload, 0..47 zero pad bytes, 8-byte trailer: CPCS-UU,
//   CPI, Length big-endian, CRC-32 big-endian) straight into consecutive 53-byte cells: the
//   payload is copied exactly once (into the cells) and never staged contiguously. The header
//   HEC is computed twice per PDU (continuation cells, last cell), never per cell.
// - Reassembly keeps per-circuit state in a context region the caller allocated (layout at
//   "context layout" below), takes cells in batches through a frame vector, and moves each
//   payload once into a buffer taken from the caller's free stack. A PDU that ends is checked
//   (length, CRC) and, when OK (or when the context asks for errored PDUs too), appended to the
//   completion queue: its buffer then belongs to the caller until the caller pushes it back on
//   the free stack. Every other outcome returns the buffer to the free stack and is counted.
// - Kernels never throw and never allocate: bad data is a status code and a counter.
// - Not handled here: mapping VPI/VCI to a circuit index (the caller does it and passes the
//   index in each entry's arg), OAM/RM cells (the caller must not hand cells with PTI bit 0x4
//   to reassembly), reassembly timers (the caller calls aal5Abort), multi-thread use of one
//   context (one thread owns a context at a time).

import { crc32Aal5Update } from "../checksum/crc32";
import { hecOf } from "../checksum/hec";
import { FRAME_VEC_STRIDE } from "../abi";
import {
  CELL_BYTES,
  CELL_PAYLOAD_BYTES,
  CELL_HEADER_BYTES,
  HDR_END_OF_PDU,
  writeCellHeader,
  copy48,
  zero48,
} from "./cell";

// --- statuses (PDU outcomes and per-cell outcomes share one code space) ---
export const AAL5_OK: u32 = 0;
export const AAL5_BAD_CRC: u32 = 1;
export const AAL5_BAD_LENGTH: u32 = 2;
export const AAL5_LOST_CELLS: u32 = 3;
export const AAL5_OVERSIZE: u32 = 4;
export const AAL5_NO_BUFFER: u32 = 5;
export const AAL5_HEC_ERROR: u32 = 6;
export const AAL5_DISCARDED: u32 = 7;
export const AAL5_BAD_CIRCUIT: u32 = 8;
export const AAL5_BAD_CELL: u32 = 9;
export const CELL_END: u32 = 0x100;

// --- segmentation results (negative) ---
export const SEG_ZERO_LENGTH: i32 = -1;
export const SEG_TOO_LONG: i32 = -2;
export const SEG_NO_ROOM: i32 = -3;
export const SEG_BAD_HEADER: i32 = -4;
export const SEG_BAD_RANGE: i32 = -5;

export const AAL5_MAX_PAYLOAD: u32 = 65535;
const TRAILER_BYTES: u32 = 8;

// --- context layout ---
// The context region (all words little-endian u32), built by src/kernels/aal5.ts:
//
//   ctx +0  X_CIRCUITS     number of circuits N
//       +4  X_FLAGS        FLAG_CHECK_HEC | FLAG_DELIVER_ERRORS
//       +8  X_STATES       pointer to N circuit records of CIRCUIT_STRIDE bytes
//       +12 X_FREE         pointer to the free stack: u32 buffer pointers, top at X_FREE_COUNT-1
//       +16 X_FREE_COUNT   buffers on the free stack
//       +20 X_COMPL        pointer to the completion queue (COMPLETION_STRIDE-byte records)
//       +24 X_COMPL_COUNT  records in the queue (the caller drains and resets it to 0)
//       +28 X_COMPL_CAP    queue capacity in records
//       +32 X_BAD_CIRCUIT  cells whose arg names no circuit
//       +36 X_BAD_CELL     entries whose len is not 53 or whose cell is outside memory
//
//   circuit record (CIRCUIT_STRIDE = 128 bytes):
//       +0  S_BUF    buffer of the PDU in progress, 0 = none
//       +4  S_BYTES  bytes stored so far (a multiple of 48: cells so far = S_BYTES / 48)
//       +8  S_CRC    running AAL5 CRC (finished form) over the bytes stored so far
//       +12 S_MODE   0 = assembling, else discarding up to the next end-of-PDU cell; the value
//                    is the status that started the discard (OVERSIZE, NO_BUFFER, DISCARDED)
//       +16 S_LIMIT  most bytes (a multiple of 48, at most the buffer size) a PDU may occupy
//       +32 counters, u32 each, wrapping: see K_* below
//
//   completion record (COMPLETION_STRIDE = 16 bytes):
//       +0 circuit  +4 buffer pointer  +8 length  +12 status | CPI << 8 | CPCS-UU << 16
//       length is the payload length for OK; for errored PDUs (FLAG_DELIVER_ERRORS) it is the
//       number of bytes received (whole cells), since the Length field cannot be trusted.
//
//   frame vector entry (assembly/abi.ts): ptr = cell, len = 53, arg = circuit index (bits
//   0..23) | ARG_DISCARD (bit 31: start partial packet discard with this cell), out = this
//   cell's outcome: a status code, | CELL_END when the cell carried end of PDU.
const X_CIRCUITS: usize = 0;
const X_FLAGS: usize = 4;
const X_STATES: usize = 8;
const X_FREE: usize = 12;
const X_FREE_COUNT: usize = 16;
const X_COMPL: usize = 20;
const X_COMPL_COUNT: usize = 24;
const X_COMPL_CAP: usize = 28;
const X_BAD_CIRCUIT: usize = 32;
const X_BAD_CELL: usize = 36;

export const FLAG_CHECK_HEC: u32 = 1;
export const FLAG_DELIVER_ERRORS: u32 = 2;
export const ARG_DISCARD: u32 = 0x8000_0000;
const ARG_CIRCUIT_MASK: u32 = 0x00ff_ffff;

const CIRCUIT_STRIDE: usize = 128;
const S_BUF: usize = 0;
const S_BYTES: usize = 4;
const S_CRC: usize = 8;
const S_MODE: usize = 12;
const S_LIMIT: usize = 16;
const S_COUNTERS: usize = 32;

// Counter indices (word offsets from S_COUNTERS).
const K_CELLS: usize = 0; // cells handed in for this circuit (well-formed entries)
const K_PDUS: usize = 1; // PDUs delivered OK
const K_BYTES: usize = 2; // payload bytes delivered OK (wraps)
const K_BAD_CRC: usize = 3;
const K_BAD_LENGTH: usize = 4;
const K_LOST_CELLS: usize = 5;
const K_OVERSIZE: usize = 6; // PDUs cut off at the bound
const K_NO_BUFFER: usize = 7; // PDUs dropped because the free stack was empty
const K_HEC: usize = 8; // cells dropped for a header error
const K_DISCARDED_CELLS: usize = 9; // cells dropped while (or by starting) discarding
const K_PPD: usize = 10; // partial packet discards started by the caller
const K_ABORTS: usize = 11; // PDUs in progress dropped by aal5Abort

const COMPLETION_STRIDE: usize = 16;

// @ts-ignore: decorator
@inline
function bump(st: usize, k: usize): void {
  const p = st + S_COUNTERS + (k << 2);
  store<u32>(p, load<u32>(p) + 1);
}

// @ts-ignore: decorator
@inline
function memoryEnd(): usize {
  return (<usize>memory.size()) << 16;
}

/** Number of cells the CPCS-PDU of a `len`-byte payload occupies. */
// @ts-ignore: decorator
@inline
function cellsFor(len: u32): u32 {
  return (len + TRAILER_BYTES + <u32>CELL_PAYLOAD_BYTES - 1) / <u32>CELL_PAYLOAD_BYTES;
}

/**
 * Segments the `len`-byte PDU at `pdu` into cells at `out` (room for `capCells` cells).
 * `header32` is the big-endian first four header octets (its end-of-PDU bit is ignored);
 * `uuCpi` is CPCS-UU << 8 | CPI. Returns the number of cells written, or SEG_ZERO_LENGTH,
 * SEG_TOO_LONG, SEG_NO_ROOM (nothing written). `pdu` and `out` must not overlap.
 */
export function aal5Segment(pdu: usize, len: u32, header32: u32, uuCpi: u32, out: usize, capCells: u32): i32 {
  if (len == 0) return SEG_ZERO_LENGTH;
  if (len > AAL5_MAX_PAYLOAD) return SEG_TOO_LONG;
  const n = cellsFor(len);
  if (n > capCells) return SEG_NO_ROOM;
  segmentInto(pdu, len, header32, uuCpi, out, n);
  return <i32>n;
}

// @ts-ignore: decorator
@inline
function segmentInto(pdu: usize, len: u32, header32: u32, uuCpi: u32, out: usize, n: u32): void {
  // The CRC runs over the contiguous source in one pass (the fast path of the CRC kernel);
  // only pad + UU/CPI/Length are added from the last cell(s) afterwards.
  let crc = crc32Aal5Update(0, pdu, len);
  const hdrMid = header32 & ~HDR_END_OF_PDU;
  const hdrLast = header32 | HDR_END_OF_PDU;
  const wordMid = bswap<u32>(hdrMid);
  const hecMid = <u8>hecOf(hdrMid);
  const full = len / <u32>CELL_PAYLOAD_BYTES; // cells holding 48 payload bytes (< n)
  let cell = out;
  let src = pdu;
  for (let i: u32 = 0; i < full; i++) {
    store<u32>(cell, wordMid);
    store<u8>(cell, hecMid, 4);
    copy48(cell + CELL_HEADER_BYTES, src);
    cell += CELL_BYTES;
    src += CELL_PAYLOAD_BYTES;
  }
  // Tail: one cell when the rest plus the trailer fits 48 bytes, else two.
  const rem = len - full * <u32>CELL_PAYLOAD_BYTES;
  const first = cell + CELL_HEADER_BYTES;
  const last = out + <usize>(n - 1) * CELL_BYTES;
  const lastPayload = last + CELL_HEADER_BYTES;
  if (cell != last) {
    writeCellHeader(cell, hdrMid, hecMid);
    zero48(first);
  }
  writeCellHeader(last, hdrLast, hecOf(hdrLast));
  zero48(lastPayload);
  memory.copy(first, src, rem);
  store<u8>(lastPayload, <u8>(uuCpi >>> 8), 40);
  store<u8>(lastPayload, <u8>uuCpi, 41);
  store<u16>(lastPayload, bswap<u16>(<u16>len), 42);
  if (cell != last) {
    crc = crc32Aal5Update(crc, first + rem, CELL_PAYLOAD_BYTES - rem);
    crc = crc32Aal5Update(crc, lastPayload, 44);
  } else {
    crc = crc32Aal5Update(crc, first + rem, 44 - rem);
  }
  store<u32>(lastPayload, bswap<u32>(crc), 44);
}

/**
 * Segments `count` PDUs described by the frame vector at `vec` into consecutive cells at `out`
 * (room for `capCells` cells in all). Entry arg: bits 0..15 index into `headers` (`nHeaders`
 * u32 big-endian header words), bits 16..31 CPCS-UU << 8 | CPI. Each entry's out receives its
 * cell count or a negative SEG_* status; a PDU that does not fit ends the batch (it and the
 * rest get SEG_NO_ROOM) so cells of one circuit never leave out of order. Returns the total
 * number of cells written.
 */
export function aal5SegmentBatch(vec: usize, count: u32, headers: usize, nHeaders: u32, out: usize, capCells: u32): u32 {
  const memEnd = memoryEnd();
  let used: u32 = 0;
  let i: u32 = 0;
  for (; i < count; i++) {
    const e = vec + <usize>i * FRAME_VEC_STRIDE;
    const ptr = load<u32>(e);
    const len = load<u32>(e, 4);
    const arg = load<u32>(e, 8);
    const h = arg & 0xffff;
    let status: i32;
    if (len == 0) status = SEG_ZERO_LENGTH;
    else if (len > AAL5_MAX_PAYLOAD) status = SEG_TOO_LONG;
    else if (h >= nHeaders) status = SEG_BAD_HEADER;
    else if (<usize>ptr + <usize>len > memEnd) status = SEG_BAD_RANGE;
    else {
      const n = cellsFor(len);
      if (n > capCells - used) break;
      segmentInto(ptr, len, load<u32>(headers + (<usize>h << 2)), arg >>> 16, out + <usize>used * CELL_BYTES, n);
      used += n;
      status = <i32>n;
    }
    store<i32>(e, status, 12);
  }
  for (; i < count; i++) store<i32>(vec + <usize>i * FRAME_VEC_STRIDE, SEG_NO_ROOM, 12);
  return used;
}

// @ts-ignore: decorator
@inline
function recycle(ctx: usize, buf: u32): void {
  const n = load<u32>(ctx, X_FREE_COUNT);
  store<u32>(<usize>load<u32>(ctx, X_FREE) + (<usize>n << 2), buf);
  store<u32>(ctx, n + 1, X_FREE_COUNT);
}

/**
 * Reassembles a batch of `count` cells (frame vector at `vec`) into the context at `ctx`.
 * Returns the number of entries consumed: always `count`. (A PDU that completes into a full
 * completion queue is counted under its status and its buffer recycled; that cannot happen
 * when the queue holds as many records as there are buffers, as src/kernels/aal5.ts arranges.)
 */
export function aal5Reassemble(ctx: usize, vec: usize, count: u32): u32 {
  const nCircuits = load<u32>(ctx, X_CIRCUITS);
  const flags = load<u32>(ctx, X_FLAGS);
  const checkHec = (flags & FLAG_CHECK_HEC) != 0;
  const deliverErrors = (flags & FLAG_DELIVER_ERRORS) != 0;
  const states = <usize>load<u32>(ctx, X_STATES);
  const freeStack = <usize>load<u32>(ctx, X_FREE);
  let freeCount = load<u32>(ctx, X_FREE_COUNT);
  const compl = <usize>load<u32>(ctx, X_COMPL);
  let complCount = load<u32>(ctx, X_COMPL_COUNT);
  const complCap = load<u32>(ctx, X_COMPL_CAP);
  const cellLimit = memoryEnd() - CELL_BYTES;
  let badCircuit = load<u32>(ctx, X_BAD_CIRCUIT);
  let badCell = load<u32>(ctx, X_BAD_CELL);

  let i: u32 = 0;
  for (; i < count; i++) {
    const e = vec + <usize>i * FRAME_VEC_STRIDE;
    const ptr = <usize>load<u32>(e);
    const len = load<u32>(e, 4);
    const arg = load<u32>(e, 8);
    const circuit = arg & ARG_CIRCUIT_MASK;
    if (circuit >= nCircuits) {
      badCircuit++;
      store<u32>(e, AAL5_BAD_CIRCUIT, 12);
      continue;
    }
    if (len != <u32>CELL_BYTES || ptr > cellLimit) {
      badCell++;
      store<u32>(e, AAL5_BAD_CELL, 12);
      continue;
    }
    const st = states + <usize>circuit * CIRCUIT_STRIDE;
    bump(st, K_CELLS);
    const header = bswap<u32>(load<u32>(ptr));
    if (checkHec && hecOf(header) != <u32>load<u8>(ptr, 4)) {
      bump(st, K_HEC);
      store<u32>(e, AAL5_HEC_ERROR, 12);
      continue;
    }
    const end = (header & HDR_END_OF_PDU) != 0;
    const endFlag = end ? CELL_END : 0;
    let buf = load<u32>(st, S_BUF);
    let mode = load<u32>(st, S_MODE);

    if ((arg & ARG_DISCARD) != 0 && mode == 0) {
      // Partial packet discard: the switch lost a cell of this PDU; drop the rest of it.
      if (buf != 0) {
        store<u32>(freeStack + (<usize>freeCount << 2), buf);
        freeCount++;
        buf = 0;
        store<u32>(st, 0, S_BUF);
      }
      mode = AAL5_DISCARDED;
      bump(st, K_PPD);
    }
    if (mode != 0) {
      bump(st, K_DISCARDED_CELLS);
      store<u32>(st, end ? 0 : mode, S_MODE);
      store<u32>(e, AAL5_DISCARDED | endFlag, 12);
      continue;
    }

    let bytes: u32;
    let crc: u32;
    if (buf == 0) {
      if (freeCount == 0) {
        bump(st, K_NO_BUFFER);
        bump(st, K_DISCARDED_CELLS);
        if (!end) store<u32>(st, AAL5_NO_BUFFER, S_MODE);
        store<u32>(e, AAL5_NO_BUFFER | endFlag, 12);
        continue;
      }
      freeCount--;
      buf = load<u32>(freeStack + (<usize>freeCount << 2));
      store<u32>(st, buf, S_BUF);
      bytes = 0;
      crc = 0;
    } else {
      bytes = load<u32>(st, S_BYTES);
      crc = load<u32>(st, S_CRC);
    }

    if (bytes + <u32>CELL_PAYLOAD_BYTES > load<u32>(st, S_LIMIT)) {
      bump(st, K_OVERSIZE);
      bump(st, K_DISCARDED_CELLS);
      store<u32>(freeStack + (<usize>freeCount << 2), buf);
      freeCount++;
      store<u32>(st, 0, S_BUF);
      if (!end) store<u32>(st, AAL5_OVERSIZE, S_MODE);
      store<u32>(e, AAL5_OVERSIZE | endFlag, 12);
      continue;
    }

    const dst = <usize>buf + <usize>bytes;
    copy48(dst, ptr + CELL_HEADER_BYTES);
    bytes += <u32>CELL_PAYLOAD_BYTES;
    if (!end) {
      store<u32>(st, crc32Aal5Update(crc, ptr + CELL_HEADER_BYTES, CELL_PAYLOAD_BYTES), S_CRC);
      store<u32>(st, bytes, S_BYTES);
      store<u32>(e, AAL5_OK, 12);
      continue;
    }

    // End of PDU: check the trailer. Length before CRC, so a lost cell is named as such
    // (with a lost cell the CRC fails too); the CRC still covers every byte of a PDU whose
    // length is consistent, so no single bit error can pass as OK.
    crc = crc32Aal5Update(crc, ptr + CELL_HEADER_BYTES, 44);
    const trailer = <usize>buf + <usize>bytes - 8;
    const length = <u32>bswap<u16>(load<u16>(trailer, 2));
    let status: u32;
    if (length == 0) status = AAL5_BAD_LENGTH; // I.363.5: Length 0 is an abort indication
    else if (length + TRAILER_BYTES > bytes) status = AAL5_LOST_CELLS;
    else if (bytes - TRAILER_BYTES - length >= <u32>CELL_PAYLOAD_BYTES) status = AAL5_BAD_LENGTH;
    else if (crc != bswap<u32>(load<u32>(trailer, 4))) status = AAL5_BAD_CRC;
    else status = AAL5_OK;

    if (status == AAL5_OK) {
      bump(st, K_PDUS);
      const pb = st + S_COUNTERS + (K_BYTES << 2);
      store<u32>(pb, load<u32>(pb) + length);
    } else if (status == AAL5_BAD_CRC) bump(st, K_BAD_CRC);
    else if (status == AAL5_LOST_CELLS) bump(st, K_LOST_CELLS);
    else bump(st, K_BAD_LENGTH);

    if ((status == AAL5_OK || deliverErrors) && complCount < complCap) {
      const r = compl + <usize>complCount * COMPLETION_STRIDE;
      store<u32>(r, circuit);
      store<u32>(r, buf, 4);
      store<u32>(r, status == AAL5_OK ? length : bytes, 8);
      store<u32>(r, status | (<u32>load<u8>(trailer) << 16) | (<u32>load<u8>(trailer, 1) << 8), 12);
      complCount++;
    } else {
      // Also the (never expected) full queue: the wrapper sizes it to the buffer pool, and
      // every queued record holds one of those buffers.
      store<u32>(freeStack + (<usize>freeCount << 2), buf);
      freeCount++;
    }
    store<u32>(st, 0, S_BUF);
    store<u32>(st, 0, S_BYTES);
    store<u32>(st, 0, S_CRC);
    store<u32>(e, status | CELL_END, 12);
  }

  store<u32>(ctx, freeCount, X_FREE_COUNT);
  store<u32>(ctx, complCount, X_COMPL_COUNT);
  store<u32>(ctx, badCircuit, X_BAD_CIRCUIT);
  store<u32>(ctx, badCell, X_BAD_CELL);
  return i;
}

/**
 * Puts `circuit` into discard mode (partial packet discard): the PDU in progress, or the
 * next one if none is, is dropped up to and including its end-of-PDU cell. Returns 1 when
 * discard mode started, 0 when the circuit was already discarding, -1 for a bad index.
 */
export function aal5Discard(ctx: usize, circuit: u32): i32 {
  if (circuit >= load<u32>(ctx, X_CIRCUITS)) return -1;
  const st = <usize>load<u32>(ctx, X_STATES) + <usize>circuit * CIRCUIT_STRIDE;
  if (load<u32>(st, S_MODE) != 0) return 0;
  const buf = load<u32>(st, S_BUF);
  if (buf != 0) recycle(ctx, buf);
  store<u32>(st, 0, S_BUF);
  store<u32>(st, 0, S_BYTES);
  store<u32>(st, 0, S_CRC);
  store<u32>(st, AAL5_DISCARDED, S_MODE);
  bump(st, K_PPD);
  return 1;
}

/**
 * Abandons whatever `circuit` has in progress (reassembly timeout): returns its buffer to the
 * free stack and leaves discard mode. Returns 1 when a PDU was dropped (counted in aborts),
 * 0 when the circuit was idle, -1 for a bad index.
 */
export function aal5Abort(ctx: usize, circuit: u32): i32 {
  if (circuit >= load<u32>(ctx, X_CIRCUITS)) return -1;
  const st = <usize>load<u32>(ctx, X_STATES) + <usize>circuit * CIRCUIT_STRIDE;
  const buf = load<u32>(st, S_BUF);
  const busy = buf != 0 || load<u32>(st, S_MODE) != 0;
  if (buf != 0) recycle(ctx, buf);
  store<u32>(st, 0, S_BUF);
  store<u32>(st, 0, S_BYTES);
  store<u32>(st, 0, S_CRC);
  store<u32>(st, 0, S_MODE);
  if (!busy) return 0;
  bump(st, K_ABORTS);
  return 1;
}
