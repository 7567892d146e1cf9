// CsmaSegment: a shared Ethernet segment (a coax bus or a repeater hub) with 1-persistent
// CSMA/CD as in IEEE 802.3 clause 4 (half duplex).
//
// Contract:
// - A Channel with `stations` endpoints 0..N-1; Device.attach(port, segment, station) connects
//   a device port to a station. transmit(station, frame) takes ownership whatever happens: false
//   means it was dropped (QUEUE_FULL when the station already holds queueLimit frames, the one
//   on the wire included, or when the stations together hold effectiveQueueTotal; TOO_LONG
//   above maxFrame; RUNT below the 14-byte header), counted at trace[station].macTxDrop and
//   released. effectiveQueueTotal is stations x queueLimit cut to the frame store's deviceShare
//   (half the pool): the segment is one device, and it never takes every slot.
// - The medium is uniform: one propagation delay tau between every pair of stations, at most
//   half the slot time, so every transmitter sees its collisions while still sending.
// - Wire time of a frame: preamble + SFD + the frame padded to 64 bytes, then the 96-bit IFG.
//   A collision costs a 32-bit jam and a truncated binary exponential backoff drawn from the
//   station's own stream `csma:${name}:${station}`; after attemptLimit attempts the frame is
//   dropped (EXCESSIVE_COLLISIONS).
// - A frame sent without collision reaches every other attached station as EV_FRAME_RX when its
//   last bit arrives, by reference (never copied); the NICs filter addresses.
// - flushQueued(station, reason) (the station's device crashed): the frames it holds are
//   dropped, counted at its macTxDrop; a frame on the wire finishes (a colliding one is dropped
//   when its jam ends instead of backing off) and a waiting station goes Idle (transition
//   `flushed`).
// - Trace points: trace[station] has macTx, macTxDrop, phyTxBegin (every attempt), phyTxEnd
//   (sent intact) and phyRxEnd; `medium` has sniffer (every intact frame) and phyRxDrop with
//   COLLISION (every destroyed attempt).
// - The segment takes two origin ids, its own and `${name}:medium` for carrier edges.
// - Hot path: no allocation per frame or per event; per-station state lives in typed arrays; a
//   carrier edge costs a loop over the stations (N is at most 1024).
// - Not handled: positional delays, late collisions (refused by the tau bound), carrier
//   extension and frame bursting (1000BASE half duplex), full duplex.

import { ErrorCode, NetloomError } from "../base/errors.js";
import { parseBitRate, parseDuration } from "../base/units.js";
import type { EventHandler } from "../engine/scheduler.js";
import type { Rng } from "../engine/rng.js";
import type { Simulation } from "../engine/simulation.js";
import { DropReason, TracePoints } from "../trace/trace-point.js";
import { ETH_HEADER_LEN, ETH_IFG_BITS, ETH_MIN_FRAME, ETH_PREAMBLE_LEN } from "../wire/ethernet.js";
import { EV_DEVICE_BASE, EV_FRAME_RX, type Channel } from "./device.js";

/**
 * Station states (values index CSMA_STATE_NAMES). Each transition is a method of the same name:
 *
 *                     frameQueued
 *     Idle ----------------------------------> Deferring <--+  carrierSensed (IFG restarts)
 *      ^                                        |   ^   |    |  carrierDropped (IFG starts)
 *      |                             ifgElapsed |   |   +----+
 *      |                                        v   | transmissionDone (more queued)
 *      +------ transmissionDone (queue empty) - Transmitting
 *      |                                        |
 *      |                      collisionDetected |
 *      |                                        v
 *      +---- excessiveCollisions (queue empty) - Jamming -- excessiveCollisions (more) --> Deferring
 *                                               |
 *                                backoffStarted |
 *                                               v
 *                                            Backoff ------ backoffElapsed -------------> Deferring
 *
 * Deferring has two phases: waiting for the carrier to drop (no timer), and counting the IFG
 * (a timer; carrier before commitAt restarts the wait: carrierSensed).
 */
export const CsmaState = {
  Idle: 0,
  /** Has a frame; waits for the carrier to drop, then for the inter-frame gap. */
  Deferring: 1,
  Transmitting: 2,
  /** Collision seen: sending the 32-bit jam. */
  Jamming: 3,
  /** Waiting r slot times after a collision. */
  Backoff: 4,
} as const;
export type CsmaState = (typeof CsmaState)[keyof typeof CsmaState];
export const CSMA_STATE_NAMES = ["Idle", "Deferring", "Transmitting", "Jamming", "Backoff"] as const;

