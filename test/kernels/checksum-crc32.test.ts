import { describe, expect, it } from "vitest";
import fc from "fast-check";
import zlib from "node:zlib";
import { ChecksumKernels, crc32, crc32Aal5 } from "../../src/kernels/checksum.js";
import * as ref from "../../src/kernels/reference/crc32.js";
import { FRAME_VEC_ARG, FRAME_VEC_LEN, FRAME_VEC_OUT, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "../../src/kernels/abi.js";
import { ALL_BUILDS, BOUNDARY_SIZES, placeInMemory, runtimeFor, seededBytes } from "../support/runtimes.js";

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const kernels = (build: (typeof ALL_BUILDS)[number]): ChecksumKernels => new ChecksumKernels(runtimeFor(build));

describe("CRC-32: known vectors", () => {
  it.each(ALL_BUILDS)("check values of both CRC-32s (%s)", (build) => {
    const k = kernels(build);
    expect(k.crc32(ascii("123456789"))).toBe(0xcbf43926);
    expect(k.crc32Aal5(ascii("123456789"))).toBe(0xfc891918);
    expect(k.crc32(new Uint8Array(0))).toBe(0);
    expect(k.crc32Aal5(new Uint8Array(0))).toBe(0);
    // AAL5: a 40-byte PDU of zeros with UU = CPI = 0 and length 40 has CRC 0x864D7F99 (issue 2).
    const pdu = new Uint8Array(48); // 40 zeros, UU, CPI, length 0x0028, CRC
    pdu[43] = 40;
    expect(k.crc32Aal5(pdu.subarray(0, 44))).toBe(0x864d7f99);
    // The CRC over a frame followed by its FCS (little-endian) is the residue 0x2144DF1C.
    const frame = seededBytes(5, 60);
    const fcs = k.crc32(frame);
    const withFcs = Uint8Array.from([...frame, fcs & 0xff, (fcs >>> 8) & 0xff, (fcs >>> 16) & 0xff, fcs >>> 24]);
    expect(k.crc32(withFcs)).toBe(0x2144df1c);
  });

  it("facade functions, unsigned results, continuation like zlib", () => {
    expect(crc32(ascii("123456789"))).toBe(0xcbf43926);
    expect(crc32Aal5(ascii("123456789"))).toBe(0xfc891918);
    expect(crc32(ascii("56789"), crc32(ascii("1234")))).toBe(0xcbf43926);
    expect(crc32Aal5(ascii("6789"), crc32Aal5(ascii("12345")))).toBe(0xfc891918);
  });

  it("rejects bad arguments", () => {
    const k = kernels("debug");
    expect(() => k.crc32(new Uint8Array(1), -1)).toThrow(/previous/);
    expect(() => k.crc32(new Uint8Array(1), 2 ** 32)).toThrow(/previous/);
    expect(() => k.crc32ZeroRun(0, -5)).toThrow(/n:/);
    expect(() => k.crc32At(k.rt.u8.byteLength - 3, 4)).toThrow(expect.objectContaining({ code: "OUT_OF_BOUNDS" }));
    expect(() => k.crc32Aal5At(-1, 4)).toThrow(expect.objectContaining({ code: "OUT_OF_BOUNDS" }));
  });
});

describe("CRC-32: Wasm vs reference and zlib", () => {
  it.each(ALL_BUILDS)("every boundary size at offsets 0..7 (%s)", (build) => {
    const rt = runtimeFor(build);
    const k = new ChecksumKernels(rt);
    for (const size of BOUNDARY_SIZES) {
      const data = seededBytes(size * 13 + 1, size);
      const eth = ref.crc32(data);
      const aal5 = ref.crc32Aal5(data);
      expect(eth).toBe(zlib.crc32(data));
      expect(k.crc32(data)).toBe(eth);
      expect(k.crc32Aal5(data)).toBe(aal5);
      for (let offset = 0; offset < 8; offset++) {
        const placed = placeInMemory(rt, data, offset);
        try {
          expect(k.crc32At(placed.ptr, size)).toBe(eth);
          expect(k.crc32Aal5At(placed.ptr, size)).toBe(aal5);
          expect(k.crc32At(placed.ptr, size, 0x12345678)).toBe(ref.crc32(data, 0x12345678));
          expect(k.crc32Aal5At(placed.ptr, size, 0x9abcdef0)).toBe(ref.crc32Aal5(data, 0x9abcdef0));
        } finally {
          placed.free();
        }
      }
    }
  });

  it.each(ALL_BUILDS)("every tail length after the 16-byte loop, unaligned starts, odd split points (%s)", (build) => {
    // The kernels run 16-byte steps, then one 12-, 8- or 4-byte partial step, then up to three
    // single bytes: cover every remainder 0..15 after 0, 1, 2 and 93 blocks (1488 + r: around
    // 1500), at odd starts, and continued from a split at an odd point.
    const rt = runtimeFor(build);
    const k = new ChecksumKernels(rt);
    const lengths: number[] = [];
    for (const blocks of [0, 1, 2, 93]) for (let r = 0; r < 16; r++) lengths.push(blocks * 16 + r);
    for (const len of lengths) {
      const data = seededBytes(len * 31 + 7, len);
      const eth = ref.crc32(data);
      const aal5 = ref.crc32Aal5(data);
      const offset = (len * 5) % 8;
      const placed = placeInMemory(rt, data, offset);
      try {
        expect(k.crc32At(placed.ptr, len), `crc32 len ${len} offset ${offset}`).toBe(eth);
        expect(k.crc32Aal5At(placed.ptr, len), `aal5 len ${len} offset ${offset}`).toBe(aal5);
        const cut = Math.min(len, (len * 7 + 3) % 37);
        const head = k.crc32At(placed.ptr, cut);
        expect(k.crc32At(placed.ptr + cut, len - cut, head), `crc32 len ${len} cut ${cut}`).toBe(eth);
        const headAal5 = k.crc32Aal5At(placed.ptr, cut);
        expect(k.crc32Aal5At(placed.ptr + cut, len - cut, headAal5), `aal5 len ${len} cut ${cut}`).toBe(aal5);
      } finally {
        placed.free();
      }
    }
  });

  it.each(ALL_BUILDS)("inputs larger than the staging area continue across chunks (%s)", (build) => {
    const k = kernels(build);
    const big = seededBytes(77, k.rt.scratchBytes * 2 + 123);
    expect(k.crc32(big)).toBe(zlib.crc32(big));
    expect(k.crc32Aal5(big)).toBe(ref.crc32Aal5(big));
  });

  it.each(ALL_BUILDS)("random data agrees with zlib.crc32 (%s)", (build) => {
    const k = kernels(build);
    fc.assert(
      // Non-empty: zlib returns 0 for an empty buffer whatever the previous value (a zlib quirk);
      // netloom returns the previous value unchanged, which is what continuation means.
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.integer({ min: 0, max: 0xffffffff }), (data, prev) => {
        expect(k.crc32(data, prev)).toBe(zlib.crc32(data, prev));
        expect(k.crc32(data.subarray(0, 0), prev)).toBe(prev);
      }),
      { numRuns: 100 },
    );
  });

  it.each(ALL_BUILDS)("the batch form fills out per entry, continuing from arg (%s)", (build) => {
    const rt = runtimeFor(build);
    const k = new ChecksumKernels(rt);
    const frames = BOUNDARY_SIZES.map((n, i) => seededBytes(500 + i, n));
    const placed = frames.map((f, i) => placeInMemory(rt, f, (i * 3) % 8));
    const vec = rt.heap.alloc(frames.length * FRAME_VEC_STRIDE);
    try {
      frames.forEach((f, i) => {
        const e = (vec + i * FRAME_VEC_STRIDE) / 4;
        rt.u32[e + FRAME_VEC_PTR / 4] = placed[i]!.ptr;
        rt.u32[e + FRAME_VEC_LEN / 4] = f.length;
        rt.u32[e + FRAME_VEC_ARG / 4] = i % 2 === 0 ? 0 : 0xcafe0000 + i;
      });
      k.crc32Batch(vec, frames.length);
      frames.forEach((f, i) => {
        const expected = zlib.crc32(f, i % 2 === 0 ? 0 : 0xcafe0000 + i);
        expect(rt.u32[(vec + i * FRAME_VEC_STRIDE + FRAME_VEC_OUT) / 4]).toBe(expected);
      });
      rt.u32[(vec + FRAME_VEC_STRIDE + FRAME_VEC_LEN) / 4] = rt.u8.byteLength;
      expect(() => k.crc32Batch(vec, frames.length)).toThrow(/vec\[1\]/);
      expect(() => k.crc32Batch(vec, -1)).toThrow(/count/);
    } finally {
      rt.heap.free(vec);
      for (const p of placed) p.free();
    }
  });
});

