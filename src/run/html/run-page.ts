// The HTML report of one run (`netloom run --report FILE`, the scenario's outputs.report): one
// self-contained page, inline CSS and SVG, no script and no external file.
//
// Contract:
// - runHtml(report, scenario) shows: the run's identity (seed, virtual time, events,
//   fingerprint, workers), the topology drawing (./topology.ts; partitions coloured when the
//   run was partitioned), the time series of report.samples (throughput per flow, queue length
//   per link direction, congestion window per tcp-bulk flow, drops per interval), the flow
//   table (ns-3 flow-monitor figures: delay mean and percentiles, jitter) and the link table
//   (utilisation, drops, delay, jitter, frames in flight at the end).
// - Charts carry at most MAX_LINES series: the flows that received most, the link directions
//   whose queue grew longest (ties in report order); the text says how many were left out.
//   A series with nothing to show (no TCP flow, no queue ever formed) is a sentence instead.
// - Everything shown is in virtual time but the wall time, which is labelled as such.

import type { Scenario } from "../../scenario/scenario.js";
import type { RunReport } from "../run-report.js";
import { type ChartSeries, esc, fmt, lineChart } from "./svg-chart.js";
import { topologySvg } from "./topology.js";
import { PAGE_STYLE, shortBitRate, shortBytes, shortDuration, table } from "./page.js";

/** Most series per chart. */
export const MAX_LINES = 8;
/** Most points of a rate chart (throughput, drops): sample intervals are summed into bins. */
const RATE_BINS = 125;

type Samples = NonNullable<RunReport["samples"]>;

/** Times in the unit that suits the run's length. */
function timeAxis(samples: Samples): { unit: string; scale: number } {
  const end = samples.timesNs[samples.timesNs.length - 1] ?? 0;
  if (end >= 10e9) return { unit: "s", scale: 1e9 };
  if (end >= 10e6) return { unit: "ms", scale: 1e6 };
  return { unit: "us", scale: 1e3 };
}

/** The `n` entries with the largest key (stable: ties keep their order). */
function top<T>(items: T[], key: (t: T) => number, n: number): T[] {
  return items
    .map((item, i) => ({ item, i, k: key(item) }))
    .sort((a, b) => b.k - a.k || a.i - b.i)
    .slice(0, n)
    .sort((a, b) => a.i - b.i)
    .map((x) => x.item);
}

function leftOut(shown: number, all: number, what: string): string {
  return all > shown ? `<p class="note">${all - shown} more ${what} not drawn (the chart shows ${shown}).</p>` : "";
}

/** Rates and counts per interval summed into bins of `k` intervals (a bin ends at its last sample). */
function binned(times: number[], values: number[], k: number, mean: boolean): [number, number][] {
  const out: [number, number][] = [];
  // Sample 0 is the state at time 0: the first interval starts there.
  for (let end = k; end < values.length; end += k) {
    let sum = 0;
    for (let i = end - k + 1; i <= end; i++) sum += values[i]!;
    out.push([times[end]!, mean ? sum / k : sum]);
  }
  return out;
}

function timeSeriesSection(samples: Samples): string {
  const { unit, scale } = timeAxis(samples);
  const times = samples.timesNs.map((t) => t / scale);
  const series = (name: string, values: number[]): ChartSeries => ({
    name,
    points: values.map((v, k) => [times[k]!, v]),
  });
  // Rates over one sample interval swing with single packets: charts show them over bins.
  const k = Math.max(1, Math.ceil((samples.timesNs.length - 1) / RATE_BINS));
  const rate = (name: string, values: number[], mean: boolean): ChartSeries => ({
    name,
    points: binned(times, values, k, mean),
  });
  const xLabel = `virtual time (${unit})`;
  const parts: string[] = [];
  const flows = top(samples.throughput, (f) => f.bps.reduce((a, b) => a + b, 0), MAX_LINES);
  parts.push(
    lineChart(
      { title: "Received throughput per flow", xLabel, yLabel: "throughput", yFormat: shortBitRate },
      flows.map((f) => rate(f.label, f.bps, true)),
    ) || "<p>No flow.</p>",
    leftOut(flows.length, samples.throughput.length, "flows"),
  );
  const busy = samples.queues.filter((q) => q.frames.some((v) => v > 0));
  const queues = top(busy, (q) => Math.max(...q.frames), MAX_LINES);
  parts.push(
    queues.length > 0
      ? lineChart(
          { title: "Queue length per link direction", xLabel, yLabel: "frames waiting" },
          queues.map((q) => series(`${q.link} ${q.direction}`, q.frames)),
        ) + leftOut(queues.length, busy.length, "link directions with a queue")
      : "<p>No link queue held a frame at any sample.</p>",
  );
  parts.push(
    samples.cwnd.length > 0
      ? lineChart(
          { title: "TCP congestion window", xLabel, yLabel: "cwnd", yFormat: shortBytes },
          samples.cwnd.slice(0, MAX_LINES).map((c) => series(c.label, c.bytes)),
        ) + leftOut(Math.min(MAX_LINES, samples.cwnd.length), samples.cwnd.length, "TCP flows")
      : "<p>No tcp-bulk flow: no congestion window to show.</p>",
  );
  parts.push(
    lineChart(
      {
        title: `Frames dropped per ${shortDuration(k * samples.intervalNs)} (all devices and links)`,
        xLabel,
        yLabel: "drops",
      },
      [rate("drops", samples.drops, false)],
    ),
  );
  return `<section><h2>Time series</h2>
<p>Sampled every ${shortDuration(samples.intervalNs)} of virtual time (${samples.timesNs.length} samples): queue length and congestion window at each sample; throughput and drops over ${shortDuration(k * samples.intervalNs)} (the report's JSON has them per sample interval).</p>
<div class="charts">${parts.join("\n")}</div></section>`;
}

