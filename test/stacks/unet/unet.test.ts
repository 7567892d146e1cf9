import { describe, expect, it } from "vitest";
import { NetloomError } from "../../../src/base/errors.js";
import { NO_FRAME } from "../../../src/buf/frames.js";
import { OC3_CELL_BITS_PER_S } from "../../../src/devices/atm-link.js";
import type { AtmNic } from "../../../src/devices/atm-nic.js";
import type { EthernetNic } from "../../../src/devices/nic.js";
import { OneWay, PingPong } from "../../../src/stacks/layered/ping-pong.js";
import { UnetDevice } from "../../../src/stacks/unet/unet-device.js";
import { UnetEndpoint, type UnetEndpointOptions } from "../../../src/stacks/unet/unet-endpoint.js";
import { UNET_ETHERTYPE } from "../../../src/stacks/unet/unet-wire.js";
import { aal5Goodput, mac, msgBytes, pair, sendBytes, type NicKind, type Pair } from "../support-zero-copy.js";

type EpOptions = Partial<Omit<UnetEndpointOptions, "device" | "cpu">>;

interface Got {
  time: number;
  src: number;
  bytes: Uint8Array;
}

/** Endpoints a (rank 0, host 0) and b (rank 1, host 1) with channel k, registered (run 2 ms). */
function endpoints(p: Pair, oa: EpOptions = {}, ob: EpOptions = {}, k = 0, names = ["a", "b"]) {
  const a = p.track(
    new UnetEndpoint(p.sim, names[0]!, {
      device: p.devices[0]!,
      cpu: p.cpus[0]!,
      rank: 0,
      channels: { 1: p.spec(0, 1, k) },
      ...oa,
    }),
  );
  const b = p.track(
    new UnetEndpoint(p.sim, names[1]!, {
      device: p.devices[1]!,
      cpu: p.cpus[1]!,
      rank: 1,
      channels: { 0: p.spec(1, 0, k) },
      ...ob,
    }),
  );
  return { a, b };
}

function settle(p: Pair): void {
  p.sim.scheduler.runUntil(p.sim.now + 2_000_000);
}

function record(ep: UnetEndpoint): Got[] {
  const got: Got[] = [];
  ep.setApp({
    onMessage: (s, ptr, length, src) => got.push({ time: s.now, src, bytes: s.u8.slice(ptr, ptr + length) }),
  });
  return got;
}

const KINDS: NicKind[] = ["atm", "ethernet"];

