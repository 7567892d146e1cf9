// packageRoot: the netloom package's own directory, found from a module inside it, whether the
// module runs from src/ (tsx, vitest), from dist/ (compiled) or from an installed copy.
//
// Contract: walks up from the module's directory (at most six levels) to the first directory
// holding both package.json and asconfig.json (the build configuration every copy of the
// package ships, so another package's package.json on the way is not mistaken for ours).
// Returns undefined when there is none; callers say what they were looking for.
// packageVersion() reads the version from that package.json (for `netloom --version`).

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function packageRoot(moduleUrl: string): string | undefined {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "asconfig.json"))) return dir;
    dir = dirname(dir);
  }
  return undefined;
}

/** The `version` of the netloom package that holds `moduleUrl` ("unknown" when there is none). */
export function packageVersion(moduleUrl: string): string {
  const root = packageRoot(moduleUrl);
  if (root === undefined) return "unknown";
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}
