// Byte helpers for wire tests.

/** A test buffer pre-filled with 0xa5, so bytes the code forgot to write show up. */
export function poisoned(length: number): Uint8Array {
  return new Uint8Array(length).fill(0xa5);
}

/** Bytes from hex text (white space ignored). */
export const fromHex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

export const toHex = (u: Uint8Array): string => Buffer.from(u).toString("hex");
