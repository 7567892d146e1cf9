import { afterEach, describe, expect, it } from "vitest";
import { NetloomError } from "../../src/base/errors.js";
import { FRAME_FCS_VALID } from "../../src/buf/frames.js";
import { Simulation } from "../../src/engine/simulation.js";
import { CaptureChannel } from "../../src/devices/capture-channel.js";
import type { Channel } from "../../src/devices/device.js";
import {
  AgeTimerState,
  EthernetSwitch,
  PortState,
  type EthernetSwitchOptions,
} from "../../src/devices/ethernet-switch.js";
import { checksumKernels } from "../../src/kernels/checksum.js";
import { writeMac } from "../../src/wire/ethernet.js";

const A = 0x02_00_00_00_00_0a;
const B = 0x02_00_00_00_00_0b;
const C = 0x02_00_00_00_00_0c;
const D = 0x02_00_00_00_00_0d;
const BROADCAST = 0xff_ff_ff_ff_ff_ff;
const MULTICAST = 0x01_00_5e_00_00_01;

/** An Ethernet frame dst <- src with a 0xa5-filled payload (so unwritten bytes show). */
function ethFrame(dst: number, src: number, payload = 46, tag = 0): Uint8Array {
  const b = new Uint8Array(14 + payload).fill(0xa5);
  writeMac(b, 0, dst);
  writeMac(b, 6, src);
  b[12] = 0x08;
  b[13] = 0x00;
  if (payload > 0) b[14] = tag;
  return b;
}

/** The frame with its FCS appended (CRC-32 of the bytes, least significant byte first). */
function withFcs(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 4);
  out.set(bytes);
  new DataView(out.buffer).setUint32(bytes.length, checksumKernels().crc32(bytes), true);
  return out;
}

/** Keeps the frames handed to it (no release) so a test can inspect the references. */
class HoldChannel implements Channel {
  readonly id: number;
  readonly held: number[] = [];
  constructor(
    private readonly sim: Simulation,
    readonly name: string,
  ) {
    this.id = sim.register(name, { handleEvent: () => undefined });
  }
  connect(): void {}
  transmit(_end: number, frame: number): boolean {
    this.held.push(frame);
    return true;
  }
  releaseAll(): void {
    for (const f of this.held.splice(0)) this.sim.frames.release(f);
  }
}

/** Drops everything (as a link with a full queue does: counts it and releases the frame). */
class RefuseChannel implements Channel {
  readonly id: number;
  refused = 0;
  constructor(
    private readonly sim: Simulation,
    readonly name: string,
  ) {
    this.id = sim.register(name, { handleEvent: () => undefined });
  }
  connect(): void {}
  transmit(_end: number, frame: number): boolean {
    this.refused++;
    this.sim.frames.release(frame);
    return false;
  }
}

