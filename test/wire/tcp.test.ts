import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { getRuntime } from "../../src/kernels/runtime.js";
import { ipv4FromString } from "../../src/wire/ipv4.js";
import {
  TCP_FLAG_ACK,
  TCP_FLAG_CWR,
  TCP_FLAG_ECE,
  TCP_FLAG_FIN,
  TCP_FLAG_PSH,
  TCP_FLAG_RST,
  TCP_FLAG_SYN,
  TCP_FLAG_URG,
  TCP_HEADER_LEN,
  TcpParseError,
  TcpView,
  createTcpRepr,
  emitTcp,
  parseTcp,
  parseTcpInto,
  tcpHeaderLength,
  tcpLength,
  type TcpRepr,
} from "../../src/wire/tcp.js";
import { placeInMemory } from "../support/runtimes.js";
import { poisoned, fromHex, toHex } from "../support/bytes.js";

const frees: Array<() => void> = [];
afterEach(() => {
  while (frees.length > 0) frees.pop()!();
});

const CLIENT = ipv4FromString("10.0.0.1");
const SERVER = ipv4FromString("10.0.0.2");

// Both segments were checked by hand inside IPv4/Ethernet frames with text2pcap +
// `tshark -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -V`: checksum [correct], no
// malformed packet, options decoded as listed.
// SYN 10.0.0.1:40000 -> 10.0.0.2:80, seq 0x01020304, flags SYN|ECE|CWR, window 64240,
// options MSS 1460 | NOP WS 7 | SACK_PERM TS(0x0a0b0c0d, 0).
const SYN = fromHex(
  "9c40 0050 01020304 00000000 a0c2 faf0 819e 0000" + "020405b4" + "01030307" + "0402080a0a0b0c0d00000000",
);
// 10.0.0.2:80 -> 10.0.0.1:40000, seq 0xfffffff0, ack 0x01020305, PSH|ACK, window 502,
// options NOP NOP TS(1000, 0x0a0b0c0d) | NOP NOP SACK [01020405,01020505) [01020605,01020705),
// payload "hello\n" (odd length).
const DATA = fromHex(
  "0050 9c40 fffffff0 01020305 d018 01f6 f20e 0000" +
    "0101080a000003e80a0b0c0d" +
    "0101051201020405010205050102060501020705" +
    "68656c6c6f0a",
);

function synRepr(): TcpRepr {
  return {
    ...createTcpRepr(),
    srcPort: 40000,
    dstPort: 80,
    seqNumber: 0x01020304,
    flags: TCP_FLAG_SYN | TCP_FLAG_ECE | TCP_FLAG_CWR,
    window: 64240,
    mss: 1460,
    windowScale: 7,
    sackPermitted: true,
    tsVal: 0x0a0b0c0d,
    tsEcr: 0,
  };
}

/** A segment (no payload) whose option area is `options` (a multiple of 4), checksum filled. */
function withOptions(options: Uint8Array, src = CLIENT, dst = SERVER): TcpView {
  const bytes = new Uint8Array(TCP_HEADER_LEN + options.length);
  bytes.set(SYN.subarray(0, TCP_HEADER_LEN));
  bytes.set(options, TCP_HEADER_LEN);
  const view = new TcpView(bytes);
  view.headerLength = bytes.length;
  view.fillChecksum(src, dst);
  return view;
}

