// The JSON Schema is the description of the format's shape; the loader's key tables (which give
// its precise messages: unknown keys with a did-you-mean, missing keys) must say the same.
// A key added to one and not the other fails here.
import { describe, expect, it } from "vitest";
import {
  ATM_HOST_KEYS,
  ATM_POLICY_KEYS,
  ATM_RANDOM_DISCARD_KEYS,
  ATM_RIF_KEYS,
  ATM_SWITCH_KEYS,
} from "../../src/scenario/check-atm-devices.js";
import { ATM_PVC_KEYS, ATM_SVC_KEYS } from "../../src/scenario/check-atm-circuits.js";
import { ATM_FAULT_KEYS, ATM_LINK_KEYS } from "../../src/scenario/check-atm-links.js";
import { ATM_SIGNALLING_KEYS, ATM_TRAFFIC_KEYS } from "../../src/scenario/check-atm-traffic.js";
import { HOST_KEYS, HOST_STACK_KEYS, STACK_KEYS } from "../../src/scenario/check-hosts.js";
import {
  BURST_KEYS,
  FAULT_KEYS,
  LINK_KEYS,
  REORDER_KEYS,
  SCHEDULE_KEYS,
  SEGMENT_KEYS,
} from "../../src/scenario/check-links.js";
import { OUTPUT_KEYS, PCAP_KEYS } from "../../src/scenario/check-outputs.js";
import { IFACE_KEYS, ROUTE_KEYS, ROUTER_KEYS, ROUTING_KEYS } from "../../src/scenario/check-routers.js";
import { SWITCH_KEYS } from "../../src/scenario/check-switches.js";
import { ATM_SECTION_KEYS } from "../../src/scenario/scenario-atm.js";
import { scenarioAtmSchema, scenarioSchema } from "../../src/scenario/scenario-schema.js";
import {
  BURST_TRAIN_KEYS,
  KEEPALIVE_KEYS,
  MESSAGE_COMMON,
  MESSAGE_EXTRA,
  NAK_KEYS,
  NAK_RATE_KEYS,
  TCP_KEYS,
  TRAFFIC_COMMON,
  TRAFFIC_EXTRA,
  TRAFFIC_REQUIRED,
  TRANSPORT_COMMON,
  TRANSPORT_EXTRA,
  TRANSPORT_REQUIRED,
} from "../../src/scenario/traffic-keys.js";
import { TOP_KEYS } from "../../src/scenario/validate-scenario.js";
import { COMMIT_TIMEOUT_KEYS, COMMIT_WORKLOAD_KEYS } from "../../src/scenario/check-two-phase-commit.js";
import {
  CRASH_KEYS,
  PARTITION_FAILURE_KEYS,
  RANDOM_FAILURE_KEYS,
  STORAGE_KEYS,
} from "../../src/scenario/check-failures.js";
import { RPC_UDP_KEYS } from "../../src/scenario/check-rpc-udp.js";
import { PB_HEARTBEAT_KEYS, PB_UPDATE_KEYS, PRIMARY_BACKUP_KEYS } from "../../src/scenario/check-primary-backup.js";
import { SB_KEEPALIVE_KEYS, SB_TIMEOUT_KEYS, STREAM_BREAKS_KEYS } from "../../src/scenario/check-stream-breaks.js";

type Node = Record<string, unknown>;

/** The node at a JSON pointer ("/$defs/link/properties/schedule/items"). */
function at(schema: Node, pointer: string): Node {
  let n: unknown = schema;
  for (const seg of pointer.split("/").slice(1)) n = (n as Node)[seg];
  return n as Node;
}
const keysAt = (schema: Node, pointer: string): string[] => Object.keys(at(schema, pointer)["properties"] as Node);
const sorted = (keys: readonly string[]): string[] => [...keys].sort();

