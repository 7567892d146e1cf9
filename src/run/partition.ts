// Partitioning: which worker runs which device, and the lookahead that bounds each window.
//
// Contract:
// - planPartitions(scenario, workers) returns a PartitionPlan: every host, switch and router
//   in exactly one partition, the links the plan cuts and the lookahead (the smallest delay of
//   a cut link; Infinity when nothing is cut). It never builds or runs anything.
// - Manual: the scenario's `partitions` (validated by the loader: every device listed once, no
//   zero-delay link cut, segments whole). `workers` must then be 1 (run unpartitioned) or the
//   scenario's partition count.
// - Automatic (see automatic()): cut the highest-latency links that still leave the load
//   balanced. Links with no delay or with a down/up schedule (a down must cancel frames in
//   flight, which cannot cross a cut), CSMA segments, the whole ATM network (cell trains carry
//   timing that does not cross) and the two hosts of each message flow are never cut apart.
//   With fewer groups than workers, the plan has fewer partitions.
// - Load: 1 per device, plus each traffic entry's packet rate (size and rate; bulk and
//   request-response count as the busiest entry) split between its sender and receivers and
//   scaled so traffic weighs as much as the devices together. A message flow counts as the
//   busiest entry, split between its two hosts.
// - Deterministic: the same scenario and worker count give the same plan.
// - Any plan that cuts a link with zero delay or with a down/up schedule is refused with a
//   NetloomError naming the link.

import { ErrorCode, NetloomError } from "../base/errors.js";
import type { Scenario } from "../scenario/scenario.js";
import { linksDownedByFailures } from "../scenario/check-failures.js";

export interface CutLink {
  name: string;
  delayNs: number;
  /** Partitions of its a and b ends. */
  a: number;
  b: number;
}

export interface PartitionPlan {
  /** Partitions used (1 = run unpartitioned). */
  count: number;
  /** Device names of each partition, in declaration order. */
  members: string[][];
  /** Partition of each host, switch, router and segment by name. */
  owner: Record<string, number>;
  cut: CutLink[];
  /** Smallest delay of a cut link, ns (Infinity when nothing is cut). */
  lookaheadNs: number;
  automatic: boolean;
}

/** Most workers a run may ask for. */
export const MAX_WORKERS = 64;

export function planPartitions(scenario: Scenario, workers: number): PartitionPlan {
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `${String(workers)} is not a worker count (1 to ${MAX_WORKERS})`,
      {
        path: "workers",
      },
    );
  }
  const devices = deviceNames(scenario);
  if (workers === 1) return single(devices);
  if (scenario.partitions !== undefined) {
    if (scenario.partitions.length !== workers) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `the scenario lists ${scenario.partitions.length} partitions; run it with ${scenario.partitions.length} workers (or 1)`,
        { path: "workers" },
      );
    }
    const owner: Record<string, number> = {};
    scenario.partitions.forEach((names, p) => names.forEach((n) => (owner[n] = p)));
    for (const seg of scenario.segments) owner[seg.name] = owner[seg.stations[0]!.device]!;
    const atm = atmGroup(scenario);
    const listed = [...new Set(atm.filter((n) => owner[n] !== undefined).map((n) => owner[n]!))];
    if (listed.length > 1) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `the ATM network (${atm.join(", ")}) is split over partitions ${listed.join(" and ")}; ATM links cannot be cut, keep it in one`,
        { path: "partitions" },
      );
    }
    for (const n of atm) owner[n] = listed[0] ?? 0;
    for (const t of scenario.messageTraffic) {
      if (owner[t.from] !== owner[t.to]) {
        throw new NetloomError(
          ErrorCode.INVALID_ARGUMENT,
          `${t.name} runs between ${t.from} (partition ${String(owner[t.from])}) and ${t.to} (partition ${String(owner[t.to])}); the two stacks of a message flow run as one, keep them in one partition`,
          { path: "partitions" },
        );
      }
    }
    return finish(scenario, devices, owner, scenario.partitions.length, false);
  }
  return automatic(scenario, devices, workers);
}

/** IP host, hostStack host, switch and router names in declaration order, then the ATM switches and hosts. */
function deviceNames(s: Scenario): string[] {
  const atm = s.atm === undefined ? [] : [...s.atm.switches.map((x) => x.name), ...s.atm.hosts.map((h) => h.name)];
  return [
    ...s.hosts.map((h) => h.name),
    ...s.stackHosts.map((h) => h.name),
    ...s.switches.map((x) => x.name),
    ...s.routers.map((r) => r.name),
    ...atm,
  ];
}

