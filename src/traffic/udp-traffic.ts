// UDP traffic: one scenario traffic entry (UdpScenarioTraffic) as datagrams between IpHosts,
// with per-flow statistics in a FlowStats. The kinds' own rules live beside this file:
// arrivals.ts (cbr, poisson, onoff), udp-bulk.ts, request-response.ts; the payload format in
// traffic-payload.ts; the shared sockets in udp-port-demux.ts.
//
// Contract:
// - startUdpTraffic registers the flow with the simulation as `traffic:${spec.name}` and
//   schedules its own sends (event kinds from EV_DEVICE_BASE). The first datagram goes at
//   spec.startNs (or now if that has passed); no datagram (request) goes at or after
//   spec.stopNs (none given: no stop of its own, it sends while the network runs) or beyond
//   spec.count.
// - Statistics: recordSent for every datagram handed to the socket, those it refused at once
//   included (also counted in sendFailures), so loss = 1 - received / sent is end to end;
//   datagrams dropped later are counted where they die. Multicast owes each datagram to every
//   member host (n members: n sent). recordReceived at the receiving socket takes the send
//   time from the datagram's birth tag (UdpMessage.sentAt), which travels beside the bytes, so
//   a receiver in another partition measures the same latency.
// - Sockets are shared per (host, port) (udp-port-demux.ts); multicast receivers must already
//   be members of the group.
// - Hot path: no allocation per datagram (one payload buffer per flow in linear memory, reused
//   UdpMessage, typed-array ring, handler objects made at start); the flow copies the spec
//   fields it reads per datagram and selects behaviour by a KIND_* code, so its loads and call
//   sites stay monomorphic.
// - Deterministic: the only randomness is the flow's own stream; no Map iteration in decisions.

import { EV_DEVICE_BASE } from "../devices/device.js";
import type { Rng } from "../engine/rng.js";
import type { EventHandler } from "../engine/scheduler.js";
import type { Simulation } from "../engine/simulation.js";
import type { AnyIpHost as IpHost } from "../stacks/ip/ip-host.js";
import type { UdpMessage, UdpSocket } from "../stacks/ip/udp-layer.js";
import type { FlowRecord, FlowStats } from "../trace/flow-stats.js";
import { ipv4FromString, isMulticastIpv4 } from "../wire/ipv4.js";
import { OnOffArrivals, PoissonArrivals } from "./arrivals.js";
import { Pacer } from "./pacer.js";
import { checkRequestResponse, Client, nextRequestTime, Server } from "./request-response.js";
import { TRAFFIC_HEADER_LEN, writeU32 } from "./traffic-payload.js";
import type { UdpScenarioTraffic as ScenarioTraffic } from "./traffic-spec.js";
import { planBulk } from "./udp-bulk.js";
import {
  acquireDemux,
  DEFAULT_MAILBOX_LIMIT,
  type DatagramHandler,
  type PortDemux,
  releaseDemux,
  Sink,
} from "./udp-port-demux.js";
import { checkUdpTraffic, invalid } from "./udp-traffic-check.js";

/** Drop reason of a datagram the sending host's stack refused at once (no route, crashed, ...: its stats say which). */
export const REFUSED_AT_SEND = "REFUSED_AT_SEND";

/** The flow's send tick: send what is due now, schedule the next. */
export const EV_TRAFFIC_SEND = EV_DEVICE_BASE;
/** Request-response timeout of request sequence number a. */
export const EV_TRAFFIC_TIMEOUT = EV_DEVICE_BASE + 1;

/** Send times remembered per flow for latency (a power of two). */
export const SEND_RING_SIZE = 1 << 16;
/**
 * The ring starts this small and doubles until it reaches SEND_RING_SIZE, as the flow's
 * sequence numbers reach its end. Until then no entry has been overwritten, so lookups are
 * the same as in a full-size ring. Why: 512 KiB per flow up front, zeroed, was most of the
 * set-up time and memory of scenarios with hundreds of short flows.
 */
const INITIAL_SEND_RING = 1 << 10;

