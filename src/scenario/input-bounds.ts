// The size bounds of every input document (scenarios, their sweeps, comparison files), checked
// before anything costly looks at it: the YAML parser spends about 6 us per value, so a
// 10^6-item list costs seconds to parse before any check could refuse it.
//
// Contract:
// - scanTextBounds(text, source) reads the text with the YAML lexer only (tokens, no tree) and
//   throws a ScenarioError naming the path, line and bound at the first collection nested
//   deeper than MAX_NESTING_DEPTH, the first list or mapping with more than
//   MAX_COLLECTION_ENTRIES entries, or once the document holds more than MAX_DOCUMENT_VALUES
//   values. It stops there: its cost grows with the bound, not with the text.
// - checkDataBounds(value, source) says the same of already parsed data (a document handed to
//   validateScenario, or one whose aliases nest it deeper than its text does).
// - The scan follows YAML's structure as far as counting needs (block lists and mappings by
//   indentation, flow collections by brackets); it never refuses a document within the bounds,
//   and leaves malformed text to the parser, whose syntax errors are more precise.
// The bounds sit far above any scenario netloom runs (the largest benchmarked topology has 1024
// hosts; a 4096-host tree with a flow per host is about 10^5 values) and well below what makes
// checking slow; the JSON Schemas bound each list, string and user-keyed mapping in detail.

import { Lexer } from "yaml";
import { ScenarioError } from "./reporter.js";

/** Collections inside collections: real scenarios nest 6 or 7 deep. */
export const MAX_NESTING_DEPTH = 64;
/** Items of one list, keys of one mapping: the schemas' largest maxItems (hosts, links, ...). */
export const MAX_COLLECTION_ENTRIES = 16_384;
/** Values (scalars, keys included, and collections) in one document. */
export const MAX_DOCUMENT_VALUES = 500_000;

/** The three bounds (tests pass small ones). */
export interface InputBounds {
  depth: number;
  entries: number;
  values: number;
}

export const INPUT_BOUNDS: InputBounds = {
  depth: MAX_NESTING_DEPTH,
  entries: MAX_COLLECTION_ENTRIES,
  values: MAX_DOCUMENT_VALUES,
};

type FrameKind = "block-list" | "block-map" | "flow-list" | "flow-map";

interface Frame {
  kind: FrameKind;
  /** Column of a block collection's entries; -1 for a flow collection. */
  indent: number;
  entries: number;
  /** The current entry's key (mappings). */
  key: string;
  /** A flow collection waits for its next entry (after `[`, `{` or `,`). */
  expecting: boolean;
  line: number;
  column: number;
}

const isList = (k: FrameKind): boolean => k === "block-list" || k === "flow-list";

function pathOf(stack: readonly Frame[], depth: number): string {
  let p = "";
  for (let i = 0; i < depth; i++) {
    const f = stack[i]!;
    if (isList(f.kind)) p += `[${f.entries - 1}]`;
    else p += p === "" ? f.key : `.${f.key}`;
  }
  return p;
}

function refuse(path: string, problem: string, source: string | undefined, line?: number, column?: number): never {
  const message = `${path === "" ? "" : `${path}: `}${problem}`;
  throw new ScenarioError([{ path, message, line, column }], source);
}

const tooMany = (list: boolean, n: number): string =>
  list ? `a list of more than ${n} items (limit ${n})` : `a mapping of more than ${n} keys (limit ${n})`;
const tooDeep = (n: number): string => `nested too deeply (limit ${n} levels of lists and mappings)`;
const tooBig = (n: number): string => `the document holds more than ${n} values (limit ${n})`;

/** The lexer's tokens that stand for no source text. */
const CONTROL = new Set(["\u0002", "\u0018", "\u001f"]);

/** Follows the lexer's tokens far enough to count entries per collection and the nesting. */
class Scan {
  private readonly stack: Frame[] = [];
  private values = 0;
  private line = 1;
  private lineStart = 0;
  private offset = 0;
  private scalarNext = false;
  private blockContent = false;
  /** A value that may turn out to be a mapping key (a `:` follows). */
  private pendingKey: { key: string; column: number; line: number } | undefined;

  constructor(
    private readonly source: string | undefined,
    private readonly bounds: InputBounds,
  ) {}

  private get flowDepth(): boolean {
    const top = this.stack[this.stack.length - 1];
    return top !== undefined && top.indent < 0;
  }

