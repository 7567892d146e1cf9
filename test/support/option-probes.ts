// For every option of the scenario format, a small scenario and a change of that option that
// must change something a user can see: the run report (default), the built network (values
// that reach a device but no counter in a short run), or the files `netloom run` writes. Used by
// test/scenario/options-act.test.ts, which walks the JSON Schema and runs every probe.
//
// Paths: `hosts[].stack.ttl`, `traffic[cbr].rate` (traffic keys per type), `failures[crash].at`
// (failure kinds), `atm.switches[].portPolicies.*.ppd` (any key of a map).

import type { EthernetNic } from "../../src/devices/nic.js";
import type { BuiltScenario } from "../../src/run/build-scenario.js";
import { planPartitions } from "../../src/run/partition.js";

// biome-ignore lint/suspicious/noExplicitAny: scenario documents are plain, loosely typed data
export type Doc = Record<string, any>;

export type Observe = "report" | "outputs" | ((built: BuiltScenario) => unknown);

export interface Probe {
  base: () => Doc;
  change: (d: Doc) => void;
  observe?: Observe;
}

const probe = (base: () => Doc, change: (d: Doc) => void, observe?: Observe): Probe =>
  observe === undefined ? { base, change } : { base, change, observe };

// --- bases ---------------------------------------------------------------------------------

const link = (a: string, b: string, extra: Doc = {}): Doc => ({ a, b, rate: "100Mbps", delay: "50us", ...extra });

/** Three hosts on a switch; one CBR flow a -> b. */
export function lan(traffic?: Doc): Doc {
  return {
    name: "lan",
    seed: 1,
    duration: "20ms",
    hosts: [
      { name: "a", ip: "10.0.0.1/24" },
      { name: "b", ip: "10.0.0.2/24" },
      { name: "c", ip: "10.0.0.3/24" },
    ],
    switches: [{ name: "sw", ports: 4 }],
    links: [link("a", "sw:0"), link("b", "sw:1"), link("c", "sw:2")],
    traffic: [traffic ?? { name: "t", type: "cbr", from: "a", to: "b", size: 1000, rate: "8Mbps" }],
  };
}

/** The lan with a lossy first link (random streams matter). */
const lossyLan = (traffic?: Doc): Doc => {
  const d = lan(traffic);
  d.links[0].faults = { loss: 0.2 };
  return d;
};

/** Two subnets joined by two routers with static routes: a (10.0.1.2) -> r1 -> r2 -> b (10.0.3.2). */
export function routed(traffic?: Doc): Doc {
  return {
    name: "routed",
    seed: 1,
    duration: "20ms",
    hosts: [
      { name: "a", ip: "10.0.1.2/24", gateway: "10.0.1.1" },
      { name: "b", ip: "10.0.3.2/24", gateway: "10.0.3.1" },
    ],
    routers: [
      {
        name: "r1",
        interfaces: [
          { name: "e0", ip: "10.0.1.1/24" },
          { name: "e1", ip: "10.0.2.1/24" },
        ],
        routes: [{ prefix: "10.0.3.0/24", via: "10.0.2.2" }],
      },
      {
        name: "r2",
        interfaces: [
          { name: "e0", ip: "10.0.2.2/24" },
          { name: "e1", ip: "10.0.3.1/24" },
        ],
        routes: [{ prefix: "10.0.1.0/24", via: "10.0.2.1" }],
      },
    ],
    links: [link("a", "r1:e0"), link("r1:e1", "r2:e0"), link("r2:e1", "b")],
    traffic: [traffic ?? { name: "t", type: "cbr", from: "a", to: "b", size: 1000, rate: "8Mbps" }],
  };
}

/** routed, but the routers learn their routes by distance vector (fast periods). */
function learned(): Doc {
  const d = routed();
  d.duration = "60ms";
  for (const r of d.routers) {
    r.routes = [];
    r.routing = { protocol: "distance-vector", period: "5ms", timeout: "15ms" };
  }
  // The middle link fails at 30 ms: the learned routes time out.
  d.links[1].schedule = [{ at: "30ms", state: "down" }];
  return d;
}

/** A multicast group across a router (src on one side, members on both). */
function multicast(traffic?: Doc): Doc {
  return {
    name: "mc",
    seed: 1,
    duration: "20ms",
    hosts: [
      { name: "src", ip: "10.1.0.10/24", gateway: "10.1.0.1" },
      { name: "m1", ip: "10.1.0.11/24", multicast: ["239.1.1.1"] },
      { name: "m2", ip: "10.2.0.11/24", gateway: "10.2.0.1", multicast: ["239.1.1.1"] },
    ],
    switches: [{ name: "sw", ports: 3 }],
    routers: [
      {
        name: "r",
        interfaces: [
          { name: "e0", ip: "10.1.0.1/24" },
          { name: "e1", ip: "10.2.0.1/24" },
        ],
      },
    ],
    links: [link("src", "sw:0"), link("m1", "sw:1"), link("r:e0", "sw:2"), link("r:e1", "m2")],
    traffic: [traffic ?? { name: "t", type: "cbr", from: "src", to: "239.1.1.1", size: 500, rate: "4Mbps", ttl: 2 }],
  };
}

/** Three stations on a shared CSMA/CD segment, all sending to one: collisions. */
function segment(): Doc {
  return {
    name: "seg",
    seed: 2,
    duration: "20ms",
    hosts: [
      { name: "a", ip: "10.0.0.1/24" },
      { name: "b", ip: "10.0.0.2/24" },
      { name: "c", ip: "10.0.0.3/24" },
    ],
    segments: [{ name: "hub", rate: "10Mbps", propagationDelay: "5us", stations: ["a", "b", "c"] }],
    traffic: [
      { name: "ab", type: "poisson", from: "a", to: "b", size: 1000, rate: "4Mbps" },
      { name: "cb", type: "poisson", from: "c", to: "b", size: 1000, rate: "4Mbps" },
    ],
  };
}

/** Two hostStack hosts on a link, with a message workload. */
function stacks(traffic?: Doc): Doc {
  return {
    name: "stacks",
    seed: 1,
    duration: "30ms",
    hosts: [
      { name: "h0", hostStack: { configuration: "layered", profile: "workstation-1995" } },
      { name: "h1", hostStack: { configuration: "layered", profile: "workstation-1995" } },
    ],
    links: [{ a: "h0", b: "h1", rate: "100Mbps", delay: "5us" }],
    traffic: [traffic ?? { name: "t", type: "ping-pong", from: "h0", to: "h1", size: 1024, rounds: 5 }],
  };
}

/** Crashes, restarts and partitions on the lan (with a disk on b). */
function failing(failure: Doc): Doc {
  const d = lan();
  d.duration = "40ms";
  d.hosts[1].storage = { disk: "disk-1995" };
  d.failures = [failure];
  return d;
}

