// Where a piscina pool's workers start, and with which Node flags: the one place that knows
// whether netloom runs compiled (dist/) or from its TypeScript sources.
//
// Contract:
// - workerEntry(moduleUrl, name): for a module running from sources (a .ts file, under tsx or
//   vitest) the worker entry is `<name>-dev.mjs` beside it, which registers tsx inside the
//   worker; compiled, it is `<name>.js` beside it, and the workers get the parent's Node flags
//   without its TypeScript loader (--import tsx and the like). A compiled worker does not need
//   the loader, and inheriting it costs every worker a transform of each module it imports
//   and source-map bookkeeping on the hot path (measured: the four-star parallel benchmark
//   spent a second of thread start-up and a tenth of its window loop in tsx).
// - Other flags (--max-old-space-size, --cpu-prof, ...) are kept.

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface WorkerEntry {
  filename: string;
  execArgv: string[];
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
  if (here.endsWith(".ts")) return { filename: join(dir, `${name}-dev.mjs`), execArgv: [...process.execArgv] };
  return { filename: join(dir, `${name}.js`), execArgv: withoutTypeScriptLoader(process.execArgv) };
}
