import { afterEach, describe, expect, it } from "vitest";
import { NetloomError } from "../../src/base/errors.js";
import { FRAME_CORRUPTED, FRAME_FCS_VALID } from "../../src/buf/frames.js";
import { Device, EV_DEVICE_BASE, EV_FRAME_RX } from "../../src/devices/device.js";
import { PointToPointLink, type LinkOptions } from "../../src/devices/link.js";
import { Simulation } from "../../src/engine/simulation.js";
import { crc32, crc32At } from "../../src/kernels/checksum.js";

const sims: Simulation[] = [];
function simulation(seed = 1, frameSlots = 128): Simulation {
  const sim = new Simulation({ seed, frameSlots });
  sims.push(sim);
  return sim;
}
afterEach(() => {
  for (const sim of sims.splice(0)) {
    expect(sim.frames.leaks()).toEqual([]);
    sim.destroy();
  }
});

interface Arrival {
  time: number;
  len: number;
  /** Sequence number the source wrote into bytes 0..3. */
  seq: number;
  flags: number;
}

/** Far end: records each arrival, lets a test look at the bytes, then releases the frame. */
class Sink extends Device {
  readonly arrivals: Arrival[] = [];
  inspect: ((frame: number, bytes: Uint8Array) => void) | undefined;

  constructor(sim: Simulation, name: string) {
    super(sim, name, 1);
  }

  handleEvent(kind: number, a: number, b: number, len: number): void {
    // Plain checks: expect() per frame would dominate the run time of the 20,000-frame tests.
    if (kind !== EV_FRAME_RX || b !== 0) throw new Error(`unexpected event ${kind} on port ${b}`);
    const frames = this.sim.frames;
    const bytes = frames.bytes(a);
    if (bytes.length !== len) throw new Error(`event length ${len} but frame length ${bytes.length}`);
    const seq = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    this.arrivals.push({ time: this.sim.now, len, seq, flags: frames.flags[a]! });
    this.inspect?.(a, bytes);
    frames.release(a);
  }
}

/** Fills a frame: sequence number, a pattern derived from it, then a valid Ethernet FCS. */
function fillFrame(sim: Simulation, frame: number, seq: number, len: number): void {
  const bytes = sim.frames.bytes(frame);
  bytes[0] = seq >>> 24;
  bytes[1] = (seq >>> 16) & 0xff;
  bytes[2] = (seq >>> 8) & 0xff;
  bytes[3] = seq & 0xff;
  for (let i = 4; i < len - 4; i++) bytes[i] = (seq * 31 + i * 7) & 0xff;
  const fcs = crc32At(sim.frames.offset(frame), len - 4);
  new DataView(bytes.buffer, bytes.byteOffset + len - 4, 4).setUint32(0, fcs, true);
  sim.frames.flags[frame] = FRAME_FCS_VALID;
}

function expectedByte(seq: number, i: number): number {
  if (i < 4) return (seq >>> (24 - 8 * i)) & 0xff;
  return (seq * 31 + i * 7) & 0xff;
}

function makeFrame(sim: Simulation, seq: number, len: number): number {
  const f = sim.frames.alloc(64, sim.now);
  if (f < 0) throw new Error("test ran out of frame slots");
  sim.frames.setLength(f, len);
  fillFrame(sim, f, seq, len);
  return f;
}

/** Sends `count` frames of `len` bytes, one every `interval` ns, into its port's channel. */
class Source extends Device {
  sent = 0;
  private count = 0;
  private interval = 0;
  private len = 0;

  constructor(sim: Simulation, name: string) {
    super(sim, name, 1);
  }

  start(count: number, interval: number, len: number, at = 0): void {
    this.count = this.sent + count;
    this.interval = interval;
    this.len = len;
    this.sim.scheduler.scheduleAt(this.id, at, this.id, EV_DEVICE_BASE, 0, 0, 0);
  }

  handleEvent(kind: number): void {
    if (kind !== EV_DEVICE_BASE) throw new Error(`unexpected event ${kind}`);
    const port = this.ports[0]!;
    port.channel.transmit(port.end, makeFrame(this.sim, this.sent++, this.len));
    if (this.sent < this.count) this.sim.scheduler.schedule(this.id, this.interval, this.id, EV_DEVICE_BASE, 0, 0, 0);
  }
}

