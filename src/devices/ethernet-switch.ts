// EthernetSwitch: an IEEE 802.1D transparent (learning) bridge on the Wasm forwarding database.
//
// Contract:
// - Store-and-forward: EV_FRAME_RX means the whole frame has arrived (the link already paid for
//   serialization). The switch checks it (runt, port state, optionally the FCS), waits
//   `forwardingDelay` ns (default 0: no extra event), then learns the source and looks up the
//   destination in one ForwardingDatabase.processBatch call.
// - Decisions: known unicast -> its port; known unicast on the in port -> filtered (SAME_PORT);
//   unknown or expired unicast, broadcast, multicast -> flooded to every other attached
//   Forwarding port. Flooding never copies: each channel takes one reference to the same frame.
// - Ownership: every frame received is released or handed on exactly once. Drops are counted
//   at the in port's phyRxDrop with a DropReason (RUNT, NOT_ATTACHED for a disabled port,
//   FCS_ERROR when checkFcs is on, SAME_PORT), never thrown.
// - Output queues belong to the channel on each port; a frame the channel refuses is dropped
//   and counted there; the switch only counts it as `txRefused`.
// - FCS: not verified by default (the receiving NIC does). With `checkFcs`, a frame whose
//   FRAME_FCS_VALID flag is set skips the CRC (its bytes have not changed since).
// - Ageing: the FDB treats entries older than agingTime as absent, so forwarding never depends
//   on the sweep; the periodic sweep only reclaims memory (see AgeTimerState).
// - Ports are Forwarding or Disabled (see PortState); attach() is separate and permanent.
// - Crashes (Crashable, fail-stop): crash() forgets the forwarding database, stops the sweep,
//   drops the frames queued on every port's channel and those inside the forwarding delay
//   (CRASHED); while crashed, arriving frames are dropped (CRASHED, at the in port). restart()
//   boots with an empty database: the bridge floods until it has learned again. Neighbours are
//   told nothing.
// - Not handled: VLANs, spanning tree (Blocking/Listening/Learning), static entries, batching
//   frames that arrive at the same instant (each frame is one Wasm call; batching them would
//   need an end-of-instant event and change the event trajectory).

