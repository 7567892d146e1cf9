// The Wasm module's export surface, as TypeScript sees it. Each kernel family declares its own
// exports beside its typed wrapper; this file only joins them.

import type { ChecksumExports } from "./checksum.js";
import type { SwitchingExports } from "./switching.js";
import type { Aal5Exports } from "./aal5.js";
import type { WindowExports } from "./window.js";

export interface AbiExports {
  heapBase(): number;
  hasSimd(): number;
  abiVersion(): number;
}

/** assembly/mem: byte moves inside linear memory (wrapped by KernelRuntime.copy). */
export interface MemExports {
  memCopy(dst: number, src: number, len: number): void;
}

export type KernelExports = AbiExports & MemExports & ChecksumExports & SwitchingExports & Aal5Exports & WindowExports;
