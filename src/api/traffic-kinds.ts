// Which kind a scenario traffic entry is, for the code that builds and reports scenarios.
//
// Contract: type guards only, with no dependency beyond the scenario's types, so that building
// a scenario (every partition and sweep worker does) does not load the scenario loader with its
// YAML parser and JSON Schema validator (about 90 ms of each worker's start-up).

import type { ScenarioTraffic, TransportScenarioTraffic } from "./scenario.js";

/** True for the transport traffic types (tcp-bulk, nak-bulk, rpc). */
export function isTransportTraffic(t: ScenarioTraffic): t is TransportScenarioTraffic {
  return t.type === "tcp-bulk" || t.type === "nak-bulk" || t.type === "rpc";
}
