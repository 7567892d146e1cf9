// The `atm` scenario section: validation with path-naming errors, building onto a Simulation,
// PVCs by path, AAL5 traffic, IP over ATM through a router with Ethernet and ATM interfaces.
import { afterEach, describe, expect, it } from "vitest";
import { NetloomError } from "../../src/api/errors.js";
import { atmReport, atmRouterInterfaces, buildAtm, parseAtmSection, validateAtmSection, type BuiltAtm } from "../../src/api/scenario-atm.js";
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
    switches: [{ name: "sw", ports: n, policy: { queueLimit: 2048, epdThreshold: 1500, ppd: true }, portPolicies: { "0": { queueLimit: 4096 } }, circuitLimit: 8 }],
    hosts: Array.from({ length: n }, (_, i) => ({ name: `h${i}`, address: `10.9.0.${i + 1}/24` })),
    links: Array.from({ length: n }, (_, i) => ({ a: `h${i}`, b: `sw:${i}`, rate: i === 0 ? "OC-12" : "OC-3", delay: "5us" })),
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
      switches: [{ name: "s1", ports: 2 }, { name: "s2", ports: 3 }, { name: "s3", ports: 2 }],
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
    const bad = validateAtmSection({ ...raw, routerInterfaces: [{ router: "nope", name: "atm0", address: "10.8.0.1/24" }] }, "atm", {
      devices: new Set(["r"]),
      routers: new Set(["r"]),
    });
    expect(bad.issues.map((i) => i.path)).toEqual(["atm.routerInterfaces[0].router", "atm.links[0].a", "atm.links[5].b"]);
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
    const r = new Router(sim, "r", { interfaces: [{ name: "eth0", address: "10.7.0.1/24" }, ...atmRouterInterfaces(atm, "r")] });
    const eth = new EthernetNic(sim, "e");
    const E = new IpHost(eth, { address: "10.7.0.2/24", gateway: "10.7.0.1" });
    const l = new PointToPointLink(sim, "e-r", { rate: 1e9, delay: 1000 });
    eth.attach(0, l, 0);
    r.attach(0, l, 1);
    const built = buildAtm(sim, atm, new Map([["r", r]]));
    live.push({ sim, built, extra: [{ destroy: () => E.destroy() }, r, eth] });
    let got = 0;
    built.ipHosts.get("a1")!.bind(7).onMessage(() => got++);
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
      switches: [{ name: "sw", ports: 2, polcy: {} }, { name: "sw", ports: 0 }],
      hosts: [{ name: "h", address: "10.0.0.1" }],
      links: [{ a: "h", b: "sw:2", rate: "OC-5" }, { a: "x", b: "sw:0" }],
      pvcs: [{ name: "p", path: ["h", "h"] }],
      traffic: [{ name: "t", type: "cbr", pvc: "q", pduSize: "70000B" }],
      extra: 1,
    });
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'atm.extra: unknown key',
      'atm.switches[0].polcy: unknown key (did you mean "policy"?)',
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
});

describe("atm schema fragment", () => {
  it("accepts what the validator accepts and rejects unknown keys", async () => {
    const { Ajv2020 } = await import("ajv/dist/2020.js");
    const { readFileSync } = await import("node:fs");
    const schema = JSON.parse(readFileSync(new URL("../../src/api/scenario-atm.schema.json", import.meta.url), "utf8")) as object;
    const check = new Ajv2020({ allErrors: true }).compile(schema);
    expect(check(star(8)), JSON.stringify(check.errors)).toBe(true);
    expect(check({ ...star(2), extra: 1 })).toBe(false);
    expect(check({ switches: [{ name: "sw", ports: 2, polcy: {} }] })).toBe(false);
  });
});
