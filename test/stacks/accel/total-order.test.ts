// TOTAL over the accelerator under loss, many seeds: both members send, frames are lost both
// ways (cells on ATM, frames on Ethernet), and both still deliver all 54 messages in one order.
import { expect, it } from "vitest";
import { msgBytes, pair } from "./support.js";
for (let seed = 1; seed <= 8; seed++) {
  for (const net of ["atm", "ethernet"] as const) {
    it(`${net}, seed ${seed}: one total order despite loss`, () => {
      const p = pair({
        kind: "accelerated",
        net,
        frameSlots: 256,
        slotBytes: 2048,
        atmLink: { rate: "OC-3", delay: "20us", faults: { cellLoss: 0.02 } },
        ethLink: { rate: "155Mbps", delay: "20us", faults: { loss: 0.1 } },
        seed,
      });
      for (let k = 0; k < 40; k++) {
        p.send(0, msgBytes(300, k));
        if (k % 3 === 0) p.send(1, msgBytes(301, 100 + k));
      }
      p.sim.scheduler.runToIdle();
      const orders = p.received.map((r) => r.map((x) => `${x.src}:${x.bytes[0]}`));
      expect(orders[0]!.length).toBe(54);
      expect(orders[1]).toEqual(orders[0]);
    });
  }
}
