// Every option the scenario format accepts acts: the test walks the JSON Schema (the scenario's
// and the atm section's, traffic keys type by type), and for each option runs a small scenario
// with and without a change of it (test/support/option-probes.ts) and requires that something a
// user can see differs: the run report, the built devices, or the files netloom run writes. An
// option that is accepted and then ignored fails here. The few that cannot be seen in a short
// run are listed below with the reason.
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { buildScenario } from "../../src/run/build-scenario.js";
import { runScenario } from "../../src/run/run-scenario.js";
import { scenarioAtmSchema, scenarioSchema } from "../../src/scenario/scenario-schema.js";
import { validateScenario } from "../../src/scenario/scenario.js";
import { runMain } from "../support/cli.js";
import { type Doc, type Observe, type Probe, probes, refused } from "../support/option-probes.js";
import { tempDir } from "../support/tshark.js";

/** Options no short run can show, and why (keep this list short: each entry is a gap). */
const UNOBSERVABLE: Record<string, string> = {
  // Probed on rpc, whose connection idles between calls.
  "traffic[tcp-bulk].tcp.keepAlive.interval":
    "a tcp-bulk connection closes once its data is sent and is never idle for a second keep-alive probe",
  "traffic[tcp-bulk].tcp.keepAlive.count":
    "a tcp-bulk connection closes once its data is sent and is never idle for a second keep-alive probe",
};

type Node = Record<string, unknown>;

/** Every option path of the schemas (see option-probes.ts for the notation), with whether it has one value only. */
function optionPaths(): Map<string, { single: boolean; container: boolean }> {
  const main = scenarioSchema() as Node;
  const atm = scenarioAtmSchema() as Node;
  const out = new Map<string, { single: boolean; container: boolean }>();
  const resolve = (root: Node, node: Node): [Node, Node] => {
    const ref = node["$ref"] as string | undefined;
    if (ref === undefined) return [root, node];
    if (ref === "scenario-atm.schema.json") return [atm, atm];
    let n: unknown = root;
    for (const seg of ref.slice(2).split("/")) n = (n as Node)[seg];
    return resolve(root, n as Node);
  };
  const walk = (root: Node, raw: Node, path: string, seen: Set<string>): void => {
    const [r, node] = resolve(root, raw);
    const key = `${path}|${JSON.stringify(raw).slice(0, 200)}`;
    if (seen.has(key)) return;
    seen.add(key);
    if ((path.endsWith("traffic[]") || path === "workloads[]") && Array.isArray(node["allOf"]) && r === main) {
      for (const b of node["allOf"] as { if: Node; then: Node }[]) {
        const type = ((b.if["properties"] as Node)["type"] as { const: string }).const;
        walk(r, b.then, path.replace(/\[\]$/, `[${type}]`), seen);
      }
      return;
    }
    if (path === "failures[]" && Array.isArray(node["oneOf"])) {
      (node["oneOf"] as Node[]).forEach((b, i) =>
        walkProps(r, b, `failures[${["crash", "random", "partition"][i]}]`, seen),
      );
      return;
    }
    for (const k of ["anyOf", "oneOf", "allOf"]) {
      if (Array.isArray(node[k])) for (const b of node[k] as Node[]) walk(r, b, path, seen);
    }
    walkProps(r, node, path, seen);
    if (typeof node["items"] === "object") walk(r, node["items"] as Node, `${path}[]`, seen);
    if (typeof node["additionalProperties"] === "object")
      walk(r, node["additionalProperties"] as Node, `${path}.*`, seen);
  };
  const walkProps = (r: Node, node: Node, path: string, seen: Set<string>): void => {
    const props = node["properties"] as Record<string, Node> | undefined;
    if (props === undefined) return;
    for (const [k, v] of Object.entries(props)) {
      const p = path === "" ? k : `${path}.${k}`;
      const [, n] = resolve(r, v);
      const single = "const" in n || (Array.isArray(n["enum"]) && (n["enum"] as unknown[]).length === 1);
      const prev = out.get(p);
      out.set(p, { single: single && (prev?.single ?? true), container: false });
      walk(r, v, p, seen);
    }
  };
  walk(main, main, "", new Set());
  // A container is an option with options inside it: covered through them.
  for (const [p, v] of out) v.container = [...out.keys()].some((k) => k.startsWith(`${p}.`) || k.startsWith(`${p}[`));
  return out;
}

