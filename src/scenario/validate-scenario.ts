// Checking a whole scenario document: the driver that runs each section's checks in order and
// returns the normalised Scenario, or throws one ScenarioError with every problem.
//
// Contract:
// - The document is checked at the sweep's first point (each parameter at its first value);
//   when that is clean, every other value of each parameter is tried with the rest at their
//   first values (linear in the number of values), each problem then saying which value
//   (" (with size = 64)"). Then the JSON Schema gets the last word (scenario-schema.ts).
// - Sections are checked in the order they can refer to each other: hosts, switches and
//   routers (names, addresses), segments and links (device ports), then interface MTUs and
//   MACs, the atm section, traffic, workloads, outputs, partitions, failures. Problems come out
//   in file order.

import { basename, dirname } from "node:path";
import { checkAtmInScenario } from "./check-atm-section.js";
import { Endpoints } from "./check-endpoints.js";
import { checkDataBounds } from "./input-bounds.js";
import { documentKind, wrongFileError } from "./document-kind.js";
import { checkHosts } from "./check-hosts.js";
import { checkLinks, checkSegments } from "./check-links.js";
import { Namespace } from "./check-names.js";
import { checkFailures } from "./check-failures.js";
import { checkOutputs } from "./check-outputs.js";
import { checkPartitions } from "./check-partitions.js";
import { checkRouters } from "./check-routers.js";
import { checkSwitches } from "./check-switches.js";
import { checkTrafficSection } from "./check-traffic.js";
import { checkWorkloads } from "./check-workloads.js";
import { Checker, type Obj } from "./checks.js";
import { normaliseInterfaces } from "./normalise.js";
import { checkParameters, checkReferences, firstPoint, substitute } from "./parameters.js";
import { type Locate, Reporter, ScenarioError } from "./reporter.js";
import { SCENARIO_DEFAULTS } from "./scenario-defaults.js";
import { checkSchema } from "./scenario-schema.js";
import type { ParameterValue, Scenario, ScenarioParameterRef } from "./scenario-types.js";
import { show } from "./wording.js";

export const TOP_KEYS = [
  "name",
  "seed",
  "duration",
  "hosts",
  "switches",
  "routers",
  "segments",
  "links",
  "atm",
  "traffic",
  "outputs",
  "partitions",
  "failures",
  "workloads",
  "parameters",
] as const;

export function validateDocument(document: unknown, source: string | undefined, locate: Locate): Scenario {
  checkDataBounds(document, source);
  if (documentKind(document) === "comparison") throw wrongFileError("comparison", source);
  const rep = new Reporter(locate);
  const c = new Checker(rep);
  const top = c.mapping(document, "", TOP_KEYS, ["duration"], "a mapping of scenario keys (name, hosts, links, ...)");
  if (top === undefined) throw new ScenarioError(rep.issues, source);
  const parameters = checkParameters(c, top["parameters"]);
  const refs = checkReferences(c, top, parameters);
  const first = firstPoint(parameters);
  const base = refs.length > 0 ? (substitute(top, first) as Obj) : top;
  const scenario = checkDocument(c, base, parameters, refs, source);
  if (rep.issues.length === 0 && refs.length > 0) checkOtherPoints(c, top, parameters, refs, source);
  // The schema sees the first point: "${x}" references are not values of the schema's types.
  if (rep.issues.length === 0) checkSchema(rep, base);
  rep.throwIfAny(source, true);
  return scenario;
}

/** Every other value of each parameter, with the rest at their first values. */
function checkOtherPoints(
  c: Checker,
  top: Obj,
  parameters: Record<string, ParameterValue[]>,
  refs: ScenarioParameterRef[],
  source: string | undefined,
): void {
  const first = firstPoint(parameters);
  const used = new Set(refs.flatMap((r) => r.names));
  for (const [k, vs] of Object.entries(parameters)) {
    if (!used.has(k)) continue;
    for (let i = 1; i < vs.length; i++) {
      c.rep.suffix = ` (with ${k} = ${show(vs[i])})`;
      checkDocument(c, substitute(top, { ...first, [k]: vs[i]! }) as Obj, parameters, refs, source);
    }
  }
  c.rep.suffix = "";
}

function checkDocument(
  c: Checker,
  top: Obj,
  parameters: Record<string, ParameterValue[]>,
  parameterRefs: ScenarioParameterRef[],
  source: string | undefined,
): Scenario {
  const { name, seed, durationNs } = checkHead(c, top, source);
  const baseDir = source === undefined ? undefined : dirname(source);
  const names = new Namespace(c);
  const hostDrafts = checkHosts(c, top["hosts"], names, baseDir);
  const switches = checkSwitches(c, top["switches"], names);
  const routerDrafts = checkRouters(c, top["routers"], names);
  const endpoints = new Endpoints(c, names);
  const segments = checkSegments(c, top["segments"], names, endpoints);
  const links = checkLinks(c, top["links"], names, endpoints);
  const drafts = { ...hostDrafts, routers: routerDrafts };
  const { hosts, stackHosts, routers } = normaliseInterfaces(c, drafts, links, names);
  const atmPart = checkAtmInScenario(c, top["atm"], names, routers);
  const mtuOf = (h: string): number =>
    hosts.find((x) => x.name === h)?.mtu ??
    atmPart.ipHosts.find((x) => x.name === h)?.mtu ??
    SCENARIO_DEFAULTS.link.mtu;
  const scope = { c, durationNs, names, hosts: [...hostDrafts.ip, ...atmPart.ipHosts], mtuOf };
  const { traffic, messageTraffic } = checkTrafficSection(scope, top["traffic"]);
  const workloads = checkWorkloads(scope, top["workloads"], traffic);
  const outputs = checkOutputs(c, top["outputs"], endpoints);
  const partitions =
    top["partitions"] === undefined
      ? undefined
      : checkPartitions(c, top["partitions"], names, links, segments, messageTraffic);
  const failures = checkFailures(c, top["failures"], names, links, durationNs, atmPart.atm);
  return {
    name,
    seed,
    durationNs,
    hosts,
    stackHosts,
    switches,
    routers,
    segments,
    links,
    atm: atmPart.atm,
    traffic,
    messageTraffic,
    outputs,
    partitions,
    failures,
    workloads,
    parameters,
    parameterRefs,
    source,
    baseDir,
  };
}

/** name (default: the file's name), seed and duration. */
function checkHead(
  c: Checker,
  top: Obj,
  source: string | undefined,
): { name: string; seed: number; durationNs: number } {
  const fallbackName = source !== undefined ? basename(source).replace(/\.(ya?ml|json)$/i, "") : "scenario";
  const name = top["name"] === undefined ? fallbackName : (c.str(top["name"], "name") ?? fallbackName);
  const seed = c.int(top["seed"], "seed", 0, Number.MAX_SAFE_INTEGER, SCENARIO_DEFAULTS.seed) ?? 0;
  const durationNs = c.dur(top["duration"], "duration") ?? 0;
  if (top["duration"] !== undefined && durationNs === 0 && c.rep.issues.length === 0)
    c.error("duration", "must be longer than 0");
  return { name, seed, durationNs };
}
