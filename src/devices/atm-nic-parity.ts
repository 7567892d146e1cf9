// The "netloom parity" cell of an AtmNic: one cell after each PDU whose payload is the XOR of
// the PDU's cell payloads, with which the receiver rebuilds exactly one lost cell.
//
// Contract:
// - A circuit opened with parity: true sends, after a PDU's last data cell, one cell on the same
//   circuit with PTI = 7 (reserved in I.361; here it marks netloom parity) carrying the XOR
//   (writeCell). Switches treat PTI 4..7 cells as non-user data: queued, never subject to
//   EPD/PPD.
// - The receiver keeps a running XOR per circuit (accumulate) over the cells of the PDU in
//   progress. With the parity cell (takeMissing) it holds the one missing payload: a lost
//   end-of-PDU cell is rebuilt (writeEndCell) and fed to the reassembler by the receiver; a lost
//   middle cell is inserted into the PDU the reassembler gave back with LOST_CELLS (parked
//   until the parity cell comes) at the position whose AAL5 CRC-32 matches, tried in order (a
//   false match has probability about N * 2^-32). Two lost cells cannot be rebuilt
//   (parityFailed).
// - Parked buffers belong to the reassembler's pool; dropParked() gives them back.
// - No allocation per cell or PDU.

import type { Aal5Reassembler } from "../kernels/aal5.js";
import { aal5CellCount } from "../kernels/aal5.js";
import type { ChecksumKernels } from "../kernels/checksum.js";
import type { KernelRuntime } from "../kernels/runtime.js";
import { ATM_CELL_LEN, ATM_PAYLOAD_LEN, PTI_RESERVED } from "../wire/atm-cell.js";
import { VC_COUNTERS, VC_PARITY_FAILED, VC_PARITY_MISSING, VC_REBUILT } from "./atm-nic-circuits.js";

export class NicParity {
  /** Per circuit: the PDU the reassembler gave back with a lost cell (0: none), its length. */
  readonly parked: Uint32Array;
  private readonly parkedLen: Int32Array;
  /** Circuits with a parked PDU. */
  parkedCount = 0;
  /** Length and CPCS-UU of the PDU rebuildParked() last rebuilt. */
  rebuiltLength = 0;
  rebuiltUu = 0;
  private readonly rt: KernelRuntime;
  private readonly kernels: ChecksumKernels;
  private readonly reassembler: Aal5Reassembler;
  private readonly counters: Float64Array;
  /** Per circuit: the running XOR of the PDU in progress (48 bytes each). */
  private readonly xor: Uint8Array;
  /** 1 when the circuit's running XOR belongs to a finished PDU (clear it at the next cell). */
  private readonly xorClosed: Uint8Array;
  private readonly acc = new Uint8Array(ATM_PAYLOAD_LEN);
  /** The payload the last parity cell says is missing. */
  private readonly missing = new Uint8Array(ATM_PAYLOAD_LEN);

  /** `counters`: the circuits' counters (NicCircuits.counters). */
  constructor(
    rt: KernelRuntime,
    kernels: ChecksumKernels,
    reassembler: Aal5Reassembler,
    circuits: number,
    counters: Float64Array,
  ) {
    this.rt = rt;
    this.kernels = kernels;
    this.reassembler = reassembler;
    this.counters = counters;
    this.xor = new Uint8Array(circuits * ATM_PAYLOAD_LEN);
    this.xorClosed = new Uint8Array(circuits);
    this.parked = new Uint32Array(circuits);
    this.parkedLen = new Int32Array(circuits);
  }

  /** Writes the parity cell after `n` data cells at cells[first..]: XOR of their payloads. */
  writeCell(cells: number, first: number, n: number, header: number): void {
    const u8 = this.rt.u8;
    const acc = this.acc;
    acc.fill(0);
    for (let k = 0; k < n; k++) {
      const p = cells + (first + k) * ATM_CELL_LEN + 5;
      for (let b = 0; b < ATM_PAYLOAD_LEN; b++) acc[b]! ^= u8[p + b]!;
    }
    this.writeHeaderAndPayload(cells + (first + n) * ATM_CELL_LEN, (header | (PTI_RESERVED << 1)) >>> 0, acc);
  }

  /** The next user cell of circuit vc starts a new running XOR (circuit opened, PDU given up). */
  restart(vc: number): void {
    this.xorClosed[vc] = 1;
  }

  /** Adds the payload of the user cell at u8[c] to circuit vc's running XOR. */
  accumulate(vc: number, c: number, end: boolean): void {
    const u8 = this.rt.u8;
    const x = vc * ATM_PAYLOAD_LEN;
    const xor = this.xor;
    if (this.xorClosed[vc] === 1) {
      xor.fill(0, x, x + ATM_PAYLOAD_LEN);
      this.xorClosed[vc] = 0;
    }
    for (let b = 0; b < ATM_PAYLOAD_LEN; b++) xor[x + b]! ^= u8[c + 5 + b]!;
    if (end) this.xorClosed[vc] = 1;
  }

