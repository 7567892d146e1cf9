// Switched ATM circuits opened by signalling (src/devices/atm-signalling.ts): open along a route
// of output ports through four switches, AAL5 both ways, close from either end, every refusal
// cause, the circuit limit, keep-alive host failure, malformed signalling PDUs. After every
// test the frame pool must be empty again.
import { afterEach, describe, expect, it } from "vitest";
import { NetloomError } from "../../src/base/errors.js";
import { AtmLink } from "../../src/devices/atm-link.js";
import { AtmNic } from "../../src/devices/atm-nic.js";
import { HostSignalling, type HostSignallingOptions } from "../../src/devices/atm-host-signalling.js";
import { SwitchSignalling, type SwitchSignallingOptions } from "../../src/devices/atm-switch-signalling.js";
import { AtmSwitch } from "../../src/devices/atm-switch.js";
import { Simulation } from "../../src/engine/simulation.js";
import { aal5Segment } from "../../src/kernels/aal5.js";
import { AtmSignalView, SigCause, SigType, emitAtmSignal, sigRepr } from "../../src/wire/atm-signalling.js";
import { CellInjector } from "../support/atm.js";

const sims: { sim: Simulation; destroy: (() => void)[] }[] = [];
afterEach(() => {
  for (const s of sims.splice(0)) {
    for (const d of s.destroy) d();
    s.sim.scheduler.runToIdle();
    expect(s.sim.frames.leaks()).toEqual([]);
    s.sim.destroy();
  }
});

interface Events {
  log: string[];
}

/** Recording call handlers: "connected:vc", "failed:cause", "released:cause". */
function recorder(ev: Events, who: string) {
  return {
    connected: (call: number, vc: number) => ev.log.push(`${who} connected ${call} vc${vc}`),
    failed: (call: number, cause: number) => ev.log.push(`${who} failed ${call} ${cause}`),
    released: (call: number, cause: number) => ev.log.push(`${who} released ${call} ${cause}`),
  };
}

/**
 * a -- s1:1   s1:4 -- s2:0   s2:3 -- s3:2   s3:0 -- s4:5   s4:7 -- b ; c on s2:1 ; s3:1 empty.
 * The route from a to b is "4.3.0.7".
 */
function network(
  o: { sw?: SwitchSignallingOptions; host?: HostSignallingOptions; vcCapacity?: number; bSignalling?: boolean } = {},
) {
  const ctx = { sim: new Simulation({ seed: 1, frameSlots: 1024, slotBytes: 10240 }), destroy: [] as (() => void)[] };
  sims.push(ctx);
  const { sim } = ctx;
  const sw = (name: string, ports: number) => {
    const s = new AtmSwitch(sim, name, { ports, vcCapacity: name === "s3" ? (o.vcCapacity ?? 4096) : 4096 });
    ctx.destroy.push(() => s.destroy());
    return s;
  };
  const s1 = sw("s1", 8);
  const s2 = sw("s2", 4);
  const s3 = sw("s3", 4);
  const s4 = sw("s4", 8);
  const nic = (name: string) => {
    const n = new AtmNic(sim, name);
    ctx.destroy.push(() => n.destroy());
    return n;
  };
  const na = nic("a");
  const nb = nic("b");
  const nc = nic("c");
  let k = 0;
  const links: AtmLink[] = [];
  const link = (x: AtmSwitch | AtmNic, px: number, y: AtmSwitch | AtmNic, py: number) => {
    const l = new AtmLink(sim, `l${k++}`, { rate: "OC-3", delay: 10_000 });
    x.attach(px, l, 0);
    y.attach(py, l, 1);
    links.push(l);
  };
  link(na, 0, s1, 1);
  link(s1, 4, s2, 0);
  link(s2, 3, s3, 2);
  link(s3, 0, s4, 5);
  link(s4, 7, nb, 0);
  link(nc, 0, s2, 1);
  const sigs = [s1, s2, s3, s4].map((s) => new SwitchSignalling(s, o.sw));
  const host = (n: AtmNic) => {
    const h = new HostSignalling(n, o.host);
    ctx.destroy.push(() => h.destroy());
    return h;
  };
  const a = host(na);
  const b = o.bSignalling === false ? undefined : host(nb);
  const c = host(nc);
  const switches = [s1, s2, s3, s4];
  /** Every switch's circuit count on every port, and the signalling's VCIs and calls. */
  const held = () => ({
    circuits: switches.reduce((n, s) => n + s.ports.reduce((m, _p, i) => m + s.circuitCount(i), 0), 0),
    entries: switches.reduce((n, s) => n + s.vcTable.size, 0),
    vcis: sigs.reduce((n, s) => n + s.stats().vcisInUse, 0),
    calls: sigs.reduce((n, s) => n + s.callsHeld, 0),
  });
  return { sim, s1, s2, s3, s4, sigs, na, nb, nc, a, b, c, held, links };
}

