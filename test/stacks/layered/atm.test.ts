// The layered stack over ATM: COM on an AtmNic (one AAL5 circuit per other member), the
// microprotocols over it (NAK repairing cell loss, FRAG above the AAL5 PDU limit, TOTAL through
// a switch) and the three host variants' copies.
import { describe, expect, it } from "vitest";
import { AtmNic } from "../../../src/devices/atm-nic.js";
import { Simulation } from "../../../src/engine/simulation.js";
import { HostCpu, loadCpuProfile } from "../../../src/stacks/cost.js";
import { ALL } from "../../../src/stacks/layered/layer.js";
import { OneWay, PingPong } from "../../../src/stacks/layered/ping-pong.js";
import { LayeredStack, type StackVariant } from "../../../src/stacks/layered/stack.js";
import { group, msgBytes } from "./support.js";
import { errorOf } from "../../support/errors.js";

function inetSum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** A COM PDU as the test builds it. */
function comPdu(
  src: number,
  dst: number,
  payload: Uint8Array,
  o: { badSum?: boolean; len?: number; version?: number } = {},
): Uint8Array {
  const len = 8 + payload.length;
  const b = new Uint8Array(len);
  const l = o.len ?? len;
  b.set([(o.version ?? 1) << 4, src, dst, 0, l >>> 8, l & 0xff, 0, 0]);
  b.set(payload, 8);
  const sum = ~inetSum(b) & 0xffff;
  b[6] = sum >>> 8;
  b[7] = (sum & 0xff) ^ (o.badSum ? 1 : 0);
  return b;
}

