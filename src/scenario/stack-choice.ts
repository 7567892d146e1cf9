// Stack choice: the checks of a host stack configuration (its name, its layers) and of a CPU
// profile, shared by the comparison file (compare-file.ts) and scenario files (a host's
// `hostStack`), so both accept the same things with the same messages.
//
// Contract:
// - Checkers never throw for bad input: they report each problem into the caller's Reporter
//   (path, line, did-you-mean) and return undefined. Errors that name their own path (a layer
//   inside the list: `<base>.layers[2]`) are reported at that path.
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
import type { Reporter } from "./reporter.js";

/** The configurations that compose layers (LayeredStack variants and the protocol accelerator). */
export const LAYERED_CONFIGURATIONS: readonly StackConfiguration[] = ["socket", "layered", "fbufs", "accelerated"];
/** Default layers of the layered configurations: the five-layer stack of the Horus figures. */
export const DEFAULT_LAYERS = ["TOTAL", "FC", "NAK", "FRAG", "COM"];

export interface StackChoice {
  stack: StackConfiguration;
  /** Layer names top to bottom; [] for unet and active-messages. */
  layers: string[];
}

/**
 * The configuration at `stackPath` and its layers at `<base>.layers` (undefined = not given).
 * Layer errors name `<base>.layers[i]`.
 */
export function checkStackChoice(
  rep: Reporter,
  stack: unknown,
  layers: unknown,
  stackPath: string,
  base: string,
): StackChoice | undefined {
  if (typeof stack !== "string" || !(STACK_CONFIGURATIONS as readonly string[]).includes(stack)) {
    const s = typeof stack === "string" ? suggest(stack, STACK_CONFIGURATIONS) : undefined;
    rep.error(
      stackPath,
      `${JSON.stringify(stack)} is not a stack configuration (${STACK_CONFIGURATIONS.join(", ")})${s !== undefined ? ` (did you mean "${s}"?)` : ""}`,
    );
    return undefined;
  }
  const configuration = stack as StackConfiguration;
  if (!LAYERED_CONFIGURATIONS.includes(configuration)) {
    if (layers === undefined) return { stack: configuration, layers: [] };
    rep.error(`${base}.layers`, `${stack} has no layers to compose (it is not a layered stack)`, true);
    return undefined;
  }
  const raw = layers ?? DEFAULT_LAYERS;
  if (!Array.isArray(raw)) {
    rep.error(`${base}.layers`, "must be a list of layer names, top to bottom");
    return undefined;
  }
  const ok = rep.units(`${base}.layers`, () => checkComposition(raw as string[], base));
  return ok === undefined ? undefined : { stack: configuration, layers: ok };
}

/** A bundled profile or a profile file (`raw` already defaulted by the caller). */
export function checkProfileChoice(
  rep: Reporter,
  raw: unknown,
  path: string,
  baseDir: string | undefined,
): CpuProfile | undefined {
  if (typeof raw !== "string") {
    rep.error(path, `must be a bundled profile (${BUNDLED_PROFILES.join(", ")}) or a profile file`);
    return undefined;
  }
  const bundled = (BUNDLED_PROFILES as readonly string[]).includes(raw);
  const looksLikeFile = /[./\\]/.test(raw);
  if (!bundled && !looksLikeFile) {
    const s = suggest(raw, BUNDLED_PROFILES);
    rep.error(
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
    rep.error(path, e.message); // names the profile file and its field
    return undefined;
  }
}
