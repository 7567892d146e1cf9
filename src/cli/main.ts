#!/usr/bin/env node
// The netloom command: wires the subcommands into commander and turns what they return or
// throw into the process's exit code (./output.ts).
//
//   netloom run <scenario.yaml|json> [--json] [--csv DIR] [--pcap DIR] [--pcap-limit L] [--snaplen N]
//               [--report FILE] [--link-stats] [--seed N] [--duration T] [--workers N] [--force-workers] [--quiet]
//   netloom sweep <scenario.yaml|json> [--out DIR] [--report FILE] [--threads N] [--json] [--quiet]
//   netloom compare <comparison.yaml|json> [--out DIR] [--json] [--quiet]
//   netloom validate <file...> [--json]
//   netloom examples [name] [--to DIR] [--json]
//
// Each command lives in its own module (run-command.ts, sweep-command.ts, compare-command.ts,
// validate-command.ts, examples-command.ts)
// and states its outputs there. Exit codes: 0 success; 2 a bad scenario or bad arguments (the
// message names the path and the problem); 1 an output that cannot be written, or anything
// else; 130 (143) a run stopped by SIGINT (SIGTERM), its partial report written.

import { Command, InvalidArgumentError } from "commander";
import { packageVersion } from "../base/package-root.js";
import { type CompareFlags, compareCommand } from "./compare-command.js";
import { type ExamplesFlags, examplesCommand } from "./examples-command.js";
import { EXIT_OK, exitCodeOf } from "./output.js";
import { type RunFlags, runCommand } from "./run-command.js";
import { type SweepFlags, sweepCommand } from "./sweep-command.js";
import { type ValidateFlags, validateCommand } from "./validate-command.js";

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a whole number >= 0`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name("netloom")
    .description("Packet-level network emulation with real frame bytes, in virtual time.")
    .version(packageVersion(import.meta.url), "-V, --version", "print the netloom version");
  program.exitOverride();
  let code = EXIT_OK;
  program
    .command("run")
    .description("run a scenario file (YAML or JSON) and report what happened")
    .argument("<scenario>", "scenario file")
    .option("--json", "print one JSON document with the results")
    .option("--csv <dir>", "write flows.csv and links.csv into DIR")
    .option("--pcap <dir>", "write a pcap per device port into DIR (nanosecond, virtual-time stamps)")
    .option("--pcap-limit <limit>", 'most each pcap file holds: a size ("100MB") or a count ("10000packets")')
    .option("--snaplen <bytes>", "most bytes kept of each captured frame (16 to 262144)")
    .option("--report <file>", "write an HTML report: topology, time series, flow and link tables")
    .option(
      "--link-stats",
      "add each link direction's delay, jitter and frames in flight to the results (on with --report)",
    )
    .option("--seed <n>", "override the scenario's seed", integer)
    .option("--duration <time>", 'override the run time (e.g. "100ms")')
    .option("--workers <n>", "run the scenario as N partitions on N worker threads (same results for every N)", integer)
    .option("--force-workers", "partition even where the planner estimates one thread to be faster")
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
    .option("--report <file>", "write an HTML report: each figure against each parameter, mean and 95% CI over seeds")
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
  program
    .command("validate")
    .description("check scenario, sweep and comparison files without running them")
    .argument("<file...>", "files to check")
    .option("--json", "print one JSON document: per file its kind and what it holds")
    .action((files: string[], flags: ValidateFlags) => {
      code = validateCommand(files, flags);
    });
  program
    .command("examples")
    .description("list the bundled example files, or copy one to start from")
    .argument("[name]", 'an example to copy (e.g. "star16")')
    .option("--to <dir>", "directory to copy it into (default: the current directory)")
    .option("--json", "print the list as JSON")
    .action((name: string | undefined, flags: ExamplesFlags) => {
      code = examplesCommand(name, flags);
    });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    return exitCodeOf(err);
  }
  return code;
}

// Run when executed directly (node dist/src/cli/main.js, npx netloom, tsx src/cli/main.ts).
const invoked = process.argv[1] ?? "";
if (/cli[\\/]main\.(js|ts)$/.test(invoked) || /netloom$/.test(invoked)) {
  process.exitCode = await main(process.argv);
}
