// The workloads section in scenario files: primary-backup and stream-breaks entries normalised
// with their defaults, run with a crash from the failures section (the frame pool empty after
// it), the same report at 1 and 2 workers, and a clear error naming the path for each bad input.
import { afterAll, describe, expect, it } from "vitest";
import { parseScenario, ScenarioError } from "../../src/scenario/scenario.js";
import { runScenario } from "../../src/run/run-scenario.js";
import { buildScenario } from "../../src/run/build-scenario.js";
import { reportOf, type RunReport } from "../../src/run/run-report.js";
import { closePartitionPool } from "../../src/run/partition-pool.js";

const BASE = `
name: workloads
seed: 5
duration: 1s
hosts:
  - { name: p, ip: 10.0.0.1/24 }
  - { name: b, ip: 10.0.0.2/24 }
  - { name: c1, ip: 10.0.0.11/24 }
  - { name: c2, ip: 10.0.0.12/24 }
switches:
  - { name: sw, ports: 4 }
links:
  - { a: p, b: sw:0, rate: 100Mbps, delay: 50us }
  - { a: b, b: sw:1, rate: 100Mbps, delay: 50us }
  - { a: c1, b: sw:2, rate: 100Mbps, delay: 50us }
  - { a: c2, b: sw:3, rate: 100Mbps, delay: 50us }
`;

const PB = `
workloads:
  - { name: svc, type: primary-backup, servers: [p, b], clients: [c1, c2] }
`;

function errorOf(text: string): string {
  try {
    parseScenario(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as ScenarioError).message;
  }
  throw new Error("expected a ScenarioError");
}

const comparable = (r: RunReport): unknown => {
  const { wallTimeMs: _w, parallel: _p, partitioning: _q, ...rest } = r;
  return rest;
};

afterAll(() => closePartitionPool());

