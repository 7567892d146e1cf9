// Send and receive windows over 32-bit wrapping sequence numbers, and RFC 6298 RTO.
//
// Contract:
// - State lives in a "window table" the TypeScript side allocates (windowTableBytes) and
//   initialises (windowTableInit): N connection records at a fixed stride, addressed by index,
//   so batch calls carry a connection index per entry (layout at "table header" below).
//   Kernels never allocate and never throw: a bad connection index, a zero or >= 2^31 length, a
//   full range set or a full ring is refused, counted, and reported by a status code.
// - Receive side: the ack point (rcv.nxt), the window size, and up to maxRanges out-of-order
//   ranges beyond the ack point, kept sorted, disjoint and non-adjacent (merged). When the
//   range set is full, a range that would need a new slot is refused (MARK_REFUSED, counted);
//   the sender will resend it. Bytes below the ack point are duplicates; bytes at or beyond
//   ack + window are dropped (MARK_CLIPPED when some bytes were kept, MARK_BEYOND when none).
// - Send side: snd.una, snd.nxt, the send window, and a ring of in-flight segments in sequence
//   order (seq, len, time sent, retransmission count, sacked flag). A cumulative ack trims a
//   partially acked segment, so the ring always covers exactly [snd.una, snd.nxt).
// - RTT/RTO: RFC 6298 in integer nanoseconds, SRTT scaled by 8 and RTTVAR by 4 (the BSD and
//   Linux representation). An RTT sample is taken on an ack only from the highest fully acked
//   segment, and only if it was never retransmitted (Karn's rule, RFC 6298 section 3).
// - Times cross the JS boundary as f64 nanoseconds (exact integers) and are i64 inside.
// - Not handled here: congestion control (the caller sets the send window), segmentation,
//   receive buffer consumption by an application (the window is a span past the ack point).

import { seqLt, seqLeq, seqGt, seqGeq } from "./seq";
import { FRAME_VEC_PTR, FRAME_VEC_LEN, FRAME_VEC_ARG, FRAME_VEC_OUT, FRAME_VEC_STRIDE } from "../abi";

// --- table header ---
// Table layout (little-endian); src/kernels/window.ts mirrors these offsets to read fields:
//
//   table +0   T_CONNS      number of connections       +4  T_MAX_RANGES
//         +8   T_RING_CAP   in-flight segment slots      +12 T_STRIDE (bytes per connection)
//         +16  T_RANGES_OFF offset of the range array    +20 T_RING_OFF offset of the ring
//         +24  T_BAD_INDEX  calls with a bad connection  +28 T_MAGIC
//         +64  connection 0, +64 + stride connection 1, ...
//
//   connection +0 .. +191: scalar fields (R_*, S_* below)
//         +T_RANGES_OFF: maxRanges x 12 bytes {start, end, stamp}
//         +T_RING_OFF:   ringCap x 24 bytes {seq, len, sentTime i64, retx, flags}
const T_CONNS: usize = 0;
const T_MAX_RANGES: usize = 4;
const T_RING_CAP: usize = 8;
const T_STRIDE: usize = 12;
const T_RANGES_OFF: usize = 16;
const T_RING_OFF: usize = 20;
const T_BAD_INDEX: usize = 24;
const T_MAGIC: usize = 28;
const TABLE_HEADER: usize = 64;
const TABLE_MAGIC: u32 = 0x4e57_4c4e; // "NLWN"

// --- connection: receive side ---
const R_NXT: usize = 0;
const R_WND: usize = 4;
const R_COUNT: usize = 8;
const R_STAMP: usize = 12;
const R_DUP: usize = 16;
const R_REFUSED: usize = 20;
const R_OUTSIDE: usize = 24;
const R_INVALID: usize = 28;
const R_BYTES: usize = 32;
const R_MARKS: usize = 36;
const R_LAST: usize = 40;
// --- connection: send side ---
const S_UNA: usize = 64;
const S_NXT: usize = 68;
const S_WND: usize = 72;
const S_HEAD: usize = 76;
const S_COUNT: usize = 80;
const S_HIGH_SACK: usize = 84;
const S_FLAGS: usize = 88;
const S_BACKOFF: usize = 92;
const S_RING_FULL: usize = 96;
const S_WND_REFUSED: usize = 100;
const S_BAD_SEQ: usize = 104;
const S_DUP_ACKS: usize = 108;
const S_STALE_ACKS: usize = 112;
const S_RETRANSMITS: usize = 116;
const S_TIMEOUTS: usize = 120;
const S_RTT_SAMPLES: usize = 124;
const S_SACKED_BYTES: usize = 128;
const S_BAD_SACK: usize = 132;
const S_SRTT8: usize = 136;
const S_RTTVAR4: usize = 144;
const S_RTO: usize = 152;
const S_MIN_RTO: usize = 160;
const S_MAX_RTO: usize = 168;
const S_GRANULARITY: usize = 176;
const S_INIT_RTO: usize = 184;
const CONN_HEADER: usize = 192;

