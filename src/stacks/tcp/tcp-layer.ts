// TcpLayer: the TCP of one IpHost (IP protocol 6): demultiplexing, listeners, connection slots,
// RST generation for segments nobody wants, and the timers of every connection.
//
// Contract:
// - new TcpLayer(host, options) registers itself with host.registerProtocol(6) and with the
//   simulation as "<host name>.tcp" (its timer events: kind = TcpTimer.*, a = connection slot,
//   b = slot generation; a timer of a connection that is gone is ignored).
// - Receive: every segment's checksum is verified over the IPv4 pseudo-header (parseTcpInto); a
//   bad one, a truncated or malformed header, or a segment to a broadcast/multicast address is
//   dropped and counted by reason in stats().drops. Segments are matched to a connection by
//   (local port, remote address, remote port); a SYN to a listening port opens a connection
//   (bounded backlog of half-open ones per listener: more are dropped, BACKLOG_FULL); anything
//   else to a port with no connection is answered with RST (RFC 9293 3.10.7.1), never a RST.
//   The layer never keeps a received frame: connections copy or deliver the payload at once.
// - Connections live in at most `maxConnections` slots, each a record of one Wasm WindowTable
//   (in-flight ring of `inFlightCapacity` segments, `maxRanges` out-of-order ranges), held from
//   open to CLOSED (TIME-WAIT included); with none free, connect() throws TABLE_FULL and a SYN
//   is dropped (TABLE_FULL). Connections see the layer only as a TcpLayerPort (tcp-port.ts).
// - ISNs come from the seeded stream sim.scheduler.rng("tcp:<host name>") (RFC 9293 3.4.1 wants
//   them unpredictable, determinism seeded); ephemeral ports count up from 49152 (RFC 6335).
// - Hot path: reused views and reprs, demultiplexing through a Map from the port pair to a chain
//   of slots in an Int32Array; no allocation per segment.
// - destroy() aborts every connection without sending (timers, buffers and the window table
//   freed); call it before the IpHost's destroy() and the frame leak check.
// Not handled: more than one local address, SO_REUSEADDR semantics, SYN cookies, ICMP errors
// to TCP (unreachable/fragmentation needed are not fed back).

import { ErrorCode, NetloomError, checkInteger } from "../../base/errors.js";
import type { EventHandler } from "../../engine/scheduler.js";
import type { Rng } from "../../engine/rng.js";
import type { Simulation } from "../../engine/simulation.js";
import type { WindowExports } from "../../kernels/exports.js";
import { WindowTable } from "../../kernels/window.js";
import type { KernelRuntime } from "../../kernels/runtime.js";
import { ipv4FromString } from "../../wire/ipv4.js";
import {
  TCP_FLAG_ACK,
  TCP_FLAG_FIN,
  TCP_FLAG_RST,
  TCP_FLAG_SYN,
  TCP_MAX_SACK_BLOCKS,
  TcpParseError,
  TcpView,
  createTcpRepr,
  emitTcp,
  parseTcpInto,
  tcpHeaderLength,
  type TcpRepr,
} from "../../wire/tcp.js";
import type { AnyIpHost, IpProtocolHandler, RxContext } from "../ip/ip-host.js";
import { NO_FRAME } from "../../buf/frames.js";
import { TcpConnection } from "./tcp-connection.js";
import { type ResolvedTcpOptions, type TcpConnectionOptions, resolveTcpOptions } from "./tcp-options.js";
import type { TcpLayerPort, TcpSlotHolder } from "./tcp-port.js";
import { TCP_BURST_BIT, type TcpConnectionStats, TcpState } from "./tcp-types.js";
import { PATTERN_TABLE } from "./pattern.js";
import { RingWalker, WindowPeek } from "../../kernels/window-peek.unsafe.js";

export const IP_PROTO_TCP = 6;
export const EPHEMERAL_FIRST = 49152;

/** Layer drop reasons (indices of the counter array; names in TCP_DROP_NAMES). */
export const TcpDrop = {
  TRUNCATED: 0,
  BAD_DATA_OFFSET: 1,
  BAD_OPTION: 2,
  BAD_CHECKSUM: 3,
  GROUP_DST: 4,
  NO_LISTENER: 5,
  BACKLOG_FULL: 6,
  TABLE_FULL: 7,
  NO_SLOT: 8,
  LAYER_DESTROYED: 9,
  /** A RST for no connection: discarded (RFC 9293 3.10.7.1), never answered. */
  STRAY_RST: 10,
} as const;
const TCP_DROP_NAMES = [
  "TRUNCATED",
  "BAD_DATA_OFFSET",
  "BAD_OPTION",
  "BAD_CHECKSUM",
  "GROUP_DST",
  "NO_LISTENER",
  "BACKLOG_FULL",
  "TABLE_FULL",
  "NO_SLOT",
  "LAYER_DESTROYED",
  "STRAY_RST",
];
const PARSE_TO_DROP = [-1, TcpDrop.TRUNCATED, TcpDrop.BAD_DATA_OFFSET, TcpDrop.BAD_OPTION, TcpDrop.BAD_CHECKSUM];

