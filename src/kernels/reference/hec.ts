// Plain-TypeScript twin of assembly/checksum/hec.ts: ATM HEC (ITU-T I.432.1 section 7.3.2)
// computed bit by bit, and the receiver's correction/detection modes with correction found by
// trying every single-bit flip (no syndrome table: an independent oracle).

export const HEC_MODE_CORRECTION = 0;
export const HEC_MODE_DETECTION = 1;

export const HecStatus = {
  /** The header was valid. */
  VALID: 0,
  /** A single-bit error was corrected in place. */
  CORRECTED: 1,
  /** The header was errored and must be discarded. */
  DISCARDED: 2,
  /** Batch only: the entry is shorter than a 5-octet header (discarded, mode unchanged). */
  TOO_SHORT: 3,
} as const;
export type HecStatus = (typeof HecStatus)[keyof typeof HecStatus];

/** CRC-8 x^8+x^2+x+1 of the first four octets, XOR 0x55. */
export function atmHec(header: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < 4; i++) {
    c ^= header[i]!;
    for (let k = 0; k < 8; k++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
  }
  return c ^ 0x55;
}

/**
 * Checks the 5-octet header (4 octets + HEC) under the receiver mode `state.mode`, correcting a
 * single-bit error in place when in correction mode; updates the mode (I.432.1 figure 13).
 */
export function hecCheck(header: Uint8Array, state: { mode: number }): HecStatus {
  if (atmHec(header) === header[4]) {
    state.mode = HEC_MODE_CORRECTION;
    return HecStatus.VALID;
  }
  const wasCorrecting = state.mode === HEC_MODE_CORRECTION;
  state.mode = HEC_MODE_DETECTION;
  if (!wasCorrecting) return HecStatus.DISCARDED;
  for (let bit = 0; bit < 40; bit++) {
    const trial = header.slice(0, 5);
    trial[bit >> 3]! ^= 0x80 >> (bit & 7);
    if (atmHec(trial) === trial[4]) {
      header[bit >> 3]! ^= 0x80 >> (bit & 7);
      return HecStatus.CORRECTED;
    }
  }
  return HecStatus.DISCARDED;
}
