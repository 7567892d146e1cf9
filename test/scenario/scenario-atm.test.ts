// The `atm` scenario section: validation with path-naming errors, building onto a Simulation,
// PVCs by path, AAL5 traffic, IP over ATM through a router with Ethernet and ATM interfaces.
import { afterEach, describe, expect, it } from "vitest";
import { NetloomError } from "../../src/base/errors.js";
import { atmRouterInterfaces, buildAtm, type BuiltAtm } from "../../src/run/atm-build.js";
import { atmReport } from "../../src/run/atm-report.js";
import { parseAtmSection, validateAtmSection } from "../../src/scenario/scenario-atm.js";
import { PointToPointLink } from "../../src/devices/link.js";
import { EthernetNic } from "../../src/devices/nic.js";
import { Simulation } from "../../src/engine/simulation.js";
import { IpHost } from "../../src/stacks/ip/ip-host.js";
import { Router } from "../../src/stacks/ip/router.js";

const live: { sim: Simulation; built: BuiltAtm; extra: { destroy(): void }[] }[] = [];
afterEach(() => {
  for (const { sim, built, extra } of live.splice(0)) {
    built.destroy();
    for (const d of extra) d.destroy();
    sim.scheduler.runToIdle();
    expect(sim.frames.leaks()).toEqual([]);
    sim.destroy();
  }
});

/** n hosts on one switch; host i has 10.9.0.(i+1); a PVC h0 <-> hi for every i > 0; video on h1->h0. */
function star(n: number) {
  return {
    switches: [
      {
        name: "sw",
        ports: n,
        policy: { queueLimit: 2048, epdThreshold: 1500, ppd: true },
        portPolicies: { "0": { queueLimit: 4096 } },
        circuitLimit: 8,
      },
    ],
    hosts: Array.from({ length: n }, (_, i) => ({ name: `h${i}`, address: `10.9.0.${i + 1}/24` })),
    links: Array.from({ length: n }, (_, i) => ({
      a: `h${i}`,
      b: `sw:${i}`,
      rate: i === 0 ? "OC-12" : "OC-3",
      delay: "5us",
    })),
    pvcs: Array.from({ length: n - 1 }, (_, i) => ({ name: `v${i + 1}`, path: [`h${i + 1}`, "sw", "h0"] })),
    traffic: [{ name: "video", type: "aal5", pvc: "v1", pduSize: "1500B", rate: 2000, count: 20 }],
  };
}

function run(raw: unknown, seed = 1, until = 20_000_000) {
  const sim = new Simulation({ seed, frameSlots: 2048, slotBytes: 10240 });
  const built = buildAtm(sim, parseAtmSection(raw));
  live.push({ sim, built, extra: [] });
  return { sim, built, until };
}

