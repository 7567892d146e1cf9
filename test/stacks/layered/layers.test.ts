// Each microprotocol alone (over COM) on a real link or a capture channel: wire format, the
// protocol's promise under loss, its counters.
import { describe, expect, it } from "vitest";
import { Simulation } from "../../../src/engine/simulation.js";
import { CaptureChannel } from "../../../src/devices/capture-channel.js";
import { EthernetNic } from "../../../src/devices/nic.js";
import { HostCpu, loadCpuProfile } from "../../../src/stacks/cost.js";
import { COM_ETHERTYPE } from "../../../src/stacks/layered/com.js";
import { ALL, StackEvent } from "../../../src/stacks/layered/layer.js";
import { LayeredStack } from "../../../src/stacks/layered/stack.js";
import { writeMac } from "../../../src/wire/ethernet.js";
import { zlibSync } from "../../support/zlib.js";
import { group, mac, msgBytes } from "./support.js";

/** RFC 1071 checksum computed here, independently of the Wasm kernel. */
function inetSum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

function withFcs(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(frame.length, 60) + 4);
  out.set(frame);
  const body = out.subarray(0, out.length - 4);
  const crc = zlibSync.crc32(body);
  out.set([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24], out.length - 4);
  return out;
}

/** A COM frame from member `src` as the test builds it (Ethernet + COM + payload). */
function comFrame(
  src: number,
  dst: number,
  payload: Uint8Array,
  opts: { etherType?: number; badSum?: boolean } = {},
): Uint8Array {
  const len = 8 + payload.length;
  const b = new Uint8Array(14 + len).fill(0xa5);
  writeMac(b, 0, mac(0)); // to the receiving member; COM dst may still name another
  writeMac(b, 6, mac(src));
  const et = opts.etherType ?? COM_ETHERTYPE;
  b.set([et >>> 8, et & 0xff], 12);
  b.set([0x10, src, dst, 0, len >>> 8, len & 0xff, 0, 0], 14);
  b.set(payload, 22);
  const sum = ~inetSum(b.subarray(14)) & 0xffff;
  b[20] = sum >>> 8;
  b[21] = (sum & 0xff) ^ (opts.badSum ? 1 : 0);
  return withFcs(b);
}

