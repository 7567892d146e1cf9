// The protocol accelerator's behaviour: connection fields once behind a cookie (bytes on the
// wire), drops of what it cannot map, prediction hits and misses, packing under backlog, loss
// recovery, TOTAL's one order, and the compositions it refuses.
import { describe, expect, it } from "vitest";
import { NetloomError } from "../../../src/base/errors.js";
import type { AcceleratedStack, AcceleratedStackStats } from "../../../src/stacks/accel/accelerator.js";
import { emitAccelHeader, emitConnId, emitMiniHeader, AccelKind } from "../../../src/stacks/accel/mini-header.js";
import { PingPong } from "../../../src/stacks/layered/ping-pong.js";
import { FIVE_LAYERS, msgBytes, pair } from "./support.js";
import { errorOf } from "../../support/errors.js";

function inetSum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

const st = (s: unknown) => (s as AcceleratedStack).stats() as AcceleratedStackStats;

describe("AcceleratedStack", () => {
  it("sends the connection identification with the first frame only, then just the cookie", () => {
    const p = pair({ kind: "accelerated", net: "atm" });
    const pdus: Uint8Array[][] = [[], []];
    p.atm.forEach((nic, i) =>
      nic.setPduTap({ pdu: (_t, _p, _c, u8, ptr, len, tx) => void (tx && pdus[i]!.push(u8.slice(ptr, ptr + len))) }),
    );
    const pp = new PingPong(p.stacks[0]!, p.stacks[1]!, 8, 3);
    pp.start();
    p.sim.scheduler.runToIdle();
    expect(pp.done).toBe(true);
    const [first, second] = pdus[0]!;
    // First: C bit, 62-bit cookie, 24 bytes of connection identification, header, 8 bytes.
    expect(first!.length).toBe(8 + 24 + 16 + 8);
    expect(first![0]! & 0xc0).toBe(0x80);
    expect([...first!.subarray(8, 12)]).toEqual([1, 0, 1, 2]); // version, src 0, dst 1, 2 members
    expect(first![16]).toBe(2); // ATM
    const h = first!.subarray(32);
    expect([...h.subarray(0, 12)]).toEqual([AccelKind.DATA, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]); // seq 0, ack 0
    expect((h[12]! << 8) | h[13]!).toBe(8);
    expect(inetSum(h)).toBe(0xffff);
    // Later frames: no C bit, the same cookie, no connection fields: 16 + 8 bytes after it.
    expect(second!.length).toBe(8 + 16 + 8);
    expect(second![0]! & 0xc0).toBe(0);
    expect([...second!.subarray(0, 8)].map((x, i) => (i === 0 ? x & 0x3f : x))).toEqual(
      [...first!.subarray(0, 8)].map((x, i) => (i === 0 ? x & 0x3f : x)),
    );
    expect([...second!.subarray(8, 16)]).toEqual([AccelKind.DATA, 0, 0, 1, 0, 0, 0, 1]); // seq 1
    expect([...second!.subarray(16, 20)]).toEqual([0, 0, 0, 1]); // gossip: the peer's message 0 delivered
    expect(st(p.stacks[0]).connIdSent).toBe(1);
    expect(st(p.stacks[1]).connIdReceived).toBe(1);
    expect(pdus[1]![0]![0]! & 0x80).toBe(0x80); // the other direction announces its own cookie once
    expect(pdus[1]![1]![0]! & 0x80).toBe(0);
  });

  it("drops frames it cannot map: unknown cookie, wrong connection, byte order, malformed, bad checksum", () => {
    const p = pair({ kind: "accelerated", net: "atm" });
    const nic = p.atm[1]!;
    const vc = 0;
    const frame = (
      mini: { conn: boolean; hi: number; lo: number; le?: boolean },
      sig = (p.stacks[0] as AcceleratedStack).signature,
      badSum = false,
    ) => {
      const b = new Uint8Array(8 + (mini.conn ? 24 : 0) + 16 + 4);
      emitMiniHeader(b, 0, mini.conn, mini.hi, mini.lo);
      if (mini.le) b[0]! |= 0x40;
      let at = 8;
      if (mini.conn) {
        emitConnId(b, 8, {
          version: 1,
          src: 1,
          dst: 0,
          members: 2,
          signature: sig,
          link: 2,
          srcAddress: new Uint8Array(6),
          dstAddress: new Uint8Array(6),
        });
        at += 24;
      }
      b.set([1, 2, 3, 4], at + 16);
      emitAccelHeader(b, at, { kind: AccelKind.DATA, flags: 0, count: 1, seq: 0, ack: 0, length: 4, checksum: 0 });
      const sum = ~inetSum(b.subarray(at)) & 0xffff;
      b[at + 14] = sum >>> 8;
      b[at + 15] = (sum & 0xff) ^ (badSum ? 1 : 0);
      return b;
    };
    nic.sendBytes(vc, frame({ conn: false, hi: 5, lo: 6 })); // no connection announced yet
    nic.sendBytes(vc, frame({ conn: true, hi: 5, lo: 6 }, 0x1234)); // another stack
    nic.sendBytes(vc, frame({ conn: true, hi: 5, lo: 6, le: true }));
    nic.sendBytes(vc, frame({ conn: true, hi: 5, lo: 6 }, undefined, true));
    nic.sendBytes(vc, new Uint8Array([0x80, 0, 0]));
    nic.sendBytes(vc, frame({ conn: true, hi: 5, lo: 6 })); // announces cookie 5:6, message 0
    nic.sendBytes(vc, frame({ conn: false, hi: 5, lo: 7 })); // a cookie nobody announced
    p.sim.scheduler.runToIdle();
    expect(st(p.stacks[0]).drops).toMatchObject({
      unknownCookie: 2,
      badConnId: 1,
      badByteOrder: 1,
      badChecksum: 1,
      badHeader: 1,
    });
    expect(p.received[0]!.map((r) => [...r.bytes])).toEqual([[1, 2, 3, 4]]);
    expect(st(p.stacks[0]).connIdReceived).toBe(1);
  });

  it("counts prediction hits on a quiet ping-pong and misses when frames are lost", () => {
    const quiet = pair({ kind: "accelerated" });
    const pp = new PingPong(quiet.stacks[0]!, quiet.stacks[1]!, 64, 20);
    pp.start();
    quiet.sim.scheduler.runToIdle();
    expect(pp.done).toBe(true);
    for (const s of quiet.stacks)
      expect(st(s)).toMatchObject({
        predictionHits: 20,
        predictionMisses: 0,
        fastSends: 20,
        postSendJobs: 20,
        postReceiveJobs: 20,
      });

    const lossy = pair({
      kind: "accelerated",
      ethLink: { rate: "155Mbps", delay: "5us", faults: { loss: 0.1 } },
      seed: 4,
    });
    const pl = new PingPong(lossy.stacks[0]!, lossy.stacks[1]!, 64, 60);
    pl.start();
    lossy.sim.scheduler.runToIdle();
    expect(pl.done).toBe(true);
    expect(pl.mismatches).toBe(0);
    const a = st(lossy.stacks[0]);
    const b = st(lossy.stacks[1]);
    expect(a.predictionMisses + b.predictionMisses).toBe(40); // retransmissions carry RETX
    expect(a.retransmitted + b.retransmitted).toBe(40);
    expect(a.predictionHits + b.predictionHits).toBeGreaterThan(60);
  });

  it("packs a backlog into few frames; the receiver unpacks all, in order", () => {
    const p = pair({ kind: "accelerated", net: "atm" });
    for (let i = 0; i < 40; i++) expect(p.send(0, msgBytes(100, i))).toBe(true);
    p.sim.scheduler.runToIdle();
    expect(p.received[1]!.map((r) => r.bytes[0])).toEqual(Array.from({ length: 40 }, (_, i) => i));
    for (const r of p.received[1]!) expect(r.bytes).toEqual(msgBytes(100, r.bytes[0]!));
    const a = st(p.stacks[0]);
    expect(a.backlogged).toBeGreaterThan(30);
    expect(a.packedFrames).toBe(2);
    expect(a.packedMessages).toBeGreaterThan(30);
    expect(a.fastSends).toBeLessThan(10); // frames, not messages
    expect(a.bytesCopied).toBe(a.packedMessages * 100); // packing copies (charged)
    expect(p.atm[0]!.stats().txPdus).toBe(a.framesSent);
    expect(a.unacknowledged).toBe(0);
    // TOTAL delivers the sender's own messages to it too, in the same order.
    expect(p.received[0]!.map((r) => r.bytes[0])).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it("recovers lost frames (20% loss both ways): every message once, in order", () => {
    const p = pair({ kind: "accelerated", ethLink: { rate: "10Mbps", delay: "50us", faults: { loss: 0.2 } }, seed: 5 });
    for (let i = 0; i < 150; i++) expect(p.send(0, msgBytes(200, i))).toBe(true);
    p.sim.scheduler.runToIdle();
    expect(p.received[1]!.map((r) => r.bytes[0])).toEqual(Array.from({ length: 150 }, (_, i) => i & 0xff));
    for (const r of p.received[1]!) expect(r.bytes).toEqual(msgBytes(200, r.bytes[0]!));
    const a = st(p.stacks[0]);
    const b = st(p.stacks[1]);
    expect(a.retransmitted).toBe(13);
    expect(b.naksSent).toBe(13);
    expect(a.unacknowledged).toBe(0);
  });

  it("recovers lost cells over ATM through a switch, both members sending: one total order", () => {
    const p = pair({
      kind: "accelerated",
      net: "atm",
      atmSwitch: true,
      atmLink: { rate: "OC-3", delay: "20us", faults: { cellLoss: 0.01 } },
      seed: 9,
    });
    for (let k = 0; k < 30; k++) {
      p.send(0, msgBytes(300, k));
      p.send(1, msgBytes(301, 100 + k));
    }
    p.sim.scheduler.runToIdle();
    const orders = p.received.map((r) => r.map((x) => `${x.src}:${x.bytes[0]}`));
    expect(orders[0]!.length).toBe(60);
    expect(orders[1]).toEqual(orders[0]);
    for (const m of [0, 1]) {
      expect(orders[0]!.filter((s) => s.startsWith(`${m}:`))).toEqual(
        Array.from({ length: 30 }, (_, k) => `${m}:${m * 100 + k}`),
      );
    }
    expect(st(p.stacks[1]).selfDelivered).toBe(30);
  });

  it("refuses compositions it cannot accelerate, with the path of the offending layer", () => {
    expect(errorOf(() => pair({ kind: "accelerated", layers: ["TOTAL", "COM"] })).message).toMatch(
      /^h0\.accel\.layers\[0\]: TOTAL requires reliable, fifo/,
    );
    expect(errorOf(() => pair({ kind: "accelerated", layers: ["STABLE", "NAK", "COM"] })).message).toBe(
      "h0.accel.layers[0]: STABLE is not accelerated (the accelerator implements COM, FRAG, NAK, FC, TOTAL)",
    );
    expect(errorOf(() => pair({ kind: "accelerated", layers: ["FRAG", "COM"] })).path).toBe("h0.accel.layers");
    expect(errorOf(() => pair({ kind: "accelerated", extra: { members: [1, 2, 3] } })).path).toBe("h0.accel.members");
    expect(errorOf(() => pair({ kind: "accelerated", extra: { nak: { ringSize: 100 } } })).path).toBe(
      "h0.accel.nak.ringSize",
    );
    const p = pair({ kind: "accelerated", layers: FIVE_LAYERS });
    expect(p.stacks[0]!.configuration).toBe("accelerated");
    expect(p.stacks[0]!.maxMessage).toBe(1500 - 8 - 24 - 16);
    expect(() => p.stacks[0]!.allocMessage(1453)).toThrow(NetloomError);
    const f = p.stacks[0]!.allocMessage(1);
    expect(() => p.stacks[0]!.send(f, 0)).toThrow(NetloomError); // not the peer's rank
    p.sim.frames.release(f);
  });
});
