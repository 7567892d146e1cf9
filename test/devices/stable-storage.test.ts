// Stable storage: appends are volatile until a sync covering them completes after the disk's
// latency; syncs are served one at a time (group commit); a crash loses what was not durable.
import { describe, expect, it } from "vitest";
import { DISK_PROFILES, StableStorage } from "../../src/devices/stable-storage.js";
import { Simulation } from "../../src/engine/simulation.js";
import { NetloomError } from "../../src/base/errors.js";

const rec = (n: number): Uint8Array => Uint8Array.of(n, n + 1, n + 2, n + 3);

function disk(options: ConstructorParameters<typeof StableStorage>[3] = {}) {
  const sim = new Simulation({ seed: 1, frameSlots: 16 });
  const owner = sim.register("h", { handleEvent() {} });
  return { sim, d: new StableStorage(sim, "h.disk", owner, options) };
}

describe("StableStorage", () => {
  it("makes records durable when a sync completes, after write + sync + transfer time", () => {
    const profile = { name: "test", writeNs: 100, syncNs: 1_000, bandwidthBps: 8e9 }; // 1 byte/ns
    const { sim, d } = disk({ disk: profile });
    expect(d.append(rec(1))).toBe(0);
    expect(d.append(rec(2))).toBe(1);
    let doneAt = -1;
    d.sync(() => (doneAt = sim.now));
    expect(d.durable).toHaveLength(0);
    expect(d.records).toHaveLength(2);
    sim.scheduler.runToIdle();
    // Two appends reach the buffer at 200 ns; the sync then takes 1000 ns + 8 bytes at 1 byte/ns.
    expect(doneAt).toBe(200 + 1_000 + 8);
    expect(d.durable.map((r) => r[0])).toEqual([1, 2]);
    expect(d.stats()).toMatchObject({ written: 2, synced: 2, syncs: 1, lost: 0, bytes: 8, durableBytes: 8 });
  });

  it("serves syncs one at a time: a sync asked for during another waits and covers later appends", () => {
    const profile = { name: "test", writeNs: 0, syncNs: 1_000, bandwidthBps: 1e12 };
    const { sim, d } = disk({ disk: profile });
    const done: [string, number][] = [];
    d.write(rec(1), () => done.push(["a", sim.now]));
    d.write(rec(2), () => done.push(["b", sim.now]));
    d.write(rec(3), () => done.push(["c", sim.now]));
    sim.scheduler.runToIdle();
    // The first sync covers record 1; the second (group commit) covers 2 and 3 together. Each
    // transfer rounds up to 1 ns at this bandwidth.
    expect(done).toEqual([
      ["a", 1_001],
      ["b", 2_002],
      ["c", 2_002],
    ]);
    expect(d.stats().syncs).toBe(2);
  });

  it("a crash loses what is not durable and the callbacks of syncs in progress", () => {
    const { sim, d } = disk({ disk: "disk-1995" });
    let synced = 0;
    d.write(rec(1), () => synced++);
    sim.scheduler.runToIdle();
    d.append(rec(2));
    d.write(rec(3), () => synced++);
    sim.scheduler.runUntil(sim.now + 1_000_000); // 1 ms into a ~14.6 ms sync
    expect(d.crash()).toBe(true);
    expect(d.crash()).toBe(false);
    sim.scheduler.runToIdle();
    expect(synced).toBe(1);
    expect(d.durable.map((r) => r[0])).toEqual([1]);
    expect(d.records.map((r) => r[0])).toEqual([1]);
    expect(d.stats()).toMatchObject({ written: 3, synced: 1, lost: 2, bytes: 4, durableBytes: 4 });
    expect(d.append(rec(4))).toBe(-1); // down: nothing is written
    expect(d.restart()).toBe(true);
    expect(d.append(rec(4))).toBe(1);
  });

  it("the default profiles: a 1995 disk syncs in milliseconds, an NVMe drive in microseconds", () => {
    for (const [name, lo, hi] of [
      ["disk-1995", 10_000_000, 20_000_000],
      ["nvme-2025", 5_000, 100_000],
    ] as const) {
      const { sim, d } = disk({ disk: name });
      let at = -1;
      d.write(new Uint8Array(100), () => (at = sim.now));
      sim.scheduler.runToIdle();
      expect(at).toBeGreaterThanOrEqual(lo);
      expect(at).toBeLessThanOrEqual(hi);
      expect(at).toBe(
        DISK_PROFILES[name].writeNs +
          DISK_PROFILES[name].syncNs +
          Math.ceil((800 * 1e9) / DISK_PROFILES[name].bandwidthBps),
      );
    }
  });

  it("is bounded: an append past maxRecords or maxBytes is refused and counted", () => {
    const { d } = disk({ maxRecords: 2, maxBytes: 6 });
    expect(d.append(rec(1))).toBe(0);
    expect(d.append(rec(2))).toBe(-1); // 8 bytes > 6
    expect(d.append(Uint8Array.of(9, 9))).toBe(1);
    expect(d.append(Uint8Array.of(7))).toBe(-1); // a third record
    expect(d.stats()).toMatchObject({ written: 2, refused: 2 });
  });

  it("refuses bad options naming them", () => {
    expect(() => disk({ disk: "floppy" as "disk-1995" })).toThrow(/unknown disk "floppy".*disk-1995, nvme-2025/);
    expect(() => disk({ maxRecords: 0 })).toThrow(NetloomError);
    expect(() => disk({ maxBytes: 2 ** 31 })).toThrow(/h\.disk\.maxBytes|1 to 1073741824/);
    expect(() => disk({ disk: { name: "x", writeNs: -1, syncNs: 0, bandwidthBps: 1 } })).toThrow(/writeNs/);
  });
});