/** An ATM network: two switches, IP hosts and raw AAL5 hosts, PVCs and signalled circuits. */
export function atm(): Doc {
  return {
    name: "atm",
    seed: 1,
    duration: "40ms",
    atm: {
      signalling: { delay: "50us", keepAlive: "2ms", keepAliveMisses: 3, setupTimeout: "10ms" },
      switches: [
        { name: "s1", ports: 4, policy: { queueLimit: 256 } },
        { name: "s2", ports: 4 },
      ],
      hosts: [
        { name: "x", address: "10.9.0.1/24" },
        { name: "y", address: "10.9.0.2/24" },
        { name: "cam" },
        { name: "tv" },
      ],
      links: [
        { a: "x", b: "s1:0", rate: "OC-3", delay: "5us" },
        { a: "cam", b: "s1:1", rate: "OC-3", delay: "5us" },
        { name: "trunk", a: "s1:3", b: "s2:3", rate: "OC-3", delay: "100us" },
        { a: "s2:0", b: "y", rate: "OC-3", delay: "5us" },
        { a: "s2:1", b: "tv", rate: "OC-3", delay: "5us" },
      ],
      pvcs: [
        { name: "ip", path: ["x", "s1", "s2", "y"] },
        { name: "video", path: ["cam", "s1", "s2", "tv"] },
      ],
      svcs: [{ name: "call", from: "cam", route: "3.1", open: "2ms", close: "30ms" }],
      traffic: [
        { name: "v", type: "aal5", pvc: "video", pduSize: "9000B", rate: 2000 },
        { name: "c", type: "aal5", svc: "call", pduSize: "2000B", rate: 1000 },
      ],
    },
    traffic: [{ name: "t", type: "cbr", from: "x", to: "y", size: 4000, rate: "20Mbps" }],
  };
}

/** The atm network with a router between it and an Ethernet host. */
function atmRouted(): Doc {
  const d = atm();
  d.hosts = [{ name: "e", ip: "10.8.0.2/24", gateway: "10.8.0.1" }];
  d.routers = [{ name: "r", interfaces: [{ name: "eth0", ip: "10.8.0.1/24" }] }];
  d.links = [link("e", "r:eth0")];
  d.atm.routerInterfaces = [{ router: "r", name: "atm0", address: "10.9.0.254/24" }];
  d.atm.hosts[1].gateway = "10.9.0.254";
  d.atm.links.push({ a: "r.atm0", b: "s2:2", rate: "OC-3", delay: "5us" });
  d.atm.pvcs.push({ name: "rt", path: ["r.atm0", "s2", "y"] });
  d.traffic = [{ name: "t", type: "cbr", from: "e", to: "y", size: 3000, rate: "20Mbps" }];
  return d;
}

// --- observers -----------------------------------------------------------------------------

const socketAt = (host: string, port: number) => (b: BuiltScenario) =>
  b.network.ipHost(host).udp.socket(port)?.queueLimit ?? "none";
const disk = (b: BuiltScenario) => {
  const s = b.network.ipHost("b").storage;
  return { profile: s.profile, maxRecords: s.maxRecords, maxBytes: s.maxBytes };
};

// --- traffic, type by type -----------------------------------------------------------------

/** One traffic entry of each type, in a base that suits it. */
const TRAFFIC_BASES: Record<string, { base: (t: Doc) => Doc; entry: () => Doc }> = {
  cbr: { base: lossyLan, entry: () => ({ name: "t", type: "cbr", from: "a", to: "b", size: 1000, rate: "8Mbps" }) },
  poisson: {
    base: lan,
    entry: () => ({ name: "t", type: "poisson", from: "a", to: "b", size: 1000, rate: "8Mbps" }),
  },
  onoff: {
    base: lan,
    entry: () => ({ name: "t", type: "onoff", from: "a", to: "b", size: 1000, rate: "8Mbps", on: "2ms", off: "3ms" }),
  },
  bulk: { base: lan, entry: () => ({ name: "t", type: "bulk", from: "a", to: "b", size: 1000, total: "50KB" }) },
  "request-response": {
    base: lan,
    entry: () => ({
      name: "t",
      type: "request-response",
      from: "a",
      to: "b",
      size: 100,
      responseSize: 500,
      interval: "1ms",
    }),
  },
  "tcp-bulk": { base: lossyLan, entry: () => ({ name: "t", type: "tcp-bulk", from: "a", to: "b", bytes: "300KB" }) },
  "nak-bulk": { base: lossyLan, entry: () => ({ name: "t", type: "nak-bulk", from: "a", to: "b", bytes: "300KB" }) },
  rpc: {
    base: lossyLan,
    entry: () => ({ name: "t", type: "rpc", from: "a", to: "b", size: 100, responseSize: 1000, interval: "1ms" }),
  },
  "ping-pong": {
    base: stacks,
    entry: () => ({ name: "t", type: "ping-pong", from: "h0", to: "h1", size: 1024, rounds: 5 }),
  },
  "message-stream": {
    base: stacks,
    entry: () => ({ name: "t", type: "message-stream", from: "h0", to: "h1", size: 1024, count: 20 }),
  },
};

function traffic(
  type: string,
  change: (t: Doc, d: Doc) => void,
  observe?: Observe,
  base?: (t: Doc) => Doc,
  prep?: (t: Doc, d: Doc) => void,
): Probe {
  const b = TRAFFIC_BASES[type]!;
  return probe(
    () => {
      const d = (base ?? b.base)(b.entry());
      prep?.(d.traffic[0], d);
      return d;
    },
    (d) => change(d.traffic[0], d),
    observe,
  );
}

/** The local ports of the receiving host's TCP connections a few milliseconds in. */
const tcpPorts = (b: BuiltScenario): number[] => {
  b.network.run(5_000_000);
  return b.tcp
    .get("b")!
    .connections()
    .map((c) => c.localPort);
};

/** Keys every UDP type has, and how to change each. */
function udpCommon(type: string): Record<string, Probe> {
  const p = (change: (t: Doc, d: Doc) => void, observe?: Observe): Probe => traffic(type, change, observe);
  return {
    name: p((t) => (t.name = "renamed")),
    from: p((t) => (t.from = "c")),
    to: p((t) => (t.to = "c")),
    size: p((t) => (t.size = 300)),
    start: p((t) => (t.start = "5ms")),
    stop: p((t) => (t.stop = type === "bulk" ? "100us" : "6ms")),
    count: p((t) => (t.count = 2)),
    srcPort: p((t) => (t.srcPort = 7777), socketAt("a", 7777)),
    dstPort: p((t) => (t.dstPort = 7778), socketAt("b", 7778)),
    // To a group across a router: one hop more reaches the far member (request-response
    // cannot go to a group: its ttl is refused, see REFUSED).
    ...(type === "request-response"
      ? {}
      : {
          ttl: traffic(
            type,
            (t) => (t.ttl = 1),
            undefined,
            (t) => multicast({ ...t, from: "src", to: "239.1.1.1", ttl: 2 }),
          ),
        }),
  };
}

function transportCommon(type: string): Record<string, Probe> {
  const p = (change: (t: Doc, d: Doc) => void, observe?: Observe): Probe => traffic(type, change, observe);
  return {
    name: p((t) => (t.name = "renamed")),
    from: p((t) => (t.from = "c")),
    to: p((t) => (t.to = "c")),
    port: p((t) => (t.port = 6000), type === "nak-bulk" ? socketAt("b", 6000) : tcpPorts),
    start: p((t) => (t.start = "5ms")),
    stop: p((t) => (t.stop = "6ms")),
  };
}

