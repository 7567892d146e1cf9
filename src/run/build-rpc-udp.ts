// The rpc-udp step of buildScenario: the scenario's rpc-udp workloads (name services, servers,
// clients), each node owned by its host's partition.
//
// Contract:
// - Runs after the failures step, so a host's configured `storage` is its disk and a server
//   host without one gets the default disk (nvme-2025) here; a scenario without rpc-udp
//   workloads builds nothing here.
// - One name service per (host, port), shared by the workloads that name it.
// - Everything made is released by network.destroy()/dispose().

import type { NameServiceNode } from "../traffic/rpc-udp-server-node.js";
import { startRpcUdpWorkload, type RpcUdpWorkloadRun } from "../traffic/rpc-udp-workload.js";
import type { BuildContext } from "./build-context.js";

export function addRpcUdpWorkloads({ scenario, network, sim, ipHosts, own }: BuildContext): RpcUdpWorkloadRun[] {
  const names = new Map<string, NameServiceNode>();
  const ctx = { sim, ipHost: (n: string) => ipHosts.get(n)!, own };
  const runs = scenario.workloads.filter((w) => w.type === "rpc-udp").map((w) => startRpcUdpWorkload(ctx, w, names));
  if (runs.length > 0) {
    network.onDispose(() => {
      for (const r of runs) r.destroy();
      for (const n of names.values()) n.destroy();
    });
  }
  return runs;
}