describe("COM", () => {
  it("sends the documented wire format and takes apart what it receives", () => {
    const sim = new Simulation({ seed: 1, frameSlots: 64 });
    const nic = new EthernetNic(sim, "h0", { mac: mac(0) });
    const ch = new CaptureChannel(sim, "tap");
    nic.attach(0, ch, 0);
    const cpu = new HostCpu(sim, "h0.cpu", loadCpuProfile("workstation-1995"));
    const stack = new LayeredStack(sim, "h0.stack", { layers: ["COM"], cpu, nic, rank: 0, members: [mac(0), mac(1)] });
    const got: { src: number; bytes: Uint8Array }[] = [];
    stack.setApp({ onMessage: (_s, ptr, len, src) => got.push({ src, bytes: sim.runtime.u8.slice(ptr, ptr + len) }) });
    try {
      const payload = msgBytes(5, 7);
      const f = stack.allocMessage(payload.length);
      sim.runtime.u8.set(payload, sim.frames.offset(f));
      expect(stack.send(f)).toBe(true);
      sim.scheduler.runToIdle();
      expect(ch.sent.length).toBe(1);
      const w = ch.sent[0]!.bytes;
      expect(w.length).toBe(64); // padded to the Ethernet minimum, FCS appended
      expect([...w.subarray(0, 6)]).toEqual([2, 0, 0, 0, 0, 0x11]); // the other member
      expect([...w.subarray(6, 12)]).toEqual([2, 0, 0, 0, 0, 0x10]);
      expect([...w.subarray(12, 22)]).toEqual([0x88, 0xb5, 0x10, 0, ALL, 0, 0, 13, w[20], w[21]]);
      expect(inetSum(w.subarray(14, 14 + 13))).toBe(0xffff);
      expect([...w.subarray(22, 27)]).toEqual([...payload]);
      expect(zlibSync.crc32(w.subarray(0, 60))).toBe((w[60]! | (w[61]! << 8) | (w[62]! << 16) | (w[63]! << 24)) >>> 0);
      // The frame leaves when the send job has paid system call, user copy, crossing, checksum, driver.
      const p = cpu.profile;
      const sendCost =
        p.systemCallNs +
        p.copyCallNs +
        Math.round(5 * p.copyNsPerByte) +
        p.layerCrossingNs +
        p.checksumCallNs +
        Math.round(13 * p.checksumNsPerByte) +
        p.driverNs;
      expect(ch.sent[0]!.time).toBe(sendCost);

      const t0 = sim.now;
      ch.inject(0, comFrame(1, 0, msgBytes(30, 1)));
      ch.inject(0, comFrame(1, ALL, msgBytes(31, 2)));
      ch.inject(0, comFrame(1, 0, msgBytes(30, 3), { badSum: true }));
      ch.inject(0, comFrame(1, 0, msgBytes(30, 4), { etherType: 0x0800 }));
      ch.inject(0, comFrame(0, 0, msgBytes(30, 5))); // claims to be from us
      ch.inject(0, comFrame(1, 5, msgBytes(30, 6))); // for a member that is not us
      sim.scheduler.runToIdle();
      expect(got.map((g) => [g.src, g.bytes[0], g.bytes.length])).toEqual([
        [1, 1, 30],
        [1, 2, 31],
      ]);
      expect(got[0]!.bytes).toEqual(msgBytes(30, 1));
      const com = stack.stats().byLayer.COM!;
      expect(com).toMatchObject({ rxFrames: 2, badChecksum: 1, badEtherType: 1, badHeader: 1, notForUs: 1 });
      expect(cpu.stats().ops.interrupt.count).toBe(6);
      expect(nic.rxBuffersInUse).toBe(0);
      expect(sim.now).toBeGreaterThan(t0);
    } finally {
      stack.destroy();
      cpu.destroy();
      sim.scheduler.runToIdle();
      nic.destroy();
      expect(sim.frames.leaks()).toEqual([]);
      sim.destroy();
    }
  });

  it("a busy CPU keeps NIC buffers: frames beyond the receive chain are dropped there", () => {
    const g = group({ layers: ["COM"], rxBuffers: 4, link: { rate: "1Gbps", delay: "1us" } });
    for (let i = 0; i < 20; i++) g.send(0, msgBytes(1000, i));
    g.sim.scheduler.runToIdle();
    const nic = g.nics[1]!.stats();
    expect(nic.rxDrops.NO_RX_BUFFER).toBe(2);
    expect(g.received[1]!.length).toBe(20 - nic.rxDrops.NO_RX_BUFFER!);
  });
});

describe("FRAG", () => {
  it("splits a large message to the MTU and rebuilds it", () => {
    const g = group({ layers: ["FRAG", "COM"], slotBytes: 8192 });
    const m = msgBytes(5000, 9);
    expect(g.send(0, m)).toBe(true);
    expect(g.send(0, msgBytes(100, 10))).toBe(true);
    g.sim.scheduler.runToIdle();
    expect(g.received[1]!.map((r) => r.bytes)).toEqual([m, msgBytes(100, 10)]);
    expect(g.stacks[0]!.stats().byLayer.FRAG).toMatchObject({ fragmentsSent: 5 }); // ceil(5000 / 1488) + 1
    expect(g.stacks[1]!.stats().byLayer.FRAG).toMatchObject({ messagesReassembled: 1, fragmentsReceived: 5 });
  });

  it("over a lossy link delivers only whole messages and counts the rest", () => {
    const g = group({
      layers: ["FRAG", "COM"],
      slotBytes: 8192,
      link: { rate: "10Mbps", delay: "5us", faults: { loss: 0.15 } },
      seed: 3,
    });
    for (let i = 0; i < 20; i++) g.send(0, msgBytes(4000, i));
    g.sim.scheduler.runToIdle();
    const got = g.received[1]!;
    expect(got.length).toBeLessThan(20);
    expect(got.length).toBe(5);
    for (const r of got) expect(r.bytes).toEqual(msgBytes(4000, r.bytes[0]!));
    const st = g.stacks[1]!.stats().byLayer.FRAG!;
    expect(st.incomplete! + st.outOfOrder!).toBe(32);
  });
});

