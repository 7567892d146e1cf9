// TCP connection options: what an application may ask for, the checks and defaults, and what the
// two ends agree on in the SYN exchange (MSS, window scale, SACK-permitted).
//
// Contract:
// - resolveTcpOptions() checks every option and fills in the defaults; a bad one throws
//   NetloomError(INVALID_ARGUMENT) naming it. The result holds numbers and booleans only.
// - TcpNegotiated holds one connection's outcome of the SYN exchange: the send MSS, both window
//   shifts (RFC 7323: both sides or neither) and SACK (RFC 2018: both sides offered it).
//   takeSynOptions() fills it from a received SYN and never throws (the options come from the
//   wire). Our SYN offers MSS, window scale and SACK-permitted as the options allow.
// - Not handled: timestamps/PAWS, ECN negotiation, data on SYN segments.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { TCP_MAX_WINDOW_SCALE, type TcpRepr } from "../../wire/tcp.js";

export interface KeepAliveOptions {
  /** Idle time before the first probe, ns (default 2 h, RFC 1122 4.2.3.6). */
  idle?: number;
  /** Time between unanswered probes, ns (default 75 s). */
  interval?: number;
  /** Unanswered probes before the connection is declared dead (default 9). */
  count?: number;
}

export interface TcpConnectionOptions {
  /** Send buffer (high-water mark), bytes (default 256 KiB). */
  sendBuffer?: number;
  /** A blocked writer is woken (onWritable) when buffered bytes fall to this (default sendBuffer / 2). */
  lowWater?: number;
  /** Receive buffer, bytes: bounds the advertised window (default 256 KiB). */
  receiveBuffer?: number;
  /** MSS we announce (default: MTU - 40). */
  mss?: number;
  /** Turns Nagle's algorithm off (default false: Nagle on). */
  noDelay?: boolean;
  /** Delayed-ack time, ns (default 40 ms; 0 acks every segment at once). */
  delayedAck?: number;
  /** Ack at once after this many full-sized segments (default 2). */
  ackEvery?: number;
  /** Offer SACK (default true). */
  sack?: boolean;
  /** Offer window scaling (default true). */
  windowScale?: boolean;
  /** Initial congestion window in segments (default: RFC 5681 3.1 rule, 2 to 4). */
  initialWindow?: number;
  /** RFC 6298 bounds, ns (defaults 1 s min, 60 s max, initial 1 s). */
  minRto?: number;
  maxRto?: number;
  initialRto?: number;
  /** Retransmission timeouts in a row before the connection fails (default 12). */
  maxRetries?: number;
  /** SYN (or SYN-ACK) transmissions before giving up (default 6). */
  synRetries?: number;
  /** TIME-WAIT duration (2 MSL), ns (default 60 s). */
  timeWait?: number;
  /** Keep-alive probes (off unless given). */
  keepAlive?: KeepAliveOptions;
  /** Burst trains of at most `train` segments, one ack per train (off unless given). */
  burst?: { train: number };
}

/** Resolved options (numbers only). */
export interface ResolvedTcpOptions {
  sendBuffer: number;
  lowWater: number;
  receiveBuffer: number;
  mss: number;
  noDelay: boolean;
  delayedAck: number;
  ackEvery: number;
  sack: boolean;
  windowScale: boolean;
  initialWindow: number;
  minRto: number;
  maxRto: number;
  initialRto: number;
  maxRetries: number;
  synRetries: number;
  timeWait: number;
  keepAlive: boolean;
  keepIdle: number;
  keepInterval: number;
  keepCount: number;
  burstTrain: number;
}

const DEFAULT_BUFFER = 256 * 1024;
export const NS_PER_MS = 1_000_000;

