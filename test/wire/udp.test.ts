import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { getRuntime } from "../../src/kernels/runtime.js";
import { EthernetView, ETHERTYPE_IPV4, parseEthernet } from "../../src/wire/ethernet.js";
import {
  IP_PROTO_UDP,
  Ipv4ParseError,
  Ipv4View,
  createIpv4Repr,
  ipv4FromString,
  parseIpv4Into,
} from "../../src/wire/ipv4.js";
import {
  UDP_HEADER_LEN,
  UdpParseError,
  UdpView,
  createUdpRepr,
  emitUdp,
  parseUdp,
  parseUdpInto,
  udpLength,
  type UdpRepr,
} from "../../src/wire/udp.js";
import { placeInMemory } from "../support/runtimes.js";
import { poisoned, fromHex, toHex } from "../support/bytes.js";

const frees: Array<() => void> = [];
afterEach(() => {
  while (frees.length > 0) frees.pop()!();
});
function inKernel(bytes: Uint8Array, skew: number): Uint8Array {
  const rt = getRuntime();
  const { ptr, free } = placeInMemory(rt, bytes, skew);
  frees.push(free);
  return rt.u8.subarray(ptr, ptr + bytes.length);
}

// UDP 50000 -> 50001 from 192.168.0.1 to 192.168.0.199, payload 00 01 .. 56 (87 bytes), inside
// the classic IPv4 header 4500 0073 ... b861. Verified by hand with text2pcap +
// `tshark -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -V`: UDP checksum 0x8b34 [correct].
const SRC = ipv4FromString("192.168.0.1");
const DST = ipv4FromString("192.168.0.199");
const PAYLOAD = Uint8Array.from({ length: 87 }, (_, i) => i);
const DATAGRAM = fromHex("c350 c351 005f 8b34" + toHex(PAYLOAD));

// A datagram whose checksum computes to 0 and is therefore sent as ffff (RFC 768):
// 10.0.0.1:1000 -> 10.0.0.2:2000, payload e0 1f. Verified with text2pcap + tshark
// (udp.check_checksum:TRUE): "Checksum: 0xffff [correct]".
const ZERO_SRC = ipv4FromString("10.0.0.1");
const ZERO_DST = ipv4FromString("10.0.0.2");
const ZERO_DATAGRAM = fromHex("03e8 07d0 000a ffff e01f");

describe("udp known vectors", () => {
  it("parses the tshark-checked datagram", () => {
    const view = new UdpView(DATAGRAM);
    expect(view.checkLength()).toBe(UdpParseError.OK);
    expect([view.srcPort, view.dstPort, view.datagramLength, view.checksum]).toEqual([50000, 50001, 95, 0x8b34]);
    expect(view.payloadOffset).toBe(8);
    expect(view.payloadLength).toBe(87);
    expect(view.verifyChecksum(SRC, DST)).toBe(true);
    expect(parseUdp(view, SRC, DST)).toEqual({ srcPort: 50000, dstPort: 50001, payloadLength: 87 });
  });

  it("emits the same bytes from the repr with the payload in place", () => {
    const buf = poisoned(2 + DATAGRAM.length);
    buf.set(PAYLOAD, 1 + UDP_HEADER_LEN);
    const repr: UdpRepr = { srcPort: 50000, dstPort: 50001, payloadLength: 87 };
    expect(udpLength(repr)).toBe(95);
    emitUdp(repr, new UdpView(buf, 1, 95), SRC, DST);
    expect(toHex(buf)).toBe("a5" + toHex(DATAGRAM) + "a5");
  });

  it("sends a computed 0 as 0xffff, and accepts it", () => {
    const buf = poisoned(10);
    buf.set([0xe0, 0x1f], 8);
    emitUdp({ srcPort: 1000, dstPort: 2000, payloadLength: 2 }, new UdpView(buf), ZERO_SRC, ZERO_DST);
    expect(toHex(buf)).toBe(toHex(ZERO_DATAGRAM));
    expect(parseUdp(new UdpView(buf), ZERO_SRC, ZERO_DST)).toEqual({ srcPort: 1000, dstPort: 2000, payloadLength: 2 });
    const view = new UdpView(buf);
    view.fillChecksum(ZERO_SRC, ZERO_DST);
    expect(view.checksum).toBe(0xffff);
  });

  it("sends 0 (no checksum) only when asked, and accepts 0 on receive", () => {
    const buf = poisoned(DATAGRAM.length);
    buf.set(PAYLOAD, 8);
    emitUdp({ srcPort: 50000, dstPort: 50001, payloadLength: 87 }, new UdpView(buf), SRC, DST, false);
    expect(toHex(buf.subarray(0, 8))).toBe("c350c351005f0000");
    // A datagram without checksum passes whatever the addresses: nothing to verify.
    expect(parseUdpInto(new UdpView(buf), createUdpRepr(), 1, 2)).toBe(UdpParseError.OK);
  });

  it("a datagram shorter than the IP payload (padding) keeps its own length", () => {
    const padded = new Uint8Array(DATAGRAM.length + 5);
    padded.set(DATAGRAM);
    expect(parseUdp(new UdpView(padded), SRC, DST)).toEqual({ srcPort: 50000, dstPort: 50001, payloadLength: 87 });
  });
});

