// The human summary's workload lines (`netloom run` without --json): per primary-backup
// service its calls, failovers and every split (who saw which primary, from when to when, what
// each side accepted); per stream-breaks workload how many streams broke and the spread.

import { formatDuration } from "../base/units.js";
import type { RunReport } from "../run/run-report.js";

/** Times to a millisecond's precision and below (1.061 s, 150.0 ms), short ones as they are. */
function t(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(3)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(1)} ms`;
  return formatDuration(ns);
}

export function workloadLines(report: RunReport): string[] {
  const out: string[] = [];
  for (const w of report.primaryBackup ?? []) {
    const s = w.summary;
    out.push(
      "",
      `primary-backup ${w.name}: calls ${s.calls} (ok ${s.ok}, failed ${s.failed}), failovers ${s.failovers}, ` +
        `takeovers ${s.takeovers}, step-downs ${s.stepDowns}, ${s.splits === 0 ? "no split" : `splits ${s.splits} (${t(s.splitNs)})`}`,
    );
    for (const sp of w.splitBrain.splits) {
      const sides = sp.sides.map((x) => {
        const fate =
          x.steppedDownAtNs === null ? "" : `, stepped down at ${t(x.steppedDownAtNs)}: ${x.discarded} discarded`;
        return `${x.clients.join(", ")} -> ${x.server} (epoch ${x.epoch}, ${x.accepted} accepted${fate})`;
      });
      out.push(
        `  split ${t(sp.fromNs)} to ${t(sp.toNs)}${sp.ongoing ? " (still open at the end)" : ""}: ${sides.join("; ")}`,
      );
    }
  }
  for (const w of report.streamBreaks ?? []) {
    const span =
      w.firstBreakNs === null
        ? ""
        : `, first at ${t(w.firstBreakNs)}, last at ${t(w.lastBreakNs!)}, spread ${t(w.spreadNs!)}`;
    out.push(
      "",
      `stream-breaks ${w.name} ${w.from} -> ${w.to}: ${w.broken} of ${w.streams.length} streams broke${span}`,
    );
    for (const s of w.streams) {
      const end = (host: string, e: (typeof s)["from"]): string =>
        e.brokeAtNs === null ? `${host} ${e.state}` : `${host} broke at ${t(e.brokeAtNs)} (${e.reason})`;
      out.push(`  stream ${s.stream} (port ${s.port}): ${end(w.from, s.from)}; ${end(w.to, s.to)}`);
    }
  }
  return out;
}
