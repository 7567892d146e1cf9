// NAK-only transport benchmark: goodput in virtual time against loss rate over a chain of four
// routers: h0 -- r1 -- r2 -- r3 -- r4 -- h1, five 100 Mbit/s links with 1 ms delay and
// 100-frame drop-tail queues, built with the Network API. The loss rate applies to the middle
// link (r2-r3) in both directions, so feedback is lost as well as data. Each transfer moves
// pattern bytes and checks a SHA-256 digest of what arrived; goodput = bytes x 8 / (time the
// last byte was delivered - time the transfer started), after ARP is resolved.
//
// goodputVsLoss(transport, lossRates) is the reusable sweep: a BulkTransport starts a transfer
// between two IP hosts and reports when every byte arrived (or why it failed). The TCP-format
// transport adds its own BulkTransport and column with the same function.
//
// NAK sender settings here: rate bounds [1 Mbit/s, 100 Mbit/s] (the operator knows the access
// rate), pacing counts 38 bytes of Ethernet framing per packet, start at 50 Mbit/s. A second
// figure lets the rate control find the bottleneck alone (max 1 Gbit/s): it overshoots until
// the queue overflows and pays in repairs.

import { createHash } from "node:crypto";
import { Network } from "../src/run/network.js";
import type { IpHost } from "../src/stacks/ip/ip-host.js";
import { NakReceiver } from "../src/stacks/nak/nak-receiver.js";
import { NakSender, type NakSenderOptions } from "../src/stacks/nak/nak-sender.js";
import type { BenchSuite, Figure } from "./harness.js";

export interface TransferOutcome {
  ok: boolean;
  reason?: string;
  deliveredBytes: number;
  digestOk: boolean;
  /** Transport counters worth printing (retransmissions, NAKs ...). */
  detail?: Record<string, number>;
}

export interface BulkTransport {
  name: string;
  /**
   * Starts sending `data` from `from` to `to`. `done` runs once: when the receiver has every byte
   * (digest checked by the caller's bytes) or when the transfer failed. Returns a cleanup.
   */
  start(from: IpHost, to: IpHost, data: Uint8Array, done: (outcome: TransferOutcome) => void): { destroy(): void };
}

export interface SweepPoint {
  loss: number;
  ok: boolean;
  reason?: string;
  goodputBps: number;
  simNs: number;
  detail?: Record<string, number>;
}

export interface ChainOptions {
  seed?: number;
  rate?: string;
  delay?: string;
  queueLimit?: number;
}

/** The 4-router chain; `loss` on the middle link, both directions. */
export function buildChain(loss: number, o: ChainOptions = {}): { net: Network; from: IpHost; to: IpHost } {
  const net = new Network({ seed: o.seed ?? 1, frameSlots: 4096, queueCapacity: 1 << 16 });
  const link = { rate: o.rate ?? "100Mbps", delay: o.delay ?? "1ms", queueLimit: o.queueLimit ?? 100 };
  net.addHost("h0", { ip: { address: "10.0.0.10/24", gateway: "10.0.0.1" } });
  net.addHost("h1", { ip: { address: "10.0.4.10/24", gateway: "10.0.4.1" } });
  for (let i = 1; i <= 4; i++) {
    const routes = [];
    for (let k = 0; k <= 4; k++) {
      if (k < i - 1) routes.push({ prefix: `10.0.${k}.0/24`, via: `10.0.${i - 1}.1` });
      if (k > i) routes.push({ prefix: `10.0.${k}.0/24`, via: `10.0.${i}.2` });
    }
    net.addRouter(`r${i}`, {
      interfaces: [
        { name: "left", address: `10.0.${i - 1}.${i === 1 ? 1 : 2}/24` },
        { name: "right", address: `10.0.${i}.1/24` },
      ],
      routes,
    });
  }
  net.connect("h0", "r1:0", link);
  for (let i = 1; i < 4; i++) {
    const faulty = i === 2 && loss > 0;
    net.connect(`r${i}:1`, `r${i + 1}:0`, faulty ? { ...link, faults: { loss } } : link);
  }
  net.connect("r4:1", "h1", link);
  return { net, from: net.ipHost("h0"), to: net.ipHost("h1") };
}

