// IP over U-Net: an IpHost (UDP, ICMP, TcpLayer) whose link is a U-Net endpoint channel
// (UnetIpLink), on OC-3 ATM and on Ethernet: bytes, checksums, copies, CPU charges, TCP bulk
// with cell loss, 1 KB UDP goodput near the AAL5 limit, free-queue exhaustion.
import { describe, expect, it } from "vitest";
import { NetloomError } from "../../../src/base/errors.js";
import { OC3_CELL_BITS_PER_S, type AtmLink } from "../../../src/devices/atm-link.js";
import type { AtmNic } from "../../../src/devices/atm-nic.js";
import { IpHost, type AnyIpHost } from "../../../src/stacks/ip/ip-host.js";
import { PatternChecker } from "../../../src/stacks/tcp/pattern.js";
import { TcpLayer } from "../../../src/stacks/tcp/tcp-layer.js";
import { UnetIpLink, type UnetIpLinkOptions } from "../../../src/stacks/unet/unet-ip-link.js";
import { aal5Goodput, msgBytes, pair, type NicKind, type Pair, type PairOptions } from "../support-zero-copy.js";

const ADDR = ["10.9.0.1", "10.9.0.2"];
type LinkOptions = Partial<Omit<UnetIpLinkOptions, "device" | "cpu" | "peers">>;

interface Env {
  p: Pair;
  links: UnetIpLink[];
  hosts: AnyIpHost[];
  tcp: TcpLayer[];
}

/** Two hosts 10.9.0.1 / 10.9.0.2, each an IpHost on a UnetIpLink (one channel to the other), registered. */
function ipPair(kind: NicKind, o: PairOptions & { a?: LinkOptions; b?: LinkOptions; mtu?: number } = {}): Env {
  const p = pair(kind, { frameSlots: 1024, ...o });
  const env: Env = { p, links: [], hosts: [], tcp: [] };
  // TCP, then the hosts (they give kept frames back to the links), then the links' endpoints.
  p.trackClient({
    destroy: () => {
      for (const t of env.tcp) t.destroy();
      for (const h of env.hosts) h.destroy();
      for (const l of env.links) l.destroy();
    },
  });
  for (let i = 0; i < 2; i++) {
    const link = new UnetIpLink(p.sim, `h${i}.uip`, {
      device: p.devices[i]!,
      cpu: p.cpus[i]!,
      peers: { [ADDR[1 - i]!]: p.spec(i, 1 - i) },
      ...(i === 0 ? o.a : o.b),
    });
    env.links.push(link);
    env.hosts.push(new IpHost(link.nic, { address: `${ADDR[i]}/24`, link, ...(o.mtu ? { mtu: o.mtu } : {}) }));
  }
  p.sim.scheduler.runUntil(p.sim.now + 2_000_000); // registration system calls
  expect(env.links[0]!.isOpen(ADDR[1]!) && env.links[1]!.isOpen(ADDR[0]!)).toBe(true);
  return env;
}

const KINDS: NicKind[] = ["atm", "ethernet"];

