// Test harness for TCP: hosts on a link or across a chain of routers, each with a TcpLayer that
// is destroyed before the IP support's afterEach checks for leaked frames.
import { createHash } from "node:crypto";
import { afterEach } from "vitest";
import { PointToPointLink, type LinkOptions } from "../../../src/devices/link.js";
import type { EthernetNic } from "../../../src/devices/nic.js";
import { Router } from "../../../src/stacks/ip/router.js";
import { TcpLayer, type TcpLayerOptions } from "../../../src/stacks/tcp/tcp-layer.js";
import type { TcpConnection } from "../../../src/stacks/tcp/tcp-connection.js";
import { world } from "../ip/support.js";
import { EV_FRAME_RX } from "../../../src/devices/device.js";
import type { Simulation } from "../../../src/engine/simulation.js";
import { crc32 } from "../../../src/kernels/checksum.js";
import type { IpHost } from "../../../src/stacks/ip/ip-host.js";
import { writeMac } from "../../../src/wire/ethernet.js";
import { Ipv4View, createIpv4Repr, emitIpv4 } from "../../../src/wire/ipv4.js";
import { TCP_HEADER_LEN, TcpView, createTcpRepr, emitTcp } from "../../../src/wire/tcp.js";

const layers: TcpLayer[] = [];
const routers: Router[] = [];
// Registered after ip/support.ts's hook, so it runs first: TCP releases its slots and timers.
afterEach(() => {
  for (const l of layers.splice(0)) l.destroy();
  for (const r of routers.splice(0)) r.destroy();
});

export const FAST: LinkOptions = { rate: 1e9, delay: 5000 };

/** Hosts a (10.0.0.1) and b (10.0.0.2) on one link, each with a TcpLayer. */
export function tcpPair(
  options: { seed?: number; link?: LinkOptions; frameSlots?: number; tcp?: TcpLayerOptions } = {},
) {
  const w = world(options.seed ?? 1, options.frameSlots ?? 1024);
  const A = w.host("a", { address: "10.0.0.1/24" });
  const B = w.host("b", { address: "10.0.0.2/24" });
  const link = w.link(A.nic, 0, B.nic, options.link ?? FAST);
  const ta = new TcpLayer(A, options.tcp);
  const tb = new TcpLayer(B, options.tcp);
  layers.push(ta, tb);
  return { ...w, A, B, link, ta, tb };
}

/**
 * a (10.0.0.10) -- r1 -- r2 -- ... -- rN -- b (10.0.N.10): subnet k joins node k and k + 1.
 * `links[k]` is the link of subnet k (a..r1 is 0, rN..b is N).
 */
export function tcpChain(
  n: number,
  link: LinkOptions,
  options: { seed?: number; frameSlots?: number; tcp?: TcpLayerOptions } = {},
) {
  const w = world(options.seed ?? 1, options.frameSlots ?? 4096);
  const A = w.host("a", { address: "10.0.0.10/24", gateway: "10.0.0.1" });
  const B = w.host("b", { address: `10.0.${n}.10/24`, gateway: `10.0.${n}.2` });
  const rs: Router[] = [];
  for (let i = 1; i <= n; i++) {
    const routes = [];
    for (let j = 0; j < i - 1; j++) routes.push({ prefix: `10.0.${j}.0/24`, via: `10.0.${i - 1}.2` });
    for (let j = i + 1; j <= n; j++) routes.push({ prefix: `10.0.${j}.0/24`, via: `10.0.${i}.1` });
    const r = new Router(w.sim, `r${i}`, {
      interfaces: [
        { name: "left", address: `10.0.${i - 1}.1/24` },
        { name: "right", address: `10.0.${i}.2/24` },
      ],
      routes,
    });
    routers.push(r);
    rs.push(r);
  }
  const links: PointToPointLink[] = [];
  const join = (a: EthernetNic | Router, ap: number, b: EthernetNic | Router, bp: number) => {
    const l = new PointToPointLink(w.sim, `${a.name}:${ap}-${b.name}:${bp}`, link);
    a.attach(ap, l, 0);
    b.attach(bp, l, 1);
    links.push(l);
  };
  join(A.nic, 0, rs[0]!, 0);
  for (let i = 0; i < n - 1; i++) join(rs[i]!, 1, rs[i + 1]!, 0);
  join(rs[n - 1]!, 1, B.nic, 0);
  const ta = new TcpLayer(A, options.tcp);
  const tb = new TcpLayer(B, options.tcp);
  layers.push(ta, tb);
  return { ...w, A, B, ta, tb, routers: rs, links };
}

