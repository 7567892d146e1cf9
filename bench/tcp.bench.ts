// TCP transport benchmarks (issue 7):
// (a) bulk transfer a -> b across a chain of 4 routers (5 links of 100 Mbit/s, 1 ms delay,
//     default Ethernet wire overhead of 20 bytes per frame) for 10 simulated seconds, 1 MiB send
//     and receive buffers (window scaling; the bandwidth-delay product is about 140 KB): goodput
//     = application bytes delivered in order x 8 / 10 s. Note: with 1460-byte segments a frame is
//     1538 bytes on the wire, so the line's ceiling for TCP payload is 94.93 Mbit/s; the 95
//     Mbit/s target of the issue is above it, and the table says so.
// (b) the same with 1% random loss on the first link (both directions).
// (c) segments processed per wall-clock second, end to end: data and ack segments received by
//     the two TCP endpoints, over a direct 10 Gbit/s, 5 us link for 2 simulated seconds (one
//     core; generated payload checked byte for byte at the receiver), and for run (a).

import type { BenchSuite, Figure } from "./harness.js";
import { Simulation } from "../src/engine/simulation.js";
import { EthernetNic } from "../src/devices/nic.js";
import { PointToPointLink, type LinkOptions } from "../src/devices/link.js";
import { IpHost } from "../src/stacks/ip/ip-host.js";
import { Router } from "../src/stacks/ip/router.js";
import { TcpLayer } from "../src/stacks/tcp/tcp-layer.js";
import { PatternChecker } from "../src/stacks/tcp/pattern.js";
import type { TcpConnection } from "../src/stacks/tcp/tcp-connection.js";

const BUF = 1 << 20;

interface Run {
  goodputMbps: number;
  segments: number;
  wallS: number;
  retransmits: number;
  mismatches: number;
  first?: number;
}

function build(n: number, link: LinkOptions, firstLinkFaults?: LinkOptions["faults"]) {
  const sim = new Simulation({ seed: 1, frameSlots: 8192, queueCapacity: 1 << 16 });
  const hostA = new IpHost(new EthernetNic(sim, "a"), { address: "10.0.0.10/24", gateway: "10.0.0.1" });
  const hostB = new IpHost(new EthernetNic(sim, "b"), { address: `10.0.${n}.${n === 0 ? 11 : 10}/24`, gateway: `10.0.${n}.2` });
  const routers: Router[] = [];
  for (let i = 1; i <= n; i++) {
    const routes = [];
    for (let j = 0; j < i - 1; j++) routes.push({ prefix: `10.0.${j}.0/24`, via: `10.0.${i - 1}.2` });
    for (let j = i + 1; j <= n; j++) routes.push({ prefix: `10.0.${j}.0/24`, via: `10.0.${i}.1` });
    routers.push(new Router(sim, `r${i}`, {
      interfaces: [{ name: "left", address: `10.0.${i - 1}.1/24` }, { name: "right", address: `10.0.${i}.2/24` }],
      routes,
    }));
  }
  const nodes: (EthernetNic | Router)[] = [hostA.nic, ...routers, hostB.nic];
  for (let i = 0; i + 1 < nodes.length; i++) {
    const a = nodes[i]!;
    const b = nodes[i + 1]!;
    const l = new PointToPointLink(sim, `l${i}`, i === 0 && firstLinkFaults ? { ...link, faults: firstLinkFaults } : link);
    a.attach(a instanceof Router ? 1 : 0, l, 0);
    b.attach(0, l, 1);
  }
  return { sim, hostA, hostB, routers };
}

function bulk(n: number, link: LinkOptions, seconds: number, faults?: LinkOptions["faults"]): Run {
  const { sim, hostA, hostB, routers } = build(n, link, faults);
  const ta = new TcpLayer(hostA);
  const tb = new TcpLayer(hostB);
  const checker = new PatternChecker();
  let server: TcpConnection | undefined;
  tb.listen(80, (c) => {
    server = c;
    c.onData((u8, off, len) => checker.update(u8, off, len));
  }, { receiveBuffer: BUF, sendBuffer: 64 * 1024 });
  const c = ta.connect(hostB.ip, 80, { sendBuffer: BUF, receiveBuffer: 64 * 1024 });
  const fill = (): void => {
    while (c.writeGenerated(1 << 30) > 0) {
      /* fill to the high-water mark */
    }
  };
  c.onWritable(fill);
  fill();
  const start = performance.now();
  sim.scheduler.run(seconds * 1e9);
  const wallS = (performance.now() - start) / 1000;
  const st = c.stats();
  const rs = server!.stats();
  const out: Run = {
    goodputMbps: (checker.offset * 8) / seconds / 1e6,
    segments: st.segmentsReceived + rs.segmentsReceived,
    wallS,
    retransmits: st.retransmits,
    mismatches: checker.mismatches,
    first: checker.firstMismatch,
  };
  ta.destroy();
  tb.destroy();
  hostA.destroy();
  hostB.destroy();
  for (const r of routers) r.destroy();
  sim.scheduler.runToIdle();
  return out;
}

const suite: BenchSuite = {
  name: "tcp",
  async run({ quick }) {
    const link: LinkOptions = { rate: 100e6, delay: 1_000_000 };
    const secs = quick ? 2 : 10;
    const a = bulk(4, link, secs);
    const b = bulk(4, link, secs, { loss: 0.01 });
    const c = bulk(0, { rate: 10e9, delay: 5000 }, quick ? 0.3 : 2);
    for (const r of [a, b, c]) if (r.mismatches > 0) throw new Error(`tcp bench: ${r.mismatches} bytes delivered wrong`);
    const figures: Figure[] = [
      {
        name: `(a) chain of 4 routers, 100 Mbit/s x 1 ms, ${secs} s: goodput (line ceiling 94.93)`,
        value: a.goodputMbps,
        unit: "Mbit/s",
        target: { min: 95 },
      },
      { name: `(b) same with 1% loss on the first link: goodput (${b.retransmits} retransmits)`, value: b.goodputMbps, unit: "Mbit/s" },
      {
        name: `(c) segments per wall-clock second, direct 10 Gbit/s link (${c.segments} segments, ${c.goodputMbps.toFixed(0)} Mbit/s)`,
        value: c.segments / c.wallS / 1e3,
        unit: "k seg/s",
        target: { min: 500 },
      },
      { name: `(c') segments per wall-clock second in run (a), routers included`, value: a.segments / a.wallS / 1e3, unit: "k seg/s" },
    ];
    return figures;
  },
};

export default suite;
