// buildScenario: turns a validated Scenario (src/scenario/scenario.ts) into a runnable Network with
// per-flow statistics and its traffic attached.
//
// Contract:
// - Devices are created in a fixed order (hosts, switches, routers, segments, links, traffic, each in
//   declaration order), so a scenario and seed always give the same device ids, event keys,
//   random streams and fingerprint.
// - Sizing follows the scenario: the frame store and event queue grow with the number of
//   hosts and links, so small scenarios stay small (issue 4 asks for < 200 MiB on star16).
// - Routers: one device port per interface, in declaration order; static routes and, with
//   routing "distance-vector", the RIP-like protocol of src/stacks/ip/distance-vector.ts.
// - What this version cannot build is refused up front with a NetloomError naming the scenario
//   path, never half-built.
// - hostStack hosts (issue 8): a bare NIC (network.addHost without ip), after the IP hosts, and
//   a HostCpu with the host's profile (`<host>.cpu`). Each ping-pong / message-stream flow gets
//   the pair of stacks from createMessageStack (src/compare/stack-factory.ts) on the two NICs,
//   `from` rank 0, `to` rank 1, and a driver device `traffic:<name>` whose start event (at
//   startNs) starts the workload (PingPong / OneWay, src/stacks/layered/ping-pong.ts), once
//   both stacks have finished setting up (U-Net and Active Messages register their endpoint
//   and channel with system calls first). Everything of a flow is registered under its
//   `from` host's ownership: the planner keeps both hosts in one partition.
// - Message flows count in FlowStats like IP flows (flow ids after the IP traffic's:
//   traffic.length + index in messageTraffic): sent = messages each stack accepted (both
//   directions for ping-pong), received = messages delivered to the applications; latency:
//   ping-pong the round trip of each round (send() of the ping to delivery of the answer),
//   message-stream the one-way time from the message's send() call (all at the start event,
//   back to back) to its delivery.
// - Every stack, CPU and pending start event is released by network.destroy()/dispose()
//   (onDispose: stacks first, they hold frames; then the CPUs' queued jobs).

import { ErrorCode, NetloomError } from "../base/errors.js";
import { atmRouterInterfaces, buildAtm, type BuiltAtm } from "../scenario/atm-build.js";
import { Network } from "./network.js";
import type { Scenario, ScenarioEndpoint } from "../scenario/scenario.js";
import { FlowStats } from "../trace/flow-stats.js";
import { startUdpTraffic, type UdpTrafficFlow } from "../traffic/udp-traffic.js";
import type { AnyIpHost } from "../stacks/ip/ip-host.js";
import { slotBytesForMtu } from "../stacks/ip/ip-link.js";
import { TcpLayer } from "../stacks/tcp/tcp-layer.js";
import { startTransportTraffic, type TransportFlow } from "../traffic/transport-traffic.js";
import { isTransportTraffic } from "../traffic/traffic-spec.js";
import { DEFAULT_SLOT_BYTES } from "../engine/simulation.js";
import type { KernelRuntime } from "../kernels/runtime.js";
import type { PartitionRole } from "../engine/simulation.js";
import type { ScenarioStackHost } from "../scenario/scenario.js";
import type { EthernetNic } from "../devices/nic.js";
import { createMessageStack, type BuiltStack } from "../compare/stack-factory.js";
import { HostCpu } from "../stacks/cost.js";
import type { MessageStack } from "../stacks/message-stack.js";
import { MessageFlow } from "../traffic/message-traffic.js";

export interface BuiltScenario {
  scenario: Scenario;
  network: Network;
  flows: FlowStats;
  traffic: UdpTrafficFlow[];
  /** tcp-bulk, nak-bulk and rpc flows, in traffic order (flowId = index in scenario.traffic). */
  transports: TransportFlow[];
  /** TCP layers of the hosts that run TCP traffic, by host name. */
  tcp: Map<string, TcpLayer>;
  /** The atm section's devices, when the scenario has one. */
  atm: BuiltAtm | undefined;
  /** ping-pong and message-stream flows, in messageTraffic order. */
  messages: MessageFlow[];
  /** Each hostStack host's CPU and (when it is in a message flow) stack, by host name. */
  hostStacks: Map<string, BuiltHostStack>;
}

export interface BuiltHostStack {
  host: ScenarioStackHost;
  cpu: HostCpu;
  /** Undefined for a hostStack host in no message flow (a stack needs its peer). */
  stack: MessageStack | undefined;
}

export interface BuildOptions {
  runtime?: KernelRuntime;
  /**
   * Build partition `partition.index` of a parallel run: the whole topology is built (device
   * ids agree everywhere) and each device is owned by `ownerOf(its scenario name)`.
   */
  partition?: PartitionRole & { ownerOf(name: string): number };
  /** Frame slots on top of what the scenario needs (frames held for other partitions). */
  extraFrameSlots?: number;
}

