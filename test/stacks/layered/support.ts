// Harness for the layered-stack tests: a group of hosts (EthernetNic + HostCpu + LayeredStack)
// on one link (two members) or a switch (more), or the same over ATM (AtmNic, OC-3 AtmLinks,
// one PVC per pair of members, an AtmSwitch for more than two or when asked), an application
// that records what it gets, and an after-each check that every frame slot, heap region and
// ATM reassembly buffer came back.
import { afterEach } from "vitest";
import { Simulation } from "../../../src/engine/simulation.js";
import { EthernetNic } from "../../../src/devices/nic.js";
import { PointToPointLink, type LinkOptions } from "../../../src/devices/link.js";
import { EthernetSwitch } from "../../../src/devices/ethernet-switch.js";
import { AtmNic } from "../../../src/devices/atm-nic.js";
import { AtmLink, type AtmLinkOptions } from "../../../src/devices/atm-link.js";
import { AtmSwitch } from "../../../src/devices/atm-switch.js";
import { HostCpu, loadCpuProfile, type CpuProfile } from "../../../src/stacks/cost.js";
import { LayeredStack, type LayeredStackOptions, type StackVariant } from "../../../src/stacks/layered/stack.js";
import { ALL } from "../../../src/stacks/layered/layer.js";
import { msgBytes } from "../../support/bytes.js";
import { heapBaseline, tearDown } from "../../support/leaks.js";

export { msgBytes };

interface Live {
  sim: Simulation;
  stacks: LayeredStack[];
  cpus: HostCpu[];
  nics: EthernetNic[];
  switches: EthernetSwitch[];
  atmNics: AtmNic[];
  atmSwitches: AtmSwitch[];
}
const live: Live[] = [];
const baseline = heapBaseline();

afterEach(() => {
  // Every reassembly buffer a stack kept (a received PDU waiting for its CPU job) must be back.
  tearDown(
    live.splice(0).map((e) => ({
      sim: e.sim,
      before: [...e.stacks, ...e.cpus],
      atmNics: e.atmNics,
      after: [...e.nics, ...e.switches, ...e.atmNics, ...e.atmSwitches],
    })),
    baseline,
  );
});

export interface Received {
  time: number;
  src: number;
  bytes: Uint8Array;
}

export interface GroupOptions {
  n?: number;
  layers: string[];
  variant?: StackVariant;
  profile?: CpuProfile | string;
  link?: LinkOptions;
  seed?: number;
  frameSlots?: number;
  slotBytes?: number;
  rxBuffers?: number;
  extra?: Partial<LayeredStackOptions>;
  /** Run over ATM instead of Ethernet. */
  atm?: AtmGroupOptions;
}

export interface AtmGroupOptions {
  /** Put an AtmSwitch between the two members (always there for more than two). */
  switch?: boolean;
  /** Each AtmLink (default OC-3, 5 us). */
  link?: AtmLinkOptions;
  maxPdu?: number;
  rxBuffers?: number;
}

/** VCI member i uses towards member j (the switch rewrites it to what j uses towards i). */
export function atmVci(j: number): number {
  return 32 + j;
}

/** ATM hosts: nics[i], and vcs[i][j] = member i's circuit to member j (-1 on the diagonal). */
function atmNetwork(sim: Simulation, entry: Live, n: number, o: AtmGroupOptions) {
  const linkOptions: AtmLinkOptions = o.link ?? { rate: "OC-3", delay: "5us" };
  const nics: AtmNic[] = [];
  for (let i = 0; i < n; i++) {
    const nic = new AtmNic(sim, `h${i}`, { maxPdu: o.maxPdu ?? 9180, rxBuffers: o.rxBuffers ?? 64 });
    nics.push(nic);
    entry.atmNics.push(nic);
  }
  const links: AtmLink[] = [];
  if (n === 2 && o.switch !== true) {
    const l = new AtmLink(sim, "l0", linkOptions);
    nics[0]!.attach(0, l, 0);
    nics[1]!.attach(0, l, 1);
    links.push(l);
  } else {
    const sw = new AtmSwitch(sim, "sw", { ports: n });
    entry.atmSwitches.push(sw);
    for (let i = 0; i < n; i++) {
      const l = new AtmLink(sim, `l${i}`, linkOptions);
      nics[i]!.attach(0, l, 0);
      sw.attach(i, l, 1);
      links.push(l);
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) sw.addPvc(i, 0, atmVci(j), j, 0, atmVci(i));
  }
  const direct = n === 2 && o.switch !== true;
  const vcs = nics.map((nic, i) =>
    // On a bare link both ends see the cells as sent: one VCI names the pair.
    Array.from({ length: n }, (_, j) => (i === j ? -1 : nic.openVc(0, direct ? atmVci(0) : atmVci(j)))),
  );
  return { nics, links, vcs };
}

