// Every runnable example, run in full with its own seed, must keep its trajectory: the
// fingerprint is pinned. When a change moves one, verify the new behaviour by other means and
// update the pin in the same commit, saying why (STYLE.md, "fingerprint tests").
import { describe, expect, it } from "vitest";
import { loadScenario, type Scenario } from "../src/scenario/scenario.js";
import { buildScenario, type BuiltScenario } from "../src/run/build-scenario.js";
import { reportOf, type RunFlowReport as FlowReport } from "../src/run/run-report.js";
import { atmReport } from "../src/run/atm-report.js";

const PINNED: Record<string, { fingerprint: string; events: number; sent: number; received: number }> = {
  // 16 hosts x 12,500 datagrams; ARP first, then every datagram arrives.
  "examples/star16.yaml": { fingerprint: "fbd3a16fb05a884b", events: 600_512, sent: 200_000, received: 200_000 },
  // Distance-vector routes learned before traffic starts; the r1-r2 link fails at 2 s and the
  // two flows across it lose traffic until routes time out and converge through r3.
  "examples/campus.yaml": { fingerprint: "b1968ef6ad29758b", events: 286_869, sent: 45_103, received: 37_686 },
  // Fragmentation onto the 576-byte WAN, bursty loss: losing one fragment loses the datagram.
  "examples/lossy-wan.yaml": { fingerprint: "9ef57b05a8daa65b", events: 26_918, sent: 2_715, received: 2_617 },
  // The router floods the two groups (TTL 8) to the far subnet; every member gets every
  // datagram sent except the last stream datagram, still in flight at 2 s (x3 members).
  "examples/multicast.yaml": { fingerprint: "eba93f0d38c2bc55", events: 39_713, sent: 7_675, received: 7_672 },
  // Transport flows (issue 7): sent = data segments (TCP) or calls (RPC), received = in-order
  // deliveries or answers. The full 10 s chain transfer, jumbo frames, goodput above 95 Mbit/s.
  "examples/tcp-chain.yaml": { fingerprint: "63ce601c87a50155", events: 117_109, sent: 13_798, received: 13_742 },
  // The same with 1% loss on r2-r3: 89 retransmissions, every byte still in order.
  "examples/tcp-chain-lossy.yaml": { fingerprint: "174314cefc7730e1", events: 68_210, sent: 8_023, received: 6_731 },
  // Two RPC clients across a lossy 10 Mbit/s WAN; the calls still outstanding at 5 s are the gap.
  "examples/rpc.yaml": { fingerprint: "e1e7c33ab6e73316", events: 25_142, sent: 1_263, received: 1_258 },
  // 8 hosts on one ATM switch: IP over ATM (LLC/SNAP) on PVCs to h0, plus an AAL5 video stream;
  // every datagram arrives (the EPD threshold is never reached).
  "examples/atm-star.yaml": { fingerprint: "72da577aece2fe18", events: 34_034, sent: 1_045, received: 1_045 },
  // Two cameras and bulk UDP + TCP through router r across the OC-3 trunk: EPD at s2 refuses
  // whole PDUs when TCP pushes the trunk over its cell rate (bulk and TCP lose, video keeps).
  "examples/atm-mixed.yaml": { fingerprint: "4203417d9686fd0c", events: 21_014, sent: 340, received: 156 },
  // Switched circuits by signalling over s1-s2-s3 (routes of output ports): video and upload
  // from cam connect at ~11.4 and ~13.4 ms, a third call from cam is refused (circuitLimit 2),
  // telemetry from sensor connects at ~16.4 ms; sensor fails at 120 ms, s1 misses 3 keep-alives
  // and releases it (hostFailed reaches srv at ~126.7 ms), video and upload close at 150 and
  // 180 ms; telemetry, with no close time, is closed at the run's end (already released: one
  // event, no effect). All traffic is raw AAL5, which is not an IP flow: sent/received stay 0
  // (the circuits' outcomes are checked in test/scenario/scenario-atm.test.ts). Every RELEASE
  // starts T308, cancelled by its RELEASE COMPLETE: no timer fires on these lossless links (the
  // event count is what it was without T308), but each one takes a sequence number of its
  // entity, so the keys and the fingerprint moved when T308 came.
  "examples/atm-svc.yaml": { fingerprint: "b6001faad755a069", events: 170_214, sent: 0, received: 0 },
  // Host stacks (issue 8) on one 100 Mbit/s switch: h0-h1 socket ping-pong (1995 CPUs), 100
  // rounds of 1 KiB from 10 ms at ~1.96 ms a round trip, done by ~206 ms; h2-h3 U-Net stream
  // (2025 CPUs), 200 x 1 KiB back to back at 50 ms, delivered by ~67 ms at ~96 Mbit/s. Counts
  // are messages: 100 pings + 100 answers, 200 stream messages; nothing lost or refused.
  "examples/host-stacks.yaml": { fingerprint: "cee08656795945a5", events: 5_204, sent: 400, received: 400 },
  // RPC over UDP (issue 19): three servers behind 4% loss, each crashing at 1 s and back at
  // 1.25 s, 200 increments each. No IP flows (sent/received 0): the figures are in the rpcUdp
  // section (test/run/crash-rpc.test.ts): at-least-once runs 6 calls twice, at-most-once ends
  // one call unknown, exactly-once runs every call once.
  "examples/crash-rpc.yaml": { fingerprint: "8256ca1bfb0ec3b7", events: 4_741, sent: 0, received: 0 },
  // Two-phase commit (issue 19) with the coordinator down from 230 ms (after the votes of
  // transaction 4, before its decision was durable) to 1.5 s: the participants block, then
  // abort it by presumed abort; 12 commit, 25 are never started. No IP flow: sent/received 0
  // (the workload's figures are checked in test/scenario/two-phase-commit.test.ts).
  "examples/two-phase-commit.yaml": { fingerprint: "4c056c31db49f17c", events: 1_014, sent: 0, received: 0 },
  // Primary-backup under a partition (workloads, no IP flows: sent/received stay 0): the cut at
  // 1 s splits the service (c1 on b, c2 on p) from 1.060 s until p steps down at 2.601 s; 4 of
  // c1's 8 TCP streams to p break, 4.02 to 4.17 s (test/run/primary-backup-example.test.ts).
  "examples/primary-backup.yaml": { fingerprint: "88fb860beb2c2a33", events: 13_731, sent: 0, received: 0 },
};

