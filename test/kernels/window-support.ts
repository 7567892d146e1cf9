// Shared helpers for the window kernel suites: both implementations behind WindowOps, so the
// unit tests run against the Wasm table (debug build) and the plain-TS reference alike.

import { WindowTable, type OpenOptions, type WindowOps } from "../../src/kernels/window.js";
import { ReferenceWindowTable } from "../../src/kernels/reference/window.js";
import { runtimeFor } from "../support/runtimes.js";
import type { WasmBuild } from "../../src/kernels/runtime.js";

export interface Impl {
  ops: WindowOps;
  free(): void;
}

export type Factory = (opts: { connections: number; maxRanges?: number; inFlightCapacity?: number }) => Impl;

export function wasmFactory(build: WasmBuild): Factory {
  return (opts) => {
    const t = WindowTable.create({ ...opts, runtime: runtimeFor(build) });
    return { ops: t, free: () => t.free() };
  };
}

export const referenceFactory: Factory = (opts) => ({ ops: new ReferenceWindowTable(opts), free: () => {} });

/** The implementations every unit test runs against. */
export const IMPLEMENTATIONS: ReadonlyArray<[string, Factory]> = [
  ["wasm", wasmFactory("debug")],
  ["reference", referenceFactory],
];

export function openDefault(ops: WindowOps, conn: number, overrides: Partial<OpenOptions> = {}): void {
  ops.open(conn, { receiveNext: 1000, receiveWindow: 65535, sendNext: 5000, sendWindow: 65535, ...overrides });
}

/** xorshift32 for op sequences (deterministic, not the engine PRNG). */
export function prng(seed: number): () => number {
  let x = seed | 0 || 0x2545f491;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}
