// socket vs layered vs fbufs on the same traffic: latency and CPU time must order as the model
// says (copies cost per byte, remaps per page), and the copies must really happen or not.
import { describe, expect, it } from "vitest";
import { CPU_OP_NAMES } from "../../../src/stacks/cost.js";
import { OneWay, PingPong } from "../../../src/stacks/layered/ping-pong.js";
import type { StackVariant } from "../../../src/stacks/layered/stack.js";
import { group } from "./support.js";

const LAYERS = ["NAK", "FRAG", "COM"];

function pingPong(variant: StackVariant, size: number, profile = "workstation-1995", rounds = 10, seed = 1) {
  const g = group({
    layers: LAYERS,
    variant,
    profile,
    slotBytes: 16384,
    link: { rate: "155Mbps", delay: "5us" },
    seed,
  });
  const pp = new PingPong(g.stacks[0]!, g.stacks[1]!, size, rounds);
  pp.start();
  g.sim.scheduler.runToIdle();
  expect(pp.done).toBe(true);
  expect(pp.mismatches).toBe(0);
  const cpuNs = g.cpus[0]!.totalNs() + g.cpus[1]!.totalNs();
  return {
    rtt: pp.meanRtt(),
    cpuPerMessage: cpuNs / (2 * rounds),
    copied: g.stacks[0]!.stats().bytesCopied + g.stacks[1]!.stats().bytesCopied,
    ops: g.cpus[0]!.stats().ops,
    fingerprint: g.sim.scheduler.fingerprint.toString(),
  };
}

describe("host stack variants", () => {
  for (const size of [1024, 8192]) {
    it(`${size}-byte ping-pong: socket > layered > fbufs in latency, CPU time and bytes copied`, () => {
      const s = pingPong("socket", size);
      const l = pingPong("layered", size);
      const f = pingPong("fbufs", size);
      expect(s.rtt).toBeGreaterThan(l.rtt);
      expect(l.rtt).toBeGreaterThan(f.rtt);
      expect(s.cpuPerMessage).toBeGreaterThan(l.cpuPerMessage);
      expect(l.cpuPerMessage).toBeGreaterThan(f.cpuPerMessage);
      expect(s.copied).toBeGreaterThan(l.copied);
      expect(l.copied).toBe(2 * 2 * 10 * size); // one copy in, one out, per message, both ways
      expect(f.copied).toBe(0);
      expect(f.ops.copy.count).toBe(0);
      expect(f.ops.pageRemap.count).toBeGreaterThan(0);
      expect(l.ops.pageRemap.count).toBe(0);
    });
  }

  it("a small message: remapping a page costs more than copying 64 bytes (fbufs pays off for large ones)", () => {
    const l = pingPong("layered", 64);
    const f = pingPong("fbufs", 64);
    const s = pingPong("socket", 64);
    expect(f.cpuPerMessage).toBeGreaterThan(l.cpuPerMessage);
    expect(s.cpuPerMessage).toBeGreaterThan(l.cpuPerMessage);
  });

  it("the 1995 workstation's socket round trip is hundreds of microseconds; the server's a few", () => {
    const ws = pingPong("socket", 64);
    expect(ws.rtt).toBeGreaterThan(200_000);
    expect(ws.rtt).toBeLessThan(2_000_000);
    const srv = pingPong("socket", 64, "server-2025");
    expect(srv.rtt).toBeLessThan(ws.rtt / 10);
    const perOp = Object.fromEntries(CPU_OP_NAMES.map((n) => [n, Math.round(ws.ops[n].ns / 20)]));
    // Every kind of work a socket stack does shows up in the per-message accounting.
    for (const n of [
      "systemCall",
      "layerCrossing",
      "copy",
      "checksum",
      "interrupt",
      "contextSwitch",
      "driver",
    ] as const) {
      expect(perOp[n]).toBeGreaterThan(0);
    }
  });

  it("one-way throughput: the socket stack's CPU limits it below the layered stack's", () => {
    const rates: number[] = [];
    for (const variant of ["socket", "layered", "fbufs"] as const) {
      const g = group({
        layers: ["FC", "NAK", "FRAG", "COM"],
        variant,
        slotBytes: 16384,
        rxBuffers: 256,
        link: { rate: "155Mbps", delay: "5us" },
      });
      const ow = new OneWay(g.stacks[0]!, g.stacks[1]!, 8192, 40);
      ow.start();
      g.sim.scheduler.runToIdle();
      expect(ow.received).toBe(40);
      rates.push(ow.goodput(0));
    }
    expect(rates[0]!).toBeLessThan(rates[1]!);
    expect(rates[1]!).toBeLessThan(rates[2]!);
  });

  it("is deterministic", () => {
    expect(pingPong("socket", 3000, "workstation-1995", 5, 9)).toEqual(
      pingPong("socket", 3000, "workstation-1995", 5, 9),
    );
  });
});
