// Arrival processes of the open-loop UDP traffic kinds: when datagram k goes, as an offset
// from the flow's first send time (its origin) or as an absolute time. Rates count UDP payload
// bits (size * 8 per datagram), not frame or wire bits: a 100 Mbit/s flow of 1000-byte
// datagrams sends one every 80 us whatever the headers cost.
//
// - cbr (and paced bulk): a Pacer (./pacer.ts): datagram k at origin + round(k * size * 8e9 /
//   rateBps), round half up, integer-exact when the numbers are safe integers.
// - poisson: PoissonArrivals, exponential gaps of mean size * 8e9 / rateBps; datagram k at
//   origin + round(sum of its first k + 1 gaps) (so the first one is not at the origin itself).
// - onoff: OnOffArrivals, On first at the origin. On periods send CBR at rateBps from the
//   period's start (k restarts at 0 each period); Off periods send nothing. Period lengths:
//   onNs/offNs exactly ("fixed") or exponential with those means (rounded, On >= 1 ns).
//
// Randomness comes only from the flow's own stream, drawn in the order the datagrams go.

import type { Rng } from "../engine/rng.js";
import { Pacer } from "./pacer.js";

/** Exponential gaps of a constant mean, summed. */
export class PoissonArrivals {
  private readonly rng: Rng;
  private readonly meanNs: number;
  private elapsed = 0;

  constructor(rng: Rng, size: number, rateBps: number) {
    this.rng = rng;
    this.meanNs = (size * 8 * 1e9) / rateBps;
  }

  /** Offset of the next datagram from the origin. */
  next(): number {
    this.elapsed += this.rng.exponential(this.meanNs);
    return Math.round(this.elapsed);
  }
}

export interface OnOffSpec {
  size: number;
  rateBps: number;
  onNs: number;
  offNs: number;
  distribution: "exponential" | "fixed";
  stopNs: number;
}

/** CBR inside On periods, nothing in Off periods; counts the On periods begun before stopNs. */
export class OnOffArrivals {
  private readonly rng: Rng;
  private readonly pacer: Pacer;
  private readonly onNs: number;
  private readonly offNs: number;
  private readonly distribution: "exponential" | "fixed";
  private readonly stopNs: number;
  private onStart = 0;
  private onEnd = Infinity;
  /** On periods begun before the stop time, and their time before it (ns). */
  periods = 0;
  onTimeNs = 0;

  constructor(rng: Rng, spec: OnOffSpec) {
    this.rng = rng;
    this.pacer = new Pacer(spec.size * 8 * 1e9, spec.rateBps);
    this.onNs = spec.onNs;
    this.offNs = spec.offNs;
    this.distribution = spec.distribution;
    this.stopNs = spec.stopNs;
  }

  /** The first On period begins at `origin`. */
  start(origin: number): void {
    this.onStart = origin;
    this.beginOn();
  }

  /** Absolute time of the next datagram inside an On period; moves through Off periods as needed. */
  next(): number {
    for (;;) {
      const t = this.onStart + this.pacer.next();
      if (t < this.onEnd) return t;
      if (this.onEnd >= this.stopNs) return this.onEnd;
      this.onStart = this.onEnd + this.period(this.offNs, 0);
      this.beginOn();
    }
  }

  /** Off -> On at onStart: draws the On length, counts the period (up to the stop time). */
  private beginOn(): void {
    this.onEnd = this.onStart + this.period(this.onNs, 1);
    this.pacer.reset();
    if (this.onStart < this.stopNs) {
      this.periods++;
      this.onTimeNs += Math.min(this.onEnd, this.stopNs) - this.onStart;
    }
  }

  private period(mean: number, min: number): number {
    if (this.distribution === "fixed" || mean === 0) return Math.max(min, mean);
    return Math.max(min, Math.round(this.rng.exponential(mean)));
  }
}
