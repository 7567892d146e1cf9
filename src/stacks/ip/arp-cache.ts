// ArpCache: the host side of ARP (RFC 826) for one Ethernet interface: a cache of IPv4 ->
// MAC entries with a lifetime, a bounded queue of packets waiting for each resolution, and
// request retries.
//
// Contract:
// - A Reachable entry older than `timeout` counts as absent at the next lookup (no timer, so an
//   idle simulation stays idle). Any ARP packet from a cached sender refreshes its entry
//   (RFC 826 "merge"); a packet addressed to us also creates the sender's entry; a request for
//   our address gets a unicast reply.
// - Each Incomplete entry holds at most `queueLimit` frames (IPv4 packets without their
//   Ethernet header). One more is dropped (the newest: the ones already waiting keep their
//   order) and counted as QUEUE_OVERFLOW. When resolution fails the waiting frames are
//   released and counted as RESOLUTION_FAILED (no ICMP host unreachable is generated).
// - Bounded per interface: at most ARP_MAX_ENTRIES entries (expired ones are swept out when the
//   table is full; then a new neighbour is refused, TABLE_FULL, and a request from an uncached
//   sender is answered without caching it) and at most ARP_MAX_QUEUED frames waiting over all
//   neighbours together (one more is dropped, QUEUE_TOTAL_FULL), so one interface can never
//   take the whole frame pool. A device with several interfaces (a router) passes one
//   FrameBudget to all its caches: past it, DEVICE_QUEUE_FULL, so the device as a whole is
//   bounded too.
// - Timers go through the owner's schedule/cancel (a = neighbour IP as int32), so they are
//   deterministic events of the host; destroy() cancels them and releases queued frames.
// - Ownership: enqueue() takes the frame; it is handed back through ArpOwner.transmitTo() or
//   released. Nothing here throws on input from the wire.

import { FrameBudget, NO_FRAME, type FrameStore } from "../../buf/frames.js";
import { ARP_OP_REPLY, ARP_OP_REQUEST, type ArpRepr } from "../../wire/arp.js";

/** Most entries one interface's cache holds. */
export const ARP_MAX_ENTRIES = 8192;
/** Most frames waiting for resolutions on one interface, all neighbours together. */
export const ARP_MAX_QUEUED = 512;
/** Most frames waiting for resolutions on one device (a router), all interfaces together. */
export const ARP_MAX_QUEUED_PER_DEVICE = 2048;

/**
 * Entry state machine (per neighbour IP; "absent" means no entry):
 *
 *
 *                 lookup miss: send request,          reply/request from it
 *      absent ---- queue packet, arm retry -----> Incomplete ---------------> Reachable
 *        ^   ^                                   |   ^   | retry timer:        |
 *        |   |   retries exhausted: drop queued  |   +---+ re-send request     |
 *        |   +---- packets (RESOLUTION_FAILED) --+         (retries left)      |
 *        +------------------------------------ lifetime over (checked lazily) -+
 *
 */
export const ArpEntryState = { INCOMPLETE: 0, REACHABLE: 1 } as const;
export type ArpEntryState = (typeof ArpEntryState)[keyof typeof ArpEntryState];

/** What the cache needs from its host. */
export interface ArpOwner {
  readonly ip: number;
  readonly mac: number;
  /** Sends an ARP packet (op, target MAC, target IP) to Ethernet destination ethDst. */
  sendArp(op: number, targetMac: number, targetIp: number, ethDst: number): void;
  /** Sends a waiting IPv4 frame (no Ethernet header yet) to `mac`; takes the frame. */
  transmitTo(frame: number, mac: number): void;
  releaseFrame(frame: number): void;
  /** Schedules the retry timer of neighbour `ip` after `delay` ns; returns a cancel handle. */
  scheduleArpTimer(delay: number, ip: number): number;
  cancelTimer(handle: number): void;
  now(): number;
}

export interface ArpOptions {
  /** Lifetime of a resolved entry, ns (default 60 s). */
  timeout: number;
  /** Frames waiting per unresolved neighbour (default 3). */
  queueLimit: number;
  /** Requests sent before giving up (default 3). */
  retries: number;
  /** Time between requests, ns (default 1 s). */
  retryInterval: number;
}

export const DEFAULT_ARP_OPTIONS: ArpOptions = {
  timeout: 60e9,
  queueLimit: 3,
  retries: 3,
  retryInterval: 1e9,
};

export interface ArpStats {
  entries: number;
  requestsSent: number;
  repliesSent: number;
  requestsReceived: number;
  repliesReceived: number;
  resolved: number;
  /** Entries that timed out (found stale at lookup). */
  expired: number;
  failedResolutions: number;
  /** Frames sent after waiting for a resolution. */
  queuedSent: number;
  drops: Record<string, number>;
}

