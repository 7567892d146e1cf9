// RpcClient: request/response calls over a ByteStream (Birman ch. 4 and 5.3).
//
// Contract:
// - call(method, body, done, {timeout, retries}) sends a request with a fresh 32-bit request id
//   and returns the id. done(error, body) runs exactly once: with the response body (a copy the
//   caller keeps), or with an RpcFailure (RpcFailureCode). Failures known at call time are
//   reported through done() before call() returns.
// - Timeouts are scheduler events of the client (kind EV_RPC_TIMEOUT, a = call slot, b = the
//   slot's generation, so a stale timer is ignored); no closure per call besides the caller's.
// - Retries (default 0): on timeout the same request, with the SAME id, is sent again; the
//   server's duplicate suppression answers it from its reply cache or waits for the running
//   execution, so the method runs at most once. A response after its call completed (the reply
//   to an earlier attempt, or a replay) is counted as late and ignored.
// - Bounded: outstanding calls (a slot table), the send queue (bytes), the receive buffer
//   (header + maxMessageBytes). When the stream closes, every outstanding call fails with
//   STREAM_CLOSED and the reason, in slot order (deterministic), and later calls fail at once.
// - OPEN until the stream closes or ends, a framing error or close(); then CLOSED.
// - Not handled: reconnecting (a new client on a new stream; the server's duplicate table is per
// stream), cancellation of a call in progress on the server.

import { ErrorCode, NetloomError, checkInteger } from "../../base/errors.js";
import { parseDuration } from "../../base/units.js";
import type { Simulation } from "../../engine/simulation.js";
import { EV_DEVICE_BASE } from "../../devices/device.js";
import { acceptedCount, type ByteStream } from "./byte-stream.js";
import { DEFAULT_MAX_MESSAGE, RPC_HEADER_LEN, RpcDecoder, RpcKind, RpcWriter, encodeRpcMessage } from "./rpc-frame.js";

export const EV_RPC_TIMEOUT = EV_DEVICE_BASE;

/**
 *   TIMEOUT         no response after the timeout and every retry
 *   REMOTE          the server answered with an error message
 *   STREAM_CLOSED   the stream broke or ended with the call outstanding (message says why)
 *   PROTOCOL        the stream carried a malformed message (the client closes the stream)
 *   TOO_MANY_CALLS  `maxOutstanding` calls are already outstanding
 *   SEND_QUEUE_FULL the request does not fit the bounded send queue
 */
export type RpcFailureCode = "TIMEOUT" | "REMOTE" | "STREAM_CLOSED" | "PROTOCOL" | "TOO_MANY_CALLS" | "SEND_QUEUE_FULL";

export interface RpcFailure {
  code: RpcFailureCode;
  message: string;
}

export type RpcCallback = (error: RpcFailure | undefined, body: Uint8Array | undefined) => void;

export interface RpcClientOptions {
  /** Calls outstanding at once (default 64). */
  maxOutstanding?: number;
  /** Default per-call timeout (default 1 s). */
  timeout?: number | string;
  /** Default retries after a timeout (default 0). */
  retries?: number;
  /** Largest message body either way (default 65536). */
  maxMessageBytes?: number;
  /** Send queue bytes (default 4 x (header + maxMessageBytes)). */
  sendQueueBytes?: number;
}

export interface CallOptions {
  timeout?: number | string;
  retries?: number;
}

export interface RpcClientStats {
  state: "open" | "closed";
  closeReason: string | undefined;
  calls: number;
  completed: number;
  failed: Record<string, number>;
  retries: number;
  lateResponses: number;
  outstanding: number;
  outstandingHighWater: number;
  sendQueueHighWater: number;
}

export class RpcClient {
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  readonly stream: ByteStream;
  readonly maxOutstanding: number;
  readonly maxMessageBytes: number;
  private readonly defaultTimeout: number;
  private readonly defaultRetries: number;
  private closed = false;
  private closeReason: string | undefined;
  private nextId = 1;
  // Call slots.
  private readonly sId: Float64Array;
  private readonly sGen: Int32Array;
  private readonly sTimer: Float64Array;
  private readonly sRetries: Int32Array;
  private readonly sTimeout: Float64Array;
  private readonly sCb: (RpcCallback | undefined)[];
  private readonly sMsg: (Uint8Array | undefined)[];
  private readonly free: number[] = [];
  private readonly byId = new Map<number, number>();
  private readonly decoder: RpcDecoder;
  private readonly writer: RpcWriter;
  private readonly c = { calls: 0, completed: 0, retries: 0, lateResponses: 0, outstandingHighWater: 0 };
  private readonly failed: Record<string, number> = {};

