// Harness for the accelerator tests: two hosts on a point-to-point path (Ethernet link, or an
// OC-3 ATM link, optionally through an ATM switch), each with a HostCpu and either an
// AcceleratedStack or a plain LayeredStack on the same layers; an application that records
// what it gets; an after-each check that every frame slot, heap region and ATM reassembly
// buffer came back.
import { afterEach } from "vitest";
import { AtmLink, type AtmLinkOptions } from "../../../src/devices/atm-link.js";
import { AtmNic } from "../../../src/devices/atm-nic.js";
import { AtmSwitch } from "../../../src/devices/atm-switch.js";
import { PointToPointLink, type LinkOptions } from "../../../src/devices/link.js";
import { EthernetNic } from "../../../src/devices/nic.js";
import { Simulation } from "../../../src/engine/simulation.js";
import { AcceleratedStack, type AcceleratedStackOptions } from "../../../src/stacks/accel/accelerator.js";
import { HostCpu, loadCpuProfile } from "../../../src/stacks/cost.js";
import { ALL } from "../../../src/stacks/layered/layer.js";
import { LayeredStack } from "../../../src/stacks/layered/stack.js";
import type { MessageStack } from "../../../src/stacks/message-stack.js";
import { msgBytes } from "../../support/bytes.js";
import { heapBaseline, tearDown } from "../../support/leaks.js";

export { msgBytes };

interface Live {
  sim: Simulation;
  stacks: MessageStack[];
  cpus: HostCpu[];
  devices: { destroy(): void }[];
  atmNics: AtmNic[];
}
const live: Live[] = [];
const baseline = heapBaseline();

afterEach(() => {
  tearDown(
    live.splice(0).map((e) => ({ sim: e.sim, before: [...e.stacks, ...e.cpus], atmNics: e.atmNics, after: e.devices })),
    baseline,
  );
});

export const FIVE_LAYERS = ["TOTAL", "FC", "NAK", "FRAG", "COM"];

export interface Received {
  time: number;
  src: number;
  bytes: Uint8Array;
}

export interface PairOptions {
  kind: "accelerated" | "layered";
  layers?: string[];
  net?: "ethernet" | "atm";
  /** ATM: through a switch. */
  atmSwitch?: boolean;
  ethLink?: LinkOptions;
  atmLink?: AtmLinkOptions;
  profile?: string;
  seed?: number;
  slotBytes?: number;
  frameSlots?: number;
  extra?: Partial<AcceleratedStackOptions>;
}

export function mac(i: number): number {
  return 0x0200_0000_0020 + i;
}

export function pair(o: PairOptions) {
  const sim = new Simulation({ seed: o.seed ?? 1, frameSlots: o.frameSlots ?? 512, slotBytes: o.slotBytes ?? 16384 });
  const entry: Live = { sim, stacks: [], cpus: [], devices: [], atmNics: [] };
  live.push(entry);
  const profile = loadCpuProfile(o.profile ?? "workstation-1995");
  const layers = o.layers ?? FIVE_LAYERS;
  const net = o.net ?? "ethernet";
  const nets: Partial<AcceleratedStackOptions>[] = [];
  const eth: EthernetNic[] = [];
  const atm: AtmNic[] = [];
  if (net === "ethernet") {
    const l = new PointToPointLink(sim, "l0", o.ethLink ?? { rate: "155Mbps", delay: "5us" });
    for (let i = 0; i < 2; i++) {
      const nic = new EthernetNic(sim, `h${i}`, { mac: mac(i), rxBuffers: 64 });
      nic.attach(0, l, i);
      eth.push(nic);
      entry.devices.push(nic);
      nets.push({ nic, members: [mac(0), mac(1)] });
    }
  } else {
    for (let i = 0; i < 2; i++) {
      const nic = new AtmNic(sim, `h${i}`, { rxBuffers: 64 });
      atm.push(nic);
      entry.atmNics.push(nic);
    }
    const lo = o.atmLink ?? { rate: "OC-3", delay: "5us" };
    if (o.atmSwitch) {
      const sw = new AtmSwitch(sim, "sw", { ports: 2 });
      const la = new AtmLink(sim, "l0", lo);
      const lb = new AtmLink(sim, "l1", lo);
      atm[0]!.attach(0, la, 0);
      sw.attach(0, la, 1);
      sw.attach(1, lb, 0);
      atm[1]!.attach(0, lb, 1);
      sw.addPvc(0, 0, 32, 1, 0, 33);
      sw.addPvc(1, 0, 33, 0, 0, 32);
      nets.push({ atm: { nic: atm[0]!, vcs: [-1, atm[0]!.openVc(0, 32)] } });
      nets.push({ atm: { nic: atm[1]!, vcs: [atm[1]!.openVc(0, 33), -1] } });
      entry.devices.push(...atm, sw);
    } else {
      const l = new AtmLink(sim, "l0", lo);
      atm[0]!.attach(0, l, 0);
      atm[1]!.attach(0, l, 1);
      nets.push({ atm: { nic: atm[0]!, vcs: [-1, atm[0]!.openVc(0, 32)] } });
      nets.push({ atm: { nic: atm[1]!, vcs: [atm[1]!.openVc(0, 32), -1] } });
      entry.devices.push(...atm);
    }
  }
  const cpus: HostCpu[] = [];
  const stacks: MessageStack[] = [];
  const received: Received[][] = [[], []];
  for (let i = 0; i < 2; i++) {
    const cpu = new HostCpu(sim, `h${i}.cpu`, profile);
    cpus.push(cpu);
    entry.cpus.push(cpu);
    const common = { layers, cpu, rank: i, ...nets[i]!, ...o.extra };
    const s: MessageStack =
      o.kind === "accelerated"
        ? new AcceleratedStack(sim, `h${i}.accel`, common as AcceleratedStackOptions)
        : new LayeredStack(sim, `h${i}.stack`, { ...common, variant: "layered" } as never);
    s.setApp({
      onMessage: (_s, ptr, length, src) =>
        received[i]!.push({ time: sim.now, src, bytes: sim.runtime.u8.slice(ptr, ptr + length) }),
    });
    stacks.push(s);
    entry.stacks.push(s);
  }
  const send = (i: number, bytes: Uint8Array, dst = ALL): boolean => {
    const s = stacks[i]!;
    const f = s.allocMessage(bytes.length);
    if (f < 0) return false;
    sim.runtime.u8.set(bytes, sim.frames.offset(f));
    return s.send(f, dst);
  };
  return { sim, stacks, cpus, received, send, eth, atm };
}
