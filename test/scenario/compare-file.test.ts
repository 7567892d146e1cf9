// The comparison file: defaults, units, and every problem named with its path and line.
import { describe, expect, it } from "vitest";
import { loadComparison, parseComparison } from "../../src/scenario/compare-file.js";
import { ScenarioError } from "../../src/scenario/scenario.js";

function problems(text: string): string[] {
  try {
    parseComparison(text, { source: "c.yaml" });
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as ScenarioError).errors.map((x) => x.message);
  }
  throw new Error("expected the comparison to be rejected");
}

describe("comparison files", () => {
  it("fills defaults and normalises units", () => {
    const c = parseComparison(
      "configurations: [{ stack: unet }, { name: sock, stack: socket, layers: [FRAG, COM] }]\n",
    );
    expect(c.name).toBe("compare");
    expect(c.profile.name).toBe("workstation-1995");
    expect(c.networks.atm).toEqual({ rate: "OC-3", rateBps: 155_520_000, delayNs: 5000 });
    expect(c.networks.ethernet).toEqual({ rate: "10Mbps", rateBps: 10_000_000, delayNs: 5000 });
    expect(c.configurations).toEqual([
      { name: "unet", stack: "unet", layers: [] },
      { name: "sock", stack: "socket", layers: ["FRAG", "COM"] },
    ]);
    expect(c.pingPong.sizes.length).toBeGreaterThan(1);
    expect(c.oneWay.messages).toBeGreaterThan(1);
    const d = parseComparison(
      "configurations: [{ stack: layered }]\nnetworks: { ethernet: { rate: 100Mbps, delay: 1us } }\nprofile: server-2025\n",
    );
    expect(d.configurations[0]!.layers).toEqual(["TOTAL", "FC", "NAK", "FRAG", "COM"]);
    expect(d.networks).toEqual({ ethernet: { rate: "100Mbps", rateBps: 100e6, delayNs: 1000 } });
    expect(d.profile.name).toBe("server-2025");
  });

  it("names every problem with its path, line and a did-you-mean", () => {
    const msgs = problems(
      [
        "name: x",
        "profil: workstation-1995",
        "networks: { atm: { rate: 10 Gbs } }",
        "configurations:",
        "  - { stack: unt }",
        "  - { stack: layered, layers: [COM, NAK] }",
        "  - { stack: active-messages, layers: [COM] }",
        "  - { name: a, stack: socket, layers: [FRAG, COM] }",
        "  - { name: a, stack: fbufs, layers: [COM] }",
        "pingPong: { sizes: [0, 8], rounds: 2.5 }",
      ].join("\n"),
    );
    expect(msgs).toContain('profil: unknown key (did you mean "profile"?)');
    expect(msgs.some((m) => m.startsWith('networks.atm.rate: "10 Gbs" is not a bit rate'))).toBe(true);
    expect(msgs).toContain(
      'configurations[0].stack: "unt" is not a stack configuration (socket, layered, fbufs, unet, active-messages, accelerated) (did you mean "unet"?)',
    );
    expect(msgs.some((m) => /^configurations\[1\]\.layers\[0\]: COM must be the bottom layer/.test(m))).toBe(true);
    expect(msgs).toContain(
      "configurations[2].layers: active-messages has no layers to compose (it is not a layered stack)",
    );
    expect(msgs).toContain('configurations[4].name: duplicate configuration name "a"');
    expect(msgs).toContain("pingPong.sizes[0]: 0 is not a whole number from 1 to 65536");
    expect(msgs).toContain("pingPong.rounds: 2.5 is not a whole number from 1 to 100000");
  });

  it("locates problems by line, and reports unknown profiles and missing files", () => {
    try {
      parseComparison("configurations:\n  - { stack: socket }\nprofile: workstation-1996\n", { source: "c.yaml" });
      throw new Error("not rejected");
    } catch (e) {
      const err = e as ScenarioError;
      expect(err.errors[0]!.line).toBe(3);
      expect(err.message).toMatch(
        /^c\.yaml:3:\d+: profile: "workstation-1996" is not a bundled profile .*did you mean "workstation-1995"/,
      );
    }
    expect(problems("configurations: []\n")).toEqual([
      "configurations: must be a list of stack configurations (name, stack, layers)",
    ]);
    expect(problems("configurations: [{ stack: unet }]\nnetworks: {}\n")).toEqual([
      "networks: names no network (ethernet, atm)",
    ]);
    expect(() => loadComparison("/nonexistent/c.yaml")).toThrow(/cannot read \/nonexistent\/c\.yaml: no such file/);
    expect(problems("configurations: [{ stack: unet }]\nprofile: ./missing-profile.yaml\n")[0]).toMatch(
      /^profile: .*missing-profile\.yaml/,
    );
  });

  it("loads the bundled examples", () => {
    for (const f of ["examples/compare-1995.yaml", "examples/compare-2025.yaml"]) {
      const c = loadComparison(f);
      expect(new Set(c.configurations.map((x) => x.stack))).toEqual(
        new Set(["socket", "layered", "fbufs", "unet", "active-messages", "accelerated"]),
      );
    }
  });
});
