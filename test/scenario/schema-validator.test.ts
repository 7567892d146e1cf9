import { describe, expect, it } from "vitest";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { packageRoot } from "../../src/base/package-root.js";
import { scenarioAtmSchemaPath, scenarioSchemaPath, scenarioValidatorSource } from "../../src/scenario/scenario.js";
import {
  precompiledValidatorPath,
  scenarioValidator,
  schemaHash,
  validatorModuleSource,
} from "../../src/scenario/schema-validator.js";
import { tempDir } from "../support/tshark.js";

const root = packageRoot(import.meta.url)!;
const mainText = readFileSync(scenarioSchemaPath(), "utf8");
const atmText = readFileSync(scenarioAtmSchemaPath(), "utf8");

// Scenario documents (not compare or sweep files), as the schema sees them, and broken copies.
const examples = readdirSync(join(root, "examples"))
  .filter((f) => f.endsWith(".yaml") && !f.startsWith("compare-") && !f.startsWith("sweep-"))
  .map((f) => ({ name: f, doc: parse(readFileSync(join(root, "examples", f), "utf8")) as Record<string, unknown> }));

function broken(doc: Record<string, unknown>): unknown[] {
  const hosts = doc["hosts"] as Record<string, unknown>[] | undefined;
  return [
    { ...doc, surprise: 1 }, // unknown top-level key
    { ...doc, seed: "one" }, // wrong type
    { ...doc, duration: undefined }, // required key gone (undefined is dropped by the validators alike)
    Object.fromEntries(Object.entries(doc).filter(([k]) => k !== "duration")),
    ...(hosts !== undefined && hosts.length > 0
      ? [{ ...doc, hosts: [{ ...hosts[0], colour: "red" }, ...hosts.slice(1)] }]
      : []),
    [],
    "a string",
  ];
}

const errorsOf = (v: ReturnType<typeof scenarioValidator>["validate"]): string[] =>
  (v.errors ?? []).map((e) => `${e.instancePath} ${e.keyword} ${e.message ?? ""}`);

describe("the scenario schema validator", () => {
  it("is the build's precompiled one, made from the schemas as they are now", () => {
    // If this fails after a schema edit: `npm run build:validator` (npm run build does it too).
    expect(scenarioValidatorSource()).toBe("precompiled");
    expect(scenarioValidator(mainText, atmText, root).source).toBe("precompiled");
    expect(readFileSync(precompiledValidatorPath(root), "utf8")).toBe(validatorModuleSource(mainText, atmText));
  });

  it("precompiled and compiled at run time give the same verdicts and errors", () => {
    const pre = scenarioValidator(mainText, atmText, root);
    const compiled = scenarioValidator(mainText, atmText, undefined);
    expect(compiled.source).toBe("compiled");
    expect(examples.length).toBeGreaterThan(8);
    let rejected = 0;
    for (const { name, doc } of examples) {
      for (const d of [doc, ...broken(doc)]) {
        const a = pre.validate(d);
        const b = compiled.validate(d);
        expect(a, name).toBe(b);
        expect(errorsOf(pre.validate), name).toEqual(errorsOf(compiled.validate));
        if (!a) rejected++;
      }
      expect(pre.validate(doc), name).toBe(true);
    }
    expect(rejected).toBeGreaterThan(examples.length * 5); // the broken copies were caught
  });

  it("compiles at run time when the schema text differs from the build's, or the file is unusable", () => {
    expect(scenarioValidator(mainText + "\n", atmText, root).source).toBe("compiled");
    expect(scenarioValidator(mainText, atmText + " ", root).source).toBe("compiled");
    expect(schemaHash(mainText, atmText)).not.toBe(schemaHash(atmText, mainText));
    const tmp = tempDir("netloom-validator-");
    const dir = tmp.dir;
    mkdirSync(join(dir, "build"), { recursive: true });
    writeFileSync(precompiledValidatorPath(dir), "this is not JavaScript (");
    expect(scenarioValidator(mainText, atmText, dir).source).toBe("compiled");
    writeFileSync(
      precompiledValidatorPath(dir),
      `module.exports = () => true; module.exports.schemaHash = "${schemaHash(mainText, atmText)}x";`,
    );
    expect(scenarioValidator(mainText, atmText, dir).source).toBe("compiled");
    const v = scenarioValidator(mainText, atmText, join(dir, "nowhere"));
    expect(v.source).toBe("compiled");
    expect(v.validate({ surprise: 1 })).toBe(false);
    tmp.remove();
  });
});
