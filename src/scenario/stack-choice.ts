// Stack choice: the checks of a host stack configuration (its name, its layers) and of a CPU
// profile, shared by the comparison file (compare-file.ts) and scenario files (a host's
// `hostStack`, src/scenario/scenario.ts), so both accept the same things with the same messages.
//
// Contract:
// - Checkers never throw for bad input: they report each problem through `report(path,
//   problem, onKey)` (the caller's issue list: path, line, did-you-mean) and return undefined.
//   Errors that name their own path (a layer inside the list: `<base>.layers[2]`) are
//   reported at that path.
// - checkStackChoice: `stack` must be one of STACK_CONFIGURATIONS (did-you-mean on typos);
//   `layers` (top to bottom) applies to socket, layered, fbufs and accelerated, defaults to
//   DEFAULT_LAYERS and is checked as the stack checks it (checkComposition); unet and
//   active-messages take none (an error on the key when given).
// - checkProfileChoice: a bundled profile name (BUNDLED_PROFILES, did-you-mean) or a profile
//   file, relative to `baseDir` (default: the working directory); file errors name the file
//   and its field (loadCpuProfile's messages).

import { isAbsolute, resolve } from "node:path";
import { NetloomError } from "../base/errors.js";
import { suggest } from "../base/did-you-mean.js";
import { BUNDLED_PROFILES, loadCpuProfile, type CpuProfile } from "../stacks/cost.js";
import { checkComposition } from "../stacks/layered/stack.js";
import { STACK_CONFIGURATIONS, type StackConfiguration } from "../stacks/message-stack.js";

/** Where a checker reports a problem (onKey: the problem is the key itself, not its value). */
export type ReportIssue = (path: string, problem: string, onKey?: boolean) => void;

/** The configurations that compose layers (LayeredStack variants and the protocol accelerator). */
export const LAYERED_CONFIGURATIONS: readonly StackConfiguration[] = ["socket", "layered", "fbufs", "accelerated"];
/** Default layers of the layered configurations: the five-layer stack of the Horus figures. */
export const DEFAULT_LAYERS = ["TOTAL", "FC", "NAK", "FRAG", "COM"];

export interface StackChoice {
  stack: StackConfiguration;
  /** Layer names top to bottom; [] for unet and active-messages. */
  layers: string[];
}

/** Runs `fn`, turning its NetloomError into a reported issue (at the error's own path when it names one). */
function guarded<T>(report: ReportIssue, path: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof NetloomError)) throw e;
    if (e.path !== undefined && e.message.startsWith(`${e.path}: `)) report(e.path, e.message.slice(e.path.length + 2));
    else report(path, e.message);
    return undefined;
  }
}

/**
 * The configuration at `stackPath` and its layers at `<base>.layers` (undefined = not given).
 * Layer errors name `<base>.layers[i]`.
 */
export function checkStackChoice(
  stack: unknown,
  layers: unknown,
  stackPath: string,
  base: string,
  report: ReportIssue,
): StackChoice | undefined {
  if (typeof stack !== "string" || !(STACK_CONFIGURATIONS as readonly string[]).includes(stack)) {
    const s = typeof stack === "string" ? suggest(stack, STACK_CONFIGURATIONS) : undefined;
    report(
      stackPath,
      `${JSON.stringify(stack)} is not a stack configuration (${STACK_CONFIGURATIONS.join(", ")})${s !== undefined ? ` (did you mean "${s}"?)` : ""}`,
    );
    return undefined;
  }
  const configuration = stack as StackConfiguration;
  if (!LAYERED_CONFIGURATIONS.includes(configuration)) {
    if (layers === undefined) return { stack: configuration, layers: [] };
    report(`${base}.layers`, `${stack} has no layers to compose (it is not a layered stack)`, true);
    return undefined;
  }
  const raw = layers ?? DEFAULT_LAYERS;
  if (!Array.isArray(raw)) {
    report(`${base}.layers`, "must be a list of layer names, top to bottom");
    return undefined;
  }
  const ok = guarded(report, `${base}.layers`, () => checkComposition(raw as string[], base));
  return ok === undefined ? undefined : { stack: configuration, layers: ok };
}

/** A bundled profile or a profile file (`raw` already defaulted by the caller). */
export function checkProfileChoice(
  raw: unknown,
  path: string,
  baseDir: string | undefined,
  report: ReportIssue,
): CpuProfile | undefined {
  if (typeof raw !== "string") {
    report(path, `must be a bundled profile (${BUNDLED_PROFILES.join(", ")}) or a profile file`);
    return undefined;
  }
  const bundled = (BUNDLED_PROFILES as readonly string[]).includes(raw);
  const looksLikeFile = /[./\\]/.test(raw);
  if (!bundled && !looksLikeFile) {
    const s = suggest(raw, BUNDLED_PROFILES);
    report(
      path,
      `${JSON.stringify(raw)} is not a bundled profile (${BUNDLED_PROFILES.join(", ")})${s !== undefined ? ` (did you mean "${s}"?)` : ""}, nor a file path`,
    );
    return undefined;
  }
  const where = bundled || isAbsolute(raw) ? raw : resolve(baseDir ?? process.cwd(), raw);
  try {
    return loadCpuProfile(where);
  } catch (e) {
    if (!(e instanceof NetloomError)) throw e;
    report(path, e.message); // names the profile file and its field
    return undefined;
  }
}
