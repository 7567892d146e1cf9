import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { getRuntime } from "../../src/kernels/runtime.js";
import { Ipv4View, parseIpv4 } from "../../src/wire/ipv4.js";
import {
  ICMP_DEST_UNREACHABLE,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_HEADER_LEN,
  ICMP_TIME_EXCEEDED,
  ICMP_TIME_EXCEEDED_TTL,
  ICMP_UNREACH_FRAG_NEEDED,
  ICMP_UNREACH_PORT,
  IcmpParseError,
  IcmpView,
  createIcmpRepr,
  emitIcmp,
  icmpLength,
  icmpQuoteLength,
  parseIcmp,
  parseIcmpInto,
  type IcmpRepr,
} from "../../src/wire/icmp.js";
import { placeInMemory } from "../support/runtimes.js";
import { poisoned, fromHex, toHex } from "../support/bytes.js";

const frees: Array<() => void> = [];
afterEach(() => {
  while (frees.length > 0) frees.pop()!();
});

// The three messages were checked by hand inside IPv4/Ethernet frames with text2pcap +
// `tshark -o ip.check_checksum:TRUE -V`: ICMP checksum [correct] (tshark verifies ICMP checksums
// by default), no malformed packet; tshark dissects the quote of frag-needed as IPv4 + UDP and
// shows "MTU of next hop: 1400".
// Echo request id 0x4242 seq 1 with 56 data bytes 10 11 .. 47 (ping's default size).
const ECHO_DATA = Uint8Array.from({ length: 56 }, (_, i) => 0x10 + i);
const ECHO = fromHex("0800 fce7 4242 0001" + toHex(ECHO_DATA));
// The classic datagram 192.168.0.1 -> 192.168.0.199 (UDP 50000 -> 50001, total length 115, DF):
// its IPv4 header and first 8 payload bytes, as a router quotes them.
const ORIGINAL = fromHex("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7 c350 c351 005f 8b34" + "00".repeat(87));
const QUOTE = ORIGINAL.subarray(0, 28);
// Destination unreachable, fragmentation needed, next-hop MTU 1400 (RFC 1191).
const FRAG_NEEDED = fromHex("0304 e54d 0000 0578" + toHex(QUOTE));
// Time exceeded in transit (TTL), same quote.
const TTL_EXCEEDED = fromHex("0b00 e2c9 0000 0000" + toHex(QUOTE));

