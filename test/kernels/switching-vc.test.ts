import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { NetloomError } from "../../src/base/errors.js";
import {
  VC_MALFORMED,
  VC_UNKNOWN,
  VcTable,
  type CellFormat,
  type VcTableOptions,
} from "../../src/kernels/switching.js";
import { ReferenceVcTable, referenceHec } from "../../src/kernels/reference/vc.js";
import type { KernelRuntime } from "../../src/kernels/runtime.js";
import { ALL_BUILDS, runtimeFor, seededBytes } from "../support/runtimes.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
  // Every table and buffer a test allocated is back: only the runtime's scratch region is live.
  for (const build of ALL_BUILDS) expect(runtimeFor(build).heap.stats().liveRegions).toBe(1);
});

function table(rt: KernelRuntime, options: Omit<VcTableOptions, "runtime">): VcTable {
  const t = VcTable.create({ ...options, runtime: rt });
  cleanups.push(() => t.free());
  return t;
}

interface Header {
  gfc?: number;
  vpi: number;
  vci: number;
  pti: number;
  clp: number;
}

/** The 4 header octets of a cell (UNI when gfc is given, else NNI) followed by a correct HEC. */
function header(h: Header): number[] {
  const word =
    h.gfc !== undefined
      ? ((h.gfc << 28) | (h.vpi << 20) | (h.vci << 4) | (h.pti << 1) | h.clp) >>> 0
      : ((h.vpi << 20) | (h.vci << 4) | (h.pti << 1) | h.clp) >>> 0;
  const bytes = [word >>> 24, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff];
  return [...bytes, referenceHec(bytes)];
}

/** 53-byte cells and a frame vector in one heap region; cells at `offset` into 64-byte slots. */
class Cells {
  readonly vec: number;
  private readonly base: number;

  constructor(
    readonly rt: KernelRuntime,
    readonly capacity: number,
  ) {
    const region = rt.heap.alloc(capacity * 16 + capacity * 64);
    this.vec = region;
    this.base = region + capacity * 16;
    cleanups.push(() => rt.heap.free(region));
  }

  ptr(i: number, offset = 0): number {
    return this.base + i * 64 + offset;
  }

  set(i: number, head: number[], inPort: number, offset = 0, len = 53, payloadSeed = i + 1): void {
    const p = this.ptr(i, offset);
    this.rt.u8.set(head, p);
    this.rt.u8.set(seededBytes(payloadSeed, 48), p + 5);
    const w = (this.vec >>> 2) + i * 4;
    this.rt.u32[w] = p;
    this.rt.u32[w + 1] = len;
    this.rt.u32[w + 2] = inPort;
    this.rt.u32[w + 3] = 0xdeadbeef;
  }

  cell(i: number, offset = 0): number[] {
    return Array.from(this.rt.u8.subarray(this.ptr(i, offset), this.ptr(i, offset) + 53));
  }

  out(i: number): number {
    return this.rt.u32[(this.vec >>> 2) + i * 4 + 3]!;
  }
}

describe("ATM HEC reference", () => {
  it("matches the idle cell vector of ITU-T I.432.1 (00 00 00 01 -> 0x52)", () => {
    expect(referenceHec([0, 0, 0, 1])).toBe(0x52);
    expect(referenceHec([0, 0, 0, 0])).toBe(0x55);
  });
});

