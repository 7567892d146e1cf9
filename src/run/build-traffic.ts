// The traffic step of buildScenario: the TCP layers and the flows of the scenario's IP traffic
// (UDP datagrams and the tcp-bulk, nak-bulk and rpc transports), flow id = index in
// scenario.traffic, each flow a device of its `from` host.
//
// Contract:
// - One TCP layer per host that runs TCP traffic or a stream-breaks workload, made before any flow (in host order) and
//   owned by its host: its timers run where the host's frames arrive.
// - UDP receivers: the destination host, or every member host of a multicast group; none when
//   the destination is not a scenario host. Each host's traffic sockets get its
//   stack.mailboxLimit.
// - Traffic with no stop time of its own stops at the scenario's duration as run (so a longer
//   --duration lengthens it); a stop that was given is kept unless it is past the end.
// - Transports and TCP layers are released by network.destroy(), registered once every flow
//   has started.

import { TcpLayer } from "../stacks/tcp/tcp-layer.js";
import type { FlowStats } from "../trace/flow-stats.js";
import { isTransportTraffic } from "../traffic/traffic-spec.js";
import { startTransportTraffic, type TransportFlow } from "../traffic/transport-traffic.js";
import { startUdpTraffic, type UdpTrafficFlow } from "../traffic/udp-traffic.js";
import type { BuildContext } from "./build-context.js";
import { SCENARIO_DEFAULTS } from "../scenario/scenario-defaults.js";
import type { AnyIpHost } from "../stacks/ip/ip-host.js";

/** TCP layers by host name, for the hosts at either end of a tcp-bulk or rpc flow. */
export function addTcpLayers({ scenario, ipHosts, own }: BuildContext): Map<string, TcpLayer> {
  const tcp = new Map<string, TcpLayer>();
  const tcpHosts = new Set<string>();
  for (const t of scenario.traffic) if (t.type === "tcp-bulk" || t.type === "rpc") tcpHosts.add(t.from).add(t.to.host!);
  // Stream-breaks workloads: their streams take connection slots at both ends.
  const streams = new Map<string, number>();
  for (const w of scenario.workloads) {
    if (w.type !== "stream-breaks") continue;
    for (const h of [w.from, w.to]) {
      tcpHosts.add(h);
      streams.set(h, (streams.get(h) ?? 0) + w.streams);
    }
  }
  for (const name of ipHosts.keys()) {
    if (!tcpHosts.has(name)) continue;
    own(name);
    const maxConnections = 16 + scenario.traffic.length + (streams.get(name) ?? 0);
    tcp.set(name, new TcpLayer(ipHosts.get(name)!, { maxConnections, inFlightCapacity: 4096 }));
  }
  return tcp;
}

export interface IpTraffic {
  traffic: UdpTrafficFlow[];
  transports: TransportFlow[];
}

/** Defines every IP flow in `flows` and starts it, in traffic order. */
export function startIpTraffic(ctx: BuildContext, flows: FlowStats, tcp: Map<string, TcpLayer>): IpTraffic {
  const { scenario, network, sim, ipHosts, own } = ctx;
  const traffic: UdpTrafficFlow[] = [];
  const transports: TransportFlow[] = [];
  // Each host's sockets hold stack.mailboxLimit datagrams (the atm section's hosts: the default).
  const limits = new Map(scenario.hosts.map((h) => [ipHosts.get(h.name)!, h.stack.mailboxLimit]));
  const mailboxLimit = (host: AnyIpHost): number => limits.get(host) ?? SCENARIO_DEFAULTS.stack.mailboxLimit;
  const transportCtx = {
    sim,
    flows,
    ipHost: (n: string) => ipHosts.get(n)!,
    tcp: (n: string) => tcp.get(n)!,
    own,
  };
  scenario.traffic.forEach((given, flowId) => {
    // No stop of its own: the traffic runs until the run ends, at the duration it is run for; a
    // stop past the end is the end (nothing is sent at the last instant, when it cannot arrive).
    // Traffic that would start after a shortened run's end sends nothing.
    const end = scenario.durationNs;
    const stopNs = Math.max(given.startNs, Math.min(given.stopNs ?? end, end));
    const spec = stopNs === given.stopNs ? given : { ...given, stopNs };
    own(spec.from);
    flows.defineFlow(flowId, { src: spec.from, dst: spec.to.host ?? spec.to.address, label: spec.name });
    if (isTransportTraffic(spec)) {
      transports.push(startTransportTraffic(transportCtx, flowId, spec));
      return;
    }
    const receivers = spec.to.multicast
      ? scenario.hosts.filter((h) => h.multicast.includes(spec.to.address)).map((h) => ipHosts.get(h.name)!)
      : spec.to.host !== undefined
        ? [ipHosts.get(spec.to.host)!]
        : [];
    traffic.push(
      startUdpTraffic(network.sim, flows, flowId, spec, ipHosts.get(spec.from)!, receivers, { mailboxLimit }),
    );
  });
  network.onDispose(() => {
    for (const t of transports) t.destroy();
    for (const l of tcp.values()) l.destroy();
  });
  return { traffic, transports };
}
