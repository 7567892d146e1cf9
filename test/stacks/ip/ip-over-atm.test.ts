// IP over ATM: IpHost and Router on AtmNics (RFC 2684 LLC/SNAP, static next hop -> circuit),
// a router between Ethernet and ATM, SunATM captures dissected by tshark.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { NetloomError } from "../../../src/base/errors.js";
import { AtmLink } from "../../../src/devices/atm-link.js";
import { AtmNic } from "../../../src/devices/atm-nic.js";
import { AtmSwitch } from "../../../src/devices/atm-switch.js";
import { PointToPointLink } from "../../../src/devices/link.js";
import { EthernetNic } from "../../../src/devices/nic.js";
import { Simulation } from "../../../src/engine/simulation.js";
import { IpHost, type AnyIpHost } from "../../../src/stacks/ip/ip-host.js";
import { Router } from "../../../src/stacks/ip/router.js";
import { captureAtmNic } from "../../../src/run/atm-capture.js";
import { LINKTYPE_SUNATM, SUNATM_FLAG_TX, SUNATM_TYPE_LLC, readPcap } from "../../../src/trace/pcap.js";
import { CHECK_ALL_PREFS, tempDir, tsharkFields } from "../../support/tshark.js";

/** tshark prints checksum statuses as numbers (1 = Good) or, in newer versions, as names. */
const isGood = (v: string | undefined): boolean => v === "1" || v === "Good";

interface Live {
  sim: Simulation;
  hosts: AnyIpHost[];
  devices: { destroy(): void }[];
}
const live: Live[] = [];
afterEach(() => {
  for (const { sim, hosts, devices } of live.splice(0)) {
    for (const h of hosts) h.destroy();
    sim.scheduler.runToIdle();
    for (const d of devices) d.destroy();
    expect(sim.frames.leaks()).toEqual([]);
    sim.destroy();
  }
});

function world(seed = 1) {
  const sim = new Simulation({ seed, frameSlots: 1024, slotBytes: 10240 });
  const entry: Live = { sim, hosts: [], devices: [] };
  live.push(entry);
  return { sim, entry };
}

/** Hosts a (10.1.0.1) and b (10.1.0.2) on one ATM switch; PVC a 0/32 <-> sw <-> b 0/33. */
function atmPair(seed = 1, parity = false) {
  const { sim, entry } = world(seed);
  const sw = new AtmSwitch(sim, "sw", { ports: 2 });
  const na = new AtmNic(sim, "a", { maxPdu: 9188 });
  const nb = new AtmNic(sim, "b", { maxPdu: 9188 });
  entry.devices.push(na, nb, sw);
  const la = new AtmLink(sim, "a-sw", { rate: "OC-3", delay: 10_000 });
  const lb = new AtmLink(sim, "sw-b", { rate: "OC-3", delay: 10_000 });
  na.attach(0, la, 0);
  sw.attach(0, la, 1);
  sw.attach(1, lb, 0);
  nb.attach(0, lb, 1);
  sw.addPvc(0, 0, 32, 1, 0, 33);
  sw.addPvc(1, 0, 33, 0, 0, 32);
  const va = na.openVc(0, 32, { parity });
  const vb = nb.openVc(0, 33, { parity });
  const A = new IpHost(na, { address: "10.1.0.1/24", circuits: { "10.1.0.2": va } });
  const B = new IpHost(nb, { address: "10.1.0.2/24", circuits: { "10.1.0.1": vb } });
  entry.hosts.push(A, B);
  return { sim, sw, na, nb, A, B, la, lb };
}

