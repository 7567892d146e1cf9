// TCP basics: handshake, data both ways, close variants, RST, checksum drops, options.
import { describe, expect, it } from "vitest";
import type { TcpConnection } from "../../../src/stacks/tcp/tcp-connection.js";
import { TCP_FLAG_RST } from "../../../src/wire/tcp.js";
import { arriveSegment, pump, randomBytes, sha256, sink, tcpPair } from "./support.js";

function accept(tb: ReturnType<typeof tcpPair>["tb"], port = 80, options = {}) {
  const got: TcpConnection[] = [];
  tb.listen(port, (c) => got.push(c), options);
  return got;
}

describe("TCP handshake and data", () => {
  it("opens with a three-way handshake and agrees MSS, window scale and SACK", () => {
    const { sim, ta, tb, B } = tcpPair();
    const got = accept(tb);
    const c = ta.connect(B.ip, 80);
    expect(c.state).toBe("SYN-SENT");
    sim.scheduler.runUntil(sim.now + 1_000_000);
    expect(c.state).toBe("ESTABLISHED");
    expect(got.length).toBe(1);
    const s = got[0]!;
    expect(s.state).toBe("ESTABLISHED");
    expect(s.remotePort).toBe(c.localPort);
    expect(c.localPort).toBeGreaterThanOrEqual(49152);
    const cs = c.stats();
    expect(cs.mss).toBe(1460);
    expect(cs.sackEnabled).toBe(true);
    // 256 KiB buffers need scaling: the peer window is above 65535 after the handshake.
    expect(cs.peerWindow).toBeGreaterThan(65535);
    expect(cs.segmentsSent).toBe(2); // SYN, ACK
    expect(s.stats().segmentsSent).toBe(1); // SYN-ACK
    expect(cs.srtt).toBe(22784);
  });

  it("moves data both ways exactly, then closes in order (FIN-WAIT-2 / TIME-WAIT / LAST-ACK)", () => {
    const { sim, ta, tb, B } = tcpPair();
    const got = accept(tb);
    const c = ta.connect(B.ip, 80, { timeWait: 1_000_000_000 });
    const up = randomBytes(300_000, 3);
    const down = randomBytes(50_000, 4);
    const rc = sink(c);
    pump(c, up);
    let rs: ReturnType<typeof sink> | undefined;
    sim.scheduler.runUntil(1_000_000);
    const s = got[0]!;
    rs = sink(s);
    pump(s, down, false);
    let serverClosedAt = -1;
    s.onEnd(() => {
      rs!.ended = true;
      s.end();
      serverClosedAt = sim.now;
    });
    sim.scheduler.runUntil(500_000_000);
    expect(rs.bytes).toBe(up.length);
    expect(rs.digest()).toBe(sha256(up));
    expect(rc.bytes).toBe(down.length);
    expect(rc.digest()).toBe(sha256(down));
    expect(rs.ended).toBe(true);
    expect(rc.ended).toBe(true);
    expect(serverClosedAt).toBe(2558344);
    expect(s.state).toBe("CLOSED");
    expect(rs.closed).toBe("closed");
    expect(c.state).toBe("TIME-WAIT");
    sim.scheduler.runToIdle();
    expect(c.state).toBe("CLOSED");
    expect(rc.closed).toBe("closed");
    expect(rc.error).toBeUndefined();
    expect(ta.stats().activeConnections).toBe(0);
    expect(tb.stats().activeConnections).toBe(0);
  });

  it("closes simultaneously through CLOSING on both sides", () => {
    const { sim, ta, tb, B } = tcpPair();
    const got = accept(tb, 80, { timeWait: 1e6 });
    const c = ta.connect(B.ip, 80, { timeWait: 1e6 });
    sim.scheduler.runUntil(1_000_000);
    const s = got[0]!;
    const states: string[] = [];
    c.end();
    s.end();
    states.push(c.state, s.state);
    sim.scheduler.runUntil(sim.now + 30_000);
    states.push(c.state, s.state);
    sim.scheduler.runToIdle();
    expect(states).toEqual(["FIN-WAIT-1", "FIN-WAIT-1", "TIME-WAIT", "TIME-WAIT"]);
    expect(c.closeReason).toBe("closed");
    expect(s.closeReason).toBe("closed");
  });

  it("opens simultaneously (both sides connect to each other's port)", () => {
    const { sim, ta, tb, A, B } = tcpPair();
    const c1 = ta.connect(B.ip, 5000, { localPort: 6000 });
    const c2 = tb.connect(A.ip, 6000, { localPort: 5000 });
    sim.scheduler.runUntil(10_000_000);
    expect(c1.state).toBe("ESTABLISHED");
    expect(c2.state).toBe("ESTABLISHED");
    const r2 = sink(c2);
    c1.write(randomBytes(5000, 9));
    sim.scheduler.runUntil(100_000_000);
    expect(r2.digest()).toBe(sha256(randomBytes(5000, 9)));
  });

  it("answers a SYN to a closed port with RST: connect fails with a stated reason", () => {
    const { sim, ta, tb, B } = tcpPair();
    const c = ta.connect(B.ip, 81);
    const s = sink(c);
    sim.scheduler.runUntil(10_000_000);
    expect(c.state).toBe("CLOSED");
    expect(s.error).toBe("connection refused (RST)");
    expect(tb.stats().rstSent).toBe(1);
    expect(tb.stats().drops).toEqual({ NO_LISTENER: 1 });
  });

  it("a segment SYN-SENT must drop (neither SYN nor RST, or a RST without ACK) is counted, not silent", () => {
    const { sim, ta, link, A, B } = tcpPair();
    link.setDown(0); // the SYN never arrives: the connection stays in SYN-SENT
    const c = ta.connect(B.ip, 80);
    sim.scheduler.runUntil(1_000_000);
    const seg = { srcPort: 80, dstPort: c.localPort, seq: 5000, ack: 0 };
    arriveSegment(sim, B, A, { ...seg, flags: 0 }); // the fuzzer's case: no flags at all
    arriveSegment(sim, B, A, { ...seg, flags: TCP_FLAG_RST });
    expect(c.state).toBe("SYN-SENT");
    expect(c.stats().segmentsReceived).toBe(2);
    expect(c.stats().drops).toEqual({ NO_SYN: 1, NO_ACK_FLAG: 1 });
  });

  it("a RST for no connection is dropped and counted, never answered", () => {
    const { sim, ta, A, B } = tcpPair();
    arriveSegment(sim, B, A, { srcPort: 80, dstPort: 40000, seq: 1, ack: 0, flags: TCP_FLAG_RST });
    expect(ta.stats()).toMatchObject({ segmentsReceived: 1, rstSent: 0, drops: { STRAY_RST: 1 } });
  });

  it("a spoofed in-window segment does not start an endless ACK exchange (RFC 5961 section 7 limit)", () => {
    const { sim, ta, tb, A, B } = tcpPair();
    const got = accept(tb);
    const c = ta.connect(B.ip, 80);
    // The last segment b sends to a: its sequence and ack numbers are where b's stream is.
    let next = { seq: 0, ack: 0 };
    A.nic.trace[0]!.phyRxEnd.subscribe((_t, f) => {
      const b = sim.frames.bytes(f);
      const v = new DataView(b.buffer, b.byteOffset);
      const payload = v.getUint16(16) - 20 - 4 * (b[46]! >>> 4);
      next = { seq: (v.getUint32(38) + payload) >>> 0, ack: v.getUint32(42) };
    });
    sim.scheduler.runUntil(2_000_000);
    got[0]!.write(new Uint8Array(100));
    sim.scheduler.runUntil(100_000_000);
    // 50 bytes b never sent: a acks them, b finds that ack ahead of what it sent and answers,
    // a finds that answer old and answers... without a limit, at link rate for ever.
    arriveSegment(sim, B, A, { srcPort: 80, dstPort: c.localPort, ...next, flags: 0x18, data: 50 });
    const events = sim.scheduler.run(sim.now + 1_000_000_000);
    expect(events).toBeLessThan(50);
    expect(c.stats().drops["UNACCEPTABLE"]).toBeLessThanOrEqual(2);
    expect(got[0]!.stats().drops["BAD_ACK"]).toBeLessThanOrEqual(2);
  });

  it("abort() resets the peer, which reports it", () => {
    const { sim, ta, tb, B } = tcpPair();
    const got = accept(tb);
    const c = ta.connect(B.ip, 80);
    sim.scheduler.runUntil(1_000_000);
    const rs = sink(got[0]!);
    c.abort();
    expect(c.closeReason).toBe("aborted by the application");
    sim.scheduler.runUntil(2_000_000);
    expect(got[0]!.state).toBe("CLOSED");
    expect(rs.error).toBe("connection reset by peer");
  });

  it("times out a SYN nobody answers, with backoff, and says so", () => {
    const { sim, ta, link } = tcpPair();
    link.setDown(0);
    const c = ta.connect("10.0.0.2", 80, { synRetries: 3 });
    const s = sink(c);
    sim.scheduler.runToIdle();
    expect(s.error).toBe("connection timed out: no answer to 3 SYN segments");
    // 1 s + 2 s + 4 s of backoff.
    expect(sim.now).toBe(7_000_000_000);
  });

  it("drops a segment with a bad checksum and counts it", () => {
    const { sim, ta, tb, B, link } = tcpPair();
    const got = accept(tb);
    const c = ta.connect(B.ip, 80, { noDelay: true });
    sim.scheduler.runUntil(1_000_000);
    const rs = sink(got[0]!);
    // Flip one payload bit of the next frame a -> b and leave the FCS flag alone (as if a
    // device had damaged it after the Ethernet check): only the TCP checksum can catch it.
    let armed = true;
    link.trace[0].sniffer.subscribe((_t, frame) => {
      if (!armed) return;
      armed = false;
      const off = sim.frames.offset(frame);
      sim.runtime.u8[off + 14 + 20 + 20 + 3]! ^= 0x10;
    });
    c.write(randomBytes(100, 1));
    sim.scheduler.runUntil(2_000_000_000);
    expect(rs.bytes).toBe(100);
    expect(rs.digest()).toBe(sha256(randomBytes(100, 1)));
    expect(tb.stats().drops).toEqual({ BAD_CHECKSUM: 1 });
    expect(c.stats().timeouts).toBe(1); // the lone segment came back after one RTO
  });

  it("refuses bad options with NetloomError naming them", () => {
    const { ta } = tcpPair();
    expect(() => ta.connect("10.0.0.2", 80, { sendBuffer: 0 })).toThrow(/sendBuffer/);
    expect(() => ta.connect("10.0.0.2", 0)).toThrow(/port/);
    expect(() => ta.listen(80, () => {}, { backlog: 0 })).toThrow(/backlog/);
  });
});
