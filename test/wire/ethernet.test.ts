import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  ETHERTYPE_IPV4,
  EthernetView,
  emitEthernet,
  ethFrameLength,
  ethWireBits,
  ethernetHeaderLength,
  isGroupMac,
  macFromString,
  macToString,
  parseEthernet,
  type EthernetRepr,
} from "../../src/wire/ethernet.js";
import { poisoned } from "../support/bytes.js";

describe("ethernet wire format", () => {
  it("emits the exact header bytes of a known frame", () => {
    const repr: EthernetRepr = {
      dst: macFromString("ff:ff:ff:ff:ff:ff"),
      src: macFromString("02:00:5e:10:00:01"),
      etherType: ETHERTYPE_IPV4,
    };
    const buf = poisoned(16);
    emitEthernet(repr, new EthernetView(buf, 1, 14));
    expect(Buffer.from(buf).toString("hex")).toBe("a5" + "ffffffffffff" + "02005e100001" + "0800" + "a5");
  });

  it("parses an 802.1Q tag (TPID 0x8100, PCP, DEI, VID)", () => {
    const hex = "0180c2000000" + "001122334455" + "8100" + "b064" + "0806";
    const view = new EthernetView(Buffer.from(hex + "00".repeat(46), "hex"));
    expect(view.checkLength()).toBe(true);
    expect(view.tagged).toBe(true);
    expect(view.vlanId).toBe(100);
    expect(view.priority).toBe(5);
    expect(view.headerLength).toBe(18);
    expect(parseEthernet(view)).toEqual({
      dst: 0x0180c2000000,
      src: 0x001122334455,
      etherType: 0x0806,
      vlan: { id: 100, priority: 5, dropEligible: true },
    });
  });

  it("rejects truncated headers through checkLength", () => {
    expect(new EthernetView(new Uint8Array(13)).checkLength()).toBe(false);
    const tagged = Buffer.from("0180c2000000001122334455810000640806", "hex");
    expect(new EthernetView(tagged, 0, 17).checkLength()).toBe(false);
    expect(new EthernetView(tagged, 0, 18).checkLength()).toBe(true);
  });

  it("round-trips: emit, parse, emit again gives the same bytes", () => {
    const mac = fc.integer({ min: 0, max: 2 ** 48 - 1 });
    const arb = fc.record({
      dst: mac,
      src: mac,
      etherType: fc.integer({ min: 0x0600, max: 0xffff }).filter((t) => t !== 0x8100),
      vlan: fc.option(
        fc.record({
          id: fc.integer({ min: 0, max: 4095 }),
          priority: fc.integer({ min: 0, max: 7 }),
          dropEligible: fc.boolean(),
        }),
        { nil: undefined },
      ),
    });
    fc.assert(
      fc.property(arb, (input) => {
        const repr: EthernetRepr = { dst: input.dst, src: input.src, etherType: input.etherType };
        if (input.vlan) repr.vlan = input.vlan;
        const a = poisoned(ethernetHeaderLength(repr));
        emitEthernet(repr, new EthernetView(a));
        const view = new EthernetView(a);
        expect(view.checkLength()).toBe(true);
        const parsed = parseEthernet(view);
        expect(parsed).toEqual(repr);
        const b = poisoned(a.length);
        emitEthernet(parsed, new EthernetView(b));
        expect(Buffer.compare(a, b)).toBe(0);
      }),
    );
  });

  it("formats and parses MAC addresses, and knows group addresses", () => {
    expect(macToString(macFromString("02:00:5E:10:00:01"))).toBe("02:00:5e:10:00:01");
    expect(isGroupMac(macFromString("01:00:5e:00:00:01"))).toBe(true);
    expect(isGroupMac(macFromString("ff:ff:ff:ff:ff:ff"))).toBe(true);
    expect(isGroupMac(macFromString("02:00:5e:10:00:01"))).toBe(false);
    expect(() => macFromString("02:00:5e:10:00", "hosts[2].mac")).toThrow(
      'hosts[2].mac: "02:00:5e:10:00" is not a MAC',
    );
  });

  it("pads short frames to 64 bytes and counts preamble and gap on the wire", () => {
    expect(ethFrameLength(0)).toBe(64);
    expect(ethFrameLength(46)).toBe(64);
    expect(ethFrameLength(47)).toBe(65);
    expect(ethFrameLength(1500)).toBe(1518);
    expect(ethFrameLength(1500, true)).toBe(1522);
    // 64-byte frame: 8 preamble/SFD + 64 + 12 gap = 84 byte times = 672 bits (67.2 us at 10 Mbit/s).
    expect(ethWireBits(64)).toBe(672);
  });
});
