// Transport traffic: the scenario's tcp-bulk, nak-bulk and rpc entries, run over the host
// stacks' transports (TcpLayer, NakSender/NakReceiver, RpcClient/RpcServer over TCP), with the
// per-flow statistics of FlowStats plus a per-flow `transport` section.
//
// Contract:
// - startTransportTraffic(ctx, flowId, spec) builds one flow. What runs on the sending host
//   (the driver `traffic:<name>`, the NAK sender, the RPC client) is registered under
//   ctx.own(spec.from), what runs on the receiving host (the NAK receiver) under
//   ctx.own(spec.to.host); TCP layers are per host (ctx.tcp(host)). Nothing is sent at build
//   time: the driver's start event opens the connection or begins the stream, so in a
//   partitioned run only the sender's partition starts it, and the trajectory is the same with
//   1 or n workers.
// - Every delivered byte of a bulk flow is checked against the generated pattern (pattern.ts).
// - FlowStats counts what the receiving end got; applyTransport() fills the sender-owned fields.
// - state() is plain data: `sender` holds what the sender's partition knows, `receiver` what
//   the receiver's does, so a partitioned run merges them by taking each from its owner.
// - Hot path: the bulk writers and checkers allocate nothing per segment (pattern copies in
//   the shared memory, one Buffer view per checker). An RPC call allocates its callback and
//   the RPC layer's message (a call is not a packet).
// - Not handled: several connections per flow, a server port shared by two flows (the scenario
//   refuses it), RPC methods other than one echo-sized answer.

import type { NakBulkTraffic, RpcTraffic, TcpBulkTraffic, TransportScenarioTraffic } from "./traffic-spec.js";
import { EV_DEVICE_BASE } from "../devices/device.js";
import type { EventHandler } from "../engine/scheduler.js";
import type { Simulation } from "../engine/simulation.js";
import type { AnyIpHost } from "../stacks/ip/ip-host.js";
import { NakReceiver } from "../stacks/nak/nak-receiver.js";
import { NakSender, type NakSenderOptions } from "../stacks/nak/nak-sender.js";
import type { ByteStream } from "../stacks/rpc/byte-stream.js";
import { RpcClient } from "../stacks/rpc/rpc-client.js";
import { RpcServer } from "../stacks/rpc/rpc-server.js";
import { PATTERN_PERIOD, PATTERN_SLACK, PATTERN_TABLE, PatternChecker } from "../stacks/tcp/pattern.js";
import type { TcpConnection } from "../stacks/tcp/tcp-connection.js";
import type { TcpConnectionOptions } from "../stacks/tcp/tcp-options.js";
import type { TcpLayer } from "../stacks/tcp/tcp-layer.js";
import type { FlowReport, FlowStats } from "../trace/flow-stats.js";

export const EV_TRANSPORT_START = EV_DEVICE_BASE;
export const EV_TRANSPORT_STOP = EV_DEVICE_BASE + 1;
/** rpc with an interval: the next call is due. */
export const EV_TRANSPORT_CALL = EV_DEVICE_BASE + 2;

/**
 * States of a flow's driver:
 *   Idle --start event--> Running --all bytes written / count reached / stop event--> Ending
 *   Ending --stream closed (both ends), or every call ended--> Done
 *   any --destroy()--> Done (connections aborted, endpoints closed)
 */
export const TransportFlowState = { Idle: 0, Running: 1, Ending: 2, Done: 3 } as const;
export type TransportFlowState = (typeof TransportFlowState)[keyof typeof TransportFlowState];
const STATE_NAMES = ["idle", "running", "ending", "done"] as const;

/** The RPC method the scenario's rpc traffic calls. */
export const RPC_TRAFFIC_METHOD = 1;

export type TransportValue = number | string | boolean | null | Record<string, number>;

/** One flow's transport counters as plain data (crosses worker threads). */
export interface TransportState {
  flow: number;
  type: TransportScenarioTraffic["type"];
  sender: Record<string, TransportValue>;
  receiver: Record<string, TransportValue>;
}

