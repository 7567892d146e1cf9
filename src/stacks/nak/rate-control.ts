// RateController: the NAK-frequency rate control of the NAK-only transport (Birman ch. 5.2).
//
// Contract:
// - The sender reports every data packet it sends (packetSent) and every packet's worth of
//   bytes a NAK asks it to resend (naked). A window ends after `windowPackets` packets and at
//   least one smoothed RTT (given by the sender: a shorter window would move the rate again
//   before the NAKs of the last move arrive, and overshoot), or after 8 RTTs with at least 16
//   packets (slow rates). The defaults (upper 0.15, lower 0.06) sit above the NAK frequency
//   of a few percent of random loss, which no rate change cures, and below the ~0.2 that a
//   25% overshoot of a bottleneck produces once its queue is full. At the end of a window the
//   controller computes the NAK frequency f = naked packets / packets sent in it and moves:
//     INCREASING:  f > upper  -> BACKING_OFF, rate decreased
//                  otherwise  -> rate increased
//     BACKING_OFF: f < lower  -> INCREASING (rate held this window)
//                  otherwise  -> rate decreased
//   Increase and decrease are additive (+/- amount bit/s) or multiplicative (x amount), each
//   configurable; the rate stays inside [min, max]. The default is multiplicative increase
//   (x1.25) and multiplicative decrease (x0.75); Birman's exponential-increase/linear-backoff
//   is { increase: multiplicative, decrease: additive }.
// - No allocation per packet. The trajectory keeps the last TRAJECTORY_CAPACITY rate changes
//   (time, rate) in a ring; stats() copies them out.
// - Options are checked once (NetloomError naming the option); the per-packet calls never throw.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { parseBitRate } from "../../base/units.js";

export const RateState = { INCREASING: 0, BACKING_OFF: 1 } as const;
export type RateState = (typeof RateState)[keyof typeof RateState];
const STATE_NAMES = ["increasing", "backing-off"] as const;

export const TRAJECTORY_CAPACITY = 256;
/** Fewest packets a time-closed window may hold (a frequency over fewer is mostly noise). */
const MIN_WINDOW_PACKETS = 16;

export interface RateStep {
  mode: "additive" | "multiplicative";
  /** Additive: bit/s (number or "5Mbps"); multiplicative: the factor. */
  amount: number | string;
}

export interface RateControlOptions {
  /** Starting rate (default 10 Mbit/s). */
  initial?: number | string;
  /** Lowest rate (default 100 kbit/s). */
  min?: number | string;
  /** Highest rate (default 1 Gbit/s). */
  max?: number | string;
  /** Default multiplicative x1.25. */
  increase?: RateStep;
  /** Default multiplicative x0.75. */
  decrease?: RateStep;
  /** Packets sent per evaluation window (default 64). */
  windowPackets?: number;
  /** NAK frequency above which the sender backs off (default 0.15). */
  upperThreshold?: number;
  /** NAK frequency below which it increases again (default 0.06). */
  lowerThreshold?: number;
}

export interface RateStats {
  state: (typeof STATE_NAMES)[number];
  /** Current rate, bit/s. */
  current: number;
  /** Lowest and highest rate used so far, bit/s. */
  min: number;
  max: number;
  increases: number;
  decreases: number;
  windows: number;
  /** NAK frequency of the last completed window. */
  lastFrequency: number;
  /** Highest window frequency seen. */
  peakFrequency: number;
  /** The last rate changes: [time ns, rate bit/s], oldest first. */
  trajectory: Array<[number, number]>;
}

interface Step {
  additive: boolean;
  amount: number;
}

function step(value: RateStep | undefined, fallback: Step, path: string, increase: boolean): Step {
  if (value === undefined) return fallback;
  if (value.mode === "additive") {
    const amount = parseBitRate(value.amount, `${path}.amount`);
    if (!(amount > 0))
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "an additive step must be positive", {
        path: `${path}.amount`,
      });
    return { additive: true, amount };
  }
  if (value.mode === "multiplicative") {
    const f = value.amount;
    const ok = typeof f === "number" && Number.isFinite(f) && (increase ? f > 1 : f > 0 && f < 1);
    if (!ok) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(f)} is not a ${increase ? "factor > 1" : "factor in (0, 1)"}`,
        { path: `${path}.amount` },
      );
    }
    return { additive: false, amount: f as number };
  }
  throw new NetloomError(
    ErrorCode.INVALID_ARGUMENT,
    `${String((value as { mode?: unknown }).mode)} is not "additive" or "multiplicative"`,
    {
      path: `${path}.mode`,
    },
  );
}

function fraction(value: number | undefined, fallback: number, path: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(value)} is not a frequency in [0, 1]`, { path });
  }
  return value;
}

export class RateController {
  readonly minRate: number;
  readonly maxRate: number;
  readonly windowPackets: number;
  readonly upper: number;
  readonly lower: number;
  private readonly inc: Step;
  private readonly dec: Step;
  private rateValue: number;
  private stateValue: RateState = RateState.INCREASING;
  private sent = 0;
  private windowStart = 0;
  private nakedPackets = 0;
  private lowest: number;
  private highest: number;
  private increases = 0;
  private decreases = 0;
  private windows = 0;
  private lastFrequency = 0;
  private peakFrequency = 0;
  private readonly tTime = new Float64Array(TRAJECTORY_CAPACITY);
  private readonly tRate = new Float64Array(TRAJECTORY_CAPACITY);
  private tCount = 0;