export function mac(i: number): number {
  return 0x0200_0000_0010 + i;
}

export function group(o: GroupOptions) {
  const n = o.n ?? 2;
  const sim = new Simulation({ seed: o.seed ?? 1, frameSlots: o.frameSlots ?? 512, slotBytes: o.slotBytes ?? 2048 });
  const entry: Live = { sim, stacks: [], cpus: [], nics: [], switches: [], atmNics: [], atmSwitches: [] };
  live.push(entry);
  const profile = typeof o.profile === "object" ? o.profile : loadCpuProfile(o.profile ?? "workstation-1995");
  const atm = o.atm === undefined ? undefined : atmNetwork(sim, entry, n, o.atm);
  const linkOptions: LinkOptions = o.link ?? { rate: "10Mbps", delay: "5us" };
  const nics: EthernetNic[] = [];
  for (let i = 0; i < n && atm === undefined; i++) {
    const nic = new EthernetNic(sim, `h${i}`, { mac: mac(i), rxBuffers: o.rxBuffers ?? 64 });
    nics.push(nic);
    entry.nics.push(nic);
  }
  const links: PointToPointLink[] = [];
  if (atm !== undefined) {
    // no Ethernet
  } else if (n === 2) {
    const l = new PointToPointLink(sim, "l0", linkOptions);
    nics[0]!.attach(0, l, 0);
    nics[1]!.attach(0, l, 1);
    links.push(l);
  } else {
    const sw = new EthernetSwitch(sim, "sw", { ports: n, agingTime: Infinity });
    entry.switches.push(sw);
    for (let i = 0; i < n; i++) {
      const l = new PointToPointLink(sim, `l${i}`, linkOptions);
      nics[i]!.attach(0, l, 0);
      sw.attach(i, l, 1);
      links.push(l);
    }
  }
  const members = nics.map((_, i) => mac(i));
  const received: Received[][] = [];
  const events: { time: number; ev: number; a: number; b: number }[][] = [];
  const stacks: LayeredStack[] = [];
  const cpus: HostCpu[] = [];
  for (let i = 0; i < n; i++) {
    const cpu = new HostCpu(sim, `h${i}.cpu`, profile);
    const net: Partial<LayeredStackOptions> =
      atm === undefined ? { nic: nics[i]!, members } : { atm: { nic: atm.nics[i]!, vcs: atm.vcs[i]! } };
    const stack = new LayeredStack(sim, `h${i}.stack`, {
      layers: o.layers,
      variant: o.variant ?? "layered",
      cpu,
      rank: i,
      ...net,
      ...o.extra,
    });
    const got: Received[] = [];
    const evs: { time: number; ev: number; a: number; b: number }[] = [];
    received.push(got);
    events.push(evs);
    stack.setApp({
      onMessage: (_s, ptr, length, src) =>
        got.push({ time: sim.now, src, bytes: sim.runtime.u8.slice(ptr, ptr + length) }),
      onEvent: (_s, ev, a, b) => evs.push({ time: sim.now, ev, a, b }),
    });
    stacks.push(stack);
    cpus.push(cpu);
    entry.stacks.push(stack);
    entry.cpus.push(cpu);
  }
  /** Sends `bytes` from member i (to the group unless dst). */
  const send = (i: number, bytes: Uint8Array, dst = ALL): boolean => {
    const s = stacks[i]!;
    const f = s.allocMessage(bytes.length);
    if (f < 0) return false;
    sim.runtime.u8.set(bytes, sim.frames.offset(f));
    return s.send(f, dst);
  };
  return { sim, nics, links, stacks, cpus, received, events, send, members, atm };
}
