// The size rule (scripts/check-size.mjs): no source file over 800 lines, no function over 100.
// It holds for src/, and the checker is shown catching both in a tree made for the purpose.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const script = join(root, "scripts", "check-size.mjs");
const check = (tree?: string) =>
  spawnSync(process.execPath, tree === undefined ? [script] : [script, tree], { encoding: "utf8" });

describe("the size rule", () => {
  it("holds for src/", () => {
    const r = check();
    expect(r.stdout).toBe("sizes: every file and function within bounds\n");
    expect(r.status).toBe(0);
  });

  it("catches a file over 800 lines and a method over 100", () => {
    const dir = mkdtempSync(join(tmpdir(), "netloom-sizes-"));
    try {
      mkdirSync(join(dir, "src"));
      const body = Array.from({ length: 100 }, (_, i) => `    this.n += ${i};`).join("\n");
      writeFileSync(
        join(dir, "src", "long-method.ts"),
        `export class A {\n  n = 0;\n  grow(): void {\n${body}\n  }\n}\n`,
      );
      writeFileSync(
        join(dir, "src", "long-file.ts"),
        Array.from({ length: 801 }, (_, i) => `export const c${i} = ${i};`).join("\n") + "\n",
      );
      const r = check(dir);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain("src/long-file.ts: 801 lines (at most 800)");
      expect(r.stdout).toContain("src/long-method.ts:3: function grow is 102 lines (at most 100)");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
