// TOTAL over FC: the sequencer keeps its own messages (a second reference) while FC holds
// them in its backlog for want of credit; delivering them locally must not move the header
// under FC's feet (regression: every backlogged message then arrived with a bad TOTAL header).
import { describe, expect, it } from "vitest";
import { group, msgBytes } from "./support.js";

describe("TOTAL over FC", () => {
  it("a stream longer than FC's window arrives whole and in order at every member", () => {
    const g = group({ layers: ["TOTAL", "FC", "NAK", "COM"], extra: { fc: { window: 8 } } });
    const sent = Array.from({ length: 40 }, (_, i) => msgBytes(300, i));
    for (const m of sent) expect(g.send(0, m)).toBe(true);
    g.sim.scheduler.run(2e9);
    const fc = g.stacks[0]!.stats().byLayer.FC!;
    expect(fc.blocked).toBe(1); // the backlog was used
    for (const member of [0, 1]) {
      expect(g.received[member]!.map((r) => r.bytes)).toEqual(sent);
    }
    expect(g.stacks[1]!.stats().byLayer.TOTAL!.badHeader).toBe(0);
  });
});
