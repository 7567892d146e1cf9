// TCP sender/receiver behaviour: flow control with a slow reader, Nagle, delayed acks, water
// marks, keep-alive, RTO backoff, burst trains.
import { describe, expect, it } from "vitest";
import type { TcpConnection } from "../../../src/stacks/tcp/tcp-connection.js";
import { TCP_BURST_BIT } from "../../../src/stacks/tcp/tcp-types.js";
import { pump, randomBytes, sha256, sink, tcpPair } from "./support.js";

function established(options: Parameters<typeof tcpPair>[0] = {}, client = {}, server = {}) {
  const p = tcpPair(options);
  let s: TcpConnection | undefined;
  p.tb.listen(80, (c) => (s = c), server);
  const c = p.ta.connect(p.B.ip, 80, client);
  p.sim.scheduler.runUntil(p.sim.now + 20_000_000);
  if (s === undefined) throw new Error("not established");
  return { ...p, c, s };
}

/** Counts segments a -> b on the wire with their TCP payload lengths and flags. */
function wireLog(p: ReturnType<typeof tcpPair>, dir: 0 | 1) {
  const log: { t: number; len: number; flags: number; burst: boolean }[] = [];
  p.link.trace[dir].sniffer.subscribe((t, frame) => {
    const off = p.sim.frames.offset(frame);
    const u8 = p.sim.runtime.u8;
    const ipLen = (u8[off + 16]! << 8) | u8[off + 17]!;
    const tcp = off + 14 + 20;
    const hl = (u8[tcp + 12]! >>> 4) * 4;
    log.push({ t, len: ipLen - 20 - hl, flags: u8[tcp + 13]!, burst: (u8[tcp + 12]! & TCP_BURST_BIT) !== 0 });
  });
  return log;
}

describe("TCP flow control and buffers", () => {
  it("a slow reader closes the window; the writer waits (persist) and every byte arrives", () => {
    const p = established({}, { sendBuffer: 64 * 1024 }, { receiveBuffer: 16 * 1024 });
    const { sim, c, s } = p;
    s.pause();
    const rs = sink(s);
    const data = randomBytes(200_000, 5);
    pump(c, data);
    sim.scheduler.runUntil(sim.now + 50_000_000);
    // The receive buffer is full: 16 KiB held, the sender sees a zero window.
    expect(s.readableBytes).toBeGreaterThan(16 * 1024 - 1460);
    // Receiver SWS avoidance: the window never reopens by less than an MSS.
    expect(c.stats().peerWindow).toBeLessThan(1460);
    expect(rs.bytes).toBe(0);
    // Read 4 KiB every 10 ms.
    for (let i = 0; i < 200 && rs.bytes < data.length; i++) {
      s.read(4096);
      sim.scheduler.runUntil(sim.now + 10_000_000);
    }
    s.resume();
    sim.scheduler.runUntil(sim.now + 2_000_000_000);
    expect(rs.bytes).toBe(data.length);
    expect(rs.digest()).toBe(sha256(data));
    expect(c.stats().retransmits).toBe(0);
  });

  it("write() stops at the high-water mark and onWritable wakes the writer at the low-water mark", () => {
    const { sim, c, s } = established({}, { sendBuffer: 10_000, lowWater: 3000 });
    s.pause();
    sink(s);
    expect(c.write(randomBytes(25_000))).toBe(10_000);
    expect(c.writableBytes).toBe(0);
    let woke = -1;
    c.onWritable(() => (woke = c.bufferedBytes));
    sim.scheduler.runUntil(sim.now + 100_000_000);
    // Woken once the unsent and unacked bytes fell to the low-water mark (3000) or below.
    expect(woke).toBe(1240);
    expect(() => {
      c.end();
      c.write(new Uint8Array(1));
    }).toThrow(/after end/);
  });

  it("Nagle holds small writes while data is unacked; noDelay sends each at once", () => {
    for (const noDelay of [false, true]) {
      const p = established({ link: { rate: 1e9, delay: 1_000_000 } }, { noDelay });
      const log = wireLog(p, 0);
      const rs = sink(p.s);
      for (let i = 0; i < 10; i++) p.c.write(randomBytes(100, i + 1));
      p.sim.scheduler.runUntil(p.sim.now + 100_000_000);
      const data = log.filter((x) => x.len > 0);
      expect(rs.bytes).toBe(1000);
      // Nagle: the first 100 bytes go alone, the other 900 wait for its ack and go together.
      expect(data.map((x) => x.len)).toEqual(noDelay ? Array(10).fill(100) : [100, 900]);
    }
  });

  it("delayed acks: one ack per two full segments, a lone segment acked after the delay", () => {
    const p = established({ link: { rate: 1e9, delay: 10_000 } }, { noDelay: true }, { delayedAck: 40_000_000 });
    const acks = wireLog(p, 1);
    sink(p.s);
    p.c.write(randomBytes(1460 * 10));
    p.sim.scheduler.runUntil(p.sim.now + 5_000_000);
    expect(acks.filter((a) => a.len === 0).length).toBe(5);
    const t0 = p.sim.now;
    p.c.write(randomBytes(200));
    p.sim.scheduler.runUntil(t0 + 100_000_000);
    const last = acks[acks.length - 1]!;
    expect(acks.length).toBe(6);
    expect(last.t - t0).toBeGreaterThanOrEqual(40_000_000);
    expect(last.t - t0).toBeLessThan(41_000_000);
  });

  it("burst trains: members carry the burst bit and the receiver acks once per train", () => {
    const p = established({ link: { rate: 1e9, delay: 10_000 } }, { burst: { train: 8 }, initialWindow: 8 });
    const data = wireLog(p, 0);
    const acks = wireLog(p, 1);
    const rs = sink(p.s);
    p.c.write(randomBytes(1460 * 8, 2));
    p.sim.scheduler.runUntil(p.sim.now + 5_000_000);
    const segs = data.filter((x) => x.len > 0);
    expect(segs.length).toBe(8);
    expect(segs.map((x) => x.burst)).toEqual([true, true, true, true, true, true, true, false]);
    expect(acks.length).toBe(1);
    expect(rs.bytes).toBe(1460 * 8);
  });
});

