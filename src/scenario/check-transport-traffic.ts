// tcp-bulk, nak-bulk and rpc entries of a scenario's `traffic`: a unicast transport flow between
// two IP hosts (named, or by address), with the TCP or NAK options the endpoints accept.

import { ipv4FromText } from "../base/ipv4-text.js";
import type {
  ScenarioNakOptions,
  ScenarioTcpOptions,
  ScenarioTraffic,
  TransportScenarioTraffic,
} from "../traffic/traffic-spec.js";
import { checkKeysApply, checkStartStop, checkTypeRequires, ipHostNamed, type TrafficScope } from "./traffic-scope.js";
import { addressOf, type Checker, type Obj } from "./checks.js";
import { MAX_RPC_BODY, SCENARIO_DEFAULTS } from "./scenario-defaults.js";
import {
  ALL_TRAFFIC_KEYS,
  BURST_TRAIN_KEYS,
  KEEPALIVE_KEYS,
  NAK_KEYS,
  NAK_RATE_KEYS,
  TCP_KEYS,
  TRANSPORT_COMMON,
  TRANSPORT_EXTRA,
  TRANSPORT_REQUIRED,
} from "./traffic-keys.js";
import { show } from "./wording.js";

type TransportType = TransportScenarioTraffic["type"];

export function checkTransportTraffic(
  s: TrafficScope,
  raw: Obj,
  p: string,
  index: number,
  type: TransportType,
): ScenarioTraffic | undefined {
  const c = s.c;
  const allowed = [...TRANSPORT_COMMON, ...TRANSPORT_EXTRA[type]];
  const o = c.mapping(raw, p, [...new Set([...ALL_TRAFFIC_KEYS, ...allowed])], ["type", "from", "to"]);
  if (o === undefined) return undefined;
  checkKeysApply(c, o, p, type, ALL_TRAFFIC_KEYS, allowed);
  checkTypeRequires(c, o, p, type, TRANSPORT_REQUIRED[type]);
  const n = o["name"] === undefined ? `flow${index}` : c.name(o["name"], `${p}.name`);
  const from = o["from"] === undefined ? undefined : transportEnd(s, o["from"], `${p}.from`, type);
  const toHost = o["to"] === undefined ? undefined : transportEnd(s, o["to"], `${p}.to`, type);
  if (from !== undefined && toHost !== undefined && from === toHost)
    c.error(`${p}.to`, `traffic from ${from} to itself`);
  const toDraft = s.hosts.find((h) => h.name === toHost);
  const portBase = SCENARIO_DEFAULTS.transport.portBase;
  const port = c.int(o["port"], `${p}.port`, 1, 65535, Math.min(65535, portBase + index));
  const { startNs, stopNs, stopBad } = checkStartStop(s, o, p);
  const mtu = from === undefined ? SCENARIO_DEFAULTS.link.mtu : s.mtuOf(from);
  const tcp = type === "nak-bulk" ? {} : checkTcpOptions(c, o["tcp"], `${p}.tcp`, mtu);
  const nak = type === "nak-bulk" ? checkNakOptions(c, o["nak"], `${p}.nak`, mtu) : undefined;
  const bytesTotal =
    o["bytes"] === undefined ? undefined : c.bytes(o["bytes"], `${p}.bytes`, 1, Number.MAX_SAFE_INTEGER);
  if (
    n === undefined ||
    from === undefined ||
    toHost === undefined ||
    toDraft === undefined ||
    port === undefined ||
    startNs === undefined ||
    stopBad ||
    tcp === undefined
  ) {
    return undefined;
  }
  if (o["bytes"] !== undefined && bytesTotal === undefined) return undefined;
  const to = { address: addressOf(toDraft.ipN).address, host: toHost, multicast: false };
  const common = { name: n, from, to, port, startNs, stopNs };
  if (type === "tcp-bulk") return { ...common, type, bytes: bytesTotal, tcp };
  if (type === "nak-bulk") return nak === undefined ? undefined : { ...common, type, bytes: bytesTotal, nak };
  return checkRpc(c, o, p, common, tcp);
}

/** An end of a transport flow: a host's name or its address. */
function transportEnd(s: TrafficScope, v: unknown, path: string, type: TransportType): string | undefined {
  const name = s.c.str(v, path);
  if (name === undefined) return undefined;
  const a = ipv4FromText(name);
  const byAddress = a === undefined ? undefined : s.hosts.find((x) => x.ipN.addr === a);
  if (byAddress !== undefined) return byAddress.name;
  if (a !== undefined) {
    return s.c.error(
      path,
      `${name} is not the address of a host of this scenario (${type} runs between two of its hosts)`,
    );
  }
  return ipHostNamed(s, name, path, type);
}

type TransportCommon = Pick<TransportScenarioTraffic, "name" | "from" | "to" | "port" | "startNs" | "stopNs">;

