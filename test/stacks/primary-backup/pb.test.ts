// The primary-backup service on the Network API: normal service, failover when the primary
// crashes (with and without its restart), the split a partition makes and its heal, broken
// variants and what the split-brain report then says; every frame slot back after each test.
import { describe, expect, it } from "vitest";
import { detectSplits } from "../../../src/stacks/primary-backup/split-brain.js";
import { PB_LEN, PbType, createPbRepr, emitPb, type PbRepr } from "../../../src/wire/primary-backup.js";
import { finish, MS, twoSides } from "./support.js";

describe("primary-backup service", () => {
  it("serves every call through the primary, the backup in step, no split", () => {
    const w = twoSides({ count: 20 });
    w.net.run(300 * MS);
    const st = w.run.state();
    for (const c of st.clients) {
      expect(c.counters.ok).toBe(20);
      expect(c.counters.failed).toBe(0);
      expect(c.beliefs).toEqual([{ atNs: 0, server: 0 }]);
    }
    const [p, b] = st.servers;
    expect(p!.role).toBe("primary");
    expect(b!.role).toBe("backup");
    expect(p!.committed).toBe(40);
    expect(b!.applied).toBe(40);
    expect(b!.digest).toBe(p!.digest);
    expect(detectSplits(st.servers, st.clients, 300 * MS)).toEqual({
      splits: [],
      overlaps: [],
      splitNs: 0,
      truncated: false,
    });
    finish(w);
  });
});

describe("failover when the primary crashes (fail-stop, no oracle)", () => {
  it("the backup takes over on heartbeat silence, clients time out and fail over to it", () => {
    const w = twoSides();
    w.net.crash("p", 100 * MS);
    w.net.run(400 * MS);
    const st = w.run.state();
    const [p, b] = st.servers;
    expect(p!.role).toBe("down");
    expect(b!.roles.map((r) => [r.role, r.epoch, r.cause])).toEqual([
      ["backup", 1, "start"],
      ["primary", 2, "heartbeat-timeout"],
    ]);
    // Silence is noticed one heartbeat timeout after the last heartbeat (at 96 ms + delays).
    const takeover = b!.roles[1]!.atNs;
    expect(takeover).toBeGreaterThan(145 * MS);
    expect(takeover).toBeLessThan(150 * MS);
    for (const c of st.clients) {
      // The call in flight at the crash: 3 attempts x 20 ms, then the next server.
      expect(c.counters.failovers).toBe(1);
      expect(c.counters.failed).toBe(0);
      expect(c.beliefs.map((x) => x.server)).toEqual([0, -1, 1]);
      expect(c.beliefs[1]!.atNs).toBe(161 * MS);
    }
    // The backup still waited for the dead primary's acks once, then dropped it.
    expect(b!.counters.backupsDropped).toBe(1);
    // A crashed primary serves nobody: no split, no overlap of primaries.
    expect(detectSplits(st.servers, st.clients, 400 * MS)).toEqual({
      splits: [],
      overlaps: [],
      splitNs: 0,
      truncated: false,
    });
    expect(w.net.stats().failures).toEqual([{ device: "p", crashes: 1, restarts: 0, downNs: 300 * MS, crashed: true }]);
    finish(w);
  });

  it("a restarted primary rejoins as a backup and catches up with the new primary's state", () => {
    const w = twoSides();
    w.net.crash("p", 100 * MS, 300 * MS);
    w.net.run(600 * MS);
    const [p, b] = w.run.state().servers;
    expect(p!.roles.map((r) => [r.role, r.epoch, r.cause])).toEqual([
      ["primary", 1, "start"],
      ["down", 1, "crash"],
      ["backup", 0, "restart"],
      ["backup", 2, "newer-primary"],
    ]);
    expect(b!.role).toBe("primary");
    expect(b!.counters.backupsReadded).toBe(1);
    // Same log, same digest: the restarted server took the state, then every update.
    expect(p!.applied).toBe(b!.applied);
    expect(p!.digest).toBe(b!.digest);
    finish(w);
  });

  it("a broken backup that never takes over: every call after the crash fails, and no split", () => {
    const w = twoSides({ takeover: "never" });
    w.net.crash("p", 100 * MS);
    w.net.run(400 * MS);
    const st = w.run.state();
    expect(st.servers[1]!.role).toBe("backup");
    expect(st.servers[1]!.counters.notPrimary).toBe(4);
    for (const c of st.clients) {
      expect(c.counters.ok).toBe(20);
      expect(c.counters.failed).toBe(2);
      expect(c.primary).toBe(-1);
    }
    expect(detectSplits(st.servers, st.clients, 400 * MS).splits).toEqual([]);
    finish(w);
  });
});

