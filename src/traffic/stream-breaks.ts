// The stream-breaks workload (Birman fig. 5-2): N TCP streams between two hosts across a link
// that flaps. Each stream notices the outage on its own, by its own retransmission or
// keep-alive timer, so they break at different times; the report gives each stream's break
// time at either end and the spread (latest - earliest) of the break times.
//
// Contract:
// - startStreamBreaks(ctx, spec) listens on spec.to, ports port .. port + streams - 1 (one
//   stream each; a connection from another address is refused), and registers a driver
//   "streams:<name>" under ctx.own(spec.from). At startNs the driver opens every stream.
//   With intervalNs > 0, stream i writes `size` bytes at startNs + (k + (i + 1) / streams) x
//   intervalNs, k = 0, 1, ..., while before stopNs and open: the streams' last activity before
//   an outage is staggered across one interval, as Birman's streams are by their traffic.
// - Both ends use the spec's keep-alive and retransmission-timeout options. An end "breaks"
//   when its connection fails (retransmission timeout, keep-alive, a crash of its host, a
//   reset): the time and TCP's reason are recorded. An orderly close is not a break.
// - state() is plain data with a `from` half (what the sending host's partition knows) and a
//   `to` half (the receiving host's): a partitioned run takes each from its owner.
// - destroy() aborts what is still open (silently: the layers go next) and cancels timers.

import { EV_DEVICE_BASE } from "../devices/device.js";
import type { EventHandler } from "../engine/scheduler.js";
import type { Simulation } from "../engine/simulation.js";
import type { AnyIpHost } from "../stacks/ip/ip-host.js";
import type { TcpConnection } from "../stacks/tcp/tcp-connection.js";
import type { TcpLayer } from "../stacks/tcp/tcp-layer.js";
import type { TcpConnectionOptions } from "../stacks/tcp/tcp-options.js";

const EV_OPEN = EV_DEVICE_BASE;
const EV_WRITE = EV_DEVICE_BASE + 1;

/** A stream-breaks workload, normalised (times in ns). */
export interface StreamBreaksSpec {
  name: string;
  type: "stream-breaks";
  from: string;
  to: string;
  streams: number;
  /** First listening port on `to`; stream i uses port + i. */
  port: number;
  startNs: number;
  /** No write at or after this time. */
  stopNs: number;
  /** Each stream's write period (0: idle after the handshake). */
  intervalNs: number;
  /** Bytes per write. */
  size: number;
  keepAlive: { idleNs: number; intervalNs: number; count: number } | undefined;
  timeouts: { minRtoNs: number; maxRtoNs: number; initialRtoNs: number; maxRetries: number } | undefined;
}

export interface StreamsContext {
  sim: Simulation;
  ipHost(name: string): AnyIpHost;
  tcp(name: string): TcpLayer;
  own(name: string): void;
}

/** One end of one stream. */
export interface StreamEnd {
  brokeAtNs: number | null;
  reason: string | null;
  /** TCP state at the end of the run (CLOSED once broken). */
  state: string;
  bytes: number;
}

export interface StreamBreaksHalf {
  ends: StreamEnd[];
  /** from half: the time of each stream's last write (null: none). */
  lastWriteNs: (number | null)[];
}

export interface StreamBreaksState {
  name: string;
  from: StreamBreaksHalf;
  to: StreamBreaksHalf;
}

function tcpOptions(spec: StreamBreaksSpec): TcpConnectionOptions {
  const o: TcpConnectionOptions = { noDelay: true };
  if (spec.keepAlive !== undefined)
    o.keepAlive = { idle: spec.keepAlive.idleNs, interval: spec.keepAlive.intervalNs, count: spec.keepAlive.count };
  if (spec.timeouts !== undefined) {
    o.minRto = spec.timeouts.minRtoNs;
    o.maxRto = spec.timeouts.maxRtoNs;
    o.initialRto = spec.timeouts.initialRtoNs;
    o.maxRetries = spec.timeouts.maxRetries;
  }
  return o;
}

class End {
  conn: TcpConnection | undefined;
  brokeAtNs: number | null = null;
  reason: string | null = null;
  bytes = 0;

  constructor(private readonly sim: Simulation) {}

  attach(c: TcpConnection): void {
    this.conn = c;
    c.onError((reason) => {
      this.brokeAtNs = this.sim.now;
      this.reason = reason;
    });
  }

  state(): StreamEnd {
    return {
      brokeAtNs: this.brokeAtNs,
      reason: this.reason,
      state: this.conn?.state ?? "CLOSED",
      bytes: this.bytes,
    };
  }
}

export class StreamBreaksRun implements EventHandler {
  readonly id: number;
  private readonly sim: Simulation;
  private readonly fromEnds: End[] = [];
  private readonly toEnds: End[] = [];
  private readonly lastWrite: (number | null)[];
  private readonly opts: TcpConnectionOptions;
  private readonly layer: TcpLayer;
  private readonly dst: number;
  private destroyed = false;