describe("atm scenario section", () => {
  it("builds an 8-host star: PVCs by path get VCIs per link, AAL5 and IP traffic flow", () => {
    const atm = parseAtmSection(star(8));
    expect(atm.pvcs[0]!.hops).toEqual([
      { link: "h1:0-sw:1", vci: 32 },
      { link: "h0:0-sw:0", vci: 32 },
    ]);
    expect(atm.pvcs[1]!.hops[1]).toEqual({ link: "h0:0-sw:0", vci: 33 });
    const { sim, built } = run(star(8));
    let got = 0;
    const h0 = built.ipHosts.get("h0")!;
    h0.bind(9).onMessage(() => got++);
    for (let i = 2; i < 8; i++) built.ipHosts.get(`h${i}`)!.bind(1).send("10.9.0.1", 9, 3000);
    sim.scheduler.run(20_000_000);
    expect(got).toBe(6);
    const rep = atmReport(built);
    expect(rep.sources["video"]).toEqual({ sent: 20, refused: 0 });
    // h0 received 20 raw video PDUs (not LLC/SNAP: counted by its IP link) + 6 IP PDUs.
    expect(rep.nics["h0"]!.rxPdus).toBe(26);
    expect(h0.stats().atm!.drops).toEqual({ LLC_SNAP_BAD: 20 });
    expect(rep.switches["sw"]!.ports[1]!.circuits).toBe(1);
    expect(rep.switches["sw"]!.ports[0]!.circuits).toBe(7);
    expect(rep.switches["sw"]!.ports[0]!.circuitLimit).toBe(8);
    expect(JSON.parse(JSON.stringify(rep))).toEqual(rep);
  });

  it("is deterministic: same seed, same fingerprint", () => {
    const fp = (seed: number) => {
      const { sim } = run(star(4), seed);
      sim.scheduler.run(10_000_000);
      return sim.scheduler.fingerprint;
    };
    expect(fp(5)).toEqual(fp(5));
  });

  it("carries IP through a router with an Ethernet and an ATM interface (3 switches)", () => {
    const raw = {
      switches: [
        { name: "s1", ports: 2 },
        { name: "s2", ports: 3 },
        { name: "s3", ports: 2 },
      ],
      hosts: [{ name: "a1", address: "10.8.0.2/24", gateway: "10.8.0.1" }, { name: "cam" }, { name: "tv" }],
      routerInterfaces: [{ router: "r", name: "atm0", address: "10.8.0.1/24" }],
      links: [
        { a: "r.atm0", b: "s1:0", rate: "OC-12" },
        { a: "s1:1", b: "s2:0", rate: "OC-12", delay: "100us" },
        { a: "s2:1", b: "s3:0", rate: "OC-3", delay: "100us" },
        { a: "s3:1", b: "a1", rate: "OC-3" },
        { a: "cam", b: "s2:2", rate: "OC-3" },
        { name: "tv-link", a: "tv", b: "s1:1" },
      ],
    };
    // s1:1 is used twice: one error naming the second use; plus a bad router name.
    const bad = validateAtmSection(
      { ...raw, routerInterfaces: [{ router: "nope", name: "atm0", address: "10.8.0.1/24" }] },
      "atm",
      {
        devices: new Set(["r"]),
        routers: new Set(["r"]),
      },
    );
    expect(bad.issues.map((i) => i.path)).toEqual([
      "atm.routerInterfaces[0].router",
      "atm.links[0].a",
      "atm.links[5].b",
    ]);
    raw.links.pop();
    raw.links.push({ name: "tv-link", a: "tv", b: "s3:0" });
    const fixed = { ...raw, links: raw.links.filter((l) => l.name !== "tv-link") };
    const atm = parseAtmSection(
      {
        ...fixed,
        pvcs: [
          { name: "ip", path: ["r.atm0", "s1", "s2", "s3", "a1"] },
          { name: "video", path: ["cam", "s2", "s3", "a1"], parity: true },
        ],
        traffic: [{ name: "v", type: "aal5", pvc: "video", pduSize: "9000B", rate: 1000, count: 10 }],
      },
      { devices: new Set(["r", "e"]), routers: new Set(["r"]) },
    );
    const sim = new Simulation({ seed: 1, frameSlots: 2048, slotBytes: 10240 });
    const r = new Router(sim, "r", {
      interfaces: [{ name: "eth0", address: "10.7.0.1/24" }, ...atmRouterInterfaces(atm, "r")],
    });
    const eth = new EthernetNic(sim, "e");
    const E = new IpHost(eth, { address: "10.7.0.2/24", gateway: "10.7.0.1" });
    const l = new PointToPointLink(sim, "e-r", { rate: 1e9, delay: 1000 });
    eth.attach(0, l, 0);
    r.attach(0, l, 1);
    const built = buildAtm(sim, atm, new Map([["r", r]]));
    live.push({ sim, built, extra: [{ destroy: () => E.destroy() }, r, eth] });
    let got = 0;
    built.ipHosts
      .get("a1")!
      .bind(7)
      .onMessage(() => got++);
    const s = E.bind(1);
    s.send("10.8.0.2", 7, 1200); // E resolves the router's MAC first (ARP)
    sim.scheduler.run(1_000_000);
    for (let i = 0; i < 4; i++) s.send("10.8.0.2", 7, 1200);
    sim.scheduler.run(30_000_000);
    expect(got).toBe(5);
    expect(r.stats().ip.forwarded).toBe(5);
    expect(atmReport(built).nics["a1"]!.rxPdus).toBe(15); // 5 IP + 10 video
    expect(atmReport(built).nics["a1"]!.parityCells).toBe(10);
  });

  it("names every problem with its path; unknown keys are rejected", () => {
    const { issues } = validateAtmSection({
      switches: [
        { name: "sw", ports: 2, polcy: {} },
        { name: "sw", ports: 0 },
      ],
      hosts: [{ name: "h", address: "10.0.0.1" }],
      links: [
        { a: "h", b: "sw:2", rate: "OC-5" },
        { a: "x", b: "sw:0" },
      ],
      pvcs: [{ name: "p", path: ["h", "h"] }],
      traffic: [{ name: "t", type: "cbr", pvc: "q", pduSize: "70000B" }],
      extra: 1,
    });
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'atm: unknown key "extra"',
      'atm.switches[0]: unknown key "polcy" (did you mean "policy"?)',
      "atm.switches[1].ports: 0 is not an integer in [1, 4096]",
      'atm.switches[1].name: duplicate name "sw"',
      'atm.hosts[0].address: "10.0.0.1" is not an address/prefix like 10.2.0.1/24',
      "atm.links[0].b: sw has ports 0 to 1, not 2",
      expect.stringMatching(/^atm\.links\[0\]\.rate: "OC-5"/),
      'atm.links[1].a: no ATM host, switch or router ATM interface is called "x"',
      "atm.pvcs[0].path[1]: no link joins h and h",
      'atm.traffic[0].type: "cbr" is not an ATM traffic type (aal5)',
      'atm.traffic[0].pvc: no circuit is called "q"',
      "atm.traffic[0].pduSize: 70000 bytes is not an AAL5 PDU size (1 to 65535)",
    ]);
    expect(() => parseAtmSection({ hosts: [{ name: 3 }] })).toThrow(NetloomError);
  });

  it("reports unknown and missing keys in the words of the rest of the scenario", async () => {
    const { parseScenario } = await import("../../src/scenario/scenario.js");
    const text = [
      "duration: 1s",
      "hosts:",
      "  - { name: h, ip: 10.0.0.1/24, mtuu: 1500 }",
      "  - { ip: 10.0.0.2/24 }",
      "atm:",
      "  hosts:",
      "    - { name: a, mtuu: 1500 }",
      "    - { address: 10.1.0.1/24 }",
      "",
    ].join("\n");
    let lines: string[] = [];
    try {
      parseScenario(text, { source: "k.yaml" });
    } catch (e) {
      lines = (e as Error).message.split("\n");
    }
    expect(lines).toEqual([
      "4 problems in k.yaml:",
      'k.yaml:3:33: hosts[0]: unknown key "mtuu" (did you mean "mtu"?)',
      'k.yaml:4:5: hosts[1]: missing required key "name"',
      'k.yaml:7:18: atm.hosts[0]: unknown key "mtuu" (did you mean "mtu"?)',
      'k.yaml:8:7: atm.hosts[1]: missing required key "name"',
    ]);
  });
});

