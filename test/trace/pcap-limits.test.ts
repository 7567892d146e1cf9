// Capture limits: a file stops at its size or record limit on a whole record, counts what it
// left out, and stays a valid pcap; a limit below the first record keeps the header alone.
import { describe, expect, it } from "vitest";
import { ErrorCode, NetloomError } from "../../src/base/errors.js";
import { parseCaptureLimit } from "../../src/base/units.js";
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_SUNATM,
  PCAP_GLOBAL_HEADER_LEN,
  PCAP_RECORD_HEADER_LEN,
  PcapWriter,
  readPcap,
} from "../../src/trace/pcap.js";

const frame = new Uint8Array(100).fill(0xa5);

describe("pcap limits", () => {
  it("maxRecords keeps the first records and counts the rest", () => {
    const w = new PcapWriter({ maxRecords: 3, bufferBytes: 64 }).openMemory(LINKTYPE_ETHERNET);
    for (let i = 0; i < 10; i++) w.writeRecord(i * 1000, frame);
    expect(w.records).toBe(3);
    expect(w.overLimit).toBe(7);
    const file = readPcap(w.toBuffer());
    expect(file.records.map((r) => r.timeNs)).toEqual([0, 1000, 2000]);
  });

  it("maxBytes never cuts a record: the file ends on a whole one at or under the limit", () => {
    const per = PCAP_RECORD_HEADER_LEN + 60;
    const limit = PCAP_GLOBAL_HEADER_LEN + 2 * per + per - 1; // room for 2 records and most of a third
    const w = new PcapWriter({ maxBytes: limit }).openMemory(LINKTYPE_ETHERNET, 60);
    for (let i = 0; i < 5; i++) w.writeRecord(i, frame);
    const bytes = w.toBuffer();
    expect(bytes.length).toBe(PCAP_GLOBAL_HEADER_LEN + 2 * per);
    expect(w.bytes).toBe(bytes.length);
    expect(w.overLimit).toBe(3);
    const file = readPcap(bytes);
    expect(file.records.map((r) => [r.data.length, r.origLength])).toEqual([
      [60, 100],
      [60, 100],
    ]);
    // A smaller record still fits after a larger one did not.
    const v = new PcapWriter({ maxBytes: PCAP_GLOBAL_HEADER_LEN + PCAP_RECORD_HEADER_LEN + 10 }).openMemory(
      LINKTYPE_ETHERNET,
    );
    v.writeRecord(0, frame);
    v.writeRecord(1, frame, 0, 10);
    expect(readPcap(v.toBuffer()).records.map((r) => r.data.length)).toEqual([10]);
  });

  it("applies to SunATM records, pseudo-header included", () => {
    const w = new PcapWriter({ maxRecords: 1 }).openMemory(LINKTYPE_SUNATM);
    w.writeSunAtm(0, 0, 32, frame);
    w.writeSunAtm(1, 0, 32, frame);
    expect(readPcap(w.toBuffer()).records).toHaveLength(1);
    expect(w.overLimit).toBe(1);
  });

  it("refuses a limit of zero or less", () => {
    for (const o of [{ maxBytes: 0 }, { maxRecords: 0 }, { maxRecords: 1.5 }]) {
      expect(() => new PcapWriter(o)).toThrow(NetloomError);
    }
  });
});

describe("capture limit text", () => {
  it("is a size or a packet count", () => {
    expect(parseCaptureLimit("100MB", "l")).toEqual({ bytes: 100e6 });
    expect(parseCaptureLimit("1GiB", "l")).toEqual({ bytes: 2 ** 30 });
    expect(parseCaptureLimit(5000, "l")).toEqual({ bytes: 5000 });
    expect(parseCaptureLimit("10000 packets", "l")).toEqual({ packets: 10000 });
    expect(parseCaptureLimit("1packet", "l")).toEqual({ packets: 1 });
  });

  it("says what it expected otherwise, naming the path", () => {
    for (const bad of ["0 packets", "0", "lots", "10 pkts", -1, "5 MiBs"]) {
      try {
        parseCaptureLimit(bad, "outputs.pcap.limit");
        throw new Error(`accepted ${String(bad)}`);
      } catch (e) {
        expect(e).toBeInstanceOf(NetloomError);
        expect((e as NetloomError).code).toBe(ErrorCode.INVALID_ARGUMENT);
        expect((e as Error).message).toMatch(/^outputs\.pcap\.limit: .* is not a capture limit \(/);
      }
    }
  });
});