describe.each(KINDS)("U-Net endpoints over %s", (kind) => {
  it("carries messages both ways with their bytes intact, small (inline) and large", () => {
    const p = pair(kind);
    const { a, b } = endpoints(p);
    settle(p);
    expect(a.isOpen(1) && b.isOpen(0)).toBe(true);
    const ga = record(a);
    const gb = record(b);
    // ATM carries no empty PDU: a 0-byte message is refused there and counted.
    if (kind === "atm") {
      expect(sendBytes(a, new Uint8Array(0))).toBe(false);
      expect(a.stats().drops.tooLong).toBe(1);
    }
    const sizes = [...(kind === "atm" ? [] : [0]), 1, 8, 40, 41, 100, 1000, a.maxMessage];
    sizes.forEach((n, i) => {
      expect(sendBytes(a, msgBytes(n, i))).toBe(true);
      expect(sendBytes(b, msgBytes(n, 100 + i), 0)).toBe(true);
    });
    p.sim.scheduler.runToIdle();
    expect(gb.map((g) => g.bytes)).toEqual(sizes.map((n, i) => msgBytes(n, i)));
    expect(ga.map((g) => g.bytes)).toEqual(sizes.map((n, i) => msgBytes(n, 100 + i)));
    expect(gb.every((g) => g.src === 0) && ga.every((g) => g.src === 1)).toBe(true);
    const sa = a.stats();
    expect(sa.sends).toBe(sizes.length);
    expect(sa.receives).toBe(sizes.length);
    // Messages of 0..40 bytes came in the descriptor; the rest in a lent NIC buffer.
    expect(sa.inlineReceives).toBe(sizes.filter((n) => n <= 40).length);
    expect(sa.inlineBytes).toBe(sizes.filter((n) => n <= 40).reduce((x, y) => x + y, 0));
    expect(sa.freeQueue).toBe(32);
    const { tooLong, ...others } = sa.drops;
    expect(tooLong).toBe(kind === "atm" ? 1 : 0);
    expect(Object.values(others).every((d) => d === 0)).toBe(true);
  });

  it("copies no byte on the host: bytesCopied 0, nothing charged as COPY, DMA only by the NIC", () => {
    const p = pair(kind);
    const { a, b } = endpoints(p);
    settle(p);
    record(b);
    const sizes = [8, 500, 1200];
    for (const [i, n] of sizes.entries()) sendBytes(a, msgBytes(n, i));
    p.sim.scheduler.runToIdle();
    expect(b.stats().receives).toBe(3);
    for (const s of [a, b]) expect(s.stats().bytesCopied).toBe(0);
    for (const c of p.cpus) expect(c.stats().ops.copy).toEqual({ ns: 0, count: 0 });
    // The NIC read each message out of the segment (plus, on Ethernet, the 22 header bytes).
    const perFrame = kind === "ethernet" ? 22 : 0;
    expect(p.devices[0]!.stats().nicDmaBytes).toBe(sizes.reduce((x, n) => x + n + perFrame, 0));
    expect(b.stats().inlineBytes).toBe(8);
  });

  it("charges registration as system calls and the data path as driver work only", () => {
    const p = pair(kind);
    const { a, b } = endpoints(p, {}, { receive: "poll" });
    settle(p);
    const prof = p.cpus[0]!.profile;
    const reg = p.cpus[0]!.stats().ops;
    // Endpoint: one system call + pinning the segment; channel: one system call + NIC table.
    expect(reg.systemCall.count).toBe(2);
    expect(reg.pageRemap.count).toBe(1);
    expect(reg.pageRemap.ns).toBe(Math.ceil((64 * 2048) / prof.pageBytes) * prof.pageRemapNs);
    expect(reg.driver).toEqual({ ns: prof.driverNs, count: 1 });
    record(b);
    for (let i = 0; i < 5; i++) sendBytes(a, msgBytes(200, i));
    p.sim.scheduler.runToIdle();
    const userNs = 2 * prof.handlerDispatchNs;
    for (const c of p.cpus) {
      const ops = c.stats().ops;
      expect(ops.systemCall.count).toBe(2);
      expect(ops.driver).toEqual({ ns: prof.driverNs + 5 * (prof.driverNs + userNs), count: 6 });
      expect(ops.interrupt.count).toBe(0);
      expect(ops.contextSwitch.count + ops.layerCrossing.count + ops.checksum.count + ops.copy.count).toBe(0);
    }
  });

  it("demultiplexes each channel straight into its own endpoint among several", () => {
    const p = pair(kind);
    const eps = [0, 1, 2].map((k) => endpoints(p, {}, {}, k, [`a${k}`, `b${k}`]));
    settle(p);
    const got = eps.map(({ b }) => record(b));
    for (let round = 0; round < 3; round++) {
      for (const [k, { a }] of eps.entries()) expect(sendBytes(a, msgBytes(64 + k, 10 * k + round))).toBe(true);
    }
    p.sim.scheduler.runToIdle();
    for (let k = 0; k < 3; k++) {
      expect(got[k]!.map((g) => g.bytes)).toEqual([0, 1, 2].map((r) => msgBytes(64 + k, 10 * k + r)));
    }
    expect(p.devices[1]!.stats().rxMessages).toBe(9);
    expect(p.devices[1]!.stats().drops.unknownChannel).toBe(0);
  });

  it("drops and counts when the free queue is empty, and recovers once buffers are freed", () => {
    const p = pair(kind);
    const { a, b } = endpoints(p, {}, { rxBuffers: 4 });
    settle(p);
    const kept: { token: number; bytes: Uint8Array }[] = [];
    b.setConsumer({
      onReceive: (ep, _src, ptr, length, token) => {
        kept.push({ token, bytes: ep.u8.slice(ptr, ptr + length) });
        return true;
      },
    });
    for (let i = 0; i < 6; i++) sendBytes(a, msgBytes(100, i));
    p.sim.scheduler.runToIdle();
    expect(kept.map((k) => k.bytes)).toEqual([0, 1, 2, 3].map((i) => msgBytes(100, i)));
    expect(b.stats().drops.noFreeBuffer).toBe(2);
    expect(b.stats().freeQueue).toBe(0);
    expect(b.keptBuffers).toBe(4);
    // Small messages travel in the descriptor: they need no free buffer.
    sendBytes(a, msgBytes(16, 50));
    p.sim.scheduler.runToIdle();
    expect(kept.at(-1)!.token).toBe(-1);
    expect(kept.at(-1)!.bytes).toEqual(msgBytes(16, 50));
    for (const k of kept.splice(0, 4)) b.free(k.token);
    expect(() => b.free(kept[0]!.token)).toThrow(NetloomError);
    expect(b.stats().freeQueue).toBe(4);
    for (let i = 6; i < 8; i++) sendBytes(a, msgBytes(100, i));
    p.sim.scheduler.runToIdle();
    expect(kept.slice(1).map((k) => k.bytes)).toEqual([6, 7].map((i) => msgBytes(100, i)));
    expect(b.stats().drops.noFreeBuffer).toBe(2);
    // The NIC got its buffers back when the endpoint freed them (2 still kept).
    if (kind === "ethernet") expect((p.nics[1] as EthernetNic).rxBuffersInUse).toBe(2);
    for (const k of kept.slice(1)) b.free(k.token);
    if (kind === "ethernet") expect((p.nics[1] as EthernetNic).rxBuffersInUse).toBe(0);
  });

  it("drops and counts when the receive queue is full (a slow poller)", () => {
    const p = pair(kind);
    const { a, b } = endpoints(p, {}, { recvQueue: 2, pollInterval: "50ms" });
    settle(p);
    const got = record(b);
    for (let i = 0; i < 5; i++) sendBytes(a, msgBytes(60, i));
    p.sim.scheduler.runToIdle();
    expect(got.map((g) => g.bytes)).toEqual([0, 1].map((i) => msgBytes(60, i)));
    expect(b.stats().drops.recvQueueFull).toBe(3);
    expect(b.stats().freeQueue).toBe(32);
  });

  it("drops and counts messages for a channel it does not know", () => {
    const p = pair(kind);
    // a sends on channel 0; b listens on channel 1 only.
    const a = p.track(
      new UnetEndpoint(p.sim, "a", {
        device: p.devices[0]!,
        cpu: p.cpus[0]!,
        rank: 0,
        channels: { 1: p.spec(0, 1, 0) },
      }),
    );
    const b = p.track(
      new UnetEndpoint(p.sim, "b", {
        device: p.devices[1]!,
        cpu: p.cpus[1]!,
        rank: 1,
        channels: { 0: p.spec(1, 0, 1) },
      }),
    );
    settle(p);
    const got = record(b);
    for (let i = 0; i < 3; i++) sendBytes(a, msgBytes(100, i));
    p.sim.scheduler.runToIdle();
    expect(got).toEqual([]);
    const d = p.devices[1]!.stats();
    if (kind === "atm") {
      // The NIC's own VCI lookup drops the cells (3 PDUs of 3 cells).
      expect(d.nicUnknownVcCells).toBe(9);
    } else {
      expect(d.drops.unknownChannel).toBe(3);
    }
    // A channel closed by its endpoint: its messages are unknown too.
    b.closeChannel(0);
    expect(b.isOpen(0)).toBe(false);
  });

  it("polls without interrupts, or takes an interrupt per upcall, as selected", () => {
    const rtt: Record<string, number> = {};
    for (const mode of ["poll", "interrupt", "poll-100us"] as const) {
      const p = pair(kind);
      const o: EpOptions =
        mode === "interrupt" ? { receive: "interrupt" } : mode === "poll" ? {} : { pollInterval: "100us" };
      const { a, b } = endpoints(p, o, o);
      settle(p);
      const before = p.cpus.map((c) => c.stats().ops.interrupt.count);
      const pp = new PingPong(a, b, 32, 10);
      pp.start();
      p.sim.scheduler.runToIdle();
      expect(pp.done).toBe(true);
      expect(pp.mismatches).toBe(0);
      rtt[mode] = pp.meanRtt();
      const ints = p.cpus.map((c, i) => c.stats().ops.interrupt.count - before[i]!);
      if (mode === "interrupt") {
        expect(ints).toEqual([10, 10]);
        expect(p.cpus[0]!.stats().ops.interrupt.ns).toBe(10 * p.cpus[0]!.profile.interruptNs);
      } else {
        expect(ints).toEqual([0, 0]);
      }
    }
    const prof = pair(kind).cpus[0]!.profile;
    // An interrupt per receive adds its cost twice per round trip; coarse polling waits for the grid.
    expect(rtt.interrupt! - rtt.poll!).toBeCloseTo(2 * prof.interruptNs, -2);
    expect(rtt["poll-100us"]!).toBeGreaterThan(rtt.poll!);
  });

  it("bounds the segment and the send queue, counting refusals", () => {
    const p = pair(kind);
    const { a, b } = endpoints(p, { segmentBuffers: 3, sendQueue: 2 });
    settle(p);
    const got = record(b);
    const f = [a.allocMessage(10), a.allocMessage(10), a.allocMessage(10)];
    expect(f.every((x) => x !== NO_FRAME)).toBe(true);
    expect(a.allocMessage(10)).toBe(NO_FRAME);
    expect(a.stats().drops.noSegmentBuffer).toBe(1);
    expect(a.send(f[0]!)).toBe(true);
    expect(a.send(f[1]!)).toBe(true);
    expect(a.send(f[2]!)).toBe(false);
    expect(a.stats().drops.sendQueueFull).toBe(1);
    p.sim.scheduler.runToIdle();
    expect(got.length).toBe(2);
    // Every buffer is free again once the NIC has read it.
    expect(a.stats().segmentFree).toBe(3);
  });

  it("throws NetloomError naming the argument on misuse", () => {
    const p = pair(kind);
    const { a } = endpoints(p);
    expect(() => a.allocMessage(a.maxMessage + 1)).toThrow(/length/);
    const f = p.sim.frames.alloc(0, 0);
    expect(() => a.send(f)).toThrow(/frame: .*not a segment buffer/);
    p.sim.frames.release(f);
    const m = a.allocMessage(4);
    expect(() => a.send(m, 5)).toThrow(/dst: /);
    a.discard(m);
    expect(() => a.openChannel(1, p.spec(0, 1, 3))).toThrow(/a.channels\[1\]: member 1 already has a channel/);
    expect(
      () => new UnetEndpoint(p.sim, "c", { device: p.devices[0]!, cpu: p.cpus[0]!, channels: { 1: p.spec(0, 1, 0) } }),
    ).toThrow(kind === "atm" ? /already open/ : /tag 100 is already a channel/);
  });
});

