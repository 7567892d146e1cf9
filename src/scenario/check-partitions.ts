// The `partitions` of a scenario (manual partitioning for parallel runs): every host, switch
// and router in exactly one partition; no zero-delay link, shared segment or message flow cut
// between two (conservative windows advance by the cut links' delay).

import type { MessageScenarioTraffic } from "../traffic/traffic-spec.js";
import { isDevice, type Namespace } from "./check-names.js";
import type { Checker } from "./checks.js";
import type { ScenarioLink, ScenarioSegment } from "./scenario-types.js";

export function checkPartitions(
  c: Checker,
  v: unknown,
  names: Namespace,
  links: ScenarioLink[],
  segments: ScenarioSegment[],
  messages: MessageScenarioTraffic[],
): string[][] | undefined {
  const parts = c.list(v, "partitions");
  if (parts === undefined) return undefined;
  if (parts.length === 0) return c.error("partitions", "expected at least one partition (or leave the key out)");
  const where = new Map<string, number>();
  const out = assignDevices(c, parts, names, where);
  if (out === undefined) return undefined;
  for (const [n, e] of names.entries) {
    if (isDevice(e) && !where.has(n)) {
      c.error("partitions", `device "${n}" is in no partition (list every host, switch and router)`);
    }
  }
  checkCuts(c, where, links, segments, messages);
  return out;
}

/** Each partition's devices, recording which partition holds each; undefined after a problem. */
function assignDevices(
  c: Checker,
  parts: unknown[],
  names: Namespace,
  where: Map<string, number>,
): string[][] | undefined {
  const out: string[][] = [];
  let ok = true;
  parts.forEach((rawPart, i) => {
    const pp = `partitions[${i}]`;
    const members = c.list(rawPart, pp);
    if (members === undefined) return (ok = false);
    if (members.length === 0) c.error(pp, "a partition needs at least one device");
    const part: string[] = [];
    members.forEach((m, j) => {
      const mp = `${pp}[${j}]`;
      const s = c.str(m, mp);
      if (s === undefined) return (ok = false);
      const e = names.get(s);
      if (e === undefined || !isDevice(e)) {
        ok = false;
        return c.error(mp, `there is no device named "${s}"`);
      }
      const prior = where.get(s);
      if (prior !== undefined) {
        ok = false;
        return c.error(mp, `"${s}" is already in partitions[${prior}]`);
      }
      where.set(s, i);
      part.push(s);
    });
    out.push(part);
  });
  return ok ? out : undefined;
}

function checkCuts(
  c: Checker,
  where: Map<string, number>,
  links: ScenarioLink[],
  segments: ScenarioSegment[],
  messages: MessageScenarioTraffic[],
): void {
  for (const l of links) {
    const pa = where.get(l.a.device);
    const pb = where.get(l.b.device);
    if (pa !== undefined && pb !== undefined && pa !== pb && l.delayNs === 0) {
      c.error(
        "partitions",
        `link ${l.name} has no delay, so it cannot join partitions ${pa} and ${pb} (give it a delay or keep its ends together)`,
      );
    }
  }
  for (const s of segments) {
    const ps = new Set(s.stations.map((e) => where.get(e.device)));
    if (ps.size > 1)
      c.error(
        "partitions",
        `segment ${s.name} has stations in partitions ${[...ps].join(" and ")}; a shared medium cannot be cut`,
      );
  }
  for (const t of messages) {
    const pa = where.get(t.from);
    const pb = where.get(t.to);
    if (pa !== undefined && pb !== undefined && pa !== pb) {
      c.error(
        "partitions",
        `${t.name} runs between ${t.from} (partitions[${pa}]) and ${t.to} (partitions[${pb}]); the two stacks of a message flow run as one, keep them in one partition`,
      );
    }
  }
}