describe("tcp known vectors", () => {
  it("parses the SYN with all its options", () => {
    const view = new TcpView(SYN);
    expect(view.checkLength()).toBe(TcpParseError.OK);
    expect([view.headerLength, view.optionsOffset, view.optionsLength, view.payloadLength]).toEqual([40, 20, 20, 0]);
    expect([view.syn, view.ece, view.cwr, view.ack, view.fin, view.rst, view.psh, view.urg]).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(view.verifyChecksum(CLIENT, SERVER)).toBe(true);
    expect(parseTcp(view, CLIENT, SERVER)).toEqual(synRepr());
  });

  it("emits the SYN byte for byte", () => {
    const repr = synRepr();
    expect(tcpHeaderLength(repr)).toBe(40);
    const buf = poisoned(42);
    emitTcp(repr, new TcpView(buf, 1, 40), CLIENT, SERVER);
    expect(toHex(buf)).toBe("a5" + toHex(SYN) + "a5");
  });

  it("parses and emits the data segment with SACK blocks and an odd payload", () => {
    const view = new TcpView(DATA);
    const repr = parseTcp(view, SERVER, CLIENT) as TcpRepr;
    expect(repr).toMatchObject({
      srcPort: 80,
      dstPort: 40000,
      seqNumber: 0xfffffff0,
      ackNumber: 0x01020305,
      flags: TCP_FLAG_ACK | TCP_FLAG_PSH,
      window: 502,
      urgentPointer: 0,
      mss: undefined,
      windowScale: undefined,
      sackPermitted: false,
      tsVal: 1000,
      tsEcr: 0x0a0b0c0d,
      sackCount: 2,
      payloadLength: 6,
    });
    expect(repr.sackBlocks.slice(0, 4)).toEqual([0x01020405, 0x01020505, 0x01020605, 0x01020705]);
    expect(view.payloadOffset).toBe(52);
    expect(tcpLength(repr)).toBe(DATA.length);
    const buf = poisoned(DATA.length);
    buf.set(DATA.subarray(52), 52);
    emitTcp(repr, new TcpView(buf), SERVER, CLIENT);
    expect(toHex(buf)).toBe(toHex(DATA));
  });

  it("every flag bit round-trips through the view", () => {
    const flags = [
      TCP_FLAG_FIN,
      TCP_FLAG_SYN,
      TCP_FLAG_RST,
      TCP_FLAG_PSH,
      TCP_FLAG_ACK,
      TCP_FLAG_URG,
      TCP_FLAG_ECE,
      TCP_FLAG_CWR,
    ];
    expect(flags.reduce((a, b) => a | b, 0)).toBe(0xff);
    const bytes = SYN.slice();
    const view = new TcpView(bytes);
    view.flags = TCP_FLAG_FIN | TCP_FLAG_URG;
    view.urgentPointer = 3;
    view.window = 1;
    view.seqNumber = 0xffffffff;
    view.ackNumber = 0x80000000;
    view.srcPort = 1;
    view.dstPort = 0xffff;
    expect([view.fin, view.urg, view.syn, view.urgentPointer, view.window]).toEqual([true, true, false, 3, 1]);
    expect([view.seqNumber, view.ackNumber, view.srcPort, view.dstPort]).toEqual([0xffffffff, 0x80000000, 1, 0xffff]);
  });
});

describe("tcp option layout", () => {
  const bare = (): TcpRepr => ({ ...createTcpRepr(), srcPort: 1, dstPort: 2, flags: TCP_FLAG_ACK });
  const optionBytes = (repr: TcpRepr): string => {
    const buf = poisoned(tcpHeaderLength(repr));
    emitTcp(repr, new TcpView(buf), CLIENT, SERVER);
    return toHex(buf.subarray(TCP_HEADER_LEN));
  };

  it("pads each option group with NOPs to a 4-byte boundary", () => {
    expect(optionBytes(bare())).toBe("");
    expect(optionBytes({ ...bare(), mss: 536 })).toBe("02040218");
    expect(optionBytes({ ...bare(), windowScale: 14 })).toBe("0103030e");
    expect(optionBytes({ ...bare(), sackPermitted: true })).toBe("01010402");
    expect(optionBytes({ ...bare(), tsVal: 1, tsEcr: 2 })).toBe("0101080a0000000100000002");
    const sack = { ...bare(), sackCount: 1, sackBlocks: [10, 20, 0, 0, 0, 0, 0, 0] };
    expect(optionBytes(sack)).toBe("0101050a0000000a00000014");
  });

  it("keeps only the SACK blocks that fit: 4 alone, 3 with timestamps", () => {
    const blocks = [1, 2, 3, 4, 5, 6, 7, 8];
    const four = { ...bare(), sackCount: 4, sackBlocks: blocks };
    expect(tcpHeaderLength(four)).toBe(20 + 4 + 32);
    const withTs = { ...four, tsVal: 9, tsEcr: 9 };
    expect(tcpHeaderLength(withTs)).toBe(20 + 12 + 4 + 24);
    const buf = poisoned(tcpHeaderLength(withTs));
    emitTcp(withTs, new TcpView(buf), CLIENT, SERVER);
    const parsed = parseTcp(new TcpView(buf), CLIENT, SERVER) as TcpRepr;
    expect(parsed.sackCount).toBe(3);
    expect(parsed.sackBlocks.slice(0, 6)).toEqual(blocks.slice(0, 6));
    // A SYN's worth of options leaves room for one block only.
    expect(tcpHeaderLength({ ...synRepr(), sackCount: 4, sackBlocks: blocks })).toBe(60);
  });
});

