import { afterEach, describe, expect, it } from "vitest";
import { Simulation } from "../../src/engine/simulation.js";
import { CaptureChannel } from "../../src/devices/capture-channel.js";
import type { Channel } from "../../src/devices/device.js";
import { EthernetNic } from "../../src/devices/nic.js";
import { getRuntime, type KernelRuntime } from "../../src/kernels/runtime.js";
import {
  CbrSource,
  type FrameSource,
  PoissonSource,
  SOURCE_FLOW_OFFSET,
  SOURCE_PATTERN_OFFSET,
  SOURCE_SEQ_OFFSET,
  SourceState,
  type FrameSourceOptions,
} from "../../src/traffic/frame-source.js";
import { DropReason } from "../../src/trace/trace-point.js";
import { macFromString, readMac } from "../../src/wire/ethernet.js";
import { zlibSync } from "../support/zlib.js";
import { countingRuntime } from "../support/counting-runtime.js";

// --- harness: sources stopped, NICs destroyed, frame store empty, heap back where it was ---

const live: { sim: Simulation; nics: EthernetNic[]; sources: FrameSource[] }[] = [];
const heapBaseline = getRuntime().heap.stats().liveRegions;

afterEach(() => {
  const leaks: number[][] = [];
  for (const { sim, nics, sources } of live.splice(0)) {
    for (const s of sources) s.stop();
    for (const n of nics) n.destroy();
    leaks.push(sim.frames.leaks());
    if (leaks.at(-1)!.length === 0) sim.destroy();
  }
  for (const l of leaks) expect(l).toEqual([]);
  expect(getRuntime().heap.stats().liveRegions).toBe(heapBaseline);
});

const A = macFromString("02:00:00:00:00:0a");
const B = macFromString("02:00:00:00:00:0b");

/** A channel that only counts and releases (no copy per frame, for long runs). */
class Sink implements Channel {
  readonly id: number;
  readonly name: string;
  frames = 0;
  bytes = 0;
  constructor(
    private readonly sim: Simulation,
    name: string,
  ) {
    this.name = name;
    this.id = sim.register(name, { handleEvent: () => undefined });
  }
  connect(): void {}
  transmit(_end: number, frame: number): boolean {
    this.frames++;
    this.bytes += this.sim.frames.length[frame]!;
    this.sim.frames.release(frame);
    return true;
  }
}

function rig(opts: { seed?: number; frameSlots?: number; runtime?: KernelRuntime; capture?: boolean } = {}) {
  const sim = new Simulation({
    seed: opts.seed ?? 1,
    frameSlots: opts.frameSlots ?? 128,
    ...(opts.runtime ? { runtime: opts.runtime } : {}),
  });
  const entry = { sim, nics: [] as EthernetNic[], sources: [] as FrameSource[] };
  live.push(entry);
  const nic = new EthernetNic(sim, "a", { mac: A });
  entry.nics.push(nic);
  const cap = new CaptureChannel(sim, "cap");
  const sink = new Sink(sim, "sink");
  nic.attach(0, opts.capture === false ? sink : cap, 0);
  // Every frame handed to the channel: time, birth and flow from the side table.
  const seen: { time: number; birth: number; flow: number; seq: number }[] = [];
  nic.trace[0]!.macTx.subscribe((time, frame) => {
    const off = sim.frames.offset(frame);
    const seq = sim.runtime.view.getUint32(off + SOURCE_SEQ_OFFSET);
    seen.push({ time, birth: sim.frames.birth[frame]!, flow: sim.frames.flow[frame]!, seq });
  });
  const cbr = (o: Partial<FrameSourceOptions>): CbrSource => {
    const s = new CbrSource(nic, { dst: B, frameSize: 100, rate: 1e6, ...o } as FrameSourceOptions);
    entry.sources.push(s);
    return s;
  };
  const poisson = (o: Partial<FrameSourceOptions>): PoissonSource => {
    const s = new PoissonSource(nic, { dst: B, frameSize: 100, rate: 1e6, ...o } as FrameSourceOptions);
    entry.sources.push(s);
    return s;
  };
  return { sim, nic, cap, sink, seen, cbr, poisson, entry };
}

