// PointToPointLink: a full-duplex cable between two ports with a bit rate, a propagation delay,
// a drop-tail queue per direction and netem-style faults: random and Gilbert-Elliott loss, bit
// errors that flip real bits, duplication, reordering, and down/up at scheduled times.
//
// Contract:
// - Ends 0 and 1; direction d carries frames sent at end d to the device on end 1 - d. The two
//   directions share only the cable's up/down state: each has its own queue, trace points
//   (trace[d]), counters, random stream (`link:${name}:0->1` / `...:1->0`) and event origin id
//   (`${name}:0->1` / `${name}:1->0`), so neither's faults nor event keys depend on the other's.
// - transmit(end, frame) takes ownership. Accepted frames hit macTx and wait in a drop-tail queue
//   (at most queueLimit frames and, if set, queueLimitBytes bytes); refused frames hit macTxDrop
//   (QUEUE_FULL, LINK_DOWN, NOT_ATTACHED), are released, and transmit() returns false.
// - Frames held: each queue at most half the frame store's deviceShare (effectiveQueueLimit;
//   beyond it QUEUE_FULL), so the link never holds more than its share of the pool.
// - An L-byte frame serializes in ceil((L + overheadBytes) * 8 * 1e9 / rate) ns (overheadBytes
//   defaults to 20: preamble, SFD, inter-frame gap) and reaches the far device as EV_FRAME_RX
//   (a = frame, b = far port, len) `delay` ns after its serialization ends. phyRxEnd and sniffer
//   are hit with the arrival time; phyRxDrop counts frames lost on the wire (LOSS_RANDOM,
//   LOSS_BURST, LINK_DOWN, NO_SLOT).
// - Down/up acts on both directions: going down loses the frame being serialized, the frames
//   still propagating and the queue (LINK_DOWN); while down, transmit() refuses.
// - stats() reports what has happened by now: a serialization in progress is not counted yet.
// - Hot path: no allocation per frame; queues and counters are typed arrays and fields.
// - Not handled: RED, rate limits below the line rate, a link cut between partitions going down
//   while frames are in flight across the cut.

import { ErrorCode, NetloomError } from "../base/errors.js";
import { parseBitRate, parseDuration } from "../base/units.js";
import { FRAME_CORRUPTED, NO_FRAME } from "../buf/frames.js";
import type { Rng } from "../engine/rng.js";
import type { Simulation } from "../engine/simulation.js";
import { DropReason, TracePoints, dropReasonName, type TracePoint } from "../trace/trace-point.js";
import { EV_DEVICE_BASE, EV_FRAME_RX, type Channel } from "./device.js";

/**
 * States of one direction. EV_LINK_TX_END exists only while a frame waits in the queue; otherwise
 * Transmitting becomes Idle by itself at txEnd (state() and transmit() look at the time).
 *
 *              transmit() [idle]                  EV_LINK_TX_END [queue non-empty]
 *      +------+ --------------------------> +--------------+ ----+
 *      | Idle |                             | Transmitting |     | startTransmission(next)
 *      +------+ <-------------------------- +--------------+ <---+
 *       ^    |    txEnd passed, queue empty       |
 *       |    | linkDown                           | linkDown (abort serialization,
 *       |    v                                    |           flush queue, lose in-flight)
 *  linkUp  +------+ <-----------------------------+
 *          | Down |  transmit() -> macTxDrop LINK_DOWN
 *          +------+
 */
export const LinkState = {
  IDLE: 0,
  TRANSMITTING: 1,
  DOWN: 2,
} as const;
export type LinkState = (typeof LinkState)[keyof typeof LinkState];
const STATE_NAMES = ["Idle", "Transmitting", "Down"] as const;
export type LinkStateName = (typeof STATE_NAMES)[number];

/** Serialization of the frame in a = direction ended (len = its length). */
export const EV_LINK_TX_END = EV_DEVICE_BASE;
/** The cable goes down. */
export const EV_LINK_DOWN = EV_DEVICE_BASE + 1;
/** The cable comes back up. */
export const EV_LINK_UP = EV_DEVICE_BASE + 2;

export const DEFAULT_QUEUE_LIMIT = 1000;
/** Ethernet preamble + SFD (8 bytes) and inter-frame gap (12 bytes). */
export const DEFAULT_OVERHEAD_BYTES = 20;
const MAX_QUEUE_LIMIT = 1 << 24;

