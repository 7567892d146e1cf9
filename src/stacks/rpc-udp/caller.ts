// RpcUdpCaller: the client side of RPC over UDP (Birman Figs 4-4, 4-5): one call at a time,
// each under a fresh sequence number of the client's incarnation, retransmitted until a reply.
//
// Contract:
// - call(spec, done) sends the request (a burst of fragments when large) and retransmits it
//   every retransmitNs; after `retries` retransmissions without an answer done() reports
//   unknown/TIMEOUT. An ACK from the server (it has the request and is executing it) restarts
//   the retry budget, and later retransmissions are single-fragment probes; a NAK gets the
//   missing fragments again. The reply is the acknowledgement of the request.
// - done(outcome) runs exactly once per call (rpc-udp-types.ts for the outcomes). A reply's
//   result is a view valid during the callback. Calling while a call is outstanding throws.
// - Acks of replies: the next request to the same server acknowledges the last reply; when none
//   follows within ackDelayNs, an explicit ACK goes (a call to another server sends it at once).
//   A reply of an earlier call (late or duplicated) is counted and acknowledged again.
// - Failures: crash() (the host crashed) ends the outstanding call as unknown/CLIENT_CRASHED and
//   forgets all volatile state; restart() reopens the socket under the host's new incarnation,
//   numbering calls from 1 again. The client id stays: it names the client across incarnations.
// - Timers are events of this device (EV_CALL_RETX, EV_REPLY_NAK, EV_REPLY_ACK) checked against
//   generations, so a stale one is ignored. Per packet nothing is allocated; per call the
//   outcome and the reply's assembly.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { EV_DEVICE_BASE } from "../../devices/device.js";
import type { EventHandler } from "../../engine/scheduler.js";
import type { Simulation } from "../../engine/simulation.js";
import {
  RPC_UDP_MAX_FRAGMENTS,
  RPC_UDP_STATUS_NAMES,
  RpcUdpStatus,
  RpcUdpType,
  type RpcUdpRepr,
} from "../../wire/rpc-udp.js";
import type { AnyIpHost } from "../ip/ip-host.js";
import { AssemblyTable, type AssemblyCounters } from "./assembly.js";
import { failureHooks, type FailureHooks } from "./host-failures.js";
import { PacketIo, type PacketCounters, type PacketSink } from "./packet-io.js";
import type { CallOutcome, RpcUdpEndpointOptions } from "./rpc-udp-types.js";

export const EV_CALL_RETX = EV_DEVICE_BASE;
export const EV_REPLY_NAK = EV_DEVICE_BASE + 1;
export const EV_REPLY_ACK = EV_DEVICE_BASE + 2;

export interface CallSpec {
  dst: number;
  dstPort: number;
  /** The incarnation of the server the client bound to. */
  serverIncarnation: number;
  operation: number;
  args: Uint8Array;
  retransmitNs: number;
  retries: number;
  /** Send under this sequence number (the same call again at another server); 0: the next one. */
  sequence?: number;
}

export interface CallerCounters {
  calls: number;
  /** Retransmission rounds (a whole request, or a probe after an ACK). */
  retransmissions: number;
  acksReceived: number;
  naksReceived: number;
  /** Fragments sent again because a NAK named them. */
  fragmentsRepaired: number;
  lateReplies: number;
  explicitAcks: number;
  implicitAcks: number;
  /** Packets for another client or incarnation, or of a kind a client never gets. */
  strayPackets: number;
}

export interface CallerStats extends CallerCounters {
  incarnation: number;
  packets: PacketCounters;
  assembly: AssemblyCounters;
}

/** A NAK-style bitmap naming fragment 0 alone: the probe sent after an ACK. */
const FIRST_FRAGMENT = Uint8Array.of(0x80);

export class RpcUdpCaller implements EventHandler, PacketSink {
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  readonly host: AnyIpHost;
  readonly clientId: number;
  readonly io: PacketIo;
  private readonly hooks: FailureHooks;
  private readonly o: RpcUdpEndpointOptions;
  private readonly assembly: AssemblyTable;
  private incarnationValue = 0;
  private nextSeq = 1;
  private up = false;
  // The outstanding call.
  private cur: CallSpec | undefined;
  private done: ((o: CallOutcome) => void) | undefined;
  private seq = 0;
  private attemptsLeft = 0;
  private acked = false;
  private transmissions = 0;
  private timer = -1;
  private gen = 0;
  // The reply waiting for its acknowledgement.
  private ackTimer = -1;
  private ackGen = 0;
  private ackDst = 0;
  private ackPort = 0;
  private ackSeq = 0;
  private ackOp = 0;
  private ackSinc = 0;
  private ackCount = 0;
  private ackLength = 0;
  readonly counters: CallerCounters = {
    calls: 0,
    retransmissions: 0,
    acksReceived: 0,
    naksReceived: 0,
    fragmentsRepaired: 0,
    lateReplies: 0,
    explicitAcks: 0,
    implicitAcks: 0,
    strayPackets: 0,
  };

