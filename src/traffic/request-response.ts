// Request-response UDP traffic: one request of `size` bytes outstanding at a time.
//
// Contract:
// - The server (the destination host, port dstPort) answers each request at once with
//   `responseSize` bytes to the client's srcPort, from the same socket.
// - The client records RTT = response arrival - request send time as the flow's latency, and
//   counts a request with no response within timeoutNs as a timeout (a response arriving later
//   is counted as late, not as received).
// - The next request goes when the response or the timeout comes: at once without intervalNs,
//   otherwise at the next tick origin + k * intervalNs after the previous request (ticks passed
//   while waiting are skipped: intervalNs is the least time between requests, not an open-loop
//   clock).
// - Statistics: sent = requests (size bytes), received = responses in time (responseSize
//   bytes), latency = RTT from the client's ring of request send times.

import type { AnyIpHost as IpHost } from "../stacks/ip/ip-host.js";
import type { UdpMessage, UdpSocket } from "../stacks/ip/udp-layer.js";
import { TRAFFIC_HEADER_LEN } from "./traffic-payload.js";
import type { RequestResponseTraffic } from "./traffic-spec.js";
import type { DatagramHandler } from "./udp-port-demux.js";
import { invalid } from "./udp-traffic-check.js";

/** Throws for the first request-response field of `spec` (at path `p`) that cannot work. */
export function checkRequestResponse(spec: RequestResponseTraffic, receivers: readonly IpHost[], p: string): void {
  if (receivers.length === 0)
    throw invalid(`${p}.to`, `request-response needs the destination host (${spec.to.address}) to answer`);
  if (!Number.isInteger(spec.responseSize) || spec.responseSize < TRAFFIC_HEADER_LEN) {
    throw invalid(
      `${p}.responseSize`,
      `${String(spec.responseSize)} is not a datagram size of at least ${TRAFFIC_HEADER_LEN} bytes`,
    );
  }
  if (!(spec.timeoutNs > 0)) throw invalid(`${p}.timeout`, `${String(spec.timeoutNs)} is not a positive duration`);
  if (spec.intervalNs !== undefined && !(spec.intervalNs > 0))
    throw invalid(`${p}.interval`, `${String(spec.intervalNs)} is not a positive duration`);
}

/** When the request after an exchange that ended at `now` goes (see the module comment). */
export function nextRequestTime(
  now: number,
  origin: number,
  intervalNs: number | undefined,
  lastRequestNs: number,
): number {
  if (intervalNs === undefined) return now;
  const k = Math.max(0, Math.ceil((now - origin) / intervalNs));
  let next = origin + k * intervalNs;
  while (next <= lastRequestNs) next += intervalNs;
  return next;
}

/** The flow behind a Server and a Client. */
export interface RequestResponseFlow {
  /** Answers request `m` on `socket`, from inside the socket listener. */
  serve(socket: UdpSocket, m: UdpMessage): void;
  /** A response to request `seq` of `bytes` reached `client` at `now`. */
  response(client: Client, seq: number, bytes: number, now: number): void;
}

/** Request-response server: answers each request at once from the same socket. */
export class Server implements DatagramHandler {
  constructor(
    readonly flow: RequestResponseFlow,
    readonly socket: UdpSocket,
  ) {}
  onDatagram(m: UdpMessage, _seq: number): void {
    this.flow.serve(this.socket, m);
  }
}

/** Request-response client: responses arrive on the sender's socket. */
export class Client implements DatagramHandler {
  packets = 0;
  bytes = 0;
  constructor(
    readonly flow: RequestResponseFlow,
    readonly host: IpHost,
  ) {}
  onDatagram(m: UdpMessage, seq: number): void {
    this.flow.response(this, seq, m.length, m.time);
  }
}