describe("COM over ATM", () => {
  it("sends the COM header as the AAL5 PDU, byte for byte, and takes apart what it receives", () => {
    const g = group({ layers: ["COM"], slotBytes: 16384, atm: {} });
    const [a, b] = g.stacks as [LayeredStack, LayeredStack];
    expect(a.headroom).toBe(8); // no link header: the circuit names the peer
    expect(a.maxMessage).toBe(9180 - 8);
    const sent: Uint8Array[] = [];
    g.atm!.nics[0]!.setPduTap({
      pdu: (_t, _vpi, _vci, u8, ptr, len, tx) => void (tx && sent.push(u8.slice(ptr, ptr + len))),
    });
    const payload = msgBytes(5, 7);
    expect(g.send(0, payload)).toBe(true);
    g.sim.scheduler.runToIdle();
    expect(sent.length).toBe(1);
    const w = sent[0]!;
    expect(w.length).toBe(13);
    expect([...w.subarray(0, 6)]).toEqual([0x10, 0, ALL, 0, 0, 13]);
    expect(inetSum(w)).toBe(0xffff);
    expect([...w.subarray(8)]).toEqual([...payload]);
    expect(g.received[1]!.map((r) => r.bytes)).toEqual([payload]);
    // The frame left after system call, user copy, crossing, checksum and driver work.
    const p = g.cpus[0]!.profile;
    expect(g.atm!.nics[0]!.stats().txPdus).toBe(1);
    expect(g.cpus[0]!.stats().ops.driver.count).toBe(1);
    expect(g.cpus[1]!.stats().ops.interrupt.count).toBe(1);
    expect(g.cpus[1]!.stats().ops.checksum.ns).toBe(p.checksumCallNs + Math.round(13 * p.checksumNsPerByte));

    // Crafted PDUs from member 1's NIC on its circuit to member 0.
    const nb = g.atm!.nics[1]!;
    const vc = g.atm!.vcs[1]![0]!;
    nb.sendBytes(vc, comPdu(1, 0, msgBytes(30, 1)));
    nb.sendBytes(vc, comPdu(1, ALL, msgBytes(9000, 2)));
    nb.sendBytes(vc, comPdu(1, 0, msgBytes(30, 3), { badSum: true }));
    nb.sendBytes(vc, comPdu(1, 0, msgBytes(30, 4), { len: 20 })); // length is not the PDU's
    nb.sendBytes(vc, comPdu(0, 0, msgBytes(30, 5))); // claims a source other than the circuit's
    nb.sendBytes(vc, comPdu(1, 5, msgBytes(30, 6))); // for another member
    nb.sendBytes(vc, comPdu(1, 0, msgBytes(30, 7), { version: 2 }));
    nb.sendBytes(vc, new Uint8Array([0x10, 1, 0])); // shorter than the header
    g.sim.scheduler.runToIdle();
    expect(g.received[0]!.map((r) => [r.src, r.bytes[0], r.bytes.length])).toEqual([
      [1, 1, 30],
      [1, 2, 9000],
    ]);
    expect(g.received[0]![1]!.bytes).toEqual(msgBytes(9000, 2));
    expect(a.stats().byLayer.COM).toMatchObject({ rxFrames: 2, badChecksum: 1, badHeader: 4, notForUs: 1 });
    // The copy out of the reassembly buffer is the emulator's: counted by COM, not charged.
    expect(a.stats().byLayer.COM!.emulatorCopyBytes).toBe(38 + 9008 + 38 * 5 + 3);
    expect(g.cpus[0]!.stats().ops.interrupt.count).toBe(8);
    expect(a.stats().bytesCopied).toBe(5 + 30 + 9000); // the model's: user boundary only
    void b;
  });

  it("sends dst ALL on every other member's circuit and dst = rank on that one (through a switch)", () => {
    const g = group({ n: 3, layers: ["COM"], atm: {} });
    expect(g.send(0, msgBytes(40, 1))).toBe(true);
    expect(g.send(0, msgBytes(41, 2), 2)).toBe(true);
    g.sim.scheduler.runToIdle();
    expect(g.received[1]!.map((r) => r.bytes[0])).toEqual([1]);
    expect(g.received[2]!.map((r) => r.bytes[0])).toEqual([1, 2]);
    expect(g.atm!.nics[0]!.stats().txPdus).toBe(3);
  });

  it("a busy CPU keeps the NIC's reassembly buffers: PDUs beyond them are dropped there", () => {
    const g = group({ layers: ["COM"], slotBytes: 4096, atm: { rxBuffers: 4, link: { rate: "OC-12", delay: "1us" } } });
    for (let i = 0; i < 20; i++) g.send(0, msgBytes(1000, i));
    g.sim.scheduler.runToIdle();
    const noBuffer = g.atm!.nics[1]!.stats().reassembly.noBuffer;
    expect(noBuffer).toBe(2);
    expect(g.received[1]!.length).toBe(20 - noBuffer);
  });

  it("refuses bad circuit lists and a stack with no network or two, naming the path", () => {
    const sim = new Simulation({ seed: 1, frameSlots: 16, slotBytes: 16384 });
    const nic = new AtmNic(sim, "x");
    const cpu = new HostCpu(sim, "x.cpu", loadCpuProfile("workstation-1995"));
    try {
      const vc = nic.openVc(0, 40);
      const mk = (o: object) => () => new LayeredStack(sim, "s", { layers: ["COM"], cpu, rank: 0, ...o });
      expect(errorOf(mk({ atm: { nic, vcs: [-1, 5] } })).path).toBe("s.layers[0].atm.vcs[1]"); // not open
      expect(errorOf(mk({ atm: { nic, vcs: [-1, 99] } })).message).toMatch(/not a circuit index/);
      expect(errorOf(mk({ atm: { nic, vcs: [vc, -1] } })).path).toBe("s.atm.vcs[0]"); // self must be -1
      expect(errorOf(mk({ atm: { nic, vcs: [-1] } })).path).toBe("s.layers[0].atm.vcs");
      expect(errorOf(mk({})).path).toBe("s.nic");
      expect(errorOf(mk({ atm: { nic, vcs: [-1, vc] }, nic: {} })).path).toBe("s.atm");
      const ok = new LayeredStack(sim, "ok", { layers: ["NAK", "COM"], cpu, rank: 0, atm: { nic, vcs: [-1, vc] } });
      const max = ok.maxMessage;
      ok.destroy();
      expect(max).toBe(9180 - 16);
    } finally {
      cpu.destroy();
      sim.scheduler.runToIdle();
      nic.destroy();
      expect(sim.frames.leaks()).toEqual([]);
      sim.destroy();
    }
  });
});

