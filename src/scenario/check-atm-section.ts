// The `atm` section inside a scenario: checked by scenario-atm.ts (into the scenario's own
// report), then its hosts join the scenario's namespace and its IP hosts the address plan, so
// that `traffic` entries can name them like any host. AAL5 sources and switched circuits stop
// with the run unless told otherwise: one left running would keep runToIdle() from returning.

import { ATM_IP_MTU } from "../stacks/ip/atm-ip-link.js";
import type { AtmScenario } from "./atm-types.js";
import type { Namespace } from "./check-names.js";
import type { Checker, Cidr } from "./checks.js";
import { checkAtmSection } from "./scenario-atm.js";
import type { ScenarioRouter } from "./scenario-types.js";

/** An IP host over ATM, as traffic sees it. */
export interface AtmIpHost {
  name: string;
  ipN: Cidr;
  mtu: number;
}

export function checkAtmInScenario(
  c: Checker,
  raw: unknown,
  names: Namespace,
  routers: ScenarioRouter[],
): { atm: AtmScenario | undefined; ipHosts: AtmIpHost[] } {
  const ipHosts: AtmIpHost[] = [];
  if (raw === undefined) return { atm: undefined, ipHosts };
  const atm = checkAtmSection(c.rep, raw, "atm", {
    devices: new Set(names.entries.keys()),
    routers: new Set(routers.map((x) => x.name)),
  });
  atm.hosts.forEach((h, i) => {
    names.claim(h.name, `atm.hosts[${i}].name`, {
      kind: "host",
      path: `atm.hosts[${i}]`,
      ...(h.address === undefined ? { rawAtm: true } : {}),
    });
    if (h.address === undefined) return;
    const ip = c.cidr(h.address, `atm.hosts[${i}].address`, "interface");
    if (ip === undefined) return;
    names.claimAddress(ip.addr, `atm.hosts[${i}].address`);
    ipHosts.push({ name: h.name, ipN: ip, mtu: h.mtu ?? Math.min(ATM_IP_MTU, h.maxPdu - 8) });
  });
  return { atm, ipHosts };
}
