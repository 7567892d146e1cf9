// The README's goodput-against-loss tables (the tcp bench's (d) rows, TCP sliding window and
// NAK-only, and the nak bench's rows) are regenerated here from the code that printed them
// (bench/tcp.bench.ts and bench/nak.bench.ts, virtual time, so machine-independent) and each
// row of the README must read as the bench prints it: same name (with its retransmission
// counts) and the same value at the printed precision.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatFigure, type Figure } from "../bench/harness.js";
import { LOSS_RATES, goodputVsLoss, nakFreeRateFigure, nakLossFigures, nakTransport } from "../bench/nak.bench.js";
import { lossTableFigures, tcpTransport } from "../bench/tcp.bench.js";

const README = readFileSync(new URL("../README.md", import.meta.url), "utf8").split("\n");
const BYTES = 10_000_000;

/** The README's row for `f`: the value and unit printed after its name. */
function readmeValue(f: Figure): string {
  const rows = README.filter((l) => l.startsWith(`${f.name}  `));
  expect(rows, `README row "${f.name}"`).toHaveLength(1);
  return rows[0]!.slice(f.name.length).trim();
}

function expectInReadme(figures: Figure[]): void {
  for (const f of figures) {
    const [, printed] = formatFigure(f);
    expect(
      readmeValue(f).startsWith(`${printed!}`),
      `${f.name}: README says "${readmeValue(f)}", the code gives "${printed}"`,
    ).toBe(true);
  }
}

describe("the README's goodput-against-loss tables", () => {
  it("TCP sliding window, 10 MB over 4 routers, 0 to 5% loss: the tcp bench's (d) rows", () => {
    const figures = lossTableFigures(
      goodputVsLoss(tcpTransport(), LOSS_RATES, { bytes: BYTES }),
      "TCP sliding window",
      BYTES,
    );
    expect(figures).toHaveLength(4);
    expectInReadme(figures);
  });

  it("NAK-only, the same transfers: the tcp bench's (d) rows and the nak bench's rows", () => {
    const points = goodputVsLoss(nakTransport(), LOSS_RATES, { bytes: BYTES });
    expectInReadme(lossTableFigures(points, "NAK-only", BYTES));
    expectInReadme(nakLossFigures(points, BYTES));
    expectInReadme([nakFreeRateFigure(BYTES)]);
  });

  it("a row the code does not give is caught", () => {
    const wrong: Figure = {
      name: "(d) TCP sliding window, 1% loss, 10 MB over 4 routers (retx 62, RTOs 0)",
      value: 14.9,
      unit: "Mbit/s (virtual)",
    };
    expect(readmeValue(wrong)).toBe("13.7 Mbit/s (virtual)");
    expect(readmeValue(wrong).startsWith(formatFigure(wrong)[1]!)).toBe(false);
  });
});
