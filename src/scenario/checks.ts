// The primitive checks of every input file, once: mappings with allowed and required keys,
// lists, strings, names, integers and probabilities in range, enums, booleans, bit rates,
// durations, byte sizes, IPv4 addresses and prefixes, MAC addresses.
//
// Contract:
// - A Checker reports into a Reporter in the words of a Wording (wording.ts: scenario, atm,
//   comparison). Each check returns the value (normalised: bit/s, ns, bytes, numbers for
//   addresses) or undefined after reporting, so one bad value does not stop its siblings.
// - An absent value (undefined) is never a problem here: checks with a default return it.
// - Text formats are parsed by src/base (units.ts, ipv4-text.ts, mac-text.ts); the checks add
//   the path, the words and, for interface addresses, the scenario's rules (unicast, not the
//   network or broadcast address, at most /30).
// Cross-references (names, ports, subnets) are the section checks' business, not this file's.

import { ipv4FromText, ipv4ToText, splitIpv4Prefix } from "../base/ipv4-text.js";
import { macFromText } from "../base/mac-text.js";
import { suggest } from "../base/did-you-mean.js";
import { parseBitRate, parseByteSize, parseDuration } from "../base/units.js";
import { isGroupMac } from "../wire/ethernet.js";
import { ipv4PrefixMask, isMulticastIpv4 } from "../wire/ipv4.js";
import type { Reporter } from "./reporter.js";
import type { ScenarioAddress } from "./scenario-types.js";
import { SCENARIO_WORDING, show, type Wording } from "./wording.js";

export type Obj = Record<string, unknown>;

/** An address with its prefix length, as numbers (host bits kept). */
export interface Cidr {
  addr: number;
  len: number;
}

/** The strings a Scenario holds for an interface address. */
export function addressOf(p: Cidr): ScenarioAddress {
  return {
    address: ipv4ToText(p.addr),
    prefixLength: p.len,
    network: ipv4ToText((p.addr & ipv4PrefixMask(p.len)) >>> 0),
  };
}

