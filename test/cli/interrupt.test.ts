// Long runs stopped by the user: SIGINT (Ctrl-C) and SIGTERM stop the run at the next event
// boundary, captures close on whole records, the partial report is written and marked
// interrupted, the terminal gets its cursor and line wrap back, and the exit code says which
// signal (130 for SIGINT, 143 for SIGTERM). Driven as a user would: a child process, a real
// Ctrl-C through a pseudo-terminal (util-linux `script`) for the terminal case.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readPcap } from "../../src/trace/pcap.js";
import { startCli, waitFor } from "../support/cli.js";
import { tempDir, tsharkFields } from "../support/tshark.js";

const LONG = ["examples/star16.yaml", "--duration", "1000000s"];

/** Every file in `dir` is a pcap of whole records (readPcap throws on a cut one) and tshark reads it clean. */
function checkCaptures(dir: string): number {
  let records = 0;
  const files = readdirSync(dir);
  for (const f of files) records += readPcap(readFileSync(join(dir, f))).records.length;
  for (const f of ["h0-0.pcap", "sw-5.pcap"]) {
    const rows = tsharkFields(join(dir, f), ["frame.number", "_ws.malformed", "_ws.expert.message"]);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r) => r["_ws.malformed"] !== "")).toEqual([]);
  }
  return records;
}

describe("interrupting netloom run", () => {
  it("SIGINT: a warning about the growing capture, then whole pcap records and the report marked interrupted, exit 130", async () => {
    const tmp = tempDir("nl-int-");
    try {
      const cli = startCli(["run", ...LONG, "--pcap", tmp.path("p"), "--json"]);
      // The warning comes once the captures have grown 16 MiB on course for far more.
      await waitFor(() => /netloom: pcap: .* on course for/.test(cli.stderr), 90_000, "the capture warning");
      cli.child.kill("SIGINT");
      const r = await cli.done;
      expect(r.status).toBe(130);
      expect(r.stderr).toMatch(
        /^netloom: pcap: [\d.]+ MiB written after [\d.]+ m?s of 1000000 s, on course for [\d.]+ TiB by the end; --pcap-limit .* --snaplen bounds it/,
      );
      expect(r.stderr).toMatch(/netloom: interrupted \(SIGINT\) at [\d.]+ m?s of 1000000 s/);
      const doc = JSON.parse(r.stdout);
      expect(doc.interrupted).toEqual({ reason: "SIGINT", durationNs: 1e15 });
      expect(doc.simTimeNs).toBeGreaterThan(0);
      expect(doc.simTimeNs).toBeLessThan(1e15);
      expect(doc.captures.files).toBe(32);
      expect(checkCaptures(tmp.path("p"))).toBe(doc.captures.records);
      const bytes = readdirSync(tmp.path("p")).reduce((n, f) => n + statSync(tmp.path(`p/${f}`)).size, 0);
      expect(bytes).toBe(doc.captures.bytes);
    } finally {
      tmp.remove();
    }
  }, 180_000);

  it("SIGTERM on a partitioned run: every partition stops after the same window, exit 143", async () => {
    const tmp = tempDir("nl-int-");
    try {
      const cli = startCli([
        "run",
        ...LONG,
        "--workers",
        "2",
        "--force-workers",
        "--pcap",
        tmp.path("p"),
        "--pcap-limit",
        "40packets",
        "--json",
      ]);
      // The files are opened when the run starts; 40 datagrams of a flow take 3.2 ms of virtual
      // time, a few wall-clock milliseconds, so a second later every file is at its limit.
      await waitFor(
        () => {
          try {
            return readdirSync(tmp.path("p")).length === 32;
          } catch {
            return false;
          }
        },
        90_000,
        "the capture files",
      );
      await new Promise((r) => setTimeout(r, 1500));
      cli.child.kill("SIGTERM");
      const r = await cli.done;
      expect(r.status).toBe(143);
      const doc = JSON.parse(r.stdout);
      expect(doc.interrupted.reason).toBe("SIGTERM");
      expect(doc.parallel.partitions).toBe(2);
      // Both partitions stopped after the same window (else the last barrier would never open and
      // the run would hang): what each flow received was sent by then.
      expect(doc.simTimeNs).toBeGreaterThan(0);
      expect(doc.simTimeNs).toBeLessThan(1e15);
      for (const f of doc.flows) expect(f.receivedPackets).toBeLessThanOrEqual(f.sentPackets);
      expect(checkCaptures(tmp.path("p"))).toBe(doc.captures.records);
      const counts = readdirSync(tmp.path("p")).map((f) => readPcap(readFileSync(tmp.path(`p/${f}`))).records.length);
      expect(counts).toEqual(new Array(32).fill(40));
      expect(doc.captures.filesAtLimit).toBe(32);
    } finally {
      tmp.remove();
    }
  }, 180_000);

  it("Ctrl-C on a terminal: the bar moves, then cursor and line wrap come back, exit 130", async () => {
    const env = { ...process.env };
    delete env["CI"];
    const cmd = `${process.execPath} --import tsx src/cli/main.ts run ${LONG.join(" ")}`;
    const child = spawn("script", ["-qefc", cmd, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    try {
      // Two updates of the bar with events counted: it moves.
      await waitFor(
        () => (out.match(/ of 1000000 s simulated \| [1-9][\d,]* events/g) ?? []).length >= 2,
        90_000,
        "the bar",
      );
      child.stdin.write("\x03"); // Ctrl-C, as typed: the terminal sends SIGINT
      expect(await done).toBe(130);
    } finally {
      child.kill("SIGKILL");
    }
    const hid = out.lastIndexOf("\x1b[?25l");
    const noWrap = out.lastIndexOf("\x1b[?7l");
    expect(hid).toBeGreaterThanOrEqual(0);
    expect(noWrap).toBeGreaterThanOrEqual(0);
    expect(out.indexOf("\x1b[?25h", hid)).toBeGreaterThan(hid);
    expect(out.indexOf("\x1b[?7h", noWrap)).toBeGreaterThan(noWrap);
    expect(out).toMatch(/star16: INTERRUPTED \(SIGINT\) at [\d.]+ m?s of 1000000 s/);
  }, 180_000);
});
