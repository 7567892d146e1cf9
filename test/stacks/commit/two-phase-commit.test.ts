import { describe, expect, it } from "vitest";
import { commitSpec, commitWorld } from "./support.js";

describe("two-phase commit", () => {
  it("happy path: every transaction commits everywhere", () => {
    const w = commitWorld(commitSpec());
    const r = w.finish("100ms");
    console.log(JSON.stringify(r, null, 1));
    expect(r.transactions.committed).toBe(20);
  });
});
