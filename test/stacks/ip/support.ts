// Test harness for the IP host stack: simulations whose frame stores must be empty after each
// test, hosts on a link or a switch, and a raw NIC that injects hand-made IPv4 packets.
import { afterEach, expect } from "vitest";
import { Simulation } from "../../../src/engine/simulation.js";
import { EthernetNic } from "../../../src/devices/nic.js";
import { PointToPointLink, type LinkOptions } from "../../../src/devices/link.js";
import type { EthernetSwitch } from "../../../src/devices/ethernet-switch.js";
import { IpHost, type IpHostOptions } from "../../../src/stacks/ip/ip-host.js";
import { ETHERTYPE_IPV4, writeMac } from "../../../src/wire/ethernet.js";
import { Ipv4View, createIpv4Repr, emitIpv4, type Ipv4Repr } from "../../../src/wire/ipv4.js";

interface Live {
  sim: Simulation;
  hosts: IpHost[];
  nics: EthernetNic[];
}
const live: Live[] = [];

afterEach(() => {
  for (const { sim, hosts, nics } of live.splice(0)) {
    for (const h of hosts) h.destroy();
    sim.scheduler.runToIdle();
    for (const n of nics) n.destroy();
    expect(sim.frames.leaks()).toEqual([]);
    sim.destroy();
  }
});

export const LINK: LinkOptions = { rate: 1e9, delay: 5000 };

export function world(seed = 1, frameSlots = 256) {
  const sim = new Simulation({ seed, frameSlots });
  const entry: Live = { sim, hosts: [], nics: [] };
  live.push(entry);
  const nic = (name: string, rxBuffers = 64): EthernetNic => {
    const n = new EthernetNic(sim, name, { rxBuffers });
    entry.nics.push(n);
    return n;
  };
  const host = (name: string, options: IpHostOptions, rxBuffers = 64): IpHost => {
    const h = new IpHost(nic(name, rxBuffers), options);
    entry.hosts.push(h);
    return h;
  };
  const link = (a: EthernetNic | EthernetSwitch, ap: number, b: EthernetNic, options: LinkOptions = LINK) => {
    const l = new PointToPointLink(sim, `${a.name}:${ap}-${b.name}`, options);
    a.attach(ap, l, 0);
    b.attach(0, l, 1);
    return l;
  };
  return { sim, nic, host, link };
}

/** Two hosts 10.0.0.1 and 10.0.0.2 on one 1 Gbit/s, 5 us link. */
export function pair(seed = 1, a: Partial<IpHostOptions> = {}, b: Partial<IpHostOptions> = {}, frameSlots = 256) {
  const w = world(seed, frameSlots);
  const A = w.host("a", { address: "10.0.0.1/24", ...a });
  const B = w.host("b", { address: "10.0.0.2/24", ...b });
  w.link(A.nic, 0, B.nic);
  return { ...w, A, B };
}

/** Sends a hand-made IPv4 packet from a raw NIC; `mutate` may damage the header after emit. */
export function injectIpv4(
  sim: Simulation,
  from: EthernetNic,
  dstMac: number,
  fields: Partial<Ipv4Repr>,
  payload: Uint8Array,
  mutate?: (header: Uint8Array, at: number) => void,
): void {
  const frames = sim.frames;
  const f = frames.alloc(64, sim.now);
  if (f < 0) throw new Error("no frame slot");
  frames.setLength(f, payload.length);
  const u8 = sim.runtime.u8;
  u8.set(payload, frames.offset(f));
  const repr = { ...createIpv4Repr(), ...fields, payloadLength: payload.length };
  const at = frames.push(f, 20);
  emitIpv4(repr, new Ipv4View(u8, at, 20 + payload.length));
  mutate?.(u8, at);
  const e = frames.push(f, 14);
  writeMac(u8, e, dstMac);
  writeMac(u8, e + 6, from.mac);
  u8[e + 12] = ETHERTYPE_IPV4 >>> 8;
  u8[e + 13] = ETHERTYPE_IPV4 & 0xff;
  from.send(f);
}

/** Link timing: serialization of an L-byte frame (FCS included) plus 20 bytes overhead, plus delay. */
export function hopNs(frameLen: number, rate = 1e9, delay = 5000): number {
  return Math.ceil(((frameLen + 20) * 8 * 1e9) / rate) + delay;
}

export function pattern(n: number, seed = 7): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return b;
}
