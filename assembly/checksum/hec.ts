// ATM header error control (ITU-T I.432.1 section 7.3.2): CRC-8 with generator
// x^8 + x^2 + x + 1 over the first four header octets, XORed with the coset 0x55.

import { CRC8_ATM } from "./tables";

/** HEC of a header whose first four octets, in wire order, form the big-endian `header32`. */
export function hecOf(header32: u32): u32 {
  let c: u32 = 0;
  c = load<u8>(CRC8_ATM + ((c ^ (header32 >>> 24)) & 0xff));
  c = load<u8>(CRC8_ATM + ((c ^ (header32 >>> 16)) & 0xff));
  c = load<u8>(CRC8_ATM + ((c ^ (header32 >>> 8)) & 0xff));
  c = load<u8>(CRC8_ATM + ((c ^ header32) & 0xff));
  return c ^ 0x55;
}
