// Building a scenario's `atm` section onto a Simulation.
//
// Contract:
// - buildAtm(sim, atm, routers) creates the devices in declaration order (switches, hosts and
//   their IP stacks, links, circuits, signalling agents, AAL5 sources) and returns them by name
//   (atm-built.ts). Router ATM interfaces are created by the Router itself: append
//   atmRouterInterfaces(atm, router) to that router's interfaces before it is built.
// - A PVC gets one switch table entry per direction at each switch of its path, and a circuit
//   at each end's NIC; when both ends have IP addresses, each end maps the other's address to
//   the circuit (RFC 2225 static mapping).
// - With signalling (svcs, a host failAt or the `signalling` key), every switch gets a
//   SwitchSignalling, every ATM host a HostSignalling, and one script (`atm:svcs`,
//   atm-svc-script.ts) plays the svcs' timetable; without, nothing signalling-related is built
//   (PVC-only trajectories are unchanged). A switch polls its circuits' hosts while it holds
//   circuits: close every svc (close:) for an embedder's runToIdle() to return.
// - destroy() frees what was built (router NICs stay their routers').
// Not handled here: IP over switched circuits; IP traffic (the scenario's `traffic` entries
// reach ATM hosts through the runner, which adds built.ipHosts to its host map).

import { ErrorCode, NetloomError } from "../base/errors.js";
import { AtmLink } from "../devices/atm-link.js";
import { AtmNic } from "../devices/atm-nic.js";
import { HostSignalling } from "../devices/atm-host-signalling.js";
import { SwitchSignalling } from "../devices/atm-switch-signalling.js";
import { AtmSwitch } from "../devices/atm-switch.js";
import type { AtmDiscardPolicy } from "../devices/atm-switch-discard.js";
import type { Device } from "../devices/device.js";
import type { Simulation } from "../engine/simulation.js";
import type { AtmIpLink } from "../stacks/ip/atm-ip-link.js";
import { IpHost } from "../stacks/ip/ip-host.js";
import type { Router, RouterInterfaceOptions } from "../stacks/ip/router.js";
import { Aal5Source } from "../traffic/aal5-source.js";
import type { BuiltAtm, BuiltSignalling } from "./atm-built.js";
import { SvcScript } from "./atm-svc-script.js";
import type { AtmScenario, AtmScenarioEnd, AtmScenarioLink, AtmScenarioPvc } from "../scenario/atm-types.js";

export type { BuiltAtm, BuiltSignalling, SvcRun, SvcState } from "./atm-built.js";

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

/** Builds the section on `sim`; `routers` holds the scenario's routers (with their ATM interfaces). */
export function buildAtm(
  sim: Simulation,
  atm: AtmScenario,
  routers: ReadonlyMap<string, Router> = new Map(),
): BuiltAtm {
  let script: SvcScript | undefined;
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
  /** IP address (no prefix) of each end that has one: hosts and router interfaces. */
  const addresses = new Map<string, string>();
  buildSwitches(sim, atm, built);
  buildHosts(sim, atm, built, addresses);
  findRouterInterfaces(atm, routers, built, addresses);
  buildLinks(sim, atm, routers, built);
  const linkByName = new Map(atm.links.map((l) => [l.name, l]));
  for (const v of atm.pvcs) buildPvc(v, atm, routers, built, addresses, linkByName);
  if (atm.signalling !== undefined) script = buildSignalling(sim, atm, built);
  startPvcTraffic(sim, atm, built);
  return built;
}

function buildSwitches(sim: Simulation, atm: AtmScenario, built: BuiltAtm): void {
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
}

function buildHosts(sim: Simulation, atm: AtmScenario, built: BuiltAtm, addresses: Map<string, string>): void {
  for (const h of atm.hosts) {
    const nic = new AtmNic(sim, h.name, { maxPdu: h.maxPdu, vcs: h.vcs, rxBuffers: h.rxBuffers });
    built.nics.set(h.name, nic);
    if (h.address === undefined) continue;
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

/** The NICs of the routers' ATM interfaces (the routers made them). */
function findRouterInterfaces(
  atm: AtmScenario,
  routers: ReadonlyMap<string, Router>,
  built: BuiltAtm,
  addresses: Map<string, string>,
): void {
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
}

function buildLinks(sim: Simulation, atm: AtmScenario, routers: ReadonlyMap<string, Router>, built: BuiltAtm): void {
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
}

function buildPvc(
  v: AtmScenarioPvc,
  atm: AtmScenario,
  routers: ReadonlyMap<string, Router>,
  built: BuiltAtm,
  addresses: Map<string, string>,
  linkByName: Map<string, AtmScenarioLink>,
): void {
  const linkNamed = (name: string): AtmScenarioLink => linkByName.get(name)!;
  const portOn = (link: AtmScenarioLink, device: string): number =>
    link.a.device === device ? link.a.port : link.b.port;
  const first = v.path[0]!;
  const last = v.path[v.path.length - 1]!;
  for (let k = 1; k + 1 < v.path.length; k++) {
    const sw = built.switches.get(v.path[k]!)!;
    const pin = portOn(linkNamed(v.hops[k - 1]!.link), v.path[k]!);
    const pout = portOn(linkNamed(v.hops[k]!.link), v.path[k]!);
    sw.addPvc(pin, 0, v.hops[k - 1]!.vci, pout, 0, v.hops[k]!.vci);
    sw.addPvc(pout, 0, v.hops[k]!.vci, pin, 0, v.hops[k - 1]!.vci);
  }
  const vcA = built.nics.get(first)!.openVc(0, v.hops[0]!.vci, { parity: v.parity });
  const vcB = built.nics.get(last)!.openVc(0, v.hops[v.hops.length - 1]!.vci, { parity: v.parity });
  built.circuits.set(v.name, [vcA, vcB]);
  const ipA = addresses.get(first);
  const ipB = addresses.get(last);
  if (ipA !== undefined && ipB !== undefined) {
    ipLinkOf(built, atm, routers, first)?.map(ipB, vcA);
    ipLinkOf(built, atm, routers, last)?.map(ipA, vcB);
  }
}

/** The IP-over-ATM link of an end (an IP host or a router interface), if it has one. */
function ipLinkOf(
  built: BuiltAtm,
  atm: AtmScenario,
  routers: ReadonlyMap<string, Router>,
  end: string,
): AtmIpLink | undefined {
  const h = built.ipHosts.get(end);
  if (h !== undefined) return h.atm;
  const f = atm.routerInterfaces.find((x) => `${x.router}.${x.name}` === end);
  return f === undefined ? undefined : routers.get(f.router)?.iface(f.name).atm;
}

function buildSignalling(sim: Simulation, atm: AtmScenario, built: BuiltAtm): SvcScript {
  const sig = atm.signalling!;
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
        releaseTimeout: sig.releaseTimeoutNs,
      }),
    );
  }
  for (const h of atm.hosts) {
    const nic: AtmNic = built.nics.get(h.name)!;
    b.hosts.set(
      h.name,
      new HostSignalling(nic, {
        delay: sig.delayNs,
        setupTimeout: sig.setupTimeoutNs,
        releaseTimeout: sig.releaseTimeoutNs,
        maxCalls: Math.max(1, Math.min(32, h.vcs - 1)),
      }),
    );
  }
  return new SvcScript(sim, atm, built, b);
}

/** AAL5 sources on PVCs (those on svcs start when their circuit connects: SvcScript). */
function startPvcTraffic(sim: Simulation, atm: AtmScenario, built: BuiltAtm): void {
  for (const t of atm.traffic) {
    if (t.svc !== undefined) continue;
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
}
