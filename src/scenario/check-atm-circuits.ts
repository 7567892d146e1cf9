// The circuits of a scenario's `atm` section. A permanent circuit (pvcs) is given by its path
// [end, switch, ..., switch, end]; consecutive elements share exactly one link, on which it gets
// VPI 0 and the next free VCI from 32 up (declaration order), the same both ways. A switched
// circuit (svcs) is given by its calling host and a route of output ports ("4.3.0.7"), walked
// over the links here as the switches will walk it; where it ends is the called host.

import { parseSigRoute } from "../wire/atm-signalling.js";
import type { AtmScope } from "./atm-scope.js";
import type { AtmScenarioEnd, AtmScenarioHop, AtmScenarioLink } from "./atm-types.js";

export const ATM_PVC_KEYS = ["name", "path", "parity"];
export const ATM_SVC_KEYS = ["name", "from", "route", "open", "close", "parity"];
const FIRST_VCI = 32;

export function checkAtmPvcs(s: AtmScope, raw: unknown): void {
  const c = s.c;
  const nextVci = new Map<string, number>();
  (c.list(raw, `${s.path}.pvcs`) ?? []).forEach((v, i) => {
    const p = `${s.path}.pvcs[${i}]`;
    const o = c.mapping(v, p, ATM_PVC_KEYS, ["name", "path"]);
    if (o === undefined) return;
    const name = c.name(o["name"], `${p}.name`);
    const route = c.list(o["path"], `${p}.path`) ?? [];
    c.bool(o["parity"], `${p}.parity`);
    if (route.length < 2) return void c.error(`${p}.path`, "a circuit path needs at least its two ends");
    if (!checkPathNodes(s, route, p)) return;
    const hops = hopsOf(s, route as string[], p, nextVci);
    if (hops === undefined || name === undefined) return;
    if (s.atm.pvcs.some((x) => x.name === name)) return void c.error(`${p}.name`, `duplicate circuit name "${name}"`);
    s.atm.pvcs.push({ name, path: route as string[], parity: o["parity"] === true, hops });
  });
}

/** Ends are hosts or router interfaces, the elements between them switches. */
function checkPathNodes(s: AtmScope, route: unknown[], p: string): boolean {
  let ok = true;
  route.forEach((d, k) => {
    const info = typeof d === "string" ? s.nodes.get(d) : undefined;
    const end = k === 0 || k === route.length - 1;
    if (info === undefined) {
      s.c.error(`${p}.path[${k}]`, `no ATM device is called ${JSON.stringify(d)}`);
      ok = false;
    } else if (end === (info.kind === "switch")) {
      s.c.error(
        `${p}.path[${k}]`,
        end
          ? `"${String(d)}" is a switch: a path ends at hosts or router interfaces`
          : `"${String(d)}" is not a switch`,
      );
      ok = false;
    }
  });
  return ok;
}

/** The link and VCI of each step of the path (taking the VCIs); undefined after a problem. */
function hopsOf(s: AtmScope, route: string[], p: string, nextVci: Map<string, number>): AtmScenarioHop[] | undefined {
  const hops: AtmScenarioHop[] = [];
  for (let k = 0; k + 1 < route.length; k++) {
    const x = route[k]!;
    const y = route[k + 1]!;
    const between = s.atm.links.filter(
      (l) => (l.a.device === x && l.b.device === y) || (l.a.device === y && l.b.device === x),
    );
    if (between.length !== 1) {
      const why =
        between.length === 0 ? `no link joins ${x} and ${y}` : `${between.length} links join ${x} and ${y}: ambiguous`;
      return s.c.error(`${p}.path[${k + 1}]`, why);
    }
    const l = between[0]!;
    const vci = nextVci.get(l.name) ?? FIRST_VCI;
    nextVci.set(l.name, vci + 1);
    hops.push({ link: l.name, vci });
  }
  return hops;
}

