// Deterministic stream pattern for bulk transfers: byte k of a generated stream is
// patternByte(k), so a sender writes N bytes without building JS arrays and a receiver checks
// every byte (and its position) without a copy of what was sent.
//
// Contract:
// - The pattern is a fixed pseudo-random sequence of PATTERN_PERIOD bytes (a prime, so it never
//   lines up with segment sizes or powers of two), repeated. A byte delivered at the wrong
//   stream offset is caught unless the offset error is a multiple of the period (65,521 bytes);
//   tests that need more than that hash real random data instead.
// - PATTERN_TABLE holds the period plus PATTERN_SLACK extra bytes, so any run of up to
//   PATTERN_SLACK bytes starting anywhere is one contiguous copy (no per-byte work).
// - PatternChecker.update() compares a delivered chunk and counts mismatches; it allocates nothing.

export const PATTERN_PERIOD = 65_521;
export const PATTERN_SLACK = 65_536;

/** The pattern, period + slack bytes (xorshift32 from a fixed seed: the same in every process). */
export const PATTERN_TABLE: Uint8Array = (() => {
  const t = new Uint8Array(PATTERN_PERIOD + PATTERN_SLACK);
  let x = 0x9e37_79b9;
  for (let i = 0; i < PATTERN_PERIOD; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    t[i] = x >>> 24;
  }
  // Byte by byte: the slack is longer than the period, so it repeats itself (a single
  // copyWithin would copy not-yet-written bytes).
  for (let i = PATTERN_PERIOD; i < t.length; i++) t[i] = t[i - PATTERN_PERIOD]!;
  return t;
})();

/** Byte `offset` of the generated stream. */
export function patternByte(offset: number): number {
  return PATTERN_TABLE[offset % PATTERN_PERIOD]!;
}

const PATTERN_BUFFER = Buffer.from(PATTERN_TABLE.buffer, PATTERN_TABLE.byteOffset, PATTERN_TABLE.length);

/**
 * Checks a delivered stream against the pattern, chunk by chunk: one memcmp (Buffer.compare)
 * per run of up to PATTERN_SLACK bytes, a byte loop only to count the bytes of a bad run.
 */
export class PatternChecker {
  /** Stream bytes checked so far (the offset of the next byte). */
  offset = 0;
  /** Bytes that did not match. */
  mismatches = 0;
  /** Stream offset of the first mismatch (-1: none). */
  firstMismatch = -1;
  private lastBytes: Uint8Array | undefined;
  private lastBuffer: Buffer | undefined;

  update(bytes: Uint8Array, off: number, len: number): void {
    if (bytes !== this.lastBytes) {
      // One Buffer view per distinct array (the Wasm memory: once), so a check allocates nothing.
      this.lastBytes = bytes;
      this.lastBuffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    }
    const buf = this.lastBuffer!;
    let done = 0;
    while (done < len) {
      const p = (this.offset + done) % PATTERN_PERIOD;
      const n = Math.min(len - done, PATTERN_SLACK);
      if (buf.compare(PATTERN_BUFFER, p, p + n, off + done, off + done + n) !== 0) {
        for (let i = 0; i < n; i++) {
          if (bytes[off + done + i] !== PATTERN_TABLE[p + i]) {
            if (this.firstMismatch < 0) this.firstMismatch = this.offset + done + i;
            this.mismatches++;
          }
        }
      }
      done += n;
    }
    this.offset += len;
  }
}
