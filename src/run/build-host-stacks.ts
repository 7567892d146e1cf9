// The host-stack step of buildScenario: a HostCpu for every hostStack host and the message
// flows (ping-pong, message-stream) between them.
//
// Contract:
// - Each hostStack host gets a HostCpu with its profile (`<host>.cpu`). Each message flow gets
//   the pair of stacks from createMessageStack (src/compare/stack-factory.ts) on the two NICs,
//   `from` rank 0, `to` rank 1, and a MessageFlow (src/traffic/message-traffic.ts) that starts
//   the workload at startNs once both stacks have set up. Everything of a flow belongs to its
//   `from` host's partition: the planner keeps both hosts in one.
// - Message flow ids follow the IP traffic's: traffic.length + index in messageTraffic.
// - A message larger than the pair of stacks takes is refused with a NetloomError naming
//   traffic[i].size.
// - Every stack, CPU and message flow is released by network.destroy() (stacks first, they
//   hold frames; then the CPUs' queued jobs), registered before anything is made so a failure
//   half way releases what was.

import { ErrorCode, NetloomError } from "../base/errors.js";
import { type BuiltStack, createMessageStack } from "../compare/stack-factory.js";
import type { EthernetNic } from "../devices/nic.js";
import type { MessageScenarioTraffic } from "../traffic/traffic-spec.js";
import type { ScenarioStackHost } from "../scenario/scenario.js";
import { HostCpu } from "../stacks/cost.js";
import type { MessageStack } from "../stacks/message-stack.js";
import type { FlowStats } from "../trace/flow-stats.js";
import { MessageFlow } from "../traffic/message-traffic.js";
import type { BuildContext } from "./build-context.js";

export interface BuiltHostStack {
  host: ScenarioStackHost;
  cpu: HostCpu;
  /** Undefined for a hostStack host in no message flow (a stack needs its peer). */
  stack: MessageStack | undefined;
}

export interface HostStacks {
  /** Each hostStack host's CPU and stack, by host name. */
  hostStacks: Map<string, BuiltHostStack>;
  /** In messageTraffic order. */
  messages: MessageFlow[];
}

export function startHostStacks(ctx: BuildContext, flows: FlowStats, nics: Map<string, EthernetNic>): HostStacks {
  const { scenario, network, sim, own } = ctx;
  const hostStacks = new Map<string, BuiltHostStack>();
  const stacks: BuiltStack[] = [];
  const messages: MessageFlow[] = [];
  network.onDispose(() => {
    for (const m of messages) m.destroy();
    for (const b of stacks) b.destroy();
    for (const h of hostStacks.values()) h.cpu.destroy();
  });
  for (const h of scenario.stackHosts) {
    own(h.name);
    hostStacks.set(h.name, { host: h, cpu: new HostCpu(sim, `${h.name}.cpu`, h.hostStack.profile), stack: undefined });
  }
  scenario.messageTraffic.forEach((spec, k) => {
    const flowId = scenario.traffic.length + k;
    // Both ends run where `from` runs (the planner keeps a message pair together).
    own(spec.from);
    const ends = [hostStacks.get(spec.from)!, hostStacks.get(spec.to)!] as const;
    const pair = stackPair(ctx, ends, nics, stacks);
    checkMessageSize(spec, pair);
    flows.defineFlow(flowId, { src: spec.from, dst: spec.to, label: spec.name });
    messages.push(new MessageFlow(sim, flows, flowId, spec, pair[0], pair[1], ends[0].host.hostStack.layers));
  });
  return { hostStacks, messages };
}

/** The two stacks of one message flow on the hosts' NICs (rank = position in `ends`). */
function stackPair(
  { sim }: BuildContext,
  ends: readonly [BuiltHostStack, BuiltHostStack],
  nics: Map<string, EthernetNic>,
  stacks: BuiltStack[],
): [MessageStack, MessageStack] {
  const members = ends.map((e) => nics.get(e.host.name)!.mac);
  const [a, b] = ends.map((e, rank) => {
    const built = createMessageStack(sim, `${e.host.name}.stack`, {
      configuration: { stack: e.host.hostStack.configuration, layers: e.host.hostStack.layers },
      cpu: e.cpu,
      rank,
      attachment: { kind: "ethernet", nic: nics.get(e.host.name)!, members },
    });
    stacks.push(built);
    e.stack = built.stack;
    return built.stack;
  });
  return [a!, b!];
}

function checkMessageSize(spec: MessageScenarioTraffic, pair: [MessageStack, MessageStack]): void {
  const largest = Math.min(pair[0].maxMessage, pair[1].maxMessage);
  if (spec.size > largest) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `${spec.size} bytes is more than the largest message ${pair[0].configuration} takes on these hosts (${largest} bytes)`,
      { path: `traffic[${spec.index}].size` },
    );
  }
}