describe("NAK", () => {
  it("delivers every message once and in order over a link losing 20% both ways", () => {
    const g = group({
      layers: ["NAK", "COM"],
      link: { rate: "10Mbps", delay: "50us", faults: { loss: 0.2 } },
      seed: 5,
    });
    for (let i = 0; i < 150; i++) expect(g.send(0, msgBytes(200, i))).toBe(true);
    g.sim.scheduler.runToIdle();
    expect(g.received[1]!.map((r) => r.bytes[0])).toEqual(Array.from({ length: 150 }, (_, i) => i & 0xff));
    for (const r of g.received[1]!) expect(r.bytes).toEqual(msgBytes(200, r.bytes[0]!));
    const tx = g.stacks[0]!.stats().byLayer.NAK!;
    const rx = g.stacks[1]!.stats().byLayer.NAK!;
    expect(tx.retransmitted).toBe(36);
    expect(rx.naksSent).toBe(40);
    expect(tx.unacknowledged).toBe(0); // every message acknowledged: the retransmit ring is empty
  });

  it("holds messages in the backlog when the retransmit ring is full", () => {
    const g = group({ layers: ["NAK", "COM"], extra: { nak: { ringSize: 8, backlog: 16 } } });
    for (let i = 0; i < 30; i++) g.send(0, msgBytes(100, i));
    g.sim.scheduler.runToIdle();
    const tx = g.stacks[0]!.stats().byLayer.NAK!;
    expect(tx.backlogged).toBe(16);
    expect(tx.backlogDrops).toBe(30 - 8 - 16);
    expect(g.received[1]!.length).toBe(24);
  });
});

describe("FC", () => {
  it("holds the sender to the window and resumes on credits", () => {
    const g = group({ layers: ["FC", "NAK", "COM"], extra: { fc: { window: 4 } } });
    for (let i = 0; i < 40; i++) g.send(0, msgBytes(300, i));
    g.sim.scheduler.runToIdle();
    expect(g.received[1]!.map((r) => r.bytes[0])).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const fc = g.stacks[0]!.stats().byLayer.FC!;
    expect(fc.blocked).toBe(1);
    expect(fc.creditsReceived).toBeGreaterThanOrEqual(18);
    const evs = g.events[0]!.map((e) => e.ev);
    expect(evs).toContain(StackEvent.FLOW_BLOCKED);
    expect(evs.at(-1)).toBe(StackEvent.FLOW_RESUMED);
  });
});

describe("TOTAL", () => {
  function run(seed: number) {
    const g = group({
      n: 3,
      layers: ["TOTAL", "NAK", "COM"],
      link: { rate: "10Mbps", delay: "20us", faults: { loss: 0.05 } },
      seed,
    });
    for (let k = 0; k < 10; k++) for (let m = 0; m < 3; m++) g.send(m, msgBytes(64 + m, m * 16 + k));
    g.sim.scheduler.runToIdle();
    return { g, orders: g.received.map((r) => r.map((x) => `${x.src}:${x.bytes[0]}`)) };
  }

  it("every member delivers all messages, its own included, in one order", () => {
    const { g, orders } = run(7);
    expect(orders[0]!.length).toBe(30);
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).toEqual(orders[0]);
    // Per sender, the total order keeps FIFO order.
    for (let m = 0; m < 3; m++) {
      expect(orders[0]!.filter((s) => s.startsWith(`${m}:`))).toEqual(
        Array.from({ length: 10 }, (_, k) => `${m}:${m * 16 + k}`),
      );
    }
    expect(g.stacks[0]!.stats().byLayer.TOTAL!.ordersSent).toBe(20); // one per message of members 1 and 2
  });

  it("is deterministic: same seed, same trajectory; another seed, another one", () => {
    const a = run(11);
    const fa = a.g.sim.scheduler.fingerprint.toString();
    const b = run(11);
    expect(b.orders).toEqual(a.orders);
    expect(b.g.sim.scheduler.fingerprint.toString()).toEqual(fa);
    expect(run(12).g.sim.scheduler.fingerprint.toString()).not.toEqual(fa);
  });
});

describe("STABLE", () => {
  it("tells every member when every member has every message", () => {
    const g = group({ n: 3, layers: ["STABLE", "NAK", "COM"] });
    for (let k = 0; k < 5; k++) for (let m = 0; m < 3; m++) g.send(m, msgBytes(50, m * 16 + k));
    g.sim.scheduler.runToIdle();
    for (let i = 0; i < 3; i++) {
      expect(g.received[i]!.length).toBe(10);
      for (let s = 0; s < 3; s++) {
        const last = g.events[i]!.filter((e) => e.ev === StackEvent.STABLE && e.a === s).at(-1);
        expect(last?.b).toBe(5);
      }
      expect(g.stacks[i]!.stats().byLayer.STABLE!.minStable).toBe(5);
    }
  });
});
