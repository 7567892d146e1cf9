// The normalised scenario: what loadScenario returns and the runner builds. Times are integer
// ns (`...Ns`), bit rates bit/s (`...Bps`), sizes integer bytes; every default is filled in
// (SCENARIO_DEFAULTS, scenario-defaults.ts); lists keep declaration order. Traffic entry types
// live beside their users (src/traffic/traffic-spec.ts) and are re-exported here.

import type { CaptureLimit } from "../base/units.js";
import type { CpuProfile } from "../stacks/cost.js";
import type { StackConfiguration } from "../stacks/message-stack.js";
import type { MessageScenarioTraffic, ScenarioTraffic } from "../traffic/traffic-spec.js";
import type { PrimaryBackupSpec } from "../traffic/primary-backup-workload.js";
import type { StreamBreaksSpec } from "../traffic/stream-breaks.js";
import type { TwoPhaseCommitSpec } from "../traffic/commit-spec.js";
import type { AtmScenario } from "./atm-types.js";
import type { RpcUdpWorkload } from "../traffic/rpc-udp-spec.js";

export type ParameterValue = number | string | boolean;

/** An interface address with its prefix, as strings (src/wire/ipv4.ts's Ipv4Prefix holds numbers). */
export interface ScenarioAddress {
  /** Dotted quad as written, e.g. "10.0.1.1". */
  address: string;
  prefixLength: number;
  /** The network address, e.g. "10.0.1.0". */
  network: string;
}

export interface HostStackOptions {
  /** TTL of sent datagrams (default 64). */
  ttl: number;
  /** ARP cache entry lifetime, ns (default 60 s). */
  arpTimeoutNs: number;
  /** Packets held per unresolved address (default 16). */
  arpQueueLimit: number;
  /** Reassembly timeout, ns (default 30 s). */
  reassemblyTimeoutNs: number;
  /** Bytes held by all partial datagrams together (default 256 KiB). */
  reassemblyLimit: number;
  /** Largest UDP payload sent or accepted, bytes (default 65507). */
  maxDatagramSize: number;
  /** Datagrams queued per UDP port before drops (default 1024). */
  mailboxLimit: number;
}

/** A host's disk (its stable storage), times in ns, rate in bit/s. */
export interface ScenarioStorage {
  /** The profile the values come from: "disk-1995" or "nvme-2025". */
  disk: string;
  writeNs: number;
  syncNs: number;
  bandwidthBps: number;
  maxRecords: number;
  maxBytes: number;
}

/** One entry of the `workloads` section (check-workloads.ts). */
export type ScenarioWorkload = PrimaryBackupSpec | StreamBreaksSpec | RpcUdpWorkload | TwoPhaseCommitSpec;

/** One entry of the `failures` section. */
export type ScenarioFailure =
  | { kind: "crash"; device: string; atNs: number; restartAtNs: number | undefined }
  | { kind: "random"; device: string; mtbfNs: number; mttrNs: number; untilNs: number | undefined }
  | { kind: "partition"; name: string; groups: string[][]; atNs: number; healAtNs: number | undefined };

export interface ScenarioHost {
  name: string;
  /** "02:00:00:00:00:01" form, lower case. */
  mac: string;
  ip: ScenarioAddress;
  /** Default gateway, or undefined (on-link destinations only). */
  gateway: string | undefined;
  /** The interface MTU: as written, else the attached link's, else 1500. */
  mtu: number;
  rxBuffers: number;
  /** Multicast groups joined at start. */
  multicast: string[];
  stack: HostStackOptions;
  /** The host's disk; undefined: none unless a workload needs one (then the nvme-2025 defaults). */
  storage: ScenarioStorage | undefined;
}

/** What a `hostStack` host runs on its NIC (src/compare/stack-factory.ts builds it). */
export interface ScenarioHostStack {
  configuration: StackConfiguration;
  /** Layer names top to bottom (socket, layered, fbufs, accelerated); [] for unet and active-messages. */
  layers: string[];
  /** The profile as written: a bundled name, or the file path as given. */
  profileName: string;
  /** The validated profile its HostCpu charges by. */
  profile: CpuProfile;
}

/** A host that runs a host stack configuration on its NIC instead of an IP stack. */
export interface ScenarioStackHost {
  name: string;
  mac: string;
  /** The NIC's MTU: as written, else the attached link's, else 1500. */
  mtu: number;
  rxBuffers: number;
  hostStack: ScenarioHostStack;
}

export interface ScenarioSwitch {
  name: string;
  ports: number;
  agingTimeNs: number;
  forwardingDelayNs: number;
  fdbCapacity: number;
}

export interface ScenarioRouterInterface {
  name: string;
  /** Position in the router's interface list: the device port number. */
  port: number;
  mac: string;
  ip: ScenarioAddress;
  mtu: number;
}

