import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { SendStatus, WindowTable } from "../../src/kernels/window.js";
import { NetloomError } from "../../src/base/errors.js";
import { runtimeFor } from "../support/runtimes.js";
import { IMPLEMENTATIONS, openDefault } from "./window-support.js";

const MS = 1_000_000;
const S = 1_000_000_000;

describe.each(IMPLEMENTATIONS)("send window (%s)", (_name, make) => {
  it("tracks in-flight segments and returns bytes newly acked", () => {
    const { ops, free } = make({ connections: 1 });
    openDefault(ops, 0);
    expect(ops.onSend(0, 5000, 100, 0)).toBe(SendStatus.NEW);
    expect(ops.onSend(0, 5100, 100, 0)).toBe(SendStatus.NEW);
    expect(ops.onSend(0, 5200, 100, 0)).toBe(SendStatus.NEW);
    expect(ops.bytesInFlight(0)).toBe(300);
    expect(ops.onAck(0, 5100, 10 * MS)).toBe(100);
    expect(ops.onAck(0, 5100, 11 * MS)).toBe(0); // duplicate ack
    expect(ops.onAck(0, 4000, 11 * MS)).toBe(0); // stale (below snd.una)
    expect(ops.onAck(0, 5400, 11 * MS)).toBe(0); // beyond snd.nxt
    expect(ops.onAck(0, 5250, 12 * MS)).toBe(150); // trims the third segment
    expect(ops.bytesInFlight(0)).toBe(50);
    expect(ops.stats(0)).toMatchObject({ duplicateAcks: 1, staleAcks: 2, segmentsInFlight: 1 });
    expect(ops.onAck(0, 5300, 13 * MS, 1234)).toBe(50);
    expect(ops.sendWindow(0)).toBe(1234);
    expect(ops.stats(0).segmentsInFlight).toBe(0);
    free();
  });

  it("works across the 2^32 wrap", () => {
    const { ops, free } = make({ connections: 1 });
    openDefault(ops, 0, { sendNext: 0xffffff00 });
    expect(ops.onSend(0, 0xffffff00, 0x80, 0)).toBe(SendStatus.NEW);
    expect(ops.onSend(0, 0xffffff80, 0x100, 0)).toBe(SendStatus.NEW);
    expect(ops.sendNext(0)).toBe(0x80);
    expect(ops.onSack(0, 0xffffff80, 0x80)).toBe(0x100);
    expect(ops.retransmitList(0)).toEqual([[0xffffff00, 0x80]]);
    expect(ops.onAck(0, 0x80, 1000)).toBe(0x180);
    expect(ops.bytesInFlight(0)).toBe(0);
    expect(ops.stats(0).sackedBytes).toBe(0);
    free();
  });

  it("refuses sends beyond the window or the ring, and unknown retransmissions", () => {
    const { ops, free } = make({ connections: 1, inFlightCapacity: 2 });
    openDefault(ops, 0, { sendWindow: 250 });
    expect(ops.onSend(0, 5000, 100, 0)).toBe(SendStatus.NEW);
    expect(ops.onSend(0, 5100, 200, 0)).toBe(SendStatus.WINDOW_FULL);
    expect(ops.onSend(0, 5100, 100, 0)).toBe(SendStatus.NEW);
    ops.setSendWindow(0, 10_000);
    expect(ops.onSend(0, 5200, 100, 0)).toBe(SendStatus.RING_FULL);
    expect(ops.onSend(0, 5050, 50, 0)).toBe(SendStatus.BAD_SEQ);
    expect(ops.onSend(0, 5100, 50, 0)).toBe(SendStatus.BAD_SEQ);
    expect(ops.onSend(0, 5100, 100, 7)).toBe(SendStatus.RETRANSMIT);
    expect(ops.stats(0)).toMatchObject({ windowRefused: 1, ringFull: 1, badSequence: 2, retransmits: 1 });
    expect(ops.bytesInFlight(0)).toBe(200);
    free();
  });

  it("lists un-SACKed segments below the highest SACK, or all after a timeout", () => {
    const { ops, free } = make({ connections: 1 });
    openDefault(ops, 0, { sendNext: 0 });
    for (let i = 0; i < 6; i++) ops.onSend(0, i * 100, 100, 0);
    expect(ops.retransmitList(0)).toEqual([]);
    expect(ops.onSack(0, 200, 300)).toBe(100);
    expect(ops.onSack(0, 350, 500)).toBe(100); // only [400, 500) lies wholly inside
    expect(ops.onSack(0, 200, 300)).toBe(0);
    expect(ops.retransmitList(0)).toEqual([
      [0, 100],
      [100, 100],
      [300, 100],
    ]);
    expect(ops.retransmitList(0, 2)).toEqual([
      [0, 100],
      [100, 100],
    ]);
    ops.onTimeout(0);
    expect(ops.retransmitList(0)).toEqual([
      [0, 100],
      [100, 100],
      [300, 100],
      [500, 100],
    ]);
    expect(ops.onAck(0, 100, 10)).toBe(100);
    expect(ops.retransmitList(0)).toEqual([
      [100, 100],
      [300, 100],
    ]);
    expect(ops.stats(0).sackedBytes).toBe(200);
    free();
  });

  it("takes RTT samples only from segments never retransmitted (Karn)", () => {
    const { ops, free } = make({ connections: 1 });
    openDefault(ops, 0, { sendNext: 0, minRto: 0, granularity: 1 });
    ops.onSend(0, 0, 100, 0);
    ops.onSend(0, 0, 100, 1000 * MS); // retransmission
    ops.onAck(0, 100, 1500 * MS);
    expect(ops.rttState(0)).toMatchObject({ hasSample: false, rto: S });
    expect(ops.stats(0).rttSamples).toBe(0);
    ops.onSend(0, 100, 100, 2000 * MS);
    ops.onAck(0, 200, 2300 * MS);
    expect(ops.rttState(0)).toMatchObject({ hasSample: true, srtt8: 8 * 300 * MS, rttvar4: 2 * 300 * MS });
    // One ack covering a retransmitted segment and a later fresh one samples the later one.
    ops.onSend(0, 200, 100, 3000 * MS);
    ops.onSend(0, 300, 100, 3100 * MS);
    ops.onSend(0, 200, 100, 3500 * MS);
    ops.onAck(0, 400, 3400 * MS + 300 * MS);
    expect(ops.stats(0).rttSamples).toBe(2);
    // ... but an ack whose highest segment was retransmitted gives none.
    ops.onSend(0, 400, 100, 4000 * MS);
    ops.onSend(0, 500, 100, 4000 * MS);
    ops.onSend(0, 500, 100, 4500 * MS);
    ops.onAck(0, 600, 4700 * MS);
    expect(ops.stats(0).rttSamples).toBe(2);
    free();
  });

  it("computes RFC 6298 SRTT, RTTVAR and RTO in scaled integers", () => {
    const { ops, free } = make({ connections: 1 });
    openDefault(ops, 0, { minRto: 0, granularity: 10, maxRto: 10 ** 12, initialRto: 1000 });
    expect(ops.rto(0)).toBe(1000);
    // R=100: SRTT=100, RTTVAR=50, RTO = 100 + 4*50 = 300.
    expect(ops.rttSample(0, 100)).toBe(300);
    expect(ops.rttState(0)).toMatchObject({ srtt8: 800, rttvar4: 200 });
    // R=200: RTTVAR = 3/4*50 + 1/4*100 = 62.5, SRTT = 112.5, RTO = 112 + 250 = 362.
    expect(ops.rttSample(0, 200)).toBe(362);
    expect(ops.rttState(0)).toMatchObject({ srtt8: 900, rttvar4: 250 });
    // R=50: |SRTT - R| = 112 - 50 = 62: RTTVAR4 = 250 - 62 + 62 = 250; SRTT8 = 900 - 112 + 50 = 838.
    expect(ops.rttSample(0, 50)).toBe(104 + 250);
    expect(ops.rttState(0)).toMatchObject({ srtt8: 838, rttvar4: 250 });
    free();
  });

  it("uses G when it exceeds 4 RTTVAR, clamps to the 1 s minimum, and backs off to the maximum", () => {
    const { ops, free } = make({ connections: 2 });
    openDefault(ops, 0, { minRto: 0, granularity: 1000 });
    expect(ops.rttSample(0, 100)).toBe(100 + 1000);
    openDefault(ops, 1);
    expect(ops.rto(1)).toBe(S); // RFC 6298 2.1 initial value
    expect(ops.rttSample(1, 100 * MS)).toBe(S); // 100 + 4*50 ms = 300 ms, clamped up to 1 s
    expect(ops.rttSample(1, 2 * S)).toBeGreaterThan(S);
    openDefault(ops, 1);
    expect(ops.rttSample(1, 2 * S)).toBe(6 * S); // 2 + 4*1
    expect([1, 2, 3, 4, 5].map(() => ops.onTimeout(1))).toEqual([12 * S, 24 * S, 48 * S, 60 * S, 60 * S]);
    expect(ops.rttState(1)).toMatchObject({ backoff: 5 });
    expect(ops.stats(1).timeouts).toBe(5);
    // A new sample ends the backoff.
    expect(ops.rttSample(1, 2 * S)).toBe(2 * S + 3 * S);
    expect(ops.rttState(1).backoff).toBe(0);
    free();
  });

  it("rejects bad arguments with named errors", () => {
    const { ops, free } = make({ connections: 1 });
    openDefault(ops, 0);
    expect(() => ops.onSend(0, 5000, 0, 0)).toThrow(/length: 0 is not a segment length/);
    expect(() => ops.onSend(0, 5000, 2 ** 31, 0)).toThrow(/length/);
    expect(() => ops.onSend(0, 5000, 10, -1)).toThrow(/now/);
    expect(() => ops.onAck(0, 2 ** 32, 0)).toThrow(/ack/);
    expect(() => ops.onAck(0, 5000, 0, 2 ** 31)).toThrow(/window/);
    expect(() => ops.onSack(0, 10, 10)).toThrow(/block: /);
    expect(() => ops.rttSample(0, 1.5)).toThrow(/sample/);
    expect(() => openDefault(ops, 0, { minRto: 5, initialRto: 1 })).toThrow(/initialRto/);
    expect(() => openDefault(ops, 0, { minRto: 5, maxRto: 4 })).toThrow(/maxRto/);
    expect(() => ops.onTimeout(3)).toThrow(NetloomError);
    free();
  });
});

