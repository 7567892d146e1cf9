import { describe, expect, it } from "vitest";
import {
  AM_KIND_REPLY,
  AM_KIND_REQUEST,
  AmHeaderView,
  AmParseError,
  amHeaderLength,
  createAmHeaderRepr,
  emitAmHeader,
  parseAmHeader,
  parseAmHeaderInto,
  type AmHeaderRepr,
} from "../../../src/stacks/am/am-wire.js";

function repr(kind: number, handler: number, args: number[], payloadLength: number): AmHeaderRepr {
  const r = createAmHeaderRepr();
  r.kind = kind;
  r.handler = handler;
  r.nargs = args.length;
  args.forEach((a, i) => (r.args[i] = a));
  r.payloadLength = payloadLength;
  return r;
}

describe("Active Messages header", () => {
  it("emits the documented bytes", () => {
    const buf = new Uint8Array(40).fill(0xa5);
    emitAmHeader(repr(AM_KIND_REPLY, 0x42, [0x01020304, 0xfffffffe], 3), new AmHeaderView(buf, 1, 15));
    expect([...buf.subarray(1, 13)]).toEqual([0x11, 0x42, 0x02, 0x00, 1, 2, 3, 4, 0xff, 0xff, 0xff, 0xfe]);
    expect(buf[0]).toBe(0xa5);
    expect(buf[13]).toBe(0xa5); // the payload is not touched
  });

  it("round-trips every argument count (emit, parse, emit, compare)", () => {
    for (let n = 0; n <= 4; n++) {
      const args = [0xdeadbeef, 1, 0x80000000, 77].slice(0, n);
      const len = amHeaderLength(n) + 9;
      const a = new Uint8Array(len).fill(0xa5);
      emitAmHeader(repr(AM_KIND_REQUEST, 200, args, 9), new AmHeaderView(a, 0, len));
      const got = parseAmHeader(new AmHeaderView(a, 0, len));
      expect(typeof got).toBe("object");
      const r = got as AmHeaderRepr;
      expect([r.kind, r.handler, r.nargs, r.payloadLength]).toEqual([AM_KIND_REQUEST, 200, n, 9]);
      expect([...r.args.subarray(0, n)]).toEqual(args);
      const b = new Uint8Array(len).fill(0xa5);
      emitAmHeader(r, new AmHeaderView(b, 0, len));
      expect(b).toEqual(a);
    }
  });

  it("refuses truncated, wrong-version, bad-kind and too-many-argument headers", () => {
    const r = createAmHeaderRepr();
    const buf = new Uint8Array(24);
    emitAmHeader(repr(AM_KIND_REQUEST, 1, [1, 2], 0), new AmHeaderView(buf, 0, 24));
    for (const n of [0, 3, 11]) expect(parseAmHeaderInto(new AmHeaderView(buf, 0, n), r)).toBe(AmParseError.TRUNCATED);
    expect(parseAmHeaderInto(new AmHeaderView(buf, 0, 12), r)).toBe(AmParseError.OK);
    buf[2] = 5;
    expect(parseAmHeaderInto(new AmHeaderView(buf, 0, 24), r)).toBe(AmParseError.BAD_NARGS);
    buf[2] = 2;
    buf[0] = 0x12;
    expect(parseAmHeaderInto(new AmHeaderView(buf, 0, 24), r)).toBe(AmParseError.BAD_KIND);
    buf[0] = 0x00;
    expect(parseAmHeaderInto(new AmHeaderView(buf, 0, 24), r)).toBe(AmParseError.BAD_VERSION);
  });
});