/** TCP options, on tcp-bulk or rpc, each where it shows. */
function tcpOptions(type: string): Record<string, Probe> {
  const rpc = type === "rpc";
  const tcp = (o: Doc, prep?: (t: Doc, d: Doc) => void): Probe =>
    traffic(type, (t) => (t.tcp = { ...t.tcp, ...o }), undefined, undefined, prep);
  const lossless = (_t: Doc, d: Doc): void => {
    delete d.links[0].faults;
  };
  /** The first link goes down (for good) at `at`, with short retransmission timeouts. */
  const cut =
    (at: string) =>
    (t: Doc, d: Doc): void => {
      lossless(t, d);
      d.links[0].schedule = [{ at, state: "down" }];
      t.tcp = { minRto: "1ms", maxRto: "2ms", initialRto: "1ms" };
    };
  const keepAlive = { keepAlive: { idle: "1ms", interval: "1ms", count: 3 } };
  // rpc calls spaced far apart leave the connection idle in between.
  const idle = (t: Doc, d: Doc): void => {
    lossless(t, d);
    if (rpc) t.interval = "15ms";
    else t.bytes = "2000B";
  };
  return {
    tcp: tcp({ mss: 500 }),
    "tcp.sendBuffer": tcp({ sendBuffer: "8KB" }, rpc ? (t) => ((t.size = 20000), (t.interval = "20us")) : undefined),
    "tcp.lowWater": tcp({ lowWater: "7KB" }, (t, d) => {
      lossless(t, d);
      t.tcp = { sendBuffer: "8KB" };
      if (rpc) {
        t.size = 3000;
        t.interval = "20us";
      }
    }),
    "tcp.receiveBuffer": tcp({ receiveBuffer: "4KB" }, rpc ? (t) => (t.responseSize = 20000) : undefined),
    "tcp.mss": tcp({ mss: 500 }),
    // A send buffer of 2000 bytes: a full segment, then 540 bytes Nagle holds until it is acked.
    "tcp.noDelay": tcp({ noDelay: true }, (t, d) => {
      lossless(t, d);
      if (rpc) t.interval = "20us";
      else t.tcp = { sendBuffer: "2000B" };
    }),
    "tcp.delayedAck": tcp({ delayedAck: "5ms" }, lossless),
    "tcp.ackEvery": tcp({ ackEvery: 1 }, (t, d) => {
      lossless(t, d);
      if (rpc) t.size = 3000;
    }),
    "tcp.sack": tcp({ sack: false }),
    "tcp.windowScale": tcp({ windowScale: false }, (t) => (t.tcp = { receiveBuffer: "1MB", sendBuffer: "1MB" })),
    "tcp.initialWindow": tcp({ initialWindow: 1 }, rpc ? (t) => (t.size = 20000) : undefined),
    "tcp.minRto": tcp({ minRto: "1ms" }),
    "tcp.maxRto": tcp({ maxRto: "1ms" }, cut("3ms")),
    "tcp.initialRto": tcp({ initialRto: "5ms" }, cut("0ms")),
    "tcp.maxRetries": tcp({ maxRetries: 1 }, cut("3ms")),
    "tcp.synRetries": tcp({ synRetries: 1 }, cut("0ms")),
    "tcp.timeWait": tcp({ timeWait: "1ms" }, (t, d) => {
      lossless(t, d);
      if (rpc) t.count = 2;
      else t.bytes = "20KB";
    }),
    "tcp.keepAlive": tcp(keepAlive, idle),
    "tcp.keepAlive.idle": tcp({ keepAlive: { ...keepAlive.keepAlive, idle: "2ms" } }, (t, d) => {
      idle(t, d);
      t.tcp = keepAlive;
    }),
    ...(rpc
      ? {
          "tcp.keepAlive.interval": tcp({ keepAlive: { ...keepAlive.keepAlive, interval: "3ms" } }, (t, d) => {
            idle(t, d);
            t.tcp = keepAlive;
          }),
        }
      : {}),
    ...(rpc
      ? {
          "tcp.keepAlive.count": tcp({ keepAlive: { ...keepAlive.keepAlive, count: 1 } }, (t, d) => {
            idle(t, d);
            d.links[0].schedule = [{ at: "5ms", state: "down" }];
            t.tcp = keepAlive;
          }),
        }
      : {}),
    "tcp.burst": tcp({ burst: { train: 4 } }, rpc ? (t) => (t.size = 20000) : undefined),
    "tcp.burst.train": tcp({ burst: { train: 8 } }, (t) => {
      t.tcp = { burst: { train: 2 } };
      if (rpc) t.size = 20000;
    }),
  };
}

function prefixed(type: string, probes: Record<string, Probe>): Record<string, Probe> {
  return Object.fromEntries(Object.entries(probes).map(([k, v]) => [`traffic[${type}].${k}`, v]));
}

function trafficProbes(): Record<string, Probe> {
  const out: Record<string, Probe> = {};
  const udp = (type: string, extra: Record<string, Probe>): void => {
    Object.assign(out, prefixed(type, { ...udpCommon(type), ...extra }));
  };
  const rate = (type: string): Probe => traffic(type, (t) => (t.rate = "2Mbps"));
  udp("cbr", { rate: rate("cbr") });
  udp("poisson", { rate: rate("poisson") });
  udp("onoff", {
    rate: rate("onoff"),
    on: traffic("onoff", (t) => (t.on = "1ms")),
    off: traffic("onoff", (t) => (t.off = "1ms")),
    distribution: traffic("onoff", (t) => (t.distribution = "fixed")),
  });
  udp("bulk", {
    total: traffic("bulk", (t) => (t.total = "20KB")),
    rate: traffic("bulk", (t) => (t.rate = "4Mbps")),
  });
  udp("request-response", {
    responseSize: traffic("request-response", (t) => (t.responseSize = 900)),
    interval: traffic("request-response", (t) => (t.interval = "3ms")),
    // Shorter than a round trip: every request times out.
    timeout: traffic("request-response", (t) => (t.timeout = "10us")),
  });
  Object.assign(
    out,
    prefixed("tcp-bulk", {
      ...transportCommon("tcp-bulk"),
      bytes: traffic("tcp-bulk", (t) => (t.bytes = "20KB")),
      ...tcpOptions("tcp-bulk"),
    }),
    prefixed("nak-bulk", {
      ...transportCommon("nak-bulk"),
      bytes: traffic("nak-bulk", (t) => (t.bytes = "20KB")),
      nak: traffic("nak-bulk", (t) => (t.nak = { segmentSize: 500 })),
      ...nakOptions(),
    }),
    prefixed("rpc", {
      ...transportCommon("rpc"),
      count: traffic("rpc", (t) => (t.count = 3)),
      interval: traffic("rpc", (t) => (t.interval = "3ms")),
      size: traffic("rpc", (t) => (t.size = 3000)),
      responseSize: traffic("rpc", (t) => (t.responseSize = 200)),
      timeout: traffic("rpc", (t) => (t.timeout = "100us")),
      retries: traffic("rpc", (t) => ((t.timeout = "100us"), (t.retries = 0))),
      maxOutstanding: traffic("rpc", (t) => ((t.interval = "100us"), (t.maxOutstanding = 1))),
      ...tcpOptions("rpc"),
    }),
  );
  for (const type of ["ping-pong", "message-stream"]) {
    Object.assign(
      out,
      prefixed(type, {
        name: traffic(type, (t) => (t.name = "renamed")),
        from: traffic(type, (t) => ((t.from = "h1"), (t.to = "h0"))),
        to: traffic(type, (t) => ((t.from = "h1"), (t.to = "h0"))),
        size: traffic(type, (t) => (t.size = 64)),
        start: traffic(type, (t) => (t.start = "5ms")),
        ...(type === "ping-pong"
          ? { rounds: traffic(type, (t) => (t.rounds = 2)) }
          : { count: traffic(type, (t) => (t.count = 3)) }),
      }),
    );
  }
  return out;
}

