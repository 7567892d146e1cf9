// An event trace of a run: one text line per frame event at the trace points and per crash and
// restart, for reading, grepping and diffing runs (the `--trace FILE` of `netloom run`).
//
// Line format (space-separated, one event per line, LF):
//
//   <time ns> <kind> <where> <port> <length> [<drop reason>]
//   123456789 phyRxEnd h1 0 1042
//   123460000 phyRxDrop link-ab:0->1 0 1042 LOSS_RANDOM
//   200000000 crash b - -
//
//   kind: a trace point (macTx, macTxDrop, phyTxBegin, phyTxEnd, phyRxEnd, phyRxDrop, macRx,
//   sniffer; drops carry their reason) or crash / restart. where: a device ("h0"), a link
//   direction ("name:0->1") or a segment station ("seg:station2"). length: frame bytes.
//
// Contract:
// - Filters: `devices` (device, link or segment names) and `kinds`; unknown names are refused
//   with the list of known ones. Nothing is traced (and nothing paid per frame) without a trace.
// - Lines are written as the emulator settles events: a frame's serialization end and its fate
//   on the wire are settled when its serialization starts, so a phyTxEnd line can come before
//   lines with earlier times. Each line carries its own virtual time; `sort -n -s` orders them.
// - Bounded: after `maxLines` lines (default 10 million) tracing stops and one final line says so.

import { ErrorCode, NetloomError } from "../base/errors.js";
import { suggest } from "../base/did-you-mean.js";
import { TRACE_POINT_NAMES, dropReasonName } from "../trace/trace-point.js";
import type { Network } from "./network.js";

export const TRACE_KINDS = [...TRACE_POINT_NAMES, "crash", "restart"] as const;
export const DEFAULT_TRACE_MAX_LINES = 10_000_000;

export interface EventTraceOptions {
  /** Only these devices, links or segments (default: all). */
  devices?: readonly string[];
  /** Only these kinds (default: all). */
  kinds?: readonly string[];
  maxLines?: number;
  write(line: string): void;
}

/** Starts tracing `network`; returns the function that stops it and the count of lines written. */
export function traceNetwork(network: Network, options: EventTraceOptions): { stop(): void; lines(): number } {
  const all = network.tracePoints();
  const deviceNames = [...new Set(all.map((t) => t.device))];
  const devices = checkNames(options.devices, deviceNames, "device", "trace.devices");
  const kinds = checkNames(options.kinds, TRACE_KINDS, "trace kind", "trace.kinds");
  const max = options.maxLines ?? DEFAULT_TRACE_MAX_LINES;
  let written = 0;
  const unsubscribers: (() => void)[] = [];
  const stop = (): void => unsubscribers.splice(0).forEach((u) => u());
  const emit = (line: string): void => {
    if (written >= max) return;
    options.write(line);
    if (++written === max) {
      options.write(`# trace stopped after ${max} lines`);
      stop();
    }
  };
  for (const { where, device, port, points } of all) {
    if (devices !== undefined && !devices.has(device)) continue;
    for (const kind of TRACE_POINT_NAMES) {
      if (kinds !== undefined && !kinds.has(kind)) continue;
      unsubscribers.push(
        points
          .get(kind)
          .subscribe((time, _frame, length, reason) =>
            emit(`${time} ${kind} ${where} ${port} ${length}${reason !== 0 ? ` ${dropReasonName(reason)}` : ""}`),
          ),
      );
    }
  }
  if (kinds === undefined || kinds.has("crash") || kinds.has("restart")) {
    unsubscribers.push(
      network.onFailure((device, event, time) => {
        if (devices !== undefined && !devices.has(device)) return;
        if (kinds !== undefined && !kinds.has(event)) return;
        emit(`${time} ${event} ${device} - -`);
      }),
    );
  }
  return { stop, lines: () => written };
}

function checkNames(
  given: readonly string[] | undefined,
  known: readonly string[],
  what: string,
  path: string,
): Set<string> | undefined {
  if (given === undefined) return undefined;
  for (const name of given) {
    if (known.includes(name)) continue;
    const guess = suggest(name, known);
    throw new NetloomError(
      ErrorCode.INVALID_ARGUMENT,
      `there is no ${what} "${name}"${guess !== undefined ? ` (did you mean "${guess}"?)` : ""}; known: ${known.join(", ")}`,
      { path },
    );
  }
  return new Set(given);
}
