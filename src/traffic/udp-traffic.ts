// UDP traffic: generators and sinks that turn one scenario traffic entry (ScenarioTraffic) into
// datagrams between IpHosts, with per-flow statistics in a FlowStats.
//
// Contract:
// - startUdpTraffic(sim, flows, flowId, spec, sender, receivers) registers the flow with the
//   simulation as `traffic:${spec.name}` and schedules its own sends (event kinds from
//   EV_DEVICE_BASE). The first datagram goes at spec.startNs (or now if that has passed); no
//   datagram (request) goes at or after spec.stopNs or beyond spec.count.
// - Payload (spec.size bytes, >= 8): +0 flow id (u32 BE), +4 sequence number (u32 BE, per flow,
//   from 0, wraps), then zeros. Zeros because they cost nothing to produce (one buffer per flow,
//   zero-filled once; only the 8 header bytes are written per datagram) and they still travel
//   as real bytes through the UDP checksum. Responses of request-response carry the flow id and
//   the sequence number of the request they answer.
// - Rates count UDP payload bits (spec.size * 8 per datagram), not frame or wire bits: a 100
//   Mbit/s flow of 1000-byte datagrams sends one every 80 us whatever the headers cost.
// - Timing per type:
//   * cbr: datagram k at startNs + round(k * size * 8e9 / rateBps), round half up, integer-exact
//     (quotient and remainder carried, as CbrSource does) when the numbers are safe integers.
//   * poisson: exponential gaps of mean size * 8e9 / rateBps from the stream
//     sim.scheduler.rng(`traffic:${name}`); datagram k at startNs + round(sum of its first k + 1
//     gaps), as PoissonSource does (so the first one is not at startNs itself).
//   * onoff: starts On at startNs. On periods send CBR at rateBps from the period's start (k
//     restarts at 0 each period); Off periods send nothing. Period lengths: onNs/offNs exactly
//     ("fixed") or exponential with those means from the flow's stream (rounded, On >= 1 ns).
//   * bulk: `total` bytes in datagrams of `size`; the last one is shorter. A remainder below 8
//     bytes (no room for the header) is made up from the one before it, so the bytes add up to
//     exactly `total` (a total below 8 is sent as one 8-byte datagram). Paced at rateBps like
//     cbr; without a rate, datagrams go back to back at the sender's link rate: the period is
//     the wire time of one full datagram (every fragment, its Ethernet framing and the link's
//     per-frame overhead, via PointToPointLink.serializationNs), so the sender's interface is
//     busy all the time and its queue does not grow. (A fixed pacing, not a window watching the
//     queue: simpler, deterministic, and the same rate on an otherwise idle interface.)
//   * request-response: one request of `size` bytes outstanding at a time. The server (the
//     destination host, port dstPort) answers each request at once with `responseSize` bytes
//     to the client's srcPort. The client records RTT = response arrival - request send time
//     as the flow's latency, and counts a request with no response within timeoutNs as a
//     timeout (a response arriving later is counted as late, not as received). The next request
//     goes when the response or the timeout comes: at once without intervalNs, otherwise at the
//     next tick startNs + k * intervalNs after the previous request (ticks passed while waiting
//     are skipped: intervalNs is the least time between requests, not an open-loop clock).
// - Statistics in `flows` (FlowStats):
//   * recordSent for every datagram the generator hands to the socket, those the socket
//     refused at once included (send() = false: no route, no frame slot; also counted in this
//     flow's sendFailures), so loss = 1 - received / sent is end to end. Datagrams dropped
//     later (ARP queue overflow, links, mailboxes) are counted where they die by the stack.
//   * Multicast: one datagram is owed to every member host, so each datagram counts one sent
//     packet per receiver (n members: n sent, n received when all arrive); throughput is then
//     the aggregate over members. A multicast group with no member host and a destination
//     that is not a scenario host count one sent packet per datagram.
//   * recordReceived(flow, payloadBytes, sendTime, now) at the receiving socket, the send time
//     being the datagram's birth tag (UdpMessage.sentAt: when the sender's stack made its
//     frames; fragments keep it, reassembly takes the earliest). The tag travels beside the
//     bytes, so the receiver needs nothing from the sender's side and a receiver in another
//     partition (issue 5) measures the same latency.
//   * request-response: sent = requests (size bytes), received = responses in time
//     (responseSize bytes), latency = RTT, from the client's ring of the last 65,536 request
//     send times indexed by sequence number (a response older than the ring still counts as
//     received, without a latency sample: stats().noLatencySample).
// - Receivers: one socket per (host, port), shared by every flow that targets it (a
//   demultiplexer reads the flow id at payload offset 0). Sockets are bound with a mailbox limit
//   (options.mailboxLimit, default 1024 as in scenario hosts) but used in push mode
//   (onMessage): a datagram is consumed at arrival, so the mailbox never fills; modelling a slow
//   reader is left out. The sender's socket (srcPort) is shared the same way; it receives the
//   responses of request-response. Datagrams shorter than 8 bytes or of an unknown flow are
//   counted by the demultiplexer (demuxStats) and dropped.
// - Multicast receivers must already be members of the group (the scenario joins them).
// - Hot path: no allocation per datagram (one payload buffer per flow, reused UdpMessage,
//   typed-array ring, handler objects made at start).
// - Deterministic: the only randomness is the flow's own stream; no Map iteration in decisions.
//
// State machine (TrafficState):
//
//     Idle --begin (first send tick)--> Running --finish (stop time, count or total)--> Done
//                                        |   ^
//              request-response: request |   | response / timeout
//                                        v   |
//                                       Waiting --finish (last exchange over)--> Done
//     any --stop()--> Done (cancels the pending tick and timeout; receivers stay so datagrams
//                           in flight are still counted)
//     destroy(): stop(), then the flow leaves its sockets (closed when no flow uses them).

