// The netloom command as a user runs it, for tests: a child process (tsx over the sources),
// CI set so no progress bar is drawn, with a timeout. runCli waits for the end; startCli
// returns the child for tests that talk to it while it runs (signals).

import { type ChildProcess, spawn, spawnSync } from "node:child_process";

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const ARGS = ["--import", "tsx", "src/cli/main.ts"];

export function runCli(
  args: readonly string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): CliResult {
  const r = spawnSync(process.execPath, [...ARGS, ...args], {
    encoding: "utf8",
    env: { ...process.env, CI: "true", ...options.env },
    timeout: options.timeoutMs ?? 120_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

export interface RunningCli {
  child: ChildProcess;
  /** Output so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when the process has exited (killed after timeoutMs). */
  done: Promise<CliResult>;
}

export function startCli(args: readonly string[], options: { timeoutMs?: number } = {}): RunningCli {
  const child = spawn(process.execPath, [...ARGS, ...args], {
    env: { ...process.env, CI: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  const done = new Promise<CliResult>((resolve) => {
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    done,
  };
}

/** Resolves once `cond()` holds (checked every 50 ms), rejects after timeoutMs. */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The command run in this process (main()), with what it writes to stdout and stderr captured:
 * much faster than a child process, for commands that cannot hang.
 */
export async function runMain(args: readonly string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const { main } = await import("../../src/cli/main.js");
  let stdout = "";
  let stderr = "";
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  const ci = process.env["CI"];
  process.env["CI"] = "true";
  try {
    const status = await main(["node", "netloom", ...args]);
    return { status, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    if (ci === undefined) delete process.env["CI"];
    else process.env["CI"] = ci;
  }
}
