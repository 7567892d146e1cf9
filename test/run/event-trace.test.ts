// The event trace: one line per frame event and per crash/restart, in the documented format,
// filtered by device and kind, bounded, and refusing unknown names with a did-you-mean.
import { describe, expect, it } from "vitest";
import { Network } from "../../src/run/network.js";
import { traceNetwork } from "../../src/run/event-trace.js";

function pair(loss = 0) {
  const net = new Network({ seed: 5, frameSlots: 256 });
  net.addHost("a", { ip: { address: "10.0.0.1/24" } });
  net.addHost("b", { ip: { address: "10.0.0.2/24" } });
  net.connect("a", "b", { rate: 1e9, delay: 1_000, name: "ab", ...(loss > 0 ? { faults: { loss } } : {}) });
  return net;
}

describe("event trace", () => {
  it("writes one line per event in the documented format, filtered by device and kind", () => {
    const net = pair();
    const lines: string[] = [];
    traceNetwork(net, { devices: ["b"], kinds: ["phyRxEnd", "macRx"], write: (l) => lines.push(l) });
    net.ipHost("a").bind(1).send("10.0.0.2", 9, new Uint8Array(100));
    net.runToIdle();
    // b receives the ARP request (padded to 64 bytes with FCS), then the datagram:
    // 14 + 20 + 8 + 100 + 4 = 146 bytes; each is seen at phyRxEnd and accepted at macRx.
    expect(lines.map((l) => l.split(" ").slice(1).join(" "))).toEqual([
      "phyRxEnd b 0 64",
      "macRx b 0 64",
      "phyRxEnd b 0 146",
      "macRx b 0 146",
    ]);
    for (const l of lines) expect(l).toMatch(/^\d+ \w+ b 0 \d+$/);
    net.destroy();
  });

  it("drops carry their reason; crashes and restarts are lines of their own", () => {
    const net = pair();
    const lines: string[] = [];
    net.crash("b", 1_000_000, 2_000_000);
    traceNetwork(net, { kinds: ["phyRxDrop", "crash", "restart"], write: (l) => lines.push(l) });
    net.run("1500us");
    net.ipHost("a").bind(1).send("10.0.0.2", 9, new Uint8Array(10));
    net.run("3ms");
    // The ARP request leaves a at 1.5 ms: 672 ns on the wire (64 bytes + 20 of preamble and gap
    // at 1 Gbit/s), 1 us of delay, then b's crashed NIC drops it.
    expect(lines).toEqual(["1000000 crash b - -", "1501672 phyRxDrop b 0 64 CRASHED", "2000000 restart b - -"]);
    net.destroy();
  });

  it("is bounded, and refuses unknown devices and kinds naming them", () => {
    const net = pair();
    const lines: string[] = [];
    traceNetwork(net, { maxLines: 3, write: (l) => lines.push(l) });
    for (let i = 0; i < 5; i++) net.ipHost("a").ping("10.0.0.2");
    net.runToIdle();
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe("# trace stopped after 3 lines");
    expect(() => traceNetwork(net, { devices: ["bb"], write: () => {} })).toThrow(
      /trace\.devices: there is no device "bb"; known: a, b, ab/,
    );
    expect(() => traceNetwork(net, { kinds: ["phyrxend"], write: () => {} })).toThrow(
      /no trace kind "phyrxend" \(did you mean "phyRxEnd"\?\)/,
    );
    net.destroy();
  });
});
