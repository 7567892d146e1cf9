// Runs every bench/*.bench.ts (or those whose file name contains an argument) and prints one
// table, with machine, Node version and date. A full run (every suite, not --quick) writes it to
// bench/results/latest.json, the tracked record the README quotes; a quick or filtered run
// writes bench/results/partial.json instead (not tracked), so it never replaces the record.
// Each suite runs in a child process of its own, so memory figures (resident set size) and JIT
// state of one suite never leak into another's.
// `npm run bench` builds the TypeScript and runs this file compiled (dist/bench/run.js) under
// plain node, so every suite measures the JavaScript that `npx netloom` runs, not tsx's
// transform of it. Run through tsx (tsx bench/run.ts), it still works, on the sources.
// Usage: npm run bench [-- --quick] [name-filter ...]

import { spawnSync } from "node:child_process";
import { readdirSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { formatFigure, fromRoot, missed, type BenchSuite, type Figure } from "./harness.js";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);

// Child mode: run one suite and print its figures as JSON on the last line of stdout.
const childIndex = args.indexOf("--child");
if (childIndex >= 0) {
  const file = args[childIndex + 1]!;
  const suite = (await import(pathToFileURL(join(here, file)).href)).default as BenchSuite;
  const figures = await suite.run({ quick: args.includes("--quick") });
  process.stdout.write("\n" + JSON.stringify({ name: suite.name, figures }) + "\n");
  process.exit(0);
}
const quick = args.includes("--quick");
const filters = args.filter((a) => !a.startsWith("--"));

const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts") || f.endsWith(".bench.js"))
  .filter((f) => filters.length === 0 || filters.some((flt) => f.includes(flt)))
  .sort();

const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`;
console.log(`netloom benchmarks — ${new Date().toISOString().slice(0, 10)} — Node ${process.version} — ${machine}`);

const all: { suite: string; figures: Figure[] }[] = [];
for (const file of files) {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), "--child", file, ...(quick ? ["--quick"] : [])],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 * 1024 * 1024 },
  );
  const lastLine = child.stdout.trimEnd().split("\n").pop() ?? "";
  if (child.status !== 0 || !lastLine.startsWith("{")) {
    throw new Error(`bench suite ${file} failed (exit ${child.status}):\n${child.stdout}`);
  }
  const { name, figures } = JSON.parse(lastLine) as { name: string; figures: Figure[] };
  const suite = { name };
  all.push({ suite: suite.name, figures });
  const rows = [["figure", "value", "reference", "ratio", "target"], ...figures.map(formatFigure)];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log(`\n## ${suite.name}`);
  for (const r of rows)
    console.log(
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join("  ")
        .trimEnd(),
    );
}

const missedCount = all.flatMap((s) => s.figures).filter(missed).length;
console.log(`\n${missedCount === 0 ? "all targets met" : `${missedCount} target(s) missed`}`);
const out = fromRoot("bench", "results");
mkdirSync(out, { recursive: true });
const full = !quick && filters.length === 0;
const resultsFile = join(out, full ? "latest.json" : "partial.json");
console.log(`results: ${resultsFile}${full ? "" : " (a quick or filtered run: latest.json is left as it was)"}`);
writeFileSync(
  resultsFile,
  JSON.stringify({ date: new Date().toISOString(), node: process.version, machine, quick, suites: all }, null, 2) +
    "\n",
);
