// `netloom run <scenario>`: loads a scenario, applies the command line's overrides, runs it (on
// worker threads with --workers N > 1 when that pays) and prints the report.
//
// Contract:
// - --seed and --duration override the scenario's; traffic with no stop time of its own runs
//   until the run's end, longer or shorter (a stop time the file gives is kept).
// - Outputs (./run-outputs.ts): flags win over the scenario's `outputs`; every output path is
//   created or checked before the run, and a bad one is one line and exit 1.
// - --json prints exactly one JSON document on stdout (the RunReport: scenario, seed,
//   simTimeNs, wallTimeMs, events, fingerprint, flows, links, hosts, switches, routers, and
//   `parallel`, `partitioning`, `captures`, `interrupted` when they apply); otherwise the
//   summary of ./run-summary.ts. A progress bar goes to stderr only on an interactive terminal
//   without CI, never with --json or --quiet; it follows virtual time and events at any scale.
// - --report FILE (else the scenario's outputs.report) writes the HTML report of the run
//   (src/run/html/run-page.ts), with time series sampled during the run; --link-stats (on with
//   a report) adds each link direction's delay, jitter and frames in flight.
// - Notes on stderr: a run asked to partition that runs on one thread says why; captures that
//   grow fast (on course for more than CAPTURE_WARN_BYTES, or past it) say so once.
// - SIGINT and SIGTERM stop the run at the next event boundary: captures close on whole
//   records, the report of what was done is written and printed marked interrupted, the
//   terminal is restored, and the exit code is 128 + the signal's number (130, 143). A second
//   signal exits at once (terminal restored).

import { ErrorCode, NetloomError } from "../base/errors.js";
import { formatByteSize, formatDuration, parseDuration } from "../base/units.js";
import { prewarmPartitionWorkers } from "../run/parallel-run.js";
import { partitioningVerdict, planPartitions } from "../run/partition.js";
import type { RunReport } from "../run/run-report.js";
import { type RunProgress, runScenario } from "../run/run-scenario.js";
import { loadScenario, type Scenario } from "../scenario/scenario.js";
import { EXIT_OK, printJson, printLines } from "./output.js";
import { progressWanted, RunProgressBar, restoreTerminal } from "./progress.js";
import { type OutputFlags, planOutputs, reportDocument, type RunOutputPlan, writeOutputs } from "./run-outputs.js";
import { runSummary } from "./run-summary.js";
import { prepareOutputFile, writeOutputFile } from "../base/output-path.js";

export interface RunFlags extends OutputFlags {
  json?: boolean;
  seed?: number;
  duration?: string;
  quiet?: boolean;
  workers?: number;
  forceWorkers?: boolean;
  report?: string;
  linkStats?: boolean;
}

/** Captures on course for more than this by the end of the run (or past it) get a warning. */
export const CAPTURE_WARN_BYTES = 2 ** 30;
/** ... once they have written at least this much (early projections are noise). */
const CAPTURE_WARN_AFTER_BYTES = 16 * 2 ** 20;

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export async function runCommand(file: string, flags: RunFlags): Promise<number> {
  const workers = flags.workers ?? 1;
  const scenario = loadScenario(file);
  applyOverrides(scenario, flags);
  const outputs = planOutputs(scenario, flags);
  // The worker threads start (and load their modules) while this thread builds, when the run will partition.
  if (workers > 1 && (flags.forceWorkers === true || partitioningVerdict(planPartitions(scenario, workers)).pays))
    prewarmPartitionWorkers(workers);
  const report = await runWithSignals(scenario, workers, outputs, flags);
  const summary = runSummary(scenario.name, report, {
    workers,
    pcapDir: outputs.pcap?.dir,
    pcapFiles: report.captures?.files ?? 0,
    csvDir: outputs.csvDir,
  });
  writeOutputs(outputs, report, scenario);
  if (flags.json) printJson(reportDocument(report));
  else printLines([...summary, ...writtenLines(outputs)]);
  if (report.interrupted !== undefined) {
    const r = report.interrupted;
    process.stderr.write(
      `netloom: interrupted (${r.reason}) at ${formatDuration(report.simTimeNs)} of ${formatDuration(r.durationNs)}: ` +
        "the report and captures hold what was done until then\n",
    );
    return SIGNAL_EXIT[r.reason] ?? 130;
  }
  return EXIT_OK;
}

