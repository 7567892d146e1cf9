// AtmLinkBottom: the LinkBottom of an AtmNic. A PDU is one AAL5 CPCS-PDU (1 .. maxPdu bytes)
// on a virtual circuit, with no header of its own: the VC names the peer.
//
// Contract:
// - Circuits are VCs: openCircuit({vpi, vci}) opens one on the NIC (closed with the circuit);
//   adoptVc() takes one the caller opened (left open). The NIC demultiplexes cells by VPI/VCI
//   in hardware: a PDU on a VC that is none of the bottom's circuits comes up on NO_CIRCUIT.
// - Receive is zero-copy into the NIC's reassembly buffer (handle = its address); takeFrame()
//   copies the PDU into a frame slot (the emulator's copy: counted rxCopyBytes, not charged)
//   and returns the buffer. rxBirth() is the birth tag of the cell train that ended the PDU.
// - Cell tax: a PDU costs ceil((length + 8) / 48) cells; txDelay() is the wait until the
//   transmit backlog has room for them, txBusyUntil() when the last queued cell has left.
// Not handled: signalling (circuits are PVCs or opened by the caller), point-to-multipoint.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { type FrameStore, NO_FRAME } from "../../buf/frames.js";
import type { AtmNic } from "../../devices/atm-nic.js";
import type { Simulation } from "../../engine/simulation.js";
import { aal5CellCount } from "../../kernels/aal5.js";
import {
  type LinkBottom,
  type LinkBottomStats,
  type LinkCircuitSpec,
  type LinkReceiver,
  LinkTake,
  NO_CIRCUIT,
} from "./link-bottom.js";

export class AtmLinkBottom implements LinkBottom {
  readonly medium = "atm" as const;
  readonly nic: AtmNic;
  readonly sim: Simulation;
  readonly headroom = 0;
  readonly maxPdu: number;
  readonly minPdu = 1;
  readonly exactLength = true;
  private readonly frames: FrameStore;
  private readonly circuitVc: Int32Array;
  /** 1: the bottom opened the circuit's VC and closes it. */
  private readonly owned: Uint8Array;
  /** NIC circuit index -> circuit. */
  private readonly vcCircuit: Int32Array;
  private rxCopyBytes = 0;

  constructor(nic: AtmNic, circuits: number) {
    this.nic = nic;
    this.sim = nic.sim;
    this.frames = nic.sim.frames;
    this.maxPdu = nic.maxPdu;
    this.circuitVc = new Int32Array(circuits).fill(-1);
    this.owned = new Uint8Array(circuits);
    this.vcCircuit = new Int32Array(nic.maxVcs).fill(NO_CIRCUIT);
  }

  // --- circuits (setup: may throw) ---

  openCircuit(c: number, spec: LinkCircuitSpec, path: string): void {
    if (!("vci" in spec))
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "an ATM channel needs a vci (and vpi)", { path });
    // openVc checks the ranges and refuses a VC already open: the same VCI cannot name two circuits.
    const vc = this.nic.openVc(spec.vpi ?? 0, spec.vci);
    this.circuitVc[c] = vc;
    this.vcCircuit[vc] = c;
    this.owned[c] = 1;
  }

  /** Puts `vc`, a circuit the caller opened on the NIC, on circuit `c`. */
  adoptVc(c: number, vc: number, path: string): void {
    const nic = this.nic;
    if (
      !Number.isInteger(vc) ||
      vc < 0 ||
      vc >= nic.maxVcs ||
      nic.vcOf(nic.vcAddress(vc).vpi, nic.vcAddress(vc).vci) !== vc
    ) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(vc)} is not an open circuit of ${nic.name}`, {
        path,
      });
    }
    this.circuitVc[c] = vc;
    this.vcCircuit[vc] = c;
    this.owned[c] = 0;
  }

  closeCircuit(c: number): void {
    const vc = this.circuitVc[c]!;
    if (vc < 0) return;
    this.vcCircuit[vc] = NO_CIRCUIT;
    if (this.owned[c] === 1) this.nic.closeVc(vc);
    this.circuitVc[c] = -1;
  }

  circuitAddresses(c: number, local: Uint8Array, peer: Uint8Array): void {
    const { vpi, vci } = this.nic.vcAddress(this.circuitVc[c]!);
    local.set([0, 0, vpi >>> 8, vpi & 0xff, vci >>> 8, vci & 0xff]);
    peer.fill(0);
  }

  /** Only the circuit's far end can send on it. */
  isPeerAddress(_c: number, _bytes: Uint8Array): boolean {
    return true;
  }

  // --- send ---

  pushHeader(_frame: number, _c: number): void {}

  send(c: number, frame: number): boolean {
    return this.nic.send(this.circuitVc[c]!, frame);
  }

  txBusyUntil(): number {
    return this.nic.txBusyUntil();
  }

  txDelay(length: number): number {
    const nic = this.nic;
    const clock = nic.cellClock;
    if (clock === undefined) return 0;
    const excess = nic.txBacklog() + aal5CellCount(length) - nic.txQueueLimit;
    return excess <= 0 ? 0 : Math.ceil((excess * clock.num) / clock.den);
  }

  // --- receive (hot path: never throws) ---

  attach(receiver: LinkReceiver): void {
    const vcCircuit = this.vcCircuit;
    this.nic.setReceiver({
      deliver: (vc, ptr, length) =>
        receiver.onPdu(vc < vcCircuit.length ? vcCircuit[vc]! : NO_CIRCUIT, ptr, length, ptr),
    });
  }

  detach(): void {
    this.nic.setReceiver(undefined);
  }

  /** A copy of the PDU in a new frame slot; the reassembly buffer goes back in every case. */
  takeFrame(handle: number, length: number): number {
    const frames = this.frames;
    const nic = this.nic;
    if (length > frames.pool.slotBytes) {
      nic.returnBuffer(handle);
      return LinkTake.TOO_LONG;
    }
    const f = frames.alloc(0, this.sim.now);
    if (f === NO_FRAME) {
      nic.returnBuffer(handle);
      return LinkTake.NO_SLOT;
    }
    this.sim.runtime.copy(frames.offset(f), handle, length);
    frames.setLength(f, length);
    this.rxCopyBytes += length;
    nic.returnBuffer(handle);
    return f;
  }

  freeBuffer(handle: number): void {
    this.nic.returnBuffer(handle);
  }

  rxBirth(_handle: number): number {
    const train = this.nic.rxTrain;
    return train === NO_FRAME ? this.sim.now : this.frames.birth[train]!;
  }

  stats(): LinkBottomStats {
    return {
      medium: this.medium,
      foreign: 0,
      badHeader: 0,
      nicUnknownCircuitCells: this.nic.stats().unknownVc,
      rxCopyBytes: this.rxCopyBytes,
    };
  }
}
