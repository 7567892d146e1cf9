// End-to-end engine benchmarks:
// - star16: 16 hosts on one learning switch, 1 Gbit/s links with 5 us delay; host i sends
//   1000-byte frames to host (i+1) mod 16 at 100 Mbit/s for 1 simulated second, real FCS on
//   every frame (computed by the sender's NIC, checked where the bytes changed). Target:
//   >= 500,000 delivered frames per wall-clock second on one core. Events/s printed too.
// - tree1024: 1,024 hosts on a two-level tree (32 edge switches of 32 hosts under one core
//   switch), light traffic from every host to 4 destinations spread over the tree (Poisson,
//   1 Mbit/s each, 500-byte frames) for 20 ms. Reports memory; target under 1 GiB.

import { Network } from "../src/run/network.js";
import type { BenchSuite, Figure } from "./harness.js";

const mac = (i: number): string => {
  const hex = (i + 1).toString(16).padStart(8, "0");
  return `02:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}`;
};

function star16(seconds: number): { net: Network; build: () => void } {
  const net = new Network({ seed: 1, frameSlots: 8192, queueCapacity: 1 << 16 });
  return {
    net,
    build() {
      net.addSwitch("sw", { ports: 16 });
      for (let i = 0; i < 16; i++) {
        net.addHost(`h${i}`, { mac: mac(i) });
        net.connect(`h${i}`, `sw:${i}`, { rate: "1Gbps", delay: "5us" });
      }
      for (let i = 0; i < 16; i++) {
        net.addCbrSource(`h${i}`, {
          dst: mac((i + 1) % 16),
          frameSize: 1000,
          rate: "100Mbps",
          start: i * 997,
          stop: seconds * 1e9,
        });
      }
    },
  };
}

async function runStar(quick: boolean): Promise<Figure[]> {
  const seconds = quick ? 0.1 : 1;
  const { net, build } = star16(seconds);
  build();
  const result = net.runToIdle();
  const stats = net.stats();
  const delivered = stats.hosts.reduce((a, h) => a + h.rxFrames, 0);
  const sent = stats.sources.reduce((a, s) => a + s.frames, 0);
  net.destroy();
  if (delivered !== sent) throw new Error(`star16 lost frames: sent ${sent}, delivered ${delivered}`);
  const wallS = result.wallTimeMs / 1000;
  return [
    {
      name: `star16: delivered frames per wall-clock second (${delivered} frames, ${seconds} s simulated)`,
      value: delivered / wallS / 1e3,
      unit: "k frames/s",
      target: { min: 500 },
    },
    { name: "star16: events per wall-clock second", value: result.events / wallS / 1e6, unit: "M events/s" },
    { name: "star16: simulated / wall-clock time", value: seconds / wallS, unit: "x real time" },
  ];
}

async function runTree(quick: boolean): Promise<Figure[]> {
  const edges = 32;
  const perEdge = 32;
  const hosts = edges * perEdge;
  const before = process.memoryUsage();
  const start = performance.now();
  const net = new Network({ seed: 2, frameSlots: 16_384, queueCapacity: 1 << 18 });
  net.addSwitch("core", { ports: edges });
  for (let e = 0; e < edges; e++) {
    net.addSwitch(`edge${e}`, { ports: perEdge + 1 });
    net.connect(`edge${e}:${perEdge}`, `core:${e}`, { rate: "10Gbps", delay: "2us" });
    for (let h = 0; h < perEdge; h++) {
      const i = e * perEdge + h;
      net.addHost(`h${i}`, { mac: mac(i), rxBuffers: 32 });
      net.connect(`h${i}`, `edge${e}:${h}`, { rate: "1Gbps", delay: "1us" });
    }
  }
  const simNs = quick ? 5e6 : 20e6;
  for (let i = 0; i < hosts; i++) {
    for (const step of [1, 33, 257, 511]) {
      net.addPoissonSource(`h${i}`, { dst: mac((i + step) % hosts), frameSize: 500, rate: "1Mbps", stop: simNs });
    }
  }
  const built = performance.now();
  const result = net.runToIdle();
  const peak = process.memoryUsage();
  const stats = net.stats();
  const delivered = stats.hosts.reduce((a, h) => a + h.rxFrames, 0);
  net.destroy();
  const mib = (b: number): number => b / 2 ** 20;
  return [
    {
      name: `tree1024: resident memory after the run (${hosts} hosts, ${delivered} frames delivered)`,
      value: mib(peak.rss),
      unit: "MiB",
    },
    { name: "tree1024: JS heap used", value: mib(peak.heapUsed), unit: "MiB" },
    { name: "tree1024: growth of resident memory over the run", value: mib(peak.rss - before.rss), unit: "MiB" },
    { name: "tree1024: build time", value: built - start, unit: "ms" },
    { name: "tree1024: run wall time", value: result.wallTimeMs, unit: "ms" },
    {
      name: "tree1024: under 1 GiB resident (1 = yes)",
      value: peak.rss < 2 ** 30 ? 1 : 0,
      unit: "",
      target: { min: 1 },
    },
  ];
}

const suite: BenchSuite = {
  name: "network end to end",
  async run({ quick }) {
    return [...(await runStar(quick)), ...(await runTree(quick))];
  },
};
export default suite;
