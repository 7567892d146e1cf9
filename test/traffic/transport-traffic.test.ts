// Scenario transport traffic (issue 7): tcp-bulk, nak-bulk and rpc entries are validated with
// path-naming errors, run over the real transports, report their transport sections, leave no
// frame behind, and give the same report with 2 workers.
import { afterEach, describe, expect, it } from "vitest";
import { parseScenario } from "../../src/scenario/scenario.js";
import { buildScenario } from "../../src/run/build-scenario.js";
import { reportOf } from "../../src/run/run-report.js";
import { runScenario } from "../../src/run/run-scenario.js";
import type { RunReport } from "../../src/run/run-report.js";

/** h0 -- r -- h1 over two links; `extra` goes on the second link's line (faults, schedule). */
function doc(traffic: string, options: { duration?: string; secondLink?: string; mtu?: number } = {}): string {
  const mtu = options.mtu ?? 1500;
  return `name: t
seed: 5
duration: ${options.duration ?? "2s"}
hosts:
  - { name: h0, ip: 10.0.0.10/24, gateway: 10.0.0.1 }
  - { name: h1, ip: 10.0.1.10/24, gateway: 10.0.1.1 }
routers:
  - name: r
    interfaces:
      - { name: left, ip: 10.0.0.1/24 }
      - { name: right, ip: 10.0.1.1/24 }
links:
  - { a: h0, b: "r:left", rate: 100Mbps, delay: 1ms, mtu: ${mtu} }
  - { name: wan, a: "r:right", b: h1, rate: 100Mbps, delay: 1ms, mtu: ${mtu}${options.secondLink ?? ""} }
traffic:
${traffic}`;
}

function problems(text: string): string {
  try {
    parseScenario(text);
  } catch (e) {
    return (e as Error).message;
  }
  return "";
}

const networks: { dispose(): void }[] = [];
afterEach(() => {
  // Tests that check for leaks destroy() theirs first; dispose() is then a no-op.
  for (const n of networks.splice(0)) n.dispose();
});

function run(text: string) {
  const s = parseScenario(text);
  const built = buildScenario(s);
  networks.push(built.network);
  built.network.run(s.durationNs);
  const report = reportOf(built, 0);
  return { s, built, report };
}