export interface BurstLossOptions {
  /** P(good -> bad) per frame. */
  p: number;
  /** P(bad -> good) per frame; the mean burst length is about 1 / r. */
  r: number;
  /** Loss probability in the bad state (default 1). */
  lossInBad?: number;
  /** Loss probability in the good state (default 0). */
  lossInGood?: number;
}

export interface ReorderOptions {
  /** Probability that a frame is held back. */
  probability: number;
  /** Extra delay of a held-back frame (ns or "50us"); later frames overtake it. */
  delay: number | string;
}

export interface LinkFaults {
  /** Independent loss probability per frame. */
  loss?: number;
  /** Gilbert-Elliott bursty loss; the state advances once per frame. */
  burstLoss?: BurstLossOptions;
  /** Bit error rate: probability that any one frame bit is flipped. */
  ber?: number;
  /** Probability that a copy of the frame is delivered as well. */
  duplicate?: number;
  reorder?: ReorderOptions;
}

export interface LinkScheduleEntry {
  /** Absolute virtual time (ns or "10ms"). */
  at: number | string;
  state: "down" | "up";
}

export interface LinkOptions {
  /** Bit rate: bit/s or a string such as "1Gbps". */
  rate: number | string;
  /** Propagation delay: ns or a string such as "5us" (default 0). */
  delay?: number | string;
  /** Most frames waiting per direction (default 1000; 0 = only the frame on the wire). */
  queueLimit?: number;
  /** Most bytes waiting per direction (default: no byte limit). */
  queueLimitBytes?: number;
  /** Bytes each frame costs on the wire beyond its own length (default 20). */
  overheadBytes?: number;
  /** Faults of both directions (setFaults() changes one direction). */
  faults?: LinkFaults;
  /** Down/up transitions at absolute times. */
  schedule?: readonly LinkScheduleEntry[];
}

export interface LinkDirectionStats {
  state: LinkStateName;
  /** Frames (and bytes) serialized onto the wire. */
  frames: number;
  bytes: number;
  /** Frames (and bytes) handed to the far device, duplicates included. */
  delivered: number;
  deliveredBytes: number;
  /** Time spent serializing (including aborted serializations up to the abort). */
  busyNs: number;
  /** busyNs / time since the link was created (0 before any time passed). */
  utilisation: number;
  queueLength: number;
  queueHighWater: number;
  /** Drops by reason name, queue (macTxDrop) and wire (phyRxDrop) together. */
  drops: Record<string, number>;
  duplicates: number;
  /** Frames with at least one flipped bit, and the bits flipped. */
  corrupted: number;
  flippedBits: number;
  reordered: number;
}

/** Normalised faults of one direction (probabilities checked, delay in ns). */
interface FaultConfig {
  loss: number;
  geP: number;
  geR: number;
  geLossBad: number;
  geLossGood: number;
  burst: boolean;
  ber: number;
  duplicate: number;
  reorderP: number;
  reorderDelay: number;
}

function checkProbability(path: string, value: unknown, allowOne = true): number {
  if (typeof value !== "number" || !(value >= 0 && (allowOne ? value <= 1 : value < 1))) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `${typeof value === "string" ? JSON.stringify(value) : String(value)} is not a probability in [0, 1${allowOne ? "]" : ")"}`,
      { path },
    );
  }
  return value;
}

function normaliseFaults(faults: LinkFaults | undefined, path: string): FaultConfig {
  const f = faults ?? {};
  const cfg: FaultConfig = {
    loss: checkProbability(`${path}.loss`, f.loss ?? 0),
    geP: 0,
    geR: 0,
    geLossBad: 1,
    geLossGood: 0,
    burst: false,
    ber: checkProbability(`${path}.ber`, f.ber ?? 0, false),
    duplicate: checkProbability(`${path}.duplicate`, f.duplicate ?? 0),
    reorderP: 0,
    reorderDelay: 0,
  };
  if (f.burstLoss !== undefined) {
    const b = f.burstLoss;
    cfg.geP = checkProbability(`${path}.burstLoss.p`, b.p);
    cfg.geR = checkProbability(`${path}.burstLoss.r`, b.r);
    cfg.geLossBad = checkProbability(`${path}.burstLoss.lossInBad`, b.lossInBad ?? 1);
    cfg.geLossGood = checkProbability(`${path}.burstLoss.lossInGood`, b.lossInGood ?? 0);
    cfg.burst = cfg.geP > 0 || cfg.geLossGood > 0;
  }
  if (f.reorder !== undefined) {
    cfg.reorderP = checkProbability(`${path}.reorder.probability`, f.reorder.probability);
    cfg.reorderDelay = parseDuration(f.reorder.delay, `${path}.reorder.delay`);
  }
  return cfg;
}

