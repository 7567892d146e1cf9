// The checks every UDP traffic entry passes before its flow takes any resource: datagram size,
// start and stop times, count and rate. A failed check is a NetloomError (INVALID_ARGUMENT)
// naming traffic.<name>.<field>; the kinds add their own (./udp-bulk.ts, ./request-response.ts).

import { ErrorCode, NetloomError } from "../base/errors.js";
import type { AnyIpHost as IpHost } from "../stacks/ip/ip-host.js";
import { TRAFFIC_HEADER_LEN } from "./traffic-payload.js";
import type { UdpScenarioTraffic as ScenarioTraffic } from "./traffic-spec.js";

export function invalid(path: string, message: string): NetloomError {
  return new NetloomError(ErrorCode.INVALID_ARGUMENT, message, { path });
}

/** Throws for the first field of `spec` (at path `p`) that `sender` cannot send. */
export function checkUdpTraffic(spec: ScenarioTraffic, sender: IpHost, p: string): void {
  if (!Number.isInteger(spec.size) || spec.size < TRAFFIC_HEADER_LEN || spec.size > sender.udp.maxDatagramSize) {
    throw invalid(
      `${p}.size`,
      `${String(spec.size)} is not a datagram size from ${TRAFFIC_HEADER_LEN} to ${sender.udp.maxDatagramSize} bytes`,
    );
  }
  if (!Number.isSafeInteger(spec.startNs) || spec.startNs < 0)
    throw invalid(`${p}.start`, `${String(spec.startNs)} is not a time`);
  if (spec.stopNs !== undefined && !(spec.stopNs >= spec.startNs))
    throw invalid(`${p}.stop`, `${String(spec.stopNs)} is before start`);
  if (spec.count !== undefined && !(Number.isSafeInteger(spec.count) && spec.count >= 1)) {
    throw invalid(`${p}.count`, `${String(spec.count)} is not a count >= 1`);
  }
  const rate = spec.type === "bulk" ? spec.rateBps : spec.type === "request-response" ? undefined : spec.rateBps;
  if (rate !== undefined && !(rate > 0 && rate < Infinity))
    throw invalid(`${p}.rate`, `${String(rate)} is not a bit rate`);
}