describe("tcp malformed input returns its parse error", () => {
  const repr = createTcpRepr();

  it("truncated at every length below the header", () => {
    for (const segment of [SYN, DATA]) {
      const headerLength = new TcpView(segment).headerLength;
      for (let len = 0; len < headerLength; len++) {
        expect(parseTcpInto(new TcpView(segment, 0, len), repr, CLIENT, SERVER), `length ${len}`).toBe(
          TcpParseError.TRUNCATED,
        );
      }
    }
  });

  it("a segment cut inside the payload fails its checksum", () => {
    for (let len = 52; len < DATA.length; len++) {
      expect(parseTcpInto(new TcpView(DATA, 0, len), repr, SERVER, CLIENT)).toBe(TcpParseError.BAD_CHECKSUM);
    }
  });

  it("bad data offset (0..4)", () => {
    for (let offset = 0; offset < 5; offset++) {
      const bytes = SYN.slice();
      bytes[12] = offset << 4;
      expect(parseTcpInto(new TcpView(bytes), repr, CLIENT, SERVER)).toBe(TcpParseError.BAD_DATA_OFFSET);
    }
  });

  it("data offset beyond the bytes is truncation", () => {
    const bytes = SYN.slice();
    bytes[12] = 0xf0; // 60 bytes claimed, 40 present
    expect(parseTcpInto(new TcpView(bytes), repr, CLIENT, SERVER)).toBe(TcpParseError.TRUNCATED);
  });

  it("option lengths of 0 or 1, options running past the header, wrong known lengths", () => {
    const bad = [
      "02000000", // MSS with length 0: would never advance
      "08010000", // length 1
      "fe000000", // unknown kind, length 0
      "01010102", // kind at the last byte, no length byte
      "0101fe03", // unknown option running past the end
      "020504b4", // MSS length 5 runs past the end
      "0203b400", // MSS length 3
      "03040e00", // window scale length 4
      "04030000", // SACK permitted length 3
      "0101050900000001000000020000", // SACK length 9
      "05020000", // SACK with no block
      "0101080900000001000000", // timestamps length 9
      "0101080b0000000100000002", // timestamps length 11 runs past
    ];
    for (const hex of bad) {
      const padded = hex.length % 8 === 0 ? hex : hex + "00".repeat((8 - (hex.length % 8)) / 2);
      expect(parseTcpInto(withOptions(fromHex(padded)), repr, CLIENT, SERVER), hex).toBe(TcpParseError.BAD_OPTION);
    }
  });

  it("skips unknown options, stops at EOL, and keeps the last of a repeated option", () => {
    const ok = withOptions(fromHex("1e0600001111" + "020405dc" + "020405b4" + "00" + "ffffffffff"));
    expect(parseTcpInto(ok, repr, CLIENT, SERVER)).toBe(TcpParseError.OK);
    expect(repr.mss).toBe(1460);
    // Anything after EOL, even garbage, is ignored.
    const afterEol = withOptions(fromHex("00" + "020000"));
    expect(parseTcpInto(afterEol, repr, CLIENT, SERVER)).toBe(TcpParseError.OK);
    expect(repr.mss).toBeUndefined();
    // All NOPs.
    expect(parseTcpInto(withOptions(new Uint8Array(40).fill(1)), repr, CLIENT, SERVER)).toBe(TcpParseError.OK);
  });

  it("a reused repr forgets the previous segment's options", () => {
    const r = createTcpRepr();
    expect(parseTcpInto(new TcpView(DATA), r, SERVER, CLIENT)).toBe(TcpParseError.OK);
    expect(parseTcpInto(new TcpView(SYN), r, CLIENT, SERVER)).toBe(TcpParseError.OK);
    expect(r).toEqual({ ...synRepr(), sackBlocks: r.sackBlocks });
    expect(r.sackCount).toBe(0);
  });

  it("bad checksum: any single-bit flip, or wrong addresses", () => {
    for (let byte = 0; byte < DATA.length; byte++) {
      if (byte === 12) continue; // the data offset: structural errors come first
      for (let bit = 0; bit < 8; bit++) {
        const bytes = DATA.slice();
        bytes[byte]! ^= 1 << bit;
        expect(parseTcpInto(new TcpView(bytes), repr, SERVER, CLIENT), `byte ${byte} bit ${bit}`).toBe(
          TcpParseError.BAD_CHECKSUM,
        );
      }
    }
    expect(parseTcpInto(new TcpView(DATA), repr, SERVER, CLIENT + 1)).toBe(TcpParseError.BAD_CHECKSUM);
    expect(parseTcpInto(new TcpView(DATA), repr, SERVER, CLIENT + 1, false)).toBe(TcpParseError.OK);
  });

  it("never throws or loops on random option bytes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 }), fc.uint8Array({ maxLength: 40 }), (words, noise) => {
        const options = new Uint8Array(words * 4);
        options.set(noise.subarray(0, options.length));
        const status = parseTcpInto(withOptions(options), createTcpRepr(), CLIENT, SERVER);
        expect(Object.values(TcpParseError)).toContain(status);
        expect(status).not.toBe(TcpParseError.BAD_CHECKSUM);
      }),
      { numRuns: 5000 },
    );
  });

  it("never throws on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(Object.values(TcpParseError)).toContain(
          parseTcpInto(new TcpView(bytes), createTcpRepr(), CLIENT, SERVER, false),
        );
      }),
      { numRuns: 2000 },
    );
  });
});