  token(tok: string): void {
    if (CONTROL.has(tok)) {
      if (tok === "\u0002") this.stack.length = 0;
      else if (tok === "\u001f") this.scalarNext = true;
      return;
    }
    const column = this.offset - this.lineStart;
    const line = this.line;
    this.advance(tok);
    const c = tok.charCodeAt(0);
    if (this.scalarNext) {
      this.scalarNext = false;
      if (this.blockContent) this.blockContent = false;
      else this.value(tok, line, column);
    } else if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
      this.value(tok.slice(1, -1), line, column);
    } else if (c === 0x2a /* * */) {
      this.value(tok, line, column);
    } else if (c === 0x7c /* | */ || c === 0x3e /* > */) {
      this.blockContent = true;
      this.value("", line, column);
    } else if (tok === "[" || tok === "{") {
      this.value("", line, column);
      this.push(tok === "[" ? "flow-list" : "flow-map", -1, line, column);
    } else if (tok === "]" || tok === "}") {
      if (this.flowDepth) this.stack.pop();
      this.pendingKey = undefined;
    } else if (tok === ",") {
      const top = this.stack[this.stack.length - 1];
      if (top !== undefined && top.indent < 0) top.expecting = true;
      this.pendingKey = undefined;
    } else if (tok === ":") {
      this.mapValue();
    } else if (tok === "-" || tok === "?") {
      if (!this.flowDepth) {
        if (tok === "-") this.blockEntry("block-list", column, "", line);
        else this.blockEntry("block-map", column, "?", line);
      }
      this.pendingKey = undefined;
    } else if (c === 0x0a || c === 0x0d) {
      if (!this.flowDepth) this.pendingKey = undefined;
    }
    // Anything else (spaces, comments, anchors, tags, directives, document markers) is neither
    // an entry nor a value.
  }

  private advance(tok: string): void {
    const nl = tok.lastIndexOf("\n");
    if (nl >= 0) {
      for (let i = tok.indexOf("\n"); i >= 0; i = tok.indexOf("\n", i + 1)) this.line++;
      this.lineStart = this.offset + nl + 1;
    }
    this.offset += tok.length;
  }

  /** A value starts: counted, an entry of a flow collection waiting for one, maybe a key. */
  private value(text: string, line: number, column: number): void {
    if (++this.values > this.bounds.values) refuse("", tooBig(this.bounds.values), this.source);
    const top = this.stack[this.stack.length - 1];
    if (top !== undefined && top.indent < 0 && top.expecting) {
      top.expecting = false;
      this.count(top);
    }
    this.pendingKey = { key: text, column, line };
  }

  /** `:` after a key: a block mapping's entry at the key's column, or a flow mapping's key. */
  private mapValue(): void {
    const k = this.pendingKey;
    this.pendingKey = undefined;
    const top = this.stack[this.stack.length - 1];
    if (top !== undefined && top.indent < 0) {
      if (top.kind === "flow-map" && k !== undefined) top.key = k.key;
      return;
    }
    // A `:` with no key on its line answers an explicit `?` key: not a new entry.
    if (k !== undefined) this.blockEntry("block-map", k.column, k.key, k.line);
  }

  /** A block list item (`-`) or mapping key at `column`. */
  private blockEntry(kind: "block-list" | "block-map", column: number, key: string, line: number): void {
    const s = this.stack;
    // Close what is indented deeper; a key at a list's own column ends that list (`hosts:` then
    // `- ...` at the same column, then the next key).
    while (s.length > 0) {
      const top = s[s.length - 1]!;
      if (top.indent < 0) return; // inside an unclosed flow collection: the parser's problem
      if (top.indent > column || (kind === "block-map" && top.kind === "block-list" && top.indent === column)) s.pop();
      else break;
    }
    const top = s[s.length - 1];
    if (top !== undefined && top.kind === kind && top.indent === column) {
      this.count(top);
      top.key = key;
      return;
    }
    this.push(kind, column, line, column);
    s[s.length - 1]!.key = key;
    this.count(s[s.length - 1]!);
  }

  private push(kind: FrameKind, indent: number, line: number, column: number): void {
    const f: Frame = { kind, indent, entries: 0, key: "", expecting: indent < 0, line, column };
    this.stack.push(f);
    if (this.stack.length > this.bounds.depth) {
      refuse(pathOf(this.stack, this.stack.length - 1), tooDeep(this.bounds.depth), this.source, line, column + 1);
    }
  }

  private count(f: Frame): void {
    if (++f.entries > this.bounds.entries) {
      const depth = this.stack.indexOf(f);
      refuse(
        pathOf(this.stack, depth),
        tooMany(isList(f.kind), this.bounds.entries),
        this.source,
        f.line,
        f.column + 1,
      );
    }
  }
}

export function scanTextBounds(text: string, source: string | undefined, bounds = INPUT_BOUNDS): void {
  const scan = new Scan(source, bounds);
  for (const tok of new Lexer().lex(text)) scan.token(tok);
}

/** The same bounds over parsed data: depth, entries per collection, values (keys included). */
export function checkDataBounds(value: unknown, source: string | undefined, bounds = INPUT_BOUNDS): void {
  let values = 0;
  // The path is kept as segments and joined only for a refusal.
  const segments: (string | number)[] = [];
  const here = (): string =>
    segments.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
  const walk = (v: unknown): void => {
    if (++values > bounds.values) refuse("", tooBig(bounds.values), source);
    if (typeof v !== "object" || v === null) return;
    if (segments.length >= bounds.depth) refuse(here(), tooDeep(bounds.depth), source);
    if (Array.isArray(v)) {
      if (v.length > bounds.entries) refuse(here(), tooMany(true, bounds.entries), source);
      for (let i = 0; i < v.length; i++) {
        segments.push(i);
        walk(v[i]);
        segments.pop();
      }
      return;
    }
    const keys = Object.keys(v);
    if (keys.length > bounds.entries) refuse(here(), tooMany(false, bounds.entries), source);
    values += keys.length;
    for (const k of keys) {
      segments.push(k);
      walk((v as Record<string, unknown>)[k]);
      segments.pop();
    }
  };
  walk(value);
}
