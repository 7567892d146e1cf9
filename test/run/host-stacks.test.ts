// Host stack configurations in scenarios (issue 8): hostStack hosts, ping-pong and
// message-stream traffic. Validation names every path; a run reports the message flows like IP
// flows (counts, latency, throughput) and each host's CPU time by operation; a partitioned run
// gives the same report; nothing is left in the frame store afterwards.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { Ajv2020 } from "ajv/dist/2020.js";
import {
  loadScenario,
  parseScenario,
  scenarioAtmSchema,
  scenarioSchema,
  ScenarioError,
} from "../../src/scenario/scenario.js";
import { buildScenario } from "../../src/run/build-scenario.js";
import { reportOf, type RunReport } from "../../src/run/run-report.js";
import { runScenario } from "../../src/run/run-scenario.js";
import { planPartitions } from "../../src/run/partition.js";
import { NetloomError } from "../../src/base/errors.js";
import { bundledProfilePath } from "../../src/stacks/cost.js";

const EXAMPLE = "examples/host-stacks.yaml";

/** Four hosts on one switch; `hosts` and `traffic` fill in the rest. */
function scenarioText(hosts: string, traffic: string, extra = ""): string {
  return `name: t
duration: 100ms
hosts:
${hosts}
switches:
  - { name: sw, ports: 4 }
links:
  - { a: a, b: "sw:0", rate: 100Mbps, delay: 5us }
  - { a: b, b: "sw:1", rate: 100Mbps, delay: 5us }
  - { a: c, b: "sw:2", rate: 100Mbps, delay: 5us }
  - { a: d, b: "sw:3", rate: 100Mbps, delay: 5us }
traffic:
${traffic}
${extra}`;
}

const FOUR = `  - { name: a, hostStack: { configuration: socket } }
  - { name: b, hostStack: { configuration: socket } }
  - { name: c, hostStack: { configuration: unet, profile: server-2025 } }
  - { name: d, ip: 10.0.0.4/24 }`;

/** The problems of a document that must not load, as "path: message" lines. */
function problems(text: string, source?: string): { path: string; message: string; line: number | undefined }[] {
  try {
    parseScenario(text, source !== undefined ? { source } : {});
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as ScenarioError).errors.map((x) => ({ path: x.path, message: x.message, line: x.line }));
  }
  throw new Error("expected a ScenarioError");
}

function only(text: string): { path: string; message: string; line: number | undefined } {
  const p = problems(text);
  expect(p, JSON.stringify(p)).toHaveLength(1);
  return p[0]!;
}

