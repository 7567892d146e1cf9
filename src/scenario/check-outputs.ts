// The `outputs` of a scenario: result files (paths as written; the runner resolves relative
// ones against the scenario's directory) and the device ports to capture to pcap files, with
// the captures' snap length and size or packet limit.

import { parseCaptureLimit } from "../base/units.js";
import { PCAP_MAX_SNAPLEN } from "../trace/pcap.js";
import type { Endpoints } from "./check-endpoints.js";
import type { Checker } from "./checks.js";
import type { ScenarioEndpoint, ScenarioOutputs } from "./scenario-types.js";
import { show } from "./wording.js";

export const OUTPUT_KEYS = ["json", "csv", "pcap", "report"] as const;
export const PCAP_KEYS = ["dir", "ports", "snaplen", "limit"] as const;
/** Smallest snap length: an Ethernet header and a little more (a SunATM record's pseudo-header fits). */
export const MIN_SNAPLEN = 16;

export function checkOutputs(c: Checker, raw: unknown, endpoints: Endpoints): ScenarioOutputs {
  const outputs: ScenarioOutputs = { json: undefined, csv: undefined, pcap: undefined, report: undefined };
  if (raw === undefined) return outputs;
  const o = c.mapping(raw, "outputs", OUTPUT_KEYS);
  if (o === undefined) return outputs;
  for (const k of ["json", "csv", "report"] as const) {
    if (o[k] !== undefined) outputs[k] = c.nonEmpty(o[k], `outputs.${k}`);
  }
  if (o["pcap"] !== undefined) outputs.pcap = checkPcap(c, o["pcap"], endpoints);
  return outputs;
}

function checkPcap(c: Checker, raw: unknown, endpoints: Endpoints): ScenarioOutputs["pcap"] {
  const pc = c.mapping(raw, "outputs.pcap", PCAP_KEYS, ["dir"]);
  if (pc === undefined) return undefined;
  const dir = pc["dir"] === undefined ? undefined : c.nonEmpty(pc["dir"], "outputs.pcap.dir");
  let ports: "all" | ScenarioEndpoint[] | undefined = "all";
  if (pc["ports"] !== undefined && pc["ports"] !== "all") {
    if (!Array.isArray(pc["ports"])) {
      ports = c.error("outputs.pcap.ports", `expected "all" or a list of ports, got ${show(pc["ports"])}`);
    } else {
      const eps: ScenarioEndpoint[] = [];
      pc["ports"].forEach((x, j) => {
        const e = endpoints.resolve(x, `outputs.pcap.ports[${j}]`);
        if (e !== undefined) eps.push(e);
      });
      ports = eps;
    }
  }
  const snaplen = c.bytes(pc["snaplen"], "outputs.pcap.snaplen", MIN_SNAPLEN, PCAP_MAX_SNAPLEN);
  const limit =
    pc["limit"] === undefined
      ? undefined
      : c.rep.units("outputs.pcap.limit", () => parseCaptureLimit(pc["limit"], "outputs.pcap.limit"));
  return dir !== undefined && ports !== undefined ? { dir, ports, snaplen, limit } : undefined;
}