function writtenLines(outputs: RunOutputPlan): string[] {
  const out: string[] = [];
  if (outputs.jsonFile !== undefined) out.push(`json: ${outputs.jsonFile}`);
  if (outputs.reportFile !== undefined) out.push(`report: ${outputs.reportFile}`);
  return out;
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
    // Traffic without its own stop time runs to the new end (build-traffic.ts); given stops stay.
    scenario.durationNs = durationNs;
  }
}

/**
 * Runs with a progress bar (when wanted), the capture growth warning, and SIGINT/SIGTERM
 * turned into a stop at the next event boundary.
 */
async function runWithSignals(
  scenario: Scenario,
  workers: number,
  outputs: RunOutputPlan,
  flags: RunFlags,
): Promise<RunReport> {
  const controller = new AbortController();
  const bar = !(flags.quiet || flags.json) && progressWanted() ? new RunProgressBar(scenario.durationNs) : undefined;
  const watch = new CaptureWatch(scenario.durationNs, outputs.pcap?.limit !== undefined, bar);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals === 1) {
      controller.abort(signal);
      return;
    }
    bar?.stop();
    restoreTerminal();
    process.exit(SIGNAL_EXIT[signal] ?? 130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await runScenario(scenario, {
      workers,
      ...(flags.forceWorkers === true ? { forceWorkers: true } : {}),
      ...(outputs.pcap !== undefined ? { pcap: outputs.pcap } : {}),
      signal: controller.signal,
      onProgress: (t: number, p: RunProgress) => {
        bar?.update(t, p.events);
        watch.check(t, p.captureBytes);
      },
      onNotice: (message) => process.stderr.write(`netloom: ${message}\n`),
      // The HTML report shows the time series and the link figures; otherwise they cost only on request.
      ...(outputs.reportFile !== undefined ? { samples: true } : {}),
      ...(flags.linkStats === true || outputs.reportFile !== undefined ? { linkStats: true } : {}),
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    bar?.stop();
  }
}

/** Warns once when the captures are on course to grow past CAPTURE_WARN_BYTES. */
class CaptureWatch {
  private warned = false;
  constructor(
    private readonly durationNs: number,
    private readonly limited: boolean,
    private readonly bar: RunProgressBar | undefined,
  ) {}

  check(simTimeNs: number, bytes: number): void {
    if (this.warned || bytes < CAPTURE_WARN_AFTER_BYTES || simTimeNs <= 0) return;
    const projected = this.limited ? bytes : (bytes / simTimeNs) * this.durationNs;
    if (projected <= CAPTURE_WARN_BYTES && bytes <= CAPTURE_WARN_BYTES) return;
    this.warned = true;
    const course = projected > bytes ? `, on course for ${formatByteSize(Math.round(projected))} by the end` : "";
    // A line of its own, above the bar.
    if (this.bar !== undefined) process.stderr.write("\n");
    process.stderr.write(
      `netloom: pcap: ${formatByteSize(bytes)} written after ${formatDuration(Math.round(simTimeNs))} of ` +
        `${formatDuration(this.durationNs)}${course}; --pcap-limit (e.g. 100MB or 10000packets per file) or ` +
        "--snaplen bounds it, Ctrl-C stops the run and keeps what was written\n",
    );
  }
}

/** Writes an HTML page (whole or not at all; its directory made, the path checked, as every output). */
export function writeHtml(file: string, html: string): void {
  writeOutputFile(prepareOutputFile(file, "the report page"), html, "the report page");
}