  constructor(
    ctx: StreamsContext,
    readonly spec: StreamBreaksSpec,
  ) {
    this.sim = ctx.sim;
    this.opts = tcpOptions(spec);
    this.lastWrite = new Array<number | null>(spec.streams).fill(null);
    const src = ctx.ipHost(spec.from).ip;
    this.dst = ctx.ipHost(spec.to).ip;
    const server = ctx.tcp(spec.to);
    for (let i = 0; i < spec.streams; i++) {
      this.fromEnds.push(new End(this.sim));
      const end = new End(this.sim);
      this.toEnds.push(end);
      server.listen(spec.port + i, (c) => this.accept(end, c, src), this.opts);
    }
    this.layer = ctx.tcp(spec.from);
    ctx.own(spec.from);
    this.id = this.sim.register(`streams:${spec.name}`, this);
    this.sim.scheduler.schedule(this.id, spec.startNs - this.sim.now, this.id, EV_OPEN, 0, 0, 0);
  }

  private accept(end: End, c: TcpConnection, src: number): void {
    if (c.remoteAddress !== src || end.conn !== undefined) {
      c.abort("not this workload's stream");
      return;
    }
    end.attach(c);
    c.onData((_u8, _off, len) => {
      end.bytes += len;
    });
  }

  handleEvent(kind: number, a: number, _b: number, _len: number): void {
    if (this.destroyed) return;
    if (kind === EV_OPEN) this.open();
    else if (kind === EV_WRITE) this.write(a);
  }

  private open(): void {
    const { spec } = this;
    for (let i = 0; i < spec.streams; i++) {
      const end = this.fromEnds[i]!;
      const c = this.layer.connect(this.dst, spec.port + i, this.opts);
      end.attach(c);
      if (spec.intervalNs > 0) this.schedule(i, spec.startNs + ((i + 1) * spec.intervalNs) / spec.streams);
    }
  }

  private schedule(i: number, at: number): void {
    const t = Math.round(at);
    if (t >= this.spec.stopNs) return;
    this.sim.scheduler.scheduleAt(this.id, Math.max(t, this.sim.now), this.id, EV_WRITE, i, 0, 0);
  }

  private write(i: number): void {
    const end = this.fromEnds[i]!;
    const c = end.conn;
    if (c === undefined || c.closeReason !== undefined) return;
    const now = this.sim.now;
    if (c.state === "ESTABLISHED") {
      end.bytes += c.writeGenerated(this.spec.size);
      this.lastWrite[i] = now;
    }
    this.schedule(i, now + this.spec.intervalNs);
  }

  state(): StreamBreaksState {
    return {
      name: this.spec.name,
      from: { ends: this.fromEnds.map((e) => e.state()), lastWriteNs: [...this.lastWrite] },
      to: { ends: this.toEnds.map((e) => e.state()), lastWriteNs: [] },
    };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const e of [...this.fromEnds, ...this.toEnds]) {
      const c = e.conn;
      if (c !== undefined && c.closeReason === undefined) c.finish("the workload was destroyed", false);
    }
  }
}

export function startStreamBreaks(ctx: StreamsContext, spec: StreamBreaksSpec): StreamBreaksRun {
  return new StreamBreaksRun(ctx, spec);
}

/** One stream of the report: both ends, and the earlier break. */
export interface StreamBreakRow {
  stream: number;
  port: number;
  lastWriteNs: number | null;
  from: StreamEnd;
  to: StreamEnd;
  /** The first break at either end (null: the stream survived at both). */
  brokeAtNs: number | null;
}

export interface StreamBreaksReport {
  name: string;
  from: string;
  to: string;
  streams: StreamBreakRow[];
  broken: number;
  intact: number;
  firstBreakNs: number | null;
  lastBreakNs: number | null;
  /** lastBreakNs - firstBreakNs over the broken streams (null: none broke). */
  spreadNs: number | null;
}

/** The report section of a workload from the halves (`fromHalf` from the sender's partition). */
export function streamBreaksReport(
  spec: StreamBreaksSpec,
  fromHalf: StreamBreaksHalf,
  toHalf: StreamBreaksHalf,
): StreamBreaksReport {
  const streams = fromHalf.ends.map((f, i): StreamBreakRow => {
    const t = toHalf.ends[i]!;
    const times = [f.brokeAtNs, t.brokeAtNs].filter((x): x is number => x !== null);
    return {
      stream: i,
      port: spec.port + i,
      lastWriteNs: fromHalf.lastWriteNs[i] ?? null,
      from: f,
      to: t,
      brokeAtNs: times.length === 0 ? null : Math.min(...times),
    };
  });
  const breaks = streams.map((s) => s.brokeAtNs).filter((x): x is number => x !== null);
  const first = breaks.length === 0 ? null : Math.min(...breaks);
  const last = breaks.length === 0 ? null : Math.max(...breaks);
  return {
    name: spec.name,
    from: spec.from,
    to: spec.to,
    streams,
    broken: breaks.length,
    intact: streams.length - breaks.length,
    firstBreakNs: first,
    lastBreakNs: last,
    spreadNs: first === null || last === null ? null : last - first,
  };
}
