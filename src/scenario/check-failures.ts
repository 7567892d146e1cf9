// The `failures` of a scenario (crashes and restarts at fixed times, random failures from an
// MTBF/MTTR pair, named network partitions with heals) and the `storage` of a host (its disk).
//
// Contract:
// - A crash names a device that can crash: an IP host (on Ethernet, a CSMA/CD segment or ATM),
//   a switch, a router, an ATM switch or an ATM host (CRASHABLE_KINDS), an `at` inside the run
//   and an optional `restartAt` after it. Refused with the reason: hostStack hosts, an ATM host
//   that already fails by its failAt, segments, links, traffic. One device's crash intervals may not overlap, a crash with no
//   restart must be its last, and a device fails either at given times or at random, not both.
// - A partition has a unique name, at least two groups of existing devices (each in one group
//   only), and must cut at least one link (a link from a device of one group to a device of
//   another); `healAt` after `at`.
// - Times are in the scenario's units and must fall inside the run (before `duration`).

import { DISK_PROFILES, STABLE_LOG_MAX_BYTES, STABLE_LOG_MAX_RECORDS } from "../devices/stable-storage.js";
import type { Namespace } from "./check-names.js";
import type { Checker } from "./checks.js";
import type { AtmScenario } from "./atm-types.js";
import type { ScenarioFailure, ScenarioLink, ScenarioStorage } from "./scenario-types.js";

export const STORAGE_KEYS = ["disk", "writeLatency", "syncLatency", "bandwidth", "maxRecords", "maxBytes"] as const;
export const CRASH_KEYS = ["device", "at", "restartAt"] as const;
export const RANDOM_FAILURE_KEYS = ["device", "mtbf", "mttr", "until"] as const;
export const PARTITION_FAILURE_KEYS = ["partition", "groups", "at", "healAt"] as const;

/** Kinds of scenario names that can crash (the atm section's switches are not in the namespace: checked apart). */
export const CRASHABLE_KINDS: ReadonlySet<string> = new Set(["host", "switch", "router"]);

const CAN_CRASH = "hosts, switches, routers, ATM switches and ATM hosts";

/** A host's `storage`: a default disk, each value overridable. */
export function checkStorage(c: Checker, v: unknown, path: string): ScenarioStorage | undefined {
  if (v === undefined) return undefined;
  const o = c.mapping(v, path, STORAGE_KEYS);
  if (o === undefined) return undefined;
  const diskName = o["disk"] === undefined ? "nvme-2025" : c.str(o["disk"], `${path}.disk`);
  if (diskName === undefined) return undefined;
  const base = (DISK_PROFILES as Record<string, (typeof DISK_PROFILES)["nvme-2025"]>)[diskName];
  if (base === undefined) {
    return c.error(`${path}.disk`, `unknown disk "${diskName}" (known: ${Object.keys(DISK_PROFILES).join(", ")})`);
  }
  const writeNs = c.dur(o["writeLatency"], `${path}.writeLatency`, base.writeNs);
  const syncNs = c.dur(o["syncLatency"], `${path}.syncLatency`, base.syncNs);
  const bandwidthBps = c.rate(o["bandwidth"], `${path}.bandwidth`, base.bandwidthBps);
  const maxRecords = c.int(o["maxRecords"], `${path}.maxRecords`, 1, STABLE_LOG_MAX_RECORDS, STABLE_LOG_MAX_RECORDS);
  const maxBytes = c.bytes(o["maxBytes"], `${path}.maxBytes`, 1, STABLE_LOG_MAX_BYTES, 64 << 20);
  if (bandwidthBps !== undefined && bandwidthBps <= 0) return c.error(`${path}.bandwidth`, "must be above 0");
  if ([writeNs, syncNs, bandwidthBps, maxRecords, maxBytes].includes(undefined)) return undefined;
  return {
    disk: diskName,
    writeNs: writeNs!,
    syncNs: syncNs!,
    bandwidthBps: bandwidthBps!,
    maxRecords: maxRecords!,
    maxBytes: maxBytes!,
  };
}

export function checkFailures(
  c: Checker,
  raw: unknown,
  names: Namespace,
  links: ScenarioLink[],
  durationNs: number,
  atm: AtmScenario | undefined = undefined,
): ScenarioFailure[] {
  const out: ScenarioFailure[] = [];
  const crashable = (v: unknown, path: string): string | undefined => crashableDevice(c, v, path, names, atm);
  const list = c.list(raw, "failures") ?? [];
  list.forEach((entry, i) => {
    const p = `failures[${i}]`;
    const o = entry as Record<string, unknown>;
    const f =
      typeof o === "object" && o !== null && "partition" in o
        ? checkPartition(c, o, p, names, links, durationNs)
        : typeof o === "object" && o !== null && ("mtbf" in o || "mttr" in o)
          ? checkRandom(c, o, p, crashable, durationNs)
          : checkCrash(c, entry, p, crashable, durationNs);
    if (f !== undefined) out.push(f);
  });
  checkOverlaps(c, out, list.length);
  return out;
}

