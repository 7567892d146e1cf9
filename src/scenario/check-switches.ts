// The `switches` of a scenario: learning Ethernet switches (ports, aging, forwarding delay,
// forwarding database size). Their names and port counts join the namespace, so endpoints
// like "sw:3" can be checked against them.

import type { Namespace } from "./check-names.js";
import type { Checker } from "./checks.js";
import { SCENARIO_DEFAULTS } from "./scenario-defaults.js";
import type { ScenarioSwitch } from "./scenario-types.js";

export const SWITCH_KEYS = ["name", "ports", "agingTime", "forwardingDelay", "fdbCapacity"] as const;

export function checkSwitches(c: Checker, raw: unknown, names: Namespace): ScenarioSwitch[] {
  const switches: ScenarioSwitch[] = [];
  (c.list(raw, "switches") ?? []).forEach((entry, i) => {
    const p = `switches[${i}]`;
    const s = c.mapping(entry, p, SWITCH_KEYS, ["name", "ports"]);
    if (s === undefined) return;
    const n = c.name(s["name"], `${p}.name`);
    const ports = s["ports"] === undefined ? undefined : c.int(s["ports"], `${p}.ports`, 1, 4096);
    names.claim(n, `${p}.name`, { kind: "switch", path: p, ports: ports ?? 4096 });
    const d = SCENARIO_DEFAULTS.switch;
    const agingTimeNs = c.dur(s["agingTime"], `${p}.agingTime`, d.agingTimeNs);
    if (agingTimeNs === 0) c.error(`${p}.agingTime`, "must be longer than 0");
    const forwardingDelayNs = c.dur(s["forwardingDelay"], `${p}.forwardingDelay`, d.forwardingDelayNs);
    const fdbCapacity = c.int(s["fdbCapacity"], `${p}.fdbCapacity`, 1, 1 << 20, d.fdbCapacity);
    if (
      n === undefined ||
      ports === undefined ||
      agingTimeNs === undefined ||
      forwardingDelayNs === undefined ||
      fdbCapacity === undefined
    )
      return;
    switches.push({ name: n, ports, agingTimeNs, forwardingDelayNs, fdbCapacity });
  });
  return switches;
}