/** A flow report with its transport section (RunReport.flows entries of transport traffic). */
export type TransportFlowReport = FlowReport & {
  transport?: { type: TransportState["type"]; sender: TransportState["sender"]; receiver: TransportState["receiver"] };
};

export interface TransportContext {
  sim: Simulation;
  flows: FlowStats;
  ipHost(name: string): AnyIpHost;
  /** The TCP layer of a host (created by the builder under the host's ownership). */
  tcp(name: string): TcpLayer;
  /** Registrations from now on belong to `name`'s partition. */
  own(name: string): void;
}

export interface TransportFlow extends EventHandler {
  readonly name: string;
  readonly flowId: number;
  readonly spec: TransportScenarioTraffic;
  readonly stateName: (typeof STATE_NAMES)[number];
  state(): TransportState;
  destroy(): void;
}

function tcpOptions(t: TcpBulkTraffic["tcp"]): TcpConnectionOptions {
  return {
    ...t,
    ...(t.keepAlive !== undefined ? { keepAlive: { ...t.keepAlive } } : {}),
    ...(t.burst !== undefined ? { burst: { ...t.burst } } : {}),
  };
}

/** Driver base: a registered device of the sending host with start/stop events. */
abstract class FlowDriver implements TransportFlow, EventHandler {
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  readonly flows: FlowStats;
  protected st: TransportFlowState = TransportFlowState.Idle;

  constructor(
    ctx: TransportContext,
    readonly flowId: number,
    readonly spec: TransportScenarioTraffic,
  ) {
    this.sim = ctx.sim;
    this.flows = ctx.flows;
    this.name = `traffic:${spec.name}`;
    ctx.own(spec.from);
    this.id = this.sim.register(this.name, this);
    const sched = this.sim.scheduler;
    sched.schedule(this.id, Math.max(0, spec.startNs - sched.now), this.id, EV_TRANSPORT_START, 0, 0, 0);
    if (spec.stopNs !== undefined && spec.stopNs > spec.startNs)
      sched.schedule(this.id, spec.stopNs - sched.now, this.id, EV_TRANSPORT_STOP, 0, 0, 0);
  }

  get stateName(): (typeof STATE_NAMES)[number] {
    return STATE_NAMES[this.st];
  }

  handleEvent(kind: number, _a: number, _b: number, _len: number): void {
    if (kind === EV_TRANSPORT_START) {
      if (this.st !== TransportFlowState.Idle) return;
      this.st = TransportFlowState.Running;
      this.begin();
    } else if (kind === EV_TRANSPORT_STOP) {
      if (this.st === TransportFlowState.Running) this.finishSending();
      else if (this.st === TransportFlowState.Idle) this.st = TransportFlowState.Done;
    } else if (kind === EV_TRANSPORT_CALL) {
      this.tick();
    }
  }

  protected abstract begin(): void;
  /** Running -> Ending: no new data or calls. */
  protected abstract finishSending(): void;
  protected tick(): void {}
  abstract state(): TransportState;
  abstract destroy(): void;
}

// ---------------------------------------------------------------------------------------------
// tcp-bulk

/**
 * One connection from -> to:port. The sender writes the pattern up to `bytes` (or until stopNs),
 * then end(): FIN. The receiver checks every delivered byte (PatternChecker) and closes its side
 * on the peer's FIN.
 */
class TcpBulkFlow extends FlowDriver {
  private readonly layer: TcpLayer;
  private readonly dst: number;
  private conn: TcpConnection | undefined;
  private server: TcpConnection | undefined;
  private readonly checker = new PatternChecker();
  private written = 0;
  private readonly limit: number;
  private senderClose: string | null = null;
  private receiverClose: string | null = null;
  private endReceived = false;
  private refused = 0;
  private readonly fill = (): void => this.pump();

