// AAL5 reassembly: round trip, error detection (CRC, length, lost and merged cells, HEC),
// oversize bound, partial packet discard, abort, buffer exhaustion, and API misuse.

import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  AAL5_STATUS,
  ARG_DISCARD,
  Aal5Reassembler,
  CELL_BYTES,
  CELL_END,
  aal5Segment,
  aal5StatusName,
  type Aal5ReassemblerOptions,
} from "../../src/kernels/aal5.js";
import { getRuntime } from "../../src/kernels/runtime.js";
import { NetloomError } from "../../src/base/errors.js";
import { seededBytes } from "../support/runtimes.js";
import { cellAt, concat, drain, frameVector, run, withoutCells } from "./aal5-support.js";

const S = AAL5_STATUS;
const live: Aal5Reassembler[] = [];
function make(o: Partial<Aal5ReassemblerOptions> = {}): Aal5Reassembler {
  const r = Aal5Reassembler.create({ circuits: 4, buffers: 8, maxPduBytes: 65535, ...o });
  live.push(r);
  return r;
}
afterEach(() => {
  for (const r of live.splice(0)) r.free();
  expect(getRuntime().heap.stats().liveRegions).toBeLessThanOrEqual(1); // the runtime's scratch region
});

const HDR = { vpi: 2, vci: 77 };
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("AAL5 reassembly: the happy path", () => {
  it("segment-then-reassemble is the identity for every length class (fast-check)", () => {
    const r = make({ buffers: 2 });
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(1, 40, 41, 48, 88, 89, 9180, 65535), fc.integer({ min: 1, max: 65535 })),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer(),
        (len, circuit, uuCpi, seed) => {
          const pdu = seededBytes(seed, len);
          const cells = aal5Segment(pdu, HDR, { uu: uuCpi >>> 8, cpi: uuCpi & 0xff });
          const got = run(r, cells, circuit);
          expect(got).toHaveLength(1);
          expect(got[0]).toMatchObject({ circuit, status: S.OK, length: len, uu: uuCpi >>> 8, cpi: uuCpi & 0xff });
          expect(hex(got[0]!.bytes)).toBe(hex(pdu));
        },
      ),
      { numRuns: 40, seed: 0x2a },
    );
    const t = r.totals();
    expect(t.pdus).toBe(40);
    expect(t.freeBuffers).toBe(2);
    expect(t.lentBuffers).toBe(0);
    expect(t.badCrc + t.badLength + t.lostCells + t.hecErrors + t.discardedCells).toBe(0);
  });

  it("reassembles circuits whose cells interleave, several PDUs completing in one batch", () => {
    const r = make();
    const pdus = [seededBytes(1, 300), seededBytes(2, 41), seededBytes(3, 1000), seededBytes(4, 9180)];
    const cellsOf = pdus.map((p, i) => aal5Segment(p, { vpi: 1, vci: 40 + i }, { uu: i }));
    const stream: Uint8Array[] = [];
    const args: number[] = [];
    const max = Math.max(...cellsOf.map((c) => c.length / CELL_BYTES));
    for (let j = 0; j < max; j++) {
      for (let c = 0; c < 4; c++) {
        if (j * CELL_BYTES < cellsOf[c]!.length) {
          stream.push(cellAt(cellsOf[c]!, j));
          args.push(3 - c); // circuit index need not equal anything in the header
        }
      }
    }
    const got = run(r, concat(stream), args);
    expect(got.map((g) => g.circuit)).toEqual([2, 3, 1, 0]); // in order of their last cells
    for (const g of got) {
      const c = 3 - g.circuit;
      expect(g.status).toBe(S.OK);
      expect(g.uu).toBe(c);
      expect(hex(g.bytes)).toBe(hex(pdus[c]!));
      expect(r.stats(g.circuit)).toMatchObject({ pdus: 1, bytes: pdus[c]!.length, cells: cellsOf[c]!.length / 53 });
    }
  });

  it("reports per-cell outcomes in the frame vector, with CELL_END on the last cell", () => {
    const r = make();
    const rt = getRuntime();
    const cells = rt.heap.alloc(3 * 53);
    rt.u8.set(aal5Segment(seededBytes(7, 100), HDR), cells);
    const vec = frameVector(
      rt,
      [0, 1, 2].map((i) => ({ ptr: cells + i * 53, len: 53, arg: 1 })),
    );
    expect(r.pushCells(vec.ptr, 3)).toBe(3);
    expect(vec.outs()).toEqual([S.OK, S.OK, S.OK | CELL_END]);
    expect(drain(r)[0]!.status).toBe(S.OK);
    vec.free();
    rt.heap.free(cells);
  });
});

