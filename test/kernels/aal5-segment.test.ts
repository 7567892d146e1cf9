// AAL5 segmentation: the I.363.5 vector, cell layout, Wasm against the reference on every
// build (boundary sizes, random offsets, batch form), and bad input at the API.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  AAL5_MAX_PAYLOAD,
  CELL_BYTES,
  SEG_BAD_HEADER,
  SEG_NO_ROOM,
  SEG_TOO_LONG,
  SEG_ZERO_LENGTH,
  aal5CellCount,
  aal5HeaderWord,
  aal5Segment,
  aal5SegmentBatch,
  aal5SegmentInto,
  packCellHeader,
  unpackCellHeader,
} from "../../src/kernels/aal5.js";
import { aal5SegmentRef, crc32Aal5Ref } from "../../src/kernels/reference/aal5.js";
import { hecOfHeader } from "../../src/kernels/reference/cell.js";
import { getRuntime } from "../../src/kernels/runtime.js";
import { NetloomError } from "../../src/base/errors.js";
import { ALL_BUILDS, BOUNDARY_SIZES, placeInMemory, runtimeFor, seededBytes } from "../support/runtimes.js";
import { cellAt, frameVector } from "./aal5-support.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("AAL5 segmentation: known vectors", () => {
  it("40 zero bytes, UU=CPI=0: one cell, trailer 00 00 00 28 86 4D 7F 99 (I.363.5 example)", () => {
    for (const implementation of ["wasm", "reference"] as const) {
      const cells = aal5Segment(new Uint8Array(40), 0, { implementation });
      expect(cells.length).toBe(CELL_BYTES);
      expect(hex(cells.subarray(45))).toBe("00000028864d7f99");
      // Header 00 00 00 02 (end of PDU) and its HEC.
      expect(hex(cells.subarray(0, 4))).toBe("00000002");
      expect(cells[4]).toBe(hecOfHeader(2));
      expect(cells.subarray(5, 45).every((b) => b === 0)).toBe(true);
    }
  });

  it("reference CRC and HEC match the standard check values", () => {
    const digits = new TextEncoder().encode("123456789");
    expect(crc32Aal5Ref(0, digits, 0, digits.length)).toBe(0xfc891918);
    expect(hecOfHeader(0x00000001)).toBe(0x52); // idle cell
  });

  it("cell count is ceil((len + 8) / 48) at the 40/41 and 88/89 boundaries", () => {
    const counts = [1, 40, 41, 48, 88, 89, 9180, 65535].map((n) => aal5CellCount(n));
    expect(counts).toEqual([1, 1, 2, 2, 2, 3, 192, 1366]);
    const sizes = [1, 40, 41, 48, 88, 89];
    for (const [i, n] of sizes.entries()) expect(aal5Segment(new Uint8Array(n), 0).length).toBe(counts[i]! * 53);
  });

  it("writes the header on every cell, end of PDU on the last only, a valid HEC each, and the CRC over pad", () => {
    const header = { gfc: 3, vpi: 17, vci: 1234, pti: 0, clp: 1 };
    const pdu = seededBytes(5, 100); // 3 cells: 48 + 48 + 4 bytes, 36 pad, trailer
    const cells = aal5Segment(pdu, header, { uu: 0xab, cpi: 0 });
    expect(cells.length).toBe(3 * 53);
    for (let i = 0; i < 3; i++) {
      const c = cellAt(cells, i);
      const word = ((c[0]! << 24) | (c[1]! << 16) | (c[2]! << 8) | c[3]!) >>> 0;
      const f = unpackCellHeader(word);
      expect({ gfc: f.gfc, vpi: f.vpi, vci: f.vci, clp: f.clp }).toEqual({ gfc: 3, vpi: 17, vci: 1234, clp: 1 });
      expect(f.pti).toBe(i === 2 ? 1 : 0);
      expect(c[4]).toBe(hecOfHeader(word));
    }
    const cpcs = new Uint8Array(144);
    for (let i = 0; i < 3; i++) cpcs.set(cellAt(cells, i).subarray(5), i * 48);
    expect(hex(cpcs.subarray(0, 100))).toBe(hex(pdu));
    expect(cpcs.subarray(100, 136).every((b) => b === 0)).toBe(true);
    expect(Array.from(cpcs.subarray(136, 140))).toEqual([0xab, 0, 0, 100]);
    const crc = new DataView(cpcs.buffer).getUint32(140);
    expect(crc).toBe(crc32Aal5Ref(0, cpcs, 0, 140));
  });

  it("ignores an end-of-PDU bit in the given header on continuation cells", () => {
    const base = packCellHeader({ vpi: 1, vci: 5 });
    const a = aal5Segment(seededBytes(1, 200), base);
    const b = aal5Segment(seededBytes(1, 200), base | 2);
    expect(hex(a)).toBe(hex(b));
  });
});

