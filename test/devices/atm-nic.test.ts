import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { NetloomError } from "../../src/base/errors.js";
import { AtmLink, parseCellRate } from "../../src/devices/atm-link.js";
import { AtmNic } from "../../src/devices/atm-nic.js";
import { Simulation } from "../../src/engine/simulation.js";
import { Aal5Source } from "../../src/traffic/aal5-source.js";
import { ATM_CELL_LEN, emitIdleCell, AtmCellView } from "../../src/wire/atm-cell.js";
import { CellRelay } from "../support/atm.js";

const SLOT = 10240;
const sims: { sim: Simulation; destroy: (() => void)[] }[] = [];
function simulation(seed = 1): { sim: Simulation; destroy: (() => void)[] } {
  const s = { sim: new Simulation({ seed, frameSlots: 512, slotBytes: SLOT }), destroy: [] as (() => void)[] };
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

interface Got {
  vc: number;
  bytes: Uint8Array;
  time: number;
}

/** a -> link -> b, or a -> l0 -> relay -> l1 -> b when `relay`. */
function pair(options: { relay?: boolean; parity?: boolean; rate?: string; timeout?: string; seed?: number } = {}) {
  const ctx = simulation(options.seed ?? 1);
  const { sim } = ctx;
  const a = new AtmNic(sim, "a");
  const b = new AtmNic(sim, "b", { reassemblyTimeout: options.timeout ?? "10ms" });
  ctx.destroy.push(
    () => a.destroy(),
    () => b.destroy(),
  );
  let relay: CellRelay | undefined;
  if (options.relay) {
    relay = new CellRelay(sim, "relay");
    const l0 = new AtmLink(sim, "l0", { rate: options.rate ?? "OC-3", delay: "1us" });
    const l1 = new AtmLink(sim, "l1", { rate: options.rate ?? "OC-3", delay: "1us" });
    a.attach(0, l0, 0);
    relay.attach(0, l0, 1);
    relay.attach(1, l1, 0);
    b.attach(0, l1, 1);
  } else {
    const l = new AtmLink(sim, "l", { rate: options.rate ?? "OC-3", delay: "10us" });
    a.attach(0, l, 0);
    b.attach(0, l, 1);
  }
  const va = a.openVc(1, 42, { parity: options.parity ?? false });
  const vb = b.openVc(1, 42, { parity: options.parity ?? false });
  const got: Got[] = [];
  b.setReceiver({
    deliver(vc, ptr, length) {
      got.push({ vc, bytes: sim.runtime.u8.slice(ptr, ptr + length), time: sim.now });
      return false;
    },
  });
  return { sim, a, b, va, vb, got, relay };
}

function pattern(len: number, seed: number): Uint8Array {
  return new Uint8Array(len).map((_, i) => (i * 31 + seed * 7 + (i >> 8)) & 0xff);
}

describe("cell rates", () => {
  it("OC-3 carries 149.76 Mbit/s of cells: 2.831 us per cell, as an exact rational", () => {
    const c = parseCellRate("OC-3", "rate");
    expect(c.num / c.den).toBeCloseTo(2831.1966, 3);
    expect(c.bitsPerSecond).toBeCloseTo(149.76e6, 0);
    expect(parseCellRate("OC-12", "rate").bitsPerSecond).toBeCloseTo(4 * 149.76e6, 0);
    expect(parseCellRate("OC-48", "rate").bitsPerSecond).toBeCloseTo(16 * 149.76e6, 0);
    expect(parseCellRate(1e6, "rate").num / parseCellRate(1e6, "rate").den).toBe(1000);
    expect(() => parseCellRate("OC-5", "links[0].rate")).toThrow(/links\[0\]\.rate/);
    expect(() => parseCellRate(-1, "rate")).toThrow(NetloomError);
  });
});

describe("AtmNic over an AtmLink", () => {
  it("segments PDUs into cells and the receiver reassembles identical bytes, timed per cell", () => {
    const { sim, a, b, va, vb, got } = pair();
    const sizes = [1, 40, 41, 48, 1500, 9180];
    sizes.forEach((n, k) => expect(a.sendBytes(va, pattern(n, k))).toBe(true));
    sim.scheduler.runToIdle();
    expect(got.map((g) => g.bytes.length)).toEqual(sizes);
    got.forEach((g, k) => {
      expect(g.vc).toBe(vb);
      expect(g.bytes).toEqual(pattern(sizes[k]!, k));
    });
    // The first PDU is one cell: serialization (2832 ns, rounded up) + 10 us of propagation.
    expect(got[0]!.time).toBe(2832 + 10_000);
    const cells = sizes.reduce((s, n) => s + Math.ceil((n + 8) / 48), 0);
    // Back to back from time 0: the last PDU ends after exactly `cells` cell times + delay.
    expect(got.at(-1)!.time).toBe(Math.ceil((cells * 331250) / 117) + 10_000);
    expect(a.stats().txCells).toBe(cells);
    expect(b.stats().rxCells).toBe(cells);
    expect(b.vcStats(vb).rxPdus).toBe(sizes.length);
  });

  it("random PDUs arrive intact and in order (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9180 }), { minLength: 1, maxLength: 6 }), (sizes) => {
        const { sim, a, va, got } = pair();
        sizes.forEach((n, k) => a.sendBytes(va, pattern(n, k)));
        sim.scheduler.runToIdle();
        expect(got.map((g) => g.bytes)).toEqual(sizes.map((n, k) => pattern(n, k)));
        for (const s of sims.splice(0)) {
          for (const d of s.destroy) d();
          expect(s.sim.frames.leaks()).toEqual([]);
          s.sim.destroy();
        }
      }),
      { numRuns: 15 },
    );
  });

  it("refuses what it cannot send, counted by reason", () => {
    const { sim, a, va } = pair();
    expect(a.sendBytes(va, new Uint8Array(9181))).toBe(false);
    const small = new AtmNic(sim, "small", { txQueueLimit: 100 });
    sims.at(-1)!.destroy.push(() => small.destroy());
    const l = new AtmLink(sim, "l2", { rate: "OC-3" });
    small.attach(0, l, 0);
    const v = small.openVc(1, 50);
    expect(small.sendBytes(v, new Uint8Array(4000))).toBe(true); // 84 cells
    expect(small.sendBytes(v, new Uint8Array(1000))).toBe(false); // 84 + 21 > 100
    expect(small.stats().txDrops.queueFull).toBe(1);
    expect(a.stats().txDrops.tooLong).toBe(1);
    expect(() => a.send(99, 0)).toThrow(NetloomError);
    expect(() => a.openVc(1, 42)).toThrow(/already open/);
    sim.scheduler.runToIdle();
  });

  it("unknown VPI/VCI is counted, not delivered", () => {
    const { sim, a, b, got } = pair();
    const other = a.openVc(1, 43);
    a.sendBytes(other, pattern(100, 1));
    sim.scheduler.runToIdle();
    expect(got.length).toBe(0);
    expect(b.stats().unknownVc).toBe(3);
  });

  it("a receiver may keep buffers (zero-copy) and give them back later; kept buffers bound the pool", () => {
    const ctx = simulation();
    const { sim } = ctx;
    const a = new AtmNic(sim, "a");
    const b = new AtmNic(sim, "b", { rxBuffers: 2 });
    ctx.destroy.push(
      () => a.destroy(),
      () => b.destroy(),
    );
    const l = new AtmLink(sim, "l");
    a.attach(0, l, 0);
    b.attach(0, l, 1);
    const va = a.openVc(0, 100);
    b.openVc(0, 100);
    const kept: number[] = [];
    b.setReceiver({
      deliver(_vc, ptr) {
        kept.push(ptr);
        return true;
      },
    });
    for (let k = 0; k < 4; k++) a.sendBytes(va, pattern(500, k));
    sim.scheduler.runToIdle();
    expect(kept.length).toBe(2);
    expect(b.stats().reassembly.noBuffer).toBe(2);
    for (const p of kept) b.returnBuffer(p);
    expect(() => b.returnBuffer(kept[0]!)).toThrow(NetloomError);
    a.sendBytes(va, pattern(500, 9));
    sim.scheduler.runToIdle();
    expect(kept.length).toBe(3);
    b.returnBuffer(kept[2]!);
  });

  it("a PDU whose last cell is lost times out and is counted; the next one gets through", () => {
    const { sim, a, b, va, got, relay } = pair({ relay: true, timeout: "1ms" });
    relay!.edit = (_f, cells, k) => {
      if (k === 0) emitIdleCell(new AtmCellView(cells, cells.length - ATM_CELL_LEN));
    };
    a.sendBytes(va, pattern(1000, 1));
    sim.scheduler.runToIdle();
    expect(got.length).toBe(0);
    expect(b.stats().timeouts).toBe(1);
    expect(b.stats().idleCells).toBe(1);
    expect(b.stats().reassembly.aborts).toBe(1);
    a.sendBytes(va, pattern(1000, 2));
    sim.scheduler.runToIdle();
    expect(got.map((g) => g.bytes)).toEqual([pattern(1000, 2)]);
  });

  it("a lost middle cell without parity is a counted lost-cells drop", () => {
    const { sim, a, b, va, got, relay } = pair({ relay: true });
    relay!.edit = (_f, cells) => emitIdleCell(new AtmCellView(cells, 5 * ATM_CELL_LEN));
    a.sendBytes(va, pattern(2000, 1));
    sim.scheduler.runToIdle();
    expect(got.length).toBe(0);
    expect(b.stats().reassembly.lostCells).toBe(1);
  });
});

