// cbr, poisson, onoff, bulk and request-response entries of a scenario's `traffic`: UDP
// datagrams from an IP host to a host, an address or a multicast group.

import { suggest } from "../base/did-you-mean.js";
import { ipv4FromText } from "../base/ipv4-text.js";
import type { ScenarioTraffic, TrafficDestination, UdpTrafficType } from "../traffic/traffic-spec.js";
import { isMulticastIpv4 } from "../wire/ipv4.js";
import { addressOf, type Checker, type Obj } from "./checks.js";
import { MAX_UDP_PAYLOAD, MIN_PAYLOAD, SCENARIO_DEFAULTS } from "./scenario-defaults.js";
import {
  ALL_TRAFFIC_KEYS,
  MESSAGE_TRAFFIC_TYPES,
  TRAFFIC_COMMON,
  TRAFFIC_EXTRA,
  TRAFFIC_REQUIRED,
  TRAFFIC_TYPES,
} from "./traffic-keys.js";
import { checkKeysApply, checkStartStop, checkTypeRequires, ipHostNamed, type TrafficScope } from "./traffic-scope.js";
import { show } from "./wording.js";

/** cbr, poisson, onoff, bulk and request-response: UDP datagrams from a host to a host or group. */
export function checkUdpTraffic(s: TrafficScope, raw: unknown, p: string, index: number): ScenarioTraffic | undefined {
  const c = s.c;
  const o = c.mapping(raw, p, ALL_TRAFFIC_KEYS, ["type", "from", "to", "size"]);
  if (o === undefined || o["type"] === undefined) return undefined;
  // The message types are listed when the value looks like one (the IP types' list stays as it was).
  const messageTypo = typeof o["type"] === "string" ? suggest(o["type"], MESSAGE_TRAFFIC_TYPES) : undefined;
  const types = messageTypo !== undefined ? [...TRAFFIC_TYPES, ...MESSAGE_TRAFFIC_TYPES] : TRAFFIC_TYPES;
  const anyType = c.oneOf(o["type"], `${p}.type`, types);
  if (anyType === undefined) return undefined;
  const type = anyType as UdpTrafficType;
  checkKeysApply(c, o, p, type, ALL_TRAFFIC_KEYS, [...TRAFFIC_COMMON, ...TRAFFIC_EXTRA[type]]);
  checkTypeRequires(c, o, p, type, TRAFFIC_REQUIRED[type]);
  const n = o["name"] === undefined ? `flow${index}` : c.name(o["name"], `${p}.name`);
  const from = o["from"] === undefined ? undefined : c.str(o["from"], `${p}.from`);
  const fromHost = from === undefined ? undefined : ipHostNamed(s, from, `${p}.from`, type);
  const to = o["to"] === undefined ? undefined : udpDestination(s, o["to"], `${p}.to`, type);
  if (to !== undefined && fromHost !== undefined && to.host === fromHost)
    c.error(`${p}.to`, `traffic from ${fromHost} to itself`);
  if (to !== undefined && type === "request-response" && to.host === undefined) {
    c.error(
      `${p}.to`,
      `request-response needs a host of this scenario to answer, not ${to.multicast ? "a multicast group" : to.address}`,
    );
  }
  const fields = checkUdpFields(s, o, p, index, type, to);
  if (n === undefined || fromHost === undefined || to === undefined || fields === undefined) {
    // Still check the type's own keys so their errors show up in the same report.
    checkUdpExtra(c, type, o, p);
    return undefined;
  }
  if (o["count"] !== undefined && fields.count === undefined) return undefined;
  if (o["ttl"] !== undefined && (fields.ttl === undefined || !to.multicast)) return undefined;
  const { rateBps, ttl, ...rest } = fields;
  const common = { name: n, from: fromHost, to, ...rest, ...(ttl !== undefined ? { ttl } : {}) };
  const extra = checkUdpExtra(c, type, o, p);
  if (extra === undefined) return undefined;
  return udpEntry(type, common, rateBps, extra);
}

/** `to` of UDP traffic: an address (a host's, a group, or any other) or a host name. */
function udpDestination(s: TrafficScope, v: unknown, path: string, type: string): TrafficDestination | undefined {
  const t = s.c.str(v, path);
  if (t === undefined) return undefined;
  const a = ipv4FromText(t);
  if (a !== undefined) {
    const h = s.hosts.find((x) => x.ipN.addr === a);
    return { address: t, host: h?.name, multicast: isMulticastIpv4(a) };
  }
  if (/^[\d.]+$/.test(t)) return s.c.error(path, `${show(t)} is not an IPv4 address (like 10.0.0.1)`);
  const h = ipHostNamed(s, t, path, type);
  const draft = s.hosts.find((x) => x.name === h);
  if (h === undefined || draft === undefined) return undefined;
  return { address: addressOf(draft.ipN).address, host: h, multicast: false };
}

interface UdpFields {
  protocol: "udp";
  size: number;
  startNs: number;
  stopNs: number | undefined;
  count: number | undefined;
  srcPort: number;
  dstPort: number;
  ttl: number | undefined;
  rateBps: number | undefined;
}

