// Packets still in flight when a run ends are not lost: every flow says what it sent, received,
// dropped (by reason) and had in flight, and loss counts drops only: in the reports, the CSV
// and the sweep's rows.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { flowsCsv } from "../../src/run/report-csv.js";
import { runScenario } from "../../src/run/run-scenario.js";
import runSweepPoint from "../../src/run/sweep-worker.js";
import { parsePlain } from "../../src/scenario/structured-text.js";
import { scenarioAtPoint } from "../../src/scenario/scenario.js";

const FILE = "examples/sweep-loss.yaml";
const document = parsePlain(readFileSync(FILE, "utf8"));

describe("in flight at the end is not loss", () => {
  it("at loss 0: loss 0, nothing dropped, the queued datagrams counted in flight", async () => {
    // 64-byte datagrams at 5 Mbit/s need more than the 10 Mbit/s WAN link carries with framing:
    // the queue before it grows all run long, so many datagrams are still queued at the end.
    const r = await runScenario(scenarioAtPoint(document, { size: 64, loss: 0, seed: 1 }, FILE));
    const f = r.flows[0]!;
    expect(f.droppedPackets).toBe(0);
    expect(f.drops).toEqual({});
    expect(f.loss).toBe(0);
    expect(f.inFlightPackets).toBeGreaterThan(0);
    expect(f.sentPackets).toBe(f.receivedPackets + f.inFlightPackets!);
    // The run's own WAN queue holds them: link counters agree.
    const wan = r.links.find((l) => l.id === "wan")!.directions[0]!;
    expect(wan.queueLength).toBeGreaterThan(0);
  });

  it("at 5% loss: the drops by reason make the loss, and the rest is in flight", async () => {
    const r = await runScenario(scenarioAtPoint(document, { size: 64, loss: 0.05, seed: 1 }, FILE));
    const f = r.flows[0]!;
    const wan = r.links.find((l) => l.id === "wan")!.directions[0]!;
    expect(f.drops).toEqual({ LOSS_RANDOM: wan.drops["LOSS_RANDOM"] });
    expect(f.droppedPackets).toBe(wan.drops["LOSS_RANDOM"]);
    expect(f.loss).toBe(f.droppedPackets / f.sentPackets);
    expect(Math.abs(f.loss! - 0.05)).toBeLessThan(0.015);
    expect(f.sentPackets).toBe(f.receivedPackets + f.droppedPackets + f.inFlightPackets!);
    expect(f.inFlightPackets).toBeGreaterThan(0);
    const csv = flowsCsv(r.flows).split("\r\n");
    const header = csv[0]!.split(",");
    const row = csv[1]!.split(",");
    expect(row[header.indexOf("droppedPackets")]).toBe(String(f.droppedPackets));
    expect(row[header.indexOf("inFlightPackets")]).toBe(String(f.inFlightPackets));
    expect(row[header.indexOf("drops.LOSS_RANDOM")]).toBe(String(f.droppedPackets));
    expect(row[header.indexOf("loss")]).toBe(String(f.loss));
  });

  it("the sweep's rows say the same: loss 0 at loss 0, in flight apart", async () => {
    const zero = await runSweepPoint({ document, source: FILE, point: { size: 64, loss: 0, seed: 1 }, index: 0 });
    expect(zero.status).toBe("ok");
    expect(zero.loss).toBe(0);
    expect(zero.droppedPackets).toBe(0);
    expect(zero.inFlightPackets).toBeGreaterThan(0);
    expect(zero.sentPackets).toBe(zero.receivedPackets! + zero.inFlightPackets!);
    const lossy = await runSweepPoint({ document, source: FILE, point: { size: 64, loss: 0.01, seed: 1 }, index: 1 });
    expect(lossy.loss).toBeGreaterThan(0);
    expect(lossy.drops).toEqual({ LOSS_RANDOM: lossy.droppedPackets });
  });

  it("a datagram the sender's stack refuses is a drop of its own reason", async () => {
    const { parseScenario } = await import("../../src/scenario/scenario.js");
    const r = await runScenario(
      parseScenario(`
duration: 2ms
hosts:
  - { name: a, ip: 10.0.0.1/24 }
  - { name: b, ip: 10.0.0.2/24 }
links:
  - { a: a, b: b, rate: 1Gbps, delay: 5us }
traffic:
  - { name: nowhere, type: cbr, from: a, to: 192.168.9.9, size: 100, rate: 800kbps }
`),
    );
    expect(r.flows[0]).toMatchObject({ sentPackets: 2, droppedPackets: 2, drops: { REFUSED_AT_SEND: 2 }, loss: 1 });
    expect(r.flows[0]!.inFlightPackets).toBe(0);
  });
});
