// The `segments` (shared CSMA/CD media) and `links` (point-to-point, with faults and an up/down
// schedule) of a scenario. Each attachment claims its device port; segment names and explicit
// link names join the namespace.

import { type Endpoints, endpointText } from "./check-endpoints.js";
import type { Namespace } from "./check-names.js";
import type { Checker } from "./checks.js";
import { MTU_MAX, MTU_MIN, SCENARIO_DEFAULTS } from "./scenario-defaults.js";
import type { ScenarioEndpoint, ScenarioFaults, ScenarioLink, ScenarioSegment } from "./scenario-types.js";
import { show } from "./wording.js";

export const SEGMENT_KEYS = [
  "name",
  "rate",
  "propagationDelay",
  "queueLimit",
  "maxFrame",
  "attemptLimit",
  "backoffLimit",
  "stations",
] as const;
export const LINK_KEYS = [
  "name",
  "a",
  "b",
  "rate",
  "delay",
  "mtu",
  "queueLimit",
  "queueLimitBytes",
  "overheadBytes",
  "faults",
  "schedule",
] as const;
export const FAULT_KEYS = ["loss", "burstLoss", "ber", "duplicate", "reorder"] as const;
export const BURST_KEYS = ["p", "r", "lossInBad", "lossInGood"] as const;
export const REORDER_KEYS = ["probability", "delay"] as const;
export const SCHEDULE_KEYS = ["at", "state"] as const;

export function checkSegments(c: Checker, raw: unknown, names: Namespace, endpoints: Endpoints): ScenarioSegment[] {
  const segments: ScenarioSegment[] = [];
  (c.list(raw, "segments") ?? []).forEach((entry, i) => {
    const p = `segments[${i}]`;
    const s = c.mapping(entry, p, SEGMENT_KEYS, ["name", "stations"]);
    if (s === undefined) return;
    const n = c.name(s["name"], `${p}.name`);
    names.claim(n, `${p}.name`, { kind: "segment", path: p });
    const d = SCENARIO_DEFAULTS.segment;
    const rateBps = c.rate(s["rate"], `${p}.rate`, d.rateBps);
    const propagationDelayNs = c.dur(
      s["propagationDelay"],
      `${p}.propagationDelay`,
      rateBps === undefined ? 0 : Math.round((d.propagationBits * 1e9) / rateBps),
    );
    const queueLimit = c.int(s["queueLimit"], `${p}.queueLimit`, 1, 1 << 20, d.queueLimit);
    const maxFrame = c.bytes(s["maxFrame"], `${p}.maxFrame`, 64, 1522, d.maxFrame);
    const attemptLimit = c.int(s["attemptLimit"], `${p}.attemptLimit`, 1, 1024, d.attemptLimit);
    const backoffLimit = c.int(s["backoffLimit"], `${p}.backoffLimit`, 0, 10, d.backoffLimit);
    const stations: ScenarioEndpoint[] = [];
    const rawStations = s["stations"] === undefined ? [] : (c.list(s["stations"], `${p}.stations`) ?? []);
    if (rawStations.length > 1024)
      c.error(`${p}.stations`, `${rawStations.length} stations is more than a segment takes (1024)`);
    rawStations.forEach((st, j) => {
      const e = endpoints.resolve(st, `${p}.stations[${j}]`);
      endpoints.use(e, `${p}.stations[${j}]`, `${p} (${n ?? "segment"})`);
      if (e !== undefined) stations.push(e);
    });
    if (
      n === undefined ||
      rateBps === undefined ||
      propagationDelayNs === undefined ||
      queueLimit === undefined ||
      maxFrame === undefined ||
      attemptLimit === undefined ||
      backoffLimit === undefined
    )
      return;
    segments.push({ name: n, rateBps, propagationDelayNs, queueLimit, maxFrame, attemptLimit, backoffLimit, stations });
  });
  return segments;
}

