// What the checks of a scenario's `atm` section share while one section is checked: the
// checker (in the section's words), the section's path, the names the rest of the scenario
// uses, the section's own names (hosts, switches, "router.interface") and the result so far.

import type { AtmKnownNames, AtmScenario } from "./atm-types.js";
import type { Checker } from "./checks.js";

export type AtmNodeKind = "switch" | "host" | "rif";

export interface AtmScope {
  c: Checker;
  /** The section's path ("atm"). */
  path: string;
  known: AtmKnownNames;
  /** Switches, hosts and router interfaces by name, with their port counts. */
  nodes: Map<string, { kind: AtmNodeKind; ports: number }>;
  atm: AtmScenario;
}

/** An integer in range, else (after reporting) the fallback: the section's way. */
export function atmInt(s: AtmScope, v: unknown, path: string, min: number, max: number, fallback: number): number {
  return s.c.int(v, path, min, max, fallback) ?? fallback;
}