describe("icmp known vectors", () => {
  it("parses the echo request", () => {
    const view = new IcmpView(ECHO);
    expect(view.checkLength()).toBe(IcmpParseError.OK);
    expect([view.type, view.code, view.checksum, view.ident, view.seqNo]).toEqual([8, 0, 0xfce7, 0x4242, 1]);
    expect(view.payloadOffset).toBe(8);
    expect(parseIcmp(view)).toEqual({
      type: ICMP_ECHO_REQUEST,
      code: 0,
      ident: 0x4242,
      seqNo: 1,
      nextHopMtu: 0,
      payloadLength: 56,
    } satisfies IcmpRepr);
  });

  it("emits the echo request with its data in place", () => {
    const buf = poisoned(ECHO.length + 2);
    buf.set(ECHO_DATA, 1 + ICMP_HEADER_LEN);
    const repr = parseIcmp(new IcmpView(ECHO)) as IcmpRepr;
    expect(icmpLength(repr)).toBe(64);
    emitIcmp(repr, new IcmpView(buf, 1, 64));
    expect(toHex(buf)).toBe("a5" + toHex(ECHO) + "a5");
  });

  it("answers an echo request in place: the reply differs only in type and checksum", () => {
    const bytes = ECHO.slice();
    const repr = parseIcmp(new IcmpView(bytes)) as IcmpRepr;
    repr.type = ICMP_ECHO_REPLY;
    emitIcmp(repr, new IcmpView(bytes));
    expect(toHex(bytes.subarray(0, 4))).toBe("0000" + "04e8"); // fce7 + 0x0800, one's complement
    expect(toHex(bytes.subarray(4))).toBe(toHex(ECHO.subarray(4)));
    expect(parseIcmp(new IcmpView(bytes))).toMatchObject({ type: ICMP_ECHO_REPLY, ident: 0x4242, seqNo: 1 });
  });

  it("parses fragmentation needed with the next-hop MTU and a usable quote", () => {
    const view = new IcmpView(FRAG_NEEDED);
    const repr = parseIcmp(view);
    expect(repr).toEqual({
      type: ICMP_DEST_UNREACHABLE,
      code: ICMP_UNREACH_FRAG_NEEDED,
      ident: 0,
      seqNo: 0,
      nextHopMtu: 1400,
      payloadLength: 28,
    } satisfies IcmpRepr);
    // The quote is a whole IPv4 header (its own checksum still good) plus the UDP ports.
    const quoted = new Ipv4View(FRAG_NEEDED, view.payloadOffset, view.payloadLength);
    expect(quoted.headerLength).toBe(20);
    expect(quoted.verifyChecksum()).toBe(true);
    expect(quoted.totalLength).toBe(115); // the original's, not the quote's
    expect(toHex(FRAG_NEEDED.subarray(quoted.payloadOffset, quoted.payloadOffset + 4))).toBe("c350c351");
  });

  it("emits fragmentation needed from the original datagram", () => {
    const original = new Ipv4View(ORIGINAL);
    const quoteLength = icmpQuoteLength(original);
    expect(quoteLength).toBe(28);
    const buf = poisoned(ICMP_HEADER_LEN + quoteLength);
    buf.set(ORIGINAL.subarray(0, quoteLength), ICMP_HEADER_LEN);
    emitIcmp(
      {
        type: ICMP_DEST_UNREACHABLE,
        code: ICMP_UNREACH_FRAG_NEEDED,
        ident: 0,
        seqNo: 0,
        nextHopMtu: 1400,
        payloadLength: quoteLength,
      },
      new IcmpView(buf),
    );
    expect(toHex(buf)).toBe(toHex(FRAG_NEEDED));
  });

  it("emits time exceeded byte for byte", () => {
    const buf = poisoned(TTL_EXCEEDED.length);
    buf.set(QUOTE, ICMP_HEADER_LEN);
    emitIcmp(
      { type: ICMP_TIME_EXCEEDED, code: ICMP_TIME_EXCEEDED_TTL, ident: 0, seqNo: 0, nextHopMtu: 0, payloadLength: 28 },
      new IcmpView(buf),
    );
    expect(toHex(buf)).toBe(toHex(TTL_EXCEEDED));
    expect(parseIcmp(new IcmpView(TTL_EXCEEDED))).toMatchObject({
      type: ICMP_TIME_EXCEEDED,
      code: 0,
      payloadLength: 28,
    });
  });

  it("quotes less than header + 8 when the datagram is shorter", () => {
    const short = ORIGINAL.slice(0, 24);
    const view = new Ipv4View(short);
    view.totalLength = 24;
    expect(icmpQuoteLength(view)).toBe(24);
  });

  it("time exceeded and port unreachable carry no MTU, whatever the repr says", () => {
    for (const [type, code] of [
      [ICMP_TIME_EXCEEDED, ICMP_TIME_EXCEEDED_TTL],
      [ICMP_DEST_UNREACHABLE, ICMP_UNREACH_PORT],
    ] as const) {
      const buf = poisoned(ICMP_HEADER_LEN + 28);
      buf.set(QUOTE, ICMP_HEADER_LEN);
      emitIcmp({ type, code, ident: 7, seqNo: 9, nextHopMtu: 0, payloadLength: 28 }, new IcmpView(buf));
      expect(toHex(buf.subarray(4, 8))).toBe("00000000");
      expect(parseIcmp(new IcmpView(buf))).toEqual({
        type,
        code,
        ident: 0,
        seqNo: 0,
        nextHopMtu: 0,
        payloadLength: 28,
      });
    }
    // Time exceeded ignores nextHopMtu entirely (bytes 4-7 are unused).
    const buf = poisoned(ICMP_HEADER_LEN + 28);
    buf.set(QUOTE, ICMP_HEADER_LEN);
    emitIcmp(
      { type: ICMP_TIME_EXCEEDED, code: 0, ident: 0, seqNo: 0, nextHopMtu: 1500, payloadLength: 28 },
      new IcmpView(buf),
    );
    expect(toHex(buf.subarray(4, 8))).toBe("00000000");
  });
});