// spec.type as a small integer, for the per-datagram branches (see UdpTrafficFlow.kind).
const KIND_CBR = 0;
const KIND_POISSON = 1;
const KIND_ONOFF = 2;
const KIND_BULK = 3;
const KIND_REQUEST_RESPONSE = 4;
const KIND_OF = {
  cbr: KIND_CBR,
  poisson: KIND_POISSON,
  onoff: KIND_ONOFF,
  bulk: KIND_BULK,
  "request-response": KIND_REQUEST_RESPONSE,
} as const;

/**
 * The send-time ring a flow starts with: big enough for every datagram it will send when that
 * is known (a count, or a constant rate up to a stop time), up to SEND_RING_SIZE; otherwise
 * INITIAL_SEND_RING, doubling as it goes. Why presize: a ring that doubles while the run is
 * hot copies itself, and the first doubling sent V8 back to unoptimised code mid-run.
 */
function initialSendRing(spec: ScenarioTraffic, maxDatagrams: number): number {
  let expected = maxDatagrams;
  if (spec.type === "cbr" && spec.stopNs !== undefined && spec.stopNs !== Infinity) {
    expected = Math.min(expected, Math.ceil(((spec.stopNs - spec.startNs) * spec.rateBps) / (spec.size * 8 * 1e9)) + 1);
  }
  let n = INITIAL_SEND_RING;
  while (n < expected && n < SEND_RING_SIZE) n *= 2;
  return n;
}

/**
 * A flow's state machine:
 *
 *     Idle --begin (first send tick)--> Running --finish (stop time, count or total)--> Done
 *                                        |   ^
 *              request-response: request |   | response / timeout
 *                                        v   |
 *                                       Waiting --finish (last exchange over)--> Done
 *     any --stop()--> Done (cancels the pending tick and timeout; receivers stay so datagrams
 *                           in flight are still counted)
 *     destroy(): stop(), then the flow leaves its sockets (closed when no flow uses them).
 */
export const TrafficState = { Idle: 0, Running: 1, Waiting: 2, Done: 3 } as const;
export type TrafficState = (typeof TrafficState)[keyof typeof TrafficState];
const STATE_NAMES = ["idle", "running", "waiting", "done"] as const;

export interface UdpTrafficOptions {
  /**
   * Mailbox limit of the sockets this flow binds (default 1024): one for every host, or each
   * host's own (a scenario host's stack.mailboxLimit).
   */
  mailboxLimit?: number | ((host: IpHost) => number);
}

export interface UdpTrafficReceiverStats {
  host: string;
  packets: number;
  bytes: number;
}

export interface UdpTrafficStats {
  name: string;
  type: ScenarioTraffic["type"];
  flow: number;
  state: (typeof STATE_NAMES)[number];
  /** Datagrams (requests) handed to the socket, refused ones included, and their payload bytes. */
  datagramsSent: number;
  bytesSent: number;
  /** Datagrams the socket refused at once (send() returned false). */
  sendFailures: number;
  /** Datagrams (responses) received for this flow, and their payload bytes. */
  received: number;
  receivedBytes: number;
  /** Received datagrams older than the send-time ring: no latency sample. */
  noLatencySample: number;
  /** Per receiving host (the client for request-response). */
  receivers: UdpTrafficReceiverStats[];
  /** request-response only: requests served by the server, timeouts, late responses. */
  requestsServed: number;
  timeouts: number;
  lateResponses: number;
  /** Bulk only: bytes still to send. */
  bytesRemaining: number;
  /** Onoff only: On periods begun before the stop time, and their time before it (ns). */
  onPeriods: number;
  onTimeNs: number;
}

