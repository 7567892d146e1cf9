// AssemblyTable: the messages of several fragments an endpoint is collecting (Birman Fig 4-5):
// no ack per fragment; a NAK names the missing ones when the burst's last fragment arrives with
// gaps or the burst goes quiet; the owner acts once the message is whole.
//
// Contract:
// - One message per client id at a time (calls of a client are sequential): a fragment of
//   another call of that client replaces the one being collected (counted `superseded`).
// - add() copies a fragment's data in and returns the slot when the message became complete
//   (the owner reads it with get() and then release()s it), else -1. Fragments that repeat one
//   already held are counted `duplicateFragments`; fragments disagreeing with the message's
//   count or length are dropped (`inconsistent`).
// - NAK timer: an event of the owner (kind given, a = slot, b = the slot's generation, so a stale
//   timer is ignored) nakDelayNs after the latest fragment. With fragments missing it sends a
//   NAK and waits again; after nakLimit NAKs without completion the message is dropped
//   (`abandoned`): the sender's own retransmission starts it over.
// - Bounded: `slots` messages and `maxBytes` bytes of message data at once; a fragment that
//   would start a message beyond either is dropped (`full`). clear() forgets everything (a
//   crash) and cancels the timers.
// - A message allocates its buffer and bitmap when it starts (per message, not per fragment).

import type { Simulation } from "../../engine/simulation.js";
import { nakBitmapLength, RpcUdpType, type RpcUdpRepr } from "../../wire/rpc-udp.js";
import type { PacketIo } from "./packet-io.js";

export interface AssemblyOptions {
  slots: number;
  maxBytes: number;
  nakDelayNs: number;
  nakLimit: number;
}

export interface AssemblyCounters {
  started: number;
  completed: number;
  duplicateFragments: number;
  inconsistent: number;
  superseded: number;
  abandoned: number;
  full: number;
}

export class Assembly {
  type = 0;
  status = 0;
  operation = 0;
  clientId = 0;
  clientIncarnation = 0;
  serverIncarnation = 0;
  sequence = 0;
  peer = 0;
  peerPort = 0;
  count = 0;
  length = 0;
  got = 0;
  /** Bit set = fragment received (same bit order as a NAK bitmap). */
  received: Uint8Array = new Uint8Array(0);
  data: Uint8Array = new Uint8Array(0);
  lastArrival = 0;
  naks = 0;
  timer = -1;
  gen = 0;
  inUse = false;

  sameCall(r: RpcUdpRepr): boolean {
    return (
      this.type === r.type &&
      this.clientIncarnation === r.clientIncarnation &&
      this.sequence === r.sequence &&
      this.serverIncarnation === r.serverIncarnation
    );
  }
}

export class AssemblyTable {
  readonly counters: AssemblyCounters = {
    started: 0,
    completed: 0,
    duplicateFragments: 0,
    inconsistent: 0,
    superseded: 0,
    abandoned: 0,
    full: 0,
  };
  private readonly sim: Simulation;
  private readonly owner: number;
  private readonly kind: number;
  private readonly io: PacketIo;
  private readonly o: AssemblyOptions;
  private readonly slots: Assembly[];
  private readonly byClient = new Map<number, number>();
  private bytes = 0;

  constructor(sim: Simulation, owner: number, timerKind: number, io: PacketIo, options: AssemblyOptions) {
    this.sim = sim;
    this.owner = owner;
    this.kind = timerKind;
    this.io = io;
    this.o = options;
    this.slots = Array.from({ length: options.slots }, () => new Assembly());
  }

  get active(): number {
    return this.byClient.size;
  }

  get(slot: number): Assembly {
    return this.slots[slot]!;
  }

