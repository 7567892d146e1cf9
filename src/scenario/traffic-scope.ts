// What every `traffic` entry is checked against (the namespace, the IP hosts and their MTUs,
// the run's duration), and the checks the entry types share: keys of another type, keys a type
// requires, an IP host by name, start before stop.

import { suggest } from "../base/did-you-mean.js";
import type { Namespace } from "./check-names.js";
import type { Checker, Cidr, Obj } from "./checks.js";
import { show } from "./wording.js";

/** What traffic entries are checked against. */
export interface TrafficScope {
  c: Checker;
  durationNs: number;
  names: Namespace;
  /** IP hosts (Ethernet and ATM) with their addresses. */
  hosts: { name: string; ipN: Cidr }[];
  /** A host's interface MTU. */
  mtuOf: (host: string) => number;
}

/** Keys of another traffic type than `type` (`known` lists every type's keys). */
export function checkKeysApply(
  c: Checker,
  o: Obj,
  p: string,
  type: string,
  known: readonly string[],
  allowed: readonly string[],
): void {
  for (const k of Object.keys(o)) {
    if (known.includes(k) && !allowed.includes(k)) {
      c.error(p, `key "${k}" does not apply to traffic of type "${type}"`, true, `${p}.${k}`);
    }
  }
}

export function checkTypeRequires(c: Checker, o: Obj, p: string, type: string, required: readonly string[]): void {
  for (const k of required) {
    if (o[k] === undefined) c.error(p, `missing required key "${k}" (traffic of type "${type}" needs it)`);
  }
}

/** The IP host named `name`, for traffic of `type` (a hostStack host is not one). */
export function ipHostNamed(s: TrafficScope, name: string, path: string, type: string): string | undefined {
  const e = s.names.get(name);
  if (e === undefined) {
    const sug = suggest(
      name,
      s.hosts.map((h) => h.name),
    );
    return s.c.error(path, `there is no host named "${name}"${sug ? ` (did you mean "${sug}"?)` : ""}`);
  }
  if (e.kind !== "host") return s.c.error(path, `"${name}" is a ${e.kind}; traffic runs between hosts`);
  if (e.stackHost === true) {
    return s.c.error(
      path,
      `host ${name} runs a host stack (hostStack), not IP, so ${type} traffic cannot reach it (use ping-pong or message-stream)`,
    );
  }
  if (e.rawAtm === true) {
    return s.c.error(
      path,
      `host ${name} is an ATM host with no address (raw AAL5 only), so ${type} traffic cannot use it (give it an address, or send aal5 traffic in the atm section)`,
    );
  }
  return name;
}

/**
 * `start` (default 0) and `stop`, which must be after start. A stop not given stays undefined:
 * the traffic then runs until the run ends, whatever duration the run is given (--duration).
 * `stopBad` says a stop was given and is not a time; reports at `<p>.start` and `<p>.stop`.
 */
export function checkStartStop(
  s: TrafficScope,
  o: Obj,
  p: string,
): { startNs?: number; stopNs: number | undefined; stopBad: boolean } {
  const startNs = s.c.dur(o["start"], `${p}.start`, 0);
  const stopNs = o["stop"] === undefined ? undefined : s.c.dur(o["stop"], `${p}.stop`);
  if (startNs !== undefined && stopNs !== undefined && stopNs <= startNs) {
    s.c.error(`${p}.stop`, `${show(o["stop"])} is not after start (${show(o["start"] ?? 0)})`);
  }
  return { startNs, stopNs, stopBad: o["stop"] !== undefined && stopNs === undefined };
}
