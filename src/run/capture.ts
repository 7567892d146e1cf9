// Capture: pcap files fed from trace points (a device port, a link direction, a whole network).
//
// Contract:
// - A Capture subscribes a PcapWriter (LINKTYPE_ETHERNET, nanosecond timestamps) to one or
//   more trace points and writes one record per hit: the hit's virtual time and the frame's
//   bytes as they are during the call, 4-byte FCS included, as on the wire.
// - Which points feed a port, a link direction or a whole network, and what each therefore
//   shows, is written on capturePort, captureLink and captureAll.
// - Bounded memory: one fixed write buffer per file (bufferBytes, default 64 KiB, so a
//   thousand-port capture stays at 64 MiB), flushed synchronously when full. Each file holds an
//   open descriptor until close(): mind the process's file limit on huge networks.
// - Hot path: one listener call per hit, one bounded copy into the buffer; no allocation. A
//   write error (disk full) throws out of the listener and so out of run(): it is an
//   environment failure the caller must see, not a frame-level fault to count.
// - close() unsubscribes and closes the file(s) and is idempotent; files are complete only
//   after close().
// - Not handled: CSMA/CD segments (Network does not expose them by name).

import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, NetloomError } from "../base/errors.js";
import { prepareOutputDir } from "../base/output-path.js";
import type { CaptureLimit } from "../base/units.js";
import type { Network } from "./network.js";
import type { Device } from "../devices/device.js";
import { EthernetSwitch } from "../devices/ethernet-switch.js";
import { Router } from "../stacks/ip/router.js";
import type { PointToPointLink } from "../devices/link.js";
import type { Simulation } from "../engine/simulation.js";
import { LINKTYPE_ETHERNET, PCAP_MAX_SNAPLEN, PcapWriter, type PcapWriterOptions } from "../trace/pcap.js";
import { TRACE_POINT_NAMES, type TracePoint, type TracePointName } from "../trace/trace-point.js";

/** Default per-file write buffer: small, because captureAll opens one file per port. */
export const CAPTURE_DEFAULT_BUFFER_BYTES = 64 * 1024;

export interface CaptureOptions {
  /** Most bytes kept per record (default 262144: whole frames). */
  snaplen?: number;
  /** Most each file holds: bytes of file or records (default: no limit); later records are counted, not written. */
  limit?: CaptureLimit;
  /** Write buffer per file (default 64 KiB). */
  bufferBytes?: number;
  /** Trace points to capture (default: see capturePort and captureLink). */
  points?: readonly TracePointName[];
  /** Flag the FCS in the link-type field (see LINKTYPE_ETHERNET_WITH_FCS; default false). */
  markFcs?: boolean;
}

/**
 * LINKTYPE_ETHERNET with libpcap's "FCS present, 2 x 16 bits" extension (LT_FCS_DATALINK_EXT(2)),
 * what `markFcs` writes. A plain LINKTYPE_ETHERNET pcap does not say whether frames carry an FCS,
 * and Wireshark's heuristic may take the 4 bytes for padding: either open plain files with
 * eth.fcs "Always" (older versions: eth.assume_fcs TRUE) and eth.check_fcs TRUE
 * (CHECK_ALL_PREFS in test/support/tshark.ts), or mark them, which libpcap and Wireshark's
 * reader (wiretap/libpcap.c) honour, so eth.check_fcs alone checks every FCS. Off by default:
 * tools that compare the field to 1 would refuse it. PcapWriter writes only the plain link
 * types, so the field is patched after close().
 */
export const LINKTYPE_ETHERNET_WITH_FCS = ((2 << 28) | 0x0400_0000 | LINKTYPE_ETHERNET) >>> 0;
/** Offset of the link-type field in the pcap global header. */
const LINKTYPE_FIELD_OFFSET = 20;

export class Capture {
  readonly path: string;
  readonly writer: PcapWriter;
  /** The trace points feeding this file. */
  readonly points: readonly TracePoint[];
  /** What is captured, e.g. "h1:0" or "h1-sw:0->1" (for reports). */
  readonly source: string;
  private readonly unsubscribers: (() => void)[] = [];
  private readonly markFcs: boolean;
  private closed = false;

