// The scenario JSON Schema (scenario.schema.json, with scenario-atm.schema.json beside it): the
// single description of the format's shape, for editors and for the loader's last check.
//
// Contract:
// - scenarioSchemaPath() finds the schema beside this file in src/, or in src/scenario/ of the
//   package when running from dist/ (tsc does not copy JSON).
// - checkSchema(rep, document) validates a document (after the hand-written checks, whose
//   messages are more precise) and reports each schema error at its path with " (schema)": a
//   document the loader accepts is valid under the schema, never the other way round.
// - The validator is made once per process: the build's precompiled one while the schema texts
//   are those it was made from (schema-validator.ts), else compiled here.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ValidateFunction } from "ajv";
import { ErrorCode, NetloomError } from "../base/errors.js";
import { packageRoot } from "../base/package-root.js";
import type { Reporter } from "./reporter.js";
import { scenarioValidator, type ValidatorSource } from "./schema-validator.js";

let schemaValidator: ValidateFunction | undefined;
let schemaValidatorSource: ValidatorSource | undefined;

export function scenarioSchemaPath(): string {
  const beside = join(dirname(fileURLToPath(import.meta.url)), "scenario.schema.json");
  if (existsSync(beside)) return beside;
  const root = packageRoot(import.meta.url);
  const inSources = root === undefined ? undefined : join(root, "src", "scenario", "scenario.schema.json");
  if (inSources !== undefined && existsSync(inSources)) return inSources;
  throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "cannot find scenario.schema.json from " + import.meta.url);
}

/** The scenario JSON Schema as an object. */
export function scenarioSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(scenarioSchemaPath(), "utf8")) as Record<string, unknown>;
}

/**
 * The schema of the `atm` section (scenario-atm.schema.json beside the main one, which refers
 * to it by relative $ref): add it to a validator before compiling scenarioSchema().
 */
export function scenarioAtmSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(scenarioAtmSchemaPath(), "utf8")) as Record<string, unknown>;
}

export function scenarioAtmSchemaPath(): string {
  return join(dirname(scenarioSchemaPath()), "scenario-atm.schema.json");
}

function loadSchemaValidator(): ValidateFunction {
  if (schemaValidator === undefined) {
    const made = scenarioValidator(
      readFileSync(scenarioSchemaPath(), "utf8"),
      readFileSync(scenarioAtmSchemaPath(), "utf8"),
      packageRoot(import.meta.url),
    );
    schemaValidator = made.validate;
    schemaValidatorSource = made.source;
  }
  return schemaValidator;
}

/** Where this process's schema validator came from (see schema-validator.ts); loads it if needed. */
export function scenarioValidatorSource(): ValidatorSource {
  loadSchemaValidator();
  return schemaValidatorSource!;
}

export function checkSchema(rep: Reporter, document: unknown): void {
  const validate = loadSchemaValidator();
  if (validate(document)) return;
  // Reaching here means the schema is stricter than the hand-written checks: report it rather
  // than accept a file that editors would flag.
  for (const e of validate.errors ?? []) {
    const path = e.instancePath
      .split("/")
      .slice(1)
      .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s.replace(/~1/g, "/").replace(/~0/g, "~")}`))
      .join("")
      .replace(/^\./, "");
    rep.error(path, `${e.message ?? "is invalid"} (schema)`);
  }
}
