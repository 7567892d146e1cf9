import { afterEach, describe, expect, it } from "vitest";
import { NetloomError } from "../../src/base/errors.js";
import { AtmLink } from "../../src/devices/atm-link.js";
import { AtmNic } from "../../src/devices/atm-nic.js";
import { AtmSwitch } from "../../src/devices/atm-switch.js";
import type { AtmDiscardPolicy } from "../../src/devices/atm-switch-discard.js";
import { Simulation } from "../../src/engine/simulation.js";
import { Aal5Source } from "../../src/traffic/aal5-source.js";
import { AtmCellView } from "../../src/wire/atm-cell.js";
import { CellInjector, CellSink, cells, craftCell } from "../support/atm.js";

const sims: { sim: Simulation; destroy: (() => void)[] }[] = [];
function simulation(seed = 1) {
  const s = { sim: new Simulation({ seed, frameSlots: 1024, slotBytes: 10240 }), destroy: [] as (() => void)[] };
  sims.push(s);
  return s;
}
afterEach(() => {
  for (const s of sims.splice(0)) {
    for (const d of s.destroy) d();
    s.sim.scheduler.runToIdle();
    expect(s.sim.frames.leaks()).toEqual([]);
    s.sim.destroy();
  }
});

/** Injectors on ports 0..n-1 (rate inRate), a sink on port n (rate outRate). */
function bench(inputs: number, policy: AtmDiscardPolicy, inRate = "OC-3", outRate = "OC-3", seed = 1) {
  const ctx = simulation(seed);
  const { sim } = ctx;
  const sw = new AtmSwitch(sim, "sw", { ports: inputs + 1, policy });
  ctx.destroy.push(() => sw.destroy());
  const inj = Array.from({ length: inputs }, (_, p) => {
    const i = new CellInjector(sim, `inj${p}`);
    const l = new AtmLink(sim, `in${p}`, { rate: inRate });
    i.attach(0, l, 0);
    sw.attach(p, l, 1);
    return i;
  });
  const sink = new CellSink(sim, "sink");
  const lo = new AtmLink(sim, "out", { rate: outRate });
  sw.attach(inputs, lo, 0);
  sink.attach(0, lo, 1);
  return { sim, sw, inj, sink };
}

/** A PDU of n cells on VCI vci; payload byte 0 = pdu id, byte 1 = cell index. */
function pdu(vci: number, id: number, n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, k) => {
    const c = craftCell({ vpi: 0, vci, pti: k === n - 1 ? 1 : 0 });
    c[5] = id;
    c[6] = k;
    return c;
  });
}

const tag = (c: Uint8Array): string => `${c[5]}.${c[6]}${(c[3]! & 2) !== 0 ? "e" : ""}`;

