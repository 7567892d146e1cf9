// CSV text, RFC 4180: fields separated by ",", rows ended by CRLF (the last row too); a field
// is quoted with '"' when it holds a comma, a quote, CR or LF, or starts or ends with a space,
// and quotes inside are doubled. Missing values (null, undefined, NaN) are empty fields;
// numbers are written with String(n), their shortest round-trip form.

import { writeFileSync } from "node:fs";
import { ErrorCode, NetloomError } from "./errors.js";

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

/** Writes CSV text to `path` (UTF-8), naming the path when that fails. */
export function writeCsv(path: string, text: string): void {
  try {
    writeFileSync(path, text, "utf8");
  } catch (cause) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `cannot write "${path}"`, { path: "path", cause });
  }
}
