import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { NetloomError } from "../../src/base/errors.js";
import { crc32Aal5 } from "../../src/kernels/checksum.js";
import { aal5Segment } from "../../src/kernels/aal5.js";
import { Aal5TrailerView, AAL5_CRC_CHECK, aal5PadLength, aal5TrailerOffset } from "../../src/wire/aal5.js";
import {
  ATM_CELL_LEN,
  AtmCellView,
  IDLE_HEC,
  emitAtmCell,
  emitIdleCell,
  hecOfBytes,
  packAtmHeader,
  parseAtmCell,
  type AtmCellRepr,
} from "../../src/wire/atm-cell.js";

describe("ATM cell header", () => {
  it("idle cell header 00 00 00 01 has HEC 0x52 (I.432.1)", () => {
    expect(hecOfBytes(Uint8Array.of(0, 0, 0, 1), 0)).toBe(0x52);
    const cell = new Uint8Array(53).fill(0xa5);
    const v = new AtmCellView(cell);
    emitIdleCell(v);
    expect(Array.from(cell.subarray(0, 5))).toEqual([0, 0, 0, 1, IDLE_HEC]);
    expect(v.isIdle).toBe(true);
    expect(v.hecValid()).toBe(true);
    expect(cell[52]).toBe(0x6a);
  });

  it("unassigned cell header 00 00 00 00 has HEC 0x55 (the coset)", () => {
    expect(hecOfBytes(new Uint8Array(4), 0)).toBe(0x55);
  });

  it("AAL5 CRC-32 check value is 0xFC891918", () => {
    expect(crc32Aal5(new TextEncoder().encode("123456789"))).toBe(AAL5_CRC_CHECK);
  });

  it("UNI fields round-trip with a kernel HEC, bytes exact", () => {
    const cell = new Uint8Array(53).fill(0xa5);
    const view = new AtmCellView(cell, 0, "uni");
    emitAtmCell({ format: "uni", gfc: 0xa, vpi: 0x12, vci: 0x3456, pti: 3, clp: 1 }, view, new Uint8Array(48).fill(7));
    expect(Array.from(cell.subarray(0, 4))).toEqual([0xa1, 0x23, 0x45, 0x67]);
    expect(view.hecValid()).toBe(true);
    expect(view.endOfPdu).toBe(true);
    expect(view.congestion).toBe(true);
    expect(parseAtmCell(view)).toEqual({ format: "uni", gfc: 0xa, vpi: 0x12, vci: 0x3456, pti: 3, clp: 1 });
    expect(cell[52]).toBe(7);
  });

  it("NNI carries a 12-bit VPI and no GFC", () => {
    const cell = new Uint8Array(53);
    const view = new AtmCellView(cell, 0, "nni");
    emitAtmCell({ format: "nni", gfc: 0, vpi: 0xabc, vci: 0x0102, pti: 0, clp: 0 }, view);
    expect(Array.from(cell.subarray(0, 4))).toEqual([0xab, 0xc0, 0x10, 0x20]);
    expect(view.vpi).toBe(0xabc);
    expect(view.gfc).toBe(0);
    view.vpi = 0x001;
    view.updateHec();
    expect(view.vpi).toBe(1);
    expect(view.vci).toBe(0x0102);
    expect(view.hecValid()).toBe(true);
  });

  it("PTI 4..7 cells are not user data and never end a PDU", () => {
    const cell = new Uint8Array(53);
    const view = new AtmCellView(cell);
    emitAtmCell({ format: "uni", gfc: 0, vpi: 1, vci: 32, pti: 7, clp: 0 }, view);
    expect(view.isUserData).toBe(false);
    expect(view.endOfPdu).toBe(false);
    emitAtmCell({ format: "uni", gfc: 0, vpi: 1, vci: 32, pti: 5, clp: 0 }, view);
    expect(view.isOam).toBe(true);
  });

  it("emit refuses fields out of range; parse refuses a short cell", () => {
    const view = new AtmCellView(new Uint8Array(53));
    expect(() => emitAtmCell({ format: "uni", gfc: 0, vpi: 256, vci: 0, pti: 0, clp: 0 }, view)).toThrow(NetloomError);
    expect(() => emitAtmCell({ format: "uni", gfc: 0, vpi: 0, vci: 0, pti: 8, clp: 0 }, view)).toThrow(/pti/);
    expect(parseAtmCell(new AtmCellView(new Uint8Array(52)))).toBeUndefined();
  });

  it("emit -> parse -> emit is byte-identical (property)", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 0, max: 0xfff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 1 }),
        (nni, gfc, vpi, vci, pti, clp) => {
          const repr: AtmCellRepr = nni
            ? { format: "nni", gfc: 0, vpi, vci, pti, clp }
            : { format: "uni", gfc, vpi: vpi & 0xff, vci, pti, clp };
          const a = new Uint8Array(53);
          emitAtmCell(repr, new AtmCellView(a, 0, repr.format));
          const parsed = parseAtmCell(new AtmCellView(a, 0, repr.format))!;
          const b = new Uint8Array(53);
          emitAtmCell(parsed, new AtmCellView(b, 0, repr.format));
          expect(b).toEqual(a);
          expect(new AtmCellView(a).headerWord).toBe(
            packAtmHeader(repr.format, repr.gfc, repr.vpi, repr.vci, pti, clp),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("AAL5 trailer", () => {
  it("names the fields of the kernel's trailer", () => {
    const pdu = new Uint8Array(100).map((_, i) => i);
    const cells = aal5Segment(pdu, { vpi: 1, vci: 40 }, { uu: 0x5a });
    expect(cells.length).toBe(3 * ATM_CELL_LEN);
    // CPCS-PDU = payloads of the cells.
    const cpcs = new Uint8Array(144);
    for (let i = 0; i < 3; i++) cpcs.set(cells.subarray(i * 53 + 5, i * 53 + 53), i * 48);
    expect(aal5PadLength(100)).toBe(36);
    const t = new Aal5TrailerView(cpcs, aal5TrailerOffset(100), 8);
    expect(t.checkLength()).toBe(true);
    expect(t.uu).toBe(0x5a);
    expect(t.cpi).toBe(0);
    expect(t.pduLength).toBe(100);
    expect(t.crc).toBe(crc32Aal5(cpcs.subarray(0, 140)));
  });
});
