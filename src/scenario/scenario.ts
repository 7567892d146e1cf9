// Scenario files: YAML or JSON text -> a validated, fully typed, unit-normalised Scenario.
//
// Contract:
// - loadScenario(path) reads a .yaml/.yml/.json file (format from the extension, YAML
//   otherwise); parseScenario(text, {format, source}) parses text; validateScenario(object)
//   validates an already parsed document. All three return the same Scenario for the same
//   document, and never build or run anything (the runner and the CLI do).
// - The result is normalised: times are integer ns (`...Ns`), bit rates bit/s (`...Bps`),
//   sizes integer bytes; every default is filled in; lists keep declaration order; MACs that
//   the file leaves out are assigned 02:00:00:00:00:01, :02, ... in declaration order (hosts,
//   then router interfaces), skipping any the file gives explicitly.
// - Every problem is collected; if there is any, one ScenarioError (a NetloomError,
//   INVALID_ARGUMENT) is thrown whose message has one line per problem, each naming the path:
//     links[3].rate: "10 Gbs" is not a bit rate (unknown unit "Gbs"; use bps, ...)
//   prefixed with `<source>:<line>:<column>: ` (or `line N: ` without a source) when the
//   YAML/JSON text says where the value is. `errors` holds the problems one by one.
// - Unknown keys are errors everywhere (with a did-you-mean); so are syntax errors (with line
//   and column), duplicate names, dangling references, ports out of range or used twice,
//   malformed addresses and prefixes.
// - `parameters` (sweeps, issue 5) is validated and exposed but not expanded: the Scenario is
//   the document at the first point (each parameter's first value); validation also tries
//   every value of each parameter, so a bad point is caught now rather than mid-sweep.
// - Every accepted document is also valid under src/scenario/scenario.schema.json (checked with
//   ajv after the hand-written checks, whose messages are more precise).
// - `atm`: ATM switches, hosts, router interfaces, links, PVCs and AAL5 traffic, validated by
//   src/scenario/scenario-atm.ts with the same path-naming errors; its IP hosts can be named by
//   traffic entries like any host.
// - `hostStack` (issue 8): a host may run one of the message-stack configurations
//   (src/stacks/message-stack.ts) on its NIC instead of an IP stack: such a host has no
//   ip/gateway/multicast/stack (errors naming the key) and IP traffic cannot name it. Its
//   configuration, layers and CPU profile are checked by src/scenario/stack-choice.ts, as the
//   comparison file checks them (profile files relative to the scenario file). These hosts are
//   in `stackHosts` (every `hosts` entry stays an IP host); `ping-pong` and `message-stream`
//   traffic between two of them (same configuration and layers, one message flow per host:
//   the stacks are point to point) is in `messageTraffic`, not `traffic`.

import { readFileSync, existsSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDocument, LineCounter, isMap, isSeq, isPair, isScalar, type Node as YamlNode } from "yaml";
import type { ValidateFunction } from "ajv";
import { scenarioValidator, type ValidatorSource } from "./schema-validator.js";
import { ErrorCode, NetloomError } from "../base/errors.js";
import { packageRoot } from "../base/package-root.js";
import { parseBitRate, parseByteSize, parseDuration } from "../base/units.js";
import { validateAtmSection, type AtmScenario } from "./scenario-atm.js";
import { isTransportTraffic } from "../traffic/traffic-spec.js";
import type {
  TrafficDestination,
  ScenarioTcpOptions,
  ScenarioNakOptions,
  TransportScenarioTraffic,
  ScenarioTraffic,
  MessageScenarioTraffic,
  UdpTrafficType,
} from "../traffic/traffic-spec.js";
import { ATM_IP_MTU } from "../stacks/ip/atm-ip-link.js";
import { checkProfileChoice, checkStackChoice } from "./stack-choice.js";
import { suggest } from "../base/did-you-mean.js";
import type { CpuProfile } from "../stacks/cost.js";
import type { StackConfiguration } from "../stacks/message-stack.js";

// ---------------------------------------------------------------------------------------------
// Types of the normalised scenario.

export type ParameterValue = number | string | boolean;

/** An interface address with its prefix, as strings (src/wire/ipv4.ts's Ipv4Prefix holds numbers). */
export interface ScenarioAddress {
  /** Dotted quad as written, e.g. "10.0.1.1". */
  address: string;
  prefixLength: number;
  /** The network address, e.g. "10.0.1.0". */
  network: string;
}

export interface HostStackOptions {
  /** TTL of sent datagrams (default 64). */
  ttl: number;
  /** ARP cache entry lifetime, ns (default 60 s). */
  arpTimeoutNs: number;
  /** Packets held per unresolved address (default 16). */
  arpQueueLimit: number;
  /** Reassembly timeout, ns (default 30 s). */
  reassemblyTimeoutNs: number;
  /** Bytes held by all partial datagrams together (default 256 KiB). */
  reassemblyLimit: number;
  /** Largest UDP payload sent or accepted, bytes (default 65507). */
  maxDatagramSize: number;
  /** Datagrams queued per UDP port before drops (default 1024). */
  mailboxLimit: number;
}

export interface ScenarioHost {
  name: string;
  /** "02:00:00:00:00:01" form, lower case. */
  mac: string;
  ip: ScenarioAddress;
  /** Default gateway, or undefined (on-link destinations only). */
  gateway: string | undefined;
  /** The interface MTU: as written, else the attached link's, else 1500. */
  mtu: number;
  rxBuffers: number;
  /** Multicast groups joined at start. */
  multicast: string[];
  stack: HostStackOptions;
}

/** What a `hostStack` host runs on its NIC (src/compare/stack-factory.ts builds it). */
export interface ScenarioHostStack {
  configuration: StackConfiguration;
  /** Layer names top to bottom (socket, layered, fbufs, accelerated); [] for unet and active-messages. */
  layers: string[];
  /** The profile as written: a bundled name, or the file path as given. */
  profileName: string;
  /** The validated profile its HostCpu charges by. */
  profile: CpuProfile;
}

/** A host that runs a host stack configuration on its NIC instead of an IP stack. */
export interface ScenarioStackHost {
  name: string;
  mac: string;
  /** The NIC's MTU: as written, else the attached link's, else 1500. */
  mtu: number;
  rxBuffers: number;
  hostStack: ScenarioHostStack;
}

export interface ScenarioSwitch {
  name: string;
  ports: number;
  agingTimeNs: number;
  forwardingDelayNs: number;
  fdbCapacity: number;
}

export interface ScenarioRouterInterface {
  name: string;
  /** Position in the router's interface list: the device port number. */
  port: number;
  mac: string;
  ip: ScenarioAddress;
  mtu: number;
}

export interface ScenarioRoute {
  /** Network address of the prefix, e.g. "10.0.3.0". */
  prefix: string;
  prefixLength: number;
  /** Next hop; undefined for a directly attached prefix. */
  via: string | undefined;
  /** Outgoing interface name; undefined means chosen by `via`'s subnet. */
  interface: string | undefined;
}

export type ScenarioRouting =
  | { protocol: "static" }
  | { protocol: "distance-vector"; periodNs: number; timeoutNs: number };

export interface ScenarioRouter {
  name: string;
  interfaces: ScenarioRouterInterface[];
  routes: ScenarioRoute[];
  routing: ScenarioRouting;
}

export type DeviceKind = "host" | "switch" | "router";

export interface ScenarioEndpoint {
  device: string;
  kind: DeviceKind;
  /** Device port: 0 for hosts, the switch port, the router interface's index. */
  port: number;
  /** The router interface name (routers only). */
  interface: string | undefined;
}

export interface ScenarioSegment {
  name: string;
  rateBps: number;
  propagationDelayNs: number;
  queueLimit: number;
  maxFrame: number;
  attemptLimit: number;
  backoffLimit: number;
  /** Attached ports, station 0 first. */
  stations: ScenarioEndpoint[];
}

export interface ScenarioFaults {
  loss: number;
  burstLoss: { p: number; r: number; lossInBad: number; lossInGood: number } | undefined;
  ber: number;
  duplicate: number;
  reorder: { probability: number; delayNs: number } | undefined;
}

export interface ScenarioLink {
  /** As written, else "dev:port-dev:port" (the Network API's default). */
  name: string;
  a: ScenarioEndpoint;
  b: ScenarioEndpoint;
  rateBps: number;
  delayNs: number;
  mtu: number;
  queueLimit: number;
  queueLimitBytes: number | undefined;
  overheadBytes: number;
  faults: ScenarioFaults;
  /** Sorted by time as written (out-of-order entries are an error). */
  schedule: { atNs: number; state: "down" | "up" }[];
}

export type {
  TrafficDestination,
  CbrTraffic,
  PoissonTraffic,
  OnOffTraffic,
  BulkTraffic,
  RequestResponseTraffic,
  UdpScenarioTraffic,
  ScenarioTcpOptions,
  ScenarioNakOptions,
  TcpBulkTraffic,
  NakBulkTraffic,
  RpcTraffic,
  TransportScenarioTraffic,
  ScenarioTraffic,
  PingPongTraffic,
  MessageStreamTraffic,
  MessageScenarioTraffic,
  UdpTrafficType,
} from "../traffic/traffic-spec.js";

export interface ScenarioOutputs {
  /** Paths as written (a runner resolves relative ones against Scenario.baseDir). */
  json: string | undefined;
  csv: string | undefined;
  pcap: { dir: string; ports: "all" | ScenarioEndpoint[] } | undefined;
  report: string | undefined;
}

export interface ScenarioParameterRef {
  /** Where the reference is, e.g. "traffic[0].size". */
  path: string;
  /** Parameters it names, in order of appearance. */
  names: string[];
}

export interface Scenario {
  name: string;
  seed: number;
  durationNs: number;
  /** IP hosts, in declaration order. */
  hosts: ScenarioHost[];
  /** Hosts with a `hostStack`, in declaration order (the file lists both kinds under `hosts`). */
  stackHosts: ScenarioStackHost[];
  switches: ScenarioSwitch[];
  routers: ScenarioRouter[];
  segments: ScenarioSegment[];
  links: ScenarioLink[];
  traffic: ScenarioTraffic[];
  /** ping-pong and message-stream entries of `traffic`, in declaration order. */
  messageTraffic: MessageScenarioTraffic[];
  outputs: ScenarioOutputs;
  /** ATM switches, hosts, router interfaces, links, PVCs and AAL5 traffic (src/scenario/scenario-atm.ts). */
  atm: AtmScenario | undefined;
  /** Manual partitions (device names), or undefined for automatic partitioning. */
  partitions: string[][] | undefined;
  /** Sweep ranges in declaration order; {} when there are none. */
  parameters: Record<string, ParameterValue[]>;
  /** Every "${name}" reference in the document (this Scenario has the first values). */
  parameterRefs: ScenarioParameterRef[];
  /** File the scenario came from, if any, and its directory (outputs are relative to it). */
  source: string | undefined;
  baseDir: string | undefined;
}

export interface ScenarioIssue {
  /** Path in the document, e.g. "links[3].rate" ("" for the whole document). */
  path: string;
  /** `${path}: ${problem}` without the location. */
  message: string;
  line: number | undefined;
  column: number | undefined;
}

/** All problems of a scenario; the message has one line per problem. */
export class ScenarioError extends NetloomError {
  readonly errors: readonly ScenarioIssue[];
  readonly source: string | undefined;

  constructor(errors: ScenarioIssue[], source: string | undefined) {
    const lines = errors.map((e) => locationPrefix(e, source) + e.message);
    const text =
      lines.length === 1 ? lines[0]! : `${lines.length} problems in ${source ?? "the scenario"}:\n${lines.join("\n")}`;
    super(ErrorCode.INVALID_ARGUMENT, text);
    this.name = "ScenarioError";
    this.errors = errors;
    this.source = source;
    // NetloomError would prefix the message with `path`; set it afterwards for code that reads it.
    (this as { path: string | undefined }).path = errors[0]?.path;
  }
}

function locationPrefix(e: ScenarioIssue, source: string | undefined): string {
  if (e.line === undefined) return source !== undefined && e.path === "" ? `${source}: ` : "";
  return source !== undefined ? `${source}:${e.line}:${e.column ?? 1}: ` : `line ${e.line}: `;
}

// ---------------------------------------------------------------------------------------------
// Entry points.

export type ScenarioFormat = "yaml" | "json";

/**
 * Reads a netloom input file (scenario, comparison): its text, and its format by extension
 * (.json is JSON, anything else YAML). A file that cannot be read is a ScenarioError naming it.
 */
export function readInputFile(path: string): { text: string; format: ScenarioFormat } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    const why =
      (cause as { code?: string }).code === "ENOENT" ? "no such file" : String((cause as Error).message ?? cause);
    throw new ScenarioError(
      [{ path: "", message: `cannot read ${path}: ${why}`, line: undefined, column: undefined }],
      undefined,
    );
  }
  return { text, format: extname(path).toLowerCase() === ".json" ? "json" : "yaml" };
}

/** Reads and validates a scenario file (.json is JSON, anything else YAML). */
export function loadScenario(path: string): Scenario {
  const { text, format } = readInputFile(path);
  return parseScenario(text, { format, source: path });
}

/** Parses YAML or JSON text (default YAML) and validates it; `source` names it in messages. */
export function parseScenario(text: string, options: { format?: ScenarioFormat; source?: string } = {}): Scenario {
  const { value, locate } = parseStructured(text, options);
  return validate(value, options.source, locate);
}

/** Where a document path (`links[3].rate`) stands in the text: its key (key = true) or value. */
export type Locate = (path: string, key: boolean) => { line: number; column: number } | undefined;

/**
 * Parses YAML or JSON text (default YAML) into plain data and a locator for paths in it, for
 * every netloom input file (scenarios, comparisons). Syntax errors throw ScenarioError with
 * their line and column.
 */
