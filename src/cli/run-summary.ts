// The human summary of a run report (`netloom run` without --json): a header, then one section
// each for flows, host stacks, links with drops, the ATM section's devices and the workloads
// (workload-summary.ts), then where the
// files went. Plain lines; the caller prints them. Tests pin this text.

import { formatBitRate, formatDuration } from "../base/units.js";
import type { RunReport } from "../run/run-report.js";
import { workloadLines } from "./workload-summary.js";

export interface RunOutputs {
  /** --workers as given (1 when absent): a run asked for more that found nothing to cut says so. */
  workers: number;
  pcapDir: string | undefined;
  /** .pcap files found in pcapDir. */
  pcapFiles: number;
  csvDir: string | undefined;
}

export function runSummary(name: string, report: RunReport, outputs: RunOutputs): string[] {
  const out: string[] = [];
  const stopped = report.interrupted;
  out.push(
    stopped === undefined
      ? `${name}: ${formatDuration(report.simTimeNs)} simulated in ${report.wallTimeMs.toFixed(0)} ms wall time`
      : `${name}: INTERRUPTED (${stopped.reason}) at ${formatDuration(report.simTimeNs)} of ${formatDuration(stopped.durationNs)}, ` +
          `${report.wallTimeMs.toFixed(0)} ms wall time: what follows is what was done until then`,
  );
  out.push(`events ${report.events}, fingerprint ${report.fingerprint}`);
  const par = report.parallel;
  if (par !== undefined) {
    out.push(
      `partitions ${par.partitions} (${par.automatic ? "automatic" : "from the scenario"}), lookahead ${formatDuration(par.lookaheadNs)}, ` +
        `${par.windows} windows, ${par.crossPartitionFrames} frames crossed partitions`,
    );
  } else if (outputs.workers > 1) {
    out.push(`one thread: ${report.partitioning?.reason ?? "nothing to cut"}`);
  }
  out.push("", "flows:", ...flowLines(report));
  const stacks = hostStackLines(report);
  if (stacks.length > 0) out.push("", "host stacks (virtual CPU time by operation):", ...stacks);
  out.push(...linkLines(report));
  if (report.atm !== undefined) out.push("", "atm:", ...atmLines(report.atm));
  out.push(...workloadLines(report));
  if (outputs.pcapDir !== undefined) {
    const c = report.captures;
    const limited =
      c !== undefined && c.overLimit > 0 ? ` (${c.filesAtLimit} at their limit: ${c.overLimit} records left out)` : "";
    out.push(`\npcap: ${outputs.pcapFiles} files in ${outputs.pcapDir}${limited}`);
  }
  if (outputs.csvDir !== undefined) out.push(`csv: ${outputs.csvDir}/flows.csv, ${outputs.csvDir}/links.csv`);
  return out;
}

function flowLines(report: RunReport): string[] {
  const fmt = (v: number | null): string => (v === null ? "-" : formatDuration(Math.round(v)));
  return report.flows.map((f) => {
    const lat = f.latencyNs;
    // Message flows: what the workload completed, and what their latency is.
    const m = f.messages;
    const what =
      m === undefined
        ? ""
        : m.type === "ping-pong"
          ? ` (ping-pong: ${m.completed}/${m.requested} rounds, latency = round trip${m.refused > 0 ? `, ${m.refused} refused` : ""}${m.mismatches > 0 ? `, ${m.mismatches} damaged` : ""})`
          : ` (message-stream: ${m.completed}/${m.requested} delivered, latency = send to delivery${m.refused > 0 ? `, ${m.refused} refused` : ""})`;
    return (
      `  ${String(f.label ?? f.id).padEnd(12)} ${f.src} -> ${f.dst}: sent ${f.sentPackets}, received ${f.receivedPackets}, ` +
      `${droppedText(f)}` +
      `${formatBitRate(f.throughputBps, 3)}, latency p50 ${fmt(lat.p50)} p99 ${fmt(lat.p99)} max ${fmt(lat.max)}${what}`
    );
  });
}

/** "dropped 3 (LOSS_RANDOM 3), in flight 2, " (the parts that are not zero). */
function droppedText(f: RunReport["flows"][number]): string {
  const reasons = Object.entries(f.drops)
    .map(([r, n]) => `${r} ${n}`)
    .join(", ");
  const dropped = f.droppedPackets > 0 ? `dropped ${f.droppedPackets} (${reasons}), ` : "";
  const inFlight = f.inFlightPackets !== null && f.inFlightPackets > 0 ? `in flight ${f.inFlightPackets}, ` : "";
  return dropped + inFlight;
}

function hostStackLines(report: RunReport): string[] {
  const out: string[] = [];
  for (const h of report.hosts) {
    const hs = h.hostStack;
    if (hs === undefined) continue;
    const ops = Object.entries(hs.cpu.ops)
      .filter(([, o]) => o.ns > 0)
      .sort((x, y) => y[1].ns - x[1].ns)
      .map(([op, o]) => `${op} ${formatDuration(Math.round(o.ns))}`);
    const total = Object.values(hs.cpu.ops).reduce((t, o) => t + o.ns, 0);
    out.push(
      `  ${h.name.padEnd(12)} ${hs.configuration}${hs.layers.length > 0 ? ` [${hs.layers.join(", ")}]` : ""} on ${hs.profile}: ` +
        `${formatDuration(Math.round(total))} in ${hs.cpu.jobs} jobs${ops.length > 0 ? `: ${ops.join(", ")}` : ""}`,
    );
  }
  return out;
}

/** The blank line and count line of the links section, then one line per direction with drops. */
function linkLines(report: RunReport): string[] {
  const directions = report.links.flatMap((l) => l.directions.map((d) => ({ name: `${l.id} ${d.direction}`, d })));
  const withDrops = directions.filter((x) => Object.keys(x.d.drops).length > 0);
  return [
    "",
    `links: ${report.links.length}, with drops: ${withDrops.length}`,
    ...withDrops.map(
      ({ name, d }) =>
        `  ${name}: ${Object.entries(d.drops)
          .map(([r, n]) => `${r} ${n}`)
          .join(", ")}`,
    ),
  ];
}

function atmLines(a: NonNullable<RunReport["atm"]>): string[] {
  const out: string[] = [];
  for (const [name, sw] of Object.entries(a.switches)) {
    const drops: Record<string, number> = {};
    let epd = 0;
    let ppd = 0;
    for (const port of sw.ports) {
      for (const [r, n] of Object.entries(port.drops)) if (n > 0) drops[r] = (drops[r] ?? 0) + n;
      epd += port.epdPdus;
      ppd += port.ppdPdus;
    }
    const d = Object.entries(drops)
      .map(([r, n]) => `${r} ${n}`)
      .join(", ");
    out.push(
      `  switch ${name}: ${sw.switchedCells} cells switched${d ? `, dropped ${d}` : ""}${epd + ppd > 0 ? ` (EPD ${epd} PDUs, PPD ${ppd})` : ""}`,
    );
  }
  for (const [name, nic] of Object.entries(a.nics)) {
    if (nic.txPdus === 0 && nic.rxPdus === 0) continue;
    const bad = nic.reassembly.badCrc + nic.reassembly.badLength + nic.reassembly.lostCells + nic.timeouts;
    out.push(
      `  ${name}: sent ${nic.txPdus} PDUs (${nic.txCells} cells), received ${nic.rxPdus}${bad > 0 ? `, ${bad} lost or damaged` : ""}`,
    );
  }
  return out;
}
