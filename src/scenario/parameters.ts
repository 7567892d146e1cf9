// Sweep parameters of a scenario: `parameters` (name -> non-empty list of values) and the
// "${name}" references that stand for them anywhere in the document.
//
// Contract:
// - checkParameters validates the ranges; checkReferences finds every reference (its path and
//   the names it uses) and reports unknown names with a did-you-mean, settling their paths so
//   the value checks do not complain about the text "${...}" as well.
// - substitute(document, point) puts one point's values in: a whole-value reference keeps the
//   parameter's type ("${size}" can stand for 64); `parameters` itself is left as written.
// - Bounded: at most MAX_PARAMETERS names, MAX_PARAMETER_VALUES values each and
//   MAX_SWEEP_POINTS points in all (every other value is checked against the whole document,
//   and loadSweep lists every point).
// Expanding a sweep into points is the caller's (loadSweep, the sweep runner).

import { suggest } from "../base/did-you-mean.js";
import type { Checker, Obj } from "./checks.js";
import type { ParameterValue, ScenarioParameterRef } from "./scenario-types.js";
import { show } from "./wording.js";

const PARAM_REF = /\$\{([^}]*)\}/g;

/** Parameters of one sweep (scenario.schema.json's maxProperties). */
export const MAX_PARAMETERS = 64;
/** Values of one parameter (the schema's maxItems). */
export const MAX_PARAMETER_VALUES = 1024;
/** Points of a sweep: the product of the parameters' value counts. */
export const MAX_SWEEP_POINTS = 65_536;

export function checkParameters(c: Checker, v: unknown): Record<string, ParameterValue[]> {
  const out: Record<string, ParameterValue[]> = {};
  if (v === undefined) return out;
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    c.error("parameters", `expected a mapping of names to lists of values, got ${show(v)}`);
    return out;
  }
  const names = Object.keys(v);
  // Past a bound the values are still kept: references to them stay known, and a document with
  // a problem is never expanded.
  if (names.length > MAX_PARAMETERS) c.error("parameters", `${names.length} parameters (limit ${MAX_PARAMETERS})`);
  for (const [k, values] of Object.entries(v)) {
    const p = `parameters.${k}`;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) {
      c.error(p, `"${k}" is not a parameter name (a letter or _, then letters, digits or _)`, true);
      continue;
    }
    if (!Array.isArray(values) || values.length === 0) {
      c.error(p, `expected a non-empty list of values, got ${show(values)}`);
      continue;
    }
    if (values.length > MAX_PARAMETER_VALUES) c.error(p, `${values.length} values (limit ${MAX_PARAMETER_VALUES})`);
    let ok = true;
    values.forEach((x, i) => {
      if (!["number", "string", "boolean"].includes(typeof x)) {
        ok = false;
        c.error(`${p}[${i}]`, `expected a number, string or boolean, got ${show(x)}`);
      }
    });
    if (ok) out[k] = values as ParameterValue[];
  }
  const points = Object.values(out).reduce((n, vs) => n * vs.length, 1);
  if (points > MAX_SWEEP_POINTS) {
    c.error("parameters", `the sweep has ${points} points (limit ${MAX_SWEEP_POINTS}): split it into several files`);
  }
  return out;
}

/** Every reference outside `parameters`; unknown names are reported and their paths settled. */
export function checkReferences(
  c: Checker,
  top: Obj,
  parameters: Record<string, ParameterValue[]>,
): ScenarioParameterRef[] {
  const refs: ScenarioParameterRef[] = [];
  for (const [k, v] of Object.entries(top)) if (k !== "parameters") findRefs(v, k, refs);
  for (const r of refs) {
    for (const n of r.names) {
      if (n in parameters) continue;
      const s = suggest(n, Object.keys(parameters));
      c.error(r.path, `unknown parameter "\${${n}}"${s ? ` (did you mean "\${${s}}"?)` : ""}`);
      c.rep.settled.add(r.path);
    }
  }
  return refs;
}

function findRefs(v: unknown, path: string, out: ScenarioParameterRef[]): void {
  if (typeof v === "string") {
    const names = [...v.matchAll(PARAM_REF)].map((m) => m[1]!);
    if (names.length > 0) out.push({ path, names });
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => findRefs(x, `${path}[${i}]`, out));
  } else if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) findRefs(x, path === "" ? k : `${path}.${k}`, out);
  }
}

export function substitute(v: unknown, point: Record<string, ParameterValue>): unknown {
  if (typeof v === "string") {
    const whole = /^\$\{([^}]*)\}$/.exec(v);
    if (whole !== null && whole[1]! in point) return point[whole[1]!];
    return v.replace(PARAM_REF, (m, n: string) => (n in point ? String(point[n]) : m));
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, point));
  if (typeof v === "object" && v !== null) {
    const o: Obj = {};
    for (const [k, x] of Object.entries(v)) o[k] = k === "parameters" ? x : substitute(x, point);
    return o;
  }
  return v;
}

/** Each parameter at its first value. */
export function firstPoint(parameters: Record<string, ParameterValue[]>): Record<string, ParameterValue> {
  const first: Record<string, ParameterValue> = {};
  for (const [k, vs] of Object.entries(parameters)) first[k] = vs[0]!;
  return first;
}
