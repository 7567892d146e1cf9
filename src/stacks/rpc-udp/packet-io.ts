// PacketIo: one UDP socket of an RPC-over-UDP endpoint: sends messages as bursts of fragments
// (Birman Fig 4-5), acks and NAKs; checks every arriving datagram and hands the good ones on.
//
// Contract:
// - open(port) binds the socket (0: an ephemeral port) in push mode; close() unbinds. A crash of
//   the host closes the socket itself: the owner calls closed() then, and open() after restart.
// - sendMessage() cuts `data` into fragments of at most fragmentBytes (what fits the host's MTU
//   after the IPv4, UDP and RPC headers, or less if asked) and sends all of them, or only those a
//   NAK's bitmap marks missing. The call fields come from `tx`, which the owner fills first.
// - Arriving datagrams are checked (rpc-udp.ts); a malformed one is dropped and counted by its
//   RpcUdpParseError name, never thrown. The sink gets the parsed header (a reused repr) and the
//   data in place, valid only during the call.
// - Hot path: no allocation per packet (one scratch buffer in the shared memory, one reused view
//   per packet length, a reused repr).

import type { Simulation } from "../../engine/simulation.js";
import { IPV4_HEADER_LEN } from "../../wire/ipv4.js";
import {
  RPC_UDP_FLAG_RETX,
  RPC_UDP_HEADER_LEN,
  RPC_UDP_MAX_FRAGMENTS,
  RPC_UDP_PARSE_ERROR_NAMES,
  RpcUdpParseError,
  RpcUdpType,
  RpcUdpView,
  createRpcUdpRepr,
  emitRpcUdp,
  nakBitmapLength,
  parseRpcUdpInto,
  type RpcUdpRepr,
} from "../../wire/rpc-udp.js";
import { UDP_HEADER_LEN } from "../../wire/udp.js";
import type { AnyIpHost } from "../ip/ip-host.js";
import type { UdpMessage, UdpSocket } from "../ip/udp-layer.js";

export interface PacketSink {
  onPacket(r: RpcUdpRepr, bytes: Uint8Array, dataOff: number, src: number, srcPort: number): void;
}

export interface PacketCounters {
  packetsSent: number;
  /** REQUEST and REPLY fragments sent (first transmissions and repairs). */
  fragmentsSent: number;
  acksSent: number;
  naksSent: number;
  packetsReceived: number;
  /** Datagrams the host did not take (no frame slot, no route). */
  sendFailures: number;
  /** Malformed datagrams by RpcUdpParseError name. */
  drops: Record<string, number>;
}

/** Largest message the fragment count can describe at `fragmentBytes` per fragment. */
export function maxMessageFor(fragmentBytes: number): number {
  return fragmentBytes * RPC_UDP_MAX_FRAGMENTS;
}

export class PacketIo {
  readonly host: AnyIpHost;
  readonly sim: Simulation;
  /** Data bytes per fragment. */
  readonly fragmentBytes: number;
  /** The call fields of the next packet sent (type, status, operation, ids, sequence, flags). */
  readonly tx: RpcUdpRepr = createRpcUdpRepr();
  readonly counters: PacketCounters = {
    packetsSent: 0,
    fragmentsSent: 0,
    acksSent: 0,
    naksSent: 0,
    packetsReceived: 0,
    sendFailures: 0,
    drops: {},
  };
  private socket: UdpSocket | undefined;
  private readonly sink: PacketSink;
  private readonly scratch: Uint8Array;
  /** scratch[0, n) for each packet length n, made once. */
  private readonly packets: (Uint8Array | undefined)[] = [];
  private readonly view = new RpcUdpView(new Uint8Array(0));
  private readonly rx: RpcUdpRepr = createRpcUdpRepr();
  private readonly listener = (m: UdpMessage): void => this.onDatagram(m);

  /** `fragmentBytes` 0: as many as the host's MTU allows. */
  constructor(host: AnyIpHost, sink: PacketSink, fragmentBytes = 0) {
    this.host = host;
    this.sim = host.sim;
    this.sink = sink;
    const fit = host.mtu - IPV4_HEADER_LEN - UDP_HEADER_LEN - RPC_UDP_HEADER_LEN;
    this.fragmentBytes = Math.max(1, fragmentBytes > 0 ? Math.min(fragmentBytes, fit) : fit);
    // A packet is at most a header and a full fragment, or a NAK bitmap for the most fragments.
    const largest = RPC_UDP_HEADER_LEN + Math.max(this.fragmentBytes, nakBitmapLength(RPC_UDP_MAX_FRAGMENTS));
    this.scratch = this.sim.allocBytes(largest);
  }

  get port(): number {
    return this.socket?.port ?? 0;
  }

  get isOpen(): boolean {
    return this.socket !== undefined;
  }