describe.each(KINDS)("IpHost over a U-Net channel on %s", (kind) => {
  it("carries UDP both ways with real checksums, zero copy on send, charging no system call", () => {
    const { p, links, hosts } = ipPair(kind);
    const [A, B] = hosts as [AnyIpHost, AnyIpHost];
    const [la, lb] = links as [UnetIpLink, UnetIpLink];
    expect(A.mtu).toBe(kind === "atm" ? 1996 : 1484); // 2 KiB slots; Ethernet 1500 - 8 (U-Net header) - 8
    const before = p.cpus.map((c) => c.stats().ops);
    const sb = B.bind(7000);
    const atB: Uint8Array[] = [];
    sb.onMessage((m) => {
      const bytes = m.bytes.slice(m.offset, m.offset + m.length);
      atB.push(bytes);
      sb.send(m.src, m.srcPort, bytes); // echo from inside the receive path
    });
    const sa = A.bind(7001);
    const atA: Uint8Array[] = [];
    sa.onMessage((m) => atA.push(m.bytes.slice(m.offset, m.offset + m.length)));
    // 1..12 bytes: datagrams of at most 40 bytes travel inline in the receive descriptor.
    const sizes = [1, 12, 13, 100, 1000, A.mtu - 28];
    for (const [i, n] of sizes.entries()) expect(sa.send(ADDR[1]!, 7000, msgBytes(n, i))).toBe(true);
    p.sim.scheduler.runUntil(p.sim.now + 50_000_000);
    expect(atB).toEqual(sizes.map((n, i) => msgBytes(n, i)));
    expect(atA).toEqual(sizes.map((n, i) => msgBytes(n, i)));
    for (const h of [A, B]) {
      expect(h.stats().ip.drops).toEqual({});
      expect(h.stats().udp.drops).toEqual({});
      expect(h.stats().ip.txFragments).toBe(0);
    }
    const st = la.stats();
    expect(st).toMatchObject({
      kind: "unet",
      txPdus: sizes.length,
      rxPdus: sizes.length,
      drops: {},
      peers: [`${ADDR[1]} -> rank 1`],
    });
    expect(A.stats().link).toMatchObject({ kind: "unet", txPdus: sizes.length });
    // The wire: ATM LLC/SNAP in the AAL5 PDU; Ethernet the 14 + 8 byte U-Net framing.
    const perPdu = kind === "atm" ? 8 + 28 : 22 + 28;
    const wire = sizes.reduce((x, n) => x + n + perPdu, 0);
    if (kind === "atm") expect((p.nics[0] as AtmNic).stats().txBytes).toBe(wire);
    expect(p.devices[0]!.stats().nicDmaBytes).toBe(wire);
    // Copies: ATM reassembly memory is not a frame, so each datagram is copied once; on
    // Ethernet only the inline ones (in the descriptor) are, the rest is used in the NIC frame.
    const inline = sizes.filter((n) => n + 28 + (kind === "atm" ? 8 : 0) <= 40).length;
    const copies = kind === "atm" ? sizes.length : inline;
    expect(st.rxCopies).toBe(copies);
    expect(st.rxInPlace).toBe(sizes.length - copies);
    expect(st.bytesCopied).toBe(sizes.filter((_, i) => kind === "atm" || i < inline).reduce((x, n) => x + n + 28, 0));
    expect(lb.stats().endpoint.bytesCopied).toBe(0);
    // CPU: no system call, interrupt or layer crossing on the data path; driver work per
    // descriptor, the checksum per datagram each way, a copy per copied datagram.
    const prof = p.cpus[0]!.profile;
    const userNs = 2 * prof.handlerDispatchNs;
    for (const [i, c] of p.cpus.entries()) {
      const ops = c.stats().ops;
      const b = before[i]!;
      expect(ops.systemCall.count - b.systemCall.count).toBe(0);
      expect(ops.interrupt.count + ops.layerCrossing.count + ops.contextSwitch.count).toBe(0);
      expect(ops.driver.count - b.driver.count).toBe(2 * sizes.length);
      expect(ops.driver.ns - b.driver.ns).toBe(2 * sizes.length * (prof.driverNs + userNs));
      expect(ops.checksum.count - b.checksum.count).toBe(2 * sizes.length);
      expect(ops.copy.count - b.copy.count).toBe(copies);
    }
  });

  it("sends UDP checksums the receiver verifies: a datagram damaged after the checksum is dropped", () => {
    const { p, links, hosts } = ipPair(kind);
    const [A, B] = hosts as [AnyIpHost, AnyIpHost];
    const la = links[0]!;
    const got: number[] = [];
    B.bind(9).onMessage((m) => got.push(m.length));
    const sums: number[] = [];
    const send = la.send.bind(la);
    let k = 0;
    la.send = (frame, nextHop) => {
      const at = p.sim.frames.offset(frame); // the IPv4 header (LLC/SNAP goes on inside send)
      sums.push((A.u8[at + 26]! << 8) | A.u8[at + 27]!);
      if (k++ === 1) A.u8[at + 40] = A.u8[at + 40]! ^ 0x10; // a payload bit flipped in the segment
      return send(frame, nextHop);
    };
    const s = A.bind(10);
    for (let i = 0; i < 3; i++) s.send(ADDR[1]!, 9, msgBytes(300, i));
    p.sim.scheduler.runUntil(p.sim.now + 20_000_000);
    expect(got).toEqual([300, 300]);
    expect(sums.every((x) => x !== 0)).toBe(true);
    expect(B.stats().udp.drops).toEqual({ BAD_CHECKSUM: 1 });
  });

  it("fragments a datagram above the MTU into segment buffers, reassembles it; ping answers", () => {
    const { p, links, hosts } = ipPair(kind);
    const [A, B] = hosts as [AnyIpHost, AnyIpHost];
    const lat: number[] = [];
    const got: Uint8Array[] = [];
    B.bind(9).onMessage((m) => {
      got.push(m.bytes.slice(m.offset, m.offset + m.length));
      lat.push(m.time - m.sentAt);
    });
    // 5000 bytes pass a frame slot (fragmented from a byte array); 1700 fit a slot but not one
    // Ethernet U-Net message (a plain slot the host fragments from), and one ATM message.
    const sizes = [5000, 1700];
    const s = A.bind(10);
    for (const [i, n] of sizes.entries()) s.send(ADDR[1]!, 9, msgBytes(n, i));
    const ping = A.ping(ADDR[1]!, 500);
    p.sim.scheduler.runUntil(p.sim.now + 50_000_000);
    expect(got).toEqual(sizes.map((n, i) => msgBytes(n, i)));
    const chunk = ((A.mtu - 20) >>> 3) << 3;
    const fragsOf = (n: number): number => (n + 28 <= A.mtu ? 0 : Math.ceil((n + 8) / chunk));
    const frags = fragsOf(5000) + fragsOf(1700);
    expect(fragsOf(1700)).toBe(kind === "atm" ? 0 : 2);
    expect(A.stats().ip.txFragments).toBe(frags);
    expect(B.stats().reassembly).toMatchObject({ reassembled: kind === "atm" ? 1 : 2, fragmentsReceived: frags });
    expect(links[0]!.stats().txPdus).toBe(frags + (kind === "atm" ? 1 : 0) + 1);
    expect(A.stats().ip.drops).toEqual({});
    expect(lat[0]!).toBeGreaterThan(0); // the birth tag crossed the endpoint
    expect(ping.rttNs).toBeGreaterThan(0);
    expect(links[0]!.stats().endpoint.segmentFree).toBe(64);
  });

  it("counts what the link refuses: broadcast, no channel, multicast joins, misuse", () => {
    const { p, links, hosts } = ipPair(kind);
    const [A, B] = hosts as [AnyIpHost, AnyIpHost];
    const s = A.bind(1);
    expect(s.send("10.9.0.255", 1, 10)).toBe(true); // directed broadcast: no U-Net broadcast
    expect(s.send("10.9.0.77", 1, 10)).toBe(true); // on-link, but no channel
    p.sim.scheduler.runUntil(p.sim.now + 1_000_000);
    expect(A.stats().ip.drops).toEqual({ NO_BROADCAST_ON_UNET: 1 });
    expect(links[0]!.stats().drops).toEqual({ NO_CHANNEL: 1 });
    expect(links[0]!.stats().endpoint.segmentFree).toBe(64);
    expect(() => A.joinGroup("239.1.1.1")).toThrow(/unet link: no multicast/);
    expect(() => links[0]!.attach(B)).toThrow(/already has an IP host/);
    expect(() => new IpHost(p.nics[1]!, { address: "10.9.0.9/24", link: links[0]! })).toThrow(
      /the link is on h0.nic, not on h1.nic/,
    );
    expect(() => links[0]!.addPeer(ADDR[1]!, p.spec(0, 1, 5))).toThrow(NetloomError);
    if (kind === "ethernet") {
      expect(
        () => new UnetIpLink(p.sim, "x", { device: p.devices[0]!, cpu: p.cpus[0]!, encapsulation: "llc-snap" }),
      ).toThrow(/must be "null"/);
    }
  });
});