describe("tcp round trip", () => {
  const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
  const u16 = fc.integer({ min: 0, max: 0xffff });
  const arb = fc.record({
    srcPort: u16,
    dstPort: u16,
    seqNumber: u32,
    ackNumber: u32,
    flags: fc.integer({ min: 0, max: 0xff }),
    window: u16,
    urgentPointer: u16,
    mss: fc.option(u16, { nil: undefined }),
    windowScale: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
    sackPermitted: fc.boolean(),
    ts: fc.option(fc.tuple(u32, u32), { nil: undefined }),
    sacks: fc.array(u32, { maxLength: 8 }).map((a) => a.slice(0, a.length & ~1)),
    payload: fc.uint8Array({ maxLength: 100 }),
  });

  it("emit -> parse -> emit gives identical bytes", () => {
    fc.assert(
      fc.property(arb, u32, u32, (input, src, dst) => {
        const { ts, sacks, payload, ...fields } = input;
        const repr: TcpRepr = {
          ...createTcpRepr(),
          ...fields,
          tsVal: ts?.[0],
          tsEcr: ts?.[1],
          sackCount: sacks.length / 2,
          sackBlocks: [...sacks, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 8),
          payloadLength: payload.length,
        };
        const headerLength = tcpHeaderLength(repr);
        expect(headerLength % 4).toBe(0);
        expect(headerLength).toBeLessThanOrEqual(60);
        const a = poisoned(headerLength + payload.length);
        a.set(payload, headerLength);
        emitTcp(repr, new TcpView(a), src, dst);
        const parsed = createTcpRepr();
        expect(parseTcpInto(new TcpView(a), parsed, src, dst)).toBe(TcpParseError.OK);
        expect(parsed.sackCount).toBeLessThanOrEqual(repr.sackCount);
        expect({ ...parsed, sackBlocks: [], sackCount: 0 }).toEqual({ ...repr, sackBlocks: [], sackCount: 0 });
        expect(parsed.sackBlocks.slice(0, 2 * parsed.sackCount)).toEqual(sacks.slice(0, 2 * parsed.sackCount));
        const b = poisoned(a.length);
        b.set(payload, headerLength);
        emitTcp(parsed, new TcpView(b), src, dst);
        expect(toHex(b)).toBe(toHex(a));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("tcp checksums in kernel memory and in plain arrays agree", () => {
  it("emit, verify and parse at even and odd addresses", () => {
    const rt = getRuntime();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 3 }), (payload, skew) => {
        const repr = { ...synRepr(), flags: TCP_FLAG_ACK, payloadLength: payload.length };
        const headerLength = tcpHeaderLength(repr);
        const plain = poisoned(headerLength + payload.length);
        plain.set(payload, headerLength);
        const { ptr, free } = placeInMemory(rt, plain, skew);
        const kernel = rt.u8.subarray(ptr, ptr + plain.length);
        expect(rt.owns(kernel)).toBe(true);
        emitTcp(repr, new TcpView(plain), CLIENT, SERVER);
        emitTcp(repr, new TcpView(kernel), CLIENT, SERVER);
        expect(toHex(kernel)).toBe(toHex(plain));
        expect(new TcpView(kernel).verifyChecksum(CLIENT, SERVER)).toBe(true);
        expect(parseTcp(new TcpView(kernel), CLIENT, SERVER)).toEqual(parseTcp(new TcpView(plain), CLIENT, SERVER));
        free();
      }),
      { numRuns: 200 },
    );
  });

  it("the tshark-checked segments verify from kernel memory", () => {
    const rt = getRuntime();
    for (const [segment, src, dst] of [
      [SYN, CLIENT, SERVER],
      [DATA, SERVER, CLIENT],
    ] as const) {
      const { ptr, free } = placeInMemory(rt, segment, 1);
      frees.push(free);
      const view = new TcpView(rt.u8.subarray(ptr, ptr + segment.length));
      expect(view.verifyChecksum(src, dst)).toBe(true);
      view.fillChecksum(src, dst);
      expect(view.checksum).toBe(new TcpView(segment).checksum);
    }
  });
});
