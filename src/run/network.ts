// Network: the embedding API. A program builds a topology in code, attaches frame sources,
// runs to a virtual time or until idle, and reads typed counters.
//
// Contract:
// - Names are unique across devices, links and sources; a device is referred to by its name
//   or by the object. An endpoint is "name" (port 0) or "name:port", or { device, port }.
// - Devices are created in call order, so the same sequence of calls gives the same device
//   ids, event keys, random streams and fingerprint, run after run.
// - Misuse throws NetloomError with a stable code and a message that names the offending
//   thing: an unknown device, a port that does not exist or is already connected, a bad rate
//   or delay (through the devices' own checks).
// - run() returns what happened (virtual time, events, wall time, fingerprint); stats() reads
//   every device's counters, drops by reason included. onDrop() reports every dropped frame.
// - destroy() checks that every frame slot came back (a leak is an error, not a silent loss)
//   and frees the shared memory the network used.
// - Failures: crash(name, at, restartAt?) and failRandomly(name, ...) make a device crash
//   fail-stop and restart (devices/crashable.ts); partition(name, groups, at, healAt?) takes
//   down, for an interval, every link between devices of different groups. Call them while
//   building, before the run reaches their times: each crashing device gets one event handler
//   ("<device>.failures") the first time, so the same calls give the same devices everywhere.

import { ErrorCode, NetloomError } from "../base/errors.js";
import { parseDuration } from "../base/units.js";
import { Simulation, type SimulationOptions } from "../engine/simulation.js";
import type { Device } from "../devices/device.js";
import { EthernetNic, type EthernetNicOptions, type NicStats } from "../devices/nic.js";
import { EthernetSwitch, type EthernetSwitchOptions, type EthernetSwitchStats } from "../devices/ethernet-switch.js";
import { CsmaSegment, type CsmaSegmentOptions, type CsmaSegmentStats } from "../devices/csma-segment.js";
import { PointToPointLink, type LinkDirectionStats, type LinkOptions } from "../devices/link.js";
import {
  CbrSource,
  PoissonSource,
  type FrameSource,
  type FrameSourceOptions,
  type FrameSourceStats,
} from "../traffic/frame-source.js";
import type { StableStorageStats } from "../devices/stable-storage.js";
import { type Crashable, FailureAgent, type FailureStats, type RandomFailures } from "../devices/crashable.js";
import { dropReasonName, type TracePoint, type TracePoints } from "../trace/trace-point.js";
import { IpHost, type IpHostOptions, type IpHostStats } from "../stacks/ip/ip-host.js";
import { Router, type RouterOptions, type RouterStats } from "../stacks/ip/router.js";
import { checkIpOptionsObject } from "../stacks/ip/ip-host-config.js";

export type NetworkOptions = Partial<SimulationOptions>;

export type Endpoint = string | Device | { device: string | Device; port: number };

export interface RunResult {
  /** Virtual time reached, ns. */
  simTimeNs: number;
  /** Events dispatched by this call. */
  events: number;
  /** Events dispatched since the network was built. */
  totalEvents: number;
  wallTimeMs: number;
  /** Run fingerprint (over every event since the network was built). */
  fingerprint: string;
}

export interface DropEvent {
  time: number;
  /** Device or link name; for links "name:0->1" or "name:1->0". */
  where: string;
  /** Port of a device (0 for link directions). */
  port: number;
  reason: string;
  length: number;
}

export interface NetworkStats {
  simTimeNs: number;
  events: number;
  fingerprint: string;
  hosts: ({ name: string } & NicStats & { ip?: IpHostStats; storage?: StableStorageStats })[];
  switches: ({ name: string } & EthernetSwitchStats)[];
  routers: RouterStats[];
  links: { name: string; directions: [LinkDirectionStats, LinkDirectionStats] }[];
  segments: ({ name: string } & CsmaSegmentStats)[];
  sources: ({ name: string } & FrameSourceStats)[];
  frames: { capacity: number; inUse: number; highWater: number; allocFailures: number };
  /** Devices that can crash (given a crash, random failures), in the order they were given one. */
  failures: FailureStats[];
  /** Network partitions, in the order they were declared. */
  partitions: NetworkPartition[];
}

export interface NetworkPartition {
  name: string;
  groups: string[][];
  atNs: number;
  /** Undefined: never heals. */
  healAtNs: number | undefined;
  /** The links it takes down. */
  links: string[];
}