describe("CRC-32: zero runs and combination", () => {
  it.each(ALL_BUILDS)("a zero run equals the CRC of real zeros (%s)", (build) => {
    const k = kernels(build);
    for (const n of [0, 1, 2, 3, 7, 8, 48, 1500, 9000, 65535, 1 << 20]) {
      const head = seededBytes(n + 3, 37);
      const zeros = new Uint8Array(n);
      expect(k.crc32ZeroRun(k.crc32(head), n)).toBe(zlib.crc32(zeros, zlib.crc32(head)));
      expect(k.crc32Aal5ZeroRun(k.crc32Aal5(head), n)).toBe(ref.crc32Aal5(zeros, ref.crc32Aal5(head)));
      expect(k.crc32ZeroRun(0, n)).toBe(zlib.crc32(zeros));
    }
    // Byte-at-a-time oracle for a few more lengths, including ones above 2^16.
    for (const n of [5, 100, 70000]) expect(k.crc32ZeroRun(0xdeadbeef, n)).toBe(ref.crc32ZeroRun(0xdeadbeef, n));
    for (const n of [5, 100, 70000]) expect(k.crc32Aal5ZeroRun(0xdeadbeef, n)).toBe(ref.crc32Aal5ZeroRun(0xdeadbeef, n));
    // Long runs stay O(log n): 4 GiB - 1 zero bytes compute instantly.
    expect(k.crc32ZeroRun(0, 0xffffffff)).toBeGreaterThanOrEqual(0);
  });

  it.each(ALL_BUILDS)("combine equals the CRC of the concatenation (%s)", (build) => {
    const k = kernels(build);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        const ab = Uint8Array.from([...a, ...b]);
        expect(k.crc32Combine(k.crc32(a), k.crc32(b), b.length)).toBe(zlib.crc32(ab));
        expect(k.crc32Aal5Combine(k.crc32Aal5(a), k.crc32Aal5(b), b.length)).toBe(ref.crc32Aal5(ab));
      }),
      { numRuns: 60 },
    );
  });
});
