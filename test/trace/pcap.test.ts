import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { ErrorCode, NetloomError } from "../../src/base/errors.js";
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_SUNATM,
  PCAP_GLOBAL_HEADER_LEN,
  PCAP_MAX_SNAPLEN,
  PCAP_RECORD_HEADER_LEN,
  PcapWriter,
  SUNATM_FLAG_TX,
  SUNATM_TYPE_LLC,
  readPcap,
  splitTimeNs,
} from "../../src/trace/pcap.js";
import {
  crc32,
  crc32Aal5,
  finishInternetChecksum,
  internetSum,
  ipv4PseudoHeaderSum,
} from "../../src/kernels/checksum.js";
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, EthernetView, emitEthernet, macFromString } from "../../src/wire/ethernet.js";
import { LlcSnapView, emitLlcSnap } from "../../src/wire/llc-snap.js";
import { CHECK_ALL_PREFS, requireTshark, tempDir, tsharkFields } from "../support/tshark.js";

/** Test buffers are pre-filled with 0xa5 so bytes the code forgot to write show up. */
function poisoned(length: number): Uint8Array {
  return new Uint8Array(length).fill(0xa5);
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const MAX_TIME = Number.MAX_SAFE_INTEGER; // 2^53 - 1 ns

function seeded(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 17 + (i >>> 8)) & 0xff;
  return out;
}

function expectNetloomError(fn: () => unknown, code: ErrorCode, ...fragments: string[]): NetloomError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(NetloomError);
  const err = caught as NetloomError;
  expect(err.code).toBe(code);
  for (const f of fragments) expect(err.message).toContain(f);
  return err;
}