describe("U-Net wire bytes", () => {
  it("Ethernet: 0x88B6 frames with the channel tag and length, byte for byte", () => {
    const p = pair("ethernet", { devices: false });
    const dev = p.trackDevice(new UnetDevice(p.sim, "h0.unet", { nic: p.nics[0]! }));
    const a = p.track(
      new UnetEndpoint(p.sim, "a", {
        device: dev,
        cpu: p.cpus[0]!,
        channels: { 1: { mac: mac(1), tag: 5, remoteTag: 0x0abc } },
      }),
    );
    const frames: Uint8Array[] = [];
    (p.nics[1] as EthernetNic).setReceiver({
      onFrame: (nic, f) => {
        frames.push(p.sim.frames.bytes(f).slice());
        nic.consume(f);
      },
    });
    settle(p);
    sendBytes(a, msgBytes(3, 1));
    sendBytes(a, msgBytes(100, 2));
    p.sim.scheduler.runToIdle();
    expect(frames.length).toBe(2);
    const hdr = (len: number) => [
      ...[0x02, 0, 0, 0, 0, 0x21], // dst: host 1
      ...[0x02, 0, 0, 0, 0, 0x20], // src: host 0
      0x88,
      0xb6,
      0x10,
      0x00,
      0x0a,
      0xbc,
      len >> 8,
      len & 0xff,
      0,
      0,
    ];
    expect([...frames[0]!.subarray(0, 22)]).toEqual(hdr(3));
    expect(frames[0]!.subarray(22, 25)).toEqual(msgBytes(3, 1));
    expect(frames[0]!.length).toBe(64); // padded to the minimum, FCS on
    expect([...frames[1]!.subarray(0, 22)]).toEqual(hdr(100));
    expect(frames[1]!.subarray(22, 122)).toEqual(msgBytes(100, 2));
    expect(UNET_ETHERTYPE).toBe(0x88b6);
  });

  it("ATM: the AAL5 PDU on the channel's VCI is the message itself", () => {
    const p = pair("atm", { devices: false });
    const dev = p.trackDevice(new UnetDevice(p.sim, "h0.unet", { nic: p.nics[0]! }));
    const a = p.track(
      new UnetEndpoint(p.sim, "a", { device: dev, cpu: p.cpus[0]!, channels: { 1: { vpi: 2, vci: 333 } } }),
    );
    const nic1 = p.nics[1] as AtmNic;
    const vc = nic1.openVc(2, 333);
    const pdus: Uint8Array[] = [];
    nic1.setReceiver({
      deliver: (v, ptr, length) => {
        expect(v).toBe(vc);
        pdus.push(p.sim.runtime.u8.slice(ptr, ptr + length));
        return false;
      },
    });
    settle(p);
    sendBytes(a, msgBytes(40, 1));
    sendBytes(a, msgBytes(1000, 2));
    p.sim.scheduler.runToIdle();
    expect(pdus).toEqual([msgBytes(40, 1), msgBytes(1000, 2)]);
    // 40 bytes + the 8-byte AAL5 trailer fill exactly one cell.
    expect(nic1.vcStats(vc).rxCells).toBe(1 + Math.ceil(1008 / 48));
  });
});

