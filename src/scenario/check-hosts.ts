// The `hosts` of a scenario: IP hosts (ip, gateway, multicast groups, stack options) and hosts
// that run a host stack configuration on their NIC instead (hostStack: no ip, gateway,
// multicast or stack). Names, addresses and MACs are claimed in the namespace; MTUs and
// automatic MACs are settled later (normalise.ts), once the links are known.

import { ipv4ToText } from "../base/ipv4-text.js";
import { ipv4InPrefix, isMulticastIpv4 } from "../wire/ipv4.js";
import type { Namespace } from "./check-names.js";
import { addressOf, type Checker, type Cidr, isMapping } from "./checks.js";
import { MAX_UDP_PAYLOAD, MIN_PAYLOAD, MTU_MAX, MTU_MIN, SCENARIO_DEFAULTS } from "./scenario-defaults.js";
import type { HostStackOptions, ScenarioHost, ScenarioHostStack, ScenarioStackHost } from "./scenario-types.js";
import { checkStorage } from "./check-failures.js";
import { checkProfileChoice, checkStackChoice } from "./stack-choice.js";

export const HOST_KEYS = [
  "name",
  "mac",
  "ip",
  "gateway",
  "mtu",
  "rxBuffers",
  "multicast",
  "stack",
  "hostStack",
  "storage",
] as const;
/** Keys of an IP host that a hostStack host cannot have, and what they would give it. */
const IP_ONLY_HOST_KEYS = [
  ["ip", "IP address"],
  ["gateway", "gateway"],
  ["multicast", "multicast groups"],
  ["stack", "IP stack options"],
  ["storage", "stable storage (the protocols that use it run over IP)"],
] as const;
export const HOST_STACK_KEYS = ["configuration", "layers", "profile"] as const;
export const STACK_KEYS = [
  "ttl",
  "arpTimeout",
  "arpQueueLimit",
  "reassemblyTimeout",
  "reassemblyLimit",
  "maxDatagramSize",
  "mailboxLimit",
] as const;

export interface HostDraft extends Omit<ScenarioHost, "mac" | "mtu"> {
  /** Index in the file's `hosts` (automatic MACs go in declaration order). */
  decl: number;
  macN: number | undefined;
  mtuN: number | undefined;
  ipN: Cidr;
}

export interface StackHostDraft extends Omit<ScenarioStackHost, "mac" | "mtu"> {
  decl: number;
  macN: number | undefined;
  mtuN: number | undefined;
}

export function checkHosts(
  c: Checker,
  raw: unknown,
  names: Namespace,
  baseDir: string | undefined,
): { ip: HostDraft[]; stack: StackHostDraft[] } {
  const ip: HostDraft[] = [];
  const stack: StackHostDraft[] = [];
  (c.list(raw, "hosts") ?? []).forEach((entry, i) => {
    const withStack = isMapping(entry) && entry["hostStack"] !== undefined;
    const h = c.mapping(entry, `hosts[${i}]`, HOST_KEYS, withStack ? ["name"] : ["name", "ip"]);
    if (h === undefined) return;
    if (withStack) {
      const draft = checkStackHost(c, h, i, names, baseDir);
      if (draft !== undefined) stack.push(draft);
    } else {
      const draft = checkIpHost(c, h, i, names);
      if (draft !== undefined) ip.push(draft);
    }
  });
  return { ip, stack };
}

function checkStackHost(
  c: Checker,
  h: Record<string, unknown>,
  i: number,
  names: Namespace,
  baseDir: string | undefined,
): StackHostDraft | undefined {
  const p = `hosts[${i}]`;
  const n = c.name(h["name"], `${p}.name`);
  const hostStack = checkHostStack(c, h["hostStack"], `${p}.hostStack`, baseDir);
  names.claim(n, `${p}.name`, {
    kind: "host",
    path: p,
    stackHost: true,
    ...(hostStack !== undefined ? { hostStack } : {}),
  });
  for (const [k, what] of IP_ONLY_HOST_KEYS) {
    if (h[k] === undefined) continue;
    c.error(
      `${p}.${k}`,
      `a host with a hostStack runs no IP stack, so it has no ${what} (remove "${k}", or remove hostStack)`,
      true,
    );
  }
  const mac = h["mac"] === undefined ? undefined : c.mac(h["mac"], `${p}.mac`);
  names.claimMac(mac, `${p}.mac`);
  const mtuN = h["mtu"] === undefined ? undefined : c.bytes(h["mtu"], `${p}.mtu`, MTU_MIN, MTU_MAX);
  const rxBuffers = c.int(h["rxBuffers"], `${p}.rxBuffers`, 1, 65536, SCENARIO_DEFAULTS.hostStack.rxBuffers);
  if (n === undefined || hostStack === undefined || rxBuffers === undefined) return undefined;
  return { decl: i, name: n, macN: mac, mtuN, rxBuffers, hostStack };
}

