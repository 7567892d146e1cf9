// Host CPU cost model: virtual CPUs that host protocol stacks run on, and the profiles that say
// what each stack operation costs in virtual time.
//
// Contract:
// - A HostCpu has `cpus` virtual CPUs and one bounded FIFO of jobs (CPU_QUEUE default 1024).
//   submit(client, kind, a, b) queues a job; it starts when a CPU is free (earliest-free CPU,
//   lowest index on ties), in submission order. A job that finds the queue full is refused:
//   counted (cpu.stats().drops) and submit() returns false, so the caller still owns what a/b
//   name (a frame: release it, and count it where the caller counts drops).
// - Running a job: client.runJob(kind, a, b) runs at the job's start time and charges what it
//   does through charge*(); the CPU is then busy for the sum. Effects the job produces (a frame
//   to the NIC, a message to the application) must happen at start + `elapsed` at the moment
//   they were produced: the client schedules them with delay cpu.elapsed (see deferDelay()).
//   So a frame sent after 80 us of protocol work leaves 80 us after the job started, and the
//   next job waits for the whole cost, as on a real CPU.
// - Jobs start from a scheduler event (EV_CPU_RUN on the CPU's own device id), never inside
//   submit(): a job never runs nested inside another job or inside a caller's event.
// - Accounting per operation kind (CpuOp): total virtual ns and number of charges; per CPU the
//   busy ns; jobs run, refused, queue wait (total, max) and queue high water.
// - No allocation per job or charge: the queue is a ring of typed arrays; clients are
//   registered once (addClient) and named by index.
// - Profiles (CpuProfile): plain data; bundled ones in src/stacks/profiles/*.yaml. Errors name
//   the file and the field.
// - Not modelled: preemption (an interrupt waits for the running job), caches, CPU affinity.

import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import { parseByteSize, parseDuration } from "../base/units.js";
import type { EventHandler } from "../engine/scheduler.js";
import type { Simulation } from "../engine/simulation.js";

/** Operation kinds the model charges (indexes of the accounting arrays). */
export const CpuOp = {
  SYSTEM_CALL: 0,
  LAYER_CROSSING: 1,
  COPY: 2,
  CHECKSUM: 3,
  INTERRUPT: 4,
  CONTEXT_SWITCH: 5,
  PAGE_REMAP: 6,
  HANDLER_DISPATCH: 7,
  DRIVER: 8,
} as const;
export type CpuOp = (typeof CpuOp)[keyof typeof CpuOp];
export const CPU_OP_COUNT = 9;
/** Report names of CpuOp values (same order). */
export const CPU_OP_NAMES = [
  "systemCall",
  "layerCrossing",
  "copy",
  "checksum",
  "interrupt",
  "contextSwitch",
  "pageRemap",
  "handlerDispatch",
  "driver",
] as const;
export type CpuOpName = (typeof CPU_OP_NAMES)[number];

/**
 * A validated profile: fixed costs in integer ns, per-byte costs in ns (fractional; files give
 * them as a bandwidth in MB/s, 10^6 bytes per second). Bundled: workstation-1995 and server-2025
 * in src/stacks/profiles/*.yaml (copy one and edit it; loadCpuProfile(path) reads it back,
 * parseCpuProfile(object, source) validates an object).
 */
export interface CpuProfile {
  name: string;
  description: string;
  cpus: number;
  /** Bytes per page for page remapping. */
  pageBytes: number;
  systemCallNs: number;
  layerCrossingNs: number;
  /**
   * The protocol-state part of a layer crossing (sequence numbers, windows, rings) without the
   * header work and the call through the layer interface: what the Horus protocol
   * accelerator's post-processing runs per layer (optional in files; default: a whole crossing).
   */
  layerStateNs: number;
  interruptNs: number;
  contextSwitchNs: number;
  /** Per page remapped (a cached fbuf mapping: protection bits flipped, TLB entry dropped). */
  pageRemapNs: number;
  handlerDispatchNs: number;
  /** Per frame handed to or taken from the NIC (descriptor, DMA setup). */
  driverNs: number;
  /** Fixed part of a copy (call, alignment) and per-byte part. */
  copyCallNs: number;
  copyNsPerByte: number;
  checksumCallNs: number;
  checksumNsPerByte: number;
}