/** Named transitions (values index CSMA_TRANSITION_NAMES), reported to transition listeners. */
export const CsmaTransition = {
  frameQueued: 0,
  carrierSensed: 1,
  carrierDropped: 2,
  ifgElapsed: 3,
  collisionDetected: 4,
  transmissionDone: 5,
  backoffStarted: 6,
  excessiveCollisions: 7,
  backoffElapsed: 8,
  /** The station's device crashed: what it held is dropped (flushQueued). */
  flushed: 9,
} as const;
export type CsmaTransition = (typeof CsmaTransition)[keyof typeof CsmaTransition];
export const CSMA_TRANSITION_NAMES = [
  "frameQueued",
  "carrierSensed",
  "carrierDropped",
  "ifgElapsed",
  "collisionDetected",
  "transmissionDone",
  "backoffStarted",
  "excessiveCollisions",
  "backoffElapsed",
  "flushed",
] as const;

/** 802.3 slot time in bit times: the backoff unit, and the bound on the round trip. */
export const CSMA_SLOT_BITS = 512;
export const CSMA_JAM_BITS = 32;
/**
 * The part of the 96-bit IFG during which carrier restarts the deferral (2/3 of it, 802.3
 * 4.2.3.2.1); carrier in the last 32 bits is ignored. That is what makes the last sender collide
 * with the stations that waited for it, instead of sending forever.
 */
export const CSMA_IFG_PART1_BITS = 64;
export const CSMA_ATTEMPT_LIMIT = 16;
export const CSMA_BACKOFF_LIMIT = 10;
export const CSMA_DEFAULT_RATE = 10_000_000;
/**
 * Default one-way delay in bit times: half the slot (25.6 us at 10 Mbit/s), the largest 802.3
 * allows in one collision domain (a maximum-span 10BASE5 network of 2.5 km through four
 * repeaters). It is the pessimistic setting of the Metcalfe-Boggs analysis, where 2 tau equals
 * the slot; a single 500 m coax segment is about 2.2 us (propagationDelay: "2.2us").
 */
export const CSMA_DEFAULT_PROPAGATION_BITS = 256;
export const CSMA_DEFAULT_QUEUE_LIMIT = 64;
/** Largest frame accepted by default: 1518 + an 802.1Q tag. */
export const CSMA_DEFAULT_MAX_FRAME = 1522;
export const CSMA_MAX_STATIONS = 1024;

// Event kinds: carrier edges come from the medium origin, the rest from the segment itself.
const EV_CARRIER_ON = EV_DEVICE_BASE + 0; // a = station whose signal reaches the others
const EV_CARRIER_OFF = EV_DEVICE_BASE + 1; // a = station whose signal has passed
const EV_IFG_DONE = EV_DEVICE_BASE + 2; // a = station
const EV_TX_DONE = EV_DEVICE_BASE + 3; // a = station, len = frame length
const EV_JAM_DONE = EV_DEVICE_BASE + 4; // a = station
const EV_BACKOFF_DONE = EV_DEVICE_BASE + 5; // a = station
const EV_DELIVER = EV_DEVICE_BASE + 6; // a = frame, b = sending station, len = frame length

const NO_TIMER = -1;

export interface CsmaSegmentOptions {
  /** Number of stations (endpoints 0..N-1), 1 to 1024. */
  stations: number;
  /** Bit rate: bits/s or a string such as "10Mbps" (default 10 Mbit/s). */
  rate?: number | string;
  /** End-to-end propagation delay: ns or a string such as "2.2us" (default 256 bit times). */
  propagationDelay?: number | string;
  /** Frames a station holds, the one on the wire included (default 64); more are dropped. */
  queueLimit?: number;
  /** Largest frame in bytes, FCS included (default 1522). */
  maxFrame?: number;
  /** Attempts before a frame is dropped (802.3 attemptLimit, default 16). */
  attemptLimit?: number;
  /** Cap on the backoff exponent (802.3 backoffLimit, default 10; 0 makes every backoff 0 slots). */
  backoffLimit?: number;
}

/** Called on every state transition when subscribed (for tests and visualisation). */
export type CsmaTransitionListener = (
  time: number,
  station: number,
  from: CsmaState,
  to: CsmaState,
  transition: CsmaTransition,
) => void;

