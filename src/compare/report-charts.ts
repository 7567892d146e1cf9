// The charts of the comparison report: inline SVG line charts and horizontal stacked bars, with
// no script and no external file.
//
// Contract:
// - lineChart: one line per series over a log2 message-size axis and a log or linear value
//   axis. Series that lie on top of each other stay visible: each has its own colour, dash
//   pattern and marker shape (later series dashed over earlier ones, whose colour shows in the
//   gaps), and a series with the same points as an earlier one says so in the legend ("= unet").
//   The left margin is sized from the widest tick label, so the rotated axis title never
//   overlaps one.
// - stackedBars: one bar per label; a bar with `skipped` set draws no bar and no value, only
//   the reason in words (a configuration that did not run is not a bar of zero).
// - Text is escaped; numbers are formatted by the caller's functions. Classes "tick" (tick
//   labels) and "yt" (the value axis title) mark what tests measure.

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
];
export const OP_COLOURS = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
];
/** Dash patterns by series: the first solid, then ever different ones, so lines on top of each other both show. */
export const DASHES = ["", "7 4", "2 3", "10 3 2 3", "4 5", "1 4", "12 6", "3 3 1 3"];
export const MARKERS = ["circle", "square", "triangle", "diamond", "cross", "triangle-down", "plus", "bar"] as const;