export class UdpTrafficFlow implements EventHandler {
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  readonly flows: FlowStats;
  readonly flowId: number;
  /** This flow's record in `flows` (held: no lookup by id per datagram). */
  private readonly flowRecord: FlowRecord;
  readonly spec: ScenarioTraffic;
  readonly sender: IpHost;
  readonly dst: number;
  // The spec fields read per datagram, copied here. Why: the parsed spec objects of one
  // scenario do not all share a hidden class (V8 migrates some as their fields generalise), so
  // reading them through `spec` went megamorphic; these fields are monomorphic loads.
  private readonly stopNs: number;
  private readonly dstPort: number;
  private readonly ttl: number;
  /** spec.type as a KIND_* code. */
  private readonly kind: number;
  private stateValue: TrafficState = TrafficState.Idle;
  private readonly rng: Rng;
  /** Payload buffer: header rewritten per datagram, the rest zeros. */
  private readonly buf: Uint8Array;
  /** Bulk: datagrams of full size, then the shorter tail datagrams (own buffers). */
  private bulkFull = 0;
  private readonly tailBufs: Uint8Array[] = [];
  /** Request-response: the server's response buffer. */
  private readonly responseBuf: Uint8Array | undefined;
  private sendTimes: Float64Array;
  /** The sequence number at which the ring doubles (Infinity once it has SEND_RING_SIZE entries). */
  private ringGrowAt: number;
  private readonly sendDemux: PortDemux;
  private readonly rxDemuxes: PortDemux[] = [];
  private readonly sinks: Sink[] = [];
  private readonly client: Client | undefined;
  /** Sent/received packets counted per datagram (members of a multicast group). */
  private readonly owed: number;
  /** cbr and bulk: offsets from the origin. */
  private readonly pacer: Pacer | undefined;
  private readonly poisson: PoissonArrivals | undefined;
  private readonly onoff: OnOffArrivals | undefined;
  private readonly maxDatagrams: number;
  /** First send time: spec.startNs, or the creation time if that is later. */
  private readonly origin: number;
  private nextSeq = 0;
  private nextTime = 0;
  private tick = -1;
  private timeout = -1;
  // bulk
  private bytesLeft = 0;
  // request-response
  private outstanding = 0;
  private lastRequestNs = -Infinity;
  private readonly counters = {
    datagramsSent: 0,
    bytesSent: 0,
    sendFailures: 0,
    received: 0,
    receivedBytes: 0,
    noLatencySample: 0,
    requestsServed: 0,
    timeouts: 0,
    lateResponses: 0,
  };
  private destroyed = false;

  constructor(
    sim: Simulation,
    flows: FlowStats,
    flowId: number,
    spec: ScenarioTraffic,
    sender: IpHost,
    receivers: readonly IpHost[],
    options: UdpTrafficOptions = {},
  ) {
    const p = `traffic.${spec.name}`;
    checkUdpTraffic(spec, sender, p);
    const given = options.mailboxLimit;
    const mailboxLimit = (host: IpHost): number =>
      typeof given === "function" ? given(host) : (given ?? DEFAULT_MAILBOX_LIMIT);
    this.sim = sim;
    this.flows = flows;
    this.flowId = flowId;
    this.spec = spec;
    this.stopNs = spec.stopNs ?? Infinity;
    this.dstPort = spec.dstPort;
    this.ttl = spec.ttl ?? 1;
    this.kind = KIND_OF[spec.type];
    this.sender = sender;
    this.name = `traffic:${spec.name}`;
    this.dst = ipv4FromString(spec.to.address, `${p}.to`);
    this.rng = sim.scheduler.rng(this.name);
    this.buf = sim.allocBytes(spec.size); // in linear memory: see UdpLayer.sendFrom
    writeU32(this.buf, 0, flowId);
    let maxDatagrams = spec.count ?? Infinity;
    let pacer: Pacer | undefined;
    if (spec.type === "cbr") {
      pacer = new Pacer(spec.size * 8 * 1e9, spec.rateBps);
    } else if (spec.type === "bulk") {
      const plan = planBulk(spec, flowId, sender, p);
      this.bulkFull = plan.full;
      this.tailBufs.push(...plan.tail);
      this.bytesLeft = plan.bytes;
      maxDatagrams = Math.min(maxDatagrams, plan.datagrams);
      pacer = plan.pacer;
    } else if (spec.type === "request-response") {
      checkRequestResponse(spec, receivers, p);
    }
    this.pacer = pacer;
    this.poisson = spec.type === "poisson" ? new PoissonArrivals(this.rng, spec.size, spec.rateBps) : undefined;
    this.onoff = spec.type === "onoff" ? new OnOffArrivals(this.rng, { ...spec, stopNs: this.stopNs }) : undefined;
    this.responseBuf = spec.type === "request-response" ? new Uint8Array(spec.responseSize) : undefined;
    this.maxDatagrams = maxDatagrams;
    this.sendTimes = new Float64Array(initialSendRing(spec, maxDatagrams));
    this.ringGrowAt = this.sendTimes.length < SEND_RING_SIZE ? this.sendTimes.length : Infinity;

    const members = receivers.filter((r) => r !== sender);
    this.owed = spec.type === "request-response" ? 1 : Math.max(1, isMulticastIpv4(this.dst) ? members.length : 1);
    this.sendDemux = acquireDemux(sender, spec.srcPort, mailboxLimit(sender));
    this.client = spec.type === "request-response" ? new Client(this, sender) : undefined;
    this.joinSockets(receivers[0], members, mailboxLimit, p);
    this.flowRecord =
      flows.flow(flowId) ??
      flows.defineFlow(flowId, { src: sender.nic.name, dst: spec.to.host ?? spec.to.address, label: spec.name });
    this.id = sim.register(this.name, this);
    this.origin = Math.max(spec.startNs, sim.now);
    this.onoff?.start(this.origin);
    this.nextTime = spec.type === "request-response" ? this.origin : this.advance();
    this.armOrFinish();
  }

