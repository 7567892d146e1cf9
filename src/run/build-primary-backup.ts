// The primary-backup step of buildScenario: one service per `type: primary-backup` workload,
// in workloads order, its servers and clients registered where their hosts run.
//
// Contract: made after the traffic step and before the failures step; a scenario without such
// workloads makes no device here. The services are destroyed by network.destroy()/dispose().

import { PrimaryBackupRun } from "../traffic/primary-backup-workload.js";
import type { BuildContext } from "./build-context.js";

export function startPrimaryBackups(ctx: BuildContext): PrimaryBackupRun[] {
  const { scenario, network, sim, ipHosts, own } = ctx;
  const runs: PrimaryBackupRun[] = [];
  for (const w of scenario.workloads) {
    if (w.type !== "primary-backup") continue;
    runs.push(new PrimaryBackupRun({ sim, ipHost: (n) => ipHosts.get(n)!, own }, w));
  }
  if (runs.length > 0)
    network.onDispose(() => {
      for (const r of runs) r.destroy();
    });
  return runs;
}
