// ATM benchmarks:
// - chain4: cells switched per wall-clock second through a chain of 4 ATM switches. Four
//   source NICs on OC-12 links each send 9180-byte AAL5 PDUs greedily on their own PVC
//   through all 4 switches (OC-12 trunks, one per circuit) to four receiving NICs, which
//   reassemble and check every PDU. Every cell is switched 4 times; the figure counts cells
//   admitted to an output over the 4 switches, divided by the wall time of the run (setup
//   excluded). Target: >= 10 M cells/s on one core.
// - overload: 3 hosts on OC-3 send greedily through one switch output (OC-3): 3x its rate.
//   Goodput = bytes of correctly reassembled PDUs per second of virtual time at the receiver,
//   for each discard policy (none = drop-tail, PPD, EPD, EPD+PPD), with 9180-byte and
//   1500-byte PDUs. Expected: with EPD/PPD goodput stays near the output's rate (135 Mbit/s
//   of AAL5 payload at most for 9180-byte PDUs on OC-3); without them it collapses.

import type { BenchSuite, Figure } from "./harness.js";
import { Simulation } from "../src/engine/simulation.js";
import { AtmLink } from "../src/devices/atm-link.js";
import { AtmNic } from "../src/devices/atm-nic.js";
import { AtmSwitch } from "../src/devices/atm-switch.js";
import type { AtmDiscardPolicy } from "../src/devices/atm-switch-discard.js";
import { Aal5Source } from "../src/traffic/aal5-source.js";

const SLOT = 10240; // a 9180-byte PDU = 192 cells = 10176 bytes fits one slot

function chain4(seconds: number): { cells: number; wallMs: number; delivered: number } {
  const sim = new Simulation({ seed: 1, frameSlots: 4096, slotBytes: SLOT, queueCapacity: 1 << 16 });
  const circuits = 4;
  const switches = Array.from({ length: 4 }, (_, k) => new AtmSwitch(sim, `sw${k}`, { ports: 2 * circuits }));
  const srcs: AtmNic[] = [];
  const dsts: AtmNic[] = [];
  const sources: Aal5Source[] = [];
  for (let m = 0; m < circuits; m++) {
    const src = new AtmNic(sim, `src${m}`, { txQueueLimit: 1024 });
    const dst = new AtmNic(sim, `dst${m}`);
    const l0 = new AtmLink(sim, `in${m}`, { rate: "OC-12", delay: "2us" });
    src.attach(0, l0, 0);
    switches[0]!.attach(m, l0, 1);
    for (let k = 0; k < 3; k++) {
      const t = new AtmLink(sim, `t${k}.${m}`, { rate: "OC-12", delay: "5us" });
      switches[k]!.attach(circuits + m, t, 0);
      switches[k + 1]!.attach(m, t, 1);
    }
    const l1 = new AtmLink(sim, `out${m}`, { rate: "OC-12", delay: "2us" });
    switches[3]!.attach(circuits + m, l1, 0);
    dst.attach(0, l1, 1);
    for (const sw of switches) sw.addPvc(m, 1, 100 + m, circuits + m, 1, 100 + m);
    const vc = src.openVc(1, 100 + m);
    dst.openVc(1, 100 + m);
    srcs.push(src);
    dsts.push(dst);
    sources.push(new Aal5Source(sim, `gen${m}`, src, { vc, pduBytes: 9180, stop: seconds * 1e9 }));
  }
  const t0 = performance.now();
  sim.scheduler.runToIdle();
  const wallMs = performance.now() - t0;
  const cells = switches.reduce((a, sw) => a + sw.switchedCells, 0);
  const delivered = dsts.reduce((a, d) => a + d.stats().rxPdus, 0);
  const sent = sources.reduce((a, s) => a + s.sent, 0);
  if (delivered !== sent) throw new Error(`chain4: sent ${sent} PDUs, delivered ${delivered}`);
  for (const s of sources) s.destroy();
  for (const n of [...srcs, ...dsts]) n.destroy();
  for (const sw of switches) sw.destroy();
  if (sim.frames.leaks().length !== 0) throw new Error("chain4 leaked frames");
  sim.destroy();
  return { cells, wallMs, delivered };
}

