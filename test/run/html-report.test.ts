// The run and sweep HTML reports in a real headless Chromium (Debian's `chromium`, driven by
// playwright-core): the pages load with no console error and no request beyond the file itself,
// the topology drawing has one node per device, and every chart holds data points.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHtml } from "../../src/run/html/run-page.js";
import { sweepHtml } from "../../src/run/html/sweep-page.js";
import { topologyOf } from "../../src/run/html/topology.js";
import { runScenario } from "../../src/run/run-scenario.js";
import { runSweep } from "../../src/run/sweep.js";
import { SWEEP_FIGURES } from "../../src/run/sweep-stats.js";
import { loadScenario, loadSweep, type Scenario } from "../../src/scenario/scenario.js";

/** The system Chromium: NETLOOM_CHROMIUM, else `chromium` on the PATH (.ci/run installs it). */
function chromiumPath(): string {
  const given = process.env["NETLOOM_CHROMIUM"];
  if (given !== undefined && given !== "") return given;
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      const p = execFileSync("which", [name], { encoding: "utf8" }).trim();
      if (p !== "" && existsSync(p)) return p;
    } catch {
      // not this name
    }
  }
  throw new Error("no chromium found: apt-get install -y chromium (or set NETLOOM_CHROMIUM)");
}

interface PageFacts {
  errors: string[];
  requests: string[];
  nodes: string[];
  edges: number;
  charts: { title: string; points: number; vertices: number; markers: number }[];
  errorBars: number;
}

let browser: Browser;
let dir: string;

/** Opens `html` as a file page and reads what the tests check. */
async function open(html: string, name: string): Promise<PageFacts> {
  const file = join(dir, name);
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;
  const page = await browser.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("request", (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  try {
    await page.goto(url, { waitUntil: "load" });
    const facts = await page.evaluate(() => {
      // Runs in the page; the DOM types are not in this project's lib, so a minimal shape.
      interface El {
        getAttribute(name: string): string | null;
        querySelectorAll(selector: string): Iterable<El> & { length: number };
        points?: { numberOfItems: number };
      }
      const doc = (globalThis as unknown as { document: El }).document;
      return {
        nodes: [...doc.querySelectorAll("svg.topology g.node")].map((g) => g.getAttribute("data-device") ?? ""),
        edges: doc.querySelectorAll("svg.topology g.edge").length,
        charts: [...doc.querySelectorAll("svg.chart")].map((svg) => ({
          title: svg.getAttribute("aria-label") ?? "",
          points: Number(svg.getAttribute("data-points")),
          // What is really drawn: polyline vertices and markers inside the series groups.
          vertices: [...svg.querySelectorAll("g.series polyline")].reduce(
            (n, p) => n + (p.points?.numberOfItems ?? 0),
            0,
          ),
          markers: svg.querySelectorAll("g.series > g").length,
        })),
        errorBars: doc.querySelectorAll("svg.chart path.err").length,
      };
    });
    return { errors, requests, ...facts };
  } finally {
    await page.close();
  }
}

function shortened(file: string, durationNs: number): Scenario {
  const s = loadScenario(file);
  s.durationNs = durationNs;
  return s;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "netloom-html-"));
  browser = await chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox"] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the run report in Chromium", () => {
  it("tcp-chain-lossy on 2 workers: no error, a node per device, every chart has points", async () => {
    const scenario = shortened("examples/tcp-chain-lossy.yaml", 1e9);
    const report = await runScenario(scenario, { workers: 2, forceWorkers: true, samples: true, linkStats: true });
    expect(report.parallel?.partitions).toBe(2);
    const page = await open(runHtml(report, scenario), "run.html");
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([]);
    expect(page.nodes).toEqual(["h0", "h1", "r1", "r2", "r3", "r4"]);
    expect(page.edges).toBe(scenario.links.length);
    expect(page.charts.map((c) => c.title)).toEqual([
      "Received throughput per flow",
      "Queue length per link direction",
      "TCP congestion window",
      expect.stringMatching(/^Frames dropped per /),
    ]);
    for (const c of page.charts) {
      expect(c.points, c.title).toBeGreaterThan(0);
      expect(c.vertices, c.title).toBeGreaterThan(1);
      expect(c.markers, c.title).toBeGreaterThan(0);
    }
  }, 120_000);

  it("ATM switches and hosts are nodes too", async () => {
    const scenario = shortened("examples/atm-mixed.yaml", 20e6);
    const report = await runScenario(scenario, { samples: true, linkStats: true });
    const page = await open(runHtml(report, scenario), "atm.html");
    expect(page.errors).toEqual([]);
    expect(page.nodes).toEqual(topologyOf(scenario).nodes.map((n) => n.name));
    expect(page.nodes.length).toBe(
      scenario.hosts.length +
        scenario.switches.length +
        scenario.routers.length +
        scenario.atm!.switches.length +
        scenario.atm!.hosts.length,
    );
  }, 120_000);
});

describe("the page checks", () => {
  it("catch a script error, a console error and a request for another file", async () => {
    const page = await open(
      '<!doctype html><html><body><img src="missing.png"><script>throw new Error("broken page")</script></body></html>',
      "broken.html",
    );
    expect(page.errors.some((e) => e.includes("broken page"))).toBe(true);
    expect(page.requests).toEqual([pathToFileURL(join(dir, "missing.png")).href]);
    expect(page.nodes).toEqual([]);
    expect(page.charts).toEqual([]);
  }, 60_000);
});

describe("the sweep report in Chromium", () => {
  it("sweep-loss: no error, each figure against size and loss with confidence intervals", async () => {
    const sweep = loadSweep("examples/sweep-loss.yaml");
    (sweep.document as { duration: string }).duration = "30ms";
    const result = await runSweep(sweep, { threads: 2 });
    expect(result.seedParameters).toEqual(["seed"]);
    const page = await open(sweepHtml(result), "sweep.html");
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([]);
    const titles = page.charts.map((c) => c.title);
    expect(titles).toEqual(SWEEP_FIGURES.flatMap((f) => [`${f.title} vs size`, `${f.title} vs loss`]));
    for (const c of page.charts) {
      // Three values of the axis, a line per value of the other parameter: 9 means.
      expect(c.points, c.title).toBe(9);
      expect(c.markers, c.title).toBe(9);
    }
    // Two seeds per point: every mean has an interval (some may be zero wide).
    expect(page.errorBars).toBe(page.charts.length * 9);
  }, 120_000);
});
