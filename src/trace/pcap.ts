// pcap capture files: a buffered writer and a checking reader.
//
// Contract:
// - Files are classic pcap (not pcapng) with nanosecond timestamps: magic 0xA1B23C4D, version
//   2.4, written little-endian. Link types: LINKTYPE_ETHERNET (1) and LINKTYPE_SUNATM (123,
//   record layout at SUNATM_HEADER_LEN). Timestamps are virtual time: an integer number of
//   nanoseconds (exact to 2^53), split into seconds and nanoseconds. A record keeps at most
//   `snaplen` bytes; its origlen is the length on the wire.
// - PcapWriter never grows memory in file mode: records go into one fixed-size Buffer that is
//   written with fs.writeSync when full and on close() (synchronous, so a run's file contents
//   never depend on I/O scheduling). writeRecord copies the caller's bytes: the caller keeps
//   ownership and may reuse them at once. No allocation per record on the copy path (frames in
//   the shared Wasm memory reuse one cached Buffer over that memory).
// - Limits (maxBytes, maxRecords): a record that would take the file past either is not written
//   and is counted in overLimit; the file always ends on a whole record.
//   Memory mode (openMemory) keeps flushed chunks in a list for tests; it is unbounded by design.
// - API misuse (bad time, bad length, writing while closed) throws NetloomError.
// - readPcap() checks everything it reads and throws NetloomError naming the problem and the
//   byte offset; record data are subarrays of the input (no copy). It also accepts
//   microsecond files and big-endian files, for replaying captures from elsewhere.

import { closeSync, openSync, writeSync } from "node:fs";
import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import { osReason } from "../base/output-path.js";

export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
export const PCAP_GLOBAL_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
/** Largest snaplen Wireshark reads without complaint (WTAP_MAX_PACKET_SIZE_STANDARD). */
export const PCAP_MAX_SNAPLEN = 262_144;

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_SUNATM = 123;

/**
 * SunATM (LINKTYPE_SUNATM) records: a 4-byte pseudo-header, then the reassembled AAL5 PDU.
 *
 *   0          1      2       4
 *   | flags    | VPI  |  VCI  |  CPCS-PDU payload (LLC/SNAP header, IP packet ...), no pad/trailer
 *
 * flags: SUNATM_FLAG_TX | traffic type (low 4 bits). VCI is big-endian. libpcap's sunatmpos.h
 * calls type 0x02 PT_LLC; Wireshark's wiretap (pcap-common.c) maps it to AAL5 + TRAF_LLCMX and
 * hands the PDU to LLC -> SNAP -> EtherType. Wireshark reads LINKTYPE_SUNATM as
 * WTAP_ENCAP_ATM_PDUS, whose "atm_truncated" dissector (packet-atm.c) takes the AAL5 pad and
 * trailer as already removed and never looks for them, so they would reach LLC/IP as trailing
 * junk. A record therefore holds the CPCS-PDU payload only (the trailer's length field's worth);
 * origlen = 4 + that length.
 */
export const SUNATM_HEADER_LEN = 4;
/** Flags bit: the capturing port transmitted this PDU (Wireshark: channel 0, DTE->DCE; clear: received). */
export const SUNATM_FLAG_TX = 0x80;
/** Traffic type: LLC-multiplexed AAL5 (RFC 1483/2684); Wireshark dissects LLC -> SNAP. */
export const SUNATM_TYPE_LLC = 0x02;

/** Default file buffer: large enough that a flush is rare, small enough to ignore. */
export const PCAP_DEFAULT_BUFFER_BYTES = 1 << 20;
/** The buffer must hold at least the global header plus one record header and some data. */
export const PCAP_MIN_BUFFER_BYTES = 64;

const NS_PER_S = 1_000_000_000;
const U32_MAX = 0xffff_ffff;

/** Splits virtual time into pcap's [seconds, nanoseconds] (throws on a bad time). */
export function splitTimeNs(timeNs: number): [number, number] {
  checkTime(timeNs);
  const seconds = Math.floor(timeNs / NS_PER_S);
  return [seconds, timeNs - seconds * NS_PER_S];
}

