// The rooms' dependency rule (.dependency-cruiser.cjs) holds for the tree, and the checker is
// shown catching a back-edge and a type-only circle in a small tree made for the purpose.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const depcruise = join(root, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs");
const config = join(root, ".dependency-cruiser.cjs");

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

function violations(cwd: string, dirs: string[]): Violation[] {
  const out = execFileSync(process.execPath, [depcruise, ...dirs, "--config", config, "--output-type", "json"], {
    cwd,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations;
}

describe("the rooms' dependency rule", () => {
  it("holds for src/ and bench/: no back-edge, no circle, no test code in the product", () => {
    expect(violations(root, ["src", "bench"]).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  });

  it("catches a back-edge, a type-only circle and a bench importing test code", () => {
    const dir = mkdtempSync(join(tmpdir(), "netloom-rooms-"));
    try {
      const put = (path: string, text: string): void => {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      };
      put("tsconfig.json", JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext" } }));
      put("src/run/runner.ts", "export const runner = 1;\n");
      put("src/kernels/kernel.ts", 'import { runner } from "../run/runner.js";\nexport const kernel = runner;\n');
      put("src/engine/a.ts", 'import type { B } from "./b.js";\nexport interface A { b?: B }\n');
      put("src/engine/b.ts", 'import type { A } from "./a.js";\nexport interface B { a?: A }\n');
      put("test/support/helper.ts", "export const helper = 1;\n");
      put("bench/x.bench.ts", 'import { helper } from "../test/support/helper.js";\nexport const x = helper;\n');
      const found = violations(dir, ["src", "bench"]).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
      expect(found).toContain("kernels-depends-downwards: src/kernels/kernel.ts -> src/run/runner.ts");
      expect(found.some((f) => /^no-circular: src\/engine\/[ab]\.ts -> src\/engine\/[ab]\.ts$/.test(f))).toBe(true);
      expect(found).toContain("no-test-code-in-product: bench/x.bench.ts -> test/support/helper.ts");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