  constructor(
    ctx: TransportContext,
    flowId: number,
    readonly t: TcpBulkTraffic,
  ) {
    super(ctx, flowId, t);
    this.layer = ctx.tcp(t.from);
    this.dst = ctx.ipHost(t.to.host!).ip;
    this.limit = t.bytes ?? Number.MAX_SAFE_INTEGER;
    const src = ctx.ipHost(t.from).ip;
    const opts = tcpOptions(t.tcp);
    ctx.tcp(t.to.host!).listen(t.port, (c) => this.accept(c, src), opts);
  }

  private accept(c: TcpConnection, src: number): void {
    if (c.remoteAddress !== src || this.server !== undefined) {
      this.refused++;
      c.abort("not this flow's sender");
      return;
    }
    this.server = c;
    const flows = this.flows;
    const sim = this.sim;
    const checker = this.checker;
    const flow = this.flowId;
    c.onData((u8, off, len) => {
      checker.update(u8, off, len);
      flows.recordReceivedUnsampled(flow, len, sim.now);
    });
    c.onEnd(() => {
      this.endReceived = true;
      c.end();
    });
    c.onClose((reason) => (this.receiverClose = reason));
  }

  protected begin(): void {
    const c = this.layer.connect(this.dst, this.t.port, tcpOptions(this.t.tcp));
    this.conn = c;
    c.onWritable(this.fill);
    c.onClose((reason) => {
      this.senderClose = reason;
      this.st = TransportFlowState.Done;
    });
    this.pump();
  }

  private pump(): void {
    const c = this.conn;
    if (c === undefined || this.st !== TransportFlowState.Running) return;
    while (this.written < this.limit) {
      const n = c.writeGenerated(Math.min(this.limit - this.written, 1 << 30));
      if (n === 0) return;
      this.written += n;
    }
    this.finishSending();
  }

  protected finishSending(): void {
    if (this.st !== TransportFlowState.Running) return;
    this.st = TransportFlowState.Ending;
    if (this.conn !== undefined && this.conn.closeReason === undefined) this.conn.end();
  }

  state(): TransportState {
    const s = this.conn?.stats();
    const r = this.server?.stats();
    return {
      flow: this.flowId,
      type: "tcp-bulk",
      sender: {
        state: s?.state ?? "CLOSED",
        flowState: this.stateName,
        bytesWritten: this.written,
        bytesAcked: Math.min(s?.bytesAcked ?? 0, this.written),
        segmentsSent: s?.segmentsSent ?? 0,
        dataSegmentsSent: s?.dataSegmentsSent ?? 0,
        bytesSent: s?.bytesSent ?? 0,
        retransmits: s?.retransmits ?? 0,
        fastRetransmits: s?.fastRetransmits ?? 0,
        timeouts: s?.timeouts ?? 0,
        dupAcks: s?.dupAcks ?? 0,
        srttNs: s?.srtt ?? 0,
        rtoNs: s?.rto ?? 0,
        cwnd: s?.cwnd ?? 0,
        ssthresh: s?.ssthresh ?? 0,
        mss: s?.mss ?? 0,
        sack: s?.sackEnabled ?? false,
        closeReason: this.senderClose,
      },
      receiver: {
        state: r?.state ?? "CLOSED",
        bytesDelivered: this.checker.offset,
        segmentsReceived: r?.segmentsReceived ?? 0,
        acksSent: r?.acksSent ?? 0,
        endReceived: this.endReceived,
        verified: this.checker.offset > 0 && this.checker.mismatches === 0,
        mismatches: this.checker.mismatches,
        firstMismatch: this.checker.firstMismatch,
        refusedConnections: this.refused,
        closeReason: this.receiverClose,
      },
    };
  }

  destroy(): void {
    this.st = TransportFlowState.Done;
  }
}

// ---------------------------------------------------------------------------------------------
// nak-bulk

