// Typed wrappers for the frame switching kernels (assembly/switch/): the MAC forwarding
// database of a learning bridge and the ATM VC table of a cell switch.
//
// Contract:
// - Each table lives in one region of the runtime's SharedHeap, allocated by create() and
//   released by free(); using a freed table throws USE_AFTER_FREE. A table belongs to the
//   runtime (memory) it was created in and must be used by one thread at a time.
// - Single-entry methods validate every argument and throw NetloomError (INVALID_ARGUMENT,
//   TABLE_FULL) on misuse. The batch methods (processBatch, switchBatch) are what devices call
//   per batch: they take an already-built frame vector (pointer + count), check only that the
//   vector lies in memory, never allocate, and report bad frames through out codes and counters.
//   The frames a vector points at are trusted to lie in memory.
// - Time is virtual nanoseconds (an integer in a JS number). An FDB entry last seen at t is live
//   for now in [t, t + agingTimeNs).
// - FDB full-table policy: a new address finding the table full makes it drop expired entries
//   first; if still full the address is not learned (learn() throws TABLE_FULL; a batch counts
//   learnFailures and the station's frames keep flooding). Known addresses always refresh.
// - VC table port formats (UNI: GFC + 8-bit VPI; NNI: 12-bit VPI) are fixed at create().

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import { FRAME_VEC_STRIDE } from "./abi.js";
import { getRuntime, type KernelRuntime } from "./runtime.js";

// ---------------------------------------------------------------------------------------------
// MAC forwarding database

/** Out code: flood to every port but the in port (unknown, expired or group destination). */
export const FDB_FLOOD = 0xffffffff;
/** Out code: the destination sits on the in port; the frame is filtered (not forwarded). */
export const FDB_FILTER = 0xfffffffe;
/** Out code: frame shorter than an Ethernet header (14 bytes); dropped and counted. */
export const FDB_DROP_RUNT = 0xfffffffd;
/** Out code: in port (the vector entry's arg) not below the table's port count. */
export const FDB_DROP_BAD_PORT = 0xfffffffc;

/** Largest FDB capacity (entries); the table then takes 2^23 slots of 16 bytes. */
export const FDB_MAX_CAPACITY = 1 << 22;
/** Ports are numbered 0 .. FDB_MAX_PORTS - 1. */
export const FDB_MAX_PORTS = 65535;
/** IEEE 802.1D default ageing time: 300 s. */
export const FDB_DEFAULT_AGING_NS = 300e9;

const FDB_HEADER = 128;
const FDB_SLOT = 16;
const LEARN_RESULTS = ["learned", "refreshed", "moved", "full", "group", "badPort"] as const;

export type LearnResult = "learned" | "refreshed" | "moved";

export interface FdbOptions {
  /** Most entries the table holds (1 .. FDB_MAX_CAPACITY). */
  capacity: number;
  /** Ageing time in ns (positive integer, or Infinity for no ageing). Default 300 s. */
  agingTimeNs?: number;
  /** Number of ports (1 .. FDB_MAX_PORTS); ports are 0 .. ports - 1. Default FDB_MAX_PORTS. */
  ports?: number;
  /** Runtime whose memory holds the table (default: this thread's). */
  runtime?: KernelRuntime;
}

export interface FdbStats {
  /** Stored entries, including expired ones not yet swept. */
  entries: number;
  capacity: number;
  learned: number;
  moved: number;
  learnFailures: number;
  lookups: number;
  hits: number;
  floods: number;
  filtered: number;
  aged: number;
  /** Batch frames dropped: runts and bad in ports. */
  dropped: number;
}

const FDB_COUNTERS = [
  ["learned", 40],
  ["moved", 48],
  ["learnFailures", 56],
  ["lookups", 64],
  ["hits", 72],
  ["floods", 80],
  ["filtered", 88],
  ["aged", 96],
  ["dropped", 104],
] as const;