describe("atm schema fragment", () => {
  it("accepts what the validator accepts and rejects unknown keys", async () => {
    const { Ajv2020 } = await import("ajv/dist/2020.js");
    const { readFileSync } = await import("node:fs");
    const schema = JSON.parse(
      readFileSync(new URL("../../src/scenario/scenario-atm.schema.json", import.meta.url), "utf8"),
    ) as object;
    const check = new Ajv2020({ allErrors: true }).compile(schema);
    expect(check(star(8)), JSON.stringify(check.errors)).toBe(true);
    expect(check({ ...star(2), extra: 1 })).toBe(false);
    expect(check({ switches: [{ name: "sw", ports: 2, polcy: {} }] })).toBe(false);
  });
});

/** s1 (4 ports) -- s2 (8 ports): a on s1:1, b on s2:7, c on s2:2; s1:3 empty. a -> b is "0.7". */
function svcNet(extra: Record<string, unknown> = {}) {
  return {
    switches: [
      { name: "s1", ports: 4 },
      { name: "s2", ports: 8 },
    ],
    hosts: [{ name: "a" }, { name: "b" }, { name: "c" }],
    links: [
      { a: "a", b: "s1:1" },
      { name: "trunk", a: "s1:0", b: "s2:0", delay: "100us" },
      { a: "s2:7", b: "b" },
      { a: "s2:2", b: "c" },
    ],
    ...extra,
  };
}

