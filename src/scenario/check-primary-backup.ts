// A `type: primary-backup` workload: servers (the first is the primary at start) and clients
// on IP hosts of the scenario, the clients' calls (rate or interval, count, start, stop), the
// timeouts of both sides and the failure-handling policy (failover, takeover).
//
// Contract: every key is checked with its path; defaults are filled in (PB_DEFAULTS). At least
// two servers (at most MAX_PB_SERVERS) and one client, all distinct hosts; `rate` and
// `interval` exclude each other; every server and client uses UDP `port` on its host.

import { MAX_PB_SERVERS } from "../stacks/primary-backup/pb-server.js";
import type { PbTakeover, PrimaryBackupSpec } from "../traffic/primary-backup-workload.js";
import type { Obj } from "./checks.js";
import type { PortClaim } from "./port-claims.js";
import { checkStartStop, ipHostNamed, type TrafficScope } from "./traffic-scope.js";
import { show } from "./wording.js";

export const PRIMARY_BACKUP_KEYS = [
  "name",
  "type",
  "servers",
  "clients",
  "port",
  "start",
  "stop",
  "rate",
  "interval",
  "count",
  "timeout",
  "retries",
  "heartbeat",
  "update",
  "failover",
  "takeover",
] as const;
export const PB_HEARTBEAT_KEYS = ["period", "timeout"] as const;
export const PB_UPDATE_KEYS = ["timeout", "retries"] as const;
export const PB_TAKEOVER_VALUES: readonly PbTakeover[] = ["both", "heartbeat", "request", "never"];

const MS = 1_000_000;
export const PB_DEFAULTS = {
  port: 7300,
  intervalNs: 10 * MS,
  timeoutNs: 20 * MS,
  retries: 2,
  heartbeatPeriodNs: 10 * MS,
  heartbeatTimeoutNs: 50 * MS,
  updateTimeoutNs: 10 * MS,
  updateRetries: 3,
} as const;