  get state(): (typeof STATE_NAMES)[number] {
    return STATE_NAMES[this.stateValue];
  }

  /** Stops sending (any state -> Done); receivers stay to count datagrams in flight. */
  stop(): void {
    if (this.tick !== -1) this.sim.scheduler.cancel(this.tick);
    if (this.timeout !== -1) this.sim.scheduler.cancel(this.timeout);
    this.tick = -1;
    this.timeout = -1;
    this.stateValue = TrafficState.Done;
  }

  /** stop(), then leaves the sockets (each is closed when no flow uses it any more). */
  destroy(): void {
    if (this.destroyed) return;
    this.stop();
    this.leaveSockets();
    this.destroyed = true;
  }

  stats(): UdpTrafficStats {
    const c = this.counters;
    return {
      name: this.spec.name,
      type: this.spec.type,
      flow: this.flowId,
      state: this.state,
      ...c,
      receivers:
        this.client !== undefined
          ? [{ host: this.client.host.nic.name, packets: this.client.packets, bytes: this.client.bytes }]
          : this.sinks.map((s) => ({ host: s.host.nic.name, packets: s.packets, bytes: s.bytes })),
      bytesRemaining: this.spec.type === "bulk" ? this.bytesLeft : 0,
      onPeriods: this.onoff?.periods ?? 0,
      onTimeNs: this.onoff?.onTimeNs ?? 0,
    };
  }

  handleEvent(kind: number, a: number, _b: number, _len: number): void {
    if (this.destroyed) return;
    if (kind === EV_TRAFFIC_SEND) {
      this.tick = -1;
      if (this.stateValue === TrafficState.Done) return;
      this.onTick();
    } else if (kind === EV_TRAFFIC_TIMEOUT) {
      this.timeout = -1;
      if (this.stateValue === TrafficState.Waiting && a === (this.outstanding | 0)) {
        this.counters.timeouts++;
        this.exchangeOver();
      }
    }
  }

  // --- send side ---

  /** Idle/Running: sends every datagram due now, then arms the next tick or finishes. */
  private onTick(): void {
    this.stateValue = TrafficState.Running;
    const now = this.sim.now;
    if (this.kind === KIND_REQUEST_RESPONSE) {
      this.sendRequest();
      return;
    }
    while (this.nextTime <= now && this.canSend()) {
      this.sendData();
      this.nextTime = this.advance();
    }
    this.armOrFinish();
  }

  private canSend(): boolean {
    return this.nextTime < this.stopNs && this.counters.datagramsSent < this.maxDatagrams;
  }

  /** Schedules the tick at nextTime, or Running -> Done when nothing more can go. */
  private armOrFinish(): void {
    if (!this.canSend()) {
      this.stateValue = TrafficState.Done;
      return;
    }
    this.tick = this.sim.scheduler.scheduleAt(this.id, this.nextTime, this.id, EV_TRAFFIC_SEND, 0, 0, 0);
  }

  /** The next data datagram's time (request-response schedules from its own timer, not from here). */
  private advance(): number {
    switch (this.kind) {
      case KIND_POISSON:
        return this.origin + this.poisson!.next();
      case KIND_ONOFF:
        return this.onoff!.next();
      default: // cbr, bulk
        return this.origin + this.pacer!.next();
    }
  }