export class Network {
  readonly sim: Simulation;
  private readonly hosts = new Map<string, EthernetNic>();
  private readonly ipHosts = new Map<string, IpHost>();
  private readonly switches = new Map<string, EthernetSwitch>();
  private readonly routers = new Map<string, Router>();
  private readonly links = new Map<string, PointToPointLink>();
  private readonly sources = new Map<string, FrameSource>();
  private readonly segments = new Map<string, CsmaSegment>();
  private readonly stationsUsed = new Map<CsmaSegment, number>();
  private destroyed = false;
  private readonly disposers: (() => void)[] = [];
  /** Device names at either end of each link, for partitions. */
  private readonly linkEnds = new Map<string, [string, string]>();
  private readonly failureAgents = new Map<string, FailureAgent>();
  private readonly crashables = new Map<string, { target: Crashable; deviceId: number }>();
  private readonly partitionList: NetworkPartition[] = [];

  constructor(options: NetworkOptions = {}) {
    this.sim = new Simulation({ seed: 1, ...options });
  }

  get now(): number {
    return this.sim.now;
  }

  /**
   * A host: its Ethernet NIC, and with `ip` an IPv4/UDP/ICMP stack on it (see ipHost()).
   * Without `ip` the host is a bare NIC that frame sources drive directly.
   */
  addHost(name: string, options: EthernetNicOptions & { ip?: IpHostOptions } = {}): EthernetNic {
    const { ip, ...nicOptions } = options;
    if (ip !== undefined) checkIpOptionsObject(ip);
    const nic = new EthernetNic(this.sim, name, nicOptions);
    this.hosts.set(name, nic);
    if (ip !== undefined) {
      const host = new IpHost(nic, ip);
      this.ipHosts.set(name, host);
      this.registerCrashable(name, host, nic.id);
    }
    return nic;
  }

