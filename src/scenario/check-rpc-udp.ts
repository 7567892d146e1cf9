// The `rpc-udp` entries of a scenario's `workloads`: RPC over UDP between client and server
// hosts, with the failure semantics, binding and timers the workload takes (traffic/rpc-udp-spec.ts).
//
// Contract:
// - clients: distinct IP hosts; `server` (one) or `servers` (primary first, then backups), not
//   both; `nameService`: an IP host. Every value is checked where it is written and refused with
//   its path; every key accepted acts (arrivals only with interval, and so on).
// - Sizes must fit the protocol: at most 8,192 fragments a message at the fragment size the
//   MTUs of the hosts allow (or fragmentSize, which must fit them).
// - Ports: the servers' port and the name service's are claimed (check-workloads.ts refuses a
//   port taken by traffic or another workload; a name service on one host and port is shared
//   by the workloads that name both).

import { RPC_UDP_HEADER_LEN, RPC_UDP_MAX_FRAGMENTS } from "../wire/rpc-udp.js";
import { RPC_SEMANTICS, WORKLOAD_OPERATIONS, type WorkloadOperation } from "../stacks/rpc-udp/rpc-udp-types.js";
import type { RpcUdpWorkload } from "../traffic/rpc-udp-spec.js";
import type { Obj } from "./checks.js";
import type { PortClaim } from "./port-claims.js";
import { checkStartStop, ipHostNamed, type TrafficScope } from "./traffic-scope.js";
import { show } from "./wording.js";

export const RPC_UDP_KEYS = [
  "name",
  "type",
  "clients",
  "server",
  "servers",
  "nameService",
  "nameServicePort",
  "port",
  "semantics",
  "operation",
  "count",
  "interval",
  "arrivals",
  "start",
  "stop",
  "argumentSize",
  "resultSize",
  "amount",
  "initialValue",
  "executionTime",
  "timeout",
  "retries",
  "ackDelay",
  "nakDelay",
  "fragmentSize",
  "duplicateTable",
  "maxExecuting",
  "queueLimit",
  "rebindDelay",
  "exterminateOrphans",
] as const;

export const RPC_UDP_DEFAULTS = {
  port: 7200,
  nameServicePort: 7201,
  semantics: "at-most-once",
  operation: "increment",
  argumentBytes: 64,
  resultBytes: 64,
  executionNs: 1_000_000,
  retransmitNs: 100_000_000,
  retries: 5,
  ackDelayNs: 20_000_000,
  nakDelayNs: 5_000_000,
  duplicateTable: 1024,
  maxExecuting: 64,
  queueLimit: 64,
} as const;

/** IPv4 and UDP headers before ours: what an MTU leaves a fragment. */
const IP_UDP = 28;

/** A list of distinct IP host names. */
function hostList(s: TrafficScope, v: unknown, p: string): string[] | undefined {
  const list = s.c.list(v, p);
  if (list === undefined) return undefined;
  if (list.length === 0) return s.c.error(p, "needs at least one host");
  const out: string[] = [];
  let bad = false;
  list.forEach((x, i) => {
    const name = s.c.str(x, `${p}[${i}]`);
    const host = name === undefined ? undefined : ipHostNamed(s, name, `${p}[${i}]`, "rpc-udp");
    if (host === undefined) bad = true;
    else if (out.includes(host)) {
      bad = true;
      s.c.error(`${p}[${i}]`, `${host} is listed twice`);
    } else out.push(host);
  });
  return bad ? undefined : out;
}

function servers(s: TrafficScope, o: Obj, p: string): string[] | undefined {
  if (o["server"] !== undefined && o["servers"] !== undefined)
    return s.c.error(`${p}.servers`, 'give "server" (one) or "servers" (a list), not both');
  if (o["server"] !== undefined) {
    const name = s.c.str(o["server"], `${p}.server`);
    const host = name === undefined ? undefined : ipHostNamed(s, name, `${p}.server`, "rpc-udp");
    return host === undefined ? undefined : [host];
  }
  if (o["servers"] === undefined) return s.c.error(p, 'missing required key "server" (or "servers")');
  return hostList(s, o["servers"], `${p}.servers`);
}

