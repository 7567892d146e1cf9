// Progress on an interactive terminal: a bar that follows a run's virtual time and events
// (RunProgressBar), and a bar counting finished points (sweep, compare). Nothing when output is
// piped or CI is set; bars go to stderr, so --json on stdout stays clean either way.
//
// Contract: a bar hides the cursor and turns line wrapping off while it is drawn; stop() puts
// both back, and restoreTerminal() does the same for a process about to exit without stop().

import { Presets, SingleBar } from "cli-progress";
import { formatDuration } from "../base/units.js";

export function progressWanted(): boolean {
  return process.stderr.isTTY === true && !process.env["CI"];
}

/** A bar counting finished points (sweep, compare) in `format`; undefined when none is wanted. */
export function pointsBar(format: string, quiet: boolean): SingleBar | undefined {
  if (quiet || !progressWanted()) return undefined;
  return new SingleBar({ format, stream: process.stderr, hideCursor: true }, Presets.shades_classic);
}

/** Shows the cursor and turns line wrapping back on (what a bar turns off), on a terminal. */
export function restoreTerminal(): void {
  if (process.stderr.isTTY === true) process.stderr.write("\x1b[?25h\x1b[?7h");
}

/** A run's bar: virtual time reached of the run's end, and events dispatched. */
export class RunProgressBar {
  private readonly bar: SingleBar;
  private readonly endNs: number;
  private stopped = false;

  constructor(endNs: number) {
    this.endNs = endNs;
    this.bar = new SingleBar(
      {
        format: " {bar} {percentage}% | {sim} of {end} simulated | {events} events",
        stream: process.stderr,
        hideCursor: true,
        // Virtual time can be 10^15 ns and more: the bar counts per mille of it, not ns.
        etaBuffer: 20,
      },
      Presets.shades_classic,
    );
    this.bar.start(1000, 0, { sim: formatDuration(0), end: formatDuration(endNs), events: "0" });
  }

  update(simTimeNs: number, events: number): void {
    const t = Math.min(simTimeNs, this.endNs);
    this.bar.update(Math.floor((t / this.endNs) * 1000), {
      sim: formatDuration(t),
      events: events.toLocaleString("en-US"),
    });
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.bar.stop();
  }
}