// Each headline figure below is checked against a value worked out apart from the code: a count
// from the traffic's rate and times, a ceiling from the link rate and per-frame overheads, a
// bound from the routing protocol's timers or a loss model, the Mathis formula. The pins above
// say the trajectory did not move; these say it was right.
type Check = (s: Scenario, flows: FlowReport[], built: BuiltScenario) => void;

const flow = (flows: FlowReport[], label: string): FlowReport => flows.find((f) => f.label === label)!;
/** A traffic entry, its stop resolved as a run resolves it (none given: the run's end). */
const trafficNamed = (s: Scenario, name: string) => {
  const t = s.traffic.find((x) => x.name === name)!;
  return { ...t, stopNs: Math.min(t.stopNs ?? s.durationNs, s.durationNs) };
};
/** Datagrams a CBR source sends: one every size x 8 / rate seconds from start, none at or after stop. */
const cbrCount = (rateBps: number, size: number, startNs: number, stopNs: number): number =>
  Math.ceil(((stopNs - startNs) * rateBps) / (size * 8 * 1e9));
/** Wire bytes of one Ethernet frame carrying `ipBytes`: header 14, FCS 4, preamble + gap (link overhead). */
const ethWire = (ipBytes: number, overhead: number): number => ipBytes + 14 + 4 + overhead;
const IP_TCP_HEADERS = 20 + 20;

