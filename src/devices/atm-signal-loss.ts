// Loss of signal on ATM links: the cells a crashed device had scheduled are never sent.
//
// Contract:
// - Cells travel in trains handed to the link whole when they are scheduled (atm-link.ts), so
//   the cells a device had scheduled but not yet sent when it crashed are already on their way
//   in the emulator. The crashed device calls AtmLink.signalLoss(end, sentUntil): when the
//   light stops reaching the far device (now + delay) it gets EV_SIGNAL_LOSS naming the end of
//   the window, sentUntil + delay. Cells arriving inside (start, end] were never sent.
// - The far device first processes every cell that arrived by then, then opens the window on
//   that port (open()); it drops the cells arriving inside it, counted as lost to the crash.
// - A crashed sender keeps its cell schedule: after a restart it sends from where what it had
//   scheduled would have ended, so its new cells arrive after the window and the link stays
//   FIFO (a restart sooner than that waits at most one queue's drain time).
// - Windows on one port that overlap merge. No allocation; per train or per pass, one compare
//   when no window is open.

/** Open loss-of-signal windows, one per port: cells arriving in (from, until] are lost. */
export class SignalLossWindows {
  readonly from: Float64Array;
  readonly until: Float64Array;

  constructor(ports: number) {
    this.from = new Float64Array(ports);
    this.until = new Float64Array(ports);
  }

  /** The signal on `port` is lost from `now` (every cell arrived by now processed) until `until`. */
  open(port: number, now: number, until: number): void {
    if (until <= now) return;
    if (this.until[port]! > this.from[port]! && this.until[port]! >= now) {
      if (until > this.until[port]!) this.until[port] = until;
      return;
    }
    this.from[port] = now;
    this.until[port] = until;
  }

  /** True while a window is open on `port` (one compare: the hot paths' check). */
  isOpen(port: number): boolean {
    return this.until[port]! > this.from[port]!;
  }

  /** Forgets the window of `port` once every cell up to `now` is processed and it has passed. */
  closeIfPast(port: number, now: number): void {
    if (this.until[port]! <= now) this.from[port] = this.until[port] = 0;
  }

  /** True when a cell arriving at `a` on `port` falls inside its window. */
  covers(port: number, a: number): boolean {
    return a > this.from[port]! && a <= this.until[port]!;
  }
}

/**
 * How many of a train's n cells (cell i arrives at base + ceil((j0 + i + 1) num / den)) have
 * arrived by time t, clamped to 0..n.
 */
export function cellsArrivedBy(t: number, base: number, j0: number, num: number, den: number, n: number): number {
  const k = Math.floor(((t - base) * den) / num) - j0;
  return k < 0 ? 0 : k > n ? n : k;
}
