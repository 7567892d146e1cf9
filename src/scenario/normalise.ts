// Interfaces settled once the links are known: each host and router interface gets its MTU (as
// written, else its link's, else 1500; never above its link's) and a MAC (as written, else
// 02:00:00:00:00:01, :02, ... in declaration order: hosts of both kinds as the file lists them,
// then router interfaces, skipping every address the file gives explicitly).

import { macToText } from "../base/mac-text.js";
import type { HostDraft, StackHostDraft } from "./check-hosts.js";
import type { Namespace } from "./check-names.js";
import type { RouterDraft } from "./check-routers.js";
import { addressOf, type Checker } from "./checks.js";
import { SCENARIO_DEFAULTS } from "./scenario-defaults.js";
import type { ScenarioHost, ScenarioLink, ScenarioRouter, ScenarioStackHost } from "./scenario-types.js";

const FIRST_AUTO_MAC = 0x020000000001;

export function normaliseInterfaces(
  c: Checker,
  drafts: { ip: HostDraft[]; stack: StackHostDraft[]; routers: RouterDraft[] },
  links: ScenarioLink[],
  names: Namespace,
): { hosts: ScenarioHost[]; stackHosts: ScenarioStackHost[]; routers: ScenarioRouter[] } {
  const linkOf = (device: string, port: number): ScenarioLink | undefined =>
    links.find((l) => (l.a.device === device && l.a.port === port) || (l.b.device === device && l.b.port === port));
  const mtuFor = (given: number | undefined, device: string, port: number, path: string): number => {
    const link = linkOf(device, port);
    if (given !== undefined && link !== undefined && given > link.mtu) {
      c.error(path, `${given} is larger than the MTU of link ${link.name} (${link.mtu})`);
    }
    return given ?? link?.mtu ?? SCENARIO_DEFAULTS.link.mtu;
  };
  const macOf = (n: number | undefined): string => (n === undefined ? "" : macToText(n));
  const hosts: ScenarioHost[] = drafts.ip.map((h, i) => ({
    name: h.name,
    mac: macOf(h.macN),
    ip: h.ip,
    gateway: h.gateway,
    mtu: mtuFor(h.mtuN, h.name, 0, `hosts[${i}].mtu`),
    rxBuffers: h.rxBuffers,
    multicast: h.multicast,
    stack: h.stack,
    storage: h.storage,
  }));
  const routers: ScenarioRouter[] = drafts.routers.map((r, i) => ({
    name: r.name,
    routes: r.routes,
    routing: r.routing,
    interfaces: r.interfaces.map((f) => ({
      name: f.name,
      port: f.port,
      mac: macOf(f.macN),
      ip: addressOf(f.ipN),
      mtu: mtuFor(f.mtuN, r.name, f.port, `routers[${i}].interfaces[${f.port}].mtu`),
    })),
  }));
  const stackHosts: ScenarioStackHost[] = drafts.stack.map((h) => ({
    name: h.name,
    mac: macOf(h.macN),
    mtu: mtuFor(h.mtuN, h.name, 0, `hosts[${h.decl}].mtu`),
    rxBuffers: h.rxBuffers,
    hostStack: h.hostStack,
  }));
  assignMacs(
    [
      ...hosts.map((host, k) => ({ decl: drafts.ip[k]!.decl, host })),
      ...stackHosts.map((host, k) => ({ decl: drafts.stack[k]!.decl, host })),
    ],
    routers,
    names.macs,
  );
  return { hosts, stackHosts, routers };
}

/** Automatic MACs, after every explicit one is known. */
function assignMacs(
  hosts: { decl: number; host: { mac: string } }[],
  routers: ScenarioRouter[],
  taken: Map<number, string>,
): void {
  let next = FIRST_AUTO_MAC;
  const autoMac = (): string => {
    while (taken.has(next)) next++;
    taken.set(next, "auto");
    return macToText(next++);
  };
  hosts.sort((x, y) => x.decl - y.decl);
  for (const { host } of hosts) if (host.mac === "") host.mac = autoMac();
  for (const r of routers) for (const f of r.interfaces) if (f.mac === "") f.mac = autoMac();
}