/** Collects PDUs a NIC delivers: "vc:len:firstByte". */
function sink(nic: AtmNic): string[] {
  const got: string[] = [];
  const u8 = nic.sim.runtime.u8;
  nic.setReceiver({ deliver: (vc, ptr, len) => (got.push(`${vc}:${len}:${u8[ptr]}`), false) });
  return got;
}

const NONE = { circuits: 0, entries: 0, vcis: 0, calls: 0 };

describe("switched circuits along a route of output ports", () => {
  it("opens along 4.3.0.7, carries AAL5 both ways, and a close from the caller frees every hop", () => {
    const n = network();
    const ev: Events = { log: [] };
    const gotA = sink(n.na);
    const gotB = sink(n.nb);
    let vcA = -1;
    let vcB = -1;
    n.b!.setIncoming((inc) => (ev.log.push(`b incoming tag${inc.tag}`), true), { connected: (_c, vc) => (vcB = vc) });
    const call = n.a.open(
      "4.3.0.7",
      { ...recorder(ev, "a"), connected: (id, vc) => ((vcA = vc), ev.log.push(`a connected ${id}`)) },
      { tag: 77 },
    );
    expect(n.a.callInfo(call)!.state).toBe("calling");
    n.sim.scheduler.run(5_000_000);
    expect(ev.log).toEqual(["b incoming tag77", `a connected ${call}`]);
    expect(n.a.callInfo(call)).toMatchObject({ role: "caller", state: "active", vc: vcA });
    // Circuit 0 of each NIC is signalling (VCI 5); the call is the next one.
    expect([vcA, vcB]).toEqual([1, 1]);
    // Two entries per switch (one per direction), one circuit counted on each input port.
    expect(n.held()).toEqual({ circuits: 8, entries: 8, vcis: 8, calls: 4 });
    expect(n.s1.circuitCount(1)).toBe(1);
    expect(n.s1.circuitCount(4)).toBe(1);
    expect(n.s4.circuitCount(7)).toBe(1);
    // The same VCI both ways on each host link (a UNI), from the switched range.
    const addrA = n.na.vcAddress(vcA);
    expect(addrA.vci).toBeGreaterThanOrEqual(256);
    expect(n.s1.vcTable.lookup(1, 0, addrA.vci)).toMatchObject({ outPort: 4 });
    n.na.sendBytes(vcA, new Uint8Array(3000).fill(0xa1));
    n.nb.sendBytes(vcB, new Uint8Array(100).fill(0xb2));
    n.sim.scheduler.run(10_000_000);
    expect(gotB).toEqual([`${vcB}:3000:161`]);
    expect(gotA).toEqual([`${vcA}:100:178`]);
    expect(n.a.close(call)).toBe(true);
    expect(n.a.close(call)).toBe(false);
    n.sim.scheduler.run(20_000_000);
    // The closing caller gets no callback for its own close.
    expect(ev.log).toEqual(["b incoming tag77", `a connected ${call}`]);
    expect(n.held()).toEqual(NONE);
    expect(n.b!.stats()).toMatchObject({ accepted: 1, released: { normal: 1 }, calls: 0 });
    expect(n.a.stats()).toMatchObject({ opened: 1, connected: 1, closed: 1, calls: 0 });
    expect(n.na.isOpen(vcA)).toBe(false);
    expect(n.nb.isOpen(vcB)).toBe(false);
    const s2 = n.sigs[1]!.stats();
    expect(s2).toMatchObject({ setups: 1, connects: 1, released: { normal: 1 }, calls: 0 });
    expect(s2.rx["setup"]).toBe(1);
    expect(s2.tx["setup"]).toBe(1);
    // Data after the close finds no circuit anywhere.
    expect(n.na.sendBytes(vcA, new Uint8Array(10))).toBe(false);
  });

  it("a close from the called end releases every hop and tells the caller", () => {
    const n = network();
    const ev: Events = { log: [] };
    let incoming = -1;
    n.b!.setIncoming(undefined, { connected: (id) => (incoming = id) });
    const call = n.a.open([4, 3, 0, 7], recorder(ev, "a"));
    n.sim.scheduler.run(5_000_000);
    expect(n.b!.callInfo(incoming)).toMatchObject({ role: "callee", state: "active" });
    expect(n.b!.close(incoming)).toBe(true);
    n.sim.scheduler.run(10_000_000);
    expect(ev.log).toEqual([expect.stringMatching(/^a connected/), `a released ${call} ${SigCause.NORMAL}`]);
    expect(n.held()).toEqual(NONE);
    expect(n.a.stats().released).toEqual({ normal: 1 });
  });

  it("two circuits share links with distinct VCIs; closing one leaves the other", () => {
    const n = network();
    const ev: Events = { log: [] };
    const one = n.a.open("4.3.0.7", recorder(ev, "a"));
    const two = n.a.open("4.1", recorder(ev, "a")); // a -> s1:4 -> s2:1 -> c
    n.sim.scheduler.run(5_000_000);
    expect(ev.log.filter((l) => l.includes("connected"))).toHaveLength(2);
    const vOne = n.na.vcAddress(n.a.callInfo(one)!.vc).vci;
    const vTwo = n.na.vcAddress(n.a.callInfo(two)!.vc).vci;
    expect(vOne).not.toBe(vTwo);
    expect(n.s1.circuitCount(1)).toBe(2);
    n.a.close(one);
    n.sim.scheduler.run(10_000_000);
    expect(n.held()).toMatchObject({ circuits: 4, calls: 2 }); // s1 and s2 keep call two
    n.a.close(two);
    n.sim.scheduler.run(15_000_000);
    expect(n.held()).toEqual(NONE);
  });
});