function nakOptions(): Record<string, Probe> {
  const nak = (o: Doc): Probe => traffic("nak-bulk", (t) => (t.nak = { ...t.nak, ...o }));
  return {
    "nak.segmentSize": nak({ segmentSize: 500 }),
    "nak.sendBuffer": nak({ sendBuffer: "8KB" }),
    "nak.receiveWindow": nak({ receiveWindow: "4KB" }),
    "nak.initialPeerWindow": nak({ initialPeerWindow: "100B" }),
    "nak.overheadBytes": nak({ overheadBytes: 200 }),
    "nak.timeout": nak({ timeout: "100us" }),
    "nak.rate": nak({ rate: { initial: "1Mbps" } }),
    "nak.rate.initial": nak({ rate: { initial: "1Mbps" } }),
    "nak.rate.min": nak({ rate: { initial: "1Mbps", min: "900kbps" } }),
    "nak.rate.max": nak({ rate: { max: "2Mbps" } }),
    "nak.rate.windowPackets": nak({ rate: { windowPackets: 2 } }),
    "nak.rate.upperThreshold": nak({ rate: { upperThreshold: 0.001 } }),
    "nak.rate.lowerThreshold": nak({ rate: { lowerThreshold: 0.5 } }),
  };
}

// --- everything else -----------------------------------------------------------------------

const host = (i: number, change: (h: Doc) => void, observe?: Observe, base: () => Doc = lan): Probe =>
  probe(base, (d) => change(d.hosts[i]), observe);
const stack = (o: Doc, base: () => Doc = lan, observe?: Observe): Probe =>
  probe(base, (d) => (d.hosts[0].stack = { ...d.hosts[0].stack, ...o }), observe);
const storage = (o: Doc): Probe =>
  probe(
    () => failing({ device: "a", at: "30ms" }),
    (d) => Object.assign(d.hosts[1].storage, o),
    disk,
  );
const linkAt = (i: number, change: (l: Doc) => void, base: () => Doc = lan): Probe =>
  probe(base, (d) => change(d.links[i]));
const fault = (o: Doc): Probe => linkAt(1, (l) => (l.faults = { ...l.faults, ...o }));
const seg = (change: (s: Doc) => void): Probe => probe(segment, (d) => change(d.segments[0]));
const router = (change: (r: Doc, d: Doc) => void, base: () => Doc = routed): Probe =>
  probe(base, (d) => change(d.routers[0], d));
const crash = (change: (f: Doc) => void): Probe =>
  probe(
    () => failing({ device: "b", at: "10ms", restartAt: "20ms" }),
    (d) => change(d.failures[0]),
  );
const random = (change: (f: Doc) => void): Probe =>
  probe(
    () => failing({ device: "b", mtbf: "5ms", mttr: "2ms", until: "30ms" }),
    (d) => change(d.failures[0]),
  );
const split = (change: (f: Doc) => void): Probe =>
  probe(
    () => failing({ partition: "p", groups: [["a", "sw"], ["b"]], at: "10ms", healAt: "20ms" }),
    (d) => change(d.failures[0]),
  );
const atmProbe = (change: (a: Doc, d: Doc) => void, base: () => Doc = atm, observe?: Observe): Probe =>
  probe(base, (d) => change(d.atm, d), observe);
const portPolicy = (o: Doc): Probe =>
  atmProbe((a) => (a.switches[0].portPolicies = { "3": { queueLimit: 256, ...o } }));
const outputs = (o: Doc): Probe => probe(lan, (d) => (d.outputs = o), "outputs");

/** A burst of big PDUs into a small queue: the switch's discard policies come into play. */
function atmCongested(): Doc {
  const d = atm();
  d.atm.switches[0].policy = { queueLimit: 64 };
  d.atm.traffic[0] = { name: "v", type: "aal5", pvc: "video", pduSize: "9000B" };
  d.atm.links[2].rate = "OC-3";
  d.atm.links[1].rate = "OC-12";
  return d;
}
const congested = (o: Doc): Probe => atmProbe((a) => (a.switches[0].policy = { queueLimit: 64, ...o }), atmCongested);

