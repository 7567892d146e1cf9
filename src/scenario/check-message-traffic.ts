// ping-pong and message-stream entries of a scenario's `traffic`: a message flow between the
// host stacks of two hostStack hosts running the same configuration and layers.

import { suggest } from "../base/did-you-mean.js";
import type { MessageScenarioTraffic } from "../traffic/traffic-spec.js";
import type { DeviceEntry } from "./check-names.js";
import type { Obj } from "./checks.js";
import { MAX_MESSAGE, SCENARIO_DEFAULTS } from "./scenario-defaults.js";
import type { ScenarioHostStack } from "./scenario-types.js";
import { ANY_TRAFFIC_KEYS, MESSAGE_COMMON, MESSAGE_EXTRA } from "./traffic-keys.js";
import { checkKeysApply, type TrafficScope } from "./traffic-scope.js";

type MessageType = MessageScenarioTraffic["type"];
type StackHostEnd = DeviceEntry & { name: string };

export function checkMessageTraffic(
  s: TrafficScope,
  raw: Obj,
  p: string,
  index: number,
  type: MessageType,
): MessageScenarioTraffic | undefined {
  const c = s.c;
  const o = c.mapping(raw, p, ANY_TRAFFIC_KEYS, ["type", "from", "to", "size"]);
  if (o === undefined) return undefined;
  checkKeysApply(c, o, p, type, ANY_TRAFFIC_KEYS, [...MESSAGE_COMMON, ...MESSAGE_EXTRA[type]]);
  const n = o["name"] === undefined ? `flow${index}` : c.name(o["name"], `${p}.name`);
  const from = o["from"] === undefined ? undefined : stackHostEnd(s, o["from"], `${p}.from`, type);
  const to = o["to"] === undefined ? undefined : stackHostEnd(s, o["to"], `${p}.to`, type);
  if (from !== undefined && to !== undefined && from.name === to.name)
    c.error(`${p}.to`, `traffic from ${from.name} to itself`);
  else if (from?.hostStack !== undefined && to?.hostStack !== undefined) {
    const a = from.hostStack;
    const b = to.hostStack;
    if (a.configuration !== b.configuration || a.layers.join() !== b.layers.join()) {
      c.error(
        `${p}.to`,
        `${to.name} runs ${stackText(b)} but ${from.name} runs ${stackText(a)}; both ends of a ${type} need the same configuration and layers`,
      );
    }
  }
  const size = o["size"] === undefined ? undefined : c.bytes(o["size"], `${p}.size`, 1, MAX_MESSAGE);
  const startNs = c.dur(o["start"], `${p}.start`, 0);
  const d = SCENARIO_DEFAULTS.messages;
  const rounds = type === "ping-pong" ? c.int(o["rounds"], `${p}.rounds`, 1, 1_000_000, d.rounds) : undefined;
  const count = type === "message-stream" ? c.int(o["count"], `${p}.count`, 1, d.maxCount, d.count) : undefined;
  if (
    n === undefined ||
    from === undefined ||
    to === undefined ||
    from.hostStack === undefined ||
    to.hostStack === undefined ||
    size === undefined ||
    startNs === undefined
  ) {
    return undefined;
  }
  if (from.name === to.name) return undefined;
  const common = { name: n, index, from: from.name, to: to.name, size, startNs };
  if (type === "ping-pong") return rounds === undefined ? undefined : { ...common, type, rounds };
  return count === undefined ? undefined : { ...common, type, count };
}

/** An end of a message flow: a host with a hostStack. */
function stackHostEnd(s: TrafficScope, v: unknown, path: string, type: MessageType): StackHostEnd | undefined {
  const name = s.c.str(v, path);
  if (name === undefined) return undefined;
  const e = s.names.get(name);
  if (e === undefined) {
    const sug = suggest(
      name,
      s.names.namesOf((x) => x.stackHost === true),
    );
    return s.c.error(path, `there is no host named "${name}"${sug ? ` (did you mean "${sug}"?)` : ""}`);
  }
  if (e.kind !== "host")
    return s.c.error(path, `"${name}" is a ${e.kind}; ${type} runs between two hosts with a hostStack`);
  if (e.stackHost !== true)
    return s.c.error(path, `host ${name} has no hostStack; ${type} runs between two hosts with a hostStack`);
  return { ...e, name };
}

function stackText(h: ScenarioHostStack): string {
  return h.layers.length === 0 ? h.configuration : `${h.configuration} [${h.layers.join(", ")}]`;
}
