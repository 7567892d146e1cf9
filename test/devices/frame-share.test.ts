// No single device takes the shared frame pool: each store that holds frames for a while is
// flooded past what the pool has, and another pair of hosts still exchanges every datagram
// (no NO_SLOT anywhere) while the flooded device holds at most its share, half the pool.
import { afterEach, describe, expect, it } from "vitest";
import { PointToPointLink } from "../../src/devices/link.js";
import { CsmaSegment } from "../../src/devices/csma-segment.js";
import { EthernetNic } from "../../src/devices/nic.js";
import { Simulation } from "../../src/engine/simulation.js";
import { IpHost } from "../../src/stacks/ip/ip-host.js";
import { Router } from "../../src/stacks/ip/router.js";
import { IP_PROTO_UDP, ipv4FromString } from "../../src/wire/ipv4.js";
import { injectIpv4 } from "../stacks/ip/support.js";

const POOL = 2048;
const SHARE = POOL / 2;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function sim(): Simulation {
  const s = new Simulation({ seed: 3, frameSlots: POOL });
  cleanups.push(() => {
    s.scheduler.runToIdle();
    expect(s.frames.leaks()).toEqual([]);
    s.destroy();
  });
  return s;
}

function nic(s: Simulation, name: string, rxBuffers = 64): EthernetNic {
  const n = new EthernetNic(s, name, { rxBuffers });
  cleanups.push(() => n.destroy());
  return n;
}

function host(s: Simulation, name: string, address: string, rxBuffers = 64): IpHost {
  const h = new IpHost(nic(s, name, rxBuffers), { address });
  cleanups.push(() => h.destroy());
  return h;
}

function link(
  s: Simulation,
  name: string,
  a: { attach: (p: number, l: PointToPointLink, e: 0 | 1) => void },
  ap: number,
  b: { attach: (p: number, l: PointToPointLink, e: 0 | 1) => void },
  bp: number,
  queueLimit = 1000,
) {
  const l = new PointToPointLink(s, name, { rate: 1e9, delay: 5000, queueLimit });
  a.attach(ap, l, 0);
  b.attach(bp, l, 1);
  return l;
}

/** Two hosts of their own exchange 200 datagrams while the flood is held; all must arrive. */
function bystanders(s: Simulation) {
  const x = host(s, "x", "10.99.0.1/24");
  const y = host(s, "y", "10.99.0.2/24");
  link(s, "x-y", x.nic, 0, y.nic, 0);
  const rx = y.bind(9);
  const tx = x.bind(1);
  return {
    exchange(): number {
      let got = 0;
      for (let i = 0; i < 200; i++) {
        tx.send(y.ip, 9, new Uint8Array(100));
        s.scheduler.run(s.now + 20_000);
        while (rx.recv() !== undefined) got++;
      }
      return got;
    },
  };
}

