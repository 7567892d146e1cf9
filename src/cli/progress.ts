// Runs a network to a virtual time in slices, showing a progress bar on an interactive
// terminal and nothing when output is piped or CI is set (the bar goes to stderr, so --json on
// stdout stays clean either way).
//
// Slicing does not change the trajectory: Scheduler.runUntil(t) dispatches exactly the events
// with time <= t, so running to T in one call or in k slices dispatches the same events in the
// same order and gives the same fingerprint.

import { SingleBar, Presets } from "cli-progress";
import type { Network, RunResult } from "../run/network.js";
import { formatDuration } from "../base/units.js";

export interface ProgressOptions {
  /** Show a bar (default: stderr is a TTY and CI is not set). */
  enabled?: boolean;
  /** Number of slices (default 200). */
  slices?: number;
}

export function progressWanted(): boolean {
  return process.stderr.isTTY === true && !process.env["CI"];
}

/** A bar counting finished points (sweep, compare) in `format`; undefined when none is wanted. */
export function pointsBar(format: string, quiet: boolean): SingleBar | undefined {
  if (quiet || !progressWanted()) return undefined;
  return new SingleBar({ format, stream: process.stderr, hideCursor: true }, Presets.shades_classic);
}

/** Runs `net` until virtual time `untilNs`; returns the combined result of all slices. */
export function runWithProgress(net: Network, untilNs: number, options: ProgressOptions = {}): RunResult {
  const enabled = options.enabled ?? progressWanted();
  const start = net.now;
  if (!enabled) {
    return net.run(untilNs);
  }
  const slices = Math.max(1, options.slices ?? 200);
  const bar = new SingleBar(
    {
      format: " {bar} {percentage}% | {sim} simulated | {events} events",
      stream: process.stderr,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  bar.start(untilNs - start, 0, { sim: formatDuration(start), events: 0 });
  let events = 0;
  let wallTimeMs = 0;
  let last: RunResult | undefined;
  try {
    for (let i = 1; i <= slices; i++) {
      const t = i === slices ? untilNs : start + Math.floor(((untilNs - start) * i) / slices);
      if (t < net.now) continue;
      last = net.run(t);
      events += last.events;
      wallTimeMs += last.wallTimeMs;
      bar.update(t - start, { sim: formatDuration(t), events });
    }
  } finally {
    bar.stop();
  }
  const final = last ?? net.run(untilNs);
  return { ...final, events, wallTimeMs };
}

/** A bar driven from outside (a partitioned run reports the virtual time its windows reached). */
export class ProgressBar {
  private readonly bar: SingleBar;
  constructor(private readonly endNs: number) {
    this.bar = new SingleBar(
      { format: " {bar} {percentage}% | {sim} simulated", stream: process.stderr, hideCursor: true },
      Presets.shades_classic,
    );
    this.bar.start(endNs, 0, { sim: formatDuration(0) });
  }
  update(simTimeNs: number): void {
    const t = Math.min(simTimeNs, this.endNs);
    this.bar.update(t, { sim: formatDuration(t) });
  }
  stop(): void {
    this.bar.stop();
  }
}
