// Typed wrappers for the checksum kernels (assembly/checksum/).
//
// Contract:
// - Byte-array functions accept any Uint8Array. A view on the runtime's linear memory is passed
//   by pointer (no copy); anything else is staged through the runtime's scratch region, in
//   chunks of at most rt.scratchBytes (partial sums and CRCs continue across chunks), so any
//   length works. Nothing is retained after a call.
// - Pointer forms (`...At`, batch forms) take byte offsets into linear memory for code that keeps
//   frames there; they check the ranges and throw NetloomError OUT_OF_BOUNDS naming the bad
//   argument. Arguments of the wrong type or range throw INVALID_ARGUMENT.
// - Values are unsigned: 16-bit checksums/partials, 32-bit CRCs, 8-bit HECs.
// - `ChecksumKernels` binds the functions to one runtime (tests use one per build); the
//   module-level functions use this thread's runtime (getRuntime()).
// Not handled here: UDP's "transmit a computed 0 as 0xFFFF" rule (a UDP-layer decision).

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import { FRAME_VEC_STRIDE } from "./abi.js";
import type { ChecksumExports } from "./exports.js";
import { getRuntime, type KernelRuntime } from "./runtime.js";
import * as inetRef from "./reference/inet.js";
import { HecStatus, HEC_MODE_CORRECTION, HEC_MODE_DETECTION } from "./reference/hec.js";

export { HecStatus, HEC_MODE_CORRECTION, HEC_MODE_DETECTION };

const U32_MAX = 0xffffffff;

function checkBytes(name: string, bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, "expected a Uint8Array", { path: name });
  }
}

function checkU16(name: string, value: number): void {
  checkInteger(name, value, 0, 0xffff);
}

function checkU32(name: string, value: number): void {
  checkInteger(name, value, 0, U32_MAX);
}

/** IPv4 address as a 32-bit number (a.b.c.d = a<<24 | ...) or 4 bytes in wire order. */
export type Ipv4AddressInput = number | Uint8Array;

function addressValue(name: string, addr: Ipv4AddressInput): number {
  if (addr instanceof Uint8Array) {
    if (addr.length !== 4) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `an IPv4 address has 4 bytes, not ${addr.length}`, {
        path: name,
      });
    }
    return ((addr[0]! << 24) | (addr[1]! << 16) | (addr[2]! << 8) | addr[3]!) >>> 0;
  }
  checkU32(name, addr);
  return addr;
}

/** The checksum kernels bound to one runtime. */
export class ChecksumKernels {
  private readonly x: ChecksumExports;

  constructor(readonly rt: KernelRuntime) {
    this.x = rt.exports;
  }

  // --- Internet checksum ---

  /** Checksum as written into an IPv4/UDP/TCP header: ~(sum of bytes + initial partial). */
  internetChecksum(bytes: Uint8Array, initial = 0): number {
    return ~this.internetSum(bytes, initial) & 0xffff;
  }

  /** One's-complement partial sum of bytes (taken to start at an even offset) plus `initial`. */
  internetSum(bytes: Uint8Array, initial = 0): number {
    checkBytes("bytes", bytes);
    checkU16("initial", initial);
    const rt = this.rt;
    if (rt.owns(bytes)) return this.x.inetSum(bytes.byteOffset, bytes.byteLength, initial);
    // Chunks are an even number of bytes, so each continues the sum without a byte swap.
    const step = rt.scratchBytes & ~1;
    let sum = initial;
    for (let off = 0; off === 0 || off < bytes.byteLength; off += step) {
      const chunk = bytes.subarray(off, off + step);
      sum = this.x.inetSum(rt.stage(chunk), chunk.byteLength, sum);
    }
    return sum;
  }

  /**
   * internetSum of bytes[offset, offset + length) without making a subarray: by pointer when
   * the range is inside a view on linear memory (the per-frame case: one bounds test instead
   * of the argument checks of the general forms), otherwise as internetSum of the subarray.
   */
  internetSumRange(bytes: Uint8Array, offset: number, length: number, initial = 0): number {
    if (
      this.rt.owns(bytes) &&
      (offset | 0) === offset &&
      (length | 0) === length &&
      offset >= 0 &&
      length >= 0 &&
      offset + length <= bytes.length &&
      (initial & 0xffff) === initial
    ) {
      return this.x.inetSum(bytes.byteOffset + offset, length, initial);
    }
    return this.internetSum(bytes.subarray(offset, offset + length), initial);
  }

  /** internetSum over [ptr, ptr + len) of linear memory. */
  internetSumAt(ptr: number, len: number, initial = 0): number {
    this.rt.checkRange("ptr", ptr, len);
    checkU16("initial", initial);
    return this.x.inetSum(ptr, len, initial);
  }

