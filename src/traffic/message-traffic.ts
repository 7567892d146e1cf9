// Message traffic over host stack configurations: the ping-pong and message-stream
// flows of a scenario, between two hosts that run the same MessageStack configuration.
//
// Contract:
// - MessageFlow is a device of the `from` host; its start event (at the flow's start time)
//   starts the workload (PingPong / OneWay, src/stacks/layered/ping-pong.ts) once both stacks
//   are ready (MessageStack.isReady: U-Net and Active Messages register their endpoint and
//   channel with system calls first), retrying every READY_RETRY_NS up to READY_RETRIES times.
// - Accounting goes to FlowStats like IP flows: sent = messages each stack accepted (both
//   directions for ping-pong), received = messages delivered to the applications; latency:
//   ping-pong the round trip of each round, message-stream the one-way time from the
//   message's send() call (all back to back at the start) to its delivery. The stacks are seen
//   through a thin pass-through view (observed) so the workloads are used as they are.
// - state() is plain data (crosses worker threads); destroy() cancels a pending start.

import type { Simulation } from "../engine/simulation.js";
import type { EventHandler } from "../engine/scheduler.js";
import { EV_DEVICE_BASE } from "../devices/device.js";
import type { MessageScenarioTraffic } from "./traffic-spec.js";
import type { FlowStats } from "../trace/flow-stats.js";
import { OneWay, PingPong } from "../stacks/layered/ping-pong.js";
import type { MessageApp, MessageStack, MessageStackCounters } from "../stacks/message-stack.js";

const EV_MESSAGE_START = EV_DEVICE_BASE;
/** While a stack is still setting up at the start time, the start is tried again this much later ... */
const READY_RETRY_NS = 100_000;
/** ... at most this many times (1 s), so a stack that never comes up cannot keep a run from idling. */
const READY_RETRIES = 10_000;

/** One message flow's own counters, plain data (crosses worker threads). */
export interface MessageFlowState {
  flow: number;
  type: MessageScenarioTraffic["type"];
  configuration: string;
  layers: string[];
  size: number;
  /** Virtual time the workload started (after the stacks set up), or null. */
  startedAtNs: number | null;
  /** ping-pong: rounds asked and completed; message-stream: messages asked and delivered. */
  requested: number;
  completed: number;
  /** Messages the stacks refused (no buffer, queue full): not sent. */
  refused: number;
  /** ping-pong: messages whose bytes did not match what was sent. */
  mismatches: number;
  /** ping-pong: mean round trip of the completed rounds, ns. */
  rttMeanNs: number | null;
}

/**
 * A MessageStack as the workload sees it: every message the stack accepts and every message
 * it delivers (not the member's own: a TOTAL layer delivers those to their sender too) is
 * reported to the flow's accounting on the way through. Everything else goes straight to `s`.
 */
function observed(s: MessageStack, onSent: () => void, onDelivered: (length: number) => void): MessageStack {
  return {
    get name() {
      return s.name;
    },
    get configuration() {
      return s.configuration;
    },
    get sim() {
      return s.sim;
    },
    get frames() {
      return s.frames;
    },
    get u8() {
      return s.u8;
    },
    get cpu() {
      return s.cpu;
    },
    get rank() {
      return s.rank;
    },
    get maxMessage() {
      return s.maxMessage;
    },
    get now() {
      return s.now;
    },
    isReady: (peer: number) => s.isReady(peer),
    setApp(app: MessageApp | undefined): void {
      if (app === undefined) return s.setApp(undefined);
      s.setApp({
        onMessage(stack, ptr, length, src) {
          if (src !== s.rank) onDelivered(length);
          app.onMessage(stack, ptr, length, src);
        },
        ...(app.onEvent !== undefined ? { onEvent: app.onEvent.bind(app) } : {}),
      });
    },
    allocMessage: (length: number) => s.allocMessage(length),
    send(frame: number, dst?: number): boolean {
      const ok = s.send(frame, dst);
      if (ok) onSent();
      return ok;
    },
    stats: (): MessageStackCounters => s.stats(),
    destroy: () => s.destroy(),
  };
}

