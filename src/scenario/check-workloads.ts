// The `workloads` of a scenario: protocol workloads that run on IP hosts and check themselves
// (two-phase-commit: check-two-phase-commit.ts), dispatched by `type`; then the checks across
// entries: unique names, and a UDP port of a host used by one workload or traffic entry only.

import { suggest } from "../base/did-you-mean.js";
import type { ScenarioTraffic } from "../traffic/traffic-spec.js";
import { isTransportTraffic } from "../traffic/traffic-spec.js";
import { checkTwoPhaseCommit, type WorkloadScope } from "./check-two-phase-commit.js";
import { isMapping, type Obj } from "./checks.js";
import type { ScenarioWorkload } from "./scenario-types.js";
import { show } from "./wording.js";

export const WORKLOAD_TYPES = ["two-phase-commit"] as const;

export function checkWorkloads(
  s: WorkloadScope,
  raw: unknown,
  traffic: readonly ScenarioTraffic[],
): ScenarioWorkload[] {
  const out: ScenarioWorkload[] = [];
  const indexOf: number[] = [];
  (s.c.list(raw, "workloads") ?? []).forEach((entry, i) => {
    const p = `workloads[${i}]`;
    if (!isMapping(entry)) {
      s.c.error(p, `expected a mapping (name, type, ...), got ${show(entry)}`);
      return;
    }
    const type = entry["type"];
    if (type !== "two-phase-commit") {
      if (type === undefined) s.c.error(p, 'missing required key "type"');
      else {
        const sug = typeof type === "string" ? suggest(type, WORKLOAD_TYPES) : undefined;
        s.c.error(
          `${p}.type`,
          `${show(type)} is not a workload type (${WORKLOAD_TYPES.join(", ")})${sug ? ` (did you mean "${sug}"?)` : ""}`,
        );
      }
      return;
    }
    const w = checkTwoPhaseCommit(s, entry as Obj, p, i);
    if (w === undefined) return;
    s.names.claim(w.name, `${p}.name`, { kind: "workload", path: p });
    out.push(w);
    indexOf.push(i);
  });
  checkPorts(s, out, indexOf, traffic);
  return out;
}

/** A host's UDP port belongs to one workload or traffic entry. */
function checkPorts(
  s: WorkloadScope,
  workloads: ScenarioWorkload[],
  indexOf: number[],
  traffic: readonly ScenarioTraffic[],
): void {
  const owner = new Map<string, string>();
  traffic.forEach((t, i) => {
    const by = `traffic[${i}] (${t.name})`;
    if (t.type === "nak-bulk") {
      owner.set(`${t.to.host}:${t.port}`, by);
    } else if (!isTransportTraffic(t)) {
      if (t.to.host !== undefined) owner.set(`${t.to.host}:${t.dstPort}`, by);
      owner.set(`${t.from}:${t.srcPort}`, by);
    }
  });
  workloads.forEach((w, k) => {
    const p = `workloads[${indexOf[k]}]`;
    for (const h of [w.coordinator, ...w.participants]) {
      const key = `${h}:${w.port}`;
      const prior = owner.get(key);
      if (prior !== undefined) {
        s.c.error(`${p}.port`, `UDP port ${w.port} of ${h} is already used by ${prior}`);
        return;
      }
    }
    for (const h of [w.coordinator, ...w.participants]) owner.set(`${h}:${w.port}`, `${p} (${w.name})`);
  });
}