const F_HAS_SACK: u32 = 1;
const F_TIMED_OUT: u32 = 2;
const F_HAS_SAMPLE: u32 = 4;

const RANGE_BYTES: usize = 12;
const SEG_SEQ: usize = 0;
const SEG_LEN: usize = 4;
const SEG_TIME: usize = 8;
const SEG_RETX: usize = 16;
const SEG_FLAGS: usize = 20;
const SEG_BYTES: usize = 24;
const SEG_SACKED: u32 = 1;

// Mark statuses (R_LAST; single-call result via the wrapper). >= MARK_CLIPPED lost bytes.
export const MARK_NEW: u32 = 0;
export const MARK_DUPLICATE: u32 = 1;
export const MARK_CLIPPED: u32 = 2;
export const MARK_BEYOND: u32 = 3;
export const MARK_REFUSED: u32 = 4;
export const MARK_INVALID: u32 = 5;

// Send statuses. >= SEND_RING_FULL means the segment was not recorded.
export const SEND_NEW: u32 = 0;
export const SEND_RETRANSMIT: u32 = 1;
export const SEND_RING_FULL: u32 = 2;
export const SEND_WINDOW_FULL: u32 = 3;
export const SEND_BAD_SEQ: u32 = 4;
export const SEND_INVALID: u32 = 5;

/** Marker in an ack entry's len word: leave the send window unchanged. */
const WINDOW_UNCHANGED: u32 = 0xffff_ffff;
const MAX_LEN: u32 = 0x7fff_ffff;

// Defaults per RFC 6298: initial RTO 1 s, minimum 1 s, maximum 60 s (section 2.4-2.5).
const NS_PER_S: i64 = 1_000_000_000;
const DEFAULT_GRANULARITY: i64 = 1_000_000;

// ---------------------------------------------------------------------------------------------
// Layout

/** Bytes of one connection record, rounded to a 64-byte line. */
// @ts-ignore: decorator
@inline function strideOf(maxRanges: u32, ringCap: u32): u64 {
  const ring = ringOffOf(maxRanges);
  const bytes = <u64>ring + <u64>ringCap * SEG_BYTES;
  return (bytes + 63) & ~(<u64>63);
}

// @ts-ignore: decorator
@inline function ringOffOf(maxRanges: u32): u32 {
  return (<u32>CONN_HEADER + maxRanges * <u32>RANGE_BYTES + 7) & ~7;
}

/** Bytes a table needs, or 0 when the parameters are out of range or it would not fit 2^32. */
export function windowTableBytes(connections: u32, maxRanges: u32, ringCap: u32): u32 {
  if (connections == 0 || maxRanges == 0 || maxRanges > 4096 || ringCap == 0 || ringCap > 1 << 20) return 0;
  const total = <u64>TABLE_HEADER + strideOf(maxRanges, ringCap) * <u64>connections;
  return total >= 0xffff_0000 ? 0 : <u32>total;
}

/** Writes the table header and zeroes every connection (all closed). Returns the stride. */
export function windowTableInit(table: usize, connections: u32, maxRanges: u32, ringCap: u32): u32 {
  const bytes = windowTableBytes(connections, maxRanges, ringCap);
  if (bytes == 0) return 0;
  memory.fill(table, 0, bytes);
  const stride = <u32>strideOf(maxRanges, ringCap);
  store<u32>(table + T_CONNS, connections);
  store<u32>(table + T_MAX_RANGES, maxRanges);
  store<u32>(table + T_RING_CAP, ringCap);
  store<u32>(table + T_STRIDE, stride);
  store<u32>(table + T_RANGES_OFF, <u32>CONN_HEADER);
  store<u32>(table + T_RING_OFF, ringOffOf(maxRanges));
  store<u32>(table + T_MAGIC, TABLE_MAGIC);
  return stride;
}

/** Address of connection `index`, or 0 (and the bad-index counter bumped) when out of range. */
// @ts-ignore: decorator
@inline function connAt(table: usize, index: u32): usize {
  if (index >= load<u32>(table + T_CONNS)) {
    store<u32>(table + T_BAD_INDEX, load<u32>(table + T_BAD_INDEX) + 1);
    return 0;
  }
  return table + TABLE_HEADER + <usize>index * <usize>load<u32>(table + T_STRIDE);
}

// @ts-ignore: decorator
@inline function bump(c: usize, field: usize): void {
  store<u32>(c + field, load<u32>(c + field) + 1);
}