  /** internetChecksum over [ptr, ptr + len) of linear memory. */
  internetChecksumAt(ptr: number, len: number, initial = 0): number {
    this.rt.checkRange("ptr", ptr, len);
    checkU16("initial", initial);
    return this.x.inetChecksum(ptr, len, initial);
  }

  /**
   * Frame vector at `vec` (FRAME_VEC_*): out = checksum of each entry's [ptr, ptr+len) with arg
   * as its initial partial sum (e.g. a pseudo-header's), in one Wasm call.
   */
  internetChecksumBatch(vec: number, count: number): void {
    this.checkVector(vec, count);
    const done = this.x.inetChecksumBatch(vec, count);
    if (done !== count) throw this.entryOutOfBounds(vec, done);
  }

  /** RFC 1624 eqn. 3: the checksum after one 16-bit word changes from oldWord to newWord. */
  updateInternetChecksum(checksum: number, oldWord: number, newWord: number): number {
    checkU16("checksum", checksum);
    checkU16("oldWord", oldWord);
    checkU16("newWord", newWord);
    return this.x.inetUpdate16(checksum, oldWord, newWord);
  }

  // --- CRC-32 ---

  /** Ethernet FCS CRC-32 (zlib's crc32), continuing from `previous` like zlib.crc32(data, value). */
  crc32(bytes: Uint8Array, previous = 0): number {
    return this.crcOver(bytes, previous, this.x.crc32);
  }

  /** AAL5 CRC-32 (MSB-first), the value written into the trailer; continues from `previous`. */
  crc32Aal5(bytes: Uint8Array, previous = 0): number {
    return this.crcOver(bytes, previous, this.x.crc32Aal5);
  }

  /** crc32 over [ptr, ptr + len) of linear memory. */
  crc32At(ptr: number, len: number, previous = 0): number {
    this.rt.checkRange("ptr", ptr, len);
    checkU32("previous", previous);
    return this.x.crc32(previous, ptr, len) >>> 0;
  }

  /**
   * crc32At(ptr, len) as a signed 32-bit integer: the same 32 bits (`crc32At(...) | 0`). For the
   * per-frame callers, which store the bits or compare them with a `| 0` read of the FCS: V8
   * keeps an int32 unboxed, while a uint32 above 2^31 becomes a heap number when it leaves a
   * call that is not inlined, an allocation for every other frame.
   */
  crc32Bits(ptr: number, len: number): number {
    this.rt.checkRange("ptr", ptr, len);
    return this.x.crc32(0, ptr, len) | 0;
  }

  /** crc32Aal5 over [ptr, ptr + len) of linear memory. */
  crc32Aal5At(ptr: number, len: number, previous = 0): number {
    this.rt.checkRange("ptr", ptr, len);
    checkU32("previous", previous);
    return this.x.crc32Aal5(previous, ptr, len) >>> 0;
  }

  /** Ethernet CRC-32 continued over `n` zero bytes, in O(log n) (virtual-zero payloads). */
  crc32ZeroRun(crc: number, n: number): number {
    checkU32("crc", crc);
    checkU32("n", n);
    return this.x.crc32ZeroRun(crc, n) >>> 0;
  }

  /** AAL5 CRC-32 continued over `n` zero bytes, in O(log n). */
  crc32Aal5ZeroRun(crc: number, n: number): number {
    checkU32("crc", crc);
    checkU32("n", n);
    return this.x.crc32Aal5ZeroRun(crc, n) >>> 0;
  }

  /** Ethernet CRC-32 of a ++ b from crc32(a), crc32(b) and b's length (zlib crc32_combine). */
  crc32Combine(crcA: number, crcB: number, lengthB: number): number {
    checkU32("crcA", crcA);
    checkU32("crcB", crcB);
    checkU32("lengthB", lengthB);
    return this.x.crc32Combine(crcA, crcB, lengthB) >>> 0;
  }

  /** AAL5 CRC-32 of a ++ b from the two CRCs and b's length. */
  crc32Aal5Combine(crcA: number, crcB: number, lengthB: number): number {
    checkU32("crcA", crcA);
    checkU32("crcB", crcB);
    checkU32("lengthB", lengthB);
    return this.x.crc32Aal5Combine(crcA, crcB, lengthB) >>> 0;
  }

  /** Frame vector at `vec`: out = Ethernet CRC-32 of each entry, continued from arg (0 = whole frame). */
  crc32Batch(vec: number, count: number): void {
    this.checkVector(vec, count);
    const done = this.x.crc32Batch(vec, count);
    if (done !== count) throw this.entryOutOfBounds(vec, done);
  }

  // --- ATM HEC ---