describe("udp malformed input returns its parse error", () => {
  const repr = createUdpRepr();

  it("truncated at every length", () => {
    for (let len = 0; len < DATAGRAM.length; len++) {
      expect(parseUdpInto(new UdpView(DATAGRAM, 0, len), repr, SRC, DST), `length ${len}`).toBe(
        UdpParseError.TRUNCATED,
      );
    }
  });

  it("length field below the header", () => {
    for (const length of [0, 1, 7]) {
      const bytes = DATAGRAM.slice();
      new UdpView(bytes).datagramLength = length;
      expect(parseUdpInto(new UdpView(bytes), repr, SRC, DST)).toBe(UdpParseError.BAD_LENGTH);
    }
  });

  it("length field beyond the bytes", () => {
    const bytes = DATAGRAM.slice();
    new UdpView(bytes).datagramLength = 96;
    expect(parseUdpInto(new UdpView(bytes), repr, SRC, DST)).toBe(UdpParseError.TRUNCATED);
  });

  it("bad checksum: single-bit flips and a wrong pseudo-header", () => {
    for (let byte = 0; byte < DATAGRAM.length; byte++) {
      if (byte === 4 || byte === 5) continue; // the length field: structural errors or checksum
      for (let bit = 0; bit < 8; bit++) {
        const bytes = DATAGRAM.slice();
        bytes[byte]! ^= 1 << bit;
        expect(parseUdpInto(new UdpView(bytes), repr, SRC, DST), `byte ${byte} bit ${bit}`).toBe(
          UdpParseError.BAD_CHECKSUM,
        );
      }
    }
    expect(parseUdpInto(new UdpView(DATAGRAM), repr, SRC, DST + 1)).toBe(UdpParseError.BAD_CHECKSUM);
    expect(parseUdpInto(new UdpView(DATAGRAM), repr, DST, SRC)).toBe(UdpParseError.OK); // the sum is symmetric
    expect(parseUdpInto(new UdpView(DATAGRAM), repr, SRC, DST + 1, false)).toBe(UdpParseError.OK);
  });

  it("never throws on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 0xffff_ffff }), (bytes, addr) => {
        const status = parseUdpInto(new UdpView(bytes), createUdpRepr(), addr, SRC);
        expect(Object.values(UdpParseError)).toContain(status);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("udp round trip", () => {
  it("emit -> parse -> emit gives identical bytes", () => {
    const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
    const port = fc.integer({ min: 0, max: 0xffff });
    fc.assert(
      fc.property(
        port,
        port,
        fc.uint8Array({ maxLength: 300 }),
        u32,
        u32,
        fc.boolean(),
        (srcPort, dstPort, payload, src, dst, sum) => {
          const repr: UdpRepr = { srcPort, dstPort, payloadLength: payload.length };
          const a = poisoned(UDP_HEADER_LEN + payload.length);
          a.set(payload, UDP_HEADER_LEN);
          emitUdp(repr, new UdpView(a), src, dst, sum);
          const parsed = parseUdp(new UdpView(a), src, dst);
          expect(parsed).toEqual(repr);
          const b = poisoned(a.length);
          b.set(payload, UDP_HEADER_LEN);
          emitUdp(parsed as UdpRepr, new UdpView(b), src, dst, sum);
          expect(toHex(b)).toBe(toHex(a));
          if (sum) expect(new UdpView(a).checksum).not.toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("udp checksums in kernel memory and in plain arrays agree", () => {
  it("emit and verify at even and odd addresses", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 3 }), (payload, skew) => {
        const plain = poisoned(UDP_HEADER_LEN + payload.length);
        plain.set(payload, UDP_HEADER_LEN);
        const kernel = inKernel(plain, skew);
        expect(getRuntime().owns(kernel)).toBe(true);
        const repr: UdpRepr = { srcPort: 7, dstPort: 9, payloadLength: payload.length };
        emitUdp(repr, new UdpView(plain), SRC, DST);
        emitUdp(repr, new UdpView(kernel), SRC, DST);
        expect(toHex(kernel)).toBe(toHex(plain));
        expect(parseUdp(new UdpView(kernel), SRC, DST)).toEqual(repr);
        while (frees.length > 0) frees.pop()!();
      }),
      { numRuns: 200 },
    );
  });

  it("the tshark-checked datagram verifies from kernel memory", () => {
    const kernel = inKernel(DATAGRAM, 1);
    expect(new UdpView(kernel).verifyChecksum(SRC, DST)).toBe(true);
  });
});

describe("udp in a whole frame", () => {
  // The tshark-checked frame: Ethernet 02:..:01 -> 02:..:02, the classic IPv4 header, the datagram
  // above; here followed by 4 bytes the link appended, to show that lengths come from the headers.
  const FRAME = fromHex(
    "020000000002 020000000001 0800" +
      "4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7" +
      toHex(DATAGRAM) +
      "deadbeef",
  );

  it("parses layer by layer with reused views and reprs, from kernel memory", () => {
    const bytes = inKernel(FRAME, 2);
    const eth = new EthernetView(bytes);
    expect(eth.checkLength()).toBe(true);
    expect(parseEthernet(eth).etherType).toBe(ETHERTYPE_IPV4);
    const ip = new Ipv4View(bytes, eth.headerLength, bytes.length - eth.headerLength);
    const ipRepr = createIpv4Repr();
    expect(parseIpv4Into(ip, ipRepr)).toBe(Ipv4ParseError.OK);
    expect(ipRepr.protocol).toBe(IP_PROTO_UDP);
    const udp = new UdpView(bytes, ip.payloadOffset, ip.payloadLength);
    const udpRepr = createUdpRepr();
    expect(parseUdpInto(udp, udpRepr, ipRepr.src, ipRepr.dst)).toBe(UdpParseError.OK);
    expect(udpRepr).toEqual({ srcPort: 50000, dstPort: 50001, payloadLength: 87 });
    expect(toHex(bytes.subarray(udp.payloadOffset, udp.payloadOffset + 4))).toBe("00010203");
  });
});
