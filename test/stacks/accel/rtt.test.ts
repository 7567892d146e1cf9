// The comparison of ch. 18.7: a ping-pong of small messages over the same five layers, plain
// layered stack vs the protocol accelerator, on the 1995 workstation over 155 Mbit/s paths.
import { describe, expect, it } from "vitest";
import { PingPong } from "../../../src/stacks/layered/ping-pong.js";
import type { AcceleratedStackStats } from "../../../src/stacks/accel/accelerator.js";
import { pair } from "./support.js";

function rtt(kind: "accelerated" | "layered", net: "ethernet" | "atm", size = 8, rounds = 50) {
  const p = pair({ kind, net });
  const pp = new PingPong(p.stacks[0]!, p.stacks[1]!, size, rounds);
  pp.start();
  p.sim.scheduler.runToIdle();
  expect(pp.done).toBe(true);
  expect(pp.mismatches).toBe(0);
  return {
    rtt: pp.meanRtt(),
    stats: p.stacks.map((s) => s.stats()),
    cpuNs: p.cpus[0]!.totalNs() + p.cpus[1]!.totalNs(),
  };
}

describe("ping-pong of 8-byte messages on workstation-1995, five layers", () => {
  for (const net of ["ethernet", "atm"] as const) {
    it(`${net}: the accelerator cuts the round trip several times over`, () => {
      const l = rtt("layered", net);
      const a = rtt("accelerated", net);
      console.log(
        `${net}: layered ${(l.rtt / 1000).toFixed(1)} us, accelerated ${(a.rtt / 1000).toFixed(1)} us, ratio ${(l.rtt / a.rtt).toFixed(1)}x; CPU per round trip layered ${(l.cpuNs / 50 / 1000).toFixed(1)} us, accelerated ${(a.cpuNs / 50 / 1000).toFixed(1)} us`,
      );
      expect(l.rtt).toBeGreaterThan(700_000); // of the order of a millisecond (806 us measured)
      expect(a.rtt * 5).toBeLessThan(l.rtt);
      const s = a.stats[1] as AcceleratedStackStats;
      expect(s.predictionHits).toBeGreaterThan(40);
    });
  }
});
