import { describe, expect, it } from "vitest";
import { detectSplits } from "../../../src/stacks/primary-backup/split-brain.js";
import { finish, MS, twoSides } from "./support.js";

describe("primary-backup service", () => {
  it("serves every call through the primary, backups in step, no split", () => {
    const w = twoSides({ count: 20 });
    w.net.run(300 * MS);
    const st = w.run.state();
    for (const c of st.clients) {
      expect(c.counters.ok).toBe(20);
      expect(c.counters.failed).toBe(0);
      expect(c.beliefs).toEqual([{ atNs: 0, server: 0 }]);
    }
    const [p, b] = st.servers;
    expect(p!.role).toBe("primary");
    expect(b!.role).toBe("backup");
    expect(p!.committed).toBe(40);
    expect(b!.applied).toBe(40);
    expect(b!.digest).toBe(p!.digest);
    expect(detectSplits(st.servers, st.clients, 300 * MS).splits).toEqual([]);
    finish(w);
  });

  it("a partition makes two clients see two primaries; the heal ends it", () => {
    const w = twoSides({}, [
      { at: "100ms", state: "down" },
      { at: "500ms", state: "up" },
    ]);
    w.net.run(800 * MS);
    const st = w.run.state();
    const rep = detectSplits(st.servers, st.clients, 800 * MS);
    console.log(JSON.stringify(rep, null, 1), JSON.stringify(st.servers.map((s) => [s.roles, s.counters]), null, 1), JSON.stringify(st.clients.map((c) => [c.beliefs, c.counters])));
    expect(rep.splits).toHaveLength(1);
    finish(w);
  });
});