/** The rpc keys: calls (count, interval), sizes, timeout, retries and calls in flight. */
function checkRpc(
  c: Checker,
  o: Obj,
  p: string,
  common: TransportCommon,
  tcp: ScenarioTcpOptions,
): ScenarioTraffic | undefined {
  const count = o["count"] === undefined ? undefined : c.int(o["count"], `${p}.count`, 1, Number.MAX_SAFE_INTEGER);
  const intervalNs = o["interval"] === undefined ? undefined : c.dur(o["interval"], `${p}.interval`);
  if (intervalNs === 0) c.error(`${p}.interval`, "must be longer than 0");
  const requestSize = o["size"] === undefined ? undefined : c.bytes(o["size"], `${p}.size`, 0, MAX_RPC_BODY);
  const responseSize =
    o["responseSize"] === undefined ? undefined : c.bytes(o["responseSize"], `${p}.responseSize`, 0, MAX_RPC_BODY);
  const timeoutNs = c.dur(o["timeout"], `${p}.timeout`, SCENARIO_DEFAULTS.traffic.timeoutNs);
  if (timeoutNs === 0) c.error(`${p}.timeout`, "must be longer than 0");
  const d = SCENARIO_DEFAULTS.transport;
  const retries = c.int(o["retries"], `${p}.retries`, 0, 1000, d.retries);
  const maxOutstanding = c.int(o["maxOutstanding"], `${p}.maxOutstanding`, 1, 1 << 16, d.maxOutstanding);
  if ((o["count"] !== undefined && count === undefined) || (o["interval"] !== undefined && !intervalNs))
    return undefined;
  if (
    requestSize === undefined ||
    responseSize === undefined ||
    !timeoutNs ||
    retries === undefined ||
    maxOutstanding === undefined
  )
    return undefined;
  return {
    ...common,
    type: "rpc",
    count,
    intervalNs,
    requestSize,
    responseSize,
    timeoutNs,
    retries,
    maxOutstanding,
    tcp,
  };
}

/** The `tcp` options of tcp-bulk and rpc traffic, with the ranges TcpConnection accepts. */
function checkTcpOptions(c: Checker, v: unknown, path: string, mtu: number): ScenarioTcpOptions | undefined {
  if (v === undefined) return {};
  const o = c.mapping(v, path, TCP_KEYS);
  if (o === undefined) return undefined;
  const before = c.rep.issues.length;
  const out: ScenarioTcpOptions = {};
  const set = <K extends keyof ScenarioTcpOptions>(k: K, x: ScenarioTcpOptions[K] | undefined): void => {
    if (x !== undefined) out[k] = x;
  };
  set("sendBuffer", c.bytes(o["sendBuffer"], `${path}.sendBuffer`, 1, 1 << 30));
  set("receiveBuffer", c.bytes(o["receiveBuffer"], `${path}.receiveBuffer`, 1, 1 << 30));
  set("lowWater", c.bytes(o["lowWater"], `${path}.lowWater`, 0, out.sendBuffer ?? 256 * 1024));
  set("mss", c.bytes(o["mss"], `${path}.mss`, 64, mtu - 40));
  set("noDelay", c.bool(o["noDelay"], `${path}.noDelay`));
  const delayedAck = c.dur(o["delayedAck"], `${path}.delayedAck`);
  if (delayedAck !== undefined && delayedAck > 500_000_000)
    c.error(`${path}.delayedAck`, `${show(o["delayedAck"])} is longer than 500ms (RFC 1122 4.2.3.2)`);
  else set("delayedAck", delayedAck);
  set("ackEvery", c.int(o["ackEvery"], `${path}.ackEvery`, 1, 64));
  set("sack", c.bool(o["sack"], `${path}.sack`));
  set("windowScale", c.bool(o["windowScale"], `${path}.windowScale`));
  set("initialWindow", c.int(o["initialWindow"], `${path}.initialWindow`, 1, 1024));
  for (const k of ["minRto", "maxRto", "initialRto", "timeWait"] as const) {
    const x = c.dur(o[k], `${path}.${k}`);
    if (x === 0 && k !== "timeWait") c.error(`${path}.${k}`, "must be longer than 0");
    else set(k, x);
  }
  const minRto = out.minRto ?? 1e9;
  const maxRto = out.maxRto ?? 60e9;
  if (o["maxRto"] !== undefined && out.maxRto !== undefined && maxRto < minRto)
    c.error(`${path}.maxRto`, `${show(o["maxRto"])} is shorter than minRto`);
  if (out.initialRto !== undefined && (out.initialRto < minRto || out.initialRto > maxRto)) {
    c.error(`${path}.initialRto`, `${show(o["initialRto"])} is not between minRto and maxRto`);
  }
  set("maxRetries", c.int(o["maxRetries"], `${path}.maxRetries`, 1, 100));
  set("synRetries", c.int(o["synRetries"], `${path}.synRetries`, 1, 100));
  if (o["keepAlive"] !== undefined) {
    const ka = checkKeepAlive(c, o["keepAlive"], `${path}.keepAlive`);
    if (ka !== undefined) out.keepAlive = ka;
  }
  if (o["burst"] !== undefined) {
    const b = c.mapping(o["burst"], `${path}.burst`, BURST_TRAIN_KEYS, ["train"]);
    const train =
      b === undefined || b["train"] === undefined ? undefined : c.int(b["train"], `${path}.burst.train`, 2, 1024);
    if (train !== undefined) out.burst = { train };
  }
  return c.rep.issues.length === before ? out : undefined;
}