function overload(policy: AtmDiscardPolicy, pduBytes: number, seconds: number): number {
  const sim = new Simulation({ seed: 7, frameSlots: 4096, slotBytes: SLOT });
  const hosts = 3;
  const sw = new AtmSwitch(sim, "sw", { ports: hosts + 1, policy });
  const rx = new AtmNic(sim, "rx", { rxBuffers: 64 });
  const lo = new AtmLink(sim, "lo", { rate: "OC-3", delay: "1us" });
  sw.attach(hosts, lo, 0);
  rx.attach(0, lo, 1);
  const nics: AtmNic[] = [];
  const sources: Aal5Source[] = [];
  for (let h = 0; h < hosts; h++) {
    const nic = new AtmNic(sim, `h${h}`);
    const l = new AtmLink(sim, `l${h}`, { rate: "OC-3", delay: `${1 + h}us` });
    nic.attach(0, l, 0);
    sw.attach(h, l, 1);
    sw.addPvc(h, 0, 100 + h, hosts, 0, 200 + h);
    const vc = nic.openVc(0, 100 + h);
    rx.openVc(0, 200 + h);
    nics.push(nic);
    // Staggered starts so the hosts' PDUs do not line up cell for cell.
    sources.push(new Aal5Source(sim, `gen${h}`, nic, { vc, pduBytes, start: h * 40_000, stop: seconds * 1e9 }));
  }
  sim.scheduler.run(seconds * 1e9);
  const goodBits = rx.stats().rxBytes * 8;
  for (const s of sources) s.destroy();
  for (const n of [...nics, rx]) n.destroy();
  sw.destroy();
  sim.scheduler.runToIdle(); // nothing left but cancelled events
  sim.destroy();
  return goodBits / seconds / 1e6;
}

const suite: BenchSuite = {
  name: "atm",
  async run({ quick }) {
    const figures: Figure[] = [];
    chain4(0.005); // warm-up (JIT)
    const seconds = quick ? 0.05 : 0.25;
    // The median of three runs: on a shared machine one run can be far off either way.
    const runs = [chain4(seconds), chain4(seconds), chain4(seconds)].sort((x, y) => x.wallMs - y.wallMs);
    const r = runs[1]!;
    const rate = (x: { cells: number; wallMs: number }): number => x.cells / (x.wallMs / 1000) / 1e6;
    figures.push({
      name: `chain4: cells switched per wall-clock second (4 switches, 4 OC-12 PVCs, ${seconds * 1000} ms simulated), median of 3`,
      value: rate(r),
      unit: `M cells/s (runs ${runs.map((x) => rate(x).toFixed(1)).join(", ")})`,
      target: { min: 10 },
    });
    figures.push({
      name: "chain4: simulated / wall-clock time",
      value: seconds / (r.wallMs / 1000),
      unit: "x real time",
    });
    const vt = quick ? 0.05 : 0.2;
    const policies: [string, AtmDiscardPolicy][] = [
      ["none (drop-tail)", { queueLimit: 1024 }],
      ["PPD", { queueLimit: 1024, ppd: true }],
      ["EPD", { queueLimit: 1024, epdThreshold: 512 }],
      ["EPD+PPD", { queueLimit: 1024, epdThreshold: 512, ppd: true }],
    ];
    for (const pdu of [9180, 1500]) {
      for (const [label, policy] of policies) {
        figures.push({
          name: `overload 3x OC-3 -> OC-3, ${pdu} B PDUs, ${label}: goodput`,
          value: overload(policy, pdu, vt),
          unit: "Mbit/s",
        });
      }
    }
    return figures;
  },
};

export default suite;
