// Size bounds of input documents: a huge list, a huge mapping, deep nesting and a document of
// too many values are refused by path, line and bound before the YAML parser builds a tree;
// the lexer-level scan agrees with the walk over parsed data on random documents in every
// YAML style, so it never refuses a document within the bounds.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parse as parseYaml } from "yaml";
import {
  checkDataBounds,
  MAX_COLLECTION_ENTRIES,
  MAX_DOCUMENT_VALUES,
  MAX_NESTING_DEPTH,
  scanTextBounds,
} from "../../src/scenario/input-bounds.js";
import {
  loadScenario,
  parseScenario,
  ScenarioError,
  scenarioAtmSchema,
  scenarioSchema,
  validateScenario,
} from "../../src/scenario/scenario.js";
import { MAX_PARAMETER_VALUES, MAX_SWEEP_POINTS } from "../../src/scenario/parameters.js";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const MILLION = 1_000_000;

function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    const se = e as ScenarioError;
    return se.message.split("\n");
  }
  throw new Error("expected a ScenarioError");
}

describe("a list of a million items", () => {
  const items = Array(MILLION).fill("1").join(",");

  it("is refused naming its path, line and the bound (flow YAML)", () => {
    expect(problems(() => parseScenario(`duration: 1s\nhosts: [${items}]\n`, { source: "big.yaml" }))).toEqual([
      "big.yaml:2:8: hosts: a list of more than 16384 items (limit 16384)",
    ]);
  });

  it("is refused in JSON", () => {
    const json = `{"duration": "1s", "hosts": [${items}]}`;
    expect(problems(() => parseScenario(json, { source: "big.json", format: "json" }))).toEqual([
      "big.json:1:29: hosts: a list of more than 16384 items (limit 16384)",
    ]);
  });

  it("is refused as a block list of half a million mappings, at the list's line", () => {
    const block = `duration: 1s\nlinks:\n${"  - a: h0\n    b: h1\n".repeat(MILLION / 2)}`;
    expect(problems(() => parseScenario(block, { source: "big.yaml" }))).toEqual([
      "big.yaml:3:3: links: a list of more than 16384 items (limit 16384)",
    ]);
  });

  it("inside the atm section and inside a sweep", () => {
    expect(problems(() => parseScenario(`duration: 1s\natm:\n  pvcs: [${items}]\n`))).toEqual([
      "line 3: atm.pvcs: a list of more than 16384 items (limit 16384)",
    ]);
    expect(problems(() => parseScenario(`duration: 1s\nparameters:\n  x: [${items}]\n`))).toEqual([
      "line 3: parameters.x: a list of more than 16384 items (limit 16384)",
    ]);
  });

  it("handed over as data, without text", () => {
    expect(problems(() => validateScenario({ duration: "1s", hosts: Array(MILLION).fill(1) }))).toEqual([
      "hosts: a list of more than 16384 items (limit 16384)",
    ]);
  });

  it("at the bound exactly, the scan passes and the checks speak", () => {
    const n = MAX_COLLECTION_ENTRIES;
    const lines = problems(() => parseScenario(`duration: 1s\nhosts: [${Array(n).fill("1").join(",")}]\n`));
    expect(lines[0]).toBe(`${n} problems in the scenario:`);
    expect(lines[1]).toBe("line 2: hosts[0]: expected a mapping, got 1");
  });
});

describe("a mapping of too many keys and a document of too many values", () => {
  it("a mapping's keys", () => {
    const keys = Array.from({ length: MAX_COLLECTION_ENTRIES + 1 }, (_, i) => `k${i}: 1`).join(", ");
    expect(problems(() => parseScenario(`duration: 1s\nhosts: [{ name: h, ${keys} }]\n`))).toEqual([
      "line 2: hosts[0]: a mapping of more than 16384 keys (limit 16384)",
    ]);
  });

  it("the document's values", () => {
    // 40 lists of 16,000 numbers: every list within its bound, the document past its own.
    const lists = Array.from({ length: 40 }, (_, i) => `l${i}: [${Array(16_000).fill("1").join(",")}]`);
    expect(problems(() => parseScenario(`duration: 1s\n${lists.join("\n")}\n`))).toEqual([
      `the document holds more than ${MAX_DOCUMENT_VALUES} values (limit ${MAX_DOCUMENT_VALUES})`,
    ]);
  });
});

