// Line charts as inline SVG for the run and sweep HTML reports (no script: they open offline
// and print as they show).
//
// Contract:
// - lineChart(options, series) draws each series as a line with its own colour, dash pattern
//   and marker shape, so lines that coincide stay visible and tell apart in print; markers sit
//   on every point of short series and on a staggered subset of long ones. Error bars (a
//   sweep's 95% confidence interval) are drawn where a point has them.
// - Axes are linear, from 0 (or the smallest value when negative) to just above the largest;
//   a categorical x axis (xCategories) places values 0 .. n - 1 at its labels. The y title sits
//   left of the widest tick label, never on it.
// - Marked up for tests: <svg class="chart" data-points="N"> (N points drawn over all series),
//   one <g class="series" data-name=".." data-points="n"> per series.
// - A chart with no point returns "" (callers say in words what is missing).
// - Text is escaped; numbers print to 3 significant digits (fmt).

export interface ChartSeries {
  name: string;
  /** [x, y] pairs in x order; y NaN (no value) breaks the line. */
  points: [number, number][];
  /** Optional [low, high] per point (same order), drawn as error bars. */
  errors?: ([number, number] | null)[];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
  /** Category labels: x values are their indexes. */
  xCategories?: readonly string[];
  width?: number;
  height?: number;
}

export const PALETTE = [
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
] as const;
const DASHES = ["", "6 3", "2 3", "8 3 2 3", "4 4", "1 2", "10 4", "3 3 1 3", "5 2 1 2", "12 3"] as const;
const MARKERS = ["circle", "square", "triangle", "diamond", "cross", "triangle-down", "plus", "circle-open"] as const;
/** Most markers drawn per series (long series get a staggered subset). */
const MARKERS_PER_SERIES = 24;

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A number to `digits` significant digits with thousands separators ("1,230", "0.0123"). */
export function fmt(n: number, digits = 3): string {
  if (!Number.isFinite(n)) return String(n);
  return Number(n.toPrecision(digits)).toLocaleString("en-US", { maximumFractionDigits: 12 });
}

/** Nice linear ticks covering [lo, hi]: 1-2-5 steps, about five of them. */
export function niceTicks(lo: number, hi: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function marker(shape: (typeof MARKERS)[number], x: number, y: number, colour: string): string {
  const X = x.toFixed(1);
  const Y = y.toFixed(1);
  const r = 3.2;
  switch (shape) {
    case "circle":
      return `<circle cx="${X}" cy="${Y}" r="${r}" fill="${colour}"/>`;
    case "circle-open":
      return `<circle cx="${X}" cy="${Y}" r="${r}" fill="#fff" stroke="${colour}" stroke-width="1.5"/>`;
    case "square":
      return `<rect x="${(x - r).toFixed(1)}" y="${(y - r).toFixed(1)}" width="${2 * r}" height="${2 * r}" fill="${colour}"/>`;
    case "triangle":
      return `<path d="M${X} ${(y - r - 1).toFixed(1)}l${r + 0.8} ${2 * r}h${-2 * r - 1.6}z" fill="${colour}"/>`;
    case "triangle-down":
      return `<path d="M${X} ${(y + r + 1).toFixed(1)}l${r + 0.8} ${-2 * r}h${-2 * r - 1.6}z" fill="${colour}"/>`;
    case "diamond":
      return `<path d="M${X} ${(y - r - 1).toFixed(1)}l${r + 1} ${r + 1}l${-r - 1} ${r + 1}l${-r - 1} ${-r - 1}z" fill="${colour}"/>`;
    case "cross":
      return `<path d="M${(x - r).toFixed(1)} ${(y - r).toFixed(1)}l${2 * r} ${2 * r}m0 ${-2 * r}l${-2 * r} ${2 * r}" stroke="${colour}" stroke-width="2"/>`;
    case "plus":
      return `<path d="M${(x - r - 1).toFixed(1)} ${Y}h${2 * r + 2}M${X} ${(y - r - 1).toFixed(1)}v${2 * r + 2}" stroke="${colour}" stroke-width="2"/>`;
  }
}

interface Frame {
  L: number;
  R: number;
  T: number;
  B: number;
  W: number;
  H: number;
  px: (x: number) => number;
  py: (y: number) => number;
}

function frameOf(opts: ChartOptions, series: ChartSeries[], yTicks: string[]): Frame & { yLo: number; yHi: number } {
  const W = opts.width ?? 660;
  const H = opts.height ?? 340;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => [
    ...s.points.map((p) => p[1]),
    ...(s.errors ?? []).flatMap((e) => (e === null ? [] : e)),
  ]);
  const finite = ys.filter((v) => Number.isFinite(v));
  const yMin = Math.min(0, ...finite);
  let yMax = Math.max(...finite);
  if (!(yMax > yMin)) yMax = yMin + 1;
  const yHi = yMax + (yMax - yMin) * 0.05;
  const cats = opts.xCategories;
  const xLo = cats !== undefined ? -0.5 : Math.min(...xs);
  let xHi = cats !== undefined ? cats.length - 0.5 : Math.max(...xs);
  if (!(xHi > xLo)) xHi = xLo + 1;
  // Room for the widest tick label (about 6.2 px per character at 11 px), then the title.
  const widest = Math.max(1, ...yTicks.map((t) => t.length));
  const L = 30 + Math.ceil(widest * 6.2);
  const R = 180;
  const T = 34;
  const B = 50;
  return {
    L,
    R,
    T,
    B,
    W,
    H,
    yLo: yMin,
    yHi,
    px: (x) => L + ((x - xLo) / (xHi - xLo)) * (W - L - R),
    py: (y) => T + (1 - (y - yMin) / (yHi - yMin)) * (H - T - B),
  };
}

