// tshark as an independent oracle for capture files: run it on a pcap, get fields back.
//
// CI guarantees tshark (.ci/run installs it), so a missing tshark is a test failure with a
// clear message, never a skip: a silently skipped dissection check would hide broken pcaps.
// Every run has a timeout; no shell is involved (arguments go to execFileSync as a list).

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const TSHARK = process.env["TSHARK"] ?? "tshark";
const TIMEOUT_MS = 30_000;

/** Preferences that make tshark verify every checksum netloom writes. */
export const CHECK_ALL_PREFS: Readonly<Record<string, string>> = {
  // Validate the Ethernet FCS; "Always" stops the dissector guessing whether a frame has one
  // (the default heuristic can mistake an FCS for padding or trailer bytes).
  "eth.check_fcs": "TRUE",
  "eth.fcs": "Always",
  "ip.check_checksum": "TRUE",
  "udp.check_checksum": "TRUE",
};

let version: string | undefined;

/** The tshark version line; throws a clear error when tshark cannot be run. */
export function requireTshark(): string {
  if (version !== undefined) return version;
  try {
    const out = execFileSync(TSHARK, ["--version"], {
      encoding: "utf8",
      timeout: TIMEOUT_MS,
      stdio: ["ignore", "pipe", "pipe"],
    });
    version = out.split("\n")[0] ?? "";
    return version;
  } catch (cause) {
    throw new Error(
      `tshark is required by the pcap tests and could not be run (${String(cause)}). ` +
        "Install it (apt-get install tshark; .ci/run does this) or set TSHARK to its path. " +
        "These tests fail rather than skip: CI guarantees tshark.",
      { cause },
    );
  }
}

export interface TsharkOptions {
  /** `-o name:value` preferences (e.g. CHECK_ALL_PREFS). */
  prefs?: Readonly<Record<string, string>>;
  /** Extra arguments placed before the output options. */
  args?: readonly string[];
}

function run(file: string, options: TsharkOptions, output: readonly string[]): string {
  requireTshark();
  const args = ["-n", "-r", file];
  for (const [name, value] of Object.entries(options.prefs ?? {})) args.push("-o", `${name}:${value}`);
  args.push(...(options.args ?? []), ...output);
  try {
    return execFileSync(TSHARK, args, {
      encoding: "utf8",
      timeout: TIMEOUT_MS,
      maxBuffer: 64 << 20,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (cause) {
    const stderr = (cause as { stderr?: unknown }).stderr;
    throw new Error(`tshark ${args.join(" ")} failed: ${typeof stderr === "string" ? stderr : String(cause)}`, {
      cause,
    });
  }
}

/**
 * One row per frame, keyed by field name. Fields that occur several times in a frame (e.g.
 * `_ws.expert.message`) are joined with " | "; absent fields are "".
 */
export function tsharkFields(
  file: string,
  fields: readonly string[],
  options: TsharkOptions = {},
): Record<string, string>[] {
  const output = ["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator= | "];
  for (const f of fields) output.push("-e", f);
  const text = run(file, options, output);
  const rows: Record<string, string>[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const cols = line.split("\t");
    const row: Record<string, string> = {};
    fields.forEach((f, i) => (row[f] = cols[i] ?? ""));
    rows.push(row);
  }
  return rows;
}

/** The full packet details (-V) as text. */
export function tsharkVerbose(file: string, options: TsharkOptions = {}): string {
  return run(file, options, ["-V"]);
}

/** A fresh directory under os.tmpdir(); call remove() when done (also on failure). */
export function tempDir(prefix = "netloom-pcap-"): { dir: string; path(name: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    path: (name: string) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