export interface TcpLayerOptions {
  /** Connection slots (default 64). */
  maxConnections?: number;
  /** Out-of-order ranges remembered per connection (default 32). */
  maxRanges?: number;
  /** Segments in flight per connection (default 1024). */
  inFlightCapacity?: number;
  /** Defaults for every connection of this layer (connect/listen options override). */
  defaults?: TcpConnectionOptions;
}

export interface TcpListenOptions extends TcpConnectionOptions {
  /** Most half-open (SYN-RECEIVED) connections at once (default 16). */
  backlog?: number;
}

export interface TcpListener {
  readonly port: number;
  /** Stops accepting; established connections stay. */
  close(): void;
}

export interface TcpLayerStats {
  segmentsReceived: number;
  segmentsSent: number;
  rstSent: number;
  connectionsOpened: number;
  connectionsAccepted: number;
  connectionsClosed: number;
  activeConnections: number;
  drops: Record<string, number>;
}

interface ListenerRecord {
  port: number;
  opt: ResolvedTcpOptions;
  backlog: number;
  halfOpen: number;
  onConnection: (c: TcpConnection) => void;
  open: boolean;
}

export class TcpLayer implements IpProtocolHandler, EventHandler, TcpLayerPort {
  readonly host: AnyIpHost;
  readonly sim: Simulation;
  readonly id: number;
  readonly name: string;
  readonly table: WindowTable;
  /** Raw window kernel exports (hot path: no argument checks; connections pass valid values). */
  readonly k: WindowExports;
  readonly tablePtr: number;
  /** PATTERN_TABLE's copy in the shared memory (see pattern.ts). */
  readonly patternPtr: number;
  readonly peek: WindowPeek;
  readonly walker: RingWalker;
  readonly u8: Uint8Array;
  /** The kernel runtime: rt.copy moves segment bytes inside linear memory. */
  readonly rt: KernelRuntime;
  /** Shared by every connection's output (one thread, one segment at a time). */
  readonly txRepr: TcpRepr = createTcpRepr();
  readonly view = new TcpView(new Uint8Array(0));
  private readonly rxRepr: TcpRepr = createTcpRepr();
  private readonly rxView = new TcpView(new Uint8Array(0));
  private readonly defaults: TcpConnectionOptions;
  private readonly conns: (TcpConnection | undefined)[];
  private readonly gens: Uint32Array;
  private readonly freeSlots: number[] = [];
  private readonly chain: Int32Array;
  private readonly demux = new Map<number, number>();
  private readonly listeners = new Map<number, ListenerRecord>();
  private readonly rng: Rng;
  private readonly sackOut: number;
  private readonly rangeWords: Uint32Array;
  private nextEphemeral = EPHEMERAL_FIRST;
  private destroyed = false;
  private readonly dropCounts = new Uint32Array(TCP_DROP_NAMES.length);
  private counters = {
    segmentsReceived: 0,
    segmentsSent: 0,
    rstSent: 0,
    connectionsOpened: 0,
    connectionsAccepted: 0,
    connectionsClosed: 0,
  };

