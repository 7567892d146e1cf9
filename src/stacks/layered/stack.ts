// LayeredStack: a protocol graph composed at run time from a list of microprotocol names, top
// to bottom, run on a host's virtual CPUs, in one of three host configurations.
//
// Contract:
// - Composition: `layers` names layers top to bottom from COM, FRAG, NAK, FC, TOTAL, STABLE.
//   The bottom must be COM (and COM only there); no layer twice; every layer's requirements
//   must be provided by the layers below it (Prop bits, accumulated upward). Otherwise the
//   constructor throws NetloomError INVALID_ARGUMENT naming `<name>.layers[i]`, the layer and
//   the missing property. Headroom = link header (Ethernet 14, ATM 0) + every layer's header;
//   maxMessage is the top layer's limit (FRAG lifts it to what a frame slot holds).
// - The variant (STACK_VARIANTS) decides what the host is charged on its HostCpu and which
//   copies really happen; every layer entry (send, deliver, event, timer) is a layer crossing.
// - Application interface: allocMessage(len) gives a frame, send(frame, dst) takes it; messages
//   arrive at app.onMessage(stack, ptr, length, src), the bytes valid during the call (a user
//   buffer in socket/layered, the fbuf itself in fbufs); events (STABLE, FLOW_*) at app.onEvent.
// - Timing: application sends, received frames and layer timers are CPU jobs (HostCpu); a
//   frame leaves for the NIC, and a message reaches the application, at the moment of the job
//   where it was produced (start + CPU time charged so far).
// - Ownership: frames move with the calls; every frame the stack holds (jobs, layers, pending
//   transmissions and deliveries) is released by destroy().
// - Networks: COM on an EthernetNic (`nic` + `members`, com.ts) or on an AtmNic (`atm`, one
//   AAL5 circuit per other member, com-atm.ts); exactly one of the two.
// - Not handled: several stacks on one NIC (COM owns the NIC's receiver), membership changes,
//   U-Net / Active Messages / the protocol accelerator (src/stacks/accel).

import { ErrorCode, NetloomError } from "../../base/errors.js";
import type { KernelRuntime } from "../../kernels/runtime.js";
import { NO_FRAME, type FrameStore } from "../../buf/frames.js";
import type { EthernetNic } from "../../devices/nic.js";
import { AtmComLayer, type AtmComOptions } from "./com-atm.js";
import type { Simulation } from "../../engine/simulation.js";
import { CpuOp, type CpuClient, type HostCpu } from "../cost.js";
import type { MessageApp, MessageStack, MessageStackCounters } from "../message-stack.js";
import { ComLayer, type ComBottom, type ComOptions } from "./com.js";
import { FcLayer, type FcLayerOptions } from "./fc.js";
import { FragLayer } from "./frag.js";
import { ALL, Prop, propNames, type Layer, type StackContext } from "./layer.js";
import { NakLayer, type NakLayerOptions } from "./nak.js";
import { StableLayer, type StableLayerOptions } from "./stable.js";
import { TotalLayer, type TotalLayerOptions } from "./total.js";

/**
 * How the host runs the same layers:
 *   socket:  conventional kernel. Send: system call, copy user -> kernel; receive: interrupt,
 *            copy kernel -> user, system call return, context switch to the receiver. Between
 *            every two layers the message is copied into a new buffer (streams style).
 *   layered: x-Kernel/Horus: the same boundary costs, but messages move between layers by
 *            reference, headers pushed and popped in place (copies only at the user boundary).
 *   fbufs:   the layered stack with the user/kernel boundary crossed by remapping the buffer's
 *            pages (cached fbufs) instead of copying: the application's frame goes down and the
 *            received frame comes up without a copy.
 * COM charges checksum bytes and driver work per frame in every variant.
 */