describe("hostStack hosts and message traffic: validation", () => {
  it("loads a valid document: configuration, default layers, profiles, MACs in declaration order", () => {
    const s = parseScenario(scenarioText(FOUR, "  - { name: pp, type: ping-pong, from: a, to: b, size: 64 }"));
    expect(s.hosts.map((h) => h.name)).toEqual(["d"]);
    expect(s.stackHosts.map((h) => [h.name, h.mac])).toEqual([
      ["a", "02:00:00:00:00:01"],
      ["b", "02:00:00:00:00:02"],
      ["c", "02:00:00:00:00:03"],
    ]);
    expect(s.hosts[0]!.mac).toBe("02:00:00:00:00:04");
    expect(s.stackHosts[0]!.hostStack).toMatchObject({
      configuration: "socket",
      layers: ["TOTAL", "FC", "NAK", "FRAG", "COM"],
      profileName: "workstation-1995",
    });
    expect(s.stackHosts[0]!.rxBuffers).toBe(256);
    expect(s.stackHosts[2]!.hostStack).toMatchObject({ configuration: "unet", layers: [], profileName: "server-2025" });
    expect(s.stackHosts[2]!.hostStack.profile.name).toBe("server-2025");
    expect(s.traffic).toEqual([]);
    expect(s.messageTraffic).toEqual([
      { name: "pp", index: 0, type: "ping-pong", from: "a", to: "b", size: 64, startNs: 0, rounds: 20 },
    ]);
  });

  it("a hostStack host has no ip, gateway, multicast or IP stack options", () => {
    const p = problems(
      scenarioText(
        `  - { name: a, ip: 10.0.0.1/24, gateway: 10.0.0.9, hostStack: { configuration: unet } }
  - { name: b, multicast: [239.1.1.1], stack: { ttl: 3 }, hostStack: { configuration: unet } }
  - { name: c, ip: 10.0.0.3/24 }
  - { name: d, ip: 10.0.0.4/24 }`,
        "  []",
      ).replace("traffic:\n  []", "traffic: []"),
    );
    expect(p.map((x) => x.path)).toEqual(["hosts[0].ip", "hosts[0].gateway", "hosts[1].multicast", "hosts[1].stack"]);
    expect(p[0]!.message).toBe(
      'hosts[0].ip: a host with a hostStack runs no IP stack, so it has no IP address (remove "ip", or remove hostStack)',
    );
    expect(p[0]!.line).toBe(4);
  });

  it("configurations, layers and profiles are checked as the comparison checks them", () => {
    const hosts = (stack: string): string =>
      `  - { name: a, hostStack: ${stack} }\n  - { name: b, ip: 10.0.0.2/24 }\n  - { name: c, ip: 10.0.0.3/24 }\n  - { name: d, ip: 10.0.0.4/24 }`;
    const doc = (stack: string): string => scenarioText(hosts(stack), "  []").replace("traffic:\n  []", "traffic: []");
    expect(only(doc("{ configuration: unett }")).message).toBe(
      'hosts[0].hostStack.configuration: "unett" is not a stack configuration (socket, layered, fbufs, unet, active-messages, accelerated) (did you mean "unet"?)',
    );
    expect(only(doc("{ configuration: unet, layers: [COM] }")).message).toBe(
      "hosts[0].hostStack.layers: unet has no layers to compose (it is not a layered stack)",
    );
    const layer = only(doc("{ configuration: layered, layers: [NAK, FOO, COM] }"));
    expect(layer.path).toBe("hosts[0].hostStack.layers[1]");
    expect(layer.message).toMatch(/^hosts\[0\]\.hostStack\.layers\[1\]: "FOO" is not a layer/);
    expect(only(doc("{ configuration: socket, layers: [COM, NAK] }")).path).toBe("hosts[0].hostStack.layers[0]");
    expect(only(doc("{ configuration: fbufs, profile: workstation-1959 }")).message).toBe(
      'hosts[0].hostStack.profile: "workstation-1959" is not a bundled profile (workstation-1995, server-2025) (did you mean "workstation-1995"?), nor a file path',
    );
    expect(only(doc("{ layers: [COM] }")).message).toBe('hosts[0].hostStack: missing required key "configuration"');
    expect(only(doc("{ configuration: unet, cpu: fast }")).message).toBe('hosts[0].hostStack: unknown key "cpu"');
  });

  it("a profile file is read relative to the scenario file", () => {
    const dir = mkdtempSync(join(tmpdir(), "nl-hs-"));
    try {
      writeFileSync(
        join(dir, "cpu.yaml"),
        readFileSync(bundledProfilePath("server-2025"), "utf8").replace(/^name: .*$/m, "name: my-cpu"),
      );
      const text = scenarioText(FOUR.replace("profile: server-2025", "profile: ./cpu.yaml"), "  []").replace(
        "traffic:\n  []",
        "traffic: []",
      );
      writeFileSync(join(dir, "s.yaml"), text);
      const s = loadScenario(join(dir, "s.yaml"));
      expect(s.stackHosts[2]!.hostStack.profile.name).toBe("my-cpu");
      expect(s.stackHosts[2]!.hostStack.profileName).toBe("./cpu.yaml");
      writeFileSync(join(dir, "bad.yaml"), text.replace("./cpu.yaml", "./nope.yaml"));
      expect(() => loadScenario(join(dir, "bad.yaml"))).toThrow(
        /hosts\[2\]\.hostStack\.profile: .*nope\.yaml.*cannot read the profile file/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("IP traffic may not name a hostStack host", () => {
    const p = problems(
      scenarioText(
        FOUR,
        `  - { type: cbr, from: d, to: a, size: 100, rate: 1Mbps }
  - { type: tcp-bulk, from: c, to: d }`,
      ),
    );
    expect(p.map((x) => x.message)).toEqual([
      "traffic[0].to: host a runs a host stack (hostStack), not IP, so cbr traffic cannot reach it (use ping-pong or message-stream)",
      "traffic[1].from: host c runs a host stack (hostStack), not IP, so tcp-bulk traffic cannot reach it (use ping-pong or message-stream)",
    ]);
  });

  it("both ends are hostStack hosts with one configuration and layers; one message flow per host", () => {
    expect(only(scenarioText(FOUR, "  - { type: ping-pong, from: a, to: d, size: 64 }")).message).toBe(
      "traffic[0].to: host d has no hostStack; ping-pong runs between two hosts with a hostStack",
    );
    expect(only(scenarioText(FOUR, "  - { type: message-stream, from: a, to: c, size: 64 }")).message).toBe(
      "traffic[0].to: c runs unet but a runs socket [TOTAL, FC, NAK, FRAG, COM]; both ends of a message-stream need the same configuration and layers",
    );
    const layers = FOUR.replace(
      "{ name: b, hostStack: { configuration: socket } }",
      "{ name: b, hostStack: { configuration: socket, layers: [NAK, COM] } }",
    );
    expect(only(scenarioText(layers, "  - { type: ping-pong, from: a, to: b, size: 64 }")).path).toBe("traffic[0].to");
    expect(only(scenarioText(FOUR, "  - { type: ping-pong, from: a, to: sw, size: 64 }")).message).toBe(
      'traffic[0].to: "sw" is a switch; ping-pong runs between two hosts with a hostStack',
    );
    expect(only(scenarioText(FOUR, "  - { type: ping-pong, from: a, to: zz, size: 64 }")).message).toBe(
      'traffic[0].to: there is no host named "zz"',
    );
    expect(only(scenarioText(FOUR, "  - { type: ping-pong, from: a, to: a, size: 64 }")).message).toBe(
      "traffic[0].to: traffic from a to itself",
    );
    const twice = problems(
      scenarioText(
        FOUR,
        `  - { name: one, type: ping-pong, from: a, to: b, size: 64 }
  - { name: two, type: message-stream, from: b, to: a, size: 64 }`,
      ),
    );
    expect(twice.map((x) => x.path)).toEqual(["traffic[1].from", "traffic[1].to"]);
    expect(twice[0]!.message).toBe(
      "traffic[1].from: b already takes part in traffic[0] (one); a host stack is point to point (ranks 0 and 1), so a host takes part in one message flow",
    );
  });

  it("keys, sizes and counts of message traffic", () => {
    expect(only(scenarioText(FOUR, "  - { type: message-stream, from: a, to: b, size: 64, rounds: 3 }")).message).toBe(
      'traffic[0]: key "rounds" does not apply to traffic of type "message-stream"',
    );
    expect(only(scenarioText(FOUR, "  - { type: ping-pong, from: a, to: b, size: 64, rate: 1Mbps }")).message).toBe(
      'traffic[0]: key "rate" does not apply to traffic of type "ping-pong"',
    );
    expect(only(scenarioText(FOUR, "  - { type: ping-pong, from: a, to: b }")).message).toBe(
      'traffic[0]: missing required key "size"',
    );
    expect(only(scenarioText(FOUR, "  - { type: ping-pong, from: a, to: b, size: 100000 }")).message).toBe(
      "traffic[0].size: 100000 is out of range (1 to 65536 bytes)",
    );
    expect(only(scenarioText(FOUR, "  - { type: ping-pong, from: a, to: b, size: 64, rounds: 0 }")).message).toBe(
      "traffic[0].rounds: 0 is out of range (1 to 1000000)",
    );
    expect(only(scenarioText(FOUR, "  - { type: ping-pnog, from: a, to: b, size: 64 }")).message).toMatch(
      /^traffic\[0\]\.type: "ping-pnog" is not one of .*\(did you mean "ping-pong"\?\)$/,
    );
  });

  it("manual partitions keep a message pair together", () => {
    const text = scenarioText(
      FOUR,
      "  - { type: ping-pong, from: a, to: b, size: 64 }",
      "partitions: [[a, sw], [b, c, d]]\n",
    );
    expect(only(text).message).toBe(
      "partitions: flow0 runs between a (partitions[0]) and b (partitions[1]); the two stacks of a message flow run as one, keep them in one partition",
    );
    // A scenario built in code is refused by the planner.
    const s = parseScenario(
      scenarioText(FOUR, "  - { type: ping-pong, from: a, to: b, size: 64 }", "partitions: [[a, b, sw], [c, d]]\n"),
    );
    s.partitions = [
      ["a", "sw"],
      ["b", "c", "d"],
    ];
    expect(() => planPartitions(s, 2)).toThrow(/flow0 runs between a \(partition 0\) and b \(partition 1\)/);
    // Automatic plans never split one.
    const auto = parseScenario(scenarioText(FOUR, "  - { type: ping-pong, from: a, to: b, size: 64 }"));
    for (const n of [2, 3, 4]) {
      const plan = planPartitions(auto, n);
      expect(plan.owner["a"]).toBe(plan.owner["b"]);
    }
  });

  it("a message larger than the built stack takes is refused at build time, naming the entry", () => {
    // U-Net on Ethernet carries one frame per message (MTU 1500).
    const s = parseScenario(
      scenarioText(
        FOUR.replace(
          "{ name: a, hostStack: { configuration: socket } }",
          "{ name: a, hostStack: { configuration: unet } }",
        ).replace(
          "{ name: b, hostStack: { configuration: socket } }",
          "{ name: b, hostStack: { configuration: unet } }",
        ),
        "  - { name: big, type: message-stream, from: a, to: b, size: 4000, count: 3 }",
      ),
    );
    let err: unknown;
    try {
      buildScenario(s);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NetloomError);
    expect((err as NetloomError).message).toMatch(
      /^traffic\[0\]\.size: 4000 bytes is more than the largest message unet takes on these hosts \(\d+ bytes\)$/,
    );
  });

  it("the example fits the JSON Schema, and the schema refuses an ip beside a hostStack", () => {
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true });
    ajv.addSchema(scenarioAtmSchema());
    const valid = ajv.compile(scenarioSchema());
    const doc = parseYaml(readFileSync(EXAMPLE, "utf8")) as {
      hosts: Record<string, unknown>[];
      traffic: Record<string, unknown>[];
    };
    expect(valid(doc), JSON.stringify(valid.errors)).toBe(true);
    doc.hosts[0]!["ip"] = "10.0.0.1/24";
    expect(valid(doc)).toBe(false);
    delete doc.hosts[0]!["ip"];
    doc.traffic[1]!["rounds"] = 3;
    expect(valid(doc)).toBe(false);
  });
});

function comparable(r: RunReport): unknown {
  const { wallTimeMs: _w, parallel: _p, partitioning: _q, ...rest } = r;
  return rest;
}

describe("hostStack hosts and message traffic: runs", () => {
  it("the example's flows report the workloads' counts, latencies and throughput", () => {
    const scenario = loadScenario(EXAMPLE);
    const built = buildScenario(scenario);
    try {
      built.network.run(scenario.durationNs);
      const report = reportOf(built, 0);
      const [rtt, stream] = report.flows;
      // ping-pong: 100 pings and 100 answers, every one delivered; latency = round trips.
      expect(rtt).toMatchObject({
        label: "rtt",
        src: "h0",
        dst: "h1",
        sentPackets: 200,
        receivedPackets: 200,
        sentBytes: 204_800,
        receivedBytes: 204_800,
        loss: 0,
      });
      expect(rtt!.messages).toMatchObject({
        type: "ping-pong",
        configuration: "socket",
        requested: 100,
        completed: 100,
        refused: 0,
        mismatches: 0,
        startedAtNs: 10e6,
      });
      // The histogram holds the workload's own round trips (relative error 1/128).
      const mean = rtt!.messages!.rttMeanNs!;
      expect(rtt!.latencyNs.p50!).toBeGreaterThan(mean * 0.9);
      expect(rtt!.latencyNs.p50!).toBeLessThan(mean * 1.1);
      expect(rtt!.latencyNs.max!).toBeGreaterThanOrEqual(rtt!.latencyNs.p50!);
      // message-stream: 200 messages back to back; the last waits behind all the others, so the
      // largest one-way latency is about the stream's time on the 100 Mbit/s line.
      expect(stream).toMatchObject({
        label: "stream",
        sentPackets: 200,
        receivedPackets: 200,
        receivedBytes: 204_800,
        loss: 0,
      });
      expect(stream!.messages).toMatchObject({
        type: "message-stream",
        configuration: "unet",
        layers: [],
        requested: 200,
        completed: 200,
        refused: 0,
      });
      expect(stream!.throughputBps).toBeGreaterThan(90e6);
      expect(stream!.throughputBps).toBeLessThan(100e6);
      const lineTime = ((200 * (1024 + 14 + 4 + 20 + 4) * 8) / 100e6) * 1e9; // frames, unet header, FCS, overhead
      expect(stream!.latencyNs.max!).toBeGreaterThan(lineTime * 0.9);
      expect(stream!.latencyNs.p50!).toBeLessThan(stream!.latencyNs.max! * 0.7);
    } finally {
      built.network.dispose();
    }
  });

  it("every hostStack host reports its CPU time by operation", () => {
    const scenario = loadScenario(EXAMPLE);
    const built = buildScenario(scenario);
    try {
      built.network.run(scenario.durationNs);
      const hosts = reportOf(built, 0).hosts;
      expect(hosts.map((h) => h.name)).toEqual(["h0", "h1", "h2", "h3"]);
      for (const h of hosts) {
        const hs = h.hostStack!;
        expect(hs.cpu.jobs).toBeGreaterThan(0);
        expect(hs.stack).not.toBeNull();
        if (h.name === "h0" || h.name === "h1") {
          // The socket kernel copies at the user boundary and between layers, in system calls.
          expect(hs).toMatchObject({
            configuration: "socket",
            profile: "workstation-1995",
            layers: ["TOTAL", "FC", "NAK", "FRAG", "COM"],
          });
          expect(hs.cpu.ops.copy.ns).toBeGreaterThan(0);
          expect(hs.cpu.ops.systemCall.count).toBeGreaterThanOrEqual(200);
          expect(hs.cpu.ops.layerCrossing.ns).toBeGreaterThan(hs.cpu.ops.copy.ns);
          expect(hs.stack!.bytesCopied).toBeGreaterThan(0);
        } else {
          // U-Net: no copy, registration remaps pages, descriptors are driver work.
          expect(hs).toMatchObject({ configuration: "unet", profile: "server-2025", layers: [] });
          expect(hs.cpu.ops.copy.ns).toBe(0);
          expect(hs.cpu.ops.pageRemap.ns).toBeGreaterThan(0);
          expect(hs.cpu.ops.driver.count).toBeGreaterThanOrEqual(200);
          expect(hs.stack!.bytesCopied).toBe(0);
        }
      }
    } finally {
      built.network.dispose();
    }
  });

  it("gives the same report with 2 workers, the pairs in their own partitions", async () => {
    const one = await runScenario(loadScenario(EXAMPLE), { workers: 1 });
    const two = await runScenario(loadScenario(EXAMPLE), { workers: 2, forceWorkers: true });
    expect(two.parallel?.partitions).toBe(2);
    for (const pair of [
      ["h0", "h1"],
      ["h2", "h3"],
    ]) {
      expect(two.parallel!.members.some((m) => pair.every((h) => m.includes(h)))).toBe(true);
    }
    expect(two.parallel!.crossPartitionFrames).toBe(402);
    expect(comparable(two)).toEqual(comparable(one));
  }, 60_000);

  it("leaves no frame behind after runToIdle and destroy (stacks, CPUs, drivers released)", () => {
    const scenario = loadScenario(EXAMPLE);
    const built = buildScenario(scenario);
    built.network.run(scenario.durationNs);
    built.network.runToIdle();
    // destroy() throws when a frame slot did not come back.
    expect(() => built.network.destroy()).not.toThrow();
  });

  it("disposes mid-run, with messages in flight and the start still pending", () => {
    const scenario = loadScenario(EXAMPLE);
    const built = buildScenario(scenario);
    built.network.run(30e6); // ping-pong running, the stream not started yet
    expect(built.messages[0]!.state().completed).toBe(11);
    expect(built.messages[1]!.state().startedAtNs).toBeNull();
    expect(() => built.network.dispose()).not.toThrow();
  });

  it("waits for U-Net and Active Messages to register before starting at time 0", () => {
    for (const configuration of ["unet", "active-messages"]) {
      const hosts = `  - { name: a, hostStack: { configuration: ${configuration} } }
  - { name: b, hostStack: { configuration: ${configuration} } }
  - { name: c, hostStack: { configuration: accelerated, layers: [NAK, FRAG, COM] } }
  - { name: d, hostStack: { configuration: accelerated, layers: [NAK, FRAG, COM] } }`;
      const s = parseScenario(
        scenarioText(
          hosts,
          `  - { name: pp, type: ping-pong, from: a, to: b, size: 200, rounds: 10 }
  - { name: acc, type: message-stream, from: c, to: d, size: 1000, count: 20 }`,
        ),
      );
      const built = buildScenario(s);
      built.network.run(s.durationNs);
      const [pp, acc] = reportOf(built, 0).flows;
      expect(pp!.messages!.completed, configuration).toBe(10);
      expect(pp!.messages!.startedAtNs!).toBeGreaterThan(0);
      expect(pp!.receivedPackets).toBe(20);
      expect(acc!.messages!.completed).toBe(20);
      expect(acc!.receivedBytes).toBe(20_000);
      built.network.runToIdle();
      built.network.destroy();
    }
  });

  it("a hostStack host in no message flow has its CPU and no stack", () => {
    const s = parseScenario(scenarioText(FOUR, "  - { type: ping-pong, from: a, to: b, size: 64, rounds: 2 }"));
    const built = buildScenario(s);
    built.network.run(s.durationNs);
    const c = reportOf(built, 0).hosts.find((h) => h.name === "c")!;
    expect(c.hostStack).toMatchObject({ configuration: "unet", profile: "server-2025", stack: null });
    expect(c.hostStack!.cpu.jobs).toBe(0);
    expect(reportOf(built, 0).hosts.find((h) => h.name === "d")!.hostStack).toBeUndefined();
    built.network.runToIdle();
    built.network.destroy();
  });
});