function int(path: string, v: number | undefined, fallback: number, min: number, max: number): number {
  const x = v ?? fallback;
  if (!Number.isInteger(x) || x < min || x > max) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(x)} is not an integer in [${min}, ${max}]`, { path });
  }
  return x;
}

/** Checks and completes connection options (throws NetloomError naming the option). */
export function resolveTcpOptions(o: TcpConnectionOptions, mtu: number): ResolvedTcpOptions {
  const sendBuffer = int("sendBuffer", o.sendBuffer, DEFAULT_BUFFER, 1, 1 << 30);
  const receiveBuffer = int("receiveBuffer", o.receiveBuffer, DEFAULT_BUFFER, 1, 1 << 30);
  const ka = o.keepAlive;
  const minRto = int("minRto", o.minRto, 1000 * NS_PER_MS, 1, 2 ** 52);
  const maxRto = int("maxRto", o.maxRto, 60_000 * NS_PER_MS, minRto, 2 ** 52);
  return {
    sendBuffer,
    lowWater: int("lowWater", o.lowWater, sendBuffer >>> 1, 0, sendBuffer),
    receiveBuffer,
    mss: int("mss", o.mss, mtu - 40, 64, mtu - 40),
    noDelay: o.noDelay ?? false,
    delayedAck: int("delayedAck", o.delayedAck, 40 * NS_PER_MS, 0, 500 * NS_PER_MS),
    ackEvery: int("ackEvery", o.ackEvery, 2, 1, 64),
    sack: o.sack ?? true,
    windowScale: o.windowScale ?? true,
    initialWindow: int("initialWindow", o.initialWindow, 0, 0, 1024),
    minRto,
    maxRto,
    initialRto: int(
      "initialRto",
      o.initialRto,
      Math.max(minRto, 1000 * NS_PER_MS) > maxRto ? maxRto : Math.max(minRto, 1000 * NS_PER_MS),
      minRto,
      maxRto,
    ),
    maxRetries: int("maxRetries", o.maxRetries, 12, 1, 100),
    synRetries: int("synRetries", o.synRetries, 6, 1, 100),
    timeWait: int("timeWait", o.timeWait, 60_000 * NS_PER_MS, 0, 2 ** 52),
    keepAlive: ka !== undefined,
    keepIdle: int("keepAlive.idle", ka?.idle, 7_200_000 * NS_PER_MS, 1, 2 ** 52),
    keepInterval: int("keepAlive.interval", ka?.interval, 75_000 * NS_PER_MS, 1, 2 ** 52),
    keepCount: int("keepAlive.count", ka?.count, 9, 1, 1000),
    burstTrain: o.burst === undefined ? 0 : int("burst.train", o.burst.train, 0, 2, 1024),
  };
}

/** The window shift we offer: the smallest that lets the receive buffer be advertised whole. */
export function ourWindowScale(receiveBuffer: number): number {
  let shift = 0;
  while (shift < TCP_MAX_WINDOW_SCALE && receiveBuffer >>> shift > 0xffff) shift++;
  return shift;
}

/** Initial congestion window, bytes: the option's segments, else RFC 5681 3.1 (2 to 4 SMSS). */
export function initialWindow(opt: ResolvedTcpOptions, smss: number): number {
  if (opt.initialWindow > 0) return opt.initialWindow * smss;
  return smss > 2190 ? 2 * smss : smss > 1095 ? 3 * smss : 4 * smss;
}

/** What one connection's SYN exchange agreed (defaults until a SYN arrives). */
export class TcpNegotiated {
  /** Send MSS: the smallest of the peer's MSS (536 when absent), ours and the link's. */
  smss = 536;
  /** Shift of the peer's advertised window, and of ours. */
  sndScale = 0;
  rcvScale = 0;
  sackOk = false;
  /** Both ends offered window scaling. */
  wsAgreed = false;

  /** Options of a received SYN: MSS, window scale (both sides or neither), SACK-permitted. */
  takeSynOptions(opt: ResolvedTcpOptions, r: TcpRepr, mtu: number): void {
    this.smss = Math.max(64, Math.min(r.mss ?? 536, mtu - 40, opt.mss));
    this.wsAgreed = opt.windowScale && r.windowScale !== undefined;
    this.sndScale = this.wsAgreed ? Math.min(r.windowScale!, TCP_MAX_WINDOW_SCALE) : 0;
    this.rcvScale = this.wsAgreed ? ourWindowScale(opt.receiveBuffer) : 0;
    this.sackOk = opt.sack && r.sackPermitted;
  }
}
