// Reading netloom input files (scenarios, comparisons): YAML or JSON text -> plain data, and a
// locator that says where a document path (`links[3].rate`) stands in the text.
//
// Contract:
// - readInputFile(path): the text and its format by extension (.json is JSON, anything else
//   YAML); a file that cannot be read, or that is not UTF-8 text (a NUL byte or an invalid
//   sequence: a binary file), is a ScenarioError naming it in one line, never echoing its bytes.
// - parseStructured(text, { format, source }): the data (YAML 1.2; JSON is parsed by the same
//   parser, as YAML flow syntax, so both give line and column positions) and its Locate.
//   Syntax errors and duplicate keys throw a ScenarioError with their line and column.
// - Bounded: a text over MAX_INPUT_BYTES, aliases that expand past MAX_ALIAS_EXPANSION nodes
//   (the "billion laughs"), or a text past input-bounds.ts's nesting, entry or value bounds
//   (checked before the parser sees it) is a ScenarioError, never a crash or a runaway
//   allocation.
// - The locator answers with the node's key or value position, or with its deepest ancestor
//   found when the path leads nowhere (a missing key is reported at its mapping).

import { readFileSync, statSync } from "node:fs";
import { extname } from "node:path";
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml";
import { scanTextBounds } from "./input-bounds.js";
import { type Locate, ScenarioError } from "./reporter.js";

export type ScenarioFormat = "yaml" | "json";

/** Largest input: bytes of a file, characters of a text given directly; far above any real scenario, far below what exhausts memory. */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;
/** Most nodes that YAML aliases may expand to in one document. */
export const MAX_ALIAS_EXPANSION = 10_000;

const tooLarge = (what: string, bytes: number): ScenarioError =>
  new ScenarioError(
    [
      {
        path: "",
        message: `${what} is ${(bytes / 1048576).toFixed(1)} MiB; input files are limited to ${MAX_INPUT_BYTES / 1048576} MiB`,
        line: undefined,
        column: undefined,
      },
    ],
    undefined,
  );

/** The document's plain data, with alias expansion bounded (a ScenarioError past the bound). */
function toPlain(doc: Document, source: string | undefined): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION });
  } catch (cause) {
    if (!(cause instanceof ReferenceError)) throw cause;
    throw new ScenarioError(
      [
        {
          path: "",
          message: `YAML aliases expand to more than ${MAX_ALIAS_EXPANSION} nodes (a guard against alias bombs): write the repeated parts out`,
          line: undefined,
          column: undefined,
        },
      ],
      source,
    );
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The file's bytes as text; undefined when they are not UTF-8 text (NUL bytes, invalid sequences). */
function asText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export function readInputFile(path: string): { text: string; format: ScenarioFormat } {
  let text: string | undefined;
  try {
    const size = statSync(path).size;
    if (size > MAX_INPUT_BYTES) throw tooLarge(path, size);
    text = asText(readFileSync(path));
  } catch (cause) {
    if (cause instanceof ScenarioError) throw cause;
    const why =
      (cause as { code?: string }).code === "ENOENT" ? "no such file" : String((cause as Error).message ?? cause);
    throw new ScenarioError(
      [{ path: "", message: `cannot read ${path}: ${why}`, line: undefined, column: undefined }],
      undefined,
    );
  }
  if (text === undefined) {
    throw new ScenarioError(
      [{ path: "", message: `${path} is not a text file (YAML or JSON expected)`, line: undefined, column: undefined }],
      undefined,
    );
  }
  return { text, format: extname(path).toLowerCase() === ".json" ? "json" : "yaml" };
}

export function parseStructured(
  text: string,
  options: { format?: ScenarioFormat; source?: string } = {},
): { value: unknown; locate: Locate } {
  const format = options.format ?? "yaml";
  const source = options.source;
  if (text.length > MAX_INPUT_BYTES) throw tooLarge(source ?? "the text", text.length);
  scanTextBounds(text, source);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, version: "1.2" });
  const where = (offset: number): { line: number; column: number } => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (format === "json") {
    try {
      JSON.parse(text);
    } catch (cause) {
      // Node's JSON.parse message gives no position; the YAML parser's first error usually does.
      const first = doc.errors[0];
      const pos = first?.linePos?.[0];
      const msg = (cause as Error).message.split("\n")[0]!;
      throw new ScenarioError(
        [{ path: "", message: `JSON syntax error: ${msg}`, line: pos?.line, column: pos?.col }],
        source,
      );
    }
  }
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => ({
      path: "",
      message: `${format === "json" ? "JSON" : "YAML"} syntax error: ${e.message.replace(/ at line \d+, column \d+:[\s\S]*$/, "")}`,
      line: e.linePos?.[0].line,
      column: e.linePos?.[0].col,
    }));
    throw new ScenarioError(issues, source);
  }
  const value = toPlain(doc, source);
  const locate: Locate = (path, key) => {
    const offset = findOffset(doc.contents, splitPath(path), key);
    return offset === undefined ? undefined : where(offset);
  };
  return { value, locate };
}

/** Plain data of YAML text without positions (a sweep's document, which crosses threads). */
export function parsePlain(text: string): unknown {
  return toPlain(parseDocument(text, { version: "1.2" }), undefined);
}

function splitPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/\.?([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

/** Offset of the node at `segments` (its key if `key`), or of the deepest ancestor found. */
function findOffset(root: unknown, segments: (string | number)[], key: boolean): number | undefined {
  let node = root as YamlNode | null | undefined;
  let best = node?.range?.[0];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) return best;
      if (last && key) return (pair.key as YamlNode).range?.[0] ?? best;
      node = pair.value as YamlNode | null;
      // An empty value (`key:`) has no range of its own: point at the key.
      best = node?.range?.[0] ?? (pair.key as YamlNode).range?.[0] ?? best;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg] as YamlNode | undefined;
      if (item === undefined) return best;
      node = item;
      best = node.range?.[0] ?? best;
    } else {
      return best;
    }
  }
  return best;
}
