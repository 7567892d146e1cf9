// Option values shared by the host and router constructors: addresses and positive durations,
// checked with NetloomError naming the option's path.

import { ErrorCode, NetloomError, checkInteger } from "../../base/errors.js";
import { parseDuration } from "../../base/units.js";
import { ipv4FromString } from "../../wire/ipv4.js";

/** An IPv4 address given as dotted text or as a 32-bit number. */
export function toAddress(value: string | number, path: string): number {
  if (typeof value === "string") return ipv4FromString(value, path);
  checkInteger(path, value, 0, 0xffff_ffff);
  return value;
}

/** A positive duration in ns ("2 s", or ns), or `fallback` when not given. */
export function toNs(value: number | string | undefined, fallback: number, path: string): number {
  if (value === undefined) return fallback;
  const ns = parseDuration(value, path);
  if (!(ns > 0))
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(value)} is not a positive duration`, { path });
  return ns;
}
