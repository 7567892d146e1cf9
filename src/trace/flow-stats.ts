// FlowStats: per-flow packet, byte, loss, throughput and one-way latency accounting.
//
// Contract:
// - A flow is the frame store's flow id (sim.frames.flow[frame], set by whoever allocates the
//   frame); latency = time seen at the receiver - the frame's birth time. Frames with no flow
//   (flow < 0) are counted in `noFlow` and otherwise ignored.
// - Two ways in, which may be mixed per flow but must not both count the same packets: trace
//   points (attachSender/attachReceiver: whole frames, FCS included, which is what CbrSource's
//   rate counts) and explicit calls (recordSent/recordReceived: for stacks that know more, e.g.
//   the UDP layer counts payload bytes).
// - Per flow: packets and bytes each way, a LatencyHistogram (relative error <= 1/128 above
//   128 ns, exact below), and labels from defineFlow() (null until defined).
// - Delay as ns-3's flow monitor reports it: latencyNs adds the exact mean and min and p95 to
//   the percentiles; jitterNs is ns-3's (and RFC 3393's IPDV) definition, not RFC 3550's
//   smoothed estimator: the mean of |delay(n) - delay(n - 1)| over consecutive received
//   packets, taken per receiver (recordReceivedOn's `receiver`: each multicast member is its
//   own sequence), so it adds up exactly over partitions. timesNs: first and last send and
//   receive (ns-3's timeFirstTxPacket ...), null before the first.
// - Drops: attachDrops(tp) counts, per flow and reason, the frames dropped at a device's or
//   link's drop point (macTxDrop, phyRxDrop), by the frame's flow id (FrameStore.txFlow gives
//   a traffic source's frames theirs). Frames a NIC's address filter or a switch's same-port
//   rule turn away are not losses (another copy goes on) and are not counted. recordDropNamed
//   adds drops a source knows of itself (a send its stack refused at once).
// - A report says, per flow, what was sent, received, dropped (by reason) and still in flight
//   at the end (sent - received - dropped, never below 0: queued, on a link, waiting for ARP,
//   in a host stack; drops inside IP stacks, counted there by reason, land here too). loss is
//   dropped / sent: packets in flight when the run ends are not lost. A datagram sent in several
//   fragments counts each fragment dropped.
// - Bounded: at most maxFlows flows (default 4096) with fixed-size counters and a histogram
//   allocated on the flow's first receive. Packets of flows beyond the limit are counted in
//   untrackedSent / untrackedReceived and never create state; defineFlow() beyond it throws
//   TABLE_FULL (API use).
// - Hot path: a Map lookup and field increments; one object per flow, on its first packet.
// - Deterministic: toJSON() lists flows in ascending flow id, whatever the order they appeared.

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import type { FrameStore } from "../buf/frames.js";
import { LatencyHistogram, type LatencyHistogramOptions, type LatencyHistogramState } from "./latency-histogram.js";
import { DROP_REASON_COUNT, DropReason, dropReasonName, type TracePoint } from "./trace-point.js";

export const FLOW_STATS_DEFAULT_MAX_FLOWS = 4_096;
const FLOW_ID_MAX = 0x7fff_ffff;

export interface FlowLabels {
  /** Sending endpoint (e.g. a host name). */
  src?: string;
  /** Receiving endpoint. */
  dst?: string;
  /** Free text (e.g. the scenario's traffic entry name). */
  label?: string;
}

export interface FlowStatsOptions {
  /** Most flows tracked (1 to 2^24; default 4096). */
  maxFlows?: number;
  /** Layout of each flow's latency histogram. */
  histogram?: LatencyHistogramOptions;
}

export interface FlowLatency {
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  /** Exact mean and min of the delay samples; p95 like the other percentiles; samples taken. */
  mean: number | null;
  min: number | null;
  p95: number | null;
  samples: number;
}

