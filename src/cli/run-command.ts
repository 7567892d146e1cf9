// `netloom run <scenario>`: loads a scenario, applies the command line's overrides, runs it (on
// worker threads with --workers N > 1) and prints the report.
//
// Contract:
// - --seed and --duration override the scenario's; traffic then stops at the run's end at the
//   latest (stop times default to the scenario's duration).
// - Output directories given on the command line win over the scenario's `outputs`; relative
//   scenario outputs resolve against the scenario file's directory.
// - --report FILE (else the scenario's outputs.report) writes the HTML report of the run
//   (src/run/html/run-page.ts), with time series sampled during the run.
// - --json prints exactly one JSON document on stdout (keys: scenario, seed, simTimeNs,
//   wallTimeMs, events, fingerprint, flows, links, hosts, switches, routers, and `parallel` for
//   partitioned runs); otherwise the summary of ./run-summary.ts. A progress bar goes to stderr
//   only on an interactive terminal without CI, never with --json or --quiet.

import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { writeCsv } from "../base/csv.js";
import { ErrorCode, NetloomError } from "../base/errors.js";
import { parseDuration } from "../base/units.js";
import { prewarmPartitionWorkers } from "../run/parallel-run.js";
import { flowsCsv, linksCsv } from "../run/report-csv.js";
import type { RunReport } from "../run/run-report.js";
import { runScenario } from "../run/run-scenario.js";
import { loadScenario, type Scenario } from "../scenario/scenario.js";
import { EXIT_OK, printJson, printLines } from "./output.js";
import { ProgressBar, progressWanted, runWithProgress } from "./progress.js";
import { runSummary } from "./run-summary.js";
import { runHtml } from "../run/html/run-page.js";

export interface RunFlags {
  json?: boolean;
  csv?: string;
  pcap?: string;
  seed?: number;
  duration?: string;
  quiet?: boolean;
  workers?: number;
  report?: string;
  linkStats?: boolean;
}

export async function runCommand(file: string, flags: RunFlags): Promise<number> {
  const workers = flags.workers ?? 1;
  // The worker threads start (and load their modules) while this thread reads the scenario.
  prewarmPartitionWorkers(workers);
  const scenario = loadScenario(file);
  applyOverrides(scenario, flags);
  const base = scenario.baseDir ?? process.cwd();
  const pcapDir = flags.pcap ?? (scenario.outputs.pcap ? resolve(base, scenario.outputs.pcap.dir) : undefined);
  const csvDir = flags.csv ?? (scenario.outputs.csv !== undefined ? resolve(base, scenario.outputs.csv) : undefined);
  const htmlFile =
    flags.report ?? (scenario.outputs.report !== undefined ? resolve(base, scenario.outputs.report) : undefined);
  const showProgress = !(flags.quiet || flags.json) && progressWanted();
  // The HTML report shows the link figures; otherwise they cost per-frame work only on request.
  const linkStats = flags.linkStats === true || htmlFile !== undefined;
  const report = await runShowingProgress(scenario, workers, pcapDir, showProgress, htmlFile !== undefined, linkStats);

  if (csvDir !== undefined) writeRunCsv(csvDir, report);
  if (htmlFile !== undefined) writeHtml(htmlFile, runHtml(report, scenario));
  if (flags.json) {
    printJson({
      ...report,
      switches: report.switches.map(({ name, ports, ...rest }) => ({ name, ...rest, ports })),
    });
    return EXIT_OK;
  }
  const pcapFiles = pcapDir !== undefined ? readdirSync(pcapDir).filter((f) => f.endsWith(".pcap")).length : 0;
  printLines([
    ...runSummary(scenario.name, report, { workers, pcapDir, pcapFiles, csvDir }),
    ...(htmlFile !== undefined ? [`report: ${htmlFile}`] : []),
  ]);
  return EXIT_OK;
}

function applyOverrides(scenario: Scenario, flags: RunFlags): void {
  if (flags.seed !== undefined) scenario.seed = flags.seed;
  if (flags.duration !== undefined) {
    const durationNs = parseDuration(flags.duration, "--duration");
    if (durationNs <= 0) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `--duration: ${JSON.stringify(flags.duration)} is no time to run`,
      );
    }
    scenario.durationNs = durationNs;
    // Traffic that would start after the shortened run ends sends nothing, rather than stopping before it starts.
    for (const t of scenario.traffic) t.stopNs = Math.max(t.startNs, Math.min(t.stopNs, durationNs));
  }
}

/**
 * One thread: the network runs in slices behind a bar. Partitioned: the bar follows the
 * virtual time the windows reached.
 */
async function runShowingProgress(
  scenario: Scenario,
  workers: number,
  pcapDir: string | undefined,
  showProgress: boolean,
  samples: boolean,
  linkStats: boolean,
): Promise<RunReport> {
  const bar = showProgress && workers > 1 ? new ProgressBar(scenario.durationNs) : undefined;
  try {
    return await runScenario(scenario, {
      workers,
      samples,
      linkStats,
      ...(pcapDir !== undefined ? { pcapDir } : {}),
      runSingle: (network, end) => runWithProgress(network, end, { enabled: showProgress }),
      ...(bar !== undefined ? { onProgress: (t: number) => bar.update(t) } : {}),
    });
  } finally {
    bar?.stop();
  }
}

/** Writes an HTML page, making its directory. */
export function writeHtml(file: string, html: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, html);
}

function writeRunCsv(csvDir: string, report: RunReport): void {
  mkdirSync(csvDir, { recursive: true });
  writeCsv(join(csvDir, "flows.csv"), flowsCsv(report.flows));
  writeCsv(join(csvDir, "links.csv"), linksCsv(report.links.map((l) => ({ name: l.id, directions: l.directions }))));
}
