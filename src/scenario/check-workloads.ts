// The `workloads` of a scenario: protocol workloads that span several hosts (each entry a
// `name` and a `type`), dispatched by type to their check modules; then the checks across
// entries: unique names (shared with devices, links and traffic) and UDP ports that belong to
// one user per host.

import { isTransportTraffic, type ScenarioTraffic } from "../traffic/traffic-spec.js";
import type { ScenarioWorkload } from "./scenario-types.js";
import { checkRpcUdpWorkload } from "./check-rpc-udp.js";
import { isMapping } from "./checks.js";
import type { TrafficScope } from "./traffic-scope.js";

export const WORKLOAD_TYPES = ["rpc-udp"] as const;

export function checkWorkloads(s: TrafficScope, raw: unknown, traffic: ScenarioTraffic[]): ScenarioWorkload[] {
  const out: ScenarioWorkload[] = [];
  (s.c.list(raw, "workloads") ?? []).forEach((entry, i) => {
    const p = `workloads[${i}]`;
    if (!isMapping(entry)) {
      s.c.error(p, "expected a workload (a mapping with name and type)");
      return;
    }
    if (entry["type"] === undefined) {
      s.c.error(p, 'missing required key "type"');
      return;
    }
    const type = s.c.oneOf(entry["type"], `${p}.type`, WORKLOAD_TYPES);
    if (type === undefined) return;
    const w = checkRpcUdpWorkload(s, entry, p, i);
    if (w === undefined) return;
    s.names.claim(w.name, `${p}.name`, { kind: "workload", path: p });
    out.push(w);
  });
  checkPorts(s, out, traffic);
  return out;
}

/** A UDP port of a host has one user: a traffic flow, a workload's servers, or a name service. */
function checkPorts(s: TrafficScope, workloads: ScenarioWorkload[], traffic: ScenarioTraffic[]): void {
  const owner = new Map<string, string>();
  traffic.forEach((t, i) => {
    const who = `traffic[${i}] (${t.name})`;
    if (isTransportTraffic(t)) {
      if (t.type === "nak-bulk") owner.set(`${t.to.host}:${t.port}`, who);
      return;
    }
    if (t.to.host !== undefined) owner.set(`${t.to.host}:${t.dstPort}`, who);
    owner.set(`${t.from}:${t.srcPort}`, who);
  });
  const names = new Map<string, string>();
  for (const w of workloads) {
    const p = `workloads[${w.index}]`;
    for (const h of w.servers) {
      const key = `${h}:${w.port}`;
      const prior = owner.get(key) ?? names.get(key);
      if (prior !== undefined) s.c.error(`${p}.port`, `UDP port ${w.port} of ${h} is already used by ${prior}`);
      else owner.set(key, `${p} (${w.name})`);
    }
    if (w.nameService === undefined) continue;
    const key = `${w.nameService}:${w.nameServicePort}`;
    const prior = owner.get(key);
    if (prior !== undefined)
      s.c.error(
        `${p}.nameServicePort`,
        `UDP port ${w.nameServicePort} of ${w.nameService} is already used by ${prior}`,
      );
    // Workloads naming the same host and port share one name service.
    else names.set(key, `the name service of ${p} (${w.name})`);
  }
}
