import { describe, expect, it } from "vitest";
import fc from "fast-check";
import zlib from "node:zlib";
import { readFileSync } from "node:fs";
import { ChecksumKernels, crc32, crc32Aal5 } from "../../src/kernels/checksum.js";
import * as ref from "../../src/kernels/reference/crc32.js";
import { FRAME_VEC_LEN, FRAME_VEC_OUT, FRAME_VEC_STRIDE } from "../../src/kernels/abi.js";
import {
  ALL_BUILDS,
  BOUNDARY_SIZES,
  placeInMemory,
  runtimeFor,
  seededBytes,
  writeFrameVector,
} from "../support/runtimes.js";

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
    expect(() => k.crc32Bits(k.rt.u8.byteLength - 3, 4)).toThrow(expect.objectContaining({ code: "OUT_OF_BOUNDS" }));
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
          expect(k.crc32Bits(placed.ptr, size)).toBe(eth | 0); // the same bits, signed
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
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 2000 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (data, prev) => {
          expect(k.crc32(data, prev)).toBe(zlib.crc32(data, prev));
          expect(k.crc32(data.subarray(0, 0), prev)).toBe(prev);
        },
      ),
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
      writeFrameVector(
        rt,
        vec,
        frames.map((f, i) => ({ ptr: placed[i]!.ptr, len: f.length, arg: i % 2 === 0 ? 0 : 0xcafe0000 + i })),
      );
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

// The Ethernet CRC-32 kernel reduces the message modulo sparse multiples Q1 (degree 724) and Q2
// (degree 274) of P before the tables see its last 40 bytes; inputs below 64 bytes use the
// tables only, 64..191 Q2, 192 and up Q1 then Q2 (assembly/checksum/crc32.ts). Lengths where
// the paths, the word grid and the cancelled-word counts change, for the tests below.
const SPARSE_LENGTHS: readonly number[] = (() => {
  const set = new Set<number>();
  const around = (n: number, r = 3): void => {
    for (let d = -r; d <= r; d++) if (n + d >= 0) set.add(n + d);
  };
  around(64, 9); // tables -> Q2
  around(192, 9); // Q2 -> Q1
  for (const n of [8, 16, 35, 40, 43, 48, 91, 96, 99, 104]) around(n); // D/8, tails, minimum K
  for (let n = 64; n <= 2100; n += 64) around(n, 1); // Q1 blocks of 96 bytes, Q2 of 40, words
  for (let n = 96; n <= 2100; n += 96) around(n, 1);
  for (const n of [1042, 1500, 1514, 1518, 9000]) around(n);
  return [...set].sort((a, b) => a - b);
})();

/** Exponents of "Qn = x^a + ... + 1" as written in the kernel's header comment. */
function multipleInKernelSource(name: string): number[] {
  const source = readFileSync(new URL("../../assembly/checksum/crc32.ts", import.meta.url), "utf8");
  const line = new RegExp(`${name} = ((?:x\\^\\d+ \\+ )+1)`).exec(source);
  if (line === null) throw new Error(`${name} not found in assembly/checksum/crc32.ts`);
  return [...line[1]!.matchAll(/x\^(\d+)/g)].map((m) => Number(m[1])).concat(0);
}

/** Q(x) mod P(x) over GF(2), by long division on BigInts (bit i = coefficient of x^i). */
function modCrc32Generator(exponents: readonly number[]): bigint {
  const P = 0x104c11db7n;
  let q = 0n;
  for (const e of exponents) q ^= 1n << BigInt(e);
  for (let d = Math.max(...exponents); d >= 32; d--) if ((q >> BigInt(d)) & 1n) q ^= P << BigInt(d - 32);
  return q;
}

