// Plain-TypeScript twin of the window kernels (assembly/window/window.ts): same semantics,
// written for clarity with JS arrays instead of a heap region. It is the oracle of the
// differential tests and the baseline of bench/window.bench.ts.
//
// Contract: identical results, statuses, counters and RTO arithmetic as the Wasm kernels for
// every sequence of operations (argument validation is the same as WindowTable's, so misuse
// throws the same NetloomError). Counters wrap at 2^32 as the kernel's u32 fields do.
// markBatch/sendBatch/ackBatch read and write the same 16-byte frame-vector entries, given as
// a Uint32Array and the entry's word offset, so benchmarks compare like with like.

import { ErrorCode, NetloomError, checkInteger } from "../../base/errors.js";
import { seqDiff, seqGeq, seqGt, seqLeq, seqLt } from "../seq.js";
import {
  CONNECTIONS_LIMIT,
  IN_FLIGHT_LIMIT,
  MAX_RANGES_LIMIT,
  MAX_WINDOW,
  MarkStatus,
  SendStatus,
  WINDOW_UNCHANGED,
  checkOpenOptions,
  checkSegmentLength,
  checkTime,
  checkWindow,
  rangeLength,
  type OpenOptions,
  type RttState,
  type WindowOps,
  type WindowStats,
} from "../window.js";

interface Range {
  start: number;
  end: number;
  /** The connection's mark counter when this range last grew or was hit (SACK recency). */
  stamp: number;
}

interface Segment {
  seq: number;
  len: number;
  sent: number;
  retx: number;
  sacked: boolean;
}

class Conn {
  open = false;
  // receive
  rcvNxt = 0;
  rcvWnd = 0;
  ranges: Range[] = [];
  stamp = 0;
  lastStatus: MarkStatus = MarkStatus.NEW;
  // send
  una = 0;
  nxt = 0;
  sndWnd = 0;
  segs: Segment[] = [];
  hasSack = false;
  highSack = 0;
  timedOut = false;
  sackedBytes = 0;
  // RFC 6298 state (ns)
  hasSample = false;
  srtt8 = 0;
  rttvar4 = 0;
  rto = 0;
  backoff = 0;
  minRto = 0;
  maxRto = 0;
  granularity = 0;
  counters = {
    marks: 0,
    duplicates: 0,
    refused: 0,
    outsideWindow: 0,
    invalid: 0,
    bytesAccepted: 0,
    ringFull: 0,
    windowRefused: 0,
    badSequence: 0,
    duplicateAcks: 0,
    staleAcks: 0,
    retransmits: 0,
    timeouts: 0,
    rttSamples: 0,
    badSack: 0,
  };
}

type Counter = keyof Conn["counters"];

export class ReferenceWindowTable implements WindowOps {
  readonly connections: number;
  readonly maxRanges: number;
  readonly inFlightCapacity: number;
  private readonly conns: Conn[];
  private badIndex = 0;

  constructor(options: { connections: number; maxRanges?: number; inFlightCapacity?: number }) {
    checkInteger("connections", options.connections, 1, CONNECTIONS_LIMIT);
    this.maxRanges = options.maxRanges ?? 32;
    this.inFlightCapacity = options.inFlightCapacity ?? 64;
    checkInteger("maxRanges", this.maxRanges, 1, MAX_RANGES_LIMIT);
    checkInteger("inFlightCapacity", this.inFlightCapacity, 1, IN_FLIGHT_LIMIT);
    this.connections = options.connections;
    this.conns = Array.from({ length: options.connections }, () => new Conn());
  }

  open(conn: number, options: OpenOptions): void {
    this.checkIndex(conn);
    const rto = checkOpenOptions(options);
    const c = new Conn();
    c.open = true;
    c.rcvNxt = options.receiveNext >>> 0;
    c.rcvWnd = options.receiveWindow;
    c.una = c.nxt = options.sendNext >>> 0;
    c.sndWnd = options.sendWindow;
    c.minRto = rto.minRto;
    c.maxRto = rto.maxRto;
    c.granularity = rto.granularity;
    c.rto = rto.initialRto;
    this.conns[conn] = c;
  }

  reset(conn: number): void {
    this.checkIndex(conn);
    this.conns[conn] = new Conn();
  }

  // --- receive ---

  mark(conn: number, start: number, end: number): number {
    const c = this.get(conn);
    const len = rangeLength("range", start, end);
    c.lastStatus = this.markCore(c, start, len);
    return c.rcvNxt;
  }

