// RPC over a byte stream: framing, request/response, timeouts, retries with at-most-once
// execution, stream failure, bad framing, bounded tables, determinism.
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { NetloomError } from "../../../src/base/errors.js";
import { Simulation } from "../../../src/engine/simulation.js";
import { MemoryStreamPair, type MemoryStreamOptions } from "../../../src/stacks/rpc/byte-stream.js";
import { RpcClient, type RpcClientOptions, type RpcFailure } from "../../../src/stacks/rpc/rpc-client.js";
import { RpcDecoder, RpcKind, encodeRpcMessage } from "../../../src/stacks/rpc/rpc-frame.js";
import { RpcServer, type RpcServerOptions } from "../../../src/stacks/rpc/rpc-server.js";

const sims: Simulation[] = [];
afterEach(() => {
  for (const sim of sims.splice(0)) {
    sim.scheduler.runToIdle();
    expect(sim.frames.leaks()).toEqual([]);
    sim.destroy();
  }
});

/** Test-only timers: closures run at virtual times (handlers that answer later). */
class Later {
  private readonly id: number;
  private readonly fns = new Map<number, () => void>();
  private n = 0;
  constructor(private readonly sim: Simulation) {
    this.id = sim.register("later", this);
  }
  at(delay: number, fn: () => void): void {
    const k = this.n++;
    this.fns.set(k, fn);
    this.sim.scheduler.schedule(this.id, delay, this.id, 0, k, 0, 0);
  }
  handleEvent(_kind: number, a: number): void {
    const f = this.fns.get(a)!;
    this.fns.delete(a);
    f();
  }
}

const MS = 1_000_000;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

function setup(
  stream: MemoryStreamOptions = { delay: "1ms" },
  client: RpcClientOptions = {},
  server: RpcServerOptions = {},
  seed = 1,
) {
  const sim = new Simulation({ seed, frameSlots: 16 });
  sims.push(sim);
  const pair = new MemoryStreamPair(sim, "stream", stream);
  const c = new RpcClient(sim, "client", pair.a, client);
  const s = new RpcServer(pair.b, server);
  const later = new Later(sim);
  const results: { id: number; err: RpcFailure | undefined; body: string; t: number }[] = [];
  const call = (method: number, body: string, options = {}) => {
    // Failures known at call time are reported before call() returns: id is -1 for those.
    let id = -1;
    id = c.call(method, enc(body), (err, b) => results.push({ id, err, body: dec(b), t: sim.now }), options);
    return id;
  };
  return { sim, pair, c, s, later, results, call };
}