export function checkLinks(c: Checker, raw: unknown, names: Namespace, endpoints: Endpoints): ScenarioLink[] {
  const links: ScenarioLink[] = [];
  (c.list(raw, "links") ?? []).forEach((entry, i) => {
    const p = `links[${i}]`;
    const l = c.mapping(entry, p, LINK_KEYS, ["a", "b", "rate"]);
    if (l === undefined) return;
    const a = l["a"] === undefined ? undefined : endpoints.resolve(l["a"], `${p}.a`);
    const b = l["b"] === undefined ? undefined : endpoints.resolve(l["b"], `${p}.b`);
    let n: string | undefined;
    if (l["name"] !== undefined) n = c.name(l["name"], `${p}.name`);
    else if (a !== undefined && b !== undefined) n = `${endpointText(a)}-${endpointText(b)}`;
    names.claim(l["name"] === undefined ? undefined : n, `${p}.name`, { kind: "link", path: p });
    const by = n === undefined ? p : `${p} (${n})`;
    endpoints.use(a, `${p}.a`, by);
    endpoints.use(b, `${p}.b`, by);
    const rateBps = l["rate"] === undefined ? undefined : c.rate(l["rate"], `${p}.rate`);
    const d = SCENARIO_DEFAULTS.link;
    const delayNs = c.dur(l["delay"], `${p}.delay`, d.delayNs);
    const mtu = c.bytes(l["mtu"], `${p}.mtu`, MTU_MIN, MTU_MAX, d.mtu);
    const queueLimit = c.int(l["queueLimit"], `${p}.queueLimit`, 0, 1 << 24, d.queueLimit);
    const queueLimitBytes =
      l["queueLimitBytes"] === undefined
        ? undefined
        : c.bytes(l["queueLimitBytes"], `${p}.queueLimitBytes`, 64, Number.MAX_SAFE_INTEGER);
    const overheadBytes = c.bytes(l["overheadBytes"], `${p}.overheadBytes`, 0, 1024, d.overheadBytes);
    const faults = checkFaults(c, l["faults"], `${p}.faults`);
    const schedule = checkSchedule(c, l["schedule"], `${p}.schedule`);
    if (
      n === undefined ||
      a === undefined ||
      b === undefined ||
      rateBps === undefined ||
      delayNs === undefined ||
      mtu === undefined ||
      queueLimit === undefined ||
      overheadBytes === undefined ||
      faults === undefined
    )
      return;
    if (l["queueLimitBytes"] !== undefined && queueLimitBytes === undefined) return;
    links.push({ name: n, a, b, rateBps, delayNs, mtu, queueLimit, queueLimitBytes, overheadBytes, faults, schedule });
  });
  return links;
}

/** Up/down times of a link, in time order. */
function checkSchedule(c: Checker, raw: unknown, path: string): ScenarioLink["schedule"] {
  const schedule: ScenarioLink["schedule"] = [];
  (c.list(raw, path) ?? []).forEach((entry, j) => {
    const sp = `${path}[${j}]`;
    const o = c.mapping(entry, sp, SCHEDULE_KEYS, ["at", "state"]);
    if (o === undefined) return;
    const atNs = o["at"] === undefined ? undefined : c.dur(o["at"], `${sp}.at`);
    const state = o["state"] === undefined ? undefined : c.oneOf(o["state"], `${sp}.state`, ["down", "up"] as const);
    const prev = schedule[schedule.length - 1];
    if (atNs !== undefined && prev !== undefined && atNs < prev.atNs) {
      c.error(`${sp}.at`, `${show(o["at"])} is earlier than the entry before it (entries go in time order)`);
    }
    if (atNs !== undefined && state !== undefined) schedule.push({ atNs, state });
  });
  return schedule;
}

function checkFaults(c: Checker, v: unknown, path: string): ScenarioFaults | undefined {
  const none: ScenarioFaults = { loss: 0, burstLoss: undefined, ber: 0, duplicate: 0, reorder: undefined };
  if (v === undefined) return none;
  const o = c.mapping(v, path, FAULT_KEYS);
  if (o === undefined) return undefined;
  const loss = c.prob(o["loss"], `${path}.loss`, 0);
  const ber = c.prob(o["ber"], `${path}.ber`, 0);
  const duplicate = c.prob(o["duplicate"], `${path}.duplicate`, 0);
  let burstLoss: ScenarioFaults["burstLoss"];
  let ok = loss !== undefined && ber !== undefined && duplicate !== undefined;
  if (o["burstLoss"] !== undefined) {
    const bp = `${path}.burstLoss`;
    const b = c.mapping(o["burstLoss"], bp, BURST_KEYS, ["p", "r"]);
    if (b === undefined) ok = false;
    else {
      const p = b["p"] === undefined ? undefined : c.prob(b["p"], `${bp}.p`, 0);
      const r = b["r"] === undefined ? undefined : c.prob(b["r"], `${bp}.r`, 0);
      const lossInBad = c.prob(b["lossInBad"], `${bp}.lossInBad`, 1);
      const lossInGood = c.prob(b["lossInGood"], `${bp}.lossInGood`, 0);
      if (p === undefined || r === undefined || lossInBad === undefined || lossInGood === undefined) ok = false;
      else burstLoss = { p, r, lossInBad, lossInGood };
    }
  }
  let reorder: ScenarioFaults["reorder"];
  if (o["reorder"] !== undefined) {
    const rp = `${path}.reorder`;
    const r = c.mapping(o["reorder"], rp, REORDER_KEYS, ["probability", "delay"]);
    if (r === undefined) ok = false;
    else {
      const probability = r["probability"] === undefined ? undefined : c.prob(r["probability"], `${rp}.probability`, 0);
      const delayNs = r["delay"] === undefined ? undefined : c.dur(r["delay"], `${rp}.delay`);
      if (probability === undefined || delayNs === undefined) ok = false;
      else reorder = { probability, delayNs };
    }
  }
  if (!ok) return undefined;
  return { loss: loss!, burstLoss, ber: ber!, duplicate: duplicate!, reorder };
}
