// Scenario files: every example loads; YAML and JSON agree; each error class has its exact
// message; errors are collected; the JSON Schema compiles and rejects what the loader rejects.

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { Ajv2020 } from "ajv/dist/2020.js";
import { NetloomError } from "../../src/base/errors.js";
import {
  loadScenario,
  parseScenario,
  scenarioAtmSchema,
  scenarioSchema,
  ScenarioError,
  validateScenario,
} from "../../src/scenario/scenario.js";
import { MAX_PROBLEM_CHARS } from "../../src/scenario/reporter.js";

const examples = ["star16", "campus", "multicast", "lossy-wan"];
const examplePath = (name: string): string => fileURLToPath(new URL(`../../examples/${name}.yaml`, import.meta.url));

const BASE = `duration: 1s
hosts:
  - { name: h0, ip: 10.0.0.1/24 }
  - { name: h1, ip: 10.0.0.2/24 }
switches:
  - { name: sw, ports: 4 }
links:
  - { a: h0, b: "sw:0", rate: 1Gbps }
  - { a: h1, b: "sw:1", rate: 1Gbps }
`;

/** The ScenarioError thrown for `text`. */
function errorOf(text: string, options: { format?: "yaml" | "json"; source?: string } = {}): ScenarioError {
  try {
    parseScenario(text, options);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    expect(e).toBeInstanceOf(NetloomError);
    expect((e as NetloomError).code).toBe("INVALID_ARGUMENT");
    return e as ScenarioError;
  }
  throw new Error("expected a ScenarioError");
}

function messageOf(text: string): string {
  const e = errorOf(text);
  expect(e.errors).toHaveLength(1);
  return e.errors[0]!.message;
}

const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true });
ajv.addSchema(scenarioAtmSchema());
const schemaValid = ajv.compile(scenarioSchema());

describe("examples", () => {
  it.each(examples)("%s.yaml loads, validates and fits the schema", (name) => {
    const s = loadScenario(examplePath(name));
    expect(s.name).toBe(name);
    expect(s.hosts.length).toBe({ star16: 16, campus: 5, multicast: 5, "lossy-wan": 2 }[name]);
    expect(schemaValid(parseYaml(readFileSync(examplePath(name), "utf8")))).toBe(true);
  });

  it("star16 is issue 4's benchmark, normalised", () => {
    const s = loadScenario(examplePath("star16"));
    expect(s.durationNs).toBe(1_000_000_000);
    expect(s.hosts).toHaveLength(16);
    expect(s.switches).toEqual([
      { name: "sw", ports: 16, agingTimeNs: 300e9, forwardingDelayNs: 0, fdbCapacity: 8192 },
    ]);
    expect(s.links[3]).toMatchObject({ name: "h3:0-sw:3", rateBps: 1e9, delayNs: 5000, mtu: 1500, queueLimit: 1000 });
    expect(s.links[3]!.b).toEqual({ device: "sw", kind: "switch", port: 3, interface: undefined });
    expect(s.traffic[15]).toMatchObject({
      type: "cbr",
      from: "h15",
      to: { address: "10.0.0.1", host: "h0", multicast: false },
    });
    expect(s.traffic[15]).toMatchObject({ size: 1000, rateBps: 100e6, startNs: 0, stopNs: undefined, protocol: "udp" });
    expect(s.hosts[0]!.mac).toBe("02:00:00:00:00:01");
    expect(s.hosts[15]!.mac).toBe("02:00:00:00:00:10");
    expect(s.hosts[0]!.ip).toEqual({ address: "10.0.0.1", prefixLength: 24, network: "10.0.0.0" });
  });

  it("campus has routers, a failure and distance-vector routing", () => {
    const s = loadScenario(examplePath("campus"));
    expect(s.routers[0]!.routing).toEqual({ protocol: "distance-vector", periodNs: 500e6, timeoutNs: 1500e6 });
    expect(s.links.find((l) => l.name === "r1-r2")!.schedule).toEqual([{ atNs: 2e9, state: "down" }]);
    expect(s.routers[2]!.routes).toEqual([
      { prefix: "0.0.0.0", prefixLength: 0, via: "192.168.13.1", interface: undefined },
    ]);
    expect(s.outputs.pcap!.ports).toEqual([
      { device: "r1", kind: "router", port: 1, interface: "to-r2" },
      { device: "r1", kind: "router", port: 2, interface: "to-r3" },
    ]);
  });

  it("interface MTUs default to the link's", () => {
    const s = loadScenario(examplePath("lossy-wan"));
    expect(s.routers[1]!.interfaces[1]!.mtu).toBe(576);
    expect(s.hosts[1]!.stack.reassemblyLimit).toBe(128 * 1024);
  });
});

