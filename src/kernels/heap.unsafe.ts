// SharedHeap: the allocator for every mutable region of the shared Wasm linear memory.
//
// Contract:
// - Kernels never allocate (see assembly/index.ts); everything they work on (frame slots,
//   forwarding tables, VC tables, window state, scratch buffers) is a region handed out here.
// - The allocator state lives in the shared memory itself (layout at the H_* offsets below), so
//   every thread that attaches to the same memory sees one heap. Operations take a spin lock
//   (Atomics), so any thread may allocate or free. They are set-up-time operations: no hot
//   path allocates.
// - Every region is 64-byte aligned (one cache line: regions written by different threads
//   never share a line) and its size rounded up to 64 bytes. Regions are zero-filled: a
//   region reused from the free list is cleared; one carved above every earlier region is
//   already zero, because the heap is created on a fresh (zeroed) memory.
// - Freed regions coalesce with free neighbours; a region freed twice or a pointer that is not
//   a live region is an error, not silent corruption.

import { ErrorCode, NetloomError } from "../base/errors.js";

// Layout (offsets from `base`, the first 64-byte boundary at or above the module's heapBase):
//
//   base +0   MAGIC            'NLHP' once initialised (0 before, INITIALISING during)
//   base +4   LOCK             0 free, 1 held
//   base +8   TOP              first byte never handed out (bump pointer)
//   base +12  LIMIT            end of usable memory
//   base +16  FREE_HEAD        first free block by address, 0 = none
//   base +20  IN_USE           bytes in live regions (headers included)
//   base +24  HIGH_WATER       largest IN_USE seen
//   base +28  LIVE             number of live regions
//   base +32  MODULE_ID        identity of the Wasm build whose static data sits below base
//   base +36  CLEAN            every byte at or above it is still as the memory was created
//                              (zero): the highest TOP ever reached
//   base +64  first block
//
//   block:  +0 SIZE (whole block, header included)  +4 NEXT_FREE  +8 STATE  +12 unused
//           +16 payload (64-byte aligned)
const MAGIC = 0x504c484e; // "NLHP" little-endian
const INITIALISING = 1;
const H_MAGIC = 0;
const H_LOCK = 1;
const H_TOP = 2;
const H_LIMIT = 3;
const H_FREE_HEAD = 4;
const H_IN_USE = 5;
const H_HIGH_WATER = 6;
const H_LIVE = 7;
const H_MODULE_ID = 8;
const H_CLEAN = 9;
const HEADER_BYTES = 64;

const BLOCK_HEADER = 16;
const B_SIZE = 0;
const B_NEXT = 1;
const B_STATE = 2;
const STATE_USED = 0x55534544; // "USED"
const STATE_FREE = 0x46524545; // "FREE"

const ALIGN = 64;
/** A free remainder smaller than this stays inside the allocated block. */
const MIN_SPLIT = 128;

export interface HeapStats {
  /** Bytes in live regions, block headers included. */
  inUseBytes: number;
  /** Largest inUseBytes seen since the heap was created. */
  highWaterBytes: number;
  /** Number of live regions. */
  liveRegions: number;
  /** Bytes between the heap base and the end of memory. */
  capacityBytes: number;
}

export class SharedHeap {
  private readonly i32: Int32Array;
  private readonly u8: Uint8Array;
  /** Byte offset of the heap header. */
  readonly base: number;

