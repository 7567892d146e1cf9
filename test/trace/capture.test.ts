import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { Network } from "../../src/run/network.js";
import { NetloomError } from "../../src/base/errors.js";
import { crc32 } from "../../src/kernels/checksum.js";
import { readPcap, LINKTYPE_ETHERNET } from "../../src/trace/pcap.js";
import {
  LINKTYPE_ETHERNET_WITH_FCS,
  captureAll,
  captureLink,
  capturePort,
  pcapFileName,
  type Capture,
} from "../../src/run/capture.js";
import type { TracePoint } from "../../src/trace/trace-point.js";
import { CHECK_ALL_PREFS, requireTshark, tempDir, tsharkFields } from "../support/tshark.js";

const mac = (i: number): string => `02:00:00:00:00:${i.toString(16).padStart(2, "0")}`;

/** tshark prints checksum statuses as numbers (1 = Good) or, in newer versions, as names. */
const isGood = (status: string | undefined): boolean => status === "1" || status === "Good";
const isBad = (status: string | undefined): boolean => status === "0" || status === "Bad";

/** frame.time_epoch ("S.NNNNNNNNN") as integer nanoseconds, exactly. */
function epochToNs(text: string): number {
  const m = /^(\d+)\.(\d{9})$/.exec(text);
  if (m === null) throw new Error(`frame.time_epoch "${text}" does not have nanosecond precision`);
  return Number(BigInt(m[1]!) * 1_000_000_000n + BigInt(m[2]!));
}

const FIELDS = ["frame.time_epoch", "frame.len", "eth.fcs.status", "_ws.malformed", "_ws.expert.message"];

/** Independent log of (time, length) per trace-point set, kept by a second listener. */
function logHits(points: readonly TracePoint[]): { time: number; length: number }[] {
  const log: { time: number; length: number }[] = [];
  for (const p of points) p.subscribe((time, _frame, length) => log.push({ time, length }));
  return log;
}

function star(n: number): Network {
  const net = new Network({ seed: 5, frameSlots: 2048 });
  net.addSwitch("sw", { ports: n });
  for (let i = 0; i < n; i++) {
    net.addHost(`h${i}`, { mac: mac(i + 1) });
    net.connect(`h${i}`, `sw:${i}`, { rate: "1Gbps", delay: "5us" });
  }
  for (let i = 0; i < n; i++) {
    net.addCbrSource(`h${i}`, {
      dst: mac(((i + 1) % n) + 1),
      frameSize: 1000,
      rate: "100Mbps",
      start: i * 1000,
      stop: "3ms",
      flow: i,
    });
  }
  return net;
}