/** Names of the bundled profiles. */
export const BUNDLED_PROFILES = ["workstation-1995", "server-2025"] as const;
export type BundledProfileName = (typeof BUNDLED_PROFILES)[number];

const FIXED_FIELDS = [
  ["systemCall", "systemCallNs"],
  ["layerCrossing", "layerCrossingNs"],
  ["interrupt", "interruptNs"],
  ["contextSwitch", "contextSwitchNs"],
  ["pageRemap", "pageRemapNs"],
  ["handlerDispatch", "handlerDispatchNs"],
  ["driver", "driverNs"],
] as const;
const RATE_FIELDS = [
  ["copy", "copyCallNs", "copyNsPerByte"],
  ["checksum", "checksumCallNs", "checksumNsPerByte"],
] as const;
const TOP_KEYS = ["name", "description", "cpus", "pageBytes", "costs"];
/** Optional costs: `layerState` defaults to the whole layer crossing. */
const COST_KEYS = [...FIXED_FIELDS.map((f) => f[0]), "layerState", ...RATE_FIELDS.map((f) => f[0])];

function profileError(source: string, path: string, message: string): NetloomError {
  return new NetloomError(ErrorCode.INVALID_ARGUMENT, message, { path: `${source}: ${path}` });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], source: string, where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      throw profileError(
        source,
        where === "" ? k : `${where}.${k}`,
        `unknown field (expected one of ${allowed.join(", ")})`,
      );
    }
  }
}

/** A duration field as integer ns >= 0, the error naming `source: path`. */
function durationField(value: unknown, source: string, path: string): number {
  if (value === undefined) throw profileError(source, path, 'is missing (a duration such as "40us" or ns)');
  let ns: number;
  try {
    ns = parseDuration(value, path);
  } catch (e) {
    throw profileError(source, path, e instanceof NetloomError ? e.message.replace(`${path}: `, "") : String(e));
  }
  if (!Number.isInteger(ns) || ns < 0)
    throw profileError(source, path, `${String(value)} is not a whole number of ns >= 0`);
  return ns;
}

/**
 * Validates a profile object (as read from YAML/JSON). `source` names where it came from (a
 * file path) and prefixes every error: `my.yaml: costs.copy.MBps: ...`.
 */
export function parseCpuProfile(value: unknown, source = "profile"): CpuProfile {
  if (!isRecord(value))
    throw profileError(source, "(top)", "a profile is an object with name, cpus, pageBytes and costs");
  checkKeys(value, TOP_KEYS, source, "");
  const name = value.name;
  if (typeof name !== "string" || name.length === 0) throw profileError(source, "name", "must be a non-empty string");
  const description = value.description ?? "";
  if (typeof description !== "string") throw profileError(source, "description", "must be a string");
  const cpus = value.cpus;
  if (typeof cpus !== "number" || !Number.isInteger(cpus) || cpus < 1 || cpus > 1024) {
    throw profileError(source, "cpus", `${JSON.stringify(cpus)} is not a CPU count (an integer 1 to 1024)`);
  }
  let pageBytes: number;
  try {
    pageBytes = parseByteSize(value.pageBytes ?? 4096, "pageBytes");
  } catch (e) {
    throw profileError(
      source,
      "pageBytes",
      e instanceof NetloomError ? e.message.replace("pageBytes: ", "") : String(e),
    );
  }
  if (!Number.isInteger(pageBytes) || pageBytes < 512 || (pageBytes & (pageBytes - 1)) !== 0) {
    throw profileError(source, "pageBytes", `${String(value.pageBytes)} is not a page size (a power of two >= 512)`);
  }
  const costs = value.costs;
  if (!isRecord(costs)) throw profileError(source, "costs", "is missing or not an object of operation costs");
  checkKeys(costs, COST_KEYS, source, "costs");
  const p: Record<string, number> = {};
  for (const [key, field] of FIXED_FIELDS) p[field] = durationField(costs[key], source, `costs.${key}`);
  p["layerStateNs"] =
    costs["layerState"] === undefined
      ? p["layerCrossingNs"]!
      : durationField(costs["layerState"], source, "costs.layerState");
  if (p["layerStateNs"]! > p["layerCrossingNs"]!) {
    throw profileError(
      source,
      "costs.layerState",
      "is more than a whole layer crossing (layerState is the protocol-state part of one)",
    );
  }
  for (const [key, callField, byteField] of RATE_FIELDS) {
    const c = costs[key];
    const path = `costs.${key}`;
    if (!isRecord(c))
      throw profileError(source, path, "is missing (an object { perCall: <duration>, MBps: <number> })");
    checkKeys(c, ["perCall", "MBps"], source, path);
    p[callField] = durationField(c.perCall ?? 0, source, `${path}.perCall`);
    const mbps = c.MBps;
    if (typeof mbps !== "number" || !Number.isFinite(mbps) || mbps <= 0) {
      throw profileError(source, `${path}.MBps`, `${JSON.stringify(mbps)} is not a bandwidth in MB/s (a number > 0)`);
    }
    p[byteField] = 1000 / mbps;
  }
  return {
    name,
    description,
    cpus,
    pageBytes,
    systemCallNs: p.systemCallNs!,
    layerCrossingNs: p.layerCrossingNs!,
    layerStateNs: p.layerStateNs!,
    interruptNs: p.interruptNs!,
    contextSwitchNs: p.contextSwitchNs!,
    pageRemapNs: p.pageRemapNs!,
    handlerDispatchNs: p.handlerDispatchNs!,
    driverNs: p.driverNs!,
    copyCallNs: p.copyCallNs!,
    copyNsPerByte: p.copyNsPerByte!,
    checksumCallNs: p.checksumCallNs!,
    checksumNsPerByte: p.checksumNsPerByte!,
  };
}

