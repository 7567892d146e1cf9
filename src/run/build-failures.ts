// The failures step of buildScenario: the disks of hosts with `storage`, then the scenario's
// crashes, random failures and partitions (scenario/check-failures.ts has checked them).
//
// Contract:
// - Runs after every other step, so a scenario without failures or storage builds exactly the
//   devices (and ids, event keys, fingerprint) it built before failures existed.
// - Disks in host order, then one failure agent per crashing device in failures order: every
//   partition makes the same devices in the same order, each owned where its host runs.
// - A restarted IP host joins its configured multicast groups again (configuration, not
//   volatile state); traffic sockets bind again by themselves (traffic/udp-port-demux.ts).

import type { BuildContext } from "./build-context.js";

export function addFailures({ scenario, network, ipHosts, own }: BuildContext): void {
  for (const h of scenario.hosts) {
    if (h.storage === undefined) continue;
    own(h.name);
    const s = h.storage;
    ipHosts.get(h.name)!.ensureStorage({
      disk: { name: s.disk, writeNs: s.writeNs, syncNs: s.syncNs, bandwidthBps: s.bandwidthBps },
      maxRecords: s.maxRecords,
      maxBytes: s.maxBytes,
    });
  }
  const rejoining = new Set<string>();
  for (const f of scenario.failures) {
    if (f.kind === "partition") {
      network.partition(f.name, f.groups, f.atNs, f.healAtNs);
      continue;
    }
    own(f.device);
    if (f.kind === "crash") network.crash(f.device, f.atNs, f.restartAtNs);
    else
      network.failRandomly(f.device, {
        mtbf: f.mtbfNs,
        mttr: f.mttrNs,
        ...(f.untilNs !== undefined ? { until: f.untilNs } : {}),
      });
    const groups = scenario.hosts.find((h) => h.name === f.device)?.multicast ?? [];
    if (groups.length === 0 || rejoining.has(f.device)) continue;
    rejoining.add(f.device);
    const host = ipHosts.get(f.device)!;
    host.onRestart(() => {
      for (const g of groups) host.joinGroup(g);
    });
  }
}
