import { describe, expect, it } from "vitest";
import { EthernetSwitch } from "../../../src/devices/ethernet-switch.js";
import { ipv4FromString } from "../../../src/wire/ipv4.js";
import { RoutingTable } from "../../../src/stacks/ip/routing-table.js";
import { hopNs, pair, pattern, world } from "./support.js";

const A_IP = ipv4FromString("10.0.0.1");
const B_IP = ipv4FromString("10.0.0.2");

describe("routing table", () => {
  it("longest prefix wins, default route last, on-link next hop is the destination", () => {
    const t = new RoutingTable();
    t.add(ipv4FromString("0.0.0.0"), 0, ipv4FromString("10.0.0.254"));
    t.add(ipv4FromString("10.0.0.0"), 24);
    t.add(ipv4FromString("10.1.0.0"), 16, ipv4FromString("10.0.0.253"));
    t.add(ipv4FromString("10.1.2.0"), 24, ipv4FromString("10.0.0.252"));
    expect(t.nextHop(ipv4FromString("10.0.0.7"))).toBe(ipv4FromString("10.0.0.7"));
    expect(t.nextHop(ipv4FromString("10.1.2.3"))).toBe(ipv4FromString("10.0.0.252"));
    expect(t.nextHop(ipv4FromString("10.1.9.3"))).toBe(ipv4FromString("10.0.0.253"));
    expect(t.nextHop(ipv4FromString("8.8.8.8"))).toBe(ipv4FromString("10.0.0.254"));
    expect(t.list().map((r) => r.prefixLength)).toEqual([24, 24, 16, 0]);
    expect(() => t.add(ipv4FromString("10.0.0.9"), 24)).toThrow(/already a route to 10.0.0.0\/24/);
    expect(t.remove(ipv4FromString("0.0.0.0"), 0)).toBe(true);
    expect(t.nextHop(ipv4FromString("8.8.8.8"))).toBe(-1);
  });
});

describe("ARP", () => {
  it("resolves, then delivers; UDP echo with exact virtual-time latency", () => {
    const { sim, A, B } = pair();
    const a = A.bind(5000);
    const b = B.bind(7);
    const payload = pattern(100);
    // Echo server on B: push delivery, answers from inside the listener.
    const arrivals: number[] = [];
    b.onMessage((m) => {
      arrivals.push(m.time);
      b.send(m.src, m.srcPort, m.payload.slice());
    });
    expect(a.send(B_IP, 7, payload)).toBe(true);
    expect(A.arp.state(B_IP)).toBe("incomplete");
    sim.scheduler.runToIdle();
    const arpHop = hopNs(64); // request and reply: 42 bytes padded to 60 + FCS
    const udpHop = hopNs(14 + 20 + 8 + 100 + 4);
    expect(arrivals).toEqual([2 * arpHop + udpHop]);
    const echo = a.recv()!;
    // B learned A from the request addressed to it: the echo needs no ARP of its own.
    expect(echo.time).toBe(2 * arpHop + 2 * udpHop);
    expect(echo.src).toBe(B_IP);
    expect(echo.srcPort).toBe(7);
    expect([...echo.payload]).toEqual([...payload]);
    expect(A.arp.state(B_IP)).toBe("reachable");
    expect(B.arp.state(A_IP)).toBe("reachable");
    const s = A.stats();
    expect(s.arp.requestsSent).toBe(1);
    expect(s.arp.resolved).toBe(1);
    expect(s.arp.queuedSent).toBe(1);
    expect(B.stats().arp.repliesSent).toBe(1);
    expect(B.stats().arp.requestsSent).toBe(0);
  });

  it("retries 3 times 1 s apart, then drops the waiting packets; overflow beyond 3 is counted", () => {
    const { sim, A } = pair();
    const s = A.bind(1);
    const ghost = ipv4FromString("10.0.0.99");
    for (let i = 0; i < 5; i++) s.send(ghost, 9, 10);
    expect(A.arp.waiting(ghost)).toBe(3);
    expect(A.stats().arp.drops).toEqual({ QUEUE_OVERFLOW: 2 });
    const requestTimes: number[] = [];
    A.nic.trace[0]!.macTx.subscribe((t) => requestTimes.push(t));
    sim.scheduler.runUntil(2.5e9);
    expect(A.arp.state(ghost)).toBe("incomplete");
    sim.scheduler.runToIdle();
    expect(requestTimes).toEqual([1e9, 2e9]); // the first went out at 0, before subscribing
    const st = A.stats().arp;
    expect(st.requestsSent).toBe(3);
    expect(st.failedResolutions).toBe(1);
    expect(st.drops).toEqual({ QUEUE_OVERFLOW: 2, RESOLUTION_FAILED: 3 });
    expect(A.arp.state(ghost)).toBe("absent");
    expect(sim.now).toBe(3e9);
  });

  it("entries expire after the configured timeout and are resolved again", () => {
    const { sim, A, B } = pair(1, { arp: { timeout: "10s" } });
    B.bind(9);
    const s = A.bind(1);
    s.send(B_IP, 9, 1);
    sim.scheduler.runToIdle();
    expect(A.arp.state(B_IP)).toBe("reachable");
    sim.scheduler.runUntil(sim.now + 9e9);
    s.send(B_IP, 9, 1);
    expect(A.stats().arp.requestsSent).toBe(1);
    sim.scheduler.runUntil(sim.now + 11e9);
    expect(A.arp.state(B_IP)).toBe("absent");
    s.send(B_IP, 9, 1);
    sim.scheduler.runToIdle();
    expect(A.stats().arp.expired).toBe(1);
    expect(A.stats().arp.requestsSent).toBe(2);
    expect(B.udp.socket(9)!.drain()).toBe(3);
  });
});

