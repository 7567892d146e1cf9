// rpc-udp workloads in scenario files: what an entry normalises to, that every option acts, and
// a clear error naming the path for each bad input.
import { describe, expect, it } from "vitest";
import { parseScenario, ScenarioError } from "../../src/scenario/scenario.js";
import { buildScenario } from "../../src/run/build-scenario.js";
import { reportOf } from "../../src/run/run-report.js";

const BASE = `
name: rpc
duration: 1s
hosts:
  - { name: c0, ip: 10.0.0.1/24 }
  - { name: c1, ip: 10.0.0.2/24 }
  - { name: s0, ip: 10.0.0.3/24 }
  - { name: s1, ip: 10.0.0.4/24, mtu: 1000 }
  - { name: ns, ip: 10.0.0.5/24, storage: { disk: disk-1995 } }
switches:
  - { name: sw, ports: 5 }
links:
  - { a: c0, b: sw:0, rate: 100Mbps, delay: 50us }
  - { a: c1, b: sw:1, rate: 100Mbps, delay: 50us }
  - { a: s0, b: sw:2, rate: 100Mbps, delay: 50us }
  - { a: s1, b: sw:3, rate: 100Mbps, delay: 50us }
  - { a: ns, b: sw:4, rate: 100Mbps, delay: 50us }
traffic:
  - { name: t, type: cbr, from: c1, to: s0, size: 100, rate: 1Mbps, dstPort: 9000 }
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

const entry = (extra: string): string =>
  `${BASE}workloads:\n  - { name: w, type: rpc-udp, clients: [c0], server: s0${extra} }\n`;

describe("rpc-udp scenario entries", () => {
  it("fills every default", () => {
    const s = parseScenario(entry(""));
    expect(s.workloads).toEqual([
      {
        name: "w",
        type: "rpc-udp",
        index: 0,
        clients: ["c0"],
        servers: ["s0"],
        nameService: undefined,
        nameServicePort: 7201,
        port: 7200,
        semantics: "at-most-once",
        operation: "increment",
        count: undefined,
        intervalNs: undefined,
        arrivals: "fixed",
        startNs: 0,
        stopNs: 1e9,
        argumentBytes: 64,
        resultBytes: 64,
        fragmentBytes: 0,
        amount: 1,
        initialValue: 0,
        executionNs: 1e6,
        retransmitNs: 100e6,
        retries: 5,
        ackDelayNs: 20e6,
        nakDelayNs: 5e6,
        rebindDelayNs: 100e6,
        duplicateTable: 1024,
        maxExecuting: 64,
        queueLimit: 64,
        exterminateOrphans: true,
      },
    ]);
  });

  it("takes every key", () => {
    const s = parseScenario(
      `${BASE}workloads:
  - name: w
    type: rpc-udp
    clients: [c0, c1]
    servers: [s0, s1]
    nameService: ns
    nameServicePort: 7301
    port: 7201
    semantics: exactly-once
    operation: debit
    count: 7
    interval: 3ms
    arrivals: poisson
    start: 10ms
    stop: 900ms
    argumentSize: 100
    resultSize: 2KB
    amount: 5
    initialValue: 1000
    executionTime: 2ms
    timeout: 30ms
    retries: 9
    ackDelay: 4ms
    nakDelay: 1ms
    fragmentSize: 900
    duplicateTable: 10
    maxExecuting: 3
    queueLimit: 4
    rebindDelay: 70ms
    exterminateOrphans: false