const nsOr = (v: number | null | undefined): string => (v === null || v === undefined ? "–" : shortDuration(v));

function flowTable(report: RunReport): string {
  const head = [
    "flow",
    "from → to",
    "sent",
    "received",
    "loss",
    "throughput",
    "delay mean",
    "p50",
    "p95",
    "p99",
    "max",
    "jitter",
  ];
  const rows = report.flows.map((f) => [
    esc(f.label ?? String(f.id)),
    esc(`${f.src ?? "?"} → ${f.dst ?? "?"}`),
    String(f.sentPackets),
    String(f.receivedPackets),
    f.loss === null ? "–" : `${fmt(f.loss * 100)}%`,
    shortBitRate(f.throughputBps),
    nsOr(f.latencyNs.mean),
    nsOr(f.latencyNs.p50),
    nsOr(f.latencyNs.p95),
    nsOr(f.latencyNs.p99),
    nsOr(f.latencyNs.max),
    nsOr(f.jitterNs?.mean),
  ]);
  return `<section><h2>Flows</h2>
<p>Delay is one-way, from the packet's birth to its receipt; jitter is ns-3's flow-monitor definition, the mean |delay difference| of consecutive received packets (per receiver). A dash: no sample (transport flows count bytes, not per-packet delays).</p>
${table(head, rows, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11])}</section>`;
}

function linkTable(report: RunReport, scenario: Scenario): string {
  const byName = new Map(scenario.links.map((l) => [l.name, l]));
  const head = [
    "link",
    "direction",
    "rate, delay",
    "frames",
    "utilisation",
    "drops",
    "delay mean",
    "p99",
    "jitter",
    "in flight at end",
  ];
  const rows = report.links.flatMap((l) =>
    l.directions.map((d) => {
      const spec = byName.get(l.id);
      const drops = Object.values(d.drops).reduce((a, b) => a + b, 0);
      const inFlight =
        d.inFlight === undefined
          ? "–"
          : `${d.inFlight.queued} queued, ${d.inFlight.onWire === null ? "?" : d.inFlight.onWire} on the wire`;
      return [
        esc(l.id),
        d.direction,
        spec === undefined ? "" : esc(`${shortBitRate(spec.rateBps)}, ${shortDuration(spec.delayNs)}`),
        String(d.frames),
        `${fmt(d.utilisation * 100)}%`,
        drops === 0
          ? "0"
          : esc(
              `${drops} (${Object.entries(d.drops)
                .map(([r, n]) => `${r} ${n}`)
                .join(", ")})`,
            ),
        nsOr(d.delayNs?.mean),
        nsOr(d.delayNs?.p99),
        nsOr(d.jitterNs?.mean),
        inFlight,
      ];
    }),
  );
  return `<section><h2>Links</h2>
<p>Per direction. Delay: from the frame's acceptance by the link to its arrival at the far end (queueing, serialization, propagation). In flight: frames still queued and frames on the wire when the run ended.</p>
${table(head, rows, [3, 4, 6, 7, 8])}</section>`;
}

export function runHtml(report: RunReport, scenario: Scenario): string {
  const members = report.parallel?.members;
  const ran =
    report.parallel === undefined
      ? "one thread"
      : `${report.parallel.partitions} partitions on worker threads (lookahead ${shortDuration(report.parallel.lookaheadNs)}; colours below)`;
  const samples = report.samples;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>netloom run: ${esc(report.scenario)}</title>
<style>${PAGE_STYLE}</style></head><body>
<h1>netloom run: ${esc(report.scenario)}</h1>
<p>Seed ${report.seed}; ${shortDuration(report.simTimeNs)} of virtual time, ${report.events.toLocaleString("en-US")} events, fingerprint <code>${esc(report.fingerprint)}</code>; ran on ${esc(ran)} in ${fmt(report.wallTimeMs)} ms of wall time.</p>
<section><h2>Topology</h2>
<p>${scenario.links.length} links labelled with rate and delay${members !== undefined ? "; fill colour: the partition that ran the device" : ""}.</p>
<div class="topo">${topologySvg(scenario, members)}</div></section>
${samples !== undefined ? timeSeriesSection(samples) : "<p>This report was made without time series.</p>"}
${flowTable(report)}
${linkTable(report, scenario)}
</body></html>
`;
}