describe("TCP timers", () => {
  it("RTO backs off exponentially and the connection fails with a stated reason", () => {
    const p = established({}, { maxRetries: 4, minRto: 200_000_000 });
    const log = wireLog(p, 0);
    const s = sink(p.c);
    p.link.setDown(p.sim.now + 1);
    p.sim.scheduler.runUntil(p.sim.now + 2);
    const t0 = p.sim.now;
    p.c.write(randomBytes(500));
    p.sim.scheduler.runToIdle();
    expect(s.error).toMatch(/^retransmission timeout: 4 retransmissions/);
    expect(log.length).toBe(0); // the link is down: nothing crossed
    const st = p.c.stats();
    expect(st.timeouts).toBe(5);
    // 200 + 400 + 800 + 1600 + 3200 ms after the first send (RTO from a ~20 us RTT: the minimum).
    expect(p.sim.now - t0).toBeGreaterThanOrEqual(6_200_000_000);
    expect(p.sim.now - t0).toBeLessThan(6_210_000_000);
  });

  it("keep-alive breaks a dead idle connection (link down) after its probes", () => {
    const ka = { idle: 1_000_000_000, interval: 200_000_000, count: 3 };
    const p = established({}, { keepAlive: ka });
    const s = sink(p.c);
    // An idle but healthy connection stays up: the peer answers the probes.
    p.sim.scheduler.runUntil(p.sim.now + 5_000_000_000);
    expect(p.c.state).toBe("ESTABLISHED");
    expect(p.c.stats().keepAliveProbes).toBe(5);
    const t0 = p.sim.now;
    p.link.setDown(t0 + 1);
    p.sim.scheduler.runToIdle();
    expect(s.error).toBe("keep-alive: no answer to 3 probes after 1000000000 ns idle");
    expect(p.sim.now - t0).toBeLessThanOrEqual(1_000_000_000 + 3 * 200_000_000 + 1);
  });

  it("a listener's backlog bounds half-open connections", () => {
    const p = tcpPair();
    p.tb.listen(80, () => {}, { backlog: 2 });
    p.A.ping(p.B.ip); // ARP resolved both ways first
    p.sim.scheduler.runUntil(1_000_000);
    p.link.setFaults({ loss: 1 }, 1); // b -> a lost: the handshakes never finish
    for (let i = 0; i < 4; i++) p.ta.connect(p.B.ip, 80, { synRetries: 1 });
    p.sim.scheduler.runUntil(500_000_000);
    expect(p.tb.stats().drops).toEqual({ BACKLOG_FULL: 2 });
    expect(p.tb.stats().activeConnections).toBe(2);
  });
});
