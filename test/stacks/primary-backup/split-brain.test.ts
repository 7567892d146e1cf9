// The split-brain detector on hand-made timelines (what it counts as a split and what not), and
// the bounded timelines and commit log it reads.
import { describe, expect, it } from "vitest";
import type { PbClientState } from "../../../src/stacks/primary-backup/pb-client.js";
import {
  CommitLog,
  Timeline,
  type PbBelief,
  type PbRoleChange,
} from "../../../src/stacks/primary-backup/pb-history.js";
import type { PbServerState } from "../../../src/stacks/primary-backup/pb-server.js";
import { detectSplits } from "../../../src/stacks/primary-backup/split-brain.js";

function server(
  host: string,
  index: number,
  roles: [number, PbRoleChange["role"], number, string][],
  commits: [number, number][] = [],
): PbServerState {
  return {
    host,
    index,
    role: roles.at(-1)![1],
    epoch: roles.at(-1)![2],
    primary: -1,
    applied: 0,
    digest: 0,
    roles: roles.map(([atNs, role, epoch, cause]) => ({ atNs, role, epoch, cause })),
    rolesOverflow: 0,
    commits: commits.map(([atNs, client], i) => ({ atNs, client, seq: i, index: i + 1, epoch: 1 })),
    committed: commits.length,
    commitsOverflow: 0,
    counters: {} as PbServerState["counters"],
    drops: {},
  };
}

function client(host: string, id: number, beliefs: [number, number][]): PbClientState {
  return {
    host,
    id,
    primary: beliefs.at(-1)![1],
    beliefs: beliefs.map(([atNs, s]) => ({ atNs, server: s })),
    beliefsOverflow: 0,
    counters: {} as PbClientState["counters"],
    latency: { count: 0, meanNs: 0, maxNs: 0 },
    drops: {},
  };
}

describe("detectSplits", () => {
  it("two clients on two live primaries: one split, its views and sides", () => {
    const servers = [
      server(
        "p",
        0,
        [
          [0, "primary", 1, "start"],
          [500, "backup", 2, "newer-primary"],
        ],
        [
          [50, 1],
          [150, 1],
          [250, 1],
          [600, 1],
        ],
      ),
      server(
        "b",
        1,
        [
          [0, "backup", 1, "start"],
          [100, "primary", 2, "heartbeat-timeout"],
        ],
        [
          [130, 0],
          [200, 0],
        ],
      ),
    ];
    const clients = [
      client("c1", 0, [
        [0, 0],
        [110, -1],
        [120, 1],
      ]),
      client("c2", 1, [
        [0, 0],
        [510, -1],
        [520, 1],
      ]),
    ];
    const rep = detectSplits(servers, clients, 1000);
    expect(rep.splits).toEqual([
      {
        fromNs: 120,
        toNs: 500,
        durationNs: 380,
        ongoing: false,
        views: [
          { client: "c1", server: "b", fromNs: 120, toNs: 500 },
          { client: "c2", server: "p", fromNs: 120, toNs: 500 },
        ],
        sides: [
          {
            server: "p",
            epoch: 1,
            clients: ["c2"],
            accepted: 2,
            acceptedByClient: { c2: 2 },
            steppedDownAtNs: 500,
            discarded: 2,
          },
          {
            server: "b",
            epoch: 2,
            clients: ["c1"],
            accepted: 2,
            acceptedByClient: { c1: 2 },
            steppedDownAtNs: null,
            discarded: 0,
          },
        ],
      },
    ]);
    expect(rep.overlaps).toEqual([{ fromNs: 100, toNs: 500, ongoing: false, servers: ["p", "b"] }]);
    expect([rep.splitNs, rep.truncated]).toEqual([380, false]);
  });

  it("a client still addressing a crashed primary is late, not split", () => {
    const servers = [
      server("p", 0, [
        [0, "primary", 1, "start"],
        [100, "down", 1, "crash"],
      ]),
      server("b", 1, [
        [0, "backup", 1, "start"],
        [150, "primary", 2, "heartbeat-timeout"],
      ]),
    ];
    const clients = [
      client("c1", 0, [
        [0, 0],
        [160, 1],
      ]),
      client("c2", 1, [
        [0, 0],
        [400, 1],
      ]),
    ];
    expect(detectSplits(servers, clients, 1000)).toEqual({ splits: [], overlaps: [], splitNs: 0, truncated: false });
  });

  it("a split still open at the end is ongoing; a view that moves inside it is cut in two", () => {
    const servers = [
      server("p", 0, [[0, "primary", 1, "start"]]),
      server("b", 1, [
        [0, "backup", 1, "start"],
        [100, "primary", 2, "request"],
      ]),
      server("s", 2, [
        [0, "backup", 1, "start"],
        [300, "primary", 3, "request"],
      ]),
    ];
    const clients = [
      client("c1", 0, [[0, 0]]),
      client("c2", 1, [
        [0, 0],
        [100, 1],
        [300, 2],
      ]),
    ];
    const rep = detectSplits(servers, clients, 1000);
    expect(rep.splits.map((s) => [s.fromNs, s.toNs, s.ongoing])).toEqual([[100, 1000, true]]);
    expect(rep.splits[0]!.views).toEqual([
      { client: "c1", server: "p", fromNs: 100, toNs: 1000 },
      { client: "c2", server: "b", fromNs: 100, toNs: 300 },
      { client: "c2", server: "s", fromNs: 300, toNs: 1000 },
    ]);
    expect(rep.splits[0]!.sides.map((x) => x.server)).toEqual(["p", "b", "s"]);
    expect(rep.overlaps.map((o) => [o.fromNs, o.toNs, o.servers])).toEqual([
      [100, 300, ["p", "b"]],
      [300, 1000, ["p", "b", "s"]],
    ]);
  });

  it("says when a timeline it was given had overflowed", () => {
    const s = server("p", 0, [[0, "primary", 1, "start"]]);
    s.commitsOverflow = 3;
    expect(detectSplits([s], [client("c", 0, [[0, 0]])], 10).truncated).toBe(true);
  });
});

describe("bounded history", () => {
  it("a timeline replaces an entry made at the same time and counts what does not fit", () => {
    const t = new Timeline<PbBelief>(2);
    t.push({ atNs: 0, server: 0 });
    t.push({ atNs: 0, server: 1 });
    t.push({ atNs: 5, server: -1 });
    t.push({ atNs: 9, server: 1 });
    expect(t.entries).toEqual([
      { atNs: 0, server: 1 },
      { atNs: 5, server: -1 },
    ]);
    expect(t.overflow).toBe(1);
  });

  it("a commit log grows to its limit, then counts", () => {
    const log = new CommitLog(100);
    for (let i = 0; i < 130; i++) log.push(i * 10, i % 3, i, i + 1, 2);
    expect([log.count, log.overflow, log.entries().length]).toEqual([130, 30, 100]);
    expect(log.entries()[99]).toEqual({ atNs: 990, client: 0, seq: 99, index: 100, epoch: 2 });
  });
});