import { ErrorCode, NetloomError } from "../base/errors.js";
import type { UdpScenarioTraffic as ScenarioTraffic } from "./traffic-spec.js";
import { EV_DEVICE_BASE } from "../devices/device.js";
import type { EventHandler } from "../engine/scheduler.js";
import type { Rng } from "../engine/rng.js";
import type { Simulation } from "../engine/simulation.js";
import type { AnyIpHost as IpHost } from "../stacks/ip/ip-host.js";
import { aal5CellCount } from "../kernels/aal5.js";
import type { UdpMessage, UdpSocket } from "../stacks/ip/udp-layer.js";
import type { FlowRecord, FlowStats } from "../trace/flow-stats.js";
import { ETH_FCS_LEN, ETH_HEADER_LEN, ETH_MIN_FRAME } from "../wire/ethernet.js";
import { IPV4_HEADER_LEN, ipv4FromString, isMulticastIpv4 } from "../wire/ipv4.js";
import { UDP_HEADER_LEN } from "../wire/udp.js";
import { Pacer } from "./pacer.js";

/** The flow's send tick: send what is due now, schedule the next. */
export const EV_TRAFFIC_SEND = EV_DEVICE_BASE;
/** Request-response timeout of request sequence number a. */
export const EV_TRAFFIC_TIMEOUT = EV_DEVICE_BASE + 1;

/** Payload header: flow id (u32 BE) at 0, sequence number (u32 BE) at 4. */
export const TRAFFIC_HEADER_LEN = 8;
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

/**
 * The send-time ring a flow starts with: big enough for every datagram it will send when that
 * is known (a count, or a constant rate up to a stop time), up to SEND_RING_SIZE; otherwise
 * INITIAL_SEND_RING, doubling as it goes. Why presize: a ring that doubles while the run is
 * hot copies itself, and the first doubling sent V8 back to unoptimised code mid-run.
 */