export function checkAtmSvcs(s: AtmScope, raw: unknown): void {
  const c = s.c;
  (c.list(raw, `${s.path}.svcs`) ?? []).forEach((v, i) => {
    const p = `${s.path}.svcs[${i}]`;
    const o = c.mapping(v, p, ATM_SVC_KEYS, ["name", "from", "route"]);
    if (o === undefined) return;
    const name = c.name(o["name"], `${p}.name`);
    c.bool(o["parity"], `${p}.parity`);
    const openNs = c.dur(o["open"] ?? undefined, `${p}.open`, 0) ?? 0;
    const closeNs = o["close"] === undefined ? undefined : c.dur(o["close"], `${p}.close`);
    if (closeNs !== undefined && closeNs <= openNs)
      c.error(`${p}.close`, `the circuit closes (${closeNs} ns) before it opens (${openNs} ns)`);
    // YAML reads `route: 7` (and `route: 4.3`) as a number; dotted routes are strings.
    const text = typeof o["route"] === "number" ? String(o["route"]) : o["route"];
    const route = typeof text === "string" ? parseSigRoute(text) : undefined;
    if (route === undefined) {
      c.error(
        `${p}.route`,
        `${JSON.stringify(o["route"])} is not a route of output ports like "4.3.0.7" (1 to 32 ports, 0 to 4095)`,
      );
    }
    const from = o["from"];
    const info = typeof from === "string" ? s.nodes.get(from) : undefined;
    if (info?.kind !== "host") {
      const why =
        info === undefined
          ? `no ATM host is called ${JSON.stringify(from)}`
          : `"${String(from)}" is not an ATM host: switched circuits start at hosts`;
      return void c.error(`${p}.from`, why);
    }
    if (route === undefined) return;
    const to = walkRoute(s, from as string, route, p);
    if (to === undefined || name === undefined) return;
    if (s.atm.pvcs.some((x) => x.name === name) || s.atm.svcs.some((x) => x.name === name)) {
      return void c.error(`${p}.name`, `duplicate circuit name "${name}"`);
    }
    s.atm.svcs.push({ name, from: from as string, route, to, openNs, closeNs, parity: o["parity"] === true });
  });
}

/** The host where `route` leads from host `from`, walked over the links; undefined after a problem. */
function walkRoute(s: AtmScope, from: string, route: number[], p: string): string | undefined {
  const c = s.c;
  const first = linkAt(s, from, 0);
  const start = first === undefined ? undefined : farEnd(first, from, 0);
  if (start === undefined || s.nodes.get(start.device)?.kind !== "switch") {
    return c.error(`${p}.from`, `"${from}" is not linked to an ATM switch`);
  }
  const hop = `${p}.route`;
  let at = start.device;
  for (let k = 0; k < route.length; k++) {
    const port = route[k]!;
    const ports = s.nodes.get(at)!.ports;
    if (port >= ports) {
      return c.error(hop, `hop ${k + 1} is port ${port}, but ${at} has ports 0 to ${ports - 1} (${hostPorts(s, at)})`);
    }
    const l = linkAt(s, at, port);
    if (l === undefined)
      return c.error(hop, `hop ${k + 1}: nothing is attached to ${at}:${port} (${hostPorts(s, at)})`);
    const next = farEnd(l, at, port);
    const kind = s.nodes.get(next.device)?.kind;
    if (kind === "switch") {
      at = next.device;
      continue;
    }
    if (kind !== "host") {
      return c.error(hop, `hop ${k + 1} reaches router interface ${next.device}, which takes no switched circuits`);
    }
    if (k < route.length - 1) {
      return c.error(
        hop,
        `the route reaches host ${next.device} after ${k + 1} hop${k === 0 ? "" : "s"}; ${route.length - k - 1} port(s) left over (did you mean "${route.slice(0, k + 1).join(".")}"?)`,
      );
    }
    return next.device;
  }
  return c.error(hop, `the route ends at switch ${at}: add the port to take there (${hostPorts(s, at)})`);
}

function linkAt(s: AtmScope, device: string, port: number): AtmScenarioLink | undefined {
  return s.atm.links.find(
    (l) => (l.a.device === device && l.a.port === port) || (l.b.device === device && l.b.port === port),
  );
}

function farEnd(l: AtmScenarioLink, device: string, port: number): AtmScenarioEnd {
  return l.a.device === device && l.a.port === port ? l.b : l.a;
}

/** "ports to hosts: 7 (b), 8 (c)": the ports of switch `sw` that lead to ATM hosts (for hints). */
function hostPorts(s: AtmScope, sw: string): string {
  const ports = s.nodes.get(sw)?.ports ?? 0;
  const found: string[] = [];
  for (let q = 0; q < ports; q++) {
    const l = linkAt(s, sw, q);
    if (l === undefined) continue;
    const e = farEnd(l, sw, q);
    if (s.nodes.get(e.device)?.kind === "host") found.push(`${q} (${e.device})`);
  }
  return found.length === 0 ? "no port of it leads to a host" : `ports to hosts: ${found.join(", ")}`;
}