export interface ScenarioRoute {
  /** Network address of the prefix, e.g. "10.0.3.0". */
  prefix: string;
  prefixLength: number;
  /** Next hop; undefined for a directly attached prefix. */
  via: string | undefined;
  /** Outgoing interface name; undefined means chosen by `via`'s subnet. */
  interface: string | undefined;
}

export type ScenarioRouting =
  | { protocol: "static" }
  | { protocol: "distance-vector"; periodNs: number; timeoutNs: number };

export interface ScenarioRouter {
  name: string;
  interfaces: ScenarioRouterInterface[];
  routes: ScenarioRoute[];
  routing: ScenarioRouting;
}

export type DeviceKind = "host" | "switch" | "router";

export interface ScenarioEndpoint {
  device: string;
  kind: DeviceKind;
  /** Device port: 0 for hosts, the switch port, the router interface's index. */
  port: number;
  /** The router interface name (routers only). */
  interface: string | undefined;
}

export interface ScenarioSegment {
  name: string;
  rateBps: number;
  propagationDelayNs: number;
  queueLimit: number;
  maxFrame: number;
  attemptLimit: number;
  backoffLimit: number;
  /** Attached ports, station 0 first. */
  stations: ScenarioEndpoint[];
}

export interface ScenarioFaults {
  loss: number;
  burstLoss: { p: number; r: number; lossInBad: number; lossInGood: number } | undefined;
  ber: number;
  duplicate: number;
  reorder: { probability: number; delayNs: number } | undefined;
}

export interface ScenarioLink {
  /** As written, else "dev:port-dev:port" (the Network API's default). */
  name: string;
  a: ScenarioEndpoint;
  b: ScenarioEndpoint;
  rateBps: number;
  delayNs: number;
  mtu: number;
  queueLimit: number;
  queueLimitBytes: number | undefined;
  overheadBytes: number;
  faults: ScenarioFaults;
  /** Sorted by time as written (out-of-order entries are an error). */
  schedule: { atNs: number; state: "down" | "up" }[];
}

export type {
  TrafficDestination,
  CbrTraffic,
  PoissonTraffic,
  OnOffTraffic,
  BulkTraffic,
  RequestResponseTraffic,
  UdpScenarioTraffic,
  ScenarioTcpOptions,
  ScenarioNakOptions,
  TcpBulkTraffic,
  NakBulkTraffic,
  RpcTraffic,
  TransportScenarioTraffic,
  ScenarioTraffic,
  PingPongTraffic,
  MessageStreamTraffic,
  MessageScenarioTraffic,
  UdpTrafficType,
} from "../traffic/traffic-spec.js";

export type { RpcUdpWorkload } from "../traffic/rpc-udp-spec.js";

export interface ScenarioOutputs {
  /** Paths as written (a runner resolves relative ones against Scenario.baseDir). */
  json: string | undefined;
  csv: string | undefined;
  pcap:
    | {
        dir: string;
        ports: "all" | ScenarioEndpoint[];
        /** Most bytes kept per record (undefined: whole frames). */
        snaplen: number | undefined;
        /** Most each file holds (undefined: no limit). */
        limit: CaptureLimit | undefined;
      }
    | undefined;
  report: string | undefined;
}

export interface ScenarioParameterRef {
  /** Where the reference is, e.g. "traffic[0].size". */
  path: string;
  /** Parameters it names, in order of appearance. */
  names: string[];
}

export interface Scenario {
  name: string;
  seed: number;
  durationNs: number;
  /** IP hosts, in declaration order. */
  hosts: ScenarioHost[];
  /** Hosts with a `hostStack`, in declaration order (the file lists both kinds under `hosts`). */
  stackHosts: ScenarioStackHost[];
  switches: ScenarioSwitch[];
  routers: ScenarioRouter[];
  segments: ScenarioSegment[];
  links: ScenarioLink[];
  traffic: ScenarioTraffic[];
  /** ping-pong and message-stream entries of `traffic`, in declaration order. */
  messageTraffic: MessageScenarioTraffic[];
  outputs: ScenarioOutputs;
  /** ATM switches, hosts, router interfaces, links, PVCs and AAL5 traffic (src/scenario/scenario-atm.ts). */
  atm: AtmScenario | undefined;
  /** Manual partitions (device names), or undefined for automatic partitioning. */
  partitions: string[][] | undefined;
  /** Crashes, restarts, random failures and network partitions, in declaration order. */
  failures: ScenarioFailure[];
  /** Services, stream sets and RPC workloads that run for the whole run, in declaration order. */
  workloads: ScenarioWorkload[];
  /** Sweep ranges in declaration order; {} when there are none. */
  parameters: Record<string, ParameterValue[]>;
  /** Every "${name}" reference in the document (this Scenario has the first values). */
  parameterRefs: ScenarioParameterRef[];
  /** File the scenario came from, if any, and its directory (outputs are relative to it). */
  source: string | undefined;
  baseDir: string | undefined;
}