describe("atm switched circuits (svcs)", () => {
  it("walks each route over the links and names what is wrong with it", () => {
    const { issues } = validateAtmSection(
      svcNet({
        svcs: [
          { name: "ok", from: "a", route: "0.7" },
          { name: "far", from: "a", route: "0.9" },
          { name: "empty", from: "a", route: "3.7" },
          { name: "short", from: "a", route: "0" },
          { name: "long", from: "a", route: "0.7.1" },
          { name: "sw", from: "s1", route: "0.7" },
          { name: "text", from: "a", route: "0-7" },
          { name: "ok", from: "b", route: "0.1", close: "1ms", open: "2ms" },
        ],
        signalling: { delay: "-1us", keepAlive: "1ms", keepalive: 1 },
        traffic: [
          { name: "t1", type: "aal5", svc: "okk", pduSize: 100 },
          { name: "t2", type: "aal5", pvc: "ok", pduSize: 100 },
          { name: "t3", type: "aal5", svc: "ok", from: "c", pduSize: 100 },
          { name: "t4", type: "aal5", pduSize: 100 },
        ],
      }),
    );
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "atm.svcs[1].route: hop 2 is port 9, but s2 has ports 0 to 7 (ports to hosts: 2 (c), 7 (b))",
      "atm.svcs[2].route: hop 1: nothing is attached to s1:3 (ports to hosts: 1 (a))",
      "atm.svcs[3].route: the route ends at switch s2: add the port to take there (ports to hosts: 2 (c), 7 (b))",
      'atm.svcs[4].route: the route reaches host b after 2 hops; 1 port(s) left over (did you mean "0.7"?)',
      'atm.svcs[5].from: "s1" is not an ATM host: switched circuits start at hosts',
      'atm.svcs[6].route: "0-7" is not a route of output ports like "4.3.0.7" (1 to 32 ports, 0 to 4095)',
      "atm.svcs[7].close: the circuit closes (1000000 ns) before it opens (2000000 ns)",
      'atm.svcs[7].name: duplicate circuit name "ok"',
      'atm.signalling: unknown key "keepalive" (did you mean "keepAlive"?)',
      expect.stringMatching(/^atm\.signalling\.delay: /),
      'atm.traffic[0].svc: no switched circuit is called "okk" (did you mean "ok"?)',
      'atm.traffic[1].pvc: no circuit is called "ok" (it is an svc: use svc:)',
      'atm.traffic[2].from: "c" is not an end of circuit ok (a or b)',
      'atm.traffic[3]: missing required key "pvc" (or "svc" for a switched circuit)',
    ]);
    // A route YAML read as a number still works ("route: 7").
    const one = parseAtmSection(svcNet({ svcs: [{ name: "x", from: "b", route: 2 }] }));
    expect(one.svcs).toEqual([
      { name: "x", from: "b", route: [2], to: "c", openNs: 0, closeNs: undefined, parity: false },
    ]);
  });

  it("opens, carries traffic both ways, closes; a host failure releases the other end", () => {
    const { sim, built } = run(
      svcNet({
        signalling: { keepAlive: "1ms", keepAliveMisses: 2 },
        hosts: [{ name: "a" }, { name: "b" }, { name: "c", failAt: "12ms" }],
        svcs: [
          { name: "ab", from: "a", route: "0.7", open: "1ms", close: "15ms" },
          { name: "ca", from: "c", route: "0.1", open: "2ms" },
        ],
        traffic: [
          { name: "fwd", type: "aal5", svc: "ab", pduSize: "1000B", rate: 1000 },
          { name: "back", type: "aal5", svc: "ab", from: "b", pduSize: "100B", rate: 2000, count: 5 },
          { name: "fromC", type: "aal5", svc: "ca", pduSize: "64B", rate: 1000 },
        ],
      }),
    );
    sim.scheduler.run(20_000_000);
    const rep = atmReport(built);
    const sig = rep.signalling!;
    expect(sig.svcs["ab"]).toMatchObject({
      from: "a",
      to: "b",
      route: "0.7",
      state: "closed",
      cause: null,
      causeText: null,
      endedAt: 15_000_000,
    });
    expect(sig.svcs["ca"]).toMatchObject({
      from: "c",
      to: "a",
      state: "released",
      cause: "hostFailed",
      causeText: "destination out of order (27)",
    });
    // ~1 PDU/ms from connect (~1.2 ms) to the close at 15 ms; the back channel sent its 5.
    expect(rep.sources["fwd"]!.sent).toBe(14);
    expect(rep.sources["back"]).toEqual({ sent: 5, refused: 0 });
    expect(rep.sources["fromC"]!.sent).toBe(10);
    expect(sig.switches["s2"]).toMatchObject({ hostFailures: 1, releasedOnHostFailure: 1, calls: 0, vcisInUse: 0 });
    expect(sig.hosts["a"]).toMatchObject({
      opened: 1,
      connected: 1,
      closed: 1,
      accepted: 1,
      released: { hostFailed: 1 },
    });
    expect(sig.hosts["c"]!.state).toBe("failed");
    expect(rep.nics["c"]!.failed).toBe(true);
    // Every switch's tables are back to empty.
    for (const s of Object.values(rep.switches)) expect(s.ports.reduce((n, p) => n + p.circuits, 0)).toBe(0);
    expect(JSON.parse(JSON.stringify(sig))).toEqual(sig);
  });

  it("builds nothing for signalling when the section does not use it", () => {
    const atm = parseAtmSection(star(3));
    expect(atm.signalling).toBe(undefined);
    const { built } = run(star(3));
    expect(built.signalling).toBe(undefined);
    expect(atmReport(built).signalling).toBe(undefined);
  });

  it("examples/atm-svc.yaml: each circuit ends as the comment in the file says", async () => {
    const { loadScenario } = await import("../../src/scenario/scenario.js");
    const { buildScenario } = await import("../../src/run/build-scenario.js");
    const scenario = loadScenario("examples/atm-svc.yaml");
    const b = buildScenario(scenario);
    b.network.run(scenario.durationNs);
    const rep = atmReport(b.atm!);
    const svcs = rep.signalling!.svcs;
    expect(
      Object.fromEntries(
        Object.entries(svcs).map(([n, v]) => [n, `${v.state}${v.cause === null ? "" : ` ${v.cause}`}`]),
      ),
    ).toEqual({
      video: "closed",
      upload: "closed",
      extra: "failed circuitLimit",
      telemetry: "released hostFailed",
    });
    expect(svcs["telemetry"]!.endedAt).toBeGreaterThan(120_000_000 + 2 * 2_000_000);
    expect(svcs["telemetry"]!.endedAt).toBeLessThan(120_000_000 + 4 * 2_000_000);
    expect(rep.sources).toEqual({
      v: { sent: 70, refused: 0 },
      up: { sent: 167, refused: 0 },
      tm: { sent: 208, refused: 0 },
      ack: { sent: 56, refused: 0 },
    });
    expect(rep.signalling!.switches["s1"]).toMatchObject({ refused: { circuitLimit: 1 }, hostFailures: 1, calls: 0 });
    b.network.runToIdle();
    expect(b.network.sim.frames.leaks()).toEqual([]);
    b.network.destroy();
  });
});