export interface CsmaStationStats {
  station: number;
  state: (typeof CSMA_STATE_NAMES)[number];
  queued: number;
  framesSent: number;
  bytesSent: number;
  framesReceived: number;
  /** Collisions this station took part in (one per destroyed attempt). */
  collisions: number;
  /** Times a frame found the medium busy (or had its IFG restarted by carrier). */
  deferrals: number;
  /** Mean attempts per frame sent (1 = no collision). */
  attemptsMean: number;
  /** attemptsHistogram[a] = frames sent on attempt a (index 0 unused). */
  attemptsHistogram: number[];
  drops: Record<string, number>;
}

export interface CsmaSegmentStats {
  elapsedNs: number;
  framesSent: number;
  bytesSent: number;
  /** Sum over stations of collisions (each colliding station counts its own). */
  collisions: number;
  drops: Record<string, number>;
  /** Frame bits (header to FCS) delivered intact / (rate x elapsed). */
  utilisation: number;
  /** Backoffs drawn per attempt count: backoffs[a] = { count, meanSlots, maxSlots }. */
  backoffs: { attempts: number; count: number; meanSlots: number; maxSlots: number }[];
  stations: CsmaStationStats[];
}

/**
 * Slots to back off after the `attempts`-th collision of a frame: uniform in [0, 2^k - 1] with
 * k = min(attempts, backoffLimit) (802.3 truncated binary exponential backoff). One draw
 * (two on the rare rejection).
 */
export function drawBackoffSlots(rng: Rng, attempts: number, backoffLimit: number): number {
  const k = attempts < backoffLimit ? attempts : backoffLimit;
  return rng.nextBelow(1 << k);
}

/**
 * Metcalfe-Boggs efficiency of a saturated segment: 1 / (1 + 2 tau e / T), tau the end-to-end
 * delay and T the frame's transmission time (same unit). A reference shape, not an exact law.
 */
export function metcalfeBoggsEfficiency(propagationNs: number, frameNs: number): number {
  return 1 / (1 + (2 * propagationNs * Math.E) / frameNs);
}

function invalid(path: string, message: string): NetloomError {
  return new NetloomError(ErrorCode.INVALID_ARGUMENT, message, { path });
}

function checkIntOption(path: string, value: number, min: number, max: number, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(path, `${String(value)} is not ${what} (an integer from ${min} to ${max})`);
  }
  return value;
}

export class CsmaSegment implements Channel, EventHandler {
  readonly id: number;
  /**
   * Origin id of carrier edges, registered just before the segment, so at equal times every
   * carrier edge is applied before any station timer: tie-breaking is part of the model, not of
   * insertion order.
   */
  readonly mediumId: number;
  readonly name: string;
  readonly sim: Simulation;
  readonly stations: number;
  /** Bits per second. */
  readonly rate: number;
  /** One-way end-to-end delay, ns. */
  readonly propagationDelay: number;
  readonly queueLimit: number;
  /** Frames all stations together may hold: stations x queueLimit, cut to the frame store's deviceShare. */
  readonly effectiveQueueTotal: number;
  private qTotal = 0;
  readonly maxFrame: number;
  readonly attemptLimit: number;
  readonly backoffLimit: number;
  /** Durations in whole ns at this rate. */
  readonly slotNs: number;
  readonly ifgNs: number;
  readonly ifgPart1Ns: number;
  readonly jamNs: number;
  /** Trace points of each station. */
  readonly trace: TracePoints[];
  /** Trace points of the medium as a whole: sniffer, and phyRxDrop for collisions. */
  readonly medium = new TracePoints();

  private readonly nsPerBit: number;
  private readonly state: Uint8Array;
  /** Pending timer handle per station (IFG, end of frame, end of jam, end of backoff). */
  private readonly timer: Float64Array;
  /** While counting the IFG: carrier from this time on no longer restarts it. */
  private readonly commitAt: Float64Array;
  /** When the medium last became idle as seen by the station (own transmission included). */
  private readonly idleSince: Float64Array;
  private readonly attempts: Int32Array;
  /** Non-zero: the frame being jammed is dropped at the end of the jam, with this DropReason (flushQueued). */
  private readonly dropAfterJam: Uint8Array;
  /** 1 while the station's signal is present at the other stations. */
  private readonly present: Uint8Array;
  private presentTotal = 0;
  private readonly queue: Int32Array;
  private readonly qHead: Int32Array;
  private readonly qLen: Int32Array;
  private readonly device: Int32Array;
  private readonly port: Int32Array;
  private readonly rngs: Rng[];
  private readonly collisions: Float64Array;
  private readonly deferrals: Float64Array;
  private readonly attemptsHist: Float64Array;
  private readonly backoffCount: Float64Array;
  private readonly backoffSum: Float64Array;
  private readonly backoffMax: Float64Array;
  private goodBits = 0;
  private readonly startTime: number;
  private listener: CsmaTransitionListener | undefined = undefined;