describe("inconsistent failure detection: a partition, a split, the heal", () => {
  const cut = (w: ReturnType<typeof twoSides>): void => {
    w.net.partition("cut", [["s1"], ["s2"]], 100 * MS, 500 * MS);
  };

  it("two clients see two primaries; the report names them, the interval and what each side accepted", () => {
    const w = twoSides();
    cut(w);
    w.net.run(800 * MS);
    const st = w.run.state();
    const rep = detectSplits(st.servers, st.clients, 800 * MS);
    expect(rep.splits).toHaveLength(1);
    const s = rep.splits[0]!;
    // c1 (with b) fails over at 161 ms; p steps down once b's heartbeats reach it after the heal.
    expect(s.fromNs).toBe(161_136_960);
    expect(s.toNs).toBe(501_185_120);
    expect(s.ongoing).toBe(false);
    expect(s.views).toEqual([
      { client: "c1", server: "b", fromNs: s.fromNs, toNs: s.toNs },
      { client: "c2", server: "p", fromNs: s.fromNs, toNs: s.toNs },
    ]);
    expect(s.sides.map((x) => [x.server, x.epoch, x.clients, x.accepted, x.steppedDownAtNs, x.discarded])).toEqual([
      ["p", 1, ["c2"], 68, s.toNs, 68],
      ["b", 2, ["c1"], 61, null, 0],
    ]);
    // Server side: b was primary from its heartbeat timeout, before any client saw it.
    expect(rep.overlaps).toEqual([{ fromNs: 146_185_120, toNs: s.toNs, ongoing: false, servers: ["p", "b"] }]);
    // After the heal: one primary, both servers on one state, both clients on b.
    const [p, b] = st.servers;
    expect([p!.role, b!.role]).toEqual(["backup", "primary"]);
    expect(p!.digest).toBe(b!.digest);
    expect(st.clients.map((c) => c.primary)).toEqual([1, 1]);
    finish(w);
  });

  it("without the partition (negative control): no split, no overlap", () => {
    const w = twoSides();
    w.net.run(800 * MS);
    const st = w.run.state();
    expect(detectSplits(st.servers, st.clients, 800 * MS)).toEqual({
      splits: [],
      overlaps: [],
      splitNs: 0,
      truncated: false,
    });
    expect(st.clients.map((c) => c.counters.failed)).toEqual([0, 0]);
    finish(w);
  });

  it("a partition that never heals leaves the split open at the end (ongoing)", () => {
    const w = twoSides();
    w.net.partition("cut", [["s1"], ["s2"]], 100 * MS);
    w.net.run(400 * MS);
    const st = w.run.state();
    const rep = detectSplits(st.servers, st.clients, 400 * MS);
    expect(rep.splits.map((s) => [s.fromNs, s.toNs, s.ongoing])).toEqual([[161_136_960, 400 * MS, true]]);
    finish(w);
  });

  it("a broken client that never fails over: no split, its calls fail, yet two servers act as primary", () => {
    const w = twoSides({ failover: false });
    cut(w);
    w.net.run(800 * MS);
    const st = w.run.state();
    const rep = detectSplits(st.servers, st.clients, 800 * MS);
    expect(rep.splits).toEqual([]);
    expect(rep.overlaps).toEqual([{ fromNs: 146_185_120, toNs: 501_185_120, ongoing: false, servers: ["p", "b"] }]);
    const [c1, c2] = st.clients;
    expect(c1!.counters.failed).toBe(6);
    expect(c1!.counters.failovers).toBe(0);
    expect(c2!.counters.failed).toBe(0);
    finish(w);
  });

  it("a broken primary that ignores newer primaries: the split outlives the heal", () => {
    const w = twoSides();
    cut(w);
    // Deliberately broken: p never steps down for a newer primary.
    const p = w.run.servers[0] as unknown as { follow: () => void };
    p.follow = () => {};
    w.net.run(800 * MS);
    const st = w.run.state();
    const rep = detectSplits(st.servers, st.clients, 800 * MS);
    expect(rep.splits).toHaveLength(1);
    expect(rep.splits[0]!.fromNs).toBe(161_136_960);
    expect(rep.splits[0]!.ongoing).toBe(true);
    expect(rep.splits[0]!.sides.map((x) => [x.server, x.steppedDownAtNs])).toEqual([
      ["p", null],
      ["b", null],
    ]);
    finish(w);
  });
});

describe("nothing from the wire throws", () => {
  it("malformed and unexpected datagrams at a server are dropped and counted by reason", () => {
    const w = twoSides({ count: 3 });
    const sock = w.net.ipHost("c3").bind(5555);
    const p = w.net.ipHost("p").ip;
    const msg = (type: number, client: number, extra: Partial<PbRepr> = {}): Uint8Array => {
      const b = new Uint8Array(PB_LEN);
      emitPb({ ...createPbRepr(), type: type as PbRepr["type"], client, ...extra }, b, 0);
      return b;
    };
    w.net.run(2 * MS);
    sock.send(p, 7300, new Uint8Array(PB_LEN).fill(0xa5));
    w.net.run(5 * MS); // ARP resolved: the rest go at once
    sock.send(p, 7300, new Uint8Array(3));
    sock.send(p, 7300, msg(PbType.REQUEST, 9));
    sock.send(p, 7300, msg(PbType.REPLY, 0));
    sock.send(p, 7300, msg(PbType.UPDATE, 0, { sender: 40 }));
    w.net.run(100 * MS);
    expect(w.run.servers[0]!.drops).toEqual({
      BAD_MAGIC: 1,
      TRUNCATED: 1,
      BAD_CLIENT: 1,
      UNEXPECTED_TYPE: 1,
      BAD_SENDER: 1,
    });
    // The service never noticed.
    expect(w.run.state().clients.map((c) => c.counters.ok)).toEqual([3, 3]);
    sock.close();
    finish(w);
  });
});