describe("atm schema fragment: svcs", () => {
  it("accepts svcs, failAt, signalling and svc traffic; rejects unknown keys there", async () => {
    const { Ajv2020 } = await import("ajv/dist/2020.js");
    const { readFileSync } = await import("node:fs");
    const schema = JSON.parse(
      readFileSync(new URL("../../src/scenario/scenario-atm.schema.json", import.meta.url), "utf8"),
    ) as object;
    const check = new Ajv2020({ allErrors: true }).compile(schema);
    const ok = svcNet({
      hosts: [{ name: "a", failAt: "5ms" }, { name: "b" }, { name: "c" }],
      svcs: [
        { name: "ab", from: "a", route: "0.7", open: "1ms", close: 5e6, parity: true },
        { name: "n", from: "b", route: 2 },
      ],
      signalling: { delay: "10us", keepAlive: "1ms", keepAliveMisses: 2, setupTimeout: "5ms", releaseTimeout: "7ms" },
      traffic: [{ name: "t", type: "aal5", svc: "ab", pduSize: 100 }],
    });
    expect(check(ok), JSON.stringify(check.errors)).toBe(true);
    expect(validateAtmSection(ok).issues).toEqual([]);
    expect(parseAtmSection(ok).signalling).toEqual({
      delayNs: 10_000,
      keepAliveNs: 1_000_000,
      keepAliveMisses: 2,
      setupTimeoutNs: 5_000_000,
      releaseTimeoutNs: 7_000_000,
    });
    expect(validateAtmSection(svcNet({ signalling: { releaseTimeout: 0 } })).issues.map((i) => i.message)).toEqual([
      "0 must be more than zero",
    ]);
    expect(check(svcNet({ svcs: [{ name: "ab", from: "a", route: "0.7", opne: "1ms" }] }))).toBe(false);
    expect(check(svcNet({ svcs: [{ name: "ab", from: "a", route: "0-7" }] }))).toBe(false);
    expect(check(svcNet({ signalling: { keepalive: 1 } }))).toBe(false);
  });
});

