// Compiled workers drop the parent's TypeScript loader and keep its other flags, minus the
// options a worker's execArgv may not name.
import { describe, expect, it } from "vitest";
import { withoutTypeScriptLoader, workerEntry, workerSafeExecArgv } from "../../src/run/worker-entry.js";

describe("worker entries", () => {
  it("strip tsx loader flags in both spellings, keep the rest", () => {
    expect(
      withoutTypeScriptLoader([
        "--import",
        "tsx",
        "--max-old-space-size=4096",
        "--import=tsx/esm",
        "--cpu-prof",
        "--require",
        "tsx/cjs",
      ]),
    ).toEqual(["--max-old-space-size=4096", "--cpu-prof"]);
    expect(
      withoutTypeScriptLoader(["--import", "./my-hook.mjs", "--loader=ts-node/esm", "--enable-source-maps"]),
    ).toEqual(["--import", "./my-hook.mjs", "--enable-source-maps"]);
  });

  it("from sources, the -dev bootstrap beside the module; compiled, the .js beside it", () => {
    expect(workerEntry("file:///pkg/src/run/parallel-run.ts", "partition-worker").filename).toBe(
      "/pkg/src/run/partition-worker-dev.mjs",
    );
    const compiled = workerEntry("file:///pkg/dist/src/run/parallel-run.js", "partition-worker");
    expect(compiled.filename).toBe("/pkg/dist/src/run/partition-worker.js");
    expect((compiled.execArgv ?? process.execArgv).some((a) => a.includes("tsx"))).toBe(false);
    // From sources, and compiled with no loader to take out, the workers inherit the flags.
    expect(workerEntry("file:///pkg/src/run/parallel-run.ts", "partition-worker").execArgv).toBeUndefined();
  });

  it("an explicit flag list keeps what a worker accepts and drops V8 and process-wide options", () => {
    expect(
      workerSafeExecArgv(["--max-old-space-size=4096", "--enable-source-maps", "--trace-gc", "--conditions=netloom"]),
    ).toEqual(["--enable-source-maps", "--conditions=netloom"]);
    expect(workerSafeExecArgv(["--enable-source-maps", "--no-deprecation"])).toEqual([
      "--enable-source-maps",
      "--no-deprecation",
    ]);
    expect(workerSafeExecArgv([])).toEqual([]);
    // A problem Node states instead of naming a flag: no flags of their own, which constructs.
    expect(workerSafeExecArgv(["--cpu-prof-dir=/tmp/never", "--enable-source-maps"])).toEqual([]);
  });
});
