import { afterEach, describe, expect, it } from "vitest";
import { NetloomError } from "../../src/base/errors.js";
import { FRAME_FCS_VALID } from "../../src/buf/frames.js";
import type { Rng } from "../../src/engine/rng.js";
import { Simulation } from "../../src/engine/simulation.js";
import { CaptureChannel } from "../../src/devices/capture-channel.js";
import { EV_FRAME_RX, type Channel } from "../../src/devices/device.js";
import { EthernetNic, NicState, type EthernetNicOptions, type NicReceiver } from "../../src/devices/nic.js";
import { getRuntime, type KernelRuntime } from "../../src/kernels/runtime.js";
import { CbrSource } from "../../src/traffic/frame-source.js";
import { DropReason } from "../../src/trace/trace-point.js";
import { MAC_BROADCAST, macFromString, writeMac } from "../../src/wire/ethernet.js";
import { zlibSync } from "../support/zlib.js";
import { countingRuntime } from "../support/counting-runtime.js";

// --- harness: every test's frame store must be empty and the NICs' heap regions freed ---

const live: { sim: Simulation; nics: EthernetNic[]; stop: (() => void)[] }[] = [];
const heapBaseline = getRuntime().heap.stats().liveRegions;

function newSim(seed = 1, frameSlots = 64, runtime?: KernelRuntime) {
  const sim = new Simulation({ seed, frameSlots, ...(runtime ? { runtime } : {}) });
  const entry = { sim, nics: [] as EthernetNic[], stop: [] as (() => void)[] };
  live.push(entry);
  const nic = (name: string, options: EthernetNicOptions = {}): EthernetNic => {
    const n = new EthernetNic(sim, name, options);
    entry.nics.push(n);
    return n;
  };
  return { sim, nic, entry };
}

afterEach(() => {
  const leaks: number[][] = [];
  for (const { sim, nics, stop } of live.splice(0)) {
    for (const s of stop) s();
    for (const n of nics) n.destroy();
    leaks.push(sim.frames.leaks());
    if (leaks.at(-1)!.length === 0) sim.destroy();
  }
  for (const l of leaks) expect(l).toEqual([]);
  expect(getRuntime().heap.stats().liveRegions).toBe(heapBaseline);
});

const A = macFromString("02:00:00:00:00:0a");
const B = macFromString("02:00:00:00:00:0b");
const OTHER = macFromString("02:00:00:00:00:99");
const GROUP = macFromString("01:00:5e:00:00:fb");

/** Header + payload without FCS; payload bytes pre-filled with 0xa5 so unwritten bytes show. */
function ethBytes(dst: number, src: number, payload: number, etherType = 0x88b5): Uint8Array {
  const b = new Uint8Array(14 + payload).fill(0xa5);
  writeMac(b, 0, dst);
  writeMac(b, 6, src);
  b[12] = etherType >>> 8;
  b[13] = etherType & 0xff;
  return b;
}

/** Appends the FCS zlib computes, LSB first. */
function withFcs(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.length + 4);
  out.set(frame);
  const crc = zlibSync.crc32(frame);
  out[frame.length] = crc & 0xff;
  out[frame.length + 1] = (crc >>> 8) & 0xff;
  out[frame.length + 2] = (crc >>> 16) & 0xff;
  out[frame.length + 3] = crc >>> 24;
  return out;
}

/** A frame in the store holding `bytes`. */
function frameOf(sim: Simulation, bytes: Uint8Array): number {
  const f = sim.frames.alloc(64, sim.now);
  sim.frames.setLength(f, bytes.length);
  sim.frames.bytes(f).set(bytes);
  return f;
}

/** Receiver that keeps frames until told to consume them. */
class Holder implements NicReceiver {
  readonly frames: number[] = [];
  onFrame(_nic: EthernetNic, frame: number): void {
    this.frames.push(frame);
  }
}

/**
 * A point-to-point test wire (the real link lives elsewhere): fixed delay, random loss and
 * single-bit corruption that writes through frames.writable() as a real fault injector must.
 */
