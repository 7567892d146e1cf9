// Output paths checked and created before a run, and written whole.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCode, NetloomError } from "../../src/base/errors.js";
import { osReason, prepareOutputDir, prepareOutputFile, writeOutputFile } from "../../src/base/output-path.js";
import { tempDir } from "../support/tshark.js";

function failure(fn: () => unknown): NetloomError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NetloomError);
    expect((e as NetloomError).code).toBe(ErrorCode.OUTPUT_FAILED);
    return e as NetloomError;
  }
  throw new Error("expected OUTPUT_FAILED");
}

describe("output paths", () => {
  it("creates a directory and its parents, and accepts one that exists", () => {
    const tmp = tempDir("nl-out-");
    try {
      const d = prepareOutputDir(tmp.path("a/b/c"), "the pcap directory");
      expect(d).toBe(tmp.path("a/b/c"));
      expect(statSync(d).isDirectory()).toBe(true);
      expect(prepareOutputDir(tmp.path("a/b/c"), "the pcap directory")).toBe(d);
      const f = prepareOutputFile(tmp.path("x/y/r.json"), "the JSON report");
      expect(statSync(tmp.path("x/y")).isDirectory()).toBe(true);
      expect(existsSync(f)).toBe(false); // checked, not created
    } finally {
      tmp.remove();
    }
  });

  it("names the path and the OS reason in one line when it cannot", () => {
    const tmp = tempDir("nl-out-");
    try {
      writeFileSync(tmp.path("f"), "x");
      mkdirSync(tmp.path("d"));
      expect(failure(() => prepareOutputDir(tmp.path("f"), "the CSV directory")).message).toBe(
        `cannot write the CSV directory "${tmp.path("f")}": it is a file, not a directory (ENOTDIR)`,
      );
      expect(failure(() => prepareOutputDir(tmp.path("f/g/h"), "the CSV directory")).message).toBe(
        `cannot write the CSV directory "${tmp.path("f/g/h")}": not a directory (ENOTDIR)`,
      );
      expect(failure(() => prepareOutputFile(tmp.path("d"), "the JSON report")).message).toBe(
        `cannot write the JSON report "${tmp.path("d")}": it is a directory (EISDIR)`,
      );
      expect(failure(() => prepareOutputDir("/proc/netloom-test", "the pcap directory")).message).toBe(
        'cannot create the pcap directory "/proc/netloom-test": no such file or directory (ENOENT)',
      );
      for (const e of [failure(() => prepareOutputFile("/proc/x/y.json", "the JSON report"))]) {
        expect(e.message.split("\n")).toHaveLength(1);
      }
    } finally {
      tmp.remove();
    }
  });

  it("writes a file whole through a temporary file, and leaves none behind when it fails", () => {
    const tmp = tempDir("nl-out-");
    try {
      writeOutputFile(tmp.path("r.json"), "one", "the JSON report");
      writeOutputFile(tmp.path("r.json"), "two", "the JSON report");
      expect(readFileSync(tmp.path("r.json"), "utf8")).toBe("two");
      mkdirSync(tmp.path("dir.json"));
      writeFileSync(join(tmp.path("dir.json"), "inside"), "x");
      expect(failure(() => writeOutputFile(tmp.path("dir.json"), "x", "the JSON report")).message).toMatch(
        /^cannot write the JSON report ".*dir\.json": .* \(E[A-Z]+\)$/,
      );
      expect(readdirSync(tmp.dir).sort()).toEqual(["dir.json", "r.json"]);
    } finally {
      tmp.remove();
    }
  });

  it("osReason reads Node's system errors, and passes others through", () => {
    expect(osReason(Object.assign(new Error("EACCES: permission denied, open '/x'"), { code: "EACCES" }))).toBe(
      "permission denied (EACCES)",
    );
    expect(osReason(new Error("disk on fire"))).toBe("disk on fire");
  });
});
