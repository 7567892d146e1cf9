// runComparison: the same traffic through every configuration of a comparison, on every
// network it names: ping-pong round trips and one-way streams over a range of message sizes.
//
// Contract:
// - Every (network, configuration, workload, size) point runs on a fresh testbed (two hosts,
//   testbed.ts) with the comparison's seed, so points are independent and the table is the
//   same on every run (virtual-time figures; wall times vary with the machine).
// - ping-pong: `rounds` round trips of `size`-byte messages, host 0 to host 1 and back; the
//   figures are the mean and median round trip. one-way: `messages` messages sent back to
//   back by host 0 (as fast as its CPU takes them); goodput is measured at host 1 between the
//   first and the last delivery, ((delivered - 1) * size * 8 / span), and lineShare divides
//   it by the payload rate of the line (ATM: the cell rate's 48 of 53 bytes; Ethernet: the
//   rate less preamble, header, FCS and gap per 1500-byte frame).
// - cpuNsPerMessage: virtual CPU time of both hosts by operation (CPU_OP_NAMES), divided by
//   the messages delivered. bytesCopiedPerMessage: the bytes the emulator really copied for
//   the model's copies. wallMs: the emulator's own time for the point (performance.now()).
// - A point that cannot finish (a stack that lost a message it cannot recover, a message too
//   large for the configuration) stops at a virtual-time cap and says so in `note`; the run
//   goes on with the next point. Every other failure throws.
// - The stacks get SETTLE_NS of virtual time to set up (U-Net's registration system calls)
//   before the workload starts; set-up CPU time is not counted.
// - Before measuring, every configuration runs one short warm-up point, so the first
//   configuration does not pay the JIT's warm-up in its wall time.

import { CPU_OP_NAMES, type CpuOpName } from "../stacks/cost.js";
import { OneWay, PingPong } from "../stacks/layered/ping-pong.js";
import type { CompareConfiguration, CompareNetwork, Comparison } from "./comparison.js";
import { COMPARE_NETWORKS } from "./comparison.js";
import { buildTestbed } from "./testbed.js";

export type CompareWorkload = "ping-pong" | "one-way";

export interface CompareRow {
  network: CompareNetwork;
  configuration: string;
  stack: string;
  layers: string[];
  workload: CompareWorkload;
  size: number;
  /** Messages sent / delivered (ping-pong: both directions). */
  sent: number;
  delivered: number;
  /** ping-pong only (ns). */
  rttMeanNs: number | null;
  rttP50Ns: number | null;
  /** one-way only (bit/s) and its share of the line's payload rate. */
  goodputBps: number | null;
  lineShare: number | null;
  /** Both hosts' virtual CPU time per delivered message, by operation (ns). */
  cpuNsPerMessage: Record<CpuOpName, number>;
  cpuNsPerMessageTotal: number;
  bytesCopiedPerMessage: number;
  /** Events the point dispatched and the emulator's wall time for it. */
  events: number;
  wallMs: number;
  /** Why a point stopped short, or "" when it completed. */
  note: string;
}

export interface ComparisonReport {
  name: string;
  profile: string;
  profileDescription: string;
  seed: number;
  networks: Comparison["networks"];
  configurations: CompareConfiguration[];
  rows: CompareRow[];
  /** Wall time per configuration (all its points, both networks), ms. */
  wallMsByConfiguration: Record<string, number>;
  wallTimeMs: number;
}

export interface CompareOptions {
  /** Called after every point (progress bars): points done, points in all. */
  onPoint?: (done: number, total: number, row: CompareRow) => void;
}

/** Virtual time the stacks get to set up before the workload starts. */
const SETTLE_NS = 50e6;
/** Virtual-time cap of one point. */
const POINT_CAP_NS = 20e9;
/** The run advances in steps of this much virtual time, checking for completion between. */
const STEP_NS = 5e6;

/** Payload bit rate of the line: what a stream of full frames or cells can carry at most. */
export function linePayloadBps(network: CompareNetwork, rateBps: number): number {
  if (network === "atm") return rateBps * (260 / 270) * (48 / 53); // SONET STS-3c: 260 of 270 columns carry cells
  return (rateBps * 1500) / (1500 + 14 + 4 + 8 + 12);
}