  /** The IP stack of a host created with `ip` options. */
  ipHost(name: string): IpHost {
    const host = this.ipHosts.get(name);
    if (host === undefined) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        this.hosts.has(name)
          ? `host "${name}" has no IP stack (create it with ip options)`
          : `there is no host named "${name}"`,
        { path: name },
      );
    }
    return host;
  }

  addSwitch(name: string, options: EthernetSwitchOptions): EthernetSwitch {
    const sw = new EthernetSwitch(this.sim, name, options);
    this.switches.set(name, sw);
    this.registerCrashable(name, sw, sw.id);
    return sw;
  }

  /** An IPv4 router: one port per interface, in order (see src/stacks/ip/router.ts). */
  addRouter(name: string, options: RouterOptions): Router {
    const router = new Router(this.sim, name, options);
    this.routers.set(name, router);
    this.registerCrashable(name, router, router.id);
    return router;
  }

  /** The router called `name`; throws naming it when there is none. */
  router(name: string): Router {
    const r = this.routers.get(name);
    if (r === undefined)
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `there is no router named "${name}"`, { path: name });
    return r;
  }

  /** A full-duplex link between two device ports (name defaults to "a-b"). */
  connect(a: Endpoint, b: Endpoint, options: LinkOptions & { name?: string }): PointToPointLink {
    const ea = this.endpoint(a, "a");
    const eb = this.endpoint(b, "b");
    const { name, ...linkOptions } = options;
    const linkName = name ?? `${ea.device.name}:${ea.port}-${eb.device.name}:${eb.port}`;
    // Check both ports before creating anything, so a refused connect leaves no half-link.
    for (const e of [ea, eb]) {
      if (e.port >= e.device.ports.length) {
        throw new NetloomError(
          ErrorCode.INVALID_ARGUMENT,
          `${e.device.name} has no port ${e.port} (ports 0 to ${e.device.ports.length - 1})`,
          { path: linkName },
        );
      }
      const existing = e.device.ports[e.port];
      if (existing !== undefined) {
        throw new NetloomError(
          ErrorCode.INVALID_ARGUMENT,
          `port ${e.port} of ${e.device.name} is already connected to ${existing.channel.name}`,
          { path: linkName },
        );
      }
    }
    const link = new PointToPointLink(this.sim, linkName, linkOptions);
    ea.device.attach(ea.port, link, 0);
    eb.device.attach(eb.port, link, 1);
    this.links.set(linkName, link);
    this.linkEnds.set(linkName, [ea.device.name, eb.device.name]);
    return link;
  }

  /** A shared CSMA/CD segment (hub or coax bus); stations join it with joinSegment(). */
  addSegment(name: string, options: CsmaSegmentOptions): CsmaSegment {
    const segment = new CsmaSegment(this.sim, name, options);
    this.segments.set(name, segment);
    return segment;
  }

  /** Attaches a device port to the next free station of a segment; returns the station number. */
  joinSegment(device: Endpoint, segment: string | CsmaSegment): number {
    const e = this.endpoint(device, "device");
    const seg = typeof segment === "string" ? this.segments.get(segment) : segment;
    if (seg === undefined) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `there is no segment named "${String(segment)}"`, {
        path: "segment",
      });
    }
    const used = this.stationsUsed.get(seg) ?? 0;
    if (used >= seg.stations) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `segment ${seg.name} has no free station (it has ${seg.stations})`,
        {
          path: e.device.name,
        },
      );
    }
    e.device.attach(e.port, seg, used);
    this.stationsUsed.set(seg, used + 1);
    return used;
  }

  /** A constant-bit-rate frame source on a host. */
  addCbrSource(host: string | EthernetNic, options: FrameSourceOptions): CbrSource {
    const source = new CbrSource(this.host(host), options);
    this.sources.set(source.name, source);
    return source;
  }

  /** A Poisson frame source on a host. */
  addPoissonSource(host: string | EthernetNic, options: FrameSourceOptions): PoissonSource {
    const source = new PoissonSource(this.host(host), options);
    this.sources.set(source.name, source);
    return source;
  }

  /**
   * Runs until virtual time `until` (ns or "1s"), events at that instant included. With
   * maxEvents, at most that many events: call again until done(until) to finish, in as many
   * slices as it takes (the trajectory is the same as one call's).
   */
  run(until: number | string, options: { maxEvents?: number } = {}): RunResult {
    const t = typeof until === "string" ? parseDuration(until, "until") : until;
    if (!Number.isSafeInteger(t) || t < this.sim.now) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(until)} is not a time at or after now (${this.sim.now} ns)`,
        {
          path: "until",
        },
      );
    }
    const max = options.maxEvents ?? Infinity;
    return this.timed(() => this.sim.scheduler.runUntil(t, max));
  }

  /** Whether a run to `until` (ns) is over: no event at or before it is left. */
  done(until: number): boolean {
    return this.sim.scheduler.done(until);
  }

  /**
   * Runs until no event is left. Sources with neither stop nor count, and routers running
   * distance-vector routing (periodic updates), never go idle: run to a time instead.
   */
  runToIdle(): RunResult {
    return this.timed(() => this.sim.scheduler.runToIdle());
  }

  /** The device (host NIC, switch or router) called `name`; throws naming it when there is none. */
  device(name: string): Device {
    const d = this.hosts.get(name) ?? this.switches.get(name) ?? this.routers.get(name);
    if (d === undefined)
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `there is no device named "${name}"`, { path: name });
    return d;
  }

  link(name: string): PointToPointLink {
    const l = this.links.get(name);
    if (l === undefined)
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `there is no link named "${name}"`, { path: name });
    return l;
  }

  stats(): NetworkStats {
    const sched = this.sim.scheduler;
    const frames = this.sim.frames.stats();
    return {
      simTimeNs: sched.now,
      events: sched.dispatched,
      fingerprint: sched.fingerprint.toString(),
      hosts: [...this.hosts].map(([name, nic]) => {
        const ip = this.ipHosts.get(name);
        if (ip === undefined) return { name, ...nic.stats() };
        return ip.hasStorage
          ? { name, ...nic.stats(), ip: ip.stats(), storage: ip.storage.stats() }
          : { name, ...nic.stats(), ip: ip.stats() };
      }),
      switches: [...this.switches].map(([name, sw]) => ({ name, ...sw.stats() })),
      routers: [...this.routers.values()].map((r) => r.stats()),
      links: [...this.links].map(([name, link]) => ({ name, directions: [link.stats(0), link.stats(1)] })),
      segments: [...this.segments].map(([name, seg]) => ({ name, ...seg.stats() })),
      sources: [...this.sources].map(([name, s]) => ({ name, ...s.stats() })),
      frames: {
        capacity: frames.capacity,
        inUse: frames.inUse,
        highWater: frames.highWater,
        allocFailures: frames.allocFailures,
      },
      failures: this.failureStats(),
      partitions: this.partitionList.map((p) => ({ ...p, groups: p.groups.map((g) => [...g]), links: [...p.links] })),
    };
  }

  // --- failures ---

  /**
   * Lets `target` crash under the name `name` (what crash() and failRandomly() accept);
   * `deviceId` is the device whose partition runs it. IP hosts, switches and routers are
   * registered by addHost, addSwitch and addRouter; a scenario's ATM devices by its build.
   */
  registerCrashable(name: string, target: Crashable, deviceId: number): void {
    this.crashables.set(name, { target, deviceId });
  }

  /** Device `name` crashes at `at` (ns or "2s") and, given `restartAt`, boots again then. */
  crash(name: string, at: number | string, restartAt?: number | string): void {
    const atNs = this.time(at, `${name}.at`);
    const restartNs = restartAt === undefined ? undefined : this.time(restartAt, `${name}.restartAt`);
    if (restartNs !== undefined && restartNs <= atNs) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${name} restarts at ${restartNs} ns, not after its crash at ${atNs} ns`,
        { path: `${name}.restartAt` },
      );
    }
    const agent = this.failureAgent(name);
    agent.crashAt(atNs);
    if (restartNs !== undefined) agent.restartAt(restartNs);
  }

  /** Device `name` crashes and restarts at random: exponential up times (mean mtbf) and down times (mean mttr). */
  failRandomly(name: string, options: { mtbf: number | string; mttr: number | string; until?: number | string }): void {
    const random: RandomFailures = {
      mtbfNs: this.time(options.mtbf, `${name}.mtbf`),
      mttrNs: this.time(options.mttr, `${name}.mttr`),
      ...(options.until !== undefined ? { untilNs: this.time(options.until, `${name}.until`) } : {}),
    };
    this.failureAgent(name).randomly(random);
  }

  /**
   * A partition called `name`: from `at` until `healAt` (never, without it) every link between a
   * device of one group and a device of another is down. Devices in no group are cut from none.
   */
  partition(name: string, groups: string[][], at: number | string, healAt?: number | string): NetworkPartition {
    const atNs = this.time(at, `${name}.at`);
    const healNs = healAt === undefined ? undefined : this.time(healAt, `${name}.healAt`);
    if (healNs !== undefined && healNs <= atNs) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${name} heals at ${healNs} ns, not after it starts at ${atNs} ns`,
        {
          path: `${name}.healAt`,
        },
      );
    }
    const groupOf = new Map<string, number>();
    groups.forEach((g, i) =>
      g.forEach((device, j) => {
        this.device(device);
        if (groupOf.has(device)) {
          throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${device} is in more than one group of ${name}`, {
            path: `${name}.groups[${i}][${j}]`,
          });
        }
        groupOf.set(device, i);
      }),
    );
    const cut: string[] = [];
    for (const [linkName, [a, b]] of this.linkEnds) {
      const ga = groupOf.get(a);
      const gb = groupOf.get(b);
      if (ga === undefined || gb === undefined || ga === gb) continue;
      cut.push(linkName);
      const link = this.links.get(linkName)!;
      link.setDown(atNs);
      if (healNs !== undefined) link.setUp(healNs);
    }
    if (cut.length === 0) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${name} cuts no link: no link joins two of its groups`, {
        path: `${name}.groups`,
      });
    }
    const p: NetworkPartition = { name, groups: groups.map((g) => [...g]), atNs, healAtNs: healNs, links: cut };
    this.partitionList.push(p);
    return p;
  }

  /** Crash and restart counts of every device given failures. */
  failureStats(): FailureStats[] {
    return [...this.failureAgents.values()].map((a) => a.stats());
  }

  private failureAgent(name: string): FailureAgent {
    let agent = this.failureAgents.get(name);
    if (agent !== undefined) return agent;
    const c = this.crashables.get(name);
    if (c === undefined) {
      const why = this.hosts.has(name)
        ? `host "${name}" has no IP stack: only IP hosts, routers and switches can crash`
        : this.links.has(name)
          ? `"${name}" is a link: links fail by their schedule or a partition`
          : `there is no device named "${name}" that can crash`;
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, why, { path: name });
    }
    agent = new FailureAgent(this.sim, name, c.target, c.deviceId);
    this.failureAgents.set(name, agent);
    return agent;
  }

  private time(t: number | string, path: string): number {
    const ns = typeof t === "string" ? parseDuration(t, path) : t;
    if (!Number.isSafeInteger(ns) || ns < this.sim.now) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(t)} is not a time from now (${this.sim.now} ns) on`,
        {
          path,
        },
      );
    }
    return ns;
  }

  /** Calls `listener` for every frame dropped anywhere; returns the function that stops it. */
  onDrop(listener: (drop: DropEvent) => void): () => void {
    const unsubscribers: (() => void)[] = [];
    for (const { where, port, points } of this.tracePoints()) {
      for (const point of [points.macTxDrop, points.phyRxDrop]) {
        unsubscribers.push(
          point.subscribe((time, _frame, length, reason) =>
            listener({ time, where, port, reason: dropReasonName(reason), length }),
          ),
        );
      }
    }
    return () => unsubscribers.forEach((u) => u());
  }

  /** Every drop trace point of the network (each device port, link direction and segment station). */
  dropPoints(): TracePoint[] {
    return this.tracePoints().flatMap(({ points }) => [points.macTxDrop, points.phyRxDrop]);
  }

  /**
   * Every set of trace points: each port of each host, switch and router ("h0", port 0), each
   * link direction ("name:0->1") and each segment station and medium. `device` is the name a
   * filter would use (the device, link or segment).
   */
  tracePoints(): { where: string; device: string; port: number; points: TracePoints }[] {
    const out: { where: string; device: string; port: number; points: TracePoints }[] = [];
    for (const d of [...this.hosts.values(), ...this.switches.values(), ...this.routers.values()])
      d.trace.forEach((points, port) => out.push({ where: d.name, device: d.name, port, points }));
    for (const [name, link] of this.links) {
      out.push({ where: `${name}:0->1`, device: name, port: 0, points: link.trace[0] });
      out.push({ where: `${name}:1->0`, device: name, port: 0, points: link.trace[1] });
    }
    for (const [name, seg] of this.segments) {
      seg.trace.forEach((points, station) =>
        out.push({ where: `${name}:station${station}`, device: name, port: station, points }),
      );
      out.push({ where: `${name}:medium`, device: name, port: 0, points: seg.medium });
    }
    return out;
  }

  /** Calls `listener` after every crash and restart of a device given failures; returns the unsubscriber. */
  onFailure(listener: (device: string, event: "crash" | "restart", time: number) => void): () => void {
    let on = true;
    for (const [name, agent] of this.failureAgents) agent.onChange((event, time) => on && listener(name, event, time));
    return () => {
      on = false;
    };
  }

  /**
   * Runs `fn` first when the network is destroyed or disposed (before hosts and devices go):
   * for what an embedder built on top of the hosts, e.g. transport layers that hold frames,
   * timers or buffers in the shared memory. Hooks run in the order they were added.
   */
  onDispose(fn: () => void): void {
    this.disposers.push(fn);
  }

  /** Stops sources, frees device tables, and checks that every frame slot came back. */
  destroy(): void {
    this.teardown(false);
  }

  /**
   * Frees everything the network holds in the shared memory whatever is still in flight (a
   * run that ended at its duration with frames queued or propagating). The network cannot
   * run afterwards. Use destroy() in tests: it also proves that no frame leaked.
   */
  dispose(): void {
    this.teardown(true);
  }

  private teardown(force: boolean): void {
    if (this.destroyed) return;
    for (const fn of this.disposers.splice(0)) fn();
    for (const s of this.sources.values()) s.destroy();
    for (const ip of this.ipHosts.values()) ip.destroy();
    for (const sw of this.switches.values()) sw.destroy();
    for (const r of this.routers.values()) r.destroy();
    for (const nic of this.hosts.values()) nic.destroy();
    this.destroyed = true;
    this.sim.destroy(force);
  }

  private timed(run: () => number): RunResult {
    const start = performance.now();
    const events = run();
    const sched = this.sim.scheduler;
    return {
      simTimeNs: sched.now,
      events,
      totalEvents: sched.dispatched,
      wallTimeMs: performance.now() - start,
      fingerprint: sched.fingerprint.toString(),
    };
  }

  private host(ref: string | EthernetNic): EthernetNic {
    if (typeof ref !== "string") return ref;
    const nic = this.hosts.get(ref);
    if (nic === undefined)
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `there is no host named "${ref}"`, { path: ref });
    return nic;
  }

  private endpoint(e: Endpoint, which: string): { device: Device; port: number } {
    if (typeof e === "string") {
      const m = /^(.*?)(?::(\d+))?$/.exec(e)!;
      return { device: this.device(m[1]!), port: m[2] === undefined ? 0 : Number(m[2]) };
    }
    if ("handleEvent" in e) return { device: e, port: 0 };
    const device = typeof e.device === "string" ? this.device(e.device) : e.device;
    if (!Number.isInteger(e.port) || e.port < 0) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(e.port)} is not a port number`, {
        path: `${which}.port`,
      });
    }
    return { device, port: e.port };
  }
}
