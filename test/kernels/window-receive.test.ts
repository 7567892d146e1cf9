import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MarkStatus, WindowTable } from "../../src/kernels/window.js";
import { ErrorCode, NetloomError } from "../../src/base/errors.js";
import { runtimeFor } from "../support/runtimes.js";
import { IMPLEMENTATIONS, openDefault } from "./window-support.js";

const W = 0xfffffff0;

describe.each(IMPLEMENTATIONS)("receive window (%s)", (_name, make) => {
  it("advances the cumulative ack on in-order segments", () => {
    const { ops, free } = make({ connections: 2 });
    openDefault(ops, 1);
    expect(ops.mark(1, 1000, 1100)).toBe(1100);
    expect(ops.lastMarkStatus(1)).toBe(MarkStatus.NEW);
    expect(ops.mark(1, 1100, 1500)).toBe(1500);
    expect(ops.holes(1)).toEqual([]);
    expect(ops.highestReceived(1)).toBe(1500);
    expect(ops.stats(1).bytesAccepted).toBe(500);
    free();
  });

  it("records out-of-order ranges, lists holes, and absorbs them when the gap fills", () => {
    const { ops, free } = make({ connections: 1 });
    openDefault(ops, 0);
    expect(ops.mark(0, 1200, 1300)).toBe(1000);
    expect(ops.mark(0, 1400, 1500)).toBe(1000);
    expect(ops.holes(0)).toEqual([
      [1000, 1200],
      [1300, 1400],
    ]);
    expect(ops.highestReceived(0)).toBe(1500);
    expect(ops.mark(0, 1000, 1200)).toBe(1300);
    expect(ops.holes(0)).toEqual([[1300, 1400]]);
    // One segment that overlaps the ack point and spans the next hole and range.
    expect(ops.mark(0, 1250, 1450)).toBe(1500);
    expect(ops.holes(0)).toEqual([]);
    expect(ops.stats(0)).toMatchObject({ ranges: 0, bytesAccepted: 500, duplicates: 0 });
    free();
  });

  it("works across the 2^32 wrap", () => {
    const { ops, free } = make({ connections: 1 });
    openDefault(ops, 0, { receiveNext: W });
    expect(ops.mark(0, 0x10, 0x20)).toBe(W);
    expect(ops.holes(0)).toEqual([[W, 0x10]]);
    expect(ops.highestReceived(0)).toBe(0x20);
    expect(ops.mark(0, 0xfffffff8, 0x8)).toBe(W);
    expect(ops.holes(0)).toEqual([
      [W, 0xfffffff8],
      [0x8, 0x10],
    ]);
    expect(ops.mark(0, W, 0xfffffff8)).toBe(0x8);
    expect(ops.mark(0, 0x8, 0x10)).toBe(0x20);
    expect(ops.holes(0)).toEqual([]);
    expect(ops.stats(0).bytesAccepted).toBe(0x30);
    free();
  });

  it("merges adjacent and overlapping ranges", () => {
    const { ops, free } = make({ connections: 1 });
    openDefault(ops, 0);
    ops.mark(0, 1010, 1020);
    ops.mark(0, 1020, 1030);
    expect(ops.sackBlocks(0, 4, "sequence")).toEqual([[1010, 1030]]);
    ops.mark(0, 1040, 1050);
    ops.mark(0, 1060, 1070);
    ops.mark(0, 1025, 1065);
    expect(ops.sackBlocks(0, 4, "sequence")).toEqual([[1010, 1070]]);
    expect(ops.stats(0).bytesAccepted).toBe(60);
    free();
  });

  it("counts duplicates below the ack point and inside a received range", () => {
    const { ops, free } = make({ connections: 1 });
    openDefault(ops, 0);
    ops.mark(0, 1000, 1100);
    expect(ops.mark(0, 900, 1000)).toBe(1100);
    expect(ops.lastMarkStatus(0)).toBe(MarkStatus.DUPLICATE);
    ops.mark(0, 1200, 1300);
    ops.mark(0, 1220, 1280);
    expect(ops.lastMarkStatus(0)).toBe(MarkStatus.DUPLICATE);
    expect(ops.mark(0, 1050, 1150)).toBe(1150);
    expect(ops.lastMarkStatus(0)).toBe(MarkStatus.NEW);
    expect(ops.stats(0).duplicates).toBe(2);
    free();
  });

  it("clips at the window edge and drops what lies beyond", () => {
    const { ops, free } = make({ connections: 1 });
    openDefault(ops, 0, { receiveWindow: 100 });
    ops.mark(0, 1100, 1110);
    expect(ops.lastMarkStatus(0)).toBe(MarkStatus.BEYOND);
    ops.mark(0, 1090, 1120);
    expect(ops.lastMarkStatus(0)).toBe(MarkStatus.CLIPPED);
    expect(ops.sackBlocks(0, 4, "sequence")).toEqual([[1090, 1100]]);
    expect(ops.mark(0, 1000, 1090)).toBe(1100);
    expect(ops.stats(0)).toMatchObject({ outsideWindow: 2, bytesAccepted: 100 });
    // The window slides with the ack point.
    expect(ops.mark(0, 1150, 1200)).toBe(1100);
    expect(ops.lastMarkStatus(0)).toBe(MarkStatus.NEW);
    free();
  });

  it("refuses and counts a range that needs a slot when the range set is full", () => {
    const { ops, free } = make({ connections: 1, maxRanges: 2 });
    openDefault(ops, 0);
    ops.mark(0, 1010, 1020);
    ops.mark(0, 1030, 1040);
    expect(ops.mark(0, 1050, 1060)).toBe(1000);
    expect(ops.lastMarkStatus(0)).toBe(MarkStatus.REFUSED);
    expect(ops.holes(0)).toEqual([
      [1000, 1010],
      [1020, 1030],
    ]);
    // Extending an existing range needs no slot.
    ops.mark(0, 1040, 1050);
    expect(ops.lastMarkStatus(0)).toBe(MarkStatus.NEW);
    // Filling at the ack point frees slots.
    expect(ops.mark(0, 1000, 1010)).toBe(1020);
    ops.mark(0, 1070, 1080);
    expect(ops.lastMarkStatus(0)).toBe(MarkStatus.NEW);
    expect(ops.stats(0).refused).toBe(1);
    free();
  });

  it("orders SACK blocks most recent first (RFC 2018) or by sequence", () => {
    const { ops, free } = make({ connections: 1 });
    openDefault(ops, 0);
    ops.mark(0, 1300, 1310);
    ops.mark(0, 1100, 1110);
    ops.mark(0, 1500, 1510);
    expect(ops.sackBlocks(0, 3)).toEqual([
      [1500, 1510],
      [1100, 1110],
      [1300, 1310],
    ]);
    ops.mark(0, 1310, 1320);
    expect(ops.sackBlocks(0, 2)).toEqual([
      [1300, 1320],
      [1500, 1510],
    ]);
    expect(ops.sackBlocks(0, 3, "sequence")).toEqual([
      [1100, 1110],
      [1300, 1320],
      [1500, 1510],
    ]);
    expect(ops.sackBlocks(0, 0)).toEqual([]);
    free();
  });

  it("rejects bad arguments with named errors", () => {
    const { ops, free } = make({ connections: 2 });
    openDefault(ops, 0);
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(NetloomError);
        return (e as NetloomError).message;
      }
      return undefined;
    };
    expect(code(() => ops.mark(0, 1000, 1000))).toMatch(/range: .*length 0/);
    expect(code(() => ops.mark(0, 0, 0x80000000))).toMatch(/range: .*length 2147483648/);
    expect(code(() => ops.mark(2, 0, 1))).toMatch(/conn: 2 is not a connection index/);
    expect(code(() => ops.mark(1, 0, 1))).toMatch(/conn: connection 1 is not open/);
    expect(code(() => ops.mark(0, -1, 1))).toMatch(/range.start/);
    expect(code(() => openDefault(ops, 1, { receiveWindow: 2 ** 31 }))).toMatch(/receiveWindow: .*not a window size/);
    expect(code(() => ops.setReceiveWindow(0, -5))).toMatch(/window/);
    expect(code(() => ops.sackBlocks(0, 33))).toMatch(/max/);
    free();
  });
});

