// TCP transport benchmarks:
// (a) examples/tcp-chain.yaml as it stands: bulk TCP h0 -> h1 across a chain of 4 routers (5
//     links of 100 Mbit/s, 1 ms delay, 20 bytes of wire overhead per frame) for 10 simulated
//     seconds, jumbo frames (MTU 9000: 8960-byte segments in 9038 wire bytes, ceiling 99.1
//     Mbit/s), 1 MiB buffers: goodput = bytes delivered in order (pattern-checked) x 8 / 10 s.
//     With 1500-byte frames the ceiling would be 1460/1538 = 94.93 Mbit/s, below the target;
//     (a') shows that run for comparison.
// (b) examples/tcp-chain-lossy.yaml: the same with 1% random loss on r2-r3 (both directions).
// (c) segments processed per wall-clock second, end to end: data and ack segments received by
//     the two TCP endpoints, over a direct 10 Gbit/s, 5 us link for 2 simulated seconds (one
//     core; generated payload checked byte for byte at the receiver), and for run (a).
// (d) goodput against loss rate (0, 0.1%, 1%, 5% on the middle link) for the TCP-format
//     sliding-window transport and the NAK-only transport, same chain, same 10 MB transfer
//     (goodputVsLoss of nak.bench.ts, SHA-256 of what arrived checked).

import { createHash } from "node:crypto";
import type { BenchSuite, Figure } from "./harness.js";
import { loadScenario } from "../src/scenario/scenario.js";
import { buildScenario } from "../src/run/build-scenario.js";
import { reportOf } from "../src/run/run-report.js";
import { LOSS_RATES, goodputVsLoss, nakTransport, type BulkTransport, type SweepPoint } from "./nak.bench.js";
import { Simulation } from "../src/engine/simulation.js";
import { EthernetNic } from "../src/devices/nic.js";
import { PointToPointLink, type LinkOptions } from "../src/devices/link.js";
import { IpHost } from "../src/stacks/ip/ip-host.js";
import { Router } from "../src/stacks/ip/router.js";
import { TcpLayer } from "../src/stacks/tcp/tcp-layer.js";
import { PatternChecker } from "../src/stacks/tcp/pattern.js";
import type { TcpConnection } from "../src/stacks/tcp/tcp-connection.js";

