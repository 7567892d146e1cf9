// The two-phase-commit step of buildScenario: one TwoPhaseCommitWorkload per `workloads` entry of
// that type, in declaration order (traffic/two-phase-commit.ts).
//
// Contract:
// - Runs after the failures step: hosts with a `storage` section have their disk by then, and a
//   party's host without one gets the default disk here (ensureStorage).
// - Each party is a device of its host's partition; the generator runs with the coordinator.
// - The workloads are released by network.destroy()/dispose().

import { TwoPhaseCommitWorkload } from "../traffic/two-phase-commit.js";
import type { BuildContext } from "./build-context.js";

export function addCommitWorkloads({ scenario, network, sim, ipHosts, own }: BuildContext): TwoPhaseCommitWorkload[] {
  const out: TwoPhaseCommitWorkload[] = [];
  for (const spec of scenario.workloads) {
    if (spec.type !== "two-phase-commit") continue;
    out.push(new TwoPhaseCommitWorkload({ sim, ipHost: (n) => ipHosts.get(n)!, own }, spec));
  }
  if (out.length > 0)
    network.onDispose(() => {
      for (const w of out) w.destroy();
    });
  return out;
}