describe("receive window (wasm only)", () => {
  const rt = runtimeFor("debug");

  it("batch mark writes each entry's ack and counts losses and bad indices", () => {
    const t = WindowTable.create({ connections: 2, maxRanges: 1, runtime: rt });
    t.open(0, { receiveNext: W, receiveWindow: 1000, sendNext: 0, sendWindow: 0 });
    t.open(1, { receiveNext: 0, receiveWindow: 1000, sendNext: 0, sendWindow: 0 });
    const vec = rt.heap.alloc(16 * 6);
    const entries = [
      [W, 0x20, 0], // in order across the wrap -> ack 0x10
      [0x20, 0x10, 0], // out of order
      [0x40, 0x10, 0], // refused: one range only
      [0, 100, 1],
      [0, 10, 7], // bad index
      [2000, 10, 1], // beyond the window
    ];
    entries.forEach(([p, l, a], i) => rt.u32.set([p!, l!, a!, 0xdeadbeef], (vec >> 2) + 4 * i));
    expect(t.markBatch(vec, entries.length)).toBe(3);
    const outs = entries.map((_, i) => rt.u32[(vec >> 2) + 4 * i + 3]);
    expect(outs).toEqual([0x10, 0x10, 0x10, 100, 0xdeadbeef, 100]);
    expect(t.badIndexCount()).toBe(1);
    expect(t.stats(0).refused).toBe(1);
    expect(t.stats(1).outsideWindow).toBe(1);
    expect(() => t.markBatch(vec + 2, 1)).toThrow(/vec: .*aligned/);
    expect(() => t.markBatch(rt.u8.byteLength - 8, 1)).toThrow(NetloomError);
    rt.heap.free(vec);
    t.free();
  });

  it("counts an invalid length inside a batch instead of throwing", () => {
    const t = WindowTable.create({ connections: 1, runtime: rt });
    t.open(0, { receiveNext: 0, receiveWindow: 1000, sendNext: 0, sendWindow: 0 });
    const vec = rt.heap.alloc(32);
    rt.u32.set([5, 0, 0, 0, 5, 0x80000000, 0, 0], vec >> 2);
    expect(t.markBatch(vec, 2)).toBe(2);
    expect(t.stats(0).invalid).toBe(2);
    expect(t.ackPoint(0)).toBe(0);
    rt.heap.free(vec);
    t.free();
  });

  it("validates table options and refuses use after free", () => {
    expect(() => WindowTable.create({ connections: 0, runtime: rt })).toThrow(/connections/);
    expect(() => WindowTable.create({ connections: 1, maxRanges: 0, runtime: rt })).toThrow(/maxRanges/);
    expect(() => WindowTable.create({ connections: 1, inFlightCapacity: 1e6, runtime: rt })).toThrow(
      /inFlightCapacity/,
    );
    const t = WindowTable.create({ connections: 1, runtime: rt });
    t.open(0, { receiveNext: 0, receiveWindow: 10, sendNext: 0, sendWindow: 10 });
    t.reset(0);
    expect(() => t.ackPoint(0)).toThrow(/not open/);
    t.free();
    try {
      t.mark(0, 0, 1);
      expect.unreachable();
    } catch (e) {
      expect((e as NetloomError).code).toBe(ErrorCode.USE_AFTER_FREE);
    }
    expect(() => t.free()).toThrow(NetloomError);
  });
});

