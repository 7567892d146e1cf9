// Differential: the Wasm window kernels (every build) against the plain-TS reference on
// seeded random operation sequences, with small bounds so refusals happen, near the 2^32 wrap.

import { describe, expect, it } from "vitest";
import { WindowTable } from "../../src/kernels/window.js";
import { ReferenceWindowTable } from "../../src/kernels/reference/window.js";
import { ALL_BUILDS, runtimeFor } from "../support/runtimes.js";
import { prng } from "./window-support.js";

const CONNS = 3;
const BATCH = 16;

describe.each(ALL_BUILDS)("window kernels vs reference (%s build)", (build) => {
  it.each([1, 2, 3, 4, 5, 6])("agree on a random operation sequence (seed %i)", (seed) => {
    const rt = runtimeFor(build);
    const rnd = prng(seed * 7919);
    const pick = (n: number): number => rnd() % n;
    const maxRanges = 1 + pick(6);
    const ring = 1 + pick(10);
    const wasm = WindowTable.create({ connections: CONNS, maxRanges, inFlightCapacity: ring, runtime: rt });
    const ref = new ReferenceWindowTable({ connections: CONNS, maxRanges, inFlightCapacity: ring });
    const vec = rt.heap.alloc(BATCH * 16);
    const vw = vec >> 2;
    const bases: number[] = [];
    const open = (c: number): void => {
      const base = (0xffffffff - pick(3000)) >>> 0;
      bases[c] = base;
      const o = {
        receiveNext: base,
        receiveWindow: 200 + pick(3000),
        sendNext: (base + 17) >>> 0,
        sendWindow: 200 + pick(3000),
        minRto: pick(2) === 0 ? 1000 : 0,
        granularity: pick(50),
        maxRto: 1_000_000,
        initialRto: 5000,
      };
      wasm.open(c, o);
      ref.open(c, o);
    };
    for (let c = 0; c < CONNS; c++) open(c);
    let now = 0;
    try {
      for (let step = 0; step < 1500; step++) {
        const c = pick(CONNS);
        now += pick(500);
        const op = pick(100);
        if (op < 30) {
          const start = (wasm.ackPoint(c) + pick(400) - 50) >>> 0;
          const end = (start + 1 + pick(120)) >>> 0;
          expect(wasm.mark(c, start, end)).toBe(ref.mark(c, start, end));
          expect(wasm.lastMarkStatus(c)).toBe(ref.lastMarkStatus(c));
        } else if (op < 38) {
          const n = 1 + pick(BATCH);
          const words = new Uint32Array(n * 4);
          for (let k = 0; k < n; k++) {
            const cc = pick(CONNS + 1); // CONNS is a bad index
            const ack = cc < CONNS ? wasm.ackPoint(cc) : 0;
            words.set([(ack + pick(300) - 20) >>> 0, pick(50) === 0 ? 0 : 1 + pick(100), cc, 0], 4 * k);
          }
          rt.u32.set(words, vw);
          expect(wasm.markBatch(vec, n)).toBe(ref.markBatch(words, 0, n));
          expect(Array.from(rt.u32.subarray(vw, vw + 4 * n))).toEqual(Array.from(words));
        } else if (op < 42) {
          expect(wasm.holes(c)).toEqual(ref.holes(c));
          expect(wasm.highestReceived(c)).toBe(ref.highestReceived(c));
          const max = pick(maxRanges + 1);
          expect(wasm.sackBlocks(c, max)).toEqual(ref.sackBlocks(c, max));
          expect(wasm.sackBlocks(c, max, "sequence")).toEqual(ref.sackBlocks(c, max, "sequence"));
        } else if (op < 60) {
          // Mostly new data at snd.nxt, sometimes a retransmission or a wrong sequence.
          const inFlight = wasm.retransmitList(c);
          const r = pick(10);
          let seq = wasm.sendNext(c);
          let len = 1 + pick(200);
          if (r === 0) {
            const una = wasm.sendUnacked(c);
            seq = (una + pick(300)) >>> 0;
          } else if (r < 3 && inFlight.length > 0) {
            const g = inFlight[pick(inFlight.length)]!;
            seq = g[0];
            len = g[1];
          }
          expect(wasm.onSend(c, seq, len, now)).toBe(ref.onSend(c, seq, len, now));
        } else if (op < 75) {
          const una = wasm.sendUnacked(c);
          const span = wasm.bytesInFlight(c);
          const ack = (una + pick(span + 40) - 20) >>> 0;
          const win = pick(4) === 0 ? 100 + pick(3000) : undefined;
          expect(wasm.onAck(c, ack, now, win)).toBe(ref.onAck(c, ack, now, win));
        } else if (op < 80) {
          const n = 1 + pick(BATCH);
          const words = new Uint32Array(n * 4);
          for (let k = 0; k < n; k++) {
            const cc = pick(CONNS + 1);
            const una = cc < CONNS ? wasm.sendUnacked(cc) : 0;
            const span = cc < CONNS ? wasm.bytesInFlight(cc) : 0;
            words.set([(una + pick(span + 10)) >>> 0, pick(2) === 0 ? 0xffffffff : pick(4000), cc, 0], 4 * k);
          }
          rt.u32.set(words, vw);
          expect(wasm.ackBatch(vec, n, now)).toBe(ref.ackBatch(words, 0, n, now));
          expect(Array.from(rt.u32.subarray(vw, vw + 4 * n))).toEqual(Array.from(words));
        } else if (op < 84) {
          const n = 1 + pick(BATCH);
          const words = new Uint32Array(n * 4);
          const nexts = [0, 1, 2].map((cc) => wasm.sendNext(cc));
          for (let k = 0; k < n; k++) {
            const cc = pick(CONNS + 1);
            const len = 1 + pick(100);
            const seq = cc < CONNS ? nexts[cc]! : 0;
            if (cc < CONNS && pick(5) !== 0) nexts[cc] = (seq + len) >>> 0;
            words.set([seq, len, cc, 0], 4 * k);
          }
          rt.u32.set(words, vw);
          expect(wasm.sendBatch(vec, n, now)).toBe(ref.sendBatch(words, 0, n, now));
          expect(Array.from(rt.u32.subarray(vw, vw + 4 * n))).toEqual(Array.from(words));
        } else if (op < 90) {
          const start = (wasm.sendUnacked(c) + pick(wasm.bytesInFlight(c) + 10)) >>> 0;
          const end = (start + 1 + pick(400)) >>> 0;
          expect(wasm.onSack(c, start, end)).toBe(ref.onSack(c, start, end));
        } else if (op < 93) {
          expect(wasm.retransmitList(c)).toEqual(ref.retransmitList(c));
        } else if (op < 96) {
          expect(wasm.onTimeout(c)).toBe(ref.onTimeout(c));
        } else if (op < 98) {
          const r = pick(20000);
          expect(wasm.rttSample(c, r)).toBe(ref.rttSample(c, r));
        } else if (op < 99) {
          const w = pick(3000);
          wasm.setReceiveWindow(c, w);
          ref.setReceiveWindow(c, w);
        } else {
          open(c);
        }
        expect(wasm.ackPoint(c)).toBe(ref.ackPoint(c));
        expect(wasm.bytesInFlight(c)).toBe(ref.bytesInFlight(c));
      }
      for (let c = 0; c < CONNS; c++) {
        expect(wasm.stats(c)).toEqual(ref.stats(c));
        expect(wasm.rttState(c)).toEqual(ref.rttState(c));
        expect(wasm.holes(c)).toEqual(ref.holes(c));
        expect(wasm.sendWindow(c)).toBe(ref.sendWindow(c));
        expect(wasm.sendNext(c)).toBe(ref.sendNext(c));
      }
      expect(wasm.badIndexCount()).toBe(ref.badIndexCount());
      // The sequences must reach the interesting paths, or this test proves little.
      const all = [0, 1, 2].map((c) => wasm.stats(c));
      const sum = (k: "refused" | "ringFull" | "rttSamples"): number => all.reduce((a, st) => a + st[k], 0);
      const total = { refused: sum("refused"), ringFull: sum("ringFull"), rttSamples: sum("rttSamples") };
      expect(total.refused + total.ringFull).toBeGreaterThan(0);
      expect(total.rttSamples).toBeGreaterThan(0);
    } finally {
      rt.heap.free(vec);
      wasm.free();
    }
  });
});
