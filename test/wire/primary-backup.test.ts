// The primary-backup message: a known vector, every malformation refused by its reason, random
// bytes never throw, emit -> parse -> emit gives the same bytes; and a capture of a running
// service dissects as UDP in tshark with no malformed packet and every checksum good.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { captureAll } from "../../src/run/capture.js";
import {
  PB_LEN,
  PB_NONE,
  PbParseError,
  PbStatus,
  PbType,
  PbView,
  createPbRepr,
  emitPb,
  parsePb,
  parsePbInto,
  type PbRepr,
} from "../../src/wire/primary-backup.js";
import { fromHex, poisoned, toHex } from "../support/bytes.js";
import { CHECK_ALL_PREFS, tempDir, tsharkFields } from "../support/tshark.js";
import { finish, MS, twoSides } from "../stacks/primary-backup/support.js";

// A REPLY from server 1 (epoch 2) telling client 3 that request 0x10 was committed at index 7.
const REPLY: PbRepr = {
  type: PbType.REPLY,
  status: PbStatus.OK,
  epoch: 2,
  sender: 1,
  hint: 1,
  client: 3,
  seq: 0x10,
  index: 7,
  value: 0xdeadbeef,
};
const REPLY_BYTES = fromHex("5042 1200 00000002 0001 0001 0003 0000 00000010 00000007 deadbeef");

describe("primary-backup message known vector", () => {
  it("emits and parses the documented layout", () => {
    const buf = poisoned(PB_LEN + 2);
    emitPb(REPLY, buf, 1);
    expect(toHex(buf)).toBe(`a5${toHex(REPLY_BYTES)}a5`);
    expect(parsePb(new PbView(REPLY_BYTES))).toEqual(REPLY);
    const v = new PbView(REPLY_BYTES);
    expect([v.version, v.type, v.status, v.epoch, v.sender, v.hint, v.client, v.seq, v.index, v.value]).toEqual([
      1, 2, 0, 2, 1, 1, 3, 0x10, 7, 0xdeadbeef,
    ]);
  });
});

describe("primary-backup malformed input returns its parse error", () => {
  const repr = createPbRepr();
  const at = (byte: number, value: number): Uint8Array => {
    const b = REPLY_BYTES.slice();
    b[byte] = value;
    return b;
  };

  it("every length but 28", () => {
    for (let len = 0; len < PB_LEN; len++)
      expect(parsePbInto(new PbView(REPLY_BYTES, 0, len), repr), `length ${len}`).toBe(PbParseError.TRUNCATED);
    const long = new Uint8Array(PB_LEN + 1);
    long.set(REPLY_BYTES);
    expect(parsePbInto(new PbView(long), repr)).toBe(PbParseError.BAD_LENGTH);
  });

  it("magic, version, type, status, reserved", () => {
    expect(parsePbInto(new PbView(at(0, 0x51)), repr)).toBe(PbParseError.BAD_MAGIC);
    expect(parsePbInto(new PbView(at(1, 0x43)), repr)).toBe(PbParseError.BAD_MAGIC);
    expect(parsePbInto(new PbView(at(2, 0x22)), repr)).toBe(PbParseError.BAD_VERSION);
    expect(parsePbInto(new PbView(at(2, 0x10)), repr)).toBe(PbParseError.BAD_TYPE);
    expect(parsePbInto(new PbView(at(2, 0x17)), repr)).toBe(PbParseError.BAD_TYPE);
    // REPLY knows OK and NOT_PRIMARY; the other types carry no status.
    expect(parsePbInto(new PbView(at(3, 1)), repr)).toBe(PbParseError.OK);
    expect(parsePbInto(new PbView(at(3, 2)), repr)).toBe(PbParseError.BAD_STATUS);
    const req = at(2, 0x11);
    req[3] = 1;
    expect(parsePbInto(new PbView(req), repr)).toBe(PbParseError.BAD_STATUS);
    expect(parsePbInto(new PbView(at(15, 1)), repr)).toBe(PbParseError.BAD_RESERVED);
  });

  it("never throws on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        expect(Object.values(PbParseError)).toContain(parsePbInto(new PbView(bytes), createPbRepr()));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("primary-backup round trip", () => {
  it("emit -> parse -> emit gives identical bytes", () => {
    const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
    const u16 = fc.integer({ min: 0, max: 0xffff });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.boolean(), u32, u16, u16, u16, u32, u32, u32, (type, np, ...f) => {
        const repr: PbRepr = {
          type: type as PbType,
          status: type === PbType.REPLY && np ? PbStatus.NOT_PRIMARY : PbStatus.OK,
          epoch: f[0],
          sender: f[1],
          hint: f[2],
          client: f[3],
          seq: f[4],
          index: f[5],
          value: f[6],
        };
        const a = poisoned(PB_LEN);
        emitPb(repr, a, 0);
        const parsed = parsePb(new PbView(a));
        expect(parsed).toEqual(repr);
        const b = poisoned(PB_LEN);
        emitPb(parsed as PbRepr, b, 0);
        expect(toHex(b)).toBe(toHex(a));
      }),
      { numRuns: 500 },
    );
  });

  it("PB_NONE is the no-server marker", () => {
    expect(PB_NONE).toBe(0xffff);
  });
});

describe("primary-backup capture", () => {
  it("a failover under a partition dissects as UDP: no malformed packet, checksums good", () => {
    const tmp = tempDir();
    try {
      const w = twoSides({ count: 30 });
      w.net.partition("cut", [["s1"], ["s2"]], 60 * MS, 200 * MS);
      const captures = captureAll(w.net, tmp.dir);
      w.net.run(300 * MS);
      captures.close();
      const types = new Set<string>();
      let rows = 0;
      for (const file of ["p-0.pcap", "b-0.pcap", "c1-0.pcap", "c2-0.pcap"]) {
        for (const r of tsharkFields(
          tmp.path(file),
          [
            "_ws.malformed",
            "_ws.expert.message",
            "eth.fcs.status",
            "ip.checksum.status",
            "udp.checksum.status",
            "udp.dstport",
            "udp.srcport",
            "data.data",
          ],
          { prefs: CHECK_ALL_PREFS },
        )) {
          if (r["udp.checksum.status"] === "") continue; // ARP
          rows++;
          expect(r["_ws.malformed"]).toBe("");
          expect(r["eth.fcs.status"]).toBe("1");
          expect(r["ip.checksum.status"]).toBe("1");
          expect(r["udp.checksum.status"]).toBe("1");
          expect([r["udp.srcport"], r["udp.dstport"]]).toEqual(["7300", "7300"]);
          const data = r["data.data"]!.replaceAll(":", "");
          expect(data.length).toBe(2 * PB_LEN);
          expect(data.slice(0, 4)).toBe("5042");
          types.add(data.slice(5, 6));
        }
      }
      expect(rows).toBeGreaterThan(100);
      // Requests, replies, a take-over request, updates, acks and heartbeats all on the wire.
      expect([...types].sort()).toEqual(["1", "2", "3", "4", "5", "6"]);
      finish(w);
    } finally {
      tmp.remove();
    }
  });
});
