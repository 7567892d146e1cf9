// Frame switching kernels against their TypeScript references, through the batch calls devices
// use: MAC table lookups (with source learning) on a 100,000-entry forwarding database with
// random destinations, and ATM VC rewrite (header + HEC) over 8,192 circuits. Frames, cells and
// frame vectors are built once, outside the timed functions; each call handles one batch of 256.

import { opsPerSecond, type BenchSuite, type Figure } from "./harness.js";
import { getRuntime } from "../src/kernels/runtime.js";
import { ForwardingDatabase, VcTable } from "../src/kernels/switching.js";
import { ReferenceFdb, macKey } from "../src/kernels/reference/fdb.js";
import { ReferenceVcTable, referenceHec } from "../src/kernels/reference/vc.js";
import { seededBytes } from "../src/base/seeded-bytes.js";

const BATCH = 256;
const BATCHES = 32;
const FRAMES = BATCH * BATCHES;

function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

async function fdbFigure(quick: boolean): Promise<Figure> {
  const rt = getRuntime();
  const stations = 100_000;
  const ports = 48;
  const fdb = ForwardingDatabase.create({ capacity: stations, ports, runtime: rt });
  const ref = new ReferenceFdb(stations, fdb.agingTimeNs, ports);
  const region = rt.heap.alloc(FRAMES * 16 + FRAMES * 64);
  try {
    const vec = region;
    const frames = region + FRAMES * 16;
    const macs = Array.from({ length: stations }, (_, i) => {
      const m = seededBytes(i + 1, 6);
      m[0] = m[0]! & 0xfe;
      return m;
    });
    const portOf = (i: number): number => i % ports;
    // Populate both tables: every station learned on its port.
    macs.forEach((m, i) => {
      fdb.learn(m, portOf(i), 0);
      ref.learn(macKey(m), portOf(i), 0);
    });
    // Frames from random stations (on their own ports, so no moves) to random destinations.
    const next = rng(0xfdb);
    for (let i = 0; i < FRAMES; i++) {
      const ptr = frames + i * 64;
      const src = next() % stations;
      rt.u8.set(macs[next() % stations]!, ptr);
      rt.u8.set(macs[src]!, ptr + 6);
      rt.u8.set([0x08, 0x00], ptr + 12);
      const w = (vec >>> 2) + i * 4;
      rt.u32[w] = ptr;
      rt.u32[w + 1] = 64;
      rt.u32[w + 2] = portOf(src);
    }
    let k = 0;
    const now = 1_000_000;
    const wasm = await opsPerSecond(
      () => {
        fdb.processBatch(vec + (k++ % BATCHES) * BATCH * 16, BATCH, now);
      },
      { quick, opsPerCall: BATCH },
    );
    k = 0;
    const reference = await opsPerSecond(
      () => {
        ref.processBatch(rt.u8, vec + (k++ % BATCHES) * BATCH * 16, BATCH, now);
      },
      { quick, opsPerCall: BATCH },
    );
    const s = fdb.stats();
    if (s.entries !== stations || s.learnFailures !== 0 || s.hits === 0) throw new Error("FDB bench table is wrong");
    return {
      name: `MAC table lookups, ${stations / 1000}k entries, random dst (batch of ${BATCH})`,
      value: wasm / 1e6,
      unit: "M/s",
      reference: reference / 1e6,
      target: { min: 30 },
    };
  } finally {
    rt.heap.free(region);
    fdb.free();
  }
}

async function vcFigure(quick: boolean): Promise<Figure> {
  const rt = getRuntime();
  const ports = 16;
  const perPort = 512; // 8 VPIs x 64 VCIs on every port: 8,192 circuits
  const circuits = ports * perPort;
  const table = VcTable.create({ capacity: circuits, ports, format: "nni", runtime: rt });
  const ref = new ReferenceVcTable(circuits, new Array(ports).fill("nni"));
  const vpiOf = (i: number): number => i >> 6;
  const vciOf = (i: number): number => 32 + (i & 63);
  // Circuit i on a port maps to circuit i + 1 (mod perPort) so rewritten cells stay switchable
  // when the same cells go through again: the bench never runs out of known circuits.
  for (let p = 0; p < ports; p++) {
    for (let i = 0; i < perPort; i++) {
      const j = (i + 1) % perPort;
      const route = {
        inPort: p,
        vpi: vpiOf(i),
        vci: vciOf(i),
        outPort: (p + 1) % ports,
        outVpi: vpiOf(j),
        outVci: vciOf(j),
      };
      table.add(route);
      ref.add(p, route.vpi, route.vci, { outPort: route.outPort, outVpi: route.outVpi, outVci: route.outVci });
    }
  }
  const region = rt.heap.alloc(FRAMES * 16 + FRAMES * 64);
  try {
    const vec = region;
    const cells = region + FRAMES * 16;
    const next = rng(0xa7);
    for (let n = 0; n < FRAMES; n++) {
      const ptr = cells + n * 64;
      const p = next() % ports;
      const i = next() % perPort;
      const word = ((vpiOf(i) << 20) | (vciOf(i) << 4) | (n & 0xf)) >>> 0;
      const head = [word >>> 24, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff];
      rt.u8.set([...head, referenceHec(head)], ptr);
      rt.u8.set(seededBytes(n + 1, 48), ptr + 5);
      const w = (vec >>> 2) + n * 4;
      rt.u32[w] = ptr;
      rt.u32[w + 1] = 53;
      rt.u32[w + 2] = p;
    }
    let k = 0;
    const wasm = await opsPerSecond(
      () => {
        table.switchBatch(vec + (k++ % BATCHES) * BATCH * 16, BATCH);
      },
      { quick, opsPerCall: BATCH },
    );
    k = 0;
    const reference = await opsPerSecond(
      () => {
        ref.switchBatch(rt.u8, vec + (k++ % BATCHES) * BATCH * 16, BATCH);
      },
      { quick, opsPerCall: BATCH },
    );
    const s = table.stats();
    if (s.unknownVc !== 0 || s.malformed !== 0 || ref.counters.unknownVc !== 0) {
      throw new Error("VC bench cells went unknown");
    }
    return {
      name: `ATM VC rewrite + HEC, ${circuits} VCs (batch of ${BATCH})`,
      value: wasm / 1e6,
      unit: "Mcells/s",
      reference: reference / 1e6,
      target: { min: 50 },
    };
  } finally {
    rt.heap.free(region);
    table.free();
  }
}

const suite: BenchSuite = {
  name: "switching",
  async run({ quick }) {
    return [await fdbFigure(quick), await vcFigure(quick)];
  },
};

export default suite;
