// Captures of whole scenarios (--pcap): every kind of port gets its file (hosts, switches,
// routers' Ethernet and ATM interfaces, the atm section's hosts), each decodes in tshark with no
// malformed frame, and the files of a partitioned run are the unpartitioned run's.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildScenario } from "../../src/run/build-scenario.js";
import { runScenario } from "../../src/run/run-scenario.js";
import { loadScenario, parseScenario, type Scenario } from "../../src/scenario/scenario.js";
import { LINKTYPE_ETHERNET, LINKTYPE_SUNATM, readPcap } from "../../src/trace/pcap.js";
import { CHECK_ALL_PREFS, tempDir, tsharkFields } from "../support/tshark.js";

function shortened(file: string, durationNs: number): Scenario {
  const s = loadScenario(file);
  s.durationNs = durationNs;
  return s;
}

function malformed(file: string): number {
  return tsharkFields(file, ["_ws.malformed"], { prefs: CHECK_ALL_PREFS }).filter((r) => r["_ws.malformed"] !== "")
    .length;
}

describe("--pcap on every kind of port", () => {
  it("routers' ports are captured, and decode", async () => {
    const tmp = tempDir("nl-cap-");
    try {
      const report = await runScenario(shortened("examples/campus.yaml", 1_100_000_000), { pcapDir: tmp.dir });
      const files = readdirSync(tmp.dir).sort();
      for (const r of ["r1", "r2", "r3"]) for (const p of [0, 1, 2]) expect(files).toContain(`${r}-${p}.pcap`);
      expect(report.captures?.files).toBe(files.length);
      for (const f of ["r1-0.pcap", "r2-1.pcap"]) {
        const pcap = readPcap(readFileSync(tmp.path(f)));
        expect(pcap.header.linkType).toBe(LINKTYPE_ETHERNET);
        expect(pcap.records.length).toBeGreaterThan(10);
        expect(malformed(tmp.path(f))).toBe(0);
      }
    } finally {
      tmp.remove();
    }
  });

  it("the ATM examples' hosts and a router's ATM interface get SunATM files that decode", async () => {
    for (const [file, expected] of [
      ["examples/atm-svc.yaml", ["cam-0.pcap", "sensor-0.pcap", "srv-0.pcap", "viewer-0.pcap"]],
      ["examples/atm-star.yaml", ["h0-0.pcap", "h1-0.pcap", "h7-0.pcap"]],
      ["examples/atm-mixed.yaml", ["a1-0.pcap", "cam1-0.pcap", "display-0.pcap", "e1-0.pcap", "r-0.pcap", "r-1.pcap"]],
    ] as const) {
      const tmp = tempDir("nl-cap-");
      try {
        await runScenario(shortened(file, 30_000_000), { pcapDir: tmp.dir });
        const files = readdirSync(tmp.dir);
        for (const f of expected) expect(files, file).toContain(f);
        for (const f of files) {
          const pcap = readPcap(readFileSync(tmp.path(f)));
          const atm = !["e1-0.pcap", "r-0.pcap"].includes(f);
          expect(pcap.header.linkType, `${file} ${f}`).toBe(atm ? LINKTYPE_SUNATM : LINKTYPE_ETHERNET);
        }
        for (const f of expected) {
          expect(readPcap(readFileSync(tmp.path(f))).records.length, `${file} ${f}`).toBeGreaterThan(0);
          expect(malformed(tmp.path(f)), `${file} ${f}`).toBe(0);
        }
      } finally {
        tmp.remove();
      }
    }
  });

  it("IP over ATM decodes as IP, raw AAL5 circuits on the same NIC as raw AAL5", async () => {
    const tmp = tempDir("nl-cap-");
    try {
      await runScenario(shortened("examples/atm-star.yaml", 20_000_000), { pcapDir: tmp.dir });
      // h1 sends IP datagrams (LLC/SNAP) and raw AAL5 video PDUs.
      const pcap = readPcap(readFileSync(tmp.path("h1-0.pcap")));
      const llc = pcap.records.filter((r) => (r.data[0]! & 0x0f) === 0x02);
      const raw = pcap.records.filter((r) => (r.data[0]! & 0x0f) === 0x00);
      expect(llc.length).toBeGreaterThan(0);
      expect(raw.length).toBeGreaterThan(0);
      expect(llc.length + raw.length).toBe(pcap.records.length);
      expect(llc.every((r) => r.data[4] === 0xaa && r.data[5] === 0xaa && r.data[6] === 0x03)).toBe(true);
      const rows = tsharkFields(tmp.path("h1-0.pcap"), ["frame.protocols"]);
      expect(rows.filter((r) => r["frame.protocols"]!.includes("llc:ip:udp"))).toHaveLength(llc.length);
    } finally {
      tmp.remove();
    }
  });
});

describe("hosts[].stack.mailboxLimit", () => {
  it("reaches the UDP sockets of the host's traffic, at both ends", () => {
    const s = parseScenario(`
duration: 1ms
hosts:
  - { name: a, ip: 10.0.0.1/24, stack: { mailboxLimit: 7 } }
  - { name: b, ip: 10.0.0.2/24, stack: { mailboxLimit: 33 } }
  - { name: c, ip: 10.0.0.3/24 }
switches:
  - { name: sw, ports: 3 }
links:
  - { a: a, b: "sw:0", rate: 1Gbps, delay: 5us }
  - { a: b, b: "sw:1", rate: 1Gbps, delay: 5us }
  - { a: c, b: "sw:2", rate: 1Gbps, delay: 5us }
traffic:
  - { name: f, type: cbr, from: a, to: b, size: 100, rate: 1Mbps, srcPort: 5000, dstPort: 6000 }
  - { name: g, type: cbr, from: c, to: a, size: 100, rate: 1Mbps, srcPort: 5001, dstPort: 6001 }
`);
    const built = buildScenario(s);
    try {
      const limit = (host: string, port: number): number | undefined =>
        built.network.ipHost(host).udp.socket(port)?.queueLimit;
      expect(limit("a", 5000)).toBe(7);
      expect(limit("b", 6000)).toBe(33);
      expect(limit("a", 6001)).toBe(7);
      expect(limit("c", 5001)).toBe(1024);
    } finally {
      built.network.dispose();
    }
  });
});