describe("U-Net figures (workstation-1995)", () => {
  function rtt(kind: NicKind, size: number, o: { slotBytes?: number; mtu?: number } = {}): number {
    const p = pair(kind, o);
    const { a, b } = endpoints(p);
    settle(p);
    const pp = new PingPong(a, b, size, 20);
    pp.start();
    p.sim.scheduler.runToIdle();
    expect(pp.done).toBe(true);
    expect(pp.mismatches).toBe(0);
    return pp.meanRtt();
  }

  function oneWay(kind: NicKind, size: number, count: number, o: { slotBytes?: number; mtu?: number } = {}): number {
    const p = pair(kind, { ...o, frameSlots: 1024 });
    const { a, b } = endpoints(p, { segmentBuffers: count, sendQueue: count });
    settle(p);
    const ow = new OneWay(a, b, size, count);
    const t0 = p.sim.now;
    ow.start();
    p.sim.scheduler.runToIdle();
    expect(ow.refused).toBe(0);
    expect(ow.received).toBe(count);
    return ow.goodput(t0);
  }

  it("small-message round trips over OC-3 take tens of microseconds", () => {
    const r = { 8: rtt("atm", 8), 40: rtt("atm", 40), 1000: rtt("atm", 1000) };
    console.log(
      `unet ATM OC-3 RTT: 8 B ${(r[8] / 1e3).toFixed(1)} us, 40 B ${(r[40] / 1e3).toFixed(1)} us, 1000 B ${(r[1000] / 1e3).toFixed(1)} us`,
    );
    for (const n of [8, 40] as const) {
      expect(r[n]).toBeGreaterThan(20_000);
      expect(r[n]).toBeLessThan(100_000);
    }
    expect(r[1000]).toBeGreaterThan(r[40]);
    const e = { 8: rtt("ethernet", 8), 40: rtt("ethernet", 40), 1000: rtt("ethernet", 1000) };
    console.log(
      `unet Ethernet 10 Mbit/s RTT: 8 B ${(e[8] / 1e3).toFixed(1)} us, 40 B ${(e[40] / 1e3).toFixed(1)} us, 1000 B ${(e[1000] / 1e3).toFixed(1)} us`,
    );
    expect(e[1000]).toBeGreaterThan(2 * 8 * 1000 * 100); // two 1000-byte frames at 10 Mbit/s at least
  });

  it("1 KB messages saturate the OC-3 link's AAL5 goodput in a one-way stream", () => {
    const g1 = oneWay("atm", 1024, 200);
    const g8 = oneWay("atm", 8192, 100, { slotBytes: 16384 });
    const link1 = aal5Goodput(1024, OC3_CELL_BITS_PER_S);
    const link8 = aal5Goodput(8192, OC3_CELL_BITS_PER_S);
    console.log(
      `unet ATM OC-3 one-way goodput: 1 KB ${(g1 / 1e6).toFixed(1)} Mbit/s (${((100 * g1) / link1).toFixed(1)}% of ${(link1 / 1e6).toFixed(1)}), ` +
        `8 KB ${(g8 / 1e6).toFixed(1)} Mbit/s (${((100 * g8) / link8).toFixed(1)}% of ${(link8 / 1e6).toFixed(1)})`,
    );
    expect(g1).toBeGreaterThanOrEqual(0.9 * link1);
    expect(g1).toBeLessThanOrEqual(link1);
    expect(g8).toBeGreaterThanOrEqual(0.9 * link8);
    const e1 = oneWay("ethernet", 1024, 100);
    const e8 = oneWay("ethernet", 8192, 50, { slotBytes: 16384, mtu: 9000 });
    console.log(
      `unet Ethernet 10 Mbit/s one-way goodput: 1 KB ${(e1 / 1e6).toFixed(2)} Mbit/s, 8 KB (jumbo) ${(e8 / 1e6).toFixed(2)} Mbit/s`,
    );
    expect(e1).toBeGreaterThan(0.9e7);
    expect(e1).toBeLessThan(1e7);
  });
});