  /** HEC of the first 4 header bytes: CRC-8 x^8+x^2+x+1 XOR 0x55. */
  atmHec(header: Uint8Array): number {
    checkBytes("header", header);
    if (header.byteLength < 4) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `an ATM header needs 4 bytes, got ${header.byteLength}`, {
        path: "header",
      });
    }
    return this.x.atmHec(this.rt.stage(header.subarray(0, 4)));
  }

  /** atmHec of the 4 octets at ptr in linear memory. */
  atmHecAt(ptr: number): number {
    this.rt.checkRange("ptr", ptr, 4);
    return this.x.atmHec(ptr);
  }

  /**
   * I.432.1 receiver check of the 5-octet header at ptr under the mode word at statePtr (4 bytes
   * the caller owns, e.g. one per port; 0 = correction mode). A single-bit error found in
   * correction mode is corrected in place.
   */
  hecCheckAt(ptr: number, statePtr: number): HecStatus {
    this.rt.checkRange("ptr", ptr, 5);
    this.checkStatePtr(statePtr);
    return this.x.hecCheck(ptr, statePtr) as HecStatus;
  }

  /** hecCheckAt for a header anywhere: a corrected header is written back into `header`. */
  hecCheck(header: Uint8Array, statePtr: number): HecStatus {
    checkBytes("header", header);
    if (header.byteLength < 5) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `an ATM header with HEC needs 5 bytes, got ${header.byteLength}`,
        {
          path: "header",
        },
      );
    }
    this.checkStatePtr(statePtr);
    const view = header.subarray(0, 5);
    const ptr = this.rt.stage(view);
    const status = this.x.hecCheck(ptr, statePtr) as HecStatus;
    if (status === HecStatus.CORRECTED && !this.rt.owns(header)) view.set(this.rt.u8.subarray(ptr, ptr + 5));
    return status;
  }

  /**
   * Frame vector of cells (ptr = cell header, len = cell length) checked in order under one mode
   * word (one port): out = HecStatus; single-bit errors corrected in place per I.432.1.
   */
  hecCheckBatch(vec: number, count: number, statePtr: number): void {
    this.checkVector(vec, count);
    this.checkStatePtr(statePtr);
    const done = this.x.hecCheckBatch(vec, count, statePtr);
    if (done !== count) throw this.entryOutOfBounds(vec, done);
  }

  /** Allocates a receiver mode word (in correction mode) on the shared heap; free with rt.heap.free. */
  allocHecState(): number {
    return this.rt.heap.alloc(4);
  }

  // --- internals ---

  private crcOver(
    bytes: Uint8Array,
    previous: number,
    kernel: (crc: number, ptr: number, len: number) => number,
  ): number {
    checkBytes("bytes", bytes);
    checkU32("previous", previous);
    const rt = this.rt;
    if (rt.owns(bytes)) return kernel(previous, bytes.byteOffset, bytes.byteLength) >>> 0;
    let crc = previous;
    for (let off = 0; off === 0 || off < bytes.byteLength; off += rt.scratchBytes) {
      const chunk = bytes.subarray(off, off + rt.scratchBytes);
      crc = kernel(crc, rt.stage(chunk), chunk.byteLength) >>> 0;
    }
    return crc;
  }

  private checkVector(vec: number, count: number): void {
    checkInteger("count", count, 0, Math.floor(U32_MAX / FRAME_VEC_STRIDE));
    this.rt.checkRange("vec", vec, count * FRAME_VEC_STRIDE);
  }

  private checkStatePtr(statePtr: number): void {
    this.rt.checkRange("statePtr", statePtr, 4);
    if (statePtr % 4 !== 0) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `the mode word at ${statePtr} is not 4-byte aligned`, {
        path: "statePtr",
      });
    }
  }

  private entryOutOfBounds(vec: number, index: number): NetloomError {
    const e = (vec + index * FRAME_VEC_STRIDE) >>> 2;
    const ptr = this.rt.u32[e]!;
    const len = this.rt.u32[e + 1]!;
    return new NetloomError(
      ErrorCode.OUT_OF_BOUNDS,
      `[${ptr}, ${ptr} + ${len}) is not inside the ${this.rt.u8.byteLength}-byte kernel memory (entries before it are done)`,
      { path: `vec[${index}]` },
    );
  }
}

// --- module-level API over this thread's runtime ---

let bound: ChecksumKernels | undefined;

/** The checksum kernels over this thread's runtime. */
export function checksumKernels(): ChecksumKernels {
  const rt = getRuntime();
  if (bound === undefined || bound.rt !== rt) bound = new ChecksumKernels(rt);
  return bound;
}

/** Internet checksum (RFC 1071) as written into an IPv4/UDP header; a correct header sums to 0. */
export function internetChecksum(bytes: Uint8Array): number {
  return checksumKernels().internetChecksum(bytes);
}

/** Partial one's-complement sum of `bytes` (starting at an even offset) plus partial `initial`. */
export function internetSum(bytes: Uint8Array, initial = 0): number {
  return checksumKernels().internetSum(bytes, initial);
}

