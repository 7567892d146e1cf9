// KernelRuntime: the Wasm kernels instantiated once per thread over one shared memory.
//
// Contract:
// - A process compiles each Wasm build once (WebAssembly.Module is cached and may be posted to
//   workers); a thread instantiates it once over a shared, fixed-size memory
//   (initial = maximum pages, so typed-array views over it never go stale).
// - `getRuntime()` gives this thread's runtime, creating its memory on first use.
//   A worker thread joins an existing memory with `attachRuntime(memory)`; its instantiation
//   only re-writes the module's constant static data and leaves every heap region alone.
//   `detachRuntime` ends that, so a pooled worker can join the next run's memory.
// - Builds: `release` (-O3, no assertions, SIMD), `scalar` (release without SIMD, chosen
//   automatically where the engine lacks Wasm SIMD) and `debug` (assertions, bounds-checked
//   `unchecked`, used by the tests). NETLOOM_WASM_BUILD selects one; every thread sharing a
//   memory must use the same build (the heap refuses a mismatch).
// - The runtime owns a per-thread scratch region used to stage caller bytes that do not
//   already live in linear memory.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, NetloomError } from "../base/errors.js";
import { packageRoot } from "../base/package-root.js";
import { SharedHeap } from "./heap.unsafe.js";
import type { KernelExports } from "./exports.js";

export type WasmBuild = "release" | "scalar" | "debug";

const WASM_FILES: Record<WasmBuild, string> = {
  release: "netloom.wasm",
  scalar: "netloom.scalar.wasm",
  debug: "netloom.debug.wasm",
};

/** Must equal ABI_VERSION in assembly/abi.ts. */
const ABI_VERSION = 1;
const PAGE_BYTES = 65536;
/** Wasm32 allows 65536 pages; the heap keeps offsets below 2^32, so one page is held back. */
const MAX_PAGES = 65535;
export const DEFAULT_MEMORY_MIB = 256;
const SCRATCH_BYTES = 1 << 20;

/** Smallest module using a SIMD instruction: (func (result v128) v128.const 0). */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x0b,
]);

export function simdSupported(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}

/** The build to use when none is named: NETLOOM_WASM_BUILD, else release (scalar without SIMD). */
export function defaultBuild(): WasmBuild {
  const fromEnv = process.env["NETLOOM_WASM_BUILD"];
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!(fromEnv in WASM_FILES)) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `"${fromEnv}" is not a Wasm build (release, scalar or debug)`,
        { path: "NETLOOM_WASM_BUILD" },
      );
    }
    return fromEnv as WasmBuild;
  }
  return simdSupported() ? "release" : "scalar";
}

/** Directory that holds the compiled modules: NETLOOM_WASM_DIR, else <package root>/build. */
function buildDir(): string {
  const override = process.env["NETLOOM_WASM_DIR"];
  if (override !== undefined && override !== "") return override;
  const root = packageRoot(import.meta.url);
  if (root !== undefined) return join(root, "build");
  throw new NetloomError(ErrorCode.WASM_UNAVAILABLE, "cannot find the netloom package root from " + import.meta.url);
}

const moduleCache = new Map<WasmBuild, WebAssembly.Module>();

/** Compiles (once per process) and returns the module of a build. */
export function compiledModule(build: WasmBuild): WebAssembly.Module {
  let mod = moduleCache.get(build);
  if (mod === undefined) {
    const file = join(buildDir(), WASM_FILES[build]);
    if (!existsSync(file)) {
      throw new NetloomError(
        ErrorCode.WASM_UNAVAILABLE,
        `${file} is missing: run "npm run build:wasm" (npm install runs it too)`,
      );
    }
    mod = new WebAssembly.Module(readFileSync(file));
    moduleCache.set(build, mod);
  }
  return mod;
}

/** A fixed-size shared memory: initial = maximum, so views over it never go stale. */
export function createKernelMemory(mebibytes: number = DEFAULT_MEMORY_MIB): WebAssembly.Memory {
  const pages = Math.ceil((mebibytes * 1024 * 1024) / PAGE_BYTES);
  if (!Number.isFinite(mebibytes) || pages < 2 || pages > MAX_PAGES) {
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `${mebibytes} MiB is not a kernel memory size (0.125 to ${(MAX_PAGES * PAGE_BYTES) / 2 ** 20} MiB)`,
      { path: "memoryMiB" },
    );
  }
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