  constructor(options: RateControlOptions = {}, path = "rate") {
    this.minRate = parseBitRate(options.min ?? 100e3, `${path}.min`);
    this.maxRate = parseBitRate(options.max ?? 1e9, `${path}.max`);
    const initial = parseBitRate(options.initial ?? Math.min(10e6, this.maxRate), `${path}.initial`);
    if (!(this.minRate > 0) || this.maxRate < this.minRate) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `min ${this.minRate} and max ${this.maxRate} bit/s do not form a range`,
        {
          path: `${path}.max`,
        },
      );
    }
    if (initial < this.minRate || initial > this.maxRate) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${initial} bit/s is outside [min, max]`, {
        path: `${path}.initial`,
      });
    }
    this.inc = step(options.increase, { additive: false, amount: 1.25 }, `${path}.increase`, true);
    this.dec = step(options.decrease, { additive: false, amount: 0.75 }, `${path}.decrease`, false);
    const w = options.windowPackets ?? 64;
    if (!Number.isInteger(w) || w < 1 || w > 1 << 20) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(w)} is not a packet count in [1, 2^20]`, {
        path: `${path}.windowPackets`,
      });
    }
    this.windowPackets = w;
    this.upper = fraction(options.upperThreshold, 0.15, `${path}.upperThreshold`);
    this.lower = fraction(options.lowerThreshold, 0.06, `${path}.lowerThreshold`);
    if (this.lower > this.upper) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `lowerThreshold ${this.lower} is above upperThreshold ${this.upper}`,
        {
          path: `${path}.lowerThreshold`,
        },
      );
    }
    this.rateValue = initial;
    this.lowest = initial;
    this.highest = initial;
  }

  /** Current rate, bit/s. */
  get rate(): number {
    return this.rateValue;
  }

  get state(): RateState {
    return this.stateValue;
  }

  /**
   * A data packet left at time `now`; may close a window and move the rate. A window closes
   * after `windowPackets` packets and at least `minWindowNs` (the sender passes its smoothed
   * RTT), so the NAKs a rate causes arrive before the rate moves again.
   */
  packetSent(now: number, minWindowNs = 0): void {
    if (this.sent === 0) this.windowStart = now;
    const elapsed = now - this.windowStart;
    ++this.sent;
    if (elapsed < minWindowNs) return;
    // At low rates `windowPackets` can take many RTTs: a window of 8 RTTs with at least
    // MIN_WINDOW_PACKETS packets is enough to judge.
    if (
      this.sent >= this.windowPackets ||
      (minWindowNs > 0 && elapsed >= 8 * minWindowNs && this.sent >= MIN_WINDOW_PACKETS)
    ) {
      this.evaluate(now);
    }
  }

  /** A NAK asked for `packets` packets' worth of bytes. */
  naked(packets: number): void {
    this.nakedPackets += packets;
  }

  stats(): RateStats {
    const trajectory: Array<[number, number]> = [];
    const n = Math.min(this.tCount, TRAJECTORY_CAPACITY);
    for (let i = this.tCount - n; i < this.tCount; i++) {
      const k = i % TRAJECTORY_CAPACITY;
      trajectory.push([this.tTime[k]!, this.tRate[k]!]);
    }
    return {
      state: STATE_NAMES[this.stateValue],
      current: this.rateValue,
      min: this.lowest,
      max: this.highest,
      increases: this.increases,
      decreases: this.decreases,
      windows: this.windows,
      lastFrequency: this.lastFrequency,
      peakFrequency: this.peakFrequency,
      trajectory,
    };
  }

  private evaluate(now: number): void {
    const f = this.nakedPackets / this.sent;
    this.sent = 0;
    this.nakedPackets = 0;
    this.windows++;
    this.lastFrequency = f;
    if (f > this.peakFrequency) this.peakFrequency = f;
    if (this.stateValue === RateState.INCREASING) {
      if (f > this.upper) {
        this.stateValue = RateState.BACKING_OFF;
        this.decrease(now);
      } else {
        this.increase(now);
      }
    } else if (f < this.lower) {
      this.stateValue = RateState.INCREASING;
    } else {
      this.decrease(now);
    }
  }

  private increase(now: number): void {
    const next = Math.min(
      this.maxRate,
      this.inc.additive ? this.rateValue + this.inc.amount : this.rateValue * this.inc.amount,
    );
    if (next === this.rateValue) return;
    this.increases++;
    this.set(now, next);
  }

  private decrease(now: number): void {
    const next = Math.max(
      this.minRate,
      this.dec.additive ? this.rateValue - this.dec.amount : this.rateValue * this.dec.amount,
    );
    if (next === this.rateValue) return;
    this.decreases++;
    this.set(now, next);
  }

  private set(now: number, rate: number): void {
    this.rateValue = Math.min(this.maxRate, Math.max(this.minRate, Math.round(rate)));
    if (this.rateValue < this.lowest) this.lowest = this.rateValue;
    if (this.rateValue > this.highest) this.highest = this.rateValue;
    const k = this.tCount % TRAJECTORY_CAPACITY;
    this.tTime[k] = now;
    this.tRate[k] = this.rateValue;
    this.tCount++;
  }
}