/** ns-3 jitter: mean |delay difference| of consecutive received packets (per receiver). */
export interface FlowJitter {
  mean: number | null;
  /** Differences taken (received packets with a delay sample, less one per receiver). */
  samples: number;
}

/** First and last send and receive times, ns (null before the first). */
export interface FlowTimes {
  firstTx: number | null;
  lastTx: number | null;
  firstRx: number | null;
  lastRx: number | null;
}

/** One flow in reports (the CLI's `flows` entries). */
export interface FlowReport {
  id: number;
  src: string | null;
  dst: string | null;
  label: string | null;
  sentPackets: number;
  receivedPackets: number;
  sentBytes: number;
  receivedBytes: number;
  /** dropped / sent: only drops count as loss; null when nothing was sent. */
  loss: number | null;
  throughputBps: number;
  latencyNs: FlowLatency;
  jitterNs: FlowJitter;
  timesNs: FlowTimes;
  /** Packets (frames) of the flow dropped at devices and links. */
  droppedPackets: number;
  /** droppedPackets by reason (reasons that occurred). */
  drops: Record<string, number>;
  /** Sent and neither received nor dropped when the report was taken (null where that is no packet count). */
  inFlightPackets: number | null;
}

export interface FlowStatsSummary {
  flows: number;
  sentPackets: number;
  receivedPackets: number;
  sentBytes: number;
  receivedBytes: number;
  /** Packets of flows beyond maxFlows. */
  untrackedSent: number;
  untrackedReceived: number;
  /** Frames seen at an attached trace point with no flow id. */
  noFlow: number;
}

/** What one partition counted, as plain data (FlowStats.exportState / mergeState). */
export interface FlowStatsState {
  untrackedSent: number;
  untrackedReceived: number;
  noFlow: number;
  flows: {
    id: number;
    src: string | null;
    dst: string | null;
    label: string | null;
    sentPackets: number;
    sentBytes: number;
    receivedPackets: number;
    receivedBytes: number;
    firstReceivedNs: number;
    lastReceivedNs: number;
    firstReceivedBytes: number;
    firstSentNs: number;
    lastSentNs: number;
    latency: LatencyHistogramState | null;
    /** Drops by reason, or null when none. */
    drops: Record<string, number> | null;
    jitterSumNs: number;
    jitterSamples: number;
  }[];
}

/** The live state of one flow (read-only for callers). */
export class FlowRecord {
  readonly id: number;
  src: string | null = null;
  dst: string | null = null;
  label: string | null = null;
  sentPackets = 0;
  sentBytes = 0;
  receivedPackets = 0;
  receivedBytes = 0;
  /** Time of the first and last receive (NaN before the first). */
  firstReceivedNs = NaN;
  lastReceivedNs = NaN;
  /** Bytes of the first received packet (left out of the throughput numerator). */
  firstReceivedBytes = 0;
  /** Time of the first and last send (NaN before the first). */
  firstSentNs = NaN;
  lastSentNs = NaN;
  /** Allocated on the first receive. */
  latency: LatencyHistogram | undefined;
  /** Sum of |delay difference| of consecutive samples per receiver, and how many. */
  jitterSumNs = 0;
  jitterSamples = 0;
  /** Last delay sample per receiver index (NaN: none yet); grown on a receiver's first sample. */
  lastDelayNs: number[] = [];
  /** Drops by reason name, made on the first drop. */
  dropCounts: Map<string, number> | undefined;

  constructor(id: number) {
    this.id = id;
  }

  /**
   * (receivedBytes - bytes of the first received packet) * 8e9 / (last - first receive time):
   * the delivered rate over the flow's active receive interval, the first packet left out because
   * the interval starts when it has already arrived (N packets span N - 1 gaps). It does not
   * depend on the run's length, on when the flow started or on when the report is taken, and for
   * a CBR flow on a path of constant latency it is exactly the configured rate up to the source's
   * rounding of send times to whole ns. 0 until two packets have arrived at distinct times.
   */
  get throughputBps(): number {
    const span = this.lastReceivedNs - this.firstReceivedNs;
    if (!(span > 0)) return 0;
    return ((this.receivedBytes - this.firstReceivedBytes) * 8 * 1e9) / span;
  }