/** log2 of the slot count for `capacity` entries at a load factor of at most 1/2. */
function log2SlotsFor(capacity: number): number {
  return Math.max(4, Math.ceil(Math.log2(capacity * 2)));
}

function checkTime(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(value)} is not a virtual time in integer ns`, {
      path: name,
    });
  }
}

function checkAging(value: number): void {
  if (value !== Infinity && (!Number.isSafeInteger(value) || value <= 0)) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `${String(value)} is not an ageing time (a positive integer number of ns, or Infinity)`,
      { path: "agingTimeNs" },
    );
  }
}

function checkCount(rt: KernelRuntime, vecPtr: number, count: number): void {
  checkInteger("count", count, 0, 0x3ffffff);
  rt.checkRange("vecPtr", vecPtr, count * FRAME_VEC_STRIDE);
}

/** Splits a MAC into the kernel's (lo, hi) words: octets 0..3 and 4..5, little-endian. */
function macWords(mac: Uint8Array, name: string): [number, number] {
  if (!(mac instanceof Uint8Array) || mac.length !== 6) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "a MAC address is 6 bytes", { path: name });
  }
  return [mac[0]! | (mac[1]! << 8) | (mac[2]! << 16) | (mac[3]! << 24), mac[4]! | (mac[5]! << 8)];
}

function readU64(rt: KernelRuntime, addr: number): number {
  return rt.u32[addr >>> 2]! + rt.u32[(addr >>> 2) + 1]! * 2 ** 32;
}

export class ForwardingDatabase {
  readonly runtime: KernelRuntime;
  /** Heap offset of the table region (what fdb* kernels take). */
  readonly ptr: number;
  readonly capacity: number;
  readonly ports: number;
  readonly slots: number;
  private agingNs: number;
  private freed = false;

  private constructor(
    runtime: KernelRuntime,
    ptr: number,
    capacity: number,
    ports: number,
    slots: number,
    agingNs: number,
  ) {
    this.runtime = runtime;
    this.ptr = ptr;
    this.capacity = capacity;
    this.ports = ports;
    this.slots = slots;
    this.agingNs = agingNs;
  }

  static create(options: FdbOptions): ForwardingDatabase {
    checkInteger("capacity", options.capacity, 1, FDB_MAX_CAPACITY);
    const ports = options.ports ?? FDB_MAX_PORTS;
    checkInteger("ports", ports, 1, FDB_MAX_PORTS);
    const aging = options.agingTimeNs ?? FDB_DEFAULT_AGING_NS;
    checkAging(aging);
    const rt = options.runtime ?? getRuntime();
    const log2 = log2SlotsFor(options.capacity);
    const ptr = rt.heap.alloc(FDB_HEADER + FDB_SLOT * 2 ** log2);
    rt.exports.fdbInit(ptr, log2, options.capacity, ports, aging);
    return new ForwardingDatabase(rt, ptr, options.capacity, ports, 2 ** log2, aging);
  }

  private live(): KernelRuntime {
    if (this.freed) throw new NetloomError(ErrorCode.USE_AFTER_FREE, "this forwarding database was freed");
    return this.runtime;
  }

  private checkPort(name: string, port: number): void {
    checkInteger(name, port, 0, this.ports - 1);
  }

  get agingTimeNs(): number {
    return this.agingNs;
  }

  set agingTimeNs(value: number) {
    const rt = this.live();
    checkAging(value);
    rt.exports.fdbSetAgingTime(this.ptr, value);
    this.agingNs = value;
  }

  /** Learns `mac` on `port` at `nowNs`. Throws for group addresses and when the table is full. */
  learn(mac: Uint8Array, port: number, nowNs: number): LearnResult {
    const rt = this.live();
    const [lo, hi] = macWords(mac, "mac");
    this.checkPort("port", port);
    checkTime("nowNs", nowNs);
    const result = LEARN_RESULTS[rt.exports.fdbLearn(this.ptr, lo, hi, port, nowNs)];
    if (result === "learned" || result === "refreshed" || result === "moved") return result;
    if (result === "full") {
      throw new NetloomError(
        ErrorCode.TABLE_FULL,
        `the forwarding database holds ${this.capacity} live entries; ${formatMac(mac)} was not learned`,
        { path: "mac" },
      );
    }
    if (result === "group") {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${formatMac(mac)} is a group address and cannot be learned`, {
        path: "mac",
      });
    }
    // Unreachable: the port was checked above.
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `port ${port} is out of range`, { path: "port" });
  }

  /**
   * Forwarding decision for a frame to `mac` arriving on `inPort` (undefined: no in port):
   * a port number, FDB_FLOOD or FDB_FILTER. Counts a lookup.
   */
  lookup(mac: Uint8Array, inPort: number | undefined, nowNs: number): number {
    const rt = this.live();
    const [lo, hi] = macWords(mac, "mac");
    if (inPort !== undefined) this.checkPort("inPort", inPort);
    checkTime("nowNs", nowNs);
    return rt.exports.fdbLookup(this.ptr, lo, hi, inPort ?? 0xffffffff, nowNs) >>> 0;
  }

  /** Port of the live entry for `mac`, or undefined; touches no counter. */
  get(mac: Uint8Array, nowNs: number): number | undefined {
    const rt = this.live();
    const [lo, hi] = macWords(mac, "mac");
    checkTime("nowNs", nowNs);
    const port = rt.exports.fdbGet(this.ptr, lo, hi, nowNs) >>> 0;
    return port === FDB_FLOOD ? undefined : port;
  }

  /** Removes the entry for `mac` (live or expired); true if there was one. */
  remove(mac: Uint8Array): boolean {
    const rt = this.live();
    const [lo, hi] = macWords(mac, "mac");
    return rt.exports.fdbRemove(this.ptr, lo, hi) !== 0;
  }

  /** Sweeps out every entry expired at `nowNs`; returns how many. */
  age(nowNs: number): number {
    const rt = this.live();
    checkTime("nowNs", nowNs);
    return rt.exports.fdbAge(this.ptr, nowNs);
  }

  clear(): void {
    this.live().exports.fdbClear(this.ptr);
  }

  /** Stored entries (expired ones not yet swept included). */
  get size(): number {
    return this.live().exports.fdbCount(this.ptr);
  }

  /**
   * The bridge step for `count` frames of the frame vector at `vecPtr`, all at `nowNs`
   * (ptr -> Ethernet frame, arg = in port): learns sources and writes out each frame's port,
   * FDB_FLOOD, FDB_FILTER, FDB_DROP_RUNT or FDB_DROP_BAD_PORT. Returns frames given one port.
   */
  processBatch(vecPtr: number, count: number, nowNs: number): number {
    const rt = this.live();
    checkCount(rt, vecPtr, count);
    checkTime("nowNs", nowNs);
    return rt.exports.fdbProcessBatch(this.ptr, vecPtr, count, nowNs);
  }

  stats(): FdbStats {
    const rt = this.live();
    const out = { entries: rt.exports.fdbCount(this.ptr), capacity: this.capacity } as FdbStats;
    for (const [name, offset] of FDB_COUNTERS) out[name] = readU64(rt, this.ptr + offset);
    return out;
  }

  /** Releases the table's region. Idempotent; any later use throws USE_AFTER_FREE. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.runtime.heap.free(this.ptr);
  }
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(":");
}

// ---------------------------------------------------------------------------------------------
// ATM VC table

/** Out code: no VC or VP entry matches the cell; the cell is left untouched and counted. */
export const VC_UNKNOWN = 0xffffffff;
/** Out code: the cell is not 53 bytes or its in port is out of range. */
export const VC_MALFORMED = 0xfffffffe;
export const VC_MAX_CAPACITY = 1 << 20;
export const VC_MAX_PORTS = 4096;

