// RpcServer: serves RPC requests arriving on one ByteStream, at most once each.
//
// Contract:
// - handle(method, handler): handler(body, reply) runs for a request of that method; body is a
//   view valid during the call; reply.ok(bytes) or reply.error(message) answers, at once or
//   later (a slow server answers from a timer of its own). Answering twice throws NetloomError.
//   A handler that throws is answered with error "HANDLER_FAILED: <message>". A method without
//   a handler is answered with error "NO_SUCH_METHOD".
// - At-most-once execution: a bounded table (`dedupEntries`, FIFO) of recent request ids; a
//   retransmitted request never runs the handler twice (see onMessage for the cases).
// - Framing errors (bad length, oversized body, bad kind, a message cut by the end of the
//   stream) close the stream (abort with the reason, or end()) and are reported by
//   onError(reason) and stats().closeReason. Replies for a closed stream are discarded.
// - Bounded: the duplicate table, the send queue (a reply that does not fit is dropped and
//   counted; the client's retry gets it from the cache), the receive buffer.
// - OPEN until the stream closes, a framing error or close(); then CLOSED.
// - Not handled: a duplicate table shared across streams (a client that reconnects starts over),
// request ids wrapping past 2^32.

import { ErrorCode, NetloomError, checkInteger } from "../../base/errors.js";
import { acceptedCount, type ByteStream } from "./byte-stream.js";
import { DEFAULT_MAX_MESSAGE, RPC_HEADER_LEN, RpcDecoder, RpcKind, RpcWriter, encodeRpcMessage } from "./rpc-frame.js";
import { closeReason } from "./rpc-client.js";

export interface RpcReply {
  ok(body: Uint8Array): void;
  error(message: string): void;
}

export type RpcHandler = (body: Uint8Array, reply: RpcReply) => void;

export interface RpcServerOptions {
  /** Recent request ids remembered for duplicate suppression (default 256). */
  dedupEntries?: number;
  maxMessageBytes?: number;
  sendQueueBytes?: number;
}

export interface RpcServerStats {
  state: "open" | "closed";
  closeReason: string | undefined;
  requests: number;
  /** Handler runs per method id. */
  executions: Record<number, number>;
  duplicatesInProgress: number;
  duplicatesReplayed: number;
  stale: number;
  busy: number;
  noSuchMethod: number;
  handlerFailures: number;
  replyDrops: number;
  tableEntries: number;
}

const IN_PROGRESS = 0;
const ANSWERED = 1;

export class RpcServer {
  readonly stream: ByteStream;
  readonly dedupEntries: number;
  private readonly handlers = new Map<number, RpcHandler>();
  private closed = false;
  private closeReasonValue: string | undefined;
  // Duplicate table: a FIFO ring of entries, and an index by request id.
  private readonly eId: Float64Array;
  private readonly eState: Uint8Array;
  private readonly eReply: (Uint8Array | undefined)[];
  private eHead = 0;
  private eCount = 0;
  private readonly byId = new Map<number, number>();
  /** Highest request id the table has forgotten (-1: none). */
  private evictedMax = -1;
  private readonly decoder: RpcDecoder;
  private readonly writer: RpcWriter;
  private onErrorCb: ((reason: string) => void) | undefined;
  private readonly executions: Record<number, number> = {};
  private readonly c = {
    requests: 0,
    duplicatesInProgress: 0,
    duplicatesReplayed: 0,
    stale: 0,
    busy: 0,
    noSuchMethod: 0,
    handlerFailures: 0,
    replyDrops: 0,
  };

  constructor(stream: ByteStream, options: RpcServerOptions = {}) {
    const entries = options.dedupEntries ?? 256;
    checkInteger("dedupEntries", entries, 1, 1 << 20);
    const maxMessage = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE;
    checkInteger("maxMessageBytes", maxMessage, 0, 1 << 26);
    const queue = options.sendQueueBytes ?? 4 * (RPC_HEADER_LEN + maxMessage);
    checkInteger("sendQueueBytes", queue, RPC_HEADER_LEN + maxMessage, 1 << 28);
    this.stream = stream;
    this.dedupEntries = entries;
    this.eId = new Float64Array(entries);
    this.eState = new Uint8Array(entries);
    this.eReply = new Array<Uint8Array | undefined>(entries).fill(undefined);
    this.decoder = new RpcDecoder(maxMessage, (id, kind, method, bytes, off, len) =>
      this.onMessage(id, kind, method, bytes, off, len),
    );
    this.writer = new RpcWriter(queue, (b) => acceptedCount(stream.write(b), b.length));
    stream.onData((b, off, len) => this.onData(b.subarray(off, off + len)));
    stream.onWritable(() => this.writer.flush());
    stream.onClose((reason) => this.shutdown(closeReason(reason, this.decoder.finish())));
    stream.onEnd?.(() => {
      const t = this.decoder.finish();
      if (t !== undefined) this.protocolError(t);
      else {
        // The client is done sending and so cannot wait for replies: close our side (replies
        // of requests still executing are discarded).
        this.shutdown("STREAM_CLOSED: the client ended the stream");
        stream.end();
      }
    });
  }