  /** Frames of this flow dropped at devices and links. */
  get droppedPackets(): number {
    let n = 0;
    if (this.dropCounts !== undefined) for (const c of this.dropCounts.values()) n += c;
    return n;
  }

  /** Sent, and neither received nor dropped: still in the network (never below 0). */
  get inFlightPackets(): number {
    return Math.max(0, this.sentPackets - this.receivedPackets - this.droppedPackets);
  }

  /** dropped / sent (null when nothing was sent): packets in flight at the end are not lost. */
  get loss(): number | null {
    return this.sentPackets === 0 ? null : this.droppedPackets / this.sentPackets;
  }

  /** Drops by reason name (reasons that occurred). */
  dropsByReason(): Record<string, number> {
    const out: Record<string, number> = {};
    const d = this.dropCounts;
    if (d !== undefined) for (const name of [...d.keys()].sort()) out[name] = d.get(name)!;
    return out;
  }

  toJSON(): FlowReport {
    const h = this.latency;
    const empty = h === undefined || h.count === 0;
    return {
      id: this.id,
      src: this.src,
      dst: this.dst,
      label: this.label,
      sentPackets: this.sentPackets,
      receivedPackets: this.receivedPackets,
      sentBytes: this.sentBytes,
      receivedBytes: this.receivedBytes,
      loss: this.loss,
      throughputBps: this.throughputBps,
      latencyNs: empty
        ? { p50: null, p90: null, p99: null, max: null, mean: null, min: null, p95: null, samples: 0 }
        : {
            p50: h.percentile(0.5),
            p90: h.percentile(0.9),
            p99: h.percentile(0.99),
            max: h.max,
            mean: h.mean,
            min: h.min,
            p95: h.percentile(0.95),
            samples: h.count,
          },
      jitterNs: {
        mean: this.jitterSamples === 0 ? null : this.jitterSumNs / this.jitterSamples,
        samples: this.jitterSamples,
      },
      timesNs: {
        firstTx: orNull(this.firstSentNs),
        lastTx: orNull(this.lastSentNs),
        firstRx: orNull(this.firstReceivedNs),
        lastRx: orNull(this.lastReceivedNs),
      },
      droppedPackets: this.droppedPackets,
      drops: this.dropsByReason(),
      inFlightPackets: this.inFlightPackets,
    };
  }
}

/** Drop reasons that are not losses: another copy of the frame goes on (flooding, filtering). */
const NOT_A_LOSS = new Set<number>([DropReason.ADDRESS_FILTER, DropReason.SAME_PORT]);
/** Names of the DropReasons, by number (no string is built per drop). */
const REASON_NAMES = Array.from({ length: DROP_REASON_COUNT }, (_, r) => dropReasonName(r));
function orNull(t: number): number | null {
  return Number.isNaN(t) ? null : t;
}

/** Receivers per flow whose jitter is kept apart (multicast members); higher indexes share the last. */
export const MAX_JITTER_RECEIVERS = 1024;

export class FlowStats {
  readonly maxFlows: number;
  untrackedSent = 0;
  untrackedReceived = 0;
  noFlow = 0;
  private readonly frames: FrameStore | undefined;
  private readonly histogramOptions: LatencyHistogramOptions;
  private readonly flows = new Map<number, FlowRecord>();
  private readonly unsubscribers: (() => void)[] = [];

