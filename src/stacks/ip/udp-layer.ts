// UdpLayer: UDP (RFC 768) ports, sockets and receive mailboxes on an IP stack (IpStackPort).
//
// Contract:
// - bind(port, {queueLimit}) -> UdpSocket; port 0 picks a free ephemeral port (49152 upward,
//   deterministic); binding a bound port throws NetloomError naming the port.
// - socket.send(dst, dstPort, payload) sends bytes or `n` zero bytes (see UdpSocket.send);
//   a payload over maxDatagramSize (default 65507 = 65535 - 20 - 8) throws (like EMSGSIZE).
// - Receive mailbox, ZERO-COPY: a datagram that arrived in one frame is kept as the frame id in
//   the socket's bounded ring (queueLimit, default 64) and the frame stays in the NIC's receive
//   buffer until the application reads it with recv(), which copies the payload out (the
//   application's buffer, like recvfrom) and only then consumes the frame. So an application
//   that does not keep up first fills its mailbox (MAILBOX_FULL drops, counted per socket and in
//   the layer) and, with several sockets or a small NIC, the NIC's receive buffer chain
//   (NO_RX_BUFFER at the NIC): the classic UDP-loss-under-load behaviour (Birman ch. 3.6).
//   A reassembled datagram is already a copy (the reassembly buffer) and is kept as that.
// - onMessage(listener) switches the socket to push delivery: the listener is called at arrival
//   with a REUSED UdpMessage whose payload is a view valid only during the call (copy it to keep
//   it); the frame is consumed right after. Datagrams already in the mailbox stay for recv().
// - A datagram to an unbound port is counted (NO_PORT) and answered with ICMP port unreachable
//   when it was unicast to us (never for broadcast/multicast, RFC 1122 3.2.2).
// - close() consumes every held frame and frees the port.
// - Hot path (one-frame datagrams) allocates nothing per datagram except in recv() (the
//   returned message and its payload copy, which the application asked for).

import { ErrorCode, NetloomError, checkInteger } from "../../base/errors.js";
import { NO_FRAME } from "../../buf/frames.js";
import { IP_PROTO_UDP, ipv4FromString } from "../../wire/ipv4.js";
import {
  UDP_HEADER_LEN,
  UdpParseError,
  UdpView,
  createUdpRepr,
  emitUdp,
  parseUdpInto,
  type UdpRepr,
} from "../../wire/udp.js";
import type { IcmpLayer } from "./icmp-layer.js";
import type { IpStackPort, RxContext } from "./ip-link.js";

export const UDP_DEFAULT_MAX_DATAGRAM = 65_507;
export const UDP_DEFAULT_QUEUE_LIMIT = 64;
const EPHEMERAL_FIRST = 49_152;

const UDP_ERROR_NAMES: string[] = [];
for (const [name, value] of Object.entries(UdpParseError)) UDP_ERROR_NAMES[value] = name;

export interface UdpMessage {
  src: number;
  srcPort: number;
  dst: number;
  dstPort: number;
  /** The payload (a view: in push mode valid only during the listener call). */
  readonly payload: Uint8Array;
  /** The same payload in place, without making a view: bytes[offset, offset + length). */
  bytes: Uint8Array;
  offset: number;
  length: number;
  /** Virtual time of arrival, ns. */
  time: number;
  /** Virtual time the sender made the datagram (its frames' birth tag), ns: one-way latency. */
  sentAt: number;
}

/**
 * The one message object a socket hands to its listener, refilled per datagram: the payload
 * view is made only if the listener asks for it, so push delivery allocates nothing.
 */
class PushedMessage implements UdpMessage {
  src = 0;
  srcPort = 0;
  dst = 0;
  dstPort = 0;
  bytes: Uint8Array = new Uint8Array(0);
  offset = 0;
  length = 0;
  time = 0;
  sentAt = 0;
  get payload(): Uint8Array {
    return this.bytes.subarray(this.offset, this.offset + this.length);
  }
}

export interface UdpSocketOptions {
  /** Datagrams the mailbox holds (default 64). */
  queueLimit?: number;
}

export interface UdpSocketStats {
  port: number;
  sent: number;
  sentBytes: number;
  received: number;
  receivedBytes: number;
  queued: number;
  queueHighWater: number;
  /** Datagrams dropped because the mailbox was full. */
  mailboxDrops: number;
}

