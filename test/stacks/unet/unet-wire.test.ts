import { describe, expect, it } from "vitest";
import {
  UNET_HEADER_LEN,
  UnetHeaderView,
  UnetParseError,
  emitUnetHeader,
  parseUnetHeader,
  parseUnetHeaderInto,
  createUnetHeaderRepr,
} from "../../../src/stacks/unet/unet-wire.js";

describe("U-Net Ethernet header", () => {
  it("emits the documented bytes and parses them back (emit, parse, emit, compare)", () => {
    const buf = new Uint8Array(32).fill(0xa5);
    const view = new UnetHeaderView(buf, 2, 8 + 5);
    emitUnetHeader({ channel: 0x1234, length: 5 }, view);
    expect([...buf.subarray(2, 10)]).toEqual([0x10, 0x00, 0x12, 0x34, 0x00, 0x05, 0x00, 0x00]);
    expect(buf[1]).toBe(0xa5); // nothing written before the header
    expect(buf[10]).toBe(0xa5); // nor into the message
    const repr = parseUnetHeader(view);
    expect(repr).toEqual({ channel: 0x1234, length: 5 });
    const again = new Uint8Array(32).fill(0xa5);
    emitUnetHeader(repr as { channel: number; length: number }, new UnetHeaderView(again, 2, 13));
    expect([...again.subarray(2, 10)]).toEqual([...buf.subarray(2, 10)]);
  });

  it("refuses untrusted bytes that are short, of another version or shorter than their length", () => {
    const repr = createUnetHeaderRepr();
    const buf = new Uint8Array(64);
    emitUnetHeader({ channel: 7, length: 20 }, new UnetHeaderView(buf, 0, 64));
    for (const n of [0, 1, 7])
      expect(parseUnetHeaderInto(new UnetHeaderView(buf, 0, n), repr)).toBe(UnetParseError.TRUNCATED);
    expect(parseUnetHeaderInto(new UnetHeaderView(buf, 0, UNET_HEADER_LEN + 19), repr)).toBe(UnetParseError.TRUNCATED);
    expect(parseUnetHeaderInto(new UnetHeaderView(buf, 0, UNET_HEADER_LEN + 20), repr)).toBe(UnetParseError.OK);
    // Ethernet padding after the message is allowed.
    expect(parseUnetHeaderInto(new UnetHeaderView(buf, 0, 60), repr)).toBe(UnetParseError.OK);
    expect(repr).toEqual({ channel: 7, length: 20 });
    buf[0] = 0x20;
    expect(parseUnetHeaderInto(new UnetHeaderView(buf, 0, 60), repr)).toBe(UnetParseError.BAD_VERSION);
  });
});
