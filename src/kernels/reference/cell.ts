// Plain-TypeScript ATM cell helpers (ITU-T I.361 UNI header, I.432.1 HEC): the twin of
// assembly/atm/cell.ts and the HEC used by the AAL5 reference.
//
// Contract: pure functions over numbers and bytes; written for clarity, not speed. The
// header word is the first four header octets read big-endian:
//   bits 31..28 GFC | 27..20 VPI | 19..4 VCI | 3..1 PTI | 0 CLP

export const CELL_BYTES = 53;
export const CELL_HEADER_BYTES = 5;
export const CELL_PAYLOAD_BYTES = 48;
/** PTI bit 0x1 (ATM-user-to-ATM-user indication) in the header word: AAL5 end of PDU. */
export const HDR_END_OF_PDU = 0x2;

export interface CellHeaderFields {
  gfc?: number;
  vpi: number;
  vci: number;
  pti?: number;
  clp?: number;
}

/** Packs UNI header fields (assumed in range) into the big-endian header word. */
export function packCellHeader(h: CellHeaderFields): number {
  return (((h.gfc ?? 0) << 28) | (h.vpi << 20) | (h.vci << 4) | ((h.pti ?? 0) << 1) | (h.clp ?? 0)) >>> 0;
}

export function unpackCellHeader(word: number): Required<CellHeaderFields> {
  return {
    gfc: word >>> 28,
    vpi: (word >>> 20) & 0xff,
    vci: (word >>> 4) & 0xffff,
    pti: (word >>> 1) & 0x7,
    clp: word & 1,
  };
}

/** HEC of a header word: CRC-8, generator x^8 + x^2 + x + 1, XOR the coset 0x55 (I.432.1 7.3.2). */
export function hecOfHeader(word: number): number {
  let crc = 0;
  for (let shift = 24; shift >= 0; shift -= 8) {
    crc ^= (word >>> shift) & 0xff;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
    }
  }
  return crc ^ 0x55;
}