/**
 * The ATM network: its switches and hosts and the routers with an ATM interface. AtmLink hands
 * cell trains over with timing metadata that does not cross partitions, so it stays whole.
 */
function atmGroup(s: Scenario): string[] {
  if (s.atm === undefined) return [];
  const routers = [...new Set(s.atm.routerInterfaces.map((f) => f.router))];
  return [...s.atm.switches.map((x) => x.name), ...s.atm.hosts.map((h) => h.name), ...routers];
}

function single(devices: string[]): PartitionPlan {
  const owner: Record<string, number> = {};
  for (const d of devices) owner[d] = 0;
  return { count: 1, members: [devices], owner, cut: [], lookaheadNs: Infinity, automatic: false };
}

/** Union-find over device indexes. */
class Groups {
  private readonly parent: number[];
  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
  }
  find(i: number): number {
    let r = i;
    while (this.parent[r] !== r) r = this.parent[r]!;
    while (this.parent[i] !== r) {
      const next = this.parent[i]!;
      this.parent[i] = r;
      i = next;
    }
    return r;
  }
  join(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    // The smaller index stays the root: groups are named by their first device.
    if (ra < rb) this.parent[rb] = ra;
    else if (rb < ra) this.parent[ra] = rb;
  }
}

/** Per-device load (see the module comment) and the run's estimated events per second. */
function loads(s: Scenario, index: Map<string, number>): { weight: number[]; eventsPerSecond: number } {
  const rates = s.traffic.map((t) =>
    "rateBps" in t && t.rateBps !== undefined ? t.rateBps / (8 * Math.max(1, t.size)) : NaN,
  );
  const busiest = Math.max(1, ...rates.filter((r) => Number.isFinite(r)));
  const traffic = new Array<number>(index.size).fill(0);
  let total = 0;
  s.traffic.forEach((t, i) => {
    const rate = Number.isFinite(rates[i]!) ? rates[i]! : busiest;
    const receivers = t.to.multicast
      ? s.hosts.filter((h) => h.multicast.includes(t.to.address)).map((h) => h.name)
      : t.to.host !== undefined
        ? [t.to.host]
        : [];
    const share = rate / (1 + receivers.length);
    for (const name of [t.from, ...receivers]) {
      traffic[index.get(name)!]! += share;
      total += share;
    }
  });
  for (const t of s.messageTraffic) {
    for (const name of [t.from, t.to]) {
      traffic[index.get(name)!]! += busiest / 2;
      total += busiest / 2;
    }
  }
  const scale = total > 0 ? index.size / total : 0;
  // A packet costs a few events per hop (queue, serialisation end, arrival) over a few hops.
  return { weight: traffic.map((t) => 1 + t * scale), eventsPerSecond: total * EVENTS_PER_PACKET };
}

/** Rough wall-clock costs that weigh load balance against window count (measured on the star benchmarks). */
const EVENTS_PER_PACKET = 8;
const SECONDS_PER_EVENT = 1e-6;
const SECONDS_PER_WINDOW = 30e-6;

/**
 * Groups that must stay together are fixed first: links with no delay, a down/up schedule or a
 * network partition of the failures section that takes them down,
 * CSMA segments, the ATM network (its switches, hosts and the routers with an ATM interface),
 * and both hosts of each message flow (ping-pong, message-stream: the flow's workload and both
 * stacks are one unit, run where its `from` host runs). Then, for each distinct delay d from the
 * largest down, the devices joined by links shorter than d form groups; with at least two groups
 * they are packed into (at most) `workers` partitions, largest first into the lightest, ties by
 * declaration order. Among the packings with the most partitions, the lowest estimated wall time
 * wins: the heaviest partition's share of the events plus a cost per window (duration /
 * lookahead windows, fewer when events are sparse), so a well-balanced cut of 1 us links does
 * not beat a slightly uneven cut of 100 us ones.
 */
