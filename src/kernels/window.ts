// Typed wrapper for the window kernels (assembly/window/): WindowTable.
//
// Contract:
// - A WindowTable is one heap region holding N connection records (layout in
//   assembly/window/window.ts, mirrored by the W_* offsets below). Connections are addressed by
//   index so batch calls can carry a connection index per entry. The table owns its region
//   until free(); any use after free() throws USE_AFTER_FREE.
// - Sequence numbers are 32-bit and wrap (compare them with ./seq.ts). Ranges are half-open
//   [start, end); a segment is (seq, length). Times are integer nanoseconds in JS numbers.
// - The wrapper validates arguments (index, lengths, window sizes, batch vectors) and throws
//   NetloomError; the kernels never throw: refusals (range set full, ring full, window full,
//   stale ack, bad index inside a batch) come back as status codes and per-connection counters.
// - Received out-of-order ranges: at most maxRanges per connection. When the set is full, a
//   range that needs a new slot is refused (MarkStatus.REFUSED) and counted; the sender resends.
// - Batch vectors (FRAME_VEC_* layout of ./abi.ts, 16-byte entries) live in linear memory:
//     markBatch:  ptr = start seq, len = length, arg = connection; out <- ack point after it
//     sendBatch:  ptr = seq,       len = length, arg = connection; out <- SendStatus
//     ackBatch:   ptr = ack,       len = peer window (0xffffffff: unchanged), arg = connection;
//                 out <- bytes newly acked
// - Not handled: congestion control (set the send window yourself), application reads.

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import { getRuntime, type KernelRuntime } from "./runtime.js";
import { FRAME_VEC_STRIDE } from "./abi.js";

/** Result of a mark; CLIPPED and above mean some bytes were not recorded (the sender resends). */
export const MarkStatus = {
  /** New bytes recorded. */
  NEW: 0,
  /** Nothing new: below the ack point or already received. */
  DUPLICATE: 1,
  /** Recorded up to the window edge; bytes beyond it were dropped. */
  CLIPPED: 2,
  /** Entirely at or beyond ack point + window: dropped. */
  BEYOND: 3,
  /** The out-of-order range set is full and this range needed a new slot: dropped. */
  REFUSED: 4,
  /** Length 0 or >= 2^31 (only reachable through a batch; the wrapper throws first). */
  INVALID: 5,
} as const;
export type MarkStatus = (typeof MarkStatus)[keyof typeof MarkStatus];

/** Result of onSend; RING_FULL and above mean the segment was not recorded. */
export const SendStatus = {
  NEW: 0,
  RETRANSMIT: 1,
  RING_FULL: 2,
  WINDOW_FULL: 3,
  /** Neither snd.nxt nor the exact start and length of an in-flight segment. */
  BAD_SEQ: 4,
  INVALID: 5,
} as const;
export type SendStatus = (typeof SendStatus)[keyof typeof SendStatus];

/** Peer-window word of an ack batch entry meaning "leave the send window unchanged". */
export const WINDOW_UNCHANGED = 0xffff_ffff;
/** Largest window: live sequence distances must stay below 2^31 for wrapping comparison. */
export const MAX_WINDOW = 0x7fff_ffff;
export const MAX_RANGES_LIMIT = 4096;
export const IN_FLIGHT_LIMIT = 65536;
export const CONNECTIONS_LIMIT = 1 << 20;

export interface WindowTableOptions {
  connections: number;
  /** Out-of-order ranges remembered per connection (default 32). */
  maxRanges?: number;
  /** In-flight segments tracked per connection (default 64). */
  inFlightCapacity?: number;
  /** Runtime whose memory holds the table (default: this thread's getRuntime()). */
  runtime?: KernelRuntime;
}