describe("the frame store's device share", () => {
  it("is half the pool", () => {
    expect(sim().frames.deviceShare).toBe(SHARE);
  });

  it("a link's queues hold at most the share, whatever queueLimit says", () => {
    const s = sim();
    const a = nic(s, "a");
    const b = nic(s, "b");
    // A 1 kbit/s link: nothing leaves while the flood is queued.
    const l = new PointToPointLink(s, "slow", { rate: 1000, queueLimit: 1_000_000 });
    a.attach(0, l, 0);
    b.attach(0, l, 1);
    expect(l.effectiveQueueLimit).toBe(SHARE / 2);
    const others = bystanders(s);
    for (let i = 0; i < POOL; i++) {
      const f = s.frames.alloc(64, s.now);
      s.frames.setLength(f, 64);
      l.transmit(0, f);
    }
    const st = l.stats(0);
    expect(st.queueHighWater).toBe(SHARE / 2);
    expect(st.drops).toEqual({ QUEUE_FULL: POOL - SHARE / 2 - 1 });
    expect(others.exchange()).toBe(200);
    expect(s.frames.pool.stats().allocFailures).toBe(0);
  });

  it("a NIC's receive chain holds at most the share, whatever rxBuffers says", () => {
    const s = sim();
    const flooded = host(s, "h", "10.1.0.2/24", 1 << 20); // its application never reads
    expect(flooded.nic.effectiveRxBuffers).toBe(SHARE / 2);
    const src = nic(s, "src");
    link(s, "src-h", src, 0, flooded.nic, 0);
    flooded.bind(9, { queueLimit: 1 << 20 }); // the socket would take it all: the chain bounds it
    const others = bystanders(s);
    for (let i = 0; i < POOL; i++) {
      injectIpv4(
        s,
        src,
        flooded.nic.mac,
        { protocol: IP_PROTO_UDP, src: ipv4FromString("10.1.0.1"), dst: flooded.ip },
        udp(9),
      );
      s.scheduler.run(s.now + 1_000);
    }
    expect(flooded.nic.stats().rxBuffersHighWater).toBe(SHARE / 2);
    expect(others.exchange()).toBe(200);
    expect(s.frames.pool.stats().allocFailures).toBe(0);
  });

  it("a router's ARP queues over all its interfaces hold at most its bound (DEVICE_QUEUE_FULL)", () => {
    const s = sim();
    const ifaces = Array.from({ length: 8 }, (_, i) => ({ name: `e${i}`, address: `10.${i}.0.1/16` }));
    const r = new Router(s, "r", { interfaces: ifaces });
    cleanups.push(() => r.destroy());
    const src = nic(s, "src");
    link(s, "src-r", src, 0, r, 0);
    // Nothing on the other interfaces answers ARP.
    for (let i = 1; i < 8; i++) link(s, `r-sink${i}`, r, i, nic(s, `sink${i}`), 0);
    const others = bystanders(s);
    let sent = 0;
    for (let i = 1; i < 8; i++)
      for (let k = 0; k < 600; k++) {
        const dst = ipv4FromString(`10.${i}.${(k >> 8) + 1}.${k & 255}`);
        injectIpv4(
          s,
          src,
          r.interfaces[0]!.mac,
          { protocol: IP_PROTO_UDP, src: ipv4FromString("10.0.0.2"), dst, ttl: 9 },
          udp(9),
        );
        s.scheduler.run(s.now + 1_000);
        sent++;
      }
    s.scheduler.run(s.now + 100_000); // the last few on the wire arrive
    const drops: Record<string, number> = {};
    for (const f of r.stats().interfaces)
      for (const [k, v] of Object.entries(f.arp.drops)) drops[k] = (drops[k] ?? 0) + v;
    // Each neighbour takes one frame (its queueLimit, 3, is never reached): e1 and e2 take 512
    // each (the rest of their 600 are QUEUE_TOTAL_FULL), which is the router's 1024 (its share of
    // a 2048-slot pool); everything for e3..e7 is DEVICE_QUEUE_FULL.
    expect(drops).toEqual({ QUEUE_TOTAL_FULL: 2 * 88, DEVICE_QUEUE_FULL: 5 * 600 });
    expect(sent).toBe(7 * 600);
    expect(others.exchange()).toBe(200);
    expect(s.frames.pool.stats().allocFailures).toBe(0);
  });

  it("a CSMA segment's station queues hold at most the share over all stations", () => {
    const s = sim();
    const stations = 16;
    const seg = new CsmaSegment(s, "bus", { stations, rate: 1000, queueLimit: 1000 });
    const nics = Array.from({ length: stations }, (_, i) => {
      const n = nic(s, `st${i}`);
      n.attach(0, seg, i);
      return n;
    });
    expect(seg.effectiveQueueTotal).toBe(SHARE);
    const others = bystanders(s);
    let refused = 0;
    for (let k = 0; k < 200; k++)
      for (const n of nics) {
        const f = s.frames.alloc(64, s.now);
        s.frames.setLength(f, 64);
        if (!seg.transmit(nics.indexOf(n), f)) refused++;
      }
    expect(refused).toBe(stations * 200 - SHARE);
    expect(others.exchange()).toBe(200);
    expect(s.frames.pool.stats().allocFailures).toBe(0);
  });
});

/** A UDP datagram (header and 32 zero bytes) to port `dst`, checksum 0 (none). */
function udp(dst: number): Uint8Array {
  const b = new Uint8Array(40);
  b[0] = 0x30;
  b[1] = 0x39;
  b[2] = dst >> 8;
  b[3] = dst & 255;
  b[4] = 0;
  b[5] = 40;
  return b;
}