export function checkPrimaryBackup(
  s: TrafficScope,
  raw: Obj,
  p: string,
  index: number,
): { workload: PrimaryBackupSpec; ports: PortClaim[] } | undefined {
  const c = s.c;
  const o = c.mapping(raw, p, PRIMARY_BACKUP_KEYS, ["type", "servers", "clients"]);
  if (o === undefined) return undefined;
  const name = o["name"] === undefined ? `workload${index}` : c.name(o["name"], `${p}.name`);
  const servers = hostList(s, o["servers"], `${p}.servers`, 2, MAX_PB_SERVERS);
  const clients = hostList(s, o["clients"], `${p}.clients`, 1, 0xfffe);
  if (servers !== undefined && clients !== undefined) {
    clients.forEach((h, i) => {
      if (servers.includes(h)) c.error(`${p}.clients[${i}]`, `${h} is also a server of this service`);
    });
  }
  const port = c.int(o["port"], `${p}.port`, 1, 65535, PB_DEFAULTS.port);
  // Workloads keep the file's duration as their default stop (unlike traffic, which runs to
  // the end of the run as given).
  const { startNs, stopNs: givenStop, stopBad } = checkStartStop(s, o, p);
  const stopNs = stopBad ? undefined : (givenStop ?? s.durationNs);
  const intervalNs = callInterval(s, o, p);
  const count = c.int(o["count"], `${p}.count`, 1, Number.MAX_SAFE_INTEGER);
  const timeoutNs = positive(s, c.dur(o["timeout"], `${p}.timeout`, PB_DEFAULTS.timeoutNs), `${p}.timeout`);
  const retries = c.int(o["retries"], `${p}.retries`, 0, 100, PB_DEFAULTS.retries);
  const hb = c.mapping(o["heartbeat"] ?? {}, `${p}.heartbeat`, PB_HEARTBEAT_KEYS);
  const heartbeatPeriodNs = positive(
    s,
    c.dur(hb?.["period"], `${p}.heartbeat.period`, PB_DEFAULTS.heartbeatPeriodNs),
    `${p}.heartbeat.period`,
  );
  const heartbeatTimeoutNs = positive(
    s,
    c.dur(hb?.["timeout"], `${p}.heartbeat.timeout`, PB_DEFAULTS.heartbeatTimeoutNs),
    `${p}.heartbeat.timeout`,
  );
  const up = c.mapping(o["update"] ?? {}, `${p}.update`, PB_UPDATE_KEYS);
  const updateTimeoutNs = positive(
    s,
    c.dur(up?.["timeout"], `${p}.update.timeout`, PB_DEFAULTS.updateTimeoutNs),
    `${p}.update.timeout`,
  );
  const updateRetries = c.int(up?.["retries"], `${p}.update.retries`, 0, 100, PB_DEFAULTS.updateRetries);
  const failover = o["failover"] === undefined ? true : c.bool(o["failover"], `${p}.failover`);
  const takeover = c.oneOf(o["takeover"], `${p}.takeover`, PB_TAKEOVER_VALUES, "both");
  const values = [name, servers, clients, port, startNs, stopNs, intervalNs, timeoutNs, retries];
  const more = [heartbeatPeriodNs, heartbeatTimeoutNs, updateTimeoutNs, updateRetries, failover, takeover];
  if ([...values, ...more].includes(undefined) || (o["count"] !== undefined && count === undefined)) return undefined;
  const workload: PrimaryBackupSpec = {
    name: name!,
    type: "primary-backup",
    servers: servers!,
    clients: clients!,
    port: port!,
    startNs: startNs!,
    stopNs: stopNs!,
    intervalNs: intervalNs!,
    count,
    timeoutNs: timeoutNs!,
    retries: retries!,
    heartbeatPeriodNs: heartbeatPeriodNs!,
    heartbeatTimeoutNs: heartbeatTimeoutNs!,
    updateTimeoutNs: updateTimeoutNs!,
    updateRetries: updateRetries!,
    failover: failover!,
    takeover: takeover!,
  };
  const ports = [...servers!.map((h, i) => [h, `servers[${i}]`]), ...clients!.map((h, i) => [h, `clients[${i}]`])].map(
    ([h, at]) => ({ key: `udp:${h}:${port}`, path: `${p}.${at}` }),
  );
  return { workload, ports };
}

/** A list of distinct IP host names, `min` to `max` long. */
function hostList(s: TrafficScope, v: unknown, path: string, min: number, max: number): string[] | undefined {
  const c = s.c;
  if (v === undefined) return undefined;
  const list = c.list(v, path);
  if (list === undefined) return undefined;
  if (list.length < min || list.length > max)
    return c.error(path, `${list.length} hosts; a service needs ${min} to ${max} here`);
  const out: string[] = [];
  let ok = true;
  list.forEach((x, i) => {
    const at = `${path}[${i}]`;
    const n = c.str(x, at);
    const h = n === undefined ? undefined : ipHostNamed(s, n, at, "primary-backup");
    if (h === undefined) ok = false;
    else if (out.includes(h)) {
      c.error(at, `${h} is listed twice`);
      ok = false;
    } else out.push(h);
  });
  return ok ? out : undefined;
}

/** `rate` (calls per second per client) or `interval` (least time between calls), not both. */
function callInterval(s: TrafficScope, o: Obj, p: string): number | undefined {
  const c = s.c;
  if (o["rate"] !== undefined && o["interval"] !== undefined)
    return c.error(`${p}.interval`, "give rate or interval, not both");
  if (o["rate"] !== undefined) {
    const r = o["rate"];
    if (typeof r !== "number" || !(r > 0) || !Number.isFinite(r))
      return c.error(`${p}.rate`, `${show(r)} is not a positive number of calls per second`);
    return Math.round(1e9 / r);
  }
  return c.dur(o["interval"], `${p}.interval`, PB_DEFAULTS.intervalNs);
}

function positive(s: TrafficScope, v: number | undefined, path: string): number | undefined {
  if (v === 0) return s.c.error(path, "must be longer than 0");
  return v;
}