  constructor(sim: Simulation, name: string, stream: ByteStream, options: RpcClientOptions = {}) {
    const maxOutstanding = options.maxOutstanding ?? 64;
    checkInteger("maxOutstanding", maxOutstanding, 1, 1 << 16);
    const maxMessage = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE;
    checkInteger("maxMessageBytes", maxMessage, 0, 1 << 26);
    const queue = options.sendQueueBytes ?? 4 * (RPC_HEADER_LEN + maxMessage);
    checkInteger("sendQueueBytes", queue, RPC_HEADER_LEN + maxMessage, 1 << 28);
    this.defaultTimeout = positiveDuration("timeout", options.timeout, 1e9);
    this.defaultRetries = options.retries ?? 0;
    checkInteger("retries", this.defaultRetries, 0, 1000);
    this.sim = sim;
    this.name = name;
    this.stream = stream;
    this.maxOutstanding = maxOutstanding;
    this.maxMessageBytes = maxMessage;
    this.sId = new Float64Array(maxOutstanding);
    this.sGen = new Int32Array(maxOutstanding);
    this.sTimer = new Float64Array(maxOutstanding).fill(-1);
    this.sRetries = new Int32Array(maxOutstanding);
    this.sTimeout = new Float64Array(maxOutstanding);
    this.sCb = new Array<RpcCallback | undefined>(maxOutstanding).fill(undefined);
    this.sMsg = new Array<Uint8Array | undefined>(maxOutstanding).fill(undefined);
    for (let i = maxOutstanding - 1; i >= 0; i--) this.free.push(i);
    this.decoder = new RpcDecoder(maxMessage, (id, kind, _method, bytes, off, len) =>
      this.onMessage(id, kind, bytes, off, len),
    );
    this.writer = new RpcWriter(queue, (b) => acceptedCount(stream.write(b), b.length));
    this.id = sim.register(name, this);
    stream.onData((b, off, len) => this.onData(b.subarray(off, off + len)));
    stream.onWritable(() => this.writer.flush());
    stream.onClose((reason) => this.shutdown(closeReason(reason, this.decoder.finish())));
    stream.onEnd?.(() => this.shutdown(closeReason("the server ended the stream", this.decoder.finish())));
  }

  get state(): "open" | "closed" {
    return this.closed ? "closed" : "open";
  }

  get outstanding(): number {
    return this.byId.size;
  }

