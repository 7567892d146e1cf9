// The `routers` of a scenario: interfaces (names unique per router, addresses unique in the
// scenario, subnets not overlapping within a router), static routes (next hops on an
// interface's subnet) and the routing protocol. Interface names join the namespace entry of
// their router, so endpoints like "r1:eth0" can be checked against them.

import { suggest } from "../base/did-you-mean.js";
import { ipv4ToText } from "../base/ipv4-text.js";
import { ipv4InPrefix } from "../wire/ipv4.js";
import type { Namespace } from "./check-names.js";
import { addressOf, type Checker, type Cidr } from "./checks.js";
import { MTU_MAX, MTU_MIN, SCENARIO_DEFAULTS } from "./scenario-defaults.js";
import type { ScenarioRoute, ScenarioRouting } from "./scenario-types.js";
import { show } from "./wording.js";

export const ROUTER_KEYS = ["name", "interfaces", "routes", "routing"] as const;
export const IFACE_KEYS = ["name", "ip", "mtu", "mac"] as const;
export const ROUTE_KEYS = ["prefix", "via", "interface"] as const;
export const ROUTING_KEYS = ["protocol", "period", "timeout"] as const;

export interface IfaceDraft {
  name: string;
  port: number;
  macN: number | undefined;
  ipN: Cidr;
  mtuN: number | undefined;
}

export interface RouterDraft {
  name: string;
  interfaces: IfaceDraft[];
  routes: ScenarioRoute[];
  routing: ScenarioRouting;
}

export function checkRouters(c: Checker, raw: unknown, names: Namespace): RouterDraft[] {
  const drafts: RouterDraft[] = [];
  (c.list(raw, "routers") ?? []).forEach((entry, i) => {
    const p = `routers[${i}]`;
    const r = c.mapping(entry, p, ROUTER_KEYS, ["name", "interfaces"]);
    if (r === undefined) return;
    const n = c.name(r["name"], `${p}.name`);
    const ifaceList = r["interfaces"] === undefined ? [] : (c.list(r["interfaces"], `${p}.interfaces`) ?? []);
    if (r["interfaces"] !== undefined && Array.isArray(r["interfaces"]) && ifaceList.length === 0) {
      c.error(`${p}.interfaces`, "a router needs at least one interface");
    }
    const { interfaces, ifNames } = checkInterfaces(c, ifaceList, p, names);
    names.claim(n, `${p}.name`, { kind: "router", path: p, ports: ifaceList.length, interfaces: ifNames });
    const routes = checkRoutes(c, r["routes"], p, n ?? p, interfaces, ifNames);
    const routing = checkRouting(c, r["routing"], `${p}.routing`);
    if (n !== undefined && routing !== undefined) drafts.push({ name: n, interfaces, routes, routing });
  });
  return drafts;
}

function checkInterfaces(
  c: Checker,
  list: unknown[],
  p: string,
  names: Namespace,
): { interfaces: IfaceDraft[]; ifNames: string[] } {
  const interfaces: IfaceDraft[] = [];
  const ifNames: string[] = [];
  list.forEach((entry, j) => {
    const ip = `${p}.interfaces[${j}]`;
    const f = c.mapping(entry, ip, IFACE_KEYS, ["name", "ip"]);
    if (f === undefined) return;
    const ifName = c.name(f["name"], `${ip}.name`);
    if (ifName !== undefined) {
      if (ifNames.includes(ifName)) c.error(`${ip}.name`, `duplicate interface name "${ifName}"`);
      ifNames.push(ifName);
    }
    const addr = f["ip"] === undefined ? undefined : c.cidr(f["ip"], `${ip}.ip`, "interface");
    if (addr !== undefined) {
      names.claimAddress(addr.addr, `${ip}.ip`);
      const clash = interfaces.find((o) => ipv4InPrefix(addr.addr, o.ipN.addr, Math.min(o.ipN.len, addr.len)));
      if (clash !== undefined) c.error(`${ip}.ip`, `overlaps the subnet of interface "${clash.name}"`);
    }
    const mac = f["mac"] === undefined ? undefined : c.mac(f["mac"], `${ip}.mac`);
    names.claimMac(mac, `${ip}.mac`);
    const mtuN = f["mtu"] === undefined ? undefined : c.bytes(f["mtu"], `${ip}.mtu`, MTU_MIN, MTU_MAX);
    if (ifName !== undefined && addr !== undefined)
      interfaces.push({ name: ifName, port: j, macN: mac, ipN: addr, mtuN });
  });
  return { interfaces, ifNames };
}