function automatic(s: Scenario, devices: string[], workers: number): PartitionPlan {
  const index = new Map(devices.map((d, i) => [d, i]));
  const { weight, eventsPerSecond } = loads(s, index);
  const events = Math.max(1, eventsPerSecond * (s.durationNs / 1e9));
  const fixed = new Groups(devices.length);
  for (const seg of s.segments) {
    for (const st of seg.stations) fixed.join(index.get(seg.stations[0]!.device)!, index.get(st.device)!);
  }
  const atm = atmGroup(s);
  for (const n of atm) fixed.join(index.get(atm[0]!)!, index.get(n)!);
  for (const t of s.messageTraffic) fixed.join(index.get(t.from)!, index.get(t.to)!);
  const downed = linksDownedByFailures(s.failures, s.links);
  const cuttable = s.links.filter((l) => {
    if (l.delayNs > 0 && l.schedule.length === 0 && !downed.has(l.name)) return true;
    fixed.join(index.get(l.a.device)!, index.get(l.b.device)!);
    return false;
  });
  const delays = [...new Set(cuttable.map((l) => l.delayNs))].sort((a, b) => b - a);
  let best: { owner: number[]; count: number; cost: number } | undefined;
  for (const d of delays) {
    const g = new Groups(devices.length);
    for (let i = 0; i < devices.length; i++) g.join(i, fixed.find(i));
    for (const l of cuttable) if (l.delayNs < d) g.join(index.get(l.a.device)!, index.get(l.b.device)!);
    const roots = [...new Set(devices.map((_, i) => g.find(i)))];
    const count = Math.min(workers, roots.length);
    if (count < 2) continue;
    const groupWeight = new Map<number, number>();
    devices.forEach((_, i) => groupWeight.set(g.find(i), (groupWeight.get(g.find(i)) ?? 0) + weight[i]!));
    // Largest group first, into the lightest partition; ties by declaration order.
    const order = [...roots].sort((x, y) => groupWeight.get(y)! - groupWeight.get(x)! || x - y);
    const bins = new Array<number>(count).fill(0);
    const binOf = new Map<number, number>();
    for (const r of order) {
      let b = 0;
      for (let k = 1; k < count; k++) if (bins[k]! < bins[b]!) b = k;
      bins[b]! += groupWeight.get(r)!;
      binOf.set(r, b);
    }
    const owner = devices.map((_, i) => binOf.get(g.find(i))!);
    // Lookahead of this packing: the shortest link it actually cuts.
    let lookahead = Infinity;
    for (const l of cuttable) {
      if (owner[index.get(l.a.device)!] !== owner[index.get(l.b.device)!]) lookahead = Math.min(lookahead, l.delayNs);
    }
    const share = Math.max(...bins) / bins.reduce((x, y) => x + y, 0);
    const windows = Math.min(s.durationNs / lookahead, events);
    const cost = share * events * SECONDS_PER_EVENT + windows * SECONDS_PER_WINDOW;
    if (best === undefined || count > best.count || (count === best.count && cost < best.cost))
      best = { owner, count, cost };
  }
  if (best === undefined) return single(devices);
  // Number partitions by their first device, so the plan reads in declaration order.
  const renumber = new Map<number, number>();
  for (const p of best.owner) if (!renumber.has(p)) renumber.set(p, renumber.size);
  const owner: Record<string, number> = {};
  devices.forEach((d, i) => (owner[d] = renumber.get(best.owner[i]!)!));
  for (const seg of s.segments) owner[seg.name] = owner[seg.stations[0]!.device]!;
  return finish(s, devices, owner, best.count, true);
}

function finish(
  s: Scenario,
  devices: string[],
  owner: Record<string, number>,
  count: number,
  automatic: boolean,
): PartitionPlan {
  const members: string[][] = Array.from({ length: count }, () => []);
  for (const d of devices) members[owner[d]!]!.push(d);
  const cut: CutLink[] = [];
  const downed = linksDownedByFailures(s.failures, s.links);
  for (const l of s.links) {
    const a = owner[l.a.device]!;
    const b = owner[l.b.device]!;
    if (a === b) continue;
    if (!(l.delayNs > 0)) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `link ${l.name} has no delay, so it cannot join partitions ${a} and ${b}`,
        {
          path: "partitions",
        },
      );
    }
    if (l.schedule.length > 0 || downed.has(l.name)) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `link ${l.name} goes down and up (its schedule or a partition in failures), so it cannot join partitions ${a} and ${b} (frames in flight across a cut cannot be taken back); keep its ends together`,
        { path: "partitions" },
      );
    }
    cut.push({ name: l.name, delayNs: l.delayNs, a, b });
  }
  const lookaheadNs = cut.reduce((m, c) => Math.min(m, c.delayNs), Infinity);
  return { count, members, owner, cut, lookaheadNs, automatic };
}
