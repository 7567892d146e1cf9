import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { macFromString } from "../../src/wire/ethernet.js";
import { ipv4FromString } from "../../src/wire/ipv4.js";
import {
  ARP_LEN,
  ARP_OP_REPLY,
  ARP_OP_REQUEST,
  ArpParseError,
  ArpView,
  arpReplyTo,
  createArpRepr,
  emitArp,
  parseArp,
  parseArpInto,
  type ArpRepr,
} from "../../src/wire/arp.js";
import { poisoned, fromHex, toHex } from "../support/bytes.js";

// "Who has 10.0.0.2? Tell 10.0.0.1" from 02:00:00:00:00:01, checked by hand with text2pcap +
// tshark -V (in an Ethernet broadcast frame): Opcode request (1), sender 02:00:00:00:00:01
// 10.0.0.1, target 00:00:00:00:00:00 10.0.0.2, no malformed packet.
const REQUEST = fromHex("0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002");
const A = macFromString("02:00:00:00:00:01");
const B = macFromString("02:00:00:00:00:02");

describe("arp known vectors", () => {
  it("parses the tshark-checked request", () => {
    const view = new ArpView(REQUEST);
    expect(view.checkLength()).toBe(ArpParseError.OK);
    expect([view.hardwareType, view.protocolType, view.hardwareLength, view.protocolLength]).toEqual([1, 0x0800, 6, 4]);
    expect(parseArp(view)).toEqual({
      operation: ARP_OP_REQUEST,
      senderMac: A,
      senderIp: ipv4FromString("10.0.0.1"),
      targetMac: 0,
      targetIp: ipv4FromString("10.0.0.2"),
    } satisfies ArpRepr);
  });

  it("emits exactly the request's 28 bytes and nothing more", () => {
    const buf = poisoned(30);
    emitArp(parseArp(new ArpView(REQUEST)) as ArpRepr, new ArpView(buf, 1, 28));
    expect(toHex(buf)).toBe("a5" + toHex(REQUEST) + "a5");
  });

  it("builds the reply to a request", () => {
    const reply = arpReplyTo(parseArp(new ArpView(REQUEST)) as ArpRepr, B);
    const buf = poisoned(ARP_LEN);
    emitArp(reply, new ArpView(buf));
    expect(toHex(buf)).toBe("000108000604" + "0002" + "020000000002" + "0a000002" + "020000000001" + "0a000001");
    expect(parseArp(new ArpView(buf))).toMatchObject({ operation: ARP_OP_REPLY, senderMac: B, targetMac: A });
  });

  it("ignores Ethernet padding after the 28 bytes", () => {
    const padded = new Uint8Array(46);
    padded.set(REQUEST);
    expect(parseArpInto(new ArpView(padded), createArpRepr())).toBe(ArpParseError.OK);
  });

  it("setters write the fields", () => {
    const buf = poisoned(ARP_LEN);
    const v = new ArpView(buf);
    v.hardwareType = 1;
    v.protocolType = 0x0800;
    v.hardwareLength = 6;
    v.protocolLength = 4;
    v.operation = ARP_OP_REQUEST;
    v.senderMac = A;
    v.senderIp = ipv4FromString("10.0.0.1");
    v.targetMac = 0;
    v.targetIp = ipv4FromString("10.0.0.2");
    expect(toHex(buf)).toBe(toHex(REQUEST));
  });
});

describe("arp malformed input returns its parse error", () => {
  const repr = createArpRepr();
  const mutated = (at: number, value: number): ArpView => {
    const bytes = REQUEST.slice();
    bytes[at] = value;
    return new ArpView(bytes);
  };

  it("truncated at every length", () => {
    for (let len = 0; len < ARP_LEN; len++) {
      expect(parseArpInto(new ArpView(REQUEST, 0, len), repr)).toBe(ArpParseError.TRUNCATED);
    }
  });

  it("other hardware, protocol or operation", () => {
    expect(parseArpInto(mutated(1, 6), repr)).toBe(ArpParseError.BAD_HARDWARE); // IEEE 802 networks
    expect(parseArpInto(mutated(4, 8), repr)).toBe(ArpParseError.BAD_HARDWARE);
    expect(parseArpInto(mutated(2, 0x86), repr)).toBe(ArpParseError.BAD_PROTOCOL);
    expect(parseArpInto(mutated(5, 16), repr)).toBe(ArpParseError.BAD_PROTOCOL);
    expect(parseArpInto(mutated(7, 3), repr)).toBe(ArpParseError.BAD_OPERATION); // RARP request
    expect(parseArpInto(mutated(7, 0), repr)).toBe(ArpParseError.BAD_OPERATION);
  });

  it("never throws on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        expect(Object.values(ArpParseError)).toContain(parseArpInto(new ArpView(bytes), createArpRepr()));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("arp round trip", () => {
  it("emit -> parse -> emit gives identical bytes", () => {
    const mac = fc.integer({ min: 0, max: 2 ** 48 - 1 });
    const ip = fc.integer({ min: 0, max: 0xffff_ffff });
    const arb = fc.record({
      operation: fc.constantFrom(ARP_OP_REQUEST, ARP_OP_REPLY),
      senderMac: mac,
      senderIp: ip,
      targetMac: mac,
      targetIp: ip,
    });
    fc.assert(
      fc.property(arb, (repr) => {
        const a = poisoned(ARP_LEN);
        emitArp(repr, new ArpView(a));
        const parsed = createArpRepr();
        expect(parseArpInto(new ArpView(a), parsed)).toBe(ArpParseError.OK);
        expect(parsed).toEqual(repr);
        const b = poisoned(ARP_LEN);
        emitArp(parsed, new ArpView(b));
        expect(toHex(b)).toBe(toHex(a));
      }),
      { numRuns: 500 },
    );
  });
});