  /** Sends a request; `done` runs once with the response or a failure. Returns the request id. */
  call(method: number, body: Uint8Array, done: RpcCallback, options: CallOptions = {}): number {
    checkInteger("method", method, 0, 0xffff);
    if (body.length > this.maxMessageBytes) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `a ${body.length}-byte request exceeds maxMessageBytes ${this.maxMessageBytes}`,
        {
          path: "body",
        },
      );
    }
    const timeout =
      options.timeout === undefined ? this.defaultTimeout : positiveDuration("timeout", options.timeout, 0);
    const retries = options.retries ?? this.defaultRetries;
    checkInteger("retries", retries, 0, 1000);
    this.c.calls++;
    if (this.closed)
      return this.failNow(done, 0, "STREAM_CLOSED", this.closeReason ?? "STREAM_CLOSED: the client is closed");
    const slot = this.free.pop();
    if (slot === undefined) {
      return this.failNow(done, 0, "TOO_MANY_CALLS", `${this.maxOutstanding} calls are already outstanding`);
    }
    const id = this.takeId();
    const msg = encodeRpcMessage(id, RpcKind.REQUEST, method, body);
    if (!this.writer.send(msg)) {
      this.free.push(slot);
      return this.failNow(done, id, "SEND_QUEUE_FULL", `the ${msg.length}-byte request does not fit the send queue`);
    }
    this.sId[slot] = id;
    this.sCb[slot] = done;
    this.sMsg[slot] = msg;
    this.sRetries[slot] = retries;
    this.sTimeout[slot] = timeout;
    this.byId.set(id, slot);
    if (this.byId.size > this.c.outstandingHighWater) this.c.outstandingHighWater = this.byId.size;
    this.arm(slot);
    return id;
  }

  /** Closes the stream (end) and fails what is outstanding. */
  close(): void {
    if (this.closed) return;
    this.shutdown("STREAM_CLOSED: closed by the client");
    this.stream.end();
  }

  stats(): RpcClientStats {
    return {
      state: this.state,
      closeReason: this.closeReason,
      ...this.c,
      completed: this.c.completed,
      failed: { ...this.failed },
      outstanding: this.byId.size,
      sendQueueHighWater: this.writer.highWater,
    };
  }

  handleEvent(kind: number, slot: number, gen: number, _len: number): void {
    if (kind !== EV_RPC_TIMEOUT || this.closed || this.sGen[slot] !== gen || this.sCb[slot] === undefined) return;
    this.sTimer[slot] = -1;
    if (this.sRetries[slot]! > 0) {
      this.sRetries[slot]!--;
      // Same id: the server recognises the retry.
      if (this.writer.send(this.sMsg[slot]!)) this.c.retries++;
      this.arm(slot);
      return;
    }
    this.complete(
      slot,
      { code: "TIMEOUT", message: `no response to request ${this.sId[slot]} within ${this.sTimeout[slot]! / 1e6} ms` },
      undefined,
    );
  }

  // --- internals ---

  private onData(bytes: Uint8Array): void {
    if (this.closed) return;
    const err = this.decoder.push(bytes);
    if (err !== undefined) {
      this.shutdown(`PROTOCOL: ${err}`);
      if (this.stream.abort !== undefined) this.stream.abort(err);
      else this.stream.end();
    }
  }

  private onMessage(id: number, kind: RpcKind, bytes: Uint8Array, off: number, len: number): void {
    if (this.closed) return;
    const slot = this.byId.get(id);
    if (slot === undefined || kind === RpcKind.REQUEST) {
      this.c.lateResponses++;
      return;
    }
    if (kind === RpcKind.RESPONSE) this.complete(slot, undefined, bytes.slice(off, off + len));
    else
      this.complete(
        slot,
        { code: "REMOTE", message: new TextDecoder().decode(bytes.subarray(off, off + len)) },
        undefined,
      );
  }

  private arm(slot: number): void {
    this.sGen[slot] = (this.sGen[slot]! + 1) | 0;
    this.sTimer[slot] = this.sim.scheduler.schedule(
      this.id,
      this.sTimeout[slot]!,
      this.id,
      EV_RPC_TIMEOUT,
      slot,
      this.sGen[slot]!,
      0,
    );
  }

  private complete(slot: number, error: RpcFailure | undefined, body: Uint8Array | undefined): void {
    const cb = this.sCb[slot]!;
    const timer = this.sTimer[slot]!;
    if (timer >= 0) this.sim.scheduler.cancel(timer);
    this.sTimer[slot] = -1;
    this.sGen[slot] = (this.sGen[slot]! + 1) | 0;
    this.sCb[slot] = undefined;
    this.sMsg[slot] = undefined;
    this.byId.delete(this.sId[slot]!);
    this.free.push(slot);
    if (error === undefined) this.c.completed++;
    else this.failed[error.code] = (this.failed[error.code] ?? 0) + 1;
    cb(error, body);
  }

  private failNow(done: RpcCallback, id: number, code: RpcFailureCode, message: string): number {
    this.failed[code] = (this.failed[code] ?? 0) + 1;
    done({ code, message }, undefined);
    return id;
  }

  private shutdown(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.writer.clear();
    const code: RpcFailureCode = reason.startsWith("PROTOCOL") ? "PROTOCOL" : "STREAM_CLOSED";
    for (let slot = 0; slot < this.maxOutstanding; slot++) {
      if (this.sCb[slot] !== undefined) this.complete(slot, { code, message: reason }, undefined);
    }
  }

  private takeId(): number {
    // Skip 0 and ids still outstanding (after 2^32 calls the counter wraps).
    let id = this.nextId;
    while (id === 0 || this.byId.has(id)) id = (id + 1) >>> 0;
    this.nextId = (id + 1) >>> 0;
    return id;
  }
}

/** Why the stream is gone: a message cut short is a protocol error, else the stream's reason. */
export function closeReason(reason: string | undefined, truncated: string | undefined): string {
  if (truncated !== undefined) return `PROTOCOL: ${truncated}${reason !== undefined ? ` (${reason})` : ""}`;
  return `STREAM_CLOSED: ${reason ?? "the stream was closed"}`;
}

function positiveDuration(name: string, value: number | string | undefined, fallback: number): number {
  const ns = value === undefined ? fallback : parseDuration(value, name);
  if (!(ns > 0))
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(value)} is not a positive duration`, { path: name });
  return ns;
}
