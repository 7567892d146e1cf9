// Plain-TypeScript twin of assembly/checksum/crc32.ts: the two CRC-32s, a byte at a time.
// Oracle of the differential tests and the baseline of bench/checksum.bench.ts.
//
// Both functions take and return the finished CRC (start with 0), so they continue across
// chunks like zlib's crc32(data, previous).

function makeTable(reflected: boolean): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = reflected ? n : n << 24;
    for (let k = 0; k < 8; k++) {
      if (reflected) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      else c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    }
    t[n] = c >>> 0;
  }
  return t;
}

const REFLECTED = makeTable(true);
const MSB = makeTable(false);

/** Ethernet FCS / zlib CRC-32 (poly 0x04C11DB7 reflected, init and final XOR 0xFFFFFFFF). */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let c = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) c = REFLECTED[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** AAL5 CRC-32 (ITU-T I.363.5: poly 0x04C11DB7 MSB-first, init and final XOR 0xFFFFFFFF). */
export function crc32Aal5(bytes: Uint8Array, previous = 0): number {
  let c = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) c = (MSB[((c >>> 24) ^ bytes[i]!) & 0xff]! ^ (c << 8)) >>> 0;
  return ~c >>> 0;
}

/** Ethernet CRC-32 continued over n zero bytes (byte by byte: the oracle of the O(log n) form). */
export function crc32ZeroRun(crc: number, n: number): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < n; i++) c = REFLECTED[c & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** AAL5 CRC-32 continued over n zero bytes. */
export function crc32Aal5ZeroRun(crc: number, n: number): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < n; i++) c = (MSB[(c >>> 24) & 0xff]! ^ (c << 8)) >>> 0;
  return ~c >>> 0;
}
