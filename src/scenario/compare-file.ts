// The comparison file (`netloom compare <file>`): which host stack configurations to run, on
// which networks, with which CPU profile and workloads.
//
// Contract:
// - loadComparison(path) / parseComparison(text, { source }) read YAML or JSON and return a
//   Comparison with every unit normalised (bit/s, ns, bytes). Every problem is collected and
//   thrown at once as one ScenarioError (reporter.ts, in the comparison's words: wording.ts),
//   each with its path, line and a did-you-mean: `configurations[2].stack: "unt" is not a
//   stack configuration (did you mean "unet"?)`. Unknown keys are errors.
// - The format (all keys but `configurations` optional):
//
//     name: stacks-1995
//     seed: 1
//     profile: workstation-1995            # bundled name, or a profile file (relative to this file)
//     networks: { ethernet: { rate: 10Mbps, delay: 5us }, atm: { rate: OC-3, delay: 5us } }
//     configurations:                      # one column of the comparison each; layers top to
//       - { name: socket, stack: socket, layers: [NAK, FRAG, COM] }   # bottom, as the stack checks them
//       - { name: unet, stack: unet }
//     pingPong: { sizes: [8, 1024], rounds: 20 }       # round trips per size
//     oneWay: { sizes: [1024, 8192], messages: 200 }   # messages per size, back to back
//     outputs: { dir: results/stacks-1995 }            # compare.json, compare.csv, compare.html
//
// - Not handled: more than two hosts, loss on the comparison links (the workloads measure
//   stacks, not recovery; the stacks' own tests cover loss).

import { dirname, resolve } from "node:path";
import {
  COMPARE_NETWORKS,
  type CompareConfiguration,
  type CompareLink,
  type CompareNetwork,
  type Comparison,
} from "../compare/comparison.js";
import { parseBitRate, parseDuration } from "../base/units.js";
import { Checker } from "./checks.js";
import { documentKind, wrongFileError } from "./document-kind.js";
import { type Locate, Reporter, ScenarioError } from "./reporter.js";
import { checkProfileChoice, checkStackChoice, DEFAULT_LAYERS } from "./stack-choice.js";
import { parseStructured, readInputFile, type ScenarioFormat } from "./structured-text.js";
import { COMPARE_WORDING } from "./wording.js";

export { COMPARE_NETWORKS, type CompareConfiguration, type CompareLink, type CompareNetwork, type Comparison };

const TOP_KEYS = ["name", "seed", "profile", "networks", "configurations", "pingPong", "oneWay", "outputs"];
/** Default layers of the layered configurations (shared with scenario files: stack-choice.ts). */
export { DEFAULT_LAYERS };
const ATM_RATES: Record<string, number> = { "OC-3": 155_520_000, "OC-12": 622_080_000, "OC-48": 2_488_320_000 };

/** Reads a comparison file (.json is JSON, anything else YAML). */
export function loadComparison(path: string): Comparison {
  const { text, format } = readInputFile(path);
  return parseComparison(text, { format, source: path, baseDir: dirname(path) });
}

export function parseComparison(
  text: string,
  options: { format?: ScenarioFormat; source?: string; baseDir?: string } = {},
): Comparison {
  const { value, locate } = parseStructured(text, options);
  return validateComparison(value, { ...options, locate });
}

/** Validates a parsed comparison document (plain data). */
export function validateComparison(
  document: unknown,
  options: { source?: string; baseDir?: string; locate?: Locate } = {},
): Comparison {
  if (documentKind(document) === "scenario") throw wrongFileError("scenario", options.source);
  const rep = new Reporter(options.locate);
  const c = new Checker(rep, COMPARE_WORDING);
  const top = c.mapping(document, "", TOP_KEYS, [], "a mapping of comparison keys (configurations, networks, ...)");
  if (top === undefined) throw new ScenarioError(rep.issues, options.source);
  const name = top["name"] === undefined ? "compare" : c.name(top["name"], "name");
  const seed = top["seed"] === undefined ? 1 : wholeNumber(c, top["seed"], "seed", 0, 2 ** 32 - 1);
  const profile = checkProfileChoice(rep, top["profile"] ?? "workstation-1995", "profile", options.baseDir);
  const networks = checkNetworks(c, top["networks"] ?? { ethernet: {}, atm: {} });
  const configurations = checkConfigurations(c, top["configurations"]);
  const pingPong = checkWorkload(c, top["pingPong"], PING_PONG);
  const oneWay = checkWorkload(c, top["oneWay"], ONE_WAY);
  const outDir = checkOutputs(c, top["outputs"], options.baseDir);
  rep.throwIfAny(options.source, false);
  return {
    name: name!,
    seed: seed!,
    profile: profile!,
    networks,
    configurations,
    pingPong: { sizes: pingPong.sizes!, rounds: pingPong.count! },
    oneWay: { sizes: oneWay.sizes!, messages: oneWay.count! },
    outDir,
    source: options.source,
  };
}