  private markCore(c: Conn, start: number, len: number): MarkStatus {
    c.stamp = (c.stamp + 1) >>> 0;
    bumpCounter(c, "marks");
    if (len === 0 || len > MAX_WINDOW) {
      bumpCounter(c, "invalid");
      return MarkStatus.INVALID;
    }
    // Work in offsets from the ack point: all live offsets are in [0, 2^31).
    let s = seqDiff(start, c.rcvNxt);
    let e = s + len;
    if (e <= 0) {
      bumpCounter(c, "duplicates");
      return MarkStatus.DUPLICATE;
    }
    if (s < 0) s = 0;
    if (s >= c.rcvWnd) {
      bumpCounter(c, "outsideWindow");
      return MarkStatus.BEYOND;
    }
    let status: MarkStatus = MarkStatus.NEW;
    if (e > c.rcvWnd) {
      e = c.rcvWnd;
      bumpCounter(c, "outsideWindow");
      status = MarkStatus.CLIPPED;
    }
    const off = (seq: number): number => (seq - c.rcvNxt) >>> 0;

    if (s === 0) {
      // The gap at the ack point fills; ranges that now touch the ack point join it.
      let ack = e;
      let absorbed = 0;
      while (c.ranges.length > 0 && off(c.ranges[0]!.start) <= ack) {
        const r = c.ranges.shift()!;
        absorbed += off(r.end) - off(r.start);
        ack = Math.max(ack, off(r.end));
      }
      c.rcvNxt = (c.rcvNxt + ack) >>> 0;
      c.counters.bytesAccepted = (c.counters.bytesAccepted + ack - absorbed) >>> 0;
      return status;
    }

    // Ranges that overlap or touch [s, e) form one contiguous run [i, j).
    let i = 0;
    while (i < c.ranges.length && off(c.ranges[i]!.end) < s) i++;
    let j = i;
    let covered = 0;
    while (j < c.ranges.length && off(c.ranges[j]!.start) <= e) {
      covered += off(c.ranges[j]!.end) - off(c.ranges[j]!.start);
      j++;
    }
    if (i === j) {
      if (c.ranges.length >= this.maxRanges) {
        bumpCounter(c, "refused");
        return MarkStatus.REFUSED;
      }
      c.ranges.splice(i, 0, { start: (c.rcvNxt + s) >>> 0, end: (c.rcvNxt + e) >>> 0, stamp: c.stamp });
      c.counters.bytesAccepted = (c.counters.bytesAccepted + e - s) >>> 0;
      return status;
    }
    const ns = Math.min(s, off(c.ranges[i]!.start));
    const ne = Math.max(e, off(c.ranges[j - 1]!.end));
    c.ranges.splice(i, j - i, { start: (c.rcvNxt + ns) >>> 0, end: (c.rcvNxt + ne) >>> 0, stamp: c.stamp });
    const fresh = ne - ns - covered;
    c.counters.bytesAccepted = (c.counters.bytesAccepted + fresh) >>> 0;
    if (fresh === 0 && status === MarkStatus.NEW) {
      bumpCounter(c, "duplicates");
      return MarkStatus.DUPLICATE;
    }
    return status;
  }

  /** Batch mark over frame-vector entries at word offset `vecWord` of `u32`. */
  markBatch(u32: Uint32Array, vecWord: number, count: number): number {
    let lost = 0;
    for (let k = 0; k < count; k++) {
      const w = vecWord + 4 * k;
      const index = u32[w + 2]!;
      const c = this.conns[index];
      if (c === undefined) {
        this.badIndex = (this.badIndex + 1) >>> 0;
        lost++;
        continue;
      }
      const status = this.markCore(c, u32[w]!, u32[w + 1]!);
      c.lastStatus = status;
      if (status >= MarkStatus.CLIPPED) lost++;
      u32[w + 3] = c.rcvNxt;
    }
    return lost;
  }

  lastMarkStatus(conn: number): MarkStatus {
    return this.get(conn).lastStatus;
  }

  ackPoint(conn: number): number {
    return this.get(conn).rcvNxt;
  }

  receiveWindow(conn: number): number {
    return this.get(conn).rcvWnd;
  }

  setReceiveWindow(conn: number, window: number): void {
    const c = this.get(conn);
    checkWindow("window", window);
    c.rcvWnd = window;
  }

  highestReceived(conn: number): number {
    const c = this.get(conn);
    return c.ranges.length === 0 ? c.rcvNxt : c.ranges[c.ranges.length - 1]!.end;
  }

  holes(conn: number): Array<[number, number]> {
    const c = this.get(conn);
    const out: Array<[number, number]> = [];
    let prev = c.rcvNxt;
    for (const r of c.ranges) {
      out.push([prev, r.start]);
      prev = r.end;
    }
    return out;
  }

