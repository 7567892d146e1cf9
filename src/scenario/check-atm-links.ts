// The links of a scenario's `atm` section: two ends ("host", "switch:port", "router.interface"),
// each port used once; a rate (OC-n, a bit rate, or cells per second), a delay and cell faults.

import { parseCellRate } from "../devices/atm-link.js";
import type { AtmScope } from "./atm-scope.js";
import type { AtmScenarioEnd } from "./atm-types.js";

export const ATM_LINK_KEYS = ["name", "a", "b", "rate", "delay", "faults"];
export const ATM_FAULT_KEYS = ["cellLoss", "ber"];

export function checkAtmLinks(s: AtmScope, raw: unknown): void {
  const c = s.c;
  const used = new Set<string>();
  const linkNames = new Set<string>();
  (c.list(raw, `${s.path}.links`) ?? []).forEach((v, i) => {
    const p = `${s.path}.links[${i}]`;
    const o = c.mapping(v, p, ATM_LINK_KEYS, ["a", "b"]);
    if (o === undefined) return;
    const a = checkEnd(s, o["a"], `${p}.a`, used);
    const b = checkEnd(s, o["b"], `${p}.b`, used);
    const rate = (o["rate"] ?? "OC-3") as string | number;
    c.rep.units(`${p}.rate`, () => parseCellRate(rate, `${p}.rate`));
    const delayNs = c.dur(o["delay"] ?? undefined, `${p}.delay`, 0) ?? 0;
    let cellLoss = 0;
    let ber = 0;
    if (o["faults"] !== undefined) {
      const f = c.mapping(o["faults"], `${p}.faults`, ATM_FAULT_KEYS);
      if (f !== undefined) {
        cellLoss = c.prob(f["cellLoss"], `${p}.faults.cellLoss`, 0) ?? 0;
        ber = c.prob(f["ber"], `${p}.faults.ber`, 0) ?? 0;
      }
    }
    if (a === undefined || b === undefined) return;
    const name =
      o["name"] === undefined ? `${a.device}:${a.port}-${b.device}:${b.port}` : c.name(o["name"], `${p}.name`);
    if (name === undefined) return;
    if (linkNames.has(name) || s.known.devices.has(name)) {
      c.error(`${p}.name`, `duplicate link name "${name}"`);
      return;
    }
    linkNames.add(name);
    s.atm.links.push({ name, a, b, rate, delayNs, cellLoss, ber });
  });
}

/** One end of a link; `used` holds the "device:port" already taken. */
function checkEnd(s: AtmScope, v: unknown, p: string, used: Set<string>): AtmScenarioEnd | undefined {
  const c = s.c;
  if (typeof v !== "string") {
    return c.error(p, `${JSON.stringify(v)} is not an endpoint ("host", "switch:port" or "router.interface")`);
  }
  const colon = v.lastIndexOf(":");
  const device = colon < 0 ? v : v.slice(0, colon);
  const info = s.nodes.get(device);
  if (info === undefined) return c.error(p, `no ATM host, switch or router ATM interface is called "${device}"`);
  let port = 0;
  if (info.kind === "switch") {
    if (colon < 0 || !/^\d+$/.test(v.slice(colon + 1))) {
      return c.error(p, `"${v}": a switch end needs a port, like ${device}:0`);
    }
    port = Number(v.slice(colon + 1));
    if (port >= info.ports) return c.error(p, `${device} has ports 0 to ${info.ports - 1}, not ${port}`);
  } else if (colon >= 0 && v.slice(colon + 1) !== "0") {
    return c.error(p, `${device} has one port (0)`);
  }
  const key = `${device}:${port}`;
  if (used.has(key)) return c.error(p, `${key} is already used by another link`);
  used.add(key);
  return { device, port };
}
