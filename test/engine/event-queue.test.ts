import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { EventQueue, NO_SLOT } from "../../src/engine/event-queue.js";
import { NetloomError } from "../../src/base/errors.js";

interface Ev {
  time: number;
  origin: number;
  seq: number;
  target: number;
}

const byKey = (x: Ev, y: Ev): number => x.time - y.time || x.origin - y.origin || x.seq - y.seq;

function pushEv(q: EventQueue, e: Ev): number {
  return q.push(e.time, e.origin, e.seq, e.target, 7, -1, 2, 0.5);
}

function drain(q: EventQueue): Ev[] {
  const out: Ev[] = [];
  for (let s = q.pop(); s !== NO_SLOT; s = q.pop()) {
    out.push({ time: q.time[s]!, origin: q.originDevice[s]!, seq: q.originSeq[s]!, target: q.target[s]! });
    q.release(s);
  }
  return out;
}

// Unique keys: (origin, seq) pairs are distinct, times drawn from a small range to force ties.
const uniqueEvents = fc
  .uniqueArray(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 2 ** 40 })), {
    selector: ([o, s]) => `${o}:${s}`,
    maxLength: 300,
  })
  .chain((keys) =>
    fc.tuple(
      fc.constant(keys),
      fc.array(fc.integer({ min: 0, max: 5 }), { minLength: keys.length, maxLength: keys.length }),
    ),
  )
  .map(([keys, times]) => keys.map(([origin, seq], i): Ev => ({ time: times[i]! * 1000, origin, seq, target: i })));