class TestWire implements Channel {
  readonly id: number;
  readonly name: string;
  lost = 0;
  corrupted = 0;
  private readonly peers: { device: number; port: number }[] = [];
  private readonly rng: Rng;

  constructor(
    private readonly sim: Simulation,
    name: string,
    private readonly delay: number,
    private readonly loss = 0,
    private readonly corrupt = 0,
  ) {
    this.name = name;
    this.id = sim.register(name, { handleEvent: () => undefined });
    this.rng = sim.scheduler.rng(`link:${name}`);
  }

  connect(end: number, device: number, port: number): void {
    this.peers[end] = { device, port };
  }

  transmit(end: number, frame: number): boolean {
    const frames = this.sim.frames;
    const peer = this.peers[1 - end];
    if (peer === undefined || (this.loss > 0 && this.rng.bernoulli(this.loss))) {
      this.lost++;
      frames.release(frame);
      return false;
    }
    if (this.corrupt > 0 && this.rng.bernoulli(this.corrupt)) {
      const f = frames.writable(frame); // clears FRAME_FCS_VALID
      const bit = this.rng.nextBelow(frames.length[f]! * 8);
      frames.bytes(f)[bit >>> 3]! ^= 1 << (bit & 7);
      this.corrupted++;
      frame = f;
    }
    this.sim.scheduler.schedule(this.id, this.delay, peer.device, EV_FRAME_RX, frame, peer.port, frames.length[frame]!);
    return true;
  }
}

function rxDrop(nic: EthernetNic, reason: number): number {
  return nic.trace[0]!.phyRxDrop.byReason[reason]!;
}
function txDrop(nic: EthernetNic, reason: number): number {
  return nic.trace[0]!.macTxDrop.byReason[reason]!;
}