/**
 * The driver of one ping-pong or message-stream flow: a device of the `from` host whose start
 * event starts the workload over the pair of stacks, and the flow's accounting.
 *   Idle --start event, stacks ready--> Running --last round / message delivered--> (done)
 *   Idle --start event, a stack still registering--> Idle (tried again READY_RETRY_NS later)
 */
export class MessageFlow implements EventHandler {
  readonly id: number;
  readonly spec: MessageScenarioTraffic;
  /** Flow id in FlowStats. */
  readonly flow: number;
  private readonly sim: Simulation;
  private readonly a: MessageStack;
  private readonly b: MessageStack;
  private readonly pingPong: PingPong | undefined;
  private readonly oneWay: OneWay | undefined;
  private startedAt = -1;
  private pingAt = 0;
  private retries = 0;
  private handle: number;

  constructor(
    sim: Simulation,
    flows: FlowStats,
    flowId: number,
    spec: MessageScenarioTraffic,
    a: MessageStack,
    b: MessageStack,
    private readonly layers: readonly string[],
  ) {
    this.sim = sim;
    this.spec = spec;
    this.flow = flowId;
    this.a = a;
    this.b = b;
    const size = spec.size;
    const sent = (): void => flows.recordSent(flowId, size, sim.now);
    if (spec.type === "ping-pong") {
      const viewA = observed(
        a,
        () => {
          this.pingAt = sim.now;
          sent();
        },
        (length) => flows.recordReceived(flowId, length, this.pingAt, sim.now),
      );
      const viewB = observed(b, sent, (length) => flows.recordReceivedUnsampled(flowId, length, sim.now));
      this.pingPong = new PingPong(viewA, viewB, size, spec.rounds);
    } else {
      const viewA = observed(a, sent, () => {});
      // Every message is handed to the stack at the start event, back to back.
      const viewB = observed(
        b,
        () => {},
        (length) => flows.recordReceived(flowId, length, this.startedAt, sim.now),
      );
      this.oneWay = new OneWay(viewA, viewB, size, spec.count);
    }
    this.id = sim.register(`traffic:${spec.name}`, this);
    this.handle = sim.scheduler.scheduleAt(
      this.id,
      Math.max(sim.now, spec.startNs),
      this.id,
      EV_MESSAGE_START,
      0,
      0,
      0,
    );
  }

  handleEvent(kind: number): void {
    if (kind !== EV_MESSAGE_START) return;
    this.handle = -1;
    if (!(this.a.isReady(this.b.rank) && this.b.isReady(this.a.rank)) && this.retries < READY_RETRIES) {
      this.retries++;
      this.handle = this.sim.scheduler.schedule(this.id, READY_RETRY_NS, this.id, EV_MESSAGE_START, 0, 0, 0);
      return;
    }
    this.startedAt = this.sim.now;
    this.pingPong?.start();
    this.oneWay?.start();
  }

  state(): MessageFlowState {
    const pp = this.pingPong;
    const ow = this.oneWay;
    const spec = this.spec;
    return {
      flow: this.flow,
      type: spec.type,
      configuration: this.a.configuration,
      layers: [...this.layers],
      size: spec.size,
      startedAtNs: this.startedAt >= 0 ? this.startedAt : null,
      requested: spec.type === "ping-pong" ? spec.rounds : spec.count,
      completed: pp !== undefined ? pp.round : ow!.received,
      refused: pp !== undefined ? pp.refused : ow!.refused,
      mismatches: pp !== undefined ? pp.mismatches : 0,
      rttMeanNs: pp !== undefined && pp.round > 0 ? pp.meanRtt() : null,
    };
  }

  /** Cancels a pending start (the stacks and CPUs are destroyed by the builder's hook). */
  destroy(): void {
    if (this.handle >= 0) this.sim.scheduler.cancel(this.handle);
    this.handle = -1;
  }
}
