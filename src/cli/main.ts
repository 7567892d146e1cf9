#!/usr/bin/env node
// The netloom command.
//
//   netloom run <scenario.yaml|json> [--json] [--csv DIR] [--pcap DIR] [--seed N] [--duration T] [--workers N] [--quiet]
//   netloom sweep <scenario.yaml|json> [--out DIR] [--threads N] [--json] [--quiet]
//   netloom compare <comparison.yaml|json> [--out DIR] [--json] [--quiet]
//
// Contract:
// - Human summary on stdout by default; with --json exactly one JSON document on stdout (keys:
//   scenario, seed, simTimeNs, wallTimeMs, events, fingerprint, flows, links, hosts, switches,
//   routers, and `parallel` for partitioned runs)
//   and nothing else there. Progress goes to stderr, only on an interactive terminal without CI.
// - sweep: one row per point of the scenario's `parameters` (src/run/sweep.ts), written to
//   DIR/<name>-sweep.json and .csv; exit 1 when any point failed (its row says why).
// - compare: the same traffic through every host stack configuration of a comparison file
//   (src/compare/), written to DIR/<name>.json, .csv and .html (self-contained, with charts);
//   a summary table on stdout.
// - Exit codes: 0 success; 2 a bad scenario or bad arguments (the message names the path and the
//   problem); 1 anything else (an internal error, a failed write).
// - Output directories given on the command line win over the scenario's `outputs`; relative
//   scenario outputs resolve against the scenario file's directory.

