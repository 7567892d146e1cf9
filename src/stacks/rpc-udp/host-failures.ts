// What RPC over UDP needs of a host's failure model, in one place: whether the host is up, its
// incarnation, crash and restart notifications, and its stable storage.
//
// Contract:
// - failureHooks(host) reads the host's own (IpHost is Crashable): onCrash(fn) runs fn at the
//   crash before the stack is torn down, onRestart(fn) once the host is up again with empty
//   volatile state; both return an unsubscribe function.
// - log is the host's StableStorage; failureHooks(host, true) makes it if the host has none yet
//   (ensureStorage: call it while the network is built, so every partition makes the same
//   devices). Without storage asked for, reading log throws (API misuse).
//   log.write(record, done) is a forced write: done runs once the record is durable and never
//   if the host crashes first; it returns -1 when the log is full. log.durable survives crashes.

import type { AnyIpHost } from "../ip/ip-host.js";

export interface DurableLog {
  write(record: Uint8Array, done?: () => void): number;
  readonly durable: readonly Uint8Array[];
}

export interface FailureHooks {
  readonly crashed: boolean;
  /** 0 at the first boot, +1 at every restart. */
  readonly incarnation: number;
  onCrash(fn: () => void): () => void;
  onRestart(fn: () => void): () => void;
  readonly log: DurableLog;
}

export function failureHooks(host: AnyIpHost, withStorage: boolean): FailureHooks {
  if (withStorage && !host.hasStorage) host.ensureStorage();
  return {
    get crashed() {
      return host.crashed;
    },
    get incarnation() {
      return host.incarnation;
    },
    onCrash: (fn) => host.onCrash(fn),
    onRestart: (fn) => host.onRestart(fn),
    get log() {
      return host.storage;
    },
  };
}