export function probes(): Record<string, Probe> {
  return {
    name: probe(lan, (d) => (d.name = "other")),
    seed: probe(lossyLan, (d) => (d.seed = 2)),
    duration: probe(lan, (d) => (d.duration = "10ms")),
    "hosts[].name": probe(lan, (d) => {
      d.hosts[0].name = "z";
      d.links[0].a = "z";
      d.traffic[0].from = "z";
    }),
    "hosts[].ip": host(1, (h) => (h.ip = "10.0.0.99/24")),
    "hosts[].gateway": host(0, (h) => delete h.gateway, undefined, routed),
    // Addresses are in the frames' bytes, not in any counter: read them off the devices.
    "hosts[].mac": host(
      1,
      (h) => (h.mac = "02:00:00:00:00:99"),
      (b) => (b.network.device("b") as EthernetNic).mac,
    ),
    "hosts[].mtu": host(0, (h) => (h.mtu = 600)),
    "hosts[].rxBuffers": host(1, (h) => (h.rxBuffers = 2)),
    "hosts[].multicast": host(
      1,
      (h) => (h.multicast = ["239.1.1.1"]),
      undefined,
      () => {
        const d = lan({ name: "t", type: "cbr", from: "a", to: "239.1.1.1", size: 500, rate: "4Mbps" });
        d.hosts[2].multicast = ["239.1.1.1"];
        return d;
      },
    ),
    "hosts[].stack.ttl": stack({ ttl: 1 }, routed),
    "hosts[].stack.arpTimeout": stack({ arpTimeout: "1ms" }),
    "hosts[].stack.arpQueueLimit": stack({ arpQueueLimit: 1 }, () =>
      lan({ name: "t", type: "bulk", from: "a", to: "b", size: 1000, total: "50KB" }),
    ),
    "hosts[].stack.reassemblyTimeout": probe(
      () => {
        const d = lossyLan({ name: "t", type: "cbr", from: "a", to: "b", size: 4000, rate: "8Mbps" });
        d.hosts[1].stack = { reassemblyTimeout: "30s" };
        return d;
      },
      (d) => (d.hosts[1].stack.reassemblyTimeout = "1ms"),
    ),
    "hosts[].stack.reassemblyLimit": probe(
      () => lan({ name: "t", type: "cbr", from: "a", to: "b", size: 4000, rate: "8Mbps" }),
      (d) => (d.hosts[1].stack = { reassemblyLimit: "2KB" }),
    ),
    "hosts[].stack.maxDatagramSize": stack({ maxDatagramSize: 900 }),
    "hosts[].stack.mailboxLimit": probe(lan, (d) => (d.hosts[1].stack = { mailboxLimit: 5 }), socketAt("b", 9000)),
    "hosts[].hostStack.configuration": probe(stacks, (d) => (d.hosts[0].hostStack.configuration = "socket")),
    "hosts[].hostStack.layers": probe(stacks, (d) => (d.hosts[0].hostStack.layers = ["NAK", "FRAG", "COM"])),
    "hosts[].hostStack.profile": probe(stacks, (d) => (d.hosts[0].hostStack.profile = "server-2025")),
    "hosts[].storage.disk": storage({ disk: "nvme-2025" }),
    "hosts[].storage.writeLatency": storage({ writeLatency: "1ms" }),
    "hosts[].storage.syncLatency": storage({ syncLatency: "1ms" }),
    "hosts[].storage.bandwidth": storage({ bandwidth: "1Mbps" }),
    "hosts[].storage.maxRecords": storage({ maxRecords: 7 }),
    "hosts[].storage.maxBytes": storage({ maxBytes: "7KB" }),
    "switches[].name": probe(lan, (d) => {
      d.switches[0].name = "hub";
      for (const l of d.links) l.b = l.b.replace("sw", "hub");
    }),
    "switches[].ports": probe(lan, (d) => (d.switches[0].ports = 8)),
    // Short enough to age the table out between datagrams: unicast floods again.
    "switches[].agingTime": probe(lan, (d) => (d.switches[0].agingTime = "100us")),
    "switches[].forwardingDelay": probe(lan, (d) => (d.switches[0].forwardingDelay = "20us")),
    "switches[].fdbCapacity": probe(lan, (d) => (d.switches[0].fdbCapacity = 1)),
    "routers[].name": router((r, d) => {
      r.name = "rx";
      d.links[0].b = "rx:e0";
      d.links[1].a = "rx:e1";
    }),
    "routers[].interfaces[].name": router((r, d) => {
      r.interfaces[0].name = "x0";
      d.links[0].b = "r1:x0";
    }),
    "routers[].interfaces[].ip": router((r, d) => {
      r.interfaces[0].ip = "10.0.1.254/24";
      d.hosts[0].gateway = "10.0.1.254";
    }),
    "routers[].interfaces[].mtu": router((r) => (r.interfaces[1].mtu = 600)),
    "routers[].interfaces[].mac": probe(
      routed,
      (d) => (d.routers[0].interfaces[0].mac = "02:00:00:00:00:77"),
      (b) => b.network.router("r1").interfaces[0]!.nic!.mac,
    ),
    "routers[].routes[].prefix": router((r) => (r.routes[0].prefix = "10.0.4.0/24")),
    "routers[].routes[].via": router((r) => (r.routes[0].via = "10.0.2.9")),
    "routers[].routes[].interface": router((r) => (r.routes[0] = { prefix: "10.0.3.0/24", interface: "e1" })),
    "routers[].routing.protocol": router((r) => (r.routing = { protocol: "static" }), learned),
    "routers[].routing.period": router((r) => (r.routing.period = "2ms"), learned),
    "routers[].routing.timeout": router((r) => (r.routing.timeout = "40ms"), learned),
    "segments[].name": seg((s) => (s.name = "bus")),
    "segments[].rate": seg((s) => (s.rate = "100Mbps")),
    "segments[].propagationDelay": seg((s) => (s.propagationDelay = "20us")),
    "segments[].queueLimit": seg((s) => (s.queueLimit = 1)),
    "segments[].maxFrame": seg((s) => (s.maxFrame = 600)),
    "segments[].attemptLimit": seg((s) => (s.attemptLimit = 1)),
    "segments[].backoffLimit": seg((s) => (s.backoffLimit = 1)),
    "segments[].stations": seg((s) => (s.stations = ["a", "b"])),
    "links[].name": linkAt(0, (l) => (l.name = "first")),
    "links[].a": linkAt(
      0,
      (l) => (l.a = "sw:3"),
      () => {
        const d = lan();
        d.hosts.push({ name: "d", ip: "10.0.0.4/24" });
        d.links.push(link("d", "sw:3"));
        d.links[0].b = "sw:0";
        return d;
      },
    ),
    "links[].b": linkAt(0, (l) => (l.b = "sw:3")),
    "links[].rate": linkAt(0, (l) => (l.rate = "10Mbps")),
    "links[].delay": linkAt(0, (l) => (l.delay = "1ms")),
    "links[].mtu": linkAt(0, (l) => (l.mtu = 600)),
    "links[].queueLimit": linkAt(0, (l) => ((l.queueLimit = 1), (l.rate = "1Mbps"))),
    "links[].queueLimitBytes": linkAt(0, (l) => ((l.queueLimitBytes = 1500), (l.rate = "1Mbps"))),
    "links[].overheadBytes": linkAt(0, (l) => (l.overheadBytes = 200)),
    "links[].faults.loss": fault({ loss: 0.3 }),
    "links[].faults.burstLoss": fault({ burstLoss: { p: 0.2, r: 0.3 } }),
    "links[].faults.burstLoss.p": fault({ burstLoss: { p: 0.2, r: 0.3 } }),
    "links[].faults.burstLoss.r": fault({ burstLoss: { p: 0.2, r: 0.3 } }),
    "links[].faults.burstLoss.lossInBad": fault({ burstLoss: { p: 0.2, r: 0.3, lossInBad: 0.5 } }),
    "links[].faults.burstLoss.lossInGood": fault({ burstLoss: { p: 0.2, r: 0.3, lossInGood: 0.5 } }),
    "links[].faults.ber": fault({ ber: 1e-4 }),
    "links[].faults.duplicate": fault({ duplicate: 0.3 }),
    "links[].faults.reorder": fault({ reorder: { probability: 0.3, delay: "500us" } }),
    "links[].faults.reorder.probability": fault({ reorder: { probability: 0.3, delay: "500us" } }),
    "links[].faults.reorder.delay": fault({ reorder: { probability: 0.3, delay: "500us" } }),
    "links[].schedule[].at": linkAt(0, (l) => (l.schedule = [{ at: "5ms", state: "down" }])),
    "links[].schedule[].state": linkAt(0, (l) => (l.schedule = [{ at: "5ms", state: "down" }])),
    ...trafficProbes(),
    ...workloadProbes(),
    "outputs.json": outputs({ json: "r.json" }),
    "outputs.csv": outputs({ csv: "csv" }),
    "outputs.report": outputs({ report: "r.html" }),
    "outputs.pcap.dir": outputs({ pcap: { dir: "pcap" } }),
    "outputs.pcap.ports": outputs({ pcap: { dir: "pcap", ports: ["a"] } }),
    "outputs.pcap.snaplen": outputs({ pcap: { dir: "pcap", snaplen: 64 } }),
    "outputs.pcap.limit": outputs({ pcap: { dir: "pcap", limit: "2 packets" } }),
    // Partitions decide which thread runs what, never the results: they are checked and planned.
    partitions: probe(
      lan,
      (d) => (d.partitions = [["a", "b", "sw"], ["c"]]),
      (b) => planPartitions(b.scenario, 2).members,
    ),
    "failures[crash].device": crash((f) => (f.device = "c")),
    "failures[crash].at": crash((f) => (f.at = "15ms")),
    "failures[crash].restartAt": crash((f) => (f.restartAt = "12ms")),
    "failures[random].device": random((f) => (f.device = "c")),
    "failures[random].mtbf": random((f) => (f.mtbf = "20ms")),
    "failures[random].mttr": random((f) => (f.mttr = "5ms")),
    "failures[random].until": random((f) => (f.until = "10ms")),
    "failures[partition].partition": split((f) => (f.partition = "q")),
    "failures[partition].groups": split((f) => (f.groups = [["a", "sw"], ["c"]])),
    "failures[partition].at": split((f) => (f.at = "15ms")),
    "failures[partition].healAt": split((f) => (f.healAt = "12ms")),
    parameters: probe(
      () => ({ ...lan(), parameters: { r: ["8Mbps", "2Mbps"] } }),
      (d) => (d.parameters.r = ["2Mbps"]),
      (b) => b.scenario.parameters,
    ),
    "atm.switches[].name": atmProbe((a) => {
      a.switches[0].name = "z1";
      for (const l of a.links) for (const k of ["a", "b"]) l[k] = l[k].replace("s1", "z1");
      for (const v of a.pvcs) v.path = v.path.map((p: string) => (p === "s1" ? "z1" : p));
    }),
    "atm.switches[].ports": atmProbe((a) => (a.switches[0].ports = 16)),
    // Only VPIs above 255 tell the formats apart, and scenario circuits use VPI 0: read the ports.
    "atm.switches[].format": atmProbe(
      (a) => (a.switches[0].format = "nni"),
      atm,
      (b) => b.atm!.switches.get("s1")!.formats,
    ),
    "atm.switches[].vcCapacity": atmProbe((a) => (a.switches[0].vcCapacity = 2)),
    "atm.switches[].circuitLimit": atmProbe((a) => (a.switches[0].circuitLimit = 0)),
    "atm.switches[].policy.queueLimit": congested({ queueLimit: 16 }),
    "atm.switches[].policy.epdThreshold": congested({ epdThreshold: 32 }),
    "atm.switches[].policy.ppd": congested({ ppd: true }),
    "atm.switches[].policy.randomDiscard": congested({ randomDiscard: { threshold: 8, probability: 0.5 } }),
    "atm.switches[].policy.randomDiscard.threshold": congested({ randomDiscard: { threshold: 8, probability: 0.5 } }),
    "atm.switches[].policy.randomDiscard.probability": congested({ randomDiscard: { threshold: 8, probability: 0.5 } }),
    "atm.switches[].portPolicies.*.queueLimit": portPolicy({ queueLimit: 16 }),
    "atm.switches[].portPolicies.*.epdThreshold": portPolicy({ epdThreshold: 8 }),
    "atm.switches[].portPolicies.*.ppd": portPolicy({ queueLimit: 16, ppd: true }),
    "atm.switches[].portPolicies.*.randomDiscard": portPolicy({ randomDiscard: { threshold: 2, probability: 0.5 } }),
    "atm.switches[].portPolicies.*.randomDiscard.threshold": portPolicy({
      randomDiscard: { threshold: 2, probability: 0.5 },
    }),
    "atm.switches[].portPolicies.*.randomDiscard.probability": portPolicy({
      randomDiscard: { threshold: 2, probability: 0.5 },
    }),
    "atm.hosts[].name": atmProbe((a) => {
      a.hosts[3].name = "screen";
      a.links[4].b = "screen";
      a.pvcs[1].path[3] = "screen";
    }),
    "atm.hosts[].address": atmProbe(
      (a) => (a.hosts[1].address = "10.9.0.77/24"),
      atm,
      (b) => b.atm!.ipHosts.get("y")!.ip,
    ),
    "atm.hosts[].gateway": atmProbe(
      (a) => delete a.hosts[1].gateway,
      () => {
        const d = atmRouted();
        d.traffic[0] = { name: "t", type: "cbr", from: "y", to: "e", size: 3000, rate: "20Mbps" };
        return d;
      },
    ),
    "atm.hosts[].mtu": atmProbe((a) => (a.hosts[0].mtu = 1500)),
    "atm.hosts[].maxPdu": atmProbe((a) => (a.hosts[3].maxPdu = 4000)),
    "atm.hosts[].vcs": atmProbe((a) => (a.hosts[2].vcs = 2)),
    "atm.hosts[].rxBuffers": atmProbe((a) => (a.hosts[3].rxBuffers = 2)),
    "atm.hosts[].failAt": atmProbe((a) => (a.hosts[2].failAt = "10ms")),
    "atm.routerInterfaces[].router": atmProbe((_a, d) => {
      d.routers[0].name = "r9";
      d.links[0].b = "r9:eth0";
      d.atm.routerInterfaces[0].router = "r9";
      d.atm.links[5].a = "r9.atm0";
      d.atm.pvcs[2].path[0] = "r9.atm0";
    }, atmRouted),
    "atm.routerInterfaces[].name": atmProbe((a) => {
      a.routerInterfaces[0].name = "atm7";
      a.links[5].a = "r.atm7";
      a.pvcs[2].path[0] = "r.atm7";
    }, atmRouted),
    "atm.routerInterfaces[].address": atmProbe((a) => {
      a.routerInterfaces[0].address = "10.9.0.253/24";
      a.hosts[1].gateway = "10.9.0.253";
    }, atmRouted),
    "atm.routerInterfaces[].mtu": atmProbe((a) => (a.routerInterfaces[0].mtu = 1000), atmRouted),
    "atm.routerInterfaces[].maxPdu": atmProbe((a) => (a.routerInterfaces[0].maxPdu = 2000), atmRouted),
    "atm.links[].name": atmProbe(
      (a) => (a.links[2].name = "long"),
      atm,
      (b) => [...b.atm!.links.keys()],
    ),
    "atm.links[].a": atmProbe((a) => {
      a.links[1].a = "s1:2";
      a.links[1].b = "cam";
    }),
    "atm.links[].b": atmProbe((a) => (a.links[1].b = "s1:2")),
    "atm.links[].rate": atmProbe((a) => (a.links[2].rate = "OC-12")),
    "atm.links[].delay": atmProbe((a) => (a.links[2].delay = "1ms")),
    "atm.links[].faults.cellLoss": atmProbe((a) => (a.links[2].faults = { cellLoss: 0.01 })),
    "atm.links[].faults.ber": atmProbe((a) => (a.links[2].faults = { ber: 1e-5 })),
    "atm.pvcs[].name": atmProbe(
      (a) => {
        a.pvcs[1].name = "tv2";
        a.traffic[0].pvc = "tv2";
      },
      atm,
      (b) => [...b.atm!.circuits.keys()],
    ),
    "atm.pvcs[].path": atmProbe((a) => (a.pvcs[1].path = ["cam", "s1", "s2", "y"])),
    "atm.pvcs[].parity": atmProbe((a) => (a.pvcs[1].parity = true)),
    "atm.svcs[].name": atmProbe((a) => {
      a.svcs[0].name = "call2";
      a.traffic[1].svc = "call2";
    }),
    "atm.svcs[].from": atmProbe((a) => ((a.svcs[0].from = "tv"), (a.svcs[0].route = "3.1"))),
    "atm.svcs[].route": atmProbe((a) => (a.svcs[0].route = "3.0")),
    "atm.svcs[].open": atmProbe((a) => (a.svcs[0].open = "5ms")),
    "atm.svcs[].close": atmProbe((a) => (a.svcs[0].close = "10ms")),
    "atm.svcs[].parity": atmProbe((a) => (a.svcs[0].parity = true)),
    "atm.signalling.delay": atmProbe((a) => (a.signalling.delay = "1ms")),
    "atm.signalling.keepAlive": atmProbe((a) => ((a.signalling.keepAlive = "1ms"), (a.hosts[2].failAt = "10ms"))),
    "atm.signalling.keepAliveMisses": atmProbe(
      (a) => ((a.signalling.keepAliveMisses = 10), (a.hosts[2].failAt = "10ms")),
    ),
    "atm.signalling.releaseTimeout": atmProbe(
      (a) => ((a.signalling.releaseTimeout = "100us"), (a.links[2].faults = { cellLoss: 0.2 })),
    ),
    "atm.signalling.setupTimeout": atmProbe(
      (a) => ((a.signalling.setupTimeout = "10us"), (a.signalling.delay = "1ms")),
    ),
    "atm.traffic[].name": atmProbe((a) => (a.traffic[0].name = "v2")),
    "atm.traffic[].pvc": atmProbe((a) => (a.traffic[0].pvc = "ip")),
    "atm.traffic[].svc": atmProbe((a) => ((a.traffic[0].svc = "call"), delete a.traffic[0].pvc)),
    "atm.traffic[].from": atmProbe((a) => (a.traffic[0].from = "tv")),
    "atm.traffic[].pduSize": atmProbe((a) => (a.traffic[0].pduSize = "1000B")),
    "atm.traffic[].rate": atmProbe((a) => (a.traffic[0].rate = 500)),
    "atm.traffic[].start": atmProbe((a) => (a.traffic[0].start = "5ms")),
    "atm.traffic[].stop": atmProbe((a) => (a.traffic[0].stop = "5ms")),
    "atm.traffic[].count": atmProbe((a) => (a.traffic[0].count = 3)),
  };
}