export interface RuntimeOptions {
  /** Which compiled module to load (default: defaultBuild()). */
  build?: WasmBuild;
  /** Size of a new memory (ignored by attachRuntime, which joins an existing one). */
  memoryMiB?: number;
}

export class KernelRuntime {
  readonly build: WasmBuild;
  readonly memory: WebAssembly.Memory;
  /**
   * memory.buffer, read once: the memory never grows (initial = maximum), so it stays the same
   * object, and the Memory.buffer getter is a slow API call that owns()/stage() would otherwise
   * make on every checksum of every frame.
   */
  readonly buffer: SharedArrayBuffer;
  readonly exports: KernelExports;
  readonly heap: SharedHeap;
  /** Views over the whole linear memory; valid for the runtime's lifetime (fixed-size memory). */
  readonly u8: Uint8Array;
  /**
   * Size of linear memory in bytes, read once. Why not u8.byteLength per check: a shared
   * memory's buffer may be length-tracking, and its byteLength is then a slower read that
   * checkRange() made on every frame's CRC.
   */
  readonly memoryBytes: number;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
  readonly view: DataView;
  /** This thread's staging area for bytes that do not already live in linear memory. */
  readonly scratchPtr: number;
  readonly scratchBytes: number;

  constructor(memory: WebAssembly.Memory, build: WasmBuild) {
    if (!(memory.buffer instanceof SharedArrayBuffer)) {
      throw new NetloomError(ErrorCode.MEMORY_MISMATCH, "the kernel memory must be created with shared: true");
    }
    const mod = compiledModule(build);
    const instance = new WebAssembly.Instance(mod, {
      env: {
        memory,
        abort: (msg: number, file: number, line: number, column: number): never => {
          throw new NetloomError(
            ErrorCode.INVALID_ARGUMENT,
            `Wasm assertion failed (${readAsString(memory, file)}:${line}:${column}: ${readAsString(memory, msg)})`,
          );
        },
      },
    });
    this.build = build;
    this.memory = memory;
    this.exports = instance.exports as unknown as KernelExports;
    if (this.exports.abiVersion() !== ABI_VERSION) {
      throw new NetloomError(
        ErrorCode.WASM_UNAVAILABLE,
        `the Wasm build speaks ABI ${this.exports.abiVersion()}, this code expects ${ABI_VERSION}: rebuild with "npm run build:wasm"`,
      );
    }
    const buffer = memory.buffer as SharedArrayBuffer;
    this.buffer = buffer;
    this.u8 = new Uint8Array(buffer);
    this.memoryBytes = this.u8.byteLength;
    this.u32 = new Uint32Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.view = new DataView(buffer);
    this.heap = new SharedHeap(memory, this.exports.heapBase(), moduleIdentity(build));
    this.scratchBytes = SCRATCH_BYTES;
    this.scratchPtr = this.heap.alloc(SCRATCH_BYTES);
  }

  /**
   * Returns the linear-memory offset of `bytes`: their own offset when they are a view on this
   * memory (no copy), otherwise a copy in the scratch region. The copy lives until the next
   * stage() call on this thread. Throws OUT_OF_BOUNDS when they do not fit the scratch region;
   * callers that accept arbitrary sizes process them in chunks of at most `scratchBytes`.
   */
  stage(bytes: Uint8Array): number {
    if (bytes.buffer === this.buffer) return bytes.byteOffset;
    if (bytes.byteLength > this.scratchBytes) {
      throw new NetloomError(
        ErrorCode.OUT_OF_BOUNDS,
        `${bytes.byteLength} bytes do not fit the ${this.scratchBytes}-byte staging area`,
      );
    }
    this.u8.set(bytes, this.scratchPtr);
    return this.scratchPtr;
  }