describe("transport traffic: validation", () => {
  it("normalises tcp-bulk, nak-bulk and rpc entries", () => {
    const s = parseScenario(
      doc(`  - { type: tcp-bulk, from: h0, to: h1, bytes: 1MB, tcp: { sendBuffer: 512KiB, delayedAck: 10ms, noDelay: true, keepAlive: { idle: 5s } } }
  - { type: nak-bulk, from: h1, to: 10.0.0.10, port: 7000, nak: { sendBuffer: 256KiB, rate: { initial: 20Mbps, max: 80Mbps } } }
  - { type: rpc, from: h0, to: h1, size: 100, responseSize: 2KB, interval: 10ms, count: 5, retries: 1 }`),
    );
    expect(s.traffic[0]).toMatchObject({
      type: "tcp-bulk",
      port: 5001,
      bytes: 1_000_000,
      tcp: { sendBuffer: 524288, delayedAck: 10e6, noDelay: true, keepAlive: { idle: 5e9 } },
    });
    expect(s.traffic[1]).toMatchObject({
      type: "nak-bulk",
      port: 7000,
      to: { host: "h0" },
      nak: { sendBuffer: 262144, rate: { initialBps: 20e6, maxBps: 80e6 } },
    });
    expect(s.traffic[2]).toMatchObject({
      type: "rpc",
      port: 5003,
      requestSize: 100,
      responseSize: 2000,
      intervalNs: 10e6,
      count: 5,
      retries: 1,
      timeoutNs: 1e9,
      maxOutstanding: 64,
    });
  });

  it("names the offending path", () => {
    expect(problems(doc(`  - { type: tcp-bulk, from: h0, to: h1, tcp: { sendBufer: 1MiB } }`))).toMatch(
      /traffic\[0\]\.tcp: unknown key "sendBufer" \(did you mean "sendBuffer"\?\)/,
    );
    expect(problems(doc(`  - { type: tcp-bulk, from: h0, to: h1, rate: 1Mbps }`))).toMatch(
      /traffic\[0\]: key "rate" does not apply to traffic of type "tcp-bulk"/,
    );
    expect(problems(doc(`  - { type: rpc, from: h0, to: h1, responseSize: 10 }`))).toMatch(
      /traffic\[0\]: missing required key "size"/,
    );
    expect(problems(doc(`  - { type: tcp-bulk, from: h0, to: h1, tcp: { mss: 1461 } }`))).toMatch(
      /traffic\[0\]\.tcp\.mss: 1461 is out of range \(64 to 1460 bytes\)/,
    );
    expect(problems(doc(`  - { type: nak-bulk, from: h0, to: h1, nak: { sendBuffer: 100000 } }`))).toMatch(
      /traffic\[0\]\.nak\.sendBuffer: 100000 is not a power of two/,
    );
    expect(problems(doc(`  - { type: tcp-bulk, from: h0, to: 224.1.1.1 }`))).toMatch(
      /traffic\[0\]\.to: 224\.1\.1\.1 is not the address of a host/,
    );
    expect(problems(doc(`  - { type: tcp-bulk, from: h0, to: h1, tcp: { minRto: 2s, maxRto: 1s } }`))).toMatch(
      /traffic\[0\]\.tcp\.maxRto: "1s" is shorter than minRto/,
    );
    expect(
      problems(
        doc(
          `  - { type: tcp-bulk, from: h0, to: h1, port: 80 }\n  - { type: rpc, from: h0, to: h1, port: 80, size: 1, responseSize: 1 }`,
        ),
      ),
    ).toMatch(/traffic\[1\]\.port: TCP port 80 of h1 is already used by traffic\[0\]/);
    expect(problems(doc(`  - { type: tcp-bluk, from: h0, to: h1 }`))).toMatch(/did you mean "tcp-bulk"/);
  });

  it("accepts MTUs up to 9000 and refuses more", () => {
    expect(parseScenario(doc("  []", { mtu: 9000 })).hosts[0]!.mtu).toBe(9000);
    expect(problems(doc("  []", { mtu: 9001 }))).toMatch(/links\[0\]\.mtu: 9001 is out of range \(68 to 9000 bytes\)/);
  });
});

