// Units: bit rates, durations and byte sizes as written in scenario files and API calls.
//
// Contract:
// - parseBitRate(v, path) -> bits per second (a finite number > 0, not necessarily integer).
// - parseDuration(v, path) -> integer nanoseconds in [0, 2^53). A bare number means ns;
//   a string needs a unit (a bare "5" is too easy to misread as ms).
// - parseByteSize(v, path) -> integer bytes in [0, 2^53). A bare number or unitless string
//   means bytes.
// - Strings are `<decimal number>[ ]<unit>`: digits with an optional fraction and exponent
//   ("155.52Mbps", "1e9", "2.5 s"); no sign, no hex, no surrounding spaces. Units are
//   case-sensitive, because case carries meaning: "Mbps" is bits, "MBps" bytes, "ms" milli.
//   Minutes are "min"; a bare "m" is refused as ambiguous.
// - Decimal strings convert exactly (the mantissa digits and the unit's power of ten are joined
//   into one decimal literal, so "155.52Mbps" is 155520000, not 155519999.99999997), and a
//   duration or size that is not a whole number of ns or bytes is refused, never rounded.
// - Bad input throws NetloomError INVALID_ARGUMENT whose message starts with the caller's path
//   and the value, then says what is wrong:
//     links[3].rate: "10 Gbs" is not a bit rate (unknown unit "Gbs"; use bps, kbps, Mbps, Gbps or Tbps)
// - format*() produce human-readable strings that parse back: durations exactly, bit rates to
//   9 significant digits, byte sizes to 2 decimals of their IEC unit (human output only).

import { ErrorCode, NetloomError } from "./errors.js";

/** Nanoseconds per unit. */
export const NS_PER_US = 1_000;
export const NS_PER_MS = 1_000_000;
export const NS_PER_S = 1_000_000_000;

// Units as powers of ten (decimal) so conversion stays exact; binary byte units separately.
const BIT_RATE_UNITS: Readonly<Record<string, number>> = {
  "": 0,
  bps: 0,
  "bit/s": 0,
  kbps: 3,
  Kbps: 3,
  "kbit/s": 3,
  Mbps: 6,
  "Mbit/s": 6,
  Gbps: 9,
  "Gbit/s": 9,
  Tbps: 12,
  "Tbit/s": 12,
};
const BIT_RATE_HINT = "use bps, kbps, Mbps, Gbps or Tbps";

const DURATION_UNITS: Readonly<Record<string, { pow10: number; factor: number }>> = {
  ns: { pow10: 0, factor: 1 },
  us: { pow10: 3, factor: 1 },
  "\u00b5s": { pow10: 3, factor: 1 }, // micro sign
  "\u03bcs": { pow10: 3, factor: 1 }, // Greek mu
  ms: { pow10: 6, factor: 1 },
  s: { pow10: 9, factor: 1 },
  min: { pow10: 9, factor: 60 },
  h: { pow10: 9, factor: 3600 },
};
const DURATION_HINT = "use ns, us, ms, s, min or h";

const BYTE_UNITS: Readonly<Record<string, { pow10: number; factor: number }>> = {
  "": { pow10: 0, factor: 1 },
  B: { pow10: 0, factor: 1 },
  kB: { pow10: 3, factor: 1 },
  KB: { pow10: 3, factor: 1 },
  MB: { pow10: 6, factor: 1 },
  GB: { pow10: 9, factor: 1 },
  TB: { pow10: 12, factor: 1 },
  KiB: { pow10: 0, factor: 1024 },
  MiB: { pow10: 0, factor: 1024 ** 2 },
  GiB: { pow10: 0, factor: 1024 ** 3 },
  TiB: { pow10: 0, factor: 1024 ** 4 },
};
const BYTE_HINT = "use B, KB, MB, GB, KiB, MiB or GiB";

// number: integer part and/or fraction, optional exponent; then optional spaces and a unit.
const QUANTITY = /^(\d+)?(?:\.(\d+))?(?:[eE]([+-]?\d+))?( *)(.*)$/s;

interface Quantity {
  /** Decimal digits of the mantissa without the point, e.g. "15552" for 155.52. */
  digits: string;
  /** Power of ten the digits are scaled by, e.g. -2 for 155.52. */
  exp10: number;
  unit: string;
}

type Kind = "bit rate" | "duration" | "byte size" | "capture limit";