export interface UdpStats {
  sent: number;
  received: number;
  delivered: number;
  noPort: number;
  drops: Record<string, number>;
  sockets: number;
}

/**
 * A socket's mailbox ring: one slot per datagram, typed arrays so queueing allocates nothing.
 * Made on the first datagram that is queued: a socket with a listener never needs one, and a
 * scenario's sockets are mostly that (a four-star build spent a third of its allocation here).
 */
class Mailbox {
  readonly frame: Int32Array;
  readonly off: Int32Array;
  readonly len: Int32Array;
  readonly src: Float64Array;
  readonly srcPort: Int32Array;
  readonly dst: Float64Array;
  readonly time: Float64Array;
  readonly sent: Float64Array;
  readonly data: (Uint8Array | undefined)[];

  constructor(n: number) {
    this.frame = new Int32Array(n).fill(NO_FRAME);
    this.off = new Int32Array(n);
    this.len = new Int32Array(n);
    this.src = new Float64Array(n);
    this.srcPort = new Int32Array(n);
    this.dst = new Float64Array(n);
    this.time = new Float64Array(n);
    this.sent = new Float64Array(n);
    this.data = new Array<Uint8Array | undefined>(n).fill(undefined);
  }
}

export class UdpSocket {
  readonly port: number;
  readonly queueLimit: number;
  private readonly layer: UdpLayer;
  private listener: ((msg: UdpMessage) => void) | undefined;
  private readonly pushMsg = new PushedMessage();
  private box: Mailbox | undefined;
  private head = 0;
  private count = 0;
  private closed = false;
  /** Set when the host's crash closed it: sends are then dropped (HOST_CRASHED), not refused. */
  closedByCrash = false;
  readonly counters = { sent: 0, sentBytes: 0, received: 0, receivedBytes: 0, queueHighWater: 0, mailboxDrops: 0 };

  constructor(layer: UdpLayer, port: number, queueLimit: number) {
    this.layer = layer;
    this.port = port;
    this.queueLimit = queueLimit;
  }

  /**
   * Sends `payload` to dst:dstPort: a Uint8Array, or `n` zero bytes when given a number
   * (virtual payload for load tests: the bytes on the wire are real zeros and checksummed).
   * `multicastTtl` is the TTL of a datagram to a group (per datagram, like IP_MULTICAST_TTL;
   * default 1, RFC 1112); unicast datagrams use the host's TTL. False when the datagram was
   * dropped at once (no route, no frame slot, DF and too big); one queued for ARP returns true
   * and may still be dropped there.
   */
  send(dst: number | string, dstPort: number, payload: Uint8Array | number, multicastTtl = 1): boolean {
    if (this.closed) {
      // Closed by a crash of its host: the datagram dies with the host, counted, as a send
      // through any socket of a crashed host would.
      if (this.closedByCrash) {
        this.layer.drop("HOST_CRASHED");
        return false;
      }
      throw new NetloomError(ErrorCode.USE_AFTER_FREE, `socket on port ${this.port} is closed`, { path: "socket" });
    }
    const address = typeof dst === "string" ? ipv4FromString(dst, "dst") : dst;
    const ok = this.layer.sendFrom(this.port, address, dstPort, payload, multicastTtl);
    if (ok) {
      this.counters.sent++;
      this.counters.sentBytes += typeof payload === "number" ? payload : payload.length;
    }
    return ok;
  }

  /** The oldest datagram in the mailbox (payload copied out), or undefined when empty. */
  recv(): UdpMessage | undefined {
    if (this.count === 0) return undefined;
    const box = this.box!; // made by the first deliver() that queued
    const i = this.head;
    this.head = (i + 1) % box.frame.length;
    this.count--;
    const frame = box.frame[i]!;
    const data = box.data[i];
    const off = box.off[i]!;
    const len = box.len[i]!;
    const payload = data !== undefined ? data.slice(off, off + len) : this.layer.host.u8.slice(off, off + len);
    box.data[i] = undefined;
    box.frame[i] = NO_FRAME;
    if (frame !== NO_FRAME) this.layer.host.consumeFrame(frame);
    return {
      src: box.src[i]!,
      srcPort: box.srcPort[i]!,
      dst: box.dst[i]!,
      dstPort: this.port,
      payload,
      bytes: payload,
      offset: 0,
      length: payload.length,
      time: box.time[i]!,
      sentAt: box.sent[i]!,
    };
  }

