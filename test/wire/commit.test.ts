// The atomic commit message (src/wire/commit.ts): a hand-checked vector, the round trip
// (emit, parse, emit, same bytes) over every field value, every refusal, and a capture of a
// workload's messages that tshark dissects as UDP with every checksum good and nothing malformed.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  COMMIT_HEADER_LEN,
  COMMIT_TYPE_NAMES,
  CommitParseError,
  CommitProtocol,
  CommitState,
  CommitType,
  CommitView,
  createCommitRepr,
  emitCommit,
  parseCommit,
  parseCommitInto,
  type CommitRepr,
} from "../../src/wire/commit.js";
import { captureAll } from "../../src/run/capture.js";
import { fromHex, poisoned, toHex } from "../support/bytes.js";
import { CHECK_ALL_PREFS, requireTshark, tempDir, tsharkFields } from "../support/tshark.js";
import { commitSpec, commitWorld } from "../stacks/commit/support.js";

// A COMMIT of transaction 0x01020304 from the coordinator, 3PC, participants 0, 1 and 3.
const VECTOR = fromHex("5443 0107 01020304 ffff 0003 0000000b");
const VECTOR_REPR: CommitRepr = {
  type: CommitType.COMMIT,
  transaction: 0x01020304,
  sender: 0xffff,
  state: CommitState.NONE,
  protocol: CommitProtocol.THREE_PHASE,
  participants: 0b1011,
};

describe("commit message known vector", () => {
  it("parses the vector", () => {
    const v = new CommitView(VECTOR);
    expect(v.checkLength()).toBe(CommitParseError.OK);
    expect(parseCommit(v)).toEqual(VECTOR_REPR);
  });

  it("emits the same bytes into a poisoned buffer, touching only its 16", () => {
    const buf = poisoned(COMMIT_HEADER_LEN + 2);
    emitCommit(VECTOR_REPR, new CommitView(buf, 1, COMMIT_HEADER_LEN));
    expect(toHex(buf)).toBe(`a5${toHex(VECTOR)}a5`);
  });

  it("ignores bytes after the header", () => {
    const longer = new Uint8Array([...VECTOR, 1, 2, 3]);
    expect(parseCommit(new CommitView(longer))).toEqual(VECTOR_REPR);
  });
});

describe("commit message round trip", () => {
  it("emit, parse, emit gives the same bytes for every field value", () => {
    const repr = fc.record({
      type: fc.integer({ min: 1, max: 11 }),
      transaction: fc.integer({ min: 0, max: 0xffffffff }),
      sender: fc.integer({ min: 0, max: 0xffff }),
      state: fc.integer({ min: 0, max: 7 }),
      protocol: fc.integer({ min: 1, max: 3 }),
      participants: fc.integer({ min: 0, max: 0xffffffff }),
    });
    fc.assert(
      fc.property(repr, (r) => {
        const a = poisoned(COMMIT_HEADER_LEN);
        emitCommit(r as CommitRepr, new CommitView(a));
        const parsed = createCommitRepr();
        expect(parseCommitInto(new CommitView(a), parsed)).toBe(CommitParseError.OK);
        expect(parsed).toEqual(r);
        const b = poisoned(COMMIT_HEADER_LEN);
        emitCommit(parsed, new CommitView(b));
        expect(toHex(b)).toBe(toHex(a));
      }),
      { numRuns: 500 },
    );
  });

  it("names every type", () => {
    expect(COMMIT_TYPE_NAMES.slice(1)).toEqual(Object.keys(CommitType));
  });
});