  /**
   * Attaches to the heap in `memory`, creating it if this is the first attach.
   * `heapBase` is where the Wasm module's static data ends; `moduleId` identifies the build,
   * because two different builds' static data cannot share one memory.
   */
  constructor(memory: WebAssembly.Memory, heapBase: number, moduleId: number) {
    const buffer = memory.buffer;
    if (!(buffer instanceof SharedArrayBuffer)) {
      throw new NetloomError(ErrorCode.MEMORY_MISMATCH, "the kernel memory must be a shared WebAssembly.Memory");
    }
    this.i32 = new Int32Array(buffer);
    this.u8 = new Uint8Array(buffer);
    this.base = alignUp(heapBase, ALIGN);
    const limit = Math.min(buffer.byteLength, 0xffff_ffc0);
    if (this.base + HEADER_BYTES + ALIGN * 4 > limit) {
      throw new NetloomError(ErrorCode.OUT_OF_MEMORY, `memory of ${buffer.byteLength} bytes is too small for the heap`);
    }
    const h = this.base >> 2;
    const prior = Atomics.compareExchange(this.i32, h + H_MAGIC, 0, INITIALISING);
    if (prior === 0) {
      // First block starts 16 bytes before a 64-byte boundary so its payload is aligned.
      this.i32[h + H_TOP] = this.base + HEADER_BYTES + ALIGN - BLOCK_HEADER;
      this.i32[h + H_LIMIT] = limit;
      this.i32[h + H_FREE_HEAD] = 0;
      this.i32[h + H_IN_USE] = 0;
      this.i32[h + H_HIGH_WATER] = 0;
      this.i32[h + H_LIVE] = 0;
      this.i32[h + H_MODULE_ID] = moduleId | 0;
      this.i32[h + H_CLEAN] = this.i32[h + H_TOP]!;
      Atomics.store(this.i32, h + H_MAGIC, MAGIC);
      Atomics.notify(this.i32, h + H_MAGIC);
    } else {
      while (Atomics.load(this.i32, h + H_MAGIC) === INITIALISING) {
        Atomics.wait(this.i32, h + H_MAGIC, INITIALISING, 1000);
      }
      if (Atomics.load(this.i32, h + H_MAGIC) !== MAGIC) {
        throw new NetloomError(ErrorCode.MEMORY_MISMATCH, "the memory holds something that is not a netloom heap");
      }
      if (Atomics.load(this.i32, h + H_MODULE_ID) !== (moduleId | 0)) {
        throw new NetloomError(
          ErrorCode.MEMORY_MISMATCH,
          "this memory was set up by a different Wasm build; every thread must load the same build",
        );
      }
    }
  }

