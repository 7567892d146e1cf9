// The comparison report's page: lines that lie on top of each other stay visible, the value
// axis title never overlaps a tick label (measured in a real headless Chromium), and a point that
// did not run says why instead of showing figures of zero.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compareHtml } from "../../src/compare/report.js";
import type { CompareRow, ComparisonReport } from "../../src/compare/run-compare.js";
import { CPU_OP_NAMES } from "../../src/stacks/cost.js";
import { tempDir } from "../support/tshark.js";

const CHROMIUM = process.env["CHROMIUM"] ?? "chromium";

function row(
  configuration: string,
  workload: "ping-pong" | "one-way",
  size: number,
  over: Partial<CompareRow>,
): CompareRow {
  const cpu = Object.fromEntries(CPU_OP_NAMES.map((n) => [n, 1000])) as CompareRow["cpuNsPerMessage"];
  return {
    network: "atm",
    configuration,
    stack: configuration,
    layers: [],
    workload,
    size,
    sent: 20,
    delivered: 20,
    rttMeanNs: workload === "ping-pong" ? 100_000 * Math.log2(size) : null,
    rttP50Ns: null,
    goodputBps: workload === "one-way" ? 20e6 * Math.log2(size) : null,
    lineShare: null,
    cpuNsPerMessage: cpu,
    cpuNsPerMessageTotal: 1000 * CPU_OP_NAMES.length,
    bytesCopiedPerMessage: 100,
    events: 10,
    wallMs: 1,
    note: "",
    ...over,
  };
}

/** Three configurations: "twin" has exactly "base"'s points, "big" does not run its large sizes. */
function report(bigRunsFrom = 1024): ComparisonReport {
  const rows: CompareRow[] = [];
  for (const c of ["base", "twin", "big"]) {
    for (const size of [8, 64, 1024, 8192]) {
      const skip = c === "big" && size >= bigRunsFrom;
      const none = skip
        ? {
            delivered: 0,
            sent: 0,
            rttMeanNs: null,
            goodputBps: null,
            cpuNsPerMessageTotal: 0,
            bytesCopiedPerMessage: 0,
            note: `messages of ${size} bytes exceed this configuration's largest (900)`,
          }
        : {};
      rows.push(row(c, "ping-pong", size, c === "big" && !skip ? { rttMeanNs: 50_000 * size } : none));
      rows.push(row(c, "one-way", size, c === "big" && !skip ? { goodputBps: 140e6 } : none));
    }
  }
  return {
    name: "t",
    profile: "p",
    profileDescription: "d",
    seed: 1,
    networks: { atm: { rate: "OC-3", rateBps: 155.52e6, delayNs: 5000 } } as ComparisonReport["networks"],
    configurations: ["base", "twin", "big"].map((name) => ({
      name,
      stack: name,
      layers: [],
    })) as unknown as ComparisonReport["configurations"],
    rows,
    wallMsByConfiguration: { base: 1, twin: 1, big: 1 },
    wallTimeMs: 3,
  };
}

/** Runs `script` in the page in headless Chromium; returns what it put in body[data-result]. */
function inChromium(html: string, script: string): unknown {
  const tmp = tempDir("nl-html-");
  try {
    const file = tmp.path("page.html");
    writeFileSync(
      file,
      html.replace(
        "</body>",
        `<script>document.body.setAttribute("data-result", JSON.stringify((() => {${script}})()));</script></body>`,
      ),
    );
    let dom: string;
    try {
      dom = execFileSync(CHROMIUM, ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", `file://${file}`], {
        encoding: "utf8",
        timeout: 60_000,
        stdio: ["ignore", "pipe", "ignore"],
      });
    } catch (cause) {
      throw new Error(
        `headless Chromium is required by this test and could not be run (${String(cause)}); set CHROMIUM to its path`,
        { cause },
      );
    }
    const m = /data-result="([^"]*)"/.exec(dom);
    if (m === null) throw new Error("the page's script left no result");
    return JSON.parse(m[1]!.replace(/&quot;/g, '"').replace(/&amp;/g, "&"));
  } finally {
    tmp.remove();
  }
}

describe("the comparison report page", () => {
  const html = compareHtml(report());

  it("draws series that coincide so both stay visible, and says which ones coincide", () => {
    const lines = [
      ...html.matchAll(
        /<polyline fill="none" stroke="([^"]+)" stroke-width="2"(?: stroke-dasharray="([^"]+)")? data-series="([^"]+)" points="([^"]+)"/g,
      ),
    ].map((m) => ({ colour: m[1], dash: m[2] ?? "", series: m[3], points: m[4] }));
    const rtt = lines.slice(0, 3);
    expect(rtt.map((l) => l.series)).toEqual(["base", "twin", "big"]);
    // base and twin lie on each other: twin is dashed over solid base, in another colour.
    expect(rtt[1]!.points).toBe(rtt[0]!.points);
    expect(rtt[0]!.dash).toBe("");
    expect(rtt[1]!.dash).not.toBe("");
    expect(new Set(lines.map((l) => `${l.colour}/${l.dash}`)).size).toBe(3);
    expect(html).toContain("twin (= base)</text>");
    // Markers of different shapes: circles for base, squares for twin.
    expect(html).toMatch(/<circle [^>]*><title>base, 8 B/);
    expect(html).toMatch(/<rect [^>]*><title>twin, 8 B/);
  });

  it("rows that did not run say why in the table, instead of 0 ns and 0 B", () => {
    const skipped = [...html.matchAll(/<tr><td>atm<\/td><td>big<\/td>.*?<\/tr>/g)]
      .map((m) => m[0])
      .filter((r) => r.includes("not run"));
    expect(skipped).toHaveLength(4);
    for (const r of skipped) {
      expect(r).toMatch(
        /<td colspan="5" class="skip">not run: messages of \d+ bytes exceed this configuration's largest \(900\)<\/td>/,
      );
      expect(r).not.toMatch(/>0 ns<|>0 B</);
    }
  });

  it("a configuration with no point run has words, not bars of zero, in the CPU and copy charts", () => {
    const page = compareHtml(report(0));
    expect(page).toMatch(
      /<text x="144" y="\d+" class="skip">not run: messages of 8 bytes exceed this configuration's largest \(900\)<\/text>/,
    );
    expect(page).toMatch(/<text x="144" y="\d+" class="skip">no point ran<\/text>/);
    // The bar charts show no "0 ns" or "0 B" value anywhere.
    expect(page).not.toMatch(/<text [^>]*>0 (ns|B)<\/text>/);
  });

  it("keeps the value axis title clear of every tick label (measured in headless Chromium)", () => {
    const result = inChromium(
      html,
      `const out = [];
       for (const svg of document.querySelectorAll("svg")) {
         const title = svg.querySelector('text[transform*="rotate"]');
         if (!title) continue;
         const a = title.getBoundingClientRect();
         for (const t of svg.querySelectorAll("text")) {
           if (t === title) continue;
           const b = t.getBoundingClientRect();
           if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) out.push(t.textContent);
         }
       }
       return { charts: document.querySelectorAll('svg text[transform*="rotate"]').length, overlaps: out };`,
    );
    expect(result).toEqual({ charts: 2, overlaps: [] });
  });
});