describe("AtmSwitch switching", () => {
  it("rewrites VPI/VCI and the HEC on a PVC; unknown circuits and idle cells are counted", () => {
    const { sim, sw, inj, sink } = bench(1, {});
    sw.addPvc(0, 0, 100, 1, 5, 200);
    inj[0]!.send(
      cells(
        ...pdu(100, 1, 3),
        craftCell({ vpi: 0, vci: 101 }),
        new Uint8Array([0, 0, 0, 1, 0x52, ...new Array(48).fill(0x6a)]),
      ),
    );
    sim.scheduler.runToIdle();
    expect(sink.cells.map((c) => tag(c.bytes))).toEqual(["1.0", "1.1", "1.2e"]);
    for (const c of sink.cells) {
      const v = new AtmCellView(c.bytes);
      expect([v.vpi, v.vci, v.hecValid()]).toEqual([5, 200, true]);
    }
    const s = sw.portStats(0);
    expect(s.drops.unknownVc).toBe(1);
    expect(s.idleCells).toBe(1);
    expect(sw.portStats(1).txCells).toBe(3);
    expect(() => sw.addPvc(0, 0, 100, 1, 5, 201)).toThrow(NetloomError);
    expect(sw.circuitCount(0)).toBe(1);
    sw.setCircuitLimit(0, 1);
    expect(sw.mayOpenCircuit(0)).toBe(false);
    expect(sw.removePvc(0, 0, 100)).toBe(true);
    expect(sw.mayOpenCircuit(0)).toBe(true);
  });

  it("corrects a single-bit header error and drops a two-bit one (I.432.1 modes)", () => {
    const { sim, sw, inj, sink } = bench(1, {});
    sw.addPvc(0, 0, 100, 1, 0, 300);
    const list = Array.from({ length: 7 }, (_, k) => {
      const c = craftCell({ vpi: 0, vci: 100 });
      c[5] = k;
      return c;
    });
    list[1]![2]! ^= 0x10; // single bit: corrected (correction mode)
    list[3]![1]! ^= 0x01; // single bit right after a valid cell: corrected
    list[4]![2]! ^= 0x01; // single bit while in detection mode: discarded
    list[6]![0]! ^= 0x81; // two bits: discarded
    inj[0]!.send(cells(...list), true);
    sim.scheduler.runToIdle();
    expect(sink.cells.map((c) => c.bytes[5])).toEqual([0, 1, 2, 3, 5]);
    for (const c of sink.cells) expect(new AtmCellView(c.bytes).vci).toBe(300);
    expect(sw.portStats(0).hecCorrected).toBe(2);
    expect(sw.portStats(0).drops.hec).toBe(2);
  });

  it("carries PDUs through a 3-switch PVC path to a NIC, bytes identical", () => {
    const ctx = simulation();
    const { sim } = ctx;
    const a = new AtmNic(sim, "a");
    const b = new AtmNic(sim, "b");
    const sws = [0, 1, 2].map((k) => new AtmSwitch(sim, `sw${k}`, { ports: 2, format: ["uni", "nni"] }));
    ctx.destroy.push(
      () => a.destroy(),
      () => b.destroy(),
      ...sws.map((s) => () => s.destroy()),
    );
    const links = [0, 1, 2, 3].map(
      (k) => new AtmLink(sim, `l${k}`, { rate: k === 0 || k === 3 ? "OC-3" : "OC-12", delay: "5us" }),
    );
    a.attach(0, links[0]!, 0);
    sws[0]!.attach(0, links[0]!, 1);
    sws[0]!.attach(1, links[1]!, 0);
    sws[1]!.attach(1, links[1]!, 1);
    sws[1]!.attach(0, links[2]!, 0);
    sws[2]!.attach(1, links[2]!, 1);
    sws[2]!.attach(0, links[3]!, 0);
    b.attach(0, links[3]!, 1);
    // Port 0 of each switch is UNI, port 1 NNI. sw0: UNI 0/32 -> NNI 1000/40 (a 12-bit VPI);
    // sw1: NNI 1000/40 -> UNI 7/41; sw2 reads that UNI header (GFC 0) on its NNI port as 7/41.
    sws[0]!.addPvc(0, 0, 32, 1, 1000, 40);
    sws[1]!.addPvc(1, 1000, 40, 0, 7, 41);
    sws[2]!.addPvc(1, 7, 41, 0, 3, 99);
    const va = a.openVc(0, 32);
    const vb = b.openVc(3, 99);
    const got: Uint8Array[] = [];
    b.setReceiver({
      deliver(vc, ptr, len) {
        expect(vc).toBe(vb);
        got.push(sim.runtime.u8.slice(ptr, ptr + len));
        return false;
      },
    });
    const pdus = [1, 500, 9180, 48, 3000].map((n, k) => new Uint8Array(n).map((_, i) => (i * 13 + k) & 0xff));
    for (const p of pdus) a.sendBytes(va, p);
    sim.scheduler.runToIdle();
    expect(got).toEqual(pdus);
    expect(sws.map((s) => s.switchedCells)).toEqual([1, 2, 3].map(() => a.stats().txCells));
  });

  it("interleaves two inputs cell by cell into one output (no train-sized bursts)", () => {
    const { sim, sw, inj, sink } = bench(2, { queueLimit: 1000 });
    sw.addPvc(0, 0, 100, 2, 0, 100);
    sw.addPvc(1, 0, 101, 2, 0, 101);
    inj[0]!.send(cells(...pdu(100, 1, 20)));
    inj[1]!.send(cells(...pdu(101, 2, 20)));
    sim.scheduler.runToIdle();
    const order = sink.cells.map((c) => c.bytes[5]);
    expect(order.slice(0, 8)).toEqual([1, 2, 1, 2, 1, 2, 1, 2]);
    expect(order.length).toBe(40);
    // Back to back at the output's cell rate: 40 cell times after the first cell arrived.
    const t = sink.cells.map((c) => c.time);
    for (let k = 1; k < t.length; k++) expect(t[k]! - t[k - 1]!).toBeGreaterThanOrEqual(2831);
    for (let k = 1; k < t.length; k++) expect(t[k]! - t[k - 1]!).toBeLessThanOrEqual(2832);
    expect(sw.portStats(2).queueHighWater).toBeGreaterThan(5);
  });
});