describe("TCP over U-Net on OC-3 ATM", () => {
  it.each([0, 0.0005])("moves 1 MB once and in order with cell loss %s", (loss) => {
    const env = ipPair("atm", { a: { segmentBuffers: 96 }, b: { segmentBuffers: 96 } });
    const { p, hosts } = env;
    const link = p.link as AtmLink;
    if (loss > 0) {
      link.setFaults(0, { cellLoss: loss });
      link.setFaults(1, { cellLoss: loss });
    }
    // A 64 KB window (33 segments) stays inside the 64-descriptor send queue, so without loss no
    // segment is refused there (a larger window overshoots it in slow start, as any drop-tail queue).
    const [ta, tb] = hosts.map((h) => new TcpLayer(h, { defaults: { sendBuffer: 65_536, receiveBuffer: 65_536 } })) as [
      TcpLayer,
      TcpLayer,
    ];
    env.tcp.push(ta, tb);
    const total = 1 << 20;
    const check = new PatternChecker();
    let ended = false;
    let firstAt = 0;
    let lastAt = 0;
    tb.listen(80, (c) => {
      c.onData((u8, off, len) => {
        if (check.offset === 0) firstAt = p.sim.now;
        check.update(u8, off, len);
        lastAt = p.sim.now;
      });
      c.onEnd(() => (ended = true));
    });
    const c = ta.connect(ADDR[1]!, 80);
    let written = 0;
    const go = (): void => {
      while (written < total) {
        const n = c.writeGenerated(total - written);
        if (n === 0) return;
        written += n;
      }
      c.end();
    };
    c.onWritable(go);
    go();
    p.sim.scheduler.runUntil(p.sim.now + 60e9);
    expect(ended).toBe(true);
    expect(check.offset).toBe(total);
    expect(check.mismatches).toBe(0);
    const lost = link.stats(0).lostCells + link.stats(1).lostCells;
    const rtx = c.stats().retransmits;
    if (loss > 0) {
      expect(lost).toBe(12);
      expect(rtx).toBe(11);
    } else {
      expect(lost).toBe(0);
      expect(rtx).toBe(0);
    }
    const mbps = (total * 8) / ((lastAt - firstAt) / 1e9) / 1e6;
    console.log(
      `TCP over U-Net OC-3, cell loss ${loss}: ${mbps.toFixed(1)} Mbit/s, ${lost} cells lost, ${rtx} retransmits`,
    );
    if (loss === 0) expect(mbps).toBeGreaterThan(60);
    for (const cpu of p.cpus) expect(cpu.stats().ops.systemCall.count).toBe(2); // registration only
    for (const l of env.links)
      expect(l.stats().endpoint.drops.sendQueueFull + l.stats().endpoint.drops.noSegmentBuffer).toBe(0);
  });
});