interface Bench {
  sim: Simulation;
  link: PointToPointLink;
  src: Source;
  sink: Sink;
}

function bench(options: LinkOptions, seed = 1, frameSlots = 128): Bench {
  const sim = simulation(seed, frameSlots);
  const link = new PointToPointLink(sim, "l0", options);
  const src = new Source(sim, "src");
  const sink = new Sink(sim, "sink");
  src.attach(0, link, 0);
  sink.attach(0, link, 1);
  return { sim, link, src, sink };
}

/** |measured - expected| within k standard deviations of a binomial(n, p) count. */
function expectBinomial(count: number, n: number, p: number, k = 4): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(count - n * p)).toBeLessThanOrEqual(k * sd);
}

describe("point-to-point link: timing and state machine", () => {
  it("serializes with preamble and inter-frame gap, then propagates", () => {
    const { sim, link, src, sink } = bench({ rate: "1Gbps", delay: "5us" });
    expect(link.serializationNs(1500)).toBe(12_160);
    expect(link.serializationNs(64)).toBe(672);
    src.start(1, 0, 1500);
    sim.scheduler.runToIdle();
    expect(sink.arrivals).toEqual([{ time: 12_160 + 5_000, len: 1500, seq: 0, flags: FRAME_FCS_VALID }]);
  });

  it("rounds serialization up to whole ns, exactly, for odd rates", () => {
    const sim = simulation();
    const atm = new PointToPointLink(sim, "oc3", { rate: "155.52Mbps", overheadBytes: 0 });
    // 424 bits / 155.52 Mbit/s = 2726.337... ns
    expect(atm.serializationNs(53)).toBe(2727);
    const ten = new PointToPointLink(sim, "10m", { rate: 10e6 });
    expect(ten.serializationNs(64)).toBe(67_200);
    const third = new PointToPointLink(sim, "third", { rate: 3e9, overheadBytes: 0 });
    expect(third.serializationNs(3)).toBe(8); // 24 bits / 3 Gbit/s = 8 ns exactly
    expect(third.serializationNs(1)).toBe(3); // 8 / 3 = 2.67 -> 3
  });

  it("sends back-to-back frames one serialization apart, through Idle -> Transmitting -> Idle", () => {
    const { sim, link, sink } = bench({ rate: "1Gbps", delay: "5us" });
    const begins: number[] = [];
    link.trace[0].phyTxBegin.subscribe((t) => begins.push(t));
    expect(link.state(0)).toBe("Idle");
    for (let i = 0; i < 3; i++) expect(link.transmit(0, makeFrame(sim, i, 1500))).toBe(true);
    expect(link.state(0)).toBe("Transmitting");
    expect(link.queueLength(0)).toBe(2);
    expect(link.state(1)).toBe("Idle"); // the other direction is independent
    sim.scheduler.runUntil(12_160);
    expect(link.queueLength(0)).toBe(1);
    sim.scheduler.runToIdle();
    expect(link.state(0)).toBe("Idle");
    expect(begins).toEqual([0, 12_160, 24_320]);
    expect(sink.arrivals.map((a) => a.time)).toEqual([17_160, 29_320, 41_480]);
    expect(sink.arrivals.map((a) => a.seq)).toEqual([0, 1, 2]);
    const s = link.stats(0);
    expect(s.frames).toBe(3);
    expect(s.delivered).toBe(3);
    expect(s.busyNs).toBe(3 * 12_160);
    expect(s.queueHighWater).toBe(2);
  });

  it("is full duplex: both directions transmit at the same time", () => {
    const sim = simulation();
    const link = new PointToPointLink(sim, "l0", { rate: "1Gbps", delay: 1000 });
    const a = new Sink(sim, "a");
    const b = new Sink(sim, "b");
    a.attach(0, link, 0);
    b.attach(0, link, 1);
    link.transmit(0, makeFrame(sim, 1, 100));
    link.transmit(1, makeFrame(sim, 2, 100));
    expect(link.state(0)).toBe("Transmitting");
    expect(link.state(1)).toBe("Transmitting");
    sim.scheduler.runToIdle();
    expect(b.arrivals.map((x) => [x.time, x.seq])).toEqual([[1960, 1]]);
    expect(a.arrivals.map((x) => [x.time, x.seq])).toEqual([[1960, 2]]);
    expect(link.trace[0].phyRxEnd.frames).toBe(1);
    expect(link.trace[1].phyRxEnd.frames).toBe(1);
  });

  it("drops at the tail when the frame limit is reached and counts QUEUE_FULL", () => {
    const { sim, link, sink } = bench({ rate: "1Gbps", queueLimit: 3 });
    const results: boolean[] = [];
    for (let i = 0; i < 10; i++) results.push(link.transmit(0, makeFrame(sim, i, 1000)));
    // One on the wire, three waiting, six refused.
    expect(results).toEqual([true, true, true, true, false, false, false, false, false, false]);
    sim.scheduler.runToIdle();
    expect(sink.arrivals.map((a) => a.seq)).toEqual([0, 1, 2, 3]);
    const s = link.stats(0);
    expect(s.drops).toEqual({ QUEUE_FULL: 6 });
    expect(link.trace[0].macTx.frames).toBe(4);
    expect(link.trace[0].macTxDrop.byReason[1]).toBe(6);
    expect(s.queueHighWater).toBe(3);
  });

  it("drops at the tail when the byte limit is reached", () => {
    const { sim, link, sink } = bench({ rate: "1Gbps", queueLimitBytes: 3500 });
    for (let i = 0; i < 6; i++) link.transmit(0, makeFrame(sim, i, 1500));
    sim.scheduler.runToIdle();
    expect(sink.arrivals.length).toBe(3); // 1 on the wire + 2 * 1500 bytes waiting
    expect(link.stats(0).drops).toEqual({ QUEUE_FULL: 3 });
  });

  it("reports busy time and utilisation", () => {
    const { sim, link, src } = bench({ rate: "100Mbps", delay: "1us" });
    // 1000-byte frames take 81,600 ns at 100 Mbit/s; one every 163,200 ns is 50% load.
    src.start(100, 163_200, 1000);
    sim.scheduler.run(100 * 163_200);
    const s = link.stats(0);
    expect(s.frames).toBe(100);
    expect(s.bytes).toBe(100_000);
    expect(s.busyNs).toBe(100 * 81_600);
    expect(s.utilisation).toBeCloseTo(0.5, 9);
    expect(link.stats(1).utilisation).toBe(0);
  });
});