  constructor(sim: Simulation, name: string, options: CsmaSegmentOptions) {
    this.sim = sim;
    this.name = name;
    const n = checkIntOption(`${name}.stations`, options.stations, 1, CSMA_MAX_STATIONS, "a station count");
    this.stations = n;
    this.rate = parseBitRate(options.rate ?? CSMA_DEFAULT_RATE, `${name}.rate`);
    this.nsPerBit = 1e9 / this.rate;
    this.slotNs = Math.round(CSMA_SLOT_BITS * this.nsPerBit);
    this.ifgNs = Math.round(ETH_IFG_BITS * this.nsPerBit);
    this.ifgPart1Ns = Math.round(CSMA_IFG_PART1_BITS * this.nsPerBit);
    this.jamNs = Math.max(1, Math.round(CSMA_JAM_BITS * this.nsPerBit));
    if (this.slotNs < 2) throw invalid(`${name}.rate`, `${String(options.rate)} is too fast for a CSMA/CD segment`);
    const halfSlot = Math.floor(this.slotNs / 2);
    this.propagationDelay =
      options.propagationDelay === undefined
        ? Math.round(CSMA_DEFAULT_PROPAGATION_BITS * this.nsPerBit)
        : parseDuration(options.propagationDelay, `${name}.propagationDelay`);
    if (this.propagationDelay > halfSlot) {
      throw invalid(
        `${name}.propagationDelay`,
        `${this.propagationDelay} ns is more than half the slot time (${halfSlot} ns at ${this.rate} bit/s): ` +
          "collisions would go unseen by their senders (late collisions are not modelled)",
      );
    }
    this.queueLimit = checkIntOption(
      `${name}.queueLimit`,
      options.queueLimit ?? CSMA_DEFAULT_QUEUE_LIMIT,
      1,
      65_536,
      "a queue limit",
    );
    this.maxFrame = checkIntOption(
      `${name}.maxFrame`,
      options.maxFrame ?? CSMA_DEFAULT_MAX_FRAME,
      ETH_MIN_FRAME,
      65_535,
      "a frame size",
    );
    this.attemptLimit = checkIntOption(
      `${name}.attemptLimit`,
      options.attemptLimit ?? CSMA_ATTEMPT_LIMIT,
      1,
      1024,
      "an attempt limit",
    );
    this.backoffLimit = checkIntOption(
      `${name}.backoffLimit`,
      options.backoffLimit ?? CSMA_BACKOFF_LIMIT,
      0,
      16,
      "a backoff limit",
    );

    this.state = new Uint8Array(n);
    this.timer = new Float64Array(n).fill(NO_TIMER);
    this.commitAt = new Float64Array(n);
    this.idleSince = new Float64Array(n).fill(-Infinity);
    this.attempts = new Int32Array(n);
    this.dropAfterJam = new Uint8Array(n);
    this.present = new Uint8Array(n);
    this.queue = new Int32Array(n * this.queueLimit);
    this.effectiveQueueTotal = Math.min(n * this.queueLimit, sim.frames.deviceShare);
    this.qHead = new Int32Array(n);
    this.qLen = new Int32Array(n);
    this.device = new Int32Array(n).fill(-1);
    this.port = new Int32Array(n);
    this.collisions = new Float64Array(n);
    this.deferrals = new Float64Array(n);
    this.attemptsHist = new Float64Array(n * (this.attemptLimit + 1));
    this.backoffCount = new Float64Array(this.attemptLimit + 1);
    this.backoffSum = new Float64Array(this.attemptLimit + 1);
    this.backoffMax = new Float64Array(this.attemptLimit + 1);
    this.trace = Array.from({ length: n }, () => new TracePoints());
    this.rngs = Array.from({ length: n }, (_, i) => sim.scheduler.rng(`csma:${name}:${i}`));
    // The medium origin first: a lower id sorts first among events at the same time.
    this.mediumId = sim.register(`${name}:medium`, this);
    this.id = sim.register(name, this);
    this.startTime = sim.now;
  }

