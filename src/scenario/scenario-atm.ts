// The `atm` section of a scenario: ATM switches, ATM hosts (raw AAL5 or IP over ATM), ATM
// interfaces of routers, ATM links, permanent circuits by path, switched circuits opened by
// signalling along a route of output ports, host failures, and AAL5 traffic. Validation
// (validateAtmSection) and building (buildAtm) live here so the main loader and builder only
// call in (hooks: see the report of issue 6 part 2 / docs).
//
// Contract:
// - validateAtmSection(raw, path, known) checks the section like the rest of the file: every
//   problem is collected with its path (`atm.links[2].rate: ...`), unknown keys are errors
//   (with a did-you-mean when close), names are unique (also against `known`, the names the
//   rest of the scenario uses), references resolve, ports are in range and used once, PVC paths
//   follow links. It returns a normalised AtmScenario (ns, bytes, bit/s, defaults filled in)
//   and the problem list; it never builds anything.
// - PVC by path: path = [end, switch, ..., switch, end], ends being ATM hosts or router ATM
//   interfaces ("router.interface"). Consecutive elements must share exactly one link. On each
//   link the circuit gets VPI 0 and the next free VCI from 32 up (in declaration order), the
//   same VCI both ways; each switch gets one table entry per direction. When both ends have IP
//   addresses, each end maps the other's address to the circuit (RFC 2225 static mapping).
// - buildAtm(sim, atm, routers) creates the devices in declaration order (switches, hosts,
//   links, circuits, traffic) and returns them by name. Router ATM interfaces are created by
//   the Router itself: atmRouterInterfaces(atm, router) gives the RouterInterfaceOptions to
//   append to that router's interfaces before it is built.
// - Switched circuits (svcs: name, from, route "4.3.0.7", open, close): the route is walked
//   over the declared links at validation (each number an output port of the next switch), so
//   a port out of range, a port with nothing attached, or a route that stops at a switch or
//   runs on past a host is a path-naming error; the far host is the circuit's other end. With
//   svcs, a host failAt or a `signalling` mapping, buildAtm gives every switch a
//   SwitchSignalling and every ATM host a HostSignalling (src/devices/atm-signalling.ts) and
//   registers one script (`atm:svcs`) that opens and closes the circuits and fails hosts at
//   their times. AAL5 traffic naming an svc starts when the circuit connects (at its end:
//   either end may send) and stops when the circuit is closed or released. Runtime refusals
//   (circuit limit, full tables, timeouts, host failures) land in the report, not in errors.
//   Without any of these nothing signalling-related is built (PVC-only trajectories are
//   unchanged). A switch polls its circuits' hosts while it holds circuits: close every svc
//   (close:) for an embedder's runToIdle() to return.
// - atmReport(built) gives plain-JSON stats (per switch, per NIC, per AAL5 source, and with
//   signalling: per switch and host agent, and per svc: state, cause, times).
// - Not handled here: IP over switched circuits, IP traffic (the scenario's `traffic` entries
//   reach ATM hosts through the hook that adds built.ipHosts to the host map).

import type { Simulation } from "../engine/simulation.js";
import { AtmLink } from "../devices/atm-link.js";
import { AtmNic, type AtmNicStats } from "../devices/atm-nic.js";
import { HostSignalling, type HostSignallingStats } from "../devices/atm-host-signalling.js";
import { SwitchSignalling, type SwitchSignallingStats } from "../devices/atm-switch-signalling.js";
import { AtmSwitch, type AtmSwitchStats } from "../devices/atm-switch.js";
import type { AtmDiscardPolicy } from "../devices/atm-switch-discard.js";
import type { Device } from "../devices/device.js";
import type { EventHandler } from "../engine/scheduler.js";
import { parseSigRoute, sigCauseName } from "../wire/atm-signalling.js";
import { IpHost } from "../stacks/ip/ip-host.js";
import type { Router, RouterInterfaceOptions } from "../stacks/ip/router.js";
import { Aal5Source } from "../traffic/aal5-source.js";
import { ErrorCode, NetloomError } from "../base/errors.js";
import { parseByteSize, parseDuration } from "../base/units.js";
import { parseCellRate } from "../devices/atm-link.js";

export interface AtmScenarioPolicy {
  queueLimit?: number;
  epdThreshold?: number;
  ppd?: boolean;
  randomDiscard?: { threshold: number; probability: number };
}

export interface AtmScenarioSwitch {
  name: string;
  ports: number;
  format: "uni" | "nni";
  vcCapacity: number;
  circuitLimit: number | undefined;
  policy: AtmScenarioPolicy;
  /** Output port -> policy replacing `policy` there. */
  portPolicies: Record<number, AtmScenarioPolicy>;
}

export interface AtmScenarioHost {
  name: string;
  /** "10.2.0.1/24": an IP host over ATM; omitted: raw AAL5 only. */
  address: string | undefined;
  gateway: string | undefined;
  mtu: number | undefined;
  maxPdu: number;
  vcs: number;
  rxBuffers: number;
  /** When the host fails (ns; its switch then releases its switched circuits), or undefined. */
  failAtNs: number | undefined;
}

export interface AtmScenarioRouterInterface {
  router: string;
  name: string;
  address: string;
  mtu: number | undefined;
  maxPdu: number;
}

export interface AtmScenarioEnd {
  /** Host name, switch name, or "router.interface". */
  device: string;
  /** Switch port (0 for hosts and router interfaces). */
  port: number;
}

export interface AtmScenarioLink {
  name: string;
  a: AtmScenarioEnd;
  b: AtmScenarioEnd;
  /** The rate as written ("OC-3", a bit rate, or cells per second). */
  rate: string | number;
  delayNs: number;
  cellLoss: number;
  ber: number;
}

export interface AtmScenarioHop {
  link: string;
  vci: number;
}

export interface AtmScenarioPvc {
  name: string;
  path: string[];
  parity: boolean;
  /** One per link along the path. */
  hops: AtmScenarioHop[];
}

export interface AtmScenarioSvc {
  name: string;
  /** The calling host. */
  from: string;
  /** Output ports, one per switch along the path. */
  route: number[];
  /** The called host (where the route ends). */
  to: string;
  openNs: number;
  closeNs: number | undefined;
  parity: boolean;
}

export interface AtmScenarioSignalling {
  delayNs: number;
  keepAliveNs: number;
  keepAliveMisses: number;
  setupTimeoutNs: number;
}

