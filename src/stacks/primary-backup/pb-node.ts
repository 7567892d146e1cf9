// PbNode: what a primary-backup server and client share: a registered device of its host (its
// timers are events of that device), one UDP socket on the service's port, one scratch message
// in the shared memory, and the host's crash and restart hooks.
//
// Contract:
// - The node registers as "<service>:<host>" under whatever partition the builder set: it runs
//   where its host runs. Nothing is sent at construction.
// - send() emits the repr into the scratch bytes and hands them to the socket (the UDP layer
//   copies them into a frame with the memCopy kernel): no allocation per message.
// - Received datagrams are parsed in place; a malformed one is dropped and counted by its
//   PbParseError name in `drops`, never thrown.
// - A host crash closes the node's socket and cancels its timers (subclasses drop their
//   volatile state in onHostCrash); a restart binds the socket again (onHostRestart).

import type { EventHandler } from "../../engine/scheduler.js";
import type { Simulation } from "../../engine/simulation.js";
import type { AnyIpHost } from "../ip/ip-host.js";
import type { UdpMessage, UdpSocket } from "../ip/udp-layer.js";
import {
  PB_LEN,
  PB_PARSE_ERROR_NAMES,
  PbParseError,
  PbView,
  createPbRepr,
  emitPb,
  parsePbInto,
  type PbRepr,
} from "../../wire/primary-backup.js";

/** Datagrams a node's mailbox holds (push delivery: a listener reads each at arrival). */
const QUEUE_LIMIT = 64;

export abstract class PbNode implements EventHandler {
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  readonly host: AnyIpHost;
  readonly port: number;
  readonly drops: Record<string, number> = {};
  protected socket: UdpSocket | undefined;
  protected readonly tx: PbRepr = createPbRepr();
  protected readonly rx: PbRepr = createPbRepr();
  private readonly scratch: Uint8Array;
  private readonly view = new PbView(new Uint8Array(0));
  private readonly listener = (m: UdpMessage): void => this.input(m);
  /** Pending timer handles by kind - EV base (-1: none). */
  private readonly timers: number[] = [];
  private readonly unhook: (() => void)[] = [];
  private destroyed = false;

  constructor(sim: Simulation, host: AnyIpHost, service: string, port: number) {
    this.sim = sim;
    this.host = host;
    this.port = port;
    this.name = `${service}:${host.name.replace(/\.ip$/, "")}`;
    this.id = sim.register(this.name, this);
    this.scratch = sim.allocBytes(PB_LEN);
    this.unhook.push(host.onCrash(() => this.crash()));
    this.unhook.push(host.onRestart(() => this.restart()));
    this.bind();
  }

  abstract handleEvent(kind: number, a: number, b: number, len: number): void;
  /** A checked message from src:srcPort (this.rx holds it). */
  protected abstract onPb(m: UdpMessage): void;
  protected abstract onHostCrash(): void;
  protected abstract onHostRestart(): void;

  /** Sends this.tx to dst:port. */
  protected send(dst: number, port = this.port): void {
    const s = this.socket;
    if (s === undefined) return;
    emitPb(this.tx, this.scratch, 0);
    s.send(dst, port, this.scratch);
  }

  /** Arms timer `slot` (one pending event per slot) to fire `kind` after `delay` ns. */
  protected arm(slot: number, kind: number, delay: number): void {
    this.disarm(slot);
    this.timers[slot] = this.sim.scheduler.schedule(this.id, Math.max(0, delay), this.id, kind, 0, 0, 0);
  }

  protected disarm(slot: number): void {
    const h = this.timers[slot] ?? -1;
    if (h !== -1) this.sim.scheduler.cancel(h);
    this.timers[slot] = -1;
  }

  /** Timer `slot` fired: forget its handle (call first in handleEvent). */
  protected fired(slot: number): void {
    this.timers[slot] = -1;
  }

  protected drop(reason: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }

  /** Cancels timers, closes the socket, unhooks from the host. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (let i = 0; i < this.timers.length; i++) this.disarm(i);
    for (const u of this.unhook.splice(0)) u();
    this.socket?.close();
    this.socket = undefined;
  }

  private bind(): void {
    const s = this.host.bind(this.port, { queueLimit: QUEUE_LIMIT });
    s.onMessage(this.listener);
    this.socket = s;
  }

  private input(m: UdpMessage): void {
    const status = parsePbInto(this.view.wrap(m.bytes, m.offset, m.length), this.rx);
    if (status !== PbParseError.OK) return this.drop(PB_PARSE_ERROR_NAMES[status]!);
    this.onPb(m);
  }

  private crash(): void {
    if (this.destroyed) return;
    for (let i = 0; i < this.timers.length; i++) this.disarm(i);
    this.socket?.close();
    this.socket = undefined;
    this.onHostCrash();
  }

  private restart(): void {
    if (this.destroyed) return;
    this.bind();
    this.onHostRestart();
  }
}