  constructor(host: AnyIpHost, name: string, clientId: number, options: RpcUdpEndpointOptions) {
    this.host = host;
    this.sim = host.sim;
    this.name = name;
    this.clientId = clientId >>> 0;
    this.o = options;
    this.hooks = failureHooks(host, false);
    this.id = this.sim.register(name, this);
    this.io = new PacketIo(host, this, options.fragmentBytes);
    this.assembly = new AssemblyTable(this.sim, this.id, EV_REPLY_NAK, this.io, {
      slots: 1,
      maxBytes: options.maxMessageBytes,
      nakDelayNs: options.nakDelayNs,
      nakLimit: options.nakLimit,
    });
  }

  get incarnation(): number {
    return this.incarnationValue;
  }

  /** The sequence number of the outstanding (or the last) call. */
  get sequence(): number {
    return this.seq;
  }

  get busy(): boolean {
    return this.cur !== undefined;
  }

  get isUp(): boolean {
    return this.up;
  }

  /** Opens the socket under the host's current incarnation (at start and after a restart). */
  open(): void {
    if (this.up) return;
    this.up = true;
    this.incarnationValue = this.hooks.incarnation;
    this.nextSeq = 1;
    this.io.open(0);
  }

  call(spec: CallSpec, done: (o: CallOutcome) => void): void {
    if (this.cur !== undefined || !this.up) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${this.name}: ${this.up ? "a call is already outstanding" : "the caller is not open"}`,
        { path: "call" },
      );
    }
    if (spec.args.length > this.o.maxMessageBytes || this.io.fragmentCount(spec.args.length) > RPC_UDP_MAX_FRAGMENTS) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${this.name}: ${spec.args.length}-byte arguments exceed maxMessageBytes ${this.o.maxMessageBytes} ` +
          `or ${RPC_UDP_MAX_FRAGMENTS} fragments of ${this.io.fragmentBytes} bytes`,
        { path: "args" },
      );
    }
    this.settleAck(spec.dst, spec.dstPort);
    this.counters.calls++;
    this.cur = spec;
    this.done = done;
    if (spec.sequence !== undefined && spec.sequence > 0) {
      this.seq = spec.sequence >>> 0;
      if (this.nextSeq <= this.seq) this.nextSeq = this.seq + 1;
    } else this.seq = this.nextSeq++;
    this.attemptsLeft = spec.retries;
    this.acked = false;
    this.transmissions = 0;
    this.transmit(false);
  }

  /** The host crashed: the outstanding call ends unknown, everything volatile is forgotten. */
  crash(): void {
    if (!this.up) return;
    this.up = false;
    this.io.closed();
    this.assembly.clear();
    this.stopAck();
    if (this.cur !== undefined) this.finish("unknown", "CLIENT_CRASHED", -1, undefined);
  }

  /** The host is up again: a new incarnation. */
  restart(): void {
    this.open();
  }

  /** Closes the socket and drops the outstanding call without an outcome (end of the run). */
  destroy(): void {
    this.stopTimer();
    this.stopAck();
    this.assembly.clear();
    this.cur = undefined;
    this.done = undefined;
    if (this.up) this.io.close();
    this.up = false;
  }

  stats(): CallerStats {
    return {
      incarnation: this.incarnationValue,
      ...this.counters,
      packets: { ...this.io.counters, drops: { ...this.io.counters.drops } },
      assembly: { ...this.assembly.counters },
    };
  }

  handleEvent(kind: number, a: number, b: number): void {
    if (!this.up) return;
    if (kind === EV_CALL_RETX) {
      if (b !== this.gen || this.cur === undefined) return;
      this.timer = -1;
      if (this.attemptsLeft <= 0) {
        this.finish("unknown", "TIMEOUT", -1, undefined);
        return;
      }
      this.attemptsLeft--;
      this.counters.retransmissions++;
      this.transmit(true);
    } else if (kind === EV_REPLY_NAK) this.assembly.onTimer(a, b);
    else if (kind === EV_REPLY_ACK && b === this.ackGen) {
      this.ackTimer = -1;
      this.sendAck();
    }
  }

  onPacket(r: RpcUdpRepr, bytes: Uint8Array, dataOff: number, src: number, srcPort: number): void {
    if (
      r.clientId !== this.clientId ||
      r.clientIncarnation !== this.incarnationValue ||
      r.type === RpcUdpType.REQUEST
    ) {
      this.counters.strayPackets++;
      return;
    }
    const cur = this.cur;
    const mine = cur !== undefined && r.sequence === this.seq && src === cur.dst && srcPort === cur.dstPort;
    if (r.type === RpcUdpType.REPLY) {
      if (!mine) {
        this.lateReply(r, src, srcPort);
        return;
      }
      if (r.fragmentCount === 1) {
        this.reply(r, r.status, r.serverIncarnation, bytes.subarray(dataOff, dataOff + r.dataLength), 1);
        return;
      }
      const slot = this.assembly.add(r, bytes, dataOff, src, srcPort);
      if (slot < 0) return;
      const a = this.assembly.get(slot);
      const { data, status, serverIncarnation, count } = a;
      this.assembly.release(slot);
      this.reply(r, status, serverIncarnation, data, count);
      return;
    }
    if (!mine) {
      this.counters.strayPackets++;
      return;
    }
    if (r.type === RpcUdpType.ACK) {
      this.counters.acksReceived++;
      this.acked = true;
      this.attemptsLeft = cur.retries;
      return;
    }
    // NAK: the server misses fragments of the request (one that names another message is stray).
    if (r.fragmentCount !== this.io.fragmentCount(cur.args.length) || r.messageLength !== cur.args.length) {
      this.counters.strayPackets++;
      return;
    }
    this.counters.naksReceived++;
    this.setCallFields(cur);
    this.counters.fragmentsRepaired += this.io.sendMessage(cur.dst, cur.dstPort, cur.args, true, bytes, dataOff);
  }

  // --- internals ---

  private transmit(retx: boolean): void {
    const cur = this.cur!;
    this.transmissions++;
    this.setCallFields(cur);
    const probe = retx && this.acked;
    this.io.sendMessage(cur.dst, cur.dstPort, cur.args, retx, probe ? FIRST_FRAGMENT : undefined);
    this.gen = (this.gen + 1) | 0;
    this.timer = this.sim.scheduler.schedule(this.id, cur.retransmitNs, this.id, EV_CALL_RETX, 0, this.gen, 0);
  }

  private setCallFields(cur: CallSpec): void {
    const tx = this.io.tx;
    tx.type = RpcUdpType.REQUEST;
    tx.status = 0;
    tx.operation = cur.operation;
    tx.clientId = this.clientId;
    tx.clientIncarnation = this.incarnationValue;
    tx.serverIncarnation = cur.serverIncarnation >>> 0;
    tx.sequence = this.seq;
  }

  private reply(r: RpcUdpRepr, status: number, sinc: number, data: Uint8Array, count: number): void {
    const cur = this.cur!;
    // Remember what to acknowledge: the next request to this server, or an explicit ACK.
    this.ackDst = cur.dst;
    this.ackPort = cur.dstPort;
    this.ackSeq = this.seq;
    this.ackOp = r.operation;
    this.ackSinc = sinc;
    this.ackCount = count;
    this.ackLength = data.length;
    this.ackGen = (this.ackGen + 1) | 0;
    this.ackTimer = this.sim.scheduler.schedule(this.id, this.o.ackDelayNs, this.id, EV_REPLY_ACK, 0, this.ackGen, 0);
    if (status === RpcUdpStatus.OK) this.finish("ok", "OK", sinc, data);
    else if (status === RpcUdpStatus.RESTARTED) this.finish("unknown", "RESTARTED", sinc, undefined);
    else
      this.finish("failed", RPC_UDP_STATUS_NAMES[status]!, sinc, status === RpcUdpStatus.APP_ERROR ? data : undefined);
  }

  private lateReply(r: RpcUdpRepr, src: number, srcPort: number): void {
    this.counters.lateReplies++;
    // One ack per late reply: on its first fragment.
    if (r.fragmentIndex !== 0) return;
    // The server still holds that reply: let it go.
    const tx = this.io.tx;
    tx.operation = r.operation;
    tx.clientId = this.clientId;
    tx.clientIncarnation = this.incarnationValue;
    tx.serverIncarnation = r.serverIncarnation;
    tx.sequence = r.sequence;
    this.io.sendAck(src, srcPort, r.fragmentCount, r.messageLength);
    this.counters.explicitAcks++;
  }

  private finish(kind: CallOutcome["kind"], reason: string, sinc: number, result: Uint8Array | undefined): void {
    this.stopTimer();
    const done = this.done!;
    const outcome: CallOutcome = {
      kind,
      reason,
      sequence: this.seq,
      clientIncarnation: this.incarnationValue,
      serverIncarnation: sinc,
      result,
      transmissions: this.transmissions,
    };
    this.cur = undefined;
    this.done = undefined;
    done(outcome);
  }

  /** A new call to dst:port: the pending ACK goes with it (same server) or at once (another). */
  private settleAck(dst: number, port: number): void {
    if (this.ackTimer < 0) return;
    if (dst === this.ackDst && port === this.ackPort) {
      this.stopAck();
      this.counters.implicitAcks++;
      return;
    }
    this.stopAck();
    this.sendAck();
  }

  private sendAck(): void {
    const tx = this.io.tx;
    tx.operation = this.ackOp;
    tx.clientId = this.clientId;
    tx.clientIncarnation = this.incarnationValue;
    tx.serverIncarnation = this.ackSinc >>> 0;
    tx.sequence = this.ackSeq;
    this.io.sendAck(this.ackDst, this.ackPort, this.ackCount, this.ackLength);
    this.counters.explicitAcks++;
  }

  private stopTimer(): void {
    if (this.timer >= 0) this.sim.scheduler.cancel(this.timer);
    this.timer = -1;
    this.gen = (this.gen + 1) | 0;
  }

  private stopAck(): void {
    if (this.ackTimer >= 0) this.sim.scheduler.cancel(this.ackTimer);
    this.ackTimer = -1;
    this.ackGen = (this.ackGen + 1) | 0;
  }
}
