import { describe, expect, it } from "vitest";
import { MS, rpcWorld, workloadSpec } from "./support.js";

describe("rpc-udp happy path", () => {
  it("ten increments, each once", () => {
    const w = rpcWorld(workloadSpec());
    const r = w.finish(500 * MS);
    console.log(JSON.stringify(r, null, 1));
    expect(r.outcomes).toEqual({ ok: 10, failed: 0, unknown: 0, pending: 0 });
    expect(r.executionsPerCall).toEqual({ "0": 0, "1": 10 });
    expect(r.counters).toEqual({ s0: 10 });
  });
});