import { ErrorCode, NetloomError } from "../base/errors.js";
import { parseDuration } from "../base/units.js";
import { FRAME_FCS_VALID } from "../buf/frames.js";
import type { Simulation } from "../engine/simulation.js";
import { FRAME_VEC_ARG, FRAME_VEC_LEN, FRAME_VEC_OUT, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "../kernels/abi.js";
import { ChecksumKernels } from "../kernels/checksum.js";
import { FDB_FILTER, FDB_FLOOD, ForwardingDatabase, type FdbStats } from "../kernels/switching.js";
import { DropReason } from "../trace/trace-point.js";
import { ETH_FCS_LEN, ETH_HEADER_LEN, macFromString } from "../wire/ethernet.js";
import type { Crashable } from "./crashable.js";
import { Device, EV_DEVICE_BASE, EV_FRAME_RX } from "./device.js";

/**
 * Port states (802.1D names; only the two this bridge uses). A Disabled port drops frames
 * arriving (NOT_ATTACHED), learns nothing and sends nothing.
 *
 *     +------------+  disablePort()  +----------+
 *     | Forwarding | --------------> | Disabled |
 *     |            | <-------------- |          |
 *     +------------+   enablePort()  +----------+
 */
export const PortState = {
  Forwarding: 0,
  Disabled: 1,
} as const;
export type PortState = (typeof PortState)[keyof typeof PortState];

/**
 * Age sweep timer states. The sweep (fdb.age every ageSweepInterval) is armed by traffic and
 * disarms when the table is empty, so runToIdle() ends once every entry has aged out.
 *
 *   Idle --(frame processed)--> Armed --(sweep, table empty)--> Idle
 *                               Armed --(sweep, entries left)--> Armed
 */
export const AgeTimerState = {
  Idle: 0,
  Armed: 1,
} as const;
export type AgeTimerState = (typeof AgeTimerState)[keyof typeof AgeTimerState];

/** A frame's processing delay is over: a = frame, b = in port, len = frame length. */
export const EV_SWITCH_FORWARD = EV_DEVICE_BASE;
/** The periodic FDB sweep. */
export const EV_SWITCH_AGE_SWEEP = EV_DEVICE_BASE + 1;

export const DEFAULT_FDB_CAPACITY = 8192;
/** IEEE 802.1D default ageing time. */
export const DEFAULT_AGING_TIME_NS = 300e9;
export const DEFAULT_FORWARDING_DELAY_NS = 0;

export interface EthernetSwitchOptions {
  /** Number of ports (1 to 4096). */
  ports: number;
  /** Most FDB entries (default 8192). */
  fdbCapacity?: number;
  /** Ageing time: ns or a duration string ("300s"); Infinity never ages. Default 300 s. */
  agingTime?: number | string;
  /**
   * Processing delay (ns or a duration string) between a frame's full arrival and its
   * forwarding. Default 0: the link's serialization already models store-and-forward latency.
   */
  forwardingDelay?: number | string;
  /** Period of the FDB sweep (ns or string); 0 turns it off. Default agingTime / 2. */
  ageSweepInterval?: number | string;
  /** Verify the FCS and drop bad frames (FCS_ERROR). Default false: the receiving NIC checks. */
  checkFcs?: boolean;
}

export interface SwitchPortStats {
  state: "forwarding" | "disabled";
  attached: boolean;
  /** Frames (and bytes) that arrived on the port, dropped ones included. */
  rxFrames: number;
  rxBytes: number;
  /** Frames (and bytes) handed to the port's channel. */
  txFrames: number;
  txBytes: number;
  /** Frames received on this port that were flooded (group and unknown unicast). */
  floods: number;
  /** Of those, unknown (or expired, or disabled-port) unicast destinations. */
  unknownUnicastFloods: number;
  /** Frames received on this port whose destination sits on this port (SAME_PORT). */
  filtered: number;
  /** Frames the port's channel refused (counted with their reason at the channel). */
  txRefused: number;
  /** Drops at this port's input by DropReason name. */
  drops: Record<string, number>;
}

export interface EthernetSwitchStats {
  ports: SwitchPortStats[];
  fdb: FdbStats;
  /** Age sweeps run. */
  sweeps: number;
  /** Crashed now (see crash()). */
  crashed: boolean;
}

function duration(value: number | string, path: string): number {
  if (value === Infinity) return Infinity;
  return parseDuration(value, path);
}

export class EthernetSwitch extends Device implements Crashable {
  readonly agingTimeNs: number;
  readonly forwardingDelayNs: number;
  readonly ageSweepIntervalNs: number;
  readonly checkFcs: boolean;
  private readonly fdbTable: ForwardingDatabase;
  private readonly crc: ChecksumKernels;
  /** The one-entry frame vector (heap offset) and its first u32 word index. */
  private readonly vec: number;
  private readonly vecWord: number;
  private readonly portState: Uint8Array;
  private readonly floods: Float64Array;
  private readonly unknownFloods: Float64Array;
  private readonly filtered: Float64Array;
  private readonly txRefused: Float64Array;
  private ageTimer: AgeTimerState = AgeTimerState.Idle;
  private ageHandle = -1;
  private sweeps = 0;
  private destroyed = false;
  /** 1 while crashed: the receive path's one compare. */
  private down = 0;
  /** Frames inside the forwarding delay, and how many of the first of them a crash took. */
  private delayed = 0;
  private staleDelayed = 0;
  private readonly macScratch = new Uint8Array(6);

  constructor(sim: Simulation, name: string, options: EthernetSwitchOptions) {
    if (typeof options !== "object" || options === null) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "an Ethernet switch needs options ({ ports })", {
        path: name,
      });
    }
    // Validate everything before Device registers the name, so a refused switch leaves no trace.
    const capacity = options.fdbCapacity ?? DEFAULT_FDB_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 22) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(capacity)} is not an FDB capacity (1 to 4194304)`, {
        path: `${name}.fdbCapacity`,
      });
    }
    const aging = duration(options.agingTime ?? DEFAULT_AGING_TIME_NS, `${name}.agingTime`);
    if (!(aging > 0)) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(options.agingTime)} is not an ageing time (it must be longer than 0)`,
        { path: `${name}.agingTime` },
      );
    }
    const delay = duration(options.forwardingDelay ?? DEFAULT_FORWARDING_DELAY_NS, `${name}.forwardingDelay`);
    if (!Number.isFinite(delay) || delay < 0) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(options.forwardingDelay)} is not a forwarding delay (a finite duration >= 0)`,
        { path: `${name}.forwardingDelay` },
      );
    }
    const sweep =
      options.ageSweepInterval !== undefined
        ? duration(options.ageSweepInterval, `${name}.ageSweepInterval`)
        : aging === Infinity
          ? 0
          : Math.max(1, Math.floor(aging / 2));
    if (sweep < 0 || (sweep === Infinity && options.ageSweepInterval !== Infinity)) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(options.ageSweepInterval)} is not a sweep interval (a duration >= 0; 0 = off)`,
        { path: `${name}.ageSweepInterval` },
      );
    }
    const checkFcs = options.checkFcs ?? false;
    if (typeof checkFcs !== "boolean") {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(checkFcs)} is not true or false`, {
        path: `${name}.checkFcs`,
      });
    }

    super(sim, name, options.ports);
    const n = this.ports.length;
    this.agingTimeNs = aging;
    this.forwardingDelayNs = delay;
    this.ageSweepIntervalNs = sweep === Infinity ? 0 : sweep;
    this.checkFcs = checkFcs;
    const rt = sim.runtime;
    this.fdbTable = ForwardingDatabase.create({ capacity, agingTimeNs: aging, ports: n, runtime: rt });
    this.vec = rt.heap.alloc(FRAME_VEC_STRIDE);
    this.vecWord = this.vec >>> 2;
    this.crc = new ChecksumKernels(rt);
    this.portState = new Uint8Array(n).fill(PortState.Forwarding);
    this.floods = new Float64Array(n);
    this.unknownFloods = new Float64Array(n);
    this.filtered = new Float64Array(n);
    this.txRefused = new Float64Array(n);
  }

  // --- events ---

  handleEvent(kind: number, a: number, b: number, _len: number): void {
    if (kind === EV_FRAME_RX) this.receive(a, b);
    else if (kind === EV_SWITCH_FORWARD) this.delayDone(a, b);
    else if (kind === EV_SWITCH_AGE_SWEEP) this.sweep();
  }

  /**
   * A frame's forwarding delay is over. The delay is the same for every frame, so these events
   * come in the order they were posted: the first `staleDelayed` of them were inside the switch
   * when it crashed.
   */
  private delayDone(frame: number, port: number): void {
    this.delayed--;
    if (this.staleDelayed > 0) {
      this.staleDelayed--;
      this.dropIn(frame, port, this.sim.frames.length[frame]!, DropReason.CRASHED);
      return;
    }
    this.forward(frame, port);
  }

  /** The whole frame has arrived on `port`: reception checks, then forward now or after the delay. */
  private receive(frame: number, port: number): void {
    const frames = this.sim.frames;
    const now = this.sim.scheduler.now;
    const len = frames.length[frame]!;
    if (this.down !== 0) {
      this.dropIn(frame, port, len, DropReason.CRASHED);
      return;
    }
    const trace = this.trace[port]!;
    trace.phyRxEnd.hit(now, frame, len);
    if (this.portState[port] !== PortState.Forwarding) {
      this.dropIn(frame, port, len, DropReason.NOT_ATTACHED);
      return;
    }
    if (len < ETH_HEADER_LEN || (this.checkFcs && len < ETH_HEADER_LEN + ETH_FCS_LEN)) {
      this.dropIn(frame, port, len, DropReason.RUNT);
      return;
    }
    if (this.checkFcs && (frames.flags[frame]! & FRAME_FCS_VALID) === 0 && !this.fcsMatches(frame, len)) {
      this.dropIn(frame, port, len, DropReason.FCS_ERROR);
      return;
    }
    if (this.forwardingDelayNs === 0) {
      this.forward(frame, port);
    } else {
      const sched = this.sim.scheduler;
      this.delayed++;
      sched.post(this.id, sched.now + this.forwardingDelayNs, this.id, EV_SWITCH_FORWARD, frame, port, len);
    }
  }

  /** FCS (little-endian, last 4 bytes) against the CRC-32 of the bytes before it. */
  private fcsMatches(frame: number, len: number): boolean {
    const off = this.sim.frames.offset(frame);
    const body = len - ETH_FCS_LEN;
    const stored = this.sim.runtime.view.getInt32(off + body, true);
    return this.crc.crc32Bits(off, body) === stored;
  }

  /** Learn + lookup in one Wasm call, then the relay decision. */
  private forward(frame: number, inPort: number): void {
    const frames = this.sim.frames;
    const now = this.sim.scheduler.now;
    const len = frames.length[frame]!;
    // The in port may have been disabled during the processing delay.
    if (this.portState[inPort] !== PortState.Forwarding) {
      this.dropIn(frame, inPort, len, DropReason.NOT_ATTACHED);
      return;
    }
    const rt = this.sim.runtime;
    const u32 = rt.u32;
    const w = this.vecWord;
    const off = frames.offset(frame);
    u32[w + (FRAME_VEC_PTR >>> 2)] = off;
    u32[w + (FRAME_VEC_LEN >>> 2)] = len;
    u32[w + (FRAME_VEC_ARG >>> 2)] = inPort;
    this.fdbTable.processBatch(this.vec, 1, now);
    const out = u32[w + (FRAME_VEC_OUT >>> 2)]!;
    if (this.ageTimer === AgeTimerState.Idle) this.armAgeTimer();

    if (out === FDB_FILTER) {
      this.filtered[inPort]!++;
      this.dropIn(frame, inPort, len, DropReason.SAME_PORT);
      return;
    }
    if (out < this.ports.length) {
      const attachment = this.ports[out];
      if (attachment !== undefined && this.portState[out] === PortState.Forwarding) {
        this.trace[inPort]!.macRx.hit(now, frame, len);
        this.trace[out]!.macTx.hit(now, frame, len);
        if (!attachment.channel.transmit(attachment.end, frame)) this.txRefused[out]!++;
        return;
      }
      // Its port is disabled: behave as if the entry had been flushed (802.1D removes a disabled
      // port's entries; the kernel has no flush-by-port, so the entry is ignored rather than
      // removed and serves again once the port is re-enabled).
      this.unknownFloods[inPort]!++;
    } else if (out === FDB_FLOOD) {
      // I/G bit of the destination (octet 0, bit 0): group frames are not "unknown unicast".
      if ((rt.u8[off]! & 1) === 0) this.unknownFloods[inPort]!++;
    } else {
      // FDB_DROP_RUNT / FDB_DROP_BAD_PORT: excluded above; kept so a kernel change cannot leak.
      this.dropIn(frame, inPort, len, DropReason.RUNT);
      return;
    }
    this.trace[inPort]!.macRx.hit(now, frame, len);
    this.flood(frame, inPort, len, now);
  }

  /**
   * Hands one frame to every other attached Forwarding port: n references, no copies (a shared
   * slot is read-only; a link that corrupts bits copies it first through FrameStore.writable()).
   */
  private flood(frame: number, inPort: number, len: number, now: number): void {
    this.floods[inPort]!++;
    const ports = this.ports;
    const state = this.portState;
    let n = 0;
    for (let p = 0; p < ports.length; p++) {
      if (p !== inPort && ports[p] !== undefined && state[p] === PortState.Forwarding) n++;
    }
    const frames = this.sim.frames;
    if (n === 0) {
      frames.release(frame);
      return;
    }
    // All references first: a channel may release its reference inside transmit().
    for (let i = 1; i < n; i++) frames.retain(frame);
    for (let p = 0; p < ports.length; p++) {
      const attachment = ports[p];
      if (p === inPort || attachment === undefined || state[p] !== PortState.Forwarding) continue;
      this.trace[p]!.macTx.hit(now, frame, len);
      if (!attachment.channel.transmit(attachment.end, frame)) this.txRefused[p]!++;
    }
  }

  private dropIn(frame: number, port: number, len: number, reason: number): void {
    this.trace[port]!.phyRxDrop.hit(this.sim.scheduler.now, frame, len, reason);
    this.sim.frames.release(frame);
  }

  // --- age sweep timer: Idle <-> Armed ---

  private armAgeTimer(): void {
    if (this.ageSweepIntervalNs === 0) return;
    this.ageTimer = AgeTimerState.Armed;
    this.ageHandle = this.sim.scheduler.schedule(
      this.id,
      this.ageSweepIntervalNs,
      this.id,
      EV_SWITCH_AGE_SWEEP,
      0,
      0,
      0,
    );
  }

  private sweep(): void {
    this.sweeps++;
    this.fdbTable.age(this.sim.scheduler.now);
    if (this.fdbTable.size === 0) this.disarmAgeTimer();
    else this.armAgeTimer();
  }

  private disarmAgeTimer(): void {
    if (this.ageTimer === AgeTimerState.Armed && this.sim.scheduler.isPending(this.ageHandle)) {
      this.sim.scheduler.cancel(this.ageHandle);
    }
    this.ageTimer = AgeTimerState.Idle;
    this.ageHandle = -1;
  }

  // --- crashes ---

  /** True between crash() and restart(). */
  get crashed(): boolean {
    return this.down !== 0;
  }

  /** Fail-stop, now (see the module contract). False when already crashed or destroyed. */
  crash(): boolean {
    if (this.destroyed || this.down !== 0) return false;
    this.down = 1;
    this.staleDelayed = this.delayed;
    this.fdbTable.clear();
    this.disarmAgeTimer();
    for (const at of this.ports) at?.channel.flushQueued?.(at.end, DropReason.CRASHED);
    return true;
  }

  /** Boots with an empty forwarding database. False when not crashed. */
  restart(): boolean {
    if (this.destroyed || this.down === 0) return false;
    this.down = 0;
    return true;
  }

  // --- port state machine ---

  private checkPort(port: number, path: string): void {
    if (!Number.isInteger(port) || port < 0 || port >= this.ports.length) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${this.name} has no port ${String(port)} (ports 0 to ${this.ports.length - 1})`,
        { path },
      );
    }
  }

  /** Forwarding -> Disabled. Returns false if the port was already Disabled. */
  disablePort(port: number): boolean {
    this.checkPort(port, "port");
    if (this.portState[port] === PortState.Disabled) return false;
    this.portState[port] = PortState.Disabled;
    return true;
  }

  /** Disabled -> Forwarding. Returns false if the port was already Forwarding. */
  enablePort(port: number): boolean {
    this.checkPort(port, "port");
    if (this.portState[port] === PortState.Forwarding) return false;
    this.portState[port] = PortState.Forwarding;
    return true;
  }

  portStateOf(port: number): PortState {
    this.checkPort(port, "port");
    return this.portState[port] as PortState;
  }

  get ageTimerState(): AgeTimerState {
    return this.ageTimer;
  }

  // --- inspection ---

  /** Port of the live FDB entry for `mac` (a 48-bit number or "02:00:..."), or undefined. */
  portOf(mac: number | string): number | undefined {
    const value = typeof mac === "string" ? macFromString(mac) : mac;
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff_ffff) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(mac)} is not a MAC address`, { path: "mac" });
    }
    const b = this.macScratch;
    let v = value;
    for (let i = 5; i >= 0; i--) {
      b[i] = v % 256;
      v = Math.floor(v / 256);
    }
    return this.fdbTable.get(b, this.sim.scheduler.now);
  }

  fdbStats(): FdbStats {
    return this.fdbTable.stats();
  }

  portStats(port: number): SwitchPortStats {
    this.checkPort(port, "port");
    const t = this.trace[port]!;
    return {
      state: this.portState[port] === PortState.Forwarding ? "forwarding" : "disabled",
      attached: this.ports[port] !== undefined,
      rxFrames: t.phyRxEnd.frames,
      rxBytes: t.phyRxEnd.bytes,
      txFrames: t.macTx.frames,
      txBytes: t.macTx.bytes,
      floods: this.floods[port]!,
      unknownUnicastFloods: this.unknownFloods[port]!,
      filtered: this.filtered[port]!,
      txRefused: this.txRefused[port]!,
      drops: t.phyRxDrop.dropsByReason(),
    };
  }

  stats(): EthernetSwitchStats {
    return {
      ports: this.ports.map((_, p) => this.portStats(p)),
      fdb: this.fdbStats(),
      sweeps: this.sweeps,
      crashed: this.down !== 0,
    };
  }

  /**
   * Frees the FDB and the frame vector and stops the sweep timer. Call after the run (frames
   * still inside their forwarding delay would be left in the event queue). Idempotent.
   */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.disarmAgeTimer();
    this.fdbTable.free();
    this.sim.runtime.heap.free(this.vec);
  }
}
