// Harness for the layered-stack tests: a group of hosts (EthernetNic + HostCpu + LayeredStack)
// on one link (two members) or a switch (more), an application that records what it gets, and
// an after-each check that every frame slot and heap region came back.
import { afterEach, expect } from "vitest";
import { Simulation } from "../../../src/engine/simulation.js";
import { EthernetNic } from "../../../src/devices/nic.js";
import { PointToPointLink, type LinkOptions } from "../../../src/devices/link.js";
import { EthernetSwitch } from "../../../src/devices/ethernet-switch.js";
import { getRuntime } from "../../../src/kernels/runtime.js";
import { HostCpu, loadCpuProfile, type CpuProfile } from "../../../src/stacks/cost.js";
import { LayeredStack, type LayeredStackOptions, type StackVariant } from "../../../src/stacks/layered/stack.js";
import { ALL } from "../../../src/stacks/layered/layer.js";

interface Live {
  sim: Simulation;
  stacks: LayeredStack[];
  cpus: HostCpu[];
  nics: EthernetNic[];
  switches: EthernetSwitch[];
}
const live: Live[] = [];
const heapBaseline = getRuntime().heap.stats().liveRegions;

afterEach(() => {
  const leaks: number[][] = [];
  for (const { sim, stacks, cpus, nics, switches } of live.splice(0)) {
    for (const s of stacks) s.destroy();
    for (const c of cpus) c.destroy();
    sim.scheduler.runToIdle();
    for (const n of nics) n.destroy();
    for (const sw of switches) sw.destroy();
    leaks.push(sim.frames.leaks());
    if (leaks.at(-1)!.length === 0) sim.destroy();
  }
  for (const l of leaks) expect(l).toEqual([]);
  expect(getRuntime().heap.stats().liveRegions).toBe(heapBaseline);
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
}

export function mac(i: number): number {
  return 0x0200_0000_0010 + i;
}

export function group(o: GroupOptions) {
  const n = o.n ?? 2;
  const sim = new Simulation({ seed: o.seed ?? 1, frameSlots: o.frameSlots ?? 512, slotBytes: o.slotBytes ?? 2048 });
  const entry: Live = { sim, stacks: [], cpus: [], nics: [], switches: [] };
  live.push(entry);
  const profile = typeof o.profile === "object" ? o.profile : loadCpuProfile(o.profile ?? "workstation-1995");
  const linkOptions: LinkOptions = o.link ?? { rate: "10Mbps", delay: "5us" };
  const nics: EthernetNic[] = [];
  for (let i = 0; i < n; i++) {
    const nic = new EthernetNic(sim, `h${i}`, { mac: mac(i), rxBuffers: o.rxBuffers ?? 64 });
    nics.push(nic);
    entry.nics.push(nic);
  }
  const links: PointToPointLink[] = [];
  if (n === 2) {
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
    const stack = new LayeredStack(sim, `h${i}.stack`, {
      layers: o.layers,
      variant: o.variant ?? "layered",
      cpu,
      nic: nics[i]!,
      rank: i,
      members,
      ...o.extra,
    });
    const got: Received[] = [];
    const evs: { time: number; ev: number; a: number; b: number }[] = [];
    received.push(got);
    events.push(evs);
    stack.setApp({
      onMessage: (_s, ptr, length, src) => got.push({ time: sim.now, src, bytes: sim.runtime.u8.slice(ptr, ptr + length) }),
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
  return { sim, nics, links, stacks, cpus, received, events, send, members };
}

/** Deterministic bytes (32-bit LCG), first byte = tag so messages are told apart. */
export function msgBytes(length: number, tag: number): Uint8Array {
  const b = new Uint8Array(length);
  let x = (tag * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  if (length > 0) b[0] = tag & 0xff;
  return b;
}
