import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Tests run the debug Wasm build (assertions on); differential suites also load the others.
    env: { NETLOOM_WASM_BUILD: "debug", NETLOOM_MEMORY_MIB: "64" },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: process.env["CI"] ? ["default"] : ["default"],
  },
});
