// What every netloom command shares on its way out: the exit codes, how a document or a
// summary reaches stdout, and how an error becomes a message on stderr and an exit code.
//
// Contract:
// - stdout carries either one JSON document (--json) or the human summary, never both;
//   progress and errors go to stderr.
// - Exit codes: EXIT_OK; EXIT_BAD_INPUT for a bad scenario or bad arguments (a NetloomError or
//   a commander usage error; the message names the path and the problem); EXIT_FAILED for an
//   output that cannot be written (NetloomError OUTPUT_FAILED: one line naming the path and the
//   OS reason), for a run that failed its own check (CHECK_FAILED: a workload's atomicity check;
//   the message says what broke) and for anything else (an internal error, a failed sweep point).

import { ErrorCode, NetloomError } from "../base/errors.js";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

/** Writes `doc` to stdout as one indented JSON document. */
export function printJson(doc: unknown): void {
  process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
}

/** Writes a human summary to stdout, one entry per line. */
export function printLines(lines: readonly string[]): void {
  process.stdout.write(lines.join("\n") + "\n");
}

/**
 * The exit code of an error thrown by a command or by commander. Commander has already
 * printed its own usage message; everything else is written to stderr here.
 */
export function exitCodeOf(err: unknown): number {
  const e = err as { code?: string; exitCode?: number; message?: string };
  if (typeof e.code === "string" && e.code.startsWith("commander.")) {
    return e.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
  }
  if (err instanceof NetloomError) {
    process.stderr.write(`netloom: ${err.message}\n`);
    // A file that cannot be written, or a run that failed its own check: not bad input.
    return err.code === ErrorCode.OUTPUT_FAILED || err.code === ErrorCode.CHECK_FAILED ? EXIT_FAILED : EXIT_BAD_INPUT;
  }
  process.stderr.write(`netloom: internal error: ${(err as Error).stack ?? String(err)}\n`);
  return EXIT_FAILED;
}