function fail(path: string, shown: string, kind: Kind, why: string): never {
  throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${shown} is not a ${kind} (${why})`, { path });
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return String(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : String(value);
}

/** Splits a quantity string; throws with a precise reason on anything but digits + unit. */
function splitQuantity(text: string, path: string, kind: Kind): Quantity {
  const shown = show(text);
  if (text.length === 0) fail(path, shown, kind, "empty string");
  if (text.trim() !== text) fail(path, shown, kind, "leading or trailing spaces");
  if (text.startsWith("-")) fail(path, shown, kind, "negative");
  if (text.startsWith("+")) fail(path, shown, kind, "no sign allowed");
  const m = QUANTITY.exec(text);
  const intPart = m?.[1];
  const fracPart = m?.[2];
  if (!m || (intPart === undefined && fracPart === undefined)) {
    fail(path, shown, kind, /^(nan|infinity)/i.test(text) ? "not a finite number" : "no number before the unit");
  }
  const unit = m[5] ?? "";
  if (/^[\d.eE+-]/.test(unit) && unit.length > 0) fail(path, shown, kind, "malformed number");
  const exp = m[3] === undefined ? 0 : Number(m[3]);
  const frac = fracPart ?? "";
  return { digits: (intPart ?? "0") + frac, exp10: exp - frac.length, unit };
}

/** The exact decimal value digits * 10^exp10, correctly rounded to a double. */
function decimalValue(digits: string, exp10: number): number {
  return Number(`${digits}e${exp10}`);
}

function checkNumber(value: number, path: string, kind: Kind): void {
  if (!Number.isFinite(value)) fail(path, show(value), kind, "not a finite number");
  if (value < 0) fail(path, show(value), kind, "negative");
}

function typeError(value: unknown, path: string, kind: Kind, example: string): never {
  fail(path, show(value), kind, `expected a number or a string such as "${example}"`);
}

/** Bits per second from a number (bps) or a string such as "10Mbps", "155.52 Mbit/s", "1e9". */
export function parseBitRate(value: unknown, path: string): number {
  let bps: number;
  if (typeof value === "number") {
    checkNumber(value, path, "bit rate");
    bps = value;
  } else if (typeof value === "string") {
    const q = splitQuantity(value, path, "bit rate");
    const pow = BIT_RATE_UNITS[q.unit];
    if (pow === undefined) {
      const why = /^[kKMGT]?B(ps|\/s)$/.test(q.unit)
        ? `"${q.unit}" is a byte rate; bit rates use a lower-case b, e.g. Mbps`
        : `unknown unit "${q.unit}"; ${BIT_RATE_HINT}`;
      fail(path, show(value), "bit rate", why);
    }
    bps = decimalValue(q.digits, q.exp10 + pow);
    if (!Number.isFinite(bps)) fail(path, show(value), "bit rate", "too large");
  } else {
    typeError(value, path, "bit rate", "10Mbps");
  }
  if (bps === 0) {
    const underflow = typeof value === "string" && bps === 0 && /[1-9]/.test(value.replace(/[eE].*$/, ""));
    fail(path, show(value), "bit rate", underflow ? "too small" : "must be greater than zero");
  }
  return bps;
}

/** Integer nanoseconds from a number (ns) or a string such as "5us", "2.5s", "1min". */
export function parseDuration(value: unknown, path: string): number {
  let ns: number;
  if (typeof value === "number") {
    checkNumber(value, path, "duration");
    ns = value;
  } else if (typeof value === "string") {
    const q = splitQuantity(value, path, "duration");
    const unit = DURATION_UNITS[q.unit];
    if (unit === undefined) {
      const why =
        q.unit === ""
          ? `missing unit; ${DURATION_HINT}, or give a number of nanoseconds`
          : q.unit === "m"
            ? `ambiguous unit "m"; use ms for milliseconds or min for minutes`
            : `unknown unit "${q.unit}"; ${DURATION_HINT}`;
      fail(path, show(value), "duration", why);
    }
    ns = decimalValue(q.digits, q.exp10 + unit.pow10) * unit.factor;
    if (ns === 0 && /[1-9]/.test(q.digits)) ns = 0.5; // underflowed: below 1 ns, so not whole
  } else {
    typeError(value, path, "duration", "5us");
  }
  if (ns > Number.MAX_SAFE_INTEGER) fail(path, show(value), "duration", "longer than 2^53 ns, about 104 days");
  if (!Number.isInteger(ns)) fail(path, show(value), "duration", "not a whole number of nanoseconds");
  return ns === 0 ? 0 : ns; // no -0
}

/** Integer bytes from a number or a string such as "1500B", "64KB", "2KiB". */
export function parseByteSize(value: unknown, path: string): number {
  let bytes: number;
  if (typeof value === "number") {
    checkNumber(value, path, "byte size");
    bytes = value;
  } else if (typeof value === "string") {
    const q = splitQuantity(value, path, "byte size");
    const unit = BYTE_UNITS[q.unit];
    if (unit === undefined) {
      const why = /^[kKMGT]?i?b$/.test(q.unit)
        ? `"${q.unit}" counts bits; byte sizes use an upper-case B, e.g. KB`
        : `unknown unit "${q.unit}"; ${BYTE_HINT}`;
      fail(path, show(value), "byte size", why);
    }
    // Multiplying by 2^(10k) is exact, so a binary unit adds no rounding.
    bytes = decimalValue(q.digits, q.exp10 + unit.pow10) * unit.factor;
    if (bytes === 0 && /[1-9]/.test(q.digits)) bytes = 0.5; // underflowed: below 1 B, so not whole
  } else {
    typeError(value, path, "byte size", "1500B");
  }
  if (bytes > Number.MAX_SAFE_INTEGER) fail(path, show(value), "byte size", "larger than 2^53 bytes");
  if (!Number.isInteger(bytes)) fail(path, show(value), "byte size", "not a whole number of bytes");
  return bytes === 0 ? 0 : bytes; // no -0
}

/** How much a capture file may hold: bytes of file, or records. */
export interface CaptureLimit {
  bytes?: number;
  packets?: number;
}

/**
 * A capture limit: a byte size (a number of bytes, "100MB", "1GiB") or a record count
 * ("10000 packets", "1 packet"). Zero is refused: a capture that keeps nothing is no capture.
 */
export function parseCaptureLimit(value: unknown, path: string): CaptureLimit {
  if (typeof value === "string") {
    const m = /^(\d+) *packets?$/.exec(value);
    if (m !== null) {
      const packets = Number(m[1]);
      if (!Number.isSafeInteger(packets) || packets === 0) {
        fail(path, show(value), "capture limit", "a count of packets from 1 to 2^53 - 1");
      }
      return { packets };
    }
  }
  let bytes: number;
  try {
    bytes = parseByteSize(value, path);
  } catch {
    fail(path, show(value), "capture limit", 'a file size such as "100MB", or a count such as "10000 packets"');
  }
  if (bytes === 0) fail(path, show(value), "capture limit", "zero keeps nothing");
  return { bytes };
}

/** Trims a fixed-point string: "1.500000" -> "1.5", "2.000" -> "2". */
function trimFixed(s: string): string {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/**
 * "10 Mbps", "155.52 Mbps", "1 Gbps": largest unit with a value >= 1, up to `significant`
 * significant digits (default 9, which keeps configured rates exact; a measured rate reads
 * better with 3: "6.25 Mbps").
 */
export function formatBitRate(bps: number, significant = 9): string {
  const units: [number, string][] = [
    [1e12, "Tbps"],
    [1e9, "Gbps"],
    [1e6, "Mbps"],
    [1e3, "kbps"],
  ];
  // Rounded before the unit is chosen, so 999.96 Mbps at 3 digits is "1 Gbps", not "1000 Mbps".
  const v = bps > 0 && Number.isFinite(bps) ? Number(bps.toPrecision(significant)) : bps;
  for (const [scale, name] of units) {
    if (v >= scale) return `${trimNumber(v / scale, significant)} ${name}`;
  }
  return `${trimNumber(v, significant)} bps`;
}

function trimNumber(v: number, significant: number): string {
  // toPrecision keeps 155.52 from printing as 155.51999999999998.
  return Number(v.toPrecision(significant)).toString();
}

/** "100 ns", "1.5 us", "2.5 s", "1.234567891 s": exact, so it parses back to the same ns. */
export function formatDuration(ns: number): string {
  if (ns >= NS_PER_S) return `${exactRatio(ns, NS_PER_S, 9)} s`;
  if (ns >= NS_PER_MS) return `${exactRatio(ns, NS_PER_MS, 6)} ms`;
  if (ns >= NS_PER_US) return `${exactRatio(ns, NS_PER_US, 3)} us`;
  return `${ns} ns`;
}

/** ns / scale in decimal without float division (integer parts stay exact up to 2^53). */
function exactRatio(ns: number, scale: number, decimals: number): string {
  const whole = Math.floor(ns / scale);
  let rest = ns - whole * scale;
  let w = whole;
  if (rest < 0) {
    // ns / scale rounded up across an integer boundary
    w -= 1;
    rest += scale;
  }
  return trimFixed(`${w}.${String(rest).padStart(decimals, "0")}`);
}

/** "1500 B" below 1 KiB, else IEC units with up to 2 decimals ("62.5 KiB", "1.5 GiB"). */
export function formatByteSize(bytes: number): string {
  const units: [number, string][] = [
    [1024 ** 4, "TiB"],
    [1024 ** 3, "GiB"],
    [1024 ** 2, "MiB"],
    [1024, "KiB"],
  ];
  for (const [scale, name] of units) {
    if (bytes >= scale) return `${trimFixed((bytes / scale).toFixed(2))} ${name}`;
  }
  return `${bytes} B`;
}
