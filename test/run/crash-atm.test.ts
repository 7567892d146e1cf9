// Fail-stop crashes of ATM devices, named in a scenario's failures: hosts (raw AAL5 and IP over
// ATM) and switches. What a crash loses (cells in reassembly, cells scheduled but not yet sent,
// calls), what it counts, how peers find out (keep-alive misses, a RESTART at boot, nothing at
// all between switches), and the pool back whole after each.
import { describe, expect, it } from "vitest";
import { buildScenario } from "../../src/run/build-scenario.js";
import { parseScenario } from "../../src/scenario/scenario.js";

/** cam -(OC-12)- s1 -(OC-3)- display: one 9000-byte PDU (188 cells) a millisecond. */
const PVC = `
name: atm-crash
seed: 2
duration: 100ms
atm:
  switches: [{ name: s1, ports: 2 }]
  hosts: [{ name: cam }, { name: display }]
  links:
    - { a: cam, b: "s1:0", rate: OC-12, delay: 5us }
    - { a: "s1:1", b: display, rate: OC-3, delay: 5us }
  pvcs: [{ name: video, path: [cam, s1, display] }]
  traffic: [{ name: v, type: aal5, pvc: video, pduSize: 9000B, rate: 1000, start: 1ms, stop: 60ms }]
failures:
  - { device: cam, at: 10.05ms, restartAt: 30ms }
  - { device: s1, at: 40.2ms, restartAt: 45ms }
`;

/** cam - s1 = s2 - srv, one switched circuit from cam to srv with traffic both ways. */
const SVC = (failures: string) => `
name: atm-svc-crash
seed: 2
duration: 100ms
atm:
  signalling: { delay: 50us, keepAlive: 2ms, keepAliveMisses: 3, setupTimeout: 20ms }
  switches: [{ name: s1, ports: 3 }, { name: s2, ports: 3 }]
  hosts: [{ name: cam }, { name: srv }]
  links:
    - { a: cam, b: "s1:0", rate: OC-3, delay: 5us }
    - { name: trunk, a: "s1:1", b: "s2:0", rate: OC-3, delay: 100us }
    - { a: "s2:1", b: srv, rate: OC-3, delay: 5us }
  svcs:
    - { name: up, from: cam, route: "1.1", open: 5ms, close: 80ms }
  traffic:
    - { name: u, type: aal5, svc: up, pduSize: 1000B, rate: 1000 }
    - { name: back, type: aal5, svc: up, from: srv, pduSize: 100B, rate: 1000 }
failures:
${failures}
`;