/** Adds partial b to partial a; b's bytes start `offsetB` bytes into the whole (odd: swapped). */
export function combineInternetSums(a: number, b: number, offsetB: number): number {
  checkU16("a", a);
  checkU16("b", b);
  checkInteger("offsetB", offsetB, 0, Number.MAX_SAFE_INTEGER);
  return inetRef.combineInternetSums(a, b, offsetB);
}

/** The header field value for a finished partial sum: its one's complement. */
export function finishInternetChecksum(sum: number): number {
  checkU16("sum", sum);
  return inetRef.finishInternetChecksum(sum);
}

/** Partial sum of the IPv4 pseudo-header (src, dst, 0, protocol, UDP/TCP length) of RFC 768/793. */
export function ipv4PseudoHeaderSum(
  src: Ipv4AddressInput,
  dst: Ipv4AddressInput,
  protocol: number,
  length: number,
): number {
  checkInteger("protocol", protocol, 0, 0xff);
  checkU16("length", length);
  return inetRef.ipv4PseudoHeaderSum(addressValue("src", src), addressValue("dst", dst), protocol, length);
}

/** RFC 1624 eqn. 3 incremental update after one 16-bit field changes from oldWord to newWord. */
export function updateInternetChecksum(checksum: number, oldWord: number, newWord: number): number {
  return checksumKernels().updateInternetChecksum(checksum, oldWord, newWord);
}

/** Internet checksum of [ptr, ptr + len) of linear memory, with an optional initial partial. */
export function internetChecksumAt(ptr: number, len: number, initial = 0): number {
  return checksumKernels().internetChecksumAt(ptr, len, initial);
}

/** Partial sum of [ptr, ptr + len) of linear memory plus partial `initial`. */
export function internetSumAt(ptr: number, len: number, initial = 0): number {
  return checksumKernels().internetSumAt(ptr, len, initial);
}

/** Batch Internet checksum over a frame vector in linear memory (out = checksum, arg = initial partial). */
export function internetChecksumBatch(vec: number, count: number): void {
  checksumKernels().internetChecksumBatch(vec, count);
}

/** Ethernet FCS CRC-32 (reflected), unsigned, as zlib.crc32; continues from `previous`. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  return checksumKernels().crc32(bytes, previous);
}

/** AAL5 CRC-32 (MSB-first), unsigned, the value written into the AAL5 trailer. */
export function crc32Aal5(bytes: Uint8Array, previous = 0): number {
  return checksumKernels().crc32Aal5(bytes, previous);
}

/** Ethernet CRC-32 of [ptr, ptr + len) of linear memory, continuing from `previous`. */
export function crc32At(ptr: number, len: number, previous = 0): number {
  return checksumKernels().crc32At(ptr, len, previous);
}

/** AAL5 CRC-32 of [ptr, ptr + len) of linear memory, continuing from `previous`. */
export function crc32Aal5At(ptr: number, len: number, previous = 0): number {
  return checksumKernels().crc32Aal5At(ptr, len, previous);
}

/** Ethernet CRC-32 continued over n zero bytes in O(log n) (virtual-zero payloads). */
export function crc32ZeroRun(crc: number, n: number): number {
  return checksumKernels().crc32ZeroRun(crc, n);
}

/** AAL5 CRC-32 continued over n zero bytes in O(log n). */
export function crc32Aal5ZeroRun(crc: number, n: number): number {
  return checksumKernels().crc32Aal5ZeroRun(crc, n);
}

/** Ethernet CRC-32 of a ++ b from crc32(a), crc32(b) and b's length. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return checksumKernels().crc32Combine(crcA, crcB, lengthB);
}

/** Batch Ethernet CRC-32 over a frame vector in linear memory (out = crc, arg = previous crc). */
export function crc32Batch(vec: number, count: number): void {
  checksumKernels().crc32Batch(vec, count);
}

/** ATM HEC of the first 4 header bytes (CRC-8 x^8+x^2+x+1 XOR 0x55); throws if fewer than 4. */
export function atmHec(header: Uint8Array): number {
  return checksumKernels().atmHec(header);
}

/** I.432.1 receiver check/correction of a 5-byte header under the mode word at statePtr. */
export function hecCheck(header: Uint8Array, statePtr: number): HecStatus {
  return checksumKernels().hecCheck(header, statePtr);
}

/** I.432.1 receiver check/correction of the header at ptr in linear memory. */
export function hecCheckAt(ptr: number, statePtr: number): HecStatus {
  return checksumKernels().hecCheckAt(ptr, statePtr);
}

/** Batch I.432.1 check/correction of cell headers in a frame vector under one mode word. */
export function hecCheckBatch(vec: number, count: number, statePtr: number): void {
  checksumKernels().hecCheckBatch(vec, count, statePtr);
}