function initialSendRing(spec: ScenarioTraffic, maxDatagrams: number): number {
  let expected = maxDatagrams;
  if (spec.type === "cbr" && spec.stopNs !== Infinity) {
    expected = Math.min(expected, Math.ceil(((spec.stopNs - spec.startNs) * spec.rateBps) / (spec.size * 8 * 1e9)) + 1);
  }
  let n = INITIAL_SEND_RING;
  while (n < expected && n < SEND_RING_SIZE) n *= 2;
  return n;
}
/** Default receive mailbox per socket (SCENARIO_DEFAULTS.stack.mailboxLimit). */
export const DEFAULT_MAILBOX_LIMIT = 1024;

export const TrafficState = { Idle: 0, Running: 1, Waiting: 2, Done: 3 } as const;
export type TrafficState = (typeof TrafficState)[keyof typeof TrafficState];
const STATE_NAMES = ["idle", "running", "waiting", "done"] as const;

export interface UdpTrafficOptions {
  /** Mailbox limit of the sockets this flow binds (default 1024). */
  mailboxLimit?: number;
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

export interface DemuxStats {
  host: string;
  port: number;
  flows: number;
  /** Datagrams too short for the header / of a flow not registered on this socket. */
  short: number;
  unknownFlow: number;
}

/** Someone interested in datagrams of one flow arriving at one (host, port). */
interface DatagramHandler {
  readonly flow: UdpTrafficFlow;
  onDatagram(m: UdpMessage, seq: number): void;
}

/** One socket on (host, port) shared by every flow using it; dispatches by flow id. */
class PortDemux {
  readonly host: IpHost;
  readonly socket: UdpSocket;
  /** By flow id; changed only through add() and remove(), which keep dispatch()'s cache right. */
  private readonly handlers = new Map<number, DatagramHandler>();
  /** dispatch()'s one-entry cache of handlers.get(). */
  private lastFlow = -1;
  private lastHandler: DatagramHandler | undefined = undefined;
  users = 0;
  short = 0;
  unknownFlow = 0;

  constructor(host: IpHost, port: number, mailboxLimit: number) {
    this.host = host;
    this.socket = host.bind(port, { queueLimit: mailboxLimit });
    // One closure per socket, made once: delivery itself allocates nothing.
    this.socket.onMessage((m) => this.dispatch(m));
  }

  has(flow: number): boolean {
    return this.handlers.has(flow);
  }

  add(flow: number, h: DatagramHandler): void {
    this.handlers.set(flow, h);
    this.lastFlow = -1;
    this.lastHandler = undefined;
  }

  /** Removes `flow`'s handler if it is `owner`'s. */
  remove(flow: number, owner: UdpTrafficFlow): void {
    if (this.handlers.get(flow)?.flow !== owner) return;
    this.handlers.delete(flow);
    this.lastFlow = -1;
    this.lastHandler = undefined;
  }

  private dispatch(m: UdpMessage): void {
    if (m.length < TRAFFIC_HEADER_LEN) {
      this.short++;
      return;
    }
    const flow = readU32(m.bytes, m.offset);
    // A socket mostly serves one flow: the last one found is tried before the map.
    let h = this.lastFlow === flow ? this.lastHandler : undefined;
    if (h === undefined) {
      h = this.handlers.get(flow);
      this.lastFlow = flow;
      this.lastHandler = h;
    }
    if (h === undefined) {
      this.unknownFlow++;
      return;
    }
    h.onDatagram(m, readU32(m.bytes, m.offset + 4));
  }