/** A NakSender on `from` (ephemeral UDP port) streams the pattern to a NakReceiver on to:port. */
class NakBulkFlow extends FlowDriver {
  private readonly tx: NakSender;
  private readonly rx: NakReceiver;
  private readonly checker = new PatternChecker();
  private written = 0;
  private readonly limit: number;
  private result: string | null = null;
  private rxResult: string | null = null;

  constructor(
    ctx: TransportContext,
    flowId: number,
    readonly t: NakBulkTraffic,
  ) {
    super(ctx, flowId, t);
    const n = t.nak;
    const lo = n.rate.minBps ?? 100e3;
    const hi = n.rate.maxBps ?? 1e9;
    const sender = ctx.ipHost(t.from);
    const receiver = ctx.ipHost(t.to.host!);
    const options: NakSenderOptions = {
      dst: receiver.ip,
      dstPort: t.port,
      ...(n.segmentSize !== undefined ? { segmentSize: n.segmentSize } : {}),
      ...(n.sendBuffer !== undefined ? { sendBuffer: n.sendBuffer } : {}),
      ...(n.initialPeerWindow !== undefined ? { initialPeerWindow: n.initialPeerWindow } : {}),
      ...(n.overheadBytes !== undefined ? { overheadBytes: n.overheadBytes } : {}),
      ...(n.timeoutNs !== undefined ? { timeout: n.timeoutNs } : {}),
      rate: {
        initial: n.rate.initialBps ?? Math.min(hi, Math.max(lo, 10e6)),
        min: lo,
        max: hi,
        ...(n.rate.windowPackets !== undefined ? { windowPackets: n.rate.windowPackets } : {}),
        ...(n.rate.upperThreshold !== undefined ? { upperThreshold: n.rate.upperThreshold } : {}),
        ...(n.rate.lowerThreshold !== undefined ? { lowerThreshold: n.rate.lowerThreshold } : {}),
      },
    };
    this.tx = new NakSender(sender, options);
    this.tx.dataFlow = flowId;
    ctx.own(t.to.host!);
    this.rx = new NakReceiver(receiver, {
      port: t.port,
      ...(n.receiveWindow !== undefined ? { window: n.receiveWindow } : {}),
      ...(n.timeoutNs !== undefined ? { timeout: n.timeoutNs } : {}),
    });
    this.limit = t.bytes ?? Number.MAX_SAFE_INTEGER;
    const checker = this.checker;
    const flows = this.flows;
    const sim = this.sim;
    this.rx.onData((u8, off, len) => {
      checker.update(u8, off, len);
      flows.recordReceivedUnsampled(flowId, len, sim.now);
    });
    this.rx.onEnd(() => (this.rxResult = "complete"));
    this.rx.onFail((reason) => (this.rxResult = reason));
    this.tx.onWritable(() => this.pump());
    this.tx.onClose((r) => {
      this.result = r.ok ? "complete" : (r.reason ?? "failed");
      this.st = TransportFlowState.Done;
    });
  }

  protected begin(): void {
    this.pump();
  }

  private pump(): void {
    if (this.st !== TransportFlowState.Running) return;
    while (this.written < this.limit) {
      const at = this.written % PATTERN_PERIOD;
      const n = this.tx.write(PATTERN_TABLE, at, Math.min(this.limit - this.written, PATTERN_SLACK));
      if (n === 0) return;
      this.written += n;
    }
    this.finishSending();
  }

  protected finishSending(): void {
    if (this.st !== TransportFlowState.Running) return;
    this.st = TransportFlowState.Ending;
    this.tx.end();
  }