class ArpEntry {
  state: ArpEntryState = ArpEntryState.INCOMPLETE;
  mac = 0;
  /** When a Reachable entry stops being valid. */
  expiresAt = 0;
  /** Requests sent for this resolution. */
  tries = 0;
  timer = -1;
  readonly queue: Int32Array;
  queued = 0;

  constructor(queueLimit: number) {
    this.queue = new Int32Array(Math.max(queueLimit, 1)).fill(NO_FRAME);
  }
}

export class ArpCache {
  private readonly entries = new Map<number, ArpEntry>();
  private readonly opts: ArpOptions;
  private readonly owner: ArpOwner;
  readonly counters = {
    requestsSent: 0,
    repliesSent: 0,
    requestsReceived: 0,
    repliesReceived: 0,
    resolved: 0,
    expired: 0,
    failedResolutions: 0,
    queuedSent: 0,
  };
  readonly drops: Record<string, number> = {};
  /** Frames waiting over all entries. */
  private queuedTotal = 0;

  /** Frames waiting over every cache of the device (its own when it has one interface). */
  private readonly budget: FrameBudget;

  constructor(owner: ArpOwner, options: ArpOptions, budget?: FrameBudget) {
    this.owner = owner;
    this.opts = options;
    this.budget = budget ?? new FrameBudget(ARP_MAX_QUEUED);
  }

  /** The MAC for `ip` when a fresh Reachable entry exists, else -1. Expires stale entries. */
  lookup(ip: number): number {
    const e = this.entries.get(ip);
    if (e === undefined || e.state !== ArpEntryState.REACHABLE) return -1;
    if (this.owner.now() >= e.expiresAt) {
      this.entries.delete(ip);
      this.counters.expired++;
      return -1;
    }
    return e.mac;
  }

  /** Queues `frame` until `ip` resolves; starts the resolution if none is running. Takes the frame. */
  enqueue(ip: number, frame: number): void {
    if (this.queuedTotal >= ARP_MAX_QUEUED || this.budget.full) {
      this.drop(this.queuedTotal >= ARP_MAX_QUEUED ? "QUEUE_TOTAL_FULL" : "DEVICE_QUEUE_FULL");
      this.owner.releaseFrame(frame);
      return;
    }
    let e = this.entries.get(ip);
    if (e === undefined) {
      if (!this.hasRoom()) {
        this.drop("TABLE_FULL");
        this.owner.releaseFrame(frame);
        return;
      }
      e = new ArpEntry(this.opts.queueLimit);
      this.entries.set(ip, e);
      this.sendRequest(ip, e);
    }
    if (e.queued >= this.opts.queueLimit) {
      this.drop("QUEUE_OVERFLOW");
      this.owner.releaseFrame(frame);
      return;
    }
    e.queue[e.queued++] = frame;
    this.queuedTotal++;
    this.budget.held++;
  }

  /** Retry timer of neighbour `ip` fired: re-send, or give up and drop what waits. */
  onTimer(ip: number): void {
    const e = this.entries.get(ip);
    if (e === undefined || e.state !== ArpEntryState.INCOMPLETE) return;
    e.timer = -1;
    if (e.tries < this.opts.retries) {
      this.sendRequest(ip, e);
      return;
    }
    this.counters.failedResolutions++;
    for (let i = 0; i < e.queued; i++) {
      this.drop("RESOLUTION_FAILED");
      this.owner.releaseFrame(e.queue[i]!);
      e.queue[i] = NO_FRAME;
    }
    this.queuedTotal -= e.queued;
    this.budget.held -= e.queued;
    e.queued = 0;
    this.entries.delete(ip);
  }

  /** A parsed ARP packet arrived (RFC 826 reception algorithm). */
  input(p: ArpRepr): void {
    const me = this.owner.ip;
    if (p.operation === ARP_OP_REQUEST) this.counters.requestsReceived++;
    else this.counters.repliesReceived++;
    if (p.senderIp === me) {
      // Someone else claims our address (or our own packet came back): never cache it.
      this.drop("ADDRESS_CONFLICT");
      return;
    }
    let merged = false;
    const e = this.entries.get(p.senderIp);
    if (e !== undefined) {
      this.learn(p.senderIp, e, p.senderMac);
      merged = true;
    }
    if (p.targetIp !== me) {
      if (!merged) this.drop("NOT_FOR_US");
      return;
    }
    if (!merged && p.senderIp !== 0 && !this.hasRoom()) this.drop("TABLE_FULL");
    else if (!merged && p.senderIp !== 0) {
      const fresh = new ArpEntry(this.opts.queueLimit);
      this.entries.set(p.senderIp, fresh);
      this.learn(p.senderIp, fresh, p.senderMac);
    }
    if (p.operation === ARP_OP_REQUEST) {
      this.counters.repliesSent++;
      this.owner.sendArp(ARP_OP_REPLY, p.senderMac, p.senderIp, p.senderMac);
    }
  }