function axes(opts: ChartOptions, f: Frame & { yLo: number; yHi: number }, xTicks: number[]): string[] {
  const yFormat = opts.yFormat ?? ((v: number) => fmt(v));
  const xFormat = opts.xFormat ?? ((v: number) => fmt(v));
  const parts: string[] = [];
  for (const v of niceTicks(f.yLo, f.yHi)) {
    const y = f.py(v).toFixed(1);
    parts.push(`<line x1="${f.L}" x2="${f.W - f.R}" y1="${y}" y2="${y}" class="g"/>`);
    parts.push(`<text x="${f.L - 6}" y="${(Number(y) + 4).toFixed(1)}" text-anchor="end">${esc(yFormat(v))}</text>`);
  }
  for (const v of xTicks) {
    const x = f.px(v).toFixed(1);
    const label = opts.xCategories !== undefined ? (opts.xCategories[v] ?? "") : xFormat(v);
    parts.push(`<line x1="${x}" x2="${x}" y1="${f.T}" y2="${f.H - f.B}" class="g"/>`);
    parts.push(`<text x="${x}" y="${f.H - f.B + 16}" text-anchor="middle">${esc(label)}</text>`);
  }
  parts.push(`<line x1="${f.L}" x2="${f.W - f.R}" y1="${f.H - f.B}" y2="${f.H - f.B}" class="a"/>`);
  parts.push(`<line x1="${f.L}" x2="${f.L}" y1="${f.T}" y2="${f.H - f.B}" class="a"/>`);
  parts.push(`<text x="${(f.L + f.W - f.R) / 2}" y="${f.H - 12}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  parts.push(
    `<text transform="translate(14 ${(f.T + f.H - f.B) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`,
  );
  return parts;
}

