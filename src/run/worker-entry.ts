// Where a piscina pool's workers start, and with which Node flags: the one place that knows
// whether netloom runs compiled (dist/) or from its TypeScript sources.
//
// Contract:
// - workerEntry(moduleUrl, name): for a module running from sources (a .ts file, under tsx or
//   vitest) the worker entry is `<name>-dev.mjs` beside it, which registers tsx inside the
//   worker; compiled, it is `<name>.js` beside it, and the workers get the parent's Node flags
//   without its TypeScript loader (--import tsx and the like). A compiled worker does not need
//   the loader, and inheriting it costs every worker a transform of each module it imports
//   and source-map bookkeeping on the hot path (thread start-up and the window loop alike).
// - Other flags (--cpu-prof, --enable-source-maps, ...) are kept. When there is nothing to
//   take out (from sources; compiled without a loader) execArgv is undefined and the workers
//   inherit the parent's flags the way Node does by default. An explicit list may not name a
//   V8 or process-wide option (--max-old-space-size, --trace-gc, --stack-size: Worker throws
//   ERR_WORKER_INVALID_EXEC_ARGV); those apply to every thread already, so they are dropped
//   from an explicit list (workerSafeExecArgv: Node names them when a probe Worker is
//   constructed; found out once per process).

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

export interface WorkerEntry {
  filename: string;
  /** Flags for the workers; undefined = inherit the parent's. */
  execArgv: string[] | undefined;
}

/** Node flags that install a TypeScript loader (flag, value) as tsx and its kin are given. */
function isLoaderFlag(flag: string, value: string | undefined): boolean {
  const v = value ?? "";
  return /^--(import|loader|experimental-loader|require|r)$/.test(flag) && /\btsx\b|ts-node|esbuild-register/.test(v);
}

/** The parent's execArgv without TypeScript loader flags (both "--import tsx" and "--import=tsx"). */
export function withoutTypeScriptLoader(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf("=");
    if (eq > 0 && a.startsWith("--")) {
      if (isLoaderFlag(a.slice(0, eq), a.slice(eq + 1))) continue;
      out.push(a);
    } else if (isLoaderFlag(a, argv[i + 1])) {
      i++;
    } else out.push(a);
  }
  return out;
}

export function workerEntry(moduleUrl: string, name: string): WorkerEntry {
  const here = fileURLToPath(moduleUrl);
  const dir = dirname(here);
  if (here.endsWith(".ts")) return { filename: join(dir, `${name}-dev.mjs`), execArgv: undefined };
  const stripped = withoutTypeScriptLoader(process.execArgv);
  return {
    filename: join(dir, `${name}.js`),
    execArgv: stripped.length === process.execArgv.length ? undefined : workerSafeExecArgv(stripped),
  };
}

const safeArgv = new Map<string, string[]>();

/**
 * `argv` without the options a worker's execArgv may not carry (V8 and process-wide ones,
 * which every thread has already). Node validates execArgv when a Worker is constructed and
 * lists what it refuses; a probe that passes is terminated at once. The list names refused
 * flags verbatim, or states a problem ("--cpu-prof-dir must be used with --cpu-prof"): then,
 * or if a second probe still fails, the workers get no flags of their own ([]), which always
 * constructs.
 */
export function workerSafeExecArgv(argv: readonly string[]): string[] {
  const key = JSON.stringify(argv);
  const known = safeArgv.get(key);
  if (known !== undefined) return known;
  let safe: string[] = [...argv];
  for (let attempt = 0; ; attempt++) {
    const refused = refusedFlags(safe);
    if (refused === undefined) break;
    const kept = safe.filter((a) => !refused.has(a));
    if (attempt > 0 || kept.length + refused.size !== safe.length) {
      safe = [];
      break;
    }
    safe = kept;
  }
  safeArgv.set(key, safe);
  return safe;
}

/** What Worker refuses in `argv` (undefined: nothing). */
function refusedFlags(argv: string[]): Set<string> | undefined {
  try {
    const probe = new Worker("", { eval: true, execArgv: argv, stdout: true, stderr: true });
    probe.unref();
    void probe.terminate();
    return undefined;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code !== "ERR_WORKER_INVALID_EXEC_ARGV") throw err;
    // "Initiated Worker with invalid execArgv flags: --a=1, --b"
    return new Set((e.message ?? "").replace(/^[^:]*:\s*/, "").split(/,\s*/));
  }
}