describe("deep nesting", () => {
  // The document's mapping is the first level, `hosts` the second.
  const deepPath = `hosts${"[0]".repeat(MAX_NESTING_DEPTH - 1)}`;

  it("flow lists 1000 deep: nested too deeply, not a syntax error", () => {
    const text = `duration: 1s\nhosts: ${"[".repeat(1000)}${"]".repeat(1000)}\n`;
    expect(problems(() => parseScenario(text, { source: "deep.yaml" }))).toEqual([
      `deep.yaml:2:${8 + MAX_NESTING_DEPTH - 1}: ${deepPath}: nested too deeply (limit 64 levels of lists and mappings)`,
    ]);
  });

  it("block lists and mappings nested by indentation", () => {
    const lists = Array.from({ length: 200 }, (_, i) => `${" ".repeat(2 * i)}-`).join("\n");
    expect(problems(() => parseScenario(`duration: 1s\nhosts:\n${lists} 1\n`))[0]).toBe(
      `line ${2 + MAX_NESTING_DEPTH}: ${deepPath}: nested too deeply (limit 64 levels of lists and mappings)`,
    );
    const maps = Array.from({ length: 200 }, (_, i) => `${" ".repeat(i)}a:`).join("\n");
    expect(problems(() => parseScenario(`duration: 1s\n${maps} 1\n`))[0]).toBe(
      `line ${2 + MAX_NESTING_DEPTH}: ${Array(MAX_NESTING_DEPTH)
        .fill("a")
        .join(".")}: nested too deeply (limit 64 levels of lists and mappings)`,
    );
  });

  it("64 levels pass the scan (the checks then speak), 65 do not", () => {
    const at = (levels: number): string => `duration: 1s\nhosts: ${"[".repeat(levels - 1)}${"]".repeat(levels - 1)}\n`;
    expect(problems(() => parseScenario(at(MAX_NESTING_DEPTH)))).toEqual([
      "line 2: hosts[0]: expected a mapping, got a list",
    ]);
    expect(problems(() => parseScenario(at(MAX_NESTING_DEPTH + 1)))[0]).toMatch(/nested too deeply \(limit 64/);
  });

  it("data nested deeper than the bound (say, through aliases) is refused too", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(problems(() => validateScenario({ duration: "1s", hosts: deep }))).toEqual([
      `${deepPath}: nested too deeply (limit 64 levels of lists and mappings)`,
    ]);
  });
});

describe("sweeps", () => {
  it("a parameter's values, and the sweep's points, are bounded", () => {
    const values = (n: number): string => `[${Array.from({ length: n }, (_, i) => i + 100).join(", ")}]`;
    expect(
      problems(() => parseScenario(`duration: 1s\nparameters:\n  x: ${values(MAX_PARAMETER_VALUES + 1)}\n`)),
    ).toEqual([`line 3: parameters.x: ${MAX_PARAMETER_VALUES + 1} values (limit ${MAX_PARAMETER_VALUES})`]);
    const three = `duration: 1s\nparameters:\n  x: ${values(100)}\n  y: ${values(100)}\n  z: ${values(100)}\n`;
    expect(problems(() => parseScenario(three))).toEqual([
      `line 3: parameters: the sweep has 1000000 points (limit ${MAX_SWEEP_POINTS}): split it into several files`,
    ]);
  });
});

