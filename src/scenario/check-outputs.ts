// The `outputs` of a scenario: result files (paths as written; the runner resolves relative
// ones against the scenario's directory) and the device ports to capture to pcap files.

import type { Endpoints } from "./check-endpoints.js";
import type { Checker } from "./checks.js";
import type { ScenarioEndpoint, ScenarioOutputs } from "./scenario-types.js";
import { show } from "./wording.js";

export const OUTPUT_KEYS = ["json", "csv", "pcap", "report"] as const;
export const PCAP_KEYS = ["dir", "ports"] as const;

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
  return dir !== undefined && ports !== undefined ? { dir, ports } : undefined;
}
