// Reports of a comparison: the table as CSV, and a self-contained HTML page with the charts
// (inline SVG, no script, no external file: it opens offline and prints as it shows).
//
// Contract:
// - compareCsv(report): RFC 4180 (src/run/report-csv.ts), one row per point, fixed columns
//   (COMPARE_CSV_COLUMNS) whatever the data; the per-operation CPU times get one column each.
// - compareHtml(report): charts per network: round trip vs message size and goodput vs
//   message size (log-scaled size axis, one line per configuration; lines on top of each other
//   stay visible: report-charts.ts), CPU time per message by operation (stacked bars, smallest
//   ping-pong size), the emulator's wall time and real bytes copied per configuration; then the
//   whole table. A point that did not run (nothing delivered) shows why in words, never as a
//   figure of zero. Text is escaped; numbers are formatted with their unit.

import { csvRow } from "../base/csv.js";
import { CPU_OP_NAMES } from "../stacks/cost.js";
import { formatBitRate, formatDuration } from "../base/units.js";
import { COMPARE_NETWORKS, type CompareNetwork } from "./comparison.js";
import { type Bar, esc, formatBytes, lineChart, type Series, stackedBars } from "./report-charts.js";
import type { CompareRow, ComparisonReport } from "./run-compare.js";

export const COMPARE_CSV_COLUMNS = [
  "network",
  "configuration",
  "stack",
  "layers",
  "workload",
  "size",
  "sent",
  "delivered",
  "rttMeanNs",
  "rttP50Ns",
  "goodputBps",
  "lineShare",
  "cpuNsPerMessageTotal",
  ...CPU_OP_NAMES.map((n) => `cpuNs.${n}`),
  "bytesCopiedPerMessage",
  "events",
  "wallMs",
  "note",
] as const;

export function compareCsv(report: ComparisonReport): string {
  let out = csvRow(COMPARE_CSV_COLUMNS);
  for (const r of report.rows) {
    out += csvRow([
      r.network,
      r.configuration,
      r.stack,
      r.layers.join(" "),
      r.workload,
      r.size,
      r.sent,
      r.delivered,
      r.rttMeanNs,
      r.rttP50Ns,
      r.goodputBps,
      r.lineShare,
      r.cpuNsPerMessageTotal,
      ...CPU_OP_NAMES.map((n) => r.cpuNsPerMessage[n]),
      r.bytesCopiedPerMessage,
      r.events,
      r.wallMs,
      r.note,
    ]);
  }
  return out;
}

// --- HTML -----------------------------------------------------------------------------------

function fmt(n: number, digits = 3): string {
  return Number(n.toPrecision(digits)).toLocaleString("en-US");
}

/** A duration to 3 significant digits: "65.2 us", "1.48 ms". */
export function shortDuration(ns: number): string {
  if (ns >= 1e9) return `${fmt(ns / 1e9)} s`;
  if (ns >= 1e6) return `${fmt(ns / 1e6)} ms`;
  if (ns >= 1e3) return `${fmt(ns / 1e3)} us`;
  return `${fmt(ns)} ns`;
}

/** A bit rate to 3 significant digits: "131 Mbps". */
export function shortBitRate(bps: number): string {
  if (bps >= 1e9) return `${fmt(bps / 1e9)} Gbps`;
  if (bps >= 1e6) return `${fmt(bps / 1e6)} Mbps`;
  if (bps >= 1e3) return `${fmt(bps / 1e3)} kbps`;
  return `${fmt(bps)} bps`;
}

function seriesOf(rows: CompareRow[], names: string[], value: (r: CompareRow) => number | null): Series[] {
  return names.map((name) => ({
    name,
    points: rows
      .filter((r) => r.configuration === name)
      .map((r): [number, number] | undefined => {
        const v = value(r);
        return v === null ? undefined : [r.size, v];
      })
      .filter((p): p is [number, number] => p !== undefined),
  }));
}

const NETWORK_TITLE: Record<CompareNetwork, string> = { ethernet: "Ethernet", atm: "ATM" };

/** A point ran when it delivered something; one that did not has no figures, only its reason. */
const ran = (r: CompareRow): boolean => r.delivered > 0;
const notRun = (r: CompareRow | undefined): string =>
  r === undefined ? "not run at this size" : `not run: ${r.note !== "" ? r.note : "nothing was delivered"}`;

/** One row of the table; a point that did not run says why across its figures' columns. */
function tableRow(r: CompareRow): string {
  const head = `<tr><td>${r.network}</td><td>${esc(r.configuration)}</td><td>${r.workload}</td><td class="n">${r.size}</td>`;
  if (!ran(r)) {
    return `${head}<td colspan="5" class="skip">${esc(notRun(r))}</td><td class="n">${r.wallMs.toFixed(1)}</td><td></td></tr>`;
  }
  return (
    `${head}<td class="n">${r.rttMeanNs === null ? "" : shortDuration(r.rttMeanNs)}</td>` +
    `<td class="n">${r.goodputBps === null ? "" : shortBitRate(r.goodputBps)}</td>` +
    `<td class="n">${r.lineShare === null ? "" : `${(r.lineShare * 100).toFixed(1)}%`}</td>` +
    `<td class="n">${shortDuration(r.cpuNsPerMessageTotal)}</td><td class="n">${fmt(r.bytesCopiedPerMessage)} B</td>` +
    `<td class="n">${r.wallMs.toFixed(1)}</td><td>${esc(r.note)}</td></tr>`
  );
}

