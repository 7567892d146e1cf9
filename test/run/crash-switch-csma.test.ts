// Fail-stop crashes of Ethernet switches and of stations on a CSMA/CD segment: what a crash
// loses (the forwarding database, queued frames, frames inside the forwarding delay, a
// station's queue), what it counts (CRASHED), that a restarted switch floods until it has
// learned again, and the pool back whole after each.
import { describe, expect, it } from "vitest";
import { CSMA_STATE_NAMES, CSMA_TRANSITION_NAMES, CsmaState } from "../../src/devices/csma-segment.js";
import { Network } from "../../src/run/network.js";

/** a, b, c on sw; the link from sw to b is slow (1 Mbit/s) so frames queue there. */
function lan(forwardingDelay = 0) {
  const net = new Network({ seed: 9, frameSlots: 1024 });
  for (const [i, n] of ["a", "b", "c"].entries()) net.addHost(n, { ip: { address: `10.0.0.${i + 1}/24` } });
  net.addSwitch("sw", { ports: 4, forwardingDelay });
  net.connect("a", "sw:0", { rate: 1e9, delay: 1000, name: "a-sw" });
  const toB = net.connect("sw:1", "b", { rate: 1e6, delay: 1000, queueLimit: 64, name: "sw-b" });
  net.connect("c", "sw:2", { rate: 1e9, delay: 1000, name: "c-sw" });
  return { net, a: net.ipHost("a"), b: net.ipHost("b"), c: net.ipHost("c"), sw: net.device("sw"), toB };
}

describe("Ethernet switch crashes", () => {
  it("loses its forwarding database and queued frames, drops arrivals, and floods again after a restart", () => {
    const { net, a, b, toB } = lan();
    const sw = net.device("sw") as import("../../src/devices/ethernet-switch.js").EthernetSwitch;
    const got: number[] = [];
    b.bind(9).onMessage((m) => got.push(m.length));
    const tx = a.bind(1);
    tx.send("10.0.0.2", 9, new Uint8Array(10)); // ARP both ways: sw learns a and b
    net.run("50ms");
    expect(got).toEqual([10]);
    expect(sw.fdbStats().entries).toBe(2);
    const floodsBefore = sw.portStats(0).unknownUnicastFloods;
    // Ten 1000-byte datagrams queue on the 1 Mbit/s port to b (8.3 ms each).
    for (let i = 0; i < 10; i++) tx.send("10.0.0.2", 9, new Uint8Array(1000));
    net.crash("sw", "55ms", "100ms");
    net.run("60ms");
    expect(sw.crashed).toBe(true);
    expect(sw.fdbStats().entries).toBe(0);
    // The one being serialized at the crash finishes; nine were queued.
    expect(toB.stats(0).drops).toEqual({ CRASHED: 9 });
    tx.send("10.0.0.2", 9, new Uint8Array(100)); // arrives at a crashed switch
    net.run("70ms");
    expect(sw.portStats(0).drops).toEqual({ CRASHED: 1 });
    net.run("100ms");
    expect(sw.crashed).toBe(false);
    // Up again, knowing nobody: a's next datagram to b is flooded (c's port sends it too).
    const cTx = sw.portStats(2).txFrames;
    tx.send("10.0.0.2", 9, new Uint8Array(100));
    net.run("150ms");
    expect(sw.portStats(0).unknownUnicastFloods).toBe(floodsBefore + 1);
    expect(sw.portStats(2).txFrames).toBe(cTx + 1);
    expect(sw.fdbStats().entries).toBe(1); // a, learned from that frame
    expect(got).toEqual([10, 1000, 100]);
    expect(net.failureStats()).toEqual([{ device: "sw", crashes: 1, restarts: 1, downNs: 45e6, crashed: false }]);
    net.destroy();
  });

  it("drops the frames inside its forwarding delay at the crash, and only those", () => {
    const { net, a, b } = lan(2_000_000);
    const got: number[] = [];
    b.bind(9).onMessage(() => got.push(net.now));
    const tx = a.bind(1);
    tx.send("10.0.0.2", 9, new Uint8Array(10));
    net.run("50ms");
    expect(got).toHaveLength(1);
    // Three frames enter the 2 ms delay at ~50.0 ms; the switch crashes at 51 ms, back at 51.5.
    for (let i = 0; i < 3; i++) tx.send("10.0.0.2", 9, new Uint8Array(10));
    net.crash("sw", "51ms", "51.5ms");
    net.run("52ms");
    // A frame that enters after the restart goes through at the end of its own delay.
    tx.send("10.0.0.2", 9, new Uint8Array(10));
    net.run("60ms");
    expect(got).toHaveLength(2);
    const sw = net.stats().switches[0]!;
    expect(sw.ports[0]!.drops).toEqual({ CRASHED: 3 });
    net.destroy();
  });
});

