// Harness for the zero-copy configurations (U-Net endpoints, Active Messages): two hosts, each
// a NIC (AtmNic on an OC-3 AtmLink, or EthernetNic on a point-to-point link) + HostCpu +
// UnetDevice, and an after-each check that every frame slot and heap region came back.
import { afterEach } from "vitest";
import { Simulation } from "../../src/engine/simulation.js";
import { AtmNic } from "../../src/devices/atm-nic.js";
import { AtmLink } from "../../src/devices/atm-link.js";
import { EthernetNic } from "../../src/devices/nic.js";
import { PointToPointLink } from "../../src/devices/link.js";
import { HostCpu, loadCpuProfile } from "../../src/stacks/cost.js";
import { UnetDevice, type UnetChannelSpec } from "../../src/stacks/unet/unet-device.js";
import type { MessageStack } from "../../src/stacks/message-stack.js";
import { msgBytes } from "../support/bytes.js";
import { heapBaseline, tearDown } from "../support/leaks.js";

export { msgBytes };

export type NicKind = "atm" | "ethernet";

interface Live {
  sim: Simulation;
  /** Protocol clients above the stacks (IpHost, TcpLayer, a U-Net IP link): destroyed first, in order. */
  clients?: { destroy(): void }[];
  stacks: MessageStack[];
  devices: UnetDevice[];
  cpus: HostCpu[];
  nics: (AtmNic | EthernetNic)[];
}
const live: Live[] = [];
const baseline = heapBaseline();

afterEach(() => {
  tearDown(
    live.splice(0).map((e) => ({
      sim: e.sim,
      before: [...(e.clients ?? []), ...e.stacks, ...e.devices, ...e.cpus],
      atmNics: [],
      after: e.nics,
    })),
    baseline,
  );
});

export function mac(i: number): number {
  return 0x0200_0000_0020 + i;
}

export interface PairOptions {
  profile?: string;
  /** ATM: AtmLink rate (default OC-3); Ethernet: bit rate (default 10Mbps). */
  rate?: string;
  delay?: string;
  slotBytes?: number;
  frameSlots?: number;
  /** EtherType of the devices (Active Messages on Ethernet). */
  etherType?: number;
  /** Ethernet MTU (jumbo frames for 8 KB messages). */
  mtu?: number;
  /** NIC receive buffers (AtmNic reassembly buffers / Ethernet receive chain). */
  nicBuffers?: number;
  /** Build devices (false: the test builds its own on nics). */
  devices?: boolean;
}

export interface Pair {
  kind: NicKind;
  sim: Simulation;
  nics: (AtmNic | EthernetNic)[];
  cpus: HostCpu[];
  devices: UnetDevice[];
  link: AtmLink | PointToPointLink;
  /** Registers a stack for the after-each destroy. */
  track<T extends MessageStack>(s: T): T;
  /** Registers a device for the after-each destroy. */
  trackDevice(d: UnetDevice): UnetDevice;
  /** Registers a client (IpHost, TcpLayer, link) destroyed before the stacks, in call order. */
  trackClient<T extends { destroy(): void }>(c: T): T;
  /** The address of channel number k from host `from` to host `to` (same VCI / tag both ways). */
  spec(from: number, to: number, k?: number): UnetChannelSpec;
}

export function pair(kind: NicKind, o: PairOptions = {}): Pair {
  const sim = new Simulation({ seed: 1, frameSlots: o.frameSlots ?? 512, slotBytes: o.slotBytes ?? 2048 });
  const entry: Live = { sim, stacks: [], devices: [], cpus: [], nics: [] };
  live.push(entry);
  const profile = loadCpuProfile(o.profile ?? "workstation-1995");
  const nics: (AtmNic | EthernetNic)[] = [];
  let link: AtmLink | PointToPointLink;
  if (kind === "atm") {
    link = new AtmLink(sim, "l", { rate: o.rate ?? "OC-3", delay: o.delay ?? "1us" });
    for (let i = 0; i < 2; i++) nics.push(new AtmNic(sim, `h${i}.nic`, { rxBuffers: o.nicBuffers ?? 64 }));
  } else {
    link = new PointToPointLink(sim, "l", { rate: o.rate ?? "10Mbps", delay: o.delay ?? "1us" });
    for (let i = 0; i < 2; i++) {
      nics.push(
        new EthernetNic(sim, `h${i}.nic`, {
          mac: mac(i),
          rxBuffers: o.nicBuffers ?? 64,
          ...(o.mtu ? { mtu: o.mtu } : {}),
        }),
      );
    }
  }
  nics[0]!.attach(0, link, 0);
  nics[1]!.attach(0, link, 1);
  entry.nics.push(...nics);
  const cpus = nics.map((_, i) => new HostCpu(sim, `h${i}.cpu`, profile));
  entry.cpus.push(...cpus);
  const devices: UnetDevice[] = [];
  if (o.devices !== false) {
    for (let i = 0; i < 2; i++) {
      devices.push(
        new UnetDevice(sim, `h${i}.unet`, { nic: nics[i]!, ...(o.etherType ? { etherType: o.etherType } : {}) }),
      );
    }
    entry.devices.push(...devices);
  }
  return {
    kind,
    sim,
    nics,
    cpus,
    devices,
    link,
    track<T extends MessageStack>(s: T): T {
      entry.stacks.push(s);
      return s;
    },
    trackDevice(d: UnetDevice): UnetDevice {
      entry.devices.push(d);
      return d;
    },
    trackClient<T extends { destroy(): void }>(c: T): T {
      (entry.clients ??= []).push(c);
      return c;
    },
    spec(from: number, to: number, k = 0): UnetChannelSpec {
      void from;
      return kind === "atm" ? { vpi: 0, vci: 100 + k } : { mac: mac(to), tag: 100 + k, remoteTag: 100 + k };
    },
  };
}

/** Writes `bytes` into a message of stack s and sends it to dst; false when refused or no buffer. */
export function sendBytes(s: MessageStack, bytes: Uint8Array, dst?: number): boolean {
  const f = s.allocMessage(bytes.length);
  if (f < 0) return false;
  s.u8.set(bytes, s.frames.offset(f));
  return s.send(f, dst);
}

/** AAL5 goodput of `size`-byte PDUs on a link of `cellBitsPerSecond` (bit/s). */
export function aal5Goodput(size: number, cellBitsPerSecond: number): number {
  const cells = Math.ceil((size + 8) / 48);
  return (size * 8 * cellBitsPerSecond) / (cells * 53 * 8);
}
