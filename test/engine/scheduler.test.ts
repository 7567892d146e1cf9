import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Scheduler, type EventHandler } from "../../src/engine/scheduler.js";
import { ErrorCode, type NetloomError } from "../../src/base/errors.js";

/** Records every event it gets as "time:kind:a:b:len". */
class Recorder implements EventHandler {
  readonly log: string[] = [];
  constructor(private readonly sched: Scheduler) {}
  handleEvent(kind: number, a: number, b: number, len: number): void {
    this.log.push(`${this.sched.now}:${kind}:${a}:${b}:${len}`);
  }
}

describe("scheduler", () => {
  it("dispatches in (time, origin, origin sequence) order", () => {
    const s = new Scheduler({ seed: 1 });
    const r = new Recorder(s);
    s.register(0, "r", r);
    s.register(1, "x", r);
    s.register(2, "y", r);
    s.schedule(2, 10, 0, 1, 0, 0, 0); // origin 2, seq 0
    s.schedule(1, 10, 0, 2, 0, 0, 0); // origin 1, seq 0: same time, lower origin first
    s.schedule(1, 10, 0, 3, 0, 0, 0); // origin 1, seq 1
    s.schedule(2, 5, 0, 4, 0, 0, 0);
    s.runToIdle();
    expect(r.log.map((e) => e.split(":")[1])).toEqual(["4", "2", "3", "1"]);
  });

  it("gives the same trajectory and fingerprint whatever order same-time events are scheduled in", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 4 })), {
          minLength: 1,
          maxLength: 40,
        }),
        (events) => {
          const run = (order: number[]): { log: string[]; fp: string } => {
            const s = new Scheduler({ seed: 7, queueCapacity: 64 });
            const r = new Recorder(s);
            for (let d = 0; d < 4; d++) s.register(d, `d${d}`, r);
            // Each origin's events keep their own relative order (their seq numbers), as a device's would.
            for (const i of order) {
              const [origin, delay] = events[i]!;
              s.schedule(origin, delay * 100, 0, i, origin, delay, 64);
            }
            s.runToIdle();
            return { log: r.log, fp: s.fingerprint.toString() };
          };
          const forward = events.map((_, i) => i);
          // Interleave origins differently but keep each origin's own order.
          const byOrigin = [3, 2, 1, 0].flatMap((o) => forward.filter((i) => events[i]![0] === o));
          expect(run(byOrigin)).toEqual(run(forward));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("run(end) is exclusive of end and leaves now at end; runUntil(t) includes t", () => {
    const s = new Scheduler({ seed: 1 });
    const r = new Recorder(s);
    s.register(0, "r", r);
    s.schedule(0, 100, 0, 1, 0, 0, 0);
    s.schedule(0, 200, 0, 2, 0, 0, 0);
    expect(s.run(100)).toBe(0);
    expect(s.now).toBe(100);
    expect(s.runUntil(100)).toBe(1);
    expect(s.now).toBe(100);
    expect(s.run(1000)).toBe(1);
    expect(s.now).toBe(1000);
    expect(() => s.run(999)).toThrow(/before the current time/);
  });

  it("cancelled events are not dispatched and leave no trace in the fingerprint", () => {
    const plain = new Scheduler({ seed: 3 });
    const withCancel = new Scheduler({ seed: 3 });
    for (const s of [plain, withCancel]) s.register(0, "r", new Recorder(s));
    plain.schedule(0, 10, 0, 1, 0, 0, 0);
    withCancel.schedule(0, 10, 0, 1, 0, 0, 0);
    const timer = withCancel.schedule(0, 5, 0, 9, 0, 0, 0);
    expect(withCancel.cancel(timer)).toBe(true);
    expect(withCancel.cancel(timer)).toBe(false);
    plain.runToIdle();
    withCancel.runToIdle();
    expect(withCancel.dispatched).toBe(1);
    // The origin sequence differs (the cancelled event used seq 1), but the dispatched
    // event's key is the same, so the fingerprints agree.
    expect(withCancel.fingerprint.toString()).toBe(plain.fingerprint.toString());
  });

  it("a handler can schedule follow-ups and stop the run", () => {
    const s = new Scheduler({ seed: 1 });
    let ticks = 0;
    s.register(0, "clock", {
      handleEvent() {
        ticks++;
        if (ticks === 5) s.stop();
        s.schedule(0, 1000, 0, 0, 0, 0, 0);
      },
    });
    s.schedule(0, 0, 0, 0, 0, 0, 0);
    s.run(1_000_000);
    expect(ticks).toBe(5);
    expect(s.now).toBe(4000);
    s.run(10_000);
    expect(ticks).toBe(10); // 5000 .. 9000: run(end) excludes end
  });

  it("ends the run with QUEUE_FULL naming the device instead of losing an event", () => {
    const s = new Scheduler({ seed: 1, queueCapacity: 2 });
    s.register(0, "chatty-host", new Recorder(s));
    s.schedule(0, 1, 0, 0, 0, 0, 0);
    s.schedule(0, 2, 0, 0, 0, 0, 0);
    try {
      s.schedule(0, 3, 0, 0, 0, 0, 0);
      expect.unreachable();
    } catch (e) {
      expect((e as NetloomError).code).toBe(ErrorCode.QUEUE_FULL);
      expect((e as Error).message).toMatch(/chatty-host/);
    }
  });

  it("post() is scheduleAt() without a handle: same keys, same fingerprint, same QUEUE_FULL, foreign dropped", () => {
    const run = (usePost: boolean): { log: string[]; fp: string } => {
      const s = new Scheduler({ seed: 5 });
      const r = new Recorder(s);
      s.register(0, "a", r);
      s.register(1, "b", r);
      for (let i = 0; i < 6; i++) {
        const origin = i % 2;
        const time = 100 - (i % 3) * 10;
        if (usePost) s.post(origin, time, 1 - origin, i, i, -i, 64 + i);
        else s.scheduleAt(origin, time, 1 - origin, i, i, -i, 64 + i);
      }
      s.runToIdle();
      return { log: r.log, fp: s.fingerprint.toString() };
    };
    expect(run(true)).toEqual(run(false));

    const full = new Scheduler({ seed: 1, queueCapacity: 1 });
    full.register(0, "busy-link", new Recorder(full));
    full.post(0, 1, 0, 0, 0, 0, 0);
    expect(() => full.post(0, 2, 0, 0, 0, 0, 0)).toThrow(/busy-link could not schedule an event at 2 ns/);

    const part = new Scheduler({ seed: 1 });
    const r = new Recorder(part);
    part.register(0, "here", r);
    part.register(1, "elsewhere", r);
    part.setForeign(1, true);
    part.post(1, 5, 0, 1, 0, 0, 0); // its own partition posts it
    part.post(0, 6, 0, 2, 0, 0, 0);
    part.runToIdle();
    expect(r.log).toEqual(["6:2:0:0:0"]);
  });

  it("rejects duplicate device ids, bad seeds, events for missing devices and re-entrant runs", () => {
    expect(() => new Scheduler({ seed: -1 })).toThrow(/seed/);
    const s = new Scheduler({ seed: 1 });
    s.register(3, "a", new Recorder(s));
    expect(() => s.register(3, "b", new Recorder(s))).toThrow(/already taken by "a"/);
    s.schedule(3, 1, 1, 0, 0, 0, 0);
    expect(() => s.runToIdle()).toThrow(/device 1, which does not exist/);
    const t = new Scheduler({ seed: 1 });
    t.register(0, "loop", { handleEvent: () => t.runToIdle() });
    t.schedule(0, 1, 0, 0, 0, 0, 0);
    expect(() => t.runToIdle()).toThrow(/inside an event handler/);
  });

  it("gives every stable id its own random stream, independent of registration order", () => {
    const a = new Scheduler({ seed: 42 });
    const b = new Scheduler({ seed: 42 });
    b.rng("link:9:a->b").nextU32();
    expect(a.rng("link:0:a->b").nextU32()).toBe(b.rng("link:0:a->b").nextU32());
    expect(a.rng("link:0:a->b").nextU32()).not.toBe(a.rng("link:0:b->a").nextU32());
  });
});

