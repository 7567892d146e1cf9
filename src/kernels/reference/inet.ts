// Plain-TypeScript twin of assembly/checksum/inet.ts: the Internet checksum (RFC 1071) and its
// incremental update (RFC 1624), written for clarity. Oracle of the differential tests and the
// baseline of bench/checksum.bench.ts.
//
// A partial sum is the one's-complement sum of the bytes read as big-endian 16-bit words, folded
// into [0, 0xffff] (0 only when all words are zero). An odd last byte is the high-order byte of
// a final word padded with zero.

/** Folds a non-negative integer sum of 16-bit words into [0, 0xffff] (end-around carry). */
export function foldSum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

/** One's-complement partial sum of `bytes` (as if they start at an even offset), plus `initial`. */
export function internetSum(bytes: Uint8Array, initial = 0): number {
  let sum = initial & 0xffff;
  const even = bytes.length & ~1;
  for (let i = 0; i < even; i += 2) {
    sum += (bytes[i]! << 8) | bytes[i + 1]!;
    // Fold now and then so the number stays an exact integer for any length.
    if (sum > 0x3fffffff) sum = foldSum(sum);
  }
  if (even !== bytes.length) sum += bytes[even]! << 8;
  return foldSum(sum);
}

/** The value written into an IPv4/UDP/TCP checksum field. */
export function internetChecksum(bytes: Uint8Array, initial = 0): number {
  return ~internetSum(bytes, initial) & 0xffff;
}

/** Swaps the two bytes of a 16-bit partial sum (RFC 1071 section 2(B)). */
export function swapSum(sum: number): number {
  return ((sum >>> 8) | (sum << 8)) & 0xffff;
}

/** Partial a plus partial b, where b's bytes start `offsetB` bytes into the whole. */
export function combineInternetSums(a: number, b: number, offsetB: number): number {
  return foldSum((a & 0xffff) + (offsetB % 2 === 1 ? swapSum(b) : b & 0xffff));
}

/** The complement of a partial sum: what goes into the header. */
export function finishInternetChecksum(sum: number): number {
  return ~sum & 0xffff;
}

/**
 * Partial sum of the IPv4 pseudo-header of UDP and TCP (RFC 768, RFC 793): source and
 * destination address (as unsigned 32-bit numbers, a.b.c.d = a<<24 | b<<16 | c<<8 | d), zero,
 * protocol, and the UDP/TCP length.
 */
export function ipv4PseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return foldSum(
    ((src >>> 16) & 0xffff) +
      (src & 0xffff) +
      ((dst >>> 16) & 0xffff) +
      (dst & 0xffff) +
      (protocol & 0xff) +
      (length & 0xffff),
  );
}

/** RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one 16-bit word changing from m to m'. */
export function updateInternetChecksum(checksum: number, oldWord: number, newWord: number): number {
  return ~foldSum((~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff)) & 0xffff;
}