describe("point-to-point link: faults", () => {
  const N = 20_000;
  // 1000-byte frames every 10 us on a 1 Gbit/s link: the queue never builds up.
  const INTERVAL = 10_000;

  it("loses frames at random at the configured rate", () => {
    const { sim, link, src, sink } = bench({ rate: "1Gbps", delay: "2us", faults: { loss: 0.1 } }, 11);
    src.start(N, INTERVAL, 1000);
    sim.scheduler.runToIdle();
    const lost = link.stats(0).drops["LOSS_RANDOM"] ?? 0;
    expect(lost + sink.arrivals.length).toBe(N);
    expectBinomial(lost, N, 0.1);
    expect(link.trace[0].phyRxDrop.frames).toBe(lost);
  });

  it("loses frames in Gilbert-Elliott bursts: average p/(p+r), mean burst 1/r", () => {
    const p = 0.01;
    const r = 0.2;
    const n = 50_000;
    const { sim, link, src, sink } = bench({ rate: "1Gbps", faults: { burstLoss: { p, r } } }, 12);
    src.start(n, INTERVAL, 100);
    sim.scheduler.runToIdle();
    const lost = link.stats(0).drops["LOSS_BURST"] ?? 0;
    expect(lost + sink.arrivals.length).toBe(n);
    const rate = lost / n;
    const expected = p / (p + r); // 0.0476
    expect(Math.abs(rate - expected) / expected).toBeLessThan(0.15);
    // Bursts: runs of consecutive missing sequence numbers.
    const received = new Uint8Array(n);
    for (const a of sink.arrivals) received[a.seq] = 1;
    let bursts = 0;
    for (let i = 0; i < n; i++) if (received[i] === 0 && (i === 0 || received[i - 1] === 1)) bursts++;
    const meanBurst = lost / bursts;
    expect(Math.abs(meanBurst - 1 / r) / (1 / r)).toBeLessThan(0.15);
    // Independent loss at the same average would give bursts of about 1.05.
    expect(meanBurst).toBeGreaterThan(3);
  });

  it("loses some frames in the good state too when lossInGood > 0", () => {
    const { sim, link, src } = bench(
      { rate: "1Gbps", faults: { burstLoss: { p: 0.05, r: 0.45, lossInBad: 0.5, lossInGood: 0.02 } } },
      13,
    );
    src.start(N, INTERVAL, 100);
    sim.scheduler.runToIdle();
    const lost = link.stats(0).drops["LOSS_BURST"] ?? 0;
    const expected = 0.1 * 0.5 + 0.9 * 0.02; // P(bad) = 0.05 / 0.5
    expect(Math.abs(lost / N - expected) / expected).toBeLessThan(0.15);
  });

  it("flips real bits at the bit error rate, and the FCS check catches every corrupted frame", () => {
    const ber = 1e-5;
    const len = 1000;
    const { sim, link, src, sink } = bench({ rate: "1Gbps", faults: { ber } }, 14);
    let flipped = 0;
    let fcsFailures = 0;
    let corruptedSeen = 0;
    const popcount = (v: number): number => {
      let n = 0;
      for (let x = v >>> 0; x !== 0; x >>>= 1) n += x & 1;
      return n;
    };
    const orig = new Uint8Array(len - 4);
    sink.inspect = (frame, bytes) => {
      const seq = sink.arrivals.length - 1; // no loss or reordering here: arrival order = sequence
      for (let i = 0; i < len - 4; i++) orig[i] = expectedByte(seq, i);
      let diff = 0;
      for (let i = 0; i < len - 4; i++) diff += popcount(bytes[i]! ^ orig[i]!);
      const stored = new DataView(bytes.buffer, bytes.byteOffset + len - 4, 4).getUint32(0, true);
      // Bits flipped in the FCS field itself show against the CRC of the bytes that were sent.
      diff += popcount(crc32(orig) ^ stored);
      flipped += diff;
      // The receiver's check: CRC over the delivered bytes against the delivered FCS.
      const fcs = crc32At(sim.frames.offset(frame), len - 4);
      const wasCorrupted = (sim.frames.flags[frame]! & FRAME_CORRUPTED) !== 0;
      if (wasCorrupted) corruptedSeen++;
      if (fcs !== stored) fcsFailures++;
      if (wasCorrupted !== diff > 0 || wasCorrupted !== (fcs !== stored)) {
        throw new Error(`frame ${seq}: corrupted flag ${wasCorrupted}, ${diff} bits flipped, FCS ok ${fcs === stored}`);
      }
      // A corrupted frame no longer claims a valid FCS, so a receiver cannot skip the check.
      const fcsValid = (sim.frames.flags[frame]! & FRAME_FCS_VALID) !== 0;
      if (fcsValid === wasCorrupted)
        throw new Error(`frame ${seq}: FCS_VALID ${fcsValid} on a corrupted=${wasCorrupted} frame`);
    };
    src.start(N, INTERVAL, len);
    sim.scheduler.runToIdle();
    const s = link.stats(0);
    expect(sink.arrivals.length).toBe(N);
    const bits = N * len * 8;
    expect(flipped).toBe(s.flippedBits);
    expectBinomial(flipped, bits, ber);
    expect(corruptedSeen).toBe(s.corrupted);
    expect(fcsFailures).toBe(s.corrupted);
    // P(frame hit) = 1 - (1 - ber)^8000
    expectBinomial(s.corrupted, N, 1 - Math.pow(1 - ber, len * 8));
  });

  it("corrupts a shared frame through copy-on-write, leaving the other holder's bytes alone", () => {
    const { sim, link, sink } = bench({ rate: "1Gbps", faults: { ber: 0.01 } }, 15);
    const f = makeFrame(sim, 5, 200);
    sim.frames.retain(f); // someone else (a flooding switch) still holds it
    link.transmit(0, f);
    sim.scheduler.runToIdle();
    expect(link.stats(0).corrupted).toBe(1); // 1600 bits at 1e-2: certainly hit
    expect(sink.arrivals[0]!.flags & FRAME_CORRUPTED).toBe(FRAME_CORRUPTED);
    const mine = sim.frames.bytes(f);
    for (let i = 4; i < 196; i++) expect(mine[i]).toBe(expectedByte(5, i));
    expect(sim.frames.flags[f]! & FRAME_FCS_VALID).toBe(FRAME_FCS_VALID);
    sim.frames.release(f);
  });

  it("drops with NO_SLOT when a shared frame needs a copy and no slot is free", () => {
    const { sim, link, sink } = bench({ rate: "1Gbps", faults: { ber: 0.01 } }, 15, 2);
    const f = makeFrame(sim, 5, 200);
    const other = makeFrame(sim, 6, 200); // the store (2 slots) is now full
    sim.frames.retain(f);
    link.transmit(0, f);
    sim.scheduler.runToIdle();
    expect(sink.arrivals.length).toBe(0);
    expect(link.stats(0).drops).toEqual({ NO_SLOT: 1 });
    sim.frames.release(f);
    sim.frames.release(other);
  });

  it("duplicates frames at the configured rate", () => {
    const { sim, link, src, sink } = bench({ rate: "1Gbps", delay: 500, faults: { duplicate: 0.05 } }, 16);
    src.start(N, INTERVAL, 500);
    sim.scheduler.runToIdle();
    const s = link.stats(0);
    expect(sink.arrivals.length).toBe(N + s.duplicates);
    expectBinomial(s.duplicates, N, 0.05);
    const counts = new Uint8Array(N);
    for (const a of sink.arrivals) counts[a.seq]!++;
    let twice = 0;
    for (const c of counts) {
      expect(c === 1 || c === 2).toBe(true);
      if (c === 2) twice++;
    }
    expect(twice).toBe(s.duplicates);
    expect(s.delivered).toBe(N + s.duplicates);
  });

  it("reorders: held-back frames are overtaken by later ones", () => {
    const { sim, link, src, sink } = bench(
      { rate: "1Gbps", delay: "1us", faults: { reorder: { probability: 0.05, delay: "35us" } } },
      17,
    );
    src.start(N, INTERVAL, 500);
    sim.scheduler.runToIdle();
    const s = link.stats(0);
    expectBinomial(s.reordered, N, 0.05);
    expect(sink.arrivals.length).toBe(N);
    // Every frame arrives once; a held-back frame lands after the next three or four.
    const seen = new Uint8Array(N);
    let outOfOrder = 0;
    let maxSeq = -1;
    for (const a of sink.arrivals) {
      seen[a.seq]!++;
      if (a.seq < maxSeq) outOfOrder++;
      else maxSeq = a.seq;
    }
    expect(seen.every((c) => c === 1)).toBe(true);
    // A held-back frame is late unless the frames after it were held back too (rare).
    expect(outOfOrder).toBeGreaterThan(0.9 * s.reordered);
    expect(outOfOrder).toBeLessThanOrEqual(s.reordered);
    // Arrival times are still non-decreasing: reordering never delivers into the past.
    for (let i = 1; i < sink.arrivals.length; i++) {
      expect(sink.arrivals[i]!.time).toBeGreaterThanOrEqual(sink.arrivals[i - 1]!.time);
    }
  });
});