function checkTime(timeNs: number): void {
  // 2^53 - 1 ns is about 104 days: seconds always fit the 32-bit field.
  if (!Number.isSafeInteger(timeNs) || timeNs < 0) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `${String(timeNs)} is not a virtual time (integer ns in [0, 2^53))`,
      {
        path: "timeNs",
      },
    );
  }
}

function checkLinkType(linkType: number): void {
  if (linkType !== LINKTYPE_ETHERNET && linkType !== LINKTYPE_SUNATM) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `${String(linkType)} is not a supported link type (LINKTYPE_ETHERNET = 1, LINKTYPE_SUNATM = 123)`,
      { path: "linkType" },
    );
  }
}

export interface PcapWriterOptions {
  /** Size of the fixed write buffer (default 1 MiB). */
  bufferBytes?: number;
  /** Most bytes the file may hold (global header included); records past it are counted in overLimit. */
  maxBytes?: number;
  /** Most records the file may hold; records past it are counted in overLimit. */
  maxRecords?: number;
}

export class PcapWriter {
  /** Records written (including those still buffered). */
  records = 0;
  /** File bytes produced so far (global header, record headers, data; including buffered). */
  bytes = 0;
  /** Records cut short by snaplen. */
  truncated = 0;
  /** Records not written because the file reached maxBytes or maxRecords. */
  overLimit = 0;

  private readonly buf: Buffer;
  private readonly maxBytes: number;
  private readonly maxRecords: number;
  private pos = 0;
  private fd = -1;
  private chunks: Buffer[] | undefined;
  private isOpen = false;
  private snaplen = 0;
  private linkType = 0;
  private path = "";
  // One Buffer over the source's ArrayBuffer (normally the shared Wasm memory), so copying a
  // frame needs no per-record view object.
  private srcBacking: ArrayBufferLike | undefined;
  private srcBuf: Buffer | undefined;

  constructor(options: PcapWriterOptions = {}) {
    const size = options.bufferBytes ?? PCAP_DEFAULT_BUFFER_BYTES;
    checkInteger("bufferBytes", size, PCAP_MIN_BUFFER_BYTES, 1 << 30);
    this.buf = Buffer.alloc(size);
    this.maxBytes = options.maxBytes ?? Infinity;
    this.maxRecords = options.maxRecords ?? Infinity;
    if (options.maxBytes !== undefined) checkInteger("maxBytes", options.maxBytes, 1, Number.MAX_SAFE_INTEGER);
    if (options.maxRecords !== undefined) checkInteger("maxRecords", options.maxRecords, 1, Number.MAX_SAFE_INTEGER);
  }

  /** Whether a record of `caplen` bytes still fits the limits; counts it in overLimit when not. */
  private fits(caplen: number): boolean {
    if (this.records < this.maxRecords && this.bytes + PCAP_RECORD_HEADER_LEN + caplen <= this.maxBytes) return true;
    this.overLimit++;
    return false;
  }

  get opened(): boolean {
    return this.isOpen;
  }

  /** Opens (truncates) `path` and writes the global header. */
  open(path: string, linkType: number, snaplen = PCAP_MAX_SNAPLEN): this {
    this.begin(linkType, snaplen);
    try {
      this.fd = openSync(path, "w");
    } catch (cause) {
      throw new NetloomError(ErrorCode.OUTPUT_FAILED, `cannot write the capture file "${path}": ${osReason(cause)}`, {
        cause,
      });
    }
    this.path = path;
    this.chunks = undefined;
    this.writeGlobalHeader();
    return this;
  }

  /** Like open(), but into memory; toBuffer() returns the file. For tests. */
  openMemory(linkType: number, snaplen = PCAP_MAX_SNAPLEN): this {
    this.begin(linkType, snaplen);
    this.fd = -1;
    this.path = "";
    this.chunks = [];
    this.writeGlobalHeader();
    return this;
  }

