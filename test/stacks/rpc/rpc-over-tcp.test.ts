// RPC over the TCP-format stream (issue 7): TcpConnection is a ByteStream as it stands. Calls
// complete across a lossy link, and a connection that breaks fails every outstanding call with
// the stream's reason.
import { describe, expect, it } from "vitest";
import { RpcClient, type RpcFailure } from "../../../src/stacks/rpc/rpc-client.js";
import { RpcServer } from "../../../src/stacks/rpc/rpc-server.js";
import type { TcpConnection } from "../../../src/stacks/tcp/tcp-connection.js";
import { tcpPair } from "../tcp/support.js";

function setup(loss = 0) {
  const pair = tcpPair({ link: { rate: 1e8, delay: 100_000, faults: { loss } } });
  const executed: number[] = [];
  let server: RpcServer | undefined;
  pair.tb.listen(7, (c: TcpConnection) => {
    server = new RpcServer(c);
    server.handle(1, (body, reply) => {
      executed.push(body[0]!);
      reply.ok(new Uint8Array(1000).fill(body[0]!));
    });
  });
  const conn = pair.ta.connect(pair.B.ip, 7);
  const client = new RpcClient(pair.sim, "rpc-client", conn, { timeout: "2s", retries: 0 });
  return { ...pair, conn, client, executed, server: () => server };
}

describe("RPC over TCP", () => {
  it("completes every call exactly once across a lossy link", () => {
    const { sim, client, executed } = setup(0.02);
    const answers = new Map<number, number>();
    for (let i = 0; i < 50; i++) {
      client.call(1, new Uint8Array([i]), (err, body) => {
        expect(err).toBeUndefined();
        answers.set(i, body!.length === 1000 && body!.every((b) => b === i) ? 1 : 0);
      });
    }
    sim.scheduler.runUntil(sim.now + 5e9);
    expect([...answers.values()].filter((v) => v === 1)).toHaveLength(50);
    expect(executed.slice().sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
  });

  it("fails outstanding calls with the stream's reason when the connection breaks", () => {
    const { sim, client, conn } = setup();
    const failures: RpcFailure[] = [];
    sim.scheduler.runUntil(sim.now + 10e6); // established
    for (let i = 0; i < 3; i++) client.call(1, new Uint8Array([i]), (err) => failures.push(err!));
    conn.abort("test abort");
    sim.scheduler.runUntil(sim.now + 1e9);
    expect(failures).toHaveLength(3);
    for (const f of failures) {
      expect(f.code).toBe("STREAM_CLOSED");
      expect(f.message).toMatch(/test abort/);
    }
  });
});