describe("icmp malformed input returns its parse error", () => {
  const repr = createIcmpRepr();

  it("truncated below the header, at every length", () => {
    for (let len = 0; len < ICMP_HEADER_LEN; len++) {
      expect(parseIcmpInto(new IcmpView(ECHO, 0, len), repr)).toBe(IcmpParseError.TRUNCATED);
    }
  });

  it("a cut echo fails its checksum (ICMP has no length field)", () => {
    for (let len = ICMP_HEADER_LEN; len < ECHO.length; len++) {
      expect(parseIcmpInto(new IcmpView(ECHO, 0, len), repr)).toBe(IcmpParseError.BAD_CHECKSUM);
    }
  });

  it("an error message cut inside the quoted header is BAD_QUOTE", () => {
    for (let len = ICMP_HEADER_LEN; len < ICMP_HEADER_LEN + 20; len++) {
      expect(parseIcmpInto(new IcmpView(FRAG_NEEDED, 0, len), repr), `length ${len}`).toBe(IcmpParseError.BAD_QUOTE);
    }
  });

  it("a quote that is not an IPv4 header is BAD_QUOTE", () => {
    for (const first of [0x65, 0x44, 0x4f]) {
      const bytes = FRAG_NEEDED.slice();
      bytes[ICMP_HEADER_LEN] = first; // IPv6 version, IHL 4, IHL 15 (60 bytes > 28 quoted)
      const view = new IcmpView(bytes);
      view.fillChecksum();
      expect(parseIcmpInto(view, repr)).toBe(IcmpParseError.BAD_QUOTE);
    }
  });

  it("types it does not model", () => {
    for (const type of [5, 13, 14, 30, 255]) {
      const bytes = ECHO.slice();
      bytes[0] = type;
      const view = new IcmpView(bytes);
      view.fillChecksum();
      expect(parseIcmpInto(view, repr)).toBe(IcmpParseError.UNSUPPORTED_TYPE);
    }
  });

  it("bad checksum: any single-bit flip", () => {
    for (const message of [ECHO, FRAG_NEEDED]) {
      for (let byte = 1; byte < message.length; byte++) {
        if (message === FRAG_NEEDED && byte === ICMP_HEADER_LEN) continue; // the quote's version/IHL
        for (let bit = 0; bit < 8; bit++) {
          const bytes = message.slice();
          bytes[byte]! ^= 1 << bit;
          expect(parseIcmpInto(new IcmpView(bytes), repr), `byte ${byte} bit ${bit}`).toBe(IcmpParseError.BAD_CHECKSUM);
        }
      }
    }
    const bytes = ECHO.slice();
    bytes[2]! ^= 0x80;
    expect(parseIcmpInto(new IcmpView(bytes), repr, false)).toBe(IcmpParseError.OK);
  });

  it("never throws on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(0, 3, 8, 11), (bytes, type) => {
        if (bytes.length > 0) bytes[0] = type;
        expect(Object.values(IcmpParseError)).toContain(parseIcmpInto(new IcmpView(bytes), createIcmpRepr()));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("icmp round trip", () => {
  it("emit -> parse -> emit gives identical bytes", () => {
    const u16 = fc.integer({ min: 0, max: 0xffff });
    const echo = fc.record({
      type: fc.constantFrom(ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY),
      code: fc.constant(0),
      ident: u16,
      seqNo: u16,
      nextHopMtu: fc.constant(0),
      data: fc.uint8Array({ maxLength: 200 }),
    });
    const error = fc.record({
      type: fc.constantFrom(ICMP_DEST_UNREACHABLE, ICMP_TIME_EXCEEDED),
      code: fc.integer({ min: 0, max: 15 }),
      ident: fc.constant(0),
      seqNo: fc.constant(0),
      nextHopMtu: u16,
      data: fc.constant(QUOTE),
    });
    fc.assert(
      fc.property(fc.oneof(echo, error), ({ data, ...fields }) => {
        const repr: IcmpRepr = { ...fields, payloadLength: data.length };
        if (repr.type === ICMP_TIME_EXCEEDED) repr.nextHopMtu = 0;
        const a = poisoned(ICMP_HEADER_LEN + data.length);
        a.set(data, ICMP_HEADER_LEN);
        emitIcmp(repr, new IcmpView(a));
        const parsed = createIcmpRepr();
        expect(parseIcmpInto(new IcmpView(a), parsed)).toBe(IcmpParseError.OK);
        expect(parsed).toEqual(repr);
        const b = poisoned(a.length);
        b.set(data, ICMP_HEADER_LEN);
        emitIcmp(parsed, new IcmpView(b));
        expect(toHex(b)).toBe(toHex(a));
      }),
      { numRuns: 500 },
    );
  });
});

describe("icmp checksums in kernel memory and in plain arrays agree", () => {
  it("verify and re-fill at even and odd addresses", () => {
    const rt = getRuntime();
    for (const message of [ECHO, FRAG_NEEDED]) {
      for (const skew of [0, 1, 2, 3]) {
        const { ptr, free } = placeInMemory(rt, message, skew);
        frees.push(free);
        const bytes = rt.u8.subarray(ptr, ptr + message.length);
        expect(rt.owns(bytes)).toBe(true);
        const view = new IcmpView(bytes);
        expect(view.verifyChecksum()).toBe(true);
        view.fillChecksum();
        expect(toHex(bytes)).toBe(toHex(message));
        expect(parseIcmp(view)).toEqual(parseIcmp(new IcmpView(message)));
      }
    }
    expect(parseIpv4(new Ipv4View(ORIGINAL))).toMatchObject({ payloadLength: 95 });
  });
});
