// The call table of a switch's signalling: one record per call through the switch, found from
// either side by (port, whose call reference, reference), and the resources a call holds: a
// VCI on each of its two links and, until its forward entry is installed, a promise of room in
// the VC table.
//
// Contract:
// - A call is known on its upstream port by the caller's reference and on its downstream port
//   by one this switch allocated (allocRef), so the two sides never collide.
// - VCIs come from the switched range firstVci .. firstVci + vcis - 1 of each port, round robin
//   from the last one given, skipping any the VC table uses on that port (e.g. PVCs).
// - Reservations: an accepted call's forward entry is installed only when downstream names its
//   VCI, so until then it is counted against the VC table (reservedEntries) and, for a call
//   from a host, against that host's circuit limit (reservedOn(port)).
// - Bounded by maxCalls (the caller checks isFull() before add()); nothing here throws.

import { SIG_MAX_CALL_REF } from "../wire/atm-signalling.js";
import type { AtmSwitch } from "./atm-switch.js";

export const SwitchCallState = { Proceeding: 0, Routed: 1, Active: 2 } as const;
export type SwitchCallState = (typeof SwitchCallState)[keyof typeof SwitchCallState];

export interface SwitchCall {
  /** Order of set-up (host failures release calls in this order). */
  serial: number;
  state: SwitchCallState;
  up: number;
  upRef: number;
  down: number;
  downRef: number;
  /** VCI the forward cells arrive on from upstream (allocated here). */
  fwdIn: number;
  /** VCI the forward cells leave with downstream (the downstream's; -1 until it says). */
  fwdOut: number;
  /** VCI the backward cells arrive on from downstream (allocated here). */
  bwdIn: number;
  /** VCI the backward cells leave with upstream (the upstream's). */
  bwdOut: number;
  /** Upstream is the calling host; downstream is the called host (the route ended here). */
  upUser: boolean;
  downUser: boolean;
}

/** A call reference's key on a port: whose it is (`mine`: this switch allocated it) and its value. */
export function callKey(port: number, mine: boolean, ref: number): number {
  return (port * 2 + (mine ? 1 : 0)) * (SIG_MAX_CALL_REF + 1) + ref;
}

export class SwitchCallTable {
  readonly maxCalls: number;
  readonly firstVci: number;
  readonly vcis: number;
  /** Calls held now, and the most held at once. */
  count = 0;
  highWater = 0;
  /** Switched-circuit VCIs allocated now (all ports). */
  vcisInUse = 0;
  /** Forward entries promised to accepted calls (they need room in the VC table). */
  reservedEntries = 0;
  private readonly sw: AtmSwitch;
  private readonly calls = new Map<number, SwitchCall>();
  private serial = 0;
  private nextRef = 1;
  /** Per port: accepted calls from the host there whose forward entry is not yet in the table. */
  private readonly reserved: Int32Array;
  private readonly vciUsed: (Uint8Array | undefined)[];
  private readonly vciCursor: Int32Array;
  /** References that must not be given out although no call holds them (a release pending). */
  refBusy: (key: number) => boolean = () => false;

  constructor(sw: AtmSwitch, firstVci: number, vcis: number, maxCalls: number) {
    const P = sw.ports.length;
    this.sw = sw;
    this.firstVci = firstVci;
    this.vcis = vcis;
    this.maxCalls = maxCalls;
    this.reserved = new Int32Array(P);
    this.vciUsed = new Array<Uint8Array | undefined>(P).fill(undefined);
    this.vciCursor = new Int32Array(P);
  }

  /** The call known on `port` by reference `ref`, ours (`mine`: we allocated it) or the peer's. */
  get(port: number, mine: boolean, ref: number): SwitchCall | undefined {
    return this.calls.get(callKey(port, mine, ref));
  }

  isFull(): boolean {
    return this.count >= this.maxCalls;
  }

  /**
   * Records a call accepted from upstream (up, upRef) towards `down`: allocates its downstream
   * reference and reserves its forward entry.
   */
  add(
    up: number,
    upRef: number,
    down: number,
    fwdIn: number,
    bwdIn: number,
    bwdOut: number,
    upUser: boolean,
    downUser: boolean,
  ): SwitchCall {
    const downRef = this.allocRef(down);
    const call: SwitchCall = {
      serial: this.serial++,
      state: SwitchCallState.Proceeding,
      up,
      upRef,
      down,
      downRef,
      fwdIn,
      fwdOut: -1,
      bwdIn,
      bwdOut,
      upUser,
      downUser,
    };
    this.calls.set(callKey(up, false, upRef), call);
    this.calls.set(callKey(down, true, downRef), call);
    this.count++;
    this.reservedEntries++;
    if (upUser) this.reserved[up]!++;
    if (this.count > this.highWater) this.highWater = this.count;
    return call;
  }

  /** Forgets the call (its VCIs and table entries are the caller's to free). */
  remove(call: SwitchCall): void {
    this.calls.delete(callKey(call.up, false, call.upRef));
    this.calls.delete(callKey(call.down, true, call.downRef));
    this.count--;
  }

  /** Accepted calls from the host on `port` whose forward entry is still only promised. */
  reservedOn(port: number): number {
    return this.reserved[port]!;
  }

  /** The call's forward entry is no longer only promised (installed, or never will be). */
  unreserve(call: SwitchCall): void {
    this.reservedEntries--;
    if (call.upUser) this.reserved[call.up]!--;
  }

  /** Every call, in set-up order. */
  all(): SwitchCall[] {
    return [...new Set(this.calls.values())].sort((a, b) => a.serial - b.serial);
  }

  /** The calls through `port` (up or down), in set-up order. */
  callsOnPort(port: number): SwitchCall[] {
    return this.all().filter((c) => c.up === port || c.down === port);
  }

  /** The calls with the host on `port` as an end, in set-up order. */
  callsOfHost(port: number): SwitchCall[] {
    const victims = new Set<SwitchCall>();
    for (const c of this.calls.values())
      if ((c.upUser && c.up === port) || (c.downUser && c.down === port)) victims.add(c);
    return [...victims].sort((a, b) => a.serial - b.serial);
  }

  /** A free VCI on `port` from the switched range (skipping any the table uses), or -1. */
  allocVci(port: number): number {
    const used = (this.vciUsed[port] ??= new Uint8Array(this.vcis));
    const table = this.sw.vcTable;
    const start = this.vciCursor[port]!;
    for (let k = 0; k < this.vcis; k++) {
      const i = (start + k) % this.vcis;
      if (used[i] === 1 || table.lookup(port, 0, this.firstVci + i) !== undefined) continue;
      used[i] = 1;
      this.vciCursor[port] = (i + 1) % this.vcis;
      this.vcisInUse++;
      return this.firstVci + i;
    }
    return -1;
  }

  freeVci(port: number, vci: number): void {
    const used = this.vciUsed[port];
    const i = vci - this.firstVci;
    if (used === undefined || i < 0 || i >= this.vcis || used[i] === 0) return;
    used[i] = 0;
    this.vcisInUse--;
  }

  /** A call reference for a SETUP we send on `port`, unused there. */
  private allocRef(port: number): number {
    for (;;) {
      const ref = this.nextRef;
      this.nextRef = ref === SIG_MAX_CALL_REF ? 1 : ref + 1;
      const key = callKey(port, true, ref);
      if (!this.calls.has(key) && !this.refBusy(key)) return ref;
    }
  }
}
