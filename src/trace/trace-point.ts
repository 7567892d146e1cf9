// Trace points: the named places in a device where frames are observed (ns-3 style).
//
// Contract:
// - Every device and channel exposes the same names (TRACE_POINT_NAMES): macTx, macTxDrop,
//   phyTxBegin, phyTxEnd, phyRxEnd, phyRxDrop, macRx, sniffer. Stats, pcap capture and event
//   listeners attach to trace points, never to device internals.
// - A hit always updates the point's own counters (frames, bytes, and for drop points a count
//   per DropReason): cheap field increments, so per-port/per-link statistics cost nothing
//   extra. Listeners are called only when there are some (`listeners.length` check), so an
//   untraced run pays no call per frame.
// - A listener gets (time, frame, length, reason); the frame id is valid only during the call
//   (read its bytes then, through the device's FrameStore; do not keep the id).
// - Nothing here allocates per hit.

import { ErrorCode, NetloomError } from "../base/errors.js";

export const TRACE_POINT_NAMES = [
  "macTx",
  "macTxDrop",
  "phyTxBegin",
  "phyTxEnd",
  "phyRxEnd",
  "phyRxDrop",
  "macRx",
  "sniffer",
] as const;
export type TracePointName = (typeof TRACE_POINT_NAMES)[number];

/** Why a frame was dropped. Stable numbers: they index counters and appear in reports. */
export const DropReason = {
  NONE: 0,
  /** Drop-tail: the transmit/output queue was full. */
  QUEUE_FULL: 1,
  /** The link was down. */
  LINK_DOWN: 2,
  /** Random loss (independent per frame). */
  LOSS_RANDOM: 3,
  /** Bursty loss (Gilbert-Elliott bad state). */
  LOSS_BURST: 4,
  /** The receiver had no free receive buffer. */
  NO_RX_BUFFER: 5,
  /** The Ethernet FCS did not match (corrupted on the wire). */
  FCS_ERROR: 6,
  /** The NIC's address filter did not accept the destination. */
  ADDRESS_FILTER: 7,
  /** Shorter than the minimum frame, or too short to parse. */
  RUNT: 8,
  /** Longer than the medium's maximum. */
  TOO_LONG: 9,
  /** CSMA/CD gave up after 16 transmission attempts. */
  EXCESSIVE_COLLISIONS: 10,
  /** Destroyed by a collision on a shared medium. */
  COLLISION: 11,
  /** A switch does not send a frame back out of the port it came in on. */
  SAME_PORT: 12,
  /** No buffer (slot) was free to copy or build the frame. */
  NO_SLOT: 13,
  /** The receiving device is down or has nothing attached. */
  NOT_ATTACHED: 14,
  /** The device crashed: what arrived while it was down, what it held or queued when it fell. */
  CRASHED: 15,
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];
export const DROP_REASON_COUNT = 16;

const DROP_REASON_NAMES: string[] = (() => {
  const names: string[] = [];
  for (const [name, value] of Object.entries(DropReason)) names[value] = name;
  return names;
})();

/** "QUEUE_FULL" for DropReason.QUEUE_FULL, in reports and errors. */
export function dropReasonName(reason: number): string {
  return DROP_REASON_NAMES[reason] ?? `REASON_${reason}`;
}

export type FrameListener = (time: number, frame: number, length: number, reason: number) => void;

export class TracePoint {
  readonly name: TracePointName;
  frames = 0;
  bytes = 0;
  /** Drops by reason (index: DropReason; entry 0, NONE, stays 0): all zero on points that never drop. */
  readonly byReason = new Float64Array(DROP_REASON_COUNT);
  readonly listeners: FrameListener[] = [];

  constructor(name: TracePointName) {
    this.name = name;
  }

  /** Records a frame passing (or being dropped, with its reason) at time `time`. */
  hit(time: number, frame: number, length: number, reason = 0): void {
    this.frames++;
    this.bytes += length;
    if (reason !== 0) this.byReason[reason]!++; // a pass, not a drop: frames says it all
    const ls = this.listeners;
    if (ls.length !== 0) for (let i = 0; i < ls.length; i++) ls[i]!(time, frame, length, reason);
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: FrameListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Drop counts by reason name (only reasons that occurred). */
  dropsByReason(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let r = 1; r < DROP_REASON_COUNT; r++) if (this.byReason[r]! > 0) out[dropReasonName(r)] = this.byReason[r]!;
    return out;
  }
}

/** The eight standard trace points of one device, port or channel direction. */
export class TracePoints {
  readonly macTx = new TracePoint("macTx");
  readonly macTxDrop = new TracePoint("macTxDrop");
  readonly phyTxBegin = new TracePoint("phyTxBegin");
  readonly phyTxEnd = new TracePoint("phyTxEnd");
  readonly phyRxEnd = new TracePoint("phyRxEnd");
  readonly phyRxDrop = new TracePoint("phyRxDrop");
  readonly macRx = new TracePoint("macRx");
  readonly sniffer = new TracePoint("sniffer");

  get(name: string): TracePoint {
    if (!(TRACE_POINT_NAMES as readonly string[]).includes(name)) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `"${name}" is not a trace point (${TRACE_POINT_NAMES.join(", ")})`,
        { path: "tracePoint" },
      );
    }
    return this[name as TracePointName];
  }
}