  sackBlocks(
    conn: number,
    max: number = this.maxRanges,
    order: "recent" | "sequence" = "recent",
  ): Array<[number, number]> {
    const c = this.get(conn);
    checkInteger("max", max, 0, this.maxRanges);
    const list = [...c.ranges];
    if (order === "recent") {
      const age = (r: Range): number => (c.stamp - r.stamp) >>> 0;
      list.sort((a, b) => age(a) - age(b));
    }
    return list.slice(0, max).map((r): [number, number] => [r.start, r.end]);
  }

  // --- send ---

  onSend(conn: number, seq: number, length: number, now: number): SendStatus {
    const c = this.get(conn);
    checkInteger("seq", seq, 0, 0xffff_ffff);
    checkSegmentLength("length", length);
    checkTime("now", now);
    return this.sendCore(c, seq, length, now);
  }

  private sendCore(c: Conn, seq: number, len: number, now: number): SendStatus {
    if (len === 0 || len > MAX_WINDOW) {
      bumpCounter(c, "badSequence");
      return SendStatus.INVALID;
    }
    if (seq === c.nxt) {
      if (((c.nxt - c.una) >>> 0) + len > c.sndWnd) {
        bumpCounter(c, "windowRefused");
        return SendStatus.WINDOW_FULL;
      }
      if (c.segs.length >= this.inFlightCapacity) {
        bumpCounter(c, "ringFull");
        return SendStatus.RING_FULL;
      }
      c.segs.push({ seq, len, sent: now, retx: 0, sacked: false });
      c.nxt = (c.nxt + len) >>> 0;
      return SendStatus.NEW;
    }
    const seg = c.segs.find((g) => g.seq === seq);
    if (seg !== undefined && seg.len === len) {
      seg.sent = now;
      seg.retx++;
      bumpCounter(c, "retransmits");
      return SendStatus.RETRANSMIT;
    }
    bumpCounter(c, "badSequence");
    return SendStatus.BAD_SEQ;
  }

  onAck(conn: number, ack: number, now: number, window?: number): number {
    const c = this.get(conn);
    checkInteger("ack", ack, 0, 0xffff_ffff);
    checkTime("now", now);
    if (window !== undefined) checkWindow("window", window);
    return this.ackCore(c, ack, window ?? WINDOW_UNCHANGED, now);
  }

  private ackCore(c: Conn, ack: number, window: number, now: number): number {
    const acked = (ack - c.una) >>> 0;
    if (acked > (c.nxt - c.una) >>> 0) {
      bumpCounter(c, "staleAcks");
      return 0;
    }
    if (window !== WINDOW_UNCHANGED) c.sndWnd = Math.min(window, MAX_WINDOW);
    if (acked === 0) {
      if (c.nxt !== c.una) bumpCounter(c, "duplicateAcks");
      return 0;
    }
    c.una = ack >>> 0;
    let last: Segment | undefined;
    while (c.segs.length > 0) {
      const g = c.segs[0]!;
      const end = (g.seq + g.len) >>> 0;
      if (seqLeq(end, ack)) {
        if (g.sacked) c.sackedBytes -= g.len;
        last = c.segs.shift();
        continue;
      }
      if (seqLt(g.seq, ack)) {
        const cut = (ack - g.seq) >>> 0;
        g.seq = ack >>> 0;
        g.len -= cut;
        if (g.sacked) c.sackedBytes -= cut;
      }
      break;
    }
    c.timedOut = false;
    if (c.hasSack && seqLeq(c.highSack, ack)) c.hasSack = false;
    // Karn's rule (RFC 6298 section 3): no sample from a retransmitted segment.
    if (last !== undefined && last.retx === 0) this.sampleCore(c, now - last.sent);
    return acked;
  }

  onSack(conn: number, start: number, end: number): number {
    const c = this.get(conn);
    rangeLength("block", start, end);
    let fresh = 0;
    for (const g of c.segs) {
      if (seqGeq(g.seq, end)) break;
      const gEnd = (g.seq + g.len) >>> 0;
      if (!g.sacked && seqGeq(g.seq, start) && seqLeq(gEnd, end)) {
        g.sacked = true;
        fresh += g.len;
        if (!c.hasSack || seqGt(gEnd, c.highSack)) {
          c.highSack = gEnd;
          c.hasSack = true;
        }
      }
    }
    c.sackedBytes += fresh;
    return fresh;
  }

  retransmitList(conn: number, max: number = this.inFlightCapacity): Array<[number, number]> {
    const c = this.get(conn);
    checkInteger("max", max, 0, this.inFlightCapacity);
    if (!c.timedOut && !c.hasSack) return [];
    const out: Array<[number, number]> = [];
    for (const g of c.segs) {
      if (out.length >= max) break;
      if (!c.timedOut && seqGeq(g.seq, c.highSack)) break;
      if (!g.sacked) out.push([g.seq, g.len]);
    }
    return out;
  }

