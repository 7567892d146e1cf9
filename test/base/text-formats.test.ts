// The one parser per text format: IPv4 addresses and prefixes, MAC addresses; and the one edit
// distance. The wire/ names wrap them, so both agree on every input.
import { describe, expect, it } from "vitest";
import { editDistance, firstNear, suggest } from "../../src/base/did-you-mean.js";
import { ipv4FromText, ipv4ToText, splitIpv4Prefix } from "../../src/base/ipv4-text.js";
import { macFromText, macToText } from "../../src/base/mac-text.js";
import { macFromString, macToString } from "../../src/wire/ethernet.js";
import { ipv4FromString, ipv4PrefixFromString, ipv4ToString } from "../../src/wire/ipv4.js";

describe("IPv4 text", () => {
  it("reads four decimal octets of 1 to 3 digits, each at most 255", () => {
    expect(ipv4FromText("10.0.0.1")).toBe(0x0a000001);
    expect(ipv4FromText("255.255.255.255")).toBe(0xffffffff);
    expect(ipv4FromText("0.0.0.0")).toBe(0);
    for (const bad of ["", "10.0.0", "10.0.0.1.2", "256.0.0.1", "1.2.3.1000", " 10.0.0.1", "10.0.0.1/8", "a.b.c.d"]) {
      expect(ipv4FromText(bad), bad).toBeUndefined();
    }
  });

  it("refuses leading zeros unless told (some tools read them as octal)", () => {
    expect(ipv4FromText("010.0.0.1")).toBeUndefined();
    expect(ipv4FromText("010.0.0.1", { leadingZeros: true })).toBe(0x0a000001);
    expect(ipv4FromString("010.0.0.1")).toBe(0x0a000001);
    expect(() => ipv4FromString("300.0.0.1", "x")).toThrow('x: "300.0.0.1" is not an IPv4 address (like 192.168.0.1)');
  });

  it("writes dotted quads, the same text wire/ writes", () => {
    for (const a of [0, 1, 0x0a000001, 0xc0a80001, 0xffffffff]) {
      expect(ipv4ToText(a)).toBe(ipv4ToString(a));
      expect(ipv4FromText(ipv4ToText(a))).toBe(a >>> 0);
    }
  });

  it("splits a prefix at its one slash, with a length of at most 32", () => {
    expect(splitIpv4Prefix("10.0.0.1/24")).toEqual({ addressText: "10.0.0.1", prefixLength: 24 });
    expect(splitIpv4Prefix("x/0")).toEqual({ addressText: "x", prefixLength: 0 });
    for (const bad of ["10.0.0.1", "10.0.0.1/", "10.0.0.1/33", "10.0.0.1/024", "1/2/3", "10.0.0.1/2a"]) {
      expect(splitIpv4Prefix(bad), bad).toBeUndefined();
    }
    expect(splitIpv4Prefix("10.0.0.1/024", Number.POSITIVE_INFINITY)?.prefixLength).toBe(24);
    expect(ipv4PrefixFromString("10.1.2.3/16")).toEqual({ network: 0x0a010000, prefixLength: 16 });
    expect(() => ipv4PrefixFromString("10.1.2.3/40")).toThrow('"10.1.2.3/40" is not an IPv4 prefix');
    expect(() => ipv4PrefixFromString("10.1.2/8")).toThrow('"10.1.2" is not an IPv4 address');
  });
});

describe("MAC text", () => {
  it("reads six hex pairs separated by : or -, in either case", () => {
    expect(macFromText("02:00:00:00:00:01")).toBe(0x020000000001);
    expect(macFromText("02-00-00-00-00-0A")).toBe(0x02000000000a);
    for (const bad of ["", "02:00:00:00:00", "02:00:00:00:00:001", "0g:00:00:00:00:01", "02.00.00.00.00.01"]) {
      expect(macFromText(bad), bad).toBeUndefined();
    }
    expect(() => macFromString("nope")).toThrow('"nope" is not a MAC address (like 02:00:00:00:00:01)');
  });

  it("writes lower case with colons, the same text wire/ writes", () => {
    for (const m of [0, 0x020000000001, 0xffffffffffff, 0x01005e000001]) {
      expect(macToText(m)).toBe(macToString(m));
      expect(macFromText(macToText(m))).toBe(m);
    }
  });
});

describe("did you mean", () => {
  it("counts edits, ignoring case unless told", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("Rate", "rate")).toBe(0);
    expect(editDistance("Rate", "rate", false)).toBe(1);
  });

  it("counts two neighbouring letters swapped as one edit", () => {
    expect(editDistance("dealy", "delay")).toBe(1);
    expect(editDistance("rtae", "rate")).toBe(1);
    expect(editDistance("ab", "ba")).toBe(1);
    expect(editDistance("abc", "ca")).toBe(3);
    expect(suggest("dealy", ["rate", "delay", "mtu"])).toBe("delay");
    expect(suggest("qeueuLimit", ["queueLimit", "rate"])).toBe("queueLimit");
  });

  it("suggests the closest word, but not for short words far off", () => {
    expect(suggest("delau", ["rate", "delay"])).toBe("delay");
    expect(suggest("h7", ["h0", "h1"])).toBeUndefined();
  });

  it("firstNear takes the first candidate within the distance, or equal but for case", () => {
    expect(firstNear("polcy", ["name", "policy", "ports"], 2)).toBe("policy");
    expect(firstNear("PORTS", ["ports"], 0)).toBe("ports");
    expect(firstNear("xyz", ["ports"], 2)).toBeUndefined();
  });
});