export function compareHtml(report: ComparisonReport): string {
  const names = report.configurations.map((c) => c.name);
  const sections: string[] = [];
  for (const network of COMPARE_NETWORKS) {
    const link = report.networks[network];
    if (link === undefined) continue;
    const rows = report.rows.filter((r) => r.network === network);
    const pp = rows.filter((r) => r.workload === "ping-pong");
    const ow = rows.filter((r) => r.workload === "one-way");
    const where = `${NETWORK_TITLE[network]} ${typeof link.rate === "string" ? link.rate : formatBitRate(link.rateBps)}, ${formatDuration(link.delayNs)} delay`;
    const smallest = Math.min(...pp.map((r) => r.size));
    const cpuBars = names.map((name): Bar => {
      const r = pp.find((x) => x.configuration === name && x.size === smallest);
      const parts = CPU_OP_NAMES.map((op) => (r === undefined ? 0 : r.cpuNsPerMessage[op]));
      return r !== undefined && ran(r) ? { label: name, parts } : { label: name, parts, skipped: notRun(r) };
    });
    sections.push(`<section><h2>${esc(where)}</h2>
<div class="charts">
${lineChart(
  `Round trip vs message size (${NETWORK_TITLE[network]})`,
  seriesOf(pp, names, (r) => r.rttMeanNs),
  "round trip",
  (v) => shortDuration(v),
  true,
)}
${lineChart(
  `Throughput vs message size (${NETWORK_TITLE[network]})`,
  seriesOf(ow, names, (r) => r.goodputBps),
  "goodput",
  (v) => shortBitRate(v),
  false,
)}
${stackedBars(`CPU time per message by operation, ${formatBytes(smallest)} messages (${NETWORK_TITLE[network]})`, cpuBars, CPU_OP_NAMES, (v) => shortDuration(v))}
</div></section>`);
  }
  const wallBars = names.map((name) => ({ label: name, parts: [report.wallMsByConfiguration[name] ?? 0] }));
  const copyBars = names.map((name): Bar => {
    const rs = report.rows.filter((r) => r.configuration === name && ran(r));
    const parts = [rs.reduce((t, r) => t + r.bytesCopiedPerMessage * r.delivered, 0)];
    return rs.length > 0 ? { label: name, parts } : { label: name, parts, skipped: "no point ran" };
  });
  sections.push(`<section><h2>The emulator's own work</h2>
<p>Wall-clock time the emulator took for each configuration's points (both networks), and the bytes it really copied for the copies the model makes: the zero-copy configurations move no bytes between buffers, so they also cost the emulator less.</p>
<div class="charts">
${stackedBars("Emulator wall time per configuration", wallBars, ["wall time"], (v) => `${fmt(v)} ms`)}
${stackedBars("Bytes copied by the emulator per configuration", copyBars, ["bytes copied"], (v) => `${fmt(v)} B`)}
</div></section>`);
  const head = [
    "network",
    "configuration",
    "workload",
    "size",
    "round trip",
    "goodput",
    "line share",
    "CPU / message",
    "copied / message",
    "wall ms",
    "note",
  ];
  const body = report.rows.map(tableRow).join("\n");
  const configs = report.configurations
    .map(
      (c) =>
        `<li><b>${esc(c.name)}</b>: ${esc(c.stack)}${c.layers.length > 0 ? ` (${esc(c.layers.join(" / "))})` : ""}</li>`,
    )
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>netloom compare: ${esc(report.name)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1340px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.charts{display:flex;flex-wrap:wrap;gap:12px}svg{background:#fff;border:1px solid #e4e4e4}
svg text{font:11px system-ui,sans-serif;fill:#333}svg text.t{font-size:13px;font-weight:600}
svg line.g{stroke:#eee}table{border-collapse:collapse;font-size:12px}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}td.skip,svg text.skip{color:#777;fill:#777;font-style:italic}
</style></head><body>
<h1>netloom compare: ${esc(report.name)}</h1>
<p>CPU profile <b>${esc(report.profile)}</b>: ${esc(report.profileDescription)}. Seed ${report.seed}. Figures are in virtual time except the emulator's wall time (${fmt(report.wallTimeMs)} ms in all).</p>
<ul>${configs}</ul>
${sections.join("\n")}
<section><h2>Table</h2><table><thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>
${body}
</tbody></table></section>
</body></html>
`;
}
