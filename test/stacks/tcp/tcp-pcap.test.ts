// tshark as the oracle for TCP wire format: a lossy transfer's capture dissects clean, every
// checksum is good, and tshark's own TCP analysis sees the retransmissions.
import { describe, expect, it } from "vitest";
import { LINKTYPE_ETHERNET, PcapWriter } from "../../../src/trace/pcap.js";
import type { TcpConnection } from "../../../src/stacks/tcp/tcp-connection.js";
import { CHECK_ALL_PREFS, tempDir, tsharkFields } from "../../support/tshark.js";
import { pump, randomBytes, sha256, sink, tcpPair } from "./support.js";

describe("TCP capture", () => {
  it("a lossy transfer: no malformed segment, all checksums good, retransmissions visible", () => {
    const tmp = tempDir();
    try {
      const p = tcpPair({ link: { rate: 100e6, delay: 1_000_000 }, seed: 4 });
      const pcap = new PcapWriter().open(tmp.path("tcp.pcap"), LINKTYPE_ETHERNET);
      for (const d of [0, 1] as const) {
        p.link.trace[d].sniffer.subscribe((time, frame) => pcap.writeRecord(time, p.sim.frames.bytes(frame)));
      }
      let rs: ReturnType<typeof sink> | undefined;
      p.tb.listen(80, (c: TcpConnection) => (rs = sink(c)));
      const c = p.ta.connect(p.B.ip, 80);
      p.sim.scheduler.runUntil(20_000_000);
      p.link.setFaults({ loss: 0.03 }, 0);
      const data = randomBytes(300_000, 11);
      pump(c, data);
      p.sim.scheduler.runToIdle();
      pcap.close();
      expect(rs!.digest()).toBe(sha256(data));
      expect(c.stats().retransmits).toBe(4);
      const rows = tsharkFields(
        tmp.path("tcp.pcap"),
        [
          "frame.number",
          "_ws.malformed",
          "_ws.expert.message",
          "eth.fcs.status",
          "ip.checksum.status",
          "tcp.checksum.status",
          "tcp.analysis.retransmission",
          "tcp.analysis.fast_retransmission",
          "tcp.analysis.out_of_order",
          "tcp.options.sack_perm",
          "tcp.options.wscale.shift",
        ],
        { prefs: { ...CHECK_ALL_PREFS, "tcp.check_checksum": "TRUE", "tcp.analyze_sequence_numbers": "TRUE" } },
      );
      expect(rows.length).toBe(pcap.records);
      let tcpRows = 0;
      let retrans = 0;
      for (const r of rows) {
        expect(r["_ws.malformed"]).toBe("");
        expect(r["eth.fcs.status"]).toBe("1");
        if (r["tcp.checksum.status"] !== "") {
          tcpRows++;
          expect(r["tcp.checksum.status"]).toBe("1");
          expect(r["ip.checksum.status"]).toBe("1");
        }
        if (
          r["tcp.analysis.retransmission"] !== "" ||
          r["tcp.analysis.fast_retransmission"] !== "" ||
          r["tcp.analysis.out_of_order"] !== ""
        ) {
          retrans++;
        }
      }
      expect(tcpRows).toBeGreaterThan(200);
      expect(retrans).toBe(4);
      // The SYN and SYN-ACK carry SACK-permitted and window scale.
      expect(rows.filter((r) => r["tcp.options.sack_perm"] !== "").length).toBe(2);
      expect(rows.filter((r) => r["tcp.options.wscale.shift"] !== "").length).toBe(2);
    } finally {
      tmp.remove();
    }
  });
});