describe("scenario workloads", () => {
  it("normalises a primary-backup entry with its defaults", () => {
    expect(parseScenario(BASE + PB).workloads).toEqual([
      {
        name: "svc",
        type: "primary-backup",
        servers: ["p", "b"],
        clients: ["c1", "c2"],
        port: 7300,
        startNs: 0,
        stopNs: 1e9,
        intervalNs: 10e6,
        count: undefined,
        timeoutNs: 20e6,
        retries: 2,
        heartbeatPeriodNs: 10e6,
        heartbeatTimeoutNs: 50e6,
        updateTimeoutNs: 10e6,
        updateRetries: 3,
        failover: true,
        takeover: "both",
      },
    ]);
    const s = parseScenario(`${BASE}
workloads:
  - { type: primary-backup, servers: [p, b], clients: [c1], rate: 250, count: 7, failover: false, takeover: never,
      heartbeat: { period: 5ms }, update: { retries: 0 } }`);
    expect(s.workloads[0]).toMatchObject({
      name: "workload0",
      intervalNs: 4e6,
      count: 7,
      failover: false,
      takeover: "never",
      heartbeatPeriodNs: 5e6,
      heartbeatTimeoutNs: 50e6,
      updateRetries: 0,
    });
  });

  it("normalises a stream-breaks entry with TCP's own defaults for what it leaves out", () => {
    const s = parseScenario(`${BASE}
workloads:
  - { name: st, type: stream-breaks, from: c1, to: p, streams: 4, interval: 100ms, timeouts: { minRto: 200ms },
      keepAlive: { idle: 1s } }`);
    expect(s.workloads[0]).toEqual({
      name: "st",
      type: "stream-breaks",
      from: "c1",
      to: "p",
      streams: 4,
      port: 9100,
      startNs: 0,
      stopNs: 1e9,
      intervalNs: 100e6,
      size: 64,
      keepAlive: { idleNs: 1e9, intervalNs: 75e9, count: 9 },
      timeouts: { minRtoNs: 200e6, maxRtoNs: 60e9, initialRtoNs: 1e9, maxRetries: 12 },
    });
  });

  it("a primary crash from the failures section: one failover, no split, every frame slot back", () => {
    const s = parseScenario(`${BASE}${PB}
failures:
  - { device: p, at: 300ms }
`);
    const built = buildScenario(s);
    built.network.run(s.durationNs);
    const r = reportOf(built, 0).primaryBackup![0]!;
    expect(r.summary).toMatchObject({ failed: 0, failovers: 2, takeovers: 1, stepDowns: 0, splits: 0, splitNs: 0 });
    expect(r.servers.map((x) => x.role)).toEqual(["down", "primary"]);
    expect(r.clients.map((c) => c.primary)).toEqual([1, 1]);
    for (const w of built.primaryBackups) w.destroy();
    built.network.runToIdle();
    expect(built.network.sim.frames.leaks()).toEqual([]);
    built.network.destroy();
  });

  it("the same report at 1 and 2 workers, the clients and servers in different partitions", async () => {
    const text = `${BASE}${PB}
  - { name: st, type: stream-breaks, from: c1, to: p, streams: 3, interval: 50ms, timeouts: { minRto: 20ms, maxRetries: 2 } }
failures:
  - { device: p, at: 300ms, restartAt: 600ms }
`;
    const one = await runScenario(parseScenario(text), { workers: 1 });
    const two = await runScenario(parseScenario(text), { workers: 2, forceWorkers: true });
    expect(two.parallel?.partitions).toBe(2);
    expect(two.parallel!.crossPartitionFrames).toBeGreaterThan(0);
    expect(comparable(two)).toEqual(comparable(one));
    // p's ends of c1's streams die with p at 300 ms. c1's ends keep retransmitting (delayed
    // acks made their RTO far above minRto) until the restarted p answers each with a RST.
    const sb = one.streamBreaks![0]!;
    expect([sb.broken, sb.firstBreakNs, sb.spreadNs]).toEqual([3, 300e6, 0]);
    for (const st of sb.streams) {
      expect([st.to.reason, st.to.brokeAtNs]).toEqual(["host crashed", 300e6]);
      expect(st.from.reason).toBe("connection reset by peer");
      expect(st.from.brokeAtNs).toBeGreaterThan(600e6);
      expect(st.from.brokeAtNs).toBeLessThan(650e6);
    }
    expect(one.primaryBackup![0]!.servers[0]!.roles.map((x) => x.cause)).toEqual([
      "start",
      "crash",
      "restart",
      "newer-primary",
    ]);
  });

  it.each([
    [
      "an unknown type",
      "workloads: [{ type: primary-backpu, servers: [p, b], clients: [c1] }]",
      'workloads[0].type: "primary-backpu" is not a workload type (primary-backup, stream-breaks, rpc-udp, two-phase-commit) (did you mean "primary-backup"?)',
    ],
    ["no type", "workloads: [{ servers: [p, b] }]", 'workloads[0]: missing required key "type"'],
    [
      "one server",
      "workloads: [{ type: primary-backup, servers: [p], clients: [c1] }]",
      "workloads[0].servers: 1 hosts; a service needs 2 to 31 here",
    ],
    [
      "an unknown server",
      "workloads: [{ type: primary-backup, servers: [p, q], clients: [c1] }]",
      'workloads[0].servers[1]: there is no host named "q"',
    ],
    [
      "a server twice",
      "workloads: [{ type: primary-backup, servers: [p, p], clients: [c1] }]",
      "workloads[0].servers[1]: p is listed twice",
    ],
    [
      "a client that serves",
      "workloads: [{ type: primary-backup, servers: [p, b], clients: [b] }]",
      "workloads[0].clients[0]: b is also a server of this service",
    ],
    [
      "a switch as client",
      "workloads: [{ type: primary-backup, servers: [p, b], clients: [sw] }]",
      'workloads[0].clients[0]: "sw" is a switch',
    ],
    [
      "rate and interval",
      "workloads: [{ type: primary-backup, servers: [p, b], clients: [c1], rate: 10, interval: 1ms }]",
      "workloads[0].interval: give rate or interval, not both",
    ],
    [
      "a bad rate",
      "workloads: [{ type: primary-backup, servers: [p, b], clients: [c1], rate: -1 }]",
      "workloads[0].rate: -1 is not a positive number of calls per second",
    ],
    [
      "a zero timeout",
      "workloads: [{ type: primary-backup, servers: [p, b], clients: [c1], timeout: 0s }]",
      "workloads[0].timeout: must be longer than 0",
    ],
    [
      "a zero heartbeat",
      "workloads: [{ type: primary-backup, servers: [p, b], clients: [c1], heartbeat: { period: 0s } }]",
      "workloads[0].heartbeat.period: must be longer than 0",
    ],
    [
      "an unknown heartbeat key",
      "workloads: [{ type: primary-backup, servers: [p, b], clients: [c1], heartbeat: { every: 1ms } }]",
      "workloads[0].heartbeat",
    ],
    [
      "a bad takeover",
      "workloads: [{ type: primary-backup, servers: [p, b], clients: [c1], takeover: always }]",
      'workloads[0].takeover: "always" is not one of "both", "heartbeat", "request", "never"',
    ],
    [
      "a stop before start",
      "workloads: [{ type: primary-backup, servers: [p, b], clients: [c1], start: 5ms, stop: 1ms }]",
      "workloads[0].stop",
    ],
    [
      "two services on one port",
      "workloads: [{ type: primary-backup, servers: [p, b], clients: [c1] }, { type: primary-backup, servers: [p, c2], clients: [c1] }]",
      "workloads[1].servers[0]: UDP port 7300 of p is already used by workloads[0] (workload0)",
    ],
    [
      "a port UDP traffic uses",
      "traffic: [{ name: f, type: cbr, from: c2, to: p, size: 100, rate: 1Mbps, dstPort: 7300 }]\nworkloads: [{ type: primary-backup, servers: [p, b], clients: [c1] }]",
      "workloads[0].servers[0]: UDP port 7300 of p is already used by traffic[0] (f)",
    ],
    [
      "two workloads of one name",
      "workloads: [{ name: w, type: primary-backup, servers: [p, b], clients: [c1] }, { name: w, type: stream-breaks, from: c1, to: p, streams: 1 }]",
      'workloads[1].name: duplicate name "w"',
    ],
    [
      "streams to itself",
      "workloads: [{ type: stream-breaks, from: p, to: p, streams: 1 }]",
      "workloads[0].to: streams from p to itself",
    ],
    ["no streams", "workloads: [{ type: stream-breaks, from: c1, to: p, streams: 0 }]", "workloads[0].streams"],
    [
      "ports past 65535",
      "workloads: [{ type: stream-breaks, from: c1, to: p, streams: 10, port: 65530 }]",
      "workloads[0].port: ports 65530 to 65539 do not all exist",
    ],
    [
      "timeouts without writes",
      "workloads: [{ type: stream-breaks, from: c1, to: p, streams: 2, timeouts: { maxRetries: 3 } }]",
      "workloads[0].timeouts: retransmission timeouts act only on streams that write: give interval",
    ],
    [
      "maxRto below minRto",
      "workloads: [{ type: stream-breaks, from: c1, to: p, streams: 2, interval: 1s, timeouts: { minRto: 2s, maxRto: 1s } }]",
      "workloads[0].timeouts.maxRto: must not be below minRto",
    ],
    [
      "initialRto outside",
      "workloads: [{ type: stream-breaks, from: c1, to: p, streams: 2, interval: 1s, timeouts: { minRto: 2s, maxRto: 5s, initialRto: 1s } }]",
      "workloads[0].timeouts.initialRto: must lie between minRto and maxRto",
    ],
    [
      "a zero keep-alive idle",
      "workloads: [{ type: stream-breaks, from: c1, to: p, streams: 2, keepAlive: { idle: 0s } }]",
      "workloads[0].keepAlive.idle: must be longer than 0",
    ],
    [
      "a TCP port traffic listens on",
      "traffic: [{ name: t, type: tcp-bulk, from: c2, to: p, port: 9101 }]\nworkloads: [{ type: stream-breaks, from: c1, to: p, streams: 2 }]",
      "workloads[0].port: TCP port 9101 of p is already used by traffic[0] (t)",
    ],
    ["an unknown key", "workloads: [{ type: stream-breaks, from: c1, to: p, streams: 2, rate: 5 }]", "workloads[0]"],
  ])("refuses %s, naming the path", (_what, yaml, message) => {
    expect(errorOf(BASE + yaml)).toContain(message);
  });
});
