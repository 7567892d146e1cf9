// Size rule of the house: no hand-written source file over 800 lines, no function (or method,
// arrow function, accessor, constructor) over 100 lines. Reads src/ with the TypeScript parser;
// prints each offender and exits 1 when there is any. Run by `npm run lint`.
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

const MAX_FILE_LINES = 800;
const MAX_FUNCTION_LINES = 100;
// The tree to check: the argument, else the repository this script is in.
const root = process.argv[2] ?? new URL("..", import.meta.url).pathname;

function* sourceFiles(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sourceFiles(p);
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) yield p;
  }
}

const problems = [];
for (const file of sourceFiles(join(root, "src"))) {
  const text = readFileSync(file, "utf8");
  const rel = relative(root, file);
  const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  if (lines > MAX_FILE_LINES) problems.push(`${rel}: ${lines} lines (at most ${MAX_FILE_LINES})`);
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.end).line;
      const n = end - start + 1;
      if (n > MAX_FUNCTION_LINES) {
        const name = ts.isConstructorDeclaration(node)
          ? "constructor"
          : node.name !== undefined
            ? node.name.getText(sf)
            : "(anonymous)";
        problems.push(`${rel}:${start + 1}: function ${name} is ${n} lines (at most ${MAX_FUNCTION_LINES})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}
for (const p of problems) console.log(p);
if (problems.length > 0) {
  console.log(`${problems.length} size problem(s)`);
  process.exit(1);
}
console.log("sizes: every file and function within bounds");
