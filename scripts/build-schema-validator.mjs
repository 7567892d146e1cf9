// Writes build/scenario-validator.cjs: the scenario JSON Schema (src/scenario/scenario.schema.json,
// with the atm section it refers to) as Ajv standalone code, so that a run does not spend
// start-up time compiling the schema. The text comes from validatorModuleSource() in
// src/scenario/schema-validator.ts (compiled: run after build:ts), which also owns the Ajv options
// and the schema hash the loader checks. Usage: node scripts/build-schema-validator.mjs [outDir]
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { validatorModuleSource } = await import(
  pathToFileURL(join(root, "dist", "src", "scenario", "schema-validator.js")).href
);
const read = (name) => readFileSync(join(root, "src", "scenario", name), "utf8");
const outDir = process.argv[2] ?? join(root, "build");
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, "scenario-validator.cjs"),
  validatorModuleSource(read("scenario.schema.json"), read("scenario-atm.schema.json")),
);
