// What RPC over UDP needs of a host's failure model, in one place: whether the host is up, its
// incarnation, crash and restart notifications, and its stable storage.
//
// Contract:
// - failureHooks(host) gives the host's own hooks (IpHost implements Crashable and owns a
//   StableStorage): onCrash(fn) runs fn at the crash before the stack is torn down, onRestart(fn)
//   once the host is up again with empty volatile state; both return an unsubscribe function.
// - log.write(record, done) is a forced write (append + sync): done runs once the record is
//   durable and never if the host crashes first; it returns the record's index or -1 when the
//   log is full. log.durable is what survives a crash: what a restart reads.

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

interface HostWithFailures {
  crashed: boolean;
  incarnation: number;
  onCrash(fn: () => void): () => void;
  onRestart(fn: () => void): () => void;
  storage: DurableLog;
}

/** Stand-in for hosts without a failure model: never crashes, writes are durable at once. */
class NoFailures implements FailureHooks {
  readonly crashed = false;
  readonly incarnation = 0;
  private readonly records: Uint8Array[] = [];
  readonly log: DurableLog = {
    write: (record, done) => {
      this.records.push(record);
      done?.();
      return this.records.length - 1;
    },
    durable: this.records,
  };
  onCrash(): () => void {
    return () => {};
  }
  onRestart(): () => void {
    return () => {};
  }
}

const standIns = new WeakMap<AnyIpHost, FailureHooks>();

export function failureHooks(host: AnyIpHost): FailureHooks {
  const h = host as unknown as Partial<HostWithFailures>;
  if (typeof h.onCrash === "function" && h.storage !== undefined) {
    return {
      get crashed() {
        return h.crashed === true;
      },
      get incarnation() {
        return h.incarnation ?? 0;
      },
      onCrash: (fn) => h.onCrash!(fn),
      onRestart: (fn) => h.onRestart!(fn),
      log: h.storage,
    };
  }
  let s = standIns.get(host);
  if (s === undefined) standIns.set(host, (s = new NoFailures()));
  return s;
}