export interface AtmScenarioTraffic {
  name: string;
  type: "aal5";
  /** The permanent circuit carrying it ("" when it names an svc). */
  pvc: string;
  /** The switched circuit carrying it, or undefined. */
  svc: string | undefined;
  /** The sending end (an end of the PVC's path, or the svc's caller or called host). */
  from: string;
  pduBytes: number;
  /** PDUs per second; undefined = greedy. */
  pdusPerSecond: number | undefined;
  startNs: number;
  stopNs: number | undefined;
  count: number | undefined;
}

export interface AtmScenario {
  switches: AtmScenarioSwitch[];
  hosts: AtmScenarioHost[];
  routerInterfaces: AtmScenarioRouterInterface[];
  links: AtmScenarioLink[];
  pvcs: AtmScenarioPvc[];
  svcs: AtmScenarioSvc[];
  traffic: AtmScenarioTraffic[];
  /** Signalling settings; undefined when nothing uses signalling (no svcs, no failAt). */
  signalling: AtmScenarioSignalling | undefined;
}

export interface AtmIssue {
  path: string;
  message: string;
}

/** Names the rest of the scenario declares (devices), and its routers. */
export interface AtmKnownNames {
  devices: ReadonlySet<string>;
  routers: ReadonlySet<string>;
}

type Obj = Record<string, unknown>;
const FIRST_VCI = 32;

const SECTION_KEYS = ["switches", "hosts", "routerInterfaces", "links", "pvcs", "svcs", "signalling", "traffic"];
const SWITCH_KEYS = ["name", "ports", "format", "vcCapacity", "circuitLimit", "policy", "portPolicies"];
const POLICY_KEYS = ["queueLimit", "epdThreshold", "ppd", "randomDiscard"];
const HOST_KEYS = ["name", "address", "gateway", "mtu", "maxPdu", "vcs", "rxBuffers", "failAt"];
const RIF_KEYS = ["router", "name", "address", "mtu", "maxPdu"];
const LINK_KEYS = ["name", "a", "b", "rate", "delay", "faults"];
const FAULT_KEYS = ["cellLoss", "ber"];
const PVC_KEYS = ["name", "path", "parity"];
const SVC_KEYS = ["name", "from", "route", "open", "close", "parity"];
const SIGNALLING_KEYS = ["delay", "keepAlive", "keepAliveMisses", "setupTimeout"];
const TRAFFIC_KEYS = ["name", "type", "pvc", "svc", "from", "pduSize", "rate", "start", "stop", "count"];

class Checker {
  readonly issues: AtmIssue[] = [];
  error(path: string, message: string): void {
    this.issues.push({ path, message });
  }
  map(v: unknown, path: string, keys: readonly string[], required: readonly string[]): Obj | undefined {
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      this.error(path, "expected a mapping");
      return undefined;
    }
    const o = v as Obj;
    for (const k of Object.keys(o)) {
      if (!keys.includes(k)) {
        const near = keys.find((c) => c.toLowerCase() === k.toLowerCase() || distance(c, k) <= 2);
        this.error(`${path}.${k}`, `unknown key${near !== undefined ? ` (did you mean "${near}"?)` : ""}`);
      }
    }
    for (const k of required) if (o[k] === undefined) this.error(`${path}.${k}`, "is required");
    return o;
  }
  list(v: unknown, path: string): unknown[] {
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      this.error(path, "expected a list");
      return [];
    }
    return v;
  }
  int(v: unknown, path: string, min: number, max: number, fallback: number): number {
    if (v === undefined) return fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      this.error(path, `${JSON.stringify(v)} is not an integer in [${min}, ${max}]`);
      return fallback;
    }
    return v;
  }
  prob(v: unknown, path: string): number {
    if (v === undefined) return 0;
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) {
      this.error(path, `${JSON.stringify(v)} is not a probability in [0, 1]`);
      return 0;
    }
    return v;
  }
  name(v: unknown, path: string): string | undefined {
    if (typeof v !== "string" || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(v)) {
      this.error(path, `${JSON.stringify(v)} is not a name (letters, digits, _ . -)`);
      return undefined;
    }
    return v;
  }
  try<T>(f: () => T, fallback: T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof NetloomError) {
        const at = e.path ?? "";
        this.error(at, e.message.startsWith(`${at}: `) ? e.message.slice(at.length + 2) : e.message);
        return fallback;
      }
      throw e;
    }
  }
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

const ADDRESS_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function checkAddress(c: Checker, v: unknown, path: string, prefix: boolean): string | undefined {
  if (v === undefined) return undefined;
  const s = typeof v === "string" ? v : "";
  const [addr, len, extra] = s.split("/");
  const m = ADDRESS_RE.exec(addr ?? "");
  const okLen = prefix ? len !== undefined && /^\d+$/.test(len) && Number(len) <= 32 : len === undefined;
  if (m === null || extra !== undefined || !okLen || m.slice(1).some((x) => Number(x) > 255)) {
    c.error(path, `${JSON.stringify(v)} is not ${prefix ? "an address/prefix like 10.2.0.1/24" : "an IPv4 address"}`);
    return undefined;
  }
  return s;
}

function policyOf(c: Checker, v: unknown, path: string): AtmScenarioPolicy {
  if (v === undefined) return {};
  const o = c.map(v, path, POLICY_KEYS, []);
  if (o === undefined) return {};
  const p: AtmScenarioPolicy = {};
  const limit = c.int(o["queueLimit"], `${path}.queueLimit`, 1, 1 << 24, 1024);
  if (o["queueLimit"] !== undefined) p.queueLimit = limit;
  if (o["epdThreshold"] !== undefined) p.epdThreshold = c.int(o["epdThreshold"], `${path}.epdThreshold`, 0, limit, 0);
  if (o["ppd"] !== undefined) {
    if (typeof o["ppd"] !== "boolean") c.error(`${path}.ppd`, "expected true or false");
    else p.ppd = o["ppd"];
  }
  if (o["randomDiscard"] !== undefined) {
    const r = c.map(
      o["randomDiscard"],
      `${path}.randomDiscard`,
      ["threshold", "probability"],
      ["threshold", "probability"],
    );
    if (r !== undefined) {
      p.randomDiscard = {
        threshold: c.int(r["threshold"], `${path}.randomDiscard.threshold`, 0, limit, 0),
        probability: c.prob(r["probability"], `${path}.randomDiscard.probability`),
      };
    }
  }
  return p;
}

