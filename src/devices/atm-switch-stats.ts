// The counters of an AtmSwitch and the statistics it reports from them.
//
// Contract:
// - SwitchCounters holds every per-port counter as a typed array indexed by port (drops at
//   port * CELL_DROP_COUNT + reason). The input and output sides of the switch increment them
//   in place: counting costs no call on the per-cell path.
// - Drops are counted at the port where they happen: HEC, UNKNOWN_VC and TRAIN_OVERRUN at the
//   input; QUEUE_FULL, RANDOM, EPD, PPD, NO_SLOT and NOT_ATTACHED at the output; CRASHED and
//   SIGNAL_LOSS at the input the cells came in on. Idle and unassigned cells are counted apart,
//   not as drops.
// - portStats() and switchedCells() read; nothing here changes a counter.

/** Cell drop reasons (stable numbers; names in CELL_DROP_NAMES). */
export const CellDrop = {
  HEC: 0,
  UNKNOWN_VC: 1,
  QUEUE_FULL: 2,
  RANDOM: 3,
  EPD: 4,
  PPD: 5,
  NO_SLOT: 6,
  NOT_ATTACHED: 7,
  TRAIN_OVERRUN: 8,
  /** Cells inside the switch when it crashed, or arriving while it was crashed. */
  CRASHED: 9,
  /** Cells a crashed neighbour had scheduled and never sent (skipped on arrival). */
  SIGNAL_LOSS: 10,
} as const;
export type CellDrop = (typeof CellDrop)[keyof typeof CellDrop];
export const CELL_DROP_NAMES = [
  "hec",
  "unknownVc",
  "queueFull",
  "random",
  "epd",
  "ppd",
  "noSlot",
  "notAttached",
  "trainOverrun",
  "crashed",
  "signalLoss",
] as const;
/** Drop counters per port (the stride of SwitchCounters.drops). */
export const CELL_DROP_COUNT = CELL_DROP_NAMES.length;

export interface AtmSwitchPortStats {
  attached: boolean;
  /** Cells that reached the ATM layer on this input (HEC ok, not idle/unassigned). */
  rxCells: number;
  rxTrains: number;
  idleCells: number;
  unassignedCells: number;
  hecCorrected: number;
  /** Cells admitted to this output (and sent). */
  txCells: number;
  txTrains: number;
  /** Output trains that were input frames forwarded without a copy. */
  zeroCopyTrains: number;
  /** Drops by reason (input reasons at the input port, output reasons at the output port). */
  drops: Record<(typeof CELL_DROP_NAMES)[number], number>;
  /** PDUs refused whole by EPD, and PDUs cut by PPD, on this output. */
  epdPdus: number;
  ppdPdus: number;
  /** Highest occupancy (cells) an arriving cell found on this output. */
  queueHighWater: number;
  circuits: number;
  circuitLimit: number;
}

/** Per-port counters, each a typed array indexed by port. */
export class SwitchCounters {
  readonly ports: number;
  /** Drops by reason: [port * CELL_DROP_COUNT + CellDrop]. */
  readonly drops: Float64Array;
  readonly rxCells: Float64Array;
  readonly rxTrains: Float64Array;
  readonly idleCells: Float64Array;
  readonly unassignedCells: Float64Array;
  readonly hecCorrected: Float64Array;
  readonly txCells: Float64Array;
  readonly txTrains: Float64Array;
  readonly zeroCopy: Float64Array;
  readonly epdPdus: Float64Array;
  readonly ppdPdus: Float64Array;
  readonly highWater: Float64Array;

  constructor(ports: number) {
    this.ports = ports;
    this.drops = new Float64Array(ports * CELL_DROP_COUNT);
    this.rxCells = new Float64Array(ports);
    this.rxTrains = new Float64Array(ports);
    this.idleCells = new Float64Array(ports);
    this.unassignedCells = new Float64Array(ports);
    this.hecCorrected = new Float64Array(ports);
    this.txCells = new Float64Array(ports);
    this.txTrains = new Float64Array(ports);
    this.zeroCopy = new Float64Array(ports);
    this.epdPdus = new Float64Array(ports);
    this.ppdPdus = new Float64Array(ports);
    this.highWater = new Float64Array(ports);
  }

  /** The port's counters, with what the switch knows of its link and circuits. */
  portStats(port: number, attached: boolean, circuits: number, circuitLimit: number): AtmSwitchPortStats {
    const drops = {} as AtmSwitchPortStats["drops"];
    CELL_DROP_NAMES.forEach((name, r) => (drops[name] = this.drops[port * CELL_DROP_COUNT + r]!));
    return {
      attached,
      rxCells: this.rxCells[port]!,
      rxTrains: this.rxTrains[port]!,
      idleCells: this.idleCells[port]!,
      unassignedCells: this.unassignedCells[port]!,
      hecCorrected: this.hecCorrected[port]!,
      txCells: this.txCells[port]!,
      txTrains: this.txTrains[port]!,
      zeroCopyTrains: this.zeroCopy[port]!,
      drops,
      epdPdus: this.epdPdus[port]!,
      ppdPdus: this.ppdPdus[port]!,
      queueHighWater: this.highWater[port]!,
      circuits,
      circuitLimit,
    };
  }

  /** Cells admitted to an output so far, over all ports. */
  switchedCells(): number {
    let s = 0;
    for (let p = 0; p < this.ports; p++) s += this.txCells[p]!;
    return s;
  }
}
