// IcmpLayer: ICMP (RFC 792) on an IP stack (IpStackPort): echo request/reply with round-trip
// times in virtual time, port unreachable generation, and counting of the errors that arrive.
//
// Contract:
// - ping(dst, size) sends an echo request with `size` data bytes (like ping -s; a pattern
//   i & 0xff) and returns a PingResult that is filled in when the reply arrives: replyAt and
//   rttNs = replyAt - sentAt (exact virtual ns). Requests and replies are matched on (ident,
//   seqNo); ident is per host, seqNo counts up. A reply that matches nothing is counted.
// - Echo requests unicast to us are answered (data echoed byte for byte); requests to a
//   broadcast or multicast address are counted and not answered (the Linux default).
// - Port unreachable (type 3 code 3) quotes the offending IP header and 8 payload bytes
//   (icmp-errors.ts). UDP asks only about datagrams unicast to us; the RFC 1122 3.2.2 rule
//   suppresses the rest (counted ERROR_SUPPRESSED); a reassembled datagram is quoted with a
//   rebuilt 20-byte header.
// - Errors received are counted by kind: unreachable (by code name), time exceeded,
//   fragmentation needed (kept separately: a host with path MTU discovery would use it).
// - Malformed messages are dropped and counted by IcmpParseError name, never thrown.
// Not handled: rate limiting of errors, protocol unreachable, redirects, timestamps.

import { checkInteger } from "../../base/errors.js";
import { NO_FRAME } from "../../buf/frames.js";
import {
  ICMP_DEST_UNREACHABLE,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_HEADER_LEN,
  ICMP_TIME_EXCEEDED,
  ICMP_UNREACH_FRAG_NEEDED,
  ICMP_UNREACH_PORT,
  IcmpParseError,
  IcmpView,
  createIcmpRepr,
  emitIcmp,
  parseIcmpInto,
  type IcmpRepr,
} from "../../wire/icmp.js";
import { IPV4_HEADER_LEN, IP_PROTO_ICMP } from "../../wire/ipv4.js";
import { IcmpErrorWriter, icmpErrorForbidden, icmpErrorLength } from "./icmp-errors.js";
import type { IpStackPort, RxContext } from "./ip-link.js";

const ICMP_ERROR_NAMES: string[] = [];
for (const [name, value] of Object.entries(IcmpParseError)) ICMP_ERROR_NAMES[value] = name;
const UNREACH_NAMES = ["NET", "HOST", "PROTOCOL", "PORT", "FRAG_NEEDED", "SOURCE_ROUTE"];

export interface PingResult {
  readonly dst: number;
  readonly seq: number;
  readonly size: number;
  readonly sentAt: number;
  /** Virtual time of the reply (undefined until it arrives). */
  replyAt: number | undefined;
  rttNs: number | undefined;
}

export interface IcmpStats {
  echoRequestsSent: number;
  echoRequestsReceived: number;
  echoRepliesSent: number;
  echoRepliesReceived: number;
  unreachableSent: number;
  unreachableReceived: Record<string, number>;
  timeExceededReceived: number;
  fragNeededReceived: number;
  drops: Record<string, number>;
}

export class IcmpLayer {
  private readonly host: IpStackPort;
  readonly ident: number;
  private nextSeq = 0;
  private readonly pending = new Map<number, { result: PingResult; onReply: ((r: PingResult) => void) | undefined }>();
  private readonly view = new IcmpView(new Uint8Array(0));
  private readonly repr: IcmpRepr = createIcmpRepr();
  private readonly txRepr: IcmpRepr = createIcmpRepr();
  private readonly errors: IcmpErrorWriter;
  readonly counters = {
    echoRequestsSent: 0,
    echoRequestsReceived: 0,
    echoRepliesSent: 0,
    echoRepliesReceived: 0,
    unreachableSent: 0,
    timeExceededReceived: 0,
    fragNeededReceived: 0,
  };
  readonly unreachableReceived: Record<string, number> = {};
  readonly drops: Record<string, number> = {};

  constructor(host: IpStackPort, ident: number) {
    this.host = host;
    this.ident = ident & 0xffff;
    this.errors = new IcmpErrorWriter(host.sim);
  }

  /** Sends an echo request with `size` data bytes; the result fills in when the reply arrives. */
  ping(dst: number, size = 56, onReply?: (r: PingResult) => void): PingResult {
    checkInteger("dst", dst, 0, 0xffff_ffff);
    checkInteger("size", size, 0, 65_507);
    const seq = this.nextSeq;
    this.nextSeq = (seq + 1) & 0xffff;
    const result: PingResult = { dst, seq, size, sentAt: this.host.sim.now, replyAt: undefined, rttNs: undefined };
    this.pending.set(seq, { result, onReply });
    const r = this.txRepr;
    r.type = ICMP_ECHO_REQUEST;
    r.code = 0;
    r.ident = this.ident;
    r.seqNo = seq;
    r.nextHopMtu = 0;
    r.payloadLength = size;
    this.counters.echoRequestsSent++;
    const msgLen = ICMP_HEADER_LEN + size;
    const { bytes, at, frame } = this.buffer(msgLen);
    if (bytes === undefined) return result;
    for (let i = 0; i < size; i++) bytes[at + ICMP_HEADER_LEN + i] = i & 0xff;
    emitIcmp(r, this.view.wrap(bytes, at, msgLen));
    this.send(frame, bytes, at, msgLen, dst);
    return result;
  }

