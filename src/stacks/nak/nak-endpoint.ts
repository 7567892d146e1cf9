// NakEndpoint: what the NAK sender and receiver share: a UDP port on an IpHost, the packet
// builder, a byte ring in the shared Wasm memory, a one-connection window-kernel record, and
// the endpoint's registration as an event handler (timers).
//
// Contract:
// - Transport choice: NAK packets are UDP datagrams (protocol 17) rather than a raw IP protocol
//   number. UDP gives the real RFC 768 checksum over the pseudo-header (corruption that passes
//   the Ethernet FCS is still refused, by the UDP layer), port demultiplexing (many streams per
//   host, ICMP port unreachable for a stream nobody listens to), and captures that tshark
//   dissects as UDP. Sending bypasses UdpSocket.send (which takes a Uint8Array) and builds each
//   frame in place: header and payload are written into a frame from IpHost.allocPayloadFrame,
//   the UDP header is pushed and checksummed (emitUdp), and IpHost.sendIp takes the frame.
// - Receive uses the socket's push delivery (onMessage): the frame is consumed by the UDP layer
//   right after the call, so this module never holds a frame. The payload view handed to
//   onMessage is the one object the UDP layer allocates per datagram; everything here reuses
//   its views. Bytes move by runtime.copy (the memCopy kernel) inside the shared memory
//   (ring <-> frame), so the per-packet path allocates nothing.
// - The ring is a heap region (runtime.heap) of `ringBytes`; the window table is a one-
//   connection WindowTable. Both are freed by destroy(), which also closes the socket and
//   cancels timers. After destroy() packets and timers are ignored.
// - Hot paths never throw: a packet that cannot be sent (no frame slot, no route) is counted in
//   sendFailures and left to the repair machinery.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { parseDuration } from "../../base/units.js";
import { NO_FRAME } from "../../buf/frames.js";
import type { EventHandler } from "../../engine/scheduler.js";
import type { Simulation } from "../../engine/simulation.js";
import { WindowTable } from "../../kernels/window.js";
import { IP_PROTO_UDP } from "../../wire/ipv4.js";
import { UDP_HEADER_LEN, UdpView, createUdpRepr, type UdpRepr } from "../../wire/udp.js";
import { emitUdp } from "../../wire/udp.js";
import type { AnyIpHost } from "../ip/ip-host.js";
import type { UdpMessage, UdpSocket } from "../ip/udp-layer.js";
import {
  NAK_HEADER_LEN,
  NAK_PARSE_ERROR_NAMES,
  NakParseError,
  NakView,
  emitNakHeader,
  nakTimestamp,
  type NakType,
} from "./nak-wire.js";

/** IP + UDP + NAK header bytes in front of every payload. */

