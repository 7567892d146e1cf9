// The public surface: the root entry and each subpath entry export a deliberate set of names,
// pinned here (values and types, one name a line), so the surface changes only on purpose
// (`npx vitest run test/house -u` rewrites the pins; the diff shows what changed). The package's
// "exports" map must give each entry its compiled module and its types.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SUBPATHS = ["kernels", "wire", "engine", "devices", "trace", "stacks", "traffic", "scenario", "run", "compare"];
const entrySource = (sub: string | undefined): string =>
  join(root, "src", sub === undefined ? "index.ts" : join("entries", `${sub}.ts`));

/** Every name an entry module exports, values and types, sorted; kinds marked for readability. */
function exportedNames(files: string[]): Map<string, string[]> {
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ["node"],
  });
  const checker = program.getTypeChecker();
  const out = new Map<string, string[]>();
  for (const file of files) {
    const sf = program.getSourceFile(file);
    if (sf === undefined) throw new Error(`no source file ${file}`);
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    if (moduleSymbol === undefined) throw new Error(`${file} is not a module`);
    const names = checker.getExportsOfModule(moduleSymbol).map((s) => {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      const isValue = (target.flags & ts.SymbolFlags.Value) !== 0;
      return `${s.getName()}${isValue ? "" : " (type)"}`;
    });
    out.set(file, names.sort());
  }
  return out;
}

describe("the public surface", () => {
  const names = exportedNames([entrySource(undefined), ...SUBPATHS.map(entrySource)]);

  it("the root entry exports what an embedder starts with", async () => {
    await expect(names.get(entrySource(undefined))!.join("\n") + "\n").toMatchFileSnapshot("__surface__/netloom.txt");
  });

  for (const sub of SUBPATHS) {
    it(`netloom/${sub} exports its pinned names`, async () => {
      await expect(names.get(entrySource(sub))!.join("\n") + "\n").toMatchFileSnapshot(`__surface__/${sub}.txt`);
    });
  }

  it("every value the type checker lists is there at run time, and no other", async () => {
    for (const sub of [undefined, ...SUBPATHS]) {
      const mod = (await import(entrySource(sub))) as Record<string, unknown>;
      const values = names
        .get(entrySource(sub))!
        .filter((n) => !n.endsWith(" (type)"))
        .sort();
      expect(Object.keys(mod).sort(), `entry ${sub ?? "."}`).toEqual(values);
    }
  });

  it("package.json maps each entry to its compiled module and types, and nothing else", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      exports: Record<string, string | { types: string; default: string }>;
    };
    const expected: Record<string, unknown> = {
      ".": { types: "./dist/src/index.d.ts", default: "./dist/src/index.js" },
      "./package.json": "./package.json",
    };
    for (const sub of SUBPATHS) {
      expected[`./${sub}`] = { types: `./dist/src/entries/${sub}.d.ts`, default: `./dist/src/entries/${sub}.js` };
      expect(existsSync(entrySource(sub)), `src/entries/${sub}.ts`).toBe(true);
    }
    expect(pkg.exports).toEqual(expected);
  });
});