describe("AAL5 reassembly: errors are caught and counted", () => {
  it("every single flipped bit in a cell payload is caught, never delivered as OK (fast-check)", () => {
    const r = make({ deliverErrors: true });
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(1, 40, 41, 48, 88, 89, 9180), fc.integer({ min: 1, max: 3000 })),
        fc.integer(),
        fc.nat(),
        fc.integer({ min: 0, max: 48 * 8 - 1 }),
        (len, seed, cellPick, bit) => {
          const cells = aal5Segment(seededBytes(seed, len), HDR);
          const n = cells.length / CELL_BYTES;
          const at = (cellPick % n) * CELL_BYTES + 5 + (bit >>> 3);
          cells[at]! ^= 0x80 >>> (bit & 7);
          const got = run(r, cells, 0);
          expect(got).toHaveLength(1);
          expect([S.BAD_CRC, S.BAD_LENGTH, S.LOST_CELLS]).toContain(got[0]!.status);
        },
      ),
      { numRuns: 150, seed: 0x51 },
    );
    expect(r.totals().pdus).toBe(0);
  });

  it("a flipped header bit fails the HEC: the cell is dropped and its PDU is not delivered", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.nat(), fc.integer({ min: 0, max: 39 }), (len, pick, bit) => {
        const r = make({ deliverErrors: true });
        const cells = aal5Segment(seededBytes(len, len), HDR);
        const n = cells.length / CELL_BYTES;
        cells[(pick % n) * CELL_BYTES + (bit >>> 3)]! ^= 0x80 >>> (bit & 7);
        const got = run(r, cells, 0);
        expect(got.filter((g) => g.status === S.OK)).toHaveLength(0);
        expect(r.stats(0).hecErrors).toBe(1);
        r.free();
        live.splice(live.indexOf(r), 1);
      }),
      { numRuns: 40, seed: 0x77 },
    );
  });

  it("with the HEC check off, a bad HEC byte is ignored", () => {
    const r = make({ checkHec: false });
    const cells = aal5Segment(seededBytes(3, 100), HDR);
    cells[4]! ^= 0xff;
    expect(run(r, cells, 0)[0]!.status).toBe(S.OK);
  });

  it("a dropped middle cell is reported as lost cells; its buffer goes back to the free stack", () => {
    const r = make();
    const cells = aal5Segment(seededBytes(9, 500), HDR); // 11 cells
    expect(run(r, withoutCells(cells, [4]), 0)).toEqual([]);
    expect(r.stats(0)).toMatchObject({ lostCells: 1, pdus: 0, cells: 10 });
    expect(r.totals().freeBuffers).toBe(8);
    const withErrors = make({ deliverErrors: true });
    const got = run(withErrors, withoutCells(cells, [0]), 0);
    expect(got).toMatchObject([{ status: S.LOST_CELLS, length: 10 * 48 }]);
  });

  it("a dropped end-of-PDU cell merges two PDUs and is caught; the next PDU is fine", () => {
    const r = make({ deliverErrors: true });
    const a = aal5Segment(seededBytes(1, 120), HDR); // 3 cells
    const b = aal5Segment(seededBytes(2, 100), HDR); // 3 cells
    const c = seededBytes(3, 60);
    const got = run(r, concat([withoutCells(a, [2]), b, aal5Segment(c, HDR)]), 0);
    expect(got.map((g) => aal5StatusName(g.status))).toEqual(["BAD_LENGTH", "OK"]);
    expect(got[0]!.length).toBe(5 * 48);
    expect(hex(got[1]!.bytes)).toBe(hex(c));
    // A longer merge: the Length field of the second PDU leaves more than 47 bytes of pad.
    const e = aal5Segment(seededBytes(5, 41), HDR); // 2 cells
    const f = aal5Segment(seededBytes(6, 90), HDR); // 3 cells, Length 90 in 4 merged cells
    const merged = run(r, concat([withoutCells(e, [1]), f]), 0);
    expect(merged.map((m) => aal5StatusName(m.status))).toEqual(["BAD_LENGTH"]);
    // A merge that still looks length-consistent is caught by the CRC.
    const h = aal5Segment(seededBytes(8, 100), HDR); // 3 cells, Length 100
    const i = aal5Segment(seededBytes(9, 30), HDR); // 1 cell
    // h without its last cell (2 cells) + a 1-cell PDU whose Length is 100: consistent length, bad CRC.
    const forged = concat([withoutCells(h, [2]), i]);
    forged.set([0, 100], 2 * 53 + 5 + 42);
    expect(run(r, forged, 0).map((m) => aal5StatusName(m.status))).toEqual(["BAD_CRC"]);
    expect(r.stats(0)).toMatchObject({ badLength: 2, badCrc: 1, pdus: 1 });
  });

  it("length boundaries: 48 pad bytes is a bad length, one byte short of the cells is lost cells (both implementations)", () => {
    for (const implementation of ["wasm", "reference"] as const) {
      const r = make({ deliverErrors: true, implementation });
      const forge = (len: number, claimed: number): Uint8Array => {
        const cells = aal5Segment(seededBytes(len, len), HDR);
        const t = cells.length - 8 + 2;
        cells[t] = claimed >>> 8;
        cells[t + 1] = claimed & 0xff;
        return cells;
      };
      // 2 cells = 96 bytes: Length 40 leaves 48 pad bytes; Length 89 needs a third cell.
      const got = run(r, concat([forge(88, 40), forge(88, 89), forge(88, 41)]), 0);
      expect(
        got.map((g) => aal5StatusName(g.status)),
        implementation,
      ).toEqual(["BAD_LENGTH", "LOST_CELLS", "BAD_CRC"]);
    }
  });

  it("a Length field of 0 (the abort indication) is a bad length", () => {
    const r = make({ deliverErrors: true });
    const cells = aal5Segment(seededBytes(1, 30), HDR);
    cells[5 + 42] = 0;
    cells[5 + 43] = 0;
    expect(run(r, cells, 0)[0]!.status).toBe(S.BAD_LENGTH);
  });

  it("bounds an oversize PDU: the rest of it up to end of PDU is discarded, then the circuit recovers", () => {
    const r = make({ maxPduBytes: 100 }); // 3 cells
    const big = aal5Segment(seededBytes(1, 400), HDR); // 9 cells
    const ok = seededBytes(2, 100);
    const rounded = seededBytes(3, 136); // same 3 cells: the bound is whole cells
    const got = run(r, concat([big, aal5Segment(ok, HDR), aal5Segment(rounded, HDR)]), 1);
    expect(got.map((g) => g.length)).toEqual([100, 136]);
    expect(r.stats(1)).toMatchObject({ oversize: 1, discardedCells: 6, pdus: 2 });
    expect(r.totals().freeBuffers).toBe(8);
    // A per-circuit bound below the reassembler's.
    r.setMaxPdu(2, 40);
    expect(run(r, aal5Segment(ok, HDR), 2)).toEqual([]);
    expect(r.stats(2)).toMatchObject({ oversize: 1, discardedCells: 2 });
    expect(run(r, aal5Segment(seededBytes(4, 40), HDR), 2)).toHaveLength(1);
    expect(() => r.setMaxPdu(2, 101)).toThrow(/maxPduBytes/);
  });

  it("an oversize end-of-PDU cell ends the discard itself", () => {
    const r = make({ maxPduBytes: 40 }); // 1 cell
    const two = aal5Segment(seededBytes(1, 60), HDR); // 2 cells: second (EOP) is over
    const got = run(r, concat([two, aal5Segment(seededBytes(2, 10), HDR)]), 0);
    expect(got.map((g) => g.length)).toEqual([10]);
    expect(r.stats(0)).toMatchObject({ oversize: 1, discardedCells: 1 });
  });
});