  constructor(
    sim: Simulation,
    points: readonly TracePoint[],
    path: string,
    source: string,
    options: CaptureOptions = {},
  ) {
    this.path = path;
    this.source = source;
    this.points = points;
    this.markFcs = options.markFcs ?? false;
    this.writer = new PcapWriter(writerOptions(options));
    this.writer.open(path, LINKTYPE_ETHERNET, options.snaplen ?? PCAP_MAX_SNAPLEN);
    // The shared memory never grows (initial = maximum), so one view serves the whole run.
    const u8 = sim.runtime.u8;
    const frames = sim.frames;
    const writer = this.writer;
    const listener = (time: number, frame: number, length: number): void => {
      writer.writeRecord(time, u8, frames.offset(frame), length);
    };
    for (const p of points) this.unsubscribers.push(p.subscribe(listener));
  }

  /** Records written so far (buffered ones included). */
  get records(): number {
    return this.writer.records;
  }

  /** Stops capturing and closes the file. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.unsubscribers.splice(0)) off();
    this.writer.close();
    if (this.markFcs) patchLinkType(this.path, LINKTYPE_ETHERNET_WITH_FCS);
  }
}

/** The PcapWriter options of a capture: its buffer and limits. */
export function writerOptions(options: { bufferBytes?: number; limit?: CaptureLimit }): PcapWriterOptions {
  return {
    bufferBytes: options.bufferBytes ?? CAPTURE_DEFAULT_BUFFER_BYTES,
    ...(options.limit?.bytes !== undefined ? { maxBytes: options.limit.bytes } : {}),
    ...(options.limit?.packets !== undefined ? { maxRecords: options.limit.packets } : {}),
  };
}

/** Rewrites the global header's link-type field of a closed little-endian pcap file. */
function patchLinkType(path: string, linkType: number): void {
  const field = Buffer.alloc(4);
  field.writeUInt32LE(linkType, 0);
  let fd = -1;
  try {
    fd = openSync(path, "r+");
    writeSync(fd, field, 0, 4, LINKTYPE_FIELD_OFFSET);
  } catch (cause) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `cannot mark the FCS in "${path}"`, { path: "path", cause });
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** What a run's capture files hold (the report's `captures`). */
export interface CaptureSummary {
  files: number;
  records: number;
  /** File bytes, headers included. */
  bytes: number;
  /** Records left out because their file had reached its limit, and the files that did. */
  overLimit: number;
  filesAtLimit: number;
}

/** One capture file of any kind (Ethernet ports, ATM NICs). */
export interface CaptureFile {
  readonly path: string;
  readonly source: string;
  readonly writer: PcapWriter;
  close(): void;
}

export class CaptureSet<T extends CaptureFile = CaptureFile> {
  readonly captures: readonly T[];

  constructor(captures: readonly T[]) {
    this.captures = captures;
  }

  get records(): number {
    let n = 0;
    for (const c of this.captures) n += c.writer.records;
    return n;
  }

  /** File bytes written so far, buffered ones included. */
  get bytes(): number {
    let n = 0;
    for (const c of this.captures) n += c.writer.bytes;
    return n;
  }

  /** Records not written because their file was at its limit. */
  get overLimit(): number {
    let n = 0;
    for (const c of this.captures) n += c.writer.overLimit;
    return n;
  }

  /** Files that reached their limit. */
  get filesAtLimit(): number {
    let n = 0;
    for (const c of this.captures) if (c.writer.overLimit > 0) n++;
    return n;
  }

  /** What the files hold, for reports. */
  summary(): CaptureSummary {
    return {
      files: this.captures.length,
      records: this.records,
      bytes: this.bytes,
      overLimit: this.overLimit,
      filesAtLimit: this.filesAtLimit,
    };
  }

  /** Closes every file (each close is attempted even if one fails; the first error is rethrown). */
  close(): void {
    let first: unknown;
    for (const c of this.captures) {
      try {
        c.close();
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }
}

function resolvePoints(trace: { get(name: string): TracePoint }, names: readonly TracePointName[]): TracePoint[] {
  if (names.length === 0) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `no trace point given (one of ${TRACE_POINT_NAMES.join(", ")})`,
      {
        path: "points",
      },
    );
  }
  return names.map((n) => trace.get(n));
}

/** Default points of a device port: sniffer, or phyRxEnd + macTx on a switch (no sniffer hits). */
function defaultPortPoints(device: Device): readonly TracePointName[] {
  return device instanceof EthernetSwitch ? ["phyRxEnd", "macTx"] : ["sniffer"];
}

/**
 * Captures what passes port `port` of `device` into a new pcap file at `path`. Default point: the
 * port's `sniffer`, which a NIC hits for every frame it transmits (at macTx time) and every frame
 * it receives with a good FCS (before its address filter): what a promiscuous tap at the NIC
 * keeps. A switch hits no sniffer point, so on an EthernetSwitch the default is phyRxEnd (every
 * frame arriving, good or bad) + macTx (every frame sent out, also when the link queue then
 * refuses it): what a port mirror shows.
 */