  open(port: number): void {
    if (this.socket !== undefined) return;
    this.socket = this.host.bind(port, { queueLimit: 0 });
    this.socket.onMessage(this.listener);
  }

  /** The host closed the socket (a crash): forget it. */
  closed(): void {
    this.socket = undefined;
  }

  close(): void {
    const s = this.socket;
    this.socket = undefined;
    s?.close();
  }

  /** Fragments a message of `length` bytes (at least one, even when empty). */
  fragmentCount(length: number): number {
    return Math.max(1, Math.ceil(length / this.fragmentBytes));
  }

  /**
   * Sends `data` as fragments with the call fields of `tx` (its type REQUEST or REPLY). With a
   * NAK's `bitmap` (at bitmapOff) only the fragments it marks go. Returns fragments sent.
   */
  sendMessage(
    dst: number,
    dstPort: number,
    data: Uint8Array,
    retx: boolean,
    bitmap?: Uint8Array,
    bitmapOff = 0,
  ): number {
    const tx = this.tx;
    const count = this.fragmentCount(data.length);
    tx.fragmentCount = count;
    tx.messageLength = data.length;
    tx.flags = retx ? RPC_UDP_FLAG_RETX : 0;
    let sent = 0;
    for (let i = 0; i < count; i++) {
      if (bitmap !== undefined && (bitmap[bitmapOff + (i >>> 3)]! & (0x80 >>> (i & 7))) === 0) continue;
      const from = i * this.fragmentBytes;
      const len = Math.min(this.fragmentBytes, data.length - from);
      tx.fragmentIndex = i;
      tx.fragmentOffset = from;
      const s = this.scratch;
      emitRpcUdp(tx, s, 0);
      // A byte loop rather than set(subarray): no view object per fragment.
      for (let k = 0; k < len; k++) s[RPC_UDP_HEADER_LEN + k] = data[from + k]!;
      if (this.transmit(dst, dstPort, RPC_UDP_HEADER_LEN + len)) {
        this.counters.fragmentsSent++;
        sent++;
      }
    }
    return sent;
  }

  /** An ACK of the message of `count` fragments and `length` bytes named by tx's call fields. */
  sendAck(dst: number, dstPort: number, count: number, length: number): void {
    const tx = this.tx;
    tx.type = RpcUdpType.ACK;
    tx.flags = 0;
    tx.status = 0;
    tx.fragmentCount = count;
    tx.fragmentIndex = 0;
    tx.fragmentOffset = 0;
    tx.messageLength = length;
    emitRpcUdp(tx, this.scratch, 0);
    if (this.transmit(dst, dstPort, RPC_UDP_HEADER_LEN)) this.counters.acksSent++;
  }

  /** A NAK naming the fragments `received` does not mark (bit set = received). */
  sendNak(dst: number, dstPort: number, count: number, length: number, received: Uint8Array): void {
    const tx = this.tx;
    tx.type = RpcUdpType.NAK;
    tx.flags = 0;
    tx.status = 0;
    tx.fragmentCount = count;
    tx.fragmentIndex = 0;
    tx.fragmentOffset = 0;
    tx.messageLength = length;
    const s = this.scratch;
    emitRpcUdp(tx, s, 0);
    const n = nakBitmapLength(count);
    for (let k = 0; k < n; k++) s[RPC_UDP_HEADER_LEN + k] = ~received[k]! & 0xff;
    // Bits past the count stay clear (the parser refuses them).
    const spare = n * 8 - count;
    if (spare > 0) s[RPC_UDP_HEADER_LEN + n - 1] = s[RPC_UDP_HEADER_LEN + n - 1]! & ~((1 << spare) - 1) & 0xff;
    if (this.transmit(dst, dstPort, RPC_UDP_HEADER_LEN + n)) this.counters.naksSent++;
  }

  private transmit(dst: number, dstPort: number, len: number): boolean {
    const socket = this.socket;
    if (socket === undefined) return false;
    let p = this.packets[len];
    if (p === undefined) this.packets[len] = p = this.scratch.subarray(0, len);
    if (!socket.send(dst, dstPort, p)) {
      this.counters.sendFailures++;
      return false;
    }
    this.counters.packetsSent++;
    return true;
  }

  private onDatagram(m: UdpMessage): void {
    this.counters.packetsReceived++;
    const v = this.view.wrap(m.bytes, m.offset, m.length);
    const status = parseRpcUdpInto(v, this.rx);
    if (status !== RpcUdpParseError.OK) {
      const name = RPC_UDP_PARSE_ERROR_NAMES[status]!;
      this.counters.drops[name] = (this.counters.drops[name] ?? 0) + 1;
      return;
    }
    this.sink.onPacket(this.rx, m.bytes, v.dataOffset, m.src, m.srcPort);
  }
}