/**
 * Delivers a hand-made TCP segment (no options; `data` payload bytes of 0x5a) from `from` to
 * `to` straight into `to`'s NIC, as if it had just arrived: real IPv4 and TCP checksums and FCS.
 */
export function arriveSegment(
  sim: Simulation,
  from: IpHost,
  to: IpHost,
  fields: { srcPort: number; dstPort: number; seq: number; ack: number; flags: number; data?: number },
): void {
  const data = fields.data ?? 0;
  const r = { ...createTcpRepr(), ...fields, seqNumber: fields.seq, ackNumber: fields.ack, window: 8192 };
  r.payloadLength = data;
  const len = TCP_HEADER_LEN + data;
  const frames = sim.frames;
  const f = frames.alloc(64, sim.now);
  frames.setLength(f, len);
  const u8 = sim.runtime.u8;
  u8.fill(0x5a, frames.offset(f) + TCP_HEADER_LEN, frames.offset(f) + len);
  emitTcp(r, new TcpView(u8, frames.offset(f), len), from.ip, to.ip);
  const ip = { ...createIpv4Repr(), src: from.ip, dst: to.ip, protocol: 6, payloadLength: len };
  emitIpv4(ip, new Ipv4View(u8, frames.push(f, 20), 20 + len));
  const e = frames.push(f, 14);
  writeMac(u8, e, to.mac);
  writeMac(u8, e + 6, from.mac);
  u8[e + 12] = 0x08;
  u8[e + 13] = 0x00;
  // Padded to the 60-byte minimum, then the FCS, as the sending NIC would.
  const body = Math.max(60, frames.length[f]!);
  u8.fill(0, frames.offset(f) + frames.length[f]!, frames.offset(f) + body);
  frames.setLength(f, body + 4);
  const crc = crc32(u8.subarray(frames.offset(f), frames.offset(f) + body));
  new DataView(u8.buffer, u8.byteOffset).setUint32(frames.offset(f) + body, crc, true);
  to.nic.handleEvent(EV_FRAME_RX, f, 0, body + 4);
}

/** Seeded random bytes (xorshift32): incompressible test data. */
export function randomBytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

export function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

/** Collects what a connection delivers: a running sha256, the byte count, the order of events. */
export function sink(c: TcpConnection, keep = false) {
  const hash = createHash("sha256");
  const s = {
    bytes: 0,
    chunks: [] as Uint8Array[],
    ended: false,
    closed: undefined as string | undefined,
    error: undefined as string | undefined,
    digest: () => hash.copy().digest("hex"),
    data: () => Buffer.concat(s.chunks),
  };
  c.onData((u8, off, len) => {
    const v = u8.subarray(off, off + len);
    hash.update(v);
    if (keep) s.chunks.push(v.slice());
    s.bytes += len;
  });
  c.onEnd(() => (s.ended = true));
  c.onClose((r) => (s.closed = r));
  c.onError((r) => (s.error = r));
  return s;
}

/** Writes all of `data` as the buffer allows (onWritable wakes it), then end() when `end`. */
export function pump(c: TcpConnection, data: Uint8Array, end = true) {
  let off = 0;
  const go = (): void => {
    while (off < data.length) {
      const n = c.write(data, off, data.length - off);
      off += n;
      if (n === 0 || off < data.length) return;
    }
    if (end) c.end();
  };
  c.onWritable(go);
  go();
  return { written: () => off };
}