describe("AAL5 segmentation: Wasm against the reference on every build", () => {
  for (const build of ALL_BUILDS) {
    it(`${build}: identical cells at the boundary sizes and random offsets, nothing written past them`, () => {
      const rt = runtimeFor(build);
      const outRegion = rt.heap.alloc(2 * (1366 * 53 + 64));
      try {
        for (const size of BOUNDARY_SIZES.filter((s) => s > 0).concat([40, 41, 48, 88, 89, 9180])) {
          for (const offset of [0, 1, 3, 7]) {
            const seed = size * 31 + offset + 1;
            const src = placeInMemory(rt, seededBytes(seed, size), offset);
            const header = (seededBytes(seed + 1, 4).reduce((a, b) => (a << 8) | b, 0) & ~0x8) >>> 0;
            const uuCpi = (seed * 2654435761) & 0xffff;
            const n = aal5CellCount(size);
            const outW = outRegion + offset;
            const outR = outRegion + 1366 * 53 + 64 + offset;
            rt.u8.fill(0xa5, outRegion, outRegion + 2 * (1366 * 53 + 64));
            expect(rt.exports.aal5Segment(src.ptr, size, header, uuCpi, outW, n)).toBe(n);
            expect(aal5SegmentRef(rt.u8, src.ptr, size, header, uuCpi, outR, n)).toBe(n);
            expect(hex(rt.u8.subarray(outW, outW + n * 53))).toBe(hex(rt.u8.subarray(outR, outR + n * 53)));
            expect(rt.u8[outW + n * 53]).toBe(0xa5);
            if (offset > 0) expect(rt.u8[outW - 1]).toBe(0xa5);
            src.free();
          }
        }
      } finally {
        rt.heap.free(outRegion);
      }
    });

    it(`${build}: kernel status codes for zero length, too long and no room (nothing written)`, () => {
      const rt = runtimeFor(build);
      const src = placeInMemory(rt, seededBytes(9, 100));
      const out = rt.heap.alloc(4 * 53);
      rt.u8.fill(0xa5, out, out + 4 * 53);
      expect(rt.exports.aal5Segment(src.ptr, 0, 0, 0, out, 4)).toBe(SEG_ZERO_LENGTH);
      expect(rt.exports.aal5Segment(src.ptr, 65536, 0, 0, out, 4000)).toBe(SEG_TOO_LONG);
      expect(rt.exports.aal5Segment(src.ptr, 100, 0, 0, out, 2)).toBe(SEG_NO_ROOM);
      expect(rt.u8.subarray(out, out + 4 * 53).every((b) => b === 0xa5)).toBe(true);
      expect(rt.exports.aal5Segment(src.ptr, 100, 0, 0, out, 3)).toBe(3);
      src.free();
      rt.heap.free(out);
    });

    it(`${build}: the batch form matches the reference, with per-PDU statuses and a stop at the first PDU that does not fit`, () => {
      const rt = runtimeFor(build);
      const lens = [1, 40, 41, 0, 9180, 70000, 88, 89, 48, 500, 1000];
      const args = [0, 1, 2, 0, 3, 0, 0x1234_0001, 9, 2, 1, 0];
      const srcs = lens.map((l, i) => placeInMemory(rt, seededBytes(i + 11, Math.min(l, 70000) || 1), i & 3));
      const headers = rt.heap.alloc(16);
      for (let h = 0; h < 4; h++) rt.u32[(headers >>> 2) + h] = packCellHeader({ vpi: h, vci: 100 + h, clp: h & 1 });
      // Room for everything up to and including the 48-byte PDU, but not the 500-byte one.
      const fitting = [1, 40, 41, 9180, 88, 48].reduce((n, l) => n + aal5CellCount(l), 0) + 3;
      const outs: number[][] = [];
      const cells: string[] = [];
      const totals: number[] = [];
      for (const impl of ["wasm", "reference"] as const) {
        const vec = frameVector(
          rt,
          lens.map((len, i) => ({ ptr: srcs[i]!.ptr, len, arg: args[i]! })),
        );
        const out = rt.heap.alloc(fitting * 53);
        totals.push(aal5SegmentBatch(rt, vec.ptr, lens.length, headers, 4, out, fitting, impl));
        outs.push(vec.outs());
        cells.push(hex(rt.u8.subarray(out, out + totals.at(-1)! * 53)));
        vec.free();
        rt.heap.free(out);
      }
      expect(outs[0]).toEqual([
        1,
        1,
        2,
        SEG_ZERO_LENGTH,
        192,
        SEG_TOO_LONG,
        2,
        SEG_BAD_HEADER,
        2,
        SEG_NO_ROOM,
        SEG_NO_ROOM,
      ]);
      expect(outs[1]).toEqual(outs[0]);
      expect(totals[0]).toBe(fitting - 3);
      expect(totals[1]).toBe(totals[0]);
      expect(cells[0]).toBe(cells[1]);
      // The 88-byte PDU carries UU 0x12, CPI 0x34 from bits 16..31 of its arg.
      const at = [1, 40, 41, 9180].reduce((n, l) => n + aal5CellCount(l), 0) + 1;
      const trailer = Buffer.from(cells[0]!, "hex").subarray(at * 53 + 5 + 40, at * 53 + 5 + 44);
      expect(Array.from(trailer)).toEqual([0x12, 0x34, 0, 88]);
      for (const s of srcs) s.free();
      rt.heap.free(headers);
    });
  }

  it("segment-into-memory property: any length 1..65535 matches the reference (release build)", () => {
    const rt = runtimeFor("release");
    const src = rt.heap.alloc(65536 + 8);
    const out = rt.heap.alloc(2 * 1366 * 53 + 64);
    try {
      fc.assert(
        fc.property(
          fc.oneof(fc.constantFrom(1, 40, 41, 48, 88, 89, 9180, 65535), fc.integer({ min: 1, max: 65535 })),
          fc.integer({ min: 0, max: 7 }),
          fc.integer({ min: 0, max: 0xffffffff }),
          (len, offset, seed) => {
            rt.u8.set(seededBytes(seed, len), src + offset);
            const header = (seed & ~0x8) >>> 0;
            const n = aal5SegmentInto(rt, src + offset, len, header, out, 1366, {
              uu: seed & 0xff,
              cpi: (seed >>> 8) & 0xff,
            });
            const outR = out + 1366 * 53 + 64;
            aal5SegmentRef(rt.u8, src + offset, len, header, ((seed & 0xff) << 8) | ((seed >>> 8) & 0xff), outR, n);
            return hex(rt.u8.subarray(out, out + n * 53)) === hex(rt.u8.subarray(outR, outR + n * 53));
          },
        ),
        { numRuns: 40, seed: 0x5a5a },
      );
    } finally {
      rt.heap.free(src);
      rt.heap.free(out);
    }
  });
});

