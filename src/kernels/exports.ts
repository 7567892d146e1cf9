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

export type KernelExports = AbiExports & ChecksumExports & SwitchingExports & Aal5Exports & WindowExports;
