import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { NetloomError } from "../../src/base/errors.js";
import { getRuntime } from "../../src/kernels/runtime.js";
import {
  IPV4_FLAG_DF,
  IP_PROTO_UDP,
  Ipv4ParseError,
  Ipv4View,
  createIpv4Repr,
  emitIpv4,
  inetChecksumRange,
  inetSumRange,
  ipv4DirectedBroadcast,
  ipv4FromString,
  ipv4HeaderLength,
  ipv4InPrefix,
  ipv4MaskToPrefixLength,
  ipv4MulticastMac,
  ipv4PrefixFromString,
  ipv4PrefixMask,
  ipv4PrefixToString,
  ipv4ToString,
  isBroadcastIpv4,
  isMulticastIpv4,
  parseIpv4,
  parseIpv4Into,
  type Ipv4Repr,
} from "../../src/wire/ipv4.js";
import { placeInMemory } from "../support/runtimes.js";
import { poisoned, fromHex, toHex } from "../support/bytes.js";

// The classic IPv4 header (192.168.0.1 -> 192.168.0.199, UDP, DF, TTL 64, total length 115)
// whose checksum is b861, followed by a UDP datagram 50000 -> 50001 with payload 00 01 .. 56.
// Verified by hand with text2pcap + `tshark -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE
// -V`: IP header checksum 0xb861 [correct], UDP checksum 0x8b34 [correct], no malformed packet.
const KNOWN_HEADER = "4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7";
const KNOWN_PACKET = fromHex(
  KNOWN_HEADER + "c350c351005f8b34" + Array.from({ length: 87 }, (_, i) => i.toString(16).padStart(2, "0")).join(""),
);

/** `header` (20 bytes) with `options` inserted, IHL, total length and checksum fixed up. */
function withOptions(packet: Uint8Array, options: Uint8Array): Uint8Array {
  const out = new Uint8Array(packet.length + options.length);
  out.set(packet.subarray(0, 20));
  out.set(options, 20);
  out.set(packet.subarray(20), 20 + options.length);
  const view = new Ipv4View(out);
  view.headerLength = 20 + options.length;
  view.totalLength = out.length;
  view.fillChecksum();
  return out;
}

const frees: Array<() => void> = [];
afterEach(() => {
  while (frees.length > 0) frees.pop()!();
});

/** A copy of `bytes` in the kernel's linear memory, `skew` bytes past a 64-byte boundary. */
function inKernel(bytes: Uint8Array, skew: number): Uint8Array {
  const rt = getRuntime();
  const { ptr, free } = placeInMemory(rt, bytes, skew);
  frees.push(free);
  return rt.u8.subarray(ptr, ptr + bytes.length);
}

describe("ipv4 known vectors", () => {
  it("parses the classic header and verifies checksum b861", () => {
    const view = new Ipv4View(KNOWN_PACKET);
    expect(view.checkLength()).toBe(Ipv4ParseError.OK);
    expect(view.checksum).toBe(0xb861);
    expect(view.verifyChecksum()).toBe(true);
    expect(view.headerLength).toBe(20);
    expect(view.payloadOffset).toBe(20);
    expect(view.payloadLength).toBe(95);
    expect(view.isFragment).toBe(false);
    expect(parseIpv4(view)).toEqual({
      src: ipv4FromString("192.168.0.1"),
      dst: ipv4FromString("192.168.0.199"),
      protocol: IP_PROTO_UDP,
      payloadLength: 95,
      ttl: 64,
      tos: 0,
      identification: 0,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
    } satisfies Ipv4Repr);
  });

  it("emits exactly the classic header, checksum included, and touches nothing else", () => {
    const repr = parseIpv4(new Ipv4View(KNOWN_PACKET));
    expect(typeof repr).toBe("object");
    const buf = poisoned(22);
    emitIpv4(repr as Ipv4Repr, new Ipv4View(buf, 1, 20));
    expect(toHex(buf)).toBe("a5" + KNOWN_HEADER.replace(/\s+/g, "") + "a5");
    expect(ipv4HeaderLength()).toBe(20);
  });

  it("fillChecksum recomputes b861 from a zeroed field", () => {
    const bytes = KNOWN_PACKET.slice();
    const view = new Ipv4View(bytes);
    view.checksum = 0;
    expect(view.verifyChecksum()).toBe(false);
    view.fillChecksum();
    expect(view.checksum).toBe(0xb861);
  });

  it("reads and writes every field through the view", () => {
    const buf = poisoned(20);
    const v = new Ipv4View(buf);
    v.headerLength = 20;
    v.tos = 0xb9; // DSCP 46 (EF), ECN 1
    v.totalLength = 20;
    v.identification = 0xbeef;
    v.fragmentWord = 0;
    v.dontFragment = true;
    v.moreFragments = true;
    v.fragmentOffset = 1480;
    v.ttl = 3;
    v.protocol = 6;
    v.src = 0x0a000001;
    v.dst = 0xe00000fb;
    v.fillChecksum();
    expect([v.version, v.dscp, v.ecn, v.identification, v.ttl, v.protocol]).toEqual([4, 46, 1, 0xbeef, 3, 6]);
    expect([v.dontFragment, v.moreFragments, v.fragmentOffset, v.isFragment]).toEqual([true, true, 1480, true]);
    expect(v.fragmentWord).toBe(IPV4_FLAG_DF | 0x2000 | 185);
    v.dontFragment = false;
    v.moreFragments = false;
    expect(v.fragmentWord).toBe(185);
    expect(v.isFragment).toBe(true);
    expect([v.src, v.dst]).toEqual([0x0a000001, 0xe00000fb]);
    expect(buf.includes(0xa5)).toBe(false);
  });
});

