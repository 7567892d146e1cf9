// The `workloads` of a scenario: protocols that run on the hosts for the whole run and report
// a section of their own (primary-backup services, stream-breaks, rpc-udp, two-phase commit), each entry a mapping with a
// unique `name` and a `type` that picks its check module (check-<type>.ts).
//
// Contract: an entry without a known type is refused naming the known ones (did-you-mean);
// names share the scenario's namespace with devices and flows; UDP and TCP ports a workload
// listens on must not be taken by traffic or another workload on the same host (claims with the
// same share tag hold one port together: a name service that several rpc-udp workloads name).

import { suggest } from "../base/did-you-mean.js";
import type { ScenarioTraffic } from "../traffic/traffic-spec.js";
import { isTransportTraffic } from "../traffic/traffic-spec.js";
import { checkPrimaryBackup } from "./check-primary-backup.js";
import { checkRpcUdpWorkload } from "./check-rpc-udp.js";
import { checkStreamBreaks } from "./check-stream-breaks.js";
import { checkTwoPhaseCommit } from "./check-two-phase-commit.js";
import { isMapping, type Obj } from "./checks.js";
import type { PortClaim } from "./port-claims.js";
import type { ScenarioWorkload } from "./scenario-types.js";
import type { TrafficScope } from "./traffic-scope.js";
import { show } from "./wording.js";

export const WORKLOAD_TYPES = ["primary-backup", "stream-breaks", "rpc-udp", "two-phase-commit"] as const;

export function checkWorkloads(s: TrafficScope, raw: unknown, traffic: readonly ScenarioTraffic[]): ScenarioWorkload[] {
  const out: ScenarioWorkload[] = [];
  const owner = trafficPorts(traffic);
  const shared = new Map<string, string>();
  (s.c.list(raw, "workloads") ?? []).forEach((entry, i) => {
    const p = `workloads[${i}]`;
    if (!isMapping(entry)) {
      s.c.error(p, `expected a workload (a mapping with name and type), got ${show(entry)}`);
      return;
    }
    const type = entry["type"];
    let w: { workload: ScenarioWorkload; ports: PortClaim[] } | undefined;
    if (type === "primary-backup") w = checkPrimaryBackup(s, entry as Obj, p, i);
    else if (type === "stream-breaks") w = checkStreamBreaks(s, entry as Obj, p, i);
    else if (type === "rpc-udp") w = checkRpcUdpWorkload(s, entry as Obj, p, i);
    else if (type === "two-phase-commit") w = checkTwoPhaseCommit(s, entry as Obj, p, i);
    else if (type === undefined) s.c.error(p, `missing required key "type" (one of ${WORKLOAD_TYPES.join(", ")})`);
    else {
      const sug = typeof type === "string" ? suggest(type, WORKLOAD_TYPES) : undefined;
      s.c.error(
        `${p}.type`,
        `${show(type)} is not a workload type (${WORKLOAD_TYPES.join(", ")})${sug ? ` (did you mean "${sug}"?)` : ""}`,
      );
    }
    if (w === undefined) return;
    s.names.claim(w.workload.name, `${p}.name`, { kind: "traffic", path: p });
    for (const claim of w.ports) {
      const prior = owner.get(claim.key);
      const [proto, host, port] = claim.key.split(":");
      if (prior !== undefined && (claim.share === undefined || shared.get(claim.key) !== claim.share))
        s.c.error(claim.path, `${proto!.toUpperCase()} port ${port} of ${host} is already used by ${prior}`);
      else if (prior === undefined) {
        owner.set(claim.key, `${p} (${w.workload.name})`);
        if (claim.share !== undefined) shared.set(claim.key, claim.share);
      }
    }
    out.push(w.workload);
  });
  return out;
}

/** Ports the traffic entries take, as check-traffic.ts assigns them. */
function trafficPorts(traffic: readonly ScenarioTraffic[]): Map<string, string> {
  const owner = new Map<string, string>();
  traffic.forEach((t, i) => {
    const who = `traffic[${i}] (${t.name})`;
    if (isTransportTraffic(t)) {
      owner.set(`${t.type === "nak-bulk" ? "udp" : "tcp"}:${t.to.host}:${t.port}`, who);
      return;
    }
    if (t.to.host !== undefined) owner.set(`udp:${t.to.host}:${t.dstPort}`, who);
    owner.set(`udp:${t.from}:${t.srcPort}`, who);
  });
  return owner;
}
