// Node's zlib as an independent oracle for the Ethernet CRC-32 (zlib.crc32, Node >= 20.15).
import * as zlib from "node:zlib";

export const zlibSync = {
  crc32(bytes: Uint8Array, previous = 0): number {
    return (zlib as unknown as { crc32(data: Uint8Array, value?: number): number }).crc32(bytes, previous) >>> 0;
  },
};
