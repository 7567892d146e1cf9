// The README's first command runs examples/kernels-tour.ts: keep it working and truthful.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("bundled example", () => {
  it("runs the kernel tour and every check it prints holds", () => {
    const out = execFileSync(process.execPath, ["--import", "tsx", "examples/kernels-tour.ts"], {
      encoding: "utf8",
      env: { ...process.env, NETLOOM_WASM_BUILD: "debug" },
    });
    expect(out).toMatch(/IPv4 header checksum verifies: true/);
    expect(out).toMatch(/UDP checksum verifies: true/);
    expect(out).toMatch(/FCS residue is 0x2144df1c: true/);
    expect(out).toMatch(/B->A in on port 2: forward to port 1/);
    expect(out).toMatch(/after the ATM switch: out port 3, VC 0\/200/);
    expect(out).toMatch(/reassembled: 71 bytes, status OK, identical: true/);
    expect(out).toMatch(/segment 1 -> ack 1024/);
    expect(out).toMatch(/heap regions still live: 1 /);
    expect(out).not.toMatch(/: false/);
  });
});
