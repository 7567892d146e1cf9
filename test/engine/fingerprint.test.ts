import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Fingerprint } from "../../src/engine/fingerprint.js";
import { EventQueue, NO_SLOT } from "../../src/engine/event-queue.js";
import { Rng } from "../../src/engine/rng.js";

type Ev = [time: number, origin: number, seq: number, device: number, kind: number, len: number];

function fp(events: readonly Ev[]): string {
  const f = new Fingerprint();
  for (const e of events) f.record(...e);
  return f.toString();
}

/** A small synthetic trajectory: 8 devices bouncing frames with random delays. */
function trajectory(seed: number, count: number): Ev[] {
  const rng = Rng.forStream(seed, "fingerprint-test");
  const q = new EventQueue(1024);
  const seq = new Array<number>(8).fill(0);
  for (let d = 0; d < 8; d++) q.push(rng.nextBelow(1000), d, seq[d]!++, (d + 1) % 8, 1, 64 + d, 0, 0);
  const out: Ev[] = [];
  while (out.length < count) {
    const s = q.pop();
    if (s === NO_SLOT) break;
    const t = q.time[s]!;
    const dev = q.target[s]!;
    out.push([t, q.originDevice[s]!, q.originSeq[s]!, dev, q.kind[s]!, q.a[s]!]);
    q.release(s);
    q.push(
      t + rng.nextBelow(3) * 500,
      dev,
      seq[dev]!++,
      rng.nextBelow(8),
      1 + rng.nextBelow(3),
      64 + rng.nextBelow(1400),
      0,
      0,
    );
  }
  return out;
}

describe("Fingerprint", () => {
  it("pins known values (the hash function is part of every stored fingerprint)", () => {
    const f = new Fingerprint();
    expect(f.toString()).toBe("4da3c1e9d97a2fb0");
    f.record(1000, 1, 0, 2, 3, 1500);
    expect(f.toString()).toBe("d29a9a2f2cbd0c13");
    f.record(2 ** 40 + 7, 3, 2 ** 33, 4, 5, 64);
    expect(f.toString()).toBe("6e8d309dc989c024");
    expect(f.count).toBe(2);
    expect(f.toString()).toMatch(/^[0-9a-f]{16}$/);
  });

  it("the same trajectory gives the same string, run after run", () => {
    expect(fp(trajectory(1, 5000))).toBe(fp(trajectory(1, 5000)));
    expect(fp(trajectory(1, 5000))).not.toBe(fp(trajectory(2, 5000)));
  });

  it("is sensitive to the global order: an event moved in time or past another in key order", () => {
    const base: Ev[] = [
      [100, 1, 0, 2, 1, 1500],
      [100, 2, 0, 1, 1, 64],
      [200, 1, 1, 2, 2, 0],
    ];
    const ref = fp(base);
    // The frame of length 1500 and the one of 64 swap places in the key order.
    expect(fp([[100, 1, 0, 2, 1, 64], [100, 2, 0, 1, 1, 1500], base[2]!])).not.toBe(ref);
    // One event a nanosecond later.
    expect(fp([base[0]!, base[1]!, [201, 1, 1, 2, 2, 0]])).not.toBe(ref);
    // Delivered to another device, of another kind, with another length, from another origin.
    expect(fp([base[0]!, base[1]!, [200, 1, 1, 3, 2, 0]])).not.toBe(ref);
    expect(fp([base[0]!, base[1]!, [200, 1, 1, 2, 3, 0]])).not.toBe(ref);
    expect(fp([base[0]!, base[1]!, [200, 1, 1, 2, 2, 1]])).not.toBe(ref);
    expect(fp([base[0]!, base[1]!, [200, 3, 1, 2, 2, 0]])).not.toBe(ref);
    // Missing or duplicated event.
    expect(fp(base.slice(0, 2))).not.toBe(ref);
    expect(fp([...base, base[2]!])).not.toBe(ref);
    // High words of time and seq count.
    expect(fp([[2 ** 32 + 100, 1, 0, 2, 1, 1500]])).not.toBe(fp([[100, 1, 0, 2, 1, 1500]]));
    expect(fp([[100, 1, 2 ** 32, 2, 1, 1500]])).not.toBe(fp([[100, 1, 0, 2, 1, 1500]]));
  });

  it("single-event changes never collide over many random variations", () => {
    const seen = new Set<string>();
    const r = Rng.forStream(0, "variations");
    for (let i = 0; i < 20_000; i++) {
      seen.add(
        fp([[r.nextBelow(1e6), r.nextBelow(64), r.nextBelow(1e6), r.nextBelow(64), r.nextBelow(8), r.nextBelow(9000)]]),
      );
    }
    expect(seen.size).toBeGreaterThan(19_990); // duplicates only from identical draws
  });

  it("property: any partitioning, in any call order, gives the single-threaded string", () => {
    const events = trajectory(7, 2000);
    const whole = fp(events);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.nat(), { minLength: events.length, maxLength: events.length }),
        (parts, assign) => {
          // Partition by device (as issue 5 does), each partition fed in its own order.
          const acc = Array.from({ length: parts }, () => new Fingerprint());
          const order = events.map((e, i) => ({ e, k: assign[i]! }));
          order.sort((x, y) => x.k - y.k);
          for (const { e } of order) acc[e[3] % parts]!.record(...e);
          const total = new Fingerprint();
          // Partials cross a worker boundary as plain state.
          for (const a of acc) total.addState(structuredClone(a.getState()));
          expect(total.count).toBe(events.length);
          expect(total.toString()).toBe(whole);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("add() and reset() behave as folding and emptying", () => {
    const a = new Fingerprint();
    const b = new Fingerprint();
    a.record(1, 0, 0, 0, 0, 0);
    b.record(2, 0, 1, 0, 0, 0);
    a.add(b);
    expect(a.toString()).toBe(
      fp([
        [2, 0, 1, 0, 0, 0],
        [1, 0, 0, 0, 0, 0],
      ]),
    );
    a.reset();
    expect(a.toString()).toBe(new Fingerprint().toString());
    expect(a.count).toBe(0);
  });
});