  constructor(host: AnyIpHost, options: TcpLayerOptions = {}) {
    const maxConnections = options.maxConnections ?? 64;
    checkInteger("maxConnections", maxConnections, 1, 1 << 16);
    const maxRanges = options.maxRanges ?? 32;
    checkInteger("maxRanges", maxRanges, 1, 4096);
    const ring = options.inFlightCapacity ?? 1024;
    checkInteger("inFlightCapacity", ring, 4, 65536);
    this.defaults = options.defaults ?? {};
    resolveTcpOptions(this.defaults, host.mtu); // checks the defaults now, naming the bad one
    this.host = host;
    this.sim = host.sim;
    this.name = `${host.name.replace(/\.ip$/, "")}.tcp`;
    this.u8 = this.sim.runtime.u8;
    this.rt = this.sim.runtime;
    this.table = WindowTable.create({
      connections: maxConnections,
      maxRanges,
      inFlightCapacity: ring,
      runtime: this.sim.runtime,
    });
    this.k = this.sim.runtime.exports as unknown as WindowExports;
    this.tablePtr = this.table.ptr;
    this.peek = new WindowPeek(this.table);
    this.walker = new RingWalker(this.table);
    this.sackOut = this.sim.runtime.heap.alloc(8 * TCP_MAX_SACK_BLOCKS);
    // The generated-stream pattern, once in the shared memory: segments copy it with
    // rt.copy inside one memory, several times faster than a set() from the JS heap.
    this.patternPtr = this.sim.runtime.heap.alloc(PATTERN_TABLE.length);
    this.u8.set(PATTERN_TABLE, this.patternPtr);
    this.rangeWords = this.sim.runtime.u32;
    this.conns = new Array<TcpConnection | undefined>(maxConnections).fill(undefined);
    this.gens = new Uint32Array(maxConnections);
    this.chain = new Int32Array(maxConnections).fill(-1);
    for (let i = maxConnections - 1; i >= 0; i--) this.freeSlots.push(i);
    this.rng = this.sim.scheduler.rng(`tcp:${host.name}`);
    this.id = this.sim.register(this.name, this);
    host.registerProtocol(IP_PROTO_TCP, this);
    host.onCrash(() => this.crash());
  }

  // --- public API ---

