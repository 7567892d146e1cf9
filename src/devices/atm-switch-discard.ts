// The congestion policy of each output port of an AtmSwitch: drop-tail, random cell discard,
// and early / partial packet discard (EPD / PPD) with their state per output circuit.
//
// Contract:
// - set(port, policy) validates and installs a policy (API misuse throws NetloomError);
//   decide() gives the verdict on one cell offered to an output, never throws, and allocates
//   only when it first meets an output circuit.
// - Random discard draws from the stream `atm-switch:${name}:out${port}`, created when the
//   port first gets a random-discard policy; a draw happens only above the threshold.
// - EPD/PPD state is kept per output circuit (VPI/VCI as the cell leaves, GFC masked on a UNI
//   port) and driven by the PTI end-of-PDU bit. The table holds `capacity` circuits over all
//   ports; a circuit beyond that falls back to drop-tail/random (counted: overflows).
//   Non-user cells (PTI 4..7: OAM, RM, netloom parity) are only subject to drop-tail.
// - The PDUs refused by EPD and cut by PPD are counted in the switch's counters.
//
// State machine per output circuit:
//   Idle(expect first) --cell accepted, not end--> InPdu --end cell--> Idle
//   Idle --start cell refused by EPD, not end--> EpdDiscard --end cell (dropped)--> Idle
//   Idle | InPdu --cell dropped (tail/random/no slot) and PPD on, not end--> PpdDiscard
//   PpdDiscard --end cell (kept if room)--> Idle

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import type { Rng } from "../engine/rng.js";
import type { Simulation } from "../engine/simulation.js";
import { CellDrop, type SwitchCounters } from "./atm-switch-stats.js";

/** EPD/PPD state of an output circuit. */
export const CircuitDiscard = { NONE: 0, EPD: 1, PPD: 2 } as const;

export const DEFAULT_ATM_QUEUE_LIMIT = 1024;

export interface AtmDiscardPolicy {
  /** Most cells queued (in service included) on the output; default 1024. */
  queueLimit?: number;
  /**
   * Early packet discard threshold in cells (default: off). A user cell that starts a PDU
   * (the first after an end-of-PDU cell on its circuit) is refused when the occupancy is at
   * least this, and with it the whole PDU, end cell included.
   */
  epdThreshold?: number;
  /**
   * Partial packet discard (default false): after any cell of a PDU is dropped, the rest of it
   * is dropped except its end-of-PDU cell (kept if there is room), so the receiver can delimit.
   */
  ppd?: boolean;
  /** Random cell discard: above `threshold` cells, drop with `probability` (default: off). */
  randomDiscard?: { threshold: number; probability: number };
}

export class OutputDiscard {
  private readonly sim: Simulation;
  private readonly name: string;
  private readonly counters: SwitchCounters;
  /** Per port: VPI/VCI bits of a header word >>> 4 (GFC masked on a UNI port). */
  readonly keyMask: Int32Array;
  // Per output port: the policy.
  private readonly queueLimit: Float64Array;
  private readonly epdThreshold: Float64Array;
  private readonly ppd: Uint8Array;
  private readonly randThreshold: Float64Array;
  private readonly randProb: Float64Array;
  /** min(queueLimit, epdThreshold, random threshold): below it no policy can act. */
  readonly fastLimit: Float64Array;
  private readonly rngs: (Rng | undefined)[];
  // Per output circuit, keyed per output port by (vpi << 16 | vci); the last one looked up
  // on each port is cached.
  private readonly stateMaps: Map<number, number>[];
  readonly lastStateKey: Float64Array;
  readonly lastStateIdx: Int32Array;
  /** 1 when the circuit's next user cell starts a PDU. */
  readonly vcFirst: Uint8Array;
  /** CircuitDiscard state of the circuit. */
  readonly vcDrop: Uint8Array;
  private stateCount = 0;
  private overflowCount = 0;
  // The circuit and end bit of the cell decide() last judged (for noSlot()).
  private circuit = -1;
  private end = false;

  constructor(sim: Simulation, name: string, keyMask: Int32Array, capacity: number, counters: SwitchCounters) {
    const P = keyMask.length;
    this.sim = sim;
    this.name = name;
    this.counters = counters;
    this.keyMask = keyMask;
    this.queueLimit = new Float64Array(P);
    this.epdThreshold = new Float64Array(P);
    this.ppd = new Uint8Array(P);
    this.randThreshold = new Float64Array(P);
    this.randProb = new Float64Array(P);
    this.fastLimit = new Float64Array(P);
    this.rngs = new Array<Rng | undefined>(P).fill(undefined);
    this.stateMaps = Array.from({ length: P }, () => new Map<number, number>());
    this.lastStateKey = new Float64Array(P).fill(-1);
    this.lastStateIdx = new Int32Array(P).fill(-1);
    this.vcFirst = new Uint8Array(capacity);
    this.vcDrop = new Uint8Array(capacity);
  }