describe("microprotocols over ATM", () => {
  it("NAK delivers every message once and in order when cells are lost both ways", () => {
    const g = group({
      layers: ["NAK", "COM"],
      slotBytes: 4096,
      seed: 5,
      atm: { link: { rate: "OC-3", delay: "50us", faults: { cellLoss: 0.01 } } },
    });
    for (let i = 0; i < 150; i++) expect(g.send(0, msgBytes(500, i))).toBe(true);
    g.sim.scheduler.runToIdle();
    expect(g.received[1]!.map((r) => r.bytes[0])).toEqual(Array.from({ length: 150 }, (_, i) => i & 0xff));
    for (const r of g.received[1]!) expect(r.bytes).toEqual(msgBytes(500, r.bytes[0]!));
    const lost = g.atm!.nics[1]!.stats().reassembly;
    expect(lost.lostCells + lost.badCrc + lost.badLength).toBe(18); // AAL5 threw PDUs away
    const tx = g.stacks[0]!.stats().byLayer.NAK!;
    expect(tx.retransmitted).toBe(20);
    expect(g.stacks[1]!.stats().byLayer.NAK!.naksSent).toBe(17);
    expect(tx.unacknowledged).toBe(0);
  });

  it("FRAG is not needed below the AAL5 limit and splits above it", () => {
    const g = group({ layers: ["FRAG", "NAK", "COM"], slotBytes: 32768, frameSlots: 256, atm: {} });
    const s = g.stacks[0]!;
    expect(s.maxMessage).toBe(32768 - s.headroom); // FRAG on top lifts it to what a slot holds
    const big = msgBytes(20000, 9);
    expect(g.send(0, msgBytes(9000, 1))).toBe(true);
    expect(g.send(0, big)).toBe(true);
    g.sim.scheduler.runToIdle();
    expect(g.received[1]!.map((r) => r.bytes)).toEqual([msgBytes(9000, 1), big]);
    // 9000 bytes fit one 9180-byte PDU; 20000 take ceil(20000 / (9180 - 8 - 8 - 4)) = 3.
    expect(s.stats().byLayer.FRAG).toMatchObject({ fragmentsSent: 1 + 3 });
    expect(g.atm!.nics[0]!.stats().txPdus).toBe(4);
    expect(g.stacks[1]!.stats().byLayer.FRAG).toMatchObject({ messagesReassembled: 1 });
  });

  it("TOTAL over NAK through an ATM switch: one order at every member", () => {
    const g = group({
      n: 3,
      layers: ["TOTAL", "NAK", "COM"],
      seed: 7,
      atm: { link: { rate: "OC-3", delay: "20us", faults: { cellLoss: 0.005 } } },
    });
    for (let k = 0; k < 10; k++) for (let m = 0; m < 3; m++) g.send(m, msgBytes(200 + m, m * 16 + k));
    g.sim.scheduler.runToIdle();
    const orders = g.received.map((r) => r.map((x) => `${x.src}:${x.bytes[0]}`));
    expect(orders[0]!.length).toBe(30);
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).toEqual(orders[0]);
  });
});

describe("host variants over ATM", () => {
  function pingPong(variant: StackVariant, size: number) {
    const g = group({ layers: ["NAK", "FRAG", "COM"], variant, slotBytes: 16384, atm: {} });
    const pp = new PingPong(g.stacks[0]!, g.stacks[1]!, size, 10);
    pp.start();
    g.sim.scheduler.runToIdle();
    expect(pp.done).toBe(true);
    expect(pp.mismatches).toBe(0);
    return {
      rtt: pp.meanRtt(),
      copied: g.stacks[0]!.stats().bytesCopied + g.stacks[1]!.stats().bytesCopied,
      ops: g.cpus[0]!.stats().ops,
      reassembled: g.stacks[1]!.stats().byLayer.FRAG!.messagesReassembled!,
      pdus: g.atm!.nics[0]!.stats().txPdus,
      frags: g.stacks[0]!.stats().byLayer.FRAG!.fragmentsSent!,
    };
  }

  for (const size of [1024, 8192]) {
    it(`${size}-byte ping-pong: socket > layered > fbufs in latency and bytes copied, one PDU per message`, () => {
      const s = pingPong("socket", size);
      const l = pingPong("layered", size);
      const f = pingPong("fbufs", size);
      expect(s.rtt).toBeGreaterThan(l.rtt);
      expect(l.rtt).toBeGreaterThan(f.rtt);
      expect(s.copied).toBeGreaterThan(l.copied);
      expect(l.copied).toBe(2 * 2 * 10 * size);
      expect(f.copied).toBe(0);
      expect(f.ops.copy.count).toBe(0);
      // No fragmentation below the AAL5 limit: one PDU per message or ack, nothing reassembled.
      expect(l.pdus).toBe(l.frags);
      expect(l.reassembled).toBe(0);
    });
  }

  it("one-way 8 KB stream over OC-3 delivers everything", () => {
    const g = group({ layers: ["FC", "NAK", "COM"], slotBytes: 16384, atm: { rxBuffers: 128 } });
    const ow = new OneWay(g.stacks[0]!, g.stacks[1]!, 8192, 40);
    ow.start();
    g.sim.scheduler.runToIdle();
    expect(ow.received).toBe(40);
    expect(ow.goodput(0)).toBeCloseTo(129228643.85545267, 6);
  });
});
