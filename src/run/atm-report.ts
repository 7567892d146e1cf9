// The `atm` part of a run report: plain-JSON counters of everything buildAtm made (per switch,
// per NIC, per AAL5 source) and, with signalling, per agent and per svc (state, cause, times).

import type { AtmNicStats } from "../devices/atm-nic.js";
import type { HostSignallingStats } from "../devices/atm-host-signalling.js";
import type { SwitchSignallingStats } from "../devices/atm-switch-signalling.js";
import type { AtmSwitchStats } from "../devices/atm-switch.js";
import type { BuiltAtm, SvcState } from "./atm-built.js";

export interface SvcReport {
  from: string;
  to: string;
  route: string;
  state: SvcState;
  cause: string | null;
  causeText: string | null;
  connectedAt: number | null;
  endedAt: number | null;
}

export interface AtmReport {
  switches: Record<string, AtmSwitchStats>;
  nics: Record<string, AtmNicStats>;
  sources: Record<string, { sent: number; refused: number }>;
  /** Scenarios that use signalling: the agents' counters and each svc's outcome. */
  signalling?: {
    switches: Record<string, SwitchSignallingStats>;
    hosts: Record<string, HostSignallingStats>;
    svcs: Record<string, SvcReport>;
  };
}

/** Plain-JSON stats of everything buildAtm made (for the run report's `atm` key). */
export function atmReport(built: BuiltAtm): AtmReport {
  const out: AtmReport = { switches: {}, nics: {}, sources: {} };
  for (const [n, s] of built.switches) out.switches[n] = s.stats();
  for (const [n, nic] of built.nics) out.nics[n] = nic.stats();
  for (const [n, s] of built.sources) out.sources[n] = { sent: s.sent, refused: s.refused };
  const sig = built.signalling;
  if (sig !== undefined) {
    const svcs: Record<string, SvcReport> = {};
    for (const [n, r] of sig.svcs) {
      const v = sig.plan.get(n)!;
      svcs[n] = {
        from: v.from,
        to: v.to,
        route: v.route.join("."),
        state: r.state,
        cause: r.cause,
        causeText: r.causeText,
        connectedAt: r.connectedAt,
        endedAt: r.endedAt,
      };
    }
    out.signalling = {
      switches: Object.fromEntries([...sig.switches].map(([n, s]) => [n, s.stats()])),
      hosts: Object.fromEntries([...sig.hosts].map(([n, h]) => [n, h.stats()])),
      svcs,
    };
    // Traffic on circuits that never connected sent nothing.
    for (const t of sig.plannedTraffic) out.sources[t] ??= { sent: 0, refused: 0 };
  }
  return out;
}