/** start + round-half-up(k * frameSize * 8e9 / rate), exactly, for an integer rate. */
function cbrTime(start: number, k: number, frameSize: number, rate: number): number {
  const num = BigInt(k) * BigInt(frameSize) * 8_000_000_000n;
  const den = BigInt(rate);
  return start + Number((2n * num + den) / (2n * den));
}

describe("CbrSource", () => {
  it("sends frame k at exactly start + round(k * frameBits * 1e9 / rate) ns", () => {
    const { sim, seen, cbr } = rig();
    // 800 bits at 3 Mbit/s: 266,666.67 ns, so the rounding shows (half up).
    cbr({ rate: 3e6, frameSize: 100, start: 1_000, count: 300, batch: 16 });
    // 64 bytes at 1.024 Gbit/s: 500 ns exactly; and a rate whose period ends in .5 ns.
    cbr({ rate: 1_024_000_000, frameSize: 64, start: "2us", count: 50 });
    sim.scheduler.runToIdle();
    const first = seen.filter((s) => s.flow === 0);
    expect(first.map((s) => s.time)).toEqual(Array.from({ length: 300 }, (_, k) => cbrTime(1_000, k, 100, 3e6)));
    expect(first.map((s) => s.seq)).toEqual(Array.from({ length: 300 }, (_, k) => k));
    expect(first.every((s) => s.birth === s.time)).toBe(true);
    const second = seen.filter((s) => s.flow === 1);
    expect(second.map((s) => s.time)).toEqual(Array.from({ length: 50 }, (_, k) => 2_000 + 500 * k));
  });

  it("rounds half up, sends frames due in the same ns together, and takes fractional rates", () => {
    const { sim, seen, cbr } = rig();
    cbr({ rate: 1.024e12, frameSize: 64, count: 6 }); // 0.5 ns period: every other frame is a tie
    cbr({ rate: 3e9, frameSize: 64, count: 10, start: 100 }); // 170.67 ns
    cbr({ rate: 1.024e10 / 3, frameSize: 64, count: 10, start: 100 }); // fractional rate: float path, 150 ns
    sim.scheduler.runToIdle();
    expect(seen.filter((s) => s.flow === 0).map((s) => s.time)).toEqual([0, 1, 1, 2, 2, 3]);
    expect(seen.filter((s) => s.flow === 1).map((s) => s.time)).toEqual(
      Array.from({ length: 10 }, (_, k) => cbrTime(100, k, 64, 3e9)),
    );
    expect(seen.filter((s) => s.flow === 2).map((s) => s.time)).toEqual(
      Array.from({ length: 10 }, (_, k) => 100 + Math.round((k * 512e9) / (1.024e10 / 3))),
    );
  });

  it("delivers the configured rate over 1 simulated second", () => {
    const { sim, sink, cbr } = rig({ capture: false });
    const src = cbr({ rate: "100Mbps", frameSize: 1000 });
    sim.scheduler.run(1e9);
    expect(sink.frames).toBe(12_500);
    expect(sink.bytes * 8).toBe(100e6);
    expect(src.stats()).toMatchObject({ state: "Running", frames: 12_500, bytes: 12_500_000, drops: {} });
  });

  it("builds frames with the FCS zlib computes, its sequence number, flow and pattern", () => {
    const { sim, cap, cbr } = rig();
    cbr({ frameSize: 128, count: 5, etherType: 0x0800, flow: 42 });
    sim.scheduler.runToIdle();
    expect(cap.sent.length).toBe(5);
    cap.sent.forEach(({ bytes }, k) => {
      expect(bytes.length).toBe(128);
      expect(readMac(bytes, 0)).toBe(B);
      expect(readMac(bytes, 6)).toBe(A);
      expect((bytes[12]! << 8) | bytes[13]!).toBe(0x0800);
      const dv = new DataView(bytes.buffer, bytes.byteOffset);
      expect(dv.getUint32(SOURCE_FLOW_OFFSET)).toBe(42);
      expect(dv.getUint32(SOURCE_SEQ_OFFSET)).toBe(k);
      for (let i = SOURCE_PATTERN_OFFSET; i < 124; i++) expect(bytes[i]).toBe((i - 14) & 0xff);
      expect(dv.getUint32(124, true)).toBe(zlibSync.crc32(bytes.subarray(0, 124)));
    });
  });

  it("computes FCSs with one crc32Batch call per batch and no per-frame CRC call", () => {
    const { runtime, calls } = countingRuntime();
    const { sim, cbr } = rig({ runtime, capture: false });
    const before = { ...calls };
    const src = cbr({ rate: 1e9, frameSize: 1000, count: 640, batch: 64 });
    const small = cbr({ rate: 1e9, frameSize: 1000, count: 640, batch: 16, start: 1 });
    sim.scheduler.runToIdle();
    expect(src.stats().frames + small.stats().frames).toBe(1280);
    expect(calls.crc32Batch - before.crc32Batch).toBe(640 / 64 + 640 / 16);
    expect(calls.crc32 - before.crc32).toBe(0);
  });

  it("prepares only frames due within the horizon", () => {
    const { runtime, calls } = countingRuntime();
    const { sim, seen, cbr } = rig({ runtime });
    const before = calls.crc32Batch;
    // One frame per ms (1000 bytes at 8 Mbit/s); horizon 5 ms: batches of 5, not 64.
    cbr({ rate: 8e6, frameSize: 1000, count: 50, horizon: "5ms" });
    sim.scheduler.runToIdle();
    expect(seen.map((s) => s.time)).toEqual(Array.from({ length: 50 }, (_, k) => k * 1e6));
    expect(calls.crc32Batch - before).toBe(10);
  });

  it("stops before the stop time or after count frames, and goes Idle -> Running -> Done", () => {
    const { sim, seen, cbr } = rig();
    const a = cbr({ rate: 8e6, frameSize: 100, start: 500, stop: 100_500 }); // 100 us period
    const b = cbr({ rate: 8e6, frameSize: 100, count: 3 });
    const none = cbr({ count: 0 });
    expect(a.state).toBe(SourceState.Idle);
    expect(none.stateName).toBe("Done");
    sim.scheduler.run(400);
    expect(a.stateName).toBe("Idle");
    expect(b.stateName).toBe("Running");
    sim.scheduler.runToIdle();
    expect(a.stateName).toBe("Done");
    expect(b.stateName).toBe("Done");
    expect(seen.filter((s) => s.flow === 0).map((s) => s.time)).toEqual([500]);
    expect(seen.filter((s) => s.flow === 1).length).toBe(3);
    expect(a.stop()).toBe(false);
  });

  it("stop() releases the frames it prepared ahead and cancels its timer", () => {
    const { sim, cbr } = rig();
    const src = cbr({ rate: 1e9, frameSize: 100, batch: 64 });
    sim.scheduler.run(10_000); // 800 ns period: a batch is in hand
    expect(src.stats().prepared).toBe(51);
    expect(sim.frames.stats().inUse).toBe(src.stats().prepared);
    expect(src.stop()).toBe(true);
    expect(sim.frames.stats().inUse).toBe(0);
    expect(sim.scheduler.queue.size).toBe(0);
    sim.scheduler.runToIdle();
    expect(src.stats()).toMatchObject({ state: "Done", prepared: 0, frames: 13, nextSequence: 64 });
  });

  it("counts NO_SLOT drops when the store is exhausted, skips their sequence numbers and continues", () => {
    const { sim, seen, cbr } = rig({ frameSlots: 16 });
    const held: number[] = [];
    for (let i = 0; i < 16; i++) held.push(sim.frames.alloc(0, 0));
    const src = cbr({ rate: 8e6, frameSize: 100, count: 20 }); // one frame per 100 us
    // Free the slots at 550 us: frames 0..5 find none.
    sim.register("freer", {
      handleEvent: () => {
        for (const f of held) sim.frames.release(f);
      },
    });
    sim.scheduler.scheduleAt(sim.idOf("freer"), 550_000, sim.idOf("freer"), 16, 0, 0, 0);
    sim.scheduler.runToIdle();
    expect(src.stats()).toMatchObject({ state: "Done", frames: 14, drops: { NO_SLOT: 6 }, nextSequence: 20 });
    expect(seen.map((s) => s.seq)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(seen.map((s) => s.time)).toEqual(seen.map((s) => s.seq * 100_000));
  });

  it("hands frames to a Down NIC, which drops and counts them", () => {
    const { sim, nic, cbr } = rig();
    nic.setDown();
    const src = cbr({ count: 10 });
    sim.scheduler.runToIdle();
    expect(src.stats().frames).toBe(10);
    expect(nic.trace[0]!.macTxDrop.byReason[DropReason.NOT_ATTACHED]).toBe(10);
  });

  it("refuses bad options with NetloomError naming the argument", () => {
    const { sim, cbr } = rig();
    expect(() => cbr({ rate: -5 })).toThrow(/a\.source0\.rate: -5 is not a bit rate/);
    expect(() => cbr({ rate: "10 Gbs", name: "s" })).toThrow(/s\.rate: "10 Gbs" is not a bit rate/);
    expect(() => cbr({ rate: 0, name: "s" })).toThrow(/s\.rate/);
    expect(() => cbr({ frameSize: 63, name: "s" })).toThrow(/s\.frameSize: 63 is not a frame size/);
    expect(() => cbr({ frameSize: 1519, name: "s" })).toThrow(/s\.frameSize/);
    expect(() => cbr({ dst: "zz", name: "s" })).toThrow(/s\.dst: "zz" is not a MAC address/);
    expect(() => cbr({ etherType: 1500, name: "s" })).toThrow(/s\.etherType/);
    expect(() => cbr({ start: 10, stop: 5, name: "s" })).toThrow(/s\.stop: 5 ns is before the start/);
    expect(() => cbr({ batch: 257, name: "s" })).toThrow(/s\.batch/);
    expect(() => cbr({ count: -1, name: "s" })).toThrow(/s\.count/);
    expect(() => cbr({ start: -1, name: "s" })).toThrow(/s\.start/);
    cbr({ name: "s", count: 1 });
    expect(() => cbr({ name: "s" })).toThrow(/already a device named "s"/);
    sim.scheduler.runToIdle();
  });
});

describe("PoissonSource", () => {
  it("has the configured mean rate and exponential gaps over 1 simulated second", () => {
    const { sim, nic, entry } = rig({ capture: false, frameSlots: 256 });
    const times: number[] = [];
    nic.trace[0]!.macTx.subscribe((t) => times.push(t));
    const src = new PoissonSource(nic, { dst: B, frameSize: 500, rate: "20Mbps" }); // 5000 frames/s
    entry.sources.push(src);
    sim.scheduler.run(1e9);
    // Count ~ Poisson(5000): sd 71, so 5% is 3.5 sd.
    expect(times.length).toBeGreaterThan(4750);
    expect(times.length).toBeLessThan(5250);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    expect(mean / 200_000).toBeGreaterThan(0.95);
    expect(mean / 200_000).toBeLessThan(1.05);
    expect(sd / mean).toBeGreaterThan(0.93); // exponential: coefficient of variation 1
    expect(sd / mean).toBeLessThan(1.07);
    // Memoryless: about e^-1 of the gaps exceed the mean.
    const above = gaps.filter((g) => g > 200_000).length / gaps.length;
    expect(Math.abs(above - Math.exp(-1))).toBeLessThan(0.03);
    expect(src.stats().frames).toBe(times.length);
  });

  it("is deterministic per seed and stream, and independent of other sources", () => {
    function run(seed: number, extra: boolean) {
      const { sim, seen, poisson, cbr } = rig({ seed });
      if (extra) cbr({ name: "other", count: 100 });
      poisson({ name: "p", count: 500, rate: 1e8 });
      sim.scheduler.runToIdle();
      return {
        times: seen.filter((s) => s.flow === (extra ? 1 : 0)).map((s) => s.time),
        fingerprint: sim.scheduler.fingerprint.toString(),
      };
    }
    const one = run(3, false);
    expect(run(3, false)).toEqual(one);
    expect(run(4, false).times).not.toEqual(one.times);
    // Adding a source does not shift this one's random stream.
    expect(run(3, true).times).toEqual(one.times);
  });
});