function median(xs: Float64Array, n: number): number {
  const s = Array.from(xs.subarray(0, n)).sort((a, b) => a - b);
  return n === 0 ? 0 : n % 2 === 1 ? s[(n - 1) >> 1]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

function runPoint(
  cmp: Comparison,
  network: CompareNetwork,
  cfg: CompareConfiguration,
  workload: CompareWorkload,
  size: number,
  count: number,
): CompareRow {
  const link = cmp.networks[network]!;
  const t0 = performance.now();
  const tb = buildTestbed(network, link, cfg, cmp.profile, cmp.seed);
  const [a, b] = tb.stacks;
  const sched = tb.sim.scheduler;
  let note = "";
  let sent = 0;
  let delivered = 0;
  let rttMeanNs: number | null = null;
  let rttP50Ns: number | null = null;
  let goodputBps: number | null = null;
  let lineShare: number | null = null;
  let events = 0;
  let bytesCopied = 0;
  const cpuNs = Object.fromEntries(CPU_OP_NAMES.map((n) => [n, 0])) as Record<CpuOpName, number>;
  try {
    // Set-up first (U-Net registers its endpoint and channels with system calls): the
    // workload starts on ready stacks, and only its own CPU time is counted.
    sched.run(SETTLE_NS);
    for (const cpu of tb.cpus) {
      const ops = cpu.stats().ops;
      for (const n of CPU_OP_NAMES) cpuNs[n] -= ops[n].ns;
    }
    const eventsBefore = sched.dispatched;
    if (size > Math.min(a.maxMessage, b.maxMessage)) {
      note = `messages of ${size} bytes exceed this configuration's largest (${Math.min(a.maxMessage, b.maxMessage)})`;
    } else if (workload === "ping-pong") {
      const pp = new PingPong(a, b, size, count);
      pp.start();
      while (!pp.done && sched.now < SETTLE_NS + POINT_CAP_NS) sched.run(sched.now + STEP_NS);
      if (!pp.done)
        note = `stopped after ${pp.round} of ${count} round trips (a message was lost or refused: ${pp.refused} refused)`;
      if (pp.mismatches > 0) note += `${note ? "; " : ""}${pp.mismatches} messages arrived damaged`;
      sent = 2 * pp.round + (pp.done ? 0 : 1);
      delivered = 2 * pp.round;
      rttMeanNs = pp.round > 0 ? pp.meanRtt() : null;
      rttP50Ns = pp.round > 0 ? median(pp.rtts, pp.round) : null;
    } else {
      const ow = new OneWay(a, b, size, count);
      ow.start();
      let last = -1;
      let still = 0;
      while (ow.received < count && sched.now < SETTLE_NS + POINT_CAP_NS && still < 400) {
        sched.run(sched.now + STEP_NS);
        still = ow.received === last ? still + 1 : 0;
        last = ow.received;
      }
      sent = count - ow.refused;
      delivered = ow.received;
      if (ow.received < count)
        note = `${count - ow.received} of ${count} messages not delivered (${ow.refused} refused by the sender's stack; the rest dropped on the way)`;
      if (ow.received >= 2) {
        goodputBps = ((ow.received - 1) * size * 8 * 1e9) / (ow.lastAt - ow.firstAt);
        lineShare = goodputBps / linePayloadBps(network, link.rateBps);
      }
    }
    events = sched.dispatched - eventsBefore;
    for (const cpu of tb.cpus) {
      const ops = cpu.stats().ops;
      for (const n of CPU_OP_NAMES) cpuNs[n] += ops[n].ns;
    }
    bytesCopied = a.stats().bytesCopied + b.stats().bytesCopied;
  } finally {
    tb.destroy();
  }
  const per = Math.max(1, delivered);
  const cpuNsPerMessage = Object.fromEntries(CPU_OP_NAMES.map((n) => [n, cpuNs[n] / per])) as Record<CpuOpName, number>;
  return {
    network,
    configuration: cfg.name,
    stack: cfg.stack,
    layers: cfg.layers,
    workload,
    size,
    sent,
    delivered,
    rttMeanNs,
    rttP50Ns,
    goodputBps,
    lineShare,
    cpuNsPerMessage,
    cpuNsPerMessageTotal: CPU_OP_NAMES.reduce((t, n) => t + cpuNsPerMessage[n], 0),
    bytesCopiedPerMessage: bytesCopied / per,
    events,
    wallMs: performance.now() - t0,
    note,
  };
}

export function runComparison(cmp: Comparison, options: CompareOptions = {}): ComparisonReport {
  const started = performance.now();
  const networks = COMPARE_NETWORKS.filter((n) => cmp.networks[n] !== undefined);
  const plan: [CompareNetwork, CompareConfiguration, CompareWorkload, number, number][] = [];
  for (const network of networks) {
    for (const cfg of cmp.configurations) {
      for (const size of cmp.pingPong.sizes) plan.push([network, cfg, "ping-pong", size, cmp.pingPong.rounds]);
      for (const size of cmp.oneWay.sizes) plan.push([network, cfg, "one-way", size, cmp.oneWay.messages]);
    }
  }
  for (const network of networks) for (const cfg of cmp.configurations) runPoint(cmp, network, cfg, "ping-pong", 64, 3);
  const rows: CompareRow[] = [];
  const wallMsByConfiguration: Record<string, number> = Object.fromEntries(cmp.configurations.map((c) => [c.name, 0]));
  for (const [network, cfg, workload, size, count] of plan) {
    const row = runPoint(cmp, network, cfg, workload, size, count);
    rows.push(row);
    wallMsByConfiguration[cfg.name]! += row.wallMs;
    options.onPoint?.(rows.length, plan.length, row);
  }
  return {
    name: cmp.name,
    profile: cmp.profile.name,
    profileDescription: cmp.profile.description,
    seed: cmp.seed,
    networks: cmp.networks,
    configurations: cmp.configurations,
    rows,
    wallMsByConfiguration,
    wallTimeMs: performance.now() - started,
  };
}
