// `netloom sweep <scenario>`: runs one point per combination of the scenario's `parameters`
// (src/run/sweep.ts) on worker threads and writes one table, DIR/<name>-sweep.json and .csv
// (DIR: --out, else results/ beside the scenario). A summary (or, with --json, the table) on
// stdout; exit EXIT_FAILED when any point failed (its row says why). --report FILE also writes
// the HTML report (src/run/html/sweep-page.ts): each figure against each parameter, the mean
// over seeds with a 95% confidence interval.

import { join } from "node:path";
import { writeCsv } from "../base/csv.js";
import { prepareOutputDir, prepareOutputFile, writeOutputFile } from "../base/output-path.js";
import { formatBitRate, formatDuration } from "../base/units.js";
import { runSweep, type SweepResult, sweepCsv } from "../run/sweep.js";
import { loadSweep } from "../scenario/scenario.js";
import { EXIT_FAILED, EXIT_OK, printJson, printLines } from "./output.js";
import { pointsBar } from "./progress.js";
import { writeHtml } from "./run-command.js";
import { sweepHtml } from "../run/html/sweep-page.js";

export interface SweepFlags {
  out?: string;
  threads?: number;
  json?: boolean;
  quiet?: boolean;
  report?: string;
}

export async function sweepCommand(file: string, flags: SweepFlags): Promise<number> {
  const sweep = loadSweep(file);
  const base = sweep.base.baseDir ?? process.cwd();
  // Checked before the points run: a bad directory is one line, not a lost sweep.
  const outDir = prepareOutputDir(flags.out ?? join(base, "results"), "the sweep's output directory");
  const stem = join(outDir, `${sweep.base.name}-sweep`);
  for (const ext of [".json", ".csv"]) prepareOutputFile(stem + ext, "the sweep table");
  if (flags.report !== undefined) prepareOutputFile(flags.report, "the report page");
  const bar = pointsBar(" {bar} {value}/{total} points | {failed} failed", flags.quiet || flags.json === true);
  bar?.start(sweep.points.length, 0, { failed: 0 });
  let failed = 0;
  let result: SweepResult;
  try {
    result = await runSweep(sweep, {
      ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
      onPoint: (row, done) => {
        if (row.status === "error") failed++;
        bar?.update(done, { failed });
      },
    });
  } finally {
    bar?.stop();
  }
  writeOutputFile(`${stem}.json`, JSON.stringify(result, null, 2) + "\n", "the sweep table");
  writeCsv(`${stem}.csv`, sweepCsv(result));
  if (flags.report !== undefined) writeHtml(flags.report, sweepHtml(result));
  if (flags.json) printJson(result);
  else
    printLines([
      ...sweepSummary(result, failed),
      `table: ${stem}.json, ${stem}.csv`,
      ...(flags.report !== undefined ? [`report: ${flags.report}`] : []),
    ]);
  return failed > 0 ? EXIT_FAILED : EXIT_OK;
}

function sweepSummary(result: SweepResult, failed: number): string[] {
  const names = Object.keys(result.parameters);
  const out: string[] = [
    `${result.scenario}: ${result.rows.length} points in ${result.wallTimeMs.toFixed(0)} ms wall time, ${failed} failed`,
  ];
  for (const r of result.rows) {
    const at = names.map((n) => `${n}=${String(r.point[n])}`).join(" ");
    out.push(
      r.status === "ok"
        ? `  ${at}: received ${r.receivedPackets}/${r.sentPackets}, dropped ${r.droppedPackets ?? 0}, in flight ${r.inFlightPackets ?? 0}, ${formatBitRate(r.throughputBps ?? 0, 3)}, p99 ${r.latencyP99Ns === null || r.latencyP99Ns === undefined ? "-" : formatDuration(Math.round(r.latencyP99Ns))}`
        : `  ${at}: FAILED ${r.error?.message ?? ""}`,
    );
  }
  return out;
}