describe("parity cell", () => {
  for (const lost of [0, 7, 20, 41]) {
    it(`rebuilds one lost cell (cell ${lost} of 42 data cells + parity)`, () => {
      const { sim, a, b, va, got, relay } = pair({ relay: true, parity: true });
      relay!.edit = (_f, cells, k) => {
        if (k === 1) emitIdleCell(new AtmCellView(cells, lost * ATM_CELL_LEN));
      };
      for (let k = 0; k < 3; k++) a.sendBytes(va, pattern(2000, k)); // 42 data cells + parity
      sim.scheduler.runToIdle();
      expect(a.stats().txCells).toBe(3 * 43);
      expect(got.map((g) => g.bytes)).toEqual([0, 1, 2].map((k) => pattern(2000, k)));
      expect(b.stats().rebuilt).toBe(1);
      expect(b.stats().parityFailed).toBe(0);
      expect(b.stats().parityCells).toBe(3);
    });
  }

  it("cannot rebuild two lost cells: counted as parityFailed, the next PDU is fine", () => {
    const { sim, a, b, va, got, relay } = pair({ relay: true, parity: true });
    relay!.edit = (_f, cells, k) => {
      if (k !== 0) return;
      emitIdleCell(new AtmCellView(cells, 3 * ATM_CELL_LEN));
      emitIdleCell(new AtmCellView(cells, 9 * ATM_CELL_LEN));
    };
    a.sendBytes(va, pattern(2000, 0));
    a.sendBytes(va, pattern(2000, 1));
    sim.scheduler.runToIdle();
    expect(got.map((g) => g.bytes)).toEqual([pattern(2000, 1)]);
    expect(b.stats().rebuilt).toBe(0);
    expect(b.stats().parityFailed).toBe(1);
  });

  it("a lost end-of-PDU cell plus another: the rebuilt end cell fails the CRC (counted)", () => {
    const { sim, a, b, va, got, relay } = pair({ relay: true, parity: true });
    relay!.edit = (_f, cells, k) => {
      if (k !== 0) return;
      emitIdleCell(new AtmCellView(cells, 2 * ATM_CELL_LEN));
      emitIdleCell(new AtmCellView(cells, 40 * ATM_CELL_LEN));
    };
    a.sendBytes(va, pattern(1960, 0)); // 41 data cells: 40 is the end cell, 41 the parity cell
    sim.scheduler.runToIdle();
    expect(got.length).toBe(0);
    expect(b.stats().parityFailed).toBe(1);
  });
});

