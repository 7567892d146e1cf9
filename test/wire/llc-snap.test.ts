import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ETHERTYPE_ARP, ETHERTYPE_IPV4 } from "../../src/wire/ethernet.js";
import {
  LLC_CONTROL_UI,
  LLC_SAP_SNAP,
  LLC_SNAP_HEADER_LEN,
  LlcSnapView,
  emitLlcSnap,
  llcSnapEtherType,
  llcSnapHeaderLength,
  parseLlcSnap,
} from "../../src/wire/llc-snap.js";
import { poisoned } from "../support/bytes.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

describe("LLC/SNAP (RFC 2684 routed non-ISO PDUs)", () => {
  it("emits the exact header for IPv4 and ARP, touching only its 8 bytes", () => {
    const buf = poisoned(20);
    emitLlcSnap({ etherType: ETHERTYPE_IPV4 }, new LlcSnapView(buf, 1, 8));
    expect(hex(buf.subarray(0, 10))).toBe("a5" + "aaaa03" + "000000" + "0800" + "a5");
    emitLlcSnap({ etherType: ETHERTYPE_ARP }, new LlcSnapView(buf, 11, 9));
    expect(hex(buf.subarray(10))).toBe("a5" + "aaaa03" + "000000" + "0806" + "a5");
    expect(llcSnapHeaderLength()).toBe(LLC_SNAP_HEADER_LEN);
  });

  it("parses a routed header and exposes its fields", () => {
    const bytes = Buffer.from("aaaa03000000080045000014", "hex");
    const view = new LlcSnapView(bytes);
    expect(view.checkLength()).toBe(true);
    expect(view.dsap).toBe(LLC_SAP_SNAP);
    expect(view.ssap).toBe(LLC_SAP_SNAP);
    expect(view.control).toBe(LLC_CONTROL_UI);
    expect(view.oui).toBe(0);
    expect(view.etherType).toBe(ETHERTYPE_IPV4);
    expect(view.isRouted).toBe(true);
    expect(view.headerLength).toBe(8);
    expect(view.payloadOffset).toBe(8);
    expect(parseLlcSnap(view)).toEqual({ etherType: ETHERTYPE_IPV4 });
    expect(llcSnapEtherType(bytes, 0, bytes.length)).toBe(ETHERTYPE_IPV4);
  });

  it("rejects short headers through checkLength and the demultiplexing helper", () => {
    const bytes = Buffer.from("aaaa030000000806", "hex");
    expect(new LlcSnapView(bytes, 0, 7).checkLength()).toBe(false);
    expect(new LlcSnapView(bytes, 0, 8).checkLength()).toBe(true);
    expect(llcSnapEtherType(bytes, 0, 7)).toBe(-1);
    expect(llcSnapEtherType(bytes, 1, 8)).toBe(-1); // range runs past the array
    expect(llcSnapEtherType(bytes, 0, 8)).toBe(ETHERTYPE_ARP);
  });

  it.each([
    ["bridged Ethernet (OUI 00-80-C2)", "aaaa030080c20007"],
    ["routed ISO PDU (LLC FE-FE-03, NLPID)", "fefe03cc45000014"],
    ["wrong control field", "aaaa130000000800"],
    ["wrong SSAP", "aaab030000000800"],
  ])("returns undefined / -1 for a %s header", (_name, text) => {
    const bytes = Buffer.from(text, "hex");
    const view = new LlcSnapView(bytes);
    expect(view.checkLength()).toBe(true);
    expect(view.isRouted).toBe(false);
    expect(parseLlcSnap(view)).toBeUndefined();
    expect(llcSnapEtherType(bytes, 0, 8)).toBe(-1);
  });

  it("setters write in place; wrap() re-points one view", () => {
    const a = poisoned(8);
    const b = poisoned(12);
    const view = new LlcSnapView(a);
    view.dsap = 0xaa;
    view.ssap = 0xaa;
    view.control = 0x03;
    view.oui = 0x0080c2;
    view.etherType = 0x0007;
    expect(hex(a)).toBe("aaaa030080c20007");
    expect(view.wrap(b, 4, 8)).toBe(view);
    view.oui = 0;
    view.etherType = ETHERTYPE_IPV4;
    expect(hex(b)).toBe("a5a5a5a5" + "a5a5a5" + "000000" + "0800");
  });

  it("round-trips: emit, parse, emit again gives the same bytes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 16 }), (etherType, offset) => {
        const first = poisoned(offset + 8);
        const view = new LlcSnapView(first, offset, 8);
        emitLlcSnap({ etherType }, view);
        const repr = parseLlcSnap(view);
        expect(repr).toEqual({ etherType });
        const second = poisoned(offset + 8);
        emitLlcSnap(repr!, new LlcSnapView(second, offset, 8));
        expect(hex(second)).toBe(hex(first));
        expect(llcSnapEtherType(first, offset, 8)).toBe(etherType);
      }),
    );
  });
});