  /** Allocates `bytes` (> 0), zero-filled, 64-byte aligned. Returns the byte offset. */
  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes <= 0) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `cannot allocate ${bytes} bytes`, { path: "bytes" });
    }
    const need = alignUp(bytes + BLOCK_HEADER, ALIGN);
    const h = this.base >> 2;
    this.lock();
    try {
      let block = this.takeFree(need);
      if (block === 0) {
        const top = this.i32[h + H_TOP]! >>> 0;
        const limit = this.i32[h + H_LIMIT]! >>> 0;
        if (top + need > limit) {
          throw new NetloomError(
            ErrorCode.OUT_OF_MEMORY,
            `the shared heap cannot fit ${bytes} bytes (${limit - top} bytes left at the top, ` +
              `${this.i32[h + H_IN_USE]! >>> 0} in use); create the runtime with more memory`,
          );
        }
        block = top;
        this.i32[h + H_TOP] = top + need;
        this.writeBlock(block, need, 0, STATE_USED);
      }
      // Zero-fill only what was written before: bytes above CLEAN are still the fresh memory's
      // zeros. Filling them anyway would touch (fault in) every page of every region at set-up,
      // pages most regions (frame pools, queues sized for the worst case) never use.
      const clean = this.i32[h + H_CLEAN]! >>> 0;
      const size = this.i32[(block >> 2) + B_SIZE]! >>> 0;
      const inUse = (this.i32[h + H_IN_USE]! >>> 0) + size;
      this.i32[h + H_IN_USE] = inUse;
      if (inUse > this.i32[h + H_HIGH_WATER]! >>> 0) this.i32[h + H_HIGH_WATER] = inUse;
      this.i32[h + H_LIVE]! += 1;
      const payloadEnd = block + size;
      if (block + BLOCK_HEADER < clean) this.u8.fill(0, block + BLOCK_HEADER, Math.min(clean, payloadEnd));
      if (payloadEnd > clean) this.i32[h + H_CLEAN] = payloadEnd;
      return block + BLOCK_HEADER;
    } finally {
      this.unlock();
    }
  }

  /** Returns a region from alloc() to the heap. Freeing twice throws USE_AFTER_FREE. */
  free(ptr: number): void {
    const block = ptr - BLOCK_HEADER;
    const h = this.base >> 2;
    this.lock();
    try {
      if (!this.isBlockStart(block) || this.i32[(block >> 2) + B_STATE] !== STATE_USED) {
        throw new NetloomError(ErrorCode.USE_AFTER_FREE, `offset ${ptr} is not a live heap region`, { path: "ptr" });
      }
      const size = this.i32[(block >> 2) + B_SIZE]! >>> 0;
      this.i32[h + H_IN_USE] = (this.i32[h + H_IN_USE]! >>> 0) - size;
      this.i32[h + H_LIVE]! -= 1;
      this.insertFree(block, size);
    } finally {
      this.unlock();
    }
  }

  /** Usable bytes of a live region (at least what was asked for). */
  sizeOf(ptr: number): number {
    return (this.i32[((ptr - BLOCK_HEADER) >> 2) + B_SIZE]! >>> 0) - BLOCK_HEADER;
  }

  stats(): HeapStats {
    const h = this.base >> 2;
    return {
      inUseBytes: Atomics.load(this.i32, h + H_IN_USE) >>> 0,
      highWaterBytes: Atomics.load(this.i32, h + H_HIGH_WATER) >>> 0,
      liveRegions: Atomics.load(this.i32, h + H_LIVE),
      capacityBytes: (this.i32[h + H_LIMIT]! >>> 0) - this.base,
    };
  }

  // --- internals (called with the lock held) ---

  private takeFree(need: number): number {
    const h = this.base >> 2;
    let prev = 0;
    let cur = this.i32[h + H_FREE_HEAD]! >>> 0;
    while (cur !== 0) {
      const size = this.i32[(cur >> 2) + B_SIZE]! >>> 0;
      const next = this.i32[(cur >> 2) + B_NEXT]! >>> 0;
      if (size >= need) {
        let replacement = next;
        if (size - need >= MIN_SPLIT) {
          const rest = cur + need;
          this.writeBlock(rest, size - need, next, STATE_FREE);
          replacement = rest;
          this.writeBlock(cur, need, 0, STATE_USED);
        } else {
          this.writeBlock(cur, size, 0, STATE_USED);
        }
        if (prev === 0) this.i32[h + H_FREE_HEAD] = replacement;
        else this.i32[(prev >> 2) + B_NEXT] = replacement;
        return cur;
      }
      prev = cur;
      cur = next;
    }
    return 0;
  }

  private insertFree(block: number, size: number): void {
    const h = this.base >> 2;
    let prev = 0;
    let cur = this.i32[h + H_FREE_HEAD]! >>> 0;
    while (cur !== 0 && cur < block) {
      prev = cur;
      cur = this.i32[(cur >> 2) + B_NEXT]! >>> 0;
    }
    let start = block;
    let end = block + size;
    // Merge with the following free block.
    if (cur !== 0 && cur === end) {
      end += this.i32[(cur >> 2) + B_SIZE]! >>> 0;
      cur = this.i32[(cur >> 2) + B_NEXT]! >>> 0;
    }
    // Merge with the preceding free block.
    if (prev !== 0 && prev + (this.i32[(prev >> 2) + B_SIZE]! >>> 0) === start) {
      start = prev;
      prev = this.findPrevFree(prev);
    }
    this.i32[(start >> 2) + B_STATE] = STATE_FREE;
    if (end === this.i32[h + H_TOP]! >>> 0) {
      // The merged block is the last one: give it back to the bump region.
      this.i32[h + H_TOP] = start;
      this.i32[(start >> 2) + B_STATE] = 0;
      this.link(prev, cur);
      return;
    }
    this.writeBlock(start, end - start, cur, STATE_FREE);
    this.link(prev, start);
  }

  private findPrevFree(block: number): number {
    const h = this.base >> 2;
    let prev = 0;
    let cur = this.i32[h + H_FREE_HEAD]! >>> 0;
    while (cur !== 0 && cur !== block) {
      prev = cur;
      cur = this.i32[(cur >> 2) + B_NEXT]! >>> 0;
    }
    return prev;
  }

  private link(prev: number, next: number): void {
    if (prev === 0) this.i32[(this.base >> 2) + H_FREE_HEAD] = next;
    else this.i32[(prev >> 2) + B_NEXT] = next;
  }

  private isBlockStart(block: number): boolean {
    const top = this.i32[(this.base >> 2) + H_TOP]! >>> 0;
    return (
      Number.isInteger(block) &&
      block >= this.base + HEADER_BYTES &&
      block < top &&
      (block + BLOCK_HEADER) % ALIGN === 0
    );
  }

  private writeBlock(block: number, size: number, next: number, state: number): void {
    const b = block >> 2;
    this.i32[b + B_SIZE] = size;
    this.i32[b + B_NEXT] = next;
    this.i32[b + B_STATE] = state;
  }

  private lock(): void {
    const idx = (this.base >> 2) + H_LOCK;
    // Uncontended in practice (set-up time only); spin briefly, then sleep on the word.
    for (let spins = 0; Atomics.compareExchange(this.i32, idx, 0, 1) !== 0; spins++) {
      if (spins > 64) Atomics.wait(this.i32, idx, 1, 1);
    }
  }

  private unlock(): void {
    const idx = (this.base >> 2) + H_LOCK;
    Atomics.store(this.i32, idx, 0);
    Atomics.notify(this.i32, idx, 1);
  }
}

export function alignUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}