describe("UDP", () => {
  it("a full mailbox drops and counts; frames stay in the NIC's receive buffers until read (zero-copy)", () => {
    const { sim, A, B } = pair();
    const rx = B.bind(9, { queueLimit: 4 });
    const tx = A.bind(1);
    // Resolve first: only 3 packets may wait for ARP.
    tx.send(B_IP, 9, 0);
    sim.scheduler.runToIdle();
    expect(rx.drain()).toBe(1);
    for (let i = 0; i < 10; i++) tx.send(B_IP, 9, new Uint8Array([i, i + 1, i + 2]));
    sim.scheduler.runToIdle();
    expect(rx.queued).toBe(4);
    expect(rx.stats().mailboxDrops).toBe(6);
    expect(B.stats().udp.drops).toEqual({ MAILBOX_FULL: 6 });
    expect(B.nic.rxBuffersInUse).toBe(4);
    const got: number[] = [];
    for (let m = rx.recv(); m !== undefined; m = rx.recv()) got.push(m.payload[0]!);
    expect(got).toEqual([0, 1, 2, 3]);
    expect(B.nic.rxBuffersInUse).toBe(0);
  });

  it("an application that does not read exhausts the NIC's receive buffers (NO_RX_BUFFER)", () => {
    // B: 8 receive buffers, a socket that does not read.
    const w = world(2, 128);
    const a = w.host("a2", { address: "10.0.0.1/24" });
    const b = w.host("b2", { address: "10.0.0.2/24" }, 8);
    w.link(a.nic, 0, b.nic);
    const s1 = b.bind(1, { queueLimit: 100 });
    const tx = a.bind(5);
    tx.send(B_IP, 1, 0);
    w.sim.scheduler.runToIdle();
    expect(s1.drain()).toBe(1);
    for (let i = 0; i < 20; i++) tx.send(B_IP, 1, 32);
    w.sim.scheduler.runToIdle();
    expect(s1.queued).toBe(8);
    expect(b.nic.stats().rxDrops).toEqual({ NO_RX_BUFFER: 12 });
    expect(s1.drain()).toBe(8);
    expect(b.nic.rxBuffersInUse).toBe(0);
  });

  it("a datagram to an unbound port is counted and answered with ICMP port unreachable", () => {
    const { sim, A, B } = pair();
    A.bind(1).send(B_IP, 4242, pattern(20));
    sim.scheduler.runToIdle();
    expect(B.stats().udp.noPort).toBe(1);
    expect(B.stats().icmp.unreachableSent).toBe(1);
    expect(A.stats().icmp.unreachableReceived).toEqual({ PORT: 1 });
  });

  it("a payload in linear memory (copied by the memCopy kernel) arrives as exactly as one in a JS array", () => {
    const { sim, A, B } = pair();
    const rx = B.bind(9, { queueLimit: 16 });
    const tx = A.bind(1);
    const plain = pattern(1000, 3);
    const inMemory = sim.allocBytes(1000);
    inMemory.set(plain);
    const odd = sim.allocBytes(333).subarray(5, 333); // not at the start of its region
    odd.set(pattern(328, 9));
    expect(sim.runtime.owns(inMemory) && sim.runtime.owns(odd)).toBe(true);
    tx.send(B_IP, 9, plain);
    tx.send(B_IP, 9, inMemory);
    tx.send(B_IP, 9, odd);
    sim.scheduler.runToIdle();
    const got: number[][] = [];
    for (let m = rx.recv(); m !== undefined; m = rx.recv()) got.push([...m.payload]);
    expect(got).toEqual([[...plain], [...plain], [...pattern(328, 9)]]);
    expect(B.stats().udp.drops).toEqual({}); // checksums verified on arrival
  });

  it("refuses an oversized datagram and a bound port", () => {
    const { A } = pair(1, { maxDatagramSize: 1000 });
    const s = A.bind(1);
    expect(() => s.send(B_IP, 9, 1001)).toThrow(/maximum datagram size of 1000/);
    expect(() => A.bind(1)).toThrow(/port 1 is already bound/);
    expect(A.bind(0).port).toBe(49152);
  });
});

