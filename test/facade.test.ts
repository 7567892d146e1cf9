// The public facade keeps the four kernel functions issue 2 pins, with exactly these meanings.
import { describe, expect, it } from "vitest";
import * as netloom from "../src/index.js";
import { zlibSync } from "./support/zlib.js";
import { seededBytes } from "./support/runtimes.js";
import { crc32Aal5 as refAal5 } from "../src/kernels/reference/crc32.js";

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("public facade", () => {
  it("internetChecksum gives the header field value, so a correct header sums to zero", () => {
    // RFC 791 style header from a real capture: 192.168.0.1 -> 192.168.0.199, UDP, checksum b861.
    const header = Buffer.from("45000073000040004011b861c0a80001c0a800c7", "hex");
    expect(netloom.internetChecksum(header)).toBe(0);
    header.writeUInt16BE(0, 10);
    expect(netloom.internetChecksum(header)).toBe(0xb861);
  });

  it("crc32 is the Ethernet FCS CRC, equal to zlib's", () => {
    expect(netloom.crc32(ascii("123456789"))).toBe(0xcbf43926);
    for (const n of [0, 1, 63, 1500, 9000]) {
      const data = seededBytes(n + 1, n);
      expect(netloom.crc32(data)).toBe(zlibSync.crc32(data));
    }
  });

  it("crc32Aal5 is the MSB-first CRC written into the AAL5 trailer", () => {
    expect(netloom.crc32Aal5(ascii("123456789"))).toBe(0xfc891918);
    // 40-byte zero PDU, UU = CPI = 0: the CRC covers payload, pad and the first trailer half.
    const cpcs = new Uint8Array(44);
    cpcs[43] = 40;
    expect(netloom.crc32Aal5(cpcs)).toBe(0x864d7f99);
  });

  it("atmHec is CRC-8 x^8+x^2+x+1 XOR 0x55 over the first four header bytes", () => {
    expect(netloom.atmHec(Uint8Array.of(0, 0, 0, 1))).toBe(0x52);
    expect(netloom.atmHec(Uint8Array.of(0, 0, 0, 0, 0x99))).toBe(0x55);
    expect(() => netloom.atmHec(Uint8Array.of(0, 0, 0))).toThrow(netloom.NetloomError);
  });

  it("returns unsigned values: the oracles' own, above 2^31 as well", () => {
    // Seeds whose CRCs have the top bit set, where a signed int32 would come out negative.
    const data = seededBytes(9, 100);
    expect(netloom.crc32(data)).toBe(zlibSync.crc32(data));
    expect(netloom.crc32(data)).toBeGreaterThanOrEqual(2 ** 31);
    expect(netloom.crc32Aal5(data)).toBe(refAal5(data));
    expect(netloom.crc32Aal5(data)).toBeGreaterThanOrEqual(2 ** 31);
  });
});