/** Deterministic payload bytes. */
export function patternBytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Goodput of one transfer of `bytes` per loss rate, each on a fresh chain (virtual time). */
export function goodputVsLoss(
  transport: BulkTransport,
  lossRates: number[],
  options: { bytes?: number; seed?: number } = {},
): SweepPoint[] {
  const bytes = options.bytes ?? 10_000_000;
  const data = patternBytes(bytes, options.seed ?? 1);
  const points: SweepPoint[] = [];
  for (const loss of lossRates) {
    const { net, from, to } = buildChain(loss, { seed: options.seed ?? 1 });
    from.ping(to.ip, 8); // resolve ARP along the path first
    net.runToIdle();
    const t0 = net.now;
    let outcome: TransferOutcome | undefined;
    let t1 = 0;
    const handle = transport.start(from, to, data, (o) => {
      outcome ??= o;
      t1 = net.now;
    });
    net.runToIdle();
    handle.destroy();
    net.runToIdle();
    net.destroy();
    const o = outcome ?? { ok: false, reason: "the transfer never finished", deliveredBytes: 0, digestOk: false };
    const ok = o.ok && o.digestOk && o.deliveredBytes === bytes;
    points.push({
      loss,
      ok,
      ...(ok
        ? {}
        : { reason: o.reason ?? `digest ${o.digestOk ? "ok" : "MISMATCH"}, ${o.deliveredBytes} of ${bytes} bytes` }),
      goodputBps: ok ? (bytes * 8 * 1e9) / (t1 - t0) : 0,
      simNs: t1 - t0,
      ...(o.detail !== undefined ? { detail: o.detail } : {}),
    });
  }
  return points;
}

/** The NAK-only transport as a BulkTransport (sender options may be overridden). */
export function nakTransport(sender: Partial<NakSenderOptions> = {}): BulkTransport {
  return {
    name: "NAK-only",
    start(from, to, data, done) {
      const rx = new NakReceiver(to, { port: 7000 });
      const tx = new NakSender(from, {
        dst: to.ip,
        dstPort: 7000,
        overheadBytes: 38,
        rate: { initial: "50Mbps", min: "1Mbps", max: "100Mbps" },
        ...sender,
      });
      const hash = createHash("sha256");
      const expected = createHash("sha256").update(data).digest("hex");
      let delivered = 0;
      const detail = (): Record<string, number> => {
        const t = tx.stats();
        const r = rx.stats();
        return {
          packetsSent: t.packetsSent,
          retransmitted: t.packetsRetransmitted,
          naksSent: r.naksSent,
          duplicates: r.duplicates,
          rateMinMbps: t.rate.min / 1e6,
          rateMaxMbps: t.rate.max / 1e6,
          rateDecreases: t.rate.decreases,
        };
      };
      rx.onData((b, off, len) => {
        hash.update(b.subarray(off, off + len));
        delivered += len;
      });
      rx.onEnd(() =>
        done({ ok: true, deliveredBytes: delivered, digestOk: hash.digest("hex") === expected, detail: detail() }),
      );
      rx.onFail((reason) => done({ ok: false, reason, deliveredBytes: delivered, digestOk: false, detail: detail() }));
      tx.onClose((r) => {
        if (!r.ok) done({ ok: false, reason: r.reason!, deliveredBytes: delivered, digestOk: false, detail: detail() });
      });
      let written = 0;
      const pump = (): void => {
        while (written < data.length) {
          const n = tx.write(data, written, data.length - written);
          if (n === 0) return;
          written += n;
        }
        tx.end();
      };
      tx.onWritable(pump);
      pump();
      return {
        destroy() {
          tx.close();
          rx.close();
        },
      };
    },
  };
}

export const LOSS_RATES = [0, 0.001, 0.01, 0.05];

/** The goodput-against-loss rows of the nak table (the README prints them; a test regenerates them). */
export function nakLossFigures(points: SweepPoint[], bytes: number): Figure[] {
  const mb = bytes / 1e6;
  return points.map((p) => {
    if (!p.ok) throw new Error(`NAK transfer at loss ${p.loss} failed: ${p.reason}`);
    return {
      name: `NAK-only goodput, ${p.loss * 100}% loss, ${mb} MB over 4 routers (retx ${p.detail?.retransmitted}, NAKs ${p.detail?.naksSent})`,
      value: p.goodputBps / 1e6,
      unit: "Mbit/s (virtual)",
    };
  });
}

/** The row of the nak table where the rate control finds the bottleneck alone (max 1 Gbit/s). */
export function nakFreeRateFigure(bytes: number): Figure {
  const [free] = goodputVsLoss(nakTransport({ rate: { initial: "50Mbps", min: "1Mbps", max: "1Gbps" } }), [0], {
    bytes,
  });
  if (!free!.ok) throw new Error(`NAK transfer with max 1 Gbit/s failed: ${free!.reason}`);
  return {
    name: `NAK-only goodput, 0% loss, rate max 1 Gbit/s (bottleneck found by NAKs; retx ${free!.detail?.retransmitted}, rate ${free!.detail?.rateMinMbps?.toFixed(0)}-${free!.detail?.rateMaxMbps?.toFixed(0)} Mbit/s)`,
    value: free!.goodputBps / 1e6,
    unit: "Mbit/s (virtual)",
  };
}

const suite: BenchSuite = {
  name: "nak",
  async run({ quick }) {
    const bytes = quick ? 2_000_000 : 10_000_000;
    const figures = nakLossFigures(goodputVsLoss(nakTransport(), LOSS_RATES, { bytes }), bytes);
    figures.push(nakFreeRateFigure(bytes));
    return figures;
  },
};

export default suite;
