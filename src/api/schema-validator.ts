// The scenario JSON Schema as a validate function, made once per process.
//
// Contract: scenarioValidator(mainText, atmText, packageDir) returns an Ajv validate function
// for scenario.schema.json (with scenario-atm.schema.json, which it refers to), and where it
// came from:
// - "precompiled": build/scenario-validator.cjs, the standalone code `npm run build` generates
//   (scripts/build-schema-validator.mjs), taken only when it was made from these very schema
//   texts (the SHA-256 it carries equals schemaHash of them). Loading it costs a few ms.
// - "compiled": the texts compiled here by Ajv (about 190 ms): when there is no generated file,
//   it cannot be loaded, or it was made from other schema texts (a schema edited since the
//   last build), so a changed schema is never checked by stale code.
// Both use SCHEMA_AJV_OPTIONS; the generator repeats them, and a test checks that the two
// validators agree.

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { ValidateFunction } from "ajv";

const require = createRequire(import.meta.url);

export const SCHEMA_AJV_OPTIONS = { allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true } as const;

export type ValidatorSource = "precompiled" | "compiled";

/** What the generated module carries to say which schema texts it was made from. */
export function schemaHash(mainText: string, atmText: string): string {
  return createHash("sha256").update(mainText).update("\0").update(atmText).digest("hex");
}

/** build/scenario-validator.cjs below `packageDir`. */
export function precompiledValidatorPath(packageDir: string): string {
  return join(packageDir, "build", "scenario-validator.cjs");
}

export function scenarioValidator(
  mainText: string,
  atmText: string,
  packageDir: string | undefined,
): { validate: ValidateFunction; source: ValidatorSource } {
  const hash = schemaHash(mainText, atmText);
  if (packageDir !== undefined) {
    const file = precompiledValidatorPath(packageDir);
    if (existsSync(file)) {
      let mod: (ValidateFunction & { schemaHash?: unknown }) | undefined;
      try {
        mod = require(file) as ValidateFunction & { schemaHash?: unknown };
      } catch {
        mod = undefined; // an unreadable cache is no cache: compile below
      }
      if (typeof mod === "function" && mod.schemaHash === hash) return { validate: mod, source: "precompiled" };
    }
  }
  // Ajv itself (about 40 ms to load) only when there is something to compile.
  const { Ajv2020 } = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
  const ajv = new Ajv2020({ ...SCHEMA_AJV_OPTIONS });
  ajv.addSchema(JSON.parse(atmText) as object);
  return { validate: ajv.compile(JSON.parse(mainText) as object), source: "compiled" };
}