/** An integer in range; unlike Checker.int, an absent value is a problem too. */
function wholeNumber(c: Checker, v: unknown, path: string, min: number, max: number): number | undefined {
  return v === undefined ? c.error(path, c.words.notInteger(v, min, max)) : c.int(v, path, min, max);
}

function checkNetworks(c: Checker, raw: unknown): Partial<Record<CompareNetwork, CompareLink>> {
  const networks: Partial<Record<CompareNetwork, CompareLink>> = {};
  const nets = c.mapping(raw, "networks", COMPARE_NETWORKS, [], "a mapping with ethernet and/or atm");
  if (nets === undefined) return networks;
  if (Object.keys(nets).length === 0) c.error("networks", "names no network (ethernet, atm)");
  for (const n of COMPARE_NETWORKS) {
    if (nets[n] === undefined) continue;
    const p = `networks.${n}`;
    const o = c.mapping(nets[n] ?? {}, p, ["rate", "delay"], [], "a mapping with rate and delay");
    if (o === undefined) continue;
    const rate = (o["rate"] ?? (n === "atm" ? "OC-3" : "10Mbps")) as string | number;
    const rateBps =
      n === "atm" && typeof rate === "string" && ATM_RATES[rate] !== undefined
        ? ATM_RATES[rate]
        : c.rep.units(`${p}.rate`, () => parseBitRate(rate, `${p}.rate`));
    const delayNs = c.rep.units(`${p}.delay`, () => parseDuration(o["delay"] ?? "5us", `${p}.delay`));
    if (rateBps !== undefined && delayNs !== undefined) networks[n] = { rate, rateBps, delayNs };
  }
  return networks;
}

function checkConfigurations(c: Checker, raw: unknown): CompareConfiguration[] {
  const configurations: CompareConfiguration[] = [];
  if (!Array.isArray(raw) || raw.length === 0) {
    c.error("configurations", "must be a list of stack configurations (name, stack, layers)");
    return configurations;
  }
  raw.forEach((entry, i) => {
    const p = `configurations[${i}]`;
    const o = c.mapping(entry, p, ["name", "stack", "layers"], [], "a mapping with name, stack and layers");
    if (o === undefined) return;
    // Checked before the name: the name defaults to the configuration.
    const choice = checkStackChoice(c.rep, o["stack"], o["layers"], `${p}.stack`, p);
    if (choice === undefined) return;
    const cfgName = o["name"] ?? choice.stack;
    if (typeof cfgName !== "string" || cfgName.length === 0)
      return void c.error(`${p}.name`, "must be a non-empty string");
    if (configurations.some((x) => x.name === cfgName))
      return void c.error(`${p}.name`, `duplicate configuration name "${cfgName}"`);
    configurations.push({ name: cfgName, ...choice });
  });
  return configurations;
}

/** A workload's key, its count key and their defaults and ranges. */
interface WorkloadKeys {
  path: "pingPong" | "oneWay";
  countKey: "rounds" | "messages";
  sizes: number[];
  count: number;
  minCount: number;
  maxCount: number;
}

const PING_PONG: WorkloadKeys = {
  path: "pingPong",
  countKey: "rounds",
  sizes: [8, 64, 256, 1024, 4096, 8192],
  count: 20,
  minCount: 1,
  maxCount: 100_000,
};
const ONE_WAY: WorkloadKeys = {
  path: "oneWay",
  countKey: "messages",
  sizes: [256, 512, 1024, 2048, 4096, 8192],
  count: 200,
  minCount: 2,
  maxCount: 1_000_000,
};

/** pingPong (sizes, rounds) or oneWay (sizes, messages): message sizes and a count per size. */
function checkWorkload(
  c: Checker,
  raw: unknown,
  w: WorkloadKeys,
): { sizes: number[] | undefined; count: number | undefined } {
  const o = c.mapping(raw ?? {}, w.path, ["sizes", w.countKey], [], `a mapping with sizes and ${w.countKey}`);
  if (o === undefined) return { sizes: undefined, count: undefined };
  const sizes = o["sizes"] === undefined ? w.sizes : checkSizes(c, o["sizes"], `${w.path}.sizes`, 65_536);
  const given = o[w.countKey];
  const count =
    given === undefined ? w.count : wholeNumber(c, given, `${w.path}.${w.countKey}`, w.minCount, w.maxCount);
  return { sizes, count };
}

function checkSizes(c: Checker, v: unknown, path: string, max: number): number[] | undefined {
  if (!Array.isArray(v) || v.length === 0) return c.error(path, "must be a list of message sizes in bytes");
  const out: number[] = [];
  v.forEach((x, i) => {
    const n = wholeNumber(c, x, `${path}[${i}]`, 1, max);
    if (n !== undefined) out.push(n);
  });
  return out.length === v.length ? out : undefined;
}

function checkOutputs(c: Checker, raw: unknown, baseDir: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const o = c.mapping(raw, "outputs", ["dir"], [], "a mapping with dir");
  if (o === undefined || o["dir"] === undefined) return undefined;
  if (typeof o["dir"] !== "string" || o["dir"] === "") return c.error("outputs.dir", "must be a directory path");
  return resolve(baseDir ?? process.cwd(), o["dir"]);
}
