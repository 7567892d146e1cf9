// The scenario's namespaces while it is checked: one for devices, segments, links and flows (as
// in the Network API), one for interface addresses and one for MAC addresses. Claiming a taken
// name or address is a problem naming the first owner.

import { ipv4ToText } from "../base/ipv4-text.js";
import { macToText } from "../base/mac-text.js";
import type { Checker } from "./checks.js";
import type { DeviceKind, ScenarioHostStack } from "./scenario-types.js";

export interface DeviceEntry {
  kind: DeviceKind | "segment" | "link" | "traffic";
  path: string;
  /** A host with a hostStack (its stack when that checked out). */
  stackHost?: boolean;
  hostStack?: ScenarioHostStack;
  /** An ATM host with no IP address: it sends and receives raw AAL5 only. */
  rawAtm?: boolean;
  ports?: number;
  interfaces?: string[];
}

export class Namespace {
  readonly entries = new Map<string, DeviceEntry>();
  /** MAC -> the path that owns it ("auto" for assigned ones). */
  readonly macs = new Map<number, string>();
  private readonly addresses = new Map<number, string>();

  constructor(private readonly c: Checker) {}

  get(name: string): DeviceEntry | undefined {
    return this.entries.get(name);
  }

  claim(name: string | undefined, path: string, entry: DeviceEntry): void {
    if (name === undefined) return;
    const prior = this.entries.get(name);
    if (prior !== undefined) this.c.error(path, `duplicate name "${name}" (already used by ${prior.path})`);
    else this.entries.set(name, entry);
  }

  claimAddress(addr: number, path: string): void {
    const prior = this.addresses.get(addr);
    if (prior !== undefined) this.c.error(path, `address ${ipv4ToText(addr)} is already used by ${prior}`);
    else this.addresses.set(addr, path);
  }

  claimMac(mac: number | undefined, path: string): void {
    if (mac === undefined) return;
    const prior = this.macs.get(mac);
    if (prior !== undefined) this.c.error(path, `MAC ${macToText(mac)} is already used by ${prior}`);
    else this.macs.set(mac, path);
  }

  /** Names of the entries of these kinds, in declaration order (for did-you-mean). */
  namesOf(test: (e: DeviceEntry) => boolean): string[] {
    return [...this.entries].filter(([, e]) => test(e)).map(([k]) => k);
  }
}

export const isDevice = (e: DeviceEntry): boolean => e.kind === "host" || e.kind === "switch" || e.kind === "router";
