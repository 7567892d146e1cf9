// CSV text, RFC 4180: fields separated by ",", rows ended by CRLF (the last row too); a field
// is quoted with '"' when it holds a comma, a quote, CR or LF, or starts or ends with a space,
// and quotes inside are doubled. Missing values (null, undefined, NaN) are empty fields;
// numbers are written with String(n), their shortest round-trip form.

import { writeOutputFile } from "./output-path.js";

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

/** Writes CSV text to `path` (UTF-8, whole or not at all); OUTPUT_FAILED naming the path and the OS reason. */
export function writeCsv(path: string, text: string): void {
  writeOutputFile(path, text, "the CSV file");
}