  state(): TransportState {
    const s = this.tx.stats();
    const r = this.rx.stats();
    return {
      flow: this.flowId,
      type: "nak-bulk",
      sender: {
        state: s.state,
        flowState: this.stateName,
        bytesWritten: s.bytesWritten,
        bytesConfirmed: s.bytesConfirmed,
        packetsSent: s.packetsSent,
        packetsRetransmitted: s.packetsRetransmitted,
        bytesRetransmitted: s.bytesRetransmitted,
        probes: s.probes,
        naksReceived: s.naksReceived,
        repairsSuppressed: s.repairsSuppressed,
        srttNs: s.srttNs,
        rateBps: s.rate.current,
        rateMinBps: s.rate.min,
        rateMaxBps: s.rate.max,
        rateIncreases: s.rate.increases,
        rateDecreases: s.rate.decreases,
        result: this.result,
      },
      receiver: {
        state: r.state,
        packetsReceived: r.packetsReceived,
        bytesDelivered: r.bytesDelivered,
        duplicates: r.duplicates,
        /** Packets that arrived and the receiver turned away (after it closed, another stream ...). */
        refused: Object.values(r.drops).reduce((n, x) => n + x, 0),
        outOfOrder: r.outOfOrder,
        naksSent: r.naksSent,
        verified: this.checker.offset > 0 && this.checker.mismatches === 0,
        mismatches: this.checker.mismatches,
        firstMismatch: this.checker.firstMismatch,
        result: this.rxResult,
      },
    };
  }

  destroy(): void {
    this.st = TransportFlowState.Done;
    this.tx.close();
    this.rx.close();
    this.tx.destroy();
    this.rx.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// rpc

/**
 * A ByteStream for a TCP connection opened later: the RPC client is built (and registered) with
 * the topology, the connection when the flow starts. Writes before that, or after the stream
 * ended or closed, take nothing.
 */
class DeferredStream implements ByteStream {
  private conn: TcpConnection | undefined;
  private ended = false;
  private dataCb: ((bytes: Uint8Array, offset: number, length: number) => void) | undefined;
  private endCb: (() => void) | undefined;
  private closeCb: ((reason: string | undefined) => void) | undefined;
  private writableCb: (() => void) | undefined;

  attach(c: TcpConnection): void {
    this.conn = c;
    if (this.dataCb !== undefined) c.onData(this.dataCb);
    if (this.endCb !== undefined) c.onEnd(this.endCb);
    c.onClose((reason) => this.closeCb?.(reason === "closed" ? undefined : reason));
    if (this.writableCb !== undefined) c.onWritable(this.writableCb);
    this.writableCb?.();
  }

  get connection(): TcpConnection | undefined {
    return this.conn;
  }

  write(bytes: Uint8Array): number {
    const c = this.conn;
    if (c === undefined || this.ended || c.closeReason !== undefined) return 0;
    return c.write(bytes);
  }
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.conn?.end();
  }
  abort(reason: string): void {
    this.ended = true;
    this.conn?.abort(reason);
  }
  onData(cb: (bytes: Uint8Array, offset: number, length: number) => void): void {
    this.dataCb = cb;
  }
  onEnd(cb: () => void): void {
    this.endCb = cb;
  }
  onClose(cb: (reason: string | undefined) => void): void {
    this.closeCb = cb;
  }
  onWritable(cb: () => void): void {
    this.writableCb = cb;
  }
}

/**
 * An RpcClient on `from` over a TCP connection to an RpcServer on to:port. Calls of
 * `requestSize` bytes go every intervalNs (open loop) or one after the other (closed loop), at
 * most `count`, none at or after stopNs; the server answers each with `responseSize` bytes.
 * When the last call has ended the client closes the stream.
 */
class RpcFlow extends FlowDriver {
  private readonly layer: TcpLayer;
  private readonly dst: number;
  private readonly stream = new DeferredStream();
  private readonly client: RpcClient;
  private server: RpcServer | undefined;
  private serverConn: TcpConnection | undefined;
  private readonly request: Uint8Array;
  private readonly response: Uint8Array;
  private calls = 0;
  private outstanding = 0;
  private callTimer = -1;
  private refused = 0;