describe("pcap capture from trace points", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir("netloom-capture-");
  });
  afterAll(() => tmp?.remove());

  it("captures every port of a network: tshark finds every FCS good, counts and times exact", () => {
    requireTshark(); // fails (never skips) with a clear message when tshark is missing
    const net = star(4);
    const set = captureAll(net, tmp.path("all"));
    const names = set.captures.map((c) => basename(c.path));
    expect(names).toEqual([
      "h0-0.pcap",
      "h1-0.pcap",
      "h2-0.pcap",
      "h3-0.pcap",
      "sw-0.pcap",
      "sw-1.pcap",
      "sw-2.pcap",
      "sw-3.pcap",
    ]);
    const logs = set.captures.map((c) => logHits(c.points));
    net.runToIdle();
    set.close();
    set.close(); // idempotent

    set.captures.forEach((c: Capture, i) => {
      const context = c.source;
      // The port's trace counter: sniffer on NICs; phyRxEnd + macTx on the switch.
      const counter = c.points.reduce((a, p) => a + p.frames, 0);
      expect(counter, context).toBeGreaterThan(0);
      expect(c.records, context).toBe(counter);
      const file = readPcap(readFileSync(c.path));
      expect(file.header.linkType).toBe(LINKTYPE_ETHERNET);
      expect(file.header.nanosecond).toBe(true);
      expect(file.records.length, context).toBe(counter);
      const rows = tsharkFields(c.path, FIELDS, { prefs: CHECK_ALL_PREFS });
      expect(rows.length, context).toBe(counter);
      const log = logs[i]!;
      rows.forEach((row, k) => {
        const where = `${context} record ${k}: ${JSON.stringify(row)}`;
        expect(isGood(row["eth.fcs.status"]), where).toBe(true);
        expect(row["_ws.malformed"], where).toBe("");
        expect(row["_ws.expert.message"], where).toBe("");
        expect(epochToNs(row["frame.time_epoch"]!), where).toBe(log[k]!.time);
        expect(Number(row["frame.len"]), where).toBe(log[k]!.length);
      });
    });

    // Hand check of h0's file. Transmit records at k * 80 us (CBR, 1000 B at 100 Mbit/s).
    // Receive records (its sniffer is before the address filter): h1's first frame, flooded
    // because the switch has not learned h2 yet, after two hops of 8160 ns + 5000 ns; h2's
    // flood queued behind it on the switch -> h0 link (one more 8160 ns serialization); h3's
    // first unicast frame behind both; then h3's frames on an idle path, 3 us + k * 80 us + 26320.
    const h0 = readPcap(readFileSync(set.captures[0]!.path)).records.map((r) => r.timeNs);
    const twoHops = 2 * (8160 + 5000);
    expect(h0.slice(0, 6)).toEqual([
      0,
      1000 + twoHops,
      1000 + twoHops + 8160,
      1000 + twoHops + 2 * 8160,
      80_000,
      83_000 + twoHops,
    ]);
    const sent = net.stats().sources[0]!.frames;
    expect(sent).toBe(38); // 3 ms / 80 us, rounded up
    net.destroy();
  });

  it("a corrupting link's capture shows the damaged frames with a Bad FCS (negative control)", () => {
    requireTshark();
    const net = new Network({ seed: 9, frameSlots: 512 });
    net.addHost("a", { mac: mac(1) });
    const b = net.addHost("b", { mac: mac(2) });
    const link = net.connect("a", "b", { rate: "1Gbps", delay: "1us", faults: { ber: 2e-5 } });
    net.addCbrSource("a", { dst: mac(2), frameSize: 1000, rate: "100Mbps", count: 200, flow: 1 });
    const wire = captureLink(link, 0, tmp.path("ber-wire.pcap"));
    const rx = capturePort(b, 0, tmp.path("ber-b.pcap"));
    net.runToIdle();
    wire.close();
    rx.close();

    const st = link.stats(0);
    expect(st.corrupted).toBeGreaterThan(15); // 8000 bits at 2e-5: about 15% of 200 frames
    expect(st.corrupted).toBeLessThan(st.delivered);
    expect(wire.records).toBe(st.delivered);

    // Which records really have a wrong FCS (by an independent CRC in the test).
    const records = readPcap(readFileSync(wire.path)).records;
    const bad = records.map((r) => {
      const n = r.data.length - 4;
      const stored = (r.data[n]! | (r.data[n + 1]! << 8) | (r.data[n + 2]! << 16) | (r.data[n + 3]! << 24)) >>> 0;
      return crc32(r.data.subarray(0, n)) !== stored;
    });
    expect(bad.filter(Boolean).length).toBe(st.corrupted);

    const rows = tsharkFields(wire.path, FIELDS, { prefs: CHECK_ALL_PREFS });
    expect(rows.length).toBe(records.length);
    rows.forEach((row, k) => {
      const where = `record ${k}: ${JSON.stringify(row)}`;
      expect(bad[k] ? isBad(row["eth.fcs.status"]) : isGood(row["eth.fcs.status"]), where).toBe(true);
    });

    // The receiving NIC's sniffer only sees frames that passed its FCS check.
    const rxRows = tsharkFields(rx.path, FIELDS, { prefs: CHECK_ALL_PREFS });
    expect(rxRows.length).toBe(st.delivered - st.corrupted);
    expect(rxRows.length).toBe(b.stats().rxFrames);
    for (const row of rxRows) expect(isGood(row["eth.fcs.status"]), JSON.stringify(row)).toBe(true);
    expect(b.stats().rxDrops["FCS_ERROR"]).toBe(st.corrupted);
    net.destroy();
  });

  it("markFcs flags the FCS in the link-type field: tshark then checks it with no eth.fcs preference", () => {
    requireTshark();
    const net = new Network({ seed: 9, frameSlots: 512 });
    net.addHost("a", { mac: mac(1) });
    net.addHost("b", { mac: mac(2) });
    const link = net.connect("a", "b", { rate: "1Gbps", delay: "1us", faults: { ber: 5e-5 } });
    // Minimum-size frames: without a hint, Wireshark's heuristic does not look for an FCS.
    net.addCbrSource("a", { dst: mac(2), frameSize: 64, rate: "100Mbps", count: 300, flow: 1 });
    const plain = captureLink(link, 0, tmp.path("plain.pcap"));
    const marked = captureLink(link, 0, tmp.path("marked.pcap"), { markFcs: true });
    net.runToIdle();
    plain.close();
    marked.close();
    marked.close(); // idempotent: patches once
    const corrupted = link.stats(0).corrupted;
    expect(corrupted).toBe(10);
    const header = readPcap(readFileSync(marked.path)).header;
    expect(header.linkType).toBe(LINKTYPE_ETHERNET_WITH_FCS);
    expect(header.linkType & 0xffff).toBe(LINKTYPE_ETHERNET);
    const checkOnly = { prefs: { "eth.check_fcs": "TRUE" } };
    const markedRows = tsharkFields(marked.path, FIELDS, checkOnly);
    expect(markedRows.length).toBe(300);
    expect(markedRows.filter((r) => isBad(r["eth.fcs.status"])).length).toBe(corrupted);
    expect(markedRows.filter((r) => isGood(r["eth.fcs.status"])).length).toBe(300 - corrupted);
    // The same bytes without the flag: no FCS found, so nothing is checked.
    const plainRows = tsharkFields(plain.path, FIELDS, checkOnly);
    expect(plainRows.filter((r) => r["eth.fcs.status"] !== "").length).toBe(0);
    net.destroy();
  });

  it("names files safely, rejects bad ports and directions, and closes what it opened", () => {
    expect(pcapFileName("core/sw 1", 3)).toBe("core_sw_1-3.pcap");
    expect(pcapFileName("../etc", 0)).toBe(".._etc-0.pcap");
    const net = new Network({ seed: 1, frameSlots: 64 });
    const a = net.addHost("a/b");
    net.addHost("a_b");
    const link = net.connect("a/b", "a_b", { rate: "1Gbps" });
    expect(() => capturePort(a, 1, tmp.path("x.pcap"))).toThrow(/no port 1/);
    expect(() => captureLink(link, 2, tmp.path("x.pcap"))).toThrow(NetloomError);
    expect(() => capturePort(a, 0, tmp.path("x.pcap"), { points: [] })).toThrow(/no trace point/);
    expect(() => capturePort(a, 0, tmp.path("x.pcap"), { points: ["nope" as never] })).toThrow(/not a trace point/);
    // Colliding names after sanitising get a numbered suffix, in creation order.
    const set = captureAll(net, tmp.path("collide"));
    expect(set.captures.map((c) => basename(c.path))).toEqual(["a_b-0.pcap", "a_b-0_2.pcap"]);
    set.close();
    expect(existsSync(tmp.path("collide/a_b-0_2.pcap"))).toBe(true);
    // A capture that cannot open its file throws, naming the path.
    expect(() => capturePort(a, 0, tmp.path("no/such/dir/x.pcap"))).toThrow(
      /cannot write the capture file ".*no\/such\/dir\/x\.pcap": no such file or directory \(ENOENT\)/,
    );
    // A closed capture no longer listens.
    const c = capturePort(a, 0, tmp.path("closed.pcap"));
    c.close();
    expect(a.trace[0]!.sniffer.listeners.length).toBe(0);
    net.destroy();
  });
});
