import { describe, expect, it } from "vitest";
import { NetloomError } from "../../../src/base/errors.js";
import type { AtmNic } from "../../../src/devices/atm-nic.js";
import type { EthernetNic } from "../../../src/devices/nic.js";
import { PingPong } from "../../../src/stacks/layered/ping-pong.js";
import { AmStack, amDevice, type AmMessage, type AmStackOptions } from "../../../src/stacks/am/am-stack.js";
import { AM_ETHERTYPE, AM_KIND_REPLY, AM_KIND_REQUEST } from "../../../src/stacks/am/am-wire.js";
import { UnetEndpoint } from "../../../src/stacks/unet/unet-endpoint.js";
import { mac, msgBytes, pair, sendBytes, type NicKind, type Pair } from "../support-zero-copy.js";

type Opts = Partial<Omit<AmStackOptions, "device" | "cpu">>;

function amPair(kind: NicKind, oa: Opts = {}, ob: Opts = {}) {
  const p = pair(kind, { etherType: AM_ETHERTYPE });
  const a = p.track(
    new AmStack(p.sim, "a", { device: p.devices[0]!, cpu: p.cpus[0]!, rank: 0, channels: { 1: p.spec(0, 1) }, ...oa }),
  );
  const b = p.track(
    new AmStack(p.sim, "b", { device: p.devices[1]!, cpu: p.cpus[1]!, rank: 1, channels: { 0: p.spec(1, 0) }, ...ob }),
  );
  p.sim.scheduler.runUntil(2_000_000);
  return { p, a, b };
}

interface Seen {
  src: number;
  kind: number;
  handler: number;
  args: number[];
  bytes: Uint8Array;
}

function seen(am: AmStack, m: AmMessage): Seen {
  return {
    src: m.src,
    kind: m.kind,
    handler: m.handler,
    args: [...m.args.subarray(0, m.nargs)],
    bytes: am.u8.slice(m.ptr, m.ptr + m.length),
  };
}

function payload(am: AmStack, bytes: Uint8Array): number {
  const f = am.allocMessage(bytes.length);
  am.u8.set(bytes, am.frames.offset(f));
  return f;
}