export interface OpenOptions {
  /** Next expected receive sequence (initial ack point). */
  receiveNext: number;
  /** Receive window span past the ack point, 0 .. 2^31 - 1. */
  receiveWindow: number;
  /** Initial send sequence (snd.una = snd.nxt). */
  sendNext: number;
  /** Send window (peer window or congestion window), 0 .. 2^31 - 1. */
  sendWindow: number;
  /** RFC 6298 bounds and clock granularity, ns (defaults 1 s, 60 s, 1 ms; initial RTO 1 s). */
  minRto?: number;
  maxRto?: number;
  granularity?: number;
  initialRto?: number;
}

export interface RttState {
  /** SRTT << 3 and RTTVAR << 2, ns (integers). */
  srtt8: number;
  rttvar4: number;
  /** Current RTO, backoff included, ns. */
  rto: number;
  /** Timeouts since the last RTT sample. */
  backoff: number;
  hasSample: boolean;
}

export interface WindowStats {
  marks: number;
  duplicates: number;
  refused: number;
  outsideWindow: number;
  invalid: number;
  bytesAccepted: number;
  ranges: number;
  segmentsInFlight: number;
  sackedBytes: number;
  ringFull: number;
  windowRefused: number;
  badSequence: number;
  duplicateAcks: number;
  staleAcks: number;
  retransmits: number;
  timeouts: number;
  rttSamples: number;
  badSack: number;
}

/** The operations both WindowTable (Wasm) and ReferenceWindowTable (plain TS) provide. */
export interface WindowOps {
  open(conn: number, options: OpenOptions): void;
  mark(conn: number, start: number, end: number): number;
  lastMarkStatus(conn: number): MarkStatus;
  ackPoint(conn: number): number;
  receiveWindow(conn: number): number;
  setReceiveWindow(conn: number, window: number): void;
  highestReceived(conn: number): number;
  holes(conn: number): Array<[number, number]>;
  sackBlocks(conn: number, max?: number, order?: "recent" | "sequence"): Array<[number, number]>;
  onSend(conn: number, seq: number, length: number, now: number): SendStatus;
  onAck(conn: number, ack: number, now: number, window?: number): number;
  onSack(conn: number, start: number, end: number): number;
  retransmitList(conn: number, max?: number): Array<[number, number]>;
  rttSample(conn: number, sample: number): number;
  onTimeout(conn: number): number;
  rto(conn: number): number;
  rttState(conn: number): RttState;
  sendUnacked(conn: number): number;
  sendNext(conn: number): number;
  sendWindow(conn: number): number;
  setSendWindow(conn: number, window: number): void;
  bytesInFlight(conn: number): number;
  stats(conn: number): WindowStats;
}

// Field offsets mirrored from assembly/window/window.ts (read-only peeks that need more of
// them live in window-peek.unsafe.ts, which imports WINDOW_LAYOUT).
const T_BAD_INDEX = 24;
const TABLE_HEADER = 64;
const R_NXT = 0;
const R_WND = 4;
const R_COUNT = 8;
const R_DUP = 16;
const R_REFUSED = 20;
const R_OUTSIDE = 24;
const R_INVALID = 28;
const R_BYTES = 32;
const R_MARKS = 36;
const R_LAST = 40;
const S_UNA = 64;
const S_NXT = 68;
const S_WND = 72;
const S_COUNT = 80;
const S_FLAGS = 88;
const S_BACKOFF = 92;
const S_RING_FULL = 96;
const S_WND_REFUSED = 100;
const S_BAD_SEQ = 104;
const S_DUP_ACKS = 108;
const S_STALE_ACKS = 112;
const S_RETRANSMITS = 116;
const S_TIMEOUTS = 120;
const S_RTT_SAMPLES = 124;
const S_SACKED_BYTES = 128;
const S_BAD_SACK = 132;
const S_SRTT8 = 136;
const S_RTTVAR4 = 144;
const S_RTO = 152;
const F_HAS_SAMPLE = 4;

