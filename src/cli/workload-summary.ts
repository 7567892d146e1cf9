// The human summary's workload lines (`netloom run` without --json): per primary-backup
// service its calls, failovers and every split (who saw which primary, from when to when, what
// each side accepted); per stream-breaks workload how many streams broke and the spread; per
// rpc-udp workload its outcomes, executions per call, counters and what the protocol did; each
// two-phase-commit workload its outcomes, commit latency, log writes, messages, each
// participant's blocked time and the atomicity check.

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
  if (report.rpcUdp !== undefined) out.push("", "rpc-udp workloads:", ...rpcUdpLines(report.rpcUdp));
  for (const w of report.twoPhaseCommit ?? []) out.push(...commitLines(w));
  return out;
}

/** Per workload: outcomes, executions per call, and what the protocol did about failures. */
function rpcUdpLines(workloads: NonNullable<RunReport["rpcUdp"]>): string[] {
  return workloads.map((w) => {
    const o = w.outcomes;
    const hist = Object.entries(w.executionsPerCall)
      .map(([k, n]) => `${k}x ${n}`)
      .join(", ");
    const counters = Object.entries(w.counters)
      .map(([h, v]) => `${h} ${v}`)
      .join(", ");
    return (
      `  ${w.name.padEnd(12)} ${w.semantics} ${w.operation}: ${w.calls} calls, ok ${o.ok}, failed ${o.failed}, ` +
      `unknown ${o.unknown}${o.pending > 0 ? `, pending ${o.pending}` : ""}; executions per call ${hist}; ` +
      `counter ${counters}; ${w.retransmissions} retransmissions, ${w.duplicatesSuppressed} duplicates suppressed, ` +
      `orphans ${w.orphans.detected} detected ${w.orphans.exterminated} exterminated`
    );
  });
}

function commitLines(w: NonNullable<RunReport["twoPhaseCommit"]>[number]): string[] {
  const x = w.transactions;
  const lat = w.commitLatencyNs;
  const a = w.atomicity;
  const ms = (v: number | null): string => (v === null ? "-" : t(v));
  return [
    "",
    `two-phase-commit ${w.name} (${w.protocol}, ${w.coordinator} -> ${w.participants.join(", ")}): ${x.due} due, ` +
      `${x.started} started${x.notStarted > 0 ? ` (${x.notStarted} not: coordinator down)` : ""}` +
      `${x.refused > 0 ? `, ${x.refused} refused` : ""}, ${x.committed} committed, ${x.aborted} aborted, ${x.undecided} undecided`,
    `  commit latency p50 ${ms(lat.p50)} p90 ${ms(lat.p90)} p99 ${ms(lat.p99)}; log writes ${w.log.forced} forced, ` +
      `${w.log.lazy} lazy; ${w.messages.total} messages (${w.messages.retransmissions} resent)`,
    `  blocked: ${w.perParticipant.map((p) => `${p.host} ${p.blockedNs > 0 ? t(p.blockedNs) : "0"}`).join(", ")}`,
    `  atomicity: ${a.transactions} transactions checked on the participants' durable logs, ` +
      `${a.violations === 0 ? "no violation" : `${a.violations} violations`}`,
  ];
}
