import { describe, expect, it } from "vitest";
import { IP_PROTO_UDP, ipv4FromString } from "../../../src/wire/ipv4.js";
import { hopNs, injectIpv4, pair, pattern, world } from "./support.js";

const A_IP = ipv4FromString("10.0.0.1");
const B_IP = ipv4FromString("10.0.0.2");

/** Host B on a link with a raw NIC "r" that sends hand-made packets from 10.0.0.1. */
function rawToHost(reassembly = {}) {
  const w = world(1);
  const r = w.nic("r");
  const B = w.host("b", { address: "10.0.0.2/24", reassembly });
  w.link(r, 0, B.nic);
  const send = (
    fields: Parameters<typeof injectIpv4>[3],
    payload: Uint8Array,
    mutate?: Parameters<typeof injectIpv4>[5],
  ) =>
    injectIpv4(
      w.sim,
      r,
      B.mac,
      { src: A_IP, dst: B_IP, protocol: IP_PROTO_UDP, identification: 77, ...fields },
      payload,
      mutate,
    );
  return { ...w, r, B, send };
}

/** A UDP datagram (header + data) with a valid checksum, built by a real host's code path. */
function udpDatagram(data: Uint8Array, dstPort = 9): Uint8Array {
  // Checksum by hand (pseudo-header), independent of the host code.
  const len = 8 + data.length;
  const d = new Uint8Array(len);
  d[0] = 0x13;
  d[1] = 0x88;
  d[2] = dstPort >> 8;
  d[3] = dstPort & 0xff;
  d[4] = len >> 8;
  d[5] = len & 0xff;
  d.set(data, 8);
  let sum = (A_IP >>> 16) + (A_IP & 0xffff) + (B_IP >>> 16) + (B_IP & 0xffff) + 17 + len;
  for (let i = 0; i < len; i += 2) sum += (d[i]! << 8) | (d[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff || 0xffff;
  d[6] = c >> 8;
  d[7] = c & 0xff;
  return d;
}

describe("fragmentation and reassembly", () => {
  it("fragments to a small MTU and reassembles byte for byte", () => {
    const { sim, A, B } = pair(1, { mtu: 576 }, { mtu: 576 });
    const rx = B.bind(9);
    const data = pattern(3000);
    // Resolve first: 6 fragments would overflow the 3-packet ARP queue (see the next test).
    A.ping(B_IP, 8);
    sim.scheduler.runToIdle();
    A.bind(1).send(B_IP, 9, data);
    sim.scheduler.runToIdle();
    const m = rx.recv()!;
    expect(m.payload.length).toBe(3000);
    expect(Buffer.from(m.payload).equals(Buffer.from(data))).toBe(true);
    // 3008 bytes of UDP in 552-byte pieces: 6 fragments.
    expect(A.stats().ip.txFragments).toBe(6);
    expect(B.stats().ip.rxFragments).toBe(6);
    expect(B.stats().reassembly.reassembled).toBe(1);
    expect(B.stats().reassembly.bytesHeld).toBe(0);
  });

  it("datagrams larger than a frame slot (10,000 bytes at MTU 1500) go out and come back exact", () => {
    const { sim, A, B } = pair(2);
    const rx = B.bind(9);
    const data = pattern(10_000, 3);
    A.ping(B_IP, 8);
    sim.scheduler.runToIdle();
    A.bind(1).send(B_IP, 9, data);
    A.ping(B_IP, 4000);
    sim.scheduler.runToIdle();
    expect(Buffer.from(rx.recv()!.payload).equals(Buffer.from(data))).toBe(true);
    expect(A.stats().icmp.echoRepliesReceived).toBe(2);
    expect(A.stats().ip.txFragments).toBe(7 + 3);
  });

  it("fragments sent before ARP resolves overflow the ARP queue: the datagram is lost, counted", () => {
    const { sim, A, B } = pair(1, { mtu: 576 }, { mtu: 576 });
    const rx = B.bind(9);
    A.bind(1).send(B_IP, 9, 3000);
    sim.scheduler.runToIdle();
    expect(A.stats().arp.drops).toEqual({ QUEUE_OVERFLOW: 3 });
    expect(rx.queued).toBe(0);
    expect(B.stats().reassembly.timeouts).toBe(1);
  });

  it("DF set and too big: dropped and counted", () => {
    const { A } = pair(1, { mtu: 576 });
    const f = A.allocPayloadFrame(1000);
    expect(A.sendIp(f, IP_PROTO_UDP, B_IP, true)).toBe(false);
    expect(A.stats().ip.drops).toEqual({ FRAG_NEEDED_DF: 1 });
  });

  it("an incomplete datagram times out", () => {
    const { sim, B, send } = rawToHost({ timeout: "2s" });
    const rx = B.bind(9);
    const d = udpDatagram(pattern(100));
    send({ moreFragments: true, fragmentOffset: 0 }, d.subarray(0, 64));
    sim.scheduler.runUntil(1e9);
    expect(B.stats().reassembly.inProgress).toBe(1);
    expect(B.stats().reassembly.bytesHeld).toBe(64);
    sim.scheduler.runToIdle();
    expect(sim.now).toBe(2e9 + hopNs(14 + 20 + 64 + 4)); // the first fragment's arrival + 2 s
    expect(B.stats().reassembly).toMatchObject({ inProgress: 0, bytesHeld: 0, timeouts: 1, drops: { TIMEOUT: 1 } });
    // The late last fragment alone starts a new datagram that times out too.
    send({ fragmentOffset: 64 }, d.subarray(64));
    sim.scheduler.runToIdle();
    expect(rx.queued).toBe(0);
    expect(B.stats().reassembly.timeouts).toBe(2);
  });

  it("reassembles out of order, drops exact duplicates, drops a datagram with overlapping fragments", () => {
    const { sim, B, send } = rawToHost();
    const rx = B.bind(9);
    const d = udpDatagram(pattern(200));
    send({ fragmentOffset: 144 }, d.subarray(144));
    send({ moreFragments: true, fragmentOffset: 72 }, d.subarray(72, 144));
    send({ moreFragments: true, fragmentOffset: 72 }, d.subarray(72, 144)); // duplicate
    send({ moreFragments: true, fragmentOffset: 0 }, d.subarray(0, 72));
    sim.scheduler.runToIdle();
    expect(Buffer.from(rx.recv()!.payload).equals(Buffer.from(pattern(200)))).toBe(true);
    expect(B.stats().reassembly.drops).toEqual({ DUPLICATE: 1 });
    // Overlap: 0..80 then 72..208.
    send({ identification: 78, moreFragments: true, fragmentOffset: 0 }, d.subarray(0, 80));
    send({ identification: 78, fragmentOffset: 72 }, d.subarray(72));
    // Malformed: MF with a length that is not a multiple of 8; empty fragment.
    send({ identification: 79, moreFragments: true, fragmentOffset: 0 }, d.subarray(0, 13));
    send({ identification: 80, fragmentOffset: 8 }, new Uint8Array(0));
    sim.scheduler.runToIdle();
    expect(rx.queued).toBe(0);
    expect(B.stats().reassembly.drops).toEqual({ DUPLICATE: 1, OVERLAP: 1, BAD_FRAGMENT_LENGTH: 1, EMPTY_FRAGMENT: 1 });
    expect(B.stats().reassembly.inProgress).toBe(0);
  });

  it("enforces the per-datagram and per-host memory caps", () => {
    const { sim, B, send } = rawToHost({ maxDatagramBytes: 1024, maxBytes: 2048 });
    const chunk = pattern(1000);
    send({ identification: 1, moreFragments: true, fragmentOffset: 1000 }, chunk.subarray(0, 8));
    // Ends past 1024 bytes: the datagram goes.
    send({ identification: 2, moreFragments: true, fragmentOffset: 1016 }, chunk.subarray(0, 16));
    sim.scheduler.runToIdle();
    expect(B.stats().reassembly.drops).toMatchObject({ DATAGRAM_TOO_LARGE: 1, TIMEOUT: 1 });
    for (let id = 10; id < 13; id++)
      send({ identification: id, moreFragments: true, fragmentOffset: 0 }, chunk.subarray(0, 800));
    sim.scheduler.runUntil(sim.now + 1e9);
    expect(B.stats().reassembly.bytesHeld).toBe(1600);
    expect(B.stats().reassembly.drops).toMatchObject({ MEMORY_LIMIT: 1 });
  });

  it("a bad IPv4 checksum and other header errors are counted by their parse error names", () => {
    const { sim, B, send } = rawToHost();
    const rx = B.bind(9);
    const d = udpDatagram(pattern(20));
    send({}, d, (u8, at) => (u8[at + 10]! ^= 0xff));
    send({}, d, (u8, at) => (u8[at] = 0x65)); // version 6
    send({}, d, (u8, at) => (u8[at] = 0x44)); // IHL 4
    send({}, d);
    sim.scheduler.runToIdle();
    expect(B.stats().ip.drops).toEqual({ BAD_CHECKSUM: 1, BAD_VERSION: 1, BAD_IHL: 1 });
    expect(rx.queued).toBe(1);
  });

  it("a header with options is accepted and the options skipped", () => {
    const { sim, B, send } = rawToHost();
    const rx = B.bind(9);
    const d = udpDatagram(pattern(20));
    // 4 option bytes (NOP x4) in front of the payload; rewrite IHL and total length, re-checksum.
    const body = new Uint8Array(4 + d.length);
    body.fill(1, 0, 4);
    body.set(d, 4);
    send({}, body, (u8, at) => {
      u8[at] = 0x46;
      u8[at + 10] = 0;
      u8[at + 11] = 0;
      let s = 0;
      for (let i = 0; i < 24; i += 2) s += (u8[at + i]! << 8) | u8[at + i + 1]!;
      while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
      const c = ~s & 0xffff;
      u8[at + 10] = c >> 8;
      u8[at + 11] = c & 0xff;
    });
    sim.scheduler.runToIdle();
    expect(B.stats().ip.drops).toEqual({});
    expect(Buffer.from(rx.recv()!.payload).equals(Buffer.from(pattern(20)))).toBe(true);
  });
});
