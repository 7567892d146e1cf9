// HostLife: the one place the primary-backup nodes touch a host's crash and restart hooks
// (IpHost's crashed, incarnation, onCrash, onRestart). A host without them never crashes.

import type { AnyIpHost } from "../ip/ip-host.js";

export interface HostLife {
  readonly crashed: boolean;
  /** 0 at first boot, +1 at every restart. */
  readonly incarnation: number;
  /** fn runs at a crash, before the stack is torn down; returns the unsubscribe. */
  onCrash(fn: () => void): () => void;
  /** fn runs once the host is up again with empty volatile state; returns the unsubscribe. */
  onRestart(fn: () => void): () => void;
}

const NEVER: HostLife = {
  crashed: false,
  incarnation: 0,
  onCrash: () => () => {},
  onRestart: () => () => {},
};

export function hostLife(host: AnyIpHost): HostLife {
  const h = host as unknown as Partial<HostLife>;
  return typeof h.onCrash === "function" ? (host as unknown as HostLife) : NEVER;
}
