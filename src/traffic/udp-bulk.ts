// Bulk UDP traffic: `total` bytes in datagrams of `size`, the last one shorter.
//
// Contract:
// - A remainder below 8 bytes (no room for the payload header) is made up from the datagram
//   before it, so the bytes add up to exactly `total` (a total below 8 is sent as one 8-byte
//   datagram).
// - Paced at rateBps like cbr. Without a rate, datagrams go back to back at the sender's link
//   rate: the period is the wire time of one full datagram (every fragment, its framing and
//   the link's per-frame overhead, via the channel's serializationNs), so the sender's
//   interface is busy all the time and its queue does not grow. A fixed pacing, not a window
//   watching the queue: simpler, deterministic, and the same rate on an otherwise idle
//   interface.

import { aal5CellCount } from "../kernels/aal5.js";
import type { AnyIpHost as IpHost } from "../stacks/ip/ip-host.js";
import { ETH_FCS_LEN, ETH_HEADER_LEN, ETH_MIN_FRAME } from "../wire/ethernet.js";
import { IPV4_HEADER_LEN } from "../wire/ipv4.js";
import { UDP_HEADER_LEN } from "../wire/udp.js";
import { Pacer } from "./pacer.js";
import { TRAFFIC_HEADER_LEN, writeU32 } from "./traffic-payload.js";
import type { BulkTraffic } from "./traffic-spec.js";
import { invalid } from "./udp-traffic-check.js";

export interface BulkPlan {
  /** Datagrams of the full `size`, sent first. */
  full: number;
  /** Then up to two shorter ones, each in its own buffer (flow id written). */
  tail: Uint8Array[];
  /** Bytes to send in all. */
  bytes: number;
  datagrams: number;
  pacer: Pacer;
}

/** The datagrams and pacing of bulk flow `flowId` from `sender`; `p` names the entry in errors. */
export function planBulk(spec: BulkTraffic, flowId: number, sender: IpHost, p: string): BulkPlan {
  let full = Math.floor(spec.total / spec.size);
  const rest = spec.total - full * spec.size;
  const tailSizes: number[] = [];
  if (spec.total < TRAFFIC_HEADER_LEN) {
    tailSizes.push(TRAFFIC_HEADER_LEN);
  } else if (rest > 0 && rest < TRAFFIC_HEADER_LEN) {
    // The header needs 8 bytes: the datagram before gives up what the last one lacks.
    full--;
    tailSizes.push(spec.size - (TRAFFIC_HEADER_LEN - rest), TRAFFIC_HEADER_LEN);
  } else if (rest > 0) {
    tailSizes.push(rest);
  }
  const tail = tailSizes.map((n) => {
    const b = new Uint8Array(n);
    writeU32(b, 0, flowId);
    return b;
  });
  const period = spec.rateBps === undefined ? datagramWireNs(sender, spec.size, p) : undefined;
  return {
    full,
    tail,
    bytes: Math.max(spec.total, TRAFFIC_HEADER_LEN),
    datagrams: full + tail.length,
    pacer: period !== undefined ? new Pacer(period, 1) : new Pacer(spec.size * 8 * 1e9, spec.rateBps!),
  };
}

/** Wire time of one UDP datagram of `payload` bytes on the sender's attached channel. */
function datagramWireNs(sender: IpHost, payload: number, path: string): number {
  const channel = sender.nic.ports[0]?.channel as
    | { serializationNs?: (len: number) => number; rate?: unknown; overheadBytes?: unknown }
    | undefined;
  if (channel === undefined)
    throw invalid(path, `bulk traffic without a rate needs ${sender.name}'s interface to be attached`);
  const wire = (frameLen: number): number => {
    if (typeof channel.serializationNs === "function") return channel.serializationNs(frameLen);
    if (typeof channel.rate === "number" && channel.rate > 0) {
      const overhead = typeof channel.overheadBytes === "number" ? channel.overheadBytes : 20;
      return Math.ceil(((frameLen + overhead) * 8 * 1e9) / channel.rate);
    }
    throw invalid(path, `bulk traffic without a rate needs a link with a rate at ${sender.name}`);
  };
  // Over ATM the "frame" is the cell count of the LLC/SNAP + IPv4 PDU (8 + 20 + payload) times
  // a cell time; on Ethernet it is the frame with FCS and minimum size.
  const clock = sender.atm !== undefined ? (channel as { clock?: { num: number; den: number } }).clock : undefined;
  const frame = (ipPayload: number): number =>
    clock !== undefined
      ? aal5CellCount(8 + IPV4_HEADER_LEN + ipPayload)
      : Math.max(ETH_MIN_FRAME, ETH_HEADER_LEN + IPV4_HEADER_LEN + ipPayload + ETH_FCS_LEN);
  if (clock !== undefined) {
    const ipPayload = UDP_HEADER_LEN + payload;
    const cellNs = (cells: number): number => Math.ceil((cells * clock.num) / clock.den);
    if (IPV4_HEADER_LEN + ipPayload <= sender.mtu) return cellNs(frame(ipPayload));
    const chunk = ((sender.mtu - IPV4_HEADER_LEN) >>> 3) << 3;
    let ns = 0;
    for (let o = 0; o < ipPayload; o += chunk) ns += cellNs(frame(Math.min(chunk, ipPayload - o)));
    return ns;
  }
  const ipPayload = UDP_HEADER_LEN + payload;
  if (IPV4_HEADER_LEN + ipPayload <= sender.mtu) return wire(frame(ipPayload));
  const chunk = ((sender.mtu - IPV4_HEADER_LEN) >>> 3) << 3;
  let ns = 0;
  for (let o = 0; o < ipPayload; o += chunk) ns += wire(frame(Math.min(chunk, ipPayload - o)));
  return ns;
}