/**
 * Opens (or re-opens) connection `index`: zeroes its record, sets the receive ack point and
 * window, the send sequence (snd.una = snd.nxt = iss) and window, and RFC 6298 defaults
 * (RTO 1 s, min 1 s, max 60 s, G 1 ms). Returns 1, or 0 for a bad index.
 */
export function windowOpen(table: usize, index: u32, rcvNxt: u32, rcvWnd: u32, iss: u32, sndWnd: u32): u32 {
  const c = connAt(table, index);
  if (c == 0) return 0;
  memory.fill(c, 0, <usize>load<u32>(table + T_STRIDE));
  store<u32>(c + R_NXT, rcvNxt);
  store<u32>(c + R_WND, rcvWnd > MAX_LEN ? MAX_LEN : rcvWnd);
  store<u32>(c + S_UNA, iss);
  store<u32>(c + S_NXT, iss);
  store<u32>(c + S_WND, sndWnd > MAX_LEN ? MAX_LEN : sndWnd);
  store<i64>(c + S_MIN_RTO, NS_PER_S);
  store<i64>(c + S_MAX_RTO, 60 * NS_PER_S);
  store<i64>(c + S_GRANULARITY, DEFAULT_GRANULARITY);
  store<i64>(c + S_INIT_RTO, NS_PER_S);
  store<i64>(c + S_RTO, NS_PER_S);
  return 1;
}

/** Sets RTO bounds, clock granularity G and the initial RTO (ns). Resets RTT state. */
export function windowConfigRto(table: usize, index: u32, minRto: f64, maxRto: f64, granularity: f64, initRto: f64): u32 {
  const c = connAt(table, index);
  if (c == 0) return 0;
  const lo = <i64>minRto;
  const hi = <i64>maxRto;
  let init = <i64>initRto;
  if (init < lo) init = lo;
  if (init > hi) init = hi;
  store<i64>(c + S_MIN_RTO, lo);
  store<i64>(c + S_MAX_RTO, hi);
  store<i64>(c + S_GRANULARITY, <i64>granularity);
  store<i64>(c + S_INIT_RTO, init);
  store<i64>(c + S_RTO, init);
  store<i64>(c + S_SRTT8, 0);
  store<i64>(c + S_RTTVAR4, 0);
  store<u32>(c + S_BACKOFF, 0);
  store<u32>(c + S_FLAGS, load<u32>(c + S_FLAGS) & ~F_HAS_SAMPLE);
  return 1;
}

export function windowSetReceiveWindow(table: usize, index: u32, wnd: u32): u32 {
  const c = connAt(table, index);
  if (c == 0) return 0;
  store<u32>(c + R_WND, wnd > MAX_LEN ? MAX_LEN : wnd);
  return 1;
}

