// The host stack comparison (issue 8): the classic shape on the bundled 1995 profile over OC-3
// ATM, the report files, and `netloom compare` as a user runs it.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadComparison, parseComparison } from "../../src/scenario/compare-file.js";
import { runComparison, type CompareRow, type ComparisonReport } from "../../src/compare/run-compare.js";
import { COMPARE_CSV_COLUMNS, compareCsv, compareHtml } from "../../src/compare/report.js";
import { tempDir } from "../support/tshark.js";

function netloom(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function row(
  report: ComparisonReport,
  configuration: string,
  workload: CompareRow["workload"],
  size: number,
  network = "atm",
): CompareRow {
  const r = report.rows.find(
    (x) => x.network === network && x.configuration === configuration && x.workload === workload && x.size === size,
  );
  if (r === undefined) throw new Error(`no row ${network} ${configuration} ${workload} ${size}`);
  return r;
}

describe("the comparison on workstation-1995 over OC-3 ATM", () => {
  // The bundled example's configurations, on ATM only, with fewer sizes and rounds.
  const base = loadComparison("examples/compare-1995.yaml");
  const cmp = {
    ...base,
    networks: { atm: base.networks.atm! },
    pingPong: { sizes: [8, 1024], rounds: 10 },
    oneWay: { sizes: [1024, 4096, 8192], messages: 120 },
  };
  const report = runComparison(cmp);
  const rtt = (c: string, size = 8): number => row(report, c, "ping-pong", size).rttMeanNs!;
  const share = (c: string, size: number): number => row(report, c, "one-way", size).lineShare!;

  it("runs every point to completion with every byte checked", () => {
    for (const r of report.rows) {
      expect(r.note, `${r.configuration} ${r.workload} ${r.size}`).toBe("");
      expect(r.delivered).toBe(r.workload === "ping-pong" ? 2 * cmp.pingPong.rounds : cmp.oneWay.messages);
    }
  });

  it("U-Net saturates the link with 1 KB messages; the socket stack needs 8 KB", () => {
    expect(share("unet", 1024)).toBeGreaterThan(0.9);
    expect(share("active-messages", 1024)).toBeGreaterThan(0.9);
    expect(share("socket", 1024)).toBeLessThan(0.5);
    expect(share("socket", 4096)).toBeLessThan(0.9);
    expect(share("socket", 8192)).toBeGreaterThan(0.9);
  });

  it("small-message round trips: tens of microseconds for U-Net, hundreds for the socket stack", () => {
    expect(rtt("unet")).toBeGreaterThan(10_000);
    expect(rtt("unet")).toBeLessThan(100_000);
    expect(rtt("active-messages")).toBeLessThan(100_000);
    expect(rtt("socket")).toBeGreaterThan(200_000);
    expect(rtt("socket")).toBeLessThan(1_000_000);
  });

  it("the accelerator cuts the five-layer stack's round trip by about an order of magnitude", () => {
    const layered = rtt("layered");
    const accelerated = rtt("accelerated");
    expect(layered).toBeGreaterThan(1_000_000); // ch. 18: about 1.5 ms on Sparc 20s
    expect(layered / accelerated).toBeGreaterThan(7);
  });

  it("zero-copy configurations copy no bytes; the copying ones copy at every boundary", () => {
    for (const c of ["unet", "active-messages", "fbufs"])
      expect(row(report, c, "one-way", 8192).bytesCopiedPerMessage).toBe(0);
    expect(row(report, "socket", "one-way", 8192).bytesCopiedPerMessage).toBeGreaterThanOrEqual(4 * 8192); // user + layer copies, both hosts
    expect(row(report, "layered", "one-way", 8192).bytesCopiedPerMessage).toBeGreaterThanOrEqual(2 * 8192); // the user/kernel copy, both hosts
  });

  it("CPU time per message is accounted by operation, and only where the stack does that work", () => {
    const sock = row(report, "socket", "ping-pong", 8).cpuNsPerMessage;
    const unet = row(report, "unet", "ping-pong", 8).cpuNsPerMessage;
    expect(sock.systemCall).toBe(80000);
    expect(sock.copy).toBe(4570);
    expect(unet.systemCall).toBe(0);
    expect(unet.copy).toBe(0);
    expect(row(report, "active-messages", "ping-pong", 8).cpuNsPerMessage.handlerDispatch).toBe(150);
    expect(row(report, "fbufs", "ping-pong", 8).cpuNsPerMessage.pageRemap).toBe(12000);
  });

  it("is deterministic: the same comparison gives the same virtual-time table", () => {
    const again = runComparison({ ...cmp, configurations: cmp.configurations.slice(0, 2) });
    const strip = (rs: CompareRow[]) => rs.map(({ wallMs: _w, ...rest }) => rest);
    expect(strip(again.rows)).toEqual(
      strip(report.rows.filter((r) => again.configurations.some((c) => c.name === r.configuration))),
    );
  });
});

describe("comparison reports", () => {
  const cmp = parseComparison(
    "name: tiny\nnetworks: { ethernet: {} }\nconfigurations: [{ stack: socket, layers: [FRAG, COM] }, { stack: unet }]\npingPong: { sizes: [8, 4096], rounds: 2 }\noneWay: { sizes: [512], messages: 10 }\n",
  );
  const report = runComparison(cmp);

  it("CSV: fixed header, one row per point, notes for what a configuration cannot carry", () => {
    const lines = compareCsv(report).split("\r\n");
    expect(lines[0]).toBe(COMPARE_CSV_COLUMNS.join(","));
    expect(lines).toHaveLength(report.rows.length + 2); // header, rows, final CRLF
    const unetBig = report.rows.find((r) => r.configuration === "unet" && r.size === 4096)!;
    expect(unetBig.note).toMatch(/exceed this configuration's largest/);
    expect(unetBig.rttMeanNs).toBeNull();
  });

  it("HTML: self-contained, with the four charts and the table", () => {
    const html = compareHtml(report);
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).not.toMatch(/<script|src="http|href="http/);
    for (const title of [
      "Round trip vs message size",
      "Throughput vs message size",
      "CPU time per message by operation",
      "Emulator wall time per configuration",
    ]) {
      expect(html).toContain(title);
    }
    expect((html.match(/<svg /g) ?? []).length).toBe(5);
    expect((html.match(/<tr>/g) ?? []).length).toBe(report.rows.length + 1);
  });
});

describe("netloom compare", () => {
  it("writes the JSON, CSV and HTML report and prints the summary", () => {
    const tmp = tempDir("netloom-compare-");
    const dir = tmp.dir;
    const file = join(dir, "c.yaml");
    writeFileSync(
      file,
      "name: c\nnetworks: { atm: {} }\nconfigurations: [{ stack: unet }, { stack: socket, layers: [FRAG, COM] }]\npingPong: { sizes: [8], rounds: 2 }\noneWay: { sizes: [1024], messages: 10 }\n",
    );
    const r = netloom("compare", file, "--out", dir);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/atm, round trip:/);
    expect(r.stdout).toMatch(/unet +\d/);
    const json = JSON.parse(readFileSync(join(dir, "c.json"), "utf8"));
    expect(json.rows).toHaveLength(4);
    expect(readFileSync(join(dir, "c.csv"), "utf8").split("\r\n")[0]).toBe(COMPARE_CSV_COLUMNS.join(","));
    expect(readFileSync(join(dir, "c.html"), "utf8")).toContain("netloom compare: c");
    tmp.remove();
  }, 120_000);

  it("exits 2 naming the path of a bad comparison file", () => {
    const tmp = tempDir("netloom-compare-");
    const file = join(tmp.dir, "bad.yaml");
    writeFileSync(file, "configurations: [{ stack: sockets }]\n");
    const r = netloom("compare", file);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /bad\.yaml:1:\d+: configurations\[0\]\.stack: "sockets" is not a stack configuration .*did you mean "socket"/,
    );
    tmp.remove();
  }, 120_000);
});