/**
 * Options the schema accepts in a place where the checker refuses them, always: each with a
 * document that uses it and the message it gets.
 */
export function refused(): Record<string, { doc: Doc; message: RegExp }> {
  return {
    "traffic[request-response].ttl": {
      doc: lan({ name: "t", type: "request-response", from: "a", to: "b", size: 100, responseSize: 100, ttl: 4 }),
      message: /traffic\[0\]\.ttl: ttl applies to traffic to a multicast group, not to 10\.0\.0\.2/,
    },
    "workloads[two-phase-commit].transport": {
      doc: (() => {
        const d = WORKLOAD_BASES["two-phase-commit"]!();
        d.workloads[0].transport = "tcp";
        return d;
      })(),
      message: /workloads\[0\]\.transport/,
    },
  };
}

// --- workloads -----------------------------------------------------------------------------

/** Six hosts on a switch, with a workload (and what makes its timers matter: loss or a crash). */
function workloadBase(entry: Doc, extra: Doc = {}): Doc {
  return {
    name: "wl",
    seed: 1,
    duration: "200ms",
    hosts: Array.from({ length: 6 }, (_, i) => ({ name: `h${i}`, ip: `10.0.0.${i + 1}/24` })),
    switches: [{ name: "sw", ports: 8 }],
    links: Array.from({ length: 6 }, (_, i) => link(`h${i}`, `sw:${i}`, i === 0 ? { faults: { loss: 0.05 } } : {})),
    workloads: [entry],
    ...extra,
  };
}

