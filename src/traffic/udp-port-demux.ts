// The shared sockets of UDP traffic: one socket per (host, port), shared by every flow that
// sends from or receives on it, dispatching each datagram by the flow id at payload offset 0.
//
// Contract:
// - acquireDemux binds the socket on first use (mailbox limit: the flow's, default 1024 as in
//   scenario hosts); releaseDemux closes it when its last user leaves.
// - Sockets run in push mode (onMessage): a datagram is consumed at arrival, so the mailbox
//   never fills; a slow reader is not modelled.
// - Datagrams shorter than the payload header or of a flow not registered on the socket are
//   counted (demuxStats) and dropped.
// - Hot path: no allocation per datagram; one closure per socket, made at bind.
// - A crash of the host closes the socket (sends through it are then dropped as HOST_CRASHED);
//   the restart binds it again, as the programs that use it would at boot.

import type { AnyIpHost as IpHost } from "../stacks/ip/ip-host.js";
import type { UdpMessage, UdpSocket } from "../stacks/ip/udp-layer.js";
import { readU32, TRAFFIC_HEADER_LEN } from "./traffic-payload.js";

/** Default receive mailbox per socket (SCENARIO_DEFAULTS.stack.mailboxLimit). */
export const DEFAULT_MAILBOX_LIMIT = 1024;

export interface DemuxStats {
  host: string;
  port: number;
  flows: number;
  /** Datagrams too short for the header / of a flow not registered on this socket. */
  short: number;
  unknownFlow: number;
}

/** Someone interested in datagrams of one flow arriving at one (host, port). */
export interface DatagramHandler {
  /** The flow the handler works for: PortDemux.remove() removes only its own. */
  readonly flow: object;
  onDatagram(m: UdpMessage, seq: number): void;
}

/** One socket on (host, port) shared by every flow using it; dispatches by flow id. */
export class PortDemux {
  readonly host: IpHost;
  /** The socket: the same object until a crash of the host, bound anew at its restart. */
  socket: UdpSocket;
  private readonly mailboxLimit: number;
  readonly unsubscribe: () => void;
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
    this.mailboxLimit = mailboxLimit;
    this.socket = this.bind(port);
    this.unsubscribe = host.onRestart(() => {
      this.socket = this.bind(port);
    });
  }

  private bind(port: number): UdpSocket {
    const socket = this.host.bind(port, { queueLimit: this.mailboxLimit });
    // One closure per socket, made once: delivery itself allocates nothing.
    socket.onMessage((m) => this.dispatch(m));
    return socket;
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
  remove(flow: number, owner: object): void {
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

export function acquireDemux(host: IpHost, port: number, mailboxLimit: number): PortDemux {
  let ports = demuxes.get(host);
  if (ports === undefined) demuxes.set(host, (ports = new Map()));
  let d = ports.get(port);
  if (d === undefined) ports.set(port, (d = new PortDemux(host, port, mailboxLimit)));
  d.users++;
  return d;
}

export function releaseDemux(d: PortDemux): void {
  if (--d.users > 0) return;
  d.unsubscribe();
  d.socket.close();
  demuxes.get(d.host)?.delete(d.socket.port);
}

/** Counters of the shared traffic sockets on `host`, in port order. */
export function demuxStats(host: IpHost): DemuxStats[] {
  const ports = demuxes.get(host);
  if (ports === undefined) return [];
  return [...ports.keys()].sort((a, b) => a - b).map((p) => ports.get(p)!.stats());
}

/** What a Sink reports to: the flow whose datagrams it receives. */
export interface DataFlow {
  /** A data datagram of the flow, sent at `sentAt`, reached receiver number `receiver` at `now`. */
  received(bytes: number, now: number, sentAt: number, receiver: number): void;
}

/** Receiving side of a data flow (cbr, poisson, onoff, bulk) on one host. */
export class Sink implements DatagramHandler {
  packets = 0;
  bytes = 0;
  constructor(
    readonly flow: DataFlow,
    readonly host: IpHost,
    /** This host's index among the flow's receivers (multicast members in order; 0 for unicast). */
    readonly receiver = 0,
  ) {}
  onDatagram(m: UdpMessage, _seq: number): void {
    this.packets++;
    this.bytes += m.length;
    this.flow.received(m.length, m.time, m.sentAt, this.receiver);
  }
}