describe("scheduler: taking back what a device scheduled", () => {
  it("cancelFrom cancels one origin's pending events of one kind, oldest first, and nothing else", () => {
    const s = new Scheduler({ seed: 1 });
    const r = new Recorder(s);
    s.register(0, "target", r);
    s.register(1, "wire", r);
    s.register(2, "other", r);
    s.schedule(1, 30, 0, 5, 100, 0, 64); // wire, kind 5: taken back
    s.schedule(1, 10, 0, 5, 101, 1, 65); // wire, kind 5: taken back
    s.schedule(1, 20, 0, 6, 102, 0, 0); // wire, another kind: stays
    s.schedule(2, 15, 0, 5, 103, 0, 66); // another origin: stays
    s.runUntil(5);
    const taken: number[][] = [];
    expect(s.cancelFrom(1, 5, (a, b, len) => taken.push([a, b, len]))).toBe(2);
    expect(taken).toEqual([
      [100, 0, 64],
      [101, 1, 65],
    ]); // scheduling order, not time order
    expect(s.cancelFrom(1, 5, () => taken.push([]))).toBe(0);
    s.runToIdle();
    expect(r.log).toEqual(["15:5:103:0:66", "20:6:102:0:0"]);
  });

  it("a run whose events were taken back has the fingerprint of one that cancelled them by handle", () => {
    const run = (byOrigin: boolean): string => {
      const s = new Scheduler({ seed: 3 });
      const r = new Recorder(s);
      s.register(0, "t", r);
      s.register(1, "w", r);
      const handles = [s.schedule(1, 40, 0, 5, 1, 0, 60), s.schedule(1, 50, 0, 5, 2, 0, 60)];
      s.schedule(1, 45, 0, 6, 0, 0, 0);
      s.runUntil(10);
      if (byOrigin) s.cancelFrom(1, 5, () => {});
      else for (const h of handles) s.cancel(h);
      s.runToIdle();
      return s.fingerprint.toString();
    };
    expect(run(true)).toBe(run(false));
  });
});