describe("send window (wasm only)", () => {
  const rt = runtimeFor("debug");

  it("batch send and ack write per-entry results and count refusals", () => {
    const t = WindowTable.create({ connections: 2, inFlightCapacity: 2, runtime: rt });
    t.open(0, { receiveNext: 0, receiveWindow: 0, sendNext: 0xfffffff0, sendWindow: 1000 });
    t.open(1, { receiveNext: 0, receiveWindow: 0, sendNext: 0, sendWindow: 1000 });
    const vec = rt.heap.alloc(16 * 5);
    const w = vec >> 2;
    const sends = [
      [0xfffffff0, 0x20, 0],
      [0x10, 0x20, 0],
      [0x30, 0x20, 0], // ring full
      [0, 10, 1],
      [0, 10, 9], // bad index
    ];
    sends.forEach((e, i) => rt.u32.set([...e, 0xdeadbeef], w + 4 * i));
    expect(t.sendBatch(vec, 5, 1000)).toBe(2);
    expect(sends.map((_, i) => rt.u32[w + 4 * i + 3])).toEqual([0, 0, SendStatus.RING_FULL, 0, SendStatus.INVALID]);
    const acks = [
      [0x10, 0xffffffff, 0],
      [0x30, 500, 0],
      [0x20, 0xffffffff, 1], // beyond snd.nxt: stale
      [10, 0xffffffff, 1],
      [10, 0xffffffff, 42], // bad index
    ];
    acks.forEach((e, i) => rt.u32.set([...e, 0xdeadbeef], w + 4 * i));
    expect(t.ackBatch(vec, 5, 2000)).toBe(2);
    expect(acks.map((_, i) => rt.u32[w + 4 * i + 3])).toEqual([0x20, 0x20, 0, 10, 0]);
    expect(t.sendWindow(0)).toBe(500);
    expect(t.stats(0).rttSamples).toBe(2);
    expect(t.badIndexCount()).toBe(2);
    rt.heap.free(vec);
    t.free();
  });
});

