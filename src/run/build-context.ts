// What the steps of buildScenario share while they build one network: the scenario, the
// network, the IP hosts made so far, and who owns the devices made next.
//
// Contract: own(name) makes every device registered after it belong to the partition that
// runs `name` (a no-op outside a partitioned run); steps call it before each device they
// make, so ownership never depends on which step ran before.

import type { Simulation } from "../engine/simulation.js";
import type { Scenario } from "../scenario/scenario.js";
import type { AnyIpHost } from "../stacks/ip/ip-host.js";
import type { Network } from "./network.js";

export interface BuildContext {
  readonly scenario: Scenario;
  readonly network: Network;
  readonly sim: Simulation;
  /** IP hosts by scenario name: the hosts section's, then the atm section's. */
  readonly ipHosts: Map<string, AnyIpHost>;
  own(name: string): void;
}

export function buildContext(
  scenario: Scenario,
  network: Network,
  partition: { ownerOf(name: string): number } | undefined,
): BuildContext {
  const sim = network.sim;
  return {
    scenario,
    network,
    sim,
    ipHosts: new Map(),
    own: (name: string): void => {
      if (partition !== undefined) sim.owner = partition.ownerOf(name);
    },
  };
}