  constructor(
    ctx: TransportContext,
    flowId: number,
    readonly t: RpcTraffic,
  ) {
    super(ctx, flowId, t);
    this.layer = ctx.tcp(t.from);
    this.dst = ctx.ipHost(t.to.host!).ip;
    const maxMessageBytes = Math.max(t.requestSize, t.responseSize, 64);
    this.client = new RpcClient(this.sim, `${this.name}.client`, this.stream, {
      maxOutstanding: t.maxOutstanding,
      timeout: t.timeoutNs,
      retries: t.retries,
      maxMessageBytes,
    });
    this.request = new Uint8Array(t.requestSize);
    this.response = new Uint8Array(t.responseSize);
    const src = ctx.ipHost(t.from).ip;
    ctx.tcp(t.to.host!).listen(
      t.port,
      (c) => {
        if (c.remoteAddress !== src || this.server !== undefined) {
          this.refused++;
          c.abort("not this flow's client");
          return;
        }
        this.serverConn = c;
        const server = new RpcServer(c, { maxMessageBytes });
        server.handle(RPC_TRAFFIC_METHOD, (_body, reply) => reply.ok(this.response));
        this.server = server;
      },
      tcpOptions(t.tcp),
    );
  }

  protected begin(): void {
    const c = this.layer.connect(this.dst, this.t.port, tcpOptions(this.t.tcp));
    this.stream.attach(c);
    this.next();
  }

  /** Makes the calls that are due now and schedules the next tick (open loop). */
  private next(): void {
    if (this.st !== TransportFlowState.Running) return;
    const t = this.t;
    if (t.count !== undefined && this.calls >= t.count) return this.finishSending();
    this.call();
    if (t.intervalNs !== undefined && (t.count === undefined || this.calls < t.count)) {
      this.callTimer = this.sim.scheduler.schedule(this.id, t.intervalNs, this.id, EV_TRANSPORT_CALL, 0, 0, 0);
    } else if (t.count !== undefined && this.calls >= t.count) this.finishSending();
  }

  protected override tick(): void {
    this.callTimer = -1;
    this.next();
  }

  private call(): void {
    const sentAt = this.sim.now;
    this.calls++;
    this.outstanding++;
    // The first 8 request bytes say which call this is (flow id, call number), as UDP traffic does.
    const q = this.request;
    if (q.length >= 8) {
      writeU32(q, 0, this.flowId);
      writeU32(q, 4, this.calls - 1);
    }
    this.flows.recordSent(this.flowId, q.length, sentAt);
    this.client.call(RPC_TRAFFIC_METHOD, q, (err, body) => {
      this.outstanding--;
      if (err === undefined) this.flows.recordReceived(this.flowId, body!.length, sentAt, this.sim.now);
      if (this.t.intervalNs === undefined && this.st === TransportFlowState.Running) this.next();
      else if (this.st === TransportFlowState.Ending) this.maybeClose();
    });
  }

  protected finishSending(): void {
    if (this.st !== TransportFlowState.Running) return;
    this.st = TransportFlowState.Ending;
    if (this.callTimer >= 0) this.sim.scheduler.cancel(this.callTimer);
    this.callTimer = -1;
    this.maybeClose();
  }

  private maybeClose(): void {
    if (this.outstanding > 0 || this.st !== TransportFlowState.Ending) return;
    this.st = TransportFlowState.Done;
    this.client.close();
  }

  state(): TransportState {
    const c = this.client.stats();
    const cs = this.stream.connection?.stats();
    const sv = this.server?.stats();
    let executions = 0;
    if (sv !== undefined) for (const k of Object.keys(sv.executions)) executions += sv.executions[Number(k)]!;
    return {
      flow: this.flowId,
      type: "rpc",
      sender: {
        state: c.state,
        flowState: this.stateName,
        calls: c.calls,
        completed: c.completed,
        failed: { ...c.failed },
        retries: c.retries,
        lateResponses: c.lateResponses,
        outstandingHighWater: c.outstandingHighWater,
        closeReason: c.closeReason ?? null,
        tcpRetransmits: cs?.retransmits ?? 0,
        tcpTimeouts: cs?.timeouts ?? 0,
        srttNs: cs?.srtt ?? 0,
      },
      receiver: {
        state: sv?.state ?? "closed",
        requests: sv?.requests ?? 0,
        executions,
        duplicatesInProgress: sv?.duplicatesInProgress ?? 0,
        duplicatesReplayed: sv?.duplicatesReplayed ?? 0,
        stale: sv?.stale ?? 0,
        busy: sv?.busy ?? 0,
        replyDrops: sv?.replyDrops ?? 0,
        closeReason: sv?.closeReason ?? null,
        tcpRetransmits: this.serverConn?.stats().retransmits ?? 0,
        refusedConnections: this.refused,
      },
    };
  }

