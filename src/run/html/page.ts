// What the run and sweep HTML pages share: their stylesheet, a table, and short unit formats
// (three significant digits, the unit that suits the value).

import { esc, fmt } from "./svg-chart.js";

export const PAGE_STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.charts{display:flex;flex-wrap:wrap;gap:12px}svg{background:#fff;border:1px solid #e4e4e4;max-width:100%;height:auto}
svg text{font:11px system-ui,sans-serif;fill:#333}svg text.t{font-size:13px;font-weight:600}svg text.el{font-size:10px;fill:#555}
svg line.g{stroke:#eee}svg line.a{stroke:#999}.topo svg{border:1px solid #e4e4e4}
table{border-collapse:collapse;font-size:12px}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}.note{color:#666;font-size:12px;margin:2px 0 10px}
code{font-size:12px}
`;

/** A duration to 3 significant digits: "65.2 us", "1.48 ms". */
export function shortDuration(ns: number): string {
  const a = Math.abs(ns);
  if (a >= 1e9) return `${fmt(ns / 1e9)} s`;
  if (a >= 1e6) return `${fmt(ns / 1e6)} ms`;
  if (a >= 1e3) return `${fmt(ns / 1e3)} us`;
  return `${fmt(ns)} ns`;
}

/** A bit rate to 3 significant digits: "131 Mbps". */
export function shortBitRate(bps: number): string {
  const a = Math.abs(bps);
  if (a >= 1e9) return `${fmt(bps / 1e9)} Gbps`;
  if (a >= 1e6) return `${fmt(bps / 1e6)} Mbps`;
  if (a >= 1e3) return `${fmt(bps / 1e3)} kbps`;
  return `${fmt(bps)} bps`;
}

/** Bytes to 3 significant digits in binary units: "64 KiB". */
export function shortBytes(n: number): string {
  const a = Math.abs(n);
  if (a >= 2 ** 30) return `${fmt(n / 2 ** 30)} GiB`;
  if (a >= 2 ** 20) return `${fmt(n / 2 ** 20)} MiB`;
  if (a >= 2 ** 10) return `${fmt(n / 2 ** 10)} KiB`;
  return `${fmt(n)} B`;
}

/** A table of already escaped cells; `numeric` columns are right-aligned. */
export function table(head: string[], rows: string[][], numeric: number[] = []): string {
  const num = new Set(numeric);
  const body = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${num.has(i) ? ' class="n"' : ""}>${c}</td>`).join("")}</tr>`)
    .join("\n");
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>
${body}
</tbody></table>`;
}
