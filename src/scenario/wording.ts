// The words of the shared checks (checks.ts), one table per kind of input: scenario files, their
// `atm` section and comparison files. The checks themselves exist once; these tables keep each
// kind's messages exactly as its users and tests know them. Side by side, the differences are
// easy to see (and to settle, one day, by making two tables the same): the `atm` section already
// reports unknown and missing keys in the scenario's words.
//
// Contract: every function returns the problem text (or where to report it); none reports.

import { suggest } from "../base/did-you-mean.js";

/** Where and how an unknown or missing key is reported. */
export interface KeyProblem {
  path: string;
  problem: string;
  /** Locate the key itself rather than its value. */
  onKey: boolean;
  /** The path whose text position is reported (the key's own path). */
  at: string;
}

export interface Wording {
  /** `v` is not a mapping; `what` names the mapping expected ("a mapping with sizes and rounds"). */
  notMapping(what: string, v: unknown): string;
  unknownKey(path: string, key: string, allowed: readonly string[]): KeyProblem;
  missingKey(path: string, key: string): { path: string; problem: string };
  notList(v: unknown): string;
  /** `v` is not an integer in [min, max]. */
  notInteger(v: unknown, min: number, max: number): string;
  /** `v` is not a number in [0, 1]. */
  notProbability(v: unknown): string;
  notBoolean(v: unknown): string;
  namePattern: RegExp;
  notName(v: unknown): string;
}

/** How scenario files show a value in a message: strings quoted, structures by kind. */
export function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return String(v);
}

/** Words users reach for that the scenario format spells differently. */
const KEY_ALIASES: Record<string, string> = {
  address: "ip",
  addr: "ip",
  bandwidth: "rate",
  latency: "delay",
  gw: "gateway",
  port: "ports",
};

const isInteger = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

export const SCENARIO_WORDING: Wording = {
  notMapping: (what, v) => `expected ${what}, got ${show(v)}`,
  unknownKey(path, key, allowed) {
    const s = suggest(key, allowed) ?? KEY_ALIASES[suggest(key, Object.keys(KEY_ALIASES)) ?? ""];
    const what = path === "" ? "unknown top-level key" : "unknown key";
    const hint = s !== undefined && allowed.includes(s) ? ` (did you mean "${s}"?)` : "";
    return { path, problem: `${what} "${key}"${hint}`, onKey: true, at: path === "" ? key : `${path}.${key}` };
  },
  missingKey: (path, key) => ({ path, problem: `missing required key "${key}"` }),
  notList: (v) => `expected a list, got ${show(v)}`,
  notInteger: (v, min, max) =>
    isInteger(v)
      ? `${v} is out of range (${min} to ${max === Number.MAX_SAFE_INTEGER ? "2^53 - 1" : max})`
      : `expected an integer, got ${show(v)}`,
  notProbability: (v) =>
    typeof v === "number" && Number.isFinite(v)
      ? `${v} is not a probability (0 to 1)`
      : `expected a probability (0 to 1), got ${show(v)}`,
  notBoolean: (v) => `expected true or false, got ${show(v)}`,
  namePattern: /^[A-Za-z_][A-Za-z0-9_.-]*$/,
  notName: (v) =>
    typeof v === "string"
      ? `${show(v)} is not a name (a letter or _, then letters, digits, _, . or -)`
      : `expected a string, got ${show(v)}`,
};

export const ATM_WORDING: Wording = {
  notMapping: () => "expected a mapping",
  // Keys are reported as in the rest of the scenario: the section is part of the same file.
  unknownKey: SCENARIO_WORDING.unknownKey,
  missingKey: SCENARIO_WORDING.missingKey,
  notList: () => "expected a list",
  notInteger: (v, min, max) => `${JSON.stringify(v)} is not an integer in [${min}, ${max}]`,
  notProbability: (v) => `${JSON.stringify(v)} is not a probability in [0, 1]`,
  notBoolean: () => "expected true or false",
  namePattern: /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/,
  notName: (v) => `${JSON.stringify(v)} is not a name (letters, digits, _ . -)`,
};

export const COMPARE_WORDING: Wording = {
  notMapping: (what) => `must be ${what}`,
  unknownKey(path, key, allowed) {
    const s = suggest(key, allowed);
    const at = path === "" ? key : `${path}.${key}`;
    const hint = s !== undefined ? ` (did you mean "${s}"?)` : ` (expected one of ${allowed.join(", ")})`;
    return { path: at, problem: `unknown key${hint}`, onKey: true, at };
  },
  missingKey: (path, key) => ({ path, problem: `missing required key "${key}"` }),
  notList: (v) => `expected a list, got ${show(v)}`,
  notInteger: (v, min, max) => `${JSON.stringify(v)} is not a whole number from ${min} to ${max}`,
  notProbability: (v) => `${JSON.stringify(v)} is not a probability in [0, 1]`,
  notBoolean: (v) => `expected true or false, got ${show(v)}`,
  namePattern: /^[A-Za-z0-9][\w.-]*$/,
  notName: (v) => `${JSON.stringify(v)} is not a name (letters, digits, . _ -)`,
};