/** Parses profile text (YAML, of which JSON is a subset); errors name `source`. */
export function parseCpuProfileText(text: string, source = "profile"): CpuProfile {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    throw profileError(source, "(syntax)", e instanceof Error ? e.message.split("\n")[0]! : String(e));
  }
  return parseCpuProfile(value, source);
}

/** Where a bundled profile's file is (beside this module, or in src/ when running from dist/). */
export function bundledProfilePath(name: BundledProfileName): string {
  const here = new URL(`./profiles/${name}.yaml`, import.meta.url);
  if (existsSync(here)) return fileURLToPath(here);
  return fileURLToPath(new URL(`../../../src/stacks/profiles/${name}.yaml`, import.meta.url));
}

const bundledCache = new Map<string, CpuProfile>();

/** A bundled profile by name, or a profile file by path (YAML or JSON). */
export function loadCpuProfile(nameOrPath: string): CpuProfile {
  if ((BUNDLED_PROFILES as readonly string[]).includes(nameOrPath)) {
    const cached = bundledCache.get(nameOrPath);
    if (cached !== undefined) return cached;
    const profile = loadCpuProfile(bundledProfilePath(nameOrPath as BundledProfileName));
    bundledCache.set(nameOrPath, profile);
    return profile;
  }
  if (!nameOrPath.includes("/") && !nameOrPath.includes(".")) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `"${nameOrPath}" is not a bundled profile (${BUNDLED_PROFILES.join(", ")}) or a file path`,
      { path: "profile" },
    );
  }
  let text: string;
  try {
    text = readFileSync(nameOrPath, "utf8");
  } catch (e) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `cannot read the profile file (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      {
        path: nameOrPath,
      },
    );
  }
  return parseCpuProfileText(text, nameOrPath);
}

/** Runs the jobs of one client of a HostCpu (a protocol stack). */
export interface CpuClient {
  /** Runs job (kind, a, b) now; charges its work on the cpu. */
  runJob(kind: number, a: number, b: number): void;
  /** A job was refused (queue full) or discarded (destroy): release what a/b hold. */
  dropJob(kind: number, a: number, b: number): void;
}

export interface HostCpuOptions {
  /** Jobs waiting at most (default 1024). */
  queueLimit?: number;
}

export interface CpuOpStats {
  ns: number;
  count: number;
}

export interface HostCpuStats {
  profile: string;
  cpus: number;
  jobs: number;
  drops: number;
  queueLength: number;
  queueHighWater: number;
  waitNsTotal: number;
  waitNsMax: number;
  busyNs: number[];
  /** Virtual CPU time by operation. */
  ops: Record<CpuOpName, CpuOpStats>;
}

/** EV kind of the CPU's own "start jobs" event. */
export const EV_CPU_RUN = 16;
export const DEFAULT_CPU_QUEUE = 1024;

export class HostCpu implements EventHandler {
  readonly id: number;
  readonly name: string;
  readonly profile: CpuProfile;
  readonly queueLimit: number;
  /** Virtual ns charged so far by the job being run (0 outside a job). */
  elapsed = 0;
  private readonly sim: Simulation;
  private readonly busyUntil: Float64Array;
  private readonly busyNs: Float64Array;
  private readonly clients: CpuClient[] = [];
  // Job ring.
  private readonly qClient: Int32Array;
  private readonly qKind: Int32Array;
  private readonly qA: Int32Array;
  private readonly qB: Int32Array;
  private readonly qTime: Float64Array;
  private qHead = 0;
  private qLen = 0;
  private qHigh = 0;
  /** Time of the pending EV_CPU_RUN (Infinity: none), and its handle. */
  private wakeTime = Infinity;
  private wakeHandle = -1;
  private running = false;
  private jobs = 0;
  private drops = 0;
  private waitTotal = 0;
  private waitMax = 0;
  readonly opNs = new Float64Array(CPU_OP_COUNT);
  readonly opCount = new Float64Array(CPU_OP_COUNT);

  constructor(sim: Simulation, name: string, profile: CpuProfile, options: HostCpuOptions = {}) {
    const limit = options.queueLimit ?? DEFAULT_CPU_QUEUE;
    checkInteger(`${name}.queueLimit`, limit, 1, 1 << 20);
    this.sim = sim;
    this.name = name;
    this.profile = profile;
    this.queueLimit = limit;
    this.busyUntil = new Float64Array(profile.cpus);
    this.busyNs = new Float64Array(profile.cpus);
    this.qClient = new Int32Array(limit);
    this.qKind = new Int32Array(limit);
    this.qA = new Int32Array(limit);
    this.qB = new Int32Array(limit);
    this.qTime = new Float64Array(limit);
    this.id = sim.register(name, this);
  }

  /** Registers a client; returns the index submit() takes. */
  addClient(client: CpuClient): number {
    this.clients.push(client);
    return this.clients.length - 1;
  }

  /** Queues a job; false = refused (queue full, counted): the caller keeps what a/b hold. */
  submit(client: number, kind: number, a: number, b: number): boolean {
    if (this.qLen === this.queueLimit) {
      this.drops++;
      return false;
    }
    let i = this.qHead + this.qLen;
    if (i >= this.queueLimit) i -= this.queueLimit;
    this.qClient[i] = client;
    this.qKind[i] = kind;
    this.qA[i] = a;
    this.qB[i] = b;
    this.qTime[i] = this.sim.scheduler.now;
    if (++this.qLen > this.qHigh) this.qHigh = this.qLen;
    if (!this.running) this.wakeAt(Math.max(this.sim.scheduler.now, this.earliestFree()));
    return true;
  }

  /** Charges `ns` of operation `op` to the job being run. */
  charge(op: CpuOp, ns: number): void {
    this.elapsed += ns;
    this.opNs[op]! += ns;
    this.opCount[op]!++;
  }

  /** Charges the profile's fixed cost of `op` (not COPY/CHECKSUM/PAGE_REMAP: see below). */
  chargeOp(op: CpuOp): void {
    const p = this.profile;
    let ns = 0;
    switch (op) {
      case CpuOp.SYSTEM_CALL:
        ns = p.systemCallNs;
        break;
      case CpuOp.LAYER_CROSSING:
        ns = p.layerCrossingNs;
        break;
      case CpuOp.INTERRUPT:
        ns = p.interruptNs;
        break;
      case CpuOp.CONTEXT_SWITCH:
        ns = p.contextSwitchNs;
        break;
      case CpuOp.HANDLER_DISPATCH:
        ns = p.handlerDispatchNs;
        break;
      case CpuOp.DRIVER:
        ns = p.driverNs;
        break;
      case CpuOp.COPY:
        ns = p.copyCallNs;
        break;
      case CpuOp.CHECKSUM:
        ns = p.checksumCallNs;
        break;
      case CpuOp.PAGE_REMAP:
        ns = p.pageRemapNs;
        break;
    }
    this.charge(op, ns);
  }

  /** Charges a copy of `bytes` bytes (per call + per byte, rounded to whole ns). */
  chargeCopy(bytes: number): void {
    this.charge(CpuOp.COPY, this.profile.copyCallNs + Math.round(bytes * this.profile.copyNsPerByte));
  }

  /** Charges checksumming `bytes` bytes. */
  chargeChecksum(bytes: number): void {
    this.charge(CpuOp.CHECKSUM, this.profile.checksumCallNs + Math.round(bytes * this.profile.checksumNsPerByte));
  }

  /** Charges remapping the pages of a `bytes`-byte buffer (at least one page). */
  chargeRemap(bytes: number): void {
    const pages = Math.max(1, Math.ceil(bytes / this.profile.pageBytes));
    this.charge(CpuOp.PAGE_REMAP, pages * this.profile.pageRemapNs);
  }

  /** Delay (from now) at which an effect produced now by the running job happens. */
  deferDelay(): number {
    return this.elapsed;
  }

  get queueLength(): number {
    return this.qLen;
  }

  /** True while a job runs (charges go to it). */
  get inJob(): boolean {
    return this.running;
  }

  handleEvent(kind: number): void {
    if (kind !== EV_CPU_RUN) return;
    this.wakeTime = Infinity;
    this.wakeHandle = -1;
    this.dispatch();
  }

  private earliestFree(): number {
    const b = this.busyUntil;
    let t = b[0]!;
    for (let c = 1; c < b.length; c++) if (b[c]! < t) t = b[c]!;
    return t;
  }

  private wakeAt(t: number): void {
    if (t >= this.wakeTime) return;
    if (this.wakeHandle >= 0) this.sim.scheduler.cancel(this.wakeHandle);
    this.wakeTime = t;
    this.wakeHandle = this.sim.scheduler.scheduleAt(this.id, t, this.id, EV_CPU_RUN, 0, 0, 0);
  }

  /** Starts queued jobs on free CPUs (Idle -> Running per CPU), then waits for the next free one. */
  private dispatch(): void {
    const now = this.sim.scheduler.now;
    const b = this.busyUntil;
    while (this.qLen > 0) {
      let cpu = -1;
      for (let c = 0; c < b.length; c++) {
        if (b[c]! <= now) {
          cpu = c;
          break;
        }
      }
      if (cpu < 0) break;
      const i = this.qHead;
      this.qHead = i + 1 === this.queueLimit ? 0 : i + 1;
      this.qLen--;
      const wait = now - this.qTime[i]!;
      this.waitTotal += wait;
      if (wait > this.waitMax) this.waitMax = wait;
      this.jobs++;
      this.elapsed = 0;
      this.running = true;
      try {
        this.clients[this.qClient[i]!]!.runJob(this.qKind[i]!, this.qA[i]!, this.qB[i]!);
      } finally {
        this.running = false;
      }
      b[cpu] = now + this.elapsed;
      this.busyNs[cpu]! += this.elapsed;
      this.elapsed = 0;
    }
    if (this.qLen > 0) this.wakeAt(this.earliestFree());
  }

  stats(): HostCpuStats {
    const ops = {} as Record<CpuOpName, CpuOpStats>;
    for (let i = 0; i < CPU_OP_COUNT; i++) ops[CPU_OP_NAMES[i]!] = { ns: this.opNs[i]!, count: this.opCount[i]! };
    return {
      profile: this.profile.name,
      cpus: this.profile.cpus,
      jobs: this.jobs,
      drops: this.drops,
      queueLength: this.qLen,
      queueHighWater: this.qHigh,
      waitNsTotal: this.waitTotal,
      waitNsMax: this.waitMax,
      busyNs: Array.from(this.busyNs),
      ops,
    };
  }

  /** Total virtual CPU time charged (all operations). */
  totalNs(): number {
    let t = 0;
    for (let i = 0; i < CPU_OP_COUNT; i++) t += this.opNs[i]!;
    return t;
  }

  /** Discards queued jobs (each client's dropJob releases what it holds). */
  destroy(): void {
    while (this.qLen > 0) {
      const i = this.qHead;
      this.qHead = i + 1 === this.queueLimit ? 0 : i + 1;
      this.qLen--;
      this.clients[this.qClient[i]!]!.dropJob(this.qKind[i]!, this.qA[i]!, this.qB[i]!);
    }
    if (this.wakeHandle >= 0) this.sim.scheduler.cancel(this.wakeHandle);
    this.wakeHandle = -1;
    this.wakeTime = Infinity;
  }
}
