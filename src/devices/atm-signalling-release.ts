// Timer T308 of ITU-T Q.2931 (section 5.4.3 and 5.4.4): a signalling entity that sends RELEASE
// waits for RELEASE COMPLETE; when T308 runs out it sends RELEASE once more and starts T308
// again; when it runs out a second time the call reference is cleared and the event counted.
// A RELEASE lost on a link therefore no longer leaves the calls further on orphaned for good.
//
// Contract:
// - start(key, port, ref, flag, cause) records a RELEASE just sent (the entity has freed the
//   call's resources already) and starts T308 for it; `key` is the entity's own name for the
//   call reference on that port and side. complete(key) (RELEASE COMPLETE or a crossing
//   RELEASE arrived) stops it. has(key) keeps the reference from being given out again.
// - fire(id) is the entity's T308 event (EV_SIG_T308 with a = id): the first expiry resends
//   RELEASE through `resend` and counts `retransmits`; the second frees the record and counts
//   `timeouts`.
// - Bounded: at most `capacity` records; a release beyond it pushes out the oldest (counted
//   `evicted`). clear() cancels every timer (host failure, destroy). Nothing here throws.

import type { Simulation } from "../engine/simulation.js";
import { EV_SIG_T308 } from "./atm-signalling.js";

/** T308 (Q.2931 gives 30 s; netloom's timers are scaled like setupTimeout's 20 ms). */
export const DEFAULT_RELEASE_TIMEOUT_NS = 20_000_000;

interface PendingRelease {
  id: number;
  key: number;
  port: number;
  ref: number;
  flag: 0 | 1;
  cause: number;
  expiries: number;
  timer: number;
}

export type ResendRelease = (port: number, ref: number, flag: 0 | 1, cause: number) => void;

export class PendingReleases {
  retransmits = 0;
  timeouts = 0;
  evicted = 0;
  private readonly byKey = new Map<number, PendingRelease>();
  private readonly byId = new Map<number, PendingRelease>();
  private nextId = 1;

  constructor(
    private readonly sim: Simulation,
    private readonly owner: number,
    readonly timeoutNs: number,
    readonly capacity: number,
    private readonly resend: ResendRelease,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  has(key: number): boolean {
    return this.byKey.has(key);
  }

  start(key: number, port: number, ref: number, flag: 0 | 1, cause: number): void {
    this.complete(key);
    if (this.byKey.size >= this.capacity) {
      const oldest = this.byKey.values().next().value as PendingRelease;
      this.free(oldest);
      this.evicted++;
    }
    const r: PendingRelease = { id: this.nextId++, key, port, ref, flag, cause, expiries: 0, timer: -1 };
    r.timer = this.schedule(r.id);
    this.byKey.set(key, r);
    this.byId.set(r.id, r);
  }

  /** The far end answered (RELEASE COMPLETE, or RELEASE crossing ours): true if one was pending. */
  complete(key: number): boolean {
    const r = this.byKey.get(key);
    if (r === undefined) return false;
    this.free(r);
    return true;
  }

  fire(id: number): void {
    const r = this.byId.get(id);
    if (r === undefined) return;
    r.timer = -1;
    if (++r.expiries === 1) {
      this.retransmits++;
      this.resend(r.port, r.ref, r.flag, r.cause);
      r.timer = this.schedule(r.id);
      return;
    }
    this.timeouts++;
    this.free(r);
  }

  clear(): void {
    for (const r of this.byId.values()) if (r.timer >= 0) this.sim.scheduler.cancel(r.timer);
    this.byId.clear();
    this.byKey.clear();
  }

  private schedule(id: number): number {
    const sim = this.sim;
    return sim.scheduler.scheduleAt(this.owner, sim.now + this.timeoutNs, this.owner, EV_SIG_T308, id, 0, 0);
  }

  private free(r: PendingRelease): void {
    if (r.timer >= 0) this.sim.scheduler.cancel(r.timer);
    this.byKey.delete(r.key);
    this.byId.delete(r.id);
  }
}

/** What a signalling entity reports about its releases. */
export interface ReleaseCounters {
  /** RELEASEs sent and not yet answered by RELEASE COMPLETE. */
  releasing: number;
  /** T308 ran out once: RELEASE sent again. */
  releaseRetransmits: number;
  /** T308 ran out twice: the call reference cleared without an answer. */
  releaseTimeouts: number;
  /** Pending releases pushed out by newer ones past the bound. */
  releasesEvicted: number;
}

export function releaseCounters(p: PendingReleases): ReleaseCounters {
  return {
    releasing: p.size,
    releaseRetransmits: p.retransmits,
    releaseTimeouts: p.timeouts,
    releasesEvicted: p.evicted,
  };
}
