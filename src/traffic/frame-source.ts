// Frame sources: generators of Ethernet frames attached to a NIC, in virtual time.
//
// Contract:
// - CbrSource sends frame k at exactly start + round(k * frameSize * 8 * 1e9 / rate) ns
//   (rate in bit/s of frame bytes, FCS included, preamble and gap not; round half up). For an
//   integer rate the rounding is exact (integer quotient and remainder carried from frame to
//   frame, no drift); a fractional rate uses the same formula in floating point.
// - PoissonSource sends with exponential gaps of mean frameSize * 8 * 1e9 / rate ns from the
//   stream `source:${name}`; frame k at start + round(sum of its first k + 1 gaps).
// - Both stop before `stop` (exclusive) or after `count` frames, whichever comes first.
// - Frames: dst, src = the NIC's address, etherType, then the payload
//     +0 flow (u32, big-endian)  +4 sequence number k (u32, big-endian, wraps)  +8.. byte j = j & 0xff
//   padded to frameSize - 4 bytes; the NIC appends the FCS. The frame store side table carries
//   flow and birth = the frame's own send time (latency statistics).
// - Batching: a source builds up to `batch` frames due within `horizon` of now, has the NIC
//   compute all their FCSs in one crc32Batch call (nic.prepareBatch), and keeps them in a ring;
//   each frame is then handed to the NIC (transmitPrepared) by a tick at its own exact time, so
//   batching changes the work per frame, not the trajectory. One tick event is pending at a
//   time. The cost: up to `batch` slots are held ahead of time: prepared frames are the
//   source's until sent, so stop() it (or run past the end) before checking for leaks.
// - Exhaustion: a frame that finds no slot at its own send time is dropped and counted
//   (NO_SLOT); its sequence number is skipped, so receivers see the gap. A batch cut short by
//   exhaustion retries the missing frames at their own times.
// - API misuse (bad rate, size, MAC, times) throws NetloomError naming the argument.

import { ErrorCode, NetloomError } from "../base/errors.js";
import { parseBitRate, parseDuration } from "../base/units.js";
import { NO_FRAME } from "../buf/frames.js";
import type { EventHandler } from "../engine/scheduler.js";
import type { Rng } from "../engine/rng.js";
import type { Simulation } from "../engine/simulation.js";
import { EV_DEVICE_BASE } from "../devices/device.js";
import { NIC_BATCH_MAX, type EthernetNic } from "../devices/nic.js";
import {
  ETH_FCS_LEN,
  ETH_HEADER_LEN,
  ETH_MAX_FRAME,
  ETH_MIN_FRAME,
  macFromString,
  writeMac,
} from "../wire/ethernet.js";
import { Pacer } from "./pacer.js";

/**
 *     Idle --begin (first tick)--> Running --finish (count or stop time reached)--> Done
 *       \                             |
 *        +-------- stop() -----------+--> Done  (releases prepared frames, cancels the tick)
 */
export const SourceState = { Idle: 0, Running: 1, Done: 2 } as const;
export type SourceState = (typeof SourceState)[keyof typeof SourceState];
const STATE_NAMES = ["Idle", "Running", "Done"] as const;

/** A source's timer: send the frames due now, prepare the next batch when the ring is empty. */
export const EV_SOURCE_TICK = EV_DEVICE_BASE;

/** Offset in the frame of the flow id (u32, big-endian). */
export const SOURCE_FLOW_OFFSET = ETH_HEADER_LEN;
/** Offset in the frame of the sequence number (u32, big-endian). */
export const SOURCE_SEQ_OFFSET = ETH_HEADER_LEN + 4;
/** Offset of the first pattern byte; byte at payload offset j is j & 0xff. */
export const SOURCE_PATTERN_OFFSET = ETH_HEADER_LEN + 8;
/** IEEE 802 local experimental EtherType 1: the default for generated traffic. */
export const ETHERTYPE_EXPERIMENTAL = 0x88b5;
/** Headroom left in front of generated frames (room for a lower layer's header). */
const HEADROOM = 64;

