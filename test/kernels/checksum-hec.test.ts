import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  ChecksumKernels,
  HecStatus,
  HEC_MODE_CORRECTION,
  HEC_MODE_DETECTION,
  atmHec,
} from "../../src/kernels/checksum.js";
import * as ref from "../../src/kernels/reference/hec.js";
import { FRAME_VEC_LEN, FRAME_VEC_OUT, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "../../src/kernels/abi.js";
import { ALL_BUILDS, runtimeFor, seededBytes } from "../support/runtimes.js";

const kernels = (build: (typeof ALL_BUILDS)[number]): ChecksumKernels => new ChecksumKernels(runtimeFor(build));

/** A valid 5-octet header for 4 octets. */
function header(h: Uint8Array): Uint8Array {
  return Uint8Array.from([h[0]!, h[1]!, h[2]!, h[3]!, ref.atmHec(h)]);
}

describe("ATM HEC: known vectors", () => {
  it.each(ALL_BUILDS)("idle and unassigned cells (%s)", (build) => {
    const k = kernels(build);
    expect(k.atmHec(new Uint8Array([0, 0, 0, 1]))).toBe(0x52); // idle cell (I.432.1)
    expect(k.atmHec(new Uint8Array([0, 0, 0, 0]))).toBe(0x55); // unassigned cell: the coset alone
    expect(k.atmHec(new Uint8Array([0, 0, 0, 1, 0x99, 0x98]))).toBe(0x52); // only the first 4 bytes count
  });

  it.each(ALL_BUILDS)("agrees with the bitwise reference on random headers (%s)", (build) => {
    const k = kernels(build);
    for (let i = 0; i < 500; i++) {
      const h = seededBytes(i + 1, 4);
      expect(k.atmHec(h)).toBe(ref.atmHec(h));
    }
  });

  it("facade and bad input", () => {
    expect(atmHec(new Uint8Array([0, 0, 0, 1]))).toBe(0x52);
    expect(() => atmHec(new Uint8Array(3))).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", path: "header" }),
    );
    const k = kernels("debug");
    expect(() => k.atmHecAt(k.rt.u8.byteLength - 2)).toThrow(expect.objectContaining({ code: "OUT_OF_BOUNDS" }));
    const state = k.allocHecState();
    try {
      expect(() => k.hecCheck(new Uint8Array(4), state)).toThrow(/5 bytes/);
      expect(() => k.hecCheck(new Uint8Array(5), state + 1)).toThrow(/statePtr/);
      expect(() => k.hecCheck(new Uint8Array(5), k.rt.u8.byteLength)).toThrow(
        expect.objectContaining({ code: "OUT_OF_BOUNDS" }),
      );
      expect(() => k.hecCheckAt(-5, state)).toThrow(expect.objectContaining({ code: "OUT_OF_BOUNDS" }));
    } finally {
      k.rt.heap.free(state);
    }
  });
});

