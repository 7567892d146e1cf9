// The two seams inside a TCP: what a connection uses of its layer (TcpLayerPort, implemented by
// TcpLayer) and what the connection's parts use of the connection that owns them (TcpEndpoint,
// implemented by TcpConnection). Both are interfaces, so the modules form a chain: the layer
// imports the connection, the connection imports its parts, and the parts import only this file
// and the ones below it.
//
// Contract:
// - TcpLayerPort: the layer's shared per-segment tools (one repr and view for every transmit, the
//   window kernel's exports, table and read-only walkers, the pattern in shared memory), its
//   timer service (events of the layer: kind = TcpTimer.*, a = slot, b = generation), RSTs, and
//   release() when a connection reaches CLOSED.
// - TcpEndpoint: the connection's identity, its state (the parts read it and set it on the
//   transitions they drive: FIN sent), and the calls the parts make back (isClosed, sendAck, challengeAck).

import type { Simulation } from "../../engine/simulation.js";
import type { WindowExports } from "../../kernels/exports.js";
import type { KernelRuntime } from "../../kernels/runtime.js";
import type { RingWalker, WindowPeek } from "../../kernels/window-peek.unsafe.js";
import type { WindowTable } from "../../kernels/window.js";
import type { TcpRepr, TcpView } from "../../wire/tcp.js";
import type { AnyIpHost } from "../ip/ip-host.js";
import type { TcpState } from "./tcp-types.js";

/** A connection as the layer's tables know it: its slot and the slot's generation. */
export interface TcpSlotHolder {
  readonly slot: number;
  readonly gen: number;
}

/** What a connection uses of its TcpLayer. */
export interface TcpLayerPort {
  readonly host: AnyIpHost;
  readonly sim: Simulation;
  readonly table: WindowTable;
  /** Raw window kernel exports (no argument checks; connections pass valid values). */
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
  readonly txRepr: TcpRepr;
  readonly view: TcpView;
  /** A timer event for `owner` after `delay` ns; returns its handle. */
  schedule(owner: TcpSlotHolder, delay: number, kind: number): number;
  cancel(handle: number): void;
  /** True when connection `slot` holds out-of-order ranges. */
  peekRanges(slot: number): boolean;
  /** Writes up to 4 SACK blocks (most recent first) of `slot` into r.sackBlocks; returns the count. */
  fillSackBlocks(slot: number, r: TcpRepr): number;
  /** A RST (with ACK when `withAck`) to remote:port from localPort. */
  sendRst(remote: number, localPort: number, remotePort: number, seq: number, ack: number, withAck: boolean): void;
  /** `owner` reached CLOSED: its slot is free again. */
  release(owner: TcpSlotHolder): void;
}

/** What the parts of a connection (send, receive, transmit, timers) use of the connection. */
export interface TcpEndpoint extends TcpSlotHolder {
  readonly localAddress: number;
  readonly localPort: number;
  readonly remoteAddress: number;
  readonly remotePort: number;
  stateValue: TcpState;
  /** The window kernel holds this connection's record (from the SYN exchange to CLOSED). */
  readonly kernelOpen: boolean;
  /** A callback may have closed the connection: re-read the state (defeats TS narrowing). */
  isClosed(): boolean;
  /** A pure ACK now (SACK blocks when out-of-order data is held). */
  sendAck(): void;
  /**
   * The ACK that answers a segment the connection does not accept, rate-limited (RFC 5961
   * section 7): two ends that disagree about the stream must not answer each other for ever.
   */
  challengeAck(): void;
}