export function parseStructured(
  text: string,
  options: { format?: ScenarioFormat; source?: string } = {},
): { value: unknown; locate: Locate } {
  const format = options.format ?? "yaml";
  const source = options.source;
  const lineCounter = new LineCounter();
  // JSON is YAML 1.2 flow syntax, so one parser gives both formats line and column positions.
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, version: "1.2" });
  const where = (offset: number): { line: number; column: number } => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (format === "json") {
    try {
      JSON.parse(text);
    } catch (cause) {
      // Node's JSON.parse message gives no position; the YAML parser's first error usually does.
      const first = doc.errors[0];
      const pos = first?.linePos?.[0];
      const msg = (cause as Error).message.split("\n")[0]!;
      throw new ScenarioError(
        [{ path: "", message: `JSON syntax error: ${msg}`, line: pos?.line, column: pos?.col }],
        source,
      );
    }
  }
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => ({
      path: "",
      message: `${format === "json" ? "JSON" : "YAML"} syntax error: ${e.message.replace(/ at line \d+, column \d+:[\s\S]*$/, "")}`,
      line: e.linePos?.[0].line,
      column: e.linePos?.[0].col,
    }));
    throw new ScenarioError(issues, source);
  }
  const value: unknown = doc.toJS({ maxAliasCount: 10_000 });
  const locate: Locate = (path, key) => {
    const offset = findOffset(doc.contents, splitPath(path), key);
    return offset === undefined ? undefined : where(offset);
  };
  return { value, locate };
}

/** A scenario file with parameter ranges, expanded point by point (netloom sweep). */
export interface ScenarioSweep {
  /** The first point's scenario (what loadScenario gives). */
  base: Scenario;
  /** The document as parsed (plain data: structured-clone safe, crosses worker threads). */
  document: unknown;
  source: string | undefined;
  /** Parameter names in declaration order. */
  names: string[];
  /** Every point of the cartesian product, the first parameter varying slowest. */
  points: Record<string, ParameterValue>[];
}

/** Reads a scenario file and lists its sweep points (one point when it has no parameters). */
export function loadSweep(path: string): ScenarioSweep {
  const base = loadScenario(path);
  const text = readFileSync(path, "utf8");
  const document: unknown = parseDocument(text, { version: "1.2" }).toJS({ maxAliasCount: 10_000 });
  const names = Object.keys(base.parameters);
  let points: Record<string, ParameterValue>[] = [{}];
  for (const n of names) points = points.flatMap((p) => base.parameters[n]!.map((v) => ({ ...p, [n]: v })));
  return { base, document, source: path, names, points };
}

/**
 * The scenario at one point of a sweep. Validated again: a combination of values can be
 * invalid even when each value is valid with the others at their first values.
 */
export function scenarioAtPoint(document: unknown, point: Record<string, ParameterValue>, source?: string): Scenario {
  const s = validate(substitute(document, point), source, () => undefined);
  if (source !== undefined) {
    s.source = source;
    s.baseDir = dirname(source);
  }
  return s;
}

/** Validates an already parsed document (no line numbers then). */
export function validateScenario(document: unknown, options: { source?: string } = {}): Scenario {
  return validate(document, options.source, () => undefined);
}

// ---------------------------------------------------------------------------------------------
// Locating a path in the YAML tree (for line numbers).

function splitPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/\.?([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

/** Offset of the node at `segments` (its key if `key`), or of the deepest ancestor found. */
function findOffset(root: unknown, segments: (string | number)[], key: boolean): number | undefined {
  let node = root as YamlNode | null | undefined;
  let best = node?.range?.[0];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) return best;
      if (last && key) return (pair.key as YamlNode).range?.[0] ?? best;
      node = pair.value as YamlNode | null;
      // An empty value (`key:`) has no range of its own: point at the key.
      best = node?.range?.[0] ?? (pair.key as YamlNode).range?.[0] ?? best;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg] as YamlNode | undefined;
      if (item === undefined) return best;
      node = item;
      best = node.range?.[0] ?? best;
    } else {
      return best;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Validation toolkit. Checkers report into a Ctx and return undefined on a problem, so one
// bad value does not stop the checks of its siblings.

class Ctx {
  readonly issues: ScenarioIssue[] = [];
  private readonly seen = new Set<string>();
  /** Paths already reported in a way that makes any later complaint about them noise. */
  readonly settled = new Set<string>();
  constructor(
    private readonly locate: Locate,
    /** Appended to every message (" (with size = 64)") while checking one sweep point. */
    public suffix = "",
  ) {}

  /** `at` is where to look for the line number when it differs from `path`. */
  error(path: string, problem: string, onKey = false, at = path): undefined {
    const message = `${path === "" ? "" : `${path}: `}${problem}${this.suffix}`;
    if (this.seen.has(message) || this.settled.has(path)) return undefined;
    this.seen.add(message);
    const pos = this.locate(at, onKey);
    this.issues.push({ path, message, line: pos?.line, column: pos?.column });
    return undefined;
  }

  /** Runs a units parser, turning its NetloomError into an issue. */
  units<T>(path: string, parse: () => T): T | undefined {
    try {
      return parse();
    } catch (e) {
      if (!(e instanceof NetloomError)) throw e;
      return this.error(path, e.path === path ? e.message.slice(path.length + 2) : e.message);
    }
  }
}

type Obj = Record<string, unknown>;

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return String(v);
}

/**
 * Checks that `v` is a mapping with only `allowed` keys and all `required` ones. Returns it,
 * or undefined if it is not a mapping at all.
 */
function mapping(
  ctx: Ctx,
  v: unknown,
  path: string,
  allowed: readonly string[],
  required: readonly string[] = [],
  what = "a mapping",
): Obj | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    return ctx.error(path, `expected ${what}, got ${show(v)}`);
  }
  const o = v as Obj;
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      const s = suggest(k, allowed) ?? KEY_ALIASES[suggest(k, Object.keys(KEY_ALIASES)) ?? ""];
      const what = path === "" ? "unknown top-level key" : "unknown key";
      ctx.error(
        path,
        `${what} "${k}"${s !== undefined && allowed.includes(s) ? ` (did you mean "${s}"?)` : ""}`,
        true,
        path === "" ? k : `${path}.${k}`,
      );
    }
  }
  for (const k of required) if (o[k] === undefined) ctx.error(path, `missing required key "${k}"`);
  return o;
}

function list(ctx: Ctx, v: unknown, path: string): unknown[] | undefined {
  if (v === undefined) return [];
  if (!Array.isArray(v)) return ctx.error(path, `expected a list, got ${show(v)}`);
  return v;
}

function str(ctx: Ctx, v: unknown, path: string): string | undefined {
  if (typeof v !== "string") return ctx.error(path, `expected a string, got ${show(v)}`);
  return v;
}

function int(ctx: Ctx, v: unknown, path: string, min: number, max: number, dflt?: number): number | undefined {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v)) return ctx.error(path, `expected an integer, got ${show(v)}`);
  if (v < min || v > max) {
    return ctx.error(path, `${v} is out of range (${min} to ${max === Number.MAX_SAFE_INTEGER ? "2^53 - 1" : max})`);
  }
  return v;
}

function prob(ctx: Ctx, v: unknown, path: string, dflt: number): number | undefined {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v))
    return ctx.error(path, `expected a probability (0 to 1), got ${show(v)}`);
  if (v < 0 || v > 1) return ctx.error(path, `${v} is not a probability (0 to 1)`);
  return v;
}

function rate(ctx: Ctx, v: unknown, path: string, dflt?: number): number | undefined {
  if (v === undefined) return dflt;
  return ctx.units(path, () => parseBitRate(v, path));
}

function dur(ctx: Ctx, v: unknown, path: string, dflt?: number): number | undefined {
  if (v === undefined) return dflt;
  return ctx.units(path, () => parseDuration(v, path));
}

function bytes(ctx: Ctx, v: unknown, path: string, min: number, max: number, dflt?: number): number | undefined {
  if (v === undefined) return dflt;
  const b = ctx.units(path, () => parseByteSize(v, path));
  if (b === undefined) return undefined;
  if (b < min || b > max) return ctx.error(path, `${show(v)} is out of range (${min} to ${max} bytes)`);
  return b;
}

function oneOf<T extends string>(ctx: Ctx, v: unknown, path: string, values: readonly T[], dflt?: T): T | undefined {
  if (v === undefined) return dflt;
  if (typeof v === "string" && (values as readonly string[]).includes(v)) return v as T;
  const s = typeof v === "string" ? suggest(v, values) : undefined;
  return ctx.error(
    path,
    `${show(v)} is not one of ${values.map((x) => `"${x}"`).join(", ")}${s ? ` (did you mean "${s}"?)` : ""}`,
  );
}

/** Words users reach for that the format spells differently. */
const KEY_ALIASES: Record<string, string> = {
  address: "ip",
  addr: "ip",
  bandwidth: "rate",
  latency: "delay",
  gw: "gateway",
  port: "ports",
};

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function name(ctx: Ctx, v: unknown, path: string): string | undefined {
  const s = str(ctx, v, path);
  if (s === undefined) return undefined;
  if (!NAME.test(s))
    return ctx.error(path, `${show(s)} is not a name (a letter or _, then letters, digits, _, . or -)`);
  return s;
}

// IPv4 ------------------------------------------------------------------------------------------

function ipToInt(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (m === null) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    // Leading zeros read as octal in some tools: refuse rather than guess.
    if (part.length > 1 && part.startsWith("0")) return undefined;
    const b = Number(part);
    if (b > 255) return undefined;
    n = n * 256 + b;
  }
  return n;
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

function isMulticast(n: number): boolean {
  return n >>> 28 === 0xe;
}

function ipAddress(ctx: Ctx, v: unknown, path: string): number | undefined {
  const s = str(ctx, v, path);
  if (s === undefined) return undefined;
  const n = ipToInt(s);
  if (n === undefined) return ctx.error(path, `${show(s)} is not an IPv4 address (like 10.0.0.1)`);
  return n;
}

/** "10.0.0.1/24" -> address and prefix; `role` "interface" refuses network and broadcast addresses. */
function cidr(
  ctx: Ctx,
  v: unknown,
  path: string,
  role: "interface" | "prefix",
): { addr: number; len: number } | undefined {
  const s = str(ctx, v, path);
  if (s === undefined) return undefined;
  const m = /^([^/]*)\/(\d{1,2})$/.exec(s);
  const example = role === "interface" ? "10.0.0.1/24" : "10.0.3.0/24";
  if (m === null) {
    return ctx.error(
      path,
      ipToInt(s) !== undefined
        ? `${show(s)} has no prefix length (like ${example})`
        : `${show(s)} is not an IPv4 prefix (like ${example})`,
    );
  }
  const addr = ipToInt(m[1]!);
  const len = Number(m[2]);
  if (addr === undefined || len > 32) return ctx.error(path, `${show(s)} is not an IPv4 prefix (like ${example})`);
  const mask = maskOf(len);
  if (role === "prefix") {
    if ((addr & ~mask) >>> 0 !== 0) {
      return ctx.error(path, `${show(s)} has host bits set (did you mean "${intToIp((addr & mask) >>> 0)}/${len}"?)`);
    }
  } else {
    if (isMulticast(addr) || addr >>> 24 === 0 || addr >>> 24 >= 240)
      return ctx.error(path, `${show(s)} is not a unicast address`);
    if (len > 30) return ctx.error(path, `${show(s)}: an interface needs a prefix of /30 or shorter`);
    const host = (addr & ~mask) >>> 0;
    if (host === 0) return ctx.error(path, `${show(s)} is the network address of its subnet`);
    if (host === ~mask >>> 0) return ctx.error(path, `${show(s)} is the broadcast address of its subnet`);
  }
  return { addr, len };
}

function prefixOf(p: { addr: number; len: number }): ScenarioAddress {
  return { address: intToIp(p.addr), prefixLength: p.len, network: intToIp((p.addr & maskOf(p.len)) >>> 0) };
}

function sameSubnet(a: number, p: { addr: number; len: number }): boolean {
  const m = maskOf(p.len);
  return (a & m) >>> 0 === (p.addr & m) >>> 0;
}

function macText(ctx: Ctx, v: unknown, path: string): number | undefined {
  const s = str(ctx, v, path);
  if (s === undefined) return undefined;
  const m =
    /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(s);
  if (m === null) return ctx.error(path, `${show(s)} is not a MAC address (like 02:00:00:00:00:01)`);
  let n = 0;
  for (let i = 1; i <= 6; i++) n = n * 256 + parseInt(m[i]!, 16);
  // Bit 0 of the first byte marks group addresses, which no station may own.
  if (parseInt(m[1]!, 16) & 1)
    return ctx.error(path, `${show(s)} is a group (multicast) address, not a station address`);
  return n;
}

function macToText(n: number): string {
  const parts: string[] = [];
  for (let i = 5; i >= 0; i--) parts.push((Math.floor(n / 256 ** i) % 256).toString(16).padStart(2, "0"));
  return parts.join(":");
}

// ---------------------------------------------------------------------------------------------
// The format: keys and defaults.