/** The keys every UDP type shares; undefined when one of the needed ones is bad. */
function checkUdpFields(
  s: TrafficScope,
  o: Obj,
  p: string,
  index: number,
  type: UdpTrafficType,
  to: TrafficDestination | undefined,
): UdpFields | undefined {
  const c = s.c;
  const protocol = c.oneOf(o["protocol"], `${p}.protocol`, ["udp"] as const, "udp");
  const size = o["size"] === undefined ? undefined : c.bytes(o["size"], `${p}.size`, MIN_PAYLOAD, MAX_UDP_PAYLOAD);
  const { startNs, stopNs, stopBad } = checkStartStop(s, o, p);
  const count = o["count"] === undefined ? undefined : c.int(o["count"], `${p}.count`, 1, Number.MAX_SAFE_INTEGER);
  const d = SCENARIO_DEFAULTS.traffic;
  const dstPort = c.int(o["dstPort"], `${p}.dstPort`, 1, 65535, d.dstPort);
  const srcPort = c.int(o["srcPort"], `${p}.srcPort`, 1, 65535, Math.min(65535, d.srcPortBase + index));
  const ttl = o["ttl"] === undefined ? undefined : c.int(o["ttl"], `${p}.ttl`, 1, 255);
  if (ttl !== undefined && to !== undefined && !to.multicast) {
    c.error(
      `${p}.ttl`,
      `ttl applies to traffic to a multicast group, not to ${to.address} (unicast uses the host's stack.ttl)`,
    );
  }
  const hasRate = TRAFFIC_EXTRA[type].includes("rate");
  const rateBps = hasRate && o["rate"] !== undefined ? c.rate(o["rate"], `${p}.rate`) : undefined;
  const okRate = !hasRate || o["rate"] === undefined || rateBps !== undefined;
  if (
    protocol === undefined ||
    size === undefined ||
    startNs === undefined ||
    stopBad ||
    dstPort === undefined ||
    srcPort === undefined ||
    !okRate
  ) {
    return undefined;
  }
  return { protocol, size, startNs, stopNs, count, srcPort, dstPort, ttl, rateBps };
}

interface UdpExtra {
  onNs?: number;
  offNs?: number;
  distribution?: "exponential" | "fixed";
  total?: number;
  responseSize?: number;
  intervalNs?: number;
  timeoutNs?: number;
}

/** The keys of one UDP type (onoff, bulk, request-response); undefined when one is bad. */
function checkUdpExtra(c: Checker, type: UdpTrafficType, o: Obj, p: string): UdpExtra | undefined {
  const x: UdpExtra = {};
  let ok = true;
  const need = <T>(v: T | undefined, given: unknown): T | undefined => {
    if (given !== undefined && v === undefined) ok = false;
    return v;
  };
  if (type === "onoff") {
    x.onNs = need(o["on"] === undefined ? undefined : c.dur(o["on"], `${p}.on`), o["on"]);
    x.offNs = need(o["off"] === undefined ? undefined : c.dur(o["off"], `${p}.off`), o["off"]);
    if (x.onNs === 0) ok = !!c.error(`${p}.on`, "must be longer than 0");
    x.distribution = need(
      c.oneOf(o["distribution"], `${p}.distribution`, ["exponential", "fixed"] as const, "exponential"),
      o["distribution"],
    );
  } else if (type === "bulk") {
    x.total = need(
      o["total"] === undefined ? undefined : c.bytes(o["total"], `${p}.total`, 1, Number.MAX_SAFE_INTEGER),
      o["total"],
    );
  } else if (type === "request-response") {
    x.responseSize = need(
      o["responseSize"] === undefined
        ? undefined
        : c.bytes(o["responseSize"], `${p}.responseSize`, MIN_PAYLOAD, MAX_UDP_PAYLOAD),
      o["responseSize"],
    );
    x.intervalNs = need(o["interval"] === undefined ? undefined : c.dur(o["interval"], `${p}.interval`), o["interval"]);
    if (x.intervalNs === 0) ok = !!c.error(`${p}.interval`, "must be longer than 0");
    x.timeoutNs = need(c.dur(o["timeout"], `${p}.timeout`, SCENARIO_DEFAULTS.traffic.timeoutNs), o["timeout"]);
  }
  return ok ? x : undefined;
}

type UdpCommon = Omit<UdpFields, "rateBps" | "ttl"> & {
  name: string;
  from: string;
  to: TrafficDestination;
  ttl?: number;
};

function udpEntry(
  type: UdpTrafficType,
  common: UdpCommon,
  rateBps: number | undefined,
  extra: UdpExtra,
): ScenarioTraffic | undefined {
  switch (type) {
    case "cbr":
    case "poisson":
      if (rateBps === undefined) return undefined;
      return { ...common, type, rateBps };
    case "onoff":
      if (rateBps === undefined || extra.onNs === undefined || extra.offNs === undefined) return undefined;
      if (extra.distribution === undefined) return undefined;
      return { ...common, type, rateBps, onNs: extra.onNs, offNs: extra.offNs, distribution: extra.distribution };
    case "bulk":
      if (extra.total === undefined) return undefined;
      return { ...common, type, total: extra.total, rateBps };
    case "request-response":
      if (extra.responseSize === undefined || extra.timeoutNs === undefined) return undefined;
      return {
        ...common,
        type,
        responseSize: extra.responseSize,
        intervalNs: extra.intervalNs,
        timeoutNs: extra.timeoutNs,
      };
  }
}