describe("lost RELEASE messages: T308 (Q.2931 5.4.3)", () => {
  // l2 joins s2:3 (end 0) and s3:2 (end 1); direction 0 carries s2 -> s3.
  it("a RELEASE lost between two switches is sent again after T308 and every table drains", () => {
    const n = network();
    const call = n.a.open("4.3.0.7");
    n.sim.scheduler.run(5_000_000);
    expect(n.held()).toEqual({ circuits: 8, entries: 8, vcis: 8, calls: 4 });
    n.links[2]!.setFaults(0, { cellLoss: 1 });
    n.a.close(call);
    n.sim.scheduler.run(10_000_000);
    // s1 and s2 let go; the RELEASE from s2 never reached s3, so s3, s4 and b still hold it.
    expect(n.held()).toEqual({ circuits: 4, entries: 4, vcis: 4, calls: 2 });
    expect(n.b!.callsHeld).toBe(1);
    expect(n.sigs[1]!.stats()).toMatchObject({ releasing: 1, releaseRetransmits: 0 });
    n.links[2]!.setFaults(0, undefined);
    n.sim.scheduler.run(40_000_000);
    expect(n.held()).toEqual(NONE);
    expect(n.b!.callsHeld).toBe(0);
    expect(n.b!.stats().released).toEqual({ normal: 1 });
    expect(n.sigs[1]!.stats()).toMatchObject({ releasing: 0, releaseRetransmits: 1, releaseTimeouts: 0 });
    for (const sig of [n.sigs[0]!, n.sigs[2]!, n.sigs[3]!])
      expect(sig.stats()).toMatchObject({ releasing: 0, releaseRetransmits: 0, releaseTimeouts: 0 });
    expect(n.a.stats()).toMatchObject({ releasing: 0, releaseRetransmits: 0, closed: 1 });
  });

  it("a RELEASE from a host, lost on its own link, is sent again", () => {
    const n = network();
    const call = n.a.open("4.3.0.7");
    n.sim.scheduler.run(5_000_000);
    n.links[0]!.setFaults(0, { cellLoss: 1 }); // a -> s1
    n.a.close(call);
    n.sim.scheduler.run(10_000_000);
    expect(n.held()).toEqual({ circuits: 8, entries: 8, vcis: 8, calls: 4 });
    n.links[0]!.setFaults(0, undefined);
    n.sim.scheduler.run(40_000_000);
    expect(n.held()).toEqual(NONE);
    expect(n.a.stats()).toMatchObject({ releasing: 0, releaseRetransmits: 1, releaseTimeouts: 0 });
  });

  it("a second expiry clears the reference and counts it: the sender's table is bounded", () => {
    const n = network();
    const call = n.a.open("4.3.0.7");
    n.sim.scheduler.run(5_000_000);
    n.links[2]!.setFaults(0, { cellLoss: 1 });
    n.a.close(call);
    n.sim.scheduler.run(60_000_000);
    expect(n.sigs[1]!.stats()).toMatchObject({ releasing: 0, releaseRetransmits: 1, releaseTimeouts: 1 });
    // What the lost RELEASEs should have reached cannot know: the far side stays until its
    // own host closes the call (or fails and is noticed by keep-alive).
    expect(n.held().calls).toBe(2);
    expect(n.b!.callsHeld).toBe(1);
    n.links[2]!.setFaults(0, undefined);
    n.b!.close(n.b!.stats().accepted);
    n.sim.scheduler.run(100_000_000);
    expect(n.held()).toEqual(NONE);
  });

  it("under 5% cell loss on the trunk, 300 calls opened and closed leave no call held anywhere", () => {
    const outcome = (releaseTimeout: string) => {
      const n = network({ sw: { releaseTimeout }, host: { releaseTimeout, maxCalls: 1024 } });
      n.links[1]!.setFaults(0, { cellLoss: 0.05 });
      n.links[1]!.setFaults(1, { cellLoss: 0.05 });
      const open: number[] = [];
      for (let wave = 0; wave < 3; wave++) {
        const calls = Array.from({ length: 100 }, () => n.a.open("4.3.0.7"));
        n.sim.scheduler.run(n.sim.now + 30_000_000);
        for (const c of calls) if (n.a.callInfo(c)?.state === "active") open.push(c);
        for (const c of open.splice(0)) n.a.close(c);
        n.sim.scheduler.run(n.sim.now + 100_000_000);
      }
      const retransmits = n.sigs.reduce((k, s) => k + s.stats().releaseRetransmits, n.a.stats().releaseRetransmits);
      return { held: n.held().calls, atB: n.b!.callsHeld, retransmits };
    };
    // T308 out of reach (longer than the run): lost RELEASEs leave calls orphaned, as before T308.
    // Ten RELEASEs from a were lost on s1 -> s2: s2, s3, s4 and b each still hold those ten.
    expect(outcome("10s")).toEqual({ held: 30, atB: 10, retransmits: 0 });
    // T308 at its default: every table drains (the resent RELEASEs, and those after lost
    // SETUPs and CONNECTs that ended in the caller's setup timeout).
    expect(outcome("20ms")).toEqual({ held: 0, atB: 0, retransmits: 29 });
  });
});