  /** A fragment of a message of several; returns the slot once the message is whole, else -1. */
  add(r: RpcUdpRepr, bytes: Uint8Array, dataOff: number, src: number, srcPort: number): number {
    let slot = this.byClient.get(r.clientId);
    let a = slot === undefined ? undefined : this.slots[slot]!;
    if (a !== undefined && !a.sameCall(r)) {
      this.counters.superseded++;
      this.release(slot!);
      a = undefined;
    }
    if (a === undefined) {
      slot = this.start(r, src, srcPort);
      if (slot < 0) return -1;
      a = this.slots[slot]!;
    }
    if (r.fragmentCount !== a.count || r.messageLength !== a.length) {
      this.counters.inconsistent++;
      return -1;
    }
    const i = r.fragmentIndex;
    const bit = 0x80 >>> (i & 7);
    if ((a.received[i >>> 3]! & bit) !== 0) {
      this.counters.duplicateFragments++;
      return -1;
    }
    a.received[i >>> 3] = a.received[i >>> 3]! | bit;
    a.got++;
    a.lastArrival = this.sim.now;
    const d = a.data;
    const at = r.fragmentOffset;
    for (let k = 0; k < r.dataLength; k++) d[at + k] = bytes[dataOff + k]!;
    if (a.got === a.count) {
      this.counters.completed++;
      this.stopTimer(a);
      return slot!;
    }
    // The burst's last fragment came with gaps: ask for the missing ones at once.
    if (i === a.count - 1) this.nak(a);
    return -1;
  }

  /** The owner's NAK timer event. */
  onTimer(slot: number, gen: number): void {
    const a = this.slots[slot];
    if (a === undefined || !a.inUse || a.gen !== gen) return;
    a.timer = -1;
    const quietAt = a.lastArrival + this.o.nakDelayNs;
    if (quietAt > this.sim.now) {
      this.arm(slot, quietAt - this.sim.now);
      return;
    }
    if (a.naks >= this.o.nakLimit) {
      this.counters.abandoned++;
      this.release(slot);
      return;
    }
    this.nak(a);
    this.arm(slot, this.o.nakDelayNs);
  }

  release(slot: number): void {
    const a = this.slots[slot]!;
    if (!a.inUse) return;
    this.stopTimer(a);
    a.inUse = false;
    a.gen = (a.gen + 1) | 0;
    this.bytes -= a.length;
    a.data = new Uint8Array(0);
    if (this.byClient.get(a.clientId) === slot) this.byClient.delete(a.clientId);
  }

  /** Forgets every message (a crash); timers are cancelled. */
  clear(): void {
    for (let s = 0; s < this.slots.length; s++) this.release(s);
  }

  private start(r: RpcUdpRepr, src: number, srcPort: number): number {
    let slot = -1;
    for (let s = 0; s < this.slots.length; s++) {
      if (!this.slots[s]!.inUse) {
        slot = s;
        break;
      }
    }
    if (slot < 0 || this.bytes + r.messageLength > this.o.maxBytes) {
      this.counters.full++;
      return -1;
    }
    const a = this.slots[slot]!;
    a.inUse = true;
    a.type = r.type;
    a.status = r.status;
    a.operation = r.operation;
    a.clientId = r.clientId;
    a.clientIncarnation = r.clientIncarnation;
    a.serverIncarnation = r.serverIncarnation;
    a.sequence = r.sequence;
    a.peer = src;
    a.peerPort = srcPort;
    a.count = r.fragmentCount;
    a.length = r.messageLength;
    a.got = 0;
    a.naks = 0;
    a.received = new Uint8Array(nakBitmapLength(a.count));
    a.data = new Uint8Array(a.length);
    this.bytes += a.length;
    this.byClient.set(r.clientId, slot);
    this.counters.started++;
    this.arm(slot, this.o.nakDelayNs);
    return slot;
  }

  private nak(a: Assembly): void {
    a.naks++;
    const tx = this.io.tx;
    tx.status = 0;
    tx.operation = a.operation;
    tx.clientId = a.clientId;
    tx.clientIncarnation = a.clientIncarnation;
    tx.serverIncarnation = a.serverIncarnation;
    tx.sequence = a.sequence;
    this.io.sendNak(a.peer, a.peerPort, a.count, a.length, a.received);
  }

  private arm(slot: number, delay: number): void {
    const a = this.slots[slot]!;
    a.timer = this.sim.scheduler.schedule(this.owner, delay, this.owner, this.kind, slot, a.gen, 0);
  }

  private stopTimer(a: Assembly): void {
    if (a.timer >= 0) this.sim.scheduler.cancel(a.timer);
    a.timer = -1;
  }
}

/** True for the message types an AssemblyTable collects. */
export function isMessage(type: number): boolean {
  return type === RpcUdpType.REQUEST || type === RpcUdpType.REPLY;
}
