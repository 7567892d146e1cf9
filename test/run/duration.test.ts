// A run's duration as given at run time (netloom run --duration): traffic with no stop time of
// its own runs until the run ends, however long; a stop time the file gives is kept.
import { describe, expect, it } from "vitest";
import { runScenario } from "../../src/run/run-scenario.js";
import { parseScenario } from "../../src/scenario/scenario.js";

const FILE = `
name: lengthen
duration: 10ms
hosts:
  - { name: a, ip: 10.0.0.1/24 }
  - { name: b, ip: 10.0.0.2/24 }
links:
  - { a: a, b: b, rate: 1Gbps, delay: 5us }
traffic:
  - { name: open, type: cbr, from: a, to: b, size: 1000, rate: 8Mbps }
  - { name: closed, type: cbr, from: b, to: a, size: 1000, rate: 8Mbps, stop: 5ms }
  - { name: late, type: cbr, from: a, to: b, size: 1000, rate: 8Mbps, start: 15ms, dstPort: 9001 }
atm:
  switches: [{ name: s, ports: 2 }]
  hosts: [{ name: x }, { name: y }]
  links:
    - { a: x, b: "s:0", rate: OC-3, delay: 5us }
    - { a: "s:1", b: y, rate: OC-3, delay: 5us }
  pvcs: [{ name: v, path: [x, s, y] }]
  traffic: [{ name: cells, type: aal5, pvc: v, pduSize: 1000B, rate: 1000 }]
`;

async function sent(durationNs?: number): Promise<Record<string, number>> {
  const s = parseScenario(FILE);
  if (durationNs !== undefined) s.durationNs = durationNs;
  const r = await runScenario(s);
  return {
    open: r.flows[0]!.sentPackets,
    closed: r.flows[1]!.sentPackets,
    late: r.flows[2]!.sentPackets,
    cells: r.atm!.sources["cells"]!.sent,
  };
}

describe("the duration a run is given", () => {
  it("lengthens traffic without a stop time; a given stop stays", async () => {
    // 8 Mbit/s of 1000-byte payloads: one datagram per ms; 1000 PDUs per second: one per ms.
    expect(await sent()).toEqual({ open: 10, closed: 5, late: 0, cells: 10 });
    expect(await sent(30_000_000)).toEqual({ open: 30, closed: 5, late: 15, cells: 30 });
  });

  it("shortens it, and traffic starting after the end sends nothing", async () => {
    expect(await sent(3_000_000)).toEqual({ open: 3, closed: 3, late: 0, cells: 3 });
  });
});