const TOP_KEYS = [
  "name",
  "seed",
  "duration",
  "hosts",
  "switches",
  "routers",
  "segments",
  "links",
  "atm",
  "traffic",
  "outputs",
  "partitions",
  "parameters",
] as const;
const HOST_KEYS = ["name", "mac", "ip", "gateway", "mtu", "rxBuffers", "multicast", "stack", "hostStack"] as const;
/** Keys of an IP host that a hostStack host cannot have. */
const IP_ONLY_HOST_KEYS = ["ip", "gateway", "multicast", "stack"] as const;
const HOST_STACK_KEYS = ["configuration", "layers", "profile"] as const;
const STACK_KEYS = [
  "ttl",
  "arpTimeout",
  "arpQueueLimit",
  "reassemblyTimeout",
  "reassemblyLimit",
  "maxDatagramSize",
  "mailboxLimit",
] as const;
const SWITCH_KEYS = ["name", "ports", "agingTime", "forwardingDelay", "fdbCapacity"] as const;
const ROUTER_KEYS = ["name", "interfaces", "routes", "routing"] as const;
const IFACE_KEYS = ["name", "ip", "mtu", "mac"] as const;
const ROUTE_KEYS = ["prefix", "via", "interface"] as const;
const ROUTING_KEYS = ["protocol", "period", "timeout"] as const;
const SEGMENT_KEYS = [
  "name",
  "rate",
  "propagationDelay",
  "queueLimit",
  "maxFrame",
  "attemptLimit",
  "backoffLimit",
  "stations",
] as const;
const LINK_KEYS = [
  "name",
  "a",
  "b",
  "rate",
  "delay",
  "mtu",
  "queueLimit",
  "queueLimitBytes",
  "overheadBytes",
  "faults",
  "schedule",
] as const;
const FAULT_KEYS = ["loss", "burstLoss", "ber", "duplicate", "reorder"] as const;
const BURST_KEYS = ["p", "r", "lossInBad", "lossInGood"] as const;
const REORDER_KEYS = ["probability", "delay"] as const;
const SCHEDULE_KEYS = ["at", "state"] as const;
const OUTPUT_KEYS = ["json", "csv", "pcap", "report"] as const;
const PCAP_KEYS = ["dir", "ports"] as const;
const UDP_TRAFFIC_TYPES = ["cbr", "poisson", "onoff", "bulk", "request-response"] as const;
const TRANSPORT_TRAFFIC_TYPES = ["tcp-bulk", "nak-bulk", "rpc"] as const;
const TRAFFIC_TYPES = [...UDP_TRAFFIC_TYPES, ...TRANSPORT_TRAFFIC_TYPES] as const;
const TRAFFIC_COMMON = [
  "name",
  "type",
  "from",
  "to",
  "protocol",
  "size",
  "start",
  "stop",
  "count",
  "srcPort",
  "dstPort",
  "ttl",
] as const;
const TRAFFIC_EXTRA: Record<UdpTrafficType, readonly string[]> = {
  cbr: ["rate"],
  poisson: ["rate"],
  onoff: ["rate", "on", "off", "distribution"],
  bulk: ["total", "rate"],
  "request-response": ["responseSize", "interval", "timeout"],
};
const TRAFFIC_REQUIRED: Record<UdpTrafficType, readonly string[]> = {
  cbr: ["rate"],
  poisson: ["rate"],
  onoff: ["rate", "on", "off"],
  bulk: ["total"],
  "request-response": ["responseSize"],
};
const TRANSPORT_COMMON = ["name", "type", "from", "to", "port", "start", "stop"] as const;
const TRANSPORT_EXTRA: Record<TransportScenarioTraffic["type"], readonly string[]> = {
  "tcp-bulk": ["bytes", "tcp"],
  "nak-bulk": ["bytes", "nak"],
  rpc: ["count", "interval", "size", "responseSize", "timeout", "retries", "maxOutstanding", "tcp"],
};
const TRANSPORT_REQUIRED: Record<TransportScenarioTraffic["type"], readonly string[]> = {
  "tcp-bulk": [],
  "nak-bulk": [],
  rpc: ["size", "responseSize"],
};
const TCP_KEYS = [
  "sendBuffer",
  "lowWater",
  "receiveBuffer",
  "mss",
  "noDelay",
  "delayedAck",
  "ackEvery",
  "sack",
  "windowScale",
  "initialWindow",
  "minRto",
  "maxRto",
  "initialRto",
  "maxRetries",
  "synRetries",
  "timeWait",
  "keepAlive",
  "burst",
] as const;
const KEEPALIVE_KEYS = ["idle", "interval", "count"] as const;
const BURST_TRAIN_KEYS = ["train"] as const;
const NAK_KEYS = [
  "segmentSize",
  "sendBuffer",
  "receiveWindow",
  "initialPeerWindow",
  "overheadBytes",
  "timeout",
  "rate",
] as const;
const NAK_RATE_KEYS = ["initial", "min", "max", "windowPackets", "upperThreshold", "lowerThreshold"] as const;
const ALL_TRAFFIC_KEYS = [
  ...new Set([
    ...TRAFFIC_COMMON,
    ...Object.values(TRAFFIC_EXTRA).flat(),
    ...TRANSPORT_COMMON,
    ...Object.values(TRANSPORT_EXTRA).flat(),
  ]),
];
const MESSAGE_TRAFFIC_TYPES = ["ping-pong", "message-stream"] as const;
const MESSAGE_COMMON = ["name", "type", "from", "to", "size", "start"] as const;
const MESSAGE_EXTRA: Record<MessageScenarioTraffic["type"], readonly string[]> = {
  "ping-pong": ["rounds"],
  "message-stream": ["count"],
};
/** Every traffic key of any type (a key of another type is "does not apply", not "unknown"). */
const ANY_TRAFFIC_KEYS = [...new Set([...ALL_TRAFFIC_KEYS, ...MESSAGE_COMMON, ...Object.values(MESSAGE_EXTRA).flat()])];
/** Largest message of a message flow (the comparison's; the builder checks the stacks' own limit). */
const MAX_MESSAGE = 65_536;

export const SCENARIO_DEFAULTS = {
  seed: 1,
  host: { rxBuffers: 64, mtu: 1500 },
  stack: {
    ttl: 64,
    arpTimeoutNs: 60_000_000_000,
    arpQueueLimit: 16,
    reassemblyTimeoutNs: 30_000_000_000,
    reassemblyLimit: 256 * 1024,
    maxDatagramSize: 65_507,
    mailboxLimit: 1024,
  },
  /** hostStack hosts: the comparison testbed's receive chain, and its default profile. */
  hostStack: { rxBuffers: 256, profile: "workstation-1995" },
  /** ping-pong rounds and message-stream messages, as the comparison's defaults. */
  messages: { rounds: 20, count: 200, maxCount: 100_000 },
  switch: { agingTimeNs: 300_000_000_000, forwardingDelayNs: 0, fdbCapacity: 8192 },
  routing: { periodNs: 1_000_000_000, timeoutMultiple: 3 },
  segment: {
    rateBps: 10_000_000,
    propagationBits: 256,
    queueLimit: 64,
    maxFrame: 1522,
    attemptLimit: 16,
    backoffLimit: 10,
  },
  link: { delayNs: 0, mtu: 1500, queueLimit: 1000, overheadBytes: 20 },
  traffic: { dstPort: 9000, srcPortBase: 10000, timeoutNs: 1_000_000_000 },
  /** Transport flows listen on portBase + the flow's index unless `port` is given. */
  transport: { portBase: 5001, retries: 0, maxOutstanding: 64 },
} as const;

/** IPv4 minimum MTU (RFC 791) and the jumbo-frame payload limit (EthernetNic's ETH_JUMBO_MTU). */
const MTU_MIN = 68;
const MTU_MAX = 9000;
/** Flow id and sequence number ride in each datagram's first 8 payload bytes. */
const MIN_PAYLOAD = 8;
const MAX_UDP_PAYLOAD = 65_507;

// ---------------------------------------------------------------------------------------------
// Parameters (sweeps).

const PARAM_REF = /\$\{([^}]*)\}/g;

function findRefs(v: unknown, path: string, out: ScenarioParameterRef[]): void {
  if (typeof v === "string") {
    const names = [...v.matchAll(PARAM_REF)].map((m) => m[1]!);
    if (names.length > 0) out.push({ path, names });
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => findRefs(x, `${path}[${i}]`, out));
  } else if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) findRefs(x, path === "" ? k : `${path}.${k}`, out);
  }
}

function substitute(v: unknown, point: Record<string, ParameterValue>): unknown {
  if (typeof v === "string") {
    // A whole-value reference keeps the parameter's type, so "${size}" can stand for 64.
    const whole = /^\$\{([^}]*)\}$/.exec(v);
    if (whole !== null && whole[1]! in point) return point[whole[1]!];
    return v.replace(PARAM_REF, (m, n: string) => (n in point ? String(point[n]) : m));
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, point));
  if (typeof v === "object" && v !== null) {
    const o: Obj = {};
    for (const [k, x] of Object.entries(v)) o[k] = k === "parameters" ? x : substitute(x, point);
    return o;
  }
  return v;
}

function checkParameters(ctx: Ctx, v: unknown): Record<string, ParameterValue[]> {
  const out: Record<string, ParameterValue[]> = {};
  if (v === undefined) return out;
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    ctx.error("parameters", `expected a mapping of names to lists of values, got ${show(v)}`);
    return out;
  }
  for (const [k, values] of Object.entries(v)) {
    const p = `parameters.${k}`;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) {
      ctx.error(p, `"${k}" is not a parameter name (a letter or _, then letters, digits or _)`, true);
      continue;
    }
    if (!Array.isArray(values) || values.length === 0) {
      ctx.error(p, `expected a non-empty list of values, got ${show(values)}`);
      continue;
    }
    let ok = true;
    values.forEach((x, i) => {
      if (!["number", "string", "boolean"].includes(typeof x)) {
        ok = false;
        ctx.error(`${p}[${i}]`, `expected a number, string or boolean, got ${show(x)}`);
      }
    });
    if (ok) out[k] = values as ParameterValue[];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The validator.

function validate(document: unknown, source: string | undefined, locate: Locate): Scenario {
  const ctx = new Ctx(locate);
  const top = mapping(
    ctx,
    document,
    "",
    TOP_KEYS,
    ["duration"],
    "a mapping of scenario keys (name, hosts, links, ...)",
  );
  if (top === undefined) throw new ScenarioError(ctx.issues, source);
  const parameters = checkParameters(ctx, top["parameters"]);
  const refs: ScenarioParameterRef[] = [];
  for (const [k, v] of Object.entries(top)) if (k !== "parameters") findRefs(v, k, refs);
  for (const r of refs) {
    for (const n of r.names) {
      if (!(n in parameters)) {
        const s = suggest(n, Object.keys(parameters));
        ctx.error(r.path, `unknown parameter "\${${n}}"${s ? ` (did you mean "\${${s}}"?)` : ""}`);
        ctx.settled.add(r.path);
      }
    }
  }
  const first: Record<string, ParameterValue> = {};
  for (const [k, vs] of Object.entries(parameters)) first[k] = vs[0]!;
  const base = refs.length > 0 ? (substitute(top, first) as Obj) : top;
  const scenario = checkDocument(ctx, base, parameters, refs, source);
  // Every other value of each parameter, with the rest at their first values: linear in the
  // number of values, and it pins a bad value to the parameter that carries it.
  if (ctx.issues.length === 0 && refs.length > 0) {
    const used = new Set(refs.flatMap((r) => r.names));
    for (const [k, vs] of Object.entries(parameters)) {
      if (!used.has(k)) continue;
      for (let i = 1; i < vs.length; i++) {
        ctx.suffix = ` (with ${k} = ${show(vs[i])})`;
        checkDocument(ctx, substitute(top, { ...first, [k]: vs[i]! }) as Obj, parameters, refs, source);
      }
    }
    ctx.suffix = "";
  }
  // The schema sees the first point: "${x}" references are not values of the schema's types.
  if (ctx.issues.length === 0) checkSchema(ctx, base);
  // File order reads best; the sort is stable, so problems without a line keep check order.
  ctx.issues.sort((x, y) => (x.line ?? Infinity) - (y.line ?? Infinity) || (x.column ?? 0) - (y.column ?? 0));
  if (ctx.issues.length > 0) throw new ScenarioError(ctx.issues, source);
  return scenario;
}

interface DeviceEntry {
  kind: DeviceKind | "segment" | "link" | "traffic";
  path: string;
  /** A host with a hostStack (its stack when that checked out). */
  stackHost?: boolean;
  hostStack?: ScenarioHostStack;
  ports?: number;
  interfaces?: string[];
}