/** `router` names the router in messages (its name, else its path). */
function checkRoutes(
  c: Checker,
  raw: unknown,
  p: string,
  router: string,
  interfaces: IfaceDraft[],
  ifNames: string[],
): ScenarioRoute[] {
  const routes: ScenarioRoute[] = [];
  // Each prefix has one route: the interfaces' subnets (connected) first, then the static ones.
  const owners = new Map<string, string>();
  interfaces.forEach((f, k) => {
    const a = addressOf(f.ipN);
    owners.set(`${a.network}/${a.prefixLength}`, `the subnet of interface "${f.name}" (${p}.interfaces[${k}])`);
  });
  (c.list(raw, `${p}.routes`) ?? []).forEach((entry, j) => {
    const rp = `${p}.routes[${j}]`;
    const o = c.mapping(entry, rp, ROUTE_KEYS, ["prefix"]);
    if (o === undefined) return;
    const prefix = o["prefix"] === undefined ? undefined : c.cidr(o["prefix"], `${rp}.prefix`, "prefix");
    let iface: string | undefined;
    if (o["interface"] !== undefined) {
      const s = c.str(o["interface"], `${rp}.interface`);
      if (s !== undefined && !ifNames.includes(s)) {
        const sug = suggest(s, ifNames);
        c.error(`${rp}.interface`, `router ${router} has no interface "${s}"${sug ? ` (did you mean "${sug}"?)` : ""}`);
      } else iface = s;
    }
    const via = o["via"] === undefined ? undefined : c.ipv4(o["via"], `${rp}.via`);
    if (via !== undefined) {
      const on = interfaces.filter(
        (f) => (iface === undefined || f.name === iface) && ipv4InPrefix(via, f.ipN.addr, f.ipN.len),
      );
      if (on.length === 0) {
        const where = iface === undefined ? `any interface of ${router}` : `interface "${iface}"`;
        c.error(`${rp}.via`, `${ipv4ToText(via)} is not on the subnet of ${where}`);
      }
    }
    if (o["via"] === undefined && o["interface"] === undefined)
      c.error(rp, `give "via" (next hop), "interface", or both`);
    if (prefix !== undefined) {
      const pr = addressOf(prefix);
      const key = `${pr.network}/${pr.prefixLength}`;
      const owner = owners.get(key);
      if (owner !== undefined) {
        c.error(`${rp}.prefix`, `${router} already has a route to ${key}: ${owner}`);
        return;
      }
      owners.set(key, rp);
      routes.push({
        prefix: pr.network,
        prefixLength: pr.prefixLength,
        via: via === undefined ? undefined : ipv4ToText(via),
        interface: iface,
      });
    }
  });
  return routes;
}

function checkRouting(c: Checker, v: unknown, path: string): ScenarioRouting | undefined {
  const protocols = ["static", "distance-vector"] as const;
  if (v === undefined) return { protocol: "static" };
  const short = typeof v === "string";
  if (short) v = { protocol: v };
  else if (typeof v !== "object" || v === null || Array.isArray(v)) {
    return c.error(path, `expected "static", "distance-vector" or a mapping with "protocol", got ${show(v)}`);
  }
  const o = c.mapping(v, path, ROUTING_KEYS, ["protocol"]);
  if (o === undefined || o["protocol"] === undefined) return undefined;
  const protocol = c.oneOf(o["protocol"], short ? path : `${path}.protocol`, protocols);
  if (protocol === undefined) return undefined;
  if (protocol === "static") {
    for (const k of ["period", "timeout"])
      if (o[k] !== undefined) c.error(`${path}.${k}`, `applies to "distance-vector" routing only`);
    return { protocol };
  }
  const periodNs = c.dur(o["period"], `${path}.period`, SCENARIO_DEFAULTS.routing.periodNs);
  if (periodNs === 0) return c.error(`${path}.period`, "must be longer than 0");
  if (periodNs === undefined) return undefined;
  const timeoutNs = c.dur(o["timeout"], `${path}.timeout`, periodNs * SCENARIO_DEFAULTS.routing.timeoutMultiple);
  if (timeoutNs === undefined) return undefined;
  if (timeoutNs <= periodNs) {
    const period = show(o["period"] ?? "1s");
    return c.error(`${path}.timeout`, `${show(o["timeout"])} must be longer than the period (${period})`);
  }
  return { protocol, periodNs, timeoutNs };
}
