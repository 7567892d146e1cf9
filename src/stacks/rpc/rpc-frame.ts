// RPC message framing over a byte stream: length-prefixed messages.
//
//    0                   15 16                  31
//   +------------------------------------------+
//   |  length: bytes after this field (>= 8)   |  0
//   +------------------------------------------+
//   |  request id                              |  4
//   +----------+----------+--------------------+
//   |   kind   | reserved |     method id      |  8   kind: 1 request, 2 response, 3 error
//   +----------+----------+--------------------+
//   |  body (error: UTF-8 reason) ...          | 12
//   +------------------------------------------+
//   Integers big-endian. A response or error carries the request's id and method.
//
// Contract:
// - encodeRpcMessage() builds one message (a new array: the caller keeps it, e.g. for a retry
//   or the server's reply cache).
// - RpcDecoder reassembles messages from stream pieces cut anywhere, in a bounded buffer
//   (header + maxBody bytes). A length below 8, a body over maxBody, an unknown kind or a
//   non-zero reserved byte is a framing error: push() returns its text and the decoder stops
//   (the stream can no longer be trusted). finish() reports a message cut short by the end of
//   the stream. Messages are handed to the sink as (id, kind, method, bytes, offset, length);
//   the view is valid only during the call.

import { readU16, readU32, writeU16, writeU32 } from "../../wire/byte-view.js";

export const RPC_HEADER_LEN = 12;
/** Bytes the length field counts besides the body. */
const LENGTH_BASE = 8;

export const RpcKind = { REQUEST: 1, RESPONSE: 2, ERROR: 3 } as const;
export type RpcKind = (typeof RpcKind)[keyof typeof RpcKind];

export const DEFAULT_MAX_MESSAGE = 65536;

export function encodeRpcMessage(id: number, kind: RpcKind, method: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(RPC_HEADER_LEN + body.length);
  writeU32(out, 0, LENGTH_BASE + body.length);
  writeU32(out, 4, id);
  out[8] = kind;
  out[9] = 0;
  writeU16(out, 10, method);
  out.set(body, RPC_HEADER_LEN);
  return out;
}

export type RpcSink = (
  id: number,
  kind: RpcKind,
  method: number,
  bytes: Uint8Array,
  offset: number,
  length: number,
) => void;

export class RpcDecoder {
  readonly maxBody: number;
  private readonly buf: Uint8Array;
  private fill = 0;
  private failed: string | undefined;
  private readonly sink: RpcSink;
  messages = 0;

  constructor(maxBody: number, sink: RpcSink) {
    this.maxBody = maxBody;
    this.buf = new Uint8Array(RPC_HEADER_LEN + maxBody);
    this.sink = sink;
  }

  /** Feeds a piece of the stream; returns a framing error (and stops) or undefined. */
  push(bytes: Uint8Array): string | undefined {
    if (this.failed !== undefined) return this.failed;
    let at = 0;
    while (at < bytes.length) {
      const n = Math.min(bytes.length - at, this.buf.length - this.fill);
      this.buf.set(bytes.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      const err = this.drain();
      if (err !== undefined) {
        this.failed = err;
        return err;
      }
    }
    return undefined;
  }

  /** The stream ended: an error when it ended inside a message. */
  finish(): string | undefined {
    if (this.failed !== undefined) return this.failed;
    if (this.fill === 0) return undefined;
    const total = this.fill >= 4 ? 4 + readU32(this.buf, 0) : -1;
    return `TRUNCATED: the stream ended inside a message (${this.fill} of ${total >= 0 ? total : "?"} bytes)`;
  }

  /** Bytes waiting for the rest of their message. */
  get pending(): number {
    return this.fill;
  }

  private drain(): string | undefined {
    const b = this.buf;
    let off = 0;
    while (this.fill - off >= 4) {
      const length = readU32(b, off);
      if (length < LENGTH_BASE) return `BAD_LENGTH: a message length of ${length} is below the 8-byte header`;
      if (length - LENGTH_BASE > this.maxBody) {
        return `OVERSIZED: a ${length - LENGTH_BASE}-byte message body exceeds the limit of ${this.maxBody} bytes`;
      }
      if (this.fill - off < 4 + length) break;
      const kind = b[off + 8]!;
      if (kind < RpcKind.REQUEST || kind > RpcKind.ERROR)
        return `BAD_KIND: message kind ${kind} is not request, response or error`;
      if (b[off + 9] !== 0) return `BAD_FRAME: reserved byte is ${b[off + 9]}, not 0`;
      this.messages++;
      this.sink(
        readU32(b, off + 4),
        kind as RpcKind,
        readU16(b, off + 10),
        b,
        off + RPC_HEADER_LEN,
        length - LENGTH_BASE,
      );
      off += 4 + length;
    }
    if (off > 0) {
      b.copyWithin(0, off, this.fill);
      this.fill -= off;
    }
    return undefined;
  }
}

/** Writes messages to a stream in order, queueing what the stream does not take (bounded). */
export class RpcWriter {
  private readonly queue: Uint8Array;
  private head = 0;
  private count = 0;
  private readonly write: (bytes: Uint8Array) => number;
  highWater = 0;

  constructor(capacity: number, write: (bytes: Uint8Array) => number) {
    this.queue = new Uint8Array(capacity);
    this.write = write;
  }

  get queued(): number {
    return this.count;
  }

  /** Sends or queues `msg` whole; false when it does not fit (nothing queued). */
  send(msg: Uint8Array): boolean {
    // A message larger than the whole queue could be left half-written: refuse it up front.
    if (msg.length > this.queue.length) return false;
    if (this.count === 0) {
      const n = this.write(msg);
      if (n === msg.length) return true;
      return this.enqueue(msg, n);
    }
    if (msg.length > this.queue.length - this.count) return false;
    return this.enqueue(msg, 0);
  }

  /** The stream can take more: flushes the queue. */
  flush(): void {
    const cap = this.queue.length;
    while (this.count > 0) {
      const len = Math.min(this.count, cap - this.head);
      const n = this.write(this.queue.subarray(this.head, this.head + len));
      this.head = (this.head + n) % cap;
      this.count -= n;
      if (n < len) return;
    }
    this.head = 0;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  private enqueue(msg: Uint8Array, from: number): boolean {
    const rest = msg.length - from;
    const cap = this.queue.length;
    // With from > 0 the queue was empty and msg fits it (checked in send): never refused, so a
    // message is never left half-written.
    if (rest > cap - this.count) return false;
    for (let i = 0; i < rest; i++) this.queue[(this.head + this.count + i) % cap] = msg[from + i]!;
    this.count += rest;
    if (this.count > this.highWater) this.highWater = this.count;
    return true;
  }
}