  // ---- Channel ----

  connect(end: number, device: number, port: number): void {
    this.checkStation(end, "end");
    if (this.device[end] !== -1) {
      throw invalid(
        this.name,
        `station ${end} of ${this.name} is already connected to ${this.sim.scheduler.nameOf(this.device[end]!)}`,
      );
    }
    this.device[end] = device;
    this.port[end] = port;
  }

  /** Takes ownership of `frame` at station `end`; false = dropped (counted and released). */
  transmit(end: number, frame: number): boolean {
    const frames = this.sim.frames;
    if (!(end >= 0 && end < this.stations && Number.isInteger(end))) {
      frames.release(frame);
      throw invalid("end", `${String(end)} is not a station of ${this.name} (0 to ${this.stations - 1})`);
    }
    const len = frames.length[frame]!;
    const tr = this.trace[end]!;
    const now = this.sim.now;
    let reason: DropReason = DropReason.NONE;
    if (len > this.maxFrame) reason = DropReason.TOO_LONG;
    else if (len < ETH_HEADER_LEN) reason = DropReason.RUNT;
    else if (this.qLen[end]! >= this.queueLimit || this.qTotal >= this.effectiveQueueTotal)
      reason = DropReason.QUEUE_FULL;
    if (reason !== DropReason.NONE) {
      tr.macTxDrop.hit(now, frame, len, reason);
      frames.release(frame);
      return false;
    }
    const limit = this.queueLimit;
    let tail = this.qHead[end]! + this.qLen[end]!;
    if (tail >= limit) tail -= limit;
    this.queue[end * limit + tail] = frame;
    this.qLen[end]!++;
    this.qTotal++;
    tr.macTx.hit(now, frame, len);
    if (this.state[end] === CsmaState.Idle) this.frameQueued(end);
    return true;
  }

  /**
   * Drops what station `end` holds (its device crashed), counted as `reason` at its macTxDrop:
   * a frame on the wire finishes, a colliding one is dropped at the end of its jam, and a
   * deferring or backing-off station goes Idle. Returns how many frames were dropped now.
   */
  flushQueued(end: number, reason: number): number {
    this.checkStation(end, "end");
    const st = this.state[end]!;
    const onWire = st === CsmaState.Transmitting || st === CsmaState.Jamming;
    const keep = onWire ? 1 : 0;
    const frames = this.sim.frames;
    const tr = this.trace[end]!;
    const now = this.sim.now;
    const limit = this.queueLimit;
    const n = this.qLen[end]! - keep;
    for (let k = 0; k < n; k++) {
      let i = this.qHead[end]! + keep + k;
      if (i >= limit) i -= limit;
      const f = this.queue[end * limit + i]!;
      tr.macTxDrop.hit(now, f, frames.length[f]!, reason);
      frames.release(f);
    }
    this.qLen[end] = keep;
    if (st === CsmaState.Jamming) this.dropAfterJam[end] = reason;
    if (!onWire && st !== CsmaState.Idle) {
      if (this.timer[end] !== NO_TIMER) this.sim.scheduler.cancel(this.timer[end]!);
      this.timer[end] = NO_TIMER;
      this.attempts[end] = 0;
      this.move(end, CsmaState.Idle, CsmaTransition.flushed);
    }
    return n;
  }

  // ---- Inspection ----

  /** Subscribes to state transitions (one listener; undefined removes it). */
  onTransition(listener: CsmaTransitionListener | undefined): void {
    this.listener = listener;
  }

  stateOf(station: number): CsmaState {
    this.checkStation(station, "station");
    return this.state[station]! as CsmaState;
  }

  queueLength(station: number): number {
    this.checkStation(station, "station");
    return this.qLen[station]!;
  }

  /** Wire time of a frame of `length` bytes (preamble + SFD + frame, padded to 64 bytes), ns. */
  frameTime(length: number): number {
    const len = length < ETH_MIN_FRAME ? ETH_MIN_FRAME : length;
    return Math.round((ETH_PREAMBLE_LEN + len) * 8 * this.nsPerBit);
  }

