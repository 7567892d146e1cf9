// The split-brain detector: from the servers' role timelines and the clients' views of the
// primary (plain data, merged from every partition of a run), the intervals during which two
// or more clients were served by two or more different primaries at once (Birman fig. 4-9:
// inconsistent failure detection), with who saw whom and what each side accepted meanwhile.
//
// Contract:
// - A client "sees" server s as primary at time t when its view (pb-client.ts) names s at t and
//   s's role at t is primary (a crashed or deposed server serves nobody: a client still
//   addressing it is only late, not on the other side of a split). A split is a maximal
//   interval during which the seen primaries number two or more.
// - For each split: fromNs, toNs (the run's end when it is still open: ongoing), every
//   client's view clipped to it, and per primary side: the epoch, the clients it served, the
//   updates it committed in [fromNs, toNs) (by client), and whether it stepped down after the
//   split began: a primary that steps down takes its successor's state, so what it accepted
//   during the split is discarded (`discarded`).
// - Overlaps: the intervals during which two or more servers held the primary role at once,
//   whether or not clients saw both (a backup that took over with no client to serve).
// - Pure and deterministic (ordered by time, then server, then client); never throws on any
//   timeline. `truncated` says a timeline it was given had overflowed its bound.

import type { PbClientState } from "./pb-client.js";
import type { PbRole } from "./pb-history.js";
import type { PbServerState } from "./pb-server.js";

export interface PbSplitView {
  client: string;
  server: string;
  fromNs: number;
  toNs: number;
}

export interface PbSplitSide {
  server: string;
  epoch: number;
  clients: string[];
  accepted: number;
  acceptedByClient: Record<string, number>;
  /** When it stepped down for a newer primary after the split began (null: it did not). */
  steppedDownAtNs: number | null;
  /** Updates it accepted during the split that its step-down threw away. */
  discarded: number;
}

export interface PbSplit {
  fromNs: number;
  toNs: number;
  durationNs: number;
  /** Still open at the run's end. */
  ongoing: boolean;
  views: PbSplitView[];
  sides: PbSplitSide[];
}

/** An interval during which two or more live servers held the primary role at once. */
export interface PbOverlap {
  fromNs: number;
  toNs: number;
  ongoing: boolean;
  servers: string[];
}

export interface PbSplitReport {
  splits: PbSplit[];
  /** Servers acting as primary at once, whether or not clients saw both (server-side view). */
  overlaps: PbOverlap[];
  /** Total time with a split open, ns. */
  splitNs: number;
  truncated: boolean;
}

interface Step<T> {
  atNs: number;
  value: T;
}