function checkDocument(
  ctx: Ctx,
  top: Obj,
  parameters: Record<string, ParameterValue[]>,
  parameterRefs: ScenarioParameterRef[],
  source: string | undefined,
): Scenario {
  const fallbackName = source !== undefined ? basename(source).replace(/\.(ya?ml|json)$/i, "") : "scenario";
  const scenarioName = top["name"] === undefined ? fallbackName : (str(ctx, top["name"], "name") ?? fallbackName);
  const seed = int(ctx, top["seed"], "seed", 0, Number.MAX_SAFE_INTEGER, SCENARIO_DEFAULTS.seed) ?? 0;
  const durationNs = dur(ctx, top["duration"], "duration") ?? 0;
  if (top["duration"] !== undefined && durationNs === 0 && ctx.issues.length === 0)
    ctx.error("duration", "must be longer than 0");

  // One namespace for devices, segments, links and flows, as in the Network API.
  const names = new Map<string, DeviceEntry>();
  const claim = (n: string | undefined, path: string, entry: DeviceEntry): void => {
    if (n === undefined) return;
    const prior = names.get(n);
    if (prior !== undefined) ctx.error(path, `duplicate name "${n}" (already used by ${prior.path})`);
    else names.set(n, entry);
  };
  const macs = new Map<number, string>();
  const addresses = new Map<number, string>();
  const claimAddress = (a: number, path: string): void => {
    const prior = addresses.get(a);
    if (prior !== undefined) ctx.error(path, `address ${intToIp(a)} is already used by ${prior}`);
    else addresses.set(a, path);
  };
  const claimMac = (m: number | undefined, path: string): void => {
    if (m === undefined) return;
    const prior = macs.get(m);
    if (prior !== undefined) ctx.error(path, `MAC ${macToText(m)} is already used by ${prior}`);
    else macs.set(m, path);
  };

  // Hosts ------------------------------------------------------------------------------------
  interface HostDraft extends Omit<ScenarioHost, "mac" | "mtu"> {
    /** Index in the file's `hosts` (automatic MACs go in declaration order). */
    decl: number;
    macN: number | undefined;
    mtuN: number | undefined;
    ipN: { addr: number; len: number };
  }
  interface StackHostDraft extends Omit<ScenarioStackHost, "mac" | "mtu"> {
    decl: number;
    macN: number | undefined;
    mtuN: number | undefined;
  }
  const hostDrafts: HostDraft[] = [];
  const stackHostDrafts: StackHostDraft[] = [];
  const baseDir = source === undefined ? undefined : dirname(source);
  (list(ctx, top["hosts"], "hosts") ?? []).forEach((raw, i) => {
    const p = `hosts[${i}]`;
    const withStack =
      typeof raw === "object" && raw !== null && !Array.isArray(raw) && (raw as Obj)["hostStack"] !== undefined;
    const h = mapping(ctx, raw, p, HOST_KEYS, withStack ? ["name"] : ["name", "ip"]);
    if (h === undefined) return;
    if (withStack) {
      const n = name(ctx, h["name"], `${p}.name`);
      const hostStack = checkHostStack(ctx, h["hostStack"], `${p}.hostStack`, baseDir);
      claim(n, `${p}.name`, {
        kind: "host",
        path: p,
        stackHost: true,
        ...(hostStack !== undefined ? { hostStack } : {}),
      });
      for (const k of IP_ONLY_HOST_KEYS) {
        if (h[k] === undefined) continue;
        const what =
          k === "stack"
            ? "IP stack options"
            : k === "ip"
              ? "IP address"
              : k === "gateway"
                ? "gateway"
                : "multicast groups";
        ctx.error(
          `${p}.${k}`,
          `a host with a hostStack runs no IP stack, so it has no ${what} (remove "${k}", or remove hostStack)`,
          true,
        );
      }
      const mac = h["mac"] === undefined ? undefined : macText(ctx, h["mac"], `${p}.mac`);
      claimMac(mac, `${p}.mac`);
      const mtuN = h["mtu"] === undefined ? undefined : bytes(ctx, h["mtu"], `${p}.mtu`, MTU_MIN, MTU_MAX);
      const rxBuffers = int(ctx, h["rxBuffers"], `${p}.rxBuffers`, 1, 65536, SCENARIO_DEFAULTS.hostStack.rxBuffers);
      if (n === undefined || hostStack === undefined || rxBuffers === undefined) return;
      stackHostDrafts.push({ decl: i, name: n, macN: mac, mtuN, rxBuffers, hostStack });
      return;
    }
    const n = name(ctx, h["name"], `${p}.name`);
    claim(n, `${p}.name`, { kind: "host", path: p });
    const mac = h["mac"] === undefined ? undefined : macText(ctx, h["mac"], `${p}.mac`);
    claimMac(mac, `${p}.mac`);
    const ip = h["ip"] === undefined ? undefined : cidr(ctx, h["ip"], `${p}.ip`, "interface");
    if (ip !== undefined) claimAddress(ip.addr, `${p}.ip`);
    let gateway: string | undefined;
    if (h["gateway"] !== undefined) {
      const g = ipAddress(ctx, h["gateway"], `${p}.gateway`);
      if (g !== undefined && ip !== undefined && !sameSubnet(g, ip)) {
        const net = prefixOf(ip);
        ctx.error(`${p}.gateway`, `${intToIp(g)} is not in the host's subnet ${net.network}/${net.prefixLength}`);
      } else if (g !== undefined && ip !== undefined && g === ip.addr) {
        ctx.error(`${p}.gateway`, `${intToIp(g)} is the host's own address`);
      } else if (g !== undefined) gateway = intToIp(g);
    }
    const mtuN = h["mtu"] === undefined ? undefined : bytes(ctx, h["mtu"], `${p}.mtu`, MTU_MIN, MTU_MAX);
    const rxBuffers = int(ctx, h["rxBuffers"], `${p}.rxBuffers`, 1, 65536, SCENARIO_DEFAULTS.host.rxBuffers) ?? 0;
    const multicast: string[] = [];
    (list(ctx, h["multicast"], `${p}.multicast`) ?? []).forEach((g, j) => {
      const gp = `${p}.multicast[${j}]`;
      const a = ipAddress(ctx, g, gp);
      if (a === undefined) return;
      if (!isMulticast(a)) ctx.error(gp, `${intToIp(a)} is not a multicast group (224.0.0.0 to 239.255.255.255)`);
      else if (multicast.includes(intToIp(a))) ctx.error(gp, `group ${intToIp(a)} is listed twice`);
      else multicast.push(intToIp(a));
    });
    const stack = checkStack(ctx, h["stack"], `${p}.stack`);
    if (n === undefined || ip === undefined) return;
    hostDrafts.push({
      decl: i,
      name: n,
      macN: mac,
      ip: prefixOf(ip),
      ipN: ip,
      gateway,
      mtuN,
      rxBuffers,
      multicast,
      stack,
    });
  });

  // Switches ---------------------------------------------------------------------------------
  const switches: ScenarioSwitch[] = [];
  (list(ctx, top["switches"], "switches") ?? []).forEach((raw, i) => {
    const p = `switches[${i}]`;
    const s = mapping(ctx, raw, p, SWITCH_KEYS, ["name", "ports"]);
    if (s === undefined) return;
    const n = name(ctx, s["name"], `${p}.name`);
    const ports = s["ports"] === undefined ? undefined : int(ctx, s["ports"], `${p}.ports`, 1, 4096);
    claim(n, `${p}.name`, { kind: "switch", path: p, ports: ports ?? 4096 });
    const d = SCENARIO_DEFAULTS.switch;
    const agingTimeNs = dur(ctx, s["agingTime"], `${p}.agingTime`, d.agingTimeNs);
    if (agingTimeNs === 0) ctx.error(`${p}.agingTime`, "must be longer than 0");
    const forwardingDelayNs = dur(ctx, s["forwardingDelay"], `${p}.forwardingDelay`, d.forwardingDelayNs);
    const fdbCapacity = int(ctx, s["fdbCapacity"], `${p}.fdbCapacity`, 1, 1 << 20, d.fdbCapacity);
    if (
      n === undefined ||
      ports === undefined ||
      agingTimeNs === undefined ||
      forwardingDelayNs === undefined ||
      fdbCapacity === undefined
    )
      return;
    switches.push({ name: n, ports, agingTimeNs, forwardingDelayNs, fdbCapacity });
  });

  // Routers ----------------------------------------------------------------------------------
  interface IfaceDraft {
    name: string;
    port: number;
    macN: number | undefined;
    ipN: { addr: number; len: number };
    mtuN: number | undefined;
  }
  interface RouterDraft {
    name: string;
    interfaces: IfaceDraft[];
    routes: ScenarioRoute[];
    routing: ScenarioRouting;
  }
  const routerDrafts: RouterDraft[] = [];
  (list(ctx, top["routers"], "routers") ?? []).forEach((raw, i) => {
    const p = `routers[${i}]`;
    const r = mapping(ctx, raw, p, ROUTER_KEYS, ["name", "interfaces"]);
    if (r === undefined) return;
    const n = name(ctx, r["name"], `${p}.name`);
    const interfaces: IfaceDraft[] = [];
    const ifNames: string[] = [];
    const ifaceList = r["interfaces"] === undefined ? [] : (list(ctx, r["interfaces"], `${p}.interfaces`) ?? []);
    if (r["interfaces"] !== undefined && Array.isArray(r["interfaces"]) && ifaceList.length === 0) {
      ctx.error(`${p}.interfaces`, "a router needs at least one interface");
    }
    ifaceList.forEach((rawIf, j) => {
      const ip = `${p}.interfaces[${j}]`;
      const f = mapping(ctx, rawIf, ip, IFACE_KEYS, ["name", "ip"]);
      if (f === undefined) return;
      const ifName = name(ctx, f["name"], `${ip}.name`);
      if (ifName !== undefined) {
        if (ifNames.includes(ifName)) ctx.error(`${ip}.name`, `duplicate interface name "${ifName}"`);
        ifNames.push(ifName);
      }
      const addr = f["ip"] === undefined ? undefined : cidr(ctx, f["ip"], `${ip}.ip`, "interface");
      if (addr !== undefined) {
        claimAddress(addr.addr, `${ip}.ip`);
        const clash = interfaces.find((o) =>
          sameSubnet(addr.addr, { addr: o.ipN.addr, len: Math.min(o.ipN.len, addr.len) }),
        );
        if (clash !== undefined) ctx.error(`${ip}.ip`, `overlaps the subnet of interface "${clash.name}"`);
      }
      const mac = f["mac"] === undefined ? undefined : macText(ctx, f["mac"], `${ip}.mac`);
      claimMac(mac, `${ip}.mac`);
      const mtuN = f["mtu"] === undefined ? undefined : bytes(ctx, f["mtu"], `${ip}.mtu`, MTU_MIN, MTU_MAX);
      if (ifName !== undefined && addr !== undefined)
        interfaces.push({ name: ifName, port: j, macN: mac, ipN: addr, mtuN });
    });
    claim(n, `${p}.name`, { kind: "router", path: p, ports: ifaceList.length, interfaces: ifNames });
    const routes: ScenarioRoute[] = [];
    (list(ctx, r["routes"], `${p}.routes`) ?? []).forEach((rawRoute, j) => {
      const rp = `${p}.routes[${j}]`;
      const o = mapping(ctx, rawRoute, rp, ROUTE_KEYS, ["prefix"]);
      if (o === undefined) return;
      const prefix = o["prefix"] === undefined ? undefined : cidr(ctx, o["prefix"], `${rp}.prefix`, "prefix");
      let iface: string | undefined;
      if (o["interface"] !== undefined) {
        const s = str(ctx, o["interface"], `${rp}.interface`);
        if (s !== undefined && !ifNames.includes(s)) {
          const sug = suggest(s, ifNames);
          ctx.error(
            `${rp}.interface`,
            `router ${n ?? p} has no interface "${s}"${sug ? ` (did you mean "${sug}"?)` : ""}`,
          );
        } else iface = s;
      }
      let via: number | undefined;
      if (o["via"] !== undefined) {
        via = ipAddress(ctx, o["via"], `${rp}.via`);
        if (via !== undefined) {
          const on = interfaces.filter((f) => (iface === undefined || f.name === iface) && sameSubnet(via!, f.ipN));
          if (on.length === 0) {
            ctx.error(
              `${rp}.via`,
              `${intToIp(via)} is not on the subnet of ${iface === undefined ? `any interface of ${n ?? p}` : `interface "${iface}"`}`,
            );
          }
        }
      }
      if (o["via"] === undefined && o["interface"] === undefined)
        ctx.error(rp, `give "via" (next hop), "interface", or both`);
      if (prefix !== undefined) {
        const pr = prefixOf(prefix);
        routes.push({
          prefix: pr.network,
          prefixLength: pr.prefixLength,
          via: via === undefined ? undefined : intToIp(via),
          interface: iface,
        });
      }
    });
    const routing = checkRouting(ctx, r["routing"], `${p}.routing`);
    if (n !== undefined && routing !== undefined) routerDrafts.push({ name: n, interfaces, routes, routing });
  });

  // Endpoints and port use --------------------------------------------------------------------
  const portUse = new Map<string, string>();
  const endpoint = (v: unknown, path: string): ScenarioEndpoint | undefined => {
    const s = str(ctx, v, path);
    if (s === undefined) return undefined;
    const m = /^([^:]*)(?::(.*))?$/.exec(s)!;
    const dev = m[1]!;
    const port = m[2];
    const entry = names.get(dev);
    if (entry === undefined || entry.kind === "segment" || entry.kind === "link" || entry.kind === "traffic") {
      const sug = suggest(
        dev,
        [...names].filter(([, e]) => e.kind === "host" || e.kind === "switch" || e.kind === "router").map(([k]) => k),
      );
      return ctx.error(path, `there is no device named "${dev}"${sug ? ` (did you mean "${sug}"?)` : ""}`);
    }
    if (entry.kind === "host") {
      if (port !== undefined && port !== "0") return ctx.error(path, `host ${dev} has one interface; write "${dev}"`);
      return { device: dev, kind: "host", port: 0, interface: undefined };
    }
    if (entry.kind === "switch") {
      if (port === undefined) return ctx.error(path, `${dev} is a switch; name a port, like "${dev}:0"`);
      if (!/^\d+$/.test(port)) return ctx.error(path, `${show(port)} is not a port number of switch ${dev}`);
      const n = Number(port);
      if (n >= entry.ports!) return ctx.error(path, `switch ${dev} has no port ${n} (ports 0 to ${entry.ports! - 1})`);
      return { device: dev, kind: "switch", port: n, interface: undefined };
    }
    const ifs = entry.interfaces ?? [];
    if (port === undefined)
      return ctx.error(path, `${dev} is a router; name an interface, like "${dev}:${ifs[0] ?? "eth0"}"`);
    const idx = ifs.indexOf(port);
    if (idx < 0) {
      const sug = suggest(port, ifs);
      return ctx.error(path, `router ${dev} has no interface "${port}"${sug ? ` (did you mean "${sug}"?)` : ""}`);
    }
    return { device: dev, kind: "router", port: idx, interface: port };
  };
  const usePort = (e: ScenarioEndpoint | undefined, path: string, by: string): void => {
    if (e === undefined) return;
    const key = `${e.device}:${e.port}`;
    const prior = portUse.get(key);
    const shown = e.kind === "router" ? `${e.device}:${e.interface}` : e.kind === "host" ? e.device : key;
    if (prior !== undefined) ctx.error(path, `${shown} is already connected by ${prior}`);
    else portUse.set(key, by);
  };
  const endpointText = (e: ScenarioEndpoint): string => `${e.device}:${e.port}`;

  // Segments ---------------------------------------------------------------------------------
  const segments: ScenarioSegment[] = [];
  (list(ctx, top["segments"], "segments") ?? []).forEach((raw, i) => {
    const p = `segments[${i}]`;
    const s = mapping(ctx, raw, p, SEGMENT_KEYS, ["name", "stations"]);
    if (s === undefined) return;
    const n = name(ctx, s["name"], `${p}.name`);
    claim(n, `${p}.name`, { kind: "segment", path: p });
    const d = SCENARIO_DEFAULTS.segment;
    const rateBps = rate(ctx, s["rate"], `${p}.rate`, d.rateBps);
    const propagationDelayNs = dur(
      ctx,
      s["propagationDelay"],
      `${p}.propagationDelay`,
      rateBps === undefined ? 0 : Math.round((d.propagationBits * 1e9) / rateBps),
    );
    const queueLimit = int(ctx, s["queueLimit"], `${p}.queueLimit`, 1, 1 << 20, d.queueLimit);
    const maxFrame = bytes(ctx, s["maxFrame"], `${p}.maxFrame`, 64, 1522, d.maxFrame);
    const attemptLimit = int(ctx, s["attemptLimit"], `${p}.attemptLimit`, 1, 1024, d.attemptLimit);
    const backoffLimit = int(ctx, s["backoffLimit"], `${p}.backoffLimit`, 0, 10, d.backoffLimit);
    const stations: ScenarioEndpoint[] = [];
    const rawStations = s["stations"] === undefined ? [] : (list(ctx, s["stations"], `${p}.stations`) ?? []);
    if (rawStations.length > 1024)
      ctx.error(`${p}.stations`, `${rawStations.length} stations is more than a segment takes (1024)`);
    rawStations.forEach((st, j) => {
      const e = endpoint(st, `${p}.stations[${j}]`);
      usePort(e, `${p}.stations[${j}]`, `${p} (${n ?? "segment"})`);
      if (e !== undefined) stations.push(e);
    });
    if (
      n === undefined ||
      rateBps === undefined ||
      propagationDelayNs === undefined ||
      queueLimit === undefined ||
      maxFrame === undefined ||
      attemptLimit === undefined ||
      backoffLimit === undefined
    )
      return;
    segments.push({ name: n, rateBps, propagationDelayNs, queueLimit, maxFrame, attemptLimit, backoffLimit, stations });
  });

  // Links ------------------------------------------------------------------------------------
  const links: ScenarioLink[] = [];
  (list(ctx, top["links"], "links") ?? []).forEach((raw, i) => {
    const p = `links[${i}]`;
    const l = mapping(ctx, raw, p, LINK_KEYS, ["a", "b", "rate"]);
    if (l === undefined) return;
    const a = l["a"] === undefined ? undefined : endpoint(l["a"], `${p}.a`);
    const b = l["b"] === undefined ? undefined : endpoint(l["b"], `${p}.b`);
    let n: string | undefined;
    if (l["name"] !== undefined) n = name(ctx, l["name"], `${p}.name`);
    else if (a !== undefined && b !== undefined) n = `${endpointText(a)}-${endpointText(b)}`;
    claim(l["name"] === undefined ? undefined : n, `${p}.name`, { kind: "link", path: p });
    const by = n === undefined ? p : `${p} (${n})`;
    usePort(a, `${p}.a`, by);
    usePort(b, `${p}.b`, by);
    const rateBps = l["rate"] === undefined ? undefined : rate(ctx, l["rate"], `${p}.rate`);
    const d = SCENARIO_DEFAULTS.link;
    const delayNs = dur(ctx, l["delay"], `${p}.delay`, d.delayNs);
    const mtu = bytes(ctx, l["mtu"], `${p}.mtu`, MTU_MIN, MTU_MAX, d.mtu);
    const queueLimit = int(ctx, l["queueLimit"], `${p}.queueLimit`, 0, 1 << 24, d.queueLimit);
    const queueLimitBytes =
      l["queueLimitBytes"] === undefined
        ? undefined
        : bytes(ctx, l["queueLimitBytes"], `${p}.queueLimitBytes`, 64, Number.MAX_SAFE_INTEGER);
    const overheadBytes = bytes(ctx, l["overheadBytes"], `${p}.overheadBytes`, 0, 1024, d.overheadBytes);
    const faults = checkFaults(ctx, l["faults"], `${p}.faults`);
    const schedule: ScenarioLink["schedule"] = [];
    (list(ctx, l["schedule"], `${p}.schedule`) ?? []).forEach((rawS, j) => {
      const sp = `${p}.schedule[${j}]`;
      const o = mapping(ctx, rawS, sp, SCHEDULE_KEYS, ["at", "state"]);
      if (o === undefined) return;
      const atNs = o["at"] === undefined ? undefined : dur(ctx, o["at"], `${sp}.at`);
      const state =
        o["state"] === undefined ? undefined : oneOf(ctx, o["state"], `${sp}.state`, ["down", "up"] as const);
      const prev = schedule[schedule.length - 1];
      if (atNs !== undefined && prev !== undefined && atNs < prev.atNs) {
        ctx.error(`${sp}.at`, `${show(o["at"])} is earlier than the entry before it (entries go in time order)`);
      }
      if (atNs !== undefined && state !== undefined) schedule.push({ atNs, state });
    });
    if (
      n === undefined ||
      a === undefined ||
      b === undefined ||
      rateBps === undefined ||
      delayNs === undefined ||
      mtu === undefined ||
      queueLimit === undefined ||
      overheadBytes === undefined ||
      faults === undefined
    )
      return;
    if (l["queueLimitBytes"] !== undefined && queueLimitBytes === undefined) return;
    links.push({ name: n, a, b, rateBps, delayNs, mtu, queueLimit, queueLimitBytes, overheadBytes, faults, schedule });
  });

  // MTUs and MACs of interfaces, now that links are known -------------------------------------
  const linkOf = (device: string, port: number): ScenarioLink | undefined =>
    links.find((l) => (l.a.device === device && l.a.port === port) || (l.b.device === device && l.b.port === port));
  const mtuFor = (given: number | undefined, device: string, port: number, path: string): number => {
    const link = linkOf(device, port);
    if (given !== undefined && link !== undefined && given > link.mtu) {
      ctx.error(path, `${given} is larger than the MTU of link ${link.name} (${link.mtu})`);
    }
    return given ?? link?.mtu ?? SCENARIO_DEFAULTS.link.mtu;
  };
  let nextMac = 0x020000000001;
  const autoMac = (): string => {
    while (macs.has(nextMac)) nextMac++;
    macs.set(nextMac, "auto");
    return macToText(nextMac++);
  };
  const hosts: ScenarioHost[] = hostDrafts.map((h, i) => ({
    name: h.name,
    mac: h.macN === undefined ? "" : macToText(h.macN),
    ip: h.ip,
    gateway: h.gateway,
    mtu: mtuFor(h.mtuN, h.name, 0, `hosts[${i}].mtu`),
    rxBuffers: h.rxBuffers,
    multicast: h.multicast,
    stack: h.stack,
  }));
  const routers: ScenarioRouter[] = routerDrafts.map((r, i) => ({
    name: r.name,
    routes: r.routes,
    routing: r.routing,
    interfaces: r.interfaces.map((f) => ({
      name: f.name,
      port: f.port,
      mac: f.macN === undefined ? "" : macToText(f.macN),
      ip: prefixOf(f.ipN),
      mtu: mtuFor(f.mtuN, r.name, f.port, `routers[${i}].interfaces[${f.port}].mtu`),
    })),
  }));
  const stackHosts: ScenarioStackHost[] = stackHostDrafts.map((h) => ({
    name: h.name,
    mac: h.macN === undefined ? "" : macToText(h.macN),
    mtu: mtuFor(h.mtuN, h.name, 0, `hosts[${h.decl}].mtu`),
    rxBuffers: h.rxBuffers,
    hostStack: h.hostStack,
  }));
  // Automatic MACs after every explicit one is known, in declaration order (IP and hostStack
  // hosts alike, as the file lists them).
  const byDeclaration: { decl: number; host: { mac: string } }[] = [
    ...hosts.map((host, k) => ({ decl: hostDrafts[k]!.decl, host })),
    ...stackHosts.map((host, k) => ({ decl: stackHostDrafts[k]!.decl, host })),
  ].sort((x, y) => x.decl - y.decl);
  for (const { host } of byDeclaration) if (host.mac === "") host.mac = autoMac();
  for (const r of routers) for (const f of r.interfaces) if (f.mac === "") f.mac = autoMac();

  // ATM (issue 6): a section of its own, checked by src/scenario/scenario-atm.ts. Its IP hosts join
  // the namespace and the address plan so that the traffic entries below can name them.
  let atm: AtmScenario | undefined;
  const atmHostDrafts: { name: string; ipN: { addr: number; len: number }; mtu: number }[] = [];
  if (top["atm"] !== undefined) {
    const r = validateAtmSection(top["atm"], "atm", {
      devices: new Set(names.keys()),
      routers: new Set(routers.map((x) => x.name)),
    });
    for (const issue of r.issues) ctx.error(issue.path, issue.message);
    atm = r.atm;
    // AAL5 sources stop with the run, as IP traffic does, unless told otherwise: a source left
    // running would keep an embedder's runToIdle() from ever returning.
    for (const t of atm.traffic) t.stopNs ??= durationNs;
    // Switched circuits likewise close when the run ends: an open one keeps its switch polling
    // the hosts for ever.
    for (const v of atm.svcs) v.closeNs ??= durationNs;
    r.atm.hosts.forEach((h, i) => {
      claim(h.name, `atm.hosts[${i}].name`, { kind: "host", path: `atm.hosts[${i}]` });
      if (h.address === undefined) return;
      const ip = cidr(ctx, h.address, `atm.hosts[${i}].address`, "interface");
      if (ip === undefined) return;
      claimAddress(ip.addr, `atm.hosts[${i}].address`);
      atmHostDrafts.push({ name: h.name, ipN: ip, mtu: h.mtu ?? Math.min(ATM_IP_MTU, h.maxPdu - 8) });
    });
  }

  // Traffic ----------------------------------------------------------------------------------
  const traffic: ScenarioTraffic[] = [];
  const trafficHosts = [...hostDrafts, ...atmHostDrafts];
  const mtuOfHost = (h: string): number =>
    hosts.find((x) => x.name === h)?.mtu ?? atmHostDrafts.find((x) => x.name === h)?.mtu ?? SCENARIO_DEFAULTS.link.mtu;
  const messageTraffic: MessageScenarioTraffic[] = [];
  (list(ctx, top["traffic"], "traffic") ?? []).forEach((raw, i) => {
    const rawType = typeof raw === "object" && raw !== null && !Array.isArray(raw) ? (raw as Obj)["type"] : undefined;
    if (typeof rawType === "string" && (MESSAGE_TRAFFIC_TYPES as readonly string[]).includes(rawType)) {
      const m = checkMessageTraffic(
        ctx,
        raw as Obj,
        `traffic[${i}]`,
        i,
        rawType as MessageScenarioTraffic["type"],
        names,
      );
      if (m !== undefined) {
        claim(m.name, `traffic[${i}].name`, { kind: "traffic", path: `traffic[${i}]` });
        messageTraffic.push(m);
      }
      return;
    }
    const t = checkTraffic(ctx, raw, `traffic[${i}]`, i, durationNs, names, trafficHosts, mtuOfHost);
    if (t !== undefined) {
      claim(t.name, `traffic[${i}].name`, { kind: "traffic", path: `traffic[${i}]` });
      traffic.push(t);
    }
  });

  // A point-to-point host stack serves one message flow: its ranks are 0 and 1.
  const messageFlowOf = new Map<string, string>();
  messageTraffic.forEach((t) => {
    const at = `traffic[${t.index}]`;
    for (const end of ["from", "to"] as const) {
      const host = t[end];
      const prior = messageFlowOf.get(host);
      if (prior !== undefined) {
        ctx.error(
          `${at}.${end}`,
          `${host} already takes part in ${prior}; a host stack is point to point (ranks 0 and 1), so a host takes part in one message flow`,
        );
      } else messageFlowOf.set(host, `${at} (${t.name})`);
    }
  });

  // A transport flow owns its server port: TCP ports (tcp-bulk, rpc) and UDP ports (nak-bulk,
  // and the ports UDP traffic binds) are separate spaces, as on a real host.
  const portOwner = new Map<string, string>();
  traffic.forEach((t, i) => {
    if (isTransportTraffic(t)) return;
    if (t.to.host !== undefined) portOwner.set(`udp:${t.to.host}:${t.dstPort}`, `traffic[${i}] (${t.name})`);
    portOwner.set(`udp:${t.from}:${t.srcPort}`, `traffic[${i}] (${t.name})`);
  });
  traffic.forEach((t, i) => {
    if (!isTransportTraffic(t)) return;
    const key = `${t.type === "nak-bulk" ? "udp" : "tcp"}:${t.to.host}:${t.port}`;
    const prior = portOwner.get(key);
    if (prior !== undefined)
      ctx.error(
        `traffic[${i}].port`,
        `${t.type === "nak-bulk" ? "UDP" : "TCP"} port ${t.port} of ${t.to.host} is already used by ${prior}`,
      );
    else portOwner.set(key, `traffic[${i}] (${t.name})`);
  });

  // Outputs ----------------------------------------------------------------------------------
  const outputs: ScenarioOutputs = { json: undefined, csv: undefined, pcap: undefined, report: undefined };
  if (top["outputs"] !== undefined) {
    const o = mapping(ctx, top["outputs"], "outputs", OUTPUT_KEYS);
    if (o !== undefined) {
      for (const k of ["json", "csv", "report"] as const) {
        if (o[k] !== undefined) outputs[k] = nonEmpty(ctx, o[k], `outputs.${k}`);
      }
      if (o["pcap"] !== undefined) {
        const pc = mapping(ctx, o["pcap"], "outputs.pcap", PCAP_KEYS, ["dir"]);
        if (pc !== undefined) {
          const dir = pc["dir"] === undefined ? undefined : nonEmpty(ctx, pc["dir"], "outputs.pcap.dir");
          let ports: "all" | ScenarioEndpoint[] | undefined = "all";
          if (pc["ports"] !== undefined && pc["ports"] !== "all") {
            if (!Array.isArray(pc["ports"])) {
              ports = ctx.error("outputs.pcap.ports", `expected "all" or a list of ports, got ${show(pc["ports"])}`);
            } else {
              const eps: ScenarioEndpoint[] = [];
              pc["ports"].forEach((x, j) => {
                const e = endpoint(x, `outputs.pcap.ports[${j}]`);
                if (e !== undefined) eps.push(e);
              });
              ports = eps;
            }
          }
          if (dir !== undefined && ports !== undefined) outputs.pcap = { dir, ports };
        }
      }
    }
  }

  // Partitions -------------------------------------------------------------------------------
  let partitions: string[][] | undefined;
  if (top["partitions"] !== undefined)
    partitions = checkPartitions(ctx, top["partitions"], names, links, segments, messageTraffic);

  return {
    name: scenarioName,
    seed,
    durationNs,
    hosts,
    stackHosts,
    switches,
    routers,
    segments,
    links,
    atm,
    traffic,
    messageTraffic,
    outputs,
    partitions,
    parameters,
    parameterRefs,
    source,
    baseDir: source === undefined ? undefined : dirname(source),
  };
}

