// The one way an input file's problems are reported: scenario files, their `atm` section and
// comparison files all collect into a Reporter and throw one ScenarioError at the end.
//
// Contract:
// - error(path, problem) records `<path>: <problem>` with the line and column the locator
//   gives for `path` (or for `at`, and its key rather than its value when `onKey`). It returns
//   undefined, so a check can `return rep.error(...)` and its siblings still run.
// - A message recorded twice is kept once; paths in `settled` take no further problems (a
//   reference already reported as unknown would otherwise be reported again for its value).
// - `suffix` is appended to every message (" (with size = 64)" while a sweep point is checked).
// - units() runs a parser that throws NetloomError (base/units.ts, a layer list) and reports
//   its message at the path the error names.
// - throwIfAny(source, byLine) throws one ScenarioError (INVALID_ARGUMENT) with every problem:
//   in file order when `byLine` (stable, so problems without a line keep check order), else in
//   check order; its message lists the first MAX_PROBLEMS_SHOWN and how many more there are.
//   The CLI maps a ScenarioError to exit code 2.
// - Every problem is at most MAX_PROBLEM_CHARS characters: a huge value (or key) a message
//   echoes is cut there and its length said, so the message stays short however large the file.
// The wording of each problem is the caller's (checks.ts and wording.ts hold the shared ones).

import { ErrorCode, NetloomError } from "../base/errors.js";

/** Where a document path (`links[3].rate`) stands in the text: its key (key = true) or value. */
export type Locate = (path: string, key: boolean) => { line: number; column: number } | undefined;

export interface ScenarioIssue {
  /** Path in the document, e.g. "links[3].rate" ("" for the whole document). */
  path: string;
  /** `${path}: ${problem}` without the location. */
  message: string;
  line: number | undefined;
  column: number | undefined;
}

/** Problems the message lists; `errors` holds them all. */
export const MAX_PROBLEMS_SHOWN = 50;
/** Longest problem text: a huge value echoed in one is cut, with its length said. */
export const MAX_PROBLEM_CHARS = 300;

/** `text` cut to MAX_PROBLEM_CHARS characters, ending "... (N characters)" when it was cut. */
function clip(text: string): string {
  if (text.length <= MAX_PROBLEM_CHARS) return text;
  const tail = `... (${text.length} characters)`;
  return text.slice(0, MAX_PROBLEM_CHARS - tail.length) + tail;
}

/** All problems of a scenario; the message has one line per problem, the first 50 of them. */
export class ScenarioError extends NetloomError {
  readonly errors: readonly ScenarioIssue[];
  readonly source: string | undefined;

  constructor(issues: ScenarioIssue[], source: string | undefined) {
    const errors = issues.map((e) => (e.message.length > MAX_PROBLEM_CHARS ? { ...e, message: clip(e.message) } : e));
    const lines = errors.slice(0, MAX_PROBLEMS_SHOWN).map((e) => locationPrefix(e, source) + e.message);
    if (errors.length > MAX_PROBLEMS_SHOWN) lines.push(`... and ${errors.length - MAX_PROBLEMS_SHOWN} more`);
    const text =
      errors.length === 1
        ? lines[0]!
        : `${errors.length} problems in ${source ?? "the scenario"}:\n${lines.join("\n")}`;
    super(ErrorCode.INVALID_ARGUMENT, text);
    this.name = "ScenarioError";
    this.errors = errors;
    this.source = source;
    // NetloomError would prefix the message with `path`; set it afterwards for code that reads it.
    (this as { path: string | undefined }).path = errors[0]?.path;
  }
}

function locationPrefix(e: ScenarioIssue, source: string | undefined): string {
  if (e.line === undefined) return source !== undefined && e.path === "" ? `${source}: ` : "";
  return source !== undefined ? `${source}:${e.line}:${e.column ?? 1}: ` : `line ${e.line}: `;
}

const nowhere: Locate = () => undefined;

export class Reporter {
  readonly issues: ScenarioIssue[] = [];
  private readonly seen = new Set<string>();
  /** Paths already reported in a way that makes any later complaint about them noise. */
  readonly settled = new Set<string>();
  /** Appended to every message while one sweep point is checked. */
  suffix = "";

  constructor(private readonly locate: Locate = nowhere) {}

  /** `at` is where to look for the line number when it differs from `path`. */
  error(path: string, problem: string, onKey = false, at = path): undefined {
    const message = `${path === "" ? "" : `${path}: `}${problem}${this.suffix}`;
    if (this.seen.has(message) || this.settled.has(path)) return undefined;
    this.seen.add(message);
    const pos = this.locate(at, onKey);
    this.issues.push({ path, message, line: pos?.line, column: pos?.column });
    return undefined;
  }

  /** Runs a parser, turning its NetloomError into a problem at the path the error names. */
  units<T>(path: string, parse: () => T): T | undefined {
    try {
      return parse();
    } catch (e) {
      if (!(e instanceof NetloomError)) throw e;
      if (e.path !== undefined && e.message.startsWith(`${e.path}: `)) {
        return this.error(e.path, e.message.slice(e.path.length + 2));
      }
      return this.error(path, e.message);
    }
  }

  throwIfAny(source: string | undefined, byLine: boolean): void {
    if (this.issues.length === 0) return;
    if (byLine) {
      this.issues.sort((x, y) => (x.line ?? Infinity) - (y.line ?? Infinity) || (x.column ?? 0) - (y.column ?? 0));
    }
    throw new ScenarioError(this.issues, source);
  }
}