describe("ATM HEC: I.432.1 correction", () => {
  it.each(ALL_BUILDS)("every single-bit error in the 40 header bits is corrected (%s)", (build) => {
    const k = kernels(build);
    const state = k.allocHecState();
    try {
      for (let trial = 0; trial < 8; trial++) {
        const good = header(seededBytes(trial * 7 + 3, 4));
        for (let bit = 0; bit < 40; bit++) {
          k.rt.u32[state / 4] = HEC_MODE_CORRECTION;
          const bad = good.slice();
          bad[bit >> 3]! ^= 0x80 >> (bit & 7);
          expect(k.hecCheck(bad, state)).toBe(HecStatus.CORRECTED);
          expect(Array.from(bad)).toEqual(Array.from(good));
          expect(k.rt.u32[state / 4]).toBe(HEC_MODE_DETECTION);
        }
      }
    } finally {
      k.rt.heap.free(state);
    }
  });

  it.each(ALL_BUILDS)("every double-bit error is detected, never 'corrected' (%s)", (build) => {
    const k = kernels(build);
    const state = k.allocHecState();
    try {
      const good = header(new Uint8Array([0x12, 0x34, 0x56, 0x78]));
      let pairs = 0;
      for (let a = 0; a < 40; a++) {
        for (let b = a + 1; b < 40; b++) {
          k.rt.u32[state / 4] = HEC_MODE_CORRECTION;
          const bad = good.slice();
          bad[a >> 3]! ^= 0x80 >> (a & 7);
          bad[b >> 3]! ^= 0x80 >> (b & 7);
          const copy = bad.slice();
          expect(k.hecCheck(bad, state)).toBe(HecStatus.DISCARDED);
          expect(Array.from(bad)).toEqual(Array.from(copy)); // a discarded header is left alone
          expect(k.rt.u32[state / 4]).toBe(HEC_MODE_DETECTION);
          pairs++;
        }
      }
      expect(pairs).toBe(780);
    } finally {
      k.rt.heap.free(state);
    }
  });

  it.each(ALL_BUILDS)("the mode state machine: correction <-> detection (%s)", (build) => {
    const k = kernels(build);
    const state = k.allocHecState();
    const mode = (): number => k.rt.u32[state / 4]!;
    try {
      const good = header(new Uint8Array([0, 0x10, 0x20, 0x30]));
      const single = (): Uint8Array => {
        const h = good.slice();
        h[2]! ^= 0x04;
        return h;
      };
      expect(mode()).toBe(HEC_MODE_CORRECTION); // a fresh state word starts in correction mode
      expect(k.hecCheck(good.slice(), state)).toBe(HecStatus.VALID);
      expect(mode()).toBe(HEC_MODE_CORRECTION);
      expect(k.hecCheck(single(), state)).toBe(HecStatus.CORRECTED); // correction -> detection
      expect(mode()).toBe(HEC_MODE_DETECTION);
      expect(k.hecCheck(single(), state)).toBe(HecStatus.DISCARDED); // detection: even single-bit discarded
      expect(mode()).toBe(HEC_MODE_DETECTION);
      expect(k.hecCheck(good.slice(), state)).toBe(HecStatus.VALID); // valid -> correction
      expect(mode()).toBe(HEC_MODE_CORRECTION);
      const multi = good.slice();
      multi[0]! ^= 0x81;
      expect(k.hecCheck(multi, state)).toBe(HecStatus.DISCARDED); // multi-bit in correction -> detection
      expect(mode()).toBe(HEC_MODE_DETECTION);
    } finally {
      k.rt.heap.free(state);
    }
  });

  it.each(ALL_BUILDS)("a cell stream matches the reference receiver, one call per batch (%s)", (build) => {
    const rt = runtimeFor(build);
    const k = new ChecksumKernels(rt);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            hdr: fc.uint8Array({ minLength: 4, maxLength: 4 }),
            flips: fc.array(fc.nat(39), { maxLength: 3 }),
          }),
          {
            minLength: 1,
            maxLength: 40,
          },
        ),
        (cells) => {
          const region = rt.heap.alloc(cells.length * 53);
          const vec = rt.heap.alloc(cells.length * FRAME_VEC_STRIDE);
          const state = k.allocHecState();
          try {
            const refState = { mode: HEC_MODE_CORRECTION };
            const expected: { status: number; bytes: number[] }[] = [];
            cells.forEach((c, i) => {
              const h = header(c.hdr);
              for (const bit of c.flips) h[bit >> 3]! ^= 0x80 >> (bit & 7);
              rt.u8.set(h, region + i * 53);
              const e = (vec + i * FRAME_VEC_STRIDE) / 4;
              rt.u32[e + FRAME_VEC_PTR / 4] = region + i * 53;
              rt.u32[e + FRAME_VEC_LEN / 4] = 53;
              const status = ref.hecCheck(h, refState);
              expected.push({ status, bytes: Array.from(h) });
            });
            k.hecCheckBatch(vec, cells.length, state);
            cells.forEach((_, i) => {
              expect(rt.u32[(vec + i * FRAME_VEC_STRIDE + FRAME_VEC_OUT) / 4]).toBe(expected[i]!.status);
              expect(Array.from(rt.u8.subarray(region + i * 53, region + i * 53 + 5))).toEqual(expected[i]!.bytes);
            });
            expect(rt.u32[state / 4]).toBe(refState.mode);
          } finally {
            rt.heap.free(state);
            rt.heap.free(vec);
            rt.heap.free(region);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("batch: short entries are reported, out-of-memory entries throw", () => {
    const rt = runtimeFor("debug");
    const k = new ChecksumKernels(rt);
    const region = rt.heap.alloc(106);
    const vec = rt.heap.alloc(2 * FRAME_VEC_STRIDE);
    const state = k.allocHecState();
    try {
      rt.u8.set(header(new Uint8Array([0, 0, 0, 1])), region);
      rt.u32[vec / 4 + 0] = region;
      rt.u32[vec / 4 + 1] = 53;
      rt.u32[vec / 4 + 4] = region + 53;
      rt.u32[vec / 4 + 5] = 4;
      k.hecCheckBatch(vec, 2, state);
      expect(rt.u32[(vec + FRAME_VEC_OUT) / 4]).toBe(HecStatus.VALID);
      expect(rt.u32[(vec + FRAME_VEC_STRIDE + FRAME_VEC_OUT) / 4]).toBe(HecStatus.TOO_SHORT);
      rt.u32[vec / 4 + 4] = rt.u8.byteLength - 2;
      rt.u32[vec / 4 + 5] = 53;
      expect(() => k.hecCheckBatch(vec, 2, state)).toThrow(
        expect.objectContaining({ code: "OUT_OF_BOUNDS", path: "vec[1]" }),
      );
      expect(() => k.hecCheckBatch(vec, 2, state + 2)).toThrow(/statePtr/);
    } finally {
      rt.heap.free(state);
      rt.heap.free(vec);
      rt.heap.free(region);
    }
  });
});