function nonEmpty(ctx: Ctx, v: unknown, path: string): string | undefined {
  const s = str(ctx, v, path);
  if (s === "") return ctx.error(path, "expected a path, got an empty string");
  return s;
}

function checkStack(ctx: Ctx, v: unknown, path: string): HostStackOptions {
  const d = SCENARIO_DEFAULTS.stack;
  const o = v === undefined ? {} : (mapping(ctx, v, path, STACK_KEYS) ?? {});
  return {
    ttl: int(ctx, o["ttl"], `${path}.ttl`, 1, 255, d.ttl) ?? d.ttl,
    arpTimeoutNs: dur(ctx, o["arpTimeout"], `${path}.arpTimeout`, d.arpTimeoutNs) ?? d.arpTimeoutNs,
    arpQueueLimit: int(ctx, o["arpQueueLimit"], `${path}.arpQueueLimit`, 0, 65536, d.arpQueueLimit) ?? d.arpQueueLimit,
    reassemblyTimeoutNs:
      dur(ctx, o["reassemblyTimeout"], `${path}.reassemblyTimeout`, d.reassemblyTimeoutNs) ?? d.reassemblyTimeoutNs,
    reassemblyLimit:
      bytes(ctx, o["reassemblyLimit"], `${path}.reassemblyLimit`, 0, 1 << 30, d.reassemblyLimit) ?? d.reassemblyLimit,
    maxDatagramSize:
      bytes(ctx, o["maxDatagramSize"], `${path}.maxDatagramSize`, MIN_PAYLOAD, MAX_UDP_PAYLOAD, d.maxDatagramSize) ??
      d.maxDatagramSize,
    mailboxLimit: int(ctx, o["mailboxLimit"], `${path}.mailboxLimit`, 1, 1 << 20, d.mailboxLimit) ?? d.mailboxLimit,
  };
}