  /** Counters of the segment and each station (allocates: for reports, not the hot path). */
  stats(): CsmaSegmentStats {
    const elapsedNs = this.sim.now - this.startTime;
    const drops: Record<string, number> = {};
    const stations: CsmaStationStats[] = [];
    const hw = this.attemptLimit + 1;
    let framesSent = 0;
    let bytesSent = 0;
    let collisions = 0;
    for (let s = 0; s < this.stations; s++) {
      const tr = this.trace[s]!;
      const hist = Array.from(this.attemptsHist.subarray(s * hw, (s + 1) * hw));
      let attemptSum = 0;
      for (let a = 1; a < hw; a++) attemptSum += a * hist[a]!;
      const d = tr.macTxDrop.dropsByReason();
      for (const [k, v] of Object.entries(d)) drops[k] = (drops[k] ?? 0) + v;
      stations.push({
        station: s,
        state: CSMA_STATE_NAMES[this.state[s]!]!,
        queued: this.qLen[s]!,
        framesSent: tr.phyTxEnd.frames,
        bytesSent: tr.phyTxEnd.bytes,
        framesReceived: tr.phyRxEnd.frames,
        collisions: this.collisions[s]!,
        deferrals: this.deferrals[s]!,
        attemptsMean: tr.phyTxEnd.frames > 0 ? attemptSum / tr.phyTxEnd.frames : 0,
        attemptsHistogram: hist,
        drops: d,
      });
      framesSent += tr.phyTxEnd.frames;
      bytesSent += tr.phyTxEnd.bytes;
      collisions += this.collisions[s]!;
    }
    const backoffs: CsmaSegmentStats["backoffs"] = [];
    for (let a = 1; a < hw; a++) {
      const c = this.backoffCount[a]!;
      if (c > 0)
        backoffs.push({ attempts: a, count: c, meanSlots: this.backoffSum[a]! / c, maxSlots: this.backoffMax[a]! });
    }
    return {
      elapsedNs,
      framesSent,
      bytesSent,
      collisions,
      drops,
      utilisation: elapsedNs > 0 ? this.goodBits / ((this.rate * elapsedNs) / 1e9) : 0,
      backoffs,
      stations,
    };
  }

  // ---- Events ----

  handleEvent(kind: number, a: number, b: number, len: number): void {
    switch (kind) {
      case EV_CARRIER_ON:
        this.carrierOn(a);
        break;
      case EV_CARRIER_OFF:
        this.carrierOff(a);
        break;
      case EV_IFG_DONE:
        this.ifgElapsed(a);
        break;
      case EV_TX_DONE:
        this.transmissionDone(a);
        break;
      case EV_JAM_DONE:
        this.jamDone(a);
        break;
      case EV_BACKOFF_DONE:
        this.backoffElapsed(a);
        break;
      case EV_DELIVER:
        this.deliver(a, b, len);
        break;
      default:
        break;
    }
  }

  // ---- Medium ----

  /** Carrier as station j senses it: other stations' signals present at j. */
  private carrier(j: number): number {
    return this.presentTotal - this.present[j]!;
  }

  /**
   * Station src's burst reaches every other station (tau after it began): a burst from t to end
   * is sensed over [t + tau, end + tau), so a station that would start at exactly t + tau defers.
   */
  private carrierOn(src: number): void {
    this.present[src]!++;
    this.presentTotal++;
    const now = this.sim.now;
    for (let j = 0; j < this.stations; j++) {
      if (j === src) continue;
      const st = this.state[j]!;
      if (st === CsmaState.Transmitting) this.collisionDetected(j);
      else if (st === CsmaState.Deferring && this.timer[j] !== NO_TIMER && now < this.commitAt[j]!)
        this.carrierSensed(j);
    }
  }

  /** The last bit of station src's burst has passed every other station. */
  private carrierOff(src: number): void {
    this.present[src]!--;
    this.presentTotal--;
    const now = this.sim.now;
    for (let j = 0; j < this.stations; j++) {
      if (j === src || this.carrier(j) !== 0) continue;
      const st = this.state[j]!;
      if (st === CsmaState.Transmitting || st === CsmaState.Jamming) continue; // its own signal keeps it busy
      this.idleSince[j] = now;
      if (st === CsmaState.Deferring && this.timer[j] === NO_TIMER) this.carrierDropped(j);
    }
  }

  /** The station's burst ends now: the others lose its signal tau later. */
  private endBurst(j: number): void {
    this.sim.scheduler.schedule(this.mediumId, this.propagationDelay, this.id, EV_CARRIER_OFF, j, 0, 0);
    if (this.carrier(j) === 0) this.idleSince[j] = this.sim.now;
  }

