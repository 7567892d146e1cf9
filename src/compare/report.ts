// Reports of a comparison: the table as CSV, and a self-contained HTML page with the charts
// (inline SVG, no script, no external file: it opens offline and prints as it shows).
//
// Contract:
// - compareCsv(report): RFC 4180 (src/run/report-csv.ts), one row per point, fixed columns
//   (COMPARE_CSV_COLUMNS) whatever the data; the per-operation CPU times get one column each.
// - compareHtml(report): charts per network: round trip vs message size and goodput vs
//   message size (log-scaled size axis, one line per configuration), CPU time per message by
//   operation (stacked bars, smallest ping-pong size), the emulator's wall time and real bytes
//   copied per configuration; then the whole table. Text is escaped; numbers are formatted
//   with their unit.

import { csvRow } from "../base/csv.js";
import { CPU_OP_NAMES } from "../stacks/cost.js";
import { formatBitRate, formatDuration } from "../base/units.js";
import { COMPARE_NETWORKS, type CompareNetwork } from "./comparison.js";
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

const PALETTE = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#ff7f0e",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#17becf",
  "#7f7f7f",
  "#bcbd22",
];
const OP_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

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

function formatBytes(n: number): string {
  return n >= 1024 && n % 1024 === 0 ? `${n / 1024} KiB` : `${n} B`;
}