function seriesSvg(s: ChartSeries, i: number, f: Frame, yFormat: (v: number) => string): string {
  const colour = PALETTE[i % PALETTE.length]!;
  const dash = DASHES[i % DASHES.length]!;
  const shape = MARKERS[i % MARKERS.length]!;
  const pts = s.points.filter((p) => Number.isFinite(p[1]));
  const parts: string[] = [];
  // Runs of finite values make one polyline each.
  let run: string[] = [];
  const flush = (): void => {
    if (run.length > 1)
      parts.push(
        `<polyline fill="none" stroke="${colour}" stroke-width="1.8"${dash ? ` stroke-dasharray="${dash}"` : ""} points="${run.join(" ")}"/>`,
      );
    run = [];
  };
  for (const p of s.points) {
    if (Number.isFinite(p[1])) run.push(`${f.px(p[0]).toFixed(1)},${f.py(p[1]).toFixed(1)}`);
    else flush();
  }
  flush();
  s.errors?.forEach((e, k) => {
    const p = s.points[k];
    if (e === null || p === undefined || !Number.isFinite(e[0]) || !Number.isFinite(e[1])) return;
    const x = f.px(p[0]);
    const [y0, y1] = [f.py(e[0]), f.py(e[1])];
    parts.push(
      `<path d="M${x.toFixed(1)} ${y0.toFixed(1)}V${y1.toFixed(1)}M${(x - 4).toFixed(1)} ${y0.toFixed(1)}h8M${(x - 4).toFixed(1)} ${y1.toFixed(1)}h8" stroke="${colour}" stroke-width="1.2" class="err"/>`,
    );
  });
  // Every point of a short series; a subset of a long one, offset per series so coinciding lines show each.
  const every = Math.max(1, Math.ceil(pts.length / MARKERS_PER_SERIES));
  const offset = every > 1 ? Math.floor((i * every) / 3) % every : 0;
  pts.forEach((p, k) => {
    if ((k - offset) % every !== 0) return;
    parts.push(
      `<g>${marker(shape, f.px(p[0]), f.py(p[1]), colour)}<title>${esc(`${s.name}: ${yFormat(p[1])}`)}</title></g>`,
    );
  });
  return `<g class="series" data-name="${esc(s.name)}" data-points="${pts.length}">${parts.join("")}</g>`;
}

function legend(series: ChartSeries[], f: Frame): string {
  return series
    .map((s, i) => {
      const colour = PALETTE[i % PALETTE.length]!;
      const dash = DASHES[i % DASHES.length]!;
      const y = f.T + 10 + i * 18;
      const x = f.W - f.R + 12;
      const name = s.name.length > 22 ? `${s.name.slice(0, 21)}…` : s.name;
      return `<line x1="${x}" x2="${x + 26}" y1="${y}" y2="${y}" stroke="${colour}" stroke-width="1.8"${dash ? ` stroke-dasharray="${dash}"` : ""}/>${marker(MARKERS[i % MARKERS.length]!, x + 13, y, colour)}<text x="${x + 32}" y="${y + 4}">${esc(name)}<title>${esc(s.name)}</title></text>`;
    })
    .join("");
}

export function lineChart(opts: ChartOptions, series: ChartSeries[]): string {
  const drawn = series.filter((s) => s.points.some((p) => Number.isFinite(p[1])));
  if (drawn.length === 0) return "";
  const yFormat = opts.yFormat ?? ((v: number) => fmt(v));
  // A first frame gives the y range; its tick labels size the left margin of the real one.
  const probe = frameOf(opts, drawn, []);
  const f = frameOf(
    opts,
    drawn,
    niceTicks(probe.yLo, probe.yHi).map((v) => yFormat(v)),
  );
  const xs = drawn.flatMap((s) => s.points.map((p) => p[0]));
  const xTicks =
    opts.xCategories !== undefined ? opts.xCategories.map((_, i) => i) : niceTicks(Math.min(...xs), Math.max(...xs));
  const total = drawn.reduce((n, s) => n + s.points.filter((p) => Number.isFinite(p[1])).length, 0);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-points="${total}" viewBox="0 0 ${f.W} ${f.H}" width="${f.W}" height="${f.H}" role="img" aria-label="${esc(opts.title)}">`,
    `<text x="${(f.L + f.W - f.R) / 2}" y="20" text-anchor="middle" class="t">${esc(opts.title)}</text>`,
    ...axes(opts, f, xTicks),
    ...drawn.map((s, i) => seriesSvg(s, i, f, yFormat)),
    legend(drawn, f),
    "</svg>",
  ].join("");
}