describe("EventQueue", () => {
  it("pops in (time, origin, seq) order and exposes the payload", () => {
    const q = new EventQueue(8);
    q.push(30, 1, 0, 10, 1, 11, 12, 1.5);
    q.push(10, 2, 5, 20, 2, 21, 22, 2.5);
    q.push(10, 1, 9, 30, 3, 31, 32, 3.5);
    q.push(10, 1, 8, 40, 4, 41, 42, 4.5);
    expect(q.size).toBe(4);
    expect(q.peekTime()).toBe(10);
    const s = q.pop();
    expect([q.time[s], q.originDevice[s], q.originSeq[s], q.target[s], q.kind[s], q.a[s], q.b[s], q.c[s]]).toEqual([
      10, 1, 8, 40, 4, 41, 42, 4.5,
    ]);
    q.release(s);
    expect(drain(q).map((e) => e.target)).toEqual([30, 20, 10]);
    expect(q.size).toBe(0);
    expect(q.peekTime()).toBe(Infinity);
    expect(q.pop()).toBe(NO_SLOT);
    expect(q.peekSlot()).toBe(NO_SLOT);
  });

  it("keeps time and seq exact beyond 2^32 (up to 2^53)", () => {
    const q = new EventQueue(4);
    const big = 2 ** 53 - 1;
    q.push(big, 0, 2 ** 40 + 1, 1, 0, 0, 0, 0);
    q.push(big, 0, 2 ** 40, 2, 0, 0, 0, 0);
    q.push(big - 1, 0, 5, 3, 0, 0, 0, 0);
    expect(drain(q).map((e) => [e.target, e.time, e.seq])).toEqual([
      [3, big - 1, 5],
      [2, big, 2 ** 40],
      [1, big, 2 ** 40 + 1],
    ]);
  });

  it("refuses a push when full, without side effects, and accepts again after a release", () => {
    const q = new EventQueue(3);
    for (let i = 0; i < 3; i++) expect(q.push(i, 0, i, 0, 0, 0, 0, 0)).not.toBe(NO_SLOT);
    expect(q.push(-5, 0, 99, 0, 0, 0, 0, 0)).toBe(NO_SLOT);
    expect(q.size).toBe(3);
    expect(q.peekTime()).toBe(0);
    const s = q.pop();
    // The popped slot is still owned by the caller: the queue stays full until release.
    expect(q.push(1, 0, 50, 0, 0, 0, 0, 0)).toBe(NO_SLOT);
    q.release(s);
    expect(q.push(1, 0, 50, 0, 0, 0, 0, 0)).toBe(s);
    expect(q.freeSlots).toBe(0);
  });

  it("a popped slot keeps its fields across pushes until released", () => {
    const q = new EventQueue(4);
    q.push(5, 0, 0, 123, 9, 1, 2, 3);
    const s = q.pop();
    q.push(6, 0, 1, 0, 0, 0, 0, 0);
    q.push(7, 0, 2, 0, 0, 0, 0, 0);
    q.push(8, 0, 3, 0, 0, 0, 0, 0);
    expect(q.target[s]).toBe(123);
    expect(q.time[s]).toBe(5);
  });

  it("cancels pending events by handle, freeing the slot at once", () => {
    const q = new EventQueue(4);
    const slots = [40, 10, 30, 20].map((t, i) => q.push(t, 0, i, t, 0, 0, 0, 0));
    const handles = slots.map((s) => q.handleOf(s));
    expect(q.cancel(handles[2]!)).toBe(true); // t=30, from the middle of the heap
    expect(q.cancel(handles[1]!)).toBe(true); // t=10, the root
    expect(q.isPending(handles[1]!)).toBe(false);
    expect(q.cancel(handles[1]!)).toBe(false); // twice
    expect(q.size).toBe(2);
    expect(q.freeSlots).toBe(2);
    expect(drain(q).map((e) => e.time)).toEqual([20, 40]);
  });

  it("refuses stale handles: fired events and reused slots", () => {
    const q = new EventQueue(1);
    const s = q.push(1, 0, 0, 0, 0, 0, 0, 0);
    const h = q.handleOf(s);
    expect(q.isPending(h)).toBe(true);
    const p = q.pop();
    expect(q.cancel(h)).toBe(false); // popped, not yet released
    q.release(p);
    const s2 = q.push(2, 0, 1, 0, 0, 0, 0, 0);
    expect(s2).toBe(s); // same slot, new generation
    expect(q.cancel(h)).toBe(false);
    expect(q.size).toBe(1);
    expect(q.cancel(q.handleOf(s2))).toBe(true);
    expect(q.cancel(-1)).toBe(false);
    expect(q.cancel(12345)).toBe(false);
  });

  it("popFree hands out the earliest event, its fields intact, with the slot already free", () => {
    const q = new EventQueue(3);
    q.push(30, 1, 0, 9, 3, 4, 5, 6.5);
    const s = q.push(10, 2, 7, 8, 1, -2, 3, 1000);
    q.push(20, 0, 0, 7, 2, 0, 0, 0);
    expect(q.popFree()).toBe(s);
    expect([q.time[s], q.originDevice[s], q.originSeq[s], q.target[s], q.kind[s], q.a[s], q.b[s], q.c[s]]).toEqual([
      10, 2, 7, 8, 1, -2, 3, 1000,
    ]);
    expect(q.size).toBe(2);
    expect(q.freeSlots).toBe(1);
    expect(() => q.release(s)).toThrow(NetloomError); // nothing left to release
    expect(q.push(40, 0, 1, 0, 0, 0, 0, 0)).toBe(s); // the next push may reuse it at once
    expect(drain(q).map((e) => e.time)).toEqual([20, 30, 40]);
    expect(q.popFree()).toBe(NO_SLOT);
  });

  it("handles are never int32, however often a slot is reused, and stale ones stay refused", () => {
    const q = new EventQueue(1);
    let previous = -1;
    for (let i = 0; i < 300; i++) {
      const s = q.push(i, 0, i, 0, 0, 0, 0, 0);
      const h = q.handleOf(s);
      expect(h).toBeGreaterThan(2 ** 31); // not a small integer: V8 keeps one number representation
      expect(h).not.toBe(previous);
      expect(q.cancel(previous)).toBe(false);
      if (i % 2 === 0) {
        expect(q.cancel(h)).toBe(true);
      } else {
        q.release(q.pop());
        expect(q.isPending(h)).toBe(false);
      }
      previous = h;
    }
  });

  it("queuedFrom lists one origin's events of one kind, in the order it scheduled them", () => {
    const q = new EventQueue(16);
    // origin 3, kind 2: seq 0..3 at times out of order; others mixed in.
    q.push(50, 3, 0, 1, 2, 0, 0, 0);
    q.push(10, 3, 1, 1, 2, 0, 0, 0);
    q.push(90, 3, 2, 1, 2, 0, 0, 0);
    q.push(10, 3, 3, 1, 2, 0, 0, 0);
    q.push(10, 3, 4, 1, 1, 0, 0, 0); // same origin, other kind
    q.push(10, 4, 0, 1, 2, 0, 0, 0); // other origin, same kind
    q.release(q.pop()); // (10, 3, 1) has fired; the heap is left in a non-trivial order
    const found = q.queuedFrom(3, 2);
    expect(found.map((s) => q.originSeq[s])).toEqual([0, 2, 3]);
    expect(found.every((s) => q.originDevice[s] === 3 && q.kind[s] === 2)).toBe(true);
    expect(q.queuedFrom(5, 2)).toEqual([]);
  });

  it("throws USE_AFTER_FREE on a double or premature release", () => {
    const q = new EventQueue(2);
    const s = q.push(1, 0, 0, 0, 0, 0, 0, 0);
    expect(() => q.release(s)).toThrow(/not a popped event/); // still queued
    q.pop();
    q.release(s);
    try {
      q.release(s);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(NetloomError);
      expect((err as NetloomError).code).toBe("USE_AFTER_FREE");
    }
  });

  it("validates only in pushChecked and the constructor", () => {
    const q = new EventQueue(2);
    expect(() => q.pushChecked(1.5, 0, 0, 0, 0, 0, 0, 0)).toThrow("time: 1.5 is not an integer in [0, 2^53)");
    expect(() => q.pushChecked(-1, 0, 0, 0, 0, 0, 0, 0)).toThrow("time: -1 is not an integer");
    expect(() => q.pushChecked(2 ** 53, 0, 0, 0, 0, 0, 0, 0)).toThrow(/^time:/);
    expect(() => q.pushChecked(1, 2 ** 31, 0, 0, 0, 0, 0, 0)).toThrow(
      "originDevice: 2147483648 is not a 32-bit integer",
    );
    expect(() => q.pushChecked(1, 0, -3, 0, 0, 0, 0, 0)).toThrow(/^originSeq:/);
    expect(() => q.pushChecked(1, 0, 0, 0, 0, 0.5, 0, 0)).toThrow(/^a:/);
    expect(() => q.pushChecked(1, 0, 0, 0, 0, 0, 0, NaN)).toThrow(/^c:/);
    expect(q.size).toBe(0);
    expect(q.pushChecked(1, 0, 0, 0, 0, 0, 0, 0)).toBe(0);
    for (const bad of [0, -1, 1.5, 2 ** 24 + 1, NaN]) {
      expect(() => new EventQueue(bad)).toThrow(NetloomError);
    }
  });

  it("clear() frees everything and makes every handle stale", () => {
    const q = new EventQueue(3);
    const h = q.handleOf(q.push(1, 0, 0, 0, 0, 0, 0, 0));
    q.push(2, 0, 1, 0, 0, 0, 0, 0);
    q.pop();
    q.clear();
    expect(q.size).toBe(0);
    expect(q.freeSlots).toBe(3);
    expect(q.cancel(h)).toBe(false);
    expect(q.push(3, 0, 2, 0, 0, 0, 0, 0)).toBe(0);
  });

  it("property: pops sorted by key whatever the insertion order (ties included)", () => {
    fc.assert(
      fc.property(uniqueEvents, fc.integer(), (events, shuffleSeed) => {
        const shuffled = fc.sample(fc.shuffledSubarray(events, { minLength: events.length }), {
          seed: shuffleSeed,
          numRuns: 1,
        })[0]!;
        const q = new EventQueue(Math.max(1, events.length));
        for (const e of shuffled) expect(pushEv(q, e)).not.toBe(NO_SLOT);
        const got = drain(q);
        expect(got).toEqual([...events].sort(byKey));
      }),
      { numRuns: 300 },
    );
  });

  it("property: interleaved push/pop/cancel matches a sorted-array model", () => {
    type Op = { op: "push"; ev: Ev } | { op: "pop" } | { op: "cancel"; pick: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 5,
        arbitrary: fc
          .record({ time: fc.integer({ min: 0, max: 20 }), origin: fc.integer({ min: 0, max: 3 }) })
          .map(({ time, origin }) => ({ op: "push" as const, ev: { time, origin, seq: 0, target: 0 } })),
      },
      { weight: 3, arbitrary: fc.constant({ op: "pop" as const }) },
      { weight: 2, arbitrary: fc.nat().map((pick) => ({ op: "cancel" as const, pick })) },
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 400 }), (ops) => {
        const cap = 16;
        const q = new EventQueue(cap);
        const seqs = [0, 0, 0, 0];
        let model: (Ev & { handle: number })[] = [];
        for (const o of ops) {
          if (o.op === "push") {
            const ev = { ...o.ev, seq: seqs[o.ev.origin]!++, target: 0 };
            const s = pushEv(q, ev);
            if (model.length === cap) {
              expect(s).toBe(NO_SLOT);
            } else {
              expect(s).not.toBe(NO_SLOT);
              model.push({ ...ev, handle: q.handleOf(s) });
            }
          } else if (o.op === "pop") {
            model.sort(byKey);
            const s = q.pop();
            const want = model.shift();
            if (want === undefined) {
              expect(s).toBe(NO_SLOT);
            } else {
              expect([q.time[s], q.originDevice[s], q.originSeq[s]]).toEqual([want.time, want.origin, want.seq]);
              q.release(s);
            }
          } else if (model.length > 0) {
            const victim = model[o.pick % model.length]!;
            expect(q.cancel(victim.handle)).toBe(true);
            model = model.filter((m) => m !== victim);
          }
          expect(q.size).toBe(model.length);
          // A refused push left no trace: the free slots are exactly what the model leaves.
          expect(q.freeSlots).toBe(cap - model.length);
          expect(q.peekTime()).toBe(model.length === 0 ? Infinity : Math.min(...model.map((m) => m.time)));
        }
        expect(drain(q)).toEqual(model.sort(byKey).map(({ handle: _h, ...e }) => e));
      }),
      { numRuns: 200 },
    );
  });

  it("ordering is identical across capacities (no dependence on slot numbering)", () => {
    const events: Ev[] = [];
    for (let i = 0; i < 500; i++) events.push({ time: (i * 7919) % 37, origin: i % 5, seq: i, target: i });
    const a = new EventQueue(500);
    const b = new EventQueue(4096);
    for (const e of events) pushEv(a, e);
    for (const e of [...events].reverse()) pushEv(b, e);
    expect(drain(a)).toEqual(drain(b));
  });
});