import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { SingleBar, Presets } from "cli-progress";
import { join, resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { NetloomError } from "../base/errors.js";
import { loadScenario, loadSweep } from "../scenario/scenario.js";
import { runSweep, sweepCsv, type SweepResult } from "../run/sweep.js";
import { runScenario } from "../run/run-scenario.js";
import { prewarmPartitionWorkers } from "../run/parallel-run.js";
import { loadComparison } from "../scenario/compare-file.js";
import { runComparison, type CompareRow, type ComparisonReport } from "../compare/run-compare.js";
import { compareCsv, compareHtml, shortBitRate, shortDuration } from "../compare/report.js";
import type { RunReport } from "../run/run-report.js";
import { formatBitRate, formatDuration, parseDuration } from "../base/units.js";
import { writeCsv } from "../base/csv.js";
import { flowsCsv, linksCsv } from "../run/report-csv.js";
import { ProgressBar, progressWanted, runWithProgress } from "./progress.js";
import { packageVersion } from "../base/package-root.js";

interface RunFlags {
  json?: boolean;
  csv?: string;
  pcap?: string;
  seed?: number;
  duration?: string;
  quiet?: boolean;
  workers?: number;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a whole number >= 0`);
  return n;
}

export async function runCommand(file: string, flags: RunFlags): Promise<number> {
  // The worker threads start (and load their modules) while this thread reads the scenario.
  prewarmPartitionWorkers(flags.workers ?? 1);
  const scenario = loadScenario(file);
  if (flags.seed !== undefined) scenario.seed = flags.seed;
  if (flags.duration !== undefined) {
    scenario.durationNs = parseDuration(flags.duration, "--duration");
    // Traffic stops at the run's end at the latest (stop times default to the scenario's duration).
    for (const t of scenario.traffic) t.stopNs = Math.min(t.stopNs, scenario.durationNs);
  }
  const base = scenario.baseDir ?? process.cwd();
  const pcapDir = flags.pcap ?? (scenario.outputs.pcap ? resolve(base, scenario.outputs.pcap.dir) : undefined);
  const csvDir = flags.csv ?? (scenario.outputs.csv !== undefined ? resolve(base, scenario.outputs.csv) : undefined);
  const showProgress = !(flags.quiet || flags.json) && progressWanted();
  const bar = showProgress && (flags.workers ?? 1) > 1 ? new ProgressBar(scenario.durationNs) : undefined;
  let report: RunReport;
  try {
    report = await runScenario(scenario, {
      workers: flags.workers ?? 1,
      ...(pcapDir !== undefined ? { pcapDir } : {}),
      runSingle: (network, end) => runWithProgress(network, end, { enabled: showProgress }),
      ...(bar !== undefined ? { onProgress: (t: number) => bar.update(t) } : {}),
    });
  } finally {
    bar?.stop();
  }

  if (csvDir !== undefined) {
    mkdirSync(csvDir, { recursive: true });
    writeCsv(join(csvDir, "flows.csv"), flowsCsv(report.flows));
    writeCsv(join(csvDir, "links.csv"), linksCsv(report.links.map((l) => ({ name: l.id, directions: l.directions }))));
  }

  if (flags.json) {
    const doc = {
      ...report,
      switches: report.switches.map(({ name, ports, ...rest }) => ({ name, ...rest, ports })),
    };
    process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
    return 0;
  }

  const out: string[] = [];
  out.push(
    `${scenario.name}: ${formatDuration(report.simTimeNs)} simulated in ${report.wallTimeMs.toFixed(0)} ms wall time`,
  );
  out.push(`events ${report.events}, fingerprint ${report.fingerprint}`);
  const par = report.parallel;
  if (par !== undefined) {
    out.push(
      `partitions ${par.partitions} (${par.automatic ? "automatic" : "from the scenario"}), lookahead ${formatDuration(par.lookaheadNs)}, ` +
        `${par.windows} windows, ${par.crossPartitionFrames} frames crossed partitions`,
    );
  } else if ((flags.workers ?? 1) > 1) {
    out.push("one partition: nothing to cut (no link with a delay between separable groups), ran on one thread");
  }
  out.push("");
  out.push("flows:");
  for (const f of report.flows) {
    const lat = f.latencyNs;
    const fmt = (v: number | null): string => (v === null ? "-" : formatDuration(Math.round(v)));
    // Message flows: what the workload completed, and what their latency is.
    const m = f.messages;
    const what =
      m === undefined
        ? ""
        : m.type === "ping-pong"
          ? ` (ping-pong: ${m.completed}/${m.requested} rounds, latency = round trip${m.refused > 0 ? `, ${m.refused} refused` : ""}${m.mismatches > 0 ? `, ${m.mismatches} damaged` : ""})`
          : ` (message-stream: ${m.completed}/${m.requested} delivered, latency = send to delivery${m.refused > 0 ? `, ${m.refused} refused` : ""})`;
    out.push(
      `  ${String(f.label ?? f.id).padEnd(12)} ${f.src} -> ${f.dst}: sent ${f.sentPackets}, received ${f.receivedPackets}, ` +
        `${formatBitRate(f.throughputBps)}, latency p50 ${fmt(lat.p50)} p99 ${fmt(lat.p99)} max ${fmt(lat.max)}${what}`,
    );
  }
  const stackHosts = report.hosts.filter((h) => h.hostStack !== undefined);
  if (stackHosts.length > 0) {
    out.push("");
    out.push("host stacks (virtual CPU time by operation):");
    for (const h of stackHosts) {
      const hs = h.hostStack!;
      const ops = Object.entries(hs.cpu.ops)
        .filter(([, o]) => o.ns > 0)
        .sort((x, y) => y[1].ns - x[1].ns)
        .map(([op, o]) => `${op} ${formatDuration(Math.round(o.ns))}`);
      const total = Object.values(hs.cpu.ops).reduce((t, o) => t + o.ns, 0);
      out.push(
        `  ${h.name.padEnd(12)} ${hs.configuration}${hs.layers.length > 0 ? ` [${hs.layers.join(", ")}]` : ""} on ${hs.profile}: ` +
          `${formatDuration(Math.round(total))} in ${hs.cpu.jobs} jobs${ops.length > 0 ? `: ${ops.join(", ")}` : ""}`,
      );
    }
  }
  const dropped = report.links.flatMap((l) => l.directions.map((d) => ({ name: `${l.id} ${d.direction}`, d })));
  const withDrops = dropped.filter((x) => Object.keys(x.d.drops).length > 0);
  out.push("");
  out.push(`links: ${report.links.length}, with drops: ${withDrops.length}`);
  for (const { name, d } of withDrops) {
    out.push(
      `  ${name}: ${Object.entries(d.drops)
        .map(([r, n]) => `${r} ${n}`)
        .join(", ")}`,
    );
  }
  if (report.atm !== undefined) {
    const a = report.atm;
    out.push("");
    out.push("atm:");
    for (const [name, sw] of Object.entries(a.switches)) {
      const drops: Record<string, number> = {};
      let epd = 0;
      let ppd = 0;
      for (const port of sw.ports) {
        for (const [r, n] of Object.entries(port.drops)) if (n > 0) drops[r] = (drops[r] ?? 0) + n;
        epd += port.epdPdus;
        ppd += port.ppdPdus;
      }
      const d = Object.entries(drops)
        .map(([r, n]) => `${r} ${n}`)
        .join(", ");
      out.push(
        `  switch ${name}: ${sw.switchedCells} cells switched${d ? `, dropped ${d}` : ""}${epd + ppd > 0 ? ` (EPD ${epd} PDUs, PPD ${ppd})` : ""}`,
      );
    }
    for (const [name, nic] of Object.entries(a.nics)) {
      if (nic.txPdus === 0 && nic.rxPdus === 0) continue;
      const bad = nic.reassembly.badCrc + nic.reassembly.badLength + nic.reassembly.lostCells + nic.timeouts;
      out.push(
        `  ${name}: sent ${nic.txPdus} PDUs (${nic.txCells} cells), received ${nic.rxPdus}${bad > 0 ? `, ${bad} lost or damaged` : ""}`,
      );
    }
  }
  if (pcapDir !== undefined)
    out.push(`\npcap: ${readdirSync(pcapDir).filter((f) => f.endsWith(".pcap")).length} files in ${pcapDir}`);
  if (csvDir !== undefined) out.push(`csv: ${csvDir}/flows.csv, ${csvDir}/links.csv`);
  process.stdout.write(out.join("\n") + "\n");
  return 0;
}

interface SweepFlags {
  out?: string;
  threads?: number;
  json?: boolean;
  quiet?: boolean;
}

export async function sweepCommand(file: string, flags: SweepFlags): Promise<number> {
  const sweep = loadSweep(file);
  const base = sweep.base.baseDir ?? process.cwd();
  const outDir = flags.out ?? join(base, "results");
  const bar =
    !(flags.quiet || flags.json) && progressWanted()
      ? new SingleBar(
          { format: " {bar} {value}/{total} points | {failed} failed", stream: process.stderr, hideCursor: true },
          Presets.shades_classic,
        )
      : undefined;
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
  mkdirSync(outDir, { recursive: true });
  const stem = join(outDir, `${result.scenario}-sweep`);
  writeFileSync(`${stem}.json`, JSON.stringify(result, null, 2) + "\n");
  writeCsv(`${stem}.csv`, sweepCsv(result));
  if (flags.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  } else {
    const names = Object.keys(result.parameters);
    const out: string[] = [
      `${result.scenario}: ${result.rows.length} points in ${result.wallTimeMs.toFixed(0)} ms wall time, ${failed} failed`,
    ];
    for (const r of result.rows) {
      const at = names.map((n) => `${n}=${String(r.point[n])}`).join(" ");
      out.push(
        r.status === "ok"
          ? `  ${at}: received ${r.receivedPackets}/${r.sentPackets}, ${formatBitRate(r.throughputBps ?? 0)}, p99 ${r.latencyP99Ns === null || r.latencyP99Ns === undefined ? "-" : formatDuration(Math.round(r.latencyP99Ns))}`
          : `  ${at}: FAILED ${r.error?.message ?? ""}`,
      );
    }
    out.push(`table: ${stem}.json, ${stem}.csv`);
    process.stdout.write(out.join("\n") + "\n");
  }
  return failed > 0 ? 1 : 0;
}

interface CompareFlags {
  out?: string;
  json?: boolean;
  quiet?: boolean;
}

export function compareCommand(file: string, flags: CompareFlags): number {
  const cmp = loadComparison(file);
  const outDir = flags.out ?? cmp.outDir ?? join(process.cwd(), "results");
  const bar =
    !(flags.quiet || flags.json) && progressWanted()
      ? new SingleBar(
          { format: " {bar} {value}/{total} points | {what}", stream: process.stderr, hideCursor: true },
          Presets.shades_classic,
        )
      : undefined;
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
  mkdirSync(outDir, { recursive: true });
  const stem = join(outDir, report.name);
  writeFileSync(`${stem}.json`, JSON.stringify(report, null, 2) + "\n");
  writeCsv(`${stem}.csv`, compareCsv(report));
  writeFileSync(`${stem}.html`, compareHtml(report));
  if (flags.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    return 0;
  }
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
  out.push(`report: ${stem}.html, ${stem}.json, ${stem}.csv`);
  process.stdout.write(out.join("\n") + "\n");
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name("netloom")
    .description("Packet-level network emulation with real frame bytes, in virtual time.")
    .version(packageVersion(import.meta.url), "-V, --version", "print the netloom version");
  program.exitOverride();
  let code = 0;
  program
    .command("run")
    .description("run a scenario file (YAML or JSON) and report what happened")
    .argument("<scenario>", "scenario file")
    .option("--json", "print one JSON document with the results")
    .option("--csv <dir>", "write flows.csv and links.csv into DIR")
    .option("--pcap <dir>", "write a pcap per device port into DIR (nanosecond, virtual-time stamps)")
    .option("--seed <n>", "override the scenario's seed", integer)
    .option("--duration <time>", 'override the run time (e.g. "100ms")')
    .option("--workers <n>", "run the scenario as N partitions on N worker threads (same results for every N)", integer)
    .option("--quiet", "no progress bar")
    .action(async (file: string, flags: RunFlags) => {
      code = await runCommand(file, flags);
    });
  program
    .command("sweep")
    .description("run every point of a scenario's parameter ranges in parallel and write one table (JSON and CSV)")
    .argument("<scenario>", "scenario file with `parameters`")
    .option("--out <dir>", "directory for <name>-sweep.json and .csv (default: results/ beside the scenario)")
    .option("--threads <n>", "worker threads (default: one per core)", integer)
    .option("--json", "also print the table as JSON on stdout")
    .option("--quiet", "no progress bar")
    .action(async (file: string, flags: SweepFlags) => {
      code = await sweepCommand(file, flags);
    });
  program
    .command("compare")
    .description("run the same traffic through several host stack configurations and write a table and an HTML report")
    .argument("<comparison>", "comparison file (YAML or JSON)")
    .option("--out <dir>", "directory for <name>.json, .csv and .html (default: the file's outputs.dir, else results/)")
    .option("--json", "also print the report as JSON on stdout")
    .option("--quiet", "no progress bar")
    .action((file: string, flags: CompareFlags) => {
      code = compareCommand(file, flags);
    });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (typeof e.code === "string" && e.code.startsWith("commander.")) {
      return e.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof NetloomError) {
      process.stderr.write(`netloom: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`netloom: internal error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
  return code;
}

// Run when executed directly (node dist/src/cli/main.js, npx netloom, tsx src/cli/main.ts).
const invoked = process.argv[1] ?? "";
if (/cli[\\/]main\.(js|ts)$/.test(invoked) || /netloom$/.test(invoked)) {
  process.exitCode = await main(process.argv);
}