describe("formats", () => {
  it("JSON and YAML of the same scenario give the same Scenario", () => {
    for (const name of examples) {
      const text = readFileSync(examplePath(name), "utf8");
      const json = JSON.stringify(parseYaml(text), null, 2);
      const fromJson = parseScenario(json, { format: "json", source: `${name}.json` });
      const fromYaml = parseScenario(text, { format: "yaml", source: `${name}.yaml` });
      expect({ ...fromJson, source: "", baseDir: "" }).toEqual({ ...fromYaml, source: "", baseDir: "" });
      expect({ ...validateScenario(parseYaml(text), { source: `${name}.yaml` }) }).toEqual(fromYaml);
    }
  });

  it("keeps declaration order", () => {
    const s = parseScenario(BASE.replace("- { name: h0", "- { name: zz").replace("a: h0", "a: zz"));
    expect(s.hosts.map((h) => h.name)).toEqual(["zz", "h1"]);
  });
});

describe("errors", () => {
  it("bad units, with the units module's reason", () => {
    expect(messageOf(BASE.replace('"sw:0", rate: 1Gbps', '"sw:0", rate: 10 Gbs'))).toBe(
      'links[0].rate: "10 Gbs" is not a bit rate (unknown unit "Gbs"; use bps, kbps, Mbps, Gbps or Tbps)',
    );
    expect(messageOf(BASE.replace("duration: 1s", "duration: 1 sec"))).toBe(
      'duration: "1 sec" is not a duration (unknown unit "sec"; use ns, us, ms, s, min or h)',
    );
    expect(messageOf(BASE.replace("duration: 1s", "duration: 0"))).toBe("duration: must be longer than 0");
    expect(messageOf(BASE.replace("duration: 1s", '"duration": "1.5ns"'))).toBe(
      'duration: "1.5ns" is not a duration (not a whole number of nanoseconds)',
    );
  });

  it("negative rate", () => {
    expect(messageOf(BASE.replace('"sw:0", rate: 1Gbps', '"sw:0", rate: -5'))).toBe(
      "links[0].rate: -5 is not a bit rate (negative)",
    );
  });

  it("unknown keys, with a suggestion when close", () => {
    expect(messageOf(BASE.replace("{ name: h1, ip", "{ name: h1, gatway: 10.0.0.9, ip"))).toBe(
      'hosts[1]: unknown key "gatway" (did you mean "gateway"?)',
    );
    expect(messageOf(BASE.replace("{ name: h1, ip", "{ name: h1, adress: 10.0.0.9, ip"))).toBe(
      'hosts[1]: unknown key "adress" (did you mean "ip"?)',
    );
    expect(messageOf(BASE + "sed: 3\n")).toBe('unknown top-level key "sed" (did you mean "seed"?)');
    expect(messageOf(BASE + "atmSwitches: []\n")).toBe('unknown top-level key "atmSwitches"');
  });

  it("a key with two letters swapped gets its did-you-mean", () => {
    expect(messageOf(BASE.replace('"sw:0", rate: 1Gbps', '"sw:0", rate: 1Gbps, dealy: 5us'))).toBe(
      'links[0]: unknown key "dealy" (did you mean "delay"?)',
    );
    const rtae = errorOf(BASE.replace('"sw:0", rate: 1Gbps', '"sw:0", rtae: 1Gbps'));
    expect(rtae.errors.map((e) => e.message)).toContain('links[0]: unknown key "rtae" (did you mean "rate"?)');
  });

  it("unknown device in a link", () => {
    expect(messageOf(BASE.replace("a: h1", "a: h99"))).toBe('links[1].a: there is no device named "h99"');
  });

  it("duplicate names", () => {
    expect(messageOf(BASE.replace("switches:\n", "  - { name: h1, ip: 10.0.0.3/24 }\nswitches:\n"))).toBe(
      'hosts[2].name: duplicate name "h1" (already used by hosts[1])',
    );
    expect(messageOf(BASE + "segments: [{ name: sw, stations: [] }]\n")).toBe(
      'segments[0].name: duplicate name "sw" (already used by switches[0])',
    );
  });

  it("port out of range and port used twice", () => {
    expect(messageOf(BASE.replace('"sw:1"', '"sw:4"'))).toBe("links[1].b: switch sw has no port 4 (ports 0 to 3)");
    expect(messageOf(BASE.replace('"sw:1"', '"sw:0"'))).toBe(
      "links[1].b: sw:0 is already connected by links[0] (h0:0-sw:0)",
    );
  });

  it("bad IP addresses and prefixes", () => {
    expect(messageOf(BASE.replace("10.0.0.2/24", "10.0.0.300/24"))).toBe(
      'hosts[1].ip: "10.0.0.300/24" is not an IPv4 prefix (like 10.0.0.1/24)',
    );
    expect(messageOf(BASE.replace("10.0.0.2/24", "10.0.0.2"))).toBe(
      'hosts[1].ip: "10.0.0.2" has no prefix length (like 10.0.0.1/24)',
    );
    expect(messageOf(BASE.replace("10.0.0.2/24", "10.0.0.1/24"))).toBe(
      "hosts[1].ip: address 10.0.0.1 is already used by hosts[0].ip",
    );
    const routed = `duration: 1s
routers:
  - name: r
    interfaces: [{ name: eth0, ip: 10.0.0.1/24 }]
    routes: [{ prefix: 10.0.3.1/24, via: 10.0.0.2 }, { prefix: 10.0.4.0/24, interface: eth9 }]
`;
    expect(errorOf(routed).errors.map((e) => e.message)).toEqual([
      'routers[0].routes[0].prefix: "10.0.3.1/24" has host bits set (did you mean "10.0.3.0/24"?)',
      'routers[0].routes[1].interface: router r has no interface "eth9" (did you mean "eth0"?)',
    ]);
  });

  it("missing required key and wrong type", () => {
    expect(messageOf("duration: 1s\nswitches:\n  - { name: sw }\n")).toBe('switches[0]: missing required key "ports"');
    expect(messageOf(BASE.replace("ports: 4", "ports: four"))).toBe(
      'switches[0].ports: expected an integer, got "four"',
    );
    expect(messageOf("hosts: []\n")).toBe('missing required key "duration"');
  });

  it("traffic references and type-specific keys", () => {
    const t = (line: string): string => messageOf(`${BASE}traffic:\n  - ${line}\n`);
    expect(t("{ type: cbr, from: h0, to: h7, size: 100, rate: 1Mbps }")).toBe(
      'traffic[0].to: there is no host named "h7"',
    );
    expect(t("{ type: cbr, from: sw, to: h1, size: 100, rate: 1Mbps }")).toBe(
      'traffic[0].from: "sw" is a switch; traffic runs between hosts',
    );
    expect(t("{ type: cbr, from: h0, to: h1, size: 100, rate: 1Mbps, on: 1ms }")).toBe(
      'traffic[0]: key "on" does not apply to traffic of type "cbr"',
    );
    expect(t("{ type: cbrr, from: h0, to: h1, size: 100 }")).toBe(
      'traffic[0].type: "cbrr" is not one of "cbr", "poisson", "onoff", "bulk", "request-response", "tcp-bulk", "nak-bulk", "rpc" (did you mean "cbr"?)',
    );
  });

  it("YAML and JSON syntax errors say where", () => {
    const y = errorOf(`${BASE}traffic:\n  - { type: cbr, from: h0\n`, { source: "s.yaml" });
    expect(y.errors[0]!.line).toBe(12);
    expect(y.message).toMatch(/^s\.yaml:12:\d+: YAML syntax error: /);
    const j = errorOf('{"duration": "1s",\n "hosts": [}', { format: "json" });
    expect(j.message).toMatch(/^line 2: JSON syntax error: /);
  });

  it("collects every error, with line numbers, in one NetloomError", () => {
    const text = BASE.replace("a: h1", "a: h99")
      .replace('"sw:0", rate: 1Gbps', '"sw:0", rate: 10 Gbs')
      .replace("ports: 4", "ports: 4, colour: red");
    const e = errorOf(text, { source: "bad.yaml" });
    expect(e.errors.map((x) => [x.line, x.message])).toEqual([
      [6, 'switches[0]: unknown key "colour"'],
      [8, 'links[0].rate: "10 Gbs" is not a bit rate (unknown unit "Gbs"; use bps, kbps, Mbps, Gbps or Tbps)'],
      [9, 'links[1].a: there is no device named "h99"'],
    ]);
    expect(e.message.split("\n")).toEqual([
      "3 problems in bad.yaml:",
      'bad.yaml:6:27: switches[0]: unknown key "colour"',
      'bad.yaml:8:31: links[0].rate: "10 Gbs" is not a bit rate (unknown unit "Gbs"; use bps, kbps, Mbps, Gbps or Tbps)',
      'bad.yaml:9:10: links[1].a: there is no device named "h99"',
    ]);
    expect(e.path).toBe("switches[0]");
  });

  it("partitions: unknown devices and zero-delay cuts", () => {
    expect(messageOf(`${BASE}partitions: [[h0, sw], [h1, h9]]\n`)).toBe(
      'partitions[1][1]: there is no device named "h9"',
    );
    expect(messageOf(`${BASE}partitions: [[h0, sw], [h1]]\n`)).toBe(
      "partitions: link h1:0-sw:1 has no delay, so it cannot join partitions 1 and 0 (give it a delay or keep its ends together)",
    );
  });

  it("parameters: validated, exposed, and every value tried", () => {
    const sweep = `${BASE}parameters: { size: [64, 512], loss: [0, 0.01] }\ntraffic:\n  - { type: cbr, from: h0, to: h1, size: "\${size}", rate: 1Mbps }\n`;
    const s = parseScenario(sweep);
    expect(s.parameters).toEqual({ size: [64, 512], loss: [0, 0.01] });
    expect(s.parameterRefs).toEqual([{ path: "traffic[0].size", names: ["size"] }]);
    expect((s.traffic[0] as { size: number }).size).toBe(64);
    expect(messageOf(sweep.replace("512", "100000"))).toBe(
      "traffic[0].size: 100000 is out of range (8 to 65507 bytes) (with size = 100000)",
    );
    expect(messageOf(sweep.replace('"${size}"', '"${sise}"'))).toBe(
      'traffic[0].size: unknown parameter "${sise}" (did you mean "${size}"?)',
    );
  });
});