function positiveDur(s: TrafficScope, v: unknown, p: string, dflt: number | undefined): number | undefined {
  const ns = s.c.dur(v, p, dflt);
  if (ns !== undefined && ns <= 0) return s.c.error(p, `${show(v)} must be longer than 0`);
  return ns;
}

/** Largest message at `fragment` bytes a fragment. */
const maxMessage = (fragment: number): number => fragment * RPC_UDP_MAX_FRAGMENTS;

export function checkRpcUdpWorkload(
  s: TrafficScope,
  raw: Obj,
  p: string,
  index: number,
): { workload: RpcUdpWorkload; ports: PortClaim[] } | undefined {
  const w = checkEntry(s, raw, p, index);
  if (w === undefined) return undefined;
  const ports: PortClaim[] = w.servers.map((h) => ({ key: `udp:${h}:${w.port}`, path: `${p}.port` }));
  if (w.nameService !== undefined) {
    const key = `udp:${w.nameService}:${w.nameServicePort}`;
    ports.push({ key, path: `${p}.nameServicePort`, share: "rpc-udp name service" });
  }
  return { workload: w, ports };
}

function checkEntry(s: TrafficScope, raw: Obj, p: string, index: number): RpcUdpWorkload | undefined {
  const c = s.c;
  const o = c.mapping(raw, p, RPC_UDP_KEYS, ["type", "clients"]);
  if (o === undefined) return undefined;
  const name = o["name"] === undefined ? `workload${index}` : c.name(o["name"], `${p}.name`);
  const clients = o["clients"] === undefined ? undefined : hostList(s, o["clients"], `${p}.clients`);
  const serverList = servers(s, o, p);
  const nsRaw = o["nameService"] === undefined ? undefined : c.str(o["nameService"], `${p}.nameService`);
  const nameService = nsRaw === undefined ? undefined : ipHostNamed(s, nsRaw, `${p}.nameService`, "rpc-udp");
  const D = RPC_UDP_DEFAULTS;
  const port = c.int(o["port"], `${p}.port`, 1, 65535, D.port);
  const nameServicePort = c.int(o["nameServicePort"], `${p}.nameServicePort`, 1, 65535, D.nameServicePort);
  if (o["nameServicePort"] !== undefined && o["nameService"] === undefined)
    c.error(`${p}.nameServicePort`, 'applies only with "nameService"');
  if (nameService !== undefined && serverList?.includes(nameService) && nameServicePort === port)
    c.error(`${p}.nameServicePort`, `${nameService} serves on port ${port} already: give the name service another`);
  const semantics = c.oneOf(o["semantics"], `${p}.semantics`, RPC_SEMANTICS, D.semantics);
  const ops = Object.keys(WORKLOAD_OPERATIONS) as WorkloadOperation[];
  const operation = c.oneOf(o["operation"], `${p}.operation`, ops, D.operation);
  const count = c.int(o["count"], `${p}.count`, 1, 1 << 30);
  const intervalNs = o["interval"] === undefined ? undefined : positiveDur(s, o["interval"], `${p}.interval`, 0);
  const arrivals = c.oneOf(o["arrivals"], `${p}.arrivals`, ["fixed", "poisson"] as const, "fixed");
  if (o["arrivals"] !== undefined && o["interval"] === undefined)
    c.error(`${p}.arrivals`, 'applies only with "interval" (without it each call follows the last one)');
  // Workloads keep the file's duration as their default stop (unlike traffic, which runs to
  // the end of the run as given).
  const { startNs, stopNs: givenStop, stopBad } = checkStartStop(s, o, p);
  const stopNs = stopBad ? undefined : (givenStop ?? s.durationNs);
  const timing = checkTiming(s, o, p);
  const sizes = checkSizes(s, o, p, [...(clients ?? []), ...(serverList ?? [])]);
  const amount = c.int(o["amount"], `${p}.amount`, 1, 0xffff_ffff, 1);
  const initialValue = c.int(o["initialValue"], `${p}.initialValue`, 0, Number.MAX_SAFE_INTEGER, 0);
  const duplicateTable = c.int(o["duplicateTable"], `${p}.duplicateTable`, 1, 1 << 20, D.duplicateTable);
  const maxExecuting = c.int(o["maxExecuting"], `${p}.maxExecuting`, 1, 1 << 16, D.maxExecuting);
  const queueLimit = c.int(o["queueLimit"], `${p}.queueLimit`, 1, 1 << 16, D.queueLimit);
  const exterminateOrphans = c.bool(o["exterminateOrphans"], `${p}.exterminateOrphans`) ?? true;
  const values = [name, clients, serverList, port, nameServicePort, semantics, operation, startNs, stopNs];
  const more = [timing, sizes, amount, initialValue, duplicateTable, maxExecuting, queueLimit, arrivals];
  if ([...values, ...more].includes(undefined)) return undefined;
  if (o["nameService"] !== undefined && nameService === undefined) return undefined;
  if (o["count"] !== undefined && count === undefined) return undefined;
  if (o["interval"] !== undefined && intervalNs === undefined) return undefined;
  return {
    name: name!,
    type: "rpc-udp",
    index,
    clients: clients!,
    servers: serverList!,
    nameService,
    nameServicePort: nameServicePort!,
    port: port!,
    semantics: semantics!,
    operation: operation!,
    count,
    intervalNs,
    arrivals: arrivals!,
    startNs: startNs!,
    stopNs: stopNs!,
    ...sizes!,
    amount: amount!,
    initialValue: initialValue!,
    ...timing!,
    duplicateTable: duplicateTable!,
    maxExecuting: maxExecuting!,
    queueLimit: queueLimit!,
    exterminateOrphans,
  };
}