export interface FrameSourceOptions {
  /** Unique device name (default `${nic.name}.source${index}`). */
  name?: string;
  /** Destination MAC (number or "02:00:00:00:00:02"). */
  dst: number | string;
  /** EtherType (>= 0x0600; default 0x88b5). */
  etherType?: number;
  /** Whole frame on the wire, FCS included: 64 to 1518 bytes. */
  frameSize: number;
  /** Mean bit rate of frame bytes: bit/s or a string such as "100Mbps". */
  rate: number | string;
  /** First send time (ns or "5us"; default now). */
  start?: number | string;
  /** No frame is sent at or after this time (default never). */
  stop?: number | string;
  /** Most frames to send (default unlimited). */
  count?: number;
  /** Flow id carried in the frames and the side table (default the source index). */
  flow?: number;
  /** Most frames prepared per crc32Batch call (1 to 256, default 64). */
  batch?: number;
  /** Only frames due within this long of now are prepared ahead (ns or "1ms"; default 10 ms). */
  horizon?: number | string;
}

export interface FrameSourceStats {
  state: (typeof STATE_NAMES)[number];
  /** Frames (and their bytes, FCS included) handed to the NIC. */
  frames: number;
  bytes: number;
  /** Frames not sent, by reason (NO_SLOT). */
  drops: Record<string, number>;
  /** Sequence number of the next frame to build. */
  nextSequence: number;
  /** Frames prepared and waiting for their time. */
  prepared: number;
}

const sourceCounts = new WeakMap<Simulation, number>();

function invalid(path: string, message: string): NetloomError {
  return new NetloomError(ErrorCode.INVALID_ARGUMENT, message, { path });
}

export abstract class FrameSource implements EventHandler {
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  readonly nic: EthernetNic;
  /** Position among the sources of this simulation, in creation order. */
  readonly index: number;
  readonly flow: number;
  readonly frameSize: number;
  /** Bit rate of frame bytes (bit/s). */
  readonly rate: number;
  readonly start: number;
  readonly stopTime: number;
  readonly count: number;
  readonly batch: number;
  readonly horizon: number;
  private stateValue: SourceState = SourceState.Idle;
  /** Frame bytes before the FCS with everything but the sequence number filled in. */
  private readonly template: Uint8Array;
  // Ring of prepared frames: ids[pos..len) go out at times[pos..len).
  private readonly ids: Int32Array;
  private readonly times: Float64Array;
  private ringLen = 0;
  private ringPos = 0;
  /** Sequence number of the next frame to build and its send time. */
  private seq = 0;
  private nextDue = 0;
  private tick = -1;
  private sentFrames = 0;
  private sentBytes = 0;
  private noSlot = 0;

