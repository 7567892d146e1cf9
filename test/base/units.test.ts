import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  formatBitRate,
  formatByteSize,
  formatDuration,
  parseBitRate,
  parseByteSize,
  parseDuration,
} from "../../src/base/units.js";
import { errorOf } from "../support/errors.js";

describe("parseBitRate", () => {
  it.each([
    ["10Mbps", 10e6],
    ["1Gbps", 1e9],
    ["155.52Mbps", 155_520_000],
    ["155.52 Mbit/s", 155_520_000],
    ["1e9", 1e9],
    ["1E9bps", 1e9],
    ["64kbps", 64_000],
    ["64Kbps", 64_000],
    ["2.5e-3Gbps", 2_500_000],
    [".5Gbps", 5e8],
    ["0.1Tbps", 1e11],
    ["100 Gbit/s", 1e11],
    [1e9, 1e9],
    [2.5, 2.5],
  ] as const)("%j -> %d bit/s", (text, bps) => {
    expect(parseBitRate(text, "rate")).toBe(bps);
  });

  it("converts decimal strings exactly (no 155519999.99999997)", () => {
    expect(parseBitRate("155.52Mbps", "r")).toBe(155520000);
    expect(parseBitRate("0.3Gbps", "r")).toBe(3e8);
    expect(parseBitRate("1.1kbps", "r")).toBe(1100);
  });

  it("names the caller's path and the value, in the documented style", () => {
    const err = errorOf(() => parseBitRate("10 Gbs", "links[3].rate"));
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.path).toBe("links[3].rate");
    expect(err.message).toBe(
      'links[3].rate: "10 Gbs" is not a bit rate (unknown unit "Gbs"; use bps, kbps, Mbps, Gbps or Tbps)',
    );
  });

  it.each([
    ["", '"" is not a bit rate (empty string)'],
    ["-10Mbps", '"-10Mbps" is not a bit rate (negative)'],
    ["+10Mbps", '"+10Mbps" is not a bit rate (no sign allowed)'],
    ["NaN", '"NaN" is not a bit rate (not a finite number)'],
    ["Infinity", '"Infinity" is not a bit rate (not a finite number)'],
    ["Mbps", '"Mbps" is not a bit rate (no number before the unit)'],
    ["1.2.3Mbps", '"1.2.3Mbps" is not a bit rate (malformed number)'],
    [" 10Mbps", '" 10Mbps" is not a bit rate (leading or trailing spaces)'],
    ["10Mbps ", '"10Mbps " is not a bit rate (leading or trailing spaces)'],
    ["10mbps", '"10mbps" is not a bit rate (unknown unit "mbps"; use bps, kbps, Mbps, Gbps or Tbps)'],
    ["10MBps", '"10MBps" is not a bit rate ("MBps" is a byte rate; bit rates use a lower-case b, e.g. Mbps)'],
    ["0Mbps", '"0Mbps" is not a bit rate (must be greater than zero)'],
    ["1e-400bps", '"1e-400bps" is not a bit rate (too small)'],
    ["1e400Gbps", '"1e400Gbps" is not a bit rate (too large)'],
    [-1, "-1 is not a bit rate (negative)"],
    [0, "0 is not a bit rate (must be greater than zero)"],
    [NaN, "NaN is not a bit rate (not a finite number)"],
    [Infinity, "Infinity is not a bit rate (not a finite number)"],
    [null, 'null is not a bit rate (expected a number or a string such as "10Mbps")'],
    [true, 'true is not a bit rate (expected a number or a string such as "10Mbps")'],
    [{ mbps: 10 }, 'an object is not a bit rate (expected a number or a string such as "10Mbps")'],
    [undefined, 'undefined is not a bit rate (expected a number or a string such as "10Mbps")'],
  ] as const)("rejects %j", (value, message) => {
    const err = errorOf(() => parseBitRate(value, "sources[0].rate"));
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.message).toBe(`sources[0].rate: ${message}`);
  });
});

