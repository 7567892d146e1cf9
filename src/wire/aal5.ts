// AAL5 CPCS-PDU trailer (ITU-T I.363.5 section 10.3): the last 8 bytes of the last cell.
//
// Contract:
// - Aal5TrailerView is a reusable view over the 8 trailer bytes at (bytes, offset): getters and
//   setters only, no copies; wrap() re-points it. checkLength() is the checked entry.
// - Segmentation and reassembly (pad, CRC over the whole CPCS-PDU, per-circuit state) are the
//   Wasm kernels' job (src/kernels/aal5.ts); this module only names the fields, for tests,
//   captures and tools, and offers aal5TrailerOffset() to find the trailer in a CPCS-PDU.
//
//   CPCS-PDU:  | payload (1..65535) | pad (0..47) | UU | CPI | Length (2) | CRC-32 (4) |
//   The CRC (MSB-first, check value 0xFC891918) covers everything before it.

import { ByteView, readU16, readU32, writeU16, writeU32 } from "./byte-view.js";

export const AAL5_TRAILER_LEN = 8;
export const AAL5_MAX_PDU = 65535;
/** Check value of the AAL5 CRC-32 over "123456789". */
export const AAL5_CRC_CHECK = 0xfc891918;

export class Aal5TrailerView extends ByteView {
  checkLength(): boolean {
    return this.length >= AAL5_TRAILER_LEN && this.offset + AAL5_TRAILER_LEN <= this.bytes.length;
  }
  /** CPCS user-to-user indication. */
  get uu(): number {
    return this.bytes[this.offset]!;
  }
  set uu(value: number) {
    this.bytes[this.offset] = value;
  }
  /** Common part indicator (0). */
  get cpi(): number {
    return this.bytes[this.offset + 1]!;
  }
  set cpi(value: number) {
    this.bytes[this.offset + 1] = value;
  }
  /** Payload length in bytes; 0 means abort. */
  get pduLength(): number {
    return readU16(this.bytes, this.offset + 2);
  }
  set pduLength(value: number) {
    writeU16(this.bytes, this.offset + 2, value);
  }
  get crc(): number {
    return readU32(this.bytes, this.offset + 4);
  }
  set crc(value: number) {
    writeU32(this.bytes, this.offset + 4, value);
  }
}

/** Pad bytes between a `payloadLength`-byte payload and the trailer. */
export function aal5PadLength(payloadLength: number): number {
  return (48 - ((payloadLength + AAL5_TRAILER_LEN) % 48)) % 48;
}

/** Offset of the trailer in a CPCS-PDU whose payload is `payloadLength` bytes. */
export function aal5TrailerOffset(payloadLength: number): number {
  return payloadLength + aal5PadLength(payloadLength);
}