export const STACK_VARIANTS = ["socket", "layered", "fbufs"] as const;
export type StackVariant = (typeof STACK_VARIANTS)[number];
export const LAYER_NAMES = ["COM", "FRAG", "NAK", "FC", "TOTAL", "STABLE"] as const;
export type LayerName = (typeof LAYER_NAMES)[number];

const V_SOCKET = 0;
// biome-ignore lint/correctness/noUnusedVariables: names the variant number that this.v holds for a layered stack
const V_LAYERED = 1;
const V_FBUFS = 2;

/** CPU job kinds. */
const JOB_SEND = 1;
const JOB_RX = 2;
const JOB_TIMER = 3;
/** Stack events. */
const EV_TX = 16;
const EV_DELIVER = 17;
const EV_APP_EVENT = 18;
const EV_TIMER = 19;
/** A timer whose job found the CPU queue full tries again this much later. */
const TIMER_RETRY_NS = 100_000;

/** The application of a layered stack (StackEvent: STABLE a = sender, b = stable count; FLOW_*). */
export type StackApp = MessageApp;

export interface LayeredStackOptions {
  /** Layer names, top to bottom (e.g. ["TOTAL", "FC", "NAK", "FRAG", "COM"]). */
  layers: readonly string[];
  variant?: StackVariant;
  cpu: HostCpu;
  /** Ethernet: the NIC (with `members`). */
  nic?: EthernetNic;
  /** This member's rank in `members` (or in `atm.vcs`). */
  rank: number;
  /** Ethernet: MAC of each member by rank. */
  members?: readonly (number | string)[];
  /** ATM instead of Ethernet: the NIC and the circuit to each member by rank (-1 for self). */
  atm?: AtmComOptions;
  etherType?: number;
  groupMac?: number | string;
  nak?: NakLayerOptions;
  fc?: FcLayerOptions;
  total?: TotalLayerOptions;
  stable?: StableLayerOptions;
}

export interface LayeredStackStats extends MessageStackCounters {
  variant: StackVariant;
  layers: string[];
  headroom: number;
  maxMessage: number;
  drops: { tooLong: number; cpuQueue: number; noSlot: number; rxCpuQueue: number };
  timerRetries: number;
  byLayer: Record<string, Record<string, number>>;
}

function makeLayer(name: LayerName, o: LayeredStackOptions, path: string): Layer {
  switch (name) {
    case "COM": {
      if (o.atm !== undefined) return new AtmComLayer(o.atm, path);
      const com: ComOptions = { nic: o.nic!, members: o.members! };
      if (o.etherType !== undefined) com.etherType = o.etherType;
      if (o.groupMac !== undefined) com.groupMac = o.groupMac;
      return new ComLayer(com, path);
    }
    case "FRAG":
      return new FragLayer();
    case "NAK":
      return new NakLayer(o.nak, `${path}.nak`);
    case "FC":
      return new FcLayer(o.fc, `${path}.fc`);
    case "TOTAL":
      return new TotalLayer(o.total, `${path}.total`);
    case "STABLE":
      return new StableLayer(o.stable, `${path}.stable`);
  }
}

/** What each layer requires and provides (the static table the composition check reads). */
export const LAYER_PROPS: Record<LayerName, { requires: number; provides: number }> = {
  COM: { requires: 0, provides: Prop.DATAGRAM },
  FRAG: { requires: Prop.DATAGRAM, provides: Prop.LARGE },
  NAK: { requires: Prop.DATAGRAM, provides: Prop.RELIABLE | Prop.FIFO },
  FC: { requires: Prop.RELIABLE, provides: Prop.FLOW },
  TOTAL: { requires: Prop.RELIABLE | Prop.FIFO, provides: Prop.TOTAL },
  STABLE: { requires: Prop.RELIABLE, provides: Prop.STABLE },
};

/**
 * Checks a composition without building it: returns the layer names or throws the error the
 * stack constructor would (path `${path}.layers[i]`).
 */