/** "Nice" ticks for a log axis: 1-2-5 per decade inside [lo, hi]. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out;
}

function linearTicks(hi: number): number[] {
  const step = 10 ** Math.floor(Math.log10(hi / 4));
  const m = hi / step > 20 ? 5 : hi / step > 8 ? 2 : 1;
  const out: number[] = [];
  for (let v = 0; v <= hi * 1.0001; v += m * step) out.push(v);
  return out;
}

interface Series {
  name: string;
  points: [number, number][];
}

/** A line chart with a log2 size axis (message sizes) and a log or linear value axis. */
function lineChart(
  title: string,
  series: Series[],
  yLabel: string,
  yFormat: (v: number) => string,
  logY: boolean,
): string {
  const W = 640;
  const H = 360;
  const L = 70;
  const R = 170;
  const T = 36;
  const B = 48;
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return "";
  const xs = [...new Set(all.map((p) => p[0]))].sort((a, b) => a - b);
  const ys = all.map((p) => p[1]).filter((v) => v > 0);
  const xLo = Math.log2(xs[0]!);
  const xHi = Math.max(Math.log2(xs[xs.length - 1]!), xLo + 1);
  let yLo = logY ? 10 ** Math.floor(Math.log10(Math.min(...ys))) : 0;
  let yHi = logY ? 10 ** Math.ceil(Math.log10(Math.max(...ys))) : Math.max(...ys) * 1.1;
  if (yHi <= yLo) yHi = yLo * 10 || 1;
  if (!logY) yLo = 0;
  const px = (x: number): number => L + ((Math.log2(x) - xLo) / (xHi - xLo)) * (W - L - R);
  const py = (y: number): number =>
    logY
      ? T + (1 - (Math.log10(y) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * (H - T - B)
      : T + (1 - (y - yLo) / (yHi - yLo)) * (H - T - B);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`,
  );
  parts.push(`<text x="${W / 2 - R / 2}" y="20" text-anchor="middle" class="t">${esc(title)}</text>`);
  const yt = logY ? logTicks(yLo, yHi) : linearTicks(yHi);
  for (const v of yt) {
    const y = py(v);
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" class="g"/>`);
    parts.push(`<text x="${L - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${esc(yFormat(v))}</text>`);
  }
  for (const x of xs) {
    const X = px(x);
    parts.push(`<line x1="${X.toFixed(1)}" x2="${X.toFixed(1)}" y1="${T}" y2="${H - B}" class="g"/>`);
    parts.push(`<text x="${X.toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${esc(formatBytes(x))}</text>`);
  }
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">message size</text>`);
  parts.push(
    `<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length]!;
    const pts = s.points.filter((p) => p[1] > 0 || !logY);
    if (pts.length > 0) {
      parts.push(
        `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(" ")}"/>`,
      );
      for (const p of pts)
        parts.push(
          `<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="3" fill="${colour}"><title>${esc(`${s.name}, ${formatBytes(p[0])}: ${yFormat(p[1])}`)}</title></circle>`,
        );
    }
    const ly = T + 14 + i * 18;
    parts.push(
      `<rect x="${W - R + 12}" y="${ly - 9}" width="12" height="12" fill="${colour}"/><text x="${W - R + 30}" y="${ly + 1}">${esc(s.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}

/** Horizontal stacked bars: one bar per label, one segment per part. */
function stackedBars(
  title: string,
  bars: { label: string; parts: number[] }[],
  partNames: readonly string[],
  format: (v: number) => string,
): string {
  const W = 640;
  const rowH = 26;
  const L = 140;
  const R = 20;
  const T = 40;
  const legendH = 22 * Math.ceil(partNames.length / 4);
  const H = T + bars.length * rowH + 30 + legendH;
  const max = Math.max(1e-9, ...bars.map((b) => b.parts.reduce((a, c) => a + c, 0)));
  const sx = (v: number): number => (v / max) * (W - L - R - 70);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`,
  ];
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" class="t">${esc(title)}</text>`);
  bars.forEach((b, i) => {
    const y = T + i * rowH;
    parts.push(`<text x="${L - 8}" y="${y + 16}" text-anchor="end">${esc(b.label)}</text>`);
    let x = L;
    b.parts.forEach((v, k) => {
      if (v <= 0) return;
      const w = sx(v);
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y + 3}" width="${Math.max(0.5, w).toFixed(1)}" height="${rowH - 8}" fill="${OP_COLOURS[k % OP_COLOURS.length]}"><title>${esc(`${b.label}: ${partNames[k]} ${format(v)}`)}</title></rect>`,
      );
      x += w;
    });
    parts.push(
      `<text x="${(x + 6).toFixed(1)}" y="${y + 16}">${esc(format(b.parts.reduce((a, c) => a + c, 0)))}</text>`,
    );
  });
  if (partNames.length > 1) {
    partNames.forEach((n, k) => {
      const lx = 20 + (k % 4) * 155;
      const ly = T + bars.length * rowH + 24 + Math.floor(k / 4) * 22;
      parts.push(
        `<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${OP_COLOURS[k % OP_COLOURS.length]}"/><text x="${lx + 18}" y="${ly}">${esc(n)}</text>`,
      );
    });
  }
  parts.push("</svg>");
  return parts.join("");
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
    const cpuBars = names.map((name) => {
      const r = pp.find((x) => x.configuration === name && x.size === smallest);
      return { label: name, parts: CPU_OP_NAMES.map((op) => (r === undefined ? 0 : r.cpuNsPerMessage[op])) };
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
  const copyBars = names.map((name) => {
    const rs = report.rows.filter((r) => r.configuration === name);
    return { label: name, parts: [rs.reduce((t, r) => t + r.bytesCopiedPerMessage * r.delivered, 0)] };
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
  const body = report.rows
    .map(
      (r) =>
        `<tr><td>${r.network}</td><td>${esc(r.configuration)}</td><td>${r.workload}</td><td class="n">${r.size}</td><td class="n">${r.rttMeanNs === null ? "" : shortDuration(r.rttMeanNs)}</td><td class="n">${r.goodputBps === null ? "" : shortBitRate(r.goodputBps)}</td><td class="n">${r.lineShare === null ? "" : `${(r.lineShare * 100).toFixed(1)}%`}</td><td class="n">${shortDuration(r.cpuNsPerMessageTotal)}</td><td class="n">${fmt(r.bytesCopiedPerMessage)} B</td><td class="n">${r.wallMs.toFixed(1)}</td><td>${esc(r.note)}</td></tr>`,
    )
    .join("\n");
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
td.n{text-align:right;font-variant-numeric:tabular-nums}
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