describe("RPC framing", () => {
  it("encodes the documented layout and decodes messages cut anywhere", () => {
    const m = encodeRpcMessage(0x01020304, RpcKind.RESPONSE, 0x0a0b, Uint8Array.of(9, 8, 7));
    expect([...m]).toEqual([0, 0, 0, 11, 1, 2, 3, 4, 2, 0, 0x0a, 0x0b, 9, 8, 7]);
    const got: string[] = [];
    const d = new RpcDecoder(16, (id, kind, method, b, off, len) =>
      got.push(`${id}:${kind}:${method}:${[...b.subarray(off, off + len)]}`),
    );
    const two = new Uint8Array([...m, ...encodeRpcMessage(5, RpcKind.REQUEST, 1, new Uint8Array(0))]);
    for (let i = 0; i < two.length; i++) expect(d.push(two.subarray(i, i + 1))).toBeUndefined();
    expect(got).toEqual(["16909060:2:2571:9,8,7", "5:1:1:"]);
    expect(d.finish()).toBeUndefined();
  });

  it("reports bad length, oversized body, bad kind and truncation", () => {
    const sink = () => {};
    expect(new RpcDecoder(16, sink).push(Uint8Array.of(0, 0, 0, 7))).toMatch(/^BAD_LENGTH/);
    expect(new RpcDecoder(16, sink).push(Uint8Array.of(0, 0, 0, 25))).toMatch(
      /^OVERSIZED: a 17-byte message body exceeds the limit of 16/,
    );
    const bad = encodeRpcMessage(1, RpcKind.REQUEST, 1, new Uint8Array(0));
    bad[8] = 9;
    expect(new RpcDecoder(16, sink).push(bad)).toMatch(/^BAD_KIND/);
    const d = new RpcDecoder(16, sink);
    d.push(encodeRpcMessage(1, RpcKind.REQUEST, 1, enc("abc")).subarray(0, 13));
    expect(d.finish()).toBe("TRUNCATED: the stream ended inside a message (13 of 15 bytes)");
  });

  it("round-trips random message sequences cut into random pieces (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.nat(), method: fc.nat(0xffff), body: fc.uint8Array({ maxLength: 40 }) }), {
          maxLength: 8,
        }),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 10 }),
        (msgs, cuts) => {
          const stream = Buffer.concat(msgs.map((m) => encodeRpcMessage(m.id, RpcKind.REQUEST, m.method, m.body)));
          const got: typeof msgs = [];
          const d = new RpcDecoder(40, (id, _k, method, b, off, len) =>
            got.push({ id, method, body: b.slice(off, off + len) }),
          );
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const n = cuts[i % cuts.length]!;
            expect(d.push(stream.subarray(at, at + n))).toBeUndefined();
            at += n;
          }
          expect(got).toEqual(msgs.map((m) => ({ ...m, body: Uint8Array.from(m.body) })));
          expect(d.finish()).toBeUndefined();
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("RpcClient and RpcServer", () => {
  it("answers requests in any order, messages cut into 5-byte pieces", () => {
    const { sim, s, later, results, call } = setup({ delay: "1ms", chunk: 5 });
    s.handle(1, (body, reply) => reply.ok(enc(dec(body).toUpperCase())));
    s.handle(2, (body, reply) => {
      const text = dec(body);
      later.at(3 * MS, () => reply.ok(enc(`slow ${text}`)));
    });
    const a = call(2, "first");
    const b = call(1, "second");
    const c = call(1, "third");
    sim.scheduler.runToIdle();
    expect(new Set([a, b, c]).size).toBe(3);
    expect(results.map((r) => [r.id, r.err, r.body])).toEqual([
      [b, undefined, "SECOND"],
      [c, undefined, "THIRD"],
      [a, undefined, "slow first"],
    ]);
    expect(s.stats().executions).toEqual({ 1: 2, 2: 1 });
  });

  it("reports remote errors, unknown methods and handler exceptions", () => {
    const { sim, s, results, call } = setup();
    s.handle(1, (_b, reply) => reply.error("no such account"));
    s.handle(2, () => {
      throw new Error("boom");
    });
    call(1, "x");
    call(7, "x");
    call(2, "x");
    sim.scheduler.runToIdle();
    expect(results.map((r) => r.err)).toEqual([
      { code: "REMOTE", message: "no such account" },
      { code: "REMOTE", message: "NO_SUCH_METHOD: method 7 has no handler" },
      { code: "REMOTE", message: "HANDLER_FAILED: boom" },
    ]);
    expect(s.stats()).toMatchObject({ noSuchMethod: 1, handlerFailures: 1 });
  });

  it("times out a call at exactly its deadline (a scheduler event)", () => {
    const { sim, c, s, results, call } = setup();
    s.handle(1, () => {}); // never answers
    call(1, "x", { timeout: "10ms" });
    sim.scheduler.runToIdle();
    expect(results).toHaveLength(1);
    expect(results[0]!.err!.code).toBe("TIMEOUT");
    expect(results[0]!.t).toBe(10 * MS);
    expect(c.stats().failed).toEqual({ TIMEOUT: 1 });
    expect(c.outstanding).toBe(0);
  });

  it("retries with the same id while the server is still executing: one execution", () => {
    const { sim, c, s, later, results, call } = setup();
    s.handle(1, (_b, reply) => later.at(25 * MS, () => reply.ok(enc("done"))));
    call(1, "x", { timeout: "10ms", retries: 3 });
    sim.scheduler.runToIdle();
    expect(results.map((r) => [r.err, r.body])).toEqual([[undefined, "done"]]);
    expect(s.stats().executions).toEqual({ 1: 1 });
    expect(s.stats().duplicatesInProgress).toBe(2); // retries at 10 and 20 ms
    expect(c.stats().retries).toBe(2);
  });

  it("replays the cached reply to a retry that arrives after the answer: one execution", () => {
    // 3 ms each way; the server answers 8 ms after arrival (t = 11); the retry leaves at 10 and
    // arrives at 13, after the answer: it gets the cached reply, which the client ignores.
    const { sim, c, s, later, results, call } = setup({ delay: "3ms" });
    let runs = 0;
    s.handle(1, (_b, reply) => {
      runs++;
      later.at(8 * MS, () => reply.ok(enc(`run ${runs}`)));
    });
    call(1, "x", { timeout: "10ms", retries: 2 });
    sim.scheduler.runToIdle();
    expect(results.map((r) => [r.err, r.body, r.t])).toEqual([[undefined, "run 1", 14 * MS]]);
    expect(runs).toBe(1);
    expect(s.stats()).toMatchObject({ duplicatesReplayed: 1, executions: { 1: 1 } });
    expect(c.stats()).toMatchObject({ retries: 1, lateResponses: 1, completed: 1 });
  });

  it("fails every outstanding call with the reason when the stream breaks, and later calls at once", () => {
    const { sim, pair, c, s, later, results, call } = setup();
    s.handle(1, () => {}); // never answers
    call(1, "a");
    call(1, "b");
    call(1, "c", { timeout: "1s", retries: 5 });
    later.at(5 * MS, () => pair.breakWith("connection reset by peer"));
    sim.scheduler.runToIdle();
    expect(results.map((r) => [r.err?.code, r.err?.message, r.t])).toEqual([
      ["STREAM_CLOSED", "STREAM_CLOSED: connection reset by peer", 5 * MS],
      ["STREAM_CLOSED", "STREAM_CLOSED: connection reset by peer", 5 * MS],
      ["STREAM_CLOSED", "STREAM_CLOSED: connection reset by peer", 5 * MS],
    ]);
    call(1, "d");
    expect(results[3]!.err).toEqual({ code: "STREAM_CLOSED", message: "STREAM_CLOSED: connection reset by peer" });
    expect(c.state).toBe("closed");
    expect(s.state).toBe("closed");
    expect(c.outstanding).toBe(0);
  });

  it("closes the stream with a clear error on an oversized message", () => {
    const { sim, pair, c, s, results, call } = setup({ delay: "1ms" }, {}, { maxMessageBytes: 100 });
    const errors: string[] = [];
    s.onError((e) => errors.push(e));
    s.handle(1, (_b, reply) => reply.ok(enc("never")));
    call(1, "x".repeat(200)); // the client allows 64 KiB; the server only 100 bytes
    sim.scheduler.runToIdle();
    expect(errors).toEqual(["OVERSIZED: a 200-byte message body exceeds the limit of 100 bytes"]);
    expect(s.stats().closeReason).toBe("PROTOCOL: OVERSIZED: a 200-byte message body exceeds the limit of 100 bytes");
    expect(s.stats().executions).toEqual({});
    // The server aborted the stream: the client's call fails with that reason.
    expect(results[0]!.err).toEqual({
      code: "STREAM_CLOSED",
      message: "STREAM_CLOSED: OVERSIZED: a 200-byte message body exceeds the limit of 100 bytes",
    });
    expect(pair.a.closed && pair.b.closed).toBe(true);
    expect(c.state).toBe("closed");
  });

  it("reports a message truncated by the end of the stream", () => {
    const { sim, pair, s } = setup();
    const errors: string[] = [];
    s.onError((e) => errors.push(e));
    s.handle(1, () => {});
    pair.a.write(encodeRpcMessage(9, RpcKind.REQUEST, 1, enc("abcdef")).subarray(0, 15));
    pair.a.end();
    sim.scheduler.runToIdle();
    expect(errors).toEqual(["TRUNCATED: the stream ended inside a message (15 of 18 bytes)"]);
    expect(s.stats().executions).toEqual({});
  });

  it("fails outstanding calls with PROTOCOL when the server sends garbage", () => {
    const { sim, pair, results, call } = setup();
    call(1, "x");
    pair.b.write(Uint8Array.of(0, 0, 0, 3, 1, 2, 3)); // length 3 < 8
    sim.scheduler.runToIdle();
    expect(results[0]!.err).toEqual({
      code: "PROTOCOL",
      message: "PROTOCOL: BAD_LENGTH: a message length of 3 is below the 8-byte header",
    });
  });

  it("bounds outstanding calls and the send queue", () => {
    const { sim, s, results, call } = setup(
      { delay: "1ms", capacity: 64 },
      { maxOutstanding: 2, maxMessageBytes: 100, sendQueueBytes: 120 },
    );
    s.handle(1, (_b, reply) => reply.ok(enc("ok")));
    call(1, "a");
    call(1, "b");
    call(1, "c");
    expect(results.map((r) => r.err?.code)).toEqual(["TOO_MANY_CALLS"]);
    sim.scheduler.runToIdle();
    expect(results.map((r) => r.err?.code ?? r.body)).toEqual(["TOO_MANY_CALLS", "ok", "ok"]);
    // 64-byte stream buffer + 120-byte queue: a third 100-byte request no longer fits.
    results.length = 0;
    call(1, "x".repeat(100));
    call(1, "y".repeat(100));
    expect(results.map((r) => r.err?.code)).toEqual(["SEND_QUEUE_FULL"]);
    sim.scheduler.runToIdle();
    expect(results.map((r) => r.err?.code ?? r.body)).toEqual(["SEND_QUEUE_FULL", "ok"]);
  });

  it("bounds the duplicate table: forgets the oldest answered ids, refuses stale ids, says BUSY when full of running calls", () => {
    const { sim, pair, s, later, results, call } = setup({ delay: "1ms" }, {}, { dedupEntries: 4 });
    let runs = 0;
    s.handle(1, (_b, reply) => {
      runs++;
      reply.ok(enc("ok"));
    });
    for (let i = 0; i < 10; i++) call(1, `${i}`);
    sim.scheduler.runToIdle();
    expect(runs).toBe(10);
    expect(s.stats().tableEntries).toBe(4);
    // A retransmission of request 1 (forgotten): refused, not run again.
    const replies: string[] = [];
    pair.a.onData((b, off, len) => replies.push(dec(b.subarray(off + 12, off + len))));
    pair.a.write(encodeRpcMessage(1, RpcKind.REQUEST, 1, enc("again")));
    sim.scheduler.runToIdle();
    expect(runs).toBe(10);
    expect(replies).toEqual(["STALE_REQUEST: request 1 is older than the duplicate table"]);
    // Four calls that never finish fill the table: the fifth is refused with BUSY.
    s.handle(2, (_b, reply) => later.at(1000 * MS, () => reply.ok(enc("late"))));
    for (let i = 0; i < 5; i++) pair.a.write(encodeRpcMessage(100 + i, RpcKind.REQUEST, 2, new Uint8Array(0)));
    sim.scheduler.run(sim.now + 10 * MS);
    expect(replies.at(-1)).toBe("BUSY: 4 requests are still executing");
    expect(s.stats()).toMatchObject({ busy: 1, stale: 1, executions: { 1: 10, 2: 4 } });
    expect(results).toHaveLength(10);
  });

  it("throws on API misuse", () => {
    const { sim, c, s, call } = setup();
    expect(() => c.call(70000, new Uint8Array(0), () => {})).toThrow(NetloomError);
    expect(() => c.call(1, new Uint8Array(70000), () => {})).toThrow(/exceeds maxMessageBytes/);
    let reply: { ok(b: Uint8Array): void } | undefined;
    s.handle(1, (_b, r) => {
      reply = r;
      r.ok(enc("once"));
    });
    call(1, "x");
    sim.scheduler.runToIdle();
    expect(() => reply!.ok(enc("twice"))).toThrow(/already answered/);
    expect(() => new RpcClient(sim, "c2", new MemoryStreamPair(sim, "p2").a, { maxOutstanding: 0 })).toThrow(
      /maxOutstanding/,
    );
  });

  it("is deterministic: the same workload gives the same fingerprint", () => {
    const run = (): string => {
      const { sim, s, later, call } = setup({ delay: "2ms", chunk: 7 }, { timeout: "5ms", retries: 2 }, {}, 42);
      s.handle(1, (body, reply) => later.at(body.length * MS, () => reply.ok(body)));
      for (let i = 0; i < 20; i++) call(1, "x".repeat(i % 9));
      sim.scheduler.runToIdle();
      return sim.scheduler.fingerprint.toString();
    };
    expect(run()).toBe(run());
  });
});