describe("EthernetNic transmit", () => {
  it("pads to 60 bytes with zeros and appends the FCS zlib computes, LSB first", () => {
    const { sim, nic } = newSim();
    const a = nic("a", { mac: A });
    const cap = new CaptureChannel(sim, "cap");
    a.attach(0, cap, 0);
    let flagged = -1;
    a.trace[0]!.macTx.subscribe((_t, frame) => {
      flagged = sim.frames.flags[frame]! & FRAME_FCS_VALID;
    });
    const short = ethBytes(B, A, 6); // 20 bytes: padded with 40 zeros
    const long = ethBytes(B, A, 1000);
    expect(a.send(frameOf(sim, short))).toBe(true);
    expect(flagged).toBe(FRAME_FCS_VALID);
    expect(a.send(frameOf(sim, long))).toBe(true);
    sim.scheduler.runToIdle();

    const padded = new Uint8Array(60);
    padded.set(short);
    expect(cap.sent[0]!.bytes).toEqual(withFcs(padded));
    expect(cap.sent[1]!.bytes).toEqual(withFcs(long));
    // The first bytes of the FCS on the wire are the CRC's low byte.
    const crc = zlibSync.crc32(long);
    expect(cap.sent[1]!.bytes[1014]).toBe(crc & 0xff);
    expect(a.stats()).toMatchObject({ txFrames: 2, txBytes: 64 + 1018 });
  });

  it("sendBatch matches zlib on every frame with one crc32Batch call per 256 frames", () => {
    const { runtime, calls } = countingRuntime();
    const { sim, nic } = newSim(1, 512, runtime);
    const a = nic("a", { mac: A });
    const cap = new CaptureChannel(sim, "cap");
    a.attach(0, cap, 0);
    const sizes = [14, 15, 59, 60, 61, 100, 1000, 1514];
    const ids = new Int32Array(300);
    const expected: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) {
      const bytes = ethBytes(B, A, sizes[i % sizes.length]! - 14);
      bytes[20 % bytes.length] = i & 0xff;
      ids[i] = frameOf(sim, bytes);
      const padded = new Uint8Array(Math.max(60, bytes.length));
      padded.set(bytes);
      expected.push(withFcs(padded));
    }
    const before = { ...calls };
    expect(a.sendBatch(ids, 300)).toBe(300);
    expect(calls.crc32Batch - before.crc32Batch).toBe(2);
    expect(calls.crc32 - before.crc32).toBe(0);
    expect(cap.sent.map((s) => s.bytes)).toEqual(expected);
    expect(a.stats().txFrames).toBe(300);
  });

  it("drops and counts what it cannot send: no channel, Down, runt, too long", () => {
    const { sim, nic } = newSim();
    const a = nic("a", { mac: A });
    expect(a.send(frameOf(sim, ethBytes(B, A, 50)))).toBe(false);
    expect(txDrop(a, DropReason.NOT_ATTACHED)).toBe(1);

    const cap = new CaptureChannel(sim, "cap");
    a.attach(0, cap, 0);
    expect(a.send(frameOf(sim, new Uint8Array(13)))).toBe(false);
    expect(txDrop(a, DropReason.RUNT)).toBe(1);
    expect(a.send(frameOf(sim, ethBytes(B, A, 1501)))).toBe(false); // 1515 + FCS > 1518
    expect(txDrop(a, DropReason.TOO_LONG)).toBe(1);
    expect(a.send(frameOf(sim, ethBytes(B, A, 1504, 0x8100)))).toBe(true); // tagged: 1518 + 4 = 1522
    expect(a.send(frameOf(sim, ethBytes(B, A, 1505, 0x8100)))).toBe(false);
    expect(txDrop(a, DropReason.TOO_LONG)).toBe(2);

    a.setDown();
    const ids = new Int32Array([frameOf(sim, ethBytes(B, A, 50)), frameOf(sim, ethBytes(B, A, 50))]);
    expect(a.sendBatch(ids, 2)).toBe(0);
    expect(txDrop(a, DropReason.NOT_ATTACHED)).toBe(3);
    expect(cap.sent.length).toBe(1);
    expect(a.stats().txDrops).toEqual({ NOT_ATTACHED: 3, RUNT: 1, TOO_LONG: 2 });
  });

  it("copies a shared frame before padding it, leaving the other holder's bytes alone", () => {
    const { sim, nic } = newSim();
    const a = nic("a", { mac: A });
    const cap = new CaptureChannel(sim, "cap");
    a.attach(0, cap, 0);
    const bytes = ethBytes(B, A, 10);
    const f = frameOf(sim, bytes);
    sim.frames.retain(f); // a flood: someone else holds it too
    expect(a.send(f)).toBe(true);
    expect(sim.frames.length[f]).toBe(24);
    expect(sim.frames.bytes(f)).toEqual(bytes);
    expect(cap.sent[0]!.bytes.length).toBe(64);
    sim.frames.release(f);
  });
});