  /** Pings still waiting for their reply. */
  get outstanding(): number {
    return this.pending.size;
  }

  /** An ICMP message for us. Never keeps the frame. */
  input(ctx: RxContext): boolean {
    const v = this.view.wrap(ctx.bytes, ctx.payOff, ctx.payLen);
    const status = parseIcmpInto(v, this.repr);
    if (status !== IcmpParseError.OK) {
      this.drop(ICMP_ERROR_NAMES[status] ?? `ERROR_${status}`);
      return false;
    }
    const m = this.repr;
    switch (m.type) {
      case ICMP_ECHO_REQUEST:
        this.counters.echoRequestsReceived++;
        if (ctx.groupDst) {
          this.drop("ECHO_TO_GROUP_IGNORED");
          return false;
        }
        this.reply(ctx, m);
        return false;
      case ICMP_ECHO_REPLY: {
        const p = m.ident === this.ident ? this.pending.get(m.seqNo) : undefined;
        if (p === undefined || p.result.dst !== ctx.src) {
          this.drop("UNMATCHED_REPLY");
          return false;
        }
        this.counters.echoRepliesReceived++;
        this.pending.delete(m.seqNo);
        const now = this.host.sim.now;
        p.result.replyAt = now;
        p.result.rttNs = now - p.result.sentAt;
        p.onReply?.(p.result);
        return false;
      }
      case ICMP_DEST_UNREACHABLE: {
        if (m.code === ICMP_UNREACH_FRAG_NEEDED) this.counters.fragNeededReceived++;
        const name = UNREACH_NAMES[m.code] ?? `CODE_${m.code}`;
        this.unreachableReceived[name] = (this.unreachableReceived[name] ?? 0) + 1;
        return false;
      }
      case ICMP_TIME_EXCEEDED:
        this.counters.timeExceededReceived++;
        return false;
      default:
        this.drop("UNSUPPORTED_TYPE");
        return false;
    }
  }

  /** Destination unreachable (port) about the datagram in ctx, to its source. */
  sendPortUnreachable(ctx: RxContext): void {
    if (icmpErrorForbidden(ctx.src, ctx.fragmentOffset, ctx.protocol, ctx.bytes, ctx.payOff, ctx.payLen)) {
      this.drop("ERROR_SUPPRESSED");
      return;
    }
    const host = this.host;
    const reassembled = ctx.hdrOff < 0;
    const hdrLen = reassembled ? IPV4_HEADER_LEN : ctx.hdrLen;
    // At most 76 bytes: always fits a frame (a slot holds a 68-byte datagram and the headroom).
    const frame = host.allocPayloadFrame(icmpErrorLength(hdrLen, ctx.payLen));
    if (frame === NO_FRAME) return;
    const w = this.errors;
    if (reassembled) w.rebuildHeader(ctx.src, ctx.dst, ctx.protocol, ctx.payLen, ctx.ttl, ctx.identification);
    const at = host.sim.frames.offset(frame);
    const hdrBytes = reassembled ? w.rebuilt : ctx.bytes;
    const hdrOff = reassembled ? 0 : ctx.hdrOff;
    w.write(
      at,
      ICMP_DEST_UNREACHABLE,
      ICMP_UNREACH_PORT,
      0,
      hdrBytes,
      hdrOff,
      hdrLen,
      ctx.bytes,
      ctx.payOff,
      ctx.payLen,
    );
    this.counters.unreachableSent++;
    host.sendIp(frame, IP_PROTO_ICMP, ctx.src, false);
  }

  stats(): IcmpStats {
    return {
      ...this.counters,
      unreachableReceived: { ...this.unreachableReceived },
      drops: { ...this.drops },
    };
  }

  destroy(): void {
    this.pending.clear();
  }

  private reply(ctx: RxContext, m: IcmpRepr): void {
    const msgLen = ctx.payLen;
    const { bytes, at, frame } = this.buffer(msgLen);
    if (bytes === undefined) return;
    bytes.set(ctx.bytes.subarray(ctx.payOff, ctx.payOff + msgLen), at);
    const r = this.txRepr;
    r.type = ICMP_ECHO_REPLY;
    r.code = 0;
    r.ident = m.ident;
    r.seqNo = m.seqNo;
    r.nextHopMtu = 0;
    r.payloadLength = msgLen - ICMP_HEADER_LEN;
    emitIcmp(r, this.view.wrap(bytes, at, msgLen));
    this.counters.echoRepliesSent++;
    this.send(frame, bytes, at, msgLen, ctx.src);
  }

  /** Room for a message: a frame when it fits one, else a plain buffer for the fragmenting path. */
  private buffer(len: number): { bytes: Uint8Array | undefined; at: number; frame: number } {
    const host = this.host;
    if (host.fitsInFrame(len)) {
      const frame = host.allocPayloadFrame(len);
      if (frame === NO_FRAME) return { bytes: undefined, at: 0, frame };
      return { bytes: host.u8, at: host.sim.frames.offset(frame), frame };
    }
    return { bytes: new Uint8Array(len), at: 0, frame: NO_FRAME };
  }

  private send(frame: number, bytes: Uint8Array, at: number, len: number, dst: number): void {
    if (frame !== NO_FRAME) this.host.sendIp(frame, IP_PROTO_ICMP, dst, false);
    else this.host.sendIpBytes(IP_PROTO_ICMP, dst, bytes, at, len, false);
  }

  private drop(reason: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }
}
