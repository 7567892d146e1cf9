// Soak: a long run under faults, crashes and partitions, watching memory. The scenario is a
// routed campus (three switched subnets, a triangle of routers running distance vector, lossy
// and bit-flipping links, UDP streams, a request-response flow) beside an ATM pair (9000-byte
// AAL5 PDUs through one switch). Hosts, switches, routers, the ATM switch and the ATM camera
// crash at random (MTBF/MTTR from the seed) and the r1-r2 link is partitioned off for 5 s in
// every 50 s. The run goes on, in 10 s steps of virtual time, until 10^7 events (10^6 with
// --quick).
// Every 10^6 events it prints (on stderr, which the runner shows) the resident set size and the
// JavaScript heap after a full garbage collection, with the frame slots in use. The figures are
// the growth of both from the first sample (10% of the events: tables filled, JIT warm) to the
// last; the target is flat: under 8 MiB of heap growth (reported as headroom, target >= 0).
// The network is disposed at the end (frames may be in flight at any instant of such a run).

import v8 from "node:v8";
import vm from "node:vm";
import { type BenchSuite, COMPILED, type Figure } from "./harness.js";
import { parseScenario } from "../src/scenario/scenario.js";
import { buildScenario } from "../src/run/build-scenario.js";

const HEAP_GROWTH_LIMIT_MIB = 8;
const STEP_NS = 10e9;