describe("per-hop signalling delay", () => {
  it("each entity processes each message after its delay: 10 steps from SETUP to CONNECT over 4 switches", () => {
    const connectAt = (delay: number) => {
      const n = network({ sw: { delay }, host: { delay } });
      let at = -1;
      n.a.open("4.3.0.7", { connected: () => (at = n.sim.now) });
      n.sim.scheduler.run(20_000_000);
      return at;
    };
    const base = connectAt(0);
    // SETUP at s1..s4 and b, CONNECT at s4..s1 and a.
    expect(connectAt(100_000) - base).toBe(10 * 100_000);
    expect(connectAt(1_000) - base).toBe(10 * 1_000);
  });
});

describe("refusals name their cause and leave nothing behind", () => {
  const cases: [string, string, number][] = [
    ["a port the switch does not have", "9.3.0.7", SigCause.PORT_OUT_OF_RANGE],
    ["a port with nothing attached", "4.3.1.7", SigCause.NOTHING_ATTACHED],
    ["a route that ends at a switch", "4.3.0", SigCause.ROUTE_TOO_SHORT],
    ["a route that goes on past the host", "4.3.0.7.2", SigCause.ROUTE_TOO_LONG],
  ];
  for (const [what, route, cause] of cases) {
    it(`${what}: ${route}`, () => {
      const n = network();
      const ev: Events = { log: [] };
      const call = n.a.open(route, recorder(ev, "a"));
      n.sim.scheduler.run(10_000_000);
      expect(ev.log).toEqual([`a failed ${call} ${cause}`]);
      expect(n.held()).toEqual(NONE);
      expect(n.a.callsHeld).toBe(0);
      expect(n.a.stats().failed).toEqual({ [nameOf(cause)]: 1 });
    });
  }

  it("the called host refuses", () => {
    const n = network();
    const ev: Events = { log: [] };
    n.b!.setIncoming(() => false);
    const call = n.a.open("4.3.0.7", recorder(ev, "a"));
    n.sim.scheduler.run(10_000_000);
    expect(ev.log).toEqual([`a failed ${call} ${SigCause.REFUSED}`]);
    expect(n.b!.stats().refused).toEqual({ refused: 1 });
    // Every switch on the way released it with the callee's cause.
    for (const s of n.sigs) expect(s.stats().released).toEqual({ refused: 1 });
    expect(n.held()).toEqual(NONE);
  });

  it("the VC table of a switch on the path is full", () => {
    const n = network({ vcCapacity: 3 });
    n.s3.addPvc(1, 0, 40, 2, 0, 40);
    n.s3.addPvc(2, 0, 40, 1, 0, 40); // 2 of 3 entries used: no room for a circuit's two
    const ev: Events = { log: [] };
    const call = n.a.open("4.3.0.7", recorder(ev, "a"));
    n.sim.scheduler.run(10_000_000);
    expect(ev.log).toEqual([`a failed ${call} ${SigCause.TABLE_FULL}`]);
    expect(n.sigs[2]!.stats()).toMatchObject({ vcTableFull: 1, refused: { tableFull: 1 } });
    expect(n.held()).toEqual({ circuits: 2, entries: 2, vcis: 0, calls: 0 }); // the two PVC entries
  });

  it("no VCI is free on a link", () => {
    const n = network({ sw: { vcis: 1 } });
    const ev: Events = { log: [] };
    const one = n.a.open("4.3.0.7", recorder(ev, "a"));
    const two = n.a.open("4.3.0.7", recorder(ev, "a"));
    n.sim.scheduler.run(10_000_000);
    expect(ev.log).toEqual([`a failed ${two} ${SigCause.NO_VCI}`, `a connected ${one} vc${n.a.callInfo(one)!.vc}`]);
    n.a.close(one);
    n.sim.scheduler.run(20_000_000);
    expect(n.held()).toEqual(NONE);
    // The range is free again: a new call goes through.
    n.a.open("4.3.0.7", recorder(ev, "a"));
    n.sim.scheduler.run(30_000_000);
    expect(ev.log.at(-1)).toMatch(/^a connected/);
  });

  it("the caller times out when the called host never answers, and what was set up is released", () => {
    // b has no signalling agent: its NIC drops the SETUP as an unknown circuit. The keep-alive
    // is slower than the setup timer, so the timer speaks first.
    const n = network({ host: { setupTimeout: "5ms" }, sw: { keepAliveInterval: "50ms" }, bSignalling: false });
    const ev: Events = { log: [] };
    const call = n.a.open("4.3.0.7", recorder(ev, "a"));
    n.sim.scheduler.run(4_000_000);
    expect(n.a.callInfo(call)!.state).toBe("proceeding"); // s1 answered CALL PROCEEDING
    expect(n.held().calls).toBe(4);
    n.sim.scheduler.run(10_000_000);
    expect(ev.log).toEqual([`a failed ${call} ${SigCause.TIMEOUT}`]);
    expect(n.held()).toEqual(NONE);
    expect(n.nb.stats().unknownVc).toBe(2);
    for (const s of n.sigs) expect(s.stats().released).toEqual({ timeout: 1 });
  });

  it("misuse throws NetloomError naming the call", () => {
    const n = network();
    expect(() => n.a.open("4.x.0")).toThrow(/^a:sig\.open\.route: "4\.x\.0" is not a route/);
    expect(() => n.a.open("")).toThrow(NetloomError);
    expect(() => n.a.open([4, 5000])).toThrow(/not a route/);
    expect(() => n.a.open(new Array(33).fill(1))).toThrow(/not a route/);
    const small = network({ host: { maxCalls: 1 } });
    small.a.open("4.3.0.7");
    expect(() => small.a.open("4.3.0.7")).toThrow(expect.objectContaining({ code: "TABLE_FULL" }));
  });
});