describe("ATM crashes", () => {
  it("cells scheduled but not sent at a crash never arrive; cells inside a crashed switch are lost", () => {
    const built = buildScenario(parseScenario(PVC));
    const net = built.network;
    const atm = built.atm!;
    const cam = atm.nics.get("cam")!;
    const s1 = atm.switches.get("s1")!;
    const display = atm.nics.get("display")!;
    net.run("10.05ms");
    // The PDU of 10 ms was being sent at OC-12 (0.13 ms): what had not left is the backlog,
    // its schedule kept (a restart sends after it would have ended).
    expect(cam.crashed).toBe(true);
    const camBacklog = cam.txBacklog();
    expect(camBacklog).toBe(118);
    net.run("40.2ms");
    // s1 had forwarded the 40 ms PDU's cells to its slower output: 120 of them still queued.
    expect(s1.crashed).toBe(true);
    const s1Backlog = s1.queueLength(1);
    expect(s1Backlog).toBe(120);
    net.runToIdle();
    const s1Stats = s1.stats();
    // s1 skipped exactly the cells cam never sent; display exactly those s1 never sent.
    expect(s1Stats.ports[0]!.drops.signalLoss).toBe(camBacklog);
    expect(display.stats().signalLossCells).toBe(s1Backlog);
    // The trains of 41..44 ms reached a crashed s1: 4 x 188 cells, CRASHED.
    expect(s1Stats.ports[0]!.drops.crashed).toBe(4 * 188);
    // cam's source kept going while cam was down (its program restarts with it): the PDUs of
    // 11..30 ms were refused by the crashed NIC.
    const c = cam.stats();
    expect(c.txDrops.crashed).toBe(20);
    expect(c.txPdus).toBe(59 - 20);
    // Of the 39 sent, display lost the one cut at cam's crash (timed out in reassembly), the
    // one cut at s1's crash with the next one it ran into (too long), and the four s1 dropped.
    const d = display.stats();
    expect(d.timeouts).toBe(1);
    expect(d.reassembly.oversize).toBe(1);
    expect(d.rxPdus).toBe(39 - 1 - 2 - 4);
    expect(net.failureStats()).toEqual([
      { device: "cam", crashes: 1, restarts: 1, downNs: 19_950_000, crashed: false },
      { device: "s1", crashes: 1, restarts: 1, downNs: 4_800_000, crashed: false },
    ]);
    net.destroy(); // throws on a leaked frame slot
  });

  it("a crashed host's calls are cleared by its switch's keep-alive, and the far end is told", () => {
    const built = buildScenario(parseScenario(SVC("  - { device: cam, at: 20ms, restartAt: 40ms }")));
    const net = built.network;
    const sig = built.atm!.signalling!;
    net.run("19ms");
    expect(sig.svcs.get("up")!.state).toBe("active");
    net.run("21ms");
    // cam forgot its call at once; the switches and srv still hold theirs.
    expect(sig.svcs.get("up")).toMatchObject({ state: "crashed", endedAt: 20e6 });
    expect(sig.hosts.get("cam")!.stats()).toMatchObject({ state: "crashed", calls: 0, callsLostInCrashes: 1 });
    expect(sig.switches.get("s1")!.callsHeld).toBe(1);
    expect(sig.hosts.get("srv")!.callsHeld).toBe(1);
    net.run("35ms");
    // Three polls 2 ms apart unanswered: s1 declares cam failed and releases towards srv.
    expect(sig.switches.get("s1")!.stats()).toMatchObject({ hostFailures: 1, released: { hostFailed: 1 }, calls: 0 });
    expect(sig.switches.get("s2")!.callsHeld).toBe(0);
    expect(sig.hosts.get("srv")!.stats()).toMatchObject({ calls: 0, released: { hostFailed: 1 } });
    net.runToIdle();
    expect(net.failureStats()[0]).toMatchObject({ device: "cam", crashes: 1, restarts: 1 });
    net.destroy();
  });

  it("a host back before the keep-alive noticed sends RESTART: its switch clears the old calls", () => {
    const built = buildScenario(parseScenario(SVC("  - { device: cam, at: 20ms, restartAt: 21ms }")));
    const net = built.network;
    const sig = built.atm!.signalling!;
    net.run("23ms");
    const s1 = sig.switches.get("s1")!.stats();
    expect(s1).toMatchObject({ hostFailures: 0, restartsHeard: 1, released: { hostFailed: 1 }, calls: 0 });
    expect(sig.hosts.get("cam")!.stats().tx["restart"]).toBe(1);
    expect(sig.hosts.get("cam")!.stats().rx["restartAcknowledge"]).toBe(1);
    expect(sig.hosts.get("srv")!.stats()).toMatchObject({ calls: 0, released: { hostFailed: 1 } });
    // Without the RESTART the switch would poll the orphaned call for ever: the run goes idle.
    net.runToIdle();
    net.destroy();
  });

  it("a crashed switch forgets its calls; the others hold theirs until its RESTART at boot", () => {
    const built = buildScenario(parseScenario(SVC("  - { device: s2, at: 20ms, restartAt: 25ms }")));
    const net = built.network;
    const atm = built.atm!;
    const sig = atm.signalling!;
    net.run("24ms");
    // Down: its calls and their table entries are gone; nobody else knows (no keep-alive
    // between switches, and srv is polled by s2 alone).
    expect(sig.switches.get("s2")!.stats()).toMatchObject({ calls: 0, callsLostInCrashes: 1 });
    expect(atm.switches.get("s2")!.stats().vc.entries).toBe(0);
    expect(sig.switches.get("s1")!.callsHeld).toBe(1);
    expect(sig.hosts.get("srv")!.callsHeld).toBe(1);
    expect(sig.svcs.get("up")!.state).toBe("active");
    const drops = atm.switches
      .get("s2")!
      .stats()
      .ports.map((p) => p.drops);
    expect(drops[0]!.crashed).toBeGreaterThan(0);
    expect(drops[1]!.crashed).toBeGreaterThan(0);
    net.run("30ms");
    // At boot it sent RESTART on both links: s1 released the call towards cam, srv ended its end.
    expect(sig.switches.get("s1")!.stats()).toMatchObject({
      calls: 0,
      restartsHeard: 1,
      released: { temporaryFailure: 1 },
    });
    expect(sig.hosts.get("srv")!.stats()).toMatchObject({
      calls: 0,
      restartsHeard: 1,
      released: { temporaryFailure: 1 },
    });
    expect(sig.svcs.get("up")).toMatchObject({ state: "released", cause: "temporaryFailure" });
    expect(sig.hosts.get("cam")!.callsHeld).toBe(0);
    net.runToIdle();
    net.destroy();
  });

  it("a crashed switch stops polling its hosts and comes back with no calls to poll", () => {
    const built = buildScenario(parseScenario(SVC("  - { device: s1, at: 20ms, restartAt: 25ms }")));
    const net = built.network;
    const atm = built.atm!;
    const s1 = atm.signalling!.switches.get("s1")!;
    net.run("20ms");
    const polls = s1.stats().keepAlivesSent;
    expect(polls).toBeGreaterThan(0);
    net.run("40ms");
    expect(s1.stats()).toMatchObject({ keepAlivesSent: polls, calls: 0, callsLostInCrashes: 1 });
    expect(atm.switches.get("s1")!.stats().crashed).toBe(false);
    // Its RESTART ended cam's call and, through s2, srv's.
    expect(atm.signalling!.hosts.get("cam")!.stats()).toMatchObject({ calls: 0, released: { temporaryFailure: 1 } });
    expect(atm.signalling!.switches.get("s2")!.stats()).toMatchObject({ calls: 0, released: { temporaryFailure: 1 } });
    expect(atm.signalling!.hosts.get("srv")!.stats()).toMatchObject({ calls: 0, released: { temporaryFailure: 1 } });
    net.runToIdle();
    net.destroy();
  });

  it("an IP host over ATM and a router with an ATM interface crash like any IP host and router", () => {
    const built = buildScenario(
      parseScenario(`
name: ip-atm-crash
seed: 2
duration: 100ms
hosts: [{ name: e1, ip: 10.7.0.2/24, gateway: 10.7.0.1 }]
routers: [{ name: r, interfaces: [{ name: eth0, ip: 10.7.0.1/24 }] }]
links: [{ a: e1, b: "r:eth0", rate: 1Gbps, delay: 10us }]
atm:
  switches: [{ name: s1, ports: 2 }]
  hosts: [{ name: a1, address: 10.8.0.2/24, gateway: 10.8.0.1 }]
  routerInterfaces: [{ router: r, name: atm0, address: 10.8.0.1/24 }]
  links: [{ a: r.atm0, b: "s1:0", rate: OC-3, delay: 5us }, { a: "s1:1", b: a1, rate: OC-3, delay: 5us }]
  pvcs: [{ name: ip, path: [r.atm0, s1, a1] }]
traffic:
  - { name: bulk, type: cbr, from: e1, to: a1, size: 1000, rate: 8Mbps, start: 1ms, stop: 90ms }
failures:
  - { device: a1, at: 20ms, restartAt: 40ms }
  - { device: r, at: 60ms, restartAt: 70ms }
`),
    );
    const net = built.network;
    const atm = built.atm!;
    const a1 = atm.ipHosts.get("a1")!;
    const r = net.router("r");
    net.run("30ms");
    expect(a1.state).toBe("crashed");
    expect(atm.nics.get("a1")!.crashed).toBe(true);
    net.run("65ms");
    expect(r.state).toBe("crashed");
    expect(r.iface("atm0").atm!.nic.crashed).toBe(true);
    net.runToIdle();
    // One datagram a millisecond from 1 to 89 ms: a1 down 20 ms (its NIC drops the 20 trains),
    // r down 10 ms (its Ethernet port drops the 10 datagrams), the rest delivered.
    expect(atm.nics.get("a1")!.stats().crashedTrains).toBe(20);
    expect(r.stats().interfaces[0]!.nic!.rxDrops).toEqual({ CRASHED: 10 });
    expect(a1.stats().ip.rxDelivered).toBe(89 - 20 - 10);
    net.destroy();
  });
});