`,
    );
    expect(s.workloads[0]).toMatchObject({
      clients: ["c0", "c1"],
      servers: ["s0", "s1"],
      nameService: "ns",
      nameServicePort: 7301,
      port: 7201,
      semantics: "exactly-once",
      operation: "debit",
      count: 7,
      intervalNs: 3e6,
      arrivals: "poisson",
      startNs: 10e6,
      stopNs: 900e6,
      argumentBytes: 100,
      resultBytes: 2000,
      amount: 5,
      initialValue: 1000,
      executionNs: 2e6,
      retransmitNs: 30e6,
      retries: 9,
      ackDelayNs: 4e6,
      nakDelayNs: 1e6,
      fragmentBytes: 900,
      duplicateTable: 10,
      maxExecuting: 3,
      queueLimit: 4,
      rebindDelayNs: 70e6,
      exterminateOrphans: false,
    });
  });

  it("builds and runs: debits from the initial value, through the name service, on the configured disk", () => {
    const s = parseScenario(entry(", nameService: ns, operation: debit, initialValue: 3, count: 5, interval: 10ms"));
    const built = buildScenario(s);
    built.network.run(s.durationNs);
    const r = reportOf(built, 0).rpcUdp![0]!;
    // Three debits of 1 succeed; the fourth and fifth would take the balance below 0: the
    // operation runs and refuses them (failed, no effect).
    expect(r.reasons).toEqual({ "failed:APP_ERROR": 2, "ok:OK": 3 });
    expect(r.counters).toEqual({ s0: 0 });
    expect(r.executionsPerCall).toEqual({ "0": 0, "1": 5 });
    expect(r.logWrites).toBe(3);
    expect(r.registry).toEqual([{ address: 0x0a000003, port: 7200, rank: 0, incarnation: 0 }]);
    // The name service forced the registration to its 1995 disk; s0 got the default disk.
    expect(built.network.ipHost("ns").storage.profile.name).toBe("disk-1995");
    expect(built.network.ipHost("s0").storage.profile.name).toBe("nvme-2025");
    built.network.runToIdle();
    built.network.destroy();
  });

  it.each([
    ["server and servers", ", servers: [s1]", 'workloads[0].servers: give "server" (one) or "servers"'],
    ["an unknown semantics", ", semantics: at-most-twice", 'workloads[0].semantics: "at-most-twice" is not one of'],
    ["an unknown operation", ", operation: incremnt", 'did you mean "increment"'],
    ["arrivals without interval", ", arrivals: poisson", 'workloads[0].arrivals: applies only with "interval"'],
    [
      "a name-service port without one",
      ", nameServicePort: 9",
      'workloads[0].nameServicePort: applies only with "nameService"',
    ],
    ["arguments under 8 bytes", ", argumentSize: 7", "workloads[0].argumentSize: 7 is out of range (8 to"],
    ["results too large for 8192 fragments", ", resultSize: 20MB", "workloads[0].resultSize"],
    ["a zero timeout", ", timeout: 0s", 'workloads[0].timeout: "0s" must be longer than 0'],
    ["negative retries", ", retries: -1", "workloads[0].retries"],
    ["an unknown key", ", retrys: 3", "workloads[0]"],
    [
      "a port of a traffic flow",
      ", port: 9000",
      "workloads[0].port: UDP port 9000 of s0 is already used by traffic[0] (t)",
    ],
    ["a bad interval", ", interval: 0ms", "workloads[0].interval"],
  ])("refuses %s, naming the path", (_what, extra, message) => {
    expect(errorOf(entry(extra))).toContain(message);
  });

  it.each([
    [
      "a fragment size over the MTU of a host",
      "clients: [c0], servers: [s0, s1], fragmentSize: 1400",
      "workloads[0].fragmentSize: 1400 does not fit the hosts' MTU: at most 936 bytes",
    ],
    ["a switch as server", "clients: [c0], server: sw", 'workloads[0].server: "sw" is a switch'],
    ["an unknown client", "clients: [zz], server: s0", 'workloads[0].clients[0]: there is no host named "zz"'],
    ["a client listed twice", "clients: [c0, c0], server: s0", "workloads[0].clients[1]: c0 is listed twice"],
    ["no client", "clients: [], server: s0", "workloads[0].clients: needs at least one host"],
    ["missing clients", "server: s0", 'workloads[0]: missing required key "clients"'],
    ["no server", "clients: [c0], count: 1", 'workloads[0]: missing required key "server" (or "servers")'],
    [
      "the name service on a server's port",
      "clients: [c0], server: s0, nameService: s0, nameServicePort: 7200",
      "workloads[0].nameServicePort: s0 serves on port 7200 already",
    ],
  ])("refuses %s, naming the path", (_what, keys, message) => {
    expect(errorOf(`${BASE}workloads:\n  - { name: w, type: rpc-udp, ${keys} }\n`)).toContain(message);
  });

  it("refuses two workloads on one server port, a name taken by a host, and an unknown type", () => {
    const text = `${BASE}workloads:
  - { name: w, type: rpc-udp, clients: [c0], server: s0 }
  - { name: s1, type: rpc-udp, clients: [c1], server: s0 }
  - { name: x, type: rpc-tcp, clients: [c1], server: s0 }
`;
    const msg = errorOf(text);
    expect(msg).toContain("workloads[1].port: UDP port 7200 of s0 is already used by workloads[0] (w)");
    expect(msg).toContain('workloads[1].name: duplicate name "s1"');
    expect(msg).toContain(
      'workloads[2].type: "rpc-tcp" is not a workload type (primary-backup, stream-breaks, rpc-udp, two-phase-commit) (did you mean "rpc-udp"?)',
    );
  });

  it("lets two workloads share a name service", () => {
    const s = parseScenario(`${BASE}workloads:
  - { name: a, type: rpc-udp, clients: [c0], server: s0, nameService: ns }
  - { name: b, type: rpc-udp, clients: [c1], server: s1, nameService: ns }
`);
    const built = buildScenario(s);
    expect(built.rpcUdp.map((r) => r.nameService)).toEqual([
      built.rpcUdp[0]!.nameService,
      built.rpcUdp[0]!.nameService,
    ]);
    built.network.dispose();
  });
});