  /** Accepts connections on `port`; onConnection gets each one once it is ESTABLISHED. */
  listen(port: number, onConnection: (c: TcpConnection) => void, options: TcpListenOptions = {}): TcpListener {
    this.checkLive();
    checkInteger("port", port, 1, 65535);
    if (this.listeners.has(port)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `port ${port} already has a listener on ${this.name}`, {
        path: "port",
      });
    }
    const { backlog, ...conn } = options;
    const b = backlog ?? 16;
    checkInteger("backlog", b, 1, 1 << 16);
    const rec: ListenerRecord = {
      port,
      opt: resolveTcpOptions({ ...this.defaults, ...conn }, this.host.mtu),
      backlog: b,
      halfOpen: 0,
      onConnection,
      open: true,
    };
    this.listeners.set(port, rec);
    return {
      port,
      close: () => {
        rec.open = false;
        if (this.listeners.get(port) === rec) this.listeners.delete(port);
      },
    };
  }

  /** Opens a connection to dst:port (active open: a SYN goes out now). */
  connect(
    dst: string | number,
    port: number,
    options: TcpConnectionOptions & { localPort?: number } = {},
  ): TcpConnection {
    this.checkLive();
    const remote = typeof dst === "string" ? ipv4FromString(dst, "dst") : dst;
    checkInteger("dst", remote, 1, 0xffff_fffe);
    checkInteger("port", port, 1, 65535);
    const { localPort, ...conn } = options;
    const opt = resolveTcpOptions({ ...this.defaults, ...conn }, this.host.mtu);
    let lp: number;
    if (localPort !== undefined) {
      checkInteger("localPort", localPort, 1, 65535);
      if (this.lookup(localPort, remote, port) >= 0) {
        throw new NetloomError(
          ErrorCode.INVALID_ARGUMENT,
          `a connection ${localPort} -> ${port} to that address exists`,
          {
            path: "localPort",
          },
        );
      }
      lp = localPort;
    } else lp = this.ephemeral(remote, port);
    if (this.freeSlots.length === 0) {
      throw new NetloomError(
        ErrorCode.TABLE_FULL,
        `${this.name} has no free connection slot (maxConnections ${this.conns.length})`,
        {
          path: "maxConnections",
        },
      );
    }
    const c = this.create(lp, remote, port, opt, -1);
    this.counters.connectionsOpened++;
    c.openActive(this.rng.nextU32());
    return c;
  }

  /** Live connections, in slot order. */
  connections(): TcpConnection[] {
    return this.conns.filter((c): c is TcpConnection => c !== undefined);
  }

  stats(): TcpLayerStats {
    const drops: Record<string, number> = {};
    for (let i = 0; i < TCP_DROP_NAMES.length; i++)
      if (this.dropCounts[i]! > 0) drops[TCP_DROP_NAMES[i]!] = this.dropCounts[i]!;
    let sent = 0;
    for (const c of this.conns) if (c !== undefined) sent += c.stats().segmentsSent;
    return {
      ...this.counters,
      segmentsSent: this.counters.segmentsSent + sent,
      activeConnections: this.conns.length - this.freeSlots.length,
      drops,
    };
  }

  connectionStats(): TcpConnectionStats[] {
    return this.connections().map((c) => c.stats());
  }

  /**
   * The host crashed: every connection ends silently (no RST, no FIN; its error callback runs
   * with "host crashed"), every listener is dropped. The layer stays usable after the restart.
   */
  crash(): void {
    if (this.destroyed) return;
    for (const c of this.conns) if (c !== undefined) c.finish("host crashed", true);
    this.listeners.clear();
  }

  /** Aborts every connection silently, frees the window table. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    for (const c of this.conns) if (c !== undefined) c.finish("the TCP layer was destroyed", true);
    this.listeners.clear();
    this.table.free();
    this.sim.runtime.heap.free(this.sackOut);
    this.sim.runtime.heap.free(this.patternPtr);
    this.destroyed = true;
  }

  // --- receive ---

  input(ctx: RxContext): boolean {
    this.counters.segmentsReceived++;
    if (this.destroyed) return this.drop(TcpDrop.LAYER_DESTROYED);
    if (ctx.groupDst) return this.drop(TcpDrop.GROUP_DST);
    const v = this.rxView.wrap(ctx.bytes, ctx.payOff, ctx.payLen);
    const r = this.rxRepr;
    const status = parseTcpInto(v, r, ctx.src, ctx.dst);
    if (status !== TcpParseError.OK) return this.drop(PARSE_TO_DROP[status]!);
    const burst = (ctx.bytes[ctx.payOff + 12]! & TCP_BURST_BIT) !== 0;
    const slot = this.lookup(r.dstPort, ctx.src, r.srcPort);
    if (slot >= 0) {
      this.conns[slot]!.input(r, ctx.bytes, v.payloadOffset, burst);
      return false;
    }
    const flags = r.flags;
    if ((flags & TCP_FLAG_RST) !== 0) return this.drop(TcpDrop.STRAY_RST); // never answer a RST
    const l = this.listeners.get(r.dstPort);
    if (l !== undefined && (flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) === TCP_FLAG_SYN) {
      if (l.halfOpen >= l.backlog) return this.drop(TcpDrop.BACKLOG_FULL);
      if (this.freeSlots.length === 0) return this.drop(TcpDrop.TABLE_FULL);
      const c = this.create(r.dstPort, ctx.src, r.srcPort, l.opt, l.port);
      l.halfOpen++;
      c.onEstablishedHook = (conn) => this.established(conn);
      c.openPassive(this.rng.nextU32(), r);
      return false;
    }
    // CLOSED (or LISTEN with an ACK): RFC 9293 3.10.7.1 / 3.10.7.2.
    if (l === undefined) this.drop(TcpDrop.NO_LISTENER);
    const segLen = r.payloadLength + ((flags & TCP_FLAG_SYN) !== 0 ? 1 : 0) + ((flags & TCP_FLAG_FIN) !== 0 ? 1 : 0);
    if ((flags & TCP_FLAG_ACK) !== 0) this.sendRst(ctx.src, r.dstPort, r.srcPort, r.ackNumber, 0, false);
    else this.sendRst(ctx.src, r.dstPort, r.srcPort, 0, (r.seqNumber + segLen) >>> 0, true);
    return false;
  }

  // --- services for connections ---

  handleEvent(kind: number, a: number, b: number, _len: number): void {
    const c = this.conns[a];
    if (c === undefined || this.gens[a] !== b >>> 0) return;
    c.handleTimer(kind);
  }

  schedule(owner: TcpSlotHolder, delay: number, kind: number): number {
    return this.sim.scheduler.schedule(
      this.id,
      Math.max(0, Math.ceil(delay)),
      this.id,
      kind,
      owner.slot,
      owner.gen | 0,
      0,
    );
  }

  cancel(handle: number): void {
    this.sim.scheduler.cancel(handle);
  }

  /** True when connection `slot` holds out-of-order ranges. */
  peekRanges(slot: number): boolean {
    return this.peek.rangeCount(slot) > 0;
  }

  /** Writes up to 4 SACK blocks (most recent first) of `slot` into r.sackBlocks; returns the count. */
  fillSackBlocks(slot: number, r: TcpRepr): number {
    const n = this.k.windowRanges(this.tablePtr, slot, this.sackOut, TCP_MAX_SACK_BLOCKS, 1);
    const w = this.sackOut >>> 2;
    const u32 = this.rangeWords;
    for (let i = 0; i < n; i++) {
      r.sackBlocks[2 * i] = u32[w + 2 * i]!;
      r.sackBlocks[2 * i + 1] = u32[w + 2 * i + 1]!;
    }
    return n;
  }

  /** A RST (with ACK when `withAck`) to remote:port from localPort. */
  sendRst(remote: number, localPort: number, remotePort: number, seq: number, ack: number, withAck: boolean): void {
    const r = this.txRepr;
    r.srcPort = localPort;
    r.dstPort = remotePort;
    r.seqNumber = seq >>> 0;
    r.ackNumber = ack >>> 0;
    r.flags = TCP_FLAG_RST | (withAck ? TCP_FLAG_ACK : 0);
    r.window = 0;
    r.urgentPointer = 0;
    r.mss = undefined;
    r.windowScale = undefined;
    r.sackPermitted = false;
    r.tsVal = undefined;
    r.tsEcr = undefined;
    r.sackCount = 0;
    r.payloadLength = 0;
    const hl = tcpHeaderLength(r);
    const f = this.host.allocPayloadFrame(hl);
    if (f === NO_FRAME) {
      this.drop(TcpDrop.NO_SLOT);
      return;
    }
    emitTcp(r, this.view.wrap(this.u8, this.sim.frames.offset(f), hl), this.host.ip, remote);
    this.counters.rstSent++;
    this.counters.segmentsSent++;
    this.host.sendIp(f, IP_PROTO_TCP, remote, true);
  }

  /** A connection reached CLOSED: its slot is free again. */
  release(owner: TcpSlotHolder): void {
    const slot = owner.slot;
    const c = this.conns[slot];
    if (c === undefined || c !== owner) return;
    this.counters.segmentsSent += c.stats().segmentsSent;
    this.unlink(c);
    this.conns[slot] = undefined;
    this.gens[slot] = (this.gens[slot]! + 1) >>> 0;
    this.freeSlots.push(slot);
    this.counters.connectionsClosed++;
    if (c.listenPort >= 0 && c.onEstablishedHook !== undefined) {
      c.onEstablishedHook = undefined;
      const l = this.listeners.get(c.listenPort);
      if (l !== undefined) l.halfOpen--;
    }
  }

  // --- internals ---

  private established(c: TcpConnection): void {
    const l = this.listeners.get(c.listenPort);
    if (l !== undefined) l.halfOpen--;
    this.counters.connectionsAccepted++;
    if (l?.open) l.onConnection(c);
  }

  private create(
    localPort: number,
    remote: number,
    remotePort: number,
    opt: ResolvedTcpOptions,
    listenPort: number,
  ): TcpConnection {
    const slot = this.freeSlots.pop()!;
    const c = new TcpConnection(this, slot, this.gens[slot]!, localPort, remote, remotePort, opt, listenPort);
    this.conns[slot] = c;
    const key = localPort * 65536 + remotePort;
    const head = this.demux.get(key);
    this.chain[slot] = head ?? -1;
    this.demux.set(key, slot);
    return c;
  }

  private unlink(c: TcpConnection): void {
    const key = c.localPort * 65536 + c.remotePort;
    let s = this.demux.get(key) ?? -1;
    let prev = -1;
    while (s >= 0) {
      if (s === c.slot) {
        const next = this.chain[s]!;
        if (prev < 0) {
          if (next < 0) this.demux.delete(key);
          else this.demux.set(key, next);
        } else this.chain[prev] = next;
        this.chain[s] = -1;
        return;
      }
      prev = s;
      s = this.chain[s]!;
    }
  }

  private lookup(localPort: number, remote: number, remotePort: number): number {
    let s = this.demux.get(localPort * 65536 + remotePort);
    if (s === undefined) return -1;
    while (s >= 0) {
      if (this.conns[s]!.remoteAddress === remote) return s;
      s = this.chain[s]!;
    }
    return -1;
  }

  private ephemeral(remote: number, port: number): number {
    for (let i = 0; i < 65536 - EPHEMERAL_FIRST; i++) {
      const p = this.nextEphemeral;
      this.nextEphemeral = p === 65535 ? EPHEMERAL_FIRST : p + 1;
      if (!this.listeners.has(p) && this.lookup(p, remote, port) < 0) return p;
    }
    throw new NetloomError(ErrorCode.TABLE_FULL, "no ephemeral port is free", { path: "localPort" });
  }

  private checkLive(): void {
    if (this.destroyed) throw new NetloomError(ErrorCode.USE_AFTER_FREE, `${this.name} was destroyed`);
  }

  private drop(reason: number): false {
    this.dropCounts[reason]!++;
    return false;
  }
}

export { TcpConnection, TcpState };