  /** Reads everything waiting; returns how many datagrams were read. */
  drain(): number {
    let n = 0;
    while (this.recv() !== undefined) n++;
    return n;
  }

  /** Push delivery (see the module comment); undefined goes back to the mailbox. */
  onMessage(listener: ((msg: UdpMessage) => void) | undefined): void {
    this.listener = listener;
  }

  get queued(): number {
    return this.count;
  }

  stats(): UdpSocketStats {
    return { port: this.port, ...this.counters, queued: this.count };
  }

  /** Consumes every held frame and frees the port. */
  close(): void {
    if (this.closed) return;
    const box = this.box!; // undefined only while nothing was ever queued (count 0)
    while (this.count > 0) {
      const i = this.head;
      this.head = (i + 1) % box.frame.length;
      this.count--;
      const f = box.frame[i]!;
      box.frame[i] = NO_FRAME;
      box.data[i] = undefined;
      if (f !== NO_FRAME) this.layer.host.consumeFrame(f);
    }
    this.closed = true;
    this.layer.unbind(this);
  }

  /** Arrival of a checked datagram; returns true when the mailbox kept ctx.frame. */
  deliver(ctx: RxContext, srcPort: number, off: number, len: number): boolean {
    this.counters.received++;
    this.counters.receivedBytes += len;
    const now = this.layer.host.sim.now;
    const listener = this.listener;
    if (listener !== undefined) {
      const m = this.pushMsg;
      m.src = ctx.src;
      m.srcPort = srcPort;
      m.dst = ctx.dst;
      m.dstPort = this.port;
      m.bytes = ctx.bytes;
      m.offset = off;
      m.length = len;
      m.time = now;
      m.sentAt = ctx.birth;
      listener(m);
      return false;
    }
    if (this.count >= this.queueLimit) {
      this.counters.mailboxDrops++;
      this.layer.drop("MAILBOX_FULL");
      return false;
    }
    const box = (this.box ??= new Mailbox(Math.max(this.queueLimit, 1)));
    const i = (this.head + this.count) % box.frame.length;
    this.count++;
    if (this.count > this.counters.queueHighWater) this.counters.queueHighWater = this.count;
    box.off[i] = off;
    box.len[i] = len;
    box.src[i] = ctx.src;
    box.srcPort[i] = srcPort;
    box.dst[i] = ctx.dst;
    box.time[i] = now;
    box.sent[i] = ctx.birth;
    if (ctx.frame !== NO_FRAME) {
      box.frame[i] = ctx.frame;
      return true;
    }
    box.data[i] = ctx.bytes;
    return false;
  }
}

export class UdpLayer {
  readonly host: IpStackPort;
  readonly maxDatagramSize: number;
  private readonly icmp: IcmpLayer;
  private readonly sockets = new Map<number, UdpSocket>();
  private nextEphemeral = EPHEMERAL_FIRST;
  private readonly view = new UdpView(new Uint8Array(0));
  private readonly rxRepr: UdpRepr = createUdpRepr();
  private readonly txRepr: UdpRepr = createUdpRepr();
  readonly counters = { sent: 0, received: 0, delivered: 0, noPort: 0 };
  readonly drops: Record<string, number> = {};

  /** `icmp` answers datagrams to unbound ports. */
  constructor(host: IpStackPort, icmp: IcmpLayer, maxDatagramSize: number) {
    this.host = host;
    this.icmp = icmp;
    this.maxDatagramSize = maxDatagramSize;
  }