const stable = (v: unknown): string =>
  String(JSON.stringify(v, (k, x) => (k === "wallTimeMs" || k === "buildMs" || k === "runMs" ? undefined : x)));

async function observe(doc: Doc, how: Observe): Promise<string> {
  try {
    if (how === "outputs") return await outputsOf(doc);
    const scenario = validateScenario(structuredClone(doc));
    if (how === "report") return stable(await runScenario(scenario));
    const built = buildScenario(scenario);
    try {
      return stable(how(built));
    } finally {
      built.network.dispose();
    }
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

/** The files `netloom run` writes for the scenario (names and sizes), run from a file of its own. */
async function outputsOf(doc: Doc): Promise<string> {
  const tmp = tempDir("nl-opt-");
  try {
    const file = tmp.path("s.yaml");
    writeFileSync(file, stringify(doc));
    const r = await runMain(["run", file, "--quiet"]);
    if (r.status !== 0) return `exit ${r.status}: ${r.stderr}`;
    const list = (dir: string): string[] =>
      readdirSync(dir)
        .sort()
        .flatMap((f) => {
          const p = join(dir, f);
          return statSync(p).isDirectory() ? list(p).map((x) => `${f}/${x}`) : [`${f} ${statSync(p).size}`];
        });
    return list(tmp.dir).join("\n");
  } finally {
    tmp.remove();
  }
}

describe("every option of the scenario format acts", () => {
  const paths = optionPaths();
  const table = probes();

  it("has a probe (or a reason) for every option the schema accepts, and none for options it does not", () => {
    const needed = [...paths].filter(([, v]) => !v.single && !v.container).map(([p]) => p);
    const refusals = refused();
    const missing = needed.filter(
      (p) => table[p] === undefined && UNOBSERVABLE[p] === undefined && refusals[p] === undefined,
    );
    expect(missing).toEqual([]);
    const stale = Object.keys({ ...table, ...UNOBSERVABLE, ...refusals }).filter((p) => !paths.has(p));
    expect(stale).toEqual([]);
    // Containers are covered through their keys; each has at least one probed key.
    for (const [p, v] of paths) {
      if (!v.container || table[p] !== undefined) continue;
      expect(
        Object.keys(table).some((k) => k.startsWith(`${p}.`) || k.startsWith(`${p}[`)),
        p,
      ).toBe(true);
    }
  });

  it("the check itself catches an option that is accepted and then ignored", async () => {
    // A change that reaches nothing the observation sees (outputs.json, read off the run report
    // instead of the files written): the observations are equal, which is what fails a probe.
    const table = probes();
    const p = table["outputs.json"]!;
    const base = p.base();
    const changed = p.base();
    p.change(changed);
    expect(await observe(changed, "report")).toBe(await observe(base, "report"));
    expect(await observe(changed, "outputs")).not.toBe(await observe(base, "outputs"));
  });

  it.each(Object.entries(refused()))("%s is refused where it cannot act", (_path, r) => {
    expect(() => validateScenario(r.doc)).toThrow(r.message);
  });

  const cases = Object.entries(probes());
  it.each(cases)("%s changes what a user sees", async (_path: string, p: Probe) => {
    const how = p.observe ?? "report";
    const base = p.base();
    const changed = p.base();
    p.change(changed);
    expect(stable(changed)).not.toBe(stable(base));
    const before = await observe(base, how);
    expect(before.startsWith("error:") || before.startsWith("exit"), before).toBe(false);
    const after = await observe(changed, how);
    expect(after).not.toBe(before);
  });
});