describe.each(ALL_BUILDS)("ATM VC table (%s build)", (build) => {
  const rt = runtimeFor(build);

  it("rewrites VPI/VCI between NNI ports, keeps PTI/CLP and payload, recomputes the HEC", () => {
    const t = table(rt, { capacity: 16, ports: 4 });
    t.add({ inPort: 1, vpi: 0x123, vci: 0x4567, outPort: 2, outVpi: 0xabc, outVci: 0x0def });
    const c = new Cells(rt, 1);
    c.set(0, header({ vpi: 0x123, vci: 0x4567, pti: 5, clp: 1 }), 1, 3);
    const before = c.cell(0, 3);
    expect(t.switchBatch(c.vec, 1)).toBe(1);
    expect(c.out(0)).toBe(2);
    const after = c.cell(0, 3);
    expect(after.slice(0, 5)).toEqual(header({ vpi: 0xabc, vci: 0x0def, pti: 5, clp: 1 }));
    expect(after.slice(5)).toEqual(before.slice(5));
    expect(t.stats()).toMatchObject({ entries: 1, switched: 1, unknownVc: 0, malformed: 0 });
  });

  it("keeps GFC from UNI to UNI, zeroes it into UNI from NNI, uses the bits as VPI into NNI", () => {
    const t = table(rt, { capacity: 16, ports: ["uni", "uni", "nni", "nni"] });
    t.add({ inPort: 0, vpi: 0x12, vci: 100, outPort: 1, outVpi: 0x34, outVci: 200 });
    t.add({ inPort: 0, vpi: 0x13, vci: 100, outPort: 2, outVpi: 0xfed, outVci: 300 });
    t.add({ inPort: 2, vpi: 0x876, vci: 100, outPort: 1, outVpi: 0xff, outVci: 400 });
    expect(() => t.add({ inPort: 2, vpi: 1, vci: 1, outPort: 1, outVpi: 0x100, outVci: 1 })).toThrow(/outVpi/);
    const c = new Cells(rt, 3);
    c.set(0, header({ gfc: 0xa, vpi: 0x12, vci: 100, pti: 1, clp: 0 }), 0);
    c.set(1, header({ gfc: 0xa, vpi: 0x13, vci: 100, pti: 7, clp: 1 }), 0);
    c.set(2, header({ vpi: 0x876, vci: 100, pti: 2, clp: 1 }), 2);
    expect(t.switchBatch(c.vec, 3)).toBe(3);
    expect([c.out(0), c.out(1), c.out(2)]).toEqual([1, 2, 1]);
    expect(c.cell(0).slice(0, 5)).toEqual(header({ gfc: 0xa, vpi: 0x34, vci: 200, pti: 1, clp: 0 }));
    expect(c.cell(1).slice(0, 5)).toEqual(header({ vpi: 0xfed, vci: 300, pti: 7, clp: 1 }));
    expect(c.cell(2).slice(0, 5)).toEqual(header({ gfc: 0, vpi: 0xff, vci: 400, pti: 2, clp: 1 }));
  });

  it("VP switching keeps the VCI; a VC entry on the same VPI wins", () => {
    const t = table(rt, { capacity: 16, ports: 3 });
    t.add({ inPort: 0, vpi: 7, outPort: 1, outVpi: 9 });
    t.add({ inPort: 0, vpi: 7, vci: 42, outPort: 2, outVpi: 1, outVci: 43 });
    expect(t.lookup(0, 7, 1000)).toEqual({ outPort: 1, outVpi: 9, outVci: 1000, vp: true });
    expect(t.lookup(0, 7, 42)).toEqual({ outPort: 2, outVpi: 1, outVci: 43, vp: false });
    expect(t.lookup(1, 7, 42)).toBeUndefined();
    const c = new Cells(rt, 2);
    c.set(0, header({ vpi: 7, vci: 1000, pti: 0, clp: 1 }), 0);
    c.set(1, header({ vpi: 7, vci: 42, pti: 0, clp: 0 }), 0);
    expect(t.switchBatch(c.vec, 2)).toBe(2);
    expect(c.cell(0).slice(0, 5)).toEqual(header({ vpi: 9, vci: 1000, pti: 0, clp: 1 }));
    expect(c.cell(1).slice(0, 5)).toEqual(header({ vpi: 1, vci: 43, pti: 0, clp: 0 }));
    expect([c.out(0), c.out(1)]).toEqual([1, 2]);
    expect(t.stats()).toMatchObject({ switched: 2, vpSwitched: 1 });
    expect(t.remove(0, 7)).toBe(true);
    expect(t.lookup(0, 7, 1000)).toBeUndefined();
    expect(t.lookup(0, 7, 42)?.outPort).toBe(2);
  });

  it("counts unknown circuits and malformed cells and leaves those cells untouched", () => {
    const t = table(rt, { capacity: 16, ports: 2 });
    t.add({ inPort: 0, vpi: 1, vci: 32, outPort: 1, outVpi: 1, outVci: 33 });
    const c = new Cells(rt, 4);
    c.set(0, header({ vpi: 1, vci: 33, pti: 0, clp: 0 }), 0); // unknown VCI
    c.set(1, header({ vpi: 1, vci: 32, pti: 0, clp: 0 }), 1); // known VC, wrong port
    c.set(2, header({ vpi: 1, vci: 32, pti: 0, clp: 0 }), 0, 0, 52); // short
    c.set(3, header({ vpi: 1, vci: 32, pti: 0, clp: 0 }), 2); // port out of range
    const before = [0, 1, 2, 3].map((i) => c.cell(i));
    expect(t.switchBatch(c.vec, 4)).toBe(0);
    expect([0, 1, 2, 3].map((i) => c.out(i))).toEqual([VC_UNKNOWN, VC_UNKNOWN, VC_MALFORMED, VC_MALFORMED]);
    expect([0, 1, 2, 3].map((i) => c.cell(i))).toEqual(before);
    expect(t.stats()).toMatchObject({ switched: 0, unknownVc: 2, malformed: 2 });
  });

  it("add, remove, clear and capacity", () => {
    const t = table(rt, { capacity: 3, ports: 2, format: "uni" });
    t.add({ inPort: 0, vpi: 255, vci: 65535, outPort: 1, outVpi: 0, outVci: 0 });
    t.add({ inPort: 0, vpi: 0, vci: 32, outPort: 1, outVpi: 0, outVci: 33 });
    expect(() => t.add({ inPort: 0, vpi: 0, vci: 32, outPort: 0, outVpi: 1, outVci: 1 })).toThrow(
      /VC 0\/0\/32 is already in the table/,
    );
    t.add({ inPort: 1, vpi: 0, outPort: 0, outVpi: 5 });
    expect(() => t.add({ inPort: 1, vpi: 1, vci: 40, outPort: 0, outVpi: 0, outVci: 40 })).toThrow(
      expect.objectContaining({ code: "TABLE_FULL" }),
    );
    expect(t.size).toBe(3);
    expect(t.remove(0, 0, 32)).toBe(true);
    expect(t.remove(0, 0, 32)).toBe(false);
    expect(t.remove(1, 0, 32)).toBe(false); // a VC key never removes the VP entry
    t.add({ inPort: 1, vpi: 1, vci: 40, outPort: 0, outVpi: 0, outVci: 40 });
    expect(t.lookup(0, 255, 65535)).toEqual({ outPort: 1, outVpi: 0, outVci: 0, vp: false });
    t.clear();
    expect(t.size).toBe(0);
    expect(t.lookup(0, 255, 65535)).toBeUndefined();
  });

  it("agrees with the reference on seeded random tables and cells (bytes, outs, counters)", () => {
    for (const seed of [1, 2, 3]) {
      const rnd = seededBytes(seed * 977, 1 << 16);
      let r = 0;
      const next = (): number => rnd[r++ & 0xffff]!;
      const next16 = (): number => (next() << 8) | next();
      const formats: CellFormat[] = Array.from({ length: 6 }, () => (next() & 1 ? "uni" : "nni"));
      const capacity = 300;
      const t = table(rt, { capacity, ports: formats });
      const ref = new ReferenceVcTable(capacity, formats);
      const vpiMax = (p: number): number => (formats[p] === "uni" ? 0xff : 0xfff);
      const circuits: [number, number, number][] = [];
      for (let i = 0; i < capacity - 20; i++) {
        const inPort = next() % 6;
        const outPort = next() % 6;
        // Few VPIs, so VP and VC entries share VPIs; about 1 in 8 entries is a VP entry.
        const vpi = (next() % 8) & vpiMax(inPort);
        const vci = next() % 8 === 0 ? undefined : 32 + (next16() % 64);
        const outVpi = next16() & vpiMax(outPort);
        const outVci = vci === undefined ? undefined : next16();
        const status = ref.add(inPort, vpi, vci, { outPort, outVpi, outVci });
        if (status === "duplicate") {
          expect(() => t.add({ inPort, vpi, vci, outPort, outVpi, outVci })).toThrow(/already/);
          continue;
        }
        t.add({ inPort, vpi, vci, outPort, outVpi, outVci });
        if (vci !== undefined) circuits.push([inPort, vpi, vci]);
      }
      // Remove some entries so backward-shift deletion is exercised.
      for (let i = 0; i < circuits.length; i += 5) {
        const [p, vpi, vci] = circuits[i]!;
        expect(t.remove(p, vpi, vci)).toBe(ref.remove(p, vpi, vci));
      }
      expect(t.size).toBe(ref.size);
      const c = new Cells(rt, 256);
      for (let round = 0; round < 8; round++) {
        const count = 1 + (next() % 256);
        for (let i = 0; i < count; i++) {
          const inPort = next() % 50 === 0 ? 6 : next() % 6;
          const [p, vpi, vci] =
            next() % 4 === 0 ? [inPort, next() % 8, 32 + (next16() % 64)] : circuits[next16() % circuits.length]!;
          const port = inPort === 6 ? 6 : p;
          const gfc = formats[port] === "uni" ? next() & 0xf : undefined;
          const head = header({ gfc, vpi, vci, pti: next() & 7, clp: next() & 1 });
          c.set(i, head, port, next() % 12, next() % 60 === 0 ? 53 + (next() % 3) - 1 : 53, next16() + 1);
        }
        const span = c.ptr(255, 64) - c.vec;
        const snapshot = rt.u8.slice(c.vec, c.vec + span);
        const switched = t.switchBatch(c.vec, count);
        const wasm = rt.u8.slice(c.vec, c.vec + span);
        rt.u8.set(snapshot, c.vec);
        expect(ref.switchBatch(rt.u8, c.vec, count)).toBe(switched);
        expect(Buffer.from(wasm).equals(Buffer.from(rt.u8.subarray(c.vec, c.vec + span)))).toBe(true);
      }
      expect(t.stats()).toEqual({ ...ref.counters, entries: ref.size, capacity });
    }
  });

  it("lookup agrees with the reference through random add/remove sequences (property)", () => {
    const op = fc.record({
      add: fc.boolean(),
      port: fc.nat(1),
      vpi: fc.nat(2),
      vci: fc.option(fc.nat(3), { nil: undefined }),
      outPort: fc.nat(1),
      outVpi: fc.nat(255),
      outVci: fc.nat(0xffff),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const formats: CellFormat[] = ["uni", "nni"];
        const t = VcTable.create({ capacity: 6, ports: formats, runtime: rt });
        try {
          const model = new ReferenceVcTable(6, formats);
          for (const o of ops) {
            if (o.add) {
              const outVci = o.vci === undefined ? undefined : o.outVci;
              const expected = model.add(o.port, o.vpi, o.vci, { outPort: o.outPort, outVpi: o.outVpi, outVci });
              let got = "ok";
              try {
                t.add({ inPort: o.port, vpi: o.vpi, vci: o.vci, outPort: o.outPort, outVpi: o.outVpi, outVci });
              } catch (e) {
                got = (e as NetloomError).code === "TABLE_FULL" ? "full" : "duplicate";
              }
              expect(got).toBe(expected);
            } else {
              expect(t.remove(o.port, o.vpi, o.vci)).toBe(model.remove(o.port, o.vpi, o.vci));
            }
            for (let port = 0; port < 2; port++)
              for (let vpi = 0; vpi < 3; vpi++)
                for (let vci = 0; vci < 5; vci++) {
                  const m = model.lookup(port, vpi, vci);
                  const want = m && {
                    outPort: m.outPort,
                    outVpi: m.outVpi,
                    outVci: m.outVci ?? vci,
                    vp: m.outVci === undefined,
                  };
                  expect(t.lookup(port, vpi, vci)).toEqual(want);
                }
          }
          expect(t.size).toBe(model.size);
        } finally {
          t.free();
        }
      }),
      { numRuns: build === "debug" ? 100 : 30, seed: 0x0a7 },
    );
  });
});