/** Width of SVG text at 11px (average glyph of the report's sans-serif font, generously rounded up). */
const CHAR_PX = 6.6;

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function formatBytes(n: number): string {
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

export interface Series {
  name: string;
  points: [number, number][];
}

/** A marker of `shape` centred on (x, y), filled with `colour`, outlined white so markers on markers show. */
function marker(shape: (typeof MARKERS)[number], x: number, y: number, colour: string, tip: string): string {
  const p = (n: number): string => n.toFixed(1);
  const s = 4;
  const paint = `fill="${colour}" stroke="#fff" stroke-width="0.8"`;
  const body =
    shape === "circle"
      ? `<circle cx="${p(x)}" cy="${p(y)}" r="3.5" ${paint}>`
      : shape === "square"
        ? `<rect x="${p(x - s + 0.5)}" y="${p(y - s + 0.5)}" width="7" height="7" ${paint}>`
        : shape === "triangle"
          ? `<polygon points="${p(x)},${p(y - s - 1)} ${p(x + s + 0.5)},${p(y + s - 0.5)} ${p(x - s - 0.5)},${p(y + s - 0.5)}" ${paint}>`
          : shape === "triangle-down"
            ? `<polygon points="${p(x)},${p(y + s + 1)} ${p(x + s + 0.5)},${p(y - s + 0.5)} ${p(x - s - 0.5)},${p(y - s + 0.5)}" ${paint}>`
            : shape === "diamond"
              ? `<polygon points="${p(x)},${p(y - s - 1)} ${p(x + s + 1)},${p(y)} ${p(x)},${p(y + s + 1)} ${p(x - s - 1)},${p(y)}" ${paint}>`
              : shape === "bar"
                ? `<rect x="${p(x - 1.5)}" y="${p(y - s - 1)}" width="3" height="${2 * s + 2}" ${paint}>`
                : `<path d="M${p(x - s)},${p(y - (shape === "cross" ? s : 0))} L${p(x + s)},${p(y + (shape === "cross" ? s : 0))} M${p(shape === "cross" ? x - s : x)},${p(shape === "cross" ? y + s : y - s)} L${p(shape === "cross" ? x + s : x)},${p(shape === "cross" ? y - s : y + s)}" stroke="${colour}" stroke-width="2.2" fill="none">`;
  const close = body.startsWith("<circle")
    ? "</circle>"
    : body.startsWith("<rect")
      ? "</rect>"
      : body.startsWith("<polygon")
        ? "</polygon>"
        : "</path>";
  return `${body}<title>${esc(tip)}</title>${close}`;
}

/** The name of the first earlier series with exactly the same points, if any. */
function sameAs(series: Series[], i: number): string | undefined {
  const key = (s: Series): string => JSON.stringify(s.points);
  const k = key(series[i]!);
  if (series[i]!.points.length === 0) return undefined;
  for (let j = 0; j < i; j++) if (key(series[j]!) === k) return series[j]!.name;
  return undefined;
}

/** A line chart with a log2 size axis (message sizes) and a log or linear value axis. */
export function lineChart(
  title: string,
  series: Series[],
  yLabel: string,
  yFormat: (v: number) => string,
  logY: boolean,
): string {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return "";
  const xs = [...new Set(all.map((p) => p[0]))].sort((a, b) => a - b);
  const ys = all.map((p) => p[1]).filter((v) => v > 0);
  let yLo = logY ? 10 ** Math.floor(Math.log10(Math.min(...ys))) : 0;
  let yHi = logY ? 10 ** Math.ceil(Math.log10(Math.max(...ys))) : Math.max(...ys) * 1.1;
  if (yHi <= yLo) yHi = yLo * 10 || 1;
  if (!logY) yLo = 0;
  const yt = logY ? logTicks(yLo, yHi) : linearTicks(yHi);
  // The rotated axis title takes the first 22 px; the tick labels end 6 px left of the plot.
  const widest = Math.max(...yt.map((v) => yFormat(v).length)) * CHAR_PX;
  const L = Math.max(70, Math.ceil(22 + 8 + widest + 6));
  const W = 640 + (L - 70);
  const H = 360;
  const R = 190;
  const T = 36;
  const B = 48;
  const xLo = Math.log2(xs[0]!);
  const xHi = Math.max(Math.log2(xs[xs.length - 1]!), xLo + 1);
  const px = (x: number): number => L + ((Math.log2(x) - xLo) / (xHi - xLo)) * (W - L - R);
  const py = (y: number): number =>
    logY
      ? T + (1 - (Math.log10(y) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * (H - T - B)
      : T + (1 - (y - yLo) / (yHi - yLo)) * (H - T - B);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`,
    `<text x="${(L + W - R) / 2}" y="20" text-anchor="middle" class="t">${esc(title)}</text>`,
  ];
  for (const v of yt) {
    const y = py(v);
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" class="g"/>`);
    parts.push(`<text x="${L - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" class="tick">${esc(yFormat(v))}</text>`);
  }
  for (const x of xs) {
    const X = px(x);
    parts.push(`<line x1="${X.toFixed(1)}" x2="${X.toFixed(1)}" y1="${T}" y2="${H - B}" class="g"/>`);
    parts.push(
      `<text x="${X.toFixed(1)}" y="${H - B + 16}" text-anchor="middle" class="tick">${esc(formatBytes(x))}</text>`,
    );
  }
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">message size</text>`);
  parts.push(
    `<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle" class="yt">${esc(yLabel)}</text>`,
  );
  series.forEach((s, i) => parts.push(...seriesMarks(s, i, series, px, py, yFormat, logY, { W, R, T })));
  parts.push("</svg>");
  return parts.join("");
}

/** One series' line, markers and legend entry. */
function seriesMarks(
  s: Series,
  i: number,
  series: Series[],
  px: (x: number) => number,
  py: (y: number) => number,
  yFormat: (v: number) => string,
  logY: boolean,
  box: { W: number; R: number; T: number },
): string[] {
  const out: string[] = [];
  const colour = PALETTE[i % PALETTE.length]!;
  const dash = DASHES[i % DASHES.length]!;
  const shape = MARKERS[i % MARKERS.length]!;
  const dashAttr = dash === "" ? "" : ` stroke-dasharray="${dash}"`;
  const pts = s.points.filter((p) => p[1] > 0 || !logY);
  if (pts.length > 0) {
    out.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="2"${dashAttr} data-series="${esc(s.name)}" points="${pts.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(" ")}"/>`,
    );
    for (const p of pts)
      out.push(marker(shape, px(p[0]), py(p[1]), colour, `${s.name}, ${formatBytes(p[0])}: ${yFormat(p[1])}`));
  }
  const lx = box.W - box.R + 12;
  const ly = box.T + 14 + i * 18;
  const twin = sameAs(series, i);
  out.push(
    `<line x1="${lx}" x2="${lx + 24}" y1="${ly - 3}" y2="${ly - 3}" stroke="${colour}" stroke-width="2"${dashAttr}/>`,
    marker(shape, lx + 12, ly - 3, colour, s.name),
    `<text x="${lx + 30}" y="${ly + 1}">${esc(s.name)}${twin !== undefined ? ` (= ${esc(twin)})` : ""}</text>`,
  );
  return out;
}

export interface Bar {
  label: string;
  parts: number[];
  /** Why the bar has no value (the point did not run); drawn as words, not as a bar of zero. */
  skipped?: string;
}

/** Horizontal stacked bars: one bar per label, one segment per part. */
export function stackedBars(
  title: string,
  bars: Bar[],
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
  const ran = bars.filter((b) => b.skipped === undefined);
  const max = Math.max(1e-9, ...ran.map((b) => b.parts.reduce((a, c) => a + c, 0)));
  const sx = (v: number): number => (v / max) * (W - L - R - 70);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`,
  ];
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" class="t">${esc(title)}</text>`);
  bars.forEach((b, i) => {
    const y = T + i * rowH;
    parts.push(`<text x="${L - 8}" y="${y + 16}" text-anchor="end">${esc(b.label)}</text>`);
    if (b.skipped !== undefined) {
      parts.push(`<text x="${L + 4}" y="${y + 16}" class="skip">${esc(b.skipped)}</text>`);
      return;
    }
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