describe("AtmSwitch congestion policies", () => {
  // One OC-12 input into an OC-3 output: the queue grows by 3 cells for every 4 that arrive.
  function run(policy: AtmDiscardPolicy, pdus: number, cellsPer: number, seed = 1) {
    const b = bench(1, policy, "OC-12", "OC-3", seed);
    b.sw.addPvc(0, 0, 100, 1, 0, 100);
    const list: Uint8Array[] = [];
    for (let k = 0; k < pdus; k++) list.push(...pdu(100, k, cellsPer));
    b.inj[0]!.send(cells(...list));
    b.sim.scheduler.runToIdle();
    const byPdu = new Map<number, string[]>();
    for (const c of b.sink.cells) {
      const id = c.bytes[5]!;
      byPdu.set(id, [...(byPdu.get(id) ?? []), tag(c.bytes)]);
    }
    return { ...b, byPdu, stats: b.sw.portStats(1) };
  }

  it("EPD, cell by cell: a PDU starting above the threshold is refused whole, end cell included", () => {
    const { byPdu, stats, sink } = run({ queueLimit: 64, epdThreshold: 2 }, 4, 4);
    // PDU 0 starts on an empty queue and is taken whole; PDU 1 starts at 3 queued cells and
    // PDU 2 at 2: refused; PDU 3 starts at 1: taken.
    expect([...byPdu.keys()]).toEqual([0, 3]);
    expect(byPdu.get(0)).toEqual(["0.0", "0.1", "0.2", "0.3e"]);
    expect(byPdu.get(3)).toEqual(["3.0", "3.1", "3.2", "3.3e"]);
    expect(stats.epdPdus).toBe(2);
    expect(stats.drops.epd).toBe(8);
    expect(sink.cells.length).toBe(8);
  });

  it("drop-tail alone leaves holes in PDUs; PPD cuts the rest but keeps the end cell", () => {
    const tail = run({ queueLimit: 6 }, 6, 8);
    const ppd = run({ queueLimit: 6, ppd: true }, 6, 8);
    // Drop-tail: some PDU has a hole followed by later non-end cells.
    const holey = [...tail.byPdu.values()].some((cs) => {
      const idx = cs.map((c) => Number(c.split(".")[1]!.replace("e", "")));
      return idx.some((v, k) => v !== (k === 0 ? 0 : idx[k - 1]! + 1) && v !== 7);
    });
    expect(holey).toBe(true);
    // PPD: in every PDU the delivered cells are a prefix plus (maybe) the end cell.
    // (The end cell itself is dropped only when the queue is full when it arrives.)
    let cutButDelimited = 0;
    for (const cs of ppd.byPdu.values()) {
      const idx = cs.map((c) => Number(c.split(".")[1]!.replace("e", "")));
      const prefix = idx.findIndex((v, k) => v !== k);
      if (prefix >= 0) {
        expect(idx.slice(prefix)).toEqual([7]);
        cutButDelimited++;
      }
    }
    expect(cutButDelimited).toBe(5);
    expect(ppd.stats.drops.ppd).toBe(25);
    expect(ppd.stats.ppdPdus).toBe(5);
    // Every cell is accounted for.
    for (const r of [tail, ppd]) {
      const d = r.stats.drops;
      expect(r.stats.txCells + d.queueFull + d.ppd + d.epd + d.random).toBe(48);
      expect(r.stats.queueHighWater).toBeLessThanOrEqual(6);
    }
  });

  it("random discard drops about p of the cells above the threshold, reproducibly", () => {
    const r1 = run({ queueLimit: 10_000, randomDiscard: { threshold: 1, probability: 0.25 } }, 15, 10, 4);
    const r2 = run({ queueLimit: 10_000, randomDiscard: { threshold: 1, probability: 0.25 } }, 15, 10, 4);
    const dropped = r1.stats.drops.random;
    expect(dropped).toBeGreaterThan(20);
    expect(dropped).toBeLessThan(60);
    expect(r1.stats.txCells + dropped).toBe(150);
    expect(r2.stats.drops.random).toBe(dropped);
    expect(r2.sim.scheduler.fingerprint.toString()).toBe(r1.sim.scheduler.fingerprint.toString());
  });

  it("EPD keeps goodput near the output rate under 3x overload; drop-tail collapses", () => {
    function goodput(policy: AtmDiscardPolicy): number {
      const ctx = simulation(9);
      const { sim } = ctx;
      const sw = new AtmSwitch(sim, "sw", { ports: 4, policy });
      const rx = new AtmNic(sim, "rx");
      const lo = new AtmLink(sim, "lo", { rate: "OC-3" });
      sw.attach(3, lo, 0);
      rx.attach(0, lo, 1);
      const nics: AtmNic[] = [];
      const srcs: Aal5Source[] = [];
      for (let h = 0; h < 3; h++) {
        const nic = new AtmNic(sim, `h${h}`);
        const l = new AtmLink(sim, `l${h}`, { rate: "OC-3", delay: `${h + 1}us` });
        nic.attach(0, l, 0);
        sw.attach(h, l, 1);
        sw.addPvc(h, 0, 100 + h, 3, 0, 200 + h);
        rx.openVc(0, 200 + h);
        nics.push(nic);
        srcs.push(
          new Aal5Source(sim, `g${h}`, nic, {
            vc: nic.openVc(0, 100 + h),
            pduBytes: 1500,
            start: h * 7000,
            stop: 10e6,
          }),
        );
      }
      ctx.destroy.push(
        () => srcs.forEach((s) => s.destroy()),
        () => nics.forEach((n) => n.destroy()),
        () => rx.destroy(),
        () => sw.destroy(),
      );
      sim.scheduler.run(10e6);
      expect(sw.portStats(3).queueHighWater).toBeLessThanOrEqual(policy.queueLimit!);
      return (rx.stats().rxBytes * 8) / 10e-3 / 1e6;
    }
    const none = goodput({ queueLimit: 256 });
    const epd = goodput({ queueLimit: 256, epdThreshold: 128, ppd: true });
    expect(epd).toBeGreaterThan(120);
    expect(none).toBeLessThan(epd / 3);
  });
});