describe("ipv4 options and padding", () => {
  // Record Route option (7, length 7, pointer 4, one empty slot) + EOL: 8 option bytes.
  const withRr = withOptions(KNOWN_PACKET, fromHex("0707040000000000"));

  it("skips options: the payload starts at IHL * 4", () => {
    const view = new Ipv4View(withRr);
    expect(view.headerLength).toBe(28);
    const repr = createIpv4Repr();
    expect(parseIpv4Into(view, repr)).toBe(Ipv4ParseError.OK);
    expect(repr.payloadLength).toBe(95);
    expect(view.payloadOffset).toBe(28);
    expect(toHex(withRr.subarray(28, 36))).toBe("c350c351005f8b34");
  });

  it("accepts the largest header (IHL 15, 40 option bytes)", () => {
    const max = withOptions(KNOWN_PACKET, new Uint8Array(40).fill(1)); // 40 NOPs
    const view = new Ipv4View(max);
    expect(view.headerLength).toBe(60);
    expect(parseIpv4Into(view, createIpv4Repr())).toBe(Ipv4ParseError.OK);
  });

  it("ignores Ethernet padding after the total length", () => {
    const padded = new Uint8Array(60);
    const small = KNOWN_PACKET.slice(0, 28);
    const v = new Ipv4View(small);
    v.totalLength = 28;
    v.fillChecksum();
    padded.set(small);
    const repr = parseIpv4(new Ipv4View(padded));
    expect(repr).toMatchObject({ payloadLength: 8 });
  });
});