const VC_OK = 0;
const VC_DUPLICATE = 1;

export type CellFormat = "uni" | "nni";

export interface VcTableOptions {
  /** Most entries (VC and VP entries together), 1 .. VC_MAX_CAPACITY. */
  capacity: number;
  /** Number of ports (1 .. VC_MAX_PORTS), or one header format per port. */
  ports: number | readonly CellFormat[];
  /** Format of every port when `ports` is a number (default "nni"). */
  format?: CellFormat;
  runtime?: KernelRuntime;
}

export interface VcRoute {
  inPort: number;
  vpi: number;
  /** Omit for a VP entry: it matches every VCI on (inPort, vpi) and keeps the VCI. */
  vci?: number;
  outPort: number;
  outVpi: number;
  /** Required for a VC entry, not allowed for a VP entry. */
  outVci?: number;
}

export interface VcMatch {
  outPort: number;
  outVpi: number;
  outVci: number;
  /** True when a VP entry matched (the VCI is kept). */
  vp: boolean;
}

export interface VcStats {
  entries: number;
  capacity: number;
  switched: number;
  vpSwitched: number;
  unknownVc: number;
  malformed: number;
}

export class VcTable {
  readonly runtime: KernelRuntime;
  readonly ptr: number;
  readonly capacity: number;
  readonly formats: readonly CellFormat[];
  private freed = false;