describe("parseDuration", () => {
  it.each([
    ["5us", 5_000],
    ["5µs", 5_000],
    ["5μs", 5_000],
    ["1ms", 1_000_000],
    ["2.5s", 2_500_000_000],
    ["100ns", 100],
    ["100 ns", 100],
    ["0.1us", 100],
    ["1e-9s", 1],
    ["1min", 60e9],
    ["1.5min", 90e9],
    ["2h", 7_200e9],
    ["0s", 0],
    [0, 0],
    [-0, 0],
    [1500, 1500],
    [2 ** 53 - 1, 2 ** 53 - 1],
  ] as const)("%j -> %d ns", (text, ns) => {
    expect(Object.is(parseDuration(text, "delay"), ns)).toBe(true);
  });

  it.each([
    ["1m", '"1m" is not a duration (ambiguous unit "m"; use ms for milliseconds or min for minutes)'],
    ["5", '"5" is not a duration (missing unit; use ns, us, ms, s, min or h, or give a number of nanoseconds)'],
    ["1.5ns", '"1.5ns" is not a duration (not a whole number of nanoseconds)'],
    ["0.0001us", '"0.0001us" is not a duration (not a whole number of nanoseconds)'],
    ["1e-400s", '"1e-400s" is not a duration (not a whole number of nanoseconds)'],
    ["3d", '"3d" is not a duration (unknown unit "d"; use ns, us, ms, s, min or h)'],
    ["5 sec", '"5 sec" is not a duration (unknown unit "sec"; use ns, us, ms, s, min or h)'],
    ["-5us", '"-5us" is not a duration (negative)'],
    ["", '"" is not a duration (empty string)'],
    ["NaNs", '"NaNs" is not a duration (not a finite number)'],
    ["1e10min", '"1e10min" is not a duration (longer than 2^53 ns, about 104 days)'],
    [1.5, "1.5 is not a duration (not a whole number of nanoseconds)"],
    [-1, "-1 is not a duration (negative)"],
    [2 ** 53, "9007199254740992 is not a duration (longer than 2^53 ns, about 104 days)"],
    [NaN, "NaN is not a duration (not a finite number)"],
    [[5], 'an array is not a duration (expected a number or a string such as "5us")'],
  ] as const)("rejects %j", (value, message) => {
    const err = errorOf(() => parseDuration(value, "links[0].delay"));
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.path).toBe("links[0].delay");
    expect(err.message).toBe(`links[0].delay: ${message}`);
  });
});

describe("parseByteSize", () => {
  it.each([
    ["2KiB", 2048],
    ["1500B", 1500],
    ["1500", 1500],
    ["64KB", 64_000],
    ["64kB", 64_000],
    ["1.5KiB", 1536],
    ["1.3KB", 1300],
    ["1MiB", 1_048_576],
    ["2GB", 2e9],
    ["1.25GiB", 1.25 * 2 ** 30],
    [0, 0],
    [9000, 9000],
  ] as const)("%j -> %d bytes", (text, bytes) => {
    expect(parseByteSize(text, "size")).toBe(bytes);
  });

  it.each([
    ["0.5B", '"0.5B" is not a byte size (not a whole number of bytes)'],
    ["0.1KiB", '"0.1KiB" is not a byte size (not a whole number of bytes)'],
    ["10kb", '"10kb" is not a byte size ("kb" counts bits; byte sizes use an upper-case B, e.g. KB)'],
    ["10 bytes", '"10 bytes" is not a byte size (unknown unit "bytes"; use B, KB, MB, GB, KiB, MiB or GiB)'],
    ["-1B", '"-1B" is not a byte size (negative)'],
    ["", '"" is not a byte size (empty string)'],
    [3.5, "3.5 is not a byte size (not a whole number of bytes)"],
    [1e300, "1e+300 is not a byte size (larger than 2^53 bytes)"],
  ] as const)("rejects %j", (value, message) => {
    const err = errorOf(() => parseByteSize(value, "nics[2].rxBuffer"));
    expect(err.message).toBe(`nics[2].rxBuffer: ${message}`);
  });
});

describe("formatters", () => {
  it("format measured bit rates with three significant digits when asked", () => {
    expect([6_249_398.38, 999_960_000, 155.52e6, 12_345, 0.5, 0].map((v) => formatBitRate(v, 3))).toEqual([
      "6.25 Mbps",
      "1 Gbps",
      "156 Mbps",
      "12.3 kbps",
      "0.5 bps",
      "0 bps",
    ]);
  });

  it("format bit rates, durations and sizes for people", () => {
    expect([1e9, 155.52e6, 10e6, 1500, 1, 123_456_789].map((v) => formatBitRate(v))).toEqual([
      "1 Gbps",
      "155.52 Mbps",
      "10 Mbps",
      "1.5 kbps",
      "1 bps",
      "123.456789 Mbps",
    ]);
    expect([0, 100, 1500, 2_500_000, 2_500_000_000, 1_234_567_891, 60e9].map(formatDuration)).toEqual([
      "0 ns",
      "100 ns",
      "1.5 us",
      "2.5 ms",
      "2.5 s",
      "1.234567891 s",
      "60 s",
    ]);
    expect([0, 1500, 64_000, 65_536, 1.5 * 2 ** 30].map(formatByteSize)).toEqual([
      "0 B",
      "1.46 KiB",
      "62.5 KiB",
      "64 KiB",
      "1.5 GiB",
    ]);
  });

  it("property: formatDuration parses back to the same ns for every safe integer", () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat({ max: 10_000_000 }), fc.maxSafeNat()), (ns) => {
        expect(parseDuration(formatDuration(ns), "d")).toBe(ns);
      }),
      { numRuns: 2000 },
    );
  });

  it("property: formatBitRate parses back within 9 significant digits", () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 1e14, noNaN: true }), (bps) => {
        const back = parseBitRate(formatBitRate(bps), "r");
        expect(Math.abs(back - bps) / bps).toBeLessThan(1e-8);
      }),
      { numRuns: 2000 },
    );
  });
});