  /** Adds a permanent-for-`timeout` entry (static neighbour, tests). */
  set(ip: number, mac: number): void {
    let e = this.entries.get(ip);
    if (e === undefined) {
      e = new ArpEntry(this.opts.queueLimit);
      this.entries.set(ip, e);
    }
    this.learn(ip, e, mac);
  }

  /** The entry's state name, or "absent" (expired entries read as absent). */
  state(ip: number): "absent" | "incomplete" | "reachable" {
    const e = this.entries.get(ip);
    if (e === undefined) return "absent";
    if (e.state === ArpEntryState.INCOMPLETE) return "incomplete";
    return this.owner.now() >= e.expiresAt ? "absent" : "reachable";
  }

  /** Frames waiting for `ip`. */
  waiting(ip: number): number {
    return this.entries.get(ip)?.queued ?? 0;
  }

  stats(): ArpStats {
    return { entries: this.entries.size, ...this.counters, drops: { ...this.drops } };
  }

  /**
   * Cancels timers, forgets every entry and releases every waiting frame: counted as drops of
   * `reason` (a crash), or not counted when the host is going away.
   */
  destroy(reason?: string): void {
    // Sorted keys: release order must not depend on Map insertion order.
    for (const ip of [...this.entries.keys()].sort((a, b) => a - b)) {
      const e = this.entries.get(ip)!;
      if (e.timer >= 0) this.owner.cancelTimer(e.timer);
      if (reason !== undefined && e.queued > 0) this.drops[reason] = (this.drops[reason] ?? 0) + e.queued;
      for (let i = 0; i < e.queued; i++) this.owner.releaseFrame(e.queue[i]!);
      e.queued = 0;
    }
    this.entries.clear();
    this.budget.held -= this.queuedTotal;
    this.queuedTotal = 0;
  }

  // --- transitions ---

  /** absent/Incomplete -> Incomplete: one more request, retry timer armed. */
  private sendRequest(ip: number, e: ArpEntry): void {
    e.tries++;
    this.counters.requestsSent++;
    this.owner.sendArp(ARP_OP_REQUEST, 0, ip, 0xffff_ffff_ffff);
    e.timer = this.owner.scheduleArpTimer(this.opts.retryInterval, ip);
  }

  /** Any state -> Reachable: record the MAC, refresh the lifetime, flush the waiting frames. */
  private learn(_ip: number, e: ArpEntry, mac: number): void {
    if (e.state === ArpEntryState.INCOMPLETE) this.counters.resolved++;
    e.state = ArpEntryState.REACHABLE;
    e.mac = mac;
    e.expiresAt = this.owner.now() + this.opts.timeout;
    e.tries = 0;
    if (e.timer >= 0) {
      this.owner.cancelTimer(e.timer);
      e.timer = -1;
    }
    const n = e.queued;
    e.queued = 0;
    this.queuedTotal -= n;
    this.budget.held -= n;
    for (let i = 0; i < n; i++) {
      const f = e.queue[i]!;
      e.queue[i] = NO_FRAME;
      this.counters.queuedSent++;
      this.owner.transmitTo(f, mac);
    }
  }

  /** Room for one more entry, after sweeping out the expired ones when the table is full. */
  private hasRoom(): boolean {
    if (this.entries.size < ARP_MAX_ENTRIES) return true;
    const now = this.owner.now();
    for (const [ip, e] of this.entries) {
      if (e.state === ArpEntryState.REACHABLE && now >= e.expiresAt) {
        this.entries.delete(ip);
        this.counters.expired++;
      }
    }
    return this.entries.size < ARP_MAX_ENTRIES;
  }

  private drop(reason: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }
}

/**
 * The cache of an interface whose link has no ARP (ATM, U-Net): it reports ARP statistics like
 * any other interface's, and nothing ever asks it to resolve (a request would go nowhere).
 */
export function unusedArpCache(ip: number, frames: FrameStore, now: () => number, options: ArpOptions): ArpCache {
  const release = (frame: number): void => frames.release(frame);
  return new ArpCache(
    {
      ip,
      mac: 0,
      sendArp: () => {},
      transmitTo: release,
      releaseFrame: release,
      scheduleArpTimer: () => -1,
      cancelTimer: () => {},
      now,
    },
    options,
  );
}