const WORKLOAD_BASES: Record<string, () => Doc> = {
  "primary-backup": () =>
    workloadBase(
      {
        name: "svc",
        type: "primary-backup",
        servers: ["h0", "h1"],
        clients: ["h2", "h3"],
        port: 7300,
        start: "5ms",
        interval: "5ms",
        timeout: "10ms",
        retries: 2,
        heartbeat: { period: "5ms", timeout: "20ms" },
        update: { timeout: "5ms", retries: 3 },
      },
      { failures: [{ device: "h0", at: "60ms", restartAt: "120ms" }] },
    ),
  "stream-breaks": () =>
    workloadBase(
      {
        name: "st",
        type: "stream-breaks",
        from: "h2",
        to: "h0",
        streams: 4,
        port: 9100,
        start: "5ms",
        interval: "20ms",
        size: 100,
        timeouts: { minRto: "10ms", maxRto: "50ms", maxRetries: 3 },
      },
      { failures: [{ partition: "cut", groups: [["h0"], ["sw"]], at: "60ms", healAt: "150ms" }] },
    ),
  "rpc-udp": () =>
    workloadBase({
      name: "r",
      type: "rpc-udp",
      clients: ["h2"],
      server: "h0",
      nameService: "h4",
      semantics: "at-least-once",
      operation: "increment",
      count: 50,
      interval: "2ms",
      start: "5ms",
      executionTime: "1ms",
      timeout: "10ms",
      retries: 5,
    }),
  "two-phase-commit": () =>
    workloadBase(
      {
        name: "tx",
        type: "two-phase-commit",
        coordinator: "h2",
        participants: ["h0", "h1", "h3"],
        protocol: "2pc",
        rate: 100,
        start: "5ms",
        work: "1ms",
        timeouts: { voteRequest: "20ms", votes: "10ms", decision: "10ms", retransmit: "5ms" },
      },
      { failures: [{ device: "h2", at: "50ms", restartAt: "120ms" }] },
    ),
};

function workload(
  type: string,
  change: (w: Doc, d: Doc) => void,
  prep?: (w: Doc, d: Doc) => void,
  observe?: Observe,
): Probe {
  return probe(
    () => {
      const d = WORKLOAD_BASES[type]!();
      prep?.(d.workloads[0], d);
      return d;
    },
    (d) => change(d.workloads[0], d),
    observe,
  );
}

/** Whether `host` has a UDP socket on `port` a few milliseconds into the run. */
const boundAt = (host: string, port: number) => (b: BuiltScenario) => {
  b.network.run(10_000_000);
  return b.network.ipHost(host).udp.socket(port) !== undefined;
};