describe("point-to-point link: down and up", () => {
  it("follows a down/up schedule: loses the frame on the wire, frames in flight and the queue", () => {
    // 1000-byte frames take 8160 ns at 1 Gbit/s; propagation 20 us.
    const { sim, link, src, sink } = bench({
      rate: "1Gbps",
      delay: "20us",
      schedule: [
        { at: "100us", state: "down" },
        { at: "200us", state: "up" },
      ],
    });
    const downAt = 100_000;
    // A burst at 90 us: 10 frames back to back, so at 100 us one is on the wire and 8 wait.
    src.start(10, 0, 1000, 90_000);
    sim.scheduler.runUntil(downAt - 1);
    expect(link.state(0)).toBe("Transmitting");
    sim.scheduler.runUntil(downAt);
    expect(link.state(0)).toBe("Down");
    expect(link.state(1)).toBe("Down");
    expect(link.isUp).toBe(false);
    expect(link.transmit(0, makeFrame(sim, 99, 100))).toBe(false);
    sim.scheduler.runUntil(200_000);
    expect(link.state(0)).toBe("Idle");
    src.start(3, 10_000, 1000, 210_000);
    sim.scheduler.runToIdle();
    // Frame 0 (tx end 98,160) would arrive at 118,160, after the down: lost when it left.
    // Frame 1 was on the wire at the down; frames 2..9 waited in the queue.
    const s = link.stats(0);
    expect(s.drops).toEqual({ LINK_DOWN: 1 + 1 + 8 + 1 });
    expect(link.trace[0].phyRxDrop.byReason[2]).toBe(2);
    expect(link.trace[0].macTxDrop.byReason[2]).toBe(9);
    expect(sink.arrivals.map((a) => a.seq)).toEqual([10, 11, 12]);
    expect(sink.arrivals[0]!.time).toBe(210_000 + 8160 + 20_000);
    expect(s.busyNs).toBe(8160 + (downAt - 98_160) + 3 * 8160);
  });

  it("takes back deliveries already handed over when setDown comes later", () => {
    const { sim, link, src, sink } = bench({ rate: "1Gbps", delay: "1ms" });
    src.start(20, 10_000, 1000);
    sim.scheduler.runUntil(250_000); // all 20 frames are propagating (arrivals from 1,008,160 ns)
    expect(link.trace[0].phyRxEnd.frames).toBe(20);
    link.setDown(300_000);
    link.setUp("1.5ms");
    sim.scheduler.runToIdle();
    expect(sink.arrivals.length).toBe(0);
    expect(link.stats(0).drops).toEqual({ LINK_DOWN: 20 });
    expect(link.trace[0].phyRxEnd.frames).toBe(0);
    expect(link.trace[0].phyRxEnd.bytes).toBe(0);
    expect(link.trace[0].sniffer.frames).toBe(0);
    expect(link.state(0)).toBe("Idle");
  });

  it("keeps frames that arrive before the down", () => {
    const { sim, link, src, sink } = bench({ rate: "1Gbps", delay: "1us" });
    link.setDown(50_000);
    src.start(10, 10_000, 1000);
    sim.scheduler.runToIdle();
    // Sent at 0, 10, 20, 30, 40 us arrive by 49,160 ns; the 50 us one is refused.
    expect(sink.arrivals.map((a) => a.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(link.stats(0).drops).toEqual({ LINK_DOWN: 5 });
    expect(link.trace[0].macTxDrop.byReason[2]).toBe(5);
  });
});

describe("point-to-point link: misuse", () => {
  it("throws NetloomError naming the bad argument", () => {
    const sim = simulation();
    expect(() => new PointToPointLink(sim, "a", { rate: -5 })).toThrow("a.rate: -5 is not a bit rate");
    expect(() => new PointToPointLink(sim, "b", { rate: "10 Gbs" })).toThrow(/b\.rate: "10 Gbs" is not a bit rate/);
    expect(() => new PointToPointLink(sim, "c", { rate: 1e9, delay: -1 })).toThrow(/c\.delay: -1 is not a duration/);
    expect(() => new PointToPointLink(sim, "d", { rate: 1e9, queueLimit: 1.5 })).toThrow(/d\.queueLimit/);
    expect(() => new PointToPointLink(sim, "e", { rate: 1e9, faults: { loss: 2 } })).toThrow(
      /e\.faults\.loss: 2 is not a probability/,
    );
    expect(() => new PointToPointLink(sim, "f", { rate: 1e9, faults: { burstLoss: { p: 0.1, r: -1 } } })).toThrow(
      /f\.faults\.burstLoss\.r/,
    );
    expect(() => new PointToPointLink(sim, "g", { rate: 1e9, faults: { ber: 1 } })).toThrow(/g\.faults\.ber/);
    expect(
      () => new PointToPointLink(sim, "h", { rate: 1e9, schedule: [{ at: "1ms", state: "sideways" as "up" }] }),
    ).toThrow(/h\.schedule\[0\]\.state/);
    expect(() => new PointToPointLink(sim, "a2", { rate: 1e9 })).not.toThrow();
    expect(() => new PointToPointLink(sim, "a2", { rate: 1e9 })).toThrow(/already a device named "a2"/);
  });

  it("refuses unknown ends, connected ports and connected ends", () => {
    const sim = simulation();
    const link = new PointToPointLink(sim, "l0", { rate: 1e9 });
    const other = new PointToPointLink(sim, "l1", { rate: 1e9 });
    const x = new Sink(sim, "x");
    const y = new Sink(sim, "y");
    expect(() => x.attach(0, link, 2)).toThrow("end: 2 is not an end of l0 (0 or 1)");
    x.attach(0, link, 0);
    expect(() => x.attach(0, other, 0)).toThrow(/port 0 of x is already connected to l0/);
    expect(() => y.attach(0, link, 0)).toThrow(/end 0 of l0 is already connected to x port 0/);
    expect(() => link.stats(3)).toThrow(NetloomError);
    const f = makeFrame(sim, 0, 64);
    expect(() => link.transmit(-1, f)).toThrow(/-1 is not an end of l0/);
    sim.frames.release(f);
    sim.scheduler.run(1000);
    expect(() => link.setDown(500)).toThrow(/setDown: 500 ns is in the past/);
  });

  it("drops with NOT_ATTACHED when nothing is on the far end", () => {
    const sim = simulation();
    const link = new PointToPointLink(sim, "l0", { rate: 1e9 });
    const x = new Sink(sim, "x");
    x.attach(0, link, 0);
    expect(link.transmit(0, makeFrame(sim, 0, 64))).toBe(false);
    expect(link.stats(0).drops).toEqual({ NOT_ATTACHED: 1 });
  });
});

describe("point-to-point link: determinism", () => {
  function run(seed: number): { fingerprint: string; stats: unknown; arrivals: number[] } {
    const { sim, link, src, sink } = bench(
      {
        rate: "1Gbps",
        delay: "3us",
        queueLimit: 8,
        faults: {
          loss: 0.02,
          burstLoss: { p: 0.01, r: 0.3 },
          ber: 1e-6,
          duplicate: 0.02,
          reorder: { probability: 0.02, delay: "20us" },
        },
        schedule: [
          { at: "20ms", state: "down" },
          { at: "21ms", state: "up" },
        ],
      },
      seed,
    );
    // 4 us apart, 1000-byte frames (8.16 us each): the queue fills and drops too.
    src.start(5000, 4000, 1000);
    sim.scheduler.runToIdle();
    return {
      fingerprint: sim.scheduler.fingerprint.toString(),
      stats: link.stats(0),
      arrivals: sink.arrivals.map((a) => a.seq),
    };
  }

  it("gives the same counters and fingerprint for the same seed, and others for another", () => {
    const a = run(42);
    const b = run(42);
    const c = run(43);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(b.stats).toEqual(a.stats);
    expect(b.arrivals).toEqual(a.arrivals);
    expect(c.fingerprint).not.toBe(a.fingerprint);
    expect(c.stats).not.toEqual(a.stats);
    const s = a.stats as ReturnType<PointToPointLink["stats"]>;
    expect(s.drops).toMatchObject({ QUEUE_FULL: 944, LOSS_RANDOM: 84, LOSS_BURST: 152, LINK_DOWN: 3 });
    expect(s.duplicates).toBe(89);
    expect(s.reordered).toBe(73);
    expect(s.corrupted).toBe(38);
  });

  it("gives each direction its own random stream", () => {
    const sim = simulation(9);
    const link = new PointToPointLink(sim, "l0", { rate: "1Gbps", faults: { loss: 0.5 } });
    const a = new Sink(sim, "a");
    const b = new Sink(sim, "b");
    a.attach(0, link, 0);
    b.attach(0, link, 1);
    for (let i = 0; i < 64; i++) {
      link.transmit(0, makeFrame(sim, i, 100));
      link.transmit(1, makeFrame(sim, i, 100));
      sim.scheduler.runToIdle();
    }
    expect(b.arrivals.map((x) => x.seq)).not.toEqual(a.arrivals.map((x) => x.seq));
  });
});
