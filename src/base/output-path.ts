// Output paths: the files and directories a run writes, checked and created before the run, so a
// bad path costs the user one clear line and no wasted run; and written so that a reader never
// sees half a file.
//
// Contract:
// - prepareOutputDir(path, what): creates the directory and any missing parents, and checks it
//   can be written. prepareOutputFile(path, what): creates the parent directories and checks the
//   file can be created or replaced (it is not a directory; the directory or the file is
//   writable). Neither leaves anything behind on failure except directories created on the way.
// - writeOutputFile(path, text, what): writes to a temporary file in the same directory, then
//   renames it over `path`, so a concurrent reader sees the old file or the new one.
// - Every failure is a NetloomError OUTPUT_FAILED whose message is one line naming what, the
//   path and the OS reason with its code: `cannot create the pcap directory "/proc/nope": no such
//   file or directory (ENOENT)`.
// - Directories are made one level at a time from the deepest existing ancestor (not with
//   mkdirSync's recursive mode, which spins forever on some paths under /proc).

import { accessSync, constants, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { ErrorCode, NetloomError } from "./errors.js";

/** "no such file or directory (ENOENT)" from a Node system error; the message otherwise. */
export function osReason(cause: unknown): string {
  const e = cause as { code?: unknown; message?: unknown };
  const message = typeof e?.message === "string" ? e.message : String(cause);
  if (typeof e?.code !== "string") return message;
  // Node: "ENOENT: no such file or directory, mkdir '/proc/nope'".
  const m = /^[A-Z0-9_]+: ([^,]+)/.exec(message);
  return `${m?.[1] ?? message} (${e.code})`;
}

function failed(verb: string, what: string, path: string, reason: string, cause?: unknown): NetloomError {
  return new NetloomError(ErrorCode.OUTPUT_FAILED, `cannot ${verb} ${what} "${path}": ${reason}`, {
    ...(cause !== undefined ? { cause } : {}),
  });
}

function isDirectory(path: string): boolean | undefined {
  try {
    return statSync(path).isDirectory();
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code === "ENOENT") return undefined;
    throw cause;
  }
}

/** Makes `dir` and its missing parents; `what` and `shown` name it in errors. */
function makeDirs(dir: string, what: string, shown: string): void {
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    let kind: boolean | undefined;
    try {
      kind = isDirectory(p);
    } catch (cause) {
      throw failed("create", what, shown, osReason(cause), cause);
    }
    if (kind === true) break;
    if (kind === false) throw failed("create", what, shown, `${p} is a file, not a directory (ENOTDIR)`);
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (cause) {
      if ((cause as { code?: string }).code === "EEXIST" && isDirectory(d) === true) continue;
      throw failed("create", what, shown, osReason(cause), cause);
    }
  }
}

function checkWritable(path: string, verb: string, what: string, shown: string): void {
  try {
    accessSync(path, constants.W_OK);
  } catch (cause) {
    throw failed(verb, what, shown, osReason(cause), cause);
  }
}

/** Creates directory `path` (and its parents) and checks it is writable; returns it resolved. */
export function prepareOutputDir(path: string, what: string): string {
  const abs = resolve(path);
  if (isDirectoryOrFail(abs, what, path) === false) {
    throw failed("write", what, path, "it is a file, not a directory (ENOTDIR)");
  }
  makeDirs(abs, what, path);
  checkWritable(abs, "write into", what, path);
  return abs;
}

/** Creates the parent directories of file `path` and checks the file can be written; returns it resolved. */
export function prepareOutputFile(path: string, what: string): string {
  const abs = resolve(path);
  const kind = isDirectoryOrFail(abs, what, path);
  if (kind === true) throw failed("write", what, path, "it is a directory (EISDIR)");
  makeDirs(dirname(abs), what, path);
  if (kind === false) checkWritable(abs, "write", what, path);
  else checkWritable(dirname(abs), "write", what, path);
  return abs;
}

function isDirectoryOrFail(abs: string, what: string, shown: string): boolean | undefined {
  try {
    return isDirectory(abs);
  } catch (cause) {
    throw failed("write", what, shown, osReason(cause), cause);
  }
}

let tmpCounter = 0;

/** Writes `text` to `path` through a temporary file and a rename; OUTPUT_FAILED naming `what` on failure. */
export function writeOutputFile(path: string, text: string, what: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${tmpCounter++}.tmp`);
  try {
    writeFileSync(tmp, text, "utf8");
    renameSync(tmp, path);
  } catch (cause) {
    rmSync(tmp, { force: true });
    throw failed("write", what, path, osReason(cause), cause);
  }
}
