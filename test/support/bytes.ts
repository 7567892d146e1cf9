// Byte helpers for wire tests.

/** A test buffer pre-filled with 0xa5, so bytes the code forgot to write show up. */
export function poisoned(length: number): Uint8Array {
  return new Uint8Array(length).fill(0xa5);
}

/** Bytes from hex text (white space ignored). */
export const fromHex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

export const toHex = (u: Uint8Array): string => Buffer.from(u).toString("hex");

/** Deterministic message bytes (32-bit LCG); the first byte is the tag, so messages are told apart. */
export function msgBytes(length: number, tag: number): Uint8Array {
  const b = new Uint8Array(length);
  let x = (tag * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  if (length > 0) b[0] = tag & 0xff;
  return b;
}