function nameOf(cause: number): string {
  const names: Record<number, string> = {
    [SigCause.PORT_OUT_OF_RANGE]: "portOutOfRange",
    [SigCause.NOTHING_ATTACHED]: "nothingAttached",
    [SigCause.ROUTE_TOO_SHORT]: "routeTooShort",
    [SigCause.ROUTE_TOO_LONG]: "routeTooLong",
  };
  return names[cause]!;
}

describe("circuit limit of the calling host's port", () => {
  it("refuses switched circuits beyond the limit; permanent ones count but are not refused", () => {
    const n = network();
    n.s1.setCircuitLimit(1, 2);
    n.s1.addPvc(1, 0, 40, 4, 0, 40); // a's permanent circuit counts: one switched one left
    const ev: Events = { log: [] };
    const one = n.a.open("4.3.0.7", recorder(ev, "a"));
    const two = n.a.open("4.1", recorder(ev, "a"));
    n.sim.scheduler.run(10_000_000);
    expect(ev.log).toEqual([
      `a failed ${two} ${SigCause.CIRCUIT_LIMIT}`,
      expect.stringMatching(new RegExp(`^a connected ${one}`)),
    ]);
    expect(n.s1.circuitCount(1)).toBe(2);
    // A permanent circuit is still added past the limit.
    n.s1.addPvc(1, 0, 41, 4, 0, 41);
    expect(n.s1.circuitCount(1)).toBe(3);
    expect(n.sigs[0]!.stats().refused).toEqual({ circuitLimit: 1 });
    // Calls TO a host at its limit are not refused by it (the limit is on calling).
    n.s4.setCircuitLimit(7, 0);
    const three = n.c.open("3.0.7", recorder(ev, "c")); // c is on s2: s2:3 -> s3:0 -> s4:7 -> b
    n.sim.scheduler.run(20_000_000);
    expect(ev.log.at(-1)).toMatch(new RegExp(`^c connected ${three}`));
    n.a.close(one);
    n.c.close(three);
    n.sim.scheduler.run(30_000_000);
    expect(n.s1.circuitCount(1)).toBe(2); // the two PVCs
  });
});