const BUF = 1 << 20;
const SWEEP_BUF = 256 * 1024;

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
  const hostB = new IpHost(new EthernetNic(sim, "b"), {
    address: `10.0.${n}.${n === 0 ? 11 : 10}/24`,
    gateway: `10.0.${n}.2`,
  });
  const routers: Router[] = [];
  for (let i = 1; i <= n; i++) {
    const routes = [];
    for (let j = 0; j < i - 1; j++) routes.push({ prefix: `10.0.${j}.0/24`, via: `10.0.${i - 1}.2` });
    for (let j = i + 1; j <= n; j++) routes.push({ prefix: `10.0.${j}.0/24`, via: `10.0.${i}.1` });
    routers.push(
      new Router(sim, `r${i}`, {
        interfaces: [
          { name: "left", address: `10.0.${i - 1}.1/24` },
          { name: "right", address: `10.0.${i}.2/24` },
        ],
        routes,
      }),
    );
  }
  const nodes: (EthernetNic | Router)[] = [hostA.nic, ...routers, hostB.nic];
  for (let i = 0; i + 1 < nodes.length; i++) {
    const a = nodes[i]!;
    const b = nodes[i + 1]!;
    const l = new PointToPointLink(
      sim,
      `l${i}`,
      i === 0 && firstLinkFaults ? { ...link, faults: firstLinkFaults } : link,
    );
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
  tb.listen(
    80,
    (c) => {
      server = c;
      c.onData((u8, off, len) => checker.update(u8, off, len));
    },
    { receiveBuffer: BUF, sendBuffer: 64 * 1024 },
  );
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

interface ExampleRun {
  goodputMbps: number;
  segments: number;
  wallS: number;
  retransmits: number;
  verified: boolean;
}

/** Runs an example file (optionally with another duration) and reads its first flow. */
function example(file: string, durationNs?: number): ExampleRun {
  const s = loadScenario(file);
  if (durationNs !== undefined) {
    s.durationNs = durationNs;
    for (const t of s.traffic) t.stopNs = Math.min(t.stopNs ?? durationNs, durationNs);
  }
  const built = buildScenario(s);
  const start = performance.now();
  built.network.run(s.durationNs);
  const wallS = (performance.now() - start) / 1000;
  const f = reportOf(built, 0).flows[0]!;
  const t = f.transport!;
  let segments = 0;
  for (const l of built.tcp.values()) segments += l.stats().segmentsReceived;
  built.network.dispose();
  return {
    goodputMbps: (f.receivedBytes * 8) / (s.durationNs / 1e9) / 1e6,
    segments,
    wallS,
    retransmits: Number(t.sender["retransmits"]),
    verified: t.receiver["verified"] === true,
  };
}

/**
 * The TCP-format transport as a BulkTransport for goodputVsLoss, FIN at the end. Buffers of 256
 * KiB (the TCP default): the chain's bandwidth-delay product (~125 KB) plus its 100-frame
 * drop-tail queue (~150 KB) holds that window, so a loss-free run loses nothing; with 1 MiB the
 * slow-start overshoot overflows the queue (drop-tail) and the table would measure that instead.
 */
export function tcpTransport(): BulkTransport {
  return {
    name: "TCP",
    start(from, to, data, done) {
      const ta = new TcpLayer(from);
      const tb = new TcpLayer(to);
      const hash = createHash("sha256");
      const expected = createHash("sha256").update(data).digest("hex");
      let delivered = 0;
      let client: TcpConnection | undefined;
      const detail = (): Record<string, number> => {
        const s = client!.stats();
        return { retransmits: s.retransmits, fastRetransmits: s.fastRetransmits, timeouts: s.timeouts };
      };
      tb.listen(
        5001,
        (c) => {
          c.onData((b, off, len) => {
            hash.update(b.subarray(off, off + len));
            delivered += len;
          });
          c.onEnd(() => {
            done({ ok: true, deliveredBytes: delivered, digestOk: hash.digest("hex") === expected, detail: detail() });
            c.end();
          });
          c.onError((reason) =>
            done({ ok: false, reason, deliveredBytes: delivered, digestOk: false, detail: detail() }),
          );
        },
        { receiveBuffer: SWEEP_BUF },
      );
      client = ta.connect(to.ip, 5001, { sendBuffer: SWEEP_BUF });
      const c = client;
      c.onError((reason) => done({ ok: false, reason, deliveredBytes: delivered, digestOk: false, detail: detail() }));
      let written = 0;
      const pump = (): void => {
        while (written < data.length) {
          const n = c.write(data, written, data.length - written);
          if (n === 0) return;
          written += n;
        }
        c.end();
      };
      c.onWritable(pump);
      pump();
      return {
        destroy() {
          ta.destroy();
          tb.destroy();
        },
      };
    },
  };
}

/**
 * The (d) rows of the goodput-against-loss table (the README prints them; a test regenerates
 * them): `transport` is "TCP sliding window" (points of tcpTransport) or "NAK-only" (nakTransport).
 */
export function lossTableFigures(points: SweepPoint[], transport: string, bytes: number): Figure[] {
  const what =
    transport === "NAK-only"
      ? (p: SweepPoint) => `retx ${p.detail?.retransmitted}, NAKs ${p.detail?.naksSent}`
      : (p: SweepPoint) => `retx ${p.detail?.retransmits}, RTOs ${p.detail?.timeouts}`;
  return sweepFigures(transport, points, bytes / 1e6, what);
}

function sweepFigures(name: string, points: SweepPoint[], mb: number, what: (p: SweepPoint) => string): Figure[] {
  return points.map((p) => {
    if (!p.ok) throw new Error(`${name} transfer at loss ${p.loss} failed: ${p.reason}`);
    return {
      name: `(d) ${name}, ${p.loss * 100}% loss, ${mb} MB over 4 routers (${what(p)})`,
      value: p.goodputBps / 1e6,
      unit: "Mbit/s (virtual)",
    };
  });
}

const suite: BenchSuite = {
  name: "tcp",
  async run({ quick }) {
    const link: LinkOptions = { rate: 100e6, delay: 1_000_000 };
    const secs = quick ? 2 : 10;
    const dur = quick ? 2e9 : undefined;
    const a = example("examples/tcp-chain.yaml", dur);
    const b = example("examples/tcp-chain-lossy.yaml", dur);
    const a1500 = bulk(4, link, secs);
    const c = bulk(0, { rate: 10e9, delay: 5000 }, quick ? 0.3 : 2);
    for (const r of [a1500, c])
      if (r.mismatches > 0) throw new Error(`tcp bench: ${r.mismatches} bytes delivered wrong`);
    for (const r of [a, b])
      if (!r.verified) throw new Error("tcp bench: the example's receiver found bytes out of pattern");
    const figures: Figure[] = [
      {
        name: `(a) examples/tcp-chain.yaml: 4 routers, 100 Mbit/s x 1 ms, MTU 9000, ${secs} s: goodput (ceiling 99.1)`,
        value: a.goodputMbps,
        unit: "Mbit/s (virtual)",
        target: { min: 95 },
      },
      {
        name: `(a') the same chain with 1500-byte frames (ceiling 94.93)`,
        value: a1500.goodputMbps,
        unit: "Mbit/s (virtual)",
      },
      {
        name: `(b) examples/tcp-chain-lossy.yaml, 1% loss on r2-r3: goodput (${b.retransmits} retransmits)`,
        value: b.goodputMbps,
        unit: "Mbit/s (virtual)",
      },
      {
        name: `(c) segments per wall-clock second, direct 10 Gbit/s link (${c.segments} segments, ${c.goodputMbps.toFixed(0)} Mbit/s)`,
        value: c.segments / c.wallS / 1e3,
        unit: "k seg/s",
        target: { min: 500 },
      },
      {
        name: `(c') segments per wall-clock second in run (a), routers included`,
        value: a.segments / a.wallS / 1e3,
        unit: "k seg/s",
      },
    ];
    const bytes = quick ? 2_000_000 : 10_000_000;
    figures.push(
      ...lossTableFigures(goodputVsLoss(tcpTransport(), LOSS_RATES, { bytes }), "TCP sliding window", bytes),
    );
    figures.push(...lossTableFigures(goodputVsLoss(nakTransport(), LOSS_RATES, { bytes }), "NAK-only", bytes));
    return figures;
  },
};

export default suite;