  /** `sim` may be undefined for accounting that only merges others' states (no trace points). */
  constructor(sim: { readonly frames: FrameStore } | undefined, options: FlowStatsOptions = {}) {
    const maxFlows = options.maxFlows ?? FLOW_STATS_DEFAULT_MAX_FLOWS;
    checkInteger("maxFlows", maxFlows, 1, 1 << 24);
    this.maxFlows = maxFlows;
    this.frames = sim?.frames;
    this.histogramOptions = { ...options.histogram };
    // Validate the layout now rather than on the first receive (inside a trace listener).
    new LatencyHistogram(this.histogramOptions);
  }

  /** Flows tracked so far. */
  get size(): number {
    return this.flows.size;
  }

  /** Labels flow `id` (creating it if new). Throws TABLE_FULL beyond maxFlows. */
  defineFlow(id: number, labels: FlowLabels = {}): FlowRecord {
    checkInteger("id", id, 0, FLOW_ID_MAX);
    for (const key of ["src", "dst", "label"] as const) {
      const v = labels[key];
      if (v !== undefined && typeof v !== "string") {
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(v)} is not a string`, {
          path: `flows[${id}].${key}`,
        });
      }
    }
    const f = this.get(id);
    if (f === undefined) {
      throw new NetloomError(ErrorCode.TABLE_FULL, `flow ${id} would exceed maxFlows (${this.maxFlows})`, {
        path: "id",
      });
    }
    if (labels.src !== undefined) f.src = labels.src;
    if (labels.dst !== undefined) f.dst = labels.dst;
    if (labels.label !== undefined) f.label = labels.label;
    return f;
  }

  /** The live record of flow `id`, or undefined when it has not been seen or defined. */
  flow(id: number): FlowRecord | undefined {
    return this.flows.get(id);
  }

  /** Counts every frame passing `tp` as sent by its flow; returns the unsubscribe function. */
  attachSender(tp: TracePoint): () => void {
    const frames = this.framesForTracing();
    const off = tp.subscribe((time, frame, length) => {
      const flow = frames.flow[frame]!;
      if (flow < 0) this.noFlow++;
      else this.recordSent(flow, length, time);
    });
    this.unsubscribers.push(off);
    return off;
  }

  /** Counts every frame passing `tp` as received by its flow (latency from its birth time). */
  attachReceiver(tp: TracePoint): () => void {
    const frames = this.framesForTracing();
    const off = tp.subscribe((time, frame, length) => {
      const flow = frames.flow[frame]!;
      if (flow < 0) this.noFlow++;
      else this.recordReceived(flow, length, frames.birth[frame]!, time);
    });
    this.unsubscribers.push(off);
    return off;
  }

  /**
   * Counts every frame dropped at `tp` (a macTxDrop or phyRxDrop point) against its flow, by
   * reason; frames turned away as copies (ADDRESS_FILTER, SAME_PORT) are not losses. Returns
   * the unsubscribe function.
   */
  attachDrops(tp: TracePoint): () => void {
    const frames = this.framesForTracing();
    const off = tp.subscribe((_time, frame, _length, reason) => {
      const flow = frames.flow[frame]!;
      if (flow >= 0 && reason > 0 && reason < DROP_REASON_COUNT && !NOT_A_LOSS.has(reason))
        this.recordDropNamed(flow, REASON_NAMES[reason]!);
    });
    this.unsubscribers.push(off);
    return off;
  }

  /**
   * `count` packets of `flow` dropped for `reason` (a DropReason name, or a stack's own, such as
   * a send the stack refused at once). Flows not defined or seen are ignored. Never throws.
   */
  recordDropNamed(flow: number, reason: string, count = 1): void {
    const f = this.flows.get(flow);
    if (f === undefined) return;
    const d = f.dropCounts ?? (f.dropCounts = new Map());
    d.set(reason, (d.get(reason) ?? 0) + count);
  }

  private framesForTracing(): FrameStore {
    if (this.frames === undefined) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        "this FlowStats has no simulation, so it cannot count at trace points",
        { path: "sim" },
      );
    }
    return this.frames;
  }

  /** Removes every trace-point subscription made by attachSender/attachReceiver. */
  detach(): void {
    for (const off of this.unsubscribers.splice(0)) off();
  }

  /** One packet of `bytes` sent by `flow` at `time`. Never throws (hot path). */
  recordSent(flow: number, bytes: number, time: number): void {
    const f = this.get(flow);
    if (f === undefined) {
      this.untrackedSent++;
      return;
    }
    this.recordSentOn(f, bytes, time);
  }

  /**
   * recordSent() for a record in hand (from defineFlow() or flow(); records live as long as
   * this FlowStats): a source that sends every packet of one flow skips the lookup by id.
   */
  recordSentOn(f: FlowRecord, bytes: number, time: number): void {
    if (f.sentPackets === 0) f.firstSentNs = time;
    f.sentPackets++;
    f.sentBytes += bytes;
    f.lastSentNs = time;
  }

  /** One packet of `bytes` of `flow`, born at `birth`, received at `time`. Never throws. */
  recordReceived(flow: number, bytes: number, birth: number, time: number): void {
    const f = this.receiving(flow);
    if (f !== undefined) this.recordReceivedOn(f, bytes, birth, time);
  }

  /**
   * recordReceived() for a record in hand (see recordSentOn). `receiver` (default 0) tells the
   * flow's receivers apart for jitter: a multicast member's index among the flow's receivers.
   */
  recordReceivedOn(f: FlowRecord, bytes: number, birth: number, time: number, receiver = 0): void {
    this.countOn(f, bytes, time);
    // One histogram per flow, allocated on its first receive (not per packet).
    const h = f.latency ?? (f.latency = new LatencyHistogram(this.histogramOptions));
    const delay = time - birth;
    h.record(delay);
    const r = receiver >= 0 && receiver < MAX_JITTER_RECEIVERS ? receiver | 0 : MAX_JITTER_RECEIVERS - 1;
    const last = f.lastDelayNs;
    while (last.length <= r) last.push(NaN);
    const prev = last[r]!;
    if (!Number.isNaN(prev)) {
      f.jitterSumNs += delay > prev ? delay - prev : prev - delay;
      f.jitterSamples++;
    }
    last[r] = delay;
  }

  /** A received packet whose birth time is unknown: counted, no latency sample. Never throws. */
  recordReceivedUnsampled(flow: number, bytes: number, time: number): void {
    const f = this.receiving(flow);
    if (f !== undefined) this.countOn(f, bytes, time);
  }

  /** The record a receive of `flow` counts in; undefined (counted as untracked) when there is none. */
  private receiving(flow: number): FlowRecord | undefined {
    const f = this.get(flow);
    if (f === undefined) this.untrackedReceived++;
    return f;
  }

  private countOn(f: FlowRecord, bytes: number, time: number): void {
    if (f.receivedPackets === 0) {
      f.firstReceivedNs = time;
      f.firstReceivedBytes = bytes;
    }
    f.receivedPackets++;
    f.receivedBytes += bytes;
    f.lastReceivedNs = time;
  }

  /** The flow's record, created if there is room; undefined for bad ids or beyond maxFlows. */
  private get(id: number): FlowRecord | undefined {
    const f = this.flows.get(id);
    if (f !== undefined) return f;
    if (!Number.isInteger(id) || id < 0 || id > FLOW_ID_MAX || this.flows.size >= this.maxFlows) return undefined;
    const created = new FlowRecord(id);
    this.flows.set(id, created);
    return created;
  }

  /** Everything counted so far, as plain data (crosses worker threads). */
  exportState(): FlowStatsState {
    const ids = [...this.flows.keys()].sort((a, b) => a - b);
    return {
      untrackedSent: this.untrackedSent,
      untrackedReceived: this.untrackedReceived,
      noFlow: this.noFlow,
      flows: ids.map((id) => {
        const f = this.flows.get(id)!;
        return {
          id,
          src: f.src,
          dst: f.dst,
          label: f.label,
          sentPackets: f.sentPackets,
          sentBytes: f.sentBytes,
          receivedPackets: f.receivedPackets,
          receivedBytes: f.receivedBytes,
          firstReceivedNs: f.firstReceivedNs,
          lastReceivedNs: f.lastReceivedNs,
          firstReceivedBytes: f.firstReceivedBytes,
          firstSentNs: f.firstSentNs,
          lastSentNs: f.lastSentNs,
          latency: f.latency?.toState() ?? null,
          drops: f.dropCounts === undefined ? null : f.dropsByReason(),
          jitterSumNs: f.jitterSumNs,
          jitterSamples: f.jitterSamples,
        };
      }),
    };
  }

  /**
   * Adds what another partition counted (its exportState()). Counts add, first/last times take
   * the earliest/latest, histograms merge exactly; labels fill in where this side has none.
   * When two partitions saw a flow's first packet at the same instant, the first one merged
   * supplies firstReceivedBytes (both are the same datagram's size in every scenario netloom
   * builds: multicast copies of one datagram).
   */
  mergeState(state: FlowStatsState): void {
    this.untrackedSent += state.untrackedSent;
    this.untrackedReceived += state.untrackedReceived;
    this.noFlow += state.noFlow;
    for (const s of state.flows) {
      const f = this.get(s.id);
      if (f === undefined) {
        this.untrackedSent += s.sentPackets;
        this.untrackedReceived += s.receivedPackets;
        continue;
      }
      f.src ??= s.src;
      f.dst ??= s.dst;
      f.label ??= s.label;
      f.sentPackets += s.sentPackets;
      f.sentBytes += s.sentBytes;
      if (s.receivedPackets > 0) {
        if (f.receivedPackets === 0 || s.firstReceivedNs < f.firstReceivedNs) {
          f.firstReceivedNs = s.firstReceivedNs;
          f.firstReceivedBytes = s.firstReceivedBytes;
        }
        if (f.receivedPackets === 0 || s.lastReceivedNs > f.lastReceivedNs) f.lastReceivedNs = s.lastReceivedNs;
      }
      f.receivedPackets += s.receivedPackets;
      f.receivedBytes += s.receivedBytes;
      if (s.sentPackets > 0) {
        if (!(f.firstSentNs <= s.firstSentNs)) f.firstSentNs = s.firstSentNs;
        if (!(f.lastSentNs >= s.lastSentNs)) f.lastSentNs = s.lastSentNs;
      }
      if (s.drops !== null) for (const [reason, n] of Object.entries(s.drops)) this.recordDropNamed(s.id, reason, n);
      // Each receiver's sequence is whole in one partition: its differences add up.
      f.jitterSumNs += s.jitterSumNs;
      f.jitterSamples += s.jitterSamples;
      if (s.latency !== null) {
        const h = LatencyHistogram.fromState(s.latency);
        if (f.latency === undefined) f.latency = h;
        else f.latency.merge(h);
      }
    }
  }

  /** Every flow, in ascending flow id. */
  toJSON(): FlowReport[] {
    const ids = [...this.flows.keys()].sort((a, b) => a - b);
    return ids.map((id) => this.flows.get(id)!.toJSON());
  }

  summary(): FlowStatsSummary {
    let sentPackets = 0;
    let receivedPackets = 0;
    let sentBytes = 0;
    let receivedBytes = 0;
    for (const f of this.flows.values()) {
      sentPackets += f.sentPackets;
      receivedPackets += f.receivedPackets;
      sentBytes += f.sentBytes;
      receivedBytes += f.receivedBytes;
    }
    return {
      flows: this.flows.size,
      sentPackets,
      receivedPackets,
      sentBytes,
      receivedBytes,
      untrackedSent: this.untrackedSent,
      untrackedReceived: this.untrackedReceived,
      noFlow: this.noFlow,
    };
  }
}
