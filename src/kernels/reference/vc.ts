// Reference ATM VC table: the plain-TypeScript twin of assembly/switch/vc.ts.
//
// Contract: the same observable behaviour as the Wasm kernel (out ports, rewritten header bytes,
// HEC, counters), written for clarity over a Map and field-by-field header parsing; the oracle
// of the differential tests and the benchmark baseline. It does not validate arguments.
// Rewrite rules (shared with the kernel): PTI and CLP kept; GFC kept from UNI to UNI, zero into
// a UNI port from an NNI port; a VP entry keeps the VCI; a VC entry wins over a VP entry.

import { FRAME_VEC_ARG, FRAME_VEC_LEN, FRAME_VEC_OUT, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "../abi.js";

export const REF_VC_UNKNOWN = 0xffffffff;
export const REF_VC_MALFORMED = 0xfffffffe;

export type RefCellFormat = "uni" | "nni";

export interface RefVcEntry {
  outPort: number;
  outVpi: number;
  /** undefined for a VP entry (the cell keeps its VCI). */
  outVci: number | undefined;
}

export interface RefVcCounters {
  switched: number;
  vpSwitched: number;
  unknownVc: number;
  malformed: number;
}

/** ATM HEC, bit by bit: CRC-8 x^8 + x^2 + x + 1 over header octets 0..3, XOR 0x55 (ITU-T I.432.1). */
export function referenceHec(header: ArrayLike<number>, offset = 0): number {
  let crc = 0;
  for (let i = 0; i < 4; i++) {
    crc ^= header[offset + i]!;
    for (let b = 0; b < 8; b++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc ^ 0x55;
}

function vcKey(port: number, vpi: number, vci: number | undefined): string {
  return vci === undefined ? `${port}/${vpi}/*` : `${port}/${vpi}/${vci}`;
}

export class ReferenceVcTable {
  private readonly table = new Map<string, RefVcEntry>();
  readonly counters: RefVcCounters = { switched: 0, vpSwitched: 0, unknownVc: 0, malformed: 0 };

  constructor(
    readonly maxEntries: number,
    readonly formats: readonly RefCellFormat[],
  ) {}

  get size(): number {
    return this.table.size;
  }

  /** Adds a VC entry, or a VP entry when vci is undefined. */
  add(inPort: number, vpi: number, vci: number | undefined, entry: RefVcEntry): "ok" | "duplicate" | "full" {
    const key = vcKey(inPort, vpi, vci);
    if (this.table.has(key)) return "duplicate";
    if (this.table.size >= this.maxEntries) return "full";
    this.table.set(key, { ...entry, outVci: vci === undefined ? undefined : entry.outVci });
    return "ok";
  }

  remove(inPort: number, vpi: number, vci: number | undefined): boolean {
    return this.table.delete(vcKey(inPort, vpi, vci));
  }

  lookup(inPort: number, vpi: number, vci: number): RefVcEntry | undefined {
    return this.table.get(vcKey(inPort, vpi, vci)) ?? this.table.get(vcKey(inPort, vpi, undefined));
  }

  clear(): void {
    this.table.clear();
  }

  /** The batch step over a frame vector in `mem` (see vcSwitchBatch); returns cells switched. */
  switchBatch(mem: Uint8Array, vec: number, count: number): number {
    const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
    let switched = 0;
    for (let k = 0; k < count; k++) {
      const d = vec + k * FRAME_VEC_STRIDE;
      const ptr = dv.getUint32(d + FRAME_VEC_PTR, true);
      const len = dv.getUint32(d + FRAME_VEC_LEN, true);
      const inPort = dv.getUint32(d + FRAME_VEC_ARG, true);
      if (len !== 53 || inPort >= this.formats.length) {
        dv.setUint32(d + FRAME_VEC_OUT, REF_VC_MALFORMED, true);
        this.counters.malformed++;
        continue;
      }
      const b0 = mem[ptr]!;
      const b1 = mem[ptr + 1]!;
      const b2 = mem[ptr + 2]!;
      const b3 = mem[ptr + 3]!;
      const inUni = this.formats[inPort] === "uni";
      const gfc = inUni ? b0 >> 4 : 0;
      const vpi = inUni ? ((b0 & 0x0f) << 4) | (b1 >> 4) : (b0 << 4) | (b1 >> 4);
      const vci = ((b1 & 0x0f) << 12) | (b2 << 4) | (b3 >> 4);
      const ptiClp = b3 & 0x0f;
      const entry = this.lookup(inPort, vpi, vci);
      if (entry === undefined) {
        dv.setUint32(d + FRAME_VEC_OUT, REF_VC_UNKNOWN, true);
        this.counters.unknownVc++;
        continue;
      }
      if (entry.outVci === undefined) this.counters.vpSwitched++;
      const outVci = entry.outVci ?? vci;
      const outUni = this.formats[entry.outPort] === "uni";
      if (outUni) {
        const outGfc = inUni ? gfc : 0;
        mem[ptr] = (outGfc << 4) | ((entry.outVpi >> 4) & 0x0f);
      } else {
        mem[ptr] = (entry.outVpi >> 4) & 0xff;
      }
      mem[ptr + 1] = ((entry.outVpi & 0x0f) << 4) | (outVci >> 12);
      mem[ptr + 2] = (outVci >> 4) & 0xff;
      mem[ptr + 3] = ((outVci & 0x0f) << 4) | ptiClp;
      mem[ptr + 4] = referenceHec(mem, ptr);
      dv.setUint32(d + FRAME_VEC_OUT, entry.outPort, true);
      this.counters.switched++;
      switched++;
    }
    return switched;
  }
}
