// The Wireshark Lua dissectors (wireshark/netloom.lua) against real captures: every bundled
// example's capture, and captures of the stacks and transports the examples do not run, decode
// with no malformed packet and no expert error, and each of netloom's own protocols shows up
// under its name with the values the run put there. Without the script, tshark guesses other
// protocols for some of these ports (the RPC example as Gryphon/SMPP, with malformed packets).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runScenario } from "../../src/run/run-scenario.js";
import { loadScenario, parseScenario, type Scenario } from "../../src/scenario/scenario.js";
import { CHECK_ALL_PREFS, tempDir, tsharkFields } from "../support/tshark.js";

const LUA = join(import.meta.dirname, "../../wireshark/netloom.lua");
const WITH_LUA = { prefs: CHECK_ALL_PREFS, args: ["-X", `lua_script:${LUA}`] };
const dirs: { remove(): void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));

function shortened(s: Scenario, durationNs: number): Scenario {
  s.durationNs = durationNs;
  return s;
}

/** Captures of `s` (one pcap per port), decoded with the script: protocol column and experts per frame. */
async function decode(
  s: Scenario,
  only: (file: string) => boolean = () => true,
): Promise<{ file: string; rows: Record<string, string>[] }[]> {
  const d = tempDir("netloom-lua-");
  dirs.push(d);
  await runScenario(s, { workers: 1, pcapDir: d.dir });
  const files = readdirSync(d.dir).filter((f) => f.endsWith(".pcap") && only(f));
  expect(files.length).toBeGreaterThan(0);
  return files.map((f) => ({
    file: f,
    rows: tsharkFields(
      d.path(f),
      ["_ws.col.Protocol", "_ws.col.Info", "_ws.malformed", "_ws.expert.severity"],
      WITH_LUA,
    ),
  }));
}

/** Frames per protocol column over every capture; fails on a malformed frame or an expert error. */
function protocols(caps: { file: string; rows: Record<string, string>[] }[]): Record<string, number> {
  const count: Record<string, number> = {};
  for (const { file, rows } of caps) {
    rows.forEach((r, i) => {
      expect(r["_ws.malformed"], `${file} frame ${i + 1}: ${r["_ws.col.Info"]}`).toBe("");
      // Expert severity "error" is 0x00800000 (8388608); warnings (TCP out-of-order under loss) are fine.
      const worst = Math.max(
        0,
        ...r["_ws.expert.severity"]!.split(/[ |,]+/)
          .filter(Boolean)
          .map(Number),
      );
      expect(worst, `${file} frame ${i + 1}: ${r["_ws.col.Info"]}`).toBeLessThan(8388608);
      const p = r["_ws.col.Protocol"]!;
      count[p] = (count[p] ?? 0) + 1;
    });
  }
  return count;
}