describe("pcap writer: exact bytes", () => {
  it("writes the nanosecond global header, little-endian", () => {
    const w = new PcapWriter().openMemory(LINKTYPE_ETHERNET, 65535);
    expect(hex(w.toBuffer())).toBe(
      "4d3cb2a1" + // magic 0xA1B23C4D (nanosecond resolution)
        "0200" +
        "0400" + // version 2.4
        "00000000" + // thiszone
        "00000000" + // sigfigs
        "ffff0000" + // snaplen 65535
        "01000000", // LINKTYPE_ETHERNET
    );
    const atm = new PcapWriter().openMemory(LINKTYPE_SUNATM);
    expect(hex(atm.toBuffer().subarray(16, 24))).toBe("00000400" + "7b000000"); // 262144, 123
    expect(w.bytes).toBe(PCAP_GLOBAL_HEADER_LEN);
    expect(w.records).toBe(0);
  });

  it("writes a record header: seconds, nanoseconds, caplen, origlen, then the bytes", () => {
    const w = new PcapWriter().openMemory(LINKTYPE_ETHERNET);
    const frame = poisoned(8);
    frame.set([0xde, 0xad, 0xbe, 0xef], 2);
    w.writeRecord(1_500_000_123, frame, 2, 4);
    w.close();
    const file = w.toBuffer();
    expect(hex(file.subarray(PCAP_GLOBAL_HEADER_LEN))).toBe(
      "01000000" + "7b65cd1d" + "04000000" + "04000000" + "deadbeef",
    );
    expect(w.records).toBe(1);
    expect(w.bytes).toBe(file.length);
  });

  it.each([
    [0, 0, 0, "0000000000000000"],
    [999_999_999, 0, 999_999_999, "00000000ffc99a3b"],
    [1_000_000_000, 1, 0, "0100000000000000"],
    [MAX_TIME, 9_007_199, 254_740_991, "5f708900ff092f0f"],
  ])("splits %d ns into seconds and nanoseconds", (timeNs, sec, ns, headerHex) => {
    expect(splitTimeNs(timeNs)).toEqual([sec, ns]);
    const w = new PcapWriter().openMemory(LINKTYPE_ETHERNET);
    w.writeRecord(timeNs, new Uint8Array([1]));
    const file = w.toBuffer();
    expect(hex(file.subarray(24, 32))).toBe(headerHex);
    expect(readPcap(file).records[0]!.timeNs).toBe(timeNs);
  });

  it("rejects times that are not integer nanoseconds in [0, 2^53)", () => {
    const w = new PcapWriter().openMemory(LINKTYPE_ETHERNET);
    for (const t of [-1, 1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectNetloomError(() => w.writeRecord(t, new Uint8Array(1)), ErrorCode.INVALID_ARGUMENT, "timeNs");
      expectNetloomError(() => splitTimeNs(t), ErrorCode.INVALID_ARGUMENT, "timeNs");
    }
    expect(w.records).toBe(0);
  });

  it("truncates to snaplen and keeps the original length", () => {
    const w = new PcapWriter().openMemory(LINKTYPE_ETHERNET, 64);
    const frame = seeded(100, 1);
    w.writeRecord(5, frame);
    w.writeRecord(6, frame, 0, 60, 1514); // captured partially upstream
    w.writeRecord(7, frame, 0, 64);
    expect(w.truncated).toBe(2);
    const file = w.toBuffer();
    expect(hex(file.subarray(24 + 8, 24 + 16))).toBe("40000000" + "64000000"); // caplen 64, origlen 100
    const { records } = readPcap(file);
    expect(records.map((r) => [r.data.length, r.origLength])).toEqual([
      [64, 100],
      [60, 1514],
      [64, 64],
    ]);
    expect(hex(records[0]!.data)).toBe(hex(frame.subarray(0, 64)));
  });

  it("writes SunATM records: flags, VPI, big-endian VCI, then the PDU payload", () => {
    const w = new PcapWriter().openMemory(LINKTYPE_SUNATM, 10);
    const pdu = poisoned(20);
    pdu.set([0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00], 4);
    w.writeSunAtm(42, 1, 0x1234, pdu, 4, 8, SUNATM_TYPE_LLC | SUNATM_FLAG_TX);
    w.writeSunAtm(43, 255, 65535, pdu, 4, 4);
    const file = w.toBuffer();
    const rec = file.subarray(PCAP_GLOBAL_HEADER_LEN);
    expect(hex(rec.subarray(0, 16 + 10))).toBe(
      "00000000" +
        "2a000000" +
        "0a000000" +
        "0c000000" + // caplen 10 of origlen 4 + 8
        "82" +
        "01" +
        "1234" +
        "aaaa03000000",
    );
    expect(hex(rec.subarray(26))).toBe(
      "00000000" + "2b000000" + "08000000" + "08000000" + "02" + "ff" + "ffff" + "aaaa0300",
    );
    expect(w.truncated).toBe(1);
  });

  it("copies from views over shared memory and switches between sources", () => {
    const shared = new Uint8Array(new SharedArrayBuffer(4096));
    shared.set(seeded(4096, 9));
    const plain = seeded(300, 3);
    const w = new PcapWriter({ bufferBytes: 64 }).openMemory(LINKTYPE_ETHERNET);
    const view = shared.subarray(1000, 3000);
    w.writeRecord(1, view, 17, 1500);
    w.writeRecord(2, plain, 5, 200);
    w.writeRecord(3, view, 0, 64);
    const { records } = readPcap(w.toBuffer());
    expect(hex(records[0]!.data)).toBe(hex(shared.subarray(1017, 2517)));
    expect(hex(records[1]!.data)).toBe(hex(plain.subarray(5, 205)));
    expect(hex(records[2]!.data)).toBe(hex(shared.subarray(1000, 1064)));
  });
});

describe("pcap writer: buffering, files, misuse", () => {
  const sizes = [0, 1, 2, 3, 7, 8, 15, 16, 63, 64, 65, 1500, 9000, 65535];

  function writeAll(w: PcapWriter): void {
    sizes.forEach((n, i) => w.writeRecord(i * 1_000_000_007, seeded(n, i)));
  }

  it("gives the same bytes whatever the buffer size, in memory and in a file", () => {
    const big = new PcapWriter().openMemory(LINKTYPE_ETHERNET);
    writeAll(big);
    big.close();
    const expected = big.toBuffer();
    const small = new PcapWriter({ bufferBytes: 64 }).openMemory(LINKTYPE_ETHERNET);
    writeAll(small);
    small.close();
    expect(small.toBuffer().equals(expected)).toBe(true);

    const tmp = tempDir();
    try {
      for (const bufferBytes of [64, 100, 4096, 1 << 20]) {
        const path = tmp.path(`b${bufferBytes}.pcap`);
        const w = new PcapWriter({ bufferBytes }).open(path, LINKTYPE_ETHERNET);
        writeAll(w);
        expect(w.records).toBe(sizes.length);
        w.close();
        w.close(); // idempotent
        const file = readFileSync(path);
        expect(file.equals(expected)).toBe(true);
        expect(w.bytes).toBe(file.length);
      }
    } finally {
      tmp.remove();
    }
  });

  it("round-trips through the reader", () => {
    const w = new PcapWriter({ bufferBytes: 256 }).openMemory(LINKTYPE_ETHERNET);
    writeAll(w);
    const { header, records } = readPcap(w.toBuffer());
    expect(header).toEqual({
      nanosecond: true,
      littleEndian: true,
      versionMajor: 2,
      versionMinor: 4,
      thiszone: 0,
      sigfigs: 0,
      snaplen: PCAP_MAX_SNAPLEN,
      linkType: LINKTYPE_ETHERNET,
    });
    expect(records.length).toBe(sizes.length);
    let at = PCAP_GLOBAL_HEADER_LEN;
    records.forEach((r, i) => {
      expect(r.timeNs).toBe(i * 1_000_000_007);
      expect(r.origLength).toBe(sizes[i]);
      expect(hex(r.data)).toBe(hex(seeded(sizes[i]!, i)));
      expect(r.fileOffset).toBe(at);
      at += PCAP_RECORD_HEADER_LEN + sizes[i]!;
    });
  });

  it("rejects misuse with NetloomError", () => {
    const w = new PcapWriter();
    expectNetloomError(() => w.writeRecord(0, new Uint8Array(1)), ErrorCode.USE_AFTER_FREE, "not open");
    expectNetloomError(() => w.openMemory(2), ErrorCode.INVALID_ARGUMENT, "linkType");
    expectNetloomError(() => w.openMemory(LINKTYPE_ETHERNET, 0), ErrorCode.INVALID_ARGUMENT, "snaplen");
    expectNetloomError(
      () => w.openMemory(LINKTYPE_ETHERNET, PCAP_MAX_SNAPLEN + 1),
      ErrorCode.INVALID_ARGUMENT,
      "snaplen",
    );
    expectNetloomError(() => w.openMemory(LINKTYPE_SUNATM, 3), ErrorCode.INVALID_ARGUMENT, "snaplen");
    expectNetloomError(() => new PcapWriter({ bufferBytes: 16 }), ErrorCode.INVALID_ARGUMENT, "bufferBytes");
    w.openMemory(LINKTYPE_ETHERNET);
    expectNetloomError(() => w.openMemory(LINKTYPE_ETHERNET), ErrorCode.INVALID_ARGUMENT, "already open");
    expectNetloomError(() => w.writeRecord(0, new Uint8Array(4), 2, 3), ErrorCode.OUT_OF_BOUNDS, "4-byte");
    expectNetloomError(() => w.writeRecord(0, new Uint8Array(4), -1, 1), ErrorCode.OUT_OF_BOUNDS);
    expectNetloomError(() => w.writeRecord(0, new Uint8Array(4), 0, 4, 3), ErrorCode.INVALID_ARGUMENT, "origLength");
    expectNetloomError(() => w.writeSunAtm(0, 0, 32, new Uint8Array(4)), ErrorCode.INVALID_ARGUMENT, "LINKTYPE_SUNATM");
    expect(w.records).toBe(0);
    w.close();
    expectNetloomError(() => w.writeRecord(0, new Uint8Array(1)), ErrorCode.USE_AFTER_FREE);
    const atm = new PcapWriter().openMemory(LINKTYPE_SUNATM);
    expectNetloomError(() => atm.writeSunAtm(0, 256, 32, new Uint8Array(4)), ErrorCode.INVALID_ARGUMENT, "vpi");
    expectNetloomError(() => atm.writeSunAtm(0, 0, 65536, new Uint8Array(4)), ErrorCode.INVALID_ARGUMENT, "vci");
    expectNetloomError(() => new PcapWriter().toBuffer(), ErrorCode.INVALID_ARGUMENT, "openMemory");
    const tmp = tempDir();
    try {
      expectNetloomError(
        () => new PcapWriter().open(tmp.path("no/such/dir/x.pcap"), LINKTYPE_ETHERNET),
        ErrorCode.OUTPUT_FAILED,
        "cannot write the capture file",
      );
    } finally {
      tmp.remove();
    }
  });
});

describe("pcap reader: checks", () => {
  function sampleFile(): Buffer {
    const w = new PcapWriter().openMemory(LINKTYPE_ETHERNET);
    w.writeRecord(1, seeded(5, 1));
    w.writeRecord(2, seeded(0, 2));
    w.writeRecord(3, seeded(7, 3));
    return w.toBuffer();
  }

  it("rejects every truncation point with the offset and what is cut", () => {
    const file = sampleFile();
    // Record boundaries: a file cut exactly there is a valid, shorter capture.
    const boundaries = [24, 24 + 16 + 5, 24 + 16 + 5 + 16, 24 + 16 + 5 + 16 + 16 + 7];
    expect(boundaries[3]).toBe(file.length);
    for (let cut = 0; cut < file.length; cut++) {
      const bytes = file.subarray(0, cut);
      const whole = boundaries.indexOf(cut);
      if (whole >= 0) {
        expect(readPcap(bytes).records.length).toBe(whole);
        continue;
      }
      let expected: string;
      if (cut < 24) expected = `at byte offset 0: global header truncated (${cut} of 24 bytes)`;
      else {
        const start = [...boundaries].reverse().find((b) => b < cut)!;
        const index = boundaries.indexOf(start);
        const caplen = [5, 0, 7][index]!;
        expected =
          cut - start < 16
            ? `at byte offset ${start}: record ${index}: header truncated (${cut - start} of 16 bytes)`
            : `at byte offset ${start + 16}: record ${index}: data truncated (${cut - start - 16} of ${caplen} bytes)`;
      }
      expectNetloomError(() => readPcap(bytes), ErrorCode.INVALID_ARGUMENT, expected);
    }
  });

  it("rejects bad magic, version, sub-second field and lengths", () => {
    const file = sampleFile();
    const bad = (patch: (b: Buffer) => void): Buffer => {
      const copy = Buffer.from(file);
      patch(copy);
      return copy;
    };
    expectNetloomError(
      () => readPcap(bad((b) => b.writeUInt32LE(0x0a0d0d0a, 0))),
      ErrorCode.INVALID_ARGUMENT,
      "byte offset 0",
      "bad magic",
    );
    expectNetloomError(
      () => readPcap(bad((b) => b.writeUInt16LE(3, 4))),
      ErrorCode.INVALID_ARGUMENT,
      "byte offset 4",
      "version 3.4",
    );
    expectNetloomError(
      () => readPcap(bad((b) => b.writeUInt32LE(1_000_000_000, 28))),
      ErrorCode.INVALID_ARGUMENT,
      "byte offset 28",
      "record 0",
      "sub-second",
    );
    expectNetloomError(
      () => readPcap(bad((b) => b.writeUInt32LE(4, 24 + 12))),
      ErrorCode.INVALID_ARGUMENT,
      "byte offset 32",
      "record 0",
      "captured length 5 exceeds original length 4",
    );
  });

  it("reads big-endian microsecond files too (captures from elsewhere)", () => {
    const b = Buffer.alloc(24 + 16 + 3);
    b.writeUInt32BE(0xa1b2c3d4, 0);
    b.writeUInt16BE(2, 4);
    b.writeUInt16BE(4, 6);
    b.writeUInt32BE(1500, 16);
    b.writeUInt32BE(1, 20);
    b.writeUInt32BE(7, 24);
    b.writeUInt32BE(999_999, 28);
    b.writeUInt32BE(3, 32);
    b.writeUInt32BE(60, 36);
    b.set([1, 2, 3], 40);
    const { header, records } = readPcap(b);
    expect(header.nanosecond).toBe(false);
    expect(header.littleEndian).toBe(false);
    expect(header.snaplen).toBe(1500);
    expect(records[0]!.timeNs).toBe(7_999_999_000);
    expect(records[0]!.origLength).toBe(60);
    expect(hex(records[0]!.data)).toBe("010203");
  });
});

// --- tshark cross-checks ---

const SRC_MAC = macFromString("02:00:00:00:00:01");
const DST_MAC = macFromString("02:00:00:00:00:02");
const SRC_IP = 0x0a000001; // 10.0.0.1
const DST_IP = 0x0a000102; // 10.0.1.2

/** Writes IPv4 + UDP (real checksums) at `at`; returns the IP packet length. */
function writeIpv4Udp(buf: Uint8Array, at: number, payloadLength: number, seed: number): number {
  const udpLength = 8 + payloadLength;
  const ipLength = 20 + udpLength;
  const ip = buf.subarray(at, at + ipLength);
  ip.set([0x45, 0x00, ipLength >>> 8, ipLength & 0xff, 0x12, seed & 0xff, 0x40, 0x00, 64, 17, 0, 0]);
  ip.set([10, 0, 0, 1, 10, 0, 1, 2], 12);
  const ipSum = finishInternetChecksum(internetSum(ip.subarray(0, 20)));
  ip[10] = ipSum >>> 8;
  ip[11] = ipSum & 0xff;
  const udp = ip.subarray(20);
  // Ports outside any well-known range, so tshark shows the payload as plain data.
  udp.set([0xc3, 0x50, 0xc3, 0x51, udpLength >>> 8, udpLength & 0xff, 0, 0]);
  udp.set(seeded(payloadLength, seed), 8);
  let udpSum = finishInternetChecksum(internetSum(udp, ipv4PseudoHeaderSum(SRC_IP, DST_IP, 17, udpLength)));
  if (udpSum === 0) udpSum = 0xffff; // RFC 768: a computed 0 is sent as all ones
  udp[6] = udpSum >>> 8;
  udp[7] = udpSum & 0xff;
  return ipLength;
}

/** An Ethernet II frame carrying IPv4/UDP, zero-padded to 60 bytes, FCS appended LSB first. */
function ethernetFrame(payloadLength: number, seed: number): Uint8Array {
  const buf = poisoned(14 + 28 + payloadLength + 64);
  emitEthernet({ dst: DST_MAC, src: SRC_MAC, etherType: ETHERTYPE_IPV4 }, new EthernetView(buf));
  let n = 14 + writeIpv4Udp(buf, 14, payloadLength, seed);
  while (n < 60) buf[n++] = 0;
  const fcs = crc32(buf.subarray(0, n));
  buf[n] = fcs & 0xff;
  buf[n + 1] = (fcs >>> 8) & 0xff;
  buf[n + 2] = (fcs >>> 16) & 0xff;
  buf[n + 3] = fcs >>> 24;
  return buf.subarray(0, n + 4);
}

/** tshark prints checksum statuses as numbers (1 = Good) or, in newer versions, as names. */
const isGood = (status: string | undefined): boolean => status === "1" || status === "Good";
const isBad = (status: string | undefined): boolean => status === "0" || status === "Bad";

/** frame.time_epoch ("S.NNNNNNNNN") as integer nanoseconds, exactly. */
function epochToNs(text: string): bigint {
  const m = /^(\d+)\.(\d{9})$/.exec(text);
  if (m === null) throw new Error(`frame.time_epoch "${text}" does not have nanosecond precision`);
  return BigInt(m[1]!) * 1_000_000_000n + BigInt(m[2]!);
}

describe("tshark dissects what the writer produces", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir();
  });
  afterAll(() => tmp?.remove());

  const FIELDS = [
    "frame.number",
    "frame.time_epoch",
    "frame.len",
    "frame.protocols",
    "eth.fcs.status",
    "ip.checksum.status",
    "udp.checksum.status",
    "_ws.expert.message",
    "_ws.malformed",
  ];

  it("Ethernet: every FCS, IPv4 and UDP checksum good; nanosecond timestamps exact", () => {
    requireTshark(); // each test fails (never skips) with a clear message when tshark is missing
    const cases: [number, number][] = [
      [0, 0], // smallest payload: the frame is padded to 60 + FCS
      [999_999_999, 18],
      [1_000_000_000, 100],
      [1_234_567_890_123, 1472], // full 1500-byte IP packet
      [MAX_TIME, 333],
    ];
    const path = tmp.path("ethernet.pcap");
    const w = new PcapWriter().open(path, LINKTYPE_ETHERNET);
    const lengths = cases.map(([t, payload], i) => {
      const frame = ethernetFrame(payload, i + 1);
      w.writeRecord(t, frame);
      return frame.length;
    });
    w.close();

    const rows = tsharkFields(path, FIELDS, { prefs: CHECK_ALL_PREFS });
    expect(rows.length).toBe(cases.length);
    rows.forEach((row, i) => {
      const context = JSON.stringify(row);
      expect(row["frame.protocols"], context).toBe("eth:ethertype:ip:udp" + (cases[i]![1] > 0 ? ":data" : ""));
      expect(isGood(row["eth.fcs.status"]), context).toBe(true);
      expect(isGood(row["ip.checksum.status"]), context).toBe(true);
      expect(isGood(row["udp.checksum.status"]), context).toBe(true);
      expect(row["_ws.expert.message"], context).toBe("");
      expect(row["_ws.malformed"], context).toBe("");
      expect(Number(row["frame.len"])).toBe(lengths[i]);
      expect(epochToNs(row["frame.time_epoch"]!)).toBe(BigInt(cases[i]![0]));
    });
  });

  it("Ethernet negative control: the same preferences do catch a bad FCS, IPv4 or UDP checksum", () => {
    requireTshark(); // each test fails (never skips) with a clear message when tshark is missing
    const path = tmp.path("ethernet-bad.pcap");
    const w = new PcapWriter().open(path, LINKTYPE_ETHERNET);
    const badFcs = ethernetFrame(40, 1);
    badFcs[badFcs.length - 1]! ^= 0x01;
    const badIp = ethernetFrame(40, 2);
    badIp[14 + 10]! ^= 0x01; // IPv4 header checksum (FCS recomputed below so only IP is bad)
    const badUdp = ethernetFrame(40, 3);
    badUdp[14 + 20 + 6]! ^= 0x01; // UDP checksum
    for (const f of [badIp, badUdp]) {
      const n = f.length - 4;
      const fcs = crc32(f.subarray(0, n));
      f.set([fcs & 0xff, (fcs >>> 8) & 0xff, (fcs >>> 16) & 0xff, fcs >>> 24], n);
    }
    w.writeRecord(1, badFcs);
    w.writeRecord(2, badIp);
    w.writeRecord(3, badUdp);
    w.close();
    const rows = tsharkFields(path, FIELDS, { prefs: CHECK_ALL_PREFS });
    expect(isBad(rows[0]!["eth.fcs.status"])).toBe(true);
    expect(isBad(rows[1]!["ip.checksum.status"])).toBe(true);
    expect(isGood(rows[1]!["eth.fcs.status"])).toBe(true);
    expect(isBad(rows[2]!["udp.checksum.status"])).toBe(true);
    for (const row of rows) expect(row["_ws.expert.message"]).toMatch(/Bad checksum|incorrect/i);
  });

  it("SunATM: ATM -> LLC -> SNAP -> IPv4/UDP (and ARP) on several VPI/VCIs, no malformed packet", () => {
    requireTshark(); // each test fails (never skips) with a clear message when tshark is missing
    // [timeNs, vpi, vci, transmitted, etherType, UDP payload length]
    const cases: [number, number, number, boolean, number, number][] = [
      [10, 0, 32, false, ETHERTYPE_IPV4, 20],
      [20, 1, 100, true, ETHERTYPE_IPV4, 1000],
      [30, 255, 65535, false, ETHERTYPE_IPV4, 9152], // 9180-byte IP over ATM MTU (RFC 2225)
      [40, 0, 33, true, ETHERTYPE_ARP, 0],
      [MAX_TIME, 7, 4242, false, ETHERTYPE_IPV4, 0],
    ];
    const path = tmp.path("sunatm.pcap");
    const w = new PcapWriter().open(path, LINKTYPE_SUNATM);
    const payloadLengths: number[] = [];
    cases.forEach(([t, vpi, vci, tx, etherType, udpPayload], i) => {
      // The whole CPCS-PDU as a reassembling NIC holds it (payload, pad, trailer); only the
      // payload goes into the record.
      const pdu = poisoned(8 + 28 + udpPayload + 48 + 8);
      emitLlcSnap({ etherType }, new LlcSnapView(pdu));
      let len = 8;
      if (etherType === ETHERTYPE_IPV4) len += writeIpv4Udp(pdu, 8, udpPayload, i + 1);
      else {
        // ARP request (Ethernet/IPv4 format), 28 bytes.
        pdu.set([0, 1, 0x08, 0x00, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 1, 2], 8);
        len += 28;
      }
      const total = Math.ceil((len + 8) / 48) * 48;
      pdu.fill(0, len, total - 8);
      pdu.set([0, 0, len >>> 8, len & 0xff], total - 8);
      const crc = crc32Aal5(pdu.subarray(0, total - 4));
      pdu.set([crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff], total - 4);
      w.writeSunAtm(t, vpi, vci, pdu, 0, len, SUNATM_TYPE_LLC | (tx ? SUNATM_FLAG_TX : 0));
      payloadLengths.push(len);
    });
    w.close();

    const read = readPcap(readFileSync(path));
    expect(read.header.linkType).toBe(LINKTYPE_SUNATM);
    read.records.forEach((r, i) => expect(r.data.length).toBe(4 + payloadLengths[i]!));

    const rows = tsharkFields(path, [...FIELDS, "atm.vpi", "atm.vci", "atm.channel", "atm.aal", "llc.type"], {
      prefs: CHECK_ALL_PREFS,
    });
    expect(rows.length).toBe(cases.length);
    rows.forEach((row, i) => {
      const [t, vpi, vci, tx, etherType] = cases[i]!;
      const context = JSON.stringify(row);
      expect(row["_ws.expert.message"], context).toBe("");
      expect(row["_ws.malformed"], context).toBe("");
      expect(row["atm.vpi"], context).toBe(String(vpi));
      expect(row["atm.vci"], context).toBe(String(vci));
      // Wireshark: flag 0x80 -> channel 0 (DTE->DCE), clear -> channel 1 (DCE->DTE).
      expect(row["atm.channel"], context).toBe(tx ? "0" : "1");
      // wiretap's AAL_5 is 4 (shown by name in versions that print value strings).
      expect(["4", "AAL5"], context).toContain(row["atm.aal"]);
      expect(Number(row["llc.type"]), context).toBe(etherType);
      expect(Number(row["frame.len"]), context).toBe(payloadLengths[i]);
      expect(epochToNs(row["frame.time_epoch"]!)).toBe(BigInt(t));
      if (etherType === ETHERTYPE_IPV4) {
        expect(row["frame.protocols"], context).toBe("atm:llc:ip:udp" + (cases[i]![5] > 0 ? ":data" : ""));
        expect(isGood(row["ip.checksum.status"]), context).toBe(true);
        expect(isGood(row["udp.checksum.status"]), context).toBe(true);
      } else {
        expect(row["frame.protocols"], context).toBe("atm:llc:arp");
      }
    });
  });
});