describe("ipv4 malformed input returns its parse error", () => {
  const repr = createIpv4Repr();

  it("truncated at every length", () => {
    for (const packet of [KNOWN_PACKET, withOptions(KNOWN_PACKET, fromHex("01010100"))]) {
      const headerLength = new Ipv4View(packet).headerLength;
      for (let len = 0; len < packet.length; len++) {
        const status = parseIpv4Into(new Ipv4View(packet, 0, len), repr);
        const expected = len < headerLength ? Ipv4ParseError.TRUNCATED : Ipv4ParseError.BAD_TOTAL_LENGTH;
        expect(status, `length ${len}`).toBe(expected);
      }
      expect(parseIpv4Into(new Ipv4View(packet), repr)).toBe(Ipv4ParseError.OK);
    }
  });

  it("bad version", () => {
    for (const version of [0, 5, 6, 15]) {
      const bytes = KNOWN_PACKET.slice();
      bytes[0] = (version << 4) | 5;
      expect(parseIpv4Into(new Ipv4View(bytes), repr)).toBe(Ipv4ParseError.BAD_VERSION);
    }
  });

  it("bad IHL (0..4)", () => {
    for (let ihl = 0; ihl < 5; ihl++) {
      const bytes = KNOWN_PACKET.slice();
      bytes[0] = 0x40 | ihl;
      expect(parseIpv4Into(new Ipv4View(bytes), repr)).toBe(Ipv4ParseError.BAD_IHL);
    }
  });

  it("IHL beyond the bytes is truncation", () => {
    const bytes = KNOWN_PACKET.slice(0, 40);
    bytes[0] = 0x4f; // 60-byte header in 40 bytes
    expect(parseIpv4Into(new Ipv4View(bytes), repr)).toBe(Ipv4ParseError.TRUNCATED);
  });

  it("total length beyond the buffer, or shorter than the header", () => {
    for (const total of [KNOWN_PACKET.length + 1, 0xffff, 0, 19]) {
      const bytes = KNOWN_PACKET.slice();
      const view = new Ipv4View(bytes);
      view.totalLength = total;
      view.fillChecksum();
      expect(parseIpv4Into(view, repr), `total ${total}`).toBe(Ipv4ParseError.BAD_TOTAL_LENGTH);
    }
    const optioned = withOptions(KNOWN_PACKET, fromHex("01010100"));
    const view = new Ipv4View(optioned);
    view.totalLength = 22; // inside the 24-byte header
    view.fillChecksum();
    expect(parseIpv4Into(view, repr)).toBe(Ipv4ParseError.BAD_TOTAL_LENGTH);
  });

  it("bad checksum: any single-bit flip in the header is caught", () => {
    for (let byte = 0; byte < 20; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const bytes = KNOWN_PACKET.slice();
        bytes[byte]! ^= 1 << bit;
        const status = parseIpv4Into(new Ipv4View(bytes), repr);
        expect(status, `byte ${byte} bit ${bit}`).not.toBe(Ipv4ParseError.OK);
        // Flips outside version/IHL/total length leave the structure intact: only the sum notices.
        if (byte !== 0 && byte !== 2 && byte !== 3) expect(status).toBe(Ipv4ParseError.BAD_CHECKSUM);
      }
    }
  });

  it("verifyChecksum = false skips only the checksum", () => {
    const bytes = KNOWN_PACKET.slice();
    bytes[11]! ^= 0xff;
    expect(parseIpv4Into(new Ipv4View(bytes), repr)).toBe(Ipv4ParseError.BAD_CHECKSUM);
    expect(parseIpv4Into(new Ipv4View(bytes), repr, false)).toBe(Ipv4ParseError.OK);
    expect(parseIpv4(new Ipv4View(bytes.subarray(0, 10)), false)).toBe(Ipv4ParseError.TRUNCATED);
  });

  it("never throws on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.boolean(), (bytes, fixLength) => {
        if (fixLength && bytes.length >= 4) {
          bytes[0] = 0x40 | (bytes[0]! & 0x0f);
          bytes[2] = bytes.length >>> 8;
          bytes[3] = bytes.length & 0xff;
        }
        const status = parseIpv4Into(new Ipv4View(bytes), createIpv4Repr());
        expect(Object.values(Ipv4ParseError)).toContain(status);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("ipv4 router step", () => {
  it("decrementTtl keeps the checksum valid (RFC 1624), options included", () => {
    for (const packet of [KNOWN_PACKET.slice(), withOptions(KNOWN_PACKET, fromHex("0707040000000000"))]) {
      const view = new Ipv4View(packet);
      for (let expected = 63; expected >= 0; expected--) {
        expect(view.decrementTtl()).toBe(expected);
        expect(view.verifyChecksum()).toBe(true);
        const recomputed = packet.slice(0, view.headerLength);
        const rv = new Ipv4View(recomputed);
        rv.fillChecksum();
        expect(rv.checksum).toBe(view.checksum);
      }
      const checksum = view.checksum;
      expect(view.decrementTtl()).toBe(0); // already 0: untouched
      expect(view.checksum).toBe(checksum);
    }
  });
});

describe("ipv4 round trip", () => {
  const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
  const reprArb = fc.record({
    src: u32,
    dst: u32,
    protocol: fc.integer({ min: 0, max: 255 }),
    payloadLength: fc.integer({ min: 0, max: 200 }),
    ttl: fc.integer({ min: 0, max: 255 }),
    tos: fc.integer({ min: 0, max: 255 }),
    identification: fc.integer({ min: 0, max: 0xffff }),
    dontFragment: fc.boolean(),
    moreFragments: fc.boolean(),
    fragmentOffset: fc.integer({ min: 0, max: 0x1fff }).map((units) => units * 8),
  });

  it("emit -> parse -> emit gives identical bytes and the same repr", () => {
    fc.assert(
      fc.property(reprArb, (repr: Ipv4Repr) => {
        const a = poisoned(20 + repr.payloadLength);
        emitIpv4(repr, new Ipv4View(a));
        const parsed = createIpv4Repr();
        expect(parseIpv4Into(new Ipv4View(a), parsed)).toBe(Ipv4ParseError.OK);
        expect(parsed).toEqual(repr);
        const b = poisoned(a.length);
        emitIpv4(parsed, new Ipv4View(b));
        expect(toHex(b.subarray(0, 20))).toBe(toHex(a.subarray(0, 20)));
      }),
      { numRuns: 500 },
    );
  });
});

describe("ipv4 checksums in kernel memory and in plain arrays agree", () => {
  it("header checksum, verify and parse at even and odd addresses", () => {
    const plain = withOptions(KNOWN_PACKET, fromHex("0707040000000000"));
    for (const skew of [0, 1, 2, 3]) {
      const bytes = inKernel(plain, skew);
      expect(getRuntime().owns(bytes)).toBe(true);
      const view = new Ipv4View(bytes);
      expect(view.verifyChecksum()).toBe(true);
      view.checksum = 0;
      view.fillChecksum();
      expect(view.checksum).toBe(new Ipv4View(plain).checksum);
      expect(parseIpv4(view)).toEqual(parseIpv4(new Ipv4View(plain)));
    }
  });

  it("inetSumRange gives the same sums for any range, owned or not", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffff }),
        (bytes, a, b, initial) => {
          const start = bytes.length === 0 ? 0 : a % bytes.length;
          const length = bytes.length - start === 0 ? 0 : b % (bytes.length - start + 1);
          const kernel = inKernel(bytes.length === 0 ? new Uint8Array(1) : bytes, a % 4);
          expect(inetSumRange(kernel, start, length, initial)).toBe(inetSumRange(bytes, start, length, initial));
          expect(inetChecksumRange(kernel, start, length)).toBe(inetChecksumRange(bytes, start, length));
          while (frees.length > 0) frees.pop()!();
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("ipv4 addresses and prefixes", () => {
  it("converts dotted quads both ways", () => {
    expect(ipv4FromString("192.168.0.1")).toBe(0xc0a80001);
    expect(ipv4FromString("255.255.255.255")).toBe(0xffffffff);
    expect(ipv4FromString("0.0.0.0")).toBe(0);
    expect(ipv4ToString(0xc0a800c7)).toBe("192.168.0.199");
    expect(ipv4ToString(0xffffffff)).toBe("255.255.255.255");
  });

  it("refuses bad text with INVALID_ARGUMENT naming the path", () => {
    for (const text of ["256.0.0.1", "1.2.3", "1.2.3.4.5", "a.b.c.d", "", " 1.2.3.4", "1.2.3.4/8"]) {
      expect(() => ipv4FromString(text, "hosts[2].ip")).toThrowError(NetloomError);
      try {
        ipv4FromString(text, "hosts[2].ip");
      } catch (e) {
        expect((e as NetloomError).code).toBe("INVALID_ARGUMENT");
        expect((e as NetloomError).message).toContain("hosts[2].ip");
      }
    }
  });

  it("classifies multicast and broadcast", () => {
    expect(isMulticastIpv4(ipv4FromString("224.0.0.1"))).toBe(true);
    expect(isMulticastIpv4(ipv4FromString("239.255.255.255"))).toBe(true);
    expect(isMulticastIpv4(ipv4FromString("223.255.255.255"))).toBe(false);
    expect(isMulticastIpv4(ipv4FromString("240.0.0.0"))).toBe(false);
    expect(isBroadcastIpv4(0xffffffff)).toBe(true);
    expect(isBroadcastIpv4(ipv4FromString("10.0.0.255"))).toBe(false);
    expect(ipv4MulticastMac(ipv4FromString("224.0.0.251"))).toBe(0x01005e0000fb);
    expect(ipv4MulticastMac(ipv4FromString("239.255.1.2"))).toBe(0x01005e7f0102); // top bit of octet 2 dropped
  });

  it("masks, prefix lengths and membership", () => {
    expect(ipv4PrefixMask(0)).toBe(0);
    expect(ipv4PrefixMask(24)).toBe(0xffffff00);
    expect(ipv4PrefixMask(32)).toBe(0xffffffff);
    for (let n = 0; n <= 32; n++) expect(ipv4MaskToPrefixLength(ipv4PrefixMask(n))).toBe(n);
    expect(() => ipv4MaskToPrefixLength(ipv4FromString("255.0.255.0"))).toThrowError(/contiguous/);
    expect(() => ipv4PrefixMask(33)).toThrowError(NetloomError);
    const net = ipv4FromString("10.1.2.0");
    expect(ipv4InPrefix(ipv4FromString("10.1.2.77"), net, 24)).toBe(true);
    expect(ipv4InPrefix(ipv4FromString("10.1.3.77"), net, 24)).toBe(false);
    expect(ipv4InPrefix(ipv4FromString("200.1.3.77"), net, 0)).toBe(true);
    expect(ipv4InPrefix(net, net, 32)).toBe(true);
    expect(ipv4DirectedBroadcast(net, 24)).toBe(ipv4FromString("10.1.2.255"));
  });

  it("parses prefixes, clearing host bits", () => {
    expect(ipv4PrefixFromString("10.1.2.3/8")).toEqual({ network: 0x0a000000, prefixLength: 8 });
    expect(ipv4PrefixFromString("0.0.0.0/0")).toEqual({ network: 0, prefixLength: 0 });
    expect(ipv4PrefixToString(ipv4PrefixFromString("192.168.7.1/32"))).toBe("192.168.7.1/32");
    for (const bad of ["10.0.0.0", "10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "10.0.0.0/x"]) {
      expect(() => ipv4PrefixFromString(bad, "routes[0].prefix")).toThrowError(/routes\[0\]\.prefix/);
    }
  });
});
