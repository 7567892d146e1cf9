// A `two-phase-commit` entry of a scenario's `workloads`: a coordinator and participants (IP
// hosts of the hosts section), the protocol (2pc, 2pc-cooperative, 3pc), the transaction rate or
// interval and count, the timeouts, the probability of a vote of no, and the UDP port.
//
// Contract:
// - Every key acts or is refused with its path: unknown keys (did-you-mean), hosts that are not
//   IP hosts, a coordinator among the participants or a participant listed
//   twice, more than 32 participants, both rate and interval or neither, a fanout above the
//   participant count, a start at or after the run's end (or stop), more transactions than a
//   workload numbers. The UDP port of every party is claimed (check-workloads.ts refuses a port
//   a traffic entry or another workload already has on that host).
// - transport: only "udp" is built (datagrams with the parties' own retransmission); "tcp" is
//   refused with a message that says so.

import { suggest } from "../base/did-you-mean.js";
import { COMMIT_PROTOCOLS, MAX_COMMIT_ACTIVE, MAX_COMMIT_TRANSACTIONS } from "../stacks/commit/commit-config.js";
import type { TwoPhaseCommitSpec } from "../traffic/commit-spec.js";
import { COMMIT_MAX_PARTICIPANTS } from "../wire/commit.js";
import type { Checker, Obj } from "./checks.js";
import type { PortClaim } from "./port-claims.js";
import type { TrafficScope } from "./traffic-scope.js";
import { show } from "./wording.js";

export const COMMIT_WORKLOAD_KEYS = [
  "name",
  "type",
  "coordinator",
  "participants",
  "protocol",
  "transport",
  "port",
  "rate",
  "interval",
  "count",
  "start",
  "stop",
  "fanout",
  "voteNo",
  "work",
  "maxActive",
  "timeouts",
] as const;
export const COMMIT_TIMEOUT_KEYS = ["voteRequest", "votes", "decision", "retransmit"] as const;

export const COMMIT_DEFAULTS = {
  port: 7200,
  protocol: "2pc",
  transport: "udp",
  workNs: 0,
  voteNo: 0,
  maxActive: 1024,
  timeouts: { voteRequestNs: 100_000_000, votesNs: 50_000_000, decisionNs: 50_000_000, retransmitNs: 10_000_000 },
} as const;

export function checkTwoPhaseCommit(
  s: TrafficScope,
  o: Obj,
  p: string,
  index: number,
): { workload: TwoPhaseCommitSpec; ports: PortClaim[] } | undefined {
  const c = s.c;
  if (c.mapping(o, p, COMMIT_WORKLOAD_KEYS, ["type", "coordinator", "participants"]) === undefined) return undefined;
  const name = o["name"] === undefined ? `workload${index}` : c.name(o["name"], `${p}.name`);
  const coordinator = o["coordinator"] === undefined ? undefined : ipHost(s, o["coordinator"], `${p}.coordinator`);
  const participants = checkParticipants(s, o["participants"], `${p}.participants`, coordinator);
  const protocol = c.oneOf(o["protocol"], `${p}.protocol`, COMMIT_PROTOCOLS, COMMIT_DEFAULTS.protocol);
  const transport = checkTransport(c, o["transport"], `${p}.transport`);
  const port = c.int(o["port"], `${p}.port`, 1, 0xffff, COMMIT_DEFAULTS.port);
  const startNs = c.dur(o["start"], `${p}.start`, 0);
  const stopNs = c.dur(o["stop"], `${p}.stop`, s.durationNs);
  if (startNs !== undefined && stopNs !== undefined && stopNs <= startNs)
    c.error(
      `${p}.${o["stop"] === undefined ? "start" : "stop"}`,
      "the workload must start before it stops (and before the run ends)",
    );
  const intervalNs = checkPace(c, o, p);
  const count = c.int(o["count"], `${p}.count`, 1, MAX_COMMIT_TRANSACTIONS);
  const fanout = c.int(o["fanout"], `${p}.fanout`, 1, COMMIT_MAX_PARTICIPANTS);
  if (fanout !== undefined && participants !== undefined && fanout > participants.length)
    c.error(`${p}.fanout`, `${fanout} is more than the ${participants.length} participants`);
  const voteNo = c.prob(o["voteNo"], `${p}.voteNo`, COMMIT_DEFAULTS.voteNo);
  const workNs = c.dur(o["work"], `${p}.work`, COMMIT_DEFAULTS.workNs);
  const maxActive = c.int(o["maxActive"], `${p}.maxActive`, 1, MAX_COMMIT_ACTIVE, COMMIT_DEFAULTS.maxActive);
  const timeouts = checkTimeouts(c, o["timeouts"], `${p}.timeouts`);
  if (
    name === undefined ||
    coordinator === undefined ||
    participants === undefined ||
    protocol === undefined ||
    transport === undefined ||
    port === undefined ||
    startNs === undefined ||
    stopNs === undefined ||
    intervalNs === undefined ||
    voteNo === undefined ||
    workNs === undefined ||
    maxActive === undefined ||
    timeouts === undefined ||
    (o["count"] !== undefined && count === undefined) ||
    (o["fanout"] !== undefined && fanout === undefined)
  )
    return undefined;
  const spec: TwoPhaseCommitSpec = {
    type: "two-phase-commit",
    name,
    coordinator,
    participants,
    protocol,
    transport,
    port,
    startNs,
    stopNs,
    intervalNs,
    count,
    fanout: fanout ?? participants.length,
    voteNo,
    workNs,
    timeouts,
    maxActive,
  };
  const n = Math.ceil((stopNs - startNs) / intervalNs);
  if (count === undefined && n > MAX_COMMIT_TRANSACTIONS) {
    return c.error(
      `${p}.${o["rate"] !== undefined ? "rate" : "interval"}`,
      `${n} transactions between start and stop; a workload numbers at most ${MAX_COMMIT_TRANSACTIONS} (give a count or a lower rate)`,
    );
  }
  const ports = [coordinator, ...participants].map((h) => ({ key: `udp:${h}:${port}`, path: `${p}.port` }));
  return { workload: spec, ports };
}

