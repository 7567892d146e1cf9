// `netloom validate <file...>`: checks scenario, sweep and comparison files without running
// them. Each file gets one line: what it is and what it holds, or its problems (path, line,
// did-you-mean) as `netloom run` would report them.
//
// Contract:
// - A file is a comparison when its top level has `configurations` or `networks` and no
//   `hosts`, `links` or `atm`; otherwise a scenario (a sweep when it has `parameters`: every
//   point is checked, as `netloom sweep` would).
// - Exit 0 when every file is valid, 2 when any is not (each bad file's problems on stderr,
//   the others still checked); --json prints one document: per file its kind and what it holds.

import { NetloomError } from "../base/errors.js";
import { formatDuration } from "../base/units.js";
import { loadComparison } from "../scenario/compare-file.js";
import { loadScenario } from "../scenario/scenario.js";
import { parsePlain, readInputFile } from "../scenario/structured-text.js";
import { EXIT_BAD_INPUT, EXIT_OK, printJson, printLines } from "./output.js";

export interface ValidateFlags {
  json?: boolean;
}

export interface ValidatedFile {
  file: string;
  kind: "scenario" | "sweep" | "comparison";
  ok: boolean;
  summary: string;
}

export function validateCommand(files: string[], flags: ValidateFlags): number {
  const results: ValidatedFile[] = [];
  for (const file of files) {
    try {
      results.push(validateFile(file));
    } catch (err) {
      if (!(err instanceof NetloomError)) throw err;
      process.stderr.write(`netloom: ${err.message}\n`);
      results.push({ file, kind: kindOf(file) ?? "scenario", ok: false, summary: err.message.split("\n")[0]! });
    }
  }
  if (flags.json) printJson(results);
  else printLines(results.filter((r) => r.ok).map((r) => `ok  ${r.file}: ${r.summary}`));
  return results.every((r) => r.ok) ? EXIT_OK : EXIT_BAD_INPUT;
}

function validateFile(file: string): ValidatedFile {
  if (kindOf(file) === "comparison") {
    const c = loadComparison(file);
    return {
      file,
      kind: "comparison",
      ok: true,
      summary: `comparison "${c.name}": ${c.configurations.length} configurations on ${Object.keys(c.networks).join(" and ")}`,
    };
  }
  const s = loadScenario(file);
  const points = Object.values(s.parameters).reduce((n, vs) => n * vs.length, 1);
  const parts = [
    plural(s.hosts.length + s.stackHosts.length + (s.atm?.hosts.length ?? 0), "host"),
    plural(s.switches.length + (s.atm?.switches.length ?? 0), "switch", "switches"),
    plural(s.routers.length, "router"),
    plural(s.links.length + s.segments.length + (s.atm?.links.length ?? 0), "link"),
    plural(s.traffic.length + s.messageTraffic.length + (s.atm?.traffic.length ?? 0), "flow"),
  ];
  if (s.failures.length > 0) parts.push(plural(s.failures.length, "failure"));
  const sweep = Object.keys(s.parameters).length > 0;
  return {
    file,
    kind: sweep ? "sweep" : "scenario",
    ok: true,
    summary:
      `${sweep ? "sweep" : "scenario"} "${s.name}", ${formatDuration(s.durationNs)}: ${parts.join(", ")}` +
      (sweep ? `; ${plural(points, "point")} (${Object.keys(s.parameters).join(" x ")})` : ""),
  };
}

/** "comparison" when the top level looks like one; undefined when the file cannot be read as a mapping. */
function kindOf(file: string): "comparison" | undefined {
  try {
    const top = parsePlain(readInputFile(file).text) as Record<string, unknown> | null;
    if (top === null || typeof top !== "object" || Array.isArray(top)) return undefined;
    const looksCompared = "configurations" in top || "networks" in top;
    const looksScenario = "hosts" in top || "links" in top || "atm" in top;
    return looksCompared && !looksScenario ? "comparison" : undefined;
  } catch {
    return undefined;
  }
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
