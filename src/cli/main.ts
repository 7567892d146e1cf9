#!/usr/bin/env node
// The netloom command.
//
//   netloom run <scenario.yaml|json> [--json] [--csv DIR] [--pcap DIR] [--seed N] [--duration T] [--quiet]
//
// Contract:
// - Human summary on stdout by default; with --json exactly one JSON document on stdout (keys:
//   scenario, seed, simTimeNs, wallTimeMs, events, fingerprint, flows, links, hosts, switches,
//   routers)
//   and nothing else there. Progress goes to stderr, only on an interactive terminal without CI.
// - Exit codes: 0 success; 2 a bad scenario or bad arguments (the message names the path and the
//   problem); 1 anything else (an internal error, a failed write).
// - Output directories given on the command line win over the scenario's `outputs`; relative
//   scenario outputs resolve against the scenario file's directory.

import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { NetloomError } from "../api/errors.js";
import { loadScenario } from "../api/scenario.js";
import { buildScenario } from "../api/build-scenario.js";
import { formatBitRate, formatDuration, parseDuration } from "../api/units.js";
import { captureAll } from "../trace/capture.js";
import { flowsCsv, linksCsv, writeCsv } from "../trace/report-csv.js";
import { runWithProgress } from "./progress.js";

interface RunFlags {
  json?: boolean;
  csv?: string;
  pcap?: string;
  seed?: number;
  duration?: string;
  quiet?: boolean;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a whole number >= 0`);
  return n;
}

export function runCommand(file: string, flags: RunFlags): number {
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

  const built = buildScenario(scenario);
  const { network, flows } = built;
  let captures: ReturnType<typeof captureAll> | undefined;
  if (pcapDir !== undefined) {
    mkdirSync(pcapDir, { recursive: true });
    captures = captureAll(network, pcapDir);
  }
  const result = runWithProgress(network, scenario.durationNs, flags.quiet || flags.json ? { enabled: false } : {});
  captures?.close();

  const stats = network.stats();
  const flowReports = flows.toJSON();
  const links = stats.links.map((l) => ({
    id: l.name,
    directions: l.directions.map((d, i) => ({ direction: i === 0 ? "a->b" : "b->a", ...d })),
  }));
  if (csvDir !== undefined) {
    mkdirSync(csvDir, { recursive: true });
    writeCsv(join(csvDir, "flows.csv"), flowsCsv(flowReports));
    writeCsv(join(csvDir, "links.csv"), linksCsv(stats.links));
  }

  if (flags.json) {
    const doc = {
      scenario: scenario.name,
      seed: scenario.seed,
      simTimeNs: result.simTimeNs,
      wallTimeMs: result.wallTimeMs,
      events: stats.events,
      fingerprint: result.fingerprint,
      flows: flowReports,
      links,
      hosts: stats.hosts,
      switches: stats.switches.map(({ name, ports, ...rest }) => ({ name, ...rest, ports })),
      routers: stats.routers,
    };
    process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
    return 0;
  }

  const out: string[] = [];
  out.push(`${scenario.name}: ${formatDuration(result.simTimeNs)} simulated in ${result.wallTimeMs.toFixed(0)} ms wall time`);
  out.push(`events ${stats.events}, fingerprint ${result.fingerprint}`);
  out.push("");
  out.push("flows:");
  for (const f of flowReports) {
    const lat = f.latencyNs;
    const fmt = (v: number | null): string => (v === null ? "-" : formatDuration(Math.round(v)));
    out.push(
      `  ${String(f.label ?? f.id).padEnd(12)} ${f.src} -> ${f.dst}: sent ${f.sentPackets}, received ${f.receivedPackets}, ` +
        `${formatBitRate(f.throughputBps)}, latency p50 ${fmt(lat.p50)} p99 ${fmt(lat.p99)} max ${fmt(lat.max)}`,
    );
  }
  const dropped = stats.links.flatMap((l) => l.directions.map((d, i) => ({ name: `${l.name} ${i === 0 ? "a->b" : "b->a"}`, d })));
  const withDrops = dropped.filter((x) => Object.keys(x.d.drops).length > 0);
  out.push("");
  out.push(`links: ${stats.links.length}, with drops: ${withDrops.length}`);
  for (const { name, d } of withDrops) {
    out.push(`  ${name}: ${Object.entries(d.drops).map(([r, n]) => `${r} ${n}`).join(", ")}`);
  }
  if (pcapDir !== undefined) out.push(`\npcap: ${captures?.captures.length ?? 0} files in ${pcapDir}`);
  if (csvDir !== undefined) out.push(`csv: ${csvDir}/flows.csv, ${csvDir}/links.csv`);
  process.stdout.write(out.join("\n") + "\n");
  return 0;
}

export function main(argv: string[]): number {
  const program = new Command();
  program.name("netloom").description("Packet-level network emulation with real frame bytes, in virtual time.");
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
    .option("--quiet", "no progress bar")
    .action((file: string, flags: RunFlags) => {
      code = runCommand(file, flags);
    });
  try {
    program.parse(argv);
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
  process.exitCode = main(process.argv);
}