type Timing = Pick<
  RpcUdpWorkload,
  "executionNs" | "retransmitNs" | "retries" | "ackDelayNs" | "nakDelayNs" | "rebindDelayNs"
>;

function checkTiming(s: TrafficScope, o: Obj, p: string): Timing | undefined {
  const c = s.c;
  const D = RPC_UDP_DEFAULTS;
  const executionNs = c.dur(o["executionTime"], `${p}.executionTime`, D.executionNs);
  const retransmitNs = positiveDur(s, o["timeout"], `${p}.timeout`, D.retransmitNs);
  const retries = c.int(o["retries"], `${p}.retries`, 0, 1000, D.retries);
  const ackDelayNs = c.dur(o["ackDelay"], `${p}.ackDelay`, D.ackDelayNs);
  const nakDelayNs = positiveDur(s, o["nakDelay"], `${p}.nakDelay`, D.nakDelayNs);
  const rebindDelayNs = positiveDur(s, o["rebindDelay"], `${p}.rebindDelay`, retransmitNs ?? D.retransmitNs);
  const all = [executionNs, retransmitNs, retries, ackDelayNs, nakDelayNs, rebindDelayNs];
  if (all.includes(undefined)) return undefined;
  return {
    executionNs: executionNs!,
    retransmitNs: retransmitNs!,
    retries: retries!,
    ackDelayNs: ackDelayNs!,
    nakDelayNs: nakDelayNs!,
    rebindDelayNs: rebindDelayNs!,
  };
}

type Sizes = Pick<RpcUdpWorkload, "argumentBytes" | "resultBytes" | "fragmentBytes">;

/** Sizes that the fragment count can carry at the fragment size every host's MTU allows. */
function checkSizes(s: TrafficScope, o: Obj, p: string, hosts: string[]): Sizes | undefined {
  const c = s.c;
  const fit = Math.min(...hosts.map((h) => s.mtuOf(h) - IP_UDP - RPC_UDP_HEADER_LEN), 65_535);
  let fragmentBytes = 0;
  if (o["fragmentSize"] !== undefined) {
    const f = c.bytes(o["fragmentSize"], `${p}.fragmentSize`, 1, 65_535);
    if (f === undefined) return undefined;
    if (hosts.length > 0 && f > fit)
      return c.error(
        `${p}.fragmentSize`,
        `${show(o["fragmentSize"])} does not fit the hosts' MTU: at most ${fit} bytes`,
      );
    fragmentBytes = f;
  }
  const limit = maxMessage(fragmentBytes > 0 ? fragmentBytes : Math.max(1, fit));
  const argumentBytes = c.bytes(o["argumentSize"], `${p}.argumentSize`, 8, limit, RPC_UDP_DEFAULTS.argumentBytes);
  const resultBytes = c.bytes(o["resultSize"], `${p}.resultSize`, 8, limit, RPC_UDP_DEFAULTS.resultBytes);
  if (argumentBytes === undefined || resultBytes === undefined) return undefined;
  return { argumentBytes, resultBytes, fragmentBytes };
}