/** One direction's state: monomorphic fields and typed arrays, nothing allocated per frame. */
class Direction {
  state: LinkState = LinkState.IDLE;
  readonly trace = new TracePoints();
  readonly rng: Rng;
  faults: FaultConfig;
  /** Far device and port (-1 until connected). */
  peerDevice = -1;
  peerPort = -1;
  /** The far device runs in another partition: frames cross through the partition exchange. */
  peerRemote = false;
  /** Origin id of this direction's events (its own id, so each direction keys its events alone). */
  origin = -1;

  // Drop-tail queue: a ring of frame ids.
  readonly queue: Int32Array;
  qHead = 0;
  qCount = 0;
  qBytes = 0;
  queueHighWater = 0;

  // The serialization in progress (its frame is already handed over, see startTransmission),
  // and what its early hand-over counted, so stats() can report only what has happened.
  txLen = 0;
  txHanded = 0;
  txLost = 0;
  txCorrupted = 0;
  txFlipped = 0;
  txReordered = 0;
  txDuplicated = 0;
  txEnd = 0;
  txHandle = -1;
  busyNs = 0;

  // Fault process state.
  /** Some fault is configured (set with the faults): false takes deliver()'s short path. */
  faulty = false;
  geBad = false;
  /** Frame bits to pass before the next errored bit (carried across frames). */
  bitsToError = 0;

  duplicates = 0;
  corrupted = 0;
  flippedBits = 0;
  reordered = 0;

  constructor(rng: Rng, queueLimit: number, faults: FaultConfig) {
    this.rng = rng;
    this.queue = new Int32Array(Math.max(1, queueLimit));
    this.faults = faults;
  }
}

export class PointToPointLink implements Channel {
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  /** Bits per second. */
  readonly rate: number;
  /** Propagation delay in ns. */
  readonly delay: number;
  readonly queueLimit: number;
  readonly effectiveQueueLimit: number; // see the contract: "Frames held"
  readonly queueLimitBytes: number;
  readonly overheadBytes: number;
  /** Trace points per direction: trace[0] is 0->1, trace[1] is 1->0. */
  readonly trace: readonly [TracePoints, TracePoints];
  private readonly dirs: readonly [Direction, Direction];
  private readonly createdAt: number;
  private readonly integerRate: boolean;
  /** Times of scheduled downs that have not happened yet (a handful; scanned, never hot). */
  private readonly pendingDowns: number[] = [];
  private nextDownAt = Infinity;
  private down = false;

