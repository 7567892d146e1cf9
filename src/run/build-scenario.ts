// buildScenario: turns a validated Scenario (src/scenario/scenario.ts) into a runnable Network
// with per-flow statistics and its traffic attached, in named steps a reader can follow.
//
// Contract:
// - Devices are made in a fixed order (hosts, hostStack NICs, switches, routers, segments,
//   links, the ATM section, TCP layers, IP traffic, host stacks and message flows, workloads
//   (primary-backup services, stream-breaks), disks and failures, rpc-udp and two-phase-commit
//   workloads (after the disks: their servers use a configured disk, or get the default one),
//   each in declaration order), so a scenario and seed always give the same device ids, event
//   keys, random streams and fingerprint.
// - Sizing follows the scenario (./network-sizing.ts): the frame store and event queue grow
//   with the number of hosts and links, so small scenarios stay small.
// - With options.partition, the whole topology is built (device ids agree in every partition)
//   and each device is owned by the partition of the scenario name it was made for.
// - Flow ids: IP traffic first (index in scenario.traffic), then message flows.
// - What this version cannot build is refused with a NetloomError naming the scenario path,
//   never half-built: on any failure the network is destroyed before the error leaves.
// - Everything made is released by network.destroy()/dispose().

import { DEFAULT_SLOT_BYTES, type PartitionRole } from "../engine/simulation.js";
import type { KernelRuntime } from "../kernels/runtime.js";
import type { BuiltAtm } from "./atm-build.js";
import type { Scenario } from "../scenario/scenario.js";
import type { TcpLayer } from "../stacks/tcp/tcp-layer.js";
import { FlowStats } from "../trace/flow-stats.js";
import { LinkMonitor } from "../trace/link-monitor.js";
import type { MessageFlow } from "../traffic/message-traffic.js";
import type { PrimaryBackupRun } from "../traffic/primary-backup-workload.js";
import type { StreamBreaksRun } from "../traffic/stream-breaks.js";
import type { TransportFlow } from "../traffic/transport-traffic.js";
import type { UdpTrafficFlow } from "../traffic/udp-traffic.js";
import type { RpcUdpWorkloadRun } from "../traffic/rpc-udp-workload.js";
import { buildContext } from "./build-context.js";
import { type BuiltHostStack, startHostStacks } from "./build-host-stacks.js";
import {
  addAtm,
  addIpHosts,
  addLinks,
  addRouters,
  addSegments,
  addStackHostNics,
  addSwitches,
} from "./build-topology.js";
import { addFailures } from "./build-failures.js";
import { addRpcUdpWorkloads } from "./build-rpc-udp.js";
import { addCommitWorkloads } from "./build-two-phase-commit.js";
import type { TwoPhaseCommitWorkload } from "../traffic/two-phase-commit.js";
import { startPrimaryBackups } from "./build-primary-backup.js";
import { startStreamBreaks } from "./build-stream-breaks.js";
import { addTcpLayers, startIpTraffic } from "./build-traffic.js";
import { Network } from "./network.js";
import { frameSlotsFor, slotBytesFor } from "./network-sizing.js";

export type { BuiltHostStack } from "./build-host-stacks.js";

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
  /** rpc-udp workloads, in workloads order. */
  rpcUdp: RpcUdpWorkloadRun[];
  /**
   * Delay, jitter and frames in flight per link direction, keyed "<link>:0" and "<link>:1";
   * undefined unless options.linkStats (it costs a few calls per frame per link).
   */
  linkMonitor: LinkMonitor | undefined;
  /** primary-backup workloads, in workloads order. */
  primaryBackups: PrimaryBackupRun[];
  /** stream-breaks workloads, in workloads order. */
  streamBreaks: StreamBreaksRun[];
  /** two-phase-commit workloads, in workloads order. */
  commits: TwoPhaseCommitWorkload[];
}

export interface BuildOptions {
  runtime?: KernelRuntime;
  /** Follow every link direction's delay, jitter and frames in flight (default false). */
  linkStats?: boolean;
  /**
   * Build partition `partition.index` of a parallel run: the whole topology is built (device
   * ids agree everywhere) and each device is owned by `ownerOf(its scenario name)`.
   */
  partition?: PartitionRole & { ownerOf(name: string): number };
  /** Frame slots on top of what the scenario needs (frames held for other partitions). */
  extraFrameSlots?: number;
}

export function buildScenario(scenario: Scenario, options: BuildOptions = {}): BuiltScenario {
  const network = createNetwork(scenario, options);
  const ctx = buildContext(scenario, network, options.partition);
  try {
    addIpHosts(ctx);
    const stackNics = addStackHostNics(ctx);
    addSwitches(ctx);
    addRouters(ctx);
    addSegments(ctx);
    addLinks(ctx);
    const linkMonitor = options.linkStats === true ? watchLinks(scenario, network) : undefined;
    const atm = addAtm(ctx);
    const flows = new FlowStats(network.sim, { maxFlows: flowCapacity(scenario) });
    // Each flow's drops by reason, wherever its frames die (a partition hears its own devices').
    for (const point of network.dropPoints()) flows.attachDrops(point);
    const tcp = addTcpLayers(ctx);
    const { traffic, transports } = startIpTraffic(ctx, flows, tcp);
    const { hostStacks, messages } = startHostStacks(ctx, flows, stackNics);
    const primaryBackups = startPrimaryBackups(ctx);
    const streamBreaks = startStreamBreaks(ctx, tcp);
    addFailures(ctx);
    const rpcUdp = addRpcUdpWorkloads(ctx);
    const commits = addCommitWorkloads(ctx);
    return {
      scenario,
      network,
      flows,
      traffic,
      transports,
      tcp,
      atm,
      messages,
      hostStacks,
      primaryBackups,
      streamBreaks,
      rpcUdp,
      commits,
      linkMonitor,
    };
  } catch (err) {
    network.destroy();
    throw err;
  }
}

/** A LinkMonitor on both directions of every point-to-point link. */
function watchLinks(scenario: Scenario, network: Network): LinkMonitor {
  const monitor = new LinkMonitor();
  for (const l of scenario.links) {
    const link = network.link(l.name);
    for (const d of [0, 1]) {
      monitor.watch(
        `${l.name}:${d}`,
        link.trace[d]!,
        () => link.queueLength(d),
        () => !link.isUp,
      );
    }
  }
  network.onDispose(() => monitor.detach());
  return monitor;
}

/** The empty network, sized for the scenario (./network-sizing.ts). */
function createNetwork(scenario: Scenario, options: BuildOptions): Network {
  const slotBytes = slotBytesFor(scenario);
  const frameSlots = frameSlotsFor(scenario, slotBytes);
  const part = options.partition;
  return new Network({
    seed: scenario.seed,
    ...(slotBytes !== DEFAULT_SLOT_BYTES ? { slotBytes } : {}),
    frameSlots: frameSlots + (options.extraFrameSlots ?? 0),
    queueCapacity: Math.min(1 << 22, Math.max(1 << 16, frameSlots * 4)),
    ...(options.runtime !== undefined ? { runtime: options.runtime } : {}),
    ...(part !== undefined ? { partition: { index: part.index, crossing: part.crossing } } : {}),
  });
}

/** Flows a scenario's FlowStats must hold: IP traffic, then message flows. */
export function flowCapacity(s: Scenario): number {
  return Math.max(16, s.traffic.length + s.messageTraffic.length);
}
