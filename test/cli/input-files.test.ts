// What `netloom run` and `netloom compare` say about files that are not what they expect: a
// comparison file given to run (and the other way round), a binary file. One line, exit 2.
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadComparison } from "../../src/scenario/compare-file.js";
import { loadScenario, loadSweep } from "../../src/scenario/scenario.js";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tshark.js";

const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected an error");
};

describe("files given to the wrong command", () => {
  it("netloom run on a comparison file names the command to use, in one line, exit 2", () => {
    const r = runCli(["run", "examples/compare-1995.yaml"]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("netloom: examples/compare-1995.yaml: this is a comparison file: use netloom compare\n");
  });

  it("a sweep of a comparison file, and a comparison of a scenario file, say the same", () => {
    expect(messageOf(() => loadSweep("examples/compare-2025.yaml"))).toBe(
      "examples/compare-2025.yaml: this is a comparison file: use netloom compare",
    );
    expect(messageOf(() => loadComparison("examples/star16.yaml"))).toBe(
      "examples/star16.yaml: this is a scenario file: use netloom run (or netloom sweep)",
    );
  });

  it("a file with keys of both kinds gets the ordinary unknown-key errors", () => {
    const tmp = tempDir("nl-kind-");
    try {
      writeFileSync(tmp.path("mixed.yaml"), "duration: 1s\nprofile: workstation-1995\n");
      expect(messageOf(() => loadScenario(tmp.path("mixed.yaml")))).toMatch(/unknown top-level key "profile"/);
    } finally {
      tmp.remove();
    }
  });
});

describe("binary input", () => {
  it("is one line, 'not a text file', with none of its bytes echoed", () => {
    const tmp = tempDir("nl-bin-");
    try {
      const bytes = Buffer.alloc(7000);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 0xff;
      bytes.write("\x7fELF", 0, "latin1");
      writeFileSync(tmp.path("prog.yaml"), bytes);
      const r = runCli(["run", tmp.path("prog.yaml")]);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`netloom: ${tmp.path("prog.yaml")} is not a text file (YAML or JSON expected)\n`);
      writeFileSync(tmp.path("prog.json"), bytes);
      expect(messageOf(() => loadScenario(tmp.path("prog.json")))).toBe(
        `${tmp.path("prog.json")} is not a text file (YAML or JSON expected)`,
      );
      // Invalid UTF-8 without a NUL byte is not text either.
      writeFileSync(tmp.path("latin1.yaml"), Buffer.from("name: caf\xe9\nduration: 1s\n", "latin1"));
      expect(messageOf(() => loadComparison(tmp.path("latin1.yaml")))).toMatch(/latin1\.yaml is not a text file/);
      // The same text in UTF-8 is read.
      writeFileSync(tmp.path("utf8.yaml"), "name: café\nduration: 1s\n");
      expect(loadScenario(tmp.path("utf8.yaml")).name).toBe("café");
    } finally {
      tmp.remove();
    }
  });
});