/** Validates the `atm` section (raw document value at `path`). */
export function validateAtmSection(
  raw: unknown,
  path = "atm",
  known: AtmKnownNames = { devices: new Set(), routers: new Set() },
): {
  atm: AtmScenario;
  issues: AtmIssue[];
} {
  const c = new Checker();
  const atm: AtmScenario = {
    switches: [],
    hosts: [],
    routerInterfaces: [],
    links: [],
    pvcs: [],
    svcs: [],
    traffic: [],
    signalling: undefined,
  };
  const root = c.map(raw, path, SECTION_KEYS, []);
  if (root === undefined) return { atm, issues: c.issues };
  const names = new Map<string, { kind: "switch" | "host" | "rif"; ports: number }>();
  const claim = (n: string, p: string, kind: "switch" | "host" | "rif", ports: number): boolean => {
    if (names.has(n) || known.devices.has(n)) {
      c.error(p, `duplicate name "${n}"`);
      return false;
    }
    names.set(n, { kind, ports });
    return true;
  };

  c.list(root["switches"], `${path}.switches`).forEach((v, i) => {
    const p = `${path}.switches[${i}]`;
    const o = c.map(v, p, SWITCH_KEYS, ["name", "ports"]);
    if (o === undefined) return;
    const name = c.name(o["name"], `${p}.name`);
    const ports = c.int(o["ports"], `${p}.ports`, 1, 4096, 1);
    const format = o["format"] ?? "uni";
    if (format !== "uni" && format !== "nni") c.error(`${p}.format`, `${JSON.stringify(format)} is not uni or nni`);
    const portPolicies: Record<number, AtmScenarioPolicy> = {};
    if (o["portPolicies"] !== undefined) {
      const pp = c.map(o["portPolicies"], `${p}.portPolicies`, Object.keys((o["portPolicies"] as Obj) ?? {}), []);
      for (const [k, pv] of Object.entries(pp ?? {})) {
        const port = Number(k);
        if (!/^\d+$/.test(k) || port >= ports)
          c.error(`${p}.portPolicies.${k}`, `${k} is not a port of this switch (0 to ${ports - 1})`);
        else portPolicies[port] = policyOf(c, pv, `${p}.portPolicies.${k}`);
      }
    }
    const sw: AtmScenarioSwitch = {
      name: name ?? "",
      ports,
      format: format === "nni" ? "nni" : "uni",
      vcCapacity: c.int(o["vcCapacity"], `${p}.vcCapacity`, 1, 1 << 20, 4096),
      circuitLimit:
        o["circuitLimit"] === undefined ? undefined : c.int(o["circuitLimit"], `${p}.circuitLimit`, 0, 1 << 24, 0),
      policy: policyOf(c, o["policy"], `${p}.policy`),
      portPolicies,
    };
    if (name !== undefined && claim(name, `${p}.name`, "switch", ports)) atm.switches.push(sw);
  });

  c.list(root["hosts"], `${path}.hosts`).forEach((v, i) => {
    const p = `${path}.hosts[${i}]`;
    const o = c.map(v, p, HOST_KEYS, ["name"]);
    if (o === undefined) return;
    const name = c.name(o["name"], `${p}.name`);
    const address = checkAddress(c, o["address"], `${p}.address`, true);
    const gateway = checkAddress(c, o["gateway"], `${p}.gateway`, false);
    if (gateway !== undefined && o["address"] === undefined) c.error(`${p}.gateway`, "a gateway needs an address");
    const maxPdu = c.int(o["maxPdu"], `${p}.maxPdu`, 1, 65535, 9188);
    const h: AtmScenarioHost = {
      name: name ?? "",
      address,
      gateway,
      mtu: o["mtu"] === undefined ? undefined : c.int(o["mtu"], `${p}.mtu`, 68, maxPdu - 8, 9180),
      maxPdu,
      vcs: c.int(o["vcs"], `${p}.vcs`, 1, 1 << 16, 64),
      rxBuffers: c.int(o["rxBuffers"], `${p}.rxBuffers`, 1, 1 << 16, 64),
      failAtNs:
        o["failAt"] === undefined ? undefined : c.try(() => parseDuration(o["failAt"], `${p}.failAt`), undefined),
    };
    if (name !== undefined && claim(name, `${p}.name`, "host", 1)) atm.hosts.push(h);
  });

  c.list(root["routerInterfaces"], `${path}.routerInterfaces`).forEach((v, i) => {
    const p = `${path}.routerInterfaces[${i}]`;
    const o = c.map(v, p, RIF_KEYS, ["router", "name", "address"]);
    if (o === undefined) return;
    const router = c.name(o["router"], `${p}.router`);
    if (router !== undefined && !known.routers.has(router)) c.error(`${p}.router`, `no router is called "${router}"`);
    const name = c.name(o["name"], `${p}.name`);
    const address = checkAddress(c, o["address"], `${p}.address`, true);
    const maxPdu = c.int(o["maxPdu"], `${p}.maxPdu`, 1, 65535, 9188);
    const mtu = o["mtu"] === undefined ? undefined : c.int(o["mtu"], `${p}.mtu`, 68, maxPdu - 8, 9180);
    if (router === undefined || name === undefined || address === undefined) return;
    if (claim(`${router}.${name}`, `${p}.name`, "rif", 1))
      atm.routerInterfaces.push({ router, name, address, mtu, maxPdu });
  });

  const used = new Set<string>();
  const endOf = (v: unknown, p: string): AtmScenarioEnd | undefined => {
    if (typeof v !== "string") {
      c.error(p, `${JSON.stringify(v)} is not an endpoint ("host", "switch:port" or "router.interface")`);
      return undefined;
    }
    const colon = v.lastIndexOf(":");
    const device = colon < 0 ? v : v.slice(0, colon);
    const info = names.get(device);
    if (info === undefined) {
      c.error(p, `no ATM host, switch or router ATM interface is called "${device}"`);
      return undefined;
    }
    let port = 0;
    if (info.kind === "switch") {
      if (colon < 0 || !/^\d+$/.test(v.slice(colon + 1))) {
        c.error(p, `"${v}": a switch end needs a port, like ${device}:0`);
        return undefined;
      }
      port = Number(v.slice(colon + 1));
      if (port >= info.ports) {
        c.error(p, `${device} has ports 0 to ${info.ports - 1}, not ${port}`);
        return undefined;
      }
    } else if (colon >= 0 && v.slice(colon + 1) !== "0") {
      c.error(p, `${device} has one port (0)`);
      return undefined;
    }
    const key = `${device}:${port}`;
    if (used.has(key)) {
      c.error(p, `${key} is already used by another link`);
      return undefined;
    }
    used.add(key);
    return { device, port };
  };
  const linkNames = new Set<string>();
  c.list(root["links"], `${path}.links`).forEach((v, i) => {
    const p = `${path}.links[${i}]`;
    const o = c.map(v, p, LINK_KEYS, ["a", "b"]);
    if (o === undefined) return;
    const a = endOf(o["a"], `${p}.a`);
    const b = endOf(o["b"], `${p}.b`);
    const rate = (o["rate"] ?? "OC-3") as string | number;
    c.try(() => parseCellRate(rate, `${p}.rate`), undefined);
    const delayNs = c.try(() => parseDuration(o["delay"] ?? 0, `${p}.delay`), 0);
    let cellLoss = 0;
    let ber = 0;
    if (o["faults"] !== undefined) {
      const f = c.map(o["faults"], `${p}.faults`, FAULT_KEYS, []);
      if (f !== undefined) {
        cellLoss = c.prob(f["cellLoss"], `${p}.faults.cellLoss`);
        ber = c.prob(f["ber"], `${p}.faults.ber`);
      }
    }
    if (a === undefined || b === undefined) return;
    const name =
      o["name"] === undefined ? `${a.device}:${a.port}-${b.device}:${b.port}` : c.name(o["name"], `${p}.name`);
    if (name === undefined) return;
    if (linkNames.has(name) || known.devices.has(name)) {
      c.error(`${p}.name`, `duplicate link name "${name}"`);
      return;
    }
    linkNames.add(name);
    atm.links.push({ name, a, b, rate, delayNs, cellLoss, ber });
  });

  const nextVci = new Map<string, number>();
  const pvcNames = new Set<string>();
  c.list(root["pvcs"], `${path}.pvcs`).forEach((v, i) => {
    const p = `${path}.pvcs[${i}]`;
    const o = c.map(v, p, PVC_KEYS, ["name", "path"]);
    if (o === undefined) return;
    const name = c.name(o["name"], `${p}.name`);
    const route = c.list(o["path"], `${p}.path`);
    if (typeof o["parity"] !== "boolean" && o["parity"] !== undefined) c.error(`${p}.parity`, "expected true or false");
    if (route.length < 2) {
      c.error(`${p}.path`, "a circuit path needs at least its two ends");
      return;
    }
    const hops: AtmScenarioHop[] = [];
    let ok = true;
    route.forEach((d, k) => {
      const info = typeof d === "string" ? names.get(d) : undefined;
      const end = k === 0 || k === route.length - 1;
      if (info === undefined) {
        c.error(`${p}.path[${k}]`, `no ATM device is called ${JSON.stringify(d)}`);
        ok = false;
      } else if (end === (info.kind === "switch")) {
        c.error(
          `${p}.path[${k}]`,
          end
            ? `"${String(d)}" is a switch: a path ends at hosts or router interfaces`
            : `"${String(d)}" is not a switch`,
        );
        ok = false;
      }
    });
    if (!ok) return;
    for (let k = 0; k + 1 < route.length; k++) {
      const x = route[k] as string;
      const y = route[k + 1] as string;
      const between = atm.links.filter(
        (l) => (l.a.device === x && l.b.device === y) || (l.a.device === y && l.b.device === x),
      );
      if (between.length !== 1) {
        c.error(
          `${p}.path[${k + 1}]`,
          between.length === 0
            ? `no link joins ${x} and ${y}`
            : `${between.length} links join ${x} and ${y}: ambiguous`,
        );
        return;
      }
      const l = between[0]!;
      const vci = nextVci.get(l.name) ?? FIRST_VCI;
      nextVci.set(l.name, vci + 1);
      hops.push({ link: l.name, vci });
    }
    if (name === undefined) return;
    if (pvcNames.has(name)) {
      c.error(`${p}.name`, `duplicate circuit name "${name}"`);
      return;
    }
    pvcNames.add(name);
    atm.pvcs.push({ name, path: route as string[], parity: o["parity"] === true, hops });
  });

  const linkAt = (device: string, port: number): AtmScenarioLink | undefined =>
    atm.links.find((l) => (l.a.device === device && l.a.port === port) || (l.b.device === device && l.b.port === port));
  const farEnd = (l: AtmScenarioLink, device: string, port: number): AtmScenarioEnd =>
    l.a.device === device && l.a.port === port ? l.b : l.a;
  /** "7 (b), 8 (c)": the ports of switch `sw` that lead to ATM hosts (for hints). */
  const hostPorts = (sw: string): string => {
    const ports = names.get(sw)?.ports ?? 0;
    const found: string[] = [];
    for (let q = 0; q < ports; q++) {
      const l = linkAt(sw, q);
      if (l === undefined) continue;
      const e = farEnd(l, sw, q);
      if (names.get(e.device)?.kind === "host") found.push(`${q} (${e.device})`);
    }
    return found.length === 0 ? "no port of it leads to a host" : `ports to hosts: ${found.join(", ")}`;
  };
  c.list(root["svcs"], `${path}.svcs`).forEach((v, i) => {
    const p = `${path}.svcs[${i}]`;
    const o = c.map(v, p, SVC_KEYS, ["name", "from", "route"]);
    if (o === undefined) return;
    const name = c.name(o["name"], `${p}.name`);
    if (typeof o["parity"] !== "boolean" && o["parity"] !== undefined) c.error(`${p}.parity`, "expected true or false");
    const openNs = c.try(() => parseDuration(o["open"] ?? 0, `${p}.open`), 0);
    const closeNs =
      o["close"] === undefined ? undefined : c.try(() => parseDuration(o["close"], `${p}.close`), undefined);
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
    const info = typeof from === "string" ? names.get(from) : undefined;
    if (info?.kind !== "host") {
      c.error(
        `${p}.from`,
        info === undefined
          ? `no ATM host is called ${JSON.stringify(from)}`
          : `"${String(from)}" is not an ATM host: switched circuits start at hosts`,
      );
      return;
    }
    if (route === undefined) return;
    // Walk the route over the links, as the switches will.
    const first = linkAt(from as string, 0);
    const start = first === undefined ? undefined : farEnd(first, from as string, 0);
    if (start === undefined || names.get(start.device)?.kind !== "switch") {
      c.error(`${p}.from`, `"${String(from)}" is not linked to an ATM switch`);
      return;
    }
    let at = start.device;
    let to: string | undefined;
    for (let k = 0; k < route.length; k++) {
      const port = route[k]!;
      const hop = `${p}.route`;
      const ports = names.get(at)!.ports;
      if (port >= ports) {
        c.error(hop, `hop ${k + 1} is port ${port}, but ${at} has ports 0 to ${ports - 1} (${hostPorts(at)})`);
        return;
      }
      const l = linkAt(at, port);
      if (l === undefined) {
        c.error(hop, `hop ${k + 1}: nothing is attached to ${at}:${port} (${hostPorts(at)})`);
        return;
      }
      const next = farEnd(l, at, port);
      const kind = names.get(next.device)?.kind;
      if (kind === "switch") {
        at = next.device;
        continue;
      }
      if (kind !== "host") {
        c.error(hop, `hop ${k + 1} reaches router interface ${next.device}, which takes no switched circuits`);
        return;
      }
      if (k < route.length - 1) {
        c.error(
          hop,
          `the route reaches host ${next.device} after ${k + 1} hop${k === 0 ? "" : "s"}; ${route.length - k - 1} port(s) left over (did you mean "${route.slice(0, k + 1).join(".")}"?)`,
        );
        return;
      }
      to = next.device;
    }
    if (to === undefined) {
      c.error(`${p}.route`, `the route ends at switch ${at}: add the port to take there (${hostPorts(at)})`);
      return;
    }
    if (name === undefined) return;
    if (pvcNames.has(name) || atm.svcs.some((x) => x.name === name)) {
      c.error(`${p}.name`, `duplicate circuit name "${name}"`);
      return;
    }
    atm.svcs.push({ name, from: from as string, route, to, openNs, closeNs, parity: o["parity"] === true });
  });

  if (root["signalling"] !== undefined || atm.svcs.length > 0 || atm.hosts.some((h) => h.failAtNs !== undefined)) {
    const o =
      root["signalling"] === undefined ? {} : c.map(root["signalling"], `${path}.signalling`, SIGNALLING_KEYS, []);
    const sp = `${path}.signalling`;
    const positive = (key: string, fallback: number, zero: boolean): number => {
      const ns = c.try(() => parseDuration(o?.[key] ?? fallback, `${sp}.${key}`), fallback);
      if (ns < 0 || (!zero && ns === 0)) {
        c.error(`${sp}.${key}`, `${JSON.stringify(o?.[key])} must be ${zero ? "zero or more" : "more than zero"}`);
        return fallback;
      }
      return ns;
    };
    atm.signalling = {
      delayNs: positive("delay", 50_000, true),
      keepAliveNs: positive("keepAlive", 5_000_000, false),
      keepAliveMisses: c.int(o?.["keepAliveMisses"], `${sp}.keepAliveMisses`, 1, 1000, 3),
      setupTimeoutNs: positive("setupTimeout", 20_000_000, false),
    };
  }

  c.list(root["traffic"], `${path}.traffic`).forEach((v, i) => {
    const p = `${path}.traffic[${i}]`;
    const o = c.map(v, p, TRAFFIC_KEYS, ["name", "type", "pduSize"]);
    if (o === undefined) return;
    const name = c.name(o["name"], `${p}.name`);
    if (o["type"] !== "aal5") c.error(`${p}.type`, `${JSON.stringify(o["type"])} is not an ATM traffic type (aal5)`);
    let pvc: AtmScenarioPvc | undefined;
    let svc: AtmScenarioSvc | undefined;
    if (o["svc"] !== undefined && o["pvc"] !== undefined) c.error(`${p}.svc`, "name a pvc or an svc, not both");
    else if (o["svc"] !== undefined) {
      svc = atm.svcs.find((x) => x.name === o["svc"]);
      if (svc === undefined) {
        const near =
          atm.svcs.find((x) => distance(x.name, String(o["svc"])) <= 2) ?? atm.pvcs.find((x) => x.name === o["svc"]);
        const hint =
          near === undefined
            ? ""
            : near.name === o["svc"]
              ? ` (${near.name} is a pvc: use pvc:)`
              : ` (did you mean "${near.name}"?)`;
        c.error(`${p}.svc`, `no switched circuit is called ${JSON.stringify(o["svc"])}${hint}`);
      }
    } else if (o["pvc"] === undefined) {
      c.error(`${p}.pvc`, "is required (or svc: a switched circuit)");
    } else {
      pvc = atm.pvcs.find((x) => x.name === o["pvc"]);
      if (pvc === undefined) {
        const asSvc = atm.svcs.some((x) => x.name === o["pvc"]);
        c.error(
          `${p}.pvc`,
          `no circuit is called ${JSON.stringify(o["pvc"])}${asSvc ? " (it is an svc: use svc:)" : ""}`,
        );
      }
    }
    const from = o["from"] ?? pvc?.path[0] ?? svc?.from;
    if (pvc !== undefined && from !== pvc.path[0] && from !== pvc.path[pvc.path.length - 1]) {
      c.error(`${p}.from`, `${JSON.stringify(from)} is not an end of circuit ${pvc.name}`);
    }
    if (svc !== undefined && from !== svc.from && from !== svc.to) {
      c.error(`${p}.from`, `${JSON.stringify(from)} is not an end of circuit ${svc.name} (${svc.from} or ${svc.to})`);
    }
    const pduBytes = c.try(() => parseByteSize(o["pduSize"], `${p}.pduSize`), 0);
    if (pduBytes < 1 || pduBytes > 65535)
      c.error(`${p}.pduSize`, `${pduBytes} bytes is not an AAL5 PDU size (1 to 65535)`);
    let pdusPerSecond: number | undefined;
    if (o["rate"] !== undefined) {
      if (typeof o["rate"] !== "number" || !(o["rate"] > 0 && o["rate"] < Infinity))
        c.error(`${p}.rate`, `${JSON.stringify(o["rate"])} is not a PDU rate (PDUs per second)`);
      else pdusPerSecond = o["rate"];
    }
    const t: AtmScenarioTraffic = {
      name: name ?? "",
      type: "aal5",
      pvc: pvc?.name ?? "",
      svc: svc?.name,
      from: typeof from === "string" ? from : "",
      pduBytes,
      pdusPerSecond,
      startNs: c.try(() => parseDuration(o["start"] ?? 0, `${p}.start`), 0),
      stopNs: o["stop"] === undefined ? undefined : c.try(() => parseDuration(o["stop"], `${p}.stop`), 0),
      count: o["count"] === undefined ? undefined : c.int(o["count"], `${p}.count`, 0, Number.MAX_SAFE_INTEGER, 0),
    };
    if (name !== undefined && atm.traffic.some((x) => x.name === name))
      c.error(`${p}.name`, `duplicate traffic name "${name}"`);
    else if (name !== undefined) atm.traffic.push(t);
  });
  return { atm, issues: c.issues };
}

