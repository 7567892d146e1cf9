// The server's log records and the name service's codecs: what they write they read back, and
// bytes they cannot read are refused (counted or undefined), never thrown. A full log refuses
// the call: it fails, and nothing changes.
import { describe, expect, it } from "vitest";
import { encodeCallRecord, encodeStateRecord, readServerLog } from "../../../src/stacks/rpc-udp/server-log.js";
import {
  NameServiceApp,
  decodeLookupResult,
  encodeLookup,
  encodeLookupResult,
  encodeRegister,
} from "../../../src/stacks/rpc-udp/name-service.js";
import { RpcOp } from "../../../src/stacks/rpc-udp/rpc-udp-types.js";
import { RpcUdpStatus } from "../../../src/wire/rpc-udp.js";
import { MS, rpcWorld, workloadSpec } from "./support.js";

describe("server log records", () => {
  it("reads back a server's states and calls in order, skipping other servers' and unreadable records", () => {
    const call = {
      clientId: 7,
      clientIncarnation: 2,
      sequence: 9,
      operation: 3,
      status: 0,
      result: Uint8Array.of(1, 2, 3),
    };
    const log = [
      encodeStateRecord(7200, Uint8Array.of(5)),
      encodeCallRecord(7300, call, undefined),
      encodeCallRecord(7200, call, Uint8Array.of(6, 6)),
      encodeStateRecord(7200, Uint8Array.of(9)).subarray(0, 8), // cut short
      Uint8Array.of(0x52, 9, 0x1c, 0x20), // an unknown kind
      new Uint8Array(0),
    ];
    const r = readServerLog(log, 7200);
    expect(r.states).toEqual([Uint8Array.of(5), Uint8Array.of(6, 6)]);
    expect(r.calls).toEqual([call]);
    expect(r.unreadable).toBe(2);
  });
});

describe("name service", () => {
  it("registers, updates by address and port, and answers lookups in rank order", () => {
    const ns = new NameServiceApp(2, 0);
    const reg = (address: number, rank: number, incarnation: number) => {
      const p = ns.prepare(RpcOp.REGISTER, encodeRegister("bank", { address, port: 7200, rank, incarnation }));
      if (p.status === RpcUdpStatus.OK) ns.apply(p);
      return p.status;
    };
    expect(reg(2, 1, 0)).toBe(RpcUdpStatus.OK);
    expect(reg(1, 0, 0)).toBe(RpcUdpStatus.OK);
    expect(reg(1, 0, 3)).toBe(RpcUdpStatus.OK); // the primary restarted
    expect(reg(3, 2, 0)).toBe(RpcUdpStatus.APP_ERROR); // full
    const found = ns.prepare(RpcOp.LOOKUP, encodeLookup("bank"));
    expect(decodeLookupResult(found.result)).toEqual([
      { address: 1, port: 7200, rank: 0, incarnation: 3 },
      { address: 2, port: 7200, rank: 1, incarnation: 0 },
    ]);
    expect(decodeLookupResult(ns.prepare(RpcOp.LOOKUP, encodeLookup("other")).result)).toEqual([]);
    expect(ns.prepare(RpcOp.LOOKUP, Uint8Array.of(9, 65)).status).toBe(RpcUdpStatus.APP_ERROR);
    expect(ns.prepare(RpcOp.REGISTER, encodeLookup("bank")).status).toBe(RpcUdpStatus.APP_ERROR);
  });

  it("refuses malformed lookup results", () => {
    const good = encodeLookupResult([{ address: 1, port: 2, rank: 3, incarnation: 4 }]);
    expect(decodeLookupResult(good)).toHaveLength(1);
    expect(decodeLookupResult(good.subarray(0, good.length - 1))).toBeUndefined();
    expect(decodeLookupResult(Uint8Array.of(0))).toBeUndefined();
    expect(decodeLookupResult(Uint8Array.of(0, 2, ...good.subarray(2)))).toBeUndefined();
  });
});

describe("a full log", () => {
  it("refuses the call that would not fit: it fails LOG_FULL and the counter stays", () => {
    const r = rpcWorld(workloadSpec({ semantics: "exactly-once", count: 5 }), { maxRecords: { s0: 3 } }).finish(
      500 * MS,
    );
    expect(r.reasons).toEqual({ "failed:LOG_FULL": 2, "ok:OK": 3 });
    expect(r.logFull).toBe(2);
    expect(r.counters).toEqual({ s0: 3 });
    expect(r.executionsPerCall).toEqual({ "0": 2, "1": 3 });
  });
});