/** A full collection before each heap sample, so the figure is what is retained. */
function collector(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

function soakScenario(durationS: number): string {
  const partitions: string[] = [];
  for (let t = 25; t + 5 < durationS; t += 50) {
    partitions.push(`  - { partition: cut${t}, groups: [[r1], [r2]], at: ${t}s, healAt: ${t + 5}s }`);
  }
  const r = (name: string, lan: string, a: [string, string], b: [string, string]) =>
    `  - name: ${name}
    interfaces:
      - { name: lan, ip: ${lan} }
      - { name: ${a[0]}, ip: ${a[1]} }
      - { name: ${b[0]}, ip: ${b[1]} }
    routing: { protocol: distance-vector, period: 500ms, timeout: 1500ms }`;
  return `
name: soak
seed: 42
duration: ${durationS}s
hosts:
  - { name: a1, ip: 10.0.1.10/24, gateway: 10.0.1.1 }
  - { name: a2, ip: 10.0.1.11/24, gateway: 10.0.1.1 }
  - { name: b1, ip: 10.0.2.10/24, gateway: 10.0.2.1 }
  - { name: b2, ip: 10.0.2.11/24, gateway: 10.0.2.1 }
  - { name: c1, ip: 10.0.3.10/24, gateway: 10.0.3.1 }
  - { name: c2, ip: 10.0.3.11/24, gateway: 10.0.3.1 }
switches:
  - { name: swA, ports: 4 }
  - { name: swB, ports: 4 }
  - { name: swC, ports: 4 }
routers:
${r("r1", "10.0.1.1/24", ["to-r2", "192.168.12.1/30"], ["to-r3", "192.168.13.1/30"])}
${r("r2", "10.0.2.1/24", ["to-r1", "192.168.12.2/30"], ["to-r3", "192.168.23.1/30"])}
${r("r3", "10.0.3.1/24", ["to-r1", "192.168.13.2/30"], ["to-r2", "192.168.23.2/30"])}
links:
  - { a: a1, b: "swA:0", rate: 100Mbps, delay: 5us, faults: { loss: 0.01 } }
  - { a: a2, b: "swA:1", rate: 100Mbps, delay: 5us }
  - { a: "r1:lan", b: "swA:3", rate: 1Gbps, delay: 1us }
  - { a: b1, b: "swB:0", rate: 100Mbps, delay: 5us, faults: { ber: 1e-7 } }
  - { a: b2, b: "swB:1", rate: 100Mbps, delay: 5us }
  - { a: "r2:lan", b: "swB:3", rate: 1Gbps, delay: 1us }
  - { a: c1, b: "swC:0", rate: 100Mbps, delay: 5us }
  - { a: c2, b: "swC:1", rate: 100Mbps, delay: 5us }
  - { a: "r3:lan", b: "swC:3", rate: 1Gbps, delay: 1us }
  - { name: r1-r2, a: "r1:to-r2", b: "r2:to-r1", rate: 1Gbps, delay: 100us, faults: { loss: 0.001 } }
  - { name: r1-r3, a: "r1:to-r3", b: "r3:to-r1", rate: 1Gbps, delay: 200us }
  - { name: r2-r3, a: "r2:to-r3", b: "r3:to-r2", rate: 1Gbps, delay: 200us }
atm:
  switches: [{ name: as1, ports: 2 }]
  hosts: [{ name: cam }, { name: display }]
  links:
    - { a: cam, b: "as1:0", rate: OC-12, delay: 5us }
    - { a: "as1:1", b: display, rate: OC-3, delay: 5us }
  pvcs: [{ name: video, path: [cam, as1, display] }]
  traffic: [{ name: v, type: aal5, pvc: video, pduSize: 9000B, rate: 200 }]
traffic:
  - { name: a1-b1, type: cbr, from: a1, to: b1, size: 512, rate: 2Mbps }
  - { name: b2-a2, type: poisson, from: b2, to: a2, size: 256, rate: 1Mbps }
  - { name: a2-c2, type: cbr, from: a2, to: c2, size: 1000, rate: 1Mbps }
  - { name: c1-a1, type: request-response, from: c1, to: a1, size: 64, responseSize: 1200, interval: 10ms }
failures:
  - { device: a1, mtbf: 20s, mttr: 1s }
  - { device: b2, mtbf: 15s, mttr: 500ms }
  - { device: swB, mtbf: 30s, mttr: 2s }
  - { device: swC, mtbf: 25s, mttr: 1s }
  - { device: r2, mtbf: 40s, mttr: 3s }
  - { device: r3, mtbf: 35s, mttr: 2s }
  - { device: as1, mtbf: 30s, mttr: 1s }
  - { device: cam, mtbf: 20s, mttr: 2s }
${partitions.join("\n")}
`;
}

interface Sample {
  events: number;
  simS: number;
  rssMiB: number;
  heapMiB: number;
  framesInUse: number;
}

const MIB = 2 ** 20;

const suite: BenchSuite = {
  name: "soak under faults, crashes and partitions",
  async run({ quick }) {
    const target = quick ? 1e6 : 1e7;
    const sampleEvery = target / 10;
    const gc = collector();
    const scenario = parseScenario(soakScenario(3600));
    const { network } = buildScenario(scenario);
    const samples: Sample[] = [];
    const started = performance.now();
    let events = 0;
    let nextSample = sampleEvery;
    try {
      while (events < target && network.now + STEP_NS <= scenario.durationNs) {
        events += network.run(network.now + STEP_NS).events;
        if (events < nextSample) continue;
        nextSample += sampleEvery;
        gc();
        const s: Sample = {
          events,
          simS: network.now / 1e9,
          rssMiB: process.memoryUsage().rss / MIB,
          heapMiB: process.memoryUsage().heapUsed / MIB,
          framesInUse: network.sim.frames.stats().inUse,
        };
        samples.push(s);
        process.stderr.write(
          `soak: ${(s.events / 1e6).toFixed(1)} M events, ${s.simS.toFixed(0)} s simulated: rss ${s.rssMiB.toFixed(1)} MiB, ` +
            `heap ${s.heapMiB.toFixed(1)} MiB, frame slots in use ${s.framesInUse}\n`,
        );
      }
    } finally {
      network.dispose();
    }
    const wallS = (performance.now() - started) / 1000;
    const failures = network.failureStats();
    const crashes = failures.reduce((n, f) => n + f.crashes, 0);
    if (samples.length < 2) throw new Error(`soak: only ${samples.length} sample(s) in ${events} events`);
    if (crashes === 0) throw new Error("soak: nothing crashed");
    const first = samples[0]!;
    const last = samples[samples.length - 1]!;
    const label = `soak (${(events / 1e6).toFixed(1)} M events, ${last.simS.toFixed(0)} s simulated, ${crashes} crashes, ${COMPILED ? "compiled" : "TS sources via tsx"})`;
    const figures: Figure[] = [
      { name: `${label}: events per wall-clock second`, value: events / wallS / 1e6, unit: "M events/s" },
      { name: "soak: resident memory at the first sample (10% of the events)", value: first.rssMiB, unit: "MiB" },
      { name: "soak: resident memory growth, first to last sample", value: last.rssMiB - first.rssMiB, unit: "MiB" },
      { name: "soak: heap after GC at the first sample", value: first.heapMiB, unit: "MiB" },
      { name: "soak: heap after GC growth, first to last sample", value: last.heapMiB - first.heapMiB, unit: "MiB" },
      {
        name: `soak: headroom under ${HEAP_GROWTH_LIMIT_MIB} MiB of heap growth (${HEAP_GROWTH_LIMIT_MIB} - growth)`,
        value: HEAP_GROWTH_LIMIT_MIB - (last.heapMiB - first.heapMiB),
        unit: "MiB",
        target: { min: 0 },
      },
      {
        name: "soak: most frame slots in use at a sample",
        value: Math.max(...samples.map((s) => s.framesInUse)),
        unit: "slots",
      },
    ];
    return figures;
  },
};
export default suite;