export function workloadProbes(): Record<string, Probe> {
  const w = (
    type: string,
    entries: Record<string, (x: Doc, d: Doc) => void>,
    prep: Record<string, (x: Doc, d: Doc) => void> = {},
    observe: Record<string, Observe> = {},
  ) =>
    Object.fromEntries(
      Object.entries(entries).map(([k, change]) => [
        `workloads[${type}].${k}`,
        workload(type, change, prep[k], observe[k]),
      ]),
    );
  return {
    ...w(
      "primary-backup",
      {
        name: (x) => (x.name = "svc2"),
        servers: (x) => (x.servers = ["h1", "h0"]),
        clients: (x) => (x.clients = ["h2"]),
        port: (x) => (x.port = 7400),
        start: (x) => (x.start = "20ms"),
        stop: (x) => (x.stop = "40ms"),
        rate: (x) => {
          delete x.interval;
          x.rate = 50;
        },
        interval: (x) => (x.interval = "2ms"),
        count: (x) => (x.count = 3),
        timeout: (x) => (x.timeout = "3ms"),
        retries: (x) => (x.retries = 0),
        heartbeat: (x) => (x.heartbeat = { period: "2ms", timeout: "8ms" }),
        "heartbeat.period": (x) => (x.heartbeat.period = "2ms"),
        "heartbeat.timeout": (x) => (x.heartbeat.timeout = "8ms"),
        update: (x) => (x.update = { timeout: "2ms", retries: 1 }),
        "update.timeout": (x) => (x.update.timeout = "1ms"),
        "update.retries": (x) => (x.update.retries = 0),
        failover: (x) => (x.failover = false),
        takeover: (x) => (x.takeover = "never"),
      },
      {},
      { port: boundAt("h0", 7400) },
    ),
    ...w("stream-breaks", {
      name: (x) => (x.name = "st2"),
      from: (x) => (x.from = "h3"),
      to: (x) => (x.to = "h1"),
      streams: (x) => (x.streams = 2),
      port: (x) => (x.port = 9200),
      start: (x) => (x.start = "20ms"),
      stop: (x) => (x.stop = "40ms"),
      interval: (x) => (x.interval = "5ms"),
      size: (x) => (x.size = 1000),
      keepAlive: (x) => (x.keepAlive = { idle: "10ms", interval: "5ms", count: 2 }),
      "keepAlive.idle": (x) => (x.keepAlive = { idle: "10ms", interval: "5ms", count: 2 }),
      "keepAlive.interval": (x) => (x.keepAlive = { idle: "10ms", interval: "5ms", count: 2 }),
      "keepAlive.count": (x) => (x.keepAlive = { idle: "10ms", interval: "5ms", count: 2 }),
      timeouts: (x) => (x.timeouts = { minRto: "5ms", maxRto: "20ms", maxRetries: 2 }),
      "timeouts.minRto": (x) => (x.timeouts.minRto = "5ms"),
      "timeouts.maxRto": (x) => (x.timeouts.maxRto = "15ms"),
      "timeouts.initialRto": (x) => (x.timeouts.initialRto = "30ms"),
      "timeouts.maxRetries": (x) => (x.timeouts.maxRetries = 1),
    }),
    ...w(
      "rpc-udp",
      {
        name: (x) => (x.name = "r2"),
        clients: (x) => (x.clients = ["h2", "h3"]),
        server: (x) => (x.server = "h1"),
        servers: (x) => {
          delete x.server;
          x.servers = ["h0", "h1"];
        },
        nameService: (x) => (x.nameService = "h5"),
        nameServicePort: (x) => (x.nameServicePort = 7301),
        port: (x) => (x.port = 7302),
        semantics: (x) => (x.semantics = "at-most-once"),
        operation: (x) => (x.operation = "echo"),
        count: (x) => (x.count = 5),
        interval: (x) => (x.interval = "5ms"),
        arrivals: (x) => (x.arrivals = "poisson"),
        start: (x) => (x.start = "20ms"),
        stop: (x) => (x.stop = "30ms"),
        argumentSize: (x) => (x.argumentSize = 3000),
        resultSize: (x) => (x.resultSize = 3000),
        amount: (x) => (x.amount = 5),
        initialValue: (x) => (x.initialValue = 100),
        executionTime: (x) => (x.executionTime = "5ms"),
        timeout: (x) => (x.timeout = "2ms"),
        retries: (x) => (x.retries = 0),
        ackDelay: (x) => ((x.ackDelay = "1ms"), (x.executionTime = "30ms")),
        nakDelay: (x) => ((x.nakDelay = "1ms"), (x.argumentSize = 5000)),
        fragmentSize: (x) => ((x.fragmentSize = 500), (x.argumentSize = 3000)),
        duplicateTable: (x) => (x.duplicateTable = 1),
        maxExecuting: (x) => ((x.maxExecuting = 1), (x.clients = ["h2", "h3", "h5"])),
        queueLimit: (x) => ((x.queueLimit = 1), (x.clients = ["h2", "h3", "h5"])),
        rebindDelay: (x) => (x.rebindDelay = "1ms"),
        exterminateOrphans: (x) => (x.exterminateOrphans = false),
      },
      {
        // Duplicates filtered at most once, from two clients: a table of one forgets them.
        duplicateTable: (x) => {
          x.semantics = "at-most-once";
          x.clients = ["h2", "h3"];
        },
        // The server crashes and comes back: clients bind again through the name service.
        rebindDelay: (x, d) => {
          x.retries = 1;
          d.failures = [{ device: "h0", at: "50ms", restartAt: "150ms" }];
        },
        // A client crashes with calls executing at the server: they are orphans.
        exterminateOrphans: (x, d) => {
          x.executionTime = "40ms";
          d.failures = [{ device: "h2", at: "50ms", restartAt: "52ms" }];
        },
      },
      { nameServicePort: boundAt("h4", 7301) },
    ),
    ...w(
      "two-phase-commit",
      {
        name: (x) => (x.name = "tx2"),
        coordinator: (x) => (x.coordinator = "h5"),
        participants: (x) => (x.participants = ["h0", "h1"]),
        protocol: (x) => (x.protocol = "3pc"),
        port: (x) => (x.port = 7210),
        rate: (x) => (x.rate = 30),
        interval: (x) => {
          delete x.rate;
          x.interval = "3ms";
        },
        count: (x) => (x.count = 3),
        start: (x) => (x.start = "20ms"),
        stop: (x) => (x.stop = "30ms"),
        fanout: (x) => (x.fanout = 2),
        voteNo: (x) => (x.voteNo = 0.5),
        work: (x) => (x.work = "5ms"),
        maxActive: (x) => (x.maxActive = 1),
        timeouts: (x) => (x.timeouts = { voteRequest: "5ms", votes: "3ms", decision: "3ms", retransmit: "1ms" }),
        "timeouts.voteRequest": (x) => (x.timeouts.voteRequest = "3ms"),
        "timeouts.votes": (x) => (x.timeouts.votes = "2ms"),
        "timeouts.decision": (x) => (x.timeouts.decision = "2ms"),
        "timeouts.retransmit": (x) => (x.timeouts.retransmit = "1ms"),
      },
      {},
      { port: boundAt("h0", 7210) },
    ),
  };
}