/** Offsets and flags of the kernel's table, record and in-flight ring (assembly/window/window.ts). */
export const WINDOW_LAYOUT = {
  TABLE_HEADER,
  T_RING_CAP: 8,
  T_STRIDE: 12,
  T_RING_OFF: 20,
  R_COUNT,
  S_COUNT,
  S_HEAD: 76,
  S_HIGH_SACK: 84,
  S_FLAGS,
  S_SACKED_BYTES,
  F_HAS_SACK: 1,
  F_TIMED_OUT: 2,
  SEG_LEN: 4,
  SEG_FLAGS: 20,
  SEG_BYTES: 24,
  SEG_SACKED: 1,
} as const;

const NS_PER_S = 1_000_000_000;
export const DEFAULT_RTO = {
  minRto: NS_PER_S,
  maxRto: 60 * NS_PER_S,
  granularity: 1_000_000,
  initialRto: NS_PER_S,
} as const;

/** Validates open options (shared by the Wasm table and the reference). Returns RTO settings. */
export function checkOpenOptions(options: OpenOptions): {
  minRto: number;
  maxRto: number;
  granularity: number;
  initialRto: number;
} {
  checkInteger("receiveNext", options.receiveNext, 0, 0xffff_ffff);
  checkInteger("sendNext", options.sendNext, 0, 0xffff_ffff);
  checkWindow("receiveWindow", options.receiveWindow);
  checkWindow("sendWindow", options.sendWindow);
  const minRto = options.minRto ?? DEFAULT_RTO.minRto;
  const maxRto = options.maxRto ?? DEFAULT_RTO.maxRto;
  const granularity = options.granularity ?? DEFAULT_RTO.granularity;
  const initialRto = options.initialRto ?? DEFAULT_RTO.initialRto;
  checkInteger("minRto", minRto, 0, Number.MAX_SAFE_INTEGER);
  checkInteger("maxRto", maxRto, Math.max(minRto, 1), 2 ** 52);
  checkInteger("granularity", granularity, 0, 2 ** 52);
  checkInteger("initialRto", initialRto, minRto, maxRto);
  return { minRto, maxRto, granularity, initialRto };
}

export function checkWindow(name: string, window: number): void {
  if (!Number.isInteger(window) || window < 0 || window > MAX_WINDOW) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `${String(window)} is not a window size (0 .. 2^31 - 1: wrapping comparison needs live distances below 2^31)`,
      { path: name },
    );
  }
}

/** Length of [start, end) modulo 2^32; throws unless it is in [1, 2^31). */
export function rangeLength(name: string, start: number, end: number): number {
  checkInteger(`${name}.start`, start, 0, 0xffff_ffff);
  checkInteger(`${name}.end`, end, 0, 0xffff_ffff);
  const len = (end - start) >>> 0;
  if (len === 0 || len > MAX_WINDOW) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `[${start}, ${end}) has length ${len}; a range must hold 1 .. 2^31 - 1 sequence numbers`,
      { path: name },
    );
  }
  return len;
}

