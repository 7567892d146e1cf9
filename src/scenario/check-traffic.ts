// The `traffic` of a scenario: entries dispatched by type to the UDP workloads
// (check-udp-traffic.ts), the transport flows (check-transport-traffic.ts) and the message flows
// between host stacks (check-message-traffic.ts); then the checks across entries: a host stack
// takes part in one message flow, and a server port belongs to one flow (TCP and UDP ports
// are separate spaces, as on a real host).

import { isTransportTraffic, type MessageScenarioTraffic, type ScenarioTraffic } from "../traffic/traffic-spec.js";
import { checkMessageTraffic } from "./check-message-traffic.js";
import { checkTransportTraffic } from "./check-transport-traffic.js";
import { checkUdpTraffic } from "./check-udp-traffic.js";
import { type Checker, isMapping, type Obj } from "./checks.js";
import { MESSAGE_TRAFFIC_TYPES, TRANSPORT_TRAFFIC_TYPES } from "./traffic-keys.js";
import type { TrafficScope } from "./traffic-scope.js";

export function checkTrafficSection(
  s: TrafficScope,
  raw: unknown,
): { traffic: ScenarioTraffic[]; messageTraffic: MessageScenarioTraffic[] } {
  const traffic: ScenarioTraffic[] = [];
  const messageTraffic: MessageScenarioTraffic[] = [];
  (s.c.list(raw, "traffic") ?? []).forEach((entry, i) => {
    const p = `traffic[${i}]`;
    const rawType = isMapping(entry) ? entry["type"] : undefined;
    if (typeof rawType === "string" && (MESSAGE_TRAFFIC_TYPES as readonly string[]).includes(rawType)) {
      const m = checkMessageTraffic(s, entry as Obj, p, i, rawType as MessageScenarioTraffic["type"]);
      if (m !== undefined) {
        s.names.claim(m.name, `${p}.name`, { kind: "traffic", path: p });
        messageTraffic.push(m);
      }
      return;
    }
    const t =
      typeof rawType === "string" && (TRANSPORT_TRAFFIC_TYPES as readonly string[]).includes(rawType)
        ? checkTransportTraffic(s, entry as Obj, p, i, rawType as (typeof TRANSPORT_TRAFFIC_TYPES)[number])
        : checkUdpTraffic(s, entry, p, i);
    if (t !== undefined) {
      s.names.claim(t.name, `${p}.name`, { kind: "traffic", path: p });
      traffic.push(t);
    }
  });
  checkMessageFlowsPerHost(s.c, messageTraffic);
  checkServerPorts(s.c, traffic);
  return { traffic, messageTraffic };
}

/** A point-to-point host stack serves one message flow: its ranks are 0 and 1. */
function checkMessageFlowsPerHost(c: Checker, messageTraffic: MessageScenarioTraffic[]): void {
  const flowOf = new Map<string, string>();
  for (const t of messageTraffic) {
    const at = `traffic[${t.index}]`;
    for (const end of ["from", "to"] as const) {
      const host = t[end];
      const prior = flowOf.get(host);
      if (prior !== undefined) {
        c.error(
          `${at}.${end}`,
          `${host} already takes part in ${prior}; a host stack is point to point (ranks 0 and 1), so a host takes part in one message flow`,
        );
      } else flowOf.set(host, `${at} (${t.name})`);
    }
  }
}

/** A transport flow owns its server port: TCP (tcp-bulk, rpc) and UDP (nak-bulk, UDP traffic) apart. */
function checkServerPorts(c: Checker, traffic: ScenarioTraffic[]): void {
  const portOwner = new Map<string, string>();
  traffic.forEach((t, i) => {
    if (isTransportTraffic(t)) return;
    if (t.to.host !== undefined) portOwner.set(`udp:${t.to.host}:${t.dstPort}`, `traffic[${i}] (${t.name})`);
    portOwner.set(`udp:${t.from}:${t.srcPort}`, `traffic[${i}] (${t.name})`);
  });
  traffic.forEach((t, i) => {
    if (!isTransportTraffic(t)) return;
    const udp = t.type === "nak-bulk";
    const key = `${udp ? "udp" : "tcp"}:${t.to.host}:${t.port}`;
    const prior = portOwner.get(key);
    if (prior !== undefined) {
      c.error(
        `traffic[${i}].port`,
        `${udp ? "UDP" : "TCP"} port ${t.port} of ${t.to.host} is already used by ${prior}`,
      );
    } else portOwner.set(key, `traffic[${i}] (${t.name})`);
  });
}