  // ---- Transitions ----

  private move(j: number, to: CsmaState, transition: CsmaTransition): void {
    const from = this.state[j]! as CsmaState;
    this.state[j] = to;
    const l = this.listener;
    if (l !== undefined) l(this.sim.now, j, from, to, transition);
  }

  /** Idle -> Deferring: a frame arrived at an idle station. */
  private frameQueued(j: number): void {
    this.move(j, CsmaState.Deferring, CsmaTransition.frameQueued);
    this.defer(j);
  }

  /**
   * Entered Deferring: wait for the carrier to drop, or count what is left of the IFG. When the
   * medium has been idle a full IFG, the station goes at once, yet through a zero-delay timer:
   * a carrier edge at this same instant sorts first and makes it defer (sensing is inclusive).
   */
  private defer(j: number): void {
    this.timer[j] = NO_TIMER;
    if (this.carrier(j) > 0) {
      this.deferrals[j]!++;
      return;
    }
    const now = this.sim.now;
    const ifgEnd = this.idleSince[j]! + this.ifgNs;
    if (ifgEnd <= now) {
      this.commitAt[j] = Infinity;
      this.timer[j] = this.sim.scheduler.schedule(this.id, 0, this.id, EV_IFG_DONE, j, 0, 0);
    } else {
      this.commitAt[j] = this.idleSince[j]! + this.ifgPart1Ns;
      this.timer[j] = this.sim.scheduler.scheduleAt(this.id, ifgEnd, this.id, EV_IFG_DONE, j, 0, 0);
    }
  }

  /** Deferring -> Deferring: carrier during the first part of the IFG restarts the wait. */
  private carrierSensed(j: number): void {
    this.sim.scheduler.cancel(this.timer[j]!);
    this.timer[j] = NO_TIMER;
    this.deferrals[j]!++;
    this.move(j, CsmaState.Deferring, CsmaTransition.carrierSensed);
  }

  /** Deferring -> Deferring: the carrier dropped; the IFG starts now. */
  private carrierDropped(j: number): void {
    const now = this.sim.now;
    this.commitAt[j] = now + this.ifgPart1Ns;
    this.timer[j] = this.sim.scheduler.schedule(this.id, this.ifgNs, this.id, EV_IFG_DONE, j, 0, 0);
    this.move(j, CsmaState.Deferring, CsmaTransition.carrierDropped);
  }

  /** Deferring -> Transmitting: the gap is over; the head-of-line frame goes on the wire. */
  private ifgElapsed(j: number): void {
    this.timer[j] = NO_TIMER;
    const frames = this.sim.frames;
    const frame = this.queue[j * this.queueLimit + this.qHead[j]!]!;
    const len = frames.length[frame]!;
    const now = this.sim.now;
    this.attempts[j]!++;
    this.move(j, CsmaState.Transmitting, CsmaTransition.ifgElapsed);
    this.trace[j]!.phyTxBegin.hit(now, frame, len);
    this.sim.scheduler.schedule(this.mediumId, this.propagationDelay, this.id, EV_CARRIER_ON, j, 0, 0);
    if (this.carrier(j) > 0) {
      // Started into a carrier (it arrived during the committed part of the IFG).
      this.collisionDetected(j);
      return;
    }
    this.timer[j] = this.sim.scheduler.schedule(this.id, this.frameTime(len), this.id, EV_TX_DONE, j, 0, len);
  }

  /**
   * Transmitting -> Jamming: another station's signal is here; jam 32 bits so all see it. A
   * collision in the preamble is jammed at once (802.3 would finish the preamble first: at most
   * 64 bit times of difference).
   */
  private collisionDetected(j: number): void {
    if (this.timer[j] !== NO_TIMER) this.sim.scheduler.cancel(this.timer[j]!);
    this.collisions[j]!++;
    this.move(j, CsmaState.Jamming, CsmaTransition.collisionDetected);
    this.timer[j] = this.sim.scheduler.schedule(this.id, this.jamNs, this.id, EV_JAM_DONE, j, 0, 0);
  }

