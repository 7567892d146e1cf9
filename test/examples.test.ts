// Every runnable example, run in full with its own seed, must keep its trajectory: the
// fingerprint is pinned. When a change moves one, verify the new behaviour by other means and
// update the pin in the same commit, saying why (STYLE.md, "fingerprint tests").
import { describe, expect, it } from "vitest";
import { loadScenario } from "../src/api/scenario.js";
import { buildScenario } from "../src/api/build-scenario.js";

const PINNED: Record<string, { fingerprint: string; events: number; datagrams: number }> = {
  // 16 hosts x 12,500 datagrams; ARP first, then every datagram arrives.
  "examples/star16.yaml": { fingerprint: "23f6ec711083255d", events: 1_000_576, datagrams: 200_000 },
};

describe("examples keep their pinned trajectories", () => {
  for (const [file, pin] of Object.entries(PINNED)) {
    it(file, () => {
      const scenario = loadScenario(file);
      const { network, flows } = buildScenario(scenario);
      const result = network.run(scenario.durationNs);
      const report = flows.toJSON();
      const sent = report.reduce((n, f) => n + f.sentPackets, 0);
      const received = report.reduce((n, f) => n + f.receivedPackets, 0);
      expect(sent).toBe(pin.datagrams);
      expect(received).toBe(pin.datagrams);
      expect(result.totalEvents).toBe(pin.events);
      expect(result.fingerprint).toBe(pin.fingerprint);
      // Drain what is still in flight, then every frame slot must be back.
      network.runToIdle();
      network.destroy();
    });
  }
});
