// What the npm package carries, and what a partial bench run may write.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("the npm package", () => {
  it("carries the examples, the docs and the licence, and no run results", () => {
    // A result file where runs of the examples put theirs: it must stay out of the package.
    const stray = join(root, "examples", "results", "package-test", "flows.csv");
    const made = !existsSync(stray);
    mkdirSync(dirname(stray), { recursive: true });
    if (made) writeFileSync(stray, "id\r\n");
    try {
      const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
        cwd: root,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
        timeout: 120_000,
      });
      const files = new Set((JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
      for (const f of [
        "LICENSE",
        "README.md",
        "package.json",
        "examples/star16.yaml",
        "examples/atm-svc.yaml",
        "examples/compare-1995.yaml",
        "examples/kernels-tour.ts",
        "docs/architecture.md",
        "docs/scenario-format.md",
        "src/cli/main.ts",
      ]) {
        expect(files.has(f), f).toBe(true);
      }
      expect([...files].filter((f) => f.startsWith("examples/results/"))).toEqual([]);
      expect([...files].filter((f) => f.startsWith("bench/") || f.startsWith("test/"))).toEqual([]);
    } finally {
      if (made) rmSync(join(root, "examples", "results", "package-test"), { recursive: true, force: true });
    }
  });

  it("says MIT in package.json and in the LICENSE file", () => {
    expect(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).license).toBe("MIT");
    const licence = readFileSync(join(root, "LICENSE"), "utf8");
    expect(licence).toMatch(/^MIT License\n\nCopyright \(c\) 2026 netloom contributors\n/);
  });
});

describe("bench results", () => {
  it("a quick or single-suite run leaves the tracked latest.json as it was", () => {
    const latest = join(root, "bench", "results", "latest.json");
    const partial = join(root, "bench", "results", "partial.json");
    const before = readFileSync(latest);
    try {
      for (const args of [["--quick", "no-such-suite"], ["no-such-suite"]]) {
        rmSync(partial, { force: true });
        const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "bench", "run.ts"), ...args], {
          cwd: root,
          encoding: "utf8",
          timeout: 120_000,
        });
        expect(r.status).toBe(0);
        expect(readFileSync(latest).equals(before)).toBe(true);
        expect(JSON.parse(readFileSync(partial, "utf8")).suites).toEqual([]);
      }
    } finally {
      // Put the record back should the run above have replaced it.
      if (!readFileSync(latest).equals(before)) writeFileSync(latest, before);
      rmSync(partial, { force: true });
    }
  });
});