const INDEPENDENT: Record<string, Check> = {
  "examples/campus.yaml": (s, flows) => {
    const cbr = trafficNamed(s, "a1-b1") as { rateBps: number; size: number; startNs: number; stopNs: number };
    const a1b1 = flow(flows, "a1-b1");
    expect(a1b1.sentPackets).toBe(cbrCount(cbr.rateBps, cbr.size, cbr.startNs, cbr.stopNs));
    // The r1-r2 failure loses a1 -> b1 traffic until r1's route through r2 times out (its last
    // update came at most one period before the failure) and r3's update takes over: the gap is
    // at least `timeout` and at most `timeout + period` of datagrams.
    const routing = s.routers[0]!.routing as { periodNs: number; timeoutNs: number };
    const intervalNs = (cbr.size * 8 * 1e9) / cbr.rateBps;
    const lost = a1b1.sentPackets - a1b1.receivedPackets;
    expect(lost).toBeGreaterThanOrEqual(Math.floor(routing.timeoutNs / intervalNs));
    expect(lost).toBeLessThanOrEqual(Math.ceil((routing.timeoutNs + routing.periodNs) / intervalNs));
    // The request-response flow, routed c1 -> r3 -> r1 all along, loses nothing: one request
    // every interval from start to the end.
    const rr = trafficNamed(s, "c1-a1") as { intervalNs: number; startNs: number; stopNs: number };
    expect(flow(flows, "c1-a1")).toMatchObject({
      sentPackets: (rr.stopNs - rr.startNs) / rr.intervalNs,
      receivedPackets: (rr.stopNs - rr.startNs) / rr.intervalNs,
    });
  },
  "examples/lossy-wan.yaml": (s, flows) => {
    const bulk = trafficNamed(s, "bulk") as { total: number; size: number };
    expect(flow(flows, "bulk").sentPackets).toBe(Math.ceil(bulk.total / bulk.size));
    // Datagram loss on the WAN from its fault model: per frame, independent loss `loss` and the
    // Gilbert-Elliott bad state (stationary probability p / (p + r), loss 1 there). A datagram of
    // n fragments is lost when any fragment is: between the frame loss (bursts take all n) and
    // 1 - (1 - frame loss)^n (independent losses), give or take three binomial standard
    // deviations of the 2000-datagram sample.
    const wan = s.links.find((l) => l.name === "wan")!;
    const g = wan.faults.burstLoss!;
    const frameLoss = 1 - (1 - wan.faults.loss) * (1 - g.p / (g.p + g.r));
    const up = trafficNamed(s, "upload") as { size: number };
    const fragmentPayload = Math.floor((wan.mtu - 20) / 8) * 8;
    const n = Math.ceil((up.size + 8) / fragmentPayload);
    expect(n).toBe(3);
    const upload = flow(flows, "upload");
    const q = 1 - upload.receivedPackets / upload.sentPackets;
    const sigma = Math.sqrt((q * (1 - q)) / upload.sentPackets);
    expect(q).toBeGreaterThanOrEqual(frameLoss - 3 * sigma);
    expect(q).toBeLessThanOrEqual(1 - (1 - frameLoss) ** n + 3 * sigma);
  },
  "examples/tcp-chain.yaml": (s, flows) => {
    // The ceiling of TCP goodput on the chain: every segment of MSS = MTU - 40 bytes costs
    // MSS + 40 (IP, TCP) + 18 (Ethernet header, FCS) + the link's overhead (preamble, gap) on
    // the wire: 8960 / 9038 of 100 Mbit/s = 99.14 Mbit/s. Slow start keeps it a little below.
    const l = s.links[0]!;
    const mss = l.mtu - IP_TCP_HEADERS;
    const ceiling = (l.rateBps * mss) / ethWire(mss + IP_TCP_HEADERS, l.overheadBytes);
    expect(ceiling / 1e6).toBeCloseTo(99.137, 3);
    const goodput = (flows[0]!.receivedBytes * 8) / (s.durationNs / 1e9);
    expect(goodput).toBeLessThanOrEqual(ceiling);
    expect(goodput).toBeGreaterThan(0.99 * ceiling);
  },
  "examples/tcp-chain-lossy.yaml": (s, flows) => {
    // The Mathis et al. (1997) bound for TCP under random loss p: goodput = C x MSS / (RTT x
    // sqrt(p)), C = sqrt(3/2) when every segment is acked and sqrt(3/4) with an ack every other
    // segment (delayed acks). netloom's receiver acks every second segment and sends an
    // immediate ack for out-of-order data, between the two cases; so the band is the two
    // constants. RTT: the base round trip from the scenario (propagation both ways, a full
    // segment serialized on each hop, an ack on each hop back), the queue at h0 kept out, as
    // the model takes the RTT of an unloaded path. p: the data loss rate of the middle link.
    const l = s.links[0]!;
    const mss = l.mtu - IP_TCP_HEADERS;
    const hop = (bytes: number): number => (ethWire(bytes, l.overheadBytes) * 8) / l.rateBps;
    const rtt = s.links.reduce(
      (t, x) => t + (2 * x.delayNs) / 1e9 + hop(mss + IP_TCP_HEADERS) + hop(IP_TCP_HEADERS),
      0,
    );
    const p = s.links.find((x) => x.faults.loss > 0)!.faults.loss;
    const model = (mss * 8) / (rtt * Math.sqrt(p));
    const goodput = (flows[0]!.receivedBytes * 8) / (s.durationNs / 1e9);
    expect(goodput).toBeGreaterThanOrEqual(Math.sqrt(3 / 4) * model);
    expect(goodput).toBeLessThanOrEqual(Math.sqrt(3 / 2) * model);
  },
  "examples/rpc.yaml": (s, flows) => {
    // The open loop calls once every interval: duration / interval calls.
    const open = flow(flows, "open-loop");
    const openSpec = s.traffic.find((t) => t.name === "open-loop") as unknown as { intervalNs: number };
    expect(open.sentPackets).toBe(s.durationNs / openSpec.intervalNs);
    // A closed-loop call cannot take less than the path's propagation both ways plus the
    // request and answer payloads serialized on the 10 Mbit/s WAN (headers left out: a lower
    // bound), so at most duration / that many calls, and the median call is no faster.
    const closed = flow(flows, "closed-loop");
    const spec = s.traffic.find((t) => t.name === "closed-loop") as unknown as {
      requestSize: number;
      responseSize: number;
    };
    const wan = s.links.find((x) => x.name === "wan")!;
    const propagation = s.links.filter((x) => x.delayNs > 0).reduce((t, x) => t + x.delayNs, 0);
    const fastestNs = 2 * propagation + ((spec.requestSize + spec.responseSize) * 8 * 1e9) / wan.rateBps;
    expect(closed.sentPackets).toBeLessThanOrEqual(Math.floor(s.durationNs / fastestNs));
    expect(closed.latencyNs.p50!).toBeGreaterThanOrEqual(fastestNs);
  },
  "examples/atm-mixed.yaml": (s, flows, built) => {
    const atm = s.atm!;
    const rep = atmReport(built.atm!);
    // Each camera sends one PDU every 1 / rate s from its start to the end of the run.
    for (const t of atm.traffic) {
      const perS = (t as unknown as { pdusPerSecond: number }).pdusPerSecond;
      expect(rep.sources[t.name]!.sent).toBe(Math.ceil(((s.durationNs - t.startNs) * perS) / 1e9));
    }
    // EPD at s2 drops IP PDUs only: the video stays under the trunk's rate, so the display gets
    // every PDU of both cameras but the last of each, sent at 299 ms and still queued behind
    // the other traffic at s2 when the run ends at 300 ms.
    const pdus = atm.traffic.reduce((n, t) => n + rep.sources[t.name]!.sent, 0);
    expect(rep.nics["display"]!.rxPdus).toBeLessThanOrEqual(pdus);
    expect(rep.nics["display"]!.rxPdus).toBeGreaterThanOrEqual(pdus - atm.traffic.length);
    // The trunk carries at most its cell rate: OC-3's STS-3c payload, 155.52 Mbit/s x 260/270,
    // in 424-bit cells, for the length of the run.
    const trunkCellsPerS = (155.52e6 * (260 / 270)) / 424;
    const trunkOut = rep.switches["s2"]!.ports[1]!.txCells;
    expect(trunkOut).toBeLessThanOrEqual(Math.floor((trunkCellsPerS * s.durationNs) / 1e9));
    // The bulk UDP flow: one 8000-byte datagram every 8000 x 8 / 30e6 s from 2 ms.
    const bulk = trafficNamed(s, "bulk") as { rateBps: number; size: number; startNs: number; stopNs: number };
    expect(flow(flows, "bulk").sentPackets).toBe(cbrCount(bulk.rateBps, bulk.size, bulk.startNs, bulk.stopNs));
  },
};