  /** Transmitting -> Deferring (more frames) | Idle: the frame went out intact. */
  private transmissionDone(j: number): void {
    this.timer[j] = NO_TIMER;
    const frame = this.dequeue(j);
    const frames = this.sim.frames;
    const len = frames.length[frame]!;
    const now = this.sim.now;
    this.endBurst(j);
    this.trace[j]!.phyTxEnd.hit(now, frame, len);
    this.attemptsHist[j * (this.attemptLimit + 1) + this.attempts[j]!]!++;
    this.attempts[j] = 0;
    this.goodBits += len * 8;
    // The frame rides the event until its last bit has reached every station.
    this.sim.scheduler.schedule(this.id, this.propagationDelay, this.id, EV_DELIVER, frame, j, len);
    this.next(j, CsmaTransition.transmissionDone);
  }

  /** Jamming -> Backoff, or -> Deferring | Idle after the last allowed attempt (frame dropped). */
  private jamDone(j: number): void {
    this.timer[j] = NO_TIMER;
    const frames = this.sim.frames;
    const head = this.queue[j * this.queueLimit + this.qHead[j]!]!;
    const now = this.sim.now;
    this.endBurst(j);
    this.medium.phyRxDrop.hit(now, head, frames.length[head]!, DropReason.COLLISION);
    const attempts = this.attempts[j]!;
    const flushed = this.dropAfterJam[j]!;
    if (flushed !== 0) {
      this.dropAfterJam[j] = 0;
      this.dequeue(j);
      this.attempts[j] = 0;
      this.trace[j]!.macTxDrop.hit(now, head, frames.length[head]!, flushed);
      frames.release(head);
      this.next(j, CsmaTransition.flushed);
      return;
    }
    if (attempts >= this.attemptLimit) {
      this.dequeue(j);
      this.attempts[j] = 0;
      this.trace[j]!.macTxDrop.hit(now, head, frames.length[head]!, DropReason.EXCESSIVE_COLLISIONS);
      frames.release(head);
      this.next(j, CsmaTransition.excessiveCollisions);
      return;
    }
    const slots = drawBackoffSlots(this.rngs[j]!, attempts, this.backoffLimit);
    this.backoffCount[attempts]!++;
    this.backoffSum[attempts]! += slots;
    if (slots > this.backoffMax[attempts]!) this.backoffMax[attempts] = slots;
    this.move(j, CsmaState.Backoff, CsmaTransition.backoffStarted);
    this.timer[j] = this.sim.scheduler.schedule(this.id, slots * this.slotNs, this.id, EV_BACKOFF_DONE, j, 0, 0);
  }

  /** Backoff -> Deferring: the backoff is over; sense the carrier again. */
  private backoffElapsed(j: number): void {
    this.timer[j] = NO_TIMER;
    this.move(j, CsmaState.Deferring, CsmaTransition.backoffElapsed);
    this.defer(j);
  }

  /** After a frame left the station (sent or dropped): the next one defers, or the station idles. */
  private next(j: number, transition: CsmaTransition): void {
    if (this.qLen[j]! > 0) {
      this.move(j, CsmaState.Deferring, transition);
      this.defer(j);
    } else {
      this.move(j, CsmaState.Idle, transition);
    }
  }

  // ---- Delivery ----

  /**
   * The frame's last bit has reached every station: hand it to all of them, one reference each
   * (the sender's goes to the first receiver, retain() adds the rest). No receiver: released.
   */
  private deliver(frame: number, src: number, len: number): void {
    const frames = this.sim.frames;
    const sched = this.sim.scheduler;
    const now = this.sim.now;
    this.medium.sniffer.hit(now, frame, len);
    let given = false;
    for (let k = 0; k < this.stations; k++) {
      const dev = this.device[k]!;
      if (k === src || dev < 0) continue;
      if (given) frames.retain(frame);
      given = true;
      this.trace[k]!.phyRxEnd.hit(now, frame, len);
      sched.post(this.id, sched.now, dev, EV_FRAME_RX, frame, this.port[k]!, len);
    }
    if (!given) frames.release(frame);
  }

  private dequeue(j: number): number {
    const limit = this.queueLimit;
    const h = this.qHead[j]!;
    const frame = this.queue[j * limit + h]!;
    this.qHead[j] = h + 1 === limit ? 0 : h + 1;
    this.qLen[j]!--;
    this.qTotal--;
    return frame;
  }

  private checkStation(station: number, path: string): void {
    if (!Number.isInteger(station) || station < 0 || station >= this.stations) {
      throw invalid(path, `${String(station)} is not a station of ${this.name} (0 to ${this.stations - 1})`);
    }
  }
}
