// The circuit table of an AtmNic: which VPI/VCI pairs are open, as which circuit index, with
// what options, and each circuit's counters.
//
// Contract:
// - A circuit index (0 .. count - 1) names an open (vpi, vci) on the NIC's port; open() takes
//   the lowest free index and throws NetloomError on a duplicate or a full table. The same
//   index names the circuit in the reassembly kernel.
// - lookup() maps a cell's header to its circuit with one Map lookup per change of circuit
//   (the last answer is cached), so a train of one circuit costs one lookup.
// - Per-circuit counters live in one Float64Array, VC_COUNTERS per circuit at the VC_* offsets;
//   the transmit and receive sides add to them in place. open() zeroes them.
// - Header words are kept as packed (GFC 0, PTI 0, CLP 0) for segmentation.

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import { type AtmHeaderFormat, packAtmHeader } from "../wire/atm-cell.js";

export interface AtmVcOptions {
  /** Send a parity cell after each PDU and rebuild one lost cell on receive (default false). */
  parity?: boolean;
  /** CPCS-UU octet of PDUs sent (default 0). */
  uu?: number;
}

/** Offsets of a circuit's counters in NicCircuits.counters (VC_COUNTERS per circuit). */
export const VC_TX_PDUS = 0;
export const VC_TX_CELLS = 1;
export const VC_TX_BYTES = 2;
export const VC_RX_CELLS = 3;
export const VC_RX_PDUS = 4;
export const VC_RX_BYTES = 5;
export const VC_REBUILT = 6;
export const VC_PARITY_FAILED = 7;
export const VC_PARITY_MISSING = 8;
export const VC_TIMEOUTS = 9;
export const VC_COUNTERS = 10;

export class NicCircuits {
  readonly format: AtmHeaderFormat;
  /** Most circuits open at once. */
  readonly count: number;
  /** VPI/VCI bits of a header word >>> 4 (GFC masked in the UNI format). */
  readonly keyMask: number;
  readonly open: Uint8Array;
  /** Header word of the circuit's cells. */
  readonly header: Uint32Array;
  readonly parity: Uint8Array;
  readonly uu: Uint8Array;
  readonly counters: Float64Array;
  private readonly map = new Map<number, number>();
  private lastKey = -1;
  private lastVc = -1;

  constructor(format: AtmHeaderFormat, count: number) {
    this.format = format;
    this.count = count;
    this.keyMask = format === "uni" ? 0xffffff : 0xfffffff;
    this.open = new Uint8Array(count);
    this.header = new Uint32Array(count);
    this.parity = new Uint8Array(count);
    this.uu = new Uint8Array(count);
    this.counters = new Float64Array(count * VC_COUNTERS);
  }

  /** Circuit of the header key (word >>> 4) & keyMask, or -1. */
  lookup(key: number): number {
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.lastVc = this.map.get(key) ?? -1;
    }
    return this.lastVc;
  }

  /** Opens (vpi, vci) on the NIC `nic`; returns its index. Throws on a duplicate or a full table. */
  openCircuit(nic: string, vpi: number, vci: number, options: AtmVcOptions): number {
    checkInteger("vpi", vpi, 0, this.format === "uni" ? 0xff : 0xfff);
    checkInteger("vci", vci, 0, 0xffff);
    checkInteger("uu", options.uu ?? 0, 0, 255);
    const key = ((vpi << 16) | vci) & this.keyMask;
    if (this.map.has(key)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `VPI/VCI ${vpi}/${vci} is already open on ${nic}`, {
        path: "vci",
      });
    }
    let vc = -1;
    for (let i = 0; i < this.count; i++) {
      if (this.open[i] === 0) {
        vc = i;
        break;
      }
    }
    if (vc < 0) {
      throw new NetloomError(ErrorCode.TABLE_FULL, `${nic} has ${this.count} circuits open`, { path: "vci" });
    }
    this.open[vc] = 1;
    this.header[vc] = packAtmHeader(this.format, 0, vpi, vci, 0, 0);
    this.parity[vc] = options.parity === true ? 1 : 0;
    this.uu[vc] = options.uu ?? 0;
    this.counters.fill(0, vc * VC_COUNTERS, vc * VC_COUNTERS + VC_COUNTERS);
    this.map.set(key, vc);
    this.lastKey = -1;
    return vc;
  }

  /** Unmaps open circuit vc and marks it closed (its counters stay readable). */
  close(vc: number): void {
    this.map.delete((this.header[vc]! >>> 4) & this.keyMask);
    this.lastKey = -1;
    this.open[vc] = 0;
  }

  /** Circuit index of (vpi, vci), or -1. */
  indexOf(vpi: number, vci: number): number {
    return this.map.get(((vpi << 16) | vci) & this.keyMask) ?? -1;
  }

  /** VPI of a header word in this format. */
  vpiOf(header: number): number {
    return (header >>> 20) & (this.format === "uni" ? 0xff : 0xfff);
  }

  /** VCI of a header word. */
  vciOf(header: number): number {
    return (header >>> 4) & 0xffff;
  }
}
