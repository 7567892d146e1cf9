// Jumbo frames (issue 7): a 9000-byte MTU path carries 8972-byte UDP datagrams in one frame
// each; a jumbo host sending through a router onto a 1500-byte interface is fragmented there;
// tshark reads a jumbo capture cleanly; NICs and stacks refuse what they cannot carry.
import { describe, expect, it } from "vitest";
import { Network } from "../../../src/run/network.js";
import { ErrorCode, NetloomError } from "../../../src/base/errors.js";
import { EthernetNic, ETH_JUMBO_MTU } from "../../../src/devices/nic.js";
import { Simulation } from "../../../src/engine/simulation.js";
import { IpHost } from "../../../src/stacks/ip/ip-host.js";
import { slotBytesForMtu } from "../../../src/stacks/ip/ip-link.js";
import { LINKTYPE_ETHERNET, PcapWriter } from "../../../src/trace/pcap.js";
import { CHECK_ALL_PREFS, tempDir, tsharkFields } from "../../support/tshark.js";

const SLOT = slotBytesForMtu(ETH_JUMBO_MTU);
const LINK = { rate: 1e9, delay: 10_000 };

/** a (10.0.0.10) -- r -- b (10.0.1.10); `rightMtu` on the router's b side and on b. */
function path(rightMtu: number) {
  const net = new Network({ seed: 1, frameSlots: 512, slotBytes: SLOT });
  net.addHost("a", { ip: { address: "10.0.0.10/24", gateway: "10.0.0.1", mtu: 9000 } });
  net.addHost("b", { ip: { address: "10.0.1.10/24", gateway: "10.0.1.1", mtu: rightMtu } });
  net.addRouter("r", {
    interfaces: [
      { name: "left", address: "10.0.0.1/24", mtu: 9000 },
      { name: "right", address: "10.0.1.1/24", mtu: rightMtu },
    ],
  });
  const la = net.connect("a", "r:0", LINK);
  const lb = net.connect("r:1", "b", LINK);
  const A = net.ipHost("a");
  const B = net.ipHost("b");
  const got: number[] = [];
  const rx = B.bind(7000);
  rx.onMessage((m) => {
    let ok = m.payload.length === m.length;
    for (let i = 0; i < m.length; i++) if (m.bytes[m.offset + i] !== ((i * 7) & 0xff)) ok = false;
    got.push(ok ? m.length : -1);
  });
  const tx = A.bind(7001);
  const payload = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);
  // Resolve ARP along the path first (its queues hold only a few packets).
  A.ping(B.ip, 8);
  net.runToIdle();
  return { net, A, B, la, lb, rx, tx, got, payload };
}

