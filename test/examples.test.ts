// Every runnable example, run in full with its own seed, must keep its trajectory: the
// fingerprint is pinned. When a change moves one, verify the new behaviour by other means and
// update the pin in the same commit, saying why (STYLE.md, "fingerprint tests").
import { describe, expect, it } from "vitest";
import { loadScenario } from "../src/scenario/scenario.js";
import { buildScenario } from "../src/run/build-scenario.js";
import { reportOf } from "../src/run/run-report.js";

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
  // (the circuits' outcomes are checked in test/scenario/scenario-atm.test.ts).
  "examples/atm-svc.yaml": { fingerprint: "85e8a8d6e9a7fc8a", events: 170_214, sent: 0, received: 0 },
  // Host stacks (issue 8) on one 100 Mbit/s switch: h0-h1 socket ping-pong (1995 CPUs), 100
  // rounds of 1 KiB from 10 ms at ~1.96 ms a round trip, done by ~206 ms; h2-h3 U-Net stream
  // (2025 CPUs), 200 x 1 KiB back to back at 50 ms, delivered by ~67 ms at ~96 Mbit/s. Counts
  // are messages: 100 pings + 100 answers, 200 stream messages; nothing lost or refused.
  "examples/host-stacks.yaml": { fingerprint: "cee08656795945a5", events: 5_204, sent: 400, received: 400 },
  // Primary-backup under a partition (workloads, no IP flows: sent/received stay 0): the cut at
  // 1 s splits the service (c1 on b, c2 on p) from 1.060 s until p steps down at 2.601 s; 4 of
  // c1's 8 TCP streams to p break, 4.02 to 4.17 s (test/run/primary-backup-example.test.ts).
  "examples/primary-backup.yaml": { fingerprint: "88fb860beb2c2a33", events: 13_731, sent: 0, received: 0 },
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
      if (file === "examples/tcp-chain.yaml")
        expect((report[0]!.receivedBytes * 8) / (scenario.durationNs / 1e9)).toBeGreaterThan(95e6);
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