describe("AAL5 reassembly: partial packet discard, abort, buffers", () => {
  it("discard() drops the rest of the PDU in progress up to and including its end cell", () => {
    const r = make();
    const a = aal5Segment(seededBytes(1, 300), HDR); // 7 cells
    const b = seededBytes(2, 200);
    expect(r.pushCellBytes(a.subarray(0, 3 * 53), 0)).toBe(3);
    expect(r.discard(0)).toBe(true);
    expect(r.discard(0)).toBe(false); // already discarding
    const got = run(r, concat([a.subarray(3 * 53), aal5Segment(b, HDR)]), 0);
    expect(got.map((g) => hex(g.bytes))).toEqual([hex(b)]);
    expect(r.stats(0)).toMatchObject({ partialDiscards: 1, discardedCells: 4, pdus: 1 });
    expect(r.totals().freeBuffers).toBe(8);
  });

  it("discard() on an idle circuit drops the next PDU", () => {
    const r = make();
    expect(r.discard(3)).toBe(true);
    const got = run(r, concat([aal5Segment(seededBytes(1, 10), HDR), aal5Segment(seededBytes(2, 20), HDR)]), 3);
    expect(got.map((g) => g.length)).toEqual([20]);
  });

  it("ARG_DISCARD on a cell starts partial packet discard with that cell", () => {
    const r = make();
    const rt = getRuntime();
    const a = aal5Segment(seededBytes(1, 200), HDR); // 5 cells
    const b = aal5Segment(seededBytes(2, 50), HDR); // 2 cells
    const cells = rt.heap.alloc(7 * 53);
    rt.u8.set(concat([a, b]), cells);
    const args = [2, 2, 2 | ARG_DISCARD, 2, 2, 2 | ARG_DISCARD, 2];
    const vec = frameVector(
      rt,
      args.map((arg, i) => ({ ptr: cells + i * 53, len: 53, arg })),
    );
    r.pushCells(vec.ptr, 7);
    const D = S.DISCARDED;
    expect(vec.outs()).toEqual([S.OK, S.OK, D, D, D | CELL_END, D, D | CELL_END]);
    expect(drain(r)).toEqual([]);
    expect(r.stats(2)).toMatchObject({ partialDiscards: 2, discardedCells: 5, pdus: 0 });
    expect(r.totals().freeBuffers).toBe(8);
    vec.free();
    rt.heap.free(cells);
  });

  it("abort() drops the PDU in progress (reassembly timeout) and returns its buffer", () => {
    const r = make();
    const a = aal5Segment(seededBytes(1, 300), HDR);
    r.pushCellBytes(a.subarray(0, 2 * 53), 1);
    expect(r.totals().freeBuffers).toBe(7);
    expect(r.abort(1)).toBe(true);
    expect(r.abort(1)).toBe(false);
    expect(r.totals().freeBuffers).toBe(8);
    expect(r.stats(1).aborts).toBe(1);
    const b = seededBytes(2, 300);
    expect(run(r, aal5Segment(b, HDR), 1).map((g) => hex(g.bytes))).toEqual([hex(b)]);
    // abort also ends discard mode
    r.discard(1);
    expect(r.abort(1)).toBe(true);
    expect(run(r, aal5Segment(b, HDR), 1)).toHaveLength(1);
  });

  it("buffer exhaustion drops whole PDUs and counts them; returning buffers recovers", () => {
    const r = make({ buffers: 2 });
    const pdus = [0, 1, 2].map((c) => aal5Segment(seededBytes(c + 1, 100), HDR)); // 3 cells each
    const stream: Uint8Array[] = [];
    const args: number[] = [];
    for (let j = 0; j < 3; j++) for (let c = 0; c < 3; c++) stream.push(cellAt(pdus[c]!, j)), args.push(c);
    expect(r.pushCellBytes(concat(stream), args)).toBe(9);
    expect(r.queuedCompletions).toBe(2);
    expect(r.stats(2)).toMatchObject({ noBuffer: 1, discardedCells: 3, pdus: 0 });
    // Keep the two buffers: the next PDU on circuit 0 finds none.
    const held = r.completions();
    expect(held.map((h) => h.circuit)).toEqual([0, 1]);
    expect(r.totals()).toMatchObject({ freeBuffers: 0, lentBuffers: 2 });
    expect(run(r, pdus[0]!, 0)).toEqual([]);
    expect(r.stats(0).noBuffer).toBe(1);
    for (const h of held) r.returnBuffer(h.ptr);
    expect(run(r, pdus[2]!, 2)).toHaveLength(1);
  });

  it("counts cells naming no circuit and malformed entries, and never touches them", () => {
    const r = make({ circuits: 2 });
    const rt = getRuntime();
    const cells = rt.heap.alloc(2 * 53);
    rt.u8.set(aal5Segment(seededBytes(1, 60), HDR), cells);
    const vec = frameVector(rt, [
      { ptr: cells, len: 53, arg: 2 },
      { ptr: cells, len: 52, arg: 0 },
      { ptr: rt.u8.length - 40, len: 53, arg: 0 },
      { ptr: cells, len: 53, arg: 0xff_ffff },
      { ptr: cells, len: 53, arg: 0 },
      { ptr: cells + 53, len: 53, arg: 0 },
    ]);
    expect(r.pushCells(vec.ptr, 6)).toBe(6);
    expect(vec.outs()).toEqual([S.BAD_CIRCUIT, S.BAD_CELL, S.BAD_CELL, S.BAD_CIRCUIT, S.OK, S.OK | CELL_END]);
    expect(r.totals()).toMatchObject({ badCircuit: 2, badCell: 2, cells: 2, pdus: 1 });
    drain(r);
    vec.free();
    rt.heap.free(cells);
  });
});