  /** Sets the policy of output `port` (in range; unspecified fields take their defaults). */
  set(port: number, policy: AtmDiscardPolicy): void {
    const limit = policy.queueLimit ?? DEFAULT_ATM_QUEUE_LIMIT;
    checkInteger("queueLimit", limit, 1, 1 << 24);
    let epd = Infinity;
    if (policy.epdThreshold !== undefined) {
      checkInteger("epdThreshold", policy.epdThreshold, 0, limit);
      epd = policy.epdThreshold;
    }
    let rThr = Infinity;
    let rProb = 0;
    if (policy.randomDiscard !== undefined) {
      checkInteger("randomDiscard.threshold", policy.randomDiscard.threshold, 0, limit);
      const p = policy.randomDiscard.probability;
      if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(p)} is not a probability in [0, 1]`, {
          path: "randomDiscard.probability",
        });
      }
      rThr = policy.randomDiscard.threshold;
      rProb = p;
      this.rngs[port] ??= this.sim.scheduler.rng(`atm-switch:${this.name}:out${port}`);
    }
    this.queueLimit[port] = limit;
    this.epdThreshold[port] = epd;
    this.ppd[port] = policy.ppd === true ? 1 : 0;
    this.randThreshold[port] = rThr;
    this.randProb[port] = rProb;
    this.fastLimit[port] = Math.min(limit, epd, rThr);
  }

  /**
   * The verdict on the cell at u8[c] (header as it leaves) offered to output o, which holds
   * `occ` cells: a CellDrop reason, or -1 to admit it. Moves the circuit's EPD/PPD state and
   * counts the PDUs EPD refuses and PPD cuts.
   */
  decide(o: number, occ: number, u8: Uint8Array, c: number): number {
    const limit = this.queueLimit[o]!;
    const b3 = u8[c + 3]!;
    this.circuit = -1;
    this.end = false;
    if ((b3 & 0x08) !== 0) return occ >= limit ? CellDrop.QUEUE_FULL : -1;
    const end = (b3 & 0x02) !== 0;
    const w = ((u8[c]! << 24) | (u8[c + 1]! << 16) | (u8[c + 2]! << 8) | b3) >>> 0;
    const key = (w >>> 4) & this.keyMask[o]!;
    let s: number;
    if (key === this.lastStateKey[o]) s = this.lastStateIdx[o]!;
    else {
      s = this.stateOf(o, key);
      this.lastStateKey[o] = key;
      this.lastStateIdx[o] = s;
    }
    this.circuit = s;
    this.end = end;
    if (s < 0) return this.tailOrRandom(o, occ, limit);
    let drop = -1;
    const mode = this.vcDrop[s]!;
    if (mode === CircuitDiscard.EPD) {
      drop = CellDrop.EPD;
      if (end) {
        this.vcDrop[s] = CircuitDiscard.NONE;
        this.vcFirst[s] = 1;
      }
    } else if (mode === CircuitDiscard.PPD) {
      if (end) {
        this.vcDrop[s] = CircuitDiscard.NONE;
        this.vcFirst[s] = 1;
        if (occ >= limit) drop = CellDrop.QUEUE_FULL;
      } else {
        drop = CellDrop.PPD;
      }
    } else if (this.vcFirst[s] === 1 && occ >= this.epdThreshold[o]!) {
      drop = CellDrop.EPD;
      this.counters.epdPdus[o]!++;
      if (!end) this.vcDrop[s] = CircuitDiscard.EPD;
    } else {
      drop = this.tailOrRandom(o, occ, limit);
      this.vcFirst[s] = end ? 1 : 0;
      if (drop >= 0 && !end && this.ppd[o] === 1) {
        this.vcDrop[s] = CircuitDiscard.PPD;
        this.counters.ppdPdus[o]!++;
      }
    }
    return drop;
  }

  /** The cell decide() last admitted on output o found no slot: with PPD, cut its PDU. */
  noSlot(o: number): void {
    const s = this.circuit;
    if (s >= 0 && !this.end && this.ppd[o] === 1 && this.vcDrop[s] === CircuitDiscard.NONE) {
      this.vcDrop[s] = CircuitDiscard.PPD;
      this.counters.ppdPdus[o]!++;
    }
  }

  /** Every output circuit back to Idle, its next user cell a PDU's first (the switch crashed). */
  resetStates(): void {
    this.vcFirst.fill(1, 0, this.stateCount);
    this.vcDrop.fill(CircuitDiscard.NONE, 0, this.stateCount);
  }

  /** EPD/PPD circuits the state table could not hold. */
  get overflows(): number {
    return this.overflowCount;
  }

  private tailOrRandom(o: number, occ: number, limit: number): number {
    if (occ >= limit) return CellDrop.QUEUE_FULL;
    if (occ >= this.randThreshold[o]! && this.rngs[o]!.nextFloat32() < this.randProb[o]!) return CellDrop.RANDOM;
    return -1;
  }

  /** EPD/PPD state index of output circuit `key` on output o (-1 when the table is full). */
  private stateOf(o: number, key: number): number {
    const map = this.stateMaps[o]!;
    const s = map.get(key);
    if (s !== undefined) return s;
    if (this.stateCount === this.vcFirst.length) {
      this.overflowCount++;
      return -1;
    }
    const idx = this.stateCount++;
    this.vcFirst[idx] = 1;
    this.vcDrop[idx] = CircuitDiscard.NONE;
    map.set(key, idx);
    return idx;
  }
}