/** Value of a piecewise-constant timeline at t (the last step at or before t), else `before`. */
function valueAt<T>(steps: readonly Step<T>[], t: number, before: T): T {
  let lo = 0;
  let hi = steps.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (steps[mid]!.atNs <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? before : steps[lo - 1]!.value;
}

export function detectSplits(
  servers: readonly PbServerState[],
  clients: readonly PbClientState[],
  endNs: number,
): PbSplitReport {
  const roles = servers.map((s) => s.roles.map((r) => ({ atNs: r.atNs, value: r.role })));
  const views = clients.map((c) => c.beliefs.map((b) => ({ atNs: b.atNs, value: b.server })));
  const times = new Set<number>([0]);
  for (const r of roles) for (const x of r) if (x.atNs < endNs) times.add(x.atNs);
  for (const v of views) for (const x of v) if (x.atNs < endNs) times.add(x.atNs);
  const sorted = [...times].sort((a, b) => a - b);
  const roleAt = (s: number, t: number): PbRole => valueAt<PbRole>(roles[s] ?? [], t, "down");
  const seenAt = (c: number, t: number): number => {
    const s = valueAt(views[c]!, t, -1);
    return s >= 0 && s < servers.length && roleAt(s, t) === "primary" ? s : -1;
  };
  const open: { from: number; to: number }[] = [];
  for (let k = 0; k < sorted.length; k++) {
    const t = sorted[k]!;
    const seen = new Set<number>();
    for (let c = 0; c < clients.length; c++) {
      const s = seenAt(c, t);
      if (s !== -1) seen.add(s);
    }
    if (seen.size < 2) continue;
    const to = sorted[k + 1] ?? endNs;
    const last = open.at(-1);
    if (last !== undefined && last.to === t) last.to = to;
    else open.push({ from: t, to });
  }
  const splits = open.map((iv) => describeSplit(iv.from, iv.to, endNs, servers, clients, sorted, seenAt));
  const overlaps = primaryOverlaps(servers, sorted, endNs, roleAt);
  const truncated =
    servers.some((s) => s.rolesOverflow > 0 || s.commitsOverflow > 0) || clients.some((c) => c.beliefsOverflow > 0);
  return { splits, overlaps, splitNs: splits.reduce((n, s) => n + s.durationNs, 0), truncated };
}

function primaryOverlaps(
  servers: readonly PbServerState[],
  times: readonly number[],
  endNs: number,
  roleAt: (s: number, t: number) => PbRole,
): PbOverlap[] {
  const out: PbOverlap[] = [];
  for (let k = 0; k < times.length; k++) {
    const t = times[k]!;
    const primaries = servers.filter((_, s) => roleAt(s, t) === "primary").map((s) => s.host);
    if (primaries.length < 2) continue;
    const to = times[k + 1] ?? endNs;
    const last = out.at(-1);
    if (last !== undefined && last.toNs === t && last.servers.join() === primaries.join()) last.toNs = to;
    else out.push({ fromNs: t, toNs: to, ongoing: false, servers: primaries });
  }
  for (const o of out) o.ongoing = o.toNs >= endNs;
  return out;
}

function describeSplit(
  from: number,
  to: number,
  endNs: number,
  servers: readonly PbServerState[],
  clients: readonly PbClientState[],
  times: readonly number[],
  seenAt: (c: number, t: number) => number,
): PbSplit {
  const inside = times.filter((t) => t >= from && t < to);
  const views: PbSplitView[] = [];
  const served = new Map<number, Set<string>>();
  for (let c = 0; c < clients.length; c++) {
    let cur: PbSplitView | undefined;
    for (let k = 0; k < inside.length; k++) {
      const t = inside[k]!;
      const s = seenAt(c, t);
      const next = inside[k + 1] ?? to;
      if (cur !== undefined && s !== -1 && cur.server === servers[s]!.host && cur.toNs === t) {
        cur.toNs = next;
        continue;
      }
      if (s === -1) continue;
      cur = { client: clients[c]!.host, server: servers[s]!.host, fromNs: t, toNs: next };
      views.push(cur);
      if (!served.has(s)) served.set(s, new Set());
      served.get(s)!.add(clients[c]!.host);
    }
  }
  views.sort((a, b) => a.fromNs - b.fromNs || a.client.localeCompare(b.client));
  const sides = [...served.keys()]
    .sort((a, b) => a - b)
    .map((s) => sideOf(servers[s]!, served.get(s)!, from, to, clients));
  return { fromNs: from, toNs: to, durationNs: to - from, ongoing: to >= endNs, views, sides };
}

function sideOf(
  s: PbServerState,
  served: Set<string>,
  from: number,
  to: number,
  clients: readonly PbClientState[],
): PbSplitSide {
  const asPrimary = s.roles.filter((r) => r.atNs <= to && r.role === "primary");
  const epoch = asPrimary.at(-1)?.epoch ?? s.epoch;
  const acceptedByClient: Record<string, number> = {};
  let accepted = 0;
  for (const c of s.commits) {
    if (c.atNs < from || c.atNs >= to) continue;
    accepted++;
    const name = clients.find((x) => x.id === c.client)?.host ?? `client ${c.client}`;
    acceptedByClient[name] = (acceptedByClient[name] ?? 0) + 1;
  }
  const down = s.roles.find((r) => r.atNs > from && r.role === "backup" && r.cause === "newer-primary");
  return {
    server: s.host,
    epoch,
    clients: [...served].sort(),
    accepted,
    acceptedByClient,
    steppedDownAtNs: down?.atNs ?? null,
    discarded: down === undefined ? 0 : accepted,
  };
}
