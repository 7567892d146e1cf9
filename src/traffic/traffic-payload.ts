// The payload of a UDP traffic datagram: +0 flow id (u32 BE), +4 sequence number (u32 BE, per
// flow, from 0, wrapping), then zeros. Zeros because they cost nothing to produce (one buffer
// per flow, zero-filled once; only the 8 header bytes are written per datagram) and they still
// travel as real bytes through the UDP checksum. A response of request-response carries the
// flow id and the sequence number of the request it answers.

/** Payload header: flow id (u32 BE) at 0, sequence number (u32 BE) at 4. */
export const TRAFFIC_HEADER_LEN = 8;

// Own copies rather than wire/byte-view's: their type feedback then comes from the traffic's
// per-datagram call sites alone.

export function readU32(p: Uint8Array, at: number): number {
  return ((p[at]! << 24) | (p[at + 1]! << 16) | (p[at + 2]! << 8) | p[at + 3]!) >>> 0;
}

export function writeU32(p: Uint8Array, at: number, v: number): void {
  p[at] = (v >>> 24) & 0xff;
  p[at + 1] = (v >>> 16) & 0xff;
  p[at + 2] = (v >>> 8) & 0xff;
  p[at + 3] = v & 0xff;
}
