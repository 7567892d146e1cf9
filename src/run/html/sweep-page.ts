// The HTML report of a sweep (`netloom sweep --report FILE`): one self-contained page, inline
// CSS and SVG, no script.
//
// Contract:
// - sweepHtml(result) charts each figure of SWEEP_FIGURES against each non-seed parameter:
//   one line per combination of the other non-seed parameters (at most MAX_LINES; the text
//   says how many were left out), each point the mean over the group's distinct seeds with
//   its 95% confidence interval as an error bar (../sweep-stats.ts). Numeric parameters get a
//   linear axis at their values, others a categorical axis in declaration order.
// - A figure no group has (e.g. delay for TCP-only sweeps) gets no chart; the table has every
//   group with n and each figure as mean ± half-width.
// - Failed points are listed with their error; repeated seeds are said to count once.

import type { ParameterValue } from "../../scenario/scenario.js";
import type { SweepResult } from "../sweep.js";
import { type MeanCi, SWEEP_FIGURES, type SweepFigure, type SweepGroup, summariseSweep } from "../sweep-stats.js";
import { type ChartSeries, esc, fmt, lineChart } from "./svg-chart.js";
import { PAGE_STYLE, shortBitRate, shortDuration, table } from "./page.js";

export const MAX_LINES = 8;

function formatter(f: SweepFigure): (v: number) => string {
  switch (f.unit) {
    case "bps":
      return shortBitRate;
    case "ns":
      return shortDuration;
    case "ratio":
      return (v) => `${fmt(v * 100)}%`;
    case "count":
      return (v) => fmt(v);
  }
}

const show = (v: ParameterValue): string => String(v);

/** One chart: figure `f` against parameter `axis`, a line per combination of the others. */
function figureChart(
  f: SweepFigure,
  axis: string,
  values: ParameterValue[],
  groups: SweepGroup[],
  others: string[],
): string {
  const numeric = values.every((v) => typeof v === "number");
  const xOf = (v: ParameterValue): number => (numeric ? (v as number) : values.indexOf(v));
  const lines = new Map<string, SweepGroup[]>();
  for (const g of groups) {
    const key = others.map((o) => `${o}=${show(g.point[o]!)}`).join(" ");
    lines.set(key, [...(lines.get(key) ?? []), g]);
  }
  const all = [...lines.entries()];
  const series: ChartSeries[] = all.slice(0, MAX_LINES).map(([key, gs]) => {
    const pts = gs
      .map((g) => ({ x: xOf(g.point[axis]!), m: g.figures[f.key] }))
      .filter((p): p is { x: number; m: MeanCi } => p.m !== null)
      .sort((a, b) => a.x - b.x);
    return {
      name: key === "" ? f.title : key,
      points: pts.map((p): [number, number] => [p.x, p.m.mean]),
      errors: pts.map((p) => (p.m.half === null ? null : [p.m.mean - p.m.half, p.m.mean + p.m.half])),
    };
  });
  const chart = lineChart(
    {
      title: `${f.title} vs ${axis}`,
      xLabel: axis,
      yLabel: f.title.toLowerCase(),
      yFormat: formatter(f),
      ...(numeric ? { xFormat: (v: number) => fmt(v) } : { xCategories: values.map(show) }),
    },
    series,
  );
  if (chart === "") return "";
  return all.length > MAX_LINES
    ? `${chart}<p class="note">${all.length - MAX_LINES} more combinations not drawn.</p>`
    : chart;
}

function summaryTable(axes: string[], groups: SweepGroup[]): string {
  const head = [...axes, "seeds", ...SWEEP_FIGURES.map((f) => f.title)];
  const rows = groups.map((g) => [
    ...axes.map((a) => esc(show(g.point[a]!))),
    esc(`${g.seeds.length} (${g.seeds.join(", ")})`),
    ...SWEEP_FIGURES.map((f) => {
      const m = g.figures[f.key];
      if (m === null) return "–";
      const fm = formatter(f);
      return esc(m.half === null ? fm(m.mean) : `${fm(m.mean)} ± ${fm(m.half)}`);
    }),
  ]);
  const numeric = SWEEP_FIGURES.map((_, i) => axes.length + 1 + i);
  return table(head, rows, numeric);
}

export function sweepHtml(result: SweepResult): string {
  const summary = summariseSweep(result);
  const { axes, groups } = summary;
  const seeds = result.seedParameters;
  const charts: string[] = [];
  for (const f of SWEEP_FIGURES) {
    for (const axis of axes) {
      const others = axes.filter((a) => a !== axis);
      charts.push(figureChart(f, axis, result.parameters[axis]!, groups, others));
    }
  }
  const drawn = charts.filter((c) => c !== "");
  const failedRows = result.rows.filter((r) => r.status !== "ok");
  const failures =
    failedRows.length === 0
      ? ""
      : `<section><h2>Failed points</h2><ul>${failedRows
          .map(
            (r) =>
              `<li>${esc(
                Object.entries(r.point)
                  .map(([k, v]) => `${k}=${show(v)}`)
                  .join(" "),
              )}: ${esc(r.error?.message ?? "")}</li>`,
          )
          .join("")}</ul></section>`;
  const seedText =
    seeds.length > 0
      ? `Seeds come from ${seeds.map((s) => `<code>${esc(s)}</code>`).join(", ")}: each point is the mean over its distinct seeds, error bars the 95% confidence interval (Student's t)${summary.repeats > 0 ? `; ${summary.repeats} rows repeated a seed and count once` : ""}.`
      : "No parameter sets the seed: each point is one run, without a confidence interval.";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>netloom sweep: ${esc(result.scenario)}</title>
<style>${PAGE_STYLE}</style></head><body>
<h1>netloom sweep: ${esc(result.scenario)}</h1>
<p>${result.rows.length} points (${Object.entries(result.parameters)
    .map(([k, v]) => `${esc(k)}: ${v.map((x) => esc(show(x))).join(", ")}`)
    .join("; ")}), ${summary.failed} failed; ${fmt(result.wallTimeMs)} ms of wall time. ${seedText}</p>
<section><h2>Figures against parameters</h2>
${axes.length === 0 ? "<p>Every parameter sets the seed: there is no axis to chart against; see the table.</p>" : ""}
<div class="charts">${drawn.join("\n")}</div></section>
<section><h2>Table</h2>${summaryTable(axes, groups)}</section>
${failures}
</body></html>
`;
}