/** An option that must be a positive duration (ns or "5ms"), or `fallback` when absent. */
export function positiveDuration(name: string, value: number | string | undefined, fallback: number): number {
  const ns = value === undefined ? fallback : parseDuration(value, name);
  if (!(ns > 0))
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(value)} is not a positive duration`, { path: name });
  return ns;
}

export const NAK_OVERHEAD = 20 + UDP_HEADER_LEN + NAK_HEADER_LEN;

export abstract class NakEndpoint implements EventHandler {
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  readonly host: AnyIpHost;
  readonly socket: UdpSocket;
  readonly u8: Uint8Array;
  /** Offset of the byte ring in u8 and its size. */
  protected readonly ringPtr: number;
  readonly ringBytes: number;
  protected readonly window: WindowTable;
  protected destroyed = false;
  /** Drops of received packets by reason. */
  readonly drops: Record<string, number> = {};
  sendFailures = 0;
  /** Flow id given to the frames of the data packets sent (-1: none), for per-flow drop counts. */
  dataFlow = -1;
  protected readonly rx = new NakView(new Uint8Array(0));
  private readonly tx = new NakView(new Uint8Array(0));
  private readonly udpView = new UdpView(new Uint8Array(0));
  private readonly udpRepr: UdpRepr = createUdpRepr();

  /** Registers as "<namePrefix>:<bound port>" (ports are unique per host, so names are too). */
  protected constructor(
    host: AnyIpHost,
    namePrefix: string,
    port: number,
    ringBytes: number,
    maxRanges: number,
    rto: { min: number; max: number; initial: number },
  ) {
    this.host = host;
    this.sim = host.sim;
    this.u8 = host.u8;
    this.ringBytes = ringBytes;
    this.socket = host.bind(port, { queueLimit: 0 });
    this.name = `${namePrefix}:${this.socket.port}`;
    let ring = 0;
    let table: WindowTable | undefined;
    try {
      table = WindowTable.create({ connections: 1, maxRanges, inFlightCapacity: 1, runtime: this.sim.runtime });
      ring = this.sim.runtime.heap.alloc(ringBytes);
      this.id = this.sim.register(this.name, this);
    } catch (e) {
      this.socket.close();
      if (ring !== 0) this.sim.runtime.heap.free(ring);
      table?.free();
      throw e;
    }
    this.window = table;
    this.ringPtr = ring;
    this.rto = rto;
    this.openWindow(0, 0);
    this.socket.onMessage((m) => this.onDatagram(m));
  }

  private readonly rto: { min: number; max: number; initial: number };

  /** (Re)opens the window record: receive ranges from `receiveNext`, RTT estimator reset. */
  protected openWindow(receiveNext: number, receiveWindow: number): void {
    this.window.open(0, {
      receiveNext,
      receiveWindow,
      sendNext: 0,
      sendWindow: 0,
      minRto: this.rto.min,
      maxRto: this.rto.max,
      initialRto: this.rto.initial,
      granularity: Math.min(100_000, this.rto.min),
    });
  }

  /** UDP port this endpoint is bound to. */
  get port(): number {
    return this.socket.port;
  }

  /** Releases the socket, ring, window record and timers. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.cancelTimers();
    this.socket.close();
    this.sim.runtime.heap.free(this.ringPtr);
    this.window.free();
  }

  handleEvent(kind: number, a: number, b: number, _len: number): void {
    if (this.destroyed) return;
    this.onTimer(kind, a, b);
  }

  protected abstract onTimer(kind: number, a: number, b: number): void;
  protected abstract onPacket(v: NakView, src: number, srcPort: number): void;
  protected abstract cancelTimers(): void;

  protected drop(reason: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }

  protected schedule(delay: number, kind: number, a = 0, b = 0): number {
    return this.sim.scheduler.schedule(this.id, Math.max(0, Math.ceil(delay)), this.id, kind, a, b, 0);
  }

  protected cancel(handle: number): void {
    if (handle >= 0) this.sim.scheduler.cancel(handle);
  }

  /**
   * Builds and sends one packet: the fixed header, then `dataLen` bytes copied from the ring
   * starting at ring position `ringPos` (wrapping), or `rangeCount` ranges written by
   * writeRanges. Returns the IP datagram length, or 0 when the packet could not be sent.
   */
  protected sendPacket(
    dst: number,
    dstPort: number,
    type: NakType,
    flags: number,
    streamId: number,
    seq: number,
    info: number,
    tsecr: number,
    ringPos: number,
    dataLen: number,
    rangeCount = -1,
  ): number {
    const host = this.host;
    const bodyLen = rangeCount >= 0 ? 4 + 8 * rangeCount : dataLen;
    const len = NAK_HEADER_LEN + bodyLen;
    if (!host.fitsInFrame(UDP_HEADER_LEN + len)) {
      this.sendFailures++;
      return 0;
    }
    const frame = host.allocPayloadFrame(len);
    if (frame === NO_FRAME) {
      this.sendFailures++;
      return 0;
    }
    const frames = this.sim.frames;
    if (rangeCount < 0 && dataLen > 0) frames.flow[frame] = this.dataFlow;
    const u8 = this.u8;
    const at = frames.offset(frame);
    const v = this.tx.wrap(u8, at, len);
    emitNakHeader(v, type, flags, streamId, seq, info, nakTimestamp(this.sim.now), tsecr);
    if (rangeCount >= 0) {
      v.rangeCount = rangeCount;
      this.writeRanges(v, rangeCount);
    } else if (dataLen > 0) {
      const ring = this.ringBytes;
      const first = Math.min(dataLen, ring - ringPos);
      const rt = this.sim.runtime;
      rt.copy(at + NAK_HEADER_LEN, this.ringPtr + ringPos, first);
      if (first < dataLen) rt.copy(at + NAK_HEADER_LEN + first, this.ringPtr, dataLen - first);
    }
    const h = frames.push(frame, UDP_HEADER_LEN);
    const r = this.udpRepr;
    r.srcPort = this.socket.port;
    r.dstPort = dstPort;
    r.payloadLength = len;
    emitUdp(r, this.udpView.wrap(u8, h, UDP_HEADER_LEN + len), host.sourceFor(dst), dst);
    if (!host.sendIp(frame, IP_PROTO_UDP, dst, false)) {
      this.sendFailures++;
      return 0;
    }
    return 20 + UDP_HEADER_LEN + len;
  }

  /** Fills the range list of a control packet being built (see sendPacket). */
  protected writeRanges(_v: NakView, _count: number): void {}

  /** Copies `len` payload bytes at `from` in the received view's buffer to ring position `ringPos`. */
  protected copyIntoRing(bytes: Uint8Array, from: number, ringPos: number, len: number): void {
    const ring = this.ringBytes;
    const first = Math.min(len, ring - ringPos);
    const dst = this.ringPtr + ringPos;
    if (bytes === this.u8) {
      const rt = this.sim.runtime;
      rt.copy(dst, from, first);
      if (first < len) rt.copy(this.ringPtr, from + first, len - first);
    } else {
      // A reassembled datagram lives in its own buffer (only when a path fragments us).
      this.u8.set(bytes.subarray(from, from + first), dst);
      if (first < len) this.u8.set(bytes.subarray(from + first, from + len), this.ringPtr);
    }
  }

  private onDatagram(m: UdpMessage): void {
    if (this.destroyed) return;
    const p = m.payload;
    // The payload is a view of the shared memory when the datagram came in one frame.
    const v =
      p.buffer === this.u8.buffer ? this.rx.wrap(this.u8, p.byteOffset, p.length) : this.rx.wrap(p, 0, p.length);
    const status = v.checkLength();
    if (status !== NakParseError.OK) {
      this.drop(NAK_PARSE_ERROR_NAMES[status] ?? `ERROR_${status}`);
      return;
    }
    this.onPacket(v, m.src, m.srcPort);
  }
}
