// Where `netloom run` writes its results, decided and checked before the run starts.
//
// Contract:
// - planOutputs(scenario, flags): each output from its command-line flag, else from the
//   scenario's `outputs` (relative paths resolved against the scenario file's directory):
//   --pcap DIR (every port) over outputs.pcap (its dir and ports; its snap length and limit
//   apply to --pcap too unless --snaplen and --pcap-limit are given), --csv DIR over outputs.csv;
//   --report FILE over outputs.report (the run's HTML page: src/run/html/run-page.ts);
//   outputs.json (a copy of the --json document) comes from the scenario only.
// - Every directory is created and every file's place checked before the run (prepareOutputDir
//   and prepareOutputFile): a bad path is one line naming it and the OS reason, exit 1.
// - writeOutputs(plan, report, summary) writes the CSV files, the JSON file and the report page
//   after the run, each whole or not at all.

import { join, resolve } from "node:path";
import { writeCsv } from "../base/csv.js";
import { ErrorCode, NetloomError } from "../base/errors.js";
import { prepareOutputDir, prepareOutputFile, writeOutputFile } from "../base/output-path.js";
import { type CaptureLimit, parseByteSize, parseCaptureLimit } from "../base/units.js";
import { flowsCsv, linksCsv } from "../run/report-csv.js";
import { runHtml } from "../run/html/run-page.js";
import type { RunReport } from "../run/run-report.js";
import type { ScenarioCaptureOptions } from "../run/scenario-capture.js";
import { MIN_SNAPLEN } from "../scenario/check-outputs.js";
import type { Scenario } from "../scenario/scenario.js";
import { PCAP_MAX_SNAPLEN } from "../trace/pcap.js";

export interface OutputFlags {
  csv?: string;
  pcap?: string;
  report?: string;
  pcapLimit?: string;
  snaplen?: string;
}

export interface RunOutputPlan {
  pcap: (ScenarioCaptureOptions & { dir: string }) | undefined;
  csvDir: string | undefined;
  jsonFile: string | undefined;
  reportFile: string | undefined;
}

export function planOutputs(scenario: Scenario, flags: OutputFlags): RunOutputPlan {
  const o = scenario.outputs;
  const base = scenario.baseDir ?? process.cwd();
  const fromFile = (p: string | undefined): string | undefined => (p === undefined ? undefined : resolve(base, p));
  const pcapDir = flags.pcap ?? fromFile(o.pcap?.dir);
  const snaplen = flags.snaplen !== undefined ? snaplenFlag(flags.snaplen) : o.pcap?.snaplen;
  const limit: CaptureLimit | undefined =
    flags.pcapLimit !== undefined ? parseCaptureLimit(flags.pcapLimit, "--pcap-limit") : o.pcap?.limit;
  const plan: RunOutputPlan = {
    pcap:
      pcapDir === undefined
        ? undefined
        : {
            dir: prepareOutputDir(pcapDir, "the pcap directory"),
            // --pcap means every port (its help says so); the file's list goes with the file's dir.
            ports: flags.pcap !== undefined ? "all" : (o.pcap?.ports ?? "all"),
            ...(snaplen !== undefined ? { snaplen } : {}),
            ...(limit !== undefined ? { limit } : {}),
          },
    csvDir: undefined,
    jsonFile: undefined,
    reportFile: undefined,
  };
  const csvDir = flags.csv ?? fromFile(o.csv);
  if (csvDir !== undefined) {
    plan.csvDir = prepareOutputDir(csvDir, "the CSV directory");
    for (const f of ["flows.csv", "links.csv"]) prepareOutputFile(join(plan.csvDir, f), "the CSV file");
  }
  const json = fromFile(o.json);
  if (json !== undefined) plan.jsonFile = prepareOutputFile(json, "the JSON report (outputs.json)");
  const report = flags.report ?? fromFile(o.report);
  if (report !== undefined) {
    const what = flags.report !== undefined ? "the report page" : "the report page (outputs.report)";
    plan.reportFile = prepareOutputFile(report, what);
  }
  return plan;
}

function snaplenFlag(text: string): number {
  const n = parseByteSize(/^\d+$/.test(text) ? Number(text) : text, "--snaplen");
  if (n < MIN_SNAPLEN || n > PCAP_MAX_SNAPLEN) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `${JSON.stringify(text)} is out of range (${MIN_SNAPLEN} to ${PCAP_MAX_SNAPLEN} bytes)`,
      { path: "--snaplen" },
    );
  }
  return n;
}

/** The --json document (switch entries with their name first and ports last, for reading). */
export function reportDocument(report: RunReport): unknown {
  return { ...report, switches: report.switches.map(({ name, ports, ...rest }) => ({ name, ...rest, ports })) };
}

export function writeOutputs(plan: RunOutputPlan, report: RunReport, scenario: Scenario): void {
  if (plan.csvDir !== undefined) {
    writeCsv(join(plan.csvDir, "flows.csv"), flowsCsv(report.flows));
    writeCsv(
      join(plan.csvDir, "links.csv"),
      linksCsv(report.links.map((l) => ({ name: l.id, directions: l.directions }))),
    );
  }
  if (plan.jsonFile !== undefined) {
    writeOutputFile(plan.jsonFile, JSON.stringify(reportDocument(report), null, 2) + "\n", "the JSON report");
  }
  if (plan.reportFile !== undefined) {
    writeOutputFile(plan.reportFile, runHtml(report, scenario), "the report page");
  }
}