// tshark runs once per capture file: on this loaded machine a test takes tens of seconds.
describe("Wireshark Lua dissectors", { timeout: 180_000 }, () => {
  it("decode the RPC example's framing (requests and responses reassembled across segments)", async () => {
    const caps = await decode(shortened(loadScenario("examples/rpc.yaml"), 200e6));
    const p = protocols(caps);
    expect(p["netloom RPC"]).toBeGreaterThan(50);
    expect(p["Gryphon"] ?? 0).toBe(0);
    const server = caps.find((c) => c.file.startsWith("server"))!;
    const infos = server.rows.map((r) => r["_ws.col.Info"]!).filter((i) => i.startsWith("netloom"));
    expect(infos.some((i) => /request id \d+ method \d+/.test(i))).toBe(true);
    expect(infos.some((i) => /response id \d+ method \d+/.test(i))).toBe(true);
  });

  it("decode UDP traffic, TCP stream data and the layered stacks of the examples", async () => {
    const star = protocols(
      await decode(
        shortened(loadScenario("examples/star16.yaml"), 100e6),
        (f) => f === "h0-0.pcap" || f === "sw-0.pcap",
      ),
    );
    expect(star["netloom"]).toBeGreaterThan(100);
    const tcp = protocols(
      await decode(shortened(loadScenario("examples/tcp-chain.yaml"), 300e6), (f) => f === "h0-0.pcap"),
    );
    expect(tcp["netloom stream"]).toBeGreaterThan(100);
    const stacks = await decode(shortened(loadScenario("examples/host-stacks.yaml"), 100e6));
    const p = protocols(stacks);
    expect(p["netloom COM"]).toBeGreaterThan(100);
    expect(p["netloom U-Net"]).toBeGreaterThan(100);
    const h0 = stacks.find((c) => c.file.startsWith("h0"))!.rows.map((r) => r["_ws.col.Info"]);
    // The five-layer stack, bottom up: every data message carries all four headers above COM.
    expect(h0).toContain("0 -> 255 FRAG | NAK DATA | FC DATA | TOTAL DATA");
    expect(h0).toContain("1 -> 0 FRAG | ACK");
  });

  it("decode every other bundled example with no malformed frame", async () => {
    // A host and the ports that carry the most kinds of traffic of each (RIP, ICMP, UDP, TCP
    // under loss, fragments, multicast, IP over ATM).
    const some =
      (...names: string[]) =>
      (f: string) =>
        names.some((n) => f.startsWith(n));
    for (const [file, ns, only] of [
      ["examples/campus.yaml", 1.1e9, some("a1-", "swA-7", "c1-")],
      ["examples/lossy-wan.yaml", 1.2e9, some("")],
      ["examples/multicast.yaml", 100e6, some("src-", "sw1-")],
      ["examples/tcp-chain-lossy.yaml", 100e6, some("")],
      // The IP over ATM ports. The cameras' raw AAL5 PDUs carry no protocol Wireshark can know,
      // and it guesses LAN Emulation for them (its rule for SunATM records that are not LLC/SNAP).
      ["examples/atm-mixed.yaml", 50e6, some("a1-", "e1-", "r-")],
    ] as const) {
      protocols(await decode(shortened(loadScenario(file), ns), only));
    }
  });

  it("decode RPC over UDP: requests, replies and acks, retransmissions marked", async () => {
    const caps = await decode(loadScenario("examples/crash-rpc.yaml"), (f) => f === "s2-0.pcap" || f === "ns-0.pcap");
    expect(protocols(caps)["netloom RPC/UDP"]).toBeGreaterThan(400);
    const infos = caps.flatMap((c) => c.rows.map((r) => r["_ws.col.Info"]!));
    expect(infos.some((i) => /^REQUEST client 20001\/0 seq \d+ frag 1\/1 RETX$/.test(i))).toBe(true);
    expect(infos.some((i) => /^REPLY client 20001\/0 seq \d+ frag 1\/1 OK$/.test(i))).toBe(true);
    // bank-amo (workload 1, client id 0x20001): the new incarnation refuses the call bound to the old one.
    expect(infos.some((i) => /^REPLY client 20001\/0 seq \d+ frag 1\/1 RESTARTED$/.test(i))).toBe(true);
    expect(infos.some((i) => /^ACK client /.test(i))).toBe(true);
  });

  it("decode the primary-backup example's messages by their magic", async () => {
    const caps = await decode(shortened(loadScenario("examples/primary-backup.yaml"), 1.5e9), (f) =>
      f.startsWith("p-"),
    );
    expect(protocols(caps)["netloom PB"]).toBeGreaterThan(100);
    const types = new Set(caps.flatMap((c) => c.rows.map((r) => r["_ws.col.Info"]!.split(" ")[0])));
    for (const t of ["REQUEST", "REPLY", "UPDATE", "ACK", "HEARTBEAT"]) expect(types.has(t), t).toBe(true);
  });

  it("decode the accelerator, Active Messages and the NAK transport", async () => {
    const hosts = (configuration: string) => `
name: lua
duration: 50ms
hosts:
  - { name: a, hostStack: { configuration: ${configuration}, profile: server-2025 } }
  - { name: b, hostStack: { configuration: ${configuration}, profile: server-2025 } }
links:
  - { a: a, b: b, rate: 100Mbps, delay: 5us }
traffic:
  - { name: rtt, type: ping-pong, from: a, to: b, size: 200, rounds: 20, start: 1ms }
`;
    const accel = await decode(parseScenario(hosts("accelerated")));
    expect(protocols(accel)["netloom ACCEL"]).toBeGreaterThan(20);
    const infos = accel.flatMap((c) => c.rows.map((r) => r["_ws.col.Info"]!));
    expect(infos.some((i) => /^(DATA|PACKED) seq \d+ ack \d+/.test(i))).toBe(true);
    expect(protocols(await decode(parseScenario(hosts("active-messages"))))["netloom U-Net"]).toBeGreaterThan(20);
    const nak = await decode(
      parseScenario(`
name: nak
duration: 200ms
hosts:
  - { name: a, ip: 10.0.0.1/24 }
  - { name: b, ip: 10.0.0.2/24 }
links:
  - { a: a, b: b, rate: 10Mbps, delay: 1ms, faults: { loss: 0.02 } }
traffic:
  - { name: n, type: nak-bulk, from: a, to: b, bytes: 200KB }
`),
    );
    expect(protocols(nak)["netloom NAK"]).toBeGreaterThan(100);
    const types = new Set(nak.flatMap((c) => c.rows.map((r) => r["_ws.col.Info"]!.split(" ")[0])));
    expect(types.has("DATA")).toBe(true);
    expect(types.has("NAK")).toBe(true);
  });
});