/** An IP host (a host with an address, not a hostStack or raw AAL5 host). */
function ipHost(s: TrafficScope, v: unknown, path: string): string | undefined {
  const name = s.c.str(v, path);
  if (name === undefined) return undefined;
  const ipHosts = s.hosts.map((h) => h.name);
  if (ipHosts.includes(name)) return name;
  const e = s.names.get(name);
  if (e === undefined) {
    const sug = suggest(name, ipHosts);
    return s.c.error(path, `there is no host named "${name}"${sug ? ` (did you mean "${sug}"?)` : ""}`);
  }
  return s.c.error(
    path,
    e.kind === "host"
      ? `host ${name} is not an IP host (a commit party needs an IP stack and stable storage)`
      : `"${name}" is a ${e.kind}; a commit party runs on an IP host`,
  );
}

function checkParticipants(
  s: TrafficScope,
  v: unknown,
  path: string,
  coordinator: string | undefined,
): string[] | undefined {
  if (v === undefined) return undefined;
  const list = s.c.list(v, path);
  if (list === undefined) return undefined;
  if (list.length === 0 || list.length > COMMIT_MAX_PARTICIPANTS)
    return s.c.error(path, `${list.length} participants; a workload has 1 to ${COMMIT_MAX_PARTICIPANTS}`);
  const out: string[] = [];
  let ok = true;
  list.forEach((x, i) => {
    const h = ipHost(s, x, `${path}[${i}]`);
    if (h === undefined) ok = false;
    else if (h === coordinator) {
      ok = false;
      s.c.error(`${path}[${i}]`, `${h} is the coordinator; a participant runs on another host`);
    } else if (out.includes(h)) {
      ok = false;
      s.c.error(`${path}[${i}]`, `${h} is listed twice`);
    } else out.push(h);
  });
  return ok ? out : undefined;
}

function checkTransport(c: Checker, v: unknown, path: string): "udp" | undefined {
  const t = c.oneOf(v, path, ["udp", "tcp"] as const, COMMIT_DEFAULTS.transport);
  if (t === "tcp")
    return c.error(path, `"tcp" is not built for two-phase-commit: its messages travel as UDP datagrams ("udp")`);
  return t;
}

/** rate (transactions per second) or interval (time between starts): the time between starts, ns. */
function checkPace(c: Checker, o: Obj, p: string): number | undefined {
  const hasRate = o["rate"] !== undefined;
  const hasInterval = o["interval"] !== undefined;
  if (hasRate && hasInterval) return c.error(`${p}.interval`, "give rate or interval, not both");
  if (!hasRate && !hasInterval)
    return c.error(p, 'missing required key "rate" (transactions per second) or "interval" (time between starts)');
  if (hasInterval) {
    const ns = c.dur(o["interval"], `${p}.interval`);
    return ns === 0 ? c.error(`${p}.interval`, "must be longer than 0") : ns;
  }
  const r = o["rate"];
  if (typeof r !== "number" || !(r > 0) || !Number.isFinite(r))
    return c.error(`${p}.rate`, `${show(r)} is not a rate in transactions per second (a number above 0)`);
  const ns = Math.round(1e9 / r);
  return ns >= 1 ? ns : c.error(`${p}.rate`, `${r} per second is more than one transaction per ns`);
}

function checkTimeouts(c: Checker, v: unknown, path: string): TwoPhaseCommitSpec["timeouts"] | undefined {
  const d = COMMIT_DEFAULTS.timeouts;
  if (v === undefined) return { ...d };
  const o = c.mapping(v, path, COMMIT_TIMEOUT_KEYS);
  if (o === undefined) return undefined;
  const get = (k: (typeof COMMIT_TIMEOUT_KEYS)[number], dflt: number): number | undefined => {
    const ns = c.dur(o[k], `${path}.${k}`, dflt);
    return ns === 0 ? c.error(`${path}.${k}`, "must be longer than 0") : ns;
  };
  const voteRequestNs = get("voteRequest", d.voteRequestNs);
  const votesNs = get("votes", d.votesNs);
  const decisionNs = get("decision", d.decisionNs);
  const retransmitNs = get("retransmit", d.retransmitNs);
  if (voteRequestNs === undefined || votesNs === undefined || decisionNs === undefined || retransmitNs === undefined)
    return undefined;
  return { voteRequestNs, votesNs, decisionNs, retransmitNs };
}
