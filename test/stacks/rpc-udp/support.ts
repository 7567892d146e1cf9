// Harness for the RPC-over-UDP tests: clients, servers and an optional name-service host on one
// switch, an rpc-udp workload built on them through the Network API, and the teardown that
// checks every frame slot came back (after crashes too).
import { expect } from "vitest";
import type { LinkFaults } from "../../../src/devices/link.js";
import { Network } from "../../../src/run/network.js";
import type { RpcUdpWorkload } from "../../../src/traffic/rpc-udp-spec.js";
import { rpcUdpReport, type RpcUdpReport } from "../../../src/traffic/rpc-udp-report.js";
import { RpcUdpWorkloadRun } from "../../../src/traffic/rpc-udp-workload.js";
import type { NameServiceNode } from "../../../src/traffic/rpc-udp-server-node.js";

export const MS = 1_000_000;

export function workloadSpec(over: Partial<RpcUdpWorkload> = {}): RpcUdpWorkload {
  return {
    name: "bank",
    type: "rpc-udp",
    index: 0,
    clients: ["c0"],
    servers: ["s0"],
    nameService: undefined,
    nameServicePort: 7201,
    port: 7200,
    semantics: "at-most-once",
    operation: "increment",
    count: 10,
    intervalNs: 10 * MS,
    arrivals: "fixed",
    startNs: 5 * MS,
    stopNs: Number.MAX_SAFE_INTEGER,
    argumentBytes: 64,
    resultBytes: 64,
    amount: 1,
    initialValue: 0,
    executionNs: 1 * MS,
    retransmitNs: 20 * MS,
    retries: 4,
    ackDelayNs: 5 * MS,
    nakDelayNs: 2 * MS,
    fragmentBytes: 0,
    duplicateTable: 1024,
    maxExecuting: 64,
    queueLimit: 64,
    rebindDelayNs: 50 * MS,
    exterminateOrphans: true,
    ...over,
  };
}

export interface RpcWorld {
  net: Network;
  run: RpcUdpWorkloadRun;
  /** Faults of the link from `host` to the switch, both ways, set before the run. */
  report(): RpcUdpReport;
  /** Runs to `t`, then drains, destroys everything and checks the frame pool is empty. */
  finish(t: number | string): RpcUdpReport;
}

export interface WorldOptions {
  seed?: number;
  /** Link faults per host (its link to the switch), from 2 ms on (ARP is resolved first). */
  faults?: Record<string, Partial<LinkFaults>>;
  /** MTU of every host. */
  mtu?: number;
  /** Crashes: host, at, restartAt. */
  crashes?: [string, number, number?][];
  rate?: number;
  /** Disk profile per host (others get the default when their server makes one). */
  disks?: Record<string, "disk-1995" | "nvme-2025">;
  /** Most records per host's log. */
  maxRecords?: Record<string, number>;
  /** Link outages: host (its link to the switch), down at, up at. */
  outages?: [string, number, number][];
}

export function rpcWorld(spec: RpcUdpWorkload, o: WorldOptions = {}): RpcWorld {
  const net = new Network({ seed: o.seed ?? 1, frameSlots: 2048 });
  const hosts = [...new Set([...spec.clients, ...spec.servers, ...(spec.nameService ? [spec.nameService] : [])])];
  net.addSwitch("sw", { ports: hosts.length });
  hosts.forEach((h, i) => {
    net.addHost(h, { ip: { address: `10.0.0.${i + 1}/24`, ...(o.mtu !== undefined ? { mtu: o.mtu } : {}) } });
    net.connect(h, `sw:${i}`, {
      name: `${h}-sw`,
      rate: o.rate ?? 100e6,
      delay: 100_000,
      ...(o.mtu !== undefined ? { mtu: o.mtu } : {}),
    });
  });
  for (const [h, disk] of Object.entries(o.disks ?? {})) net.ipHost(h).ensureStorage({ disk });
  for (const [h, maxRecords] of Object.entries(o.maxRecords ?? {})) net.ipHost(h).ensureStorage({ maxRecords });
  const names = new Map<string, NameServiceNode>();
  const run = new RpcUdpWorkloadRun({ sim: net.sim, ipHost: (n) => net.ipHost(n), own: () => {} }, spec, names);
  if (o.faults !== undefined) {
    // ARP first, on clean links (a lost ARP reply waits a whole ARP retry), then the faults.
    for (const a of hosts) for (const b of hosts) if (a !== b) net.ipHost(a).ping(net.ipHost(b).ip, 8);
    net.run(2 * MS);
    for (const [h, f] of Object.entries(o.faults)) net.link(`${h}-sw`).setFaults(f);
  }
  for (const [h, at, restartAt] of o.crashes ?? []) net.crash(h, at, restartAt);
  for (const [h, down, up] of o.outages ?? []) {
    net.link(`${h}-sw`).setDown(down);
    net.link(`${h}-sw`).setUp(up);
  }
  const report = () => rpcUdpReport(spec, run.state());
  return {
    net,
    run,
    report,
    finish(t) {
      net.run(t);
      const r = report();
      run.destroy();
      for (const ns of names.values()) ns.destroy();
      net.runToIdle();
      expect(net.sim.frames.stats().inUse).toBe(0);
      net.destroy();
      return r;
    },
  };
}
