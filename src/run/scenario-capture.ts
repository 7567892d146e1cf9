// Captures of a built scenario (`--pcap`, `outputs.pcap`): one pcap file per port, of every kind
// of port the scenario has.
//
// Contract:
// - Ethernet ports of hosts, switches and routers: LINKTYPE_ETHERNET files (captureAll). ATM
//   NICs (the atm section's hosts, routers' ATM interfaces): LINKTYPE_SUNATM files of the AAL5
//   PDUs each NIC sends and delivers (atm-capture.ts), LLC/SNAP or raw AAL5 told apart per PDU.
// - Files are named `<device>-<port>.pcap` (a router's ATM interface by its router port), the
//   names chosen over the whole scenario in one order (Ethernet devices, then ATM hosts, then
//   routers' ATM interfaces), so a partition that writes some of them gives each the name an
//   unpartitioned run gives it.
// - ports: "all", or the endpoints to capture (scenario endpoints: device and port); snaplen
//   and limit apply to every file. devices: only the devices a partition runs.
// - On failure the files opened so far are closed before the error leaves.

import { join } from "node:path";
import type { CaptureLimit } from "../base/units.js";
import { type AtmCapture, captureAtmNic } from "./atm-capture.js";
import type { BuiltScenario } from "./build-scenario.js";
import { captureAll, type CaptureFile, CaptureSet, PcapFileNames } from "./capture.js";

export interface ScenarioCaptureOptions {
  /** "all" (default) or the ports to capture. */
  ports?: "all" | readonly { device: string; port: number }[];
  snaplen?: number;
  limit?: CaptureLimit;
  /** Capture only the devices this returns true for (default: all). */
  devices?: (name: string) => boolean;
}

export function captureScenario(built: BuiltScenario, dir: string, options: ScenarioCaptureOptions = {}): CaptureSet {
  const wanted = portFilter(options.ports ?? "all");
  const names = new PcapFileNames();
  const common = {
    ...(options.snaplen !== undefined ? { snaplen: options.snaplen } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  };
  const ethernet = captureAll(
    built.network,
    dir,
    {
      ...common,
      ...(options.devices !== undefined ? { devices: options.devices } : {}),
      ...(wanted !== undefined ? { ports: wanted } : {}),
    },
    names,
  );
  const atm: AtmCapture[] = [];
  try {
    for (const { device, port, nicName } of atmPorts(built)) {
      const file = names.next(device, port);
      if (options.devices !== undefined && !options.devices(device)) continue;
      if (wanted !== undefined && !wanted(device, port)) continue;
      const nic = built.atm?.nics.get(nicName);
      if (nic === undefined) continue;
      atm.push(captureAtmNic(nic, join(dir, file), { ...common, llc: "auto" }));
    }
  } catch (e) {
    for (const c of atm) c.close();
    ethernet.close();
    throw e;
  }
  return new CaptureSet<CaptureFile>([...ethernet.captures, ...atm]);
}

function portFilter(
  ports: "all" | readonly { device: string; port: number }[],
): ((device: string, port: number) => boolean) | undefined {
  if (ports === "all") return undefined;
  const keys = new Set(ports.map((p) => `${p.device}:${p.port}`));
  return (device, port) => keys.has(`${device}:${port}`);
}

/** The ATM NICs of the scenario with the device and port they stand for, in a fixed order. */
function atmPorts(built: BuiltScenario): { device: string; port: number; nicName: string }[] {
  const atm = built.scenario.atm;
  if (atm === undefined) return [];
  const out = atm.hosts.map((h) => ({ device: h.name, port: 0, nicName: h.name }));
  for (const r of built.scenario.routers) {
    const router = built.network.router(r.name);
    router.interfaces.forEach((f, port) => {
      if (f.nic === undefined) out.push({ device: r.name, port, nicName: `${r.name}.${f.name}` });
    });
  }
  return out;
}