describe("IpHost over ATM", () => {
  it("carries UDP both ways as LLC/SNAP AAL5 PDUs with the RFC 2225 MTU", () => {
    const { sim, A, B, na, nb } = atmPair();
    expect(A.mtu).toBe(9180);
    const got: number[] = [];
    const sb = B.bind(7000);
    sb.onMessage((m) => {
      got.push(m.length);
      sb.send(m.src, m.srcPort, m.length); // echo
    });
    const sa = A.bind(7001);
    const back: number[] = [];
    sa.onMessage((m) => back.push(m.length));
    for (const n of [1, 100, 1472, 9152]) expect(sa.send("10.1.0.2", 7000, n)).toBe(true);
    sim.scheduler.run(10_000_000);
    expect(got).toEqual([1, 100, 1472, 9152]);
    expect(back).toEqual([1, 100, 1472, 9152]);
    // One PDU per datagram (9152 + 8 UDP + 20 IP = 9180: no fragmentation), LLC/SNAP on each.
    expect(na.stats().txPdus).toBe(4);
    expect(nb.stats().rxPdus).toBe(4);
    expect(na.stats().txBytes).toBe(4 * 8 + 4 * 28 + 1 + 100 + 1472 + 9152);
    expect(A.stats().atm).toMatchObject({ txPdus: 4, rxPdus: 4, drops: {}, circuits: ["10.1.0.2 -> vc 0"] });
    expect(B.stats().ip.rxDelivered).toBe(4);
    expect(A.stats().ip.txFragments).toBe(0);
  });

  it("fragments above 9180 and reassembles; ping works; one-way latency keeps the birth tag", () => {
    const { sim, A, B } = atmPair();
    const sb = B.bind(9);
    const lat: number[] = [];
    sb.onMessage((m) => lat.push(m.time - m.sentAt));
    A.bind(10).send("10.1.0.2", 9, 20_000);
    const p = A.ping("10.1.0.2", 1000);
    sim.scheduler.run(20_000_000);
    expect(lat.length).toBe(1);
    expect(A.stats().ip.txFragments).toBe(3);
    expect(B.stats().reassembly).toMatchObject({ reassembled: 1, fragmentsReceived: 3 });
    // Two 10 us links plus ~3 x 9180-byte PDUs of cells at OC-3 (~0.5 ms each).
    expect(lat[0]!).toBeGreaterThan(20_000);
    expect(p.rttNs).toBeGreaterThan(20_000 * 2);
  });

  it("counts datagrams without a circuit, broadcasts and multicast joins as ATM refusals", () => {
    const { sim, A } = atmPair();
    const s = A.bind(1);
    expect(s.send("10.1.0.99", 1, 10)).toBe(true); // routed on-link, but no circuit
    expect(s.send("10.1.0.255", 1, 10)).toBe(true);
    sim.scheduler.run(1_000_000);
    expect(A.stats().atm!.drops).toEqual({ NO_CIRCUIT: 1 });
    expect(A.stats().ip.drops).toEqual({ NO_BROADCAST_ON_ATM: 1 });
    expect(() => A.joinGroup("239.1.1.1")).toThrow(NetloomError);
    const { sim: sim2, entry } = world(2);
    const eth = new EthernetNic(sim2, "e");
    entry.devices.push(eth);
    expect(() => new IpHost(eth, { address: "10.0.0.1/24", circuits: { "10.0.0.2": 0 } })).toThrow(
      /circuits need an AtmNic/,
    );
    const small = new AtmNic(sim2, "small"); // maxPdu 9180: IP MTU at most 9172
    entry.devices.push(small);
    expect(() => new IpHost(small, { address: "10.0.0.1/24", mtu: 9180 })).toThrow(NetloomError);
    const h = new IpHost(small, { address: "10.0.0.1/24" });
    entry.hosts.push(h);
    expect(h.mtu).toBe(9172);
  });

  it("drops PDUs that are not LLC/SNAP IPv4, counted", () => {
    const { sim, A, na, B } = atmPair();
    na.sendBytes(0, new Uint8Array([0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x06, 1, 2])); // ARP EtherType
    na.sendBytes(0, new Uint8Array([0xfe, 0xfe, 0x03, 0xcc, 1, 2, 3, 4])); // ISO routed
    sim.scheduler.run(1_000_000);
    expect(B.stats().atm!.drops).toEqual({ NOT_IPV4: 1, LLC_SNAP_BAD: 1 });
    expect(A.stats().atm!.txPdus).toBe(0);
  });

  it("is deterministic: same seed, same fingerprint, also with cell loss and parity", () => {
    const run = (seed: number) => {
      const { sim, A, B, la } = atmPair(seed, true);
      la.setFaults(0, { cellLoss: 0.002 });
      let n = 0;
      B.bind(5).onMessage(() => n++);
      const s = A.bind(6);
      for (let i = 0; i < 90; i++) s.send("10.1.0.2", 5, 4000);
      sim.scheduler.run(100_000_000);
      return { fp: sim.scheduler.fingerprint, n, rebuilt: B.stats().atm!.rxPdus };
    };
    const a = run(3);
    expect(run(3)).toEqual(a);
    expect(a.n).toBeGreaterThan(85);
  });
});