describe("host failure", () => {
  it("the called host fails: its switch misses the keep-alives and releases towards the caller", () => {
    const n = network({ sw: { keepAliveInterval: "1ms", keepAliveMisses: 3 } });
    const ev: Events = { log: [] };
    const call = n.a.open("4.3.0.7", recorder(ev, "a"));
    const other = n.a.open("4.1", recorder(ev, "a")); // to c: must survive
    n.sim.scheduler.run(5_000_000);
    expect(n.held().calls).toBe(6);
    const t0 = n.sim.now;
    expect(n.b!.fail()).toBe(true);
    expect(n.b!.fail()).toBe(false);
    expect(() => n.b!.open("0")).toThrow(/has failed/);
    n.sim.scheduler.run(t0 + 10_000_000);
    expect(ev.log.at(-1)).toBe(`a released ${call} ${SigCause.HOST_FAILED}`);
    expect(n.sigs[3]!.stats()).toMatchObject({ hostFailures: 1, releasedOnHostFailure: 1 });
    expect(n.held()).toMatchObject({ calls: 2 }); // call `other` at s1 and s2
    expect(n.a.callInfo(other)!.state).toBe("active");
    expect(n.a.stats().released).toEqual({ hostFailed: 1 });
    expect(n.nb.stats().failed).toBe(true);
    expect(n.nb.stats().failedTrains).toBe(3); // the polls that found it dead
    expect(n.nb.sendBytes(n.b!.sigVc, new Uint8Array(4))).toBe(false);
    expect(n.nb.stats().txDrops.hostDown).toBe(1);
    n.a.close(other);
    n.sim.scheduler.run(t0 + 20_000_000);
    expect(n.held()).toEqual(NONE);
    // With no host ends left the switches stop polling: the run goes idle.
    expect(n.sim.scheduler.nextEventTime()).toBe(Infinity);
  });

  it("the calling host fails: the called end hears HOST_FAILED", () => {
    const n = network({ sw: { keepAliveInterval: "2ms", keepAliveMisses: 2 } });
    const ev: Events = { log: [] };
    n.b!.setIncoming(undefined, recorder(ev, "b"));
    n.a.open("4.3.0.7", recorder(ev, "a"));
    n.sim.scheduler.run(5_000_000);
    n.a.fail();
    n.sim.scheduler.run(20_000_000);
    expect(ev.log).toEqual([
      expect.stringMatching(/^b connected/),
      expect.stringMatching(/^a connected/),
      `b released 1 ${SigCause.HOST_FAILED}`,
    ]);
    expect(n.sigs[0]!.stats()).toMatchObject({ hostFailures: 1, releasedOnHostFailure: 1 });
    expect(n.held()).toEqual(NONE);
    // The failed host heard nothing (it is dead) and holds nothing.
    expect(n.a.stats()).toMatchObject({ state: "failed", calls: 0, released: {} });
  });
});

