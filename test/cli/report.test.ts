// `netloom run --report`, the scenario's outputs.report and `netloom sweep --report` as a user
// runs them: a child process writes one self-contained HTML file (no script, no other file).
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { tempDir } from "../support/tshark.js";

function netloom(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The page loads nothing: no script, no src or href attribute, no stylesheet link. */
function expectSelfContained(html: string): void {
  expect(html.startsWith("<!doctype html>")).toBe(true);
  expect(html).not.toMatch(/<script|<link|\ssrc=|\shref=|@import|url\(/i);
}

describe("netloom run --report", () => {
  it("writes the HTML report: topology, time series, flows and links", () => {
    const t = tempDir("netloom-report-");
    try {
      const file = t.path("sub/tcp.html");
      const r = netloom("run", "examples/tcp-chain.yaml", "--duration", "100ms", "--quiet", "--report", file);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`report: ${file}`);
      const html = readFileSync(file, "utf8");
      expectSelfContained(html);
      for (const d of ["h0", "h1", "r1", "r2", "r3", "r4"]) expect(html).toContain(`data-device="${d}"`);
      expect(html).toContain("100 Mbps, 1 ms");
      expect(html).toContain('aria-label="TCP congestion window"');
      expect(html).toContain("<h2>Flows</h2>");
    } finally {
      t.remove();
    }
  }, 120_000);

  it("honours the scenario's outputs.report, relative to the scenario file", () => {
    const t = tempDir("netloom-report-");
    try {
      const yaml = readFileSync("examples/lossy-wan.yaml", "utf8").replace(/^outputs:[\s\S]*?(?=^\S|$(?![\s\S]))/m, "");
      writeFileSync(t.path("wan.yaml"), `${yaml}\noutputs:\n  report: out/wan.html\n`);
      const r = netloom("run", t.path("wan.yaml"), "--duration", "200ms", "--quiet");
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const html = readFileSync(t.path("out/wan.html"), "utf8");
      expectSelfContained(html);
      expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="topology"');
    } finally {
      t.remove();
    }
  }, 120_000);
});

describe("netloom sweep --report", () => {
  it("writes the sweep's HTML report beside its JSON and CSV", () => {
    const t = tempDir("netloom-report-");
    try {
      const yaml = readFileSync("examples/sweep-loss.yaml", "utf8")
        .replace("duration: 200ms", "duration: 30ms")
        .replace("size: [64, 512, 1400]", "size: [64, 1400]");
      writeFileSync(t.path("sweep.yaml"), yaml);
      const r = netloom(
        "sweep",
        t.path("sweep.yaml"),
        "--quiet",
        "--threads",
        "2",
        "--out",
        t.dir,
        "--report",
        t.path("s.html"),
      );
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const html = readFileSync(t.path("s.html"), "utf8");
      expectSelfContained(html);
      expect(html).toContain('aria-label="Throughput (all flows) vs loss"');
      expect(html).toContain("95% confidence interval");
    } finally {
      t.remove();
    }
  }, 120_000);
});