  /**
   * Writes one record from bytes [offset, offset + length) of `u8`, cut to snaplen.
   * origLength (default `length`) is the length on the wire, for frames captured partially
   * upstream. The bytes are copied; the caller keeps them.
   */
  writeRecord(timeNs: number, u8: Uint8Array, offset = 0, length = u8.length - offset, origLength = length): void {
    this.checkOpen();
    this.checkRange(u8, offset, length);
    if (!Number.isInteger(origLength) || origLength < length || origLength > U32_MAX) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(origLength)} is not an integer in [${length}, 2^32)`,
        {
          path: "origLength",
        },
      );
    }
    const caplen = Math.min(length, this.snaplen);
    if (!this.fits(caplen)) return;
    this.recordHeader(timeNs, caplen, origLength);
    this.copyIn(u8, offset, caplen);
  }

  /**
   * Writes one LINKTYPE_SUNATM record: the pseudo-header (flags, VPI, VCI) then the AAL5
   * CPCS-PDU payload at [offset, offset + length) of `pdu`, without pad and trailer (see
   * SUNATM_HEADER_LEN), cut to snaplen. flags: SUNATM_TYPE_LLC (default), with SUNATM_FLAG_TX
   * or-ed in for PDUs the capturing port sent.
   */
  writeSunAtm(
    timeNs: number,
    vpi: number,
    vci: number,
    pdu: Uint8Array,
    offset = 0,
    length = pdu.length - offset,
    flags = SUNATM_TYPE_LLC,
  ): void {
    this.checkOpen();
    if (this.linkType !== LINKTYPE_SUNATM) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `the file's link type is ${this.linkType}, not LINKTYPE_SUNATM`,
        {
          path: "linkType",
        },
      );
    }
    checkInteger("vpi", vpi, 0, 0xff);
    checkInteger("vci", vci, 0, 0xffff);
    checkInteger("flags", flags, 0, 0xff);
    this.checkRange(pdu, offset, length);
    const wire = SUNATM_HEADER_LEN + length;
    const caplen = Math.min(wire, this.snaplen);
    if (!this.fits(caplen)) return;
    this.recordHeader(timeNs, caplen, wire);
    // snaplen >= SUNATM_HEADER_LEN for SunATM files (checked at open), so the pseudo-header fits.
    if (this.buf.length - this.pos < SUNATM_HEADER_LEN) this.flush();
    const b = this.buf;
    b[this.pos] = flags;
    b[this.pos + 1] = vpi;
    b[this.pos + 2] = vci >>> 8;
    b[this.pos + 3] = vci & 0xff;
    this.pos += SUNATM_HEADER_LEN;
    this.bytes += SUNATM_HEADER_LEN;
    this.copyIn(pdu, offset, caplen - SUNATM_HEADER_LEN);
  }

  /** Writes buffered bytes out (file mode) or moves them to the chunk list (memory mode). */
  flush(): void {
    if (this.pos === 0) return;
    if (this.chunks !== undefined) {
      this.chunks.push(Buffer.from(this.buf.subarray(0, this.pos)));
    } else if (this.fd >= 0) {
      let done = 0;
      while (done < this.pos) done += writeSync(this.fd, this.buf, done, this.pos - done);
    }
    this.pos = 0;
  }

  /** Flushes and closes the file. Calling it again does nothing. */
  close(): void {
    if (!this.isOpen) return;
    this.flush();
    if (this.fd >= 0) {
      const fd = this.fd;
      this.fd = -1;
      closeSync(fd);
    }
    this.isOpen = false;
    this.srcBacking = undefined;
    this.srcBuf = undefined;
  }

  /** Memory mode: the file so far (buffered bytes included), as one new Buffer. */
  toBuffer(): Buffer {
    if (this.chunks === undefined) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "toBuffer() needs a writer opened with openMemory()", {
        path: "toBuffer",
      });
    }
    return Buffer.concat([...this.chunks, this.buf.subarray(0, this.pos)]);
  }

  /** The path given to open() ("" in memory mode). */
  get filePath(): string {
    return this.path;
  }

  // --- internals ---

  private begin(linkType: number, snaplen: number): void {
    if (this.isOpen) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "the writer is already open; close() it first", {
        path: "open",
      });
    }
    checkLinkType(linkType);
    const min = linkType === LINKTYPE_SUNATM ? SUNATM_HEADER_LEN : 1;
    checkInteger("snaplen", snaplen, min, PCAP_MAX_SNAPLEN);
    this.linkType = linkType;
    this.snaplen = snaplen;
    this.records = 0;
    this.bytes = 0;
    this.truncated = 0;
    this.overLimit = 0;
    this.pos = 0;
    this.isOpen = true;
  }

  private writeGlobalHeader(): void {
    const b = this.buf;
    b.writeUInt32LE(PCAP_MAGIC_NS, 0);
    b.writeUInt16LE(PCAP_VERSION_MAJOR, 4);
    b.writeUInt16LE(PCAP_VERSION_MINOR, 6);
    b.writeInt32LE(0, 8); // thiszone: virtual time has no time zone
    b.writeUInt32LE(0, 12); // sigfigs: always 0 in practice
    b.writeUInt32LE(this.snaplen, 16);
    b.writeUInt32LE(this.linkType, 20);
    this.pos = PCAP_GLOBAL_HEADER_LEN;
    this.bytes = PCAP_GLOBAL_HEADER_LEN;
  }

  private checkOpen(): void {
    if (!this.isOpen)
      throw new NetloomError(ErrorCode.USE_AFTER_FREE, "the pcap writer is not open", { path: "writer" });
  }

  private checkRange(u8: Uint8Array, offset: number, length: number): void {
    if (!(u8 instanceof Uint8Array)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "expected a Uint8Array", { path: "bytes" });
    }
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > u8.length
    ) {
      throw new NetloomError(
        ErrorCode.OUT_OF_BOUNDS,
        `[${String(offset)}, ${String(offset)} + ${String(length)}) is not inside the ${u8.length}-byte array`,
        { path: "offset" },
      );
    }
  }

  private recordHeader(timeNs: number, caplen: number, origLength: number): void {
    checkTime(timeNs);
    if (this.buf.length - this.pos < PCAP_RECORD_HEADER_LEN) this.flush();
    const seconds = Math.floor(timeNs / NS_PER_S);
    const b = this.buf;
    const p = this.pos;
    b.writeUInt32LE(seconds, p);
    b.writeUInt32LE(timeNs - seconds * NS_PER_S, p + 4);
    b.writeUInt32LE(caplen, p + 8);
    b.writeUInt32LE(origLength, p + 12);
    this.pos = p + PCAP_RECORD_HEADER_LEN;
    this.bytes += PCAP_RECORD_HEADER_LEN;
    this.records++;
    if (caplen < origLength) this.truncated++;
  }

  /** Copies [offset, offset + n) of u8 into the buffer, flushing as often as it fills. */
  private copyIn(u8: Uint8Array, offset: number, n: number): void {
    if (this.srcBacking !== u8.buffer) {
      this.srcBacking = u8.buffer;
      this.srcBuf = Buffer.from(u8.buffer, 0, u8.buffer.byteLength);
    }
    const src = this.srcBuf!;
    let from = u8.byteOffset + offset;
    let left = n;
    while (left > 0) {
      if (this.pos === this.buf.length) this.flush();
      const step = Math.min(left, this.buf.length - this.pos);
      src.copy(this.buf, this.pos, from, from + step);
      this.pos += step;
      from += step;
      left -= step;
    }
    this.bytes += n;
  }
}