/** A host's `hostStack`: configuration, layers and profile, checked as the comparison checks them. */
function checkHostStack(
  ctx: Ctx,
  v: unknown,
  path: string,
  baseDir: string | undefined,
): ScenarioHostStack | undefined {
  const o = mapping(
    ctx,
    v,
    path,
    HOST_STACK_KEYS,
    ["configuration"],
    "a mapping with configuration, layers and profile",
  );
  if (o === undefined || o["configuration"] === undefined) return undefined;
  const report = (at: string, problem: string, onKey = false): void => void ctx.error(at, problem, onKey);
  const choice = checkStackChoice(o["configuration"], o["layers"], `${path}.configuration`, path, report);
  const profileName = o["profile"] ?? SCENARIO_DEFAULTS.hostStack.profile;
  const profile = checkProfileChoice(profileName, `${path}.profile`, baseDir, report);
  if (choice === undefined || profile === undefined) return undefined;
  return { configuration: choice.stack, layers: choice.layers, profileName: profileName as string, profile };
}

/** What IP traffic naming a hostStack host is told. */
function notIp(host: string, type: string): string {
  return `host ${host} runs a host stack (hostStack), not IP, so ${type} traffic cannot reach it (use ping-pong or message-stream)`;
}

function stackText(h: ScenarioHostStack): string {
  return h.layers.length === 0 ? h.configuration : `${h.configuration} [${h.layers.join(", ")}]`;
}

/** ping-pong and message-stream: a message flow between the host stacks of two hostStack hosts. */
function checkMessageTraffic(
  ctx: Ctx,
  raw: Obj,
  p: string,
  index: number,
  type: MessageScenarioTraffic["type"],
  names: Map<string, DeviceEntry>,
): MessageScenarioTraffic | undefined {
  const allowed: readonly string[] = [...MESSAGE_COMMON, ...MESSAGE_EXTRA[type]];
  const o = mapping(ctx, raw, p, ANY_TRAFFIC_KEYS, ["type", "from", "to", "size"]);
  if (o === undefined) return undefined;
  for (const k of Object.keys(o)) {
    if (ANY_TRAFFIC_KEYS.includes(k) && !allowed.includes(k))
      ctx.error(p, `key "${k}" does not apply to traffic of type "${type}"`, true, `${p}.${k}`);
  }
  const n = o["name"] === undefined ? `flow${index}` : name(ctx, o["name"], `${p}.name`);
  const end = (key: "from" | "to"): (DeviceEntry & { name: string }) | undefined => {
    const path = `${p}.${key}`;
    if (o[key] === undefined) return undefined;
    const s = str(ctx, o[key], path);
    if (s === undefined) return undefined;
    const e = names.get(s);
    if (e === undefined) {
      const sug = suggest(
        s,
        [...names].filter(([, x]) => x.stackHost === true).map(([k]) => k),
      );
      return ctx.error(path, `there is no host named "${s}"${sug ? ` (did you mean "${sug}"?)` : ""}`);
    }
    if (e.kind !== "host")
      return ctx.error(path, `"${s}" is a ${e.kind}; ${type} runs between two hosts with a hostStack`);
    if (e.stackHost !== true)
      return ctx.error(path, `host ${s} has no hostStack; ${type} runs between two hosts with a hostStack`);
    return { ...e, name: s };
  };
  const from = end("from");
  const to = end("to");
  if (from !== undefined && to !== undefined && from.name === to.name)
    ctx.error(`${p}.to`, `traffic from ${from.name} to itself`);
  else if (from?.hostStack !== undefined && to?.hostStack !== undefined) {
    const a = from.hostStack;
    const b = to.hostStack;
    if (a.configuration !== b.configuration || a.layers.join() !== b.layers.join()) {
      ctx.error(
        `${p}.to`,
        `${to.name} runs ${stackText(b)} but ${from.name} runs ${stackText(a)}; both ends of a ${type} need the same configuration and layers`,
      );
    }
  }
  const size = o["size"] === undefined ? undefined : bytes(ctx, o["size"], `${p}.size`, 1, MAX_MESSAGE);
  const startNs = dur(ctx, o["start"], `${p}.start`, 0);
  const d = SCENARIO_DEFAULTS.messages;
  const rounds = type === "ping-pong" ? int(ctx, o["rounds"], `${p}.rounds`, 1, 1_000_000, d.rounds) : undefined;
  const count = type === "message-stream" ? int(ctx, o["count"], `${p}.count`, 1, d.maxCount, d.count) : undefined;
  if (
    n === undefined ||
    from === undefined ||
    to === undefined ||
    from.hostStack === undefined ||
    to.hostStack === undefined ||
    size === undefined ||
    startNs === undefined
  ) {
    return undefined;
  }
  if (from.name === to.name) return undefined;
  const common = { name: n, index, from: from.name, to: to.name, size, startNs };
  if (type === "ping-pong") return rounds === undefined ? undefined : { ...common, type, rounds };
  return count === undefined ? undefined : { ...common, type, count };
}

function checkRouting(ctx: Ctx, v: unknown, path: string): ScenarioRouting | undefined {
  const protocols = ["static", "distance-vector"] as const;
  if (v === undefined) return { protocol: "static" };
  const short = typeof v === "string";
  if (short) v = { protocol: v };
  else if (typeof v !== "object" || v === null || Array.isArray(v)) {
    return ctx.error(path, `expected "static", "distance-vector" or a mapping with "protocol", got ${show(v)}`);
  }
  const o = mapping(ctx, v, path, ROUTING_KEYS, ["protocol"]);
  if (o === undefined || o["protocol"] === undefined) return undefined;
  const protocol = oneOf(ctx, o["protocol"], short ? path : `${path}.protocol`, protocols);
  if (protocol === undefined) return undefined;
  if (protocol === "static") {
    for (const k of ["period", "timeout"])
      if (o[k] !== undefined) ctx.error(`${path}.${k}`, `applies to "distance-vector" routing only`);
    return { protocol };
  }
  const periodNs = dur(ctx, o["period"], `${path}.period`, SCENARIO_DEFAULTS.routing.periodNs);
  if (periodNs === 0) return ctx.error(`${path}.period`, "must be longer than 0");
  if (periodNs === undefined) return undefined;
  const timeoutNs = dur(ctx, o["timeout"], `${path}.timeout`, periodNs * SCENARIO_DEFAULTS.routing.timeoutMultiple);
  if (timeoutNs === undefined) return undefined;
  if (timeoutNs <= periodNs)
    return ctx.error(
      `${path}.timeout`,
      `${show(o["timeout"])} must be longer than the period (${show(o["period"] ?? "1s")})`,
    );
  return { protocol, periodNs, timeoutNs };
}

function checkFaults(ctx: Ctx, v: unknown, path: string): ScenarioFaults | undefined {
  const none: ScenarioFaults = { loss: 0, burstLoss: undefined, ber: 0, duplicate: 0, reorder: undefined };
  if (v === undefined) return none;
  const o = mapping(ctx, v, path, FAULT_KEYS);
  if (o === undefined) return undefined;
  const loss = prob(ctx, o["loss"], `${path}.loss`, 0);
  const ber = prob(ctx, o["ber"], `${path}.ber`, 0);
  const duplicate = prob(ctx, o["duplicate"], `${path}.duplicate`, 0);
  let burstLoss: ScenarioFaults["burstLoss"];
  let ok = loss !== undefined && ber !== undefined && duplicate !== undefined;
  if (o["burstLoss"] !== undefined) {
    const bp = `${path}.burstLoss`;
    const b = mapping(ctx, o["burstLoss"], bp, BURST_KEYS, ["p", "r"]);
    if (b === undefined) ok = false;
    else {
      const p = b["p"] === undefined ? undefined : prob(ctx, b["p"], `${bp}.p`, 0);
      const r = b["r"] === undefined ? undefined : prob(ctx, b["r"], `${bp}.r`, 0);
      const lossInBad = prob(ctx, b["lossInBad"], `${bp}.lossInBad`, 1);
      const lossInGood = prob(ctx, b["lossInGood"], `${bp}.lossInGood`, 0);
      if (p === undefined || r === undefined || lossInBad === undefined || lossInGood === undefined) ok = false;
      else burstLoss = { p, r, lossInBad, lossInGood };
    }
  }
  let reorder: ScenarioFaults["reorder"];
  if (o["reorder"] !== undefined) {
    const rp = `${path}.reorder`;
    const r = mapping(ctx, o["reorder"], rp, REORDER_KEYS, ["probability", "delay"]);
    if (r === undefined) ok = false;
    else {
      const probability =
        r["probability"] === undefined ? undefined : prob(ctx, r["probability"], `${rp}.probability`, 0);
      const delayNs = r["delay"] === undefined ? undefined : dur(ctx, r["delay"], `${rp}.delay`);
      if (probability === undefined || delayNs === undefined) ok = false;
      else reorder = { probability, delayNs };
    }
  }
  if (!ok) return undefined;
  return { loss: loss!, burstLoss, ber: ber!, duplicate: duplicate!, reorder };
}