describe("jumbo frames", () => {
  it("a 9000-MTU path carries 8972-byte UDP datagrams unfragmented", () => {
    const p = path(9000);
    expect(p.A.nic.mtu).toBe(9000);
    for (let i = 0; i < 5; i++) expect(p.tx.send(p.B.ip, 7000, p.payload(8972))).toBe(true);
    p.net.runToIdle();
    expect(p.got).toEqual([8972, 8972, 8972, 8972, 8972]);
    const r = p.net.router("r").stats();
    expect(r.ip.forwarded).toBe(5 + 2); // + the echo request and reply
    expect(r.ip.fragmented).toBe(0);
    // Toward b: five whole 9018-byte frames (14 + 9000 + 4 FCS) after the ARP request (64)
    // and the 8-byte echo request (64).
    const d = p.lb.stats(0);
    expect(d.frames).toBe(5 + 2);
    expect(d.bytes).toBe(5 * 9018 + 2 * 64);
    expect(p.B.stats().reassembly).toMatchObject({ fragmentsReceived: 0, reassembled: 0 });
    p.rx.close();
    p.tx.close();
    p.net.destroy();
  });

  it("a jumbo host through a router onto a 1500-byte interface is fragmented by the router", () => {
    const p = path(1500);
    expect(p.B.nic.mtu).toBe(1500);
    expect(p.tx.send(p.B.ip, 7000, p.payload(8972))).toBe(true);
    p.net.runToIdle();
    expect(p.got).toEqual([8972]);
    const r = p.net.router("r").stats();
    expect(r.ip.fragmented).toBe(1);
    // 8980 bytes of UDP in fragments of 1480: 7 fragments.
    expect(r.ip.fragmentsSent).toBe(7);
    p.rx.close();
    p.tx.close();
    p.net.destroy();
  });

  it("tshark reads a jumbo capture cleanly, every checksum good", () => {
    const tmp = tempDir();
    try {
      const p = path(9000);
      const pcap = new PcapWriter().open(tmp.path("jumbo.pcap"), LINKTYPE_ETHERNET);
      p.lb.trace[0].sniffer.subscribe((time, frame) => pcap.writeRecord(time, p.net.sim.frames.bytes(frame)));
      for (const n of [8972, 4000, 1]) p.tx.send(p.B.ip, 7000, p.payload(n));
      p.net.runToIdle();
      pcap.close();
      p.rx.close();
      p.tx.close();
      p.net.destroy();
      const rows = tsharkFields(
        tmp.path("jumbo.pcap"),
        ["frame.len", "_ws.malformed", "eth.fcs.status", "ip.checksum.status", "udp.checksum.status", "udp.length"],
        {
          prefs: CHECK_ALL_PREFS,
        },
      );
      const udp = rows.filter((r) => r["udp.length"] !== "");
      expect(udp.map((r) => r["frame.len"])).toEqual(["9018", "4046", "64"]);
      for (const r of rows) {
        expect(r["_ws.malformed"]).toBe("");
        expect(r["eth.fcs.status"]).toBe("1");
      }
      for (const r of udp) {
        expect(r["ip.checksum.status"]).toBe("1");
        expect(r["udp.checksum.status"]).toBe("1");
      }
    } finally {
      tmp.remove();
    }
  });

  it("a 1500-byte NIC drops a jumbo frame as too long; MTUs beyond 9000 or the slots are refused", () => {
    const p = path(9000);
    // b's NIC back to standard frames: the router's 9018-byte frames are now too long for it.
    p.B.nic.setMtu(1500);
    p.tx.send(p.B.ip, 7000, p.payload(8972));
    p.tx.send(p.B.ip, 7000, p.payload(1000));
    p.net.runToIdle();
    expect(p.got).toEqual([1000]);
    expect(p.B.nic.stats().rxDrops).toEqual({ TOO_LONG: 1 });
    expect(() => p.B.nic.setMtu(9001)).toThrow(/not an Ethernet MTU/);
    p.rx.close();
    p.tx.close();
    p.net.destroy();

    const sim = new Simulation({ seed: 1, frameSlots: 64 }); // 2 KiB slots
    const nic = new EthernetNic(sim, "n");
    const err = (() => {
      try {
        new IpHost(nic, { address: "10.0.0.1/24", mtu: 9000 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(NetloomError);
    expect((err as NetloomError).code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect((err as NetloomError).message).toMatch(/MTU 9000 needs frame slots of 9088 bytes/);
    expect(() => new EthernetNic(sim, "m", { mtu: 9200 })).toThrow(/9200 is not an Ethernet MTU/);
    nic.destroy();
    sim.destroy();
  });

  it("TCP's MSS follows the jumbo MTU", async () => {
    const { TcpLayer } = await import("../../../src/stacks/tcp/tcp-layer.js");
    const p = path(9000);
    const ta = new TcpLayer(p.A);
    const tb = new TcpLayer(p.B);
    tb.listen(80, () => {});
    const c = ta.connect(p.B.ip, 80);
    p.net.run(50_000_000);
    expect(c.stats().mss).toBe(8960);
    ta.destroy();
    tb.destroy();
    p.rx.close();
    p.tx.close();
    p.net.dispose();
  });
});