function checkKeepAlive(c: Checker, v: unknown, kp: string): ScenarioTcpOptions["keepAlive"] {
  const k = c.mapping(v, kp, KEEPALIVE_KEYS);
  if (k === undefined) return undefined;
  const ka: NonNullable<ScenarioTcpOptions["keepAlive"]> = {};
  for (const key of ["idle", "interval"] as const) {
    const x = c.dur(k[key], `${kp}.${key}`);
    if (x === 0) c.error(`${kp}.${key}`, "must be longer than 0");
    else if (x !== undefined) ka[key] = x;
  }
  const n = c.int(k["count"], `${kp}.count`, 1, 1000);
  if (n !== undefined) ka.count = n;
  return ka;
}

/** The `nak` options of nak-bulk traffic (NakSender/NakReceiver ranges). */
function checkNakOptions(c: Checker, v: unknown, path: string, mtu: number): ScenarioNakOptions | undefined {
  const out: ScenarioNakOptions = { rate: {} };
  if (v === undefined) return out;
  const o = c.mapping(v, path, NAK_KEYS);
  if (o === undefined) return undefined;
  const before = c.rep.issues.length;
  // 20 (IPv4) + 8 (UDP) + 20 (NAK header) in front of every segment.
  const seg = c.bytes(o["segmentSize"], `${path}.segmentSize`, 1, mtu - 48);
  if (seg !== undefined) out.segmentSize = seg;
  for (const k of ["sendBuffer", "receiveWindow"] as const) {
    const b = c.bytes(o[k], `${path}.${k}`, 4096, 1 << 30);
    if (b !== undefined && (b & (b - 1)) !== 0)
      c.error(`${path}.${k}`, `${show(o[k])} is not a power of two (like 1MiB)`);
    else if (b !== undefined) out[k] = b;
  }
  const peer = c.bytes(o["initialPeerWindow"], `${path}.initialPeerWindow`, 1, 1 << 30);
  if (peer !== undefined) out.initialPeerWindow = peer;
  const overhead = c.bytes(o["overheadBytes"], `${path}.overheadBytes`, 0, 1024);
  if (overhead !== undefined) out.overheadBytes = overhead;
  const timeout = c.dur(o["timeout"], `${path}.timeout`);
  if (timeout === 0) c.error(`${path}.timeout`, "must be longer than 0");
  else if (timeout !== undefined) out.timeoutNs = timeout;
  if (o["rate"] !== undefined) {
    const rate = checkNakRate(c, o["rate"], `${path}.rate`);
    if (rate !== undefined) out.rate = rate;
  }
  return c.rep.issues.length === before ? out : undefined;
}

function checkNakRate(c: Checker, v: unknown, rp: string): ScenarioNakOptions["rate"] | undefined {
  const r = c.mapping(v, rp, NAK_RATE_KEYS);
  if (r === undefined) return undefined;
  const initialBps = c.rate(r["initial"], `${rp}.initial`);
  const minBps = c.rate(r["min"], `${rp}.min`);
  const maxBps = c.rate(r["max"], `${rp}.max`);
  const lo = minBps ?? 100e3;
  const hi = maxBps ?? 1e9;
  if (hi < lo) c.error(`${rp}.max`, `${show(r["max"] ?? "1Gbps")} is below min (${show(r["min"] ?? "100kbps")})`);
  const init = initialBps ?? Math.min(hi, Math.max(lo, 10e6));
  if (initialBps !== undefined && (init < lo || init > hi))
    c.error(`${rp}.initial`, `${show(r["initial"])} is not between min and max`);
  const windowPackets = c.int(r["windowPackets"], `${rp}.windowPackets`, 1, 1 << 20);
  const upper = r["upperThreshold"] === undefined ? undefined : c.prob(r["upperThreshold"], `${rp}.upperThreshold`, 0);
  const lower = r["lowerThreshold"] === undefined ? undefined : c.prob(r["lowerThreshold"], `${rp}.lowerThreshold`, 0);
  if (lower !== undefined || upper !== undefined) {
    if ((lower ?? 0.06) > (upper ?? 0.15))
      c.error(`${rp}.lowerThreshold`, `${lower ?? 0.06} is above the upper threshold (${upper ?? 0.15})`);
  }
  return {
    ...(initialBps !== undefined ? { initialBps } : {}),
    ...(minBps !== undefined ? { minBps } : {}),
    ...(maxBps !== undefined ? { maxBps } : {}),
    ...(windowPackets !== undefined ? { windowPackets } : {}),
    ...(upper !== undefined ? { upperThreshold: upper } : {}),
    ...(lower !== undefined ? { lowerThreshold: lower } : {}),
  };
}
