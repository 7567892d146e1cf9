import { describe, expect, it } from "vitest";
import {
  ACCEL_HEADER_LEN,
  AccelKind,
  CONN_ID_LEN,
  emitAccelHeader,
  emitConnId,
  emitMiniHeader,
  packedBodyOk,
  parseAccelHeader,
  parseConnId,
  parseMiniHeader,
} from "../../../src/stacks/accel/mini-header.js";

describe("accelerator wire format", () => {
  it("mini-header: emit, parse, emit again gives the same bytes; C and L bits; 62-bit cookie", () => {
    const b = new Uint8Array(8).fill(0xa5);
    emitMiniHeader(b, 0, true, 0x3fff_fffe, 0x1234_5678);
    expect([...b]).toEqual([0xbf, 0xff, 0xff, 0xfe, 0x12, 0x34, 0x56, 0x78]);
    const m = parseMiniHeader(b, 0, 8)!;
    expect(m).toEqual({ conn: true, littleEndian: false, cookieHi: 0x3fff_fffe, cookieLo: 0x1234_5678 });
    const again = new Uint8Array(8);
    emitMiniHeader(again, 0, m.conn, m.cookieHi, m.cookieLo);
    expect(again).toEqual(b);
    emitMiniHeader(b, 0, false, 0x7fff_ffff, 1); // bits above 62 never leak into C/L
    expect(b[0]).toBe(0x3f);
    b[0]! |= 0x40;
    expect(parseMiniHeader(b, 0, 8)!.littleEndian).toBe(true);
    expect(parseMiniHeader(b, 0, 7)).toBeNull();
  });

  it("connection identification and accelerated header round-trip; malformed ones are refused", () => {
    const b = new Uint8Array(CONN_ID_LEN).fill(0xa5);
    const id = {
      version: 1,
      src: 1,
      dst: 0,
      members: 2,
      signature: 0xdeadbeef,
      link: 1,
      srcAddress: Uint8Array.of(2, 0, 0, 0, 0, 0x21),
      dstAddress: Uint8Array.of(2, 0, 0, 0, 0, 0x20),
    };
    emitConnId(b, 0, id);
    expect([...b]).toEqual([1, 1, 0, 2, 0xde, 0xad, 0xbe, 0xef, 1, 0, 2, 0, 0, 0, 0, 0x21, 2, 0, 0, 0, 0, 0x20, 0, 0]);
    expect(parseConnId(b, 0, CONN_ID_LEN)).toEqual(id);
    expect(parseConnId(b, 0, CONN_ID_LEN - 1)).toBeNull();
    b[8] = 7;
    expect(parseConnId(b, 0, CONN_ID_LEN)).toBeNull(); // unknown link
    b[8] = 1;
    b[0] = 2;
    expect(parseConnId(b, 0, CONN_ID_LEN)).toBeNull(); // unknown version

    const h = new Uint8Array(ACCEL_HEADER_LEN + 5).fill(0xa5);
    const rep = { kind: AccelKind.DATA, flags: 0, count: 1, seq: 0xfffffffe, ack: 7, length: 5, checksum: 0xbeef };
    emitAccelHeader(h, 0, rep);
    expect([...h.subarray(0, 16)]).toEqual([1, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 7, 0, 5, 0xbe, 0xef]);
    expect(parseAccelHeader(h, 0, h.length)).toEqual(rep);
    expect(parseAccelHeader(h, 0, h.length + 3)).toBeNull(); // length is not the bytes after it
    expect(parseAccelHeader(h, 0, h.length + 3, false)).toEqual(rep); // Ethernet padding allowed
    for (const [i, v] of [
      [0, 9],
      [1, 0x80],
      [3, 2],
    ] as const) {
      const bad = h.slice();
      bad[i] = v;
      expect(parseAccelHeader(bad, 0, bad.length)).toBeNull();
    }
    // PACKED: count items of (u16 length, bytes) exactly filling the body.
    const p = new Uint8Array(ACCEL_HEADER_LEN + 7);
    p.set([0, 2, 9, 9, 0, 1, 8], ACCEL_HEADER_LEN);
    emitAccelHeader(p, 0, { kind: AccelKind.PACKED, flags: 0, count: 2, seq: 3, ack: 0, length: 7, checksum: 0 });
    expect(parseAccelHeader(p, 0, p.length)!.count).toBe(2);
    expect(packedBodyOk(p, ACCEL_HEADER_LEN, 7, 3)).toBe(false);
    p[ACCEL_HEADER_LEN + 5] = 2; // second item overruns
    expect(parseAccelHeader(p, 0, p.length)).toBeNull();
    expect(parseAccelHeader(p, 0, 15)).toBeNull();
  });
});
