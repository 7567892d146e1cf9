// Scheduler.setObserver: observations see the state once every event at or before their time
// has run, whatever the slicing, and leave events and fingerprint alone.
import { describe, expect, it } from "vitest";
import { Scheduler, type EventHandler } from "../../src/engine/scheduler.js";
import { ErrorCode, type NetloomError } from "../../src/base/errors.js";

/** Counts events; each reschedules itself `gap` ns later until `until`. */
class Ticker implements EventHandler {
  count = 0;
  constructor(
    private readonly s: Scheduler,
    private readonly gap: number,
    private readonly until: number,
  ) {}
  handleEvent(): void {
    this.count++;
    if (this.s.now + this.gap <= this.until) this.s.schedule(0, this.gap, 0, 1, 0, 0, 0);
  }
}

function ticking(gap: number, until: number): { s: Scheduler; t: Ticker } {
  const s = new Scheduler({ seed: 1 });
  const t = new Ticker(s, gap, until);
  s.register(0, "ticker", t);
  s.schedule(0, 0, 0, 1, 0, 0, 0);
  return { s, t };
}

describe("scheduler observer", () => {
  it("observes after every event at its time and before any later one, in any slicing", () => {
    // Events at 0, 30, 60, 90; observations every 20 ns up to 100.
    const expected = [
      [0, 1],
      [20, 1],
      [40, 2],
      [60, 3],
      [80, 3],
      [100, 4],
    ];
    for (const slices of [[100], [10, 35, 60, 61, 100], [59, 60, 100]]) {
      const { s, t } = ticking(30, 90);
      const seen: number[][] = [];
      s.setObserver(0, (at) => {
        seen.push([at, t.count]);
        return at + 20 <= 100 ? at + 20 : Infinity;
      });
      for (const end of slices) s.runUntil(end);
      expect(seen).toEqual(expected);
      expect(s.dispatched).toBe(4);
    }
  });

  it("changes neither the events dispatched nor the fingerprint", () => {
    const plain = ticking(7, 1000);
    plain.s.runUntil(1000);
    const observed = ticking(7, 1000);
    let calls = 0;
    observed.s.setObserver(0, (at) => (++calls, at + 13));
    observed.s.runUntil(1000);
    expect(observed.s.dispatched).toBe(plain.s.dispatched);
    expect(observed.s.fingerprint.toString()).toBe(plain.s.fingerprint.toString());
    expect(calls).toBe(Math.floor(1000 / 13) + 1);
  });

  it("observes through quiet stretches and stops at Infinity or a time not after the last", () => {
    const { s } = ticking(1000, 0);
    const seen: number[] = [];
    s.setObserver(5, (at) => (seen.push(at), at < 25 ? at + 10 : at));
    s.run(1000);
    expect(seen).toEqual([5, 15, 25]);
    s.runToIdle();
    expect(seen).toEqual([5, 15, 25]);
  });

  it("run(end) is exclusive for observations as for events", () => {
    const { s } = ticking(1000, 0);
    const seen: number[] = [];
    s.setObserver(0, (at) => (seen.push(at), at + 50));
    s.run(100);
    expect(seen).toEqual([0, 50]);
    s.runUntil(100);
    expect(seen).toEqual([0, 50, 100]);
  });

  it("refuses an observation in the past", () => {
    const { s } = ticking(10, 100);
    s.runUntil(50);
    expect(() => s.setObserver(40, () => Infinity)).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }) as NetloomError,
    );
  });
});
