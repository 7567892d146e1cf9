// The PDU tap of an AtmNic: one observer of every PDU the NIC sends and delivers, for captures
// (LINKTYPE_SUNATM, src/run/atm-capture.ts).
//
// Contract:
// - Sent PDUs are reported when send() accepts them (with their macTx hit), before
//   segmentation; delivered PDUs when reassembled, from the reassembly buffer. Both as the
//   CPCS-PDU payload without pad and trailer.
// - Callers test `tap !== undefined` before hit(): an untapped NIC pays no call per PDU.

import type { Simulation } from "../engine/simulation.js";
import type { NicCircuits } from "./atm-nic-circuits.js";

/**
 * Sees every PDU the NIC sends (tx = true, at send(), before segmentation) and every PDU it
 * delivers (tx = false): bytes u8[ptr, ptr + length), the CPCS-PDU payload without pad and
 * trailer. It must not keep or change the bytes.
 */
export interface AtmPduTap {
  pdu(time: number, vpi: number, vci: number, u8: Uint8Array, ptr: number, length: number, tx: boolean): void;
}

export class PduTapPoint {
  tap: AtmPduTap | undefined;
  private readonly sim: Simulation;
  private readonly circuits: NicCircuits;

  constructor(sim: Simulation, circuits: NicCircuits) {
    this.sim = sim;
    this.circuits = circuits;
  }

  /** A PDU at u8[ptr, ptr + length) on the circuit with `header` (the tap is set). */
  hit(header: number, ptr: number, length: number, tx: boolean): void {
    const c = this.circuits;
    this.tap!.pdu(this.sim.now, c.vpiOf(header), c.vciOf(header), this.sim.runtime.u8, ptr, length, tx);
  }
}
