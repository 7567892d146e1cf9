// The devices of a scenario's `atm` section: switches (ports, cell format, VC table size,
// circuit limit, discard policies), hosts (raw AAL5, or IP over ATM with an address) and the
// ATM interfaces of the scenario's routers. Names are unique in the section and against the
// rest of the scenario.

import { ipv4FromText, splitIpv4Prefix } from "../base/ipv4-text.js";
import { type AtmNodeKind, type AtmScope, atmInt } from "./atm-scope.js";
import type { AtmScenarioHost, AtmScenarioPolicy, AtmScenarioSwitch } from "./atm-types.js";
import type { Obj } from "./checks.js";

export const ATM_SWITCH_KEYS = ["name", "ports", "format", "vcCapacity", "circuitLimit", "policy", "portPolicies"];
export const ATM_POLICY_KEYS = ["queueLimit", "epdThreshold", "ppd", "randomDiscard"];
export const ATM_RANDOM_DISCARD_KEYS = ["threshold", "probability"];
export const ATM_HOST_KEYS = ["name", "address", "gateway", "mtu", "maxPdu", "vcs", "rxBuffers", "failAt"];
export const ATM_RIF_KEYS = ["router", "name", "address", "mtu", "maxPdu"];

/** Claims a section name (unique in the section and against the rest of the scenario). */
export function claimAtmNode(s: AtmScope, name: string, path: string, kind: AtmNodeKind, ports: number): boolean {
  if (s.nodes.has(name) || s.known.devices.has(name)) {
    s.c.error(path, `duplicate name "${name}"`);
    return false;
  }
  s.nodes.set(name, { kind, ports });
  return true;
}

export function checkAtmSwitches(s: AtmScope, raw: unknown): void {
  const c = s.c;
  (c.list(raw, `${s.path}.switches`) ?? []).forEach((v, i) => {
    const p = `${s.path}.switches[${i}]`;
    const o = c.mapping(v, p, ATM_SWITCH_KEYS, ["name", "ports"]);
    if (o === undefined) return;
    const name = c.name(o["name"], `${p}.name`);
    const ports = atmInt(s, o["ports"], `${p}.ports`, 1, 4096, 1);
    const format = o["format"] ?? "uni";
    if (format !== "uni" && format !== "nni") c.error(`${p}.format`, `${JSON.stringify(format)} is not uni or nni`);
    const portPolicies = checkPortPolicies(s, o["portPolicies"], `${p}.portPolicies`, ports);
    const sw: AtmScenarioSwitch = {
      name: name ?? "",
      ports,
      format: format === "nni" ? "nni" : "uni",
      vcCapacity: atmInt(s, o["vcCapacity"], `${p}.vcCapacity`, 1, 1 << 20, 4096),
      circuitLimit:
        o["circuitLimit"] === undefined ? undefined : atmInt(s, o["circuitLimit"], `${p}.circuitLimit`, 0, 1 << 24, 0),
      policy: checkPolicy(s, o["policy"], `${p}.policy`),
      portPolicies,
    };
    if (name !== undefined && claimAtmNode(s, name, `${p}.name`, "switch", ports)) s.atm.switches.push(sw);
  });
}

/** Output port -> policy; keys must be port numbers of the switch. */
function checkPortPolicies(s: AtmScope, v: unknown, path: string, ports: number): Record<number, AtmScenarioPolicy> {
  const out: Record<number, AtmScenarioPolicy> = {};
  if (v === undefined) return out;
  const pp = s.c.mapping(v, path, Object.keys((v as Obj) ?? {}));
  for (const [k, pv] of Object.entries(pp ?? {})) {
    const port = Number(k);
    if (!/^\d+$/.test(k) || port >= ports)
      s.c.error(`${path}.${k}`, `${k} is not a port of this switch (0 to ${ports - 1})`);
    else out[port] = checkPolicy(s, pv, `${path}.${k}`);
  }
  return out;
}