type DeviceCheck = (v: unknown, path: string) => string | undefined;

function checkCrash(
  c: Checker,
  v: unknown,
  p: string,
  crashable: DeviceCheck,
  durationNs: number,
): ScenarioFailure | undefined {
  const o = c.mapping(
    v,
    p,
    CRASH_KEYS,
    ["device", "at"],
    "a crash (device, at, restartAt), random failures (device, mtbf, mttr) or a partition",
  );
  if (o === undefined) return undefined;
  const device = crashable(o["device"], `${p}.device`);
  const atNs = inRun(c, c.dur(o["at"], `${p}.at`), `${p}.at`, durationNs);
  const restartAtNs = inRun(c, c.dur(o["restartAt"], `${p}.restartAt`), `${p}.restartAt`, durationNs);
  if (atNs !== undefined && restartAtNs !== undefined && restartAtNs <= atNs) {
    return c.error(`${p}.restartAt`, "must be after the crash (at)");
  }
  if (device === undefined || atNs === undefined) return undefined;
  return { kind: "crash", device, atNs, restartAtNs };
}

function checkRandom(
  c: Checker,
  v: Record<string, unknown>,
  p: string,
  crashable: DeviceCheck,
  durationNs: number,
): ScenarioFailure | undefined {
  const o = c.mapping(v, p, RANDOM_FAILURE_KEYS, ["device", "mtbf", "mttr"]);
  if (o === undefined) return undefined;
  const device = crashable(o["device"], `${p}.device`);
  const mtbfNs = positive(c, c.dur(o["mtbf"], `${p}.mtbf`), `${p}.mtbf`);
  const mttrNs = positive(c, c.dur(o["mttr"], `${p}.mttr`), `${p}.mttr`);
  const untilNs = inRun(c, c.dur(o["until"], `${p}.until`), `${p}.until`, durationNs + 1);
  if (device === undefined || mtbfNs === undefined || mttrNs === undefined) return undefined;
  return { kind: "random", device, mtbfNs, mttrNs, untilNs };
}

function checkPartition(
  c: Checker,
  v: Record<string, unknown>,
  p: string,
  names: Namespace,
  links: ScenarioLink[],
  durationNs: number,
): ScenarioFailure | undefined {
  const o = c.mapping(v, p, PARTITION_FAILURE_KEYS, ["partition", "groups", "at"]);
  if (o === undefined) return undefined;
  const name = c.name(o["partition"], `${p}.partition`);
  const atNs = inRun(c, c.dur(o["at"], `${p}.at`), `${p}.at`, durationNs);
  const healAtNs = inRun(c, c.dur(o["healAt"], `${p}.healAt`), `${p}.healAt`, durationNs);
  if (atNs !== undefined && healAtNs !== undefined && healAtNs <= atNs) {
    c.error(`${p}.healAt`, "must be after the partition starts (at)");
  }
  const groups = checkGroups(c, o["groups"], `${p}.groups`, names);
  if (name === undefined || atNs === undefined || groups === undefined) return undefined;
  if (linksCutBy(groups, links).length === 0)
    return c.error(`${p}.groups`, "cuts no link: no link joins a device of one group to one of another");
  return { kind: "partition", name, groups, atNs, healAtNs };
}

/** The links a partition of `groups` takes down: those joining devices of two different groups. */
export function linksCutBy(groups: string[][], links: ScenarioLink[]): ScenarioLink[] {
  const groupOf = new Map<string, number>();
  groups.forEach((g, k) => g.forEach((d) => groupOf.set(d, k)));
  return links.filter((l) => {
    const ga = groupOf.get(l.a.device);
    const gb = groupOf.get(l.b.device);
    return ga !== undefined && gb !== undefined && ga !== gb;
  });
}

/** Names of the links that some partition of `failures` takes down. */
export function linksDownedByFailures(failures: ScenarioFailure[], links: ScenarioLink[]): Set<string> {
  const out = new Set<string>();
  for (const f of failures) if (f.kind === "partition") for (const l of linksCutBy(f.groups, links)) out.add(l.name);
  return out;
}

