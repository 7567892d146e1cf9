// "Nothing lost, nothing doubled": multi-MB transfers under link faults arrive exactly once and
// in order (sha256 over the whole stream), or fail with a stated reason; determinism.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LinkFaults } from "../../../src/devices/link.js";
import type { TcpConnection } from "../../../src/stacks/tcp/tcp-connection.js";
import { pump, randomBytes, sha256, sink, tcpChain } from "./support.js";

const LINK = { rate: 100e6, delay: 1_000_000 };

function transfer(faults: LinkFaults, size: number, seed = 1, routers = 2, minRto = 200_000_000, frameSlots = 2048) {
  const net = tcpChain(routers, { ...LINK, faults }, { seed, frameSlots });
  let server: TcpConnection | undefined;
  let rs: ReturnType<typeof sink> | undefined;
  net.tb.listen(
    80,
    (c) => {
      server = c;
      rs = sink(c);
    },
    { minRto },
  );
  const c = net.ta.connect(net.B.ip, 80, { minRto });
  const cs = sink(c);
  const data = randomBytes(size, seed);
  pump(c, data);
  // Until the transfer is over or the connection failed (no timer is left then).
  net.sim.scheduler.runToIdle();
  return { net, c, cs, server, rs: rs!, data };
}

describe("TCP under faults", () => {
  it("a clean 4 MB transfer over 2 routers arrives exactly and closes", () => {
    const { c, rs, data, server } = transfer({}, 4_000_000);
    expect(rs.bytes).toBe(data.length);
    expect(rs.digest()).toBe(sha256(data));
    expect(rs.ended).toBe(true);
    expect(c.stats().retransmits).toBe(0);
    expect(server!.state).toBe("CLOSE-WAIT");
  });

  const cases: [string, LinkFaults][] = [
    ["2% random loss", { loss: 0.02 }],
    ["bursty loss (Gilbert-Elliott)", { burstLoss: { p: 0.01, r: 0.3 } }],
    ["duplication", { duplicate: 0.05 }],
    ["reordering", { reorder: { probability: 0.05, delay: 300_000 } }],
    ["corruption (BER 1e-6)", { ber: 1e-6 }],
    ["everything at once", { loss: 0.01, duplicate: 0.02, reorder: { probability: 0.02, delay: 200_000 }, ber: 2e-7 }],
  ];
  for (const [name, faults] of cases) {
    it(`2 MB under ${name}: exactly once, in order`, () => {
      const { c, rs, data } = transfer(faults, 2_000_000, 7);
      // These mixes are survivable: the whole stream must arrive (no stated failure expected).
      expect(c.closeReason).toBeUndefined();
      expect(rs.bytes).toBe(data.length);
      expect(rs.digest()).toBe(sha256(data));
      expect(rs.ended).toBe(true);
      if (faults.loss !== undefined || faults.burstLoss !== undefined) expect(c.stats().retransmits).toBeGreaterThan(0);
    });
  }

  it("is deterministic: same seed, same fingerprint and counters", () => {
    const run = () => {
      const { net, c } = transfer({ loss: 0.01, reorder: { probability: 0.02, delay: 200_000 } }, 500_000, 3);
      return { fp: net.sim.scheduler.fingerprint.toString(), st: c.stats() };
    };
    const a = run();
    const b = run();
    expect(a.fp).toBe(b.fp);
    expect(a.st).toEqual(b.st);
  });

  it("property: random fault mixes and seeds never deliver a wrong byte", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0, max: 0.05, noNaN: true }),
        fc.double({ min: 0, max: 0.05, noNaN: true }),
        fc.double({ min: 0, max: 0.05, noNaN: true }),
        (seed, loss, dup, reorder) => {
          const { c, rs, data } = transfer(
            { loss, duplicate: dup, reorder: { probability: reorder, delay: 150_000 } },
            300_000,
            seed,
            1,
            200_000_000,
            400,
          );
          if (rs.bytes === data.length) {
            expect(rs.digest()).toBe(sha256(data));
          } else {
            // A stated failure, and what did arrive is a prefix of the data.
            expect(c.closeReason ?? rs.closed ?? "").not.toBe("");
            expect(rs.digest()).toBe(sha256(data.subarray(0, rs.bytes)));
          }
        },
      ),
      { numRuns: 8 },
    );
  });
});