describe("commit message refusals", () => {
  const bad = (patch: (b: Uint8Array) => Uint8Array): number => {
    const b = patch(VECTOR.slice());
    return parseCommitInto(new CommitView(b), createCommitRepr());
  };
  it.each([
    ["15 bytes", (b: Uint8Array) => b.subarray(0, 15), CommitParseError.TRUNCATED],
    ["empty", (_: Uint8Array) => new Uint8Array(0), CommitParseError.TRUNCATED],
    ["magic", (b: Uint8Array) => ((b[1] = 0x44), b), CommitParseError.BAD_MAGIC],
    ["version 2", (b: Uint8Array) => ((b[2] = 2), b), CommitParseError.BAD_VERSION],
    ["type 0", (b: Uint8Array) => ((b[3] = 0), b), CommitParseError.BAD_TYPE],
    ["type 12", (b: Uint8Array) => ((b[3] = 12), b), CommitParseError.BAD_TYPE],
    ["state 8", (b: Uint8Array) => ((b[10] = 8), b), CommitParseError.BAD_STATE],
    ["protocol 0", (b: Uint8Array) => ((b[11] = 0), b), CommitParseError.BAD_PROTOCOL],
    ["protocol 4", (b: Uint8Array) => ((b[11] = 4), b), CommitParseError.BAD_PROTOCOL],
  ] as const)("%s", (_name, patch, expected) => {
    expect(bad(patch)).toBe(expected);
  });

  it("never throws on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        const status = parseCommitInto(new CommitView(b), createCommitRepr());
        expect(status).toBeGreaterThanOrEqual(CommitParseError.OK);
        expect(status).toBeLessThanOrEqual(CommitParseError.BAD_PROTOCOL);
      }),
    );
  });
});

describe("commit messages in a capture", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir("netloom-commit-");
  });
  afterAll(() => tmp?.remove());

  it("tshark dissects every message as a 16-byte UDP payload on port 7200, all checksums good", () => {
    requireTshark();
    const w = commitWorld(commitSpec({ protocol: "3pc", count: 8, voteNo: 0.1 }), { seed: 4 });
    const set = captureAll(w.net, tmp.path("pcap"));
    const report = w.finish("50ms");
    set.close();
    expect(report.transactions.committed + report.transactions.aborted).toBe(8);
    expect(report.transactions.committed).toBeGreaterThan(0);
    expect(report.transactions.aborted).toBeGreaterThan(0);
    const rows = tsharkFields(
      set.captures[0]!.path,
      [
        "frame.protocols",
        "eth.fcs.status",
        "ip.checksum.status",
        "udp.checksum.status",
        "udp.srcport",
        "udp.dstport",
        "udp.length",
        "data.data",
        "_ws.malformed",
        "_ws.expert.message",
      ],
      { prefs: CHECK_ALL_PREFS },
    );
    const udp = rows.filter((r) => r["frame.protocols"] === "eth:ethertype:ip:udp:data");
    // The coordinator's port: every message it sent and received (ARP aside).
    expect(udp.length).toBe(rows.length - rows.filter((r) => r["frame.protocols"] === "eth:ethertype:arp").length);
    const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);
    const cm = report.coordinatorMessages;
    expect(cm.drops).toEqual({});
    expect(udp.length).toBe(sum(cm.sent) + sum(cm.received));
    const types = new Set<string>();
    for (const r of rows) {
      expect(r["_ws.malformed"]).toBe("");
      expect(r["_ws.expert.message"]).toBe("");
      expect(["1", "Good"]).toContain(r["eth.fcs.status"]);
      if (r["frame.protocols"] !== "eth:ethertype:ip:udp:data") continue;
      expect(["1", "Good"]).toContain(r["ip.checksum.status"]);
      expect(["1", "Good"]).toContain(r["udp.checksum.status"]);
      expect([r["udp.srcport"], r["udp.dstport"], r["udp.length"]]).toEqual(["7200", "7200", "24"]);
      const data = r["data.data"]!.replaceAll(":", "");
      expect(data.slice(0, 6)).toBe("544301");
      expect(data.slice(22, 24)).toBe("03"); // protocol: three-phase commit
      types.add(COMMIT_TYPE_NAMES[Number.parseInt(data.slice(6, 8), 16)]!);
    }
    expect([...types].sort()).toEqual(
      ["ABORT", "ACK", "BEGIN", "COMMIT", "PREPARE", "PRE_COMMIT", "PRE_COMMIT_ACK", "VOTE_NO", "VOTE_YES"].sort(),
    );
  });
});