  private constructor(runtime: KernelRuntime, ptr: number, capacity: number, formats: readonly CellFormat[]) {
    this.runtime = runtime;
    this.ptr = ptr;
    this.capacity = capacity;
    this.formats = formats;
  }

  static create(options: VcTableOptions): VcTable {
    checkInteger("capacity", options.capacity, 1, VC_MAX_CAPACITY);
    let formats: CellFormat[];
    if (typeof options.ports === "number") {
      checkInteger("ports", options.ports, 1, VC_MAX_PORTS);
      const format = options.format ?? "nni";
      if (format !== "uni" && format !== "nni") {
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `"${String(format)}" is not a cell format (uni or nni)`, {
          path: "format",
        });
      }
      formats = new Array<CellFormat>(options.ports).fill(format);
    } else {
      if (!Array.isArray(options.ports) || options.ports.length < 1 || options.ports.length > VC_MAX_PORTS) {
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `give 1 to ${VC_MAX_PORTS} port formats`, { path: "ports" });
      }
      formats = [...options.ports];
      formats.forEach((f, i) => {
        if (f !== "uni" && f !== "nni") {
          throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `"${String(f)}" is not a cell format (uni or nni)`, {
            path: `ports[${i}]`,
          });
        }
      });
    }
    const rt = options.runtime ?? getRuntime();
    const log2 = log2SlotsFor(options.capacity);
    const ptr = rt.heap.alloc(rt.exports.vcRegionBytes(log2, formats.length));
    rt.exports.vcInit(ptr, log2, options.capacity, formats.length);
    formats.forEach((f, port) => rt.exports.vcSetPortFormat(ptr, port, f === "nni" ? 1 : 0));
    return new VcTable(rt, ptr, options.capacity, Object.freeze(formats));
  }

  private live(): KernelRuntime {
    if (this.freed) throw new NetloomError(ErrorCode.USE_AFTER_FREE, "this VC table was freed");
    return this.runtime;
  }

  private checkPort(name: string, port: number): void {
    checkInteger(name, port, 0, this.formats.length - 1);
  }

  private checkVpi(name: string, vpi: number, port: number): void {
    checkInteger(name, vpi, 0, this.formats[port] === "uni" ? 0xff : 0xfff);
  }

  /** Adds a VC entry (or a VP entry when `vci` is omitted). Throws on a duplicate or a full table. */
  add(route: VcRoute): void {
    const rt = this.live();
    this.checkPort("inPort", route.inPort);
    this.checkPort("outPort", route.outPort);
    this.checkVpi("vpi", route.vpi, route.inPort);
    this.checkVpi("outVpi", route.outVpi, route.outPort);
    const vp = route.vci === undefined;
    if (vp) {
      if (route.outVci !== undefined) {
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "a VP entry (no vci) keeps the VCI; omit outVci", {
          path: "outVci",
        });
      }
    } else {
      checkInteger("vci", route.vci!, 0, 0xffff);
      if (route.outVci === undefined) {
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "a VC entry needs outVci", { path: "outVci" });
      }
      checkInteger("outVci", route.outVci, 0, 0xffff);
    }
    const status = rt.exports.vcInsert(
      this.ptr,
      route.inPort,
      route.vpi,
      route.vci ?? 0,
      vp ? 1 : 0,
      route.outPort,
      route.outVpi,
      route.outVci ?? 0,
    );
    if (status === VC_OK) return;
    const what = vp ? `VP ${route.inPort}/${route.vpi}` : `VC ${route.inPort}/${route.vpi}/${route.vci}`;
    if (status === VC_DUPLICATE) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${what} is already in the table`, { path: "route" });
    }
    throw new NetloomError(ErrorCode.TABLE_FULL, `the VC table holds ${this.capacity} entries; ${what} was not added`, {
      path: "route",
    });
  }

  /** Removes the VC entry (or the VP entry when `vci` is omitted); true if there was one. */
  remove(inPort: number, vpi: number, vci?: number): boolean {
    const rt = this.live();
    this.checkPort("inPort", inPort);
    this.checkVpi("vpi", vpi, inPort);
    if (vci !== undefined) checkInteger("vci", vci, 0, 0xffff);
    return rt.exports.vcRemove(this.ptr, inPort, vpi, vci ?? 0, vci === undefined ? 1 : 0) !== 0;
  }

  /** Where a cell with (inPort, vpi, vci) goes: the VC entry, else the VP entry, else undefined. */
  lookup(inPort: number, vpi: number, vci: number): VcMatch | undefined {
    const rt = this.live();
    this.checkPort("inPort", inPort);
    this.checkVpi("vpi", vpi, inPort);
    checkInteger("vci", vci, 0, 0xffff);
    const e = rt.exports.vcLookup(this.ptr, inPort, vpi, vci) >>> 0;
    if (e === 0) return undefined;
    const vp = (rt.u8[e + 7]! & 0x40) !== 0;
    const rewrite = rt.u32[(e + 8) >>> 2]!;
    const set = rt.u32[(e + 12) >>> 2]!;
    const outPort = rewrite >>> 16;
    return {
      outPort,
      outVpi: (set >>> 20) & (this.formats[outPort] === "uni" ? 0xff : 0xfff),
      outVci: vp ? vci : (set >>> 4) & 0xffff,
      vp,
    };
  }

  clear(): void {
    this.live().exports.vcClear(this.ptr);
  }

  get size(): number {
    return this.live().exports.vcCount(this.ptr);
  }

  /**
   * Switches `count` cells of the frame vector at `vecPtr` (ptr -> 53-byte cell, arg = in port)
   * in place: VPI/VCI rewritten, HEC recomputed, out = out port, VC_UNKNOWN or VC_MALFORMED.
   * Returns the number of cells switched.
   */
  switchBatch(vecPtr: number, count: number): number {
    const rt = this.live();
    checkCount(rt, vecPtr, count);
    return rt.exports.vcSwitchBatch(this.ptr, vecPtr, count);
  }

  stats(): VcStats {
    const rt = this.live();
    return {
      entries: rt.exports.vcCount(this.ptr),
      capacity: this.capacity,
      switched: readU64(rt, this.ptr + 32),
      vpSwitched: readU64(rt, this.ptr + 56),
      unknownVc: readU64(rt, this.ptr + 40),
      malformed: readU64(rt, this.ptr + 48),
    };
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.runtime.heap.free(this.ptr);
  }
}