describe("EthernetNic receive", () => {
  function rig(options: EthernetNicOptions = {}) {
    const h = newSim();
    const b = h.nic("b", { mac: B, ...options });
    const cap = new CaptureChannel(h.sim, "cap");
    b.attach(0, cap, 0);
    const deliver = (bytes: Uint8Array): void => {
      cap.inject(0, bytes);
      h.sim.scheduler.runToIdle();
    };
    return { ...h, b, cap, deliver };
  }

  it("accepts a good unicast frame to its own address and passes macRx", () => {
    const { b, deliver } = rig();
    deliver(withFcs(ethBytes(B, A, 46)));
    expect(b.stats()).toMatchObject({ rxFrames: 1, rxBytes: 64, rxConsumed: 1, rxBuffersInUse: 0, rxDrops: {} });
    expect(b.trace[0]!.phyRxEnd.frames).toBe(1);
    expect(b.trace[0]!.sniffer.frames).toBe(1);
  });

  it("drops runts, oversize frames (802.1Q allows 4 more bytes) and bad FCSs", () => {
    const { b, deliver } = rig();
    deliver(withFcs(ethBytes(B, A, 45))); // 63 bytes
    expect(rxDrop(b, DropReason.RUNT)).toBe(1);
    deliver(withFcs(ethBytes(B, A, 1501))); // 1519
    expect(rxDrop(b, DropReason.TOO_LONG)).toBe(1);
    deliver(withFcs(ethBytes(B, A, 1500))); // 1518
    deliver(withFcs(ethBytes(B, A, 1504, 0x8100))); // 1522 tagged
    expect(b.stats().rxFrames).toBe(2);
    deliver(withFcs(ethBytes(B, A, 1505, 0x8100))); // 1523 tagged
    expect(rxDrop(b, DropReason.TOO_LONG)).toBe(2);
    for (const bit of [0, 7, 100, 8 * 63 + 7]) {
      const bad = withFcs(ethBytes(B, A, 50));
      bad[bit >>> 3]! ^= 1 << (bit & 7);
      deliver(bad);
    }
    expect(rxDrop(b, DropReason.FCS_ERROR)).toBe(4);
    expect(b.stats()).toMatchObject({ rxFrames: 2, rxDrops: { RUNT: 1, TOO_LONG: 2, FCS_ERROR: 4 } });
  });

  it("filters unicast to other stations; accepts broadcast unless disabled", () => {
    const { b, deliver } = rig();
    deliver(withFcs(ethBytes(OTHER, A, 50)));
    expect(rxDrop(b, DropReason.ADDRESS_FILTER)).toBe(1);
    expect(b.trace[0]!.macRx.frames).toBe(0);
    deliver(withFcs(ethBytes(MAC_BROADCAST, A, 50)));
    expect(b.stats().rxFrames).toBe(1);
    b.acceptBroadcast = false;
    deliver(withFcs(ethBytes(MAC_BROADCAST, A, 50)));
    expect(rxDrop(b, DropReason.ADDRESS_FILTER)).toBe(2);
    expect(b.stats().rxFrames).toBe(1);
  });

  it("accepts a multicast group after join and not after leave", () => {
    const { b, deliver } = rig();
    deliver(withFcs(ethBytes(GROUP, A, 50)));
    expect(b.stats().rxFrames).toBe(0);
    expect(b.joinMulticast("01:00:5e:00:00:fb")).toBe(true);
    expect(b.joinMulticast(GROUP)).toBe(false); // already there: not a second entry
    expect(b.filterEntries).toBe(1);
    deliver(withFcs(ethBytes(GROUP, A, 50)));
    deliver(withFcs(ethBytes(GROUP + 1, A, 50))); // another group
    expect(b.stats().rxFrames).toBe(1);
    expect(b.leaveMulticast(GROUP)).toBe(true);
    expect(b.leaveMulticast(GROUP)).toBe(false);
    deliver(withFcs(ethBytes(GROUP, A, 50)));
    expect(b.stats()).toMatchObject({ rxFrames: 1, rxDrops: { ADDRESS_FILTER: 3 }, filterEntries: 0 });
  });

  it("matches (mask, value) pairs over the 48-bit destination", () => {
    const { b, deliver } = rig();
    b.addFilter("ff:ff:ff:00:00:00", "02:00:00:00:00:00"); // a whole OUI, crossing the 32-bit split
    deliver(withFcs(ethBytes(OTHER, A, 50)));
    deliver(withFcs(ethBytes(macFromString("03:00:00:00:00:01"), A, 50)));
    expect(b.stats().rxFrames).toBe(1);
    expect(b.removeFilter("ff:ff:ff:00:00:00", "02:00:00:00:00:00")).toBe(true);
    deliver(withFcs(ethBytes(OTHER, A, 50)));
    expect(b.stats()).toMatchObject({ rxFrames: 1, rxDrops: { ADDRESS_FILTER: 2 } });
  });

  it("promiscuous mode accepts every frame with a good FCS, and only those", () => {
    const { b, deliver } = rig({ promiscuous: true, acceptBroadcast: false });
    deliver(withFcs(ethBytes(OTHER, A, 50)));
    deliver(withFcs(ethBytes(GROUP, A, 50)));
    deliver(withFcs(ethBytes(MAC_BROADCAST, A, 50)));
    const bad = withFcs(ethBytes(OTHER, A, 50));
    bad[30]! ^= 0x10;
    deliver(bad);
    expect(b.stats()).toMatchObject({ rxFrames: 3, rxDrops: { FCS_ERROR: 1 } });
  });

  it("holds at most 64 filter entries: the 65th throws TABLE_FULL", () => {
    const { b } = rig();
    for (let i = 0; i < 64; i++) expect(b.joinMulticast(GROUP + 2 * i * 256)).toBe(true);
    let caught: unknown;
    try {
      b.addFilter(MAC_BROADCAST, OTHER);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(NetloomError);
    expect((caught as NetloomError).code).toBe("TABLE_FULL");
    expect(b.filterEntries).toBe(64);
    expect(b.leaveMulticast(GROUP)).toBe(true);
    expect(b.addFilter(MAC_BROADCAST, OTHER)).toBe(true);
  });

  it("receive buffer chain: with 2 buffers held, the third frame is dropped until consume() frees one", () => {
    const { sim, b, deliver } = rig({ rxBuffers: 2 });
    const holder = new Holder();
    b.setReceiver(holder);
    const good = withFcs(ethBytes(B, A, 50));
    deliver(good);
    deliver(good);
    expect(b.rxBuffersInUse).toBe(2);
    deliver(good);
    expect(rxDrop(b, DropReason.NO_RX_BUFFER)).toBe(1);
    expect(holder.frames.length).toBe(2);
    // The receiver owns the bytes meanwhile, FCS included.
    expect(sim.frames.bytes(holder.frames[0]!)).toEqual(good);

    b.consume(holder.frames[1]!); // out of order is fine
    expect(b.rxBuffersInUse).toBe(1);
    expect(() => b.consume(holder.frames[1]!)).toThrow(/not held in a receive buffer/);
    deliver(good);
    expect(holder.frames.length).toBe(3);
    b.consume(holder.frames[0]!);
    b.consume(holder.frames[2]!);
    expect(b.stats()).toMatchObject({
      rxFrames: 3,
      rxConsumed: 3,
      rxBuffersInUse: 0,
      rxBuffersHighWater: 2,
      rxDrops: { NO_RX_BUFFER: 1 },
    });
    b.setReceiver(undefined);
    deliver(good);
    expect(b.stats().rxConsumed).toBe(4);
  });

  it("the chain is bounded however long the receiver holds frames", () => {
    const { sim, b, cap } = rig({ rxBuffers: 8 });
    const holder = new Holder();
    b.setReceiver(holder);
    const good = withFcs(ethBytes(B, A, 50));
    for (let i = 0; i < 40; i++) cap.inject(0, good, i);
    sim.scheduler.runToIdle();
    expect(holder.frames.length).toBe(8);
    expect(rxDrop(b, DropReason.NO_RX_BUFFER)).toBe(32);
    for (const f of holder.frames) b.consume(f);
    expect(sim.frames.stats().inUse).toBe(0);
  });
});

describe("EthernetNic state machine", () => {
  it("Up -> Down -> Up; a Down NIC drops both ways", () => {
    const { sim, nic } = newSim();
    const b = nic("b", { mac: B });
    const cap = new CaptureChannel(sim, "cap");
    b.attach(0, cap, 0);
    expect(b.state).toBe(NicState.Up);
    expect(b.setUp()).toBe(false);
    expect(b.setDown()).toBe(true);
    expect(b.setDown()).toBe(false);
    expect(b.stats().state).toBe("Down");
    cap.inject(0, withFcs(ethBytes(B, A, 50)));
    sim.scheduler.runToIdle();
    expect(b.send(frameOf(sim, ethBytes(A, B, 50)))).toBe(false);
    expect(rxDrop(b, DropReason.NOT_ATTACHED)).toBe(1);
    expect(txDrop(b, DropReason.NOT_ATTACHED)).toBe(1);
    expect(b.trace[0]!.phyRxEnd.frames).toBe(0);
    expect(b.setUp()).toBe(true);
    cap.inject(0, withFcs(ethBytes(B, A, 50)));
    sim.scheduler.runToIdle();
    expect(b.send(frameOf(sim, ethBytes(A, B, 50)))).toBe(true);
    expect(b.stats()).toMatchObject({ state: "Up", rxFrames: 1, txFrames: 1 });
    const c = nic("c", { up: false });
    expect(c.stateName).toBe("Down");
  });

  it("refuses bad options with NetloomError naming them", () => {
    const { sim, nic } = newSim();
    expect(() => nic("x1", { mac: "02:00:00:00:00" })).toThrow(/x1\.mac: "02:00:00:00:00" is not a MAC address/);
    expect(() => nic("x2", { mac: GROUP })).toThrow(/x2\.mac: .* is a group address/);
    expect(() => nic("x3", { mac: -1 })).toThrow(/x3\.mac: -1 is not a 48-bit MAC/);
    expect(() => nic("x4", { rxBuffers: 0 })).toThrow(/x4\.rxBuffers: 0 is not a buffer count/);
    expect(() => nic("x5", { verifyFcs: "never" as "auto" })).toThrow(/x5\.verifyFcs/);
    const b = nic("b", { mac: B });
    expect(b.mac).toBe(B);
    expect(() => b.addFilter("ff:ff:ff:00:00:00", "02:00:00:00:00:01")).toThrow(/bits outside the mask/);
    expect(() => b.joinMulticast(OTHER)).toThrow(/not a multicast group/);
    expect(() => b.consume(3)).toThrow(NetloomError);
    expect(() => b.sendBatch(new Int32Array(2), 3)).toThrow(/count: 3 is not a frame count/);
    const dflt = nic("d");
    expect(dflt.mac).toBe(0x0200_0000_0000 + dflt.id + 1);
    expect(sim.frames.stats().inUse).toBe(0);
  });
});

describe("EthernetNic FCS verification", () => {
  /** A sends CBR frames to B over a lossy, corrupting wire; B records what it delivers. */
  function run(verifyFcs: "auto" | "always", seed: number) {
    const { sim, nic, entry } = newSim(seed, 256);
    const a = nic("a", { mac: A });
    const b = nic("b", { mac: B, verifyFcs });
    const wire = new TestWire(sim, "wire", 5_000, 0.05, 0.2);
    a.attach(0, wire, 0);
    b.attach(0, wire, 1);
    let digest = 0;
    let delivered = 0;
    b.setReceiver({
      onFrame(nic, frame) {
        digest = zlibSync.crc32(sim.frames.bytes(frame), digest);
        delivered++;
        nic.consume(frame);
      },
    });
    const src = new CbrSource(a, { dst: B, frameSize: 200, rate: 100e6, count: 2000, batch: 32 });
    entry.stop.push(() => src.stop());
    sim.scheduler.runToIdle();
    const { fcsComputed, ...counters } = b.stats();
    return {
      counters,
      fcsComputed,
      digest,
      delivered,
      corrupted: wire.corrupted,
      lost: wire.lost,
      fingerprint: sim.scheduler.fingerprint.toString(),
    };
  }

  it('"auto" and "always" give identical counters, deliveries and trajectory; every corruption is caught', () => {
    const auto = run("auto", 7);
    const always = run("always", 7);
    expect(auto.counters).toEqual(always.counters);
    expect(auto.digest).toBe(always.digest);
    expect(auto.delivered).toBe(always.delivered);
    expect(auto.fingerprint).toBe(always.fingerprint);
    // The fault rates behaved: about 5% lost, 20% of the rest corrupted.
    expect(auto.lost).toBeGreaterThan(60);
    expect(auto.lost).toBeLessThan(140);
    expect(auto.corrupted).toBeGreaterThan(300);
    expect(auto.corrupted).toBeLessThan(460);
    expect(auto.counters.rxDrops).toEqual({ FCS_ERROR: auto.corrupted });
    expect(auto.delivered).toBe(2000 - auto.lost - auto.corrupted);
    // "auto" computed CRCs only for the frames whose bytes changed on the way.
    expect(auto.fcsComputed).toBe(auto.corrupted);
    expect(always.fcsComputed).toBe(2000 - always.lost);
  });

  it("is deterministic: same seed, same counters and fingerprint; another seed differs", () => {
    const one = run("auto", 11);
    const two = run("auto", 11);
    const other = run("auto", 12);
    expect(two).toEqual(one);
    expect(other.fingerprint).not.toBe(one.fingerprint);
  });
});
