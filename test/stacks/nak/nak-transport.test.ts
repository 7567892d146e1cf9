// The NAK-only rate-based transport: wire format, rate control, exact delivery (SHA-256 of the
// whole transfer) under loss, bursty loss, duplication, reordering and corruption, stated
// failures, bounded buffers, sequence wrap, determinism. The IP harness checks after every
// test that no frame slot leaked.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NetloomError } from "../../../src/base/errors.js";
import { NakReceiver } from "../../../src/stacks/nak/nak-receiver.js";
import { NakSender } from "../../../src/stacks/nak/nak-sender.js";
import {
  NAK_FLAG_FIN,
  NAK_FLAG_SREQ,
  NakParseError,
  NakType,
  NakView,
  emitNakHeader,
  nakControlLength,
} from "../../../src/stacks/nak/nak-wire.js";
import { RateController } from "../../../src/stacks/nak/rate-control.js";
import { world } from "../ip/support.js";
import { track, transfer } from "./support.js";

const MS = 1_000_000;

describe("NAK wire format", () => {
  it("emits the documented header layout", () => {
    const b = new Uint8Array(24).fill(0xa5);
    const v = new NakView(b, 0, 24);
    emitNakHeader(v, NakType.DATA, NAK_FLAG_FIN | NAK_FLAG_SREQ, 0x1234, 0xfffffff0, 100_000, 0x01020304, 0);
    expect([...b.subarray(0, 20)]).toEqual([
      0x11, 0x03, 0x12, 0x34, 0xff, 0xff, 0xff, 0xf0, 0x00, 0x01, 0x86, 0xa0, 1, 2, 3, 4, 0, 0, 0, 0,
    ]);
    expect(v.checkLength()).toBe(NakParseError.OK);
    expect([v.type, v.flags, v.streamId, v.seq, v.info, v.tsval, v.tsecr, v.payloadLength]).toEqual([
      NakType.DATA,
      3,
      0x1234,
      0xfffffff0,
      100_000,
      0x01020304,
      0,
      4,
    ]);
  });

  it("lays out NAK ranges and refuses malformed packets with a reason", () => {
    const len = nakControlLength(2);
    const b = new Uint8Array(len);
    const v = new NakView(b, 0, len);
    emitNakHeader(v, NakType.NAK, 0, 1, 1000, 65536, 5, 6);
    v.rangeCount = 2;
    v.setRange(0, 1000, 2452);
    v.setRange(1, 0xffffff00, 0x100); // wraps: still a forward range
    expect(v.checkLength()).toBe(NakParseError.OK);
    expect([...b.subarray(20, 28)]).toEqual([0, 2, 0, 0, 0, 0, 0x03, 0xe8]);
    expect(new NakView(b, 0, len - 1).checkLength()).toBe(NakParseError.TRUNCATED);
    expect(new NakView(b, 0, 19).checkLength()).toBe(NakParseError.TRUNCATED);
    const bad = (mutate: (x: Uint8Array) => void): number => {
      const c = b.slice();
      mutate(c);
      return new NakView(c, 0, len).checkLength();
    };
    expect(bad((c) => (c[0] = 0x21))).toBe(NakParseError.BAD_VERSION);
    expect(bad((c) => (c[0] = 0x17))).toBe(NakParseError.BAD_TYPE);
    expect(bad((c) => (c[1] = NAK_FLAG_FIN))).toBe(NakParseError.BAD_FLAGS);
    expect(bad((c) => c.set([0, 0, 0, 5], 28))).toBe(NakParseError.BAD_RANGE); // end before start
    expect(bad((c) => c.set([0, 0], 20))).toBe(NakParseError.BAD_LENGTH); // NAK without ranges, bytes left over
  });
});

