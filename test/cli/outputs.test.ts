// `netloom run`'s outputs as a user sees them: the scenario's `outputs` (relative to the file),
// the flags that override them, and a bad output path: one line naming it and the OS reason,
// exit 1, before the run.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readPcap } from "../../src/trace/pcap.js";
import { runCli, runMain } from "../support/cli.js";
import { tempDir } from "../support/tshark.js";

const SCENARIO = `
name: outs
duration: 3ms
hosts:
  - { name: h0, ip: 10.0.0.1/24 }
  - { name: h1, ip: 10.0.0.2/24 }
  - { name: h2, ip: 10.0.0.3/24 }
switches:
  - { name: sw, ports: 3 }
links:
  - { a: h0, b: "sw:0", rate: 1Gbps, delay: 5us }
  - { a: h1, b: "sw:1", rate: 1Gbps, delay: 5us }
  - { a: h2, b: "sw:2", rate: 1Gbps, delay: 5us }
traffic:
  - { name: f, type: cbr, from: h0, to: h1, size: 1000, rate: 8Mbps }
  - { name: g, type: cbr, from: h2, to: h1, size: 1000, rate: 8Mbps, dstPort: 9001 }
outputs:
  json: out/outs.json
  csv: out/csv
  report: out/outs.html
  pcap: { dir: out/pcap, ports: [h0, "sw:1"], snaplen: 64, limit: 3 packets }
`;

const records = (file: string): { caplen: number; origlen: number }[] =>
  readPcap(readFileSync(file)).records.map((r) => ({ caplen: r.data.length, origlen: r.origLength }));

describe("the scenario's outputs under netloom run", () => {
  it("are written where the file says, relative to it; the pcap ports, snap length and limit hold", async () => {
    const tmp = tempDir("nl-outs-");
    try {
      const file = tmp.path("dir/outs.yaml");
      mkdirSync(tmp.path("dir"));
      writeFileSync(file, SCENARIO);
      const r = await runMain(["run", file, "--quiet"]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const out = tmp.path("dir/out");
      const doc = JSON.parse(readFileSync(join(out, "outs.json"), "utf8"));
      expect(doc.scenario).toBe("outs");
      expect(doc.flows.map((f: { sentPackets: number }) => f.sentPackets)).toEqual([3, 3]);
      expect(readFileSync(join(out, "csv/flows.csv"), "utf8")).toMatch(/^id,src,dst,/);
      expect(existsSync(join(out, "csv/links.csv"))).toBe(true);
      expect(readFileSync(join(out, "outs.html"), "utf8")).toMatch(/<title>netloom run: outs<\/title>/);
      expect(readdirSync(join(out, "pcap")).sort()).toEqual(["h0-0.pcap", "sw-1.pcap"]);
      for (const f of ["h0-0.pcap", "sw-1.pcap"]) {
        const recs = records(join(out, "pcap", f));
        expect(recs).toHaveLength(3);
        for (const rec of recs) expect(rec.caplen).toBe(Math.min(64, rec.origlen));
      }
      expect(r.stdout).toMatch(/pcap: 2 files in .*out\/pcap \(2 at their limit: \d+ records left out\)/);
      expect(r.stdout).toContain(`json: ${join(out, "outs.json")}`);
      expect(r.stdout).toContain(`report: ${join(out, "outs.html")}`);
    } finally {
      tmp.remove();
    }
  });

  it("--csv and --pcap override the file's (--pcap: every port), --snaplen and --pcap-limit its capture bounds", async () => {
    const tmp = tempDir("nl-outs-");
    try {
      const file = tmp.path("outs.yaml");
      writeFileSync(file, SCENARIO);
      const r = await runMain([
        "run",
        file,
        "--quiet",
        "--csv",
        tmp.path("c"),
        "--pcap",
        tmp.path("p"),
        "--snaplen",
        "100",
        "--pcap-limit",
        "2packets",
      ]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(existsSync(tmp.path("c/flows.csv"))).toBe(true);
      expect(existsSync(tmp.path("out/csv"))).toBe(false);
      expect(existsSync(tmp.path("out/pcap"))).toBe(false);
      const files = readdirSync(tmp.path("p")).sort();
      expect(files).toEqual(["h0-0.pcap", "h1-0.pcap", "h2-0.pcap", "sw-0.pcap", "sw-1.pcap", "sw-2.pcap"]);
      const h1 = records(tmp.path("p/h1-0.pcap"));
      expect(h1).toHaveLength(2);
      expect(h1.every((x) => x.caplen === Math.min(100, x.origlen))).toBe(true);
      // The file's json and report still go where it says.
      expect(existsSync(tmp.path("out/outs.json"))).toBe(true);
    } finally {
      tmp.remove();
    }
  });
});

describe("bad output paths", () => {
  it("--pcap under /proc is one line with the OS reason and exit 1, at once (it used to spin)", () => {
    const r = runCli(["run", "examples/star16.yaml", "--duration", "1ms", "--pcap", "/proc/nope"], {
      timeoutMs: 60_000,
    });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      'netloom: cannot create the pcap directory "/proc/nope": no such file or directory (ENOENT)\n',
    );
  });

  it("an existing file where a directory goes, a directory where a file goes: one line each, exit 1, nothing run", async () => {
    const tmp = tempDir("nl-bad-");
    try {
      const plain = tmp.path("plain.txt");
      writeFileSync(plain, "x");
      const cases: [string[], string][] = [
        [
          ["run", "examples/star16.yaml", "--duration", "1ms", "--csv", plain],
          `netloom: cannot write the CSV directory "${plain}": it is a file, not a directory (ENOTDIR)\n`,
        ],
        [
          ["run", "examples/star16.yaml", "--duration", "1ms", "--pcap", join(plain, "sub")],
          `netloom: cannot write the pcap directory "${join(plain, "sub")}": not a directory (ENOTDIR)\n`,
        ],
        [
          ["sweep", "examples/sweep-loss.yaml", "--out", plain],
          `netloom: cannot write the sweep's output directory "${plain}": it is a file, not a directory (ENOTDIR)\n`,
        ],
        [
          ["compare", "examples/compare-1995.yaml", "--out", plain],
          `netloom: cannot write the output directory "${plain}": it is a file, not a directory (ENOTDIR)\n`,
        ],
      ];
      for (const [args, message] of cases) {
        const r = await runMain(args);
        expect(r.stderr, args.join(" ")).toBe(message);
        expect(r.status).toBe(1);
        expect(r.stdout).toBe("");
      }
      // The scenario's json output naming a directory.
      mkdirSync(tmp.path("taken.json"));
      writeFileSync(tmp.path("s.yaml"), SCENARIO.replace("json: out/outs.json", "json: taken.json"));
      const r = await runMain(["run", tmp.path("s.yaml")]);
      expect(r.stderr).toBe(
        `netloom: cannot write the JSON report (outputs.json) "${tmp.path("taken.json")}": it is a directory (EISDIR)\n`,
      );
      expect(r.status).toBe(1);
      // Nothing was run: the other outputs were not written.
      expect(existsSync(tmp.path("out/csv/flows.csv"))).toBe(false);
    } finally {
      tmp.remove();
    }
  });
});