describe("schema", () => {
  it("compiles and rejects what the loader rejects", () => {
    const bad = [
      BASE.replace('"sw:0", rate: 1Gbps', '"sw:0", rate: 10 Gbs'),
      BASE.replace('"sw:0", rate: 1Gbps', '"sw:0", rate: -5'),
      BASE.replace("{ name: h1, ip", "{ name: h1, adress: 10.0.0.9, ip"),
      BASE + "sed: 3\n",
      BASE.replace("{ name: sw, ports: 4 }", "{ name: sw }"),
      BASE.replace("ports: 4", "ports: four"),
      BASE.replace("10.0.0.2/24", "10.0.0.300/24"),
      BASE.replace("duration: 1s\n", ""),
      `${BASE}traffic:\n  - { type: cbr, from: h0, to: h1, size: 100, rate: 1Mbps, on: 1ms }\n`,
      `${BASE}traffic:\n  - { type: onoff, from: h0, to: h1, size: 100, rate: 1Mbps }\n`,
    ];
    for (const text of bad) {
      expect(() => parseScenario(text)).toThrow(ScenarioError);
      expect(schemaValid(parseYaml(text)), text).toBe(false);
    }
    expect(schemaValid(parseYaml(BASE))).toBe(true);
  });
});

describe("hostile input is bounded", () => {
  it("an alias bomb is a scenario error, not a crash or a runaway expansion", () => {
    const lines = ["name: bomb", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 12; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    const e = errorOf(lines.join("\n") + "\n", { source: "bomb.yaml" });
    expect(e.errors.map((x) => x.message)).toEqual([
      "YAML aliases expand to more than 10000 nodes (a guard against alias bombs): write the repeated parts out",
    ]);
    // A few aliases within the bound are ordinary YAML.
    const fine = parseScenario(
      `${BASE}traffic:\n  - &t { name: a, type: cbr, from: h0, to: h1, size: 100, rate: 1Mbps }\n`,
    );
    expect(fine.traffic).toHaveLength(1);
  });

  it("a text over 16 MiB is refused before it is parsed, naming the file", () => {
    const big = `# ${"x".repeat(16 * 1024 * 1024)}\n${BASE}`;
    expect(errorOf(big, { source: "big.yaml" }).errors.map((x) => x.message)).toEqual([
      "big.yaml is 16.0 MiB; input files are limited to 16 MiB",
    ]);
  });
});

describe("many problems", () => {
  it("the message lists the first 50 and says how many more; errors holds them all", () => {
    const hosts = Array.from({ length: 120 }, (_, i) => `  - { name: h${i}, ip: 10.0.${i}.1/24, bogus: 1 }`);
    const e = errorOf(`duration: 1s\nhosts:\n${hosts.join("\n")}\n`, { source: "many.yaml" });
    expect(e.errors).toHaveLength(120);
    const lines = e.message.split("\n");
    expect(lines[0]).toBe("120 problems in many.yaml:");
    expect(lines).toHaveLength(1 + 50 + 1);
    expect(lines[1]).toMatch(/^many\.yaml:3:\d+: hosts\[0\]: unknown key "bogus"/);
    expect(lines[50]).toMatch(/^many\.yaml:52:\d+: hosts\[49\]: unknown key "bogus"/);
    expect(lines[51]).toBe("... and 70 more");
  });

  it("a huge value is not echoed whole: each problem is cut to MAX_PROBLEM_CHARS characters", () => {
    // The fuzzer's case: a 100,000-character string where the document should be a mapping.
    let e: ScenarioError | undefined;
    try {
      validateScenario("x".repeat(100_000));
    } catch (x) {
      e = x as ScenarioError;
    }
    expect(e).toBeInstanceOf(ScenarioError);
    expect(e!.message.length).toBeLessThanOrEqual(MAX_PROBLEM_CHARS);
    expect(e!.message).toMatch(/^expected a mapping of scenario keys .*, got "x+\.\.\. \(100069 characters\)$/);
    // In a file too: 60 hosts whose addresses are 50,000-character strings.
    const hosts = Array.from({ length: 60 }, (_, i) => `  - { name: h${i}, ip: "${"1".repeat(50_000)}" }`);
    const f = errorOf(`duration: 1s\nhosts:\n${hosts.join("\n")}\n`, { source: "big.yaml" });
    expect(f.errors).toHaveLength(60);
    expect(Math.max(...f.errors.map((x) => x.message.length))).toBeLessThanOrEqual(MAX_PROBLEM_CHARS);
    expect(f.message.length).toBeLessThan(52 * (MAX_PROBLEM_CHARS + 30));
    // And a problem made outside a Reporter (the YAML parser's errors quote the token they
    // stopped at, which the fuzzer made 300 characters long).
    const g = new ScenarioError(
      [{ path: "", message: `YAML syntax error: ${"a".repeat(5000)}`, line: 3, column: 1 }],
      "f.yaml",
    );
    expect(g.errors[0]!.message).toMatch(/^YAML syntax error: a+\.\.\. \(5019 characters\)$/);
    expect(g.errors[0]!.message.length).toBe(MAX_PROBLEM_CHARS);
    expect(g.message).toBe(`f.yaml:3:1: ${g.errors[0]!.message}`);
  });
});

describe("checked at load, with the user's path", () => {
  const ROUTED = `duration: 10ms
hosts:
  - { name: a, ip: 10.0.1.10/24, gateway: 10.0.1.1 }
routers:
  - name: r
    interfaces:
      - { name: lan, ip: 10.0.1.1/24 }
      - { name: wan, ip: 10.0.2.1/24 }
    routes:
      - { prefix: 10.9.0.0/16, via: 10.0.2.2 }
links:
  - { a: a, b: "r:lan", rate: 1Gbps }
`;

  it("a second route to the same prefix, static or the subnet of an interface", () => {
    const twice = ROUTED.replace(
      "      - { prefix: 10.9.0.0/16, via: 10.0.2.2 }\n",
      "      - { prefix: 10.9.0.0/16, via: 10.0.2.2 }\n      - { prefix: 10.9.0.0/16, via: 10.0.2.3 }\n",
    );
    expect(messageOf(twice)).toBe(
      "routers[0].routes[1].prefix: r already has a route to 10.9.0.0/16: routers[0].routes[0]",
    );
    const connected = ROUTED.replace("prefix: 10.9.0.0/16", "prefix: 10.0.1.0/24");
    expect(messageOf(connected)).toBe(
      'routers[0].routes[0].prefix: r already has a route to 10.0.1.0/24: the subnet of interface "lan" (routers[0].interfaces[0])',
    );
    expect(parseScenario(ROUTED).routers[0]!.routes).toHaveLength(1);
  });

  it("reassemblyLimit 0 under its own name", () => {
    const zero = ROUTED.replace("gateway: 10.0.1.1 }", "gateway: 10.0.1.1, stack: { reassemblyLimit: 0 } }");
    expect(messageOf(zero)).toBe("hosts[0].stack.reassemblyLimit: 0 is out of range (1 to 1073741824 bytes)");
  });
});

describe("a missing key", () => {
  it("is reported once, not again as a missing value", () => {
    expect(messageOf("duration: 1s\nhosts:\n  - { ip: 10.0.0.1/24 }\n")).toBe('hosts[0]: missing required key "name"');
  });
});