describe("ATM VC table API errors", () => {
  const rt = runtimeFor("debug");

  it("rejects bad options", () => {
    expect(() => VcTable.create({ capacity: 0, ports: 2, runtime: rt })).toThrow(/capacity/);
    expect(() => VcTable.create({ capacity: 2 ** 21, ports: 2, runtime: rt })).toThrow(/capacity/);
    expect(() => VcTable.create({ capacity: 8, ports: 0, runtime: rt })).toThrow(/ports/);
    expect(() => VcTable.create({ capacity: 8, ports: 4097, runtime: rt })).toThrow(/ports/);
    expect(() => VcTable.create({ capacity: 8, ports: [], runtime: rt })).toThrow(/ports/);
    expect(() => VcTable.create({ capacity: 8, ports: ["uni", "atm" as CellFormat], runtime: rt })).toThrow(
      /ports\[1\]/,
    );
    expect(() => VcTable.create({ capacity: 8, ports: 2, format: "x" as CellFormat, runtime: rt })).toThrow(/format/);
  });

  it("rejects VPI/VCI out of range for the port's format, bad ports and inconsistent routes", () => {
    const t = table(rt, { capacity: 8, ports: ["uni", "nni"] });
    const ok = { inPort: 0, vpi: 1, vci: 40, outPort: 1, outVpi: 1, outVci: 40 };
    expect(() => t.add({ ...ok, vpi: 256 })).toThrow(/vpi: 256 is not an integer in \[0, 255\]/);
    expect(() => t.add({ ...ok, inPort: 1, vpi: 4096 })).toThrow(/vpi/);
    t.add({ ...ok, inPort: 1, vpi: 4095 });
    expect(() => t.add({ ...ok, vci: 65536 })).toThrow(/vci/);
    expect(() => t.add({ ...ok, outVci: -1 })).toThrow(/outVci/);
    expect(() => t.add({ ...ok, outVci: undefined })).toThrow(/outVci/);
    expect(() => t.add({ inPort: 0, vpi: 1, outPort: 1, outVpi: 1, outVci: 5 })).toThrow(/VP entry/);
    expect(() => t.add({ ...ok, inPort: 2 })).toThrow(/inPort/);
    expect(() => t.add({ ...ok, outPort: 2 })).toThrow(/outPort/);
    expect(() => t.lookup(0, 256, 1)).toThrow(/vpi/);
    expect(() => t.remove(3, 1, 1)).toThrow(/inPort/);
    expect(() => t.switchBatch(rt.u8.byteLength, 1)).toThrow(/vecPtr/);
    expect(() => t.switchBatch(0, 0.5)).toThrow(/count/);
    let err: unknown;
    try {
      t.add({ ...ok, vpi: -1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NetloomError);
    expect((err as NetloomError).code).toBe("INVALID_ARGUMENT");
    expect(t.size).toBe(1);
  });

  it("refuses use after free", () => {
    const t = VcTable.create({ capacity: 8, ports: 2, runtime: rt });
    t.free();
    expect(() => t.lookup(0, 0, 0)).toThrow(expect.objectContaining({ code: "USE_AFTER_FREE" }));
  });
});