export function checkSegmentLength(name: string, length: number): void {
  if (!Number.isInteger(length) || length <= 0 || length > MAX_WINDOW) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(length)} is not a segment length (1 .. 2^31 - 1)`, {
      path: name,
    });
  }
}

export function checkTime(name: string, now: number): void {
  checkInteger(name, now, 0, Number.MAX_SAFE_INTEGER);
}

export class WindowTable implements WindowOps {
  readonly runtime: KernelRuntime;
  readonly connections: number;
  readonly maxRanges: number;
  readonly inFlightCapacity: number;
  private ptrValue: number;
  private readonly stride: number;
  private readonly out: number;
  private readonly opened: Uint8Array;
  private readonly k: KernelExports;

  private constructor(rt: KernelRuntime, connections: number, maxRanges: number, ring: number) {
    const k = rt.exports;
    const bytes = k.windowTableBytes(connections, maxRanges, ring);
    if (bytes === 0) {
      throw new NetloomError(
        ErrorCode.OUT_OF_MEMORY,
        `a window table of ${connections} connections does not fit 4 GiB`,
        {
          path: "connections",
        },
      );
    }
    const ptr = rt.heap.alloc(bytes);
    let out: number;
    try {
      out = rt.heap.alloc(Math.max(maxRanges, ring) * 8);
    } catch (e) {
      rt.heap.free(ptr);
      throw e;
    }
    this.stride = k.windowTableInit(ptr, connections, maxRanges, ring);
    this.runtime = rt;
    this.k = k;
    this.connections = connections;
    this.maxRanges = maxRanges;
    this.inFlightCapacity = ring;
    this.ptrValue = ptr;
    this.out = out;
    this.opened = new Uint8Array(connections);
  }

  /** Allocates a table of closed connections; open() each before use. */
  static create(options: WindowTableOptions): WindowTable {
    checkInteger("connections", options.connections, 1, CONNECTIONS_LIMIT);
    const maxRanges = options.maxRanges ?? 32;
    const ring = options.inFlightCapacity ?? 64;
    checkInteger("maxRanges", maxRanges, 1, MAX_RANGES_LIMIT);
    checkInteger("inFlightCapacity", ring, 1, IN_FLIGHT_LIMIT);
    return new WindowTable(options.runtime ?? getRuntime(), options.connections, maxRanges, ring);
  }

  /** Byte offset of the table in linear memory (for batch vectors built elsewhere). */
  get ptr(): number {
    if (this.ptrValue === 0) throw new NetloomError(ErrorCode.USE_AFTER_FREE, "this window table was freed");
    return this.ptrValue;
  }

  /** Releases the table's heap regions. */
  free(): void {
    const ptr = this.ptr;
    this.runtime.heap.free(ptr);
    this.runtime.heap.free(this.out);
    this.ptrValue = 0;
  }

  /** Opens (or re-opens, resetting every field and counter) connection `conn`. */
  open(conn: number, options: OpenOptions): void {
    const t = this.ptr;
    this.checkIndex(conn);
    const rto = checkOpenOptions(options);
    this.k.windowOpen(
      t,
      conn,
      options.receiveNext >>> 0,
      options.receiveWindow,
      options.sendNext >>> 0,
      options.sendWindow,
    );
    this.k.windowConfigRto(t, conn, rto.minRto, rto.maxRto, rto.granularity, rto.initialRto);
    this.opened[conn] = 1;
  }

  /** Closes connection `conn`: its record is zeroed and it must be opened again before use. */
  reset(conn: number): void {
    const t = this.ptr;
    this.checkIndex(conn);
    this.k.windowOpen(t, conn, 0, 0, 0, 0);
    this.opened[conn] = 0;
  }

  isOpen(conn: number): boolean {
    this.checkIndex(conn);
    return this.opened[conn] === 1;
  }

  // --- receive ---

  /** Records received [start, end); returns the new ack point. See lastMarkStatus(). */
  mark(conn: number, start: number, end: number): number {
    this.conn(conn);
    const len = rangeLength("range", start, end);
    return this.k.windowMark(this.ptrValue, conn, start, len) >>> 0;
  }

  lastMarkStatus(conn: number): MarkStatus {
    return this.u32(this.conn(conn) + R_LAST) as MarkStatus;
  }

  ackPoint(conn: number): number {
    return this.u32(this.conn(conn) + R_NXT);
  }

  receiveWindow(conn: number): number {
    return this.u32(this.conn(conn) + R_WND);
  }

  setReceiveWindow(conn: number, window: number): void {
    this.conn(conn);
    checkWindow("window", window);
    this.k.windowSetReceiveWindow(this.ptrValue, conn, window);
  }

  /** One past the highest received sequence number. */
  highestReceived(conn: number): number {
    this.conn(conn);
    return this.k.windowHighestReceived(this.ptrValue, conn) >>> 0;
  }

  /** Missing ranges between the ack point and the highest received byte, in order (for NAKs). */
  holes(conn: number): Array<[number, number]> {
    this.conn(conn);
    const n = this.k.windowHoles(this.ptrValue, conn, this.out, this.maxRanges);
    return this.pairs(n);
  }

  /**
   * Received out-of-order ranges, at most `max`: "recent" puts the most recently extended range
   * first (RFC 2018 SACK order), "sequence" lists them in sequence order.
   */
  sackBlocks(
    conn: number,
    max: number = this.maxRanges,
    order: "recent" | "sequence" = "recent",
  ): Array<[number, number]> {
    this.conn(conn);
    checkInteger("max", max, 0, this.maxRanges);
    const n = this.k.windowRanges(this.ptrValue, conn, this.out, max, order === "recent" ? 1 : 0);
    return this.pairs(n);
  }

  /**
   * Marks a batch of received segments; the vector lives in linear memory (see the contract).
   * Returns the number of entries that lost bytes (clipped, beyond the window, refused, invalid,
   * or a bad connection index); duplicates are not losses.
   */
  markBatch(vec: number, count: number): number {
    const t = this.ptr;
    this.checkVector(vec, count);
    return this.k.windowMarkBatch(t, vec, count);
  }

  // --- send ---

  /** Records a new segment at snd.nxt or the retransmission of an in-flight one. */
  onSend(conn: number, seq: number, length: number, now: number): SendStatus {
    this.conn(conn);
    checkInteger("seq", seq, 0, 0xffff_ffff);
    checkSegmentLength("length", length);
    checkTime("now", now);
    return this.k.windowOnSend(this.ptrValue, conn, seq, length, now) as SendStatus;
  }

  /** Cumulative ack; `window` (optional) is the peer's window. Returns bytes newly acked. */
  onAck(conn: number, ack: number, now: number, window?: number): number {
    this.conn(conn);
    checkInteger("ack", ack, 0, 0xffff_ffff);
    checkTime("now", now);
    if (window !== undefined) checkWindow("window", window);
    return this.k.windowOnAck(this.ptrValue, conn, ack, window ?? WINDOW_UNCHANGED, now) >>> 0;
  }

  /** SACK block [start, end): marks in-flight segments wholly inside it. Returns bytes newly SACKed. */
  onSack(conn: number, start: number, end: number): number {
    this.conn(conn);
    const len = rangeLength("block", start, end);
    return this.k.windowOnSack(this.ptrValue, conn, start, len) >>> 0;
  }

  /**
   * Segments to retransmit as [seq, length]: after a timeout every un-SACKed segment in flight,
   * otherwise the un-SACKed segments below the highest SACKed sequence number.
   */
  retransmitList(conn: number, max: number = this.inFlightCapacity): Array<[number, number]> {
    this.conn(conn);
    checkInteger("max", max, 0, this.inFlightCapacity);
    return this.pairs(this.k.windowRetransmitList(this.ptrValue, conn, this.out, max));
  }

  /** Feeds an RTT measurement (ns) to the RFC 6298 estimator; returns the new RTO. */
  rttSample(conn: number, sample: number): number {
    this.conn(conn);
    checkTime("sample", sample);
    return this.k.windowRttSample(this.ptrValue, conn, sample);
  }

  /** The retransmission timer fired: backs the RTO off (doubling, clamped). Returns the new RTO. */
  onTimeout(conn: number): number {
    this.conn(conn);
    return this.k.windowOnTimeout(this.ptrValue, conn);
  }

  rto(conn: number): number {
    this.conn(conn);
    return this.k.windowRto(this.ptrValue, conn);
  }

  rttState(conn: number): RttState {
    const c = this.conn(conn);
    return {
      srtt8: this.i64(c + S_SRTT8),
      rttvar4: this.i64(c + S_RTTVAR4),
      rto: this.i64(c + S_RTO),
      backoff: this.u32(c + S_BACKOFF),
      hasSample: (this.u32(c + S_FLAGS) & F_HAS_SAMPLE) !== 0,
    };
  }

  sendUnacked(conn: number): number {
    return this.u32(this.conn(conn) + S_UNA);
  }

  sendNext(conn: number): number {
    return this.u32(this.conn(conn) + S_NXT);
  }

  sendWindow(conn: number): number {
    return this.u32(this.conn(conn) + S_WND);
  }

  setSendWindow(conn: number, window: number): void {
    this.conn(conn);
    checkWindow("window", window);
    this.k.windowSetSendWindow(this.ptrValue, conn, window);
  }

  /** snd.nxt - snd.una. */
  bytesInFlight(conn: number): number {
    const c = this.conn(conn);
    return (this.u32(c + S_NXT) - this.u32(c + S_UNA)) >>> 0;
  }

  /** Records a batch of sent segments (vector in linear memory); returns entries not recorded. */
  sendBatch(vec: number, count: number, now: number): number {
    const t = this.ptr;
    this.checkVector(vec, count);
    checkTime("now", now);
    return this.k.windowSendBatch(t, vec, count, now);
  }

  /** Processes a batch of acks at one time `now`; returns entries refused (stale or bad index). */
  ackBatch(vec: number, count: number, now: number): number {
    const t = this.ptr;
    this.checkVector(vec, count);
    checkTime("now", now);
    return this.k.windowAckBatch(t, vec, count, now);
  }

  // --- stats ---

  stats(conn: number): WindowStats {
    const c = this.conn(conn);
    return {
      marks: this.u32(c + R_MARKS),
      duplicates: this.u32(c + R_DUP),
      refused: this.u32(c + R_REFUSED),
      outsideWindow: this.u32(c + R_OUTSIDE),
      invalid: this.u32(c + R_INVALID),
      bytesAccepted: this.u32(c + R_BYTES),
      ranges: this.u32(c + R_COUNT),
      segmentsInFlight: this.u32(c + S_COUNT),
      sackedBytes: this.u32(c + S_SACKED_BYTES),
      ringFull: this.u32(c + S_RING_FULL),
      windowRefused: this.u32(c + S_WND_REFUSED),
      badSequence: this.u32(c + S_BAD_SEQ),
      duplicateAcks: this.u32(c + S_DUP_ACKS),
      staleAcks: this.u32(c + S_STALE_ACKS),
      retransmits: this.u32(c + S_RETRANSMITS),
      timeouts: this.u32(c + S_TIMEOUTS),
      rttSamples: this.u32(c + S_RTT_SAMPLES),
      badSack: this.u32(c + S_BAD_SACK),
    };
  }

  /** Batch entries (all batch kinds) that named a connection index outside the table. */
  badIndexCount(): number {
    return this.u32(this.ptr + T_BAD_INDEX);
  }

  // --- internals ---

  private checkIndex(conn: number): void {
    if (!Number.isInteger(conn) || conn < 0 || conn >= this.connections) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(conn)} is not a connection index of this table (0 .. ${this.connections - 1})`,
        { path: "conn" },
      );
    }
  }

  /** Validates `conn` (in range, open, table live) and returns its record's address. */
  private conn(conn: number): number {
    const t = this.ptr;
    this.checkIndex(conn);
    if (this.opened[conn] !== 1) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `connection ${conn} is not open`, { path: "conn" });
    }
    return t + TABLE_HEADER + conn * this.stride;
  }

  private checkVector(vec: number, count: number): void {
    checkInteger("count", count, 0, 1 << 24);
    this.runtime.checkRange("vec", vec, count * FRAME_VEC_STRIDE);
    if (vec % 4 !== 0) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${vec} is not 4-byte aligned`, { path: "vec" });
    }
  }

  private u32(addr: number): number {
    return this.runtime.u32[addr >>> 2]! >>> 0;
  }

  private i64(addr: number): number {
    return Number(this.runtime.view.getBigInt64(addr, true));
  }

  private pairs(n: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    const w = this.out >>> 2;
    for (let i = 0; i < n; i++) out.push([this.runtime.u32[w + 2 * i]! >>> 0, this.runtime.u32[w + 2 * i + 1]! >>> 0]);
    return out;
  }
}

type KernelExports = KernelRuntime["exports"];