describe("transport traffic: runs", () => {
  it("tcp-bulk delivers every byte in order and reports its connection", () => {
    const { built, report } = run(
      doc(
        `  - { name: bulk, type: tcp-bulk, from: h0, to: h1, bytes: 3MB, tcp: { sendBuffer: 1MiB, receiveBuffer: 1MiB } }`,
        { secondLink: ", faults: { loss: 0.01 }" },
      ),
    );
    const f = report.flows[0]!;
    expect(f.receivedBytes).toBe(3_000_000);
    expect(f.sentBytes).toBe(3_000_000);
    expect(f.loss).toBeNull();
    expect(f.throughputBps).toBeGreaterThan(10e6);
    const t = f.transport!;
    expect(t.type).toBe("tcp-bulk");
    expect(t.receiver).toMatchObject({ verified: true, mismatches: 0, endReceived: true, bytesDelivered: 3_000_000 });
    expect(t.sender["retransmits"]).toBe(18);
    expect(t.sender["mss"]).toBe(1460);
    expect(f.sentPackets).toBe(t.sender["dataSegmentsSent"]);
    built.network.runToIdle();
    built.network.destroy(); // throws if a frame leaked
  });

  it("a transfer cut by its stop time ends with FIN; a dead path fails the connection", () => {
    const { report } = run(doc(`  - { type: tcp-bulk, from: h0, to: h1, stop: 300ms }`, { duration: "1s" }));
    const t = report.flows[0]!.transport!;
    expect(t.receiver["endReceived"]).toBe(true);
    expect(t.receiver["bytesDelivered"]).toBe(t.sender["bytesWritten"]);
    const dead = run(
      doc(
        `  - { type: tcp-bulk, from: h0, to: h1, tcp: { minRto: 10ms, maxRto: 20ms, initialRto: 10ms, maxRetries: 3 } }`,
        {
          duration: "3s",
          secondLink: ", schedule: [{ at: 200ms, state: down }]",
        },
      ),
    );
    const d = dead.report.flows[0]!.transport!;
    expect(String(d.sender["closeReason"])).toMatch(/timed out|timeout|retransmission/i);
    expect(d.sender["timeouts"]).toBe(4);
    expect(d.receiver["verified"]).toBe(true);
    dead.built.network.dispose();
  });

  it("nak-bulk streams the pattern and reports its rate control", () => {
    const { built, report } = run(
      doc(`  - { type: nak-bulk, from: h0, to: h1, bytes: 2MB, nak: { rate: { initial: 20Mbps, max: 90Mbps } } }`, {
        secondLink: ", faults: { loss: 0.02 }",
      }),
    );
    const f = report.flows[0]!;
    expect(f.receivedBytes).toBe(2_000_000);
    expect(f.sentBytes).toBe(2_000_000);
    expect(f.transport!.receiver).toMatchObject({ verified: true, result: "complete" });
    expect(f.transport!.sender["packetsRetransmitted"]).toBe(30);
    // Loss is the data packets the lossy link dropped, over those sent (repairs included).
    const wan = report.links[1]!.directions[0]!.drops["LOSS_RANDOM"]!;
    expect(f.droppedPackets).toBe(wan);
    expect(f.drops).toEqual({ LOSS_RANDOM: wan });
    expect(f.loss).toBe(wan / f.sentPackets);
    const r = f.transport!.receiver as Record<string, number>;
    expect(f.inFlightPackets).toBe(f.sentPackets - f.receivedPackets - r["duplicates"]! - r["refused"]! - wan);
    built.network.runToIdle();
    built.network.destroy();
  });

  it("rpc measures call latency and counts failures by code", () => {
    const { report } = run(
      doc(
        `  - { type: rpc, from: h0, to: h1, size: 64, responseSize: 1000, interval: 20ms, count: 20, tcp: { noDelay: true } }`,
      ),
    );
    const f = report.flows[0]!;
    expect(f.sentPackets).toBe(20);
    expect(f.receivedPackets).toBe(20);
    expect(f.latencyNs.p50).toBeGreaterThan(4e6); // 2 x (2 ms of delay) at least
    expect(f.latencyNs.max).toBeLessThan(50e6);
    expect(f.transport!.receiver).toMatchObject({ requests: 20, executions: 20 });
    const down = run(
      doc(
        `  - { type: rpc, from: h0, to: h1, size: 64, responseSize: 64, interval: 50ms, count: 10, timeout: 100ms, tcp: { noDelay: true } }`,
        {
          secondLink: ", schedule: [{ at: 200ms, state: down }]",
        },
      ),
    );
    const g = down.report.flows[0]!;
    expect(g.receivedPackets).toBeLessThan(10);
    expect((g.transport!.sender["failed"] as Record<string, number>)["TIMEOUT"]).toBe(6);
    down.built.network.dispose();
  });

  it("the same report with 2 workers (sender and receiver in different partitions)", async () => {
    const text = doc(
      `  - { type: nak-bulk, from: h0, to: h1, bytes: 1MB, nak: { rate: { initial: 20Mbps, max: 90Mbps } } }
  - { type: tcp-bulk, from: h1, to: h0, bytes: 1MB }
  - { type: rpc, from: h0, to: h1, size: 64, responseSize: 500, count: 30 }`,
      { secondLink: ", faults: { loss: 0.01 }" },
    );
    const strip = (r: RunReport) => {
      const { wallTimeMs: _w, parallel: _p, partitioning: _q, ...rest } = r;
      return rest;
    };
    const one = await runScenario(parseScenario(text), { workers: 1 });
    const two = await runScenario(parseScenario(text), { workers: 2, forceWorkers: true });
    expect(two.parallel?.partitions).toBe(2);
    expect(strip(two)).toEqual(strip(one));
    expect(one.flows.every((f) => f.receivedBytes > 0)).toBe(true);
  }, 60_000);
});
