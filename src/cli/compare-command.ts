// `netloom compare <comparison>`: the same traffic through every host stack configuration of
// a comparison file (src/compare/), written to DIR/<name>.json, .csv and .html (self-contained,
// with charts; DIR: --out, else the file's outputs.dir, else results/). A summary table per
// network and workload on stdout (with --json, the report instead).

import { join } from "node:path";
import { writeCsv } from "../base/csv.js";
import { prepareOutputDir, prepareOutputFile, writeOutputFile } from "../base/output-path.js";
import { compareCsv, compareHtml, shortBitRate, shortDuration } from "../compare/report.js";
import { type CompareRow, type ComparisonReport, runComparison } from "../compare/run-compare.js";
import { loadComparison } from "../scenario/compare-file.js";
import { EXIT_OK, printJson, printLines } from "./output.js";
import { pointsBar } from "./progress.js";

export interface CompareFlags {
  out?: string;
  json?: boolean;
  quiet?: boolean;
}

export function compareCommand(file: string, flags: CompareFlags): number {
  const cmp = loadComparison(file);
  // Checked before the points run: a bad directory is one line, not a lost comparison.
  const outDir = prepareOutputDir(flags.out ?? cmp.outDir ?? join(process.cwd(), "results"), "the output directory");
  const stem = join(outDir, cmp.name);
  for (const ext of [".json", ".csv", ".html"]) prepareOutputFile(stem + ext, "the comparison report");
  const bar = pointsBar(" {bar} {value}/{total} points | {what}", flags.quiet || flags.json === true);
  let report: ComparisonReport;
  bar?.start(1, 0, { what: "" });
  try {
    report = runComparison(cmp, {
      onPoint: (done, total, row) => {
        bar?.setTotal(total);
        bar?.update(done, { what: `${row.network} ${row.configuration} ${row.workload} ${row.size} B` });
      },
    });
  } finally {
    bar?.stop();
  }
  writeOutputFile(`${stem}.json`, JSON.stringify(report, null, 2) + "\n", "the comparison report");
  writeCsv(`${stem}.csv`, compareCsv(report));
  writeOutputFile(`${stem}.html`, compareHtml(report), "the comparison report");
  if (flags.json) {
    printJson(report);
    return EXIT_OK;
  }
  printLines([...compareSummary(report), `report: ${stem}.html, ${stem}.json, ${stem}.csv`]);
  return EXIT_OK;
}

/** Per network and workload, a table of sizes by configuration; then notes and wall times. */
function compareSummary(report: ComparisonReport): string[] {
  const out: string[] = [
    `${report.name}: profile ${report.profile}, ${report.rows.length} points in ${report.wallTimeMs.toFixed(0)} ms wall time`,
  ];
  const cell = (r: CompareRow | undefined): string =>
    r === undefined
      ? "-"
      : r.rttMeanNs !== null
        ? shortDuration(r.rttMeanNs)
        : r.goodputBps !== null
          ? shortBitRate(r.goodputBps)
          : "n/a";
  for (const network of Object.keys(report.networks)) {
    for (const workload of ["ping-pong", "one-way"] as const) {
      const rows = report.rows.filter((r) => r.network === network && r.workload === workload);
      const sizes = [...new Set(rows.map((r) => r.size))];
      if (sizes.length === 0) continue;
      out.push("", `${network}, ${workload === "ping-pong" ? "round trip" : "one-way goodput"}:`);
      const w = Math.max(14, ...report.configurations.map((c) => c.name.length + 2));
      out.push("  " + "size".padEnd(w) + sizes.map((s) => String(s).padStart(12)).join(""));
      for (const c of report.configurations) {
        out.push(
          "  " +
            c.name.padEnd(w) +
            sizes.map((s) => cell(rows.find((r) => r.configuration === c.name && r.size === s)).padStart(12)).join(""),
        );
      }
    }
  }
  const notes = report.rows.filter((r) => r.note !== "");
  if (notes.length > 0)
    out.push(
      "",
      "notes:",
      ...notes.map((r) => `  ${r.network} ${r.configuration} ${r.workload} ${r.size} B: ${r.note}`),
    );
  out.push(
    "",
    `emulator wall time: ${report.configurations.map((c) => `${c.name} ${report.wallMsByConfiguration[c.name]!.toFixed(0)} ms`).join(", ")}`,
  );
  return out;
}