describe("CSMA/CD station crashes", () => {
  /** a, b, c on a 10 Mbit/s segment. */
  function bus() {
    const net = new Network({ seed: 4, frameSlots: 512 });
    for (const [i, n] of ["a", "b", "c"].entries()) net.addHost(n, { ip: { address: `10.0.0.${i + 1}/24` } });
    const seg = net.addSegment("bus", { stations: 3 });
    for (const n of ["a", "b", "c"]) net.joinSegment(n, "bus");
    return { net, seg, a: net.ipHost("a"), b: net.ipHost("b"), c: net.ipHost("c") };
  }

  it("a crashed station drops what it had queued and what arrives; the others carry on", () => {
    const { net, seg, a, b, c } = bus();
    const atB: number[] = [];
    const atC: number[] = [];
    b.bind(9).onMessage((m) => atB.push(m.length));
    c.bind(9).onMessage((m) => atC.push(m.length));
    const tx = a.bind(1);
    tx.send("10.0.0.2", 9, new Uint8Array(10));
    tx.send("10.0.0.3", 9, new Uint8Array(10));
    net.run("10ms");
    expect(atB).toEqual([10]);
    // Twenty 1000-byte frames (0.8 ms each on the wire) queue at a's station.
    for (let i = 0; i < 20; i++) tx.send("10.0.0.2", 9, new Uint8Array(1000));
    expect(seg.queueLength(0)).toBe(20);
    net.crash("a", "12ms", "30ms");
    net.crash("c", "12ms", "30ms");
    net.run("20ms");
    expect(seg.queueLength(0)).toBe(0);
    expect(seg.stateOf(0)).toBe(CsmaState.Idle);
    // What left before 12 ms (~0.84 ms a frame on the wire) and the frame on the wire then
    // arrive; the rest were dropped at the crash, counted at a's station.
    const delivered = atB.length - 1;
    expect(delivered).toBeGreaterThanOrEqual(2);
    expect(delivered).toBeLessThanOrEqual(3);
    expect(seg.stats().stations[0]!.drops).toEqual({ CRASHED: 20 - delivered });
    // b talks to c while c is down: c's NIC drops the frame (CRASHED); a's too, by address.
    b.bind(2).send("10.0.0.3", 9, new Uint8Array(10)); // c was cached by nobody on b: ARP first
    net.run("40ms");
    const host = (n: string) => net.stats().hosts.find((h) => h.name === n)!;
    expect(host("c").rxDrops["CRASHED"]).toBeGreaterThanOrEqual(1);
    expect(atC).toEqual([10]);
    net.destroy();
  });

  it("a station crashing in the middle of a collision drops its frame at the end of the jam", () => {
    const { net, seg, a, b } = bus();
    const seen: string[] = [];
    // a and b resolve each other, then both send at the same instant: they collide.
    a.bind(1).send("10.0.0.2", 9, new Uint8Array(10));
    net.run("10ms");
    let crashed = false;
    seg.onTransition((_t, s, from, to, tr) => {
      if (s === 0 && to === CsmaState.Jamming && !crashed) {
        crashed = true;
        a.crash();
      }
      if (s === 0) seen.push(`${CSMA_STATE_NAMES[from]}-${CSMA_TRANSITION_NAMES[tr]}->${CSMA_STATE_NAMES[to]}`);
    });
    a.bind(2).send("10.0.0.2", 9, new Uint8Array(100));
    a.bind(3).send("10.0.0.2", 9, new Uint8Array(100));
    b.bind(2).send("10.0.0.1", 9, new Uint8Array(100));
    net.run("20ms");
    expect(crashed).toBe(true);
    // Jammed, then dropped with the one behind it, never retried: straight to Idle.
    expect(seen).toEqual([
      "Idle-frameQueued->Deferring",
      "Deferring-ifgElapsed->Transmitting",
      "Transmitting-collisionDetected->Jamming",
      "Jamming-flushed->Idle",
    ]);
    expect(seg.stats().stations[0]!.drops).toEqual({ CRASHED: 2 });
    net.destroy();
  });
});