  /** A parity cell for vc, payload at u8[payload]: keeps the missing payload, clears the XOR. */
  takeMissing(vc: number, payload: number): void {
    const u8 = this.rt.u8;
    const missing = this.missing;
    const x = vc * ATM_PAYLOAD_LEN;
    // The running XOR holds this PDU's cells (it is cleared at every parity cell and at the
    // first cell after an end), so parity ^ XOR is the one missing payload.
    for (let b = 0; b < ATM_PAYLOAD_LEN; b++) missing[b] = u8[payload + b]! ^ this.xor[x + b]!;
    this.xor.fill(0, x, x + ATM_PAYLOAD_LEN);
    this.xorClosed[vc] = 0;
  }

  /** Writes at u8[cell] an end-of-PDU cell with header word `word` and the missing payload. */
  writeEndCell(cell: number, word: number): void {
    this.writeHeaderAndPayload(cell, word, this.missing);
  }

  /** Keeps the PDU the reassembler gave back with a lost cell until vc's parity cell comes. */
  park(vc: number, ptr: number, length: number): void {
    if (this.parked[vc] !== 0) this.dropParked(vc, true);
    this.parked[vc] = ptr;
    this.parkedLen[vc] = length;
    this.parkedCount++;
  }

  /** Gives vc's parked PDU back to the reassembler (counted as parityMissing if `count`). */
  dropParked(vc: number, count: boolean): void {
    if (this.parked[vc] === 0) return;
    this.reassembler.returnBuffer(this.parked[vc]!);
    this.parked[vc] = 0;
    this.parkedCount--;
    if (count) this.counters[vc * VC_COUNTERS + VC_PARITY_MISSING]!++;
  }

  /**
   * Inserts the missing payload into vc's parked PDU where the AAL5 CRC matches. Returns the
   * buffer (length and CPCS-UU in rebuiltLength / rebuiltUu; counted as rebuilt) for the
   * caller to deliver, or 0 when no position matches (counted as parityFailed, buffer
   * returned).
   */
  rebuildParked(vc: number): number {
    const ptr = this.parked[vc]!;
    const got = this.parkedLen[vc]!;
    this.parked[vc] = 0;
    this.parkedCount--;
    const u8 = this.rt.u8;
    const length = (u8[ptr + got - 6]! << 8) | u8[ptr + got - 5]!;
    const n = aal5CellCount(length === 0 ? 1 : length);
    const total = n * ATM_PAYLOAD_LEN;
    if (length === 0 || got !== total - ATM_PAYLOAD_LEN || total > this.reassembler.bufferBytes) {
      this.counters[vc * VC_COUNTERS + VC_PARITY_FAILED]!++;
      this.reassembler.returnBuffer(ptr);
      return 0;
    }
    // Start with the missing cell first, then move it one position at a time; the CRC of the
    // blocks before it is carried forward.
    u8.copyWithin(ptr + ATM_PAYLOAD_LEN, ptr, ptr + got);
    u8.set(this.missing, ptr);
    const trailer = ptr + total - 8;
    const want =
      ((u8[trailer + 4]! << 24) | (u8[trailer + 5]! << 16) | (u8[trailer + 6]! << 8) | u8[trailer + 7]!) >>> 0;
    let prefix = 0;
    for (let p = 0; p < n - 1; p++) {
      const at = ptr + p * ATM_PAYLOAD_LEN;
      const crc = this.kernels.crc32Aal5At(at, total - 4 - p * ATM_PAYLOAD_LEN, prefix);
      if (crc === want) {
        this.counters[vc * VC_COUNTERS + VC_REBUILT]!++;
        this.rebuiltLength = length;
        this.rebuiltUu = u8[trailer]!;
        return ptr;
      }
      // Swap the missing block with the next one.
      u8.copyWithin(at, at + ATM_PAYLOAD_LEN, at + 2 * ATM_PAYLOAD_LEN);
      u8.set(this.missing, at + ATM_PAYLOAD_LEN);
      prefix = this.kernels.crc32Aal5At(at, ATM_PAYLOAD_LEN, prefix);
    }
    this.counters[vc * VC_COUNTERS + VC_PARITY_FAILED]!++;
    this.reassembler.returnBuffer(ptr);
    return 0;
  }

  /** A cell at u8[c]: header word `word`, its HEC, then 48 bytes of payload. */
  private writeHeaderAndPayload(c: number, word: number, payload: Uint8Array): void {
    const u8 = this.rt.u8;
    u8[c] = word >>> 24;
    u8[c + 1] = (word >>> 16) & 0xff;
    u8[c + 2] = (word >>> 8) & 0xff;
    u8[c + 3] = word & 0xff;
    u8[c + 4] = this.kernels.atmHecAt(c);
    u8.set(payload, c + 5);
  }
}