/**
 * Frame slots: 64 queued frames per link and direction-ish, plus per-host buffers, rounded up
 * to a power of two and capped at 65,536 (128 MiB of 2 KiB slots), so a few hundred hosts still
 * fit the default 256 MiB memory. A run that needs more counts allocation failures (NO_SLOT
 * drops in the stats) rather than failing.
 */
function frameSlotsFor(s: Scenario, slotBytes: number): number {
  const queued = s.links.reduce((n, l) => n + Math.min(l.queueLimit, 64), 0);
  const hosts =
    s.hosts.reduce((n, h) => n + h.rxBuffers + 16, 0) +
    s.stackHosts.reduce((n, h) => n + h.rxBuffers + 16 + STACK_HELD_SLOTS, 0);
  // Jumbo slots keep the byte budget of 2 KiB slots: the floor (4096 x 2 KiB) and the cap
  // (65,536 x 2 KiB = 128 MiB) shrink by the size ratio, in powers of two.
  const shrink = 2 ** Math.ceil(Math.log2(slotBytes / DEFAULT_SLOT_BYTES));
  const floor = Math.max(1024, 4096 / shrink);
  const cap = (1 << 16) / shrink;
  return Math.min(cap, Math.max(floor, 2 ** Math.ceil(Math.log2(queued + hosts + 1024))));
}

/**
 * Frame slot size: the default 2 KiB unless an interface's MTU needs more (jumbo frames):
 * headroom + the largest MTU + FCS, rounded up to 64 bytes (Simulation slotBytes).
 */
export function slotBytesFor(s: Scenario): number {
  let mtu = 0;
  for (const h of s.hosts) mtu = Math.max(mtu, h.mtu);
  for (const h of s.stackHosts) mtu = Math.max(mtu, h.mtu);
  for (const r of s.routers) for (const f of r.interfaces) mtu = Math.max(mtu, f.mtu);
  let bytes = Math.max(DEFAULT_SLOT_BYTES, slotBytesForMtu(mtu));
  // ATM: a frame holds a train of cells; the largest AAL5 PDU (9188 bytes: 192 cells) fits one.
  if (s.atm !== undefined) bytes = Math.max(bytes, ATM_SLOT_BYTES);
  // Host stacks hold a whole message in one slot (FRAG fragments it on the wire): the largest
  // message and the stack's headers, rounded up to 64 bytes.
  for (const t of s.messageTraffic) bytes = Math.max(bytes, Math.ceil((t.size + MESSAGE_HEADROOM) / 64) * 64);
  return bytes;
}

/** Headers of the deepest layered stack with room to spare (Ethernet 14 + every layer's). */
const MESSAGE_HEADROOM = 256;
/** Frame slots a host stack holds besides its NIC's receive chain (U-Net's segment: 256 buffers). */
const STACK_HELD_SLOTS = 256;

/** Frame slot bytes of a scenario with an atm section (a 192-cell train, 10,176 bytes, rounded up). */
const ATM_SLOT_BYTES = 10_240;

