// CSV reports of flows and links (the CLI's --csv output).
//
// Contract:
// - RFC 4180: a header row, then one row per record; fields separated by ",", rows ended by
//   CRLF (the last row too); a field is quoted with '"' when it holds a comma, a quote, CR or
//   LF, or starts or ends with a space, and quotes inside are doubled. Text is returned as a
//   string; writing it is the caller's (or writeCsv's) business.
// - Fixed columns, in a fixed order, whatever the data: a spreadsheet or script can rely on
//   the header. Missing values (null, NaN, undefined: e.g. the latency of a flow that received
//   nothing) are empty fields. Numbers are written with String(n) (shortest round-trip form).
// - flowsCsv: one row per flow, in the order given (FlowStats.toJSON() gives flow-id order).
// - linksCsv: one row per link direction, "0->1" then "1->0" for each link in the order given
//   (Network.stats().links); drops get one column per DropReason (drops.QUEUE_FULL ...), so
//   the header does not depend on which drops happened.
//
//   csvField(value)                    one field, quoted when needed
//   csvRow(values)                     one row with its CRLF
//   flowsCsv(flows)                    CSV text of FlowStats.toJSON()
//   linksCsv(links)                    CSV text of Network.stats().links
//   writeCsv(path, text)               writes the text (UTF-8, no BOM)
//   FLOW_CSV_COLUMNS / LINK_CSV_COLUMNS   the header rows

import { writeFileSync } from "node:fs";
import { ErrorCode, NetloomError } from "../api/errors.js";
import type { LinkDirectionStats } from "../devices/link.js";
import type { FlowReport } from "./flow-stats.js";
import { DROP_REASON_COUNT, dropReasonName } from "./trace-point.js";

export type CsvValue = string | number | boolean | null | undefined;

/** One field: empty for null/undefined/NaN; quoted when it holds , " CR LF or edge spaces. */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" && !Number.isFinite(value)) return "";
  const s = String(value);
  if (/[",\r\n]/.test(s) || s.startsWith(" ") || s.endsWith(" ")) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/** One row, CRLF-terminated. */
export function csvRow(values: readonly CsvValue[]): string {
  return values.map(csvField).join(",") + "\r\n";
}

export const FLOW_CSV_COLUMNS = [
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
] as const;

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
];

/** What linksCsv needs of each link: Network.stats().links entries. */
export interface LinkStatsEntry {
  name: string;
  directions: readonly LinkDirectionStats[];
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
      ]);
    });
  }
  return out;
}

/** Writes CSV text to `path` (UTF-8), naming the path when that fails. */
export function writeCsv(path: string, text: string): void {
  try {
    writeFileSync(path, text, "utf8");
  } catch (cause) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `cannot write "${path}"`, { path: "path", cause });
  }
}