describe("UDP over U-Net: a one-way stream of 1 KB datagrams on OC-3", () => {
  it("reaches near the AAL5 goodput of the link", () => {
    const { p, hosts, links } = ipPair("atm");
    const [A, B] = hosts as [AnyIpHost, AnyIpHost];
    const size = 1024;
    const n = 2000;
    let received = 0;
    let bytes = 0;
    let first = -1;
    let last = 0;
    B.bind(5001).onMessage((m) => {
      if (first < 0) first = m.time;
      last = m.time;
      received++;
      bytes += m.length;
    });
    const s = A.bind(5000);
    const payload = msgBytes(size, 7);
    let tries = 0;
    let accepted = 0;
    // Offered a little above the line rate; a send that finds no free segment buffer is refused.
    const period = 55_000;
    const pacer = p.sim.register("pacer", {
      handleEvent: () => {
        tries++;
        if (s.send(ADDR[1]!, 5001, payload)) accepted++;
        if (tries < n) p.sim.scheduler.schedule(pacer, period, pacer, 1, 0, 0, 0);
      },
    });
    p.sim.scheduler.schedule(pacer, 0, pacer, 1, 0, 0, 0);
    p.sim.scheduler.runUntil(p.sim.now + n * period + 20_000_000);
    const goodput = ((bytes - size) * 8) / ((last - first) / 1e9);
    // The AAL5 limit for this PDU (1024 + 28 IP/UDP + 8 LLC/SNAP = 1060 bytes: 23 cells), in UDP payload bits.
    const limit = (aal5Goodput(size + 36, OC3_CELL_BITS_PER_S) * size) / (size + 36);
    console.log(
      `UDP over U-Net OC-3, 1 KB datagrams: ${(goodput / 1e6).toFixed(1)} Mbit/s (AAL5 limit ${(limit / 1e6).toFixed(1)}), ` +
        `${received}/${accepted} received, ${tries - accepted} refused at the sender (segment full)`,
    );
    expect(goodput).toBeGreaterThanOrEqual(0.8 * 135e6);
    expect(goodput).toBeLessThanOrEqual(limit * 1.001);
    expect(received).toBe(accepted);
    expect(tries - accepted).toBe(249); // the sender was ahead of the line
    expect(A.stats().ip.drops).toEqual({ NO_SLOT: tries - accepted });
    expect(links[0]!.stats().drops).toEqual({ NO_SEGMENT_BUFFER: tries - accepted });
    expect(links[1]!.stats().endpoint.drops.noFreeBuffer).toBe(0);
  });
});