describe("Router between Ethernet and ATM", () => {
  it("forwards UDP and ICMP both ways between an Ethernet host and an ATM host", () => {
    const { sim, entry } = world(1);
    const r = new Router(sim, "r", {
      interfaces: [
        { name: "eth0", address: "10.0.1.1/24" },
        { name: "atm0", address: "10.0.2.1/24", atm: { nic: { maxPdu: 9188 } } },
      ],
    });
    entry.devices.push(r);
    const eth = new EthernetNic(sim, "e");
    const na = new AtmNic(sim, "h", { maxPdu: 9188 });
    entry.devices.push(eth, na);
    const l1 = new PointToPointLink(sim, "e-r", { rate: 1e9, delay: 5000 });
    eth.attach(0, l1, 0);
    r.attach(0, l1, 1);
    const sw = new AtmSwitch(sim, "sw", { ports: 2 });
    entry.devices.push(sw);
    const l2 = new AtmLink(sim, "r-sw", { rate: "OC-12", delay: 5000 });
    const l3 = new AtmLink(sim, "sw-h", { rate: "OC-3", delay: 5000 });
    r.attach(1, l2, 0);
    sw.attach(0, l2, 1);
    sw.attach(1, l3, 0);
    na.attach(0, l3, 1);
    sw.addPvc(0, 0, 100, 1, 0, 40);
    sw.addPvc(1, 0, 40, 0, 0, 100);
    const ratm = r.iface("atm0").atm!;
    ratm.map("10.0.2.2", ratm.nic.openVc(0, 100));
    const E = new IpHost(eth, { address: "10.0.1.2/24", gateway: "10.0.1.1" });
    const H = new IpHost(na, {
      address: "10.0.2.2/24",
      gateway: "10.0.2.1",
      circuits: { "10.0.2.1": na.openVc(0, 40) },
    });
    entry.hosts.push(E, H);
    expect(r.iface("atm0").mtu).toBe(9180);
    const atH: number[] = [];
    const atE: number[] = [];
    H.bind(53).onMessage((m) => atH.push(m.length));
    E.bind(54).onMessage((m) => atE.push(m.length));
    // 4000 bytes from Ethernet (MTU 1500) arrive in 3 fragments, forwarded as 3 PDUs.
    E.bind(1).send("10.0.2.2", 53, 4000);
    // 6000 bytes from ATM (one 6028-byte datagram) are cut by the router for Ethernet.
    H.bind(2).send("10.0.1.2", 54, 6000);
    const q = H.ping("10.0.2.1", 100); // the router's own ATM address
    sim.scheduler.run(1_000_000); // E's ARP queue (3 fragments) is full until the router answers
    const p = E.ping("10.0.2.2", 100);
    sim.scheduler.run(20_000_000);
    expect(atH).toEqual([4000]);
    expect(atE).toEqual([6000]);
    expect([p.rttNs, q.rttNs]).toEqual([51060, 395135]);
    const st = r.stats();
    expect(st.ip.fragmented).toBe(1);
    expect(st.interfaces[1]!.nic).toBeUndefined();
    expect(st.interfaces[1]!.atm!.ip.txPdus).toBeGreaterThanOrEqual(4);
    expect(st.interfaces[0]!.nic!.txFrames).toBe(7);
    expect(st.ip.drops).toEqual({});
  });
});

describe("LINKTYPE_SUNATM captures at ATM NICs", () => {
  it("writes both directions; tshark finds LLC/SNAP, IP and UDP with good checksums and nothing malformed", () => {
    const { sim, A, B, na } = atmPair();
    const tmp = tempDir();
    try {
      const cap = captureAtmNic(na, tmp.path("a.pcap"));
      expect(() => captureAtmNic(na, tmp.path("again.pcap"))).toThrow(/already has a capture/);
      const sb = B.bind(7000);
      sb.onMessage((m) => sb.send(m.src, m.srcPort, m.length));
      const sa = A.bind(7001);
      for (const n of [0, 18, 1000, 9152]) sa.send("10.1.0.2", 7000, n);
      sa.send("10.1.0.2", 7000, 12_000); // fragments
      A.ping("10.1.0.2", 56);
      sim.scheduler.run(20_000_000);
      cap.close();
      cap.close();
      const file = readPcap(readFileSync(tmp.path("a.pcap")));
      expect(file.header.linkType).toBe(LINKTYPE_SUNATM);
      // 4 + 2 fragments + 1 echo request out; 4 + 2 + 1 back.
      expect(file.records.length).toBe(14);
      expect(cap.records).toBe(14);
      const first = file.records[0]!;
      expect(first.data[0]).toBe(SUNATM_FLAG_TX | SUNATM_TYPE_LLC);
      expect([...first.data.subarray(1, 4)]).toEqual([0, 0, 32]);
      expect([...first.data.subarray(4, 12)]).toEqual([0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]);
      expect(first.origLength).toBe(4 + 8 + 20 + 8);
      const rows = tsharkFields(
        tmp.path("a.pcap"),
        [
          "frame.protocols",
          "atm.vci",
          "ip.checksum.status",
          "udp.checksum.status",
          "ip.src",
          "_ws.malformed",
          "_ws.expert.severity",
        ],
        { prefs: CHECK_ALL_PREFS },
      );
      expect(rows.length).toBe(14);
      for (const r of rows) {
        expect(r["frame.protocols"]).toMatch(/^atm:llc:ip/);
        expect(r["_ws.malformed"]).toBe("");
        expect(isGood(r["ip.checksum.status"])).toBe(true);
      }
      const udp = rows.filter((r) => r["udp.checksum.status"] !== "");
      expect(udp.length).toBe(10);
      for (const r of udp) expect(isGood(r["udp.checksum.status"])).toBe(true);
      expect(new Set(rows.map((r) => r["ip.src"]))).toEqual(new Set(["10.1.0.1", "10.1.0.2"]));
    } finally {
      tmp.remove();
    }
  });
});
