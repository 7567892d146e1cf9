// The keys of the scenario's `traffic` entries, by type: UDP workloads, transport flows (TCP,
// NAK, RPC) and message flows between host stacks. A key of another type is reported as "does
// not apply", not as unknown.

import type { MessageScenarioTraffic, TransportScenarioTraffic, UdpTrafficType } from "../traffic/traffic-spec.js";

export const UDP_TRAFFIC_TYPES = ["cbr", "poisson", "onoff", "bulk", "request-response"] as const;
export const TRANSPORT_TRAFFIC_TYPES = ["tcp-bulk", "nak-bulk", "rpc"] as const;
export const TRAFFIC_TYPES = [...UDP_TRAFFIC_TYPES, ...TRANSPORT_TRAFFIC_TYPES] as const;
export const MESSAGE_TRAFFIC_TYPES = ["ping-pong", "message-stream"] as const;

export const TRAFFIC_COMMON = [
  "name",
  "type",
  "from",
  "to",
  "protocol",
  "size",
  "start",
  "stop",
  "count",
  "srcPort",
  "dstPort",
  "ttl",
] as const;
export const TRAFFIC_EXTRA: Record<UdpTrafficType, readonly string[]> = {
  cbr: ["rate"],
  poisson: ["rate"],
  onoff: ["rate", "on", "off", "distribution"],
  bulk: ["total", "rate"],
  "request-response": ["responseSize", "interval", "timeout"],
};
export const TRAFFIC_REQUIRED: Record<UdpTrafficType, readonly string[]> = {
  cbr: ["rate"],
  poisson: ["rate"],
  onoff: ["rate", "on", "off"],
  bulk: ["total"],
  "request-response": ["responseSize"],
};
export const TRANSPORT_COMMON = ["name", "type", "from", "to", "port", "start", "stop"] as const;
export const TRANSPORT_EXTRA: Record<TransportScenarioTraffic["type"], readonly string[]> = {
  "tcp-bulk": ["bytes", "tcp"],
  "nak-bulk": ["bytes", "nak"],
  rpc: ["count", "interval", "size", "responseSize", "timeout", "retries", "maxOutstanding", "tcp"],
};
export const TRANSPORT_REQUIRED: Record<TransportScenarioTraffic["type"], readonly string[]> = {
  "tcp-bulk": [],
  "nak-bulk": [],
  rpc: ["size", "responseSize"],
};
export const TCP_KEYS = [
  "sendBuffer",
  "lowWater",
  "receiveBuffer",
  "mss",
  "noDelay",
  "delayedAck",
  "ackEvery",
  "sack",
  "windowScale",
  "initialWindow",
  "minRto",
  "maxRto",
  "initialRto",
  "maxRetries",
  "synRetries",
  "timeWait",
  "keepAlive",
  "burst",
] as const;
export const KEEPALIVE_KEYS = ["idle", "interval", "count"] as const;
export const BURST_TRAIN_KEYS = ["train"] as const;
export const NAK_KEYS = [
  "segmentSize",
  "sendBuffer",
  "receiveWindow",
  "initialPeerWindow",
  "overheadBytes",
  "timeout",
  "rate",
] as const;
export const NAK_RATE_KEYS = ["initial", "min", "max", "windowPackets", "upperThreshold", "lowerThreshold"] as const;
/** Every key of the UDP and transport types. */
export const ALL_TRAFFIC_KEYS = [
  ...new Set([
    ...TRAFFIC_COMMON,
    ...Object.values(TRAFFIC_EXTRA).flat(),
    ...TRANSPORT_COMMON,
    ...Object.values(TRANSPORT_EXTRA).flat(),
  ]),
];
export const MESSAGE_COMMON = ["name", "type", "from", "to", "size", "start"] as const;
export const MESSAGE_EXTRA: Record<MessageScenarioTraffic["type"], readonly string[]> = {
  "ping-pong": ["rounds"],
  "message-stream": ["count"],
};
/** Every traffic key of any type. */
export const ANY_TRAFFIC_KEYS = [
  ...new Set([...ALL_TRAFFIC_KEYS, ...MESSAGE_COMMON, ...Object.values(MESSAGE_EXTRA).flat()]),
];