function checkTraffic(
  ctx: Ctx,
  raw: unknown,
  p: string,
  index: number,
  durationNs: number,
  names: Map<string, DeviceEntry>,
  hosts: { name: string; ipN: { addr: number; len: number } }[],
  mtuOf: (host: string) => number,
): ScenarioTraffic | undefined {
  const rawType = typeof raw === "object" && raw !== null && !Array.isArray(raw) ? (raw as Obj)["type"] : undefined;
  if (typeof rawType === "string" && (TRANSPORT_TRAFFIC_TYPES as readonly string[]).includes(rawType)) {
    return checkTransportTraffic(
      ctx,
      raw as Obj,
      p,
      index,
      durationNs,
      rawType as TransportScenarioTraffic["type"],
      names,
      hosts,
      mtuOf,
    );
  }
  const pre = mapping(ctx, raw, p, ALL_TRAFFIC_KEYS, ["type", "from", "to", "size"]);
  if (pre === undefined || pre["type"] === undefined) return undefined;
  // The message types are listed when the value looks like one (the IP types' list stays as it was).
  const messageTypo = typeof pre["type"] === "string" ? suggest(pre["type"], MESSAGE_TRAFFIC_TYPES) : undefined;
  const anyType = oneOf(
    ctx,
    pre["type"],
    `${p}.type`,
    messageTypo !== undefined ? [...TRAFFIC_TYPES, ...MESSAGE_TRAFFIC_TYPES] : TRAFFIC_TYPES,
  );
  if (anyType === undefined) return undefined;
  const type = anyType as UdpTrafficType;
  const allowed = [...TRAFFIC_COMMON, ...TRAFFIC_EXTRA[type]];
  for (const k of Object.keys(pre)) {
    if (ALL_TRAFFIC_KEYS.includes(k) && !allowed.includes(k))
      ctx.error(p, `key "${k}" does not apply to traffic of type "${type}"`, true, `${p}.${k}`);
  }
  for (const k of TRAFFIC_REQUIRED[type])
    if (pre[k] === undefined) ctx.error(p, `missing required key "${k}" (traffic of type "${type}" needs it)`);
  const o = pre;
  const n = o["name"] === undefined ? `flow${index}` : name(ctx, o["name"], `${p}.name`);

  const hostNamed = (s: string, path: string): string | undefined => {
    const e = names.get(s);
    if (e === undefined) {
      const sug = suggest(
        s,
        hosts.map((h) => h.name),
      );
      return ctx.error(path, `there is no host named "${s}"${sug ? ` (did you mean "${sug}"?)` : ""}`);
    }
    if (e.kind !== "host") return ctx.error(path, `"${s}" is a ${e.kind}; traffic runs between hosts`);
    if (e.stackHost === true) return ctx.error(path, notIp(s, type));
    return s;
  };
  const from = o["from"] === undefined ? undefined : str(ctx, o["from"], `${p}.from`);
  const fromHost = from === undefined ? undefined : hostNamed(from, `${p}.from`);
  let to: TrafficDestination | undefined;
  if (o["to"] !== undefined) {
    const s = str(ctx, o["to"], `${p}.to`);
    if (s !== undefined) {
      const a = ipToInt(s);
      if (a !== undefined) {
        const h = hosts.find((x) => x.ipN.addr === a);
        to = { address: s, host: h?.name, multicast: isMulticast(a) };
      } else if (/^[\d.]+$/.test(s)) {
        ctx.error(`${p}.to`, `${show(s)} is not an IPv4 address (like 10.0.0.1)`);
      } else {
        const h = hostNamed(s, `${p}.to`);
        const draft = hosts.find((x) => x.name === h);
        if (h !== undefined && draft !== undefined)
          to = { address: prefixOf(draft.ipN).address, host: h, multicast: false };
      }
    }
  }
  if (to !== undefined && fromHost !== undefined && to.host === fromHost)
    ctx.error(`${p}.to`, `traffic from ${fromHost} to itself`);
  if (to !== undefined && type === "request-response" && to.host === undefined) {
    ctx.error(
      `${p}.to`,
      `request-response needs a host of this scenario to answer, not ${to.multicast ? "a multicast group" : to.address}`,
    );
  }
  const protocol = oneOf(ctx, o["protocol"], `${p}.protocol`, ["udp"] as const, "udp");
  const size = o["size"] === undefined ? undefined : bytes(ctx, o["size"], `${p}.size`, MIN_PAYLOAD, MAX_UDP_PAYLOAD);
  const startNs = dur(ctx, o["start"], `${p}.start`, 0);
  const stopNs = dur(ctx, o["stop"], `${p}.stop`, durationNs);
  if (startNs !== undefined && stopNs !== undefined && stopNs <= startNs && o["stop"] !== undefined) {
    ctx.error(`${p}.stop`, `${show(o["stop"])} is not after start (${show(o["start"] ?? 0)})`);
  }
  const count = o["count"] === undefined ? undefined : int(ctx, o["count"], `${p}.count`, 1, Number.MAX_SAFE_INTEGER);
  const dstPort = int(ctx, o["dstPort"], `${p}.dstPort`, 1, 65535, SCENARIO_DEFAULTS.traffic.dstPort);
  const srcPort = int(
    ctx,
    o["srcPort"],
    `${p}.srcPort`,
    1,
    65535,
    Math.min(65535, SCENARIO_DEFAULTS.traffic.srcPortBase + index),
  );
  const ttl = o["ttl"] === undefined ? undefined : int(ctx, o["ttl"], `${p}.ttl`, 1, 255);
  if (ttl !== undefined && to !== undefined && !to.multicast) {
    ctx.error(
      `${p}.ttl`,
      `ttl applies to traffic to a multicast group, not to ${to.address} (unicast uses the host's stack.ttl)`,
    );
  }
  const hasRate = TRAFFIC_EXTRA[type].includes("rate");
  const rateBps = hasRate && o["rate"] !== undefined ? rate(ctx, o["rate"], `${p}.rate`) : undefined;
  const okRate = !hasRate || o["rate"] === undefined || rateBps !== undefined;

  if (
    n === undefined ||
    fromHost === undefined ||
    to === undefined ||
    protocol === undefined ||
    size === undefined ||
    startNs === undefined ||
    stopNs === undefined ||
    dstPort === undefined ||
    srcPort === undefined ||
    !okRate
  ) {
    // Still check the type's own keys so their errors show up in the same report.
    checkTrafficExtra(ctx, type, o, p);
    return undefined;
  }
  if (o["count"] !== undefined && count === undefined) return undefined;
  if (o["ttl"] !== undefined && (ttl === undefined || !to.multicast)) return undefined;
  const common = {
    name: n,
    from: fromHost,
    to,
    protocol,
    size,
    startNs,
    stopNs,
    count,
    srcPort,
    dstPort,
    ...(ttl !== undefined ? { ttl } : {}),
  };
  const extra = checkTrafficExtra(ctx, type, o, p);
  if (extra === undefined) return undefined;
  switch (type) {
    case "cbr":
    case "poisson":
      if (rateBps === undefined) return undefined;
      return { ...common, type, rateBps };
    case "onoff":
      if (
        rateBps === undefined ||
        extra.onNs === undefined ||
        extra.offNs === undefined ||
        extra.distribution === undefined
      )
        return undefined;
      return { ...common, type, rateBps, onNs: extra.onNs, offNs: extra.offNs, distribution: extra.distribution };
    case "bulk":
      if (extra.total === undefined) return undefined;
      return { ...common, type, total: extra.total, rateBps };
    case "request-response":
      if (extra.responseSize === undefined || extra.timeoutNs === undefined) return undefined;
      return {
        ...common,
        type,
        responseSize: extra.responseSize,
        intervalNs: extra.intervalNs,
        timeoutNs: extra.timeoutNs,
      };
  }
}

/** tcp-bulk, nak-bulk and rpc entries: a unicast transport flow between two scenario hosts. */
function checkTransportTraffic(
  ctx: Ctx,
  raw: Obj,
  p: string,
  index: number,
  durationNs: number,
  type: TransportScenarioTraffic["type"],
  names: Map<string, DeviceEntry>,
  hosts: { name: string; ipN: { addr: number; len: number } }[],
  mtuOf: (host: string) => number,
): ScenarioTraffic | undefined {
  const allowed = [...TRANSPORT_COMMON, ...TRANSPORT_EXTRA[type]];
  const o = mapping(ctx, raw, p, [...new Set([...ALL_TRAFFIC_KEYS, ...allowed])], ["type", "from", "to"]);
  if (o === undefined) return undefined;
  for (const k of Object.keys(o)) {
    if (ALL_TRAFFIC_KEYS.includes(k) && !allowed.includes(k))
      ctx.error(p, `key "${k}" does not apply to traffic of type "${type}"`, true, `${p}.${k}`);
  }
  for (const k of TRANSPORT_REQUIRED[type])
    if (o[k] === undefined) ctx.error(p, `missing required key "${k}" (traffic of type "${type}" needs it)`);
  const n = o["name"] === undefined ? `flow${index}` : name(ctx, o["name"], `${p}.name`);
  const hostNamed = (v: unknown, path: string): string | undefined => {
    const s = str(ctx, v, path);
    if (s === undefined) return undefined;
    const a = ipToInt(s);
    const byAddress = a === undefined ? undefined : hosts.find((x) => x.ipN.addr === a);
    if (byAddress !== undefined) return byAddress.name;
    if (a !== undefined)
      return ctx.error(
        path,
        `${s} is not the address of a host of this scenario (${type} runs between two of its hosts)`,
      );
    const e = names.get(s);
    if (e === undefined) {
      const sug = suggest(
        s,
        hosts.map((h) => h.name),
      );
      return ctx.error(path, `there is no host named "${s}"${sug ? ` (did you mean "${sug}"?)` : ""}`);
    }
    if (e.kind !== "host") return ctx.error(path, `"${s}" is a ${e.kind}; traffic runs between hosts`);
    if (e.stackHost === true) return ctx.error(path, notIp(s, type));
    return s;
  };
  const from = o["from"] === undefined ? undefined : hostNamed(o["from"], `${p}.from`);
  const toHost = o["to"] === undefined ? undefined : hostNamed(o["to"], `${p}.to`);
  if (from !== undefined && toHost !== undefined && from === toHost)
    ctx.error(`${p}.to`, `traffic from ${from} to itself`);
  const toDraft = hosts.find((h) => h.name === toHost);
  const port = int(
    ctx,
    o["port"],
    `${p}.port`,
    1,
    65535,
    Math.min(65535, SCENARIO_DEFAULTS.transport.portBase + index),
  );
  const startNs = dur(ctx, o["start"], `${p}.start`, 0);
  const stopNs = dur(ctx, o["stop"], `${p}.stop`, durationNs);
  if (startNs !== undefined && stopNs !== undefined && stopNs <= startNs && o["stop"] !== undefined) {
    ctx.error(`${p}.stop`, `${show(o["stop"])} is not after start (${show(o["start"] ?? 0)})`);
  }
  const mtu = from === undefined ? SCENARIO_DEFAULTS.link.mtu : mtuOf(from);
  const tcp = type === "nak-bulk" ? {} : checkTcpOptions(ctx, o["tcp"], `${p}.tcp`, mtu);
  const nak = type === "nak-bulk" ? checkNakOptions(ctx, o["nak"], `${p}.nak`, mtu) : undefined;
  const bytesTotal =
    o["bytes"] === undefined ? undefined : bytes(ctx, o["bytes"], `${p}.bytes`, 1, Number.MAX_SAFE_INTEGER);
  if (
    n === undefined ||
    from === undefined ||
    toHost === undefined ||
    toDraft === undefined ||
    port === undefined ||
    startNs === undefined ||
    stopNs === undefined ||
    tcp === undefined
  ) {
    return undefined;
  }
  if (o["bytes"] !== undefined && bytesTotal === undefined) return undefined;
  const common = {
    name: n,
    from,
    to: { address: prefixOf(toDraft.ipN).address, host: toHost, multicast: false },
    port,
    startNs,
    stopNs,
  };
  if (type === "tcp-bulk") return { ...common, type, bytes: bytesTotal, tcp };
  if (type === "nak-bulk") return nak === undefined ? undefined : { ...common, type, bytes: bytesTotal, nak };
  const count = o["count"] === undefined ? undefined : int(ctx, o["count"], `${p}.count`, 1, Number.MAX_SAFE_INTEGER);
  const intervalNs = o["interval"] === undefined ? undefined : dur(ctx, o["interval"], `${p}.interval`);
  if (intervalNs === 0) ctx.error(`${p}.interval`, "must be longer than 0");
  const requestSize = o["size"] === undefined ? undefined : bytes(ctx, o["size"], `${p}.size`, 0, MAX_RPC_BODY);
  const responseSize =
    o["responseSize"] === undefined ? undefined : bytes(ctx, o["responseSize"], `${p}.responseSize`, 0, MAX_RPC_BODY);
  const timeoutNs = dur(ctx, o["timeout"], `${p}.timeout`, SCENARIO_DEFAULTS.traffic.timeoutNs);
  if (timeoutNs === 0) ctx.error(`${p}.timeout`, "must be longer than 0");
  const retries = int(ctx, o["retries"], `${p}.retries`, 0, 1000, SCENARIO_DEFAULTS.transport.retries);
  const maxOutstanding = int(
    ctx,
    o["maxOutstanding"],
    `${p}.maxOutstanding`,
    1,
    1 << 16,
    SCENARIO_DEFAULTS.transport.maxOutstanding,
  );
  if ((o["count"] !== undefined && count === undefined) || (o["interval"] !== undefined && !intervalNs))
    return undefined;
  if (
    requestSize === undefined ||
    responseSize === undefined ||
    !timeoutNs ||
    retries === undefined ||
    maxOutstanding === undefined
  )
    return undefined;
  return { ...common, type, count, intervalNs, requestSize, responseSize, timeoutNs, retries, maxOutstanding, tcp };
}

/** Largest RPC request or response body in a scenario (the RPC layer's default maxMessageBytes). */
const MAX_RPC_BODY = 65_536;

function bool(ctx: Ctx, v: unknown, path: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") return ctx.error(path, `expected true or false, got ${show(v)}`);
  return v;
}