describe.each(["atm", "ethernet"] as const)("Active Messages over %s", (kind) => {
  it("dispatches requests to their handler, which replies from the handler with arguments and payload", () => {
    const { p, a, b } = amPair(kind);
    const atB: Seen[] = [];
    const atA: Seen[] = [];
    b.registerHandler(5, (am, m) => {
      atB.push(seen(am, m));
      // Echo the payload reversed, arguments + 1, to handler 6 of the requester.
      const back = am.u8.slice(m.ptr, m.ptr + m.length).reverse();
      expect(
        am.reply(
          6,
          [...m.args.subarray(0, m.nargs)].map((x) => x + 1),
          payload(am, back),
        ),
      ).toBe(true);
    });
    a.registerHandler(6, (am, m) => atA.push(seen(am, m)));
    const sizes = [0, 3, 20, 500, a.maxMessage];
    sizes.forEach((n, i) =>
      expect(a.request(1, 5, [i, 0xfffffff0, 7].slice(0, i % 4), payload(a, msgBytes(n, i)))).toBe(true),
    );
    p.sim.scheduler.runToIdle();
    expect(atB).toEqual(
      sizes.map((n, i) => ({
        src: 0,
        kind: AM_KIND_REQUEST,
        handler: 5,
        args: [i, 0xfffffff0, 7].slice(0, i % 4),
        bytes: msgBytes(n, i),
      })),
    );
    expect(atA).toEqual(
      sizes.map((n, i) => ({
        src: 1,
        kind: AM_KIND_REPLY,
        handler: 6,
        args: [i, 0xfffffff0, 7].slice(0, i % 4).map((x) => (x + 1) >>> 0),
        bytes: msgBytes(n, i).reverse(),
      })),
    );
    expect(a.stats()).toMatchObject({ requests: 5, replies: 0, handled: 5, bytesCopied: 0 });
    expect(b.stats()).toMatchObject({ requests: 0, replies: 5, handled: 5, bytesCopied: 0 });
    for (const c of p.cpus) expect(c.stats().ops.copy.count).toBe(0);
  });

  it("drops and counts a message for a handler nobody registered", () => {
    const { p, a, b } = amPair(kind);
    const hits: number[] = [];
    b.registerHandler(9, () => hits.push(9));
    a.request(1, 8, [1]);
    a.request(1, 9, [1]);
    a.request(1, 200);
    p.sim.scheduler.runToIdle();
    expect(hits).toEqual([9]);
    expect(b.stats().drops.unknownHandler).toBe(2);
    expect(b.stats().handled).toBe(1);
    // Unregistering makes it unknown again; the buffers all came back.
    b.registerHandler(9, undefined);
    a.request(1, 9);
    p.sim.scheduler.runToIdle();
    expect(b.stats().drops.unknownHandler).toBe(3);
    expect(b.endpoint.stats().freeQueue).toBe(32);
  });

  it("charges one HANDLER_DISPATCH per message on top of U-Net's driver work, interrupts only when asked", () => {
    for (const receive of ["poll", "interrupt"] as const) {
      const { p, a, b } = amPair(kind, { receive }, { receive });
      b.registerHandler(1, (am) => am.reply(2));
      a.registerHandler(2, () => {});
      const before = p.cpus.map((c) => c.stats().ops);
      for (let i = 0; i < 4; i++) a.request(1, 1, [i], payload(a, msgBytes(100, i)));
      p.sim.scheduler.runToIdle();
      const prof = p.cpus[0]!.profile;
      for (const [i, c] of p.cpus.entries()) {
        const ops = c.stats().ops;
        expect(ops.handlerDispatch).toEqual({ ns: 4 * prof.handlerDispatchNs, count: 4 });
        // 4 sends + 4 receives, one descriptor charge each.
        expect(ops.driver.count - before[i]!.driver.count).toBe(8);
        expect(ops.systemCall.count - before[i]!.systemCall.count).toBe(0);
        // One interrupt per upcall; an upcall drains every descriptor queued by then.
        if (receive === "interrupt") {
          expect(ops.interrupt.count).toBeGreaterThanOrEqual(1);
          expect(ops.interrupt.count).toBeLessThanOrEqual(4);
          expect(ops.interrupt.ns).toBe(ops.interrupt.count * prof.interruptNs);
        } else {
          expect(ops.interrupt.count).toBe(0);
        }
      }
    }
  });

  it("enforces the request/reply discipline inside handlers", () => {
    const { p, a, b } = amPair(kind);
    const errors: string[] = [];
    b.registerHandler(1, (am) => {
      am.reply(2);
      try {
        am.reply(2);
      } catch (e) {
        errors.push((e as NetloomError).message);
      }
      try {
        am.request(0, 2, [], am.allocMessage(4));
      } catch (e) {
        errors.push((e as NetloomError).message);
      }
    });
    a.registerHandler(2, (am) => {
      try {
        am.reply(3);
      } catch (e) {
        errors.push((e as NetloomError).message);
      }
    });
    a.request(1, 1);
    p.sim.scheduler.runToIdle();
    expect(errors).toEqual([
      "b.reply: a request handler replies at most once",
      "b.request: a handler may not send a request (only a request handler's one reply)",
      "a.reply: reply() is only allowed inside a request handler",
    ]);
    expect(() => a.reply(1)).toThrow(NetloomError);
    expect(() => a.registerHandler(0, () => {})).toThrow(/a.handlers: 0 is not a handler id/);
    expect(() => a.request(1, 1, [1, 2, 3, 4, 5])).toThrow(/args: 5 arguments/);
    // The discarded buffer went back to the segment.
    expect(b.endpoint.stats().segmentFree).toBe(64);
  });

  it("runs the MessageStack workloads through the default handler", () => {
    const { p, a, b } = amPair(kind);
    const pp = new PingPong(a, b, 40, 10);
    pp.start();
    p.sim.scheduler.runToIdle();
    expect(pp.done).toBe(true);
    expect(pp.mismatches).toBe(0);
    const got: Uint8Array[] = [];
    b.setApp({ onMessage: (s, ptr, len, src) => (expect(src).toBe(0), got.push(s.u8.slice(ptr, ptr + len))) });
    sendBytes(a, msgBytes(300, 1));
    p.sim.scheduler.runToIdle();
    expect(got).toEqual([msgBytes(300, 1)]);
  });
});

