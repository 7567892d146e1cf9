// `netloom examples [name] [--to DIR]`: the bundled example files. Without a name, a list (file
// and the first line of its header comment); with a name, the file copied to DIR (default: the
// current directory), refusing to overwrite an existing file.
//
// Contract: names are file names with or without extension ("star16", "star16.yaml"); an
// unknown name is an error with a did-you-mean (exit 2); a copy that cannot be written gives one
// line naming the path and the OS reason (exit 1).

import { copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { ErrorCode, NetloomError } from "../base/errors.js";
import { suggest } from "../base/did-you-mean.js";
import { packageRoot } from "../base/package-root.js";
import { EXIT_FAILED, EXIT_OK, printJson, printLines } from "./output.js";

export interface ExamplesFlags {
  to?: string;
  json?: boolean;
}

export interface BundledExample {
  name: string;
  file: string;
  /** The first line of the file's header comment. */
  about: string;
}

export function examplesDir(): string {
  const root = packageRoot(import.meta.url);
  const dir = root === undefined ? undefined : join(root, "examples");
  if (dir === undefined || !existsSync(dir)) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      "the bundled examples are not installed with this copy of netloom",
    );
  }
  return dir;
}

export function bundledExamples(): BundledExample[] {
  const dir = examplesDir();
  return readdirSync(dir)
    .filter((f) => [".yaml", ".yml", ".json", ".ts"].includes(extname(f)))
    .sort()
    .map((f) => {
      const first = readFileSync(join(dir, f), "utf8").split("\n")[0] ?? "";
      const about = first.replace(/^\s*(#|\/\/)\s?/, "").trim();
      return { name: basename(f, extname(f)), file: f, about: /^(#|\/\/)/.test(first.trim()) ? about : "" };
    });
}

export function examplesCommand(name: string | undefined, flags: ExamplesFlags): number {
  const all = bundledExamples();
  if (name === undefined) {
    if (flags.json) printJson(all);
    else printLines(all.map((e) => `${e.file.padEnd(24)} ${e.about}`));
    return EXIT_OK;
  }
  const wanted = all.find((e) => e.name === name || e.file === name);
  if (wanted === undefined) {
    const guess = suggest(
      name,
      all.map((e) => e.name),
    );
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `there is no bundled example "${name}"${guess !== undefined ? ` (did you mean "${guess}"?)` : ""}; \`netloom examples\` lists them`,
      { path: name },
    );
  }
  const target = resolve(flags.to ?? ".", wanted.file);
  if (existsSync(target)) {
    process.stderr.write(`netloom: ${target} already exists; not overwritten\n`);
    return EXIT_FAILED;
  }
  try {
    copyFileSync(join(examplesDir(), wanted.file), target);
  } catch (err) {
    process.stderr.write(
      `netloom: cannot write ${target}: ${(err as NodeJS.ErrnoException).code ?? ""} ${(err as Error).message}\n`,
    );
    return EXIT_FAILED;
  }
  printLines([`wrote ${target}`, `run it: npx netloom run ${target}`]);
  return EXIT_OK;
}
