// `netloom validate` and `netloom examples` as a user runs them: a child process, its output
// and exit codes.
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

describe("netloom validate", { timeout: 120_000 }, () => {
  it("checks scenarios, sweeps and comparisons without running them: one line each, exit 0", () => {
    const r = netloom("validate", "examples/star16.yaml", "examples/sweep-loss.yaml", "examples/compare-1995.yaml");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n").filter(Boolean)).toEqual([
      'ok  examples/star16.yaml: scenario "star16", 1 s: 16 hosts, 1 switch, 0 routers, 16 links, 16 flows',
      'ok  examples/sweep-loss.yaml: sweep "sweep-loss", 200 ms: 2 hosts, 2 switches, 0 routers, 3 links, 1 flow; 18 points (size x loss x seed)',
      'ok  examples/compare-1995.yaml: comparison "compare-1995": 6 configurations on ethernet and atm',
    ]);
  });

  it("reports every bad file's problems with path and line, checks the rest, exits 2", () => {
    const d = tempDir("netloom-validate-");
    try {
      const bad = d.path("bad.yaml");
      writeFileSync(bad, readFileSync("examples/star16.yaml", "utf8").replace("delay: 5us", "dealy: 5us"));
      const r = netloom("validate", bad, "examples/campus.yaml", "--json");
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/bad\.yaml:\d+:\d+: links\[0\]/);
      const doc = JSON.parse(r.stdout) as { file: string; ok: boolean; kind: string }[];
      expect(doc.map((x) => [x.ok, x.kind])).toEqual([
        [false, "scenario"],
        [true, "scenario"],
      ]);
    } finally {
      d.remove();
    }
  });
});

describe("netloom examples", { timeout: 120_000 }, () => {
  it("lists every bundled example with the first line of its header", () => {
    const r = netloom("examples");
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n").filter(Boolean);
    expect(lines.map((l) => l.split(/\s+/)[0])).toContain("campus.yaml");
    expect(lines.find((l) => l.startsWith("campus.yaml"))).toMatch(/A routed campus/);
  });

  it("copies one to start from, refuses to overwrite, and suggests a near name", () => {
    const d = tempDir("netloom-examples-");
    try {
      const r = netloom("examples", "campus", "--to", d.dir);
      expect(r.status).toBe(0);
      expect(readFileSync(d.path("campus.yaml"), "utf8")).toBe(readFileSync("examples/campus.yaml", "utf8"));
      const again = netloom("examples", "campus.yaml", "--to", d.dir);
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(/campus\.yaml already exists; not overwritten/);
      const typo = netloom("examples", "campsu");
      expect(typo.status).toBe(2);
      expect(typo.stderr).toMatch(/no bundled example "campsu" \(did you mean "campus"\?\)/);
    } finally {
      d.remove();
    }
  });
});