/** Validates and throws one NetloomError listing every problem (for callers outside the loader). */
export function parseAtmSection(raw: unknown, known?: AtmKnownNames): AtmScenario {
  const { atm, issues } = validateAtmSection(raw, "atm", known);
  if (issues.length > 0) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, issues.map((i) => `${i.path}: ${i.message}`).join("\n"), {
      path: issues[0]!.path,
    });
  }
  return atm;
}

/** The interfaces to append to router `router`'s options (before it is built). */
export function atmRouterInterfaces(atm: AtmScenario, router: string): RouterInterfaceOptions[] {
  return atm.routerInterfaces
    .filter((f) => f.router === router)
    .map((f) => ({
      name: f.name,
      address: f.address,
      ...(f.mtu !== undefined ? { mtu: f.mtu } : {}),
      atm: { nic: { maxPdu: f.maxPdu } },
    }));
}

export interface BuiltAtm {
  switches: Map<string, AtmSwitch>;
  /** Every ATM NIC by endpoint name (hosts, and "router.interface"). */
  nics: Map<string, AtmNic>;
  /** IP hosts over ATM by name. */
  ipHosts: Map<string, IpHost<AtmNic>>;
  links: Map<string, AtmLink>;
  sources: Map<string, Aal5Source>;
  /** Circuit index at each end of each PVC: pvc -> [first end's vc, last end's vc]. */
  circuits: Map<string, [number, number]>;
  /** Signalling agents and switched circuits (when the section uses signalling). */
  signalling: BuiltSignalling | undefined;
  destroy(): void;
}