export function capturePort(device: Device, port: number, path: string, options: CaptureOptions = {}): Capture {
  if (!Number.isInteger(port) || port < 0 || port >= device.trace.length) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `${device.name} has no port ${String(port)} (ports 0 to ${device.trace.length - 1})`,
      { path: "port" },
    );
  }
  const points = resolvePoints(device.trace[port]!, options.points ?? defaultPortPoints(device));
  return new Capture(device.sim, points, path, `${device.name}:${port}`, options);
}

/**
 * Captures direction `direction` (0: end 0 -> end 1) of `link` into a new pcap file at `path`.
 * Default point: the direction's `sniffer`, hit at hand-over with the arrival time, after the
 * faults, so corrupted frames appear with their flipped bits and bad FCS (a NIC's sniffer never
 * sees those). Records are in arrival order except for frames the reorder fault holds back. A
 * frame handed over and then lost to a later setDown() stays captured (the link takes back its
 * counters; a file cannot).
 */
export function captureLink(
  link: PointToPointLink,
  direction: number,
  path: string,
  options: CaptureOptions = {},
): Capture {
  if (direction !== 0 && direction !== 1) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(direction)} is not a link direction (0 or 1)`, {
      path: "direction",
    });
  }
  const points = resolvePoints(link.trace[direction], options.points ?? ["sniffer"]);
  const arrow = direction === 0 ? "0->1" : "1->0";
  return new Capture(link.sim, points, path, `${link.name}:${arrow}`, options);
}

/** `${device}-${port}.pcap` with every character outside [A-Za-z0-9._-] replaced by "_". */
export function pcapFileName(device: string, port: number): string {
  return `${device.replace(/[^A-Za-z0-9._-]/g, "_")}-${port}.pcap`;
}

export interface CaptureAllOptions extends CaptureOptions {
  /**
   * Capture only the devices this returns true for (a partition captures the devices it
   * runs). File names are chosen over every device all the same, so each port's file has the
   * same name whichever partition writes it.
   */
  devices?: (name: string) => boolean;
  /** Capture only the ports this returns true for (default: every connected port). */
  ports?: (device: string, port: number) => boolean;
}

/** Hands out pcapFileName()s, with "_2", "_3" ... for names that collide (case ignored). */
export class PcapFileNames {
  private readonly used = new Set<string>();
  next(device: string, port: number): string {
    const base = pcapFileName(device, port);
    let file = base;
    // Lower-cased check: two names differing only in case collide on some file systems.
    for (let n = 2; this.used.has(file.toLowerCase()); n++) file = base.replace(/\.pcap$/, `_${n}.pcap`);
    this.used.add(file.toLowerCase());
    return file;
  }
}

/**
 * One capture per connected Ethernet port of every host, switch and router of `network` (a
 * router's ATM interfaces are not Ethernet ports: see scenario-capture.ts), as files in `dir`
 * (created if missing) named by pcapFileName(); names that collide after that get "_2", "_3" ...
 * in creation order. On failure, files opened so far are closed before the error is thrown.
 */
export function captureAll(
  network: Network,
  dir: string,
  options: CaptureAllOptions = {},
  names = new PcapFileNames(),
): CaptureSet<Capture> {
  prepareOutputDir(dir, "the pcap directory");
  const stats = network.stats();
  const devices = [
    ...stats.hosts.map((h) => h.name),
    ...stats.switches.map((s) => s.name),
    ...stats.routers.map((r) => r.name),
  ];
  const captures: Capture[] = [];
  try {
    for (const name of devices) {
      const device = network.device(name);
      for (let port = 0; port < device.ports.length; port++) {
        if (device.ports[port] === undefined || !isEthernetPort(device, port)) continue;
        const file = names.next(name, port);
        if (options.devices !== undefined && !options.devices(name)) continue;
        if (options.ports !== undefined && !options.ports(name, port)) continue;
        captures.push(capturePort(device, port, join(dir, file), options));
      }
    }
  } catch (e) {
    for (const c of captures) c.close();
    throw e;
  }
  return new CaptureSet(captures);
}

/** False for a router's ATM interfaces (their NIC is an AtmNic, captured per PDU). */
function isEthernetPort(device: Device, port: number): boolean {
  return !(device instanceof Router) || device.interfaces[port]?.nic !== undefined;
}