describe("Active Messages wire bytes", () => {
  function sender(kind: NicKind): { p: Pair; a: AmStack } {
    const p = pair(kind, { devices: false });
    const dev = p.trackDevice(amDevice(p.sim, "h0.am", p.nics[0]!));
    const spec = kind === "atm" ? { vpi: 1, vci: 77 } : { mac: mac(1), tag: 9, remoteTag: 0x0102 };
    const a = p.track(new AmStack(p.sim, "a", { device: dev, cpu: p.cpus[0]!, channels: { 1: spec } }));
    return { p, a };
  }

  it("ATM: the handler id and arguments are the first words of the AAL5 PDU", () => {
    const { p, a } = sender("atm");
    const nic1 = p.nics[1] as AtmNic;
    nic1.openVc(1, 77);
    const pdus: Uint8Array[] = [];
    nic1.setReceiver({ deliver: (_vc, ptr, len) => (pdus.push(p.sim.runtime.u8.slice(ptr, ptr + len)), false) });
    p.sim.scheduler.runUntil(2_000_000);
    a.request(1, 0x33, [0x0a0b0c0d], payload(a, msgBytes(5, 1)));
    p.sim.scheduler.runToIdle();
    expect(pdus.length).toBe(1);
    expect([...pdus[0]!.subarray(0, 8)]).toEqual([0x10, 0x33, 0x01, 0x00, 0x0a, 0x0b, 0x0c, 0x0d]);
    expect(pdus[0]!.subarray(8)).toEqual(msgBytes(5, 1));
  });

  it("Ethernet: EtherType 0x88B6 (U-Net's), the U-Net channel header, then the AM header", () => {
    const { p, a } = sender("ethernet");
    const frames: Uint8Array[] = [];
    (p.nics[1] as EthernetNic).setReceiver({
      onFrame: (nic, f) => (frames.push(p.sim.frames.bytes(f).slice()), nic.consume(f)),
    });
    p.sim.scheduler.runUntil(2_000_000);
    a.request(1, 0x44, [1, 2], payload(a, msgBytes(50, 2)));
    p.sim.scheduler.runToIdle();
    expect(frames.length).toBe(1);
    const f = frames[0]!;
    expect([...f.subarray(12, 14)]).toEqual([0x88, 0xb6]);
    expect([...f.subarray(14, 22)]).toEqual([0x10, 0, 0x01, 0x02, 0, 12 + 50, 0, 0]);
    expect([...f.subarray(22, 34)]).toEqual([0x10, 0x44, 0x02, 0x00, 0, 0, 0, 1, 0, 0, 0, 2]);
    expect(f.subarray(34, 84)).toEqual(msgBytes(50, 2));
  });
});

describe("Active Messages figures (workstation-1995, OC-3)", () => {
  it("a round trip costs U-Net's plus two handler dispatches", () => {
    const rtt = (am: boolean, size: number): number => {
      let a, b, p;
      if (am) ({ p, a, b } = amPair("atm"));
      else {
        p = pair("atm");
        a = p.track(
          new UnetEndpoint(p.sim, "a", {
            device: p.devices[0]!,
            cpu: p.cpus[0]!,
            rank: 0,
            channels: { 1: p.spec(0, 1) },
          }),
        );
        b = p.track(
          new UnetEndpoint(p.sim, "b", {
            device: p.devices[1]!,
            cpu: p.cpus[1]!,
            rank: 1,
            channels: { 0: p.spec(1, 0) },
          }),
        );
        p.sim.scheduler.runUntil(2_000_000);
      }
      const pp = new PingPong(a, b, size, 10);
      pp.start();
      p.sim.scheduler.runToIdle();
      expect(pp.done).toBe(true);
      return pp.meanRtt();
    };
    const r = [8, 40, 1000].map((n) => [n, rtt(true, n), rtt(false, n)] as const);
    console.log(`active-messages ATM OC-3 RTT: ${r.map(([n, am]) => `${n} B ${(am / 1e3).toFixed(1)} us`).join(", ")}`);
    for (const [n, am, un] of r) {
      expect(am).toBeGreaterThanOrEqual(un + 2 * 150);
      // The 4-byte header can add a cell each way (40 B + 4 + 8 > 48).
      expect(am - un).toBeLessThan(2 * 150 + 2 * 2900);
      if (n <= 40) expect(am).toBeLessThan(100_000);
    }
  });
});