function checkGroups(c: Checker, v: unknown, path: string, names: Namespace): string[][] | undefined {
  const groups = c.list(v, path);
  if (groups === undefined) return undefined;
  if (groups.length < 2) return c.error(path, "a partition needs at least two groups");
  const seen = new Map<string, string>();
  let ok = true;
  const out = groups.map((g, k) => {
    const members = c.list(g, `${path}[${k}]`) ?? [];
    if (members.length === 0) c.error(`${path}[${k}]`, "a group needs at least one device");
    return members.flatMap((m, j) => {
      const mp = `${path}[${k}][${j}]`;
      const s = c.str(m, mp);
      const e = s === undefined ? undefined : names.get(s);
      if (s === undefined || e === undefined || !["host", "switch", "router"].includes(e.kind)) {
        ok = false;
        if (s !== undefined) c.error(mp, `there is no host, switch or router named "${s}"`);
        return [];
      }
      const prior = seen.get(s);
      if (prior !== undefined) {
        ok = false;
        c.error(mp, `"${s}" is already in ${prior}`);
        return [];
      }
      seen.set(s, `${path}[${k}]`);
      return [s];
    });
  });
  return ok ? out : undefined;
}

function crashableDevice(
  c: Checker,
  v: unknown,
  path: string,
  names: Namespace,
  atm: AtmScenario | undefined,
): string | undefined {
  const s = c.str(v, path);
  if (s === undefined) return undefined;
  if (atm?.switches.some((x) => x.name === s) === true) return s;
  const e = names.get(s);
  if (e === undefined) return c.error(path, `there is no device named "${s}"`);
  const atmHost = e.path.startsWith("atm.hosts[") ? atm?.hosts.find((h) => h.name === s) : undefined;
  if (atmHost?.failAtNs !== undefined) {
    return c.error(
      path,
      `"${s}" already fails for good at its failAt (${e.path}.failAt): give it a failAt or failures, not both`,
    );
  }
  if (e.stackHost === true) {
    // A compared stack (accel, U-Net, Active Messages, layered) keeps its state in structures
    // of its own (endpoints, rings, handler tables) that have no crash semantics.
    return c.error(
      path,
      `"${s}" is a host with a hostStack, which cannot crash: its stack's endpoints and rings have no restart (devices that can: ${CAN_CRASH})`,
    );
  }
  if (!CRASHABLE_KINDS.has(e.kind)) {
    const what =
      e.kind === "traffic"
        ? "a traffic flow"
        : e.kind === "link"
          ? "a link (links fail by their schedule or a partition)"
          : `a ${e.kind}`;
    return c.error(path, `"${s}" is ${what}, which cannot crash (devices that can: ${CAN_CRASH})`);
  }
  return s;
}

/** A device's failures must not overlap: intervals in order, no crash after a permanent one, not both random and fixed. */
function checkOverlaps(c: Checker, failures: ScenarioFailure[], _count: number): void {
  const byDevice = new Map<string, { kind: string; atNs: number; end: number; index: number }[]>();
  failures.forEach((f, index) => {
    if (f.kind === "partition") return;
    const list = byDevice.get(f.device) ?? [];
    byDevice.set(f.device, list);
    if (f.kind === "random") list.push({ kind: "random", atNs: 0, end: Infinity, index });
    else list.push({ kind: "crash", atNs: f.atNs, end: f.restartAtNs ?? Infinity, index });
  });
  const names = new Set<string>();
  failures.forEach((f, i) => {
    if (f.kind !== "partition") return;
    if (names.has(f.name)) c.error(`failures[${i}].partition`, `there is already a partition named "${f.name}"`);
    names.add(f.name);
  });
  for (const [device, list] of byDevice) {
    if (list.length < 2) continue;
    if (list.some((x) => x.kind === "random")) {
      const second = list[1]!;
      c.error(
        `failures[${second.index}].device`,
        `"${device}" already fails at random (failures[${list[0]!.index}]); give it random or fixed failures, not both`,
      );
      continue;
    }
    const sorted = [...list].sort((a, b) => a.atNs - b.atNs);
    for (let k = 1; k < sorted.length; k++) {
      const prev = sorted[k - 1]!;
      const cur = sorted[k]!;
      if (cur.atNs < prev.end) {
        const why = prev.end === Infinity ? "which never restarts" : "which has not restarted by then";
        c.error(`failures[${cur.index}].at`, `"${device}" is still down from failures[${prev.index}], ${why}`);
      }
    }
  }
}

function inRun(c: Checker, ns: number | undefined, path: string, durationNs: number): number | undefined {
  if (ns === undefined) return undefined;
  if (ns >= durationNs) return c.error(path, "must be before the end of the run (duration)");
  return ns;
}

function positive(c: Checker, ns: number | undefined, path: string): number | undefined {
  if (ns !== undefined && ns <= 0) return c.error(path, "must be above 0");
  return ns;
}