describe("bit errors and determinism", () => {
  function noisy(seed: number) {
    const ctx = simulation(seed);
    const { sim } = ctx;
    const a = new AtmNic(sim, "a");
    const b = new AtmNic(sim, "b");
    ctx.destroy.push(
      () => a.destroy(),
      () => b.destroy(),
    );
    const l = new AtmLink(sim, "l", { rate: "OC-12", delay: "3us", faults: { ber: 2e-5, cellLoss: 1e-3 } });
    a.attach(0, l, 0);
    b.attach(0, l, 1);
    const va = a.openVc(2, 77, { parity: true });
    b.openVc(2, 77, { parity: true });
    let good = 0;
    b.setReceiver({
      deliver(_vc, ptr, length) {
        const bytes = sim.runtime.u8.subarray(ptr, ptr + 4);
        const seq = (bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!;
        if (seq >= 0 && length === 1500) good++;
        return false;
      },
    });
    const src = new Aal5Source(sim, "gen", a, { vc: va, pduBytes: 1500, count: 300 });
    ctx.destroy.unshift(() => src.destroy());
    sim.scheduler.runToIdle();
    return { sim, a, b, good, link: l };
  }

  it("header bit errors reach the HEC logic; payload errors fail the CRC; everything is counted", () => {
    const { b, good, link } = noisy(3);
    const s = b.stats();
    const d = link.stats(0);
    expect(d.flippedBits).toBeGreaterThan(50);
    expect(s.hecCorrected).toBe(6);
    expect(s.reassembly.badCrc + s.reassembly.lostCells + s.reassembly.badLength).toBe(81);
    expect(good).toBe(s.rxPdus);
    expect(good).toBeLessThan(300);
    expect(good).toBeGreaterThan(200);
    expect(s.idleCells).toBe(d.lostCells);
  });

  it("same seed, same fingerprint and outcome; another seed, other errors (faults do not change events)", () => {
    const f1 = noisy(5);
    const fp1 = f1.sim.scheduler.fingerprint.toString();
    const g1 = f1.good;
    const f2 = noisy(5);
    expect(f2.sim.scheduler.fingerprint.toString()).toBe(fp1);
    expect(f2.good).toBe(g1);
    const f3 = noisy(6);
    expect(JSON.stringify(f3.b.stats())).not.toBe(JSON.stringify(f1.b.stats()));
  });
});