  protected constructor(nic: EthernetNic, options: FrameSourceOptions, kind: string) {
    const sim = nic.sim;
    const index = sourceCounts.get(sim) ?? 0;
    const name = options.name ?? `${nic.name}.source${index}`;
    const o = options as Partial<FrameSourceOptions>;
    if (o.dst === undefined) throw invalid(`${name}.dst`, `a ${kind} source needs a destination MAC`);
    const dst = typeof o.dst === "string" ? macFromString(o.dst, `${name}.dst`) : o.dst;
    if (!Number.isInteger(dst) || dst < 0 || dst > 0xffff_ffff_ffff) {
      throw invalid(`${name}.dst`, `${String(o.dst)} is not a 48-bit MAC address`);
    }
    const etherType = o.etherType ?? ETHERTYPE_EXPERIMENTAL;
    if (!Number.isInteger(etherType) || etherType < 0x0600 || etherType > 0xffff) {
      throw invalid(`${name}.etherType`, `${String(etherType)} is not an EtherType (0x0600 to 0xffff)`);
    }
    const frameSize = o.frameSize ?? NaN;
    if (!Number.isInteger(frameSize) || frameSize < ETH_MIN_FRAME || frameSize > ETH_MAX_FRAME) {
      throw invalid(
        `${name}.frameSize`,
        `${String(o.frameSize)} is not a frame size (${ETH_MIN_FRAME} to ${ETH_MAX_FRAME} bytes, FCS included)`,
      );
    }
    const rate = parseBitRate(o.rate, `${name}.rate`);
    if (!(rate > 0)) throw invalid(`${name}.rate`, `${String(o.rate)} is not a bit rate above 0`);
    const start = o.start === undefined ? sim.now : parseDuration(o.start, `${name}.start`);
    if (start < sim.now) throw invalid(`${name}.start`, `${start} ns is before the current time ${sim.now} ns`);
    const stop = o.stop === undefined ? Infinity : parseDuration(o.stop, `${name}.stop`);
    if (stop < start) throw invalid(`${name}.stop`, `${stop} ns is before the start ${start} ns`);
    const count = o.count ?? Infinity;
    if (!(count === Infinity || (Number.isSafeInteger(count) && count >= 0))) {
      throw invalid(`${name}.count`, `${String(count)} is not a frame count (an integer >= 0)`);
    }
    const flow = o.flow ?? index;
    if (!Number.isInteger(flow) || flow < 0 || flow > 0x7fffffff) {
      throw invalid(`${name}.flow`, `${String(flow)} is not a flow id (0 to 2^31 - 1)`);
    }
    const batch = o.batch ?? 64;
    if (!Number.isInteger(batch) || batch < 1 || batch > NIC_BATCH_MAX) {
      throw invalid(`${name}.batch`, `${String(batch)} is not a batch size (1 to ${NIC_BATCH_MAX})`);
    }
    const horizon = o.horizon === undefined ? 10_000_000 : parseDuration(o.horizon, `${name}.horizon`);

    this.sim = sim;
    this.nic = nic;
    this.name = name;
    this.id = sim.register(name, this);
    sourceCounts.set(sim, index + 1);
    this.index = index;
    this.flow = flow;
    this.frameSize = frameSize;
    this.rate = rate;
    this.start = start;
    this.stopTime = stop;
    this.count = count;
    this.batch = batch;
    this.horizon = horizon;
    this.ids = new Int32Array(batch).fill(NO_FRAME);
    this.times = new Float64Array(batch);

    const t = new Uint8Array(frameSize - ETH_FCS_LEN);
    writeMac(t, 0, dst);
    writeMac(t, 6, nic.mac);
    t[12] = etherType >>> 8;
    t[13] = etherType & 0xff;
    t[SOURCE_FLOW_OFFSET] = flow >>> 24;
    t[SOURCE_FLOW_OFFSET + 1] = flow >>> 16;
    t[SOURCE_FLOW_OFFSET + 2] = flow >>> 8;
    t[SOURCE_FLOW_OFFSET + 3] = flow;
    for (let i = SOURCE_PATTERN_OFFSET; i < t.length; i++) t[i] = (i - ETH_HEADER_LEN) & 0xff;
    this.template = t;
  }

  /** Subclasses call this once their timing state is set: schedules the first frame. */
  protected arm(): void {
    this.nextDue = this.advance();
    if (this.hasMore()) {
      this.tick = this.sim.scheduler.scheduleAt(this.id, this.nextDue, this.id, EV_SOURCE_TICK, 0, 0, 0);
    } else {
      this.stateValue = SourceState.Done; // nothing to send at all
    }
  }

  /** Send time of the next frame; called once per frame, in order. */
  protected abstract advance(): number;

  get state(): SourceState {
    return this.stateValue;
  }

  get stateName(): (typeof STATE_NAMES)[number] {
    return STATE_NAMES[this.stateValue];
  }

  private hasMore(): boolean {
    return this.seq < this.count && this.nextDue < this.stopTime;
  }

  handleEvent(kind: number, _a: number, _b: number, _len: number): void {
    if (kind !== EV_SOURCE_TICK || this.stateValue === SourceState.Done) return;
    this.tick = -1;
    if (this.stateValue === SourceState.Idle) this.begin();
    const now = this.sim.scheduler.now;
    if (this.ringPos === this.ringLen) this.refill(now);
    const ids = this.ids;
    const times = this.times;
    while (this.ringPos < this.ringLen && times[this.ringPos]! <= now) {
      const f = ids[this.ringPos]!;
      ids[this.ringPos++] = NO_FRAME;
      if (f === NO_FRAME) continue; // dropped by the NIC while being prepared (counted there)
      this.sentFrames++;
      this.sentBytes += this.sim.frames.length[f]!;
      this.nic.transmitPrepared(f);
    }
    let next: number;
    if (this.ringPos < this.ringLen) next = times[this.ringPos]!;
    else if (this.hasMore()) next = this.nextDue;
    else return this.finish();
    this.tick = this.sim.scheduler.scheduleAt(this.id, next, this.id, EV_SOURCE_TICK, 0, 0, 0);
  }