  bind(port: number, options: UdpSocketOptions = {}): UdpSocket {
    checkInteger("port", port, 0, 0xffff);
    const queueLimit = options.queueLimit ?? UDP_DEFAULT_QUEUE_LIMIT;
    checkInteger("queueLimit", queueLimit, 0, 1 << 20);
    if (port === 0) {
      let tries = 0;
      while (this.sockets.has(this.nextEphemeral)) {
        if (++tries > 0x4000)
          throw new NetloomError(ErrorCode.TABLE_FULL, "no ephemeral UDP port is free", { path: "port" });
        this.nextEphemeral = this.nextEphemeral === 0xffff ? EPHEMERAL_FIRST : this.nextEphemeral + 1;
      }
      port = this.nextEphemeral;
    } else if (this.sockets.has(port)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `UDP port ${port} is already bound on ${this.host.name}`, {
        path: "port",
      });
    }
    const s = new UdpSocket(this, port, queueLimit);
    this.sockets.set(port, s);
    return s;
  }

  unbind(socket: UdpSocket): void {
    if (this.sockets.get(socket.port) === socket) this.sockets.delete(socket.port);
  }

  socket(port: number): UdpSocket | undefined {
    return this.sockets.get(port);
  }

  /** Builds and sends one datagram (see UdpSocket.send). */
  sendFrom(srcPort: number, dst: number, dstPort: number, payload: Uint8Array | number, multicastTtl = 1): boolean {
    checkInteger("dst", dst, 0, 0xffff_ffff);
    checkInteger("multicastTtl", multicastTtl, 1, 255);
    checkInteger("dstPort", dstPort, 0, 0xffff);
    const len = typeof payload === "number" ? payload : payload.length;
    if (typeof payload === "number") checkInteger("payload", payload, 0, 0xffff);
    if (len > this.maxDatagramSize) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `a ${len}-byte datagram exceeds the maximum datagram size of ${this.maxDatagramSize} bytes`,
        { path: "payload" },
      );
    }
    const host = this.host;
    const src = host.sourceFor(dst);
    const r = this.txRepr;
    r.srcPort = srcPort;
    r.dstPort = dstPort;
    r.payloadLength = len;
    this.counters.sent++;
    if (host.fitsInFrame(UDP_HEADER_LEN + len)) {
      // Hot path: payload written once into the frame, header pushed in front, checksum in Wasm.
      const frame = host.allocPayloadFrame(len);
      if (frame === NO_FRAME) return false;
      const u8 = host.u8;
      const at = host.sim.frames.offset(frame);
      const rt = host.sim.runtime;
      if (typeof payload === "number") u8.fill(0, at, at + len);
      // Bytes already in linear memory (a traffic source's buffer) move by the memCopy kernel:
      // TypedArray.set into the shared memory costs about three times as much.
      else if (rt.owns(payload)) rt.copy(at, payload.byteOffset, len);
      else u8.set(payload, at);
      const h = host.sim.frames.push(frame, UDP_HEADER_LEN);
      emitUdp(r, this.view.wrap(u8, h, UDP_HEADER_LEN + len), src, dst);
      return host.sendIp(frame, IP_PROTO_UDP, dst, false, multicastTtl);
    }
    // Larger than a frame slot: build the datagram once in memory and let IP fragment it.
    const buf = new Uint8Array(UDP_HEADER_LEN + len);
    if (typeof payload !== "number") buf.set(payload, UDP_HEADER_LEN);
    emitUdp(r, this.view.wrap(buf, 0, buf.length), src, dst);
    return host.sendIpBytes(IP_PROTO_UDP, dst, buf, 0, buf.length, false, multicastTtl);
  }

  /** A datagram for us (ctx holds the IP payload); returns true when ctx.frame was kept. */
  input(ctx: RxContext): boolean {
    this.counters.received++;
    const v = this.view.wrap(ctx.bytes, ctx.payOff, ctx.payLen);
    const status = parseUdpInto(v, this.rxRepr, ctx.src, ctx.dst);
    if (status !== UdpParseError.OK) {
      this.drop(UDP_ERROR_NAMES[status] ?? `ERROR_${status}`);
      return false;
    }
    const s = this.sockets.get(this.rxRepr.dstPort);
    if (s === undefined) {
      this.counters.noPort++;
      this.drop("NO_PORT");
      if (!ctx.groupDst) this.icmp.sendPortUnreachable(ctx);
      return false;
    }
    this.counters.delivered++;
    return s.deliver(ctx, this.rxRepr.srcPort, v.payloadOffset, this.rxRepr.payloadLength);
  }

  stats(): UdpStats {
    return { ...this.counters, drops: { ...this.drops }, sockets: this.sockets.size };
  }

  /** Closes every socket; the datagrams they held are counted as CRASHED drops. */
  crash(): void {
    for (const port of [...this.sockets.keys()].sort((a, b) => a - b)) {
      const socket = this.sockets.get(port)!;
      for (let i = socket.queued; i > 0; i--) this.drop("CRASHED");
      socket.closedByCrash = true;
      socket.close();
    }
  }

  /** Closes every socket (consuming held frames). */
  destroy(): void {
    for (const port of [...this.sockets.keys()].sort((a, b) => a - b)) this.sockets.get(port)!.close();
  }

  drop(reason: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }
}
