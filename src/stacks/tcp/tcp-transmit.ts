// Segment output of one TCP connection: builds a segment in a fresh frame and hands it to IP.
//
// Contract:
// - transmit() fills the layer's shared repr (one thread, one segment at a time), takes the
//   payload from the send buffer and emits header and checksum with emitTcp; no allocation per
//   segment. A frame pool that is empty drops the segment and counts NO_SLOT; nothing throws.
// - SYN and SYN-ACK carry MSS, window scale (RFC 7323) and SACK-permitted (RFC 2018); data
//   segments carry no options; pure ACKs carry up to 4 SACK blocks, most recent first.
// - Every non-SYN segment carries the ack and the receive window (TcpReceiver.advertiseWindow),
//   so it answers the pending ack: the delayed-ack deadline is cleared.
// - A burst segment (not its train's last) gets TCP_BURST_BIT with the checksum fixed up
//   incrementally.

import { NO_FRAME } from "../../buf/frames.js";
import { TCP_FLAG_ACK, TCP_FLAG_FIN, emitTcp, tcpHeaderLength } from "../../wire/tcp.js";
import { ourWindowScale, type ResolvedTcpOptions, type TcpNegotiated } from "./tcp-options.js";
import type { TcpEndpoint, TcpLayerPort } from "./tcp-port.js";
import type { TcpReceiver } from "./tcp-receive.js";
import type { TcpSendBuffer } from "./tcp-send-buffer.js";
import type { TcpTimers } from "./tcp-timers.js";
import { ConnDrop, TCP_BURST_BIT, TcpState, type TcpCounters } from "./tcp-types.js";

export class TcpTransmitter {
  private readonly ep: TcpEndpoint;
  private readonly port: TcpLayerPort;
  private readonly opt: ResolvedTcpOptions;
  private readonly neg: TcpNegotiated;
  private readonly buf: TcpSendBuffer;
  private readonly rcv: TcpReceiver;
  private readonly timers: TcpTimers;
  private readonly c: TcpCounters;
  private readonly drops: Uint32Array;

  constructor(
    ep: TcpEndpoint,
    port: TcpLayerPort,
    opt: ResolvedTcpOptions,
    neg: TcpNegotiated,
    buf: TcpSendBuffer,
    rcv: TcpReceiver,
    timers: TcpTimers,
    c: TcpCounters,
    drops: Uint32Array,
  ) {
    this.ep = ep;
    this.port = port;
    this.opt = opt;
    this.neg = neg;
    this.buf = buf;
    this.rcv = rcv;
    this.timers = timers;
    this.c = c;
    this.drops = drops;
  }

  /**
   * Builds and sends one segment: `dataLen` bytes from the send buffer at `ringOff` bytes past
   * snd.una. A SYN (`syn`) carries the handshake options; any other segment the ack and window.
   */
  transmit(seq: number, flags: number, dataLen: number, ringOff: number, syn: boolean, burst: boolean): void {
    const ep = this.ep;
    const port = this.port;
    const r = port.txRepr;
    r.srcPort = ep.localPort;
    r.dstPort = ep.remotePort;
    r.seqNumber = seq >>> 0;
    r.urgentPointer = 0;
    r.tsVal = undefined;
    r.tsEcr = undefined;
    r.payloadLength = dataLen;
    const free = this.rcv.freeBytes();
    r.flags = flags;
    if (syn) this.synFields(flags, free);
    else {
      r.ackNumber = this.rcv.ackNumber();
      r.mss = undefined;
      r.windowScale = undefined;
      r.sackPermitted = false;
      r.sackCount = 0;
      if (dataLen === 0 && this.neg.sackOk && (flags & TCP_FLAG_FIN) === 0)
        r.sackCount = port.fillSackBlocks(ep.slot, r);
      r.window = this.rcv.advertiseWindow(free);
      this.timers.delackDeadline = 0;
    }
    const hl = tcpHeaderLength(r);
    const host = port.host;
    const f = host.allocPayloadFrame(hl + dataLen);
    if (f === NO_FRAME) {
      this.drops[ConnDrop.NO_SLOT]!++;
      return;
    }
    const off = port.sim.frames.offset(f);
    if (dataLen > 0) this.buf.copyOut(off + hl, ringOff, dataLen);
    const u8 = port.u8;
    emitTcp(r, port.view.wrap(u8, off, hl + dataLen), ep.localAddress, ep.remoteAddress);
    if (burst) setBurstBit(u8, off);
    this.c.segmentsSent++;
    host.sendIp(f, 6, ep.remoteAddress, true);
  }

  /** SYN / SYN-ACK fields: an active open offers what the options allow, a passive one answers. */
  private synFields(flags: number, free: number): void {
    const r = this.port.txRepr;
    const neg = this.neg;
    r.ackNumber = (flags & TCP_FLAG_ACK) !== 0 ? (this.rcv.irs + 1) >>> 0 : 0;
    r.window = Math.min(free, 0xffff);
    r.mss = this.opt.mss;
    const active = this.ep.stateValue === TcpState.SYN_SENT;
    r.windowScale = active
      ? this.opt.windowScale
        ? ourWindowScale(this.opt.receiveBuffer)
        : undefined
      : neg.wsAgreed
        ? neg.rcvScale
        : undefined;
    r.sackPermitted = active ? this.opt.sack : neg.sackOk;
    r.sackCount = 0;
  }
}

/** Sets TCP_BURST_BIT in the emitted header at `off` and fixes the checksum (RFC 1624 eqn. 3). */
function setBurstBit(u8: Uint8Array, off: number): void {
  const oldWord = (u8[off + 12]! << 8) | u8[off + 13]!;
  u8[off + 12] = u8[off + 12]! | TCP_BURST_BIT;
  const newWord = oldWord | (TCP_BURST_BIT << 8);
  let sum = (~((u8[off + 16]! << 8) | u8[off + 17]!) & 0xffff) + (~oldWord & 0xffff) + newWord;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  const cs = ~sum & 0xffff;
  u8[off + 16] = cs >>> 8;
  u8[off + 17] = cs & 0xff;
}