export function buildScenario(scenario: Scenario, options: BuildOptions = {}): BuiltScenario {
  const slotBytes = slotBytesFor(scenario);
  const frameSlots = frameSlotsFor(scenario, slotBytes);
  const part = options.partition;
  const network = new Network({
    seed: scenario.seed,
    ...(slotBytes !== DEFAULT_SLOT_BYTES ? { slotBytes } : {}),
    frameSlots: frameSlots + (options.extraFrameSlots ?? 0),
    queueCapacity: Math.min(1 << 22, Math.max(1 << 16, frameSlots * 4)),
    ...(options.runtime !== undefined ? { runtime: options.runtime } : {}),
    ...(part !== undefined ? { partition: { index: part.index, crossing: part.crossing } } : {}),
  });
  const sim = network.sim;
  // Every device registered while building `name` belongs to name's partition.
  const own = (name: string): void => {
    if (part !== undefined) sim.owner = part.ownerOf(name);
  };
  try {
    const ipHosts = new Map<string, AnyIpHost>();
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
    const stackNics = new Map<string, EthernetNic>();
    for (const h of scenario.stackHosts) {
      own(h.name);
      stackNics.set(h.name, network.addHost(h.name, { mac: h.mac, rxBuffers: h.rxBuffers, mtu: h.mtu }));
    }
    for (const sw of scenario.switches) {
      own(sw.name);
      network.addSwitch(sw.name, {
        ports: sw.ports,
        agingTime: sw.agingTimeNs,
        forwardingDelay: sw.forwardingDelayNs,
        fdbCapacity: sw.fdbCapacity,
      });
    }
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
    for (const link of scenario.links) {
      // The link's own id (down/up) goes with end a; each direction follows its sender.
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
    // ATM: switches, hosts, links, PVCs and AAL5 sources. The partitioner keeps every ATM device
    // (and each router with an ATM interface) in one partition, so one owner serves them all.
    let atm: BuiltAtm | undefined;
    if (scenario.atm !== undefined) {
      const first = scenario.atm.switches[0]?.name ?? scenario.atm.hosts[0]?.name;
      if (first !== undefined) own(first);
      atm = buildAtm(sim, scenario.atm, new Map(scenario.routers.map((r) => [r.name, network.router(r.name)])));
      for (const [n, h] of atm.ipHosts) ipHosts.set(n, h as AnyIpHost);
      const builtAtm = atm;
      network.onDispose(() => builtAtm.destroy());
    }
    const flows = new FlowStats(network.sim, { maxFlows: flowCapacity(scenario) });
    const traffic: UdpTrafficFlow[] = [];
    const transports: TransportFlow[] = [];
    // One TCP layer per host that runs TCP traffic, made before any flow (in host order) and
    // owned by its host: its timers run where the host's frames arrive.
    const tcp = new Map<string, TcpLayer>();
    const tcpHosts = new Set<string>();
    for (const t of scenario.traffic)
      if (t.type === "tcp-bulk" || t.type === "rpc") tcpHosts.add(t.from).add(t.to.host!);
    for (const name of ipHosts.keys()) {
      if (!tcpHosts.has(name)) continue;
      own(name);
      tcp.set(
        name,
        new TcpLayer(ipHosts.get(name)!, { maxConnections: 16 + scenario.traffic.length, inFlightCapacity: 4096 }),
      );
    }
    const transportCtx = {
      sim,
      flows,
      ipHost: (n: string) => ipHosts.get(n)!,
      tcp: (n: string) => tcp.get(n)!,
      own,
    };
    scenario.traffic.forEach((spec, flowId) => {
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
      traffic.push(startUdpTraffic(network.sim, flows, flowId, spec, ipHosts.get(spec.from)!, receivers));
    });
    network.onDispose(() => {
      for (const t of transports) t.destroy();
      for (const l of tcp.values()) l.destroy();
    });
    const hostStacks = new Map<string, BuiltHostStack>();
    const stacks: BuiltStack[] = [];
    const messages: MessageFlow[] = [];
    // Registered before anything is made, so a failure half way releases what was.
    network.onDispose(() => {
      for (const m of messages) m.destroy();
      for (const b of stacks) b.destroy();
      for (const h of hostStacks.values()) h.cpu.destroy();
    });
    for (const h of scenario.stackHosts) {
      own(h.name);
      hostStacks.set(h.name, {
        host: h,
        cpu: new HostCpu(sim, `${h.name}.cpu`, h.hostStack.profile),
        stack: undefined,
      });
    }
    scenario.messageTraffic.forEach((spec, k) => {
      const flowId = scenario.traffic.length + k;
      // Both ends run where `from` runs (the planner keeps a message pair together).
      own(spec.from);
      const ends = [hostStacks.get(spec.from)!, hostStacks.get(spec.to)!] as const;
      const members = ends.map((e) => stackNics.get(e.host.name)!.mac);
      const pair = ends.map((e, rank) => {
        const built = createMessageStack(sim, `${e.host.name}.stack`, {
          configuration: { stack: e.host.hostStack.configuration, layers: e.host.hostStack.layers },
          cpu: e.cpu,
          rank,
          attachment: { kind: "ethernet", nic: stackNics.get(e.host.name)!, members },
        });
        stacks.push(built);
        e.stack = built.stack;
        return built.stack;
      });
      const largest = Math.min(pair[0]!.maxMessage, pair[1]!.maxMessage);
      if (spec.size > largest) {
        throw new NetloomError(
          ErrorCode.INVALID_ARGUMENT,
          `${spec.size} bytes is more than the largest message ${pair[0]!.configuration} takes on these hosts (${largest} bytes)`,
          { path: `traffic[${spec.index}].size` },
        );
      }
      flows.defineFlow(flowId, { src: spec.from, dst: spec.to, label: spec.name });
      messages.push(new MessageFlow(sim, flows, flowId, spec, pair[0]!, pair[1]!, ends[0].host.hostStack.layers));
    });
    return { scenario, network, flows, traffic, transports, tcp, atm, messages, hostStacks };
  } catch (err) {
    network.destroy();
    throw err;
  }
}

function endpoint(e: ScenarioEndpoint): { device: string; port: number } {
  return { device: e.device, port: e.port };
}

/** Flows a scenario's FlowStats must hold: IP traffic, then message flows. */
export function flowCapacity(s: Scenario): number {
  return Math.max(16, s.traffic.length + s.messageTraffic.length);
}