  stats(): DemuxStats {
    return {
      host: this.host.name,
      port: this.socket.port,
      flows: this.handlers.size,
      short: this.short,
      unknownFlow: this.unknownFlow,
    };
  }
}

const demuxes = new WeakMap<IpHost, Map<number, PortDemux>>();

function acquireDemux(host: IpHost, port: number, mailboxLimit: number): PortDemux {
  let ports = demuxes.get(host);
  if (ports === undefined) demuxes.set(host, (ports = new Map()));
  let d = ports.get(port);
  if (d === undefined) ports.set(port, (d = new PortDemux(host, port, mailboxLimit)));
  d.users++;
  return d;
}

function releaseDemux(d: PortDemux): void {
  if (--d.users > 0) return;
  d.socket.close();
  demuxes.get(d.host)?.delete(d.socket.port);
}

/** Counters of the shared traffic sockets on `host`, in port order. */
export function demuxStats(host: IpHost): DemuxStats[] {
  const ports = demuxes.get(host);
  if (ports === undefined) return [];
  return [...ports.keys()].sort((a, b) => a - b).map((p) => ports.get(p)!.stats());
}

function readU32(p: Uint8Array, at: number): number {
  return ((p[at]! << 24) | (p[at + 1]! << 16) | (p[at + 2]! << 8) | p[at + 3]!) >>> 0;
}

function writeU32(p: Uint8Array, at: number, v: number): void {
  p[at] = (v >>> 24) & 0xff;
  p[at + 1] = (v >>> 16) & 0xff;
  p[at + 2] = (v >>> 8) & 0xff;
  p[at + 3] = v & 0xff;
}

/** Receiving side of a data flow on one host. */
class Sink implements DatagramHandler {
  packets = 0;
  bytes = 0;
  constructor(
    readonly flow: UdpTrafficFlow,
    readonly host: IpHost,
  ) {}
  onDatagram(m: UdpMessage, _seq: number): void {
    this.packets++;
    this.bytes += m.length;
    this.flow.received(m.length, m.time, m.sentAt);
  }
}

/** Request-response server: answers each request at once from the same socket. */
class Server implements DatagramHandler {
  constructor(
    readonly flow: UdpTrafficFlow,
    readonly demux: PortDemux,
  ) {}
  onDatagram(m: UdpMessage, _seq: number): void {
    this.flow.serve(this.demux.socket, m);
  }
}

/** Request-response client: responses arrive on the sender's socket. */
class Client implements DatagramHandler {
  packets = 0;
  bytes = 0;
  constructor(
    readonly flow: UdpTrafficFlow,
    readonly host: IpHost,
  ) {}
  onDatagram(m: UdpMessage, seq: number): void {
    this.flow.response(this, seq, m.length, m.time);
  }
}

function invalid(path: string, message: string): NetloomError {
  return new NetloomError(ErrorCode.INVALID_ARGUMENT, message, { path });
}

/** Wire time of one UDP datagram of `payload` bytes on the sender's attached channel. */
function datagramWireNs(sender: IpHost, payload: number, path: string): number {
  const channel = sender.nic.ports[0]?.channel as
    | { serializationNs?: (len: number) => number; rate?: unknown; overheadBytes?: unknown }
    | undefined;
  if (channel === undefined)
    throw invalid(path, `bulk traffic without a rate needs ${sender.name}'s interface to be attached`);
  const wire = (frameLen: number): number => {
    if (typeof channel.serializationNs === "function") return channel.serializationNs(frameLen);
    if (typeof channel.rate === "number" && channel.rate > 0) {
      const overhead = typeof channel.overheadBytes === "number" ? channel.overheadBytes : 20;
      return Math.ceil(((frameLen + overhead) * 8 * 1e9) / channel.rate);
    }
    throw invalid(path, `bulk traffic without a rate needs a link with a rate at ${sender.name}`);
  };
  // Over ATM the "frame" is the cell count of the LLC/SNAP + IPv4 PDU (8 + 20 + payload) times
  // a cell time; on Ethernet it is the frame with FCS and minimum size.
  const clock = sender.atm !== undefined ? (channel as { clock?: { num: number; den: number } }).clock : undefined;
  const frame = (ipPayload: number): number =>
    clock !== undefined
      ? aal5CellCount(8 + IPV4_HEADER_LEN + ipPayload)
      : Math.max(ETH_MIN_FRAME, ETH_HEADER_LEN + IPV4_HEADER_LEN + ipPayload + ETH_FCS_LEN);
  if (clock !== undefined) {
    const ipPayload = UDP_HEADER_LEN + payload;
    const cellNs = (cells: number): number => Math.ceil((cells * clock.num) / clock.den);
    if (IPV4_HEADER_LEN + ipPayload <= sender.mtu) return cellNs(frame(ipPayload));
    const chunk = ((sender.mtu - IPV4_HEADER_LEN) >>> 3) << 3;
    let ns = 0;
    for (let o = 0; o < ipPayload; o += chunk) ns += cellNs(frame(Math.min(chunk, ipPayload - o)));
    return ns;
  }
  const ipPayload = UDP_HEADER_LEN + payload;
  if (IPV4_HEADER_LEN + ipPayload <= sender.mtu) return wire(frame(ipPayload));
  const chunk = ((sender.mtu - IPV4_HEADER_LEN) >>> 3) << 3;
  let ns = 0;
  for (let o = 0; o < ipPayload; o += chunk) ns += wire(frame(Math.min(chunk, ipPayload - o)));
  return ns;
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
  private readonly pacer: Pacer | undefined;
  private readonly maxDatagrams: number;
  /** First send time: spec.startNs, or the creation time if that is later. */
  private readonly origin: number;
  private nextSeq = 0;
  private nextTime = 0;
  private tick = -1;
  private timeout = -1;
  // poisson
  private elapsed = 0;
  // onoff
  private onStart = 0;
  private onEnd = Infinity;
  private onPeriods = 0;
  private onTimeNs = 0;
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
    if (!Number.isInteger(spec.size) || spec.size < TRAFFIC_HEADER_LEN || spec.size > sender.udp.maxDatagramSize) {
      throw invalid(
        `${p}.size`,
        `${String(spec.size)} is not a datagram size from ${TRAFFIC_HEADER_LEN} to ${sender.udp.maxDatagramSize} bytes`,
      );
    }
    if (!Number.isSafeInteger(spec.startNs) || spec.startNs < 0)
      throw invalid(`${p}.start`, `${String(spec.startNs)} is not a time`);
    if (!(spec.stopNs >= spec.startNs)) throw invalid(`${p}.stop`, `${String(spec.stopNs)} is before start`);
    if (spec.count !== undefined && !(Number.isSafeInteger(spec.count) && spec.count >= 1)) {
      throw invalid(`${p}.count`, `${String(spec.count)} is not a count >= 1`);
    }
    const rate = spec.type === "bulk" ? spec.rateBps : spec.type === "request-response" ? undefined : spec.rateBps;
    if (rate !== undefined && !(rate > 0 && rate < Infinity))
      throw invalid(`${p}.rate`, `${String(rate)} is not a bit rate`);
    const mailboxLimit = options.mailboxLimit ?? DEFAULT_MAILBOX_LIMIT;
    this.sim = sim;
    this.flows = flows;
    this.flowId = flowId;
    this.spec = spec;
    this.stopNs = spec.stopNs;
    this.dstPort = spec.dstPort;
    this.ttl = spec.ttl ?? 1;
    this.kind = (
      {
        cbr: KIND_CBR,
        poisson: KIND_POISSON,
        onoff: KIND_ONOFF,
        bulk: KIND_BULK,
        "request-response": KIND_REQUEST_RESPONSE,
      } as const
    )[spec.type];
    this.sender = sender;
    this.name = `traffic:${spec.name}`;
    this.dst = ipv4FromString(spec.to.address, `${p}.to`);
    this.rng = sim.scheduler.rng(this.name);
    this.buf = sim.allocBytes(spec.size); // in linear memory: see UdpLayer.sendFrom
    writeU32(this.buf, 0, flowId);
    let maxDatagrams = spec.count ?? Infinity;

    switch (spec.type) {
      case "cbr":
      case "onoff":
        this.pacer = new Pacer(spec.size * 8 * 1e9, spec.rateBps);
        break;
      case "bulk": {
        // Plan: `full` datagrams of `size`, then up to two shorter ones (the tail).
        let full = Math.floor(spec.total / spec.size);
        const rest = spec.total - full * spec.size;
        const tail: number[] = [];
        if (spec.total < TRAFFIC_HEADER_LEN) {
          tail.push(TRAFFIC_HEADER_LEN);
        } else if (rest > 0 && rest < TRAFFIC_HEADER_LEN) {
          // The header needs 8 bytes: the datagram before gives up what the last one lacks.
          full--;
          tail.push(spec.size - (TRAFFIC_HEADER_LEN - rest), TRAFFIC_HEADER_LEN);
        } else if (rest > 0) {
          tail.push(rest);
        }
        this.bulkFull = full;
        for (const n of tail) {
          const b = new Uint8Array(n);
          writeU32(b, 0, flowId);
          this.tailBufs.push(b);
        }
        this.bytesLeft = Math.max(spec.total, TRAFFIC_HEADER_LEN);
        maxDatagrams = Math.min(maxDatagrams, full + tail.length);
        const period = spec.rateBps === undefined ? datagramWireNs(sender, spec.size, p) : undefined;
        this.pacer = period !== undefined ? new Pacer(period, 1) : new Pacer(spec.size * 8 * 1e9, spec.rateBps!);
        break;
      }
      case "request-response":
        if (receivers.length === 0)
          throw invalid(`${p}.to`, `request-response needs the destination host (${spec.to.address}) to answer`);
        if (!Number.isInteger(spec.responseSize) || spec.responseSize < TRAFFIC_HEADER_LEN) {
          throw invalid(
            `${p}.responseSize`,
            `${String(spec.responseSize)} is not a datagram size of at least ${TRAFFIC_HEADER_LEN} bytes`,
          );
        }
        if (!(spec.timeoutNs > 0))
          throw invalid(`${p}.timeout`, `${String(spec.timeoutNs)} is not a positive duration`);
        if (spec.intervalNs !== undefined && !(spec.intervalNs > 0))
          throw invalid(`${p}.interval`, `${String(spec.intervalNs)} is not a positive duration`);
        this.responseBuf = new Uint8Array(spec.responseSize);
        break;
    }
    this.maxDatagrams = maxDatagrams;
    this.sendTimes = new Float64Array(initialSendRing(spec, maxDatagrams));
    this.ringGrowAt = this.sendTimes.length < SEND_RING_SIZE ? this.sendTimes.length : Infinity;

    // Sockets: the sender's (srcPort) first, then the receivers' (dstPort), each shared.
    const members = receivers.filter((r) => r !== sender);
    this.owed = spec.type === "request-response" ? 1 : Math.max(1, isMulticastIpv4(this.dst) ? members.length : 1);
    this.sendDemux = acquireDemux(sender, spec.srcPort, mailboxLimit);
    try {
      if (spec.type === "request-response") {
        this.client = new Client(this, sender);
        this.register(this.sendDemux, this.client, p);
        const server = receivers[0]!;
        const d = acquireDemux(server, spec.dstPort, mailboxLimit);
        this.rxDemuxes.push(d);
        this.register(d, new Server(this, d), p);
      } else {
        for (const r of members) {
          const d = acquireDemux(r, spec.dstPort, mailboxLimit);
          this.rxDemuxes.push(d);
          const sink = new Sink(this, r);
          this.sinks.push(sink);
          this.register(d, sink, p);
        }
      }
    } catch (err) {
      this.leaveSockets();
      throw err;
    }
    this.flowRecord =
      flows.flow(flowId) ??
      flows.defineFlow(flowId, { src: sender.nic.name, dst: spec.to.host ?? spec.to.address, label: spec.name });
    this.id = sim.register(this.name, this);
    this.origin = Math.max(spec.startNs, sim.now);
    this.onStart = this.origin;
    if (spec.type === "onoff") this.beginOn(spec.onNs, spec.distribution, spec.stopNs);
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
      onPeriods: this.onPeriods,
      onTimeNs: this.onTimeNs,
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

  private advance(): number {
    switch (this.kind) {
      case KIND_POISSON:
        return this.poissonNext();
      case KIND_ONOFF:
        return this.onOffNext();
      default: // cbr, bulk (request-response schedules from its own timer, not from here)
        return this.origin + this.pacer!.next();
    }
  }

  private poissonNext(): number {
    const spec = this.spec as { rateBps: number; size: number };
    this.elapsed += this.rng.exponential((spec.size * 8 * 1e9) / spec.rateBps);
    return this.origin + Math.round(this.elapsed);
  }

  /** Next CBR time inside an On period; moves through Off periods as needed. */
  private onOffNext(): number {
    const spec = this.spec;
    if (spec.type !== "onoff") return Infinity;
    for (;;) {
      const t = this.onStart + this.pacer!.next();
      if (t < this.onEnd) return t;
      if (this.onEnd >= spec.stopNs) return this.onEnd;
      this.onStart = this.onEnd + this.period(spec.offNs, spec.distribution, 0);
      this.beginOn(spec.onNs, spec.distribution, spec.stopNs);
    }
  }

  /** Off -> On at onStart: draws the On length, counts the period (up to the stop time). */
  private beginOn(onNs: number, distribution: "exponential" | "fixed", stopNs: number): void {
    this.onEnd = this.onStart + this.period(onNs, distribution, 1);
    this.pacer!.reset();
    if (this.onStart < stopNs) {
      this.onPeriods++;
      this.onTimeNs += Math.min(this.onEnd, stopNs) - this.onStart;
    }
  }

  private period(mean: number, distribution: "exponential" | "fixed", min: number): number {
    if (distribution === "fixed" || mean === 0) return Math.max(min, mean);
    return Math.max(min, Math.round(this.rng.exponential(mean)));
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
    if (!socket.send(dst, port, payload, this.ttl)) c.sendFailures++;
    return seq;
  }

  /** Running -> Waiting: one request, with its timeout. */
  private sendRequest(): void {
    const spec = this.spec;
    if (spec.type !== "request-response") return;
    if (!(this.sim.now < spec.stopNs && this.counters.datagramsSent < this.maxDatagrams)) {
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
    const now = this.sim.now;
    let next = now;
    if (spec.intervalNs !== undefined) {
      const iv = spec.intervalNs;
      const k = Math.max(0, Math.ceil((now - this.origin) / iv));
      next = this.origin + k * iv;
      while (next <= this.lastRequestNs) next += iv;
    }
    this.nextTime = next;
    this.stateValue = TrafficState.Running;
    if (!(next < spec.stopNs && this.counters.datagramsSent < this.maxDatagrams)) {
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

  /** A data datagram of this flow, sent at `sentAt`, reached one of its receivers. */
  received(bytes: number, now: number, sentAt: number): void {
    this.counters.received++;
    this.counters.receivedBytes += bytes;
    this.flows.recordReceivedOn(this.flowRecord, bytes, sentAt, now);
  }

  private record(seq: number, bytes: number, now: number): void {
    const sent = this.sendTimeOf(seq);
    if (sent >= 0) {
      this.flows.recordReceived(this.flowId, bytes, sent, now);
      return;
    }
    // Received, but too old for the ring: count it without a latency sample.
    this.counters.noLatencySample++;
    this.flows.recordReceivedUnsampled(this.flowId, bytes, now);
  }

  /** Server side: answers a request from inside the socket listener. */
  serve(socket: UdpSocket, m: UdpMessage): void {
    const out = this.responseBuf;
    if (out === undefined || this.destroyed) return;
    this.counters.requestsServed++;
    out.set(m.payload.subarray(0, TRAFFIC_HEADER_LEN));
    socket.send(m.src, m.srcPort, out);
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
