import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  ChecksumKernels,
  combineInternetSums,
  finishInternetChecksum,
  internetChecksum,
  ipv4PseudoHeaderSum,
} from "../../src/kernels/checksum.js";
import * as ref from "../../src/kernels/reference/inet.js";
import { FRAME_VEC_LEN, FRAME_VEC_OUT, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "../../src/kernels/abi.js";
import {
  ALL_BUILDS,
  BOUNDARY_SIZES,
  placeInMemory,
  runtimeFor,
  seededBytes,
  writeFrameVector,
} from "../support/runtimes.js";
import { NetloomError } from "../../src/base/errors.js";

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const kernels = (build: (typeof ALL_BUILDS)[number]): ChecksumKernels => new ChecksumKernels(runtimeFor(build));

afterAll(() => {
  for (const build of ALL_BUILDS) expect(runtimeFor(build).heap.stats().liveRegions).toBe(1); // scratch only
});

describe("Internet checksum: known vectors", () => {
  // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (one's complement sum).
  const rfc1071 = hex("0001 f203 f4f5 f6f7");
  // A real IPv4 header (checksum field b861 zeroed for computing).
  const ipv4 = hex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7");

  it.each(ALL_BUILDS)("RFC 1071 example and an IPv4 header (%s)", (build) => {
    const k = kernels(build);
    expect(k.internetSum(rfc1071)).toBe(0xddf2);
    expect(k.internetChecksum(rfc1071)).toBe(0x220d);
    expect(k.internetChecksum(ipv4)).toBe(0xb861);
    const filled = ipv4.slice();
    filled[10] = 0xb8;
    filled[11] = 0x61;
    expect(k.internetChecksum(filled)).toBe(0); // a correct header sums to zero
    expect(k.internetChecksum(new Uint8Array(0))).toBe(0xffff);
    expect(k.internetChecksum(new Uint8Array([0xab]))).toBe(~0xab00 & 0xffff); // odd byte is high-order
  });

  it("the facade function uses the thread runtime", () => {
    expect(internetChecksum(ipv4)).toBe(0xb861);
  });

  it("UDP over IPv4 with the pseudo-header", () => {
    // 192.168.0.1:1234 -> 192.168.0.199:80, payload "hi!".
    const udp = hex("04d2 0050 000b 0000 6869 21");
    const pseudo = ipv4PseudoHeaderSum(0xc0a80001, hex("c0a800c7"), 17, udp.length);
    const manual = ref.internetChecksum(Uint8Array.from([...hex("c0a80001 c0a800c7 0011 000b"), ...udp]));
    for (const build of ALL_BUILDS) {
      const k = kernels(build);
      expect(k.internetChecksum(udp, pseudo)).toBe(manual);
      const withField = udp.slice();
      withField[6] = manual >> 8;
      withField[7] = manual & 0xff;
      expect(k.internetChecksum(withField, pseudo)).toBe(0);
    }
    // By hand: c0a8+0001+c0a8+00c7+0011+000b+04d2+0050+000b+0000+6869+2100 = 0x210ca -> 0x10cc.
    expect(manual).toBe(0xef33);
  });

  it("rejects bad arguments with named errors", () => {
    expect(() => ipv4PseudoHeaderSum(0, 0, 300, 8)).toThrow(/protocol/);
    expect(() => ipv4PseudoHeaderSum(new Uint8Array(3), 0, 17, 8)).toThrow(/src/);
    expect(() => combineInternetSums(0x10000, 0, 0)).toThrow(/a:/);
    expect(() => finishInternetChecksum(-1)).toThrow(NetloomError);
    const k = kernels("debug");
    expect(() => k.internetSum(new Uint8Array(4), 0x10000)).toThrow(/initial/);
    expect(() => k.internetSum([1, 2] as unknown as Uint8Array)).toThrow(/bytes/);
  });
});

describe("Internet checksum: Wasm vs reference", () => {
  it.each(ALL_BUILDS)("every boundary size at offsets 0..7, staged and in place (%s)", (build) => {
    const rt = runtimeFor(build);
    const k = new ChecksumKernels(rt);
    for (const size of BOUNDARY_SIZES) {
      const data = seededBytes(size * 31 + 7, size);
      const expected = ref.internetSum(data);
      expect(k.internetSum(data)).toBe(expected);
      for (let offset = 0; offset < 8; offset++) {
        const placed = placeInMemory(rt, data, offset);
        try {
          expect(k.internetSumAt(placed.ptr, size)).toBe(expected);
          expect(k.internetChecksumAt(placed.ptr, size, 0x1234)).toBe(ref.internetChecksum(data, 0x1234));
          expect(k.internetSum(rt.u8.subarray(placed.ptr, placed.ptr + size))).toBe(expected);
        } finally {
          placed.free();
        }
      }
    }
  });

  it.each(ALL_BUILDS)("all-0xff data of many lengths cannot overflow a lane (%s)", (build) => {
    const rt = runtimeFor(build);
    const k = new ChecksumKernels(rt);
    for (const size of [64 * 16384 - 2, 64 * 16384 + 64 * 3 + 15, 3 * 1024 * 1024 + 1]) {
      const data = new Uint8Array(size).fill(0xff);
      expect(k.internetSum(data)).toBe(ref.internetSum(data)); // also staged in chunks
      const placed = placeInMemory(rt, data, 3);
      try {
        expect(k.internetSumAt(placed.ptr, size)).toBe(ref.internetSum(data));
      } finally {
        placed.free();
      }
    }
  });

  it.each(ALL_BUILDS)("the batch form fills out for every entry, with arg as initial partial (%s)", (build) => {
    const rt = runtimeFor(build);
    const k = new ChecksumKernels(rt);
    const frames = BOUNDARY_SIZES.map((n, i) => seededBytes(1000 + i, n));
    const placed = frames.map((f, i) => placeInMemory(rt, f, i % 8));
    const vec = rt.heap.alloc(frames.length * FRAME_VEC_STRIDE);
    try {
      writeFrameVector(
        rt,
        vec,
        frames.map((f, i) => ({ ptr: placed[i]!.ptr, len: f.length, arg: (i * 997) & 0xffff })),
      );
      k.internetChecksumBatch(vec, frames.length);
      frames.forEach((f, i) => {
        expect(rt.u32[(vec + i * FRAME_VEC_STRIDE + FRAME_VEC_OUT) / 4]).toBe(
          ref.internetChecksum(f, (i * 997) & 0xffff),
        );
      });
      // An entry outside memory: entries before it are done, the error names the entry.
      rt.u32[(vec + 2 * FRAME_VEC_STRIDE + FRAME_VEC_PTR) / 4] = rt.u8.byteLength - 4;
      rt.u32[(vec + 2 * FRAME_VEC_STRIDE + FRAME_VEC_LEN) / 4] = 8;
      expect(() => k.internetChecksumBatch(vec, frames.length)).toThrow(/vec\[2\]/);
      expect(() => k.internetChecksumBatch(rt.u8.byteLength - 16, 2)).toThrow(
        expect.objectContaining({ code: "OUT_OF_BOUNDS" }),
      );
      k.internetChecksumBatch(vec, 0);
    } finally {
      rt.heap.free(vec);
      for (const p of placed) p.free();
    }
  });

  it("pointer forms refuse ranges outside linear memory", () => {
    const k = kernels("debug");
    const size = k.rt.u8.byteLength;
    for (const [ptr, len] of [
      [size - 1, 2],
      [-1, 1],
      [0.5, 1],
      [0, -1],
    ] as const) {
      expect(() => k.internetChecksumAt(ptr, len)).toThrow(expect.objectContaining({ code: "OUT_OF_BOUNDS" }));
      expect(() => k.internetSumAt(ptr, len)).toThrow(expect.objectContaining({ code: "OUT_OF_BOUNDS" }));
    }
  });
});

describe("Internet checksum: properties", () => {
  const bytes = fc.uint8Array({ minLength: 0, maxLength: 300 });

  it.each(ALL_BUILDS)("partials combine for any split point (%s)", (build) => {
    const k = kernels(build);
    fc.assert(
      fc.property(bytes, fc.nat(), fc.nat(), (data, s1, s2) => {
        const a = Math.min(s1 % (data.length + 1), s2 % (data.length + 1));
        const b = Math.max(s1 % (data.length + 1), s2 % (data.length + 1));
        const pa = k.internetSum(data.subarray(0, a));
        const pb = k.internetSum(data.subarray(a, b));
        const pc = k.internetSum(data.subarray(b));
        const whole = combineInternetSums(combineInternetSums(pa, pb, a), pc, b);
        expect(whole).toBe(k.internetSum(data));
        expect(finishInternetChecksum(whole)).toBe(k.internetChecksum(data));
        expect(k.rt.exports.inetCombine(pa, pb, a)).toBe(combineInternetSums(pa, pb, a));
      }),
      { numRuns: 150 },
    );
  });

  it.each(ALL_BUILDS)("RFC 1624 incremental update equals full recomputation (%s)", (build) => {
    const k = kernels(build);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 60 }),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffff }),
        (raw, at, word) => {
          const header = raw.slice(0, raw.length & ~1);
          header[0] = 0x45; // never all zero (the one case where 0x0000 and 0xffff differ)
          header[10] = 0;
          header[11] = 0;
          const before = k.internetChecksum(header);
          const i = 12 + 2 * (at % ((header.length - 12) / 2));
          const old = (header[i]! << 8) | header[i + 1]!;
          header[i] = word >> 8;
          header[i + 1] = word & 0xff;
          expect(k.updateInternetChecksum(before, old, word)).toBe(k.internetChecksum(header));
          expect(ref.updateInternetChecksum(before, old, word)).toBe(k.internetChecksum(header));
        },
      ),
      { numRuns: 200 },
    );
  });
});