describe("CRC-32: sparse-multiple reduction", () => {
  it("Q1 and Q2 are multiples of the CRC-32 generator, and the kernel's shifts follow from them", () => {
    const q1 = multipleInKernelSource("Q1");
    const q2 = multipleInKernelSource("Q2");
    expect(q1).toEqual([724, 606, 519, 384, 0]);
    expect(q2).toEqual([274, 93, 75, 19, 11, 0]);
    expect(modCrc32Generator(q1)).toBe(0n);
    expect(modCrc32Generator(q2)).toBe(0n);
    // A near miss is not a multiple (the division is not vacuous).
    expect(modCrc32Generator([724, 606, 519, 383, 0])).not.toBe(0n);
    expect(modCrc32Generator([32, 26, 23, 22, 16, 12, 11, 10, 8, 7, 5, 4, 2, 1, 0])).toBe(0n); // P itself
    // Each term x^d moves a cancelled bit forward by D - d = 64 q + r bits: (q, r) as coded in
    // q1Step / q2Step; every shift is at least one word, so a word never feeds itself.
    const shifts = (e: readonly number[]): [number, number][] =>
      e.slice(1).map((d) => [Math.floor((e[0]! - d) / 64), (e[0]! - d) % 64]);
    expect(shifts(q1)).toEqual([
      [1, 54],
      [3, 13],
      [5, 20],
      [11, 20],
    ]);
    expect(shifts(q2)).toEqual([
      [2, 53],
      [3, 7],
      [3, 63],
      [4, 7],
      [4, 18],
    ]);
  });

  it.each(ALL_BUILDS)(
    "every length 0..2100 at offsets 0..15, three previous values, vs reference and zlib (%s)",
    (build) => {
      const rt = runtimeFor(build);
      const k = new ChecksumKernels(rt);
      const MAX = 2100;
      const region = rt.heap.alloc(MAX + 64);
      try {
        for (let len = 0; len <= MAX; len++) {
          const data = seededBytes(len * 2654435761 + 1, len);
          const noise = seededBytes(len + 99, MAX + 64);
          const prevs = [0, 0xffffffff, (len * 0x9e3779b9) >>> 0];
          const expected = prevs.map((prev) => (len === 0 ? prev : zlib.crc32(data, prev) >>> 0));
          expect(ref.crc32(data), `reference len ${len}`).toBe(expected[0]);
          for (let offset = 0; offset < 16; offset++) {
            rt.u8.set(noise, region); // different bytes around the input for every length
            rt.u8.set(data, region + offset);
            for (let i = 0; i < prevs.length; i++) {
              const got = k.crc32At(region + offset, len, prevs[i]);
              if (got !== expected[i])
                expect(got, `len ${len} offset ${offset} previous ${prevs[i]!.toString(16)}`).toBe(expected[i]);
            }
          }
        }
      } finally {
        rt.heap.free(region);
      }
    },
  );

  it.each(ALL_BUILDS)(
    "reads nothing outside [ptr, ptr + len): input at the very end of memory, and other surroundings (%s)",
    (build) => {
      const rt = runtimeFor(build);
      const k = new ChecksumKernels(rt);
      // Ending at the last byte of linear memory, a read past the end traps (the top of this
      // file-private memory is unused by the heap; it is zeroed again afterwards).
      const top = rt.u8.byteLength;
      const lengths = [...SPARSE_LENGTHS.filter((n) => n <= 2100), ...Array.from({ length: 300 }, (_, i) => i)];
      try {
        for (const len of lengths) {
          const data = seededBytes(len + 17, len);
          rt.u8.set(data, top - len);
          expect(k.crc32At(top - len, len, 0x0badf00d), `len ${len} at the end of memory`).toBe(
            len === 0 ? 0x0badf00d : zlib.crc32(data, 0x0badf00d) >>> 0,
          );
        }
      } finally {
        rt.u8.fill(0, top - 2100, top);
      }
      // Bytes just before and after the input: all zeros, all ones, or random, same result.
      const region = rt.heap.alloc(2100 + 128);
      try {
        for (const len of SPARSE_LENGTHS.filter((n) => n <= 2100)) {
          const data = seededBytes(len * 3 + 5, len);
          const want = zlib.crc32(data) >>> 0;
          for (const surround of [0x00, 0xff, -1]) {
            if (surround < 0) rt.u8.set(seededBytes(len, 2100 + 128), region);
            else rt.u8.fill(surround, region, region + 2100 + 128);
            rt.u8.set(data, region + 64);
            if (len > 0) expect(k.crc32At(region + 64, len), `len ${len} surround ${surround}`).toBe(want);
          }
        }
      } finally {
        rt.heap.free(region);
      }
    },
  );

  it.each(ALL_BUILDS)(
    "random lengths (biased to path and word boundaries), offsets and previous values agree with zlib (%s)",
    (build) => {
      const rt = runtimeFor(build);
      const k = new ChecksumKernels(rt);
      const region = rt.heap.alloc(4096 + 32);
      try {
        fc.assert(
          fc.property(
            fc.oneof(fc.constantFrom(...SPARSE_LENGTHS), fc.integer({ min: 1, max: 4096 })),
            fc.integer({ min: 0, max: 15 }),
            fc.integer({ min: 0, max: 0xffffffff }),
            fc.integer(),
            (len, offset, prev, seed) => {
              const data = seededBytes(seed, len);
              rt.u8.set(data, region + offset);
              expect(k.crc32At(region + offset, len, prev)).toBe(len === 0 ? prev : zlib.crc32(data, prev) >>> 0);
            },
          ),
          { numRuns: 400 },
        );
      } finally {
        rt.heap.free(region);
      }
    },
  );

  it.each(ALL_BUILDS)("continuation across random split points equals the CRC of the whole (%s)", (build) => {
    const rt = runtimeFor(build);
    const k = new ChecksumKernels(rt);
    const region = rt.heap.alloc(4096 + 32);
    try {
      fc.assert(
        fc.property(
          fc.oneof(fc.constantFrom(...SPARSE_LENGTHS), fc.integer({ min: 0, max: 4096 })),
          fc.double({ min: 0, max: 1, noNaN: true }),
          fc.oneof(fc.constantFrom(...SPARSE_LENGTHS), fc.integer({ min: 0, max: 4096 })),
          fc.integer({ min: 0, max: 15 }),
          fc.integer(),
          (total, at, secondCut, offset, seed) => {
            const len = Math.min(total, 4096);
            const cut = Math.min(len, Math.floor(at * (len + 1)), secondCut);
            const data = seededBytes(seed, len);
            const ptr = region + offset;
            rt.u8.set(data, ptr);
            const whole = zlib.crc32(data) >>> 0;
            const head = k.crc32At(ptr, cut);
            expect(k.crc32At(ptr + cut, len - cut, head), `len ${len} cut ${cut}`).toBe(len === 0 ? 0 : whole);
            // Three pieces: the middle piece starts and ends at arbitrary points too.
            const cut2 = cut + Math.floor((len - cut) / 2);
            const mid = k.crc32At(ptr + cut, cut2 - cut, head);
            expect(k.crc32At(ptr + cut2, len - cut2, mid), `len ${len} cuts ${cut}, ${cut2}`).toBe(
              len === 0 ? 0 : whole,
            );
          },
        ),
        { numRuns: 300 },
      );
    } finally {
      rt.heap.free(region);
    }
  });

  it.each(ALL_BUILDS)("the batch form takes the same paths (%s)", (build) => {
    const rt = runtimeFor(build);
    const k = new ChecksumKernels(rt);
    const sizes = [0, 63, 64, 65, 191, 192, 193, 1042, 1518, 9000];
    const frames = sizes.map((n, i) => seededBytes(900 + i, n));
    const placed = frames.map((f, i) => placeInMemory(rt, f, (i * 5) % 16));
    const vec = rt.heap.alloc(frames.length * FRAME_VEC_STRIDE);
    try {
      writeFrameVector(
        rt,
        vec,
        frames.map((f, i) => ({ ptr: placed[i]!.ptr, len: f.length, arg: i % 3 === 0 ? 0 : 0x5eed0000 + i })),
      );
      k.crc32Batch(vec, frames.length);
      frames.forEach((f, i) => {
        const prev = i % 3 === 0 ? 0 : 0x5eed0000 + i;
        expect(rt.u32[(vec + i * FRAME_VEC_STRIDE + FRAME_VEC_OUT) / 4], `size ${f.length}`).toBe(
          f.length === 0 ? prev : zlib.crc32(f, prev) >>> 0,
        );
      });
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
    for (const n of [5, 100, 70000])
      expect(k.crc32Aal5ZeroRun(0xdeadbeef, n)).toBe(ref.crc32Aal5ZeroRun(0xdeadbeef, n));
    // Long runs stay O(log n): 4 GiB - 1 zero bytes compute instantly; zlib, fed the same zeros
    // 16 MiB at a time, is the independent oracle.
    const zeros = new Uint8Array(1 << 24);
    let z = 0;
    for (let i = 0; i < 256; i++) z = zlib.crc32(i === 255 ? zeros.subarray(1) : zeros, z);
    expect(k.crc32ZeroRun(0, 0xffffffff)).toBe(z >>> 0);
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
