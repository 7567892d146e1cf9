// The topology drawing's graph and layout: every device a node, every link an edge with its
// rate and delay, segments and ATM devices included, and the same drawing every time.
import { describe, expect, it } from "vitest";
import { topologyOf, topologySvg } from "../../src/run/html/topology.js";
import { loadScenario, parseScenario } from "../../src/scenario/scenario.js";

const SEGMENT = `
name: bus
duration: 1ms
hosts:
  - { name: a, ip: 10.0.0.1/24 }
  - { name: b, ip: 10.0.0.2/24 }
  - { name: c, ip: 10.0.0.3/24 }
segments:
  - { name: ether, rate: 10Mbps, stations: [a, b, c] }
`;

describe("topology", () => {
  it("draws a segment as a node joined to each station", () => {
    const s = parseScenario(SEGMENT);
    const t = topologyOf(s);
    expect(t.nodes).toEqual([
      { name: "a", kind: "host" },
      { name: "b", kind: "host" },
      { name: "c", kind: "host" },
      { name: "ether", kind: "segment" },
    ]);
    expect(t.edges.map((e) => [e.a, e.b, e.label])).toEqual([
      ["ether", "a", "10 Mbps"],
      ["ether", "b", "10 Mbps"],
      ["ether", "c", "10 Mbps"],
    ]);
    const svg = topologySvg(s);
    expect(svg.match(/<g class="node"/g)).toHaveLength(4);
    expect(svg.match(/<g class="edge"/g)).toHaveLength(3);
  });

  it("labels links with rate and delay and ATM links with their rate as written", () => {
    const s = loadScenario("examples/atm-mixed.yaml");
    const t = topologyOf(s);
    expect(t.nodes.filter((n) => n.kind === "atm-switch").map((n) => n.name)).toEqual(
      s.atm!.switches.map((x) => x.name),
    );
    const atm = t.edges.filter((e) => s.atm!.links.some((l) => l.name === e.name));
    expect(atm).toHaveLength(s.atm!.links.length);
    for (const e of atm) expect(t.nodes.some((n) => n.name === e.a) && t.nodes.some((n) => n.name === e.b)).toBe(true);
    expect(topologyOf(loadScenario("examples/tcp-chain.yaml")).edges[0]).toEqual({
      name: "l0",
      a: "h0",
      b: "r1",
      label: "100 Mbps, 1 ms",
    });
  });

  it("is the same drawing every time, and colours partitions when given", () => {
    const s = loadScenario("examples/star16.yaml");
    expect(topologySvg(s)).toBe(topologySvg(loadScenario("examples/star16.yaml")));
    const members = [
      ["h0", "sw"],
      ["h1", "h2"],
    ];
    const svg = topologySvg(s, members);
    expect(svg).toContain("partition 1");
    expect(svg).toMatch(/data-device="h1" data-kind="host"><rect [^>]*fill="#ffbb78"/);
    expect(topologySvg(s)).not.toContain("partition 1");
  });
});
