// Device ports as the scenario names them: "host", "switch:3" (a port number) and
// "router:eth1" (an interface name), resolved against the namespace; and which segment or
// link holds each port (a port is connected once).

import { suggest } from "../base/did-you-mean.js";
import { type Namespace, isDevice } from "./check-names.js";
import type { Checker } from "./checks.js";
import type { ScenarioEndpoint } from "./scenario-types.js";
import { show } from "./wording.js";

export class Endpoints {
  /** "device:port" -> who connects it. */
  private readonly portUse = new Map<string, string>();

  constructor(
    private readonly c: Checker,
    private readonly names: Namespace,
  ) {}

  resolve(v: unknown, path: string): ScenarioEndpoint | undefined {
    const c = this.c;
    const s = c.str(v, path);
    if (s === undefined) return undefined;
    const m = /^([^:]*)(?::(.*))?$/.exec(s)!;
    const dev = m[1]!;
    const port = m[2];
    const entry = this.names.get(dev);
    if (entry === undefined || !isDevice(entry)) {
      const sug = suggest(dev, this.names.namesOf(isDevice));
      return c.error(path, `there is no device named "${dev}"${sug ? ` (did you mean "${sug}"?)` : ""}`);
    }
    if (entry.kind === "host") {
      if (port !== undefined && port !== "0") return c.error(path, `host ${dev} has one interface; write "${dev}"`);
      return { device: dev, kind: "host", port: 0, interface: undefined };
    }
    if (entry.kind === "switch") {
      if (port === undefined) return c.error(path, `${dev} is a switch; name a port, like "${dev}:0"`);
      if (!/^\d+$/.test(port)) return c.error(path, `${show(port)} is not a port number of switch ${dev}`);
      const n = Number(port);
      if (n >= entry.ports!) return c.error(path, `switch ${dev} has no port ${n} (ports 0 to ${entry.ports! - 1})`);
      return { device: dev, kind: "switch", port: n, interface: undefined };
    }
    const ifs = entry.interfaces ?? [];
    if (port === undefined)
      return c.error(path, `${dev} is a router; name an interface, like "${dev}:${ifs[0] ?? "eth0"}"`);
    const idx = ifs.indexOf(port);
    if (idx < 0) {
      const sug = suggest(port, ifs);
      return c.error(path, `router ${dev} has no interface "${port}"${sug ? ` (did you mean "${sug}"?)` : ""}`);
    }
    return { device: dev, kind: "router", port: idx, interface: port };
  }

  /** Records that `by` connects port `e` (a problem if something already does). */
  use(e: ScenarioEndpoint | undefined, path: string, by: string): void {
    if (e === undefined) return;
    const key = `${e.device}:${e.port}`;
    const prior = this.portUse.get(key);
    const shown = e.kind === "router" ? `${e.device}:${e.interface}` : e.kind === "host" ? e.device : key;
    if (prior !== undefined) this.c.error(path, `${shown} is already connected by ${prior}`);
    else this.portUse.set(key, by);
  }
}

/** "device:port" with the port number (a link's default name is two of these). */
export function endpointText(e: ScenarioEndpoint): string {
  return `${e.device}:${e.port}`;
}
