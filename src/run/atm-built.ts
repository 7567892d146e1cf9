// What buildAtm makes of a scenario's `atm` section: the devices by name, the circuits, and,
// when the section uses signalling, the agents and each switched circuit as it runs.

import type { AtmLink } from "../devices/atm-link.js";
import type { AtmNic } from "../devices/atm-nic.js";
import type { HostSignalling } from "../devices/atm-host-signalling.js";
import type { SwitchSignalling } from "../devices/atm-switch-signalling.js";
import type { AtmSwitch } from "../devices/atm-switch.js";
import type { IpHost } from "../stacks/ip/ip-host.js";
import type { Aal5Source } from "../traffic/aal5-source.js";
import type { AtmScenarioSvc } from "../scenario/atm-types.js";

export interface BuiltAtm {
  switches: Map<string, AtmSwitch>;
  /** Every ATM NIC by endpoint name (hosts, and "router.interface"). */
  nics: Map<string, AtmNic>;
  /** IP hosts over ATM by name. */
  ipHosts: Map<string, IpHost<AtmNic>>;
  links: Map<string, AtmLink>;
  sources: Map<string, Aal5Source>;
  /** Circuit index at each end of each PVC: pvc -> [first end's vc, last end's vc]. */
  circuits: Map<string, [number, number]>;
  /** Signalling agents and switched circuits (when the section uses signalling). */
  signalling: BuiltSignalling | undefined;
  destroy(): void;
}

/** "crashed": the calling host crashed (its program and the call with it) before the svc ended. */
export type SvcState = "pending" | "calling" | "active" | "failed" | "released" | "closed" | "crashed";

/** A switched circuit of the scenario as it runs. */
export interface SvcRun {
  readonly name: string;
  state: SvcState;
  /** Why it failed or was released (sigCauseName: "hostFailed", "userBusy", ...), or null. */
  cause: string | null;
  /** The cause for people (sigCauseText: "destination out of order (27)", "unknown cause 120"). */
  causeText: string | null;
  /** Call ids at the caller and at the called host (-1 until known). */
  call: number;
  calleeCall: number;
  /** NIC circuit at the caller and at the called host (-1 until open). */
  callerVc: number;
  calleeVc: number;
  connectedAt: number | null;
  endedAt: number | null;
}

export interface BuiltSignalling {
  switches: Map<string, SwitchSignalling>;
  hosts: Map<string, HostSignalling>;
  svcs: Map<string, SvcRun>;
  /** The svcs as declared, by name. */
  plan: Map<string, AtmScenarioSvc>;
  /** Names of the AAL5 traffic entries that run on svcs. */
  plannedTraffic: string[];
  /** The script's hook: host `name` crashed (its programs stop; set by the svc script). */
  hostCrashed?: (name: string) => void;
}