// Property: bytes in flight, segment count and SACKed bytes agree with a simple model.
describe.each(IMPLEMENTATIONS)("send window vs a model (%s)", (_name, make) => {
  it("bytes in flight = snd.nxt - snd.una, across the wrap", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("send" as const), len: fc.integer({ min: 1, max: 300 }) }),
      fc.record({ kind: fc.constant("ack" as const), off: fc.integer({ min: -50, max: 1200 }) }),
      fc.record({
        kind: fc.constant("sack" as const),
        off: fc.integer({ min: 0, max: 1200 }),
        len: fc.integer({ min: 1, max: 400 }),
      }),
      fc.record({ kind: fc.constant("timeout" as const) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0xfffff800, max: 0xffffffff }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(op, { maxLength: 50 }),
        (iss, cap, list) => {
          const { ops, free } = make({ connections: 1, inFlightCapacity: cap });
          try {
            ops.open(0, { receiveNext: 0, receiveWindow: 0, sendNext: iss, sendWindow: 1000 });
            let una = 0;
            let nxt = 0;
            let segs: Array<{ s: number; e: number; sacked: boolean }> = [];
            let t = 0;
            for (const o of list) {
              t += 1000;
              if (o.kind === "send") {
                const ok = nxt - una + o.len <= 1000 && segs.length < cap;
                expect(ops.onSend(0, (iss + nxt) >>> 0, o.len, t) <= SendStatus.RETRANSMIT).toBe(ok);
                if (ok) {
                  segs.push({ s: nxt, e: nxt + o.len, sacked: false });
                  nxt += o.len;
                }
              } else if (o.kind === "ack") {
                const valid = o.off >= una && o.off <= nxt;
                expect(ops.onAck(0, (iss + o.off) >>> 0, t)).toBe(valid ? o.off - una : 0);
                if (valid && o.off > una) {
                  una = o.off;
                  segs = segs.filter((g) => g.e > una).map((g) => (g.s < una ? { ...g, s: una } : g));
                }
              } else if (o.kind === "sack") {
                let fresh = 0;
                for (const g of segs) {
                  if (!g.sacked && g.s >= o.off && g.e <= o.off + o.len) {
                    g.sacked = true;
                    fresh += g.e - g.s;
                  }
                }
                expect(ops.onSack(0, (iss + o.off) >>> 0, (iss + o.off + o.len) >>> 0)).toBe(fresh);
              } else {
                ops.onTimeout(0);
                expect(ops.retransmitList(0).map(([s, l]) => [s, l])).toEqual(
                  segs.filter((g) => !g.sacked).map((g) => [(iss + g.s) >>> 0, g.e - g.s]),
                );
              }
              expect(ops.bytesInFlight(0)).toBe(nxt - una);
              expect(ops.sendUnacked(0)).toBe((iss + una) >>> 0);
              const st = ops.stats(0);
              expect(st.segmentsInFlight).toBe(segs.length);
              expect(st.sackedBytes).toBe(segs.filter((g) => g.sacked).reduce((a, g) => a + g.e - g.s, 0));
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
