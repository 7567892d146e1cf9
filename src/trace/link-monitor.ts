// LinkMonitor: per link direction delay, jitter and frames in flight, as ns-3's flow monitor
// users read them, from a direction's standard trace points (no device internals).
//
// Contract:
// - watch(key, points, queued, isDown) follows one direction: macTx (a frame accepted: into the queue or
//   straight onto the wire), phyTxBegin (its serialization starts), phyRxEnd (handed to the far
//   end, hit with the arrival time) and phyRxDrop. `queued()` is the direction's queue length.
// - Delay of a frame = its arrival time at the far end - the time it was accepted (queueing,
//   serialization, propagation, a reorder hold). Jitter: ns-3's definition, the mean
//   |delay(n) - delay(n - 1)| over consecutive frames handed over. A duplicate is a frame too.
// - The drop-tail queue is FIFO: acceptance times wait in a ring and the frame starting its
//   serialization takes the oldest that is still queued (the ring is trimmed to the queue
//   length + 1 first: frames flushed by a down or a crash were the oldest).
// - In flight at the end (report()): frames still queued plus frames handed over whose arrival
//   is after now (serializing or propagating). A cable going down takes every frame on the
//   wire back (phyRxDrop LINK_DOWN while `isDown()`): the arrival ring empties.
// - Bounded: rings grow by doubling up to MAX_TRACKED frames; beyond it the direction stops
//   tracking (inFlight null, delay of later frames not sampled) and says so (`overflow`).
// - Hot path: no allocation per frame (typed-array rings, a histogram per direction made on its
//   first sample, of a coarser layout than a flow's: 32 sub-buckets, 1/64 relative error).

import { LatencyHistogram } from "./latency-histogram.js";
import { DropReason, type TracePoints } from "./trace-point.js";

/** Most frames one direction tracks at once (queued or on the wire). */
export const MAX_TRACKED = 1 << 22;
const HISTOGRAM = { subBucketBits: 5 };

/** One direction's figures in reports (RunReport.links[].directions[]). */
export interface LinkMonitorReport {
  /** Frames handed to the far end with a delay sample; delay from acceptance to arrival, ns. */
  delayNs: {
    samples: number;
    mean: number | null;
    min: number | null;
    p50: number | null;
    p90: number | null;
    p99: number | null;
    max: number | null;
  };
  jitterNs: { mean: number | null; samples: number };
  /** At the end: frames waiting in the queue and frames on the wire (null: too many tracked). */
  inFlight: { queued: number; onWire: number | null };
  /** True when the direction had more than MAX_TRACKED frames in flight at some time. */
  overflow: boolean;
}

/** A growable FIFO of times in a Float64Array. */
class TimeRing {
  buf = new Float64Array(16);
  head = 0;
  size = 0;

  /** False when full at MAX_TRACKED. */
  push(t: number): boolean {
    if (this.size === this.buf.length) {
      if (this.size >= MAX_TRACKED) return false;
      const grown = new Float64Array(this.buf.length * 2);
      for (let i = 0; i < this.size; i++) grown[i] = this.buf[(this.head + i) & (this.buf.length - 1)]!;
      this.buf = grown;
      this.head = 0;
    }
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = t;
    this.size++;
    return true;
  }

  peek(): number {
    return this.buf[this.head]!;
  }

  shift(): number {
    const t = this.buf[this.head]!;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.size--;
    return t;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }
}

/** The live state of one watched direction. */
class Watched {
  readonly accepted = new TimeRing();
  /** Arrival times of frames handed over, in handover order (not sorted with reordering). */
  readonly arrivals = new TimeRing();
  /** Acceptance time of the frame being serialized (NaN: unknown), and when it started. */
  current = NaN;
  txBegin = 0;
  latency: LatencyHistogram | undefined;
  jitterSum = 0;
  jitterSamples = 0;
  lastDelay = NaN;
  overflow = false;

  constructor(
    readonly queued: () => number,
    readonly isDown: () => boolean,
  ) {}

  onAccept(time: number): void {
    if (!this.accepted.push(time)) this.overflow = true;
  }

  onTxBegin(now: number): void {
    this.txBegin = now;
    // The frame starting has left the queue: the ring holds it and the queue behind it.
    const keep = this.queued() + 1;
    while (this.accepted.size > keep) this.accepted.shift();
    this.current = this.accepted.size > 0 && this.accepted.size === keep ? this.accepted.shift() : NaN;
  }

  onHandOver(arrival: number): void {
    // Frames that arrived by the time this one started are no longer in flight (lazy trim of
    // the ring's head; with reordering a held-back head keeps later ones a little longer).
    const a = this.arrivals;
    while (a.size > 0 && a.peek() <= this.txBegin) a.shift();
    if (!a.push(arrival)) this.overflow = true;
    const t0 = this.current;
    if (Number.isNaN(t0)) return;
    const delay = arrival - t0;
    const h = this.latency ?? (this.latency = new LatencyHistogram(HISTOGRAM));
    h.record(delay);
    const prev = this.lastDelay;
    if (!Number.isNaN(prev)) {
      this.jitterSum += delay > prev ? delay - prev : prev - delay;
      this.jitterSamples++;
    }
    this.lastDelay = delay;
  }

  onWireDrop(reason: number): void {
    // Taken back by a down: everything on the wire is gone.
    if (reason === DropReason.LINK_DOWN && this.isDown()) this.arrivals.clear();
  }

  report(now: number): LinkMonitorReport {
    const h = this.latency;
    const has = h !== undefined && h.count > 0;
    let onWire = 0;
    const a = this.arrivals;
    for (let i = 0; i < a.size; i++) if (a.buf[(a.head + i) & (a.buf.length - 1)]! > now) onWire++;
    return {
      delayNs: has
        ? {
            samples: h.count,
            mean: h.mean,
            min: h.min,
            p50: h.percentile(0.5),
            p90: h.percentile(0.9),
            p99: h.percentile(0.99),
            max: h.max,
          }
        : { samples: 0, mean: null, min: null, p50: null, p90: null, p99: null, max: null },
      jitterNs: {
        mean: this.jitterSamples === 0 ? null : this.jitterSum / this.jitterSamples,
        samples: this.jitterSamples,
      },
      inFlight: { queued: this.queued(), onWire: this.overflow ? null : onWire },
      overflow: this.overflow,
    };
  }
}

export class LinkMonitor {
  private readonly watched = new Map<string, Watched>();
  private readonly offs: (() => void)[] = [];

  /** Follows one direction, known to report() as `key`. */
  watch(key: string, points: TracePoints, queued: () => number, isDown: () => boolean): void {
    const w = new Watched(queued, isDown);
    this.offs.push(
      points.macTx.subscribe((time) => w.onAccept(time)),
      points.phyTxBegin.subscribe((time) => w.onTxBegin(time)),
      points.phyRxEnd.subscribe((time) => w.onHandOver(time)),
      points.phyRxDrop.subscribe((_t, _f, _l, reason) => w.onWireDrop(reason)),
    );
    this.watched.set(key, w);
  }

  /** The figures of the direction watched as `key` at virtual time `now` (undefined: not watched). */
  report(key: string, now: number): LinkMonitorReport | undefined {
    return this.watched.get(key)?.report(now);
  }

  /** Removes every subscription. */
  detach(): void {
    for (const off of this.offs.splice(0)) off();
  }
}