  /** One data datagram (cbr, poisson, onoff, bulk). */
  private sendData(): void {
    let payload = this.buf;
    if (this.kind === KIND_BULK) {
      const i = this.counters.datagramsSent - this.bulkFull;
      if (i >= 0) payload = this.tailBufs[i]!;
      this.bytesLeft -= payload.length;
    }
    this.transmit(this.sendDemux.socket, this.dst, this.dstPort, payload);
    for (let i = 0; i < this.owed; i++) this.flows.recordSentOn(this.flowRecord, payload.length, this.sim.now);
  }

  /** Writes the sequence number, remembers the send time, sends; returns the sequence number. */
  private transmit(socket: UdpSocket, dst: number, port: number, payload: Uint8Array): number {
    const seq = this.nextSeq++;
    const now = this.sim.now;
    let ring = this.sendTimes;
    if (seq >= this.ringGrowAt) ring = this.growSendRing();
    ring[seq & (ring.length - 1)] = now;
    writeU32(payload, 4, seq);
    const c = this.counters;
    c.datagramsSent++;
    c.bytesSent += payload.length;
    // The frames built for this datagram carry the flow, so drops on the way are the flow's.
    const frames = this.sim.frames;
    frames.txFlow = this.flowId;
    const sent = socket.send(dst, port, payload, this.ttl);
    frames.txFlow = -1;
    if (!sent) {
      c.sendFailures++;
      this.flows.recordDropNamed(this.flowId, REFUSED_AT_SEND, this.owed);
    }
    return seq;
  }

  /** Running -> Waiting: one request, with its timeout. */
  private sendRequest(): void {
    const spec = this.spec;
    if (spec.type !== "request-response") return;
    if (!(this.sim.now < this.stopNs && this.counters.datagramsSent < this.maxDatagrams)) {
      this.stateValue = TrafficState.Done;
      return;
    }
    this.lastRequestNs = this.sim.now;
    this.outstanding = this.transmit(this.sendDemux.socket, this.dst, spec.dstPort, this.buf);
    this.flows.recordSent(this.flowId, spec.size, this.sim.now);
    this.stateValue = TrafficState.Waiting;
    this.timeout = this.sim.scheduler.schedule(
      this.id,
      spec.timeoutNs,
      this.id,
      EV_TRAFFIC_TIMEOUT,
      this.outstanding | 0,
      0,
      0,
    );
  }

  /** Waiting -> Running (next request armed) or Done. */
  private exchangeOver(): void {
    const spec = this.spec;
    if (spec.type !== "request-response") return;
    if (this.timeout !== -1) this.sim.scheduler.cancel(this.timeout);
    this.timeout = -1;
    const next = nextRequestTime(this.sim.now, this.origin, spec.intervalNs, this.lastRequestNs);
    this.nextTime = next;
    this.stateValue = TrafficState.Running;
    if (!(next < this.stopNs && this.counters.datagramsSent < this.maxDatagrams)) {
      this.stateValue = TrafficState.Done;
      return;
    }
    // Always through an event, even at delay 0: we may be inside a socket listener.
    this.tick = this.sim.scheduler.scheduleAt(this.id, next, this.id, EV_TRAFFIC_SEND, 0, 0, 0);
  }

  /** Doubles the send-time ring; only before it wraps, so every entry keeps its index. */
  private growSendRing(): Float64Array {
    const grown = new Float64Array(this.sendTimes.length * 2);
    grown.set(this.sendTimes);
    this.sendTimes = grown;
    this.ringGrowAt = grown.length < SEND_RING_SIZE ? grown.length : Infinity;
    return grown;
  }

  // --- receive side (called by the handlers) ---

  /** Send time of `seq` (a wire u32) if the ring still has it, else -1. */
  private sendTimeOf(seq: number): number {
    if (this.nextSeq === 0) return -1;
    const age = (this.nextSeq - 1 - seq) >>> 0;
    if (age >= SEND_RING_SIZE || seq >= this.nextSeq) return -1; // too old, or never sent
    const ring = this.sendTimes;
    return ring[seq & (ring.length - 1)]!;
  }

