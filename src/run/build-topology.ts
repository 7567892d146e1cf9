// The topology steps of buildScenario: hosts, switches, routers, shared segments, links and
// the ATM section, each in declaration order (device ids, event keys and random streams
// depend on it, and so the fingerprint).
//
// Contract:
// - IP hosts land in ctx.ipHosts; hostStack hosts get a bare NIC (no IP), made after the IP
//   hosts, for the host stacks step.
// - Routers: one device port per interface, in declaration order, then the router's ATM
//   interfaces; static routes and, with routing "distance-vector", the RIP-like protocol of
//   src/stacks/ip/router.ts.
// - A link's own id (down/up) goes with end a; each direction follows its sender.
// - The ATM section's devices all go to one partition (the partitioner keeps every ATM device,
//   and each router with an ATM interface, together) and are released by network.destroy().
//   Its switches and hosts are registered as crashable (atm-crashables.ts).

import type { EthernetNic } from "../devices/nic.js";
import { atmRouterInterfaces, type BuiltAtm, buildAtm } from "./atm-build.js";
import { registerAtmCrashables } from "./atm-crashables.js";
import type { ScenarioEndpoint } from "../scenario/scenario.js";
import type { AnyIpHost } from "../stacks/ip/ip-host.js";
import type { BuildContext } from "./build-context.js";

export function addIpHosts({ scenario, network, ipHosts, own }: BuildContext): void {
  for (const h of scenario.hosts) {
    own(h.name);
    network.addHost(h.name, {
      mac: h.mac,
      rxBuffers: h.rxBuffers,
      ip: {
        address: `${h.ip.address}/${h.ip.prefixLength}`,
        ...(h.gateway !== undefined ? { gateway: h.gateway } : {}),
        mtu: h.mtu,
        ttl: h.stack.ttl,
        arp: { timeout: h.stack.arpTimeoutNs, queueLimit: h.stack.arpQueueLimit },
        reassembly: { timeout: h.stack.reassemblyTimeoutNs, maxBytes: h.stack.reassemblyLimit },
        maxDatagramSize: h.stack.maxDatagramSize,
      },
    });
    const ip = network.ipHost(h.name);
    for (const group of h.multicast) ip.joinGroup(group);
    ipHosts.set(h.name, ip as AnyIpHost);
  }
}

/** The NICs of the hostStack hosts, by host name. */
export function addStackHostNics({ scenario, network, own }: BuildContext): Map<string, EthernetNic> {
  const nics = new Map<string, EthernetNic>();
  for (const h of scenario.stackHosts) {
    own(h.name);
    nics.set(h.name, network.addHost(h.name, { mac: h.mac, rxBuffers: h.rxBuffers, mtu: h.mtu }));
  }
  return nics;
}

export function addSwitches({ scenario, network, own }: BuildContext): void {
  for (const sw of scenario.switches) {
    own(sw.name);
    network.addSwitch(sw.name, {
      ports: sw.ports,
      agingTime: sw.agingTimeNs,
      forwardingDelay: sw.forwardingDelayNs,
      fdbCapacity: sw.fdbCapacity,
    });
  }
}

export function addRouters({ scenario, network, own }: BuildContext): void {
  for (const r of scenario.routers) {
    own(r.name);
    network.addRouter(r.name, {
      interfaces: [
        ...r.interfaces.map((f) => ({
          name: f.name,
          address: `${f.ip.address}/${f.ip.prefixLength}`,
          mac: f.mac,
          mtu: f.mtu,
        })),
        ...(scenario.atm !== undefined ? atmRouterInterfaces(scenario.atm, r.name) : []),
      ],
      routes: r.routes.map((rt) => ({
        prefix: `${rt.prefix}/${rt.prefixLength}`,
        ...(rt.via !== undefined ? { via: rt.via } : {}),
        ...(rt.interface !== undefined ? { interface: rt.interface } : {}),
      })),
      ...(r.routing.protocol === "distance-vector"
        ? { distanceVector: { period: r.routing.periodNs, timeout: r.routing.timeoutNs } }
        : {}),
    });
  }
}

export function addSegments({ scenario, network, own }: BuildContext): void {
  for (const seg of scenario.segments) {
    own(seg.stations[0]!.device);
    network.addSegment(seg.name, {
      stations: seg.stations.length,
      rate: seg.rateBps,
      propagationDelay: seg.propagationDelayNs,
      queueLimit: seg.queueLimit,
      maxFrame: seg.maxFrame,
      attemptLimit: seg.attemptLimit,
      backoffLimit: seg.backoffLimit,
    });
    for (const station of seg.stations) network.joinSegment(endpoint(station), seg.name);
  }
}

export function addLinks({ scenario, network, own }: BuildContext): void {
  for (const link of scenario.links) {
    own(link.a.device);
    const f = link.faults;
    network.connect(endpoint(link.a), endpoint(link.b), {
      name: link.name,
      rate: link.rateBps,
      delay: link.delayNs,
      queueLimit: link.queueLimit,
      ...(link.queueLimitBytes !== undefined ? { queueLimitBytes: link.queueLimitBytes } : {}),
      overheadBytes: link.overheadBytes,
      faults: {
        loss: f.loss,
        ber: f.ber,
        duplicate: f.duplicate,
        ...(f.burstLoss !== undefined ? { burstLoss: f.burstLoss } : {}),
        ...(f.reorder !== undefined
          ? { reorder: { probability: f.reorder.probability, delay: f.reorder.delayNs } }
          : {}),
      },
      schedule: link.schedule.map((e) => ({ at: e.atNs, state: e.state })),
    });
  }
}

/** ATM switches, hosts, links, PVCs and AAL5 sources; the ATM hosts join ctx.ipHosts. */
export function addAtm({ scenario, network, sim, ipHosts, own }: BuildContext): BuiltAtm | undefined {
  if (scenario.atm === undefined) return undefined;
  const first = scenario.atm.switches[0]?.name ?? scenario.atm.hosts[0]?.name;
  if (first !== undefined) own(first);
  // Traffic with no stop and circuits with no close run until the run ends (its duration as run, --duration included).
  const section = {
    ...scenario.atm,
    traffic: scenario.atm.traffic.map((t) => ({ ...t, stopNs: Math.min(t.stopNs ?? Infinity, scenario.durationNs) })),
    svcs: scenario.atm.svcs.map((v) => ({ ...v, closeNs: v.closeNs ?? scenario.durationNs })),
  };
  const atm = buildAtm(sim, section, new Map(scenario.routers.map((r) => [r.name, network.router(r.name)])));
  for (const [n, h] of atm.ipHosts) ipHosts.set(n, h as AnyIpHost);
  registerAtmCrashables(
    network,
    atm,
    scenario.atm.hosts.map((h) => h.name),
  );
  network.onDispose(() => atm.destroy());
  return atm;
}

function endpoint(e: ScenarioEndpoint): { device: string; port: number } {
  return { device: e.device, port: e.port };
}