describe("examples keep their pinned trajectories", () => {
  for (const [file, pin] of Object.entries(PINNED)) {
    it(file, () => {
      const scenario = loadScenario(file);
      const built = buildScenario(scenario);
      const { network } = built;
      const result = network.run(scenario.durationNs);
      const report = reportOf(built, 0).flows;
      for (const f of report) {
        // Transport flows check what they deliver: every byte in order, nothing else.
        if (f.transport?.type === "tcp-bulk" || f.transport?.type === "nak-bulk") {
          expect(f.transport.receiver["verified"], f.label ?? "").toBe(true);
          expect(f.receivedBytes).toBeGreaterThan(0);
        }
        if (f.transport?.type === "rpc") expect(f.transport.sender["failed"]).toEqual({});
      }
      INDEPENDENT[file]?.(scenario, report, built);
      const sent = report.reduce((n, f) => n + f.sentPackets, 0);
      const received = report.reduce((n, f) => n + f.receivedPackets, 0);
      expect(sent).toBe(pin.sent);
      expect(received).toBe(pin.received);
      expect(result.totalEvents).toBe(pin.events);
      expect(result.fingerprint).toBe(pin.fingerprint);
      // Drain what is still in flight, then every frame slot must be back. Scenarios with
      // periodic routing never go idle, so only those without routers are drained here.
      if (scenario.routers.length === 0) {
        // Workloads keep timers (heartbeats, keep-alives) for as long as they live.
        for (const w of [...built.primaryBackups, ...built.streamBreaks]) w.destroy();
        for (const l of built.tcp.values()) l.destroy();
        network.runToIdle();
        network.destroy();
      } else network.dispose();
    });
  }
});