  /** Idle -> Running, at the first frame's time. */
  private begin(): void {
    this.stateValue = SourceState.Running;
  }

  /** Running -> Done: the last frame went out. */
  private finish(): void {
    this.stateValue = SourceState.Done;
  }

  /**
   * Any state -> Done now: cancels the pending tick and releases the prepared frames (their
   * sequence numbers are never sent). Returns false when already Done.
   */
  stop(): boolean {
    if (this.stateValue === SourceState.Done) return false;
    if (this.tick >= 0) this.sim.scheduler.cancel(this.tick);
    this.tick = -1;
    for (let i = this.ringPos; i < this.ringLen; i++) {
      const f = this.ids[i]!;
      if (f !== NO_FRAME) this.sim.frames.release(f);
      this.ids[i] = NO_FRAME;
    }
    this.ringPos = this.ringLen = 0;
    this.stateValue = SourceState.Done;
    return true;
  }

  /** Builds the frames due within the horizon (at most `batch`) and has the NIC FCS them at once. */
  private refill(now: number): void {
    const frames = this.sim.frames;
    const u8 = this.sim.runtime.u8;
    const template = this.template;
    const length = template.length;
    const limit = now + this.horizon;
    let n = 0;
    this.ringPos = 0;
    while (n < this.batch && this.hasMore() && (this.nextDue <= now || this.nextDue < limit)) {
      const due = this.nextDue;
      const f = frames.alloc(HEADROOM, due, this.flow);
      if (f === NO_FRAME) {
        if (n > 0 || due > now) break; // retried at its own time, as the first of a batch
        this.noSlot++; // due now and no slot: this frame is lost
      } else {
        frames.setLength(f, length);
        const off = frames.offset(f);
        u8.set(template, off);
        const s = this.seq;
        const p = off + SOURCE_SEQ_OFFSET;
        u8[p] = s >>> 24;
        u8[p + 1] = s >>> 16;
        u8[p + 2] = s >>> 8;
        u8[p + 3] = s;
        this.ids[n] = f;
        this.times[n] = due;
        n++;
      }
      this.seq++;
      this.nextDue = this.advance();
    }
    this.ringLen = n;
    if (n > 0) this.nic.prepareBatch(this.ids, n);
  }

  stats(): FrameSourceStats {
    const drops: Record<string, number> = {};
    if (this.noSlot > 0) drops["NO_SLOT"] = this.noSlot;
    return {
      state: this.stateName,
      frames: this.sentFrames,
      bytes: this.sentBytes,
      drops,
      nextSequence: this.seq,
      prepared: this.ringLen - this.ringPos,
    };
  }

  /** Frames dropped for want of a slot. */
  get drops(): number {
    return this.noSlot;
  }

  /** Same as stop(): releases everything the source holds. */
  destroy(): void {
    this.stop();
  }
}

/** Constant bit rate: frame k at start + round(k * frameSize * 8e9 / rate) ns. */
export class CbrSource extends FrameSource {
  /** Nanoseconds between frames (a float: the exact period). */
  readonly period: number;
  private readonly pacer: Pacer;

  constructor(nic: EthernetNic, options: FrameSourceOptions) {
    super(nic, options, "CBR");
    const num = this.frameSize * 8 * 1e9;
    this.period = num / this.rate;
    this.pacer = new Pacer(num, this.rate);
    this.arm();
  }

  protected advance(): number {
    return this.start + this.pacer.next();
  }
}

/** Poisson arrivals: exponential gaps (mean frameSize * 8e9 / rate ns) from stream `source:${name}`. */
export class PoissonSource extends FrameSource {
  readonly meanGap: number;
  private readonly rng: Rng;
  /** Sum of the gaps drawn so far (a float; rounded only when a time is taken from it). */
  private elapsed = 0;

  constructor(nic: EthernetNic, options: FrameSourceOptions) {
    super(nic, options, "Poisson");
    this.meanGap = (this.frameSize * 8 * 1e9) / this.rate;
    this.rng = this.sim.scheduler.rng(`source:${this.name}`);
    this.arm();
  }

  protected advance(): number {
    this.elapsed += this.rng.exponential(this.meanGap);
    return this.start + Math.round(this.elapsed);
  }
}