describe("the endpoint's free queue under IP", () => {
  it("Ethernet: datagrams a UDP mailbox keeps hold NIC buffers; further ones are dropped, counted, until read", () => {
    const { p, links, hosts } = ipPair("ethernet", { b: { rxBuffers: 4 } });
    const [A, B] = hosts as [AnyIpHost, AnyIpHost];
    const sb = B.bind(4000); // mailbox mode: datagrams wait for recv() in the NIC buffer
    const sa = A.bind(4001);
    for (let i = 0; i < 10; i++) sa.send(ADDR[1]!, 4000, msgBytes(200, i));
    p.sim.scheduler.runUntil(p.sim.now + 20_000_000);
    const ep = links[1]!.stats().endpoint;
    expect(sb.queued).toBe(4);
    expect(ep.freeQueue).toBe(0);
    expect(ep.drops.noFreeBuffer).toBe(6);
    expect(links[1]!.stats().rxKept).toBe(4);
    expect(links[1]!.stats().rxCopies).toBe(0);
    for (let i = 0; i < 4; i++) expect(sb.recv()!.payload).toEqual(msgBytes(200, i));
    expect(links[1]!.stats().endpoint.freeQueue).toBe(4);
    for (let i = 10; i < 13; i++) sa.send(ADDR[1]!, 4000, msgBytes(200, i));
    p.sim.scheduler.runUntil(p.sim.now + 20_000_000);
    expect(sb.queued).toBe(3);
    expect(sb.recv()!.payload).toEqual(msgBytes(200, 10));
    // Two stay in the mailbox: the after-each check sees them given back by close() -> free().
  });

  it("ATM: a burst that lands before the next poll finds two free buffers; the rest is dropped, counted", () => {
    const { p, links, hosts } = ipPair("atm", { b: { rxBuffers: 2, pollInterval: "1ms" } });
    const [A, B] = hosts as [AnyIpHost, AnyIpHost];
    const got: Uint8Array[] = [];
    B.bind(4000).onMessage((m) => got.push(m.bytes.slice(m.offset, m.offset + m.length)));
    const sa = A.bind(4001);
    for (let i = 0; i < 10; i++) sa.send(ADDR[1]!, 4000, msgBytes(100, i));
    p.sim.scheduler.runUntil(p.sim.now + 5_000_000);
    expect(got).toEqual([msgBytes(100, 0), msgBytes(100, 1)]);
    const ep = links[1]!.stats().endpoint;
    expect(ep.drops.noFreeBuffer).toBe(8);
    expect(ep.freeQueue).toBe(2);
    expect(links[0]!.stats().txPdus).toBe(10);
  });
});
