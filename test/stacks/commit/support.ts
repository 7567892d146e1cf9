// A commit workload on a small LAN built with the Network API: coordinator c and participants
// p0..p(n-1) on one switch, 100 Mbit/s links with 50 us delay, each host with stable storage.
import { expect } from "vitest";
import { Network } from "../../../src/run/network.js";
import type { DiskProfile } from "../../../src/devices/stable-storage.js";
import { TwoPhaseCommitWorkload } from "../../../src/traffic/two-phase-commit.js";
import type { TwoPhaseCommitSpec } from "../../../src/traffic/commit-spec.js";
import { commitReport, type TwoPhaseCommitReport } from "../../../src/traffic/commit-report.js";

/** Syncs in 100 us: the log matters, but does not dominate a 50 us link. */
export const TEST_DISK: DiskProfile = { name: "test", writeNs: 1_000, syncNs: 100_000, bandwidthBps: 1e9 };

export function commitSpec(over: Partial<TwoPhaseCommitSpec> = {}, n = 4): TwoPhaseCommitSpec {
  return {
    type: "two-phase-commit",
    name: "tx",
    coordinator: "c",
    participants: Array.from({ length: n }, (_, i) => `p${i}`),
    protocol: "2pc",
    transport: "udp",
    port: 7200,
    startNs: 1_000_000,
    stopNs: 1e12,
    intervalNs: 1_000_000,
    count: 20,
    fanout: n,
    voteNo: 0,
    workNs: 100_000,
    timeouts: { voteRequestNs: 20_000_000, votesNs: 10_000_000, decisionNs: 10_000_000, retransmitNs: 2_000_000 },
    maxActive: 256,
    ...over,
  };
}

export interface CommitWorld {
  net: Network;
  workload: TwoPhaseCommitWorkload;
  report(endNs: number): TwoPhaseCommitReport;
  /** Runs to `end`, stops the workload, drains, checks no frame slot leaked, destroys. */
  finish(end: string | number): TwoPhaseCommitReport;
}

export function commitWorld(
  spec: TwoPhaseCommitSpec,
  options: { seed?: number; loss?: number; disk?: DiskProfile; maxRecords?: Record<string, number> } = {},
): CommitWorld {
  const net = new Network({ seed: options.seed ?? 1, frameSlots: 2048 });
  const names = [spec.coordinator, ...spec.participants];
  net.addSwitch("sw", { ports: names.length });
  names.forEach((n, i) => {
    net.addHost(n, { ip: { address: `10.0.0.${i + 1}/24` } });
    const maxRecords = options.maxRecords?.[n];
    net
      .ipHost(n)
      .ensureStorage({ disk: options.disk ?? TEST_DISK, ...(maxRecords !== undefined ? { maxRecords } : {}) });
    net.connect(n, `sw:${i}`, {
      rate: 100e6,
      delay: 50_000,
      name: `${n}-sw`,
      ...(options.loss !== undefined ? { faults: { loss: options.loss } } : {}),
    });
  });
  const workload = new TwoPhaseCommitWorkload({ sim: net.sim, ipHost: (h) => net.ipHost(h), own: () => {} }, spec);
  const report = (endNs: number) => commitReport(spec, workload.state(endNs));
  return {
    net,
    workload,
    report,
    finish(end) {
      const r = net.run(end);
      const rep = report(r.simTimeNs);
      workload.destroy();
      net.runToIdle();
      expect(net.sim.frames.leaks()).toEqual([]);
      net.destroy(); // throws on a leaked frame slot
      return rep;
    },
  };
}
