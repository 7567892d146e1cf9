// Scenario files: YAML or JSON text -> a validated, fully typed, unit-normalised Scenario.
//
// Contract:
// - loadScenario(path) reads a .yaml/.yml/.json file (format from the extension, YAML
//   otherwise); parseScenario(text, {format, source}) parses text; validateScenario(object)
//   validates an already parsed document. All three return the same Scenario for the same
//   document (scenario-types.ts), and never build or run anything (the runner and the CLI do).
// - Every problem is collected; if there is any, one ScenarioError (a NetloomError,
//   INVALID_ARGUMENT) is thrown whose message has one line per problem, each naming the path:
//     links[3].rate: "10 Gbs" is not a bit rate (unknown unit "Gbs"; use bps, ...)
//   prefixed with `<source>:<line>:<column>: ` (or `line N: ` without a source) when the
//   YAML/JSON text says where the value is. `errors` holds the problems one by one.
// - Unknown keys are errors everywhere (with a did-you-mean); so are syntax errors, duplicate
//   names, dangling references, ports out of range or used twice, malformed addresses.
// - `parameters` (sweeps) is validated and exposed but not expanded: the Scenario is the
//   document at the first point; loadSweep lists the points, scenarioAtPoint checks one.
// - Every accepted document is also valid under scenario.schema.json (scenario-schema.ts).
// The checks themselves: validate-scenario.ts and the check-*.ts modules it drives.

import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { parsePlain, parseStructured, readInputFile, type ScenarioFormat } from "./structured-text.js";
import { substitute } from "./parameters.js";
import type { ParameterValue, Scenario } from "./scenario-types.js";
import { validateDocument } from "./validate-scenario.js";

export type * from "./scenario-types.js";
export { ScenarioError, type Locate, type ScenarioIssue } from "./reporter.js";
export { parseStructured, readInputFile, type ScenarioFormat } from "./structured-text.js";
export { SCENARIO_DEFAULTS } from "./scenario-defaults.js";
export {
  scenarioAtmSchema,
  scenarioAtmSchemaPath,
  scenarioSchema,
  scenarioSchemaPath,
  scenarioValidatorSource,
} from "./scenario-schema.js";

/** Reads and validates a scenario file (.json is JSON, anything else YAML). */
export function loadScenario(path: string): Scenario {
  const { text, format } = readInputFile(path);
  return parseScenario(text, { format, source: path });
}

/** Parses YAML or JSON text (default YAML) and validates it; `source` names it in messages. */
export function parseScenario(text: string, options: { format?: ScenarioFormat; source?: string } = {}): Scenario {
  const { value, locate } = parseStructured(text, options);
  return validateDocument(value, options.source, locate);
}

/** Validates an already parsed document (no line numbers then). */
export function validateScenario(document: unknown, options: { source?: string } = {}): Scenario {
  return validateDocument(document, options.source, () => undefined);
}

/** A scenario file with parameter ranges, expanded point by point (netloom sweep). */
export interface ScenarioSweep {
  /** The first point's scenario (what loadScenario gives). */
  base: Scenario;
  /** The document as parsed (plain data: structured-clone safe, crosses worker threads). */
  document: unknown;
  source: string | undefined;
  /** Parameter names in declaration order. */
  names: string[];
  /** Every point of the cartesian product, the first parameter varying slowest. */
  points: Record<string, ParameterValue>[];
}

/** Reads a scenario file and lists its sweep points (one point when it has no parameters). */
export function loadSweep(path: string): ScenarioSweep {
  const base = loadScenario(path);
  const document = parsePlain(readFileSync(path, "utf8"));
  const names = Object.keys(base.parameters);
  let points: Record<string, ParameterValue>[] = [{}];
  for (const n of names) points = points.flatMap((p) => base.parameters[n]!.map((v) => ({ ...p, [n]: v })));
  return { base, document, source: path, names, points };
}

/**
 * The scenario at one point of a sweep. Validated again: a combination of values can be
 * invalid even when each value is valid with the others at their first values.
 */
export function scenarioAtPoint(document: unknown, point: Record<string, ParameterValue>, source?: string): Scenario {
  const s = validateDocument(substitute(document, point), source, () => undefined);
  if (source !== undefined) {
    s.source = source;
    s.baseDir = dirname(source);
  }
  return s;
}