  /** A data datagram of this flow, sent at `sentAt`, reached receiver number `receiver`. */
  received(bytes: number, now: number, sentAt: number, receiver: number): void {
    this.counters.received++;
    this.counters.receivedBytes += bytes;
    this.flows.recordReceivedOn(this.flowRecord, bytes, sentAt, now, receiver);
  }

  /**
   * A response in time, with the RTT from the ring; one older than the ring (the last 65,536
   * requests) still counts as received, without a latency sample (stats().noLatencySample).
   */
  private record(seq: number, bytes: number, now: number): void {
    const sent = this.sendTimeOf(seq);
    if (sent >= 0) {
      this.flows.recordReceived(this.flowId, bytes, sent, now);
      return;
    }
    this.counters.noLatencySample++;
    this.flows.recordReceivedUnsampled(this.flowId, bytes, now);
  }

  /** Server side: answers a request from inside the socket listener. */
  serve(socket: UdpSocket, m: UdpMessage): void {
    const out = this.responseBuf;
    if (out === undefined || this.destroyed) return;
    this.counters.requestsServed++;
    out.set(m.payload.subarray(0, TRAFFIC_HEADER_LEN));
    // The response is the flow's too: lost on the way back, the exchange is lost.
    const frames = this.sim.frames;
    frames.txFlow = this.flowId;
    const sent = socket.send(m.src, m.srcPort, out);
    frames.txFlow = -1;
    if (!sent) this.flows.recordDropNamed(this.flowId, REFUSED_AT_SEND);
  }

  /** Client side: a response; in time for the outstanding request it ends the exchange. */
  response(client: Client, seq: number, bytes: number, now: number): void {
    client.packets++;
    client.bytes += bytes;
    if (this.stateValue !== TrafficState.Waiting || seq !== this.outstanding >>> 0) {
      this.counters.lateResponses++;
      return;
    }
    this.counters.received++;
    this.counters.receivedBytes += bytes;
    this.record(seq, bytes, now);
    this.exchangeOver();
  }

  // --- sockets ---

  /**
   * Joins the sockets after the sender's (srcPort, already acquired): request-response the
   * server's (`server`, dstPort), otherwise every member's (dstPort), each shared. On failure
   * leaves every socket joined so far.
   */
  private joinSockets(
    server: IpHost | undefined,
    members: readonly IpHost[],
    mailboxLimit: (host: IpHost) => number,
    p: string,
  ): void {
    const port = this.spec.dstPort;
    try {
      if (this.client !== undefined) {
        this.register(this.sendDemux, this.client, p);
        const d = acquireDemux(server!, port, mailboxLimit(server!));
        this.rxDemuxes.push(d);
        this.register(d, new Server(this, d.socket), p);
        return;
      }
      for (const [i, r] of members.entries()) {
        const d = acquireDemux(r, port, mailboxLimit(r));
        this.rxDemuxes.push(d);
        const sink = new Sink(this, r, i);
        this.sinks.push(sink);
        this.register(d, sink, p);
      }
    } catch (err) {
      this.leaveSockets();
      throw err;
    }
  }

  private register(d: PortDemux, h: DatagramHandler, p: string): void {
    if (d.has(this.flowId)) {
      throw invalid(p, `flow ${this.flowId} already uses UDP port ${d.socket.port} on ${d.host.name}`);
    }
    d.add(this.flowId, h);
  }

  private leaveSockets(): void {
    for (const d of [this.sendDemux, ...this.rxDemuxes]) {
      d.remove(this.flowId, this);
      releaseDemux(d);
    }
    this.rxDemuxes.length = 0;
  }
}

/**
 * Starts the datagrams of one scenario traffic entry from `sender` (see the module comment).
 * `receivers`: the destination host, or every member host of a multicast group; empty when
 * the destination is not a scenario host (nothing is received then).
 */
export function startUdpTraffic(
  sim: Simulation,
  flows: FlowStats,
  flowId: number,
  spec: ScenarioTraffic,
  sender: IpHost,
  receivers: readonly IpHost[],
  options: UdpTrafficOptions = {},
): UdpTrafficFlow {
  return new UdpTrafficFlow(sim, flows, flowId, spec, sender, receivers, options);
}