describe("atm hosts without an address in IP traffic", () => {
  it("is refused at load, naming the entry, whether the host sends or receives", async () => {
    const { readFileSync } = await import("node:fs");
    const { parseScenario } = await import("../../src/scenario/scenario.js");
    const text = readFileSync(new URL("../../examples/atm-mixed.yaml", import.meta.url), "utf8");
    const problem = (from: string, to: string, line: number): string => {
      const bad = text.replace(
        "  - { name: tcp, type: tcp-bulk, from: e1, to: a1,",
        `  - { name: tcp, type: tcp-bulk, from: ${from}, to: ${to},`,
      );
      expect(bad).not.toBe(text);
      try {
        parseScenario(bad, { source: "s.yaml" });
      } catch (e) {
        expect(e).toBeInstanceOf(NetloomError);
        return (e as Error).message.split("\n").find((l) => l.includes(`:${line}:`)) ?? (e as Error).message;
      }
      throw new Error("accepted");
    };
    expect(problem("cam1", "a1", 49)).toMatch(
      /^s\.yaml:49:\d+: traffic\[1\]\.from: host cam1 is an ATM host with no address \(raw AAL5 only\), so tcp-bulk traffic cannot use it/,
    );
    expect(problem("e1", "display", 49)).toMatch(
      /^s\.yaml:49:\d+: traffic\[1\]\.to: host display is an ATM host with no address \(raw AAL5 only\), so tcp-bulk traffic cannot use it/,
    );
  });
});