// Property: the receive window agrees with a plain set of received sequence numbers.
describe.each(IMPLEMENTATIONS)("receive window vs a set model (%s)", (_name, make) => {
  it("ack point = smallest missing, holes = missing below the highest received, across the wrap", () => {
    const markArb = fc.record({ off: fc.integer({ min: -40, max: 700 }), len: fc.integer({ min: 1, max: 80 }) });
    fc.assert(
      fc.property(
        fc.integer({ min: 0xfffffe00, max: 0xffffffff }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 50, max: 800 }),
        fc.array(markArb, { maxLength: 60 }),
        (initial, maxRanges, window, marks) => {
          const { ops, free } = make({ connections: 1, maxRanges });
          try {
            ops.open(0, { receiveNext: initial, receiveWindow: window, sendNext: 0, sendWindow: 0 });
            // Model over unwrapped positions (offsets from `initial`).
            const got = new Set<number>();
            let ack = 0;
            const rangesAbove = (set: Set<number>, a: number): Array<[number, number]> => {
              const sorted = [...set].filter((x) => x >= a).sort((x, y) => x - y);
              const out: Array<[number, number]> = [];
              for (const x of sorted) {
                const last = out[out.length - 1];
                if (last !== undefined && last[1] === x) last[1] = x + 1;
                else out.push([x, x + 1]);
              }
              return out;
            };
            for (const m of marks) {
              const lo = Math.max(m.off, ack);
              const hi = Math.min(m.off + m.len, ack + window);
              const fresh: number[] = [];
              for (let x = lo; x < hi; x++) if (!got.has(x)) fresh.push(x);
              const next = new Set([...got, ...fresh]);
              let nextAck = ack;
              while (next.has(nextAck)) nextAck++;
              if (rangesAbove(next, nextAck).length <= maxRanges) {
                for (const x of fresh) got.add(x);
                ack = nextAck;
              }
              const start = (initial + m.off) >>> 0;
              expect(ops.mark(0, start, (start + m.len) >>> 0)).toBe((initial + ack) >>> 0);
              const ranges = rangesAbove(got, ack);
              const abs = (x: number): number => (initial + x) >>> 0;
              const holes: Array<[number, number]> = [];
              let prev = ack;
              for (const [s, e] of ranges) {
                holes.push([abs(prev), abs(s)]);
                prev = e;
              }
              expect(ops.holes(0)).toEqual(holes);
              expect(ops.sackBlocks(0, maxRanges, "sequence")).toEqual(ranges.map(([s, e]) => [abs(s), abs(e)]));
              expect(ops.highestReceived(0)).toBe(abs(ranges.length > 0 ? ranges[ranges.length - 1]![1] : ack));
            }
          } finally {
            free();
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
