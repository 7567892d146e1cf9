// The comparison file (`netloom compare <file>`): which host stack configurations to run, on
// which networks, with which CPU profile and workloads.
//
// Contract:
// - loadComparison(path) / parseComparison(text, { source }) read YAML or JSON and return a
//   Comparison with every unit normalised (bit/s, ns, bytes). Every problem is collected and
//   thrown at once as ScenarioError (code INVALID_ARGUMENT), each with its path, line and a
//   did-you-mean for misspelt keys and names: `configurations[2].stack: "unt" is not a stack
//   configuration (did you mean "unet"?)`. Unknown keys are errors.
// - The format (all keys but `configurations` optional):
//
//     name: stacks-1995
//     seed: 1
//     profile: workstation-1995            # bundled name, or a profile file (relative to this file)
//     networks:                            # which networks, and their links
//       ethernet: { rate: 10Mbps, delay: 5us }
//       atm: { rate: OC-3, delay: 5us }
//     configurations:                      # one column of the comparison each
//       - { name: socket, stack: socket, layers: [NAK, FRAG, COM] }
//       - { name: unet, stack: unet }
//     pingPong: { sizes: [8, 1024], rounds: 20 }       # round trips per size
//     oneWay: { sizes: [1024, 8192], messages: 200 }   # messages per size, back to back
//     outputs: { dir: results/stacks-1995 }            # compare.json, compare.csv, compare.html
//
//   `layers` (top to bottom) applies to socket, layered, fbufs and accelerated and is checked
//   as the stack would check it (checkComposition). unet and active-messages take none.
// - Not handled: more than two hosts, loss on the comparison links (the workloads measure
//   stacks, not recovery; the stacks' own tests cover loss).

import { dirname, resolve } from "node:path";
import { suggest } from "../base/did-you-mean.js";
import { NetloomError } from "../base/errors.js";
import {
  parseStructured,
  readInputFile,
  ScenarioError,
  type Locate,
  type ScenarioFormat,
  type ScenarioIssue,
} from "./scenario.js";
import { parseBitRate, parseDuration } from "../base/units.js";
import { checkProfileChoice, checkStackChoice, DEFAULT_LAYERS } from "./stack-choice.js";

import {
  COMPARE_NETWORKS,
  type CompareConfiguration,
  type CompareLink,
  type CompareNetwork,
  type Comparison,
} from "../compare/comparison.js";

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

class Issues {
  readonly list: ScenarioIssue[] = [];
  constructor(private readonly locate: Locate | undefined) {}
  add(path: string, problem: string, onKey = false): undefined {
    const pos = this.locate?.(path, onKey);
    this.list.push({
      path,
      message: `${path === "" ? "" : `${path}: `}${problem}`,
      line: pos?.line,
      column: pos?.column,
    });
    return undefined;
  }
  /** A mapping with only `keys` (misspellings suggested), or undefined after reporting. */
  map(v: unknown, path: string, keys: readonly string[], what: string): Record<string, unknown> | undefined {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return this.add(path, `must be ${what}`);
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (keys.includes(k)) continue;
      const s = suggest(k, keys);
      this.add(
        path === "" ? k : `${path}.${k}`,
        `unknown key${s !== undefined ? ` (did you mean "${s}"?)` : ` (expected one of ${keys.join(", ")})`}`,
        true,
      );
    }
    return o;
  }
  int(v: unknown, path: string, min: number, max: number): number | undefined {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
      return this.add(path, `${JSON.stringify(v)} is not a whole number from ${min} to ${max}`);
    return v;
  }
  units<T>(path: string, parse: () => T): T | undefined {
    try {
      return parse();
    } catch (e) {
      if (!(e instanceof NetloomError)) throw e;
      // The error names its own path (a layer inside the list, say): report it there.
      return e.path !== undefined && e.message.startsWith(`${e.path}: `)
        ? this.add(e.path, e.message.slice(e.path.length + 2))
        : this.add(path, e.message);
    }
  }
  sizes(v: unknown, path: string, max: number): number[] | undefined {
    if (!Array.isArray(v) || v.length === 0) return this.add(path, "must be a list of message sizes in bytes");
    const out: number[] = [];
    v.forEach((x, i) => {
      const n = this.int(x, `${path}[${i}]`, 1, max);
      if (n !== undefined) out.push(n);
    });
    return out.length === v.length ? out : undefined;
  }
}