function checkIpHost(c: Checker, h: Record<string, unknown>, i: number, names: Namespace): HostDraft | undefined {
  const p = `hosts[${i}]`;
  const n = c.name(h["name"], `${p}.name`);
  names.claim(n, `${p}.name`, { kind: "host", path: p });
  const mac = h["mac"] === undefined ? undefined : c.mac(h["mac"], `${p}.mac`);
  names.claimMac(mac, `${p}.mac`);
  const ip = h["ip"] === undefined ? undefined : c.cidr(h["ip"], `${p}.ip`, "interface");
  if (ip !== undefined) names.claimAddress(ip.addr, `${p}.ip`);
  const gateway = h["gateway"] === undefined ? undefined : checkGateway(c, h["gateway"], `${p}.gateway`, ip);
  const mtuN = h["mtu"] === undefined ? undefined : c.bytes(h["mtu"], `${p}.mtu`, MTU_MIN, MTU_MAX);
  const rxBuffers = c.int(h["rxBuffers"], `${p}.rxBuffers`, 1, 65536, SCENARIO_DEFAULTS.host.rxBuffers) ?? 0;
  const multicast = checkGroups(c, h["multicast"], `${p}.multicast`);
  const stack = checkStack(c, h["stack"], `${p}.stack`);
  const storage = checkStorage(c, h["storage"], `${p}.storage`);
  if (n === undefined || ip === undefined) return undefined;
  return {
    decl: i,
    name: n,
    macN: mac,
    ip: addressOf(ip),
    ipN: ip,
    gateway,
    mtuN,
    rxBuffers,
    multicast,
    stack,
    storage,
  };
}

/** The default gateway: on the host's subnet and not the host itself. */
function checkGateway(c: Checker, v: unknown, path: string, ip: Cidr | undefined): string | undefined {
  const g = c.ipv4(v, path);
  if (g === undefined || ip === undefined) return g === undefined ? undefined : ipv4ToText(g);
  if (!ipv4InPrefix(g, ip.addr, ip.len)) {
    const net = addressOf(ip);
    return c.error(path, `${ipv4ToText(g)} is not in the host's subnet ${net.network}/${net.prefixLength}`);
  }
  if (g === ip.addr) return c.error(path, `${ipv4ToText(g)} is the host's own address`);
  return ipv4ToText(g);
}

function checkGroups(c: Checker, v: unknown, path: string): string[] {
  const groups: string[] = [];
  (c.list(v, path) ?? []).forEach((g, j) => {
    const gp = `${path}[${j}]`;
    const a = c.ipv4(g, gp);
    if (a === undefined) return;
    const text = ipv4ToText(a);
    if (!isMulticastIpv4(a)) c.error(gp, `${text} is not a multicast group (224.0.0.0 to 239.255.255.255)`);
    else if (groups.includes(text)) c.error(gp, `group ${text} is listed twice`);
    else groups.push(text);
  });
  return groups;
}

function checkStack(c: Checker, v: unknown, path: string): HostStackOptions {
  const d = SCENARIO_DEFAULTS.stack;
  const o = v === undefined ? {} : (c.mapping(v, path, STACK_KEYS) ?? {});
  return {
    ttl: c.int(o["ttl"], `${path}.ttl`, 1, 255, d.ttl) ?? d.ttl,
    arpTimeoutNs: c.dur(o["arpTimeout"], `${path}.arpTimeout`, d.arpTimeoutNs) ?? d.arpTimeoutNs,
    arpQueueLimit: c.int(o["arpQueueLimit"], `${path}.arpQueueLimit`, 0, 65536, d.arpQueueLimit) ?? d.arpQueueLimit,
    reassemblyTimeoutNs:
      c.dur(o["reassemblyTimeout"], `${path}.reassemblyTimeout`, d.reassemblyTimeoutNs) ?? d.reassemblyTimeoutNs,
    reassemblyLimit:
      c.bytes(o["reassemblyLimit"], `${path}.reassemblyLimit`, 1, 1 << 30, d.reassemblyLimit) ?? d.reassemblyLimit,
    maxDatagramSize:
      c.bytes(o["maxDatagramSize"], `${path}.maxDatagramSize`, MIN_PAYLOAD, MAX_UDP_PAYLOAD, d.maxDatagramSize) ??
      d.maxDatagramSize,
    mailboxLimit: c.int(o["mailboxLimit"], `${path}.mailboxLimit`, 1, 1 << 20, d.mailboxLimit) ?? d.mailboxLimit,
  };
}

/** A host's `hostStack`: configuration, layers and profile, checked as the comparison checks them. */
function checkHostStack(
  c: Checker,
  v: unknown,
  path: string,
  baseDir: string | undefined,
): ScenarioHostStack | undefined {
  const o = c.mapping(v, path, HOST_STACK_KEYS, ["configuration"], "a mapping with configuration, layers and profile");
  if (o === undefined || o["configuration"] === undefined) return undefined;
  const choice = checkStackChoice(c.rep, o["configuration"], o["layers"], `${path}.configuration`, path);
  const profileName = o["profile"] ?? SCENARIO_DEFAULTS.hostStack.profile;
  const profile = checkProfileChoice(c.rep, profileName, `${path}.profile`, baseDir);
  if (choice === undefined || profile === undefined) return undefined;
  return { configuration: choice.stack, layers: choice.layers, profileName: profileName as string, profile };
}
