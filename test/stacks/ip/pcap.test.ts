import { describe, expect, it } from "vitest";
import { LINKTYPE_ETHERNET, PcapWriter } from "../../../src/trace/pcap.js";
import { ipv4FromString } from "../../../src/wire/ipv4.js";
import { CHECK_ALL_PREFS, tempDir, tsharkFields } from "../../support/tshark.js";
import { pair, pattern } from "./support.js";

describe("tshark", () => {
  it("a UDP exchange with fragments, ARP, ICMP echo and port unreachable dissects clean, all checksums good", () => {
    const tmp = tempDir();
    try {
      const { sim, A, B } = pair(1, { mtu: 576 }, { mtu: 576 });
      const pcap = new PcapWriter().open(tmp.path("a.pcap"), LINKTYPE_ETHERNET);
      const stop = A.nic.trace[0]!.sniffer.subscribe((time, frame) => {
        const bytes = sim.frames.bytes(frame);
        pcap.writeRecord(time, bytes);
      });
      const B_IP = ipv4FromString("10.0.0.2");
      const rx = B.bind(9);
      rx.onMessage((m) => rx.send(m.src, m.srcPort, m.payload.slice()));
      const tx = A.bind(1234);
      tx.send(B_IP, 9, pattern(100));
      sim.scheduler.runToIdle();
      tx.send(B_IP, 9, pattern(1500)); // 3 fragments each way
      tx.send(B_IP, 10, pattern(30)); // port unreachable
      A.ping(B_IP, 56);
      sim.scheduler.runToIdle();
      stop();
      pcap.close();
      expect(tx.drain()).toBe(2);
      const rows = tsharkFields(
        tmp.path("a.pcap"),
        [
          "frame.number",
          "_ws.col.Protocol",
          "_ws.malformed",
          "_ws.expert.message",
          "eth.fcs.status",
          "ip.checksum.status",
          "udp.checksum.status",
          "icmp.checksum.status",
        ],
        { prefs: CHECK_ALL_PREFS },
      );
      expect(rows.length).toBe(pcap.records);
      for (const r of rows) {
        expect(r["_ws.malformed"]).toBe("");
        expect(r["_ws.expert.message"]).not.toMatch(/bad|incorrect|malformed/i);
        expect(r["eth.fcs.status"]).toBe("1"); // 1 = good
        if (r["ip.checksum.status"] !== "") expect(r["ip.checksum.status"]).toMatch(/^1([ |]+1)*$/);
        // The UDP header quoted in a port unreachable has only 8 payload bytes: tshark cannot
        // verify it (2 = unverified); every other UDP checksum must be good.
        const udpOk = r["_ws.col.Protocol"] === "ICMP" ? /^[12]$/ : /^1([ |]+1)*$/;
        if (r["udp.checksum.status"] !== "") expect(r["udp.checksum.status"]).toMatch(udpOk);
        if (r["icmp.checksum.status"] !== "") expect(r["icmp.checksum.status"]).toMatch(/^1([ |]+1)*$/);
      }
      const protos = new Set(rows.map((r) => r["_ws.col.Protocol"]));
      expect(protos).toEqual(new Set(["ARP", "UDP", "IPv4", "ICMP"]));
      expect(rows.filter((r) => r["udp.checksum.status"] !== "").length).toBeGreaterThanOrEqual(4);
    } finally {
      tmp.remove();
    }
  });
});