/** Validates a parsed comparison document (plain data). */
export function validateComparison(
  document: unknown,
  options: { source?: string; baseDir?: string; locate?: Locate } = {},
): Comparison {
  const c = new Issues(options.locate);
  const top = c.map(document, "", TOP_KEYS, "a mapping of comparison keys (configurations, networks, ...)");
  if (top === undefined) throw new ScenarioError(c.list, options.source);
  const name =
    top["name"] === undefined
      ? "compare"
      : typeof top["name"] === "string" && /^[A-Za-z0-9][\w.-]*$/.test(top["name"])
        ? top["name"]
        : c.add("name", `${JSON.stringify(top["name"])} is not a name (letters, digits, . _ -)`);
  const seed = top["seed"] === undefined ? 1 : c.int(top["seed"], "seed", 0, 2 ** 32 - 1);

  const profile = checkProfileChoice(top["profile"] ?? "workstation-1995", "profile", options.baseDir, (p, m) =>
    c.add(p, m),
  );

  const networks: Partial<Record<CompareNetwork, CompareLink>> = {};
  const rawNets = top["networks"] ?? { ethernet: {}, atm: {} };
  const nets = c.map(rawNets, "networks", COMPARE_NETWORKS, "a mapping with ethernet and/or atm");
  if (nets !== undefined) {
    if (Object.keys(nets).length === 0) c.add("networks", "names no network (ethernet, atm)");
    for (const n of COMPARE_NETWORKS) {
      if (nets[n] === undefined) continue;
      const p = `networks.${n}`;
      const o = c.map(nets[n] ?? {}, p, ["rate", "delay"], "a mapping with rate and delay");
      if (o === undefined) continue;
      const rate = (o["rate"] ?? (n === "atm" ? "OC-3" : "10Mbps")) as string | number;
      const rateBps =
        n === "atm" && typeof rate === "string" && ATM_RATES[rate] !== undefined
          ? ATM_RATES[rate]
          : c.units(`${p}.rate`, () => parseBitRate(rate, `${p}.rate`));
      const delayNs = c.units(`${p}.delay`, () => parseDuration(o["delay"] ?? "5us", `${p}.delay`));
      if (rateBps !== undefined && delayNs !== undefined) networks[n] = { rate, rateBps, delayNs };
    }
  }

  const configurations: CompareConfiguration[] = [];
  if (!Array.isArray(top["configurations"]) || top["configurations"].length === 0) {
    c.add("configurations", "must be a list of stack configurations (name, stack, layers)");
  } else {
    top["configurations"].forEach((raw, i) => {
      const p = `configurations[${i}]`;
      const o = c.map(raw, p, ["name", "stack", "layers"], "a mapping with name, stack and layers");
      if (o === undefined) return;
      // Checked before the name: the name defaults to the configuration.
      const choice = checkStackChoice(o["stack"], o["layers"], `${p}.stack`, p, (path, m, onKey) =>
        c.add(path, m, onKey),
      );
      if (choice === undefined) return;
      const cfgName = o["name"] ?? choice.stack;
      if (typeof cfgName !== "string" || cfgName.length === 0)
        return void c.add(`${p}.name`, "must be a non-empty string");
      if (configurations.some((x) => x.name === cfgName))
        return void c.add(`${p}.name`, `duplicate configuration name "${cfgName}"`);
      configurations.push({ name: cfgName, ...choice });
    });
  }

  const pp = c.map(top["pingPong"] ?? {}, "pingPong", ["sizes", "rounds"], "a mapping with sizes and rounds");
  const ppSizes =
    pp === undefined
      ? undefined
      : pp["sizes"] === undefined
        ? [8, 64, 256, 1024, 4096, 8192]
        : c.sizes(pp["sizes"], "pingPong.sizes", 65_536);
  const rounds =
    pp === undefined ? undefined : pp["rounds"] === undefined ? 20 : c.int(pp["rounds"], "pingPong.rounds", 1, 100_000);
  const ow = c.map(top["oneWay"] ?? {}, "oneWay", ["sizes", "messages"], "a mapping with sizes and messages");
  const owSizes =
    ow === undefined
      ? undefined
      : ow["sizes"] === undefined
        ? [256, 512, 1024, 2048, 4096, 8192]
        : c.sizes(ow["sizes"], "oneWay.sizes", 65_536);
  const messages =
    ow === undefined
      ? undefined
      : ow["messages"] === undefined
        ? 200
        : c.int(ow["messages"], "oneWay.messages", 2, 1_000_000);

  let outDir: string | undefined;
  if (top["outputs"] !== undefined) {
    const o = c.map(top["outputs"], "outputs", ["dir"], "a mapping with dir");
    if (o !== undefined && o["dir"] !== undefined) {
      if (typeof o["dir"] !== "string" || o["dir"] === "") c.add("outputs.dir", "must be a directory path");
      else outDir = resolve(options.baseDir ?? process.cwd(), o["dir"]);
    }
  }

  if (c.list.length > 0) throw new ScenarioError(c.list, options.source);
  return {
    name: name!,
    seed: seed!,
    profile: profile!,
    networks,
    configurations,
    pingPong: { sizes: ppSizes!, rounds: rounds! },
    oneWay: { sizes: owSizes!, messages: messages! },
    outDir,
    source: options.source,
  };
}
