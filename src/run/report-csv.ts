// CSV reports of flows and links (the CLI's --csv output).
//
// Contract:
// - RFC 4180 rows from src/base/csv.ts. Text is returned as a string; writing it is the
//   caller's (or writeCsv's) business.
// - Fixed columns, in a fixed order, whatever the data: a spreadsheet or script can rely on
//   the header. Missing values (null, NaN, undefined: e.g. the latency of a flow that received
//   nothing) are empty fields. Numbers are written with String(n) (shortest round-trip form).
// - flowsCsv: one row per flow, in the order given (FlowStats.toJSON() gives flow-id order);
//   after the latency columns, droppedPackets, inFlightPackets (empty where the flow has none:
//   tcp-bulk, rpc) and one drops.<reason> column per reason a flow can have.
// - linksCsv: one row per link direction, "0->1" then "1->0" for each link in the order given
//   (Network.stats().links); drops get one column per DropReason (drops.QUEUE_FULL ...), so
//   the header does not depend on which drops happened.
// - Flow-monitor figures come after the original columns (whose order is kept): per flow the
//   delay mean, min, p95 and sample count, ns-3 jitter, first/last send and receive times; per
//   link direction the LinkMonitor's delay, jitter and frames in flight at the end (empty when
//   the entry has none, as for links of a plain Network).
//
//   flowsCsv(flows)                    CSV text of FlowStats.toJSON()
//   linksCsv(links)                    CSV text of Network.stats().links
//   FLOW_CSV_COLUMNS / LINK_CSV_COLUMNS   the header rows

import { csvRow } from "../base/csv.js";
import type { LinkDirectionStats } from "../devices/link.js";
import type { FlowReport } from "../trace/flow-stats.js";
import type { LinkMonitorReport } from "../trace/link-monitor.js";
import { DROP_REASON_COUNT, dropReasonName } from "../trace/trace-point.js";
import { REFUSED_AT_SEND } from "../traffic/udp-traffic.js";

/** Drop reasons a flow can have: the frame drop reasons that are losses, then the stacks' own. */
const FLOW_DROP_REASONS: readonly string[] = [
  ...Array.from({ length: DROP_REASON_COUNT - 1 }, (_, i) => dropReasonName(i + 1)).filter(
    (r) => r !== "ADDRESS_FILTER" && r !== "SAME_PORT",
  ),
  REFUSED_AT_SEND,
];
const FLOW_DROP_COLUMNS = FLOW_DROP_REASONS.map((r) => `drops.${r}`);

export const FLOW_CSV_COLUMNS: readonly string[] = [
  "id",
  "src",
  "dst",
  "label",
  "sentPackets",
  "receivedPackets",
  "sentBytes",
  "receivedBytes",
  "loss",
  "throughputBps",
  "latencyP50Ns",
  "latencyP90Ns",
  "latencyP99Ns",
  "latencyMaxNs",
  "latencyMeanNs",
  "latencyMinNs",
  "latencyP95Ns",
  "latencySamples",
  "jitterMeanNs",
  "jitterSamples",
  "firstTxNs",
  "lastTxNs",
  "firstRxNs",
  "lastRxNs",
  "droppedPackets",
  "inFlightPackets",
  ...FLOW_DROP_COLUMNS,
];

/** CSV text of FlowStats.toJSON(). */
export function flowsCsv(flows: readonly FlowReport[]): string {
  let out = csvRow(FLOW_CSV_COLUMNS);
  for (const f of flows) {
    out += csvRow([
      f.id,
      f.src,
      f.dst,
      f.label,
      f.sentPackets,
      f.receivedPackets,
      f.sentBytes,
      f.receivedBytes,
      f.loss,
      f.throughputBps,
      f.latencyNs.p50,
      f.latencyNs.p90,
      f.latencyNs.p99,
      f.latencyNs.max,
      f.latencyNs.mean,
      f.latencyNs.min,
      f.latencyNs.p95,
      f.latencyNs.samples,
      f.jitterNs.mean,
      f.jitterNs.samples,
      f.timesNs.firstTx,
      f.timesNs.lastTx,
      f.timesNs.firstRx,
      f.timesNs.lastRx,
      f.droppedPackets,
      f.inFlightPackets,
      ...FLOW_DROP_REASONS.map((r) => f.drops[r] ?? 0),
    ]);
  }
  return out;
}

/** Drop reasons 1 .. DROP_REASON_COUNT - 1 (NONE is not a drop), by name. */
const DROP_COLUMNS: readonly string[] = Array.from({ length: DROP_REASON_COUNT - 1 }, (_, i) => dropReasonName(i + 1));

export const LINK_CSV_COLUMNS: readonly string[] = [
  "link",
  "direction",
  "state",
  "frames",
  "bytes",
  "delivered",
  "deliveredBytes",
  "busyNs",
  "utilisation",
  "queueLength",
  "queueHighWater",
  "duplicates",
  "corrupted",
  "flippedBits",
  "reordered",
  ...DROP_COLUMNS.map((r) => `drops.${r}`),
  "delayMeanNs",
  "delayMinNs",
  "delayP50Ns",
  "delayP90Ns",
  "delayP99Ns",
  "delayMaxNs",
  "delaySamples",
  "jitterMeanNs",
  "jitterSamples",
  "inFlightQueued",
  "inFlightOnWire",
];

/** What linksCsv needs of each link: Network.stats().links entries. */
export interface LinkStatsEntry {
  name: string;
  directions: readonly (LinkDirectionStats & Partial<LinkMonitorReport>)[];
}

/** CSV text of Network.stats().links: one row per direction. */
export function linksCsv(links: readonly LinkStatsEntry[]): string {
  let out = csvRow(LINK_CSV_COLUMNS);
  for (const link of links) {
    link.directions.forEach((d, end) => {
      out += csvRow([
        link.name,
        end === 0 ? "0->1" : "1->0",
        d.state,
        d.frames,
        d.bytes,
        d.delivered,
        d.deliveredBytes,
        d.busyNs,
        d.utilisation,
        d.queueLength,
        d.queueHighWater,
        d.duplicates,
        d.corrupted,
        d.flippedBits,
        d.reordered,
        ...DROP_COLUMNS.map((r) => d.drops[r] ?? 0),
        d.delayNs?.mean,
        d.delayNs?.min,
        d.delayNs?.p50,
        d.delayNs?.p90,
        d.delayNs?.p99,
        d.delayNs?.max,
        d.delayNs?.samples,
        d.jitterNs?.mean,
        d.jitterNs?.samples,
        d.inFlight?.queued,
        d.inFlight?.onWire,
      ]);
    });
  }
  return out;
}