describe("the loader's key tables and the JSON Schema", () => {
  const main = scenarioSchema();
  const atm = scenarioAtmSchema();

  it.each([
    ["", TOP_KEYS],
    ["/properties/outputs", OUTPUT_KEYS],
    ["/properties/outputs/properties/pcap", PCAP_KEYS],
    ["/$defs/host", HOST_KEYS],
    ["/$defs/stack", STACK_KEYS],
    ["/$defs/hostStack", HOST_STACK_KEYS],
    ["/$defs/switch", SWITCH_KEYS],
    ["/$defs/router", ROUTER_KEYS],
    ["/$defs/router/properties/interfaces/items", IFACE_KEYS],
    ["/$defs/router/properties/routes/items/allOf/0", ROUTE_KEYS],
    ["/$defs/routing/anyOf/1", ROUTING_KEYS],
    ["/$defs/segment", SEGMENT_KEYS],
    ["/$defs/link", LINK_KEYS],
    ["/$defs/link/properties/schedule/items", SCHEDULE_KEYS],
    ["/$defs/faults", FAULT_KEYS],
    ["/$defs/faults/properties/burstLoss", BURST_KEYS],
    ["/$defs/faults/properties/reorder", REORDER_KEYS],
    ["/$defs/tcpOptions", TCP_KEYS],
    ["/$defs/tcpOptions/properties/keepAlive", KEEPALIVE_KEYS],
    ["/$defs/tcpOptions/properties/burst", BURST_TRAIN_KEYS],
    ["/$defs/nakOptions", NAK_KEYS],
    ["/$defs/nakOptions/properties/rate", NAK_RATE_KEYS],
    ["/$defs/storage", STORAGE_KEYS],
    ["/$defs/failure/oneOf/0", CRASH_KEYS],
    ["/$defs/failure/oneOf/1", RANDOM_FAILURE_KEYS],
    ["/$defs/failure/oneOf/2", PARTITION_FAILURE_KEYS],
    ["/$defs/rpcUdpWorkload", RPC_UDP_KEYS],
    ["/$defs/twoPhaseCommit", COMMIT_WORKLOAD_KEYS],
    ["/$defs/twoPhaseCommit/properties/timeouts", COMMIT_TIMEOUT_KEYS],
    ["/$defs/workload/allOf/0/then", PRIMARY_BACKUP_KEYS],
    ["/$defs/workload/allOf/0/then/properties/heartbeat", PB_HEARTBEAT_KEYS],
    ["/$defs/workload/allOf/0/then/properties/update", PB_UPDATE_KEYS],
    ["/$defs/workload/allOf/1/then", STREAM_BREAKS_KEYS],
    ["/$defs/workload/allOf/1/then/properties/keepAlive", SB_KEEPALIVE_KEYS],
    ["/$defs/workload/allOf/1/then/properties/timeouts", SB_TIMEOUT_KEYS],
  ] as const)("scenario %s", (pointer, keys) => {
    expect(sorted(keysAt(main, pointer))).toEqual(sorted(keys));
  });

  it("traffic, type by type: the keys and the required keys", () => {
    const branches = at(main, "/$defs/traffic")["allOf"] as { if: Node; then: Node }[];
    const types: Record<string, { keys: readonly string[]; required: readonly string[] }> = {};
    for (const [t, extra] of Object.entries(TRAFFIC_EXTRA)) {
      types[t] = {
        keys: [...TRAFFIC_COMMON, ...extra],
        required: ["type", "from", "to", "size", ...TRAFFIC_REQUIRED[t as keyof typeof TRAFFIC_REQUIRED]],
      };
    }
    for (const [t, extra] of Object.entries(TRANSPORT_EXTRA)) {
      types[t] = {
        keys: [...TRANSPORT_COMMON, ...extra],
        required: ["type", "from", "to", ...TRANSPORT_REQUIRED[t as keyof typeof TRANSPORT_REQUIRED]],
      };
    }
    for (const [t, extra] of Object.entries(MESSAGE_EXTRA)) {
      types[t] = { keys: [...MESSAGE_COMMON, ...extra], required: ["type", "from", "to", "size"] };
    }
    const seen: string[] = [];
    for (const b of branches) {
      const type = ((b.if["properties"] as Node)["type"] as { const: string }).const;
      seen.push(type);
      expect(sorted(Object.keys(b.then["properties"] as Node)), type).toEqual(sorted(types[type]!.keys));
      expect(sorted(b.then["required"] as string[]), type).toEqual(sorted(types[type]!.required));
    }
    expect(sorted(seen)).toEqual(sorted(Object.keys(types)));
  });

  it.each([
    ["", ATM_SECTION_KEYS],
    ["/properties/switches/items", ATM_SWITCH_KEYS],
    ["/$defs/policy", ATM_POLICY_KEYS],
    ["/$defs/policy/properties/randomDiscard", ATM_RANDOM_DISCARD_KEYS],
    ["/properties/hosts/items", ATM_HOST_KEYS],
    ["/properties/routerInterfaces/items", ATM_RIF_KEYS],
    ["/properties/links/items", ATM_LINK_KEYS],
    ["/properties/links/items/properties/faults", ATM_FAULT_KEYS],
    ["/properties/pvcs/items", ATM_PVC_KEYS],
    ["/properties/svcs/items", ATM_SVC_KEYS],
    ["/properties/signalling", ATM_SIGNALLING_KEYS],
    ["/properties/traffic/items", ATM_TRAFFIC_KEYS],
  ] as const)("atm %s", (pointer, keys) => {
    expect(sorted(keysAt(atm, pointer))).toEqual(sorted(keys));
  });
});