describe("AAL5 segmentation: bad input at the API", () => {
  it("refuses empty and over-limit PDUs", () => {
    expect(() => aal5Segment(new Uint8Array(0), 0)).toThrow(/pdu\.length.*empty/);
    expect(() => aal5Segment(new Uint8Array(AAL5_MAX_PAYLOAD + 1), 0)).toThrow(/pdu\.length/);
    expect(aal5Segment(new Uint8Array(AAL5_MAX_PAYLOAD), 0).length).toBe(1366 * 53);
  });

  it("refuses header fields out of range and non-user-data PTIs, naming the field", () => {
    expect(() => aal5Segment(new Uint8Array(1), { vpi: 256, vci: 1 })).toThrow(/header\.vpi/);
    expect(() => aal5Segment(new Uint8Array(1), { vpi: 1, vci: 65536 })).toThrow(/header\.vci/);
    expect(() => aal5Segment(new Uint8Array(1), { vpi: 1, vci: 1, gfc: 16 })).toThrow(/header\.gfc/);
    expect(() => aal5Segment(new Uint8Array(1), { vpi: 1, vci: 1, pti: 4 })).toThrow(/header\.pti/);
    expect(() => aal5Segment(new Uint8Array(1), { vpi: 1, vci: 1, clp: 2 })).toThrow(/header\.clp/);
    expect(() => aal5HeaderWord(0x8)).toThrow(/PTI/);
    expect(() => aal5HeaderWord(-1)).toThrow(NetloomError);
    expect(() => aal5Segment(new Uint8Array(1), 0, { uu: 256 })).toThrow(/uu/);
    expect(() => aal5Segment(new Uint8Array(1), 0, { cpi: -1 })).toThrow(/cpi/);
  });

  it("aal5SegmentInto refuses too little room, overlap and ranges outside memory", () => {
    const rt = getRuntime();
    const src = rt.heap.alloc(256);
    const out = rt.heap.alloc(4 * 53);
    try {
      expect(() => aal5SegmentInto(rt, src, 100, 0, out, 2)).toThrow(/needs 3 cells/);
      expect(() => aal5SegmentInto(rt, src, 0, 0, out, 2)).toThrow(/len/);
      expect(() => aal5SegmentInto(rt, src, 100, 0, src + 50, 3)).toThrow(/overlap/);
      expect(() => aal5SegmentInto(rt, rt.u8.length - 10, 100, 0, out, 3)).toThrow(/pduPtr/);
      expect(() => aal5SegmentInto(rt, src, 100, 0, rt.u8.length - 100, 3)).toThrow(/outPtr/);
      expect(aal5SegmentInto(rt, src, 100, 0, out, 4)).toBe(3);
      expect(() => aal5SegmentBatch(rt, rt.u8.length - 8, 1, src, 1, out, 4)).toThrow(/vecPtr/);
    } finally {
      rt.heap.free(src);
      rt.heap.free(out);
    }
  });
});