describe("malformed signalling input", () => {
  it("is dropped and counted by reason at the switch; a good PDU after it is processed", () => {
    const n = network();
    const sim = n.sim;
    // A switch of its own with a cell injector on port 0 sends the crafted PDUs.
    const sw = new AtmSwitch(sim, "sx", { ports: 2 });
    sims.at(-1)!.destroy.push(() => sw.destroy());
    const sig = new SwitchSignalling(sw);
    const inj = new CellInjector(sim, "inj");
    const l = new AtmLink(sim, "lx", { rate: "OC-3" });
    inj.attach(0, l, 0);
    sw.attach(0, l, 1);
    const pdu = (bytes: Uint8Array) => aal5Segment(bytes, { vpi: 0, vci: 5 });
    const good = new Uint8Array(64);
    const len = emitAtmSignal(sigRepr(SigType.STATUS_ENQUIRY, 0, 0, { seq: 9 }), new AtmSignalView(good));
    const bad = good.slice(0, len);
    bad[0] = 0x08; // not Q.2931
    const short = good.slice(0, 5);
    const badLen = good.slice(0, len);
    badLen[8] = 7; // body length says 7, 2 follow
    const unknown = good.slice(0, len);
    unknown[5] = 0x33;
    for (const b of [bad, short, badLen, unknown]) inj.send(pdu(b));
    inj.send(pdu(good.slice(0, len)));
    sim.scheduler.run(1_000_000);
    const st = sig.stats();
    expect(st.malformed).toMatchObject({ badDiscriminator: 1, tooShort: 1, badLength: 1, unknownType: 1 });
    expect(st.rx["statusEnquiry"]).toBe(1);
    expect(st.tx["status"]).toBe(1); // answered on port 0 (the injector releases it)
    // A cell with a broken AAL5 CRC never reaches the parser: the reassembler counts it.
    const broken = pdu(good.slice(0, len));
    broken[20]! ^= 0xff;
    inj.send(broken);
    sim.scheduler.run(2_000_000);
    expect(sig.stats().reassembly.badCrc).toBe(1);
    expect(sw.portStats(0).drops.unknownVc).toBe(0);
  });
});