describe("RateController", () => {
  it("raises the rate on clean windows and backs off until the NAK frequency falls below the lower threshold", () => {
    const r = new RateController({
      initial: "10Mbps",
      min: "1Mbps",
      max: "100Mbps",
      windowPackets: 10,
      upperThreshold: 0.2,
      lowerThreshold: 0.05,
    });
    let t = 0;
    const window = (naked: number): void => {
      r.naked(naked);
      for (let i = 0; i < 10; i++) r.packetSent((t += 1000));
    };
    window(0);
    expect(r.rate).toBe(12_500_000);
    window(2); // 0.2 is not above the upper threshold
    expect(r.rate).toBe(15_625_000);
    window(3); // 0.3 > 0.2: back off
    expect([r.rate, r.stats().state]).toEqual([11_718_750, "backing-off"]);
    window(1); // 0.1 still above the lower threshold: keep backing off
    expect(r.rate).toBe(8_789_063);
    window(0); // below: increasing again, rate held this window
    expect([r.rate, r.stats().state]).toEqual([8_789_063, "increasing"]);
    for (let i = 0; i < 30; i++) window(0);
    expect(r.rate).toBe(100e6);
    const s = r.stats();
    expect([s.min, s.max, s.decreases, s.lastFrequency, s.peakFrequency]).toEqual([8_789_063, 100e6, 2, 0, 0.3]);
    expect(s.trajectory.at(-1)).toEqual([expect.any(Number), 100e6]);
  });

  it("supports additive steps, keeps the bounds and waits a smoothed RTT per window", () => {
    const r = new RateController({
      initial: 2e6,
      min: 1e6,
      max: 4e6,
      windowPackets: 4,
      increase: { mode: "additive", amount: "1Mbps" },
      decrease: { mode: "additive", amount: 3e6 },
    });
    for (let i = 0; i < 4; i++) r.packetSent(i, 10);
    expect(r.rate).toBe(2e6); // 4 packets but only 3 ns of the 10 ns minimum window
    r.packetSent(10, 10);
    expect(r.rate).toBe(3e6);
    for (let i = 0; i < 8; i++) r.packetSent(100 + i);
    expect(r.rate).toBe(4e6);
    r.naked(4);
    for (let i = 0; i < 4; i++) r.packetSent(200 + i);
    expect(r.rate).toBe(1e6);
    expect(() => new RateController({ increase: { mode: "multiplicative", amount: 0.5 } })).toThrow(/factor > 1/);
    expect(() => new RateController({ min: 5e6, max: 1e6 })).toThrow(NetloomError);
    expect(() => new RateController({ upperThreshold: 0.1, lowerThreshold: 0.2 })).toThrow(/lowerThreshold/);
  });
});