function checkPolicy(s: AtmScope, v: unknown, path: string): AtmScenarioPolicy {
  if (v === undefined) return {};
  const c = s.c;
  const o = c.mapping(v, path, ATM_POLICY_KEYS);
  if (o === undefined) return {};
  const p: AtmScenarioPolicy = {};
  const limit = atmInt(s, o["queueLimit"], `${path}.queueLimit`, 1, 1 << 24, 1024);
  if (o["queueLimit"] !== undefined) p.queueLimit = limit;
  if (o["epdThreshold"] !== undefined)
    p.epdThreshold = atmInt(s, o["epdThreshold"], `${path}.epdThreshold`, 0, limit, 0);
  if (o["ppd"] !== undefined) {
    const ppd = c.bool(o["ppd"], `${path}.ppd`);
    if (ppd !== undefined) p.ppd = ppd;
  }
  if (o["randomDiscard"] !== undefined) {
    const rp = `${path}.randomDiscard`;
    const r = c.mapping(o["randomDiscard"], rp, ATM_RANDOM_DISCARD_KEYS, ATM_RANDOM_DISCARD_KEYS);
    if (r !== undefined) {
      p.randomDiscard = {
        threshold: atmInt(s, r["threshold"], `${rp}.threshold`, 0, limit, 0),
        probability: c.prob(r["probability"], `${rp}.probability`, 0) ?? 0,
      };
    }
  }
  return p;
}

export function checkAtmHosts(s: AtmScope, raw: unknown): void {
  const c = s.c;
  (c.list(raw, `${s.path}.hosts`) ?? []).forEach((v, i) => {
    const p = `${s.path}.hosts[${i}]`;
    const o = c.mapping(v, p, ATM_HOST_KEYS, ["name"]);
    if (o === undefined) return;
    const name = c.name(o["name"], `${p}.name`);
    const address = checkAtmAddress(s, o["address"], `${p}.address`, true);
    const gateway = checkAtmAddress(s, o["gateway"], `${p}.gateway`, false);
    if (gateway !== undefined && o["address"] === undefined) c.error(`${p}.gateway`, "a gateway needs an address");
    const maxPdu = atmInt(s, o["maxPdu"], `${p}.maxPdu`, 1, 65535, 9188);
    const h: AtmScenarioHost = {
      name: name ?? "",
      address,
      gateway,
      mtu: o["mtu"] === undefined ? undefined : atmInt(s, o["mtu"], `${p}.mtu`, 68, maxPdu - 8, 9180),
      maxPdu,
      vcs: atmInt(s, o["vcs"], `${p}.vcs`, 1, 1 << 16, 64),
      rxBuffers: atmInt(s, o["rxBuffers"], `${p}.rxBuffers`, 1, 1 << 16, 64),
      failAtNs: o["failAt"] === undefined ? undefined : c.dur(o["failAt"], `${p}.failAt`),
    };
    if (name !== undefined && claimAtmNode(s, name, `${p}.name`, "host", 1)) s.atm.hosts.push(h);
  });
}

export function checkAtmRouterInterfaces(s: AtmScope, raw: unknown): void {
  const c = s.c;
  (c.list(raw, `${s.path}.routerInterfaces`) ?? []).forEach((v, i) => {
    const p = `${s.path}.routerInterfaces[${i}]`;
    const o = c.mapping(v, p, ATM_RIF_KEYS, ["router", "name", "address"]);
    if (o === undefined) return;
    const router = c.name(o["router"], `${p}.router`);
    if (router !== undefined && !s.known.routers.has(router)) c.error(`${p}.router`, `no router is called "${router}"`);
    const name = c.name(o["name"], `${p}.name`);
    const address = checkAtmAddress(s, o["address"], `${p}.address`, true);
    const maxPdu = atmInt(s, o["maxPdu"], `${p}.maxPdu`, 1, 65535, 9188);
    const mtu = o["mtu"] === undefined ? undefined : atmInt(s, o["mtu"], `${p}.mtu`, 68, maxPdu - 8, 9180);
    if (router === undefined || name === undefined || address === undefined) return;
    if (claimAtmNode(s, `${router}.${name}`, `${p}.name`, "rif", 1)) {
      s.atm.routerInterfaces.push({ router, name, address, mtu, maxPdu });
    }
  });
}

/**
 * An address ("10.2.0.1") or, with `prefix`, an address and prefix ("10.2.0.1/24"), kept as
 * written. The section's grammar is looser than the rest of the scenario's (octets and lengths
 * with leading zeros pass); IP hosts over ATM are checked again as scenario interfaces.
 */
function checkAtmAddress(s: AtmScope, v: unknown, path: string, prefix: boolean): string | undefined {
  if (v === undefined) return undefined;
  const text = typeof v === "string" ? v : "";
  const parts = prefix ? splitIpv4Prefix(text, Number.POSITIVE_INFINITY) : { addressText: text, prefixLength: 0 };
  const ok = parts !== undefined && !parts.addressText.includes("/");
  if (!ok || ipv4FromText(parts.addressText, { leadingZeros: true }) === undefined) {
    const what = prefix ? "an address/prefix like 10.2.0.1/24" : "an IPv4 address";
    return s.c.error(path, `${JSON.stringify(v)} is not ${what}`);
  }
  return text;
}