describe("ICMP", () => {
  it("ping measures the round trip in virtual time", () => {
    const { sim, A, B } = pair();
    const first = A.ping(B_IP, 56);
    sim.scheduler.runToIdle();
    const arpHop = hopNs(64);
    const echoHop = hopNs(14 + 20 + 8 + 56 + 4);
    expect(first.rttNs).toBe(2 * arpHop + 2 * echoHop);
    const second = A.ping("10.0.0.2", 1000);
    sim.scheduler.runToIdle();
    expect(second.rttNs).toBe(2 * hopNs(14 + 20 + 8 + 1000 + 4));
    expect(A.stats().icmp.echoRepliesReceived).toBe(2);
    expect(B.stats().icmp.echoRepliesSent).toBe(2);
    expect(A.icmp.outstanding).toBe(0);
  });
});

describe("multicast", () => {
  it("a group reaches members only; the NIC filter does the rejecting", () => {
    const w = world(3);
    const sw = new EthernetSwitch(w.sim, "sw", { ports: 3 });
    const A = w.host("a", { address: "10.0.0.1/24" });
    const B = w.host("b", { address: "10.0.0.2/24" });
    const C = w.host("c", { address: "10.0.0.3/24" });
    w.link(sw, 0, A.nic);
    w.link(sw, 1, B.nic);
    w.link(sw, 2, C.nic);
    const group = ipv4FromString("239.1.2.3");
    B.joinGroup("239.1.2.3");
    expect(B.nic.filterEntries).toBe(1);
    const rb = B.bind(6000);
    const rc = C.bind(6000);
    const tx = A.bind(1);
    tx.send(group, 6000, pattern(50));
    w.sim.scheduler.runToIdle();
    expect(rb.queued).toBe(1);
    expect(rc.queued).toBe(0);
    expect(C.nic.stats().rxDrops).toEqual({ ADDRESS_FILTER: 1 });
    expect(A.stats().arp.requestsSent).toBe(0); // group MAC, no ARP
    const m = rb.recv()!;
    expect(m.dst).toBe(group);
    expect(B.leaveGroup(group)).toBe(true);
    expect(B.nic.filterEntries).toBe(0);
    tx.send(group, 6000, 10);
    w.sim.scheduler.runToIdle();
    expect(rb.queued).toBe(0);
    w.sim.scheduler.runToIdle();
    sw.destroy();
  });
});

describe("determinism", () => {
  function scenario(seed: number): { fp: string; stats: unknown } {
    const { sim, A, B } = pair(seed);
    const rx = B.bind(9, { queueLimit: 8 });
    const tx = A.bind(1);
    for (let i = 0; i < 30; i++) tx.send(B_IP, 9, 200 + i * 100);
    A.ping(B_IP, 64);
    sim.scheduler.runToIdle();
    rx.drain();
    return { fp: sim.scheduler.fingerprint.toString(), stats: [A.stats(), B.stats()] };
  }
  it("same seed, same fingerprint and counters", () => {
    const a = scenario(5);
    const b = scenario(5);
    expect(a.fp).toBe(b.fp);
    expect(a.stats).toEqual(b.stats);
  });
});
