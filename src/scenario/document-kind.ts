// Which netloom file a document is, told by its top-level keys, so that running a file with the
// wrong command gets one line naming the right one instead of a list of unknown keys.
//
// Contract: documentKind(doc) is "comparison" when the document is a mapping holding a key only
// comparison files have and no key only scenario files have, "scenario" the other way round,
// and undefined otherwise (not a mapping, or keys of neither or both: the checks say what is
// wrong then). wrongFileError(kind, source) is the ScenarioError the other command throws.

import { ScenarioError } from "./reporter.js";

/** Keys of a comparison file that no scenario file has. */
const COMPARISON_ONLY = ["profile", "networks", "configurations", "pingPong", "oneWay"];
/** Keys of a scenario file that no comparison file has. */
const SCENARIO_ONLY = [
  "duration",
  "hosts",
  "switches",
  "routers",
  "segments",
  "links",
  "atm",
  "traffic",
  "partitions",
  "failures",
  "parameters",
];

export type DocumentKind = "scenario" | "comparison";

export function documentKind(document: unknown): DocumentKind | undefined {
  if (typeof document !== "object" || document === null || Array.isArray(document)) return undefined;
  const keys = Object.keys(document);
  const comparison = keys.some((k) => COMPARISON_ONLY.includes(k));
  const scenario = keys.some((k) => SCENARIO_ONLY.includes(k));
  if (comparison && !scenario) return "comparison";
  if (scenario && !comparison) return "scenario";
  return undefined;
}

/** "this is a comparison file: use netloom compare" (or the other way round), as a ScenarioError. */
export function wrongFileError(kind: DocumentKind, source: string | undefined): ScenarioError {
  const message =
    kind === "comparison"
      ? "this is a comparison file: use netloom compare"
      : "this is a scenario file: use netloom run (or netloom sweep)";
  return new ScenarioError([{ path: "", message, line: undefined, column: undefined }], source);
}