  destroy(): void {
    this.st = TransportFlowState.Done;
    if (this.callTimer >= 0) this.sim.scheduler.cancel(this.callTimer);
    this.callTimer = -1;
  }
}

function writeU32(p: Uint8Array, at: number, v: number): void {
  p[at] = (v >>> 24) & 0xff;
  p[at + 1] = (v >>> 16) & 0xff;
  p[at + 2] = (v >>> 8) & 0xff;
  p[at + 3] = v & 0xff;
}

/** Builds one transport flow (see the module comment for who owns what). */
export function startTransportTraffic(
  ctx: TransportContext,
  flowId: number,
  spec: TransportScenarioTraffic,
): TransportFlow {
  switch (spec.type) {
    case "tcp-bulk":
      return new TcpBulkFlow(ctx, flowId, spec);
    case "nak-bulk":
      return new NakBulkFlow(ctx, flowId, spec);
    case "rpc":
      return new RpcFlow(ctx, flowId, spec);
  }
}

/**
 * The flow report with its transport section. FlowStats counted the receiving end: each in-order
 * delivery for the bulk flows (so throughputBps is the goodput over the delivery interval);
 * requests as sent and responses as received for rpc (latency = the call's round trip). The
 * sender-owned fields come from the transport's counters: tcp-bulk sentPackets = data segments
 * sent (retransmissions included), sentBytes = stream bytes acknowledged, loss and
 * inFlightPackets = null (a stream loses nothing end to end: droppedPackets, drops and the
 * transport section say what the network lost), and the same two null for rpc; nak-bulk
 * sentPackets = data packets sent, sentBytes = bytes confirmed, receivedPackets = packets that
 * arrived, loss = dropped / sent, inFlightPackets = sent - (received + duplicates + refused
 * by the receiver) - dropped.
 */
export function applyTransport(report: FlowReport, t: TransportState): TransportFlowReport {
  const out: TransportFlowReport = { ...report, transport: { type: t.type, sender: t.sender, receiver: t.receiver } };
  const num = (v: TransportValue | undefined): number => (typeof v === "number" ? v : 0);
  if (t.type === "nak-bulk") {
    out.sentPackets = num(t.sender["packetsSent"]);
    out.sentBytes = num(t.sender["bytesConfirmed"]);
    out.receivedPackets = num(t.receiver["packetsReceived"]);
    out.loss = out.sentPackets === 0 ? null : out.droppedPackets / out.sentPackets;
    // Repairs of packets that had arrived after all come in as duplicates: arrived, not in flight.
    const arrived = out.receivedPackets + num(t.receiver["duplicates"]) + num(t.receiver["refused"]);
    out.inFlightPackets = Math.max(0, out.sentPackets - arrived - out.droppedPackets);
  } else {
    // A byte stream (tcp-bulk) or calls over one (rpc): the transport resends what the network
    // drops, so packets lost and in flight are not counts of what was sent; droppedPackets and
    // drops still say which segments died where.
    if (t.type === "tcp-bulk") {
      out.sentPackets = num(t.sender["dataSegmentsSent"]);
      out.sentBytes = num(t.sender["bytesAcked"]);
    }
    out.loss = null;
    out.inFlightPackets = null;
  }
  return out;
}
