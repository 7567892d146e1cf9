// RPC over UDP wire format: a known header byte for byte, emit/parse/emit round trips over
// random headers, every refusal reason, and tshark as the oracle: a capture of a lossy run with
// bursts of fragments, NAKs, acks and a crash dissects as UDP with no malformed packet and every
// checksum good.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { captureLink } from "../../src/run/capture.js";
import {
  RPC_UDP_HEADER_LEN,
  RPC_UDP_MAX_FRAGMENTS,
  RpcUdpParseError,
  RpcUdpStatus,
  RpcUdpType,
  RpcUdpView,
  createRpcUdpRepr,
  emitRpcUdp,
  nakBitmapLength,
  parseRpcUdpInto,
  type RpcUdpRepr,
} from "../../src/wire/rpc-udp.js";
import { fromHex, poisoned, toHex } from "../support/bytes.js";
import { CHECK_ALL_PREFS, tempDir, tsharkFields } from "../support/tshark.js";
import { MS, rpcWorld, workloadSpec } from "../stacks/rpc-udp/support.js";

// A one-fragment increment request: client 0x00010001 in its incarnation 2, bound to server
// incarnation 1, call 7, 8 bytes of arguments.
const HEADER = fromHex("01 01 00 00  0003 0001  0000 0000  00010001  00000002  00000001  00000007  00000008  00000000");
const ARGS = fromHex("0000 0040 0000 0001");
const REPR: RpcUdpRepr = {
  type: RpcUdpType.REQUEST,
  flags: 0,
  status: RpcUdpStatus.OK,
  operation: 3,
  fragmentCount: 1,
  fragmentIndex: 0,
  clientId: 0x0001_0001,
  clientIncarnation: 2,
  serverIncarnation: 1,
  sequence: 7,
  messageLength: 8,
  fragmentOffset: 0,
  dataLength: 8,
};

function packet(header: Uint8Array, data: Uint8Array): Uint8Array {
  const b = new Uint8Array(header.length + data.length);
  b.set(header);
  b.set(data, header.length);
  return b;
}

function parse(bytes: Uint8Array): RpcUdpRepr | RpcUdpParseError {
  const r = createRpcUdpRepr();
  const status = parseRpcUdpInto(new RpcUdpView(bytes), r);
  return status === RpcUdpParseError.OK ? r : status;
}

