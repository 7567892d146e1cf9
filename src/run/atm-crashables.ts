// What crashes when a scenario's failures name an ATM device: a switch crashes as it is
// (AtmSwitch.crash, its control plane with it); a host crashes whole: its signalling agent
// (calls forgotten), the svc script's programs on it, then its IP stack over ATM (sockets,
// reassembly) or, for a raw AAL5 host, its NIC (reassembly, queued cells). A restart brings
// them back in the other order. Registered with the Network under the scenario's names.

import type { HostSignalling } from "../devices/atm-host-signalling.js";
import type { AtmNic } from "../devices/atm-nic.js";
import type { Crashable } from "../devices/crashable.js";
import type { IpHost } from "../stacks/ip/ip-host.js";
import type { BuiltAtm } from "./atm-built.js";
import type { Network } from "./network.js";

/** An ATM host as one fail-stop unit (see the module comment). */
export class AtmHostCrash implements Crashable {
  constructor(
    readonly name: string,
    private readonly nic: AtmNic,
    private readonly ip: IpHost<AtmNic> | undefined,
    private readonly sig: HostSignalling | undefined,
    private readonly programs: ((name: string) => void) | undefined,
  ) {}

  get crashed(): boolean {
    return this.nic.crashed;
  }

  /** False when already crashed, or failed for good (failAt). */
  crash(): boolean {
    if (this.nic.crashed || this.nic.failed) return false;
    this.sig?.crash();
    this.programs?.(this.name);
    return this.ip !== undefined ? this.ip.crash() : this.nic.crash();
  }

  restart(): boolean {
    if (!this.nic.crashed) return false;
    if (this.ip !== undefined) this.ip.restart();
    else this.nic.restart();
    this.sig?.restart();
    return true;
  }
}

/**
 * Registers every switch of a built ATM section, and its hosts `hosts` (router interfaces'
 * NICs crash with their routers), as crashable on `network`.
 */
export function registerAtmCrashables(network: Network, built: BuiltAtm, hosts: readonly string[]): void {
  for (const [name, sw] of built.switches) network.registerCrashable(name, sw, sw.id);
  const sig = built.signalling;
  const programs = sig === undefined ? undefined : (name: string) => sig.hostCrashed?.(name);
  for (const name of hosts) {
    const nic = built.nics.get(name)!;
    const host = new AtmHostCrash(name, nic, built.ipHosts.get(name), sig?.hosts.get(name), programs);
    network.registerCrashable(name, host, nic.id);
  }
}