export function windowSetSendWindow(table: usize, index: u32, wnd: u32): u32 {
  const c = connAt(table, index);
  if (c == 0) return 0;
  store<u32>(c + S_WND, wnd > MAX_LEN ? MAX_LEN : wnd);
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Receive window

// @ts-ignore: decorator
@inline function removeRanges(ranges: usize, from: u32, n: u32, count: u32): void {
  // Ranges [from, from + n) leave; the tail moves down.
  if (n == 0) return;
  memory.copy(
    ranges + <usize>from * RANGE_BYTES,
    ranges + <usize>(from + n) * RANGE_BYTES,
    <usize>(count - from - n) * RANGE_BYTES,
  );
}

/** Records [start, start + len) on connection c; returns the status, ack in R_NXT. */
function markCore(table: usize, c: usize, start: u32, len: u32): u32 {
  const stamp = load<u32>(c + R_STAMP) + 1;
  store<u32>(c + R_STAMP, stamp);
  store<u32>(c + R_MARKS, load<u32>(c + R_MARKS) + 1);
  if (len - 1 >= MAX_LEN) {
    // len == 0 (wraps to 0xffffffff) or len >= 2^31
    bump(c, R_INVALID);
    return MARK_INVALID;
  }
  const nxt = load<u32>(c + R_NXT);
  const wnd = <i64>load<u32>(c + R_WND);
  let s = <i64><i32>(start - nxt);
  let e = s + <i64>len;
  if (e <= 0) {
    bump(c, R_DUP);
    return MARK_DUPLICATE;
  }
  if (s < 0) s = 0;
  if (s >= wnd) {
    bump(c, R_OUTSIDE);
    return MARK_BEYOND;
  }
  let status = MARK_NEW;
  if (e > wnd) {
    e = wnd;
    bump(c, R_OUTSIDE);
    status = MARK_CLIPPED;
  }
  const so = <u32>s;
  const eo = <u32>e;
  const count = load<u32>(c + R_COUNT);
  if (so == 0 && count == 0) {
    // In-order fast path: the common case of a transport without loss.
    store<u32>(c + R_NXT, nxt + eo);
    store<u32>(c + R_BYTES, load<u32>(c + R_BYTES) + eo);
    return status;
  }
  const ranges = c + <usize>load<u32>(table + T_RANGES_OFF);
  if (so == 0) {
    // The gap at the ack point fills: absorb every range that now touches the ack.
    let ack = eo;
    let absorbed: u32 = 0;
    let k: u32 = 0;
    while (k < count) {
      const r = ranges + <usize>k * RANGE_BYTES;
      const rs = load<u32>(r) - nxt;
      if (rs > ack) break;
      const re = load<u32>(r, 4) - nxt;
      absorbed += re - rs;
      if (re > ack) ack = re;
      k++;
    }
    removeRanges(ranges, 0, k, count);
    store<u32>(c + R_COUNT, count - k);
    store<u32>(c + R_NXT, nxt + ack);
    store<u32>(c + R_BYTES, load<u32>(c + R_BYTES) + (ack - absorbed));
    return status;
  }
  // First range whose end reaches the new start, and one past the last range whose start
  // reaches the new end: ranges [i, j) touch or overlap the new range.
  let i: u32 = 0;
  while (i < count && load<u32>(ranges + <usize>i * RANGE_BYTES, 4) - nxt < so) i++;
  let j = i;
  let covered: u32 = 0;
  while (j < count) {
    const r = ranges + <usize>j * RANGE_BYTES;
    const rs = load<u32>(r) - nxt;
    if (rs > eo) break;
    covered += load<u32>(r, 4) - nxt - rs;
    j++;
  }
  if (i == j) {
    if (count >= load<u32>(table + T_MAX_RANGES)) {
      bump(c, R_REFUSED);
      return MARK_REFUSED;
    }
    const at = ranges + <usize>i * RANGE_BYTES;
    memory.copy(at + RANGE_BYTES, at, <usize>(count - i) * RANGE_BYTES);
    store<u32>(at, nxt + so);
    store<u32>(at, nxt + eo, 4);
    store<u32>(at, stamp, 8);
    store<u32>(c + R_COUNT, count + 1);
    store<u32>(c + R_BYTES, load<u32>(c + R_BYTES) + (eo - so));
    return status;
  }
  const first = ranges + <usize>i * RANGE_BYTES;
  const fs = load<u32>(first) - nxt;
  const le = load<u32>(ranges + <usize>(j - 1) * RANGE_BYTES, 4) - nxt;
  const ns = fs < so ? fs : so;
  const ne = le > eo ? le : eo;
  store<u32>(first, nxt + ns);
  store<u32>(first, nxt + ne, 4);
  store<u32>(first, stamp, 8);
  removeRanges(ranges, i + 1, j - i - 1, count);
  store<u32>(c + R_COUNT, count - (j - i - 1));
  const fresh = ne - ns - covered;
  store<u32>(c + R_BYTES, load<u32>(c + R_BYTES) + fresh);
  if (fresh == 0 && status == MARK_NEW) {
    bump(c, R_DUP);
    return MARK_DUPLICATE;
  }
  return status;
}

/** Records the received range [start, start + len); returns the new ack point (0 for a bad index). */
export function windowMark(table: usize, index: u32, start: u32, len: u32): u32 {
  const c = connAt(table, index);
  if (c == 0) return 0;
  store<u32>(c + R_LAST, markCore(table, c, start, len));
  return load<u32>(c + R_NXT);
}

/**
 * Batch mark. Entry: ptr = first sequence number, len = length, arg = connection index;
 * the kernel writes out = the connection's ack point after the entry (unchanged for a bad
 * index). Returns the number of entries that lost bytes (clipped, beyond the window, refused,
 * invalid or a bad index); duplicates are not losses. Reasons are in the per-connection counters.
 */
export function windowMarkBatch(table: usize, vec: usize, count: u32): u32 {
  let lost: u32 = 0;
  const conns = load<u32>(table + T_CONNS);
  const stride = <usize>load<u32>(table + T_STRIDE);
  const base = table + TABLE_HEADER;
  for (let k: u32 = 0; k < count; k++) {
    const v = vec + <usize>k * FRAME_VEC_STRIDE;
    const index = load<u32>(v + FRAME_VEC_ARG);
    if (index >= conns) {
      store<u32>(table + T_BAD_INDEX, load<u32>(table + T_BAD_INDEX) + 1);
      lost++;
      continue;
    }
    const c = base + <usize>index * stride;
    const status = markCore(table, c, load<u32>(v + FRAME_VEC_PTR), load<u32>(v + FRAME_VEC_LEN));
    store<u32>(c + R_LAST, status);
    lost += <u32>(status >= MARK_CLIPPED);
    store<u32>(v + FRAME_VEC_OUT, load<u32>(c + R_NXT));
  }
  return lost;
}

/**
 * Writes the missing ranges between the ack point and the highest received byte as
 * {start, end} word pairs at out (at most max pairs, in sequence order). Returns pairs written.
 */
export function windowHoles(table: usize, index: u32, out: usize, max: u32): u32 {
  const c = connAt(table, index);
  if (c == 0) return 0;
  const count = load<u32>(c + R_COUNT);
  const ranges = c + <usize>load<u32>(table + T_RANGES_OFF);
  let prev = load<u32>(c + R_NXT);
  const n = count < max ? count : max;
  for (let k: u32 = 0; k < n; k++) {
    const r = ranges + <usize>k * RANGE_BYTES;
    store<u32>(out + <usize>k * 8, prev);
    store<u32>(out + <usize>k * 8, load<u32>(r), 4);
    prev = load<u32>(r, 4);
  }
  return n;
}

/**
 * Writes the received out-of-order ranges as {start, end} pairs: in sequence order when
 * recentFirst is 0; otherwise most recently extended first (RFC 2018 section 4: the first
 * SACK block holds the segment that triggered the ack). Returns pairs written (<= max).
 */
export function windowRanges(table: usize, index: u32, out: usize, max: u32, recentFirst: u32): u32 {
  const c = connAt(table, index);
  if (c == 0) return 0;
  const count = load<u32>(c + R_COUNT);
  const ranges = c + <usize>load<u32>(table + T_RANGES_OFF);
  const n = count < max ? count : max;
  if (recentFirst == 0) {
    for (let k: u32 = 0; k < n; k++) {
      const r = ranges + <usize>k * RANGE_BYTES;
      store<u32>(out + <usize>k * 8, load<u32>(r));
      store<u32>(out + <usize>k * 8, load<u32>(r, 4), 4);
    }
    return n;
  }
  // Selection by stamp, newest first; stamps are unique among live ranges and compared as
  // wrapping counters relative to the connection's current stamp.
  const now = load<u32>(c + R_STAMP);
  let bound: u32 = 0xffff_ffff; // age strictly greater than the last one emitted; start: none
  let started = false;
  for (let k: u32 = 0; k < n; k++) {
    let best: u32 = 0xffff_ffff;
    let bestAt: usize = 0;
    for (let q: u32 = 0; q < count; q++) {
      const r = ranges + <usize>q * RANGE_BYTES;
      const age = now - load<u32>(r, 8);
      if ((!started || age > bound) && (bestAt == 0 || age < best)) {
        best = age;
        bestAt = r;
      }
    }
    store<u32>(out + <usize>k * 8, load<u32>(bestAt));
    store<u32>(out + <usize>k * 8, load<u32>(bestAt, 4), 4);
    bound = best;
    started = true;
  }
  return n;
}

/** One past the highest received sequence number (the ack point when nothing is out of order). */
export function windowHighestReceived(table: usize, index: u32): u32 {
  const c = connAt(table, index);
  if (c == 0) return 0;
  const count = load<u32>(c + R_COUNT);
  if (count == 0) return load<u32>(c + R_NXT);
  return load<u32>(c + <usize>load<u32>(table + T_RANGES_OFF) + <usize>(count - 1) * RANGE_BYTES, 4);
}

// ---------------------------------------------------------------------------------------------
// RTT / RTO (RFC 6298 section 2, integer form with SRTT << 3 and RTTVAR << 2)

function rttSampleCore(c: usize, sample: i64): void {
  let r = sample < 0 ? 0 : sample;
  let srtt8: i64;
  let rttvar4: i64;
  const flags = load<u32>(c + S_FLAGS);
  if ((flags & F_HAS_SAMPLE) == 0) {
    // RFC 6298 2.2: SRTT = R, RTTVAR = R/2.
    srtt8 = r << 3;
    rttvar4 = r << 1;
    store<u32>(c + S_FLAGS, flags | F_HAS_SAMPLE);
  } else {
    // RFC 6298 2.3: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R| (with the old SRTT), then
    // SRTT = 7/8 SRTT + 1/8 R. Scaled: RTTVAR4 += |err| - RTTVAR4/4; SRTT8 += R - SRTT8/8.
    srtt8 = load<i64>(c + S_SRTT8);
    rttvar4 = load<i64>(c + S_RTTVAR4);
    let err = r - (srtt8 >> 3);
    if (err < 0) err = -err;
    rttvar4 = rttvar4 - (rttvar4 >> 2) + err;
    srtt8 = srtt8 - (srtt8 >> 3) + r;
  }
  store<i64>(c + S_SRTT8, srtt8);
  store<i64>(c + S_RTTVAR4, rttvar4);
  // RFC 6298 2.2/2.3: RTO = SRTT + max(G, 4 RTTVAR), then 2.4/2.5 clamps.
  const g = load<i64>(c + S_GRANULARITY);
  let rto = (srtt8 >> 3) + (rttvar4 > g ? rttvar4 : g);
  const lo = load<i64>(c + S_MIN_RTO);
  const hi = load<i64>(c + S_MAX_RTO);
  if (rto < lo) rto = lo;
  if (rto > hi) rto = hi;
  store<i64>(c + S_RTO, rto);
  store<u32>(c + S_BACKOFF, 0);
  bump(c, S_RTT_SAMPLES);
}

/** Feeds one RTT measurement (ns) into the estimator; returns the new RTO (ns). */
export function windowRttSample(table: usize, index: u32, sample: f64): f64 {
  const c = connAt(table, index);
  if (c == 0) return 0;
  rttSampleCore(c, <i64>sample);
  return <f64>load<i64>(c + S_RTO);
}

/**
 * The retransmission timer fired: RTO doubles (RFC 6298 5.5), clamped to the maximum, and
 * every un-SACKed in-flight segment becomes eligible for retransmission. Returns the new RTO.
 */
export function windowOnTimeout(table: usize, index: u32): f64 {
  const c = connAt(table, index);
  if (c == 0) return 0;
  const hi = load<i64>(c + S_MAX_RTO);
  let rto = load<i64>(c + S_RTO);
  rto = rto > hi >> 1 ? hi : rto << 1;
  store<i64>(c + S_RTO, rto);
  bump(c, S_BACKOFF);
  bump(c, S_TIMEOUTS);
  store<u32>(c + S_FLAGS, load<u32>(c + S_FLAGS) | F_TIMED_OUT);
  return <f64>rto;
}

// ---------------------------------------------------------------------------------------------
// Send window

// @ts-ignore: decorator
@inline function segAt(table: usize, c: usize, slot: u32): usize {
  return c + <usize>load<u32>(table + T_RING_OFF) + <usize>slot * SEG_BYTES;
}

function sendCore(table: usize, c: usize, seq: u32, len: u32, now: i64): u32 {
  if (len - 1 >= MAX_LEN) {
    bump(c, S_BAD_SEQ);
    return SEND_INVALID;
  }
  const una = load<u32>(c + S_UNA);
  const nxt = load<u32>(c + S_NXT);
  const count = load<u32>(c + S_COUNT);
  const cap = load<u32>(table + T_RING_CAP);
  const head = load<u32>(c + S_HEAD);
  if (seq == nxt) {
    if (<u64>(nxt - una) + <u64>len > <u64>load<u32>(c + S_WND)) {
      bump(c, S_WND_REFUSED);
      return SEND_WINDOW_FULL;
    }
    if (count >= cap) {
      bump(c, S_RING_FULL);
      return SEND_RING_FULL;
    }
    let slot = head + count;
    if (slot >= cap) slot -= cap;
    const s = segAt(table, c, slot);
    store<u32>(s + SEG_SEQ, seq);
    store<u32>(s + SEG_LEN, len);
    store<i64>(s + SEG_TIME, now);
    store<u32>(s + SEG_RETX, 0);
    store<u32>(s + SEG_FLAGS, 0);
    store<u32>(c + S_COUNT, count + 1);
    store<u32>(c + S_NXT, nxt + len);
    return SEND_NEW;
  }
  // A retransmission: it must start and end exactly where an in-flight segment does.
  if (seqGeq(seq, una) && seqLt(seq, nxt)) {
    let slot = head;
    for (let k: u32 = 0; k < count; k++) {
      const s = segAt(table, c, slot);
      const sseq = load<u32>(s + SEG_SEQ);
      if (sseq == seq) {
        if (load<u32>(s + SEG_LEN) != len) break;
        store<i64>(s + SEG_TIME, now);
        store<u32>(s + SEG_RETX, load<u32>(s + SEG_RETX) + 1);
        bump(c, S_RETRANSMITS);
        return SEND_RETRANSMIT;
      }
      if (seqGt(sseq, seq)) break;
      slot++;
      if (slot == cap) slot = 0;
    }
  }
  bump(c, S_BAD_SEQ);
  return SEND_BAD_SEQ;
}

/** Records a sent segment (new at snd.nxt, or a retransmission of an in-flight one); returns a SEND_* status. */
export function windowOnSend(table: usize, index: u32, seq: u32, len: u32, now: f64): u32 {
  const c = connAt(table, index);
  if (c == 0) return SEND_INVALID;
  return sendCore(table, c, seq, len, <i64>now);
}

/** Processes a cumulative ack; returns the bytes newly acked. */
function ackCore(table: usize, c: usize, ack: u32, wnd: u32, now: i64): u32 {
  const una = load<u32>(c + S_UNA);
  const nxt = load<u32>(c + S_NXT);
  const d = ack - una;
  if (d > nxt - una) {
    // Below snd.una or beyond snd.nxt: an old or impossible ack; its window is stale too.
    bump(c, S_STALE_ACKS);
    return 0;
  }
  if (wnd != WINDOW_UNCHANGED) store<u32>(c + S_WND, wnd > MAX_LEN ? MAX_LEN : wnd);
  if (d == 0) {
    if (nxt != una) bump(c, S_DUP_ACKS);
    return 0;
  }
  store<u32>(c + S_UNA, ack);
  const cap = load<u32>(table + T_RING_CAP);
  let head = load<u32>(c + S_HEAD);
  let count = load<u32>(c + S_COUNT);
  let sacked = load<u32>(c + S_SACKED_BYTES);
  let popped = false;
  let lastTime: i64 = 0;
  let lastRetx: u32 = 0;
  while (count > 0) {
    const s = segAt(table, c, head);
    const sseq = load<u32>(s + SEG_SEQ);
    const slen = load<u32>(s + SEG_LEN);
    const isSacked = (load<u32>(s + SEG_FLAGS) & SEG_SACKED) != 0;
    if (seqLeq(sseq + slen, ack)) {
      if (isSacked) sacked -= slen;
      popped = true;
      lastTime = load<i64>(s + SEG_TIME);
      lastRetx = load<u32>(s + SEG_RETX);
      head++;
      if (head == cap) head = 0;
      count--;
      continue;
    }
    if (seqLt(sseq, ack)) {
      // Partially acked: trim so the ring covers exactly [snd.una, snd.nxt).
      const cut = ack - sseq;
      store<u32>(s + SEG_SEQ, ack);
      store<u32>(s + SEG_LEN, slen - cut);
      if (isSacked) sacked -= cut;
    }
    break;
  }
  store<u32>(c + S_HEAD, count == 0 ? 0 : head);
  store<u32>(c + S_COUNT, count);
  store<u32>(c + S_SACKED_BYTES, sacked);
  let flags = load<u32>(c + S_FLAGS) & ~F_TIMED_OUT;
  if ((flags & F_HAS_SACK) != 0 && seqLeq(load<u32>(c + S_HIGH_SACK), ack)) flags &= ~F_HAS_SACK;
  store<u32>(c + S_FLAGS, flags);
  // Karn's rule: a retransmitted segment's ack is ambiguous, so it gives no sample.
  if (popped && lastRetx == 0) rttSampleCore(c, now - lastTime);
  return d;
}

/**
 * Cumulative ack `ack` at time `now` (ns), with the peer's window (0xffffffff: unchanged).
 * Returns the bytes newly acked (0 for a duplicate or stale ack, or a bad index).
 */
export function windowOnAck(table: usize, index: u32, ack: u32, wnd: u32, now: f64): u32 {
  const c = connAt(table, index);
  if (c == 0) return 0;
  return ackCore(table, c, ack, wnd, <i64>now);
}

/**
 * Batch ack. Entry: ptr = ack number, len = peer window (0xffffffff: unchanged),
 * arg = connection index; out = bytes newly acked. One `now` for the whole batch.
 * Returns the number of entries refused (stale ack or bad index).
 */
export function windowAckBatch(table: usize, vec: usize, count: u32, now: f64): u32 {
  const t = <i64>now;
  const conns = load<u32>(table + T_CONNS);
  const stride = <usize>load<u32>(table + T_STRIDE);
  const base = table + TABLE_HEADER;
  let refused: u32 = 0;
  for (let k: u32 = 0; k < count; k++) {
    const v = vec + <usize>k * FRAME_VEC_STRIDE;
    const index = load<u32>(v + FRAME_VEC_ARG);
    if (index >= conns) {
      store<u32>(table + T_BAD_INDEX, load<u32>(table + T_BAD_INDEX) + 1);
      store<u32>(v + FRAME_VEC_OUT, 0);
      refused++;
      continue;
    }
    const c = base + <usize>index * stride;
    const stale = load<u32>(c + S_STALE_ACKS);
    store<u32>(v + FRAME_VEC_OUT, ackCore(table, c, load<u32>(v + FRAME_VEC_PTR), load<u32>(v + FRAME_VEC_LEN), t));
    refused += load<u32>(c + S_STALE_ACKS) - stale;
  }
  return refused;
}

/**
 * Batch send. Entry: ptr = seq, len = length, arg = connection index; out = SEND_* status.
 * Returns the number of entries not recorded (status >= SEND_RING_FULL, or a bad index).
 */
export function windowSendBatch(table: usize, vec: usize, count: u32, now: f64): u32 {
  const t = <i64>now;
  const conns = load<u32>(table + T_CONNS);
  const stride = <usize>load<u32>(table + T_STRIDE);
  const base = table + TABLE_HEADER;
  let refused: u32 = 0;
  for (let k: u32 = 0; k < count; k++) {
    const v = vec + <usize>k * FRAME_VEC_STRIDE;
    const index = load<u32>(v + FRAME_VEC_ARG);
    if (index >= conns) {
      store<u32>(table + T_BAD_INDEX, load<u32>(table + T_BAD_INDEX) + 1);
      store<u32>(v + FRAME_VEC_OUT, SEND_INVALID);
      refused++;
      continue;
    }
    const status = sendCore(table, base + <usize>index * stride, load<u32>(v + FRAME_VEC_PTR), load<u32>(v + FRAME_VEC_LEN), t);
    store<u32>(v + FRAME_VEC_OUT, status);
    refused += <u32>(status >= SEND_RING_FULL);
  }
  return refused;
}

/**
 * SACK block [start, start + len): marks every in-flight segment lying wholly inside it
 * (RFC 2018 section 5: the sender marks segments, not bytes). Returns the bytes newly SACKed.
 */
export function windowOnSack(table: usize, index: u32, start: u32, len: u32): u32 {
  const c = connAt(table, index);
  if (c == 0) return 0;
  if (len - 1 >= MAX_LEN) {
    bump(c, S_BAD_SACK);
    return 0;
  }
  const end = start + len;
  const cap = load<u32>(table + T_RING_CAP);
  const count = load<u32>(c + S_COUNT);
  let slot = load<u32>(c + S_HEAD);
  let fresh: u32 = 0;
  let flags = load<u32>(c + S_FLAGS);
  let high = load<u32>(c + S_HIGH_SACK);
  for (let k: u32 = 0; k < count; k++) {
    const s = segAt(table, c, slot);
    const sseq = load<u32>(s + SEG_SEQ);
    if (seqGeq(sseq, end)) break;
    const send = sseq + load<u32>(s + SEG_LEN);
    const sflags = load<u32>(s + SEG_FLAGS);
    if ((sflags & SEG_SACKED) == 0 && seqGeq(sseq, start) && seqLeq(send, end)) {
      store<u32>(s + SEG_FLAGS, sflags | SEG_SACKED);
      fresh += send - sseq;
      if ((flags & F_HAS_SACK) == 0 || seqGt(send, high)) {
        high = send;
        flags |= F_HAS_SACK;
      }
    }
    slot++;
    if (slot == cap) slot = 0;
  }
  store<u32>(c + S_HIGH_SACK, high);
  store<u32>(c + S_FLAGS, flags);
  store<u32>(c + S_SACKED_BYTES, load<u32>(c + S_SACKED_BYTES) + fresh);
  return fresh;
}

/**
 * Writes the segments to retransmit as {seq, len} pairs (at most max), in sequence order:
 * after a timeout (until an ack advances snd.una) every un-SACKed segment in flight;
 * otherwise the un-SACKed segments below the highest SACKed sequence number (RFC 6675's
 * loss inference without its DupThresh refinement). Returns pairs written.
 */
export function windowRetransmitList(table: usize, index: u32, out: usize, max: u32): u32 {
  const c = connAt(table, index);
  if (c == 0) return 0;
  const flags = load<u32>(c + S_FLAGS);
  const all = (flags & F_TIMED_OUT) != 0;
  if (!all && (flags & F_HAS_SACK) == 0) return 0;
  const high = load<u32>(c + S_HIGH_SACK);
  const cap = load<u32>(table + T_RING_CAP);
  const count = load<u32>(c + S_COUNT);
  let slot = load<u32>(c + S_HEAD);
  let n: u32 = 0;
  for (let k: u32 = 0; k < count && n < max; k++) {
    const s = segAt(table, c, slot);
    const sseq = load<u32>(s + SEG_SEQ);
    if (!all && seqGeq(sseq, high)) break;
    if ((load<u32>(s + SEG_FLAGS) & SEG_SACKED) == 0) {
      store<u32>(out + <usize>n * 8, sseq);
      store<u32>(out + <usize>n * 8, load<u32>(s + SEG_LEN), 4);
      n++;
    }
    slot++;
    if (slot == cap) slot = 0;
  }
  return n;
}

/** Current RTO (ns) of a connection, backoff included. */
export function windowRto(table: usize, index: u32): f64 {
  const c = connAt(table, index);
  if (c == 0) return 0;
  return <f64>load<i64>(c + S_RTO);
}