  get state(): "open" | "closed" {
    return this.closed ? "closed" : "open";
  }

  handle(method: number, handler: RpcHandler): void {
    checkInteger("method", method, 0, 0xffff);
    this.handlers.set(method, handler);
  }

  onError(cb: ((reason: string) => void) | undefined): void {
    this.onErrorCb = cb;
  }

  close(): void {
    if (this.closed) return;
    this.shutdown("STREAM_CLOSED: closed by the server");
    this.stream.end();
  }

  stats(): RpcServerStats {
    return {
      state: this.state,
      closeReason: this.closeReasonValue,
      ...this.c,
      executions: { ...this.executions },
      tableEntries: this.eCount,
    };
  }

  // --- internals ---

  private onData(bytes: Uint8Array): void {
    if (this.closed) return;
    const err = this.decoder.push(bytes);
    if (err !== undefined) this.protocolError(err);
  }

  private protocolError(err: string): void {
    if (this.closed) return;
    this.shutdown(`PROTOCOL: ${err}`);
    if (this.stream.abort !== undefined) this.stream.abort(err);
    else this.stream.end();
    this.onErrorCb?.(err);
  }

  /**
   * A request by id: executing -> the retransmission is dropped (the reply will come), counted;
   * answered -> the cached reply is sent again, counted, the handler does not run; at or below
   * the highest id the table forgot -> error "STALE_REQUEST", never executed (the client numbers
   * requests upward, so it may have run already and its reply is gone); new -> executed once.
   * When the table is full the oldest answered entry is forgotten; if the oldest entry is still
   * executing, the new request is refused with error "BUSY" (not executed, so a retry may run it).
   */
  private onMessage(id: number, kind: RpcKind, method: number, bytes: Uint8Array, off: number, len: number): void {
    if (this.closed) return;
    if (kind !== RpcKind.REQUEST) {
      this.protocolError(`BAD_KIND: a ${kind === RpcKind.RESPONSE ? "response" : "error"} sent to the server`);
      return;
    }
    this.c.requests++;
    const known = this.byId.get(id);
    if (known !== undefined) {
      if (this.eState[known] === IN_PROGRESS) this.c.duplicatesInProgress++;
      else {
        this.c.duplicatesReplayed++;
        this.send(this.eReply[known]!);
      }
      return;
    }
    if (id <= this.evictedMax) {
      this.c.stale++;
      this.send(
        encodeRpcMessage(
          id,
          RpcKind.ERROR,
          method,
          utf8(`STALE_REQUEST: request ${id} is older than the duplicate table`),
        ),
      );
      return;
    }
    if (this.eCount === this.dedupEntries) {
      const oldest = this.eHead;
      if (this.eState[oldest] === IN_PROGRESS) {
        this.c.busy++;
        this.send(
          encodeRpcMessage(id, RpcKind.ERROR, method, utf8(`BUSY: ${this.dedupEntries} requests are still executing`)),
        );
        return;
      }
      const oldId = this.eId[oldest]!;
      this.byId.delete(oldId);
      if (oldId > this.evictedMax) this.evictedMax = oldId;
      this.eReply[oldest] = undefined;
      this.eHead = (oldest + 1) % this.dedupEntries;
      this.eCount--;
    }
    const slot = (this.eHead + this.eCount) % this.dedupEntries;
    this.eCount++;
    this.eId[slot] = id;
    this.eState[slot] = IN_PROGRESS;
    this.byId.set(id, slot);
    const handler = this.handlers.get(method);
    if (handler === undefined) {
      this.c.noSuchMethod++;
      this.answer(
        slot,
        id,
        encodeRpcMessage(id, RpcKind.ERROR, method, utf8(`NO_SUCH_METHOD: method ${method} has no handler`)),
      );
      return;
    }
    this.executions[method] = (this.executions[method] ?? 0) + 1;
    let answered = false;
    const reply: RpcReply = {
      ok: (body) => {
        if (answered)
          throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `request ${id} was already answered`, { path: "reply" });
        answered = true;
        this.answer(slot, id, encodeRpcMessage(id, RpcKind.RESPONSE, method, body));
      },
      error: (message) => {
        if (answered)
          throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `request ${id} was already answered`, { path: "reply" });
        answered = true;
        this.answer(slot, id, encodeRpcMessage(id, RpcKind.ERROR, method, utf8(message)));
      },
    };
    try {
      handler(bytes.subarray(off, off + len), reply);
    } catch (e) {
      if (answered) throw e;
      this.c.handlerFailures++;
      reply.error(`HANDLER_FAILED: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Caches the reply in the request's entry (if it is still that request's) and sends it. */
  private answer(slot: number, id: number, msg: Uint8Array): void {
    if (this.byId.get(id) === slot) {
      this.eState[slot] = ANSWERED;
      this.eReply[slot] = msg;
    }
    if (!this.closed) this.send(msg);
  }

  private send(msg: Uint8Array): void {
    if (!this.writer.send(msg)) this.c.replyDrops++;
  }

  private shutdown(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReasonValue = reason;
    this.writer.clear();
  }
}

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
