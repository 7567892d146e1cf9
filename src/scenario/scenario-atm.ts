// The `atm` section of a scenario, checked: ATM switches, ATM hosts (raw AAL5 or IP over ATM),
// ATM interfaces of routers, ATM links, permanent circuits by path, switched circuits by route,
// host failures, signalling settings and AAL5 traffic. Building is atm-build.ts's.
//
// Contract:
// - checkAtmSection(rep, raw, path, known) checks the section like the rest of the scenario,
//   reporting into `rep` (the words are the section's own: wording.ts ATM_WORDING): unknown keys
//   (with a did-you-mean when close), names unique in the section and against `known` (the
//   names the rest of the scenario uses), references resolved, ports in range and used once,
//   PVC paths along links, svc routes walked over the links. It returns the normalised section
//   (ns, bytes, defaults filled in) and never builds anything.
// - validateAtmSection(raw, path, known) is the same on its own: the section and its problems
//   (path, and the problem without the path). parseAtmSection throws one NetloomError listing
//   them, for callers outside the loader.
// - Not handled here: the section's IP hosts as scenario hosts (their addresses against the
//   scenario's address plan, traffic naming them): check-atm-section.ts.

import { ErrorCode, NetloomError } from "../base/errors.js";
import type { AtmScope } from "./atm-scope.js";
import type { AtmIssue, AtmKnownNames, AtmScenario } from "./atm-types.js";
import { checkAtmPvcs, checkAtmSvcs } from "./check-atm-circuits.js";
import { checkAtmHosts, checkAtmRouterInterfaces, checkAtmSwitches } from "./check-atm-devices.js";
import { checkAtmLinks } from "./check-atm-links.js";
import { checkAtmSignalling, checkAtmTraffic } from "./check-atm-traffic.js";
import { Checker } from "./checks.js";
import { Reporter } from "./reporter.js";
import { ATM_WORDING } from "./wording.js";

export type * from "./atm-types.js";

export const ATM_SECTION_KEYS = [
  "switches",
  "hosts",
  "routerInterfaces",
  "links",
  "pvcs",
  "svcs",
  "signalling",
  "traffic",
];

const NO_NAMES: AtmKnownNames = { devices: new Set(), routers: new Set() };

export function checkAtmSection(rep: Reporter, raw: unknown, path: string, known: AtmKnownNames): AtmScenario {
  const atm: AtmScenario = {
    switches: [],
    hosts: [],
    routerInterfaces: [],
    links: [],
    pvcs: [],
    svcs: [],
    traffic: [],
    signalling: undefined,
  };
  const s: AtmScope = { c: new Checker(rep, ATM_WORDING), path, known, nodes: new Map(), atm };
  const root = s.c.mapping(raw, path, ATM_SECTION_KEYS);
  if (root === undefined) return atm;
  checkAtmSwitches(s, root["switches"]);
  checkAtmHosts(s, root["hosts"]);
  checkAtmRouterInterfaces(s, root["routerInterfaces"]);
  checkAtmLinks(s, root["links"]);
  checkAtmPvcs(s, root["pvcs"]);
  checkAtmSvcs(s, root["svcs"]);
  checkAtmSignalling(s, root["signalling"]);
  checkAtmTraffic(s, root["traffic"]);
  return atm;
}

/** Checks the `atm` section (raw document value at `path`) on its own. */
export function validateAtmSection(
  raw: unknown,
  path = "atm",
  known: AtmKnownNames = NO_NAMES,
): { atm: AtmScenario; issues: AtmIssue[] } {
  const rep = new Reporter();
  const atm = checkAtmSection(rep, raw, path, known);
  const issues = rep.issues.map((i) => ({
    path: i.path,
    message: i.path === "" ? i.message : i.message.slice(i.path.length + 2),
  }));
  return { atm, issues };
}

/** Validates and throws one NetloomError listing every problem (for callers outside the loader). */
export function parseAtmSection(raw: unknown, known?: AtmKnownNames): AtmScenario {
  const { atm, issues } = validateAtmSection(raw, "atm", known);
  if (issues.length > 0) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, issues.map((i) => `${i.path}: ${i.message}`).join("\n"), {
      path: issues[0]!.path,
    });
  }
  return atm;
}
