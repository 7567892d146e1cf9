// Test harness for the primary-backup service: two switches joined by a trunk, servers and
// clients spread over them, the service built by the workload module on the Network API.
import { expect } from "vitest";
import { Network } from "../../../src/run/network.js";
import type { LinkScheduleEntry } from "../../../src/devices/link.js";
import { PrimaryBackupRun, type PrimaryBackupSpec } from "../../../src/traffic/primary-backup-workload.js";

export const MS = 1_000_000;

export const BASE_SPEC: PrimaryBackupSpec = {
  name: "svc",
  type: "primary-backup",
  servers: ["p", "b"],
  clients: ["c1", "c2"],
  port: 7300,
  startNs: 1 * MS,
  stopNs: Number.POSITIVE_INFINITY,
  intervalNs: 5 * MS,
  count: undefined,
  timeoutNs: 20 * MS,
  retries: 2,
  heartbeatPeriodNs: 10 * MS,
  heartbeatTimeoutNs: 50 * MS,
  updateTimeoutNs: 10 * MS,
  updateRetries: 3,
  failover: true,
  takeover: "both",
};

export interface PbWorld {
  net: Network;
  run: PrimaryBackupRun;
}

/**
 * Switch s1 holds p and c2, switch s2 holds b and c1 (and s3, c3 when asked); the trunk
 * s1-s2 follows `trunk` (down/up times): a partition {p, c2} | {b, c1} while it is down.
 */
export function twoSides(spec: Partial<PrimaryBackupSpec> = {}, trunk: LinkScheduleEntry[] = [], seed = 1): PbWorld {
  const net = new Network({ seed, frameSlots: 2048 });
  net.addSwitch("s1", { ports: 4 });
  net.addSwitch("s2", { ports: 4 });
  const hosts: [string, string, string][] = [
    ["p", "10.0.0.1", "s1:0"],
    ["c2", "10.0.0.12", "s1:1"],
    ["b", "10.0.0.2", "s2:0"],
    ["c1", "10.0.0.11", "s2:1"],
    ["s3", "10.0.0.3", "s1:2"],
    ["c3", "10.0.0.13", "s2:2"],
  ];
  hosts.forEach(([name, ip, port], i) => {
    net.addHost(name, { mac: `02:00:00:00:00:${(i + 1).toString(16).padStart(2, "0")}`, ip: { address: `${ip}/24` } });
    net.connect(name, port, { rate: "100Mbps", delay: "10us" });
  });
  net.connect("s1:3", "s2:3", { rate: "100Mbps", delay: "50us", name: "trunk", schedule: trunk });
  const full = { ...BASE_SPEC, ...spec };
  const run = new PrimaryBackupRun({ sim: net.sim, ipHost: (n) => net.ipHost(n), own: () => {} }, full);
  return { net, run };
}

/** Destroys the service, drains the network and checks that every frame slot came back. */
export function finish(w: PbWorld): void {
  w.run.destroy();
  w.net.runToIdle();
  expect(w.net.sim.frames.leaks()).toEqual([]);
  w.net.destroy();
}