export function checkComposition(layers: readonly string[], path = "stack"): LayerName[] {
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "a stack needs at least one layer (COM at the bottom)", {
      path: `${path}.layers`,
    });
  }
  const names: LayerName[] = [];
  layers.forEach((raw, i) => {
    const name = typeof raw === "string" ? raw.toUpperCase() : raw;
    if (!(LAYER_NAMES as readonly unknown[]).includes(name)) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${JSON.stringify(raw)} is not a layer (${LAYER_NAMES.join(", ")})`,
        {
          path: `${path}.layers[${i}]`,
        },
      );
    }
    if (names.includes(name as LayerName)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(name)} appears twice in the stack`, {
        path: `${path}.layers[${i}]`,
      });
    }
    names.push(name as LayerName);
  });
  const last = names.length - 1;
  names.forEach((n, i) => {
    if (n === "COM" && i !== last) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `COM must be the bottom layer (it talks to the NIC); here ${names[last]} is below it`,
        {
          path: `${path}.layers[${i}]`,
        },
      );
    }
  });
  if (names[last] !== "COM") {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `${names[last]} is at the bottom, but it needs a layer below it: the bottom layer must be COM`,
      { path: `${path}.layers[${last}]` },
    );
  }
  let below = 0;
  for (let i = last; i >= 0; i--) {
    const p = LAYER_PROPS[names[i]!];
    const missing = p.requires & ~below;
    if (missing !== 0) {
      const under = names.slice(i + 1).join(" over ");
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${names[i]} requires ${propNames(missing)} below it, but ${under} provide${i + 1 === last ? "s" : ""} only ${propNames(below)}` +
          ` (put a layer that provides ${propNames(missing)} under ${names[i]})`,
        { path: `${path}.layers[${i}]` },
      );
    }
    below |= p.provides;
  }
  return names;
}

export class LayeredStack implements StackContext, CpuClient, MessageStack {
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  readonly frames: FrameStore;
  readonly u8: Uint8Array;
  readonly runtime: KernelRuntime;
  readonly cpu: HostCpu;
  readonly rank: number;
  readonly members: number;
  readonly headroom: number;
  readonly maxMessage: number;
  readonly variant: StackVariant;
  readonly layers: readonly Layer[];
  readonly layerNames: readonly LayerName[];
  private readonly v: number;
  private readonly com: ComBottom;
  private readonly client: number;
  private app: StackApp | undefined;
  /** User buffer the kernel copies received messages into (socket, layered). */
  private userBuf = 0;
  /** Frames held by pending EV_TX / EV_DELIVER events (released by destroy()). */
  private readonly pending = new Set<number>();
  private destroyed = false;
  private sent = 0;
  private delivered = 0;
  private bytesCopied = 0;
  private readonly drops = { tooLong: 0, cpuQueue: 0, noSlot: 0, rxCpuQueue: 0 };
  private timerRetries = 0;

  constructor(sim: Simulation, name: string, options: LayeredStackOptions) {
    const names = checkComposition(options.layers, name);
    const variant = options.variant ?? "layered";
    const v = STACK_VARIANTS.indexOf(variant);
    if (v < 0) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${JSON.stringify(variant)} is not a stack variant (${STACK_VARIANTS.join(", ")})`,
        {
          path: `${name}.variant`,
        },
      );
    }
    const n = groupSize(options, name);
    if (!Number.isInteger(options.rank) || options.rank < 0 || options.rank >= n) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(options.rank)} is not a rank in a group of ${n}`, {
        path: `${name}.rank`,
      });
    }
    this.sim = sim;
    this.name = name;
    this.frames = sim.frames;
    this.u8 = sim.runtime.u8;
    this.runtime = sim.runtime;
    this.cpu = options.cpu;
    this.rank = options.rank;
    this.members = n;
    this.variant = variant;
    this.v = v;
    this.layerNames = names;
    const layers = names.map((ln, i) => makeLayer(ln, options, `${name}.layers[${i}]`));
    this.layers = layers;
    this.com = layers[layers.length - 1] as ComBottom;
    let headroom = this.com.linkHeaderBytes;
    for (const l of layers) headroom += l.headerBytes;
    this.headroom = headroom;
    this.id = sim.register(name, this);
    layers.forEach((l, i) => l.init(this, i));
    let max = Infinity;
    for (let i = layers.length - 1; i >= 0; i--) max = layers[i]!.maxMessage(max);
    this.maxMessage = Math.min(max, this.frames.pool.slotBytes - headroom);
    if (this.maxMessage < 1) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `the frame slots (${this.frames.pool.slotBytes} bytes) leave no room for a message`,
        {
          path: `${name}.layers`,
        },
      );
    }
    if (v !== V_FBUFS) this.userBuf = sim.runtime.heap.alloc(this.maxMessage);
    this.client = this.cpu.addClient(this);
    this.com.attachReceiver((a, b) => this.onNicFrame(a, b));
  }

  get now(): number {
    return this.sim.scheduler.now;
  }

  /** The configuration name of the comparison (the variant). */
  get configuration(): StackVariant {
    return this.variant;
  }

  /** A layered stack needs no set-up before it sends. */
  isReady(_peer: number): boolean {
    return true;
  }

  setApp(app: StackApp | undefined): void {
    this.app = app;
  }

  /** The layer object named `name` (for its stats and options), or undefined. */
  layer(name: LayerName): Layer | undefined {
    const i = this.layerNames.indexOf(name);
    return i < 0 ? undefined : this.layers[i];
  }

  // --- application side ---

  /**
   * A message buffer of `length` bytes for send(), or -1 when no frame slot is free: the
   * application's buffer (an fbuf in fbufs, otherwise user memory the kernel copies from).
   */
  allocMessage(length: number): number {
    if (!Number.isInteger(length) || length < 0 || length > this.maxMessage) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(length)} is not a message length (0 to ${this.maxMessage})`,
        {
          path: "length",
        },
      );
    }
    const f = this.frames.alloc(this.headroom, this.sim.scheduler.now);
    if (f === NO_FRAME) {
      this.drops.noSlot++;
      return NO_FRAME;
    }
    this.frames.setLength(f, length);
    return f;
  }

  /**
   * Sends message `frame` (from allocMessage) to the group (dst ALL) or to member `dst` where
   * the layers address members (COM, FRAG alone). Takes ownership; false = refused (too long,
   * CPU queue full: counted and released).
   */
  send(frame: number, dst: number = ALL): boolean {
    if (dst !== ALL && (!Number.isInteger(dst) || dst < 0 || dst >= this.members || dst === this.rank)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(dst)} is not another member's rank or ALL`, {
        path: "dst",
      });
    }
    if (this.frames.length[frame]! > this.maxMessage) {
      this.drops.tooLong++;
      this.frames.release(frame);
      return false;
    }
    if (!this.cpu.submit(this.client, JOB_SEND, frame, dst)) {
      this.drops.cpuQueue++;
      this.frames.release(frame);
      return false;
    }
    return true;
  }

  // --- CPU jobs ---

  runJob(kind: number, a: number, b: number): void {
    if (this.destroyed) return this.dropJob(kind, a, b);
    const cpu = this.cpu;
    if (kind === JOB_SEND) {
      this.sent++;
      cpu.chargeOp(CpuOp.SYSTEM_CALL);
      let msg = a;
      const len = this.frames.length[msg]!;
      if (this.v === V_FBUFS) {
        cpu.chargeRemap(len);
      } else {
        msg = this.copy(msg);
        if (msg === NO_FRAME) return;
      }
      cpu.chargeOp(CpuOp.LAYER_CROSSING);
      this.layers[0]!.send(msg, b);
    } else if (kind === JOB_RX) {
      cpu.chargeOp(CpuOp.INTERRUPT);
      cpu.chargeOp(CpuOp.LAYER_CROSSING);
      this.com.receive(a, b);
    } else if (kind === JOB_TIMER) {
      cpu.chargeOp(CpuOp.LAYER_CROSSING);
      this.layers[a]!.timer(b);
    }
  }

  dropJob(kind: number, a: number, b: number): void {
    if (kind === JOB_SEND) this.frames.release(a);
    else if (kind === JOB_RX) this.com.dropReceived(a, b);
  }

  /** A received frame or PDU (a, b as COM's receive takes them); false: COM gives it back. */
  private onNicFrame(a: number, b: number): boolean {
    if (this.destroyed || !this.cpu.submit(this.client, JOB_RX, a, b)) {
      this.drops.rxCpuQueue++;
      return false;
    }
    return true;
  }

  /** The model's copy: a real copy of the frame into a new slot, charged. */
  private copy(msg: number): number {
    const len = this.frames.length[msg]!;
    const c = this.frames.clone(msg);
    this.frames.release(msg);
    if (c === NO_FRAME) {
      this.drops.noSlot++;
      return NO_FRAME;
    }
    this.cpu.chargeCopy(len);
    this.bytesCopied += len;
    return c;
  }

  // --- StackContext (what layers call) ---

  down(index: number, msg: number, dst: number): void {
    if (this.v === V_SOCKET) {
      msg = this.copy(msg);
      if (msg === NO_FRAME) return;
    }
    this.cpu.chargeOp(CpuOp.LAYER_CROSSING);
    this.layers[index + 1]!.send(msg, dst);
  }

  up(index: number, msg: number, src: number): void {
    const cpu = this.cpu;
    if (index > 0) {
      if (this.v === V_SOCKET) {
        msg = this.copy(msg);
        if (msg === NO_FRAME) return;
      }
      cpu.chargeOp(CpuOp.LAYER_CROSSING);
      this.layers[index - 1]!.deliver(msg, src);
      return;
    }
    // To the application: the boundary, the receive call returning, the receiver woken.
    const len = this.frames.length[msg]!;
    if (this.v === V_FBUFS) cpu.chargeRemap(len);
    else cpu.chargeCopy(len);
    cpu.chargeOp(CpuOp.SYSTEM_CALL);
    cpu.chargeOp(CpuOp.CONTEXT_SWITCH);
    this.delivered++;
    this.pending.add(msg);
    this.sim.scheduler.schedule(this.id, cpu.deferDelay(), this.id, EV_DELIVER, msg, src, len);
  }

  raise(index: number, ev: number, a: number, b: number): void {
    this.cpu.chargeOp(CpuOp.LAYER_CROSSING);
    if (index > 0) {
      this.layers[index - 1]!.event(ev, a, b);
      return;
    }
    this.sim.scheduler.schedule(this.id, this.cpu.deferDelay(), this.id, EV_APP_EVENT, ev | (a << 8), b, 0);
  }

  controlDown(index: number, op: number, arg: number): void {
    if (index + 1 >= this.layers.length) return;
    this.cpu.chargeOp(CpuOp.LAYER_CROSSING);
    this.layers[index + 1]!.control(op, arg);
  }

  /** Passes a control operation into the top layer (no layer defines one yet: a no-op passed down). */
  control(op: number, arg: number): void {
    this.layers[0]!.control(op, arg);
  }

  alloc(length: number): number {
    const f = this.frames.alloc(this.headroom, this.sim.scheduler.now);
    if (f === NO_FRAME) {
      this.drops.noSlot++;
      return NO_FRAME;
    }
    this.frames.setLength(f, length);
    return f;
  }

  push(msg: number, n: number): number {
    const frames = this.frames;
    if (frames.isShared(msg)) {
      const f = frames.writable(msg);
      if (f === NO_FRAME) {
        this.drops.noSlot++;
        frames.release(msg);
        return NO_FRAME;
      }
      msg = f;
    }
    frames.push(msg, n);
    return msg;
  }

  setTimer(index: number, delay: number, arg: number): number {
    const d = delay + (this.cpu.inJob ? this.cpu.deferDelay() : 0);
    return this.sim.scheduler.schedule(this.id, d, this.id, EV_TIMER, index, arg, 0);
  }

  cancelTimer(handle: number): void {
    this.sim.scheduler.cancel(handle);
  }

  transmit(frame: number, channel = 0): void {
    this.pending.add(frame);
    this.sim.scheduler.schedule(
      this.id,
      this.cpu.deferDelay(),
      this.id,
      EV_TX,
      frame,
      channel,
      this.frames.length[frame]!,
    );
  }

  // --- events ---

  handleEvent(kind: number, a: number, b: number, len: number): void {
    if (this.destroyed) return;
    if (kind === EV_TX) {
      this.pending.delete(a);
      this.com.transmitNow(a, b);
    } else if (kind === EV_DELIVER) {
      this.pending.delete(a);
      const app = this.app;
      if (app !== undefined) {
        if (this.v === V_FBUFS) {
          app.onMessage(this, this.frames.offset(a), len, b);
        } else {
          // The kernel's copy into the user's buffer (charged when the message came up).
          const from = this.frames.offset(a);
          this.runtime.copy(this.userBuf, from, len);
          this.bytesCopied += len;
          app.onMessage(this, this.userBuf, len, b);
        }
      }
      this.frames.release(a);
    } else if (kind === EV_APP_EVENT) {
      this.app?.onEvent?.(this, a & 0xff, a >> 8, b);
    } else if (kind === EV_TIMER) {
      if (!this.cpu.submit(this.client, JOB_TIMER, a, b)) {
        this.timerRetries++;
        this.sim.scheduler.schedule(this.id, TIMER_RETRY_NS, this.id, EV_TIMER, a, b, 0);
      }
    }
  }

  stats(): LayeredStackStats {
    const byLayer: Record<string, Record<string, number>> = {};
    this.layers.forEach((l) => (byLayer[l.name] = l.stats()));
    return {
      name: this.name,
      configuration: this.variant,
      variant: this.variant,
      layers: [...this.layerNames],
      headroom: this.headroom,
      maxMessage: this.maxMessage,
      sent: this.sent,
      delivered: this.delivered,
      bytesCopied: this.bytesCopied,
      drops: { ...this.drops },
      timerRetries: this.timerRetries,
      byLayer,
    };
  }

  /**
   * Releases every frame the stack holds (layers, pending transmissions and deliveries) and
   * the user buffer; the NIC gets its default receiver back. Jobs still queued on the CPU are
   * dropped when they run (or by cpu.destroy()).
   */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const l of this.layers) l.destroy();
    for (const f of this.pending) this.frames.release(f);
    this.pending.clear();
    if (this.userBuf !== 0) this.sim.runtime.heap.free(this.userBuf);
    this.userBuf = 0;
    this.com.detach();
  }
}

/** Members of the group the options describe; throws for neither or both networks. */
function groupSize(o: LayeredStackOptions, name: string): number {
  if ((o.atm === undefined) === (o.nic === undefined)) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      o.atm === undefined
        ? "a stack needs a network: nic (Ethernet, with members) or atm"
        : "give either nic (Ethernet) or atm, not both",
      { path: `${name}.${o.atm === undefined ? "nic" : "atm"}` },
    );
  }
  if (o.atm !== undefined) {
    if (!Array.isArray(o.atm.vcs)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "atm.vcs must list a circuit per member (-1 for this one)", {
        path: `${name}.atm.vcs`,
      });
    }
    return o.atm.vcs.length;
  }
  if (!Array.isArray(o.members)) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      "an Ethernet stack needs members (the MAC of each member by rank)",
      { path: `${name}.members` },
    );
  }
  return o.members.length;
}
