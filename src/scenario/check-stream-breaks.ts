// A `type: stream-breaks` workload: N TCP streams from one IP host to another (ports port ..
// port + streams - 1 on `to`), written to every `interval`, with the keep-alive and
// retransmission-timeout options that decide when each notices an outage.
//
// Contract: every key is checked with its path, defaults filled in (SB_DEFAULTS). `timeouts`
// acts only on streams that write, so it needs `interval`; its values keep TCP's own bounds
// (minRto <= initialRto <= maxRto). Each stream's port on `to` is claimed (TCP).

import { NS_PER_MS } from "../stacks/tcp/tcp-options.js";
import type { StreamBreaksSpec } from "../traffic/stream-breaks.js";
import type { Obj } from "./checks.js";
import type { PortClaim } from "./port-claims.js";
import { checkStartStop, ipHostNamed, type TrafficScope } from "./traffic-scope.js";

export const STREAM_BREAKS_KEYS = [
  "name",
  "type",
  "from",
  "to",
  "streams",
  "port",
  "start",
  "stop",
  "interval",
  "size",
  "keepAlive",
  "timeouts",
] as const;
export const SB_KEEPALIVE_KEYS = ["idle", "interval", "count"] as const;
export const SB_TIMEOUT_KEYS = ["minRto", "maxRto", "initialRto", "maxRetries"] as const;

export const MAX_STREAMS = 1024;
export const SB_DEFAULTS = {
  port: 9100,
  size: 64,
  /** TCP's own defaults (tcp-options.ts), so a key left out means what it means to TCP. */
  keepAlive: { idleNs: 7_200_000 * NS_PER_MS, intervalNs: 75_000 * NS_PER_MS, count: 9 },
  timeouts: { minRtoNs: 1_000 * NS_PER_MS, maxRtoNs: 60_000 * NS_PER_MS, maxRetries: 12 },
} as const;

export function checkStreamBreaks(
  s: TrafficScope,
  raw: Obj,
  p: string,
  index: number,
): { workload: StreamBreaksSpec; ports: PortClaim[] } | undefined {
  const c = s.c;
  const o = c.mapping(raw, p, STREAM_BREAKS_KEYS, ["type", "from", "to", "streams"]);
  if (o === undefined) return undefined;
  const name = o["name"] === undefined ? `workload${index}` : c.name(o["name"], `${p}.name`);
  const from = endHost(s, o["from"], `${p}.from`);
  const to = endHost(s, o["to"], `${p}.to`);
  if (from !== undefined && from === to) c.error(`${p}.to`, `streams from ${from} to itself`);
  const streams = c.int(o["streams"], `${p}.streams`, 1, MAX_STREAMS);
  const port = c.int(o["port"], `${p}.port`, 1, 65535, SB_DEFAULTS.port);
  if (port !== undefined && streams !== undefined && port + streams - 1 > 65535)
    c.error(`${p}.port`, `ports ${port} to ${port + streams - 1} do not all exist (the last port is 65535)`);
  // Workloads keep the file's duration as their default stop (unlike traffic, which runs to
  // the end of the run as given).
  const { startNs, stopNs: givenStop, stopBad } = checkStartStop(s, o, p);
  const stopNs = stopBad ? undefined : (givenStop ?? s.durationNs);
  const intervalNs = c.dur(o["interval"], `${p}.interval`, 0);
  const size = c.bytes(o["size"], `${p}.size`, 1, 1 << 20, SB_DEFAULTS.size);
  const keepAlive = checkKeepAlive(s, o["keepAlive"], `${p}.keepAlive`);
  const timeouts = checkTimeouts(s, o["timeouts"], `${p}.timeouts`);
  if (o["timeouts"] !== undefined && intervalNs === 0)
    c.error(`${p}.timeouts`, "retransmission timeouts act only on streams that write: give interval");
  const all = [name, from, to, streams, port, startNs, stopNs, intervalNs, size];
  if (all.includes(undefined)) return undefined;
  if (
    (o["keepAlive"] !== undefined && keepAlive === undefined) ||
    (o["timeouts"] !== undefined && timeouts === undefined)
  )
    return undefined;
  const workload: StreamBreaksSpec = {
    name: name!,
    type: "stream-breaks",
    from: from!,
    to: to!,
    streams: streams!,
    port: port!,
    startNs: startNs!,
    stopNs: stopNs!,
    intervalNs: intervalNs!,
    size: size!,
    keepAlive,
    timeouts,
  };
  const ports = Array.from({ length: streams! }, (_, i) => ({ key: `tcp:${to}:${port! + i}`, path: `${p}.port` }));
  return { workload, ports };
}

function endHost(s: TrafficScope, v: unknown, path: string): string | undefined {
  if (v === undefined) return undefined;
  const n = s.c.str(v, path);
  return n === undefined ? undefined : ipHostNamed(s, n, path, "stream-breaks");
}

function checkKeepAlive(s: TrafficScope, v: unknown, path: string): StreamBreaksSpec["keepAlive"] {
  const c = s.c;
  if (v === undefined) return undefined;
  const o = c.mapping(v, path, SB_KEEPALIVE_KEYS);
  if (o === undefined) return undefined;
  const d = SB_DEFAULTS.keepAlive;
  const idleNs = nonZero(s, c.dur(o["idle"], `${path}.idle`, d.idleNs), `${path}.idle`);
  const intervalNs = nonZero(s, c.dur(o["interval"], `${path}.interval`, d.intervalNs), `${path}.interval`);
  const count = c.int(o["count"], `${path}.count`, 1, 1000, d.count);
  if (idleNs === undefined || intervalNs === undefined || count === undefined) return undefined;
  return { idleNs, intervalNs, count };
}

function checkTimeouts(s: TrafficScope, v: unknown, path: string): StreamBreaksSpec["timeouts"] {
  const c = s.c;
  if (v === undefined) return undefined;
  const o = c.mapping(v, path, SB_TIMEOUT_KEYS);
  if (o === undefined) return undefined;
  const d = SB_DEFAULTS.timeouts;
  const minRtoNs = nonZero(s, c.dur(o["minRto"], `${path}.minRto`, d.minRtoNs), `${path}.minRto`);
  const maxRtoNs = nonZero(s, c.dur(o["maxRto"], `${path}.maxRto`, d.maxRtoNs), `${path}.maxRto`);
  const maxRetries = c.int(o["maxRetries"], `${path}.maxRetries`, 1, 100, d.maxRetries);
  if (minRtoNs === undefined || maxRtoNs === undefined || maxRetries === undefined) return undefined;
  if (maxRtoNs < minRtoNs) return c.error(`${path}.maxRto`, "must not be below minRto");
  // TCP's rule: 1 s, kept inside [minRto, maxRto].
  const initialRtoNs = c.dur(
    o["initialRto"],
    `${path}.initialRto`,
    Math.min(maxRtoNs, Math.max(minRtoNs, 1_000 * NS_PER_MS)),
  );
  if (initialRtoNs === undefined) return undefined;
  if (initialRtoNs < minRtoNs || initialRtoNs > maxRtoNs)
    return c.error(`${path}.initialRto`, "must lie between minRto and maxRto");
  return { minRtoNs, maxRtoNs, initialRtoNs, maxRetries };
}

function nonZero(s: TrafficScope, v: number | undefined, path: string): number | undefined {
  if (v === 0) return s.c.error(path, "must be longer than 0");
  return v;
}
