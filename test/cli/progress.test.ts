import { describe, expect, it } from "vitest";
import { Network } from "../../src/run/network.js";
import { runWithProgress } from "../../src/cli/progress.js";

function star(): Network {
  const net = new Network({ seed: 5, frameSlots: 1024 });
  net.addSwitch("sw", { ports: 3 });
  for (let i = 0; i < 3; i++) {
    net.addHost(`h${i}`, { mac: `02:00:00:00:00:0${i + 1}` });
    net.connect(`h${i}`, `sw:${i}`, { rate: "100Mbps", delay: "1us", faults: { loss: 0.02 } });
    net.addPoissonSource(`h${i}`, {
      dst: `02:00:00:00:00:0${((i + 1) % 3) + 1}`,
      frameSize: 700,
      rate: "20Mbps",
      stop: "3ms",
    });
  }
  return net;
}

describe("runWithProgress", () => {
  it("slicing the run does not change the trajectory", () => {
    const whole = star();
    const sliced = star();
    const a = runWithProgress(whole, 4_000_000, { enabled: false });
    const b = runWithProgress(sliced, 4_000_000, { enabled: true, slices: 37 });
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(b.events).toBe(a.events);
    expect(b.simTimeNs).toBe(4_000_000);
    expect(JSON.stringify(sliced.stats().hosts)).toBe(JSON.stringify(whole.stats().hosts));
    for (const n of [whole, sliced]) {
      n.runToIdle();
      n.destroy();
    }
  });
});