/** The `tcp` options of tcp-bulk and rpc traffic, with the ranges TcpConnection accepts. */
function checkTcpOptions(ctx: Ctx, v: unknown, path: string, mtu: number): ScenarioTcpOptions | undefined {
  if (v === undefined) return {};
  const o = mapping(ctx, v, path, TCP_KEYS);
  if (o === undefined) return undefined;
  const before = ctx.issues.length;
  const out: ScenarioTcpOptions = {};
  const set = <K extends keyof ScenarioTcpOptions>(k: K, x: ScenarioTcpOptions[K] | undefined): void => {
    if (x !== undefined) out[k] = x;
  };
  set("sendBuffer", bytes(ctx, o["sendBuffer"], `${path}.sendBuffer`, 1, 1 << 30));
  set("receiveBuffer", bytes(ctx, o["receiveBuffer"], `${path}.receiveBuffer`, 1, 1 << 30));
  set("lowWater", bytes(ctx, o["lowWater"], `${path}.lowWater`, 0, out.sendBuffer ?? 256 * 1024));
  set("mss", bytes(ctx, o["mss"], `${path}.mss`, 64, mtu - 40));
  set("noDelay", bool(ctx, o["noDelay"], `${path}.noDelay`));
  const delayedAck = dur(ctx, o["delayedAck"], `${path}.delayedAck`);
  if (delayedAck !== undefined && delayedAck > 500_000_000)
    ctx.error(`${path}.delayedAck`, `${show(o["delayedAck"])} is longer than 500ms (RFC 1122 4.2.3.2)`);
  else set("delayedAck", delayedAck);
  set("ackEvery", int(ctx, o["ackEvery"], `${path}.ackEvery`, 1, 64));
  set("sack", bool(ctx, o["sack"], `${path}.sack`));
  set("windowScale", bool(ctx, o["windowScale"], `${path}.windowScale`));
  set("initialWindow", int(ctx, o["initialWindow"], `${path}.initialWindow`, 1, 1024));
  for (const k of ["minRto", "maxRto", "initialRto", "timeWait"] as const) {
    const x = dur(ctx, o[k], `${path}.${k}`);
    if (x === 0 && k !== "timeWait") ctx.error(`${path}.${k}`, "must be longer than 0");
    else set(k, x);
  }
  const minRto = out.minRto ?? 1e9;
  const maxRto = out.maxRto ?? 60e9;
  if (o["maxRto"] !== undefined && out.maxRto !== undefined && maxRto < minRto)
    ctx.error(`${path}.maxRto`, `${show(o["maxRto"])} is shorter than minRto`);
  if (out.initialRto !== undefined && (out.initialRto < minRto || out.initialRto > maxRto)) {
    ctx.error(`${path}.initialRto`, `${show(o["initialRto"])} is not between minRto and maxRto`);
  }
  set("maxRetries", int(ctx, o["maxRetries"], `${path}.maxRetries`, 1, 100));
  set("synRetries", int(ctx, o["synRetries"], `${path}.synRetries`, 1, 100));
  if (o["keepAlive"] !== undefined) {
    const kp = `${path}.keepAlive`;
    const k = mapping(ctx, o["keepAlive"], kp, KEEPALIVE_KEYS);
    if (k !== undefined) {
      const ka: NonNullable<ScenarioTcpOptions["keepAlive"]> = {};
      for (const key of ["idle", "interval"] as const) {
        const x = dur(ctx, k[key], `${kp}.${key}`);
        if (x === 0) ctx.error(`${kp}.${key}`, "must be longer than 0");
        else if (x !== undefined) ka[key] = x;
      }
      const c = int(ctx, k["count"], `${kp}.count`, 1, 1000);
      if (c !== undefined) ka.count = c;
      out.keepAlive = ka;
    }
  }
  if (o["burst"] !== undefined) {
    const b = mapping(ctx, o["burst"], `${path}.burst`, BURST_TRAIN_KEYS, ["train"]);
    const train =
      b === undefined || b["train"] === undefined ? undefined : int(ctx, b["train"], `${path}.burst.train`, 2, 1024);
    if (train !== undefined) out.burst = { train };
  }
  return ctx.issues.length === before ? out : undefined;
}

/** The `nak` options of nak-bulk traffic (NakSender/NakReceiver ranges). */
function checkNakOptions(ctx: Ctx, v: unknown, path: string, mtu: number): ScenarioNakOptions | undefined {
  const out: ScenarioNakOptions = { rate: {} };
  if (v === undefined) return out;
  const o = mapping(ctx, v, path, NAK_KEYS);
  if (o === undefined) return undefined;
  const before = ctx.issues.length;
  // 20 (IPv4) + 8 (UDP) + 20 (NAK header) in front of every segment.
  const seg = bytes(ctx, o["segmentSize"], `${path}.segmentSize`, 1, mtu - 48);
  if (seg !== undefined) out.segmentSize = seg;
  for (const k of ["sendBuffer", "receiveWindow"] as const) {
    const b = bytes(ctx, o[k], `${path}.${k}`, 4096, 1 << 30);
    if (b !== undefined && (b & (b - 1)) !== 0)
      ctx.error(`${path}.${k}`, `${show(o[k])} is not a power of two (like 1MiB)`);
    else if (b !== undefined) out[k] = b;
  }
  const peer = bytes(ctx, o["initialPeerWindow"], `${path}.initialPeerWindow`, 1, 1 << 30);
  if (peer !== undefined) out.initialPeerWindow = peer;
  const overhead = bytes(ctx, o["overheadBytes"], `${path}.overheadBytes`, 0, 1024);
  if (overhead !== undefined) out.overheadBytes = overhead;
  const timeout = dur(ctx, o["timeout"], `${path}.timeout`);
  if (timeout === 0) ctx.error(`${path}.timeout`, "must be longer than 0");
  else if (timeout !== undefined) out.timeoutNs = timeout;
  if (o["rate"] !== undefined) {
    const rp = `${path}.rate`;
    const r = mapping(ctx, o["rate"], rp, NAK_RATE_KEYS);
    if (r !== undefined) {
      const initialBps = rate(ctx, r["initial"], `${rp}.initial`);
      const minBps = rate(ctx, r["min"], `${rp}.min`);
      const maxBps = rate(ctx, r["max"], `${rp}.max`);
      const lo = minBps ?? 100e3;
      const hi = maxBps ?? 1e9;
      if (hi < lo) ctx.error(`${rp}.max`, `${show(r["max"] ?? "1Gbps")} is below min (${show(r["min"] ?? "100kbps")})`);
      const init = initialBps ?? Math.min(hi, Math.max(lo, 10e6));
      if (initialBps !== undefined && (init < lo || init > hi))
        ctx.error(`${rp}.initial`, `${show(r["initial"])} is not between min and max`);
      const windowPackets = int(ctx, r["windowPackets"], `${rp}.windowPackets`, 1, 1 << 20);
      const upper =
        r["upperThreshold"] === undefined ? undefined : prob(ctx, r["upperThreshold"], `${rp}.upperThreshold`, 0);
      const lower =
        r["lowerThreshold"] === undefined ? undefined : prob(ctx, r["lowerThreshold"], `${rp}.lowerThreshold`, 0);
      if (lower !== undefined || upper !== undefined) {
        if ((lower ?? 0.06) > (upper ?? 0.15))
          ctx.error(`${rp}.lowerThreshold`, `${lower ?? 0.06} is above the upper threshold (${upper ?? 0.15})`);
      }
      out.rate = {
        ...(initialBps !== undefined ? { initialBps } : {}),
        ...(minBps !== undefined ? { minBps } : {}),
        ...(maxBps !== undefined ? { maxBps } : {}),
        ...(windowPackets !== undefined ? { windowPackets } : {}),
        ...(upper !== undefined ? { upperThreshold: upper } : {}),
        ...(lower !== undefined ? { lowerThreshold: lower } : {}),
      };
    }
  }
  return ctx.issues.length === before ? out : undefined;
}

interface TrafficExtra {
  onNs?: number;
  offNs?: number;
  distribution?: "exponential" | "fixed";
  total?: number;
  responseSize?: number;
  intervalNs?: number;
  timeoutNs?: number;
}

function checkTrafficExtra(ctx: Ctx, type: UdpTrafficType, o: Obj, p: string): TrafficExtra | undefined {
  const x: TrafficExtra = {};
  let ok = true;
  const need = <T>(v: T | undefined, given: unknown): T | undefined => {
    if (given !== undefined && v === undefined) ok = false;
    return v;
  };
  if (type === "onoff") {
    x.onNs = need(o["on"] === undefined ? undefined : dur(ctx, o["on"], `${p}.on`), o["on"]);
    x.offNs = need(o["off"] === undefined ? undefined : dur(ctx, o["off"], `${p}.off`), o["off"]);
    if (x.onNs === 0) ok = !!ctx.error(`${p}.on`, "must be longer than 0");
    x.distribution = need(
      oneOf(ctx, o["distribution"], `${p}.distribution`, ["exponential", "fixed"] as const, "exponential"),
      o["distribution"],
    );
  } else if (type === "bulk") {
    x.total = need(
      o["total"] === undefined ? undefined : bytes(ctx, o["total"], `${p}.total`, 1, Number.MAX_SAFE_INTEGER),
      o["total"],
    );
  } else if (type === "request-response") {
    x.responseSize = need(
      o["responseSize"] === undefined
        ? undefined
        : bytes(ctx, o["responseSize"], `${p}.responseSize`, MIN_PAYLOAD, MAX_UDP_PAYLOAD),
      o["responseSize"],
    );
    x.intervalNs = need(
      o["interval"] === undefined ? undefined : dur(ctx, o["interval"], `${p}.interval`),
      o["interval"],
    );
    if (x.intervalNs === 0) ok = !!ctx.error(`${p}.interval`, "must be longer than 0");
    x.timeoutNs = need(dur(ctx, o["timeout"], `${p}.timeout`, SCENARIO_DEFAULTS.traffic.timeoutNs), o["timeout"]);
  }
  return ok ? x : undefined;
}

function checkPartitions(
  ctx: Ctx,
  v: unknown,
  names: Map<string, DeviceEntry>,
  links: ScenarioLink[],
  segments: ScenarioSegment[],
  messages: MessageScenarioTraffic[],
): string[][] | undefined {
  const parts = list(ctx, v, "partitions");
  if (parts === undefined) return undefined;
  if (parts.length === 0) return ctx.error("partitions", "expected at least one partition (or leave the key out)");
  const where = new Map<string, number>();
  const out: string[][] = [];
  let ok = true;
  parts.forEach((rawPart, i) => {
    const pp = `partitions[${i}]`;
    const members = list(ctx, rawPart, pp);
    if (members === undefined) return (ok = false);
    if (members.length === 0) ctx.error(pp, "a partition needs at least one device");
    const part: string[] = [];
    members.forEach((m, j) => {
      const mp = `${pp}[${j}]`;
      const s = str(ctx, m, mp);
      if (s === undefined) return (ok = false);
      const e = names.get(s);
      if (e === undefined || !["host", "switch", "router"].includes(e.kind)) {
        ok = false;
        return ctx.error(mp, `there is no device named "${s}"`);
      }
      const prior = where.get(s);
      if (prior !== undefined) {
        ok = false;
        return ctx.error(mp, `"${s}" is already in partitions[${prior}]`);
      }
      where.set(s, i);
      part.push(s);
    });
    out.push(part);
  });
  if (!ok) return undefined;
  for (const [n, e] of names) {
    if ((e.kind === "host" || e.kind === "switch" || e.kind === "router") && !where.has(n)) {
      ctx.error("partitions", `device "${n}" is in no partition (list every host, switch and router)`);
    }
  }
  // Conservative windows advance by the cut links' delay: a zero-delay cut allows no progress.
  for (const l of links) {
    const pa = where.get(l.a.device);
    const pb = where.get(l.b.device);
    if (pa !== undefined && pb !== undefined && pa !== pb && l.delayNs === 0) {
      ctx.error(
        "partitions",
        `link ${l.name} has no delay, so it cannot join partitions ${pa} and ${pb} (give it a delay or keep its ends together)`,
      );
    }
  }
  for (const s of segments) {
    const ps = new Set(s.stations.map((e) => where.get(e.device)));
    if (ps.size > 1)
      ctx.error(
        "partitions",
        `segment ${s.name} has stations in partitions ${[...ps].join(" and ")}; a shared medium cannot be cut`,
      );
  }
  for (const t of messages) {
    const pa = where.get(t.from);
    const pb = where.get(t.to);
    if (pa !== undefined && pb !== undefined && pa !== pb) {
      ctx.error(
        "partitions",
        `${t.name} runs between ${t.from} (partitions[${pa}]) and ${t.to} (partitions[${pb}]); the two stacks of a message flow run as one, keep them in one partition`,
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The JSON Schema (src/scenario/scenario.schema.json), made into a validator once, on first use.

let schemaValidator: ValidateFunction | undefined;
let schemaValidatorSource: ValidatorSource | undefined;

/** Path of scenario.schema.json: beside this file in src/, or in src/ of the package from dist/. */
export function scenarioSchemaPath(): string {
  const beside = join(dirname(fileURLToPath(import.meta.url)), "scenario.schema.json");
  if (existsSync(beside)) return beside;
  const root = packageRoot(import.meta.url);
  const inSources = root === undefined ? undefined : join(root, "src", "scenario", "scenario.schema.json");
  if (inSources !== undefined && existsSync(inSources)) return inSources;
  throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "cannot find scenario.schema.json from " + import.meta.url);
}

/** The scenario JSON Schema as an object. */
export function scenarioSchema(): Obj {
  return JSON.parse(readFileSync(scenarioSchemaPath(), "utf8")) as Obj;
}

/**
 * The schema of the `atm` section (scenario-atm.schema.json beside the main one, which refers
 * to it by relative $ref): add it to a validator before compiling scenarioSchema().
 */
export function scenarioAtmSchema(): Obj {
  return JSON.parse(readFileSync(scenarioAtmSchemaPath(), "utf8")) as Obj;
}

/** Path of scenario-atm.schema.json, beside the main schema. */
export function scenarioAtmSchemaPath(): string {
  return join(dirname(scenarioSchemaPath()), "scenario-atm.schema.json");
}

/** The schema's validate function: the build's precompiled one while the schemas are unchanged. */
function loadSchemaValidator(): ValidateFunction {
  if (schemaValidator === undefined) {
    const made = scenarioValidator(
      readFileSync(scenarioSchemaPath(), "utf8"),
      readFileSync(scenarioAtmSchemaPath(), "utf8"),
      packageRoot(import.meta.url),
    );
    schemaValidator = made.validate;
    schemaValidatorSource = made.source;
  }
  return schemaValidator;
}

/** Where this process's schema validator came from (see schema-validator.ts); loads it if needed. */
export function scenarioValidatorSource(): ValidatorSource {
  loadSchemaValidator();
  return schemaValidatorSource!;
}

function checkSchema(ctx: Ctx, document: unknown): void {
  const validate = loadSchemaValidator();
  if (validate(document)) return;
  // Reaching here means the schema is stricter than the checks above: report it rather than
  // accept a file that editors would flag.
  for (const e of validate.errors ?? []) {
    const path = e.instancePath
      .split("/")
      .slice(1)
      .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s.replace(/~1/g, "/").replace(/~0/g, "~")}`))
      .join("")
      .replace(/^\./, "");
    ctx.error(path, `${e.message ?? "is invalid"} (schema)`);
  }
}
