// What traffic a run carries, as the traffic sources take it: normalised specs (times in ns,
// rates in bit/s, sizes in bytes, every default filled in). The scenario loader produces
// these from a file; an embedder may build them in code. Type guards only beside the types, so
// that building a scenario (every partition and sweep worker does) never loads the loader.

import type { TcpConnectionOptions } from "../stacks/tcp/tcp-options.js";

export interface TrafficDestination {
  /** IPv4 address the datagrams go to. */
  address: string;
  /** The host with that address, if it is one of the scenario's hosts. */
  host: string | undefined;
  multicast: boolean;
}

interface TrafficCommon {
  name: string;
  from: string;
  to: TrafficDestination;
  protocol: "udp";
  /** UDP payload bytes per datagram. */
  size: number;
  startNs: number;
  /** No datagram is sent at or after this time; undefined: none given, so until the run ends. */
  stopNs: number | undefined;
  /** Most datagrams (requests for request-response); undefined = no limit. */
  count: number | undefined;
  srcPort: number;
  dstPort: number;
  /** TTL of the datagrams to a multicast group (absent: 1, RFC 1112); only for group destinations. */
  ttl?: number;
}

export interface CbrTraffic extends TrafficCommon {
  type: "cbr";
  rateBps: number;
}
export interface PoissonTraffic extends TrafficCommon {
  type: "poisson";
  rateBps: number;
}
export interface OnOffTraffic extends TrafficCommon {
  type: "onoff";
  /** Rate while on. */
  rateBps: number;
  /** Mean (or fixed) length of on and off periods. */
  onNs: number;
  offNs: number;
  distribution: "exponential" | "fixed";
}
export interface BulkTraffic extends TrafficCommon {
  type: "bulk";
  /** Bytes to send in all. */
  total: number;
  /** Pacing; undefined = as fast as the sender's interface takes them. */
  rateBps: number | undefined;
}
export interface RequestResponseTraffic extends TrafficCommon {
  type: "request-response";
  responseSize: number;
  /** Time between requests; undefined = the next request goes when the response (or timeout) comes. */
  intervalNs: number | undefined;
  timeoutNs: number;
}
/** Traffic carried by UDP datagrams (src/traffic/udp-traffic.ts). */
export type UdpScenarioTraffic = CbrTraffic | PoissonTraffic | OnOffTraffic | BulkTraffic | RequestResponseTraffic;

/** TCP connection options of tcp-bulk and rpc traffic: the connection's own options, times in ns. */
export type ScenarioTcpOptions = TcpConnectionOptions;

/** NAK-only transport options (src/stacks/nak/), times in ns, rates in bit/s. */
export interface ScenarioNakOptions {
  segmentSize?: number;
  sendBuffer?: number;
  receiveWindow?: number;
  initialPeerWindow?: number;
  overheadBytes?: number;
  timeoutNs?: number;
  rate: {
    initialBps?: number;
    minBps?: number;
    maxBps?: number;
    windowPackets?: number;
    upperThreshold?: number;
    lowerThreshold?: number;
  };
}

interface TransportCommon {
  name: string;
  from: string;
  /** A unicast host of the scenario (to.host is set). */
  to: TrafficDestination;
  /** The server's (receiver's) port: TCP for tcp-bulk and rpc, UDP for nak-bulk. */
  port: number;
  startNs: number;
  /** Nothing new is written (no call is made) at or after this time; undefined: until the run ends. */
  stopNs: number | undefined;
}

export interface TcpBulkTraffic extends TransportCommon {
  type: "tcp-bulk";
  /** Stream bytes to send, then FIN; undefined = write until stopNs, then FIN. */
  bytes: number | undefined;
  tcp: ScenarioTcpOptions;
}
export interface NakBulkTraffic extends TransportCommon {
  type: "nak-bulk";
  /** Stream bytes to send, then FIN; undefined = write until stopNs, then FIN. */
  bytes: number | undefined;
  nak: ScenarioNakOptions;
}
export interface RpcTraffic extends TransportCommon {
  type: "rpc";
  /** Most calls; undefined = until stopNs. */
  count: number | undefined;
  /** Time between calls (open loop); undefined = the next call when the previous one ends. */
  intervalNs: number | undefined;
  requestSize: number;
  responseSize: number;
  timeoutNs: number;
  retries: number;
  maxOutstanding: number;
  tcp: ScenarioTcpOptions;
}
/** Traffic carried by a transport (src/traffic/transport-traffic.ts). */
export type TransportScenarioTraffic = TcpBulkTraffic | NakBulkTraffic | RpcTraffic;

export type ScenarioTraffic = UdpScenarioTraffic | TransportScenarioTraffic;

interface MessageTrafficCommon {
  name: string;
  /** Index of the entry in the file's `traffic` list (build-time errors name traffic[index]). */
  index: number;
  /** Both ends are hostStack hosts with the same configuration and layers. */
  from: string;
  to: string;
  /** Message bytes (the application's payload). */
  size: number;
  /** When the workload starts (a scheduled event; the stacks set up from time 0). */
  startNs: number;
}
/** `rounds` round trips: from sends `size` bytes, to answers with as many. */
export interface PingPongTraffic extends MessageTrafficCommon {
  type: "ping-pong";
  rounds: number;
}
/** `count` messages from -> to, handed to the stack back to back at startNs. */
export interface MessageStreamTraffic extends MessageTrafficCommon {
  type: "message-stream";
  count: number;
}
/** Traffic through the host stacks of two hostStack hosts (src/stacks/layered/ping-pong.ts workloads). */
export type MessageScenarioTraffic = PingPongTraffic | MessageStreamTraffic;
export type UdpTrafficType = UdpScenarioTraffic["type"];

/** True for the transport traffic types (tcp-bulk, nak-bulk, rpc). */
export function isTransportTraffic(t: ScenarioTraffic): t is TransportScenarioTraffic {
  return t.type === "tcp-bulk" || t.type === "nak-bulk" || t.type === "rpc";
}