describe("rpc-udp header", () => {
  it("parses the known request", () => {
    expect(HEADER.length).toBe(RPC_UDP_HEADER_LEN);
    expect(parse(packet(HEADER, ARGS))).toEqual(REPR);
  });

  it("emits the same bytes, touching nothing past the header", () => {
    const buf = poisoned(RPC_UDP_HEADER_LEN + 2);
    emitRpcUdp(REPR, buf, 1);
    expect(toHex(buf)).toBe(`a5${toHex(HEADER)}a5`);
  });

  const reprs = fc
    .record({
      type: fc.constantFrom(RpcUdpType.REQUEST, RpcUdpType.REPLY, RpcUdpType.ACK, RpcUdpType.NAK),
      retx: fc.boolean(),
      status: fc.integer({ min: 0, max: RpcUdpStatus.TOO_LARGE }),
      operation: fc.integer({ min: 0, max: 0xffff }),
      count: fc.integer({ min: 1, max: RPC_UDP_MAX_FRAGMENTS }),
      index: fc.nat(),
      clientId: fc.nat({ max: 0xffff_ffff }),
      clientIncarnation: fc.nat({ max: 0xffff_ffff }),
      serverIncarnation: fc.nat({ max: 0xffff_ffff }),
      sequence: fc.nat({ max: 0xffff_ffff }),
      fragment: fc.integer({ min: 1, max: 1436 }),
      seed: fc.nat(),
    })
    .map((x): { repr: RpcUdpRepr; data: Uint8Array } => {
      const message = x.type === RpcUdpType.REQUEST || x.type === RpcUdpType.REPLY;
      const count = message ? Math.min(x.count, 64) : x.count;
      const index = message ? x.index % count : 0;
      const last = index === count - 1;
      const dataLength = !message
        ? x.type === RpcUdpType.NAK
          ? nakBitmapLength(count)
          : 0
        : last
          ? x.fragment % 7
          : x.fragment;
      const data = new Uint8Array(dataLength);
      for (let i = 0; i < dataLength; i++) data[i] = (x.seed + i * 31) & 0xff;
      if (x.type === RpcUdpType.NAK) {
        data.fill(0);
        data[0] = 0x80; // fragment 0 missing
      }
      const repr: RpcUdpRepr = {
        type: x.type,
        flags: message && x.retx ? 1 : 0,
        status: (x.type === RpcUdpType.REPLY ? x.status : 0) as RpcUdpStatus,
        operation: x.operation,
        fragmentCount: count,
        fragmentIndex: index,
        clientId: x.clientId,
        clientIncarnation: x.clientIncarnation,
        serverIncarnation: x.serverIncarnation,
        sequence: x.sequence,
        messageLength: message ? index * x.fragment + dataLength : x.fragment * count,
        fragmentOffset: message ? index * x.fragment : 0,
        dataLength,
      };
      return { repr, data };
    });

  it("emit, parse, emit again: the same bytes and the same repr", () => {
    fc.assert(
      fc.property(reprs, ({ repr, data }) => {
        const a = new Uint8Array(RPC_UDP_HEADER_LEN + data.length);
        emitRpcUdp(repr, a, 0);
        a.set(data, RPC_UDP_HEADER_LEN);
        const parsed = parse(a);
        expect(parsed).toEqual(repr);
        const b = new Uint8Array(a.length);
        emitRpcUdp(parsed as RpcUdpRepr, b, 0);
        b.set(data, RPC_UDP_HEADER_LEN);
        expect(toHex(b)).toBe(toHex(a));
      }),
      { numRuns: 300 },
    );
  });

  /** The known request with `mutate` applied to a copy. */
  const broken = (mutate: (b: Uint8Array) => void, data = ARGS): Uint8Array => {
    const b = packet(HEADER, data);
    mutate(b);
    return b;
  };
  const ackOf = (mutate: (b: Uint8Array) => void = () => {}): Uint8Array =>
    broken((b) => {
      b[1] = RpcUdpType.ACK;
      mutate(b);
    }, new Uint8Array(0));

  it.each([
    ["shorter than the header", HEADER.subarray(0, 35), RpcUdpParseError.TRUNCATED],
    ["version 2", broken((b) => (b[0] = 2)), RpcUdpParseError.BAD_VERSION],
    ["type 0", broken((b) => (b[1] = 0)), RpcUdpParseError.BAD_TYPE],
    ["type 5", broken((b) => (b[1] = 5)), RpcUdpParseError.BAD_TYPE],
    ["an unknown flag", broken((b) => (b[2] = 0x02)), RpcUdpParseError.BAD_FLAGS],
    ["RETX on an ACK", ackOf((b) => (b[2] = 0x01)), RpcUdpParseError.BAD_FLAGS],
    ["a status on a request", broken((b) => (b[3] = 1)), RpcUdpParseError.BAD_STATUS],
    ["status 7 on a reply", broken((b) => ((b[1] = RpcUdpType.REPLY), (b[3] = 7))), RpcUdpParseError.BAD_STATUS],
    ["fragment count 0", broken((b) => (b[7] = 0)), RpcUdpParseError.BAD_FRAGMENT],
    ["index at the count", broken((b) => (b[9] = 1)), RpcUdpParseError.BAD_FRAGMENT],
    ["count over the limit", broken((b) => ((b[6] = 0x20), (b[7] = 1))), RpcUdpParseError.BAD_FRAGMENT],
    ["reserved not 0", broken((b) => (b[11] = 1)), RpcUdpParseError.BAD_FRAGMENT],
    ["data past the message", broken((b) => (b[35] = 1)), RpcUdpParseError.BAD_LENGTH],
    ["last fragment short of the end", broken((b) => (b[31] = 9)), RpcUdpParseError.BAD_LENGTH],
    ["an ACK with data", broken((b) => (b[1] = RpcUdpType.ACK)), RpcUdpParseError.BAD_LENGTH],
    [
      "a NAK with an empty bitmap",
      broken((b) => (b[1] = RpcUdpType.NAK), new Uint8Array(1)),
      RpcUdpParseError.BAD_LENGTH,
    ],
    [
      "a NAK naming fragment 1 of 1",
      broken((b) => (b[1] = RpcUdpType.NAK), Uint8Array.of(0x40)),
      RpcUdpParseError.BAD_LENGTH,
    ],
    [
      "a NAK bitmap too long",
      broken((b) => (b[1] = RpcUdpType.NAK), Uint8Array.of(0x80, 0)),
      RpcUdpParseError.BAD_LENGTH,
    ],
  ])("refuses %s", (_what, bytes, error) => {
    expect(parse(bytes)).toBe(error);
  });

  it("accepts an ACK and a NAK of fragment 0", () => {
    expect(parse(ackOf())).toMatchObject({ type: RpcUdpType.ACK, dataLength: 0 });
    const nak = broken((b) => (b[1] = RpcUdpType.NAK), Uint8Array.of(0x80));
    expect(parse(nak)).toMatchObject({ type: RpcUdpType.NAK, dataLength: 1 });
    expect(new RpcUdpView(nak).missing(0)).toBe(true);
  });
});

describe("rpc-udp captures in tshark", () => {
  it("requests, replies, acks and NAKs of a lossy run with bursts and a crash: UDP, never malformed", () => {
    const tmp = tempDir();
    try {
      const spec = workloadSpec({
        clients: ["c0"],
        servers: ["s0"],
        nameService: "ns",
        count: 30,
        argumentBytes: 6000,
        resultBytes: 3000,
      });
      const w = rpcWorld(spec, {
        faults: { s0: { loss: 0.08 } },
        crashes: [["s0", 150 * MS, 200 * MS]],
        seed: 4,
      });
      const link = w.net.link("s0-sw");
      const caps = [captureLink(link, 0, tmp.path("up.pcap")), captureLink(link, 1, tmp.path("down.pcap"))];
      const r = w.finish(2000 * MS);
      for (const c of caps) c.close();
      expect(r.naks.sent).toBeGreaterThan(0);
      expect(r.fragments.repaired).toBeGreaterThan(0);
      const types = new Set<string>();
      let udp = 0;
      for (const file of ["up.pcap", "down.pcap"]) {
        const rows = tsharkFields(
          tmp.path(file),
          [
            "_ws.malformed",
            "_ws.expert.message",
            "frame.protocols",
            "udp.checksum.status",
            "ip.checksum.status",
            "udp.port",
            "data.data",
          ],
          { prefs: CHECK_ALL_PREFS },
        );
        for (const row of rows) {
          expect(row["_ws.malformed"], row["_ws.expert.message"]).toBe("");
          if (!row["frame.protocols"]!.includes("udp")) continue;
          udp++;
          expect(row["frame.protocols"]).toBe("eth:ethertype:ip:udp:data");
          expect(row["udp.checksum.status"]).toBe("1");
          expect(row["ip.checksum.status"]).toBe("1");
          // The second byte of our header is the type.
          types.add(row["data.data"]!.slice(2, 4));
        }
      }
      expect(udp).toBeGreaterThan(200);
      expect([...types].sort()).toEqual(["01", "02", "03", "04"]);
    } finally {
      tmp.remove();
    }
  });
});