export type SvcState = "pending" | "calling" | "active" | "failed" | "released" | "closed";

/** A switched circuit of the scenario as it runs. */
export interface SvcRun {
  readonly name: string;
  state: SvcState;
  /** Why it failed or was released (a SigCause name), or null. */
  cause: string | null;
  /** Call ids at the caller and at the called host (-1 until known). */
  call: number;
  calleeCall: number;
  /** NIC circuit at the caller and at the called host (-1 until open). */
  callerVc: number;
  calleeVc: number;
  connectedAt: number | null;
  endedAt: number | null;
}

export interface BuiltSignalling {
  switches: Map<string, SwitchSignalling>;
  hosts: Map<string, HostSignalling>;
  svcs: Map<string, SvcRun>;
  /** The svcs as declared, by name. */
  plan: Map<string, AtmScenarioSvc>;
  /** Names of the AAL5 traffic entries that run on svcs. */
  plannedTraffic: string[];
}

/** Builds the section on `sim`; `routers` holds the scenario's routers (with their ATM interfaces). */
export function buildAtm(
  sim: Simulation,
  atm: AtmScenario,
  routers: ReadonlyMap<string, Router> = new Map(),
): BuiltAtm {
  const built: BuiltAtm = {
    switches: new Map(),
    nics: new Map(),
    ipHosts: new Map(),
    links: new Map(),
    sources: new Map(),
    circuits: new Map(),
    signalling: undefined,
    destroy() {
      script?.destroy();
      for (const s of built.sources.values()) s.destroy();
      for (const h of built.signalling?.hosts.values() ?? []) h.destroy();
      for (const h of built.ipHosts.values()) h.destroy();
      // Router interfaces' NICs belong to their routers (Router.destroy frees them).
      for (const h of atm.hosts) built.nics.get(h.name)?.destroy();
      for (const s of built.switches.values()) s.destroy();
    },
  };
  let script: SvcScript | undefined;
  const addresses = new Map<string, string>();
  for (const s of atm.switches) {
    const sw = new AtmSwitch(sim, s.name, {
      ports: s.ports,
      format: s.format,
      vcCapacity: s.vcCapacity,
      policy: s.policy as AtmDiscardPolicy,
    });
    for (const [port, pol] of Object.entries(s.portPolicies)) sw.setPolicy(Number(port), { ...s.policy, ...pol });
    if (s.circuitLimit !== undefined) for (let p = 0; p < s.ports; p++) sw.setCircuitLimit(p, s.circuitLimit);
    built.switches.set(s.name, sw);
  }
  for (const h of atm.hosts) {
    const nic = new AtmNic(sim, h.name, { maxPdu: h.maxPdu, vcs: h.vcs, rxBuffers: h.rxBuffers });
    built.nics.set(h.name, nic);
    if (h.address !== undefined) {
      built.ipHosts.set(
        h.name,
        new IpHost(nic, {
          address: h.address,
          ...(h.gateway !== undefined ? { gateway: h.gateway } : {}),
          ...(h.mtu !== undefined ? { mtu: h.mtu } : {}),
        }),
      );
      addresses.set(h.name, h.address.split("/")[0]!);
    }
  }
  for (const f of atm.routerInterfaces) {
    const r = routers.get(f.router);
    if (r === undefined)
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `router "${f.router}" was not built`, { path: "routers" });
    const iface = r.iface(f.name);
    if (iface.atm === undefined) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${f.router}.${f.name} is not an ATM interface (append atmRouterInterfaces())`,
        { path: "routers" },
      );
    }
    built.nics.set(`${f.router}.${f.name}`, iface.atm.nic);
    addresses.set(`${f.router}.${f.name}`, f.address.split("/")[0]!);
  }
  const deviceOf = (e: AtmScenarioEnd): { dev: Device; port: number } => {
    const sw = built.switches.get(e.device);
    if (sw !== undefined) return { dev: sw, port: e.port };
    const rif = atm.routerInterfaces.find((f) => `${f.router}.${f.name}` === e.device);
    if (rif !== undefined) {
      const r = routers.get(rif.router)!;
      return { dev: r, port: r.iface(rif.name).index };
    }
    return { dev: built.nics.get(e.device)!, port: 0 };
  };
  for (const l of atm.links) {
    const link = new AtmLink(sim, l.name, {
      rate: l.rate,
      delay: l.delayNs,
      ...(l.cellLoss > 0 || l.ber > 0 ? { faults: { cellLoss: l.cellLoss, ber: l.ber } } : {}),
    });
    const a = deviceOf(l.a);
    const b = deviceOf(l.b);
    a.dev.attach(a.port, link, 0);
    b.dev.attach(b.port, link, 1);
    built.links.set(l.name, link);
  }
  const linkByName = new Map(atm.links.map((l) => [l.name, l]));
  const portOn = (link: AtmScenarioLink, device: string): number =>
    link.a.device === device ? link.a.port : link.b.port;
  for (const v of atm.pvcs) {
    const first = v.path[0]!;
    const last = v.path[v.path.length - 1]!;
    for (let k = 1; k + 1 < v.path.length; k++) {
      const sw = built.switches.get(v.path[k]!)!;
      const inL = linkByName.get(v.hops[k - 1]!.link)!;
      const outL = linkByName.get(v.hops[k]!.link)!;
      const pin = portOn(inL, v.path[k]!);
      const pout = portOn(outL, v.path[k]!);
      sw.addPvc(pin, 0, v.hops[k - 1]!.vci, pout, 0, v.hops[k]!.vci);
      sw.addPvc(pout, 0, v.hops[k]!.vci, pin, 0, v.hops[k - 1]!.vci);
    }
    const vcA = built.nics.get(first)!.openVc(0, v.hops[0]!.vci, { parity: v.parity });
    const vcB = built.nics.get(last)!.openVc(0, v.hops[v.hops.length - 1]!.vci, { parity: v.parity });
    built.circuits.set(v.name, [vcA, vcB]);
    const ipA = addresses.get(first);
    const ipB = addresses.get(last);
    if (ipA !== undefined && ipB !== undefined) {
      linkOf(built, atm, routers, first)?.map(ipB, vcA);
      linkOf(built, atm, routers, last)?.map(ipA, vcB);
    }
  }
  if (atm.signalling !== undefined) {
    const sig = atm.signalling;
    const b: BuiltSignalling = {
      switches: new Map(),
      hosts: new Map(),
      svcs: new Map(),
      plan: new Map(atm.svcs.map((v) => [v.name, v])),
      plannedTraffic: atm.traffic.filter((t) => t.svc !== undefined).map((t) => t.name),
    };
    built.signalling = b;
    for (const [n, sw] of built.switches) {
      b.switches.set(
        n,
        new SwitchSignalling(sw, {
          delay: sig.delayNs,
          keepAliveInterval: sig.keepAliveNs,
          keepAliveMisses: sig.keepAliveMisses,
        }),
      );
    }
    for (const h of atm.hosts) {
      const nic = built.nics.get(h.name)!;
      b.hosts.set(
        h.name,
        new HostSignalling(nic, {
          delay: sig.delayNs,
          setupTimeout: sig.setupTimeoutNs,
          maxCalls: Math.max(1, Math.min(32, h.vcs - 1)),
        }),
      );
    }
    script = new SvcScript(sim, atm, built, b);
  }
  for (const t of atm.traffic) {
    if (t.svc !== undefined) continue; // started when its circuit connects (SvcScript)
    const v = atm.pvcs.find((x) => x.name === t.pvc)!;
    const [vcA, vcB] = built.circuits.get(v.name)!;
    const atFirst = t.from === v.path[0];
    const nic = built.nics.get(t.from)!;
    built.sources.set(
      t.name,
      new Aal5Source(sim, t.name, nic, {
        vc: atFirst ? vcA : vcB,
        pduBytes: t.pduBytes,
        ...(t.pdusPerSecond !== undefined ? { pdusPerSecond: t.pdusPerSecond } : {}),
        start: t.startNs,
        ...(t.stopNs !== undefined ? { stop: t.stopNs } : {}),
        ...(t.count !== undefined ? { count: t.count } : {}),
      }),
    );
  }
  return built;
}

function linkOf(built: BuiltAtm, atm: AtmScenario, routers: ReadonlyMap<string, Router>, end: string) {
  const h = built.ipHosts.get(end);
  if (h !== undefined) return h.atm;
  const f = atm.routerInterfaces.find((x) => `${x.router}.${x.name}` === end);
  return f === undefined ? undefined : routers.get(f.router)?.iface(f.name).atm;
}

const EV_SVC_OPEN = 1;
const EV_SVC_CLOSE = 2;
const EV_HOST_FAIL = 3;

/**
 * The scenario's timetable of switched circuits: opens and closes each svc and fails hosts at
 * their times, starts the AAL5 traffic of an svc when it connects (at the end that sends) and
 * stops it when the circuit goes. One handler, registered with the ATM devices.
 */
class SvcScript implements EventHandler {
  readonly id: number;
  private readonly handles: number[] = [];
  private readonly live = new Map<string, Aal5Source>();
  private destroyed = false;

  constructor(
    private readonly sim: Simulation,
    private readonly atm: AtmScenario,
    private readonly built: BuiltAtm,
    private readonly sig: BuiltSignalling,
  ) {
    this.id = sim.register("atm:svcs", this);
    const at = (t: number, kind: number, a: number) =>
      this.handles.push(sim.scheduler.scheduleAt(this.id, Math.max(t, sim.now), this.id, kind, a, 0, 0));
    atm.svcs.forEach((v, i) => {
      sig.svcs.set(v.name, {
        name: v.name,
        state: "pending",
        cause: null,
        call: -1,
        calleeCall: -1,
        callerVc: -1,
        calleeVc: -1,
        connectedAt: null,
        endedAt: null,
      });
      at(v.openNs, EV_SVC_OPEN, i);
      if (v.closeNs !== undefined) at(v.closeNs, EV_SVC_CLOSE, i);
    });
    atm.hosts.forEach((h, i) => {
      if (h.failAtNs !== undefined) at(h.failAtNs, EV_HOST_FAIL, i);
    });
    // Called hosts accept the scenario's circuits (the tag is the svc's index + 1).
    for (const [name, agent] of sig.hosts) {
      agent.setIncoming((inc) => atm.svcs[inc.tag - 1]?.to === name, {
        connected: (call, vc) => {
          const i = agent.callInfo(call)!.tag - 1;
          const run = sig.svcs.get(atm.svcs[i]!.name)!;
          run.calleeCall = call;
          run.calleeVc = vc;
          this.startTraffic(i, name, vc);
        },
        released: (_call, cause) => this.ended(agent, _call, cause, false),
      });
    }
  }

  handleEvent(kind: number, a: number): void {
    if (this.destroyed) return;
    if (kind === EV_HOST_FAIL) {
      const h = this.atm.hosts[a]!;
      this.sig.hosts.get(h.name)!.fail();
      // The host is dead: its sources stop too.
      for (const [n, src] of this.built.sources) if (this.senderOf(n) === h.name) src.destroy();
      return;
    }
    const v = this.atm.svcs[a]!;
    const run = this.sig.svcs.get(v.name)!;
    const caller = this.sig.hosts.get(v.from)!;
    if (kind === EV_SVC_OPEN) {
      if (caller.failed) {
        run.state = "failed";
        run.cause = sigCauseName(27);
        return;
      }
      run.state = "calling";
      run.call = caller.open(
        v.route,
        {
          connected: (_call, vc) => {
            run.state = "active";
            run.callerVc = vc;
            run.connectedAt = this.sim.now;
            this.startTraffic(a, v.from, vc);
          },
          failed: (_call, cause) => {
            run.state = "failed";
            run.cause = sigCauseName(cause);
            run.endedAt = this.sim.now;
          },
          released: (_call, cause) => this.ended(caller, _call, cause, true),
        },
        { parity: v.parity, tag: a + 1 },
      );
    } else if (kind === EV_SVC_CLOSE && (run.state === "calling" || run.state === "active")) {
      caller.close(run.call);
      run.state = "closed";
      run.endedAt = this.sim.now;
      this.stopTraffic(a, v.from);
    }
  }

  /** A connected call ended by the far end or the network (seen at `agent`). */
  private ended(agent: HostSignalling, call: number, cause: number, atCaller: boolean): void {
    const i = this.atm.svcs.findIndex((v, _k) => {
      const run = this.sig.svcs.get(v.name)!;
      return atCaller
        ? v.from === agent.nic.name && run.call === call
        : v.to === agent.nic.name && run.calleeCall === call;
    });
    if (i < 0) return;
    const v = this.atm.svcs[i]!;
    const run = this.sig.svcs.get(v.name)!;
    if (run.state === "active") {
      run.state = "released";
      run.cause = sigCauseName(cause);
      run.endedAt = this.sim.now;
    }
    this.stopTraffic(i, atCaller ? v.from : v.to);
  }

  private senderOf(source: string): string | undefined {
    return this.atm.traffic.find((t) => t.name === source)?.from;
  }

  /** Starts the AAL5 sources of svc i that send from `host` on NIC circuit `vc`. */
  private startTraffic(i: number, host: string, vc: number): void {
    const v = this.atm.svcs[i]!;
    const nic = this.built.nics.get(host)!;
    for (const t of this.atm.traffic) {
      if (t.svc !== v.name || t.from !== host || this.built.sources.has(t.name)) continue;
      // Registered mid-run: it belongs to the partition that runs its NIC.
      const owner = this.sim.owner;
      this.sim.owner = this.sim.ownerOf(nic.id);
      try {
        const src = new Aal5Source(this.sim, t.name, nic, {
          vc,
          pduBytes: t.pduBytes,
          ...(t.pdusPerSecond !== undefined ? { pdusPerSecond: t.pdusPerSecond } : {}),
          start: Math.max(t.startNs, this.sim.now),
          ...(t.stopNs !== undefined ? { stop: t.stopNs } : {}),
          ...(t.count !== undefined ? { count: t.count } : {}),
        });
        this.built.sources.set(t.name, src);
        this.live.set(t.name, src);
      } finally {
        this.sim.owner = owner;
      }
    }
  }

  private stopTraffic(i: number, host: string): void {
    const v = this.atm.svcs[i]!;
    for (const t of this.atm.traffic) {
      if (t.svc !== v.name || t.from !== host) continue;
      this.live.get(t.name)?.destroy();
      this.live.delete(t.name);
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const h of this.handles) this.sim.scheduler.cancel(h);
  }
}

export interface SvcReport {
  from: string;
  to: string;
  route: string;
  state: SvcState;
  cause: string | null;
  connectedAt: number | null;
  endedAt: number | null;
}

export interface AtmReport {
  switches: Record<string, AtmSwitchStats>;
  nics: Record<string, AtmNicStats>;
  sources: Record<string, { sent: number; refused: number }>;
  /** Scenarios that use signalling: the agents' counters and each svc's outcome. */
  signalling?: {
    switches: Record<string, SwitchSignallingStats>;
    hosts: Record<string, HostSignallingStats>;
    svcs: Record<string, SvcReport>;
  };
}

/** Plain-JSON stats of everything buildAtm made (for the run report's `atm` key). */
export function atmReport(built: BuiltAtm): AtmReport {
  const out: AtmReport = { switches: {}, nics: {}, sources: {} };
  for (const [n, s] of built.switches) out.switches[n] = s.stats();
  for (const [n, nic] of built.nics) out.nics[n] = nic.stats();
  for (const [n, s] of built.sources) out.sources[n] = { sent: s.sent, refused: s.refused };
  const sig = built.signalling;
  if (sig !== undefined) {
    const svcs: Record<string, SvcReport> = {};
    for (const [n, r] of sig.svcs) {
      const v = sig.plan.get(n)!;
      svcs[n] = {
        from: v.from,
        to: v.to,
        route: v.route.join("."),
        state: r.state,
        cause: r.cause,
        connectedAt: r.connectedAt,
        endedAt: r.endedAt,
      };
    }
    out.signalling = {
      switches: Object.fromEntries([...sig.switches].map(([n, s]) => [n, s.stats()])),
      hosts: Object.fromEntries([...sig.hosts].map(([n, h]) => [n, h.stats()])),
      svcs,
    };
    // Traffic on circuits that never connected sent nothing.
    for (const t of sig.plannedTraffic) out.sources[t] ??= { sent: 0, refused: 0 };
  }
  return out;
}