  rttSample(conn: number, sample: number): number {
    const c = this.get(conn);
    checkTime("sample", sample);
    this.sampleCore(c, sample);
    return c.rto;
  }

  private sampleCore(c: Conn, sample: number): void {
    const r = Math.max(0, sample);
    if (!c.hasSample) {
      // RFC 6298 2.2: SRTT = R, RTTVAR = R/2 (scaled: SRTT << 3, RTTVAR << 2).
      c.srtt8 = r * 8;
      c.rttvar4 = r * 2;
      c.hasSample = true;
    } else {
      // RFC 6298 2.3, RTTVAR first with the old SRTT.
      const err = Math.abs(r - Math.floor(c.srtt8 / 8));
      c.rttvar4 = c.rttvar4 - Math.floor(c.rttvar4 / 4) + err;
      c.srtt8 = c.srtt8 - Math.floor(c.srtt8 / 8) + r;
    }
    const rto = Math.floor(c.srtt8 / 8) + Math.max(c.granularity, c.rttvar4);
    c.rto = Math.min(Math.max(rto, c.minRto), c.maxRto);
    c.backoff = 0;
    bumpCounter(c, "rttSamples");
  }

  onTimeout(conn: number): number {
    const c = this.get(conn);
    // RFC 6298 5.5: back off the timer, bounded by the maximum.
    c.rto = c.rto > Math.floor(c.maxRto / 2) ? c.maxRto : c.rto * 2;
    c.backoff = (c.backoff + 1) >>> 0;
    bumpCounter(c, "timeouts");
    c.timedOut = true;
    return c.rto;
  }

  rto(conn: number): number {
    return this.get(conn).rto;
  }

  rttState(conn: number): RttState {
    const c = this.get(conn);
    return { srtt8: c.srtt8, rttvar4: c.rttvar4, rto: c.rto, backoff: c.backoff, hasSample: c.hasSample };
  }

  sendUnacked(conn: number): number {
    return this.get(conn).una;
  }

  sendNext(conn: number): number {
    return this.get(conn).nxt;
  }

  sendWindow(conn: number): number {
    return this.get(conn).sndWnd;
  }

  setSendWindow(conn: number, window: number): void {
    const c = this.get(conn);
    checkWindow("window", window);
    c.sndWnd = window;
  }

  bytesInFlight(conn: number): number {
    const c = this.get(conn);
    return (c.nxt - c.una) >>> 0;
  }

  sendBatch(u32: Uint32Array, vecWord: number, count: number, now: number): number {
    let refused = 0;
    for (let k = 0; k < count; k++) {
      const w = vecWord + 4 * k;
      const c = this.conns[u32[w + 2]!];
      if (c === undefined) {
        this.badIndex = (this.badIndex + 1) >>> 0;
        u32[w + 3] = SendStatus.INVALID;
        refused++;
        continue;
      }
      const status = this.sendCore(c, u32[w]!, u32[w + 1]!, now);
      u32[w + 3] = status;
      if (status >= SendStatus.RING_FULL) refused++;
    }
    return refused;
  }

  ackBatch(u32: Uint32Array, vecWord: number, count: number, now: number): number {
    let refused = 0;
    for (let k = 0; k < count; k++) {
      const w = vecWord + 4 * k;
      const c = this.conns[u32[w + 2]!];
      if (c === undefined) {
        this.badIndex = (this.badIndex + 1) >>> 0;
        u32[w + 3] = 0;
        refused++;
        continue;
      }
      const stale = c.counters.staleAcks;
      u32[w + 3] = this.ackCore(c, u32[w]!, u32[w + 1]!, now);
      refused += (c.counters.staleAcks - stale) >>> 0;
    }
    return refused;
  }

  stats(conn: number): WindowStats {
    const c = this.get(conn);
    return { ...c.counters, ranges: c.ranges.length, segmentsInFlight: c.segs.length, sackedBytes: c.sackedBytes };
  }

  badIndexCount(): number {
    return this.badIndex;
  }

  private checkIndex(conn: number): void {
    if (!Number.isInteger(conn) || conn < 0 || conn >= this.connections) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(conn)} is not a connection index of this table (0 .. ${this.connections - 1})`,
        { path: "conn" },
      );
    }
  }

  private get(conn: number): Conn {
    this.checkIndex(conn);
    const c = this.conns[conn]!;
    if (!c.open) throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `connection ${conn} is not open`, { path: "conn" });
    return c;
  }
}

function bumpCounter(c: Conn, name: Counter): void {
  c.counters[name] = (c.counters[name] + 1) >>> 0;
}