describe("AAL5 reassembly: bad use of the API", () => {
  it("validates create options, naming the option", () => {
    expect(() => Aal5Reassembler.create({ circuits: 0, buffers: 1 })).toThrow(/circuits/);
    expect(() => Aal5Reassembler.create({ circuits: 1, buffers: 0 })).toThrow(/buffers/);
    expect(() => Aal5Reassembler.create({ circuits: 1, buffers: 1, maxPduBytes: 0 })).toThrow(/maxPduBytes/);
    expect(() => Aal5Reassembler.create({ circuits: 1, buffers: 1, maxPduBytes: 65536 })).toThrow(/maxPduBytes/);
    expect(() => Aal5Reassembler.create({ circuits: 1, buffers: 1, batchCells: 0 })).toThrow(/batchCells/);
    expect(() => Aal5Reassembler.create({ circuits: 1, buffers: 1, implementation: "fast" as "wasm" })).toThrow(
      /implementation/,
    );
    expect(() => Aal5Reassembler.create({ circuits: 1, buffers: 100_000, maxPduBytes: 65535 })).toThrow(
      expect.objectContaining({ code: "OUT_OF_MEMORY" }),
    );
  });

  it("refuses bad circuit indexes, bad cell byte counts and bad vectors", () => {
    const r = make();
    expect(() => r.discard(4)).toThrow(/circuit/);
    expect(() => r.abort(-1)).toThrow(/circuit/);
    expect(() => r.stats(1.5)).toThrow(/circuit/);
    expect(() => r.pushCellBytes(new Uint8Array(52), 0)).toThrow(/cells/);
    expect(() => r.pushCellBytes(new Uint8Array(106), [0])).toThrow(/arg/);
    expect(() => r.pushCells(getRuntime().u8.length - 8, 1)).toThrow(/vecPtr/);
  });

  it("refuses returning a buffer that is not lent out, or twice", () => {
    const r = make();
    expect(() => r.returnBuffer(12345)).toThrow(/not a buffer lent out/);
    r.pushCellBytes(aal5Segment(seededBytes(1, 10), HDR), 0);
    const [c] = r.completions();
    r.returnBuffer(c!.ptr);
    expect(() => r.returnBuffer(c!.ptr)).toThrow(NetloomError);
    expect(() => r.returnBuffer(c!.ptr + 1)).toThrow(/ptr/);
  });

  it("refuses use after free", () => {
    const r = Aal5Reassembler.create({ circuits: 1, buffers: 1 });
    r.free();
    expect(() => r.pushCellBytes(new Uint8Array(53), 0)).toThrow(expect.objectContaining({ code: "USE_AFTER_FREE" }));
    expect(() => r.free()).toThrow(/freed/);
  });
});