describe("NAK transport", () => {
  it("delivers a clean transfer exactly, raises its rate, and finishes on the final ack", () => {
    const r = transfer({ size: 600_000, sender: { rate: { initial: "20Mbps", max: "100Mbps" }, overheadBytes: 38 } });
    expect(r.result).toEqual({ ok: true });
    expect(r.digestOk).toBe(true);
    expect(r.ended).toBe(1);
    const t = r.tx.stats();
    const x = r.rx.stats();
    expect(t.state).toBe("done");
    expect(x.streamLength).toBe(600_000);
    expect(t.packetsRetransmitted).toBe(0);
    expect(x.naksSent).toBe(0);
    expect(x.duplicates).toBe(0);
    expect(t.rate.increases).toBe(7);
    expect(t.rate.decreases).toBe(0);
    expect(t.rate.max).toBeGreaterThan(80e6);
    expect(t.statusReceived).toBe(3); // status requests free the send buffer
    expect(t.srttNs).toBeGreaterThan(2 * MS);
    expect(x.goodputBps).toBeGreaterThan(30e6); // starts at 20 Mbit/s: most of 600 kB goes during the climb
    expect(x.goodputBps).toBeLessThan(100e6);
  });

  it("repairs random loss in both directions (NAKs lost too)", () => {
    const r = transfer({ size: 400_000, faults: { loss: 0.03 }, seed: 5 });
    expect(r.result).toEqual({ ok: true });
    expect(r.digestOk).toBe(true);
    const t = r.tx.stats();
    const x = r.rx.stats();
    expect(t.packetsRetransmitted).toBe(9);
    expect(x.naksSent).toBe(9);
    expect(t.naksReceived).toBe(8);
    expect(t.naksReceived).toBeLessThanOrEqual(x.naksSent);
    expect(r.link.stats(0).drops.LOSS_RANDOM).toBe(9);
    expect(r.link.stats(1).drops.LOSS_RANDOM).toBe(2); // NAKs and status lost on the way back
  });

  it("repairs bursty loss", () => {
    const r = transfer({ size: 400_000, faults: { burstLoss: { p: 0.01, r: 0.3 } }, seed: 2 });
    expect(r.result).toEqual({ ok: true });
    expect(r.digestOk).toBe(true);
    expect(r.link.stats(0).drops.LOSS_BURST).toBeGreaterThan(5);
    expect(r.rx.stats().rangesNaked).toBe(3);
  });

  it("drops duplicates (counted) and never delivers a byte twice", () => {
    const r = transfer({ size: 300_000, faults: { duplicate: 0.1 }, seed: 3 });
    expect(r.digestOk).toBe(true);
    expect(r.deliveredBytes).toBe(300_000);
    expect(r.rx.stats().duplicates).toBeGreaterThan(10);
    expect(r.result).toEqual({ ok: true });
  });

  it("reorders", () => {
    const r = transfer({ size: 300_000, faults: { reorder: { probability: 0.05, delay: "3ms" } }, seed: 4 });
    expect(r.digestOk).toBe(true);
    expect(r.link.stats(0).reordered).toBe(9);
    expect(r.rx.stats().outOfOrder).toBe(40);
    expect(r.result).toEqual({ ok: true });
  });

  it("survives corruption: damaged frames are refused below the transport and repaired", () => {
    const r = transfer({ size: 300_000, faults: { ber: 2e-6 }, seed: 6 });
    expect(r.digestOk).toBe(true);
    expect(r.link.stats(0).corrupted).toBe(5);
    expect(r.tx.stats().packetsRetransmitted).toBe(5);
    expect(r.result).toEqual({ ok: true });
  });

  it("delivers exactly under every fault at once, for any seed (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 150_000 }), (seed, size) => {
        const r = transfer({
          size,
          seed,
          faults: { loss: 0.02, duplicate: 0.02, reorder: { probability: 0.02, delay: "200us" }, ber: 1e-6 },
          sender: { sendBuffer: 32768 },
          receiver: { window: 16384 },
        });
        expect(r.result).toEqual({ ok: true });
        expect(r.digestOk).toBe(true);
        expect(r.deliveredBytes).toBe(size);
      }),
      { numRuns: 6 },
    );
  });

  it("backs off when its rate overruns a bottleneck (upper threshold crossed), then rises again", () => {
    const r = transfer({ size: 2_000_000, sender: { rate: { initial: "50Mbps", max: "1Gbps" } }, queueLimit: 32 });
    expect(r.digestOk).toBe(true);
    const rate = r.tx.stats().rate;
    expect(rate.max).toBeGreaterThan(100e6);
    expect(rate.peakFrequency).toBeGreaterThan(0.15);
    expect(rate.decreases).toBe(10);
    expect(rate.increases).toBeGreaterThan(rate.decreases);
    expect(rate.min).toBeLessThan(100e6);
    expect(r.link.stats(0).drops.QUEUE_FULL).toBe(291);
    // Rises after a back-off: some increase comes after the first decrease.
    const traj = rate.trajectory.map(([, v]) => v);
    const firstDrop = traj.findIndex((v, i) => i > 0 && v < traj[i - 1]!);
    expect(traj.slice(firstDrop).some((v, i, a) => i > 0 && v > a[i - 1]!)).toBe(true);
  });

  it("keeps every buffer bounded: a writer larger than the send buffer waits, tiny range sets refuse and recover", () => {
    const r = transfer({
      size: 200_000,
      faults: { loss: 0.15 },
      seed: 9,
      // The sender assumes a 64 KiB window until the first status says 4096.
      sender: { sendBuffer: 65536, repairQueue: 4, rate: { initial: "50Mbps" } },
      receiver: { window: 4096, maxRanges: 1 },
    });
    expect(r.digestOk).toBe(true);
    expect(r.result).toEqual({ ok: true });
    const t = r.tx.stats();
    expect(t.repairQueueHighWater).toBeLessThanOrEqual(4);
    const x = r.rx.stats();
    expect(x.beyondWindow + x.rangesRefused).toBe(1);
    expect(t.bytesWritten).toBe(200_000);
  });

  it("fails with a stated reason on both ends when the path dies", () => {
    const w = world(1, 512);
    const A = w.host("a", { address: "10.0.0.1/24" });
    const B = w.host("b", { address: "10.0.0.2/24" });
    w.link(A.nic, 0, B.nic, { rate: 100e6, delay: 1e6, schedule: [{ at: "20ms", state: "down" }] });
    const rx = track(new NakReceiver(B, { port: 7000, timeout: "300ms" }));
    const tx = track(new NakSender(A, { dst: B.ip, dstPort: 7000, timeout: "500ms" }));
    let rxFail = "";
    let txResult: unknown;
    rx.onFail((reason) => (rxFail = reason));
    tx.onClose((res) => (txResult = res));
    tx.write(new Uint8Array(500_000));
    tx.end();
    w.sim.scheduler.runToIdle();
    expect(rxFail).toMatch(/^SENDER_SILENT: nothing from the sender for 300 ms; \d+ bytes delivered/);
    expect(rx.state).toBe("failed");
    expect(txResult).toEqual({
      ok: false,
      reason: expect.stringMatching(
        /^NO_FEEDBACK: nothing heard from the receiver for \d+ ms with \d+ bytes unconfirmed/,
      ),
    });
    expect(tx.state).toBe("failed");
    expect(tx.stats().probes).toBe(4);
  });

  it("handles sequence numbers that wrap past 2^32", () => {
    const iss = 0xffff_ffff - 50_000;
    const r = transfer({
      size: 200_000,
      faults: { loss: 0.02 },
      seed: 8,
      sender: { initialSequence: iss },
      receiver: { initialSequence: iss },
    });
    expect(r.digestOk).toBe(true);
    expect(r.rx.stats().streamLength).toBe(200_000);
    expect(r.result).toEqual({ ok: true });
  });

  it("drops malformed and foreign packets with reasons, and never crashes", () => {
    const w = world(1, 256);
    const A = w.host("a", { address: "10.0.0.1/24" });
    const B = w.host("b", { address: "10.0.0.2/24" });
    w.link(A.nic, 0, B.nic, { rate: 100e6, delay: 1e6 });
    const rx = track(new NakReceiver(B, { port: 7000 }));
    const raw = A.bind(5000);
    raw.send(B.ip, 7000, Uint8Array.of(1, 2, 3)); // too short
    const pkt = new Uint8Array(nakControlLength(1));
    const v = new NakView(pkt, 0, pkt.length);
    emitNakHeader(v, NakType.NAK, 0, 1, 0, 0, 1, 0);
    v.rangeCount = 1;
    v.setRange(0, 0, 10);
    raw.send(B.ip, 7000, pkt); // a NAK sent to a receiver
    pkt[0] = 0x31;
    raw.send(B.ip, 7000, pkt); // version 3
    w.sim.scheduler.runToIdle();
    expect(rx.stats().drops).toEqual({ TRUNCATED: 1, UNEXPECTED_CONTROL: 1, BAD_VERSION: 1 });
    expect(rx.state).toBe("listen");
  });

  it("is deterministic: same seed, same trajectory; another seed, another", () => {
    const run = (seed: number) => {
      const r = transfer({ size: 150_000, faults: { loss: 0.03, duplicate: 0.01 }, seed });
      return [r.sim.scheduler.fingerprint.toString(), r.digestOk, r.tx.stats().packetsSent, r.rx.stats().naksSent];
    };
    const a = run(11);
    expect(run(11)).toEqual(a);
    expect(run(12)[0]).not.toBe(a[0]);
  });

  it("refuses API misuse with NetloomError", () => {
    const w = world(1, 64);
    const A = w.host("a", { address: "10.0.0.1/24" });
    expect(() => new NakSender(A, { dst: "10.0.0.2", dstPort: 7000, sendBuffer: 5000 })).toThrow(/not a power of two/);
    expect(() => new NakReceiver(A, { port: 7000, window: 1000 })).toThrow(NetloomError);
    expect(() => new NakSender(A, { dst: "10.0.0.2", dstPort: 7000, segmentSize: 2000 })).toThrow(/segmentSize/);
    const tx = track(new NakSender(A, { dst: "10.0.0.2", dstPort: 7000 }));
    tx.end();
    expect(() => tx.write(new Uint8Array(1))).toThrow(/write after end/);
    tx.close();
    expect(() => tx.write(new Uint8Array(1))).toThrow(/closed/);
  });
});