  constructor(sim: Simulation, name: string, options: LinkOptions) {
    if (typeof options !== "object" || options === null) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "link options are required (at least a rate)", { path: name });
    }
    this.rate = parseBitRate(options.rate, `${name}.rate`);
    this.delay = parseDuration(options.delay ?? 0, `${name}.delay`);
    const queueLimit = options.queueLimit ?? DEFAULT_QUEUE_LIMIT;
    if (!Number.isInteger(queueLimit) || queueLimit < 0 || queueLimit > MAX_QUEUE_LIMIT) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(queueLimit)} is not a queue limit (an integer number of frames, 0 to ${MAX_QUEUE_LIMIT})`,
        { path: `${name}.queueLimit` },
      );
    }
    const limitBytes = options.queueLimitBytes ?? Infinity;
    if (limitBytes !== Infinity && (!Number.isSafeInteger(limitBytes) || limitBytes < 0)) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(limitBytes)} is not a byte limit (an integer >= 0)`,
        {
          path: `${name}.queueLimitBytes`,
        },
      );
    }
    const overhead = options.overheadBytes ?? DEFAULT_OVERHEAD_BYTES;
    if (!Number.isInteger(overhead) || overhead < 0 || overhead > 65535) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(overhead)} is not a per-frame overhead in bytes (0 to 65535)`,
        {
          path: `${name}.overheadBytes`,
        },
      );
    }
    const faults = normaliseFaults(options.faults, `${name}.faults`);
    const schedule = options.schedule ?? [];
    const times = schedule.map((entry, i) => {
      const path = `${name}.schedule[${i}]`;
      if (entry.state !== "down" && entry.state !== "up") {
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${JSON.stringify(entry.state)} is not "down" or "up"`, {
          path: `${path}.state`,
        });
      }
      return parseDuration(entry.at, `${path}.at`);
    });

    this.sim = sim;
    this.name = name;
    this.queueLimit = queueLimit;
    this.effectiveQueueLimit = Math.min(queueLimit, Math.max(1, sim.frames.deviceShare >> 1));
    this.queueLimitBytes = limitBytes;
    this.overheadBytes = overhead;
    this.integerRate = Number.isSafeInteger(this.rate);
    this.createdAt = sim.now;
    this.id = sim.register(name, this);
    // Each direction originates its own events under its own id: a cut link's two directions
    // run in different partitions, and event keys must not depend on how they interleave.
    const origin0 = sim.register(`${name}:0->1`, this);
    const origin1 = sim.register(`${name}:1->0`, this);

    const d0 = new Direction(sim.scheduler.rng(`link:${name}:0->1`), this.effectiveQueueLimit, { ...faults });
    const d1 = new Direction(sim.scheduler.rng(`link:${name}:1->0`), this.effectiveQueueLimit, { ...faults });
    d0.origin = origin0;
    d1.origin = origin1;
    this.dirs = [d0, d1];
    this.trace = [d0.trace, d1.trace];
    this.resetFaultState(d0);
    this.resetFaultState(d1);

    for (let i = 0; i < schedule.length; i++) {
      if (schedule[i]!.state === "down") this.setDown(times[i]!);
      else this.setUp(times[i]!);
    }
  }

  // ---- Channel -------------------------------------------------------------------------------

  connect(end: number, device: number, port: number): void {
    this.checkEnd(end, "end");
    // The far device of direction d is on end 1 - d.
    const dir = this.dirs[1 - end]!;
    if (dir.peerDevice >= 0) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `end ${end} of ${this.name} is already connected to ${this.sim.scheduler.nameOf(dir.peerDevice)} port ${dir.peerPort}`,
        { path: this.name },
      );
    }
    dir.peerDevice = device;
    dir.peerPort = port;
    dir.peerRemote = this.sim.isRemote(device);
    // A direction runs where its sending device runs.
    this.sim.setOwner(this.dirs[end]!.origin, this.sim.ownerOf(device));
  }

  /** Takes ownership of `frame` at endpoint `end`; false = dropped (counted and released). */
  transmit(end: number, frame: number): boolean {
    if (end !== 0 && end !== 1) this.checkEnd(end, "end");
    const d = this.dirs[end]!;
    const frames = this.sim.frames;
    const len = frames.length[frame]!;
    const now = this.sim.scheduler.now;
    if (d.state === LinkState.DOWN) return this.refuse(d, frame, len, DropReason.LINK_DOWN);
    if (d.peerDevice < 0) return this.refuse(d, frame, len, DropReason.NOT_ATTACHED);
    // The last serialization ended with nothing queued behind it: no event marked its end.
    if (d.state === LinkState.TRANSMITTING && d.txHandle < 0 && now >= d.txEnd) d.state = LinkState.IDLE;
    if (d.state === LinkState.IDLE) {
      d.trace.macTx.hit(now, frame, len);
      this.startTransmission(d, end, frame, len);
      return true;
    }
    if (d.qCount >= this.effectiveQueueLimit || d.qBytes + len > this.queueLimitBytes) {
      return this.refuse(d, frame, len, DropReason.QUEUE_FULL);
    }
    d.trace.macTx.hit(now, frame, len);
    const cap = d.queue.length;
    let tail = d.qHead + d.qCount;
    if (tail >= cap) tail -= cap;
    d.queue[tail] = frame;
    d.qCount++;
    d.qBytes += len;
    if (d.qCount > d.queueHighWater) d.queueHighWater = d.qCount;
    // A frame now waits: the end of the current serialization must start the next one.
    if (d.txHandle < 0)
      d.txHandle = this.sim.scheduler.scheduleAt(d.origin, d.txEnd, this.id, EV_LINK_TX_END, end, 0, 0);
    return true;
  }

  handleEvent(kind: number, a: number, _b: number, _len: number): void {
    switch (kind) {
      case EV_LINK_TX_END:
        this.finishTransmission(this.dirs[a]!, a);
        break;
      case EV_LINK_DOWN:
        this.linkDown();
        break;
      case EV_LINK_UP:
        this.linkUp();
        break;
      default:
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${this.name} got an event of unknown kind ${kind}`);
    }
  }

  // ---- Control API ---------------------------------------------------------------------------

  /** The cable goes down at absolute time `time` (ns or "10ms"; not in the past). */
  setDown(time: number | string): void {
    const t = this.futureTime(time, "setDown");
    this.pendingDowns.push(t);
    if (t < this.nextDownAt) this.nextDownAt = t;
    this.sim.scheduler.scheduleAt(this.id, t, this.id, EV_LINK_DOWN, 0, 0, 0);
  }

  /**
   * Drops the frames queued in direction `end` (its sending device crashed), counted with
   * `reason` at macTxDrop; the frame being serialized, if any, finishes. Returns the count.
   */
  flushQueued(end: number, reason: number): number {
    this.checkEnd(end, "end");
    const d = this.dirs[end]!;
    const frames = this.sim.frames;
    const now = this.sim.scheduler.now;
    const n = d.qCount;
    while (d.qCount > 0) {
      const f = d.queue[d.qHead]!;
      d.qHead = d.qHead + 1 === d.queue.length ? 0 : d.qHead + 1;
      d.qCount--;
      d.trace.macTxDrop.hit(now, f, frames.length[f]!, reason);
      frames.release(f);
    }
    d.qHead = 0;
    d.qBytes = 0;
    return n;
  }

  /** The cable comes back up at absolute time `time`. */
  setUp(time: number | string): void {
    const t = this.futureTime(time, "setUp");
    this.sim.scheduler.scheduleAt(this.id, t, this.id, EV_LINK_UP, 0, 0, 0);
  }

  /** Replaces the faults of one direction (0 = 0->1, 1 = 1->0) or, without `direction`, of both. */
  setFaults(faults: LinkFaults, direction?: number): void {
    const cfg = normaliseFaults(faults, `${this.name}.faults`);
    if (direction !== undefined) this.checkEnd(direction, "direction");
    for (let i = 0; i < 2; i++) {
      if (direction !== undefined && direction !== i) continue;
      const d = this.dirs[i]!;
      d.faults = { ...cfg };
      this.resetFaultState(d);
    }
  }

  /** True while the cable is up. */
  get isUp(): boolean {
    return !this.down;
  }

  /** State of direction `end` -> 1 - end. */
  state(end: number): LinkStateName {
    this.checkEnd(end, "end");
    return STATE_NAMES[this.stateNow(this.dirs[end]!)];
  }

  /** A direction's state now: Transmitting ends at txEnd even though no event marks it. */
  private stateNow(d: Direction): LinkState {
    if (d.state === LinkState.TRANSMITTING && d.txHandle < 0 && this.sim.scheduler.now >= d.txEnd)
      return LinkState.IDLE;
    return d.state;
  }

  /** Frames waiting in direction `end`'s queue. */
  queueLength(end: number): number {
    this.checkEnd(end, "end");
    return this.dirs[end]!.qCount;
  }

  /** Serialization time of a frame of `length` bytes, in whole ns (rounded up). */
  serializationNs(length: number): number {
    const bits = (length + this.overheadBytes) * 8;
    const n = bits * 1e9;
    const rate = this.rate;
    if (this.integerRate && n <= Number.MAX_SAFE_INTEGER) {
      // Exact ceil(n / rate) in integers: the float quotient can be one off either way.
      let q = Math.ceil(n / rate);
      if ((q - 1) * rate >= n) q--;
      else if (q * rate < n) q++;
      return q;
    }
    const x = n / rate;
    const r = Math.round(x);
    return Math.abs(x - r) <= 1e-12 * x ? r : Math.ceil(x);
  }

  /** Counters of direction `end` -> 1 - end. */
  stats(end: number): LinkDirectionStats {
    this.checkEnd(end, "end");
    const d = this.dirs[end]!;
    const now = this.sim.scheduler.now;
    // busyNs counts a serialization in full when it starts; take off what has not happened yet.
    const busy = d.busyNs - (d.state === LinkState.TRANSMITTING ? Math.max(0, d.txEnd - now) : 0);
    const elapsed = now - this.createdAt;
    const drops: Record<string, number> = {};
    for (const point of [d.trace.macTxDrop, d.trace.phyRxDrop]) {
      for (const [reason, count] of Object.entries(point.dropsByReason())) drops[reason] = (drops[reason] ?? 0) + count;
    }
    // A serialization still in progress was counted when it started (see startTransmission);
    // report only what has happened by now.
    const p = d.state === LinkState.TRANSMITTING && now < d.txEnd ? 1 : 0;
    if (p === 1 && d.txLost !== 0) {
      const name = dropReasonName(d.txLost);
      if (--drops[name]! === 0) delete drops[name];
    }
    return {
      state: STATE_NAMES[this.stateNow(d)],
      frames: d.trace.phyTxEnd.frames - p,
      bytes: d.trace.phyTxEnd.bytes - p * d.txLen,
      delivered: d.trace.phyRxEnd.frames - p * d.txHanded,
      deliveredBytes: d.trace.phyRxEnd.bytes - p * d.txHanded * d.txLen,
      busyNs: busy,
      utilisation: elapsed > 0 ? busy / elapsed : 0,
      queueLength: d.qCount,
      queueHighWater: d.queueHighWater,
      drops,
      duplicates: d.duplicates - p * d.txDuplicated,
      corrupted: d.corrupted - p * d.txCorrupted,
      flippedBits: d.flippedBits - p * d.txFlipped,
      reordered: d.reordered - p * d.txReordered,
    };
  }

  // ---- Transitions ---------------------------------------------------------------------------

  /**
   * Idle -> Transmitting, or Transmitting -> Transmitting with the next queued frame. The frame's
   * fate is settled now: its serialization end (phyTxEnd, at txEnd), the faults and the hand-over
   * to the far device at txEnd + delay. No event marks the end unless a frame is queued behind
   * it (transmit() and finishTransmission() schedule EV_LINK_TX_END then): an idle link costs one
   * event per frame, its arrival, instead of two.
   */
  private startTransmission(d: Direction, dir: number, frame: number, len: number): void {
    const now = this.sim.scheduler.now;
    const ser = this.serializationNs(len);
    const txEnd = now + ser;
    d.state = LinkState.TRANSMITTING;
    d.txLen = len;
    d.txEnd = txEnd;
    d.busyNs += ser;
    d.txHanded = 0;
    d.txLost = 0;
    d.txCorrupted = 0;
    d.txFlipped = 0;
    d.txReordered = 0;
    d.txDuplicated = 0;
    d.trace.phyTxBegin.hit(now, frame, len);
    d.trace.phyTxEnd.hit(txEnd, frame, len);
    this.deliver(d, frame, len, txEnd);
    // Lost on the wire, nothing arrives: an event still marks the end, so a run that goes on
    // until nothing is left (runToIdle) ends after this serialization, not before it.
    if (d.txHanded === 0 && d.txHandle < 0) {
      d.txHandle = this.sim.scheduler.scheduleAt(d.origin, txEnd, this.id, EV_LINK_TX_END, dir, 0, 0);
    }
  }

  /** The serialization a queued frame waits for has ended: Transmitting -> Transmitting | Idle. */
  private finishTransmission(d: Direction, dir: number): void {
    d.txHandle = -1;
    if (d.qCount > 0) {
      const next = d.queue[d.qHead]!;
      d.qHead = d.qHead + 1 === d.queue.length ? 0 : d.qHead + 1;
      d.qCount--;
      const nextLen = this.sim.frames.length[next]!;
      d.qBytes -= nextLen;
      this.startTransmission(d, dir, next, nextLen);
      if (d.qCount > 0)
        d.txHandle = this.sim.scheduler.scheduleAt(d.origin, d.txEnd, this.id, EV_LINK_TX_END, dir, 0, 0);
    } else {
      d.state = LinkState.IDLE;
    }
  }

  /** Idle | Transmitting -> Down, both directions. */
  private linkDown(): void {
    const now = this.sim.scheduler.now;
    // This down has happened: the next pending one (if any) now guards arrivals.
    const i = this.pendingDowns.indexOf(now);
    if (i >= 0) this.pendingDowns.splice(i, 1);
    this.nextDownAt = this.pendingDowns.length > 0 ? Math.min(...this.pendingDowns) : Infinity;
    if (this.down) return;
    this.down = true;
    for (let dir = 0; dir < 2; dir++) this.directionDown(this.dirs[dir]!, now);
  }

  /**
   * Frames on the wire are their pending EV_FRAME_RX events and nothing else: a down finds them
   * in the scheduler (cancelFrom, by the direction's origin id) rather than in a table kept per
   * frame for this rare case. Their phyRxEnd/sniffer hits are taken back (listeners were already
   * called). Faults of a serialization cut short were already drawn; its duplicate is lost too.
   */
  private directionDown(d: Direction, now: number): void {
    const sched = this.sim.scheduler;
    const frames = this.sim.frames;
    if (d.txHandle >= 0) sched.cancel(d.txHandle);
    d.txHandle = -1;
    if (d.state === LinkState.TRANSMITTING && now < d.txEnd) {
      // Cut mid-serialization: it never ended. The frame (and a duplicate of it) was handed
      // over already; the loop below takes that back as LINK_DOWN.
      d.busyNs -= d.txEnd - now;
      this.uncount(d.trace.phyTxEnd, d.txLen);
      d.txEnd = now;
    }
    // Frames still propagating: take their delivery back, in the order they were handed over.
    sched.cancelFrom(d.origin, EV_FRAME_RX, (f, _port, len) => {
      this.uncount(d.trace.phyRxEnd, len);
      this.uncount(d.trace.sniffer, len);
      d.trace.phyRxDrop.hit(now, f, len, DropReason.LINK_DOWN);
      frames.release(f);
    });
    // Flush the queue.
    while (d.qCount > 0) {
      const f = d.queue[d.qHead]!;
      d.qHead = d.qHead + 1 === d.queue.length ? 0 : d.qHead + 1;
      d.qCount--;
      d.trace.macTxDrop.hit(now, f, frames.length[f]!, DropReason.LINK_DOWN);
      frames.release(f);
    }
    d.qHead = 0;
    d.qBytes = 0;
    d.state = LinkState.DOWN;
  }

  /** Down -> Idle, both directions. */
  private linkUp(): void {
    if (!this.down) return;
    this.down = false;
    this.dirs[0].state = LinkState.IDLE;
    this.dirs[1].state = LinkState.IDLE;
  }

  // ---- Faults and delivery -------------------------------------------------------------------

  /**
   * Applies the faults to a serialized frame and hands what survives to the far device. The order
   * is fixed (random loss, Gilbert-Elliott loss, bit errors, reorder, duplicate) and each fault
   * draws from the direction's stream only when configured. Bit errors cost one draw per error:
   * the gap to the next errored bit (rng.geometric(ber)) is carried across frames. An errored
   * frame is made writable (copy-on-write if shared), flipped in place, touched (its FCS is no
   * longer trusted) and marked FRAME_CORRUPTED. A frame whose arrival falls at or after a
   * scheduled down is lost on the wire and never shown to phyRxEnd/sniffer.
   */
  private deliver(d: Direction, frame: number, len: number, now: number): void {
    const f = d.faults;
    const rng = d.rng;
    const frames = this.sim.frames;
    const arrival = now + this.delay;
    if (arrival >= this.nextDownAt) return this.loseOnWire(d, frame, len, now, DropReason.LINK_DOWN);
    if (!d.faulty) return this.handOver(d, frame, len, arrival);
    if (f.loss > 0 && rng.nextFloat() < f.loss) return this.loseOnWire(d, frame, len, now, DropReason.LOSS_RANDOM);
    if (f.burst) {
      // Lose according to the current state, then advance the chain once.
      const lossP = d.geBad ? f.geLossBad : f.geLossGood;
      const lost = lossP >= 1 || (lossP > 0 && rng.nextFloat() < lossP);
      if (d.geBad) {
        if (rng.nextFloat() < f.geR) d.geBad = false;
      } else if (rng.nextFloat() < f.geP) {
        d.geBad = true;
      }
      if (lost) return this.loseOnWire(d, frame, len, now, DropReason.LOSS_BURST);
    }
    if (f.ber > 0) {
      const bits = len * 8;
      if (d.bitsToError >= bits) {
        d.bitsToError -= bits;
      } else {
        const w = frames.writable(frame);
        if (w === NO_FRAME) {
          // The errors still happened on the wire: advance the error process past this frame.
          let pos = d.bitsToError;
          while (pos < bits) pos += 1 + rng.geometric(f.ber);
          d.bitsToError = pos - bits;
          return this.loseOnWire(d, frame, len, now, DropReason.NO_SLOT);
        }
        frame = w;
        const u8 = this.sim.runtime.u8;
        const base = frames.offset(frame);
        let pos = d.bitsToError;
        let flipped = 0;
        while (pos < bits) {
          u8[base + (pos >>> 3)]! ^= 1 << (pos & 7);
          flipped++;
          pos += 1 + rng.geometric(f.ber);
        }
        d.bitsToError = pos - bits;
        frames.touch(frame);
        frames.flags[frame]! |= FRAME_CORRUPTED;
        d.corrupted++;
        d.flippedBits += flipped;
        d.txCorrupted = 1;
        d.txFlipped = flipped;
      }
    }
    let at = arrival;
    if (f.reorderP > 0 && rng.nextFloat() < f.reorderP) {
      at += f.reorderDelay;
      d.reordered++;
      d.txReordered = 1;
    }
    let copy = NO_FRAME;
    if (f.duplicate > 0 && rng.nextFloat() < f.duplicate) {
      copy = frames.clone(frame);
      if (copy === NO_FRAME) d.trace.phyRxDrop.hit(now, frame, len, DropReason.NO_SLOT);
      else {
        d.duplicates++;
        d.txDuplicated = 1;
      }
    }
    this.handOver(d, frame, len, at);
    if (copy !== NO_FRAME) this.handOver(d, copy, len, at);
  }

  /**
   * Schedules the far device's EV_FRAME_RX directly (no arrival event at the link), so the link's
   * latency is lookahead for partitioning; a far device in another partition gets the frame
   * through sim.partition.crossing under the same key.
   */
  private handOver(d: Direction, frame: number, len: number, at: number): void {
    // A held-back (reordered) frame may now land after a scheduled down.
    if (at >= this.nextDownAt) return this.loseOnWire(d, frame, len, this.sim.scheduler.now, DropReason.LINK_DOWN);
    d.trace.phyRxEnd.hit(at, frame, len);
    d.trace.sniffer.hit(at, frame, len);
    d.txHanded++;
    const sched = this.sim.scheduler;
    if (d.peerRemote) {
      // The partitioner only cuts links without a down/up schedule, so nothing takes it back.
      this.sim.partition!.crossing.send(at, d.origin, sched.takeSeq(d.origin), d.peerDevice, d.peerPort, frame, len);
      return;
    }
    sched.post(d.origin, at, d.peerDevice, EV_FRAME_RX, frame, d.peerPort, len);
  }

  private loseOnWire(d: Direction, frame: number, len: number, now: number, reason: number): void {
    d.txLost = reason;
    d.trace.phyRxDrop.hit(now, frame, len, reason);
    this.sim.frames.release(frame);
  }

  // ---- Helpers -------------------------------------------------------------------------------

  private refuse(d: Direction, frame: number, len: number, reason: number): false {
    d.trace.macTxDrop.hit(this.sim.scheduler.now, frame, len, reason);
    this.sim.frames.release(frame);
    return false;
  }

  /** Takes back a hit (reason NONE) of a delivery that a later down cancelled. */
  private uncount(point: TracePoint, len: number): void {
    point.frames--;
    point.bytes -= len;
  }

  private resetFaultState(d: Direction): void {
    const f = d.faults;
    d.faulty = f.loss > 0 || f.burst || f.ber > 0 || f.reorderP > 0 || f.duplicate > 0;
    d.geBad = false;
    d.bitsToError = f.ber > 0 ? d.rng.geometric(f.ber) : 0;
  }

  private checkEnd(end: number, path: string): void {
    if (end !== 0 && end !== 1) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(end)} is not an end of ${this.name} (0 or 1)`, {
        path,
      });
    }
  }

  private futureTime(time: number | string, path: string): number {
    const t = parseDuration(time, path);
    const now = this.sim.scheduler.now;
    if (t < now) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${t} ns is in the past (now is ${now} ns)`, { path });
    }
    return t;
  }
}