describe("the text scan agrees with the walk over the parsed data", () => {
  const small = { depth: 4, entries: 5, values: 1_000_000 };
  const key = fc.constantFrom("a", "b", "name", "x y", "k:v", "- d", "q'uote", "#h");
  const leaf = fc.oneof(
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom("text", "two\nlines", "a: b", "- x", "[x]", "{y}", "# no", "'q'", '"dq"', "  lead"),
  );
  const doc = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("list"), tie("map")),
    list: fc.array(tie("node"), { maxLength: 7 }),
    map: fc.dictionary(key, tie("node"), { maxKeys: 7 }),
  })).map;

  const refused = (f: () => void): boolean => {
    try {
      f();
      return false;
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      return true;
    }
  };

  it("in block, flow and JSON styles, at several indents", () => {
    fc.assert(
      fc.property(doc, fc.constantFrom(2, 4), fc.integer({ min: 0, max: 3 }), (d, indent, style) => {
        const text =
          style === 3
            ? JSON.stringify(d, null, indent)
            : stringify(d, {
                indent,
                indentSeq: style !== 1,
                collectionStyle: style === 2 ? "flow" : "any",
                lineWidth: style === 2 ? 20 : 80,
              });
        expect(parseYaml(text)).toEqual(d);
        expect(refused(() => scanTextBounds(text, undefined, small))).toBe(
          refused(() => checkDataBounds(d, undefined, small)),
        );
      }),
      { seed: 27, numRuns: 250 },
    );
  });

  it("every example passes the scan with the real bounds", () => {
    const dir = fileURLToPath(new URL("../../examples/", import.meta.url));
    const files = readdirSync(dir).filter((f) => f.endsWith(".yaml") && !f.startsWith("compare"));
    expect(files).toEqual(expect.arrayContaining(["star16.yaml", "campus.yaml", "atm-svc.yaml", "tcp-chain.yaml"]));
    for (const f of files) expect(() => loadScenario(dir + f), f).not.toThrow();
  });
});

describe("the JSON Schemas bound every list, string and user-keyed mapping", () => {
  type Node = Record<string, unknown>;
  /** JSON pointers of schema nodes that miss their bound. */
  function unbounded(schema: unknown): string[] {
    const out: string[] = [];
    const walk = (n: unknown, p: string): void => {
      if (Array.isArray(n)) return n.forEach((x, i) => walk(x, `${p}/${i}`));
      if (typeof n !== "object" || n === null) return;
      const o = n as Node;
      const has = (t: string): boolean => (Array.isArray(o["type"]) ? o["type"].includes(t) : o["type"] === t);
      if (has("array") && typeof o["maxItems"] !== "number") out.push(`${p} maxItems`);
      if (has("string") && typeof o["maxLength"] !== "number") out.push(`${p} maxLength`);
      const userKeyed =
        (o["additionalProperties"] !== undefined && o["additionalProperties"] !== false) || "propertyNames" in o;
      if (userKeyed && typeof o["maxProperties"] !== "number") out.push(`${p} maxProperties`);
      for (const [k, v] of Object.entries(o)) if (k !== "enum" && k !== "required") walk(v, `${p}/${k}`);
    };
    walk(schema, "");
    return out;
  }

  it("none is left unbounded, and no list is allowed more than the scan's bound", () => {
    expect(unbounded(scenarioSchema())).toEqual([]);
    expect(unbounded(scenarioAtmSchema())).toEqual([]);
    const largest = JSON.stringify([scenarioSchema(), scenarioAtmSchema()])
      .match(/"maxItems":\d+/g)!
      .map((m) => Number(m.split(":")[1]));
    expect(Math.max(...largest)).toBe(MAX_COLLECTION_ENTRIES);
    // The checker catches a schema node without its bound.
    expect(unbounded({ properties: { a: { type: "array" }, b: { type: ["string", "number"] } } })).toEqual([
      "/properties/a maxItems",
      "/properties/b maxLength",
    ]);
  });

  it("the schema's bounds are reported at their path", () => {
    const base = "duration: 1s\nhosts:\n  - { name: h0, ip: 10.0.0.1/24";
    const groups = Array.from({ length: 65 }, (_, i) => `239.0.${i >> 8}.${(i & 255) + 1}`).join(", ");
    expect(problems(() => parseScenario(`${base}, multicast: [${groups}] }\n`))).toEqual([
      "line 3: hosts[0].multicast: must NOT have more than 64 items (schema)",
    ]);
    expect(problems(() => parseScenario(`name: ${"n".repeat(257)}\n${base} }\n`))).toEqual([
      "line 1: name: must NOT have more than 256 characters (schema)",
    ]);
  });
});
