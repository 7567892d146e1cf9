// LinkBottom: what a host stack sees of its NIC, whatever the medium: PDUs to and from peers on
// numbered circuits. Stacks above it (the accelerator, U-Net, Active Messages) never ask which
// medium they run on; the medium is chosen once, where the bottom is made (openLinkBottom).
//
// Contract:
// - Circuits: the caller numbers them (0 .. circuits - 1) and opens each with a spec: an ATM
//   VC, an Ethernet peer MAC (with U-Net channel tags when the NIC firmware demultiplexes).
// - Send: the caller reserves `headroom` in front of a PDU of minPdu .. maxPdu bytes;
//   pushHeader(frame, c) writes the link header there, send(c, frame) hands the frame to the
//   NIC (ownership passes, as the NIC's own send). txBusyUntil() is when the NIC has finished
//   reading what it was given (now on Ethernet: the NIC copies a frame when it takes it).
// - Receive, in two steps. At the NIC, receiver.onPdu(circuit, ptr, length, handle) reports a
//   PDU at u8[ptr, ptr + length) in the NIC buffer `handle`; circuit NO_CIRCUIT when the NIC
//   could not place it on one of this bottom's circuits. True = the receiver keeps the buffer
//   (freeBuffer(handle) later); false = the bottom gives it back at once. In a CPU job, a host
//   stack turns a kept buffer into a frame of its own with takeFrame(handle, length).
// - Hot paths (onPdu, pushHeader, send, takeFrame) never throw and allocate nothing; setup
//   misuse (openCircuit) throws NetloomError naming the path.
// Not handled: group addresses and broadcast circuits, several bottoms on one NIC.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import type { AtmNic } from "../../devices/atm-nic.js";
import type { EthernetNic } from "../../devices/nic.js";
import type { Simulation } from "../../engine/simulation.js";
import { isGroupMac, macFromString } from "../../wire/ethernet.js";

export type LinkMedium = "atm" | "ethernet";
export type LinkNic = AtmNic | EthernetNic;

/** The circuit of a PDU the NIC could not place on any of the bottom's circuits. */
export const NO_CIRCUIT = -1;

/** Why takeFrame gave no frame (the NIC buffer went back in every case). */
export const LinkTake = {
  /** No free frame slot. */
  NO_SLOT: -1,
  /** The PDU is larger than a frame slot. */
  TOO_LONG: -2,
  /** The link header is not this bottom's (Ethernet: short, or another EtherType). */
  FOREIGN: -3,
} as const;

/**
 * A circuit's address: an ATM VC (opened by the bottom and closed with the circuit), or an
 * Ethernet peer MAC, with the U-Net channel tags on a bottom whose firmware demultiplexes.
 */
export type LinkCircuitSpec =
  | { vpi?: number; vci: number }
  | { mac: number | string; tag: number; remoteTag: number }
  | { mac: number | string };

export interface LinkReceiver {
  /** A PDU arrived (see the contract). True = keep the buffer `handle`. */
  onPdu(circuit: number, ptr: number, length: number, handle: number): boolean;
}

export interface LinkBottomStats {
  medium: LinkMedium;
  /** Frames of another EtherType, dropped by the NIC firmware. */
  foreign: number;
  /** Frames whose channel header was truncated or of another version. */
  badHeader: number;
  /** Cells the NIC dropped for a circuit it never opened (ATM). */
  nicUnknownCircuitCells: number;
  /** Bytes takeFrame copied out of NIC memory into frame slots: the emulator's copy (ATM). */
  rxCopyBytes: number;
}

export interface LinkBottom {
  /** For reports and wire identification fields; never a reason to branch. */
  readonly medium: LinkMedium;
  readonly nic: LinkNic;
  readonly sim: Simulation;
  /** Bytes pushHeader writes in front of a PDU. */
  readonly headroom: number;
  readonly maxPdu: number;
  /** Smallest PDU the NIC sends (ATM 1: AAL5 carries no empty PDU). */
  readonly minPdu: number;
  /** Received PDU lengths are exact (AAL5), not padded up (Ethernet pads to 60 bytes). */
  readonly exactLength: boolean;

  openCircuit(c: number, spec: LinkCircuitSpec, path: string): void;
  closeCircuit(c: number): void;
  /**
   * The 6-byte link addresses of circuit `c`'s ends: Ethernet our MAC and the peer's; ATM
   * 0, 0, VPI, VCI of our end and zeros for the far end (its label is not known here).
   */
  circuitAddresses(c: number, local: Uint8Array, peer: Uint8Array): void;
  /** True when a peer claiming link address `bytes` may be circuit `c`'s far end. */
  isPeerAddress(c: number, bytes: Uint8Array): boolean;

  pushHeader(frame: number, c: number): void;
  send(c: number, frame: number): boolean;
  txBusyUntil(): number;
  /** Virtual ns until the NIC can take a `length`-byte PDU without refusing it (0 = now). */
  txDelay(length: number): number;

  attach(receiver: LinkReceiver): void;
  /** Gives the NIC its default receiver back. */
  detach(): void;
  /** A frame holding exactly the PDU, owned by the caller; or a LinkTake code. */
  takeFrame(handle: number, length: number): number;
  freeBuffer(handle: number): void;
  /** During onPdu: the birth tag of the sender's frame (emulator metadata, for latency). */
  rxBirth(handle: number): number;
  stats(): LinkBottomStats;
}

export function checkEtherType(et: number, path: string): number {
  if (!Number.isInteger(et) || et < 0x0600 || et > 0xffff) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(et)} is not an EtherType (0x0600 to 0xffff)`, {
      path,
    });
  }
  return et;
}

/** `value` (a number or "02:00:00:00:00:01") as a unicast MAC; throws naming `path` otherwise. */
export function checkUnicastMac(value: number | string, path: string): number {
  const mac = typeof value === "string" ? macFromString(value, path) : value;
  if (!Number.isInteger(mac) || mac < 0 || mac >= 2 ** 48 || isGroupMac(mac)) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(value)} is not a unicast MAC address`, { path });
  }
  return mac;
}