export function isMapping(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export class Checker {
  constructor(
    readonly rep: Reporter,
    readonly words: Wording = SCENARIO_WORDING,
  ) {}

  error(path: string, problem: string, onKey = false, at = path): undefined {
    return this.rep.error(path, problem, onKey, at);
  }

  /** A mapping with only `allowed` keys and every `required` one (undefined if not a mapping at all). */
  mapping(
    v: unknown,
    path: string,
    allowed: readonly string[],
    required: readonly string[] = [],
    what = "a mapping",
  ): Obj | undefined {
    if (!isMapping(v)) return this.error(path, this.words.notMapping(what, v));
    for (const k of Object.keys(v)) {
      if (allowed.includes(k)) continue;
      const p = this.words.unknownKey(path, k, allowed);
      this.error(p.path, p.problem, p.onKey, p.at);
    }
    for (const k of required) {
      if (v[k] !== undefined) continue;
      const p = this.words.missingKey(path, k);
      this.error(p.path, p.problem);
      // Reported once: a later check of the absent value would only say it again.
      this.rep.settled.add(path === "" ? k : `${path}.${k}`);
    }
    return v;
  }

  /** A list; an absent one is empty. */
  list(v: unknown, path: string): unknown[] | undefined {
    if (v === undefined) return [];
    if (!Array.isArray(v)) return this.error(path, this.words.notList(v));
    return v;
  }

  str(v: unknown, path: string): string | undefined {
    if (typeof v !== "string") return this.error(path, `expected a string, got ${show(v)}`);
    return v;
  }

  /** A path to write to: a non-empty string. */
  nonEmpty(v: unknown, path: string): string | undefined {
    const s = this.str(v, path);
    if (s === "") return this.error(path, "expected a path, got an empty string");
    return s;
  }

  name(v: unknown, path: string): string | undefined {
    if (typeof v === "string" && this.words.namePattern.test(v)) return v;
    return this.error(path, this.words.notName(v));
  }

  int(v: unknown, path: string, min: number, max: number, dflt?: number): number | undefined {
    if (v === undefined) return dflt;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      return this.error(path, this.words.notInteger(v, min, max));
    }
    return v;
  }

  prob(v: unknown, path: string, dflt: number): number | undefined {
    if (v === undefined) return dflt;
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) return this.error(path, this.words.notProbability(v));
    return v;
  }

  bool(v: unknown, path: string): boolean | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== "boolean") return this.error(path, this.words.notBoolean(v));
    return v;
  }

  oneOf<T extends string>(v: unknown, path: string, values: readonly T[], dflt?: T): T | undefined {
    if (v === undefined) return dflt;
    if (typeof v === "string" && (values as readonly string[]).includes(v)) return v as T;
    const s = typeof v === "string" ? suggest(v, values) : undefined;
    const listed = values.map((x) => `"${x}"`).join(", ");
    return this.error(path, `${show(v)} is not one of ${listed}${s ? ` (did you mean "${s}"?)` : ""}`);
  }

  rate(v: unknown, path: string, dflt?: number): number | undefined {
    if (v === undefined) return dflt;
    return this.rep.units(path, () => parseBitRate(v, path));
  }

  dur(v: unknown, path: string, dflt?: number): number | undefined {
    if (v === undefined) return dflt;
    return this.rep.units(path, () => parseDuration(v, path));
  }

  bytes(v: unknown, path: string, min: number, max: number, dflt?: number): number | undefined {
    if (v === undefined) return dflt;
    const b = this.rep.units(path, () => parseByteSize(v, path));
    if (b === undefined) return undefined;
    if (b < min || b > max) return this.error(path, `${show(v)} is out of range (${min} to ${max} bytes)`);
    return b;
  }

  /** A dotted quad (leading zeros refused). */
  ipv4(v: unknown, path: string): number | undefined {
    const s = this.str(v, path);
    if (s === undefined) return undefined;
    const n = ipv4FromText(s);
    if (n === undefined) return this.error(path, `${show(s)} is not an IPv4 address (like 10.0.0.1)`);
    return n;
  }

  /** "10.0.0.1/24"; role "interface" refuses network, broadcast and non-unicast addresses. */
  cidr(v: unknown, path: string, role: "interface" | "prefix"): Cidr | undefined {
    const s = this.str(v, path);
    if (s === undefined) return undefined;
    const example = role === "interface" ? "10.0.0.1/24" : "10.0.3.0/24";
    const parts = splitIpv4Prefix(s);
    const addr = parts === undefined ? undefined : ipv4FromText(parts.addressText);
    if (parts === undefined || addr === undefined) {
      const noLength = parts === undefined && ipv4FromText(s) !== undefined;
      return this.error(
        path,
        noLength
          ? `${show(s)} has no prefix length (like ${example})`
          : `${show(s)} is not an IPv4 prefix (like ${example})`,
      );
    }
    const len = parts.prefixLength;
    const mask = ipv4PrefixMask(len);
    if (role === "prefix") {
      if ((addr & ~mask) >>> 0 !== 0) {
        const fixed = `${ipv4ToText((addr & mask) >>> 0)}/${len}`;
        return this.error(path, `${show(s)} has host bits set (did you mean "${fixed}"?)`);
      }
      return { addr, len };
    }
    if (isMulticastIpv4(addr) || addr >>> 24 === 0 || addr >>> 24 >= 240) {
      return this.error(path, `${show(s)} is not a unicast address`);
    }
    if (len > 30) return this.error(path, `${show(s)}: an interface needs a prefix of /30 or shorter`);
    const host = (addr & ~mask) >>> 0;
    if (host === 0) return this.error(path, `${show(s)} is the network address of its subnet`);
    if (host === ~mask >>> 0) return this.error(path, `${show(s)} is the broadcast address of its subnet`);
    return { addr, len };
  }

  /** A station's MAC address (group addresses refused). */
  mac(v: unknown, path: string): number | undefined {
    const s = this.str(v, path);
    if (s === undefined) return undefined;
    const n = macFromText(s);
    if (n === undefined) return this.error(path, `${show(s)} is not a MAC address (like 02:00:00:00:00:01)`);
    // The I/G bit marks group addresses, which no station may own.
    if (isGroupMac(n)) return this.error(path, `${show(s)} is a group (multicast) address, not a station address`);
    return n;
  }
}