  /**
   * Copies [src, src + len) to dst inside linear memory (the ranges may overlap), as
   * u8.copyWithin(dst, src, src + len) does, but by the memCopy kernel: copyWithin on a
   * SharedArrayBuffer is an order of magnitude slower (see assembly/mem/index.ts). Every
   * packet-sized move inside linear memory goes through here. Throws OUT_OF_BOUNDS (checkRange,
   * path "dst" or "src") when a range does not lie inside linear memory.
   */
  copy(dst: number, src: number, len: number): void {
    this.checkRange("dst", dst, len);
    this.checkRange("src", src, len);
    this.exports.memCopy(dst, src, len);
  }

  /** True when `bytes` is a view on this runtime's linear memory. */
  owns(bytes: Uint8Array): boolean {
    // Nearly every caller passes u8 itself: one comparison before the buffer getter.
    return bytes === this.u8 || bytes.buffer === this.buffer;
  }

  /** Throws OUT_OF_BOUNDS unless [ptr, ptr + len) lies inside linear memory. */
  checkRange(name: string, ptr: number, len: number): void {
    if (!Number.isInteger(ptr) || !Number.isInteger(len) || ptr < 0 || len < 0 || ptr + len > this.memoryBytes) {
      throw new NetloomError(
        ErrorCode.OUT_OF_BOUNDS,
        `[${ptr}, ${ptr} + ${len}) is not inside the ${this.memoryBytes}-byte kernel memory`,
        { path: name },
      );
    }
  }
}

/** A stable 31-bit id per build name, stamped into the heap so mixed builds are refused. */
function moduleIdentity(build: WasmBuild): number {
  let h = 0x811c9dc5;
  for (const ch of build + ":" + ABI_VERSION) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h & 0x7fffffff;
}

/** Reads an AssemblyScript string (UTF-16, length in the preceding header word) for abort(). */
function readAsString(memory: WebAssembly.Memory, ptr: number): string {
  if (ptr === 0) return "";
  const bytes = new Uint8Array(memory.buffer);
  const len = new DataView(memory.buffer).getUint32(ptr - 4, true);
  let out = "";
  for (let i = 0; i < len && i < 512; i += 2) out += String.fromCharCode(bytes[ptr + i]! | (bytes[ptr + i + 1]! << 8));
  return out;
}

let threadRuntime: KernelRuntime | undefined;

/** This thread's runtime; the first call creates its memory (options apply to that call only). */
export function getRuntime(options: RuntimeOptions = {}): KernelRuntime {
  if (threadRuntime === undefined) {
    const memory = createKernelMemory(options.memoryMiB ?? envMemoryMiB());
    threadRuntime = new KernelRuntime(memory, options.build ?? defaultBuild());
  } else if (options.build !== undefined && options.build !== threadRuntime.build) {
    throw new NetloomError(
      ErrorCode.MEMORY_MISMATCH,
      `this thread already runs the ${threadRuntime.build} build; cannot switch to ${options.build}`,
    );
  }
  return threadRuntime;
}

/** Joins this thread to an existing kernel memory (e.g. one posted from another thread). */
export function attachRuntime(memory: WebAssembly.Memory, options: Pick<RuntimeOptions, "build"> = {}): KernelRuntime {
  if (threadRuntime !== undefined) {
    if (threadRuntime.memory.buffer === memory.buffer) return threadRuntime;
    throw new NetloomError(ErrorCode.MEMORY_MISMATCH, "this thread is already attached to a different kernel memory");
  }
  threadRuntime = new KernelRuntime(memory, options.build ?? defaultBuild());
  return threadRuntime;
}

/**
 * Ends this thread's attachment to `runtime`'s memory (a pooled worker between two runs, each
 * over a fresh memory): the next attachRuntime() may join another memory, and the old one can
 * be collected. A no-op when the thread is not attached to it.
 */
export function detachRuntime(runtime: KernelRuntime): void {
  if (threadRuntime === runtime) threadRuntime = undefined;
}

function envMemoryMiB(): number {
  const raw = process.env["NETLOOM_MEMORY_MIB"];
  if (raw === undefined || raw === "") return DEFAULT_MEMORY_MIB;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `"${raw}" is not a size in MiB`, { path: "NETLOOM_MEMORY_MIB" });
  }
  return value;
}