// --- reader ---

export interface PcapHeader {
  /** True for nanosecond files (0xA1B23C4D), false for microsecond ones (0xA1B2C3D4). */
  nanosecond: boolean;
  littleEndian: boolean;
  versionMajor: number;
  versionMinor: number;
  thiszone: number;
  sigfigs: number;
  snaplen: number;
  linkType: number;
}

export interface PcapRecord {
  /** Timestamp in nanoseconds (microsecond files are scaled). */
  timeNs: number;
  /** Captured bytes (a subarray of the input: no copy). */
  data: Uint8Array;
  /** Length on the wire. */
  origLength: number;
  /** Byte offset of the record header in the file. */
  fileOffset: number;
}

export interface PcapFile {
  header: PcapHeader;
  records: PcapRecord[];
}

function formatError(offset: number, message: string): NetloomError {
  return new NetloomError(ErrorCode.INVALID_ARGUMENT, `at byte offset ${offset}: ${message}`, { path: "pcap" });
}

/** Parses a whole pcap file, checking every header and length. */
export function readPcap(bytes: Uint8Array): PcapFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < PCAP_GLOBAL_HEADER_LEN) {
    throw formatError(0, `global header truncated (${bytes.length} of ${PCAP_GLOBAL_HEADER_LEN} bytes)`);
  }
  const magicLe = view.getUint32(0, true);
  const magicBe = view.getUint32(0, false);
  let littleEndian: boolean;
  let nanosecond: boolean;
  if (magicLe === PCAP_MAGIC_NS || magicLe === PCAP_MAGIC_US) {
    littleEndian = true;
    nanosecond = magicLe === PCAP_MAGIC_NS;
  } else if (magicBe === PCAP_MAGIC_NS || magicBe === PCAP_MAGIC_US) {
    littleEndian = false;
    nanosecond = magicBe === PCAP_MAGIC_NS;
  } else {
    throw formatError(0, `bad magic 0x${magicBe.toString(16).padStart(8, "0")} (not a pcap file)`);
  }
  const le = littleEndian;
  const header: PcapHeader = {
    nanosecond,
    littleEndian,
    versionMajor: view.getUint16(4, le),
    versionMinor: view.getUint16(6, le),
    thiszone: view.getInt32(8, le),
    sigfigs: view.getUint32(12, le),
    snaplen: view.getUint32(16, le),
    linkType: view.getUint32(20, le),
  };
  if (header.versionMajor !== PCAP_VERSION_MAJOR) {
    throw formatError(4, `unsupported version ${header.versionMajor}.${header.versionMinor} (expected 2.x)`);
  }
  const fraction = nanosecond ? NS_PER_S : 1_000_000;
  const scale = nanosecond ? 1 : 1000;
  const records: PcapRecord[] = [];
  let at = PCAP_GLOBAL_HEADER_LEN;
  while (at < bytes.length) {
    const index = records.length;
    const left = bytes.length - at;
    if (left < PCAP_RECORD_HEADER_LEN) {
      throw formatError(at, `record ${index}: header truncated (${left} of ${PCAP_RECORD_HEADER_LEN} bytes)`);
    }
    const seconds = view.getUint32(at, le);
    const frac = view.getUint32(at + 4, le);
    const caplen = view.getUint32(at + 8, le);
    const origLength = view.getUint32(at + 12, le);
    if (frac >= fraction) {
      throw formatError(at + 4, `record ${index}: sub-second field ${frac} is not below ${fraction}`);
    }
    if (caplen > origLength) {
      throw formatError(at + 8, `record ${index}: captured length ${caplen} exceeds original length ${origLength}`);
    }
    const dataAt = at + PCAP_RECORD_HEADER_LEN;
    if (bytes.length - dataAt < caplen) {
      throw formatError(dataAt, `record ${index}: data truncated (${bytes.length - dataAt} of ${caplen} bytes)`);
    }
    records.push({
      timeNs: seconds * NS_PER_S + frac * scale,
      data: bytes.subarray(dataAt, dataAt + caplen),
      origLength,
      fileOffset: at,
    });
    at = dataAt + caplen;
  }
  return { header, records };
}