interface Rig {
  sim: Simulation;
  sw: EthernetSwitch;
  caps: CaptureChannel[];
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function newSim(frameSlots = 16, seed = 1): Simulation {
  const sim = new Simulation({ seed, frameSlots, queueCapacity: 1024 });
  cleanups.push(() => {
    // Every test must return every slot before the store goes.
    expect(sim.frames.leaks()).toEqual([]);
    sim.destroy();
  });
  return sim;
}

function newSwitch(sim: Simulation, options: EthernetSwitchOptions, name = "sw"): EthernetSwitch {
  const sw = new EthernetSwitch(sim, name, options);
  // Runs before the leak check (cleanups run in order and this one was pushed later: unshift).
  cleanups.unshift(() => sw.destroy());
  return sw;
}

function rig(options: Partial<EthernetSwitchOptions> = {}, attached = 4, frameSlots = 16): Rig {
  const sim = newSim(frameSlots);
  const sw = newSwitch(sim, { ports: 4, ...options });
  const caps: CaptureChannel[] = [];
  for (let p = 0; p < attached; p++) {
    const cap = new CaptureChannel(sim, `cap${p}`);
    sw.attach(p, cap, 0);
    caps.push(cap);
  }
  return { sim, sw, caps };
}

/** Ports that got a frame since the last call (and clears the records). */
function takeSent(caps: CaptureChannel[]): number[] {
  const ports: number[] = [];
  caps.forEach((c, p) => {
    if (c.sent.length > 0) ports.push(p);
    c.sent.length = 0;
  });
  return ports;
}

function send(r: Rig, port: number, bytes: Uint8Array, delay = 0): number[] {
  r.caps[port]!.inject(0, bytes, delay);
  r.sim.scheduler.runUntil(r.sim.now + delay);
  return takeSent(r.caps);
}

describe("EthernetSwitch learning and forwarding", () => {
  it("floods the first frame, then forwards both ways by learned port", () => {
    const r = rig();
    expect(send(r, 0, ethFrame(B, A))).toEqual([1, 2, 3]); // B unknown: flood
    expect(r.sw.portOf(A)).toBe(0);
    expect(send(r, 1, ethFrame(A, B))).toEqual([0]); // A learned on port 0
    expect(r.sw.portOf("02:00:00:00:00:0b")).toBe(1);
    expect(send(r, 0, ethFrame(B, A))).toEqual([1]); // B learned on port 1
    const s0 = r.sw.portStats(0);
    expect(s0).toMatchObject({ rxFrames: 2, rxBytes: 120, txFrames: 1, txBytes: 60, floods: 1 });
    expect(s0.unknownUnicastFloods).toBe(1);
    expect(r.sw.portStats(1)).toMatchObject({ rxFrames: 1, txFrames: 2, floods: 0 });
    expect(r.sw.portStats(2)).toMatchObject({ rxFrames: 0, txFrames: 1 });
    const fdb = r.sw.fdbStats();
    expect(fdb).toMatchObject({ entries: 2, learned: 2, lookups: 3, hits: 2, floods: 1, filtered: 0 });
  });

  it("delivers the same bytes it received", () => {
    const r = rig();
    send(r, 1, ethFrame(A, B)); // B learned on port 1
    const bytes = ethFrame(B, C, 100, 7);
    r.caps[2]!.inject(0, bytes);
    r.sim.scheduler.runToIdle();
    expect(r.caps.map((c) => c.sent.length)).toEqual([0, 1, 0, 0]);
    expect(Array.from(r.caps[1]!.sent[0]!.bytes)).toEqual(Array.from(bytes));
  });

  it("always floods broadcast and multicast, and never learns a group source", () => {
    const r = rig();
    send(r, 1, ethFrame(A, B));
    send(r, 0, ethFrame(B, A));
    for (let i = 0; i < 3; i++) {
      expect(send(r, 0, ethFrame(BROADCAST, A))).toEqual([1, 2, 3]);
      expect(send(r, 2, ethFrame(MULTICAST, C))).toEqual([0, 1, 3]);
    }
    expect(r.sw.portStats(0)).toMatchObject({ floods: 3, unknownUnicastFloods: 0 });
    expect(r.sw.portStats(2)).toMatchObject({ floods: 3, unknownUnicastFloods: 0 });
    // A frame from a group source floods (unknown dst) but its source is never learned.
    expect(send(r, 3, ethFrame(D, MULTICAST))).toEqual([0, 1, 2]);
    expect(r.sw.portOf(MULTICAST)).toBeUndefined();
    expect(r.sw.fdbStats().learnFailures).toBe(0);
  });

  it("filters a frame whose destination sits on its in port (SAME_PORT)", () => {
    const r = rig();
    // A and B share port 0 (say, behind a hub).
    expect(send(r, 0, ethFrame(B, A))).toEqual([1, 2, 3]);
    expect(send(r, 0, ethFrame(A, B))).toEqual([]);
    const s = r.sw.portStats(0);
    expect(s.filtered).toBe(1);
    expect(s.drops).toEqual({ SAME_PORT: 1 });
    expect(r.sw.trace[0]!.phyRxDrop.byReason[12]).toBe(1);
    expect(r.sw.fdbStats().filtered).toBe(1);
  });

  it("moves a station that shows up on another port", () => {
    const r = rig();
    send(r, 0, ethFrame(B, A));
    send(r, 1, ethFrame(A, B));
    expect(send(r, 2, ethFrame(C, B))).toEqual([0, 1, 3]); // B now on port 2
    expect(r.sw.portOf(B)).toBe(2);
    expect(send(r, 0, ethFrame(B, A))).toEqual([2]);
    expect(r.sw.fdbStats().moved).toBe(1);
  });

  it("drops runts (RUNT) without learning them", () => {
    const r = rig();
    const runt = ethFrame(B, A, 0).subarray(0, 13);
    expect(send(r, 0, runt)).toEqual([]);
    expect(r.sw.portStats(0).drops).toEqual({ RUNT: 1 });
    expect(r.sw.portOf(A)).toBeUndefined();
    // 14 bytes is the smallest frame the bridge relays (it does not check the FCS by default).
    expect(send(r, 0, ethFrame(B, A, 0))).toEqual([1, 2, 3]);
  });

  it("skips ports with nothing attached when flooding", () => {
    const r = rig({ ports: 6 }, 3);
    expect(send(r, 0, ethFrame(BROADCAST, A))).toEqual([1, 2]);
    expect(r.sw.portStats(4)).toMatchObject({ attached: false, txFrames: 0 });
  });

  it("releases a flooded frame that has no other port to go to", () => {
    const r = rig({ ports: 1 }, 1);
    expect(send(r, 0, ethFrame(BROADCAST, A))).toEqual([]);
    expect(r.sw.portStats(0).floods).toBe(1);
  });

  it("counts frames the output channel refuses, and leaves the drop reason to it", () => {
    const sim = newSim();
    const sw = newSwitch(sim, { ports: 3 });
    const cap = new CaptureChannel(sim, "cap");
    const refuse = new RefuseChannel(sim, "full");
    const hold = new HoldChannel(sim, "hold");
    sw.attach(0, cap, 0);
    sw.attach(1, refuse, 0);
    sw.attach(2, hold, 0);
    cap.inject(0, ethFrame(BROADCAST, A));
    sim.scheduler.runToIdle();
    expect(refuse.refused).toBe(1);
    expect(sw.portStats(1)).toMatchObject({ txFrames: 1, txRefused: 1 });
    expect(hold.held.length).toBe(1);
    expect(sim.frames.isShared(hold.held[0]!)).toBe(false); // the refused reference went back
    hold.releaseAll();
  });
});

describe("EthernetSwitch flooding without copies", () => {
  it("hands the same slot to N-1 ports with N-1 references", () => {
    const N = 8;
    const sim = newSim(2);
    const sw = newSwitch(sim, { ports: N });
    const inject = new CaptureChannel(sim, "in");
    sw.attach(0, inject, 0);
    const holds: HoldChannel[] = [];
    for (let p = 1; p < N; p++) {
      const h = new HoldChannel(sim, `hold${p}`);
      sw.attach(p, h, 0);
      holds.push(h);
    }
    const f = inject.inject(0, ethFrame(BROADCAST, A, 1000));
    sim.scheduler.runToIdle();
    for (const h of holds) expect(h.held).toEqual([f]);
    expect(sim.frames.stats()).toMatchObject({ inUse: 1, highWater: 1, allocFailures: 0 });
    expect(sim.frames.isShared(f)).toBe(true);
    // Each holder drops its own reference; the slot goes back with the last one.
    for (let i = 0; i < holds.length; i++) {
      expect(sim.frames.stats().inUse).toBe(1);
      holds[i]!.releaseAll();
    }
    expect(sim.frames.stats().inUse).toBe(0);
  });

  it("gives every capture the same bytes while one slot was ever used", () => {
    const r = rig({ ports: 8 }, 8, 2);
    const bytes = ethFrame(B, A, 1486, 42);
    r.caps[3]!.inject(0, bytes);
    r.sim.scheduler.runToIdle();
    const got = r.caps.flatMap((c) => c.sent);
    expect(got.length).toBe(7);
    for (const g of got) expect(Array.from(g.bytes)).toEqual(Array.from(bytes));
    expect(r.caps[3]!.sent.length).toBe(0);
    expect(r.sim.frames.stats()).toMatchObject({ inUse: 0, highWater: 1, allocFailures: 0 });
  });
});

describe("EthernetSwitch ageing", () => {
  it("floods a destination again once agingTime has passed without traffic from it", () => {
    const r = rig({ agingTime: "1ms", ageSweepInterval: 0 });
    send(r, 0, ethFrame(B, A)); // A learned at t = 0
    const t0 = r.sim.now;
    // Live for now in [t0, t0 + 1 ms).
    expect(send(r, 1, ethFrame(A, B), 1_000_000 - 1)).toEqual([0]);
    expect(r.sim.now).toBe(t0 + 999_999);
    r.sim.scheduler.runUntil(t0 + 1_000_000 - 1);
    expect(send(r, 2, ethFrame(A, C), 1)).toEqual([0, 1, 3]); // exactly t0 + 1 ms: expired
    expect(r.sw.portOf(A)).toBeUndefined();
    // A speaks again: learned afresh.
    send(r, 0, ethFrame(B, A));
    expect(send(r, 1, ethFrame(A, B))).toEqual([0]);
  });

  it("sweeps expired entries periodically and stops the timer once the table is empty", () => {
    const r = rig({ agingTime: "1ms" }); // sweep every 0.5 ms
    expect(r.sw.ageSweepIntervalNs).toBe(500_000);
    expect(r.sw.ageTimerState).toBe(AgeTimerState.Idle);
    send(r, 0, ethFrame(B, A));
    send(r, 1, ethFrame(A, B), 100_000);
    expect(r.sw.ageTimerState).toBe(AgeTimerState.Armed);
    expect(r.sw.fdbStats().entries).toBe(2);
    r.sim.scheduler.runToIdle();
    expect(r.sw.ageTimerState).toBe(AgeTimerState.Idle);
    // A expires at 1 ms, B at 1.1 ms; sweeps at 0.5, 1.0 (A goes), 1.5 ms (B goes, table empty).
    expect(r.sim.now).toBe(1_500_000);
    expect(r.sw.stats().sweeps).toBe(3);
    expect(r.sw.fdbStats()).toMatchObject({ entries: 0, aged: 2 });
  });

  it("never ages with agingTime Infinity (and runs no sweep)", () => {
    const r = rig({ agingTime: Infinity });
    send(r, 0, ethFrame(B, A));
    r.sim.scheduler.runUntil(1e15);
    expect(r.sw.ageTimerState).toBe(AgeTimerState.Idle);
    expect(send(r, 1, ethFrame(A, B))).toEqual([0]);
  });

  it("keeps flooding replies to stations a full FDB could not learn", () => {
    const r = rig({ fdbCapacity: 2 });
    send(r, 0, ethFrame(B, A));
    send(r, 1, ethFrame(A, B)); // table full: A, B
    for (let i = 1; i <= 3; i++) {
      expect(send(r, 2, ethFrame(A, C))).toEqual([0]); // C not learned
      expect(r.sw.fdbStats().learnFailures).toBe(i);
      expect(send(r, 0, ethFrame(C, A))).toEqual([1, 2, 3]); // so its replies flood
    }
    expect(r.sw.portStats(0).unknownUnicastFloods).toBe(4);
    expect(r.sw.fdbStats().entries).toBe(2);
  });

  it("learns into a full table once entries have expired", () => {
    const r = rig({ fdbCapacity: 2, agingTime: "1ms", ageSweepInterval: 0 });
    send(r, 0, ethFrame(B, A));
    send(r, 1, ethFrame(A, B));
    send(r, 2, ethFrame(A, C), 2_000_000); // A and B expired: reclaimed, C learned
    expect(r.sw.portOf(C)).toBe(2);
    expect(r.sw.fdbStats().learnFailures).toBe(0);
  });
});

describe("EthernetSwitch timing", () => {
  it("forwards exactly forwardingDelay after the frame has fully arrived", () => {
    const r = rig({ forwardingDelay: "1.5us" });
    expect(r.sw.forwardingDelayNs).toBe(1500);
    r.caps[0]!.inject(0, ethFrame(BROADCAST, A), 100);
    r.sim.scheduler.runToIdle();
    for (const p of [1, 2, 3]) expect(r.caps[p]!.sent.map((s) => s.time)).toEqual([1600]);
  });

  it("forwards at arrival time with no delay, using no extra event", () => {
    const r = rig({ ageSweepInterval: 0 });
    r.caps[0]!.inject(0, ethFrame(BROADCAST, A), 250);
    const events = r.sim.scheduler.runToIdle();
    expect(r.caps[1]!.sent[0]!.time).toBe(250);
    expect(events).toBe(1);
  });

  it("learns and decides when the delay ends", () => {
    const r = rig({ forwardingDelay: 1000 });
    r.caps[0]!.inject(0, ethFrame(B, A), 0);
    r.caps[1]!.inject(0, ethFrame(A, B), 500); // decided at 1500, after A was learned at 1000
    r.sim.scheduler.runUntil(999);
    expect(r.sw.portOf(A)).toBeUndefined();
    r.sim.scheduler.runUntil(1000);
    expect(r.sw.portOf(A)).toBe(0);
    r.sim.scheduler.runToIdle();
    expect(r.caps[0]!.sent.map((s) => s.time)).toEqual([1500]);
    expect(r.caps[2]!.sent.map((s) => s.time)).toEqual([1000]);
  });
});

describe("EthernetSwitch port state machine", () => {
  it("Disabled: drops arrivals (NOT_ATTACHED), learns nothing, sends nothing", () => {
    const r = rig();
    expect(r.sw.portStateOf(2)).toBe(PortState.Forwarding);
    expect(r.sw.disablePort(2)).toBe(true);
    expect(r.sw.disablePort(2)).toBe(false); // already Disabled
    expect(r.sw.portStateOf(2)).toBe(PortState.Disabled);
    expect(send(r, 0, ethFrame(BROADCAST, A))).toEqual([1, 3]);
    expect(send(r, 2, ethFrame(A, C))).toEqual([]);
    expect(r.sw.portOf(C)).toBeUndefined();
    expect(r.sw.portStats(2)).toMatchObject({ state: "disabled", rxFrames: 1, drops: { NOT_ATTACHED: 1 } });
    expect(r.sw.enablePort(2)).toBe(true);
    expect(r.sw.enablePort(2)).toBe(false);
    expect(send(r, 2, ethFrame(A, C))).toEqual([0]);
    expect(r.sw.portOf(C)).toBe(2);
    expect(send(r, 0, ethFrame(BROADCAST, A))).toEqual([1, 2, 3]);
  });

  it("floods a known unicast whose port is Disabled, as if its entry had been flushed", () => {
    const r = rig();
    send(r, 0, ethFrame(B, A));
    send(r, 1, ethFrame(A, B));
    r.sw.disablePort(1);
    expect(send(r, 0, ethFrame(B, A))).toEqual([2, 3]);
    expect(r.sw.portStats(0).unknownUnicastFloods).toBe(2);
    r.sw.enablePort(1);
    expect(send(r, 0, ethFrame(B, A))).toEqual([1]); // the entry was kept
  });

  it("drops a frame whose in port is disabled during its forwarding delay", () => {
    const r = rig({ forwardingDelay: 1000 });
    r.caps[0]!.inject(0, ethFrame(BROADCAST, A));
    r.sim.scheduler.runUntil(500);
    r.sw.disablePort(0);
    r.sim.scheduler.runToIdle();
    expect(takeSent(r.caps)).toEqual([]);
    expect(r.sw.portStats(0).drops).toEqual({ NOT_ATTACHED: 1 });
    expect(r.sw.portOf(A)).toBeUndefined();
  });
});

describe("EthernetSwitch FCS check (checkFcs)", () => {
  it("is off by default: a frame with a bad FCS is relayed", () => {
    const r = rig();
    const f = withFcs(ethFrame(BROADCAST, A));
    f[20]! ^= 1;
    expect(send(r, 0, f)).toEqual([1, 2, 3]);
  });

  it("drops a corrupted frame (FCS_ERROR) and relays an intact one", () => {
    const r = rig({ checkFcs: true });
    expect(send(r, 0, withFcs(ethFrame(BROADCAST, A)))).toEqual([1, 2, 3]);
    for (let bit = 0; bit < 64 * 8; bit += 37) {
      const f = withFcs(ethFrame(BROADCAST, A));
      f[bit >>> 3]! ^= 1 << (bit & 7);
      expect(send(r, 0, f)).toEqual([]);
    }
    expect(r.sw.portStats(0).drops).toEqual({ FCS_ERROR: 14 });
    // Too short to hold a header and an FCS.
    expect(send(r, 0, ethFrame(BROADCAST, A, 3))).toEqual([]);
    expect(r.sw.portStats(0).drops).toEqual({ FCS_ERROR: 14, RUNT: 1 });
  });

  it("skips the CRC for a frame marked FCS_VALID, with the same results", () => {
    const run = (mark: boolean): unknown => {
      const r = rig({ checkFcs: true });
      for (let i = 0; i < 5; i++) {
        const f = r.caps[i % 4]!.inject(0, withFcs(ethFrame(i % 2 ? A : BROADCAST, B + i, 50 + i)), i * 10);
        if (mark) r.sim.frames.flags[f] = FRAME_FCS_VALID;
      }
      r.sim.scheduler.runToIdle();
      return [r.sw.stats(), r.sim.scheduler.fingerprint.toString(), r.caps.map((c) => c.sent)];
    };
    expect(run(true)).toEqual(run(false));
  });
});

describe("EthernetSwitch determinism", () => {
  function scenario(seed: number): { stats: unknown; fingerprint: string; sent: number[] } {
    const sim = newSim(64, seed);
    const sw = newSwitch(sim, { ports: 6, fdbCapacity: 8, agingTime: "50us", forwardingDelay: 700 });
    const caps = Array.from({ length: 6 }, (_, p) => {
      const c = new CaptureChannel(sim, `c${p}`);
      sw.attach(p, c, 0);
      return c;
    });
    const rng = sim.scheduler.rng("test:traffic");
    const macs = Array.from({ length: 12 }, (_, i) => 0x02_00_00_00_01_00 + i);
    for (let i = 0; i < 400; i++) {
      const src = rng.nextBelow(12);
      const dst = rng.nextBelow(14);
      const dstMac = dst === 12 ? BROADCAST : dst === 13 ? MULTICAST : macs[dst]!;
      caps[src % 6]!.inject(0, ethFrame(dstMac, macs[src]!, 46 + rng.nextBelow(100)), rng.nextBelow(1000));
      sim.scheduler.runUntil(sim.now + 1 + rng.nextBelow(2000));
    }
    sim.scheduler.runToIdle();
    return {
      stats: sw.stats(),
      fingerprint: sim.scheduler.fingerprint.toString(),
      sent: caps.map((c) => c.sent.length),
    };
  }

  it("gives the same counters and fingerprint for the same seed", () => {
    const a = scenario(7);
    const b = scenario(7);
    expect(b).toEqual(a);
    const s = a.stats as { fdb: { learnFailures: number; aged: number; hits: number } };
    // The scenario exercises a full table, ageing and learned forwarding.
    expect(s.fdb.learnFailures).toBe(117);
    expect(s.fdb.aged).toBe(10);
    expect(s.fdb.hits).toBe(210);
    expect(scenario(8).fingerprint).not.toBe(a.fingerprint);
  });
});

describe("EthernetSwitch misuse", () => {
  it("refuses a missing port and a port already connected", () => {
    const r = rig({}, 1);
    const extra = new CaptureChannel(r.sim, "extra");
    expect(() => r.sw.attach(4, extra, 0)).toThrow(/sw has no port 4/);
    expect(() => r.sw.attach(0, extra, 0)).toThrow(/port 0 of sw is already connected to cap0/);
    expect(() => r.sw.disablePort(9)).toThrow(NetloomError);
    expect(() => r.sw.portStats(-1)).toThrow(/has no port -1/);
    expect(() => r.sw.portOf("02:00:zz:00:00:01")).toThrow(/not a MAC address/);
  });

  it("refuses bad options, naming them", () => {
    const sim = newSim();
    const bad: [Partial<EthernetSwitchOptions>, RegExp][] = [
      [{ agingTime: -5 }, /sw\.agingTime/],
      [{ agingTime: 0 }, /sw\.agingTime: 0 is not an ageing time/],
      [{ agingTime: "5 parsecs" }, /sw\.agingTime/],
      [{ agingTime: 1.5 }, /sw\.agingTime/],
      [{ forwardingDelay: -1 }, /sw\.forwardingDelay/],
      [{ ageSweepInterval: "-1s" }, /sw\.ageSweepInterval/],
      [{ fdbCapacity: 0 }, /sw\.fdbCapacity: 0 is not an FDB capacity/],
      [{ ports: 0 }, /sw\.ports/],
      [{ checkFcs: "yes" as unknown as boolean }, /sw\.checkFcs/],
    ];
    for (const [opts, message] of bad) {
      let err: unknown;
      try {
        new EthernetSwitch(sim, "sw", { ports: 4, ...opts });
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(opts)).toBeInstanceOf(NetloomError);
      expect((err as NetloomError).code).toBe("INVALID_ARGUMENT");
      expect((err as Error).message).toMatch(message);
    }
    // Refused switches registered nothing: the name is still free.
    newSwitch(sim, { ports: 2 });
  });
});
